/* SPDX-License-Identifier: MIT */
/*
 * Noise_IK_25519_ChaChaPoly_BLAKE2b (and IKpsk2) as the Noise Protocol
 * Framework, revision 34, specifies it; see cellsync/noise.h. Section numbers
 * in the comments are the specification's. The functions follow the
 * specification's pseudo-code one for one so that a reader can check them
 * side by side; the cacophony vectors in tests/unit/test_noise.c prove the
 * bytes.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/noise.h"
#include "internal.h"

#define BLOCKLEN 128 /* BLAKE2b's block, HMAC's B (sections 4.3, 12.8) */

#define NAME_IK     "Noise_IK_25519_ChaChaPoly_BLAKE2b"
#define NAME_IKPSK2 "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2b"

static int
fail(char *err, size_t errlen, int code, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
    return code;
}

/* ---- Hash functions (sections 4.3, 12.8) ---- */

/*
 * HMAC-HASH(key, data1 || data2) as RFC 2104 with B = BLOCKLEN = 128. Noise
 * requires HMAC here: BLAKE2b's own keyed mode is a different function and
 * would not match any other Noise implementation.
 */
static void
hmac(const uint8_t *key, size_t keylen, const uint8_t *d1, size_t n1, const uint8_t *d2, size_t n2,
     uint8_t out[CS_NOISE_HASHLEN])
{
    uint8_t k[BLOCKLEN] = {0}, pad[BLOCKLEN], inner[CS_NOISE_HASHLEN];
    crypto_generichash_blake2b_state st;

    /* RFC 2104: a key longer than B is hashed first; Noise keys are HASHLEN. */
    if (keylen > BLOCKLEN)
        crypto_generichash_blake2b(k, CS_NOISE_HASHLEN, key, keylen, NULL, 0);
    else
        memcpy(k, key, keylen);

    for (size_t i = 0; i < BLOCKLEN; i++)
        pad[i] = k[i] ^ 0x36;
    crypto_generichash_blake2b_init(&st, NULL, 0, CS_NOISE_HASHLEN);
    crypto_generichash_blake2b_update(&st, pad, BLOCKLEN);
    if (n1)
        crypto_generichash_blake2b_update(&st, d1, n1);
    if (n2)
        crypto_generichash_blake2b_update(&st, d2, n2);
    crypto_generichash_blake2b_final(&st, inner, CS_NOISE_HASHLEN);

    for (size_t i = 0; i < BLOCKLEN; i++)
        pad[i] = k[i] ^ 0x5c;
    crypto_generichash_blake2b_init(&st, NULL, 0, CS_NOISE_HASHLEN);
    crypto_generichash_blake2b_update(&st, pad, BLOCKLEN);
    crypto_generichash_blake2b_update(&st, inner, CS_NOISE_HASHLEN);
    crypto_generichash_blake2b_final(&st, out, CS_NOISE_HASHLEN);

    sodium_memzero(k, sizeof(k));
    sodium_memzero(pad, sizeof(pad));
    sodium_memzero(inner, sizeof(inner));
    sodium_memzero(&st, sizeof(st));
}

/*
 * HKDF(chaining_key, input_key_material, num_outputs), section 4.3:
 * temp_key = HMAC(ck, ikm); output1 = HMAC(temp_key, 0x01);
 * output_i = HMAC(temp_key, output_{i-1} || i). o3 NULL means two outputs.
 */
static void
hkdf(const uint8_t ck[CS_NOISE_HASHLEN], const uint8_t *ikm, size_t ikmlen,
     uint8_t o1[CS_NOISE_HASHLEN], uint8_t o2[CS_NOISE_HASHLEN], uint8_t *o3)
{
    uint8_t temp[CS_NOISE_HASHLEN];
    const uint8_t one = 0x01, two = 0x02, three = 0x03;

    hmac(ck, CS_NOISE_HASHLEN, ikm, ikmlen, NULL, 0, temp);
    hmac(temp, sizeof(temp), &one, 1, NULL, 0, o1);
    hmac(temp, sizeof(temp), o1, CS_NOISE_HASHLEN, &two, 1, o2);
    if (o3)
        hmac(temp, sizeof(temp), o2, CS_NOISE_HASHLEN, &three, 1, o3);
    sodium_memzero(temp, sizeof(temp));
}

