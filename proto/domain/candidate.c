/* SPDX-License-Identifier: MIT */
/*
 * Reading candidates for the rules (cellsync/candidate.h). One column list
 * serves both the single candidate (stage checks) and the scan behind the
 * due list, so the two cannot read a record differently.
 */
#include <stdio.h>
#include <string.h>

#include "cellsync/candidate.h"
#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "internal.h"

static const char *const stage_columns[] = {
#define XX(name, code, column, label) [CS_STAGE_##name] = column,
    CS_STAGE_MAP(XX)
#undef XX
};

const char *
cs_candidate_stage_column(enum cs_stage s)
{
    return (unsigned)s < CS_ARRAY_SIZE(stage_columns) ? stage_columns[s] : NULL;
}

/*
 * The facts of candidate k as facts_read() takes them: these, then the
 * date of every stage in CS_STAGE_MAP order (withdrawn's last, unread).
 */
#define STAGE_DATE(name, code, column, label) ", k." column
#define FACTS_COLS                                                                                 \
    "k.stage, k.birth_date, k.helper IS NOT NULL,"                                                 \
    " k.sponsor1 IS NOT NULL, s1.status = 'official', k.sponsor1_months,"                          \
    " k.sponsor2 IS NOT NULL, s2.status = 'official', k.sponsor2_months,"                          \
    " k.youth_union_resolution_on IS NOT NULL" CS_STAGE_MAP(STAGE_DATE)
#define FACTS_FROM                                                                                 \
    " FROM candidate k LEFT JOIN member s1 ON s1.id = k.sponsor1"                                  \
    " LEFT JOIN member s2 ON s2.id = k.sponsor2"

static int32_t
column_date(sqlite3_stmt *st, int i)
{
    int32_t day;
    const char *t = (const char *)sqlite3_column_text(st, i);
    return t != NULL && cs_date_parse(t, &day, NULL, 0) == 0 ? day : CS_DATE_NONE;
}

/* Fills f from the FACTS_COLS that start at column i0 of the current row. */
static void
facts_read(sqlite3_stmt *st, int i0, struct cs_rules_facts *f)
{
    cs_rules_facts_init(f);
    const char *stage = (const char *)sqlite3_column_text(st, i0);
    int s = stage ? cs_stage_from_code(stage) : -1;
    f->stage = s < 0 ? CS_STAGE_IDENTIFIED : (enum cs_stage)s;
    f->birth = column_date(st, i0 + 1);
    f->helper_assigned = sqlite3_column_int(st, i0 + 2);
    for (int i = 0; i < CS_RULES_SPONSORS; i++) {
        int c = i0 + 3 + 3 * i;
        f->sponsor[i].present = sqlite3_column_int(st, c);
        f->sponsor[i].official_member = sqlite3_column_int(st, c + 1);
        f->sponsor[i].months_known =
            sqlite3_column_type(st, c + 2) == SQLITE_NULL ? -1 : sqlite3_column_int(st, c + 2);
    }
    f->youth_union_resolution = sqlite3_column_int(st, i0 + 9);
    for (int i = 0; i < CS_STAGE__COUNT; i++)
        f->stage_date[i] = column_date(st, i0 + 10 + i);
    f->class_certificate = f->stage_date[CS_STAGE_CLASS];
}

const char cs_candidate_facts_sql[] = "SELECT " FACTS_COLS FACTS_FROM " WHERE k.id = ?1";

int
cs_candidate_facts_st(sqlite3_stmt *st, const struct cs_id *id, struct cs_rules_facts *f)
{
    int ret = CS_ENOTFOUND;

    cs_rules_facts_init(f);
    sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        facts_read(st, 0, f);
        ret = 0;
    } else if (rc != SQLITE_DONE) {
        ret = CS_ESQLITE;
    }
    sqlite3_reset(st);
    return ret;
}

int
cs_candidate_facts(sqlite3 *db, const struct cs_id *id, struct cs_rules_facts *f)
{
    sqlite3_stmt *st;

    cs_rules_facts_init(f);
    if (sqlite3_prepare_v2(db, cs_candidate_facts_sql, -1, &st, NULL) != SQLITE_OK)
        return CS_ESQLITE;
    int ret = cs_candidate_facts_st(st, id, f);
    sqlite3_finalize(st);
    return ret;
}

int
cs_candidate_due_fill(sqlite3 *db, int32_t today, const struct cs_date_holidays *h,
                      void (*skipped)(void *ud, const struct cs_id *candidate), void *ud, char *err,
                      size_t errlen)
{
    /* A candidate that is official or withdrawn has no deadline left. */
    static const char scan_sql[] =
        "SELECT k.id, k.full_name, k.org_unit, " FACTS_COLS FACTS_FROM " WHERE k.cl % 2 = 1"
        " AND coalesce(k.stage, '') NOT IN ('official', 'withdrawn')";
    sqlite3_stmt *cand = NULL, *ins = NULL;
    char *msg = NULL;
    int ret = CS_ESQLITE, rc;

    if (sqlite3_exec(db,
                     "DROP TABLE IF EXISTS temp.due_rows;"
                     "CREATE TEMP TABLE due_rows (candidate BLOB NOT NULL, name TEXT,"
                     " org_unit TEXT, kind TEXT NOT NULL, kind_label TEXT NOT NULL,"
                     " due TEXT NOT NULL, days_left INTEGER NOT NULL)",
                     NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_prepare_v2(db, scan_sql, -1, &cand, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO temp.due_rows VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1,
                           &ins, NULL) != SQLITE_OK) {
        ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot list the deadlines: %s"),
                      msg ? msg : sqlite3_errmsg(db));
        goto out;
    }
    while ((rc = sqlite3_step(cand)) == SQLITE_ROW) {
        struct cs_rules_facts f;
        struct cs_rules_due due[CS_RULES_DUE_MAX];
        struct cs_id id;
        char date[CS_DATE_BUFSZ];

        if (sqlite3_column_bytes(cand, 0) != CS_ID_LEN)
            continue;
        memcpy(id.b, sqlite3_column_blob(cand, 0), CS_ID_LEN);
        facts_read(cand, 3, &f);
        int n = cs_rules_due(&f, today, h, due, CS_RULES_DUE_MAX);
        if (n < 0) {
            if (skipped != NULL)
                skipped(ud, &id);
            continue;
        }
        for (int i = 0; i < n && i < CS_RULES_DUE_MAX; i++) {
            const char *label = cs_code_label("due_kind", due[i].kind);
            sqlite3_reset(ins);
            sqlite3_bind_blob(ins, 1, id.b, CS_ID_LEN, SQLITE_STATIC);
            sqlite3_bind_value(ins, 2, sqlite3_column_value(cand, 1));
            sqlite3_bind_value(ins, 3, sqlite3_column_value(cand, 2));
            sqlite3_bind_text(ins, 4, due[i].kind, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 5, label ? label : due[i].kind, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 6, cs_date_format(due[i].due, date), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int(ins, 7, due[i].days_left);
            if (sqlite3_step(ins) != SQLITE_DONE) {
                ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot list the deadlines: %s"),
                              sqlite3_errmsg(db));
                goto out;
            }
        }
    }
    if (rc != SQLITE_DONE) {
        ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot list the deadlines: %s"),
                      sqlite3_errmsg(db));
        goto out;
    }
    ret = 0;
out:
    sqlite3_free(msg);
    sqlite3_finalize(ins);
    sqlite3_finalize(cand);
    return ret;
}
