/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for envelopes: round trips and header info, the zstd flag, and
 * above all refusal. Every single-byte change, every truncation and a
 * trailing byte must fail; so must a re-labelled or re-signed envelope. The
 * hostile cases that need a valid signature and tag over a bad header (bomb,
 * unknown version or flag) are built by forge(), a test-only sealer written
 * straight from the layout in cellsync/envelope.h with libsodium and zstd.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zstd.h>

#include "cellsync/envelope.h"
#include "cellsync/error.h"
#include "cellsync/key.h"
#include "internal.h"

/* Must match envelope.c: a change here is a format change. */
#define KDF_DOMAIN   "cellsync envelope v1"
#define OFF_FLAGS    4
#define OFF_ORIGIN   8
#define OFF_SEQ_LAST 64
#define OFF_EPH      80

static struct cs_key *origin;    /* the device that seals */
static struct cs_key *recipient; /* the hub it seals to */
static struct cs_key *other;     /* a third party, not the recipient */
static struct cs_key *attacker;  /* anyone: the recipient's public key is public */

/* The Ed25519 identity point: small order, no usable X25519 form. */
static const uint8_t low_order_pk[CS_PK_LEN] = {1};

static int
group_setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    if (cs_key_generate(&origin) < 0 || cs_key_generate(&recipient) < 0 ||
        cs_key_generate(&other) < 0 || cs_key_generate(&attacker) < 0)
        return -1;
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    cs_key_free(origin);
    cs_key_free(recipient);
    cs_key_free(other);
    cs_key_free(attacker);
    return 0;
}

/* Text-like bytes: compressible, but not trivially. */
static uint8_t *
make_text(size_t len)
{
    static const char *const words[] = {
        "cell ",      "member ",   "dues ", "meeting ", "2024-05-01 ",
        "secretary ", "district ", "paid ", "\n",
    };
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    uint32_t r = 12345;
    size_t n = 0;
    while (n < len) {
        /* ZX81's generator: the same text every run, and no arithmetic wraps. */
        r = (r * 75 + 74) % 65537;
        const char *w = words[r % (sizeof(words) / sizeof(words[0]))];
        for (size_t i = 0; w[i] != '\0' && n < len; i++)
            p[n++] = (uint8_t)w[i];
    }
    return p;
}

static uint8_t *
make_random(size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    randombytes_buf(p, len);
    return p;
}

/* A copy in a buffer of exactly len bytes, so ASan sees any read past the end. */
static uint8_t *
dup_exact(const uint8_t *p, size_t len)
{
    uint8_t *q = malloc(len ? len : 1);
    assert_non_null(q);
    if (len > 0)
        memcpy(q, p, len);
    return q;
}

/* Opens with recipient, expecting failure code want (0: any failure), and *plain NULL. */
static int
expect_refused(const uint8_t *env, size_t len, int want)
{
    uint8_t *plain = (uint8_t *)&plain;
    size_t plain_len = 99;
    struct cs_envelope_info info;
    int ret = cs_envelope_open(recipient, env, len, &plain, &plain_len, &info);
    if (ret >= 0 || (want != 0 && ret != want))
        fail_msg("expected %s, got %s", want ? cs_err_name(want) : "a failure", cs_err_name(ret));
    assert_null(plain);
    assert_int_equal(plain_len, 0);
    return ret;
}

/* Rewrites the origin pk and the signature: what anyone holding a key can do. */
static void
resign(uint8_t *env, size_t len, const struct cs_key *signer)
{
    memcpy(env + OFF_ORIGIN, cs_key_pk(signer), CS_PK_LEN);
    cs_key_sign(signer, env + len - CS_SIG_LEN, env, len - CS_SIG_LEN);
}

struct forge {
    uint8_t version;
    uint8_t flags;
    uint8_t reserved[3];
    uint64_t seq_first;
    uint64_t seq_last;
    uint32_t plain_size; /* declared, whatever the body holds */
    const uint8_t *body; /* encrypted as is */
    size_t body_size;
};

static void
forge_init(struct forge *f, const uint8_t *body, size_t body_size, uint32_t plain_size,
           uint8_t flags)
{
    memset(f, 0, sizeof(*f));
    f->version = CS_ENVELOPE_FORMAT;
    f->flags = flags;
    f->seq_first = 1;
    f->seq_last = 2;
    f->plain_size = plain_size;
    f->body = body;
    f->body_size = body_size;
}

