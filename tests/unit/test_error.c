/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the error table: every CS_E* code has its own message and
 * name, -errno falls through to the C library, and anything else is reported
 * as unknown rather than crashing a log line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"

struct entry {
    int code;
    const char *name;
    const char *msg;
};

/* Built from the same X-macro as the enum, so a new code is tested at once. */
static const struct entry table[] = {
#define XX(name, val, msg) {CS_E##name, "CS_E" #name, msg},
    CS_ERRNO_MAP(XX)
#undef XX
};

#define TABLE_LEN (sizeof(table) / sizeof(table[0]))

/*
 * The table above proves only that error.c uses the X-macro. These are written out by
 * hand: a renumbered code, a swapped name or an edited message fails here. The numbers
 * travel (the code of an ERROR message on the wire) and the texts are in po/vi.po.
 */
static const struct entry by_hand[] = {
    {-1000, "CS_ENOMEM", "out of memory"},
    {-1007, "CS_ETOOBIG", "size is over the limit"},
    {-1011, "CS_ETRUNCATED", "message is truncated"},
    {-1015, "CS_EDECRYPT", "cannot decrypt: data was altered or sent to another key"},
    {-1023, "CS_EBUSY", "the database is in use by another program"},
    {-1031, "CS_ESITE", "the database belongs to another device"},
    {-1032, "CS_EREVOKED", "the device was revoked at the hub"},
    {-1033, "CS_EEXPIRED", "the session reached its maximum lifetime"},
};

static void
test_codes_have_message_and_name(void **state)
{
    (void)state;
    for (size_t i = 0; i < TABLE_LEN; i++) {
        const char *msg = cs_strerror(table[i].code);
        const char *name = cs_err_name(table[i].code);
        assert_non_null(msg);
        assert_true(msg[0] != '\0');
        assert_string_equal(msg, table[i].msg);
        assert_string_equal(name, table[i].name);
        assert_int_equal(strncmp(name, "CS_E", 4), 0);
        assert_true(name[4] != '\0');
    }
}

static void
test_codes_by_hand(void **state)
{
    (void)state;
    assert_int_equal(CS_ENOMEM, -1000);
    assert_int_equal(CS_ETOOBIG, -1007);
    assert_int_equal(CS_ETRUNCATED, -1011);
    assert_int_equal(CS_EDECRYPT, -1015);
    assert_int_equal(CS_EBUSY, -1023);
    assert_int_equal(CS_ESITE, -1031);
    for (size_t i = 0; i < sizeof(by_hand) / sizeof(by_hand[0]); i++) {
        assert_string_equal(cs_err_name(by_hand[i].code), by_hand[i].name);
        assert_string_equal(cs_strerror(by_hand[i].code), by_hand[i].msg);
    }
}

static void
test_codes_are_distinct(void **state)
{
    (void)state;
    assert_true(TABLE_LEN > 0);
    for (size_t i = 0; i < TABLE_LEN; i++) {
        /* Project codes stay clear of the -errno range. */
        assert_true(table[i].code <= -1000);
        for (size_t j = i + 1; j < TABLE_LEN; j++) {
            assert_int_not_equal(table[i].code, table[j].code);
            assert_string_not_equal(cs_strerror(table[i].code), cs_strerror(table[j].code));
            assert_string_not_equal(cs_err_name(table[i].code), cs_err_name(table[j].code));
        }
    }
}

static void
test_errno_passes_through(void **state)
{
    (void)state;
    assert_string_equal(cs_strerror(-ENOENT), strerror(ENOENT));
    assert_string_equal(cs_err_name(-ENOENT), "ENOENT");
    assert_string_equal(cs_strerror(-EACCES), strerror(EACCES));
    assert_string_equal(cs_err_name(-EACCES), "EACCES");
    /* Ours or not: errno values, success and numbers beside the table are not. */
    assert_false(cs_err_is_ours(-ENOENT));
    assert_false(cs_err_is_ours(0));
    assert_false(cs_err_is_ours(-999));
    assert_true(cs_err_is_ours(CS_ENOMEM));
    assert_true(cs_err_is_ours(CS_ETOOBIG));
}

static void
test_success(void **state)
{
    (void)state;
    assert_string_equal(cs_strerror(0), "success");
    assert_string_equal(cs_err_name(0), "OK");
}

static void
test_unknown(void **state)
{
    (void)state;
    /* Positive values and codes below the table are not ours to name. */
    static const int unknown[] = {1, 42, -5000, -1000 - (int)TABLE_LEN - 100};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_string_equal(cs_strerror(unknown[i]), "unknown error");
        assert_string_equal(cs_err_name(unknown[i]), "UNKNOWN");
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_have_message_and_name),
        cmocka_unit_test(test_codes_by_hand),
        cmocka_unit_test(test_codes_are_distinct),
        cmocka_unit_test(test_errno_passes_through),
        cmocka_unit_test(test_success),
        cmocka_unit_test(test_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
