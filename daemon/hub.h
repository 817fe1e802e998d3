/* SPDX-License-Identifier: MIT */
/*
 * The hub's own state, beside its replica: its key, the org tree it serves,
 * the devices it has enrolled (with their scope, role and sync cursors),
 * one-time enrollments, who may write what, and the audit trail. Everything
 * lives in the state directory:
 *   hub.key, hub.pub      the hub's Ed25519 key pair (0600 / 0644)
 *   replica.db            the hub replica (cellsync/replica.h) plus the
 *                         hub_* tables below (devices, enrollments, audit,
 *                         refusals, incarnations), which are never replicated
 *                         (the replica refuses registers on hub_* tables)
 * A struct hub is used from one thread at a time (the daemon runs all its
 * database work on one worker, in order), through the replica's one
 * connection.
 */
#ifndef CELLSYNC_HUB_H
#define CELLSYNC_HUB_H

#include <stdint.h>
#include <stdio.h>

#include "cellsync/changeset.h"
#include "cellsync/enroll.h"
#include "cellsync/pake.h"
#include "cellsync/envelope.h"
#include "cellsync/key.h"
#include "cellsync/replica.h"
#include "cellsync/wire.h"

#define HUB_KEY     "hub.key"
#define HUB_PUB     "hub.pub"
#define HUB_REPLICA "replica.db"
#define HUB_JOURNAL "admin.journal" /* in the state directory: see hub_journal_replay */
#define HUB_OLD_DIR "hub-old"       /* retired keys: <hex of 8 bytes of the public key>.key */
#define HUB_AUDIT_KEY                                                                              \
    "audit.key" /* in hub-old/: the audit chain key, kept from the first rotation */
#define HUB_OLD_MAX       32
#define HUB_OLD_NAME_LEN  24
#define HUB_DEFAULT_STATE "/var/lib/cellsyncd"
#define HUB_DEFAULT_PORT  CS_WIRE_PORT

struct hub;

/*
 * `cellsyncd init`: creates the state directory (0700, with its parents),
 * the key pair, the replica, and the org tree from a CSV file with the
 * header line id,parent,level,kind,name (ids are the committee's short
 * codes, names in Vietnamese, the root's parent empty; the root is the
 * hub's own unit). Fields may be double-quoted ("" inside is one quote);
 * a UTF-8 byte-order mark and empty lines are skipped. level is one of
 * centre, province, district, commune, grassroots, cell. Every unit becomes
 * registers of table org_unit (row hub_org_row_id(code); columns code,
 * parent, level, kind, name) in one local transaction, and the root's code
 * is kept in meta 'root_org'.
 * Refuses (CS_EEXISTS) when hub.key, hub.pub or replica.db exists, changing
 * nothing. A bad CSV is refused before anything is created; its errors name
 * the file and the line. Any later failure removes what was created.
 */
int hub_init(const char *state, const char *org_csv, char *err, size_t errlen);
/*
 * `cellsyncd init --upstream FILE`: a hub below another (a commune's under
 * its province): created as hub_init does, with no tree of its own; its
 * root is the unit of the enrollment file (role hub, made by `cellsyncd
 * enroll --role hub` at the hub above), which is kept in the replica's
 * meta as a field device keeps its own (client/device.h). Its tree comes
 * from above at the first sync up. CS_EINVAL for another role.
 */
int hub_init_below(const char *state, const char *enroll_path, char *err, size_t errlen);

/* Loads hub.key (which must be 0600) and the replica; errors name the path. */
int hub_open(struct hub **out, const char *state, char *err, size_t errlen);
void hub_close(struct hub *h);

const struct cs_key *hub_key(const struct hub *h);

/* ---- the hub's keys over time (keys.c, cellsync/rotation.h) ---- */

struct hub_device;

/* The file name of a retired key in hub-old/: 16 hex digits and ".key". */
void hub_old_name(const uint8_t pk[CS_PK_LEN], char out[HUB_OLD_NAME_LEN]);
/*
 * The keys a device's msg1 or bundle may be sealed to: the current one
 * first, then the retired ones still kept, newest first. Loaded at
 * hub_open and unchanged after it: safe from any thread.
 */
