/* SPDX-License-Identifier: MIT */
/*
 * The replica and its merge rule, on real SQLite databases: the four cases
 * of the rule, delete against a concurrent edit, undelete, conflict
 * resolution, unknown tables, clock drift, change-set cutting, and a
 * property test: the same versions from three devices applied in 200
 * random orders with duplicates always end in the same state, and that
 * state matches an independent oracle computed from the set of versions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellsync/date.h"
#include "cellsync/error.h"
#include "cellsync/replica.h"
#include "cellsync/util.h"
#include "cellsync/version.h"

static char tmpdir[] = "/tmp/cs_replica_XXXXXX";

static struct cs_replica *
open_mem(uint8_t site_fill)
{
    struct cs_replica *r;
    struct cs_id site;
    char err[256];
    memset(site.b, site_fill, sizeof(site.b));
    assert_int_equal(cs_replica_open(&r, ":memory:", CS_REPLICA_CREATE, &site, err, sizeof(err)),
                     0);
    return r;
}

static void
set_text(struct cs_replica *r, const struct cs_id *row, const char *col, const char *text)
{
    char err[256];
    assert_int_equal(cs_replica_begin(r, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_set_text(r, "candidate", row, col, text, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_commit(r, err, sizeof(err)), 0);
}

/* Everything `from` has, applied to `to`. */
static void
pull(struct cs_replica *to, struct cs_replica *from, struct cs_apply_stats *st)
{
    struct cs_changeset *cs;
    char err[256];
    assert_int_equal(cs_replica_changes_since(from, 0, 0, NULL, &cs, err, sizeof(err)), 0);
    int ret = cs_replica_apply(to, cs, NULL, st, err, sizeof(err));
    if (ret != 0)
        fail_msg("apply: %s", err);
    cs_changeset_free(cs);
}

/* Every version the store keeps, in its private tables (current ones, then the others). */
#define KEPT                                                                                       \
    "(SELECT hlc, seq, 0 AS state FROM cs_reg UNION ALL SELECT hlc, seq, state FROM cs_old)"

