/* SPDX-License-Identifier: MIT */
/*
 * Records as a person names and sees them (see client.h): finding a live
 * record from its short id, reading one column of it, and showing it as
 * "label: value" lines or as JSON.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/output.h"
#include "client.h"

int
records_find(struct client *c, const char *table, const char *text, struct cs_id *out, char *err,
             size_t errlen)
{
    char hex[33];
    size_t n = 0;
    sqlite3_stmt *st = NULL;
    char sql[256];
    int ret;

    /* Keep the hex digits, so both "0197...-..." and "a1b2c3d4" work. */
    for (const char *p = text; *p && n < sizeof(hex) - 1; p++) {
        if (*p == '-')
            continue;
        if (!isxdigit((unsigned char)*p))
            return cs_errf(err, errlen, CS_EINVAL,
                           _("'%s' is not a record id (ids are hex digits, as in lists)"), text);
        hex[n++] = (char)toupper((unsigned char)*p);
    }
    hex[n] = 0;
    if (n < 4 || strlen(text) > 36)
        return cs_errf(err, errlen, CS_EINVAL,
                       _("'%s' is not a record id (give at least 4 of its hex digits)"), text);
    snprintf(sql, sizeof(sql),
             "SELECT id FROM \"%s\" WHERE cl %% 2 = 1 AND substr(hex(id), -?2) = ?1 LIMIT 2",
             table);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return cs_errf(err, errlen, CS_ESQLITE, "%s", sqlite3_errmsg(c->db));
    sqlite3_bind_text(st, 1, hex, (int)n, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int)n);
    int found = 0;
    while (sqlite3_step(st) == SQLITE_ROW && found < 2) {
        if (sqlite3_column_bytes(st, 0) == CS_ID_LEN)
            memcpy(out->b, sqlite3_column_blob(st, 0), CS_ID_LEN);
        found++;
    }
    sqlite3_finalize(st);
    if (found == 0)
        ret = cs_errf(err, errlen, CS_ENOTFOUND, _("no %s with id '%s'"), _(table), text);
    else if (found > 1)
        ret = cs_errf(err, errlen, CS_EAMBIGUOUS,
                      _("more than one %s has an id ending in '%s': give more digits"), _(table),
                      text);
    else
        ret = 0;
    return ret;
}

int
records_text(struct client *c, const char *table, const struct cs_id *row, const char *column,
             char *buf, size_t len)
{
    char sql[256];
    sqlite3_stmt *st;
    int ret = CS_ENOTFOUND;
    snprintf(sql, sizeof(sql), "SELECT coalesce(\"%s\", '') FROM \"%s\" WHERE id = ?1", column,
             table);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return CS_ESQLITE;
    sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    buf[0] = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
        ret = 0;
    }
    sqlite3_finalize(st);
    return ret;
}

/* The SQL expression that shows a field: labels for codes, short ids for references. */
static void
field_expr(const struct field *f, const char *alias, int json, char *buf, size_t len)
{
    if (f->type == FT_CODE && !json)
        snprintf(buf, len, "label('%s', %s.\"%s\")", f->arg, alias, f->column);
    else if (f->type == FT_REF)
        snprintf(buf, len, "%s(%s.\"%s\")", json ? "uuid" : "short_id", alias, f->column);
    else
        snprintf(buf, len, "%s.\"%s\"", alias, f->column);
}

int
records_json_expr(const struct entity *e, const char *alias, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "json_object('id', uuid(%s.id)", alias);
    for (size_t i = 0; i < e->nfields && n < len; i++) {
        char expr[128];
        field_expr(&e->fields[i], alias, 1, expr, sizeof(expr));
        n += (size_t)snprintf(buf + n, len - n, ", '%s', %s", e->fields[i].column, expr);
    }
    if (n + 2 > len)
        return CS_ETOOBIG;
    snprintf(buf + n, len - n, ")");
    return 0;
}

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
            field_expr(&e->fields[i], "r", 0, expr, sizeof(expr));
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
