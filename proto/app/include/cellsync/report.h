/* SPDX-License-Identifier: MIT */
/*
 * Reports on a replica (the hub's, or a cell's own): where every candidate
 * stands against the year's targets, the pipeline, the deadlines and the
 * membership; and the kinds a program adds (the hub registers its devices'
 * sync report, daemon/report_sync.c).
 *
 * Every number comes from one of the named queries of a kind: plain SQL
 * over the domain tables (cellsync/schema.h) with the parameters :root (an
 * org code, or NULL for every tree the replica knows), :year and :today
 * ('YYYY-MM-DD'), and those a registered kind binds itself. `report KIND
 * --sql` prints them, and docs/REPORTS.md explains each column, so any
 * figure can be checked by hand with the sqlite3 shell. The due list is the
 * one computed date: its deadlines come from the rules
 * (cs_candidate_due_fill() into temp.due_rows), which count working days
 * with the holiday list.
 *
 * A report is a few sections (tables) and one bar chart, rendered as an
 * aligned text table, JSON (built by SQLite's JSON functions), CSV (RFC
 * 4180, one section, with a UTF-8 BOM for Excel), one self-contained HTML
 * page (inline CSS and SVG, no scripts) or an Excel workbook (a sheet per
 * section), with labels through gettext.
 */
#ifndef CELLSYNC_REPORT_H
#define CELLSYNC_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cellsync/replica.h"
#include "cellsync/rules.h"

/*
 * The kinds of report: the four built in, then those a program registers
 * on its struct cs_report, numbered from CS_REPORT__BUILTIN in the order
 * registered.
 */
enum cs_report_kind {
    CS_REPORT_TARGETS,  /* targets, admissions, ceremonies and pace per unit */
    CS_REPORT_PIPELINE, /* candidates per stage, by source, days per stage */
    CS_REPORT_DUE,      /* deadlines per cell, overdue and upcoming */
    CS_REPORT_MEMBERS,  /* status, age, party age, ratings */
    CS_REPORT__BUILTIN,
    CS_REPORT__COUNT = CS_REPORT__BUILTIN + 4, /* room for four registered kinds */
    CS_REPORT_ALL = CS_REPORT__COUNT,          /* every report of the program, in one output */
};

enum cs_report_format {
    CS_REPORT_TABLE,
    CS_REPORT_JSON,
    CS_REPORT_CSV,
    CS_REPORT_HTML,
    CS_REPORT_XLSX, /* an Excel workbook, a sheet per section: never to a terminal */
};

/* One named query: a section of a report, or its chart. */
struct cs_report_query {
    const char *section; /* "units", "sources", ...; "chart" for the chart */
    const char *title;   /* N_(): the heading; for the chart, its caption */
    const char *sql;     /* parameters :root, :year, :today and the kind's own */
    /*
     * N_() column headings for tables, one per result column, NULL-ended.
     * A column named depth (the unit's depth below the root) is not shown:
     * tables indent the unit's name by it instead. A chart has the columns
     * label, value, mark (a line across the bar, or NULL) and note (the text
     * after the bar, or NULL for the value): cs_report_chart_headers; it
     * may add target (a target marked on the value's scale), reached (a
     * funnel: how many reached this step or a later one) and tone (what
     * the bar's colour means: ahead, behind, no_target), each or NULL.
     */
    const char *const *headers;
};

extern const char *const cs_report_chart_headers[];

/*
 * The opening of every query, so that a registered kind follows the same
 * conventions: WITH RECURSIVE live (the live org units), unit (the root(s)
 * of :root and every live unit below, with depth and a path that sorts
 * parents first) and tree(anc, code, depth) (each unit with itself and
 * every unit below it). Append ",\n" and more CTEs, or the SELECT.
 */
