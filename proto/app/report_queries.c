/* SPDX-License-Identifier: MIT */
/*
 * The named queries behind every number of the reports (cellsync/report.h),
 * in one table. docs/REPORTS.md explains each column and carries this very
 * SQL (the test cli_reports checks that it still does), so keep the two in
 * step: change a query here, then run `cellsyncd report all --sql` and
 * paste its output into the appendix of docs/REPORTS.md.
 *
 * Conventions, so each query stands on its own in the sqlite3 shell:
 *  - Parameters: :root (an org code; NULL: every tree the replica knows),
 *    :year (an integer) and :today ('YYYY-MM-DD').
 *  - CS_REPORT_UNITS (cellsync/report.h) opens each query: the units of
 *    the subtree (unit, with depth and a path that sorts parents before
 *    children) and its closure (tree: each unit with itself and every unit
 *    below it). A unit's row counts its
 *    whole subtree: a grassroots organisation's admissions include its
 *    cells'. Live rows only (cl odd).
 *  - A date is in the year when its first four characters are the year:
 *    dates are stored as ISO text (cellsync/schema.h).
 *  - As of :today: every count uses only the steps dated on or before it,
 *    so a report as of an earlier day shows that day (a decision of April
 *    is not an admission as of 31 March); a candidate's stage is the last
 *    one reached by then (STAGE_AS_OF).
 *  - label(list, code) translates a code (cellsync/codes.h); short_id(id)
 *    is the id as lists show it.
 * The recursion stops 32 levels down, so an org tree edited into a cycle
 * still ends.
 */
#include <stddef.h>

#include "cellsync/i18n.h"
#include "cellsync/report.h"
#include "internal.h"
#include "report_internal.h"

/* The SQL is laid out for `--sql` and the docs, not for clang-format. */
/* clang-format off */

/* The first columns of every per-unit section. */
#define UNIT_COLS "SELECT u.code AS unit, u.name AS name, u.level AS level, u.depth AS depth,\n"
#define IN_YEAR(col) "(substr(" col ", 1, 4) = printf('%04d', :year) AND " col " <= :today)"

/* ---- targets ---- */

/*
 * share: the part of the year gone by today, day 1 = 1 January, clamped to
 * 0..1 (a past year is over, a future one has not begun).
 */
#define TARGETS_SQL                                                                                \
    CS_REPORT_UNITS ",\n"                                                                          \
    "share(part) AS (\n"                                                                           \
    "  SELECT max(0.0, min(1.0,\n"                                                                 \
    "         (julianday(:today) - julianday(printf('%04d-01-01', :year)) + 1)\n"                  \
    "         / (julianday(printf('%04d-01-01', :year + 1))\n"                                     \
    "            - julianday(printf('%04d-01-01', :year)))))),\n"                                  \
    "per(code, admitted, ceremonies, students, non_state) AS (\n"                                  \
    "  SELECT org_unit,\n"                                                                         \
    "         sum(" IN_YEAR("decision_on") "),\n"                                                  \
    "         sum(" IN_YEAR("ceremony_on") "),\n"                                                  \
    "         sum(" IN_YEAR("decision_on") " AND source = 'student'),\n"                           \
    "         sum(" IN_YEAR("decision_on") " AND source = 'non_state_worker')\n"                   \
    "    FROM candidate WHERE cl % 2 = 1 GROUP BY org_unit),\n"                                    \
    "agg(code, admitted, ceremonies, students, non_state) AS (\n"                                  \
    "  SELECT t.anc, sum(p.admitted), sum(p.ceremonies), sum(p.students), sum(p.non_state)\n"      \
    "    FROM tree t JOIN per p ON p.code = t.code GROUP BY t.anc),\n"                             \
    "goal(code, admissions, students, non_state) AS (\n"                                           \
    "  SELECT org_unit, max(admissions), max(students), max(non_state_workers)\n"                  \
    "    FROM target WHERE cl % 2 = 1 AND year = :year GROUP BY org_unit)\n"                       \
    UNIT_COLS                                                                                      \
    "       g.admissions AS target,\n"                                                             \
    "       coalesce(a.admitted, 0) AS admitted,\n"                                                \
    "       coalesce(a.ceremonies, 0) AS ceremonies,\n"                                            \
    "       round(100.0 * coalesce(a.admitted, 0) / nullif(g.admissions, 0), 1)"                   \
    " AS achieved_pct,\n"                                                                          \
    "       round(g.admissions * s.part, 1) AS expected,\n"                                        \
    "       round(100.0 * coalesce(a.admitted, 0) / nullif(g.admissions * s.part, 0), 1)"          \
    " AS pace_pct,\n"                                                                              \
    "       g.students AS students_target,\n"                                                      \
    "       coalesce(a.students, 0) AS students_admitted,\n"                                       \
    "       round(100.0 * coalesce(a.students, 0) / nullif(g.students, 0), 1)"                     \
    " AS students_pct,\n"                                                                          \
    "       g.non_state AS non_state_target,\n"                                                    \
    "       coalesce(a.non_state, 0) AS non_state_admitted,\n"                                     \
    "       round(100.0 * coalesce(a.non_state, 0) / nullif(g.non_state, 0), 1)"                   \
    " AS non_state_pct\n"                                                                          \
    "  FROM unit u CROSS JOIN share s\n"                                                           \
    "  LEFT JOIN agg a ON a.code = u.code\n"                                                       \
    "  LEFT JOIN goal g ON g.code = u.code\n"                                                      \
    " ORDER BY u.path"


