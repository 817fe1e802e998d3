/* SPDX-License-Identifier: MIT */
/*
 * The replica store and its merge rule (see cellsync/replica.h for the
 * rule itself). A register's current version is its row of cs_reg; the
 * other versions kept are rows of cs_old with a state (conflict,
 * superseded) kept so that it always equals what the whole set of versions
 * implies, whatever order they came in:
 *
 *   x arrives, not known yet:
 *     x is superseded if a known version is a later write of x's origin
 *       or names as prev a write of x's origin at x's stamp or later;
 *     open conflicts x saw the same way (earlier writes of x's origin, and
 *       of its prev's origin up to its prev's stamp) become superseded;
 *     if x beats the current version, x is current and the old current is
 *       superseded if x saw it, else a conflict;
 *     otherwise x is superseded or, if nothing saw it, a conflict.
 *
 * Names and origins are interned to small integers (cs_name, cs_site) so a
 * version row is a few dozen bytes. The current value of every register
 * whose table and column exist in the domain schema is written there in the
 * same transaction, and kept there only when the column gives it back as
 * written (DVAL); the row's causal length likewise.
 */
#include <errno.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cellsync/date.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "cellsync/replica.h"
#include "cellsync/schema.h"
#include "cellsync/util.h"
#include "internal.h"
#include "store.h"

/*
 * A register's current value: cs_reg's val, or, for one the domain table
 * gives back exactly (val NULL there, cs__domain_holds), the domain row's
 * column. Reads the names t (table) and c (column) and the row v.row; a
 * register outside the domain schema matches no WHEN and keeps val.
 */
#define DV_COL(name, type, arg, writer, option, label) " WHEN '" name "' THEN d.\"" name "\""
#define DV_TABLE(name, place, key, writer, label)                                                  \
    " WHEN '" #name "' THEN (SELECT CASE c.name WHEN '' THEN NULL" CS_SCHEMA_FIELDS_##name(DV_COL) \
        CS_SCHEMA_OTHER_##name(DV_COL) " END FROM \"" #name "\" d WHERE d.id = v.row)"
#define DVAL(val) "coalesce(" val ", CASE t.name" CS_SCHEMA_TABLES(DV_TABLE) " END)"

/*
 * The public views (cellsync/replica.h): what other code may read. A view
 * whose text changes is dropped and made again (VIEWS_DROP), since IF NOT
 * EXISTS keeps an old one.
 */
#define VERSION_ARM(val, state)                                                                    \
    " SELECT v.seq AS seq, t.name AS tbl, v.row AS row, c.name AS col, " val " AS val,"            \
    " v.hlc AS hlc, s.uuid AS origin, " state " AS state, v.prev_hlc AS prev_hlc"
#define NAMES_JOIN                                                                                 \
    " JOIN cs_name t ON t.ix = v.tbl JOIN cs_name c ON c.ix = v.col JOIN cs_site s ON s.ix = "     \
    "v.site"
/*
 * The views that read values are made again when their text changes (a store
 * made before values were read through DVAL, or a schema with new columns):
 * store_complete looks for VIEWS_MARK in cs_version.
 */
#define VIEWS_MARK "coalesce(v.val, CASE t.name"
#define VIEWS_DROP "DROP VIEW IF EXISTS cs_version; DROP VIEW IF EXISTS cs_conflict;"
// clang-format off
#define STORE_VIEWS                                                                                \
    "CREATE VIEW IF NOT EXISTS cs_version AS"                                                      \
    VERSION_ARM(DVAL("v.val"), "'current'") " FROM cs_reg v" NAMES_JOIN " UNION ALL"               \
    VERSION_ARM("v.val", "CASE v.state WHEN 1 THEN 'conflict' ELSE 'replaced' END")                \
    " FROM cs_old v" NAMES_JOIN ";"                                                                \
    "CREATE VIEW IF NOT EXISTS cs_conflict AS SELECT v.seq AS seq, t.name AS tbl,"                 \
    " v.row AS row, c.name AS col, v.val AS val, v.hlc AS hlc, s.uuid AS origin,"                  \
    " CASE WHEN cur.tbl IS NULL THEN NULL ELSE " DVAL("cur.val") " END AS current_val,"            \
    " cur.hlc AS current_hlc, cs.uuid AS current_origin FROM cs_old v" NAMES_JOIN                  \
    " LEFT JOIN cs_reg cur ON cur.tbl = v.tbl AND cur.row = v.row AND cur.col = v.col"             \
    " LEFT JOIN cs_site cs ON cs.ix = cur.site WHERE v.state = 1;"                                 \
    /* Refusals still open: the refused version is still the register's current value. */         \
    "CREATE VIEW IF NOT EXISTS cs_refused_open AS SELECT f.tbl AS tbl, f.row AS row,"              \
    " f.col AS col, f.hlc AS hlc, f.origin AS origin, f.code AS code, f.reason AS reason"          \
    " FROM cs_refused f WHERE EXISTS (SELECT 1 FROM cs_reg v" NAMES_JOIN                           \
    " WHERE t.name = f.tbl AND v.row = f.row AND c.name = f.col AND v.hlc = f.hlc"                 \
    " AND s.uuid = f.origin);"
// clang-format on

static const char store_sql[] =
    "CREATE TABLE IF NOT EXISTS cs_meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS cs_name (ix INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
    "CREATE TABLE IF NOT EXISTS cs_site (ix INTEGER PRIMARY KEY, uuid BLOB NOT NULL UNIQUE);"
    /*
     * A register's current version, one row per (tbl, row, col), and the
     * other versions kept (open conflicts; superseded ones only while a peer
     * reading by seq needs them, see merge_one), each with its seq: dense,
     * assigned inside the writing transaction, never reused (cs__next_seq).
     * val has no type: no conversions. cs_reg's val is NULL for a value the
     * domain row gives back exactly (cs__domain_holds), read through DVAL; a
     * store made before keeps its copies, which DVAL reads first.
     */
    "CREATE TABLE IF NOT EXISTS cs_reg ("
    " tbl INTEGER NOT NULL, row BLOB NOT NULL, col INTEGER NOT NULL, hlc INTEGER NOT NULL,"
    " site INTEGER NOT NULL, prev_hlc INTEGER NOT NULL, prev_site INTEGER NOT NULL,"
    " cl INTEGER NOT NULL, seq INTEGER NOT NULL, val, PRIMARY KEY (tbl, row, col)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS cs_reg_seq ON cs_reg(seq);"
    "CREATE TABLE IF NOT EXISTS cs_old ("
    " tbl INTEGER NOT NULL, row BLOB NOT NULL, col INTEGER NOT NULL, hlc INTEGER NOT NULL,"
    " site INTEGER NOT NULL, prev_hlc INTEGER NOT NULL, prev_site INTEGER NOT NULL,"
    " cl INTEGER NOT NULL, seq INTEGER NOT NULL, state INTEGER NOT NULL, val,"
    " PRIMARY KEY (tbl, row, col, hlc, site)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS cs_old_seq ON cs_old(seq);"
    "CREATE INDEX IF NOT EXISTS cs_old_conflict ON cs_old(state) WHERE state = 1;"
    /* site: the origin of the row's first version here (cs_replica_first_writer). */
    "CREATE TABLE IF NOT EXISTS cs_row ("
    " tbl INTEGER NOT NULL, row BLOB NOT NULL, cl INTEGER NOT NULL, site INTEGER,"
    " keys BLOB, PRIMARY KEY (tbl, row)) WITHOUT ROWID;"
    /*
     * The change log (log.c): the write transaction that wrote seqs seq..last
     * touched a row logged under key; last = -seq: one version of a moved row.
     */
    "CREATE TABLE IF NOT EXISTS cs_log (key INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " last INTEGER NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID;"
    /* Writes clock repair dropped (restamp.c), kept with their values and what they saw. */
    "CREATE TABLE IF NOT EXISTS cs_dropped (tbl INTEGER NOT NULL, row BLOB NOT NULL,"
    " col INTEGER NOT NULL, hlc INTEGER NOT NULL, site INTEGER NOT NULL,"
    " prev_hlc INTEGER NOT NULL, prev_site INTEGER NOT NULL, seq INTEGER NOT NULL, val,"
    " PRIMARY KEY (tbl, row, col, hlc, site)) WITHOUT ROWID;"
    /* A device's writes the hub refused, with its reason (cellsync/refused.h); local. */
    "CREATE TABLE IF NOT EXISTS cs_refused (tbl TEXT NOT NULL, row BLOB NOT NULL,"
    " col TEXT NOT NULL, hlc INTEGER NOT NULL, origin BLOB NOT NULL, code INTEGER NOT NULL,"
    " reason TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (tbl, row, col, hlc, origin))"
    " WITHOUT ROWID;" STORE_VIEWS;

/*
 * The versions clock repair re-stamps: our own (?1) after seq ?2 beyond
 * stamp ?3, and those listed in temp.cs_reissue (refused by the hub for
 * their stamps), which also move to new seqs so that they are sent again.
 */
/* The cs_meta key of the highest seq a migration dropped versions up to. */
#define SEQ_META "seq_floor"

#define RESTAMPED                                                                                  \
    "site = ?1 AND ((seq > ?2 AND hlc > ?3) OR seq IN (SELECT seq FROM temp.cs_reissue))"

#define VER_COLS "tbl, row, col, hlc, site, prev_hlc, prev_site, cl, seq"
#define PK_IS    "tbl = ?1 AND row = ?2 AND col = ?3"
#define KEY_IS   PK_IS " AND hlc = ?4 AND site = ?5"
/* A version as a change set carries it: the same columns from either table. */
#define SINCE_ARM(table, current, where)                                                           \
    "SELECT v.seq, t.name, v.row, c.name, v.val, v.hlc, s.uuid, v.prev_hlc, p.uuid, v.cl,"         \
    " v.tbl, v.col, " current " FROM " table " v" NAMES_JOIN                                       \
    " LEFT JOIN cs_site p ON p.ix = v.prev_site WHERE " where
/*
 * Both tables' versions as a change set carries them, with whether each is
 * current: a current val NULL is read from the domain row (since_take).
 */
#define SINCE_BOTH(where)                                                                          \
    SINCE_ARM("cs_reg", "1", where) " UNION ALL " SINCE_ARM("cs_old", "0", where) " ORDER BY 1"
/* The names of a version's table and column, for DVAL. */
#define DNAMES " JOIN cs_name t ON t.ix = v.tbl JOIN cs_name c ON c.ix = v.col"
/* Both tables' answers to one query (each arm its own index), merged by seq: no sort. */
#define BOTH(select, where) select " cs_reg " where " UNION ALL " select " cs_old " where

