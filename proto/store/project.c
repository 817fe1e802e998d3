/* SPDX-License-Identifier: MIT */
/*
 * The domain tables kept in step with the store (cellsync/replica.h): the
 * current value of every register whose table and column exist in the
 * domain schema is written there in the same transaction, and the row's
 * causal length likewise. The upserts are prepared once per (table, column)
 * from the schema as it is found; inside a merged set the rows wait in a
 * buffer and each is written once, with all its new values.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/replica.h"
#include "cellsync/util.h"
#include "store.h"

/* Register names that may become SQL identifiers of domain tables. */
static int
ident_ok(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return strncmp(s, "cs_", 3) != 0 && strncmp(s, "search_", 7) != 0 &&
           strncmp(s, "sqlite_", 7) != 0 && strncmp(s, "hub_", 4) != 0;
}

static int
column_exists(struct cs_replica *r, const char *table, const char *column, int *yes)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_COLUMN_EXISTS, &st);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *yes = rc == SQLITE_ROW;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
column_count(struct cs_replica *r, const char *table, int *n)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_COLUMN_COUNT, &st);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    if (*n > ROW_COLS_MAX)
        *n = ROW_COLS_MAX;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* 0 past ROW_COLS_MAX: such a column is written on its own. */
static int
column_pos(struct cs_replica *r, const char *table, const char *column, int *pos)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_COLUMN_POS, &st);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *pos = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    if (*pos > ROW_COLS_MAX)
        *pos = 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* The entry of (tbl, col), or of the table at (tbl, 0), added unknown when new; NULL out of memory.
 */
static struct dcol *
dmap_slot(struct cs_replica *r, int64_t tbl, int64_t col)
{
    uint64_t key = (uint64_t)tbl << 32 ^ (uint64_t)col;
    size_t it = 0;
    uint32_t i;
    while (cs__map_next(&r->dmap, key, &it, &i))
        if (r->dcols[i].tbl == tbl && r->dcols[i].col == col)
            return &r->dcols[i];
    if (cs_grow((void **)&r->dcols, &r->capdcols, r->ndcols + 1, sizeof(*r->dcols), 64) != 0 ||
        cs__map_add(&r->dmap, key, (uint32_t)r->ndcols) != 0)
        return NULL;
    struct dcol *d = &r->dcols[r->ndcols++];
    memset(d, 0, sizeof(*d));
    d->tbl = tbl;
    d->col = col;
    return d;
}

/*
 * The prepared upsert for a domain column (or the row's cl when column is
 * "cl"), NULL in *out when the pair is not in the domain schema.
 */
static int
domain_stmt(struct cs_replica *r, int64_t tbl, int64_t col, const char *table, const char *column,
            sqlite3_stmt **out)
{
    int is_cl = strcmp(column, "cl") == 0 && col == 0;
    struct dcol *d = dmap_slot(r, tbl, is_cl ? 0 : col);
    if (d == NULL)
        return SQLITE_NOMEM;
    if (!d->known) {
        int yes = 0, rc;
        d->known = 1;
        d->upsert = NULL;
        /* Registers never write the key or the causal length column directly. */
        if (ident_ok(table) && ident_ok(column) &&
            (is_cl || (strcmp(column, "id") != 0 && strcmp(column, "cl") != 0))) {
            if ((rc = column_exists(r, table, column, &yes)) != SQLITE_OK) {
                d->known = 0;
                return rc;
            }
        }
        if (yes && (rc = is_cl ? column_count(r, table, &d->ncols)
                               : column_pos(r, table, column, &d->pos)) != SQLITE_OK) {
            d->known = 0;
            return rc;
        }
        if (yes) {
            char sql[256];
            /* A row appears in its table with its first value, never before. */
            if (is_cl)
                snprintf(sql, sizeof(sql), "UPDATE \"%s\" SET cl = ?2 WHERE id = ?1", table);
            else
                snprintf(sql, sizeof(sql),
                         "INSERT INTO \"%s\"(id, \"%s\", cl) VALUES (?1, ?2, ?3)"
                         " ON CONFLICT(id) DO UPDATE SET \"%s\" = excluded.\"%s\"",
                         table, column, column, column);
            rc = sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &d->upsert, NULL);
            if (rc != SQLITE_OK) {
                d->known = 0;
                return rc;
            }
        }
    }
    *out = d->upsert;
    return SQLITE_OK;
}

/* Looks a name up by index (for the domain path, which needs the text). */
static int
name_text(struct cs_replica *r, int64_t ix, char *buf, size_t len)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_NAME_TEXT, &st);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, ix);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_CORRUPT;
    }
    sqlite3_reset(st);
    return rc;
}

