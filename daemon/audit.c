/* SPDX-License-Identifier: MIT */
/*
 * The audit trail (every change set accepted or refused, with its
 * envelope) and the refused changes kept for review, among them the
 * clock refusals a device is told again until it replaces them.
 *
 * The trail is a hash chain (F16 of the security review): entry n holds
 * prev = hash(n-1) and hash(n) = BLAKE2b-256, keyed with subkey 3 of
 * hub.key ("csaudit1"), of
 *   prev (32 bytes, zeros for the first) || id || at || seq_first ||
 *   seq_last || changes || refused (each 8 bytes, big-endian) ||
 *   device, verdict, reason (each a 4-byte big-endian length and the
 *   bytes) || BLAKE2b-256(kept) (zeros when none).
 * What an entry keeps of its chunk ("envelope" in the table) is, since
 * CS_WIRE_VERSION 5, its plaintext: the change sets as their origins
 * signed them (cellsync/origin.h), the entry's device first, then any its
 * hub-role device relayed; each can be checked with its origin's public key
 * alone, and a hub can forward it upward unchanged. Entries written before
 * keep the envelope, which only hub.key opens. An accepted (or partly
 * refused) entry stores its signed sets as one zstd frame (RFC 8878,
 * cellsync/compress.h), told from the plain sets ("CSO") and envelopes
 * ("CSE") of older entries by the frame's magic number; a refused entry
 * keeps what came as it came, never read as a frame. "kept" above is
 * always the bytes as signed, the frame's content, so the proof does not
 * depend on how they are stored and older entries verify as they did.
 * Changing, removing or
 * inserting an entry breaks the chain from there on, and only the holder of
 * hub.key could compute it again; `cellsyncd audit verify` walks it, checks
 * every kept signature (the first set's against the device the entry
 * names), and names the first entry that does not hold.
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cellsync/compress.h"
#include "cellsync/envelope.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/origin.h"
#include "cellsync/rotation.h"
#include "cellsync/util.h"
#include "hub_internal.h"

/* ---- audit ---- */

#define AUDIT_HASH 32
/*
 * The signed sets are written once and read only by `audit verify`, but
 * compressed in the merge's transaction on the hub's one worker: a fast
 * level. On bench_merge's chunks (~14 KiB, 210 registers) level 3 keeps
 * 13% of the bytes at ~400 MB/s (~35 us a chunk); 19 keeps 12% at a tenth
 * of the speed; a trained dictionary would keep 9.5% but would have to be
 * kept, versioned, beside the proof.
 */
#define AUDIT_ZSTD_LEVEL 3

/* One entry's fields, as the chain hashes them (prev NULL: the first entry). */
struct audit_entry {
    const uint8_t *prev;
    int64_t id, at, seq_first, seq_last, changes, refused;
    const void *device, *verdict, *reason, *env;
    size_t device_len, verdict_len, reason_len, env_len;
};

static void
hash_bytes(crypto_generichash_state *st, const void *p, size_t n)
{
    uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    crypto_generichash_update(st, len, sizeof(len));
    if (n > 0)
        crypto_generichash_update(st, p, n);
}

static void
entry_hash(const uint8_t key[32], const struct audit_entry *e, uint8_t out[AUDIT_HASH])
{
    crypto_generichash_state st;
    uint8_t prev[AUDIT_HASH] = {0}, nums[6 * 8], env[AUDIT_HASH] = {0};
    const int64_t n[6] = {e->id, e->at, e->seq_first, e->seq_last, e->changes, e->refused};
    if (e->prev != NULL)
        memcpy(prev, e->prev, AUDIT_HASH);
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < 8; k++)
            nums[8 * i + k] = (uint8_t)((uint64_t)n[i] >> (56 - 8 * k));
    if (e->env != NULL)
        crypto_generichash(env, sizeof(env), e->env, e->env_len, NULL, 0);
    crypto_generichash_init(&st, key, 32, AUDIT_HASH);
    crypto_generichash_update(&st, prev, sizeof(prev));
    crypto_generichash_update(&st, nums, sizeof(nums));
    hash_bytes(&st, e->device, e->device_len);
    hash_bytes(&st, e->verdict, e->verdict_len);
    hash_bytes(&st, e->reason, e->reason_len);
    crypto_generichash_update(&st, env, sizeof(env));
    crypto_generichash_final(&st, out, AUDIT_HASH);
}

/*
 * An entry from SQL values in the order of cs_audit_hash's arguments and of
 * AUDIT_COLS: prev, id, at, device, verdict, seq_first, seq_last, changes,
 * refused, reason, envelope.
 */
