/* SPDX-License-Identifier: MIT */
/*
 * The hub's way up to the hub above it (upstream.c): what its audit entries
 * stored, and the chunks it sends up, live or on a stick.
 */
#ifndef CELLSYNC_DAEMON_UPSTREAM_H
#define CELLSYNC_DAEMON_UPSTREAM_H

#include <stdint.h>

#include "cellsync/sync.h"
#include "hub.h"

/*
 * In the merge transaction of an accepted audit entry, right after it is
 * written: the replica seqs lo..hi its merge stored (nothing when hi < lo).
 */
int hub_upward_note(struct hub *h, uint64_t lo, uint64_t hi);

/*
 * The next chunk for the hub above after this hub's seq `after`: its own
 * writes signed by hub.key, and the signed sets of the audit entries whose
 * seqs end in the chunk's range, relayed as their devices signed them.
 * peer_pk NULL: a live chunk (a session with the hub above); else an
 * envelope to peer_pk (a stick). out->changes 0 (no bytes): nothing to send
 * up to out->seq_last; out->last: nothing after it, as of now.
 */
int hub_upward_chunk(struct hub *h, const uint8_t peer_pk[CS_PK_LEN], uint64_t after,
                     struct cs_chunk *out, char *err, size_t errlen);

#endif
