/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the age v1 format (proto/sync/age.c) and what it stands
 * on: HKDF-SHA-256 against RFC 5869's test cases 1 to 3, Bech32 against
 * BIP 173's valid and invalid strings, the spec's own identity/recipient
 * pair, round trips across the chunk boundaries (0, 1, 65535, 65536,
 * 65537, 200000 bytes), every region of a file changed, cut or
 * extended being refused with its own code, and files put together here
 * from the spec's formulas: read back, or refused where the chunks break
 * the STREAM rules (an empty final chunk after others, no final chunk, a
 * final chunk that is not last). Interoperation with the real
 * `age` tool is tests/cli/test_backup_age.sh.
 */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cellsync/age.h"
#include "cellsync/error.h"
#include "internal.h"

static size_t
unhex(const char *h, uint8_t *out)
{
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++)
        sscanf(h + 2 * i, "%2hhx", &out[i]);
    return n;
}

/* RFC 5869, appendix A, test cases 1-3 (HKDF-SHA-256). */
static void
test_hkdf_rfc5869(void **state)
{
    (void)state;
    uint8_t ikm[80], salt[80], info[80], want[82], got[82];
    struct {
        size_t ikm, salt, info;
        int ranges; /* TC 2 uses counting bytes */
        size_t l;
        const char *okm;
    } tc[] = {
        {22, 13, 10, 0, 42,
         "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
        {80, 80, 80, 1, 82,
         "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac78272"
         "71cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
        {22, 0, 0, 0, 42,
         "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
    };
    for (size_t t = 0; t < 3; t++) {
        for (size_t i = 0; i < 80; i++) {
            ikm[i] = tc[t].ranges ? (uint8_t)i : 0x0b;
            salt[i] = tc[t].ranges ? (uint8_t)(0x60 + i) : (uint8_t)i;
            info[i] = tc[t].ranges ? (uint8_t)(0xb0 + i) : (uint8_t)(0xf0 + i);
        }
        assert_int_equal(unhex(tc[t].okm, want), tc[t].l);
        assert_int_equal(
            cs__hkdf_sha256(got, tc[t].l, salt, tc[t].salt, ikm, tc[t].ikm, info, tc[t].info), 0);
        assert_memory_equal(got, want, tc[t].l);
    }
    assert_int_equal(cs__hkdf_sha256(got, 255 * 32 + 1, NULL, 0, ikm, 1, NULL, 0), CS_EINVAL);
}

/* BIP 173, "Test vectors": valid Bech32 strings, then invalid ones with their reasons. */
static void
test_bech32_bip173(void **state)
{
    (void)state;
    static const char *valid[] = {
        "A12UEL5L",
        "a12uel5l",
        "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tg"
        "s",
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "11"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "c8247j", /* 90 characters, the limit */
        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        "?1ezyfcl",
    };
    static const char *invalid[] = {
        "\x20"
        "1nwldj5", /* HRP character out of range */
        "\x7f"
        "1axkwrx",
        "\x80"
        "1eym55h",
        /* overall max length exceeded */
        "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pv"
        "x",
        "pzry9x0s0muk",  /* no separator character */
        "1pzry9x0s0muk", /* empty HRP */
        "x1b4n0q5v",     /* invalid data character */
        "li1dgmt3",      /* too short checksum */
        "de1lg7wt\xff",  /* invalid character in checksum */
        "A1G7SGD8",      /* checksum calculated with uppercase form of HRP */
        "10a06t8",       /* empty HRP */
        "1qzzfhee",      /* empty HRP */
    };
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
        assert_true(cs__bech32_verify(valid[i], 90));
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
        assert_false(cs__bech32_verify(invalid[i], 90));
    /* Mixed case is refused; the data part of a valid string read back as bytes. */
    assert_false(cs__bech32_verify("A12uEL5L", 90));
    char hrp[100];
    uint8_t data[64];
    size_t n;
    static const uint8_t abcdef[20] = {0,   68,  50, 20, 199, 66,  84,  182, 53,  207,
                                       132, 101, 58, 86, 215, 198, 117, 190, 119, 223};
    assert_int_equal(cs__bech32_decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", 90, hrp,
                                       sizeof(hrp), data, sizeof(data), &n),
                     0);
    assert_string_equal(hrp, "abcdef");
    assert_int_equal(n, 20);
    assert_memory_equal(data, abcdef, 20);
    /* Encode and decode again; upper case decodes to the same. */
    char s[128];
    uint8_t in[32];
    for (size_t i = 0; i < 32; i++)
        in[i] = (uint8_t)(i * 7 + 1);
    assert_int_equal(cs__bech32_encode(s, sizeof(s), "test", in, 32, 1), 0);
    assert_int_equal(cs__bech32_decode(s, 128, hrp, sizeof(hrp), data, sizeof(data), &n), 0);
    assert_string_equal(hrp, "test");
    assert_int_equal(n, 32);
    assert_memory_equal(data, in, 32);
    assert_int_equal(cs__bech32_encode(s, 10, "test", in, 32, 0), CS_ETOOBIG);
}

/* The identity and recipient of the X25519 section of the spec. */
static void
test_spec_keys(void **state)
{
    (void)state;
    static const char id[] =
        "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
    static const char rcpt[] = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";
    uint8_t sk[32], pk[32], pk2[32];
    char s[CS_AGE_SECRET_SIZE], p[CS_AGE_PUB_SIZE];
    assert_int_equal(cs_age_identity_decode(id, sk), 0);
    assert_int_equal(cs_age_public(sk, pk), 0);
    cs_age_recipient_encode(pk, p);
    assert_string_equal(p, rcpt);
    cs_age_identity_encode(sk, s);
    assert_string_equal(s, id);
    assert_int_equal(cs_age_recipient_decode(rcpt, pk2), 0);
    assert_memory_equal(pk, pk2, 32);
    /* A recipient is not an identity, and the other way round. */
    assert_int_equal(cs_age_identity_decode(rcpt, sk), CS_EMALFORMED);
    assert_int_equal(cs_age_recipient_decode(id, pk), CS_EMALFORMED);
}

/* A growing buffer written by the encoder and read back in uneven pieces. */
struct mem {
    uint8_t *p;
    size_t n, cap, rpos;
};

static int
mem_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct mem *m = ctx;
    if (m->n + len > m->cap) {
        m->cap = (m->n + len) * 2;
        m->p = realloc(m->p, m->cap);
        assert_non_null(m->p);
    }
    memcpy(m->p + m->n, buf, len);
    m->n += len;
    return 0;
}

static int
mem_read(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
    struct mem *m = ctx;
    size_t want = 1 + (m->rpos * 7919) % 20011; /* short reads of changing size */
    if (want > cap)
        want = cap;
    if (want > m->n - m->rpos)
        want = m->n - m->rpos;
    memcpy(buf, m->p + m->rpos, want);
    m->rpos += want;
    *got = want;
    return 0;
}

static void
encrypt(const uint8_t pk[32], const uint8_t *plain, size_t len, struct mem *out)
{
    struct cs_age_enc *e;
    memset(out, 0, sizeof(*out));
    assert_int_equal(cs_age_enc_new(&e, pk, mem_write, out), 0);
    /* In pieces that do not line up with the chunks. */
    for (size_t off = 0; off < len;) {
        size_t n = len - off < 10007 ? len - off : 10007;
        assert_int_equal(cs_age_enc_write(e, plain + off, n), 0);
        off += n;
    }
    assert_int_equal(cs_age_enc_finish(e), 0);
    assert_int_equal(cs_age_enc_write(e, plain, 0), CS_EINVAL);
    cs_age_enc_free(e);
}

/* Decrypts m with sk: 0 and the plaintext in *out (*outlen), or the first error. */
static int
decrypt(const uint8_t sk[32], struct mem *m, uint8_t **out, size_t *outlen)
{
    struct cs_age_dec *d;
    char err[256] = "";
    const uint8_t *chunk;
    size_t n;
    m->rpos = 0;
    *out = NULL;
    *outlen = 0;
    int ret = cs_age_dec_new(&d, sk, mem_read, m, err, sizeof(err));
    if (ret != 0) {
        assert_true(err[0] != 0);
        return ret;
    }
    for (;;) {
        if ((ret = cs_age_dec_read(d, &chunk, &n, err, sizeof(err))) != 0) {
            assert_true(err[0] != 0);
            break;
        }
        if (n == 0)
            break;
        *out = realloc(*out, *outlen + n);
        memcpy(*out + *outlen, chunk, n);
        *outlen += n;
    }
    cs_age_dec_free(d);
    return ret;
}

static size_t
header_len(const struct mem *m)
{
    const uint8_t *mac = memmem(m->p, m->n, "\n--- ", 5);
    assert_non_null(mac);
    return (size_t)(mac - m->p) + 5 + 43 + 1;
}

static void
test_round_trips(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 200000};
    uint8_t sk[32], pk[32], *plain = malloc(200000), *back;
    size_t n;
    cs_age_keygen(sk, pk);
    randombytes_buf(plain, 200000);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct mem m;
        encrypt(pk, plain, sizes[i], &m);
        size_t chunks = sizes[i] == 0 ? 1 : (sizes[i] + 65535) / 65536;
        assert_int_equal(m.n, header_len(&m) + 16 + sizes[i] + 16 * chunks);
        assert_int_equal(decrypt(sk, &m, &back, &n), 0);
        assert_int_equal(n, sizes[i]);
        if (n > 0)
            assert_memory_equal(back, plain, n);
        free(back);
        free(m.p);
    }
    free(plain);
}

