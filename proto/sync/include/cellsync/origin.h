/* SPDX-License-Identifier: MIT */
/*
 * Origin-signed change sets (security review F8 and F16): a change set as
 * its origin device signed it, over the plaintext, so that anyone holding
 * the origin's public key can check it without the hub's key, and a hub can
 * relay it to another hub unchanged. Sign, then encrypt: a chunk's
 * envelope (cellsync/envelope.h) carries signed sets, and its own outer
 * signature over header and ciphertext stays, so a receiver still verifies
 * the sender before it decrypts anything.
 *
 * One signed set, FORMAT 1 (integers little-endian, as in envelopes):
 *    0   4  magic "CSO" + format byte (CS_ORIGIN_FORMAT)
 *    4  32  the origin's Ed25519 public key
 *   36  64  Ed25519 signature by that key of CONTEXT || set
 *  100   4  n, the size of the set
 *  104   n  the encoded change set (cellsync/changeset.h), whose header's
 *           origin is the id of the key above
 * CONTEXT is the 21 bytes "cellsync change set" 0x00 CS_ORIGIN_FORMAT, so
 * the signature can never be taken for one the same key made for another
 * purpose (an envelope, a handshake).
 *
 * A chunk's plaintext is one or more signed sets back to back: the first is
 * the sender's own (signed with the envelope's key, its seq range the
 * envelope's); each further one is a set a hub-role device relays for a
 * device of its subtree, as that device signed it.
 */
#ifndef CELLSYNC_ORIGIN_H
#define CELLSYNC_ORIGIN_H

#include <stddef.h>
#include <stdint.h>

#include "cellsync/id.h"
#include "cellsync/key.h"

#define CS_ORIGIN_FORMAT 1 /* bump on change */
#define CS_ORIGIN_HEADER 104

/* One signed set, borrowed from the bytes it was read from. */
struct cs_signed {
    const uint8_t *origin_pk; /* CS_PK_LEN bytes */
    const uint8_t *sig;       /* CS_SIG_LEN bytes */
    const uint8_t *set;       /* the encoded change set */
    size_t set_len;
    const uint8_t *bytes; /* the whole signed set, to keep or relay as it is */
    size_t len;
};

/*
 * Appends k's signed set of set (set_len bytes, an encoded change set) to
 * *buf (*len bytes, realloc'd; *buf NULL and *len 0 to start).
 * CS_ETOOBIG past CS_CHANGESET_MAX_BYTES, CS_ENOMEM.
 */
int cs_origin_sign(const struct cs_key *k, const uint8_t *set, size_t set_len, uint8_t **buf,
                   size_t *len);

/*
 * The signed set at *off of body (len bytes), sizes checked, nothing
 * verified: 1 with *out filled and *off past it, 0 at the end of body,
 * CS_ETRUNCATED, CS_EMALFORMED (magic, or an empty set), CS_EVERSION,
 * CS_ETOOBIG.
 */
int cs_origin_next(const uint8_t *body, size_t len, size_t *off, struct cs_signed *out);

/* 0 when s's signature by s->origin_pk verifies over its set, else CS_ESIGNATURE. */
int cs_origin_verify(const struct cs_signed *s);

#endif
