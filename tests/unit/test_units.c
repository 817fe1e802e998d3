/* SPDX-License-Identifier: MIT */
/*
 * The unit of a record and the refusals a device is told (issue 14): refusal
 * codes made in English and rendered back with their arguments, carried
 * through the wire's refusal message with their codes; the unit rule for a
 * cell, a committee and a device not yet enrolled; records written before
 * enrollment taking the unit; refusals kept, counted, and issued again
 * once their record is corrected.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/meta.h"
#include "cellsync/refusal.h"
#include "cellsync/refused.h"
#include "cellsync/replica.h"
#include "cellsync/unit.h"
#include "cellsync/wire.h"

static void
test_refusal_text(void **state)
{
    (void)state;
    char reason[128], shown[256];

    assert_int_equal(cs_refusal_make(reason, sizeof(reason), CS_REFUSAL_SCOPE, "CB-02", "CB-01"),
                     CS_REFUSAL_SCOPE);
    assert_string_equal(reason, "record of unit 'CB-02' is outside this device's unit 'CB-01'");
    /* No catalog here: rendered in English, from the arguments read back. */
    cs_refusal_render(CS_REFUSAL_SCOPE, reason, shown, sizeof(shown));
    assert_string_equal(shown, reason);
    /* Minutes below two hours, then hours rounded up. */
    static const char *const clock[][2] = {
        {"1", "clock is 1 minute ahead of the hub"},
        {"31", "clock is 31 minutes ahead of the hub"},
        {"119", "clock is 119 minutes ahead of the hub"},
        {"120", "clock is 2 hours ahead of the hub"},
        {"121", "clock is 3 hours ahead of the hub"},
        {"14400", "clock is 240 hours ahead of the hub"},
    };
    for (size_t i = 0; i < sizeof(clock) / sizeof(clock[0]); i++) {
        cs_refusal_make(reason, sizeof(reason), CS_REFUSAL_CLOCK, clock[i][0]);
        assert_string_equal(reason, clock[i][1]);
        cs_refusal_render(CS_REFUSAL_CLOCK, reason, shown, sizeof(shown));
        assert_string_equal(shown, reason);
    }
    /* An older hub's text in hours is read back too. */
    cs_refusal_render(CS_REFUSAL_CLOCK, "clock is 1 hour ahead of the hub", shown, sizeof(shown));
    assert_string_equal(shown, "clock is 1 hour ahead of the hub");
    cs_refusal_make(reason, sizeof(reason), CS_REFUSAL_COLUMN, "candidate", "decision_on");
    assert_string_equal(reason, "admission decisions are the committee's: a cell may not write "
                                "'candidate.decision_on'");
    assert_int_equal(cs_refusal_make(reason, sizeof(reason), CS_REFUSAL_NO_UNIT), 4);
    assert_string_equal(reason, "the record belongs to no unit");
    /* A text that does not match its code (an older hub's, in its language) is shown as sent. */
    cs_refusal_render(CS_REFUSAL_SCOPE, "hồ sơ nằm ngoài đơn vị", shown, sizeof(shown));
    assert_string_equal(shown, "hồ sơ nằm ngoài đơn vị");
    cs_refusal_render(CS_REFUSAL_OTHER, "anything", shown, sizeof(shown));
    assert_string_equal(shown, "anything");
    cs_refusal_render(200, "a code from a newer hub", shown, sizeof(shown));
    assert_string_equal(shown, "a code from a newer hub");
    /* Never past the buffer. */
    cs_refusal_make(reason, 20, CS_REFUSAL_SCOPE, "CB-02", "CB-01");
    assert_int_equal(strlen(reason), 19);
}