/* ---- CipherState (section 5.1) with ChaChaPoly (section 12.3) ---- */

void
cs_noise_cipher_init(struct cs_noise_cipher *c, const uint8_t *key)
{
    sodium_memzero(c, sizeof(*c));
    if (key) {
        memcpy(c->k, key, CS_NOISE_KEYLEN);
        c->has_key = 1;
    }
    c->n = 0;
}

int
cs_noise_cipher_has_key(const struct cs_noise_cipher *c)
{
    return c->has_key;
}

void
cs_noise_cipher_set_nonce(struct cs_noise_cipher *c, uint64_t n)
{
    c->n = n;
}

/* Section 12.3: 32 bits of zeros followed by the little-endian 64-bit n. */
static void
chachapoly_nonce(uint64_t n, uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES])
{
    memset(nonce, 0, 4);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

int
cs_noise_cipher_encrypt(struct cs_noise_cipher *c, const uint8_t *ad, size_t adlen,
                        const uint8_t *pt, size_t ptlen, uint8_t *out, size_t outcap,
                        size_t *outlen)
{
    if (!c->has_key) {
        /* No key: EncryptWithAd returns the plaintext (section 5.1). */
        if (outcap < ptlen)
            return CS_EINVAL;
        if (ptlen && out != pt)
            memmove(out, pt, ptlen);
        *outlen = ptlen;
        return 0;
    }
    /* n = 2^64-1 is reserved: the counter is spent (section 5.1). */
    if (c->n == UINT64_MAX)
        return CS_ETOOBIG;
    if (ptlen > SIZE_MAX - CS_NOISE_TAGLEN || outcap < ptlen + CS_NOISE_TAGLEN)
        return CS_EINVAL;
    uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
    chachapoly_nonce(c->n, nonce);
    unsigned long long clen = 0;
    if (crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, pt, ptlen, ad, adlen, NULL, nonce,
                                                  c->k) != 0)
        return CS_ECRYPTO;
    c->n++;
    *outlen = (size_t)clen;
    return 0;
}

int
cs_noise_cipher_decrypt(struct cs_noise_cipher *c, const uint8_t *ad, size_t adlen,
                        const uint8_t *ct, size_t ctlen, uint8_t *out, size_t outcap,
                        size_t *outlen)
{
    if (!c->has_key) {
        if (outcap < ctlen)
            return CS_EINVAL;
        if (ctlen && out != ct)
            memmove(out, ct, ctlen);
        *outlen = ctlen;
        return 0;
    }
    if (c->n == UINT64_MAX)
        return CS_ETOOBIG;
    if (ctlen < CS_NOISE_TAGLEN)
        return CS_ETRUNCATED;
    if (outcap < ctlen - CS_NOISE_TAGLEN)
        return CS_EINVAL;
    uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
    chachapoly_nonce(c->n, nonce);
    unsigned long long mlen = 0;
    if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &mlen, NULL, ct, ctlen, ad, adlen, nonce,
                                                  c->k) != 0) {
        /* The counter does not move on failure (section 5.1). */
        if (ctlen > CS_NOISE_TAGLEN)
            sodium_memzero(out, ctlen - CS_NOISE_TAGLEN);
        return CS_EDECRYPT;
    }
    c->n++;
    *outlen = (size_t)mlen;
    return 0;
}

int
cs_noise_cipher_take_key(struct cs_noise_cipher *c, uint8_t key[CS_NOISE_KEYLEN])
{
    if (!c->has_key)
        return CS_EINVAL;
    memcpy(key, c->k, CS_NOISE_KEYLEN);
    cs_noise_cipher_release(c);
    return 0;
}

void
cs_noise_cipher_release(struct cs_noise_cipher *c)
{
    if (c)
        sodium_memzero(c, sizeof(*c));
}

/* ---- SymmetricState (section 5.2) ---- */

