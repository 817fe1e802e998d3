/* SPDX-License-Identifier: MIT */
/*
 * The hub's keys of the replica's change log (cellsync/replica.h,
 * cs_replica_set_log): each org unit gets a small number (hub_logkey), and
 * a row is logged under
 *   2n    of every unit on the path from each unit that places it to the
 *         root: a device reads its own unit's, which holds its subtree;
 *   2n+1  of the unit itself, for rows its descendants may read too (org
 *         units, TREE tables): a device reads its ancestors'.
 * Rows the hub cannot place go under key 0, which every device reads; the
 * scope filter judges every row read as before, so a key only narrows
 * what is read, never what is sent.
 *
 * A unit's path is kept in a small cache, emptied whenever the database
 * changed since (SQLITE_FCNTL_DATA_VERSION) and whenever an org unit is
 * placed. A unit that moves copies its subtree's entries to its new
 * ancestors; a record that moves takes the records placed through it along
 * (cs_replica_log_rekey).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/schema.h"
#include "cellsync/util.h"
#include "hub_internal.h"

#define PATH_MAX_UNITS 12 /* a unit and its ancestors */
#define CACHE_SLOTS    256

struct path_slot {
    char code[ORG_MAX];
    int n;     /* 0: empty */
    int fresh; /* a number was made for it in a transaction that may yet roll back */
    int64_t ix[PATH_MAX_UNITS];
};

struct hub_unitlog {
    sqlite3_stmt *get, *add;
    unsigned data_version;
    struct path_slot slot[CACHE_SLOTS];
};

static void
cache_clear(struct hub_unitlog *u)
{
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        u->slot[i].n = 0;
}

/* The unit's number, added when missing if add (*fresh = 1; else 0 when missing). */
static int
unit_ix(struct hub *h, const char *code, int add, int64_t *ix, int *fresh)
{
    struct hub_unitlog *u = h->unitlog;
    sqlite3_reset(u->get);
    sqlite3_bind_text(u->get, 1, code, -1, SQLITE_STATIC);
    int rc = sqlite3_step(u->get);
    *ix = rc == SQLITE_ROW ? sqlite3_column_int64(u->get, 0) : 0;
    sqlite3_reset(u->get);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cs_sqlite_code(rc);
    if (*ix != 0 || !add)
        return 0;
    sqlite3_reset(u->add);
    sqlite3_bind_text(u->add, 1, code, -1, SQLITE_STATIC);
    if ((rc = sqlite3_step(u->add)) != SQLITE_DONE) {
        sqlite3_reset(u->add);
        return cs_sqlite_code(rc);
    }
    sqlite3_reset(u->add);
    *ix = sqlite3_last_insert_rowid(h->db);
    *fresh = 1;
    return 0;
}

/* The numbers of a unit and its live ancestors (the unit first). */
static int
unit_path(struct hub *h, const char *code, int add, const struct path_slot **out)
{
    struct hub_unitlog *u = h->unitlog;
    unsigned dv = 0;
    sqlite3_file_control(h->db, "main", SQLITE_FCNTL_DATA_VERSION, &dv);
    if (dv != u->data_version) {
        cache_clear(u);
        u->data_version = dv;
    }
    uint32_t hash = 2166136261u; /* FNV-1a */
    for (const char *c = code; *c; c++)
        hash = (hash ^ (uint8_t)*c) * 16777619u;
    struct path_slot *p = &u->slot[hash % CACHE_SLOTS];
    if (p->n > 0 && !p->fresh && strcmp(p->code, code) == 0) {
        *out = p;
        return 0;
    }
    size_t len = strlen(code);
    if (len >= sizeof(p->code))
        return CS_EINVAL;
    p->n = 0;
    p->fresh = 0;
    memcpy(p->code, code, len + 1);
    int ret = unit_ix(h, code, add, &p->ix[0], &p->fresh);
    if (ret != 0)
        return ret;
    int n = 1;
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&h->stmts, ST_ANCESTORS, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW && n < PATH_MAX_UNITS) {
        const char *a = (const char *)sqlite3_column_text(st, 0);
        if (a != NULL && (ret = unit_ix(h, a, add, &p->ix[n], &p->fresh)) == 0 && p->ix[n] != 0)
            n++;
    }
    sqlite3_reset(st);
    if (ret != 0)
        return ret;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cs_sqlite_code(rc);
    p->n = n;
    *out = p;
    return 0;
}

static int
log_row_keys(void *ud, const char *table, const struct cs_id *row, int64_t *keys, size_t max)
{
    struct hub *h = ud;
    char units[8][ORG_MAX];
    int tree;
    if (strcmp(table, "org_unit") == 0)
        cache_clear(h->unitlog); /* the tree may be changing in this very transaction */
    int nu = hub_row_units(h, table, row, units, 8, &tree);
    if (nu <= 0)
        return nu;
    size_t n = 0;
    for (int i = 0; i < nu; i++) {
        const struct path_slot *p = NULL;
        int ret = unit_path(h, units[i], 1, &p);
        if (ret != 0)
            return ret;
        if (p->ix[0] == 0)
            return 0;
        if (tree && n < max)
            keys[n++] = 2 * p->ix[0] + 1;
        for (int k = 0; k < p->n && n < max; k++)
            keys[n++] = 2 * p->ix[k];
    }
    return (int)n;
}

