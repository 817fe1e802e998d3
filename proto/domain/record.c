/* SPDX-License-Identifier: MIT */
/*
 * Deleting and restoring records (cellsync/record.h). Nothing is removed:
 * the row life register goes even or odd again through the replica, and
 * who did it is read back from that register's current version in the
 * store's public view cs_version.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/record.h"
#include "cellsync/schema.h"
#include "internal.h"

/* What a record of table is called, translated. */
static const char *
record_label(const char *table)
{
    const struct cs_schema_table *t = cs_schema_table(table);
    return t != NULL ? _(t->label) : table;
}

/* The SQL expression that names a record of table aliased x, for lists of deleted ones. */
static const char *
name_expr(const char *table)
{
    if (strcmp(table, "candidate") == 0 || strcmp(table, "member") == 0)
        return "x.full_name";
    if (strcmp(table, "meeting") == 0)
        return "coalesce(strftime('%d/%m/%Y', x.held_on), x.held_on) || ' ' || "
               "coalesce(x.agenda, '')";
    return "NULL";
}

/* A record's cl: 0 and *cl set, CS_ENOTFOUND, CS_EINVAL for a table not in the schema. */
static int
row_cl(sqlite3 *db, const char *table, const struct cs_id *row, int64_t *cl)
{
    char sql[128];
    sqlite3_stmt *st;
    int ret = CS_ENOTFOUND;

    if (cs_schema_table(table) == NULL)
        return CS_EINVAL;
    snprintf(sql, sizeof(sql), "SELECT cl FROM \"%s\" WHERE id = ?1", table);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return CS_ESQLITE;
    sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *cl = sqlite3_column_int64(st, 0);
        ret = 0;
    } else if (rc != SQLITE_DONE) {
        ret = CS_ESQLITE;
    }
    sqlite3_finalize(st);
    return ret;
}

static int
set_life(struct cs_replica *r, const char *table, const struct cs_id *row, int live, char *err,
         size_t errlen)
{
    char shrt[CS_ID_SHORT_LEN + 1];
    int64_t cl = 0;
    int ret;

    cs_id_short(row, shrt);
    if ((ret = cs_replica_begin(r, err, errlen)) != 0)
        return ret;
    ret = row_cl(cs_replica_db(r), table, row, &cl);
    if (ret == CS_ENOTFOUND || ret == CS_EINVAL) {
        ret =
            cs_errf(err, errlen, CS_ENOTFOUND, _("no %s with id '%s'"), record_label(table), shrt);
        goto out;
    }
    if (ret != 0) {
        ret = cs_errf(err, errlen, ret, "%s", sqlite3_errmsg(cs_replica_db(r)));
        goto out;
    }
    if ((cl % 2 == 1) == live) {
        ret = cs_errf(err, errlen, CS_EINVAL,
                      live ? _("the %s '%s' is not deleted") : _("the %s '%s' is already deleted"),
                      record_label(table), shrt);
        goto out;
    }
    if ((ret = live ? cs_replica_undelete_row(r, table, row, err, errlen)
                    : cs_replica_delete_row(r, table, row, err, errlen)) != 0 ||
        (ret = cs_replica_commit(r, err, errlen)) != 0)
        goto out;
out:
    if (ret != 0)
        cs_replica_rollback(r);
    return ret;
}

int
cs_record_text(sqlite3 *db, const char *table, const struct cs_id *row, const char *column,
               char *buf, size_t len)
{
    char sql[256];
    sqlite3_stmt *st;
    int ret = CS_ENOTFOUND;
    snprintf(sql, sizeof(sql), "SELECT coalesce(\"%s\", '') FROM \"%s\" WHERE id = ?1", column,
             table);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
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

int
cs_record_delete(struct cs_replica *r, const char *table, const struct cs_id *row, char *err,
                 size_t errlen)
{
    return set_life(r, table, row, 0, err, errlen);
}

int
cs_record_undelete(struct cs_replica *r, const char *table, const struct cs_id *row, char *err,
                   size_t errlen)
{
    return set_life(r, table, row, 1, err, errlen);
}

const char *
cs_device_label(sqlite3 *db, const struct cs_id *self, const struct cs_id *id, char *buf,
                size_t len)
{
    static const char sql[] = "SELECT name FROM device WHERE id = ?1 AND length(name) > 0";
    sqlite3_stmt *st = NULL;

    if (self != NULL && cs_id_cmp(id, self) == 0) {
        snprintf(buf, len, "%s", _("this device"));
        return buf;
    }
    /* A replica of a version before the table, or a device the hub has not named: its id. */
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
            sqlite3_finalize(st);
            return buf;
        }
    }
    sqlite3_finalize(st);
    char shrt[CS_ID_SHORT_LEN + 1];
    cs_id_short(id, shrt);
    snprintf(buf, len, "%s", shrt);
    return buf;
}

