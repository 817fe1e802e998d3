/* SPDX-License-Identifier: MIT */
/*
 * The domain tables (DESIGN.md, data model). The replica copies each
 * winning register value into the column of the same name here, in the same
 * transaction, so reads are plain SQL. Full-text search tables are kept in
 * step by triggers; they fold Vietnamese đ/Đ to d/D, which unicode61's
 * remove_diacritics leaves alone (Đ has no canonical decomposition).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "cellsync/error.h"
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

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS org_unit ("
    " id BLOB PRIMARY KEY, cl INTEGER NOT NULL DEFAULT 1,"
    " code TEXT, parent TEXT, level TEXT, kind TEXT, name TEXT);"
    "CREATE TABLE IF NOT EXISTS member ("
    " id BLOB PRIMARY KEY, cl INTEGER NOT NULL DEFAULT 1,"
    " full_name TEXT, birth_name TEXT, sex TEXT, birth_date TEXT, birth_place TEXT,"
    " ethnicity TEXT, religion TEXT, hometown TEXT, residence TEXT, citizen_id TEXT, phone TEXT,"
    " card_no TEXT, record_no TEXT, org_unit TEXT, decision_on TEXT, ceremony_on TEXT,"
    " official_on TEXT, status TEXT, education TEXT, theory_level TEXT, occupation TEXT,"
    " note TEXT);"
    "CREATE TABLE IF NOT EXISTS candidate ("
    " id BLOB PRIMARY KEY, cl INTEGER NOT NULL DEFAULT 1,"
    " full_name TEXT, birth_name TEXT, sex TEXT, birth_date TEXT, ethnicity TEXT, religion TEXT,"
    " hometown TEXT, citizen_id TEXT, phone TEXT, education TEXT, occupation TEXT,"
    " org_unit TEXT, source TEXT, helper BLOB, sponsor1 BLOB, sponsor2 BLOB,"
    " sponsor1_months INTEGER, sponsor2_months INTEGER,"
    " youth_union_resolution_on TEXT, stage TEXT, identified_on TEXT, helper_on TEXT,"
    " class_on TEXT, applied_on TEXT, verified_on TEXT, cell_resolution_on TEXT,"
    " grassroots_resolution_on TEXT, decision_on TEXT, ceremony_on TEXT, official_on TEXT,"
    " withdrawn_on TEXT, withdrawn_reason TEXT, member BLOB, note TEXT);"
    "CREATE TABLE IF NOT EXISTS meeting ("
    " id BLOB PRIMARY KEY, cl INTEGER NOT NULL DEFAULT 1,"
    " org_unit TEXT, held_on TEXT, kind TEXT, agenda TEXT, minutes TEXT, resolutions TEXT);"
    "CREATE TABLE IF NOT EXISTS attendance ("
    " id BLOB PRIMARY KEY, cl INTEGER NOT NULL DEFAULT 1,"
    " meeting BLOB, member BLOB, present INTEGER, reason TEXT);"
    "CREATE TABLE IF NOT EXISTS assessment ("
    " id BLOB PRIMARY KEY, cl INTEGER NOT NULL DEFAULT 1,"
    " meeting BLOB, candidate BLOB, strengths TEXT, weaknesses TEXT, next_steps TEXT);"
    "CREATE TABLE IF NOT EXISTS target ("
    " id BLOB PRIMARY KEY, cl INTEGER NOT NULL DEFAULT 1,"
    " org_unit TEXT, year INTEGER, admissions INTEGER, students INTEGER,"
    " non_state_workers INTEGER);"
    "CREATE TABLE IF NOT EXISTS rating ("
    " id BLOB PRIMARY KEY, cl INTEGER NOT NULL DEFAULT 1,"
    " member BLOB, year INTEGER, grade TEXT);"
    "CREATE TABLE IF NOT EXISTS transfer ("
    " id BLOB PRIMARY KEY, cl INTEGER NOT NULL DEFAULT 1,"
    " member BLOB, from_unit TEXT, to_unit TEXT, kind TEXT, decided_on TEXT, moved_on TEXT);"
    "CREATE TABLE IF NOT EXISTS exception ("
    " id BLOB PRIMARY KEY, cl INTEGER NOT NULL DEFAULT 1,"
    " candidate BLOB, rule TEXT, stage TEXT, reason TEXT, recorded_on TEXT);"
    "CREATE INDEX IF NOT EXISTS candidate_org ON candidate(org_unit, stage);"
    "CREATE INDEX IF NOT EXISTS member_org ON member(org_unit, status);"
    "CREATE INDEX IF NOT EXISTS attendance_meeting ON attendance(meeting);"
    "CREATE INDEX IF NOT EXISTS assessment_candidate ON assessment(candidate);"
    "CREATE INDEX IF NOT EXISTS exception_candidate ON exception(candidate);";

static const char search_sql[] =
    SEARCH("candidate", "full_name, birth_name, hometown, citizen_id, phone", PERSON_BODY)
        SEARCH("member", "full_name, birth_name, hometown, citizen_id, phone", PERSON_BODY) SEARCH(
            "meeting", "agenda, minutes, resolutions",
            FOLD("NEW.agenda") "||' '||" FOLD("NEW.minutes") "||' '||" FOLD("NEW.resolutions"));

/* What a replica without search drops, if an older version made it. */
static const char no_search_sql[] =
    "DROP TRIGGER IF EXISTS search_candidate_ins; DROP TRIGGER IF EXISTS search_candidate_upd;"
    "DROP TRIGGER IF EXISTS search_member_ins; DROP TRIGGER IF EXISTS search_member_upd;"
    "DROP TRIGGER IF EXISTS search_meeting_ins; DROP TRIGGER IF EXISTS search_meeting_upd;"
    "DROP TABLE IF EXISTS search_candidate; DROP TABLE IF EXISTS search_member;"
    "DROP TABLE IF EXISTS search_meeting;";

int
cs_schema_apply(sqlite3 *db, int search, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, schema_sql, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, search ? search_sql : no_search_sql, NULL, NULL, &msg) != SQLITE_OK) {
        int ret = cs_errf(err, errlen, CS_ESQLITE, "cannot create the domain tables: %s",
                          msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return ret;
    }
    return 0;
}

static const char *const stage_codes[] = {
#define XX(name, code) code,
    CS_STAGE_MAP(XX)
#undef XX
        "withdrawn",
};

const char *
cs_stage_code(enum cs_stage s)
{
    if ((unsigned)s > CS_STAGE_WITHDRAWN)
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
