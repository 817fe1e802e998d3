/* SPDX-License-Identifier: MIT */
/*
 * The hub's state beside its replica (see hub.h): creation from an org-tree
 * CSV, enrollments and devices, scopes, per-register authorization and the
 * audit trail. Everything goes through the replica's one SQLite connection;
 * the hub_* tables live in the replica file but are never registers (the
 * replica refuses register names starting with hub_).
 *
 * Authorization places every row in the org tree by the org codes it
 * carries or inherits, and asks whether they all lie in the device's
 * subtree. A row's unit is taken both from the change set and from the
 * hub's current row, so a device can neither write into a record the hub
 * has in another unit nor pull such a record into its own unit by setting
 * its org_unit.
 */
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cellsync/enroll.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/util.h"
#include "hub.h"

#define ORG_MAX       64  /* an org code with its NUL, as in struct hub_device */
#define UNIT_NAME_MAX 256 /* an org unit's name with its NUL */
#define CSV_MAX_BYTES (64u << 20)
#define CSV_MAX_UNITS 1000000u
#define DAY           86400

/* ---- the hub's own tables ---- */

static const char hub_sql[] =
    "CREATE TABLE IF NOT EXISTS hub_device (id BLOB PRIMARY KEY, pk BLOB NOT NULL,"
    " org TEXT NOT NULL, role TEXT NOT NULL, name TEXT, enrolled_at INTEGER,"
    " last_contact INTEGER, revoked_at INTEGER, up_seq INTEGER NOT NULL DEFAULT 0,"
    " down_seq INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS hub_enroll (secret_hash BLOB PRIMARY KEY, org TEXT NOT NULL,"
    " role TEXT NOT NULL, name TEXT, created INTEGER, expires INTEGER, used_by BLOB);"
    "CREATE TABLE IF NOT EXISTS hub_audit (id INTEGER PRIMARY KEY, at INTEGER, device BLOB,"
    " verdict TEXT, seq_first INTEGER, seq_last INTEGER, changes INTEGER, refused INTEGER,"
    " reason TEXT, envelope BLOB);"
    /* Append-only: the trail proves history only if nothing in it can change. */
    "CREATE TRIGGER IF NOT EXISTS hub_audit_no_update BEFORE UPDATE ON hub_audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS hub_audit_no_delete BEFORE DELETE ON hub_audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
    "CREATE TABLE IF NOT EXISTS hub_refused (id INTEGER PRIMARY KEY, at INTEGER, device BLOB,"
    " tbl TEXT, row BLOB, col TEXT, hlc INTEGER, origin BLOB, val, reason TEXT,"
    " kind INTEGER NOT NULL DEFAULT 1, seq INTEGER NOT NULL DEFAULT 0);"
    /* A stamp refused once is refused again: found by the change's identity. */
    "CREATE INDEX IF NOT EXISTS hub_refused_id ON hub_refused(row, hlc);"
    "CREATE INDEX IF NOT EXISTS hub_refused_clock ON hub_refused(device) WHERE kind = 2;"
    /*
     * The hub's incarnations in order (n), the last current: one from init,
     * one more from each restore; since_seq is the replica's highest seq when
     * it began (see hub.h).
     */
    "CREATE TABLE IF NOT EXISTS hub_incarnation (n INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE,"
    " since_seq INTEGER NOT NULL, at INTEGER);"
    /* Local indexes on the replicated org tree: scopes walk it by parent and code. */
    "CREATE INDEX IF NOT EXISTS hub_org_parent ON org_unit(parent);"
    "CREATE INDEX IF NOT EXISTS hub_org_code ON org_unit(code);";

/* ---- the domain tables, as authorization sees them ---- */

enum kind {
    K_UNIT,  /* org_unit: placed by its own code */
    K_ORG,   /* has an org_unit column */
    K_CHILD, /* placed by the record it refers to */
};

enum {
    T_ORG_UNIT,
    T_CANDIDATE,
    T_MEMBER,
    T_MEETING,
    T_TARGET,
    T_ATTENDANCE,
    T_ASSESSMENT,
    T_EXCEPTION,
    T_RATING,
    T_TRANSFER,
    T__COUNT
};

/* Keep in step with proto/src/schema.c. */
static const struct table {
    const char *name;
    enum kind kind;
    const char *key; /* the column that places the row */
    int parent;      /* K_CHILD: the table key refers to */
    int cell;        /* writable by role "cell" */
} tables[T__COUNT] = {
    [T_ORG_UNIT] = {"org_unit", K_UNIT, "code", -1, 0},
    [T_CANDIDATE] = {"candidate", K_ORG, "org_unit", -1, 1},
    [T_MEMBER] = {"member", K_ORG, "org_unit", -1, 1},
    [T_MEETING] = {"meeting", K_ORG, "org_unit", -1, 1},
    [T_TARGET] = {"target", K_ORG, "org_unit", -1, 0},
    [T_ATTENDANCE] = {"attendance", K_CHILD, "meeting", T_MEETING, 1},
    [T_ASSESSMENT] = {"assessment", K_CHILD, "meeting", T_MEETING, 1},
    [T_EXCEPTION] = {"exception", K_CHILD, "candidate", T_CANDIDATE, 1},
    [T_RATING] = {"rating", K_CHILD, "member", T_MEMBER, 1},
    [T_TRANSFER] = {"transfer", K_CHILD, "member", T_MEMBER, 0},
};

static int
table_ix(const char *name)
{
    for (int t = 0; t < T__COUNT; t++)
        if (strcmp(tables[t].name, name) == 0)
            return t;
    return -1;
}

/* ---- statements ---- */

enum {
    ST_DEV_GET,
    ST_DEV_ADD,
    ST_DEV_TOUCH,
    ST_DEV_UP,
    ST_DEV_DOWN,
    ST_DEV_ALL,
    ST_DEV_REVOKE,
    ST_ENROLL_OPEN,
    ST_ENROLL_USE,
    ST_ENROLL_ADD,
    ST_UNIT_LIVE,
    ST_SUBTREE,
    ST_ANCESTORS,
    ST_CREATOR,
    ST_AUDIT_ADD,
    ST_REFUSED_ADD,
    ST_REFUSED_CLOCK,
    ST_REFUSED_OPEN,
    ST_REFUSED_ANY,
    ST_INC_ALL,
    ST_INC_ADD,
    ST_INC_FIRST,
    ST__COUNT
};

#define DEV_COLS                                                                                   \
    "id, pk, org, role, coalesce(name, ''), coalesce(enrolled_at, 0),"                             \
    " coalesce(last_contact, 0), coalesce(revoked_at, 0), up_seq, down_seq"

