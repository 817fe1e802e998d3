/* SPDX-License-Identifier: MIT */
/*
 * The devices a hub serves: one-time enrollments (`cellsyncd enroll`), the
 * handshake's admission of a device key (enrolling it with a one-time
 * secret), the registry with its sync cursors, `cellsyncd devices` and
 * `cellsyncd revoke`.
 */
#include <errno.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cellsync/codes.h"
#include "cellsync/enroll.h"
#include "cellsync/error.h"
#include "cellsync/util.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "cellsync/output.h"
#include "cellsync/pake.h"
#include "hub_internal.h"
#include "log.h"

#define DAY 86400
/* Copies a text column into buf (cap bytes), "" for NULL. */
static void
col_text(sqlite3_stmt *st, int i, char *buf, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(buf, cap, "%s", t ? (const char *)t : "");
}

static void
id_hex32(const struct cs_id *id, char out[2 * CS_ID_LEN + 1])
{
    sodium_bin2hex(out, 2 * CS_ID_LEN + 1, id->b, CS_ID_LEN);
}

/* ---- enrollment ---- */

void
hub_enroll_hash(const struct hub *h, const uint8_t secret[CS_ENROLL_SECRET_LEN], uint8_t hash[32])
{
    uint8_t key[32];
    /* Subkey 1 of hub.key, context "csenroll": kept with the key, never in the database. */
    cs_key_subkey(h->key, 1, "csenroll", key);
    crypto_generichash(hash, 32, secret, CS_ENROLL_SECRET_LEN, key, sizeof(key));
    sodium_memzero(key, sizeof(key));
}

/*
 * A code's secret and its enrollment secret, from the code's salt and
 * subkey 2 of hub.key: CPace needs the code at the hub (a balanced PAKE),
 * and this way the database holds neither, only a salt that is nothing
 * without the key (as the keyed hashes). The enrollment secret (256 bits)
 * is what the device receives under the CPace key and presents at its
 * first sync; the hub finds the row by its keyed hash, as a file's.
 */
static void
code_secrets(const struct hub *h, uint32_t code_id, const uint8_t salt[HUB_CODE_SALT_LEN],
             uint8_t code_secret[CS_ENROLL_SECRET_LEN], uint8_t secret[CS_ENROLL_SECRET_LEN])
{
    uint8_t key[32], bits[8];
    crypto_generichash_state st;
    cs_key_subkey(h->key, 2, "csenroll", key);
    crypto_generichash_init(&st, key, sizeof(key), sizeof(bits));
    crypto_generichash_update(&st, (const uint8_t *)"code", 4);
    crypto_generichash_update(&st, salt, HUB_CODE_SALT_LEN);
    crypto_generichash_final(&st, bits, sizeof(bits));
    cs_enroll_code_secret(code_id, bits, code_secret);
    crypto_generichash_init(&st, key, sizeof(key), CS_ENROLL_SECRET_LEN);
    crypto_generichash_update(&st, (const uint8_t *)"file", 4);
    crypto_generichash_update(&st, salt, HUB_CODE_SALT_LEN);
    crypto_generichash_final(&st, secret, CS_ENROLL_SECRET_LEN);
    sodium_memzero(key, sizeof(key));
    sodium_memzero(bits, sizeof(bits));
    sodium_memzero(&st, sizeof(st));
}

/* A code number no row holds now (numbers of used or expired codes are freed first). */
static int
code_id_pick(struct hub *h, int64_t now, uint32_t *out, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc;

    if ((rc = cs_stmt_get(&h->stmts, ST_ENROLL_CODE_FREE, &st)) != SQLITE_OK)
        return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "write to"));
    sqlite3_bind_int64(st, 1, now);
    if ((rc = cs_step_done(st)) != SQLITE_OK)
        return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "write to"));
    for (int tries = 0; tries < 64; tries++) {
        uint32_t id = randombytes_uniform(CS_ENROLL_CODE_ID_MAX);
        if ((rc = cs_stmt_get(&h->stmts, ST_ENROLL_CODE_TAKEN, &st)) != SQLITE_OK)
            return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "read"));
        sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_DONE) {
            *out = id;
            return 0;
        }
        if (rc != SQLITE_ROW)
            return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "read"));
    }
    return cs_errf(err, errlen, CS_ETOOBIG,
                   _("too many short codes are open at this hub: give enrollment files instead"));
}

