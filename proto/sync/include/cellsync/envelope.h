/* SPDX-License-Identifier: MIT */
/*
 * Envelopes: the bytes that carry one change set where no session protects
 * it: a file on a USB stick (a live session carries live chunks instead,
 * cellsync/sync.h, and needs no second key exchange). The change set is
 * compressed with zstd (when that makes it smaller), encrypted with
 * XChaCha20-Poly1305 under a fresh key agreed with an ephemeral X25519 key
 * and the recipient's key, and the whole envelope is signed by the origin's
 * Ed25519 key. One signature per change set, never per change.
 *
 * Layout (integers little-endian), FORMAT 1:
 *   0   4  magic "CSE" + format version byte
 *   4   1  flags: bit 0 = zstd; other bits must be 0
 *   5   3  zero
 *   8  32  origin Ed25519 public key
 *  40  16  recipient key id
 *  56   8  seq_first
 *  64   8  seq_last
 *  72   4  plain size (the change set, before compression)
 *  76   4  body size (the compressed or plain bytes, before encryption)
 *  80  32  ephemeral X25519 public key
 * 112   n  ciphertext: body size + 16 bytes of tag; the header is its AD
 * 112+n 64 Ed25519 signature of bytes 0 .. 112+n
 *
 * Open checks sizes first, then the signature, then the recipient, then
 * decrypts, then decompresses with the declared size as a hard bound.
 * A valid signature proves only that the key in the header signed: the
 * caller must check info.origin_pk against the device it expects.
 */
#ifndef CELLSYNC_ENVELOPE_H
#define CELLSYNC_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "cellsync/id.h"
#include "cellsync/key.h"

#define CS_ENVELOPE_FORMAT    1 /* bump on change */
#define CS_ENVELOPE_HEADER    112
#define CS_ENVELOPE_OVERHEAD  (CS_ENVELOPE_HEADER + 16 + CS_SIG_LEN)
#define CS_ENVELOPE_MAX_PLAIN (16u << 20) /* = CS_CHANGESET_MAX_BYTES */
#define CS_ENVELOPE_F_ZSTD    0x01u

struct cs_envelope_info {
    uint8_t origin_pk[CS_PK_LEN];
    struct cs_id recipient;
    uint64_t seq_first;
    uint64_t seq_last;
    uint32_t plain_size;
    uint32_t body_size;
    uint8_t flags;
};

/*
 * The zstd level of an envelope's body. Change sets are written once and may
 * cross a 2G link: spend CPU on size. Chunks are at most CS_SYNC_CHUNK (16
 * KiB), so level 19 sizes its tables to the input and costs about 2 ms more
 * a chunk than level 9; the cell month is 1.23x instead of 1.27x of zstd -19
 * of its plain text (BENCHMARKS.md, section 2).
 */
#define CS_ENVELOPE_ZSTD_LEVEL 19

/*
 * Seals plain (an encoded change set) from k to the recipient's public key.
 * OUT: *out is malloc'd, caller frees with free().
 */
int cs_envelope_seal(const struct cs_key *k, const uint8_t recipient_pk[CS_PK_LEN],
                     uint64_t seq_first, uint64_t seq_last, const uint8_t *plain, size_t plain_len,
                     uint8_t **out, size_t *outlen);

/*
 * Reads and checks the header without verifying anything else: sizes must
 * add up to len exactly. For routing a frame or a bundle entry.
 */
int cs_envelope_peek(const uint8_t *env, size_t len, struct cs_envelope_info *info);

/*
 * Opens an envelope addressed to k. OUT: *plain is malloc'd (never NULL on
 * success, even for 0 bytes), caller frees with free(); info (optional)
 * gets the header, zeroed on failure. Codes: CS_ETRUNCATED, CS_ETRAILING,
 * CS_EVERSION, CS_EMALFORMED, CS_ETOOBIG, CS_ESIGNATURE, CS_ERECIPIENT,
 * CS_EDECRYPT, CS_EBOMB, CS_ECOMPRESS, CS_ENOMEM, CS_ECRYPTO.
 */
int cs_envelope_open(const struct cs_key *k, const uint8_t *env, size_t len, uint8_t **plain,
                     size_t *plain_len, struct cs_envelope_info *info);

#endif
