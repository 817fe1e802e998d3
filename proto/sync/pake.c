/* SPDX-License-Identifier: MIT */
/*
 * Enrollment by short code on the wire (cellsync/pake.h): the frames, the
 * CPace run over the code with the draft's key confirmation, and the box
 * that carries the hub's enrollment under a key derived from ISK. Both
 * ends live here, so they cannot disagree; neither does I/O.
 */
#include <sodium.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/pake.h"
#include "cellsync/wire.h"
#include "internal.h"

#define CI_LABEL     "cellsync enroll"
#define CI_LABEL_LEN (sizeof(CI_LABEL) - 1)
#define CI_LEN       (CI_LABEL_LEN + 1 + 1 + 2)
#define GRANT_INFO   "cellsync enroll grant"
#define BOX_PLAIN    (CS_PK_LEN + CS_ENROLL_SECRET_LEN + 8)
#define REPLY_HEAD   (2 + CS_CPACE_POINT_LEN + CS_CPACE_TAG_LEN)

void
cs_pake_wipe(struct cs_pake *p)
{
    sodium_memzero(p, sizeof(*p));
}

void
cs_pake_refusal(uint8_t out[CS_PAKE_REFUSE_LEN], enum cs_pake_refusal reason, unsigned wait_s)
{
    if (wait_s > 0xffff)
        wait_s = 0xffff;
    out[0] = CS_PAKE_FRAME;
    out[1] = CS_PAKE_REFUSE;
    out[2] = (uint8_t)reason;
    out[3] = (uint8_t)(wait_s >> 8);
    out[4] = (uint8_t)wait_s;
}

int
cs_pake_step(const uint8_t *in, size_t inlen)
{
    return inlen >= 2 && in[0] == CS_PAKE_FRAME ? in[1] : -1;
}

int
cs_pake_refusal_read(const uint8_t *in, size_t inlen, enum cs_pake_refusal *reason,
                     unsigned *wait_s)
{
    if (inlen != CS_PAKE_REFUSE_LEN || cs_pake_step(in, inlen) != CS_PAKE_REFUSE)
        return CS_EMALFORMED;
    *reason = (enum cs_pake_refusal)in[2];
    *wait_s = (unsigned)in[3] << 8 | in[4];
    return 0;
}

/* CI = "cellsync enroll" || 0x00 || version || number (big-endian, 2 bytes). */
static void
channel_id(uint32_t number, uint8_t ci[CI_LEN])
{
    memcpy(ci, CI_LABEL, CI_LABEL_LEN);
    ci[CI_LABEL_LEN] = 0;
    ci[CI_LABEL_LEN + 1] = CS_WIRE_VERSION;
    ci[CI_LABEL_LEN + 2] = (uint8_t)(number >> 8);
    ci[CI_LABEL_LEN + 3] = (uint8_t)number;
}

/* This party's share: g from PRS, CI and sid, then y and Y = y*g. */
static int
share(struct cs_pake *p, uint8_t y_pub[CS_CPACE_POINT_LEN])
{
    uint8_t ci[CI_LEN], g[CS_CPACE_POINT_LEN];
    channel_id(p->number, ci);
    int ret = cs_cpace_generator(p->prs, sizeof(p->prs), ci, sizeof(ci), p->sid, sizeof(p->sid), g);
    if (ret == 0)
        ret = cs_cpace_start(g, p->y, y_pub);
    sodium_memzero(g, sizeof(g));
    return ret;
}

/*
 * ISK, the two confirmation tags and the box key K of a run whose shares
 * are both in p. CS_EMALFORMED when the peer's share is not valid.
 */
static int
keys(struct cs_pake *p, enum cs_cpace_role role, uint8_t ta[CS_CPACE_TAG_LEN],
     uint8_t tb[CS_CPACE_TAG_LEN], uint8_t k[32])
{
    struct cs_cpace_share a = {.y_pub = p->ya}, b = {.y_pub = p->yb};
    uint8_t isk[CS_CPACE_ISK_LEN];
    int ret = cs_cpace_finish(p->y, role, CS_CPACE_IR, p->sid, sizeof(p->sid), &a, &b, isk);
    sodium_memzero(p->y, sizeof(p->y));
    if (ret != 0)
        return CS_EMALFORMED;
    if ((ret = cs_cpace_confirm_tags(p->sid, sizeof(p->sid), isk, &a, &b, ta, tb)) != 0)
        goto out;
    /* RFC 5869 with HMAC-SHA-512, salt sid, IKM ISK; K is the first 32 bytes of T(1). */
    if ((ret = cs__hkdf_sha512(k, 32, p->sid, sizeof(p->sid), isk, sizeof(isk),
                               (const uint8_t *)GRANT_INFO, sizeof(GRANT_INFO) - 1)) != 0)
        goto out;
out:
    sodium_memzero(isk, sizeof(isk));
    return ret;
}

/* ---- the device ---- */

