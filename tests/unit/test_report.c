/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the report engine (cellsync/report.h) on a small replica
 * built by hand, with every expected number worked out in the comments:
 * targets with sub-targets and pace, the pipeline with days per stage,
 * deadlines in working days (with and without an extra holiday), members
 * by status, age and party age, the ratings cap, and the hub's device
 * report (registered as cellsyncd does, daemon/report_sync.c) with a real
 * open conflict. Numbers are read back from the JSON
 * output with SQLite's JSON functions; CSV quoting, HTML escaping, --org,
 * sections and the atomic write are checked on the text.
 *
 * The tree, "today" 2025-07-02 (day 183 of 365) and year 2025:
 *   H (district) target 10 (students 2, non-state 2)
 *     G1 (grassroots) target 6 (1, 1): C1 target 4 (1, 0), C2 target 2
 *     G2 (grassroots) target 3: C3 target 3 (0, 1)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellsync/error.h"
#include "cellsync/replica.h"
#include "cellsync/report.h"
#include "cellsync/rules.h"
#include "cellsync/version.h"
#include "report_sync.h"

static char tmpdir[] = "/tmp/cs_test_report.XXXXXX";
static char dbpath[300];
static struct cs_replica *rep;
static struct cs_report *reports; /* a field device's: the built-in kinds */
static int32_t today;
static char err[1024];

/* ---- building the replica ---- */

static void
set(const char *table, const struct cs_id *id, const char *col, const char *val)
{
    struct cs_value v;
    size_t n = strlen(val);
    if (n > 0 && strspn(val, "0123456789") == n)
        v = (struct cs_value){.type = CS_VINT, .i = strtoll(val, NULL, 10)};
    else
        v = (struct cs_value){.type = CS_VTEXT, .p = val, .n = n};
    assert_int_equal(cs_replica_set(rep, table, id, col, &v, err, sizeof(err)), 0);
}

/* A record: name=value pairs, NULL-ended; the id is derived from table and key. */
static void
record(const char *table, const char *key, struct cs_id *out, ...)
{
    char name[128];
    struct cs_id id;
    va_list ap;
    snprintf(name, sizeof(name), "test_report:%s:%s", table, key);
    cs_id_derive(&id, name);
    assert_int_equal(cs_replica_begin(rep, err, sizeof(err)), 0);
    va_start(ap, out);
    for (const char *col; (col = va_arg(ap, const char *)) != NULL;)
        set(table, &id, col, va_arg(ap, const char *));
    va_end(ap);
    assert_int_equal(cs_replica_commit(rep, err, sizeof(err)), 0);
    if (out != NULL)
        *out = id;
}