static void
entry_of(sqlite3_value **v, struct audit_entry *e)
{
    e->prev = sqlite3_value_bytes(v[0]) == AUDIT_HASH ? sqlite3_value_blob(v[0]) : NULL;
    e->id = sqlite3_value_int64(v[1]);
    e->at = sqlite3_value_int64(v[2]);
    e->device = sqlite3_value_blob(v[3]);
    e->device_len = (size_t)sqlite3_value_bytes(v[3]);
    e->verdict = sqlite3_value_text(v[4]);
    e->verdict_len = (size_t)sqlite3_value_bytes(v[4]);
    e->seq_first = sqlite3_value_int64(v[5]);
    e->seq_last = sqlite3_value_int64(v[6]);
    e->changes = sqlite3_value_int64(v[7]);
    e->refused = sqlite3_value_int64(v[8]);
    e->reason = sqlite3_value_text(v[9]);
    e->reason_len = (size_t)sqlite3_value_bytes(v[9]);
    e->env = sqlite3_value_type(v[10]) == SQLITE_BLOB ? sqlite3_value_blob(v[10]) : NULL;
    e->env_len = (size_t)sqlite3_value_bytes(v[10]);
}

/* 1 when e's kept bytes are stored as a zstd frame of its signed sets (see the top). */
static int
kept_packed(const struct audit_entry *e)
{
    return e->env != NULL && cs_zstd_is_frame(e->env, e->env_len) &&
           !(e->verdict_len == 7 && memcmp(e->verdict, "refused", 7) == 0);
}

/*
 * e's kept bytes as they were signed: a stored frame decompressed into
 * *buf (malloc'd, caller frees; NULL when there was nothing to do), at most
 * what one chunk's plaintext can be (CS_ENVELOPE_MAX_PLAIN), so a hostile
 * row cannot make the walk allocate without limit. 0, or CS_EBOMB,
 * CS_ECOMPRESS, CS_ENOMEM with e as it was.
 */
static int
entry_unpack(struct audit_entry *e, uint8_t **buf)
{
    size_t n = 0;
    *buf = NULL;
    if (!kept_packed(e))
        return 0;
    int ret = cs_zstd_decompress(e->env, e->env_len, CS_ENVELOPE_MAX_PLAIN, buf, &n);
    if (ret == 0) {
        e->env = *buf;
        e->env_len = n;
    }
    return ret;
}

static void
audit_hash_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct hub *h = sqlite3_user_data(ctx);
    struct audit_entry e;
    uint8_t out[AUDIT_HASH];
    if (argc != 11) {
        sqlite3_result_error(ctx, "cs_audit_hash takes 11 arguments", -1);
        return;
    }
    entry_of(argv, &e);
    uint8_t *buf;
    int ret = entry_unpack(&e, &buf);
    if (ret != 0) {
        sqlite3_result_error(ctx, cs_strerror(ret), -1);
        return;
    }
    entry_hash(h->audit_key, &e, out);
    free(buf);
    sqlite3_result_blob(ctx, out, sizeof(out), SQLITE_TRANSIENT);
}

int
hub__audit_register(struct hub *h)
{
    return sqlite3_create_function(h->db, "cs_audit_hash", 11, SQLITE_UTF8, h, audit_hash_fn, NULL,
                                   NULL) == SQLITE_OK
               ? 0
               : -1;
}

#define AUDIT_COLS                                                                                 \
    "prev, id, at, device, verdict, seq_first, seq_last, changes, refused, reason, envelope, hash"
#define APPEND_ONLY                                                                                \
    "CREATE TRIGGER IF NOT EXISTS hub_audit_no_update BEFORE UPDATE ON hub_audit"                  \
    " BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"

