/* SPDX-License-Identifier: MIT */
/*
 * Randomized convergence of the real replica, in one process, without the
 * network: a province (upper) hub, a commune hub and devices in 2-3 cells
 * write, delete, undelete and resolve conflicts on a small shared set of
 * registers, so concurrent same-field edits are common. Change sets travel
 * the way the product moves them, with the same cursors and filters:
 *   - live sync (device<->hub, hub<->upper): in order, no duplicates, but it
 *     may be cut between the two directions; the device first learns the
 *     hub's time and what the hub has merged (the welcome), takes the hub's
 *     time as its clock offset and re-stamps its unacknowledged versions
 *     that ran ahead (client/cmd_sync.c, client/device.c);
 *   - bundles (both directions): encoded sets put in a per-run queue and
 *     delivered late, out of order, twice or never; the receiver's cursor
 *     comes back in an acknowledgement that can be lost too. A device
 *     re-stamps against its own clock before export, as device_export does.
 * Device clocks are skewed by up to +-2 years and jump, also backward. A
 * device refuses a set with a stamp too far ahead whole (CS_EDRIFT); a hub
 * refuses such a change alone, for good, keeps it for review, and its
 * cursor moves past it, as daemon/hub.c does; the device that sent it is
 * told and issues it again with the hub's time (cs_replica_reissue).
 *
 * Every device holds the whole data (no scope filter), so at the end, after
 * the queue is drained and live rounds run until nothing moves, every
 * replica's hash must be the same, and every value ever written must be
 * present everywhere as a version (current, conflict or superseded), or be
 * replaced there by a write of the same register that saw it (its writer
 * had merged it, or a write that saw it, before writing: the simulator
 * tracks what each replica has seen), or, refused by a hub and replaced by
 * its writer before it could be issued again, be on that hub's review list.
 *
 * Not modelled: authorization and scope.
 *
 * The hubs are plain replicas (the store's merge, not the daemon's), and
 * so is the upper one: the commune hub sends it change sets of everything
 * it holds but the upper's own writes, as a hub sends down, not its own
 * set with its devices' origin-signed sets relayed (daemon/upstream.c,
 * hub_peer_merge in daemon/peer.c), which needs the daemon's registry and
 * keys. That path runs in the network tests with the real binaries:
 * net_chain (tests/net/test_chain.sh: cells, communes and a province, live
 * and by stick) and net_chain_crash (tests/net/test_chain_crash.sh: the
 * province, the commune's sync up and its serve killed mid-sync; `make
 * soak` runs 50 trials).
 *
 * Usage: test_sim [--seeds N] [--first S] [--seed S] [-v] [-q]
 * Each failing seed is printed; --seed S replays one run with a trace.
 */
#include <getopt.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/changeset.h"
#include "cellsync/error.h"
#include "cellsync/hlc.h"
#include "cellsync/id.h"
#include "cellsync/replica.h"
#include "cellsync/version.h"

#define MAXN     10
#define UPPER    0
#define HUB      1
#define NROWS    6
#define YEAR_MS  (365LL * 24 * 3600 * 1000)
#define HOUR_MS  (3600LL * 1000)
#define START_MS UINT64_C(1700000000000)
#define MAXW     512 /* values written in one run (at most 3 a step, 120 steps) */
#define WW       (MAXW / 64)

/*
 * Seeds that once failed stay here and run first (when not in the range
 * asked for), as regressions, each with the fault it found:
 *   2: a device re-stamps after its clock jumped back; the new stamp is
 *      below the prev stamp of the version it replaced, and
 *      cs_replica_changes_since refuses the device's log from then on;
 *   29: a bundle exported before a live sync that re-stamps (and is cut
 *      before sending) is imported afterwards: the hub keeps the old stamps
 *      the device no longer has, and the replicas never converge.
 * With the hub's per-change refusal modelled:
 *   155: a refused write could not move without passing a later write that
 *      saw it, so it stayed on the device only;
 *   409, 984: a write kept its stamp while the write it replaced moved past
 *      it (prev above the stamp);
 *   685: a new stamp met an old one not yet replaced (UNIQUE constraint);
 *   3387: an upper hub refused a change relayed from a hub and told the
 *      device; and a refused stamp was accepted later from a second stick.
 */
static const uint64_t regressions[] = {2, 29, 155, 409, 685, 984, 3387};

struct node {
    struct cs_replica *r;
    struct cs_id site;
    int64_t skew_ms; /* this computer's clock minus true time */
    int offset_known;
    uint64_t exported; /* highest seq put in a bundle: never re-stamped */
    uint64_t seen[WW]; /* the written values this replica has merged, or a write that saw them */
    struct sim *sim;
    /* Writes of this device a hub refused for their stamps, not yet told to it. */
    struct refusal {
        char table[CS_NAME_MAX + 1], column[CS_NAME_MAX + 1];
        struct cs_id row;
        uint64_t hlc;
    } * refused;
    size_t nrefused;
};

struct msg {
    int from, to;
    int is_ack;
    uint64_t ack; /* the receiver's cursor, for an ack */
    uint8_t *buf; /* an encoded change set, for data */
    size_t len;
};

struct written {
    int node;
    int table, col;
    unsigned row;
    unsigned ctr;     /* the number in val */
    uint64_t saw[WW]; /* the values its writer had seen, and this one: what it supersedes */
    char val[32];
};

/* A change a hub refused, kept there for review (hub_refused in daemon/hub.c). */
struct review {
    int hub;
    struct cs_id origin, row;
    char table[CS_NAME_MAX + 1], column[CS_NAME_MAX + 1];
    uint64_t hlc;
    char val[32];
};

