/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for CPace (CPACE-RISTR255-SHA512). Every value of the draft's
 * ristretto255 vectors in tests/vectors/cpace-ristretto255-sha512.json is
 * checked (g, Ya, Yb, K both ways, ISK in both transcript modes, both
 * sid_outputs, the three scalar_mult_vfy cases), plus the draft's LEB128
 * vectors; then refusal (identity, bad encodings, bad arguments), the ISK
 * moving with every input, and two parties with fresh scalars that agree
 * exactly when their passwords do.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cellsync/cpace.h"
#include "cellsync/error.h"
#include "internal.h"

#define VEC_FILE "cpace-ristretto255-sha512.json"

static char *json; /* the vector file, NUL-terminated */

/*
 * The hex string of "key" found after "section" in the vector file (a key
 * in the file is unique within its section). A tiny reader for this one
 * flat file, not a JSON parser: it fails the test on anything unexpected.
 */
static void
vec(const char *section, const char *key, uint8_t *out, size_t len)
{
    char pat[128];
    snprintf(pat, sizeof(pat), "\"%s\"", section);
    const char *p = strstr(json, pat);
    assert_non_null(p);
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    p = strstr(p, pat);
    assert_non_null(p);
    p += strlen(pat);
    while (*p == ' ')
        p++;
    assert_int_equal(*p, '"');
    p++;
    const char *end = strchr(p, '"');
    assert_non_null(end);
    size_t got = 0;
    assert_int_equal(sodium_hex2bin(out, len, p, (size_t)(end - p), NULL, &got, NULL), 0);
    assert_int_equal(got, len);
}

/* Variable-length fields of the full run (PRS, CI, sid, ADa, ADb). */
struct field {
    uint8_t b[64];
    size_t n;
};

static void
vec_var(const char *key, struct field *f)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(json, pat);
    assert_non_null(p);
    p = strchr(p + strlen(pat), '"');
    assert_non_null(p);
    p++;
    const char *end = strchr(p, '"');
    assert_non_null(end);
    assert_int_equal(sodium_hex2bin(f->b, sizeof(f->b), p, (size_t)(end - p), NULL, &f->n, NULL),
                     0);
    assert_int_equal(f->n * 2, (size_t)(end - p));
}

#define RUN "G_Coffee25519"
#define PTS "G_Coffee25519_points"

/* The full run of the vector file. */
static struct field prs, ci, sid, ada, adb;
static uint8_t g[32], ya[32], yb[32], pa[32], pb[32], k[32];
static uint8_t isk_ir[64], isk_sy[64], sido_ir[64], sido_oc[64];

static int
group_setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    const char *dir = getenv("CS_VECTORS");
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/vectors", VEC_FILE);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    json = calloc(1, 1 << 16);
    size_t n = json ? fread(json, 1, (1 << 16) - 1, f) : 0;
    fclose(f);
    return n > 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
    (void)state;
    free(json);
    return 0;
}

static void
load_run(void)
{
    vec_var("PRS", &prs);
    vec_var("CI", &ci);
    vec_var("sid", &sid);
    vec_var("ADa", &ada);
    vec_var("ADb", &adb);
    vec(RUN, "g", g, 32);
    vec(RUN, "ya", ya, 32);
    vec(RUN, "yb", yb, 32);
    vec(RUN, "Ya", pa, 32);
    vec(RUN, "Yb", pb, 32);
    vec(RUN, "K", k, 32);
    vec(RUN, "ISK_IR", isk_ir, 64);
    vec(RUN, "ISK_SY", isk_sy, 64);
    vec(RUN, "sid_output_ir", sido_ir, 64);
    vec(RUN, "sid_output_oc", sido_oc, 64);
    /* The file is the draft's: its inputs are b'Password', b'ADa', b'ADb'. */
    assert_int_equal(prs.n, 8);
    assert_memory_equal(prs.b, "Password", 8);
    assert_memory_equal(ada.b, "ADa", 3);
    assert_memory_equal(adb.b, "ADb", 3);
}