int
hub_enroll_create(struct hub *h, const char *org, const char *role, const char *name,
                  const char *addr, int64_t ttl, const char *out_path, char *code, size_t codelen,
                  int64_t *expires, char *err, size_t errlen)
{
    uint8_t secret[CS_ENROLL_SECRET_LEN], code_secret[CS_ENROLL_SECRET_LEN];
    uint8_t hash[32], salt[HUB_CODE_SALT_LEN];
    uint32_t code_id = 0;
    struct cs_enrollment *e = NULL;
    sqlite3_stmt *st;
    int ret, rc, in_tx = 0;

    if (name == NULL)
        name = "";
    if (!cs_enroll_role_ok(role))
        return cs_errf(err, errlen, CS_EINVAL, _("unknown role '%s': use cell, committee or hub"),
                       role);
    if (code != NULL && strcmp(role, HUB_ROLE_CELL) != 0)
        return cs_errf(err, errlen, CS_EINVAL,
                       _("a device of role %s is enrolled by file only, never by a short code"),
                       role);
    if (code == NULL && out_path == NULL)
        return cs_errf(err, errlen, CS_EINVAL, _("an enrollment needs a file or a code"));
    if (!hub__text_ok(name, sizeof(e->name), 1) ||
        (name[0] && (name[0] == ' ' || name[strlen(name) - 1] == ' ')))
        return cs_errf(err, errlen, CS_EINVAL,
                       _("device name '%s' is too long (%zu bytes at most) or holds control "
                         "characters"),
                       name, sizeof(e->name) - 1);
    if (out_path != NULL &&
        (addr == NULL || !hub__text_ok(addr, sizeof(e->addr), 0) || strpbrk(addr, " \t") != NULL))
        return cs_errf(err, errlen, CS_EINVAL, _("bad hub address '%s': give HOST:PORT"),
                       addr ? addr : "");
    if (ttl < 1 || ttl > HUB_ENROLL_TTL_MAX)
        return cs_errf(err, errlen, CS_EINVAL,
                       _("an enrollment is valid for 30 days at most (%d hours), not %lld hours"),
                       HUB_ENROLL_TTL_MAX / 3600, (long long)((ttl + 3599) / 3600));
    if (code != NULL && codelen < CS_ENROLL_CODE_LEN + 1)
        return cs_errf(err, errlen, CS_EINVAL, _("no room for the code"));
    if ((rc = cs_stmt_get(&h->stmts, ST_UNIT_LIVE, &st)) != SQLITE_OK)
        return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "read"));
    sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return cs_errf(err, errlen, CS_ENOTFOUND, _("no org unit '%s' in the hub's org tree"), org);
    if (rc != SQLITE_ROW)
        return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "read"));

    int64_t now = (int64_t)time(NULL);
    int64_t until = now + ttl;
    if ((ret = hub__exec(h, "BEGIN IMMEDIATE", err, errlen, NC_("cannot %s", "write to"))) != 0)
        goto out;
    in_tx = 1;
    /* With a code, its derived secret is also the file's, if a file is made too. */
    if (code != NULL) {
        if ((ret = code_id_pick(h, now, &code_id, err, errlen)) != 0)
            goto out;
        randombytes_buf(salt, sizeof(salt));
        code_secrets(h, code_id, salt, code_secret, secret);
    } else {
        cs_enroll_secret_new(secret);
    }
    hub_enroll_hash(h, secret, hash);
    if ((rc = cs_stmt_get(&h->stmts, ST_ENROLL_ADD, &st)) != SQLITE_OK) {
        ret = hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "write to"));
        goto out;
    }
    sqlite3_bind_blob(st, 1, hash, sizeof(hash), SQLITE_STATIC);
    if (code != NULL) {
        sqlite3_bind_int64(st, 2, code_id);
        sqlite3_bind_blob(st, 3, salt, sizeof(salt), SQLITE_STATIC);
    }
    sqlite3_bind_text(st, 4, org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, role, -1, SQLITE_STATIC);
    if (name[0])
        sqlite3_bind_text(st, 6, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, now);
    sqlite3_bind_int64(st, 8, until);
    if ((rc = cs_step_done(st)) != SQLITE_OK) {
        ret = hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "write to"));
        goto out;
    }
    /* The file first: a commit that fails takes it away again. */
    if (out_path != NULL) {
        if ((e = sodium_malloc(sizeof(*e))) == NULL) {
            ret = cs_errf(err, errlen, CS_ENOMEM, _("out of memory"));
            goto out;
        }
        memset(e, 0, sizeof(*e));
        snprintf(e->addr, sizeof(e->addr), "%s", addr);
        memcpy(e->hub_pk, cs_key_pk(h->key), CS_PK_LEN);
        snprintf(e->org, sizeof(e->org), "%s", org);
        snprintf(e->role, sizeof(e->role), "%s", role);
        snprintf(e->name, sizeof(e->name), "%s", name);
        memcpy(e->secret, secret, sizeof(secret));
        e->expires = until;
        if ((ret = cs_enrollment_write(e, out_path, err, errlen)) != 0)
            goto out;
    }
    if ((ret = hub__exec(h, "COMMIT", err, errlen, NC_("cannot %s", "write to"))) != 0) {
        if (out_path != NULL)
            unlink(out_path);
        goto out;
    }
    in_tx = 0;
    if (code != NULL)
        cs_enroll_code_format(code_secret, code);
    if (expires != NULL)
        *expires = until;
    ret = 0;
out:
    if (in_tx)
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    sodium_memzero(secret, sizeof(secret));
    sodium_memzero(code_secret, sizeof(code_secret));
    sodium_free(e);
    return ret;
}

/* ---- devices ---- */

static int
device_row(sqlite3_stmt *st, struct hub_device *d)
{
    memset(d, 0, sizeof(*d));
    if (sqlite3_column_bytes(st, 0) != CS_ID_LEN || sqlite3_column_bytes(st, 1) != CS_PK_LEN)
        return CS_ECORRUPT;
    memcpy(d->id.b, sqlite3_column_blob(st, 0), CS_ID_LEN);
    memcpy(d->pk, sqlite3_column_blob(st, 1), CS_PK_LEN);
    col_text(st, 2, d->org, sizeof(d->org));
    col_text(st, 3, d->role, sizeof(d->role));
    col_text(st, 4, d->name, sizeof(d->name));
    d->enrolled_at = sqlite3_column_int64(st, 5);
    d->last_contact = sqlite3_column_int64(st, 6);
    d->revoked_at = sqlite3_column_int64(st, 7);
    d->up_seq = (uint64_t)sqlite3_column_int64(st, 8);
    d->down_seq = (uint64_t)sqlite3_column_int64(st, 9);
    return 0;
}

int
hub_device_get(struct hub *h, const struct cs_id *id, struct hub_device *d)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&h->stmts, ST_DEV_GET, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
    rc = sqlite3_step(st);
    int ret = rc == SQLITE_ROW    ? device_row(st, d)
              : rc == SQLITE_DONE ? CS_ENOTFOUND
                                  : cs_sqlite_code(rc);
    sqlite3_reset(st);
    return ret;
}

