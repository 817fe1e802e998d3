/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the live protocol: frame lengths, the handshake between a
 * real device key and a real hub key in memory, the session streams, and the
 * session messages. Above all refusal: every flipped byte and every
 * truncation of msg1 and msg2, a wrong pinned key, an impostor device, a
 * replayed msg1, and a sealed stream that is altered, cut, repeated or
 * reordered. A second, test-only composition of the handshake (forge_*) on
 * the Noise module (checked by test_noise against the published vectors),
 * written from the comment in cellsync/wire.h, checks that the code does
 * what the header says, and lets the tests hand crafted payloads to the
 * decoders. Noise wipes a handshake state on any failure (section 5.3), so
 * a test that tries many bad messages tries each on a copy.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/key.h"
#include "cellsync/noise.h"
#include "cellsync/version.h"
#include "cellsync/wire.h"
#include "internal.h"

/* Format constants from cellsync/wire.h: a change here is a protocol change. */
#define TAG         16u
#define MSG1_MIN    (1u + 32u + 48u + TAG) /* version, e, encrypted s, payload tag */
#define MSG1_PREFIX (12u + 32u)            /* timestamp, device Ed25519 key */
#define MSG2_MIN    (32u + TAG)            /* e, payload tag */
#define MAXMSG      65536u
/* "cellsync wire" || 0x00 || version */
static const uint8_t PROLOGUE[] = {'c', 'e', 'l', 'l', 's', 'y',  'n', 'c',
                                   ' ', 'w', 'i', 'r', 'e', 0x00, 6};

static struct cs_key *dev;  /* the device */
static struct cs_key *dev2; /* another device: the impostor's own key */
static struct cs_key *hub;  /* the hub the device has pinned */
static struct cs_key *hub2; /* another hub */

static const char viet_name[] = "Chi bộ Thôn Đông – Tam Hải";

static int
group_setup(void **state)
{
    (void)state;
    if (cs_init() != 0)
        return -1;
    if (cs_key_generate(&dev) != 0 || cs_key_generate(&dev2) != 0 || cs_key_generate(&hub) != 0 ||
        cs_key_generate(&hub2) != 0)
        return -1;
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    cs_key_free(dev);
    cs_key_free(dev2);
    cs_key_free(hub);
    cs_key_free(hub2);
    return 0;
}

/* The same bytes every run for a given seed. */
static void
fill(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

/* An exact-size heap copy, so the sanitizers see any read past the end. */
static uint8_t *
dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    if (n > 0)
        memcpy(c, p, n);
    return c;
}

static void
full_hello(struct cs_hello *h)
{
    memset(h, 0, sizeof(*h));
    h->hub_seq = 123456789012ull;
    h->has_secret = 1;
    fill(h->secret, sizeof(h->secret), 7);
    snprintf(h->name, sizeof(h->name), "%s", viet_name);
    h->has_incarnation = 1;
    fill(h->incarnation, sizeof(h->incarnation), 8);
}

static void
full_welcome(struct cs_welcome *w)
{
    memset(w, 0, sizeof(*w));
    w->status = CS_WELCOME_OK;
    snprintf(w->message, sizeof(w->message), "Chào đồng chí, đồng bộ bắt đầu");
    w->hub_time = 0x0192a5b3c4d5e6f7ull;
    w->up_seq = 4242;
    snprintf(w->org, sizeof(w->org), "QNA-NTH-TH-03");
    snprintf(w->role, sizeof(w->role), "cell");
    w->has_incarnation = 1;
    fill(w->incarnation, sizeof(w->incarnation), 9);
    w->down_seq = 4141;
    w->max_drift_minutes = 120;
}

/* msg1 from a fresh device hs. */
static void
start(struct cs_hs *d, const struct cs_key *k, const struct cs_key *pinned,
      const struct cs_hello *hello, uint8_t *msg1, size_t *len1)
{
    uint8_t ts[CS_WIRE_TS_LEN];
    cs_wire_ts_next(NULL, ts);
    assert_int_equal(
        cs_hs_device_start(d, k, cs_key_pk(pinned), ts, hello, msg1, CS_WIRE_MAX_PREAUTH, len1), 0);
}

/* A whole handshake that must succeed, with what each side received. */
static void
handshake(struct cs_hs *d, struct cs_hs *h, const struct cs_hello *hi, const struct cs_welcome *wi,
          struct cs_hello *ho, struct cs_welcome *wo, size_t *len1, size_t *len2)
{
    uint8_t msg1[CS_WIRE_MAX_PREAUTH], msg2[CS_WIRE_MAX_PREAUTH];
    unsigned v = 0;

    start(d, dev, hub, hi, msg1, len1);
    assert_int_equal(cs_hs_hub_read(h, hub, msg1, *len1, ho), 0);
    assert_int_equal(cs_hs_hub_reply(h, wi, msg2, sizeof(msg2), len2), 0);
    assert_int_equal(cs_hs_device_finish(d, dev, cs_key_pk(hub), msg2, *len2, wo, &v), 0);
    assert_int_equal(v, CS_WIRE_VERSION);
}

static void
sessions(struct cs_hs *d, struct cs_hs *h, struct cs_session *ds, struct cs_session *hs)
{
    uint8_t dh[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    uint8_t hh[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    assert_int_equal(cs_session_init(ds, d, dh), 0);
    assert_int_equal(cs_session_init(hs, h, hh), 0);
    assert_int_equal(cs_session_accept(ds, d, hh, sizeof(hh)), 0);
    assert_int_equal(cs_session_accept(hs, h, dh, sizeof(dh)), 0);
}

/* ---- a second composition of the handshake, from the header's comment ---- */

/*
 * Built on the Noise module directly (test_noise checks it against the
 * published vectors): the prologue, the keys' X25519 forms and the payload
 * layout are what this checks, and it lets the tests seal crafted payloads.
 */
struct forged {
    struct cs_noise_handshake nh;
    uint8_t msg[CS_WIRE_MAX_PREAUTH];
    size_t len;
};

static void
x25519_sk(const struct cs_key *k, uint8_t sk[32])
{
    assert_int_equal(cs__key_x25519_sk(k, sk), 0);
}

/*
 * A msg1 that names claimed_pk in its payload but whose Noise static key is
 * ss_key's, carrying timestamp ts and any hello bytes.
 */
static void
forge_msg1_ts(struct forged *f, const uint8_t ts[CS_WIRE_TS_LEN],
              const uint8_t claimed_pk[CS_PK_LEN], const struct cs_key *ss_key,
              const struct cs_key *to, const uint8_t *payload, size_t plen)
{
    uint8_t hub_x[32], sk[32], body[CS_WIRE_MAX_PREAUTH];
    size_t n = 0;
    char err[128];

    assert_true(plen + MSG1_PREFIX <= sizeof(body));
    memcpy(body, ts, CS_WIRE_TS_LEN);
    memcpy(body + CS_WIRE_TS_LEN, claimed_pk, CS_PK_LEN);
    if (plen > 0) /* an empty payload may come as NULL, which memcpy may not be given */
        memcpy(body + MSG1_PREFIX, payload, plen);
    assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(hub_x, cs_key_pk(to)), 0);
    x25519_sk(ss_key, sk);
    assert_int_equal(cs_noise_handshake_init(&f->nh, CS_NOISE_INITIATOR, PROLOGUE, sizeof(PROLOGUE),
                                             sk, hub_x, NULL, err, sizeof(err)),
                     0);
    f->msg[0] = CS_WIRE_VERSION;
    assert_int_equal(cs_noise_handshake_write(&f->nh, body, plen + MSG1_PREFIX, f->msg + 1,
                                              sizeof(f->msg) - 1, &n, err, sizeof(err)),
                     0);
    f->len = 1 + n;
}

static void
forge_msg1(struct forged *f, const uint8_t claimed_pk[CS_PK_LEN], const struct cs_key *ss_key,
           const struct cs_key *to, const uint8_t *payload, size_t plen)
{
    uint8_t ts[CS_WIRE_TS_LEN];
    cs_wire_ts_next(NULL, ts);
    forge_msg1_ts(f, ts, claimed_pk, ss_key, to, payload, plen);
}

/* Split() into the two secretstream keys, as this side sends and receives. */
static void
split_keys(struct cs_noise_handshake *nh, uint8_t tx[32], uint8_t rx[32])
{
    struct cs_noise_cipher send, recv;
    assert_int_equal(cs_noise_handshake_split(nh, &send, &recv), 0);
    assert_int_equal(cs_noise_cipher_take_key(&send, tx), 0);
    assert_int_equal(cs_noise_cipher_take_key(&recv, rx), 0);
    cs_noise_handshake_release(nh);
}

/* The device side of a forged msg1 reads the real hub's msg2: the keys and the welcome bytes. */
static void
forge_read_msg2(struct forged *f, const uint8_t *msg2, size_t len, uint8_t tx[32], uint8_t rx[32],
                uint8_t *payload, size_t *plen)
{
    char err[128];
    assert_int_equal(cs_noise_handshake_read(&f->nh, msg2, len, payload, CS_WIRE_MAX_PREAUTH, plen,
                                             err, sizeof(err)),
                     0);
    split_keys(&f->nh, tx, rx);
}

/*
 * The hub's side from a real device's msg1: a msg2 carrying any welcome
 * bytes, and the hub's keys (tx = what the hub sends with).
 */
static void
forge_msg2(const uint8_t *msg1, size_t len1, const struct cs_key *me, const uint8_t *payload,
           size_t plen, uint8_t *msg2, size_t *len2, uint8_t tx[32], uint8_t rx[32])
{
    struct cs_noise_handshake nh;
    uint8_t sk[32], body[CS_WIRE_MAX_PREAUTH];
    size_t n = 0;
    char err[128];

    x25519_sk(me, sk);
    assert_int_equal(msg1[0], CS_WIRE_VERSION);
    assert_int_equal(cs_noise_handshake_init(&nh, CS_NOISE_RESPONDER, PROLOGUE, sizeof(PROLOGUE),
                                             sk, NULL, NULL, err, sizeof(err)),
                     0);
    assert_int_equal(
        cs_noise_handshake_read(&nh, msg1 + 1, len1 - 1, body, sizeof(body), &n, err, sizeof(err)),
        0);
    assert_int_equal(cs_noise_handshake_write(&nh, payload, plen, msg2, CS_WIRE_MAX_PREAUTH, len2,
                                              err, sizeof(err)),
                     0);
    split_keys(&nh, tx, rx);
}

/* A msgpack buffer for crafted payloads. */
struct mp {
    msgpack_sbuffer sb;
    msgpack_packer pk;
};

static void
mp_init(struct mp *m)
{
    msgpack_sbuffer_init(&m->sb);
    msgpack_packer_init(&m->pk, &m->sb, msgpack_sbuffer_write);
}

static void
mp_str(struct mp *m, const char *s, size_t n)
{
    assert_int_equal(msgpack_pack_str(&m->pk, n), 0);
    assert_int_equal(msgpack_pack_str_body(&m->pk, s, n), 0);
}

static void
mp_bin(struct mp *m, const uint8_t *b, size_t n)
{
    assert_int_equal(msgpack_pack_bin(&m->pk, n), 0);
    assert_int_equal(msgpack_pack_bin_body(&m->pk, b, n), 0);
}

static void
mp_repeat(struct mp *m, char c, size_t n)
{
    char buf[512];
    assert_true(n <= sizeof(buf));
    memset(buf, c, n);
    mp_str(m, buf, n);
}

/* ---- frames ---- */

static void
test_frame(void **state)
{
    (void)state;
    static const uint32_t lens[] = {
        0, 1, 0xff, 0x100, 0x10203, CS_WIRE_MAX_PREAUTH, CS_WIRE_MAX_FRAME, UINT32_MAX,
    };
    uint8_t hdr[CS_WIRE_HEADER];
    uint32_t got = 0;

    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        cs_wire_frame_put(hdr, lens[i]);
        assert_int_equal(cs_wire_frame_len(hdr, UINT32_MAX, &got), 0);
        assert_int_equal(got, lens[i]);
    }
    cs_wire_frame_put(hdr, 0x01020304);
    assert_memory_equal(hdr, ((uint8_t[]){1, 2, 3, 4}), 4);

    /* The limit itself is allowed, one more is not, and *len is left alone. */
    cs_wire_frame_put(hdr, CS_WIRE_MAX_PREAUTH);
    assert_int_equal(cs_wire_frame_len(hdr, CS_WIRE_MAX_PREAUTH, &got), 0);
    assert_int_equal(got, CS_WIRE_MAX_PREAUTH);
    got = 77;
    cs_wire_frame_put(hdr, CS_WIRE_MAX_PREAUTH + 1);
    assert_int_equal(cs_wire_frame_len(hdr, CS_WIRE_MAX_PREAUTH, &got), CS_ETOOBIG);
    cs_wire_frame_put(hdr, CS_WIRE_MAX_FRAME + 1);
    assert_int_equal(cs_wire_frame_len(hdr, CS_WIRE_MAX_FRAME, &got), CS_ETOOBIG);
    cs_wire_frame_put(hdr, UINT32_MAX);
    assert_int_equal(cs_wire_frame_len(hdr, CS_WIRE_MAX_FRAME, &got), CS_ETOOBIG);
    assert_int_equal(got, 77);
}

