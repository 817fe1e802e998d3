/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the admission-procedure rules: date parsing and day-number
 * arithmetic over every day the parser accepts, month arithmetic with
 * clamping, working days around weekends, fixed holidays and a holiday file
 * in a temp directory, each stage rule on its boundary day and one day past
 * it, the stage order, waived rules, and the due list. Expected working-day
 * results were worked out by hand on a calendar and checked with Python's
 * datetime.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cellsync/error.h"
#include "cellsync/rules.h"

static char tmpdir[] = "/tmp/cs_test_rules.XXXXXX";

static int
group_setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    /* The tests remove the files they write. */
    return rmdir(tmpdir);
}

/* A date the test writes literally; a typo in the test fails loudly. */
static int32_t
D(const char *s)
{
    int32_t day;
    char err[128];
    if (cs_date_parse(s, &day, err, sizeof(err)) != 0)
        fail_msg("bad date in test: %s", err);
    return day;
}

static void
assert_date(int32_t day, const char *want)
{
    char buf[CS_DATE_BUFSZ];
    assert_string_equal(cs_date_format(day, buf), want);
}

static void
assert_contains(const char *s, const char *part)
{
    if (strstr(s, part) == NULL)
        fail_msg("'%s' does not contain '%s'", s, part);
}

/* Writes a file in tmpdir; path receives its name. */
static void
write_file(char *path, size_t n, const char *name, const char *data, size_t len)
{
    int w = snprintf(path, n, "%s/%s", tmpdir, name);
    assert_true(w > 0 && (size_t)w < n);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

/* ---- Dates ---- */

/* A date as typed, the code cs_date_parse returns, and the day an accepted one means. */
struct date_case {
    const char *text;
    int want;
    const char *iso; /* the day, formatted back; NULL where the text is refused */
    int32_t number;  /* days since 1970-01-01; CS_DATE_NONE where refused */
};

static const struct date_case date_cases[] = {
    /* ISO 8601: the day numbers at the epoch, the ends of the range and a few between. */
    {"1970-01-01", 0, "1970-01-01", 0},
    {"2000-03-01", 0, "2000-03-01", 11017},
    {"1900-01-01", 0, "1900-01-01", -25567},
    {"2200-12-31", 0, "2200-12-31", 84370},
    {"2025-09-02", 0, "2025-09-02", 20333},
    /* Leap days; centuries are leap years only when divisible by 400. */
    {"2024-02-29", 0, "2024-02-29", 19782},
    {"2000-02-29", 0, "2000-02-29", 11016},
    {"2026-02-29", CS_EINVAL, NULL, CS_DATE_NONE},
    {"1900-02-29", CS_EINVAL, NULL, CS_DATE_NONE},
    {"2100-02-29", CS_EINVAL, NULL, CS_DATE_NONE},
    /* Days and months that do not exist. */
    {"2025-04-31", CS_EINVAL, NULL, CS_DATE_NONE},
    {"2025-12-32", CS_EINVAL, NULL, CS_DATE_NONE},
    {"2025-13-01", CS_EINVAL, NULL, CS_DATE_NONE},
    {"2025-00-10", CS_EINVAL, NULL, CS_DATE_NONE},
    {"2025-01-00", CS_EINVAL, NULL, CS_DATE_NONE},
    /* DD/MM/YYYY, with or without leading zeros. */
    {"02/09/2025", 0, "2025-09-02", 20333},
    {"2/9/2025", 0, "2025-09-02", 20333},
    {"29/02/2024", 0, "2024-02-29", 19782},
    {"31/12/2200", 0, "2200-12-31", 84370},
    {"29/02/2026", CS_EINVAL, NULL, CS_DATE_NONE},
    {"31/04/2025", CS_EINVAL, NULL, CS_DATE_NONE},
    /* Day and month are not swapped the American way. */
    {"09/13/2025", CS_EINVAL, NULL, CS_DATE_NONE},
    {"02/09/25", CS_EINVAL, NULL, CS_DATE_NONE},
    {"02/09/20255", CS_EINVAL, NULL, CS_DATE_NONE},
    {"002/09/2025", CS_EINVAL, NULL, CS_DATE_NONE},
    {"02-09-2025", CS_EINVAL, NULL, CS_DATE_NONE},
    {"/09/2025", CS_EINVAL, NULL, CS_DATE_NONE},
};

static void
test_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(date_cases) / sizeof(date_cases[0]); i++) {
        const struct date_case *c = &date_cases[i];
        int32_t day = 7;
        int got = cs_date_parse(c->text, &day, NULL, 0);
        if (got != c->want)
            fail_msg("'%s': %s, want %s", c->text, cs_err_name(got), cs_err_name(c->want));
        if (day != c->number)
            fail_msg("'%s': day %d, want %d", c->text, (int)day, (int)c->number);
        if (c->iso != NULL)
            assert_date(day, c->iso);
    }
}

static void
test_parse_garbage(void **state)
{
    (void)state;
    int32_t day = 7;
    char err[128];
    static const char *const bad[] = {
        "",
        "x",
        "2025",
        "2025-9-02",
        "2025-09-2",
        "25-09-02",
        "2025/09/02",
        " 2025-09-02",
        "2025-09-02 ",
        "2025-09-02x",
        "2025-09-021",
        "+2025-09-02",
        "2025-09-02\n",
        "２０２５-09-02",
        "2025--9-02",
        "-2025-09-02",
        "0x7e9-09-02",
        "02/09/2025 ",
        "02/09/2025#",
        "2/9/2025/1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        day = 7;
        if (cs_date_parse(bad[i], &day, NULL, 0) != CS_EINVAL)
            fail_msg("'%s' was accepted", bad[i]);
        assert_int_equal(day, CS_DATE_NONE);
    }
    assert_int_equal(cs_date_parse(NULL, &day, err, sizeof(err)), CS_EINVAL);
    assert_string_equal(err, "no date given");
    assert_int_equal(cs_date_parse("2026-02-29", &day, err, sizeof(err)), CS_EINVAL);
    assert_string_equal(err, "'2026-02-29' is not a day of the calendar");

    assert_int_equal(cs_date_parse("2025-09-02junk", &day, err, sizeof(err)), CS_EINVAL);
    assert_string_equal(err, "'2025-09-02junk' is not a date; write it as DD/MM/YYYY (or "
                             "YYYY-MM-DD)");
    assert_int_equal(cs_date_parse("1899-12-31", &day, err, sizeof(err)), CS_EINVAL);
    assert_string_equal(err, "'1899-12-31' is outside the years 1900 to 2200");
    assert_int_equal(cs_date_parse("01/01/2201", &day, err, sizeof(err)), CS_EINVAL);
    assert_string_equal(err, "'01/01/2201' is outside the years 1900 to 2200");

    /* A long input is cut in the message, not overflowed. */
    char lng[300];
    memset(lng, '9', sizeof(lng) - 1);
    lng[sizeof(lng) - 1] = '\0';
    assert_int_equal(cs_date_parse(lng, &day, err, sizeof(err)), CS_EINVAL);
    assert_true(strlen(err) < 100);
}

