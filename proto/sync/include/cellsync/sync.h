/* SPDX-License-Identifier: MIT */
/*
 * Chunks: the unit both transports move. A chunk is one change set of about
 * CS_SYNC_CHUNK bytes, cut at local-transaction boundaries, sealed in an
 * envelope from the sender's key to the receiver's. The receiver opens it,
 * checks who signed it, and merges it in one transaction together with the
 * cursor that covers it, then acknowledges its last seq. The live link and
 * the USB-stick bundle use the same two calls.
 */
#ifndef CELLSYNC_SYNC_H
#define CELLSYNC_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "cellsync/envelope.h"
#include "cellsync/key.h"
#include "cellsync/replica.h"

#define CS_SYNC_CHUNK (16u << 10)

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
    uint8_t *env; /* the sealed envelope, malloc'd: free() */
    size_t envlen;
    uint64_t seq_first, seq_last; /* what it covers of the sender's seqs */
    size_t changes;               /* changes inside (0: only moves the cursor) */
    int last;                     /* nothing after it, as of now */
};

/*
 * The next chunk after the sender's seq `after`, sealed from k to peer_pk.
 * An empty chunk (changes == 0, last set) means there is nothing to send.
 */
int cs_sync_make_chunk(struct cs_replica *r, const struct cs_key *k,
                       const uint8_t peer_pk[CS_PK_LEN], uint64_t after,
                       const struct cs_since_filter *filter, size_t max_bytes, struct cs_chunk *out,
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
 * than CS_SYNC_MAX_PLAIN is CS_EBOMB. The set inside whose seq range must be the envelope's:
 * the first half of cs_sync_take_chunk, for a caller that prepares
 * something per set (the hub's authorization) before it calls
 * cs_replica_apply itself. info gets the header.
 * OUT: *out, free with cs_changeset_free().
 */
int cs_sync_open_chunk(const struct cs_key *k, const uint8_t from_pk[CS_PK_LEN], const uint8_t *env,
                       size_t envlen, struct cs_changeset **out, struct cs_envelope_info *info,
                       char *err, size_t errlen);

/*
 * The checks of cs_sync_take_chunk without the merge: opens the chunk,
 * checks its signer and decodes it. For a carrier that must refuse a whole
 * file before it stores any part of it (bundles). info (optional) gets the
 * header.
 */
int cs_sync_check_chunk(const struct cs_key *k, const uint8_t from_pk[CS_PK_LEN],
                        const uint8_t *env, size_t envlen, struct cs_envelope_info *info, char *err,
                        size_t errlen);

#endif
