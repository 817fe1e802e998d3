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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suggest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
