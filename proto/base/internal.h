/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared inside the proto library (cs__ names, not installed).
 */
#ifndef CELLSYNC_INTERNAL_H
#define CELLSYNC_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "cellsync/key.h"

#define CS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Writes data to path atomically: temp file in the same directory with the
 * given mode, fsync, rename, fsync of the directory. With exclusive set, an
 * existing path is CS_EEXISTS. The temp file is unlinked on failure.
 */
int cs__write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
                          int exclusive, char *err, size_t errlen);

/*
 * Reads a whole file of at most max bytes. OUT: *out malloc'd (NUL added
 * after the data, not counted), caller frees with free().
 */
int cs__read_file(const char *path, size_t max, uint8_t **out, size_t *outlen, char *err,
                  size_t errlen);

/*
 * Walks len bytes of msgpack without building anything and checks that they
 * are exactly one object, no deeper than max_depth, with every array/map count
 * at most max_count and every str/bin/ext at most max_str bytes. Runs before
 * msgpack_unpack_next so a header claiming 2^31 elements cannot make the
 * unpacker allocate for them.
 */
int cs__mp_check(const uint8_t *buf, size_t len, unsigned max_depth, uint32_t max_count,
                 uint32_t max_str);
/*
 * The same, and at most max_objects objects in all: CS_ETOOBIG beyond, with
 * *too_many (optional) set to 1 to tell this limit from the others.
 */
int cs__mp_check_objects(const uint8_t *buf, size_t len, unsigned max_depth, uint32_t max_count,
                         uint32_t max_str, uint64_t max_objects, int *too_many);

/*
 * Strict msgpack decoding (mp.c), shared by every decoder. The getters check
 * the type and bounds of one object and copy nothing on failure; each
 * refusal has its own code and, if d->err is set, a sentence naming `what`.
 */
struct msgpack_object;
struct msgpack_unpacked;
struct cs__mpdec {
    char *err; /* optional detail, may be NULL */
    size_t errlen;
};

/*
 * cs__mp_check() under the given limits, then msgpack_unpack_next() into an
 * initialised up, which must use all len bytes. The caller destroys up on
 * every path.
 */
int cs__mp_unpack(const struct cs__mpdec *d, struct msgpack_unpacked *up, const uint8_t *buf,
                  size_t len, unsigned max_depth, uint32_t max_count, uint32_t max_str,
                  const char *what);
/* The same with a bound on the number of objects (cs__mp_check_objects). */
int cs__mp_unpack_objects(const struct cs__mpdec *d, struct msgpack_unpacked *up,
                          const uint8_t *buf, size_t len, unsigned max_depth, uint32_t max_count,
                          uint32_t max_str, uint64_t max_objects, const char *what);
/* An unsigned integer at most max: CS_ETYPE, CS_ETOOBIG. */
int cs__mp_uint(const struct cs__mpdec *d, const struct msgpack_object *o, uint64_t max,
                uint64_t *v, const char *what);
/* An array: its items (borrowed from o) and count. CS_ETYPE. */
int cs__mp_array(const struct cs__mpdec *d, const struct msgpack_object *o,
                 const struct msgpack_object **items, uint32_t *n, const char *what);
/* Binary of exactly n bytes, copied to out: CS_ETYPE, CS_EMALFORMED. */
int cs__mp_bin_exact(const struct cs__mpdec *d, const struct msgpack_object *o, void *out, size_t n,
                     const char *what);
/*
 * Text into a char[cap], NUL-terminated, only if it fits with its NUL
 * (CS_ETOOBIG) and is UTF-8 without an inner NUL (CS_EMALFORMED); CS_ETYPE.
 */
int cs__mp_str(const struct cs__mpdec *d, const struct msgpack_object *o, char *out, size_t cap,
               const char *what);

/*
 * X25519 of our key (its X25519 form) with a peer's X25519 public key, for
 * envelope opening, where the ephemeral key has no Ed25519 form. CS_ECRYPTO
 * for a low-order point.
 */
int cs__key_dh_x25519(const struct cs_key *k, const uint8_t x_pk[32], uint8_t shared[32]);
/* The X25519 form of our secret key (the Noise static key of wire.c); CS_ECRYPTO. Wipe it. */
int cs__key_x25519_sk(const struct cs_key *k, uint8_t x_sk[32]);
/* The X25519 form of our public key, made once with the key; NULL if it has none. */
const uint8_t *cs__key_x25519_pk(const struct cs_key *k);

/*
 * For the fuzzer (tests/fuzz/fuzz_signed.c): body sealed and signed as it is,
 * under a header with these flags and declared plain size, true or not, so
 * that hostile zstd frames and change sets get behind a valid signature.
 */
int cs__envelope_seal_raw(const struct cs_key *k, const uint8_t recipient_pk[CS_PK_LEN],
                          uint64_t seq_first, uint64_t seq_last, uint8_t flags, uint32_t plain_size,
                          const uint8_t *body, size_t body_len, uint8_t **out, size_t *outlen);

/*
 * zstd as envelopes and live chunks use it (envelope.c). cs__zstd_shrink: 1
 * with *out (malloc'd, free()) and its size when zstd at level makes plain smaller,
 * else 0 (*out NULL); CS_ENOMEM. cs__zstd_expand: one frame of exactly
 * body_size bytes that declares and yields exactly plain_size (> body_size)
 * bytes, into a buffer of that size (so a lying frame runs out of room, not
 * memory); CS_EBOMB, CS_ECOMPRESS, CS_ENOMEM.
 */
int cs__zstd_shrink(const uint8_t *plain, size_t plain_len, int level, uint8_t **out,
                    size_t *outlen);
