/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for hub key rotation statements (cellsync/rotation.h): the
 * signed message recomputed here from the header's comment and checked
 * with libsodium directly, the statement's bytes, strict decoding, chains
 * (each refusal: a forged signer, a flipped bit anywhere, a broken link, a
 * chain that does not start at the pinned key, time going back, too long),
 * the hub's file, and the session message that carries a chain.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/key.h"
#include "cellsync/rotation.h"
#include "cellsync/version.h"
#include "cellsync/wire.h"

#define NKEYS 4
static struct cs_key *k[NKEYS];

static int
group_setup(void **state)
{
    (void)state;
    if (cs_init() != 0)
        return -1;
    for (int i = 0; i < NKEYS; i++)
        if (cs_key_generate(&k[i]) != 0)
            return -1;
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NKEYS; i++)
        cs_key_free(k[i]);
    return 0;
}

/* k[from] -> k[to] at time t, as bytes. */
static void
statement(int from, int to, uint64_t t, uint8_t out[CS_ROTATION_LEN])
{
    struct cs_rotation r;
    assert_int_equal(cs_rotation_make(k[from], cs_key_pk(k[to]), t, &r), 0);
    cs_rotation_encode(&r, out);
}

/* The layout and the signed message, as the header writes them. */
static void
test_bytes(void **state)
{
    (void)state;
    uint8_t b[CS_ROTATION_LEN], msg[26 + 73];
    statement(0, 1, UINT64_C(0x0102030405060708), b);
    assert_int_equal(CS_ROTATION_LEN, 137);
    assert_int_equal(b[0], 1);
    assert_memory_equal(b + 1, cs_key_pk(k[0]), 32);
    assert_memory_equal(b + 33, cs_key_pk(k[1]), 32);
    static const uint8_t t[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_memory_equal(b + 65, t, 8);
    memcpy(msg, "cellsync hub key rotation", 25);
    msg[25] = 0x00;
    memcpy(msg + 26, b, 73);
    assert_int_equal(crypto_sign_verify_detached(b + 73, msg, sizeof(msg), cs_key_pk(k[0])), 0);
    /* Without the domain text it is not a valid signature: no other message can stand for it. */
    assert_int_not_equal(crypto_sign_verify_detached(b + 73, b, 73, cs_key_pk(k[0])), 0);

    struct cs_rotation r;
    assert_int_equal(cs_rotation_decode(b, sizeof(b), &r), 0);
    assert_int_equal(r.time, UINT64_C(0x0102030405060708));
    assert_int_equal(cs_rotation_verify(&r), 0);
    uint8_t again[CS_ROTATION_LEN];
    cs_rotation_encode(&r, again);
    assert_memory_equal(again, b, sizeof(b));
    /* A key never rotates to itself. */
    assert_int_equal(cs_rotation_make(k[0], cs_key_pk(k[0]), 1, &r), CS_EINVAL);
}

static void
test_decode_strict(void **state)
{
    (void)state;
    uint8_t b[CS_ROTATION_LEN + 1];
    struct cs_rotation r;
    statement(0, 1, 10, b);
    assert_int_equal(cs_rotation_decode(b, CS_ROTATION_LEN - 1, &r), CS_EMALFORMED);
    assert_int_equal(cs_rotation_decode(b, CS_ROTATION_LEN + 1, &r), CS_EMALFORMED);
    b[0] = 2;
    assert_int_equal(cs_rotation_decode(b, CS_ROTATION_LEN, &r), CS_EVERSION);
}

static void
test_chain(void **state)
{
    (void)state;
    uint8_t c[3 * CS_ROTATION_LEN], to[CS_PK_LEN];
    size_t n = 0, ix = 99;
    statement(0, 1, 10, c);
    statement(1, 2, 20, c + CS_ROTATION_LEN);
    statement(2, 3, 20, c + 2 * CS_ROTATION_LEN);
    assert_int_equal(cs_rotation_chain_verify(cs_key_pk(k[0]), c, sizeof(c), to, &n, NULL), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(to, cs_key_pk(k[3]), CS_PK_LEN);
    /* From the middle: the statements from the pinned key on. */
    assert_int_equal(cs_rotation_chain_verify(cs_key_pk(k[1]), c + CS_ROTATION_LEN,
                                              2 * CS_ROTATION_LEN, to, &n, NULL),
                     0);
    assert_int_equal(n, 2);
    /* A chain that does not start at the pinned key. */
    assert_int_equal(cs_rotation_chain_verify(cs_key_pk(k[1]), c, sizeof(c), to, &n, &ix),
                     CS_ENOTFOUND);
    assert_int_equal(ix, 0);
    /* Partial, empty. */
    assert_int_equal(cs_rotation_chain_verify(cs_key_pk(k[0]), c, sizeof(c) - 1, to, &n, NULL),
                     CS_EMALFORMED);
    assert_int_equal(cs_rotation_chain_verify(cs_key_pk(k[0]), c, 0, to, &n, NULL), CS_EMALFORMED);
}

/* Every single bit flipped anywhere in a chain of two: refused, to untouched. */
static void
test_chain_flips(void **state)
{
    (void)state;
    uint8_t c[2 * CS_ROTATION_LEN], to[CS_PK_LEN], none[CS_PK_LEN] = {0};
    size_t n = 0;
    statement(0, 1, 10, c);
    statement(1, 2, 20, c + CS_ROTATION_LEN);
    for (size_t i = 0; i < sizeof(c) * 8; i++) {
        c[i / 8] ^= (uint8_t)(1u << (i % 8));
        memset(to, 0, sizeof(to));
        assert_int_not_equal(cs_rotation_chain_verify(cs_key_pk(k[0]), c, sizeof(c), to, &n, NULL),
                             0);
        assert_memory_equal(to, none, sizeof(none));
        c[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
}

static void
test_chain_forged(void **state)
{
    (void)state;
    uint8_t c[2 * CS_ROTATION_LEN], f[CS_ROTATION_LEN], to[CS_PK_LEN];
    size_t n = 0, ix = 99;
    statement(0, 1, 10, c);
    statement(1, 2, 20, c + CS_ROTATION_LEN);
    /* The second claims k1 -> k2 but k3 signed it. */
    statement(3, 2, 20, f);
    memcpy(c + CS_ROTATION_LEN + CS_ROTATION_SIGNED, f + CS_ROTATION_SIGNED, CS_SIG_LEN);
    assert_int_equal(cs_rotation_chain_verify(cs_key_pk(k[0]), c, sizeof(c), to, &n, &ix),
                     CS_ESIGNATURE);
    assert_int_equal(ix, 1);
    /* A link missing: k0 -> k1, then k2 -> k3. */
    statement(2, 3, 20, c + CS_ROTATION_LEN);
    assert_int_equal(cs_rotation_chain_verify(cs_key_pk(k[0]), c, sizeof(c), to, &n, &ix),
                     CS_EMALFORMED);
    assert_int_equal(ix, 1);
    /* Time going back. */
    statement(1, 2, 9, c + CS_ROTATION_LEN);
    assert_int_equal(cs_rotation_chain_verify(cs_key_pk(k[0]), c, sizeof(c), to, &n, &ix),
                     CS_EMALFORMED);
    /* Too long. */
    size_t big = (CS_ROTATION_MAX + 1) * CS_ROTATION_LEN;
    uint8_t *b = calloc(1, big);
    assert_non_null(b);
    assert_int_equal(cs_rotation_chain_verify(cs_key_pk(k[0]), b, big, to, &n, NULL), CS_ETOOBIG);
    free(b);
}

static void
test_file(void **state)
{
    (void)state;
    char dirt[] = "/tmp/test_rotation.XXXXXX", path[64], err[256];
    struct cs_rotation r[3], *all = NULL;
    size_t n = 99;
    struct stat st;
    assert_non_null(mkdtemp(dirt));
    snprintf(path, sizeof(path), "%s/hub.rotations", dirt);
    assert_int_equal(cs_rotation_load(path, &all, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);
    assert_null(all);
    assert_int_equal(cs_rotation_make(k[0], cs_key_pk(k[1]), 10, &r[0]), 0);
    assert_int_equal(cs_rotation_make(k[1], cs_key_pk(k[2]), 20, &r[1]), 0);
    assert_int_equal(cs_rotation_make(k[3], cs_key_pk(k[0]), 30, &r[2]), 0);
    assert_int_equal(cs_rotation_append(path, &r[0], err, sizeof(err)), 0);
    assert_int_equal(cs_rotation_append(path, &r[1], err, sizeof(err)), 0);
    /* Not from the last key. */
    assert_int_equal(cs_rotation_append(path, &r[2], err, sizeof(err)), CS_EINVAL);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 2 * (20 + 2 * CS_ROTATION_LEN + 1));
    assert_int_equal(cs_rotation_load(path, &all, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(&all[1], &r[1], sizeof(r[1]));

    struct cs_id id;
    cs_key_id(k[1], &id);
    assert_int_equal(cs_rotation_known(all, n, &id), 1);
    cs_key_id(k[2], &id);
    assert_int_equal(cs_rotation_known(all, n, &id), 0);

    uint8_t *chain = NULL, to[CS_PK_LEN];
    size_t len = 0, steps = 0;
    assert_int_equal(cs_rotation_chain_from(all, n, cs_key_pk(k[1]), &chain, &len), 0);
    assert_int_equal(len, CS_ROTATION_LEN);
    assert_int_equal(cs_rotation_chain_verify(cs_key_pk(k[1]), chain, len, to, &steps, NULL), 0);
    assert_memory_equal(to, cs_key_pk(k[2]), CS_PK_LEN);
    free(chain);
    assert_int_equal(cs_rotation_chain_from(all, n, cs_key_pk(k[2]), &chain, &len), CS_ENOTFOUND);
    free(all);

    /* A line changed by hand. */
    FILE *f = fopen(path, "r+");
    assert_non_null(f);
    fseek(f, (20 + 2 * CS_ROTATION_LEN + 1) + 30, SEEK_SET);
    fputc('x', f);
    fclose(f);
    assert_int_equal(cs_rotation_load(path, &all, &n, err, sizeof(err)), CS_EMALFORMED);
    assert_non_null(strstr(err, "line 2"));
    unlink(path);
    rmdir(dirt);
}

/* The session message: [6, chain], whole statements only. */
static void
test_msg(void **state)
{
    (void)state;
    uint8_t c[2 * CS_ROTATION_LEN], *buf = NULL;
    size_t len = 0;
    statement(0, 1, 10, c);
    statement(1, 2, 20, c + CS_ROTATION_LEN);
    struct cs_msg m = {.type = CS_MSG_ROTATION, .env = c, .envlen = sizeof(c)}, d;
    assert_int_equal(cs_msg_encode(&m, &buf, &len), 0);
    assert_int_equal(cs_msg_decode(&d, buf, len), 0);
    assert_int_equal(d.type, CS_MSG_ROTATION);
    assert_int_equal(d.envlen, sizeof(c));
    assert_memory_equal(d.env, c, sizeof(c));
    cs_msg_release(&d);
    free(buf);
    m.envlen = sizeof(c) - 1;
    assert_int_equal(cs_msg_encode(&m, &buf, &len), CS_EINVAL);
    m.envlen = 0;
    assert_int_equal(cs_msg_encode(&m, &buf, &len), CS_EINVAL);
    /* A decoder given a partial statement refuses it. */
    static const uint8_t partial[] = {0x92, 0x06, 0xc4, 0x01, 0x00};
    assert_int_equal(cs_msg_decode(&d, partial, sizeof(partial)), CS_EMALFORMED);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes),        cmocka_unit_test(test_decode_strict),
        cmocka_unit_test(test_chain),        cmocka_unit_test(test_chain_flips),
        cmocka_unit_test(test_chain_forged), cmocka_unit_test(test_file),
        cmocka_unit_test(test_msg),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
