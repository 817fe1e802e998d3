/* SPDX-License-Identifier: MIT */
/*
 * The words about this computer's clock (cellsync/clock.h): spans in days,
 * hours and minutes, and the sentence, which is only written when the
 * clock is off by the given amount or more, either way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cellsync/clock.h"
#include "cellsync/date.h"

#define MIN  (60 * 1000LL)
#define HOUR (60 * MIN)
#define DAY  (24 * HOUR)

static void
test_span(void **state)
{
    (void)state;
    char buf[96];
    assert_string_equal(cs_clock_span(0, buf, sizeof(buf)), "0 minutes");
    assert_string_equal(cs_clock_span(59 * 1000, buf, sizeof(buf)), "0 minutes");
    assert_string_equal(cs_clock_span(MIN, buf, sizeof(buf)), "1 minute");
    assert_string_equal(cs_clock_span(-7 * MIN, buf, sizeof(buf)), "7 minutes");
    assert_string_equal(cs_clock_span(HOUR + 5 * MIN, buf, sizeof(buf)), "1 hour 5 minutes");
    assert_string_equal(cs_clock_span(7 * HOUR, buf, sizeof(buf)), "7 hours");
    /* Two units at most: the minutes of a span of days do not matter. */
    assert_string_equal(cs_clock_span(3 * DAY + 4 * HOUR + 59 * MIN, buf, sizeof(buf)),
                        "3 days 4 hours");
    assert_string_equal(cs_clock_span(-1 * DAY, buf, sizeof(buf)), "1 day");
    /* The sign of INT64_MIN cannot be taken by negation: no overflow. */
    assert_non_null(strstr(cs_clock_span(INT64_MIN, buf, sizeof(buf)), " days "));
    /* Cut to the buffer, always terminated. */
    char small[6];
    assert_string_equal(cs_clock_span(3 * DAY + 4 * HOUR, small, sizeof(small)), "3 day");
}

static void
test_note(void **state)
{
    (void)state;
    char buf[512];
    int32_t today = cs_date_from_civil((struct cs_date){2026, 12, 6});

    assert_int_equal(cs_clock_note(59 * 1000, CS_CLOCK_QUIET_MS, today, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
    assert_int_equal(cs_clock_note(-59 * 1000, CS_CLOCK_QUIET_MS, today, buf, sizeof(buf)), 0);
    assert_int_equal(cs_clock_note(-59 * MIN, CS_CLOCK_WARN_MS, today, buf, sizeof(buf)), 0);
    /* The offset is the hub's time minus ours: negative, this clock is ahead. */
    assert_int_equal(
        cs_clock_note(-(1826 * DAY + 3 * HOUR), CS_CLOCK_WARN_MS, today, buf, sizeof(buf)), 1);
    assert_string_equal(buf, "this computer's clock is 1826 days 3 hours ahead of the hub's: set "
                             "its date and time; until then this program dates records by the "
                             "hub's time (today is 06/12/2026)");
    assert_int_equal(cs_clock_note(7 * HOUR, CS_CLOCK_WARN_MS, today, buf, sizeof(buf)), 1);
    assert_non_null(strstr(buf, "is 7 hours behind the hub's"));
    assert_int_equal(cs_clock_note(2 * MIN, CS_CLOCK_QUIET_MS, today, buf, sizeof(buf)), 1);
    assert_non_null(strstr(buf, "is 2 minutes behind"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_span),
        cmocka_unit_test(test_note),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
