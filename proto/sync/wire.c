/* SPDX-License-Identifier: MIT */
/*
 * The live protocol without I/O, byte for byte as cellsync/wire.h describes
 * it: frame lengths, the one-round-trip handshake, the secretstream session
 * and the msgpack messages inside it.
 *
 * The handshake is Noise_IK_25519_ChaChaPoly_BLAKE2b (noise.c, Noise rev 34)
 * with the keys' X25519 forms; its Split() keys the two secretstreams.
 * Every way a handshake message can fail to be authentic is CS_EDECRYPT, so
 * a peer learns nothing from which step failed. Secrets (the Noise state,
 * the enrollment secret in hello, the session keys) live on the stack or in
 * struct cs_hs and are wiped with sodium_memzero as soon as they are done.
 *
 * Decoders are strict (cs__mp_unpack and the typed getters of mp.c): wrong
 * types, counts, sizes and trailing bytes are each refused with their own
 * code, and the caller's struct gets a result only when all of it is good.
 */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/noise.h"
#include "cellsync/pake.h"
#include "cellsync/rotation.h"
#include "cellsync/wire.h"
#include "cellsync/util.h"
#include "internal.h"

#define KEY_LEN     32u                          /* session key */
#define MSG1_PREFIX (CS_WIRE_TS_LEN + CS_PK_LEN) /* timestamp || device key, before the hello */
#define MSG1_MIN    (1u + CS_NOISE_IK_MSG1_OVERHEAD)
#define MSG2_MIN    CS_NOISE_IK_MSG2_OVERHEAD
#define VREPLY_LEN  2u

/* Noise prologue (section 6): "cellsync wire" || 0x00 || the version byte, on both sides. */
static const uint8_t prologue[] = {
    'c', 'e', 'l', 'l', 's', 'y', 'n', 'c', ' ', 'w', 'i', 'r', 'e', 0x00, CS_WIRE_VERSION};

/* Where a struct cs_hs stands; 0 is what a zeroed or failed one holds. */
enum {
    HS_NONE = 0,
    HS_SENT = 1, /* device: msg1 built, waiting for msg2 */
    HS_READ = 2, /* hub: msg1 read, msg2 not yet built */
    HS_DONE = 3, /* either side: session keys set */
};

/*
 * hello: [hub_seq, secret or nil, name, incarnation or nil];
 * welcome: [status, message, hub_time, up_seq, org, role, incarnation or nil, down_seq,
 *           max_drift_minutes when not 0]
 */
#define HELLO_FIELDS   4u
#define WELCOME_FIELDS 8u /* without max_drift_minutes */
#define REFUSAL_FIELDS 7u
/*
 * Limits for the structural walk of a payload. They are wider than any valid
 * payload so that a wrong count or an over-long string reaches the decoder
 * and gets its own code (CS_ECOUNT, CS_ETOOBIG) instead of a generic one.
 */
#define PAYLOAD_DEPTH 2u
#define PAYLOAD_COUNT 16u

_Static_assert(crypto_secretstream_xchacha20poly1305_KEYBYTES == KEY_LEN &&
                   CS_NOISE_KEYLEN == KEY_LEN,
               "session key size");
_Static_assert(CS_WIRE_VERSION > 0 && CS_WIRE_VERSION < CS_WIRE_VERSION_REPLY &&
                   CS_WIRE_VERSION != CS_PAKE_FRAME,
               "version byte");
_Static_assert(CS_WIRE_MAX_PREAUTH - 1 <= CS_NOISE_MAXMSG,
               "a handshake message is one Noise message");
_Static_assert(CS_WIRE_MAX_FRAME <= UINT32_MAX - CS_SESSION_OVERHEAD, "frame sizes");

/* ---- frames ---- */

int
cs_wire_frame_len(const uint8_t hdr[CS_WIRE_HEADER], uint32_t max, uint32_t *len)
{
    uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    if (n > max)
        return CS_ETOOBIG;
    *len = n;
    return 0;
}

void
cs_wire_frame_put(uint8_t hdr[CS_WIRE_HEADER], uint32_t len)
{
    hdr[0] = (uint8_t)(len >> 24);
    hdr[1] = (uint8_t)(len >> 16);
    hdr[2] = (uint8_t)(len >> 8);
    hdr[3] = (uint8_t)len;
}

/* ---- small pieces ---- */

/* A msgpack writer into a fixed buffer: the payloads never touch the heap. */
struct fixbuf {
    uint8_t *p;
    size_t len, cap;
};

static int
fixbuf_write(void *data, const char *buf, size_t len)
{
    struct fixbuf *f = data;
    if (len == 0)
        return 0;
    if (len > f->cap - f->len)
        return -1;
    memcpy(f->p + f->len, buf, len);
    f->len += len;
    return 0;
}

/* A char[cap] field to send: NUL-terminated inside the field and UTF-8, or CS_EINVAL. */
static int
text_len(const char *s, size_t cap, size_t *n)
{
    *n = strnlen(s, cap);
    if (*n == cap || !cs_utf8_valid((const uint8_t *)s, *n))
        return CS_EINVAL;
    return 0;
}

