/* SPDX-License-Identifier: MIT */
/*
 * Origin-signed change sets (cellsync/origin.h) and the chunks that carry
 * them (cs_sync_seal, cs_sync_open_sets): the layout and the signature
 * checked against libsodium called directly, every truncation and every
 * flipped byte refused, and a chunk refused for each way its sets can lie
 * (security review F8, F16).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cellsync/changeset.h"
#include "cellsync/error.h"
#include "cellsync/key.h"
#include "cellsync/origin.h"
#include "cellsync/sync.h"
#include "common/sample.h"

static struct cs_key *cell;  /* the origin */
static struct cs_key *relay; /* a hub-role device that relays the cell's sets */
static struct cs_key *hub;   /* the receiving hub */
static struct cs_key *other; /* anyone else */

static int
group_setup(void **state)
{
    (void)state;
    if (sodium_init() < 0 || cs_key_from_seed(&cell, cs_test_cell_seed) != 0 ||
        cs_key_generate(&relay) != 0 || cs_key_from_seed(&hub, cs_test_hub_seed) != 0 ||
        cs_key_generate(&other) != 0)
        return -1;
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    cs_key_free(cell);
    cs_key_free(relay);
    cs_key_free(hub);
    cs_key_free(other);
    return 0;
}

/* The sample change set of k's device over seqs first..last, encoded. OUT: *out, free(). */
static void
encoded_set(const struct cs_key *k, uint64_t first, uint64_t last, uint8_t **out, size_t *len)
{
    struct cs_changeset *cs = NULL;
    struct cs_id id;
    cs_key_id(k, &id);
    assert_int_equal(cs_test_sample(&cs, &id), 0);
    cs_changeset_set_seq(cs, first, last);
    assert_int_equal(cs_changeset_encode(cs, out, len), 0);
    cs_changeset_free(cs);
}

/* The layout byte for byte, and the signature as libsodium makes it over context || set. */
static void
test_layout(void **state)
{
    (void)state;
    uint8_t *set, *buf = NULL;
    size_t set_len, len = 0, off = 0;
    encoded_set(cell, 1, 9, &set, &set_len);
    assert_int_equal(cs_origin_sign(cell, set, set_len, &buf, &len), 0);
    assert_int_equal(len, CS_ORIGIN_HEADER + set_len);
    assert_memory_equal(buf, "CSO\x01", 4);
    assert_memory_equal(buf + 4, cs_key_pk(cell), CS_PK_LEN);
    assert_int_equal(buf[100] | buf[101] << 8 | buf[102] << 16 | (uint32_t)buf[103] << 24, set_len);
    assert_memory_equal(buf + CS_ORIGIN_HEADER, set, set_len);

    static const char ctx[] = "cellsync change set";
    uint8_t *msg = malloc(sizeof(ctx) + 1 + set_len);
    assert_non_null(msg);
    memcpy(msg, ctx, sizeof(ctx)); /* the NUL is the 0x00 of the context */
    msg[sizeof(ctx)] = CS_ORIGIN_FORMAT;
    memcpy(msg + sizeof(ctx) + 1, set, set_len);
    assert_int_equal(
        crypto_sign_verify_detached(buf + 36, msg, sizeof(ctx) + 1 + set_len, cs_key_pk(cell)), 0);
    /* Without the context, the same signature is not one over the bare set. */
    assert_int_not_equal(crypto_sign_verify_detached(buf + 36, set, set_len, cs_key_pk(cell)), 0);

    struct cs_signed s;
    assert_int_equal(cs_origin_next(buf, len, &off, &s), 1);
    assert_int_equal(off, len);
    assert_ptr_equal(s.bytes, buf);
    assert_int_equal(s.len, len);
    assert_int_equal(s.set_len, set_len);
    assert_int_equal(cs_origin_verify(&s), 0);
    assert_int_equal(cs_origin_next(buf, len, &off, &s), 0);
    free(msg);
    free(set);
    free(buf);
}