static void
initialize_symmetric(struct cs_noise_symmetric *ss, const char *name)
{
    size_t len = strlen(name);

    /* A name of at most HASHLEN bytes is padded with zeros, a longer one hashed. */
    memset(ss->h, 0, sizeof(ss->h));
    if (len <= CS_NOISE_HASHLEN)
        memcpy(ss->h, name, len);
    else
        crypto_generichash_blake2b(ss->h, CS_NOISE_HASHLEN, (const uint8_t *)name, len, NULL, 0);
    memcpy(ss->ck, ss->h, CS_NOISE_HASHLEN);
    cs_noise_cipher_init(&ss->c, NULL);
}

static void
mix_key(struct cs_noise_symmetric *ss, const uint8_t *ikm, size_t ikmlen)
{
    uint8_t temp_k[CS_NOISE_HASHLEN];

    hkdf(ss->ck, ikm, ikmlen, ss->ck, temp_k, NULL);
    /* HASHLEN is 64: temp_k is truncated to its first 32 bytes. */
    cs_noise_cipher_init(&ss->c, temp_k);
    sodium_memzero(temp_k, sizeof(temp_k));
}

static void
mix_hash(struct cs_noise_symmetric *ss, const uint8_t *data, size_t len)
{
    crypto_generichash_blake2b_state st;

    crypto_generichash_blake2b_init(&st, NULL, 0, CS_NOISE_HASHLEN);
    crypto_generichash_blake2b_update(&st, ss->h, CS_NOISE_HASHLEN);
    if (len)
        crypto_generichash_blake2b_update(&st, data, len);
    crypto_generichash_blake2b_final(&st, ss->h, CS_NOISE_HASHLEN);
}

/* Used by the "psk" token only (section 9.2). */
static void
mix_key_and_hash(struct cs_noise_symmetric *ss, const uint8_t *ikm, size_t ikmlen)
{
    uint8_t temp_h[CS_NOISE_HASHLEN], temp_k[CS_NOISE_HASHLEN];

    hkdf(ss->ck, ikm, ikmlen, ss->ck, temp_h, temp_k);
    mix_hash(ss, temp_h, sizeof(temp_h));
    cs_noise_cipher_init(&ss->c, temp_k);
    sodium_memzero(temp_h, sizeof(temp_h));
    sodium_memzero(temp_k, sizeof(temp_k));
}

/* EncryptAndHash: the ciphertext goes to out and into h; AD is h. */
static int
encrypt_and_hash(struct cs_noise_symmetric *ss, const uint8_t *pt, size_t ptlen, uint8_t *out,
                 size_t outcap, size_t *outlen)
{
    int rc =
        cs_noise_cipher_encrypt(&ss->c, ss->h, CS_NOISE_HASHLEN, pt, ptlen, out, outcap, outlen);
    if (rc == 0)
        mix_hash(ss, out, *outlen);
    return rc;
}

static int
decrypt_and_hash(struct cs_noise_symmetric *ss, const uint8_t *ct, size_t ctlen, uint8_t *out,
                 size_t outcap, size_t *outlen)
{
    int rc =
        cs_noise_cipher_decrypt(&ss->c, ss->h, CS_NOISE_HASHLEN, ct, ctlen, out, outcap, outlen);
    if (rc == 0)
        mix_hash(ss, ct, ctlen);
    return rc;
}

/* Split(): two CipherStates from HKDF(ck, zero-length input). */
static void
split(struct cs_noise_symmetric *ss, struct cs_noise_cipher *c1, struct cs_noise_cipher *c2)
{
    uint8_t k1[CS_NOISE_HASHLEN], k2[CS_NOISE_HASHLEN];

    hkdf(ss->ck, NULL, 0, k1, k2, NULL);
    cs_noise_cipher_init(c1, k1); /* truncated to 32 bytes */
    cs_noise_cipher_init(c2, k2);
    sodium_memzero(k1, sizeof(k1));
    sodium_memzero(k2, sizeof(k2));
}

/* ---- HandshakeState (section 5.3) for IK / IKpsk2 ---- */

/*
 * DH(key_pair, public_key) with X25519 (section 12.1). libsodium's
 * crypto_scalarmult refuses a result of all zeros (a low-order public key),
 * which section 12.1 allows an implementation to signal as an error.
 */
