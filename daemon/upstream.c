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
#include <stdlib.h>
#include <string.h>

#include "cellsync/compress.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/origin.h"
#include "cellsync/util.h"
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

/* Appends an entry's kept sets (a zstd frame of signed sets, or the plain sets of older entries). */
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
        /* Never more than a chunk may carry: the next entry waits for the next chunk. */
        if (rb->n > 0 && rb->len + len > CS_SYNC_MAX_PLAIN / 4)
            break;
        if ((ret = relay_add(rb, kept, len, (uint64_t)sqlite3_column_int64(st, 0),
                             (size_t)sqlite3_column_int64(st, 2))) != 0) {
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
    if ((ret = relay_gather(h, after, rb, err, errlen)) != 0)
        goto out;
    /* This hub's own writes up to where the relayed entries end (to the end without any). */
    struct cs_since_filter f = {.only_origin = cs_replica_site(r),
                                .upto = rb->n > 0 ? rb->e[rb->n - 1].hi : 0};
    if ((ret = cs_sync_make_set(r, hub_key(h), after, &f, CS_SYNC_CHUNK, &own, err, errlen)) != 0)
        goto out;
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
    if (changes == 0)
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
