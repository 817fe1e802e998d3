/* SPDX-License-Identifier: MIT */
/*
 * This device's side of its hub (see device.h): one way to present a hello,
 * take a welcome and apply the hub's chunks, used by the live sync and by
 * bundles alike, and the bundle export and import built on them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "cellsync/bundle.h"
#include "cellsync/enroll.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "cellsync/refusal.h"
#include "cellsync/refused.h"
#include "cellsync/rotation.h"
#include "cellsync/schema.h"
#include "cellsync/sync.h"
#include "cellsync/unit.h"
#include "cellsync/util.h"
#include "device.h"

int
device_open(struct device *d, struct cs_replica *rep, const char *keypath,
            const struct cs_key_pass *pass, char *err, size_t errlen)
{
    char hex[CS_PK_LEN * 2 + 1] = "";
    size_t len = 0;

    memset(d, 0, sizeof(*d));
    if (cs_replica_meta_get(rep, CS_META_HUB_PK, hex, sizeof(hex)) != 0 ||
        sodium_hex2bin(d->hub_pk, sizeof(d->hub_pk), hex, strlen(hex), NULL, &len, NULL) != 0 ||
        len != CS_PK_LEN)
        return cs_errf(err, errlen, CS_ENOTFOUND, "%s",
                       _("this device is not enrolled with a hub: run 'cellsync enroll' first"));
    int ret = cs_key_load_pass(&d->key, keypath, pass, err, errlen);
    if (ret != 0)
        return ret;
    d->rep = rep;
    return 0;
}

int
device_rotation_check(const struct device *d, const uint8_t *chain, size_t len,
                      uint8_t to[CS_PK_LEN], size_t *steps, char *err, size_t errlen)
{
    size_t bad = 0;
    int ret = cs_rotation_chain_verify(d->hub_pk, chain, len, to, steps, &bad);
    if (ret == 0)
        return 0;
    return cs_errf(err, errlen, ret,
                   _("the hub sent a new key that the key this device trusts did not sign "
                     "(statement %zu of %zu: %s): refused, this device keeps its key"),
                   bad + 1, len / CS_ROTATION_LEN, cs_strerror(ret));
}

int
device_repin(struct device *d, const uint8_t pk[CS_PK_LEN], char *err, size_t errlen)
{
    char hex[CS_PK_LEN * 2 + 1];
    sodium_bin2hex(hex, sizeof(hex), pk, CS_PK_LEN);
    /* One statement: SQLite makes it one transaction, so the pin is the old key or the new. */
    int ret = cs_replica_meta_set(d->rep, CS_META_HUB_PK, hex);
    if (ret != 0)
        return cs_errf(err, errlen, ret, _("cannot save the hub's new key: %s"), cs_strerror(ret));
    memcpy(d->hub_pk, pk, CS_PK_LEN);
    return 0;
}

void
device_repinned_print(const uint8_t pk[CS_PK_LEN], size_t steps, FILE *f)
{
    char hex[17];
    sodium_bin2hex(hex, sizeof(hex), pk, 8);
    fprintf(f,
            _("the hub's key was changed (rotated); the old key signed the change (%zu steps "
              "checked): this device now trusts the hub's new key %s\n"),
            steps, hex);
}

void
device_release(struct device *d)
{
    cs_key_free(d->key);
    d->key = NULL;
}

uint64_t
device_meta_u64(struct cs_replica *r, const char *key)
{
    char buf[32];
    return cs_replica_meta_get(r, key, buf, sizeof(buf)) == 0 ? strtoull(buf, NULL, 10) : 0;
}

static int
meta_put_u64(struct cs_replica *r, const char *key, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    return cs_replica_meta_set(r, key, buf);
}

/* Sets a text value, saying whether it changed. */
static int
meta_update(struct cs_replica *r, const char *key, const char *value, int *changed)
{
    char old[256];
    if (cs_replica_meta_get(r, key, old, sizeof(old)) == 0 && strcmp(old, value) == 0)
        return 0;
    *changed = 1;
    return cs_replica_meta_set(r, key, value);
}

/* The hub incarnation the stored hub_seq counts in: 1 and id, or 0 when there is none. */
static int
stored_incarnation(struct cs_replica *r, uint8_t id[CS_INCARNATION_LEN])
{
    char hex[2 * CS_INCARNATION_LEN + 1] = "";
    size_t len = 0;
    return cs_replica_meta_get(r, CS_META_HUB_INCARNATION, hex, sizeof(hex)) == 0 &&
           sodium_hex2bin(id, CS_INCARNATION_LEN, hex, strlen(hex), NULL, &len, NULL) == 0 &&
           len == CS_INCARNATION_LEN;
}

/* Does this welcome come from another incarnation of the hub than the one stored here? */
static int
incarnation_changed(struct device *d, const struct cs_welcome *w)
{
    uint8_t have[CS_INCARNATION_LEN];
    if (!w->has_incarnation)
        return 0;
    return !stored_incarnation(d->rep, have) ||
           memcmp(have, w->incarnation, CS_INCARNATION_LEN) != 0;
}