/* A device's record in the device table, as a hub below registered it: d without cursors. */
static int
device_registered(struct hub *h, const struct cs_id *id, struct hub_device *d)
{
    sqlite3_stmt *st;
    size_t bin = 0;
    int rc = cs_stmt_get(&h->stmts, ST_DEV_KNOWN, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    memset(d, 0, sizeof(*d));
    sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
    rc = sqlite3_step(st);
    int ret = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? CS_ENOTFOUND : cs_sqlite_code(rc);
    if (ret == 0) {
        const char *hex = (const char *)sqlite3_column_text(st, 0);
        struct cs_id named;
        if (hex == NULL || sodium_hex2bin(d->pk, CS_PK_LEN, hex, strlen(hex), NULL, &bin, NULL) ||
            bin != CS_PK_LEN)
            ret = CS_ENOTFOUND; /* published by a hub before keys were: not yet known */
        else if (cs_pk_id(d->pk, &named), cs_id_cmp(&named, id) != 0)
            ret = CS_ECORRUPT;
        d->id = *id;
        col_text(st, 1, d->org, sizeof(d->org));
        col_text(st, 2, d->role, sizeof(d->role));
        col_text(st, 3, d->name, sizeof(d->name));
        /* The day is enough: a revoked device relays nothing more, whenever that was. */
        const char *day = (const char *)sqlite3_column_text(st, 4);
        d->revoked_at = day != NULL && day[0] != 0;
    }
    sqlite3_reset(st);
    return ret;
}

int
hub_device_known(struct hub *h, const struct cs_id *id, struct hub_device *d)
{
    int ret = hub_device_get(h, id, d);
    return ret == CS_ENOTFOUND ? device_registered(h, id, d) : ret;
}

static void
day_text(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (localtime_r(&tt, &tm) == NULL || strftime(buf, len, "%d/%m/%Y", &tm) == 0)
        snprintf(buf, len, "%lld", (long long)t);
}

/*
 * The device's record in the replica's "device" table (cellsync/schema.h):
 * its name, unit, role, public key and the day it was revoked, so the
 * laptops that see its edits can name it and the hubs above can check what
 * a hub below relays for it. Written through the replica like the hub's
 * holidays, signed and sent to every device in the record's scope; only
 * when it differs, so a contact costs one read, and a device enrolled
 * before the table (or a column) came is published at its next contact
 * (before any edit of it can reach a laptop or a hub above).
 */
static void
revoked_day(const struct hub_device *d, char day[16])
{
    time_t t = (time_t)d->revoked_at;
    struct tm tm;
    day[0] = 0;
    if (d->revoked_at != 0 && gmtime_r(&t, &tm) != NULL)
        strftime(day, 16, "%Y-%m-%d", &tm);
}

int
hub_device_published(struct hub *h, const struct hub_device *d)
{
    static const char sql[] = "SELECT 1 FROM device WHERE id = ?1 AND cl % 2 = 1 AND org_unit IS ?2"
                              " AND coalesce(name, '') = ?3 AND role IS ?4 AND pk IS ?5"
                              " AND coalesce(revoked_on, '') = ?6";
    char pk[2 * CS_PK_LEN + 1], day[16];
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
        return CS_ESQLITE;
    sodium_bin2hex(pk, sizeof(pk), d->pk, CS_PK_LEN);
    revoked_day(d, day);
    sqlite3_bind_blob(st, 1, d->id.b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, d->org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, d->role, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, pk, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, day, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : CS_ESQLITE;
}

/* 1 when d's record carries a revocation day, 0 if not, < 0. */
static int
record_revoked(struct hub *h, const struct hub_device *d)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h->db, "SELECT 1 FROM device WHERE id = ?1 AND revoked_on IS NOT NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return CS_ESQLITE;
    sqlite3_bind_blob(st, 1, d->id.b, CS_ID_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : CS_ESQLITE;
}

int
hub_device_publish(struct hub *h, const struct hub_device *d, char *err, size_t errlen)
{
    struct cs_replica *r = hub_replica(h);
    struct cs_value none = {.type = CS_VNIL};
    char pk[2 * CS_PK_LEN + 1], day[16];
    int ret = hub_device_published(h, d), stale = 0;

    if (ret == 1)
        return 0;
    /* A day a hub below wrote of a device enrolled here and not revoked is taken back. */
    revoked_day(d, day);
    if (ret == 0 && day[0] == 0)
        ret = stale = record_revoked(h, d);
    if (ret < 0)
        return cs_errf(err, errlen, CS_ESQLITE, "%s", sqlite3_errmsg(h->db));
    sodium_bin2hex(pk, sizeof(pk), d->pk, CS_PK_LEN);
    if ((ret = cs_replica_begin(r, err, errlen)) != 0)
        goto out;
    if ((ret = cs_replica_set_text(r, "device", &d->id, "org_unit", d->org, err, errlen)) != 0 ||
        (ret = cs_replica_set_text(r, "device", &d->id, "name", d->name, err, errlen)) != 0 ||
        (ret = cs_replica_set_text(r, "device", &d->id, "role", d->role, err, errlen)) != 0 ||
        (ret = cs_replica_set_text(r, "device", &d->id, "pk", pk, err, errlen)) != 0 ||
        (day[0] &&
         (ret = cs_replica_set_text(r, "device", &d->id, "revoked_on", day, err, errlen)) != 0) ||
        (stale &&
         (ret = cs_replica_set(r, "device", &d->id, "revoked_on", &none, err, errlen)) != 0) ||
        (ret = cs_replica_undelete_row(r, "device", &d->id, err, errlen)) != 0 ||
        (ret = cs_replica_commit(r, err, errlen)) != 0) {
        cs_replica_rollback(r);
        goto out;
    }
    ret = 0;
out:
    return ret;
}

/* Enrolls d (hub_admit_decide) with the open enrollment of row row. A status. */
static int
enroll_device(struct hub *h, int64_t row, const struct hub_device *d)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return CS_WELCOME_BUSY;
    if (cs_stmt_get(&h->stmts, ST_ENROLL_USE, &st) != SQLITE_OK)
        goto busy;
    sqlite3_bind_int64(st, 1, row);
    sqlite3_bind_blob(st, 2, d->id.b, CS_ID_LEN, SQLITE_STATIC);
    if (cs_step_done(st) != SQLITE_OK)
        goto busy;
    if (sqlite3_changes(h->db) != 1) {
        /* Used up between the look-up and now. */
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        return CS_WELCOME_ENROLL;
    }
    /* In the journal before it commits: no restore re-opens it (F10). */
    char err[512];
    if (cs_stmt_get(&h->stmts, ST_ENROLL_CREATED, &st) != SQLITE_OK)
        goto busy;
    sqlite3_bind_int64(st, 1, row);
    int64_t created = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (hub_journal_enroll_used(h, row, created, &d->id, (int64_t)time(NULL), err, sizeof(err)) !=
        0) {
        log_line(LOG_ERR, NULL, NULL, "event=journal-failed error=\"%s\"", err);
        goto busy;
    }
    if (cs_stmt_get(&h->stmts, ST_DEV_ADD, &st) != SQLITE_OK)
        goto busy;
    sqlite3_bind_blob(st, 1, d->id.b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, d->pk, CS_PK_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, d->role, -1, SQLITE_STATIC);
    if (d->name[0])
        sqlite3_bind_text(st, 5, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, d->enrolled_at);
    if ((rc = cs_step_done(st)) != SQLITE_OK ||
        sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto busy;
    return CS_WELCOME_OK;
busy:
    sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    return CS_WELCOME_BUSY;
}

#define WRONG_CODE N_("the enrollment code is wrong, already used or expired")

/*
 * The open enrollment of a secret, a status. A secret (256 bits, from a
 * file or received at enrollment by code) is found by its keyed hash. A
 * code's own secret is never presented here (CPace proves it, pake.h): a
 * secret of that shape comes from a version before, and is refused.
 */
static int
enrollment_find(struct hub *h, const uint8_t secret[CS_ENROLL_SECRET_LEN], int64_t *row,
                char org[ORG_MAX], char role[16], char name[64], char *msg, size_t msglen)
{
    uint8_t hash[32];
    uint32_t code_id;
    sqlite3_stmt *st;
    int rc, open = 0;

    if (cs_enroll_secret_is_code(secret, &code_id)) {
        snprintf(msg, msglen, "%s", _(WRONG_CODE));
        return CS_WELCOME_ENROLL;
    }
    hub_enroll_hash(h, secret, hash);
    if (cs_stmt_get(&h->stmts, ST_ENROLL_BY_FILE, &st) != SQLITE_OK)
        return CS_WELCOME_BUSY;
    sqlite3_bind_blob(st, 1, hash, sizeof(hash), SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *row = sqlite3_column_int64(st, 0);
        col_text(st, 1, org, ORG_MAX);
        col_text(st, 2, role, 16);
        col_text(st, 3, name, 64);
        open = sqlite3_column_int(st, 4);
    }
    sqlite3_reset(st);
    sodium_memzero(hash, sizeof(hash));
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return CS_WELCOME_BUSY;
    if (rc == SQLITE_DONE || !open) {
        snprintf(msg, msglen, "%s", _(WRONG_CODE));
        return CS_WELCOME_ENROLL;
    }
    return CS_WELCOME_OK;
}

int
hub_admit_held(struct hub *h, const uint8_t pk[CS_PK_LEN], unsigned wait_s, struct cs_welcome *w)
{
    struct hub_device d;
    struct cs_id id;

    cs_pk_id(pk, &id);
    if (hub_device_get(h, &id, &d) == 0)
        return 0;
    memset(w, 0, sizeof(*w));
    w->status = CS_WELCOME_ENROLL;
    w->hub_time = cs_replica_now(hub_replica(h));
    snprintf(w->message, sizeof(w->message),
             _("too many wrong enrollment codes from this address: try again in %u s"), wait_s);
    return CS_WELCOME_ENROLL;
}

int
hub_pake_reply(struct hub *h, struct cs_pake *p, unsigned held, const uint8_t *share,
               size_t sharelen, uint8_t *out, size_t cap, size_t *outlen, int64_t *row,
               enum cs_pake_refusal *refusal, char *err, size_t errlen)
{
    uint8_t salt[HUB_CODE_SALT_LEN], code_secret[CS_ENROLL_SECRET_LEN];
    struct cs_enrollment *e = NULL;
    sqlite3_stmt *st;
    int rc, ret = 0, open = 0, salted = 0;
    int64_t fails = 0;

    *outlen = 0;
    *refusal = 0;
    if ((rc = cs_stmt_get(&h->stmts, ST_ENROLL_BY_CODE, &st)) != SQLITE_OK)
        return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "read"));
    if ((e = sodium_malloc(sizeof(*e))) == NULL) {
        ret = cs_errf(err, errlen, CS_ENOMEM, _("out of memory"));
        goto out;
    }
    memset(e, 0, sizeof(*e));
    sqlite3_bind_int64(st, 1, p->number);
    sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *row = sqlite3_column_int64(st, 0);
        col_text(st, 1, e->org, sizeof(e->org));
        col_text(st, 2, e->role, sizeof(e->role));
        col_text(st, 3, e->name, sizeof(e->name));
        open = sqlite3_column_int(st, 4);
        if ((salted = sqlite3_column_bytes(st, 5) == HUB_CODE_SALT_LEN))
            memcpy(salt, sqlite3_column_blob(st, 5), HUB_CODE_SALT_LEN);
        fails = sqlite3_column_int64(st, 6);
        e->expires = sqlite3_column_int64(st, 7);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        ret = hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "read"));
        goto out;
    }
    /* Used, expired, never made here, or made before CPace (no salt). */
    if (rc == SQLITE_DONE || !open || !salted) {
        *refusal = CS_PAKE_NO_CODE;
        goto out;
    }
    if (fails >= HUB_ENROLL_MAX_FAILS) {
        *refusal = CS_PAKE_LOCKED;
        goto out;
    }
    /* An address that guessed wrong too often waits before any run; a locked code says so first. */
    if (held > 0) {
        *refusal = CS_PAKE_WAIT;
        goto out;
    }
    /* The run counts against the code before its reply leaves; the device's CONFIRM takes it back.
     */
    if ((rc = cs_stmt_get(&h->stmts, ST_ENROLL_FAIL, &st)) != SQLITE_OK ||
        (sqlite3_bind_int64(st, 1, *row), rc = cs_step_done(st)) != SQLITE_OK) {
        ret = hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "write to"));
        goto out;
    }
    code_secrets(h, p->number, salt, code_secret, e->secret);
    memcpy(e->hub_pk, cs_key_pk(h->key), CS_PK_LEN);
    if ((ret = cs_pake_hub_reply(p, code_secret, share, sharelen, e, out, cap, outlen)) != 0)
        cs_errf(err, errlen, ret, _("enrollment by code refused: %s"), cs_strerror(ret));
