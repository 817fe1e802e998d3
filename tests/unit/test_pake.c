/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for enrollment by code on the wire (cellsync/pake.h): a whole
 * run between a device and a hub in memory gives the device exactly the
 * enrollment the hub put in; the tags are the draft's key confirmation
 * (recomputed here from the draft's formulas with libsodium, not through
 * cpace.c's function); a wrong code fails on both sides, the device
 * sending nothing; a changed byte anywhere in SHARE or REPLY fails; the
 * identity element or a non-canonical share is refused; frames of the
 * wrong length or step are refused; refusals read back.
 */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/pake.h"
#include "cellsync/version.h"
#include "cellsync/wire.h"

/* One run's frames, made by both sides. */
struct run {
    struct cs_pake dev, hub;
    uint8_t start[CS_PAKE_START_LEN], nonce[CS_PAKE_NONCE_MSG], share[CS_PAKE_SHARE_LEN];
    uint8_t reply[CS_PAKE_REPLY_MAX], confirm[CS_PAKE_CONFIRM_LEN];
    size_t replylen;
};

static void
code_secret(uint32_t number, uint8_t secret[CS_ENROLL_SECRET_LEN])
{
    uint8_t bits[8];
    randombytes_buf(bits, sizeof(bits));
    cs_enroll_code_secret(number, bits, secret);
}

static void
grant(struct cs_enrollment *e)
{
    memset(e, 0, sizeof(*e));
    randombytes_buf(e->hub_pk, sizeof(e->hub_pk));
    randombytes_buf(e->secret, sizeof(e->secret));
    snprintf(e->org, sizeof(e->org), "%s", "CB-01");
    snprintf(e->role, sizeof(e->role), "%s", "cell");
    snprintf(e->name, sizeof(e->name), "%s", "Máy bản Khe Ván");
    e->expires = 1800000000;
}

/* START, NONCE, SHARE and REPLY: the device knows dev_code, the hub hub_code. */
static void
run_to_reply(struct run *r, const uint8_t dev_code[32], const uint8_t hub_code[32],
             const struct cs_enrollment *e)
{
    unsigned version;
    assert_int_equal(cs_pake_dev_start(&r->dev, dev_code, r->start), 0);
    assert_int_equal(cs_pake_hub_start(&r->hub, r->start, sizeof(r->start), &version, r->nonce), 0);
    assert_int_equal(version, CS_WIRE_VERSION);
    assert_int_equal(cs_pake_dev_share(&r->dev, r->nonce, sizeof(r->nonce), r->share), 0);
    assert_int_equal(cs_pake_hub_reply(&r->hub, hub_code, r->share, sizeof(r->share), e, r->reply,
                                       sizeof(r->reply), &r->replylen),
                     0);
}

static void
test_run(void **state)
{
    (void)state;
    uint8_t code[32];
    struct cs_enrollment e, got;
    struct run r;
    uint32_t number;
    code_secret(12345, code);
    grant(&e);
    run_to_reply(&r, code, code, &e);
    /* The number travels, the code does not. */
    assert_true(cs_enroll_secret_is_code(code, &number));
    assert_int_equal(r.start[3] << 8 | r.start[4], 12345);
    assert_null(memmem(r.start, sizeof(r.start), code + 3, 8));
    assert_null(memmem(r.share, sizeof(r.share), code + 3, 8));
    assert_null(memmem(r.reply, r.replylen, code + 3, 8));
    /* Nor the hub's key or the secret, in the clear. */
    assert_null(memmem(r.reply, r.replylen, e.hub_pk, 8));
    assert_null(memmem(r.reply, r.replylen, e.secret, 8));
    assert_int_equal(cs_pake_dev_finish(&r.dev, r.reply, r.replylen, &got, r.confirm), 0);
    assert_memory_equal(got.hub_pk, e.hub_pk, CS_PK_LEN);
    assert_memory_equal(got.secret, e.secret, CS_ENROLL_SECRET_LEN);
    assert_string_equal(got.org, e.org);
    assert_string_equal(got.role, e.role);
    assert_string_equal(got.name, e.name);
    assert_int_equal(got.expires, e.expires);
    assert_int_equal(cs_pake_hub_confirm(&r.hub, r.confirm, sizeof(r.confirm)), 0);
    /* A CONFIRM with one bit changed is not the device's. */
    r.confirm[40] ^= 1;
    assert_int_equal(cs_pake_hub_confirm(&r.hub, r.confirm, sizeof(r.confirm)), CS_EDECRYPT);
    /* Two runs of the same code share nothing on the wire. */
    struct run r2;
    run_to_reply(&r2, code, code, &e);
    assert_memory_not_equal(r.start + 5, r2.start + 5, CS_PAKE_NONCE_LEN);
    assert_memory_not_equal(r.share, r2.share, sizeof(r.share));
    assert_int_equal(r.replylen, r2.replylen);
    assert_memory_not_equal(r.reply, r2.reply, r.replylen);
}

/*
 * The tags as the draft's section "Key confirmation" writes them, computed
 * here from scratch: ISK from the draft's formula for the IR transcript
 * (sid = na || nb), then mac_key = SHA-512("CPaceMac" || sid || ISK) and
 * Ta/Tb = HMAC-SHA-512(mac_key, lv_cat(Y, AD)) with AD empty.
 */
static void
test_tags_are_the_drafts(void **state)
{
    (void)state;
    uint8_t code[32], isk[64], mac_key[64], ta[64], tb[64], sid[32];
    struct cs_enrollment e, got;
    struct run r;
    code_secret(7, code);
    grant(&e);
    run_to_reply(&r, code, code, &e);
    /* sid = na || nb. */
    memcpy(sid, r.start + 5, 16);
    memcpy(sid + 16, r.nonce + 2, 16);
    assert_memory_equal(r.hub.sid, sid, sizeof(sid));
    assert_int_equal(cs_pake_dev_finish(&r.dev, r.reply, r.replylen, &got, r.confirm), 0);
    /* What the hub expects (Ta) is what the device sent. */
    assert_memory_equal(r.hub.ta, r.confirm + 2, 64);
    /*
     * The scalars of a run are wiped: the formulas are checked on a run of
     * cs_cpace_* with the same PRS and CI, where ISK is known, against
     * cs_cpace_confirm_tags, which pake.c uses.
     */
    uint8_t g[32], ya_s[32], yb_s[32], Ya[32], Yb[32], ci[20] = "cellsync enroll";
    ci[15] = 0;
    ci[16] = CS_WIRE_VERSION;
    ci[17] = 0;
    ci[18] = 7;
    randombytes_buf(sid, sizeof(sid));
    assert_int_equal(cs_cpace_generator(code, 32, ci, 19, sid, sizeof(sid), g), 0);
    assert_int_equal(cs_cpace_start(g, ya_s, Ya), 0);
    assert_int_equal(cs_cpace_start(g, yb_s, Yb), 0);
    struct cs_cpace_share a = {.y_pub = Ya}, b = {.y_pub = Yb};
    assert_int_equal(cs_cpace_finish(ya_s, CS_CPACE_A, CS_CPACE_IR, sid, sizeof(sid), &a, &b, isk),
                     0);
    crypto_hash_sha512_state h;
    crypto_hash_sha512_init(&h);
    crypto_hash_sha512_update(&h, (const uint8_t *)"CPaceMac", 8);
    crypto_hash_sha512_update(&h, sid, sizeof(sid));
    crypto_hash_sha512_update(&h, isk, sizeof(isk));
    crypto_hash_sha512_final(&h, mac_key);
    uint8_t lv[35] = {32};
    crypto_auth_hmacsha512_state m;
    memcpy(lv + 1, Ya, 32);
    lv[33] = 0; /* prepend_len(ADa = b"") */
    crypto_auth_hmacsha512_init(&m, mac_key, sizeof(mac_key));
    crypto_auth_hmacsha512_update(&m, lv, 34);
    crypto_auth_hmacsha512_final(&m, ta);
    memcpy(lv + 1, Yb, 32);
    crypto_auth_hmacsha512_init(&m, mac_key, sizeof(mac_key));
    crypto_auth_hmacsha512_update(&m, lv, 34);
    crypto_auth_hmacsha512_final(&m, tb);
    uint8_t ta2[64], tb2[64];
    assert_int_equal(cs_cpace_confirm_tags(sid, sizeof(sid), isk, &a, &b, ta2, tb2), 0);
    assert_memory_equal(ta, ta2, 64);
    assert_memory_equal(tb, tb2, 64);
    assert_memory_not_equal(ta, tb, 64);
}

/* A device with another code: it refuses the hub's reply and sends nothing; the hub sees no
 * CONFIRM. */
static void
test_wrong_code(void **state)
{
    (void)state;
    uint8_t code[32], other[32];
    struct cs_enrollment e, got;
    struct run r;
    code_secret(99, code);
    memcpy(other, code, sizeof(other));
    other[10] ^= 1; /* the same number, one bit of the secret */
    grant(&e);
    run_to_reply(&r, other, code, &e);
    memset(r.confirm, 0xaa, sizeof(r.confirm));
    assert_int_equal(cs_pake_dev_finish(&r.dev, r.reply, r.replylen, &got, r.confirm), CS_EDECRYPT);
    /* Nothing of the enrollment, no CONFIRM made. */
    uint8_t zero[CS_PK_LEN] = {0};
    assert_memory_equal(got.hub_pk, zero, CS_PK_LEN);
    for (size_t i = 0; i < sizeof(r.confirm); i++)
        assert_int_equal(r.confirm[i], 0xaa);
    /* A guessed CONFIRM is refused. */
    r.confirm[0] = CS_PAKE_FRAME;
    r.confirm[1] = CS_PAKE_CONFIRM;
    assert_int_equal(cs_pake_hub_confirm(&r.hub, r.confirm, sizeof(r.confirm)), CS_EDECRYPT);
    /* A hub that never replied confirms nothing, not even an all-zero tag. */
    struct cs_pake fresh;
    uint8_t z[CS_PAKE_CONFIRM_LEN] = {CS_PAKE_FRAME, CS_PAKE_CONFIRM};
    memset(&fresh, 0, sizeof(fresh));
    assert_int_equal(cs_pake_hub_confirm(&fresh, z, sizeof(z)), CS_EDECRYPT);
}

/* Every byte of SHARE and REPLY matters: one changed, the run fails. */
static void
test_tampered(void **state)
{
    (void)state;
    uint8_t code[32];
    struct cs_enrollment e, got;
    code_secret(4242, code);
    grant(&e);
    for (size_t i = 2; i < CS_PAKE_SHARE_LEN; i += 5) {
        struct run r;
        unsigned version;
        assert_int_equal(cs_pake_dev_start(&r.dev, code, r.start), 0);
        assert_int_equal(cs_pake_hub_start(&r.hub, r.start, sizeof(r.start), &version, r.nonce), 0);
        assert_int_equal(cs_pake_dev_share(&r.dev, r.nonce, sizeof(r.nonce), r.share), 0);
        r.share[i] ^= 0x10;
        int rc = cs_pake_hub_reply(&r.hub, code, r.share, sizeof(r.share), &e, r.reply,
                                   sizeof(r.reply), &r.replylen);
        if (rc == 0)
            assert_int_not_equal(cs_pake_dev_finish(&r.dev, r.reply, r.replylen, &got, r.confirm),
                                 0);
        else
            assert_int_equal(rc, CS_EMALFORMED); /* not an element any more */
    }
    struct run base;
    run_to_reply(&base, code, code, &e);
    for (size_t i = 2; i < base.replylen; i++) {
        struct run r = base;
        r.reply[i] ^= 0x01;
        assert_int_not_equal(cs_pake_dev_finish(&r.dev, r.reply, r.replylen, &got, r.confirm), 0);
    }
    /* Cut short or grown: refused. */
    struct run r = base;
    assert_int_not_equal(cs_pake_dev_finish(&r.dev, r.reply, r.replylen - 1, &got, r.confirm), 0);
    r = base;
    assert_int_not_equal(cs_pake_dev_finish(&r.dev, r.reply, 2 + 32 + 64, &got, r.confirm), 0);
}

/* The identity element and a non-canonical encoding as a share: the draft's abort, on both sides.
 */
static void
test_bad_share(void **state)
{
    (void)state;
    uint8_t code[32];
    struct cs_enrollment e, got;
    struct run r;
    unsigned version;
    code_secret(1, code);
    grant(&e);
    static const uint8_t bad[2][32] = {
        {0}, /* the identity */
        {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, /* p: not canonical */
    };
    for (int i = 0; i < 2; i++) {
        assert_int_equal(cs_pake_dev_start(&r.dev, code, r.start), 0);
        assert_int_equal(cs_pake_hub_start(&r.hub, r.start, sizeof(r.start), &version, r.nonce), 0);
        assert_int_equal(cs_pake_dev_share(&r.dev, r.nonce, sizeof(r.nonce), r.share), 0);
        memcpy(r.share + 2, bad[i], 32);
        assert_int_equal(cs_pake_hub_reply(&r.hub, code, r.share, sizeof(r.share), &e, r.reply,
                                           sizeof(r.reply), &r.replylen),
                         CS_EMALFORMED);
        assert_false(r.hub.replied);
        /* And the device, given such a Yb. */
        run_to_reply(&r, code, code, &e);
        memcpy(r.reply + 2, bad[i], 32);
        assert_int_equal(cs_pake_dev_finish(&r.dev, r.reply, r.replylen, &got, r.confirm),
                         CS_EMALFORMED);
    }
}

/* Frames of the wrong step or length, and a hub's code of another number. */
static void
test_frames(void **state)
{
    (void)state;
    uint8_t code[32], file[32], out[CS_PAKE_REPLY_MAX];
    struct cs_enrollment e;
    struct run r;
    unsigned version;
    size_t n;
    code_secret(500, code);
    grant(&e);
    randombytes_buf(file, sizeof(file));
    assert_int_equal(cs_pake_dev_start(&r.dev, file, r.start), CS_EINVAL);
    assert_int_equal(cs_pake_dev_start(&r.dev, code, r.start), 0);
    assert_int_equal(cs_pake_hub_start(&r.hub, r.start, sizeof(r.start) - 1, &version, r.nonce),
                     CS_EMALFORMED);
    r.start[1] = CS_PAKE_SHARE;
    assert_int_equal(cs_pake_hub_start(&r.hub, r.start, sizeof(r.start), &version, r.nonce),
                     CS_EMALFORMED);
    r.start[1] = CS_PAKE_START;
    r.start[3] = 0xff; /* number 2^15 and above: no code has it */
    assert_int_equal(cs_pake_hub_start(&r.hub, r.start, sizeof(r.start), &version, r.nonce),
                     CS_EMALFORMED);
    run_to_reply(&r, code, code, &e);
    assert_int_equal(cs_pake_dev_share(&r.dev, r.share, sizeof(r.share), out), CS_EMALFORMED);
    uint8_t other[32];
    code_secret(501, other);
    struct run r2;
    assert_int_equal(cs_pake_dev_start(&r2.dev, code, r2.start), 0);
    assert_int_equal(cs_pake_hub_start(&r2.hub, r2.start, sizeof(r2.start), &version, r2.nonce), 0);
    assert_int_equal(cs_pake_dev_share(&r2.dev, r2.nonce, sizeof(r2.nonce), r2.share), 0);
    assert_int_equal(
        cs_pake_hub_reply(&r2.hub, other, r2.share, sizeof(r2.share), &e, out, sizeof(out), &n),
        CS_EINVAL);
    /* Refusals. */
    enum cs_pake_refusal why;
    unsigned wait_s;
    uint8_t f[CS_PAKE_REFUSE_LEN];
    cs_pake_refusal(f, CS_PAKE_WAIT, 300);
    assert_int_equal(cs_pake_refusal_read(f, sizeof(f), &why, &wait_s), 0);
    assert_int_equal(why, CS_PAKE_WAIT);
    assert_int_equal(wait_s, 300);
    assert_int_equal(cs_pake_refusal_read(f, sizeof(f) - 1, &why, &wait_s), CS_EMALFORMED);
    assert_int_equal(cs_pake_refusal_read(r.nonce, sizeof(r.nonce), &why, &wait_s), CS_EMALFORMED);
    assert_int_equal(cs_pake_step(f, 1), -1);
}

int
main(void)
{
    if (cs_init() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run),        cmocka_unit_test(test_tags_are_the_drafts),
        cmocka_unit_test(test_wrong_code), cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_bad_share),  cmocka_unit_test(test_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
