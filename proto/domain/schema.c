/* SPDX-License-Identifier: MIT */
/*
 * The domain tables (DESIGN.md, data model), made from the descriptor in
 * cellsync/schema.h: their DDL, and the tables behind its lookups and the
 * roles' write rules. The replica copies each winning register value into
 * the column of the same name here, in the same transaction, so reads are
 * plain SQL. Full-text search tables are kept in step by triggers; they
 * fold Vietnamese đ/Đ to d/D, which unicode61's remove_diacritics leaves
 * alone (Đ has no canonical decomposition).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "cellsync/candidate.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/replica.h"
#include "cellsync/schema.h"
#include "internal.h"

/* Folds đ/Đ so "dinh" finds "Đinh"; the tokenizer does the rest. */
#define FOLD(x) "replace(replace(coalesce(" x ",''),'đ','d'),'Đ','D')"

/* An FTS table for one domain table, with rowid = the domain row's rowid. */
#define SEARCH(tbl, cols, body)                                                                    \
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_" tbl " USING fts5(body,"                           \
    " tokenize = 'unicode61 remove_diacritics 2');"                                                \
    "CREATE TRIGGER IF NOT EXISTS search_" tbl "_ins AFTER INSERT ON " tbl " BEGIN"                \
    " INSERT INTO search_" tbl "(rowid, body) VALUES (NEW.rowid, " body "); END;"                  \
    "CREATE TRIGGER IF NOT EXISTS search_" tbl "_upd AFTER UPDATE OF " cols " ON " tbl " BEGIN"    \
    " DELETE FROM search_" tbl " WHERE rowid = OLD.rowid;"                                         \
    " INSERT INTO search_" tbl "(rowid, body) VALUES (NEW.rowid, " body "); END;"

#define PERSON_BODY                                                                                \
    FOLD("NEW.full_name")                                                                          \
    "||' '||" FOLD("NEW.birth_name") "||' '||" FOLD("NEW.hometown") "||' '||" FOLD(                \
        "NEW.citizen_id") "||' '||" FOLD("NEW.phone")

#define MEETING_BODY                                                                               \
    FOLD("NEW.agenda") "||' '||" FOLD("NEW.minutes") "||' '||" FOLD("NEW.resolutions")

/* The SQL type that stores each type of the descriptor. */
#define SQL_TEXT " TEXT"
#define SQL_DATE " TEXT"
#define SQL_CODE " TEXT"
#define SQL_REF  " BLOB"
#define SQL_INT  " INTEGER"

/* One CREATE TABLE per table: id and cl, which the replica keeps, then its columns. */
#define DDL_COLUMN(name, type, arg, writer, option, label) ", " name SQL_##type
#define DDL_TABLE(name, place, key, writer, label)                                                 \
    "CREATE TABLE IF NOT EXISTS " #name                                                            \
    " (id BLOB PRIMARY KEY, cl INTEGER NOT NULL DEFAULT 1" CS_SCHEMA_FIELDS_##name(DDL_COLUMN)     \
        CS_SCHEMA_OTHER_##name(DDL_COLUMN) ");"
#define TABLES_SQL CS_SCHEMA_TABLES(DDL_TABLE)

static const char schema_sql[] =
    TABLES_SQL "CREATE INDEX IF NOT EXISTS candidate_org ON candidate(org_unit, stage);"
               "CREATE INDEX IF NOT EXISTS member_org ON member(org_unit, status);"
               "CREATE INDEX IF NOT EXISTS attendance_meeting ON attendance(meeting);"
               "CREATE INDEX IF NOT EXISTS assessment_candidate ON assessment(candidate);"
               "CREATE INDEX IF NOT EXISTS exception_candidate ON exception(candidate);"
               "CREATE INDEX IF NOT EXISTS step_undo_candidate ON step_undo(candidate);";

static const char search_sql[] =
    SEARCH("candidate", "full_name, birth_name, hometown, citizen_id, phone", PERSON_BODY)
        SEARCH("member", "full_name, birth_name, hometown, citizen_id, phone", PERSON_BODY)
            SEARCH("meeting", "agenda, minutes, resolutions", MEETING_BODY);

