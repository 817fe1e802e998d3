/* SPDX-License-Identifier: MIT */
/*
 * HKDF (RFC 5869) over libsodium's HMAC-SHA-256 and HMAC-SHA-512, the one
 * implementation for every key the library derives this way: the age
 * format's keys (age.c, SHA-256) and the enrollment grant key (pake.c,
 * SHA-512). libsodium 1.0.18 has no HKDF of its own. Checked against the
 * RFC's test cases 1 to 3 (tests/unit/test_age.c). The Noise handshake
 * keeps its own HKDF (noise.c): the Noise framework defines it over
 * HMAC-BLAKE2b with a fixed number of outputs, a different function.
 */
#include <sodium.h>
#include <string.h>

#include "cellsync/error.h"
#include "internal.h"

/*
 * The two hashes differ only in their HMAC; each step gets the same three
 * calls, so one body serves both through these small adapters.
 */
struct hmac_ops {
    size_t len; /* HashLen */
    void (*mac)(uint8_t *out, const uint8_t *key, size_t keylen, const uint8_t *a, size_t alen,
                const uint8_t *b, size_t blen, uint8_t c);
};

/* HMAC(key, a || b || c), c left out when b is NULL and c is 0 (the extract step). */
static void
mac256(uint8_t *out, const uint8_t *key, size_t keylen, const uint8_t *a, size_t alen,
       const uint8_t *b, size_t blen, uint8_t c)
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, a, alen);
    if (b != NULL) {
        crypto_auth_hmacsha256_update(&st, b, blen);
        crypto_auth_hmacsha256_update(&st, &c, 1);
    }
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof(st));
}

static void
mac512(uint8_t *out, const uint8_t *key, size_t keylen, const uint8_t *a, size_t alen,
       const uint8_t *b, size_t blen, uint8_t c)
{
    crypto_auth_hmacsha512_state st;
    crypto_auth_hmacsha512_init(&st, key, keylen);
    crypto_auth_hmacsha512_update(&st, a, alen);
    if (b != NULL) {
        crypto_auth_hmacsha512_update(&st, b, blen);
        crypto_auth_hmacsha512_update(&st, &c, 1);
    }
    crypto_auth_hmacsha512_final(&st, out);
    sodium_memzero(&st, sizeof(st));
}

static int
hkdf(const struct hmac_ops *h, uint8_t *out, size_t outlen, const uint8_t *salt, size_t saltlen,
     const uint8_t *ikm, size_t ikmlen, const uint8_t *info, size_t infolen)
{
    uint8_t zeros[crypto_auth_hmacsha512_BYTES] = {0};
    uint8_t prk[crypto_auth_hmacsha512_BYTES], t[crypto_auth_hmacsha512_BYTES];
    static const uint8_t empty[1] = {0};

    if (outlen > 255 * h->len)
        return CS_EINVAL;
    /* 2.2: PRK = HMAC-Hash(salt, IKM); a salt not provided is HashLen zeros. */
    if (salt == NULL || saltlen == 0) {
        salt = zeros;
        saltlen = h->len;
    }
    h->mac(prk, salt, saltlen, ikm != NULL ? ikm : empty, ikmlen, NULL, 0, 0);
    /* 2.3: T(i) = HMAC-Hash(PRK, T(i-1) || info || i), T(0) empty. */
    size_t done = 0, tlen = 0;
    for (uint8_t i = 1; done < outlen; i++) {
        /* T(i-1) || info as a + b, the counter as c. */
        uint8_t in[crypto_auth_hmacsha512_BYTES];
        memcpy(in, t, tlen);
        h->mac(t, prk, h->len, in, tlen, info != NULL ? info : empty, infolen, i);
        sodium_memzero(in, sizeof(in));
        tlen = h->len;
        size_t n = outlen - done < tlen ? outlen - done : tlen;
        memcpy(out + done, t, n);
        done += n;
    }
    sodium_memzero(prk, sizeof(prk));
    sodium_memzero(t, sizeof(t));
    return 0;
}

int
cs__hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *salt, size_t saltlen,
                const uint8_t *ikm, size_t ikmlen, const uint8_t *info, size_t infolen)
{
    static const struct hmac_ops ops = {crypto_auth_hmacsha256_BYTES, mac256};
    return hkdf(&ops, out, outlen, salt, saltlen, ikm, ikmlen, info, infolen);
}

int
cs__hkdf_sha512(uint8_t *out, size_t outlen, const uint8_t *salt, size_t saltlen,
                const uint8_t *ikm, size_t ikmlen, const uint8_t *info, size_t infolen)
{
    static const struct hmac_ops ops = {crypto_auth_hmacsha512_BYTES, mac512};
    return hkdf(&ops, out, outlen, salt, saltlen, ikm, ikmlen, info, infolen);
}
