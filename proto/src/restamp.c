/* SPDX-License-Identifier: MIT */
/*
 * Repair after a clock that ran ahead (cs_replica_restamp and
 * cs_replica_reissue in cellsync/replica.h): this replica's own versions
 * get new stamps from the corrected clock, what saw them follows, and the
 * states of the registers involved are worked out again.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/replica.h"
#include "store.h"

struct rv { /* one version of a register, for working its state out again */
    int64_t seq, site, prev_site;
    uint64_t hlc, prev_hlc;
    int state;
};

/*
 * Works out the states of every version of one register from the set of
 * versions alone (the rule in replica.h), and copies a new current value
 * to the domain table.
 */
static int
recompute(struct cs_replica *r, int64_t tbl, const struct cs_id *row, int64_t col)
{
    sqlite3_stmt *st = NULL, *up = NULL;
    struct rv *v = NULL;
    size_t n = 0, cap = 0, best = 0;
    int rc;

    if ((rc = cs__stmt_get(&r->stmts, ST_VER_REGISTER, &st)) != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, tbl);
    sqlite3_bind_blob(st, 2, row->b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, col);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cs__grow((void **)&v, &cap, n + 1, sizeof(*v), 8) != 0) {
            rc = SQLITE_NOMEM;
            goto out;
        }
        v[n].hlc = (uint64_t)sqlite3_column_int64(st, 0);
        v[n].site = sqlite3_column_int64(st, 1);
        v[n].prev_hlc = (uint64_t)sqlite3_column_int64(st, 2);
        v[n].prev_site = sqlite3_column_int64(st, 3);
        v[n].state = sqlite3_column_int(st, 4);
        v[n].seq = sqlite3_column_int64(st, 5);
        if (n > 0 && cs__stamp_cmp(r, v[n].hlc, v[n].site, v[best].hlc, v[best].site) > 0)
            best = n;
        n++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE || (rc = cs__stmt_get(&r->stmts, ST_VER_SET_STATE, &up)) != SQLITE_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (size_t j = 0; j < n && !seen; j++)
            seen =
                j != i &&
                ((v[j].prev_hlc == v[i].hlc && v[j].prev_site == v[i].site && v[j].prev_hlc != 0) ||
                 (v[j].site == v[i].site && v[j].hlc > v[i].hlc));
        int state = i == best ? CS_VS_CURRENT : seen ? CS_VS_SUPERSEDED : CS_VS_CONFLICT;
        if (state == v[i].state)
            continue;
        sqlite3_reset(up);
        sqlite3_bind_int64(up, 1, v[i].seq);
        sqlite3_bind_int(up, 2, state);
        if ((rc = cs__step_done(up)) != SQLITE_OK)
            goto out;
    }
    rc = SQLITE_OK;
    if (n > 0 && v[best].state != CS_VS_CURRENT) {
        /* The winner changed: show its value. */
        sqlite3_stmt *q;
        uint64_t cl;
        if ((rc = cs__stmt_get(&r->stmts, ST_VER_VAL, &q)) != SQLITE_OK)
            goto out;
        sqlite3_bind_int64(q, 1, v[best].seq);
        if ((rc = sqlite3_step(q)) == SQLITE_ROW &&
            (rc = cs__row_cl(r, tbl, row, &cl)) == SQLITE_OK)
            rc = cs__domain_set(r, tbl, row, col, sqlite3_column_value(q, 0), (int64_t)cl);
        else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
            rc = SQLITE_CORRUPT;
        sqlite3_reset(q);
    }
out:
    if (st != NULL)
        sqlite3_reset(st);
    free(v);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * The versions re-stamped: our own after `after` beyond `limit`, and those
 * listed in temp.cs_reissue (refused by the hub for their stamps), which
 * also move to new seqs so that they are sent again.
 */
#define RESTAMPED                                                                                  \
    "site = ?1 AND ((seq > ?2 AND hlc > ?3) OR seq IN (SELECT seq FROM temp.cs_reissue))"