static const char *const stmt_sql[ST__COUNT] = {
    [ST_META_GET] = "SELECT value FROM cs_meta WHERE key = ?1",
    [ST_META_SET] = "INSERT INTO cs_meta(key, value) VALUES (?1, ?2)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [ST_NAME_GET] = "SELECT ix FROM cs_name WHERE name = ?1",
    [ST_NAME_ADD] = "INSERT INTO cs_name(name) VALUES (?1)",
    [ST_SITE_ADD] = "INSERT INTO cs_site(uuid) VALUES (?1)",
    [ST_SITES] = "SELECT ix, uuid FROM cs_site ORDER BY ix",
    /* A register's kept versions, the current one first. */
    [ST_REG_LOAD] = "SELECT 0, hlc, site, prev_hlc, prev_site, seq FROM cs_reg WHERE " PK_IS
                    " UNION ALL SELECT state, hlc, site, prev_hlc, prev_site, seq FROM cs_old"
                    " WHERE " PK_IS,
    [ST_VER_CURRENT] = "SELECT seq, hlc, site FROM cs_reg WHERE " PK_IS,
    [ST_REG_PUT] = "INSERT INTO cs_reg(" VER_COLS ", val)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                   " ON CONFLICT(tbl, row, col) DO UPDATE SET hlc = excluded.hlc,"
                   " site = excluded.site, prev_hlc = excluded.prev_hlc,"
                   " prev_site = excluded.prev_site, cl = excluded.cl, seq = excluded.seq,"
                   " val = excluded.val",
    [ST_REG_SET_VAL] = "UPDATE cs_reg SET val = ?4 WHERE " PK_IS,
    /* ?5: the value waiting for the domain row in a merged set, when ?6 (cs__pend_value). */
    [ST_REG_TO_OLD] =
        "INSERT INTO cs_old(" VER_COLS ", state, val) SELECT v.tbl, v.row, v.col,"
        " v.hlc, v.site, v.prev_hlc, v.prev_site, v.cl, v.seq, ?4,"
        " CASE WHEN ?6 THEN ?5 ELSE " DVAL(
            "v.val") " END FROM cs_reg v" DNAMES " WHERE v.tbl = ?1 AND v.row = ?2 AND v.col = ?3",
    [ST_REG_DELETE] = "DELETE FROM cs_reg WHERE " PK_IS,
    [ST_REG_VAL] = "SELECT val FROM cs_reg WHERE " PK_IS,
    [ST_OLD_TO_REG] =
        "INSERT INTO cs_reg(" VER_COLS ", val) SELECT " VER_COLS ", val FROM cs_old WHERE " KEY_IS,
    [ST_OLD_PUT] = "INSERT INTO cs_old(" VER_COLS ", state, val)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?11, ?10)",
    [ST_OLD_SET_STATE] = "UPDATE cs_old SET state = ?6 WHERE " KEY_IS,
    [ST_OLD_DELETE] = "DELETE FROM cs_old WHERE " KEY_IS,
    [ST_VER_OPEN] = "SELECT seq, hlc, site FROM cs_old WHERE " PK_IS " AND state = 1"
                    " ORDER BY hlc, site",
    /* The registers with an open conflict (a migration works their states out again). */
    [ST_OLD_CONFLICTED] = "SELECT DISTINCT tbl, row, col FROM cs_old WHERE state = 1",
    [ST_ROW_GET] = "SELECT cl FROM cs_row WHERE tbl = ?1 AND row = ?2",
    [ST_ROW_RAISE] = "INSERT INTO cs_row(tbl, row, cl, site) VALUES (?1, ?2, ?3, ?4)"
                     " ON CONFLICT(tbl, row) DO UPDATE SET cl = excluded.cl"
                     " WHERE excluded.cl > cs_row.cl",
    [ST_SINCE] = SINCE_BOTH("v.seq > ?1"),
    /* The highest seq ever given: a kept version's, a dropped write's, or a migration's. */
    [ST_MAX_SEQ] = "SELECT max(coalesce((SELECT max(seq) FROM cs_reg), 0),"
                   " coalesce((SELECT max(seq) FROM cs_old), 0),"
                   " coalesce((SELECT max(seq) FROM cs_dropped), 0),"
                   " coalesce((SELECT CAST(value AS INTEGER) FROM cs_meta"
                   " WHERE key = '" SEQ_META "'), 0))",
    [ST_CONFLICTS] = "SELECT count(*) FROM cs_old WHERE state = 1",
    /* A name by its index: project.c finds the domain column of a register by name. */
    [ST_NAME_TEXT] = "SELECT name FROM cs_name WHERE ix = ?1",
    /* Clock repair (restamp.c). */
    [ST_RS_REISSUE] = "INSERT OR IGNORE INTO temp.cs_reissue " BOTH(
        "SELECT seq FROM", "WHERE tbl = (SELECT ix FROM cs_name WHERE name = ?1) AND row = ?2"
                           " AND col = (SELECT ix FROM cs_name WHERE name = ?3) AND hlc = ?4"
                           " AND site = ?5"),
    [ST_RS_COLLECT] =
        BOTH("SELECT seq, tbl, row, col, hlc, seq IN (SELECT seq FROM temp.cs_reissue),"
             " prev_hlc, prev_site FROM",
             "WHERE " RESTAMPED) " ORDER BY 5, 1",
    [ST_RS_SEEN] = BOTH("SELECT 1 FROM", "WHERE tbl = ?4 AND row = ?5 AND col = ?6"
                                         " AND prev_hlc = ?7 AND prev_site = ?1"
                                         " AND NOT (" RESTAMPED ")"),
    [ST_RS_KEPT_MAX] =
        "SELECT max(coalesce((SELECT max(hlc) FROM cs_reg WHERE NOT (" RESTAMPED
        ")), 0), coalesce((SELECT max(hlc) FROM cs_old WHERE NOT (" RESTAMPED ")), 0))",
    [ST_RS_PREV_ROOT] = "WITH RECURSIVE up(h, s) AS (SELECT ?4, ?5 UNION"
                        " SELECT d.prev_hlc, d.prev_site FROM cs_dropped d, up"
                        " WHERE d.tbl = ?1 AND d.row = ?2 AND d.col = ?3 AND d.hlc = up.h"
                        " AND d.site = up.s)"
                        " SELECT h, s FROM up WHERE NOT EXISTS (SELECT 1 FROM cs_dropped d"
                        " WHERE d.tbl = ?1 AND d.row = ?2 AND d.col = ?3 AND d.hlc = up.h"
                        " AND d.site = up.s)",
    [ST_RS_KEEP_DROPPED] =
        "INSERT OR REPLACE INTO cs_dropped SELECT v.tbl, v.row, v.col, v.hlc,"
        " v.site, v.prev_hlc, v.prev_site, v.seq, " DVAL(
            "v.val") " FROM cs_reg v" DNAMES " WHERE v.seq = ?1 UNION ALL SELECT tbl, row,"
                     " col, hlc, site, prev_hlc, prev_site, seq, val FROM cs_old"
                     " WHERE seq = ?1",
    [ST_RS_SET_PREV] = "UPDATE cs_reg SET prev_hlc = ?2, prev_site = ?3 WHERE seq = ?1",
    [ST_RS_SET_PREV_OLD] = "UPDATE cs_old SET prev_hlc = ?2, prev_site = ?3 WHERE seq = ?1",
    [ST_RS_MARK_HLC] = "UPDATE cs_reg SET hlc = -?2 WHERE seq = ?1",
    [ST_RS_MARK_HLC_OLD] = "UPDATE cs_old SET hlc = -?2 WHERE seq = ?1",
    [ST_RS_MARK_PREV] =
        "UPDATE cs_reg SET prev_hlc = -?4 WHERE " PK_IS " AND prev_hlc = ?5 AND prev_site = ?6",
    [ST_RS_MARK_PREV_OLD] =
        "UPDATE cs_old SET prev_hlc = -?4 WHERE " PK_IS " AND prev_hlc = ?5 AND prev_site = ?6",
    [ST_RS_TURN_HLC] = "UPDATE cs_reg SET hlc = -hlc WHERE hlc < 0",
    [ST_RS_TURN_HLC_OLD] = "UPDATE cs_old SET hlc = -hlc WHERE hlc < 0",
    [ST_RS_TURN_PREV] = "UPDATE cs_reg SET prev_hlc = -prev_hlc WHERE prev_hlc < 0",
    [ST_RS_TURN_PREV_OLD] = "UPDATE cs_old SET prev_hlc = -prev_hlc WHERE prev_hlc < 0",
    [ST_RS_MOVE] = "UPDATE cs_reg SET seq = ?2 WHERE seq = ?1",
    [ST_RS_MOVE_OLD] = "UPDATE cs_old SET seq = ?2 WHERE seq = ?1",
    [ST_RS_DELETE] = "DELETE FROM cs_reg WHERE seq = ?1",
    [ST_RS_DELETE_OLD] = "DELETE FROM cs_old WHERE seq = ?1",
    [ST_FIRST_WRITER] = "SELECT s.uuid FROM cs_row r JOIN cs_site s ON s.ix = r.site"
                        " WHERE r.tbl = (SELECT ix FROM cs_name WHERE name = ?1) AND r.row = ?2",
    [ST_HAS_LATER] =
        BOTH("SELECT 1 FROM", "WHERE tbl = (SELECT ix FROM cs_name WHERE name = ?1) AND row = ?2"
                              " AND col = (SELECT ix FROM cs_name WHERE name = ?3)"
                              " AND site = (SELECT ix FROM cs_site WHERE uuid = ?4) AND seq > ?5"),
    /* Whether a version (table, row, column, stamp, site) is held here. */
    [ST_VER_HELD] =
        BOTH("SELECT 1 FROM", "WHERE tbl = (SELECT ix FROM cs_name WHERE name = ?1) AND row = ?2"
                              " AND col = (SELECT ix FROM cs_name WHERE name = ?3) AND hlc = ?4"
                              " AND site = ?5"),
    [ST_COUNT_OWN] = "SELECT (SELECT count(*) FROM cs_reg WHERE seq > ?2 AND site = ?1)"
                     " + (SELECT count(*) FROM cs_old WHERE seq > ?2 AND site = ?1)",
    /* By the seq indexes, from ?2 on: as far as the first own version, not the whole tail. */
    [ST_NEXT_OWN] =
        "SELECT min(s) FROM (SELECT (SELECT seq FROM cs_reg WHERE seq > ?2 AND site = ?1"
        " ORDER BY seq LIMIT 1) AS s UNION ALL SELECT (SELECT seq FROM cs_old"
        " WHERE seq > ?2 AND site = ?1 ORDER BY seq LIMIT 1))",
    [ST_SINCE_RANGE] = SINCE_BOTH("v.seq > ?1 AND v.seq <= ?2"),
    [ST_LOG_ADD] = "INSERT OR IGNORE INTO cs_log(key, seq, last) VALUES (?1, ?2, ?3)",
    /* A moved row's versions, one entry each with last = -seq: no transaction's range. */
    [ST_LOG_RELOG] = "INSERT OR IGNORE INTO cs_log(key, seq, last) " BOTH(
        "SELECT ?1, seq, -seq FROM", "WHERE tbl = ?2 AND row = ?3 AND seq < ?4"),
    /* The last transaction of a key that began by ?2: the only one ?2 may lie inside. */
    [ST_LOG_BEFORE] = "SELECT last FROM cs_log WHERE key = ?1 AND seq <= ?2 AND last > 0"
                      " ORDER BY seq DESC LIMIT 1",
    /* The entries of up to 8 keys after ?9, up to ?10, merged in seq order (no sort). */
    [ST_LOG_READ] = "SELECT seq, last FROM cs_log WHERE key = ?1 AND seq > ?9 AND seq <= ?10"
                    " UNION ALL"
                    " SELECT seq, last FROM cs_log WHERE key = ?2 AND seq > ?9 AND seq <= ?10"
                    " UNION ALL"
                    " SELECT seq, last FROM cs_log WHERE key = ?3 AND seq > ?9 AND seq <= ?10"
                    " UNION ALL"
                    " SELECT seq, last FROM cs_log WHERE key = ?4 AND seq > ?9 AND seq <= ?10"
                    " UNION ALL"
                    " SELECT seq, last FROM cs_log WHERE key = ?5 AND seq > ?9 AND seq <= ?10"
                    " UNION ALL"
                    " SELECT seq, last FROM cs_log WHERE key = ?6 AND seq > ?9 AND seq <= ?10"
                    " UNION ALL"
                    " SELECT seq, last FROM cs_log WHERE key = ?7 AND seq > ?9 AND seq <= ?10"
                    " UNION ALL"
                    " SELECT seq, last FROM cs_log WHERE key = ?8 AND seq > ?9 AND seq <= ?10"
                    " ORDER BY 1",
    [ST_LOG_COPY] = "INSERT OR IGNORE INTO cs_log(key, seq, last) SELECT ?2, seq, last FROM cs_log"
                    " WHERE key = ?1",
    [ST_ROW_KEYS] = "SELECT keys FROM cs_row WHERE tbl = ?1 AND row = ?2",
    [ST_ROW_SET_KEYS] = "UPDATE cs_row SET keys = ?3 WHERE tbl = ?1 AND row = ?2",
};

/* ---- errors ---- */

/*
 * Maps an SQLite failure to our code, with sqlite3_errmsg copied at once. A
 * negative rc (a hook's) is already ours and is kept.
 */
int
cs__replica_fail(struct cs_replica *r, int rc, char *err, size_t errlen, const char *what)
{
    if (rc < 0)
        return cs_errf(err, errlen, rc, _("cannot %s '%s': %s"), _(what), r->path, cs_strerror(rc));
    int code = cs_sqlite_code(rc);
    /* A statement reset since has cleared SQLite's message: name the code instead. */
    const char *msg =
        sqlite3_errcode(r->db) == SQLITE_OK ? sqlite3_errstr(rc) : sqlite3_errmsg(r->db);
    if (code == CS_ESQLITE)
        return cs_errf(err, errlen, code, _("cannot %s '%s': %s"), _(what), r->path, msg);
    /* Say it in words a secretary can act on, and keep SQLite's for the log. */
    return cs_errf(err, errlen, code, _("cannot %s '%s': %s (%s)"), _(what), r->path,
                   cs_strerror(code), msg);
}

/* ---- names and sites ---- */