int
hub__audit_migrate(struct hub *h, char *err, size_t errlen)
{
    sqlite3_stmt *sel = NULL, *upd = NULL;
    uint8_t prev[AUDIT_HASH];
    int have_prev = 0, rc;

    /* The trigger that forbids updates goes for this one pass, inside the caller's transaction. */
    if ((rc = sqlite3_exec(h->db, "DROP TRIGGER IF EXISTS hub_audit_no_update", NULL, NULL,
                           NULL)) != SQLITE_OK ||
        (rc = sqlite3_prepare_v2(h->db, "SELECT " AUDIT_COLS " FROM hub_audit ORDER BY id", -1,
                                 &sel, NULL)) != SQLITE_OK ||
        (rc = sqlite3_prepare_v2(h->db, "UPDATE hub_audit SET prev = ?2, hash = ?3 WHERE id = ?1",
                                 -1, &upd, NULL)) != SQLITE_OK)
        goto out;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        sqlite3_value *v[11];
        struct audit_entry e;
        uint8_t out[AUDIT_HASH];
        for (int i = 0; i < 11; i++)
            v[i] = sqlite3_column_value(sel, i);
        entry_of(v, &e);
        e.prev = have_prev ? prev : NULL;
        /* A frame that cannot be read is chained as stored: `audit verify` names it. */
        uint8_t *buf;
        if (entry_unpack(&e, &buf) == CS_ENOMEM) {
            rc = SQLITE_NOMEM;
            goto out;
        }
        entry_hash(h->audit_key, &e, out);
        free(buf);
        sqlite3_reset(upd);
        sqlite3_bind_int64(upd, 1, e.id);
        if (have_prev)
            sqlite3_bind_blob(upd, 2, prev, sizeof(prev), SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(upd, 2);
        sqlite3_bind_blob(upd, 3, out, sizeof(out), SQLITE_TRANSIENT);
        if ((rc = sqlite3_step(upd)) != SQLITE_DONE)
            goto out;
        memcpy(prev, out, sizeof(prev));
        have_prev = 1;
    }
    if (rc == SQLITE_DONE)
        rc = sqlite3_exec(h->db, APPEND_ONLY, NULL, NULL, NULL);
out:
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    if (rc != SQLITE_OK && rc != SQLITE_DONE)
        return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "open"));
    return 0;
}

/*
 * The change sets an entry keeps (cellsync/origin.h): each must verify
 * against the key it names and hold that key's changes only, and the first
 * must be the entry's device's. NULL when they hold, else why not.
 */
static const char *
kept_sets_check(const struct audit_entry *e)
{
    struct cs_signed s;
    size_t off = 0;
    int n = 0, ret;
    while ((ret = cs_origin_next(e->env, e->env_len, &off, &s)) == 1) {
        struct cs_id id;
        cs_pk_id(s.origin_pk, &id);
        if (n++ == 0 && (e->device_len != CS_ID_LEN || memcmp(id.b, e->device, CS_ID_LEN) != 0))
            return _("its change set is not one its device signed: signed by another device");
        if (cs_origin_verify(&s) != 0)
            return n == 1 ? _("its change set is not one its device signed: the signature does "
                              "not verify")
                          : _("a change set it relayed is not one its origin signed: the "
                              "signature does not verify");
    }
    if (ret < 0 || n == 0)
        return _("the change sets it keeps are damaged");
    return NULL;
}