void
device_hello(struct device *d, struct cs_hello *h)
{
    char secret_hex[CS_ENROLL_SECRET_LEN * 2 + 1] = "";
    size_t len = 0;

    memset(h, 0, sizeof(*h));
    h->hub_seq = device_meta_u64(d->rep, CS_META_HUB_SEQ);
    h->has_incarnation = stored_incarnation(d->rep, h->incarnation);
    if (cs_replica_meta_get(d->rep, CS_META_ENROLL_SECRET, secret_hex, sizeof(secret_hex)) == 0 &&
        sodium_hex2bin(h->secret, sizeof(h->secret), secret_hex, strlen(secret_hex), NULL, &len,
                       NULL) == 0 &&
        len == sizeof(h->secret))
        h->has_secret = 1;
    sodium_memzero(secret_hex, sizeof(secret_hex));
    cs_replica_meta_get(d->rep, CS_META_DEVICE_NAME, h->name, sizeof(h->name));
}

/* Keeps the enrollment in the replica's settings; the secret is wiped from memory. */
int
device_enroll_save(struct cs_replica *rep, struct cs_enrollment *e, const char *hex,
                   const char *name, char *err, size_t errlen)
{
    char secret[CS_ENROLL_SECRET_LEN * 2 + 1];
    int ret;

    sodium_bin2hex(secret, sizeof(secret), e->secret, sizeof(e->secret));
    if ((ret = cs_replica_meta_set(rep, CS_META_HUB_ADDR, e->addr)) != 0 ||
        (ret = cs_replica_meta_set(rep, CS_META_HUB_PK, hex)) != 0 ||
        (ret = cs_replica_meta_set(rep, CS_META_ENROLL_SECRET, secret)) != 0 ||
        (e->org[0] && (ret = cs_replica_meta_set(rep, CS_META_ORG, e->org)) != 0) ||
        (e->role[0] && (ret = cs_replica_meta_set(rep, CS_META_ROLE, e->role)) != 0) ||
        ((name || e->name[0]) &&
         (ret = cs_replica_meta_set(rep, CS_META_DEVICE_NAME, name ? name : e->name)) != 0))
        cs_errf(err, errlen, ret, _("cannot save the enrollment: %s"), cs_strerror(ret));
    sodium_memzero(secret, sizeof(secret));
    sodium_memzero(e->secret, sizeof(e->secret));
    return ret;
}

int
device_hs_time(struct device *d, uint8_t ts[CS_WIRE_TS_LEN], char *err, size_t errlen)
{
    char hex[CS_WIRE_TS_LEN * 2 + 1] = "";
    uint8_t last[CS_WIRE_TS_LEN];
    size_t len = 0;
    int have = cs_replica_meta_get(d->rep, CS_META_HS_TIME, hex, sizeof(hex)) == 0 &&
               sodium_hex2bin(last, sizeof(last), hex, strlen(hex), NULL, &len, NULL) == 0 &&
               len == sizeof(last);
    cs_wire_ts_next(have ? last : NULL, ts);
    sodium_bin2hex(hex, sizeof(hex), ts, CS_WIRE_TS_LEN);
    int ret = cs_replica_meta_set(d->rep, CS_META_HS_TIME, hex);
    if (ret != 0)
        cs_errf(err, errlen, ret, _("cannot keep the handshake time: %s"), cs_strerror(ret));
    return ret;
}

int
device_registered(struct device *d, char *err, size_t errlen)
{
    char buf[CS_ENROLL_SECRET_LEN * 2 + 1];
    int ret = 0;
    if (cs_replica_meta_get(d->rep, CS_META_ENROLL_SECRET, buf, sizeof(buf)) == 0 && buf[0] != 0 &&
        (ret = cs_replica_meta_forget(d->rep, CS_META_ENROLL_SECRET)) != 0)
        cs_errf(err, errlen, ret, _("cannot save the enrollment: %s"), cs_strerror(ret));
    sodium_memzero(buf, sizeof(buf));
    return ret;
}