/*
 * A test-only sealer: an envelope with a valid tag and signature (by signer)
 * over whatever header f describes. OUT: malloc'd, caller frees.
 */
static uint8_t *
forge(const struct cs_key *signer, const uint8_t rcpt_pk[CS_PK_LEN], const struct forge *f,
      size_t *len)
{
    uint8_t rcpt_x[32], eph_pk[32], eph_sk[32], shared[32], okm[64];
    struct cs_id rid;

    assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(rcpt_x, rcpt_pk), 0);
    crypto_box_keypair(eph_pk, eph_sk);
    assert_int_equal(crypto_scalarmult(shared, eph_sk, rcpt_x), 0);
    crypto_generichash_state st;
    crypto_generichash_init(&st, (const uint8_t *)KDF_DOMAIN, strlen(KDF_DOMAIN), sizeof(okm));
    crypto_generichash_update(&st, shared, 32);
    crypto_generichash_update(&st, eph_pk, 32);
    crypto_generichash_update(&st, rcpt_x, 32);
    crypto_generichash_final(&st, okm, sizeof(okm));

    size_t total = CS_ENVELOPE_HEADER + f->body_size + 16 + CS_SIG_LEN;
    uint8_t *env = calloc(1, total);
    assert_non_null(env);
    memcpy(env, "CSE", 3);
    env[3] = f->version;
    env[4] = f->flags;
    memcpy(env + 5, f->reserved, 3);
    memcpy(env + 8, cs_key_pk(signer), CS_PK_LEN);
    cs_pk_id(rcpt_pk, &rid);
    memcpy(env + 40, rid.b, 16);
    cs__put_le64(env + 56, f->seq_first);
    cs__put_le64(env + 64, f->seq_last);
    cs__put_le32(env + 72, f->plain_size);
    cs__put_le32(env + 76, (uint32_t)f->body_size);
    memcpy(env + 80, eph_pk, 32);
    static const uint8_t empty[1];
    assert_int_equal(crypto_aead_xchacha20poly1305_ietf_encrypt(
                         env + CS_ENVELOPE_HEADER, NULL, f->body ? f->body : empty, f->body_size,
                         env, CS_ENVELOPE_HEADER, NULL, okm + 32, okm),
                     0);
    cs_key_sign(signer, env + total - CS_SIG_LEN, env, total - CS_SIG_LEN);
    *len = total;
    return env;
}

/* Forges an envelope from f (signed by origin, to recipient): it must be refused with want. */
static void
expect_forged_refused(const struct forge *f, int want)
{
    size_t len = 0;
    uint8_t *env = forge(origin, cs_key_pk(recipient), f, &len);
    expect_refused(env, len, want);
    free(env);
}

/* A real envelope (seqs 1 to 5, origin to recipient) of 300 bytes of text. OUT: caller frees. */
static uint8_t *
sealed_text(size_t *len)
{
    uint8_t *text = make_text(300);
    uint8_t *env = NULL;
    assert_int_equal(cs_envelope_seal(origin, cs_key_pk(recipient), 1, 5, text, 300, &env, len), 0);
    free(text);
    return env;
}

/* OUT: a zstd frame of plain, malloc'd. */
static uint8_t *
zstd_frame(const uint8_t *plain, size_t plain_len, size_t *len)
{
    size_t bound = ZSTD_compressBound(plain_len);
    uint8_t *z = malloc(bound);
    assert_non_null(z);
    size_t c = ZSTD_compress(z, bound, plain, plain_len, 3);
    assert_false(ZSTD_isError(c));
    *len = c;
    return z;
}

