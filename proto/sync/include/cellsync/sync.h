/* SPDX-License-Identifier: MIT */
/*
 * Chunks: the unit both transports move. A chunk is one change set of about
 * CS_SYNC_CHUNK bytes, cut at local-transaction boundaries, sealed in an
 * envelope from the sender's key to the receiver's. The receiver opens it,
 * checks who signed it, and merges it in one transaction together with the
 * cursor that covers it, then acknowledges its last seq. The live link and
 * the USB-stick bundle use the same two calls.
 *
 * Inside the envelope the change set is signed by its origin over its
 * plaintext (cellsync/origin.h): sign, then encrypt, so what a hub keeps
 * in its audit trail can be checked against the origin's key alone, and a
 * hub-role device can relay its subtree's sets to another hub unchanged.
 *
 * Live chunks (CS_WIRE_VERSION 6): inside a session the Noise handshake has
 * already authenticated both ends and the session encrypts both ways, so a
 * chunk there is no envelope (no second key exchange, encryption or
 * signature of the whole) but its signed sets alone, zstd-compressed when
 * that makes them smaller: the sender's own set signed by the sender (the
 * device's upward; the hub's downward, so a device still checks who wrote
 * what it merges), then the sets it relays. Layout (little-endian):
 *   0  1  flags: bit 0 = zstd (CS_ENVELOPE_F_ZSTD); other bits must be 0
 *   1  4  plain size: the signed sets' bytes, at most CS_SYNC_MAX_PLAIN
 *   5  n  the signed sets, compressed when the flag says so (then n < plain
 *         size), else exactly plain size bytes
 * Its seq range is its own set's. Bundles (USB sticks) keep envelopes: a
 * file has no session around it.
 */
#ifndef CELLSYNC_SYNC_H
#define CELLSYNC_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "cellsync/changeset.h"
#include "cellsync/envelope.h"
#include "cellsync/key.h"
#include "cellsync/origin.h"
#include "cellsync/replica.h"

#define CS_SYNC_CHUNK       (16u << 10)
#define CS_SYNC_LIVE_HEADER 5

/*
 * The most a chunk may hold once decompressed, far below the envelope
 * format's 16 MiB: chunks are cut near CS_SYNC_CHUNK, but never inside a
 * local transaction, and one value may be CS_VALUE_MAX (4 MiB), so a chunk
 * must carry that and a little more. A receiver refuses a chunk declaring
 * more before it decrypts or decompresses anything, and a sender refuses to
 * make one (security review F9).
 */
#define CS_SYNC_MAX_PLAIN ((4u << 20) + (64u << 10))

struct cs_chunk {
    uint8_t *env; /* the sealed envelope or the live chunk, malloc'd: free() */
    size_t envlen;
    uint64_t seq_first, seq_last; /* what it covers of the sender's seqs */
    size_t changes;               /* changes inside (0: only moves the cursor) */
    int last;                     /* nothing after it, as of now */
};

/*
 * The next chunk after the sender's seq `after`, sealed from k to peer_pk,
 * or with peer_pk NULL a live chunk signed by k (for a session only).
 * An empty chunk (changes == 0, last set) means there is nothing to send.
 */
int cs_sync_make_chunk(struct cs_replica *r, const struct cs_key *k,
                       const uint8_t peer_pk[CS_PK_LEN], uint64_t after,
                       const struct cs_since_filter *filter, size_t max_bytes, struct cs_chunk *out,
                       char *err, size_t errlen);

/*
 * cs_sync_make_chunk in two steps, for a caller that signs elsewhere than
 * it reads the replica (the hub's worker reads, its crypto stage signs):
 * cs_sync_make_set fills *out as cs_sync_make_chunk does, but out->env holds
 * the encoded change set, not signed yet (named by k's key and checked for
 * size); cs_sync_seal_set turns it into the chunk, a live one with peer_pk
 * NULL (its body compressed at zstd level: CS_SYNC_ZSTD_*), in place
 * (out->env replaced; on failure left as it was).
 */
int cs_sync_make_set(struct cs_replica *r, const struct cs_key *k, uint64_t after,
                     const struct cs_since_filter *filter, size_t max_bytes, struct cs_chunk *out,
                     char *err, size_t errlen);
int cs_sync_seal_set(const struct cs_key *k, const uint8_t peer_pk[CS_PK_LEN], int level,
                     struct cs_chunk *c, char *err, size_t errlen);

/*
 * zstd levels of a chunk's body. A device's (and every envelope's): its bytes
 * cross 2G and satellite links and its CPU is idle. The hub's live
 * downstream: one hub serves a thousand devices, and level 19 cost it ~160 us
 * a 1.5 KiB chunk (3.2 ms at 16 KiB) for 1% (3%) fewer bytes than level 3.
 */