static void
test_leb128(void **state)
{
    (void)state;
    /* Appendix "prepend_len test vectors": lengths 0, 4, 127, 128. */
    uint8_t b[10];
    assert_int_equal(cs__cpace_leb128(0, b), 1);
    assert_int_equal(b[0], 0x00);
    assert_int_equal(cs__cpace_leb128(4, b), 1);
    assert_int_equal(b[0], 0x04);
    assert_int_equal(cs__cpace_leb128(127, b), 1);
    assert_int_equal(b[0], 0x7f);
    assert_int_equal(cs__cpace_leb128(128, b), 2);
    assert_memory_equal(b, "\x80\x01", 2);
    assert_int_equal(cs__cpace_leb128(300, b), 2);
    assert_memory_equal(b, "\xac\x02", 2);
    assert_int_equal(cs__cpace_leb128(SIZE_MAX, b), (sizeof(size_t) * 8 + 6) / 7);
}

static void
test_vector_generator(void **state)
{
    (void)state;
    load_run();
    uint8_t out[32];
    assert_int_equal(cs_cpace_generator(prs.b, prs.n, ci.b, ci.n, sid.b, sid.n, out), 0);
    assert_memory_equal(out, g, 32);
}

static void
test_vector_shares(void **state)
{
    (void)state;
    load_run();
    uint8_t out[32];
    assert_int_equal(cs__cpace_start_scalar(g, ya, out), 0);
    assert_memory_equal(out, pa, 32);
    assert_int_equal(cs__cpace_start_scalar(g, yb, out), 0);
    assert_memory_equal(out, pb, 32);
}

static void
test_vector_k(void **state)
{
    (void)state;
    load_run();
    uint8_t out[32];
    assert_int_equal(cs__cpace_scalar_mult_vfy(ya, pb, out), 0);
    assert_memory_equal(out, k, 32);
    assert_int_equal(cs__cpace_scalar_mult_vfy(yb, pa, out), 0);
    assert_memory_equal(out, k, 32);
}

static void
test_vector_isk(void **state)
{
    (void)state;
    load_run();
    struct cs_cpace_share a = {pa, ada.b, ada.n}, b = {pb, adb.b, adb.n};
    uint8_t isk[64];

    /* Initiator-responder: A and B each from their own scalar. */
    assert_int_equal(cs_cpace_finish(ya, CS_CPACE_A, CS_CPACE_IR, sid.b, sid.n, &a, &b, isk), 0);
    assert_memory_equal(isk, isk_ir, 64);
    assert_int_equal(cs_cpace_finish(yb, CS_CPACE_B, CS_CPACE_IR, sid.b, sid.n, &a, &b, isk), 0);
    assert_memory_equal(isk, isk_ir, 64);

    /* Symmetric (ordered concatenation), both ways round: each party may
     * call itself A, which takes o_cat's other branch and the same bytes. */
    assert_int_equal(cs_cpace_finish(ya, CS_CPACE_A, CS_CPACE_OC, sid.b, sid.n, &a, &b, isk), 0);
    assert_memory_equal(isk, isk_sy, 64);
    assert_int_equal(cs_cpace_finish(yb, CS_CPACE_B, CS_CPACE_OC, sid.b, sid.n, &a, &b, isk), 0);
    assert_memory_equal(isk, isk_sy, 64);
    assert_int_equal(cs_cpace_finish(yb, CS_CPACE_A, CS_CPACE_OC, sid.b, sid.n, &b, &a, isk), 0);
    assert_memory_equal(isk, isk_sy, 64);
    assert_int_equal(cs_cpace_finish(ya, CS_CPACE_B, CS_CPACE_OC, sid.b, sid.n, &b, &a, isk), 0);
    assert_memory_equal(isk, isk_sy, 64);

    /* In the initiator-responder mode the order is not symmetric. */
    assert_int_equal(cs_cpace_finish(yb, CS_CPACE_A, CS_CPACE_IR, sid.b, sid.n, &b, &a, isk), 0);
    assert_memory_not_equal(isk, isk_ir, 64);
}

