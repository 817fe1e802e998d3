/* SPDX-License-Identifier: MIT */
/*
 * SQLite helpers for the store and for the programs that keep their own
 * tables beside it (the hub): a cache of prepared statements indexed by an
 * enum beside an array of SQL (as sqlite's own fts5_storage.c does),
 * stepping a statement that returns no rows, and the one mapping between a
 * cs_value and an SQLite value. Each returns an SQLite result code, so that
 * its caller can copy sqlite3_errmsg() with it (cs_sqlite_code() in
 * cellsync/util.h makes it one of ours).
 */
#ifndef CELLSYNC_SQLSTMT_H
#define CELLSYNC_SQLSTMT_H

#include <sqlite3.h>

struct cs_value;

/*
 * Prepared statements by id, each prepared on first use with
 * SQLITE_PREPARE_PERSISTENT from sql[id], reset and unbound whenever it is
 * fetched, all finalized by release (before the connection is closed).
 */
struct cs_stmt_cache {
    sqlite3 *db;
    const char *const *sql; /* [n]: borrowed, a static table */
    sqlite3_stmt **stmt;    /* [n]: allocated on first use */
    int n;
};
void cs_stmt_cache_init(struct cs_stmt_cache *c, sqlite3 *db, const char *const *sql, int n);
/* OUT: *out, owned by the cache (NULL on failure). */
int cs_stmt_get(struct cs_stmt_cache *c, int id, sqlite3_stmt **out);
/* Finalizes every statement; accepts a zeroed cache, and may be called twice. */
void cs_stmt_cache_release(struct cs_stmt_cache *c);

/* Steps a statement expected to finish without rows and resets it, keeping the first error. */
int cs_step_done(sqlite3_stmt *st);

/* Binds v as parameter i; text and blobs are SQLITE_STATIC: v's bytes outlive the step. */
int cs_value_bind(sqlite3_stmt *st, int i, const struct cs_value *v);
/* Column i as a cs_value; text and blob bytes are SQLite's until the next step or reset. */
void cs_value_column(sqlite3_stmt *st, int i, struct cs_value *v);

#endif