static const char *const stmt_sql[ST__COUNT] = {
    [ST_DEV_GET] = "SELECT " DEV_COLS " FROM hub_device WHERE id = ?1",
    [ST_DEV_ADD] = "INSERT INTO hub_device (id, pk, org, role, name, enrolled_at, last_contact)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    [ST_DEV_TOUCH] = "UPDATE hub_device SET last_contact = ?2 WHERE id = ?1",
    [ST_DEV_UP] = "UPDATE hub_device SET up_seq = ?2 WHERE id = ?1",
    [ST_DEV_DOWN] = "UPDATE hub_device SET down_seq = ?2 WHERE id = ?1",
    [ST_DEV_ALL] = "SELECT " DEV_COLS " FROM hub_device ORDER BY org, name, id",
    [ST_DEV_REVOKE] = "UPDATE hub_device SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
    [ST_ENROLL_OPEN] = "SELECT secret_hash, org, role, coalesce(name, '') FROM hub_enroll"
                       " WHERE used_by IS NULL AND expires > ?1",
    [ST_ENROLL_USE] = "UPDATE hub_enroll SET used_by = ?2 WHERE secret_hash = ?1"
                      " AND used_by IS NULL",
    [ST_ENROLL_ADD] = "INSERT INTO hub_enroll (secret_hash, org, role, name, created, expires)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_UNIT_LIVE] = "SELECT 1 FROM org_unit WHERE code = ?1 AND cl % 2 = 1",
    /* UNION, not UNION ALL: an org tree edited into a cycle still ends. */
    [ST_SUBTREE] = "WITH RECURSIVE sub(code) AS ("
                   " SELECT code FROM org_unit WHERE code = ?1 AND cl % 2 = 1"
                   " UNION SELECT o.code FROM org_unit o JOIN sub ON o.parent = sub.code"
                   " WHERE o.cl % 2 = 1)"
                   " SELECT code FROM sub ORDER BY code",
    [ST_ANCESTORS] = "WITH RECURSIVE anc(code, parent) AS ("
                     " SELECT code, parent FROM org_unit WHERE code = ?1 AND cl % 2 = 1"
                     " UNION SELECT o.code, o.parent FROM org_unit o JOIN anc"
                     " ON o.code = anc.parent WHERE o.cl % 2 = 1)"
                     " SELECT DISTINCT code FROM anc WHERE code != ?1 ORDER BY code",
    /*
     * Who first sent a row: the unit of that device, or NULL when it was
     * not an enrolled device (the hub itself, or forwarded from elsewhere).
     * Reads the replica's version table: cs_ver_id indexes (tbl, row).
     */
    [ST_CREATOR] = "SELECT d.org FROM cs_ver v JOIN cs_site s ON s.ix = v.site"
                   " LEFT JOIN hub_device d ON d.id = s.uuid"
                   " WHERE v.tbl = (SELECT ix FROM cs_name WHERE name = ?1) AND v.row = ?2"
                   " ORDER BY v.seq LIMIT 1",
    [ST_AUDIT_ADD] = "INSERT INTO hub_audit (at, device, verdict, seq_first, seq_last, changes,"
                     " refused, reason, envelope) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_REFUSED_ADD] = "INSERT INTO hub_refused (at, device, tbl, row, col, hlc, origin, val,"
                       " reason, kind, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
                       " (SELECT coalesce(max(seq), 0) FROM cs_ver))",
    /*
     * A device's writes refused for the clock that it has not yet replaced:
     * no write of the same device to the register has reached the hub since
     * it was first refused (one issued again has a smaller stamp, so this
     * goes by the hub's seq: r.seq is the hub's last at the refusal).
     */
    [ST_REFUSED_OPEN] =
        "SELECT r.tbl, r.row, r.col, r.hlc, r.origin, r.reason FROM (SELECT tbl, row, col, hlc,"
        " origin, max(reason) AS reason, min(seq) AS seq FROM hub_refused WHERE device = ?1"
        " AND kind = 2 GROUP BY tbl, row, col, hlc, origin) r WHERE NOT EXISTS (SELECT 1"
        " FROM cs_ver v WHERE v.tbl = (SELECT ix FROM cs_name WHERE name = r.tbl)"
        " AND v.row = r.row AND v.col = (SELECT ix FROM cs_name WHERE name = r.col)"
        " AND v.site = (SELECT ix FROM cs_site WHERE uuid = r.origin) AND v.seq > r.seq)"
        " ORDER BY r.hlc LIMIT ?2",
    [ST_REFUSED_ANY] = "SELECT 1 FROM hub_refused WHERE device = ?1 AND kind = 2 LIMIT 1",
    [ST_REFUSED_CLOCK] = "SELECT reason FROM hub_refused WHERE row = ?1 AND hlc = ?2"
                         " AND origin = ?3 AND tbl = ?4 AND col = ?5 AND kind = 2 LIMIT 1",
    [ST_INC_ALL] = "SELECT id, since_seq FROM hub_incarnation ORDER BY n",
    /* In one statement, so since_seq is the highest seq of the same snapshot. */
    [ST_INC_ADD] = "INSERT INTO hub_incarnation (id, since_seq, at)"
                   " VALUES (?1, (SELECT coalesce(max(seq), 0) FROM cs_ver), ?2)",
    /* A hub made before incarnations: its first, numbering from the start. */
    [ST_INC_FIRST] = "INSERT INTO hub_incarnation (id, since_seq, at) SELECT ?1, 0, ?2"
                     " WHERE NOT EXISTS (SELECT 1 FROM hub_incarnation)",
};

/* ---- per-set authorization lookups ---- */

struct az_row {
    struct cs_id row;
    int tbl;
    size_t key_ix;    /* 1 + index of the set's last change of the placing column, 0: none */
    size_t parent_ix; /* org_unit: 1 + index of the last change of 'parent', 0: none */
    int verdict;      /* 0: not judged yet, 1: in scope, 2: refused */
    char *reason;
};

struct authz {
    /* What the lookups were built for. */
    const struct cs_changeset *cs;
    size_t n;
    uint64_t seq_first, seq_last, hlc_first, hlc_last;
    struct cs_id origin;
    const struct hub_device *d;
    const struct hub_scope *s;
    signed char *tix; /* the table of each change, -1 when unknown */
    struct az_row *rows;
    size_t nrows;
    int clock_refused; /* the sender has changes refused for the clock: look each up */
};

struct hub {
    char *state;
    char *dbpath;
    struct cs_key *key;
    struct cs_replica *r;
    sqlite3 *db;
    char root[ORG_MAX];
    sqlite3_stmt *stmt[ST__COUNT];
    sqlite3_stmt *look[T__COUNT]; /* SELECT <key> FROM <table> WHERE id = ?1 */
    struct authz *az;
};

struct hub_scope {
    char **sub; /* sorted (strcmp = SQLite's BINARY order) */
    size_t nsub;
    char **anc; /* sorted */
    size_t nanc;
};

/* ---- small helpers ---- */

/* An SQLite failure with sqlite3_errmsg() copied at once. */
static int
db_fail(struct hub *h, int rc, char *err, size_t errlen, const char *what)
{
    return cs_errf(err, errlen, cs_sqlite_code(rc), "cannot %s '%s': %s", what, h->dbpath,
                   sqlite3_errmsg(h->db));
}

static sqlite3_stmt *
stmt_get(struct hub *h, int id)
{
    if (h->stmt[id] == NULL) {
        if (sqlite3_prepare_v3(h->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &h->stmt[id],
                               NULL) != SQLITE_OK)
            return NULL;
    } else {
        sqlite3_reset(h->stmt[id]);
        sqlite3_clear_bindings(h->stmt[id]);
    }
    return h->stmt[id];
}

static sqlite3_stmt *
look_get(struct hub *h, int t)
{
    if (h->look[t] == NULL) {
        char sql[128];
        snprintf(sql, sizeof(sql), "SELECT \"%s\" FROM \"%s\" WHERE id = ?1", tables[t].key,
                 tables[t].name);
        if (sqlite3_prepare_v3(h->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &h->look[t], NULL) !=
            SQLITE_OK)
            return NULL;
    } else {
        sqlite3_reset(h->look[t]);
    }
    return h->look[t];
}

/* Steps a statement that returns no rows; an SQLite rc. */
static int
step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    int rc2 = sqlite3_reset(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        rc = SQLITE_OK;
    if (rc == SQLITE_OK)
        rc = rc2;
    return rc;
}

static int
exec(struct hub *h, const char *sql, char *err, size_t errlen, const char *what)
{
    int rc = sqlite3_exec(h->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : db_fail(h, rc, err, errlen, what);
}

/* Copies a text column into buf (cap bytes), "" for NULL. */
static void
col_text(sqlite3_stmt *st, int i, char *buf, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(buf, cap, "%s", t ? (const char *)t : "");
}

static int
has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

/* A short code or name as people type it: 1..max-1 bytes, UTF-8, no control characters. */
static int
text_ok(const char *s, size_t max, int may_be_empty)
{
    size_t n = strlen(s);
    if (n == 0)
        return may_be_empty;
    return n < max && cs_utf8_valid((const unsigned char *)s, n) && !has_control(s);
}

static int
code_ok(const char *s)
{
    return text_ok(s, ORG_MAX, 0) && strpbrk(s, " \t") == NULL;
}

static void
id_hex32(const struct cs_id *id, char out[2 * CS_ID_LEN + 1])
{
    sodium_bin2hex(out, 2 * CS_ID_LEN + 1, id->b, CS_ID_LEN);
}

void
hub_org_row_id(const char *code, struct cs_id *out)
{
    char name[128];
    snprintf(name, sizeof(name), "org_unit:%s", code);
    cs_id_derive(out, name);
}

static int
path_join(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* ---- the org-tree CSV ---- */

static const char *const levels[] = {"centre",  "province",   "district",
                                     "commune", "grassroots", "cell"};

enum { F_ID, F_PARENT, F_LEVEL, F_KIND, F_NAME, F__COUNT };

struct unit {
    char *buf; /* the line's fields, NUL-separated; owns the strings below */
    char *f[F__COUNT];
    unsigned line;
    size_t parent; /* index into the units, or SIZE_MAX for the root */
    int mark;      /* cycle walk: 0 new, 1 on the current path, 2 reaches the root */
};

struct tree {
    struct unit *u;
    size_t n, cap;
    struct unit **by_code; /* sorted by code, then line */
    size_t root;
};

static void
tree_release(struct tree *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->u[i].buf);
    free(t->u);
    free(t->by_code);
    memset(t, 0, sizeof(*t));
}

/*
 * Splits one line (no newline) into exactly 5 fields. A field is either
 * plain (no quotes) or wholly in double quotes with "" for a quote; a
 * quoted field cannot run onto the next line. 0, or a message in msg.
 */
static int
csv_split(const char *line, struct unit *u, char *msg, size_t msglen)
{
    size_t len = strlen(line);
    char *o = u->buf = malloc(len + F__COUNT + 1);
    const char *p = line;
    int n = 0;

    if (o == NULL) {
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    for (;;) {
        if (n == F__COUNT) {
            snprintf(msg, msglen, "more than %d fields (a name with a comma needs quotes)",
                     F__COUNT);
            return -1;
        }
        u->f[n++] = o;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == 0) {
                    snprintf(msg, msglen, "a quoted field is not closed on this line");
                    return -1;
                }
                if (*p == '"') {
                    if (p[1] == '"') {
                        *o++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *o++ = *p++;
            }
            if (*p != ',' && *p != 0) {
                snprintf(msg, msglen, "text after the closing quote of field %d", n);
                return -1;
            }
        } else {
            for (; *p && *p != ','; p++) {
                if (*p == '"') {
                    snprintf(msg, msglen, "a quote inside field %d, which is not quoted", n);
                    return -1;
                }
                *o++ = *p;
            }
        }
        *o++ = 0;
        if (*p != ',')
            break;
        p++;
    }
    if (n != F__COUNT) {
        snprintf(msg, msglen, "%d field%s, expected %d: id,parent,level,kind,name", n,
                 n == 1 ? "" : "s", F__COUNT);
        return -1;
    }
    return 0;
}

static int
unit_check(const struct unit *u, char *msg, size_t msglen)
{
    if (!code_ok(u->f[F_ID])) {
        snprintf(msg, msglen, "unit id '%s' must be 1 to %d characters without spaces", u->f[F_ID],
                 ORG_MAX - 1);
        return -1;
    }
    if (u->f[F_PARENT][0] != 0 && !code_ok(u->f[F_PARENT])) {
        snprintf(msg, msglen, "parent '%s' must be 1 to %d characters without spaces",
                 u->f[F_PARENT], ORG_MAX - 1);
        return -1;
    }
    int level_ok = 0;
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
        level_ok |= strcmp(u->f[F_LEVEL], levels[i]) == 0;
    if (!level_ok) {
        snprintf(msg, msglen,
                 "level '%s' is not one of centre, province, district, commune, grassroots, "
                 "cell",
                 u->f[F_LEVEL]);
        return -1;
    }
    if (!text_ok(u->f[F_KIND], ORG_MAX, 1)) {
        snprintf(msg, msglen, "kind '%s' is too long or holds control characters", u->f[F_KIND]);
        return -1;
    }
    if (!text_ok(u->f[F_NAME], UNIT_NAME_MAX, 0)) {
        snprintf(msg, msglen,
                 "the name of unit '%s' is empty, too long or holds control "
                 "characters",
                 u->f[F_ID]);
        return -1;
    }
    return 0;
}

static int
by_code_cmp(const void *a, const void *b)
{
    const struct unit *x = *(struct unit *const *)a, *y = *(struct unit *const *)b;
    int c = strcmp(x->f[F_ID], y->f[F_ID]);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static size_t
tree_find(const struct tree *t, const char *code)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->by_code[mid]->f[F_ID], code);
        if (c == 0)
            return (size_t)(t->by_code[mid] - t->u);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

/* Duplicates, parents, exactly one root, no cycles. */
static int
tree_check(struct tree *t, const char *path, char *err, size_t errlen)
{
    if (t->n == 0)
        return cs_errf(err, errlen, CS_EMALFORMED, "'%s' has a header but no units", path);
    if ((t->by_code = malloc(t->n * sizeof(*t->by_code))) == NULL)
        return cs_errf(err, errlen, CS_ENOMEM, "cannot read '%s': out of memory", path);
    for (size_t i = 0; i < t->n; i++)
        t->by_code[i] = &t->u[i];
    qsort(t->by_code, t->n, sizeof(*t->by_code), by_code_cmp);
    for (size_t i = 1; i < t->n; i++) {
        const struct unit *a = t->by_code[i - 1], *b = t->by_code[i];
        if (strcmp(a->f[F_ID], b->f[F_ID]) == 0)
            return cs_errf(err, errlen, CS_EMALFORMED,
                           "'%s', line %u: unit id '%s' is already used on line %u", path, b->line,
                           b->f[F_ID], a->line);
    }
    t->root = SIZE_MAX;
    for (size_t i = 0; i < t->n; i++) {
        struct unit *u = &t->u[i];
        u->parent = SIZE_MAX;
        if (u->f[F_PARENT][0] == 0) {
            if (t->root != SIZE_MAX)
                return cs_errf(err, errlen, CS_EMALFORMED,
                               "'%s', line %u: unit '%s' has no parent, nor has '%s' on line "
                               "%u: only the root unit may have an empty parent",
                               path, u->line, u->f[F_ID], t->u[t->root].f[F_ID],
                               t->u[t->root].line);
            t->root = i;
            continue;
        }
        if ((u->parent = tree_find(t, u->f[F_PARENT])) == SIZE_MAX)
            return cs_errf(err, errlen, CS_EMALFORMED,
                           "'%s', line %u: parent '%s' of unit '%s' is not in the file", path,
                           u->line, u->f[F_PARENT], u->f[F_ID]);
    }
    if (t->root == SIZE_MAX)
        return cs_errf(err, errlen, CS_EMALFORMED,
                       "'%s': no unit has an empty parent: the root (the hub's own unit) needs "
                       "one",
                       path);
    /* Walk up from each unit; meeting the current path again is a cycle. */
    for (size_t i = 0; i < t->n; i++) {
        size_t j = i;
        while (j != SIZE_MAX && t->u[j].mark == 0) {
            t->u[j].mark = 1;
            j = t->u[j].parent;
        }
        if (j != SIZE_MAX && t->u[j].mark == 1)
            return cs_errf(err, errlen, CS_EMALFORMED,
                           "'%s', line %u: unit '%s' is its own ancestor (a cycle of parents)",
                           path, t->u[j].line, t->u[j].f[F_ID]);
        for (j = i; j != SIZE_MAX && t->u[j].mark == 1; j = t->u[j].parent)
            t->u[j].mark = 2;
    }
    return 0;
}

static int
csv_read(const char *path, struct tree *t, char *err, size_t errlen)
{
    static const char header[] = "id,parent,level,kind,name";
    char *line = NULL, msg[256];
    size_t cap = 0, total = 0;
    unsigned lineno = 0;
    ssize_t len;
    int ret = 0;

    memset(t, 0, sizeof(*t));
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return cs_errf(err, errlen, -errno, "cannot open '%s': %s", path, strerror(errno));
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        total += (size_t)len;
        if (total > CSV_MAX_BYTES) {
            ret = cs_errf(err, errlen, CS_ETOOBIG, "'%s' is over %u bytes", path, CSV_MAX_BYTES);
            goto out;
        }
        if (strlen(line) != (size_t)len) {
            ret = cs_errf(err, errlen, CS_EMALFORMED, "'%s', line %u: binary data", path, lineno);
            goto out;
        }
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = 0;
        if (len > 0 && line[len - 1] == '\r') /* saved on Windows */
            line[--len] = 0;
        char *p = line;
        if (lineno == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0) /* saved by a spreadsheet */
            p += 3;
        if (!cs_utf8_valid((const unsigned char *)p, strlen(p))) {
            ret =
                cs_errf(err, errlen, CS_EMALFORMED, "'%s', line %u: not UTF-8 text", path, lineno);
            goto out;
        }
        if (lineno == 1) {
            if (strcmp(p, header) != 0) {
                ret = cs_errf(err, errlen, CS_EMALFORMED,
                              "'%s', line 1: the first line must be the header %s", path, header);
                goto out;
            }
            continue;
        }
        if (*p == 0)
            continue;
        if (t->n == CSV_MAX_UNITS) {
            ret = cs_errf(err, errlen, CS_ETOOBIG, "'%s', line %u: more than %u units", path,
                          lineno, CSV_MAX_UNITS);
            goto out;
        }
        if (t->n == t->cap) {
            size_t ncap = t->cap ? t->cap * 2 : 64;
            struct unit *nu = realloc(t->u, ncap * sizeof(*nu));
            if (nu == NULL) {
                ret = cs_errf(err, errlen, CS_ENOMEM, "cannot read '%s': out of memory", path);
                goto out;
            }
            t->u = nu;
            t->cap = ncap;
        }
        struct unit *u = &t->u[t->n++];
        memset(u, 0, sizeof(*u));
        u->line = lineno;
        if (csv_split(p, u, msg, sizeof(msg)) != 0 || unit_check(u, msg, sizeof(msg)) != 0) {
            ret = cs_errf(err, errlen, CS_EMALFORMED, "'%s', line %u: %s", path, lineno, msg);
            goto out;
        }
    }
    if (ferror(f)) {
        ret = cs_errf(err, errlen, -EIO, "cannot read '%s': %s", path, strerror(errno));
        goto out;
    }
    if (lineno == 0) {
        ret = cs_errf(err, errlen, CS_EMALFORMED,
                      "'%s', line 1: the file is empty; the first line must be the header %s", path,
                      header);
        goto out;
    }
    ret = tree_check(t, path, err, errlen);
out:
    free(line);
    fclose(f);
    if (ret != 0)
        tree_release(t);
    return ret;
}

/* ---- open, close, init ---- */

void
hub_close(struct hub *h)
{
    if (h == NULL)
        return;
    hub_authorize_done(h);
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(h->stmt[i]);
    for (int t = 0; t < T__COUNT; t++)
        sqlite3_finalize(h->look[t]);
    cs_replica_close(h->r);
    cs_key_free(h->key);
    free(h->dbpath);
    free(h->state);
    free(h);
}

/* Takes over key and r (freed on failure too). */
static int
hub_assemble(struct hub **out, const char *state, const char *dbpath, struct cs_key *key,
             struct cs_replica *r, char *err, size_t errlen)
{
    struct hub *h = calloc(1, sizeof(*h));
    *out = NULL;
    if (h == NULL || (h->state = strdup(state)) == NULL || (h->dbpath = strdup(dbpath)) == NULL) {
        if (h != NULL)
            free(h->state);
        free(h);
        cs_replica_close(r);
        cs_key_free(key);
        return cs_errf(err, errlen, CS_ENOMEM, "cannot open '%s': out of memory", dbpath);
    }
    h->key = key;
    h->r = r;
    h->db = cs_replica_db(r);
    *out = h;
    return 0;
}

const struct cs_key *
hub_key(const struct hub *h)
{
    return h->key;
}

struct cs_replica *
hub_replica(struct hub *h)
{
    return h->r;
}

const char *
hub_root_org(const struct hub *h)
{
    return h->root;
}

/* ---- incarnations ---- */

/* The first incarnation (since 0), unless the hub has one. */
static int
incarnation_first(struct hub *h, char *err, size_t errlen)
{
    uint8_t id[CS_INCARNATION_LEN];
    sqlite3_stmt *st = stmt_get(h, ST_INC_FIRST);
    if (st == NULL)
        return db_fail(h, sqlite3_errcode(h->db), err, errlen, "write to");
    randombytes_buf(id, sizeof(id));
    sqlite3_bind_blob(st, 1, id, sizeof(id), SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
    int rc = step_done(st);
    return rc == SQLITE_OK ? 0 : db_fail(h, rc, err, errlen, "write to");
}

/*
 * Walks the history in order. With want (may be NULL): *found gets 1 when
 * it is there, and *prefix the least since_seq of the incarnations after
 * it (UINT64_MAX when it is the last). cur and *since get the last one.
 * CS_ENOTFOUND for an empty history, CS_ECORRUPT for an id of the wrong size.
 */
static int
incarnation_walk(struct hub *h, const uint8_t *want, int *found, uint64_t *prefix,
                 uint8_t cur[CS_INCARNATION_LEN], uint64_t *since)
{
    sqlite3_stmt *st = stmt_get(h, ST_INC_ALL);
    int rc, n = 0, ret = 0, in = 0;
    uint64_t low = UINT64_MAX;

    if (st == NULL)
        return cs_sqlite_code(sqlite3_errcode(h->db));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != CS_INCARNATION_LEN) {
            ret = CS_ECORRUPT;
            break;
        }
        const uint8_t *id = sqlite3_column_blob(st, 0);
        uint64_t s = (uint64_t)sqlite3_column_int64(st, 1);
        if (in && s < low)
            low = s;
        if (want != NULL && memcmp(id, want, CS_INCARNATION_LEN) == 0) {
            in = 1;
            low = UINT64_MAX;
        }
        memcpy(cur, id, CS_INCARNATION_LEN);
        *since = s;
        n++;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = cs_sqlite_code(rc);
    sqlite3_reset(st);
    if (ret == 0 && n == 0)
        ret = CS_ENOTFOUND;
    if (found != NULL)
        *found = in;
    if (prefix != NULL)
        *prefix = low;
    return ret;
}

int
hub_incarnation(struct hub *h, uint8_t id[CS_INCARNATION_LEN], uint64_t *since)
{
    uint64_t s = 0;
    int ret = incarnation_walk(h, NULL, NULL, NULL, id, &s);
    if (ret == 0 && since != NULL)
        *since = s;
    return ret;
}

int
hub_incarnation_new(struct hub *h, uint8_t id[CS_INCARNATION_LEN], uint64_t *since, char *err,
                    size_t errlen)
{
    uint8_t cur[CS_INCARNATION_LEN];
    uint64_t s = 0;
    sqlite3_stmt *st = stmt_get(h, ST_INC_ADD);
    int rc, ret;

    if (st == NULL)
        return db_fail(h, sqlite3_errcode(h->db), err, errlen, "write to");
    randombytes_buf(id, CS_INCARNATION_LEN);
    sqlite3_bind_blob(st, 1, id, CS_INCARNATION_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
    if ((rc = step_done(st)) != SQLITE_OK)
        return db_fail(h, rc, err, errlen, "write to");
    if ((ret = incarnation_walk(h, NULL, NULL, NULL, cur, &s)) != 0)
        return cs_errf(err, errlen, ret, "cannot read the incarnations of '%s': %s", h->dbpath,
                       cs_strerror(ret));
    if (memcmp(cur, id, CS_INCARNATION_LEN) != 0)
        return cs_errf(err, errlen, CS_ECORRUPT, "'%s': the new incarnation is not the last",
                       h->dbpath);
    if (since != NULL)
        *since = s;
    return 0;
}

int
hub_down_cursor(struct hub *h, const struct cs_hello *hello, uint8_t cur[CS_INCARNATION_LEN],
                uint64_t *down)
{
    uint64_t since = 0, prefix = UINT64_MAX;
    int found = 0;
    int ret = incarnation_walk(h, hello->has_incarnation ? hello->incarnation : NULL, &found,
                               &prefix, cur, &since);
    if (ret != 0)
        return ret;
    if (hello->has_incarnation ? memcmp(hello->incarnation, cur, CS_INCARNATION_LEN) == 0
                               : hello->hub_seq == 0) {
        *down = hello->hub_seq;
        return HUB_DOWN_SAME;
    }
    if (found) {
        *down = hello->hub_seq < prefix ? hello->hub_seq : prefix;
        return HUB_DOWN_EARLIER;
    }
    *down = 0;
    return HUB_DOWN_UNKNOWN;
}

int
hub_open(struct hub **out, const char *state, char *err, size_t errlen)
{
    char key_path[PATH_MAX], db_path[PATH_MAX];
    struct cs_key *k = NULL;
    struct cs_replica *r = NULL;
    struct hub *h = NULL;
    struct cs_id site;
    int ret;

    *out = NULL;
    if (path_join(key_path, sizeof(key_path), state, HUB_KEY) != 0 ||
        path_join(db_path, sizeof(db_path), state, HUB_REPLICA) != 0)
        return cs_errf(err, errlen, CS_EINVAL, "state directory '%s': path too long", state);
    if ((ret = cs_key_load(&k, key_path, err, errlen)) != 0)
        return ret;
    cs_key_id(k, &site);
    if ((ret = cs_replica_open(&r, db_path, CS_REPLICA_NO_SEARCH, &site, err, errlen)) != 0) {
        cs_key_free(k);
        return ret;
    }
    if ((ret = hub_assemble(&h, state, db_path, k, r, err, errlen)) != 0)
        return ret;
    if ((ret = exec(h, hub_sql, err, errlen, "open")) != 0)
        goto out;
    /* A hub made before incarnations gets its first now (written only then). */
    {
        uint8_t cur[CS_INCARNATION_LEN];
        ret = hub_incarnation(h, cur, NULL);
        if (ret == CS_ENOTFOUND && (ret = incarnation_first(h, err, errlen)) != 0)
            goto out;
        if (ret != 0) {
            ret = cs_errf(err, errlen, ret, "cannot read the incarnations of '%s': %s", db_path,
                          cs_strerror(ret));
            goto out;
        }
    }
    if (cs_replica_meta_get(h->r, "root_org", h->root, sizeof(h->root)) != 0 || h->root[0] == 0) {
        ret = cs_errf(err, errlen, CS_ECORRUPT,
                      "'%s' is not a hub's replica: it has no root org unit (run cellsyncd init)",
                      db_path);
        goto out;
    }
    *out = h;
    h = NULL;
    ret = 0;
out:
    hub_close(h);
    return ret;
}

/* mkdir -p: parents 0755, the state directory itself 0700. Records what it made. */
static int
make_dirs(const char *path, char made[][PATH_MAX], int *nmade, int max, char *err, size_t errlen)
{
    char buf[PATH_MAX];
    struct stat st;

    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return cs_errf(err, errlen, CS_EINVAL, "state directory '%s': path too long", path);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = 0;
    for (char *p = buf + 1;; p++) {
        int last = *p == 0;
        if (!last && *p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, last ? 0700 : 0755) == 0) {
            if (*nmade < max)
                snprintf(made[(*nmade)++], PATH_MAX, "%s", buf);
        } else if (errno != EEXIST || stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
            int e = errno == EEXIST ? ENOTDIR : errno;
            return cs_errf(err, errlen, -e, "cannot create '%s': %s", buf, strerror(e));
        }
        if (last)
            break;
        *p = '/';
    }
    return 0;
}

/* The org tree as registers, the hub tables and the root, in one local transaction. */
static int
init_store(struct hub *h, const struct tree *t, char *err, size_t errlen)
{
    int ret;

    if ((ret = cs_replica_begin(h->r, err, errlen)) != 0)
        return ret;
    if ((ret = exec(h, hub_sql, err, errlen, "create")) != 0 ||
        (ret = incarnation_first(h, err, errlen)) != 0)
        goto out;
    for (size_t i = 0; i < t->n; i++) {
        const struct unit *u = &t->u[i];
        struct cs_id row;
        hub_org_row_id(u->f[F_ID], &row);
        if ((ret = cs_replica_set_text(h->r, "org_unit", &row, "code", u->f[F_ID], err, errlen)) !=
                0 ||
            (ret = cs_replica_set_text(h->r, "org_unit", &row, "parent",
                                       u->f[F_PARENT][0] ? u->f[F_PARENT] : NULL, err, errlen)) !=
                0 ||
            (ret = cs_replica_set_text(h->r, "org_unit", &row, "level", u->f[F_LEVEL], err,
                                       errlen)) != 0 ||
            (ret = cs_replica_set_text(h->r, "org_unit", &row, "kind",
                                       u->f[F_KIND][0] ? u->f[F_KIND] : NULL, err, errlen)) != 0 ||
            (ret = cs_replica_set_text(h->r, "org_unit", &row, "name", u->f[F_NAME], err,
                                       errlen)) != 0)
            goto out;
    }
    snprintf(h->root, sizeof(h->root), "%s", t->u[t->root].f[F_ID]);
    if ((ret = cs_replica_meta_set(h->r, "root_org", h->root)) != 0) {
        ret = db_fail(h, sqlite3_errcode(h->db), err, errlen, "write to");
        goto out;
    }
    ret = cs_replica_commit(h->r, err, errlen);
out:
    if (ret != 0)
        cs_replica_rollback(h->r);
    return ret;
}

int
hub_init(const char *state, const char *org_csv, char *err, size_t errlen)
{
    char key_path[PATH_MAX], pub_path[PATH_MAX], db_path[PATH_MAX], side[PATH_MAX + 8];
    char made[16][PATH_MAX];
    int nmade = 0, created_files = 0, ret;
    struct tree t = {0};
    struct cs_key *k = NULL;
    struct cs_replica *r = NULL;
    struct hub *h = NULL;
    struct cs_id site;

    if (path_join(key_path, sizeof(key_path), state, HUB_KEY) != 0 ||
        path_join(pub_path, sizeof(pub_path), state, HUB_PUB) != 0 ||
        path_join(db_path, sizeof(db_path), state, HUB_REPLICA) != 0)
        return cs_errf(err, errlen, CS_EINVAL, "state directory '%s': path too long", state);
    const char *existing[] = {key_path, pub_path, db_path};
    for (size_t i = 0; i < 3; i++)
        if (access(existing[i], F_OK) == 0)
            return cs_errf(err, errlen, CS_EEXISTS,
                           "'%s' already holds a hub ('%s' exists); nothing was changed", state,
                           existing[i]);
    /* A bad tree is refused before anything exists. */
    if ((ret = csv_read(org_csv, &t, err, errlen)) != 0)
        return ret;
    if ((ret = make_dirs(state, made, &nmade, 16, err, errlen)) != 0)
        goto out;
    created_files = 1;
    if ((ret = cs_key_generate(&k)) != 0) {
        ret = cs_errf(err, errlen, ret, "cannot make the hub's key: %s", cs_strerror(ret));
        goto out;
    }
    if ((ret = cs_key_save(k, key_path, err, errlen)) != 0 ||
        (ret = cs_pk_save(cs_key_pk(k), pub_path, err, errlen)) != 0)
        goto out;
    cs_key_id(k, &site);
    if ((ret = cs_replica_open(&r, db_path, CS_REPLICA_CREATE | CS_REPLICA_NO_SEARCH, &site, err,
                               errlen)) != 0)
        goto out;
    ret = hub_assemble(&h, state, db_path, k, r, err, errlen);
    k = NULL;
    r = NULL;
    if (ret != 0)
        goto out;
    ret = init_store(h, &t, err, errlen);
out:
    hub_close(h);
    cs_replica_close(r);
    cs_key_free(k);
    tree_release(&t);
    if (ret != 0 && created_files) {
        /* Nothing existed before (checked above): take all of it away again. */
        int saved = errno;
        unlink(key_path);
        unlink(pub_path);
        unlink(db_path);
        snprintf(side, sizeof(side), "%s-wal", db_path);
        unlink(side);
        snprintf(side, sizeof(side), "%s-shm", db_path);
        unlink(side);
        snprintf(side, sizeof(side), "%s-journal", db_path);
        unlink(side);
        while (nmade > 0)
            rmdir(made[--nmade]);
        errno = saved;
    }
    return ret;
}

/* ---- enrollment ---- */

int
hub_enroll_create(struct hub *h, const char *org, const char *role, const char *name,
                  const char *addr, unsigned ttl_days, const char *out_path, char *code,
                  size_t codelen, int64_t *expires, char *err, size_t errlen)
{
    uint8_t secret[CS_ENROLL_SECRET_LEN], hash[32];
    struct cs_enrollment *e = NULL;
    sqlite3_stmt *st;
    int ret, rc, in_tx = 0;

    if (name == NULL)
        name = "";
    if (!cs_enroll_role_ok(role))
        return cs_errf(err, errlen, CS_EINVAL, "unknown role '%s': use cell, committee or hub",
                       role);
    if (!text_ok(name, sizeof(e->name), 1) ||
        (name[0] && (name[0] == ' ' || name[strlen(name) - 1] == ' ')))
        return cs_errf(err, errlen, CS_EINVAL,
                       "device name '%s' is too long (%zu bytes at most) or holds control "
                       "characters",
                       name, sizeof(e->name) - 1);
    if (out_path != NULL &&
        (addr == NULL || !text_ok(addr, sizeof(e->addr), 0) || strpbrk(addr, " \t") != NULL))
        return cs_errf(err, errlen, CS_EINVAL, "bad hub address '%s': give HOST:PORT",
                       addr ? addr : "");
    if (ttl_days < 1 || ttl_days > 365)
        return cs_errf(err, errlen, CS_EINVAL, "an enrollment is valid for 1 to 365 days, not %u",
                       ttl_days);
    if (code != NULL && codelen < CS_ENROLL_CODE_LEN + 1)
        return cs_errf(err, errlen, CS_EINVAL, "no room for the code");
    if ((st = stmt_get(h, ST_UNIT_LIVE)) == NULL)
        return db_fail(h, sqlite3_errcode(h->db), err, errlen, "read");
    sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return cs_errf(err, errlen, CS_ENOTFOUND, "no org unit '%s' in the hub's org tree", org);
    if (rc != SQLITE_ROW)
        return db_fail(h, rc, err, errlen, "read");

    cs_enroll_secret_new(secret, code != NULL);
    crypto_generichash(hash, sizeof(hash), secret, sizeof(secret), NULL, 0);
    int64_t now = (int64_t)time(NULL);
    int64_t until = now + (int64_t)ttl_days * DAY;
    if ((ret = exec(h, "BEGIN IMMEDIATE", err, errlen, "write to")) != 0)
        goto out;
    in_tx = 1;
    if ((st = stmt_get(h, ST_ENROLL_ADD)) == NULL) {
        ret = db_fail(h, sqlite3_errcode(h->db), err, errlen, "write to");
        goto out;
    }
    sqlite3_bind_blob(st, 1, hash, sizeof(hash), SQLITE_STATIC);
    sqlite3_bind_text(st, 2, org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC);
    if (name[0])
        sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_int64(st, 6, until);
    if ((rc = step_done(st)) != SQLITE_OK) {
        ret = db_fail(h, rc, err, errlen, "write to");
        goto out;
    }
    /* The file first: a commit that fails takes it away again. */
    if (out_path != NULL) {
        if ((e = sodium_malloc(sizeof(*e))) == NULL) {
            ret = cs_errf(err, errlen, CS_ENOMEM, "out of memory");
            goto out;
        }
        memset(e, 0, sizeof(*e));
        snprintf(e->addr, sizeof(e->addr), "%s", addr);
        memcpy(e->hub_pk, cs_key_pk(h->key), CS_PK_LEN);
        snprintf(e->org, sizeof(e->org), "%s", org);
        snprintf(e->role, sizeof(e->role), "%s", role);
        snprintf(e->name, sizeof(e->name), "%s", name);
        memcpy(e->secret, secret, sizeof(secret));
        e->expires = until;
        if ((ret = cs_enrollment_write(e, out_path, err, errlen)) != 0)
            goto out;
    }
    if ((ret = exec(h, "COMMIT", err, errlen, "write to")) != 0) {
        if (out_path != NULL)
            unlink(out_path);
        goto out;
    }
    in_tx = 0;
    if (code != NULL) {
        struct cs_id hub_id;
        cs_key_id(h->key, &hub_id);
        cs_enroll_code_format(&hub_id, secret, code);
    }
    if (expires != NULL)
        *expires = until;
    ret = 0;
out:
    if (in_tx)
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    sodium_memzero(secret, sizeof(secret));
    sodium_free(e);
    return ret;
}

/* ---- devices ---- */

static int
device_row(sqlite3_stmt *st, struct hub_device *d)
{
    memset(d, 0, sizeof(*d));
    if (sqlite3_column_bytes(st, 0) != CS_ID_LEN || sqlite3_column_bytes(st, 1) != CS_PK_LEN)
        return CS_ECORRUPT;
    memcpy(d->id.b, sqlite3_column_blob(st, 0), CS_ID_LEN);
    memcpy(d->pk, sqlite3_column_blob(st, 1), CS_PK_LEN);
    col_text(st, 2, d->org, sizeof(d->org));
    col_text(st, 3, d->role, sizeof(d->role));
    col_text(st, 4, d->name, sizeof(d->name));
    d->enrolled_at = sqlite3_column_int64(st, 5);
    d->last_contact = sqlite3_column_int64(st, 6);
    d->revoked_at = sqlite3_column_int64(st, 7);
    d->up_seq = (uint64_t)sqlite3_column_int64(st, 8);
    d->down_seq = (uint64_t)sqlite3_column_int64(st, 9);
    return 0;
}

int
hub_device_get(struct hub *h, const struct cs_id *id, struct hub_device *d)
{
    sqlite3_stmt *st = stmt_get(h, ST_DEV_GET);
    if (st == NULL)
        return cs_sqlite_code(sqlite3_errcode(h->db));
    sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int ret = rc == SQLITE_ROW    ? device_row(st, d)
              : rc == SQLITE_DONE ? CS_ENOTFOUND
                                  : cs_sqlite_code(rc);
    sqlite3_reset(st);
    return ret;
}

static void
day_text(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (localtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, len, "%lld", (long long)t);
}

/* Enrolls pk with the open enrollment whose hash is hash. A status. */
static int
enroll_device(struct hub *h, const uint8_t pk[CS_PK_LEN], const struct cs_id *id,
              const uint8_t hash[32], const char *org, const char *role, const char *name,
              struct hub_device *d)
{
    sqlite3_stmt *st;
    int rc;
    int64_t now = (int64_t)time(NULL);

    if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return CS_WELCOME_BUSY;
    if ((st = stmt_get(h, ST_ENROLL_USE)) == NULL)
        goto busy;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, id->b, CS_ID_LEN, SQLITE_STATIC);
    if (step_done(st) != SQLITE_OK)
        goto busy;
    if (sqlite3_changes(h->db) != 1) {
        /* Used up between the look-up and now. */
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        return CS_WELCOME_ENROLL;
    }
    if ((st = stmt_get(h, ST_DEV_ADD)) == NULL)
        goto busy;
    sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, pk, CS_PK_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, role, -1, SQLITE_STATIC);
    if (name[0])
        sqlite3_bind_text(st, 5, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    if ((rc = step_done(st)) != SQLITE_OK ||
        sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto busy;
    memset(d, 0, sizeof(*d));
    d->id = *id;
    memcpy(d->pk, pk, CS_PK_LEN);
    snprintf(d->org, sizeof(d->org), "%s", org);
    snprintf(d->role, sizeof(d->role), "%s", role);
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->enrolled_at = d->last_contact = now;
    return CS_WELCOME_OK;
busy:
    sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    return CS_WELCOME_BUSY;
}

int
hub_admit(struct hub *h, const uint8_t pk[CS_PK_LEN], const struct cs_hello *hello,
          struct hub_device *d, char *msg, size_t msglen)
{
    struct cs_id id;
    int ret;

    if (msglen > 0)
        msg[0] = 0;
    cs_pk_id(pk, &id);
    ret = hub_device_get(h, &id, d);
    if (ret == 0) {
        if (sodium_memcmp(d->pk, pk, CS_PK_LEN) != 0) {
            snprintf(msg, msglen, "%s", _("this device's key does not match the hub's record"));
            return CS_WELCOME_UNKNOWN;
        }
        if (d->revoked_at != 0) {
            char day[32];
            day_text(d->revoked_at, day, sizeof(day));
            snprintf(msg, msglen, _("this device was revoked at the hub on %s"), day);
            return CS_WELCOME_REVOKED;
        }
        return CS_WELCOME_OK;
    }
    if (ret != CS_ENOTFOUND)
        goto busy;
    if (hello == NULL || !hello->has_secret) {
        snprintf(msg, msglen, "%s",
                 _("this device is not enrolled at this hub: ask the hub's administrator for "
                   "an enrollment"));
        return CS_WELCOME_UNKNOWN;
    }

    /*
     * Compare the hash with every open enrollment in constant time rather
     * than look it up, so nothing about the stored hashes leaks by timing.
     */
    uint8_t hash[32];
    char org[ORG_MAX] = "", role[16] = "", name[64] = "";
    int found = 0, rc;
    crypto_generichash(hash, sizeof(hash), hello->secret, sizeof(hello->secret), NULL, 0);
    sqlite3_stmt *st = stmt_get(h, ST_ENROLL_OPEN);
    if (st == NULL)
        goto busy;
    sqlite3_bind_int64(st, 1, (int64_t)time(NULL));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != 32)
            continue;
        if (sodium_memcmp(sqlite3_column_blob(st, 0), hash, 32) == 0 && !found) {
            found = 1;
            col_text(st, 1, org, sizeof(org));
            col_text(st, 2, role, sizeof(role));
            col_text(st, 3, name, sizeof(name));
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        goto busy;
    if (!found) {
        snprintf(msg, msglen, "%s", _("the enrollment code is wrong, already used or expired"));
        return CS_WELCOME_ENROLL;
    }
    /* The enrollment names the device; the device names itself only where it did not. */
    if (name[0] == 0) {
        size_t n = strnlen(hello->name, sizeof(hello->name));
        if (n < sizeof(hello->name)) {
            memcpy(name, hello->name, n + 1);
            if (!text_ok(name, sizeof(name), 1))
                name[0] = 0;
        }
    }
    ret = enroll_device(h, pk, &id, hash, org, role, name, d);
    if (ret == CS_WELCOME_ENROLL)
        snprintf(msg, msglen, "%s", _("the enrollment code is wrong, already used or expired"));
    else if (ret == CS_WELCOME_BUSY)
        goto busy;
    return ret;
busy:
    snprintf(msg, msglen, "%s", _("the hub cannot check this device now; try again later"));
    return CS_WELCOME_BUSY;
}

static int
device_update(struct hub *h, int which, const struct cs_id *id, int64_t v)
{
    sqlite3_stmt *st = stmt_get(h, which);
    if (st == NULL)
        return cs_sqlite_code(sqlite3_errcode(h->db));
    sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, v);
    int rc = step_done(st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    return sqlite3_changes(h->db) == 1 ? 0 : CS_ENOTFOUND;
}

int
hub_device_touch(struct hub *h, const struct cs_id *id, int64_t now)
{
    return device_update(h, ST_DEV_TOUCH, id, now);
}

int
hub_device_set_up_seq(struct hub *h, const struct cs_id *id, uint64_t seq)
{
    return device_update(h, ST_DEV_UP, id, (int64_t)seq);
}

int
hub_device_set_down_seq(struct hub *h, const struct cs_id *id, uint64_t seq)
{
    return device_update(h, ST_DEV_DOWN, id, (int64_t)seq);
}

/* Terminal columns of UTF-8 text: one per code point, none for combining marks. */
static size_t
text_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp = *p;
        size_t len = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : 4;
        if (len > 1) {
            cp = *p & (0x3f >> (len - 1));
            for (size_t k = 1; k < len && p[k]; k++)
                cp = (cp << 6) | (p[k] & 0x3f);
        }
        for (size_t k = 0; k < len && *p; k++)
            p++;
        if (!((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x1ab0 && cp <= 0x1aff) ||
              (cp >= 0x1dc0 && cp <= 0x1dff) || (cp >= 0x20d0 && cp <= 0x20ff) ||
              (cp >= 0xfe20 && cp <= 0xfe2f)))
            w++;
    }
    return w;
}