out:
    sodium_memzero(code_secret, sizeof(code_secret));
    sodium_memzero(salt, sizeof(salt));
    if (e != NULL)
        sodium_free(e);
    return ret;
}

int
hub_pake_confirmed(struct hub *h, int64_t row)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&h->stmts, ST_ENROLL_UNFAIL, &st);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, row);
        rc = cs_step_done(st);
    }
    return rc == SQLITE_OK ? 0 : cs_sqlite_code(rc);
}

#define CANNOT_CHECK N_("the hub cannot check this device now; try again later")

int
hub_admit_decide(struct hub *h, const uint8_t pk[CS_PK_LEN], const struct cs_hello *hello,
                 struct hub_device *d, int64_t *row, char *msg, size_t msglen)
{
    struct cs_id id;
    int ret;

    *row = 0;
    if (msglen > 0)
        msg[0] = 0;
    cs_pk_id(pk, &id);
    ret = hub_device_get(h, &id, d);
    if (ret == 0) {
        if (sodium_memcmp(d->pk, pk, CS_PK_LEN) != 0) {
            snprintf(msg, msglen, "%s", _("this device's key does not match the hub's record"));
            return CS_WELCOME_UNKNOWN;
        }
        if (d->revoked_at != 0) {
            char day[32];
            day_text(d->revoked_at, day, sizeof(day));
            snprintf(msg, msglen, _("this device was revoked at the hub on %s"), day);
            return CS_WELCOME_REVOKED;
        }
        return CS_WELCOME_OK;
    }
    if (ret != CS_ENOTFOUND)
        goto busy;
    if (hello == NULL || !hello->has_secret) {
        snprintf(msg, msglen, "%s",
                 _("this device is not enrolled at this hub: ask the hub's administrator for "
                   "an enrollment"));
        return CS_WELCOME_UNKNOWN;
    }
    memset(d, 0, sizeof(*d));
    ret = enrollment_find(h, hello->secret, row, d->org, d->role, d->name, msg, msglen);
    if (ret == CS_WELCOME_BUSY)
        goto busy;
    if (ret != CS_WELCOME_OK)
        return ret;
    /* The enrollment names the device; the device names itself only where it did not. */
    if (d->name[0] == 0) {
        size_t n = strnlen(hello->name, sizeof(hello->name));
        if (n < sizeof(hello->name)) {
            memcpy(d->name, hello->name, n + 1);
            if (!hub__text_ok(d->name, sizeof(d->name), 1))
                d->name[0] = 0;
        }
    }
    d->id = id;
    memcpy(d->pk, pk, CS_PK_LEN);
    d->enrolled_at = d->last_contact = (int64_t)time(NULL);
    return CS_WELCOME_OK;
busy:
    snprintf(msg, msglen, "%s", _(CANNOT_CHECK));
    return CS_WELCOME_BUSY;
}