static void
test_vector_sid_output(void **state)
{
    (void)state;
    load_run();
    struct cs_cpace_share a = {pa, ada.b, ada.n}, b = {pb, adb.b, adb.n};
    uint8_t out[64];
    assert_int_equal(cs_cpace_sid_output(CS_CPACE_IR, &a, &b, out), 0);
    assert_memory_equal(out, sido_ir, 64);
    assert_int_equal(cs_cpace_sid_output(CS_CPACE_OC, &a, &b, out), 0);
    assert_memory_equal(out, sido_oc, 64);
    assert_int_equal(cs_cpace_sid_output(CS_CPACE_OC, &b, &a, out), 0);
    assert_memory_equal(out, sido_oc, 64);
}

static void
test_vector_scalar_mult_vfy(void **state)
{
    (void)state;
    uint8_t s[32], x[32], want[32], want_vfy[32], y1[32], y2[32], out[32];
    vec("Valid", "s", s, 32);
    vec("Valid", "X", x, 32);
    vec("Valid", "G.scalar_mult(s,decode(X))", want, 32);
    vec("Valid", "G.scalar_mult_vfy(s,X)", want_vfy, 32);
    vec(PTS, "Invalid Y1", y1, 32);
    vec(PTS, "Invalid Y2", y2, 32);

    assert_int_equal(cs__cpace_start_scalar(x, s, out), 0); /* G.scalar_mult */
    assert_memory_equal(out, want, 32);
    assert_int_equal(cs__cpace_scalar_mult_vfy(s, x, out), 0);
    assert_memory_equal(out, want_vfy, 32);

    /* Y1 does not decode, Y2 is the identity: both give G.I and an error. */
    static const uint8_t identity[32];
    memset(out, 0xaa, sizeof(out));
    assert_int_equal(cs__cpace_scalar_mult_vfy(s, y1, out), CS_EMALFORMED);
    assert_memory_equal(out, identity, 32);
    memset(out, 0xaa, sizeof(out));
    assert_int_equal(cs__cpace_scalar_mult_vfy(s, y2, out), CS_EMALFORMED);
    assert_memory_equal(out, identity, 32);
}

/* The peer's share refused by finish: ISK zeroed, CS_EMALFORMED. */
static void
assert_refused(const uint8_t bad[32])
{
    struct cs_cpace_share a = {pa, ada.b, ada.n}, b = {bad, adb.b, adb.n};
    uint8_t isk[64], zero[64] = {0};
    memset(isk, 0xaa, sizeof(isk));
    assert_int_equal(cs_cpace_finish(ya, CS_CPACE_A, CS_CPACE_IR, sid.b, sid.n, &a, &b, isk),
                     CS_EMALFORMED);
    assert_memory_equal(isk, zero, 64);
    b.y_pub = pb;
    a.y_pub = bad;
    memset(isk, 0xaa, sizeof(isk));
    assert_int_equal(cs_cpace_finish(yb, CS_CPACE_B, CS_CPACE_OC, sid.b, sid.n, &a, &b, isk),
                     CS_EMALFORMED);
    assert_memory_equal(isk, zero, 64);
}

static void
test_refuse_points(void **state)
{
    (void)state;
    load_run();
    uint8_t bad[32];

    vec(PTS, "Invalid Y1", bad, 32); /* negative field element */
    assert_refused(bad);
    memset(bad, 0, sizeof(bad)); /* the identity */
    assert_refused(bad);
    /* Non-canonical: p + 2 = 2^255 - 17 is even, nonnegative as an integer,
     * but not reduced; RFC 9496 decode refuses it. */
    memset(bad, 0xff, sizeof(bad));
    bad[0] = 0xef;
    bad[31] = 0x7f;
    assert_refused(bad);
    /* The valid share with the top bit set: not a canonical encoding. */
    memcpy(bad, pb, 32);
    bad[31] |= 0x80;
    assert_refused(bad);
    /* Every one-byte change of a share that still decodes moves ISK; the
     * ones that do not decode are refused; none gives the vector ISK. */
    for (size_t i = 0; i < 32; i++) {
        memcpy(bad, pb, 32);
        bad[i] ^= 0x02;
        struct cs_cpace_share a = {pa, ada.b, ada.n}, b = {bad, adb.b, adb.n};
        uint8_t isk[64];
        int rc = cs_cpace_finish(ya, CS_CPACE_A, CS_CPACE_IR, sid.b, sid.n, &a, &b, isk);
        assert_true(rc == 0 || rc == CS_EMALFORMED);
        assert_memory_not_equal(isk, isk_ir, 64);
    }
}