int
device_welcome(struct device *d, const struct cs_welcome *w, enum device_via via, int *changed,
               char *err, size_t errlen)
{
    char buf[CS_ENROLL_SECRET_LEN * 2 + 1];
    int any = 0, ret = 0;

    d->hub_drift_ms = (uint64_t)w->max_drift_minutes * 60 * 1000;
    /*
     * The hub's clock is the reference: keep the offset for every later
     * stamp and date. A reply's time is as old as the stick's trip: only a
     * lower bound on the present (cs_replica_learn_hub_time).
     */
    uint64_t hub_ms = cs_hlc_ms(w->hub_time);
    if ((ret = cs_replica_learn_hub_time(d->rep, hub_ms, via == DEVICE_LIVE, NULL)) != 0)
        goto fail;
    int new_org = 0;
    if ((ret = meta_update(d->rep, CS_META_ORG, w->org, &new_org)) != 0 ||
        (ret = meta_update(d->rep, CS_META_ROLE, w->role, &any)) != 0)
        goto fail;
    /*
     * Enrolled by code, the device learns its unit here: its records
     * written before take it (cellsync/unit.h), as `enroll` does from a file.
     */
    if (new_org) {
        size_t adopted = 0;
        if ((ret = cs_unit_adopt(d->rep, &adopted, err, errlen)) != 0)
            return ret;
        any = 1;
    }
    /*
     * A reply's OK welcome means the hub has registered this key (a bundle
     * proves it by its signature): the secret is spent. Live, the hub
     * registers the key only once a session frame proved it
     * (device_registered).
     */
    if (via == DEVICE_BUNDLE &&
        cs_replica_meta_get(d->rep, CS_META_ENROLL_SECRET, buf, sizeof(buf)) == 0 && buf[0] != 0) {
        any = 1;
        if ((ret = cs_replica_meta_forget(d->rep, CS_META_ENROLL_SECRET)) != 0)
            goto fail;
    }
    sodium_memzero(buf, sizeof(buf));
    if (incarnation_changed(d, w)) {
        /*
         * The hub is another incarnation than the one our cursors count in:
         * it was restored from a backup (or this device never had one, or
         * this is a reply older than the last word from the hub). Its seqs
         * after the backup are not the ones we were given, nor does it have
         * our writes it acknowledged after the backup. In this order, so
         * that a crash half way leaves cursors that are only too low:
         *
         * 1. Our writes up to hub_ack_seq were acknowledged by the earlier
         *    incarnation, which may have passed them on to other devices.
         *    The restored hub lacks those after its up_seq (they came after
         *    the backup), and they go again, but with the stamps they had:
         *    re-stamped, another device would keep the old version beside
         *    the new one, and the old stamp, the larger (re-stamping only
         *    lowers a stamp that ran ahead), would stay current there and
         *    not here. Their stamps are known outside, as an export's are:
         *    exported_seq, below which nothing is re-stamped, covers them.
         *    Keeping them costs nothing: the hub accepted them when its
         *    clock was earlier, so they are within its drift bound now. Only
         *    under a restored hub whose clock went back would they have
         *    been re-stamped; such a hub refuses them for their stamps
         *    instead, and the refusal re-issues them (device_reissue), as
         *    for any exported write.
         * 2. hub_ack_seq comes down to the hub's up_seq, so a bundle export
         *    carries again what the restored hub lacks (a live sync sends
         *    from up_seq anyway).
         * 3. hub_seq comes down to down_seq, the last seq the hub's
         *    numbering shares with the one the hello counted in: this device
         *    has every version the hub numbers up to it, and the hub sends
         *    from it. Chunks at or below hub_seq are skipped, so a cursor
         *    left higher would skip the hub's new versions.
         * 4. The incarnation, last: from then on our hello counts in it.
         */
        uint64_t acked = device_meta_u64(d->rep, CS_META_HUB_ACK_SEQ);
        char hex[2 * CS_INCARNATION_LEN + 1];
        sodium_bin2hex(hex, sizeof(hex), w->incarnation, CS_INCARNATION_LEN);
        any = 1;
        if ((acked > device_meta_u64(d->rep, CS_META_EXPORTED_SEQ) &&
             (ret = meta_put_u64(d->rep, CS_META_EXPORTED_SEQ, acked)) != 0) ||
            (ret = meta_put_u64(d->rep, CS_META_HUB_ACK_SEQ, w->up_seq)) != 0 ||
            (ret = meta_put_u64(d->rep, CS_META_HUB_SEQ, w->down_seq)) != 0 ||
            (ret = cs_replica_meta_set(d->rep, CS_META_HUB_INCARNATION, hex)) != 0)
            goto fail;
    } else if (w->up_seq > device_meta_u64(d->rep, CS_META_HUB_ACK_SEQ)) {
        any = 1;
        if ((ret = meta_put_u64(d->rep, CS_META_HUB_ACK_SEQ, w->up_seq)) != 0)
            goto fail;
    }
    /*
     * The contact is the hub's answer, in the hub's time: a live sync notes
     * it here, before anything streams, so a sync cut midway still counts
     * (and again when it ends); a reply, when the hub wrote it.
     */
    if (hub_ms > 0 && hub_ms / 1000 > device_meta_u64(d->rep, CS_META_LAST_CONTACT) &&
        (ret = meta_put_u64(d->rep, CS_META_LAST_CONTACT, hub_ms / 1000)) != 0)
        goto fail;
    if (changed != NULL)
        *changed = any;
    return 0;
fail:
    sodium_memzero(buf, sizeof(buf));
    return cs_errf(err, errlen, ret, _("cannot save what the hub said: %s"), cs_strerror(ret));
}

int
device_restamp(struct device *d, uint64_t after, uint64_t hub_time, size_t *count, char *err,
               size_t errlen)
{
    /*
     * Writes stamped while this computer's clock ran ahead would be refused:
     * those the hub has not acknowledged take the hub's time before they go.
     */
    uint64_t limit = hub_time + cs_hlc_make(CS_HLC_DRIFT_DEFAULT_MS / 2, 0);
    /*
     * What went out on a stick keeps its stamps: the hub may import that
     * bundle later and must find the same versions this device has.
     */
    uint64_t exported = device_meta_u64(d->rep, CS_META_EXPORTED_SEQ);
    if (after < exported)
        after = exported;
    /* Records put right since the hub refused them go again, whole (cellsync/refused.h). */
    size_t again = 0;
    int ret = cs_refused_retry(d->rep, after, (uint64_t)INT64_MAX, &again, err, errlen);
    if (ret == 0 && again > 0)
        fprintf(stderr,
                dngettext(CS_TEXT_DOMAIN,
                          "cellsync: %zu refused change of a corrected record goes to the hub "
                          "again\n",
                          "cellsync: %zu refused changes of corrected records go to the hub "
                          "again\n",
                          again),
                again);
    if (ret == 0)
        ret = cs_replica_restamp(d->rep, after, limit, count, err, errlen);
    if (ret == 0 && *count > 0)
        fprintf(stderr,
                _("cellsync: %zu changes were written while this computer's clock was ahead; "
                  "they now carry the hub's time\n"),
                *count);
    return ret;
}

