/* SPDX-License-Identifier: MIT */
/*
 * The hub's way up (issue 19): a commune hub is a device of its province
 * hub, and sends up what its subtree wrote. Its own writes go as its own
 * signed set, as any device's; what its devices wrote goes as they signed
 * it, taken from the audit trail, so the hub above checks every change
 * against the key of the device that wrote it and no hub on the way can
 * alter one (DESIGN.md, Security).
 *
 * Each accepted audit entry notes the replica seqs its merge stored
 * (hub_upward: lo..hi). The upward stream counts in this hub's seqs, as a
 * device's does: the chunk after `after` carries the entries whose hi lies
 * in (after, end] as relayed sets, and this hub's own versions in that same
 * range, so the hub above moves its cursor to end when it has merged them
 * all. An entry that stored nothing new (every change a duplicate) has no
 * range and goes nowhere: what it held came from elsewhere.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cellsync/compress.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "cellsync/origin.h"
#include "cellsync/output.h"
#include "cellsync/util.h"
#include "devsync.h"
#include "hub_internal.h"
#include "upstream.h"

int
hub_upward_note(struct hub *h, uint64_t lo, uint64_t hi)
{
    sqlite3_stmt *st;
    if (hi < lo)
        return 0;
    int rc = cs_stmt_get(&h->stmts, ST_UPWARD_ADD, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_int64(st, 1, (int64_t)lo);
    sqlite3_bind_int64(st, 2, (int64_t)hi);
    rc = cs_step_done(st);
    return rc == SQLITE_OK ? 0 : cs_sqlite_code(rc);
}

/* The relayed sets of one upward chunk, as the audit kept them, and where each entry ends. */
struct relay_buf {
    uint8_t *b;
    size_t len, cap;
    struct {
        uint64_t hi;
        size_t end, changes;
    } e[64];
    size_t n;
};

/* Appends an entry's kept sets (a zstd frame of signed sets, or the plain sets of older entries).
 */
static int
relay_add(struct relay_buf *rb, const uint8_t *kept, size_t len, uint64_t hi, size_t changes)
{
    uint8_t *plain = NULL;
    size_t plen = 0;
    int ret = 0;

    if (cs_zstd_is_frame(kept, len)) {
        if ((ret = cs_zstd_decompress(kept, len, CS_SYNC_MAX_PLAIN, &plain, &plen)) != 0)
            return ret;
        kept = plain;
        len = plen;
    }
    /* A chunk carries about CS_SYNC_CHUNK: an entry past it waits for the next (1), unless first.
     */
    if (rb->n > 0 && rb->len + len > CS_SYNC_CHUNK) {
        ret = 1;
        goto out;
    }
    /* Only origin-signed sets can go up; an envelope of before wire 5 is this hub's alone. */
    struct cs_signed s;
    size_t off = 0;
    if (len > 0 && cs_origin_next(kept, len, &off, &s) == 1) {
        if (cs_grow((void **)&rb->b, &rb->cap, rb->len + len, 1, 16 << 10) != 0) {
            ret = CS_ENOMEM;
            goto out;
        }
        memcpy(rb->b + rb->len, kept, len);
        rb->len += len;
    }
    rb->e[rb->n].hi = hi;
    rb->e[rb->n].end = rb->len;
    rb->e[rb->n].changes = changes;
    rb->n++;
out:
    free(plain);
    return ret;
}

/* The entries whose hi is after `after`, in order, until about a chunk's bytes. */
static int
relay_gather(struct hub *h, uint64_t after, struct relay_buf *rb, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&h->stmts, ST_UPWARD_NEXT, &st), ret = 0;
    if (rc != SQLITE_OK)
        return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "read"));
    sqlite3_bind_int64(st, 1, (int64_t)after);
    while (rb->n < sizeof(rb->e) / sizeof(rb->e[0]) && rb->len < CS_SYNC_CHUNK &&
           (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const uint8_t *kept = sqlite3_column_blob(st, 1);
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        ret = relay_add(rb, kept, len, (uint64_t)sqlite3_column_int64(st, 0),
                        (size_t)sqlite3_column_int64(st, 2));
        if (ret == 1) {
            ret = 0;
            break;
        }
        if (ret != 0) {
            cs_errf(err, errlen, ret, _("cannot read audit entry %lld: %s"),
                    (long long)sqlite3_column_int64(st, 3), cs_strerror(ret));
            break;
        }
    }
    sqlite3_reset(st);
    if (ret == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
        ret = hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "read"));
    return ret;
}

