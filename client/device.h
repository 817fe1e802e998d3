/* SPDX-License-Identifier: MIT */
/*
 * This device's side of its hub, whatever carries the bytes (the live link
 * of `cellsync sync` or a bundle on a USB stick): its key and the pinned
 * hub key, the hello it presents, what a welcome changes here, applying the
 * hub's chunks with the cursor that covers them, and bundle export and
 * import. Only the proto library is used here, no CLI, so the bundle-size
 * bench runs the very export `cellsync bundle export` runs.
 *
 * What it keeps in the replica's meta table:
 *   hub_pk           the pinned hub key (hex), from enrollment
 *   enroll_secret    the one-time secret (hex) until a welcome is OK, then ""
 *   device_name      the name the hello gives
 *   hub_seq          the hub seq applied here, committed with the chunk it covers
 *   hub_incarnation  the hub incarnation (hex) hub_seq counts in, from the last
 *                    OK welcome (cellsync/wire.h); none before the first
 *   hub_ack_seq      the highest seq of this device the hub has acknowledged
 *   exported_seq     the highest seq of this device whose stamp is known outside
 *                    (carried on a stick, or acknowledged by an earlier hub
 *                    incarnation): nothing up to it is re-stamped
 *   clock_offset_ms  the hub's time minus this computer's (read by the replica)
 *   org, role        this device's unit and role, from the welcome
 *   last_contact     Unix seconds of the last word from the hub
 */
#ifndef CELLSYNC_CLIENT_DEVICE_H
#define CELLSYNC_CLIENT_DEVICE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cellsync/enroll.h"
#include "cellsync/envelope.h"
#include "cellsync/key.h"
#include "cellsync/replica.h"
#include "cellsync/sync.h"
#include "cellsync/wire.h"

struct device {
    struct cs_replica *rep; /* borrowed */
    struct cs_key *key;     /* owned: device_release() frees it */
    uint8_t hub_pk[CS_PK_LEN];
    uint64_t hub_drift_ms; /* the hub's drift bound, from its welcome (0: not said) */
};

/*
 * Loads the pinned hub key from meta and this device's key from keypath,
 * a sealed one with the passphrase pass gives (cs_key_load_pass(); the
 * client's is client_pass). CS_ENOTFOUND (err says to enroll) when no hub
 * is pinned; CS_EDECRYPT for a wrong passphrase.
 */
int device_open(struct device *d, struct cs_replica *rep, const char *keypath,
                const struct cs_key_pass *pass, char *err, size_t errlen);
/* Frees the key; accepts a zeroed or released device. */
void device_release(struct device *d);

/*
 * Keeps an enrollment (the hub's address and key hex, the one-time secret,
 * unit, role and the name, name or else the file's) in rep's meta, as the
 * keys above; e's secret is wiped from memory.
 */
int device_enroll_save(struct cs_replica *rep, struct cs_enrollment *e, const char *hex,
                       const char *name, char *err, size_t errlen);

/*
 * The timestamp of the next handshake (cs_wire_ts_next after the one kept
 * in meta), stored before it is used so no two handshakes share one.
 */
int device_hs_time(struct device *d, uint8_t ts[CS_WIRE_TS_LEN], char *err, size_t errlen);

/* A meta value as a number, 0 when unset or unreadable. */
uint64_t device_meta_u64(struct cs_replica *r, const char *key);

/*
 * The hello: hub_seq with the hub incarnation it counts in (none before the
 * first OK welcome), the name and, until registered, the secret. Wipe it
 * after use.
 */
void device_hello(struct device *d, struct cs_hello *h);

/* How a welcome reached us: it sets the clock differently (see device_welcome). */
enum device_via { DEVICE_LIVE, DEVICE_BUNDLE };