static int
name_ix(struct cs_replica *r, const char *name, int64_t *ix)
{
    size_t n = strlen(name), it = 0;
    uint64_t key = cs__hash(name, n);
    uint32_t i;
    while (cs__map_next(&r->name_map, key, &it, &i))
        if (strcmp(r->names[i].name, name) == 0) {
            *ix = r->names[i].ix;
            return SQLITE_OK;
        }
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_NAME_GET, &st);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *ix = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    } else {
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return rc;
        if ((rc = cs_stmt_get(&r->stmts, ST_NAME_ADD, &st)) != SQLITE_OK)
            return rc;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if ((rc = cs_step_done(st)) != SQLITE_OK)
            return rc;
        *ix = sqlite3_last_insert_rowid(r->db);
    }
    if (n < sizeof(r->names->name)) {
        if (cs_grow((void **)&r->names, &r->capnames, r->nnames + 1, sizeof(*r->names), 64) != 0 ||
            cs__map_add(&r->name_map, key, (uint32_t)r->nnames) != 0)
            return SQLITE_NOMEM;
        memcpy(r->names[r->nnames].name, name, n + 1);
        r->names[r->nnames++].ix = *ix;
    }
    return SQLITE_OK;
}

static int
sites_load(struct cs_replica *r)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_SITES, &st);
    if (rc != SQLITE_OK)
        return rc;
    r->nsites = 1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t ix = sqlite3_column_int64(st, 0);
        if (ix < 1 || ix > 1 << 24 || sqlite3_column_bytes(st, 1) != CS_ID_LEN) {
            rc = SQLITE_CORRUPT;
            break;
        }
        size_t had = r->capsites;
        if (cs_grow((void **)&r->sites, &r->capsites, (size_t)ix + 1, sizeof(*r->sites), 64) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        memset(r->sites + had, 0, (r->capsites - had) * sizeof(*r->sites));
        memcpy(r->sites[ix].b, sqlite3_column_blob(st, 1), CS_ID_LEN);
        if ((size_t)ix >= r->nsites)
            r->nsites = (size_t)ix + 1;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
site_ix(struct cs_replica *r, const struct cs_id *id, int64_t *ix)
{
    for (size_t i = 1; i < r->nsites; i++)
        if (memcmp(r->sites[i].b, id->b, CS_ID_LEN) == 0) {
            *ix = (int64_t)i;
            return SQLITE_OK;
        }
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_SITE_ADD, &st);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
    rc = cs_step_done(st);
    if (rc != SQLITE_OK)
        return rc;
    /* Reload rather than guess: a rolled-back transaction may have left a gap. */
    if ((rc = sites_load(r)) != SQLITE_OK)
        return rc;
    *ix = sqlite3_last_insert_rowid(r->db);
    return SQLITE_OK;
}

/*
 * (hlc, origin) order: the larger stamp wins, ties broken by the origin id
 * bytes, so every replica picks the same winner.
 */
int
cs__stamp_cmp(struct cs_replica *r, uint64_t ha, int64_t sa, uint64_t hb, int64_t sb)
{
    if (ha != hb)
        return ha < hb ? -1 : 1;
    if (sa == sb)
        return 0;
    return memcmp(r->sites[sa].b, r->sites[sb].b, CS_ID_LEN) < 0 ? -1 : 1;
}

int
cs__row_cl(struct cs_replica *r, int64_t tbl, const struct cs_id *row, uint64_t *cl)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_ROW_GET, &st);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, tbl);
    sqlite3_bind_blob(st, 2, row->b, CS_ID_LEN, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *cl = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ---- the merge rule ---- */

struct ver {
    int64_t tbl, col, site, prev_site;
    struct cs_id row;
    uint64_t hlc, prev_hlc, cl;
};

static void
bind_reg(sqlite3_stmt *st, const struct ver *v)
{
    sqlite3_bind_int64(st, 1, v->tbl);
    sqlite3_bind_blob(st, 2, v->row.b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, v->col);
}

/* The register's current version, *seq = 0 when it has none. */
static int
current(struct cs_replica *r, const struct ver *v, int64_t *seq, uint64_t *hlc, int64_t *site)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_VER_CURRENT, &st);
    if (rc != SQLITE_OK)
        return rc;
    bind_reg(st, v);
    rc = sqlite3_step(st);
    *seq = 0;
    if (rc == SQLITE_ROW) {
        *seq = sqlite3_column_int64(st, 0);
        *hlc = (uint64_t)sqlite3_column_int64(st, 1);
        *site = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int64_t
cs__next_seq(struct cs_replica *r)
{
    if (r->seq_top == 0) {
        sqlite3_stmt *st;
        if (cs_stmt_get(&r->stmts, ST_MAX_SEQ, &st) != SQLITE_OK)
            return 0;
        if (sqlite3_step(st) == SQLITE_ROW)
            r->seq_top = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    return ++r->seq_top;
}

/*
 * Reads the kept versions of v's register into r->kv, the current one (from
 * cs_reg, state 0) first; *n gets their count.
 */
static int
reg_load(struct cs_replica *r, const struct ver *v, size_t *n)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_REG_LOAD, &st);
    *n = 0;
    if (rc != SQLITE_OK)
        return rc;
    bind_reg(st, v);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        /* One spare slot: merge_one adds the arriving version. */
        if (cs_grow((void **)&r->kv, &r->capkv, *n + 2, sizeof(*r->kv), 8) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        struct kver *k = &r->kv[(*n)++];
        k->state = sqlite3_column_int(st, 0);
        k->hlc = (uint64_t)sqlite3_column_int64(st, 1);
        k->site = sqlite3_column_int64(st, 2);
        k->prev_hlc = (uint64_t)sqlite3_column_int64(st, 3);
        k->prev_site = sqlite3_column_int64(st, 4);
        k->seq = sqlite3_column_int64(st, 5);
        k->dropped = 0;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE && *n == 0 &&
        cs_grow((void **)&r->kv, &r->capkv, 2, sizeof(*r->kv), 8) != 0)
        rc = SQLITE_NOMEM;
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * Whether a version of k[0..n) other than k[skip] saw the write (site,
 * hlc): a later write of the same origin, or one whose prev names that
 * origin at that stamp or later (the origin wrote (hlc, site) before the
 * write that was seen, so whoever saw that one saw this one too).
 */
static int
covered(const struct kver *k, size_t n, size_t skip, int64_t site, uint64_t hlc)
{
    for (size_t i = 0; i < n; i++)
        if (i != skip && !k[i].dropped &&
            ((k[i].site == site && k[i].hlc > hlc) ||
             (k[i].prev_hlc != 0 && k[i].prev_site == site && k[i].prev_hlc >= hlc)))
            return 1;
    return 0;
}

/* A kept version's key (register, stamp, origin) bound as ?1..?5 of st. */
static void
bind_key(sqlite3_stmt *st, const struct ver *v, const struct kver *k)
{
    bind_reg(st, v);
    sqlite3_bind_int64(st, 4, (int64_t)k->hlc);
    sqlite3_bind_int64(st, 5, k->site);
}

static int
old_set_state(struct cs_replica *r, const struct ver *v, const struct kver *k, int state)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_OLD_SET_STATE, &st);
    if (rc != SQLITE_OK)
        return rc;
    bind_key(st, v, k);
    sqlite3_bind_int(st, 6, state);
    return cs_step_done(st);
}

/* Moves the register's current version to cs_old in state `state` (cs_reg's row stays). */
static int
reg_to_old(struct cs_replica *r, const struct ver *v, int state)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_REG_TO_OLD, &st);
    if (rc != SQLITE_OK)
        return rc;
    bind_reg(st, v);
    sqlite3_bind_int(st, 4, state);
    /* A value the set has not written to the domain row yet is there only in memory. */
    const struct cs_value *pv = cs__pend_value(r, v->tbl, &v->row, v->col);
    if (pv != NULL)
        cs_value_bind(st, 5, pv);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_int(st, 6, pv != NULL);
    return cs_step_done(st);
}

/* Row life: the largest causal length seen wins (a set reads cs_row once per row). */
static int
row_raise(struct cs_replica *r, const struct ver *v)
{
    sqlite3_stmt *st;
    struct pend *p = NULL;
    int rc;
    if (r->batching) {
        struct dcol *t;
        if ((rc = cs__domain_table(r, v->tbl, &t)) != SQLITE_OK)
            return rc;
        if ((p = cs__pend_get(r, v->tbl, &v->row, t->ncols)) == NULL)
            return SQLITE_NOMEM;
    }
    if (p != NULL && v->cl <= p->cl)
        return SQLITE_OK;
    if ((rc = cs_stmt_get(&r->stmts, ST_ROW_RAISE, &st)) != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, v->tbl);
    sqlite3_bind_blob(st, 2, v->row.b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)v->cl);
    sqlite3_bind_int64(st, 4, v->site);
    if ((rc = cs_step_done(st)) != SQLITE_OK)
        return rc;
    if (p != NULL)
        p->cl = v->cl;
    if (sqlite3_changes(r->db) > 0 && (rc = cs__domain_cl(r, v->tbl, &v->row, (int64_t)v->cl)) != 0)
        return rc;
    return SQLITE_OK;
}

/*
 * Whether superseded version k[i] may go: whatever it tells a query (that
 * its origin wrote up to its stamp, and that its prev's origin wrote up to
 * the prev's stamp) the other versions kept tell too. The set kept then
 * answers every query of the rule as the set of all versions ever learned
 * would, so a peer that reads only kept versions by seq reaches the same
 * states.
 */
static int
droppable(const struct kver *k, size_t n, size_t i)
{
    return covered(k, n, i, k[i].site, k[i].hlc) &&
           (k[i].prev_hlc == 0 || covered(k, n, i, k[i].prev_site, k[i].prev_hlc));
}

/*
 * Stores version v with value val. *state gets its resulting state, or -1
 * when nothing is stored: a duplicate, or a write the versions kept already
 * tell all about (superseded on arrival, and its prev covered); its causal
 * length still counts. *conflicts counts the versions that became open
 * conflicts (v itself, or the current value v displaced). Superseded
 * versions nothing needs any more are dropped: a register rewritten by one
 * origin keeps one version. This replica's own writes are kept: clock
 * repair (restamp.c) re-stamps them with what they saw, and a write not yet
 * sent must reach the hub.
 */
static int
merge_one(struct cs_replica *r, const struct ver *v, const struct cs_value *val, int *state,
          size_t *conflicts)
{
    sqlite3_stmt *st;
    size_t n;
    int rc;

    /* The register's kept versions (a handful, usually the current one alone). */
    *state = -1;
    if ((rc = reg_load(r, v, &n)) != SQLITE_OK)
        return rc;
    struct kver *k = r->kv;
    for (size_t i = 0; i < n; i++)
        if (k[i].hlc == v->hlc && k[i].site == v->site)
            return SQLITE_OK; /* a duplicate */
    int has_cur = n > 0 && k[0].state == CS_VS_CURRENT;
    int wins = !has_cur || cs__stamp_cmp(r, v->hlc, v->site, k[0].hlc, k[0].site) > 0;
    int seen = covered(k, n, n, v->site, v->hlc);
    if (!wins && seen && v->site != r->site_ix &&
        (v->prev_hlc == 0 || covered(k, n, n, v->prev_site, v->prev_hlc)))
        return row_raise(r, v); /* nothing new about the register */
    k[n] = (struct kver){.hlc = v->hlc,
                         .prev_hlc = v->prev_hlc,
                         .site = v->site,
                         .prev_site = v->prev_hlc ? v->prev_site : 0,
                         .state = wins   ? CS_VS_CURRENT
                                  : seen ? CS_VS_SUPERSEDED
                                         : CS_VS_CONFLICT};
    int64_t seq = cs__next_seq(r);
    if (seq == 0)
        return SQLITE_ERROR;
    k[n].seq = seq;
    *state = k[n].state;

    /*
     * The new states, then what may go, in memory: the current version
     * stays current unless v beats it (then v may have seen it); the open
     * conflicts v saw are settled.
     */
    int cur_state = -1;
    for (size_t i = 0; i < n; i++)
        k[i].was = k[i].state;
    if (wins && has_cur)
        k[0].state = cur_state =
            covered(k, n + 1, 0, k[0].site, k[0].hlc) ? CS_VS_SUPERSEDED : CS_VS_CONFLICT;
    for (size_t i = has_cur; i < n; i++)
        if (k[i].state == CS_VS_CONFLICT && covered(k + n, 1, 1, k[i].site, k[i].hlc))
            k[i].state = CS_VS_SUPERSEDED;
    for (size_t i = 0; i < n; i++)
        k[i].dropped =
            k[i].state == CS_VS_SUPERSEDED && k[i].site != r->site_ix && droppable(k, n + 1, i);

    if (wins && has_cur && !k[0].dropped && (rc = reg_to_old(r, v, cur_state)) != SQLITE_OK)
        return rc;
    /* A current value the domain row gives back is not stored twice (DVAL reads it). */
    int holds = 0;
    if (wins && (rc = cs__domain_holds(r, v->tbl, v->col, val, &holds)) != SQLITE_OK)
        return rc;
    if ((rc = cs_stmt_get(&r->stmts, wins ? ST_REG_PUT : ST_OLD_PUT, &st)) != SQLITE_OK)
        return rc;
    bind_reg(st, v);
    sqlite3_bind_int64(st, 4, (int64_t)v->hlc);
    sqlite3_bind_int64(st, 5, v->site);
    sqlite3_bind_int64(st, 6, (int64_t)v->prev_hlc);
    sqlite3_bind_int64(st, 7, v->prev_hlc ? v->prev_site : 0);
    sqlite3_bind_int64(st, 8, (int64_t)v->cl);
    sqlite3_bind_int64(st, 9, seq);
    if (holds)
        sqlite3_bind_null(st, 10);
    else
        cs_value_bind(st, 10, val);
    if (!wins)
        sqlite3_bind_int(st, 11, *state);
    if ((rc = cs_step_done(st)) != SQLITE_OK ||
        (r->log_on && (rc = cs__log_note(r, v->tbl, &v->row, seq)) != SQLITE_OK))
        return rc;
    for (size_t i = has_cur; i < n; i++) {
        if (k[i].dropped) {
            if ((rc = cs_stmt_get(&r->stmts, ST_OLD_DELETE, &st)) != SQLITE_OK)
                return rc;
            bind_key(st, v, &k[i]);
            rc = cs_step_done(st);
        } else if (k[i].state != k[i].was) {
            rc = old_set_state(r, v, &k[i], k[i].state);
        }
        if (rc != SQLITE_OK)
            return rc;
    }

    if ((rc = row_raise(r, v)) != SQLITE_OK)
        return rc;
    if (wins) {
        uint64_t cl = 0; /* a batched row takes its cl when it is written */
        if ((!r->batching && (rc = cs__row_cl(r, v->tbl, &v->row, &cl)) != SQLITE_OK) ||
            (rc = cs__domain_set(r, v->tbl, &v->row, v->col, val, (int64_t)cl)) != SQLITE_OK)
            return rc;
    }
    *conflicts += (*state == CS_VS_CONFLICT) + (cur_state == CS_VS_CONFLICT);
    return SQLITE_OK;
}