/* Every day the parser accepts: day numbers are consecutive and round-trip. */
static void
test_round_trip_every_day(void **state)
{
    (void)state;
    int32_t first = cs_date_from_civil((struct cs_date){1900, 1, 1});
    int32_t expect = first;
    int weekday = 1; /* 1900-01-01 was a Monday */
    for (int y = CS_DATE_YEAR_MIN; y <= CS_DATE_YEAR_MAX; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= cs_date_days_in_month(y, m); d++) {
                struct cs_date c = {y, m, d};
                int32_t day = cs_date_from_civil(c);
                if (day != expect)
                    fail_msg("%04d-%02d-%02d is %d, want %d", y, m, d, day, expect);
                struct cs_date back = cs_date_to_civil(day);
                assert_int_equal(back.y, y);
                assert_int_equal(back.m, m);
                assert_int_equal(back.d, d);
                assert_int_equal(cs_date_weekday(day), weekday);

                char buf[CS_DATE_BUFSZ], want[CS_DATE_BUFSZ + 8];
                snprintf(want, sizeof(want), "%04d-%02d-%02d", y, m, d);
                assert_string_equal(cs_date_format(day, buf), want);
                int32_t parsed;
                assert_int_equal(cs_date_parse(buf, &parsed, NULL, 0), 0);
                assert_int_equal(parsed, day);

                expect++;
                weekday = weekday % 7 + 1;
            }
        }
    }
    /* 301 years, 73 of them leap (2000 is, 1900/2100/2200 are not). */
    assert_int_equal(expect - first, 301 * 365 + 73);
    assert_int_equal(cs_date_days_in_month(2025, 0), 0);
    assert_int_equal(cs_date_days_in_month(2025, 13), 0);
}

static void
test_format(void **state)
{
    (void)state;
    char buf[CS_DATE_BUFSZ];
    assert_string_equal(cs_date_format(0, buf), "1970-01-01");
    assert_string_equal(cs_date_format(-1, buf), "1969-12-31");
    assert_string_equal(cs_date_format(CS_DATE_NONE, buf), "-");
    assert_string_equal(cs_date_format(INT32_MAX, buf), "-");
    assert_string_equal(cs_date_format(cs_date_from_civil((struct cs_date){5, 3, 7}), buf),
                        "0005-03-07");
    /* A stored date's text as people read it, in place too; other text as it is. */
    char t[32] = "2026-02-27";
    assert_string_equal(cs_date_text_vi(t, t, sizeof(t)), "27/02/2026");
    assert_string_equal(cs_date_text_vi("2026-02-30", buf, sizeof(buf)), "2026-02-30");
    assert_string_equal(cs_date_text_vi("Họp", buf, sizeof(buf)), "Họp");
    assert_string_equal(cs_date_text_vi(NULL, buf, sizeof(buf)), "");
}

static void
test_weekday(void **state)
{
    (void)state;
    assert_int_equal(cs_date_weekday(D("2025-09-01")), 1); /* Monday */
    assert_int_equal(cs_date_weekday(D("2025-09-02")), 2); /* Tuesday */
    assert_int_equal(cs_date_weekday(D("2025-08-30")), 6);
    assert_int_equal(cs_date_weekday(D("2025-08-31")), 7);
    assert_int_equal(cs_date_weekday(0), 4); /* 1970-01-01, Thursday */
    assert_int_equal(cs_date_weekday(-3), 1);
    assert_int_equal(cs_date_weekday(INT32_MIN), cs_date_weekday(INT32_MIN + 7));
}

static void
test_add_months(void **state)
{
    (void)state;
    assert_date(cs_date_add_months(D("2024-01-31"), 1), "2024-02-29");
    assert_date(cs_date_add_months(D("2025-01-31"), 1), "2025-02-28");
    assert_date(cs_date_add_months(D("2024-01-31"), 2), "2024-03-31");
    assert_date(cs_date_add_months(D("2024-02-29"), 12), "2025-02-28");
    assert_date(cs_date_add_months(D("2024-02-29"), 48), "2028-02-29");
    assert_date(cs_date_add_months(D("2025-11-30"), 3), "2026-02-28");
    assert_date(cs_date_add_months(D("2025-12-15"), 1), "2026-01-15");
    assert_date(cs_date_add_months(D("2025-03-15"), 0), "2025-03-15");
    assert_date(cs_date_add_months(D("2024-03-31"), -1), "2024-02-29");
    assert_date(cs_date_add_months(D("2026-01-10"), -1), "2025-12-10");
    assert_date(cs_date_add_months(D("2026-01-10"), -13), "2024-12-10");
    assert_date(cs_date_add_months(D("2026-03-02"), -60), "2021-03-02");
    assert_date(cs_date_add_months(D("2008-03-15"), 216), "2026-03-15");
    assert_date(cs_date_add_months(D("1900-01-01"), -1), "1899-12-01");
}

static void
test_months_between(void **state)
{
    (void)state;
    int32_t born = D("2008-03-15");
    assert_int_equal(cs_date_months_between(born, D("2026-03-14")), 215);
    assert_int_equal(cs_date_months_between(born, D("2026-03-15")), 216);
    assert_int_equal(cs_date_months_between(born, D("2026-04-14")), 216);
    assert_int_equal(cs_date_months_between(born, born), 0);
    assert_int_equal(cs_date_months_between(born, born + 1), 0);
    assert_int_equal(cs_date_months_between(born + 1, born), 0);
    assert_int_equal(cs_date_months_between(D("2026-03-15"), born), -216);
    /* Agrees with the clamping of add_months at month ends. */
    assert_int_equal(cs_date_months_between(D("2024-01-31"), D("2024-02-28")), 0);
    assert_int_equal(cs_date_months_between(D("2024-01-31"), D("2024-02-29")), 1);
    assert_int_equal(cs_date_months_between(D("2008-02-29"), D("2026-02-27")), 215);
    assert_int_equal(cs_date_months_between(D("2008-02-29"), D("2026-02-28")), 216);

    /* The defining property, over a spread of start days and distances. */
    for (int32_t from = D("1999-12-25"); from < D("2000-03-05"); from++) {
        for (int32_t to = from; to < from + 800; to += 13) {
            int n = cs_date_months_between(from, to);
            assert_true(cs_date_add_months(from, n) <= to);
            assert_true(cs_date_add_months(from, n + 1) > to);
        }
    }
}