static void
test_isk_moves(void **state)
{
    (void)state;
    load_run();
    struct cs_cpace_share a = {pa, ada.b, ada.n}, b = {pb, adb.b, adb.n};
    uint8_t isk[64], isk2[64];

    /* A different PRS: B's generator and share move; neither side gets the
     * vector's ISK and the two disagree. */
    uint8_t g2[32], pb2[32];
    assert_int_equal(
        cs_cpace_generator((const uint8_t *)"Passwore", 8, ci.b, ci.n, sid.b, sid.n, g2), 0);
    assert_memory_not_equal(g2, g, 32);
    assert_int_equal(cs__cpace_start_scalar(g2, yb, pb2), 0);
    struct cs_cpace_share b2 = {pb2, adb.b, adb.n};
    assert_int_equal(cs_cpace_finish(ya, CS_CPACE_A, CS_CPACE_IR, sid.b, sid.n, &a, &b2, isk), 0);
    assert_int_equal(cs_cpace_finish(yb, CS_CPACE_B, CS_CPACE_IR, sid.b, sid.n, &a, &b2, isk2), 0);
    assert_memory_not_equal(isk, isk_ir, 64);
    assert_memory_not_equal(isk2, isk_ir, 64);
    assert_memory_not_equal(isk, isk2, 64);

    /* A tampered Yb that is still a group element: Yb + B. */
    uint8_t base[32], tampered[32];
    static const uint8_t one[32] = {1};
    assert_int_equal(crypto_scalarmult_ristretto255_base(base, one), 0);
    assert_int_equal(crypto_core_ristretto255_add(tampered, pb, base), 0);
    struct cs_cpace_share bt = {tampered, adb.b, adb.n};
    assert_int_equal(cs_cpace_finish(ya, CS_CPACE_A, CS_CPACE_IR, sid.b, sid.n, &a, &bt, isk), 0);
    assert_memory_not_equal(isk, isk_ir, 64);

    /* A's view of ADb, of the sid and of CI each change ISK. */
    struct cs_cpace_share bad_ad = {pb, (const uint8_t *)"ADc", 3};
    assert_int_equal(cs_cpace_finish(ya, CS_CPACE_A, CS_CPACE_IR, sid.b, sid.n, &a, &bad_ad, isk),
                     0);
    assert_memory_not_equal(isk, isk_ir, 64);
    assert_int_equal(cs_cpace_finish(ya, CS_CPACE_A, CS_CPACE_IR, sid.b, sid.n - 1, &a, &b, isk),
                     0);
    assert_memory_not_equal(isk, isk_ir, 64);
    assert_int_equal(cs_cpace_generator(prs.b, prs.n, ci.b, ci.n - 1, sid.b, sid.n, g2), 0);
    assert_memory_not_equal(g2, g, 32);

    /* Bad arguments. */
    assert_int_equal(cs_cpace_finish(ya, CS_CPACE_A, CS_CPACE_IR, NULL, 1, &a, &b, isk), CS_EINVAL);
    assert_int_equal(
        cs_cpace_finish(ya, CS_CPACE_A, (enum cs_cpace_mode)7, sid.b, sid.n, &a, &b, isk),
        CS_EINVAL);
    assert_int_equal(
        cs_cpace_finish(ya, (enum cs_cpace_role)2, CS_CPACE_IR, sid.b, sid.n, &a, &b, isk),
        CS_EINVAL);
    assert_int_equal(cs_cpace_finish(ya, CS_CPACE_A, CS_CPACE_IR, sid.b, sid.n, NULL, &b, isk),
                     CS_EINVAL);
    struct cs_cpace_share nul_ad = {pb, NULL, 3};
    assert_int_equal(cs_cpace_finish(ya, CS_CPACE_A, CS_CPACE_IR, sid.b, sid.n, &a, &nul_ad, isk),
                     CS_EINVAL);
    assert_int_equal(cs_cpace_generator(NULL, 1, NULL, 0, NULL, 0, g2), CS_EINVAL);
    assert_int_equal(cs_cpace_sid_output(CS_CPACE_IR, &a, NULL, isk), CS_EINVAL);
    uint8_t y[32], yp[32];
    assert_int_equal(cs_cpace_start(NULL, y, yp), CS_EINVAL);
}

