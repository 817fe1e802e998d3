/* SPDX-License-Identifier: MIT */
/*
 * Noise_IK_25519_ChaChaPoly_BLAKE2b (and IKpsk2) against every vector of
 * tests/vectors/noise-ik-25519-chachapoly-blake2b.json (cacophony's, copied
 * from the published file with its source line): both handshake messages
 * byte for byte from both roles, the transport messages with the Split()
 * cipher states in both directions, and the handshake hash. Then what must
 * fail: tampered or truncated messages, a wrong responder key, a wrong psk,
 * a low-order ephemeral key, the spent nonce counter, calls out of turn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/noise.h"
#include "internal.h"

#define MAXHEX 1024
#define MAXMSG 8

struct bytes {
    uint8_t b[MAXHEX];
    size_t n;
};

struct vector {
    char name[64];
    struct bytes init_prologue, init_static, init_ephemeral, init_remote_static, init_psk;
    struct bytes resp_prologue, resp_static, resp_ephemeral, resp_psk, handshake_hash;
    struct bytes payload[MAXMSG], ciphertext[MAXMSG];
    size_t nmsg;
};

static char *
read_vectors(void)
{
    const char *dir = getenv("CS_VECTORS");
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/vectors",
             "noise-ik-25519-chachapoly-blake2b.json");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    assert_true(len > 0);
    rewind(f);
    char *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    return buf;
}

/* The hex string value after `"key"` within [p, end); 0 if the key is absent. */
static int
get_hex(const char *p, const char *end, const char *key, struct bytes *out)
{
    char pat[80];
    snprintf(pat, sizeof(pat), "\"%s\"", key);
    const char *k = strstr(p, pat);
    if (!k || k >= end)
        return 0;
    const char *q = strchr(k + strlen(pat), '"'); /* opening quote of the value */
    assert_non_null(q);
    q++;
    const char *e = strchr(q, '"');
    assert_non_null(e);
    size_t hexlen = (size_t)(e - q);
    assert_true(hexlen % 2 == 0 && hexlen / 2 <= MAXHEX);
    assert_int_equal(sodium_hex2bin(out->b, MAXHEX, q, hexlen, NULL, &out->n, NULL), 0);
    assert_int_equal(out->n, hexlen / 2);
    return 1;
}

/* Every vector of the file, cut at each "protocol_name". */
static size_t
parse_vectors(const char *json, struct vector *v, size_t max)
{
    size_t count = 0;
    const char *p = strstr(json, "\"protocol_name\"");
    while (p) {
        assert_true(count < max);
        const char *next = strstr(p + 1, "\"protocol_name\"");
        const char *end = next ? next : p + strlen(p);
        struct vector *x = &v[count++];
        memset(x, 0, sizeof(*x));
        const char *q = strchr(p + strlen("\"protocol_name\""), '"') + 1;
        const char *e = strchr(q, '"');
        assert_true((size_t)(e - q) < sizeof(x->name));
        memcpy(x->name, q, (size_t)(e - q));
        assert_true(get_hex(p, end, "init_prologue", &x->init_prologue));
        assert_true(get_hex(p, end, "init_static", &x->init_static));
        assert_true(get_hex(p, end, "init_ephemeral", &x->init_ephemeral));
        assert_true(get_hex(p, end, "init_remote_static", &x->init_remote_static));
        assert_true(get_hex(p, end, "resp_prologue", &x->resp_prologue));
        assert_true(get_hex(p, end, "resp_static", &x->resp_static));
        assert_true(get_hex(p, end, "resp_ephemeral", &x->resp_ephemeral));
        assert_true(get_hex(p, end, "handshake_hash", &x->handshake_hash));
        /* "init_psks": [ "hex" ]: the first (IKpsk2 has one psk). */
        const char *psk = strstr(p, "\"init_psks\"");
        if (psk && psk < end)
            assert_true(get_hex(psk, end, "init_psks", &x->init_psk));
        psk = strstr(p, "\"resp_psks\"");
        if (psk && psk < end)
            assert_true(get_hex(psk, end, "resp_psks", &x->resp_psk));
        const char *m = strstr(p, "\"messages\"");
        assert_true(m && m < end);
        for (;;) {
            const char *pl = strstr(m, "\"payload\"");
            if (!pl || pl >= end)
                break;
            assert_true(x->nmsg < MAXMSG);
            assert_true(get_hex(pl, end, "payload", &x->payload[x->nmsg]));
            assert_true(get_hex(pl, end, "ciphertext", &x->ciphertext[x->nmsg]));
            x->nmsg++;
            m = strstr(pl, "\"ciphertext\"") + 1;
        }
        p = next;
    }
    return count;
}

