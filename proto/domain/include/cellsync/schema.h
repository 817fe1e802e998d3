/* SPDX-License-Identifier: MIT */
/*
 * The domain schema shared by the field client and the hub, stated once:
 * the tables the replica keeps in step with the winning register values,
 * their columns with type, code list, label and the role that may write
 * them, and the candidate stages. Stored values are codes ("youth_union",
 * "official"); labels are translated where they are shown. Dates are ISO
 * text (YYYY-MM-DD); record ids are 16-byte UUIDv7 blobs; org units are
 * named by the short text codes the organisation committee uses
 * (org_unit.code).
 *
 * The X-macros below are the descriptor. schema.c makes the DDL and the
 * lookup tables of the functions at the end from them, codes.c the "stage"
 * code list, candidate.c the stage -> column map, and the client its field
 * tables. Labels are N_() here, so xgettext reads this header too
 * (tests/cli/test_po_complete.sh, `make pot`).
 *
 * Additive changes only: a new table or column bumps CS_SCHEMA_VERSION, and
 * an older replica still stores and forwards the registers it does not know.
 */
#ifndef CELLSYNC_SCHEMA_H
#define CELLSYNC_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

#define CS_SCHEMA_VERSION 3

/* ---- the descriptor ---- */

/*
 * The tables: T(name, place, key, writer, label).
 *   place   how the hub finds a row's org unit: UNIT, by its own code (key);
 *           ORG, by its org_unit column (key); PARENT, by the record its
 *           key refers to (key is a REF column, whose table places it);
 *           TREE, as ORG, but a rule for the whole subtree: the row also
 *           reaches every device below its unit (a holiday set at the
 *           hub's root reaches every device the hub serves).
 *   writer  the least role that may write its rows (enum cs_role).
 *   label   what a record of it is called.
 * The columns of table x are CS_SCHEMA_FIELDS_x (what a person types in
 * with `add` and `edit`, in the order the client shows them) then
 * CS_SCHEMA_OTHER_x (what commands set with the rules of the procedure, or
 * the hub). Every table also has "id" (the record id) and "cl" (its life:
 * an even causal length is deleted), which the replica keeps.
 */
#define CS_SCHEMA_TABLES(T)                                                                        \
    T(org_unit, UNIT, "code", COMMITTEE, N_("org unit"))                                           \
    T(candidate, ORG, "org_unit", CELL, N_("candidate"))                                           \
    T(member, ORG, "org_unit", CELL, N_("member"))                                                 \
    T(meeting, ORG, "org_unit", CELL, N_("meeting"))                                               \
    T(target, ORG, "org_unit", COMMITTEE, N_("target"))                                            \
    T(attendance, PARENT, "meeting", CELL, N_("attendance"))                                       \
    T(assessment, PARENT, "meeting", CELL, N_("assessment"))                                       \
    T(exception, PARENT, "candidate", CELL, N_("exception"))                                       \
    T(step_undo, PARENT, "candidate", CELL, N_("undone step"))                                     \
    T(rating, PARENT, "member", CELL, N_("rating"))                                                \
    T(transfer, PARENT, "member", COMMITTEE, N_("transfer"))                                       \
    T(holiday, TREE, "org_unit", COMMITTEE, N_("holiday"))                                         \
    T(device, TREE, "org_unit", HUB, N_("device"))

/*
 * A column: C(name, type, arg, writer, option, label).
 *   type    TEXT, DATE (ISO text), CODE (one of the code list arg,
 *           cellsync/codes.h), REF (the 16-byte id of a record of table arg)
 *           or INT.
 *   writer  the least role that may write it, where it may write the table.
 *   option  the client's long option for it, without dashes; NULL for a
 *           column no command takes as typed.
 *   label   what a person reads for it.
 */

/* The identity of a person, shared by candidates and members. */
#define CS_SCHEMA_PERSON(C)                                                                        \
    C("full_name", TEXT, NULL, CELL, "name", N_("full name"))                                      \
    C("birth_name", TEXT, NULL, CELL, "birth-name", N_("birth name"))                              \
    C("sex", CODE, "sex", CELL, "sex", N_("sex"))                                                  \
    C("birth_date", DATE, NULL, CELL, "birth-date", N_("date of birth"))                           \
    C("ethnicity", TEXT, NULL, CELL, "ethnicity", N_("ethnicity"))                                 \
    C("religion", TEXT, NULL, CELL, "religion", N_("religion"))                                    \
    C("hometown", TEXT, NULL, CELL, "hometown", N_("home town"))                                   \
    C("citizen_id", TEXT, NULL, CELL, "citizen-id", N_("citizen id"))                              \
    C("phone", TEXT, NULL, CELL, "phone", N_("phone"))                                             \
    C("education", TEXT, NULL, CELL, "education", N_("education"))                                 \
    C("occupation", TEXT, NULL, CELL, "occupation", N_("occupation"))