int
hub_admit_commit(struct hub *h, const struct hub_device *d, int64_t row, char *msg, size_t msglen)
{
    if (msglen > 0)
        msg[0] = 0;
    if (row != 0) {
        int ret = enroll_device(h, row, d);
        if (ret == CS_WELCOME_ENROLL)
            snprintf(msg, msglen, "%s", _(WRONG_CODE));
        else if (ret == CS_WELCOME_BUSY)
            snprintf(msg, msglen, "%s", _(CANNOT_CHECK));
        if (ret != CS_WELCOME_OK)
            return ret;
    }
    /* The device is served all the same: its name is written again at its next contact. */
    if (hub_device_publish(h, d, msg, msglen) != 0)
        log_line(LOG_WARNING, NULL, NULL, "event=device-name-failed reason=\"%s\"", msg);
    if (msglen > 0)
        msg[0] = 0;
    return CS_WELCOME_OK;
}

int
hub_admit(struct hub *h, const uint8_t pk[CS_PK_LEN], const struct cs_hello *hello,
          struct hub_device *d, char *msg, size_t msglen)
{
    int64_t row;
    int ret = hub_admit_decide(h, pk, hello, d, &row, msg, msglen);
    return ret == CS_WELCOME_OK ? hub_admit_commit(h, d, row, msg, msglen) : ret;
}

int
hub_admit_check(struct hub *h, const uint8_t pk[CS_PK_LEN], const struct cs_hello *hello, char *msg,
                size_t msglen)
{
    struct hub_device d;
    int64_t row;
    int ret = hub_admit_decide(h, pk, hello, &d, &row, msg, msglen);
    sodium_memzero(&d, sizeof(d));
    return ret;
}

static int
device_update(struct hub *h, int which, const struct cs_id *id, int64_t v)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&h->stmts, which, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, v);
    rc = cs_step_done(st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    return sqlite3_changes(h->db) == 1 ? 0 : CS_ENOTFOUND;
}

