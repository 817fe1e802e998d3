/* SPDX-License-Identifier: MIT */
/*
 * The live protocol without I/O, byte for byte as cellsync/wire.h describes
 * it: frame lengths, the one-round-trip handshake, the secretstream session
 * and the msgpack messages inside it.
 *
 * The handshake chains BLAKE2b-256 keys, each used for exactly one
 * XChaCha20-Poly1305 message under a zero nonce. Nothing a peer sent is
 * trusted before the AEAD tag that covers it has verified, and every
 * failure to derive or open a key is CS_EDECRYPT, so a peer learns nothing
 * from which step failed. Secrets (ephemeral keys, DH outputs, chain keys,
 * hash states, the enrollment secret in hello) live on the stack or in
 * struct cs_hs and are wiped with sodium_memzero as soon as they are done.
 *
 * Decoders are strict (cs__mp_unpack and the typed getters of mp.c): wrong
 * types, counts, sizes and trailing bytes are each refused with their own
 * code, and the caller's struct gets a result only when all of it is good.
 */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/wire.h"
#include "cellsync/util.h"
#include "internal.h"

#define KEY_LEN    32u /* every chain key, session key and X25519 key */
#define TAG_LEN    crypto_aead_xchacha20poly1305_ietf_ABYTES
#define CT1_LEN    (CS_PK_LEN + TAG_LEN)
#define MSG1_MIN   (1u + KEY_LEN + CT1_LEN + TAG_LEN)
#define MSG2_MIN   (KEY_LEN + TAG_LEN)
#define VREPLY_LEN 2u

/* Format constant: the label names the version, so a new version never shares a key. */
#define STR_(x)  #x
#define STR(x)   STR_(x)
#define HS_LABEL "cellsync handshake " STR(CS_WIRE_VERSION)

/* Where a struct cs_hs stands; 0 is what a zeroed or failed one holds. */
enum {
    HS_NONE = 0,
    HS_SENT = 1, /* device: msg1 built, waiting for msg2 */
    HS_READ = 2, /* hub: msg1 read, msg2 not yet built */
    HS_DONE = 3, /* either side: session keys set */
};

/*
 * hello: [hub_seq, secret or nil, name, incarnation or nil];
 * welcome: [status, message, hub_time, up_seq, org, role, incarnation or nil, down_seq]
 */
#define HELLO_FIELDS   4u
#define WELCOME_FIELDS 8u
#define REFUSAL_FIELDS 7u
/*
 * Limits for the structural walk of a payload. They are wider than any valid
 * payload so that a wrong count or an over-long string reaches the decoder
 * and gets its own code (CS_ECOUNT, CS_ETOOBIG) instead of a generic one.
 */
#define PAYLOAD_DEPTH 2u
#define PAYLOAD_COUNT 16u

_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == KEY_LEN, "aead key size");
_Static_assert(crypto_scalarmult_BYTES == KEY_LEN && crypto_box_PUBLICKEYBYTES == KEY_LEN &&
                   crypto_box_SECRETKEYBYTES == KEY_LEN,
               "x25519 sizes");
_Static_assert(crypto_secretstream_xchacha20poly1305_KEYBYTES == KEY_LEN, "session key size");
_Static_assert(CS_WIRE_VERSION > 0 && CS_WIRE_VERSION < CS_WIRE_VERSION_REPLY, "version byte");
_Static_assert(sizeof(((struct cs_hs *)0)->k3_pre) == sizeof(crypto_generichash_state),
               "k3_pre holds a hash state");
_Static_assert(CS_WIRE_MAX_FRAME <= UINT32_MAX - CS_SESSION_OVERHEAD, "frame sizes");

static const uint8_t zero_nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];

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

static void
hash_init(crypto_generichash_state *st)
{
    crypto_generichash_init(st, NULL, 0, KEY_LEN);
}

static void
hash_final(crypto_generichash_state *st, uint8_t out[KEY_LEN])
{
    crypto_generichash_final(st, out, KEY_LEN);
    sodium_memzero(st, sizeof(*st));
}