static void
when_text(int64_t t, const char *none, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t == 0 || localtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M", &tm) == 0)
        snprintf(buf, len, "%s", none);
}

#define DCOLS 7

static int
devices_table(struct hub *h, FILE *f, char *err, size_t errlen)
{
    const char *heads[DCOLS] = {_("device"),   _("name"),         _("org unit"), _("role"),
                                _("enrolled"), _("last contact"), _("revoked")};
    char(*cells)[DCOLS][72] = NULL;
    size_t n = 0, cap = 0, width[DCOLS];
    int ret = 0, rc;
    sqlite3_stmt *st = stmt_get(h, ST_DEV_ALL);

    if (st == NULL)
        return db_fail(h, sqlite3_errcode(h->db), err, errlen, "read");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct hub_device d;
        char hex[2 * CS_ID_LEN + 1];
        if (device_row(st, &d) != 0)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            void *nc = realloc(cells, ncap * sizeof(*cells));
            if (nc == NULL) {
                ret = cs_errf(err, errlen, CS_ENOMEM, "out of memory");
                goto out;
            }
            cells = nc;
            cap = ncap;
        }
        char(*c)[72] = cells[n++];
        id_hex32(&d.id, hex);
        snprintf(c[0], sizeof(c[0]), "%.8s", hex);
        snprintf(c[1], sizeof(c[1]), "%s", d.name[0] ? d.name : "-");
        snprintf(c[2], sizeof(c[2]), "%s", d.org);
        snprintf(c[3], sizeof(c[3]), "%s", d.role);
        when_text(d.enrolled_at, "-", c[4], sizeof(c[4]));
        when_text(d.last_contact, _("never"), c[5], sizeof(c[5]));
        when_text(d.revoked_at, "-", c[6], sizeof(c[6]));
    }
    if (rc != SQLITE_DONE) {
        ret = db_fail(h, rc, err, errlen, "read");
        goto out;
    }
    for (int j = 0; j < DCOLS; j++) {
        width[j] = text_width(heads[j]);
        for (size_t i = 0; i < n; i++)
            if (text_width(cells[i][j]) > width[j])
                width[j] = text_width(cells[i][j]);
    }
    for (size_t i = 0; i <= n; i++)
        for (int j = 0; j < DCOLS; j++) {
            const char *s = i == 0 ? heads[j] : cells[i - 1][j];
            fputs(s, f);
            if (j == DCOLS - 1)
                fputc('\n', f);
            else
                fprintf(f, "%*s", (int)(width[j] - text_width(s) + 2), "");
        }
    if (fflush(f) != 0 || ferror(f))
        ret = cs_errf(err, errlen, -EIO, "cannot write the list: %s", strerror(errno));
