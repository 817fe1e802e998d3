/* SPDX-License-Identifier: MIT */
/*
 * What a person is told about this computer's clock. Each device keeps the
 * offset of the hub's clock from its own (cellsync/replica.h) and fills in
 * dates by the hub's time; when the two differ by much, the clock is wrong
 * and the person should set it. The words are here so the command line and
 * a later front end say the same thing.
 */
#ifndef CELLSYNC_CLOCK_H
#define CELLSYNC_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/*
 * Under a minute apart the clocks agree as far as anyone reading a date
 * cares (a live sync measures the offset to a round trip): say nothing.
 */
#define CS_CLOCK_QUIET_MS (60 * 1000)
/*
 * From an hour apart every command warns. Under an hour a date filled in
 * is wrong only in the minutes around midnight, and the sync line has
 * said so already; an hour or more is a clock or time zone set wrong
 * (a laptop left on UTC is 7 hours behind Vietnam and dates every
 * morning's work the day before), worth a line each time until it is set.
 */
#define CS_CLOCK_WARN_MS (60 * 60 * 1000)

/*
 * A span of time in words, its two largest units of days, hours and
 * minutes ("3 days 4 hours", "1 hour 5 minutes", "7 minutes"); the sign is
 * ignored. Returns buf.
 */
const char *cs_clock_span(int64_t ms, char *buf, size_t len);

/*
 * The sentence for a clock offset_ms off the hub's (the hub's time minus
 * this computer's, as the replica keeps it): how far ahead or behind, that
 * the computer's date and time should be set, and that the dates this
 * program fills in use the hub's time meanwhile (today, a day number, is
 * that date). Returns 1 with buf filled, or 0 with buf "" when the offset
 * is under min_ms either way.
 */
int cs_clock_note(int64_t offset_ms, int64_t min_ms, int32_t today, char *buf, size_t len);

#endif