#define CS_REPORT_UNITS                                                                            \
    "WITH RECURSIVE\n"                                                                             \
    "live(code, parent, level, kind, name) AS (\n"                                                 \
    "  SELECT code, parent, level, kind, name FROM org_unit\n"                                     \
    "   WHERE cl % 2 = 1 AND code IS NOT NULL),\n"                                                 \
    "unit(code, parent, level, kind, name, depth, path) AS (\n"                                    \
    "  SELECT r.code, l.parent, l.level, l.kind, l.name, 0, r.code\n"                              \
    "    FROM (SELECT :root AS code WHERE :root IS NOT NULL\n"                                     \
    "          UNION\n"                                                                            \
    "          SELECT code FROM live\n"                                                            \
    "           WHERE :root IS NULL\n"                                                             \
    "             AND coalesce(parent, '') NOT IN (SELECT code FROM live)) r\n"                    \
    "    LEFT JOIN live l ON l.code = r.code\n"                                                    \
    "  UNION ALL\n"                                                                                \
    "  SELECT l.code, l.parent, l.level, l.kind, l.name, u.depth + 1,\n"                           \
    "         u.path || '/' || l.code\n"                                                           \
    "    FROM live l JOIN unit u ON l.parent = u.code\n"                                           \
    "   WHERE u.depth < 32),\n"                                                                    \
    "tree(anc, code, depth) AS (\n"                                                                \
    "  SELECT code, code, 0 FROM unit\n"                                                           \
    "  UNION ALL\n"                                                                                \
    "  SELECT t.anc, u.code, t.depth + 1 FROM tree t JOIN unit u ON u.parent = t.code\n"           \
    "   WHERE t.depth < 32)"

/* A kind of report: the built-in ones, and those a program registers. */
struct cs_report_kind_def {
    const char *name;                      /* on the command line: "targets" */
    const char *title;                     /* N_(): the report's heading */
    const struct cs_report_query *queries; /* its sections in order, then its chart */
    size_t count;
    /*
     * Binds the parameter at index, named name (":hub_seq"), if it is one of
     * the kind's own, on the connection of r inside the report's read
     * transaction; leaves others alone. 0, or a negative code. NULL: the
     * kind has no parameters of its own.
     */
    int (*bind)(struct cs_replica *r, sqlite3_stmt *st, int index, const char *name);
};

/*
 * The reports one program makes: the built-in kinds and those it
 * registers. Who opens the replica knows what it is (the hub registers its
 * sync report); the engine never guesses from the tables it finds.
 */
struct cs_report;

/* OUT: *out, free with cs_report_free(); NULL on failure. 0 or CS_ENOMEM. */
int cs_report_new(struct cs_report **out);
void cs_report_free(struct cs_report *rep);

/*
 * Adds a kind after the others (def must outlive rep); *kind_out is its
 * number. CS_EINVAL for a name already taken or no room left.
 */
int cs_report_register(struct cs_report *rep, const struct cs_report_kind_def *def,
                       enum cs_report_kind *kind_out);

/* "targets", ..., "all"; NULL for a kind rep does not have. */
const char *cs_report_kind_name(const struct cs_report *rep, enum cs_report_kind k);
/* The kind for a name, or -1. */
int cs_report_kind_from_name(const struct cs_report *rep, const char *name);
/* "table", "json", "csv", "html", "xlsx" and back (-1 for an unknown name). */
const char *cs_report_format_name(enum cs_report_format f);
int cs_report_format_from_name(const char *name);

struct cs_report_params {
    const char *root;                   /* the subtree's root code; NULL: every tree */
    int root_required;                  /* 1: a root that names no unit is CS_ENOTFOUND */
    int year;                           /* of targets, admissions and ratings */
    int32_t today;                      /* day number: ages, pace and deadlines */
    const struct cs_date_holidays *hol; /* for the deadlines; NULL: fixed holidays */
    const char *section;                /* only this section; NULL: all (CSV: the first) */
    const char *number;                 /* HTML: the document's number ("12-BC/ĐU"), or NULL */
    const char *place;                  /* HTML: the place of the date line, or NULL */
    char delimiter;                     /* CSV: ',' (also for 0), ';' or '\t' */
    int labels;                         /* CSV: headings and labels as the table shows them */
};

