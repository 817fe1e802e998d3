/* SPDX-License-Identifier: MIT */
/*
 * Scopes and authorization (see hub.h): a device's subtree of the org tree,
 * and whether each change it sends lies in it and is open to its role.
 *
 * Authorization places every row in the org tree by the org codes it
 * carries or inherits, and asks whether they all lie in the device's
 * subtree. A row's unit is taken both from the change set and from the
 * hub's current row, so a device can neither write into a record the hub
 * has in another unit nor pull such a record into its own unit by setting
 * its org_unit. The same placement from the hub's rows alone filters what
 * goes down to a device (hub_row_in_scope).
 */
#include <errno.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/candidate.h"
#include "cellsync/codes.h"
#include "cellsync/date.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/refusal.h"
#include "cellsync/util.h"
#include "hub_internal.h"

/* ---- the domain tables, as authorization sees them ---- */

/* The table's entry in the schema's descriptor; t is a valid index. */
static const struct cs_schema_table *
table_at(int t)
{
    size_t n;
    return &cs_schema_tables(&n)[t];
}

static int
table_ix(const char *name)
{
    const struct cs_schema_table *tb = cs_schema_table(name);
    size_t n;
    return tb == NULL ? -1 : (int)(tb - cs_schema_tables(&n));
}

/* A PARENT table's parent: the table its key column refers to. */
static int
parent_ix(const struct cs_schema_table *tb)
{
    const struct cs_schema_column *col = cs_schema_column(tb->name, tb->key);
    return col == NULL || col->arg == NULL ? -1 : table_ix(col->arg);
}

/* ---- one change set's authorization (hub_authz_new) ---- */

struct az_row {
    struct cs_id row;
    int tbl;
    size_t key_ix;    /* 1 + index of the set's last change of the placing column, 0: none */
    size_t parent_ix; /* org_unit: 1 + index of the last change of 'parent', 0: none */
    uint64_t cl;      /* the largest causal length the set gives the row */
    size_t stage_first, stage_last; /* candidate: 1 + indices of its first and last 'stage' */
    int verdict;                    /* 0: not judged yet, 1: in scope, 2: refused */
    int code;                       /* refused: the refusal's code, with reason its text */
    char *reason;
    /* candidate: the stage as the set's changes so far leave it (stage_verdict), or NULL */
    struct cs_rules_facts *facts;
    int facts_new; /* the hub has no record of the candidate */
};

struct hub_authz {
    /* Borrowed: they outlive the object. */
    struct hub *h;
    const struct cs_changeset *cs;
    size_t n;
    const struct hub_device *d;
    const struct hub_scope *s;
    signed char *tix; /* the table of each change, -1 when unknown */
    struct az_row *rows;
    size_t nrows;
    int clock_refused; /* the sender has changes refused for the clock: look each up */
};

struct hub_scope {
    char **sub; /* sorted (strcmp = SQLite's BINARY order) */
    size_t nsub;
    char **anc; /* sorted */
    size_t nanc;
};

/* ---- scope ---- */

static int
codes_load(struct hub *h, int which, const char *org, char ***out, size_t *nout)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    int rc, ret = 0;
    sqlite3_stmt *st;

    *out = NULL;
    *nout = 0;
    if ((rc = cs_stmt_get(&h->stmts, which, &st)) != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(st, 0);
        if (code == NULL)
            continue;
        if (cs_grow((void **)&v, &cap, n + 1, sizeof(*v), 16) != 0) {
            ret = CS_ENOMEM;
            break;
        }
        if ((v[n] = strdup(code)) == NULL) {
            ret = CS_ENOMEM;
            break;
        }
        n++;
    }
    sqlite3_reset(st);
    if (ret == 0 && rc != SQLITE_DONE)
        ret = cs_sqlite_code(rc);
    if (ret != 0) {
        for (size_t i = 0; i < n; i++)
            free(v[i]);
        free(v);
        return ret;
    }
    *out = v;
    *nout = n;
    return 0;
}

void
hub_scope_free(struct hub_scope *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nsub; i++)
        free(s->sub[i]);
    for (size_t i = 0; i < s->nanc; i++)
        free(s->anc[i]);
    free(s->sub);
    free(s->anc);
    free(s);
}

int
hub_scope_load(struct hub *h, const char *org, struct hub_scope **out)
{
    struct hub_scope *s = calloc(1, sizeof(*s));
    int ret;

    *out = NULL;
    if (s == NULL)
        return CS_ENOMEM;
    if ((ret = codes_load(h, ST_SUBTREE, org, &s->sub, &s->nsub)) != 0 ||
        (ret = codes_load(h, ST_ANCESTORS, org, &s->anc, &s->nanc)) != 0) {
        hub_scope_free(s);
        return ret;
    }
    if (s->nsub == 0) {
        hub_scope_free(s);
        return CS_ENOTFOUND;
    }
    *out = s;
    return 0;
}

static int
codes_has(char *const *v, size_t n, const char *code)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(v[mid], code);
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int
hub_scope_has(const struct hub_scope *s, const char *org)
{
    return codes_has(s->sub, s->nsub, org);
}

