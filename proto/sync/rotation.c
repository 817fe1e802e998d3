/* SPDX-License-Identifier: MIT */
/*
 * Hub key rotation statements (cellsync/rotation.h): the signed message,
 * the bytes of a statement and of a chain, the check a device makes before
 * it pins a new hub key, and the hub's hub.rotations file. Signing and
 * verifying are libsodium's Ed25519 (cs_key_sign, cs_sig_verify); the
 * domain text keeps these signatures apart from every other one a hub key
 * makes (envelopes sign their own header, never this prefix).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/file.h"
#include "cellsync/i18n.h"
#include "cellsync/rotation.h"
#include "internal.h"

static const char domain[] = "cellsync hub key rotation"; /* and its 0x00 */
#define DOMAIN_LEN  sizeof(domain)                        /* the NUL is the 0x00 */
#define LINE_PREFIX "cellsync-rotation 1 "
#define LINE_LEN    (sizeof(LINE_PREFIX) - 1 + 2 * CS_ROTATION_LEN + 1)
#define FILE_MAX    (LINE_LEN * 4096)

/* The signed message: domain || 0x00 || the statement's first CS_ROTATION_SIGNED bytes. */
static void
signed_message(const struct cs_rotation *r, uint8_t msg[DOMAIN_LEN + CS_ROTATION_SIGNED])
{
    uint8_t b[CS_ROTATION_LEN];
    cs_rotation_encode(r, b);
    memcpy(msg, domain, DOMAIN_LEN);
    memcpy(msg + DOMAIN_LEN, b, CS_ROTATION_SIGNED);
}

void
cs_rotation_encode(const struct cs_rotation *r, uint8_t out[CS_ROTATION_LEN])
{
    out[0] = CS_ROTATION_VERSION;
    memcpy(out + 1, r->old_pk, CS_PK_LEN);
    memcpy(out + 1 + CS_PK_LEN, r->new_pk, CS_PK_LEN);
    for (int i = 0; i < 8; i++)
        out[1 + 2 * CS_PK_LEN + i] = (uint8_t)(r->time >> (56 - 8 * i));
    memcpy(out + CS_ROTATION_SIGNED, r->sig, CS_SIG_LEN);
}

int
cs_rotation_decode(const uint8_t *buf, size_t len, struct cs_rotation *r)
{
    if (len != CS_ROTATION_LEN)
        return CS_EMALFORMED;
    if (buf[0] != CS_ROTATION_VERSION)
        return CS_EVERSION;
    memcpy(r->old_pk, buf + 1, CS_PK_LEN);
    memcpy(r->new_pk, buf + 1 + CS_PK_LEN, CS_PK_LEN);
    r->time = 0;
    for (int i = 0; i < 8; i++)
        r->time = r->time << 8 | buf[1 + 2 * CS_PK_LEN + i];
    memcpy(r->sig, buf + CS_ROTATION_SIGNED, CS_SIG_LEN);
    return 0;
}

int
cs_rotation_make(const struct cs_key *old, const uint8_t new_pk[CS_PK_LEN], uint64_t time,
                 struct cs_rotation *out)
{
    uint8_t msg[DOMAIN_LEN + CS_ROTATION_SIGNED];
    struct cs_rotation r = {.time = time};

    if (sodium_memcmp(cs_key_pk(old), new_pk, CS_PK_LEN) == 0)
        return CS_EINVAL;
    memcpy(r.old_pk, cs_key_pk(old), CS_PK_LEN);
    memcpy(r.new_pk, new_pk, CS_PK_LEN);
    signed_message(&r, msg);
    cs_key_sign(old, r.sig, msg, sizeof(msg));
    *out = r;
    return 0;
}

int
cs_rotation_verify(const struct cs_rotation *r)
{
    uint8_t msg[DOMAIN_LEN + CS_ROTATION_SIGNED], x[crypto_scalarmult_BYTES];

    /* Both keys must be usable points: a device will pin the new one. */
    if (crypto_sign_ed25519_pk_to_curve25519(x, r->old_pk) != 0 ||
        crypto_sign_ed25519_pk_to_curve25519(x, r->new_pk) != 0)
        return CS_EMALFORMED;
    signed_message(r, msg);
    return cs_sig_verify(r->old_pk, r->sig, msg, sizeof(msg)) == 0 ? 0 : CS_ESIGNATURE;
}

int
cs_rotation_chain_verify(const uint8_t pinned[CS_PK_LEN], const uint8_t *chain, size_t len,
                         uint8_t to[CS_PK_LEN], size_t *n, size_t *index)
{
    uint8_t trusted[CS_PK_LEN];
    uint64_t last = 0;
    size_t count = len / CS_ROTATION_LEN, i = 0;
    int ret = CS_EMALFORMED;

    memcpy(trusted, pinned, CS_PK_LEN);
    if (len == 0 || len % CS_ROTATION_LEN != 0)
        goto out;
    ret = CS_ETOOBIG;
    if (count > CS_ROTATION_MAX)
        goto out;
    for (i = 0; i < count; i++) {
        struct cs_rotation r;
        if ((ret = cs_rotation_decode(chain + i * CS_ROTATION_LEN, CS_ROTATION_LEN, &r)) != 0)
            goto out;
        /* Signed by the key this device trusts now, and no other. */
        if (sodium_memcmp(r.old_pk, trusted, CS_PK_LEN) != 0) {
            ret = i == 0 ? CS_ENOTFOUND : CS_EMALFORMED;
            goto out;
        }
        if (r.time < last) {
            ret = CS_EMALFORMED;
            goto out;
        }
        if ((ret = cs_rotation_verify(&r)) != 0)
            goto out;
        memcpy(trusted, r.new_pk, CS_PK_LEN);
        last = r.time;
    }
    memcpy(to, trusted, CS_PK_LEN);
    *n = count;
    ret = 0;
out:
    if (ret != 0 && index != NULL)
        *index = i;
    return ret;
}