int
cs__reg_settle(struct cs_replica *r, int64_t tbl, const struct cs_id *row, int64_t col)
{
    struct ver v = {.tbl = tbl, .col = col, .row = *row};
    sqlite3_stmt *st;
    size_t n, best = 0;
    int rc;

    if ((rc = reg_load(r, &v, &n)) != SQLITE_OK || n == 0)
        return rc;
    struct kver *k = r->kv;
    for (size_t i = 1; i < n; i++)
        if (cs__stamp_cmp(r, k[i].hlc, k[i].site, k[best].hlc, k[best].site) > 0)
            best = i;
    int has_cur = k[0].state == CS_VS_CURRENT;
    for (size_t i = 0; i < n; i++) {
        int want = i == best                               ? CS_VS_CURRENT
                   : covered(k, n, i, k[i].site, k[i].hlc) ? CS_VS_SUPERSEDED
                                                           : CS_VS_CONFLICT;
        if (want == k[i].state)
            continue;
        if (i == 0 && has_cur) {
            /* cs_reg's version lost its place: to cs_old, and the winner in below. */
            if ((rc = reg_to_old(r, &v, want)) != SQLITE_OK ||
                (rc = cs_stmt_get(&r->stmts, ST_REG_DELETE, &st)) != SQLITE_OK)
                return rc;
            bind_reg(st, &v);
            if ((rc = cs_step_done(st)) != SQLITE_OK)
                return rc;
        } else if (want != CS_VS_CURRENT && (rc = old_set_state(r, &v, &k[i], want)) != SQLITE_OK) {
            return rc;
        }
    }
    if (best == 0 && has_cur)
        return SQLITE_OK;
    if ((rc = cs_stmt_get(&r->stmts, ST_OLD_TO_REG, &st)) != SQLITE_OK)
        return rc;
    bind_key(st, &v, &k[best]);
    if ((rc = cs_step_done(st)) != SQLITE_OK ||
        (rc = cs_stmt_get(&r->stmts, ST_OLD_DELETE, &st)) != SQLITE_OK)
        return rc;
    bind_key(st, &v, &k[best]);
    if ((rc = cs_step_done(st)) != SQLITE_OK)
        return rc;
    /* The winner changed: show its value. */
    uint64_t cl;
    if ((rc = cs_stmt_get(&r->stmts, ST_REG_VAL, &st)) != SQLITE_OK)
        return rc;
    bind_reg(st, &v);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW && (rc = cs__row_cl(r, tbl, row, &cl)) == SQLITE_OK) {
        struct cs_value val;
        cs_value_column(st, 0, &val);
        rc = cs__domain_set(r, tbl, row, col, &val, (int64_t)cl);
    } else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        rc = SQLITE_CORRUPT;
    }
    sqlite3_reset(st);
    return rc;
}

/* ---- open and close ---- */

int
cs__replica_exec(struct cs_replica *r, const char *sql, char *err, size_t errlen, const char *what)
{
    char *msg = NULL;
    int rc = sqlite3_exec(r->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        int code = cs_sqlite_code(rc);
        if (code == CS_ESQLITE)
            cs_errf(err, errlen, code, _("cannot %s '%s': %s"), _(what), r->path,
                    msg ? msg : sqlite3_errmsg(r->db));
        else
            cs_errf(err, errlen, code, _("cannot %s '%s': %s (%s)"), _(what), r->path,
                    cs_strerror(code), msg ? msg : sqlite3_errmsg(r->db));
        sqlite3_free(msg);
        return code;
    }
    return 0;
}

static int
meta_get_raw(struct cs_replica *r, const char *key, char *buf, size_t buflen)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_META_GET, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    int ret;
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(buf, buflen, "%s", t ? (const char *)t : "");
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? -ENOENT : cs_sqlite_code(rc);
    }
    sqlite3_reset(st);
    return ret;
}

int
cs_replica_meta_get(struct cs_replica *r, const char *key, char *buf, size_t buflen)
{
    return meta_get_raw(r, key, buf, buflen);
}

int
cs_replica_meta_set(struct cs_replica *r, const char *key, const char *value)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_META_SET, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    rc = cs_step_done(st);
    return rc == SQLITE_OK ? 0 : cs_sqlite_code(rc);
}

int
cs_replica_meta_forget(struct cs_replica *r, const char *key)
{
    int ret = cs_replica_meta_set(r, key, "");
    if (ret == 0)
        sqlite3_exec(r->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    return ret;
}

void
cs_replica_close(struct cs_replica *r)
{
    if (r == NULL)
        return;
    if (r->in_tx)
        cs_replica_rollback(r);
    cs_stmt_cache_release(&r->stmts);
    cs__project_release(r);
    sqlite3_close(r->db);
    free(r->names);
    cs__map_release(&r->name_map);
    free(r->sites);
    free(r->lrows);
    free(r->kv);
    free(r->path);
    free(r);
}

uint32_t
cs_replica_conflict_number(const char *table, const struct cs_id *row, const char *column,
                           uint64_t hlc, const struct cs_id *origin)
{
    crypto_generichash_state h;
    uint8_t stamp[8], out[8];
    for (int i = 0; i < 8; i++)
        stamp[i] = (uint8_t)(hlc >> (56 - 8 * i));
    crypto_generichash_init(&h, NULL, 0, sizeof(out));
    /* The names with their NULs, so that no two (table, column) pairs give the same bytes. */
    crypto_generichash_update(&h, (const uint8_t *)table, strlen(table) + 1);
    crypto_generichash_update(&h, row->b, CS_ID_LEN);
    crypto_generichash_update(&h, (const uint8_t *)column, strlen(column) + 1);
    crypto_generichash_update(&h, stamp, sizeof(stamp));
    crypto_generichash_update(&h, origin->b, CS_ID_LEN);
    crypto_generichash_final(&h, out, sizeof(out));
    uint64_t x = 0;
    for (size_t i = 0; i < sizeof(out); i++)
        x = x << 8 | out[i];
    return CS_CONFLICT_NUMBER_MIN +
           (uint32_t)(x % (CS_CONFLICT_NUMBER_MAX - CS_CONFLICT_NUMBER_MIN + 1));
}

/* cs_conflict_number(tbl, row, col, hlc, origin) in SQL; NULL for anything but a version's. */
static void
sql_conflict_number(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *t = (const char *)sqlite3_value_text(argv[0]);
    const char *c = (const char *)sqlite3_value_text(argv[2]);
    if (t == NULL || c == NULL || sqlite3_value_bytes(argv[1]) != CS_ID_LEN ||
        sqlite3_value_type(argv[3]) != SQLITE_INTEGER ||
        sqlite3_value_bytes(argv[4]) != CS_ID_LEN) {
        sqlite3_result_null(ctx);
        return;
    }
    struct cs_id row, origin;
    memcpy(row.b, sqlite3_value_blob(argv[1]), CS_ID_LEN);
    memcpy(origin.b, sqlite3_value_blob(argv[4]), CS_ID_LEN);
    sqlite3_result_int64(ctx, cs_replica_conflict_number(
                                  t, &row, c, (uint64_t)sqlite3_value_int64(argv[3]), &origin));
}

/* Whether cs_row has a column (a store made before it was added has not). */
static int
row_has_column(struct cs_replica *r, const char *col)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(r->db, "SELECT 1 FROM pragma_table_info('cs_row') WHERE name = ?1",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return -rc;
    sqlite3_bind_text(st, 1, col, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -rc;
}

/*
 * A store made before cs_row kept each row's first writer and log keys gets
 * the columns, once: site filled from the versions (the origin of each
 * row's lowest seq), keys when the log is built (cs_replica_set_log).
 */
static int
row_migrate(struct cs_replica *r, char *err, size_t errlen)
{
    int site = row_has_column(r, "site"), keys = row_has_column(r, "keys");
    if (site < 0 || keys < 0)
        return cs__replica_fail(r, -(site < 0 ? site : keys), err, errlen,
                                NC_("cannot %s", "upgrade"));
    if (site && keys)
        return 0;
    char sql[512];
    snprintf(sql, sizeof(sql), "BEGIN IMMEDIATE;%s%s COMMIT",
             site ? ""
                  : " ALTER TABLE cs_row ADD COLUMN site INTEGER;"
                    " UPDATE cs_row SET site = (SELECT v.site FROM cs_ver v WHERE v.seq ="
                    " (SELECT min(w.seq) FROM cs_ver w WHERE w.tbl = cs_row.tbl"
                    " AND w.row = cs_row.row));",
             keys ? "" : " ALTER TABLE cs_row ADD COLUMN keys BLOB;");
    int ret = cs__replica_exec(r, sql, err, errlen, NC_("cannot %s", "upgrade"));
    if (ret != 0)
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

/*
 * A store made before issue 18 kept every version in cs_ver; it moves, in
 * one transaction, to cs_reg (current versions) and cs_old (the others),
 * every version with its seq, and the highest seq is kept in cs_meta, so
 * that no seq is given twice whatever is dropped later. The views are made
 * again on the new tables. The states are worked out again by the rule of
 * today, under which a write also saw what its prev's origin wrote before.
 */
static int
ver_migrate(struct cs_replica *r, char *err, size_t errlen)
{
    static const char sql[] =
        "INSERT INTO cs_reg(" VER_COLS ", val) SELECT " VER_COLS ", val FROM cs_ver"
        " WHERE state = 0;"
        "INSERT INTO cs_old(" VER_COLS ", state, val) SELECT " VER_COLS ", state, val FROM cs_ver"
        " WHERE state != 0;"
        "INSERT INTO cs_meta(key, value) SELECT '" SEQ_META "', max(seq) FROM cs_ver WHERE 1"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value;"
        "DROP VIEW IF EXISTS cs_version; DROP VIEW IF EXISTS cs_conflict;"
        " DROP VIEW IF EXISTS cs_refused_open;" STORE_VIEWS "DROP TABLE cs_ver;";
    struct {
        int64_t tbl, col;
        struct cs_id row;
    } *reg = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *st;
    int ret, rc;

    if ((ret = cs__replica_exec(r, "BEGIN IMMEDIATE", err, errlen, NC_("cannot %s", "upgrade"))) !=
        0)
        return ret;
    if ((ret = cs__replica_exec(r, sql, err, errlen, NC_("cannot %s", "upgrade"))) != 0)
        goto out;
    if ((rc = sites_load(r)) != SQLITE_OK ||
        (rc = cs_stmt_get(&r->stmts, ST_OLD_CONFLICTED, &st)) != SQLITE_OK)
        goto fail;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cs_grow((void **)&reg, &cap, n + 1, sizeof(*reg), 16) != 0 ||
            sqlite3_column_bytes(st, 1) != CS_ID_LEN) {
            rc = sqlite3_column_bytes(st, 1) != CS_ID_LEN ? SQLITE_CORRUPT : SQLITE_NOMEM;
            break;
        }
        reg[n].tbl = sqlite3_column_int64(st, 0);
        memcpy(reg[n].row.b, sqlite3_column_blob(st, 1), CS_ID_LEN);
        reg[n++].col = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        goto fail;
    rc = SQLITE_OK;
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++)
        rc = cs__reg_settle(r, reg[i].tbl, &reg[i].row, reg[i].col);
    if (rc != SQLITE_OK)
        goto fail;
    ret = cs__replica_exec(r, "COMMIT", err, errlen, NC_("cannot %s", "upgrade"));
    goto out;
fail:
    ret = cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "upgrade"));