static void
test_roundtrip_and_info(void **state)
{
    (void)state;
    const size_t n = 5000;
    uint8_t *plain = make_text(n);
    uint8_t *env = NULL, *back = NULL;
    size_t len = 0, back_len = 0;
    struct cs_envelope_info info, peek;
    struct cs_id rid;

    assert_int_equal(cs_envelope_seal(origin, cs_key_pk(recipient), 17, 42, plain, n, &env, &len),
                     0);
    assert_int_equal(cs_envelope_open(recipient, env, len, &back, &back_len, &info), 0);
    assert_int_equal(back_len, n);
    assert_memory_equal(back, plain, n);

    cs_key_id(recipient, &rid);
    assert_memory_equal(info.origin_pk, cs_key_pk(origin), CS_PK_LEN);
    assert_memory_equal(info.recipient.b, rid.b, CS_ID_LEN);
    assert_int_equal(info.seq_first, 17);
    assert_int_equal(info.seq_last, 42);
    assert_int_equal(info.plain_size, n);
    assert_int_equal(len, CS_ENVELOPE_OVERHEAD + info.body_size);

    /* peek reads the same header without a key. */
    assert_int_equal(cs_envelope_peek(env, len, &peek), 0);
    assert_memory_equal(peek.origin_pk, info.origin_pk, CS_PK_LEN);
    assert_memory_equal(peek.recipient.b, info.recipient.b, CS_ID_LEN);
    assert_true(peek.seq_first == info.seq_first && peek.seq_last == info.seq_last);
    assert_true(peek.plain_size == info.plain_size && peek.body_size == info.body_size);
    assert_int_equal(peek.flags, info.flags);
    /* info is optional. */
    free(back);
    assert_int_equal(cs_envelope_open(recipient, env, len, &back, &back_len, NULL), 0);
    assert_memory_equal(back, plain, n);

    /* Full 64-bit sequence numbers survive. */
    free(env);
    assert_int_equal(cs_envelope_seal(origin, cs_key_pk(recipient), UINT64_MAX - 1, UINT64_MAX,
                                      plain, 10, &env, &len),
                     0);
    assert_int_equal(cs_envelope_peek(env, len, &peek), 0);
    assert_true(peek.seq_first == UINT64_MAX - 1);
    assert_true(peek.seq_last == UINT64_MAX);

    free(back);
    free(env);
    free(plain);
}

static void
test_compression_flag(void **state)
{
    (void)state;
    const size_t n = 8192;
    uint8_t *text = make_text(n);
    uint8_t *noise = make_random(n);
    uint8_t *env = NULL, *back = NULL;
    size_t len = 0, back_len = 0;
    struct cs_envelope_info info;

    assert_int_equal(cs_envelope_seal(origin, cs_key_pk(recipient), 1, 1, text, n, &env, &len), 0);
    assert_int_equal(cs_envelope_peek(env, len, &info), 0);
    assert_int_equal(info.flags, CS_ENVELOPE_F_ZSTD);
    assert_true(info.body_size < n / 2);
    assert_true(len < n);
    assert_int_equal(cs_envelope_open(recipient, env, len, &back, &back_len, NULL), 0);
    assert_int_equal(back_len, n);
    assert_memory_equal(back, text, n);
    free(env);
    free(back);

    /* Random bytes do not shrink: sent as they are, overhead exactly CS_ENVELOPE_OVERHEAD. */
    assert_int_equal(cs_envelope_seal(origin, cs_key_pk(recipient), 1, 1, noise, n, &env, &len), 0);
    assert_int_equal(cs_envelope_peek(env, len, &info), 0);
    assert_int_equal(info.flags, 0);
    assert_int_equal(info.body_size, n);
    assert_int_equal(len, n + CS_ENVELOPE_OVERHEAD);
    assert_int_equal(CS_ENVELOPE_OVERHEAD, 192);
    assert_int_equal(cs_envelope_open(recipient, env, len, &back, &back_len, NULL), 0);
    assert_int_equal(back_len, n);
    assert_memory_equal(back, noise, n);
    free(env);
    free(back);

    free(text);
    free(noise);
}

static void
test_empty_plain(void **state)
{
    (void)state;
    uint8_t *env = NULL, *back = NULL;
    size_t len = 0, back_len = 99;
    struct cs_envelope_info info;
    static const uint8_t one[1] = {'x'};

    assert_int_equal(cs_envelope_seal(origin, cs_key_pk(recipient), 3, 3, NULL, 0, &env, &len), 0);
    assert_int_equal(len, CS_ENVELOPE_OVERHEAD);
    assert_int_equal(cs_envelope_open(recipient, env, len, &back, &back_len, &info), 0);
    /* A real (empty) buffer, so callers can free it like any other. */
    assert_non_null(back);
    assert_int_equal(back_len, 0);
    assert_int_equal(info.plain_size, 0);
    assert_int_equal(info.body_size, 0);
    assert_int_equal(info.flags, 0);
    free(back);
    free(env);

    /* A non-NULL pointer with length 0 is the same thing. */
    assert_int_equal(cs_envelope_seal(origin, cs_key_pk(recipient), 3, 3, one, 0, &env, &len), 0);
    assert_int_equal(len, CS_ENVELOPE_OVERHEAD);
    free(env);
}