int
hub_device_touch(struct hub *h, const struct cs_id *id, int64_t now)
{
    return device_update(h, ST_DEV_TOUCH, id, now);
}

static struct hub_hs_seen *
hs_find(struct hub *h, const struct cs_id *id)
{
    for (size_t i = 0; i < h->nhs_seen; i++)
        if (cs_id_cmp(&h->hs_seen[i].id, id) == 0)
            return &h->hs_seen[i];
    return NULL;
}

int
hub_hs_replayed(struct hub *h, const struct cs_id *id, const uint8_t ts[CS_WIRE_TS_LEN])
{
    const struct hub_hs_seen *s = hs_find(h, id);
    if (s != NULL)
        return cs_wire_ts_cmp(ts, s->ts) <= 0;
    /* Not seen since the hub started: what the last proven handshake stored. */
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&h->stmts, ST_HS_GET, &st), replayed = 0;
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == CS_WIRE_TS_LEN)
        replayed = cs_wire_ts_cmp(ts, sqlite3_column_blob(st, 0)) <= 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cs_sqlite_code(rc);
    return replayed;
}

int
hub_hs_note(struct hub *h, const struct cs_id *id, const uint8_t ts[CS_WIRE_TS_LEN])
{
    /* One entry per admitted device: as many as hub_device has rows. */
    struct hub_hs_seen *s = hs_find(h, id);
    if (s == NULL) {
        if (cs_grow((void **)&h->hs_seen, &h->caphs_seen, h->nhs_seen + 1, sizeof(*h->hs_seen),
                    64) != 0)
            return CS_ENOMEM;
        s = &h->hs_seen[h->nhs_seen++];
        s->id = *id;
    } else if (cs_wire_ts_cmp(ts, s->ts) <= 0) {
        return 0;
    }
    memcpy(s->ts, ts, CS_WIRE_TS_LEN);
    return 0;
}

int
hub_device_proven(struct hub *h, const struct cs_id *id, const uint8_t ts[CS_WIRE_TS_LEN],
                  int64_t now)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&h->stmts, ST_HS_SET, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, ts, CS_WIRE_TS_LEN, SQLITE_STATIC);
    rc = cs_step_done(st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    return hub_device_touch(h, id, now);
}

int
hub_device_set_up_seq(struct hub *h, const struct cs_id *id, uint64_t seq)
{
    return device_update(h, ST_DEV_UP, id, (int64_t)seq);
}

int
hub_device_set_down_seq(struct hub *h, const struct cs_id *id, uint64_t seq)
{
    return device_update(h, ST_DEV_DOWN, id, (int64_t)seq);
}

/* A time in Unix seconds as the table shows it (local time), NULL for 0 or NULL ("never"). */
#define LOCAL_SQL(x)                                                                               \
    "CASE WHEN coalesce(" x ", 0) = 0 THEN NULL"                                                   \
    " ELSE strftime('%Y-%m-%d %H:%M', " x ", 'unixepoch', 'localtime') END"
#define ISO_SQL(x)                                                                                 \
    "CASE WHEN coalesce(" x ", 0) = 0 THEN NULL"                                                   \
    " ELSE strftime('%Y-%m-%dT%H:%M:%SZ', " x ", 'unixepoch') END"

/*
 * The rows listed: the devices enrolled here (hub_device; one whose id or
 * key has the wrong size is skipped, as device_row() does), then those a hub
 * below registered (the replicated device table, not deleted, not enrolled
 * here), with the hub whose version of the record came here first
 * (cs_row.site) and that hub's unit, from hub_device or the device table.
 * last_hlc: the newest current value the device wrote (cs_reg, one pass over
 * it grouped by origin). ?1 is what a device never in contact shows; :here
 * not NULL keeps the devices enrolled here alone. Not below: this hub's own
 * record (:self) and those the hub above registered (:above, its id), which
 * come down to a hub below for the units above it.
 */
#define DEVICE_ROWS                                                                                \
    "WITH last AS MATERIALIZED (SELECT s.uuid AS uuid, max(v.hlc) AS hlc FROM cs_reg v"            \
    " JOIN cs_site s ON s.ix = v.site GROUP BY v.site),"                                           \
    " rows AS (SELECT 0 AS below, id, name, org, role, enrolled_at, last_contact, revoked_at,"     \
    " CASE WHEN coalesce(revoked_at, 0) = 0 THEN NULL"                                             \
    " ELSE strftime('%Y-%m-%d', revoked_at, 'unixepoch') END AS revoked_on,"                       \
    " up_seq, down_seq, NULL AS by_id, NULL AS by_org FROM hub_device"                             \
    " WHERE length(id) = 16 AND length(pk) = 32"                                                   \
    " UNION ALL SELECT 1, d.id, d.name, d.org_unit, d.role, NULL, NULL, NULL,"                     \
    " nullif(d.revoked_on, ''), NULL, NULL, s.uuid,"                                               \
    " coalesce((SELECT org FROM hub_device WHERE id = s.uuid),"                                    \
    " (SELECT org_unit FROM device WHERE id = s.uuid AND cl % 2 = 1)) FROM device d"               \
    " LEFT JOIN cs_row r ON r.tbl = (SELECT ix FROM cs_name WHERE name = 'device')"                \
    " AND r.row = d.id LEFT JOIN cs_site s ON s.ix = r.site"                                       \
    " WHERE d.cl % 2 = 1 AND length(d.id) = 16 AND d.id NOT IN (SELECT id FROM hub_device)"        \
    " AND d.id IS NOT :self AND (:above IS NULL OR s.uuid IS NOT :above))"                         \
    " SELECT rows.*, last.hlc AS last_hlc FROM rows LEFT JOIN last ON last.uuid = rows.id"         \
    " WHERE :here IS NULL OR below = 0 ORDER BY below, org, name, id"

