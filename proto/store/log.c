/* SPDX-License-Identifier: MIT */
/*
 * The change log (cellsync/replica.h, cs_replica_set_log): cs_log(key, seq,
 * last) says the write transaction that wrote seqs seq..last touched a row
 * logged under key. One entry per key per transaction, so a merge pays a
 * few small inserts, not one per version; a keyed read walks only the
 * transactions of its keys (replica.c, cs_replica_changes_since) and judges
 * their rows as before.
 *
 * A row's keys are kept in cs_row.keys (sorted, 8 bytes each). When they
 * gain a key (the row moved), every older version of the row is logged
 * under it as an entry of its own (last = -seq, so that it is not taken for
 * a transaction a cursor stopped inside), so a peer that reads the new key
 * from the start finds the whole row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/util.h"
#include "store.h"

int
cs__log_note(struct cs_replica *r, int64_t tbl, const struct cs_id *row, int64_t seq)
{
    if (r->log_first == 0 || seq < r->log_first)
        r->log_first = seq;
    if (seq > r->log_last)
        r->log_last = seq;
    /* The versions of one row come in runs: keep one entry per run. */
    if (r->nlrows > 0 && r->lrows[r->nlrows - 1].tbl == tbl &&
        cs_id_cmp(&r->lrows[r->nlrows - 1].row, row) == 0)
        return SQLITE_OK;
    if (cs_grow((void **)&r->lrows, &r->caplrows, r->nlrows + 1, sizeof(*r->lrows), 64) != 0)
        return SQLITE_NOMEM;
    r->lrows[r->nlrows].tbl = tbl;
    r->lrows[r->nlrows].row = *row;
    r->nlrows++;
    return SQLITE_OK;
}

void
cs__log_rollback(struct cs_replica *r)
{
    r->log_first = r->log_last = 0;
    r->nlrows = 0;
}

static int
lrow_cmp(const void *a, const void *b)
{
    const struct log_row *x = a, *y = b;
    if (x->tbl != y->tbl)
        return x->tbl < y->tbl ? -1 : 1;
    return memcmp(x->row.b, y->row.b, CS_ID_LEN);
}

static int
key_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts keys and drops repeats: the new count. */
static size_t
keys_norm(int64_t *k, size_t n)
{
    qsort(k, n, sizeof(*k), key_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || k[m - 1] != k[i])
            k[m++] = k[i];
    return m;
}

/* The row's keys as the hooks give them now, sorted; key 0 when none. */
static int
keys_of(struct cs_replica *r, const char *table, const struct cs_id *row, int64_t *k, size_t *n)
{
    int got = 0;
    if (r->log.row_keys != NULL &&
        (got = r->log.row_keys(r->log.ud, table, row, k, CS_LOG_KEYS_MAX)) < 0)
        return got;
    if (got == 0)
        k[got++] = 0;
    *n = keys_norm(k, (size_t)got > CS_LOG_KEYS_MAX ? CS_LOG_KEYS_MAX : (size_t)got);
    return 0;
}

/*
 * Brings the row's kept keys to k: the older versions (seq < before) are
 * logged under each key they lacked. *moved: 0 the same keys, 1 changed, 2
 * the row had none yet (for the moved hook).
 */
static int
row_rekey(struct cs_replica *r, int64_t tbl, const struct cs_id *row, const int64_t *k, size_t n,
          int64_t before, int *moved)
{
    sqlite3_stmt *st;
    *moved = 0;
    int rc = cs_stmt_get(&r->stmts, ST_ROW_KEYS, &st);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, tbl);
    sqlite3_bind_blob(st, 2, row->b, CS_ID_LEN, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return SQLITE_OK; /* no version of the row here */
    }
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc;
    }
    int first = sqlite3_column_type(st, 0) == SQLITE_NULL;
    size_t nold = (size_t)sqlite3_column_bytes(st, 0) / 8;
    int64_t old[CS_LOG_KEYS_MAX];
    const uint8_t *p = sqlite3_column_blob(st, 0);
    if (nold > CS_LOG_KEYS_MAX)
        nold = CS_LOG_KEYS_MAX;
    for (size_t i = 0; i < nold; i++)
        old[i] = (int64_t)cs__get_le64(p + 8 * i);
    sqlite3_reset(st);
    int same = nold == n;
    for (size_t i = 0; same && i < n; i++)
        same = old[i] == k[i];
    if (same)
        return SQLITE_OK;
    for (size_t i = 0, j = 0; i < n && !first; i++) {
        while (j < nold && old[j] < k[i])
            j++;
        if (j < nold && old[j] == k[i])
            continue;
        if ((rc = cs_stmt_get(&r->stmts, ST_LOG_RELOG, &st)) != SQLITE_OK)
            return rc;
        sqlite3_bind_int64(st, 1, k[i]);
        sqlite3_bind_int64(st, 2, tbl);
        sqlite3_bind_blob(st, 3, row->b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, before);
        if ((rc = cs_step_done(st)) != SQLITE_OK)
            return rc;
    }
    uint8_t b[8 * CS_LOG_KEYS_MAX];
    for (size_t i = 0; i < n; i++)
        cs__put_le64(b + 8 * i, (uint64_t)k[i]);
    if ((rc = cs_stmt_get(&r->stmts, ST_ROW_SET_KEYS, &st)) != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, tbl);
    sqlite3_bind_blob(st, 2, row->b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, b, (int)(8 * n), SQLITE_TRANSIENT);
    if ((rc = cs_step_done(st)) != SQLITE_OK)
        return rc;
    *moved = first ? 2 : 1;
    return SQLITE_OK;
}