/*
 * Takes in a welcome with status OK: the clock offset, org and role, the
 * enrollment secret cleared (the hub has registered this key), hub_ack_seq
 * raised to up_seq, last_contact; with a unit new here, the device's
 * records that have none take it (cs_unit_adopt). A welcome of another hub incarnation
 * than the stored one (a hub restored from a backup) sets the cursors to
 * the hub's instead: hub_ack_seq to up_seq and hub_seq to down_seq, both
 * possibly lower, with exported_seq raised to the old hub_ack_seq first (see
 * device.c), then stores the incarnation. A live welcome is the hub's time now, so
 * the offset is set from it. A bundle's welcome is as old as the stick's
 * trip, so it only proves the true time is at least hub_time: the offset
 * moves forward when this clock is behind hub_time, and never back (a
 * clock that ran ahead is brought back by the refusals of its stamps,
 * device_reissue). The hub's drift bound, when the welcome says it, is
 * kept in d for its chunks (device_take_chunk). *changed (optional) is set
 * when a cursor, the secret, org or role changed.
 */
/*
 * The hub has taken this device's key (live: its first session message
 * after ours, which the hub sends only once our first frame proved the
 * key and registered us): the one-time secret is spent and wiped.
 */
int device_registered(struct device *d, char *err, size_t errlen);
int device_welcome(struct device *d, const struct cs_welcome *w, enum device_via via, int *changed,
                   char *err, size_t errlen);

/*
 * Re-stamps own writes after `after` that are further than half the drift
 * bound ahead of hub_time (the hub would refuse them), with a note on
 * stderr. Only for writes the hub has not acknowledged.
 */
int device_restamp(struct device *d, uint64_t after, uint64_t hub_time, size_t *count, char *err,
                   size_t errlen);

/* Raises hub_ack_seq to seq (never lowers it). */
int device_ack(struct device *d, uint64_t seq);

/*
 * Applies one chunk of the hub's (signed by the pinned hub, addressed to
 * this device), moving hub_seq to its last seq in the same transaction. A
 * chunk wholly at or below hub_seq came before by another route: it is
 * skipped (*skipped = 1, info still filled from its header). live: a live
 * chunk of a session with the pinned hub, else an envelope (a bundle). Its
 * stamps may be as far ahead as the larger of this replica's drift bound
 * and the hub's (d->hub_drift_ms), which the hub held them to.
 */
int device_take_chunk(struct device *d, const uint8_t *env, size_t len, int live,
                      struct cs_apply_stats *st, struct cs_envelope_info *info, int *skipped,
                      char *err, size_t errlen);

/*
 * Moves hub_seq to seq if that is further: the hub's DONE, once every chunk
 * before it is applied, carries the cursor past versions with nothing for
 * this device.
 */
int device_pass_hub_seq(struct device *d, uint64_t seq);

/*
 * The next chunk of this device's own writes after its seq `after`
 * (cs_sync_make_chunk with only_origin this replica's site), sealed to
 * peer_pk, or live with peer_pk NULL: what a sync and a bundle send when
 * their caller gives no make_chunk hook of its own (ud unused).
 */
int device_own_chunk(void *ud, struct device *d, const uint8_t *peer_pk, uint64_t after,
                     struct cs_chunk *out, char *err, size_t errlen);

/* ---- bundles ---- */

/* What a bundle export or import did, for the progress line and the summary. */
/*
 * The hub's key was rotated (cellsync/rotation.h). check: the chain from
 * the key this device pins, every signature verified with the key trusted
 * at its step; to gets the last key, *steps the statements; a refusal
 * says which statement failed and that the pin stays. repin: the new key
 * pinned in meta (one statement, one transaction) and in d. printed: one
 * line for the person.
 */
int device_rotation_check(const struct device *d, const uint8_t *chain, size_t len,
                          uint8_t to[CS_PK_LEN], size_t *steps, char *err, size_t errlen);
int device_repin(struct device *d, const uint8_t pk[CS_PK_LEN], char *err, size_t errlen);
void device_repinned_print(const uint8_t pk[CS_PK_LEN], size_t steps, FILE *f);