/* Every cut is refused by the reader; every flipped byte by the reader or the signature. */
static void
test_every_cut_and_flip(void **state)
{
    (void)state;
    uint8_t *set, *buf = NULL;
    size_t set_len, len = 0;
    encoded_set(cell, 1, 1, &set, &set_len);
    assert_int_equal(cs_origin_sign(cell, set, set_len, &buf, &len), 0);
    for (size_t n = 1; n < len; n++) {
        size_t off = 0;
        struct cs_signed s;
        assert_true(cs_origin_next(buf, n, &off, &s) < 0);
    }
    for (size_t i = 0; i < len; i++) {
        size_t off = 0;
        struct cs_signed s;
        buf[i] ^= 0x01;
        int r = cs_origin_next(buf, len, &off, &s);
        assert_true(r < 0 || (r == 1 && cs_origin_verify(&s) == CS_ESIGNATURE) ||
                    (r == 1 && off < len));
        buf[i] ^= 0x01;
    }
    free(set);
    free(buf);
}

static void
test_header_codes(void **state)
{
    (void)state;
    uint8_t *set, *buf = NULL;
    size_t set_len, len = 0, off;
    struct cs_signed s;
    encoded_set(cell, 1, 1, &set, &set_len);
    assert_int_equal(cs_origin_sign(cell, set, set_len, &buf, &len), 0);
    buf[3] = CS_ORIGIN_FORMAT + 1;
    off = 0;
    assert_int_equal(cs_origin_next(buf, len, &off, &s), CS_EVERSION);
    buf[3] = CS_ORIGIN_FORMAT;
    memset(buf + 100, 0, 4);
    off = 0;
    assert_int_equal(cs_origin_next(buf, len, &off, &s), CS_EMALFORMED);
    memset(buf + 100, 0xff, 4);
    off = 0;
    assert_int_equal(cs_origin_next(buf, len, &off, &s), CS_ETOOBIG);
    /* A change set as version 4 sent it, without its signed wrapping. */
    off = 0;
    assert_int_equal(cs_origin_next(set, set_len, &off, &s), CS_EMALFORMED);
    assert_int_equal(cs_origin_sign(cell, set, 0, &buf, &len), CS_EINVAL);
    free(set);
    free(buf);
}

/* A relay's chunk: its own set and the cell's, as the cell signed it. */
static void
relay_chunk(const struct cs_key *signer, const uint8_t *cell_set, size_t cell_len, uint8_t **env,
            size_t *envlen)
{
    uint8_t *own, *relayed = NULL;
    size_t own_len, rlen = 0;
    encoded_set(relay, 4, 5, &own, &own_len);
    assert_int_equal(cs_origin_sign(signer, cell_set, cell_len, &relayed, &rlen), 0);
    /* Signed by signer, but naming the cell's key: a forgery when signer is not the cell. */
    memcpy(relayed + 4, cs_key_pk(cell), CS_PK_LEN);
    assert_int_equal(
        cs_sync_seal(relay, cs_key_pk(hub), 4, 5, own, own_len, relayed, rlen, env, envlen), 0);
    free(own);
    free(relayed);
}

static void
test_relayed(void **state)
{
    (void)state;
    uint8_t *cell_set, *env;
    size_t cell_len, envlen;
    struct cs_chunk_sets s;
    struct cs_envelope_info info;
    struct cs_changeset *cs;
    char err[256];
    struct cs_id cell_id, relay_id;
    cs_key_id(cell, &cell_id);
    cs_key_id(relay, &relay_id);
    encoded_set(cell, 1, 3, &cell_set, &cell_len);

    relay_chunk(cell, cell_set, cell_len, &env, &envlen);
    assert_int_equal(
        cs_sync_open_sets(hub, cs_key_pk(relay), env, envlen, &s, &info, err, sizeof(err)), 0);
    assert_int_equal(s.nrelayed, 1);
    assert_int_equal(cs_id_cmp(&s.relayed[0].origin, &cell_id), 0);
    assert_int_equal(cs_id_cmp(&cs_changeset_header(s.own)->origin, &relay_id), 0);
    assert_int_equal(cs_changeset_header(s.relayed[0].cs)->seq_last, 3);
    /* Unchanged: the bytes the cell signed are the bytes the hub keeps. */
    assert_memory_equal(s.relayed[0].s.set, cell_set, cell_len);
    assert_ptr_equal(s.relayed[0].s.bytes + s.relayed[0].s.len, s.plain + s.plain_len);
    cs_chunk_sets_release(&s);
    /* A device takes no relayed set; a bundle's check does (the hub judges them). */
    assert_int_equal(
        cs_sync_open_chunk(hub, cs_key_pk(relay), env, envlen, &cs, &info, err, sizeof(err)),
        CS_EMALFORMED);
    assert_null(cs);
    assert_int_equal(
        cs_sync_check_chunk(hub, cs_key_pk(relay), env, envlen, NULL, err, sizeof(err)), 0);
    free(env);

    /* The cell's set signed by the relay's key, or another's, under the cell's name. */
    const struct cs_key *forgers[] = {relay, other};
    for (size_t i = 0; i < 2; i++) {
        relay_chunk(forgers[i], cell_set, cell_len, &env, &envlen);
        assert_int_equal(
            cs_sync_open_sets(hub, cs_key_pk(relay), env, envlen, &s, &info, err, sizeof(err)),
            CS_ESIGNATURE);
        assert_non_null(strstr(err, "does not carry that device's signature"));
        cs_chunk_sets_release(&s);
        free(env);
    }
    free(cell_set);
}

