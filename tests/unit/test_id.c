/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for UUIDv7 ids: the version and variant bits, strict ordering
 * of ids made in one process (also across threads), the millisecond field,
 * and the text form, including every way a string can be malformed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cellsync/error.h"
#include "cellsync/id.h"
#include "cellsync/version.h"

#define N_IDS      10000
#define N_THREADS  4
#define PER_THREAD 2500

/* The UUIDv7 example of RFC 9562 appendix A.6. */
static const char rfc_hex[] = "017f22e2-79b0-7cc3-98c4-dc0c0c07398f";
static const uint64_t rfc_ms = UINT64_C(0x017F22E279B0);

static int
setup(void **state)
{
    (void)state;
    return cs_init() == 0 ? 0 : -1;
}

static void
assert_v7(const struct cs_id *id)
{
    assert_int_equal(id->b[6] >> 4, 0x7);
    assert_int_equal(id->b[8] & 0xc0, 0x80);
}

static void
test_version_variant(void **state)
{
    (void)state;
    for (int i = 0; i < 1000; i++) {
        struct cs_id id;
        cs_id_new(&id);
        assert_v7(&id);
        cs_id_new_at(&id, (uint64_t)i * 7919u);
        assert_v7(&id);
    }
}

static void
test_new_strictly_increasing(void **state)
{
    (void)state;
    struct cs_id *ids = calloc(N_IDS, sizeof(*ids));
    assert_non_null(ids);
    for (int i = 0; i < N_IDS; i++)
        cs_id_new(&ids[i]);
    /* Strictly increasing also means no two are equal. */
    for (int i = 1; i < N_IDS; i++) {
        assert_true(memcmp(ids[i - 1].b, ids[i].b, CS_ID_LEN) < 0);
        assert_int_equal(cs_id_cmp(&ids[i - 1], &ids[i]), -1);
        assert_int_equal(cs_id_cmp(&ids[i], &ids[i - 1]), 1);
        assert_true(cs_id_unix_ms(&ids[i - 1]) <= cs_id_unix_ms(&ids[i]));
    }
    free(ids);
}

static void *
make_ids(void *arg)
{
    struct cs_id *ids = arg;

    for (int i = 0; i < PER_THREAD; i++)
        cs_id_new(&ids[i]);
    return NULL;
}

static int
cmp_ids(const void *a, const void *b)
{
    return cs_id_cmp(a, b);
}

/* The daemon makes ids from worker threads: each sees its own ids increase, none repeat. */
static void
test_new_threads(void **state)
{
    (void)state;
    struct cs_id *ids = calloc(N_THREADS * PER_THREAD, sizeof(*ids));
    assert_non_null(ids);
    pthread_t th[N_THREADS];
    for (int t = 0; t < N_THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, make_ids, &ids[t * PER_THREAD]), 0);
    for (int t = 0; t < N_THREADS; t++)
        assert_int_equal(pthread_join(th[t], NULL), 0);

    for (int t = 0; t < N_THREADS; t++)
        for (int i = 1; i < PER_THREAD; i++)
            assert_int_equal(cs_id_cmp(&ids[t * PER_THREAD + i - 1], &ids[t * PER_THREAD + i]), -1);
    qsort(ids, N_THREADS * PER_THREAD, sizeof(*ids), cmp_ids);
    for (int i = 1; i < N_THREADS * PER_THREAD; i++)
        assert_int_equal(cs_id_cmp(&ids[i - 1], &ids[i]), -1);
    free(ids);
}

static void
test_new_at_ms(void **state)
{
    (void)state;
    static const uint64_t ms[] = {
        0, 1, 1000, rfc_ms, UINT64_C(1700000000000), (UINT64_C(1) << 48) - 1};
    for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
        struct cs_id id;
        cs_id_new_at(&id, ms[i]);
        assert_int_equal(cs_id_unix_ms(&id), ms[i]);
    }

    /* Ids made at different milliseconds sort by millisecond, whatever the random bits. */
    for (int i = 0; i < 100; i++) {
        struct cs_id a, b;
        cs_id_new_at(&a, rfc_ms);
        cs_id_new_at(&b, rfc_ms + 1);
        assert_int_equal(cs_id_cmp(&a, &b), -1);
    }

    /* Big-endian layout: the first six bytes are the millisecond. */
    struct cs_id id;
    cs_id_new_at(&id, UINT64_C(0x0102030405a6));
    static const uint8_t want[6] = {0x01, 0x02, 0x03, 0x04, 0x05, 0xa6};
    assert_memory_equal(id.b, want, 6);
}