int cs__zstd_expand(const uint8_t *body, size_t body_size, size_t plain_size, uint8_t **out);

/* Envelope sealing with a fixed ephemeral seed, for test vectors. */
int cs__envelope_seal_seeded(const struct cs_key *k, const uint8_t recipient_pk[CS_PK_LEN],
                             uint64_t seq_first, uint64_t seq_last, const uint8_t *plain,
                             size_t plain_len, const uint8_t eph_seed[32], uint8_t **out,
                             size_t *outlen);

/* ---- CPace (cpace.c): the pieces the draft's vectors check one by one ---- */

/* LEB128 of len into out (at most 10 bytes); returns the byte count. */
size_t cs__cpace_leb128(size_t len, uint8_t out[10]);
/* cs_cpace_start() with a given scalar y: tests only, a reused y leaks PRS. */
int cs__cpace_start_scalar(const uint8_t g[32], const uint8_t y[32], uint8_t y_pub[32]);
/* G.scalar_mult_vfy(y, X): 0, or CS_EMALFORMED with out = G.I (all zero). */
int cs__cpace_scalar_mult_vfy(const uint8_t y[32], const uint8_t x[32], uint8_t out[32]);

/*
 * Noise handshake (noise.c): sets the ephemeral key the next WriteMessage
 * sends, instead of a fresh random one. For the published test vectors only.
 */
struct cs_noise_handshake;
int cs__noise_handshake_set_ephemeral(struct cs_noise_handshake *hs, const uint8_t e_sk[32]);

/*
 * HKDF (RFC 5869, hkdf.c): outlen bytes of HKDF-Expand(HKDF-Extract(salt,
 * ikm), info) with HMAC-SHA-256 or HMAC-SHA-512. An empty or NULL salt is
 * HashLen zero bytes, as the RFC says. 0, or CS_EINVAL when outlen is over
 * 255 * HashLen.
 */
int cs__hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *salt, size_t saltlen,
                    const uint8_t *ikm, size_t ikmlen, const uint8_t *info, size_t infolen);
int cs__hkdf_sha512(uint8_t *out, size_t outlen, const uint8_t *salt, size_t saltlen,
                    const uint8_t *ikm, size_t ikmlen, const uint8_t *info, size_t infolen);

/*
 * Bech32 (BIP 173, age.c): hrp and 5-bit groups from
 * the 8-bit data. The checksum is computed over the lower-case form; upper
 * set writes the whole string in upper case. CS_ETOOBIG when out is short.
 */
int cs__bech32_encode(char *out, size_t outlen, const char *hrp, const uint8_t *data, size_t len,
                      int upper);
/*
 * Decodes s, all lower or all upper case, at most maxlen characters (BIP
 * 173 says 90; age has no limit): its hrp (lower-cased, NUL-terminated into
 * hrp[hrpcap]) and its data converted back to 8-bit groups into
 * data[datacap] (*len), with no padding bits left set. CS_EMALFORMED.
 */
int cs__bech32_decode(const char *s, size_t maxlen, char *hrp, size_t hrpcap, uint8_t *data,
                      size_t datacap, size_t *len);
/* The checksum alone, for BIP 173's vectors (which hold 5-bit data): 1 valid, 0 not. */
int cs__bech32_verify(const char *s, size_t maxlen);

/* ---- memory (mem.c) ---- */

/*
 * Open addressing from a 64-bit key to a 32-bit value, at most half full.
 * Every value added stays under its key, even beside an equal key: a key
 * may be a hash, and the caller compares its own entries. Nothing is
 * removed but all at once. Zeroed is empty.
 */
struct cs__map_slot {
    uint64_t key;
    uint32_t val; /* the value + 1; 0: an empty slot */
};
struct cs__map {
    struct cs__map_slot *slot;
    size_t cap;     /* a power of two, or 0 */
    size_t n;       /* values stored */
    unsigned shift; /* 64 - log2(cap): the hash's top bits pick the slot */
};
/* FNV-1a over n bytes, for map keys. Inline with the lookup: both are on the merge path. */
static inline uint64_t
cs__hash(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(1099511628211);
    return h;
}

/* Fibonacci hashing: the top bits of key times 2^64 / phi pick the first slot. */
static inline size_t
cs__map_home(const struct cs__map *m, uint64_t key)
{
    return (size_t)((key * UINT64_C(0x9e3779b97f4a7c15)) >> m->shift);
}

/*
 * The values stored under key, one per call: set *it = 0 before the first.
 * 1 with *val, 0 when there are no more. The map must not change between calls.
 */
static inline int
cs__map_next(const struct cs__map *m, uint64_t key, size_t *it, uint32_t *val)
{
    if (m->cap == 0)
        return 0;
    /* *it is 1 + the next slot to probe; a probe ends at an empty slot (the map is half empty). */
    size_t i = *it == 0 ? cs__map_home(m, key) : *it - 1;
    for (; m->slot[i].val != 0; i = (i + 1) & (m->cap - 1)) {
        if (m->slot[i].key == key) {
            *val = m->slot[i].val - 1;
            *it = ((i + 1) & (m->cap - 1)) + 1;
            return 1;
        }
    }
    *it = i + 1;
    return 0;
}
/* Adds key -> val (below UINT32_MAX): 0, CS_ENOMEM or CS_ETOOBIG. */
int cs__map_add(struct cs__map *m, uint64_t key, uint32_t val);
/* Empties the map and keeps its memory. */
void cs__map_clear(struct cs__map *m);
void cs__map_release(struct cs__map *m);

static inline void
cs__put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void
cs__put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t
cs__get_le32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline uint64_t
cs__get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

#endif
