/* SPDX-License-Identifier: MIT */
/*
 * The replica: one SQLite file holding every register value this device or
 * hub has learned, the merge rule, and the domain tables kept in step with
 * the winning values. Used by both the field client and the hub daemon.
 *
 * Every value of a register (table, row, column) that reaches a replica is
 * a version with its identity (hlc, origin), the (hlc, origin) it replaced
 * (prev), the row's causal length and a local dense seq (never given
 * twice). Of the versions of one register:
 *   - the largest (hlc, origin) is current: it is what the domain tables show;
 *   - a version is superseded when a later write saw it: a later version
 *     comes from the same origin, or some version's prev names the same
 *     origin at the version's stamp or later (that origin wrote it before
 *     the write that was seen);
 *   - every other version is an open conflict: a concurrent edit that lost.
 * That state is a function of the set of versions alone, so any order of
 * arrival, and any number of duplicates, ends in the same state. A replica
 * keeps the current version and every open conflict; a superseded version
 * only while it alone tells a peer what was seen (that its origin wrote up
 * to its stamp, or its prev's origin up to the prev's stamp), and its own
 * writes; an arriving version that tells nothing new is not stored (a
 * duplicate in cs_apply_stats). Versions travel whole between replicas, so
 * conflicts show up wherever the versions go, and a peer reading the kept
 * versions by seq reaches the same states. A row is live while the
 * largest causal length seen for it is odd.
 *
 * Domain tables (cellsync/schema.h) are plain SQLite tables with an `id`
 * BLOB primary key, a `cl` column and one column per register column. Any
 * current value whose table and column exist there is copied in the same
 * transaction; others are stored and forwarded untouched.
 *
 * The store's own tables (cs_*) are private: their layout (interned names
 * and origins, state numbers) may change in any version. What other code
 * reads with SQL, it reads through two read-only views made with the store,
 * as SQLite publishes views rather than b-tree layouts:
 *
 *   cs_version   every version kept: seq (this replica's), tbl, row, col
 *                (names and the 16-byte row id), val, hlc, origin (16-byte
 *                site id), state ('current', 'conflict' or 'replaced'),
 *                prev_hlc (the stamp of the version it replaced, 0: none)
 *   cs_conflict  every open conflict beside its register's current value:
 *                seq, tbl, row, col, val, hlc, origin (the losing version),
 *                current_val, current_hlc, current_origin
 *
 * and through the calls below. A conflict is named to people by its number
 * (cs_replica_conflict_number), which the replica's connection also has as
 * the SQL function cs_conflict_number(tbl, row, col, hlc, origin).
 */
#ifndef CELLSYNC_REPLICA_H
#define CELLSYNC_REPLICA_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "cellsync/changeset.h"
#include "cellsync/hlc.h"
#include "cellsync/id.h"

/* The reserved column of a row's life: its value is the new causal length. */
#define CS_COL_LIFE "_cl"

/* Version states, as stored. */
enum cs_vstate {
    CS_VS_CURRENT = 0,
    CS_VS_CONFLICT = 1,
    CS_VS_SUPERSEDED = 2,
};

struct cs_replica;
struct cs_refused_id;

/* Flags of cs_replica_open. */
#define CS_REPLICA_CREATE 0x1 /* create the file; CS_EEXISTS if it exists */
/*
 * No full-text search index: a hub, which never searches. Keeping the index
 * in step was about half the cost of a merge (BENCHMARKS.md, section 1).
 * Made so, a store stays so; opened so, a store made with one drops it.
 */
#define CS_REPLICA_NO_SEARCH 0x2

/*
 * Opens (or with CS_REPLICA_CREATE creates) the replica at path, in WAL
 * mode. site is this replica's origin id: required on create, checked
 * against the stored one otherwise (NULL: take the stored one).
 * OUT: *out, caller frees with cs_replica_close(); NULL on failure.
 */
int cs_replica_open(struct cs_replica **out, const char *path, int flags, const struct cs_id *site,
                    char *err, size_t errlen);
void cs_replica_close(struct cs_replica *r);