/* ---- handshake ---- */

/* Seals n messages of varied sizes one way and opens them the other, in order. */
static void
stream(struct cs_session *tx, struct cs_session *rx, size_t n, uint32_t seed)
{
    enum { BATCH = 8 };
    uint8_t *plain[BATCH], *sealed[BATCH];
    size_t lens[BATCH];
    uint8_t *out = malloc(MAXMSG);
    assert_non_null(out);
    for (size_t k = 0; k < BATCH; k++) {
        plain[k] = malloc(MAXMSG);
        sealed[k] = malloc(MAXMSG + CS_SESSION_OVERHEAD);
        assert_non_null(plain[k]);
        assert_non_null(sealed[k]);
    }
    for (size_t i = 0; i < n; i += BATCH) {
        size_t m = n - i < BATCH ? n - i : BATCH;
        for (size_t k = 0; k < m; k++) {
            uint32_t id = seed + (uint32_t)(i + k);
            /* Both ends of the range every time, the rest spread over it. */
            lens[k] = (i + k) % 100 == 0   ? 0
                      : (i + k) % 100 == 1 ? MAXMSG
                                           : (id * 2654435761u) % (MAXMSG + 1);
            fill(plain[k], lens[k], id);
            assert_int_equal(cs_session_seal(tx, plain[k], lens[k], sealed[k]), 0);
        }
        for (size_t k = 0; k < m; k++) {
            size_t got = 12345;
            assert_int_equal(
                cs_session_open(rx, sealed[k], lens[k] + CS_SESSION_OVERHEAD, out, &got), 0);
            assert_int_equal(got, lens[k]);
            if (got > 0)
                assert_memory_equal(out, plain[k], got);
        }
    }
    for (size_t k = 0; k < BATCH; k++) {
        free(plain[k]);
        free(sealed[k]);
    }
    free(out);
}

static void
test_handshake(void **state)
{
    (void)state;
    struct cs_hs d, h;
    struct cs_hello hi, ho;
    struct cs_welcome wi, wo;
    struct cs_session ds, hs;
    size_t len1 = 0, len2 = 0;

    full_hello(&hi);
    full_welcome(&wi);
    handshake(&d, &h, &hi, &wi, &ho, &wo, &len1, &len2);

    /* Everything arrives as it was sent. */
    assert_int_equal(ho.hub_seq, hi.hub_seq);
    assert_int_equal(ho.has_secret, 1);
    assert_memory_equal(ho.secret, hi.secret, sizeof(hi.secret));
    assert_string_equal(ho.name, viet_name);
    assert_memory_equal(h.peer_pk, cs_key_pk(dev), CS_PK_LEN);
    assert_int_equal(wo.status, CS_WELCOME_OK);
    assert_string_equal(wo.message, wi.message);
    assert_true(wo.hub_time == wi.hub_time);
    assert_true(wo.up_seq == wi.up_seq);
    assert_string_equal(wo.org, wi.org);
    assert_string_equal(wo.role, "cell");
    assert_int_equal(ho.has_incarnation, 1);
    assert_memory_equal(ho.incarnation, hi.incarnation, CS_INCARNATION_LEN);
    assert_int_equal(wo.has_incarnation, 1);
    assert_memory_equal(wo.incarnation, wi.incarnation, CS_INCARNATION_LEN);
    assert_true(wo.down_seq == wi.down_seq);
    assert_int_equal(wo.max_drift_minutes, 120);

    /* One key per direction, the same at both ends. */
    assert_memory_equal(d.tx, h.rx, 32);
    assert_memory_equal(d.rx, h.tx, 32);
    assert_memory_not_equal(d.tx, d.rx, 32);

    sessions(&d, &h, &ds, &hs);
    for (uint32_t round = 0; round < 10; round++) {
        stream(&ds, &hs, 100, 1000 * round);
        stream(&hs, &ds, 100, 1000 * round + 500);
    }
    cs_session_release(&ds);
    cs_session_release(&hs);
    cs_hs_release(&d);
    cs_hs_release(&h);
    assert_int_equal(d.step, 0);
}

static void
test_empty_sizes(void **state)
{
    (void)state;
    struct cs_hs d, h;
    struct cs_hello hi, ho;
    struct cs_welcome wi, wo;
    size_t len1 = 0, len2 = 0;

    memset(&hi, 0, sizeof(hi));
    memset(&wi, 0, sizeof(wi));
    handshake(&d, &h, &hi, &wi, &ho, &wo, &len1, &len2);
    print_message("msg1 %zu bytes, msg2 %zu bytes for an empty hello and welcome\n", len1, len2);
    /* [0, nil, "", nil] is 5 bytes of msgpack, [0, "", 0, 0, "", "", nil, 0] is 9 (no drift bound).
     */
    assert_int_equal(len1, MSG1_MIN + MSG1_PREFIX + 5);
    assert_int_equal(len2, MSG2_MIN + 9);
    assert_int_equal(ho.has_secret, 0);
    /* A zeroed struct is "no incarnation", and arrives as such. */
    assert_int_equal(ho.has_incarnation, 0);
    assert_int_equal(wo.has_incarnation, 0);
    assert_int_equal(wo.down_seq, 0);
    assert_string_equal(ho.name, "");
    assert_string_equal(wo.org, "");
    assert_memory_equal(d.tx, h.rx, 32);
}

/* The header's key schedule, checked against the second implementation above. */
static void
test_spec(void **state)
{
    (void)state;
    uint8_t empty_hello[] = {0x94, 0x00, 0xc0, 0xa0, 0xc0};
    uint8_t msg1[CS_WIRE_MAX_PREAUTH], msg2[CS_WIRE_MAX_PREAUTH], payload[CS_WIRE_MAX_PREAUTH];
    uint8_t tx[32], rx[32];
    size_t plen = 0;
    struct forged f;
    struct cs_hs d, h;
    struct cs_hello hello;
    struct cs_welcome w;
    size_t len1 = 0, len2 = 0;

    /* Our msg1 is read by the hub, and its msg2 by us: the hub's keys are the documented ones. */
    forge_msg1(&f, cs_key_pk(dev), dev, hub, empty_hello, sizeof(empty_hello));
    assert_int_equal(cs_hs_hub_read(&h, hub, f.msg, f.len, &hello), 0);
    assert_memory_equal(h.peer_pk, cs_key_pk(dev), CS_PK_LEN);
    full_welcome(&w);
    assert_int_equal(cs_hs_hub_reply(&h, &w, msg2, sizeof(msg2), &len2), 0);
    forge_read_msg2(&f, msg2, len2, tx, rx, payload, &plen);
    /* Split(): the device sends with the first key, the hub with the second. */
    assert_memory_equal(h.tx, rx, 32);
    assert_memory_equal(h.rx, tx, 32);

    /*
     * The welcome is [status, message, hub_time, up_seq, org, role,
     * incarnation, down_seq, max_drift_minutes], deterministically.
     */
    struct mp m;
    mp_init(&m);
    msgpack_pack_array(&m.pk, 9);
    msgpack_pack_uint32(&m.pk, w.status);
    mp_str(&m, w.message, strlen(w.message));
    msgpack_pack_uint64(&m.pk, w.hub_time);
    msgpack_pack_uint64(&m.pk, w.up_seq);
    mp_str(&m, w.org, strlen(w.org));
    mp_str(&m, w.role, strlen(w.role));
    mp_bin(&m, w.incarnation, sizeof(w.incarnation));
    msgpack_pack_uint64(&m.pk, w.down_seq);
    msgpack_pack_uint32(&m.pk, w.max_drift_minutes);
    assert_int_equal(len2 - MSG2_MIN, m.sb.size);
    assert_int_equal(plen, m.sb.size);
    assert_memory_equal(payload, m.sb.data, m.sb.size);
    msgpack_sbuffer_destroy(&m.sb);

    /* The device's msg1 is read by our hub, and our msg2 by the device. */
    start(&d, dev, hub, &(struct cs_hello){0}, msg1, &len1);
    assert_int_equal(msg1[0], CS_WIRE_VERSION);
    assert_int_equal(len1, MSG1_MIN + MSG1_PREFIX + 5);
    uint8_t wpayload[] = {0x98, 0x00, 0xa0, 0x05, 0x06, 0xa1, 'X', 0xa3, 'h', 'u',
                          'b',  0xc4, 0x10, 1,    2,    3,    4,   5,    6,   7,
                          8,    9,    10,   11,   12,   13,   14,  15,   16,  0x07};
    forge_msg2(msg1, len1, hub, wpayload, sizeof(wpayload), msg2, &len2, tx, rx);
    assert_int_equal(cs_hs_device_finish(&d, dev, cs_key_pk(hub), msg2, len2, &w, NULL), 0);
    assert_int_equal(w.hub_time, 5);
    assert_int_equal(w.up_seq, 6);
    assert_string_equal(w.org, "X");
    assert_string_equal(w.role, "hub");
    assert_int_equal(w.has_incarnation, 1);
    assert_int_equal(w.incarnation[0], 1);
    assert_int_equal(w.incarnation[15], 16);
    assert_int_equal(w.down_seq, 7);
    assert_memory_equal(d.tx, rx, 32);
    assert_memory_equal(d.rx, tx, 32);
}