int
hub_audit_verify(struct hub *h, struct hub_audit_check *c, char *err, size_t errlen)
{
    sqlite3_stmt *sel = NULL;
    uint8_t prev[AUDIT_HASH], *kept = NULL;
    int have_prev = 0, rc, ret;

    memset(c, 0, sizeof(*c));
    if ((rc = sqlite3_prepare_v2(h->db, "SELECT " AUDIT_COLS " FROM hub_audit ORDER BY id", -1,
                                 &sel, NULL)) != SQLITE_OK)
        return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "read"));
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        sqlite3_value *v[11];
        struct audit_entry e;
        uint8_t want[AUDIT_HASH];
        for (int i = 0; i < 11; i++)
            v[i] = sqlite3_column_value(sel, i);
        entry_of(v, &e);
        c->entries++;
        /* The signed sets out of their frame, bounded: one that cannot be read breaks the trail. */
        free(kept);
        ret = entry_unpack(&e, &kept);
        if (ret == CS_ENOMEM) {
            sqlite3_finalize(sel);
            return cs_errf(err, errlen, ret, _("cannot %s '%s': %s"), _(NC_("cannot %s", "read")),
                           h->dbpath, cs_strerror(ret));
        }
        if (ret != 0) {
            c->broken_id = e.id;
            c->broken_at = e.at;
            snprintf(c->why, sizeof(c->why), _("the change sets it keeps cannot be read: %s"),
                     cs_strerror(ret));
            break;
        }
        /* Linked to the entry before, and hashing to what it holds. */
        int linked = have_prev ? e.prev != NULL && sodium_memcmp(e.prev, prev, AUDIT_HASH) == 0
                               : sqlite3_column_type(sel, 0) == SQLITE_NULL;
        struct audit_entry x = e;
        x.prev = have_prev ? prev : NULL;
        entry_hash(h->audit_key, &x, want);
        int hashed = sqlite3_column_bytes(sel, 11) == AUDIT_HASH &&
                     sodium_memcmp(sqlite3_column_blob(sel, 11), want, AUDIT_HASH) == 0;
        if (!linked || !hashed) {
            c->broken_id = e.id;
            c->broken_at = e.at;
            snprintf(c->why, sizeof(c->why), "%s",
                     !linked ? _("it does not follow the entry before it (one was removed, "
                                 "inserted or changed)")
                             : _("its contents do not match its hash (it was changed)"));
            break;
        }
        memcpy(prev, want, sizeof(prev));
        have_prev = 1;
        /* A merged chunk's entry keeps its change sets: one without them hides what was merged. */
        if (e.env == NULL && strcmp((const char *)e.verdict, "refused") != 0) {
            c->broken_id = e.id;
            c->broken_at = e.at;
            snprintf(c->why, sizeof(c->why), "%s", _("it keeps no change set"));
            break;
        }
        /* The kept change sets are the ones their origins signed. */
        if (e.env != NULL && strcmp((const char *)e.verdict, "refused") != 0 && e.env_len >= 3 &&
            memcmp(e.env, "CSO", 3) == 0) {
            const char *bad = kept_sets_check(&e);
            if (bad != NULL) {
                c->broken_id = e.id;
                c->broken_at = e.at;
                snprintf(c->why, sizeof(c->why), "%s", bad);
                break;
            }
            c->signatures++;
            continue;
        }
        /* Before CS_WIRE_VERSION 5: the kept envelope is the one its device signed, for this hub.
         */
        if (e.env != NULL && strcmp((const char *)e.verdict, "refused") != 0) {
            uint8_t *plain = NULL;
            size_t plen = 0;
            struct cs_envelope_info info;
            struct cs_id id;
            /*
             * Sealed to the hub key of its day: a retired one still kept
             * opens it; once retired for good (keys.c) its signature is
             * what can still be checked.
             */
            ret = cs_envelope_peek(e.env, e.env_len, &info);
            const struct cs_key *k = ret == 0 ? hub_key_for(h, &info.recipient) : NULL;
            if (k != NULL)
                ret = cs_envelope_open(k, e.env, e.env_len, &plain, &plen, &info);
            else if (ret == 0 && cs_rotation_known(h->rot, h->nrot, &info.recipient))
                ret = cs_sig_verify(info.origin_pk, e.env + e.env_len - CS_SIG_LEN, e.env,
                                    e.env_len - CS_SIG_LEN);
            else if (ret == 0)
                ret = CS_ERECIPIENT;
            free(plain);
            if (ret == 0)
                cs_pk_id(info.origin_pk, &id);
            if (ret != 0 || e.device_len != CS_ID_LEN || memcmp(id.b, e.device, CS_ID_LEN) != 0) {
                c->broken_id = e.id;
                c->broken_at = e.at;
                snprintf(c->why, sizeof(c->why),
                         _("its change set is not one its device signed: %s"),
                         ret != 0 ? cs_strerror(ret) : _("signed by another device"));
                break;
            }
            c->signatures++;
        }
    }
    free(kept);
    sqlite3_finalize(sel);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "read"));
    return 0;
}

int
hub_audit(struct hub *h, const struct hub_device *d, const char *verdict,
          const struct cs_envelope_info *info, size_t changes, size_t refused, const char *reason,
          const uint8_t *env, size_t envlen)
{
    struct cs_id dev;
    sqlite3_stmt *st;
    uint8_t *packed = NULL;
    size_t packed_len = 0;
    int ret = 0;

    /*
     * An entry that merged stores its signed sets as a zstd frame; the
     * chain hashes them as signed (?10). They start with "CSO", so they are
     * never taken for a frame: bytes that could be are refused here.
     */
    if (env != NULL && strcmp(verdict, "refused") != 0) {
        if (cs_zstd_is_frame(env, envlen))
            return CS_EINVAL;
        if ((ret = cs_zstd_compress(env, envlen, AUDIT_ZSTD_LEVEL, 0, &packed, &packed_len)) != 0)
            return ret;
    }
    int rc = cs_stmt_get(&h->stmts, ST_AUDIT_ADD, &st);
    if (rc != SQLITE_OK) {
        ret = cs_sqlite_code(rc);
        goto out;
    }
    sqlite3_bind_int64(st, 1, (int64_t)time(NULL));
    if (d != NULL) {
        sqlite3_bind_blob(st, 2, d->id.b, CS_ID_LEN, SQLITE_TRANSIENT);
    } else if (info != NULL) {
        cs_pk_id(info->origin_pk, &dev);
        sqlite3_bind_blob(st, 2, dev.b, CS_ID_LEN, SQLITE_TRANSIENT);
    }
    sqlite3_bind_text(st, 3, verdict, -1, SQLITE_STATIC);
    if (info != NULL) {
        sqlite3_bind_int64(st, 4, (int64_t)info->seq_first);
        sqlite3_bind_int64(st, 5, (int64_t)info->seq_last);
    }
    sqlite3_bind_int64(st, 6, (int64_t)changes);
    sqlite3_bind_int64(st, 7, (int64_t)refused);
    if (reason != NULL)
        sqlite3_bind_text(st, 8, reason, -1, SQLITE_STATIC);
    if (env != NULL) {
        sqlite3_bind_blob64(st, 9, packed != NULL ? packed : env,
                            packed != NULL ? packed_len : envlen, SQLITE_STATIC);
        sqlite3_bind_blob64(st, 10, env, envlen, SQLITE_STATIC);
    }
    rc = cs_step_done(st);
    ret = rc == SQLITE_OK ? 0 : cs_sqlite_code(rc);
out:
    free(packed);
    return ret;
}