static void
test_refusal_wire(void **state)
{
    (void)state;
    struct cs_refusal rs[2];
    struct cs_msg m = {.type = CS_MSG_REFUSED, .seq_first = 1, .seq_last = 2}, o;
    uint8_t *buf;
    size_t len;

    memset(rs, 0, sizeof(rs));
    for (int i = 0; i < 2; i++) {
        snprintf(rs[i].table, sizeof(rs[i].table), "member");
        snprintf(rs[i].column, sizeof(rs[i].column), "full_name");
    }
    rs[0].kind = CS_REFUSAL_NO_UNIT;
    cs_refusal_make(rs[0].reason, sizeof(rs[0].reason), CS_REFUSAL_NO_UNIT);
    rs[1].kind = 200; /* a code this version does not know */
    m.refused = rs;
    m.nrefused = 2;
    assert_int_equal(cs_msg_encode(&m, &buf, &len), 0);
    assert_int_equal(cs_msg_decode(&o, buf, len), 0);
    assert_int_equal(o.refused[0].kind, CS_REFUSAL_NO_UNIT);
    assert_string_equal(o.refused[0].reason, "the record belongs to no unit");
    assert_int_equal(o.refused[1].kind, CS_REFUSAL_OTHER);
    cs_msg_release(&o);
    free(buf);
}

static struct cs_replica *
open_mem(void)
{
    struct cs_replica *r;
    struct cs_id site;
    char err[256];
    memset(site.b, 7, sizeof(site.b));
    assert_int_equal(cs_replica_open(&r, ":memory:", CS_REPLICA_CREATE, &site, err, sizeof(err)),
                     0);
    return r;
}