static struct vector vectors[4];
static size_t nvectors;

static int
setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    char *json = read_vectors();
    nvectors = parse_vectors(json, vectors, 4);
    free(json);
    return 0;
}

static void
init_pair(const struct vector *v, struct cs_noise_handshake *ini, struct cs_noise_handshake *res)
{
    char err[256];
    const uint8_t *ipsk = v->init_psk.n ? v->init_psk.b : NULL;
    const uint8_t *rpsk = v->resp_psk.n ? v->resp_psk.b : NULL;
    assert_int_equal(cs_noise_handshake_init(ini, CS_NOISE_INITIATOR, v->init_prologue.b,
                                             v->init_prologue.n, v->init_static.b,
                                             v->init_remote_static.b, ipsk, err, sizeof(err)),
                     0);
    assert_int_equal(cs_noise_handshake_init(res, CS_NOISE_RESPONDER, v->resp_prologue.b,
                                             v->resp_prologue.n, v->resp_static.b, NULL, rpsk, err,
                                             sizeof(err)),
                     0);
    assert_int_equal(cs__noise_handshake_set_ephemeral(ini, v->init_ephemeral.b), 0);
    assert_int_equal(cs__noise_handshake_set_ephemeral(res, v->resp_ephemeral.b), 0);
}

static void
check_vector(const struct vector *v)
{
    struct cs_noise_handshake ini, res;
    uint8_t buf[CS_NOISE_MAXMSG], pl[CS_NOISE_MAXMSG];
    size_t n, pn;
    char err[256];

    assert_true(v->nmsg >= 2);
    assert_int_equal(v->init_static.n, 32);
    assert_int_equal(v->resp_static.n, 32);
    init_pair(v, &ini, &res);

    /* Message 1, initiator -> responder. */
    assert_int_equal(cs_noise_handshake_write(&ini, v->payload[0].b, v->payload[0].n, buf,
                                              sizeof(buf), &n, err, sizeof(err)),
                     0);
    assert_int_equal(n, v->ciphertext[0].n);
    assert_memory_equal(buf, v->ciphertext[0].b, n);
    assert_int_equal(cs_noise_handshake_read(&res, v->ciphertext[0].b, v->ciphertext[0].n, pl,
                                             sizeof(pl), &pn, err, sizeof(err)),
                     0);
    assert_int_equal(pn, v->payload[0].n);
    assert_memory_equal(pl, v->payload[0].b, pn);
    assert_false(cs_noise_handshake_done(&res));

    /* The responder now knows the initiator's static key. */
    uint8_t rs[32], ipk[32];
    crypto_scalarmult_base(ipk, v->init_static.b);
    assert_int_equal(cs_noise_handshake_remote_static(&res, rs), 0);
    assert_memory_equal(rs, ipk, 32);

    /* Message 2, responder -> initiator. */
    assert_int_equal(cs_noise_handshake_write(&res, v->payload[1].b, v->payload[1].n, buf,
                                              sizeof(buf), &n, err, sizeof(err)),
                     0);
    assert_int_equal(n, v->ciphertext[1].n);
    assert_memory_equal(buf, v->ciphertext[1].b, n);
    assert_int_equal(cs_noise_handshake_read(&ini, v->ciphertext[1].b, v->ciphertext[1].n, pl,
                                             sizeof(pl), &pn, err, sizeof(err)),
                     0);
    assert_int_equal(pn, v->payload[1].n);
    assert_memory_equal(pl, v->payload[1].b, pn);
    assert_true(cs_noise_handshake_done(&ini));
    assert_true(cs_noise_handshake_done(&res));

    /* Split(), then the handshake hash on both sides (it outlives Split). */
    struct cs_noise_cipher isend, irecv, rsend, rrecv;
    assert_int_equal(cs_noise_handshake_split(&ini, &isend, &irecv), 0);
    assert_int_equal(cs_noise_handshake_split(&res, &rsend, &rrecv), 0);
    assert_int_equal(cs_noise_handshake_split(&ini, &isend, &irecv), CS_EINVAL);
    uint8_t h[CS_NOISE_HASHLEN];
    assert_int_equal(v->handshake_hash.n, CS_NOISE_HASHLEN);
    assert_int_equal(cs_noise_handshake_hash(&ini, h), 0);
    assert_memory_equal(h, v->handshake_hash.b, CS_NOISE_HASHLEN);
    assert_int_equal(cs_noise_handshake_hash(&res, h), 0);
    assert_memory_equal(h, v->handshake_hash.b, CS_NOISE_HASHLEN);

    /* Transport: the messages keep alternating, initiator first, AD empty. */
    for (size_t i = 2; i < v->nmsg; i++) {
        int from_init = (i % 2) == 0;
        struct cs_noise_cipher *tx = from_init ? &isend : &rsend;
        struct cs_noise_cipher *rx = from_init ? &rrecv : &irecv;
        assert_int_equal(cs_noise_cipher_encrypt(tx, NULL, 0, v->payload[i].b, v->payload[i].n, buf,
                                                 sizeof(buf), &n),
                         0);
        assert_int_equal(n, v->ciphertext[i].n);
        assert_memory_equal(buf, v->ciphertext[i].b, n);
        assert_int_equal(cs_noise_cipher_decrypt(rx, NULL, 0, v->ciphertext[i].b,
                                                 v->ciphertext[i].n, pl, sizeof(pl), &pn),
                         0);
        assert_int_equal(pn, v->payload[i].n);
        assert_memory_equal(pl, v->payload[i].b, pn);
        /* A replayed transport message no longer opens: the counter moved on. */
        assert_int_equal(cs_noise_cipher_decrypt(rx, NULL, 0, v->ciphertext[i].b,
                                                 v->ciphertext[i].n, pl, sizeof(pl), &pn),
                         CS_EDECRYPT);
    }
    cs_noise_cipher_release(&isend);
    cs_noise_cipher_release(&irecv);
    cs_noise_cipher_release(&rsend);
    cs_noise_cipher_release(&rrecv);
    cs_noise_handshake_release(&ini);
    cs_noise_handshake_release(&res);
}