static void
test_today_override(void **state)
{
    (void)state;
    int32_t day;
    char err[128];

    assert_int_equal(setenv("CELLSYNC_TODAY", "2026-03-02", 1), 0);
    assert_int_equal(cs_date_today(&day, err, sizeof(err)), 0);
    assert_date(day, "2026-03-02");
    assert_int_equal(setenv("CELLSYNC_TODAY", "2/3/2026", 1), 0);
    assert_int_equal(cs_date_today(&day, err, sizeof(err)), 0);
    assert_date(day, "2026-03-02");

    assert_int_equal(setenv("CELLSYNC_TODAY", "yesterday", 1), 0);
    assert_int_equal(cs_date_today(&day, err, sizeof(err)), CS_EINVAL);
    assert_int_equal(day, CS_DATE_NONE);
    assert_string_equal(err, "cannot use CELLSYNC_TODAY: 'yesterday' is not a date; write it "
                             "as DD/MM/YYYY (or YYYY-MM-DD)");

    /* Unset or empty: the clock, within a day of UTC whatever the time zone. */
    assert_int_equal(setenv("CELLSYNC_TODAY", "", 1), 0);
    assert_int_equal(cs_date_today(&day, NULL, 0), 0);
    int32_t utc = (int32_t)(time(NULL) / 86400);
    assert_true(day >= utc - 1 && day <= utc + 1);
    assert_int_equal(unsetenv("CELLSYNC_TODAY"), 0);
    assert_int_equal(cs_date_today(&day, NULL, 0), 0);
    assert_true(day >= utc - 1 && day <= utc + 1);
}

/* ---- Working days ---- */

static void
test_fixed_holidays(void **state)
{
    (void)state;
    static const char *const fixed[] = {"2026-01-01", "2026-04-30", "2026-05-01", "2025-09-01",
                                        "2025-09-02", "1950-09-02", "2199-04-30"};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        assert_true(cs_date_is_holiday(NULL, D(fixed[i])));
        assert_false(cs_date_is_working_day(NULL, D(fixed[i])));
    }
    assert_false(cs_date_is_holiday(NULL, D("2025-09-03")));
    /* Tết (29 Chạp, then 1 to 4 Tết) and the Hùng Kings' day, from the lunar calendar. */
    for (int32_t d = D("2026-02-16"); d <= D("2026-02-20"); d++)
        assert_true(cs_date_is_holiday(NULL, d));
    assert_false(cs_date_is_holiday(NULL, D("2026-02-15")));
    assert_false(cs_date_is_holiday(NULL, D("2026-02-21")));
    assert_true(cs_date_is_holiday(NULL, D("2026-04-26")));
    assert_true(cs_date_is_holiday(NULL, D("2025-04-07")));
    assert_false(cs_date_is_working_day(NULL, D("2025-04-07"))); /* a Monday */
    assert_string_equal(cs_date_builtin_holiday(D("2027-02-06")), "Tết (lunar new year)");
    assert_null(cs_date_builtin_holiday(D("2027-02-10")));
    assert_true(cs_date_is_working_day(NULL, D("2025-09-03")));
    assert_false(cs_date_is_working_day(NULL, D("2025-08-30"))); /* Saturday */
    assert_false(cs_date_is_working_day(NULL, D("2025-08-31"))); /* Sunday */
}

static void
test_working_days_weekend_and_holiday(void **state)
{
    (void)state;
    /* Friday 29 Aug 2025, then the weekend, then National Day on Mon 1 and Tue 2 Sep. */
    int32_t fri = D("2025-08-29");
    assert_date(cs_date_add_working_days(NULL, fri, 0), "2025-08-29");
    assert_date(cs_date_add_working_days(NULL, fri, 1), "2025-09-03");
    assert_date(cs_date_add_working_days(NULL, fri, 3), "2025-09-05");
    assert_date(cs_date_add_working_days(NULL, fri, 4), "2025-09-08");
    assert_date(cs_date_add_working_days(NULL, D("2025-09-03"), -1), "2025-08-29");
    /* From a non-working day, the next working day is the first. */
    assert_date(cs_date_add_working_days(NULL, D("2025-08-30"), 1), "2025-09-03");
    assert_date(cs_date_add_working_days(NULL, D("2025-08-15"), 30), "2025-09-30");

    assert_int_equal(cs_date_working_days_between(NULL, fri, D("2025-09-02")), 0);
    assert_int_equal(cs_date_working_days_between(NULL, fri, D("2025-09-03")), 1);
    assert_int_equal(cs_date_working_days_between(NULL, D("2025-09-03"), fri), -1);
    /* Backwards from a holiday: Friday is one working day back. */
    assert_int_equal(cs_date_working_days_between(NULL, D("2025-09-02"), fri), -1);
    assert_int_equal(cs_date_working_days_between(NULL, D("2025-08-30"), fri), -1);
    assert_int_equal(cs_date_working_days_between(NULL, fri, fri), 0);
    assert_int_equal(cs_date_working_days_between(NULL, D("2025-08-15"), D("2025-09-30")), 30);
    /*
     * A whole year: 261 weekdays in 2025, less the holidays on weekdays: 1/1,
     * four of Tết (28/1-1/2), the Hùng Kings' day (7/4), 30/4, 1/5, 1/9, 2/9.
     */
    assert_int_equal(cs_date_working_days_between(NULL, D("2024-12-31"), D("2025-12-31")), 251);

    for (int32_t from = D("2025-08-20"); from < D("2025-09-10"); from++)
        for (int n = -40; n <= 40; n++)
            assert_int_equal(
                cs_date_working_days_between(NULL, from, cs_date_add_working_days(NULL, from, n)),
                n);
}

static void
test_holidays_add(void **state)
{
    (void)state;
    struct cs_date_holidays *h = NULL;
    assert_int_equal(cs_date_holidays_new(&h), 0);
    assert_non_null(h);
    assert_false(cs_date_is_holiday(h, D("2026-03-03")));
    assert_true(cs_date_is_holiday(h, D("2026-01-01")));
    assert_int_equal(cs_date_holidays_add(h, D("2026-03-03")), 0);
    assert_int_equal(cs_date_holidays_add(h, D("2026-03-03")), 0);
    assert_int_equal(cs_date_holidays_add(h, D("2026-03-02")), 0);
    assert_int_equal(cs_date_holidays_add(h, CS_DATE_NONE), CS_EINVAL);
    assert_true(cs_date_is_holiday(h, D("2026-03-02")));
    assert_true(cs_date_is_holiday(h, D("2026-03-03")));
    assert_false(cs_date_is_holiday(h, D("2026-03-04")));
    /* Fri 27 Feb, then the weekend and two holidays: Wed 4 Mar. */
    assert_date(cs_date_add_working_days(h, D("2026-02-27"), 1), "2026-03-04");

    /* A Saturday worked in exchange, and a built-in holiday the year's decision moved. */
    assert_int_equal(cs_date_holidays_add_working(h, D("2026-02-28")), 0);
    assert_int_equal(cs_date_holidays_add_working(h, D("2025-09-01")), 0);
    assert_int_equal(cs_date_holidays_add_working(h, CS_DATE_NONE), CS_EINVAL);
    assert_true(cs_date_is_working_day(h, D("2026-02-28")));
    assert_false(cs_date_is_holiday(h, D("2025-09-01")));
    assert_true(cs_date_is_working_day(h, D("2025-09-01")));
    assert_date(cs_date_add_working_days(h, D("2026-02-27"), 1), "2026-02-28");
    assert_date(cs_date_add_working_days(h, D("2026-02-27"), 2), "2026-03-04");
    assert_int_equal(cs_date_working_days_between(h, D("2026-02-27"), D("2026-03-04")), 2);
    cs_date_holidays_free(h);
    cs_date_holidays_free(NULL);
}

