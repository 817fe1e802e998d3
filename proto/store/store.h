/* SPDX-License-Identifier: MIT */
/*
 * Private to the replica store, whose code is in three files: replica.c
 * (open and close, the merge rule, local writes, change sets), project.c
 * (the current values written through to the domain tables) and restamp.c
 * (repair after a clock that ran ahead). They share the store's struct and
 * the few functions declared here.
 */
#ifndef CELLSYNC_STORE_H
#define CELLSYNC_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "cellsync/changeset.h"
#include "cellsync/hlc.h"
#include "cellsync/id.h"
#include "cellsync/replica.h"
#include "cellsync/schema.h"
#include "cellsync/sqlstmt.h"
#include "internal.h"

/* A domain table's columns (not id or cl) are bits of its row upsert's mask: at most this many. */
#define ROW_COLS_MAX 62

enum {
    ST_META_GET,
    ST_META_SET,
    ST_NAME_GET,
    ST_NAME_ADD,
    ST_SITE_ADD,
    ST_SITES,
    ST_REG_LOAD,
    ST_VER_CURRENT,
    ST_REG_PUT,
    ST_REG_SET_VAL,
    ST_REG_TO_OLD,
    ST_REG_DELETE,
    ST_REG_VAL,
    ST_OLD_TO_REG,
    ST_OLD_PUT,
    ST_OLD_SET_STATE,
    ST_OLD_DELETE,
    ST_VER_OPEN,
    ST_OLD_CONFLICTED,
    ST_ROW_GET,
    ST_ROW_RAISE,
    ST_SINCE,
    ST_MAX_SEQ,
    ST_CONFLICTS,
    ST_NAME_TEXT,
    ST_RS_REISSUE,
    ST_RS_COLLECT,
    ST_RS_SEEN,
    ST_RS_KEPT_MAX,
    ST_RS_PREV_ROOT,
    ST_RS_KEEP_DROPPED,
    /* Pairs: the statement on cs_reg, then its twin on cs_old (restamp.c runs both). */
    ST_RS_SET_PREV,
    ST_RS_SET_PREV_OLD,
    ST_RS_MARK_HLC,
    ST_RS_MARK_HLC_OLD,
    ST_RS_MARK_PREV,
    ST_RS_MARK_PREV_OLD,
    ST_RS_TURN_HLC,
    ST_RS_TURN_HLC_OLD,
    ST_RS_TURN_PREV,
    ST_RS_TURN_PREV_OLD,
    ST_RS_MOVE,
    ST_RS_MOVE_OLD,
    ST_RS_DELETE,
    ST_RS_DELETE_OLD,
    ST_FIRST_WRITER,
    ST_HAS_LATER,
    ST_VER_HELD,
    ST_COUNT_OWN,
    ST_NEXT_OWN,
    ST_SINCE_RANGE,
    ST_LOG_ADD,
    ST_LOG_RELOG,
    ST_LOG_BEFORE,
    ST_LOG_READ,
    ST_LOG_COPY,
    ST_ROW_KEYS,
    ST_ROW_SET_KEYS,
    ST__COUNT
};

/*
 * Where a register (tbl, col), or a table (tbl, 0), is in the domain schema
 * (cellsync/schema.h), found once by name: the table's index in the
 * descriptor, or -1 when the pair is not there.
 */
struct dcol {
    int64_t tbl, col;
    int known;
    int tix;   /* the table's index in cs_schema_tables(), -1: not a domain table or column */
    int pos;   /* a column: its place in the table's columns and row upsert (1-based) */
    int ncols; /* a table: its domain columns (not id or cl) */
};

/* A domain table's statements (project.c), by the table's index in the descriptor. */
enum { DS_ROW, DS_HAS, DS_INS, DS_CL, DS_GET, DS__COUNT };

/* A local write's UPDATE of the columns of mask in table tix (project.c); the last DSHAPES kept. */
#define DSHAPES 16
struct dshape {
    int tix;
    uint64_t mask;
    sqlite3_stmt *st;
};

/*
 * A domain row waiting for the end of a merged set (cs_replica_apply): the
 * row is written once with every column the set changed, so its search
 * entry is rebuilt once rather than once per register.
 */
struct pend {
    int64_t tbl;
    struct cs_id row;
    uint64_t mask;        /* bit pos - 1: the column has a value in val */
    struct cs_value *val; /* [ncols of the table], with their bytes owned */
    int ncols;
    uint64_t cl;   /* the row's causal length in cs_row, as the set leaves it */
    int cl_raised; /* the set raised it: the domain row takes it */
};

/* A name of cs_name and its index, as looked up. */
struct name_ix {
    char name[CS_NAME_MAX + 1];
    int64_t ix;
};