static void
test_wrong_hub(void **state)
{
    (void)state;
    uint8_t msg1a[CS_WIRE_MAX_PREAUTH], msg1b[CS_WIRE_MAX_PREAUTH];
    uint8_t msg2a[CS_WIRE_MAX_PREAUTH], msg2b[CS_WIRE_MAX_PREAUTH];
    size_t len1a = 0, len1b = 0, len2a = 0, len2b = 0;
    struct cs_hs da, db, ha, hb;
    struct cs_hello hello, ho;
    struct cs_welcome w, wo;

    full_hello(&hello);
    full_welcome(&w);
    start(&da, dev, hub, &hello, msg1a, &len1a);
    start(&db, dev, hub2, &hello, msg1b, &len1b);

    /* Each msg1 is for one hub only. */
    assert_int_equal(cs_hs_hub_read(&hb, hub2, msg1a, len1a, &ho), CS_EDECRYPT);
    assert_int_equal(cs_hs_hub_read(&ha, hub, msg1b, len1b, &ho), CS_EDECRYPT);

    /* A msg2 from the other hub is refused; from the pinned one it is taken. */
    assert_int_equal(cs_hs_hub_read(&ha, hub, msg1a, len1a, &ho), 0);
    assert_int_equal(cs_hs_hub_reply(&ha, &w, msg2a, sizeof(msg2a), &len2a), 0);
    assert_int_equal(cs_hs_hub_read(&hb, hub2, msg1b, len1b, &ho), 0);
    assert_int_equal(cs_hs_hub_reply(&hb, &w, msg2b, sizeof(msg2b), &len2b), 0);
    struct cs_hs dc = da;
    assert_int_equal(cs_hs_device_finish(&dc, dev, cs_key_pk(hub), msg2b, len2b, &wo, NULL),
                     CS_EDECRYPT);
    assert_int_equal(dc.step, 0); /* wiped: the handshake must start over */
    assert_int_equal(cs_hs_device_finish(&db, dev, cs_key_pk(hub2), msg2a, len2a, &wo, NULL),
                     CS_EDECRYPT);
    assert_int_equal(cs_hs_device_finish(&da, dev, cs_key_pk(hub), msg2a, len2a, &wo, NULL), 0);
    assert_memory_equal(da.tx, ha.rx, 32);

    /* A hub that answers the other hub's msg1 by its own key is refused too. */
    uint8_t tx[32], rx[32];
    start(&da, dev, hub, &hello, msg1a, &len1a);
    uint8_t wpayload[] = {0x98, 0x00, 0xa0, 0x00, 0x00, 0xa0, 0xa0, 0xc0, 0x00};
    forge_msg2(msg1b, len1b, hub2, wpayload, sizeof(wpayload), msg2b, &len2b, tx, rx);
    assert_int_equal(cs_hs_device_finish(&da, dev, cs_key_pk(hub), msg2b, len2b, &wo, NULL),
                     CS_EDECRYPT);
}

static void
test_msg1_refused(void **state)
{
    (void)state;
    uint8_t msg1[CS_WIRE_MAX_PREAUTH];
    size_t len1 = 0;
    struct cs_hs d, h;
    struct cs_hello hello, ho;

    full_hello(&hello);
    start(&d, dev, hub, &hello, msg1, &len1);
    uint8_t *c = dup_bytes(msg1, len1);
    for (size_t i = 0; i < len1; i++) {
        for (unsigned bit = 0; bit <= 8; bit++) {
            uint8_t mask = bit == 8 ? 0xff : (uint8_t)(1u << bit);
            c[i] ^= mask;
            int ret = cs_hs_hub_read(&h, hub, c, len1, &ho);
            c[i] ^= mask;
            /* The version byte is named as such; anything else simply does not open. */
            assert_int_equal(ret, i == 0 ? CS_EVERSION : CS_EDECRYPT);
            assert_int_equal(h.step, 0);
        }
    }
    free(c);

    for (size_t n = 0; n < len1; n++) {
        c = dup_bytes(msg1, n);
        int ret = cs_hs_hub_read(&h, hub, c, n, &ho);
        assert_int_equal(ret, n < MSG1_MIN ? CS_ETRUNCATED : CS_EDECRYPT);
        free(c);
    }
    /* One byte more is one byte of the payload that the tag does not cover. */
    c = malloc(len1 + 1);
    assert_non_null(c);
    memcpy(c, msg1, len1);
    c[len1] = 0;
    assert_int_equal(cs_hs_hub_read(&h, hub, c, len1 + 1, &ho), CS_EDECRYPT);
    free(c);
    assert_int_equal(cs_hs_hub_read(&h, hub, msg1, CS_WIRE_MAX_PREAUTH + 1, &ho), CS_ETOOBIG);

    /* After all that, the real one is still good. */
    assert_int_equal(cs_hs_hub_read(&h, hub, msg1, len1, &ho), 0);
    assert_string_equal(ho.name, viet_name);
}

static void
test_msg2_refused(void **state)
{
    (void)state;
    uint8_t msg1[CS_WIRE_MAX_PREAUTH], msg2[CS_WIRE_MAX_PREAUTH];
    size_t len1 = 0, len2 = 0;
    struct cs_hs d, h;
    struct cs_hello hello, ho;
    struct cs_welcome w, wo;

    full_hello(&hello);
    full_welcome(&w);
    start(&d, dev, hub, &hello, msg1, &len1);
    assert_int_equal(cs_hs_hub_read(&h, hub, msg1, len1, &ho), 0);
    assert_int_equal(cs_hs_hub_reply(&h, &w, msg2, sizeof(msg2), &len2), 0);

    uint8_t *c = dup_bytes(msg2, len2);
    for (size_t i = 0; i < len2; i++) {
        for (unsigned bit = 0; bit <= 8; bit++) {
            uint8_t mask = bit == 8 ? 0xff : (uint8_t)(1u << bit);
            c[i] ^= mask;
            struct cs_hs dc = d;
            int ret = cs_hs_device_finish(&dc, dev, cs_key_pk(hub), c, len2, &wo, NULL);
            c[i] ^= mask;
            assert_int_equal(ret, CS_EDECRYPT);
            assert_int_equal(dc.step, 0);
        }
    }
    free(c);
    for (size_t n = 0; n < len2; n++) {
        c = dup_bytes(msg2, n);
        unsigned v = 0;
        struct cs_hs dc = d;
        int ret = cs_hs_device_finish(&dc, dev, cs_key_pk(hub), c, n, &wo, &v);
        if (n == 2 && c[0] == CS_WIRE_VERSION_REPLY)
            assert_int_equal(ret, CS_EVERSION); /* 1 in 256: e' may start with 0xff */
        else
            assert_int_equal(ret, n < MSG2_MIN ? CS_ETRUNCATED : CS_EDECRYPT);
        free(c);
    }
    c = malloc(len2 + 1);
    assert_non_null(c);
    memcpy(c, msg2, len2);
    c[len2] = 0;
    struct cs_hs dc = d;
    assert_int_equal(cs_hs_device_finish(&dc, dev, cs_key_pk(hub), c, len2 + 1, &wo, NULL),
                     CS_EDECRYPT);
    free(c);
    /* The state a refused msg2 met is gone for good (Noise 5.3). */
    assert_int_equal(cs_hs_device_finish(&dc, dev, cs_key_pk(hub), msg2, len2, &wo, NULL),
                     CS_EINVAL);

    /* The copy that met no forgery still completes. */
    assert_int_equal(cs_hs_device_finish(&d, dev, cs_key_pk(hub), msg2, len2, &wo, NULL), 0);
    assert_memory_equal(d.tx, h.rx, 32);
    assert_memory_equal(d.rx, h.tx, 32);
    /* And it is spent: a second go is refused. */
    assert_int_equal(cs_hs_device_finish(&d, dev, cs_key_pk(hub), msg2, len2, &wo, NULL),
                     CS_EINVAL);
}

static void
test_replay(void **state)
{
    (void)state;
    uint8_t msg1[CS_WIRE_MAX_PREAUTH], msg2a[CS_WIRE_MAX_PREAUTH], msg2b[CS_WIRE_MAX_PREAUTH];
    uint8_t other[CS_WIRE_MAX_PREAUTH];
    size_t len1 = 0, len2a = 0, len2b = 0, olen = 0;
    struct cs_hs d, d_copy, d2, h1, h2;
    struct cs_hello hello, ho;
    struct cs_welcome w, wo;

    full_hello(&hello);
    full_welcome(&w);
    start(&d, dev, hub, &hello, msg1, &len1);
    d_copy = d; /* only the real device holds this ephemeral */
    assert_int_equal(cs_hs_hub_read(&h1, hub, msg1, len1, &ho), 0);
    assert_int_equal(cs_hs_hub_reply(&h1, &w, msg2a, sizeof(msg2a), &len2a), 0);
    assert_int_equal(cs_hs_device_finish(&d, dev, cs_key_pk(hub), msg2a, len2a, &wo, NULL), 0);

    /* The captured msg1 again: the hub accepts it, but answers with a fresh e'. */
    assert_int_equal(cs_hs_hub_read(&h2, hub, msg1, len1, &ho), 0);
    assert_int_equal(cs_hs_hub_reply(&h2, &w, msg2b, sizeof(msg2b), &len2b), 0);
    assert_memory_not_equal(msg2a, msg2b, 32);
    assert_memory_not_equal(h1.tx, h2.tx, 32);
    assert_memory_not_equal(h1.rx, h2.rx, 32);
    /* It carries the same timestamp: what the hub's caller drops it by. */
    assert_memory_equal(h1.peer_ts, h2.peer_ts, CS_WIRE_TS_LEN);

    /* Whoever replays has no e: even the same device key with another ephemeral gets nothing. */
    start(&d2, dev, hub, &hello, other, &olen);
    assert_int_equal(cs_hs_device_finish(&d2, dev, cs_key_pk(hub), msg2b, len2b, &wo, NULL),
                     CS_EDECRYPT);
    /* Only the holder of the original ephemeral reaches the replay's keys. */
    assert_int_equal(cs_hs_device_finish(&d_copy, dev, cs_key_pk(hub), msg2b, len2b, &wo, NULL), 0);
    assert_memory_equal(d_copy.tx, h2.rx, 32);
    assert_memory_not_equal(d_copy.tx, d.tx, 32);
    cs_hs_release(&d_copy);
}

static void
test_version(void **state)
{
    (void)state;
    uint8_t msg1[CS_WIRE_MAX_PREAUTH], msg2[CS_WIRE_MAX_PREAUTH], reply[2];
    size_t len1 = 0, len2 = 0;
    struct cs_hs d, h;
    struct cs_hello hello, ho;
    struct cs_welcome w, wo;
    unsigned v = 0;

    full_hello(&hello);
    full_welcome(&w);
    start(&d, dev, hub, &hello, msg1, &len1);
    static const uint8_t unknown[] = {0, CS_WIRE_VERSION + 1, 0x7f, 0xff};
    for (size_t i = 0; i < sizeof(unknown); i++) {
        uint8_t *c = dup_bytes(msg1, len1);
        c[0] = unknown[i];
        assert_int_equal(cs_hs_hub_read(&h, hub, c, len1, &ho), CS_EVERSION);
        /* Even a lone version byte is answered as a version, not as a short message. */
        assert_int_equal(cs_hs_hub_read(&h, hub, c, 1, &ho), CS_EVERSION);
        free(c);
    }
    assert_int_equal(cs_hs_version_reply(reply), 2);
    assert_int_equal(reply[0], 0xff);
    assert_int_equal(reply[1], CS_WIRE_VERSION);

    assert_int_equal(cs_hs_device_finish(&d, dev, cs_key_pk(hub), reply, 2, &wo, &v), CS_EVERSION);
    assert_int_equal(v, CS_WIRE_VERSION);
    uint8_t newer[2] = {0xff, 7};
    assert_int_equal(cs_hs_device_finish(&d, dev, cs_key_pk(hub), newer, 2, &wo, &v), CS_EVERSION);
    assert_int_equal(v, 7);
    assert_int_equal(cs_hs_device_finish(&d, dev, cs_key_pk(hub), newer, 2, &wo, NULL),
                     CS_EVERSION);

    /* The device can still finish a real reply to the same msg1. */
    assert_int_equal(cs_hs_hub_read(&h, hub, msg1, len1, &ho), 0);
    assert_int_equal(cs_hs_hub_reply(&h, &w, msg2, sizeof(msg2), &len2), 0);
    assert_int_equal(cs_hs_device_finish(&d, dev, cs_key_pk(hub), msg2, len2, &wo, &v), 0);
}