/* h0 = BLAKE2b-256(label || hub pk) */
static void
derive_h0(const uint8_t hub_pk[CS_PK_LEN], uint8_t h0[KEY_LEN])
{
    crypto_generichash_state st;
    hash_init(&st);
    crypto_generichash_update(&st, (const uint8_t *)HS_LABEL, sizeof(HS_LABEL) - 1);
    crypto_generichash_update(&st, hub_pk, CS_PK_LEN);
    hash_final(&st, h0);
}

/* out = BLAKE2b-256(a || b || c): k1 and k2 */
static void
derive3(const uint8_t *a, const uint8_t *b, size_t blen, const uint8_t c[KEY_LEN],
        uint8_t out[KEY_LEN])
{
    crypto_generichash_state st;
    hash_init(&st);
    crypto_generichash_update(&st, a, KEY_LEN);
    crypto_generichash_update(&st, b, blen);
    crypto_generichash_update(&st, c, KEY_LEN);
    hash_final(&st, out);
}

/*
 * The state after k2 || ct2 is kept rather than ct2 itself: k3 hashes the
 * whole of ct2, which only msg1 holds. It is kept as bytes because
 * crypto_generichash_state asks for 64-byte alignment, which a malloc'd
 * struct cs_hs does not have; it is copied into an aligned local to use.
 */
static void
k3_start(struct cs_hs *hs, const uint8_t k2[KEY_LEN], const uint8_t *ct2, size_t ct2len)
{
    crypto_generichash_state st;
    hash_init(&st);
    crypto_generichash_update(&st, k2, KEY_LEN);
    crypto_generichash_update(&st, ct2, ct2len);
    memcpy(hs->k3_pre, &st, sizeof(st));
    sodium_memzero(&st, sizeof(st));
}

/* k3 = BLAKE2b-256(k2 || ct2 || e' || DH(e', e) || DH(e', S_dev)) */
static void
k3_finish(const struct cs_hs *hs, const uint8_t e2[KEY_LEN], const uint8_t dh_ee[KEY_LEN],
          const uint8_t dh_es[KEY_LEN], uint8_t k3[KEY_LEN])
{
    crypto_generichash_state st;
    memcpy(&st, hs->k3_pre, sizeof(st));
    crypto_generichash_update(&st, e2, KEY_LEN);
    crypto_generichash_update(&st, dh_ee, KEY_LEN);
    crypto_generichash_update(&st, dh_es, KEY_LEN);
    hash_final(&st, k3);
}

/* Session keys BLAKE2b-256(k3 || "c2s") and BLAKE2b-256(k3 || "s2c"); the device sends c2s. */
static void
session_keys(struct cs_hs *hs, const uint8_t k3[KEY_LEN], int device)
{
    crypto_generichash_state st;
    uint8_t c2s[KEY_LEN], s2c[KEY_LEN];

    hash_init(&st);
    crypto_generichash_update(&st, k3, KEY_LEN);
    crypto_generichash_update(&st, (const uint8_t *)"c2s", 3);
    hash_final(&st, c2s);
    hash_init(&st);
    crypto_generichash_update(&st, k3, KEY_LEN);
    crypto_generichash_update(&st, (const uint8_t *)"s2c", 3);
    hash_final(&st, s2c);
    memcpy(hs->tx, device ? c2s : s2c, KEY_LEN);
    memcpy(hs->rx, device ? s2c : c2s, KEY_LEN);
    sodium_memzero(c2s, sizeof(c2s));
    sodium_memzero(s2c, sizeof(s2c));
}

static void
seal(uint8_t *out, const uint8_t *m, size_t mlen, const uint8_t key[KEY_LEN])
{
    crypto_aead_xchacha20poly1305_ietf_encrypt(out, NULL, m, mlen, NULL, 0, NULL, zero_nonce, key);
}

/* 0, or CS_EDECRYPT when the tag does not verify; out gets clen - TAG_LEN bytes. */
static int
unseal(uint8_t *out, const uint8_t *c, size_t clen, const uint8_t key[KEY_LEN])
{
    if (clen < TAG_LEN || crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, c, clen, NULL,
                                                                     0, zero_nonce, key) != 0)
        return CS_EDECRYPT;
    return 0;
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
 * structural pre-check and unpacking, and an array of exactly `fields`.
 */
