/* SPDX-License-Identifier: MIT */
/*
 * The hub's keys over time (F5 of the security review, cellsync/rotation.h):
 * hub.key is the current key, hub.rotations the signed chain from the key
 * the hub was made with to it, and hub-old/<hex of the first 8 bytes of its
 * public key>.key each retired secret key still kept. A retired key does
 * two things only: it completes the handshake of a device that still pins
 * it (the hub then sends that device the chain, and the device pins the
 * current key), and it opens what such a device sealed to it (its chunks,
 * its bundles). It signs nothing and verifies nothing.
 *
 * What outlives a rotation: the replica's site id stays the id of the first
 * key (the origin of everything the hub wrote), and the audit chain keeps
 * its key (subkey 3 of the first key, kept alone in hub-old/audit.key from
 * the first rotation on, since a retired key may be deleted). Enrollments
 * still open are keyed with the key that made them and do not open after a
 * rotation: `key rotate` says how many.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/file.h"
#include "cellsync/i18n.h"
#include "cellsync/rotation.h"
#include "cellsync/util.h"
#include "hub_internal.h"

#define AUDIT_KEY_HEADER "cellsync-audit-key 1\n"

static int
join(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* <state>/hub-old/<name of pk>. */
static int
old_path(char *out, size_t cap, const char *state, const uint8_t pk[CS_PK_LEN])
{
    char name[HUB_OLD_NAME_LEN];
    hub_old_name(pk, name);
    int n = snprintf(out, cap, "%s/%s/%s", state, HUB_OLD_DIR, name);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

void
hub_old_name(const uint8_t pk[CS_PK_LEN], char out[HUB_OLD_NAME_LEN])
{
    char hex[17];
    sodium_bin2hex(hex, sizeof(hex), pk, 8);
    snprintf(out, HUB_OLD_NAME_LEN, "%s.key", hex);
}

int
hub__rotations_load(const char *state, const struct cs_key *current, struct cs_rotation **rot,
                    size_t *n, struct cs_id *site, char *err, size_t errlen)
{
    char path[PATH_MAX];
    int ret;

    if (join(path, sizeof(path), state, CS_ROTATION_FILE) != 0)
        return cs_errf(err, errlen, CS_EINVAL, _("state directory '%s': path too long"), state);
    if ((ret = cs_rotation_load(path, rot, n, err, errlen)) != 0)
        return ret;
    if (*n == 0) {
        cs_key_id(current, site);
        return 0;
    }
    /* A rotation cut short leaves the chain ahead of hub.key: say so rather than guess. */
    if (sodium_memcmp((*rot)[*n - 1].new_pk, cs_key_pk(current), CS_PK_LEN) != 0) {
        free(*rot);
        *rot = NULL;
        *n = 0;
        return cs_errf(err, errlen, CS_EKEYFILE,
                       _("'%s' does not end at the key in '%s/%s': was a rotation interrupted?"),
                       path, state, HUB_KEY);
    }
    cs_pk_id((*rot)[0].old_pk, site);
    return 0;
}

/* hub-old/audit.key: the audit chain's key, once the first rotation has kept it there. */
static int
audit_key_load(struct hub *h, char *err, size_t errlen)
{
    char path[PATH_MAX], text[128];
    size_t len = 0;
    if (join(path, sizeof(path), h->state, HUB_OLD_DIR "/" HUB_AUDIT_KEY) != 0)
        return cs_errf(err, errlen, CS_EINVAL, _("state directory '%s': path too long"), h->state);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return errno == ENOENT
                   ? 0
                   : cs_errf(err, errlen, -errno, _("cannot open '%s': %s"), path, strerror(errno));
    size_t got = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[got] = 0;
    size_t hl = sizeof(AUDIT_KEY_HEADER) - 1;
    if (got != hl + 65 || memcmp(text, AUDIT_KEY_HEADER, hl) != 0 || text[got - 1] != '\n' ||
        sodium_hex2bin(h->audit_key, sizeof(h->audit_key), text + hl, 64, NULL, &len, NULL) != 0 ||
        len != sizeof(h->audit_key)) {
        sodium_memzero(text, sizeof(text));
        return cs_errf(err, errlen, CS_EKEYFILE, _("malformed key file '%s'"), path);
    }
    sodium_memzero(text, sizeof(text));
    return 0;
}

int
hub__keys_load(struct hub *h, char *err, size_t errlen)
{
    char path[PATH_MAX];
    int ret;

    if ((ret = audit_key_load(h, err, errlen)) != 0)
        return ret;
    /* Newest first: a device that missed one rotation is the likeliest. */
    for (size_t i = h->nrot; i-- > 0 && h->nold < HUB_OLD_MAX;) {
        struct cs_key *k = NULL;
        if (old_path(path, sizeof(path), h->state, h->rot[i].old_pk) != 0)
            return cs_errf(err, errlen, CS_EINVAL, _("state directory '%s': path too long"),
                           h->state);
        if (access(path, F_OK) != 0)
            continue; /* retired for good (key retire-old) */
        if ((ret = cs_key_load(&k, path, err, errlen)) != 0)
            return ret;
        if (sodium_memcmp(cs_key_pk(k), h->rot[i].old_pk, CS_PK_LEN) != 0) {
            cs_key_free(k);
            return cs_errf(err, errlen, CS_EKEYFILE, _("'%s' is not the key '%s' names"), path,
                           CS_ROTATION_FILE);
        }
        h->old[h->nold++] = k;
    }
    return 0;
}

size_t
hub_keys(const struct hub *h, const struct cs_key **keys, size_t max)
{
    size_t n = 0;
    if (max > 0)
        keys[n++] = h->key;
    for (size_t i = 0; i < h->nold && n < max; i++)
        keys[n++] = h->old[i];
    return n;
}

const struct cs_key *
hub_key_for(const struct hub *h, const struct cs_id *id)
{
    struct cs_id kid;
    cs_key_id(h->key, &kid);
    if (cs_id_cmp(&kid, id) == 0)
        return h->key;
    for (size_t i = 0; i < h->nold; i++) {
        cs_key_id(h->old[i], &kid);
        if (cs_id_cmp(&kid, id) == 0)
            return h->old[i];
    }
    return NULL;
}

int
hub_rotation_chain(const struct hub *h, const uint8_t pk[CS_PK_LEN], uint8_t **out, size_t *len)
{
    return cs_rotation_chain_from(h->rot, h->nrot, pk, out, len);
}

/* ---- which key a device pins ---- */

int
hub_device_set_pin(struct hub *h, const struct cs_id *id, const uint8_t pk[CS_PK_LEN])
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h->db,
                                "INSERT INTO hub_device_pin (id, pk) VALUES (?1, ?2)"
                                " ON CONFLICT (id) DO UPDATE SET pk = excluded.pk",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, pk, CS_PK_LEN, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(h->db);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : cs_sqlite_code(rc);
}