#define CS_SCHEMA_FIELDS_org_unit(C)
#define CS_SCHEMA_OTHER_org_unit(C)                                                                \
    C("code", TEXT, NULL, COMMITTEE, NULL, N_("unit code"))                                        \
    C("parent", TEXT, NULL, COMMITTEE, NULL, N_("parent unit"))                                    \
    C("level", CODE, "level", COMMITTEE, NULL, N_("level"))                                        \
    C("kind", TEXT, NULL, COMMITTEE, NULL, N_("kind"))                                             \
    C("name", TEXT, NULL, COMMITTEE, NULL, N_("name"))

#define CS_SCHEMA_FIELDS_candidate(C)                                                              \
    CS_SCHEMA_PERSON(C)                                                                            \
    C("source", CODE, "source", CELL, "source", N_("source category"))                             \
    C("org_unit", TEXT, NULL, CELL, "org", N_("cell"))                                             \
    C("note", TEXT, NULL, CELL, "note", N_("note"))
/*
 * Set by `candidate advance` and `withdraw`. The admission decision is the
 * committee's: a cell may not write its date, and so may not set the stage
 * that records it either (cs_stage_writable()).
 */
#define CS_SCHEMA_OTHER_candidate(C)                                                               \
    C("stage", CODE, "stage", CELL, NULL, N_("stage"))                                             \
    C("helper", REF, "member", CELL, NULL, N_("helper"))                                           \
    C("sponsor1", REF, "member", CELL, NULL, N_("sponsor"))                                        \
    C("sponsor2", REF, "member", CELL, NULL, N_("second sponsor"))                                 \
    C("sponsor1_months", INT, NULL, CELL, NULL, N_("months the sponsor has known the candidate"))  \
    C("sponsor2_months", INT, NULL, CELL, NULL,                                                    \
      N_("months the second sponsor has known the candidate"))                                     \
    C("youth_union_resolution_on", DATE, NULL, CELL, NULL, N_("youth union resolution"))           \
    C("identified_on", DATE, NULL, CELL, NULL, N_("identified on"))                                \
    C("helper_on", DATE, NULL, CELL, NULL, N_("helper assigned on"))                               \
    C("class_on", DATE, NULL, CELL, NULL, N_("awareness class certificate"))                       \
    C("applied_on", DATE, NULL, CELL, NULL, N_("applied on"))                                      \
    C("verified_on", DATE, NULL, CELL, NULL, N_("biography verified on"))                          \
    C("cell_resolution_on", DATE, NULL, CELL, NULL, N_("cell resolution on"))                      \
    C("grassroots_resolution_on", DATE, NULL, CELL, NULL, N_("grassroots resolution on"))          \
    C("decision_on", DATE, NULL, COMMITTEE, NULL, N_("admission decision on"))                     \
    C("ceremony_on", DATE, NULL, CELL, NULL, N_("ceremony on"))                                    \
    C("official_on", DATE, NULL, CELL, NULL, N_("official member on"))                             \
    C("withdrawn_on", DATE, NULL, CELL, NULL, N_("withdrawn on"))                                  \
    C("withdrawn_reason", TEXT, NULL, CELL, NULL, N_("reason for withdrawal"))                     \
    C("member", REF, "member", CELL, NULL, N_("member record"))

/*
 * A member record is the cell's register (phiếu đảng viên): it copies the
 * dates of the admission, decision included, from the candidate at the
 * ceremony or from the paper records of members admitted before. The
 * committee's authority is the candidate's decision_on, which moves the
 * procedure and is what the reports count; the register's copy is the
 * cell's to write, as every other field of a record the cell may create.
 */
