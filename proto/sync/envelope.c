/* SPDX-License-Identifier: MIT */
/*
 * Envelope sealing and opening, byte for byte the layout in
 * cellsync/envelope.h. The body key comes from an ephemeral X25519 key and
 * the recipient's key (ECIES style): BLAKE2b-512, keyed with a domain string,
 * over shared secret || ephemeral pk || recipient X25519 pk gives the
 * XChaCha20-Poly1305 key and nonce. The header is the AEAD's additional data,
 * so no header field can be changed without the body failing to decrypt, and
 * the origin's signature over header and ciphertext says who sealed it.
 *
 * Opening trusts nothing before it is checked: sizes first (they must add up
 * to the input length exactly), then the signature, then the recipient, then
 * the AEAD tag, and only then zstd, with the declared plain size as a hard
 * output bound.
 */
#include <string.h>
#include <stdlib.h>

#include <sodium.h>
#include <zstd.h>

#include "cellsync/compress.h"
#include "cellsync/envelope.h"
#include "cellsync/error.h"
#include "internal.h"

#define MAGIC         "CSE"
#define MAGIC_LEN     3
#define OFF_VERSION   3
#define OFF_FLAGS     4
#define OFF_RESERVED  5
#define OFF_ORIGIN    8
#define OFF_RECIPIENT 40
#define OFF_SEQ_FIRST 56
#define OFF_SEQ_LAST  64
#define OFF_PLAIN     72
#define OFF_BODY      76
#define OFF_EPH       80
#define TAG_LEN       crypto_aead_xchacha20poly1305_ietf_ABYTES
#define KEY_LEN       crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define NONCE_LEN     crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
/* Format constant: changing it changes every envelope, so it moves with CS_ENVELOPE_FORMAT. */
#define KDF_DOMAIN "cellsync envelope v1"

_Static_assert(OFF_EPH + crypto_box_PUBLICKEYBYTES == CS_ENVELOPE_HEADER, "header layout");
_Static_assert(TAG_LEN == 16, "CS_ENVELOPE_OVERHEAD assumes a 16-byte tag");
_Static_assert(KEY_LEN + NONCE_LEN <= crypto_generichash_BYTES_MAX, "kdf output");
_Static_assert(sizeof(KDF_DOMAIN) - 1 >= crypto_generichash_KEYBYTES_MIN, "kdf key length");
_Static_assert(CS_ENVELOPE_MAX_PLAIN <= UINT32_MAX, "plain size is a 32-bit field");

/*
 * key || nonce = BLAKE2b-512(key = KDF_DOMAIN, shared || eph_pk || rcpt_x).
 * Both public keys go in so the key is bound to this exchange, not only to
 * the shared point. The nonce can be derived because the key is new for
 * every envelope.
 */
static void
derive_key(const uint8_t shared[32], const uint8_t eph_pk[32], const uint8_t rcpt_x[32],
           uint8_t key[KEY_LEN], uint8_t nonce[NONCE_LEN])
{
    crypto_generichash_state st;
    uint8_t okm[crypto_generichash_BYTES_MAX];

    crypto_generichash_init(&st, (const uint8_t *)KDF_DOMAIN, sizeof(KDF_DOMAIN) - 1, sizeof(okm));
    crypto_generichash_update(&st, shared, 32);
    crypto_generichash_update(&st, eph_pk, 32);
    crypto_generichash_update(&st, rcpt_x, 32);
    crypto_generichash_final(&st, okm, sizeof(okm));
    memcpy(key, okm, KEY_LEN);
    memcpy(nonce, okm + KEY_LEN, NONCE_LEN);
    sodium_memzero(okm, sizeof(okm));
    sodium_memzero(&st, sizeof(st));
}

/*
 * Checks everything that can be checked without a key and fills info. The
 * order matters for the codes: length, magic, version, flags, size limits,
 * then the exact total.
 */