static int
pack_text(msgpack_packer *pk, const char *s, size_t n)
{
    return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n);
}

/* A fixed-size binary field that may be absent: bin of exactly n bytes, or nil. */
static int
pack_opt_bin(msgpack_packer *pk, int has, const uint8_t *b, size_t n)
{
    if (!has)
        return msgpack_pack_nil(pk);
    return msgpack_pack_bin(pk, n) || msgpack_pack_bin_body(pk, b, n);
}

static int
get_opt_bin(const struct cs__mpdec *d, const msgpack_object *o, uint8_t *b, size_t n, int *has,
            const char *what)
{
    *has = 0;
    if (o->type == MSGPACK_OBJECT_NIL)
        return 0;
    int ret = cs__mp_bin_exact(d, o, b, n, what);
    if (ret == 0)
        *has = 1;
    return ret;
}

/* ---- hello and welcome (also carried by bundles, cellsync/bundle.h) ---- */

int
cs_hello_encode(const struct cs_hello *h, uint8_t *out, size_t cap, size_t *outlen)
{
    size_t nname;
    if (text_len(h->name, sizeof(h->name), &nname) != 0)
        return CS_EINVAL;
    struct fixbuf fb = {out, 0, cap};
    msgpack_packer pk;
    msgpack_packer_init(&pk, &fb, fixbuf_write);
    if (msgpack_pack_array(&pk, HELLO_FIELDS) || msgpack_pack_uint64(&pk, h->hub_seq) ||
        pack_opt_bin(&pk, h->has_secret, h->secret, sizeof(h->secret)) ||
        pack_text(&pk, h->name, nname) ||
        pack_opt_bin(&pk, h->has_incarnation, h->incarnation, sizeof(h->incarnation)))
        return CS_ETOOBIG;
    *outlen = fb.len;
    return 0;
}

/*
 * The common start of decoding a handshake payload: the size bound, the
 * structural pre-check and unpacking, and an array of min to max fields
 * (*n of them); payload_open: exactly `fields`.
 */
static int
payload_open_n(struct cs__mpdec *d, msgpack_unpacked *up, const uint8_t *buf, size_t len,
               uint32_t min, uint32_t max, const msgpack_object **f, uint32_t *n, const char *what)
{
    int ret;
    *n = 0;
    if (len > CS_WIRE_MAX_PREAUTH)
        return CS_ETOOBIG;
    if ((ret = cs__mp_unpack(d, up, buf, len, PAYLOAD_DEPTH, PAYLOAD_COUNT, CS_WIRE_MAX_PREAUTH,
                             what)) != 0 ||
        (ret = cs__mp_array(d, &up->data, f, n, what)) != 0)
        return ret;
    return *n >= min && *n <= max ? 0 : CS_ECOUNT;
}

static int
payload_open(struct cs__mpdec *d, msgpack_unpacked *up, const uint8_t *buf, size_t len,
             uint32_t fields, const msgpack_object **f, const char *what)
{
    uint32_t n;
    return payload_open_n(d, up, buf, len, fields, fields, f, &n, what);
}

int
cs_hello_decode(const uint8_t *buf, size_t len, struct cs_hello *h)
{
    struct cs__mpdec d = {NULL, 0};
    struct cs_hello t;
    msgpack_unpacked up;
    const msgpack_object *f = NULL;
    int ret;

    memset(&t, 0, sizeof(t));
    msgpack_unpacked_init(&up);
    if ((ret = payload_open(&d, &up, buf, len, HELLO_FIELDS, &f, "hello")) != 0)
        goto out;
    if ((ret = cs__mp_uint(&d, &f[0], UINT64_MAX, &t.hub_seq, "hub seq")) != 0)
        goto out;
    if ((ret = get_opt_bin(&d, &f[1], t.secret, sizeof(t.secret), &t.has_secret, "secret")) != 0 ||
        (ret = cs__mp_str(&d, &f[2], t.name, sizeof(t.name), "name")) != 0 ||
        (ret = get_opt_bin(&d, &f[3], t.incarnation, sizeof(t.incarnation), &t.has_incarnation,
                           "incarnation")) != 0)
        goto out;
    *h = t;
out:
    sodium_memzero(&t, sizeof(t)); /* the enrollment secret */
    msgpack_unpacked_destroy(&up);
    return ret;
}

int
cs_welcome_encode(const struct cs_welcome *w, uint8_t *out, size_t cap, size_t *outlen)
{
    size_t nmsg, norg, nrole;
    if (text_len(w->message, sizeof(w->message), &nmsg) != 0 ||
        text_len(w->org, sizeof(w->org), &norg) != 0 ||
        text_len(w->role, sizeof(w->role), &nrole) != 0)
        return CS_EINVAL;
    struct fixbuf fb = {out, 0, cap};
    msgpack_packer pk;
    msgpack_packer_init(&pk, &fb, fixbuf_write);
    int drift = w->max_drift_minutes != 0;
    if (msgpack_pack_array(&pk, WELCOME_FIELDS + drift) || msgpack_pack_uint32(&pk, w->status) ||
        pack_text(&pk, w->message, nmsg) || msgpack_pack_uint64(&pk, w->hub_time) ||
        msgpack_pack_uint64(&pk, w->up_seq) || pack_text(&pk, w->org, norg) ||
        pack_text(&pk, w->role, nrole) ||
        pack_opt_bin(&pk, w->has_incarnation, w->incarnation, sizeof(w->incarnation)) ||
        msgpack_pack_uint64(&pk, w->down_seq) ||
        (drift && msgpack_pack_uint32(&pk, w->max_drift_minutes)))
        return CS_ETOOBIG;
    *outlen = fb.len;
    return 0;
}