/* The table's entry (the cl update and the row upsert), resolved. */
int
cs__domain_table(struct cs_replica *r, int64_t tbl, struct dcol **out)
{
    char table[CS_NAME_MAX + 1];
    sqlite3_stmt *up;
    struct dcol *t = dmap_slot(r, tbl, 0);
    int rc;
    if (t == NULL)
        return SQLITE_NOMEM;
    if (!t->known && ((rc = name_text(r, tbl, table, sizeof(table))) != SQLITE_OK ||
                      (rc = domain_stmt(r, tbl, 0, table, "cl", &up)) != SQLITE_OK))
        return rc;
    /* dmap_slot may have moved the entries: look it up again. */
    *out = dmap_slot(r, tbl, 0);
    return SQLITE_OK;
}

/* The row upsert of a table: every domain column, each set only when its bit is in the mask. */
static int
rows_stmt(struct cs_replica *r, int64_t tbl, struct dcol *t)
{
    char table[CS_NAME_MAX + 1];
    sqlite3_stmt *st;
    int rc;
    if (t->rows != NULL)
        return SQLITE_OK;
    if ((rc = name_text(r, tbl, table, sizeof(table))) != SQLITE_OK)
        return rc;
    if ((rc = cs_stmt_get(&r->stmts, ST_COLUMN_NAMES, &st)) != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_str *ins = sqlite3_str_new(r->db), *set = sqlite3_str_new(r->db);
    sqlite3_str_appendf(ins, "INSERT INTO \"%w\"(id, cl", table);
    sqlite3_str_appendf(set, ") ON CONFLICT(id) DO UPDATE SET cl = excluded.cl");
    int k = 0;
    while (k < t->ncols && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0);
        sqlite3_str_appendf(ins, ", \"%w\"", c);
        sqlite3_str_appendf(set,
                            ", \"%w\" = CASE WHEN ?%d & %lld THEN excluded.\"%w\" ELSE \"%w\" END",
                            c, t->ncols + 3, 1LL << k, c, c);
        k++;
    }
    sqlite3_reset(st);
    sqlite3_str_appendf(ins, ") VALUES (?1, ?2");
    for (int i = 0; i < k; i++)
        sqlite3_str_appendf(ins, ", ?%d", i + 3);
    char *tail = sqlite3_str_finish(set);
    if (tail != NULL)
        sqlite3_str_appendall(ins, tail);
    sqlite3_free(tail);
    char *sql = sqlite3_str_finish(ins);
    if (sql == NULL || tail == NULL) {
        sqlite3_free(sql);
        return SQLITE_NOMEM;
    }
    if (k != t->ncols) {
        sqlite3_free(sql);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_SCHEMA : rc;
    }
    rc = sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &t->rows, NULL);
    sqlite3_free(sql);
    return rc;
}

/* The waiting row of (tbl, row), added when new; NULL out of memory. */
struct pend *
cs__pend_get(struct cs_replica *r, int64_t tbl, const struct cs_id *row, int ncols)
{
    uint64_t key;
    /* The last bytes of a UUIDv7 are random; the first are a timestamp. */
    memcpy(&key, row->b + CS_ID_LEN - 8, 8);
    key ^= (uint64_t)tbl * UINT64_C(0x9e3779b97f4a7c15);
    size_t it = 0;
    uint32_t i;
    while (cs__map_next(&r->pmap, key, &it, &i)) {
        struct pend *p = &r->pend[i];
        if (p->tbl == tbl && cs_id_cmp(&p->row, row) == 0)
            return p;
    }
    if (cs_grow((void **)&r->pend, &r->cappend, r->npend + 1, sizeof(*r->pend), 64) != 0)
        return NULL;
    struct pend *p = &r->pend[r->npend];
    p->val = calloc(ncols > 0 ? (size_t)ncols : 1, sizeof(*p->val));
    if (p->val == NULL)
        return NULL;
    p->tbl = tbl;
    p->row = *row;
    p->mask = 0;
    p->ncols = ncols;
    p->cl_raised = 0;
    if (cs__row_cl(r, tbl, row, &p->cl) != SQLITE_OK ||
        cs__map_add(&r->pmap, key, (uint32_t)r->npend) != 0) {
        free(p->val);
        return NULL;
    }
    r->npend++;
    return p;
}

void
cs__pend_clear(struct cs_replica *r)
{
    for (size_t i = 0; i < r->npend; i++) {
        for (int k = 0; k < r->pend[i].ncols; k++)
            sqlite3_value_free(r->pend[i].val[k]);
        free(r->pend[i].val);
    }
    r->npend = 0;
    cs__map_clear(&r->pmap);
}

void
cs__project_rollback(struct cs_replica *r)
{
    cs__pend_clear(r);
    /*
     * The entries are keyed by name indexes, and a name the transaction
     * interned is gone: its index comes back for the next new name. Forget
     * them all (a rollback is rare, and the upserts are prepared again).
     */
    for (size_t i = 0; i < r->ndcols; i++) {
        sqlite3_finalize(r->dcols[i].upsert);
        sqlite3_finalize(r->dcols[i].rows);
    }
    r->ndcols = 0;
    cs__map_clear(&r->dmap);
}