static int
dh(const uint8_t sk[CS_NOISE_DHLEN], const uint8_t pk[CS_NOISE_DHLEN], uint8_t out[CS_NOISE_DHLEN])
{
    if (crypto_scalarmult(out, sk, pk) != 0) {
        sodium_memzero(out, CS_NOISE_DHLEN);
        return CS_EMALFORMED;
    }
    return 0;
}

/* MixKey(DH(sk, pk)), the DH output wiped at once. */
static int
mix_dh(struct cs_noise_handshake *hs, const uint8_t *sk, const uint8_t *pk)
{
    uint8_t shared[CS_NOISE_DHLEN];
    int rc = dh(sk, pk, shared);
    if (rc == 0)
        mix_key(&hs->ss, shared, sizeof(shared));
    sodium_memzero(shared, sizeof(shared));
    return rc;
}

/* The "e" token's key mixing: MixHash(e), and MixKey(e) in a psk handshake (section 9.2). */
static void
mix_e(struct cs_noise_handshake *hs, const uint8_t e_pk[CS_NOISE_DHLEN])
{
    mix_hash(&hs->ss, e_pk, CS_NOISE_DHLEN);
    if (hs->has_psk)
        mix_key(&hs->ss, e_pk, CS_NOISE_DHLEN);
}

/* A failed handshake is deleted (section 5.3): nothing of it may be used again. */
static int
abort_hs(struct cs_noise_handshake *hs, int rc)
{
    sodium_memzero(hs, sizeof(*hs));
    hs->failed = 1;
    return rc;
}

int
cs_noise_handshake_init(struct cs_noise_handshake *hs, enum cs_noise_role role,
                        const uint8_t *prologue, size_t prologue_len,
                        const uint8_t s_sk[CS_NOISE_DHLEN], const uint8_t *rs, const uint8_t *psk,
                        char *err, size_t errlen)
{
    sodium_memzero(hs, sizeof(*hs));
    if ((role != CS_NOISE_INITIATOR && role != CS_NOISE_RESPONDER) || !s_sk ||
        (prologue_len && !prologue))
        return abort_hs(hs, fail(err, errlen, CS_EINVAL, "invalid noise handshake arguments"));
    /* IK's initiator knows the responder's static key; the responder learns the other. */
    if ((role == CS_NOISE_INITIATOR) != (rs != NULL))
        return abort_hs(hs, fail(err, errlen, CS_EINVAL,
                                 "the initiator, and only it, needs the responder's static key"));
    if (sodium_init() < 0)
        return abort_hs(hs, fail(err, errlen, CS_ECRYPTO, "cannot initialise libsodium"));

    hs->role = role;
    memcpy(hs->s_sk, s_sk, CS_NOISE_DHLEN);
    crypto_scalarmult_base(hs->s_pk, hs->s_sk);
    if (rs)
        memcpy(hs->rs, rs, CS_NOISE_DHLEN);
    if (psk) {
        memcpy(hs->psk, psk, CS_NOISE_PSKLEN);
        hs->has_psk = 1;
    }

    initialize_symmetric(&hs->ss, psk ? NAME_IKPSK2 : NAME_IK);
    mix_hash(&hs->ss, prologue, prologue_len);
    /* Pre-message "<- s": the responder's static public key. */
    mix_hash(&hs->ss, role == CS_NOISE_INITIATOR ? hs->rs : hs->s_pk, CS_NOISE_DHLEN);
    return 0;
}

int
cs__noise_handshake_set_ephemeral(struct cs_noise_handshake *hs, const uint8_t e_sk[CS_NOISE_DHLEN])
{
    if (hs->failed || hs->split || hs->has_e)
        return CS_EINVAL;
    memcpy(hs->e_sk, e_sk, CS_NOISE_DHLEN);
    crypto_scalarmult_base(hs->e_pk, hs->e_sk);
    hs->has_e = 1;
    return 0;
}

static int
our_turn(const struct cs_noise_handshake *hs, int writing)
{
    /* Message 0 goes initiator -> responder, message 1 back. */
    if (hs->failed || hs->split || hs->role == 0 || hs->step > 1)
        return 0;
    int initiator_sends = hs->step == 0;
    return writing == ((hs->role == CS_NOISE_INITIATOR) == initiator_sends);
}

