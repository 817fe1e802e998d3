/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the client's output helpers: tables line up by what a
 * terminal shows (Vietnamese tones in precomposed or combining form, wide
 * CJK), numbers sit on the right, NULL is "-", JSON comes out of SQLite
 * untouched, and show-style records align their translated labels; a table
 * wider than $COLUMNS becomes blocks of such lines, and colours take no
 * column. Each
 * layout is checked in the C locale and in C.UTF-8, which must agree (the
 * widths are utf8proc's, whatever the locale).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cellsync/error.h"
#include "cellsync/output.h"

/* "Nguyễn" spelt with combining circumflex and tilde: 8 code points, 6 columns. */
#define COMBINING "Nguye\xcc\x82\xcc\x83n"

static sqlite3 *
open_db(void)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    const char *sql = "CREATE TABLE member(id INTEGER PRIMARY KEY, name TEXT, score REAL,"
                      "                    note TEXT);"
                      "INSERT INTO member VALUES (1, 'Nguyễn Văn Sỹ', 12.5, 'chi bộ');"
                      "INSERT INTO member VALUES (22, '" COMBINING "', NULL, NULL);"
                      "INSERT INTO member VALUES (333, '山田', 7, 'x');";
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    return db;
}

static sqlite3_stmt *
prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    return st;
}

/* Output of one helper call as a string; the caller frees it. */
struct capture {
    char *buf;
    size_t len;
    FILE *f;
};

static void
capture_open(struct capture *c)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
}

static char *
capture_close(struct capture *c)
{
    assert_int_equal(fclose(c->f), 0);
    return c->buf;
}

/* Runs the checks of one test in C and, where glibc has it, in C.UTF-8. */
static void
in_both_locales(void (*check)(void))
{
    assert_non_null(setlocale(LC_CTYPE, "C"));
    check();
    if (setlocale(LC_CTYPE, "C.UTF-8") != NULL) {
        check();
        setlocale(LC_CTYPE, "C");
    }
}