/* The one integer a query returns. */
static int64_t
count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static char *
domain_text(struct cs_replica *r, const struct cs_id *row, const char *col)
{
    static char buf[256];
    char sql[128];
    sqlite3_stmt *st;
    snprintf(sql, sizeof(sql), "SELECT %s FROM candidate WHERE id = ?1", col);
    assert_int_equal(sqlite3_prepare_v2(cs_replica_db(r), sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    buf[0] = 0;
    char *ret = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        snprintf(buf, sizeof(buf), "%s", sqlite3_column_text(st, 0));
        ret = buf;
    }
    sqlite3_finalize(st);
    return ret;
}

static int64_t
domain_cl(struct cs_replica *r, const struct cs_id *row)
{
    sqlite3_stmt *st;
    int64_t cl = -1;
    assert_int_equal(sqlite3_prepare_v2(cs_replica_db(r), "SELECT cl FROM candidate WHERE id = ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        cl = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return cl;
}

static uint64_t
conflicts(struct cs_replica *r)
{
    uint64_t n;
    assert_int_equal(cs_replica_conflict_count(r, &n), 0);
    return n;
}

static void
assert_same_state(struct cs_replica *a, struct cs_replica *b)
{
    uint8_t ha[32], hb[32];
    assert_int_equal(cs_replica_hash(a, ha), 0);
    assert_int_equal(cs_replica_hash(b, hb), 0);
    assert_memory_equal(ha, hb, 32);
}

static void
test_open_and_refusals(void **state)
{
    (void)state;
    char path[256], err[256];
    struct cs_replica *r;
    struct cs_id site, other;
    memset(site.b, 1, 16);
    memset(other.b, 2, 16);
    snprintf(path, sizeof(path), "%s/a.db", tmpdir);
    assert_int_equal(cs_replica_open(&r, path, CS_REPLICA_CREATE, &site, err, sizeof(err)), 0);
    struct cs_id row;
    cs_id_new(&row);
    set_text(r, &row, "full_name", "Lò Văn Sỹ");
    cs_replica_close(r);

    assert_int_equal(cs_replica_open(&r, path, CS_REPLICA_CREATE, &site, err, sizeof(err)),
                     CS_EEXISTS);
    assert_null(r);
    assert_int_equal(cs_replica_open(&r, path, 0, &other, err, sizeof(err)), CS_ESITE);
    assert_non_null(strstr(err, "another device"));
    assert_int_equal(cs_replica_open(&r, path, 0, NULL, err, sizeof(err)), 0);
    assert_memory_equal(cs_replica_site(r)->b, site.b, 16);
    assert_string_equal(domain_text(r, &row, "full_name"), "Lò Văn Sỹ");
    cs_replica_close(r);

    /* A hub's store has no search index; opened as one, a store made with it loses it. */
    const char *fts = "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'search_%'";
    assert_int_equal(cs_replica_open(&r, path, CS_REPLICA_NO_SEARCH, NULL, err, sizeof(err)), 0);
    assert_int_equal(count(cs_replica_db(r), fts), 0);
    set_text(r, &row, "full_name", "Lò Văn Pả");
    assert_string_equal(domain_text(r, &row, "full_name"), "Lò Văn Pả");
    cs_replica_close(r);
    assert_int_equal(cs_replica_open(&r, path, 0, NULL, err, sizeof(err)), 0);
    assert_int_equal(count(cs_replica_db(r), fts), 0);
    cs_replica_close(r);

    /* A file that is not a database, and a database that is not a replica. */
    char junk[256];
    snprintf(junk, sizeof(junk), "%s/junk.db", tmpdir);
    FILE *f = fopen(junk, "w");
    fputs("this is not a database, it is a shopping list\n", f);
    fclose(f);
    assert_int_equal(cs_replica_open(&r, junk, 0, NULL, err, sizeof(err)), CS_ECORRUPT);
    snprintf(junk, sizeof(junk), "%s/other.db", tmpdir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(junk, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_not_equal(cs_replica_open(&r, junk, 0, NULL, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "not a cellsync replica"));
    snprintf(junk, sizeof(junk), "%s/missing.db", tmpdir);
    assert_true(cs_replica_open(&r, junk, 0, NULL, err, sizeof(err)) < 0);
}

/* Rule 1 and 2: a new register is stored; the same version again is a no-op. */
static void
test_store_and_duplicate(void **state)
{
    (void)state;
    struct cs_replica *a = open_mem(1), *b = open_mem(2);
    struct cs_apply_stats st;
    struct cs_id row;
    cs_id_new(&row);
    set_text(a, &row, "full_name", "Hoàng Thị Mai");
    set_text(a, &row, "phone", "0912345678");
    pull(b, a, &st);
    assert_int_equal(st.received, 2);
    assert_int_equal(st.applied, 2);
    assert_string_equal(domain_text(b, &row, "full_name"), "Hoàng Thị Mai");
    uint64_t seq = cs_replica_seq(b);
    pull(b, a, &st);
    assert_int_equal(st.applied, 0);
    assert_int_equal(st.duplicates, 2);
    assert_int_equal(cs_replica_seq(b), seq);
    assert_same_state(a, b);
    cs_replica_close(a);
    cs_replica_close(b);
}

/* Rule 3 and 4: the larger stamp wins in any order; a concurrent loser is a conflict. */
static void
test_concurrent_edit(void **state)
{
    (void)state;
    struct cs_replica *a = open_mem(1), *b = open_mem(2), *c = open_mem(3);
    struct cs_apply_stats st;
    struct cs_id row;
    cs_id_new(&row);
    set_text(a, &row, "full_name", "Vàng A Páo");
    pull(b, a, &st);
    /* Both edit the same field without seeing each other; b's stamp is later. */
    set_text(a, &row, "full_name", "Vàng A Pao");
    set_text(b, &row, "full_name", "Vàng A Páo (Pá Vầu)");
    pull(a, b, &st);
    assert_int_equal(st.conflicts, 1);
    pull(b, a, &st);
    assert_int_equal(st.conflicts, 1);
    pull(c, b, &st);
    assert_string_equal(domain_text(a, &row, "full_name"), "Vàng A Páo (Pá Vầu)");
    assert_string_equal(domain_text(b, &row, "full_name"), "Vàng A Páo (Pá Vầu)");
    assert_string_equal(domain_text(c, &row, "full_name"), "Vàng A Páo (Pá Vầu)");
    assert_int_equal(conflicts(a), 1);
    assert_int_equal(conflicts(b), 1);
    assert_int_equal(conflicts(c), 1); /* c got both versions from b */
    assert_same_state(a, b);
    assert_same_state(b, c);

    /* Different fields edited concurrently both survive, with no conflict. */
    set_text(a, &row, "phone", "0911111111");
    set_text(b, &row, "hometown", "Xã Tả Van");
    pull(a, b, &st);
    pull(b, a, &st);
    assert_int_equal(conflicts(a), 1);
    assert_string_equal(domain_text(a, &row, "phone"), "0911111111");
    assert_string_equal(domain_text(a, &row, "hometown"), "Xã Tả Van");
    assert_same_state(a, b);

    /* A sequential edit (b saw a's value) is no conflict. */
    set_text(a, &row, "phone", "0922222222");
    pull(b, a, &st);
    set_text(b, &row, "phone", "0933333333");
    pull(a, b, &st);
    assert_int_equal(st.conflicts, 0);
    assert_int_equal(conflicts(a), 1);

    /* Resolving on one device converges everywhere. */
    char err[256];
    struct cs_value v = {.type = CS_VTEXT, .p = "Vàng A Páo", .n = strlen("Vàng A Páo")};
    assert_int_equal(cs_replica_resolve(c, "candidate", &row, "full_name", &v, err, sizeof(err)),
                     0);
    assert_int_equal(conflicts(c), 0);
    assert_int_equal(cs_replica_resolve(c, "candidate", &row, "full_name", &v, err, sizeof(err)),
                     CS_EINVAL);
    pull(a, c, &st);
    pull(b, a, &st);
    pull(c, a, &st);
    assert_int_equal(conflicts(a), 0);
    assert_int_equal(conflicts(b), 0);
    assert_string_equal(domain_text(b, &row, "full_name"), "Vàng A Páo");
    assert_same_state(a, b);
    assert_same_state(a, c);
    cs_replica_close(a);
    cs_replica_close(b);
    cs_replica_close(c);
}

static void
test_delete_vs_edit_and_undelete(void **state)
{
    (void)state;
    struct cs_replica *a = open_mem(1), *b = open_mem(2);
    struct cs_apply_stats st;
    struct cs_id row;
    char err[256];
    cs_id_new(&row);
    set_text(a, &row, "full_name", "Triệu Thị Lan");
    pull(b, a, &st);
    assert_int_equal(domain_cl(b, &row), 1);

    /* a deletes while b edits: the row is deleted, the edit is kept. */
    assert_int_equal(cs_replica_begin(a, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_delete_row(a, "candidate", &row, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_commit(a, err, sizeof(err)), 0);
    set_text(b, &row, "phone", "0977000111");
    pull(a, b, &st);
    pull(b, a, &st);
    assert_int_equal(domain_cl(a, &row), 2);
    assert_int_equal(domain_cl(b, &row), 2);
    assert_string_equal(domain_text(a, &row, "phone"), "0977000111");
    assert_same_state(a, b);

    /* Undelete on b brings the row back with the edit, everywhere. */
    assert_int_equal(cs_replica_begin(b, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_undelete_row(b, "candidate", &row, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_commit(b, err, sizeof(err)), 0);
    pull(a, b, &st);
    assert_int_equal(domain_cl(a, &row), 3);
    assert_string_equal(domain_text(a, &row, "phone"), "0977000111");

    /* Concurrent delete on both sides converges to one deletion. */
    assert_int_equal(cs_replica_begin(a, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_delete_row(a, "candidate", &row, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_commit(a, err, sizeof(err)), 0);
    pull(b, a, &st);
    assert_int_equal(cs_replica_begin(b, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_delete_row(b, "candidate", &row, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_commit(b, err, sizeof(err)), 0);
    pull(a, b, &st);
    assert_int_equal(domain_cl(a, &row), 4);
    assert_int_equal(domain_cl(b, &row), 4);
    assert_same_state(a, b);

    struct cs_id none;
    cs_id_new(&none);
    assert_int_equal(cs_replica_begin(a, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_delete_row(a, "candidate", &none, err, sizeof(err)), CS_ENOTFOUND);
    cs_replica_rollback(a);
    cs_replica_close(a);
    cs_replica_close(b);
}

static struct cs_changeset *
one_change(const char *table, const char *column, const struct cs_id *row, const char *text,
           uint64_t hlc, uint8_t origin_fill)
{
    struct cs_changeset *cs;
    struct cs_changeset_header h = {0};
    struct cs_change c = {0};
    memset(h.origin.b, origin_fill, 16);
    assert_int_equal(cs_changeset_new(&cs, &h), 0);
    c.table = table;
    c.column = column;
    c.row = *row;
    c.value.type = CS_VTEXT;
    c.value.p = text;
    c.value.n = strlen(text);
    c.hlc = hlc;
    c.origin = h.origin;
    c.cl = 1;
    assert_int_equal(cs_changeset_add(cs, &c), 0);
    return cs;
}

static void
test_unknown_and_reserved(void **state)
{
    (void)state;
    struct cs_replica *a = open_mem(1), *b = open_mem(2);
    struct cs_apply_stats st;
    char err[256];
    struct cs_id row;
    cs_id_new(&row);
    uint64_t now = cs_replica_now(a);

    /* A table from a newer schema: stored and forwarded, nothing else touched. */
    struct cs_changeset *cs = one_change("future_table", "x", &row, "hello", now, 7);
    assert_int_equal(cs_replica_apply(a, cs, NULL, &st, err, sizeof(err)), 0);
    cs_changeset_free(cs);
    pull(b, a, &st);
    assert_int_equal(st.applied, 1);
    assert_same_state(a, b);

    /* Registers named id or cl, or naming internal tables, never reach SQL. */
    cs = one_change("candidate", "id", &row, "overwrite", now + 1, 7);
    assert_int_equal(cs_replica_apply(a, cs, NULL, &st, err, sizeof(err)), 0);
    cs_changeset_free(cs);
    cs = one_change("cs_meta", "value", &row, "x", now + 2, 7);
    assert_int_equal(cs_replica_apply(a, cs, NULL, &st, err, sizeof(err)), 0);
    cs_changeset_free(cs);
    cs = one_change("candidate\"; DROP TABLE member; --", "x", &row, "x", now + 3, 7);
    assert_int_equal(cs_replica_apply(a, cs, NULL, &st, err, sizeof(err)), 0);
    cs_changeset_free(cs);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(cs_replica_db(a),
                                        "SELECT (SELECT count(*) FROM candidate),"
                                        " (SELECT count(*) FROM member),"
                                        " (SELECT value FROM cs_meta WHERE key = 'site')",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 0);
    assert_int_equal(sqlite3_column_int(q, 1), 0);
    assert_string_equal((const char *)sqlite3_column_text(q, 2),
                        "01010101-0101-0101-0101-010101010101");
    sqlite3_finalize(q);
    cs_replica_close(a);
    cs_replica_close(b);
}

static void
test_drift_refused(void **state)
{
    (void)state;
    struct cs_replica *a = open_mem(1);
    char err[256];
    struct cs_id row;
    cs_id_new(&row);
    uint64_t seq = cs_replica_seq(a);
    uint64_t now = cs_replica_now(a);
    uint64_t ahead = now + cs_hlc_make(CS_HLC_DRIFT_DEFAULT_MS + 60000, 0);
    struct cs_changeset *cs = one_change("candidate", "full_name", &row, "x", ahead, 9);
    assert_int_equal(cs_replica_apply(a, cs, NULL, NULL, err, sizeof(err)), CS_EDRIFT);
    assert_non_null(strstr(err, "ahead"));
    assert_int_equal(cs_replica_seq(a), seq);
    assert_null(domain_text(a, &row, "full_name"));
    cs_changeset_free(cs);
    cs_replica_close(a);
}

/* A row filter: the rows of the table named by ud. */
static int
only_rows_of(void *ud, const char *table, const struct cs_id *row)
{
    (void)row;
    return strcmp(table, ud) == 0;
}

static void
test_changes_since_cuts(void **state)
{
    (void)state;
    struct cs_replica *a = open_mem(1);
    char err[256];
    struct cs_changeset *cs;
    /* Five transactions of three writes each. */
    for (int t = 0; t < 5; t++) {
        struct cs_id row;
        cs_id_new(&row);
        assert_int_equal(cs_replica_begin(a, err, sizeof(err)), 0);
        assert_int_equal(cs_replica_set_text(a, "candidate", &row, "full_name", "A", err, 256), 0);
        assert_int_equal(cs_replica_set_text(a, "candidate", &row, "phone", "1", err, 256), 0);
        assert_int_equal(cs_replica_set_text(a, "candidate", &row, "sex", "male", err, 256), 0);
        /* A second write to one register in the same transaction keeps one version. */
        assert_int_equal(cs_replica_set_text(a, "candidate", &row, "phone", "2", err, 256), 0);
        assert_int_equal(cs_replica_commit(a, err, sizeof(err)), 0);
    }
    assert_int_equal(cs_replica_seq(a), 15);
    /* A limit smaller than one transaction still takes that whole transaction. */
    assert_int_equal(cs_replica_changes_since(a, 0, 60, NULL, &cs, err, sizeof(err)), 0);
    assert_int_equal(cs_changeset_count(cs), 3);
    cs_changeset_free(cs);
    /* Two transactions are about 300 bytes: 320 takes them whole (6), never 4 or 5. */
    assert_int_equal(cs_replica_changes_since(a, 0, 320, NULL, &cs, err, sizeof(err)), 0);
    assert_int_equal(cs_changeset_count(cs), 6);
    assert_int_equal(cs_changeset_header(cs)->seq_first, 1);
    assert_int_equal(cs_changeset_header(cs)->seq_last, 6);
    struct cs_change c;
    cs_changeset_get(cs, 1, &c);
    assert_string_equal(c.column, "phone");
    assert_int_equal(c.value.n, 1);
    assert_memory_equal(c.value.p, "2", 1);
    cs_changeset_free(cs);
    assert_int_equal(cs_replica_changes_since(a, 6, 0, NULL, &cs, err, sizeof(err)), 0);
    assert_int_equal(cs_changeset_count(cs), 9);
    assert_int_equal(cs_changeset_header(cs)->seq_first, 7);
    assert_int_equal(cs_changeset_header(cs)->seq_last, 15);
    cs_changeset_free(cs);
    assert_int_equal(cs_replica_changes_since(a, 15, 0, NULL, &cs, err, sizeof(err)), 0);
    assert_int_equal(cs_changeset_count(cs), 0);
    cs_changeset_free(cs);
    /* Counting reads what the sets would hold, filtered alike, without making them. */
    uint64_t n;
    assert_int_equal(cs_replica_count_since(a, 0, NULL, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 15);
    assert_int_equal(cs_replica_count_since(a, 6, NULL, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 9);
    assert_int_equal(cs_replica_count_since(a, 15, NULL, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);
    struct cs_since_filter phones = {.row_ok = only_rows_of, .ud = (void *)"candidate"};
    assert_int_equal(cs_replica_count_since(a, 0, &phones, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 15);
    phones.ud = (void *)"member";
    assert_int_equal(cs_replica_count_since(a, 0, &phones, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);
    struct cs_since_filter mine = {.only_origin = cs_replica_site(a)};
    assert_int_equal(cs_replica_count_since(a, 3, &mine, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 12);
    mine = (struct cs_since_filter){.not_origin = cs_replica_site(a)};
    assert_int_equal(cs_replica_count_since(a, 0, &mine, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);
    cs_replica_close(a);
}

static int
refuse_phone(void *ud, const struct cs_changeset *cs, size_t i, int *kind, char *reason, size_t len)
{
    struct cs_change c;
    (void)ud;
    cs_changeset_get(cs, i, &c);
    assert_int_equal(*kind, 0);
    if (strcmp(c.column, "phone") != 0)
        return 0;
    snprintf(reason, len, "no phones");
    *kind = 1;
    return 0;
}

/* As the hub's accept does when it cannot check a change: the merge fails, nothing is refused. */
static int
accept_fails(void *ud, const struct cs_changeset *cs, size_t i, int *kind, char *reason, size_t len)
{
    (void)ud;
    (void)cs;
    (void)i;
    (void)kind;
    snprintf(reason, len, "cannot check");
    return CS_EBUSY;
}

static int
count_refusal(void *ud, const struct cs_change *c, int kind, const char *reason)
{
    (void)c;
    assert_int_equal(kind, 1);
    assert_string_equal(reason, "no phones");
    ++*(int *)ud;
    return 0;
}

static int
fail_commit(void *ud, sqlite3 *db)
{
    (void)ud;
    (void)db;
    return CS_EFULL;
}

/* As the hub's hook does when its insert fails: that failure's code. */
static int
refusal_not_stored(void *ud, const struct cs_change *c, int kind, const char *reason)
{
    (void)c;
    (void)kind;
    (void)reason;
    return *(int *)ud;
}

static int
skip_row(void *ud, const char *table, const struct cs_id *row)
{
    (void)table;
    return cs_id_cmp(row, ud) != 0;
}

static void
test_filters_and_hooks(void **state)
{
    (void)state;
    struct cs_replica *a = open_mem(1), *b = open_mem(2), *c = open_mem(3);
    struct cs_apply_stats st;
    struct cs_changeset *cs;
    char err[256];
    struct cs_id r1, r2;
    cs_id_new(&r1);
    cs_id_new(&r2);
    set_text(a, &r1, "full_name", "A");
    set_text(a, &r1, "phone", "1");
    set_text(b, &r2, "full_name", "B");
    pull(a, b, NULL);

    /* Only a's own writes; then everything but a's; then all but one row. */
    struct cs_since_filter own = {.only_origin = cs_replica_site(a)};
    assert_int_equal(cs_replica_changes_since(a, 0, 0, &own, &cs, err, sizeof(err)), 0);
    assert_int_equal(cs_changeset_count(cs), 2);
    assert_int_equal(cs_changeset_header(cs)->seq_last, 3); /* b's version is covered */
    cs_changeset_free(cs);
    struct cs_since_filter others = {.not_origin = cs_replica_site(a)};
    assert_int_equal(cs_replica_changes_since(a, 0, 0, &others, &cs, err, sizeof(err)), 0);
    assert_int_equal(cs_changeset_count(cs), 1);
    cs_changeset_free(cs);
    struct cs_since_filter rows = {.row_ok = skip_row, .ud = &r1};
    assert_int_equal(cs_replica_changes_since(a, 0, 0, &rows, &cs, err, sizeof(err)), 0);
    assert_int_equal(cs_changeset_count(cs), 1);
    cs_changeset_free(cs);

    /* accept refuses one change, the rest goes in; refused is told about it. */
    int refusals = 0;
    struct cs_apply_opts opts = {.accept = refuse_phone, .refused = count_refusal, .ud = &refusals};
    assert_int_equal(cs_replica_changes_since(a, 0, 0, NULL, &cs, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_apply(c, cs, &opts, &st, err, sizeof(err)), 0);
    assert_int_equal(st.refused, 1);
    assert_int_equal(st.applied, 2);
    assert_int_equal(refusals, 1);
    assert_null(domain_text(c, &r1, "phone"));
    assert_string_equal(domain_text(c, &r1, "full_name"), "A");

    /* A failing refused hook fails the merge with its code, and nothing stays. */
    struct cs_replica *e = open_mem(5);
    int hook_rc = CS_ESQLITE;
    struct cs_apply_opts broken = {
        .accept = refuse_phone, .refused = refusal_not_stored, .ud = &hook_rc};
    assert_int_equal(cs_replica_apply(e, cs, &broken, &st, err, sizeof(err)), CS_ESQLITE);
    assert_non_null(strstr(err, "cannot record a refused change"));
    hook_rc = -ENOSPC;
    assert_int_equal(cs_replica_apply(e, cs, &broken, &st, err, sizeof(err)), -ENOSPC);
    assert_int_equal(cs_replica_seq(e), 0);
    assert_null(domain_text(e, &r1, "full_name"));
    /* So does a failing accept, before any refusal is told. */
    refusals = 0;
    struct cs_apply_opts unsure = {
        .accept = accept_fails, .refused = count_refusal, .ud = &refusals};
    assert_int_equal(cs_replica_apply(e, cs, &unsure, &st, err, sizeof(err)), CS_EBUSY);
    assert_non_null(strstr(err, "cannot check change 0"));
    assert_int_equal(refusals, 0);
    assert_int_equal(cs_replica_seq(e), 0);
    cs_replica_close(e);

    /* A failing before_commit leaves nothing behind. */
    struct cs_replica *d = open_mem(4);
    struct cs_apply_opts failing = {.before_commit = fail_commit};
    assert_int_equal(cs_replica_apply(d, cs, &failing, &st, err, sizeof(err)), CS_EFULL);
    assert_int_equal(cs_replica_seq(d), 0);
    assert_null(domain_text(d, &r1, "full_name"));
    cs_changeset_free(cs);
    cs_replica_close(a);
    cs_replica_close(b);
    cs_replica_close(c);
    cs_replica_close(d);
}

/* A clock 3 days ahead: re-stamped writes keep their chains and converge. */
static void
test_restamp(void **state)
{
    (void)state;
    struct cs_replica *a = open_mem(1), *b = open_mem(2);
    char err[256];
    struct cs_id row;
    size_t n;
    cs_id_new(&row);
    assert_int_equal(cs_replica_set_clock_offset(a, 3 * 24 * 3600 * 1000LL), 0);
    set_text(a, &row, "full_name", "A1");
    set_text(a, &row, "phone", "1");
    set_text(a, &row, "full_name", "A2");
    /* A peer with a sane clock refuses those stamps outright. */
    struct cs_changeset *cs;
    assert_int_equal(cs_replica_changes_since(a, 0, 0, NULL, &cs, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_apply(b, cs, NULL, NULL, err, sizeof(err)), CS_EDRIFT);
    cs_changeset_free(cs);
    uint64_t before = cs_replica_seq(a);

    /* The hub's time is now; a's offset is corrected before re-stamping. */
    assert_int_equal(cs_replica_set_clock_offset(a, 0), 0);
    uint64_t limit = cs_replica_now(a) + cs_hlc_make(3600 * 1000, 0);
    assert_int_equal(cs_replica_restamp(a, 0, limit, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 3);
    assert_int_equal(cs_replica_seq(a), before);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(cs_replica_db(a),
                                        "SELECT count(*) FROM " KEPT " WHERE hlc > ?1", -1, &q,
                                        NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(q, 1, (int64_t)limit);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 0);
    sqlite3_finalize(q);
    assert_string_equal(domain_text(a, &row, "full_name"), "A2");
    assert_int_equal(conflicts(a), 0);
    /* Nothing left to do the second time. */
    assert_int_equal(cs_replica_restamp(a, 0, limit, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);

    /* Now they travel, and meet a concurrent edit as any other write would. */
    struct cs_replica *c = open_mem(3);
    set_text(c, &row, "full_name", "C");
    pull(a, c, NULL);
    pull(c, a, NULL);
    assert_int_equal(conflicts(a), 1);
    assert_same_state(a, c);
    cs_replica_close(a);
    cs_replica_close(b);
    cs_replica_close(c);
}

/* A physical clock three days ahead, not kept with the store as an offset would be. */
static uint64_t
clock_ahead(void *ud)
{
    (void)ud;
    return cs_hlc_wall_ms(NULL) + 3 * 24 * 3600 * 1000ULL;
}

/* A store made before cs_dropped was part of the store's schema gets it at open, and re-stamps. */
static void
test_restamp_older_store(void **state)
{
    (void)state;
    char path[256], err[256];
    struct cs_replica *r;
    struct cs_id site, row;
    size_t n;
    memset(site.b, 5, 16);
    cs_id_new(&row);
    snprintf(path, sizeof(path), "%s/older.db", tmpdir);
    assert_int_equal(cs_replica_open(&r, path, CS_REPLICA_CREATE, &site, err, sizeof(err)), 0);
    cs_replica_set_time_source(r, clock_ahead, NULL);
    set_text(r, &row, "full_name", "A1");
    set_text(r, &row, "full_name", "A2");
    assert_int_equal(sqlite3_exec(cs_replica_db(r), "DROP TABLE cs_dropped", NULL, NULL, NULL),
                     SQLITE_OK);
    cs_replica_close(r);

    assert_int_equal(cs_replica_open(&r, path, 0, NULL, err, sizeof(err)), 0);
    assert_int_equal(count(cs_replica_db(r), "SELECT count(*) FROM sqlite_schema"
                                             " WHERE name = 'cs_dropped'"),
                     1);
    uint64_t limit = cs_replica_now(r) + cs_hlc_make(3600 * 1000, 0);
    assert_int_equal(cs_replica_restamp(r, 0, limit, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 2);
    assert_string_equal(domain_text(r, &row, "full_name"), "A2");
    assert_int_equal(conflicts(r), 0);
    cs_replica_close(r);
}

/* The clock through the replica's calls: the drift bound, the offset stored and read back. */
static void
test_clock_calls(void **state)
{
    (void)state;
    char path[256], err[256];
    struct cs_replica *r;
    struct cs_id site;
    memset(site.b, 6, 16);
    snprintf(path, sizeof(path), "%s/clock.db", tmpdir);
    assert_int_equal(cs_replica_open(&r, path, CS_REPLICA_CREATE, &site, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_max_drift(r), CS_HLC_DRIFT_DEFAULT_MS);
    /* Minutes, not a day (F17): 5 minutes ahead is taken, an hour is not. */
    assert_int_equal(cs_replica_check_stamp(r, cs_replica_now(r) + cs_hlc_make(3600 * 1000, 0), 0),
                     CS_EDRIFT);
    uint64_t ahead = cs_replica_now(r) + cs_hlc_make(5 * 60 * 1000, 0);
    assert_int_equal(cs_replica_check_stamp(r, ahead, 0), 0);
    cs_replica_set_max_drift(r, 3 * 60 * 1000);
    assert_int_equal(cs_replica_max_drift(r), 3 * 60 * 1000);
    assert_int_equal(cs_replica_check_stamp(r, ahead, 0), CS_EDRIFT);
    assert_int_equal(cs_replica_check_stamp(r, ahead, 1), 0); /* twice the bound */
    uint64_t wall = cs_replica_wall_ms(r);
    assert_int_equal(cs_replica_set_clock_offset(r, 90 * 1000), 0);
    assert_int_equal(cs_replica_clock_offset(r), 90 * 1000);
    assert_true(cs_hlc_ms(cs_replica_now(r)) >= wall + 90 * 1000);
    cs_replica_close(r);
    assert_int_equal(cs_replica_open(&r, path, 0, NULL, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_clock_offset(r), 90 * 1000);
    /* A test's clock is read instead of the wall clock, until it is taken away again. */
    cs_replica_set_time_source(r, clock_ahead, NULL);
    assert_true(cs_replica_wall_ms(r) >= wall + 3 * 24 * 3600 * 1000ULL);
    assert_true(cs_hlc_ms(cs_replica_now(r)) >= wall + (3 * 24 * 3600 + 90) * 1000ULL);
    cs_replica_set_time_source(r, NULL, NULL);
    assert_true(cs_replica_wall_ms(r) < wall + 3 * 24 * 3600 * 1000ULL);
    cs_replica_close(r);
}

/* A fixed physical clock, for exact offsets: *(uint64_t *)ud milliseconds. */
static uint64_t
clock_fixed(void *ud)
{
    return *(const uint64_t *)ud;
}

/*
 * The hub's time taken in: a live welcome sets the offset either way; a
 * reply's time only moves it forward; refused stamps still held bring it
 * back by what they prove, never before the hub's time, and only once.
 */
static void
test_learn_hub_time(void **state)
{
    (void)state;
    struct cs_replica *r = open_mem(7);
    uint64_t wall = UINT64_C(1800000000000), day = 24 * 3600 * 1000;
    int moved = -1;
    cs_replica_set_time_source(r, clock_fixed, &wall);

    /* Live: this clock 10 days ahead of the hub. */
    assert_int_equal(cs_replica_learn_hub_time(r, wall - 10 * day, 1, &moved), 0);
    assert_int_equal(moved, 1);
    assert_int_equal(cs_replica_clock_offset(r), -(int64_t)(10 * day));
    assert_int_equal(cs_replica_learn_hub_time(r, wall, 1, NULL), 0);
    assert_int_equal(cs_replica_clock_offset(r), 0);
    /* A reply 3 days old proves nothing about a clock that reads later: kept. */
    assert_int_equal(cs_replica_learn_hub_time(r, wall - 3 * day, 0, &moved), 0);
    assert_int_equal(moved, 0);
    assert_int_equal(cs_replica_clock_offset(r), 0);
    /* A reply from 2 hours ahead of this clock: the present is at least that. */
    assert_int_equal(cs_replica_learn_hub_time(r, wall + 2 * 3600 * 1000, 0, &moved), 0);
    assert_int_equal(moved, 1);
    assert_int_equal(cs_replica_clock_offset(r), 2 * 3600 * 1000);
    assert_int_equal(cs_replica_learn_hub_time(r, wall, 0, NULL), 0);
    assert_int_equal(cs_replica_clock_offset(r), 2 * 3600 * 1000);

    /* A write stamped 10 days ahead, refused by a hub at `wall`. */
    assert_int_equal(cs_replica_set_clock_offset(r, (int64_t)(10 * day)), 0);
    struct cs_id row;
    cs_id_new(&row);
    set_text(r, &row, "full_name", "A");
    struct cs_refused_id id = {"candidate", "full_name", row, 0, *cs_replica_site(r)};
    assert_int_equal(count(cs_replica_db(r), "SELECT count(*) FROM " KEPT), 1);
    id.hlc = (uint64_t)count(cs_replica_db(r), "SELECT hlc FROM " KEPT);
    /* Another device's refusal, or one of a stamp not held here, proves nothing. */
    struct cs_refused_id other = id, gone = id;
    memset(other.origin.b, 9, sizeof(other.origin.b));
    gone.hlc++;
    assert_int_equal(cs_replica_learn_refused_stamps(r, &other, 1, wall, &moved), 0);
    assert_int_equal(cs_replica_learn_refused_stamps(r, &gone, 1, wall, &moved), 0);
    assert_int_equal(moved, 0);
    /* The hub judged it an hour after it was written: back by 10 days less that hour. */
    assert_int_equal(cs_replica_learn_refused_stamps(r, &id, 1, wall + 3600 * 1000, &moved), 0);
    assert_int_equal(moved, 1);
    assert_int_equal(cs_replica_clock_offset(r), 3600 * 1000);
    /* Never before the hub's time: a hub's time 5 days ahead keeps the clock there. */
    assert_int_equal(cs_replica_set_clock_offset(r, (int64_t)(10 * day)), 0);
    assert_int_equal(cs_replica_learn_refused_stamps(r, &id, 1, wall + 5 * day, &moved), 0);
    assert_int_equal(cs_replica_clock_offset(r), (int64_t)(5 * day));
    cs_replica_close(r);
}

/* Counting own writes after a seq, the next one; today's date on the corrected clock. */
static void
test_count_own_and_today(void **state)
{
    (void)state;
    struct cs_replica *a = open_mem(8), *b = open_mem(9);
    char err[256];
    uint64_t n = 99;
    struct cs_id row;
    cs_id_new(&row);
    assert_int_equal(cs_replica_count_own(a, 0, &n), 0);
    assert_int_equal(n, 0);
    set_text(a, &row, "full_name", "A");
    set_text(a, &row, "phone", "1");
    set_text(b, &row, "note", "B");
    pull(a, b, NULL);
    assert_int_equal(cs_replica_count_own(a, 0, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(cs_replica_count_own(a, 1, &n), 0);
    assert_int_equal(n, 1);
    /* The next own write after a seq: a's are 1 and 2, b's change it took is 3. */
    assert_int_equal(cs_replica_next_own(a, 0, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(cs_replica_next_own(a, 1, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(cs_replica_next_own(a, 2, &n), 0);
    assert_int_equal(n, 0);
    set_text(a, &row, "phone", "2");
    assert_int_equal(cs_replica_next_own(a, 2, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(cs_replica_next_own(a, 1, &n), 0);
    assert_int_equal(n, 2); /* superseded by 4, still a write of a's at 2 */

    /* 2031-01-01 12:00 UTC on this clock, and the hub 5 days behind it. */
    uint64_t wall = UINT64_C(1924992000000) + 12 * 3600 * 1000;
    int32_t day;
    setenv("TZ", "UTC", 1);
    unsetenv("CELLSYNC_TODAY");
    cs_replica_set_time_source(a, clock_fixed, &wall);
    assert_int_equal(cs_replica_today(a, &day, err, sizeof(err)), 0);
    char buf[CS_DATE_BUFSZ];
    assert_string_equal(cs_date_format(day, buf), "2031-01-01");
    assert_int_equal(cs_replica_set_clock_offset(a, -5LL * 24 * 3600 * 1000), 0);
    assert_int_equal(cs_replica_today(a, &day, err, sizeof(err)), 0);
    assert_string_equal(cs_date_format(day, buf), "2030-12-27");
    /* $CELLSYNC_TODAY stands for any clock. */
    setenv("CELLSYNC_TODAY", "02/03/2026", 1);
    assert_int_equal(cs_replica_today(a, &day, err, sizeof(err)), 0);
    assert_string_equal(cs_date_format(day, buf), "2026-03-02");
    unsetenv("CELLSYNC_TODAY");
    cs_replica_close(a);
    cs_replica_close(b);
}

/* A name interned in a rolled-back transaction may come back as another: its column is not reused.
 */
static void
test_rollback_forgets_columns(void **state)
{
    (void)state;
    struct cs_replica *r = open_mem(7);
    char err[256];
    struct cs_id row;
    cs_id_new(&row);
    assert_int_equal(cs_replica_begin(r, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_set_text(r, "candidate", &row, "phone", "0912", err, sizeof(err)),
                     0);
    cs_replica_rollback(r);
    set_text(r, &row, "full_name", "Lò Thị Mai");
    assert_string_equal(domain_text(r, &row, "full_name"), "Lò Thị Mai");
    assert_null(domain_text(r, &row, "phone"));
    cs_replica_close(r);
}

/*
 * Local writes store text in NFC: a name typed with combining marks (NFD)
 * is the same bytes as the precomposed one, in the version and the domain
 * table, also when a conflict is resolved with it; text that is not UTF-8
 * is refused naming the field, and nothing is written.
 */
static void
test_text_nfc(void **state)
{
    (void)state;
    /* "Nguyễn Văn Sỹ": e + circumflex + tilde, a + breve, y + tilde. */
    static const char nfd[] = "Nguye\xcc\x82\xcc\x83n Va\xcc\x86n Sy\xcc\x83";
    static const char nfc[] = "Nguy\xe1\xbb\x85n V\xc4\x83n S\xe1\xbb\xb9";
    struct cs_replica *a = open_mem(1), *b = open_mem(2);
    char err[256], *out;
    size_t n;
    struct cs_id row;
    cs_id_new(&row);

    assert_int_equal(cs_utf8_nfc("2001-05-03", 10, &out, &n), 0);
    assert_null(out);
    assert_int_equal(cs_utf8_nfc(nfc, strlen(nfc), &out, &n), 0);
    assert_null(out);
    assert_int_equal(cs_utf8_nfc(nfd, strlen(nfd), &out, &n), 0);
    assert_non_null(out);
    assert_int_equal(n, strlen(nfc));
    assert_string_equal(out, nfc);
    free(out);
    assert_int_equal(cs_utf8_nfc("Nguy\xean", 6, &out, &n), CS_EINVAL);

    set_text(a, &row, "full_name", nfd);
    assert_string_equal(domain_text(a, &row, "full_name"), nfc);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(cs_replica_db(a),
                                        "SELECT val FROM cs_version WHERE col = 'full_name'", -1,
                                        &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), nfc);
    sqlite3_finalize(st);

    /* TCVN3 or Latin-1 bytes: refused, naming the field; the old value stays. */
    assert_int_equal(cs_replica_begin(a, err, sizeof(err)), 0);
    assert_int_equal(
        cs_replica_set_text(a, "candidate", &row, "full_name", "Nguy\xeen", err, sizeof(err)),
        CS_EINVAL);
    assert_non_null(strstr(err, "full name"));
    assert_non_null(strstr(err, "UTF-8"));
    cs_replica_rollback(a);
    assert_string_equal(domain_text(a, &row, "full_name"), nfc);

    /* A conflict resolved with typed NFD text stores NFC too. */
    pull(b, a, NULL);
    set_text(a, &row, "hometown", "A");
    set_text(b, &row, "hometown", "B");
    pull(a, b, NULL);
    struct cs_value v = {.type = CS_VTEXT, .p = "Ba\xcc\x80 Ra\xcc\xa3"};
    v.n = strlen(v.p);
    assert_int_equal(cs_replica_resolve(a, "candidate", &row, "hometown", &v, err, sizeof(err)), 0);
    assert_string_equal(domain_text(a, &row, "hometown"), "B\xc3\xa0 R\xe1\xba\xa1");
    cs_replica_close(a);
    cs_replica_close(b);
}

/*
 * A conflict's number is the same on both replicas whatever their local
 * order, from C and from SQL, six digits, and another field's differs.
 */
static void
test_conflict_number(void **state)
{
    (void)state;
    struct cs_replica *a = open_mem(1), *b = open_mem(2);
    struct cs_id row, sa, sb;
    cs_id_new(&row);
    memset(sa.b, 1, sizeof(sa.b));
    memset(sb.b, 2, sizeof(sb.b));
    set_text(b, &row, "note", "b's own write first, so the seqs differ");
    set_text(a, &row, "phone", "0911");
    set_text(b, &row, "phone", "0922");
    pull(a, b, NULL);
    pull(b, a, NULL);
    uint32_t num[2];
    int64_t seq[2];
    struct cs_replica *rs[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(cs_replica_db(rs[i]),
                                            "SELECT cs_conflict_number(tbl, row, col, hlc, origin),"
                                            " seq, tbl, col, hlc, origin FROM cs_conflict",
                                            -1, &st, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        num[i] = (uint32_t)sqlite3_column_int64(st, 0);
        seq[i] = sqlite3_column_int64(st, 1);
        struct cs_id origin;
        memcpy(origin.b, sqlite3_column_blob(st, 5), CS_ID_LEN);
        assert_int_equal(
            num[i], cs_replica_conflict_number((const char *)sqlite3_column_text(st, 2), &row,
                                               (const char *)sqlite3_column_text(st, 3),
                                               (uint64_t)sqlite3_column_int64(st, 4), &origin));
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_finalize(st);
    }
    assert_int_not_equal(seq[0], seq[1]);
    assert_int_equal(num[0], num[1]);
    assert_in_range(num[0], CS_CONFLICT_NUMBER_MIN, CS_CONFLICT_NUMBER_MAX);
    uint64_t hlc = 12345;
    assert_int_not_equal(cs_replica_conflict_number("candidate", &row, "phone", hlc, &sa),
                         cs_replica_conflict_number("candidate", &row, "note", hlc, &sa));
    assert_int_not_equal(cs_replica_conflict_number("candidate", &row, "phone", hlc, &sa),
                         cs_replica_conflict_number("candidate", &row, "phone", hlc, &sb));
    cs_replica_close(a);
    cs_replica_close(b);
}

/* The store's public face: the views cs_version and cs_conflict, and the named calls. */
static void
test_public_face(void **state)
{
    (void)state;
    struct cs_replica *a = open_mem(1), *b = open_mem(2);
    struct cs_apply_stats st;
    struct cs_id row, other, origin, site_a, site_b;
    memset(site_a.b, 1, CS_ID_LEN);
    memset(site_b.b, 2, CS_ID_LEN);
    cs_id_new(&row);
    cs_id_new(&other);
    sqlite3 *db = cs_replica_db(a);

    assert_int_equal(cs_replica_first_writer(a, "candidate", &row, &origin), -ENOENT);
    set_text(a, &row, "full_name", "Vàng A Páo");
    pull(b, a, &st);
    uint64_t seen = cs_replica_seq(b);
    set_text(b, &row, "phone", "0911111111");
    set_text(a, &row, "full_name", "Vàng A Pao");
    set_text(b, &row, "full_name", "Vàng A Páo (Pá Vầu)");
    pull(a, b, &st);
    assert_int_equal(st.conflicts, 1);

    /* b's later write of the row is not its first: a wrote it first, and a keeps that. */
    assert_int_equal(cs_replica_first_writer(a, "candidate", &row, &origin), 0);
    assert_memory_equal(origin.b, site_a.b, CS_ID_LEN);
    assert_int_equal(cs_replica_first_writer(b, "candidate", &row, &origin), 0);
    assert_memory_equal(origin.b, site_a.b, CS_ID_LEN);
    assert_int_equal(cs_replica_first_writer(a, "candidate", &other, &origin), -ENOENT);
    assert_int_equal(cs_replica_first_writer(a, "member", &row, &origin), -ENOENT);

    /* On b: b wrote phone after seq `seen`; a wrote nothing there since. */
    assert_int_equal(cs_replica_has_later(b, "candidate", &row, "phone", &site_b, seen), 1);
    assert_int_equal(
        cs_replica_has_later(b, "candidate", &row, "phone", &site_b, cs_replica_seq(b)), 0);
    assert_int_equal(cs_replica_has_later(b, "candidate", &row, "phone", &site_a, 0), 0);
    assert_int_equal(cs_replica_has_later(b, "candidate", &row, "nosuch", &site_b, 0), 0);

    /* cs_version: every version, by names; states as words. */
    assert_int_equal(count(db, "SELECT count(*) FROM cs_version"),
                     count(db, "SELECT count(*) FROM " KEPT));
    assert_int_equal(count(db, "SELECT count(*) FROM cs_version WHERE tbl = 'candidate'"
                               " AND col = 'full_name' AND state = 'current'"),
                     1);
    assert_int_equal(count(db, "SELECT count(*) FROM cs_version WHERE state = 'conflict'"), 1);
    /* a's first full_name, replaced: a keeps its own writes (b would drop it). */
    assert_int_equal(count(db, "SELECT count(*) FROM cs_version WHERE col = 'full_name'"
                               " AND state = 'replaced'"),
                     1);
    /*
     * cs_conflict: the loser beside the current value. Which of the two
     * concurrent writes wins depends on their stamps (the same millisecond,
     * then the origin), so either way round, as long as it is consistent.
     */
    assert_int_equal(
        count(db, "SELECT count(*) FROM cs_conflict c JOIN candidate d ON d.id = c.row"
                  " WHERE c.tbl = 'candidate' AND c.col = 'full_name'"
                  " AND c.current_val = d.full_name AND c.val != c.current_val"
                  " AND c.val IN ('Vàng A Pao', 'Vàng A Páo (Pá Vầu)')"
                  " AND (c.current_hlc > c.hlc OR (c.current_hlc = c.hlc"
                  " AND c.current_origin > c.origin))"
                  " AND c.origin IN (x'01010101010101010101010101010101',"
                  " x'02020202020202020202020202020202') AND c.current_origin != c.origin"),
        1);

    /* The site id of a replica read from its database alone. */
    struct cs_id site;
    assert_int_equal(cs_replica_site_of(db, &site), 0);
    assert_memory_equal(site.b, site_a.b, CS_ID_LEN);
    sqlite3 *plain;
    assert_int_equal(sqlite3_open(":memory:", &plain), SQLITE_OK);
    assert_int_equal(cs_replica_site_of(plain, &site), CS_ECORRUPT);
    assert_int_equal(
        sqlite3_exec(plain, "CREATE TABLE cs_meta (key TEXT, value TEXT)", NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(cs_replica_site_of(plain, &site), CS_ECORRUPT);
    sqlite3_close(plain);
    cs_replica_close(a);
    cs_replica_close(b);
}

/* ---- what a store keeps ---- */

/* The versions the store keeps of candidate.full_name of row (current, conflicts, others). */
static int64_t
kept_of(struct cs_replica *r, const struct cs_id *row)
{
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(cs_replica_db(r),
                                        "SELECT count(*) FROM cs_version WHERE tbl = 'candidate'"
                                        " AND row = ?1 AND col = 'full_name'",
                                        -1, &q, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(q, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
}

/* Appends to chain the last version r wrote itself. */
static void
take_last(struct cs_changeset *chain, struct cs_replica *r)
{
    struct cs_since_filter f = {.only_origin = cs_replica_site(r)};
    struct cs_changeset *cs;
    struct cs_change c;
    char err[256];
    assert_int_equal(cs_replica_changes_since(r, 0, 0, &f, &cs, err, sizeof(err)), 0);
    assert_true(cs_changeset_count(cs) >= 1);
    cs_changeset_get(cs, cs_changeset_count(cs) - 1, &c);
    assert_int_equal(cs_changeset_add(chain, &c), 0);
    cs_changeset_free(cs);
}

/* Applies change i of cs to r, alone in its set. */
static void
apply_one(struct cs_replica *r, const struct cs_changeset *cs, size_t i)
{
    struct cs_changeset *one;
    struct cs_changeset_header h = {0};
    struct cs_change c;
    char err[256];
    cs_changeset_get(cs, i, &c);
    assert_int_equal(cs_changeset_new(&one, &h), 0);
    assert_int_equal(cs_changeset_add(one, &c), 0);
    assert_int_equal(cs_replica_apply(r, one, NULL, NULL, err, sizeof(err)), 0);
    cs_changeset_free(one);
}

/*
 * A register written in a chain, each writer naming the previous write as
 * prev (origins a, b, c, or a, b, a), reaches a sender in every order; a
 * replica that has only the first write reads what the sender kept, in
 * every order, and shows no conflict: the sender kept what the rule needs
 * (in a, b, c the middle write, which alone says b saw a; in a, b, a it
 * dropped the middle one, since a's later write says it all).
 */
static void
test_chain_keeps_what_peers_need(void **state)
{
    (void)state;
    static const size_t perm[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                      {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    char err[256];
    for (int loop = 0; loop < 2; loop++) {
        struct cs_replica *w[3] = {open_mem(0x31), open_mem(0x32), open_mem(0x33)};
        struct cs_replica *third = loop == 0 ? w[2] : w[0];
        struct cs_id row;
        cs_id_new(&row);
        /* The three writes, in the order written, each read as soon as it is written. */
        struct cs_changeset *chain;
        struct cs_changeset_header h = {0};
        assert_int_equal(cs_changeset_new(&chain, &h), 0);
        set_text(w[0], &row, "full_name", "A");
        take_last(chain, w[0]);
        pull(w[1], w[0], NULL);
        set_text(w[1], &row, "full_name", "B");
        take_last(chain, w[1]);
        pull(third, w[1], NULL);
        set_text(third, &row, "full_name", "C");
        take_last(chain, third);
        for (int p = 0; p < 6; p++) {
            struct cs_replica *sender = open_mem(0x7e);
            for (int i = 0; i < 3; i++)
                apply_one(sender, chain, perm[p][i]);
            assert_int_equal(conflicts(sender), 0);
            /* a, b, c: b's write is kept (it alone covers a's); a, b, a: c's alone. */
            assert_int_equal(kept_of(sender, &row), loop == 0 ? 2 : 1);
            assert_int_equal(count(cs_replica_db(sender), "SELECT count(*) FROM cs_version"
                                                          " WHERE state = 'replaced'"),
                             loop == 0);
            uint8_t want[32], got[32];
            assert_int_equal(cs_replica_hash(sender, want), 0);
            struct cs_changeset *kept;
            assert_int_equal(cs_replica_changes_since(sender, 0, 0, NULL, &kept, err, sizeof(err)),
                             0);
            size_t nk = cs_changeset_count(kept);
            for (int q = 0; q < 6; q++) {
                struct cs_replica *peer = open_mem(0x7d);
                apply_one(peer, chain, 0);
                for (size_t i = 0; i < 3; i++)
                    if (perm[q][i] < nk)
                        apply_one(peer, kept, perm[q][i]);
                assert_int_equal(conflicts(peer), 0);
                assert_string_equal(domain_text(peer, &row, "full_name"), "C");
                assert_int_equal(cs_replica_hash(peer, got), 0);
                assert_memory_equal(got, want, 32);
                cs_replica_close(peer);
            }
            cs_changeset_free(kept);
            cs_replica_close(sender);
        }
        cs_changeset_free(chain);
        for (int i = 0; i < 3; i++)
            cs_replica_close(w[i]);
    }
}

/*
 * A register rewritten 1,000 times by one origin keeps one version at a
 * peer; the writer keeps its own writes (clock repair re-stamps them).
 */
static void
test_rewrites_keep_one(void **state)
{
    (void)state;
    struct cs_replica *a = open_mem(0x41), *hub = open_mem(0x42);
    struct cs_id row;
    char err[256];
    cs_id_new(&row);
    uint64_t sent = 0;
    for (int i = 0; i < 1000; i++) {
        char text[32];
        snprintf(text, sizeof(text), "v%d", i);
        set_text(a, &row, "full_name", text);
        if (i % 7 == 0) {
            struct cs_changeset *cs;
            assert_int_equal(cs_replica_changes_since(a, sent, 0, NULL, &cs, err, sizeof(err)), 0);
            assert_int_equal(cs_replica_apply(hub, cs, NULL, NULL, err, sizeof(err)), 0);
            sent = cs_replica_seq(a);
            cs_changeset_free(cs);
        }
    }
    pull(hub, a, NULL);
    assert_int_equal(kept_of(hub, &row), 1);
    assert_int_equal(count(cs_replica_db(hub), "SELECT count(*) FROM cs_old"), 0);
    assert_int_equal(kept_of(a, &row), 1000);
    /* Seqs go on: the 1,000th write has seq 1,000, none given twice. */
    assert_int_equal(cs_replica_seq(a), 1000);
    assert_string_equal(domain_text(hub, &row, "full_name"), "v999");
    uint8_t ha[32], hh[32];
    assert_int_equal(cs_replica_hash(a, ha), 0);
    assert_int_equal(cs_replica_hash(hub, hh), 0);
    assert_memory_equal(ha, hh, 32);
    cs_replica_close(a);
    cs_replica_close(hub);
}

/* ---- property test ---- */

/* Appends to every the versions each device wrote itself since read_to[d]. */
static void
take_own(struct cs_changeset *every, struct cs_replica **dev, uint64_t *read_to, int ndev)
{
    char err[256];
    for (int d = 0; d < ndev; d++) {
        struct cs_since_filter f = {.only_origin = cs_replica_site(dev[d])};
        struct cs_changeset *cs;
        assert_int_equal(cs_replica_changes_since(dev[d], read_to[d], 0, &f, &cs, err, sizeof(err)),
                         0);
        for (size_t i = 0; i < cs_changeset_count(cs); i++) {
            struct cs_change c;
            cs_changeset_get(cs, i, &c);
            assert_int_equal(cs_changeset_add(every, &c), 0);
        }
        read_to[d] = cs_replica_seq(dev[d]);
        cs_changeset_free(cs);
    }
}

struct pv { /* a version as the oracle sees it */
    struct cs_change c;
    char col[16];
};

static int
id_cmp(const struct cs_id *a, const struct cs_id *b)
{
    return memcmp(a->b, b->b, 16);
}

/* The state the rule implies for version i of the set, computed from the set alone. */
static int
oracle_state(const struct pv *v, size_t n, size_t i)
{
    const struct cs_change *x = &v[i].c;
    int is_max = 1, seen = 0;
    for (size_t j = 0; j < n; j++) {
        const struct cs_change *u = &v[j].c;
        if (j == i || strcmp(u->column, x->column) != 0 || id_cmp(&u->row, &x->row) != 0)
            continue;
        if (u->hlc > x->hlc || (u->hlc == x->hlc && id_cmp(&u->origin, &x->origin) > 0))
            is_max = 0;
        /* u's prev names x's origin at x's stamp or later: u's writer saw x too. */
        if ((u->prev_hlc != 0 && u->prev_hlc >= x->hlc &&
             id_cmp(&u->prev_origin, &x->origin) == 0) ||
            (id_cmp(&u->origin, &x->origin) == 0 && u->hlc > x->hlc))
            seen = 1;
    }
    return is_max ? CS_VS_CURRENT : seen ? CS_VS_SUPERSEDED : CS_VS_CONFLICT;
}

/* Writes value v to column col of the candidate row, one transaction. */
static void
set_value(struct cs_replica *r, const struct cs_id *row, const char *col, struct cs_value v)
{
    char err[256];
    assert_int_equal(cs_replica_begin(r, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_set(r, "candidate", row, col, &v, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_commit(r, err, sizeof(err)), 0);
}

/* The current value of col as cs_version shows it: its type and text. */
static const char *
version_value(struct cs_replica *r, const char *col, int *type)
{
    static char buf[64];
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(cs_replica_db(r),
                                        "SELECT val FROM cs_version WHERE tbl = 'candidate'"
                                        " AND col = ?1 AND state = 'current'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, col, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    *type = sqlite3_column_type(st, 0);
    snprintf(buf, sizeof(buf), "%s",
             *type == SQLITE_NULL ? "" : (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

/* How many current versions keep their value in cs_reg itself. */
#define KEPT_VALS "SELECT count(*) FROM cs_reg WHERE val IS NOT NULL"

/*
 * A current value the domain column gives back as written is stored once,
 * in the domain row; one its affinity would change (a numeric text or a real
 * in an INTEGER column, a number in a TEXT column) keeps its copy, as does a
 * column the schema does not have. Every reader sees the values as written;
 * a store made before (values in cs_reg too) opens, reads and writes alike.
 */
static void
test_values_once(void **state)
{
    (void)state;
    char path[256], err[256];
    struct cs_replica *a, *b = open_mem(2), *c = open_mem(3);
    struct cs_id site, row;
    int type;
    memset(site.b, 1, 16);
    cs_id_new(&row);
    snprintf(path, sizeof(path), "%s/values.db", tmpdir);
    assert_int_equal(cs_replica_open(&a, path, CS_REPLICA_CREATE, &site, err, sizeof(err)), 0);
    sqlite3 *db = cs_replica_db(a);

    set_text(a, &row, "full_name", "Lò Thị Páo");
    set_value(a, &row, "sponsor1_months", (struct cs_value){.type = CS_VINT, .i = 7});
    int64_t base = count(db, KEPT_VALS); /* the row's life, not a domain column */
    set_text(a, &row, "sponsor2_months", "0123");
    set_value(a, &row, "phone", (struct cs_value){.type = CS_VINT, .i = 912});
    set_value(a, &row, "hometown", (struct cs_value){.type = CS_VNIL});
    set_text(a, &row, "zz_future", "kept");
    assert_int_equal(count(db, KEPT_VALS), base + 3);
    assert_string_equal(version_value(a, "full_name", &type), "Lò Thị Páo");
    assert_int_equal(type, SQLITE_TEXT);
    assert_string_equal(version_value(a, "sponsor1_months", &type), "7");
    assert_int_equal(type, SQLITE_INTEGER);
    assert_string_equal(version_value(a, "sponsor2_months", &type), "0123");
    assert_int_equal(type, SQLITE_TEXT);
    assert_string_equal(version_value(a, "phone", &type), "912");
    assert_int_equal(type, SQLITE_INTEGER);
    version_value(a, "hometown", &type);
    assert_int_equal(type, SQLITE_NULL);
    assert_string_equal(version_value(a, "zz_future", &type), "kept");

    /* The values travel as written; a concurrent edit's loser keeps its own value. */
    pull(b, a, NULL);
    assert_string_equal(version_value(b, "sponsor2_months", &type), "0123");
    assert_int_equal(type, SQLITE_TEXT);
    assert_same_state(a, b);
    set_text(b, &row, "full_name", "B");
    set_text(a, &row, "full_name", "A");
    pull(b, a, NULL);
    /* Both in one set, B first: when A beats it, B's value is only in the set's memory. */
    pull(c, b, NULL);
    assert_same_state(b, c);
    assert_int_equal(count(cs_replica_db(c),
                           "SELECT count(*) FROM cs_conflict"
                           " WHERE col = 'full_name' AND val IN ('A', 'B')"
                           " AND current_val IN ('A', 'B') AND val != current_val"),
                     1);
    pull(a, b, NULL);
    assert_same_state(a, c);

    /* A store made before: every current value in cs_reg, and the views of then. */
    uint8_t h[32], h2[32];
    assert_int_equal(cs_replica_hash(a, h), 0);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TEMP TABLE cur AS SELECT tbl, row, col, val FROM cs_version"
                     " WHERE state = 'current';"
                     "UPDATE cs_reg SET val = (SELECT x.val FROM temp.cur x"
                     " JOIN cs_name t ON t.name = x.tbl JOIN cs_name c ON c.name = x.col"
                     " WHERE t.ix = cs_reg.tbl AND c.ix = cs_reg.col AND x.row = cs_reg.row);"
                     "DROP VIEW cs_version; CREATE VIEW cs_version AS SELECT v.seq AS seq,"
                     " t.name AS tbl, v.row AS row, c.name AS col, v.val AS val, v.hlc AS hlc,"
                     " 'current' AS state FROM cs_reg v JOIN cs_name t ON t.ix = v.tbl"
                     " JOIN cs_name c ON c.ix = v.col;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    assert_true(count(db, KEPT_VALS) > base + 3);
    cs_replica_close(a);
    assert_int_equal(cs_replica_open(&a, path, 0, NULL, err, sizeof(err)), 0);
    db = cs_replica_db(a);
    assert_int_equal(count(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'cs_version'"
                               " AND instr(sql, 'coalesce(v.val') > 0"),
                     1);
    assert_int_equal(cs_replica_hash(a, h2), 0);
    assert_memory_equal(h, h2, 32);
    int64_t before = count(db, KEPT_VALS);
    set_text(a, &row, "full_name", "C");
    assert_int_equal(count(db, KEPT_VALS), before - 1);
    assert_string_equal(version_value(a, "full_name", &type), "C");
    assert_string_equal(version_value(a, "sponsor2_months", &type), "0123");
    pull(c, a, NULL);
    assert_same_state(a, c);
    assert_string_equal(domain_text(c, &row, "full_name"), "C");
    cs_replica_close(a);
    cs_replica_close(b);
    cs_replica_close(c);
}

static void
test_property_orders(void **state)
{
    (void)state;
    enum { DEVICES = 3, OPS = 120, ORDERS = 200 };
    struct cs_replica *dev[DEVICES];
    struct cs_id rows[3];
    static const char *const cols[] = {"full_name", "phone", "stage"};
    char err[256];
    uint32_t seed = 20261122;

    for (int i = 0; i < DEVICES; i++)
        dev[i] = open_mem((uint8_t)(0x10 + i));
    for (int i = 0; i < 3; i++)
        cs_id_new(&rows[i]);
    /* Every version written anywhere, read from its writer right after the write (when it
     * is current there: a store drops superseded versions it no longer needs). */
    struct cs_changeset *every;
    struct cs_changeset_header h0 = {0};
    uint64_t read_to[DEVICES] = {0};
    assert_int_equal(cs_changeset_new(&every, &h0), 0);
    srand(seed);
    for (int op = 0; op < OPS; op++) {
        int d = rand() % DEVICES;
        int kind = rand() % 10;
        take_own(every, dev, read_to, DEVICES);
        if (kind == 0) { /* partial sync between two devices */
            int from = rand() % DEVICES;
            if (from != d)
                pull(dev[d], dev[from], NULL);
            continue;
        }
        const struct cs_id *row = &rows[rand() % 3];
        assert_int_equal(cs_replica_begin(dev[d], err, sizeof(err)), 0);
        if (kind == 1) {
            int r = rand() % 2 ? cs_replica_delete_row(dev[d], "candidate", row, err, 256)
                               : cs_replica_undelete_row(dev[d], "candidate", row, err, 256);
            assert_true(r == 0 || r == CS_ENOTFOUND);
        } else {
            char text[32];
            snprintf(text, sizeof(text), "d%d op%d", d, op);
            assert_int_equal(cs_replica_set_text(dev[d], "candidate", row, cols[rand() % 3], text,
                                                 err, sizeof(err)),
                             0);
        }
        assert_int_equal(cs_replica_commit(dev[d], err, sizeof(err)), 0);
    }

    take_own(every, dev, read_to, DEVICES);

    /* The union of every version written anywhere. */
    struct cs_replica *all = open_mem(0x7f);
    assert_int_equal(cs_replica_apply(all, every, NULL, NULL, err, sizeof(err)), 0);
    for (int i = 0; i < DEVICES; i++)
        pull(all, dev[i], NULL);
    struct cs_changeset *u = every;
    size_t n = cs_changeset_count(u);
    assert_true(n > 60);
    struct pv *v = calloc(n, sizeof(*v));
    for (size_t i = 0; i < n; i++)
        cs_changeset_get(u, i, &v[i].c);
    size_t nconf = 0;
    for (size_t i = 0; i < n; i++)
        nconf += oracle_state(v, n, i) == CS_VS_CONFLICT;
    assert_true(nconf > 0); /* the workload does make concurrent same-field edits */
    uint8_t want[32];
    assert_int_equal(cs_replica_hash(all, want), 0);

    size_t *order = malloc(2 * n * sizeof(*order));
    for (int o = 0; o < ORDERS; o++) {
        /* A shuffled order with about one in five versions delivered twice. */
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            order[m++] = i;
            if (rand() % 5 == 0)
                order[m++] = i;
        }
        for (size_t i = m - 1; i > 0; i--) {
            size_t j = (size_t)rand() % (i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        struct cs_replica *r = open_mem(0x7f);
        for (size_t i = 0; i < m;) {
            size_t chunk = 1 + (size_t)rand() % 17;
            struct cs_changeset *cs;
            struct cs_changeset_header h = {0};
            assert_int_equal(cs_changeset_new(&cs, &h), 0);
            for (size_t k = 0; k < chunk && i < m; k++, i++)
                assert_int_equal(cs_changeset_add(cs, &v[order[i]].c), 0);
            assert_int_equal(cs_replica_apply(r, cs, NULL, NULL, err, sizeof(err)), 0);
            cs_changeset_free(cs);
        }
        uint8_t got[32];
        assert_int_equal(cs_replica_hash(r, got), 0);
        if (memcmp(got, want, 32) != 0)
            fail_msg("order %d (seed %u) ends in a different state", o, seed);
        if (o == 0) {
            /* Every version is stored in the state the oracle gives it, or, superseded,
             * dropped (a peer reading this store would reach the same states). */
            sqlite3_stmt *q;
            assert_int_equal(sqlite3_prepare_v2(cs_replica_db(r),
                                                "SELECT 0 FROM cs_reg v"
                                                " JOIN cs_name c ON c.ix = v.col"
                                                " JOIN cs_site s ON s.ix = v.site"
                                                " WHERE v.row = ?1 AND c.name = ?2"
                                                " AND v.hlc = ?3 AND s.uuid = ?4"
                                                " UNION ALL SELECT v.state FROM cs_old v"
                                                " JOIN cs_name c ON c.ix = v.col"
                                                " JOIN cs_site s ON s.ix = v.site"
                                                " WHERE v.row = ?1 AND c.name = ?2"
                                                " AND v.hlc = ?3 AND s.uuid = ?4",
                                                -1, &q, NULL),
                             SQLITE_OK);
            for (size_t i = 0; i < n; i++) {
                sqlite3_reset(q);
                sqlite3_bind_blob(q, 1, v[i].c.row.b, 16, SQLITE_STATIC);
                sqlite3_bind_text(q, 2, v[i].c.column, -1, SQLITE_STATIC);
                sqlite3_bind_int64(q, 3, (int64_t)v[i].c.hlc);
                sqlite3_bind_blob(q, 4, v[i].c.origin.b, 16, SQLITE_STATIC);
                if (sqlite3_step(q) == SQLITE_ROW)
                    assert_int_equal(sqlite3_column_int(q, 0), oracle_state(v, n, i));
                else
                    assert_int_equal(oracle_state(v, n, i), CS_VS_SUPERSEDED);
            }
            sqlite3_finalize(q);
        }
        cs_replica_close(r);
    }
    /* And the devices, once they have everything, agree with it too. */
    for (int i = 0; i < DEVICES; i++) {
        pull(dev[i], all, NULL);
        uint8_t got[32];
        assert_int_equal(cs_replica_hash(dev[i], got), 0);
        assert_memory_equal(got, want, 32);
        cs_replica_close(dev[i]);
    }
    free(order);
    free(v);
    cs_changeset_free(u);
    cs_replica_close(all);
}

static int
setup(void **state)
{
    (void)state;
    if (cs_init() != 0 || mkdtemp(tmpdir) == NULL)
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_and_refusals),
        cmocka_unit_test(test_store_and_duplicate),
        cmocka_unit_test(test_concurrent_edit),
        cmocka_unit_test(test_delete_vs_edit_and_undelete),
        cmocka_unit_test(test_unknown_and_reserved),
        cmocka_unit_test(test_drift_refused),
        cmocka_unit_test(test_changes_since_cuts),
        cmocka_unit_test(test_filters_and_hooks),
        cmocka_unit_test(test_restamp),
        cmocka_unit_test(test_restamp_older_store),
        cmocka_unit_test(test_clock_calls),
        cmocka_unit_test(test_learn_hub_time),
        cmocka_unit_test(test_count_own_and_today),
        cmocka_unit_test(test_rollback_forgets_columns),
        cmocka_unit_test(test_public_face),
        cmocka_unit_test(test_text_nfc),
        cmocka_unit_test(test_conflict_number),
        cmocka_unit_test(test_chain_keeps_what_peers_need),
        cmocka_unit_test(test_rewrites_keep_one),
        cmocka_unit_test(test_values_once),
        cmocka_unit_test(test_property_orders),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