/* ---- the hub's file ---- */

int
cs_rotation_load(const char *path, struct cs_rotation **out, size_t *n, char *err, size_t errlen)
{
    uint8_t *buf = NULL;
    size_t len = 0, count = 0;
    struct cs_rotation *all = NULL;
    int ret;

    *out = NULL;
    *n = 0;
    ret = cs__read_file(path, FILE_MAX, &buf, &len, err, errlen);
    if (ret == -ENOENT)
        return 0;
    if (ret < 0)
        return ret;
    ret = cs_errf(err, errlen, CS_EMALFORMED, _("malformed '%s': not whole lines"), path);
    if (len % LINE_LEN != 0)
        goto out;
    count = len / LINE_LEN;
    ret = CS_ENOMEM;
    if (count > 0 && (all = calloc(count, sizeof(*all))) == NULL)
        goto out;
    for (size_t i = 0; i < count; i++) {
        const char *line = (const char *)buf + i * LINE_LEN;
        uint8_t b[CS_ROTATION_LEN];
        size_t blen = 0;
        if (memcmp(line, LINE_PREFIX, sizeof(LINE_PREFIX) - 1) != 0 || line[LINE_LEN - 1] != '\n' ||
            sodium_hex2bin(b, sizeof(b), line + sizeof(LINE_PREFIX) - 1, 2 * CS_ROTATION_LEN, NULL,
                           &blen, NULL) != 0 ||
            blen != CS_ROTATION_LEN || cs_rotation_decode(b, blen, &all[i]) != 0 ||
            (i > 0 && sodium_memcmp(all[i].old_pk, all[i - 1].new_pk, CS_PK_LEN) != 0)) {
            ret = cs_errf(err, errlen, CS_EMALFORMED,
                          _("malformed '%s', line %zu: not a rotation that follows the one "
                            "before"),
                          path, i + 1);
            goto out;
        }
    }
    *out = all;
    *n = count;
    all = NULL;
    ret = 0;
out:
    free(all);
    free(buf);
    return ret;
}

int
cs_rotation_append(const char *path, const struct cs_rotation *r, char *err, size_t errlen)
{
    struct cs_rotation *all = NULL;
    size_t n = 0;
    char *text = NULL;
    int ret;

    if ((ret = cs_rotation_load(path, &all, &n, err, errlen)) != 0)
        return ret;
    ret = cs_errf(err, errlen, CS_EINVAL,
                  _("cannot add to '%s': the rotation does not follow the last"), path);
    if (n > 0 && sodium_memcmp(all[n - 1].new_pk, r->old_pk, CS_PK_LEN) != 0)
        goto out;
    ret = cs_errf(err, errlen, CS_ENOMEM, "%s", cs_strerror(CS_ENOMEM));
    if ((text = malloc((n + 1) * LINE_LEN + 1)) == NULL)
        goto out;
    for (size_t i = 0; i <= n; i++) {
        uint8_t b[CS_ROTATION_LEN];
        char *line = text + i * LINE_LEN;
        cs_rotation_encode(i < n ? &all[i] : r, b);
        memcpy(line, LINE_PREFIX, sizeof(LINE_PREFIX) - 1);
        sodium_bin2hex(line + sizeof(LINE_PREFIX) - 1, 2 * CS_ROTATION_LEN + 1, b, sizeof(b));
        line[LINE_LEN - 1] = '\n';
    }
    ret = cs_file_write_atomic(path, text, (n + 1) * LINE_LEN, 0600, err, errlen);
out:
    free(text);
    free(all);
    return ret;
}

int
cs_rotation_chain_from(const struct cs_rotation *all, size_t n, const uint8_t pin[CS_PK_LEN],
                       uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    for (size_t i = 0; i < n; i++) {
        if (sodium_memcmp(all[i].old_pk, pin, CS_PK_LEN) != 0)
            continue;
        size_t k = n - i;
        if (k > CS_ROTATION_MAX)
            return CS_ETOOBIG;
        if ((*out = malloc(k * CS_ROTATION_LEN)) == NULL)
            return CS_ENOMEM;
        for (size_t j = 0; j < k; j++)
            cs_rotation_encode(&all[i + j], *out + j * CS_ROTATION_LEN);
        *outlen = k * CS_ROTATION_LEN;
        return 0;
    }
    return CS_ENOTFOUND;
}

int
cs_rotation_known(const struct cs_rotation *all, size_t n, const struct cs_id *id)
{
    for (size_t i = 0; i < n; i++) {
        struct cs_id k;
        cs_pk_id(all[i].old_pk, &k);
        if (cs_id_cmp(&k, id) == 0)
            return 1;
    }
    return 0;
}
