/* SPDX-License-Identifier: MIT */
/*
 * CPace, CPACE-RISTR255-SHA512, exactly as draft-irtf-cfrg-cpace writes it,
 * on libsodium's ristretto255 and SHA-512. Every hash input is fed to a
 * streaming SHA-512 piece by piece (prepend_len of each field, then the
 * field), so nothing is allocated and no field length is bounded here; the
 * octet strings hashed are byte for byte the draft's, which the vectors of
 * its appendix "Test vector for CPace using group ristretto255 and hash
 * SHA-512" prove (tests/unit/test_cpace.c).
 */
#include <string.h>

#include <sodium.h>

#include "cellsync/cpace.h"
#include "cellsync/error.h"
#include "internal.h"

/* G_Ristretto255.DSI, section "CPace group objects G_Ristretto255 ...". */
#define DSI     "CPaceRistretto255"
#define DSI_LEN (sizeof(DSI) - 1)
/* The ISK label is G.DSI || b"_ISK" (section "CPace protocol instructions"). */
#define DSI_ISK       DSI "_ISK"
#define DSI_ISK_LEN   (sizeof(DSI_ISK) - 1)
#define MAC_LABEL     "CPaceMac"
#define MAC_LABEL_LEN (sizeof(MAC_LABEL) - 1)
#define SID_OUT       "CPaceSidOutput"
#define SID_OUT_LEN   (sizeof(SID_OUT) - 1)
/* H.s_in_bytes: SHA-512 compresses 128-byte blocks. */
#define S_IN_BYTES 128
/* LEB128 of a 64-bit length: 7 bits a byte. */
#define LEB_MAX 10

size_t
cs__cpace_leb128(size_t len, uint8_t out[LEB_MAX])
{
    /* Section "Notation for string operations": 7 bits per byte, least
     * significant first, bit 7 set while more bits remain. */
    size_t n = 0;
    do {
        uint8_t b = (uint8_t)(len & 0x7f);
        len >>= 7;
        out[n++] = len ? (uint8_t)(b | 0x80) : b;
    } while (len);
    return n;
}

/* prepend_len(p) into the hash: the LEB128 length, then the bytes. */
static void
lv_update(crypto_hash_sha512_state *st, const uint8_t *p, size_t n)
{
    uint8_t hdr[LEB_MAX];
    crypto_hash_sha512_update(st, hdr, cs__cpace_leb128(n, hdr));
    if (n)
        crypto_hash_sha512_update(st, p, n);
}

int
cs_cpace_generator(const uint8_t *prs, size_t prslen, const uint8_t *ci, size_t cilen,
                   const uint8_t *sid, size_t sidlen, uint8_t g[CS_CPACE_POINT_LEN])
{
    static const uint8_t zeros[S_IN_BYTES];
    if (!g || (!prs && prslen) || (!ci && cilen) || (!sid && sidlen))
        return CS_EINVAL;

    /* Section "Common function for computing generators":
     * len_zpad = MAX(0, s_in_bytes - len(prepend_len(PRS)) - len(prepend_len(DSI)) - 1),
     * so DSI, PRS and the padding fill SHA-512's first block whatever the
     * password's length (the "- 1" is the padding field's own length byte). */
    uint8_t hdr[LEB_MAX];
    size_t used = 1 + cs__cpace_leb128(DSI_LEN, hdr) + DSI_LEN;
    size_t zpad = 0;
    if (prslen < S_IN_BYTES) {
        used += cs__cpace_leb128(prslen, hdr) + prslen;
        zpad = used < S_IN_BYTES ? S_IN_BYTES - used : 0;
    }

    /* generator_string = lv_cat(DSI, PRS, zero_bytes(len_zpad), CI, sid). */
    crypto_hash_sha512_state st;
    crypto_hash_sha512_init(&st);
    lv_update(&st, (const uint8_t *)DSI, DSI_LEN);
    lv_update(&st, prs, prslen);
    lv_update(&st, zeros, zpad);
    lv_update(&st, ci, cilen);
    lv_update(&st, sid, sidlen);

    /* gen_str_hash = H.hash(gen_str, 2 * field_size_bytes) = all 64 bytes of
     * SHA-512, then the element derivation of RFC 9496 (libsodium's
     * from_hash); g is kept in its canonical encoding. */
    uint8_t h[crypto_hash_sha512_BYTES];
    crypto_hash_sha512_final(&st, h);
    crypto_core_ristretto255_from_hash(g, h);
    sodium_memzero(h, sizeof(h));
    sodium_memzero(&st, sizeof(st));
    return 0;
}

int
cs__cpace_start_scalar(const uint8_t g[CS_CPACE_POINT_LEN], const uint8_t y[CS_CPACE_SCALAR_LEN],
                       uint8_t y_pub[CS_CPACE_POINT_LEN])
{
    if (!g || !y || !y_pub)
        return CS_EINVAL;
    /* G.scalar_mult(y, g) = encode(y * decode(g)). libsodium refuses an
     * undecodable g and an identity result; neither comes out of
     * cs_cpace_generator() for a nonzero y. */
    if (crypto_scalarmult_ristretto255(y_pub, y, g) != 0) {
        sodium_memzero(y_pub, CS_CPACE_POINT_LEN);
        return CS_ECRYPTO;
    }
    return 0;
}

