/* SPDX-License-Identifier: MIT */
/*
 * The words about this computer's clock (cellsync/clock.h): a span in days,
 * hours and minutes, and the sentence that says which way the clock is
 * wrong and what to do.
 */
#include <stdio.h>
#include <string.h>

#include "cellsync/clock.h"
#include "cellsync/date.h"
#include "cellsync/i18n.h"

/* Appends one part of a span, after a space unless it is the first. */
static void
span_add(char *buf, size_t len, const char *part)
{
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, used ? " %s" : "%s", part);
}

/*
 * The units, with their plurals. dngettext() is called by name, with the
 * strings in the call, so that `make pot` finds both forms.
 */
static const char *
days_text(long long n, char *buf, size_t len)
{
    snprintf(buf, len, dngettext(CS_TEXT_DOMAIN, "%lld day", "%lld days", (unsigned long)n), n);
    return buf;
}

static const char *
hours_text(long long n, char *buf, size_t len)
{
    snprintf(buf, len, dngettext(CS_TEXT_DOMAIN, "%lld hour", "%lld hours", (unsigned long)n), n);
    return buf;
}

static const char *
minutes_text(long long n, char *buf, size_t len)
{
    snprintf(buf, len, dngettext(CS_TEXT_DOMAIN, "%lld minute", "%lld minutes", (unsigned long)n),
             n);
    return buf;
}

const char *
cs_clock_span(int64_t ms, char *buf, size_t len)
{
    /* |ms| in whole minutes, without overflowing on INT64_MIN. */
    uint64_t abs_ms = ms < 0 ? (uint64_t)(-(ms + 1)) + 1u : (uint64_t)ms;
    long long minutes = (long long)(abs_ms / 60000u);
    long long days = minutes / (24 * 60), hours = minutes / 60 % 24, mins = minutes % 60;
    char part[48];

    if (len == 0)
        return buf;
    buf[0] = 0;
    if (days > 0) {
        span_add(buf, len, days_text(days, part, sizeof(part)));
        if (hours > 0)
            span_add(buf, len, hours_text(hours, part, sizeof(part)));
    } else if (hours > 0) {
        span_add(buf, len, hours_text(hours, part, sizeof(part)));
        if (mins > 0)
            span_add(buf, len, minutes_text(mins, part, sizeof(part)));
    } else {
        span_add(buf, len, minutes_text(mins, part, sizeof(part)));
    }
    return buf;
}

int
cs_clock_note(int64_t offset_ms, int64_t min_ms, int32_t today, char *buf, size_t len)
{
    char span[96], day[16];

    if (len > 0)
        buf[0] = 0;
    if ((offset_ms > -min_ms && offset_ms < min_ms) || len == 0)
        return 0;
    cs_clock_span(offset_ms, span, sizeof(span));
    struct cs_date c = cs_date_to_civil(today);
    /* The casts tell the compiler the fields fit. */
    snprintf(day, sizeof(day), "%02u/%02u/%04u", (unsigned)c.d % 100u, (unsigned)c.m % 100u,
             (unsigned)c.y % 10000u);
    /* The offset is the hub's time minus ours: below 0, this clock is ahead. */
    if (offset_ms < 0)
        snprintf(buf, len,
                 _("this computer's clock is %s ahead of the hub's: set its date and time; "
                   "until then this program dates records by the hub's time (today is %s)"),
                 span, day);
    else
        snprintf(buf, len,
                 _("this computer's clock is %s behind the hub's: set its date and time; "
                   "until then this program dates records by the hub's time (today is %s)"),
                 span, day);
    return 1;
}