/*
 * The root and the units right under it. On the scale of % achieved: the
 * bar, the target (100) and the mark (the share of the year gone by);
 * tone: ahead of that pace, behind it, or no target.
 */
static const char targets_chart_sql[] =
    "SELECT coalesce(name, unit) AS label, achieved_pct AS value,\n"
    "       round(100.0 * expected / target, 1) AS mark,\n"
    "       admitted || ' / ' || coalesce(target, '-')\n"
    "       || coalesce(' (' || achieved_pct || '%)', '') AS note,\n"
    "       CASE WHEN target > 0 THEN 100.0 END AS target,\n"
    "       CASE WHEN coalesce(target, 0) = 0 THEN 'no_target'\n"
    "            WHEN admitted >= expected THEN 'ahead' ELSE 'behind' END AS tone\n"
    "  FROM (\n" TARGETS_SQL ")\n"
    " WHERE depth <= 1";

/*
 * Decisions and ceremonies of the subtree in each month of the year, by
 * :today; a month that has not begun by :today is NULL, not 0.
 */
static const char targets_months_sql[] =
    CS_REPORT_UNITS ",\n"
    "months(month) AS (\n"
    "  SELECT 1 UNION ALL SELECT month + 1 FROM months WHERE month < 12),\n"
    "k AS (\n"
    "  SELECT decision_on, ceremony_on FROM candidate\n"
    "   WHERE cl % 2 = 1 AND org_unit IN (SELECT code FROM unit))\n"
    "SELECT m.month AS month,\n"
    "       CASE WHEN printf('%04d-%02d-01', :year, m.month) <= :today THEN\n"
    "         (SELECT count(*) FROM k WHERE " IN_YEAR("decision_on") "\n"
    "             AND CAST(substr(decision_on, 6, 2) AS INTEGER) = m.month) END"
    " AS admitted,\n"
    "       CASE WHEN printf('%04d-%02d-01', :year, m.month) <= :today THEN\n"
    "         (SELECT count(*) FROM k WHERE " IN_YEAR("ceremony_on") "\n"
    "             AND CAST(substr(ceremony_on, 6, 2) AS INTEGER) = m.month) END"
    " AS ceremonies\n"
    "  FROM months m ORDER BY m.month";

/* ---- pipeline ---- */

/*
 * A candidate's stage as of :today: the furthest stage whose date is on or
 * before it (withdrawal first: it ends any stage); NULL for a candidate
 * identified after it, who is left out. A record with no step dated at all
 * (older data) keeps its stage.
 */