static int
restamp(struct cs_replica *r, uint64_t after, uint64_t limit, size_t *count, char *err,
        size_t errlen)
{
    struct rs {
        int64_t seq, tbl, col, prev_site;
        struct cs_id row;
        uint64_t old, new, prev;
        int move;   /* to a new seq: it is to be sent again */
        int pinned; /* keeps its stamp: a write that keeps its own saw it */
    } *v = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *st = NULL, *set = NULL, *seen = NULL;
    int ret, rc;

    *count = 0;
    if ((ret = cs__replica_exec(r, "BEGIN IMMEDIATE", err, errlen, "write to")) != 0)
        return ret;
    r->in_tx = 1;
    /* Writes dropped below, kept here with the values and what they saw. */
    if ((rc = sqlite3_exec(r->db,
                           "CREATE TABLE IF NOT EXISTS cs_dropped (tbl INTEGER NOT NULL,"
                           " row BLOB NOT NULL, col INTEGER NOT NULL, hlc INTEGER NOT NULL,"
                           " site INTEGER NOT NULL, prev_hlc INTEGER NOT NULL,"
                           " prev_site INTEGER NOT NULL, seq INTEGER NOT NULL, val,"
                           " PRIMARY KEY (tbl, row, col, hlc, site)) WITHOUT ROWID",
                           NULL, NULL, NULL)) != SQLITE_OK)
        goto fail;
    rc = sqlite3_prepare_v2(
        r->db,
        "SELECT seq, tbl, row, col, hlc, seq IN (SELECT seq FROM temp.cs_reissue),"
        " prev_hlc, prev_site FROM cs_ver WHERE " RESTAMPED " ORDER BY hlc, seq",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, r->site_ix);
    sqlite3_bind_int64(st, 2, (int64_t)after);
    sqlite3_bind_int64(st, 3, (int64_t)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cs__grow((void **)&v, &cap, n + 1, sizeof(*v), 64) != 0) {
            rc = SQLITE_NOMEM;
            goto fail;
        }
        v[n].seq = sqlite3_column_int64(st, 0);
        v[n].tbl = sqlite3_column_int64(st, 1);
        memcpy(v[n].row.b, sqlite3_column_blob(st, 2), CS_ID_LEN);
        v[n].col = sqlite3_column_int64(st, 3);
        v[n].old = (uint64_t)sqlite3_column_int64(st, 4);
        v[n].move = sqlite3_column_int(st, 5);
        v[n].prev = (uint64_t)sqlite3_column_int64(st, 6);
        v[n].prev_site = sqlite3_column_int64(st, 7);
        v[n].pinned = 0;
        n++;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_DONE)
        goto fail;
    if (n == 0) {
        cs_replica_rollback(r);
        return 0;
    }
    /*
     * A write that keeps its stamp and saw one of these must stay later, so
     * that one is pinned: it keeps its stamp too, and so does what it saw.
     * From the latest down, since a write sees only earlier ones. A pinned
     * write keeps the rest of its local transaction (one old stamp) with it,
     * except the writes the hub refused: a refusal is final for that stamp
     * (the hub refuses it again), so a refused write moves on to a new stamp
     * or, pinned, is dropped. Its value was replaced here by the write that
     * saw it, and the hub keeps the refused one for review.
     */
    rc = sqlite3_prepare_v2(r->db,
                            "SELECT 1 FROM cs_ver WHERE tbl = ?4 AND row = ?5 AND col = ?6"
                            " AND prev_hlc = ?7 AND prev_site = ?1 AND NOT (" RESTAMPED ")",
                            -1, &seen, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    for (size_t e = n; e > 0 && rc == SQLITE_OK;) {
        size_t g = e - 1; /* the group [g, e) shares one old stamp */
        while (g > 0 && v[g - 1].old == v[e - 1].old)
            g--;
        int group = 0;
        for (size_t j = g; j < e && rc == SQLITE_OK; j++) {
            int pin = 0;
            for (size_t k = e; k < n && !pin; k++)
                pin = v[k].pinned && v[k].tbl == v[j].tbl && v[k].col == v[j].col &&
                      v[k].prev == v[j].old && v[k].prev_site == r->site_ix &&
                      cs_id_cmp(&v[k].row, &v[j].row) == 0;
            if (!pin) {
                sqlite3_reset(seen);
                sqlite3_bind_int64(seen, 1, r->site_ix);
                sqlite3_bind_int64(seen, 2, (int64_t)after);
                sqlite3_bind_int64(seen, 3, (int64_t)limit);
                sqlite3_bind_int64(seen, 4, v[j].tbl);
                sqlite3_bind_blob(seen, 5, v[j].row.b, CS_ID_LEN, SQLITE_STATIC);
                sqlite3_bind_int64(seen, 6, v[j].col);
                sqlite3_bind_int64(seen, 7, (int64_t)v[j].old);
                rc = sqlite3_step(seen);
                pin = rc == SQLITE_ROW;
                rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
            }
            v[j].pinned = pin;
            group |= pin && !v[j].move;
        }
        for (size_t j = g; j < e; j++)
            v[j].pinned |= group && !v[j].move;
        e = g;
    }
    sqlite3_finalize(seen);
    if (rc != SQLITE_OK)
        goto fail;
    /*
     * Wind the clock back past our own stamps that are being replaced, but
     * never below a stamp we keep: every write must stay later than all it
     * has seen, whoever made it. A pinned stamp is below a kept one.
     */
    rc = sqlite3_prepare_v2(
        r->db, "SELECT coalesce(max(hlc), 0) FROM cs_ver WHERE NOT (" RESTAMPED ")", -1, &st, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, r->site_ix);
    sqlite3_bind_int64(st, 2, (int64_t)after);
    sqlite3_bind_int64(st, 3, (int64_t)limit);
    if ((rc = sqlite3_step(st)) != SQLITE_ROW)
        goto fail;
    r->clock.last = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;

    /*
     * In the order of the old stamps, which is the order the writes saw each
     * other in (seqs are not, once a re-issued write has moved on). Each new
     * stamp is above every stamp kept, so the order among a register's
     * versions, and so its winner, is kept, and no new stamp meets an old one.
     */
    for (size_t i = 0, j; i < n; i++) {
        if (v[i].pinned)
            continue;
        for (j = i; j > 0 && v[j - 1].old == v[i].old && v[j - 1].pinned; j--)
            ;
        if (j > 0 && v[j - 1].old == v[i].old)
            v[i].new = v[j - 1].new;
        else if ((ret = cs_hlc_send(&r->clock, &v[i].new)) != 0)
            goto out;
    }
    /*
     * A write that gets a new stamp and saw a dropped one names what that
     * one saw instead: the dropped stamp may be far ahead, and no replica
     * has it.
     */
    rc = sqlite3_prepare_v2(r->db,
                            "WITH RECURSIVE up(h, s) AS (SELECT ?4, ?5 UNION"
                            " SELECT d.prev_hlc, d.prev_site FROM cs_dropped d, up"
                            " WHERE d.tbl = ?1 AND d.row = ?2 AND d.col = ?3 AND d.hlc = up.h"
                            " AND d.site = up.s)"
                            " SELECT h, s FROM up WHERE NOT EXISTS (SELECT 1 FROM cs_dropped d"
                            " WHERE d.tbl = ?1 AND d.row = ?2 AND d.col = ?3 AND d.hlc = up.h"
                            " AND d.site = up.s)",
                            -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(r->db,
                                "UPDATE cs_ver SET prev_hlc = ?2, prev_site = ?3 WHERE seq = ?1",
                                -1, &set, NULL);
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        if (v[i].pinned || v[i].prev == 0)
            continue;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, v[i].tbl);
        sqlite3_bind_blob(st, 2, v[i].row.b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, v[i].col);
        sqlite3_bind_int64(st, 4, (int64_t)v[i].prev);
        sqlite3_bind_int64(st, 5, v[i].prev_site);
        if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
            rc = rc == SQLITE_DONE ? SQLITE_CORRUPT : rc;
            break;
        }
        uint64_t ph = (uint64_t)sqlite3_column_int64(st, 0);
        int64_t ps = sqlite3_column_int64(st, 1);
        rc = SQLITE_OK;
        if (ph == v[i].prev && ps == v[i].prev_site)
            continue;
        sqlite3_reset(set);
        sqlite3_bind_int64(set, 1, v[i].seq);
        sqlite3_bind_int64(set, 2, (int64_t)ph);
        sqlite3_bind_int64(set, 3, ps);
        rc = cs__step_done(set);
    }
    sqlite3_finalize(st);
    sqlite3_finalize(set);
    st = set = NULL;
    if (rc != SQLITE_OK)
        goto fail;
    /*
     * New stamps can equal old ones not yet replaced, so they go in through
     * negative marks: first every moved stamp and every reference to one,
     * then all of them turned.
     */
    rc = sqlite3_prepare_v2(r->db,
                            "UPDATE cs_ver SET prev_hlc = -?4 WHERE tbl = ?1 AND row = ?2"
                            " AND col = ?3 AND prev_hlc = ?5 AND prev_site = ?6;",
                            -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc =
            sqlite3_prepare_v2(r->db, "UPDATE cs_ver SET hlc = -?2 WHERE seq = ?1", -1, &set, NULL);
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        if (v[i].pinned)
            continue;
        sqlite3_reset(set);
        sqlite3_bind_int64(set, 1, v[i].seq);
        sqlite3_bind_int64(set, 2, (int64_t)v[i].new);
        if ((rc = cs__step_done(set)) != SQLITE_OK)
            break;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, v[i].tbl);
        sqlite3_bind_blob(st, 2, v[i].row.b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, v[i].col);
        sqlite3_bind_int64(st, 4, (int64_t)v[i].new);
        sqlite3_bind_int64(st, 5, (int64_t)v[i].old);
        sqlite3_bind_int64(st, 6, r->site_ix);
        rc = cs__step_done(st);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(r->db,
                          "UPDATE cs_ver SET hlc = -hlc WHERE hlc < 0;"
                          "UPDATE cs_ver SET prev_hlc = -prev_hlc WHERE prev_hlc < 0",
                          NULL, NULL, NULL);
    sqlite3_finalize(set);
    sqlite3_finalize(st);
    st = set = NULL;
    if (rc == SQLITE_OK &&
        (rc = sqlite3_prepare_v2(r->db,
                                 "UPDATE cs_ver SET seq = (SELECT max(seq) + 1 FROM cs_ver)"
                                 " WHERE seq = ?1",
                                 -1, &set, NULL)) == SQLITE_OK) {
        /* In seq order, so a moved local transaction stays in one piece. */
        for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
            if (!v[i].move || v[i].pinned)
                continue;
            sqlite3_reset(set);
            sqlite3_bind_int64(set, 1, v[i].seq);
            rc = cs__step_done(set);
        }
        sqlite3_finalize(set);
        set = NULL;
    }
    if (rc == SQLITE_OK &&
        (rc =
             sqlite3_prepare_v2(r->db,
                                "INSERT OR REPLACE INTO cs_dropped SELECT tbl, row, col, hlc, site,"
                                " prev_hlc, prev_site, seq, val FROM cs_ver WHERE seq = ?1;",
                                -1, &set, NULL)) == SQLITE_OK &&
        (rc = sqlite3_prepare_v2(r->db, "DELETE FROM cs_ver WHERE seq = ?1", -1, &st, NULL)) ==
            SQLITE_OK) {
        for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
            if (!v[i].move || !v[i].pinned)
                continue;
            sqlite3_reset(set);
            sqlite3_bind_int64(set, 1, v[i].seq);
            if ((rc = cs__step_done(set)) != SQLITE_OK)
                break;
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, v[i].seq);
            rc = cs__step_done(st);
        }
    }
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++)
        rc = recompute(r, v[i].tbl, &v[i].row, v[i].col);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_finalize(set);
    sqlite3_finalize(st);
    st = set = NULL;
    if ((ret = cs_replica_commit(r, err, errlen)) != 0)
        goto out;
    *count = n;
    free(v);
    return 0;
