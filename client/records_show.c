/* SPDX-License-Identifier: MIT */
/*
 * Showing one record as `show` prints it (see client.h, records section):
 * "label: value" lines or its JSON object. Not in records.c, which the
 * hub's commands link too (cellsync_records), because it prints with the
 * client's messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/output.h"
#include "client.h"

int
records_show(struct client *c, const struct entity *e, const struct cs_id *row, int json)
{
    size_t cap = 256 + e->nfields * 128, n = 0;
    char *sql = malloc(cap);
    const char **labels = calloc(e->nfields + 2, sizeof(*labels));
    sqlite3_stmt *st = NULL;
    int ret = CS_EXIT_FAILURE;

    if (sql == NULL || labels == NULL) {
        client_fail("%s", cs_strerror(CS_ENOMEM));
        goto out;
    }
    if (json) {
        n = (size_t)snprintf(sql, cap, "SELECT ");
        if (records_json_expr(e, "r", sql + n, cap - n) != 0) {
            client_fail("%s", cs_strerror(CS_ETOOBIG));
            goto out;
        }
        n = strlen(sql);
    } else {
        n = (size_t)snprintf(sql, cap, "SELECT short_id(r.id)");
        labels[0] = N_("id");
        for (size_t i = 0; i < e->nfields; i++) {
            char expr[128];
            records_field_expr(&e->fields[i], "r", 0, expr, sizeof(expr));
            n += (size_t)snprintf(sql + n, cap - n, ", %s", expr);
            labels[i + 1] = e->fields[i].label;
        }
    }
    snprintf(sql + n, cap - n, " FROM \"%s\" r WHERE r.id = ?1", e->table);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        client_fail("%s", sqlite3_errmsg(c->db));
        goto out;
    }
    sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    char err[512];
    if ((json ? cs_out_json(stdout, st, err, sizeof(err))
              : cs_out_kv(stdout, st, labels, err, sizeof(err))) != 0) {
        client_fail("%s", err);
        goto out;
    }
    ret = CS_EXIT_OK;
out:
    sqlite3_finalize(st);
    free(labels);
    free(sql);
    return ret;
}