int
hub_scope_can_read(const struct hub_scope *s, const char *org)
{
    return codes_has(s->sub, s->nsub, org) || codes_has(s->anc, s->nanc, org);
}

size_t
hub_scope_ancestors(const struct hub_scope *s, char *const **out)
{
    *out = s->anc;
    return s->nanc;
}

/* ---- placing rows in the tree ---- */

#define ORGS_MAX 8

/* The units a row belongs to; it is in scope only if all of them are. */
struct orgs {
    int n;
    int unknown;     /* the hub cannot place it (downstream: not sent) */
    int none;        /* upstream: a row placed by org_unit would have none */
    const char *bad; /* the column holding a value of the wrong kind */
    char v[ORGS_MAX][ORG_MAX];
};

static void
orgs_add(struct orgs *o, const char *p, size_t n, const char *col)
{
    if (n == 0)
        return;
    if (n >= ORG_MAX || memchr(p, 0, n) != NULL) {
        o->bad = col;
        return;
    }
    for (int i = 0; i < o->n; i++)
        if (strlen(o->v[i]) == n && memcmp(o->v[i], p, n) == 0)
            return;
    if (o->n == ORGS_MAX) {
        o->bad = col;
        return;
    }
    memcpy(o->v[o->n], p, n);
    o->v[o->n++][n] = 0;
}

static int
az_row_cmp(const void *a, const void *b)
{
    const struct az_row *x = a, *y = b;
    if (x->tbl != y->tbl)
        return x->tbl < y->tbl ? -1 : 1;
    int c = memcmp(x->row.b, y->row.b, CS_ID_LEN);
    if (c != 0)
        return c;
    /* key_ix holds the change index while sorting: keep set order within a row. */
    return (x->key_ix > y->key_ix) - (x->key_ix < y->key_ix);
}

