/* SPDX-License-Identifier: MIT */
/*
 * The HTML renderer of the report engine (report.c): one self-contained page
 * with its inline CSS theme and SVG bar charts, readable on a phone and
 * printable on A4. Like the other renderers it only shows what the named
 * queries return.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/report.h"
#include "cellsync/util.h"
#include "internal.h"
#include "report_internal.h"

/* ---- HTML ---- */

/* Text for HTML content and attribute values: & < > " ' escaped. */
static void
html_text(FILE *f, const char *s)
{
    for (; s != NULL && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

/* At most max characters of UTF-8 text s into buf, "…" added when cut. */
static const char *
html_cut(const char *s, size_t max, char *buf, size_t len)
{
    size_t chars = 0, i = 0;
    for (; s[i] && i + 4 < len; i++) {
        if (((unsigned char)s[i] & 0xc0) != 0x80 && chars++ == max)
            break;
        buf[i] = s[i];
    }
    if (s[i] != 0 && i + 4 <= len) {
        /* Step back over a cut sequence, then add the ellipsis. */
        while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
            i--;
        memcpy(buf + i, "\xe2\x80\xa6", 3);
        i += 3;
    }
    buf[i] = 0;
    return buf;
}

/*
 * Inline CSS: readable on a phone (the viewport meta, a max width, tables
 * and charts scroll sideways inside their box rather than shrinking their
 * text), printable on A4 (each report on a new page, headings kept with
 * what follows, a table's head repeated on each page, charts fitted to the
 * page).
 */
static const char html_css[] =
    ":root{--ink:#1b1b1b;--muted:#5d6166;--bar:#b3261e;--mark:#1f4fbf;--rule:#dcdcdc}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:#fff;color:var(--ink);"
    "font:15px/1.45 'Noto Sans','DejaVu Sans','Segoe UI',Roboto,Arial,sans-serif}"
    "main{max-width:64rem;margin:0 auto;padding:1rem}"
    "h1{font-size:1.45rem;margin:.2rem 0}"
    "h2{font-size:1.2rem;margin:2rem 0 .6rem;padding-bottom:.2rem;border-bottom:2px solid "
    "var(--bar)}"
    "h3{font-size:1rem;margin:1.2rem 0 .4rem}"
    ".meta,figcaption,footer{color:var(--muted);font-size:.85rem}"
    "figure{margin:0 0 1rem}"
    ".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}"
    ".chart svg{display:block;width:100%;min-width:30rem;max-width:35rem;height:auto}"
    ".chart text{font-family:inherit;font-size:12px;fill:var(--ink)}"
    ".chart .bar{fill:var(--bar)}.chart .mark{stroke:var(--mark);stroke-width:2}"
    "table{border-collapse:collapse;width:100%;font-size:.85rem}"
    "th,td{padding:.25rem .45rem;border-bottom:1px solid var(--rule);text-align:left;"
    "white-space:nowrap;vertical-align:top}"
    "th{background:#f3f3f3}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    "td.none{color:var(--muted);font-style:italic}"
    "@media (max-width:40rem){body{font-size:14px}main{padding:.5rem}"
    "table{font-size:.8rem}h1{font-size:1.25rem}}"
    "@media print{@page{size:A4;margin:14mm 12mm}"
    "body{font-size:9pt}main{max-width:none;padding:0}"
    "section.report{break-before:page;page-break-before:always}"
    "section.report:first-of-type{break-before:auto;page-break-before:auto}"
    "h2,h3{break-after:avoid;page-break-after:avoid}"
    "figure,tr{break-inside:avoid;page-break-inside:avoid}"
    "thead{display:table-header-group}.scroll{overflow:visible}"
    ".chart svg{min-width:0;width:auto;max-width:100%;max-height:240mm}"
    "table{font-size:7.5pt}th,td{padding:.1rem .25rem;white-space:normal}}";

/* Chart geometry, in SVG user units. */
#define CH_W       560
#define CH_LABEL_W 214 /* labels end here, right-aligned */
#define CH_BAR_X   222
#define CH_BAR_W   226
#define CH_ROW     20
#define CH_PAD     6

struct bar {
    char *label, *note;
    double value, mark;
    int has_mark;
};

static void
bars_free(struct bar *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(b[i].label);
        free(b[i].note);
    }
    free(b);
}

/* Reads the chart query's rows; rows without a value are left out. */
static int
bars_load(struct run *x, const struct cs_report_query *q, struct bar **out, size_t *count)
{
    sqlite3_stmt *st;
    struct bar *b = NULL;
    size_t n = 0, cap = 0;
    int ret, rc;

    *out = NULL;
    *count = 0;
    if ((ret = cs__report_prepare(x, q->sql, &st, "chart")) != 0)
        return ret;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 1) == SQLITE_NULL)
            continue;
        if (cs_grow((void **)&b, &cap, n + 1, sizeof(*b), 16) != 0) {
            ret = cs_errf(x->err, x->errlen, CS_ENOMEM, "%s", cs_strerror(CS_ENOMEM));
            goto out;
        }
        const char *label = (const char *)sqlite3_column_text(st, 0);
        const char *value = (const char *)sqlite3_column_text(st, 1);
        const char *note = (const char *)sqlite3_column_text(st, 3);
        struct bar *r = &b[n];
        r->label = strdup(label ? label : "");
        r->note = strdup(note ? note : value ? value : "");
        r->value = sqlite3_column_double(st, 1);
        r->has_mark = sqlite3_column_type(st, 2) != SQLITE_NULL;
        r->mark = sqlite3_column_double(st, 2);
        n++;
        if (r->label == NULL || r->note == NULL) {
            ret = cs_errf(x->err, x->errlen, CS_ENOMEM, "%s", cs_strerror(CS_ENOMEM));
            goto out;
        }
    }
    if (rc != SQLITE_DONE) {
        ret = cs__report_sql_fail(x, "chart");
        goto out;
    }
    *out = b;
    *count = n;
    b = NULL;
    n = 0;
