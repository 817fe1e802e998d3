/* SPDX-License-Identifier: MIT */
/*
 * What the report engine (report.c) shares with its HTML renderer
 * (report_html.c): the built-in kinds (report_queries.c), one run of a
 * report, and the helpers that prepare and show its queries. Private to the
 * proto library.
 */
#ifndef CELLSYNC_REPORT_INTERNAL_H
#define CELLSYNC_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#include <sqlite3.h>

#include "cellsync/report.h"

extern const struct cs_report_kind_def cs__report_builtin[CS_REPORT__BUILTIN];

/* One report being made. */
struct run {
    const struct cs_report *rep;
    struct cs_replica *r;
    sqlite3 *db;
    const struct cs_report_params *p;
    FILE *f;
    char today[CS_DATE_BUFSZ];
    char units[512];       /* the root(s) as a person reads them */
    char root_name[256];   /* the one root's name ("" for several roots), for a letterhead */
    char parent_name[256]; /* the name of its parent unit where the replica holds it, or "" */
    char root_level[32];   /* the one root's level code ("cell", ...), or "" */
    char *err;
    size_t errlen;
};

int cs__report_sql_fail(struct run *x, const char *what);
int cs__report_prepare(struct run *x, const char *sql, sqlite3_stmt **st, const char *what);
int cs__report_is_section(const struct cs_report_query *q, const char *only);
const struct cs_report_query *cs__report_chart_of(const struct cs_report_kind_def *def);
int cs__report_display_sql(struct run *x, const struct cs_report_query *q, int indent, char **sql,
                           int *has_depth);
void cs__report_display_headers(const struct cs_report_query *q, const char **out, size_t max);

/* The HTML page of the given reports (report_html.c). */
int cs__report_render_html(struct run *x, const struct cs_report_kind_def *const *kinds, size_t nk,
                           int many);

/* The workbook of the given reports, a sheet per section (report_xlsx.c). */
int cs__report_render_xlsx(struct run *x, const struct cs_report_kind_def *const *kinds, size_t nk);

#endif