out:
    sqlite3_reset(st);
    free(cells);
    return ret;
}

#define UUID_SQL(x)                                                                                \
    "lower(substr(hex(" x "),1,8)||'-'||substr(hex(" x "),9,4)||'-'||substr(hex(" x                \
    "),13,4)||'-'||substr(hex(" x "),17,4)||'-'||substr(hex(" x "),21,12))"
#define ISO_SQL(x)                                                                                 \
    "CASE WHEN coalesce(" x ", 0) = 0 THEN NULL"                                                   \
    " ELSE strftime('%Y-%m-%dT%H:%M:%SZ', " x ", 'unixepoch') END"

/* clang-format off */
static const char devices_json_sql[] =
    "SELECT json_group_array(json_object("
    " 'id', " UUID_SQL("id") ","
    " 'name', name, 'org', org, 'role', role,"
    " 'enrolled_at', " ISO_SQL("enrolled_at") ","
    " 'last_contact', " ISO_SQL("last_contact") ","
    " 'revoked_at', " ISO_SQL("revoked_at") ","
    " 'up_seq', up_seq, 'down_seq', down_seq))"
    " FROM (SELECT * FROM hub_device ORDER BY org, name, id)";
/* clang-format on */

int
hub_devices_print(struct hub *h, FILE *f, int json, char *err, size_t errlen)
{
    if (!json)
        return devices_table(h, f, err, errlen);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(h->db, devices_json_sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return db_fail(h, rc, err, errlen, "read");
    int ret = 0;
    if ((rc = sqlite3_step(st)) != SQLITE_ROW)
        ret = db_fail(h, rc, err, errlen, "read");
    else if (fprintf(f, "%s\n", (const char *)sqlite3_column_text(st, 0)) < 0 || fflush(f) != 0)
        ret = cs_errf(err, errlen, -EIO, "cannot write the list: %s", strerror(errno));
    sqlite3_finalize(st);
    return ret;
}

/* 1 if which, as hex digits (dashes ignored, at least 4), begins or ends hex32. */
static int
id_matches(const char *which, const char *hex32)
{
    char want[2 * CS_ID_LEN + 1];
    size_t n = 0;
    for (const char *p = which; *p; p++) {
        if (*p == '-')
            continue;
        char c = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || n == 2 * CS_ID_LEN)
            return 0;
        want[n++] = c;
    }
    if (n < 4)
        return 0;
    return memcmp(hex32, want, n) == 0 || memcmp(hex32 + 2 * CS_ID_LEN - n, want, n) == 0;
}