#define CS_SCHEMA_FIELDS_member(C)                                                                 \
    CS_SCHEMA_PERSON(C)                                                                            \
    C("birth_place", TEXT, NULL, CELL, "birth-place", N_("place of birth"))                        \
    C("residence", TEXT, NULL, CELL, "residence", N_("residence"))                                 \
    C("card_no", TEXT, NULL, CELL, "card-no", N_("party card number"))                             \
    C("record_no", TEXT, NULL, CELL, "record-no", N_("record number"))                             \
    C("org_unit", TEXT, NULL, CELL, "org", N_("cell"))                                             \
    C("decision_on", DATE, NULL, CELL, "decision-on", N_("admission decision date"))               \
    C("ceremony_on", DATE, NULL, CELL, "ceremony-on", N_("admission ceremony date"))               \
    C("official_on", DATE, NULL, CELL, "official-on", N_("official member since"))                 \
    C("status", CODE, "member_status", CELL, "status", N_("status"))                               \
    C("theory_level", TEXT, NULL, CELL, "theory-level", N_("political theory level"))              \
    C("note", TEXT, NULL, CELL, "note", N_("note"))
#define CS_SCHEMA_OTHER_member(C)

#define CS_SCHEMA_FIELDS_meeting(C)                                                                \
    C("held_on", DATE, NULL, CELL, "date", N_("date"))                                             \
    C("kind", CODE, "meeting_kind", CELL, "kind", N_("kind"))                                      \
    C("org_unit", TEXT, NULL, CELL, "org", N_("cell"))                                             \
    C("agenda", TEXT, NULL, CELL, "agenda", N_("agenda"))                                          \
    C("minutes", TEXT, NULL, CELL, "minutes", N_("minutes"))                                       \
    C("resolutions", TEXT, NULL, CELL, "resolutions", N_("resolutions"))
#define CS_SCHEMA_OTHER_meeting(C)

#define CS_SCHEMA_FIELDS_target(C)
#define CS_SCHEMA_OTHER_target(C)                                                                  \
    C("org_unit", TEXT, NULL, COMMITTEE, NULL, N_("unit"))                                         \
    C("year", INT, NULL, COMMITTEE, NULL, N_("year"))                                              \
    C("admissions", INT, NULL, COMMITTEE, NULL, N_("target"))                                      \
    C("students", INT, NULL, COMMITTEE, NULL, N_("students target"))                               \
    C("non_state_workers", INT, NULL, COMMITTEE, NULL, N_("non-state target"))

#define CS_SCHEMA_FIELDS_attendance(C)
#define CS_SCHEMA_OTHER_attendance(C)                                                              \
    C("meeting", REF, "meeting", CELL, NULL, N_("meeting"))                                        \
    C("member", REF, "member", CELL, NULL, N_("member"))                                           \
    C("present", INT, NULL, CELL, NULL, N_("present"))                                             \
    C("reason", TEXT, NULL, CELL, NULL, N_("reason"))

#define CS_SCHEMA_FIELDS_assessment(C)
#define CS_SCHEMA_OTHER_assessment(C)                                                              \
    C("meeting", REF, "meeting", CELL, NULL, N_("meeting"))                                        \
    C("candidate", REF, "candidate", CELL, NULL, N_("candidate"))                                  \
    C("strengths", TEXT, NULL, CELL, NULL, N_("strengths"))                                        \
    C("weaknesses", TEXT, NULL, CELL, NULL, N_("weaknesses"))                                      \
    C("next_steps", TEXT, NULL, CELL, NULL, N_("next steps"))

/* A stage taken against a rule with --force, and why (cellsync/rules.h). */
#define CS_SCHEMA_FIELDS_exception(C)
#define CS_SCHEMA_OTHER_exception(C)                                                               \
    C("candidate", REF, "candidate", CELL, NULL, N_("candidate"))                                  \
    C("rule", TEXT, NULL, CELL, NULL, N_("rule"))                                                  \
    C("stage", CODE, "stage", CELL, NULL, N_("stage"))                                             \
    C("reason", TEXT, NULL, CELL, NULL, N_("reason"))                                              \
    C("recorded_on", DATE, NULL, CELL, NULL, N_("date"))

/* A step taken back with `candidate undo` (version 2): which, its date, and why. */
#define CS_SCHEMA_FIELDS_step_undo(C)
#define CS_SCHEMA_OTHER_step_undo(C)                                                               \
    C("candidate", REF, "candidate", CELL, NULL, N_("candidate"))                                  \
    C("stage", CODE, "stage", CELL, NULL, N_("stage"))                                             \
    C("stage_on", DATE, NULL, CELL, NULL, N_("date of the step"))                                  \
    C("reason", TEXT, NULL, CELL, NULL, N_("reason"))                                              \
    C("recorded_on", DATE, NULL, CELL, NULL, N_("date"))