static int
parse_header(const uint8_t *env, size_t len, struct cs_envelope_info *info)
{
    if (len < CS_ENVELOPE_OVERHEAD)
        return CS_ETRUNCATED;
    if (memcmp(env, MAGIC, MAGIC_LEN) != 0)
        return CS_EMALFORMED;
    if (env[OFF_VERSION] != CS_ENVELOPE_FORMAT)
        return CS_EVERSION;
    uint8_t flags = env[OFF_FLAGS];
    if ((flags & ~CS_ENVELOPE_F_ZSTD) != 0)
        return CS_EMALFORMED;
    if ((env[OFF_RESERVED] | env[OFF_RESERVED + 1] | env[OFF_RESERVED + 2]) != 0)
        return CS_EMALFORMED;

    uint32_t plain_size = cs__get_le32(env + OFF_PLAIN);
    uint32_t body_size = cs__get_le32(env + OFF_BODY);
    if (plain_size > CS_ENVELOPE_MAX_PLAIN)
        return CS_ETOOBIG;
    if (flags & CS_ENVELOPE_F_ZSTD) {
        if (body_size > ZSTD_COMPRESSBOUND(CS_ENVELOPE_MAX_PLAIN))
            return CS_ETOOBIG;
        /* The sealer sets the flag only when zstd shrinks the body. */
        if (body_size >= plain_size)
            return CS_EMALFORMED;
    } else if (body_size != plain_size) {
        return CS_EMALFORMED;
    }

    /* body_size is bounded above, so this cannot overflow a size_t. */
    size_t need = CS_ENVELOPE_HEADER + (size_t)body_size + TAG_LEN + CS_SIG_LEN;
    if (len < need)
        return CS_ETRUNCATED;
    if (len > need)
        return CS_ETRAILING;

    /* The same rule the change set decoder applies to the set inside. */
    if (cs__get_le64(env + OFF_SEQ_FIRST) > cs__get_le64(env + OFF_SEQ_LAST))
        return CS_EMALFORMED;

    memcpy(info->origin_pk, env + OFF_ORIGIN, CS_PK_LEN);
    memcpy(info->recipient.b, env + OFF_RECIPIENT, CS_ID_LEN);
    info->seq_first = cs__get_le64(env + OFF_SEQ_FIRST);
    info->seq_last = cs__get_le64(env + OFF_SEQ_LAST);
    info->plain_size = plain_size;
    info->body_size = body_size;
    info->flags = flags;
    return 0;
}

/*
 * Encrypts and signs body (body_len bytes, already compressed when flags say
 * zstd) under a header declaring plain_len. eph_seed NULL: a fresh random
 * ephemeral key, the only safe choice outside tests. No check that the
 * header tells the truth: seal() makes it so, and the fuzzer's hook
 * (cs__envelope_seal_raw) wants it to lie.
 */
static int
seal_body(const struct cs_key *k, const uint8_t recipient_pk[CS_PK_LEN], uint64_t seq_first,
          uint64_t seq_last, uint8_t flags, uint32_t plain_len, const uint8_t *body,
          size_t body_len, const uint8_t *eph_seed, uint8_t **out, size_t *outlen)
{
    int ret = 0;
    uint8_t *env = NULL;
    uint8_t rcpt_x[crypto_scalarmult_BYTES];
    uint8_t eph_pk[crypto_box_PUBLICKEYBYTES];
    uint8_t eph_sk[crypto_box_SECRETKEYBYTES];
    uint8_t shared[crypto_scalarmult_BYTES];
    uint8_t key[KEY_LEN];
    uint8_t nonce[NONCE_LEN];

    if (body_len > ZSTD_COMPRESSBOUND(CS_ENVELOPE_MAX_PLAIN)) {
        ret = CS_ETOOBIG;
        goto out;
    }
    if (crypto_sign_ed25519_pk_to_curve25519(rcpt_x, recipient_pk) != 0) {
        ret = CS_ECRYPTO;
        goto out;
    }
    if (eph_seed != NULL)
        crypto_box_seed_keypair(eph_pk, eph_sk, eph_seed);
    else
        crypto_box_keypair(eph_pk, eph_sk);
    /* Fails for a low-order recipient point, which would make the key public. */
    if (crypto_scalarmult(shared, eph_sk, rcpt_x) != 0) {
        ret = CS_ECRYPTO;
        goto out;
    }
    derive_key(shared, eph_pk, rcpt_x, key, nonce);

    size_t total = CS_ENVELOPE_HEADER + body_len + TAG_LEN + CS_SIG_LEN;
    env = malloc(total);
    if (env == NULL) {
        ret = CS_ENOMEM;
        goto out;
    }
    struct cs_id rcpt_id;
    cs_pk_id(recipient_pk, &rcpt_id);
    memcpy(env, MAGIC, MAGIC_LEN);
    env[OFF_VERSION] = CS_ENVELOPE_FORMAT;
    env[OFF_FLAGS] = flags;
    memset(env + OFF_RESERVED, 0, 3);
    memcpy(env + OFF_ORIGIN, cs_key_pk(k), CS_PK_LEN);
    memcpy(env + OFF_RECIPIENT, rcpt_id.b, CS_ID_LEN);
    cs__put_le64(env + OFF_SEQ_FIRST, seq_first);
    cs__put_le64(env + OFF_SEQ_LAST, seq_last);
    cs__put_le32(env + OFF_PLAIN, plain_len);
    cs__put_le32(env + OFF_BODY, (uint32_t)body_len);
    memcpy(env + OFF_EPH, eph_pk, sizeof(eph_pk));

    crypto_aead_xchacha20poly1305_ietf_encrypt(env + CS_ENVELOPE_HEADER, NULL, body, body_len, env,
                                               CS_ENVELOPE_HEADER, NULL, nonce, key);
    /* The signature covers the header and the ciphertext: everything before it. */
    cs_key_sign(k, env + total - CS_SIG_LEN, env, total - CS_SIG_LEN);

    *out = env;
    *outlen = total;
    env = NULL;
    ret = 0;
out:
    sodium_memzero(eph_sk, sizeof(eph_sk));
    sodium_memzero(shared, sizeof(shared));
    sodium_memzero(key, sizeof(key));
    sodium_memzero(nonce, sizeof(nonce));
    free(env);
    return ret;
}