static int
payload_open(struct cs__mpdec *d, msgpack_unpacked *up, const uint8_t *buf, size_t len,
             uint32_t fields, const msgpack_object **f, const char *what)
{
    uint32_t n = 0;
    int ret;
    if (len > CS_WIRE_MAX_PREAUTH)
        return CS_ETOOBIG;
    if ((ret = cs__mp_unpack(d, up, buf, len, PAYLOAD_DEPTH, PAYLOAD_COUNT, CS_WIRE_MAX_PREAUTH,
                             what)) != 0 ||
        (ret = cs__mp_array(d, &up->data, f, &n, what)) != 0)
        return ret;
    return n == fields ? 0 : CS_ECOUNT;
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
    if (msgpack_pack_array(&pk, WELCOME_FIELDS) || msgpack_pack_uint32(&pk, w->status) ||
        pack_text(&pk, w->message, nmsg) || msgpack_pack_uint64(&pk, w->hub_time) ||
        msgpack_pack_uint64(&pk, w->up_seq) || pack_text(&pk, w->org, norg) ||
        pack_text(&pk, w->role, nrole) ||
        pack_opt_bin(&pk, w->has_incarnation, w->incarnation, sizeof(w->incarnation)) ||
        msgpack_pack_uint64(&pk, w->down_seq))
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
    uint64_t status = 0;
    int ret;

    memset(&t, 0, sizeof(t));
    msgpack_unpacked_init(&up);
    if ((ret = payload_open(&d, &up, buf, len, WELCOME_FIELDS, &f, "welcome")) != 0)
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
    t.status = (uint32_t)status;
    *w = t;
out:
    msgpack_unpacked_destroy(&up);
    return ret;
}

/* ---- handshake ---- */

void
cs_hs_release(struct cs_hs *hs)
{
    if (hs != NULL)
        sodium_memzero(hs, sizeof(*hs));
}

int
cs_hs_device_start(struct cs_hs *hs, const struct cs_key *dev, const uint8_t hub_pk[CS_PK_LEN],
                   const struct cs_hello *hello, uint8_t *out, size_t cap, size_t *outlen)
{
    uint8_t payload[CS_WIRE_MAX_PREAUTH];
    uint8_t hub_x[KEY_LEN], dh[KEY_LEN], h0[KEY_LEN], k1[KEY_LEN], k2[KEY_LEN];
    size_t plen = 0;
    int ret;

    cs_hs_release(hs);
    *outlen = 0;
    ret = cs_hello_encode(hello, payload, CS_WIRE_MAX_PREAUTH - MSG1_MIN, &plen);
    if (ret != 0)
        goto out;
    size_t total = MSG1_MIN + plen;
    if (cap < total) {
        ret = CS_EINVAL;
        goto out;
    }
    /* The pinned key was checked when it was loaded; a bad one here is the caller's. */
    if (crypto_sign_ed25519_pk_to_curve25519(hub_x, hub_pk) != 0) {
        ret = CS_ECRYPTO;
        goto out;
    }
    crypto_box_keypair(hs->e_pk, hs->e_sk);

    uint8_t *e = out + 1, *ct1 = e + KEY_LEN, *ct2 = ct1 + CT1_LEN;
    out[0] = CS_WIRE_VERSION;
    memcpy(e, hs->e_pk, KEY_LEN);
    /* k1 = H(h0 || e || DH(e, S_hub)); ct1 = AEAD(k1, device pk) */
    if (crypto_scalarmult(dh, hs->e_sk, hub_x) != 0) {
        ret = CS_ECRYPTO;
        goto out;
    }
    derive_h0(hub_pk, h0);
    derive3(h0, e, KEY_LEN, dh, k1);
    seal(ct1, cs_key_pk(dev), CS_PK_LEN, k1);
    /* k2 = H(k1 || ct1 || DH(S_dev, S_hub)); ct2 = AEAD(k2, hello) */
    if (cs_key_dh(dev, hub_pk, dh) != 0) {
        ret = CS_ECRYPTO;
        goto out;
    }
    derive3(k1, ct1, CT1_LEN, dh, k2);
    seal(ct2, payload, plen, k2);
    k3_start(hs, k2, ct2, plen + TAG_LEN);
    hs->step = HS_SENT;
    *outlen = total;
    ret = 0;
out:
    if (ret != 0)
        cs_hs_release(hs);
    sodium_memzero(payload, sizeof(payload));
    sodium_memzero(dh, sizeof(dh));
    sodium_memzero(k1, sizeof(k1));
    sodium_memzero(k2, sizeof(k2));
    return ret;
}