struct sim {
    uint64_t seed, rng, now;
    int n, verbose;
    struct node nd[MAXN];
    uint64_t cur[MAXN][MAXN];   /* cur[to][from]: from's seqs merged by to, no gap */
    uint64_t known[MAXN][MAXN]; /* known[from][to]: what from believes cur[to][from] is */
    struct msg *q;
    size_t nq, capq;
    struct written *w;
    size_t nw;
    int *widx; /* value number (v12, r12) -> index in w, or -1 (replaced in its transaction) */
    size_t capwidx;
    struct review *rv;
    size_t nrv;
    unsigned vctr;
    /* tallies */
    size_t writes, deletes, undeletes, resolves, lives, bundles, delivered, dropped, dups, edrift,
        restamped;
    char why[512];
    jmp_buf fail; /* an operation that fails ends the run, not the program */
};

static const char *const tables[] = {"candidate", "sim_note"};
static const char *const cols[2][3] = {{"full_name", "phone", "stage"}, {"body", "tag", "stage"}};

static void
die(const char *what, int rc, const char *err)
{
    fprintf(stderr, "test_sim: %s: %s (%s)\n", what, cs_strerror(rc), err ? err : "");
    exit(1);
}

/* Ends this run as failed with a reason (and the seed goes on the list). */
static void
fail(struct sim *s, const char *what, int rc, const char *err)
{
    snprintf(s->why, sizeof(s->why), "%s: %s (%s)", what, cs_strerror(rc), err ? err : "");
    longjmp(s->fail, 1);
}