static void
sql_device_label(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    char buf[CS_DEVICE_LABEL_LEN];
    struct cs_id id;

    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_BLOB || sqlite3_value_bytes(argv[0]) != CS_ID_LEN) {
        sqlite3_result_null(ctx);
        return;
    }
    memcpy(id.b, sqlite3_value_blob(argv[0]), CS_ID_LEN);
    cs_device_label(sqlite3_context_db_handle(ctx), sqlite3_user_data(ctx), &id, buf, sizeof(buf));
    sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

int
cs_device_sql_register(sqlite3 *db, const struct cs_id *self)
{
    return sqlite3_create_function(db, "device_label", 1, SQLITE_UTF8, (void *)self,
                                   sql_device_label, NULL, NULL) == SQLITE_OK
               ? 0
               : CS_ESQLITE;
}

int
cs_record_life(struct cs_replica *r, const char *table, const struct cs_id *row,
               struct cs_record_life *out)
{
    static const char sql[] = "SELECT hlc, origin FROM cs_version WHERE tbl = ?1 AND row = ?2"
                              " AND col = '" CS_COL_LIFE "' AND state = 'current'";
    sqlite3 *db = cs_replica_db(r);
    sqlite3_stmt *st;
    int64_t cl;
    int ret;

    memset(out, 0, sizeof(*out));
    if ((ret = row_cl(db, table, row, &cl)) != 0)
        return ret == CS_EINVAL ? CS_ENOTFOUND : ret;
    out->live = cl % 2 == 1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return CS_ESQLITE;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, row->b, CS_ID_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 1) == CS_ID_LEN) {
        out->hlc = (uint64_t)sqlite3_column_int64(st, 0);
        memcpy(out->origin.b, sqlite3_column_blob(st, 1), CS_ID_LEN);
        out->ours = cs_id_cmp(&out->origin, cs_replica_site(r)) == 0;
        cs_device_label(db, cs_replica_site(r), &out->origin, out->device, sizeof(out->device));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : CS_ESQLITE;
}

const char *
cs_record_life_text(const struct cs_record_life *l, char *buf, size_t len)
{
    time_t t = (time_t)(cs_hlc_ms(l->hlc) / 1000);
    char when[32] = "?";
    struct tm tm;

    if (l->hlc != 0 && localtime_r(&t, &tm) != NULL)
        strftime(when, sizeof(when), "%d/%m/%Y %H:%M", &tm); /* as people write it */
    if (l->ours)
        snprintf(buf, len, _("%s, by this device"), when);
    else
        snprintf(buf, len, _("%s, by device %s"), when, l->device);
    return buf;
}

int
cs_record_deleted_list(struct cs_replica *r, const char *table, int json, sqlite3_stmt **out,
                       char *err, size_t errlen)
{
    /*
     * The delete's stamp: 48 bits of Unix milliseconds above a 16-bit
     * counter; for JSON as ISO 8601, for a person as DD/MM/YYYY HH:MM.
     */
#define STAMP(fmt)     "strftime('" fmt "', (v.hlc >> 16) / 1000, 'unixepoch', 'localtime')"
#define DELETED_AT_ISO STAMP("%%Y-%%m-%%dT%%H:%%M")
#define DELETED_AT_VI  STAMP("%%d/%%m/%%Y %%H:%%M")
#define FROM_DELETED                                                                               \
    " FROM \"%s\" x LEFT JOIN cs_version v ON v.tbl = ?1 AND v.row = x.id"                         \
    " AND v.col = '" CS_COL_LIFE "' AND v.state = 'current'"                                       \
    " WHERE x.cl %% 2 = 0 ORDER BY v.hlc DESC, x.id"
    char sql[1024];
    sqlite3 *db = cs_replica_db(r);

    *out = NULL;
    if (cs_schema_table(table) == NULL)
        return cs_errf(err, errlen, CS_EINVAL, "%s", _("no such table"));
    if (json)
        snprintf(sql, sizeof(sql),
                 "SELECT json_group_array(json_object('id', uuid(id), 'name', name,"
                 " 'deleted_at', deleted_at, 'deleted_by', uuid(origin)))"
                 " FROM (SELECT x.id AS id, %s AS name, " DELETED_AT_ISO " AS deleted_at,"
                 " v.origin AS origin" FROM_DELETED ")",
                 name_expr(table), table);
    else
        snprintf(sql, sizeof(sql),
                 "SELECT short_id(x.id), %s, " DELETED_AT_VI
                 ", device_label(v.origin)" FROM_DELETED,
                 name_expr(table), table);
#undef FROM_DELETED
#undef DELETED_AT_VI
#undef DELETED_AT_ISO
#undef STAMP
    if (cs_device_sql_register(db, cs_replica_site(r)) != 0 ||
        sqlite3_prepare_v2(db, sql, -1, out, NULL) != SQLITE_OK)
        return cs_errf(err, errlen, CS_ESQLITE, "%s", sqlite3_errmsg(db));
    sqlite3_bind_text(*out, 1, table, -1, SQLITE_STATIC);
    return 0;
}