out:
    if (ret != 0)
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    free(reg);
    return ret;
}

/*
 * The values a newer schema's columns now hold: an older program had no
 * column for them and kept them in their registers only (cs_reg's val,
 * which DVAL reads first). Their domain rows get them where the column is
 * empty, so plain SQL over the domain tables reads them too (a hub's
 * device registry: a key a hub below sent before this hub knew the
 * column). In the upgrade's transaction.
 */
static int
domain_fill(struct cs_replica *r, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(
        r->db, "SELECT tbl, row, col, val FROM cs_reg WHERE val IS NOT NULL", -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t tbl = sqlite3_column_int64(st, 0), col = sqlite3_column_int64(st, 2);
        struct cs_value v, have;
        struct cs_id row;
        uint64_t cl;
        int holds;
        rc = SQLITE_OK;
        if (sqlite3_column_bytes(st, 1) != CS_ID_LEN)
            continue;
        memcpy(row.b, sqlite3_column_blob(st, 1), CS_ID_LEN);
        cs_value_column(st, 3, &v);
        if ((rc = cs__domain_holds(r, tbl, col, &v, &holds)) != SQLITE_OK || !holds ||
            (rc = cs__domain_value(r, tbl, &row, col, &have)) != SQLITE_OK)
            continue;
        int empty = have.type == CS_VNIL;
        cs__domain_value_done(r);
        if (empty && (rc = cs__row_cl(r, tbl, &row, &cl)) == SQLITE_OK)
            rc = cs__domain_set(r, tbl, &row, col, &v, cl ? (int64_t)cl : 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "upgrade"));
    return 0;
}

/* Whether the store still has a table of the layout before issue 18 (ver_migrate). */
static int
has_table(struct cs_replica *r, const char *name)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(
        r->db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return -rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -rc;
}

/*
 * Whether every object store_sql makes is already there: one query on the
 * schema SQLite has loaded anyway, rather than compiling store_sql's dozen
 * statements at each open. The names are read from store_sql itself.
 */
static int
store_complete(struct cs_replica *r, int *yes)
{
    static const char ine[] = "IF NOT EXISTS ";
    sqlite3_str *s = sqlite3_str_new(r->db);
    sqlite3_stmt *st = NULL;
    int n = 0, rc;

    *yes = 0;
    sqlite3_str_appendall(s, "SELECT (SELECT count(*) FROM sqlite_schema WHERE name IN (");
    for (const char *p = store_sql; (p = strstr(p, ine)) != NULL; n++) {
        p += sizeof(ine) - 1;
        sqlite3_str_appendf(s, "%s'%.*s'", n ? ", " : "", (int)strcspn(p, " ("), p);
    }
    /* and cs_row's later columns (row_migrate), which a table's name does not tell */
    sqlite3_str_appendall(s, ")) + (SELECT sql LIKE '%site INTEGER%' AND sql LIKE '%keys BLOB%'"
                             " FROM sqlite_schema WHERE name = 'cs_row')"
                             /* and views that read values through DVAL (VIEWS_DROP) */
                             " + (SELECT instr(sql, '" VIEWS_MARK "') > 0"
                             " FROM sqlite_schema WHERE name = 'cs_version')"
                             /* and no table of an older layout (ver_migrate) */
                             " + (NOT EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 'cs_ver'))");
    n += 3;
    char *sql = sqlite3_str_finish(s);
    if (sql == NULL)
        return SQLITE_NOMEM;
    if ((rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL)) == SQLITE_OK &&
        (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *yes = sqlite3_column_int(st, 0) == n;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    sqlite3_free(sql);
    return rc;
}

int
cs_replica_open(struct cs_replica **out, const char *path, int flags, const struct cs_id *site,
                char *err, size_t errlen)
{
    struct cs_replica *r = NULL;
    int create = flags & CS_REPLICA_CREATE, search = !(flags & CS_REPLICA_NO_SEARCH);
    char buf[64];
    int ret, rc;

    *out = NULL;
    if (create && site == NULL)
        return cs_errf(err, errlen, CS_EINVAL, _("a new replica needs its site id"));
    if (create && access(path, F_OK) == 0)
        return cs_errf(err, errlen, CS_EEXISTS, _("'%s' already exists"), path);
    if (!create && access(path, F_OK) != 0)
        return cs_errf(err, errlen, -errno, _("cannot open '%s': %s"), path, strerror(errno));
    if ((r = calloc(1, sizeof(*r))) == NULL || (r->path = strdup(path)) == NULL) {
        ret = CS_ENOMEM;
        goto out;
    }
    rc = sqlite3_open_v2(
        path, &r->db,
        SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        ret = r->db ? cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "open"))
                    : cs_errf(err, errlen, CS_ENOMEM, _("cannot open '%s'"), path);
        goto out;
    }
    sqlite3_extended_result_codes(r->db, 0);
    cs_stmt_cache_init(&r->stmts, r->db, stmt_sql, ST__COUNT);
    sqlite3_busy_timeout(r->db, 3000);
    /*
     * FULL: a commit is on disk before we say "added" (or acknowledge a
     * chunk); in WAL mode that is one fdatasync of the log per commit. The
     * checkpoint is left to the WAL's own threshold rather than to every
     * close, so a short command does not pay for it each time.
     */
    /* secure_delete: what is deleted or replaced (a spent secret, a deleted row) is zeroed in the
     * file, not left in its free space (F18). */
    if ((ret = cs__replica_exec(r,
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                                " PRAGMA secure_delete = ON;",
                                err, errlen, NC_("cannot %s", "open"))) != 0)
        goto out;
    sqlite3_db_config(r->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    if (create) {
        if ((ret = cs__replica_exec(r, "BEGIN IMMEDIATE", err, errlen,
                                    NC_("cannot %s", "create"))) != 0 ||
            (ret = cs__replica_exec(r, store_sql, err, errlen, NC_("cannot %s", "create"))) != 0 ||
            (ret = cs_schema_apply(r->db, search, err, errlen)) != 0)
            goto out;
        char hex[CS_ID_HEX_LEN + 1];
        cs_id_to_hex(site, hex);
        snprintf(buf, sizeof(buf), "%d", CS_SCHEMA_VERSION);
        if ((ret = cs_replica_meta_set(r, CS_META_SITE, hex)) != 0 ||
            (ret = cs_replica_meta_set(r, CS_META_SCHEMA, buf)) != 0 ||
            (ret = cs_replica_meta_set(r, CS_META_SEARCH, search ? "1" : "0")) != 0 ||
            (ret = cs__replica_exec(r, "COMMIT", err, errlen, NC_("cannot %s", "create"))) != 0) {
            if (ret != 0 && err && err[0] == 0)
                cs_errf(err, errlen, ret, _("cannot create '%s': %s"), path, cs_strerror(ret));
            goto out;
        }
        r->site = *site;
    } else {
        /* A file that is not a replica says so rather than being turned into one. */
        if ((ret = meta_get_raw(r, CS_META_SITE, buf, sizeof(buf))) != 0) {
            ret = cs_errf(err, errlen, ret == -ENOENT ? CS_ECORRUPT : ret,
                          _("'%s' is not a cellsync replica (%s)"), path,
                          ret == -ENOENT ? _("no site id") : sqlite3_errmsg(r->db));
            goto out;
        }
        if (cs_id_from_hex(&r->site, buf, strlen(buf)) != 0) {
            ret = cs_errf(err, errlen, CS_ECORRUPT, _("'%s' has a damaged site id"), path);
            goto out;
        }
        if (site != NULL && cs_id_cmp(site, &r->site) != 0) {
            ret = cs_errf(err, errlen, CS_ESITE, _("'%s' belongs to another device"), path);
            goto out;
        }
        /*
         * The store's own tables are made if missing at every open, as the
         * hub's are: one added later (cs_dropped) appears in a store made
         * before it without a new schema version, which peers compare.
         */
        int complete;
        if ((rc = store_complete(r, &complete)) != SQLITE_OK) {
            ret = cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "read"));
            goto out;
        }
        if (!complete &&
            ((ret = cs__replica_exec(r, VIEWS_DROP, err, errlen, NC_("cannot %s", "upgrade"))) !=
                 0 ||
             (ret = cs__replica_exec(r, store_sql, err, errlen, NC_("cannot %s", "upgrade"))) !=
                 0 ||
             (ret = row_migrate(r, err, errlen)) != 0))
            goto out;
        int old = complete ? 0 : has_table(r, "cs_ver");
        if (old < 0) {
            ret = cs__replica_fail(r, -old, err, errlen, NC_("cannot %s", "read"));
            goto out;
        }
        if (old && (ret = ver_migrate(r, err, errlen)) != 0)
            goto out;
        /*
         * Additive schema changes: a newer program adds what is missing,
         * once. The search index stays as the store was made (a store
         * without the key was made with it) unless NO_SEARCH drops it.
         */
        char ver[16], had[4];
        if (meta_get_raw(r, CS_META_SEARCH, had, sizeof(had)) != 0)
            snprintf(had, sizeof(had), "1");
        int drop = search == 0 && atoi(had) != 0;
        search = search && atoi(had) != 0;
        if (meta_get_raw(r, CS_META_SCHEMA, ver, sizeof(ver)) != 0 ||
            atoi(ver) < CS_SCHEMA_VERSION || drop) {
            snprintf(ver, sizeof(ver), "%d", CS_SCHEMA_VERSION);
            if ((ret = cs__replica_exec(r, "BEGIN IMMEDIATE", err, errlen,
                                        NC_("cannot %s", "upgrade"))) != 0)
                goto out;
            if ((ret = cs__replica_exec(r, VIEWS_DROP, err, errlen, NC_("cannot %s", "upgrade"))) !=
                    0 ||
                (ret = cs__replica_exec(r, store_sql, err, errlen, NC_("cannot %s", "upgrade"))) !=
                    0 ||
                (ret = cs_schema_apply(r->db, search, err, errlen)) != 0 ||
                (ret = domain_fill(r, err, errlen)) != 0 ||
                (ret = cs_replica_meta_set(r, CS_META_SCHEMA, ver)) != 0 ||
                (ret = cs_replica_meta_set(r, CS_META_SEARCH, search ? "1" : "0")) != 0 ||
                (ret = cs__replica_exec(r, "COMMIT", err, errlen, NC_("cannot %s", "upgrade"))) !=
                    0) {
                sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
                goto out;
            }
        }
    }
    if ((rc = sites_load(r)) != SQLITE_OK ||
        (rc = sqlite3_create_function(r->db, "cs_conflict_number", 5,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_conflict_number,
                                      NULL, NULL)) != SQLITE_OK) {
        ret = cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "read"));
        goto out;
    }
    cs_hlc_init(&r->clock, CS_HLC_DRIFT_DEFAULT_MS);
    if (meta_get_raw(r, CS_META_HLC, buf, sizeof(buf)) == 0)
        r->clock.last = strtoull(buf, NULL, 10);
    if (meta_get_raw(r, CS_META_CLOCK_OFFSET_MS, buf, sizeof(buf)) == 0)
        r->clock.offset_ms = strtoll(buf, NULL, 10);
    /* A store with a change log keeps it in every process, hooks or not (log.c). */
    r->log_on = meta_get_raw(r, CS__LOG_META, buf, sizeof(buf)) == 0 && strcmp(buf, "1") == 0;
    if ((rc = site_ix(r, &r->site, &r->site_ix)) != SQLITE_OK) {
        ret = cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "read"));
        goto out;
    }
    *out = r;
    r = NULL;
    ret = 0;
out:
    cs_replica_close(r);
    return ret;
}

sqlite3 *
cs_replica_db(struct cs_replica *r)
{
    return r->db;
}

const struct cs_id *
cs_replica_site(const struct cs_replica *r)
{
    return &r->site;
}

uint64_t
cs_replica_now(const struct cs_replica *r)
{
    return cs_hlc_now(&r->clock);
}