/*
 * The hub above merges a chunk's own set before its relayed sets. An own
 * write made after a relayed entry (a revocation, a unit moved) must not
 * reach it before that entry: the chunk ends before the first own write
 * past its first entry, which goes first in the next one.
 */
static int
relay_in_order(struct cs_replica *r, struct relay_buf *rb, char *err, size_t errlen)
{
    uint64_t next = 0;
    size_t keep = 1;
    int ret = rb->n > 1 ? cs_replica_next_own(r, rb->e[0].hi, &next) : 0;
    if (ret != 0)
        return cs_errf(err, errlen, ret, _("cannot count what waits to go up: %s"),
                       cs_strerror(ret));
    while (keep < rb->n && (next == 0 || rb->e[keep].hi < next))
        keep++;
    if (rb->n > keep) {
        rb->n = keep;
        rb->len = rb->e[keep - 1].end;
    }
    return 0;
}

int
hub_upward_chunk(struct hub *h, const uint8_t peer_pk[CS_PK_LEN], uint64_t after,
                 struct cs_chunk *out, char *err, size_t errlen)
{
    struct relay_buf *rb = calloc(1, sizeof(*rb));
    struct cs_replica *r = hub_replica(h);
    struct cs_chunk own = {0};
    int ret;

    memset(out, 0, sizeof(*out));
    if (rb == NULL)
        return cs_errf(err, errlen, CS_ENOMEM, "%s", cs_strerror(CS_ENOMEM));
    /*
     * The end, read before the entries: a merge that commits after this (the
     * serving hub's, another process) has its entry's hi beyond it, and no
     * chunk may cover its versions before it carries its sets.
     */
    uint64_t top = cs_replica_seq(r);
    if ((ret = relay_gather(h, after, rb, err, errlen)) != 0 ||
        (ret = relay_in_order(r, rb, err, errlen)) != 0)
        goto out;
    /* This hub's own writes up to where the relayed entries end (to that end without any). */
    struct cs_since_filter f = {.only_origin = cs_replica_site(r),
                                .upto = rb->n > 0 ? rb->e[rb->n - 1].hi : top};
    if ((ret = cs_sync_make_set(r, hub_key(h), after, &f, CS_SYNC_CHUNK, &own, err, errlen)) != 0)
        goto out;
    /*
     * A large transaction of its own and a large entry (each may come near
     * CS_SYNC_MAX_PLAIN) do not fit one chunk: its own writes before the
     * entry go first, alone (with the entry, should it start at once).
     */
    if (rb->n > 0 && own.envlen + CS_ORIGIN_HEADER + rb->e[0].end > CS_SYNC_MAX_PLAIN) {
        free(own.env);
        own = (struct cs_chunk){0};
        f.upto = rb->e[0].hi - 1 > after ? rb->e[0].hi - 1 : rb->e[0].hi;
        if ((ret = cs_sync_make_set(r, hub_key(h), after, &f, CS_SYNC_CHUNK, &own, err, errlen)) !=
            0)
            goto out;
    }
    /* Its own set was cut before them: the entries past the cut wait for the next chunk. */
    size_t keep = rb->n, relayed_len = 0, changes = own.changes;
    while (keep > 0 && rb->e[keep - 1].hi > own.seq_last)
        keep--;
    for (size_t i = 0; i < keep; i++)
        changes += rb->e[i].changes;
    relayed_len = keep > 0 ? rb->e[keep - 1].end : 0;
    *out = own;
    out->env = NULL;
    out->changes = changes;
    out->last = own.last && keep == rb->n;
    /* An empty chunk still moves the cursor past others' versions (a stick carries it). */
    if (own.seq_last <= after)
        goto out;
    ret = cs_sync_seal(hub_key(h), peer_pk, own.seq_first, own.seq_last, own.env, own.envlen,
                       relayed_len ? rb->b : NULL, relayed_len, &out->env, &out->envlen);
    if (ret != 0)
        cs_errf(err, errlen, ret, _("cannot seal a chunk for the hub above: %s"), cs_strerror(ret));
out:
    free(own.env);
    free(rb->b);
    free(rb);
    return ret;
}