out:
    bars_free(b, n);
    sqlite3_finalize(st);
    return ret;
}

/* A horizontal bar chart: one row per bar, label left, bar, then its note. */
static int
html_chart(struct run *x, const struct cs_report_query *q)
{
    struct bar *b;
    size_t n;
    int ret;
    char cut[160];

    if ((ret = bars_load(x, q, &b, &n)) != 0)
        return ret;
    double max = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i].value > max)
            max = b[i].value;
        if (b[i].has_mark && b[i].mark > max)
            max = b[i].mark;
    }
    if (max <= 0)
        max = 1;
    int h = 2 * CH_PAD + (int)(n > 0 ? n : 1) * CH_ROW;
    FILE *f = x->f;
    fputs("<figure class=\"chart\"><div class=\"scroll\">", f);
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\""
            " height=\"%d\" role=\"img\" aria-label=\"",
            CH_W, h, CH_W, h);
    html_text(f, _(q->title));
    fputs("\">", f);
    if (n == 0) {
        fprintf(f, "<text x=\"%d\" y=\"%d\">", CH_PAD, CH_PAD + 14);
        html_text(f, _("nothing to show"));
        fputs("</text>", f);
    }
    for (size_t i = 0; i < n; i++) {
        int y = CH_PAD + (int)i * CH_ROW;
        double w = b[i].value > 0 ? CH_BAR_W * b[i].value / max : 0;
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", CH_LABEL_W, y + 14);
        html_text(f, html_cut(b[i].label, 28, cut, sizeof(cut)));
        fprintf(f, "</text><rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\"/>",
                CH_BAR_X, y + 3, w, CH_ROW - 6);
        if (b[i].has_mark) {
            double mx = CH_BAR_X + CH_BAR_W * (b[i].mark > 0 ? b[i].mark : 0) / max;
            fprintf(f, "<line class=\"mark\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>", mx,
                    y + 1, mx, y + CH_ROW - 1);
        }
        fprintf(f, "<text x=\"%.1f\" y=\"%d\">", CH_BAR_X + w + 4, y + 14);
        html_text(f, html_cut(b[i].note, 24, cut, sizeof(cut)));
        fputs("</text>", f);
    }
    fputs("</svg></div><figcaption>", f);
    html_text(f, _(q->title));
    fputs("</figcaption></figure>\n", f);
    bars_free(b, n);
    return 0;
}