uint64_t
cs_replica_wall_ms(const struct cs_replica *r)
{
    return r->clock.clock != NULL ? r->clock.clock(r->clock.clock_ud) : cs_hlc_wall_ms(NULL);
}

int
cs_replica_check_stamp(const struct cs_replica *r, uint64_t hlc, int relayed)
{
    return relayed ? cs_hlc_check_relayed(&r->clock, hlc) : cs_hlc_check(&r->clock, hlc);
}

uint64_t
cs_replica_max_drift(const struct cs_replica *r)
{
    return r->clock.max_drift_ms;
}

void
cs_replica_set_max_drift(struct cs_replica *r, uint64_t ms)
{
    r->clock.max_drift_ms = ms;
}

int64_t
cs_replica_clock_offset(const struct cs_replica *r)
{
    return r->clock.offset_ms;
}

int
cs_replica_set_clock_offset(struct cs_replica *r, int64_t ms)
{
    char buf[32];
    r->clock.offset_ms = ms;
    if (meta_get_raw(r, CS_META_CLOCK_OFFSET_MS, buf, sizeof(buf)) == 0 &&
        strtoll(buf, NULL, 10) == ms)
        return 0;
    snprintf(buf, sizeof(buf), "%lld", (long long)ms);
    return cs_replica_meta_set(r, CS_META_CLOCK_OFFSET_MS, buf);
}

void
cs_replica_clock_reload(struct cs_replica *r)
{
    char buf[32];
    if (meta_get_raw(r, CS_META_CLOCK_OFFSET_MS, buf, sizeof(buf)) == 0)
        r->clock.offset_ms = strtoll(buf, NULL, 10);
}

void
cs_replica_set_time_source(struct cs_replica *r, cs_hlc_clock_fn fn, void *ud)
{
    r->clock.clock = fn != NULL ? fn : cs_hlc_wall_ms;
    r->clock.clock_ud = fn != NULL ? ud : NULL;
}

/* The offset that puts the physical clock at t (Unix ms) now. */
static int64_t
offset_to(const struct cs_replica *r, uint64_t t)
{
    return (int64_t)t - (int64_t)cs_replica_wall_ms(r);
}

static int
offset_move(struct cs_replica *r, int64_t ms, int *moved)
{
    if (moved != NULL)
        *moved = ms != r->clock.offset_ms;
    return cs_replica_set_clock_offset(r, ms);
}

int
cs_replica_learn_hub_time(struct cs_replica *r, uint64_t hub_ms, int exact, int *moved)
{
    int64_t ms = offset_to(r, hub_ms);
    if (!exact && ms < r->clock.offset_ms)
        ms = r->clock.offset_ms;
    return offset_move(r, ms, moved);
}

int
cs_replica_learn_refused_stamps(struct cs_replica *r, const struct cs_refused_id *ids, size_t n,
                                uint64_t hub_ms, int *moved)
{
    sqlite3_stmt *st;
    uint64_t ahead = 0;
    int rc = cs_stmt_get(&r->stmts, ST_VER_HELD, &st);

    if (moved != NULL)
        *moved = 0;
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        uint64_t ms = cs_hlc_ms(ids[i].hlc);
        if (cs_id_cmp(&ids[i].origin, &r->site) != 0 || ms <= hub_ms || ms - hub_ms <= ahead)
            continue;
        sqlite3_bind_text(st, 1, ids[i].table, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, ids[i].row.b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, ids[i].column, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (int64_t)ids[i].hlc);
        sqlite3_bind_int64(st, 5, r->site_ix);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_ROW)
            ahead = ms - hub_ms;
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    if (rc != SQLITE_OK)
        return CS_ESQLITE;
    if (ahead == 0)
        return 0;
    /* Back by what the stamps prove, but never to before hub_ms: the present is later. */
    int64_t ms = r->clock.offset_ms - (int64_t)ahead, floor = offset_to(r, hub_ms);
    if (ms < floor)
        ms = floor;
    if (ms >= r->clock.offset_ms)
        return 0;
    return offset_move(r, ms, moved);
}

int
cs_replica_today(const struct cs_replica *r, int32_t *out, char *err, size_t errlen)
{
    const char *env = getenv("CELLSYNC_TODAY");
    if (env != NULL && *env != '\0')
        return cs_date_today(out, err, errlen);
    time_t t = (time_t)(cs_hlc_ms(cs_replica_now(r)) / 1000);
    struct tm tm;
    *out = CS_DATE_NONE;
    if (localtime_r(&t, &tm) == NULL)
        return cs_errf(err, errlen, CS_ECLOCK, "%s", _("cannot read today's date from the clock"));
    *out = cs_date_from_civil((struct cs_date){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday});
    return 0;
}

uint64_t
cs_replica_seq(struct cs_replica *r)
{
    sqlite3_stmt *st;
    uint64_t seq = 0;
    if (cs_stmt_get(&r->stmts, ST_MAX_SEQ, &st) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        seq = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return seq;
}

/* A number about this replica's own writes after `after` (statement id of (site, after)). */
static int
own_after(struct cs_replica *r, int id, uint64_t after, uint64_t *out)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, id, &st);
    *out = 0;
    if (rc != SQLITE_OK)
        return CS_ESQLITE;
    sqlite3_bind_int64(st, 1, r->site_ix);
    sqlite3_bind_int64(st, 2, (int64_t)after);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
        *out = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : CS_ESQLITE;
}

int
cs_replica_count_own(struct cs_replica *r, uint64_t after, uint64_t *count)
{
    return own_after(r, ST_COUNT_OWN, after, count);
}

int
cs_replica_next_own(struct cs_replica *r, uint64_t after, uint64_t *seq)
{
    return own_after(r, ST_NEXT_OWN, after, seq);
}

int
cs_replica_conflict_count(struct cs_replica *r, uint64_t *count)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_CONFLICTS, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    rc = sqlite3_step(st);
    *count = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : cs_sqlite_code(rc);
}

int
cs_replica_first_writer(struct cs_replica *r, const char *table, const struct cs_id *row,
                        struct cs_id *origin)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_FIRST_WRITER, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, row->b, CS_ID_LEN, SQLITE_STATIC);
    int ret = -ENOENT;
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ret = CS_ECORRUPT;
        if (sqlite3_column_bytes(st, 0) == CS_ID_LEN) {
            memcpy(origin->b, sqlite3_column_blob(st, 0), CS_ID_LEN);
            ret = 0;
        }
    } else if (rc != SQLITE_DONE) {
        ret = cs_sqlite_code(rc);
    }
    sqlite3_reset(st);
    return ret;
}

int
cs_replica_has_later(struct cs_replica *r, const char *table, const struct cs_id *row,
                     const char *column, const struct cs_id *origin, uint64_t after)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&r->stmts, ST_HAS_LATER, &st);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, row->b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, column, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, origin->b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)after);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : cs_sqlite_code(rc);
}

int
cs_replica_site_of(sqlite3 *db, struct cs_id *site)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT value FROM cs_meta WHERE key = ?1", -1, &st, NULL);
    int ret = CS_ECORRUPT;
    if (rc != SQLITE_OK) {
        /* No cs_meta at all: not a replica. */
        sqlite3_finalize(st);
        return rc == SQLITE_ERROR ? CS_ECORRUPT : cs_sqlite_code(rc);
    }
    sqlite3_bind_text(st, 1, CS_META_SITE, -1, SQLITE_STATIC);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT) {
        const char *hex = (const char *)sqlite3_column_text(st, 0);
        ret = cs_id_from_hex(site, hex, strlen(hex)) == 0 ? 0 : CS_ECORRUPT;
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        ret = cs_sqlite_code(rc);
    }
    sqlite3_finalize(st);
    return ret;
}

/* ---- transactions ---- */

static int
save_clock(struct cs_replica *r)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r->clock.last);
    return cs_replica_meta_set(r, CS_META_HLC, buf);
}

int
cs_replica_begin(struct cs_replica *r, char *err, size_t errlen)
{
    if (r->in_tx)
        return cs_errf(err, errlen, CS_EINVAL, _("a transaction is already open"));
    int ret = cs__replica_exec(r, "BEGIN IMMEDIATE", err, errlen, NC_("cannot %s", "write to"));
    if (ret != 0)
        return ret;
    r->in_tx = 1;
    if ((ret = cs_hlc_send(&r->clock, &r->tx_hlc)) != 0) {
        cs_replica_rollback(r);
        return cs_errf(err, errlen, ret, _("cannot stamp the change: %s"), cs_strerror(ret));
    }
    return 0;
}

void
cs_replica_rollback(struct cs_replica *r)
{
    if (!r->in_tx)
        return;
    sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    r->in_tx = 0;
    r->tx_hlc = 0;
    r->batching = 0;
    r->seq_top = 0;
    cs__project_rollback(r);
    cs__log_rollback(r);
    /* Interned sites and names of the rolled-back transaction are gone again. */
    sites_load(r);
    r->nnames = 0;
    cs__map_clear(&r->name_map);
}

int
cs_replica_commit(struct cs_replica *r, char *err, size_t errlen)
{
    if (!r->in_tx)
        return cs_errf(err, errlen, CS_EINVAL, _("no transaction is open"));
    int rc = cs__pend_flush(r, 1);
    r->batching = 0;
    if (rc == SQLITE_OK)
        rc = cs__log_commit(r);
    if (rc != SQLITE_OK)
        return cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "write to"));
    int ret = save_clock(r);
    if (ret != 0)
        return cs_errf(err, errlen, ret, _("cannot write to '%s': %s"), r->path,
                       sqlite3_errmsg(r->db));
    if ((ret = cs__replica_exec(r, "COMMIT", err, errlen, NC_("cannot %s", "write to"))) != 0)
        return ret;
    r->in_tx = 0;
    r->tx_hlc = 0;
    r->seq_top = 0;
    return 0;
}

/*
 * A text value as it is stored: in NFC (base/text.c), so that the same name
 * typed on two keyboards is the same bytes on every device. *v is replaced
 * by the NFC form when that differs; *mem then owns its bytes. Text that is
 * not UTF-8 is refused here, naming the field, before any version exists.
 */
static int
text_nfc(const char *table, const char *column, struct cs_value *v, char **mem, char *err,
         size_t errlen)
{
    size_t n;
    int ret;

    *mem = NULL;
    if (v->type != CS_VTEXT)
        return 0;
    if ((ret = cs_utf8_nfc(v->p, v->n, mem, &n)) == CS_EINVAL) {
        const struct cs_schema_column *c = cs_schema_column(table, column);
        /* TRANSLATORS: the field's label; the text was typed or read in another encoding. */
        return cs_errf(err, errlen, ret,
                       _("%s: the text is not UTF-8 (type it again, or save the file as UTF-8)"),
                       c != NULL ? _(c->label) : column);
    }
    if (ret != 0)
        return cs_errf(err, errlen, ret, "%s", cs_strerror(ret));
    if (*mem != NULL) {
        v->p = *mem;
        v->n = n;
    }
    return 0;
}

/*
 * One local write of the open transaction. A register written twice in one
 * transaction keeps one version (same stamp), with the last value.
 */
static int
local_write(struct cs_replica *r, const char *table, const struct cs_id *row, const char *column,
            const struct cs_value *value, uint64_t cl_override, uint64_t hlc, char *err,
            size_t errlen)
{
    struct ver x = {0};
    struct cs_value nv = *value, *v = &nv;
    char *mem = NULL;
    int rc, state, ret;

    if (!r->in_tx)
        return cs_errf(err, errlen, CS_EINVAL, _("no transaction is open"));
    if (strlen(table) == 0 || strlen(table) > CS_NAME_MAX || strlen(column) == 0 ||
        strlen(column) > CS_NAME_MAX)
        return cs_errf(err, errlen, CS_EINVAL, _("bad table or column name"));
    if ((ret = text_nfc(table, column, v, &mem, err, errlen)) != 0)
        return ret;
    if ((v->type == CS_VTEXT || v->type == CS_VBLOB) && v->n > CS_VALUE_MAX) {
        free(mem);
        return cs_errf(err, errlen, CS_ETOOBIG, _("value of '%s' is over %u bytes"), column,
                       CS_VALUE_MAX);
    }
    x.row = *row;
    x.hlc = hlc;
    x.site = r->site_ix;
    if ((rc = name_ix(r, table, &x.tbl)) != SQLITE_OK ||
        (rc = name_ix(r, column, &x.col)) != SQLITE_OK || (rc = cs__row_cl(r, x.tbl, row, &x.cl)))
        goto out;
    x.cl = cl_override ? cl_override : x.cl ? x.cl : 1;

    int64_t cseq;
    uint64_t chlc = 0;
    int64_t csite = 0;
    if ((rc = current(r, &x, &cseq, &chlc, &csite)) != SQLITE_OK)
        goto out;
    if (cseq != 0 && chlc == hlc && csite == r->site_ix) {
        sqlite3_stmt *st;
        int holds;
        if ((rc = cs__domain_holds(r, x.tbl, x.col, v, &holds)) != SQLITE_OK ||
            (rc = cs_stmt_get(&r->stmts, ST_REG_SET_VAL, &st)) != SQLITE_OK)
            goto out;
        bind_reg(st, &x);
        if (holds)
            sqlite3_bind_null(st, 4);
        else
            cs_value_bind(st, 4, v);
        if ((rc = cs_step_done(st)) != SQLITE_OK ||
            (rc = cs__domain_set(r, x.tbl, &x.row, x.col, v, (int64_t)x.cl)) != SQLITE_OK)
            goto out;
    } else {
        if (cseq != 0) {
            x.prev_hlc = chlc;
            x.prev_site = csite;
        }
        size_t ignored = 0;
        if ((rc = merge_one(r, &x, v, &state, &ignored)) != SQLITE_OK)
            goto out;
    }
out:
    free(mem);
    if (rc != SQLITE_OK)
        return cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "write to"));
    return 0;
}