/* Every byte, two different bit flips: no envelope survives a change anywhere. */
static void
flip_every_byte(const uint8_t *plain, size_t n, uint8_t want_flags)
{
    uint8_t *env = NULL;
    size_t len = 0;
    struct cs_envelope_info info;

    assert_int_equal(cs_envelope_seal(origin, cs_key_pk(recipient), 9, 11, plain, n, &env, &len),
                     0);
    assert_int_equal(cs_envelope_peek(env, len, &info), 0);
    assert_int_equal(info.flags, want_flags);
    static const uint8_t masks[] = {0x01, 0x80};
    for (size_t m = 0; m < sizeof(masks); m++) {
        for (size_t i = 0; i < len; i++) {
            uint8_t *bad = dup_exact(env, len);
            bad[i] ^= masks[m];
            expect_refused(bad, len, 0);
            free(bad);
        }
    }
    /* And the unmodified one still opens. */
    uint8_t *back = NULL;
    size_t back_len = 0;
    assert_int_equal(cs_envelope_open(recipient, env, len, &back, &back_len, NULL), 0);
    assert_int_equal(back_len, n);
    assert_memory_equal(back, plain, n);
    free(back);
    free(env);
}

static void
test_flip_every_byte(void **state)
{
    (void)state;
    uint8_t *text = make_text(300);
    uint8_t *noise = make_random(300);
    flip_every_byte(text, 300, CS_ENVELOPE_F_ZSTD);
    flip_every_byte(noise, 300, 0);
    free(text);
    free(noise);
}

static void
test_truncate_every_length(void **state)
{
    (void)state;
    size_t len = 0;
    struct cs_envelope_info info;
    uint8_t *env = sealed_text(&len);
    for (size_t n = 0; n < len; n++) {
        uint8_t *cut = dup_exact(env, n);
        int ret = expect_refused(cut, n, CS_ETRUNCATED);
        assert_int_equal(cs_envelope_peek(cut, n, &info), ret);
        free(cut);
    }
    free(env);
}

static void
test_trailing_byte(void **state)
{
    (void)state;
    size_t len = 0;
    struct cs_envelope_info info;
    uint8_t *env = sealed_text(&len);
    uint8_t *longer = malloc(len + 1);
    assert_non_null(longer);
    memcpy(longer, env, len);
    longer[len] = 0;
    expect_refused(longer, len + 1, CS_ETRAILING);
    assert_int_equal(cs_envelope_peek(longer, len + 1, &info), CS_ETRAILING);
    /* Two envelopes back to back are not one envelope either. */
    uint8_t *twice = malloc(2 * len);
    assert_non_null(twice);
    memcpy(twice, env, len);
    memcpy(twice + len, env, len);
    expect_refused(twice, 2 * len, CS_ETRAILING);
    free(twice);
    free(longer);
    free(env);
}

static void
test_wrong_recipient(void **state)
{
    (void)state;
    uint8_t *back = (uint8_t *)&back;
    size_t len = 0, back_len = 0;
    uint8_t *env = sealed_text(&len);
    assert_int_equal(cs_envelope_open(other, env, len, &back, &back_len, NULL), CS_ERECIPIENT);
    assert_null(back);
    /* Not even the sender can open what it sealed to someone else. */
    assert_int_equal(cs_envelope_open(origin, env, len, &back, &back_len, NULL), CS_ERECIPIENT);
    assert_null(back);
    free(env);
}

/*
 * An attacker takes a real envelope, changes seq_last and signs it as
 * itself. The signature now verifies (under the attacker's key), but the
 * header is the AEAD's additional data, so the body no longer decrypts: the
 * attacker cannot claim or re-label someone else's change set.
 */
static void
test_resigned_by_attacker(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *env = sealed_text(&len);
    uint8_t *bad = dup_exact(env, len);
    cs__put_le64(bad + OFF_SEQ_LAST, 500);
    resign(bad, len, attacker);
    struct cs_envelope_info info;
    assert_int_equal(cs_envelope_peek(bad, len, &info), 0);
    assert_memory_equal(info.origin_pk, cs_key_pk(attacker), CS_PK_LEN);
    expect_refused(bad, len, CS_EDECRYPT);
    free(bad);

    /* Re-signed by the attacker but still naming the real origin: the signature fails. */
    bad = dup_exact(env, len);
    cs__put_le64(bad + OFF_SEQ_LAST, 500);
    cs_key_sign(attacker, bad + len - CS_SIG_LEN, bad, len - CS_SIG_LEN);
    expect_refused(bad, len, CS_ESIGNATURE);
    free(bad);

    /* Unchanged header re-signed by the attacker: still the real origin's AD, still refused. */
    bad = dup_exact(env, len);
    resign(bad, len, attacker);
    expect_refused(bad, len, CS_EDECRYPT);
    free(bad);

    free(env);
}