int
hub_device_revoke(struct hub *h, const char *which, struct hub_device *out, char *err,
                  size_t errlen)
{
    struct hub_device d, match = {0};
    char list[512] = "";
    size_t nmatch = 0, used = 0;
    int rc, ret;
    sqlite3_stmt *st = stmt_get(h, ST_DEV_ALL);

    if (which[0] == 0)
        return cs_errf(err, errlen, CS_EINVAL, "name a device by its name or id");
    if (st == NULL)
        return db_fail(h, sqlite3_errcode(h->db), err, errlen, "read");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char hex[2 * CS_ID_LEN + 1];
        if (device_row(st, &d) != 0)
            continue;
        id_hex32(&d.id, hex);
        if (strcmp(d.name, which) != 0 && !id_matches(which, hex))
            continue;
        if (nmatch++ == 0)
            match = d;
        int n = snprintf(list + used, sizeof(list) - used, "%s%.8s (%s)", used ? ", " : "", hex,
                         d.name[0] ? d.name : d.org);
        if (n > 0 && used + (size_t)n < sizeof(list))
            used += (size_t)n;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_fail(h, rc, err, errlen, "read");
    if (nmatch == 0)
        return cs_errf(err, errlen, CS_ENOTFOUND,
                       "no device is named '%s' or has an id beginning or ending so", which);
    if (nmatch > 1)
        return cs_errf(err, errlen, CS_EAMBIGUOUS,
                       "'%s' matches more than one device: %s; give more of the id", which, list);
    if ((ret = device_update(h, ST_DEV_REVOKE, &match.id, (int64_t)time(NULL))) != 0 &&
        ret != CS_ENOTFOUND)
        return db_fail(h, sqlite3_errcode(h->db), err, errlen, "write to");
    /* CS_ENOTFOUND here: it was revoked already, and keeps its first time. */
    if (out != NULL && (ret = hub_device_get(h, &match.id, out)) != 0)
        return db_fail(h, sqlite3_errcode(h->db), err, errlen, "read");
    return 0;
}