static void
rating(const char *key, const struct cs_id *member, const char *year, const char *grade)
{
    struct cs_id id;
    char name[64];
    snprintf(name, sizeof(name), "test_report:rating:%s", key);
    cs_id_derive(&id, name);
    struct cs_value m = {.type = CS_VBLOB, .p = member->b, .n = CS_ID_LEN};
    assert_int_equal(cs_replica_begin(rep, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_set(rep, "rating", &id, "member", &m, err, sizeof(err)), 0);
    set("rating", &id, "year", year);
    set("rating", &id, "grade", grade);
    assert_int_equal(cs_replica_commit(rep, err, sizeof(err)), 0);
}

static void
build(void)
{
    struct cs_id m1, m2, m3, m4, m7, m8, k7;

    record("org_unit", "H", NULL, "code", "H", "level", "district", "name", "Huyện H", NULL);
    record("org_unit", "G1", NULL, "code", "G1", "parent", "H", "level", "grassroots", "name",
           "Đảng bộ xã G1", NULL);
    record("org_unit", "G2", NULL, "code", "G2", "parent", "H", "level", "grassroots", "name",
           "Đảng bộ xã G2", NULL);
    record("org_unit", "C1", NULL, "code", "C1", "parent", "G1", "level", "cell", "name",
           "Chi bộ thôn 1", NULL);
    /* Names a CSV field must quote and HTML must escape. */
    record("org_unit", "C2", NULL, "code", "C2", "parent", "G1", "level", "cell", "name",
           "Chi bộ \"Đoàn, Hội\"", NULL);
    record("org_unit", "C3", NULL, "code", "C3", "parent", "G2", "level", "cell", "name",
           "Chi bộ <C3> & 'y'", NULL);

    record("target", "H", NULL, "org_unit", "H", "year", "2025", "admissions", "10", "students",
           "2", "non_state_workers", "2", NULL);
    record("target", "G1", NULL, "org_unit", "G1", "year", "2025", "admissions", "6", "students",
           "1", "non_state_workers", "1", NULL);
    record("target", "C1", NULL, "org_unit", "C1", "year", "2025", "admissions", "4", "students",
           "1", "non_state_workers", "0", NULL);
    record("target", "C1-2024", NULL, "org_unit", "C1", "year", "2024", "admissions", "9", NULL);
    record("target", "C2", NULL, "org_unit", "C2", "year", "2025", "admissions", "2", NULL);
    record("target", "G2", NULL, "org_unit", "G2", "year", "2025", "admissions", "3", NULL);
    record("target", "C3", NULL, "org_unit", "C3", "year", "2025", "admissions", "3", "students",
           "0", "non_state_workers", "1", NULL);

    /* k1: admitted this year (a student); its ceremony is overdue. */
    record("candidate", "k1", NULL, "full_name", "Nguyễn Văn Một", "org_unit", "C1", "source",
           "student", "stage", "decision", "cell_resolution_on", "2025-01-10",
           "grassroots_resolution_on", "2025-02-01", "decision_on", "2025-03-10", NULL);
    /* k2: admitted and sworn in this year. */
    record("candidate", "k2", NULL, "full_name", "Trần Thị Hai", "org_unit", "C1", "source",
           "youth_union", "stage", "ceremony", "decision_on", "2025-01-15", "ceremony_on",
           "2025-02-10", NULL);
    /* k3: decided last year, sworn in this year: a ceremony, not an admission. */
    record("candidate", "k3", NULL, "full_name", "Lê Văn Ba", "org_unit", "C2", "source",
           "non_state_worker", "stage", "ceremony", "decision_on", "2024-12-20", "ceremony_on",
           "2025-01-20", NULL);
    /* k4: admitted this year (a non-state worker); ceremony due in 30 working days. */
    record("candidate", "k4", NULL, "full_name", "Phạm Thị Bốn", "org_unit", "C3", "source",
           "non_state_worker", "stage", "decision", "decision_on", "2025-06-01", NULL);
    record("candidate", "k5", NULL, "full_name", "Hoàng Văn Năm", "org_unit", "C3", "source",
           "student", "stage", "identified", "identified_on", "2025-06-20", NULL);
    record("candidate", "k6", NULL, "full_name", "Võ Thị Sáu", "org_unit", "C2", "source", "other",
           "stage", "withdrawn", "identified_on", "2025-01-01", "helper_on", "2025-02-01",
           "withdrawn_on", "2025-04-01", NULL);
    /* k7: deleted, so it counts nowhere. */
    record("candidate", "k7", &k7, "full_name", "Đỗ Văn Bảy", "org_unit", "C1", "source", "student",
           "stage", "decision", "decision_on", "2025-05-05", NULL);
    assert_int_equal(cs_replica_begin(rep, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_delete_row(rep, "candidate", &k7, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_commit(rep, err, sizeof(err)), 0);
    /* k8: 20 days identified, 40 days with a helper; certificate valid to 2030-03-02. */
    record("candidate", "k8", NULL, "full_name", "Bùi Thị Tám", "org_unit", "C1", "source",
           "teacher", "stage", "class_passed", "identified_on", "2025-01-01", "helper_on",
           "2025-01-21", "class_on", "2025-03-02", "phone", "0900000008", NULL);

    /* Ages on 2025-07-02: m1 34 (birthday tomorrow), m2 65, m3 25 (today), m4 48, m7 unknown. */
    record("member", "m1", &m1, "full_name", "M1", "org_unit", "C1", "status", "official",
           "birth_date", "1990-07-03", "ceremony_on", "2015-05-01", NULL);
    record("member", "m2", &m2, "full_name", "M2", "org_unit", "C1", "status", "official",
           "birth_date", "1960-01-01", "ceremony_on", "1985-01-01", NULL);
    record("member", "m3", &m3, "full_name", "M3", "org_unit", "C1", "status", "probationary",
           "birth_date", "2000-07-02", "ceremony_on", "2025-01-10", NULL);
    record("member", "m4", &m4, "full_name", "M4", "org_unit", "C2", "status", "official",
           "birth_date", "1976-12-31", "decision_on", "2000-03-01", NULL);
    record("member", "m5", NULL, "full_name", "M5", "org_unit", "C2", "status", "deceased",
           "birth_date", "1940-01-01", NULL);
    record("member", "m6", NULL, "full_name", "M6", "org_unit", "C2", "status", "transferred_out",
           "birth_date", "1980-01-01", NULL);
    record("member", "m7", &m7, "full_name", "M7", "org_unit", "C3", "status", "official",
           "ceremony_on", "2020-07-02", NULL);
    record("member", "m8", &m8, "full_name", "M8", "org_unit", "C3", "status", "official", NULL);
    assert_int_equal(cs_replica_begin(rep, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_delete_row(rep, "member", &m8, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_commit(rep, err, sizeof(err)), 0);

    rating("m1", &m1, "2025", "excellent");
    rating("m1-2024", &m1, "2024", "excellent");
    rating("m2", &m2, "2025", "good");
    rating("m3", &m3, "2025", "good");
    rating("m4", &m4, "2025", "good");
    rating("m7", &m7, "2025", "complete");
}

/* ---- reading results ---- */

static char *
render_with(const struct cs_report *set, enum cs_report_kind kind, enum cs_report_format fmt,
            const struct cs_report_params *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    int ret = cs_report_render(set, rep, kind, fmt, p, f, err, sizeof(err));
    if (ret != 0)
        fail_msg("render %d: %s", ret, err);
    fclose(f);
    return buf;
}

static char *
render(enum cs_report_kind kind, enum cs_report_format fmt, const struct cs_report_params *p)
{
    return render_with(reports, kind, fmt, p);
}

static struct cs_report_params
params(void)
{
    return (struct cs_report_params){.year = 2025, .today = today};
}

/*
 * A field of the row of a section whose column key has value key, as text
 * ("null" for JSON null, "missing" for no such row).
 */
static char *
field(const char *json, const char *section, const char *keycol, const char *key, const char *col)
{
    static char out[128];
    sqlite3 *db;
    sqlite3_stmt *st;
    char path[64], kp[64], cp[64];
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT coalesce(json_extract(value, ?4), 'null')"
                           " FROM json_each(?1, ?2) WHERE json_extract(value, ?3) = ?5",
                           -1, &st, NULL),
        SQLITE_OK);
    snprintf(path, sizeof(path), "$.sections.%s", section);
    snprintf(kp, sizeof(kp), "$.%s", keycol);
    snprintf(cp, sizeof(cp), "$.%s", col);
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, kp, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, cp, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(out, sizeof(out), "%s", (const char *)sqlite3_column_text(st, 0));
    else
        snprintf(out, sizeof(out), "missing");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

#define CHECK(json, section, keycol, key, col, want)                                               \
    assert_string_equal(field(json, section, keycol, key, col), want)

/* How many rows a section has. */
static int
rows(const char *json, const char *section)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    char path[64];
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT json_array_length(?1, ?2)", -1, &st, NULL),
                     SQLITE_OK);
    snprintf(path, sizeof(path), "$.sections.%s", section);
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static int
count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* ---- tests ---- */

static void
test_targets(void **state)
{
    (void)state;
    struct cs_report_params p = params();
    char *j = render(CS_REPORT_TARGETS, CS_REPORT_JSON, &p);

    assert_int_equal(rows(j, "units"), 6);
    /* C1: k1 and k2 decided this year, k2 sworn in; the 2024 target is not this year's. */
    CHECK(j, "units", "unit", "C1", "target", "4");
    CHECK(j, "units", "unit", "C1", "admitted", "2");
    CHECK(j, "units", "unit", "C1", "ceremonies", "1");
    CHECK(j, "units", "unit", "C1", "achieved_pct", "50.0");
    /* Pace: 183/365 of the year is gone: expected 4 * 0.50137 = 2.0; 2 / 2.0055 = 99.7%. */
    CHECK(j, "units", "unit", "C1", "expected", "2.0");
    CHECK(j, "units", "unit", "C1", "pace_pct", "99.7");
    CHECK(j, "units", "unit", "C1", "students_admitted", "1");
    CHECK(j, "units", "unit", "C1", "students_pct", "100.0");
    CHECK(j, "units", "unit", "C1", "non_state_pct", "null");
    /* C2: k3 was decided in 2024: a ceremony this year, no admission. */
    CHECK(j, "units", "unit", "C2", "admitted", "0");
    CHECK(j, "units", "unit", "C2", "ceremonies", "1");
    CHECK(j, "units", "unit", "C2", "achieved_pct", "0.0");
    CHECK(j, "units", "unit", "C3", "admitted", "1");
    CHECK(j, "units", "unit", "C3", "achieved_pct", "33.3");
    CHECK(j, "units", "unit", "C3", "non_state_admitted", "1");
    CHECK(j, "units", "unit", "C3", "non_state_pct", "100.0");
    /* A unit counts its subtree: G1 = C1 + C2, H = everything. */
    CHECK(j, "units", "unit", "G1", "admitted", "2");
    CHECK(j, "units", "unit", "G1", "ceremonies", "2");
    CHECK(j, "units", "unit", "G1", "achieved_pct", "33.3");
    CHECK(j, "units", "unit", "H", "admitted", "3");
    CHECK(j, "units", "unit", "H", "ceremonies", "2");
    CHECK(j, "units", "unit", "H", "achieved_pct", "30.0");
    CHECK(j, "units", "unit", "H", "expected", "5.0");
    CHECK(j, "units", "unit", "H", "pace_pct", "59.8");
    CHECK(j, "units", "unit", "H", "students_pct", "50.0");
    CHECK(j, "units", "unit", "H", "non_state_pct", "50.0");
    CHECK(j, "units", "unit", "H", "depth", "0");
    CHECK(j, "units", "unit", "C3", "depth", "2");
    /* Admissions by month: decisions and ceremonies of each month begun by today. */
    assert_int_equal(rows(j, "months"), 12);
    assert_non_null(strstr(j, "{\"month\":1,\"admitted\":1,\"ceremonies\":1}")); /* k2; k3 */
    assert_non_null(strstr(j, "{\"month\":2,\"admitted\":0,\"ceremonies\":1}")); /* k2 */
    assert_non_null(strstr(j, "{\"month\":3,\"admitted\":1,\"ceremonies\":0}")); /* k1 */
    assert_non_null(strstr(j, "{\"month\":5,\"admitted\":0,\"ceremonies\":0}")); /* k7 deleted */
    assert_non_null(strstr(j, "{\"month\":6,\"admitted\":1,\"ceremonies\":0}")); /* k4 */
    assert_non_null(strstr(j, "{\"month\":7,\"admitted\":0,\"ceremonies\":0}"));
    assert_non_null(strstr(j, "{\"month\":8,\"admitted\":null,\"ceremonies\":null}"));
    /* The chart: H is behind the year's pace (3 of 5 expected), C units are too deep. */
    assert_non_null(strstr(j, "\"tone\":\"behind\""));
    free(j);

    /*
     * As of 31 March only what was decided by then counts: k4's decision of
     * June is not an admission yet.
     */
    p.today = cs_date_from_civil((struct cs_date){2025, 3, 31});
    j = render(CS_REPORT_TARGETS, CS_REPORT_JSON, &p);
    CHECK(j, "units", "unit", "C1", "admitted", "2");
    CHECK(j, "units", "unit", "C3", "admitted", "0");
    CHECK(j, "units", "unit", "C3", "non_state_admitted", "0");
    CHECK(j, "units", "unit", "H", "admitted", "2");
    free(j);
    p = params();

    /* A past year is all gone by: expected = the target. */
    p.year = 2024;
    j = render(CS_REPORT_TARGETS, CS_REPORT_JSON, &p);
    CHECK(j, "units", "unit", "C1", "target", "9");
    CHECK(j, "units", "unit", "C1", "expected", "9.0");
    CHECK(j, "units", "unit", "C2", "admitted", "1");
    free(j);

    /* --org G1: G1 and its cells only. */
    p = params();
    p.root = "G1";
    p.root_required = 1;
    j = render(CS_REPORT_TARGETS, CS_REPORT_JSON, &p);
    assert_int_equal(rows(j, "units"), 3);
    CHECK(j, "units", "unit", "G1", "depth", "0");
    CHECK(j, "units", "unit", "H", "target", "missing");
    free(j);
    p.root = "NOPE";
    assert_int_equal(cs_report_render(reports, rep, CS_REPORT_TARGETS, CS_REPORT_JSON, &p, stderr,
                                      err, sizeof(err)),
                     CS_ENOTFOUND);
    assert_non_null(strstr(err, "NOPE"));
}

static void
test_pipeline(void **state)
{
    (void)state;
    struct cs_report_params p = params();
    char *j = render(CS_REPORT_PIPELINE, CS_REPORT_JSON, &p);

    CHECK(j, "stages", "unit", "H", "candidates", "7");
    CHECK(j, "stages", "unit", "H", "in_progress", "6");
    CHECK(j, "stages", "unit", "H", "identified", "1");
    CHECK(j, "stages", "unit", "H", "class_passed", "1");
    CHECK(j, "stages", "unit", "H", "decision", "2");
    CHECK(j, "stages", "unit", "H", "ceremony", "2");
    CHECK(j, "stages", "unit", "H", "withdrawn", "1");
    CHECK(j, "stages", "unit", "C1", "candidates", "3");
    CHECK(j, "stages", "unit", "C2", "candidates", "2");
    CHECK(j, "stages", "unit", "G1", "candidates", "5");
    CHECK(j, "stages", "unit", "G2", "decision", "1");

    CHECK(j, "sources", "source", "student", "candidates", "2");
    CHECK(j, "sources", "source", "student", "admitted", "1");
    CHECK(j, "sources", "source", "non_state_worker", "candidates", "2");
    CHECK(j, "sources", "source", "non_state_worker", "in_progress", "2");
    CHECK(j, "sources", "source", "other", "in_progress", "0");
    CHECK(j, "sources", "source", "youth_union", "admitted", "1");
    assert_int_equal(rows(j, "sources"), 5);

    /* identified: k6 31 days, k8 20 days; decision: k2 26, k3 31. */
    CHECK(j, "days", "stage", "identified", "candidates", "2");
    CHECK(j, "days", "stage", "identified", "average_days", "25.5");
    CHECK(j, "days", "stage", "identified", "min_days", "20");
    CHECK(j, "days", "stage", "identified", "max_days", "31");
    CHECK(j, "days", "stage", "helper_assigned", "average_days", "40.0");
    CHECK(j, "days", "stage", "class_passed", "candidates", "0");
    CHECK(j, "days", "stage", "class_passed", "average_days", "null");
    CHECK(j, "days", "stage", "cell_resolution", "average_days", "22.0");
    CHECK(j, "days", "stage", "grassroots_resolution", "average_days", "37.0");
    CHECK(j, "days", "stage", "decision", "average_days", "28.5");
    CHECK(j, "days", "stage", "identified", "out_of_order", "0");
    free(j);

    /*
     * As of 31 March: k4 and k5, identified later, are not candidates yet;
     * k6, withdrawn on 1 April, still had a helper; k1 had its decision.
     */
    p.today = cs_date_from_civil((struct cs_date){2025, 3, 31});
    j = render(CS_REPORT_PIPELINE, CS_REPORT_JSON, &p);
    CHECK(j, "stages", "unit", "H", "candidates", "5");
    CHECK(j, "stages", "unit", "H", "withdrawn", "0");
    CHECK(j, "stages", "unit", "H", "helper_assigned", "1");
    CHECK(j, "stages", "unit", "H", "decision", "1");
    CHECK(j, "stages", "unit", "C3", "candidates", "0");
    /* k1's decision of 10 March is counted; k6's withdrawal is not a span yet. */
    CHECK(j, "days", "stage", "grassroots_resolution", "candidates", "1");
    CHECK(j, "sources", "source", "student", "candidates", "1");
    free(j);
    p = params();

    /* CSV of one section: its columns as the header, the rows as they are. */
    p.section = "sources";
    char *c = render(CS_REPORT_PIPELINE, CS_REPORT_CSV, &p);
    assert_non_null(strstr(c, "source,candidates,in_progress,admitted\r\n"));
    assert_int_equal(count(c, "\r\n"), 6);
    free(c);
    p.section = "nope";
    FILE *devnull = fopen("/dev/null", "w");
    assert_int_equal(cs_report_render(reports, rep, CS_REPORT_PIPELINE, CS_REPORT_CSV, &p, devnull,
                                      err, sizeof(err)),
                     CS_EINVAL);
    assert_non_null(strstr(err, "stages, sources, days"));
    fclose(devnull);
}

static void
test_due(void **state)
{
    (void)state;
    struct cs_report_params p = params();
    char *j = render(CS_REPORT_DUE, CS_REPORT_JSON, &p), want[16], date[CS_DATE_BUFSZ];
    int32_t k1_due, k4_due;

    /* k1's ceremony: 30 working days from 2025-03-10 (30/4 and 1/5 are holidays): overdue. */
    cs_date_parse("2025-03-10", &k1_due, NULL, 0);
    k1_due = cs_date_add_working_days(NULL, k1_due, 30);
    cs_date_parse("2025-06-01", &k4_due, NULL, 0);
    k4_due = cs_date_add_working_days(NULL, k4_due, 30);
    assert_true(k1_due < today && k4_due >= today && k4_due <= today + 60);

    /* Listed: overdue and due within 60 days; the others only counted. */
    assert_int_equal(rows(j, "deadlines"), 2);
    CHECK(j, "deadlines", "name", "Nguyễn Văn Một", "cell", "C1");
    CHECK(j, "deadlines", "name", "Nguyễn Văn Một", "deadline", "ceremony");
    CHECK(j, "deadlines", "name", "Nguyễn Văn Một", "due", cs_date_format(k1_due, date));
    snprintf(want, sizeof(want), "%d", k1_due - today);
    CHECK(j, "deadlines", "name", "Nguyễn Văn Một", "days_left", want);
    CHECK(j, "deadlines", "name", "Nguyễn Văn Một", "status", "overdue");
    CHECK(j, "deadlines", "name", "Phạm Thị Bốn", "cell", "C3");
    CHECK(j, "deadlines", "name", "Phạm Thị Bốn", "status", "upcoming");
    snprintf(want, sizeof(want), "%d", k4_due - today);
    CHECK(j, "deadlines", "name", "Phạm Thị Bốn", "days_left", want);
    /* Later: k2 and k3 probation end and conversion, k8's certificate. */
    CHECK(j, "units", "unit", "H", "overdue", "1");
    CHECK(j, "units", "unit", "H", "upcoming", "1");
    CHECK(j, "units", "unit", "H", "later", "5");
    CHECK(j, "units", "unit", "G1", "overdue", "1");
    CHECK(j, "units", "unit", "G1", "later", "5");
    CHECK(j, "units", "unit", "C3", "upcoming", "1");
    free(j);

    /* A holiday in k4's 30 working days puts its deadline a working day later. */
    struct cs_date_holidays *h;
    int32_t extra;
    assert_int_equal(cs_date_holidays_new(&h), 0);
    cs_date_parse("2025-06-02", &extra, NULL, 0);
    assert_int_equal(cs_date_holidays_add(h, extra), 0);
    p.hol = h;
    j = render(CS_REPORT_DUE, CS_REPORT_JSON, &p);
    int32_t shifted;
    cs_date_parse("2025-06-01", &shifted, NULL, 0);
    shifted = cs_date_add_working_days(h, shifted, 30);
    assert_true(shifted > k4_due);
    CHECK(j, "deadlines", "name", "Phạm Thị Bốn", "due", cs_date_format(shifted, date));
    free(j);
    cs_date_holidays_free(h);
}

static void
test_members(void **state)
{
    (void)state;
    struct cs_report_params p = params();
    char *j = render(CS_REPORT_MEMBERS, CS_REPORT_JSON, &p);

    CHECK(j, "status", "unit", "H", "records", "7");
    CHECK(j, "status", "unit", "H", "members", "5");
    CHECK(j, "status", "unit", "H", "probationary", "1");
    CHECK(j, "status", "unit", "H", "official", "4");
    CHECK(j, "status", "unit", "H", "transferred_out", "1");
    CHECK(j, "status", "unit", "H", "deceased", "1");
    CHECK(j, "status", "unit", "H", "struck_off", "0");
    CHECK(j, "status", "unit", "C2", "records", "3");
    CHECK(j, "status", "unit", "C2", "members", "1");

    /* Ages 34, 65, 25, 48 and one unknown: average 43.0, two of four under 35. */
    CHECK(j, "age", "unit", "H", "members", "5");
    CHECK(j, "age", "unit", "H", "under_30", "1");
    CHECK(j, "age", "unit", "H", "age_30_45", "1");
    CHECK(j, "age", "unit", "H", "age_46_60", "1");
    CHECK(j, "age", "unit", "H", "over_60", "1");
    CHECK(j, "age", "unit", "H", "unknown", "1");
    CHECK(j, "age", "unit", "H", "average_age", "43.0");
    CHECK(j, "age", "unit", "H", "under_35_pct", "50.0");
    CHECK(j, "age", "unit", "C1", "average_age", "41.3");

    /* Party years 10, 40, 0, 25 (from the decision: no ceremony date) and 5 (exactly). */
    CHECK(j, "party_age", "unit", "H", "under_5", "1");
    CHECK(j, "party_age", "unit", "H", "years_5_9", "1");
    CHECK(j, "party_age", "unit", "H", "years_10_19", "1");
    CHECK(j, "party_age", "unit", "H", "years_20_29", "1");
    CHECK(j, "party_age", "unit", "H", "years_30_plus", "1");
    CHECK(j, "party_age", "unit", "H", "average_years", "16.0");

    /* 2025: 1 excellent, 3 good, 1 complete. Cap: floor(20% of 4) = 0, so 1 over it. */
    CHECK(j, "ratings", "unit", "H", "rated", "5");
    CHECK(j, "ratings", "unit", "H", "excellent", "1");
    CHECK(j, "ratings", "unit", "H", "good", "3");
    CHECK(j, "ratings", "unit", "H", "complete", "1");
    CHECK(j, "ratings", "unit", "H", "excellent_pct", "20.0");
    CHECK(j, "ratings", "unit", "H", "excellent_share", "25.0");
    CHECK(j, "ratings", "unit", "H", "excellent_cap", "0");
    CHECK(j, "ratings", "unit", "H", "over_cap", "1");
    CHECK(j, "ratings", "unit", "G2", "rated", "1");
    CHECK(j, "ratings", "unit", "G2", "excellent_share", "null");
    free(j);
}

/* The hub's tables as daemon/hub.c makes them (the columns the report reads). */
static void
make_hub_tables(void)
{
    sqlite3 *db = cs_replica_db(rep);
    uint64_t seq = cs_replica_seq(rep);
    char sql[1024];
    int64_t now = (int64_t)today * 86400 + 3600;
    snprintf(sql, sizeof(sql),
             "CREATE TABLE hub_device (id BLOB PRIMARY KEY, pk BLOB NOT NULL,"
             " org TEXT NOT NULL, role TEXT NOT NULL, name TEXT, enrolled_at INTEGER,"
             " last_contact INTEGER, revoked_at INTEGER, up_seq INTEGER NOT NULL DEFAULT 0,"
             " down_seq INTEGER NOT NULL DEFAULT 0);"
             "CREATE TABLE hub_refused (id INTEGER PRIMARY KEY, at INTEGER, device BLOB,"
             " tbl TEXT, row BLOB, col TEXT, hlc INTEGER, origin BLOB, val, reason TEXT);"
             "INSERT INTO hub_device (id, pk, org, role, name, last_contact, down_seq) VALUES"
             " (x'AA000000000000000000000000000001', x'00', 'C1', 'cell', 'd1', %lld, %llu),"
             " (x'BB000000000000000000000000000002', x'00', 'G2', 'committee', 'd2', NULL, 0),"
             " (x'CC000000000000000000000000000003', x'00', 'C3', 'cell', 'd3', %lld, %llu);"
             "UPDATE hub_device SET revoked_at = %lld WHERE name = 'd3';"
             "INSERT INTO hub_refused (device, reason) VALUES"
             " (x'AA000000000000000000000000000001', 'r1'),"
             " (x'AA000000000000000000000000000001', 'r2');",
             (long long)(now - 2 * 86400), (unsigned long long)(seq - 5),
             (long long)(now - 40 * 86400), (unsigned long long)seq, (long long)now);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

/* A device's concurrent edit of k8's phone (in C1): one open conflict. */
static void
make_conflict(void)
{
    struct cs_changeset *cs;
    struct cs_changeset_header hd = {.version = CS_CHANGESET_FORMAT, .schema = 1};
    struct cs_change c = {.table = "candidate", .column = "phone", .cl = 1};
    cs_id_derive(&hd.origin, "test_report:device");
    cs_id_derive(&c.row, "test_report:candidate:k8");
    c.origin = hd.origin;
    c.value = (struct cs_value){.type = CS_VTEXT, .p = "0911111111", .n = 10};
    c.hlc = cs_replica_now(rep) + 1;
    assert_int_equal(cs_changeset_new(&cs, &hd), 0);
    assert_int_equal(cs_changeset_add(cs, &c), 0);
    cs_changeset_set_seq(cs, 1, 1);
    assert_int_equal(cs_replica_apply(rep, cs, NULL, NULL, err, sizeof(err)), 0);
    cs_changeset_free(cs);
    uint64_t n;
    assert_int_equal(cs_replica_conflict_count(rep, &n), 0);
    assert_int_equal(n, 1);
}

/* sync_pending() where no hub is: NULL. */
static void
no_pending(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3_result_null(ctx);
}

static void
test_sync(void **state)
{
    (void)state;
    struct cs_report_params p = params();
    FILE *devnull = fopen("/dev/null", "w");

    struct cs_report *hub;
    enum cs_report_kind sync, again;

    /* A field device's reports: no sync report, and 'all' leaves it out. */
    assert_int_equal(cs_report_kind_from_name(reports, "sync"), -1);
    assert_int_equal(cs_report_render(reports, rep, CS_REPORT__BUILTIN, CS_REPORT_JSON, &p, devnull,
                                      err, sizeof(err)),
                     CS_EINVAL);
    fclose(devnull);
    char *h = render(CS_REPORT_ALL, CS_REPORT_HTML, &p);
    assert_int_equal(count(h, "<svg"), 5);
    free(h);

    /* The hub's: cellsyncd registers the sync report, once. */
    make_conflict();
    make_hub_tables();
    assert_int_equal(cs_report_new(&hub), 0);
    assert_int_equal(cs_report_register(hub, &report_sync, &sync), 0);
    assert_int_equal(sync, CS_REPORT__BUILTIN);
    assert_string_equal(cs_report_kind_name(hub, sync), "sync");
    assert_int_equal(cs_report_kind_from_name(hub, "sync"), sync);
    assert_int_equal(cs_report_register(hub, &report_sync, &again), CS_EINVAL);
    /*
     * pending is sync_pending(id), the hub's own downstream filter on a live hub
     * (report_sync_functions(), checked by cli_report_pending and cli_reports); these
     * tables are made by hand without a hub, so here the function has nothing to say.
     */
    assert_int_equal(sqlite3_create_function(cs_replica_db(rep), "sync_pending", 1, SQLITE_UTF8,
                                             NULL, no_pending, NULL, NULL),
                     SQLITE_OK);
    char *j = render_with(hub, sync, CS_REPORT_JSON, &p), want[32];
    assert_int_equal(rows(j, "devices"), 3);
    CHECK(j, "devices", "name", "d1", "unit", "C1");
    CHECK(j, "devices", "name", "d1", "days_since", "2");
    CHECK(j, "devices", "name", "d1", "pending", "null");
    snprintf(want, sizeof(want), "%llu", (unsigned long long)cs_replica_seq(rep));
    CHECK(j, "devices", "name", "d1", "hub_seq", want);
    CHECK(j, "devices", "name", "d1", "conflicts", "1");
    CHECK(j, "devices", "name", "d1", "refusals", "2");
    CHECK(j, "devices", "name", "d1", "revoked", "null");
    /* d2 has never synced; G2's subtree has no conflict. */
    CHECK(j, "devices", "name", "d2", "last_contact", "null");
    CHECK(j, "devices", "name", "d2", "conflicts", "0");
    CHECK(j, "devices", "name", "d3", "revoked", "2025-07-02");
    CHECK(j, "devices", "name", "d1", "device", "00000001"); /* the last 8 digits, as everywhere */
    free(j);

    /* --org G1: only d1. */
    p.root = "G1";
    j = render_with(hub, sync, CS_REPORT_JSON, &p);
    assert_int_equal(rows(j, "devices"), 1);
    free(j);
    p.root = NULL;
    h = render_with(hub, CS_REPORT_ALL, CS_REPORT_HTML, &p);
    assert_int_equal(count(h, "<svg"), 6);
    free(h);
    cs_report_free(hub);
}

static void
test_formats(void **state)
{
    (void)state;
    struct cs_report_params p = params();

    /* CSV: one header and a row per unit; quotes doubled, commas quoted. */
    char *c = render(CS_REPORT_TARGETS, CS_REPORT_CSV, &p);
    assert_int_equal(count(c, "\r\n"), 7);
    assert_non_null(strstr(c, "unit,name,level,depth,target,admitted,"));
    assert_non_null(strstr(c, "C2,\"Chi bộ \"\"Đoàn, Hội\"\"\",cell,2,2,0,1,0.0,"));
    free(c);

    /* HTML: one page, every text escaped, a chart, no script, phone and print rules. */
    char *h = render(CS_REPORT_TARGETS, CS_REPORT_HTML, &p);
    assert_true(strncmp(h, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(strstr(h, "Chi bộ &lt;C3&gt; &amp; &#39;y&#39;"));
    assert_non_null(strstr(h, "Chi bộ &quot;Đoàn, Hội&quot;"));
    assert_null(strstr(h, "<C3>"));
    assert_int_equal(count(h, "<svg"), 2); /* the targets and the months */
    /* H, G1, G2 have targets: a bar each, coloured by the pace, and the target marked. */
    assert_int_equal(count(h, "<rect class=\"bar ahead\"") + count(h, "<rect class=\"bar behind\""),
                     3);
    assert_int_equal(count(h, "<line class=\"target\""), 3);
    assert_int_equal(count(h, "<line class=\"pace\""), 1);
    assert_int_equal(count(h, "<rect class=\"bar cer\""), 7); /* January to July */
    /* The Party document: letterhead, number and date line, signature block. */
    assert_non_null(strstr(h, "Communist Party of Vietnam"));
    assert_non_null(strstr(h, "No. \xe2\x80\xa6"));
    assert_non_null(strstr(h, "\xe2\x80\xa6, 02/07/2025"));
    assert_non_null(strstr(h, "SECRETARY"));
    assert_non_null(strstr(h, "Recipients:"));
    free(h);
    p.number = "7-BC/<DU>";
    p.place = "Mường Lý";
    h = render(CS_REPORT_TARGETS, CS_REPORT_HTML, &p);
    assert_non_null(strstr(h, "No. 7-BC/&lt;DU&gt;"));
    assert_non_null(strstr(h, "Mường Lý, 02/07/2025"));
    assert_non_null(strstr(h, "FOR THE PARTY COMMITTEE"));
    free(h);
    /* A cell's report: its grassroots organisation above it, and the cell signs. */
    p.root = "C1";
    h = render(CS_REPORT_TARGETS, CS_REPORT_HTML, &p);
    assert_non_null(strstr(h, "<p class=\"up sup\">Đảng bộ xã G1</p>"));
    assert_non_null(strstr(h, "FOR THE PARTY CELL"));
    assert_null(strstr(h, "FOR THE PARTY COMMITTEE"));
    p = params();
    assert_null(strstr(h, "<script"));
    /* Nothing from the network: the only address is the SVG namespace's name. */
    assert_int_equal(count(h, "http"), count(h, "http://www.w3.org/2000/svg"));
    assert_non_null(strstr(h, "name=\"viewport\""));
    assert_non_null(strstr(h, "@media print"));
    assert_non_null(strstr(h, "@page{margin"));
    free(h);

    /* Table: the title, then aligned columns with codes as labels and names indented. */
    char *t = render(CS_REPORT_MEMBERS, CS_REPORT_TABLE, &p);
    assert_non_null(strstr(t, "Members by status\nunit "));
    assert_non_null(strstr(t, "    Chi bộ thôn 1"));
    assert_non_null(strstr(t, "grassroots organisation"));
    free(t);

    /* JSON of everything: an array of the four reports this replica can make. */
    char *j = render(CS_REPORT_ALL, CS_REPORT_JSON, &p);
    assert_true(j[0] == '[');
    assert_int_equal(count(j, "\"report\":"), 4);
    free(j);

    /* CSV of everything is refused. */
    FILE *devnull = fopen("/dev/null", "w");
    assert_int_equal(
        cs_report_render(reports, rep, CS_REPORT_ALL, CS_REPORT_CSV, &p, devnull, err, sizeof(err)),
        CS_EINVAL);
    fclose(devnull);

    /* To a file: written whole, no temp file left. */
    char path[400], *want = render(CS_REPORT_PIPELINE, CS_REPORT_TABLE, &p);
    snprintf(path, sizeof(path), "%s/pipeline.txt", tmpdir);
    assert_int_equal(cs_report_write(reports, rep, CS_REPORT_PIPELINE, CS_REPORT_TABLE, &p, path,
                                     err, sizeof(err)),
                     0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char got[65536];
    size_t n = fread(got, 1, sizeof(got) - 1, f);
    got[n] = 0;
    fclose(f);
    assert_string_equal(got, want);
    free(want);

    /* Names and the SQL listing. */
    assert_int_equal(cs_report_kind_from_name(reports, "members"), CS_REPORT_MEMBERS);
    assert_int_equal(cs_report_kind_from_name(reports, "nope"), -1);
    assert_int_equal(cs_report_format_from_name("csv"), CS_REPORT_CSV);
    assert_string_equal(cs_report_kind_name(reports, CS_REPORT_ALL), "all");
    char list[128];
    assert_int_equal(cs_report_has_section(reports, CS_REPORT_DUE, "units", list, sizeof(list)), 1);
    assert_string_equal(list, "deadlines, units");
    assert_int_equal(cs_report_has_section(reports, CS_REPORT_DUE, "chart", NULL, 0), 0);
}

static int
setup(void **state)
{
    (void)state;
    struct cs_id site;
    if (cs_init() != 0 || mkdtemp(tmpdir) == NULL)
        return -1;
    snprintf(dbpath, sizeof(dbpath), "%s/replica.db", tmpdir);
    cs_id_derive(&site, "test_report:site");
    if (cs_replica_open(&rep, dbpath, CS_REPLICA_CREATE, &site, err, sizeof(err)) != 0 ||
        cs_report_new(&reports) != 0)
        return -1;
    cs_date_parse("2025-07-02", &today, NULL, 0);
    build();
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    char cmd[400];
    cs_report_free(reports);
    cs_replica_close(rep);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_targets), cmocka_unit_test(test_pipeline),
        cmocka_unit_test(test_due),     cmocka_unit_test(test_members),
        cmocka_unit_test(test_formats), cmocka_unit_test(test_sync),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
