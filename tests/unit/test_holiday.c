/* SPDX-License-Identifier: MIT */
/*
 * The list of the holidays a device counts with (cs_holiday_list): the
 * announced records of a year, the built-in holidays no record overrides,
 * and the days of the device's own file, by date; JSON keeps codes and ISO
 * dates.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/holiday.h"

static int32_t
D(const char *s)
{
    int32_t d;
    assert_int_equal(cs_date_parse(s, &d, NULL, 0), 0);
    return d;
}

/* The rows of the list as "day|kind|name|unit" lines; the JSON array as it is. */
static void
rows(sqlite3_stmt *st, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    while (sqlite3_step(st) == SQLITE_ROW && o < len) {
        if (sqlite3_column_count(st) == 1) {
            snprintf(buf, len, "%s", sqlite3_column_text(st, 0));
            return;
        }
        const unsigned char *u = sqlite3_column_text(st, 3);
        int n = snprintf(buf + o, len - o, "%s|%s|%s|%s\n", sqlite3_column_text(st, 0),
                         sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
                         u != NULL ? (const char *)u : "-");
        o += n > 0 ? (size_t)n : 0;
    }
}

static void
test_list(void **state)
{
    (void)state;
    struct cs_replica *r;
    struct cs_date_holidays *mine;
    struct cs_id site;
    sqlite3_stmt *st = NULL;
    char err[256] = "", got[4096];

    cs_id_new(&site);
    assert_int_equal(cs_replica_open(&r, ":memory:", CS_REPLICA_CREATE, &site, err, sizeof(err)),
                     0);
    assert_int_equal(cs_holiday_set(r, "XA", D("2027-02-10"), "Nghỉ bù", false, err, sizeof(err)),
                     0);
    /* A record wins over the built-in day: 2 September worked. */
    assert_int_equal(cs_holiday_set(r, "XA", D("2027-09-02"), "Làm", true, err, sizeof(err)), 0);
    assert_int_equal(cs_holiday_set(r, "XA", D("2026-12-31"), "Cuối năm", false, err, sizeof(err)),
                     0);
    assert_int_equal(cs_date_holidays_new(&mine), 0);
    assert_int_equal(cs_date_holidays_add(mine, D("2027-07-01")), 0);
    assert_int_equal(cs_date_holidays_add(mine, D("2027-01-01")), 0); /* built in already */

    assert_int_equal(cs_holiday_list(cs_replica_db(r), 2027, mine, 1, &st, err, sizeof(err)), 0);
    rows(st, got, sizeof(got));
    sqlite3_finalize(st);
    assert_non_null(strstr(got, "\"date\":\"2027-01-01\",\"kind\":\"built_in\""));
    assert_non_null(strstr(got, "\"date\":\"2027-02-10\",\"kind\":\"off\",\"name\":\"Nghỉ bù\""));
    assert_non_null(strstr(got, "\"date\":\"2027-07-01\",\"kind\":\"local\""));
    assert_non_null(strstr(got, "\"date\":\"2027-09-02\",\"kind\":\"working\""));
    assert_null(strstr(got, "\"date\":\"2027-09-02\",\"kind\":\"built_in\""));
    assert_null(strstr(got, "2026-12-31"));
    /* 1 January once: the device's own copy of a built-in day is not listed twice. */
    assert_null(strstr(strstr(got, "2027-01-01") + 1, "2027-01-01"));

    /* The table: labels; without a year, the records of every year and nothing else. */
    assert_int_equal(cs_holiday_list(cs_replica_db(r), 0, NULL, 0, &st, err, sizeof(err)), 0);
    rows(st, got, sizeof(got));
    sqlite3_finalize(st);
    assert_string_equal(got, "2026-12-31|day off|Cuối năm|XA\n"
                             "2027-02-10|day off|Nghỉ bù|XA\n"
                             "2027-09-02|working day|Làm|XA\n");
    cs_date_holidays_free(mine);
    cs_replica_close(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