/* msg1's timestamp: TAI64N-like, always after the last one, carried to the hub as sent. */
static void
test_timestamp(void **state)
{
    (void)state;
    uint8_t a[CS_WIRE_TS_LEN], b[CS_WIRE_TS_LEN], future[CS_WIRE_TS_LEN];
    struct forged f;
    struct cs_hs h;
    struct cs_hello ho;
    uint8_t empty_hello[] = {0x94, 0x00, 0xc0, 0xa0, 0xc0};

    cs_wire_ts_next(NULL, a);
    assert_int_equal(a[0], 0x40); /* 2^62 + seconds */
    cs_wire_ts_next(a, b);
    assert_int_equal(cs_wire_ts_cmp(b, a), 1);
    assert_int_equal(cs_wire_ts_cmp(a, b), -1);
    assert_int_equal(cs_wire_ts_cmp(a, a), 0);
    /* A clock set back: the next one is last + 1 ns, never now. */
    static const uint8_t far[CS_WIRE_TS_LEN] = {0x40, 0, 0, 1, 0, 0, 0, 0, 0x3b, 0x9a, 0xc9, 0xfe};
    cs_wire_ts_next(far, future);
    assert_memory_equal(future, far, 11);
    assert_int_equal(future[11], 0xff);
    /* ... with the carry into the seconds at 10^9 ns. */
    cs_wire_ts_next(future, b);
    static const uint8_t carried[CS_WIRE_TS_LEN] = {0x40, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0};
    assert_memory_equal(b, carried, CS_WIRE_TS_LEN);

    /* The hub reads the timestamp the device sent. */
    forge_msg1_ts(&f, far, cs_key_pk(dev), dev, hub, empty_hello, sizeof(empty_hello));
    assert_int_equal(cs_hs_hub_read(&h, hub, f.msg, f.len, &ho), 0);
    assert_memory_equal(h.peer_ts, far, CS_WIRE_TS_LEN);
    cs_hs_release(&h);
    cs_noise_handshake_release(&f.nh);
    /* A payload too short to hold timestamp and key is refused like a forged one. */
    uint8_t hub_x[32], sk[32];
    size_t n = 0;
    char err[128];
    assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(hub_x, cs_key_pk(hub)), 0);
    x25519_sk(dev, sk);
    assert_int_equal(cs_noise_handshake_init(&f.nh, CS_NOISE_INITIATOR, PROLOGUE, sizeof(PROLOGUE),
                                             sk, hub_x, NULL, err, sizeof(err)),
                     0);
    f.msg[0] = CS_WIRE_VERSION;
    assert_int_equal(cs_noise_handshake_write(&f.nh, far, CS_WIRE_TS_LEN, f.msg + 1,
                                              sizeof(f.msg) - 1, &n, err, sizeof(err)),
                     0);
    assert_int_equal(cs_hs_hub_read(&h, hub, f.msg, 1 + n, &ho), CS_EDECRYPT);
    cs_noise_handshake_release(&f.nh);
}

/* The prologue binds the version byte: a msg1 made under another one does not open. */
static void
test_prologue(void **state)
{
    (void)state;
    uint8_t hub_x[32], sk[32], body[MSG1_PREFIX + 5] = {0};
    uint8_t msg[CS_WIRE_MAX_PREAUTH];
    uint8_t empty_hello[] = {0x94, 0x00, 0xc0, 0xa0, 0xc0};
    struct cs_noise_handshake nh;
    struct cs_hs h;
    struct cs_hello ho;
    size_t n = 0;
    char err[128];

    cs_wire_ts_next(NULL, body);
    memcpy(body + CS_WIRE_TS_LEN, cs_key_pk(dev), CS_PK_LEN);
    memcpy(body + MSG1_PREFIX, empty_hello, sizeof(empty_hello));
    assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(hub_x, cs_key_pk(hub)), 0);
    x25519_sk(dev, sk);
    for (int v = 0; v < 3; v++) {
        uint8_t pro[sizeof(PROLOGUE)];
        memcpy(pro, PROLOGUE, sizeof(pro));
        if (v == 0)
            pro[sizeof(pro) - 1] = 2; /* the old version inside, the new one outside */
        else if (v == 1)
            pro[0] = 'C';
        assert_int_equal(cs_noise_handshake_init(&nh, CS_NOISE_INITIATOR, pro,
                                                 v == 2 ? sizeof(pro) - 1 : sizeof(pro), sk, hub_x,
                                                 NULL, err, sizeof(err)),
                         0);
        msg[0] = CS_WIRE_VERSION;
        assert_int_equal(cs_noise_handshake_write(&nh, body, sizeof(body), msg + 1, sizeof(msg) - 1,
                                                  &n, err, sizeof(err)),
                         0);
        assert_int_equal(cs_hs_hub_read(&h, hub, msg, 1 + n, &ho), CS_EDECRYPT);
        cs_noise_handshake_release(&nh);
    }
}

static void
test_impostor(void **state)
{
    (void)state;
    uint8_t empty_hello[] = {0x94, 0x00, 0xc0, 0xa0, 0xc0};
    struct forged f;
    struct cs_hs h;
    struct cs_hello ho;

    /* Key A's pk in the payload, key B as the Noise static key: the hub sees they differ. */
    forge_msg1(&f, cs_key_pk(dev), dev2, hub, empty_hello, sizeof(empty_hello));
    assert_int_equal(cs_hs_hub_read(&h, hub, f.msg, f.len, &ho), CS_EDECRYPT);
    /* The same forger, honest about either key, is read, and named by that key. */
    forge_msg1(&f, cs_key_pk(dev), dev, hub, empty_hello, sizeof(empty_hello));
    assert_int_equal(cs_hs_hub_read(&h, hub, f.msg, f.len, &ho), 0);
    assert_memory_equal(h.peer_pk, cs_key_pk(dev), CS_PK_LEN);
    forge_msg1(&f, cs_key_pk(dev2), dev2, hub, empty_hello, sizeof(empty_hello));
    assert_int_equal(cs_hs_hub_read(&h, hub, f.msg, f.len, &ho), 0);
    assert_memory_equal(h.peer_pk, cs_key_pk(dev2), CS_PK_LEN);

    /* A claimed key that is not a usable point has no X25519 form to match. */
    static const uint8_t low_order_pk[CS_PK_LEN] = {1};
    forge_msg1(&f, low_order_pk, dev, hub, empty_hello, sizeof(empty_hello));
    assert_int_equal(cs_hs_hub_read(&h, hub, f.msg, f.len, &ho), CS_EDECRYPT);

    /* A low-order ephemeral is refused before anything is derived from it. */
    forge_msg1(&f, cs_key_pk(dev), dev, hub, empty_hello, sizeof(empty_hello));
    memset(f.msg + 1, 0, 32);
    assert_int_equal(cs_hs_hub_read(&h, hub, f.msg, f.len, &ho), CS_EDECRYPT);
}

/* A hello payload, sealed in a msg1 from the real device key: the hub's answer. */
static int
hub_reads(const struct mp *m, struct cs_hello *ho)
{
    struct forged f;
    struct cs_hs h;
    forge_msg1(&f, cs_key_pk(dev), dev, hub, (const uint8_t *)m->sb.data, m->sb.size);
    return cs_hs_hub_read(&h, hub, f.msg, f.len, ho);
}