struct cs_replica {
    sqlite3 *db;
    char *path;
    struct cs_id site;
    int64_t site_ix;
    struct cs_hlc clock;
    uint64_t tx_hlc; /* the open local transaction's stamp, 0 when none */
    int in_tx;
    struct cs_stmt_cache stmts; /* ST_* */
    struct cs_id *sites;        /* site ix -> uuid; ix 0 is unused */
    size_t nsites, capsites;
    /* Columns (tbl, col) and tables (tbl, 0), in the order first met; found through dmap. */
    struct dcol *dcols;
    size_t ndcols, capdcols;
    struct cs__map dmap;                             /* (tbl << 32 ^ col) -> index in dcols */
    sqlite3_stmt *dstmt[CS_TABLE__COUNT][DS__COUNT]; /* prepared on first use, PERSISTENT */
    struct dshape dshape[DSHAPES];
    /* cs__domain_value: the domain row DS_GET of table dget_tix stands on, or dget NULL. */
    sqlite3_stmt *dget;
    int dget_tix;
    struct cs_id dget_row;
    unsigned nshape;   /* the next slot of dshape to take */
    int batching;      /* inside cs_replica_apply: domain rows wait in pend */
    struct pend *pend; /* the rows, in the order first touched */
    size_t npend, cappend;
    struct cs__map pmap; /* the row's random bytes ^ tbl -> index in pend */
    /* cs_name looked up: a set names a few dozen tables and columns, thousands of times. */
    struct name_ix *names;
    size_t nnames, capnames;
    struct cs__map name_map; /* cs__hash of the name -> index in names */
    /* The change log (log.c): on once built; the open transaction's seqs and rows. */
    int log_on;
    struct cs_log_hooks log;
    int64_t log_first, log_last;
    struct log_row *lrows;
    size_t nlrows, caplrows;
    /* The register being merged: its kept versions (cs_reg's first, if any). */
    struct kver *kv;
    size_t capkv;
    int64_t seq_top; /* the highest seq, once read in the open write transaction; else 0 */
};

/* One kept version of a register, as the merge rule reads it (state: enum cs_vstate). */
struct kver {
    uint64_t hlc, prev_hlc;
    int64_t site, prev_site, seq;
    int state;
    int was;     /* merge_one: the state before the arriving version */
    int dropped; /* merge_one: no longer kept (covered() passes it by) */
};

struct log_row {
    int64_t tbl;
    struct cs_id row;
};

/* replica.c */
int cs__replica_fail(struct cs_replica *r, int rc, char *err, size_t errlen, const char *what);
int cs__stamp_cmp(struct cs_replica *r, uint64_t ha, int64_t sa, uint64_t hb, int64_t sb);
int cs__row_cl(struct cs_replica *r, int64_t tbl, const struct cs_id *row, uint64_t *cl);
/* The interned name of index ix (cs_name) into buf; SQLITE_CORRUPT when there is none. */
int cs__name_text(struct cs_replica *r, int64_t ix, char *buf, size_t len);
/* The next seq, inside a write transaction: dense, never reused; 0 on failure. */
int64_t cs__next_seq(struct cs_replica *r);
/*
 * Works out the states of every kept version of one register from the set
 * alone (the rule in replica.h), moves the winner into cs_reg if it is not
 * there, and copies a new current value to the domain table.
 */
int cs__reg_settle(struct cs_replica *r, int64_t tbl, const struct cs_id *row, int64_t col);
int cs__replica_exec(struct cs_replica *r, const char *sql, char *err, size_t errlen,
                     const char *what);

/* log.c; the setting that says the store has a change log */
#define CS__LOG_META "change_log"
/* A version was stored with this seq (inside a write transaction). */
int cs__log_note(struct cs_replica *r, int64_t tbl, const struct cs_id *row, int64_t seq);
/* Before COMMIT: the transaction logged under its rows' keys. */
int cs__log_commit(struct cs_replica *r);
void cs__log_rollback(struct cs_replica *r);
/* project.c */
int cs__domain_table(struct cs_replica *r, int64_t tbl, struct dcol **out);
struct pend *cs__pend_get(struct cs_replica *r, int64_t tbl, const struct cs_id *row, int ncols);
void cs__pend_clear(struct cs_replica *r);
/* After a rollback: no row waits, and no column is known by a name index any more. */
void cs__project_rollback(struct cs_replica *r);
/* At close: every upsert finalized, the maps freed. */
void cs__project_release(struct cs_replica *r);
/* masked: by the masked upsert (a merged set); else each row read and written whole (row_put). */
int cs__pend_flush(struct cs_replica *r, int masked);
int cs__domain_set(struct cs_replica *r, int64_t tbl, const struct cs_id *row, int64_t col,
                   const struct cs_value *val, int64_t cl);
int cs__domain_cl(struct cs_replica *r, int64_t tbl, const struct cs_id *row, int64_t cl);
/*
 * Whether the domain column of register (tbl, col) gives back val exactly as
 * written (its affinity changes no value of val's type): then cs_reg keeps
 * no copy (val NULL) and the value is read from the domain row. 0 for a
 * register not in the domain schema.
 */
int cs__domain_holds(struct cs_replica *r, int64_t tbl, int64_t col, const struct cs_value *val,
                     int *holds);
/*
 * The current value of a register the domain row holds (val NULL in cs_reg),
 * read from the row; *out is good until the next call or
 * cs__domain_value_done. Nil for a register not in the domain schema. The
 * row read stays open for the next register of the same row: call done
 * before any write.
 */
int cs__domain_value(struct cs_replica *r, int64_t tbl, const struct cs_id *row, int64_t col,
                     struct cs_value *out);
void cs__domain_value_done(struct cs_replica *r);
/* Inside a merged set: the value waiting for the register's domain row, or NULL for none. */
const struct cs_value *cs__pend_value(struct cs_replica *r, int64_t tbl, const struct cs_id *row,
                                      int64_t col);

#endif