int
hub_device_pin(struct hub *h, const struct hub_device *d, uint8_t pk[CS_PK_LEN])
{
    sqlite3_stmt *st = NULL;
    int rc =
        sqlite3_prepare_v2(h->db, "SELECT pk FROM hub_device_pin WHERE id = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_blob(st, 1, d->id.b, CS_ID_LEN, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == CS_PK_LEN) {
        memcpy(pk, sqlite3_column_blob(st, 0), CS_PK_LEN);
        sqlite3_finalize(st);
        return 0;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cs_sqlite_code(rc);
    /* Not seen since rotations began: the key that was current when it enrolled. */
    memcpy(pk, h->nrot > 0 ? h->rot[0].old_pk : cs_key_pk(h->key), CS_PK_LEN);
    for (size_t i = 0; i < h->nrot && (int64_t)h->rot[i].time <= d->enrolled_at; i++)
        memcpy(pk, h->rot[i].new_pk, CS_PK_LEN);
    return 0;
}

int
hub_pin_state(const struct hub *h, const uint8_t pk[CS_PK_LEN])
{
    if (sodium_memcmp(pk, cs_key_pk(h->key), CS_PK_LEN) == 0)
        return HUB_PIN_CURRENT;
    for (size_t i = 0; i < h->nold; i++)
        if (sodium_memcmp(pk, cs_key_pk(h->old[i]), CS_PK_LEN) == 0)
            return HUB_PIN_RETIRED;
    return HUB_PIN_GONE;
}

/* ---- key rotate ---- */

int
hub_key_rotate(struct hub *h, uint8_t new_pk[CS_PK_LEN], long long *voided, char *err,
               size_t errlen)
{
    char key_path[PATH_MAX], pub_path[PATH_MAX], old_dir[PATH_MAX], kept[PATH_MAX];
    char rot_path[PATH_MAX], new_key[PATH_MAX + 8], new_pub[PATH_MAX + 8], audit_path[PATH_MAX];
    struct cs_key *k = NULL;
    struct cs_rotation r;
    int ret;

    *voided = 0;
    if (join(key_path, sizeof(key_path), h->state, HUB_KEY) != 0 ||
        join(pub_path, sizeof(pub_path), h->state, HUB_PUB) != 0 ||
        join(old_dir, sizeof(old_dir), h->state, HUB_OLD_DIR) != 0 ||
        old_path(kept, sizeof(kept), h->state, cs_key_pk(h->key)) != 0 ||
        join(audit_path, sizeof(audit_path), old_dir, HUB_AUDIT_KEY) != 0 ||
        join(rot_path, sizeof(rot_path), h->state, CS_ROTATION_FILE) != 0)
        return cs_errf(err, errlen, CS_EINVAL, _("state directory '%s': path too long"), h->state);
    snprintf(new_key, sizeof(new_key), "%s.new", key_path);
    snprintf(new_pub, sizeof(new_pub), "%s.new", pub_path);
    if ((ret = cs_key_generate(&k)) != 0)
        return cs_errf(err, errlen, ret, _("cannot make the hub's key: %s"), cs_strerror(ret));
    if ((ret = cs_rotation_make(h->key, cs_key_pk(k), (uint64_t)time(NULL), &r)) != 0) {
        ret = cs_errf(err, errlen, ret, _("cannot sign the rotation: %s"), cs_strerror(ret));
        goto out;
    }
    /*
     * Order: the new key pair beside the old (nothing changed yet), the old
     * key kept in hub-old/, the statement, then the new pair over the old.
     * Cut anywhere before the last step, hub.key is still the key every
     * device pins; cut after the statement, hub_open names the half-done
     * rotation.
     */
    unlink(new_key);
    unlink(new_pub);
    if ((ret = cs_key_save(k, new_key, err, errlen)) != 0 ||
        (ret = cs_pk_save(cs_key_pk(k), new_pub, err, errlen)) != 0)
        goto out;
    if ((ret = cs_file_mkdirs(old_dir, 0700)) != 0) {
        ret = cs_errf(err, errlen, ret, _("cannot make '%s': %s"), old_dir, strerror(-ret));
        goto out;
    }
    if ((ret = cs_key_save(h->key, kept, err, errlen)) != 0)
        goto out;
    if (access(audit_path, F_OK) != 0) {
        char text[sizeof(AUDIT_KEY_HEADER) + 65];
        memcpy(text, AUDIT_KEY_HEADER, sizeof(AUDIT_KEY_HEADER) - 1);
        sodium_bin2hex(text + sizeof(AUDIT_KEY_HEADER) - 1, 65, h->audit_key, sizeof(h->audit_key));
        text[sizeof(text) - 2] = '\n';
        ret = cs_file_write_atomic(audit_path, text, sizeof(text) - 1, 0600, err, errlen);
        sodium_memzero(text, sizeof(text));
        if (ret != 0)
            goto out;
    }
    if ((ret = cs_rotation_append(rot_path, &r, err, errlen)) != 0)
        goto out;
    if (rename(new_key, key_path) != 0 || rename(new_pub, pub_path) != 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot put the new key in place in '%s': %s"),
                      h->state, strerror(errno));
        goto out;
    }
    memcpy(new_pk, cs_key_pk(k), CS_PK_LEN);
    /* Open enrollments are keyed with the old key's subkeys (devices.c): they no longer open. */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h->db,
                           "SELECT count(*) FROM hub_enrollment WHERE used_by IS NULL"
                           " AND expires > ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, (int64_t)time(NULL));
        if (sqlite3_step(st) == SQLITE_ROW)
            *voided = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    ret = 0;
out:
    if (ret != 0) {
        unlink(new_key);
        unlink(new_pub);
    }
    cs_key_free(k);
    return ret;
}

/* ---- key retire-old ---- */

int
hub_key_retire(struct hub *h, size_t *removed, char *err, size_t errlen)
{
    char path[PATH_MAX];
    *removed = 0;
    for (size_t i = 0; i < h->nold; i++) {
        if (old_path(path, sizeof(path), h->state, cs_key_pk(h->old[i])) != 0)
            return cs_errf(err, errlen, CS_EINVAL, _("state directory '%s': path too long"),
                           h->state);
        if (unlink(path) != 0 && errno != ENOENT)
            return cs_errf(err, errlen, -errno, _("cannot remove '%s': %s"), path, strerror(errno));
        (*removed)++;
    }
    for (size_t i = 0; i < h->nold; i++)
        cs_key_free(h->old[i]);
    h->nold = 0;
    return 0;
}
