/* SPDX-License-Identifier: MIT */
/*
 * Attendance at a meeting (cellsync/attend.h) on a real replica: several
 * members in one call, a second record changing the row instead of adding
 * one (and its reason), nothing written when one fails, and the members a
 * meeting expects (its unit's live members, not those gone, in roll order).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/attend.h"
#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/replica.h"

static struct cs_replica *
open_mem(void)
{
    struct cs_replica *r;
    struct cs_id site;
    char err[256];
    memset(site.b, 1, sizeof(site.b));
    assert_int_equal(cs_replica_open(&r, ":memory:", CS_REPLICA_CREATE, &site, err, sizeof(err)),
                     0);
    assert_int_equal(cs_codes_sql_register(cs_replica_db(r)), 0);
    return r;
}

/* A live row of table in unit org, with a text column set (NULL: none). */
static struct cs_id
add(struct cs_replica *r, const char *table, const char *org, const char *column, const char *value,
    const char *status)
{
    struct cs_id id;
    char err[256];
    cs_id_new(&id);
    assert_int_equal(cs_replica_begin(r, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_set_text(r, table, &id, "org_unit", org, err, sizeof(err)), 0);
    if (column != NULL)
        assert_int_equal(cs_replica_set_text(r, table, &id, column, value, err, sizeof(err)), 0);
    if (status != NULL)
        assert_int_equal(cs_replica_set_text(r, table, &id, "status", status, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_commit(r, err, sizeof(err)), 0);
    return id;
}

/* "present|reason" of the member's live row, or "none". */
static const char *
row_of(struct cs_replica *r, const struct cs_id *meeting, const struct cs_id *member, char *buf,
       size_t len)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(cs_replica_db(r),
                                        "SELECT present || '|' || coalesce(reason, ''), count(*)"
                                        " OVER () FROM attendance WHERE meeting = ?1"
                                        " AND member = ?2 AND cl % 2 = 1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, meeting->b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, member->b, CS_ID_LEN, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        assert_int_equal(sqlite3_column_int(st, 1), 1); /* one row per member, never two */
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
    } else {
        snprintf(buf, len, "none");
    }
    sqlite3_finalize(st);
    return buf;
}

static void
test_record(void **state)
{
    (void)state;
    struct cs_replica *r = open_mem();
    struct cs_id mt = add(r, "meeting", "C17", "held_on", "2026-03-01", NULL);
    struct cs_id a = add(r, "member", "C17", "full_name", "Đinh Văn Thắng", NULL);
    struct cs_id b = add(r, "member", "C17", "full_name", "Lò Thị Mai", NULL);
    char err[256], buf[128];
    bool found;
    struct cs_id row;

    struct cs_attend first[] = {{a, true, NULL}, {b, false, "đi làm nương"}};
    assert_int_equal(cs_attend_record(r, &mt, first, 2, err, sizeof(err)), 0);
    assert_string_equal(row_of(r, &mt, &a, buf, sizeof(buf)), "1|");
    assert_string_equal(row_of(r, &mt, &b, buf, sizeof(buf)), "0|đi làm nương");
    assert_int_equal(cs_attend_find(cs_replica_db(r), &mt, &b, &row, &found), 0);
    assert_true(found);

    /* Again: the same rows change; a reason not given again is cleared. */
    struct cs_attend again[] = {{b, true, NULL}, {a, false, "ốm"}};
    assert_int_equal(cs_attend_record(r, &mt, again, 2, err, sizeof(err)), 0);
    assert_string_equal(row_of(r, &mt, &a, buf, sizeof(buf)), "0|ốm");
    assert_string_equal(row_of(r, &mt, &b, buf, sizeof(buf)), "1|");

    /* One that fails (a reason longer than any value may be) leaves every row as it was. */
    size_t big = CS_VALUE_MAX + 2;
    char *longer = malloc(big);
    assert_non_null(longer);
    memset(longer, 'x', big - 1);
    longer[big - 1] = 0;
    struct cs_attend bad[] = {{b, false, "ốm"}, {a, false, longer}};
    assert_int_not_equal(cs_attend_record(r, &mt, bad, 2, err, sizeof(err)), 0);
    assert_true(err[0] != 0);
    free(longer);
    assert_string_equal(row_of(r, &mt, &b, buf, sizeof(buf)), "1|");
    assert_string_equal(row_of(r, &mt, &a, buf, sizeof(buf)), "0|ốm");
    cs_replica_close(r);
}

static void
test_expected(void **state)
{
    (void)state;
    struct cs_replica *r = open_mem();
    sqlite3 *db = cs_replica_db(r);
    struct cs_id mt = add(r, "meeting", "C17", "held_on", "2026-03-01", NULL);
    struct cs_id bare = add(r, "meeting", "C18", "held_on", "2026-03-01", NULL);
    /* Roll order is by the given name: An before Bình. */
    struct cs_id binh = add(r, "member", "C17", "full_name", "Lê Thị Bình", "official");
    struct cs_id an = add(r, "member", "C17", "full_name", "Nguyễn Văn An", NULL);
    add(r, "member", "C17", "full_name", "Hà Văn Chết", "deceased");
    add(r, "member", "C17", "full_name", "Vì Văn Đi", "transferred_out");
    add(r, "member", "C99", "full_name", "Người Xã Khác", "official");
    struct cs_id *ids = NULL, none;
    size_t n = 0;
    char err[256];

    assert_int_equal(cs_attend_expected(db, &mt, &ids, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(ids[0].b, an.b, CS_ID_LEN);
    assert_memory_equal(ids[1].b, binh.b, CS_ID_LEN);
    free(ids);

    assert_int_equal(cs_attend_expected(db, &bare, &ids, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);
    assert_null(ids);

    cs_id_new(&none);
    assert_int_equal(cs_attend_expected(db, &none, &ids, &n, err, sizeof(err)), CS_ENOTFOUND);
    assert_null(ids);
    cs_replica_close(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record),
        cmocka_unit_test(test_expected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