/*
 * Anyone can seal a fresh envelope to the recipient's public key. It opens,
 * and info.origin_pk names the attacker, not the device it might claim to be:
 * callers must match the origin against who they expect.
 */
static void
test_forged_opens_only_as_attacker(void **state)
{
    (void)state;
    static const uint8_t plain[] = "attacker's change set";
    struct forge f;
    size_t len = 0, back_len = 0;
    uint8_t *back = NULL;
    struct cs_envelope_info info;

    forge_init(&f, plain, sizeof(plain), sizeof(plain), 0);
    f.seq_last = 1000;
    uint8_t *env = forge(attacker, cs_key_pk(recipient), &f, &len);
    assert_int_equal(cs_envelope_open(recipient, env, len, &back, &back_len, &info), 0);
    assert_memory_equal(info.origin_pk, cs_key_pk(attacker), CS_PK_LEN);
    assert_memory_not_equal(info.origin_pk, cs_key_pk(origin), CS_PK_LEN);
    assert_int_equal(info.seq_last, 1000);
    assert_memory_equal(back, plain, sizeof(plain));
    free(back);

    /* Claiming to be the origin needs the origin's signature. */
    memcpy(env + OFF_ORIGIN, cs_key_pk(origin), CS_PK_LEN);
    expect_refused(env, len, CS_ESIGNATURE);
    free(env);
}

static void
test_origin_swapped_without_resign(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *env = sealed_text(&len);
    memcpy(env + OFF_ORIGIN, cs_key_pk(other), CS_PK_LEN);
    expect_refused(env, len, CS_ESIGNATURE);
    /* A small-order origin key never verifies anything. */
    memcpy(env + OFF_ORIGIN, low_order_pk, CS_PK_LEN);
    expect_refused(env, len, CS_ESIGNATURE);
    free(env);
}

/* forge() must agree with the real sealer, or the hostile cases below prove nothing. */
static void
test_forge_matches_format(void **state)
{
    (void)state;
    uint8_t *text = make_text(4000);
    size_t zlen = 0, len = 0, back_len = 0;
    uint8_t *z = zstd_frame(text, 4000, &zlen);
    uint8_t *back = NULL;
    struct forge f;

    forge_init(&f, z, zlen, 4000, CS_ENVELOPE_F_ZSTD);
    uint8_t *env = forge(origin, cs_key_pk(recipient), &f, &len);
    assert_int_equal(cs_envelope_open(recipient, env, len, &back, &back_len, NULL), 0);
    assert_int_equal(back_len, 4000);
    assert_memory_equal(back, text, 4000);
    free(back);
    free(env);

    forge_init(&f, text, 4000, 4000, 0);
    env = forge(origin, cs_key_pk(recipient), &f, &len);
    assert_int_equal(cs_envelope_open(recipient, env, len, &back, &back_len, NULL), 0);
    assert_memory_equal(back, text, 4000);
    free(back);
    free(env);
    free(z);
    free(text);
}

/* 1 MiB of zeros is a few dozen bytes of zstd: the classic bomb shape. */
static void
test_bomb_declared_smaller(void **state)
{
    (void)state;
    const size_t real = 1u << 20;
    uint8_t *zeros = calloc(1, real);
    assert_non_null(zeros);
    size_t zlen = 0;
    uint8_t *z = zstd_frame(zeros, real, &zlen);
    assert_true(zlen < 1000);
    struct forge f;

    /* The frame says 1 MiB, the envelope 1000 bytes. */
    forge_init(&f, z, zlen, 1000, CS_ENVELOPE_F_ZSTD);
    expect_forged_refused(&f, CS_EBOMB);

    /* The frame says less than the envelope: corrupt, not a bomb. */
    forge_init(&f, z, zlen, (uint32_t)real + 1, CS_ENVELOPE_F_ZSTD);
    expect_forged_refused(&f, CS_ECOMPRESS);

    free(z);
    free(zeros);
}

