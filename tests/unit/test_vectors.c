/* SPDX-License-Identifier: MIT */
/*
 * Committed test vectors (the .hex files in tests/vectors) freeze the wire formats: the
 * reference change set must encode to exactly changeset.hex, and sealing it
 * with the fixed seeds must give exactly envelope.hex, which must open to
 * it; signing it with the cell's seed (cellsync/origin.h) must give exactly
 * signedset.hex, whose signature libsodium, called directly over the
 * documented context and the set, takes. (The envelope vector carries the
 * bare set: the envelope's layout does not depend on what it carries.) A
 * change of any format fails here first; then bump the format
 * version and regenerate with `build/bench/bench_changeset_size --vectors
 * tests/vectors`.
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

#include "cellsync/changeset.h"
#include "cellsync/envelope.h"
#include "cellsync/error.h"
#include "cellsync/key.h"
#include "cellsync/origin.h"
#include "cellsync/version.h"
#include "common/sample.h"
#include "internal.h"

static uint8_t *
read_hex(const char *name, size_t *len)
{
    const char *dir = getenv("CS_VECTORS");
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/vectors", name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t cap = 1 << 16, n = 0;
    uint8_t *b = malloc(cap);
    assert_non_null(b);
    int hi = -1, ch;
    while ((ch = fgetc(f)) != EOF) {
        if (ch == '\n')
            continue;
        int v = (ch >= '0' && ch <= '9') ? ch - '0' : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10 : -1;
        assert_true(v >= 0);
        if (hi < 0) {
            hi = v;
            continue;
        }
        assert_true(n < cap);
        b[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    assert_int_equal(hi, -1);
    fclose(f);
    *len = n;
    return b;
}

struct fixture {
    struct cs_key *cell, *hub;
    struct cs_changeset *sample;
};

static int
setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct cs_id origin;
    assert_int_equal(cs_init(), 0);
    assert_int_equal(cs_key_from_seed(&fx->cell, cs_test_cell_seed), 0);
    assert_int_equal(cs_key_from_seed(&fx->hub, cs_test_hub_seed), 0);
    cs_key_id(fx->cell, &origin);
    assert_int_equal(cs_test_sample(&fx->sample, &origin), 0);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    cs_changeset_free(fx->sample);
    cs_key_free(fx->cell);
    cs_key_free(fx->hub);
    free(fx);
    return 0;
}

static void
test_changeset_vector(void **state)
{
    struct fixture *fx = *state;
    size_t vlen, len;
    uint8_t *vec = read_hex("changeset.hex", &vlen), *enc;
    struct cs_changeset *back;

    assert_int_equal(cs_changeset_count(fx->sample), 100);
    assert_int_equal(cs_changeset_encode(fx->sample, &enc, &len), 0);
    assert_int_equal(len, vlen);
    assert_memory_equal(enc, vec, vlen);

    assert_int_equal(cs_changeset_decode(&back, vec, vlen, NULL, 0), 0);
    assert_int_equal(cs_changeset_count(back), 100);
    for (size_t i = 0; i < 100; i++) {
        struct cs_change a, b;
        cs_changeset_get(fx->sample, i, &a);
        cs_changeset_get(back, i, &b);
        assert_true(cs_change_equal(&a, &b));
    }
    cs_changeset_free(back);
    free(enc);
    free(vec);
}

static void
test_envelope_vector(void **state)
{
    struct fixture *fx = *state;
    size_t vlen, plen, elen, olen;
    uint8_t *vec = read_hex("envelope.hex", &vlen);
    uint8_t *plain = read_hex("changeset.hex", &plen);
    uint8_t *env, *opened;
    struct cs_envelope_info info;

    assert_int_equal(cs__envelope_seal_seeded(fx->cell, cs_key_pk(fx->hub), 1, 100, plain, plen,
                                              cs_test_eph_seed, &env, &elen),
                     0);
    assert_int_equal(elen, vlen);
    assert_memory_equal(env, vec, vlen);

    assert_int_equal(cs_envelope_open(fx->hub, vec, vlen, &opened, &olen, &info), 0);
    assert_int_equal(olen, plen);
    assert_memory_equal(opened, plain, plen);
    assert_memory_equal(info.origin_pk, cs_key_pk(fx->cell), CS_PK_LEN);
    assert_int_equal(info.seq_first, 1);
    assert_int_equal(info.seq_last, 100);
    assert_true(info.flags & CS_ENVELOPE_F_ZSTD);

    /* The cell cannot open what it sent to the hub. */
    uint8_t *none = NULL;
    assert_int_equal(cs_envelope_open(fx->cell, vec, vlen, &none, &olen, NULL), CS_ERECIPIENT);
    assert_null(none);
    free(opened);
    free(env);
    free(plain);
    free(vec);
}

static void
test_signedset_vector(void **state)
{
    struct fixture *fx = *state;
    size_t vlen, plen, slen = 0, off = 0;
    uint8_t *vec = read_hex("signedset.hex", &vlen);
    uint8_t *plain = read_hex("changeset.hex", &plen);
    uint8_t *sgn = NULL;
    struct cs_signed s;

    assert_int_equal(cs_origin_sign(fx->cell, plain, plen, &sgn, &slen), 0);
    assert_int_equal(slen, vlen);
    assert_memory_equal(sgn, vec, vlen);
    assert_int_equal(cs_origin_next(vec, vlen, &off, &s), 1);
    assert_int_equal(off, vlen);
    assert_memory_equal(s.origin_pk, cs_key_pk(fx->cell), CS_PK_LEN);
    assert_int_equal(s.set_len, plen);
    assert_memory_equal(s.set, plain, plen);
    assert_int_equal(cs_origin_verify(&s), 0);

    static const char ctx[] = "cellsync change set"; /* its NUL is the context's 0x00 */
    uint8_t *msg = malloc(sizeof(ctx) + 1 + plen);
    assert_non_null(msg);
    memcpy(msg, ctx, sizeof(ctx));
    msg[sizeof(ctx)] = 1;
    memcpy(msg + sizeof(ctx) + 1, plain, plen);
    assert_int_equal(
        crypto_sign_verify_detached(vec + 36, msg, sizeof(ctx) + 1 + plen, cs_key_pk(fx->cell)), 0);
    free(msg);
    free(sgn);
    free(plain);
    free(vec);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changeset_vector),
        cmocka_unit_test(test_envelope_vector),
        cmocka_unit_test(test_signedset_vector),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
