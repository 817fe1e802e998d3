/* SPDX-License-Identifier: MIT */
/*
 * Serving one device, for any transport (see peer.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/refusal.h"
#include "cellsync/util.h"
#include "hub_internal.h"
#include "peer.h"
#include "upstream.h"

static void
hex16(const uint8_t b[CS_INCARNATION_LEN], char out[2 * CS_INCARNATION_LEN + 1])
{
    sodium_bin2hex(out, 2 * CS_INCARNATION_LEN + 1, b, CS_INCARNATION_LEN);
}

int
hub_peer_admit(struct hub *h, const uint8_t pk[CS_PK_LEN], const struct cs_hello *hello,
               struct hub_peer *p, struct cs_welcome *w)
{
    memset(p, 0, sizeof(*p));
    memset(w, 0, sizeof(*w));
    w->status = (uint32_t)hub_admit_decide(h, pk, hello, &p->dev, &p->enroll_row, w->message,
                                           sizeof(w->message));
    w->hub_time = cs_replica_now(hub_replica(h));
    if (w->status != CS_WELCOME_OK)
        return (int)w->status;
    w->up_seq = p->dev.up_seq;
    snprintf(w->org, sizeof(w->org), "%s", p->dev.org);
    snprintf(w->role, sizeof(w->role), "%s", p->dev.role);
    int how = hub_down_cursor(h, hello, w->incarnation, &p->down_after);
    if (how < 0) {
        w->status = CS_WELCOME_BUSY;
        snprintf(w->message, sizeof(w->message), _("the hub cannot read its incarnation"));
        return (int)w->status;
    }
    w->has_incarnation = 1;
    w->down_seq = p->down_after;
    if (how != HUB_DOWN_SAME) {
        char from[2 * CS_INCARNATION_LEN + 1] = "none", to[2 * CS_INCARNATION_LEN + 1];
        if (hello->has_incarnation)
            hex16(hello->incarnation, from);
        hex16(w->incarnation, to);
        p->restored = how;
        snprintf(p->restored_log, sizeof(p->restored_log),
                 "from=%s to=%s hub_seq=%llu down_seq=%llu", from, to,
                 (unsigned long long)hello->hub_seq, (unsigned long long)p->down_after);
    }
    if (hub_scope_load(h, p->dev.org, &p->scope) != 0) {
        w->status = CS_WELCOME_BUSY;
        snprintf(w->message, sizeof(w->message), _("the hub cannot read its org tree"));
        return (int)w->status;
    }
    /* Its enrollment, name and last_contact wait for its proof (hub_peer_commit,
     * hub_device_proven). */
    p->pending = p->enroll_row != 0 || hub_device_published(h, &p->dev) != 1;
    return CS_WELCOME_OK;
}

int
hub_peer_commit(struct hub *h, struct hub_peer *p, char *msg, size_t msglen)
{
    if (p->committed)
        return CS_WELCOME_OK;
    int ret = hub_admit_commit(h, &p->dev, p->enroll_row, msg, msglen);
    if (ret == CS_WELCOME_OK)
        p->committed = 1;
    return ret;
}

void
hub_peer_release(struct hub_peer *p)
{
    hub_scope_free(p->scope);
    p->scope = NULL;
}

void
hub_merge_release(struct hub_merge *m)
{
    free(m->refused);
    memset(m, 0, sizeof(*m));
}

struct merge_ctx {
    struct hub *h;
    struct hub_peer *p;
    struct hub_merge *m;
    struct hub_authz *az; /* made for the one change set this merges */
    const uint8_t *plain; /* the chunk's signed sets: what the audit keeps */
    size_t plain_len;
    struct cs_envelope_info info;
    size_t changes;                  /* in all the chunk's sets */
    uint64_t seq_lo;                 /* the first seq the chunk's merges may store here */
    struct cs_apply_stats rst;       /* what the relayed sets held */
    const struct hub_device *writer; /* a relayed set's origin, when enrolled here */
    int set_refused;                 /* a relayed set refused whole: the kind of every change */
    char set_reason[256];            /* and why */
    char revoked[160];               /* why the device may no longer sync (merge_commit) */
};