int
cs_pake_dev_start(struct cs_pake *p, const uint8_t code_secret[CS_ENROLL_SECRET_LEN],
                  uint8_t out[CS_PAKE_START_LEN])
{
    memset(p, 0, sizeof(*p));
    if (!cs_enroll_secret_is_code(code_secret, &p->number))
        return CS_EINVAL;
    memcpy(p->prs, code_secret, sizeof(p->prs));
    randombytes_buf(p->sid, CS_PAKE_NONCE_LEN);
    out[0] = CS_PAKE_FRAME;
    out[1] = CS_PAKE_START;
    out[2] = CS_WIRE_VERSION;
    out[3] = (uint8_t)(p->number >> 8);
    out[4] = (uint8_t)p->number;
    memcpy(out + 5, p->sid, CS_PAKE_NONCE_LEN);
    return 0;
}

int
cs_pake_dev_share(struct cs_pake *p, const uint8_t *in, size_t inlen,
                  uint8_t out[CS_PAKE_SHARE_LEN])
{
    if (inlen != CS_PAKE_NONCE_MSG || cs_pake_step(in, inlen) != CS_PAKE_NONCE)
        return CS_EMALFORMED;
    memcpy(p->sid + CS_PAKE_NONCE_LEN, in + 2, CS_PAKE_NONCE_LEN);
    out[0] = CS_PAKE_FRAME;
    out[1] = CS_PAKE_SHARE;
    int ret = share(p, p->ya);
    memcpy(out + 2, p->ya, CS_CPACE_POINT_LEN);
    return ret;
}

/* A length byte and that many bytes of text into a field of cap bytes; -1 if it does not fit. */
static int
text_take(const uint8_t **q, const uint8_t *end, char *field, size_t cap)
{
    if (*q >= end || (size_t)(end - *q) < 1u + **q || **q >= cap)
        return -1;
    size_t n = **q;
    memcpy(field, *q + 1, n);
    field[n] = 0;
    if (memchr(field, 0, n) != NULL)
        return -1;
    *q += 1 + n;
    return 0;
}

int
cs_pake_dev_finish(struct cs_pake *p, const uint8_t *in, size_t inlen, struct cs_enrollment *e,
                   uint8_t out[CS_PAKE_CONFIRM_LEN])
{
    uint8_t ta[CS_CPACE_TAG_LEN], tb[CS_CPACE_TAG_LEN], k[32], *plain = NULL;
    size_t boxlen = inlen > REPLY_HEAD ? inlen - REPLY_HEAD : 0;
    int ret = CS_EMALFORMED;

    memset(e, 0, sizeof(*e));
    if (cs_pake_step(in, inlen) != CS_PAKE_REPLY || inlen > CS_PAKE_REPLY_MAX ||
        boxlen < BOX_PLAIN + 3 + crypto_aead_chacha20poly1305_ietf_ABYTES)
        return CS_EMALFORMED;
    memcpy(p->yb, in + 2, CS_CPACE_POINT_LEN);
    if ((ret = keys(p, CS_CPACE_A, ta, tb, k)) != 0)
        goto out;
    /* Tb first: a wrong one is a party without the code (or a changed reply). */
    if (sodium_memcmp(tb, in + 2 + CS_CPACE_POINT_LEN, CS_CPACE_TAG_LEN) != 0) {
        ret = CS_EDECRYPT;
        goto out;
    }
    size_t plen = boxlen - crypto_aead_chacha20poly1305_ietf_ABYTES;
    static const uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
    if ((plain = sodium_malloc(plen)) == NULL) {
        ret = CS_ENOMEM;
        goto out;
    }
    if (crypto_aead_chacha20poly1305_ietf_decrypt(plain, NULL, NULL, in + REPLY_HEAD, boxlen, NULL,
                                                  0, nonce, k) != 0) {
        ret = CS_EDECRYPT;
        goto out;
    }
    const uint8_t *q = plain + BOX_PLAIN, *end = plain + plen;
    memcpy(e->hub_pk, plain, CS_PK_LEN);
    memcpy(e->secret, plain + CS_PK_LEN, CS_ENROLL_SECRET_LEN);
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | plain[CS_PK_LEN + CS_ENROLL_SECRET_LEN + i];
    e->expires = (int64_t)x;
    if (text_take(&q, end, e->org, sizeof(e->org)) != 0 ||
        text_take(&q, end, e->role, sizeof(e->role)) != 0 ||
        text_take(&q, end, e->name, sizeof(e->name)) != 0 || q != end || e->org[0] == 0 ||
        !cs_enroll_role_ok(e->role)) {
        ret = CS_EMALFORMED;
        goto out;
    }
    out[0] = CS_PAKE_FRAME;
    out[1] = CS_PAKE_CONFIRM;
    memcpy(out + 2, ta, CS_CPACE_TAG_LEN);
    ret = 0;
out:
    if (plain != NULL)
        sodium_free(plain);
    if (ret != 0)
        sodium_memzero(e, sizeof(*e));
    sodium_memzero(ta, sizeof(ta));
    sodium_memzero(tb, sizeof(tb));
    sodium_memzero(k, sizeof(k));
    return ret;
}

