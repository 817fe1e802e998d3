/* SPDX-License-Identifier: MIT */
/*
 * One live sync of this device with its hub over TCP, whoever runs it: the
 * field client (`cellsync sync` and the sync page of `cellsync ui`) and a
 * hub syncing up to its parent hub, where it is a device. After the
 * handshake both sides stream at once: this device sends its changes the
 * hub has not merged yet, in chunks the hub acknowledges one by one, while
 * the hub sends what this device's unit has not seen. Nothing waits for a
 * round trip per record, so a 600 ms satellite link costs little more than
 * the handshake. Every chunk is merged with the cursor that covers it, so a
 * link that drops loses at most the chunk in flight: the next sync resumes.
 * Nothing here prints; the caller hears the progress through its hooks.
 */
#ifndef CELLSYNC_CLIENT_DEVSYNC_H
#define CELLSYNC_CLIENT_DEVSYNC_H

#include <stddef.h>
#include <stdint.h>

#include "cellsync/replica.h"
#include "cellsync/sync.h"
#include "cellsync/wire.h"
#include "device.h"
#include "link.h"

enum sync_phase { SYNC_CONNECTING, SYNC_HANDSHAKE, SYNC_STREAMING, SYNC_DONE };

/* How far a sync has come: what moved so far, total our changes it will send (0: not known). */
struct sync_progress {
    enum sync_phase phase;
    size_t sent_changes, recv_changes, refused;
    size_t sent_bytes, recv_bytes;
    uint64_t total;
};

/* How one live sync is run; the hooks may be NULL and get ud. */
struct devsync_opts {
    const char *addr; /* the hub's address HOST:PORT, as link_address() writes it */
    int timeout;      /* seconds to wait for the hub */
    /*
     * The next chunk of this side's changes after `after`, live (peer_pk
     * NULL): a hub relays its subtree's signed sets here. NULL: this
     * device's own writes (device_own_chunk).
     */
    int (*make_chunk)(void *ud, struct device *d, const uint8_t *peer_pk, uint64_t after,
                      struct cs_chunk *out, char *err, size_t errlen);
    /*
     * How many changes the chunks after `after` will carry, for the
     * progress; asked only when progress is set. NULL: with make_chunk
     * NULL this device's own writes are counted, else the total stays 0.
     */
    int (*count)(void *ud, struct device *d, uint64_t after, uint64_t *total);
    /* Told after each step and each message from the hub. */
    void (*progress)(void *ud, const struct sync_progress *p);
    /* Called once the hub's welcome is taken in (device_welcome): the clock may have moved. */
    int (*welcomed)(void *ud, char *err, size_t errlen);
    void *ud;
    /* NULL, or a descriptor that turns readable when the sync must end now (a hub's serve stops).
     */
    const int *stop_fd;
    /* The command that resumes, for messages (NULL: "cellsync sync"; a hub's: its own). */
    const char *again;
};

/* How a live sync went, as far as it came. */
struct devsync_result {
    struct tally t;
    struct device_refusals refusals; /* OUT: the caller releases them (device_refusals_release) */
    size_t rotated;                  /* the hub's key rotation checked and pinned: its steps */
    struct cs_welcome w;             /* the hub's welcome (zeroed before one came) */
    int64_t offset;                  /* the hub's clock against ours after the welcome, in ms */
};

/*
 * One live sync of d (opened by the caller on rep) with the hub at o->addr,
 * from the connection to the contact noted (meta last_contact). 0, or an
 * error with err saying what failed; res is filled either way.
 */
int devsync_run(struct cs_replica *rep, struct device *d, const struct devsync_opts *o,
                struct devsync_result *res, char *err, size_t errlen);

#endif