static int
merge_accept(void *ud, const struct cs_changeset *cs, size_t i, int *kind, char *reason, size_t len)
{
    struct merge_ctx *x = ud;
    (void)cs; /* x->az was made for it */
    if (x->set_refused) {
        snprintf(reason, len, "%s", x->set_reason);
        *kind = x->set_refused;
        return 0;
    }
    int rc = hub_authorize(x->az, i, reason, len);
    /* The hub could not check: the whole chunk fails, nothing is refused for it. */
    if (rc < 0)
        return rc;
    *kind = rc;
    return 0;
}

static int
merge_refused(void *ud, const struct cs_change *ch, int kind, const char *reason)
{
    struct merge_ctx *x = ud;
    struct hub_merge *m = x->m;
    if (m->nrefused < CS_MSG_REFUSED_MAX) {
        if (cs_grow((void **)&m->refused, &m->caprefused, m->nrefused + 1, sizeof(*m->refused),
                    8) != 0)
            return CS_ENOMEM;
        struct cs_refusal *r = &m->refused[m->nrefused++];
        memset(r, 0, sizeof(*r));
        snprintf(r->table, sizeof(r->table), "%s", ch->table);
        snprintf(r->column, sizeof(r->column), "%s", ch->column);
        r->row = ch->row;
        r->hlc = ch->hlc;
        r->origin = ch->origin;
        snprintf(r->reason, sizeof(r->reason), "%s", reason);
        r->kind = (uint8_t)kind;
    }
    /* Kept for the device whose change it is: a relayed one's origin, once the hub knows it. */
    return hub_refusal(x->h, x->writer != NULL ? x->writer : &x->p->dev, ch, kind, reason);
}

/* The cursor and the audit line commit with the chunk's merges, or neither does. */
static int
merge_commit(struct merge_ctx *x)
{
    int ret;
    /*
     * The device's row read again in the merge's own transaction: revoked
     * since its handshake (by `cellsyncd revoke`, another process), nothing
     * of the chunk is merged (F7). Under the write lock: no revocation can
     * commit between this read and the merge's commit.
     */
    if ((ret = hub_device_revoked(x->h, &x->p->dev.id, x->revoked, sizeof(x->revoked))) != 0)
        return ret < 0 ? ret : CS_EREVOKED;
    /* A chunk that starts past the cursor (a gap) merges, but the cursor waits for the gap. */
    if (x->p->dev.up_seq < x->info.seq_last && x->info.seq_first <= x->p->dev.up_seq + 1 &&
        (ret = hub_device_set_up_seq(x->h, &x->p->dev.id, x->info.seq_last)) != 0)
        return ret;
    if ((ret = hub_audit(x->h, &x->p->dev, x->m->nrefused ? "partly refused" : "accepted", &x->info,
                         x->changes, x->m->nrefused, NULL, x->plain, x->plain_len)) != 0)
        return ret;
    /* What it stored, for the hub above: the entry's sets go up for those seqs (upstream.c). */
    return hub_upward_note(x->h, x->seq_lo, cs_replica_seq(hub_replica(x->h)));
}

static void
stats_add(struct cs_apply_stats *to, const struct cs_apply_stats *st)
{
    to->received += st->received;
    to->applied += st->applied;
    to->duplicates += st->duplicates;
    to->conflicts += st->conflicts;
    to->refused += st->refused;
}

/*
 * May the relaying device hand in this origin's set? Only a hub-role device
 * relays, and only for a device enrolled here or registered with its key,
 * not revoked, whose unit lies in the relayer's subtree (F8). 0 with
 * *origin filled, a refusal kind with x->set_reason, or a negative code.
 */