int
device_ack(struct device *d, uint64_t seq)
{
    if (seq <= device_meta_u64(d->rep, CS_META_HUB_ACK_SEQ))
        return 0;
    return meta_put_u64(d->rep, CS_META_HUB_ACK_SEQ, seq);
}

struct hub_seq_ctx {
    struct cs_replica *rep;
    uint64_t seq;
};

/* The hub seq applied here commits with the chunk it covers, or not at all. */
static int
save_hub_seq(void *ud, sqlite3 *db)
{
    struct hub_seq_ctx *x = ud;
    (void)db;
    return meta_put_u64(x->rep, CS_META_HUB_SEQ, x->seq);
}

/* Applies a chunk of the hub's, within the larger of our drift bound and the hub's. */
static int
take_from_hub(struct device *d, struct cs_changeset *cs, const struct cs_apply_opts *opts,
              struct cs_apply_stats *st, char *err, size_t errlen)
{
    /*
     * The hub held every change to its own bound before it took it: with
     * ours the smaller, a stamp between the two would be refused here at
     * every sync, and the chunk with it, for good.
     */
    uint64_t own = cs_replica_max_drift(d->rep);
    if (d->hub_drift_ms > own)
        cs_replica_set_max_drift(d->rep, d->hub_drift_ms);
    int ret = cs_replica_apply(d->rep, cs, opts, st, err, errlen);
    cs_replica_set_max_drift(d->rep, own);
    return ret;
}

int
device_take_chunk(struct device *d, const uint8_t *env, size_t len, int live,
                  struct cs_apply_stats *st, struct cs_envelope_info *info, int *skipped, char *err,
                  size_t errlen)
{
    struct hub_seq_ctx x = {d->rep, 0};
    struct cs_apply_opts opts = {.before_commit = save_hub_seq, .ud = &x};
    struct cs_changeset *cs = NULL;
    int ret;

    memset(st, 0, sizeof(*st));
    *skipped = 0;
    if (live) {
        /* Its seq range is its signed set's: known once it is opened. */
        ret = cs_sync_open_chunk(NULL, d->hub_pk, env, len, &cs, info, err, errlen);
    } else {
        /* Already here by another route (a live sync, an earlier reply): not even opened. */
        if (cs_envelope_peek(env, len, info) == 0 &&
            info->seq_last <= device_meta_u64(d->rep, CS_META_HUB_SEQ)) {
            *skipped = 1;
            return 0;
        }
        ret = cs_sync_open_chunk(d->key, d->hub_pk, env, len, &cs, info, err, errlen);
    }
    if (ret == 0 && info->seq_last <= device_meta_u64(d->rep, CS_META_HUB_SEQ)) {
        *skipped = 1;
    } else if (ret == 0) {
        x.seq = info->seq_last;
        ret = take_from_hub(d, cs, &opts, st, err, errlen);
    }
    cs_changeset_free(cs);
    return ret;
}

int
device_pass_hub_seq(struct device *d, uint64_t seq)
{
    if (seq <= device_meta_u64(d->rep, CS_META_HUB_SEQ))
        return 0;
    return meta_put_u64(d->rep, CS_META_HUB_SEQ, seq);
}

int
device_own_chunk(void *ud, struct device *d, const uint8_t *peer_pk, uint64_t after,
                 struct cs_chunk *out, char *err, size_t errlen)
{
    const struct cs_since_filter own = {.only_origin = cs_replica_site(d->rep)};

    (void)ud;
    return cs_sync_make_chunk(d->rep, d->key, peer_pk, after, &own, CS_SYNC_CHUNK, out, err,
                              errlen);
}

/* ---- bundles ---- */

static void
report(const struct device_report *rep, const struct device_tally *t)
{
    if (rep != NULL && rep->progress != NULL)
        rep->progress(rep->ud, t);
}

