/* SPDX-License-Identifier: MIT */
/*
 * The unit of a record a device writes (see cellsync/unit.h), read from the
 * device's unit and role (meta, from enrollment and the hub's welcome) and
 * the org units the hub sent down.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "cellsync/schema.h"
#include "cellsync/unit.h"
#include "cellsync/util.h"

#define UNIT_MAX 64

/* Whether unit is org or below it, by the live org units of this replica: 1, 0, or < 0. */
static int
below(struct cs_replica *r, const char *org, const char *unit)
{
    static const char sql[] = "WITH RECURSIVE sub(code, depth) AS ("
                              " SELECT code, 0 FROM org_unit WHERE code = ?1 AND cl % 2 = 1"
                              " UNION SELECT o.code, sub.depth + 1 FROM org_unit o"
                              " JOIN sub ON o.parent = sub.code"
                              " WHERE o.cl % 2 = 1 AND sub.depth < 64)"
                              " SELECT 1 FROM sub WHERE code = ?2";
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(cs_replica_db(r), sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, unit, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : cs_sqlite_code(rc);
}

int
cs_unit_check(struct cs_replica *r, const char *unit, char *err, size_t errlen)
{
    char org[UNIT_MAX] = "", role[16] = "";

    if (cs_replica_meta_get(r, CS_META_ORG, org, sizeof(org)) != 0 || org[0] == 0)
        return 0;
    cs_replica_meta_get(r, CS_META_ROLE, role, sizeof(role));
    if (strcmp(unit, org) == 0 || strcmp(role, "hub") == 0)
        return 0;
    if (strcmp(role, "committee") == 0) {
        int ret = below(r, org, unit);
        if (ret < 0)
            return cs_errf(err, errlen, ret, _("cannot read the org units: %s"), cs_strerror(ret));
        if (ret == 1)
            return 0;
        return cs_errf(err, errlen, CS_EINVAL,
                       _("unit '%s' is not this device's unit '%s' nor one below it: this "
                         "device may not write its records"),
                       unit, org);
    }
    return cs_errf(err, errlen, CS_EINVAL,
                   _("unit '%s' is not this device's unit '%s': a cell's device writes the "
                     "records of its own cell only"),
                   unit, org);
}

/* The org_unit the row has in the domain table: 1 with a unit, 0 without, or < 0. */
static int
has_unit(struct cs_replica *r, const char *table, const struct cs_id *row)
{
    char sql[128];
    sqlite3_stmt *st = NULL;
    snprintf(sql, sizeof(sql), "SELECT coalesce(org_unit, '') != '' FROM \"%s\" WHERE id = ?1",
             table);
    int rc = sqlite3_prepare_v2(cs_replica_db(r), sql, -1, &st, NULL);
    int v = 0;
    if (rc == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            v = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? v : cs_sqlite_code(rc);
}

static int
placed_by_unit(const char *table)
{
    const struct cs_schema_table *tb = cs_schema_table(table);
    return tb != NULL && tb->place == CS_SCHEMA_PLACE_ORG && strcmp(tb->key, "org_unit") == 0;
}

int
cs_unit_write(struct cs_replica *r, const char *table, const struct cs_id *row, const char *given,
              char *err, size_t errlen)
{
    char org[UNIT_MAX] = "";
    int ret;

    if (!placed_by_unit(table))
        return 0;
    if (given != NULL) {
        if (given[0] == 0)
            return cs_errf(err, errlen, CS_EINVAL, "%s",
                           _("a record must belong to a unit: give --org a unit code"));
        if ((ret = cs_unit_check(r, given, err, errlen)) != 0)
            return ret;
        return cs_replica_set_text(r, table, row, "org_unit", given, err, errlen);
    }
    if (cs_replica_meta_get(r, CS_META_ORG, org, sizeof(org)) != 0 || org[0] == 0)
        return 0;
    if ((ret = has_unit(r, table, row)) < 0)
        return cs_errf(err, errlen, ret, _("cannot read the record: %s"), cs_strerror(ret));
    return ret == 1 ? 0 : cs_replica_set_text(r, table, row, "org_unit", org, err, errlen);
}

/* The live rows of table without a unit that this device wrote first. OUT: *ids, caller frees. */
static int
orphans(struct cs_replica *r, const char *table, struct cs_id **ids, size_t *n)
{
    char sql[128];
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc, ret = 0;

    snprintf(sql, sizeof(sql),
             "SELECT id FROM \"%s\" WHERE cl %% 2 = 1 AND coalesce(org_unit, '') = ''", table);
    if ((rc = sqlite3_prepare_v2(cs_replica_db(r), sql, -1, &st, NULL)) != SQLITE_OK)
        return cs_sqlite_code(rc);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct cs_id id, origin;
        if (sqlite3_column_bytes(st, 0) != CS_ID_LEN)
            continue;
        memcpy(id.b, sqlite3_column_blob(st, 0), CS_ID_LEN);
        /* Only this device's own records: one from elsewhere is not its to place. */
        if (cs_replica_first_writer(r, table, &id, &origin) != 0 ||
            cs_id_cmp(&origin, cs_replica_site(r)) != 0)
            continue;
        if (cs_grow((void **)ids, &cap, *n + 1, sizeof(**ids), 16) != 0) {
            ret = CS_ENOMEM;
            break;
        }
        (*ids)[(*n)++] = id;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = cs_sqlite_code(rc);
    sqlite3_finalize(st);
    return ret;
}

int
cs_unit_adopt(struct cs_replica *r, size_t *count, char *err, size_t errlen)
{
    char org[UNIT_MAX] = "";
    size_t ntables, total = 0;
    const struct cs_schema_table *tb = cs_schema_tables(&ntables);
    int ret = 0, open = 0;

    if (count != NULL)
        *count = 0;
    if (cs_replica_meta_get(r, CS_META_ORG, org, sizeof(org)) != 0 || org[0] == 0)
        return 0;
    for (size_t t = 0; t < ntables && ret == 0; t++) {
        struct cs_id *ids = NULL;
        size_t n = 0;
        if (!placed_by_unit(tb[t].name))
            continue;
        if ((ret = orphans(r, tb[t].name, &ids, &n)) != 0) {
            cs_errf(err, errlen, ret, _("cannot read the records: %s"), cs_strerror(ret));
        } else if (n > 0 && !open && (ret = cs_replica_begin(r, err, errlen)) == 0) {
            open = 1;
        }
        for (size_t i = 0; i < n && ret == 0; i++)
            ret = cs_replica_set_text(r, tb[t].name, &ids[i], "org_unit", org, err, errlen);
        total += ret == 0 ? n : 0;
        free(ids);
    }
    if (open && ret == 0)
        ret = cs_replica_commit(r, err, errlen);
    if (open && ret != 0)
        cs_replica_rollback(r);
    if (ret == 0 && count != NULL)
        *count = total;
    return ret;
}
