/* SPDX-License-Identifier: MIT */
/*
 * The Vietnamese collation: names in the order a Vietnamese list is read,
 * through SQLite's ORDER BY ... COLLATE vi as the commands use it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <string.h>

#include "cellsync/codes.h"

static int
cmp(const char *a, const char *b)
{
    return cs_collate_vi(NULL, (int)strlen(a), a, (int)strlen(b), b);
}

static void
test_pairs(void **state)
{
    (void)state;
    /* The alphabet: đ after d, before e; ă and â after a; ơ after ô; ư after u. */
    assert_true(cmp("Dung", "Đinh") < 0);
    assert_true(cmp("Đinh", "Em") < 0);
    assert_true(cmp("Đỗ", "Yên") < 0);
    assert_true(cmp("Anh", "Ăn") < 0);
    assert_true(cmp("Ăn", "Ân") < 0);
    assert_true(cmp("Ân", "Bình") < 0);
    assert_true(cmp("Ông", "Ơn") < 0);
    assert_true(cmp("Út", "Ưng") < 0);
    assert_true(cmp("Ưng", "Vân") < 0);
    /* Tones decide only between names equal without them, in dictionary order. */
    assert_true(cmp("Ma", "Mà") < 0);
    assert_true(cmp("Mà", "Mả") < 0);
    assert_true(cmp("Mả", "Mã") < 0);
    assert_true(cmp("Mã", "Má") < 0);
    assert_true(cmp("Má", "Mạ") < 0);
    assert_true(cmp("Mạ", "Mai") < 0); /* the letters first: "ma" < "mai" */
    /* Case last; equal only when the same. */
    assert_true(cmp("lò", "Lò") < 0);
    assert_int_equal(cmp("Lò Văn Sỹ", "Lò Văn Sỹ"), 0);
    /* A space before any letter: the family name alone first. */
    assert_true(cmp("Lò Văn", "Lòa") < 0);
    /* Decomposed input (NFD: o + U+0300) sorts as the precomposed letter. */
    assert_true(cmp("L\x6f\xcc\x80", "Lo") > 0);
    assert_true(cmp("L\x6f\xcc\x80", "Lõ") < 0);
    /* u + horn (U+031B) is ư. */
    assert_true(cmp("u\xcc\x9bng", "Ưng") < 0); /* equal letters, lower case first */
    assert_true(cmp("u\xcc\x9bng", "Vân") < 0);
    assert_true(cmp("u\xcc\x9bng", "Út") > 0);
}

static void
test_order_by(void **state)
{
    (void)state;
    static const char *const want[] = {"Bùi Thị Lan", "Đinh Văn Thắng", "Hà Văn Dũng",
                                       "Lò Thị Hoa",  "Lò Văn Pả",      "Nguyễn Văn Sỹ",
                                       "Ông Văn Út",  "Ơn Thị Mai",     "Ưng Văn Bảy"};
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(cs_codes_sql_register(db), 0);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE p(name TEXT)", NULL, NULL, NULL), SQLITE_OK);
    /* Inserted backwards, so byte order and insertion order are both wrong. */
    for (size_t i = sizeof(want) / sizeof(want[0]); i > 0; i--) {
        assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO p VALUES (?1)", -1, &st, NULL),
                         SQLITE_OK);
        sqlite3_bind_text(st, 1, want[i - 1], -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_finalize(st);
    }
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT name FROM p ORDER BY name COLLATE vi", -1, &st, NULL),
        SQLITE_OK);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(st, 0), want[i]);
    }
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static int
cmp_name(const char *a, const char *b)
{
    return cs_collate_vi_name(NULL, (int)strlen(a), a, (int)strlen(b), b);
}

/* A roll of people: by the given name (the last word), then the rest, then the whole. */
static void
test_given_name(void **state)
{
    (void)state;
    assert_true(cmp_name("Nguyễn Văn An", "Lê Thị Bình") < 0);
    assert_true(cmp_name("Lê Thị Bình", "Nguyễn Văn An") > 0);
    /* The same given name: the family and middle names decide, in Vietnamese order. */
    assert_true(cmp_name("Đinh Văn An", "Nguyễn Văn An") < 0);
    assert_true(cmp_name("Nguyễn Thị An", "Nguyễn Văn An") < 0);
    assert_true(cmp_name("Dương An", "Đinh An") < 0);
    /* Given names in the alphabet's order, tones after letters: Hoa, Hòa, Hoan. */
    assert_true(cmp_name("Vũ Hoa", "Lê Hòa") < 0);
    assert_true(cmp_name("Lê Hòa", "Bùi Hoan") < 0);
    assert_true(cmp_name("Nguyễn Văn Út", "Lò Thị Ưng") < 0); /* u before ư */
    /* One word; spaces around; NFD as NFC; only equal strings are equal. */
    assert_true(cmp_name("An", "Nguyễn An") < 0);
    assert_true(cmp_name("Nguyễn Văn An ", "Lê Thị Bình") < 0);
    assert_true(cmp_name("Le Thi Hoa", "Lê Thị Hoa") < 0);
    assert_true(cmp_name("Lò Thị Mai", "Lo\xcc\x80 Thi\xcc\xa3 Mai") != 0);
    assert_true(cmp_name("Lò Thị Mai", "Lò Thị Mai") == 0);
    assert_true(cmp_name("", "An") < 0);

    static const char *const want[] = {"Nguyễn Văn An", "Trần An",    "Lê Thị Bình",
                                       "Giàng Thị Dợ",  "Lò Thị Mai", "Nguyễn Văn Sỹ",
                                       "Đinh Văn Thắng"};
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(cs_codes_sql_register(db), 0);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE p(name TEXT)", NULL, NULL, NULL), SQLITE_OK);
    for (size_t i = sizeof(want) / sizeof(want[0]); i > 0; i--) {
        assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO p VALUES (?1)", -1, &st, NULL),
                         SQLITE_OK);
        sqlite3_bind_text(st, 1, want[i - 1], -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_finalize(st);
    }
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT name FROM p ORDER BY name COLLATE vi_name", -1, &st, NULL),
        SQLITE_OK);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(st, 0), want[i]);
    }
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_order_by),
        cmocka_unit_test(test_given_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