static void
test_holiday_file(void **state)
{
    (void)state;
    static const char text[] = "\xEF\xBB\xBF# Vietnam 2026: Tết and Hùng Kings' day\n"
                               "\n"
                               "2026-02-16   # Tết, 29 Chạp\n"
                               "17/02/2026\r\n"
                               "  2026-02-18\t\n"
                               "   # indented comment\n"
                               "2026-02-19\n"
                               "20/2/2026\n"
                               "2026-02-16\n"
                               "2026-04-27";
    char path[512], err[256];
    write_file(path, sizeof(path), "holidays.txt", text, sizeof(text) - 1);

    struct cs_date_holidays *h = NULL;
    assert_int_equal(cs_date_holidays_new(&h), 0);
    assert_int_equal(cs_date_holidays_load(h, path, err, sizeof(err)), 0);
    for (int32_t d = D("2026-02-16"); d <= D("2026-02-20"); d++)
        assert_true(cs_date_is_holiday(h, d));
    assert_true(cs_date_is_holiday(h, D("2026-04-27")));
    assert_false(cs_date_is_holiday(h, D("2026-02-13")));
    assert_false(cs_date_is_holiday(h, D("2026-02-23")));
    assert_true(cs_date_is_working_day(h, D("2026-02-13")));
    assert_date(cs_date_add_working_days(h, D("2026-02-13"), 1), "2026-02-23");
    assert_int_equal(cs_date_working_days_between(h, D("2026-02-13"), D("2026-02-23")), 1);
    /* Tết is built in: the file adds only the Monday after the Hùng Kings' day (a Sunday). */
    assert_date(cs_date_add_working_days(h, D("2026-04-01"), 30), "2026-05-18");
    assert_date(cs_date_add_working_days(NULL, D("2026-04-01"), 30), "2026-05-15");

    cs_date_holidays_free(h);
    assert_int_equal(unlink(path), 0);
}

static void
test_holiday_file_bad_line(void **state)
{
    (void)state;
    static const char text[] = "# holidays\n"
                               "2027-03-05\n"
                               "\n"
                               "2026-02-30\n"
                               "2027-03-08\n";
    char path[512], err[1024], want[1024];
    write_file(path, sizeof(path), "bad.txt", text, sizeof(text) - 1);

    struct cs_date_holidays *h = NULL;
    assert_int_equal(cs_date_holidays_new(&h), 0);
    assert_int_equal(cs_date_holidays_add(h, D("2026-03-17")), 0);
    assert_int_equal(cs_date_holidays_load(h, path, err, sizeof(err)), CS_EINVAL);
    snprintf(want, sizeof(want),
             "cannot load holidays from '%s': line 4: '2026-02-30' is not a date; write it as "
             "DD/MM/YYYY (or YYYY-MM-DD)",
             path);
    assert_string_equal(err, want);
    /* Nothing from the bad file was kept; what was there before stays. */
    assert_false(cs_date_is_holiday(h, D("2027-03-05")));
    assert_true(cs_date_is_holiday(h, D("2026-03-17")));
    assert_int_equal(unlink(path), 0);

    /* A NUL cannot hide junk after a good date. */
    static const char nul[] = "2027-03-05\n2027-03-08\0junk\n";
    write_file(path, sizeof(path), "nul.txt", nul, sizeof(nul) - 1);
    assert_int_equal(cs_date_holidays_load(h, path, err, sizeof(err)), CS_EINVAL);
    assert_contains(err, "line 2: ");
    assert_false(cs_date_is_holiday(h, D("2027-03-05")));
    assert_int_equal(unlink(path), 0);

    /* A long line is cut in the message. */
    char lng[200];
    memset(lng, 'x', sizeof(lng));
    write_file(path, sizeof(path), "long.txt", lng, sizeof(lng));
    assert_int_equal(cs_date_holidays_load(h, path, err, sizeof(err)), CS_EINVAL);
    assert_contains(err, "line 1: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' is not a date");
    assert_int_equal(unlink(path), 0);

    /* A missing file passes the system error through. */
    assert_int_equal(cs_date_holidays_load(h, path, err, sizeof(err)), -ENOENT);
    assert_contains(err, path);
    assert_int_equal(cs_date_holidays_load(h, NULL, NULL, 0), CS_EINVAL);
    cs_date_holidays_free(h);
}

/* ---- Advance rules ---- */

/*
 * A candidate who meets every rule for the cell resolution on 2026-03-02:
 * born 2000-05-10, class certificate 2024-06-01, two official sponsors. The
 * stage dates up to biography_verified tell one story; the later ones are
 * picked for the deadline tests and do not, which is harmless because the
 * rules only look at the latest recorded stage.
 */
static void
good_candidate(struct cs_rules_facts *f, enum cs_stage stage)
{
    cs_rules_facts_init(f);
    f->stage = stage;
    f->birth = D("2000-05-10");
    f->helper_assigned = true;
    f->class_certificate = D("2024-06-01");
    f->sponsor[0] = (struct cs_rules_sponsor){true, true, 24};
    f->sponsor[1] = (struct cs_rules_sponsor){true, true, -1};
    static const char *const dates[] = {"2024-05-06", "2024-05-20", "2024-06-01", "2025-03-03",
                                        "2025-06-02", "2026-03-02", "2026-03-20", "2025-08-15",
                                        "2025-02-28", "2026-03-02"};
    for (int s = 0; s <= (int)stage && s < CS_STAGE__COUNT; s++)
        f->stage_date[s] = D(dates[s]);
}

/* Checks target on day; returns the code, with the rule and message for the caller. */
static int
advance(const struct cs_rules_facts *f, enum cs_stage target, const char *on, unsigned waived,
        const char **rule, char *err, size_t errlen)
{
    return cs_rules_check_advance(f, target, D(on), NULL, waived, rule, err, errlen);
}