void
cs__project_release(struct cs_replica *r)
{
    cs__project_rollback(r); /* the waiting rows and every column's statements */
    free(r->dcols);
    free(r->pend);
    cs__map_release(&r->dmap);
    cs__map_release(&r->pmap);
}

/* Writes the waiting domain rows, each once. */
int
cs__pend_flush(struct cs_replica *r)
{
    int rc = SQLITE_OK;
    for (size_t i = 0; i < r->npend && rc == SQLITE_OK; i++) {
        struct pend *p = &r->pend[i];
        struct dcol *t = dmap_slot(r, p->tbl, 0);
        uint64_t cl = p->cl;
        if (t == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
        if (p->mask == 0 && !p->cl_raised)
            continue;
        sqlite3_stmt *st = t->upsert;
        if (p->mask != 0) {
            if ((rc = rows_stmt(r, p->tbl, t)) != SQLITE_OK)
                break;
            st = t->rows;
        }
        if (st == NULL)
            continue;
        sqlite3_reset(st);
        sqlite3_bind_blob(st, 1, p->row.b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)cl);
        if (p->mask != 0) {
            for (int k = 0; k < p->ncols; k++) {
                if (p->mask & (UINT64_C(1) << k))
                    sqlite3_bind_value(st, k + 3, p->val[k]);
                else
                    sqlite3_bind_null(st, k + 3);
            }
            sqlite3_bind_int64(st, p->ncols + 3, (int64_t)p->mask);
        }
        rc = cs_step_done(st);
    }
    cs__pend_clear(r);
    return rc;
}

/* Copies a register's new current value into its domain column, if any. */
int
cs__domain_set(struct cs_replica *r, int64_t tbl, const struct cs_id *row, int64_t col,
               sqlite3_value *val, int64_t cl)
{
    char table[CS_NAME_MAX + 1], column[CS_NAME_MAX + 1];
    sqlite3_stmt *up = NULL;
    struct dcol *d = dmap_slot(r, tbl, col);
    if (d == NULL)
        return SQLITE_NOMEM;
    if (d->known) {
        up = d->upsert;
    } else {
        int rc;
        if ((rc = name_text(r, tbl, table, sizeof(table))) != SQLITE_OK ||
            (rc = name_text(r, col, column, sizeof(column))) != SQLITE_OK ||
            (rc = domain_stmt(r, tbl, col, table, column, &up)) != SQLITE_OK)
            return rc;
    }
    if (up == NULL)
        return SQLITE_OK;
    d = dmap_slot(r, tbl, col);
    if (r->batching && d != NULL && d->pos > 0) {
        struct dcol *t;
        int rc = cs__domain_table(r, tbl, &t);
        if (rc != SQLITE_OK)
            return rc;
        if (t->upsert != NULL && d->pos <= t->ncols) {
            struct pend *p = cs__pend_get(r, tbl, row, t->ncols);
            sqlite3_value *dup = sqlite3_value_dup(val);
            if (p == NULL || dup == NULL) {
                sqlite3_value_free(dup);
                return SQLITE_NOMEM;
            }
            sqlite3_value_free(p->val[d->pos - 1]);
            p->val[d->pos - 1] = dup;
            p->mask |= UINT64_C(1) << (d->pos - 1);
            return SQLITE_OK;
        }
    }
    sqlite3_reset(up);
    sqlite3_bind_blob(up, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_value(up, 2, val);
    sqlite3_bind_int64(up, 3, cl);
    return cs_step_done(up);
}

int
cs__domain_cl(struct cs_replica *r, int64_t tbl, const struct cs_id *row, int64_t cl)
{
    char table[CS_NAME_MAX + 1];
    sqlite3_stmt *up = NULL;
    struct dcol *d = dmap_slot(r, tbl, 0);
    if (d == NULL)
        return SQLITE_NOMEM;
    if (d->known) {
        up = d->upsert;
    } else {
        int rc;
        if ((rc = name_text(r, tbl, table, sizeof(table))) != SQLITE_OK ||
            (rc = domain_stmt(r, tbl, 0, table, "cl", &up)) != SQLITE_OK)
            return rc;
    }
    if (up == NULL)
        return SQLITE_OK;
    if (r->batching) {
        /* The waiting row takes the row's cl when it is written. */
        d = dmap_slot(r, tbl, 0);
        struct pend *p = d == NULL ? NULL : cs__pend_get(r, tbl, row, d->ncols);
        if (p == NULL)
            return SQLITE_NOMEM;
        p->cl_raised = 1;
        return SQLITE_OK;
    }
    sqlite3_reset(up);
    sqlite3_bind_blob(up, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(up, 2, cl);
    return cs_step_done(up);
}