#define CS_SYNC_ZSTD_DEVICE CS_ENVELOPE_ZSTD_LEVEL
#define CS_SYNC_ZSTD_HUB    3

/*
 * Seals a chunk from k to peer_pk: set (an encoded change set covering
 * seq_first..seq_last of k's device) signed by k, then relayed (relayed_len
 * bytes of signed sets of other devices, as their origins signed them; NULL
 * and 0 for none), in one envelope; with peer_pk NULL, in a live chunk.
 * OUT: *env, free().
 */
int cs_sync_seal(const struct cs_key *k, const uint8_t peer_pk[CS_PK_LEN], uint64_t seq_first,
                 uint64_t seq_last, const uint8_t *set, size_t set_len, const uint8_t *relayed,
                 size_t relayed_len, uint8_t **env, size_t *envlen);

/* A set a chunk relays, checked against its origin's signature. */
struct cs_relayed {
    struct cs_signed s;      /* borrowed from the chunk's plain */
    struct cs_id origin;     /* = cs_pk_id(s.origin_pk) = the set's header origin */
    struct cs_changeset *cs; /* decoded */
};

/* A chunk opened: its plaintext and the sets in it. */
struct cs_chunk_sets {
    uint8_t *plain; /* the chunk's signed sets as sent (what a hub's audit keeps) */
    size_t plain_len;
    struct cs_changeset *own; /* the sender's own set */
    struct cs_relayed *relayed;
    size_t nrelayed;
};
void cs_chunk_sets_release(struct cs_chunk_sets *s);

/*
 * cs_sync_open_chunk, keeping what a hub needs: the plaintext, and the sets
 * the sender relays (each verified against the key it names, its header's
 * origin that key's id, and no set of the sender itself). Whether a
 * relayed origin may be taken from this sender is the caller's to judge.
 * k NULL: env is a live chunk, from inside a session whose handshake proved
 * from_pk (never a file's bytes); info then gets the signer, the own set's
 * seq range and the sizes. OUT: *out, release with cs_chunk_sets_release()
 * (also on failure).
 */
int cs_sync_open_sets(const struct cs_key *k, const uint8_t from_pk[CS_PK_LEN], const uint8_t *env,
                      size_t envlen, struct cs_chunk_sets *out, struct cs_envelope_info *info,
                      char *err, size_t errlen);

/*
 * Opens a chunk addressed to k, refuses it unless signed by from_pk, and
 * merges it with opts (cursor hooks, authorization). info gets the header.
 */
int cs_sync_take_chunk(struct cs_replica *r, const struct cs_key *k,
                       const uint8_t from_pk[CS_PK_LEN], const uint8_t *env, size_t envlen,
                       const struct cs_apply_opts *opts, struct cs_apply_stats *st,
                       struct cs_envelope_info *info, char *err, size_t errlen);

/*
 * Opens a chunk addressed to k, refuses it unless signed by from_pk, and
 * decodes the change set inside. The signer and the declared size are
 * checked from the header before anything is verified, decrypted or
 * decompressed: another key's chunk is CS_ESIGNATURE, one declaring more
 * than CS_SYNC_MAX_PLAIN is CS_EBOMB. The set inside must be signed by
 * from_pk over its plaintext (CS_ESIGNATURE), and a chunk relaying other
 * devices' sets is refused (CS_EMALFORMED: only a hub takes those, with
 * cs_sync_open_sets). The set inside whose seq range must be the envelope's:
 * the first half of cs_sync_take_chunk, for a caller that prepares
 * something per set (the hub's authorization) before it calls
 * cs_replica_apply itself. info gets the header. k NULL: a live chunk, as
 * for cs_sync_open_sets (and for cs_sync_take_chunk).
 * OUT: *out, free with cs_changeset_free().
 */
int cs_sync_open_chunk(const struct cs_key *k, const uint8_t from_pk[CS_PK_LEN], const uint8_t *env,
                       size_t envlen, struct cs_changeset **out, struct cs_envelope_info *info,
                       char *err, size_t errlen);

/*
 * The checks of cs_sync_take_chunk without the merge: opens the chunk,
 * checks its signer and decodes it, relayed sets included (the checks of
 * cs_sync_open_sets). For a carrier that must refuse a whole
 * file before it stores any part of it (bundles). info (optional) gets the
 * header.
 */
int cs_sync_check_chunk(const struct cs_key *k, const uint8_t from_pk[CS_PK_LEN],
                        const uint8_t *env, size_t envlen, struct cs_envelope_info *info, char *err,
                        size_t errlen);

#endif
