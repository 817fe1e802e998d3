/* SPDX-License-Identifier: MIT */
/*
 * The hub's state beside its replica (see hub.h): opening and closing it,
 * `cellsyncd init` (the state directory, the key pair, the replica and its
 * hub_* tables, the org tree as registers), the incarnations, and the SQL
 * of the cached statements the other hub files use (hub_internal.h). The org
 * tree CSV is read in orgtree.c, devices and enrollments live in devices.c,
 * scopes and authorization in authz.c, the audit trail and refusals in
 * audit.c. Everything goes through the replica's one SQLite connection; the
 * hub_* tables live in the replica file but are never registers (the
 * replica refuses register names starting with hub_).
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

#include "cellsync/candidate.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "cellsync/util.h"
#include "device.h"
#include "hub_internal.h"

/* ---- the hub's own tables ---- */

static const char hub_sql[] =
    "CREATE TABLE IF NOT EXISTS hub_device (id BLOB PRIMARY KEY, pk BLOB NOT NULL,"
    " org TEXT NOT NULL, role TEXT NOT NULL, name TEXT, enrolled_at INTEGER,"
    " last_contact INTEGER, revoked_at INTEGER, up_seq INTEGER NOT NULL DEFAULT 0,"
    " down_seq INTEGER NOT NULL DEFAULT 0);"
    /*
     * The timestamp of the last handshake a device proved its key with
     * (wire.h): a msg1 not after it is a replay, also after a restart.
     */
    "CREATE TABLE IF NOT EXISTS hub_hs_time (id BLOB PRIMARY KEY, ts BLOB NOT NULL);"
    /* The hub key a device's last proven session or bundle was sealed to (keys.c). */
    "CREATE TABLE IF NOT EXISTS hub_device_pin (id BLOB PRIMARY KEY, pk BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS hub_enroll (secret_hash BLOB PRIMARY KEY, org TEXT NOT NULL,"
    " role TEXT NOT NULL, name TEXT, created INTEGER, expires INTEGER, used_by BLOB);"
    /*
     * hub_enroll above holds the enrollments made before keyed hashes: they
     * are no longer accepted (they must be issued again). Here the secrets
     * are only keyed hashes (BLAKE2b keyed with a subkey of hub.key): the
     * database alone cannot test a guess. code_id is the number inside a
     * short code, freed again when the code is used or expired; code_salt
     * the salt its secrets come from with a subkey of hub.key (devices.c);
     * fails counts runs of CPace for it that did not end with the device's
     * confirmation (HUB_ENROLL_MAX_FAILS locks it). code_hash was the
     * keyed hash of a code before CPace: such codes no longer open.
     */
    "CREATE TABLE IF NOT EXISTS hub_enrollment (id INTEGER PRIMARY KEY, file_hash BLOB UNIQUE,"
    " code_id INTEGER UNIQUE, code_hash BLOB, org TEXT NOT NULL, role TEXT NOT NULL, name TEXT,"
    " created INTEGER, expires INTEGER, used_by BLOB, fails INTEGER NOT NULL DEFAULT 0,"
    " code_salt BLOB);"
    /*
     * prev and hash chain the entries (audit.c): each entry's hash covers the
     * one before it, its fields and the hash of what it keeps as signed (an
     * entry that merged stores its signed sets as a zstd frame), keyed
     * with a subkey of hub.key, so an entry changed, removed or inserted
     * shows at `cellsyncd audit verify` even after the triggers below are
     * dropped (F16).
     */
    "CREATE TABLE IF NOT EXISTS hub_audit (id INTEGER PRIMARY KEY, at INTEGER, device BLOB,"
    " verdict TEXT, seq_first INTEGER, seq_last INTEGER, changes INTEGER, refused INTEGER,"
    " reason TEXT, envelope BLOB, prev BLOB, hash BLOB);"
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
    /*
     * The replica's seqs each accepted audit entry stored (lo..hi): its
     * signed sets go up to the hub above for those seqs (upstream.c).
     */
    "CREATE TABLE IF NOT EXISTS hub_upward (audit INTEGER PRIMARY KEY, lo INTEGER NOT NULL,"
    " hi INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS hub_upward_hi ON hub_upward(hi);"
    /* Local indexes on the replicated org tree: scopes walk it by parent and code. */
    "CREATE INDEX IF NOT EXISTS hub_org_parent ON org_unit(parent);"
    "CREATE INDEX IF NOT EXISTS hub_org_code ON org_unit(code);";