size_t hub_keys(const struct hub *h, const struct cs_key **keys, size_t max);
/* The key of those with this id (an envelope's recipient), or NULL. */
const struct cs_key *hub_key_for(const struct hub *h, const struct cs_id *id);
/* The rotation chain from pk to the current key (cs_rotation_chain_from). */
int hub_rotation_chain(const struct hub *h, const uint8_t pk[CS_PK_LEN], uint8_t **out,
                       size_t *len);
/*
 * The hub key a device pins: the one its last proven session or bundle
 * was sealed to (set_pin), else the one that was current when it enrolled.
 */
int hub_device_set_pin(struct hub *h, const struct cs_id *id, const uint8_t pk[CS_PK_LEN]);
int hub_device_pin(struct hub *h, const struct hub_device *d, uint8_t pk[CS_PK_LEN]);
enum { HUB_PIN_CURRENT = 0, HUB_PIN_RETIRED = 1, HUB_PIN_GONE = 2 };
/* Calls fn for every enrolled device (revoked too) until it returns non-zero, which it returns. */
int hub_devices_each(struct hub *h, int (*fn)(void *ud, const struct hub_device *d), void *ud,
                     char *err, size_t errlen);
/* Whether pk is the current key, a retired one still kept, or one no longer kept. */
int hub_pin_state(const struct hub *h, const uint8_t pk[CS_PK_LEN]);
/*
 * `cellsyncd key rotate` (not while serving): a new hub.key and hub.pub, the
 * old secret key kept as hub-old/<name>, the statement appended to
 * hub.rotations. new_pk gets the new key; voided the open enrollments that
 * no longer open. h still holds the old key: close it.
 */
int hub_key_rotate(struct hub *h, uint8_t new_pk[CS_PK_LEN], long long *voided, char *err,
                   size_t errlen);
/* `cellsyncd key retire-old`: deletes every retired key kept; *removed counts them. */
int hub_key_retire(struct hub *h, size_t *removed, char *err, size_t errlen);
struct cs_replica *hub_replica(struct hub *h);
/* PRAGMA data_version: changes when another connection (process or thread) committed. */
unsigned hub_foreign_version(struct hub *h);
const char *hub_root_org(const struct hub *h);

/*
 * The row id of an org unit: derived from its code (BLAKE2b-128 of
 * "org_unit:" + code, shaped as a UUIDv8), so every replica agrees and a
 * code names exactly one row.
 */
void hub_org_row_id(const char *code, struct cs_id *out);

/* ---- incarnations ---- */

/*
 * The hub's incarnations (cellsync/wire.h), kept in order in the table
 * hub_incarnation (n, id, since_seq, at), the last one current: hub_init
 * makes the first (since_seq 0), and `cellsyncd restore` one more in the
 * restored replica (hub_incarnation_new). since_seq is the replica's
 * highest seq when the incarnation began: the versions up to it are
 * numbered as in the incarnation before it (the one the backup was taken
 * in), those after it are new. A hub made before incarnations gets its
 * first (since_seq 0) the first time it is opened. An incarnation the
 * restored backup did not know (one that began after the backup was taken)
 * is not in the history.
 */

/* The current incarnation, and its since_seq (optional). 0 or a negative code. */
int hub_incarnation(struct hub *h, uint8_t id[CS_INCARNATION_LEN], uint64_t *since);
/* A new current incarnation (random id, since_seq the replica's highest seq); id gets it. */
int hub_incarnation_new(struct hub *h, uint8_t id[CS_INCARNATION_LEN], uint64_t *since, char *err,
                        size_t errlen);

/* How a hello's cursor relates to the hub's numbering (hub_down_cursor). */
enum hub_down_how {
    HUB_DOWN_SAME = 0,    /* the current incarnation, or a device that has nothing yet */
    HUB_DOWN_EARLIER = 1, /* an earlier incarnation of the history */
    HUB_DOWN_UNKNOWN = 2, /* one the hub does not know, or none while hub_seq > 0 */
};