#define CS_SCHEMA_FIELDS_rating(C)
#define CS_SCHEMA_OTHER_rating(C)                                                                  \
    C("member", REF, "member", CELL, NULL, N_("member"))                                           \
    C("year", INT, NULL, CELL, NULL, N_("year"))                                                   \
    C("grade", CODE, "grade", CELL, NULL, N_("grade"))

#define CS_SCHEMA_FIELDS_transfer(C)
#define CS_SCHEMA_OTHER_transfer(C)                                                                \
    C("member", REF, "member", COMMITTEE, NULL, N_("member"))                                      \
    C("from_unit", TEXT, NULL, COMMITTEE, NULL, N_("from unit"))                                   \
    C("to_unit", TEXT, NULL, COMMITTEE, NULL, N_("to unit"))                                       \
    C("kind", TEXT, NULL, COMMITTEE, NULL, N_("kind"))                                             \
    C("decided_on", DATE, NULL, COMMITTEE, NULL, N_("decided on"))                                 \
    C("moved_on", DATE, NULL, COMMITTEE, NULL, N_("moved on"))

/*
 * A day off, or a day worked, that the government announces for a year on
 * top of the built-in holidays (cellsync/date.h): its choice of Tết's days
 * and of National Day's second day, days off in lieu of a holiday on a
 * weekend, and weekend days worked in exchange. One record per unit and day
 * (cellsync/holiday.h).
 */
#define CS_SCHEMA_FIELDS_holiday(C)
#define CS_SCHEMA_OTHER_holiday(C)                                                                 \
    C("org_unit", TEXT, NULL, COMMITTEE, NULL, N_("unit"))                                         \
    C("day", DATE, NULL, COMMITTEE, NULL, N_("date"))                                              \
    C("name", TEXT, NULL, COMMITTEE, NULL, N_("name"))                                             \
    C("kind", CODE, "holiday_kind", COMMITTEE, NULL, N_("kind"))

/*
 * A device the hub serves, as people know it (version 2): its enrolled
 * name, unit and role, written by the hub when it admits the device, so a
 * laptop names the devices whose edits it shows ("máy phó bí thư", not
 * 3a77f7a4). The record's id is the device's id (its key's, the origin of
 * its writes). Placed as a rule for its unit's subtree: the devices of its
 * unit, the units below and the committees above read it.
 * Version 3, for hubs chained upward (commune -> province -> centre): its
 * public key (64 hex digits, whose id the record's id must be) and the day
 * it was revoked, so that a hub above can check the sets a hub below relays
 * for it against its own signature, and stops taking them once it is
 * revoked. A public key only: secrets stay in the hub's own tables.
 */
#define CS_SCHEMA_FIELDS_device(C)
#define CS_SCHEMA_OTHER_device(C)                                                                  \
    C("org_unit", TEXT, NULL, HUB, NULL, N_("unit"))                                               \
    C("name", TEXT, NULL, HUB, NULL, N_("name"))                                                   \
    C("role", CODE, "role", HUB, NULL, N_("role"))                                                 \
    C("pk", TEXT, NULL, HUB, NULL, N_("public key"))                                               \
    C("revoked_on", DATE, NULL, HUB, NULL, N_("revoked on"))

/*
 * The candidate stages in order, then "withdrawn", which may follow any
 * stage before official: XX(name, code, column, label), where column is
 * the candidate column holding the date the stage was reached and label
 * what a secretary reads (DESIGN.md's names, not the stored code).
 */
#define CS_STAGE_MAP(XX)                                                                           \
    XX(IDENTIFIED, "identified", "identified_on", N_("identified"))                                \
    XX(HELPER, "helper_assigned", "helper_on", N_("helper assigned"))                              \
    XX(CLASS, "class_passed", "class_on", N_("awareness class passed"))                            \
    XX(APPLIED, "applied", "applied_on", N_("application and biography"))                          \
    XX(VERIFIED, "biography_verified", "verified_on", N_("biography verified"))                    \
    XX(CELL, "cell_resolution", "cell_resolution_on", N_("cell resolution"))                       \
    XX(GRASSROOTS, "grassroots_resolution", "grassroots_resolution_on",                            \
       N_("grassroots resolution"))                                                                \
    XX(DECISION, "decision", "decision_on", N_("admission decision"))                              \
    XX(CEREMONY, "ceremony", "ceremony_on", N_("ceremony"))                                        \
    XX(OFFICIAL, "official", "official_on", N_("official member"))                                 \
    XX(WITHDRAWN, "withdrawn", "withdrawn_on", N_("withdrawn"))