static int
log_add(struct cs_replica *r, int64_t key, int64_t seq, int64_t last)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_LOG_ADD, &st);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, key);
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_int64(st, 3, last);
    return cs_step_done(st);
}

int
cs__log_commit(struct cs_replica *r)
{
    int64_t *all = NULL, k[CS_LOG_KEYS_MAX];
    size_t nall = 0, capall = 0, n;
    char table[CS_NAME_MAX + 1];
    int rc = SQLITE_OK;

    if (!r->log_on || r->log_first == 0) {
        cs__log_rollback(r);
        return SQLITE_OK;
    }
    qsort(r->lrows, r->nlrows, sizeof(*r->lrows), lrow_cmp);
    /* Each row once, and whether its keys changed (moved[i]). */
    size_t m = 0;
    for (size_t i = 0; i < r->nlrows; i++)
        if (m == 0 || lrow_cmp(&r->lrows[i], &r->lrows[m - 1]) != 0)
            r->lrows[m++] = r->lrows[i];
    r->nlrows = m;
    int64_t tbl = 0;
    int *moved = calloc(m ? m : 1, sizeof(*moved));
    if (moved == NULL)
        rc = SQLITE_NOMEM;
    for (size_t i = 0; i < m && rc == SQLITE_OK; i++) {
        const struct log_row *lr = &r->lrows[i];
        if ((i == 0 || lr->tbl != tbl) &&
            (rc = cs__name_text(r, lr->tbl, table, sizeof(table))) != SQLITE_OK)
            break;
        tbl = lr->tbl;
        if ((rc = keys_of(r, table, &lr->row, k, &n)) != 0 ||
            (rc = row_rekey(r, lr->tbl, &lr->row, k, n, r->log_first, &moved[i])) != SQLITE_OK)
            break;
        if (cs_grow((void **)&all, &capall, nall + n, sizeof(*all), 16) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        memcpy(all + nall, k, n * sizeof(*k));
        nall = keys_norm(all, nall + n);
    }
    for (size_t i = 0; i < nall && rc == SQLITE_OK; i++)
        rc = log_add(r, all[i], r->log_first, r->log_last);
    /* Told after the transaction's own entries are in, so what the hook copies has them. */
    for (size_t i = 0; i < m && rc == SQLITE_OK && r->log.moved != NULL; i++) {
        if (moved[i] == 0)
            continue;
        if ((rc = cs__name_text(r, r->lrows[i].tbl, table, sizeof(table))) == SQLITE_OK)
            rc = r->log.moved(r->log.ud, table, &r->lrows[i].row, moved[i] == 2);
    }
    free(moved);
    free(all);
    cs__log_rollback(r);
    return rc;
}

int
cs_replica_log_rekey(struct cs_replica *r, const char *table, const struct cs_id *row)
{
    sqlite3_stmt *st;
    int64_t tbl = 0, k[CS_LOG_KEYS_MAX];
    size_t n;
    int rc = cs_stmt_get(&r->stmts, ST_NAME_GET, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        tbl = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? 0 : cs_sqlite_code(rc);
    if ((rc = keys_of(r, table, row, k, &n)) != 0)
        return rc;
    int moved;
    rc = row_rekey(r, tbl, row, k, n, INT64_MAX, &moved);
    if (rc == SQLITE_OK && moved != 0 && r->log.moved != NULL)
        rc = r->log.moved(r->log.ud, table, row, moved == 2);
    return rc < 0 ? rc : rc == SQLITE_OK ? 0 : cs_sqlite_code(rc);
}

int
cs_replica_log_copy(struct cs_replica *r, int64_t from, int64_t to)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_LOG_COPY, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    rc = cs_step_done(st);
    return rc == SQLITE_OK ? 0 : cs_sqlite_code(rc);
}

/* An entry being built: versions of key's rows from seq to last, gaps allowed. */
struct open_range {
    int64_t key, seq, last;
};

/* The range of key in v (sorted by key), added when missing. */
static struct open_range *
range_of(struct open_range **v, size_t *n, size_t *cap, int64_t key)
{
    size_t lo = 0, hi = *n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((*v)[mid].key == key)
            return &(*v)[mid];
        if ((*v)[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (cs_grow((void **)v, cap, *n + 1, sizeof(**v), 64) != 0)
        return NULL;
    memmove(*v + lo + 1, *v + lo, (*n - lo) * sizeof(**v));
    (*n)++;
    (*v)[lo] = (struct open_range){key, 0, 0};
    return &(*v)[lo];
}

/* A range spans at most this many seqs of other keys' rows before a new entry starts. */
#define BUILD_GAP 256

/*
 * The log of a store made before it: each row's keys as the domain tables
 * give them now, then every version in seq order, in ranges per key.
 */
static int
log_build(struct cs_replica *r)
{
    struct open_range *v = NULL;
    size_t nv = 0, capv = 0;
    sqlite3_stmt *st = NULL;
    int64_t k[CS_LOG_KEYS_MAX];
    size_t n;
    int rc;

    /* Every row's keys, kept: later writes compare with them. */
    rc = sqlite3_prepare_v2(r->db,
                            "SELECT c.tbl, c.row, t.name FROM cs_row c"
                            " JOIN cs_name t ON t.ix = c.tbl ORDER BY c.tbl, c.row",
                            -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct cs_id row;
        if (sqlite3_column_bytes(st, 1) != CS_ID_LEN)
            continue;
        memcpy(row.b, sqlite3_column_blob(st, 1), CS_ID_LEN);
        uint8_t b[8 * CS_LOG_KEYS_MAX];
        sqlite3_stmt *up;
        if ((rc = keys_of(r, (const char *)sqlite3_column_text(st, 2), &row, k, &n)) != 0 ||
            (rc = cs_stmt_get(&r->stmts, ST_ROW_SET_KEYS, &up)) != SQLITE_OK)
            break;
        for (size_t i = 0; i < n; i++)
            cs__put_le64(b + 8 * i, (uint64_t)k[i]);
        sqlite3_bind_int64(up, 1, sqlite3_column_int64(st, 0));
        sqlite3_bind_blob(up, 2, row.b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_blob(up, 3, b, (int)(8 * n), SQLITE_TRANSIENT);
        if ((rc = cs_step_done(up)) != SQLITE_OK)
            break;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_DONE && rc != SQLITE_OK)
        return rc;
    rc = sqlite3_prepare_v2(r->db,
                            /* Both tables of versions, each in seq order: merged, no sort. */
                            "SELECT v.seq, c.keys FROM cs_reg v LEFT JOIN cs_row c"
                            " ON c.tbl = v.tbl AND c.row = v.row UNION ALL"
                            " SELECT v.seq, c.keys FROM cs_old v LEFT JOIN cs_row c"
                            " ON c.tbl = v.tbl AND c.row = v.row ORDER BY 1",
                            -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(st, 0);
        const uint8_t *p = sqlite3_column_blob(st, 1);
        size_t nk = (size_t)sqlite3_column_bytes(st, 1) / 8;
        for (size_t i = 0; i < (nk ? nk : 1) && rc == SQLITE_ROW; i++) {
            int64_t key = nk ? (int64_t)cs__get_le64(p + 8 * i) : 0;
            struct open_range *o = range_of(&v, &nv, &capv, key);
            if (o == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            if (o->seq != 0 && seq - o->last > BUILD_GAP) {
                if ((rc = log_add(r, key, o->seq, o->last)) != SQLITE_OK)
                    break;
                rc = SQLITE_ROW;
                o->seq = 0;
            }
            if (o->seq == 0)
                o->seq = seq;
            o->last = seq;
        }
        if (rc == SQLITE_ROW)
            rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    for (size_t i = 0; i < nv && rc == SQLITE_OK; i++)
        if (v[i].seq != 0)
            rc = log_add(r, v[i].key, v[i].seq, v[i].last);
    free(v);
    return rc;
}

int
cs_replica_set_log(struct cs_replica *r, const struct cs_log_hooks *hooks, char *err, size_t errlen)
{
    static const struct cs_log_hooks none = {0};
    char buf[8];
    int ret, rc;

    if (r->in_tx)
        return cs_errf(err, errlen, CS_EINVAL, _("a transaction is already open"));
    r->log = hooks != NULL ? *hooks : none;
    if (cs_replica_meta_get(r, CS__LOG_META, buf, sizeof(buf)) == 0 && strcmp(buf, "1") == 0) {
        r->log_on = 1;
        return 0;
    }
    if ((ret = cs__replica_exec(r, "BEGIN IMMEDIATE", err, errlen, NC_("cannot %s", "upgrade"))) !=
        0)
        return ret;
    if ((rc = sqlite3_exec(r->db, "DELETE FROM cs_log", NULL, NULL, NULL)) != SQLITE_OK ||
        (rc = log_build(r)) != SQLITE_OK) {
        ret = cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "upgrade"));
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
        return ret;
    }
    if ((ret = cs_replica_meta_set(r, CS__LOG_META, "1")) != 0 ||
        (ret = cs__replica_exec(r, "COMMIT", err, errlen, NC_("cannot %s", "upgrade"))) != 0) {
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
        return ret != 0 && err && err[0] ? ret : cs_errf(err, errlen, ret, "%s", cs_strerror(ret));
    }
    r->log_on = 1;
    return 0;
}