int
cs_hs_device_finish(struct cs_hs *hs, const struct cs_key *dev, const uint8_t hub_pk[CS_PK_LEN],
                    const uint8_t *msg, size_t len, struct cs_welcome *w, unsigned *hub_version)
{
    uint8_t payload[CS_WIRE_MAX_PREAUTH];
    uint8_t dh_ee[KEY_LEN], dh_es[KEY_LEN], k3[KEY_LEN];
    struct cs_welcome t;
    int ret;

    /* The pinned key is already in k1 and k2; there is nothing left to check it against. */
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

    /* Nothing in hs changes until the welcome is read whole: a forged msg2 cannot spoil it. */
    const uint8_t *e2 = msg, *ct3 = msg + KEY_LEN;
    size_t ct3len = len - KEY_LEN;
    ret = CS_EDECRYPT;
    if (crypto_scalarmult(dh_ee, hs->e_sk, e2) != 0 || cs__key_dh_x25519(dev, e2, dh_es) != 0)
        goto out;
    k3_finish(hs, e2, dh_ee, dh_es, k3);
    if ((ret = unseal(payload, ct3, ct3len, k3)) != 0)
        goto out;
    if ((ret = cs_welcome_decode(payload, ct3len - TAG_LEN, &t)) != 0)
        goto out;

    /* The ephemeral and the chain are spent either way; keys only for a go-ahead. */
    cs_hs_release(hs);
    if (t.status == CS_WELCOME_OK) {
        session_keys(hs, k3, 1);
        hs->step = HS_DONE;
    }
    *w = t;
    if (hub_version != NULL)
        *hub_version = CS_WIRE_VERSION;
    ret = 0;
out:
    sodium_memzero(payload, sizeof(payload));
    sodium_memzero(dh_ee, sizeof(dh_ee));
    sodium_memzero(dh_es, sizeof(dh_es));
    sodium_memzero(k3, sizeof(k3));
    return ret;
}

int
cs_hs_hub_read(struct cs_hs *hs, const struct cs_key *hub, const uint8_t *msg, size_t len,
               struct cs_hello *hello)
{
    uint8_t payload[CS_WIRE_MAX_PREAUTH];
    uint8_t dh[KEY_LEN], h0[KEY_LEN], k1[KEY_LEN], k2[KEY_LEN];
    uint8_t dev_pk[CS_PK_LEN];
    struct cs_hello t;
    int ret;

    cs_hs_release(hs);
    memset(&t, 0, sizeof(t));
    if (len > CS_WIRE_MAX_PREAUTH)
        return CS_ETOOBIG;
    if (len < 1)
        return CS_ETRUNCATED;
    /* The version first: a newer device gets the version reply, not a decryption error. */
    if (msg[0] != CS_WIRE_VERSION)
        return CS_EVERSION;
    if (len < MSG1_MIN)
        return CS_ETRUNCATED;

    const uint8_t *e = msg + 1, *ct1 = e + KEY_LEN, *ct2 = ct1 + CT1_LEN;
    size_t ct2len = len - (size_t)(ct2 - msg);
    ret = CS_EDECRYPT;
    if (cs__key_dh_x25519(hub, e, dh) != 0)
        goto out;
    derive_h0(cs_key_pk(hub), h0);
    derive3(h0, e, KEY_LEN, dh, k1);
    if ((ret = unseal(dev_pk, ct1, CT1_LEN, k1)) != 0)
        goto out;
    /* A key with no X25519 form cannot have made k2: the same answer as a wrong one. */
    ret = CS_EDECRYPT;
    if (cs_key_dh(hub, dev_pk, dh) != 0)
        goto out;
    derive3(k1, ct1, CT1_LEN, dh, k2);
    if ((ret = unseal(payload, ct2, ct2len, k2)) != 0)
        goto out;
    if ((ret = cs_hello_decode(payload, ct2len - TAG_LEN, &t)) != 0)
        goto out;