int
cs_welcome_decode(const uint8_t *buf, size_t len, struct cs_welcome *w)
{
    struct cs__mpdec d = {NULL, 0};
    struct cs_welcome t;
    msgpack_unpacked up;
    const msgpack_object *f = NULL;
    uint64_t status = 0, drift = 0;
    uint32_t n;
    int ret;

    memset(&t, 0, sizeof(t));
    msgpack_unpacked_init(&up);
    if ((ret = payload_open_n(&d, &up, buf, len, WELCOME_FIELDS, WELCOME_FIELDS + 1, &f, &n,
                              "welcome")) != 0)
        goto out;
    if ((ret = cs__mp_uint(&d, &f[0], UINT32_MAX, &status, "status")) != 0 ||
        (ret = cs__mp_str(&d, &f[1], t.message, sizeof(t.message), "message")) != 0 ||
        (ret = cs__mp_uint(&d, &f[2], UINT64_MAX, &t.hub_time, "hub time")) != 0 ||
        (ret = cs__mp_uint(&d, &f[3], UINT64_MAX, &t.up_seq, "up seq")) != 0 ||
        (ret = cs__mp_str(&d, &f[4], t.org, sizeof(t.org), "org")) != 0 ||
        (ret = cs__mp_str(&d, &f[5], t.role, sizeof(t.role), "role")) != 0 ||
        (ret = get_opt_bin(&d, &f[6], t.incarnation, sizeof(t.incarnation), &t.has_incarnation,
                           "incarnation")) != 0 ||
        (ret = cs__mp_uint(&d, &f[7], UINT64_MAX, &t.down_seq, "down seq")) != 0)
        goto out;
    /* Written only when not 0: one encoding for each welcome. */
    if (n > WELCOME_FIELDS &&
        ((ret = cs__mp_uint(&d, &f[8], UINT32_MAX, &drift, "drift bound")) != 0 ||
         (ret = drift == 0 ? CS_EMALFORMED : 0) != 0))
        goto out;
    t.max_drift_minutes = (uint32_t)drift;
    t.status = (uint32_t)status;
    *w = t;
out:
    msgpack_unpacked_destroy(&up);
    return ret;
}

/* ---- handshake: Noise_IK_25519_ChaChaPoly_BLAKE2b (noise.c) ---- */