int
device_export(struct device *d, const char *path,
              int (*make_chunk)(void *ud, struct device *d, const uint8_t *peer_pk, uint64_t after,
                                struct cs_chunk *out, char *err, size_t errlen),
              void *ud, const struct device_report *rep, struct device_tally *t, char *err,
              size_t errlen)
{
    struct cs_bundle_writer *w = NULL;
    struct cs_hello hello;
    uint8_t *env = NULL;
    size_t envlen = 0;
    char buf[32];
    int ret;

    memset(t, 0, sizeof(*t));
    device_hello(d, &hello);
    uint64_t after = device_meta_u64(d->rep, CS_META_HUB_ACK_SEQ);
    /* With the offset known, stamps can be put right as a live sync would; without, as they are. */
    if (cs_replica_meta_get(d->rep, CS_META_CLOCK_OFFSET_MS, buf, sizeof(buf)) == 0 &&
        (ret = device_restamp(d, after, cs_replica_now(d->rep), &t->restamp, err, errlen)) != 0)
        goto out;
    if ((ret = cs_bundle_writer_new(&w, path, 0, d->hub_pk, err, errlen)) != 0)
        goto out;
    if ((ret = cs_bundle_seal_hello(d->key, d->hub_pk, &hello, &env, &envlen)) != 0) {
        cs_errf(err, errlen, ret, _("cannot seal the hello: %s"), cs_strerror(ret));
        goto out;
    }
    if ((ret = cs_bundle_writer_add(w, env, envlen, err, errlen)) != 0)
        goto out;

    if (make_chunk == NULL)
        make_chunk = device_own_chunk;
    for (;;) {
        struct cs_chunk ch;
        if ((ret = make_chunk(ud, d, d->hub_pk, after, &ch, err, errlen)) != 0)
            goto out;
        /* A chunk of no changes still moves the hub's cursor past others' versions. */
        if (ch.seq_last > after) {
            ret = cs_bundle_writer_add(w, ch.env, ch.envlen, err, errlen);
            after = ch.seq_last;
            t->chunks++;
            t->changes += ch.changes;
        } else if (!ch.last) {
            ret = cs_errf(err, errlen, CS_EINVAL, "%s", _("the change log does not move on"));
        }
        free(ch.env);
        if (ret != 0)
            goto out;
        t->bytes = cs_bundle_writer_size(w);
        report(rep, t);
        if (ch.last)
            break;
    }
    t->bytes = cs_bundle_writer_size(w);
    /*
     * Once on the stick, these stamps are known outside: never re-stamp them.
     * Noted before the commit gives the file its count and its name, so no
     * crash can leave a whole bundle (named, or a temp file) whose stamps
     * this device may still change. A crash before the rename only spares
     * stamps no stick holds: if the hub refuses one for its clock, the
     * refusal re-issues it (device_reissue), as for any exported write.
     */
    if (after > device_meta_u64(d->rep, CS_META_EXPORTED_SEQ)) {
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)after);
        if (cs_replica_meta_set(d->rep, CS_META_EXPORTED_SEQ, buf) != 0) {
            ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot remember what was exported"));
            goto out;
        }
    }
    ret = cs_bundle_writer_commit(w, err, errlen);
    w = NULL;
out:
    sodium_memzero(&hello, sizeof(hello));
    free(env);
    cs_bundle_writer_free(w);
    return ret;
}

/* Names what is wrong with a reply's first entry, for the person holding the stick. */
static int
welcome_error(struct device *d, const char *path, const uint8_t *env, size_t len, int code,
              char *err, size_t errlen)
{
    struct cs_envelope_info info;
    if (code == CS_ERECIPIENT)
        return cs_errf(err, errlen, code, _("'%s' is a reply for another device"), path);
    if (cs_envelope_peek(env, len, &info) == 0 &&
        sodium_memcmp(info.origin_pk, d->hub_pk, CS_PK_LEN) != 0)
        return cs_errf(err, errlen, CS_ESIGNATURE,
                       _("'%s' is not from the hub this device was enrolled with"), path);
    return cs_errf(err, errlen, code, _("'%s' is damaged: %s"), path, cs_strerror(code));
}

/*
 * A reply is not bound to the export that asked for it, and a stick can be
 * copied: an old reply must change nothing (security review F13). The hub's
 * time in its welcome orders the replies of one hub, so one older than the
 * last reply applied here is refused whole; the same reply again goes
 * through and finds nothing new. A reply from another incarnation of the
 * hub lowers this device's cursors (device_welcome): that is believed only
 * of a reply written after the last word from the hub, since one written
 * before it is an old reply of an earlier incarnation, not a restored hub.
 * The clock offset a reply gives only ever moves forward
 * (cs_replica_learn_hub_time).
 */
static int
reply_fresh(struct device *d, const char *path, const struct cs_welcome *w, int *older, char *err,
            size_t errlen)
{
    uint8_t have[CS_INCARNATION_LEN];
    if (w->has_incarnation && stored_incarnation(d->rep, have) &&
        memcmp(have, w->incarnation, CS_INCARNATION_LEN) != 0 &&
        cs_hlc_ms(w->hub_time) / 1000 <= device_meta_u64(d->rep, CS_META_LAST_CONTACT))
        return cs_errf(err, errlen, CS_EINVAL,
                       _("'%s' was written by the hub before this device last heard from it, in "
                         "an earlier state of the hub: nothing was changed"),
                       path);
    *older = w->hub_time < device_meta_u64(d->rep, CS_META_REPLY_HUB_TIME);
    return 0;
}

/*
 * A reply's first entry signed by a key this device does not pin: the hub's
 * key rotation (bundle.h), whose chain must lead from the pinned key to the
 * entry's signer. 1 and to/steps when it does, 0 when the entry is not a
 * rotation (then it is judged as a welcome), or a refusal.
 */