static void
check_table(void)
{
    static const char *const headers[] = {"ID", "Name", "Score", "Note"};
    /* Name is 13 columns wide ("Nguyễn Văn Sỹ"); ID and Score are numeric. */
    static const char want[] = " ID  Name           Score  Note\n"
                               "  1  Nguyễn Văn Sỹ   12.5  chi bộ\n"
                               " 22  " COMBINING "             -  -\n"
                               "333  山田             7.0  x\n";
    sqlite3 *db = open_db();
    sqlite3_stmt *st = prepare(db, "SELECT id, name, score, note FROM member ORDER BY id");
    struct capture c;
    char err[256] = "";
    capture_open(&c);
    assert_int_equal(cs_out_table(c.f, st, headers, err, sizeof(err)), 0);
    char *got = capture_close(&c);
    assert_string_equal(got, want);
    free(got);

    /* The statement was reset: it runs again, with column names as headers. */
    capture_open(&c);
    assert_int_equal(cs_out_table(c.f, st, NULL, err, sizeof(err)), 0);
    got = capture_close(&c);
    assert_string_equal(got, " id  name           score  note\n"
                             "  1  Nguyễn Văn Sỹ   12.5  chi bộ\n"
                             " 22  " COMBINING "             -  -\n"
                             "333  山田             7.0  x\n");
    free(got);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void
test_table(void **state)
{
    (void)state;
    in_both_locales(check_table);
}

static void
test_table_mixed_and_empty(void **state)
{
    (void)state;
    sqlite3 *db = open_db();
    /* A number in a text column is right-aligned, the column is not. */
    sqlite3_stmt *st = prepare(db, "SELECT 'bộ' AS a, x'00ff' AS b UNION ALL SELECT 1234, NULL");
    struct capture c;
    char err[256] = "";
    capture_open(&c);
    assert_int_equal(cs_out_table(c.f, st, NULL, err, sizeof(err)), 0);
    char *got = capture_close(&c);
    assert_string_equal(got, "a     b\n"
                             "bộ    00ff\n"
                             "1234  -\n");
    free(got);
    sqlite3_finalize(st);

    /* No rows: the header alone, as wide as itself. */
    static const char *const headers[] = {"Name", NULL};
    st = prepare(db, "SELECT name, id FROM member WHERE id < 0");
    capture_open(&c);
    assert_int_equal(cs_out_table(c.f, st, headers, err, sizeof(err)), 0);
    got = capture_close(&c);
    assert_string_equal(got, "Name  id\n");
    free(got);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void
test_table_error(void **state)
{
    (void)state;
    sqlite3 *db = open_db();
    /* Two rows come out before the third fails: nothing is printed or leaked. */
    sqlite3_stmt *st = prepare(
        db, "SELECT abs(column1), 'text' FROM (VALUES (1), (2), (-9223372036854775807 - 1))");
    struct capture c;
    char err[256] = "";
    capture_open(&c);
    assert_int_equal(cs_out_table(c.f, st, NULL, err, sizeof(err)), CS_ESQLITE);
    assert_non_null(strstr(err, "integer overflow"));
    char *got = capture_close(&c);
    assert_string_equal(got, "");
    free(got);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void
test_json(void **state)
{
    (void)state;
    sqlite3 *db = open_db();
    sqlite3_stmt *st = prepare(db, "SELECT json_group_array(json_object('id', id, 'name', name,"
                                   "                                    'score', score))"
                                   "  FROM (SELECT * FROM member WHERE id > ?1 ORDER BY id)");
    assert_int_equal(sqlite3_bind_int(st, 1, 0), SQLITE_OK);
    struct capture c;
    char err[256] = "";
    capture_open(&c);
    assert_int_equal(cs_out_json(c.f, st, err, sizeof(err)), 0);
    char *got = capture_close(&c);
    assert_string_equal(got, "[{\"id\":1,\"name\":\"Nguyễn Văn Sỹ\",\"score\":12.5},"
                             "{\"id\":22,\"name\":\"" COMBINING "\",\"score\":null},"
                             "{\"id\":333,\"name\":\"山田\",\"score\":7.0}]\n");
    free(got);

    /* An empty list is still a list. */
    assert_int_equal(sqlite3_bind_int(st, 1, 1000), SQLITE_OK);
    capture_open(&c);
    assert_int_equal(cs_out_json(c.f, st, err, sizeof(err)), 0);
    got = capture_close(&c);
    assert_string_equal(got, "[]\n");
    free(got);
    sqlite3_finalize(st);

    /* A show with no match has no row at all. */
    st = prepare(db, "SELECT json_object('id', id) FROM member WHERE id = 4");
    capture_open(&c);
    assert_int_equal(cs_out_json(c.f, st, err, sizeof(err)), CS_ENOTFOUND);
    assert_string_equal(err, cs_strerror(CS_ENOTFOUND)); /* every failure says what it is */
    got = capture_close(&c);
    assert_string_equal(got, "");
    free(got);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void
check_kv(void)
{
    /* Label widths 2, 9, 4, 7: values start one column after "Họ và tên:". */
    static const char *const labels[] = {"Mã", "Họ và tên", "Điểm", "Ghi chú"};
    sqlite3 *db = open_db();
    sqlite3_stmt *st = prepare(db, "SELECT id, name, score, note FROM member WHERE id = ?1");
    assert_int_equal(sqlite3_bind_int(st, 1, 22), SQLITE_OK);
    struct capture c;
    char err[256] = "";
    capture_open(&c);
    assert_int_equal(cs_out_kv(c.f, st, labels, err, sizeof(err)), 0);
    char *got = capture_close(&c);
    assert_string_equal(got, "Mã:        22\n"
                             "Họ và tên: " COMBINING "\n"
                             "Điểm:      -\n"
                             "Ghi chú:   -\n");
    free(got);

    assert_int_equal(sqlite3_bind_int(st, 1, 1), SQLITE_OK);
    capture_open(&c);
    assert_int_equal(cs_out_kv(c.f, st, NULL, err, sizeof(err)), 0);
    got = capture_close(&c);
    assert_string_equal(got, "id:    1\n"
                             "name:  Nguyễn Văn Sỹ\n"
                             "score: 12.5\n"
                             "note:  chi bộ\n");
    free(got);

    assert_int_equal(sqlite3_bind_int(st, 1, 4), SQLITE_OK);
    capture_open(&c);
    assert_int_equal(cs_out_kv(c.f, st, labels, err, sizeof(err)), CS_ENOTFOUND);
    got = capture_close(&c);
    assert_string_equal(got, "");
    free(got);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void
test_kv(void **state)
{
    (void)state;
    in_both_locales(check_kv);
}

static void
check_width(void)
{
    assert_int_equal(cs_out_width("Nguyễn Văn Sỹ", strlen("Nguyễn Văn Sỹ")), 13);
    assert_int_equal(cs_out_width(COMBINING, strlen(COMBINING)), 6);
    assert_int_equal(cs_out_width("山田", strlen("山田")), 4);
    assert_int_equal(cs_out_width("a\xff"
                                  "b",
                                  3),
                     3);                              /* a stray byte takes one column */
    assert_int_equal(cs_out_width("\xe1\xbb", 2), 2); /* so does a cut sequence */
    assert_int_equal(cs_out_width("", 0), 0);
}

static void
test_width(void **state)
{
    (void)state;
    in_both_locales(check_width);
}

/* A colour around a cell takes no column: "overdue" in bold red is 7 columns. */
static void
test_width_colour(void **state)
{
    (void)state;
    static const char red[] = CS_OUT_RED "quá hạn" CS_OUT_PLAIN;
    assert_int_equal(cs_out_width(red, strlen(red)), 7);
    assert_int_equal(cs_out_width("\033[", 2), 0); /* cut short: nothing to show */
}

/*
 * Wider than $COLUMNS, each row is a block of "label: value" lines, blank
 * lines between; as wide or narrower, the table. A memory stream is no
 * terminal, so without $COLUMNS there is no limit.
 */
static void
check_table_narrow(void)
{
    static const char *const headers[] = {"ID", "Name", "Score", "Note"};
    sqlite3 *db = open_db();
    sqlite3_stmt *st = prepare(db, "SELECT id, name, score, note FROM member ORDER BY id LIMIT 2");
    struct capture c;
    char err[256] = "";

    assert_int_equal(setenv("COLUMNS", "30", 1), 0);
    capture_open(&c);
    assert_int_equal(cs_out_table(c.f, st, headers, err, sizeof(err)), 0);
    char *got = capture_close(&c);
    assert_string_equal(got, "ID:    1\n"
                             "Name:  Nguyễn Văn Sỹ\n"
                             "Score: 12.5\n"
                             "Note:  chi bộ\n"
                             "\n"
                             "ID:    22\n"
                             "Name:  " COMBINING "\n"
                             "Score: -\n"
                             "Note:  -\n");
    free(got);

    /* The table is exactly 33 columns wide: it fits in 33. */
    assert_int_equal(setenv("COLUMNS", "33", 1), 0);
    capture_open(&c);
    assert_int_equal(cs_out_table(c.f, st, headers, err, sizeof(err)), 0);
    got = capture_close(&c);
    assert_string_equal(got, "ID  Name           Score  Note\n"
                             " 1  Nguyễn Văn Sỹ   12.5  chi bộ\n"
                             "22  " COMBINING "             -  -\n");
    free(got);

    /* Not a number: no limit, as when it is unset. */
    assert_int_equal(setenv("COLUMNS", "wide", 1), 0);
    capture_open(&c);
    assert_int_equal(cs_out_table(c.f, st, headers, err, sizeof(err)), 0);
    got = capture_close(&c);
    assert_non_null(strstr(got, "ID  Name"));
    free(got);
    sqlite3_finalize(st);

    /* No rows: the header line still says which list it is. */
    assert_int_equal(setenv("COLUMNS", "5", 1), 0);
    st = prepare(db, "SELECT name, id FROM member WHERE id < 0");
    capture_open(&c);
    assert_int_equal(cs_out_table(c.f, st, headers, err, sizeof(err)), 0);
    got = capture_close(&c);
    assert_string_equal(got, "ID  Name\n");
    free(got);
    sqlite3_finalize(st);
    assert_int_equal(unsetenv("COLUMNS"), 0);
    sqlite3_close(db);
}

static void
test_table_narrow(void **state)
{
    (void)state;
    in_both_locales(check_table_narrow);
}

/* Never colour for a file or a pipe, whatever $TERM and $NO_COLOR say. */
static void
test_color(void **state)
{
    (void)state;
    struct capture c;
    assert_int_equal(setenv("TERM", "xterm", 1), 0);
    assert_int_equal(unsetenv("NO_COLOR"), 0);
    capture_open(&c);
    assert_false(cs_out_color(c.f));
    free(capture_close(&c));
    assert_false(cs_out_color(stdout) && !isatty(STDOUT_FILENO));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),        cmocka_unit_test(test_table_mixed_and_empty),
        cmocka_unit_test(test_table_error),  cmocka_unit_test(test_json),
        cmocka_unit_test(test_kv),           cmocka_unit_test(test_width),
        cmocka_unit_test(test_width_colour), cmocka_unit_test(test_table_narrow),
        cmocka_unit_test(test_color),
    };
    /* The tables above are checked at no width limit, whatever ran the tests. */
    unsetenv("COLUMNS");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