struct device_tally {
    size_t changes;  /* export: changes written; import: new changes applied */
    size_t chunks;   /* chunks written or read */
    size_t skipped;  /* import: chunks this device already had */
    size_t refused;  /* import: changes the hub refused (news only) */
    size_t restamp;  /* export: writes re-stamped first */
    uint64_t bytes;  /* bundle bytes written or read */
    int nothing_new; /* import: the reply changed nothing here */
    int older;       /* import: older than the last reply applied, so not applied at all */
    size_t rotated;  /* import: the hub's key rotation, steps checked (0: none) */
    uint8_t hub_pk[CS_PK_LEN]; /* import: the key now pinned, when rotated */
};

struct device_report {
    void (*progress)(void *ud, const struct device_tally *t); /* after each chunk */
    void (*refused)(void *ud, const struct cs_refusal *r);    /* one refused change */
    void *ud;
};

/*
 * `cellsync bundle export`: writes path (atomically) with a hello and every
 * change of this device after hub_ack_seq, in chunks sealed to the pinned
 * hub. Moves no cursor: only the hub's acknowledgment does. When the clock
 * offset is known, writes stamped too far ahead are re-stamped first (as a
 * live sync does); when it is not, they go as they are. make_chunk
 * (optional, given ud and d->hub_pk as peer_pk) makes the chunks, as in a
 * live sync (devsync.h: a hub relays its subtree's signed sets); NULL:
 * device_own_chunk. rep (optional) hears about progress.
 */
int device_export(struct device *d, const char *path,
                  int (*make_chunk)(void *ud, struct device *d, const uint8_t *peer_pk,
                                    uint64_t after, struct cs_chunk *out, char *err, size_t errlen),
                  void *ud, const struct device_report *rep, struct device_tally *t, char *err,
                  size_t errlen);

/*
 * `cellsync bundle import`: checks the whole reply first (its welcome
 * signed by the pinned hub and addressed to this device, every entry,
 * chunks without a gap after hub_seq, no damage), changing nothing if any
 * of it is wrong; then takes the welcome, reports the refusals (only when
 * the reply acknowledges something new) and applies the chunks as a live
 * sync does. Importing it again, or after a live sync, brings no change
 * and no acknowledgment: t->nothing_new says so. A reply older than the
 * last one applied is checked and then not applied at all (t->older), and
 * one of another hub incarnation written before the last word from the hub
 * is refused: a copied stick replayed changes nothing (review F13).
 */
int device_import(struct device *d, const char *path, const struct device_report *rep,
                  struct device_tally *t, char *err, size_t errlen);

/*
 * Writes of this device the hub refused because their stamp was too far
 * ahead (r, from a REFUSED message or a reply's refused entry) get the
 * hub's time and a new seq (cs_replica_reissue), to be sent again. From a
 * reply (via DEVICE_BUNDLE), those stamps first bring the clock back by
 * what they prove (cs_replica_learn_refused_stamps).
 */
int device_reissue(struct device *d, const struct cs_refusal *r, size_t n, uint64_t hub_time,
                   enum device_via via, size_t *count, char *err, size_t errlen);

/* ---- refusals ---- */

/* The changes the hub refused in one sync or one reply, to show once at its end. */
struct device_refusals {
    struct cs_refusal *v;
    size_t n, cap;
    size_t to_fix; /* those a person must put right: all but the clock's, re-issued here */
};

/*
 * Adds n refusals to acc and keeps those of this device's own writes in
 * the replica (cellsync/refused.h): `status` counts them and lists mark
 * their records until they are corrected.
 */
int device_refusals_add(struct device *d, struct device_refusals *acc, const struct cs_refusal *v,
                        size_t n, char *err, size_t errlen);
/*
 * Prints them to f, one line per record: what it is, its name and short
 * id, and why, in this program's language (cs_refusal_render()).
 */
void device_refusals_print(struct device *d, const struct device_refusals *acc, FILE *f);
void device_refusals_release(struct device_refusals *acc);

#endif
