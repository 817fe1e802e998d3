/* SPDX-License-Identifier: MIT */
/*
 * The report page of `cellsync ui` (ui.h): the cell's targets and
 * admissions and its candidates at each step, for a year, printable (the
 * style sheet's @media print). Every figure is a value of the report
 * engine's named queries (cellsync/report.h, cs_report_rows()), with the
 * year and unit `cellsync report` takes (client_report_params()), so the
 * page and the command cannot disagree. Home's target and admitted come
 * from here too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/date.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/report.h"
#include "client.h"
#include "ui.h"

/* One unit's row of a section as a two-column table: heading, value. */
struct layout {
    struct ui_buf *b;
    const char *prefix; /* of the ids of the root's values: "targets" gives id="targets-admitted" */
};

static int
skip_column(const char *name)
{
    return strcmp(name, "depth") == 0 || strcmp(name, "unit") == 0 || strcmp(name, "name") == 0 ||
           strcmp(name, "level") == 0;
}

static const char *
column(const struct cs_report_row *row, const char *name)
{
    for (int c = 0; c < row->n; c++)
        if (strcmp(row->names[c], name) == 0)
            return row->values[c];
    return NULL;
}

static int
unit_table(void *ud, const struct cs_report_row *row)
{
    struct layout *l = ud;
    const char *name = column(row, "name"), *unit = column(row, "unit");
    int root = row->index == 0;

    ui_raw(l->b, "<table class=\"report\"><caption>");
    ui_text(l->b, name != NULL ? name : unit);
    if (name != NULL && unit != NULL) {
        ui_raw(l->b, " (");
        ui_text(l->b, unit);
        ui_raw(l->b, ")");
    }
    ui_raw(l->b, "</caption><tbody>\n");
    for (int c = 0; c < row->n; c++) {
        if (skip_column(row->names[c]))
            continue;
        ui_raw(l->b, "<tr><th>");
        ui_text(l->b, row->headers[c]);
        ui_raw(l->b, "</th><td");
        if (root) {
            ui_raw(l->b, " id=\"");
            ui_text(l->b, l->prefix);
            ui_raw(l->b, "-");
            ui_text(l->b, row->names[c]);
            ui_raw(l->b, "\"");
        }
        ui_raw(l->b, ">");
        ui_text(l->b, row->values[c] != NULL ? row->values[c] : "-");
        ui_raw(l->b, "</td></tr>\n");
    }
    ui_raw(l->b, "</tbody></table>\n");
    return 0;
}

/* The root unit's target and admitted, from the targets report's first row. */
struct figures {
    char target[32], admitted[32];
};

static int
root_figures(void *ud, const struct cs_report_row *row)
{
    struct figures *f = ud;
    const char *t = column(row, "target"), *a = column(row, "admitted");

    if (row->index != 0)
        return 0;
    snprintf(f->target, sizeof(f->target), "%s", t != NULL ? t : "-");
    snprintf(f->admitted, sizeof(f->admitted), "%s", a != NULL ? a : "-");
    return 0;
}

int
ui_report_target(struct ui_ctx *x, char target[32], char admitted[32])
{
    struct cs_report_params p = {0};
    struct cs_report *rep = NULL;
    struct figures f = {"-", "-"};
    char org[64] = "", err[512];
    int ret;

    client_report_params(x->c, 0, NULL, &p, org, sizeof(org));
    if ((ret = cs_report_new(&rep)) == 0)
        ret = cs_report_rows(rep, x->c->rep, CS_REPORT_TARGETS, "units", &p, root_figures, &f, err,
                             sizeof(err));
    cs_report_free(rep);
    memcpy(target, f.target, sizeof(f.target));
    memcpy(admitted, f.admitted, sizeof(f.admitted));
    return ret;
}

/* The year chooser (a GET form) and the print button, which the script shows. */
static void
chooser(struct ui_buf *b, const char *year)
{
    ui_raw(b, "<form method=\"get\" action=\"/report\" class=\"noprint\"><p class=\"field\">"
              "<label for=\"f-year\">");
    ui_text(b, _("Year"));
    ui_raw(b, "</label><input id=\"f-year\" name=\"year\" type=\"number\" value=\"");
    ui_text(b, year);
    ui_raw(b, "\"> <button type=\"submit\">");
    ui_text(b, _("Show"));
    ui_raw(b, "</button> <button type=\"button\" id=\"print\" hidden>");
    ui_text(b, _("Print"));
    ui_raw(b, "</button></p></form>\n");
}

static int
section(struct ui_ctx *x, struct ui_buf *b, const struct cs_report *rep,
        const struct cs_report_params *p, enum cs_report_kind kind, const char *name,
        const char *title, const char *prefix)
{
    struct layout l = {b, prefix};
    char err[1024];
    int ret;

    ui_raw(b, "<section id=\"");
    ui_raw(b, prefix);
    ui_raw(b, "\"><h2>");
    ui_text(b, title);
    ui_raw(b, "</h2>\n");
    ret = cs_report_rows(rep, x->c->rep, kind, name, p, unit_table, &l, err, sizeof(err));
    if (ret != 0)
        ui_error(b, err);
    ui_raw(b, "</section>\n");
    return ret;
}

static int
report_get(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    const char *typed = ui_arg(r, "year");
    struct cs_report_params p = {0};
    struct cs_report *rep = NULL;
    enum cs_report_kind kind;
    enum cs_report_format fmt;
    char org[64] = "", err[512] = "", year[16], line[256], day[CS_DATE_BUFSZ];
    int y = 0, status = 200;

    ui_begin(b, _("Report"), "/report");
    if (cs_report_new(&rep) != 0) {
        ui_error(b, cs_strerror(CS_ENOMEM));
        status = 500;
        goto out;
    }
    /* The year is checked as `report --year` checks it. */
    if (typed != NULL && typed[0] != 0 &&
        cs_report_request(rep, "targets", NULL, typed, NULL, &kind, &fmt, &y, err, sizeof(err)) !=
            0) {
        ui_error(b, err);
        chooser(b, typed);
        status = 422;
        goto out;
    }
    client_report_params(x->c, y, NULL, &p, org, sizeof(org));
    snprintf(year, sizeof(year), "%d", p.year);
    chooser(b, year);
    /* TRANSLATORS: under the report's title: the unit, the year and today's date */
    snprintf(line, sizeof(line), _("Unit %s; year %d; as of %s."), org[0] ? org : "-", p.year,
             cs_date_format_vi(p.today, day));
    ui_para(b, line);
    if (section(x, b, rep, &p, CS_REPORT_TARGETS, "units", _("Targets and admissions"),
                "targets") != 0 ||
        section(x, b, rep, &p, CS_REPORT_PIPELINE, "stages", _("Candidates at each step"),
                "pipeline") != 0)
        status = 500;
out:
    cs_report_free(rep);
    ui_end(b);
    return status;
}

const struct ui_route ui_routes_report[] = {
    {"/report", report_get, NULL},
    {NULL, NULL, NULL},
};