/*
 * The same index for one connection of a store made without it (a hub's):
 * temporary tables of the same names, which the connection's queries then
 * read instead, filled from every row as the triggers would have.
 */
#define SEARCH_TEMP(tbl, body)                                                                     \
    "CREATE VIRTUAL TABLE temp.search_" tbl " USING fts5(body,"                                    \
    " tokenize = 'unicode61 remove_diacritics 2');"                                                \
    "INSERT INTO temp.search_" tbl "(rowid, body) SELECT NEW.rowid, " body " FROM main." tbl       \
    " AS NEW;"

static const char search_temp_sql[] = SEARCH_TEMP("candidate", PERSON_BODY)
    SEARCH_TEMP("member", PERSON_BODY) SEARCH_TEMP("meeting", MEETING_BODY);

/* What a replica without search drops, if an older version made it. */
static const char no_search_sql[] =
    "DROP TRIGGER IF EXISTS search_candidate_ins; DROP TRIGGER IF EXISTS search_candidate_upd;"
    "DROP TRIGGER IF EXISTS search_member_ins; DROP TRIGGER IF EXISTS search_member_upd;"
    "DROP TRIGGER IF EXISTS search_meeting_ins; DROP TRIGGER IF EXISTS search_meeting_upd;"
    "DROP TABLE IF EXISTS search_candidate; DROP TABLE IF EXISTS search_member;"
    "DROP TABLE IF EXISTS search_meeting;";

/*
 * The columns a newer schema added to a table an older one made (CREATE
 * TABLE IF NOT EXISTS keeps the old one): added empty. Only columns no
 * older program knew come this way, and a replica stores their registers
 * with their values (cs_reg), which reads fall back to; the replica's
 * upgrade then copies those values into the new columns (domain_fill).
 */
static int
columns_add(sqlite3 *db, char **msg)
{
    static const char *const sql_type[] = {[CS_SCHEMA_TEXT] = "TEXT",
                                           [CS_SCHEMA_DATE] = "TEXT",
                                           [CS_SCHEMA_CODE] = "TEXT",
                                           [CS_SCHEMA_REF] = "BLOB",
                                           [CS_SCHEMA_INT] = "INTEGER"};
    sqlite3_stmt *st = NULL;
    size_t n;
    const struct cs_schema_table *tables = cs_schema_tables(&n);
    int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &st,
                                NULL);
    for (size_t t = 0; rc == SQLITE_OK && t < n; t++)
        for (size_t c = 0; rc == SQLITE_OK && c < tables[t].ncolumns; c++) {
            const struct cs_schema_column *col = &tables[t].columns[c];
            sqlite3_bind_text(st, 1, tables[t].name, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, col->name, -1, SQLITE_STATIC);
            rc = sqlite3_step(st);
            sqlite3_reset(st);
            if (rc == SQLITE_ROW) {
                rc = SQLITE_OK;
                continue;
            }
            if (rc != SQLITE_DONE)
                break;
            char *add = sqlite3_mprintf("ALTER TABLE \"%w\" ADD COLUMN \"%w\" %s", tables[t].name,
                                        col->name, sql_type[col->type]);
            rc = add == NULL ? SQLITE_NOMEM : sqlite3_exec(db, add, NULL, NULL, msg);
            sqlite3_free(add);
        }
    sqlite3_finalize(st);
    return rc;
}

int
cs_schema_apply(sqlite3 *db, int search, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, schema_sql, NULL, NULL, &msg) != SQLITE_OK ||
        columns_add(db, &msg) != SQLITE_OK ||
        sqlite3_exec(db, search ? search_sql : no_search_sql, NULL, NULL, &msg) != SQLITE_OK) {
        int ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot create the domain tables: %s"),
                          msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return ret;
    }
    return 0;
}

