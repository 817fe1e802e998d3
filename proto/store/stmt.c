/* SPDX-License-Identifier: MIT */
/*
 * SQLite helpers shared by the store and the hub (cellsync/sqlstmt.h): a
 * cache of prepared statements indexed by an enum beside an array of SQL
 * (as sqlite's own fts5_storage.c does), stepping a statement that returns
 * no rows, and the mapping between a cs_value and an SQLite value. Every
 * function here returns an SQLite result code, so that its caller can copy
 * sqlite3_errmsg() with it.
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "cellsync/changeset.h"
#include "cellsync/sqlstmt.h"

void
cs_stmt_cache_init(struct cs_stmt_cache *c, sqlite3 *db, const char *const *sql, int n)
{
    c->db = db;
    c->sql = sql;
    c->stmt = NULL;
    c->n = n;
}

int
cs_stmt_get(struct cs_stmt_cache *c, int id, sqlite3_stmt **out)
{
    *out = NULL;
    if (id < 0 || id >= c->n)
        return SQLITE_MISUSE;
    if (c->stmt == NULL && (c->stmt = calloc((size_t)c->n, sizeof(*c->stmt))) == NULL)
        return SQLITE_NOMEM;
    if (c->stmt[id] == NULL) {
        int rc = sqlite3_prepare_v3(c->db, c->sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[id],
                                    NULL);
        if (rc != SQLITE_OK)
            return rc;
    } else {
        /* A failure of the last use was its user's to report. */
        sqlite3_reset(c->stmt[id]);
        sqlite3_clear_bindings(c->stmt[id]);
    }
    *out = c->stmt[id];
    return SQLITE_OK;
}

void
cs_stmt_cache_release(struct cs_stmt_cache *c)
{
    if (c->stmt != NULL)
        for (int i = 0; i < c->n; i++)
            sqlite3_finalize(c->stmt[i]);
    free(c->stmt);
    c->stmt = NULL;
}

int
cs_step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    int rc2 = sqlite3_reset(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        rc = SQLITE_OK;
    if (rc == SQLITE_OK)
        rc = rc2;
    return rc;
}

int
cs_value_bind(sqlite3_stmt *st, int i, const struct cs_value *v)
{
    /* Empty text and blobs are bound as such, not as NULL: a pointer is needed for that. */
    switch (v->type) {
    case CS_VINT:
        return sqlite3_bind_int64(st, i, v->i);
    case CS_VFLOAT:
        return sqlite3_bind_double(st, i, v->f);
    case CS_VTEXT:
        return sqlite3_bind_text(st, i, v->n ? v->p : "", (int)v->n, SQLITE_STATIC);
    case CS_VBLOB:
        return sqlite3_bind_blob(st, i, v->n ? v->p : "", (int)v->n, SQLITE_STATIC);
    default:
        return sqlite3_bind_null(st, i);
    }
}

void
cs_value_column(sqlite3_stmt *st, int i, struct cs_value *v)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        v->type = CS_VINT;
        v->i = sqlite3_column_int64(st, i);
        break;
    case SQLITE_FLOAT:
        v->type = CS_VFLOAT;
        v->f = sqlite3_column_double(st, i);
        break;
    case SQLITE_TEXT:
        v->type = CS_VTEXT;
        v->p = sqlite3_column_text(st, i);
        v->n = (size_t)sqlite3_column_bytes(st, i);
        break;
    case SQLITE_BLOB:
        v->type = CS_VBLOB;
        v->p = sqlite3_column_blob(st, i);
        v->n = (size_t)sqlite3_column_bytes(st, i);
        break;
    default:
        v->type = CS_VNIL;
    }
}