static void
test_hello_strict(void **state)
{
    (void)state;
    uint8_t secret[33] = {0};
    struct cs_hello ho;
    struct mp m;

#define HELLO(expect, ...)                                                                         \
    do {                                                                                           \
        mp_init(&m);                                                                               \
        __VA_ARGS__;                                                                               \
        memset(&ho, 0x5a, sizeof(ho));                                                             \
        assert_int_equal(hub_reads(&m, &ho), expect);                                              \
        msgpack_sbuffer_destroy(&m.sb);                                                            \
    } while (0)

    uint8_t inc[17] = {0};
    fill(inc, 16, 3);
    HELLO(0, msgpack_pack_array(&m.pk, 4); msgpack_pack_uint64(&m.pk, 9); mp_bin(&m, secret, 32);
          mp_repeat(&m, 'n', 63); mp_bin(&m, inc, 16));
    assert_int_equal(ho.has_secret, 1);
    assert_int_equal(strlen(ho.name), 63);
    assert_int_equal(ho.hub_seq, 9);
    assert_int_equal(ho.has_incarnation, 1);
    assert_memory_equal(ho.incarnation, inc, 16);
    /* No incarnation: a device that has had no welcome yet. */
    HELLO(0, msgpack_pack_array(&m.pk, 4); msgpack_pack_uint64(&m.pk, 0); msgpack_pack_nil(&m.pk);
          mp_str(&m, "", 0); msgpack_pack_nil(&m.pk));
    assert_int_equal(ho.has_incarnation, 0);
    assert_int_equal(ho.has_secret, 0);
    /* Wrong counts, trailing bytes, wrong types, over-long and bad text: each its code. */
    HELLO(CS_ECOUNT, msgpack_pack_array(&m.pk, 3); msgpack_pack_uint64(&m.pk, 0);
          msgpack_pack_nil(&m.pk); mp_str(&m, "", 0));
    HELLO(CS_ECOUNT, msgpack_pack_array(&m.pk, 5); msgpack_pack_uint64(&m.pk, 0);
          msgpack_pack_nil(&m.pk); mp_str(&m, "", 0); msgpack_pack_nil(&m.pk);
          msgpack_pack_nil(&m.pk));
    HELLO(CS_ETRAILING, msgpack_pack_array(&m.pk, 4); msgpack_pack_uint64(&m.pk, 0);
          msgpack_pack_nil(&m.pk); mp_str(&m, "", 0); msgpack_pack_nil(&m.pk);
          msgpack_pack_nil(&m.pk));
    HELLO(CS_ETRUNCATED, msgpack_pack_array(&m.pk, 4); msgpack_pack_uint64(&m.pk, 0);
          msgpack_pack_nil(&m.pk); mp_str(&m, "", 0));
    HELLO(CS_ETRUNCATED, (void)0);
    HELLO(CS_ETYPE, msgpack_pack_uint64(&m.pk, 0));
#define TAIL                                                                                       \
    mp_str(&m, "", 0);                                                                             \
    msgpack_pack_nil(&m.pk)
    HELLO(CS_ETYPE, msgpack_pack_array(&m.pk, 4); mp_str(&m, "0", 1); msgpack_pack_nil(&m.pk);
          TAIL);
    HELLO(CS_ETYPE, msgpack_pack_array(&m.pk, 4); msgpack_pack_int64(&m.pk, -1);
          msgpack_pack_nil(&m.pk); TAIL);
    HELLO(CS_ETYPE, msgpack_pack_array(&m.pk, 4); msgpack_pack_uint64(&m.pk, 0);
          mp_str(&m, (const char *)secret, 32); TAIL);
    HELLO(CS_ETYPE, msgpack_pack_array(&m.pk, 4); msgpack_pack_uint64(&m.pk, 0);
          msgpack_pack_nil(&m.pk); msgpack_pack_array(&m.pk, 0); msgpack_pack_nil(&m.pk));
    HELLO(CS_ETYPE, msgpack_pack_array(&m.pk, 4); msgpack_pack_uint64(&m.pk, 0);
          msgpack_pack_nil(&m.pk); mp_bin(&m, secret, 3); msgpack_pack_nil(&m.pk));
    HELLO(CS_EMALFORMED, msgpack_pack_array(&m.pk, 4); msgpack_pack_uint64(&m.pk, 0);
          mp_bin(&m, secret, 31); TAIL);
    HELLO(CS_EMALFORMED, msgpack_pack_array(&m.pk, 4); msgpack_pack_uint64(&m.pk, 0);
          mp_bin(&m, secret, 33); TAIL);
#undef TAIL
    HELLO(CS_ETOOBIG, msgpack_pack_array(&m.pk, 4); msgpack_pack_uint64(&m.pk, 0);
          msgpack_pack_nil(&m.pk); mp_repeat(&m, 'n', 64); msgpack_pack_nil(&m.pk));
    HELLO(CS_EMALFORMED, msgpack_pack_array(&m.pk, 4); msgpack_pack_uint64(&m.pk, 0);
          msgpack_pack_nil(&m.pk); mp_str(&m, "a\0b", 3); msgpack_pack_nil(&m.pk));
    HELLO(CS_EMALFORMED, msgpack_pack_array(&m.pk, 4); msgpack_pack_uint64(&m.pk, 0);
          msgpack_pack_nil(&m.pk); mp_str(&m, "\xc3\x28", 2); msgpack_pack_nil(&m.pk));
    /* The incarnation is nil or bin of exactly 16 bytes. */
#define HEAD                                                                                       \
    msgpack_pack_array(&m.pk, 4);                                                                  \
    msgpack_pack_uint64(&m.pk, 5);                                                                 \
    msgpack_pack_nil(&m.pk);                                                                       \
    mp_str(&m, "", 0)
    HELLO(CS_EMALFORMED, HEAD; mp_bin(&m, inc, 15));
    HELLO(CS_EMALFORMED, HEAD; mp_bin(&m, inc, 17));
    HELLO(CS_EMALFORMED, HEAD; mp_bin(&m, inc, 0));
    HELLO(CS_ETYPE, HEAD; mp_str(&m, (const char *)inc, 16));
    HELLO(CS_ETYPE, HEAD; msgpack_pack_uint64(&m.pk, 0));
    HELLO(CS_ETYPE, HEAD; msgpack_pack_false(&m.pk));
#undef HEAD
    /* Nothing of a refused hello reaches the caller. */
    assert_int_equal(ho.name[0], 0x5a);
#undef HELLO

    /* The encoder sends nothing the decoder would refuse. */
    struct cs_hs d;
    struct cs_hello hi;
    uint8_t msg1[CS_WIRE_MAX_PREAUTH];
    size_t len1 = 0;
    memset(&hi, 0, sizeof(hi));
    memset(hi.name, 'n', sizeof(hi.name));
    uint8_t ts[CS_WIRE_TS_LEN];
    cs_wire_ts_next(NULL, ts);
    assert_int_equal(
        cs_hs_device_start(&d, dev, cs_key_pk(hub), ts, &hi, msg1, sizeof(msg1), &len1), CS_EINVAL);
    snprintf(hi.name, sizeof(hi.name), "\xff");
    assert_int_equal(
        cs_hs_device_start(&d, dev, cs_key_pk(hub), ts, &hi, msg1, sizeof(msg1), &len1), CS_EINVAL);
    assert_int_equal(d.step, 0);
    hi.name[0] = 0;
    const size_t need = MSG1_MIN + MSG1_PREFIX + 5;
    assert_int_equal(cs_hs_device_start(&d, dev, cs_key_pk(hub), ts, &hi, msg1, MSG1_MIN, &len1),
                     CS_EINVAL);
    assert_int_equal(cs_hs_device_start(&d, dev, cs_key_pk(hub), ts, &hi, msg1, need - 1, &len1),
                     CS_EINVAL);
    assert_int_equal(cs_hs_device_start(&d, dev, cs_key_pk(hub), ts, &hi, msg1, need, &len1), 0);
    assert_int_equal(len1, need);
}

static void
test_welcome_strict(void **state)
{
    (void)state;
    uint8_t msg1[CS_WIRE_MAX_PREAUTH], msg2[CS_WIRE_MAX_PREAUTH], tx[32], rx[32];
    size_t len1 = 0, len2 = 0;
    struct cs_hs d, dc;
    struct cs_welcome wo;
    struct mp m;

    start(&d, dev, hub, &(struct cs_hello){0}, msg1, &len1);

#define WELCOME(expect, ...)                                                                       \
    do {                                                                                           \
        mp_init(&m);                                                                               \
        __VA_ARGS__;                                                                               \
        forge_msg2(msg1, len1, hub, (const uint8_t *)m.sb.data, m.sb.size, msg2, &len2, tx, rx);   \
        memset(&wo, 0x5a, sizeof(wo));                                                             \
        dc = d;                                                                                    \
        assert_int_equal(cs_hs_device_finish(&dc, dev, cs_key_pk(hub), msg2, len2, &wo, NULL),     \
                         expect);                                                                  \
        msgpack_sbuffer_destroy(&m.sb);                                                            \
    } while (0)
#define FIELDS6(status, msglen, orglen, rolelen)                                                   \
    msgpack_pack_uint64(&m.pk, status);                                                            \
    mp_repeat(&m, 'm', msglen);                                                                    \
    msgpack_pack_uint64(&m.pk, 1);                                                                 \
    msgpack_pack_uint64(&m.pk, 2);                                                                 \
    mp_repeat(&m, 'o', orglen);                                                                    \
    mp_repeat(&m, 'r', rolelen)
#define FIELDS8(status, msglen, orglen, rolelen)                                                   \
    msgpack_pack_array(&m.pk, 8);                                                                  \
    FIELDS6(status, msglen, orglen, rolelen);                                                      \
    mp_bin(&m, inc, 16);                                                                           \
    msgpack_pack_uint64(&m.pk, 3)
    uint8_t inc[17];
    fill(inc, sizeof(inc), 4);

    WELCOME(CS_ECOUNT, msgpack_pack_array(&m.pk, 5); msgpack_pack_uint64(&m.pk, 0);
            mp_str(&m, "", 0); msgpack_pack_uint64(&m.pk, 1); msgpack_pack_uint64(&m.pk, 2);
            mp_str(&m, "", 0));
    /* The welcome of version 1, without incarnation and down cursor. */
    WELCOME(CS_ECOUNT, msgpack_pack_array(&m.pk, 6); FIELDS6(0, 0, 0, 0));
    WELCOME(CS_ECOUNT, msgpack_pack_array(&m.pk, 7); FIELDS6(0, 0, 0, 0); mp_bin(&m, inc, 16));
    WELCOME(CS_ECOUNT, msgpack_pack_array(&m.pk, 10); FIELDS6(0, 0, 0, 0); mp_bin(&m, inc, 16);
            msgpack_pack_uint64(&m.pk, 3); msgpack_pack_uint64(&m.pk, 120);
            msgpack_pack_nil(&m.pk));
    /* The hub's drift bound (version 6): a positive 32-bit number when it is there. */
    WELCOME(CS_ETYPE, msgpack_pack_array(&m.pk, 9); FIELDS6(0, 0, 0, 0); mp_bin(&m, inc, 16);
            msgpack_pack_uint64(&m.pk, 3); msgpack_pack_nil(&m.pk));
    WELCOME(CS_EMALFORMED, msgpack_pack_array(&m.pk, 9); FIELDS6(0, 0, 0, 0); mp_bin(&m, inc, 16);
            msgpack_pack_uint64(&m.pk, 3); msgpack_pack_uint64(&m.pk, 0));
    WELCOME(CS_ETOOBIG, msgpack_pack_array(&m.pk, 9); FIELDS6(0, 0, 0, 0); mp_bin(&m, inc, 16);
            msgpack_pack_uint64(&m.pk, 3); msgpack_pack_uint64(&m.pk, 0x100000000ull));
    WELCOME(0, msgpack_pack_array(&m.pk, 9); FIELDS6(0, 0, 0, 0); mp_bin(&m, inc, 16);
            msgpack_pack_uint64(&m.pk, 3); msgpack_pack_uint64(&m.pk, 120));
    assert_int_equal(wo.max_drift_minutes, 120);
    cs_hs_release(&dc);
    WELCOME(0, FIELDS8(0, 0, 0, 0));
    assert_int_equal(wo.max_drift_minutes, 0);
    cs_hs_release(&dc);
    WELCOME(CS_ETRAILING, FIELDS8(0, 0, 0, 0); msgpack_pack_nil(&m.pk));
    WELCOME(CS_ETOOBIG, FIELDS8(0x100000000ull, 0, 0, 0));
    WELCOME(CS_ETOOBIG, FIELDS8(0, 128, 0, 0));
    WELCOME(CS_ETOOBIG, FIELDS8(0, 0, 64, 0));
    WELCOME(CS_ETOOBIG, FIELDS8(0, 0, 0, 16));
    WELCOME(CS_ETYPE, msgpack_pack_array(&m.pk, 8); mp_str(&m, "0", 1); mp_str(&m, "", 0);
            msgpack_pack_uint64(&m.pk, 1); msgpack_pack_uint64(&m.pk, 2); mp_str(&m, "", 0);
            mp_str(&m, "", 0); msgpack_pack_nil(&m.pk); msgpack_pack_uint64(&m.pk, 0));
    WELCOME(CS_ETYPE, msgpack_pack_array(&m.pk, 8); msgpack_pack_uint64(&m.pk, 0);
            msgpack_pack_nil(&m.pk); msgpack_pack_uint64(&m.pk, 1); msgpack_pack_uint64(&m.pk, 2);
            mp_str(&m, "", 0); mp_str(&m, "", 0); msgpack_pack_nil(&m.pk);
            msgpack_pack_uint64(&m.pk, 0));
    /* The incarnation: nil or bin of exactly 16 bytes; the down cursor: an unsigned integer. */
    WELCOME(CS_EMALFORMED, msgpack_pack_array(&m.pk, 8); FIELDS6(0, 0, 0, 0); mp_bin(&m, inc, 15);
            msgpack_pack_uint64(&m.pk, 3));
    WELCOME(CS_EMALFORMED, msgpack_pack_array(&m.pk, 8); FIELDS6(0, 0, 0, 0); mp_bin(&m, inc, 17);
            msgpack_pack_uint64(&m.pk, 3));
    WELCOME(CS_ETYPE, msgpack_pack_array(&m.pk, 8); FIELDS6(0, 0, 0, 0);
            mp_str(&m, (const char *)inc, 16); msgpack_pack_uint64(&m.pk, 3));
    WELCOME(CS_ETYPE, msgpack_pack_array(&m.pk, 8); FIELDS6(0, 0, 0, 0); mp_bin(&m, inc, 16);
            msgpack_pack_nil(&m.pk));
    WELCOME(CS_ETYPE, msgpack_pack_array(&m.pk, 8); FIELDS6(0, 0, 0, 0); mp_bin(&m, inc, 16);
            msgpack_pack_int64(&m.pk, -1));
    assert_int_equal(wo.org[0], 0x5a);
    assert_int_equal(d.step, 1);
    /* Every field at its largest fits, and the device is still able to take it. */
    WELCOME(0, FIELDS8(UINT32_MAX, 127, 63, 15));
    assert_int_equal(wo.status, UINT32_MAX);
    assert_int_equal(strlen(wo.message), 127);
    assert_int_equal(strlen(wo.role), 15);
    assert_int_equal(wo.has_incarnation, 1);
    assert_memory_equal(wo.incarnation, inc, 16);
    assert_int_equal(wo.down_seq, 3);
#undef FIELDS8
#undef FIELDS6
#undef WELCOME

    /* The hub refuses to send a field that does not end inside itself. */
    struct cs_hs h;
    struct cs_hello ho;
    struct cs_welcome w;
    start(&d, dev, hub, &(struct cs_hello){0}, msg1, &len1);
    assert_int_equal(cs_hs_hub_read(&h, hub, msg1, len1, &ho), 0);
    full_welcome(&w);
    memset(w.role, 'r', sizeof(w.role));
    assert_int_equal(cs_hs_hub_reply(&h, &w, msg2, sizeof(msg2), &len2), CS_EINVAL);
    full_welcome(&w);
    assert_int_equal(cs_hs_hub_reply(&h, &w, msg2, MSG2_MIN, &len2), CS_EINVAL);
    assert_int_equal(cs_hs_hub_reply(&h, &w, msg2, sizeof(msg2), &len2), 0);
    /* A hub hs is used once. */
    assert_int_equal(cs_hs_hub_reply(&h, &w, msg2, sizeof(msg2), &len2), CS_EINVAL);
}