int
cs_cpace_start(const uint8_t g[CS_CPACE_POINT_LEN], uint8_t y[CS_CPACE_SCALAR_LEN],
               uint8_t y_pub[CS_CPACE_POINT_LEN])
{
    if (!g || !y || !y_pub)
        return CS_EINVAL;
    /* Section "CPace group objects G_Ristretto255 ...": sample_scalar() may be
     * uniform sampling between 1 and group_order - 1, which is what libsodium's
     * scalar_random does (rejection sampling, zero excluded). */
    crypto_core_ristretto255_scalar_random(y);
    int ret = cs__cpace_start_scalar(g, y, y_pub);
    if (ret)
        sodium_memzero(y, CS_CPACE_SCALAR_LEN);
    return ret;
}

int
cs__cpace_scalar_mult_vfy(const uint8_t y[CS_CPACE_SCALAR_LEN], const uint8_t x[CS_CPACE_POINT_LEN],
                          uint8_t out[CS_CPACE_POINT_LEN])
{
    /* G.scalar_mult_vfy(y, X): G.I (all zero) when decode(X) fails, else
     * encode(y * decode(X)); the callers MUST abort on G.I. RFC 9496 4.3.1
     * decode refuses s >= p and a negative s, which libsodium checks, and
     * any s with bit 255 set, which libsodium 1.0.18 ignores instead (it
     * masks the bit: two encodings per element), so that bit is checked here.
     * libsodium refuses an identity product itself. */
    if ((x[31] & 0x80) || !crypto_core_ristretto255_is_valid_point(x) ||
        crypto_scalarmult_ristretto255(out, y, x) != 0) {
        sodium_memzero(out, CS_CPACE_POINT_LEN);
        return CS_EMALFORMED;
    }
    return 0;
}

/* lv_cat(Y, AD) of one share, read as one octet string without building it. */
struct lv_pair {
    const uint8_t *part[4];
    size_t len[4];
    uint8_t hdr_y[LEB_MAX];
    uint8_t hdr_ad[LEB_MAX];
};

static void
lv_pair_init(struct lv_pair *p, const struct cs_cpace_share *s)
{
    p->part[0] = p->hdr_y;
    p->len[0] = cs__cpace_leb128(CS_CPACE_POINT_LEN, p->hdr_y);
    p->part[1] = s->y_pub;
    p->len[1] = CS_CPACE_POINT_LEN;
    p->part[2] = p->hdr_ad;
    p->len[2] = cs__cpace_leb128(s->adlen, p->hdr_ad);
    p->part[3] = s->ad;
    p->len[3] = s->adlen;
}

static void
lv_pair_update(crypto_hash_sha512_state *st, const struct lv_pair *p)
{
    for (int i = 0; i < 4; i++)
        if (p->len[i])
            crypto_hash_sha512_update(st, p->part[i], p->len[i]);
}

/* Appendix "Definitions for lexiographical ordering": true when p > q, the
 * longer string winning when one is a prefix of the other. Public data: a
 * plain byte walk over the four parts of each. */
static int
lv_pair_larger(const struct lv_pair *p, const struct lv_pair *q)
{
    int pi = 0, qi = 0;
    size_t po = 0, qo = 0;
    for (;;) {
        while (pi < 4 && po == p->len[pi]) {
            pi++;
            po = 0;
        }
        while (qi < 4 && qo == q->len[qi]) {
            qi++;
            qo = 0;
        }
        if (pi == 4 || qi == 4)
            return pi < 4; /* p still has bytes: p is the longer */
        uint8_t pb = p->part[pi][po++], qb = q->part[qi][qo++];
        if (pb != qb)
            return pb > qb;
    }
}

/* transcript(Ya,ADa,Yb,ADb) of section "Notation for string operations". */
static void
transcript_update(crypto_hash_sha512_state *st, enum cs_cpace_mode mode,
                  const struct cs_cpace_share *a, const struct cs_cpace_share *b)
{
    struct lv_pair pa, pb;
    lv_pair_init(&pa, a);
    lv_pair_init(&pb, b);
    if (mode == CS_CPACE_IR) {
        /* transcript_ir = lv_cat(Ya,ADa) || lv_cat(Yb,ADb) */
        lv_pair_update(st, &pa);
        lv_pair_update(st, &pb);
        return;
    }
    /* transcript_oc = o_cat(lv_cat(Ya,ADa), lv_cat(Yb,ADb)) = b"oc" || the
     * larger || the other, the same bytes whoever calls itself A. */
    crypto_hash_sha512_update(st, (const uint8_t *)"oc", 2);
    int a_first = lv_pair_larger(&pa, &pb);
    lv_pair_update(st, a_first ? &pa : &pb);
    lv_pair_update(st, a_first ? &pb : &pa);
}

