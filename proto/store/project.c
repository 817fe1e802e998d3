/* SPDX-License-Identifier: MIT */
/*
 * The domain tables kept in step with the store (cellsync/replica.h): the
 * current value of every register whose table and column are in the domain
 * schema is written there in the same transaction, and the row's causal
 * length likewise. Which tables and columns those are comes from the
 * descriptor compiled into the binary (cellsync/schema.h), the one the
 * tables were made from, never from the database. A table's statements are
 * prepared on first use and kept for the connection's life (dstmt_get). A
 * local write is in the row at once (its caller may read the row back before
 * committing): a new row is inserted whole (DS_INS), an existing one gets an
 * UPDATE of exactly the columns written (one statement per shape, a few kept:
 * a search entry is rebuilt only when a searched column is written). Inside
 * a merged set the rows wait in a buffer and each is written once with all
 * its new values, by an upsert that sets only the columns in a mask (DS_ROW):
 * compiling that mask costs about 1.8 M instructions for the candidate table
 * (against 0.5 M for the insert), which a hub pays once and a one-command
 * process would pay per command.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/changeset.h"
#include "cellsync/replica.h"
#include "cellsync/schema.h"
#include "cellsync/util.h"
#include "store.h"

/* A table's columns are bits of the row upsert's mask: at most ROW_COLS_MAX. */
#define COUNT_COLUMN(name, type, arg, writer, option, label) +1
#define FITS_MASK(name, place, key, writer, label)                                                 \
    _Static_assert(0 CS_SCHEMA_FIELDS_##name(COUNT_COLUMN)                                         \
                           CS_SCHEMA_OTHER_##name(COUNT_COLUMN) <= ROW_COLS_MAX,                   \
                   "table " #name " has too many columns for the row upsert's mask");
CS_SCHEMA_TABLES(FITS_MASK)

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
    d->tix = -1;
    return d;
}

/* Looks a name up by index (the maps are keyed by index, the descriptor by name). */
int
cs__name_text(struct cs_replica *r, int64_t ix, char *buf, size_t len)
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

/*
 * Where the register (tbl, col) goes in the domain schema, or the table
 * tbl's entry when col is 0: *out->tix is the table's index in the
 * descriptor, -1 for none, and *out->pos the column's place (1-based).
 * The pointer is good until the next lookup.
 */
static int
dmap_get(struct cs_replica *r, int64_t tbl, int64_t col, struct dcol **out)
{
    char name[CS_NAME_MAX + 1];
    int rc, tix = -1;
    struct dcol *d = dmap_slot(r, tbl, 0);

    if (d == NULL)
        return SQLITE_NOMEM;
    if (!d->known) {
        size_t n;
        const struct cs_schema_table *all = cs_schema_tables(&n), *t;
        if ((rc = cs__name_text(r, tbl, name, sizeof(name))) != SQLITE_OK)
            return rc;
        t = cs_schema_table(name);
        d->tix = t != NULL ? (int)(t - all) : -1;
        d->ncols = t != NULL ? (int)t->ncolumns : 0;
        d->known = 1;
    }
    tix = d->tix;
    if (col != 0) {
        /* dmap_slot may move the entries: d is not used past here. */
        if ((d = dmap_slot(r, tbl, col)) == NULL)
            return SQLITE_NOMEM;
        if (!d->known && tix >= 0) {
            size_t n;
            const struct cs_schema_table *t = &cs_schema_tables(&n)[tix];
            if ((rc = cs__name_text(r, col, name, sizeof(name))) != SQLITE_OK)
                return rc;
            for (size_t i = 0; i < t->ncolumns && d->pos == 0; i++)
                if (strcmp(t->columns[i].name, name) == 0)
                    d->pos = (int)i + 1;
            d->tix = d->pos > 0 ? tix : -1;
        }
        d->known = 1;
    }
    *out = d;
    return SQLITE_OK;
}

/*
 * The SQL of a table's statement: DS_ROW and DS_INS bind ?1 id, ?2 cl, ?3..
 * the columns, DS_ROW then the mask; DS_HAS finds the row ?1; DS_CL sets the
 * row ?1's cl to ?2; DS_GET reads the row ?1's columns, column k + 1 the k-th.
 */