/* Timestamps: a TAI64 label (2^62 + Unix seconds) and nanoseconds, both big-endian. */
static void
ts_put(uint8_t ts[CS_WIRE_TS_LEN], uint64_t secs, uint32_t nsec)
{
    uint64_t label = (UINT64_C(1) << 62) + secs;
    for (int i = 0; i < 8; i++)
        ts[i] = (uint8_t)(label >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        ts[8 + i] = (uint8_t)(nsec >> (24 - 8 * i));
}

void
cs_wire_ts_next(const uint8_t *last, uint8_t out[CS_WIRE_TS_LEN])
{
    struct timespec now;
    uint8_t t[CS_WIRE_TS_LEN], inc[CS_WIRE_TS_LEN];

    if (timespec_get(&now, TIME_UTC) != TIME_UTC || now.tv_sec < 0)
        now.tv_sec = 0, now.tv_nsec = 0;
    ts_put(t, (uint64_t)now.tv_sec, (uint32_t)now.tv_nsec);
    if (last != NULL && memcmp(t, last, CS_WIRE_TS_LEN) <= 0) {
        /* The clock went back (or stood still): last + 1 ns, so the hub still takes it. */
        uint64_t label = 0;
        uint32_t ns = 0;
        for (int i = 0; i < 8; i++)
            label = label << 8 | last[i];
        for (int i = 8; i < 12; i++)
            ns = ns << 8 | last[i];
        if (++ns >= 1000000000u) {
            ns = 0;
            label++;
        }
        ts_put(inc, label - (UINT64_C(1) << 62), ns);
        memcpy(t, inc, sizeof(t));
    }
    memcpy(out, t, CS_WIRE_TS_LEN);
}

int
cs_wire_ts_cmp(const uint8_t a[CS_WIRE_TS_LEN], const uint8_t b[CS_WIRE_TS_LEN])
{
    int c = memcmp(a, b, CS_WIRE_TS_LEN);
    return (c > 0) - (c < 0);
}

/* Our X25519 static key: the Ed25519 key converted (the hub's is what devices pin). */
static int
noise_init(struct cs_noise_handshake *nh, enum cs_noise_role role, const struct cs_key *k,
           const uint8_t *rs)
{
    uint8_t x_sk[CS_NOISE_DHLEN];
    char err[128];
    int ret = cs__key_x25519_sk(k, x_sk);
    if (ret == 0)
        ret = cs_noise_handshake_init(nh, role, prologue, sizeof(prologue), x_sk, rs, NULL, err,
                                      sizeof(err));
    sodium_memzero(x_sk, sizeof(x_sk));
    return ret;
}

/* Split(): both CipherStates' keys move to hs->tx / hs->rx for crypto_secretstream. */
static int
take_session_keys(struct cs_hs *hs)
{
    struct cs_noise_cipher send, recv;
    int ret = cs_noise_handshake_split(&hs->nh, &send, &recv);
    if (ret == 0 && (ret = cs_noise_cipher_take_key(&send, hs->tx)) == 0)
        ret = cs_noise_cipher_take_key(&recv, hs->rx);
    cs_noise_cipher_release(&send);
    cs_noise_cipher_release(&recv);
    cs_noise_handshake_release(&hs->nh);
    return ret == 0 ? 0 : CS_ECRYPTO;
}

void
cs_hs_release(struct cs_hs *hs)
{
    if (hs != NULL)
        sodium_memzero(hs, sizeof(*hs));
}

int
cs_hs_device_start(struct cs_hs *hs, const struct cs_key *dev, const uint8_t hub_pk[CS_PK_LEN],
                   const uint8_t ts[CS_WIRE_TS_LEN], const struct cs_hello *hello, uint8_t *out,
                   size_t cap, size_t *outlen)
{
    uint8_t payload[CS_WIRE_MAX_PREAUTH];
    uint8_t hub_x[CS_NOISE_DHLEN];
    size_t plen = 0, n = 0;
    char err[128];
    int ret;

    cs_hs_release(hs);
    *outlen = 0;
    /* payload = timestamp || device Ed25519 key || hello */
    memcpy(payload, ts, CS_WIRE_TS_LEN);
    memcpy(payload + CS_WIRE_TS_LEN, cs_key_pk(dev), CS_PK_LEN);
    ret = cs_hello_encode(hello, payload + MSG1_PREFIX,
                          CS_WIRE_MAX_PREAUTH - MSG1_MIN - MSG1_PREFIX, &plen);
    if (ret != 0)
        goto out;
    plen += MSG1_PREFIX;
    if (cap < MSG1_MIN + plen) {
        ret = CS_EINVAL;
        goto out;
    }
    /* The pinned key was checked when it was loaded; a bad one here is the caller's. */
    ret = CS_ECRYPTO;
    if (crypto_sign_ed25519_pk_to_curve25519(hub_x, hub_pk) != 0 ||
        noise_init(&hs->nh, CS_NOISE_INITIATOR, dev, hub_x) != 0)
        goto out;
    out[0] = CS_WIRE_VERSION;
    if (cs_noise_handshake_write(&hs->nh, payload, plen, out + 1, cap - 1, &n, err, sizeof(err)) !=
        0)
        goto out;
    hs->step = HS_SENT;
    *outlen = 1 + n;
    ret = 0;
out:
    if (ret != 0)
        cs_hs_release(hs);
    sodium_memzero(payload, sizeof(payload));
    return ret;
}

int
cs_hs_device_finish(struct cs_hs *hs, const struct cs_key *dev, const uint8_t hub_pk[CS_PK_LEN],
                    const uint8_t *msg, size_t len, struct cs_welcome *w, unsigned *hub_version)
{
    uint8_t payload[CS_WIRE_MAX_PREAUTH];
    struct cs_welcome t;
    size_t plen = 0;
    char err[128];
    int ret;

    /* The pinned key and ours are in the Noise state already. */
    (void)dev;
    (void)hub_pk;
    memset(&t, 0, sizeof(t));
    /* A real msg2 is far longer than 2 bytes, so the version reply cannot be mistaken. */
    if (len == VREPLY_LEN && msg[0] == CS_WIRE_VERSION_REPLY) {
        if (hub_version != NULL)
            *hub_version = msg[1];
        return CS_EVERSION;
    }
    if (hs->step != HS_SENT)
        return CS_EINVAL;
    if (len > CS_WIRE_MAX_PREAUTH)
        return CS_ETOOBIG;
    if (len < MSG2_MIN)
        return CS_ETRUNCATED;
    /* Noise 5.3: a message that fails wipes the handshake state, which cannot go on. */
    ret = cs_noise_handshake_read(&hs->nh, msg, len, payload, sizeof(payload), &plen, err,
                                  sizeof(err));
    if (ret != 0) {
        ret = CS_EDECRYPT;
        goto out;
    }
    if ((ret = cs_welcome_decode(payload, plen, &t)) != 0)
        goto out;
    if (t.status == CS_WELCOME_OK) {
        if ((ret = take_session_keys(hs)) != 0)
            goto out;
        hs->step = HS_DONE;
    } else {
        cs_noise_handshake_release(&hs->nh);
        hs->step = HS_NONE;
    }
    *w = t;
    if (hub_version != NULL)
        *hub_version = CS_WIRE_VERSION;
    ret = 0;
out:
    if (ret != 0)
        cs_hs_release(hs);
    sodium_memzero(payload, sizeof(payload));
    return ret;
}

int
cs_hs_hub_read(struct cs_hs *hs, const struct cs_key *hub, const uint8_t *msg, size_t len,
               struct cs_hello *hello)
{
    uint8_t payload[CS_WIRE_MAX_PREAUTH];
    uint8_t rs[CS_NOISE_DHLEN], dev_x[CS_NOISE_DHLEN];
    struct cs_hello t;
    size_t plen = 0;
    char err[128];
    int ret;

    cs_hs_release(hs);
    memset(&t, 0, sizeof(t));
    if (len > CS_WIRE_MAX_PREAUTH)
        return CS_ETOOBIG;
    if (len < 1)
        return CS_ETRUNCATED;
    /* The version first, before any crypto: another version gets the version reply. */
    if (msg[0] != CS_WIRE_VERSION)
        return CS_EVERSION;
    if (len < MSG1_MIN)
        return CS_ETRUNCATED;

    ret = CS_ECRYPTO;
    if (noise_init(&hs->nh, CS_NOISE_RESPONDER, hub, NULL) != 0)
        goto out;
    /* Every way msg1 can fail to be ours is the same answer. */
    ret = CS_EDECRYPT;
    if (cs_noise_handshake_read(&hs->nh, msg + 1, len - 1, payload, sizeof(payload), &plen, err,
                                sizeof(err)) != 0 ||
        plen < MSG1_PREFIX)
        goto out;
    /* The Ed25519 key the payload names must be the static key Noise authenticated. */
    if (cs_noise_handshake_remote_static(&hs->nh, rs) != 0 ||
        crypto_sign_ed25519_pk_to_curve25519(dev_x, payload + CS_WIRE_TS_LEN) != 0 ||
        sodium_memcmp(dev_x, rs, sizeof(rs)) != 0)
        goto out;
    if ((ret = cs_hello_decode(payload + MSG1_PREFIX, plen - MSG1_PREFIX, &t)) != 0)
        goto out;
    memcpy(hs->peer_ts, payload, CS_WIRE_TS_LEN);
    memcpy(hs->peer_pk, payload + CS_WIRE_TS_LEN, CS_PK_LEN);
    hs->step = HS_READ;
    *hello = t;
    ret = 0;
out:
    if (ret != 0)
        cs_hs_release(hs);
    sodium_memzero(&t, sizeof(t));
    sodium_memzero(payload, sizeof(payload));
    return ret;
}

int
cs_hs_hub_reply(struct cs_hs *hs, const struct cs_welcome *w, uint8_t *out, size_t cap,
                size_t *outlen)
{
    uint8_t payload[CS_WIRE_MAX_PREAUTH];
    size_t plen = 0, n = 0;
    char err[128];
    int ret;

    *outlen = 0;
    if (hs->step != HS_READ)
        return CS_EINVAL;
    ret = cs_welcome_encode(w, payload, CS_WIRE_MAX_PREAUTH - MSG2_MIN, &plen);
    if (ret != 0)
        goto out;
    if (cap < MSG2_MIN + plen) {
        ret = CS_EINVAL;
        goto out;
    }
    ret = CS_ECRYPTO;
    if (cs_noise_handshake_write(&hs->nh, payload, plen, out, cap, &n, err, sizeof(err)) != 0) {
        /* Noise wiped its state; hs keeps only who the device was. */
        hs->step = HS_NONE;
        goto out;
    }
    /* Keep peer_pk and peer_ts (the caller's record of who this was) and, on OK, the keys. */
    if (w->status == CS_WELCOME_OK) {
        if ((ret = take_session_keys(hs)) != 0) {
            hs->step = HS_NONE;
            goto out;
        }
        hs->step = HS_DONE;
    } else {
        cs_noise_handshake_release(&hs->nh);
        hs->step = HS_NONE;
    }
    *outlen = n;
    ret = 0;
out:
    sodium_memzero(payload, sizeof(payload));
    return ret;
}

size_t
cs_hs_version_reply(uint8_t out[2])
{
    out[0] = CS_WIRE_VERSION_REPLY;
    out[1] = CS_WIRE_VERSION;
    return VREPLY_LEN;
}

size_t
cs_hs_busy_reply(uint8_t out[CS_WIRE_BUSY_LEN], unsigned secs)
{
    if (secs > 0xffff)
        secs = 0xffff;
    out[0] = CS_WIRE_BUSY_REPLY;
    out[1] = (uint8_t)(secs >> 8);
    out[2] = (uint8_t)secs;
    return CS_WIRE_BUSY_LEN;
}

int
cs_hs_busy_read(const uint8_t *msg, size_t len, unsigned *secs)
{
    if (len != CS_WIRE_BUSY_LEN || msg[0] != CS_WIRE_BUSY_REPLY)
        return 0;
    *secs = (unsigned)msg[1] << 8 | msg[2];
    return 1;
}

/* ---- session ---- */

int
cs_session_init(struct cs_session *s, const struct cs_hs *hs,
                uint8_t header[crypto_secretstream_xchacha20poly1305_HEADERBYTES])
{
    sodium_memzero(s, sizeof(*s));
    if (hs->step != HS_DONE)
        return CS_EINVAL;
    if (crypto_secretstream_xchacha20poly1305_init_push(&s->tx, header, hs->tx) != 0)
        return CS_ECRYPTO;
    return 0;
}

int
cs_session_accept(struct cs_session *s, const struct cs_hs *hs, const uint8_t *hdr, size_t len)
{
    if (hs->step != HS_DONE || s->rx_ready)
        return CS_EINVAL;
    if (len != crypto_secretstream_xchacha20poly1305_HEADERBYTES)
        return CS_EMALFORMED;
    if (crypto_secretstream_xchacha20poly1305_init_pull(&s->rx, hdr, hs->rx) != 0)
        return CS_EMALFORMED;
    s->rx_ready = 1;
    return 0;
}

int
cs_session_seal(struct cs_session *s, const uint8_t *msg, size_t len, uint8_t *out)
{
    if (len > CS_WIRE_MAX_FRAME - CS_SESSION_OVERHEAD)
        return CS_ETOOBIG;
    if (crypto_secretstream_xchacha20poly1305_push(
            &s->tx, out, NULL, msg, len, NULL, 0,
            crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) != 0)
        return CS_ECRYPTO;
    return 0;
}

int
cs_session_open(struct cs_session *s, const uint8_t *in, size_t len, uint8_t *out, size_t *outlen)
{
    crypto_secretstream_xchacha20poly1305_state saved;
    unsigned long long mlen = 0;
    uint8_t tag = 0;
    int ret = CS_EDECRYPT;

    *outlen = 0;
    if (!s->rx_ready)
        return CS_EINVAL;
    if (len > CS_WIRE_MAX_FRAME)
        return CS_ETOOBIG;
    if (len < CS_SESSION_OVERHEAD)
        return CS_EDECRYPT;
    /*
     * Each message is numbered inside the stream, so a dropped, repeated or
     * swapped one fails here like an altered one. Every failure leaves the
     * state as it was, including a message that verified but carried a tag
     * other than TAG_MESSAGE (libsodium has already stepped, or rekeyed, for
     * that one: hence the copy).
     */
    saved = s->rx;
    if (crypto_secretstream_xchacha20poly1305_pull(&s->rx, out, &mlen, &tag, in, len, NULL, 0) != 0)
        goto out;
    /* Only TAG_MESSAGE is ever sent: a rekey or final tag was not made by our peer. */
    if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
        s->rx = saved;
        sodium_memzero(out, (size_t)mlen);
        goto out;
    }
    *outlen = (size_t)mlen;
    ret = 0;
out:
    sodium_memzero(&saved, sizeof(saved));
    return ret;
}