static void
test_vectors(void **state)
{
    (void)state;
    /* The file holds IK and IKpsk2; every one is checked. */
    assert_int_equal(nvectors, 2);
    int ik = 0, ikpsk2 = 0;
    for (size_t i = 0; i < nvectors; i++) {
        const struct vector *v = &vectors[i];
        if (strcmp(v->name, "Noise_IK_25519_ChaChaPoly_BLAKE2b") == 0) {
            assert_int_equal(v->init_psk.n, 0);
            ik++;
        } else {
            assert_string_equal(v->name, "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2b");
            assert_int_equal(v->init_psk.n, CS_NOISE_PSKLEN);
            ikpsk2++;
        }
        assert_int_equal(v->nmsg, 6);
        check_vector(v);
    }
    assert_int_equal(ik, 1);
    assert_int_equal(ikpsk2, 1);
}

/* The state after a failed read: nothing works any more. */
static void
assert_unusable(struct cs_noise_handshake *hs)
{
    uint8_t buf[256], h[CS_NOISE_HASHLEN], rs[32];
    size_t n;
    struct cs_noise_cipher a, b;
    assert_false(cs_noise_handshake_done(hs));
    assert_int_equal(cs_noise_handshake_write(hs, NULL, 0, buf, sizeof(buf), &n, NULL, 0),
                     CS_EINVAL);
    assert_int_equal(cs_noise_handshake_read(hs, buf, sizeof(buf), buf, sizeof(buf), &n, NULL, 0),
                     CS_EINVAL);
    assert_int_equal(cs_noise_handshake_split(hs, &a, &b), CS_EINVAL);
    assert_int_equal(cs_noise_handshake_hash(hs, h), CS_EINVAL);
    assert_int_equal(cs_noise_handshake_remote_static(hs, rs), CS_EINVAL);
    /* And every secret is gone. */
    assert_true(sodium_is_zero(hs->s_sk, sizeof(hs->s_sk)));
    assert_true(sodium_is_zero(hs->e_sk, sizeof(hs->e_sk)));
    assert_true(sodium_is_zero(hs->ss.ck, sizeof(hs->ss.ck)));
    assert_true(sodium_is_zero(hs->ss.c.k, sizeof(hs->ss.c.k)));
    assert_true(sodium_is_zero(hs->psk, sizeof(hs->psk)));
}