static void
assert_pass(const struct cs_rules_facts *f, enum cs_stage target, const char *on)
{
    const char *rule = "unset";
    char err[256] = "";
    int rc = advance(f, target, on, 0, &rule, err, sizeof(err));
    if (rc != 0)
        fail_msg("advance on %s: %s (%s)", on, cs_err_name(rc), err);
    assert_null(rule);
}

static void
assert_fail(const struct cs_rules_facts *f, enum cs_stage target, const char *on,
            const char *want_rule, const char *want_msg)
{
    const char *rule = NULL;
    char err[256] = "";
    assert_int_equal(advance(f, target, on, 0, &rule, err, sizeof(err)), CS_ERULE);
    assert_non_null(rule);
    assert_string_equal(rule, want_rule);
    assert_string_equal(err, want_msg);
}

static void
test_rule_codes(void **state)
{
    (void)state;
    static const char *const codes[] = {"order",
                                        "helper",
                                        "age",
                                        "sponsors",
                                        "sponsor_months",
                                        "class_certificate",
                                        "ceremony_deadline",
                                        "probation",
                                        "conversion_deadline"};
    assert_int_equal(CS_RULE__COUNT, sizeof(codes) / sizeof(codes[0]));
    for (int r = 0; r < CS_RULE__COUNT; r++) {
        assert_string_equal(cs_rules_code((enum cs_rule)r), codes[r]);
        assert_int_equal(cs_rules_from_code(codes[r]), r);
    }
    assert_null(cs_rules_code(CS_RULE__COUNT));
    assert_int_equal(cs_rules_from_code("nope"), -1);
    assert_int_equal(cs_rules_from_code(NULL), -1);
}

static void
test_stage_order(void **state)
{
    (void)state;
    struct cs_rules_facts f;
    char err[256];
    const char *rule = "unset";

    good_candidate(&f, CS_STAGE_APPLIED);
    assert_int_equal(advance(&f, CS_STAGE_DECISION, "2026-03-02", 0, &rule, err, sizeof(err)),
                     CS_ESTAGE);
    assert_null(rule);
    assert_string_equal(err, "the candidate is at the stage 'application and biography'; the "
                             "next stage is 'biography verified', not 'admission decision'");
    assert_int_equal(advance(&f, CS_STAGE_APPLIED, "2026-03-02", 0, NULL, NULL, 0), CS_ESTAGE);
    assert_int_equal(advance(&f, CS_STAGE_CLASS, "2026-03-02", 0, NULL, NULL, 0), CS_ESTAGE);
    /* Stage errors cannot be waived. */
    assert_int_equal(advance(&f, CS_STAGE_CELL, "2026-03-02", ~0u, NULL, NULL, 0), CS_ESTAGE);
    assert_pass(&f, CS_STAGE_VERIFIED, "2026-03-02");

    /* Every stage's next stage passes with a good record. */
    good_candidate(&f, CS_STAGE_IDENTIFIED);
    assert_pass(&f, CS_STAGE_HELPER, "2025-02-03");
    f.stage = CS_STAGE_HELPER;
    assert_pass(&f, CS_STAGE_CLASS, "2025-02-03");

    good_candidate(&f, CS_STAGE_OFFICIAL);
    assert_int_equal(advance(&f, CS_STAGE_WITHDRAWN, "2026-03-02", 0, NULL, err, sizeof(err)),
                     CS_ESTAGE);
    assert_string_equal(err, "the candidate is already an official member; no stage can follow");
    assert_int_equal(advance(&f, CS_STAGE_OFFICIAL, "2026-03-02", 0, NULL, NULL, 0), CS_ESTAGE);

    /* Out of range: an unknown target, a bad date, a bad record. */
    good_candidate(&f, CS_STAGE_APPLIED);
    assert_int_equal(cs_rules_check_advance(&f, (enum cs_stage)(CS_STAGE_WITHDRAWN + 1),
                                            D("2026-03-02"), NULL, 0, NULL, NULL, 0),
                     CS_EINVAL);
    assert_int_equal(cs_rules_check_advance(&f, CS_STAGE_VERIFIED, CS_DATE_NONE, NULL, 0, NULL, err,
                                            sizeof(err)),
                     CS_EINVAL);
    assert_string_equal(err, "the date must be in the years 1900 to 2200");
    assert_int_equal(
        cs_rules_check_advance(NULL, CS_STAGE_VERIFIED, D("2026-03-02"), NULL, 0, NULL, NULL, 0),
        CS_EINVAL);
    f.stage_date[CS_STAGE_CLASS] = INT32_MAX;
    assert_int_equal(advance(&f, CS_STAGE_VERIFIED, "2026-03-02", 0, NULL, NULL, 0), CS_EINVAL);
    good_candidate(&f, CS_STAGE_APPLIED);
    f.stage = (enum cs_stage)(CS_STAGE_WITHDRAWN + 1);
    assert_int_equal(advance(&f, CS_STAGE_VERIFIED, "2026-03-02", 0, NULL, NULL, 0), CS_EINVAL);
}

static void
test_withdrawn(void **state)
{
    (void)state;
    struct cs_rules_facts f;
    char err[256];

    for (int s = CS_STAGE_IDENTIFIED; s < CS_STAGE_OFFICIAL; s++) {
        good_candidate(&f, (enum cs_stage)s);
        assert_pass(&f, CS_STAGE_WITHDRAWN, "2026-06-01");
    }
    /* Withdrawal still may not be dated before the current stage. */
    good_candidate(&f, CS_STAGE_GRASSROOTS);
    assert_fail(&f, CS_STAGE_WITHDRAWN, "2026-03-19", "order",
                "the date 19/03/2026 is before 20/03/2026, when the candidate reached the stage "
                "'grassroots resolution'; a stage cannot come before the one it follows");

    f.stage = CS_STAGE_WITHDRAWN;
    assert_int_equal(advance(&f, CS_STAGE_DECISION, "2026-06-01", 0, NULL, err, sizeof(err)),
                     CS_ESTAGE);
    assert_string_equal(err, "the candidate has withdrawn; no stage can follow");
    assert_int_equal(advance(&f, CS_STAGE_WITHDRAWN, "2026-06-01", 0, NULL, NULL, 0), CS_ESTAGE);
}