int
cs_replica_set(struct cs_replica *r, const char *table, const struct cs_id *row, const char *column,
               const struct cs_value *v, char *err, size_t errlen)
{
    if (strcmp(column, CS_COL_LIFE) == 0)
        return cs_errf(err, errlen, CS_EINVAL, _("row life is changed by delete and undelete"));
    return local_write(r, table, row, column, v, 0, r->tx_hlc, err, errlen);
}

int
cs_replica_set_text(struct cs_replica *r, const char *table, const struct cs_id *row,
                    const char *column, const char *text, char *err, size_t errlen)
{
    struct cs_value v = {.type = CS_VNIL};
    if (text != NULL) {
        v.type = CS_VTEXT;
        v.p = text;
        v.n = strlen(text);
    }
    return cs_replica_set(r, table, row, column, &v, err, errlen);
}

int
cs_replica_set_row(struct cs_replica *r, const char *table, const struct cs_id *row, size_t n,
                   const char *const *columns, const struct cs_value *values, char *err,
                   size_t errlen)
{
    int ret = 0;
    if (!r->in_tx)
        return cs_errf(err, errlen, CS_EINVAL, _("no transaction is open"));
    /* The row waits in project.c's buffer, as in a merged set, and is written whole at the end. */
    r->batching = 1;
    for (size_t i = 0; i < n && ret == 0; i++)
        ret = cs_replica_set(r, table, row, columns[i], &values[i], err, errlen);
    r->batching = 0;
    int rc = ret == 0 ? cs__pend_flush(r, 0) : SQLITE_OK;
    if (ret != 0)
        cs__pend_clear(r);
    else if (rc != SQLITE_OK)
        ret = cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "write to"));
    return ret;
}

static int
set_life(struct cs_replica *r, const char *table, const struct cs_id *row, int live, char *err,
         size_t errlen)
{
    int64_t tbl;
    uint64_t cl;
    int rc;
    if (!r->in_tx)
        return cs_errf(err, errlen, CS_EINVAL, _("no transaction is open"));
    if ((rc = name_ix(r, table, &tbl)) != SQLITE_OK || (rc = cs__row_cl(r, tbl, row, &cl)))
        return cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "write to"));
    if (cl == 0)
        return cs_errf(err, errlen, CS_ENOTFOUND, _("no such row in '%s'"), table);
    if ((cl % 2 == 1) == live)
        return 0; /* already so */
    struct cs_value v = {.type = CS_VINT, .i = (int64_t)cl + 1};
    return local_write(r, table, row, CS_COL_LIFE, &v, cl + 1, r->tx_hlc, err, errlen);
}

int
cs_replica_delete_row(struct cs_replica *r, const char *table, const struct cs_id *row, char *err,
                      size_t errlen)
{
    return set_life(r, table, row, 0, err, errlen);
}

int
cs_replica_undelete_row(struct cs_replica *r, const char *table, const struct cs_id *row, char *err,
                        size_t errlen)
{
    return set_life(r, table, row, 1, err, errlen);
}

int
cs_replica_resolve(struct cs_replica *r, const char *table, const struct cs_id *row,
                   const char *column, const struct cs_value *value, char *err, size_t errlen)
{
    struct ver x = {0};
    struct cs_value nv = *value, *v = &nv;
    int64_t *open = NULL;
    size_t nopen = 0, cap = 0;
    char *mem = NULL;
    int rc, ret;

    if ((ret = text_nfc(table, column, v, &mem, err, errlen)) != 0)
        return ret;
    if ((ret = cs_replica_begin(r, err, errlen)) != 0) {
        free(mem);
        return ret;
    }
    if ((rc = name_ix(r, table, &x.tbl)) != SQLITE_OK ||
        (rc = name_ix(r, column, &x.col)) != SQLITE_OK) {
        ret = cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "read"));
        goto out;
    }
    x.row = *row;
    sqlite3_stmt *st;
    if ((rc = cs_stmt_get(&r->stmts, ST_VER_OPEN, &st)) != SQLITE_OK) {
        ret = cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "read"));
        goto out;
    }
    bind_reg(st, &x);
    /* Collect first: each write below changes the states being read. */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((ret = cs_grow((void **)&open, &cap, nopen + 2, sizeof(*open), 8)) != 0) {
            sqlite3_reset(st);
            goto out;
        }
        open[nopen++] = sqlite3_column_int64(st, 1);
        open[nopen++] = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        ret = cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "read"));
        goto out;
    }
    if (nopen == 0) {
        ret =
            cs_errf(err, errlen, CS_EINVAL, _("'%s' of this record has no open conflict"), column);
        goto out;
    }
    /* The value on show now: the last write names it, whatever happens in between. */
    int64_t cseq, csite = 0;
    uint64_t chlc = 0;
    if ((rc = current(r, &x, &cseq, &chlc, &csite)) != SQLITE_OK) {
        ret = cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "read"));
        goto out;
    }
    /*
     * One version per losing value names it as prev; each is superseded by
     * the next write of this site, and the last one names the current value.
     */
    for (size_t i = 0; i <= nopen; i += 2) {
        uint64_t hlc = r->tx_hlc;
        if (i > 0 && (ret = cs_hlc_send(&r->clock, &hlc)) != 0)
            goto out;
        struct ver w = x;
        int state;
        size_t ignored = 0;
        w.hlc = hlc;
        w.site = r->site_ix;
        if ((rc = cs__row_cl(r, w.tbl, row, &w.cl)) != SQLITE_OK) {
            ret = cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "read"));
            goto out;
        }
        if (w.cl == 0)
            w.cl = 1;
        if (i < nopen) {
            w.prev_hlc = (uint64_t)open[i];
            w.prev_site = open[i + 1];
        } else if (cseq != 0) {
            w.prev_hlc = chlc;
            w.prev_site = csite;
        }
        if ((rc = merge_one(r, &w, v, &state, &ignored)) != SQLITE_OK) {
            ret = cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "write to"));
            goto out;
        }
    }
    ret = cs_replica_commit(r, err, errlen);
out:
    if (ret != 0)
        cs_replica_rollback(r);
    free(open);
    free(mem);
    return ret;
}

/* ---- change sets ---- */

int
cs_replica_begin_merge(struct cs_replica *r, char *err, size_t errlen)
{
    if (r->in_tx)
        return cs_errf(err, errlen, CS_EINVAL, _("a transaction is already open"));
    int ret = cs__replica_exec(r, "BEGIN IMMEDIATE", err, errlen, NC_("cannot %s", "write to"));
    if (ret == 0)
        r->in_tx = 1;
    return ret;
}

int
cs_replica_apply_in(struct cs_replica *r, const struct cs_changeset *cs,
                    const struct cs_apply_opts *opts, struct cs_apply_stats *st, char *err,
                    size_t errlen)
{
    static const struct cs_apply_opts none = {0};
    struct cs_apply_stats s = {0};
    int ret, rc = SQLITE_OK;

    s.received = cs_changeset_count(cs);
    if (!r->in_tx)
        return cs_errf(err, errlen, CS_EINVAL, _("no transaction is open"));
    if (opts == NULL)
        opts = &none;
    /* Refuse the whole set before touching anything if one stamp is too far ahead. */
    for (size_t i = 0; i < s.received && !opts->per_change_drift; i++) {
        struct cs_change c;
        cs_changeset_get(cs, i, &c);
        if (cs_hlc_check(&r->clock, c.hlc) != 0)
            return cs_errf(
                err, errlen, CS_EDRIFT,
                _("change %zu is stamped %llu s ahead of this clock (the limit is %llu s)"), i,
                (unsigned long long)((cs_hlc_ms(c.hlc) - cs_hlc_ms(cs_hlc_now(&r->clock))) / 1000),
                (unsigned long long)(r->clock.max_drift_ms / 1000));
    }
    r->batching = 1;
    for (size_t i = 0; i < s.received; i++) {
        struct cs_change c;
        struct ver x = {0};
        uint64_t ignored;
        int state;
        cs_changeset_get(cs, i, &c);
        if (opts->accept != NULL) {
            char reason[256] = "";
            int kind = 0;
            if ((ret = opts->accept(opts->ud, cs, i, &kind, reason, sizeof(reason))) != 0)
                return cs_errf(err, errlen, ret, _("cannot check change %zu: %s"), i,
                               cs_strerror(ret));
            if (kind != 0) {
                s.refused++;
                if (opts->refused != NULL && (ret = opts->refused(opts->ud, &c, kind, reason)) != 0)
                    return cs_errf(err, errlen, ret, _("cannot record a refused change: %s"),
                                   cs_strerror(ret));
                continue;
            }
        }
        /*
         * An accepted stamp is within the drift bound, so recv cannot refuse
         * it; one judged change by change may be a relayed one.
         */
        if ((ret = opts->per_change_drift ? cs_hlc_recv_relayed(&r->clock, c.hlc, &ignored)
                                          : cs_hlc_recv(&r->clock, c.hlc, &ignored)) != 0)
            return cs_errf(err, errlen, ret, _("change %zu: %s"), i, cs_strerror(ret));
        x.row = c.row;
        x.hlc = c.hlc;
        x.prev_hlc = c.prev_hlc;
        x.cl = c.cl;
        if ((rc = name_ix(r, c.table, &x.tbl)) != SQLITE_OK ||
            (rc = name_ix(r, c.column, &x.col)) != SQLITE_OK ||
            (rc = site_ix(r, &c.origin, &x.site)) != SQLITE_OK ||
            (c.prev_hlc && (rc = site_ix(r, &c.prev_origin, &x.prev_site)) != SQLITE_OK))
            return cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "merge into"));
        if ((rc = merge_one(r, &x, &c.value, &state, &s.conflicts)) != SQLITE_OK)
            return cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "merge into"));
        if (state < 0)
            s.duplicates++;
        else
            s.applied++;
    }
    r->batching = 0;
    /* The set's rows written to the domain tables: the next set of the transaction reads them. */
    if ((rc = cs__pend_flush(r, 1)) != SQLITE_OK)
        return cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "merge into"));
    if (st != NULL)
        *st = s;
    return 0;
}

int
cs_replica_apply(struct cs_replica *r, const struct cs_changeset *cs,
                 const struct cs_apply_opts *opts, struct cs_apply_stats *st, char *err,
                 size_t errlen)
{
    struct cs_apply_stats s = {0};
    int ret;

    if (r->in_tx)
        return cs_errf(err, errlen, CS_EINVAL, _("a transaction is already open"));
    if ((ret = cs_replica_begin_merge(r, err, errlen)) != 0)
        return ret;
    if ((ret = cs_replica_apply_in(r, cs, opts, &s, err, errlen)) != 0)
        goto out;
    /* The hook sees the counts of what it commits with (the audit line does). */
    if (st != NULL)
        *st = s;
    if (opts != NULL && opts->before_commit != NULL &&
        (ret = opts->before_commit(opts->ud, r->db)) != 0) {
        cs__replica_fail(r, ret, err, errlen, NC_("cannot %s", "merge into"));
        goto out;
    }
    if ((ret = cs_replica_commit(r, err, errlen)) != 0)
        goto out;
    return 0;
out:
    cs_replica_rollback(r);
    return ret;
}

/* What a version adds to an encoded change set, near enough to cut chunks by. */
#define VERSION_OVERHEAD 48

/* A change set being read (cs_replica_changes_since). */
struct since {
    struct cs_replica *r;
    const struct cs_since_filter *f;
    struct cs_changeset *cs;
    size_t max_bytes, bytes;
    uint64_t last, run_hlc;
    struct cs_id run_site;
    int full;        /* cut: the set is as large as it may be */
    uint64_t *count; /* not NULL: the versions that pass are counted, not read into cs */
};