/*
 * The downstream cursor for a device's hello, and the current incarnation
 * in cur. SAME: *down = hello->hub_seq. EARLIER: the device counts in an
 * ancestor of the current numbering, which agrees with it up to the least
 * since_seq of the incarnations after that one: *down = min(hub_seq, that).
 * UNKNOWN: *down = 0 (the device gets everything of its scope again;
 * merging what it has stores nothing). Returns the enum hub_down_how, or a
 * negative code when the history cannot be read.
 */
int hub_down_cursor(struct hub *h, const struct cs_hello *hello, uint8_t cur[CS_INCARNATION_LEN],
                    uint64_t *down);

/* ---- enrollment ---- */

#define HUB_ROLE_CELL      "cell"
#define HUB_ROLE_COMMITTEE "committee"
#define HUB_ROLE_HUB       "hub"

#define HUB_ENROLL_TTL_DEFAULT (72 * 3600)      /* seconds: 72 hours */
#define HUB_ENROLL_TTL_MAX     (30 * 24 * 3600) /* seconds: 30 days */
#define HUB_ENROLL_MAX_FAILS   5                /* runs without the right code that lock it */
#define HUB_CODE_SALT_LEN      16

/*
 * `cellsyncd enroll`: a one-time enrollment for one live org unit and role,
 * valid for ttl seconds (1 .. HUB_ENROLL_TTL_MAX; CS_EINVAL beyond).
 * Written to out_path as an enrollment file (cellsync/enroll.h; mode 0600,
 * never over an existing file, a 256-bit secret) unless out_path is NULL,
 * and given as a short code in code (codelen at least CS_ENROLL_CODE_LEN +
 * 1; a code's own secret, 60 random bits and a number) unless code is
 * NULL. Either, used once, uses the enrollment. A code is for role cell
 * only: CS_EINVAL for a committee or hub device (enrolled by file only).
 * Only keyed hashes of the secrets are stored (hub_enroll_hash). name may
 * be NULL or "": the device's hello then names it. *expires (optional)
 * gets the expiry in Unix seconds.
 */
int hub_enroll_create(struct hub *h, const char *org, const char *role, const char *name,
                      const char *addr, int64_t ttl, const char *out_path, char *code,
                      size_t codelen, int64_t *expires, char *err, size_t errlen);

/*
 * A hello with a secret from an address that must still wait wait_s
 * seconds (guard.h): 0 if pk is an enrolled device (admitted as usual),
 * else CS_WELCOME_ENROLL with w's message saying to try again in wait_s
 * seconds; the secret is never compared.
 */
int hub_admit_held(struct hub *h, const uint8_t pk[CS_PK_LEN], unsigned wait_s,
                   struct cs_welcome *w);

/* The keyed hash the hub stores for an enrollment secret: BLAKE2b keyed with a subkey of hub.key.
 */
/*
 * Enrollment by code (cellsync/pake.h), the hub's part of a run whose
 * START p holds: the code of p->number looked up; when it is open and not
 * locked, and held is 0, the run counted against it (fails + 1) and the
 * REPLY made into out (cap at least CS_PAKE_REPLY_MAX), with *row the
 * enrollment's row. Else *refusal says why (CS_PAKE_NO_CODE,
 * CS_PAKE_LOCKED, or CS_PAKE_WAIT when the address must still wait held
 * seconds: a locked code says so first) and nothing is written. Returns 0, or a negative code with
 * err (the database, or a SHARE that is not one: CS_EMALFORMED).
 */
int hub_pake_reply(struct hub *h, struct cs_pake *p, unsigned held, const uint8_t *share,
                   size_t sharelen, uint8_t *out, size_t cap, size_t *outlen, int64_t *row,
                   enum cs_pake_refusal *refusal, char *err, size_t errlen);

/* The device of the run on row sent the right CONFIRM: the run no longer counts against it. */
int hub_pake_confirmed(struct hub *h, int64_t row);

void hub_enroll_hash(const struct hub *h, const uint8_t secret[CS_ENROLL_SECRET_LEN],
                     uint8_t hash[32]);

/* ---- devices ---- */