/* ---- scope ---- */

static int
codes_load(struct hub *h, int which, const char *org, char ***out, size_t *nout)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    int rc, ret = 0;
    sqlite3_stmt *st = stmt_get(h, which);

    *out = NULL;
    *nout = 0;
    if (st == NULL)
        return cs_sqlite_code(sqlite3_errcode(h->db));
    sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(st, 0);
        if (code == NULL)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nv = realloc(v, ncap * sizeof(*nv));
            if (nv == NULL) {
                ret = CS_ENOMEM;
                break;
            }
            v = nv;
            cap = ncap;
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

/* ---- placing rows in the tree ---- */

#define ORGS_MAX 8

/* The units a row belongs to; it is in scope only if all of them are. */
struct orgs {
    int n;
    int unknown;     /* the hub cannot place it (downstream: not sent) */
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
az_find(const struct authz *az, int t, const struct cs_id *row)
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

/* The unit of the device that first sent a row; *found = 0 if the hub has no version of it. */
static int
creator_org(struct hub *h, int t, const struct cs_id *row, struct orgs *o, int *found)
{
    sqlite3_stmt *st = stmt_get(h, ST_CREATOR);
    if (st == NULL)
        return cs_sqlite_code(sqlite3_errcode(h->db));
    sqlite3_bind_text(st, 1, tables[t].name, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, row->b, CS_ID_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) == SQLITE_TEXT)
            orgs_add(o, (const char *)sqlite3_column_text(st, 0),
                     (size_t)sqlite3_column_bytes(st, 0), tables[t].key);
        else
            orgs_add(o, h->root, strlen(h->root), tables[t].key);
    }
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
    sqlite3_stmt *st = look_get(h, t);
    if (st == NULL)
        return cs_sqlite_code(sqlite3_errcode(h->db));
    sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(st);
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