void
cs_session_release(struct cs_session *s)
{
    if (s != NULL)
        sodium_memzero(s, sizeof(*s));
}

/* ---- messages ---- */

static int
msg_validate(const struct cs_msg *m, size_t *lens)
{
    switch (m->type) {
    case CS_MSG_CHUNK:
        if (m->env == NULL && m->envlen > 0)
            return CS_EINVAL;
        if (m->envlen > CS_WIRE_MAX_FRAME)
            return CS_ETOOBIG;
        return 0;
    case CS_MSG_ROTATION:
        if (m->env == NULL || m->envlen == 0 || m->envlen % CS_ROTATION_LEN != 0 ||
            m->envlen > CS_ROTATION_MAX * CS_ROTATION_LEN)
            return CS_EINVAL;
        return 0;
    case CS_MSG_ACK:
    case CS_MSG_DONE:
        return 0;
    case CS_MSG_REFUSED:
        if (m->nrefused > CS_MSG_REFUSED_MAX)
            return CS_ETOOBIG;
        if ((m->refused == NULL && m->nrefused > 0) || m->seq_first > m->seq_last)
            return CS_EINVAL;
        for (size_t i = 0; i < m->nrefused; i++) {
            const struct cs_refusal *r = &m->refused[i];
            if (text_len(r->table, sizeof(r->table), &lens[0]) != 0 ||
                text_len(r->column, sizeof(r->column), &lens[1]) != 0 ||
                text_len(r->reason, sizeof(r->reason), &lens[2]) != 0)
                return CS_EINVAL;
        }
        return 0;
    case CS_MSG_ERROR:
        return text_len(m->message, sizeof(m->message), &lens[0]);
    }
    return CS_EINVAL;
}