static struct az_row *
az_find(const struct hub_authz *az, int t, const struct cs_id *row)
{
    if (az == NULL)
        return NULL;
    size_t lo = 0, hi = az->nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct az_row *r = &az->rows[mid];
        int c = r->tbl != t ? (r->tbl < t ? -1 : 1) : memcmp(r->row.b, row->b, CS_ID_LEN);
        if (c == 0)
            return &az->rows[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/*
 * The unit of the device that first sent a row, or the hub's root when that
 * was not an enrolled device (the hub itself, or forwarded from elsewhere);
 * *found = 0 if the hub has no version of the row.
 */
static int
creator_org(struct hub *h, int t, const struct cs_id *row, struct orgs *o, int *found)
{
    struct cs_id origin;
    int ret = cs_replica_first_writer(h->r, table_at(t)->name, row, &origin);
    *found = ret == 0;
    if (ret == -ENOENT)
        return 0;
    if (ret != 0)
        return ret;
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&h->stmts, ST_DEV_ORG, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_blob(st, 1, origin.b, CS_ID_LEN, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT)
        orgs_add(o, (const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0),
                 table_at(t)->key);
    else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        orgs_add(o, h->root, strlen(h->root), table_at(t)->key);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : cs_sqlite_code(rc);
}

#define TYPE_TOO_LONG 100 /* beside SQLite's types: too long to be a code or an id */

/*
 * The hub's current value of a row's placing column: *type is the SQLite
 * type (SQLITE_NULL also when there is no such row), the text or blob is
 * copied into buf.
 */
static int
hub_key_value(struct hub *h, int t, const struct cs_id *row, int *type, uint8_t *buf, size_t cap,
              size_t *len)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&h->stmts, ST_KEY + t, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *type = SQLITE_NULL;
    *len = 0;
    if (rc == SQLITE_ROW) {
        *type = sqlite3_column_type(st, 0);
        const void *p = *type == SQLITE_BLOB ? sqlite3_column_blob(st, 0)
                                             : (const void *)sqlite3_column_text(st, 0);
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        if (n > cap) {
            *type = TYPE_TOO_LONG;
        } else if (p != NULL) {
            memcpy(buf, p, n);
            *len = n;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : cs_sqlite_code(rc);
}

/* Whether a table is placed by its org_unit column: ORG, and TREE, which only reads differently. */
static int
placed_by_org(const struct cs_schema_table *tb)
{
    return tb->place == CS_SCHEMA_PLACE_ORG || tb->place == CS_SCHEMA_PLACE_TREE;
}

/*
 * Places a row of an ORG, TREE or PARENT table: adds its units to o. With az
 * (upstream), the set's values count as well as the hub's, and a row the
 * hub has never seen is the device's unit; without (downstream), only the
 * hub's rows count and such a row is unknown.
 */
static int
resolve(struct hub *h, const struct hub_authz *az, int t, const struct cs_id *row, struct orgs *o,
        int depth)
{
    const struct cs_schema_table *tb = table_at(t);
    const struct az_row *r = az_find(az, t, row);
    uint8_t buf[ORG_MAX];
    size_t len;
    int type, got = 0, found, ret;

    if (depth > 2) {
        o->bad = tb->key;
        return 0;
    }
    if (r != NULL && r->key_ix != 0) {
        struct cs_change c;
        cs_changeset_get(az->cs, r->key_ix - 1, &c);
        if (placed_by_org(tb) && c.value.type == CS_VTEXT && c.value.n > 0) {
            orgs_add(o, c.value.p, c.value.n, tb->key);
            got = 1;
        } else if (tb->place == CS_SCHEMA_PLACE_PARENT && c.value.type == CS_VBLOB &&
                   c.value.n == CS_ID_LEN) {
            struct cs_id ref;
            memcpy(ref.b, c.value.p, CS_ID_LEN);
            if ((ret = resolve(h, az, parent_ix(tb), &ref, o, depth + 1)) != 0)
                return ret;
            got = 1;
        } else if (c.value.type != CS_VNIL && !(c.value.type == CS_VTEXT && c.value.n == 0)) {
            o->bad = tb->key;
        } else if (tb->place == CS_SCHEMA_PLACE_ORG) {
            /* The set clears the unit: the row would be left with none. */
            o->none = 1;
            return 0;
        }
    }
    if ((ret = hub_key_value(h, t, row, &type, buf, sizeof(buf), &len)) != 0)
        return ret;
    if (placed_by_org(tb) && type == SQLITE_TEXT && len > 0) {
        orgs_add(o, (const char *)buf, len, tb->key);
        return 0;
    }
    if (tb->place == CS_SCHEMA_PLACE_PARENT && type == SQLITE_BLOB && len == CS_ID_LEN) {
        struct cs_id ref;
        memcpy(ref.b, buf, CS_ID_LEN);
        return resolve(h, az, parent_ix(tb), &ref, o, depth + 1);
    }
    if (type != SQLITE_NULL && !(type == SQLITE_TEXT && len == 0)) {
        o->bad = tb->key;
        return 0;
    }
    /*
     * A row placed by its org_unit must have one: neither the set nor the
     * hub gives it a unit, so no report would count it.
     */
    if (az != NULL && tb->place == CS_SCHEMA_PLACE_ORG && !got) {
        o->none = 1;
        return 0;
    }
    /*
     * The hub has no unit for the row: it stays with the device that first
     * sent it, whatever the set says, so a record without a unit cannot be
     * claimed by another unit.
     */
    if ((ret = creator_org(h, t, row, o, &found)) != 0)
        return ret;
    if (found || got)
        return 0;
    if (az != NULL)
        orgs_add(o, az->d->org, strlen(az->d->org), tb->key);
    else
        o->unknown = 1;
    return 0;
}

/* The hub's code of an org_unit row, "" when it has none. */
static int
hub_unit_code(struct hub *h, const struct cs_id *row, char code[ORG_MAX])
{
    size_t len;
    int type;
    int ret = hub_key_value(h, T_ORG_UNIT, row, &type, (uint8_t *)code, ORG_MAX - 1, &len);
    code[type == SQLITE_TEXT ? len : 0] = 0;
    return ret;
}

/* The text of change ix-1 of the set, "" when nil; -1 when not text or too long. */
static int
set_text(const struct hub_authz *az, size_t ix, char *out, size_t cap)
{
    struct cs_change c;
    cs_changeset_get(az->cs, ix - 1, &c);
    out[0] = 0;
    if (c.value.type == CS_VNIL)
        return 0;
    if (c.value.type != CS_VTEXT || c.value.n >= cap || memchr(c.value.p, 0, c.value.n))
        return -1;
    memcpy(out, c.value.p, c.value.n);
    out[c.value.n] = 0;
    return 0;
}

/* Refuses with a code and its arguments (cellsync/refusal.h): the reason goes in English. */
#define REFUSE(...) return cs_refusal_make(reason, len, __VA_ARGS__)

/* May a unit be the parent of a unit the device writes? New units of the same set count. */
static int
parent_ok(struct hub *h, const struct hub_authz *az, const char *parent, int depth, char *reason,
          size_t len)
{
    char code[ORG_MAX], next[ORG_MAX];
    struct cs_id pid;
    int ret;

    if (hub_scope_has(az->s, parent))
        return 0;
    hub_org_row_id(parent, &pid);
    const struct az_row *pr = az_find(az, T_ORG_UNIT, &pid);
    if (pr != NULL && pr->parent_ix != 0 && depth < 64) {
        if ((ret = hub_unit_code(h, &pid, code)) != 0)
            return ret;
        if (code[0] == 0 && set_text(az, pr->parent_ix, next, sizeof(next)) == 0 && next[0])
            return parent_ok(h, az, next, depth + 1, reason, len);
    }
    REFUSE(CS_REFUSAL_SCOPE, parent, az->d->org);
}

/*
 * The hub's parent and causal length of an org_unit row: parent "" and
 * *cl 0 when the hub has no such row.
 */
static int
hub_unit_tree(struct hub *h, const struct cs_id *row, char parent[ORG_MAX], uint64_t *cl)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&h->stmts, ST_UNIT_TREE, &st);
    parent[0] = 0;
    *cl = 0;
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(st, 0);
        if (p != NULL && (size_t)sqlite3_column_bytes(st, 0) < ORG_MAX)
            snprintf(parent, ORG_MAX, "%s", p);
        *cl = (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : cs_sqlite_code(rc);
}

/*
 * Whether giving unit code the parent `parent` closes a loop: walking up
 * from the new parent, by the set's parents where it moves a unit and the
 * hub's elsewhere, reaches the unit. 1, 0, or a negative code.
 */
static int
makes_cycle(struct hub *h, const struct hub_authz *az, const char *code, const char *parent)
{
    char cur[ORG_MAX];
    snprintf(cur, sizeof(cur), "%s", parent);
    /* A tree deeper than this is a loop already (the hub's own tree has a few levels). */
    for (int depth = 0; depth < 64 && cur[0] != 0; depth++) {
        if (strcmp(cur, code) == 0)
            return 1;
        struct cs_id id;
        char next[ORG_MAX];
        uint64_t cl;
        int ret;
        hub_org_row_id(cur, &id);
        const struct az_row *pr = az_find(az, T_ORG_UNIT, &id);
        if (pr != NULL && pr->parent_ix != 0) {
            if (set_text(az, pr->parent_ix, next, sizeof(next)) != 0)
                return 0; /* refused on its own row */
        } else if ((ret = hub_unit_tree(h, &id, next, &cl)) != 0) {
            return ret;
        }
        snprintf(cur, sizeof(cur), "%s", next);
    }
    return cur[0] != 0;
}

/*
 * Does a unit the set deletes still hold live units or records at the hub
 * that the set neither deletes nor moves elsewhere? Deleted, it would take
 * them out of every scope and report. 1, 0, or a negative code.
 */
static int
unit_holds(struct hub *h, const struct hub_authz *az, const char *code)
{
    size_t n;
    const struct cs_schema_table *tb = cs_schema_tables(&n);
    int holds = 0;
    for (size_t t = 0; t < n && !holds; t++) {
        /* Its child units, and the records placed in it (holidays and devices too). */
        int units = t == CS_TABLE_org_unit;
        if (!units && tb[t].place != CS_SCHEMA_PLACE_ORG && tb[t].place != CS_SCHEMA_PLACE_TREE)
            continue;
        sqlite3_stmt *st;
        int rc = cs_stmt_get(&h->stmts, ST_HOLDS + (int)t, &st);
        if (rc != SQLITE_OK)
            return cs_sqlite_code(rc);
        sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
        while (!holds && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (sqlite3_column_bytes(st, 0) != CS_ID_LEN)
                continue;
            struct cs_id id;
            memcpy(id.b, sqlite3_column_blob(st, 0), CS_ID_LEN);
            const struct az_row *o = az_find(az, (int)t, &id);
            size_t ix = o == NULL ? 0 : units ? o->parent_ix : o->key_ix;
            char now[ORG_MAX];
            /* Kept where it is unless the set deletes it or places it elsewhere. */
            holds = o == NULL ||
                    (o->cl % 2 == 1 && (ix == 0 || set_text(az, ix, now, sizeof(now)) != 0 ||
                                        strcmp(now, code) == 0));
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return cs_sqlite_code(rc);
    }
    return holds;
}

static int
unit_verdict(struct hub *h, const struct hub_authz *az, const struct az_row *r, char *reason,
             size_t len)
{
    char hub_code[ORG_MAX], code[ORG_MAX], parent[ORG_MAX];
    int ret;

    if ((ret = hub_unit_code(h, &r->row, hub_code)) != 0)
        return ret;
    code[0] = 0;
    if (r->key_ix != 0 && set_text(az, r->key_ix, code, sizeof(code)) != 0)
        REFUSE(CS_REFUSAL_UNIT_CODE, "code");
    if (hub_code[0] != 0) {
        if (!hub_scope_has(az->s, hub_code))
            REFUSE(CS_REFUSAL_SCOPE, hub_code, az->d->org);
        if (code[0] != 0 && strcmp(code, hub_code) != 0)
            REFUSE(CS_REFUSAL_UNIT_RECODE, hub_code);
        snprintf(code, sizeof(code), "%s", hub_code);
        /*
         * The tree holds from below (F3): a device's own unit is its place
         * in the tree, which only the level above may change. Moved under
         * one of its cells, or deleted, it would take the whole subtree out
         * of its superiors' sight, and they could not repair it by sync.
         */
        if (strcmp(hub_code, az->d->org) == 0) {
            char was[ORG_MAX], now[ORG_MAX];
            uint64_t cl;
            if ((ret = hub_unit_tree(h, &r->row, was, &cl)) != 0)
                return ret;
            if (r->cl != cl ||
                (r->parent_ix != 0 &&
                 (set_text(az, r->parent_ix, now, sizeof(now)) != 0 || strcmp(now, was) != 0)))
                REFUSE(CS_REFUSAL_UNIT_OWN, hub_code);
        }
        if (r->cl != 0 && r->cl % 2 == 0) {
            if ((ret = unit_holds(h, az, hub_code)) < 0)
                return ret;
            if (ret == 1)
                REFUSE(CS_REFUSAL_UNIT_HOLDS, hub_code);
        }
    } else {
        struct cs_id want;
        if (code[0] == 0)
            REFUSE(CS_REFUSAL_UNIT_NO_CODE);
        hub_org_row_id(code, &want);
        if (cs_id_cmp(&want, &r->row) != 0)
            REFUSE(CS_REFUSAL_UNIT_ID, code);
        if (r->parent_ix == 0)
            REFUSE(CS_REFUSAL_UNIT_NEW_PARENT, code);
    }
    if (r->parent_ix != 0) {
        if (set_text(az, r->parent_ix, parent, sizeof(parent)) != 0 || parent[0] == 0)
            REFUSE(CS_REFUSAL_UNIT_PARENT, code);
        if (strcmp(parent, code) == 0)
            REFUSE(CS_REFUSAL_UNIT_SELF, code);
        if ((ret = parent_ok(h, az, parent, 0, reason, len)) != 0)
            return ret;
        if ((ret = makes_cycle(h, az, code, parent)) < 0)
            return ret;
        if (ret == 1)
            REFUSE(CS_REFUSAL_UNIT_CYCLE, code, parent);
    }
    return 0;
}

/*
 * A candidate's stage change, judged as the field client's steps are
 * (cellsync/rules.h): the next stage or a withdrawal (cs_rules_check_advance,
 * its rules waived, since a secretary may force them with an exception
 * recorded), or an undo of the last step (cs_rules_undo_stage) by a role
 * that may write the step undone. A candidate new to the hub may arrive at
 * any stage its paper steps reach, each one the role's to write. The
 * set's earlier stage changes of the row count: a device that advanced
 * twice between syncs sends both.
 */
static int
stage_verdict(struct hub *h, const struct hub_device *d, struct az_row *r,
              const struct cs_change *c, char *reason, size_t len)
{
    char code[32];
    int to = -1;
    if (c->value.type == CS_VNIL)
        return 0; /* a stage cleared: the reports read it as identified */
    if (c->value.type == CS_VTEXT && c->value.n < sizeof(code) &&
        memchr(c->value.p, 0, c->value.n) == NULL) {
        memcpy(code, c->value.p, c->value.n);
        code[c->value.n] = '\0';
        to = cs_stage_from_code(code);
    }
    /* Not a stage: the change is refused as a code (role_allows), the rest of the record with it.
     */
    if (to < 0)
        REFUSE(CS_REFUSAL_CODE, "candidate.stage",
               c->value.type == CS_VTEXT && to < 0 && c->value.n < sizeof(code) ? code : "");
    if (r->facts == NULL) {
        if ((r->facts = malloc(sizeof(*r->facts))) == NULL)
            return CS_ENOMEM;
        sqlite3_stmt *st;
        int rc = cs_stmt_get(&h->stmts, ST_CANDIDATE_FACTS, &st);
        int ret =
            rc == SQLITE_OK ? cs_candidate_facts_st(st, &r->row, r->facts) : cs_sqlite_code(rc);
        if (ret == CS_ENOTFOUND) {
            cs_rules_facts_init(r->facts);
            r->facts_new = 1;
        } else if (ret != 0) {
            free(r->facts);
            r->facts = NULL;
            return ret;
        }
    }
    struct cs_rules_facts *f = r->facts;
    int from = f->stage, ok = to == from;
    if (!ok && r->facts_new) {
        /* As cs_candidate_record() writes a paper record: each step the role's. */
        ok = 1;
        for (int s = to == CS_STAGE_WITHDRAWN ? to : CS_STAGE_IDENTIFIED; s <= to && ok; s++)
            ok = cs_stage_writable((enum cs_stage)s, d->role);
    }
    if (!ok) {
        char err[256];
        /* Every rule that reads the date is waived: only the order of the stages is judged. */
        int32_t today = cs_date_from_civil((struct cs_date){2000, 1, 1});
        unsigned all = (1u << CS_RULE__COUNT) - 1;
        ok = cs_rules_check_advance(f, (enum cs_stage)to, today, NULL, all, NULL, err,
                                    sizeof(err)) == 0 ||
             (to == cs_rules_undo_stage(f) && cs_stage_writable((enum cs_stage)from, d->role));
    }
    if (!ok)
        REFUSE(CS_REFUSAL_STEP, cs_stage_code((enum cs_stage)from), code);
    f->stage = (enum cs_stage)to;
    return 0;
}

/* The verdict on a row of the set (not on one change): 0, 1 with reason, or < 0. */
static int
row_verdict(struct hub *h, const struct hub_authz *az, struct az_row *r, char *reason, size_t len)
{
    struct orgs o = {0};
    int ret;

    if (table_at(r->tbl)->place == CS_SCHEMA_PLACE_UNIT)
        return unit_verdict(h, az, r, reason, len);
    if ((ret = resolve(h, az, r->tbl, &r->row, &o, 0)) != 0)
        return ret;
    if (o.bad != NULL)
        REFUSE(CS_REFUSAL_UNIT_VALUE, o.bad);
    if (o.none)
        REFUSE(CS_REFUSAL_NO_UNIT);
    for (int i = 0; i < o.n; i++)
        if (!hub_scope_has(az->s, o.v[i]))
            REFUSE(CS_REFUSAL_SCOPE, o.v[i], az->d->org);
    /*
     * A stage change the procedure forbids refuses the whole record: its
     * dates and the rest of the step would otherwise stand without it.
     */
    if (r->stage_first != 0 && strcmp(az->d->role, HUB_ROLE_HUB) != 0)
        for (size_t i = r->stage_first - 1; i < r->stage_last; i++) {
            struct cs_change c;
            cs_changeset_get(az->cs, i, &c);
            if (strcmp(c.column, "stage") == 0 && strcmp(c.table, "candidate") == 0 &&
                cs_id_cmp(&c.row, &r->row) == 0 &&
                (ret = stage_verdict(h, az->d, r, &c, reason, len)) != 0)
                return ret;
        }
    /*
     * A target is the level above's: the district sets the commune's, the
     * commune its cells'. A unit's own devices may read theirs, not lower it.
     */
    if (r->tbl == T_TARGET)
        for (int i = 0; i < o.n; i++)
            if (strcmp(o.v[i], az->d->org) == 0)
                REFUSE(CS_REFUSAL_TARGET, o.v[i]);
    return 0;
}

/* ---- authorization ---- */

/*
 * A device record's key is the key its id is made from (cs_pk_id): no hub
 * below can lend a device of its subtree another key, so the sets it
 * relays are checked against the signature of the device that wrote them.
 */
static int
device_key_verdict(const struct cs_change *c, char *reason, size_t len)
{
    uint8_t pk[CS_PK_LEN];
    struct cs_id id;
    size_t bin = 0;
    char who[CS_ID_SHORT_LEN + 1];

    if (strcmp(c->table, "device") != 0 || strcmp(c->column, "pk") != 0)
        return 0;
    cs_id_short(&c->row, who);
    if (c->value.type != CS_VTEXT || c->value.n != 2 * CS_PK_LEN ||
        sodium_hex2bin(pk, sizeof(pk), (const char *)c->value.p, c->value.n, NULL, &bin, NULL) !=
            0 ||
        bin != CS_PK_LEN)
        REFUSE(CS_REFUSAL_DEVICE_KEY, who);
    cs_pk_id(pk, &id);
    if (cs_id_cmp(&id, &c->row) != 0)
        REFUSE(CS_REFUSAL_DEVICE_KEY, who);
    return 0;
}

void
hub_authz_free(struct hub_authz *az)
{
    if (az == NULL)
        return;
    for (size_t i = 0; i < az->nrows; i++) {
        free(az->rows[i].reason);
        free(az->rows[i].facts);
    }
    free(az->rows);
    free(az->tix);
    free(az);
}

int
hub_authz_new(struct hub *h, const struct hub_device *d, const struct hub_scope *s,
              const struct cs_changeset *cs, struct hub_authz **out)
{
    size_t n = cs_changeset_count(cs);
    struct hub_authz *az = calloc(1, sizeof(*az));
    int ret = CS_ENOMEM;

    *out = NULL;
    if (az == NULL || (az->tix = malloc(n ? n : 1)) == NULL ||
        (az->rows = malloc((n ? n : 1) * sizeof(*az->rows))) == NULL)
        goto out;
    az->h = h;
    az->cs = cs;
    az->n = n;
    az->d = d;
    az->s = s;
    /* Almost always none: then no change of the set needs its own lookup. */
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&h->stmts, ST_REFUSED_ANY, &st);
    if (rc == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, d->id.b, CS_ID_LEN, SQLITE_STATIC);
        rc = sqlite3_step(st);
        az->clock_refused = rc == SQLITE_ROW;
        sqlite3_reset(st);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        ret = cs_sqlite_code(rc);
        goto out;
    }
    /* One entry per change of a known table, sorted by (table, row, index), then merged. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        struct cs_change c;
        cs_changeset_get(cs, i, &c);
        int t = table_ix(c.table);
        az->tix[i] = (signed char)t;
        if (t < 0)
            continue;
        struct az_row *r = &az->rows[m++];
        memset(r, 0, sizeof(*r));
        r->tbl = t;
        r->row = c.row;
        r->key_ix = i;
    }
    qsort(az->rows, m, sizeof(*az->rows), az_row_cmp);
    size_t nrows = 0;
    for (size_t k = 0; k < m;) {
        struct az_row row = az->rows[k];
        row.key_ix = row.parent_ix = 0;
        row.cl = 0;
        row.stage_first = row.stage_last = 0;
        for (; k < m && az->rows[k].tbl == row.tbl &&
               memcmp(az->rows[k].row.b, row.row.b, CS_ID_LEN) == 0;
             k++) {
            struct cs_change c;
            size_t i = az->rows[k].key_ix;
            cs_changeset_get(cs, i, &c);
            if (c.cl > row.cl)
                row.cl = c.cl;
            if (row.tbl == T_CANDIDATE && strcmp(c.column, "stage") == 0) {
                if (row.stage_first == 0 || i + 1 < row.stage_first)
                    row.stage_first = i + 1;
                if (i + 1 > row.stage_last)
                    row.stage_last = i + 1;
            }
            if (strcmp(c.column, table_at(row.tbl)->key) == 0)
                row.key_ix = i + 1;
            else if (row.tbl == T_ORG_UNIT && strcmp(c.column, "parent") == 0)
                row.parent_ix = i + 1;
        }
        az->rows[nrows++] = row;
    }
    az->nrows = nrows;
    *out = az;
    az = NULL;
    ret = 0;
out:
    hub_authz_free(az);
    return ret;
}

/*
 * Whether the hub's record of candidate row has the date of stage s: 1, 0,
 * or a negative code.
 */
static int
stage_dated(struct hub *h, const struct cs_id *row, enum cs_stage s)
{
    sqlite3_stmt *st;
    int ret = 0;
    if ((unsigned)s > CS_STAGE_WITHDRAWN)
        return CS_EINVAL;
    int rc = cs_stmt_get(&h->stmts, ST_STAGE_DATED + (int)s, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        ret = sqlite3_column_int(st, 0);
    else if (rc != SQLITE_DONE)
        ret = cs_sqlite_code(rc);
    sqlite3_reset(st);
    return ret;
}

/*
 * What the device's role may write, from the schema's descriptor: the
 * table, the column and, for a candidate's stage, the stage (one whose date
 * the role may not write, it may not set either, unless the hub has that
 * date already: a cell that undoes its ceremony goes back to the
 * committee's decision, which it does not make).
 */
static int
role_allows(struct hub *h, const struct hub_device *d, const struct cs_change *c, char *reason,
            size_t len)
{
    int cell = strcmp(d->role, HUB_ROLE_CELL) == 0;
    if (!cs_schema_table_writable(c->table, d->role)) {
        if (cell)
            REFUSE(CS_REFUSAL_TABLE, c->table);
        if (strcmp(d->role, HUB_ROLE_COMMITTEE) == 0)
            REFUSE(CS_REFUSAL_TABLE_UNKNOWN, c->table);
        REFUSE(CS_REFUSAL_ROLE, d->role);
    }
    /*
     * Columns are allowed, not forbidden: the descriptor names each column
     * a role may write; one it does not know is a hub's to forward. In a
     * table a cell writes, the columns it may not are the committee's
     * decisions.
     */
    const struct cs_schema_column *col = cs_schema_column(c->table, c->column);
    if (col == NULL && !cs_schema_column_writable(c->table, c->column, d->role))
        REFUSE(CS_REFUSAL_COLUMN_UNKNOWN, c->table, c->column);
    if (!cs_schema_column_writable(c->table, c->column, d->role))
        REFUSE(CS_REFUSAL_COLUMN, c->table, c->column);
    if (col == NULL || col->type != CS_SCHEMA_CODE || strcmp(d->role, HUB_ROLE_HUB) == 0 ||
        c->value.type == CS_VNIL)
        return 0;
    /* A code is one of its list's, exactly: 'Decision' is not 'decision', and no report counts it.
     */
    char code[64], shown[64];
    int ok = c->value.type == CS_VTEXT && c->value.n < sizeof(code) &&
             memchr(c->value.p, 0, c->value.n) == NULL;
    if (ok) {
        memcpy(code, c->value.p, c->value.n);
        code[c->value.n] = '\0';
        ok = cs_code_label(col->arg, code) != NULL;
    }
    if (!ok) {
        snprintf(shown, sizeof(shown), "%.*s",
                 c->value.type == CS_VTEXT ? (int)(c->value.n < 40 ? c->value.n : 40) : 0,
                 c->value.type == CS_VTEXT ? (const char *)c->value.p : "");
        char what[2 * CS_NAME_MAX + 2];
        snprintf(what, sizeof(what), "%s.%s", c->table, c->column);
        REFUSE(CS_REFUSAL_CODE, what, shown);
    }
    if (strcmp(c->table, "candidate") == 0 && strcmp(c->column, "stage") == 0) {
        int stage = cs_stage_from_code(code);
        int dated = !cs_stage_writable((enum cs_stage)stage, d->role)
                        ? stage_dated(h, &c->row, (enum cs_stage)stage)
                        : 1;
        if (dated < 0) {
            snprintf(reason, len, "%s", _("the hub cannot check this change now"));
            return dated;
        }
        if (dated == 0)
            REFUSE(CS_REFUSAL_STAGE, code);
    }
    return 0;
}

static int
authorize(struct hub_authz *az, size_t i, char *reason, size_t len)
{
    struct hub *h = az->h;
    const struct hub_device *d = az->d;
    struct cs_change c;
    int ret;

    cs_changeset_get(az->cs, i, &c);
    /*
     * Every change of a set is its signer's, a hub-role device's too: one
     * relays another device's changes only as that device's signed set,
     * judged as that device (peer.c), never under its own signature (F8).
     */
    if (cs_id_cmp(&c.origin, &d->id) != 0)
        REFUSE(CS_REFUSAL_ORIGIN);
    /*
     * A stamp refused for the clock stays refused, though the hub's clock
     * has caught up with it since: its writer has been told and issues the
     * write again with a new stamp (or has replaced it), so taking the old
     * one from a stale stick would keep a version the writer has not.
     */
    if (az->clock_refused) {
        sqlite3_stmt *st;
        int rc = cs_stmt_get(&h->stmts, ST_REFUSED_CLOCK, &st);
        if (rc != SQLITE_OK) {
            snprintf(reason, len, "%s", _("the hub cannot check this change now"));
            return cs_sqlite_code(rc);
        }
        sqlite3_bind_blob(st, 1, c.row.b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)c.hlc);
        sqlite3_bind_blob(st, 3, c.origin.b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, c.table, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, c.column, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            snprintf(reason, len, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
        if (rc == SQLITE_ROW)
            return CS_REFUSAL_CLOCK;
        if (rc != SQLITE_DONE) {
            snprintf(reason, len, "%s", _("the hub cannot check this change now"));
            return cs_sqlite_code(rc);
        }
    }
    /* The same bound for a relayed set as for a direct one: its origin wrote it (F8). */
    if (cs_replica_check_stamp(h->r, c.hlc, 0) != 0) {
        uint64_t ahead = cs_hlc_ms(c.hlc) - cs_hlc_ms(cs_replica_now(h->r));
        char minutes[24];
        snprintf(minutes, sizeof(minutes), "%llu", (unsigned long long)((ahead + 59999) / 60000));
        REFUSE(CS_REFUSAL_CLOCK, minutes);
    }
    int t = az->tix[i];
    if ((ret = role_allows(h, d, &c, reason, len)) != 0 ||
        (ret = device_key_verdict(&c, reason, len)) != 0)
        return ret;
    if (t < 0)
        return 0; /* a hub forwarding a table this hub does not know: not placed */
    struct az_row *r = az_find(az, t, &c.row);
    if (r->verdict == 0) {
        char why[256] = "";
        if ((ret = row_verdict(h, az, r, why, sizeof(why))) < 0) {
            snprintf(reason, len, "%s", _("the hub cannot check this change now"));
            return ret;
        }
        r->verdict = ret == 0 ? 1 : 2;
        r->code = ret;
        if (ret != 0 && (r->reason = strdup(why)) == NULL) {
            r->verdict = 0;
            snprintf(reason, len, "%s", _("the hub cannot check this change now"));
            return CS_ENOMEM;
        }
    }
    if (r->verdict == 2) {
        snprintf(reason, len, "%s", r->reason);
        return r->code;
    }
    return 0;
}

int
hub_authorize(struct hub_authz *az, size_t i, char *reason, size_t len)
{
    if (len > 0)
        reason[0] = 0;
    if (i >= az->n) {
        snprintf(reason, len, "%s", _("the hub cannot check this change now"));
        return CS_EINVAL;
    }
    return authorize(az, i, reason, len);
}

int
hub_row_in_scope(struct hub *h, const struct hub_scope *s, const char *table,
                 const struct cs_id *row)
{
    int t = table_ix(table);
    if (t < 0)
        return 0;
    if (table_at(t)->place == CS_SCHEMA_PLACE_UNIT) {
        char code[ORG_MAX];
        return hub_unit_code(h, row, code) == 0 && code[0] != 0 && hub_scope_can_read(s, code);
    }
    struct orgs o = {0};
    if (resolve(h, NULL, t, row, &o, 0) != 0 || o.unknown || o.bad != NULL || o.n == 0)
        return 0;
    /* A TREE row is a rule for its unit's subtree: the devices below read it too. */
    int tree = table_at(t)->place == CS_SCHEMA_PLACE_TREE;
    for (int i = 0; i < o.n; i++)
        if (tree ? !hub_scope_can_read(s, o.v[i]) : !hub_scope_has(s, o.v[i]))
            return 0;
    return 1;
}

int
hub_row_units(struct hub *h, const char *table, const struct cs_id *row, char out[][ORG_MAX],
              int max, int *tree)
{
    int t = table_ix(table), ret;
    *tree = 0;
    if (t < 0 || max < ORGS_MAX)
        return 0;
    if (table_at(t)->place == CS_SCHEMA_PLACE_UNIT) {
        if ((ret = hub_unit_code(h, row, out[0])) != 0)
            return ret;
        *tree = 1;
        return out[0][0] != 0;
    }
    struct orgs o = {0};
    if ((ret = resolve(h, NULL, t, row, &o, 0)) != 0)
        return ret;
    if (o.unknown || o.bad != NULL)
        return 0;
    *tree = table_at(t)->place == CS_SCHEMA_PLACE_TREE;
    for (int i = 0; i < o.n; i++)
        memcpy(out[i], o.v[i], ORG_MAX);
    return o.n;
}