struct hub_device {
    struct cs_id id; /* = cs_pk_id(pk) */
    uint8_t pk[CS_PK_LEN];
    char org[64];
    char role[16];
    char name[64];
    int64_t enrolled_at, last_contact, revoked_at; /* Unix seconds, 0 = never */
    uint64_t up_seq;                               /* highest seq of the device merged here */
    uint64_t down_seq;                             /* highest hub seq the device has applied */
};

/*
 * The handshake's decision for a device key: known and not revoked (fills
 * d), or enrolled now with the hello's one-time secret (the secret is then
 * used up; fills d), or refused with a welcome status (CS_WELCOME_UNKNOWN,
 * _REVOKED, _ENROLL) and a message for the person. A database failure is
 * CS_WELCOME_BUSY with a message. Returns the status, never negative.
 */
int hub_admit(struct hub *h, const uint8_t pk[CS_PK_LEN], const struct cs_hello *hello,
              struct hub_device *d, char *msg, size_t msglen);
/*
 * hub_admit's decision without its effects: nothing is enrolled, named or
 * written. For a carrier that must refuse an unknown or revoked signer
 * before it opens anything the signer sent (bundle import, review F9).
 */
int hub_admit_check(struct hub *h, const uint8_t pk[CS_PK_LEN], const struct cs_hello *hello,
                    char *msg, size_t msglen);
/*
 * hub_admit in two halves, for the live handshake, where nothing may change
 * before the device has proved its key (wire.h): the decision, which
 * writes nothing (d filled as hub_admit fills it, the device it would make
 * for an open enrollment, whose row *row is then nonzero, else 0), and
 * its effects once proved: the enrollment used and the device added (row
 * nonzero), its name published. The commit may still refuse: an
 * enrollment used by another device in between (CS_WELCOME_ENROLL).
 */
int hub_admit_decide(struct hub *h, const uint8_t pk[CS_PK_LEN], const struct cs_hello *hello,
                     struct hub_device *d, int64_t *row, char *msg, size_t msglen);
int hub_admit_commit(struct hub *h, const struct hub_device *d, int64_t row, char *msg,
                     size_t msglen);
/*
 * 1 when d's name, unit, role, key and revocation day are in the replica's
 * device table as they are, 0 if not, < 0. hub_device_publish writes them
 * there (one local transaction) when they are not.
 */
int hub_device_published(struct hub *h, const struct hub_device *d);
int hub_device_publish(struct hub *h, const struct hub_device *d, char *err, size_t errlen);

/* A device by id (for bundles, which come without a handshake): 0 or CS_ENOTFOUND. */
int hub_device_get(struct hub *h, const struct cs_id *id, struct hub_device *d);
/*
 * A device enrolled here (hub_device_get), or else one a hub below
 * registered with its key in the replica's device table (a commune's cell
 * at its province): d filled from its record, cursors and times 0 but
 * revoked_at nonzero when it carries a revocation day. 0, CS_ENOTFOUND,
 * CS_ECORRUPT (a record whose key is not its id's), or < 0.
 */
int hub_device_known(struct hub *h, const struct cs_id *id, struct hub_device *d);

/* These three give CS_ENOTFOUND for an unknown device. */
int hub_device_touch(struct hub *h, const struct cs_id *id, int64_t now);

/*
 * msg1's timestamp (wire.h). hub_hs_replayed: 1 when ts is not after the
 * latest one seen from the device (kept in memory, else stored), 0 when it
 * is, or a negative code; it only reads. hub_hs_note: ts is now the
 * device's latest in memory (once it is admitted). hub_device_proven: the
 * device's first session frame opened, so it holds its key: its
 * last_contact and stored timestamp are written now, not at msg1.
 */
int hub_hs_replayed(struct hub *h, const struct cs_id *id, const uint8_t ts[CS_WIRE_TS_LEN]);
int hub_hs_note(struct hub *h, const struct cs_id *id, const uint8_t ts[CS_WIRE_TS_LEN]);
int hub_device_proven(struct hub *h, const struct cs_id *id, const uint8_t ts[CS_WIRE_TS_LEN],
                      int64_t now);
/* In the merge transaction (apply's before_commit): the device's cursors. */
int hub_device_set_up_seq(struct hub *h, const struct cs_id *id, uint64_t seq);
int hub_device_set_down_seq(struct hub *h, const struct cs_id *id, uint64_t seq);