static int
pack_refusal(msgpack_packer *pk, const struct cs_refusal *r)
{
    size_t nt = strlen(r->table), nc = strlen(r->column), nr = strlen(r->reason);
    return msgpack_pack_array(pk, REFUSAL_FIELDS) || pack_text(pk, r->table, nt) ||
           pack_text(pk, r->column, nc) || msgpack_pack_bin(pk, CS_ID_LEN) ||
           msgpack_pack_bin_body(pk, r->row.b, CS_ID_LEN) || msgpack_pack_uint64(pk, r->hlc) ||
           msgpack_pack_bin(pk, CS_ID_LEN) || msgpack_pack_bin_body(pk, r->origin.b, CS_ID_LEN) ||
           pack_text(pk, r->reason, nr) || msgpack_pack_uint8(pk, r->kind);
}

int
cs_msg_encode(const struct cs_msg *m, uint8_t **out, size_t *outlen)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    size_t lens[3] = {0, 0, 0};
    int e = 0;

    *out = NULL;
    *outlen = 0;
    int ret = msg_validate(m, lens);
    if (ret != 0)
        return ret;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    switch (m->type) {
    case CS_MSG_CHUNK:
    case CS_MSG_ROTATION:
        e = msgpack_pack_array(&pk, 2) || msgpack_pack_uint32(&pk, m->type) ||
            msgpack_pack_bin(&pk, m->envlen) || msgpack_pack_bin_body(&pk, m->env, m->envlen);
        break;
    case CS_MSG_ACK:
        e = msgpack_pack_array(&pk, 3) || msgpack_pack_uint32(&pk, m->type) ||
            msgpack_pack_uint64(&pk, m->seq) || msgpack_pack_uint64(&pk, m->hub_time);
        break;
    case CS_MSG_REFUSED:
        e = msgpack_pack_array(&pk, 4) || msgpack_pack_uint32(&pk, m->type) ||
            msgpack_pack_uint64(&pk, m->seq_first) || msgpack_pack_uint64(&pk, m->seq_last) ||
            msgpack_pack_array(&pk, m->nrefused);
        for (size_t i = 0; i < m->nrefused && !e; i++)
            e = pack_refusal(&pk, &m->refused[i]);
        break;
    case CS_MSG_DONE:
        e = msgpack_pack_array(&pk, 2) || msgpack_pack_uint32(&pk, m->type) ||
            msgpack_pack_uint64(&pk, m->seq);
        break;
    case CS_MSG_ERROR:
        e = msgpack_pack_array(&pk, 3) || msgpack_pack_uint32(&pk, m->type) ||
            msgpack_pack_uint32(&pk, m->code) || pack_text(&pk, m->message, lens[0]);
        break;
    }
    ret = CS_ENOMEM;
    if (e)
        goto out;
    /* Never emit what the peer's session would refuse to carry. */
    if (sb.size > CS_WIRE_MAX_FRAME - CS_SESSION_OVERHEAD) {
        ret = CS_ETOOBIG;
        goto out;
    }
    *outlen = sb.size;
    *out = (uint8_t *)msgpack_sbuffer_release(&sb);
    ret = 0;