/*
 * Both the envelope and the frame header claim 1000 bytes, but the blocks
 * hold 1 MiB. A window smaller than the content keeps the frame
 * multi-segment, so its declared size can be rewritten without touching
 * anything else; the decoder must run out of room in the 1000-byte buffer.
 */
static void
test_bomb_frame_header_lies(void **state)
{
    (void)state;
    const size_t real = 1u << 20;
    uint8_t *zeros = calloc(1, real);
    assert_non_null(zeros);
    size_t bound = ZSTD_compressBound(real);
    uint8_t *z = malloc(bound);
    assert_non_null(z);
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    assert_non_null(cctx);
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, 17)));
    size_t zlen = ZSTD_compress2(cctx, z, bound, zeros, real);
    assert_false(ZSTD_isError(zlen));
    ZSTD_freeCCtx(cctx);
    assert_true(zlen < 1000);

    /* Frame header: magic, descriptor, window byte (not single-segment), 4-byte size. */
    uint8_t fhd = z[4];
    assert_int_equal(fhd & 0x20, 0); /* not single segment */
    assert_int_equal(fhd & 0x03, 0); /* no dictionary id */
    assert_int_equal(fhd >> 6, 2);   /* 4-byte content size */
    assert_int_equal(cs__get_le32(z + 6), real);
    cs__put_le32(z + 6, 1000);
    assert_int_equal(ZSTD_getFrameContentSize(z, zlen), 1000);

    struct forge f;
    forge_init(&f, z, zlen, 1000, CS_ENVELOPE_F_ZSTD);
    expect_forged_refused(&f, CS_EBOMB);
    free(z);
    free(zeros);
}

static void
test_declared_over_limit(void **state)
{
    (void)state;
    uint8_t *text = make_text(4000);
    size_t zlen = 0, len = 0;
    uint8_t *z = zstd_frame(text, 4000, &zlen);
    struct forge f;

    forge_init(&f, z, zlen, CS_ENVELOPE_MAX_PLAIN + 1, CS_ENVELOPE_F_ZSTD);
    uint8_t *env = forge(origin, cs_key_pk(recipient), &f, &len);
    expect_refused(env, len, CS_ETOOBIG);
    struct cs_envelope_info info;
    assert_int_equal(cs_envelope_peek(env, len, &info), CS_ETOOBIG);
    free(env);

    forge_init(&f, z, zlen, UINT32_MAX, CS_ENVELOPE_F_ZSTD);
    expect_forged_refused(&f, CS_ETOOBIG);

    /* A body size beyond what could ever decompress to the limit, header only. */
    uint8_t hdr[CS_ENVELOPE_OVERHEAD] = {'C', 'S', 'E', CS_ENVELOPE_FORMAT, CS_ENVELOPE_F_ZSTD};
    cs__put_le32(hdr + 72, CS_ENVELOPE_MAX_PLAIN);
    cs__put_le32(hdr + 76, UINT32_MAX);
    assert_int_equal(cs_envelope_peek(hdr, sizeof(hdr), &info), CS_ETOOBIG);

    free(z);
    free(text);
}

/* Header fields no sealer writes, on a 10-byte body otherwise right, and the exact code. */
static const struct header_case {
    const char *name;
    uint8_t version; /* CS_ENVELOPE_FORMAT is right */
    uint8_t flags;
    int reserved;        /* the reserved byte set to 1, or -1 */
    uint32_t plain_size; /* 10 is right */
    int want;
} header_cases[] = {
    {"version 0", 0, 0, -1, 10, CS_EVERSION},
    {"version 2", 2, 0, -1, 10, CS_EVERSION},
    {"version 255", 0xff, 0, -1, 10, CS_EVERSION},
    {"flag 0x02", CS_ENVELOPE_FORMAT, 0x02, -1, 10, CS_EMALFORMED},
    {"flag 0x80", CS_ENVELOPE_FORMAT, 0x80, -1, 10, CS_EMALFORMED},
    {"flags 0x03", CS_ENVELOPE_FORMAT, 0x03, -1, 10, CS_EMALFORMED},
    {"reserved byte 0", CS_ENVELOPE_FORMAT, 0, 0, 10, CS_EMALFORMED},
    {"reserved byte 1", CS_ENVELOPE_FORMAT, 0, 1, 10, CS_EMALFORMED},
    {"reserved byte 2", CS_ENVELOPE_FORMAT, 0, 2, 10, CS_EMALFORMED},
    /* Uncompressed: body and plain sizes must agree. */
    {"plain size 9 of a body of 10", CS_ENVELOPE_FORMAT, 0, -1, 9, CS_EMALFORMED},
    /* The zstd flag on a body that did not shrink is not something a sealer makes. */
    {"zstd flag, body not smaller", CS_ENVELOPE_FORMAT, CS_ENVELOPE_F_ZSTD, -1, 10, CS_EMALFORMED},
};