static uint64_t
rnd(struct sim *s)
{
    /* splitmix64: small, and the same on every platform. */
    uint64_t z = (s->rng += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static unsigned
pick(struct sim *s, unsigned n)
{
    return (unsigned)(rnd(s) % n);
}

static int
chance(struct sim *s, unsigned percent)
{
    return pick(s, 100) < percent;
}

static void trace(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
trace(struct sim *s, const char *fmt, ...)
{
    if (!s->verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    printf("  [t=%" PRIu64 "] ", s->now - START_MS);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
}

static uint64_t
sim_clock(void *ud)
{
    struct node *n = ud;
    return (uint64_t)((int64_t)n->sim->now + n->skew_ms);
}

static void
row_id(unsigned row, struct cs_id *out)
{
    char name[32];
    snprintf(name, sizeof(name), "sim-row-%u", row);
    cs_id_derive(out, name);
}

static int
is_device(int i)
{
    return i > HUB;
}

/* A device's clock: mostly right, some far off, rarely just past the restamp limit. */
static int64_t
random_skew(struct sim *s)
{
    switch (pick(s, 8)) {
    case 0:
        return (int64_t)(rnd(s) % (2 * YEAR_MS)) - 0; /* up to 2 years ahead */
    case 1:
        return -(int64_t)(rnd(s) % (2 * YEAR_MS)); /* up to 2 years behind */
    case 2:
        return 12 * HOUR_MS + (int64_t)(rnd(s) % (14 * HOUR_MS)); /* near the drift bound */
    default:
        return (int64_t)(rnd(s) % 60000) - 30000;
    }
}

/* A value number for the next write (v12, r12): never given twice in a run. */
static unsigned
next_ctr(struct sim *s)
{
    unsigned c = ++s->vctr;
    if (c >= s->capwidx) {
        size_t cap = s->capwidx ? 2 * s->capwidx : 512;
        int *p = realloc(s->widx, cap * sizeof(*p));
        if (p == NULL)
            fail(s, "out of memory", CS_ENOMEM, NULL);
        for (size_t k = s->capwidx; k < cap; k++)
            p[k] = -1;
        s->widx = p;
        s->capwidx = cap;
    }
    return c;
}

static int
has_bit(const uint64_t *set, size_t k)
{
    return (int)(set[k / 64] >> (k % 64) & 1);
}

/* A committed write: it saw what its writer's replica had seen, and itself. */
static void
record(struct sim *s, struct written *w)
{
    struct node *nd = &s->nd[w->node];
    if (s->w == NULL && (s->w = calloc(MAXW, sizeof(*s->w))) == NULL)
        fail(s, "out of memory", CS_ENOMEM, NULL);
    if (s->nw == MAXW)
        fail(s, "more values than MAXW", CS_EINVAL, NULL);
    nd->seen[s->nw / 64] |= UINT64_C(1) << (s->nw % 64);
    memcpy(w->saw, nd->seen, sizeof(w->saw));
    s->widx[w->ctr] = (int)s->nw;
    s->w[s->nw++] = *w;
}

/* The recorded write whose value is v (a text "v12" or "r12"), or NULL. */
static const struct written *
written_of(const struct sim *s, const char *v, size_t n)
{
    if (n < 2 || n > 10 || (v[0] != 'v' && v[0] != 'r'))
        return NULL;
    unsigned c = 0;
    for (size_t k = 1; k < n; k++) {
        if (v[k] < '0' || v[k] > '9')
            return NULL;
        c = c * 10 + (unsigned)(v[k] - '0');
    }
    if (c >= s->capwidx || s->widx[c] < 0)
        return NULL;
    const struct written *w = &s->w[s->widx[c]];
    return strlen(w->val) == n && memcmp(w->val, v, n) == 0 ? w : NULL;
}

static void
enqueue(struct sim *s, const struct msg *m)
{
    if (s->nq == s->capq) {
        s->capq = s->capq ? 2 * s->capq : 64;
        s->q = realloc(s->q, s->capq * sizeof(*s->q));
        if (s->q == NULL)
            fail(s, "out of memory", CS_ENOMEM, NULL);
    }
    s->q[s->nq++] = *m;
}

/* ---- local operations ---- */

static void
op_write(struct sim *s, int i)
{
    struct cs_replica *r = s->nd[i].r;
    char err[256];
    struct written pend[4];
    int npend = 0, rc;

    if ((rc = cs_replica_begin(r, err, sizeof(err))) != 0)
        fail(s, "begin", rc, err);
    int nops = 1 + (int)pick(s, 3);
    for (int k = 0; k < nops; k++) {
        unsigned row = pick(s, NROWS);
        struct cs_id id;
        row_id(row, &id);
        int t = (int)pick(s, 2);
        unsigned what = pick(s, 10);
        if (what == 0) {
            rc = cs_replica_delete_row(r, tables[t], &id, err, sizeof(err));
            s->deletes += rc == 0;
            trace(s, "node %d deletes %s/%u: %s", i, tables[t], row, cs_strerror(rc));
        } else if (what == 1) {
            rc = cs_replica_undelete_row(r, tables[t], &id, err, sizeof(err));
            s->undeletes += rc == 0;
            trace(s, "node %d undeletes %s/%u: %s", i, tables[t], row, cs_strerror(rc));
        } else {
            struct written *w = &pend[npend];
            w->node = i;
            w->table = t;
            w->row = row;
            w->col = (int)pick(s, 3);
            w->ctr = next_ctr(s);
            snprintf(w->val, sizeof(w->val), "v%u", w->ctr);
            rc = cs_replica_set_text(r, tables[t], &id, cols[t][w->col], w->val, err, sizeof(err));
            /* Within one transaction the last write of a register is the only one. */
            for (int j = 0; rc == 0 && j < npend; j++)
                if (pend[j].table == t && pend[j].row == row && pend[j].col == w->col) {
                    pend[j] = *w;
                    rc = 1;
                }
            if (rc == 0)
                npend++;
            rc = rc == 1 ? 0 : rc;
            trace(s, "node %d sets %s/%u.%s = %s: %s", i, tables[t], row, cols[t][w->col], w->val,
                  cs_strerror(rc));
        }
        /* Deleting a deleted or unknown row is refused: the transaction goes on without it. */
        if (rc != 0 && rc != CS_EINVAL && rc != CS_ENOTFOUND)
            fail(s, "write", rc, err);
    }
    if ((rc = cs_replica_commit(r, err, sizeof(err))) != 0)
        fail(s, "commit", rc, err);
    for (int k = 0; k < npend; k++)
        record(s, &pend[k]);
    s->writes += (size_t)npend;
}

static void
op_resolve(struct sim *s, int i)
{
    sqlite3 *db = cs_replica_db(s->nd[i].r);
    sqlite3_stmt *st;
    const char *sql = "SELECT tbl, row, col FROM cs_conflict WHERE col != '_cl'"
                      " ORDER BY seq LIMIT 1 OFFSET ?";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail(s, "prepare", CS_EINVAL, sqlite3_errmsg(db));
    sqlite3_bind_int(st, 1, (int)pick(s, 3));
    if (sqlite3_step(st) == SQLITE_ROW) {
        struct written w = {.node = i};
        const char *tn = (const char *)sqlite3_column_text(st, 0);
        const char *cn = (const char *)sqlite3_column_text(st, 2);
        struct cs_id id;
        memcpy(id.b, sqlite3_column_blob(st, 1), sizeof(id.b));
        w.table = strcmp(tn, tables[0]) == 0 ? 0 : 1;
        for (w.col = 0; strcmp(cols[w.table][w.col], cn) != 0; w.col++)
            ;
        for (w.row = 0; w.row < NROWS; w.row++) {
            struct cs_id x;
            row_id(w.row, &x);
            if (cs_id_cmp(&x, &id) == 0)
                break;
        }
        w.ctr = next_ctr(s);
        snprintf(w.val, sizeof(w.val), "r%u", w.ctr);
        struct cs_value v = {.type = CS_VTEXT, .p = w.val, .n = strlen(w.val)};
        char err[256];
        int rc = cs_replica_resolve(s->nd[i].r, tn, &id, cn, &v, err, sizeof(err));
        if (rc != 0)
            fail(s, "resolve", rc, err);
        trace(s, "node %d resolves %s/%u.%s = %s", i, tn, w.row, cn, w.val);
        record(s, &w);
        s->resolves++;
    }
    sqlite3_finalize(st);
}

/* ---- moving change sets ---- */

static void
filter_for(struct sim *s, int from, int to, struct cs_since_filter *f)
{
    memset(f, 0, sizeof(*f));
    if (is_device(from))
        f->only_origin = &s->nd[from].site; /* a device sends only its own writes */
    else
        f->not_origin = &s->nd[to].site; /* never echo a peer's own writes back */
}

/* Whether hub `to` refused change c (a refusal is final for its stamp). */
static int
refused_at(const struct sim *s, int to, const struct cs_change *c)
{
    for (size_t k = 0; k < s->nrv; k++) {
        const struct review *v = &s->rv[k];
        if (v->hub == to && v->hlc == c->hlc && cs_id_cmp(&v->origin, &c->origin) == 0 &&
            cs_id_cmp(&v->row, &c->row) == 0 && strcmp(v->table, c->table) == 0 &&
            strcmp(v->column, c->column) == 0)
            return 1;
    }
    return 0;
}

struct hub_ctx {
    struct sim *s;
    int from, to;
};

/*
 * A hub refuses a stamp too far ahead one change at a time, with the wider
 * bound for a change the sender relays rather than wrote (daemon/hub.c).
 */
static int
hub_accept(void *ud, const struct cs_changeset *cs, size_t i, int *kind, char *reason, size_t len)
{
    struct hub_ctx *x = ud;
    struct cs_change c;
    cs_changeset_get(cs, i, &c);
    /* A refusal is final for that stamp: the same change is refused again. */
    if (refused_at(x->s, x->to, &c)) {
        snprintf(reason, len, "refused before");
        *kind = 1;
        return 0;
    }
    int relayed = cs_id_cmp(&c.origin, &x->s->nd[x->from].site) != 0;
    if (cs_replica_check_stamp(x->s->nd[x->to].r, c.hlc, relayed) == 0)
        return 0;
    snprintf(reason, len, "clock ahead");
    *kind = 1;
    return 0;
}

/*
 * ...and the device that wrote it hears of it with the next reply, when it
 * sent it itself: a hub's refusals go back to its sender only.
 */
static int
hub_refused(void *ud, const struct cs_change *c, int kind, const char *reason)
{
    struct hub_ctx *x = ud;
    struct sim *s = x->s;
    (void)kind; /* this hub refuses for the clock only */
    trace(s, "hub %d refuses %s.%s hlc %" PRIu64 " from %d: %s", x->to, c->table, c->column, c->hlc,
          x->from, reason);
    struct review *rv = realloc(s->rv, (s->nrv + 1) * sizeof(*rv));
    if (rv == NULL)
        return CS_ENOMEM;
    s->rv = rv;
    rv = &rv[s->nrv++];
    memset(rv, 0, sizeof(*rv));
    rv->hub = x->to;
    rv->origin = c->origin;
    rv->row = c->row;
    rv->hlc = c->hlc;
    snprintf(rv->table, sizeof(rv->table), "%s", c->table);
    snprintf(rv->column, sizeof(rv->column), "%s", c->column);
    if (c->value.type == CS_VTEXT)
        snprintf(rv->val, sizeof(rv->val), "%.*s", (int)c->value.n, (const char *)c->value.p);
    for (int d = 0; d < x->s->n; d++) {
        struct node *nd = &x->s->nd[d];
        if (d != x->from || cs_id_cmp(&nd->site, &c->origin) != 0)
            continue;
        struct refusal *r = realloc(nd->refused, (nd->nrefused + 1) * sizeof(*r));
        if (r == NULL)
            return CS_ENOMEM;
        nd->refused = r;
        r = &r[nd->nrefused++];
        snprintf(r->table, sizeof(r->table), "%s", c->table);
        snprintf(r->column, sizeof(r->column), "%s", c->column);
        r->row = c->row;
        r->hlc = c->hlc;
    }
    return 0;
}

/* The device re-issues its refused writes with the corrected clock (client/device.c). */
static void
reissue(struct sim *s, int d, uint64_t after, uint64_t ref)
{
    struct node *nd = &s->nd[d];
    uint64_t limit = ref + cs_hlc_make(CS_HLC_DRIFT_DEFAULT_MS / 2, 0);
    if (nd->nrefused == 0)
        return;
    if (after < nd->exported)
        after = nd->exported;
    struct cs_refused_id *ids = calloc(nd->nrefused, sizeof(*ids));
    char err[256];
    size_t count = 0;
    if (ids == NULL)
        fail(s, "reissue", CS_ENOMEM, NULL);
    for (size_t i = 0; i < nd->nrefused; i++) {
        ids[i].table = nd->refused[i].table;
        ids[i].column = nd->refused[i].column;
        ids[i].row = nd->refused[i].row;
        ids[i].hlc = nd->refused[i].hlc;
        ids[i].origin = nd->site;
    }
    int rc = cs_replica_reissue(nd->r, ids, nd->nrefused, after, limit, &count, err, sizeof(err));
    free(ids);
    if (rc != 0)
        fail(s, "reissue", rc, err);
    trace(s, "device %d re-issues %zu of %zu refused writes", d, count, nd->nrefused);
    nd->nrefused = 0;
}

/*
 * Replica `to` merged set cs: it has now seen each value in it, and all
 * that value's writer had seen (whether the store keeps the version or
 * not). A change a hub refused was not merged.
 */
static void
mark_seen(struct sim *s, int to, const struct cs_changeset *cs)
{
    uint64_t *seen = s->nd[to].seen;
    for (size_t i = 0; i < cs_changeset_count(cs); i++) {
        struct cs_change c;
        cs_changeset_get(cs, i, &c);
        const struct written *w =
            c.value.type == CS_VTEXT ? written_of(s, c.value.p, c.value.n) : NULL;
        if (w == NULL || (!is_device(to) && refused_at(s, to, &c)))
            continue;
        for (int k = 0; k < WW; k++)
            seen[k] |= w->saw[k];
    }
}

/* Merges a set at to; on success moves to's cursor of from when there is no gap. */
static int
take(struct sim *s, int from, int to, const struct cs_changeset *cs)
{
    char err[256];
    struct cs_apply_stats st;
    struct hub_ctx x = {s, from, to};
    struct cs_apply_opts hub = {
        .accept = hub_accept, .refused = hub_refused, .ud = &x, .per_change_drift = 1};
    int rc = cs_replica_apply(s->nd[to].r, cs, is_device(to) ? NULL : &hub, &st, err, sizeof(err));
    const struct cs_changeset_header *h = cs_changeset_header(cs);
    trace(s, "%d -> %d: seqs %" PRIu64 "..%" PRIu64 ", %zu changes: %s", from, to, h->seq_first,
          h->seq_last, cs_changeset_count(cs), rc == 0 ? "merged" : err);
    if (rc == CS_EDRIFT) {
        s->edrift++;
        return rc;
    }
    if (rc != 0)
        fail(s, "apply", rc, err);
    if (h->seq_first <= s->cur[to][from] + 1 && h->seq_last > s->cur[to][from])
        s->cur[to][from] = h->seq_last;
    mark_seen(s, to, cs);
    return 0;
}

static size_t
chunk_bytes(struct sim *s)
{
    return chance(s, 50) ? 0 : 200 + pick(s, 4000);
}

static void
restamp(struct sim *s, int d, uint64_t after, uint64_t ref)
{
    char err[256];
    size_t count = 0;
    uint64_t limit = ref + cs_hlc_make(CS_HLC_DRIFT_DEFAULT_MS / 2, 0);
    /* As client/device.c does: what went out on a stick keeps its stamps. */
    if (after < s->nd[d].exported)
        after = s->nd[d].exported;
    int rc = cs_replica_restamp(s->nd[d].r, after, limit, &count, err, sizeof(err));
    if (rc != 0)
        fail(s, "restamp", rc, err);
    if (count > 0)
        trace(s, "device %d restamps %zu versions after seq %" PRIu64, d, count, after);
    s->restamped += count;
}

/* Sends everything from after on, in chunks, directly; 0, or the first error. */
static int
stream(struct sim *s, int from, int to, size_t max)
{
    struct cs_since_filter f;
    filter_for(s, from, to, &f);
    while (cs_replica_seq(s->nd[from].r) > s->known[from][to]) {
        struct cs_changeset *cs = NULL;
        char err[256];
        int rc = cs_replica_changes_since(s->nd[from].r, s->known[from][to], max, &f, &cs, err,
                                          sizeof(err));
        if (rc != 0)
            fail(s, "changes_since", rc, err);
        uint64_t before = s->known[from][to];
        rc = take(s, from, to, cs);
        cs_changeset_free(cs);
        if (rc != 0)
            return rc;
        s->known[from][to] = s->cur[to][from];
        if (s->known[from][to] == before)
            fail(s, "stream does not move on", CS_EINVAL, NULL);
    }
    return 0;
}

/*
 * A live sync between a (device or lower hub) and b (its hub): the welcome
 * first, then a's chunks up, then b's down; cut at random unless final.
 */
static void
op_live(struct sim *s, int a, int b, int final)
{
    s->lives++;
    trace(s, "live sync %d <-> %d", a, b);
    /* Hello and welcome: each side learns the other's cursor, a learns b's time. */
    s->known[a][b] = s->cur[b][a];
    s->known[b][a] = s->cur[a][b];
    if (is_device(a)) {
        uint64_t hub_time = cs_replica_now(s->nd[b].r);
        int ret = cs_replica_set_clock_offset(s->nd[a].r, (int64_t)cs_hlc_ms(hub_time) -
                                                              (int64_t)sim_clock(&s->nd[a]));
        if (ret != 0)
            fail(s, "set_clock_offset", ret, NULL);
        s->nd[a].offset_known = 1;
        if (s->nd[a].nrefused > 0)
            reissue(s, a, s->known[a][b], hub_time);
        else
            restamp(s, a, s->known[a][b], hub_time);
    }
    if (!final && chance(s, 10))
        return;
    if (stream(s, a, b, chunk_bytes(s)) != 0 && final)
        fail(s, "final sync refused up", CS_EDRIFT, NULL);
    if (!final && chance(s, 10))
        return;
    if (stream(s, b, a, chunk_bytes(s)) != 0 && final)
        fail(s, "final sync refused down", CS_EDRIFT, NULL);
}

/* A bundle from one side to the other, into the queue. */
static void
op_bundle(struct sim *s, int from, int to)
{
    struct cs_since_filter f;
    struct cs_changeset *cs = NULL;
    char err[256];
    int rc;

    if (is_device(from) && s->nd[from].offset_known)
        restamp(s, from, s->known[from][to], cs_replica_now(s->nd[from].r));
    filter_for(s, from, to, &f);
    if ((rc = cs_replica_changes_since(s->nd[from].r, s->known[from][to], chunk_bytes(s), &f, &cs,
                                       err, sizeof(err))) != 0)
        fail(s, "changes_since", rc, err);
    struct msg m = {.from = from, .to = to};
    if (is_device(from) && cs_changeset_header(cs)->seq_last > s->nd[from].exported)
        s->nd[from].exported = cs_changeset_header(cs)->seq_last;
    if ((rc = cs_changeset_encode(cs, &m.buf, &m.len)) != 0)
        fail(s, "encode", rc, NULL);
    trace(s, "bundle %d -> %d: seqs %" PRIu64 "..%" PRIu64 ", %zu changes queued", from, to,
          cs_changeset_header(cs)->seq_first, cs_changeset_header(cs)->seq_last,
          cs_changeset_count(cs));
    cs_changeset_free(cs);
    enqueue(s, &m);
    s->bundles++;
}

static void
deliver(struct sim *s, size_t k, int keep)
{
    struct msg m = s->q[k];
    if (!keep)
        s->q[k] = s->q[--s->nq];
    if (m.is_ack) {
        if (m.ack > s->known[m.from][m.to])
            s->known[m.from][m.to] = m.ack;
    } else {
        struct cs_changeset *cs = NULL;
        char err[256];
        int rc = cs_changeset_decode(&cs, m.buf, m.len, err, sizeof(err));
        if (rc != 0)
            fail(s, "decode", rc, err);
        /* Merged before, by an earlier bundle or a live sync: skipped (daemon/import.c). */
        if (cs_changeset_header(cs)->seq_last <= s->cur[m.to][m.from]) {
            trace(s, "%d -> %d: seqs ..%" PRIu64 " merged before: skipped", m.from, m.to,
                  cs_changeset_header(cs)->seq_last);
            rc = 0;
        } else {
            rc = take(s, m.from, m.to, cs);
        }
        cs_changeset_free(cs);
        /* A reply from a hub tells a device what was refused. */
        if (rc == 0 && is_device(m.to) && !is_device(m.from) && s->nd[m.to].offset_known)
            reissue(s, m.to, s->known[m.to][m.from], cs_replica_now(s->nd[m.from].r));
        if (rc == 0) {
            /* The reply carries the cursor back (a reply bundle or the next hello). */
            struct msg ack = {.from = m.from, .to = m.to, .is_ack = 1, .ack = s->cur[m.to][m.from]};
            enqueue(s, &ack);
        }
        s->delivered++;
    }
    if (!keep)
        free(m.buf);
}

static void
op_queue(struct sim *s)
{
    if (s->nq == 0)
        return;
    size_t k = pick(s, (unsigned)s->nq);
    unsigned what = pick(s, 10);
    if (what == 0) {
        trace(s, "a message %d -> %d is lost", s->q[k].from, s->q[k].to);
        free(s->q[k].buf);
        s->q[k] = s->q[--s->nq];
        s->dropped++;
    } else if (what == 1) {
        s->dups++;
        deliver(s, k, 1);
    } else {
        deliver(s, k, 0);
    }
}

/* ---- checks ---- */

/*
 * With a trace: the versions of replica i in seq order, of one register only
 * when table is set, one line each into line[] (at most max; caller frees
 * each) and their seqs into seq[] (optional), as the line leaves the seq out
 * (it differs between replicas). The view cs_version gives each version but
 * its prev and cl; those come from the change set of everything the replica
 * holds, or show as "?" when the replica cannot make one.
 */
static size_t
version_lines(struct sim *s, int i, const char *table, const struct cs_id *row, const char *column,
              char **line, int64_t *seq, size_t max)
{
    const char *sql = "SELECT seq, tbl, row, col, hlc, origin, state, coalesce(val, 'nil')"
                      " FROM cs_version WHERE ?1 IS NULL OR (tbl = ?1 AND row = ?2 AND col = ?3)"
                      " ORDER BY seq";
    struct cs_replica *r = s->nd[i].r;
    sqlite3 *db = cs_replica_db(r);
    struct cs_changeset *cs = NULL;
    sqlite3_stmt *st;
    char err[256];
    size_t n = 0;
    int rc = cs_replica_changes_since(r, 0, 0, NULL, &cs, err, sizeof(err));
    if (rc != 0)
        printf("  replica %d lists no prev and cl: %s (%s)\n", i, cs_strerror(rc), err);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail(s, "prepare", CS_EINVAL, sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    if (row != NULL)
        sqlite3_bind_blob(st, 2, row->b, sizeof(row->b), SQLITE_STATIC);
    sqlite3_bind_text(st, 3, column, -1, SQLITE_STATIC);
    while (n < max && sqlite3_step(st) == SQLITE_ROW) {
        const char *tn = (const char *)sqlite3_column_text(st, 1);
        const char *cn = (const char *)sqlite3_column_text(st, 3);
        uint64_t hlc = (uint64_t)sqlite3_column_int64(st, 4);
        struct cs_id id, origin;
        char hex[CS_ID_HEX_LEN + 1], prev[64] = "prev ? cl ?", buf[512];
        memcpy(id.b, sqlite3_column_blob(st, 2), sizeof(id.b));
        memcpy(origin.b, sqlite3_column_blob(st, 5), sizeof(origin.b));
        for (size_t k = 0; cs != NULL && k < cs_changeset_count(cs); k++) {
            struct cs_change c;
            cs_changeset_get(cs, k, &c);
            if (c.hlc == hlc && cs_id_cmp(&c.origin, &origin) == 0 && cs_id_cmp(&c.row, &id) == 0 &&
                strcmp(c.table, tn) == 0 && strcmp(c.column, cn) == 0)
                snprintf(prev, sizeof(prev), "prev %" PRIu64 " cl %" PRIu64, c.prev_hlc, c.cl);
        }
        cs_id_to_hex(&origin, hex);
        snprintf(buf, sizeof(buf), "%s/%02X.%s hlc %" PRIu64 " site %.6s %s state %s val %s", tn,
                 id.b[sizeof(id.b) - 1], cn, hlc, hex, prev, sqlite3_column_text(st, 6),
                 sqlite3_column_text(st, 7));
        if (seq != NULL)
            seq[n] = sqlite3_column_int64(st, 0);
        line[n++] = strdup(buf);
    }
    sqlite3_finalize(st);
    cs_changeset_free(cs);
    return n;
}

/* With a trace: every version of one register in every replica, to read a failure. */
static void
dump_register(struct sim *s, int table, unsigned row, int col)
{
    struct cs_id id;
    row_id(row, &id);
    if (!s->verbose)
        return;
    for (int i = 0; i < s->n; i++) {
        char *line[512];
        int64_t seq[512];
        size_t n = version_lines(s, i, tables[table], &id, cols[table][col], line, seq, 512);
        printf("  replica %d, %s/%u.%s:\n", i, tables[table], row, cols[table][col]);
        for (size_t k = 0; k < n; k++) {
            printf("    seq %" PRId64 " %s\n", seq[k], line[k]);
            free(line[k]);
        }
    }
}

/* With a trace: the versions two replicas do not share, to read a failure. */
static void
dump_diff(struct sim *s, int a, int b)
{
    char *line[2][512];
    size_t n[2] = {0, 0};
    int who[2] = {a, b};
    if (!s->verbose)
        return;
    for (int k = 0; k < 2; k++)
        n[k] = version_lines(s, who[k], NULL, NULL, NULL, line[k], NULL, 512);
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < n[k]; i++) {
            size_t j = 0;
            while (j < n[!k] && strcmp(line[k][i], line[!k][j]) != 0)
                j++;
            if (j == n[!k])
                printf("  only in replica %d: %s\n", who[k], line[k][i]);
        }
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < n[k]; i++)
            free(line[k][i]);
}

/*
 * A write the hub refused, which its device replaced before it could issue
 * it again, is dropped from the replicas: it must be on the hub's review list.
 */
static int
reviewed(const struct sim *s, const struct written *w)
{
    struct cs_id id;
    row_id(w->row, &id);
    for (size_t k = 0; k < s->nrv; k++) {
        const struct review *v = &s->rv[k];
        if (cs_id_cmp(&v->origin, &s->nd[w->node].site) == 0 && cs_id_cmp(&v->row, &id) == 0 &&
            strcmp(v->table, tables[w->table]) == 0 &&
            strcmp(v->column, cols[w->table][w->col]) == 0 && strcmp(v->val, w->val) == 0)
            return 1;
    }
    return 0;
}

/*
 * No typed value is lost at replica i: each is held as a version, or was
 * replaced there by a write of the same register that saw it (the store
 * drops a superseded version once the versions it keeps tell what it told),
 * or is on a hub's review list. "Saw" is the simulator's own record of
 * causality, not the store's: a later stamp or value number proves nothing.
 */
static int
values_kept(struct sim *s, int i)
{
    const char *sql =
        "SELECT tbl, row, col, origin, val FROM cs_version WHERE typeof(val) = 'text'";
    sqlite3 *db = cs_replica_db(s->nd[i].r);
    sqlite3_stmt *st;
    uint64_t held[WW] = {0};
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail(s, "prepare", CS_EINVAL, sqlite3_errmsg(db));
    while (sqlite3_step(st) == SQLITE_ROW) {
        const struct written *w = written_of(s, (const char *)sqlite3_column_text(st, 4),
                                             (size_t)sqlite3_column_bytes(st, 4));
        struct cs_id id;
        if (w == NULL)
            continue;
        row_id(w->row, &id);
        if (strcmp((const char *)sqlite3_column_text(st, 0), tables[w->table]) == 0 &&
            strcmp((const char *)sqlite3_column_text(st, 2), cols[w->table][w->col]) == 0 &&
            sqlite3_column_bytes(st, 1) == CS_ID_LEN &&
            memcmp(sqlite3_column_blob(st, 1), id.b, CS_ID_LEN) == 0 &&
            sqlite3_column_bytes(st, 3) == CS_ID_LEN &&
            memcmp(sqlite3_column_blob(st, 3), s->nd[w->node].site.b, CS_ID_LEN) == 0) {
            size_t k = (size_t)(w - s->w);
            held[k / 64] |= UINT64_C(1) << (k % 64);
        }
    }
    sqlite3_finalize(st);
    for (size_t x = 0; x < s->nw; x++) {
        const struct written *w = &s->w[x];
        size_t y = 0;
        if (has_bit(held, x))
            continue;
        while (y < s->nw &&
               !(has_bit(held, y) && s->w[y].table == w->table && s->w[y].row == w->row &&
                 s->w[y].col == w->col && has_bit(s->w[y].saw, x)))
            y++;
        if (y < s->nw || reviewed(s, w))
            continue;
        snprintf(s->why, sizeof(s->why),
                 "replica %d lacks %s/%u.%s = %s written by %d, and keeps no write of it that saw "
                 "it",
                 i, tables[w->table], w->row, cols[w->table][w->col], w->val, w->node);
        dump_register(s, w->table, w->row, w->col);
        return -1;
    }
    return 0;
}

static int
check(struct sim *s)
{
    uint8_t h0[32], h[32];
    if (cs_replica_hash(s->nd[0].r, h0) != 0)
        fail(s, "hash", CS_EINVAL, NULL);
    for (int i = 1; i < s->n; i++) {
        if (cs_replica_hash(s->nd[i].r, h) != 0)
            fail(s, "hash", CS_EINVAL, NULL);
        if (memcmp(h, h0, sizeof(h)) != 0) {
            snprintf(s->why, sizeof(s->why),
                     "replica %d differs from replica 0 (%" PRIu64 " vs %" PRIu64 " seqs)", i,
                     cs_replica_seq(s->nd[i].r), cs_replica_seq(s->nd[0].r));
            dump_diff(s, i, 0);
            return -1;
        }
    }
    for (int i = 0; i < s->n; i++)
        if (values_kept(s, i) != 0)
            return -1;
    return 0;
}

static int
hashes_of(struct sim *s, uint8_t out[MAXN][32])
{
    for (int i = 0; i < s->n; i++)
        if (cs_replica_hash(s->nd[i].r, out[i]) != 0)
            return -1;
    return 0;
}

/* ---- one run ---- */

static int quiet; /* --quiet: print failing seeds and the summary only */

static int
run(uint64_t seed, int verbose)
{
    struct sim *s = calloc(1, sizeof(*s));
    char err[256];
    int ret;

    if (s == NULL)
        die("out of memory", CS_ENOMEM, NULL);
    s->seed = seed;
    s->rng = seed * UINT64_C(0x2545f4914f6cdd1d) + 1;
    s->verbose = verbose;
    s->now = START_MS;
    int rounds = 0;
    if (setjmp(s->fail) != 0) {
        ret = -1;
        goto out;
    }
    int ncells = 2 + (int)pick(s, 2);
    s->n = 2 + ncells + (int)pick(s, 3); /* at least one device per cell */
    for (int i = 0; i < s->n; i++) {
        struct node *nd = &s->nd[i];
        char name[32];
        snprintf(name, sizeof(name), "sim-site-%d", i);
        cs_id_derive(&nd->site, name);
        nd->sim = s;
        if ((ret = cs_replica_open(&nd->r, ":memory:", CS_REPLICA_CREATE, &nd->site, err,
                                   sizeof(err))) != 0)
            fail(s, "open", ret, err);
        cs_replica_set_time_source(nd->r, sim_clock, nd);
        nd->skew_ms = is_device(i) ? random_skew(s) : (int64_t)pick(s, 2000) - 1000;
    }
    if (verbose)
        printf("seed %" PRIu64 ": %d devices in %d cells\n", seed, s->n - 2, ncells);

    int steps = 60 + (int)pick(s, 60);
    for (int k = 0; k < steps; k++) {
        s->now += pick(s, 10 * 60 * 1000);
        int d = 2 + (int)pick(s, (unsigned)(s->n - 2));
        unsigned what = pick(s, 100);
        if (what < 30)
            op_write(s, d);
        else if (what < 33)
            op_write(s, chance(s, 50) ? HUB : UPPER);
        else if (what < 38)
            op_resolve(s, (int)pick(s, (unsigned)s->n));
        else if (what < 48)
            op_live(s, d, HUB, 0);
        else if (what < 53)
            op_live(s, HUB, UPPER, 0);
        else if (what < 60)
            op_bundle(s, d, HUB);
        else if (what < 65)
            op_bundle(s, HUB, d);
        else if (what < 70)
            op_bundle(s, what & 1 ? HUB : UPPER, what & 1 ? UPPER : HUB);
        else if (what < 93)
            op_queue(s);
        else {
            int64_t old = s->nd[d].skew_ms;
            s->nd[d].skew_ms = random_skew(s);
            trace(s, "device %d clock jumps by %" PRId64 " ms", d, s->nd[d].skew_ms - old);
        }
    }
    /* Every bundle still on the way arrives (in any order), then live rounds until quiet. */
    while (s->nq > 0) {
        size_t k = pick(s, (unsigned)s->nq);
        deliver(s, k, 0);
    }
    uint8_t before[MAXN][32], after[MAXN][32];
    do {
        if (rounds++ > 8) {
            snprintf(s->why, sizeof(s->why), "no quiescence after 8 rounds");
            ret = -1;
            goto out;
        }
        s->now += 60 * 1000;
        if (hashes_of(s, before) != 0)
            fail(s, "hash", CS_EINVAL, NULL);
        op_live(s, HUB, UPPER, 1);
        for (int d = 2; d < s->n; d++)
            op_live(s, d, HUB, 1);
        op_live(s, HUB, UPPER, 1);
        if (hashes_of(s, after) != 0)
            fail(s, "hash", CS_EINVAL, NULL);
    } while (memcmp(before, after, sizeof(before[0]) * (size_t)s->n) != 0);
    ret = check(s);
out:
    if (ret != 0 || !quiet)
        printf(
            "seed %" PRIu64 ": %s: %zu values, %zu deletes, %zu undeletes, %zu resolves, %zu live,"
            " %zu bundles (%zu delivered, %zu lost, %zu twice), %zu drift refusals, %zu restamped,"
            " %d final rounds%s%s\n",
            seed, ret == 0 ? "ok" : "FAILED", s->writes, s->deletes, s->undeletes, s->resolves,
            s->lives, s->bundles, s->delivered, s->dropped, s->dups, s->edrift, s->restamped,
            rounds, ret == 0 ? "" : ": ", ret == 0 ? "" : s->why);
    for (int i = 0; i < s->n; i++) {
        cs_replica_close(s->nd[i].r);
        free(s->nd[i].refused);
    }
    for (size_t k = 0; k < s->nq; k++)
        free(s->q[k].buf);
    free(s->q);
    free(s->w);
    free(s->widx);
    free(s->rv);
    free(s);
    return ret;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"seeds", required_argument, NULL, 'n'}, {"first", required_argument, NULL, 'f'},
        {"seed", required_argument, NULL, 's'},  {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},       {NULL, 0, NULL, 0}};
    uint64_t nseeds = 200, first = 1, one = 0;
    int have_one = 0, verbose = 0, c;

    while ((c = getopt_long(argc, argv, "n:f:s:vq", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            nseeds = strtoull(optarg, NULL, 10);
            break;
        case 'f':
            first = strtoull(optarg, NULL, 10);
            break;
        case 's':
            one = strtoull(optarg, NULL, 10);
            have_one = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        default:
            fprintf(stderr, "usage: test_sim [--seeds N] [--first S] [--seed S] [-v] [-q]\n");
            return 2;
        }
    }
    if (cs_init() != 0) {
        fprintf(stderr, "test_sim: cannot initialize\n");
        return 1;
    }
    if (have_one)
        return run(one, 1) == 0 ? 0 : 1;

    size_t passed = 0, failed = 0, shown = 0;
    char list[512] = "";
    for (size_t k = 0; k < sizeof(regressions) / sizeof(regressions[0]) + nseeds; k++) {
        uint64_t seed;
        if (k < sizeof(regressions) / sizeof(regressions[0])) {
            seed = regressions[k];
            if (seed >= first && seed < first + nseeds)
                continue;
        } else {
            seed = first + (k - sizeof(regressions) / sizeof(regressions[0]));
        }
        if (run(seed, verbose) == 0) {
            passed++;
        } else {
            failed++;
            if (shown++ < 40)
                snprintf(list + strlen(list), sizeof(list) - strlen(list), " %" PRIu64, seed);
        }
    }
    printf("%zu passed, %zu failed%s%s%s\n", passed, failed, failed ? " (seeds" : "", list,
           failed > 40 ? " ...)"
           : failed    ? ")"
                       : "");
    return failed == 0 ? 0 : 1;
}