enum cs_stage {
#define XX(name, code, column, label) CS_STAGE_##name,
    CS_STAGE_MAP(XX)
#undef XX
    /* The stages in order: all before withdrawn. */
    CS_STAGE__COUNT = CS_STAGE_WITHDRAWN,
};

/* ---- the descriptor as data ---- */

/* The tables' indices in cs_schema_tables(): CS_TABLE_org_unit, CS_TABLE_candidate, ... */
enum cs_table {
#define XX(name, place, key, writer, label) CS_TABLE_##name,
    CS_SCHEMA_TABLES(XX)
#undef XX
        CS_TABLE__COUNT
};

enum cs_schema_type {
    CS_SCHEMA_TEXT,
    CS_SCHEMA_DATE,
    CS_SCHEMA_CODE,
    CS_SCHEMA_REF,
    CS_SCHEMA_INT,
};

enum cs_schema_place {
    CS_SCHEMA_PLACE_UNIT,
    CS_SCHEMA_PLACE_ORG,
    CS_SCHEMA_PLACE_PARENT,
    CS_SCHEMA_PLACE_TREE,
};

/*
 * The roles a device is enrolled with (cellsync/enroll.h), each allowed
 * what the one before it is; names "cell", "committee", "hub".
 */
enum cs_role {
    CS_ROLE_CELL,
    CS_ROLE_COMMITTEE,
    CS_ROLE_HUB,
};

struct cs_schema_column {
    const char *name;
    enum cs_schema_type type;
    const char *arg;     /* CODE: the code list; REF: the table referred to; else NULL */
    enum cs_role writer; /* the least role that may write it */
    const char *option;  /* the client's option, or NULL */
    const char *label;   /* N_() English; shown through _() */
};

struct cs_schema_table {
    const char *name;
    enum cs_schema_place place;
    const char *key; /* the column that places a row */
    enum cs_role writer;
    const char *label; /* N_() */
    const struct cs_schema_column *columns;
    size_t ncolumns;
};

/* The tables in CS_SCHEMA_TABLES order; *n gets their count. */
const struct cs_schema_table *cs_schema_tables(size_t *n);
/* The table called name, or NULL. */
const struct cs_schema_table *cs_schema_table(const char *name);
/* The column of the table, or NULL when either is not in this version's schema. */
const struct cs_schema_column *cs_schema_column(const char *table, const char *column);

/*
 * What a device of a role may write, as the hub authorizes it: a hub any
 * table, even one this version does not know; a committee every table it
 * knows but the hub's own (device); a cell the tables and columns whose
 * writer is CS_ROLE_CELL. Columns are allowed, not forbidden: a cell or a
 * committee may write only the columns of the descriptor whose writer its
 * role reaches, and a row's life (CS_COL_LIFE) where it may write the
 * table; a column this version does not know only a hub (which forwards
 * it). An unknown role may write nothing.
 */
bool cs_schema_table_writable(const char *table, const char *role);
bool cs_schema_column_writable(const char *table, const char *column, const char *role);
/* Whether a role may move a candidate to stage s: whether it may write the stage's date. */
bool cs_stage_writable(enum cs_stage s, const char *role);

/*
 * Creates the domain tables and indexes if missing, and with search the
 * full-text search index kept by triggers; without it, drops that index.
 */
int cs_schema_apply(sqlite3 *db, int search, char *err, size_t errlen);
/*
 * Makes sure the connection db can search: a store made without the index
 * (CS_REPLICA_NO_SEARCH, a hub's) gets one in its temporary schema, of the
 * same tables filled from every row as they are now, which this
 * connection's queries read as they would the store's own. Costs a pass
 * over the candidates, members and meetings; the store's file is not
 * written. 0, or CS_ESQLITE with err.
 */
int cs_schema_search_temp(sqlite3 *db, char *err, size_t errlen);

/* "identified" .. "official", "withdrawn"; NULL for out of range. */
const char *cs_stage_code(enum cs_stage s);
/* The stage for a code, or -1. */
int cs_stage_from_code(const char *code);

#endif