static void
test_welcome_refusal(void **state)
{
    (void)state;
    uint8_t msg1[CS_WIRE_MAX_PREAUTH], msg2[CS_WIRE_MAX_PREAUTH];
    uint8_t hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    size_t len1 = 0, len2 = 0;
    struct cs_hs d, h;
    struct cs_hello hello, ho;
    struct cs_welcome w, wo;
    struct cs_session s;

    full_hello(&hello);
    memset(&w, 0, sizeof(w));
    w.status = CS_WELCOME_REVOKED;
    snprintf(w.message, sizeof(w.message), "thiết bị đã bị thu hồi");
    start(&d, dev, hub, &hello, msg1, &len1);
    assert_int_equal(cs_hs_hub_read(&h, hub, msg1, len1, &ho), 0);
    assert_int_equal(cs_hs_hub_reply(&h, &w, msg2, sizeof(msg2), &len2), 0);
    assert_memory_equal(h.peer_pk, cs_key_pk(dev), CS_PK_LEN);
    assert_int_equal(cs_hs_device_finish(&d, dev, cs_key_pk(hub), msg2, len2, &wo, NULL), 0);
    assert_int_equal(wo.status, CS_WELCOME_REVOKED);
    assert_string_equal(wo.message, w.message);
    /* A refusal sets no session keys on either side. */
    assert_int_equal(cs_session_init(&s, &d, hdr), CS_EINVAL);
    assert_int_equal(cs_session_init(&s, &h, hdr), CS_EINVAL);
    static const uint8_t zero[32];
    assert_memory_equal(d.tx, zero, 32);
    assert_memory_equal(h.rx, zero, 32);
}

/* ---- session ---- */

static void
test_session_refused(void **state)
{
    (void)state;
    struct cs_hs d, h;
    struct cs_hello hello, ho;
    struct cs_welcome w, wo;
    struct cs_session ds, hs;
    size_t len1 = 0, len2 = 0, got = 0;
    enum { N = 6, LEN = 100 };
    uint8_t plain[N][LEN], sealed[N][LEN + CS_SESSION_OVERHEAD], out[LEN + 1];
    const size_t slen = LEN + CS_SESSION_OVERHEAD;

    full_hello(&hello);
    full_welcome(&w);
    handshake(&d, &h, &hello, &w, &ho, &wo, &len1, &len2);
    memset(sealed, 0, sizeof(sealed));

    /* Before the peer's header there is nothing to open. */
    uint8_t dhdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    uint8_t hhdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    assert_int_equal(cs_session_init(&ds, &d, dhdr), 0);
    assert_int_equal(cs_session_init(&hs, &h, hhdr), 0);
    assert_int_equal(cs_session_open(&hs, sealed[0], slen, out, &got), CS_EINVAL);
    assert_int_equal(cs_session_accept(&hs, &h, dhdr, sizeof(dhdr) - 1), CS_EMALFORMED);
    assert_int_equal(cs_session_accept(&hs, &h, dhdr, sizeof(dhdr)), 0);
    assert_int_equal(cs_session_accept(&hs, &h, dhdr, sizeof(dhdr)), CS_EINVAL);
    assert_int_equal(cs_session_accept(&ds, &d, hhdr, sizeof(hhdr)), 0);

    for (int i = 0; i < N; i++) {
        fill(plain[i], LEN, 900 + (uint32_t)i);
        assert_int_equal(cs_session_seal(&ds, plain[i], LEN, sealed[i]), 0);
    }
    /* Every flipped byte of the first message; the state is unchanged by each failure. */
    for (size_t j = 0; j < slen; j++) {
        sealed[0][j] ^= 0x01;
        assert_int_equal(cs_session_open(&hs, sealed[0], slen, out, &got), CS_EDECRYPT);
        sealed[0][j] ^= 0x01;
    }
    assert_int_equal(cs_session_open(&hs, sealed[0], slen - 1, out, &got), CS_EDECRYPT);
    assert_int_equal(cs_session_open(&hs, sealed[0], CS_SESSION_OVERHEAD - 1, out, &got),
                     CS_EDECRYPT);
    assert_int_equal(cs_session_open(&hs, sealed[0], slen, out, &got), 0);
    assert_int_equal(got, LEN);
    assert_memory_equal(out, plain[0], LEN);
    /* Duplicated. */
    assert_int_equal(cs_session_open(&hs, sealed[0], slen, out, &got), CS_EDECRYPT);
    /* Dropped: message 2 where 1 is due. */
    assert_int_equal(cs_session_open(&hs, sealed[2], slen, out, &got), CS_EDECRYPT);
    assert_int_equal(cs_session_open(&hs, sealed[1], slen, out, &got), 0);
    assert_int_equal(cs_session_open(&hs, sealed[2], slen, out, &got), 0);
    /* Reordered. */
    assert_int_equal(cs_session_open(&hs, sealed[4], slen, out, &got), CS_EDECRYPT);
    assert_int_equal(cs_session_open(&hs, sealed[3], slen, out, &got), 0);
    assert_int_equal(cs_session_open(&hs, sealed[3], slen, out, &got), CS_EDECRYPT);
    assert_int_equal(cs_session_open(&hs, sealed[4], slen, out, &got), 0);
    /* Reflected: our own message sent back to us. */
    assert_int_equal(cs_session_open(&ds, sealed[5], slen, out, &got), CS_EDECRYPT);
    assert_int_equal(cs_session_open(&hs, sealed[5], slen, out, &got), 0);
    assert_memory_equal(out, plain[5], LEN);
    /* Only TAG_MESSAGE is ever sent: a final or rekey tag, though sealed right, is refused. */
    uint8_t tagged[LEN + CS_SESSION_OVERHEAD];
    /* Copies of the states, all at the same point of the stream. */
    struct cs_session ds_copy = ds, ds_copy2 = ds, hs_copy = hs;
    static const uint8_t tags[] = {crypto_secretstream_xchacha20poly1305_TAG_FINAL,
                                   crypto_secretstream_xchacha20poly1305_TAG_REKEY,
                                   crypto_secretstream_xchacha20poly1305_TAG_PUSH};
    for (size_t i = 0; i < sizeof(tags); i++) {
        ds_copy = ds;
        assert_int_equal(crypto_secretstream_xchacha20poly1305_push(
                             &ds_copy.tx, tagged, NULL, plain[0], LEN, NULL, 0, tags[i]),
                         0);
        assert_int_equal(cs_session_open(&hs_copy, tagged, slen, out, &got), CS_EDECRYPT);
    }
    /* ... and leaves the stream where it was. */
    assert_int_equal(cs_session_seal(&ds_copy2, plain[1], LEN, tagged), 0);
    assert_int_equal(cs_session_open(&hs_copy, tagged, slen, out, &got), 0);
    assert_memory_equal(out, plain[1], LEN);
    cs_session_release(&ds_copy);
    cs_session_release(&ds_copy2);
    cs_session_release(&hs_copy);

    /* The frame limit holds both ways; a message that just fits goes through. */
    size_t big = CS_WIRE_MAX_FRAME - CS_SESSION_OVERHEAD;
    uint8_t *bp = calloc(1, big + 1), *bs = malloc(CS_WIRE_MAX_FRAME + 1), *bo = malloc(big + 1);
    assert_non_null(bp);
    assert_non_null(bs);
    assert_non_null(bo);
    assert_int_equal(cs_session_seal(&ds, bp, big + 1, bs), CS_ETOOBIG);
    assert_int_equal(cs_session_seal(&ds, bp, big, bs), 0);
    assert_int_equal(cs_session_open(&hs, bs, CS_WIRE_MAX_FRAME + 1, bo, &got), CS_ETOOBIG);
    assert_int_equal(cs_session_open(&hs, bs, CS_WIRE_MAX_FRAME, bo, &got), 0);
    assert_int_equal(got, big);
    free(bp);
    free(bs);
    free(bo);

    /* An altered stream header: nothing after it opens. */
    struct cs_session ds2, hs2;
    assert_int_equal(cs_session_init(&ds2, &d, dhdr), 0);
    assert_int_equal(cs_session_seal(&ds2, plain[0], LEN, sealed[0]), 0);
    assert_int_equal(cs_session_init(&hs2, &h, hhdr), 0);
    dhdr[5] ^= 0x20;
    assert_int_equal(cs_session_accept(&hs2, &h, dhdr, sizeof(dhdr)), 0);
    assert_int_equal(cs_session_open(&hs2, sealed[0], slen, out, &got), CS_EDECRYPT);
    cs_session_release(&ds);
    cs_session_release(&hs);
    cs_session_release(&ds2);
    cs_session_release(&hs2);
}

/* ---- messages ---- */