static char *
table_sql(sqlite3 *db, const struct cs_schema_table *t, int kind)
{
    int n = (int)t->ncolumns;
    sqlite3_str *s = sqlite3_str_new(db);
    if (kind == DS_CL) {
        sqlite3_str_appendf(s, "UPDATE \"%w\" SET cl = ?2 WHERE id = ?1", t->name);
        return sqlite3_str_finish(s);
    }
    if (kind == DS_GET) {
        sqlite3_str_appendall(s, "SELECT NULL");
        for (int k = 0; k < n; k++)
            sqlite3_str_appendf(s, ", \"%w\"", t->columns[k].name);
        sqlite3_str_appendf(s, " FROM \"%w\" WHERE id = ?1", t->name);
        return sqlite3_str_finish(s);
    }
    if (kind == DS_HAS) {
        sqlite3_str_appendf(s, "SELECT 1 FROM \"%w\" WHERE id = ?1", t->name);
        return sqlite3_str_finish(s);
    }
    sqlite3_str_appendf(s, "INSERT INTO \"%w\"(id, cl", t->name);
    for (int k = 0; k < n; k++)
        sqlite3_str_appendf(s, ", \"%w\"", t->columns[k].name);
    sqlite3_str_appendall(s, ") VALUES (?1, ?2");
    for (int k = 0; k < n; k++)
        sqlite3_str_appendf(s, ", ?%d", k + 3);
    sqlite3_str_appendall(s, ")");
    if (kind == DS_INS)
        return sqlite3_str_finish(s);
    /* A row appears in its table with its first value, never before. */
    sqlite3_str_appendall(s, " ON CONFLICT(id) DO UPDATE SET cl = excluded.cl");
    for (int k = 0; k < n; k++) {
        const char *c = t->columns[k].name;
        sqlite3_str_appendf(s,
                            ", \"%w\" = CASE WHEN ?%d & %lld THEN excluded.\"%w\" ELSE \"%w\" END",
                            c, n + 3, 1LL << k, c, c);
    }
    return sqlite3_str_finish(s);
}

/* A table's statement (table_sql): prepared once per connection (PERSISTENT), fetched reset and
 * unbound. */
static int
dstmt_get(struct cs_replica *r, int tix, int kind, sqlite3_stmt **out)
{
    sqlite3_stmt **st = &r->dstmt[tix][kind];
    if (*st == NULL) {
        size_t n;
        const struct cs_schema_table *t = &cs_schema_tables(&n)[tix];
        char *sql = table_sql(r->db, t, kind);
        if (sql == NULL)
            return SQLITE_NOMEM;
        int rc = sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
        sqlite3_free(sql);
        if (rc != SQLITE_OK)
            return rc;
    } else {
        sqlite3_reset(*st);
        sqlite3_clear_bindings(*st);
    }
    *out = *st;
    return SQLITE_OK;
}

int
cs__domain_table(struct cs_replica *r, int64_t tbl, struct dcol **out)
{
    return dmap_get(r, tbl, 0, out);
}

/* A value with its bytes copied (a waiting row outlives the caller's). */
static int
value_copy(struct cs_value *to, const struct cs_value *v)
{
    *to = *v;
    if ((v->type == CS_VTEXT || v->type == CS_VBLOB)) {
        void *p = malloc(v->n ? v->n : 1);
        if (p == NULL) {
            to->type = CS_VNIL;
            return SQLITE_NOMEM;
        }
        if (v->n)
            memcpy(p, v->p, v->n);
        to->p = p;
    }
    return SQLITE_OK;
}

static void
value_free(struct cs_value *v)
{
    if (v->type == CS_VTEXT || v->type == CS_VBLOB)
        free((void *)v->p);
    v->type = CS_VNIL;
}

/* The key of (tbl, row) in the waiting rows' map. */
static uint64_t
pend_key(int64_t tbl, const struct cs_id *row)
{
    uint64_t key;
    /* The last bytes of a UUIDv7 are random; the first are a timestamp. */
    memcpy(&key, row->b + CS_ID_LEN - 8, 8);
    return key ^ (uint64_t)tbl * UINT64_C(0x9e3779b97f4a7c15);
}

/* The waiting row of (tbl, row), or NULL. */
static struct pend *
pend_find(struct cs_replica *r, int64_t tbl, const struct cs_id *row)
{
    size_t it = 0;
    uint32_t i;
    while (cs__map_next(&r->pmap, pend_key(tbl, row), &it, &i)) {
        struct pend *p = &r->pend[i];
        if (p->tbl == tbl && cs_id_cmp(&p->row, row) == 0)
            return p;
    }
    return NULL;
}

/* The waiting row of (tbl, row), added when new; NULL out of memory. */
struct pend *
cs__pend_get(struct cs_replica *r, int64_t tbl, const struct cs_id *row, int ncols)
{
    struct pend *found = pend_find(r, tbl, row);
    if (found != NULL)
        return found;
    uint64_t key = pend_key(tbl, row);
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
            value_free(&r->pend[i].val[k]);
        free(r->pend[i].val);
    }
    r->npend = 0;
    cs__map_clear(&r->pmap);
}