static void
test_tampered(void **state)
{
    (void)state;
    for (size_t vi = 0; vi < nvectors; vi++) {
        const struct vector *v = &vectors[vi];
        struct cs_noise_handshake ini, res;
        uint8_t msg[1024], pl[1024];
        size_t pn;

        /* Each byte of message 1, each bit position in turn. */
        for (size_t i = 0; i < v->ciphertext[0].n; i++) {
            init_pair(v, &ini, &res);
            memcpy(msg, v->ciphertext[0].b, v->ciphertext[0].n);
            msg[i] ^= (uint8_t)(1u << (i % 8));
            int rc = cs_noise_handshake_read(&res, msg, v->ciphertext[0].n, pl, sizeof(pl), &pn,
                                             NULL, 0);
            assert_true(rc == CS_EDECRYPT || rc == CS_EMALFORMED);
            assert_unusable(&res);
            cs_noise_handshake_release(&ini);
        }
        /* Each byte of message 2. */
        for (size_t i = 0; i < v->ciphertext[1].n; i++) {
            init_pair(v, &ini, &res);
            uint8_t m1[1024];
            size_t n;
            assert_int_equal(cs_noise_handshake_write(&ini, v->payload[0].b, v->payload[0].n, m1,
                                                      sizeof(m1), &n, NULL, 0),
                             0);
            memcpy(msg, v->ciphertext[1].b, v->ciphertext[1].n);
            msg[i] ^= (uint8_t)(0x80u >> (i % 8));
            int rc = cs_noise_handshake_read(&ini, msg, v->ciphertext[1].n, pl, sizeof(pl), &pn,
                                             NULL, 0);
            assert_true(rc == CS_EDECRYPT || rc == CS_EMALFORMED);
            assert_unusable(&ini);
            cs_noise_handshake_release(&res);
        }
    }
}

static void
test_truncated(void **state)
{
    (void)state;
    const struct vector *v = &vectors[0];
    struct cs_noise_handshake ini, res;
    uint8_t pl[1024], m1[1024];
    size_t pn, n;

    /* Every shorter length of both messages fails, shorter than the fixed part first. */
    for (size_t len = 0; len < v->ciphertext[0].n; len++) {
        init_pair(v, &ini, &res);
        int rc =
            cs_noise_handshake_read(&res, v->ciphertext[0].b, len, pl, sizeof(pl), &pn, NULL, 0);
        if (len < CS_NOISE_IK_MSG1_OVERHEAD)
            assert_int_equal(rc, CS_ETRUNCATED);
        else
            assert_int_equal(rc, CS_EDECRYPT);
        assert_unusable(&res);
        cs_noise_handshake_release(&ini);
    }
    for (size_t len = 0; len < v->ciphertext[1].n; len++) {
        init_pair(v, &ini, &res);
        assert_int_equal(cs_noise_handshake_write(&ini, v->payload[0].b, v->payload[0].n, m1,
                                                  sizeof(m1), &n, NULL, 0),
                         0);
        int rc =
            cs_noise_handshake_read(&ini, v->ciphertext[1].b, len, pl, sizeof(pl), &pn, NULL, 0);
        if (len < CS_NOISE_IK_MSG2_OVERHEAD)
            assert_int_equal(rc, CS_ETRUNCATED);
        else
            assert_int_equal(rc, CS_EDECRYPT);
        assert_unusable(&ini);
        cs_noise_handshake_release(&res);
    }

    /* Over the Noise maximum of 65535 bytes. */
    static uint8_t big[CS_NOISE_MAXMSG + 1];
    static uint8_t bigout[CS_NOISE_MAXMSG + 1];
    init_pair(v, &ini, &res);
    assert_int_equal(
        cs_noise_handshake_read(&res, big, sizeof(big), bigout, sizeof(bigout), &pn, NULL, 0),
        CS_ETOOBIG);
    assert_unusable(&res);
    assert_int_equal(
        cs_noise_handshake_write(&ini, big, CS_NOISE_MAXMSG, bigout, sizeof(bigout), &n, NULL, 0),
        CS_ETOOBIG);
    assert_unusable(&ini);
}