static void
test_order(void **state)
{
    (void)state;
    struct cs_rules_facts f;
    good_candidate(&f, CS_STAGE_VERIFIED); /* verified on 2025-06-02 */
    f.birth = D("1990-01-01");
    f.class_certificate = D("2025-01-01");
    assert_pass(&f, CS_STAGE_CELL, "2025-06-02");
    assert_fail(&f, CS_STAGE_CELL, "2025-06-01", "order",
                "the date 01/06/2025 is before 02/06/2025, when the candidate reached the stage "
                "'biography verified'; a stage cannot come before the one it follows");
    /* A missing date is skipped: the latest recorded earlier stage counts. */
    f.stage_date[CS_STAGE_VERIFIED] = CS_DATE_NONE;
    assert_pass(&f, CS_STAGE_CELL, "2025-06-01");
    assert_pass(&f, CS_STAGE_CELL, "2025-03-03");
    assert_fail(&f, CS_STAGE_CELL, "2025-03-02", "order",
                "the date 02/03/2025 is before 03/03/2025, when the candidate reached the stage "
                "'application and biography'; a stage cannot come before the one it follows");
    for (int s = 0; s < CS_STAGE__COUNT; s++)
        f.stage_date[s] = CS_DATE_NONE;
    assert_pass(&f, CS_STAGE_CELL, "2025-03-02");
}

static void
test_helper(void **state)
{
    (void)state;
    struct cs_rules_facts f;
    good_candidate(&f, CS_STAGE_IDENTIFIED);
    f.helper_assigned = false;
    assert_fail(&f, CS_STAGE_HELPER, "2025-02-03", "helper",
                "no helper is assigned; choose an official member to help the candidate first");
    f.helper_assigned = true;
    assert_pass(&f, CS_STAGE_HELPER, "2025-02-03");
}

static void
test_age(void **state)
{
    (void)state;
    struct cs_rules_facts f;
    good_candidate(&f, CS_STAGE_VERIFIED);

    f.birth = D("2008-03-15");
    assert_fail(&f, CS_STAGE_CELL, "2026-03-14", "age",
                "the candidate is 17 years and 11 months old on 14/03/2026; the rule needs 18 to "
                "60 years");
    assert_pass(&f, CS_STAGE_CELL, "2026-03-15");

    f.birth = D("2008-02-15");
    assert_fail(&f, CS_STAGE_CELL, "2026-02-14", "age",
                "the candidate is 17 years and 11 months old on 14/02/2026; the rule needs 18 to "
                "60 years");
    f.birth = D("2008-04-01");
    assert_fail(&f, CS_STAGE_CELL, "2026-03-02", "age",
                "the candidate is 17 years and 11 months old on 02/03/2026; the rule needs 18 to "
                "60 years");
    f.birth = D("2008-10-01");
    assert_fail(&f, CS_STAGE_CELL, "2026-03-02", "age",
                "the candidate is 17 years and 5 months old on 02/03/2026; the rule needs 18 to "
                "60 years");
    f.birth = D("2008-05-01");
    assert_fail(&f, CS_STAGE_CELL, "2025-06-02", "age",
                "the candidate is 17 years and 1 month old on 02/06/2025; the rule needs 18 to "
                "60 years");

    /* The upper end: still 60 the day before the 61st birthday. */
    f.birth = D("1965-03-15");
    assert_pass(&f, CS_STAGE_CELL, "2026-03-14");
    assert_fail(&f, CS_STAGE_CELL, "2026-03-15", "age",
                "the candidate is 61 years and 0 months old on 15/03/2026; the rule needs 18 to "
                "60 years");

    f.birth = D("2026-05-01");
    assert_fail(&f, CS_STAGE_CELL, "2026-03-02", "age",
                "the birth date 01/05/2026 is after 02/03/2026");
    f.birth = CS_DATE_NONE;
    assert_fail(&f, CS_STAGE_CELL, "2026-03-02", "age",
                "the birth date is not recorded; the age rule needs it");
}

static void
test_sponsors(void **state)
{
    (void)state;
    struct cs_rules_facts f;
    good_candidate(&f, CS_STAGE_VERIFIED);
    assert_pass(&f, CS_STAGE_CELL, "2026-03-02");

    /* A probationary member cannot sponsor. */
    f.sponsor[1].official_member = false;
    assert_fail(&f, CS_STAGE_CELL, "2026-03-02", "sponsors",
                "1 sponsor is an official member; the rule needs 2, or 1 with a youth union "
                "resolution");
    /* A youth union resolution stands in for the second. */
    f.youth_union_resolution = true;
    assert_pass(&f, CS_STAGE_CELL, "2026-03-02");
    f.sponsor[0].present = false;
    assert_fail(&f, CS_STAGE_CELL, "2026-03-02", "sponsors",
                "no sponsor is an official member; the rule needs one official member besides "
                "the youth union resolution");
    f.youth_union_resolution = false;
    assert_fail(&f, CS_STAGE_CELL, "2026-03-02", "sponsors",
                "0 sponsors are official members; the rule needs 2, or 1 with a youth union "
                "resolution");
    /* "official_member" without "present" does not count. */
    f.sponsor[0].official_member = true;
    f.sponsor[1] = (struct cs_rules_sponsor){false, true, -1};
    assert_fail(&f, CS_STAGE_CELL, "2026-03-02", "sponsors",
                "0 sponsors are official members; the rule needs 2, or 1 with a youth union "
                "resolution");
}

static void
test_sponsor_months(void **state)
{
    (void)state;
    struct cs_rules_facts f;
    good_candidate(&f, CS_STAGE_VERIFIED);
    f.sponsor[1].months_known = 12;
    assert_pass(&f, CS_STAGE_CELL, "2026-03-02");
    f.sponsor[1].months_known = 11;
    assert_fail(&f, CS_STAGE_CELL, "2026-03-02", "sponsor_months",
                "sponsor 2 has known the candidate for 11 months; the rule needs 12 months");
    f.sponsor[1].months_known = 1;
    assert_fail(&f, CS_STAGE_CELL, "2026-03-02", "sponsor_months",
                "sponsor 2 has known the candidate for 1 month; the rule needs 12 months");
    /* With a youth union resolution the other sponsor is enough. */
    f.youth_union_resolution = true;
    assert_pass(&f, CS_STAGE_CELL, "2026-03-02");
    f.sponsor[0].months_known = 0;
    assert_fail(&f, CS_STAGE_CELL, "2026-03-02", "sponsor_months",
                "sponsor 1 has known the candidate for 0 months; the rule needs 12 months");
    /* Not recorded is not a shortfall. */
    f.sponsor[0].months_known = -1;
    f.sponsor[1].months_known = -1;
    f.youth_union_resolution = false;
    assert_pass(&f, CS_STAGE_CELL, "2026-03-02");
}

