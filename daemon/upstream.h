/* SPDX-License-Identifier: MIT */
/*
 * The hub's way up to the hub above it (upstream.c): what its audit entries
 * stored, and the chunks it sends up, live or on a stick.
 */
#ifndef CELLSYNC_DAEMON_UPSTREAM_H
#define CELLSYNC_DAEMON_UPSTREAM_H

#include <stdint.h>
#include <stdio.h>

#include "cellsync/sync.h"
#include "device.h"
#include "devsync.h"
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
 * envelope to peer_pk (a stick). A chunk with out->changes 0 only moves the
 * cursor to out->seq_last; none (no bytes) when nothing is after `after`.
 * out->last: nothing after it, as of now.
 */
int hub_upward_chunk(struct hub *h, const uint8_t peer_pk[CS_PK_LEN], uint64_t after,
                     struct cs_chunk *out, char *err, size_t errlen);

/*
 * The link up, as a device of the hub above (client/device.h, in the
 * hub's replica; its key is hub.key). hub_upstream_open: d opened for it,
 * or CS_ENOTFOUND when this hub has no hub above (err says how to make
 * one). The others open and release it themselves.
 */
int hub_upstream_open(struct hub *h, struct device *d, char *err, size_t errlen);
/*
 * `cellsyncd upstream sync`: one live sync with the hub above at addr (NULL
 * or "": the enrolled address), the upward chunks hub_upward_chunk's. The
 * try is noted in meta (CS_META_UP_*), its error too. stop_fd as
 * devsync_opts' (NULL: none). res as devsync_run's (release res->refusals).
 */
int hub_upstream_sync(struct hub *h, const char *addr, int timeout, const int *stop_fd,
                      struct devsync_result *res, char *err, size_t errlen);
/* `cellsyncd upstream export FILE` / `import FILE`: the same by stick (device_export/_import). */
int hub_upstream_export(struct hub *h, const char *path, struct device_tally *t, char *err,
                        size_t errlen);
int hub_upstream_import(struct hub *h, const char *path, struct device_tally *t, char *err,
                        size_t errlen);
/*
 * `cellsyncd upstream status [--json]`: the hub above, the last sync and
 * try, the last error, and what waits to go up since the hub above last
 * acknowledged (this hub's own changes and its devices' sets).
 */
int hub_upstream_status(struct hub *h, FILE *f, int json, char *err, size_t errlen);

#endif
