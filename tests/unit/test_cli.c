/* SPDX-License-Identifier: MIT */
/*
 * The suggestion for a word typed wrong (cs_cli_near_*, cellsync/cli.h):
 * the one name it starts, else the nearest within 2 edits, never a name
 * that has nothing in common with it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cellsync/cli.h"

static const char *const commands[] = {
    "init",      "enroll", "candidate", "member", "meeting", "due",    "status",
    "conflicts", "search", "sync",      "bundle", "report",  "target", "help",
};

static const char *
suggest(const char *typed)
{
    struct cs_cli_near n;
    cs_cli_near_init(&n, typed);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        cs_cli_near_add(&n, commands[i]);
    return cs_cli_near_best(&n);
}

static void
test_suggest(void **state)
{
    (void)state;
    /* One letter dropped, swapped (two edits), changed, added. */
    assert_string_equal(suggest("candiate"), "candidate");
    assert_string_equal(suggest("memebr"), "member");
    assert_string_equal(suggest("serach"), "search");
    assert_string_equal(suggest("statuss"), "status");
    /* The start of one name only. */
    assert_string_equal(suggest("cand"), "candidate");
    assert_string_equal(suggest("conf"), "conflicts");
    /* The start of two ("me": member, meeting) gives the nearest only if one is near. */
    assert_null(suggest("me"));
    /* Nearest of two at different distances: "sinc" is 1 from sync. */
    assert_string_equal(suggest("sinc"), "sync");
    /* Nothing near: no suggestion, rather than a wrong one. */
    assert_null(suggest("frobnicate"));
    assert_null(suggest("xy"));
    assert_null(suggest(""));
}

/* Whole numbers of options: digits only, in range, refused naming the option and the range. */
static void
test_number(void **state)
{
    (void)state;
    char err[256];
    long v = -1;

    assert_int_equal(cs_cli_number("year", "2026", CS_CLI_YEAR, CS_CLI_YEAR_MIN, CS_CLI_YEAR_MAX,
                                   &v, err, sizeof(err)),
                     0);
    assert_int_equal(v, 2026);
    static const char *const bad[] = {"20x6",  "1850",  "2101", "",     " 2026",
                                      "2026 ", "+2026", "-5",   "0x7e", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = -1;
        assert_int_not_equal(cs_cli_number("year", bad[i], CS_CLI_YEAR, CS_CLI_YEAR_MIN,
                                           CS_CLI_YEAR_MAX, &v, err, sizeof(err)),
                             0);
        assert_int_equal(v, -1);
    }
    cs_cli_number("year", "20x6", CS_CLI_YEAR, 1930, 2100, &v, err, sizeof(err));
    assert_string_equal(err, "--year: '20x6' is not a year from 1930 to 2100");
    cs_cli_number("within", "5x", CS_CLI_DAYS, 0, 100000, &v, err, sizeof(err));
    assert_string_equal(err, "--within: '5x' is not a number of days from 0 to 100000");
    cs_cli_number("timeout", "0", CS_CLI_SECONDS, 1, 86400, &v, err, sizeof(err));
    assert_string_equal(err, "--timeout: '0' is not a number of seconds from 1 to 86400");
    cs_cli_number("students", "many", CS_CLI_COUNT, 0, 1000000, &v, err, sizeof(err));
    assert_string_equal(err, "--students: 'many' is not a count from 0 to 1000000");
    assert_int_equal(cs_cli_number("within", "0", CS_CLI_DAYS, 0, 10, &v, err, sizeof(err)), 0);
    assert_int_equal(v, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_number),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