#define DEV_COLS                                                                                   \
    "id, pk, org, role, coalesce(name, ''), coalesce(enrolled_at, 0),"                             \
    " coalesce(last_contact, 0), coalesce(revoked_at, 0), up_seq, down_seq"

/*
 * The statements run per change of a set (authz.c, unitlog.c), made from the
 * schema's descriptor: whether a candidate has a stage's date; a row's
 * placing column; what a unit holds (its child units, and the records
 * placed in it); a PARENT table's rows placed through a row.
 */
/* clang-format off */
#define STAGE_DATED(name, code, column, label) \
    [ST_STAGE_DATED + CS_STAGE_##name] = \
        "SELECT \"" column "\" IS NOT NULL FROM candidate WHERE id = ?1",
#define HOLDS_BY_UNIT(key) "parent"
#define HOLDS_BY_ORG(key) key
#define HOLDS_BY_TREE(key) key
#define HOLDS_BY_PARENT(key) key
#define TABLE_SQL(name, place, key, writer, label) \
    [ST_KEY + CS_TABLE_##name] = "SELECT \"" key "\" FROM \"" #name "\" WHERE id = ?1", \
    [ST_HOLDS + CS_TABLE_##name] = \
        "SELECT id FROM \"" #name "\" WHERE \"" HOLDS_BY_##place(key) "\" = ?1 AND cl % 2 = 1", \
    [ST_CHILDREN + CS_TABLE_##name] = "SELECT id FROM \"" #name "\" WHERE \"" key "\" = ?1",
/* clang-format on */

static const char *const stmt_sql[ST__COUNT] = {
    [ST_DEV_GET] = "SELECT " DEV_COLS " FROM hub_device WHERE id = ?1",
    [ST_DEV_ADD] = "INSERT INTO hub_device (id, pk, org, role, name, enrolled_at, last_contact)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    [ST_DEV_TOUCH] = "UPDATE hub_device SET last_contact = ?2 WHERE id = ?1",
    [ST_DEV_UP] = "UPDATE hub_device SET up_seq = ?2 WHERE id = ?1",
    [ST_DEV_DOWN] = "UPDATE hub_device SET down_seq = ?2 WHERE id = ?1",
    [ST_DEV_ALL] = "SELECT " DEV_COLS " FROM hub_device ORDER BY org, name, id",
    [ST_DEV_REVOKE] = "UPDATE hub_device SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
    [ST_DEV_REVOKED] = "SELECT coalesce(revoked_at, 0) FROM hub_device WHERE id = ?1",
    [ST_ENROLL_BY_FILE] =
        "SELECT id, org, role, coalesce(name, ''), used_by IS NULL AND expires > ?2"
        " FROM hub_enrollment WHERE file_hash = ?1",
    [ST_ENROLL_BY_CODE] =
        "SELECT id, org, role, coalesce(name, ''), used_by IS NULL AND expires > ?2,"
        " code_salt, fails, expires FROM hub_enrollment WHERE code_id = ?1",
    [ST_ENROLL_USE] = "UPDATE hub_enrollment SET used_by = ?2, code_id = NULL WHERE id = ?1"
                      " AND used_by IS NULL",
    [ST_ENROLL_CREATED] = "SELECT coalesce(created, 0) FROM hub_enrollment WHERE id = ?1",
    /* The journal's used enrollment, on a restored replica (journal.c). */
    [ST_ENROLL_REUSE] = "UPDATE hub_enrollment SET used_by = ?3, code_id = NULL WHERE id = ?1"
                        " AND coalesce(created, 0) = ?2 AND used_by IS NULL",
    [ST_ENROLL_FAIL] = "UPDATE hub_enrollment SET fails = fails + 1 WHERE id = ?1",
    [ST_ENROLL_UNFAIL] = "UPDATE hub_enrollment SET fails = fails - 1 WHERE id = ?1 AND fails > 0",
    [ST_ENROLL_ADD] = "INSERT INTO hub_enrollment (file_hash, code_id, code_salt, org, role, name,"
                      " created, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_ENROLL_CODE_FREE] = "UPDATE hub_enrollment SET code_id = NULL WHERE code_id IS NOT NULL"
                            " AND (used_by IS NOT NULL OR expires <= ?1)",
    [ST_ENROLL_CODE_TAKEN] = "SELECT 1 FROM hub_enrollment WHERE code_id = ?1",
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
     * The unit of a device (who first sent a row: cs_replica_first_writer):
     * enrolled here, or registered by a hub below (the device table).
     */
    [ST_DEV_ORG] = "SELECT org FROM hub_device WHERE id = ?1"
                   " UNION ALL SELECT org_unit FROM device WHERE id = ?1 AND cl % 2 = 1 LIMIT 1",
    [ST_DEV_KNOWN] = "SELECT pk, org_unit, role, coalesce(name, ''), coalesce(revoked_on, '')"
                     " FROM device WHERE id = ?1 AND cl % 2 = 1",
    /* The entries whose sets go up next, with what they keep (upstream.c). */
    [ST_UPWARD_NEXT] = "SELECT u.hi, a.envelope, a.changes, a.id FROM hub_upward u"
                       " JOIN hub_audit a ON a.id = u.audit WHERE u.hi > ?1 ORDER BY u.hi",
    /* What waits to go up after the hub above's acknowledgment. */
    [ST_UPWARD_WAITING] = "SELECT count(*), coalesce(sum(a.changes), 0) FROM hub_upward u"
                          " JOIN hub_audit a ON a.id = u.audit WHERE u.hi > ?1",
    /* Moves with every commit of another connection, never with this one's (hub_foreign_version).
     */
    [ST_DATA_VERSION] = "PRAGMA data_version",
    /* Right after the audit entry it belongs to, on the same connection. */
    [ST_UPWARD_ADD] = "INSERT INTO hub_upward (audit, lo, hi) VALUES (last_insert_rowid(), ?1, ?2)",
    [ST_UNIT_TREE] = "SELECT parent, cl FROM org_unit WHERE id = ?1",
    /*
     * One statement, so the entry and its link to the last one cannot be split by another writer.
     * ?9 the kept bytes as stored, ?10 as signed (audit.c): the chain hashes those.
     */
    [ST_AUDIT_ADD] =
        "INSERT INTO hub_audit (id, at, device, verdict, seq_first, seq_last, changes, refused,"
        " reason, envelope, prev, hash)"
        " SELECT n.id, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, p.hash,"
        " cs_audit_hash(p.hash, n.id, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?10)"
        " FROM (SELECT coalesce(max(id), 0) + 1 AS id FROM hub_audit) n"
        " LEFT JOIN (SELECT hash FROM hub_audit ORDER BY id DESC LIMIT 1) p",
    [ST_REFUSED_ADD] = "INSERT INTO hub_refused (at, device, tbl, row, col, hlc, origin, val,"
                       " reason, kind, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    /*
     * A device's writes refused for the clock, each with the hub's last seq
     * when it was first refused (hub_open_clock_refusals keeps those the
     * device has not yet replaced).
     */
    [ST_REFUSED_OPEN] = "SELECT tbl, row, col, hlc, origin, max(reason), min(seq)"
                        " FROM hub_refused WHERE device = ?1 AND kind = 2"
                        " GROUP BY tbl, row, col, hlc, origin ORDER BY hlc",
    [ST_REFUSED_ANY] = "SELECT 1 FROM hub_refused WHERE device = ?1 AND kind = 2 LIMIT 1",
    [ST_REFUSED_CLOCK] = "SELECT reason FROM hub_refused WHERE row = ?1 AND hlc = ?2"
                         " AND origin = ?3 AND tbl = ?4 AND col = ?5 AND kind = 2 LIMIT 1",
    [ST_INC_ALL] = "SELECT id, since_seq FROM hub_incarnation ORDER BY n",
    /* ?3: the replica's highest seq, read in the same transaction (one writer). */
    [ST_INC_ADD] = "INSERT INTO hub_incarnation (id, since_seq, at) VALUES (?1, ?3, ?2)",
    /* A hub made before incarnations: its first, numbering from the start. */
    [ST_INC_FIRST] = "INSERT INTO hub_incarnation (id, since_seq, at) SELECT ?1, 0, ?2"
                     " WHERE NOT EXISTS (SELECT 1 FROM hub_incarnation)",
    [ST_HS_GET] = "SELECT ts FROM hub_hs_time WHERE id = ?1",
    /* Blobs compare as memcmp: the big-endian timestamp only moves forward. */
    [ST_HS_SET] = "INSERT INTO hub_hs_time (id, ts) VALUES (?1, ?2)"
                  " ON CONFLICT(id) DO UPDATE SET ts = excluded.ts WHERE excluded.ts > ts",
    [ST_CANDIDATE_FACTS] = cs_candidate_facts_sql,
    CS_STAGE_MAP(STAGE_DATED) CS_SCHEMA_TABLES(TABLE_SQL)};
#undef STAGE_DATED
#undef TABLE_SQL
#undef HOLDS_BY_UNIT
#undef HOLDS_BY_ORG
#undef HOLDS_BY_TREE
#undef HOLDS_BY_PARENT

/* ---- small helpers ---- */

/* An SQLite failure with sqlite3_errmsg() copied at once. */
int
hub__db_fail(struct hub *h, int rc, char *err, size_t errlen, const char *what)
{
    return cs_errf(err, errlen, cs_sqlite_code(rc), _("cannot %s '%s': %s"), _(what), h->dbpath,
                   sqlite3_errmsg(h->db));
}

int
hub__exec(struct hub *h, const char *sql, char *err, size_t errlen, const char *what)
{
    int rc = sqlite3_exec(h->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : hub__db_fail(h, rc, err, errlen, what);
}

/* 1 if table has column, 0 if not, or a negative code. */
static int
has_column(struct hub *h, const char *table, const char *column)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h->db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1,
                                &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : cs_sqlite_code(rc);
}

/* Columns added since a table was first made: added to a hub made before, in one transaction. */
static int
hub_migrate(struct hub *h, char *err, size_t errlen)
{
    static const struct {
        const char *table, *column, *sql;
    } add[] = {
        {"hub_enrollment", "code_salt", "ALTER TABLE hub_enrollment ADD COLUMN code_salt BLOB"},
        {"hub_audit", "hash",
         "ALTER TABLE hub_audit ADD COLUMN prev BLOB; ALTER TABLE hub_audit ADD COLUMN hash BLOB"},
    };
    int ret, any = 0;
    for (size_t i = 0; i < sizeof(add) / sizeof(add[0]); i++) {
        int have = has_column(h, add[i].table, add[i].column);
        if (have < 0)
            return hub__db_fail(h, SQLITE_ERROR, err, errlen, NC_("cannot %s", "open"));
        if (have)
            continue;
        if (!any &&
            (ret = hub__exec(h, "BEGIN IMMEDIATE", err, errlen, NC_("cannot %s", "open"))) != 0)
            return ret;
        any = 1;
        if ((ret = hub__exec(h, add[i].sql, err, errlen, NC_("cannot %s", "open"))) != 0)
            goto fail;
    }
    if (!any)
        return 0;
    /* The entries made before the chain are chained now: it starts at this upgrade. */
    if ((ret = hub__audit_migrate(h, err, errlen)) != 0 ||
        (ret = hub__exec(h, "COMMIT", err, errlen, NC_("cannot %s", "open"))) != 0)
        goto fail;
    return 0;
fail:
    sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
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
int
hub__text_ok(const char *s, size_t max, int may_be_empty)
{
    size_t n = strlen(s);
    if (n == 0)
        return may_be_empty;
    return n < max && cs_utf8_valid((const unsigned char *)s, n) && !has_control(s);
}

static int
path_join(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* ---- open, close, init ---- */

void
hub_close(struct hub *h)
{
    if (h == NULL)
        return;
    cs_stmt_cache_release(&h->stmts);
    hub_log_release(h);
    cs_replica_close(h->r);
    cs_key_free(h->key);
    for (size_t i = 0; i < h->nold; i++)
        cs_key_free(h->old[i]);
    free(h->rot);
    sodium_memzero(h->audit_key, sizeof(h->audit_key));
    free(h->hs_seen);
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
        return cs_errf(err, errlen, CS_ENOMEM, _("cannot open '%s': out of memory"), dbpath);
    }
    h->key = key;
    h->r = r;
    h->db = cs_replica_db(r);
    cs_key_subkey(key, 3, "csaudit1", h->audit_key);
    if (hub__audit_register(h) != 0) {
        hub_close(h);
        return cs_errf(err, errlen, CS_ESQLITE, _("cannot open '%s': out of memory"), dbpath);
    }
    cs_stmt_cache_init(&h->stmts, h->db, stmt_sql, ST__COUNT);
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
    sqlite3_stmt *st;
    int rc = cs_stmt_get(&h->stmts, ST_INC_FIRST, &st);
    if (rc != SQLITE_OK)
        return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "write to"));
    randombytes_buf(id, sizeof(id));
    sqlite3_bind_blob(st, 1, id, sizeof(id), SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
    rc = cs_step_done(st);
    return rc == SQLITE_OK ? 0 : hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "write to"));
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
    sqlite3_stmt *st;
    int rc, n = 0, ret = 0, in = 0;
    uint64_t low = UINT64_MAX;

    if ((rc = cs_stmt_get(&h->stmts, ST_INC_ALL, &st)) != SQLITE_OK)
        return cs_sqlite_code(rc);
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
    sqlite3_stmt *st;
    int rc, ret;

    if ((rc = cs_stmt_get(&h->stmts, ST_INC_ADD, &st)) != SQLITE_OK)
        return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "write to"));
    randombytes_buf(id, CS_INCARNATION_LEN);
    sqlite3_bind_blob(st, 1, id, CS_INCARNATION_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
    sqlite3_bind_int64(st, 3, (int64_t)cs_replica_seq(h->r));
    if ((rc = cs_step_done(st)) != SQLITE_OK)
        return hub__db_fail(h, rc, err, errlen, NC_("cannot %s", "write to"));
    if ((ret = incarnation_walk(h, NULL, NULL, NULL, cur, &s)) != 0)
        return cs_errf(err, errlen, ret, _("cannot read the incarnations of '%s': %s"), h->dbpath,
                       cs_strerror(ret));
    if (memcmp(cur, id, CS_INCARNATION_LEN) != 0)
        return cs_errf(err, errlen, CS_ECORRUPT, _("'%s': the new incarnation is not the last"),
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
        return cs_errf(err, errlen, CS_EINVAL, _("state directory '%s': path too long"), state);
    if ((ret = cs_key_load(&k, key_path, err, errlen)) != 0)
        return ret;
    /* After a rotation the replica stays the first key's (keys.c). */
    struct cs_rotation *rot = NULL;
    size_t nrot = 0;
    if ((ret = hub__rotations_load(state, k, &rot, &nrot, &site, err, errlen)) != 0) {
        cs_key_free(k);
        return ret;
    }
    if ((ret = cs_replica_open(&r, db_path, CS_REPLICA_NO_SEARCH, &site, err, errlen)) != 0) {
        free(rot);
        cs_key_free(k);
        return ret;
    }
    if ((ret = hub_assemble(&h, state, db_path, k, r, err, errlen)) != 0) {
        free(rot);
        return ret;
    }
    h->rot = rot;
    h->nrot = nrot;
    if ((ret = hub__keys_load(h, err, errlen)) != 0)
        goto out;
    if ((ret = hub__exec(h, hub_sql, err, errlen, NC_("cannot %s", "open"))) != 0 ||
        (ret = hub_migrate(h, err, errlen)) != 0)
        goto out;
    /* A hub made before incarnations gets its first now (written only then). */
    {
        uint8_t cur[CS_INCARNATION_LEN];
        ret = hub_incarnation(h, cur, NULL);
        if (ret == CS_ENOTFOUND && (ret = incarnation_first(h, err, errlen)) != 0)
            goto out;
        if (ret != 0) {
            ret = cs_errf(err, errlen, ret, _("cannot read the incarnations of '%s': %s"), db_path,
                          cs_strerror(ret));
            goto out;
        }
    }
    if (cs_replica_meta_get(h->r, CS_META_ROOT_ORG, h->root, sizeof(h->root)) != 0 ||
        h->root[0] == 0) {
        ret =
            cs_errf(err, errlen, CS_ECORRUPT,
                    _("'%s' is not a hub's replica: it has no root org unit (run cellsyncd init)"),
                    db_path);
        goto out;
    }
    /* The change log by unit; a hub made before it gets it built now, once. */
    if ((ret = hub_log_install(h, err, errlen)) != 0)
        goto out;
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
        return cs_errf(err, errlen, CS_EINVAL, _("state directory '%s': path too long"), path);
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
            return cs_errf(err, errlen, -e, _("cannot create '%s': %s"), buf, strerror(e));
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
    if ((ret = hub__exec(h, hub_sql, err, errlen, NC_("cannot %s", "create"))) != 0 ||
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
    if ((ret = cs_replica_meta_set(h->r, CS_META_ROOT_ORG, h->root)) != 0) {
        ret = hub__db_fail(h, sqlite3_errcode(h->db), err, errlen, NC_("cannot %s", "write to"));
        goto out;
    }
    ret = cs_replica_commit(h->r, err, errlen);
out:
    if (ret != 0)
        cs_replica_rollback(h->r);
    return ret;
}

/*
 * A hub below another (issue 19): no tree of its own yet. Its root is the
 * unit it is enrolled for, and the enrollment is kept as a device keeps
 * its own (client/device.h): the hub above sends the subtree at the first
 * sync.
 */
static int
init_below(struct hub *h, struct cs_enrollment *up, char *err, size_t errlen)
{
    char hex[2 * CS_PK_LEN + 1];
    snprintf(h->root, sizeof(h->root), "%s", up->org);
    if (cs_replica_meta_set(h->r, CS_META_ROOT_ORG, h->root) != 0)
        return hub__db_fail(h, sqlite3_errcode(h->db), err, errlen, NC_("cannot %s", "write to"));
    sodium_bin2hex(hex, sizeof(hex), up->hub_pk, CS_PK_LEN);
    return device_enroll_save(h->r, up, hex, NULL, err, errlen);
}

/* hub_init and hub_init_below: the tree t, or the enrollment up. */
static int
hub_create(const char *state, const struct tree *t, struct cs_enrollment *up, char *err,
           size_t errlen)
{
    char key_path[PATH_MAX], pub_path[PATH_MAX], db_path[PATH_MAX], side[PATH_MAX + 8];
    char made[16][PATH_MAX];
    int nmade = 0, created_files = 0, ret;
    struct cs_key *k = NULL;
    struct cs_replica *r = NULL;
    struct hub *h = NULL;
    struct cs_id site;

    if (path_join(key_path, sizeof(key_path), state, HUB_KEY) != 0 ||
        path_join(pub_path, sizeof(pub_path), state, HUB_PUB) != 0 ||
        path_join(db_path, sizeof(db_path), state, HUB_REPLICA) != 0)
        return cs_errf(err, errlen, CS_EINVAL, _("state directory '%s': path too long"), state);
    const char *existing[] = {key_path, pub_path, db_path};
    for (size_t i = 0; i < 3; i++)
        if (access(existing[i], F_OK) == 0)
            return cs_errf(err, errlen, CS_EEXISTS,
                           _("'%s' already holds a hub ('%s' exists); nothing was changed"), state,
                           existing[i]);
    if ((ret = make_dirs(state, made, &nmade, 16, err, errlen)) != 0)
        goto out;
    created_files = 1;
    if ((ret = cs_key_generate(&k)) != 0) {
        ret = cs_errf(err, errlen, ret, _("cannot make the hub's key: %s"), cs_strerror(ret));
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
    ret = t != NULL ? init_store(h, t, err, errlen) : init_below(h, up, err, errlen);
out:
    hub_close(h);
    cs_replica_close(r);
    cs_key_free(k);
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

int
hub_init(const char *state, const char *org_csv, char *err, size_t errlen)
{
    struct tree t = {0};
    /* A bad tree is refused before anything exists. */
    int ret = hub__csv_read(org_csv, &t, err, errlen);
    if (ret == 0)
        ret = hub_create(state, &t, NULL, err, errlen);
    hub__tree_release(&t);
    return ret;
}

int
hub_init_below(const char *state, const char *enroll_path, char *err, size_t errlen)
{
    struct cs_enrollment e = {0};
    int ret = cs_enrollment_read(enroll_path, &e, err, errlen);
    if (ret == 0 && strcmp(e.role, HUB_ROLE_HUB) != 0)
        ret = cs_errf(err, errlen, CS_EINVAL,
                      _("'%s' enrolls a device of role '%s': a hub below another needs an "
                        "enrollment of role 'hub' (cellsyncd enroll --role hub at the hub above)"),
                      enroll_path, e.role);
    if (ret == 0)
        ret = hub_create(state, NULL, &e, err, errlen);
    sodium_memzero(&e, sizeof(e));
    return ret;
}

unsigned
hub_foreign_version(struct hub *h)
{
    sqlite3_stmt *st;
    unsigned v = 0;
    if (cs_stmt_get(&h->stmts, ST_DATA_VERSION, &st) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = (unsigned)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return v;
}