/* A replica's stamp (cellsync/hlc.h) in Unix seconds. */
#define HLC_SECONDS "((last_hlc >> 16) / 1000)"

/*
 * Where a device is: ?2 "enrolled here"; ?3 "registered at %s" with the
 * registering hub's unit, or its short id when its unit is not known here;
 * ?4 when not even the hub is known (a record from before cs_row.site).
 */
#define WHERE_SQL                                                                                  \
    "CASE WHEN below = 0 THEN ?2 WHEN by_id IS NULL THEN ?4"                                       \
    " ELSE printf(?3, coalesce(by_org, short_id(by_id))) END"

/* clang-format off */
#define DEVICES_TABLE(hub_key)                                                                     \
    "SELECT short_id(id), nullif(name, ''), org, label('role', role), " WHERE_SQL ","              \
    " " LOCAL_SQL("enrolled_at") ","                                                               \
    " CASE WHEN below = 0 THEN coalesce(" LOCAL_SQL("last_contact") ", ?1) END,"                   \
    " " LOCAL_SQL(HLC_SECONDS) ","                                                                 \
    " CASE WHEN below = 0 THEN " LOCAL_SQL("revoked_at") " ELSE revoked_on END" hub_key            \
    " FROM (" DEVICE_ROWS ")"
#define DEVICES_JSON(hub_key)                                                                      \
    "SELECT json_group_array(json_object("                                                         \
    " 'id', uuid(id),"                                                                             \
    " 'name', name, 'org', org, 'role', role,"                                                     \
    " 'enrolled_at', " ISO_SQL("enrolled_at") ","                                                  \
    " 'last_contact', " ISO_SQL("last_contact") ","                                                \
    " 'revoked_at', " ISO_SQL("revoked_at") ","                                                    \
    " 'up_seq', up_seq, 'down_seq', down_seq" hub_key ","                                          \
    " 'where', CASE WHEN below = 0 THEN 'here' ELSE 'below' END,"                                  \
    " 'registered_by', CASE WHEN by_id IS NULL THEN NULL ELSE uuid(by_id) END,"                    \
    " 'registered_unit', by_org, 'revoked_on', revoked_on,"                                        \
    " 'last_change', " ISO_SQL(HLC_SECONDS) "))"                                                   \
    " FROM (" DEVICE_ROWS ")"

static const char devices_table_sql[] = DEVICES_TABLE("");
static const char devices_json_sql[] = DEVICES_JSON("");
/* After a key rotation the table says which hub key each device trusts (keys.c). */
static const char devices_rot_sql[] =
    DEVICES_TABLE(", CASE WHEN below = 0 THEN hub_pin(id, enrolled_at, 1) END");
static const char devices_json_rot_sql[] =
    DEVICES_JSON(", 'hub_key', CASE WHEN below = 0 THEN hub_pin(id, enrolled_at, 0) END");
/* clang-format on */

/*
 * hub_pin(id, enrolled_at, words): the hub key the device trusts (keys.c),
 * "current", "retired" (kept: it still syncs, and moves) or "deleted" (it
 * must be enrolled again); with words, as the table says it.
 */
static void
hub_pin_sql(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct hub *h = sqlite3_user_data(ctx);
    struct hub_device d = {0};
    uint8_t pk[CS_PK_LEN];
    (void)argc;
    if (sqlite3_value_bytes(argv[0]) != CS_ID_LEN) {
        sqlite3_result_null(ctx);
        return;
    }
    memcpy(d.id.b, sqlite3_value_blob(argv[0]), CS_ID_LEN);
    d.enrolled_at = sqlite3_value_int64(argv[1]);
    if (hub_device_pin(h, &d, pk) != 0) {
        sqlite3_result_error(ctx, "cannot read the pinned keys", -1);
        return;
    }
    static const char *const names[] = {"current", "retired", "deleted"};
    static const char *const words[] = {N_("current key"),
                                        N_("retired key: moves at its next sync"),
                                        N_("deleted key: enroll it again")};
    int state = hub_pin_state(h, pk);
    sqlite3_result_text(ctx, sqlite3_value_int(argv[2]) ? _(words[state]) : names[state], -1,
                        SQLITE_TRANSIENT);
}

int
hub_devices_each(struct hub *h, int (*fn)(void *ud, const struct hub_device *d), void *ud,
                 char *err, size_t errlen)
{
    struct hub_device *all = NULL, d;
    size_t n = 0, cap = 0;
    sqlite3_stmt *st;
    int rc, ret = 0;

    if ((rc = cs_stmt_get(&h->stmts, ST_DEV_ALL, &st)) != SQLITE_OK)
        return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "read"));
    /* Read whole first: fn may use the statements too. */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (device_row(st, &d) != 0)
            continue;
        if (n == cap) {
            struct hub_device *m = realloc(all, (cap = cap ? 2 * cap : 16) * sizeof(*all));
            if (m == NULL) {
                sqlite3_reset(st);
                free(all);
                return cs_errf(err, errlen, CS_ENOMEM, "%s", cs_strerror(CS_ENOMEM));
            }
            all = m;
        }
        all[n++] = d;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(all);
        return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "read"));
    }
    for (size_t i = 0; i < n && ret == 0; i++)
        ret = fn(ud, &all[i]);
    free(all);
    return ret;
}