#define STAGE_AS_OF(k)                                                                             \
    "CASE WHEN " k "withdrawn_on <= :today THEN 'withdrawn'\n"                                     \
    "            WHEN " k "official_on <= :today THEN 'official'\n"                                \
    "            WHEN " k "ceremony_on <= :today THEN 'ceremony'\n"                                \
    "            WHEN " k "decision_on <= :today THEN 'decision'\n"                                \
    "            WHEN " k "grassroots_resolution_on <= :today THEN 'grassroots_resolution'\n"      \
    "            WHEN " k "cell_resolution_on <= :today THEN 'cell_resolution'\n"                  \
    "            WHEN " k "verified_on <= :today THEN 'biography_verified'\n"                      \
    "            WHEN " k "applied_on <= :today THEN 'applied'\n"                                  \
    "            WHEN " k "class_on <= :today THEN 'class_passed'\n"                               \
    "            WHEN " k "helper_on <= :today THEN 'helper_assigned'\n"                           \
    "            WHEN " k "identified_on <= :today THEN 'identified'\n"                            \
    "            WHEN coalesce(" k "identified_on, " k "helper_on, " k "class_on, " k "applied_on,\n" \
    "                          " k "verified_on, " k "cell_resolution_on,\n"                      \
    "                          " k "grassroots_resolution_on, " k "decision_on, " k "ceremony_on,\n" \
    "                          " k "official_on, " k "withdrawn_on) IS NULL\n"                     \
    "            THEN coalesce(" k "stage, 'identified') END"

#define STAGE_COL(code) "       coalesce(sum(a.n) FILTER (WHERE a.stage = '" code "'), 0) AS " code

static const char pipeline_stages_sql[] =
    CS_REPORT_UNITS ",\n"
    "per(code, stage, n) AS (\n"
    "  SELECT org_unit, stage, count(*) FROM (\n"
    "    SELECT org_unit, " STAGE_AS_OF("") " AS stage\n"
    "      FROM candidate WHERE cl % 2 = 1)\n"
    "   WHERE stage IS NOT NULL GROUP BY 1, 2),\n"
    "agg(code, stage, n) AS (\n"
    "  SELECT t.anc, p.stage, sum(p.n) FROM tree t JOIN per p ON p.code = t.code\n"
    "   GROUP BY 1, 2)\n"
    UNIT_COLS
    "       coalesce(sum(a.n), 0) AS candidates,\n"
    "       coalesce(sum(a.n) FILTER (WHERE a.stage NOT IN ('official', 'withdrawn')), 0)"
    " AS in_progress,\n"
    STAGE_COL("identified") ",\n"
    STAGE_COL("helper_assigned") ",\n"
    STAGE_COL("class_passed") ",\n"
    STAGE_COL("applied") ",\n"
    STAGE_COL("biography_verified") ",\n"
    STAGE_COL("cell_resolution") ",\n"
    STAGE_COL("grassroots_resolution") ",\n"
    STAGE_COL("decision") ",\n"
    STAGE_COL("ceremony") ",\n"
    STAGE_COL("official") ",\n"
    STAGE_COL("withdrawn") "\n"
    "  FROM unit u LEFT JOIN agg a ON a.code = u.code\n"
    " GROUP BY u.path ORDER BY u.path";


/*
 * The candidates of the subtree identified by :today: the units' own
 * candidates, once each, with their stage as of :today.
 */
#define SUBTREE_CANDIDATES                                                                         \
    "k AS (\n"                                                                                     \
    "  SELECT * FROM (\n"                                                                          \
    "    SELECT c.*, " STAGE_AS_OF("c.") " AS as_of_stage\n"                                      \
    "      FROM candidate c\n"                                                                     \
    "     WHERE c.cl % 2 = 1 AND c.org_unit IN (SELECT code FROM unit))\n"                         \
    "   WHERE as_of_stage IS NOT NULL)"

static const char pipeline_sources_sql[] =
    CS_REPORT_UNITS ",\n" SUBTREE_CANDIDATES "\n"
          "SELECT coalesce(source, '') AS source, count(*) AS candidates,\n"
          "       sum(as_of_stage NOT IN ('official', 'withdrawn'))"
          " AS in_progress,\n"
          "       sum(" IN_YEAR("decision_on") ") AS admitted\n"
          "  FROM k GROUP BY 1 ORDER BY candidates DESC, source";


#define SPAN(ord, stage, from, to)                                                                 \
    "  SELECT " #ord ", '" stage "', CASE WHEN " to " <= :today\n"                                 \
    "         THEN julianday(" to ") - julianday(" from ") END FROM k"

/*
 * Days from reaching a stage to reaching the next, where both dates are
 * recorded by :today. A step dated before the one before it (a paper
 * record entered in the wrong order, or an exception) has no sensible
 * duration: it is left out of the figures and counted in out_of_order, so
 * no duration shown is ever negative and none is hidden.
 */