/* A handshake with random keys; returns the read result of message 1 or 2. */
static int
run_handshake(const uint8_t *psk_i, const uint8_t *psk_r, int wrong_rs, int wrong_res_s,
              struct cs_noise_handshake *ini, struct cs_noise_handshake *res)
{
    uint8_t isk[32], ipk[32], rsk[32], rpk[32], other_sk[32], other_pk[32];
    uint8_t m[256], pl[256];
    size_t n, pn;
    char err[256] = "";
    const uint8_t prologue[] = "cellsync test";
    int rc;

    crypto_box_keypair(ipk, isk);
    crypto_box_keypair(rpk, rsk);
    crypto_box_keypair(other_pk, other_sk);
    assert_int_equal(cs_noise_handshake_init(ini, CS_NOISE_INITIATOR, prologue, sizeof(prologue),
                                             isk, wrong_rs ? other_pk : rpk, psk_i, err,
                                             sizeof(err)),
                     0);
    assert_int_equal(cs_noise_handshake_init(res, CS_NOISE_RESPONDER, prologue, sizeof(prologue),
                                             wrong_res_s ? other_sk : rsk, NULL, psk_r, err,
                                             sizeof(err)),
                     0);
    assert_int_equal(cs_noise_handshake_write(ini, (const uint8_t *)"hello", 5, m, sizeof(m), &n,
                                              err, sizeof(err)),
                     0);
    assert_int_equal(n, 5 + CS_NOISE_IK_MSG1_OVERHEAD);
    if ((rc = cs_noise_handshake_read(res, m, n, pl, sizeof(pl), &pn, err, sizeof(err))) != 0) {
        assert_true(err[0] != '\0');
        return rc;
    }
    assert_int_equal(pn, 5);
    assert_memory_equal(pl, "hello", 5);
    uint8_t got[32];
    assert_int_equal(cs_noise_handshake_remote_static(res, got), 0);
    assert_memory_equal(got, ipk, 32);
    assert_int_equal(cs_noise_handshake_write(res, NULL, 0, m, sizeof(m), &n, err, sizeof(err)), 0);
    assert_int_equal(n, CS_NOISE_IK_MSG2_OVERHEAD);
    if ((rc = cs_noise_handshake_read(ini, m, n, pl, sizeof(pl), &pn, err, sizeof(err))) != 0) {
        assert_true(err[0] != '\0');
        return rc;
    }
    assert_int_equal(pn, 0);
    return 0;
}