int
hub_devices_print(struct hub *h, FILE *f, int json, int here, char *err, size_t errlen)
{
    static const char *const heads[] = {
        N_("device"),   N_("name"),         N_("org unit"),    N_("role"),    N_("where"),
        N_("enrolled"), N_("last contact"), N_("last change"), N_("revoked"), N_("hub key")};
    sqlite3_stmt *st = NULL;
    int ret, rc;

    /* uuid() for the JSON, short_id() for the table: only this listing needs them. */
    if (cs_codes_sql_register(h->db) != 0 ||
        sqlite3_create_function(h->db, "hub_pin", 3, SQLITE_UTF8, h, hub_pin_sql, NULL, NULL) !=
            SQLITE_OK)
        return hub__db_fail(h, sqlite3_errcode(h->db), err, errlen, NC_("cannot %s", "read"));
    const char *sql = h->nrot > 0 ? (json ? devices_json_rot_sql : devices_rot_sql)
                                  : (json ? devices_json_sql : devices_table_sql);
    if ((rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL)) != SQLITE_OK)
        return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "read"));
    if (here)
        sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":here"), 1);
    const struct cs_id *self = cs_replica_site(hub_replica(h));
    sqlite3_bind_blob(st, sqlite3_bind_parameter_index(st, ":self"), self->b, CS_ID_LEN,
                      SQLITE_STATIC);
    char hex[2 * CS_PK_LEN + 1];
    uint8_t pk[CS_PK_LEN];
    struct cs_id above;
    size_t bin = 0;
    if (cs_replica_meta_get(hub_replica(h), CS_META_HUB_PK, hex, sizeof(hex)) == 0 &&
        sodium_hex2bin(pk, sizeof(pk), hex, strlen(hex), NULL, &bin, NULL) == 0 &&
        bin == CS_PK_LEN) {
        cs_pk_id(pk, &above);
        sqlite3_bind_blob(st, sqlite3_bind_parameter_index(st, ":above"), above.b, CS_ID_LEN,
                          SQLITE_TRANSIENT);
    }
    if (!json) {
        sqlite3_bind_text(st, 1, _("never"), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, _("enrolled here"), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, _("registered at %s"), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, _("registered below"), -1, SQLITE_TRANSIENT);
    }
    char oerr[512];
    ret = json ? cs_out_json(f, st, oerr, sizeof(oerr))
               : cs_out_table(f, st, heads, oerr, sizeof(oerr));
    if (ret == CS_ESQLITE)
        ret = cs_errf(err, errlen, ret, _("cannot read '%s': %s"), h->dbpath, oerr);
    else if (ret != 0)
        ret = cs_errf(err, errlen, ret, _("cannot write the list: %s"), cs_strerror(ret));
    sqlite3_finalize(st);
    return ret;
}

/* 1 if which, as hex digits (dashes ignored, at least 4), begins or ends hex32. */
static int
id_matches(const char *which, const char *hex32)
{
    char want[2 * CS_ID_LEN + 1];
    size_t n = 0;
    for (const char *p = which; *p; p++) {
        if (*p == '-')
            continue;
        char c = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || n == 2 * CS_ID_LEN)
            return 0;
        want[n++] = c;
    }
    if (n < 4)
        return 0;
    return memcmp(hex32, want, n) == 0 || memcmp(hex32 + 2 * CS_ID_LEN - n, want, n) == 0;
}

int
hub_device_revoked(struct hub *h, const struct cs_id *id, char *msg, size_t msglen)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&h->stmts, ST_DEV_REVOKED, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
    rc = sqlite3_step(st);
    int64_t at = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cs_sqlite_code(rc);
    /* No row: a device enrolling, written at its proof (J_PROVEN); nothing removes a row. */
    if (at == 0)
        return 0;
    char day[32];
    day_text(at, day, sizeof(day));
    snprintf(msg, msglen, _("this device was revoked at the hub on %s"), day);
    return 1;
}

int
hub_device_revoke(struct hub *h, const char *which, struct hub_device *out, char *err,
                  size_t errlen)
{
    struct hub_device d, match = {0};
    char list[512] = "";
    size_t nmatch = 0, used = 0;
    int rc, ret;
    sqlite3_stmt *st;

    if (which[0] == 0)
        return cs_errf(err, errlen, CS_EINVAL, _("name a device by its name or id"));
    if ((rc = cs_stmt_get(&h->stmts, ST_DEV_ALL, &st)) != SQLITE_OK)
        return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "read"));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char hex[2 * CS_ID_LEN + 1];
        if (device_row(st, &d) != 0)
            continue;
        id_hex32(&d.id, hex);
        if (strcmp(d.name, which) != 0 && !id_matches(which, hex))
            continue;
        if (nmatch++ == 0)
            match = d;
        char id[CS_ID_SHORT_LEN + 1];
        cs_id_short(&d.id, id);
        int n = snprintf(list + used, sizeof(list) - used, "%s%s (%s)", used ? ", " : "", id,
                         d.name[0] ? d.name : d.org);
        if (n > 0 && used + (size_t)n < sizeof(list))
            used += (size_t)n;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "read"));
    if (nmatch == 0)
        return cs_errf(err, errlen, CS_ENOTFOUND,
                       _("no device is named '%s' or has an id beginning or ending so"), which);
    if (nmatch > 1)
        return cs_errf(err, errlen, CS_EAMBIGUOUS,
                       _("'%s' matches more than one device: %s; give more of the id"), which,
                       list);
    /* In the journal first: no restore of an older backup takes it back (F10). */
    int64_t now = (int64_t)time(NULL);
    if (match.revoked_at == 0 && (ret = hub_journal_revoke(h, &match.id, now, err, errlen)) != 0)
        return ret;
    if ((ret = device_update(h, ST_DEV_REVOKE, &match.id, now)) != 0 && ret != CS_ENOTFOUND)
        return hub__db_fail(h, sqlite3_errcode(h->db), err, errlen, NC_("cannot %s", "write to"));
    /* CS_ENOTFOUND here: it was revoked already, and keeps its first time. */
    if ((ret = hub_device_get(h, &match.id, &d)) != 0)
        return hub__db_fail(h, sqlite3_errcode(h->db), err, errlen, NC_("cannot %s", "read"));
    /* The day travels with its record, down to the laptops and up to the hubs above. */
    if ((ret = hub_device_publish(h, &d, err, errlen)) != 0)
        return ret;
    if (out != NULL)
        *out = d;
    return 0;
}