static const char pipeline_days_sql[] =
    CS_REPORT_UNITS ",\n"
    SUBTREE_CANDIDATES ",\n"
    "span(ord, stage, days) AS (\n"
    SPAN(1, "identified", "identified_on", "helper_on") "\n  UNION ALL\n"
    SPAN(2, "helper_assigned", "helper_on", "class_on") "\n  UNION ALL\n"
    SPAN(3, "class_passed", "class_on", "applied_on") "\n  UNION ALL\n"
    SPAN(4, "applied", "applied_on", "verified_on") "\n  UNION ALL\n"
    SPAN(5, "biography_verified", "verified_on", "cell_resolution_on") "\n  UNION ALL\n"
    SPAN(6, "cell_resolution", "cell_resolution_on", "grassroots_resolution_on")
    "\n  UNION ALL\n"
    SPAN(7, "grassroots_resolution", "grassroots_resolution_on", "decision_on")
    "\n  UNION ALL\n"
    SPAN(8, "decision", "decision_on", "ceremony_on") "\n  UNION ALL\n"
    SPAN(9, "ceremony", "ceremony_on", "official_on") ")\n"
    "SELECT stage, count(days) FILTER (WHERE days >= 0) AS candidates,\n"
    "       round(avg(days) FILTER (WHERE days >= 0), 1) AS average_days,\n"
    "       CAST(min(days) FILTER (WHERE days >= 0) AS INTEGER) AS min_days,\n"
    "       CAST(max(days) FILTER (WHERE days >= 0) AS INTEGER) AS max_days,\n"
    "       count(days) FILTER (WHERE days < 0) AS out_of_order\n"
    "  FROM span GROUP BY ord ORDER BY ord";


#define STAGE_LIST                                                                                 \
    "stages(ord, stage) AS (VALUES (1, 'identified'), (2, 'helper_assigned'),\n"                   \
    "  (3, 'class_passed'), (4, 'applied'), (5, 'biography_verified'), (6, 'cell_resolution'),\n"  \
    "  (7, 'grassroots_resolution'), (8, 'decision'), (9, 'ceremony'), (10, 'official'),\n"        \
    "  (11, 'withdrawn'))"

static const char pipeline_chart_sql[] =
    CS_REPORT_UNITS ",\n" SUBTREE_CANDIDATES ",\n" STAGE_LIST "\n"
          "SELECT label('stage', s.stage) AS label,\n"
          "       (SELECT count(*) FROM k WHERE k.as_of_stage = s.stage)"
          " AS value,\n"
          "       NULL AS mark, NULL AS note,\n"
          "       CASE WHEN s.stage <> 'withdrawn' THEN\n"
          "         (SELECT count(*) FROM k JOIN stages t ON t.stage = k.as_of_stage\n"
          "           WHERE t.ord >= s.ord AND t.stage <> 'withdrawn') END AS reached\n"
          "  FROM stages s ORDER BY s.ord";

/* ---- due ---- */

/*
 * temp.due_rows holds every deadline of every candidate in progress
 * (cs_candidate_due_fill(): the rules, with working days and holidays).
 * Upcoming: due within 60 days, the next two monthly meetings of the cell,
 * which must plan for it; later ones (a class certificate valid for five
 * years) are counted, not listed.
 */
#define DUE_STATUS                                                                                 \
    "CASE WHEN d.days_left < 0 THEN 'overdue' WHEN d.days_left <= 60 THEN 'upcoming'"              \
    " ELSE 'later' END"

static const char due_deadlines_sql[] =
    CS_REPORT_UNITS "\n"
    "SELECT d.org_unit AS cell, u.name AS cell_name, short_id(d.candidate) AS candidate,\n"
    "       d.name AS name, d.kind AS deadline, d.due AS due, d.days_left AS days_left,\n"
    "       " DUE_STATUS " AS status\n"
    "  FROM temp.due_rows d JOIN unit u ON u.code = d.org_unit\n"
    " WHERE d.days_left <= 60\n"
    " ORDER BY u.path, d.due, d.name COLLATE vi_name, d.candidate, d.kind";