int
hub_refusal(struct hub *h, const struct hub_device *d, const struct cs_change *c, int kind,
            const char *reason)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&h->stmts, ST_REFUSED_ADD, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_int64(st, 1, (int64_t)time(NULL));
    if (d != NULL)
        sqlite3_bind_blob(st, 2, d->id.b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->table, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, c->row.b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, c->column, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (int64_t)c->hlc);
    sqlite3_bind_blob(st, 7, c->origin.b, CS_ID_LEN, SQLITE_STATIC);
    cs_value_bind(st, 8, &c->value);
    sqlite3_bind_text(st, 9, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, kind); /* the refusal code; CS_REFUSAL_CLOCK is found again */
    sqlite3_bind_int64(st, 11, (int64_t)cs_replica_seq(h->r));
    rc = cs_step_done(st);
    return rc == SQLITE_OK ? 0 : cs_sqlite_code(rc);
}

int
hub_open_clock_refusals(struct hub *h, const struct hub_device *d, struct cs_refusal **out,
                        size_t *n)
{
    sqlite3_stmt *st;
    struct cs_refusal *v = NULL;
    size_t cap = 0;
    int rc = cs_stmt_get(&h->stmts, ST_REFUSED_OPEN, &st);

    *out = NULL;
    *n = 0;
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_blob(st, 1, d->id.b, CS_ID_LEN, SQLITE_STATIC);
    /* At most what one REFUSED message carries: the rest go at the next sync. */
    while ((rc = *n < CS_MSG_REFUSED_MAX ? sqlite3_step(st) : SQLITE_DONE) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 1) != CS_ID_LEN || sqlite3_column_bytes(st, 4) != CS_ID_LEN ||
            sqlite3_column_type(st, 0) != SQLITE_TEXT || sqlite3_column_type(st, 2) != SQLITE_TEXT)
            continue; /* not a change this hub could have refused */
        /*
         * Replaced: a write of the same device to the register has reached
         * the hub since it was first refused (one issued again has a smaller
         * stamp, so this goes by the hub's seq at the refusal).
         */
        struct cs_id row, origin;
        memcpy(row.b, sqlite3_column_blob(st, 1), CS_ID_LEN);
        memcpy(origin.b, sqlite3_column_blob(st, 4), CS_ID_LEN);
        int later = cs_replica_has_later(h->r, (const char *)sqlite3_column_text(st, 0), &row,
                                         (const char *)sqlite3_column_text(st, 2), &origin,
                                         (uint64_t)sqlite3_column_int64(st, 6));
        if (later < 0) {
            rc = later == CS_ENOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
            break;
        }
        if (later)
            continue;
        if (cs_grow((void **)&v, &cap, *n + 1, sizeof(*v), 8) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        struct cs_refusal *r = &v[(*n)++];
        memset(r, 0, sizeof(*r));
        snprintf(r->table, sizeof(r->table), "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(r->column, sizeof(r->column), "%s", (const char *)sqlite3_column_text(st, 2));
        snprintf(r->reason, sizeof(r->reason), "%s",
                 sqlite3_column_text(st, 5) ? (const char *)sqlite3_column_text(st, 5) : "");
        memcpy(r->row.b, sqlite3_column_blob(st, 1), CS_ID_LEN);
        memcpy(r->origin.b, sqlite3_column_blob(st, 4), CS_ID_LEN);
        r->hlc = (uint64_t)sqlite3_column_int64(st, 3);
        r->kind = CS_REFUSAL_CLOCK;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(v);
        *n = 0;
        return rc == SQLITE_NOMEM ? CS_ENOMEM : cs_sqlite_code(rc);
    }
    *out = v;
    return 0;
}