/* One whole run between two parties with fresh scalars. */
static void
run(const char *pw_a, const char *pw_b, enum cs_cpace_mode mode, const uint8_t *ad_b,
    size_t ad_blen, uint8_t isk_a[64], uint8_t isk_b[64])
{
    static const uint8_t cid[] = "\x03hub\x06"
                                 "device"; /* lv_cat(hub, device) */
    uint8_t nonce[32];
    randombytes_buf(nonce, sizeof(nonce));

    uint8_t ga[32], gb[32], y_a[32], y_b[32], ya_pub[32], yb_pub[32];
    assert_int_equal(cs_cpace_generator((const uint8_t *)pw_a, strlen(pw_a), cid, sizeof(cid) - 1,
                                        nonce, sizeof(nonce), ga),
                     0);
    assert_int_equal(cs_cpace_generator((const uint8_t *)pw_b, strlen(pw_b), cid, sizeof(cid) - 1,
                                        nonce, sizeof(nonce), gb),
                     0);
    assert_int_equal(cs_cpace_start(ga, y_a, ya_pub), 0);
    assert_int_equal(cs_cpace_start(gb, y_b, yb_pub), 0);
    assert_true(crypto_core_ristretto255_is_valid_point(ya_pub));
    assert_false(sodium_is_zero(y_a, 32));
    assert_memory_not_equal(y_a, y_b, 32);

    struct cs_cpace_share a = {ya_pub, (const uint8_t *)"hub", 3}, b = {yb_pub, ad_b, ad_blen};
    assert_int_equal(cs_cpace_finish(y_a, CS_CPACE_A, mode, nonce, sizeof(nonce), &a, &b, isk_a),
                     0);
    assert_int_equal(cs_cpace_finish(y_b, CS_CPACE_B, mode, nonce, sizeof(nonce), &a, &b, isk_b),
                     0);
    sodium_memzero(y_a, sizeof(y_a));
    sodium_memzero(y_b, sizeof(y_b));
    sodium_memzero(ga, sizeof(ga));
    sodium_memzero(gb, sizeof(gb));
}

static void
test_two_parties(void **state)
{
    (void)state;
    uint8_t isk_a[64], isk_b[64];
    /* Passwords of any length: the zero padding stops at an empty pad. */
    static const char long_pw[] =
        "a password long enough that prepend_len(PRS) alone fills the first SHA-512 block "
        "of the generator string, so len_zpad is 0 and nothing else breaks";
    uint8_t long_ad[300];
    memset(long_ad, 'd', sizeof(long_ad));

    for (int i = 0; i < 20; i++) {
        enum cs_cpace_mode mode = i % 2 ? CS_CPACE_OC : CS_CPACE_IR;
        run("7KQM-R4XP-9WZT", "7KQM-R4XP-9WZT", mode, (const uint8_t *)"device", 6, isk_a, isk_b);
        assert_memory_equal(isk_a, isk_b, 64);
        run(long_pw, long_pw, mode, long_ad, sizeof(long_ad), isk_a, isk_b);
        assert_memory_equal(isk_a, isk_b, 64);
        run("", "", mode, NULL, 0, isk_a, isk_b);
        assert_memory_equal(isk_a, isk_b, 64);

        /* A wrong password, one character off: the keys disagree. */
        run("7KQM-R4XP-9WZT", "7KQM-R4XP-9WZU", mode, (const uint8_t *)"device", 6, isk_a, isk_b);
        assert_memory_not_equal(isk_a, isk_b, 64);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leb128),
        cmocka_unit_test(test_vector_generator),
        cmocka_unit_test(test_vector_shares),
        cmocka_unit_test(test_vector_k),
        cmocka_unit_test(test_vector_isk),
        cmocka_unit_test(test_vector_sid_output),
        cmocka_unit_test(test_vector_scalar_mult_vfy),
        cmocka_unit_test(test_refuse_points),
        cmocka_unit_test(test_isk_moves),
        cmocka_unit_test(test_two_parties),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