static void
test_class_certificate(void **state)
{
    (void)state;
    struct cs_rules_facts f;
    good_candidate(&f, CS_STAGE_VERIFIED);
    f.stage_date[CS_STAGE_VERIFIED] = D("2025-06-02");

    f.class_certificate = D("2021-03-02");
    assert_pass(&f, CS_STAGE_CELL, "2026-03-01");
    assert_fail(&f, CS_STAGE_CELL, "2026-03-02", "class_certificate",
                "the awareness class certificate of 02/03/2021 is 60 months old on 02/03/2026; "
                "it must be younger than 60 months");
    f.class_certificate = D("2026-03-03");
    assert_fail(&f, CS_STAGE_CELL, "2026-03-02", "class_certificate",
                "the awareness class certificate date 03/03/2026 is after the cell resolution on "
                "02/03/2026");
    f.class_certificate = D("2026-03-02");
    assert_pass(&f, CS_STAGE_CELL, "2026-03-02");
    f.class_certificate = CS_DATE_NONE;
    assert_fail(&f, CS_STAGE_CELL, "2026-03-02", "class_certificate",
                "no awareness class certificate date is recorded");
}

static void
test_ceremony_deadline(void **state)
{
    (void)state;
    struct cs_rules_facts f;
    good_candidate(&f, CS_STAGE_DECISION);
    f.stage_date[CS_STAGE_GRASSROOTS] = D("2025-08-01");
    f.stage_date[CS_STAGE_CELL] = D("2025-07-01");
    f.stage_date[CS_STAGE_DECISION] = D("2025-08-15"); /* a Friday */

    /* 30 working days, skipping National Day on 1 and 2 September. */
    assert_pass(&f, CS_STAGE_CEREMONY, "2025-08-18");
    assert_pass(&f, CS_STAGE_CEREMONY, "2025-09-30");
    assert_fail(&f, CS_STAGE_CEREMONY, "2025-10-01", "ceremony_deadline",
                "the ceremony on 01/10/2025 is more than 30 working days after the admission "
                "decision of 15/08/2025; the last day was 30/09/2025");
    assert_fail(&f, CS_STAGE_CEREMONY, "2025-08-15", "ceremony_deadline",
                "the ceremony on 15/08/2025 must come after the admission decision of "
                "15/08/2025");
    assert_fail(&f, CS_STAGE_CEREMONY, "2025-08-14", "order",
                "the date 14/08/2025 is before 15/08/2025, when the candidate reached the stage "
                "'admission decision'; a stage cannot come before the one it follows");

    /* With a holiday set the deadline moves. */
    struct cs_date_holidays *h = NULL;
    assert_int_equal(cs_date_holidays_new(&h), 0);
    assert_int_equal(cs_date_holidays_add(h, D("2025-09-03")), 0);
    assert_int_equal(
        cs_rules_check_advance(&f, CS_STAGE_CEREMONY, D("2025-10-01"), h, 0, NULL, NULL, 0), 0);
    assert_int_equal(
        cs_rules_check_advance(&f, CS_STAGE_CEREMONY, D("2025-10-02"), h, 0, NULL, NULL, 0),
        CS_ERULE);
    cs_date_holidays_free(h);

    f.stage_date[CS_STAGE_DECISION] = CS_DATE_NONE;
    assert_fail(&f, CS_STAGE_CEREMONY, "2025-09-30", "ceremony_deadline",
                "the admission decision date is not recorded; the ceremony deadline counts from "
                "it");
}

static void
test_probation_and_conversion(void **state)
{
    (void)state;
    struct cs_rules_facts f;
    good_candidate(&f, CS_STAGE_CEREMONY);
    f.stage_date[CS_STAGE_CELL] = D("2024-12-02");
    f.stage_date[CS_STAGE_GRASSROOTS] = D("2024-12-20");
    f.stage_date[CS_STAGE_DECISION] = D("2025-02-03");
    f.stage_date[CS_STAGE_CEREMONY] = D("2025-02-28");

    /* Probation ends on Saturday 2026-02-28; 30 working days later is 2026-04-10. */
    assert_fail(&f, CS_STAGE_OFFICIAL, "2026-02-27", "probation",
                "probation ends on 28/02/2026, 12 months after the ceremony of 28/02/2025; "
                "27/02/2026 is too early");
    assert_pass(&f, CS_STAGE_OFFICIAL, "2026-02-28");
    assert_pass(&f, CS_STAGE_OFFICIAL, "2026-04-10");
    assert_fail(&f, CS_STAGE_OFFICIAL, "2026-04-11", "conversion_deadline",
                "11/04/2026 is more than 30 working days after probation ended on 28/02/2026; "
                "the last day was 10/04/2026");

    /* A ceremony on a leap day ends probation on 28 February. */
    f.stage_date[CS_STAGE_CEREMONY] = D("2024-02-29");
    f.stage_date[CS_STAGE_DECISION] = D("2024-02-01");
    assert_fail(&f, CS_STAGE_OFFICIAL, "2025-02-27", "probation",
                "probation ends on 28/02/2025, 12 months after the ceremony of 29/02/2024; "
                "27/02/2025 is too early");
    assert_pass(&f, CS_STAGE_OFFICIAL, "2025-02-28");

    f.stage_date[CS_STAGE_CEREMONY] = CS_DATE_NONE;
    assert_fail(&f, CS_STAGE_OFFICIAL, "2025-02-28", "probation",
                "the ceremony date is not recorded; probation counts from it");
    const char *rule = NULL;
    assert_int_equal(advance(&f, CS_STAGE_OFFICIAL, "2025-02-28", CS_RULE_MASK(CS_RULE_PROBATION),
                             &rule, NULL, 0),
                     CS_ERULE);
    assert_string_equal(rule, "conversion_deadline");
}

/* Forcing past several failures: waive each reported rule in turn. */
static void
test_waived(void **state)
{
    (void)state;
    struct cs_rules_facts f;
    good_candidate(&f, CS_STAGE_VERIFIED);
    f.birth = D("2010-01-01");
    f.sponsor[1].present = false;
    f.class_certificate = CS_DATE_NONE;

    static const char *const expect[] = {"order", "age", "sponsors", "class_certificate"};
    unsigned waived = 0;
    const char *rule;
    size_t i = 0;
    int rc;
    while ((rc = advance(&f, CS_STAGE_CELL, "2025-06-01", waived, &rule, NULL, 0)) == CS_ERULE) {
        assert_true(i < sizeof(expect) / sizeof(expect[0]));
        assert_string_equal(rule, expect[i++]);
        waived |= CS_RULE_MASK(cs_rules_from_code(rule));
    }
    assert_int_equal(rc, 0);
    assert_null(rule);
    assert_int_equal(i, 4);
}

/* ---- Due list ---- */

static void
assert_due(const struct cs_rules_due *d, const char *kind, const char *due, int days_left)
{
    assert_string_equal(d->kind, kind);
    assert_date(d->due, due);
    assert_int_equal(d->days_left, days_left);
}