static void
test_new_at_random(void **state)
{
    (void)state;
    struct cs_id a, b;
    cs_id_new_at(&a, rfc_ms);
    cs_id_new_at(&b, rfc_ms);
    /* 74 random bits: a collision here means the randomness is broken. */
    assert_int_not_equal(cs_id_cmp(&a, &b), 0);
}

static void
test_new_ms_is_now(void **state)
{
    (void)state;
    struct cs_id id;
    cs_id_new(&id);
    int64_t ms = (int64_t)cs_id_unix_ms(&id);
    int64_t now = (int64_t)time(NULL) * 1000;
    assert_true(ms > now - 5000 && ms < now + 5000);
}

static void
test_hex_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < 1000; i++) {
        struct cs_id id, back;
        char hex[CS_ID_HEX_LEN + 1];
        cs_id_new(&id);
        memset(hex, 'x', sizeof(hex));
        cs_id_to_hex(&id, hex);
        assert_int_equal(strlen(hex), CS_ID_HEX_LEN);
        for (size_t j = 0; j < CS_ID_HEX_LEN; j++) {
            if (j == 8 || j == 13 || j == 18 || j == 23)
                assert_int_equal(hex[j], '-');
            else
                assert_true((hex[j] >= '0' && hex[j] <= '9') || (hex[j] >= 'a' && hex[j] <= 'f'));
        }
        assert_int_equal(hex[14], '7'); /* the version digit */
        assert_int_equal(cs_id_from_hex(&back, hex, strlen(hex)), 0);
        assert_int_equal(cs_id_cmp(&id, &back), 0);
    }
}

static void
test_hex_rfc_vector(void **state)
{
    (void)state;
    struct cs_id id;
    assert_int_equal(cs_id_from_hex(&id, rfc_hex, strlen(rfc_hex)), 0);
    static const uint8_t want[CS_ID_LEN] = {0x01, 0x7f, 0x22, 0xe2, 0x79, 0xb0, 0x7c, 0xc3,
                                            0x98, 0xc4, 0xdc, 0x0c, 0x0c, 0x07, 0x39, 0x8f};
    assert_memory_equal(id.b, want, CS_ID_LEN);
    assert_int_equal(cs_id_unix_ms(&id), rfc_ms);
    assert_v7(&id);

    char hex[CS_ID_HEX_LEN + 1];
    cs_id_to_hex(&id, hex);
    assert_string_equal(hex, rfc_hex);

    /* The short form is the random end, never the time at the front. */
    char shrt[CS_ID_SHORT_LEN + 1];
    cs_id_short(&id, shrt);
    assert_string_equal(shrt, "0c07398f");
}

static void
test_hex_accepts(void **state)
{
    (void)state;
    static const char *forms[] = {
        "017f22e2-79b0-7cc3-98c4-dc0c0c07398f", "017F22E2-79B0-7CC3-98C4-DC0C0C07398F",
        "017f22e279b07cc398c4dc0c0c07398f",     "017F22E279B07CC398C4DC0C0C07398F",
        "017f22E2-79b0-7Cc3-98C4-dC0c0C07398F",
    };
    struct cs_id want;
    assert_int_equal(cs_id_from_hex(&want, rfc_hex, strlen(rfc_hex)), 0);
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        struct cs_id id;
        assert_int_equal(cs_id_from_hex(&id, forms[i], strlen(forms[i])), 0);
        assert_int_equal(cs_id_cmp(&id, &want), 0);
    }

    /* Only len bytes are read: a longer buffer with the id at its start is fine. */
    static const char longer[] = "017f22e279b07cc398c4dc0c0c07398f trailing";
    struct cs_id id;
    assert_int_equal(cs_id_from_hex(&id, longer, 32), 0);
    assert_int_equal(cs_id_cmp(&id, &want), 0);
}

static void
assert_rejected(const char *s, size_t len)
{
    struct cs_id id;
    memset(&id, 0xa5, sizeof(id));
    assert_int_equal(cs_id_from_hex(&id, s, len), CS_EINVAL);
}

static void
test_hex_rejects_length(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "017f22e279b07cc398c4dc0c0c07398",       /* 31 */
        "017f22e279b07cc398c4dc0c0c07398f0",     /* 33 */
        "017f22e2-79b0-7cc3-98c4-dc0c0c07398",   /* 35 */
        "017f22e2-79b0-7cc3-98c4-dc0c0c07398f0", /* 37 */
        "017f22e2-79b0-7cc3-98c4dc0c0c07398f",   /* 35, one dash missing */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_rejected(bad[i], strlen(bad[i]));
    assert_rejected(rfc_hex, 34);
    assert_rejected(rfc_hex, 0);
}