static const char due_units_sql[] =
    CS_REPORT_UNITS ",\n"
    "per(code, overdue, upcoming, later) AS (\n"
    "  SELECT org_unit, sum(days_left < 0), sum(days_left BETWEEN 0 AND 60),"
    " sum(days_left > 60)\n"
    "    FROM temp.due_rows GROUP BY org_unit),\n"
    "agg(code, overdue, upcoming, later) AS (\n"
    "  SELECT t.anc, sum(p.overdue), sum(p.upcoming), sum(p.later)\n"
    "    FROM tree t JOIN per p ON p.code = t.code GROUP BY t.anc)\n"
    UNIT_COLS
    "       coalesce(a.overdue, 0) AS overdue,\n"
    "       coalesce(a.upcoming, 0) AS upcoming,\n"
    "       coalesce(a.later, 0) AS later\n"
    "  FROM unit u LEFT JOIN agg a ON a.code = u.code\n"
    " ORDER BY u.path";


static const char due_chart_sql[] =
    CS_REPORT_UNITS ",\n"
    "kinds(ord, kind) AS (VALUES (1, 'certificate_expiry'), (2, 'decision'),\n"
    "  (3, 'ceremony'), (4, 'probation_end'), (5, 'conversion')),\n"
    "d AS (SELECT * FROM temp.due_rows WHERE org_unit IN (SELECT code FROM unit))\n"
    "SELECT label('due_kind', s.kind) AS label,\n"
    "       (SELECT count(*) FROM d WHERE d.kind = s.kind AND d.days_left < 0) AS value,\n"
    "       NULL AS mark,\n"
    "       (SELECT count(*) FROM d WHERE d.kind = s.kind AND d.days_left < 0) || ' / ' ||\n"
    "       (SELECT count(*) FROM d WHERE d.kind = s.kind AND d.days_left BETWEEN 0 AND 60)\n"
    "       AS note\n"
    "  FROM kinds s ORDER BY s.ord";

/* ---- members ---- */

/*
 * A member by :today: admitted (the ceremony, or the decision where no
 * ceremony date is recorded) on or before it, or with no admission date
 * (older records). Their status as of :today: an official member whose
 * official date is later was still probationary. Leaving (transfers, being
 * struck off, death) carries no date here: the status recorded counts.
 */
#define MEMBER_BY_TODAY "coalesce(ceremony_on, decision_on, '') <= :today"
#define STATUS_AS_OF                                                                               \
    "CASE WHEN status = 'official' AND official_on > :today THEN 'probationary'"                   \
    " ELSE coalesce(status, '') END"
/* Current members: probationary and official (not transferred out, struck off or dead). */
#define CURRENT "status IN ('probationary', 'official') AND " MEMBER_BY_TODAY

/* Whole years from an ISO date column to :today; NULL if the column is not a date. */
#define YEARS_TO_TODAY(col)                                                                        \
    "CASE WHEN " col " GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' THEN\n"                  \
    "           CAST(substr(:today, 1, 4) AS INTEGER) - CAST(substr(" col ", 1, 4) AS INTEGER)\n"  \
    "           - (substr(:today, 6, 5) < substr(" col ", 6, 5)) END"

#define STATUS_COL(code)                                                                           \
    "       coalesce(sum(a.n) FILTER (WHERE a.status = '" code "'), 0) AS " code

static const char members_status_sql[] =
    CS_REPORT_UNITS ",\n"
    "per(code, status, n) AS (\n"
    "  SELECT org_unit, " STATUS_AS_OF ", count(*)\n"
    "    FROM member WHERE cl % 2 = 1 AND " MEMBER_BY_TODAY " GROUP BY 1, 2),\n"
    "agg(code, status, n) AS (\n"
    "  SELECT t.anc, p.status, sum(p.n) FROM tree t JOIN per p ON p.code = t.code\n"
    "   GROUP BY 1, 2)\n"
    UNIT_COLS
    "       coalesce(sum(a.n), 0) AS records,\n"
    "       coalesce(sum(a.n) FILTER (WHERE a.status IN ('probationary', 'official')), 0)"
    " AS members,\n"
    STATUS_COL("probationary") ",\n"
    STATUS_COL("official") ",\n"
    STATUS_COL("transferred_out") ",\n"
    STATUS_COL("struck_off") ",\n"
    STATUS_COL("deceased") "\n"
    "  FROM unit u LEFT JOIN agg a ON a.code = u.code\n"
    " GROUP BY u.path ORDER BY u.path";