static int
relay_verdict(struct merge_ctx *x, const struct cs_relayed *r, struct hub_device *origin)
{
    char who[CS_ID_SHORT_LEN + 1];
    cs_id_short(&r->origin, who);
    if (strcmp(x->p->dev.role, HUB_ROLE_HUB) != 0)
        return cs_refusal_make(x->set_reason, sizeof(x->set_reason), CS_REFUSAL_RELAY_ROLE, who);
    int ret = hub_device_known(x->h, &r->origin, origin);
    /* A record whose key is not its id's registers nothing: not the chunk's failure. */
    if (ret == CS_ENOTFOUND || ret == CS_ECORRUPT ||
        (ret == 0 && sodium_memcmp(origin->pk, r->s.origin_pk, CS_PK_LEN) != 0))
        return cs_refusal_make(x->set_reason, sizeof(x->set_reason), CS_REFUSAL_RELAY_UNKNOWN, who);
    if (ret != 0)
        return ret;
    if (origin->revoked_at != 0)
        return cs_refusal_make(x->set_reason, sizeof(x->set_reason), CS_REFUSAL_RELAY_REVOKED, who);
    if (!hub_scope_has(x->p->scope, origin->org))
        return cs_refusal_make(x->set_reason, sizeof(x->set_reason), CS_REFUSAL_RELAY_SCOPE, who,
                               origin->org);
    return 0;
}

/*
 * A set a hub-role device relays, merged in the chunk's transaction, judged
 * as its origin: the origin's role and scope, the same drift bound (a relay
 * lends it no power). A set the relayer may not hand in is refused change
 * by change, through the refusal path, naming its origin. They merge after
 * the relayer's own set, which may register their devices (a commune's
 * cells at its province: the device table); the chunk's commit moves the
 * relayer's cursor and writes the one audit line of the chunk and its
 * upward note, so a chunk that fails is sent again and merges whole.
 */
static int
merge_relayed(struct merge_ctx *x, const struct cs_apply_opts *opts, const struct cs_relayed *r,
              char *err, size_t errlen)
{
    struct hub_device origin;
    struct hub_scope *scope = NULL;
    struct cs_apply_stats st = {0};
    int ret;

    x->set_refused = 0;
    x->az = NULL;
    ret = relay_verdict(x, r, &origin);
    if (ret == 0 || ret == CS_REFUSAL_RELAY_REVOKED || ret == CS_REFUSAL_RELAY_SCOPE)
        x->writer = &origin;
    if (ret > 0)
        x->set_refused = ret;
    else if (ret < 0 || (ret = hub_scope_load(x->h, origin.org, &scope)) != 0 ||
             (ret = hub_authz_new(x->h, &origin, scope, r->cs, &x->az)) != 0) {
        cs_errf(err, errlen, ret, _("cannot check the chunk: %s"), cs_strerror(ret));
        goto out;
    }
    if ((ret = cs_replica_apply_in(hub_replica(x->h), r->cs, opts, &st, err, errlen)) != 0)
        goto out;
    stats_add(&x->rst, &st);
out:
    hub_authz_free(x->az);
    x->az = NULL;
    hub_scope_free(scope);
    x->writer = NULL;
    x->set_refused = 0;
    return ret;
}

int
hub_peer_merge(struct hub *h, struct hub_peer *p, const uint8_t *env, size_t envlen, int live,
               struct hub_merge *m, char *err, size_t errlen)
{
    struct cs_chunk_sets sets = {0};
    struct cs_envelope_info info = {0};
    int ret;

    memset(m, 0, sizeof(*m));
    const struct cs_key *k = NULL;
    if (!live) {
        if ((ret = cs_envelope_peek(env, envlen, &info)) != 0)
            return cs_errf(err, errlen, ret, _("chunk refused: %s"), cs_strerror(ret));
        /* Sealed to the key the device pinned: a retired one until it has heard of the rotation. */
        k = hub_key_for(h, &info.recipient);
        if (k == NULL)
            k = hub_key(h);
    }
    /* Live: the session's handshake proved the device's key; its own set is signed by it. */
    ret = cs_sync_open_sets(k, p->dev.pk, env, envlen, &sets, &info, err, errlen);
    ret = hub_peer_merge_opened(h, p, env, envlen, &sets, &info, ret, m, err, errlen);
    cs_chunk_sets_release(&sets);
    return ret;
}