fail:
    ret = cs__replica_fail(r, rc, err, errlen, "re-stamp in");
out:
    sqlite3_finalize(set);
    sqlite3_finalize(st);
    cs_replica_rollback(r);
    free(v);
    return ret;
}

static int
reissue_table(struct cs_replica *r)
{
    return sqlite3_exec(r->db,
                        "CREATE TEMP TABLE IF NOT EXISTS cs_reissue (seq INTEGER PRIMARY KEY);"
                        " DELETE FROM temp.cs_reissue",
                        NULL, NULL, NULL);
}

int
cs_replica_restamp(struct cs_replica *r, uint64_t after, uint64_t limit, size_t *count, char *err,
                   size_t errlen)
{
    int rc = reissue_table(r);
    if (rc != SQLITE_OK)
        return cs__replica_fail(r, rc, err, errlen, "re-stamp in");
    return restamp(r, after, limit, count, err, errlen);
}

int
cs_replica_reissue(struct cs_replica *r, const struct cs_refused_id *ids, size_t n, uint64_t after,
                   uint64_t limit, size_t *count, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = reissue_table(r);
    *count = 0;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(r->db,
                                "INSERT OR IGNORE INTO temp.cs_reissue SELECT v.seq FROM cs_ver v"
                                " JOIN cs_name t ON t.ix = v.tbl JOIN cs_name c ON c.ix = v.col"
                                " WHERE t.name = ?1 AND v.row = ?2 AND c.name = ?3 AND v.hlc = ?4"
                                " AND v.site = ?5",
                                -1, &st, NULL);
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        /* Only our own writes: the refusal of another device's is not ours to act on. */
        if (cs_id_cmp(&ids[i].origin, &r->site) != 0)
            continue;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, ids[i].table, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, ids[i].row.b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, ids[i].column, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (int64_t)ids[i].hlc);
        sqlite3_bind_int64(st, 5, r->site_ix);
        rc = cs__step_done(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return cs__replica_fail(r, rc, err, errlen, "re-stamp in");
    /*
     * With the ordinary re-stamping in the same pass, so every write keeps
     * its place after the writes it saw, whichever list each is on.
     */
    return restamp(r, after, limit, count, err, errlen);
}