/* Round trip, determinism, and every truncation refused with nothing left over. */
static void
roundtrip(const struct cs_msg *in, struct cs_msg *out)
{
    uint8_t *buf = NULL, *again = NULL;
    size_t len = 0, len2 = 0;

    assert_int_equal(cs_msg_encode(in, &buf, &len), 0);
    assert_int_equal(cs_msg_decode(out, buf, len), 0);
    assert_int_equal(out->type, in->type);
    assert_int_equal(cs_msg_encode(out, &again, &len2), 0);
    assert_int_equal(len2, len);
    assert_memory_equal(again, buf, len);
    free(again);
    if (in->type == CS_MSG_CHUNK) {
        /* The envelope is borrowed from buf: compare it before buf goes. */
        assert_int_equal(out->envlen, in->envlen);
        assert_true(out->env >= buf && out->env + out->envlen <= buf + len);
        if (in->envlen > 0)
            assert_memory_equal(out->env, in->env, in->envlen);
        out->env = NULL;
    }
    for (size_t n = 0; n < len; n++) {
        struct cs_msg t;
        uint8_t *c = dup_bytes(buf, n);
        assert_int_not_equal(cs_msg_decode(&t, c, n), 0);
        assert_null(t.refused);
        assert_int_equal(t.nrefused, 0);
        assert_int_equal(t.type, 0);
        free(c);
    }
    free(buf);
}

static void
make_refusal(struct cs_refusal *r, int i)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->table, sizeof(r->table), "%s", i == 0 ? "candidate" : "meeting_attendance");
    snprintf(r->column, sizeof(r->column), "%s", i == 2 ? "ghi_chú" : "stage");
    fill(r->row.b, CS_ID_LEN, 50 + (uint32_t)i);
    r->hlc = 0x0192000000000000ull + (uint64_t)i;
    fill(r->origin.b, CS_ID_LEN, 60 + (uint32_t)i);
    snprintf(r->reason, sizeof(r->reason), "hàng %d nằm ngoài phạm vi của chi bộ", i);
    r->kind = i == 1 ? CS_REFUSAL_CLOCK : CS_REFUSAL_OTHER;
}

static void
test_msg_roundtrip(void **state)
{
    (void)state;
    struct cs_msg m, o;
    uint8_t env[1000];

    fill(env, sizeof(env), 3);
    memset(&m, 0, sizeof(m));
    m.type = CS_MSG_CHUNK;
    m.env = env;
    m.envlen = sizeof(env);
    roundtrip(&m, &o);
    m.envlen = 0;
    m.env = NULL;
    roundtrip(&m, &o);

    memset(&m, 0, sizeof(m));
    m.type = CS_MSG_ACK;
    m.seq = UINT64_MAX;
    m.hub_time = 0x0192a5b3c4d5e6f7ull;
    roundtrip(&m, &o);
    assert_true(o.seq == UINT64_MAX);
    assert_true(o.hub_time == m.hub_time);

    memset(&m, 0, sizeof(m));
    m.type = CS_MSG_DONE;
    m.seq = 77;
    roundtrip(&m, &o);
    assert_int_equal(o.seq, 77);

    memset(&m, 0, sizeof(m));
    m.type = CS_MSG_ERROR;
    m.code = 1015;
    snprintf(m.message, sizeof(m.message), "lỗi: không thể giải mã gói tin");
    roundtrip(&m, &o);
    assert_int_equal(o.code, 1015);
    assert_string_equal(o.message, m.message);

    struct cs_refusal rs[3];
    for (int i = 0; i < 3; i++)
        make_refusal(&rs[i], i);
    memset(&m, 0, sizeof(m));
    m.type = CS_MSG_REFUSED;
    m.seq_first = 10;
    m.seq_last = 12;
    m.refused = rs;
    m.nrefused = 3;
    roundtrip(&m, &o);
    assert_int_equal(o.seq_first, 10);
    assert_int_equal(o.seq_last, 12);
    assert_int_equal(o.nrefused, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(o.refused[i].table, rs[i].table);
        assert_string_equal(o.refused[i].column, rs[i].column);
        assert_memory_equal(o.refused[i].row.b, rs[i].row.b, CS_ID_LEN);
        assert_true(o.refused[i].hlc == rs[i].hlc);
        assert_memory_equal(o.refused[i].origin.b, rs[i].origin.b, CS_ID_LEN);
        assert_string_equal(o.refused[i].reason, rs[i].reason);
    }
    cs_msg_release(&o);
    assert_null(o.refused);
    cs_msg_release(&o);
    cs_msg_release(NULL);

    m.nrefused = 0;
    m.refused = NULL;
    roundtrip(&m, &o);
    assert_int_equal(o.nrefused, 0);
    cs_msg_release(&o);
}

/* One refusal of FIELDS fields (7 is right) whose table name is TABLELEN bytes long. */
static void
pack_refusal(struct mp *m, size_t tablelen, size_t fields)
{
    uint8_t id[CS_ID_LEN] = {0};
    msgpack_pack_array(&m->pk, fields);
    mp_repeat(m, 't', tablelen);
    mp_str(m, "c", 1);
    mp_bin(m, id, CS_ID_LEN);
    msgpack_pack_uint64(&m->pk, 1);
    mp_bin(m, id, CS_ID_LEN);
    if (fields > 5)
        mp_str(m, "", 0);
    if (fields > 6)
        msgpack_pack_uint64(&m->pk, CS_REFUSAL_CLOCK);
}

/* A REFUSED message for seqs 1 to 2, up to the array header of its COUNT refusals. */
static void
pack_refused_head(struct mp *m, uint32_t count)
{
    msgpack_pack_array(&m->pk, 4);
    msgpack_pack_uint64(&m->pk, CS_MSG_REFUSED);
    msgpack_pack_uint64(&m->pk, 1);
    msgpack_pack_uint64(&m->pk, 2);
    msgpack_pack_array(&m->pk, count);
}

/* A REFUSED message of COUNT refusals whose table names are TABLELEN bytes long. */
static void
pack_refused(struct mp *m, uint32_t count, size_t tablelen)
{
    pack_refused_head(m, count);
    for (uint32_t i = 0; i < count; i++)
        pack_refusal(m, tablelen, 7);
}

/* A REFUSED message of one refusal whose row id is ROWLEN bytes and whose kind is KIND. */
static void
pack_refused_odd(struct mp *m, size_t rowlen, uint64_t kind)
{
    pack_refused_head(m, 1);
    msgpack_pack_array(&m->pk, 7);
    mp_str(m, "t", 1);
    mp_str(m, "c", 1);
    mp_bin(m, (const uint8_t *)"0123456789abcdef", rowlen);
    msgpack_pack_uint64(&m->pk, 1);
    mp_bin(m, (const uint8_t *)"0123456789abcdef", 16);
    mp_str(m, "", 0);
    msgpack_pack_uint64(&m->pk, kind);
}

/* An ERROR message whose text is N bytes long. */
static void
pack_error_text(struct mp *m, size_t n)
{
    msgpack_pack_array(&m->pk, 3);
    msgpack_pack_uint64(&m->pk, CS_MSG_ERROR);
    msgpack_pack_uint64(&m->pk, 1);
    mp_repeat(m, 'e', n);
}

/* The builders of the cases too long to write out as bytes. */
static void
build_second_refusal_short(struct mp *m)
{
    pack_refused_head(m, 2);
    pack_refusal(m, 5, 7);
    pack_refusal(m, 5, 6);
}
static void
build_refusal_long(struct mp *m)
{
    pack_refused_head(m, 1);
    pack_refusal(m, 5, 8); /* claims 8 fields, packs 7: the nil is the 8th */
    msgpack_pack_nil(&m->pk);
}
static void
build_table_64(struct mp *m)
{
    pack_refused(m, 1, 64);
}
static void
build_table_65(struct mp *m)
{
    pack_refused(m, 3, 65);
}
static void
build_text_255(struct mp *m)
{
    pack_error_text(m, 255);
}
static void
build_text_256(struct mp *m)
{
    pack_error_text(m, 256);
}
static void
build_refused_max(struct mp *m)
{
    pack_refused(m, CS_MSG_REFUSED_MAX, 1);
}
static void
build_refused_over_max(struct mp *m)
{
    pack_refused(m, CS_MSG_REFUSED_MAX + 1, 1);
}
static void
build_row_15(struct mp *m)
{
    pack_refused_odd(m, 15, CS_REFUSAL_OTHER);
}
static void
build_kind_256(struct mp *m)
{
    pack_refused_odd(m, 16, 256);
}

/* What else an accepted case must hold. */
static void
check_table_64(const struct cs_msg *o)
{
    assert_int_equal(strlen(o->refused[0].table), 64);
}
static void
check_text_255(const struct cs_msg *o)
{
    assert_int_equal(strlen(o->message), 255);
}
static void
check_refused_max(const struct cs_msg *o)
{
    assert_int_equal(o->nrefused, CS_MSG_REFUSED_MAX);
}

/* A frame written out in msgpack bytes, for a case of the table. */
#define BYTES(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

/* A frame for cs_msg_decode, as bytes or from a builder, and the exact code it returns. */
struct msg_case {
    const char *name;
    const uint8_t *bytes;
    size_t len;
    void (*build)(struct mp *m); /* instead of bytes */
    int want;
    void (*check)(const struct cs_msg *o); /* more about an accepted message */
};

static const struct msg_case msg_cases[] = {
    /* The type code: unknown, zero, not a number; no fields at all; no array. */
    {"type 9", BYTES(0x92, 0x09, 0x00), NULL, CS_ETYPE, NULL},
    {"type 0", BYTES(0x91, 0x00), NULL, CS_ETYPE, NULL},
    {"type as a string", BYTES(0x92, 0xa1, '4', 0x00), NULL, CS_ETYPE, NULL},
    {"an empty array", BYTES(0x90), NULL, CS_ECOUNT, NULL},
    {"a type and no array", BYTES(CS_MSG_DONE), NULL, CS_ETYPE, NULL},
    /* Field counts: of the message, and of each refusal (the first, decoded, is freed). */
    {"ACK with 1 field", BYTES(0x92, CS_MSG_ACK, 0x01), NULL, CS_ECOUNT, NULL},
    {"DONE with 2 fields", BYTES(0x93, CS_MSG_DONE, 0x01, 0x02), NULL, CS_ECOUNT, NULL},
    {"a refusal of 6 fields after a good one", NULL, 0, build_second_refusal_short, CS_ECOUNT,
     NULL},
    {"a refusal of 8 fields", NULL, 0, build_refusal_long, CS_ECOUNT, NULL},
    {"REFUSED with 5 fields", BYTES(0x95, CS_MSG_REFUSED, 0x01, 0x02, 0x90, 0xc0), NULL, CS_ECOUNT,
     NULL},
    /* Trailing bytes. */
    {"a nil after DONE", BYTES(0x92, CS_MSG_DONE, 0x01, 0xc0), NULL, CS_ETRAILING, NULL},
    /* Strings: one byte under each field's size fits, the field's size does not. */
    {"a table name of 64 bytes", NULL, 0, build_table_64, 0, check_table_64},
    {"table names of 65 bytes", NULL, 0, build_table_65, CS_ETOOBIG, NULL},
    {"an error text of 255 bytes", NULL, 0, build_text_255, 0, check_text_255},
    {"an error text of 256 bytes", NULL, 0, build_text_256, CS_ETOOBIG, NULL},
    /* Refusal counts: the limit itself, one more, and a header that only claims more. */
    {"CS_MSG_REFUSED_MAX refusals", NULL, 0, build_refused_max, 0, check_refused_max},
    {"CS_MSG_REFUSED_MAX + 1 refusals", NULL, 0, build_refused_over_max, CS_ETOOBIG, NULL},
    {"an array 32 header claiming 2^31 - 1 refusals",
     BYTES(0x94, CS_MSG_REFUSED, 0x01, 0x02, 0xdd, 0x7f, 0xff, 0xff, 0xff), NULL, CS_ETOOBIG, NULL},
    {"an array 16 header claiming CS_MSG_REFUSED_MAX refusals, with none",
     BYTES(0x94, CS_MSG_REFUSED, 0x01, 0x02, 0xdc, 0x10, 0x00), NULL, CS_ETRUNCATED, NULL},
    /* Wrong field types and values. */
    {"ACK seq as a string", BYTES(0x93, CS_MSG_ACK, 0xa1, '1', 0x00), NULL, CS_ETYPE, NULL},
    {"CHUNK envelope as a string", BYTES(0x92, CS_MSG_CHUNK, 0xa3, 'e', 'n', 'v'), NULL, CS_ETYPE,
     NULL},
    {"ERROR code 2^32",
     BYTES(0x93, CS_MSG_ERROR, 0xcf, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xa0), NULL,
     CS_ETOOBIG, NULL},
    {"ERROR text cut inside a character", BYTES(0x93, CS_MSG_ERROR, 0x01, 0xa2, 0xe1, 0xba), NULL,
     CS_EMALFORMED, NULL},
    {"REFUSED seq_first after seq_last", BYTES(0x94, CS_MSG_REFUSED, 0x03, 0x02, 0x90), NULL,
     CS_EMALFORMED, NULL},
    {"a refusal's row id of 15 bytes", NULL, 0, build_row_15, CS_EMALFORMED, NULL},
    {"a refusal kind that does not fit its byte", NULL, 0, build_kind_256, CS_ETOOBIG, NULL},
};

