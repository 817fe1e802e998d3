/* SPDX-License-Identifier: MIT */
/*
 * The hub's end of a USB-stick bundle (cellsync/bundle.h): checking one
 * exported bundle whole, serving its device with the calls a live session
 * uses (hub_peer_admit, hub_peer_merge, hub_peer_next_chunk, peer.h) and
 * writing the device's reply. Runs where the hub's replica is used:
 * `cellsyncd import`, or the server's worker for its inbox.
 */
#ifndef CELLSYNC_DAEMON_IMPORT_H
#define CELLSYNC_DAEMON_IMPORT_H

#include <limits.h>
#include <stddef.h>

#include "cellsync/id.h"

#include "hub.h"

struct hub_import {
    char device[CS_ID_SHORT_LEN + 1]; /* the device's short id, "" before its hello is read */
    char org[64];                     /* its unit, once admitted */
    char name[64];                    /* its enrolled name, once admitted ("" if none) */
    char reply[PATH_MAX];             /* the reply written, "" if none */
    int refused;       /* the bundle was refused for what it is: nothing was stored */
    size_t chunks;     /* chunks in the bundle */
    size_t old_chunks; /* of them, merged before (an earlier stick, a live sync) */
    size_t applied, duplicates, conflicts, refused_changes;
    size_t down_chunks, down_changes; /* what the reply carries */
    int rotation;                     /* and the key rotation chain: sealed to a retired key */
    /* The hello counted in another incarnation of the hub (a restore): the log's fields. */
    char restored[160];
};

/*
 * Imports the bundle at path and writes the reply into reply_dir (NULL:
 * the bundle's directory) as reply_name (NULL: cs_bundle_reply_name() of
 * the device's unit and name, "CB-01_may-pho-bi-thu_6a5b4ac7.reply"), through
 * a temp file and a rename.
 *
 * The whole bundle is checked before anything is stored: its framing, the
 * hello (addressed to this hub's key; its signer is the device), and every
 * chunk (signed by that same device, whole, decodable). Then the device is
 * admitted with its hello, so a device enrolled from a file registers with
 * its first bundle and a revoked or unknown one is turned away; chunks the
 * hub merged before are passed over, the others merged one transaction
 * each; and the reply gets the welcome (up_seq after the merges, the hub's
 * time, org, role, incarnation and down cursor), the refusals, and the
 * chunks of the device's scope after that cursor (the hello's hub_seq, or
 * less when it counts in another incarnation: hub_peer_admit), sealed to
 * the device.
 *
 * 0, or a negative code with err saying why. res->refused tells a refused
 * bundle (truncated, altered, foreign, from an unknown or revoked device,
 * of a future format: nothing stored) from a failure of the hub's own
 * (its database or disk), after which chunks merged so far stay merged,
 * which is harmless: merging is idempotent and the next bundle resumes.
 */
int hub_import(struct hub *h, const char *path, const char *reply_dir, const char *reply_name,
               struct hub_import *res, char *err, size_t errlen);

#endif