int
hub_peer_merge_opened(struct hub *h, struct hub_peer *p, const uint8_t *env, size_t envlen,
                      const struct cs_chunk_sets *opened, const struct cs_envelope_info *info,
                      int open_rc, struct hub_merge *m, char *err, size_t errlen)
{
    struct merge_ctx x = {.h = h, .p = p, .m = m, .info = *info};
    struct cs_apply_opts opts = {
        .accept = merge_accept, .refused = merge_refused, .ud = &x, .per_change_drift = 1};
    const struct cs_chunk_sets *sets = opened;
    struct cs_replica *r = hub_replica(h);
    int ret = open_rc;

    memset(m, 0, sizeof(*m));
    if (ret != 0)
        goto out;
    /* Opened with this device's key, or nothing of it is taken. */
    if (sodium_memcmp(info->origin_pk, p->dev.pk, CS_PK_LEN) != 0) {
        ret = cs_errf(err, errlen, CS_ESIGNATURE, _("change set refused: signed by another key"));
        goto out;
    }
    x.plain = sets->plain;
    x.plain_len = sets->plain_len;
    x.changes = cs_changeset_count(sets->own);
    for (size_t i = 0; i < sets->nrelayed; i++)
        x.changes += cs_changeset_count(sets->relayed[i].cs);
    if ((ret = hub_authz_new(h, &p->dev, p->scope, sets->own, &x.az)) != 0) {
        cs_errf(err, errlen, ret, _("cannot check the chunk: %s"), cs_strerror(ret));
        goto out;
    }
    /*
     * The chunk in one transaction: its own set, then the sets it relays, then
     * the cursor, the audit line and the upward note. A hub killed in between
     * keeps none of it, and the chunk sent again merges whole; kept in parts,
     * the sets stored before the kill would have no upward note once the
     * retry found them already here, and would never go further up.
     */
    if ((ret = cs_replica_begin_merge(r, err, errlen)) != 0)
        goto out;
    x.seq_lo = cs_replica_seq(r) + 1; /* under the write lock: no other writer's seqs */
    ret = cs_replica_apply_in(r, sets->own, &opts, &m->st, err, errlen);
    hub_authz_free(x.az);
    x.az = NULL;
    for (size_t i = 0; ret == 0 && i < sets->nrelayed; i++)
        ret = merge_relayed(&x, &opts, &sets->relayed[i], err, errlen);
    /* The hook sees the counts of what it commits with (the audit line does). */
    if (ret == 0) {
        stats_add(&m->st, &x.rst);
        if ((ret = merge_commit(&x)) != 0) {
            if (ret == CS_EREVOKED)
                cs_errf(err, errlen, ret, "%s", x.revoked);
            else
                cs_errf(err, errlen, ret, _("cannot merge the chunk: %s"), cs_strerror(ret));
        }
    }
    if (ret == 0)
        ret = cs_replica_commit(r, err, errlen);
    if (ret != 0) {
        cs_replica_rollback(r);
        hub_log_forget(h);
        goto out;
    }
    if (x.info.seq_last > p->dev.up_seq && x.info.seq_first <= p->dev.up_seq + 1)
        p->dev.up_seq = x.info.seq_last;
    m->seq_last = x.info.seq_last;
out:
    /* A chunk that did not open keeps its bytes in the audit, as they came. */
    if (ret != 0)
        hub_audit(h, &p->dev, "refused", &x.info, 0, 0, err,
                  sets->plain != NULL ? sets->plain : env,
                  sets->plain != NULL ? sets->plain_len : envlen);
    hub_authz_free(x.az);
    return ret;
}

/*
 * The downstream filter, with the last row's verdict kept: the versions of
 * one row come in a run (the columns of one local transaction), and nothing
 * changes the hub while one change set is made, so asking again would give
 * the same answer at the cost of a placement lookup per version.
 */
struct scope_ctx {
    struct hub *h;
    struct hub_peer *p;
    char table[CS_NAME_MAX + 1];
    struct cs_id row;
    int verdict; /* -1: nothing kept yet */
    struct cs_id origin;
    int origin_verdict; /* -1: nothing kept yet */
};