/* ---- the link up, as a device of the hub above ---- */

static int
up_chunk(void *ud, struct device *d, const uint8_t *peer_pk, uint64_t after, struct cs_chunk *out,
         char *err, size_t errlen)
{
    (void)d;
    return hub_upward_chunk(ud, peer_pk, after, out, err, errlen);
}

/* What waits to go up after `after`: this hub's own versions and the changes of its entries. */
static int
up_count(struct hub *h, uint64_t after, uint64_t *own, uint64_t *relayed, uint64_t *entries)
{
    sqlite3_stmt *st;
    int rc = cs_replica_count_own(hub_replica(h), after, own);
    if (rc != 0)
        return rc;
    if ((rc = cs_stmt_get(&h->stmts, ST_UPWARD_WAITING, &st)) != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_int64(st, 1, (int64_t)after);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *entries = (uint64_t)sqlite3_column_int64(st, 0);
        *relayed = (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : cs_sqlite_code(rc);
}

static int
up_total(void *ud, struct device *d, uint64_t after, uint64_t *total)
{
    uint64_t own = 0, relayed = 0, entries = 0;
    (void)d;
    int ret = up_count(ud, after, &own, &relayed, &entries);
    *total = own + relayed;
    return ret;
}

int
hub_upstream_open(struct hub *h, struct device *d, char *err, size_t errlen)
{
    char keypath[PATH_MAX], pk[2 * CS_PK_LEN + 1];
    memset(d, 0, sizeof(*d));
    if (cs_replica_meta_get(hub_replica(h), CS_META_HUB_PK, pk, sizeof(pk)) != 0 || pk[0] == 0)
        return cs_errf(err, errlen, CS_ENOTFOUND,
                       _("this hub has no hub above it: a hub below another is made with "
                         "'cellsyncd init --upstream FILE' and the enrollment file of role hub "
                         "from the hub above"));
    if (snprintf(keypath, sizeof(keypath), "%s/%s", h->state, HUB_KEY) >= (int)sizeof(keypath))
        return cs_errf(err, errlen, CS_EINVAL, _("state directory '%s': path too long"), h->state);
    return device_open(d, hub_replica(h), keypath, NULL, err, errlen);
}

/* The try noted in meta: when, and what it said (nothing once one finished). */
static void
up_note(struct hub *h, int ok, const char *why)
{
    char now[24];
    struct cs_replica *r = hub_replica(h);
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    cs_replica_meta_set(r, CS_META_UP_TRIED, now);
    if (ok)
        cs_replica_meta_set(r, CS_META_UP_OK, now);
    cs_replica_meta_set(r, CS_META_UP_ERROR, ok ? "" : why);
}

int
hub_upstream_sync(struct hub *h, const char *addr, int timeout, const int *stop_fd,
                  struct devsync_result *res, char *err, size_t errlen)
{
    struct device d;
    char enrolled[256];
    int ret;

    memset(res, 0, sizeof(*res));
    if ((ret = hub_upstream_open(h, &d, err, errlen)) != 0)
        return ret;
    if (addr == NULL || addr[0] == 0) {
        if (cs_replica_meta_get(hub_replica(h), CS_META_HUB_ADDR, enrolled, sizeof(enrolled)) != 0)
            enrolled[0] = 0;
        addr = enrolled;
    }
    struct devsync_opts o = {.addr = addr,
                             .timeout = timeout,
                             .make_chunk = up_chunk,
                             .count = up_total,
                             .ud = h,
                             .stop_fd = stop_fd,
                             .again = "cellsyncd upstream sync"};
    ret = devsync_run(hub_replica(h), &d, &o, res, err, errlen);
    if (ret != 0)
        hub_log_forget(h);
    up_note(h, ret == 0, err);
    device_release(&d);
    return ret;
}

int
hub_upstream_export(struct hub *h, const char *path, struct device_tally *t, char *err,
                    size_t errlen)
{
    struct device d;
    int ret = hub_upstream_open(h, &d, err, errlen);
    if (ret == 0)
        ret = device_export(&d, path, up_chunk, h, NULL, t, err, errlen);
    device_release(&d);
    return ret;
}

int
hub_upstream_import(struct hub *h, const char *path, struct device_tally *t, char *err,
                    size_t errlen)
{
    struct device d;
    int ret = hub_upstream_open(h, &d, err, errlen);
    if (ret != 0)
        return ret;
    /* A reply is a contact with the hub above, noted as a live sync is. */
    if ((ret = device_import(&d, path, NULL, t, err, errlen)) != 0)
        hub_log_forget(h);
    up_note(h, ret == 0, err);
    device_release(&d);
    return ret;
}

/* ---- `cellsyncd upstream status` ---- */

/* A time kept in meta (Unix seconds) bound as ?i: local "DD/MM/YYYY HH:MM" (or ISO UTC), or NULL.
 */
static void
bind_time(sqlite3_stmt *st, int i, struct cs_replica *r, const char *key, int iso)
{
    char v[24];
    time_t t;
    struct tm tm;
    char out[32];
    if (cs_replica_meta_get(r, key, v, sizeof(v)) != 0 || (t = (time_t)atoll(v)) == 0 ||
        (iso ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) == NULL ||
        strftime(out, sizeof(out), iso ? "%Y-%m-%dT%H:%M:%SZ" : "%d/%m/%Y %H:%M", &tm) == 0) {
        sqlite3_bind_null(st, i);
        return;
    }
    sqlite3_bind_text(st, i, out, -1, SQLITE_TRANSIENT);
}

static void
bind_meta(sqlite3_stmt *st, int i, struct cs_replica *r, const char *key)
{
    char v[1024];
    if (cs_replica_meta_get(r, key, v, sizeof(v)) == 0 && v[0] != 0)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

int
hub_upstream_status(struct hub *h, FILE *f, int json, char *err, size_t errlen)
{
    static const char kv_sql[] = "SELECT ?1, ?2, ?3, coalesce(?4, ?10), ?5, ?6, ?7, ?8, ?9";
    static const char json_sql[] =
        "SELECT json_object('above', ?1, 'above_key', ?2, 'unit', ?3, 'last_sync', ?4,"
        " 'last_try', ?5, 'last_error', ?6, 'waiting_changes', ?7, 'waiting_sets', ?8,"
        " 'received_seq', ?9)";
    static const char *const labels[] = {N_("hub above"),
                                         N_("its key"),
                                         N_("this hub's unit"),
                                         N_("last sync"),
                                         N_("last try"),
                                         N_("last error"),
                                         N_("changes to send up"),
                                         N_("device sets among them"),
                                         N_("received from above up to")};
    struct cs_replica *r = hub_replica(h);
    struct device d;
    sqlite3_stmt *st = NULL;
    uint64_t own = 0, relayed = 0, entries = 0;
    int ret = hub_upstream_open(h, &d, err, errlen);

    if (ret != 0)
        return ret;
    if ((ret = up_count(h, device_meta_u64(r, CS_META_HUB_ACK_SEQ), &own, &relayed, &entries)) !=
        0) {
        cs_errf(err, errlen, ret, _("cannot count what waits to go up: %s"), cs_strerror(ret));
        goto out;
    }
    if (sqlite3_prepare_v2(h->db, json ? json_sql : kv_sql, -1, &st, NULL) != SQLITE_OK) {
        ret = hub__db_fail(h, sqlite3_errcode(h->db), err, errlen, NC_("cannot %s", "read"));
        goto out;
    }
    struct cs_id above;
    char above_id[CS_ID_SHORT_LEN + 1];
    cs_pk_id(d.hub_pk, &above);
    cs_id_short(&above, above_id);
    bind_meta(st, 1, r, CS_META_HUB_ADDR);
    sqlite3_bind_text(st, 2, above_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, hub_root_org(h), -1, SQLITE_STATIC);
    bind_time(st, 4, r, CS_META_UP_OK, json);
    bind_time(st, 5, r, CS_META_UP_TRIED, json);
    bind_meta(st, 6, r, CS_META_UP_ERROR);
    sqlite3_bind_int64(st, 7, (int64_t)(own + relayed));
    sqlite3_bind_int64(st, 8, (int64_t)entries);
    sqlite3_bind_int64(st, 9, (int64_t)device_meta_u64(r, CS_META_HUB_SEQ));
    if (!json)
        sqlite3_bind_text(st, 10, _("never"), -1, SQLITE_STATIC);
    ret = json ? cs_out_json(f, st, err, errlen) : cs_out_kv(f, st, labels, err, errlen);
out:
    sqlite3_finalize(st);
    device_release(&d);
    return ret;
}