out:
    msgpack_sbuffer_destroy(&sb);
    return ret;
}

static int
decode_refusal(const struct cs__mpdec *d, const msgpack_object *o, struct cs_refusal *r)
{
    const msgpack_object *f = NULL;
    uint32_t n = 0;
    uint64_t kind = 0;
    int ret;

    if ((ret = cs__mp_array(d, o, &f, &n, "refusal")) != 0)
        return ret;
    if (n != REFUSAL_FIELDS)
        return CS_ECOUNT;
    if ((ret = cs__mp_str(d, &f[0], r->table, sizeof(r->table), "table")) != 0 ||
        (ret = cs__mp_str(d, &f[1], r->column, sizeof(r->column), "column")) != 0 ||
        (ret = cs__mp_bin_exact(d, &f[2], r->row.b, CS_ID_LEN, "row id")) != 0 ||
        (ret = cs__mp_uint(d, &f[3], UINT64_MAX, &r->hlc, "hlc")) != 0 ||
        (ret = cs__mp_bin_exact(d, &f[4], r->origin.b, CS_ID_LEN, "origin")) != 0 ||
        (ret = cs__mp_str(d, &f[5], r->reason, sizeof(r->reason), "reason")) != 0 ||
        (ret = cs__mp_uint(d, &f[6], UINT8_MAX, &kind, "refusal kind")) != 0)
        return ret;
    r->kind =
        kind >= CS_REFUSAL_OTHER && kind <= CS_REFUSAL__LAST ? (uint8_t)kind : CS_REFUSAL_OTHER;
    return 0;
}