/* ---- the hub ---- */

int
cs_pake_hub_start(struct cs_pake *p, const uint8_t *in, size_t inlen, unsigned *version,
                  uint8_t out[CS_PAKE_NONCE_MSG])
{
    memset(p, 0, sizeof(*p));
    if (inlen != CS_PAKE_START_LEN || cs_pake_step(in, inlen) != CS_PAKE_START)
        return CS_EMALFORMED;
    *version = in[2];
    p->number = (uint32_t)in[3] << 8 | in[4];
    if (p->number >= CS_ENROLL_CODE_ID_MAX)
        return CS_EMALFORMED;
    memcpy(p->sid, in + 5, CS_PAKE_NONCE_LEN);
    randombytes_buf(p->sid + CS_PAKE_NONCE_LEN, CS_PAKE_NONCE_LEN);
    out[0] = CS_PAKE_FRAME;
    out[1] = CS_PAKE_NONCE;
    memcpy(out + 2, p->sid + CS_PAKE_NONCE_LEN, CS_PAKE_NONCE_LEN);
    return 0;
}

/* A length byte and the text; -1 if it is too long for the device's field. */
static int
text_put(uint8_t **q, const char *s, size_t cap)
{
    size_t n = strlen(s);
    if (n >= cap || n > 255)
        return -1;
    *(*q)++ = (uint8_t)n;
    memcpy(*q, s, n);
    *q += n;
    return 0;
}

int
cs_pake_hub_reply(struct cs_pake *p, const uint8_t code_secret[CS_ENROLL_SECRET_LEN],
                  const uint8_t *in, size_t inlen, const struct cs_enrollment *e, uint8_t *out,
                  size_t cap, size_t *outlen)
{
    uint8_t tb[CS_CPACE_TAG_LEN], k[32];
    uint8_t plain[BOX_PLAIN + 3 + sizeof(e->org) + sizeof(e->role) + sizeof(e->name)];
    uint32_t number;
    int ret;

    *outlen = 0;
    if (inlen != CS_PAKE_SHARE_LEN || cs_pake_step(in, inlen) != CS_PAKE_SHARE)
        return CS_EMALFORMED;
    if (!cs_enroll_secret_is_code(code_secret, &number) || number != p->number ||
        cap < CS_PAKE_REPLY_MAX)
        return CS_EINVAL;
    uint8_t *q = plain + BOX_PLAIN;
    if (text_put(&q, e->org, sizeof(e->org)) != 0 || text_put(&q, e->role, sizeof(e->role)) != 0 ||
        text_put(&q, e->name, sizeof(e->name)) != 0)
        return CS_EINVAL;
    memcpy(p->ya, in + 2, CS_CPACE_POINT_LEN);
    memcpy(p->prs, code_secret, sizeof(p->prs));
    if ((ret = share(p, p->yb)) != 0 || (ret = keys(p, CS_CPACE_B, p->ta, tb, k)) != 0)
        goto out;
    memcpy(plain, e->hub_pk, CS_PK_LEN);
    memcpy(plain + CS_PK_LEN, e->secret, CS_ENROLL_SECRET_LEN);
    for (int i = 0; i < 8; i++)
        plain[CS_PK_LEN + CS_ENROLL_SECRET_LEN + i] =
            (uint8_t)((uint64_t)e->expires >> (56 - 8 * i));
    out[0] = CS_PAKE_FRAME;
    out[1] = CS_PAKE_REPLY;
    memcpy(out + 2, p->yb, CS_CPACE_POINT_LEN);
    memcpy(out + 2 + CS_CPACE_POINT_LEN, tb, CS_CPACE_TAG_LEN);
    static const uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
    unsigned long long clen;
    crypto_aead_chacha20poly1305_ietf_encrypt(out + REPLY_HEAD, &clen, plain, (size_t)(q - plain),
                                              NULL, 0, NULL, nonce, k);
    *outlen = REPLY_HEAD + (size_t)clen;
    p->replied = 1;
out:
    sodium_memzero(p->prs, sizeof(p->prs));
    sodium_memzero(plain, sizeof(plain));
    sodium_memzero(tb, sizeof(tb));
    sodium_memzero(k, sizeof(k));
    return ret;
}

int
cs_pake_hub_confirm(const struct cs_pake *p, const uint8_t *in, size_t inlen)
{
    if (!p->replied || inlen != CS_PAKE_CONFIRM_LEN || cs_pake_step(in, inlen) != CS_PAKE_CONFIRM)
        return CS_EDECRYPT;
    return sodium_memcmp(p->ta, in + 2, CS_CPACE_TAG_LEN) == 0 ? 0 : CS_EDECRYPT;
}