static const char members_age_sql[] =
    CS_REPORT_UNITS ",\n"
    "m(code, age) AS (\n"
    "  SELECT org_unit, " YEARS_TO_TODAY("birth_date") "\n"
    "    FROM member WHERE cl % 2 = 1 AND " CURRENT "),\n"
    "per(code, n, a30, a45, a60, a61, unknown, years, known, u35) AS (\n"
    "  SELECT code, count(*), sum(age < 30), sum(age BETWEEN 30 AND 45),\n"
    "         sum(age BETWEEN 46 AND 60), sum(age > 60), sum(age IS NULL),\n"
    "         sum(age), count(age), sum(age < 35)\n"
    "    FROM m GROUP BY code),\n"
    "agg(code, n, a30, a45, a60, a61, unknown, years, known, u35) AS (\n"
    "  SELECT t.anc, sum(p.n), sum(p.a30), sum(p.a45), sum(p.a60), sum(p.a61),\n"
    "         sum(p.unknown), sum(p.years), sum(p.known), sum(p.u35)\n"
    "    FROM tree t JOIN per p ON p.code = t.code GROUP BY t.anc)\n"
    UNIT_COLS
    "       coalesce(a.n, 0) AS members,\n"
    "       coalesce(a.a30, 0) AS under_30,\n"
    "       coalesce(a.a45, 0) AS age_30_45,\n"
    "       coalesce(a.a60, 0) AS age_46_60,\n"
    "       coalesce(a.a61, 0) AS over_60,\n"
    "       coalesce(a.unknown, 0) AS unknown,\n"
    "       round(1.0 * a.years / nullif(a.known, 0), 1) AS average_age,\n"
    "       round(100.0 * a.u35 / nullif(a.known, 0), 1) AS under_35_pct\n"
    "  FROM unit u LEFT JOIN agg a ON a.code = u.code\n"
    " ORDER BY u.path";


/* Party age: from the ceremony, or the admission decision where no ceremony date is recorded. */
static const char members_party_age_sql[] =
    CS_REPORT_UNITS ",\n"
          "m(code, years) AS (\n"
          "  SELECT org_unit, " YEARS_TO_TODAY("coalesce(ceremony_on, decision_on)") "\n"
          "    FROM member WHERE cl % 2 = 1 AND " CURRENT "),\n"
          "per(code, n, y5, y10, y20, y30, y31, unknown, years, known) AS (\n"
          "  SELECT code, count(*), sum(years < 5), sum(years BETWEEN 5 AND 9),\n"
          "         sum(years BETWEEN 10 AND 19), sum(years BETWEEN 20 AND 29), sum(years >= 30),\n"
          "         sum(years IS NULL), sum(years), count(years)\n"
          "    FROM m GROUP BY code),\n"
          "agg(code, n, y5, y10, y20, y30, y31, unknown, years, known) AS (\n"
          "  SELECT t.anc, sum(p.n), sum(p.y5), sum(p.y10), sum(p.y20), sum(p.y30), sum(p.y31),\n"
          "         sum(p.unknown), sum(p.years), sum(p.known)\n"
          "    FROM tree t JOIN per p ON p.code = t.code GROUP BY t.anc)\n" UNIT_COLS
          "       coalesce(a.n, 0) AS members,\n"
          "       coalesce(a.y5, 0) AS under_5,\n"
          "       coalesce(a.y10, 0) AS years_5_9,\n"
          "       coalesce(a.y20, 0) AS years_10_19,\n"
          "       coalesce(a.y30, 0) AS years_20_29,\n"
          "       coalesce(a.y31, 0) AS years_30_plus,\n"
          "       coalesce(a.unknown, 0) AS unknown,\n"
          "       round(1.0 * a.years / nullif(a.known, 0), 1) AS average_years\n"
          "  FROM unit u LEFT JOIN agg a ON a.code = u.code\n"
          " ORDER BY u.path";


/*
 * The cap on excellent ratings. Guidance 21-HD/BTCTW (2019) caps
 * "excellent" at 20% of the members rated "good". We read "good" there as
 * "good or better" (excellent + good), the pool the excellent ones are
 * picked from: cap = floor(20% of (excellent + good)), and the share shown
 * against it is excellent / (excellent + good). Ratings of the year of live
 * members placed in the unit's subtree; one rating per member and year is
 * expected, and each live rating record counts.
 */
