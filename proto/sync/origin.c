/* SPDX-License-Identifier: MIT */
/*
 * Origin-signed change sets, byte for byte the layout in cellsync/origin.h.
 * The signature is plain Ed25519 (not the prehashed variant) over the
 * context string and the set, so a set is signed as a whole message; sets
 * are at most CS_CHANGESET_MAX_BYTES, so the copy that joins the two is
 * bounded.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cellsync/changeset.h"
#include "cellsync/error.h"
#include "cellsync/origin.h"
#include "internal.h"

#define MAGIC       "CSO"
#define MAGIC_LEN   3
#define OFF_VERSION 3
#define OFF_PK      4
#define OFF_SIG     36
#define OFF_LEN     100
/* Format constant: changing it changes every signature, so it moves with CS_ORIGIN_FORMAT. */
static const uint8_t context[] = {'c', 'e', 'l', 'l', 's', 'y', 'n',
                                  'c', ' ', 'c', 'h', 'a', 'n', 'g',
                                  'e', ' ', 's', 'e', 't', 0,   CS_ORIGIN_FORMAT};

_Static_assert(OFF_LEN + 4 == CS_ORIGIN_HEADER, "signed set layout");
_Static_assert(OFF_SIG + CS_SIG_LEN == OFF_LEN, "signed set layout");

/* CONTEXT || set in one buffer: what the signature covers. OUT: *out, free(). */
static int
signed_message(const uint8_t *set, size_t set_len, uint8_t **out, size_t *outlen)
{
    uint8_t *m = malloc(sizeof(context) + set_len);
    if (m == NULL)
        return CS_ENOMEM;
    memcpy(m, context, sizeof(context));
    if (set_len > 0)
        memcpy(m + sizeof(context), set, set_len);
    *out = m;
    *outlen = sizeof(context) + set_len;
    return 0;
}

int
cs_origin_sign(const struct cs_key *k, const uint8_t *set, size_t set_len, uint8_t **buf,
               size_t *len)
{
    uint8_t *msg = NULL;
    size_t msglen;
    int ret;

    if (set_len == 0 || set_len > CS_CHANGESET_MAX_BYTES)
        return set_len == 0 ? CS_EINVAL : CS_ETOOBIG;
    if ((ret = signed_message(set, set_len, &msg, &msglen)) != 0)
        return ret;
    uint8_t *b = realloc(*buf, *len + CS_ORIGIN_HEADER + set_len);
    if (b == NULL) {
        free(msg);
        return CS_ENOMEM;
    }
    uint8_t *p = b + *len;
    memcpy(p, MAGIC, MAGIC_LEN);
    p[OFF_VERSION] = CS_ORIGIN_FORMAT;
    memcpy(p + OFF_PK, cs_key_pk(k), CS_PK_LEN);
    cs_key_sign(k, p + OFF_SIG, msg, msglen);
    cs__put_le32(p + OFF_LEN, (uint32_t)set_len);
    memcpy(p + CS_ORIGIN_HEADER, set, set_len);
    free(msg);
    *buf = b;
    *len += CS_ORIGIN_HEADER + set_len;
    return 0;
}

int
cs_origin_next(const uint8_t *body, size_t len, size_t *off, struct cs_signed *out)
{
    memset(out, 0, sizeof(*out));
    if (*off >= len)
        return 0;
    const uint8_t *p = body + *off;
    size_t left = len - *off;
    if (left < CS_ORIGIN_HEADER)
        return memcmp(p, MAGIC, left < MAGIC_LEN ? left : MAGIC_LEN) != 0 ? CS_EMALFORMED
                                                                          : CS_ETRUNCATED;
    if (memcmp(p, MAGIC, MAGIC_LEN) != 0)
        return CS_EMALFORMED;
    if (p[OFF_VERSION] != CS_ORIGIN_FORMAT)
        return CS_EVERSION;
    uint32_t n = cs__get_le32(p + OFF_LEN);
    if (n > CS_CHANGESET_MAX_BYTES)
        return CS_ETOOBIG;
    if (n == 0)
        return CS_EMALFORMED;
    if ((size_t)n > left - CS_ORIGIN_HEADER)
        return CS_ETRUNCATED;
    out->origin_pk = p + OFF_PK;
    out->sig = p + OFF_SIG;
    out->set = p + CS_ORIGIN_HEADER;
    out->set_len = n;
    out->bytes = p;
    out->len = CS_ORIGIN_HEADER + (size_t)n;
    *off += out->len;
    return 1;
}

int
cs_origin_verify(const struct cs_signed *s)
{
    uint8_t *msg = NULL;
    size_t msglen;
    int ret = signed_message(s->set, s->set_len, &msg, &msglen);
    if (ret == 0)
        ret = cs_sig_verify(s->origin_pk, s->sig, msg, msglen);
    free(msg);
    return ret;
}