/* Token "e" when writing: a fresh key pair unless a test set one. */
static void
write_e(struct cs_noise_handshake *hs, uint8_t *out)
{
    if (!hs->has_e)
        crypto_box_keypair(hs->e_pk, hs->e_sk);
    hs->has_e = 0;
    memcpy(out, hs->e_pk, CS_NOISE_DHLEN);
    mix_e(hs, hs->e_pk);
}

int
cs_noise_handshake_write(struct cs_noise_handshake *hs, const uint8_t *payload, size_t payload_len,
                         uint8_t *out, size_t outcap, size_t *outlen, char *err, size_t errlen)
{
    if (!our_turn(hs, 1))
        return fail(err, errlen, CS_EINVAL, "noise handshake: not ours to write now");
    size_t over = hs->step == 0 ? CS_NOISE_IK_MSG1_OVERHEAD : CS_NOISE_IK_MSG2_OVERHEAD;
    if (payload_len > CS_NOISE_MAXMSG - over)
        return abort_hs(hs, fail(err, errlen, CS_ETOOBIG, "noise handshake payload is too long"));
    if (outcap < payload_len + over || (payload_len && !payload))
        return abort_hs(hs, fail(err, errlen, CS_EINVAL, "noise handshake buffer is too small"));

    size_t off = 0, n = 0;
    int rc;
    if (hs->step == 0) {
        /* -> e, es, s, ss */
        write_e(hs, out);
        off += CS_NOISE_DHLEN;
        if ((rc = mix_dh(hs, hs->e_sk, hs->rs)) != 0)
            return abort_hs(hs, fail(err, errlen, rc, "responder static key is a low-order point"));
        if ((rc = encrypt_and_hash(&hs->ss, hs->s_pk, CS_NOISE_DHLEN, out + off, outcap - off,
                                   &n)) != 0)
            return abort_hs(hs, fail(err, errlen, rc, "cannot encrypt the static key"));
        off += n;
        if ((rc = mix_dh(hs, hs->s_sk, hs->rs)) != 0)
            return abort_hs(hs, fail(err, errlen, rc, "responder static key is a low-order point"));
    } else {
        /* <- e, ee, se (, psk) */
        write_e(hs, out);
        off += CS_NOISE_DHLEN;
        if ((rc = mix_dh(hs, hs->e_sk, hs->re)) != 0)
            return abort_hs(hs,
                            fail(err, errlen, rc, "initiator ephemeral key is a low-order point"));
        /* "se" on the responder: DH(e, rs). */
        if ((rc = mix_dh(hs, hs->e_sk, hs->rs)) != 0)
            return abort_hs(hs, fail(err, errlen, rc, "initiator static key is a low-order point"));
        if (hs->has_psk)
            mix_key_and_hash(&hs->ss, hs->psk, CS_NOISE_PSKLEN);
    }
    if ((rc = encrypt_and_hash(&hs->ss, payload, payload_len, out + off, outcap - off, &n)) != 0)
        return abort_hs(hs, fail(err, errlen, rc, "cannot encrypt the handshake payload"));
    off += n;
    hs->step++;
    *outlen = off;
    return 0;
}