static const char members_ratings_sql[] =
    CS_REPORT_UNITS ",\n"
          "r(code, grade) AS (\n"
          "  SELECT m.org_unit, g.grade FROM rating g JOIN member m ON m.id = g.member\n"
          "   WHERE g.cl % 2 = 1 AND m.cl % 2 = 1 AND g.year = :year),\n"
          "per(code, n, ex, good, comp, notc) AS (\n"
          "  SELECT code, count(*), sum(grade = 'excellent'), sum(grade = 'good'),\n"
          "         sum(grade = 'complete'), sum(grade = 'not_complete')\n"
          "    FROM r GROUP BY code),\n"
          "agg(code, n, ex, good, comp, notc) AS (\n"
          "  SELECT t.anc, sum(p.n), sum(p.ex), sum(p.good), sum(p.comp), sum(p.notc)\n"
          "    FROM tree t JOIN per p ON p.code = t.code GROUP BY t.anc),\n"
          "v AS (\n"
          "  SELECT u.code, u.name, u.level, u.depth, u.path, coalesce(a.n, 0) AS n,\n"
          "         coalesce(a.ex, 0) AS ex, coalesce(a.good, 0) AS good,\n"
          "         coalesce(a.comp, 0) AS comp, coalesce(a.notc, 0) AS notc\n"
          "    FROM unit u LEFT JOIN agg a ON a.code = u.code)\n"
          "SELECT code AS unit, name, level, depth, n AS rated, ex AS excellent, good,\n"
          "       comp AS complete, notc AS not_complete,\n"
          "       round(100.0 * ex / nullif(n, 0), 2) AS excellent_pct,\n"
          "       round(100.0 * ex / nullif(ex + good, 0), 1) AS excellent_share,\n"
          "       (ex + good) * 20 / 100 AS excellent_cap,\n"
          "       max(0, ex - (ex + good) * 20 / 100) AS over_cap\n"
          "  FROM v ORDER BY path";


static const char members_chart_sql[] =
    CS_REPORT_UNITS ",\n"
          "m(age) AS (\n"
          "  SELECT " YEARS_TO_TODAY("birth_date") "\n"
          "    FROM member WHERE cl % 2 = 1 AND " CURRENT
          "\n     AND org_unit IN (SELECT code FROM unit)),\n"
          "bands(ord, band, lo, hi) AS (VALUES (1, 'under_30', 0, 29), (2, '30_45', 30, 45),\n"
          "  (3, '46_60', 46, 60), (4, 'over_60', 61, 1000))\n"
          "SELECT label('age_band', b.band) AS label, count(m.age) AS value, NULL AS mark,\n"
          "       count(m.age) || ' (' ||\n"
          "       coalesce(round(100.0 * count(m.age) / (SELECT count(age) FROM m), 1), 0)"
          " || '%)' AS note\n"
          "  FROM bands b LEFT JOIN m ON m.age BETWEEN b.lo AND b.hi\n"
          " GROUP BY b.ord ORDER BY b.ord";

/* clang-format on */

/* ---- the table ---- */

/* Column headings (N_()): one per result column of each query, "" for depth. */
#define UNIT_HEADERS N_("unit"), N_("name"), N_("level"), ""

static const char *const targets_headers[] = {
    UNIT_HEADERS,
    N_("target"),
    N_("admitted"),
    N_("ceremonies"),
    /* xgettext:no-c-format */
    N_("% achieved"),
    N_("expected"),
    /* xgettext:no-c-format */
    N_("% of pace"),
    N_("students target"),
    N_("students"),
    /* xgettext:no-c-format */
    N_("% students"),
    N_("non-state target"),
    N_("non-state"),
    /* xgettext:no-c-format */
    N_("% non-state"),
    NULL,
};

static const char *const targets_months_headers[] = {
    N_("month"),
    N_("admitted"),
    N_("ceremonies"),
    NULL,
};

static const char *const pipeline_stages_headers[] = {
    UNIT_HEADERS,
    N_("candidates"),
    N_("in progress"),
    N_("identified"),
    N_("helper"),
    N_("class"),
    NC_("stage", "applied"),
    N_("verified"),
    N_("cell res."),
    N_("grassroots res."),
    N_("decision"),
    N_("ceremony"),
    N_("official"),
    N_("withdrawn"),
    NULL,
};

static const char *const pipeline_sources_headers[] = {
    N_("source"), N_("candidates"), N_("in progress"), N_("admitted this year"), NULL,
};

static const char *const pipeline_days_headers[] = {
    N_("stage"),  N_("candidates"), N_("average days"),
    N_("fewest"), N_("most"),       N_("left out: dated before the step before"),
    NULL,
};