static void
test_random_and_wrong_keys(void **state)
{
    (void)state;
    struct cs_noise_handshake ini, res;
    uint8_t psk[32], psk2[32];
    randombytes_buf(psk, sizeof(psk));
    randombytes_buf(psk2, sizeof(psk2));

    /* Fresh random ephemeral keys: both ends agree. */
    for (int with_psk = 0; with_psk < 2; with_psk++) {
        assert_int_equal(
            run_handshake(with_psk ? psk : NULL, with_psk ? psk : NULL, 0, 0, &ini, &res), 0);
        uint8_t h1[64], h2[64], m[64], out[64];
        size_t n, pn;
        assert_int_equal(cs_noise_handshake_hash(&ini, h1), 0);
        assert_int_equal(cs_noise_handshake_hash(&res, h2), 0);
        assert_memory_equal(h1, h2, 64);
        struct cs_noise_cipher is, ir, rs, rr;
        assert_int_equal(cs_noise_handshake_split(&ini, &is, &ir), 0);
        assert_int_equal(cs_noise_handshake_split(&res, &rs, &rr), 0);
        assert_true(sodium_is_zero(ini.s_sk, 32) && sodium_is_zero(ini.ss.ck, 64));
        assert_int_equal(
            cs_noise_cipher_encrypt(&rs, NULL, 0, (const uint8_t *)"ok", 2, m, sizeof(m), &n), 0);
        assert_int_equal(cs_noise_cipher_decrypt(&ir, NULL, 0, m, n, out, sizeof(out), &pn), 0);
        assert_memory_equal(out, "ok", 2);
        /* Reflected back to its sender, a message does not open. */
        assert_int_equal(cs_noise_cipher_decrypt(&rr, NULL, 0, m, n, out, sizeof(out), &pn),
                         CS_EDECRYPT);
        /* A key taken for another transport leaves no key behind. */
        uint8_t key[32];
        assert_int_equal(cs_noise_cipher_take_key(&is, key), 0);
        assert_false(cs_noise_cipher_has_key(&is));
        assert_int_equal(cs_noise_cipher_take_key(&is, key), CS_EINVAL);
        sodium_memzero(key, sizeof(key));
        cs_noise_cipher_release(&ir);
        cs_noise_cipher_release(&rs);
        cs_noise_cipher_release(&rr);
        cs_noise_handshake_release(&ini);
        cs_noise_handshake_release(&res);
    }

    /* The initiator aims at the wrong responder key: message 1 does not open. */
    assert_int_equal(run_handshake(NULL, NULL, 1, 0, &ini, &res), CS_EDECRYPT);
    assert_unusable(&res);
    /* A responder with another static key: the same. */
    assert_int_equal(run_handshake(NULL, NULL, 0, 1, &ini, &res), CS_EDECRYPT);
    assert_unusable(&res);
    /* IKpsk2 with different psks: message 2 does not open at the initiator. */
    assert_int_equal(run_handshake(psk, psk2, 0, 0, &ini, &res), CS_EDECRYPT);
    assert_unusable(&ini);
    /* One side with a psk, the other without: different protocol names. */
    assert_int_equal(run_handshake(psk, NULL, 0, 0, &ini, &res), CS_EDECRYPT);
    assert_unusable(&res);
    cs_noise_handshake_release(&ini);
    cs_noise_handshake_release(&res);
}

static void
test_low_order_and_order(void **state)
{
    (void)state;
    const struct vector *v = &vectors[0];
    struct cs_noise_handshake ini, res;
    uint8_t msg[1024], pl[1024];
    size_t n, pn;

    /* An ephemeral key of all zeros (low order): DH gives zeros, refused. */
    init_pair(v, &ini, &res);
    memcpy(msg, v->ciphertext[0].b, v->ciphertext[0].n);
    memset(msg, 0, 32);
    assert_int_equal(
        cs_noise_handshake_read(&res, msg, v->ciphertext[0].n, pl, sizeof(pl), &pn, NULL, 0),
        CS_EMALFORMED);
    assert_unusable(&res);
    cs_noise_handshake_release(&ini);

    /* A responder key of low order is refused by the initiator's first DH. */
    uint8_t zero[32] = {0};
    assert_int_equal(cs_noise_handshake_init(&ini, CS_NOISE_INITIATOR, NULL, 0, v->init_static.b,
                                             zero, NULL, NULL, 0),
                     0);
    assert_int_equal(cs_noise_handshake_write(&ini, NULL, 0, msg, sizeof(msg), &n, NULL, 0),
                     CS_EMALFORMED);
    assert_unusable(&ini);

    /* Out of turn, and arguments that make no IK handshake. */
    init_pair(v, &ini, &res);
    assert_int_equal(cs_noise_handshake_read(&ini, v->ciphertext[1].b, v->ciphertext[1].n, pl,
                                             sizeof(pl), &pn, NULL, 0),
                     CS_EINVAL);
    assert_int_equal(cs_noise_handshake_write(&res, NULL, 0, msg, sizeof(msg), &n, NULL, 0),
                     CS_EINVAL);
    assert_int_equal(cs_noise_handshake_remote_static(&res, pl), CS_EINVAL);
    /* Out of turn is a caller's mistake, not an attack: the state survives it. */
    assert_int_equal(cs_noise_handshake_write(&ini, v->payload[0].b, v->payload[0].n, msg,
                                              sizeof(msg), &n, NULL, 0),
                     0);
    assert_memory_equal(msg, v->ciphertext[0].b, n);
    /* A buffer too small for message 1 (the payload's tag does not fit). */
    init_pair(v, &ini, &res);
    assert_int_equal(cs_noise_handshake_write(&ini, v->payload[0].b, v->payload[0].n, msg,
                                              v->ciphertext[0].n - 1, &n, NULL, 0),
                     CS_EINVAL);
    assert_unusable(&ini);
    assert_int_equal(cs_noise_handshake_init(&ini, CS_NOISE_INITIATOR, NULL, 0, v->init_static.b,
                                             NULL, NULL, NULL, 0),
                     CS_EINVAL);
    assert_int_equal(cs_noise_handshake_init(&res, CS_NOISE_RESPONDER, NULL, 0, v->resp_static.b,
                                             v->init_remote_static.b, NULL, NULL, 0),
                     CS_EINVAL);
    cs_noise_handshake_release(&ini);
    cs_noise_handshake_release(&res);
    cs_noise_handshake_release(NULL);
    cs_noise_cipher_release(NULL);
}