static int
import_rotation(struct device *d, const char *path, const uint8_t *env, size_t len,
                uint8_t to[CS_PK_LEN], size_t *steps, char *err, size_t errlen)
{
    struct cs_envelope_info info;
    uint8_t *chain = NULL;
    size_t clen = 0;

    if (cs_envelope_peek(env, len, &info) != 0 ||
        sodium_memcmp(info.origin_pk, d->hub_pk, CS_PK_LEN) == 0)
        return 0;
    int ret = cs_bundle_open_control(d->key, info.origin_pk, CS_BUNDLE_ROTATION, env, len, &chain,
                                     &clen, NULL);
    if (ret == CS_EMALFORMED) {
        free(chain);
        return 0;
    }
    if (ret != 0)
        return cs_errf(err, errlen, ret, _("'%s' is damaged: %s"), path, cs_strerror(ret));
    ret = device_rotation_check(d, chain, clen, to, steps, err, errlen);
    free(chain);
    if (ret != 0)
        return ret;
    /* The chain must end at the key that signed it and every entry after it. */
    if (sodium_memcmp(to, info.origin_pk, CS_PK_LEN) != 0)
        return cs_errf(err, errlen, CS_ESIGNATURE,
                       _("'%s' is not from the hub this device was enrolled with"), path);
    return 1;
}

/* Pass one: the whole reply, checked without changing anything (the new pin only in d). */
static int
import_check(struct device *d, const char *path, struct cs_bundle_reader *b, struct cs_welcome *w,
             int *older, uint32_t *first, struct device_tally *t, char *err, size_t errlen)
{
    const uint8_t *env;
    size_t len;
    uint32_t ix;
    uint64_t have = device_meta_u64(d->rep, CS_META_HUB_SEQ);
    int ret;

    if (!(cs_bundle_reader_flags(b) & CS_BUNDLE_F_REPLY))
        return cs_errf(err, errlen, CS_EINVAL,
                       _("'%s' is not a reply from the hub: it is a bundle to carry to the hub"),
                       path);
    uint32_t seen = 0;
    while ((ret = cs_bundle_reader_next(b, &env, &len, &ix, err, errlen)) == 1) {
        int control = cs_bundle_entry_is_control(env, len);
        seen++;
        if (ix == 0 && control == 1) {
            /* Checked here, pinned only once all of the reply holds (device_import). */
            ret = import_rotation(d, path, env, len, t->hub_pk, &t->rotated, err, errlen);
            if (ret < 0)
                return ret;
            if (ret == 1) {
                memcpy(d->hub_pk, t->hub_pk, CS_PK_LEN);
                *first = 1;
                continue;
            }
        }
        if (ix == *first) {
            if (control != 1)
                return cs_errf(err, errlen, CS_EMALFORMED,
                               _("'%s' is damaged: it does not start with the hub's welcome"),
                               path);
            if ((ret = cs_bundle_open_welcome(d->key, d->hub_pk, env, len, w)) != 0)
                return welcome_error(d, path, env, len, ret, err, errlen);
            if (w->status == CS_WELCOME_OK &&
                (ret = reply_fresh(d, path, w, older, err, errlen)) != 0)
                return ret;
            /* From another incarnation of the hub, the chunks follow its down cursor. */
            if (w->status == CS_WELCOME_OK && incarnation_changed(d, w))
                have = w->down_seq;
            continue;
        }
        if (control < 0)
            return cs_errf(err, errlen, control, _("'%s' is damaged: %s"), path,
                           cs_strerror(control));
        if (control == 1) {
            uint8_t *payload = NULL;
            size_t plen = 0;
            struct cs_msg m;
            ret = cs_bundle_open_control(d->key, d->hub_pk, CS_BUNDLE_REFUSED, env, len, &payload,
                                         &plen, NULL);
            if (ret == 0 && (ret = cs_msg_decode(&m, payload, plen)) == 0) {
                if (m.type != CS_MSG_REFUSED)
                    ret = CS_EMALFORMED;
                cs_msg_release(&m);
            }
            free(payload);
            if (ret != 0)
                return cs_errf(err, errlen, ret, _("'%s' is damaged: %s"), path, cs_strerror(ret));
            continue;
        }
        struct cs_envelope_info info;
        char why[512];
        if ((ret = cs_sync_check_chunk(d->key, d->hub_pk, env, len, &info, why, sizeof(why))) != 0)
            return cs_errf(err, errlen, ret, _("'%s' is damaged: %s"), path, why);
        /* Applying past a gap would move hub_seq over changes never received. */
        if (info.seq_first > have + 1)
            return cs_errf(err, errlen, CS_EINVAL,
                           _("'%s' starts after what this device has received: export a new "
                             "bundle and take its reply"),
                           path);
        if (info.seq_last > have)
            have = info.seq_last;
    }
    /* Entries are sealed to this device (bundle.h): the first that does not open says whose. */
    if (ret == CS_EDECRYPT && seen == 0)
        return cs_errf(err, errlen, ret,
                       _("'%s' is a reply for another device, or damaged: this device cannot "
                         "open it"),
                       path);
    if (ret == CS_EDECRYPT)
        return cs_errf(err, errlen, ret, _("'%s' is damaged: entry %u cannot be opened"), path,
                       (unsigned)seen + 1);
    if (ret < 0)
        return ret;
    if (w->status != CS_WELCOME_OK)
        return cs_errf(err, errlen, CS_EINVAL, _("the hub refused this device: %s"), w->message);
    return 0;
}