/* The fields after the type code; t->type is set, nf is the array's full count. */
static int
decode_body(const struct cs__mpdec *d, const uint8_t *buf, size_t len, const msgpack_object *f,
            uint32_t nf, struct cs_msg *t)
{
    static const uint32_t fields[] = {
        [CS_MSG_CHUNK] = 2, [CS_MSG_ACK] = 3,   [CS_MSG_REFUSED] = 4,
        [CS_MSG_DONE] = 2,  [CS_MSG_ERROR] = 3, [CS_MSG_ROTATION] = 2,
    };
    const msgpack_object *items = NULL;
    uint32_t nitems = 0;
    uint64_t v = 0;
    int ret;

    if (nf != fields[t->type])
        return CS_ECOUNT;
    switch (t->type) {
    case CS_MSG_CHUNK:
    case CS_MSG_ROTATION: {
        if (f[1].type != MSGPACK_OBJECT_BIN)
            return CS_ETYPE;
        /* The envelope is borrowed: find it in buf, where msgpack-c left it. */
        const uint8_t *p = (const uint8_t *)f[1].via.bin.ptr;
        size_t n = f[1].via.bin.size;
        if (n > 0 && (p < buf || p > buf + len || n > (size_t)(buf + len - p)))
            return CS_EMALFORMED;
        t->env = n > 0 ? p : buf;
        t->envlen = n;
        /* A chain is whole statements, at least one (the device checks what they say). */
        if (t->type == CS_MSG_ROTATION &&
            (n == 0 || n % CS_ROTATION_LEN != 0 || n > CS_ROTATION_MAX * CS_ROTATION_LEN))
            return CS_EMALFORMED;
        return 0;
    }
    case CS_MSG_ACK:
        if ((ret = cs__mp_uint(d, &f[1], UINT64_MAX, &t->seq, "seq")) != 0)
            return ret;
        return cs__mp_uint(d, &f[2], UINT64_MAX, &t->hub_time, "hub time");
    case CS_MSG_DONE:
        return cs__mp_uint(d, &f[1], UINT64_MAX, &t->seq, "seq");
    case CS_MSG_ERROR:
        if ((ret = cs__mp_uint(d, &f[1], UINT32_MAX, &v, "code")) != 0)
            return ret;
        t->code = (uint32_t)v;
        return cs__mp_str(d, &f[2], t->message, sizeof(t->message), "message");
    case CS_MSG_REFUSED:
        if ((ret = cs__mp_uint(d, &f[1], UINT64_MAX, &t->seq_first, "first seq")) != 0 ||
            (ret = cs__mp_uint(d, &f[2], UINT64_MAX, &t->seq_last, "last seq")) != 0 ||
            (ret = cs__mp_array(d, &f[3], &items, &nitems, "refusal list")) != 0)
            return ret;
        if (t->seq_first > t->seq_last)
            return CS_EMALFORMED;
        /* cs__mp_check already held the count to the limit; this keeps it true here too. */
        if (nitems > CS_MSG_REFUSED_MAX)
            return CS_ETOOBIG;
        if (nitems > 0) {
            t->refused = calloc(nitems, sizeof(*t->refused));
            if (t->refused == NULL)
                return CS_ENOMEM;
        }
        for (uint32_t i = 0; i < nitems; i++) {
            if ((ret = decode_refusal(d, &items[i], &t->refused[i])) != 0)
                return ret;
            t->nrefused = i + 1;
        }
        return 0;
    }
    return CS_ETYPE;
}

int
cs_msg_decode(struct cs_msg *m, const uint8_t *buf, size_t len)
{
    struct cs__mpdec d = {NULL, 0};
    struct cs_msg t;
    msgpack_unpacked up;
    const msgpack_object *f = NULL;
    uint32_t nf = 0;
    uint64_t type = 0;
    int ret;

    memset(m, 0, sizeof(*m));
    memset(&t, 0, sizeof(t));
    msgpack_unpacked_init(&up);
    if (len > CS_WIRE_MAX_FRAME) {
        ret = CS_ETOOBIG;
        goto out;
    }
    /* Depth 3: the message, the refusal list, one refusal. */
    ret = cs__mp_unpack(&d, &up, buf, len, 3, CS_MSG_REFUSED_MAX, CS_WIRE_MAX_FRAME, "message");
    if (ret != 0)
        goto out;
    if ((ret = cs__mp_array(&d, &up.data, &f, &nf, "message")) != 0)
        goto out;
    if (nf < 1) {
        ret = CS_ECOUNT;
        goto out;
    }
    /* The type first, so an unknown message is named as such whatever follows it. */
    if ((ret = cs__mp_uint(&d, &f[0], UINT64_MAX, &type, "message type")) != 0)
        goto out;
    if (type < CS_MSG_CHUNK || type > CS_MSG_ROTATION) {
        ret = CS_ETYPE;
        goto out;
    }
    t.type = (enum cs_msg_type)type;
    if ((ret = decode_body(&d, buf, len, f, nf, &t)) != 0)
        goto out;
    *m = t;
    t.refused = NULL;
out:
    free(t.refused);
    msgpack_unpacked_destroy(&up);
    return ret;
}

void
cs_msg_release(struct cs_msg *m)
{
    if (m == NULL)
        return;
    free(m->refused);
    m->refused = NULL;
    m->nrefused = 0;
    if (m->plain != NULL) {
        free(m->plain);
        m->plain = NULL;
        m->env = NULL;
        m->envlen = 0;
    }
}

int
cs_session_read_msg(struct cs_session *s, const uint8_t *frame, size_t len, struct cs_msg *m)
{
    uint8_t *plain = NULL;
    size_t plen = 0;
    int ret = CS_ETOOBIG;

    memset(m, 0, sizeof(*m));
    /* The limit before the allocation that it bounds. */
    if (len > CS_WIRE_MAX_FRAME)
        goto out;
    /* One byte more: an empty frame, refused below, still gets a buffer. */
    ret = CS_ENOMEM;
    if ((plain = malloc(len + 1)) == NULL)
        goto out;
    if ((ret = cs_session_open(s, frame, len, plain, &plen)) != 0 ||
        (ret = cs_msg_decode(m, plain, plen)) != 0)
        goto out;
    m->plain = plain;
    plain = NULL;
out:
    free(plain);
    return ret;
}