static void
test_cipher_state(void **state)
{
    (void)state;
    struct cs_noise_cipher c, d;
    uint8_t key[32], ct[64], pt[64];
    size_t n, pn;
    randombytes_buf(key, sizeof(key));

    /* No key: EncryptWithAd and DecryptWithAd are the identity (section 5.1). */
    cs_noise_cipher_init(&c, NULL);
    assert_false(cs_noise_cipher_has_key(&c));
    assert_int_equal(
        cs_noise_cipher_encrypt(&c, NULL, 0, (const uint8_t *)"abc", 3, ct, sizeof(ct), &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(ct, "abc", 3);

    /* The nonce is 4 zero bytes || n little-endian (section 12.3). */
    cs_noise_cipher_init(&c, key);
    assert_true(cs_noise_cipher_has_key(&c));
    cs_noise_cipher_set_nonce(&c, 0x0102030405060708ull);
    assert_int_equal(cs_noise_cipher_encrypt(&c, (const uint8_t *)"ad", 2, (const uint8_t *)"abc",
                                             3, ct, sizeof(ct), &n),
                     0);
    uint8_t nonce[12] = {0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1}, ref[64];
    unsigned long long rn;
    crypto_aead_chacha20poly1305_ietf_encrypt(ref, &rn, (const uint8_t *)"abc", 3,
                                              (const uint8_t *)"ad", 2, NULL, nonce, key);
    assert_int_equal(n, rn);
    assert_memory_equal(ct, ref, n);

    /* 2^64-1 is reserved: the last usable nonce is 2^64-2, then everything fails. */
    cs_noise_cipher_init(&c, key);
    cs_noise_cipher_init(&d, key);
    cs_noise_cipher_set_nonce(&c, UINT64_MAX - 1);
    cs_noise_cipher_set_nonce(&d, UINT64_MAX - 1);
    assert_int_equal(
        cs_noise_cipher_encrypt(&c, NULL, 0, (const uint8_t *)"x", 1, ct, sizeof(ct), &n), 0);
    /* A wrong tag does not move the receiver's counter. */
    ct[0] ^= 1;
    assert_int_equal(cs_noise_cipher_decrypt(&d, NULL, 0, ct, n, pt, sizeof(pt), &pn), CS_EDECRYPT);
    ct[0] ^= 1;
    assert_int_equal(cs_noise_cipher_decrypt(&d, NULL, 0, ct, n, pt, sizeof(pt), &pn), 0);
    assert_int_equal(
        cs_noise_cipher_encrypt(&c, NULL, 0, (const uint8_t *)"x", 1, ct, sizeof(ct), &n),
        CS_ETOOBIG);
    assert_int_equal(cs_noise_cipher_decrypt(&d, NULL, 0, ct, n, pt, sizeof(pt), &pn), CS_ETOOBIG);
    /* Too short for a tag. */
    cs_noise_cipher_set_nonce(&d, 0);
    assert_int_equal(cs_noise_cipher_decrypt(&d, NULL, 0, ct, 15, pt, sizeof(pt), &pn),
                     CS_ETRUNCATED);
    cs_noise_cipher_release(&c);
    assert_true(sodium_is_zero(c.k, sizeof(c.k)) && !cs_noise_cipher_has_key(&c));
    cs_noise_cipher_release(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_random_and_wrong_keys),
        cmocka_unit_test(test_low_order_and_order),
        cmocka_unit_test(test_cipher_state),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