/* The connection, for reading domain tables. Do not write registers through it. */
sqlite3 *cs_replica_db(struct cs_replica *r);
const struct cs_id *cs_replica_site(const struct cs_replica *r);

/*
 * The replica's clock, without handing it out. now: the time as a stamp
 * (counter 0), offset applied, as a hub tells it to its peers. wall_ms: the
 * physical clock alone in Unix milliseconds (a test's clock when installed).
 * check_stamp: 0 if a peer's stamp is within the drift bound (with relayed,
 * the bound of a change another hub judged), else CS_EDRIFT.
 */
uint64_t cs_replica_now(const struct cs_replica *r);
uint64_t cs_replica_wall_ms(const struct cs_replica *r);
int cs_replica_check_stamp(const struct cs_replica *r, uint64_t hlc, int relayed);
/* How far ahead of this clock a peer's stamp may be, in milliseconds. */
uint64_t cs_replica_max_drift(const struct cs_replica *r);
void cs_replica_set_max_drift(struct cs_replica *r, uint64_t ms);
/*
 * The offset added to the physical clock (the hub's time minus ours). Set,
 * it is also stored (read back at open) when the stored one differs.
 */
int64_t cs_replica_clock_offset(const struct cs_replica *r);
int cs_replica_set_clock_offset(struct cs_replica *r, int64_t ms);
/* The stored offset read again: another connection (a hub's link up) may have set it. */
void cs_replica_clock_reload(struct cs_replica *r);
/* For tests and simulations: the physical clock the replica reads (fn NULL: the wall clock). */
void cs_replica_set_time_source(struct cs_replica *r, cs_hlc_clock_fn fn, void *ud);

/*
 * Takes in the hub's time (Unix ms). exact: the hub's time now (a live
 * welcome): the offset becomes hub_ms minus the physical clock, whichever
 * way that moves it. Not exact: a time the hub wrote some while ago (a
 * reply carried on a stick, as old as its trip), which only proves the
 * present is at least hub_ms: the offset grows to put this clock at hub_ms
 * when it reads less, and never moves back. So an old reply, imported late
 * or again, leaves the clock as it is. *moved (optional): the offset
 * changed.
 */
int cs_replica_learn_hub_time(struct cs_replica *r, uint64_t hub_ms, int exact, int *moved);

/*
 * Writes of ours a hub refused because their stamp was ahead of its time:
 * each was made no later than hub_ms (the hub's time when it judged them,
 * or later), so a stamp S still held here proves this clock ran at least
 * S - hub_ms ahead. The offset comes back by the largest such amount, never
 * below what hub_ms alone allows (the present is at least hub_ms). Once the
 * writes are re-issued (cs_replica_reissue) their old stamps are gone, so
 * the same refusals taken in again change nothing. *moved (optional).
 */
int cs_replica_learn_refused_stamps(struct cs_replica *r, const struct cs_refused_id *ids, size_t n,
                                    uint64_t hub_ms, int *moved);

/*
 * Today's date (a day number, cellsync/date.h) on this replica's clock, the
 * physical clock corrected by the hub's offset, in local time: the date a
 * record gets when the person gives none. $CELLSYNC_TODAY overrides it, as
 * for cs_date_today().
 */
int cs_replica_today(const struct cs_replica *r, int32_t *out, char *err, size_t errlen);

/* The highest seq this replica has assigned (0 when empty). */
uint64_t cs_replica_seq(struct cs_replica *r);

/* How many versions of this replica's own writes have seq > after: what a sync from there sends. */
int cs_replica_count_own(struct cs_replica *r, uint64_t after, uint64_t *count);
/* The lowest seq > after of this replica's own writes (superseded or not), 0 when none. */
int cs_replica_next_own(struct cs_replica *r, uint64_t after, uint64_t *seq);

/*
 * Local writes. begin opens a write transaction (BEGIN IMMEDIATE) and takes
 * one hlc stamp for everything written in it; commit makes it durable and
 * advances the stored clock. On any error the caller calls rollback: nothing
 * of the transaction stays.
 */