static int
html_table(struct run *x, const struct cs_report_query *q)
{
    char *sql;
    sqlite3_stmt *st;
    const char *headers[32];
    int depth, ret, rc;
    FILE *f = x->f;

    if ((ret = cs__report_display_sql(x, q, 0, &sql, &depth)) != 0)
        return ret;
    ret = cs__report_prepare(x, sql, &st, q->section);
    sqlite3_free(sql);
    if (ret != 0)
        return ret;
    cs__report_display_headers(q, headers, CS_ARRAY_SIZE(headers));
    int nc = sqlite3_column_count(st), first = depth ? 1 : 0, rows = 0;
    if (nc > 64)
        nc = 64;
    /*
     * A column is numeric (right-aligned, header and "-" too) when it holds
     * numbers and no text: a first pass over the rows finds out.
     */
    char num[64] = {0}, text[64] = {0};
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        for (int c = 0; c < nc; c++) {
            int type = sqlite3_column_type(st, c);
            num[c] |= type == SQLITE_INTEGER || type == SQLITE_FLOAT;
            text[c] |= type == SQLITE_TEXT || type == SQLITE_BLOB;
        }
    for (int c = 0; c < nc; c++)
        num[c] = num[c] && !text[c];
    sqlite3_reset(st);
    fputs("<h3>", f);
    html_text(f, _(q->title));
    fputs("</h3>\n<div class=\"scroll\"><table><thead><tr>", f);
    for (int c = first, h = 0; c < nc; c++, h++) {
        fputs(num[c] ? "<th class=\"n\">" : "<th>", f);
        html_text(f, headers[h] ? _(headers[h]) : sqlite3_column_name(st, c));
        fputs("</th>", f);
    }
    fputs("</tr></thead><tbody>\n", f);
    for (rc = rc == SQLITE_DONE ? sqlite3_step(st) : rc; rc == SQLITE_ROW;
         rc = sqlite3_step(st), rows++) {
        int indent = depth ? sqlite3_column_int(st, 0) : 0;
        fputs("<tr>", f);
        for (int c = first; c < nc; c++) {
            const char *t = (const char *)sqlite3_column_text(st, c);
            if (num[c])
                fputs("<td class=\"n\">", f);
            else if (indent > 0 && strcmp(sqlite3_column_name(st, c), "name") == 0)
                fprintf(f, "<td style=\"padding-left:%.2frem\">",
                        0.45 + 0.9 * (indent > 12 ? 12 : indent));
            else
                fputs("<td>", f);
            html_text(f, t == NULL ? "-" : t);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    if (rc == SQLITE_DONE && rows == 0) {
        fprintf(f, "<tr><td class=\"none\" colspan=\"%d\">", nc - first);
        html_text(f, _("no records"));
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
    ret = rc == SQLITE_DONE ? 0 : cs__report_sql_fail(x, q->section);
    sqlite3_finalize(st);
    return ret;
}

static int
html_kind(struct run *x, const struct cs_report_kind_def *def)
{
    const struct cs_report_query *q = def->queries, *chart = cs__report_chart_of(def);
    int ret = 0;

    fprintf(x->f, "<section class=\"report\" id=\"%s\"><h2>", def->name);
    html_text(x->f, _(def->title));
    fputs("</h2>\n", x->f);
    if (x->p->section == NULL && chart != NULL && (ret = html_chart(x, chart)) != 0)
        return ret;
    for (size_t i = 0; i < def->count && ret == 0; i++)
        if (cs__report_is_section(&q[i], x->p->section))
            ret = html_table(x, &q[i]);
    fputs("</section>\n", x->f);
    return ret;
}

int
cs__report_render_html(struct run *x, const struct cs_report_kind_def *const *kinds, size_t nk,
                       int many)
{
    FILE *f = x->f;
    const char *title = many ? _("Membership development report") : _(kinds[0]->title);
    int ret = 0;

    fputs("<!DOCTYPE html>\n<html lang=\"", f);
    /* TRANSLATORS: the language code of the translation (for HTML lang=""): "vi" in vi.po. */
    html_text(f, _("en"));
    fputs("\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          f);
    html_text(f, title);
    fprintf(f, "</title>\n<style>%s</style></head>\n<body><main>\n<header><h1>", html_css);
    html_text(f, _("Membership development report"));
    fputs("</h1><p class=\"meta\">", f);
    html_text(f, _("unit:"));
    fputc(' ', f);
    html_text(f, x->units);
    fputs(" &middot; ", f);
    fprintf(f, _("year %d"), x->p->year);
    fputs(" &middot; ", f);
    html_text(f, _("as of"));
    char day[CS_DATE_BUFSZ];
    fprintf(f, " %s</p></header>\n", cs_date_format_vi(x->p->today, day));
    for (size_t i = 0; i < nk && ret == 0; i++)
        ret = html_kind(x, kinds[i]);
    fputs("<footer><p>", f);
    html_text(f, _("Every number on this page is the result of a documented query on the "
                   "records of this replica (docs/REPORTS.md; 'report --sql' prints them)."));
    fputs("</p></footer>\n</main></body></html>\n", f);
    return ret;
}