/* The sender's own set must be its own, signed by the envelope's key. */
static void
test_own_set(void **state)
{
    (void)state;
    uint8_t *set, *body = NULL, *env;
    size_t set_len, blen = 0, envlen;
    struct cs_chunk_sets s;
    struct cs_envelope_info info;
    char err[256];

    /* Another key's set first, in the relay's envelope. */
    encoded_set(other, 1, 1, &set, &set_len);
    assert_int_equal(cs_origin_sign(other, set, set_len, &body, &blen), 0);
    assert_int_equal(cs_envelope_seal(relay, cs_key_pk(hub), 1, 1, body, blen, &env, &envlen), 0);
    assert_int_equal(
        cs_sync_open_sets(hub, cs_key_pk(relay), env, envlen, &s, &info, err, sizeof(err)),
        CS_ESIGNATURE);
    cs_chunk_sets_release(&s);
    free(env);
    free(body);
    free(set);

    /* The relay's key over a set that names the cell as its origin. */
    body = NULL;
    blen = 0;
    encoded_set(cell, 1, 1, &set, &set_len);
    assert_int_equal(
        cs_sync_seal(relay, cs_key_pk(hub), 1, 1, set, set_len, NULL, 0, &env, &envlen), 0);
    assert_int_equal(
        cs_sync_open_sets(hub, cs_key_pk(relay), env, envlen, &s, &info, err, sizeof(err)),
        CS_ESIGNATURE);
    assert_non_null(strstr(err, "names another origin than its signer"));
    cs_chunk_sets_release(&s);
    free(env);

    /* A bare change set, as version 4 sealed it. */
    assert_int_equal(cs_envelope_seal(cell, cs_key_pk(hub), 1, 1, set, set_len, &env, &envlen), 0);
    assert_int_equal(
        cs_sync_open_sets(hub, cs_key_pk(cell), env, envlen, &s, &info, err, sizeof(err)),
        CS_EMALFORMED);
    assert_non_null(strstr(err, "no change set signed by its origin"));
    cs_chunk_sets_release(&s);
    free(env);

    /* The sender relaying a set of its own. */
    assert_int_equal(cs_origin_sign(cell, set, set_len, &body, &blen), 0);
    assert_int_equal(
        cs_sync_seal(cell, cs_key_pk(hub), 1, 1, set, set_len, body, blen, &env, &envlen), 0);
    assert_int_equal(
        cs_sync_open_sets(hub, cs_key_pk(cell), env, envlen, &s, &info, err, sizeof(err)),
        CS_EMALFORMED);
    cs_chunk_sets_release(&s);
    free(env);
    free(body);
    free(set);
}

/*
 * Live chunks (cellsync/sync.h): the signed sets behind a 5-byte header,
 * opened without a key; the own set's signer, seq range and sizes come out
 * in info, and every lie of the header or the sets is refused.
 */