int
device_import(struct device *d, const char *path, const struct device_report *rep,
              struct device_tally *t, char *err, size_t errlen)
{
    struct cs_bundle_reader *b = NULL;
    struct cs_welcome w;
    const uint8_t *env;
    size_t len;
    uint32_t ix;
    int ret, changed = 0;

    memset(t, 0, sizeof(*t));
    memset(&w, 0, sizeof(w));
    int older = 0;
    uint32_t first = 0; /* the welcome's entry: 1 after a key rotation */
    uint8_t pinned[CS_PK_LEN];
    memcpy(pinned, d->hub_pk, CS_PK_LEN);
    if ((ret = cs_bundle_reader_new(&b, path, d->key, err, errlen)) != 0 ||
        (ret = import_check(d, path, b, &w, &older, &first, t, err, errlen)) != 0 ||
        (ret = cs_bundle_reader_rewind(b, err, errlen)) != 0) {
        /* Nothing pinned: the key this device trusts stays. */
        memcpy(d->hub_pk, pinned, CS_PK_LEN);
        t->rotated = 0;
        goto out;
    }
    /* The whole reply holds, signed by the key the chain leads to: that key is pinned now. */
    if (t->rotated > 0 && (ret = device_repin(d, t->hub_pk, err, errlen)) != 0)
        goto out;
    /* Sound but stale: what it says was said again since, and newer. */
    if (older) {
        t->nothing_new = t->older = 1;
        goto out;
    }
    /* Refusals are news only with an acknowledgment this device has not seen. */
    int news =
        w.up_seq > device_meta_u64(d->rep, CS_META_HUB_ACK_SEQ) || incarnation_changed(d, &w);
    if ((ret = device_welcome(d, &w, DEVICE_BUNDLE, &changed, err, errlen)) != 0)
        goto out;
    while ((ret = cs_bundle_reader_next(b, &env, &len, &ix, err, errlen)) == 1) {
        t->bytes += len + 4;
        if (ix <= first)
            continue;
        if (cs_bundle_entry_is_control(env, len) == 1) {
            uint8_t *payload = NULL;
            size_t plen = 0;
            struct cs_msg m;
            /*
             * Acted on even without news (an import cut after the welcome
             * moved the acknowledgment): issuing a refused write again
             * finds nothing the second time. Shown only with news.
             */
            if ((ret = cs_bundle_open_control(d->key, d->hub_pk, CS_BUNDLE_REFUSED, env, len,
                                              &payload, &plen, NULL)) == 0 &&
                (ret = cs_msg_decode(&m, payload, plen)) == 0) {
                for (size_t i = 0; i < m.nrefused && news; i++)
                    if (rep != NULL && rep->refused != NULL)
                        rep->refused(rep->ud, &m.refused[i]);
                t->refused += news ? m.nrefused : 0;
                size_t again = 0;
                ret = device_reissue(d, m.refused, m.nrefused, w.hub_time, DEVICE_BUNDLE, &again,
                                     err, errlen);
                cs_msg_release(&m);
            }
            free(payload);
            if (ret != 0)
                goto out;
            continue;
        }
        struct cs_apply_stats st;
        struct cs_envelope_info info;
        int skipped = 0;
        if ((ret = device_take_chunk(d, env, len, 0, &st, &info, &skipped, err, errlen)) != 0)
            goto out;
        t->chunks++;
        t->skipped += (size_t)skipped;
        t->changes += st.applied;
        report(rep, t);
    }
    if (ret < 0)
        goto out;
    /* Last, once all of it is in: a reply cut short can be imported again. */
    if (w.hub_time > device_meta_u64(d->rep, CS_META_REPLY_HUB_TIME) &&
        (ret = meta_put_u64(d->rep, CS_META_REPLY_HUB_TIME, w.hub_time)) != 0) {
        cs_errf(err, errlen, ret, _("cannot save what the hub said: %s"), cs_strerror(ret));
        goto out;
    }
    t->bytes += CS_BUNDLE_HEADER;
    /* Passing the cursor over versions that held nothing for this device is no news. */
    t->nothing_new = !changed && t->changes == 0;
    ret = 0;
out:
    cs_bundle_reader_free(b);
    return ret;
}

int
device_reissue(struct device *d, const struct cs_refusal *r, size_t n, uint64_t hub_time,
               enum device_via via, size_t *count, char *err, size_t errlen)
{
    /*
     * Only writes refused for a stamp too far ahead are worth sending again:
     * given the hub's time they go in; a write outside this unit never would.
     * The hub refuses that stamp for good, so it is acted on whenever the
     * refusal comes, though the clocks may have met by then.
     */
    uint64_t limit = hub_time + cs_hlc_make(CS_HLC_DRIFT_DEFAULT_MS / 2, 0);
    struct cs_refused_id *ids = calloc(n ? n : 1, sizeof(*ids));
    size_t m = 0;
    int ret;