static void
test_unknown_version_and_flags(void **state)
{
    (void)state;
    static const uint8_t plain[] = "0123456789";
    struct forge f;
    size_t len = 0;

    for (size_t i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]); i++) {
        const struct header_case *c = &header_cases[i];
        print_message("%s\n", c->name);
        forge_init(&f, plain, 10, c->plain_size, c->flags);
        f.version = c->version;
        if (c->reserved >= 0)
            f.reserved[c->reserved] = 1;
        expect_forged_refused(&f, c->want);
    }

    /* Wrong magic. */
    forge_init(&f, plain, 10, 10, 0);
    uint8_t *env = forge(origin, cs_key_pk(recipient), &f, &len);
    env[0] = 'X';
    expect_refused(env, len, CS_EMALFORMED);
    free(env);
}

static void
test_bad_zstd_bodies(void **state)
{
    (void)state;
    uint8_t *text = make_text(4000);
    size_t zlen = 0;
    uint8_t *z = zstd_frame(text, 2000, &zlen);
    struct forge f;

    /* A second frame after the first: every body byte must belong to the one frame. */
    assert_true(2 * zlen < 2000); /* else the header check would refuse it first */
    uint8_t *two = malloc(2 * zlen);
    assert_non_null(two);
    memcpy(two, z, zlen);
    memcpy(two + zlen, z, zlen);
    forge_init(&f, two, 2 * zlen, 2000, CS_ENVELOPE_F_ZSTD);
    expect_forged_refused(&f, CS_ECOMPRESS);
    free(two);

    /* A frame that does not state its size. */
    size_t bound = ZSTD_compressBound(4000);
    uint8_t *nz = malloc(bound);
    assert_non_null(nz);
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    assert_non_null(cctx);
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0)));
    size_t nzlen = ZSTD_compress2(cctx, nz, bound, text, 4000);
    assert_false(ZSTD_isError(nzlen));
    ZSTD_freeCCtx(cctx);
    assert_int_equal(ZSTD_getFrameContentSize(nz, nzlen), ZSTD_CONTENTSIZE_UNKNOWN);
    forge_init(&f, nz, nzlen, 4000, CS_ENVELOPE_F_ZSTD);
    expect_forged_refused(&f, CS_ECOMPRESS);
    free(nz);

    /* Not zstd at all. */
    forge_init(&f, text, 100, 4000, CS_ENVELOPE_F_ZSTD);
    expect_forged_refused(&f, CS_ECOMPRESS);

    /* A frame cut short. */
    forge_init(&f, z, zlen - 1, 2000, CS_ENVELOPE_F_ZSTD);
    expect_forged_refused(&f, CS_ECOMPRESS);

    free(z);
    free(text);
}

static void
test_low_order_ephemeral(void **state)
{
    (void)state;
    static const uint8_t plain[] = "0123456789";
    struct forge f;
    size_t len = 0;

    forge_init(&f, plain, 10, 10, 0);
    uint8_t *env = forge(origin, cs_key_pk(recipient), &f, &len);
    /* The X25519 point 0: correctly signed, but no key agreement with it means anything. */
    memset(env + OFF_EPH, 0, 32);
    resign(env, len, origin);
    expect_refused(env, len, CS_EDECRYPT);
    free(env);
}