/* Every region changed, the file cut or extended, another key: each refused with its code. */
static void
test_tampering(void **state)
{
    (void)state;
    uint8_t sk[32], pk[32], sk2[32], pk2[32], *plain = malloc(200000), *back;
    size_t n;
    struct mem m;
    cs_age_keygen(sk, pk);
    cs_age_keygen(sk2, pk2);
    randombytes_buf(plain, 200000);
    encrypt(pk, plain, 200000, &m);
    size_t hl = header_len(&m);
    const uint8_t *stanza = memmem(m.p, m.n, "-> X25519 ", 10);
    size_t st = (size_t)(stanza - m.p);
    /*
     * b64: a character of random base64 text, changed into another base64
     * character (a flipped bit could make it no base64 at all, refused as
     * malformed before the key is tried).
     */
    struct {
        size_t off;
        int code, b64;
    } flips[] = {
        {0, CS_EVERSION, 0},         /* the version line */
        {20, CS_EVERSION, 0},        /* its "v1" */
        {st + 3, CS_EMALFORMED, 0},  /* the stanza type: unknown, so no stanza for us... */
        {st + 12, CS_ERECIPIENT, 1}, /* the ephemeral share */
        {st + 10 + 43 + 1 + 5, CS_ERECIPIENT, 1}, /* the wrapped file key */
        {hl - 10, CS_EDECRYPT, 1},                /* the MAC */
        {hl + 3, CS_EDECRYPT, 0},                 /* the payload nonce: every chunk fails */
        {hl + 16 + 100, CS_EDECRYPT, 0},          /* the first chunk */
        {hl + 16 + 65552 + 7, CS_EDECRYPT, 0},    /* the second */
        {m.n - 1, CS_EDECRYPT, 0},                /* the last chunk's tag */
    };
    for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
        uint8_t was = m.p[flips[i].off];
        m.p[flips[i].off] = flips[i].b64 ? (uint8_t)(was == 'A' ? 'B' : 'A') : was ^ 0x01;
        int ret = decrypt(sk, &m, &back, &n);
        m.p[flips[i].off] = was;
        free(back);
        /* "X25519" with a bit changed is another type: ignored, so nothing opens. */
        if (flips[i].off == st + 3)
            assert_int_equal(ret, CS_ERECIPIENT);
        else
            assert_int_equal(ret, flips[i].code);
    }
    /* Cut: after the header, within the nonce, at a chunk boundary, inside the last chunk. */
    size_t full = m.n;
    size_t cuts[] = {hl, hl + 8, hl + 16, hl + 16 + 65552, hl + 16 + 2 * 65552, full - 1};
    int cut_codes[] = {CS_ETRUNCATED, CS_ETRUNCATED, CS_ETRUNCATED,
                       CS_ETRUNCATED, CS_ETRUNCATED, CS_EDECRYPT};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        m.n = cuts[i];
        int ret = decrypt(sk, &m, &back, &n);
        free(back);
        /* A cut at a chunk boundary leaves a full chunk that fails as the last one. */
        if (cuts[i] == hl + 16 + 65552 || cuts[i] == hl + 16 + 2 * 65552)
            assert_int_equal(ret, CS_EDECRYPT);
        else
            assert_int_equal(ret, cut_codes[i]);
    }
    m.n = full;
    /* A byte appended: the last chunk is read as a full one, and the rest is refused. */
    mem_write(&m, (const uint8_t *)"x", 1);
    assert_int_equal(decrypt(sk, &m, &back, &n), CS_EDECRYPT);
    free(back);
    m.n = full;
    /* The wrong key. */
    assert_int_equal(decrypt(sk2, &m, &back, &n), CS_ERECIPIENT);
    free(back);
    /* The share's last character changed in its padding bits only: non-canonical base64. */
    size_t last = st + 10 + 42;
    char c = (char)m.p[last];
    m.p[last] = (uint8_t)(c ^ 1);
    assert_int_equal(decrypt(sk, &m, &back, &n), CS_EMALFORMED);
    free(back);
    m.p[last] = (uint8_t)c;
    /* Something else entirely. */
    struct mem junk = {(uint8_t *)"SQLite format 3", 15, 15, 0};
    assert_int_equal(decrypt(sk, &junk, &back, &n), CS_EVERSION);
    free(back);
    free(m.p);
    free(plain);
}