    *count = 0;
    if (ids == NULL)
        return cs_errf(err, errlen, CS_ENOMEM, "%s", cs_strerror(CS_ENOMEM));
    for (size_t i = 0; i < n; i++) {
        if (r[i].kind != CS_REFUSAL_CLOCK || cs_id_cmp(&r[i].origin, cs_replica_site(d->rep)) != 0)
            continue;
        ids[m].table = r[i].table;
        ids[m].column = r[i].column;
        ids[m].row = r[i].row;
        ids[m].hlc = r[i].hlc;
        ids[m].origin = r[i].origin;
        m++;
    }
    uint64_t after = device_meta_u64(d->rep, CS_META_HUB_ACK_SEQ);
    uint64_t exported = device_meta_u64(d->rep, CS_META_EXPORTED_SEQ);
    if (after < exported)
        after = exported;
    /*
     * A reply's welcome never moves the clock back: these stamps, made
     * before the hub judged them, are what proves it ran ahead. A live sync
     * has measured the offset already.
     */
    ret = 0;
    if (m && via == DEVICE_BUNDLE &&
        cs_replica_learn_refused_stamps(d->rep, ids, m, cs_hlc_ms(hub_time), NULL) != 0)
        ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot save what the hub said: %s"),
                      cs_strerror(CS_ESQLITE));
    if (ret == 0 && m)
        ret = cs_replica_reissue(d->rep, ids, m, after, limit, count, err, errlen);
    free(ids);
    if (ret == 0 && *count > 0)
        fprintf(stderr,
                _("cellsync: %zu changes refused because this computer's clock was ahead now "
                  "carry the hub's time; they go with the next sync\n"),
                *count);
    return ret;
}

/* ---- refusals shown and kept ---- */

int
device_refusals_add(struct device *d, struct device_refusals *acc, const struct cs_refusal *v,
                    size_t n, char *err, size_t errlen)
{
    if (n == 0)
        return 0;
    if (cs_grow((void **)&acc->v, &acc->cap, acc->n + n, sizeof(*acc->v), 8) != 0)
        return cs_errf(err, errlen, CS_ENOMEM, "%s", cs_strerror(CS_ENOMEM));
    memcpy(acc->v + acc->n, v, n * sizeof(*v));
    acc->n += n;
    for (size_t i = 0; i < n; i++)
        acc->to_fix += v[i].kind != CS_REFUSAL_CLOCK;
    return cs_refused_add(d->rep, v, n, (int64_t)time(NULL), err, errlen);
}

/* What a person calls the record: its name, date or code, "" when it has none here. */
static void
record_title(struct device *d, const char *table, const struct cs_id *row, char *buf, size_t len)
{
    static const struct {
        const char *table, *expr;
    } titles[] = {
        {"candidate", "full_name"},
        {"member", "full_name"},
        {"meeting", "held_on"},
        {"org_unit", "name"},
        {"target", "org_unit || ' ' || year"},
    };
    char sql[160];
    sqlite3_stmt *st = NULL;

    buf[0] = 0;
    for (size_t i = 0; i < sizeof(titles) / sizeof(titles[0]); i++) {
        if (strcmp(titles[i].table, table) != 0)
            continue;
        snprintf(sql, sizeof(sql), "SELECT %s FROM \"%s\" WHERE id = ?1", titles[i].expr, table);
        if (sqlite3_prepare_v2(cs_replica_db(d->rep), sql, -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
                snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
        }
        sqlite3_finalize(st);
        return;
    }
}

void
device_refusals_print(struct device *d, const struct device_refusals *acc, FILE *f)
{
    for (size_t i = 0; i < acc->n; i++) {
        const struct cs_refusal *r = &acc->v[i];
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen =
                cs_id_cmp(&acc->v[j].row, &r->row) == 0 && strcmp(acc->v[j].table, r->table) == 0;
        if (seen)
            continue;
        /* One line per record: its distinct reasons, in the order they came. */
        char reasons[1024] = "", one[512], title[256], shrt[CS_ID_SHORT_LEN + 1];
        for (size_t j = i; j < acc->n; j++) {
            const struct cs_refusal *q = &acc->v[j];
            if (cs_id_cmp(&q->row, &r->row) != 0 || strcmp(q->table, r->table) != 0)
                continue;
            cs_refusal_render(q->kind, q->reason, one, sizeof(one));
            if (strstr(reasons, one) != NULL)
                continue;
            size_t used = strlen(reasons);
            snprintf(reasons + used, sizeof(reasons) - used, "%s%s", used ? "; " : "", one);
        }
        const struct cs_schema_table *tb = cs_schema_table(r->table);
        const char *kind = tb != NULL ? _(tb->label) : r->table;
        cs_id_short(&r->row, shrt);
        record_title(d, r->table, &r->row, title, sizeof(title));
        if (title[0])
            fprintf(f, _("cellsync: the hub refused %s '%s' (%s): %s\n"), kind, title, shrt,
                    reasons);
        else
            fprintf(f, _("cellsync: the hub refused %s %s: %s\n"), kind, shrt, reasons);
    }
}

void
device_refusals_release(struct device_refusals *acc)
{
    free(acc->v);
    memset(acc, 0, sizeof(*acc));
}