/*
 * The CSV options of a command line: --delimiter (NULL: not given; ',',
 * ';' or 'tab') and --labels (nonzero: given) into p, for fmt. 0, or
 * CS_EINVAL with err saying what is wrong (another delimiter, or either
 * option with another format than CSV).
 */
int cs_report_csv_options(enum cs_report_format fmt, const char *delimiter, int labels,
                          struct cs_report_params *p, char *err, size_t errlen);

/*
 * Renders one report (or CS_REPORT_ALL) on the replica's connection to out,
 * reading in one transaction. CS_EINVAL with a message for a kind rep does
 * not have, an unknown section, or CSV of several reports; CS_ENOTFOUND for
 * a required root that is no unit; CS_ESQLITE; -errno when writing fails.
 * The connection gets the SQL functions of cs_codes_sql_register() and
 * temp.due_rows.
 */
int cs_report_render(const struct cs_report *rep, struct cs_replica *r, enum cs_report_kind kind,
                     enum cs_report_format fmt, const struct cs_report_params *p, FILE *out,
                     char *err, size_t errlen);

/*
 * cs_report_render() into memory, then to path atomically (a temp file,
 * fsync, rename: a reader never sees half a report), mode 0600, or to
 * standard output when path is NULL or "-". A workbook (CS_REPORT_XLSX) is
 * refused (CS_EINVAL) before anything is made when standard output is a
 * terminal.
 */
int cs_report_write(const struct cs_report *rep, struct cs_replica *r, enum cs_report_kind kind,
                    enum cs_report_format fmt, const struct cs_report_params *p, const char *path,
                    char *err, size_t errlen);

/*
 * 1 if the report (not CS_REPORT_ALL) has a section of that name, else 0;
 * with list set, the report's section names go there ("units, chart" minus
 * the chart), for a message.
 */
int cs_report_has_section(const struct cs_report *rep, enum cs_report_kind kind, const char *name,
                          char *list, size_t len);

/*
 * Checks a report as a command line asks for it and converts it: the kind
 * and the --format, --year and --section given (NULL when not). year is 0
 * when not given. Returns 0; CS_ENOTFOUND, err left alone, when kind is
 * NULL or names no report of rep (the command says which it makes); or
 * CS_EINVAL with err saying what is wrong, for another usage error.
 */
int cs_report_request(const struct cs_report *rep, const char *kind, const char *format,
                      const char *year, const char *section, enum cs_report_kind *kind_out,
                      enum cs_report_format *fmt_out, int *year_out, char *err, size_t errlen);

/* One row of a section as a table shows it (cs_report_rows()). */
struct cs_report_row {
    int n;                      /* columns */
    const char *const *names;   /* the query's column names: "target", "admitted", "depth"... */
    const char *const *headers; /* their headings, translated; "" for depth */
    const char *const *values;  /* as text, codes as their labels; NULL for no value */
    int index;                  /* from 0 */
};

/* Takes one row; anything but 0 stops the rows and is returned. */
typedef int (*cs_report_row_fn)(void *ud, const struct cs_report_row *row);

/*
 * The rows of one named query of a report (its section, or "chart"), as
 * the table and HTML formats show them, handed to fn one by one: for a
 * front end that lays the figures out itself and must not count them
 * again. A column depth comes first where the query has one. Reads in
 * one transaction, as cs_report_render(); its errors, and CS_EINVAL for
 * a kind or section rep does not have.
 */
int cs_report_rows(const struct cs_report *rep, struct cs_replica *r, enum cs_report_kind kind,
                   const char *section, const struct cs_report_params *p, cs_report_row_fn fn,
                   void *ud, char *err, size_t errlen);

/* Prints the named queries of a report (all of them for CS_REPORT_ALL), as they are run. */
int cs_report_print_sql(const struct cs_report *rep, FILE *f, enum cs_report_kind kind);

#endif