/*
 * A hub below is not sent back what its own subtree wrote: versions of a
 * device registered in its subtree and not enrolled here came up through
 * it. Asked once a run of one origin (a local transaction).
 */
static int
scope_origin_ok(void *ud, const struct cs_id *origin)
{
    struct scope_ctx *x = ud;
    struct hub_device d;
    if (x->origin_verdict >= 0 && cs_id_cmp(&x->origin, origin) == 0)
        return x->origin_verdict;
    /* enrolled_at 0: registered from below, not enrolled here. */
    int below = hub_device_known(x->h, origin, &d) == 0 && d.enrolled_at == 0 &&
                hub_scope_has(x->p->scope, d.org);
    x->origin = *origin;
    x->origin_verdict = !below;
    return x->origin_verdict;
}

static int
scope_row_ok(void *ud, const char *table, const struct cs_id *row)
{
    struct scope_ctx *x = ud;
    if (x->verdict >= 0 && cs_id_cmp(&x->row, row) == 0 && strcmp(x->table, table) == 0)
        return x->verdict;
    int v = hub_row_in_scope(x->h, x->p->scope, table, row);
    if (strlen(table) < sizeof(x->table)) {
        memcpy(x->table, table, strlen(table) + 1);
        x->row = *row;
        x->verdict = v;
    }
    return v;
}

int
hub_peer_next_chunk(struct hub *h, struct hub_peer *p, int live, struct cs_chunk *out, char *err,
                    size_t errlen)
{
    int ret = hub_peer_next_set(h, p, out, err, errlen);
    if (ret == 0 && (ret = cs_sync_seal_set(hub_key(h), live ? NULL : p->dev.pk, CS_SYNC_ZSTD_HUB,
                                            out, err, errlen)) != 0) {
        free(out->env);
        out->env = NULL;
    }
    return ret;
}

/*
 * The downstream filter of a device: its scope's rows, not its own writes,
 * not what a hub below sent up. keys: room for CS_SINCE_KEYS_MAX.
 */
static void
peer_filter(struct hub *h, struct hub_peer *p, struct scope_ctx *x, struct cs_since_filter *f,
            int64_t *keys)
{
    *x = (struct scope_ctx){.h = h, .p = p, .verdict = -1, .origin_verdict = -1};
    *f = (struct cs_since_filter){.not_origin = &p->dev.id, .row_ok = scope_row_ok, .ud = x};
    if (strcmp(p->dev.role, HUB_ROLE_HUB) == 0)
        f->origin_ok = scope_origin_ok;
    /* Read by the log's keys of its scope (unitlog.c); without them, every version. */
    if (hub_log_keys(h, p->dev.org, p->scope, keys, CS_SINCE_KEYS_MAX - 1, &f->nkeys) == 0)
        f->keys = keys;
    else
        f->nkeys = 0;
}

int
hub_peer_next_set(struct hub *h, struct hub_peer *p, struct cs_chunk *out, char *err, size_t errlen)
{
    struct scope_ctx x;
    struct cs_since_filter f;
    int64_t keys[CS_SINCE_KEYS_MAX];
    peer_filter(h, p, &x, &f, keys);
    return cs_sync_make_set(hub_replica(h), hub_key(h), p->down_after, &f, CS_SYNC_CHUNK, out, err,
                            errlen);
}

int
hub_peer_pending(struct hub *h, const struct cs_id *id, uint64_t *count, char *err, size_t errlen)
{
    struct hub_peer p;
    struct scope_ctx x;
    struct cs_since_filter f;
    int64_t keys[CS_SINCE_KEYS_MAX];
    int ret;

    *count = 0;
    memset(&p, 0, sizeof(p));
    if ((ret = hub_device_get(h, id, &p.dev)) != 0)
        return ret;
    if ((ret = hub_scope_load(h, p.dev.org, &p.scope)) != 0)
        return ret;
    peer_filter(h, &p, &x, &f, keys);
    /* What the sessions' chunks would hold, counted without making them. */
    ret = cs_replica_count_since(hub_replica(h), p.dev.down_seq, &f, count, err, errlen);
    hub_scope_free(p.scope);
    return ret;
}