/*
 * An age file put together here from the spec's formulas, with a chosen
 * chunk layout and flags our writer never makes, and optionally another
 * recipient's stanza (three body lines) ahead of ours.
 */
static void
craft(const uint8_t pk[32], const uint8_t *plain, const size_t *sizes, const int *last, size_t n,
      int other_stanza, struct mem *out)
{
    uint8_t file_key[16], eph[32], share[32], shared[32], salt[64], k[32], body[32];
    uint8_t mac[32], hk[32], nonce[16], pk_key[32], cn[12], zero[12] = {0};
    char hdr[1024], s64[48], b64[48], m64[48];
    static const char info_x[] = "age-encryption.org/v1/X25519";
    size_t h = 0;

    memset(out, 0, sizeof(*out));
    randombytes_buf(file_key, sizeof(file_key));
    randombytes_buf(eph, sizeof(eph));
    assert_int_equal(crypto_scalarmult_base(share, eph), 0);
    assert_int_equal(crypto_scalarmult(shared, eph, pk), 0);
    memcpy(salt, share, 32);
    memcpy(salt + 32, pk, 32);
    assert_int_equal(
        cs__hkdf_sha256(k, 32, salt, 64, shared, 32, (const uint8_t *)info_x, sizeof(info_x) - 1),
        0);
    crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key, 16, NULL, 0, NULL, zero, k);
    sodium_bin2base64(s64, sizeof(s64), share, 32, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    sodium_bin2base64(b64, sizeof(b64), body, 32, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    h += (size_t)snprintf(hdr + h, sizeof(hdr) - h, "age-encryption.org/v1\n");
    if (other_stanza)
        h += (size_t)snprintf(hdr + h, sizeof(hdr) - h,
                              "-> example.com/enigma Zm9v 42\n%s%s\n%s%s\nYmFy\n", s64,
                              "AAAAAAAAAAAAAAAAAAAAA", b64, "AAAAAAAAAAAAAAAAAAAAA");
    h += (size_t)snprintf(hdr + h, sizeof(hdr) - h, "-> X25519 %s\n%s\n---", s64, b64);
    assert_int_equal(cs__hkdf_sha256(hk, 32, NULL, 0, file_key, 16, (const uint8_t *)"header", 6),
                     0);
    crypto_auth_hmacsha256(mac, (const uint8_t *)hdr, h, hk);
    sodium_bin2base64(m64, sizeof(m64), mac, 32, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    h += (size_t)snprintf(hdr + h, sizeof(hdr) - h, " %s\n", m64);
    mem_write(out, (const uint8_t *)hdr, h);
    randombytes_buf(nonce, sizeof(nonce));
    mem_write(out, nonce, sizeof(nonce));
    assert_int_equal(
        cs__hkdf_sha256(pk_key, 32, nonce, 16, file_key, 16, (const uint8_t *)"payload", 7), 0);
    uint8_t *ct = malloc(65536 + 16);
    for (size_t i = 0, off = 0; i < n; off += sizes[i], i++) {
        memset(cn, 0, sizeof(cn));
        cn[10] = (uint8_t)i;
        cn[11] = (uint8_t)last[i];
        unsigned long long clen;
        crypto_aead_chacha20poly1305_ietf_encrypt(ct, &clen, plain + off, sizes[i], NULL, 0, NULL,
                                                  cn, pk_key);
        mem_write(out, ct, (size_t)clen);
    }
    free(ct);
}

/* Chunk layouts only a hand-made file has, and a header with a stanza for someone else. */
static void
test_crafted(void **state)
{
    (void)state;
    uint8_t sk[32], pk[32], *plain = malloc(2 * 65536), *back;
    size_t n;
    struct mem m;
    cs_age_keygen(sk, pk);
    randombytes_buf(plain, 2 * 65536);

    /* A full chunk, then the final one: read back as it was, past the other stanza too. */
    size_t ok_sizes[] = {65536, 100};
    int ok_last[] = {0, 1};
    for (int other = 0; other < 2; other++) {
        craft(pk, plain, ok_sizes, ok_last, 2, other, &m);
        assert_int_equal(decrypt(sk, &m, &back, &n), 0);
        assert_int_equal(n, 65636);
        assert_memory_equal(back, plain, n);
        free(back);
        free(m.p);
    }
    /* An empty final chunk after a full one: the spec forbids it. */
    size_t empty_sizes[] = {65536, 0};
    craft(pk, plain, empty_sizes, ok_last, 2, 0, &m);
    assert_int_equal(decrypt(sk, &m, &back, &n), CS_EMALFORMED);
    free(back);
    free(m.p);
    /* No final chunk at all: the stream ends after a non-final one. */
    size_t one[] = {100};
    int not_last[] = {0};
    craft(pk, plain, one, not_last, 1, 0, &m);
    assert_int_equal(decrypt(sk, &m, &back, &n), CS_EDECRYPT);
    free(back);
    free(m.p);
    size_t two[] = {65536, 65536};
    int both_nonfinal[] = {0, 0};
    craft(pk, plain, two, both_nonfinal, 2, 0, &m);
    assert_int_equal(decrypt(sk, &m, &back, &n), CS_EDECRYPT);
    free(back);
    free(m.p);
    /* A chunk marked final with another after it. */
    int first_final[] = {1, 1};
    craft(pk, plain, ok_sizes, first_final, 2, 0, &m);
    assert_int_equal(decrypt(sk, &m, &back, &n), CS_EDECRYPT);
    free(back);
    free(m.p);
    free(plain);
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hkdf_rfc5869), cmocka_unit_test(test_bech32_bip173),
        cmocka_unit_test(test_spec_keys),    cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_tampering),    cmocka_unit_test(test_crafted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
