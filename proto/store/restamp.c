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
#include "cellsync/i18n.h"
#include "cellsync/replica.h"
#include "cellsync/util.h"
#include "store.h"

/* A parameter of run2: an integer, or a row id when row is set. */
#define I(x)                                                                                       \
    {                                                                                              \
        .i = (int64_t)(x)                                                                          \
    }
#define ROW(x)                                                                                     \
    {                                                                                              \
        .row = (x)                                                                                 \
    }
struct arg {
    int64_t i;
    const struct cs_id *row;
};

/* Runs statement st on cs_reg, then its twin st + 1 on cs_old, with the same parameters. */
static int
run2(struct cs_replica *r, int st, const struct arg *a, int n)
{
    for (int t = 0; t < 2; t++) {
        sqlite3_stmt *s;
        int rc = cs_stmt_get(&r->stmts, st + t, &s);
        if (rc != SQLITE_OK)
            return rc;
        for (int i = 0; i < n; i++)
            if (a[i].row != NULL)
                sqlite3_bind_blob(s, i + 1, a[i].row->b, CS_ID_LEN, SQLITE_STATIC);
            else
                sqlite3_bind_int64(s, i + 1, a[i].i);
        if ((rc = cs_step_done(s)) != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

/* One version being re-stamped. */
struct rs {
    int64_t seq, tbl, col, prev_site;
    struct cs_id row;
    uint64_t old, new, prev;
    int move;   /* to a new seq: it is to be sent again */
    int pinned; /* keeps its stamp: a write that keeps its own saw it */
};

/*
 * One re-stamping: the versions it covers (RESTAMPED in replica.c: our own
 * after `after` beyond `limit`, and those in temp.cs_reissue, which also
 * move to new seqs), in the order of their old stamps.
 */
struct restamp {
    struct cs_replica *r;
    uint64_t after, limit;
    struct rs *v;
    size_t n, cap;
    char *err;
    size_t errlen;
};

static int
fail(struct restamp *x, int rc)
{
    return cs__replica_fail(x->r, rc, x->err, x->errlen, NC_("cannot %s", "re-stamp in"));
}

/* The parameters of RESTAMPED: ?1 our site, ?2 after, ?3 limit. */
static void
bind_restamped(sqlite3_stmt *st, const struct restamp *x)
{
    sqlite3_bind_int64(st, 1, x->r->site_ix);
    sqlite3_bind_int64(st, 2, (int64_t)x->after);
    sqlite3_bind_int64(st, 3, (int64_t)x->limit);
}

/* Pass 1: the versions to re-stamp. */
static int
collect(struct restamp *x)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&x->r->stmts, ST_RS_COLLECT, &st);
    if (rc != SQLITE_OK)
        return fail(x, rc);
    bind_restamped(st, x);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cs_grow((void **)&x->v, &x->cap, x->n + 1, sizeof(*x->v), 64) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        struct rs *v = &x->v[x->n++];
        memset(v, 0, sizeof(*v));
        v->seq = sqlite3_column_int64(st, 0);
        v->tbl = sqlite3_column_int64(st, 1);
        memcpy(v->row.b, sqlite3_column_blob(st, 2), CS_ID_LEN);
        v->col = sqlite3_column_int64(st, 3);
        v->old = (uint64_t)sqlite3_column_int64(st, 4);
        v->move = sqlite3_column_int(st, 5);
        v->prev = (uint64_t)sqlite3_column_int64(st, 6);
        v->prev_site = sqlite3_column_int64(st, 7);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : fail(x, rc);
}

/*
 * Pass 2: a write that keeps its stamp and saw one of these must stay
 * later, so that one is pinned: it keeps its stamp too, and so does what it
 * saw. From the latest down, since a write sees only earlier ones. A pinned
 * write keeps the rest of its local transaction (one old stamp) with it,
 * except the writes the hub refused: a refusal is final for that stamp (the
 * hub refuses it again), so a refused write moves on to a new stamp or,
 * pinned, is dropped. Its value was replaced here by the write that saw it,
 * and the hub keeps the refused one for review.
 */
static int
pin(struct restamp *x)
{
    struct rs *v = x->v;
    size_t n = x->n;
    sqlite3_stmt *seen; /* a kept write of ours names (?4, ?5, ?6, ?7) as prev */
    int rc = cs_stmt_get(&x->r->stmts, ST_RS_SEEN, &seen);
    if (rc != SQLITE_OK)
        return fail(x, rc);
    bind_restamped(seen, x);
    for (size_t e = n; e > 0 && rc == SQLITE_OK;) {
        size_t g = e - 1; /* the group [g, e) shares one old stamp */
        while (g > 0 && v[g - 1].old == v[e - 1].old)
            g--;
        int group = 0;
        for (size_t j = g; j < e && rc == SQLITE_OK; j++) {
            int pin = 0;
            for (size_t k = e; k < n && !pin; k++)
                pin = v[k].pinned && v[k].tbl == v[j].tbl && v[k].col == v[j].col &&
                      v[k].prev == v[j].old && v[k].prev_site == x->r->site_ix &&
                      cs_id_cmp(&v[k].row, &v[j].row) == 0;
            if (!pin) {
                sqlite3_bind_int64(seen, 4, v[j].tbl);
                sqlite3_bind_blob(seen, 5, v[j].row.b, CS_ID_LEN, SQLITE_STATIC);
                sqlite3_bind_int64(seen, 6, v[j].col);
                sqlite3_bind_int64(seen, 7, (int64_t)v[j].old);
                rc = sqlite3_step(seen);
                sqlite3_reset(seen);
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
    return rc == SQLITE_OK ? 0 : fail(x, rc);
}

/*
 * Pass 4: wind the clock back past our own stamps that are being replaced,
 * but never below a stamp we keep: every write must stay later than all it
 * has seen, whoever made it. A pinned stamp is below a kept one.
 */
static int
wind_back(struct restamp *x)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&x->r->stmts, ST_RS_KEPT_MAX, &st);
    if (rc != SQLITE_OK)
        return fail(x, rc);
    bind_restamped(st, x);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        x->r->clock.last = (uint64_t)sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_reset(st);
    /*
     * Nor below what a re-stamped write names as prev and keeps naming: a
     * version the store no longer keeps (merge_one) still has its stamp.
     */
    for (size_t i = 0; i < x->n; i++) {
        const struct rs *v = &x->v[i];
        int renamed = 0;
        if (v->pinned || v->prev == 0)
            continue;
        for (size_t j = 0; j < x->n && !renamed; j++)
            renamed = !x->v[j].pinned && x->v[j].old == v->prev && v->prev_site == x->r->site_ix &&
                      x->v[j].tbl == v->tbl && x->v[j].col == v->col &&
                      cs_id_cmp(&x->v[j].row, &v->row) == 0;
        if (!renamed && v->prev > x->r->clock.last)
            x->r->clock.last = v->prev;
    }
    return rc == SQLITE_OK ? 0 : fail(x, rc);
}

/*
 * Pass 5: new stamps, in the order of the old stamps, which is the order
 * the writes saw each other in (seqs are not, once a re-issued write has
 * moved on). Each new stamp is above every stamp kept, so the order among a
 * register's versions, and so its winner, is kept, and no new stamp meets
 * an old one. A local transaction keeps one stamp.
 */
static int
assign(struct restamp *x)
{
    struct rs *v = x->v;
    int ret;
    for (size_t i = 0, j; i < x->n; i++) {
        if (v[i].pinned)
            continue;
        for (j = i; j > 0 && v[j - 1].old == v[i].old && v[j - 1].pinned; j--)
            ;
        if (j > 0 && v[j - 1].old == v[i].old)
            v[i].new = v[j - 1].new;
        else if ((ret = cs_hlc_send(&x->r->clock, &v[i].new)) != 0)
            return ret;
    }
    return 0;
}

/*
 * Pass 3: a write that gets a new stamp and saw a dropped one names what
 * that one saw instead: the dropped stamp may be far ahead, and no replica
 * has it.
 */
static int
fix_prev(struct restamp *x)
{
    sqlite3_stmt *root; /* the first of prev's chain not in cs_dropped */
    int rc;
    if ((rc = cs_stmt_get(&x->r->stmts, ST_RS_PREV_ROOT, &root)) != SQLITE_OK)
        return fail(x, rc);
    for (size_t i = 0; i < x->n && rc == SQLITE_OK; i++) {
        struct rs *v = &x->v[i];
        if (v->pinned || v->prev == 0)
            continue;
        sqlite3_bind_int64(root, 1, v->tbl);
        sqlite3_bind_blob(root, 2, v->row.b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(root, 3, v->col);
        sqlite3_bind_int64(root, 4, (int64_t)v->prev);
        sqlite3_bind_int64(root, 5, v->prev_site);
        if ((rc = sqlite3_step(root)) != SQLITE_ROW) {
            sqlite3_reset(root);
            rc = rc == SQLITE_DONE ? SQLITE_CORRUPT : rc;
            break;
        }
        uint64_t ph = (uint64_t)sqlite3_column_int64(root, 0);
        int64_t ps = sqlite3_column_int64(root, 1);
        sqlite3_reset(root);
        rc = SQLITE_OK;
        if (ph == v->prev && ps == v->prev_site)
            continue;
        rc = run2(x->r, ST_RS_SET_PREV, (struct arg[]){I(v->seq), I(ph), I(ps)}, 3);
        v->prev = ph;
        v->prev_site = ps;
    }
    return rc == SQLITE_OK ? 0 : fail(x, rc);
}

/*
 * Pass 6: new stamps can equal old ones not yet replaced, so they go in
 * through negative marks: first every moved stamp and every reference to
 * one, then all of them turned.
 */
static int
rewrite(struct restamp *x)
{
    struct cs_replica *r = x->r;
    int rc = SQLITE_OK;
    for (size_t i = 0; i < x->n && rc == SQLITE_OK; i++) {
        const struct rs *v = &x->v[i];
        if (v->pinned)
            continue;
        if ((rc = run2(r, ST_RS_MARK_HLC, (struct arg[]){I(v->seq), I(v->new)}, 2)) != SQLITE_OK)
            break;
        rc = run2(
            r, ST_RS_MARK_PREV,
            (struct arg[]){I(v->tbl), ROW(&v->row), I(v->col), I(v->new), I(v->old), I(r->site_ix)},
            6);
    }
    if (rc == SQLITE_OK && (rc = run2(r, ST_RS_TURN_HLC, NULL, 0)) == SQLITE_OK)
        rc = run2(r, ST_RS_TURN_PREV, NULL, 0);
    return rc == SQLITE_OK ? 0 : fail(x, rc);
}

/* Pass 7: re-issued writes to new seqs, in seq order, so a moved local transaction stays in one
 * piece. */
static int
move_seqs(struct restamp *x)
{
    int rc = SQLITE_OK;
    for (size_t i = 0; i < x->n && rc == SQLITE_OK; i++) {
        if (!x->v[i].move || x->v[i].pinned)
            continue;
        /* Its new seq is the largest: the change log names it with the transaction. */
        int64_t seq = cs__next_seq(x->r);
        if (seq == 0)
            rc = SQLITE_ERROR;
        else if ((rc = run2(x->r, ST_RS_MOVE, (struct arg[]){I(x->v[i].seq), I(seq)}, 2)) ==
                     SQLITE_OK &&
                 x->r->log_on)
            rc = cs__log_note(x->r, x->v[i].tbl, &x->v[i].row, seq);
    }
    return rc == SQLITE_OK ? 0 : fail(x, rc);
}

/* Pass 8: a re-issued write that is pinned is dropped, kept in cs_dropped with what it saw. */
static int
drop(struct restamp *x)
{
    sqlite3_stmt *keep;
    int rc;
    if ((rc = cs_stmt_get(&x->r->stmts, ST_RS_KEEP_DROPPED, &keep)) != SQLITE_OK)
        return fail(x, rc);
    for (size_t i = 0; i < x->n && rc == SQLITE_OK; i++) {
        if (!x->v[i].move || !x->v[i].pinned)
            continue;
        sqlite3_bind_int64(keep, 1, x->v[i].seq);
        if ((rc = cs_step_done(keep)) != SQLITE_OK)
            break;
        rc = run2(x->r, ST_RS_DELETE, (struct arg[]){I(x->v[i].seq)}, 1);
    }
    return rc == SQLITE_OK ? 0 : fail(x, rc);
}

/* Last: the states of every register involved, and the domain tables, worked out again. */
static int
recompute_all(struct restamp *x)
{
    int rc = SQLITE_OK;
    for (size_t i = 0; i < x->n && rc == SQLITE_OK; i++)
        rc = cs__reg_settle(x->r, x->v[i].tbl, &x->v[i].row, x->v[i].col);
    return rc == SQLITE_OK ? 0 : fail(x, rc);
}

static int
restamp(struct cs_replica *r, uint64_t after, uint64_t limit, size_t *count, char *err,
        size_t errlen)
{
    struct restamp x = {.r = r, .after = after, .limit = limit, .err = err, .errlen = errlen};
    int ret;

    *count = 0;
    if ((ret = cs__replica_exec(r, "BEGIN IMMEDIATE", err, errlen, NC_("cannot %s", "write to"))) !=
        0)
        return ret;
    r->in_tx = 1;
    if ((ret = collect(&x)) != 0 || x.n == 0 || (ret = pin(&x)) != 0 || (ret = fix_prev(&x)) != 0 ||
        (ret = wind_back(&x)) != 0 || (ret = assign(&x)) != 0 || (ret = rewrite(&x)) != 0 ||
        (ret = move_seqs(&x)) != 0 || (ret = drop(&x)) != 0 || (ret = recompute_all(&x)) != 0 ||
        (ret = cs_replica_commit(r, err, errlen)) != 0)
        goto out;
    *count = x.n;
out:
    cs_replica_rollback(r); /* nothing left to undo after a commit */
    free(x.v);
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
        return cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "re-stamp in"));
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
        rc = cs_stmt_get(&r->stmts, ST_RS_REISSUE, &st);
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        /* Only our own writes: the refusal of another device's is not ours to act on. */
        if (cs_id_cmp(&ids[i].origin, &r->site) != 0)
            continue;
        sqlite3_bind_text(st, 1, ids[i].table, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, ids[i].row.b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, ids[i].column, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (int64_t)ids[i].hlc);
        sqlite3_bind_int64(st, 5, r->site_ix);
        rc = cs_step_done(st);
    }
    if (rc != SQLITE_OK)
        return cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "re-stamp in"));
    /*
     * With the ordinary re-stamping in the same pass, so every write keeps
     * its place after the writes it saw, whichever list each is on.
     */
    return restamp(r, after, limit, count, err, errlen);
}
