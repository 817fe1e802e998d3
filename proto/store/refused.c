/* SPDX-License-Identifier: MIT */
/*
 * The refusals a device keeps (see cellsync/refused.h): the table cs_refused
 * and the view cs_refused_open, made with the store's own tables.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/refused.h"
#include "cellsync/util.h"
#include "store.h"

int
cs_refused_add(struct cs_replica *r, const struct cs_refusal *v, size_t n, int64_t at, char *err,
               size_t errlen)
{
    static const char sql[] =
        "INSERT INTO cs_refused (tbl, row, col, hlc, origin, code, reason, at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO UPDATE SET code = excluded.code,"
        " reason = excluded.reason";
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        if (cs_id_cmp(&v[i].origin, &r->site) != 0)
            continue;
        sqlite3_bind_text(st, 1, v[i].table, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, v[i].row.b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, v[i].column, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (int64_t)v[i].hlc);
        sqlite3_bind_blob(st, 5, v[i].origin.b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int(st, 6, v[i].kind);
        sqlite3_bind_text(st, 7, v[i].reason, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 8, at);
        rc = cs_step_done(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : cs__replica_fail(r, rc, err, errlen, "keep the refusals in");
}

int
cs_refused_count(struct cs_replica *r, uint64_t *changes, uint64_t *records)
{
    static const char sql[] =
        "SELECT count(*), count(DISTINCT tbl || hex(row)) FROM cs_refused_open";
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);
    *changes = *records = 0;
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *changes = (uint64_t)sqlite3_column_int64(st, 0);
        *records = (uint64_t)sqlite3_column_int64(st, 1);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : cs_sqlite_code(rc);
}

int
cs_refused_retry(struct cs_replica *r, uint64_t after, uint64_t limit, size_t *count, char *err,
                 size_t errlen)
{
    /*
     * Corrected: a version of the record by this device, not itself refused,
     * stamped after the record's latest refused one.
     */
    static const char sql[] =
        "SELECT f.tbl, f.row, f.col, f.hlc, f.origin FROM cs_refused_open f"
        " WHERE f.origin = ?1 AND EXISTS (SELECT 1 FROM cs_version v WHERE v.tbl = f.tbl"
        " AND v.row = f.row AND v.origin = ?1 AND v.hlc > (SELECT max(g.hlc) FROM cs_refused g"
        " WHERE g.tbl = f.tbl AND g.row = f.row))";
    struct cs_refused_id *ids = NULL;
    char **names = NULL;
    size_t n = 0, cap = 0, capn = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL), ret = 0;

    *count = 0;
    if (rc == SQLITE_OK)
        sqlite3_bind_blob(st, 1, r->site.b, CS_ID_LEN, SQLITE_STATIC);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        if (sqlite3_column_bytes(st, 1) != CS_ID_LEN || sqlite3_column_bytes(st, 4) != CS_ID_LEN)
            continue;
        if (cs_grow((void **)&ids, &cap, n + 1, sizeof(*ids), 8) != 0 ||
            cs_grow((void **)&names, &capn, 2 * n + 2, sizeof(*names), 16) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        names[2 * n] = strdup((const char *)sqlite3_column_text(st, 0));
        names[2 * n + 1] = strdup((const char *)sqlite3_column_text(st, 2));
        if (names[2 * n] == NULL || names[2 * n + 1] == NULL) {
            free(names[2 * n]);
            free(names[2 * n + 1]);
            rc = SQLITE_NOMEM;
            break;
        }
        ids[n].table = names[2 * n];
        ids[n].column = names[2 * n + 1];
        memcpy(ids[n].row.b, sqlite3_column_blob(st, 1), CS_ID_LEN);
        ids[n].hlc = (uint64_t)sqlite3_column_int64(st, 3);
        memcpy(ids[n].origin.b, sqlite3_column_blob(st, 4), CS_ID_LEN);
        n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_OK)
        ret = cs__replica_fail(r, rc, err, errlen, "read the refusals in");
    else if (n > 0)
        ret = cs_replica_reissue(r, ids, n, after, limit, count, err, errlen);
    for (size_t i = 0; i < 2 * n; i++)
        free(names[i]);
    free(names);
    free(ids);
    return ret;
}