int
cs__zstd_shrink(const uint8_t *plain, size_t plain_len, int level, uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = plain_len;
    if (plain_len <= 1)
        return 0;
    /*
     * A frame of plain_len - 1 bytes at most: one that does not fit would
     * not shrink the body. Any other zstd failure only costs the saving:
     * the body goes out uncompressed.
     */
    size_t c = 0;
    int ret = cs_zstd_compress(plain, plain_len, level, plain_len - 1, out, &c);
    if (ret == CS_ENOMEM)
        return ret;
    if (ret != 0) {
        *out = NULL;
        return 0;
    }
    *outlen = c;
    return 1;
}

/* eph_seed NULL: a fresh random ephemeral key, the only safe choice outside tests. */
static int
seal(const struct cs_key *k, const uint8_t recipient_pk[CS_PK_LEN], uint64_t seq_first,
     uint64_t seq_last, const uint8_t *plain, size_t plain_len, const uint8_t *eph_seed,
     uint8_t **out, size_t *outlen)
{
    int ret = 0;
    uint8_t *comp = NULL;
    static const uint8_t empty[1];

    *out = NULL;
    *outlen = 0;
    if (plain_len > CS_ENVELOPE_MAX_PLAIN) {
        ret = CS_ETOOBIG;
        goto out;
    }
    if ((plain == NULL && plain_len > 0) || seq_first > seq_last) {
        ret = CS_EINVAL;
        goto out;
    }

    const uint8_t *body = plain != NULL ? plain : empty;
    size_t body_len = plain_len;
    uint8_t flags = 0;
    if ((ret = cs__zstd_shrink(plain, plain_len, CS_ENVELOPE_ZSTD_LEVEL, &comp, &body_len)) < 0)
        goto out;
    if (ret == 1) {
        body = comp;
        flags |= CS_ENVELOPE_F_ZSTD;
    }
    ret = seal_body(k, recipient_pk, seq_first, seq_last, flags, (uint32_t)plain_len, body,
                    body_len, eph_seed, out, outlen);
out:
    free(comp);
    return ret;
}

int
cs_envelope_seal(const struct cs_key *k, const uint8_t recipient_pk[CS_PK_LEN], uint64_t seq_first,
                 uint64_t seq_last, const uint8_t *plain, size_t plain_len, uint8_t **out,
                 size_t *outlen)
{
    return seal(k, recipient_pk, seq_first, seq_last, plain, plain_len, NULL, out, outlen);
}

int
cs__envelope_seal_seeded(const struct cs_key *k, const uint8_t recipient_pk[CS_PK_LEN],
                         uint64_t seq_first, uint64_t seq_last, const uint8_t *plain,
                         size_t plain_len, const uint8_t eph_seed[32], uint8_t **out,
                         size_t *outlen)
{
    return seal(k, recipient_pk, seq_first, seq_last, plain, plain_len, eph_seed, out, outlen);
}