int cs_replica_begin(struct cs_replica *r, char *err, size_t errlen);
int cs_replica_set(struct cs_replica *r, const char *table, const struct cs_id *row,
                   const char *column, const struct cs_value *v, char *err, size_t errlen);
int cs_replica_set_text(struct cs_replica *r, const char *table, const struct cs_id *row,
                        const char *column, const char *text, char *err, size_t errlen);
/*
 * n columns of one row, as cs_replica_set each in order, with the domain
 * row written once rather than once a column (its search entry is rebuilt
 * once): what a record's form writes.
 */
int cs_replica_set_row(struct cs_replica *r, const char *table, const struct cs_id *row, size_t n,
                       const char *const *columns, const struct cs_value *values, char *err,
                       size_t errlen);
/* Row life: delete makes the causal length even, undelete odd again. */
int cs_replica_delete_row(struct cs_replica *r, const char *table, const struct cs_id *row,
                          char *err, size_t errlen);
int cs_replica_undelete_row(struct cs_replica *r, const char *table, const struct cs_id *row,
                            char *err, size_t errlen);
int cs_replica_commit(struct cs_replica *r, char *err, size_t errlen);
void cs_replica_rollback(struct cs_replica *r);

/*
 * Resolves every open conflict of one register by writing value as the new
 * current value, in a transaction of its own: one version per open conflict
 * that names it as prev, then the final one naming the current version.
 * CS_EINVAL if the register has no open conflict.
 */
int cs_replica_resolve(struct cs_replica *r, const char *table, const struct cs_id *row,
                       const char *column, const struct cs_value *v, char *err, size_t errlen);

struct cs_apply_stats {
    size_t received;   /* changes in the set */
    size_t applied;    /* new versions stored */
    size_t duplicates; /* already known: nothing happened */
    size_t conflicts;  /* versions that became open conflicts (new or displaced) */
    size_t refused;    /* turned away by opts->accept */
};

/*
 * What a caller adds to a merge (all optional). Every hook returns 0 or a
 * negative code (CS_E*, -errno); a negative code fails the merge with that
 * code, and nothing of the set stays.
 */
struct cs_apply_opts {
    /*
     * Called for each change before it is stored. *kind is 0 on entry:
     * leave it to accept the change, or set a positive kind (the caller's)
     * and a reason to refuse it (the hub's authorization). A refused change
     * is not stored; the rest of the set goes on. Domain tables read here
     * are as they were before the set: each row the set changes is written
     * once, with all its new values, just before it commits (so its search
     * entry is rebuilt once, not once per field); the set's own changes are
     * in cs.
     */
    int (*accept)(void *ud, const struct cs_changeset *cs, size_t index, int *kind, char *reason,
                  size_t len);
    /* Called with each refusal and accept's kind, inside the transaction (to log it). */
    int (*refused)(void *ud, const struct cs_change *c, int kind, const char *reason);
    /*
     * Called once after the last change, inside the same transaction, so a
     * cursor that covers the set commits with it or not at all.
     */
    int (*before_commit)(void *ud, sqlite3 *db);
    void *ud;
    /*
     * Set to check each stamp in accept instead of refusing the whole set on
     * drift; accept may then let through stamps within the relayed bound.
     */
    int per_change_drift;
};

/*
 * Merges a change set in one transaction: all of it or, on error, none.
 * Takes each change's hlc into the clock. Without per_change_drift, one
 * stamp further ahead than the drift bound refuses the whole set with
 * CS_EDRIFT. opts and st are optional. Returns 0 or a negative code: a
 * hook that fails gives its own.
 */
int cs_replica_apply(struct cs_replica *r, const struct cs_changeset *cs,
                     const struct cs_apply_opts *opts, struct cs_apply_stats *st, char *err,
                     size_t errlen);

/*
 * Several sets merged in one transaction (a hub's chunk: the relayer's own
 * set and the sets it relays, all of them or none): cs_replica_begin_merge
 * opens it (no local stamp: nothing of this replica's own is written), each
 * cs_replica_apply_in merges one set as cs_replica_apply does, without its
 * before_commit and without committing; the caller commits with
 * cs_replica_commit, or on any error rolls all of it back with
 * cs_replica_rollback. A set after another reads the domain rows the one
 * before wrote.
 */