/*
 * Places a row of a K_ORG or K_CHILD table: adds its units to o. With az
 * (upstream), the set's values count as well as the hub's, and a row the
 * hub has never seen is the device's unit; without (downstream), only the
 * hub's rows count and such a row is unknown.
 */
static int
resolve(struct hub *h, const struct authz *az, int t, const struct cs_id *row, struct orgs *o,
        int depth)
{
    const struct table *tb = &tables[t];
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
        if (tb->kind == K_ORG && c.value.type == CS_VTEXT && c.value.n > 0) {
            orgs_add(o, c.value.p, c.value.n, tb->key);
            got = 1;
        } else if (tb->kind == K_CHILD && c.value.type == CS_VBLOB && c.value.n == CS_ID_LEN) {
            struct cs_id ref;
            memcpy(ref.b, c.value.p, CS_ID_LEN);
            if ((ret = resolve(h, az, tb->parent, &ref, o, depth + 1)) != 0)
                return ret;
            got = 1;
        } else if (c.value.type != CS_VNIL && !(c.value.type == CS_VTEXT && c.value.n == 0)) {
            o->bad = tb->key;
        }
    }
    if ((ret = hub_key_value(h, t, row, &type, buf, sizeof(buf), &len)) != 0)
        return ret;
    if (tb->kind == K_ORG && type == SQLITE_TEXT && len > 0) {
        orgs_add(o, (const char *)buf, len, tb->key);
        return 0;
    }
    if (tb->kind == K_CHILD && type == SQLITE_BLOB && len == CS_ID_LEN) {
        struct cs_id ref;
        memcpy(ref.b, buf, CS_ID_LEN);
        return resolve(h, az, tb->parent, &ref, o, depth + 1);
    }
    if (type != SQLITE_NULL && !(type == SQLITE_TEXT && len == 0)) {
        o->bad = tb->key;
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
set_text(const struct authz *az, size_t ix, char *out, size_t cap)
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

#define REFUSE(...)                                                                                \
    do {                                                                                           \
        snprintf(reason, len, __VA_ARGS__);                                                        \
        return CS_REFUSAL_OTHER;                                                                   \
    } while (0)

/* May a unit be the parent of a unit the device writes? New units of the same set count. */
static int
parent_ok(struct hub *h, const struct authz *az, const char *parent, int depth, char *reason,
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
    REFUSE(_("record of unit '%s' is outside this device's unit '%s'"), parent, az->d->org);
}

static int
unit_verdict(struct hub *h, const struct authz *az, const struct az_row *r, char *reason,
             size_t len)
{
    char hub_code[ORG_MAX], code[ORG_MAX], parent[ORG_MAX];
    int ret;

    if ((ret = hub_unit_code(h, &r->row, hub_code)) != 0)
        return ret;
    code[0] = 0;
    if (r->key_ix != 0 && set_text(az, r->key_ix, code, sizeof(code)) != 0)
        REFUSE(_("'%s' of an org unit must be a short code"), "code");
    if (hub_code[0] != 0) {
        if (!hub_scope_has(az->s, hub_code))
            REFUSE(_("record of unit '%s' is outside this device's unit '%s'"), hub_code,
                   az->d->org);
        if (code[0] != 0 && strcmp(code, hub_code) != 0)
            REFUSE(_("the code of org unit '%s' cannot change"), hub_code);
        snprintf(code, sizeof(code), "%s", hub_code);
    } else {
        struct cs_id want;
        if (code[0] == 0)
            REFUSE("%s", _("a new org unit needs a code"));
        hub_org_row_id(code, &want);
        if (cs_id_cmp(&want, &r->row) != 0)
            REFUSE(_("the record id of org unit '%s' does not match its code"), code);
        if (r->parent_ix == 0)
            REFUSE(_("the new org unit '%s' needs a parent unit"), code);
    }
    if (r->parent_ix != 0) {
        if (set_text(az, r->parent_ix, parent, sizeof(parent)) != 0 || parent[0] == 0)
            REFUSE(_("org unit '%s' needs a parent unit"), code);
        if (strcmp(parent, code) == 0)
            REFUSE(_("org unit '%s' cannot be its own parent"), code);
        return parent_ok(h, az, parent, 0, reason, len);
    }
    return 0;
}

/* The verdict on a row of the set (not on one change): 0, 1 with reason, or < 0. */
static int
row_verdict(struct hub *h, const struct authz *az, const struct az_row *r, char *reason, size_t len)
{
    struct orgs o = {0};
    int ret;

    if (tables[r->tbl].kind == K_UNIT)
        return unit_verdict(h, az, r, reason, len);
    if ((ret = resolve(h, az, r->tbl, &r->row, &o, 0)) != 0)
        return ret;
    if (o.bad != NULL)
        REFUSE(_("'%s' of this record does not hold a valid unit code or record id"), o.bad);
    for (int i = 0; i < o.n; i++)
        if (!hub_scope_has(az->s, o.v[i]))
            REFUSE(_("record of unit '%s' is outside this device's unit '%s'"), o.v[i], az->d->org);
    return 0;
}

/* ---- authorization ---- */

void
hub_authorize_done(struct hub *h)
{
    struct authz *az = h->az;
    if (az == NULL)
        return;
    for (size_t i = 0; i < az->nrows; i++)
        free(az->rows[i].reason);
    free(az->rows);
    free(az->tix);
    free(az);
    h->az = NULL;
}

/* What identifies a set beyond its address (a freed set's address is reused). */
static void
az_key(const struct cs_changeset *cs, size_t n, uint64_t *sf, uint64_t *sl, uint64_t *hf,
       uint64_t *hl, struct cs_id *origin)
{
    const struct cs_changeset_header *hd = cs_changeset_header(cs);
    struct cs_change c;
    *sf = hd->seq_first;
    *sl = hd->seq_last;
    *origin = hd->origin;
    *hf = *hl = 0;
    if (n > 0) {
        cs_changeset_get(cs, 0, &c);
        *hf = c.hlc;
        cs_changeset_get(cs, n - 1, &c);
        *hl = c.hlc;
    }
}

static int
az_matches(const struct hub *h, const struct hub_device *d, const struct hub_scope *s,
           const struct cs_changeset *cs)
{
    const struct authz *az = h->az;
    if (az == NULL || az->cs != cs || az->d != d || az->s != s || az->n != cs_changeset_count(cs))
        return 0;
    uint64_t sf, sl, hf, hl;
    struct cs_id origin;
    az_key(cs, az->n, &sf, &sl, &hf, &hl, &origin);
    return sf == az->seq_first && sl == az->seq_last && hf == az->hlc_first && hl == az->hlc_last &&
           cs_id_cmp(&origin, &az->origin) == 0;
}

int
hub_authorize_prepare(struct hub *h, const struct hub_device *d, const struct hub_scope *s,
                      const struct cs_changeset *cs)
{
    struct authz *az;
    size_t n = cs_changeset_count(cs);

    hub_authorize_done(h);
    if ((az = calloc(1, sizeof(*az))) == NULL || (az->tix = malloc(n ? n : 1)) == NULL ||
        (az->rows = malloc((n ? n : 1) * sizeof(*az->rows))) == NULL) {
        if (az != NULL)
            free(az->tix);
        free(az);
        return CS_ENOMEM;
    }
    az->cs = cs;
    az->n = n;
    az->d = d;
    az->s = s;
    /* Almost always none: then no change of the set needs its own lookup. */
    sqlite3_stmt *st = stmt_get(h, ST_REFUSED_ANY);
    int rc = SQLITE_ERROR;
    if (st != NULL) {
        sqlite3_bind_blob(st, 1, d->id.b, CS_ID_LEN, SQLITE_STATIC);
        rc = sqlite3_step(st);
        az->clock_refused = rc == SQLITE_ROW;
        sqlite3_reset(st);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        free(az->rows);
        free(az->tix);
        free(az);
        return cs_sqlite_code(rc);
    }
    az_key(cs, n, &az->seq_first, &az->seq_last, &az->hlc_first, &az->hlc_last, &az->origin);
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
    size_t out = 0;
    for (size_t k = 0; k < m;) {
        struct az_row row = az->rows[k];
        row.key_ix = row.parent_ix = 0;
        for (; k < m && az->rows[k].tbl == row.tbl &&
               memcmp(az->rows[k].row.b, row.row.b, CS_ID_LEN) == 0;
             k++) {
            struct cs_change c;
            size_t i = az->rows[k].key_ix;
            cs_changeset_get(cs, i, &c);
            if (strcmp(c.column, tables[row.tbl].key) == 0)
                row.key_ix = i + 1;
            else if (row.tbl == T_ORG_UNIT && strcmp(c.column, "parent") == 0)
                row.parent_ix = i + 1;
        }
        az->rows[out++] = row;
    }
    az->nrows = out;
    h->az = az;
    return 0;
}

static int
role_allows(const struct hub_device *d, int t, const struct cs_change *c, char *reason, size_t len)
{
    if (strcmp(d->role, HUB_ROLE_CELL) == 0) {
        if (t < 0 || !tables[t].cell)
            REFUSE(_("a cell may not write '%s'"), c->table);
        if ((t == T_CANDIDATE || t == T_MEMBER) && strcmp(c->column, "decision_on") == 0)
            REFUSE(_("admission decisions are the committee's: a cell may not write '%s.%s'"),
                   c->table, c->column);
        /* Nor the stage that records one (its date is refused above). */
        if (t == T_CANDIDATE && strcmp(c->column, "stage") == 0 && c->value.type == CS_VTEXT &&
            c->value.n == strlen("decision") && memcmp(c->value.p, "decision", c->value.n) == 0)
            REFUSE(_("admission decisions are the committee's: a cell may not set a candidate's "
                     "stage to '%s'"),
                   "decision");
        return 0;
    }
    if (strcmp(d->role, HUB_ROLE_COMMITTEE) == 0) {
        if (t < 0)
            REFUSE(_("this hub does not know the table '%s': only a hub may write it"), c->table);
        return 0;
    }
    if (strcmp(d->role, HUB_ROLE_HUB) == 0)
        return 0;
    REFUSE(_("the role '%s' may not write anything"), d->role);
}

static int
authorize(struct hub *h, const struct hub_device *d, size_t i, char *reason, size_t len)
{
    struct authz *az = h->az;
    struct cs_change c;
    int ret;

    cs_changeset_get(az->cs, i, &c);
    int is_hub = strcmp(d->role, HUB_ROLE_HUB) == 0;
    if (!is_hub && cs_id_cmp(&c.origin, &d->id) != 0)
        REFUSE("%s", _("change was written by another device"));
    /*
     * A stamp refused for the clock stays refused, though the hub's clock
     * has caught up with it since: its writer has been told and issues the
     * write again with a new stamp (or has replaced it), so taking the old
     * one from a stale stick would keep a version the writer has not.
     */
    if (az->clock_refused) {
        sqlite3_stmt *st = stmt_get(h, ST_REFUSED_CLOCK);
        if (st == NULL) {
            snprintf(reason, len, "%s", _("the hub cannot check this change now"));
            return cs_sqlite_code(sqlite3_errcode(h->db));
        }
        sqlite3_bind_blob(st, 1, c.row.b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)c.hlc);
        sqlite3_bind_blob(st, 3, c.origin.b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, c.table, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, c.column, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
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
    struct cs_hlc *clock = cs_replica_clock(h->r);
    int relayed = cs_id_cmp(&c.origin, &d->id) != 0;
    if ((relayed ? cs_hlc_check_relayed(clock, c.hlc) : cs_hlc_check(clock, c.hlc)) != 0) {
        uint64_t ahead = cs_hlc_ms(c.hlc) - cs_hlc_ms(cs_hlc_now(clock));
        unsigned long long hours = (ahead + 3599999) / 3600000;
        snprintf(reason, len,
                 dngettext(CS_TEXT_DOMAIN, "clock is %llu hour ahead of the hub",
                           "clock is %llu hours ahead of the hub", hours),
                 hours);
        return CS_REFUSAL_CLOCK;
    }
    int t = az->tix[i];
    if ((ret = role_allows(d, t, &c, reason, len)) != 0)
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
        if (ret != 0 && (r->reason = strdup(why)) == NULL) {
            r->verdict = 0;
            snprintf(reason, len, "%s", _("the hub cannot check this change now"));
            return CS_ENOMEM;
        }
    }
    if (r->verdict == 2)
        REFUSE("%s", r->reason);
    return 0;
}

int
hub_authorize(struct hub *h, const struct hub_device *d, const struct hub_scope *s,
              const struct cs_changeset *cs, size_t i, char *reason, size_t len)
{
    int ret;

    if (len > 0)
        reason[0] = 0;
    if (i >= cs_changeset_count(cs)) {
        snprintf(reason, len, "%s", _("the hub cannot check this change now"));
        return CS_EINVAL;
    }
    if (!az_matches(h, d, s, cs) && (ret = hub_authorize_prepare(h, d, s, cs)) != 0) {
        snprintf(reason, len, "%s", _("the hub cannot check this change now"));
        return ret;
    }
    ret = authorize(h, d, i, reason, len);
    if (i + 1 == h->az->n)
        hub_authorize_done(h);
    return ret;
}

int
hub_row_in_scope(struct hub *h, const struct hub_scope *s, const char *table,
                 const struct cs_id *row)
{
    int t = table_ix(table);
    if (t < 0)
        return 0;
    if (tables[t].kind == K_UNIT) {
        char code[ORG_MAX];
        return hub_unit_code(h, row, code) == 0 && code[0] != 0 && hub_scope_can_read(s, code);
    }
    struct orgs o = {0};
    if (resolve(h, NULL, t, row, &o, 0) != 0 || o.unknown || o.bad != NULL || o.n == 0)
        return 0;
    for (int i = 0; i < o.n; i++)
        if (!hub_scope_has(s, o.v[i]))
            return 0;
    return 1;
}

/* ---- audit ---- */

int
hub_audit(struct hub *h, const struct hub_device *d, const char *verdict,
          const struct cs_envelope_info *info, size_t changes, size_t refused, const char *reason,
          const uint8_t *env, size_t envlen)
{
    struct cs_id dev;
    sqlite3_stmt *st = stmt_get(h, ST_AUDIT_ADD);
    if (st == NULL)
        return cs_sqlite_code(sqlite3_errcode(h->db));
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
    int rc = step_done(st);
    return rc == SQLITE_OK ? 0 : cs_sqlite_code(rc);
}

int
hub_refusal(struct hub *h, const struct hub_device *d, const struct cs_change *c, int kind,
            const char *reason)
{
    sqlite3_stmt *st = stmt_get(h, ST_REFUSED_ADD);
    if (st == NULL)
        return cs_sqlite_code(sqlite3_errcode(h->db));
    sqlite3_bind_int64(st, 1, (int64_t)time(NULL));
    if (d != NULL)
        sqlite3_bind_blob(st, 2, d->id.b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->table, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, c->row.b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, c->column, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (int64_t)c->hlc);
    sqlite3_bind_blob(st, 7, c->origin.b, CS_ID_LEN, SQLITE_STATIC);
    switch (c->value.type) {
    case CS_VNIL:
        break;
    case CS_VINT:
        sqlite3_bind_int64(st, 8, c->value.i);
        break;
    case CS_VFLOAT:
        sqlite3_bind_double(st, 8, c->value.f);
        break;
    case CS_VTEXT:
        sqlite3_bind_text64(st, 8, c->value.n ? c->value.p : "", c->value.n, SQLITE_STATIC,
                            SQLITE_UTF8);
        break;
    case CS_VBLOB:
        sqlite3_bind_blob64(st, 8, c->value.n ? c->value.p : "", c->value.n, SQLITE_STATIC);
        break;
    }
    sqlite3_bind_text(st, 9, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, kind == CS_REFUSAL_CLOCK ? CS_REFUSAL_CLOCK : CS_REFUSAL_OTHER);
    int rc = step_done(st);
    return rc == SQLITE_OK ? 0 : cs_sqlite_code(rc);
}

int
hub_open_clock_refusals(struct hub *h, const struct hub_device *d, struct cs_refusal **out,
                        size_t *n)
{
    sqlite3_stmt *st = stmt_get(h, ST_REFUSED_OPEN);
    struct cs_refusal *v = NULL;
    size_t cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (st == NULL)
        return cs_sqlite_code(sqlite3_errcode(h->db));
    sqlite3_bind_blob(st, 1, d->id.b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, CS_MSG_REFUSED_MAX);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 1) != CS_ID_LEN || sqlite3_column_bytes(st, 4) != CS_ID_LEN)
            continue; /* not a change this hub could have refused */
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct cs_refusal *nv = realloc(v, ncap * sizeof(*nv));
            if (nv == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            v = nv;
            cap = ncap;
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