static int
share_ok(const struct cs_cpace_share *s)
{
    return s && s->y_pub && (s->ad || !s->adlen);
}

static int
mode_ok(enum cs_cpace_mode mode)
{
    return mode == CS_CPACE_IR || mode == CS_CPACE_OC;
}

int
cs_cpace_finish(const uint8_t y[CS_CPACE_SCALAR_LEN], enum cs_cpace_role role,
                enum cs_cpace_mode mode, const uint8_t *sid, size_t sidlen,
                const struct cs_cpace_share *a, const struct cs_cpace_share *b,
                uint8_t isk[CS_CPACE_ISK_LEN])
{
    int ret = CS_EINVAL;
    uint8_t k[CS_CPACE_POINT_LEN];
    crypto_hash_sha512_state st;
    if (!isk)
        return CS_EINVAL;
    if (!y || !mode_ok(mode) || (role != CS_CPACE_A && role != CS_CPACE_B) || (!sid && sidlen) ||
        !share_ok(a) || !share_ok(b))
        goto out;

    /* K = scalar_mult_vfy(y, the other party's share); abort on G.I. */
    ret = cs__cpace_scalar_mult_vfy(y, role == CS_CPACE_A ? b->y_pub : a->y_pub, k);
    if (ret)
        goto out;

    /* ISK = H.hash(lv_cat(G.DSI || b"_ISK", sid, K) || transcript(Ya,ADa,Yb,ADb)) */
    crypto_hash_sha512_init(&st);
    lv_update(&st, (const uint8_t *)DSI_ISK, DSI_ISK_LEN);
    lv_update(&st, sid, sidlen);
    lv_update(&st, k, sizeof(k));
    transcript_update(&st, mode, a, b);
    crypto_hash_sha512_final(&st, isk);
    ret = 0;
out:
    /* K would allow an offline dictionary attack: it never leaves. */
    sodium_memzero(k, sizeof(k));
    sodium_memzero(&st, sizeof(st));
    if (ret)
        sodium_memzero(isk, CS_CPACE_ISK_LEN);
    return ret;
}

int
cs_cpace_sid_output(enum cs_cpace_mode mode, const struct cs_cpace_share *a,
                    const struct cs_cpace_share *b, uint8_t out[CS_CPACE_SID_OUTPUT_LEN])
{
    if (!out || !mode_ok(mode) || !share_ok(a) || !share_ok(b))
        return CS_EINVAL;
    /* sid_output = H.hash(b"CPaceSidOutput" || transcript(Ya,ADa,Yb,ADb)):
     * no length prefix on the label, as the draft's vectors confirm. */
    crypto_hash_sha512_state st;
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, (const uint8_t *)SID_OUT, SID_OUT_LEN);
    transcript_update(&st, mode, a, b);
    crypto_hash_sha512_final(&st, out);
    return 0;
}

/* Tag = MAC(mac_key, lv_cat(Y, AD)) with HMAC-SHA-512. */
static void
confirm_tag(const uint8_t mac_key[crypto_hash_sha512_BYTES], const struct cs_cpace_share *s,
            uint8_t tag[CS_CPACE_TAG_LEN])
{
    crypto_auth_hmacsha512_state st;
    struct lv_pair p;
    lv_pair_init(&p, s);
    crypto_auth_hmacsha512_init(&st, mac_key, crypto_hash_sha512_BYTES);
    for (int i = 0; i < 4; i++)
        if (p.len[i])
            crypto_auth_hmacsha512_update(&st, p.part[i], p.len[i]);
    crypto_auth_hmacsha512_final(&st, tag);
    sodium_memzero(&st, sizeof(st));
}

int
cs_cpace_confirm_tags(const uint8_t *sid, size_t sidlen, const uint8_t isk[CS_CPACE_ISK_LEN],
                      const struct cs_cpace_share *a, const struct cs_cpace_share *b,
                      uint8_t ta[CS_CPACE_TAG_LEN], uint8_t tb[CS_CPACE_TAG_LEN])
{
    uint8_t mac_key[crypto_hash_sha512_BYTES];
    crypto_hash_sha512_state st;
    if (!isk || !ta || !tb || (!sid && sidlen) || !share_ok(a) || !share_ok(b))
        return CS_EINVAL;
    /* Section "Key confirmation": mac_key = H.hash(b"CPaceMac" || sid || ISK), plain
     * concatenation; Ta over A's message, Tb over B's. */
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, (const uint8_t *)MAC_LABEL, MAC_LABEL_LEN);
    if (sidlen)
        crypto_hash_sha512_update(&st, sid, sidlen);
    crypto_hash_sha512_update(&st, isk, CS_CPACE_ISK_LEN);
    crypto_hash_sha512_final(&st, mac_key);
    confirm_tag(mac_key, a, ta);
    confirm_tag(mac_key, b, tb);
    sodium_memzero(mac_key, sizeof(mac_key));
    sodium_memzero(&st, sizeof(st));
    return 0;
}
