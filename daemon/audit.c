/* SPDX-License-Identifier: MIT */
/*
 * The audit trail (every change set accepted or refused, with its
 * envelope) and the refused changes kept for review, among them the
 * clock refusals a device is told again until it replaces them.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cellsync/error.h"
#include "cellsync/util.h"
#include "hub_internal.h"

/* ---- audit ---- */

int
hub_audit(struct hub *h, const struct hub_device *d, const char *verdict,
          const struct cs_envelope_info *info, size_t changes, size_t refused, const char *reason,
          const uint8_t *env, size_t envlen)
{
    struct cs_id dev;
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&h->stmts, ST_AUDIT_ADD, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_int64(st, 1, (int64_t)time(NULL));
    if (d != NULL) {
        sqlite3_bind_blob(st, 2, d->id.b, CS_ID_LEN, SQLITE_TRANSIENT);
    } else if (info != NULL) {
        cs_pk_id(info->origin_pk, &dev);
        sqlite3_bind_blob(st, 2, dev.b, CS_ID_LEN, SQLITE_TRANSIENT);
    }
    sqlite3_bind_text(st, 3, verdict, -1, SQLITE_STATIC);
    if (info != NULL) {
        sqlite3_bind_int64(st, 4, (int64_t)info->seq_first);
        sqlite3_bind_int64(st, 5, (int64_t)info->seq_last);
    }
    sqlite3_bind_int64(st, 6, (int64_t)changes);
    sqlite3_bind_int64(st, 7, (int64_t)refused);
    if (reason != NULL)
        sqlite3_bind_text(st, 8, reason, -1, SQLITE_STATIC);
    if (env != NULL)
        sqlite3_bind_blob64(st, 9, env, envlen, SQLITE_STATIC);
    rc = cs_step_done(st);
    return rc == SQLITE_OK ? 0 : cs_sqlite_code(rc);
}

int
hub_refusal(struct hub *h, const struct hub_device *d, const struct cs_change *c, int kind,
            const char *reason)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&h->stmts, ST_REFUSED_ADD, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_int64(st, 1, (int64_t)time(NULL));
    if (d != NULL)
        sqlite3_bind_blob(st, 2, d->id.b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->table, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, c->row.b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, c->column, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (int64_t)c->hlc);
    sqlite3_bind_blob(st, 7, c->origin.b, CS_ID_LEN, SQLITE_STATIC);
    cs_value_bind(st, 8, &c->value);
    sqlite3_bind_text(st, 9, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, kind); /* the refusal code; CS_REFUSAL_CLOCK is found again */
    sqlite3_bind_int64(st, 11, (int64_t)cs_replica_seq(h->r));
    rc = cs_step_done(st);
    return rc == SQLITE_OK ? 0 : cs_sqlite_code(rc);
}

int
hub_open_clock_refusals(struct hub *h, const struct hub_device *d, struct cs_refusal **out,
                        size_t *n)
{
    sqlite3_stmt *st;
    struct cs_refusal *v = NULL;
    size_t cap = 0;
    int rc = cs_stmt_get(&h->stmts, ST_REFUSED_OPEN, &st);

    *out = NULL;
    *n = 0;
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_blob(st, 1, d->id.b, CS_ID_LEN, SQLITE_STATIC);
    /* At most what one REFUSED message carries: the rest go at the next sync. */
    while ((rc = *n < CS_MSG_REFUSED_MAX ? sqlite3_step(st) : SQLITE_DONE) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 1) != CS_ID_LEN || sqlite3_column_bytes(st, 4) != CS_ID_LEN ||
            sqlite3_column_type(st, 0) != SQLITE_TEXT || sqlite3_column_type(st, 2) != SQLITE_TEXT)
            continue; /* not a change this hub could have refused */
        /*
         * Replaced: a write of the same device to the register has reached
         * the hub since it was first refused (one issued again has a smaller
         * stamp, so this goes by the hub's seq at the refusal).
         */
        struct cs_id row, origin;
        memcpy(row.b, sqlite3_column_blob(st, 1), CS_ID_LEN);
        memcpy(origin.b, sqlite3_column_blob(st, 4), CS_ID_LEN);
        int later = cs_replica_has_later(h->r, (const char *)sqlite3_column_text(st, 0), &row,
                                         (const char *)sqlite3_column_text(st, 2), &origin,
                                         (uint64_t)sqlite3_column_int64(st, 6));
        if (later < 0) {
            rc = later == CS_ENOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
            break;
        }
        if (later)
            continue;
        if (cs_grow((void **)&v, &cap, *n + 1, sizeof(*v), 8) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        struct cs_refusal *r = &v[(*n)++];
        memset(r, 0, sizeof(*r));
        snprintf(r->table, sizeof(r->table), "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(r->column, sizeof(r->column), "%s", (const char *)sqlite3_column_text(st, 2));
        snprintf(r->reason, sizeof(r->reason), "%s",
                 sqlite3_column_text(st, 5) ? (const char *)sqlite3_column_text(st, 5) : "");
        memcpy(r->row.b, sqlite3_column_blob(st, 1), CS_ID_LEN);
        memcpy(r->origin.b, sqlite3_column_blob(st, 4), CS_ID_LEN);
        r->hlc = (uint64_t)sqlite3_column_int64(st, 3);
        r->kind = CS_REFUSAL_CLOCK;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(v);
        *n = 0;
        return rc == SQLITE_NOMEM ? CS_ENOMEM : cs_sqlite_code(rc);
    }
    *out = v;
    return 0;
}