static void
test_live(void **state)
{
    (void)state;
    uint8_t *set, *c, *signed_set = NULL;
    size_t set_len, clen, slen = 0;
    struct cs_chunk_sets s;
    struct cs_envelope_info info;
    struct cs_changeset *cs;
    char err[256];

    encoded_set(cell, 4, 9, &set, &set_len);
    assert_int_equal(cs_sync_seal(cell, NULL, 4, 9, set, set_len, NULL, 0, &c, &clen), 0);
    assert_int_equal(cs_origin_sign(cell, set, set_len, &signed_set, &slen), 0);
    /* The sample set compresses: flag, declared size, then a zstd frame. */
    assert_int_equal(c[0], CS_ENVELOPE_F_ZSTD);
    assert_int_equal(c[1] | c[2] << 8 | c[3] << 16 | (uint32_t)c[4] << 24, slen);
    assert_true(clen < CS_SYNC_LIVE_HEADER + slen);
    assert_int_equal(cs_sync_open_sets(NULL, cs_key_pk(cell), c, clen, &s, &info, err, sizeof(err)),
                     0);
    assert_int_equal(s.plain_len, slen);
    assert_memory_equal(s.plain, signed_set, slen);
    assert_memory_equal(info.origin_pk, cs_key_pk(cell), CS_PK_LEN);
    assert_int_equal(info.seq_first, 4);
    assert_int_equal(info.seq_last, 9);
    cs_chunk_sets_release(&s);
    /* From anyone else it is refused, without a key to try. */
    assert_int_equal(
        cs_sync_open_chunk(NULL, cs_key_pk(other), c, clen, &cs, &info, err, sizeof(err)),
        CS_ESIGNATURE);
    assert_non_null(strstr(err, "signed by another key"));
    assert_null(cs);
    /* Never taken for an envelope, nor an envelope for it. */
    assert_true(cs_sync_open_chunk(hub, cs_key_pk(cell), c, clen, &cs, &info, NULL, 0) < 0);
    free(c);

    /* Plain (flags 0): every byte of the signed set flipped is refused, none decoded. */
    clen = CS_SYNC_LIVE_HEADER + slen;
    c = malloc(clen);
    assert_non_null(c);
    c[0] = 0;
    for (int i = 0; i < 4; i++)
        c[1 + i] = (uint8_t)(slen >> (8 * i));
    memcpy(c + CS_SYNC_LIVE_HEADER, signed_set, slen);
    assert_int_equal(cs_sync_open_chunk(NULL, cs_key_pk(cell), c, clen, &cs, &info, NULL, 0), 0);
    cs_changeset_free(cs);
    for (size_t i = CS_SYNC_LIVE_HEADER; i < clen; i++) {
        c[i] ^= 0x20;
        int ret = cs_sync_open_chunk(NULL, cs_key_pk(cell), c, clen, &cs, &info, NULL, 0);
        assert_true(ret < 0);
        assert_null(cs);
        c[i] ^= 0x20;
    }
    /* The header's lies: unknown flags, a size that is not the body's, too big, too short. */
    c[0] = 0x02;
    assert_int_equal(cs_sync_open_chunk(NULL, cs_key_pk(cell), c, clen, &cs, &info, NULL, 0),
                     CS_EMALFORMED);
    c[0] = CS_ENVELOPE_F_ZSTD; /* "compressed" to as many bytes as it holds */
    assert_int_equal(cs_sync_open_chunk(NULL, cs_key_pk(cell), c, clen, &cs, &info, NULL, 0),
                     CS_EMALFORMED);
    c[0] = 0;
    assert_int_equal(cs_sync_open_chunk(NULL, cs_key_pk(cell), c, clen - 1, &cs, &info, NULL, 0),
                     CS_EMALFORMED);
    c[4] = 0x7f;
    assert_int_equal(cs_sync_open_chunk(NULL, cs_key_pk(cell), c, clen, &cs, &info, NULL, 0),
                     CS_EBOMB);
    for (size_t n = 0; n < CS_SYNC_LIVE_HEADER; n++)
        assert_int_equal(cs_sync_open_chunk(NULL, cs_key_pk(cell), c, n, &cs, &info, NULL, 0),
                         CS_ETRUNCATED);
    free(c);
    free(signed_set);
    free(set);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),       cmocka_unit_test(test_every_cut_and_flip),
        cmocka_unit_test(test_header_codes), cmocka_unit_test(test_relayed),
        cmocka_unit_test(test_own_set),      cmocka_unit_test(test_live),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
