/* SPDX-License-Identifier: MIT */
/*
 * The merge load of bench_merge and bench_growth (merge_load.c): a device
 * writing candidates of 7 Vietnamese text registers in local transactions of
 * 10, cut into ~16 KiB chunks sealed to a hub; the hub's whole merge path
 * (hub_peer_merge) over those chunks; the raw SQLite LWW upsert baseline of
 * the same registers; and the hub database's size by table.
 */
#ifndef CELLSYNC_BENCH_MERGE_LOAD_H
#define CELLSYNC_BENCH_MERGE_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "cellsync/changeset.h"
#include "cellsync/key.h"
#include "cellsync/replica.h"
#include "cellsync/sync.h"
#include "hub.h"
#include "peer.h"

#define BM_REGS_PER_CAND 7 /* registers per candidate */
#define BM_MAX_RUNS      64

extern char bm_err[1024];
extern const char *bm_prog; /* the program's name, for messages */

void bm_die(const char *what, int ret) __attribute__((noreturn));
void bm_die_sql(sqlite3 *db, const char *what) __attribute__((noreturn));
void bm_exec(sqlite3 *db, const char *sql);
int64_t bm_pragma_int(sqlite3 *db, const char *sql);
double bm_now(void);
/* This thread's CPU time in seconds (steadier than wall time on a shared machine). */
double bm_cpu(void);
/* The page-cache misses of a connection so far (SQLITE_DBSTATUS_CACHE_MISS). */
int64_t bm_cache_misses(sqlite3 *db);
/* Removes a database and its -wal and -shm files. */
void bm_rm_db(const char *path);
/* Prints "name median min max unit" of n values. */
void bm_summary(const char *name, const double *v, int n, const char *unit);

/*
 * Candidates first .. first+count-1 (the numbers name them) on the device,
 * in local transactions of 10: 7 registers each.
 */
void bm_fill_device(struct cs_replica *r, long first, long count);

/* A device's chunks, sealed to one hub, and the same chunks decoded. */
struct bm_chunks {
    struct cs_chunk *c;
    struct cs_changeset **cs;
    size_t n, cap;
    size_t regs, wire, value_bytes;
    uint64_t seq_last; /* the device seq the last chunk covers */
    int live;          /* live chunks (a session's), not envelopes (a stick's) */
};

/*
 * The device's own writes after seq `after` up to `upto` registers (0: all),
 * cut into chunks as a live sync does (cs_sync_make_chunk), sealed to hub_pk
 * as on a stick, or with hub_pk NULL as live chunks, what a session sends
 * since wire version 6 (zstd_level 0 then).
 * zstd_level 0: sealed as the device seals them (zstd -19); 1..19: the same
 * envelopes with their bodies compressed at that level (the same format:
 * cheaper to make, for a load that is not timed).
 */
void bm_make_chunks(struct cs_replica *r, const struct cs_key *dev, const uint8_t hub_pk[CS_PK_LEN],
                    uint64_t after, size_t upto, int zstd_level, struct bm_chunks *out);
void bm_chunks_free(struct bm_chunks *c);

/*
 * A fresh hub in `state` (hub_init, commune XA-ML and its cell CB-01, and
 * more_units: further lines of the org tree's CSV, or NULL) with the device
 * enrolled as a cell device of CB-01; returns the hub's public key.
 */
void bm_make_hub(const char *state, const char *more_units, const struct cs_key *dev,
                 uint8_t hub_pk[CS_PK_LEN]);
/* The device enrolled at the open hub as a cell device of org. */
void bm_enroll(struct hub *h, const struct cs_key *dev, const char *org);
/*
 * Opens the hub and the device as its peer. normal_sync: synchronous=NORMAL,
 * as the daemon runs it (group commit: it syncs the WAL once per batch of up
 * to 128 jobs); else the replica's own FULL (a WAL sync per commit).
 */
void bm_open_hub(const char *state, const struct cs_key *dev, int normal_sync, struct hub **h,
                 struct hub_peer *p);
void bm_rm_hub(const char *state);

/*
 * hub_peer_merge of every chunk (live or envelopes, as made), one
 * transaction each, as the daemon's worker does; exits if anything is refused or not applied.
 * Returns seconds.
 */
double bm_hub_merge(struct hub *h, struct hub_peer *p, const struct bm_chunks *c);

/* The generic register table of the baselines: (tbl,row,col) primary key. */
extern const char bm_reg_schema[];
/* A fresh database at path (WAL, synchronous=NORMAL) with the register table. */
sqlite3 *bm_open_reg(const char *path);
void bm_bind_change(sqlite3_stmt *st, const struct cs_change *c);

/* Baseline (a): raw per-column LWW upsert into the register table, newer stamp wins. */
struct bm_upsert {
    sqlite3 *db;
    sqlite3_stmt *st;
};
void bm_upsert_open(struct bm_upsert *u, const char *path);
/* One transaction per chunk, as the hub. Returns seconds. */
double bm_upsert_apply(struct bm_upsert *u, const struct bm_chunks *c);
void bm_upsert_close(struct bm_upsert *u, const char *path); /* and removes the file */

/*
 * A database's size after wal_checkpoint(TRUNCATE): the file and WAL bytes,
 * the bytes in use (pages minus free pages), and by b-tree with dbstat when
 * this SQLite has it (SQLITE_ENABLE_DBSTAT_VTAB). The b-trees are sorted
 * into the sync's metadata (those of cs_* and hub_* tables, and the schema)
 * and the domain data (the domain tables with their own indexes).
 */
#define BM_MAX_BTREES 64
struct bm_btree {
    char name[64], table[64];
    int64_t pages, bytes, payload;
    int meta; /* 1: cs_ or hub_ table (or the schema), 0: domain data */
};
struct bm_size {
    int64_t file, wal, wal_before; /* bytes; the WAL before and after the checkpoint */
    int64_t used;                  /* (page_count - freelist_count) * page_size */
    int64_t data, meta;            /* dbstat bytes by kind; -1 without dbstat */
    struct bm_btree bt[BM_MAX_BTREES];
    int nbt; /* sorted by bytes, largest first */
};
void bm_db_size(sqlite3 *db, const char *path, struct bm_size *s);
/* Prints the size, data and metadata per register, and each b-tree of at least min_bytes. */
void bm_size_print(const struct bm_size *s, size_t regs, size_t value_bytes, int64_t min_bytes);

#endif