int cs_replica_begin_merge(struct cs_replica *r, char *err, size_t errlen);
int cs_replica_apply_in(struct cs_replica *r, const struct cs_changeset *cs,
                        const struct cs_apply_opts *opts, struct cs_apply_stats *st, char *err,
                        size_t errlen);

/* Which versions a change set for a peer carries (all optional). */
struct cs_since_filter {
    const struct cs_id *only_origin; /* a device sends only its own writes */
    const struct cs_id *not_origin;  /* the hub never echoes a device's writes back */
    /* 1 to send versions of this row (the hub's scope), 0 to skip them. */
    int (*row_ok)(void *ud, const char *table, const struct cs_id *row);
    /* NULL, or 1 to send versions of this origin, 0 to skip them (a hub below's own devices). */
    int (*origin_ok)(void *ud, const struct cs_id *origin);
    void *ud;
    /*
     * With a change log (cs_replica_set_log): read only the transactions
     * logged under these keys (and key 0), by index, instead of every
     * version; row_ok still judges each row. 0 keys, more than
     * CS_SINCE_KEYS_MAX or no log: every version is read.
     */
    const int64_t *keys;
    size_t nkeys;
    /*
     * Nonzero: read only versions with seq <= upto (no keys); read to it,
     * the set covers up to upto. A hub's upward chunk ends where the signed
     * sets it relays end.
     */
    uint64_t upto;
};
#define CS_SINCE_KEYS_MAX 8

/*
 * The versions with seq > after that pass the filter, in seq order, as a
 * change set from this replica of about max_bytes encoded (0: no limit),
 * never cutting one local transaction in two unless it alone is over the
 * limit. The header's seq range is what the set covers, skipped versions
 * included, so the peer's cursor moves past them; a keyed read (filter
 * keys) that reaches the end covers up to cs_replica_seq(). OUT: *out, free
 * with cs_changeset_free().
 */
int cs_replica_changes_since(struct cs_replica *r, uint64_t after, size_t max_bytes,
                             const struct cs_since_filter *filter, struct cs_changeset **out,
                             char *err, size_t errlen);

/*
 * How many versions with seq > after pass the filter: what reading every
 * set from `after` would hold, without reading a value or making a set.
 */
int cs_replica_count_since(struct cs_replica *r, uint64_t after,
                           const struct cs_since_filter *filter, uint64_t *count, char *err,
                           size_t errlen);

/*
 * For a clock that ran ahead: re-stamps this replica's own versions with
 * seq > after whose stamp is beyond limit, in one transaction. Each local
 * transaction gets one new stamp from the clock (whose offset the caller
 * has corrected from the hub's time), versions that named an old stamp as
 * prev follow it, the states of the registers involved are worked out
 * again, and the clock is wound back. Only for versions no peer has
 * acknowledged: nobody else knows the old stamps. *count: how many.
 */
int cs_replica_restamp(struct cs_replica *r, uint64_t after, uint64_t limit, size_t *count,
                       char *err, size_t errlen);

/*
 * The change log: each write transaction is logged under the keys of the
 * rows it wrote (a hub: the org units that place them), as the range of
 * seqs it wrote, so that a peer's change set is read by index in the keys
 * of its scope (cs_since_filter.keys) rather than by walking every
 * version. The store does not know what keys mean; the caller's hooks say.
 */
struct cs_log_hooks {
    /*
     * The keys (> 0) a row is logged under, the domain tables as the
     * transaction leaves them: how many were put in keys (at most max; 0:
     * key 0, which every keyed read includes), or a negative code.
     */
    int (*row_keys)(void *ud, const char *table, const struct cs_id *row, int64_t *keys,
                    size_t max);
    /*
     * Optional: a row's keys changed (first: it had none yet), inside the
     * writing transaction, after its older versions were logged under the
     * new keys; rows placed through it follow with cs_replica_log_rekey.
     */
    int (*moved)(void *ud, const char *table, const struct cs_id *row, int first);
    void *ud;
};
#define CS_LOG_KEYS_MAX 32