/*
 * What sqlite3_column_bytes gives for a value (a number's text), so that a
 * set is cut where it was when every value was read from cs_reg.
 */
static int
value_bytes(const struct cs_value *v)
{
    char buf[32];
    switch (v->type) {
    case CS_VTEXT:
    case CS_VBLOB:
        return (int)v->n;
    case CS_VINT:
        return (int)strlen(sqlite3_snprintf(sizeof(buf), buf, "%lld", (long long)v->i));
    case CS_VFLOAT:
        return (int)strlen(sqlite3_snprintf(sizeof(buf), buf, "%!.15g", v->f));
    default:
        return 0;
    }
}

/* Whether the filter lets version c through. */
static int
since_passes(const struct cs_since_filter *f, const struct cs_change *c)
{
    return !((f->only_origin && cs_id_cmp(&c->origin, f->only_origin) != 0) ||
             (f->not_origin && cs_id_cmp(&c->origin, f->not_origin) == 0) ||
             (f->origin_ok && !f->origin_ok(f->ud, &c->origin)) ||
             (f->row_ok && !f->row_ok(f->ud, c->table, &c->row)));
}

/* Takes the versions st gives (ST_SINCE or ST_SINCE_RANGE) until the set is full. */
static int
since_take(struct since *x, sqlite3_stmt *st, char *err, size_t errlen)
{
    const struct cs_since_filter *filter = x->f;
    struct cs_replica *r = x->r;
    int ret, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct cs_change c = {0};
        uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
        c.table = (const char *)sqlite3_column_text(st, 1);
        c.column = (const char *)sqlite3_column_text(st, 3);
        if (sqlite3_column_bytes(st, 2) != CS_ID_LEN || sqlite3_column_bytes(st, 6) != CS_ID_LEN)
            return cs_errf(err, errlen, CS_ECORRUPT, _("'%s' has a damaged version"), r->path);
        memcpy(c.row.b, sqlite3_column_blob(st, 2), CS_ID_LEN);
        c.hlc = (uint64_t)sqlite3_column_int64(st, 5);
        memcpy(c.origin.b, sqlite3_column_blob(st, 6), CS_ID_LEN);
        c.prev_hlc = (uint64_t)sqlite3_column_int64(st, 7);
        if (c.prev_hlc != 0 && sqlite3_column_bytes(st, 8) == CS_ID_LEN)
            memcpy(c.prev_origin.b, sqlite3_column_blob(st, 8), CS_ID_LEN);
        c.cl = (uint64_t)sqlite3_column_int64(st, 9);
        if (x->count != NULL) {
            /* Counting: the filter alone, no value read, no cut (no size limit). */
            x->last = seq;
            if (since_passes(filter, &c))
                (*x->count)++;
            continue;
        }
        if (sqlite3_column_int(st, 12) && sqlite3_column_type(st, 4) == SQLITE_NULL) {
            /* A current value the domain row holds (DVAL): read there, a row at a time. */
            if ((rc = cs__domain_value(r, sqlite3_column_int64(st, 10), &c.row,
                                       sqlite3_column_int64(st, 11), &c.value)) != SQLITE_OK) {
                cs__domain_value_done(r);
                return cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "read"));
            }
        } else {
            cs_value_column(st, 4, &c.value);
        }
        /* The bytes sqlite3_column_bytes gives: a number's as text. */
        int vbytes = value_bytes(&c.value);
        /* Cut only between local transactions (runs of one stamp and origin). */
        int same_run = c.hlc == x->run_hlc && cs_id_cmp(&c.origin, &x->run_site) == 0;
        if (x->max_bytes && cs_changeset_count(x->cs) > 0 &&
            x->bytes + VERSION_OVERHEAD + (size_t)vbytes > x->max_bytes && !same_run) {
            x->full = 1;
            cs__domain_value_done(r);
            return 0;
        }
        x->run_hlc = c.hlc;
        x->run_site = c.origin;
        x->last = seq;
        /* Filtered versions are covered by the seq range all the same. */
        if (!since_passes(filter, &c))
            continue;
        if ((ret = cs_changeset_add(x->cs, &c)) != 0) {
            cs__domain_value_done(r);
            return cs_errf(
                err, errlen, ret,
                _("cannot add version %llu (%s.%s, stamp %llu after %llu) to a change set: %s"),
                (unsigned long long)seq, c.table, c.column, (unsigned long long)c.hlc,
                (unsigned long long)c.prev_hlc, cs_strerror(ret));
        }
        x->bytes += VERSION_OVERHEAD + (size_t)vbytes;
    }
    cs__domain_value_done(r);
    if (rc != SQLITE_DONE)
        return cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "read"));
    return 0;
}

/* The versions with seq in (lo, hi], through since_take. */
static int
since_range(struct since *x, uint64_t lo, uint64_t hi, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&x->r->stmts, ST_SINCE_RANGE, &st);
    if (rc != SQLITE_OK)
        return cs__replica_fail(x->r, rc, err, errlen, NC_("cannot %s", "read"));
    sqlite3_bind_int64(st, 1, (int64_t)lo);
    sqlite3_bind_int64(st, 2, (int64_t)hi);
    int ret = since_take(x, st, err, errlen);
    sqlite3_reset(st);
    return ret;
}

/*
 * The keyed read: the transactions logged under the filter's keys (and key
 * 0) after `after`, merged in seq order by the index, each walked by seq.
 * Read to the end, the set covers up to the replica's seq now: what no key
 * names is not the peer's.
 */
static int
since_keyed(struct since *x, uint64_t after, char *err, size_t errlen)
{
    struct cs_replica *r = x->r;
    const struct cs_since_filter *f = x->f;
    int64_t keys[CS_SINCE_KEYS_MAX];
    size_t nk = 0;
    sqlite3_stmt *st;
    int ret, rc;

    keys[nk++] = 0;
    for (size_t i = 0; i < f->nkeys && nk < CS_SINCE_KEYS_MAX; i++)
        if (f->keys[i] != 0)
            keys[nk++] = f->keys[i];
    uint64_t top = cs_replica_seq(r), walked = after;
    if (top <= after)
        return 0;
    /* A transaction the cursor stopped inside (a set cut in it) goes on first. */
    for (size_t i = 0; i < nk; i++) {
        if ((rc = cs_stmt_get(&r->stmts, ST_LOG_BEFORE, &st)) != SQLITE_OK)
            return cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "read"));
        sqlite3_bind_int64(st, 1, keys[i]);
        sqlite3_bind_int64(st, 2, (int64_t)after);
        if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            uint64_t last = (uint64_t)sqlite3_column_int64(st, 0);
            if (last > walked)
                walked = last < top ? last : top;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "read"));
    }
    if (walked > after && ((ret = since_range(x, after, walked, err, errlen)) != 0 || x->full))
        return ret;
    if ((rc = cs_stmt_get(&r->stmts, ST_LOG_READ, &st)) != SQLITE_OK)
        return cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "read"));
    for (int i = 0; i < CS_SINCE_KEYS_MAX; i++)
        sqlite3_bind_int64(st, i + 1, (size_t)i < nk ? keys[i] : -1);
    sqlite3_bind_int64(st, 9, (int64_t)after);
    sqlite3_bind_int64(st, 10, (int64_t)top);
    ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
        int64_t end = sqlite3_column_int64(st, 1);
        uint64_t last = end < 0 ? seq : (uint64_t)end; /* a moved row's version: itself */
        if (last > top)
            last = top;
        if (last <= walked)
            continue; /* the same transaction under another key, or a moved row's within one */
        if ((ret = since_range(x, seq - 1 > walked ? seq - 1 : walked, last, err, errlen)) != 0 ||
            x->full)
            break;
        walked = last;
    }
    sqlite3_reset(st);
    if (ret == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
        ret = cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "read"));
    if (ret == 0 && !x->full)
        x->last = top;
    return ret;
}

/* The versions after `after` through x: the range, keyed or plain read the filter asks for. */
static int
since_run(struct since *x, uint64_t after, char *err, size_t errlen)
{
    struct cs_replica *r = x->r;
    sqlite3_stmt *st = NULL;
    int ret, rc;

    if (x->f->upto != 0) {
        ret = x->f->upto > after ? since_range(x, after, x->f->upto, err, errlen) : 0;
        if (ret == 0 && !x->full && x->f->upto > x->last)
            x->last = x->f->upto;
    } else if (r->log_on && x->f->nkeys > 0 && x->f->nkeys < CS_SINCE_KEYS_MAX) {
        ret = since_keyed(x, after, err, errlen);
    } else if ((rc = cs_stmt_get(&r->stmts, ST_SINCE, &st)) != SQLITE_OK) {
        ret = cs__replica_fail(r, rc, err, errlen, NC_("cannot %s", "read"));
    } else {
        sqlite3_bind_int64(st, 1, (int64_t)after);
        ret = since_take(x, st, err, errlen);
        sqlite3_reset(st);
    }
    return ret;
}

int
cs_replica_count_since(struct cs_replica *r, uint64_t after, const struct cs_since_filter *filter,
                       uint64_t *count, char *err, size_t errlen)
{
    static const struct cs_since_filter none = {0};
    struct since x = {.r = r, .last = after, .count = count};

    *count = 0;
    x.f = filter != NULL ? filter : &none;
    return since_run(&x, after, err, errlen);
}

int
cs_replica_changes_since(struct cs_replica *r, uint64_t after, size_t max_bytes,
                         const struct cs_since_filter *filter, struct cs_changeset **out, char *err,
                         size_t errlen)
{
    static const struct cs_since_filter none = {0};
    struct cs_changeset_header h = {0};
    struct since x = {.r = r, .max_bytes = max_bytes, .last = after};
    int ret;

    *out = NULL;
    x.f = filter != NULL ? filter : &none;
    h.origin = r->site;
    h.schema = CS_SCHEMA_VERSION;
    if ((ret = cs_changeset_new(&x.cs, &h)) != 0)
        return ret;
    ret = since_run(&x, after, err, errlen);
    if (ret != 0) {
        cs_changeset_free(x.cs);
        return ret;
    }
    cs_changeset_set_seq(x.cs, x.last > after ? after + 1 : after, x.last);
    *out = x.cs;
    return 0;
}

/* ---- state hash ---- */

int
cs_replica_hash(struct cs_replica *r, uint8_t out[32])
{
    sqlite3_stmt *st;
    crypto_generichash_state h;
    int rc = sqlite3_prepare_v2(
        r->db,
        /* The replicated state: current versions and open conflicts, not the superseded
         * ones a store keeps for its peers (which it keeps depends on arrival order). */
        "SELECT t.name, v.row, c.name, v.hlc, s.uuid, v.prev_hlc, coalesce(p.uuid, x''), v.cl,"
        " 0, typeof(" DVAL("v.val") "), CAST(" DVAL(
            "v.val") " AS BLOB) FROM cs_reg v" NAMES_JOIN
                     " LEFT JOIN cs_site p ON p.ix = v.prev_site UNION ALL"
                     " SELECT t.name, v.row, c.name, v.hlc, s.uuid, v.prev_hlc, coalesce(p.uuid, "
                     "x''), v.cl,"
                     " v.state, typeof(v.val), CAST(v.val AS BLOB) FROM cs_old v" NAMES_JOIN
                     " LEFT JOIN cs_site p ON p.ix = v.prev_site WHERE v.state = 1"
                     " ORDER BY 1, 2, 3, 4, 5",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return cs_sqlite_code(rc);
    crypto_generichash_init(&h, NULL, 0, 32);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < 11; i++) {
            /* Length-prefixed fields, so no two rows hash alike by shifting bytes. */
            uint8_t len[4];
            const void *p;
            int n;
            if (sqlite3_column_type(st, i) == SQLITE_INTEGER) {
                uint8_t b[8];
                cs__put_le64(b, (uint64_t)sqlite3_column_int64(st, i));
                p = b;
                n = 8;
                cs__put_le32(len, (uint32_t)n);
                crypto_generichash_update(&h, len, 4);
                crypto_generichash_update(&h, p, (size_t)n);
                continue;
            }
            p = sqlite3_column_blob(st, i);
            n = sqlite3_column_bytes(st, i);
            cs__put_le32(len, (uint32_t)n);
            crypto_generichash_update(&h, len, 4);
            if (n > 0)
                crypto_generichash_update(&h, p, (size_t)n);
        }
    }
    sqlite3_finalize(st);
    crypto_generichash_final(&h, out, 32);
    return rc == SQLITE_DONE ? 0 : cs_sqlite_code(rc);
}