int
cs_noise_handshake_read(struct cs_noise_handshake *hs, const uint8_t *msg, size_t msglen,
                        uint8_t *payload, size_t outcap, size_t *payload_len, char *err,
                        size_t errlen)
{
    if (!our_turn(hs, 0))
        return fail(err, errlen, CS_EINVAL, "noise handshake: not ours to read now");
    if (msglen > CS_NOISE_MAXMSG)
        return abort_hs(hs, fail(err, errlen, CS_ETOOBIG, "noise handshake message is too long"));
    size_t over = hs->step == 0 ? CS_NOISE_IK_MSG1_OVERHEAD : CS_NOISE_IK_MSG2_OVERHEAD;
    if (msglen < over)
        return abort_hs(hs,
                        fail(err, errlen, CS_ETRUNCATED, "noise handshake message is truncated"));
    if (outcap < msglen - over)
        return abort_hs(hs, fail(err, errlen, CS_EINVAL, "noise payload buffer is too small"));

    size_t off = 0, n = 0;
    int rc;
    memcpy(hs->re, msg, CS_NOISE_DHLEN);
    off += CS_NOISE_DHLEN;
    mix_e(hs, hs->re);
    if (hs->step == 0) {
        /* -> e, es, s, ss: "es" on the responder is DH(s, re). */
        if ((rc = mix_dh(hs, hs->s_sk, hs->re)) != 0)
            return abort_hs(hs,
                            fail(err, errlen, rc, "initiator ephemeral key is a low-order point"));
        /* "s": HasKey() is true here, so DHLEN + 16 bytes. */
        const size_t slen = CS_NOISE_DHLEN + CS_NOISE_TAGLEN;
        if ((rc = decrypt_and_hash(&hs->ss, msg + off, slen, hs->rs, sizeof(hs->rs), &n)) != 0)
            return abort_hs(hs, fail(err, errlen, rc,
                                     "cannot decrypt the initiator's static key: message altered "
                                     "or sent to another responder key"));
        off += slen;
        if ((rc = mix_dh(hs, hs->s_sk, hs->rs)) != 0)
            return abort_hs(hs, fail(err, errlen, rc, "initiator static key is a low-order point"));
    } else {
        /* <- e, ee, se (, psk): "se" on the initiator is DH(s, re). */
        if ((rc = mix_dh(hs, hs->e_sk, hs->re)) != 0)
            return abort_hs(hs,
                            fail(err, errlen, rc, "responder ephemeral key is a low-order point"));
        if ((rc = mix_dh(hs, hs->s_sk, hs->re)) != 0)
            return abort_hs(hs,
                            fail(err, errlen, rc, "responder ephemeral key is a low-order point"));
        if (hs->has_psk)
            mix_key_and_hash(&hs->ss, hs->psk, CS_NOISE_PSKLEN);
    }
    if ((rc = decrypt_and_hash(&hs->ss, msg + off, msglen - off, payload, outcap, &n)) != 0)
        return abort_hs(hs, fail(err, errlen, rc,
                                 "cannot decrypt the handshake payload: message altered or keys "
                                 "differ"));
    hs->step++;
    *payload_len = n;
    return 0;
}

int
cs_noise_handshake_done(const struct cs_noise_handshake *hs)
{
    return !hs->failed && hs->step == 2;
}

int
cs_noise_handshake_split(struct cs_noise_handshake *hs, struct cs_noise_cipher *send,
                         struct cs_noise_cipher *recv)
{
    if (!cs_noise_handshake_done(hs) || hs->split)
        return CS_EINVAL;
    if (hs->role == CS_NOISE_INITIATOR)
        split(&hs->ss, send, recv);
    else
        split(&hs->ss, recv, send);

    /* Only h outlives Split (GetHandshakeHash); every key goes. */
    uint8_t h[CS_NOISE_HASHLEN], rs[CS_NOISE_DHLEN];
    int role = hs->role;
    memcpy(h, hs->ss.h, sizeof(h));
    memcpy(rs, hs->rs, sizeof(rs));
    sodium_memzero(hs, sizeof(*hs));
    memcpy(hs->ss.h, h, sizeof(h));
    memcpy(hs->rs, rs, sizeof(rs));
    hs->role = role;
    hs->step = 2;
    hs->split = 1;
    return 0;
}

int
cs_noise_handshake_hash(const struct cs_noise_handshake *hs, uint8_t h[CS_NOISE_HASHLEN])
{
    if (!cs_noise_handshake_done(hs))
        return CS_EINVAL;
    memcpy(h, hs->ss.h, CS_NOISE_HASHLEN);
    return 0;
}

int
cs_noise_handshake_remote_static(const struct cs_noise_handshake *hs, uint8_t rs[CS_NOISE_DHLEN])
{
    if (hs->failed || hs->role == 0 || (hs->role == CS_NOISE_RESPONDER && hs->step < 1))
        return CS_EINVAL;
    memcpy(rs, hs->rs, CS_NOISE_DHLEN);
    return 0;
}

void
cs_noise_handshake_release(struct cs_noise_handshake *hs)
{
    if (hs)
        sodium_memzero(hs, sizeof(*hs));
}