/*
 * Installs the hooks (hooks NULL: none). A replica without a log gets one,
 * built from its versions and the rows' keys now, in one transaction (the
 * migration of a store made before the log). From then on a transaction
 * written without hooks is logged under key 0.
 */
int cs_replica_set_log(struct cs_replica *r, const struct cs_log_hooks *hooks, char *err,
                       size_t errlen);
/* Inside a write transaction (a moved hook): asks a row's keys again, as a commit does. */
int cs_replica_log_rekey(struct cs_replica *r, const char *table, const struct cs_id *row);
/* Inside a write transaction: every entry under key from is also under key to. */
int cs_replica_log_copy(struct cs_replica *r, int64_t from, int64_t to);

/* A change the hub refused, by its identity. */
struct cs_refused_id {
    const char *table, *column;
    struct cs_id row;
    uint64_t hlc;
    struct cs_id origin;
};

/*
 * cs_replica_restamp(r, after, limit), and in the same pass the writes the
 * hub refused because their stamp was too far ahead (that could not be
 * re-stamped before: they had gone out on a stick): each of ours among ids
 * gets a stamp from the corrected clock and a new seq, so the next sync
 * sends it again. The hub's cursor is past the old seq, so a stale copy of
 * the stick cannot bring the old stamp back.
 */
int cs_replica_reissue(struct cs_replica *r, const struct cs_refused_id *ids, size_t n,
                       uint64_t after, uint64_t limit, size_t *count, char *err, size_t errlen);

/* Open conflicts, for status lines. */
int cs_replica_conflict_count(struct cs_replica *r, uint64_t *count);

/* The numbers of conflicts: CS_CONFLICT_NUMBER_MIN..MAX, all six digits. */
#define CS_CONFLICT_NUMBER_MIN 100000
#define CS_CONFLICT_NUMBER_MAX 999999
/*
 * The number people name an open conflict by: a hash of the losing
 * version's identity (its register and its stamp and origin), so it is the
 * same on every device that holds the conflict and stays the same while it
 * is open, whatever else arrives, unlike a local seq. Two open conflicts
 * may share a number (about one chance in 900,000 per pair).
 */
uint32_t cs_replica_conflict_number(const char *table, const struct cs_id *row, const char *column,
                                    uint64_t hlc, const struct cs_id *origin);

/*
 * Who wrote a row first: the origin of its version with the lowest seq here
 * (the hub places a row by the device that first sent it). 0, -ENOENT when
 * the replica has no version of the row, or an error code.
 */
int cs_replica_first_writer(struct cs_replica *r, const char *table, const struct cs_id *row,
                            struct cs_id *origin);

/*
 * Whether origin has written register (table, row, column) again since seq
 * `after` of this replica: 1 yes, 0 no, or an error code.
 */
int cs_replica_has_later(struct cs_replica *r, const char *table, const struct cs_id *row,
                         const char *column, const struct cs_id *origin, uint64_t after);

/*
 * The site id of the replica in an SQLite database opened by other means
 * (a backup being checked), without opening it as a replica: 0,
 * CS_ECORRUPT when the file holds no replica's site id, or an error code.
 */
int cs_replica_site_of(sqlite3 *db, struct cs_id *site);

/*
 * BLAKE2b-256 over every version (identity, prev, cl, value, state) in a
 * canonical order. Equal hashes mean equal replicated state, whatever the
 * local seqs and the order things arrived in.
 */
int cs_replica_hash(struct cs_replica *r, uint8_t out[32]);

/* Small local settings (not replicated): text by key; get gives -ENOENT when unset. */
int cs_replica_meta_get(struct cs_replica *r, const char *key, char *buf, size_t buflen);
int cs_replica_meta_set(struct cs_replica *r, const char *key, const char *value);
/*
 * Empties a setting that held a secret (a spent enrollment secret) and
 * moves the write-ahead log into the file at once, so that with
 * secure_delete (replica.c) no copy of the old value stays on disk; the
 * checkpoint is best effort (another connection may be reading).
 */
int cs_replica_meta_forget(struct cs_replica *r, const char *key);

#endif
