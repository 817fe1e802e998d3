/* SPDX-License-Identifier: MIT */
/*
 * The Vietnamese lunar calendar against published dates: Tết (1/1) over
 * two centuries, including the years when Vietnam's differs from China's,
 * the Hùng Kings' day (10/3), leap months, months of 29 days, and the two
 * conversions as inverses of each other.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cellsync/date.h"
#include "cellsync/error.h"
#include "cellsync/lunar.h"

static int32_t
D(const char *s)
{
    int32_t d;
    assert_int_equal(cs_date_parse(s, &d, NULL, 0), 0);
    return d;
}

static int32_t
to_day(int y, int m, int d, bool leap, int tz)
{
    struct cs_lunar_date l = {y, m, d, leap};
    int32_t out = CS_DATE_NONE;
    assert_int_equal(cs_lunar_to_day_tz(&l, tz, &out), 0);
    return out;
}

/* Tết Nguyên Đán in Vietnam (UTC+7), as the calendars published there give it. */
static void
test_tet(void **state)
{
    (void)state;
    static const char *const tet[] = {
        "1900-01-31", "1901-02-19", "1910-02-10", "1945-02-13", "1954-02-03", "1968-01-29",
        "1975-02-11", "1979-01-28", "1985-01-21", "1990-01-27", "1995-01-31", "2000-02-05",
        "2001-01-24", "2004-01-22", "2006-01-29", "2007-02-17", "2008-02-07", "2012-01-23",
        "2015-02-19", "2019-02-05", "2020-01-25", "2021-02-12", "2022-02-01", "2023-01-22",
        "2024-02-10", "2025-01-29", "2026-02-17", "2027-02-06", "2028-01-26", "2030-02-02",
        "2053-02-18", "2061-01-21", "2099-01-21", "2100-02-09",
    };
    for (size_t i = 0; i < sizeof(tet) / sizeof(tet[0]); i++) {
        int32_t want = D(tet[i]);
        int y = cs_date_to_civil(want).y;
        assert_int_equal(to_day(y, 1, 1, false, CS_LUNAR_TZ_VIETNAM), want);
        struct cs_lunar_date l;
        assert_int_equal(cs_lunar_from_day(want, &l), 0);
        assert_int_equal(l.y, y);
        assert_int_equal(l.m, 1);
        assert_int_equal(l.d, 1);
        assert_false(l.leap);
        /* The day before is the last of the old year's 12th month. */
        assert_int_equal(cs_lunar_from_day(want - 1, &l), 0);
        assert_int_equal(l.y, y - 1);
        assert_int_equal(l.m, 12);
        assert_true(l.d == 29 || l.d == 30);
    }
}

/*
 * The same rules on UTC+8 give China's new year, a day (1968, 2007, 2030)
 * or a month (1985: Vietnam had no leap 10th month in 1984) later.
 */
static void
test_china_differs(void **state)
{
    (void)state;
    static const struct {
        int y;
        const char *vn, *cn;
    } years[] = {
        {1968, "1968-01-29", "1968-01-30"}, {1985, "1985-01-21", "1985-02-20"},
        {2007, "2007-02-17", "2007-02-18"}, {2030, "2030-02-02", "2030-02-03"},
        {2024, "2024-02-10", "2024-02-10"}, {2027, "2027-02-06", "2027-02-06"},
    };
    for (size_t i = 0; i < sizeof(years) / sizeof(years[0]); i++) {
        assert_int_equal(to_day(years[i].y, 1, 1, false, CS_LUNAR_TZ_VIETNAM), D(years[i].vn));
        assert_int_equal(to_day(years[i].y, 1, 1, false, 8 * 60), D(years[i].cn));
    }
}

/* Giỗ Tổ Hùng Vương, the 10th day of the 3rd month. */
static void
test_hung_kings(void **state)
{
    (void)state;
    static const char *const days[] = {"2012-03-31", "2019-04-14", "2020-04-02",
                                       "2021-04-21", "2022-04-10", "2023-04-29",
                                       "2024-04-18", "2025-04-07", "2026-04-26"};
    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
        int32_t want = D(days[i]);
        assert_int_equal(to_day(cs_date_to_civil(want).y, 3, 10, false, CS_LUNAR_TZ_VIETNAM), want);
    }
}

/* Leap months: 4th of 2020, 2nd of 2023, 6th of 2025 (and 2nd of 1985, not China's 10th of 1984).
 */
static void
test_leap_months(void **state)
{
    (void)state;
    static const struct {
        int y, m;
        const char *first;
    } leap[] = {{2020, 4, "2020-05-23"},
                {2023, 2, "2023-03-22"},
                {2025, 6, "2025-07-25"},
                {1985, 2, "1985-03-21"}};
    for (size_t i = 0; i < sizeof(leap) / sizeof(leap[0]); i++) {
        int32_t first = D(leap[i].first);
        struct cs_lunar_date l;
        assert_int_equal(to_day(leap[i].y, leap[i].m, 1, true, CS_LUNAR_TZ_VIETNAM), first);
        assert_int_equal(cs_lunar_from_day(first, &l), 0);
        assert_int_equal(l.m, leap[i].m);
        assert_int_equal(l.d, 1);
        assert_true(l.leap);
        /* The day before ends the ordinary month of the same number. */
        assert_int_equal(cs_lunar_from_day(first - 1, &l), 0);
        assert_int_equal(l.m, leap[i].m);
        assert_false(l.leap);
    }
}

static void
test_no_such_day(void **state)
{
    (void)state;
    int32_t out;
    /* 2024 has no leap month; the 12th month of 2024 has 29 days (no "30 Tết" in 2025). */
    struct cs_lunar_date bad[] = {
        {2024, 3, 1, true},  {2024, 12, 30, false}, {2024, 13, 1, false}, {2024, 0, 1, false},
        {2024, 1, 0, false}, {2024, 1, 31, false},  {1899, 1, 1, false},  {2201, 1, 1, false},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(cs_lunar_to_day(&bad[i], &out), CS_EINVAL);
    assert_int_equal(to_day(2024, 12, 29, false, CS_LUNAR_TZ_VIETNAM), D("2025-01-28"));
    struct cs_lunar_date l;
    assert_int_equal(cs_lunar_from_day(D("1900-01-01") - 1, &l), CS_EINVAL);
    assert_int_equal(cs_lunar_from_day(D("2200-12-31") + 1, &l), CS_EINVAL);
    assert_int_equal(cs_lunar_from_day(D("2200-12-31"), &l), 0);
}

/* Every day of 1984-2031 converts there and back; month lengths are 29 or 30. */
static void
test_round_trip(void **state)
{
    (void)state;
    struct cs_lunar_date prev = {0, 0, 0, false};
    for (int32_t d = D("1984-01-01"); d <= D("2031-12-31"); d++) {
        struct cs_lunar_date l;
        int32_t back;
        assert_int_equal(cs_lunar_from_day(d, &l), 0);
        assert_int_equal(cs_lunar_to_day(&l, &back), 0);
        assert_int_equal(back, d);
        if (l.d == 1 && prev.d != 0)
            assert_true(prev.d == 29 || prev.d == 30);
        else if (prev.d != 0)
            assert_int_equal(l.d, prev.d + 1);
        prev = l;
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tet),         cmocka_unit_test(test_china_differs),
        cmocka_unit_test(test_hung_kings),  cmocka_unit_test(test_leap_months),
        cmocka_unit_test(test_no_such_day), cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