void
cs__project_rollback(struct cs_replica *r)
{
    cs__pend_clear(r);
    cs__domain_value_done(r);
    /*
     * The entries are keyed by name indexes, and a name the transaction
     * interned is gone: its index comes back for the next new name. Forget
     * them all (a rollback is rare); the statements are by table and stay.
     */
    r->ndcols = 0;
    cs__map_clear(&r->dmap);
}

void
cs__project_release(struct cs_replica *r)
{
    cs__project_rollback(r); /* the waiting rows */
    for (int i = 0; i < CS_TABLE__COUNT; i++)
        for (int k = 0; k < DS__COUNT; k++) {
            sqlite3_finalize(r->dstmt[i][k]);
            r->dstmt[i][k] = NULL;
        }
    for (int i = 0; i < DSHAPES; i++) {
        sqlite3_finalize(r->dshape[i].st);
        r->dshape[i].st = NULL;
    }
    free(r->dcols);
    free(r->pend);
    cs__map_release(&r->dmap);
    cs__map_release(&r->pmap);
}

/*
 * The UPDATE of exactly the columns of mask (column k bound as ?k+3, cl as
 * ?2, the row as ?1), prepared once per shape; the last DSHAPES are kept.
 */
static int
shape_get(struct cs_replica *r, int tix, uint64_t mask, sqlite3_stmt **out)
{
    for (int i = 0; i < DSHAPES; i++) {
        struct dshape *h = &r->dshape[i];
        if (h->st != NULL && h->tix == tix && h->mask == mask) {
            sqlite3_reset(h->st);
            sqlite3_clear_bindings(h->st);
            *out = h->st;
            return SQLITE_OK;
        }
    }
    size_t n;
    const struct cs_schema_table *t = &cs_schema_tables(&n)[tix];
    sqlite3_str *s = sqlite3_str_new(r->db);
    sqlite3_str_appendf(s, "UPDATE \"%w\" SET cl = ?2", t->name);
    for (int k = 0; k < (int)t->ncolumns; k++)
        if (mask & (UINT64_C(1) << k))
            sqlite3_str_appendf(s, ", \"%w\" = ?%d", t->columns[k].name, k + 3);
    sqlite3_str_appendall(s, " WHERE id = ?1");
    char *sql = sqlite3_str_finish(s);
    if (sql == NULL)
        return SQLITE_NOMEM;
    struct dshape *h = &r->dshape[r->nshape++ % DSHAPES];
    sqlite3_finalize(h->st);
    h->st = NULL;
    int rc = sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &h->st, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return rc;
    h->tix = tix;
    h->mask = mask;
    *out = h->st;
    return SQLITE_OK;
}

/*
 * Writes the columns of mask (vals[k] for bit k) into the row, now: a new
 * row is inserted (its other columns NULL), an existing one updated in just
 * those columns.
 */