static void
test_due(void **state)
{
    (void)state;
    struct cs_rules_facts f;
    struct cs_rules_due out[CS_RULES_DUE_MAX];

    good_candidate(&f, CS_STAGE_APPLIED);
    f.class_certificate = D("2021-03-02");
    assert_int_equal(cs_rules_due(&f, D("2026-02-20"), NULL, out, CS_RULES_DUE_MAX), 1);
    assert_due(&out[0], "certificate_expiry", "2026-03-02", 10);
    assert_int_equal(cs_rules_due(&f, D("2026-03-05"), NULL, out, CS_RULES_DUE_MAX), 1);
    assert_due(&out[0], "certificate_expiry", "2026-03-02", -3);
    f.class_certificate = CS_DATE_NONE;
    assert_int_equal(cs_rules_due(&f, D("2026-03-05"), NULL, out, CS_RULES_DUE_MAX), 0);

    good_candidate(&f, CS_STAGE_CELL); /* cell resolution 2026-03-02 */
    assert_int_equal(cs_rules_due(&f, D("2026-03-02"), NULL, out, CS_RULES_DUE_MAX), 1);
    assert_due(&out[0], "decision", "2026-05-27", 86);
    good_candidate(&f, CS_STAGE_GRASSROOTS);
    assert_int_equal(cs_rules_due(&f, D("2026-06-01"), NULL, out, CS_RULES_DUE_MAX), 1);
    assert_due(&out[0], "decision", "2026-05-27", -5);
    f.stage_date[CS_STAGE_CELL] = CS_DATE_NONE; /* falls back to the grassroots date */
    assert_int_equal(cs_rules_due(&f, D("2026-06-01"), NULL, out, CS_RULES_DUE_MAX), 1);
    assert_due(&out[0], "decision", "2026-06-16", 15);

    good_candidate(&f, CS_STAGE_DECISION); /* decision 2025-08-15 */
    assert_int_equal(cs_rules_due(&f, D("2025-10-05"), NULL, out, CS_RULES_DUE_MAX), 1);
    assert_due(&out[0], "ceremony", "2025-09-30", -5);
    assert_int_equal(cs_rules_due(&f, D("2025-09-30"), NULL, out, CS_RULES_DUE_MAX), 1);
    assert_due(&out[0], "ceremony", "2025-09-30", 0);

    good_candidate(&f, CS_STAGE_CEREMONY); /* ceremony 2025-02-28 */
    assert_int_equal(cs_rules_due(&f, D("2026-02-18"), NULL, out, CS_RULES_DUE_MAX), 2);
    assert_due(&out[0], "probation_end", "2026-02-28", 10);
    assert_due(&out[1], "conversion", "2026-04-10", 51);
    assert_int_equal(cs_rules_due(&f, D("2026-04-20"), NULL, out, CS_RULES_DUE_MAX), 2);
    assert_due(&out[0], "probation_end", "2026-02-28", -51);
    assert_due(&out[1], "conversion", "2026-04-10", -10);

    /* Too small an array: the count that apply, as snprintf does. */
    memset(out, 0, sizeof(out));
    assert_int_equal(cs_rules_due(&f, D("2026-02-18"), NULL, out, 1), 2);
    assert_due(&out[0], "probation_end", "2026-02-28", 10);
    assert_null(out[1].kind);
    assert_int_equal(cs_rules_due(&f, D("2026-02-18"), NULL, NULL, 0), 2);

    good_candidate(&f, CS_STAGE_OFFICIAL);
    assert_int_equal(cs_rules_due(&f, D("2026-02-18"), NULL, out, CS_RULES_DUE_MAX), 0);
    f.stage = CS_STAGE_WITHDRAWN;
    assert_int_equal(cs_rules_due(&f, D("2026-02-18"), NULL, out, CS_RULES_DUE_MAX), 0);

    assert_int_equal(cs_rules_due(NULL, D("2026-02-18"), NULL, out, CS_RULES_DUE_MAX), CS_EINVAL);
    assert_int_equal(cs_rules_due(&f, CS_DATE_NONE, NULL, out, CS_RULES_DUE_MAX), CS_EINVAL);
    assert_int_equal(cs_rules_due(&f, D("2026-02-18"), NULL, NULL, 1), CS_EINVAL);
}

/* What a step brings belongs to one step; given at another it is refused, naming it. */
static void
test_inputs(void **state)
{
    (void)state;
    const char *field = "x";
    char err[256];
    assert_int_equal(
        cs_rules_check_inputs(CS_STAGE_HELPER, CS_STEP_HELPER, &field, err, sizeof(err)), 0);
    assert_null(field);
    assert_int_equal(cs_rules_check_inputs(CS_STAGE_CELL,
                                           CS_STEP_SPONSOR1 | CS_STEP_SPONSOR2 | CS_STEP_YOUTH,
                                           &field, err, sizeof(err)),
                     0);
    assert_int_equal(cs_rules_check_inputs(CS_STAGE_CLASS, 0, &field, err, sizeof(err)), 0);
    assert_int_equal(
        cs_rules_check_inputs(CS_STAGE_CLASS, CS_STEP_HELPER, &field, err, sizeof(err)), CS_EINVAL);
    assert_string_equal(field, "helper");
    assert_non_null(strstr(err, "'helper assigned', not at 'awareness class passed'"));
    assert_int_equal(
        cs_rules_check_inputs(CS_STAGE_APPLIED, CS_STEP_SPONSOR2, &field, err, sizeof(err)),
        CS_EINVAL);
    assert_string_equal(field, "sponsor2");
    assert_int_equal(
        cs_rules_check_inputs(CS_STAGE_HELPER, CS_STEP_YOUTH, &field, err, sizeof(err)), CS_EINVAL);
    assert_string_equal(field, "youth_union_resolution_on");
    assert_int_equal(cs_rules_check_inputs((enum cs_stage)99, 0, NULL, err, sizeof(err)),
                     CS_EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_garbage),
        cmocka_unit_test(test_round_trip_every_day),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_weekday),
        cmocka_unit_test(test_add_months),
        cmocka_unit_test(test_months_between),
        cmocka_unit_test(test_today_override),
        cmocka_unit_test(test_fixed_holidays),
        cmocka_unit_test(test_working_days_weekend_and_holiday),
        cmocka_unit_test(test_holidays_add),
        cmocka_unit_test(test_holiday_file),
        cmocka_unit_test(test_holiday_file_bad_line),
        cmocka_unit_test(test_rule_codes),
        cmocka_unit_test(test_stage_order),
        cmocka_unit_test(test_withdrawn),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_helper),
        cmocka_unit_test(test_age),
        cmocka_unit_test(test_sponsors),
        cmocka_unit_test(test_sponsor_months),
        cmocka_unit_test(test_class_certificate),
        cmocka_unit_test(test_ceremony_deadline),
        cmocka_unit_test(test_probation_and_conversion),
        cmocka_unit_test(test_waived),
        cmocka_unit_test(test_due),
        cmocka_unit_test(test_inputs),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