/*
 * `cellsyncd devices [--json] [--here]`: a table (short id = cs_id_short(),
 * name, org, role, where, enrolled, last contact, last change, revoked;
 * times in local time) or a JSON array made by SQLite (ids in full, times
 * ISO 8601 UTC or null). The devices enrolled here, then (unless here) those
 * a hub below registered (the replicated device table), with the unit of
 * the hub that registered each.
 */
int hub_devices_print(struct hub *h, FILE *f, int json, int here, char *err, size_t errlen);
/*
 * `cellsyncd revoke DEVICE`: which is the exact name, or at least 4 hex
 * digits that begin or end the id (dashes ignored). CS_ENOTFOUND, or
 * CS_EAMBIGUOUS with the candidates listed in err. Revoking a revoked
 * device keeps the first time. d (optional) gets the device.
 */
int hub_device_revoke(struct hub *h, const char *which, struct hub_device *d, char *err,
                      size_t errlen);
/*
 * Whether a device may still sync, read from its row now (one look-up by
 * key): 0 when it may (or has no row yet: enrolling, written at its proof);
 * 1 when it was revoked since its handshake, with why in msg (what the
 * device is told); or a negative code.
 * The worker asks it in every merge's transaction and for every chunk it
 * sends, and for every open session once a second (conn.c), so a
 * revocation ends a live session at once (F7).
 */
int hub_device_revoked(struct hub *h, const struct cs_id *id, char *msg, size_t msglen);

/*
 * The admin journal (F10, journal.c): <state>/admin.journal, mode 0600,
 * append-only, each entry fsync'd before the change it records commits. It
 * holds the revocations (hub_device_revoke) and the enrollments used
 * (at a device's proof), outside the replica, so that no backup holds it and
 * no restore takes it back. hub_journal_replay applies every entry of the
 * journal in state to h's replica, in one transaction: a device revoked
 * since the backup is revoked again (keeping the backup's time if it was
 * revoked then already), an enrollment used since is used again. Entries
 * the backup holds already change nothing, so the whole journal is applied
 * whatever the backup's age. *revoked and *used count what changed. A
 * missing journal is an empty one; a damaged entry fails (CS_EMALFORMED,
 * the line named), so a restore never silently skips one.
 */
int hub_journal_revoke(struct hub *h, const struct cs_id *id, int64_t at, char *err, size_t errlen);
int hub_journal_enroll_used(struct hub *h, int64_t row, int64_t created, const struct cs_id *by,
                            int64_t at, char *err, size_t errlen);
int hub_journal_replay(struct hub *h, const char *state, size_t *revoked, size_t *used, char *err,
                       size_t errlen);

/* ---- scope and authorization ---- */

/*
 * The org codes of a live unit's subtree (writable and readable), and of
 * its ancestors up to the root (readable: their names). CS_ENOTFOUND if
 * org is not a live unit. OUT: *out, free with hub_scope_free().
 */
struct hub_scope;
int hub_scope_load(struct hub *h, const char *org, struct hub_scope **out);
void hub_scope_free(struct hub_scope *s);
/* 1 if org is in the subtree. */
int hub_scope_has(const struct hub_scope *s, const char *org);
/* 1 if org is in the subtree or one of its ancestors. */
int hub_scope_can_read(const struct hub_scope *s, const char *org);