static int
row_put(struct cs_replica *r, int tix, const struct cs_id *row, int64_t cl, uint64_t mask,
        const struct cs_value *vals)
{
    sqlite3_stmt *has, *put;
    size_t n;
    int ncols = (int)cs_schema_tables(&n)[tix].ncolumns, rc;
    if ((rc = dstmt_get(r, tix, DS_HAS, &has)) != SQLITE_OK)
        return rc;
    sqlite3_bind_blob(has, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    rc = sqlite3_step(has);
    sqlite3_reset(has);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return rc;
    if ((rc = rc == SQLITE_ROW ? shape_get(r, tix, mask, &put) : dstmt_get(r, tix, DS_INS, &put)) !=
        SQLITE_OK)
        return rc;
    sqlite3_bind_blob(put, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(put, 2, cl);
    for (int k = 0; k < ncols; k++)
        if (mask & (UINT64_C(1) << k))
            cs_value_bind(put, k + 3, &vals[k]);
    return cs_step_done(put);
}

/* Writes the waiting domain rows, each once. */
int
cs__pend_flush(struct cs_replica *r, int masked)
{
    int rc = SQLITE_OK;
    for (size_t i = 0; i < r->npend && rc == SQLITE_OK; i++) {
        struct pend *p = &r->pend[i];
        struct dcol *t;
        sqlite3_stmt *st;
        if (p->mask == 0 && !p->cl_raised)
            continue;
        if ((rc = dmap_get(r, p->tbl, 0, &t)) != SQLITE_OK)
            break;
        if (t->tix < 0)
            continue;
        if (!masked && p->mask != 0) {
            rc = row_put(r, t->tix, &p->row, (int64_t)p->cl, p->mask, p->val);
            continue;
        }
        if ((rc = dstmt_get(r, t->tix, p->mask != 0 ? DS_ROW : DS_CL, &st)) != SQLITE_OK)
            break;
        sqlite3_bind_blob(st, 1, p->row.b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)p->cl);
        if (p->mask != 0) {
            for (int k = 0; k < p->ncols; k++)
                if (p->mask & (UINT64_C(1) << k))
                    cs_value_bind(st, k + 3, &p->val[k]);
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
               const struct cs_value *val, int64_t cl)
{
    struct dcol *d;
    int rc = dmap_get(r, tbl, col, &d);
    if (rc != SQLITE_OK || d->tix < 0)
        return rc;
    int tix = d->tix, pos = d->pos;
    if (r->batching) {
        size_t n;
        int ncols = (int)cs_schema_tables(&n)[tix].ncolumns;
        struct pend *p = cs__pend_get(r, tbl, row, ncols);
        if (p == NULL)
            return SQLITE_NOMEM;
        value_free(&p->val[pos - 1]);
        if (value_copy(&p->val[pos - 1], val) != SQLITE_OK)
            return SQLITE_NOMEM;
        p->mask |= UINT64_C(1) << (pos - 1);
        return SQLITE_OK;
    }
    struct cs_value vals[ROW_COLS_MAX];
    vals[pos - 1] = *val;
    return row_put(r, tix, row, cl, UINT64_C(1) << (pos - 1), vals);
}

int
cs__domain_cl(struct cs_replica *r, int64_t tbl, const struct cs_id *row, int64_t cl)
{
    struct dcol *d;
    sqlite3_stmt *st;
    int rc = dmap_get(r, tbl, 0, &d);
    if (rc != SQLITE_OK || d->tix < 0)
        return rc;
    if (r->batching) {
        /* The waiting row takes the row's cl when it is written. */
        struct pend *p = cs__pend_get(r, tbl, row, d->ncols);
        if (p == NULL)
            return SQLITE_NOMEM;
        p->cl_raised = 1;
        return SQLITE_OK;
    }
    if ((rc = dstmt_get(r, d->tix, DS_CL, &st)) != SQLITE_OK)
        return rc;
    sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, cl);
    return cs_step_done(st);
}

int
cs__domain_holds(struct cs_replica *r, int64_t tbl, int64_t col, const struct cs_value *val,
                 int *holds)
{
    struct dcol *d;
    int rc = dmap_get(r, tbl, col, &d);
    *holds = 0;
    if (rc != SQLITE_OK || d->tix < 0)
        return rc;
    size_t n;
    enum cs_schema_type type = cs_schema_tables(&n)[d->tix].columns[d->pos - 1].type;
    /*
     * The column's affinity (schema.c): TEXT turns a number into text, INTEGER
     * a numeric text or an integral real into an integer; BLOB keeps all.
     */
    switch (type) {
    case CS_SCHEMA_REF:
        *holds = 1;
        break;
    case CS_SCHEMA_INT:
        *holds = val->type == CS_VNIL || val->type == CS_VINT || val->type == CS_VBLOB;
        break;
    default:
        *holds = val->type == CS_VNIL || val->type == CS_VTEXT || val->type == CS_VBLOB;
        break;
    }
    return SQLITE_OK;
}

const struct cs_value *
cs__pend_value(struct cs_replica *r, int64_t tbl, const struct cs_id *row, int64_t col)
{
    struct dcol *d;
    if (!r->batching || dmap_get(r, tbl, col, &d) != SQLITE_OK || d->tix < 0)
        return NULL;
    int pos = d->pos;
    struct pend *p = pend_find(r, tbl, row);
    return p != NULL && p->mask & UINT64_C(1) << (pos - 1) ? &p->val[pos - 1] : NULL;
}

int
cs__domain_value(struct cs_replica *r, int64_t tbl, const struct cs_id *row, int64_t col,
                 struct cs_value *out)
{
    struct dcol *d;
    int rc = dmap_get(r, tbl, col, &d);
    out->type = CS_VNIL;
    if (rc != SQLITE_OK || d->tix < 0)
        return rc;
    int tix = d->tix, pos = d->pos;
    if (r->dget == NULL || r->dget_tix != tix || cs_id_cmp(&r->dget_row, row) != 0) {
        sqlite3_stmt *st;
        cs__domain_value_done(r);
        if ((rc = dstmt_get(r, tix, DS_GET, &st)) != SQLITE_OK)
            return rc;
        sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_TRANSIENT);
        if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
            sqlite3_reset(st);
            return rc == SQLITE_DONE ? SQLITE_OK : rc; /* no row: nil, as DVAL reads it */
        }
        r->dget = st;
        r->dget_tix = tix;
        r->dget_row = *row;
    }
    cs_value_column(r->dget, pos, out);
    return SQLITE_OK;
}

void
cs__domain_value_done(struct cs_replica *r)
{
    if (r->dget != NULL)
        sqlite3_reset(r->dget);
    r->dget = NULL;
}