static void
test_msg_strict(void **state)
{
    (void)state;
    struct cs_msg o;

    for (size_t i = 0; i < CS_ARRAY_SIZE(msg_cases); i++) {
        const struct msg_case *c = &msg_cases[i];
        struct mp m;
        mp_init(&m);
        if (c->build)
            c->build(&m);
        else
            assert_int_equal(msgpack_sbuffer_write(&m.sb, (const char *)c->bytes, c->len), 0);
        memset(&o, 0x5a, sizeof(o));
        int got = cs_msg_decode(&o, (const uint8_t *)m.sb.data, m.sb.size);
        msgpack_sbuffer_destroy(&m.sb);
        if (got != c->want)
            fail_msg("%s: %s, want %s", c->name, cs_err_name(got), cs_err_name(c->want));
        if (got == 0 && c->check)
            c->check(&o);
        /* A refused frame leaves nothing to free: refusals decoded before the fault are gone. */
        if (got != 0) {
            assert_null(o.refused);
            assert_int_equal(o.nrefused, 0);
        }
        cs_msg_release(&o);
    }

    /* Over the frame size before anything is read. */
    uint8_t *huge = calloc(1, CS_WIRE_MAX_FRAME + 1);
    assert_non_null(huge);
    assert_int_equal(cs_msg_decode(&o, huge, CS_WIRE_MAX_FRAME + 1), CS_ETOOBIG);
    free(huge);
}

/* The encoder sends nothing the decoder would refuse. */
static void
test_msg_encode_strict(void **state)
{
    (void)state;
    struct cs_msg o;
    struct cs_msg e;
    struct cs_refusal r;
    uint8_t *buf = (uint8_t *)"x";
    size_t len = 1;
    memset(&e, 0, sizeof(e));
    e.type = (enum cs_msg_type)9;
    assert_int_equal(cs_msg_encode(&e, &buf, &len), CS_EINVAL);
    assert_null(buf);
    e.type = CS_MSG_ERROR;
    memset(e.message, 'x', sizeof(e.message));
    assert_int_equal(cs_msg_encode(&e, &buf, &len), CS_EINVAL);
    e.type = CS_MSG_REFUSED;
    make_refusal(&r, 0);
    e.refused = &r;
    e.nrefused = CS_MSG_REFUSED_MAX + 1;
    assert_int_equal(cs_msg_encode(&e, &buf, &len), CS_ETOOBIG);
    e.nrefused = 1;
    e.seq_first = 2;
    e.seq_last = 1;
    assert_int_equal(cs_msg_encode(&e, &buf, &len), CS_EINVAL);
    e.seq_first = 1;
    snprintf(r.reason, sizeof(r.reason), "\xc0\xaf");
    assert_int_equal(cs_msg_encode(&e, &buf, &len), CS_EINVAL);
    snprintf(r.reason, sizeof(r.reason), "ok");
    assert_int_equal(cs_msg_encode(&e, &buf, &len), 0);
    free(buf);
    e.type = CS_MSG_CHUNK;
    e.env = NULL;
    e.envlen = 3;
    assert_int_equal(cs_msg_encode(&e, &buf, &len), CS_EINVAL);
    uint8_t *bigenv = calloc(1, CS_WIRE_MAX_FRAME);
    assert_non_null(bigenv);
    e.env = bigenv;
    e.envlen = CS_WIRE_MAX_FRAME - CS_SESSION_OVERHEAD;
    assert_int_equal(cs_msg_encode(&e, &buf, &len), CS_ETOOBIG);
    /* 7 bytes around it: the array (1), the type (1), the bin 32 header (5). */
    e.envlen = CS_WIRE_MAX_FRAME - CS_SESSION_OVERHEAD - 7;
    assert_int_equal(cs_msg_encode(&e, &buf, &len), 0);
    assert_int_equal(len, CS_WIRE_MAX_FRAME - CS_SESSION_OVERHEAD);
    assert_int_equal(cs_msg_decode(&o, buf, len), 0);
    assert_int_equal(o.envlen, e.envlen);
    free(buf);
    free(bigenv);
}

/* The next frame from tx, holding m or (m NULL) the n raw bytes: *len bytes, caller frees. */
static uint8_t *
seal_frame(struct cs_session *tx, const struct cs_msg *m, const uint8_t *raw, size_t n, size_t *len)
{
    uint8_t *buf = NULL, *sealed;
    if (m != NULL)
        assert_int_equal(cs_msg_encode(m, &buf, &n), 0);
    sealed = malloc(n + CS_SESSION_OVERHEAD);
    assert_non_null(sealed);
    assert_int_equal(cs_session_seal(tx, m != NULL ? buf : raw, n, sealed), 0);
    free(buf);
    *len = n + CS_SESSION_OVERHEAD;
    return sealed;
}

/* A message read straight from a sealed frame owns what it points into; a failure owns nothing. */
static void
test_read_msg(void **state)
{
    (void)state;
    struct cs_hs d, h;
    struct cs_hello hello, ho;
    struct cs_welcome w, wo;
    struct cs_session ds, hs;
    size_t len1 = 0, len2 = 0, flen = 0;
    uint8_t env[700];
    struct cs_msg o;

    full_hello(&hello);
    full_welcome(&w);
    handshake(&d, &h, &hello, &w, &ho, &wo, &len1, &len2);
    sessions(&d, &h, &ds, &hs);

    /* CHUNK: env outlives the frame, and release leaves no pointer into what it freed. */
    fill(env, sizeof(env), 31);
    struct cs_msg chunk = {.type = CS_MSG_CHUNK, .env = env, .envlen = sizeof(env)};
    uint8_t *f = seal_frame(&ds, &chunk, NULL, 0, &flen), *frame = dup_bytes(f, flen);
    memset(&o, 0xa5, sizeof(o));
    assert_int_equal(cs_session_read_msg(&hs, frame, flen, &o), 0);
    memset(frame, 0, flen);
    free(frame);
    assert_int_equal(o.type, CS_MSG_CHUNK);
    assert_true(o.plain != NULL && o.env >= o.plain && o.env + o.envlen <= o.plain + flen);
    assert_int_equal(o.envlen, sizeof(env));
    assert_memory_equal(o.env, env, sizeof(env));
    cs_msg_release(&o);
    assert_true(o.plain == NULL && o.env == NULL && o.envlen == 0);
    cs_msg_release(&o);

    /* The same frame again is a replay; a flipped, cut or over-long one does not open. */
    assert_int_equal(cs_session_read_msg(&hs, f, flen, &o), CS_EDECRYPT);
    assert_true(o.plain == NULL && o.type == 0);
    free(f);
    struct cs_msg done = {.type = CS_MSG_DONE, .seq = 4242};
    f = seal_frame(&ds, &done, NULL, 0, &flen);
    f[flen / 2] ^= 0x40;
    assert_int_equal(cs_session_read_msg(&hs, f, flen, &o), CS_EDECRYPT);
    f[flen / 2] ^= 0x40;
    assert_int_equal(cs_session_read_msg(&hs, f, flen - 1, &o), CS_EDECRYPT);
    assert_int_equal(cs_session_read_msg(&hs, f, 0, &o), CS_EDECRYPT);
    assert_null(o.plain);
    assert_int_equal(cs_session_read_msg(&hs, f, CS_WIRE_MAX_FRAME + 1, &o), CS_ETOOBIG);
    assert_null(o.plain);
    /* The failures left the stream where it was: the frame itself still opens, once. */
    assert_int_equal(cs_session_read_msg(&hs, f, flen, &o), 0);
    assert_int_equal(o.type, CS_MSG_DONE);
    assert_true(o.seq == 4242);
    cs_msg_release(&o);
    free(f);

    /* REFUSED: the refusals and the frame are both released (the sanitizers see a leak). */
    struct cs_refusal rs[2];
    make_refusal(&rs[0], 0);
    make_refusal(&rs[1], 1);
    struct cs_msg refused = {
        .type = CS_MSG_REFUSED, .seq_first = 5, .seq_last = 9, .refused = rs, .nrefused = 2};
    f = seal_frame(&ds, &refused, NULL, 0, &flen);
    assert_int_equal(cs_session_read_msg(&hs, f, flen, &o), 0);
    assert_int_equal(o.type, CS_MSG_REFUSED);
    assert_int_equal(o.nrefused, 2);
    assert_string_equal(o.refused[1].reason, rs[1].reason);
    cs_msg_release(&o);
    assert_true(o.refused == NULL && o.plain == NULL);
    free(f);

    /* A frame that opens but holds no message ([9]: no such type): the decoder's code. */
    static const uint8_t unknown[] = {0x91, 0x09};
    f = seal_frame(&ds, NULL, unknown, sizeof(unknown), &flen);
    assert_int_equal(cs_session_read_msg(&hs, f, flen, &o), CS_ETYPE);
    assert_true(o.plain == NULL && o.refused == NULL);
    free(f);

    cs_session_release(&ds);
    cs_session_release(&hs);
    cs_hs_release(&d);
    cs_hs_release(&h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_handshake),
        cmocka_unit_test(test_empty_sizes),
        cmocka_unit_test(test_spec),
        cmocka_unit_test(test_wrong_hub),
        cmocka_unit_test(test_msg1_refused),
        cmocka_unit_test(test_msg2_refused),
        cmocka_unit_test(test_replay),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_impostor),
        cmocka_unit_test(test_timestamp),
        cmocka_unit_test(test_prologue),
        cmocka_unit_test(test_hello_strict),
        cmocka_unit_test(test_welcome_strict),
        cmocka_unit_test(test_welcome_refusal),
        cmocka_unit_test(test_session_refused),
        cmocka_unit_test(test_msg_roundtrip),
        cmocka_unit_test(test_msg_strict),
        cmocka_unit_test(test_msg_encode_strict),
        cmocka_unit_test(test_read_msg),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