int
cs__envelope_seal_raw(const struct cs_key *k, const uint8_t recipient_pk[CS_PK_LEN],
                      uint64_t seq_first, uint64_t seq_last, uint8_t flags, uint32_t plain_size,
                      const uint8_t *body, size_t body_len, uint8_t **out, size_t *outlen)
{
    static const uint8_t empty[1];
    *out = NULL;
    *outlen = 0;
    return seal_body(k, recipient_pk, seq_first, seq_last, flags, plain_size,
                     body != NULL ? body : empty, body_len, NULL, out, outlen);
}

int
cs_envelope_peek(const uint8_t *env, size_t len, struct cs_envelope_info *info)
{
    struct cs_envelope_info hi;

    int ret = parse_header(env, len, &hi);
    if (info != NULL) {
        if (ret == 0)
            *info = hi;
        else
            memset(info, 0, sizeof(*info));
    }
    return ret;
}

/*
 * Decompresses a body that declares plain_size bytes: the frame must say the
 * same size (cs_zstd_decompress bounds it by that before it allocates).
 */
int
cs__zstd_expand(const uint8_t *body, size_t body_size, size_t plain_size, uint8_t **out)
{
    size_t n = 0;
    int ret = cs_zstd_decompress(body, body_size, plain_size, out, &n);
    if (ret == 0 && n != plain_size) {
        free(*out);
        *out = NULL;
        ret = CS_ECOMPRESS;
    }
    return ret;
}

int
cs_envelope_open(const struct cs_key *k, const uint8_t *env, size_t len, uint8_t **plain,
                 size_t *plain_len, struct cs_envelope_info *info)
{
    int ret = 0;
    uint8_t *body = NULL;
    uint8_t rcpt_x[crypto_scalarmult_BYTES];
    uint8_t shared[crypto_scalarmult_BYTES];
    uint8_t key[KEY_LEN];
    uint8_t nonce[NONCE_LEN];
    struct cs_envelope_info hi;

    *plain = NULL;
    *plain_len = 0;
    if (info != NULL)
        memset(info, 0, sizeof(*info));

    ret = parse_header(env, len, &hi);
    if (ret < 0)
        goto out;
    size_t signed_len = len - CS_SIG_LEN;
    ret = cs_sig_verify(hi.origin_pk, env + signed_len, env, signed_len);
    if (ret < 0)
        goto out;

    struct cs_id me;
    cs_key_id(k, &me);
    if (memcmp(me.b, hi.recipient.b, CS_ID_LEN) != 0) {
        ret = CS_ERECIPIENT;
        goto out;
    }
    const uint8_t *own_x = cs__key_x25519_pk(k);
    if (own_x == NULL) {
        ret = CS_ECRYPTO;
        goto out;
    }
    memcpy(rcpt_x, own_x, sizeof(rcpt_x));
    /* A low-order ephemeral key is the sender's doing: no key could open it. */
    if (cs__key_dh_x25519(k, env + OFF_EPH, shared) < 0) {
        ret = CS_EDECRYPT;
        goto out;
    }
    derive_key(shared, env + OFF_EPH, rcpt_x, key, nonce);

    /* One spare byte so an empty body is still a real allocation. */
    body = malloc((size_t)hi.body_size + 1);
    if (body == NULL) {
        ret = CS_ENOMEM;
        goto out;
    }
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(body, NULL, NULL, env + CS_ENVELOPE_HEADER,
                                                   (size_t)hi.body_size + TAG_LEN, env,
                                                   CS_ENVELOPE_HEADER, nonce, key) != 0) {
        ret = CS_EDECRYPT;
        goto out;
    }

    if (hi.flags & CS_ENVELOPE_F_ZSTD) {
        ret = cs__zstd_expand(body, hi.body_size, hi.plain_size, plain);
        if (ret < 0)
            goto out;
    } else {
        *plain = body;
        body = NULL;
    }
    *plain_len = hi.plain_size;
    if (info != NULL)
        *info = hi;
    ret = 0;
out:
    sodium_memzero(shared, sizeof(shared));
    sodium_memzero(key, sizeof(key));
    sodium_memzero(nonce, sizeof(nonce));
    free(body);
    return ret;
}