static void
test_hex_rejects_non_hex(void **state)
{
    (void)state;
    static const char bad_chars[] = {'g', 'G', 'x', ' ', '-', '+', ':', '\0', '\xff', '/', '@'};
    char s[CS_ID_HEX_LEN + 1];
    char plain[33];

    /* Every position, dashed and plain form, each bad character. */
    for (size_t k = 0; k < sizeof(bad_chars); k++) {
        for (size_t i = 0; i < CS_ID_HEX_LEN; i++) {
            if (i == 8 || i == 13 || i == 18 || i == 23)
                continue;
            memcpy(s, rfc_hex, sizeof(s));
            s[i] = bad_chars[k];
            assert_rejected(s, CS_ID_HEX_LEN);
        }
        for (size_t i = 0; i < 32; i++) {
            memcpy(plain, "017f22e279b07cc398c4dc0c0c07398f", sizeof(plain));
            plain[i] = bad_chars[k];
            assert_rejected(plain, 32);
        }
    }
}

static void
test_hex_rejects_misplaced_dashes(void **state)
{
    (void)state;
    static const char *bad[] = {
        "017f22e-279b0-7cc3-98c4-dc0c0c07398f", "017f22e2-79b-07cc3-98c4-dc0c0c07398f",
        "017f22e2-79b0-7cc39-8c4-dc0c0c07398f", "017f22e2-79b0-7cc3-98c4d-c0c0c07398f",
        "-017f22e279b0-7cc3-98c4-dc0c0c07398f", "017f22e2-79b0-7cc3-98c4dc0c0c07398f-",
        "017f22e2--79b0-7cc398c4-dc0c0c07398f", "017f22e279b07cc398c4dc0c0c07398f----",
        "----017f22e279b07cc398c4dc0c0c07398f",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(strlen(bad[i]), CS_ID_HEX_LEN);
        assert_rejected(bad[i], CS_ID_HEX_LEN);
    }

    /* A dash replaced by a hex digit: right length, no dash where one must be. */
    char s[CS_ID_HEX_LEN + 1];
    static const size_t dash_at[] = {8, 13, 18, 23};
    for (size_t i = 0; i < 4; i++) {
        memcpy(s, rfc_hex, sizeof(s));
        s[dash_at[i]] = '0';
        assert_rejected(s, CS_ID_HEX_LEN);
    }

    /* Dashes are not allowed in the 32-digit form. */
    assert_rejected("017f22e2-79b07cc398c4dc0c0c07398", 32);
}

static void
test_hex_reject_leaves_out(void **state)
{
    (void)state;
    struct cs_id id, before;
    memset(&id, 0x5a, sizeof(id));
    before = id;
    assert_int_equal(cs_id_from_hex(&id, "017f22e279b07cc398c4dc0c0c07398g", 32), CS_EINVAL);
    assert_memory_equal(&id, &before, sizeof(id));
    assert_int_equal(cs_id_from_hex(&id, NULL, 32), CS_EINVAL);
}

static void
test_cmp_and_zero(void **state)
{
    (void)state;
    struct cs_id zero, a, b;
    memset(&zero, 0, sizeof(zero));
    assert_true(cs_id_is_zero(&zero));
    assert_int_equal(cs_id_unix_ms(&zero), 0);

    a = zero;
    a.b[CS_ID_LEN - 1] = 1;
    assert_false(cs_id_is_zero(&a));
    assert_int_equal(cs_id_cmp(&zero, &a), -1);
    assert_int_equal(cs_id_cmp(&a, &zero), 1);
    assert_int_equal(cs_id_cmp(&a, &a), 0);

    /* The first byte outweighs all the others: memcmp order, not a sum. */
    b = zero;
    b.b[0] = 1;
    memset(a.b, 0xff, sizeof(a.b));
    a.b[0] = 0;
    assert_int_equal(cs_id_cmp(&a, &b), -1);

    cs_id_new(&a);
    assert_false(cs_id_is_zero(&a));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_variant),
        cmocka_unit_test(test_new_strictly_increasing),
        cmocka_unit_test(test_new_threads),
        cmocka_unit_test(test_new_at_ms),
        cmocka_unit_test(test_new_at_random),
        cmocka_unit_test(test_new_ms_is_now),
        cmocka_unit_test(test_hex_round_trip),
        cmocka_unit_test(test_hex_rfc_vector),
        cmocka_unit_test(test_hex_accepts),
        cmocka_unit_test(test_hex_rejects_length),
        cmocka_unit_test(test_hex_rejects_non_hex),
        cmocka_unit_test(test_hex_rejects_misplaced_dashes),
        cmocka_unit_test(test_hex_reject_leaves_out),
        cmocka_unit_test(test_cmp_and_zero),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