static void
unit_row(struct cs_replica *r, const char *code, const char *parent)
{
    struct cs_id row;
    char err[256];
    cs_id_new(&row);
    assert_int_equal(cs_replica_begin(r, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_set_text(r, "org_unit", &row, "code", code, err, sizeof(err)), 0);
    if (parent != NULL)
        assert_int_equal(
            cs_replica_set_text(r, "org_unit", &row, "parent", parent, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_commit(r, err, sizeof(err)), 0);
}

/* A member written as a command would: its name, then the unit rule with given. */
static int
add_member(struct cs_replica *r, struct cs_id *row, const char *name, const char *given)
{
    char err[256];
    cs_id_new(row);
    assert_int_equal(cs_replica_begin(r, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_set_text(r, "member", row, "full_name", name, err, sizeof(err)), 0);
    int ret = cs_unit_write(r, "member", row, given, err, sizeof(err));
    if (ret != 0) {
        cs_replica_rollback(r);
        return ret;
    }
    assert_int_equal(cs_replica_commit(r, err, sizeof(err)), 0);
    return 0;
}

static char *
unit_of(struct cs_replica *r, const struct cs_id *row)
{
    static char out[64];
    sqlite3_stmt *st;
    out[0] = 0;
    assert_int_equal(sqlite3_prepare_v2(cs_replica_db(r),
                                        "SELECT coalesce(org_unit, '') FROM member WHERE id = ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(out, sizeof(out), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static void
test_unit_rule(void **state)
{
    (void)state;
    struct cs_replica *r = open_mem();
    struct cs_id before, a, b, c;
    char err[256];
    size_t n;

    unit_row(r, "XA", NULL);
    unit_row(r, "CB-01", "XA");
    unit_row(r, "CB-02", "XA");
    /* Before enrollment: no unit, nothing refused; enrollment gives it. */
    assert_int_equal(add_member(r, &before, "Lò Văn Trước", NULL), 0);
    assert_string_equal(unit_of(r, &before), "");
    assert_int_equal(cs_unit_adopt(r, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);
    assert_int_equal(cs_replica_meta_set(r, CS_META_ORG, "CB-01"), 0);
    assert_int_equal(cs_replica_meta_set(r, CS_META_ROLE, "cell"), 0);
    assert_int_equal(cs_unit_adopt(r, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 1);
    assert_string_equal(unit_of(r, &before), "CB-01");
    assert_int_equal(cs_unit_adopt(r, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);

    /* A cell: its own unit by default or given; another unit refused, naming both. */
    assert_int_equal(add_member(r, &a, "Đinh Văn Thắng", NULL), 0);
    assert_string_equal(unit_of(r, &a), "CB-01");
    assert_int_equal(add_member(r, &b, "Lò Thị Mai", "CB-01"), 0);
    assert_int_equal(cs_unit_check(r, "CB-02", err, sizeof(err)), CS_EINVAL);
    assert_non_null(strstr(err, "'CB-02'"));
    assert_non_null(strstr(err, "'CB-01'"));
    assert_int_equal(add_member(r, &c, "Vàng A Dính", "CB-02"), CS_EINVAL);
    assert_string_equal(unit_of(r, &c), "");
    assert_int_equal(add_member(r, &c, "Vàng A Dính", ""), CS_EINVAL);

    /* A committee: its unit and those below, not beside or above. */
    assert_int_equal(cs_replica_meta_set(r, CS_META_ORG, "XA"), 0);
    assert_int_equal(cs_replica_meta_set(r, CS_META_ROLE, "committee"), 0);
    assert_int_equal(cs_unit_check(r, "CB-02", err, sizeof(err)), 0);
    assert_int_equal(cs_unit_check(r, "XA", err, sizeof(err)), 0);
    assert_int_equal(cs_unit_check(r, "OTHER", err, sizeof(err)), CS_EINVAL);
    assert_int_equal(cs_replica_meta_set(r, CS_META_ORG, "CB-01"), 0);
    assert_int_equal(cs_unit_check(r, "XA", err, sizeof(err)), CS_EINVAL);
    /* A hub any. */
    assert_int_equal(cs_replica_meta_set(r, CS_META_ROLE, "hub"), 0);
    assert_int_equal(cs_unit_check(r, "OTHER", err, sizeof(err)), 0);
    /* Not a table placed by its unit: nothing to do. */
    assert_int_equal(cs_unit_write(r, "attendance", &a, "X", err, sizeof(err)), 0);
    cs_replica_close(r);
}

static void
test_refused_kept(void **state)
{
    (void)state;
    struct cs_replica *r = open_mem();
    struct cs_refusal f;
    struct cs_id row;
    uint64_t changes, records;
    size_t again;
    char err[256];
    sqlite3_stmt *st;

    assert_int_equal(add_member(r, &row, "Không Đơn Vị", NULL), 0);
    /* The hub refused the name as written. */
    memset(&f, 0, sizeof(f));
    snprintf(f.table, sizeof(f.table), "member");
    snprintf(f.column, sizeof(f.column), "full_name");
    f.row = row;
    f.origin = *cs_replica_site(r);
    assert_int_equal(sqlite3_prepare_v2(cs_replica_db(r),
                                        "SELECT hlc FROM cs_version WHERE col = 'full_name'", -1,
                                        &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    f.hlc = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    f.kind = CS_REFUSAL_NO_UNIT;
    cs_refusal_make(f.reason, sizeof(f.reason), CS_REFUSAL_NO_UNIT);
    assert_int_equal(cs_refused_add(r, &f, 1, 1, err, sizeof(err)), 0);
    /* Another device's refusal is not this one's to keep. */
    struct cs_refusal other = f;
    memset(other.origin.b, 9, CS_ID_LEN);
    assert_int_equal(cs_refused_add(r, &other, 1, 1, err, sizeof(err)), 0);
    assert_int_equal(cs_refused_count(r, &changes, &records), 0);
    assert_int_equal(changes, 1);
    assert_int_equal(records, 1);
    /* Not corrected yet: nothing goes again. */
    uint64_t seq = cs_replica_seq(r);
    assert_int_equal(cs_refused_retry(r, seq, (uint64_t)INT64_MAX, &again, err, sizeof(err)), 0);
    assert_int_equal(again, 0);
    /* Corrected: the refused write goes again with a new seq, and the refusal closes. */
    assert_int_equal(cs_replica_begin(r, err, sizeof(err)), 0);
    assert_int_equal(cs_unit_write(r, "member", &row, "CB-01", err, sizeof(err)), 0);
    assert_int_equal(cs_replica_commit(r, err, sizeof(err)), 0);
    seq = cs_replica_seq(r);
    assert_int_equal(cs_refused_retry(r, seq, (uint64_t)INT64_MAX, &again, err, sizeof(err)), 0);
    assert_int_equal(again, 1);
    assert_true(cs_replica_seq(r) > seq);
    assert_int_equal(cs_refused_count(r, &changes, &records), 0);
    assert_int_equal(changes, 0);
    assert_int_equal(records, 0);
    cs_replica_close(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusal_text),
        cmocka_unit_test(test_refusal_wire),
        cmocka_unit_test(test_unit_rule),
        cmocka_unit_test(test_refused_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