    memcpy(hs->peer_e, e, KEY_LEN);
    memcpy(hs->peer_pk, dev_pk, CS_PK_LEN);
    k3_start(hs, k2, ct2, ct2len);
    hs->step = HS_READ;
    *hello = t;
    ret = 0;
out:
    sodium_memzero(&t, sizeof(t));
    sodium_memzero(payload, sizeof(payload));
    sodium_memzero(dh, sizeof(dh));
    sodium_memzero(k1, sizeof(k1));
    sodium_memzero(k2, sizeof(k2));
    return ret;
}

int
cs_hs_hub_reply(struct cs_hs *hs, const struct cs_welcome *w, uint8_t *out, size_t cap,
                size_t *outlen)
{
    uint8_t payload[CS_WIRE_MAX_PREAUTH];
    uint8_t e2_sk[KEY_LEN], dev_x[KEY_LEN], dh_ee[KEY_LEN], dh_es[KEY_LEN], k3[KEY_LEN];
    size_t plen = 0;
    int ret;

    *outlen = 0;
    if (hs->step != HS_READ)
        return CS_EINVAL;
    ret = cs_welcome_encode(w, payload, CS_WIRE_MAX_PREAUTH - MSG2_MIN, &plen);
    if (ret != 0)
        goto out;
    size_t total = MSG2_MIN + plen;
    if (cap < total) {
        ret = CS_EINVAL;
        goto out;
    }
    /* The device key converted in cs_hs_hub_read and e gave a DH there: neither fails now. */
    ret = CS_ECRYPTO;
    if (crypto_sign_ed25519_pk_to_curve25519(dev_x, hs->peer_pk) != 0)
        goto out;
    uint8_t *e2 = out, *ct3 = out + KEY_LEN;
    crypto_box_keypair(e2, e2_sk);
    if (crypto_scalarmult(dh_ee, e2_sk, hs->peer_e) != 0 ||
        crypto_scalarmult(dh_es, e2_sk, dev_x) != 0)
        goto out;
    k3_finish(hs, e2, dh_ee, dh_es, k3);
    seal(ct3, payload, plen, k3);

    /* Keep only peer_pk (the caller's record of who this was) and, on OK, the session keys. */
    uint8_t peer_pk[CS_PK_LEN];
    memcpy(peer_pk, hs->peer_pk, CS_PK_LEN);
    cs_hs_release(hs);
    memcpy(hs->peer_pk, peer_pk, CS_PK_LEN);
    if (w->status == CS_WELCOME_OK) {
        session_keys(hs, k3, 0);
        hs->step = HS_DONE;
    }
    *outlen = total;
    ret = 0;
out:
    sodium_memzero(payload, sizeof(payload));
    sodium_memzero(e2_sk, sizeof(e2_sk));
    sodium_memzero(dh_ee, sizeof(dh_ee));
    sodium_memzero(dh_es, sizeof(dh_es));
    sodium_memzero(k3, sizeof(k3));
    return ret;
}

size_t
cs_hs_version_reply(uint8_t out[2])
{
    out[0] = CS_WIRE_VERSION_REPLY;
    out[1] = CS_WIRE_VERSION;
    return VREPLY_LEN;
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
        [CS_MSG_DONE] = 2,  [CS_MSG_ERROR] = 3,
    };
    const msgpack_object *items = NULL;
    uint32_t nitems = 0;
    uint64_t v = 0;
    int ret;

    if (nf != fields[t->type])
        return CS_ECOUNT;
    switch (t->type) {
    case CS_MSG_CHUNK: {
        if (f[1].type != MSGPACK_OBJECT_BIN)
            return CS_ETYPE;
        /* The envelope is borrowed: find it in buf, where msgpack-c left it. */
        const uint8_t *p = (const uint8_t *)f[1].via.bin.ptr;
        size_t n = f[1].via.bin.size;
        if (n > 0 && (p < buf || p > buf + len || n > (size_t)(buf + len - p)))
            return CS_EMALFORMED;
        t->env = n > 0 ? p : buf;
        t->envlen = n;
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
    if (type < CS_MSG_CHUNK || type > CS_MSG_ERROR) {
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