int
cs_schema_search_temp(sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    char *msg = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT 1 FROM sqlite_temp_master WHERE name = 'search_candidate'"
                                " UNION ALL SELECT 1 FROM main.sqlite_master"
                                " WHERE name = 'search_candidate'",
                                -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE ||
        sqlite3_exec(db, "SAVEPOINT search_temp", NULL, NULL, &msg) != SQLITE_OK)
        goto fail;
    if (sqlite3_exec(db, search_temp_sql, NULL, NULL, &msg) != SQLITE_OK) {
        sqlite3_exec(db, "ROLLBACK TO search_temp; RELEASE search_temp", NULL, NULL, NULL);
        goto fail;
    }
    if (sqlite3_exec(db, "RELEASE search_temp", NULL, NULL, &msg) == SQLITE_OK)
        return 0;
fail:;
    int ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot make the search index: %s"),
                      msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return ret;
}

static const char *const stage_codes[] = {
#define XX(name, code, column, label) [CS_STAGE_##name] = code,
    CS_STAGE_MAP(XX)
#undef XX
};

const char *
cs_stage_code(enum cs_stage s)
{
    if ((unsigned)s >= CS_ARRAY_SIZE(stage_codes))
        return NULL;
    return stage_codes[s];
}

int
cs_stage_from_code(const char *code)
{
    for (size_t i = 0; i < CS_ARRAY_SIZE(stage_codes); i++)
        if (strcmp(stage_codes[i], code) == 0)
            return (int)i;
    return -1;
}

/* ---- the descriptor as data ---- */

/* clang-format off */
#define COLUMN(name, type, arg, writer, option, label)                                             \
    {name, CS_SCHEMA_##type, arg, CS_ROLE_##writer, option, label},
#define COLUMNS(name, place, key, writer, label)                                                   \
    static const struct cs_schema_column name##_columns[] = {                                      \
        CS_SCHEMA_FIELDS_##name(COLUMN) CS_SCHEMA_OTHER_##name(COLUMN)};
CS_SCHEMA_TABLES(COLUMNS)

#define TABLE(name, place, key, writer, label)                                                     \
    {#name, CS_SCHEMA_PLACE_##place, key, CS_ROLE_##writer, label,                                 \
     name##_columns, CS_ARRAY_SIZE(name##_columns)},
static const struct cs_schema_table tables[] = {CS_SCHEMA_TABLES(TABLE)};
/* clang-format on */

const struct cs_schema_table *
cs_schema_tables(size_t *n)
{
    *n = CS_ARRAY_SIZE(tables);
    return tables;
}

const struct cs_schema_table *
cs_schema_table(const char *name)
{
    for (size_t i = 0; i < CS_ARRAY_SIZE(tables); i++)
        if (strcmp(tables[i].name, name) == 0)
            return &tables[i];
    return NULL;
}

const struct cs_schema_column *
cs_schema_column(const char *table, const char *column)
{
    const struct cs_schema_table *t = cs_schema_table(table);
    for (size_t i = 0; t != NULL && i < t->ncolumns; i++)
        if (strcmp(t->columns[i].name, column) == 0)
            return &t->columns[i];
    return NULL;
}

/* The role called name, or -1. */
static int
role_from_name(const char *name)
{
    static const char *const names[] = {
        [CS_ROLE_CELL] = "cell", [CS_ROLE_COMMITTEE] = "committee", [CS_ROLE_HUB] = "hub"};
    for (size_t i = 0; i < CS_ARRAY_SIZE(names); i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

bool
cs_schema_table_writable(const char *table, const char *role)
{
    int r = role_from_name(role);
    if (r == CS_ROLE_HUB)
        return true;
    const struct cs_schema_table *t = cs_schema_table(table);
    return r >= 0 && t != NULL && r >= (int)t->writer;
}

bool
cs_schema_column_writable(const char *table, const char *column, const char *role)
{
    if (!cs_schema_table_writable(table, role))
        return false;
    int r = role_from_name(role);
    if (r == CS_ROLE_HUB || strcmp(column, CS_COL_LIFE) == 0)
        return true; /* a row's life goes with its table */
    /* Allowed, not forbidden: a column this version does not know is no device's to write. */
    const struct cs_schema_column *c = cs_schema_column(table, column);
    return c != NULL && r >= (int)c->writer;
}

bool
cs_stage_writable(enum cs_stage s, const char *role)
{
    const char *column = cs_candidate_stage_column(s);
    return column != NULL && cs_schema_column_writable("candidate", column, role);
}
