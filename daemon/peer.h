/* SPDX-License-Identifier: MIT */
/*
 * A device as the hub serves it, whatever carries the bytes (a live TCP
 * session or a bundle on a USB stick): admitting it, merging its chunks
 * with authorization, cursor and audit in one transaction, and making the
 * chunks of its scope it has not seen. Runs where the hub's replica is
 * used: the daemon's worker, or an admin command.
 */
#ifndef CELLSYNC_DAEMON_PEER_H
#define CELLSYNC_DAEMON_PEER_H

#include "cellsync/sync.h"
#include "cellsync/wire.h"
#include "hub.h"

struct hub_peer {
    struct hub_device dev;
    struct hub_scope *scope;
    uint64_t down_after; /* the hub seq the device has (or has been sent) */
    /*
     * The hello's hub_seq counted in another incarnation than the hub's
     * (enum hub_down_how, 0 when not), and what the log says of it:
     * "from=<the hello's incarnation, or none> to=<the hub's> hub_seq=<the
     * hello's> down_seq=<down_after>".
     */
    int restored;
    char restored_log[160];
    /*
     * Admitted and not yet committed (hub_peer_commit): its enrollment's
     * row, or 0; pending when the commit will write (an enrollment, or a
     * name to publish), so what the device is sent waits for it.
     */
    int64_t enroll_row;
    int pending;
    int committed;
};

/*
 * Decides on the device with this key and hello (hub_admit_decide: nothing
 * written until hub_peer_commit), loads its scope,
 * and fills the welcome. The downstream cursor comes from the hello's
 * hub_seq and incarnation (hub_down_cursor): the welcome carries the hub's
 * incarnation and that cursor (down_seq), so a device whose incarnation
 * differs lowers its own to it. Returns the welcome status; p is usable
 * only on CS_WELCOME_OK.
 */
int hub_peer_admit(struct hub *h, const uint8_t pk[CS_PK_LEN], const struct cs_hello *hello,
                   struct hub_peer *p, struct cs_welcome *w);
/*
 * The admission's effects, once the device has proved its key (a session
 * frame opened, or a bundle's signature checked): hub_admit_commit, once.
 * The welcome status (CS_WELCOME_OK, or _ENROLL / _BUSY with msg).
 */
int hub_peer_commit(struct hub *h, struct hub_peer *p, char *msg, size_t msglen);
void hub_peer_release(struct hub_peer *p);

struct hub_merge {
    uint64_t seq_last;
    struct cs_apply_stats st;
    struct cs_refusal *refused; /* at most CS_MSG_REFUSED_MAX, for the device */
    size_t nrefused, caprefused;
};

/*
 * Merges one chunk (an envelope from the device, or with live a live chunk
 * of a session that proved the device's key): every change authorized
 * (hub_authorize), refusals kept for review, and the device's cursor and the
 * audit line committed with the merge. A chunk that cannot be opened, or
 * that starts after a gap, is refused whole and audited.
 */
int hub_peer_merge(struct hub *h, struct hub_peer *p, const uint8_t *env, size_t envlen, int live,
                   struct hub_merge *m, char *err, size_t errlen);
/*
 * hub_peer_merge of a chunk opened already (cs_sync_open_sets, off the
 * worker: worker.c's crypto stage): opened and info as it left them, and
 * its result open_rc, whose message is in err. A chunk that did not open,
 * or not with this device's key, is refused whole and audited.
 */
int hub_peer_merge_opened(struct hub *h, struct hub_peer *p, const uint8_t *env, size_t envlen,
                          const struct cs_chunk_sets *opened, const struct cs_envelope_info *info,
                          int open_rc, struct hub_merge *m, char *err, size_t errlen);
void hub_merge_release(struct hub_merge *m);

/*
 * The next chunk of the device's scope after p->down_after (not its own
 * writes): a live chunk for a session, else an envelope to the device.
 * hub_peer_next_set: the same, not signed yet (cs_sync_make_set): the
 * worker reads, the crypto stage signs it with hub_key (cs_sync_seal_set).
 */
int hub_peer_next_chunk(struct hub *h, struct hub_peer *p, int live, struct cs_chunk *out,
                        char *err, size_t errlen);
int hub_peer_next_set(struct hub *h, struct hub_peer *p, struct cs_chunk *out, char *err,
                      size_t errlen);

/*
 * How many changes the next sync of the device with this id would send it:
 * those after its cursor (down_seq) that hub_peer_next_set lets through, so
 * not its own writes nor the rows out of its scope. 0; CS_ENOTFOUND for a
 * device not enrolled here; a negative code from its scope or the replica.
 */
int hub_peer_pending(struct hub *h, const struct cs_id *id, uint64_t *count, char *err,
                     size_t errlen);

#endif