/* The records placed through row (a PARENT table's): their keys asked again. */
static int
rekey_children(struct hub *h, const char *table, const struct cs_id *row)
{
    size_t nt;
    const struct cs_schema_table *tabs = cs_schema_tables(&nt);
    for (size_t i = 0; i < nt; i++) {
        const struct cs_schema_table *tb = &tabs[i];
        const struct cs_schema_column *col = cs_schema_column(tb->name, tb->key);
        if (tb->place != CS_SCHEMA_PLACE_PARENT || col == NULL || col->arg == NULL ||
            strcmp(col->arg, table) != 0)
            continue;
        /*
         * The statement is the hub's, kept prepared. A child rekeyed may call
         * back here (log_moved) for its own table, whose children would be
         * another table's: no PARENT table is a parent (cellsync/schema.h),
         * so this statement is not fetched again while it is stepped.
         */
        sqlite3_stmt *st;
        int rc = cs_stmt_get(&h->stmts, ST_CHILDREN + (int)i, &st), ret = 0;
        if (rc != SQLITE_OK)
            return cs_sqlite_code(rc);
        sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
        while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
            if (sqlite3_column_bytes(st, 0) == CS_ID_LEN) {
                struct cs_id child;
                memcpy(child.b, sqlite3_column_blob(st, 0), CS_ID_LEN);
                ret = cs_replica_log_rekey(h->r, tb->name, &child);
            }
        sqlite3_reset(st);
        if (ret != 0)
            return ret;
        if (rc != SQLITE_DONE)
            return cs_sqlite_code(rc);
    }
    return 0;
}

static int
log_moved(void *ud, const char *table, const struct cs_id *row, int first)
{
    struct hub *h = ud;
    if (strcmp(table, "org_unit") != 0)
        return first ? 0 : rekey_children(h, table, row);
    /* A unit placed anew: what lies below it lies below its ancestors now too. */
    char units[8][ORG_MAX];
    int tree;
    cache_clear(h->unitlog);
    if (hub_row_units(h, table, row, units, 8, &tree) != 1)
        return 0;
    const struct path_slot *p = NULL;
    int ret = unit_path(h, units[0], 1, &p);
    for (int k = 1; ret == 0 && k < p->n; k++)
        ret = cs_replica_log_copy(h->r, 2 * p->ix[0], 2 * p->ix[k]);
    return ret;
}

int
hub_log_install(struct hub *h, char *err, size_t errlen)
{
    struct hub_unitlog *u = calloc(1, sizeof(*u));
    if (u == NULL)
        return cs_errf(err, errlen, CS_ENOMEM, "%s", cs_strerror(CS_ENOMEM));
    h->unitlog = u;
    int rc = sqlite3_exec(h->db,
                          "CREATE TABLE IF NOT EXISTS hub_logkey (ix INTEGER PRIMARY KEY,"
                          " code TEXT NOT NULL UNIQUE)",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(h->db, "SELECT ix FROM hub_logkey WHERE code = ?1", -1,
                                SQLITE_PREPARE_PERSISTENT, &u->get, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(h->db, "INSERT INTO hub_logkey(code) VALUES (?1)", -1,
                                SQLITE_PREPARE_PERSISTENT, &u->add, NULL);
    if (rc != SQLITE_OK)
        return cs_errf(err, errlen, cs_sqlite_code(rc), "%s: %s", h->dbpath, sqlite3_errmsg(h->db));
    struct cs_log_hooks hooks = {.row_keys = log_row_keys, .moved = log_moved, .ud = h};
    return cs_replica_set_log(h->r, &hooks, err, errlen);
}

void
hub_log_forget(struct hub *h)
{
    if (h->unitlog != NULL)
        cache_clear(h->unitlog);
}

void
hub_log_release(struct hub *h)
{
    if (h->unitlog == NULL)
        return;
    sqlite3_finalize(h->unitlog->get);
    sqlite3_finalize(h->unitlog->add);
    free(h->unitlog);
    h->unitlog = NULL;
}

int
hub_log_keys(struct hub *h, const char *org, const struct hub_scope *s, int64_t *keys, size_t max,
             size_t *n)
{
    char *const *anc;
    size_t nanc = hub_scope_ancestors(s, &anc);
    int64_t ix;
    int ret, fresh = 0;
    *n = 0;
    if (h->unitlog == NULL || nanc + 1 > max)
        return 0;
    if ((ret = unit_ix(h, org, 0, &ix, &fresh)) != 0)
        return ret;
    keys[(*n)++] = ix != 0 ? 2 * ix : -1; /* -1: nothing logged under it yet */
    for (size_t i = 0; i < nanc; i++) {
        if ((ret = unit_ix(h, anc[i], 0, &ix, &fresh)) != 0) {
            *n = 0;
            return ret;
        }
        if (ix != 0)
            keys[(*n)++] = 2 * ix + 1;
    }
    return 0;
}