static const char *const due_deadlines_headers[] = {
    N_("cell"), N_("cell name"), N_("id"),     N_("name"), N_("deadline"),
    N_("due"),  N_("days left"), N_("status"), NULL,
};

static const char *const due_units_headers[] = {
    UNIT_HEADERS, N_("overdue"), N_("within 60 days"), N_("later"), NULL,
};

static const char *const members_status_headers[] = {
    UNIT_HEADERS,       N_("records"),  N_("members"),
    N_("probationary"), N_("official"), N_("transferred out"),
    N_("struck off"),   N_("deceased"), NULL,
};

static const char *const members_age_headers[] = {
    UNIT_HEADERS,
    N_("members"),
    N_("under 30"),
    N_("30-45"),
    N_("46-60"),
    N_("over 60"),
    N_("unknown"),
    N_("average age"),
    /* xgettext:no-c-format */
    N_("% under 35"),
    NULL,
};

static const char *const members_party_age_headers[] = {
    UNIT_HEADERS, N_("members"),     N_("under 5 years"), N_("5-9"),           N_("10-19"),
    N_("20-29"),  N_("30 and over"), N_("unknown"),       N_("average years"), NULL,
};

static const char *const members_ratings_headers[] = {
    UNIT_HEADERS,
    N_("rated"),
    N_("excellent"),
    N_("good"),
    N_("complete"),
    N_("not complete"),
    /* xgettext:no-c-format */
    N_("% excellent"),
    /* xgettext:no-c-format */
    N_("% of good or better"),
    N_("cap"),
    N_("over the cap"),
    NULL,
};

const char *const cs_report_chart_headers[] = {N_("label"),  N_("value"),   N_("mark"), N_("note"),
                                               N_("target"), N_("reached"), N_("tone"), NULL};

static const struct cs_report_query targets_queries[] = {
    {"units", N_("Admission targets by unit"), TARGETS_SQL, targets_headers},
    {"months", N_("Admissions by month"), targets_months_sql, targets_months_headers},
    {"chart",
     /* xgettext:no-c-format */
     N_("Admitted as % of the year's target: the black tick marks the target, the dashed line "
        "the share of the year gone by"),
     targets_chart_sql, cs_report_chart_headers},
};

static const struct cs_report_query pipeline_queries[] = {
    {"stages", N_("Candidates by stage and unit"), pipeline_stages_sql, pipeline_stages_headers},
    {"sources", N_("Candidates by source"), pipeline_sources_sql, pipeline_sources_headers},
    {"days", N_("Days spent in each stage"), pipeline_days_sql, pipeline_days_headers},
    {"chart", N_("Candidates at each stage"), pipeline_chart_sql, cs_report_chart_headers},
};

static const struct cs_report_query due_queries[] = {
    {"deadlines", N_("Overdue and upcoming deadlines by cell"), due_deadlines_sql,
     due_deadlines_headers},
    {"units", N_("Deadlines by unit"), due_units_sql, due_units_headers},
    {"chart", N_("Overdue deadlines of each kind (overdue / due within 60 days)"), due_chart_sql,
     cs_report_chart_headers},
};

static const struct cs_report_query members_queries[] = {
    {"status", N_("Members by status"), members_status_sql, members_status_headers},
    {"age", N_("Members by age"), members_age_sql, members_age_headers},
    {"party_age", N_("Members by years in the Party"), members_party_age_sql,
     members_party_age_headers},
    {"ratings", N_("Ratings of the year"), members_ratings_sql, members_ratings_headers},
    {"chart", N_("Members by age"), members_chart_sql, cs_report_chart_headers},
};

const struct cs_report_kind_def cs__report_builtin[CS_REPORT__BUILTIN] = {
    [CS_REPORT_TARGETS] = {"targets", N_("Targets and admissions"), targets_queries,
                           CS_ARRAY_SIZE(targets_queries), NULL},
    [CS_REPORT_PIPELINE] = {"pipeline", N_("Candidates in the pipeline"), pipeline_queries,
                            CS_ARRAY_SIZE(pipeline_queries), NULL},
    [CS_REPORT_DUE] = {"due", N_("Deadlines of the admission procedure"), due_queries,
                       CS_ARRAY_SIZE(due_queries), NULL},
    [CS_REPORT_MEMBERS] = {"members", N_("Membership"), members_queries,
                           CS_ARRAY_SIZE(members_queries), NULL},
};