static void
test_seeded_is_deterministic(void **state)
{
    (void)state;
    uint8_t seed_o[32], seed_r[32], eph[32];
    struct cs_key *o = NULL, *r = NULL;
    uint8_t *text = make_text(1000);
    uint8_t *a = NULL, *b = NULL, *c = NULL, *back = NULL;
    size_t alen = 0, blen = 0, clen = 0, back_len = 0;

    memset(seed_o, 1, sizeof(seed_o));
    memset(seed_r, 2, sizeof(seed_r));
    memset(eph, 3, sizeof(eph));
    assert_int_equal(cs_key_from_seed(&o, seed_o), 0);
    assert_int_equal(cs_key_from_seed(&r, seed_r), 0);
    assert_int_equal(cs__envelope_seal_seeded(o, cs_key_pk(r), 4, 8, text, 1000, eph, &a, &alen),
                     0);
    assert_int_equal(cs__envelope_seal_seeded(o, cs_key_pk(r), 4, 8, text, 1000, eph, &b, &blen),
                     0);
    assert_int_equal(alen, blen);
    assert_memory_equal(a, b, alen);

    /* Another ephemeral seed: another envelope, same contents. */
    eph[0] ^= 1;
    assert_int_equal(cs__envelope_seal_seeded(o, cs_key_pk(r), 4, 8, text, 1000, eph, &c, &clen),
                     0);
    assert_int_equal(alen, clen);
    assert_memory_not_equal(a, c, alen);
    assert_int_equal(cs_envelope_open(r, a, alen, &back, &back_len, NULL), 0);
    assert_memory_equal(back, text, 1000);
    free(back);
    assert_int_equal(cs_envelope_open(r, c, clen, &back, &back_len, NULL), 0);
    assert_memory_equal(back, text, 1000);
    free(back);

    /* The unseeded sealer never repeats itself. */
    free(a);
    free(b);
    assert_int_equal(cs_envelope_seal(o, cs_key_pk(r), 4, 8, text, 1000, &a, &alen), 0);
    assert_int_equal(cs_envelope_seal(o, cs_key_pk(r), 4, 8, text, 1000, &b, &blen), 0);
    assert_memory_not_equal(a, b, alen);

    free(a);
    free(b);
    free(c);
    free(text);
    cs_key_free(o);
    cs_key_free(r);
}

static void
test_seal_refuses(void **state)
{
    (void)state;
    uint8_t *env = (uint8_t *)&env;
    size_t len = 99;
    static const uint8_t plain[] = "x";

    /* Over the limit: refused before a byte is read or compressed. */
    uint8_t *big = calloc(1, (size_t)CS_ENVELOPE_MAX_PLAIN + 1);
    assert_non_null(big);
    assert_int_equal(cs_envelope_seal(origin, cs_key_pk(recipient), 1, 1, big,
                                      (size_t)CS_ENVELOPE_MAX_PLAIN + 1, &env, &len),
                     CS_ETOOBIG);
    assert_null(env);
    assert_int_equal(len, 0);

    /* Exactly the limit goes through and comes back. */
    uint8_t *back = NULL;
    size_t back_len = 0;
    assert_int_equal(cs_envelope_seal(origin, cs_key_pk(recipient), 1, 1, big,
                                      CS_ENVELOPE_MAX_PLAIN, &env, &len),
                     0);
    assert_int_equal(cs_envelope_open(recipient, env, len, &back, &back_len, NULL), 0);
    assert_int_equal(back_len, CS_ENVELOPE_MAX_PLAIN);
    assert_memory_equal(back, big, CS_ENVELOPE_MAX_PLAIN);
    free(back);
    free(env);
    free(big);

    /* No envelope to a key without an X25519 form. */
    env = (uint8_t *)&env;
    assert_int_equal(cs_envelope_seal(origin, low_order_pk, 1, 1, plain, 1, &env, &len),
                     CS_ECRYPTO);
    assert_null(env);
    assert_int_equal(cs_envelope_seal(origin, cs_key_pk(recipient), 1, 1, NULL, 1, &env, &len),
                     CS_EINVAL);
    assert_null(env);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_and_info),
        cmocka_unit_test(test_compression_flag),
        cmocka_unit_test(test_empty_plain),
        cmocka_unit_test(test_flip_every_byte),
        cmocka_unit_test(test_truncate_every_length),
        cmocka_unit_test(test_trailing_byte),
        cmocka_unit_test(test_wrong_recipient),
        cmocka_unit_test(test_resigned_by_attacker),
        cmocka_unit_test(test_forged_opens_only_as_attacker),
        cmocka_unit_test(test_origin_swapped_without_resign),
        cmocka_unit_test(test_forge_matches_format),
        cmocka_unit_test(test_bomb_declared_smaller),
        cmocka_unit_test(test_bomb_frame_header_lies),
        cmocka_unit_test(test_declared_over_limit),
        cmocka_unit_test(test_unknown_version_and_flags),
        cmocka_unit_test(test_bad_zstd_bodies),
        cmocka_unit_test(test_low_order_ephemeral),
        cmocka_unit_test(test_seeded_is_deterministic),
        cmocka_unit_test(test_seal_refuses),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