/*
 * May this device write change i of the set? 0, 1 with a reason for the
 * person, or a negative code when the hub could not check (reason says
 * why; the merge should then fail rather than refuse). In order:
 *  - the origin must be the device itself (a hub role may forward others');
 *  - the stamp may not be further ahead of the hub's clock than the drift;
 *  - the table and column must be open to its role: "cell" writes
 *    candidate, member, meeting, attendance, assessment, exception,
 *    step_undo and rating, but not candidate.decision_on or
 *    member.decision_on, nor a candidate's stage set to the committee's
 *    decision unless the hub has its date (an undone ceremony);
 *    "committee" and "hub" write every domain table; only "hub" writes
 *    tables this hub does not know (their rows are not placed in the tree);
 *  - the row must lie in its subtree. A row's unit: for candidate, member,
 *    meeting and target the org_unit the set gives it (its last such change
 *    in the set) and the hub's current value, both; a row with neither is
 *    the device's own unit if the hub has never seen it, else the unit of
 *    the device that first sent it (the hub's root unit if that was no
 *    device). attendance and assessment go with their meeting, exception
 *    and step_undo with their candidate, rating and transfer with their
 *    member, the same way (the reference the set gives, and the hub's). An org_unit row is
 *    its code; a new one needs its code, an id that is hub_org_row_id() of
 *    it and a parent in the subtree (or new in the same set under one),
 *    and an existing one keeps its code and may move only within the
 *    subtree.
 * One struct hub_authz per change set: hub_authz_new() indexes the set
 * once (its only database work: whether the device has changes refused for
 * the clock), and the object keeps its per-row verdicts, so a row is judged
 * as the hub had it when the set's first change of it came. Make it after
 * the set is decoded, pass it to hub_authorize() for each change (the
 * accept hook of cs_replica_apply), and free it with the set. h, d, s and
 * cs are borrowed and must outlive it. OUT: *out, free with
 * hub_authz_free().
 */
struct hub_authz;
int hub_authz_new(struct hub *h, const struct hub_device *d, const struct hub_scope *s,
                  const struct cs_changeset *cs, struct hub_authz **out);
void hub_authz_free(struct hub_authz *az);
int hub_authorize(struct hub_authz *az, size_t i, char *reason, size_t len);

/*
 * Does a row, as the hub has it now, lie in the scope? (downstream filter)
 * The same placement as above from the hub's rows alone; org_unit rows, and
 * rows of TREE tables (holidays), are readable in the subtree and among the
 * ancestors; rows the hub cannot
 * place (unknown tables, a missing parent record) are not sent.
 */
int hub_row_in_scope(struct hub *h, const struct hub_scope *s, const char *table,
                     const struct cs_id *row);

/* ---- audit ---- */

/* What `cellsyncd audit verify` found (hub_audit_verify). */
struct hub_audit_check {
    int64_t entries;    /* entries read, up to the first broken one */
    int64_t signatures; /* kept envelopes whose signature was checked */
    int64_t broken_id;  /* the first entry that does not hold, 0 if none */
    int64_t broken_at;  /* its time (Unix seconds) */
    char why[256];
};

/*
 * Walks the audit chain (audit.c) from its first entry: each entry's link
 * to the one before, its hash, and the signature of each envelope kept
 * with an accepted change set, which must be its device's. Stops at the
 * first entry that does not hold (c->broken_id). 0, or a negative code
 * when the trail cannot be read.
 */
int hub_audit_verify(struct hub *h, struct hub_audit_check *c, char *err, size_t errlen);

/*
 * Appends to the audit trail (a table whose rows cannot be updated or
 * deleted): every change set accepted or refused, with what came (and so
 * its signatures), so any record's history can be proven later.
 * verdict: "accepted", "partly refused", "refused". d may be NULL: the
 * device is then the envelope's signer. info, reason and env may be NULL.
 * A merged chunk's env (its signed sets) is stored as a zstd frame
 * (audit.c); CS_EINVAL if env already starts like one.
 */
int hub_audit(struct hub *h, const struct hub_device *d, const char *verdict,
              const struct cs_envelope_info *info, size_t changes, size_t refused,
              const char *reason, const uint8_t *env, size_t envlen);
/*
 * The device's writes refused for a stamp too far ahead that it has not
 * replaced since (no later write of its own to the register reached the
 * hub): told again at each sync and in each stick reply, since a REFUSED
 * lost with a cut link would leave them on the device alone. At most
 * CS_MSG_REFUSED_MAX, oldest first; *out is the caller's to free.
 */
int hub_open_clock_refusals(struct hub *h, const struct hub_device *d, struct cs_refusal **out,
                            size_t *n);
/* Keeps one refused change for review, with its code (enum cs_refusal_kind) and English reason. */
int hub_refusal(struct hub *h, const struct hub_device *d, const struct cs_change *c, int kind,
                const char *reason);

#endif
