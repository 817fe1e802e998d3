/* SPDX-License-Identifier: MIT */
/*
 * Reports on a replica (the hub's, or a cell's own): where every candidate
 * stands against the year's targets, the pipeline, the deadlines, the
 * membership and, at the hub, the devices' sync state.
 *
 * Every number comes from one of the named queries of cs_report_queries():
 * plain SQL over the domain tables (cellsync/schema.h) with the parameters
 * :root (an org code, or NULL for every tree the replica knows), :year and
 * :today ('YYYY-MM-DD'). `cellsyncd report KIND --sql` prints them, and
 * docs/REPORTS.md explains each column, so any figure can be checked by
 * hand with the sqlite3 shell. The due list is the one computed date: its
 * deadlines come from the rules (cs_candidate_due_fill() into
 * temp.due_rows), which count working days with the holiday list.
 *
 * A report is a few sections (tables) and one bar chart, rendered as an
 * aligned text table, JSON (built by SQLite's JSON functions), CSV (RFC
 * 4180, one section) or one self-contained HTML page (inline CSS and SVG,
 * no scripts) with labels through gettext.
 */
#ifndef CELLSYNC_REPORT_H
#define CELLSYNC_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cellsync/replica.h"
#include "cellsync/rules.h"

enum cs_report_kind {
    CS_REPORT_TARGETS,  /* targets, admissions, ceremonies and pace per unit */
    CS_REPORT_PIPELINE, /* candidates per stage, by source, days per stage */
    CS_REPORT_DUE,      /* deadlines per cell, overdue and upcoming */
    CS_REPORT_MEMBERS,  /* status, age, party age, ratings */
    CS_REPORT_SYNC,     /* per device (hub only) */
    CS_REPORT__COUNT,
    CS_REPORT_ALL = CS_REPORT__COUNT, /* every report the replica can make, in one output */
};

enum cs_report_format {
    CS_REPORT_TABLE,
    CS_REPORT_JSON,
    CS_REPORT_CSV,
    CS_REPORT_HTML,
};

/* "targets", ..., "sync", "all"; NULL for out of range. */
const char *cs_report_kind_name(enum cs_report_kind k);
/* The kind for a name, or -1. */
int cs_report_kind_from_name(const char *name);
/* "table", "json", "csv", "html" and back (-1 for an unknown name). */
const char *cs_report_format_name(enum cs_report_format f);
int cs_report_format_from_name(const char *name);

/* One named query: a section of a report, or its chart. */
struct cs_report_query {
    enum cs_report_kind kind;
    const char *section; /* "units", "sources", ...; "chart" for the chart */
    const char *title;   /* N_(): the heading; for the chart, its caption */
    const char *sql;     /* parameters :root, :year, :today */
    /*
     * N_() column headings for tables, one per result column, NULL-ended.
     * A column named depth (the unit's depth below the root) is not shown:
     * tables indent the unit's name by it instead. A chart has the columns
     * label, value, mark (a line across the bar, or NULL) and note (the text
     * after the bar, or NULL for the value).
     */
    const char *const *headers;
};

/* The table of every named query, in report and section order. */
const struct cs_report_query *cs_report_queries(size_t *count);

struct cs_report_params {
    const char *root;                   /* the subtree's root code; NULL: every tree */
    int root_required;                  /* 1: a root that names no unit is CS_ENOTFOUND */
    int year;                           /* of targets, admissions and ratings */
    int32_t today;                      /* day number: ages, pace and deadlines */
    const struct cs_date_holidays *hol; /* for the deadlines; NULL: fixed holidays */
    const char *section;                /* only this section; NULL: all (CSV: the first) */
};

/*
 * Renders one report (or CS_REPORT_ALL) on the replica's connection to out,
 * reading in one transaction. CS_EINVAL with a message for a report this
 * replica cannot make (sync without the hub's device table), an unknown
 * section, or CSV of several reports; CS_ENOTFOUND for a required root that
 * is no unit; CS_ESQLITE; -errno when writing fails. The connection gets
 * the SQL functions of cs_codes_sql_register() and temp.due_rows.
 */
int cs_report_render(struct cs_replica *r, enum cs_report_kind kind, enum cs_report_format fmt,
                     const struct cs_report_params *p, FILE *out, char *err, size_t errlen);

/*
 * cs_report_render() into memory, then to path atomically (a temp file,
 * fsync, rename: a reader never sees half a report), mode 0644, or to
 * standard output when path is NULL or "-".
 */
int cs_report_write(struct cs_replica *r, enum cs_report_kind kind, enum cs_report_format fmt,
                    const struct cs_report_params *p, const char *path, char *err, size_t errlen);

/*
 * 1 if the report (not CS_REPORT_ALL) has a section of that name, else 0;
 * with list set, the report's section names go there ("units, chart" minus
 * the chart), for a message.
 */
int cs_report_has_section(enum cs_report_kind kind, const char *name, char *list, size_t len);

/*
 * Checks a report as a command line asks for it and converts it: the kind
 * and the --format, --year and --section given (NULL when not). at_hub: the
 * sync report can be made here. year is 0 when not given. Returns 0, or
 * CS_EINVAL with err saying what is wrong, for a usage error.
 */
int cs_report_request(const char *kind, const char *format, const char *year, const char *section,
                      int at_hub, enum cs_report_kind *kind_out, enum cs_report_format *fmt_out,
                      int *year_out, char *err, size_t errlen);

/* Prints the named queries of a report (all of them for CS_REPORT_ALL), as they are run. */
int cs_report_print_sql(FILE *f, enum cs_report_kind kind);

/* 1 if the replica has the hub's device table (the sync report can be made), else 0. */
int cs_report_is_hub(struct cs_replica *r);

#endif
