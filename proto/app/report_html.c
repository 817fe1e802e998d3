/* SPDX-License-Identifier: MIT */
/*
 * The HTML renderer of the report engine (report.c): one self-contained page
 * laid out as a Party committee's report (the letterhead, the number and
 * date line, the title, the signature block), with its inline CSS theme and
 * SVG charts, made for three media: a wide screen, a 390-px phone (no
 * sideways scrolling: wide tables become one card per row) and A4 paper,
 * portrait or landscape (every column on the page). Like the other
 * renderers it only shows what the named queries return: a bar is a value
 * of a row, its colour the tone the query gave it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/date.h"
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

/*
 * Inline CSS. Screen: the page uses the window's width (tables wrap their
 * headings instead of being cut), charts keep a readable size. Phone
 * (max-width 40rem): a table becomes one card per row, each value after its
 * column's heading (data-label), so nothing scrolls sideways. Print (made
 * for A4, portrait or landscape: the page forces no orientation),
 * each report on a new page, headings kept with what follows, a table's
 * head repeated on each page, small type and wrapped headings so every
 * column stays on a portrait page. The colours differ by meaning and
 * still read in grayscale: ahead is dark, behind is light and hatched, no
 * target an empty outline; the target a black tick, the year's pace a
 * dashed line.
 */
static const char html_css[] =
    ":root{--ink:#1b1b1b;--muted:#5d6166;--party:#b3261e;--rule:#d4d4d4;--bar:#37474f;"
    "--reach:#cfd8dc;--ahead:#1b5e20;--behind:#f2a93b;--pace:#1f4fbf;--cer:#90a4ae}"
    "*{box-sizing:border-box;-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "body{margin:0;background:#fff;color:var(--ink);"
    "font:15px/1.45 'Noto Sans','DejaVu Sans','Segoe UI',Roboto,Arial,sans-serif}"
    "main{margin:0 auto;padding:1rem;max-width:110rem}"
    ".doc{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.6rem 2rem;"
    "font-family:'Times New Roman','Noto Serif','DejaVu Serif',serif;font-size:1rem}"
    ".doc>div{flex:1 1 15rem;text-align:center}.doc p{margin:0}"
    ".doc .up{text-transform:uppercase}.doc .org,.doc .party{font-weight:bold}"
    ".doc .party{text-decoration:underline;text-underline-offset:.3em}"
    ".doc .star{margin:.1rem 0}.doc .place{font-style:italic;margin-top:.5rem}"
    "h1{font:bold 1.35rem/1.3 'Times New Roman','Noto Serif','DejaVu Serif',serif;"
    "text-align:center;margin:1.4rem 0 .2rem}"
    "h1 span{display:block}h1 .sub{font-size:1.05rem}"
    ".meta{text-align:center;color:var(--muted);font-size:.9rem;margin:.2rem 0 1rem}"
    "h2{font-size:1.2rem;margin:2rem 0 .6rem;padding-bottom:.2rem;"
    "border-bottom:2px solid var(--party)}"
    "h3{font-size:1rem;margin:1.2rem 0 .4rem}"
    "figcaption,.note{color:var(--muted);font-size:.85rem}"
    ".charts{display:flex;flex-wrap:wrap;gap:0 3rem;align-items:flex-start}"
    "figure{margin:0 0 1rem;flex:1 1 24rem;max-width:34rem;min-width:0}"
    ".chart svg{display:block;width:100%;height:auto}"
    /* A white halo keeps a label readable where the pace line crosses it. */
    ".chart text{font-family:inherit;font-size:13px;fill:var(--ink);"
    "paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}"
    ".chart text.n{fill:var(--muted);font-size:12px}"
    ".chart .track{fill:#f1f1f1;stroke:#bdbdbd;stroke-width:.6}"
    ".chart .bar{fill:var(--bar)}.chart .reach{fill:var(--reach)}"
    ".chart .ahead{fill:var(--ahead)}.chart .behind{fill:url(#cs-hatch);stroke:#a86a12;"
    "stroke-width:.8}.chart .none{fill:#fff;stroke:#8a8a8a;stroke-dasharray:3 2}"
    ".chart .cer{fill:var(--cer)}.chart .target{stroke:#000;stroke-width:3}"
    ".chart .pace{stroke:var(--pace);stroke-width:1.6;stroke-dasharray:5 3}"
    ".chart .mark{stroke:var(--pace);stroke-width:2}.chart .axis{stroke:#9e9e9e;stroke-width:1}"
    ".keys{display:flex;flex-wrap:wrap;gap:.2rem 1rem;margin:.3rem 0 0;padding:0;"
    "list-style:none;font-size:.85rem}"
    ".keys i{display:inline-block;width:1.3em;height:.8em;margin-right:.35em;"
    "vertical-align:-.05em;border:1px solid #777}"
    ".keys .k-ahead{background:var(--ahead)}.keys .k-bar{background:var(--bar)}"
    ".keys .k-behind{background:repeating-linear-gradient(45deg,#7a4a00 0 1.5px,"
    "var(--behind) 1.5px 5px)}.keys .k-none{background:#fff;border-style:dashed}"
    ".keys .k-reach{background:var(--reach)}.keys .k-cer{background:var(--cer)}"
    ".keys .k-target{width:.25em;background:#000;border:0}"
    ".keys .k-pace{height:0;border:0;border-top:2px dashed var(--pace)}"
    ".tbl{overflow-x:auto}"
    "table{border-collapse:collapse;width:100%;font-size:.85rem}"
    "th,td{padding:.25rem .3rem;border-bottom:1px solid var(--rule);text-align:left;"
    "vertical-align:top}"
    "th{background:#f3f3f3;font-weight:600;vertical-align:bottom}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}td.n{white-space:nowrap}"
    "td.none{color:var(--muted);font-style:italic}"
    "@media screen and (min-width:64rem){td:first-child{white-space:nowrap}}"
    ".sign{display:flex;flex-wrap:wrap;justify-content:space-between;gap:1rem 2rem;"
    "margin-top:2rem;font-family:'Times New Roman','Noto Serif','DejaVu Serif',serif;"
    "break-inside:avoid;page-break-inside:avoid}"
    ".sign p{margin:0}.sign .to{flex:1 1 14rem;font-size:.9rem}"
    ".sign .to .h{font-weight:bold;font-style:italic}"
    ".sign .by{flex:0 1 18rem;text-align:center;font-weight:bold}"
    ".sign .room{height:5.5rem}.sign .who{font-weight:normal;color:var(--muted)}"
    ".note{margin-top:2rem;border-top:1px solid var(--rule);padding-top:.4rem}"
    "@media (max-width:40rem){body{font-size:14px}main{padding:.6rem}"
    ".chart text{font-size:14.5px}.chart text.n{font-size:13.5px}"
    "h1{font-size:1.2rem}h1 .sub{font-size:1rem}"
    "table.rows thead{position:absolute;width:1px;height:1px;overflow:hidden;"
    "clip:rect(0 0 0 0)}"
    "table.rows,table.rows tbody{display:block;width:100%}"
    "table.rows tr{display:grid;grid-template-columns:1fr 1fr;column-gap:1rem;"
    "border:1px solid var(--rule);border-radius:4px;margin:0 0 .5rem;padding:.2rem .5rem}"
    "table.rows td{display:flex;justify-content:space-between;gap:.5rem;border:0;"
    "padding:.1rem 0!important;text-align:right;white-space:normal;overflow-wrap:anywhere;"
    "min-width:0}"
    "table.rows td:nth-child(-n+2){grid-column:1/-1}table.rows td:first-child{font-weight:bold}"
    "table.rows td::before{content:attr(data-label);color:var(--muted);text-align:left;"
    "font-weight:normal;flex:0 1 60%}"
    "table.rows td.none{display:block;grid-column:1/-1;text-align:left}"
    "table.rows td.none::before{content:none}}"
    "@media print{@page{margin:12mm 10mm}"
    "body{font-size:9pt}main{max-width:none;padding:0}"
    ".doc{font-size:10.5pt}h1{font-size:13pt}h1 .sub{font-size:11pt}"
    "section.report{break-before:page;page-break-before:always}"
    "section.report:first-of-type{break-before:auto;page-break-before:auto}"
    "h2,h3{break-after:avoid;page-break-after:avoid}"
    "tr{break-inside:avoid;page-break-inside:avoid}"
    ".charts{gap:0 6mm}figure{flex:1 1 80mm;max-width:86mm}"
    "thead{display:table-header-group}.tbl{overflow:visible}"
    ".chart svg{max-height:160mm}"
    "table{font-size:6.5pt}th,td{padding:.06rem .15rem}"
    "th{font-weight:bold;overflow-wrap:anywhere}}";

/* Chart geometry, in SVG user units: a row's label above its bar, the note after it. */
#define CH_W     440
#define CH_TRACK 300 /* the bar's room; the note is right-aligned at CH_W */
#define CH_ROW   36
#define CH_PAD   4

struct bar {
    char *label, *note, *tone;
    double value, mark, target, reached;
    int has_value, has_mark, has_target, has_reached;
};

static void
bars_free(struct bar *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(b[i].label);
        free(b[i].note);
        free(b[i].tone);
    }
    free(b);
}

/* The index of the result column named name, or -1: a chart may lack the optional ones. */
static int
column_index(sqlite3_stmt *st, const char *name)
{
    for (int c = 0; c < sqlite3_column_count(st); c++)
        if (strcmp(sqlite3_column_name(st, c), name) == 0)
            return c;
    return -1;
}

static int
column_double(sqlite3_stmt *st, int c, double *out)
{
    if (c < 0 || sqlite3_column_type(st, c) == SQLITE_NULL)
        return 0;
    *out = sqlite3_column_double(st, c);
    return 1;
}

static char *
column_dup(sqlite3_stmt *st, int c, const char *dflt)
{
    const char *t = c >= 0 ? (const char *)sqlite3_column_text(st, c) : NULL;
    return t != NULL ? strdup(t) : dflt != NULL ? strdup(dflt) : calloc(1, 1);
}

/* Reads the chart query's rows; rows with neither a value nor a tone are left out. */
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
    int cl = column_index(st, "label"), cv = column_index(st, "value"),
        cm = column_index(st, "mark"), cn = column_index(st, "note"),
        ct = column_index(st, "target"), cr = column_index(st, "reached"),
        co = column_index(st, "tone");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int has_tone = co >= 0 && sqlite3_column_type(st, co) != SQLITE_NULL;
        if ((cv < 0 || sqlite3_column_type(st, cv) == SQLITE_NULL) && !has_tone)
            continue;
        if (cs_grow((void **)&b, &cap, n + 1, sizeof(*b), 16) != 0) {
            ret = cs_errf(x->err, x->errlen, CS_ENOMEM, "%s", cs_strerror(CS_ENOMEM));
            goto out;
        }
        struct bar *r = &b[n++];
        memset(r, 0, sizeof(*r));
        r->label = column_dup(st, cl, "");
        r->note =
            column_dup(st, cn >= 0 && sqlite3_column_type(st, cn) != SQLITE_NULL ? cn : cv, "");
        r->tone = column_dup(st, co, "");
        r->has_value = column_double(st, cv, &r->value);
        r->has_mark = column_double(st, cm, &r->mark);
        r->has_target = column_double(st, ct, &r->target);
        r->has_reached = column_double(st, cr, &r->reached);
        if (r->label == NULL || r->note == NULL || r->tone == NULL) {
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

static void
svg_open(FILE *f, int h, const char *title)
{
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\""
            " height=\"%d\" role=\"img\" aria-label=\"",
            CH_W, h, CH_W, h);
    html_text(f, title);
    fputs("\">", f);
}

/* The legend under a chart: a swatch (a CSS class of .keys) and its text per key. */
static void
keys(FILE *f, const char *const *k, size_t n)
{
    fputs("<ul class=\"keys\">", f);
    for (size_t i = 0; i + 1 < n; i += 2) {
        fprintf(f, "<li><i class=\"k-%s\"></i>", k[i]);
        html_text(f, k[i + 1]);
        fputs("</li>", f);
    }
    fputs("</ul>", f);
}

/* A bar's tone as a class: the three the targets chart knows, else the plain bar. */
static const char *
tone_class(const char *tone)
{
    if (strcmp(tone, "ahead") == 0)
        return "ahead";
    if (strcmp(tone, "behind") == 0)
        return "behind";
    return "bar";
}

/*
 * Achieved against the target per unit: on a % scale, the bar (coloured
 * by its tone), the target (a black tick at its value, 100) and the share
 * of the year gone by (the dashed mark); a unit with no target has an
 * empty dashed track.
 */
static void
chart_targets(struct run *x, const struct bar *b, size_t n)
{
    FILE *f = x->f;
    double max = 100, pace = -1;
    for (size_t i = 0; i < n; i++) {
        if (b[i].has_value && b[i].value > max)
            max = b[i].value;
        if (b[i].has_target && b[i].target > max)
            max = b[i].target;
        if (b[i].has_mark && pace < 0)
            pace = b[i].mark;
    }
    /* A unit far ahead does not squeeze the others: the scale ends at 200%, its bar there. */
    max = (max > 200 ? 200 : max) * 1.05;
    int top = 34, h = top + 2 * CH_PAD + (int)(n > 0 ? n : 1) * CH_ROW;
    svg_open(f, h, _("Admissions against the target by unit"));
    fputs("<defs><pattern id=\"cs-hatch\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\""
          " patternTransform=\"rotate(45)\"><rect width=\"5\" height=\"5\" fill=\"#f2a93b\"/>"
          "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"5\" stroke=\"#7a4a00\" stroke-width=\"1.6\"/>"
          "</pattern></defs>",
          f);
    /* The scale's two landmarks above the rows: the target and today's pace. */
    double tx = CH_TRACK * 100 / max;
    fprintf(f, "<text class=\"n\" x=\"%.1f\" y=\"12\" text-anchor=\"middle\">", tx);
    html_text(f, _("target"));
    fputs("</text>", f);
    if (pace >= 0) {
        double px = CH_TRACK * (pace > 0 ? pace : 0) / max;
        char pct[32];
        snprintf(pct, sizeof(pct), "%.0f%%", pace);
        fprintf(f, "<text class=\"n\" x=\"%.1f\" y=\"27\" text-anchor=\"%s\">", px,
                px < 20 ? "start" : "middle");
        html_text(f, pct);
        fputs("</text>", f);
        fprintf(f, "<line class=\"pace\" x1=\"%.1f\" y1=\"30\" x2=\"%.1f\" y2=\"%d\"/>", px, px,
                h - CH_PAD);
    }
    for (size_t i = 0; i < n; i++) {
        int y = top + CH_PAD + (int)i * CH_ROW;
        fprintf(f, "<text x=\"0\" y=\"%d\">", y + 13);
        html_text(f, b[i].label);
        fputs("</text>", f);
        if (!b[i].has_target) {
            fprintf(f,
                    "<rect class=\"none\" x=\"0.5\" y=\"%d\" width=\"%d\" height=\"14\"/>"
                    "<text class=\"n\" x=\"6\" y=\"%d\">",
                    y + 18, CH_TRACK, y + 29);
            html_text(f, _("no target"));
            fputs("</text>", f);
        } else {
            double v = b[i].has_value && b[i].value > 0 ? b[i].value : 0;
            double w = CH_TRACK * (v < max ? v : max) / max;
            fprintf(f,
                    "<rect class=\"track\" x=\"0\" y=\"%d\" width=\"%d\" height=\"14\"/>"
                    "<rect class=\"bar %s\" x=\"0\" y=\"%d\" width=\"%.1f\" height=\"14\"/>",
                    y + 18, CH_TRACK, tone_class(b[i].tone), y + 18, w);
            double t = CH_TRACK * b[i].target / max;
            fprintf(f, "<line class=\"target\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>", t,
                    y + 15, t, y + 34);
        }
        fprintf(f, "<text class=\"n\" x=\"%d\" y=\"%d\" text-anchor=\"end\">", CH_W, y + 29);
        html_text(f, b[i].note);
        fputs("</text>", f);
    }
    fputs("</svg>", f);
    char today[CS_DATE_BUFSZ], pace_key[160];
    /* TRANSLATORS: %s is a date, DD/MM/YYYY. */
    snprintf(pace_key, sizeof(pace_key), _("share of the year gone by on %s"),
             cs_date_format_vi(x->p->today, today));
    const char *k[] = {"ahead", _("ahead of the year's pace"), "behind",
                       _("behind the year's pace"), "none", _("no target"),
                       /* xgettext:no-c-format */
                       "target", _("the target (100%)"), "pace", pace_key};
    keys(f, k, CS_ARRAY_SIZE(k));
}

/*
 * The pipeline as a funnel: per step, centred, how many reached it or a
 * later step (light) and how many are at it now (dark); the withdrawn,
 * who left the funnel, as a plain bar.
 */
static void
chart_funnel(struct run *x, const struct bar *b, size_t n)
{
    FILE *f = x->f;
    double max = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i].has_reached && b[i].reached > max)
            max = b[i].reached;
        if (b[i].has_value && b[i].value > max)
            max = b[i].value;
    }
    if (max <= 0)
        max = 1;
    /* A row: the step's name, its numbers under it, then the funnel across the whole width. */
    int row = 54, h = 2 * CH_PAD + (int)(n > 0 ? n : 1) * row;
    svg_open(f, h, _("Candidates at each step of the procedure"));
    for (size_t i = 0; i < n; i++) {
        int y = CH_PAD + (int)i * row;
        double c = CH_W / 2.0;
        fprintf(f, "<text x=\"0\" y=\"%d\">", y + 13);
        html_text(f, b[i].label);
        fprintf(f, "</text><text class=\"n\" x=\"0\" y=\"%d\">", y + 29);
        if (b[i].has_reached) {
            /* TRANSLATORS: a step of the funnel: how many reached it, how many are at it now. */
            fprintf(f, _("%.0f reached, %.0f now"), b[i].reached, b[i].value);
        } else {
            html_text(f, b[i].note);
        }
        fputs("</text>", f);
        if (b[i].has_reached) {
            double w = CH_W * b[i].reached / max;
            fprintf(f, "<rect class=\"reach\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"16\"/>",
                    c - w / 2, y + 34, w);
        }
        double w = b[i].value > 0 ? CH_W * b[i].value / max : 0;
        fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"16\"/>",
                c - w / 2, y + 34, w);
    }
    fputs("</svg>", f);
    const char *k[] = {"reach", _("reached this step or a later one"), "bar",
                       _("at this step now")};
    keys(f, k, CS_ARRAY_SIZE(k));
}

/* Any other chart: a bar per row, its label above, its note after it, the mark across it. */
static void
chart_bars(struct run *x, const struct cs_report_query *q, const struct bar *b, size_t n)
{
    FILE *f = x->f;
    double max = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i].has_value && b[i].value > max)
            max = b[i].value;
        if (b[i].has_mark && b[i].mark > max)
            max = b[i].mark;
    }
    if (max <= 0)
        max = 1;
    int h = 2 * CH_PAD + (int)(n > 0 ? n : 1) * CH_ROW;
    svg_open(f, h, _(q->title));
    for (size_t i = 0; i < n; i++) {
        int y = CH_PAD + (int)i * CH_ROW;
        double w = b[i].has_value && b[i].value > 0 ? CH_TRACK * b[i].value / max : 0;
        fprintf(f, "<text x=\"0\" y=\"%d\">", y + 13);
        html_text(f, b[i].label);
        fprintf(f,
                "</text><rect class=\"track\" x=\"0\" y=\"%d\" width=\"%d\" height=\"14\"/>"
                "<rect class=\"bar\" x=\"0\" y=\"%d\" width=\"%.1f\" height=\"14\"/>",
                y + 18, CH_TRACK, y + 18, w);
        if (b[i].has_mark) {
            double mx = CH_TRACK * (b[i].mark > 0 ? b[i].mark : 0) / max;
            fprintf(f, "<line class=\"mark\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>", mx,
                    y + 15, mx, y + 34);
        }
        fprintf(f, "<text class=\"n\" x=\"%d\" y=\"%d\" text-anchor=\"end\">", CH_W, y + 29);
        html_text(f, b[i].note);
        fputs("</text>", f);
    }
    fputs("</svg>", f);
}

/* The chart of a report, its kind of drawing chosen by the columns its query has. */
static int
html_chart(struct run *x, const struct cs_report_query *q)
{
    struct bar *b;
    size_t n;
    int ret, targets = 0, funnel = 0;

    if ((ret = bars_load(x, q, &b, &n)) != 0)
        return ret;
    for (size_t i = 0; i < n; i++) {
        targets |= b[i].has_target || b[i].tone[0] != 0;
        funnel |= b[i].has_reached;
    }
    FILE *f = x->f;
    fprintf(f, "<figure class=\"chart%s\">", targets ? " targets" : funnel ? " funnel" : "");
    if (n == 0) {
        svg_open(f, 2 * CH_PAD + CH_ROW, _(q->title));
        fprintf(f, "<text x=\"0\" y=\"%d\">", CH_PAD + 16);
        html_text(f, _("nothing to show"));
        fputs("</text></svg>", f);
    } else if (targets) {
        chart_targets(x, b, n);
    } else if (funnel) {
        chart_funnel(x, b, n);
    } else {
        chart_bars(x, q, b, n);
    }
    fputs("<figcaption>", f);
    html_text(f, _(q->title));
    fputs("</figcaption></figure>\n", f);
    bars_free(b, n);
    return 0;
}

/*
 * A column chart of a section with the columns month, admitted and
 * ceremonies (targets.months): per month a dark column of decisions and a
 * light one of ceremonies, the count above each; a month not begun (NULL)
 * is left empty.
 */
#define MO_H    150 /* the plot's height */
#define MO_LEFT 4
#define MO_TOP  18

static int
html_months(struct run *x, const struct cs_report_query *q)
{
    sqlite3_stmt *st;
    int ret, rc, cm, ca, cc;
    struct {
        int month, has;
        double a, c;
    } m[12];
    size_t n = 0;

    if ((ret = cs__report_prepare(x, q->sql, &st, q->section)) != 0)
        return ret;
    cm = column_index(st, "month");
    ca = column_index(st, "admitted");
    cc = column_index(st, "ceremonies");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 12) {
        m[n].month = sqlite3_column_int(st, cm);
        m[n].has = column_double(st, ca, &m[n].a);
        m[n].c = 0;
        column_double(st, cc, &m[n].c);
        n++;
    }
    ret = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : cs__report_sql_fail(x, q->section);
    sqlite3_finalize(st);
    if (ret != 0)
        return ret;
    double max = 0;
    for (size_t i = 0; i < n; i++)
        if (m[i].has) {
            if (m[i].a > max)
                max = m[i].a;
            if (m[i].c > max)
                max = m[i].c;
        }
    if (max <= 0)
        max = 1;
    FILE *f = x->f;
    int h = MO_TOP + MO_H + 22, gw = (CH_W - MO_LEFT) / 12;
    fputs("<figure class=\"chart months\">", f);
    svg_open(f, h, _(q->title));
    fprintf(f, "<line class=\"axis\" x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", MO_TOP + MO_H, CH_W,
            MO_TOP + MO_H);
    for (size_t i = 0; i < n; i++) {
        int gx = MO_LEFT + (int)i * gw;
        if (m[i].has) {
            double v[2] = {m[i].a, m[i].c};
            for (int k = 0; k < 2; k++) {
                double bh = MO_H * v[k] / max, bx = gx + 4 + k * 14;
                fprintf(f,
                        "<rect class=\"bar%s\" x=\"%.1f\" y=\"%.1f\" width=\"13\" "
                        "height=\"%.1f\"/>",
                        k ? " cer" : "", bx, MO_TOP + MO_H - bh, bh);
                fprintf(
                    f, "<text class=\"n\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>",
                    bx + 6.5, MO_TOP + MO_H - bh - 3, v[k]);
            }
        }
        fprintf(f, "<text%s x=\"%d\" y=\"%d\" text-anchor=\"middle\">%d</text>",
                m[i].has ? "" : " class=\"n\"", gx + 17, MO_TOP + MO_H + 16, m[i].month);
    }
    fputs("</svg>", f);
    const char *k[] = {"bar", _("admission decisions"), "cer", _("admission ceremonies")};
    keys(f, k, CS_ARRAY_SIZE(k));
    fputs("<figcaption>", f);
    html_text(f, _(q->title));
    fputs("</figcaption></figure>\n", f);
    return 0;
}

/*
 * A table cell's text: "-" for NULL; a stored date, alone or opening a date
 * and time ("2025-06-23 18:58"), as people read it: DD/MM/YYYY.
 */
static void
html_value(FILE *f, const char *t)
{
    char day[CS_DATE_BUFSZ];
    size_t len = t != NULL ? strlen(t) : 0;

    if (t == NULL) {
        fputs("-", f);
        return;
    }
    if (len == CS_DATE_BUFSZ - 1 || (len > CS_DATE_BUFSZ - 1 && t[CS_DATE_BUFSZ - 1] == ' ')) {
        memcpy(day, t, CS_DATE_BUFSZ - 1);
        day[CS_DATE_BUFSZ - 1] = 0;
        html_text(f, cs_date_text_vi(day, day, sizeof(day)));
        html_text(f, t + CS_DATE_BUFSZ - 1);
        return;
    }
    html_text(f, t);
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
    fputs("</h3>\n<div class=\"tbl\"><table class=\"rows\"><thead><tr>", f);
    const char *label[64];
    for (int c = first, h = 0; c < nc; c++, h++) {
        label[c] = headers[h] ? _(headers[h]) : sqlite3_column_name(st, c);
        fputs(num[c] ? "<th class=\"n\">" : "<th>", f);
        html_text(f, label[c]);
        fputs("</th>", f);
    }
    fputs("</tr></thead><tbody>\n", f);
    for (rc = rc == SQLITE_DONE ? sqlite3_step(st) : rc; rc == SQLITE_ROW;
         rc = sqlite3_step(st), rows++) {
        int indent = depth ? sqlite3_column_int(st, 0) : 0;
        fputs("<tr>", f);
        /* Each cell carries its heading: a phone shows the row as a card of them. */
        for (int c = first; c < nc; c++) {
            const char *t = (const char *)sqlite3_column_text(st, c);
            fputs(num[c] ? "<td class=\"n\"" : "<td", f);
            if (!num[c] && indent > 0 && strcmp(sqlite3_column_name(st, c), "name") == 0)
                fprintf(f, " style=\"padding-left:%.2frem\"",
                        0.45 + 0.9 * (indent > 12 ? 12 : indent));
            fputs(" data-label=\"", f);
            html_text(f, label[c]);
            fputs("\">", f);
            html_value(f, t);
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

/* Admissions by month (targets.months) has its column chart. */
static int
is_months(const struct cs_report_kind_def *def, const struct cs_report_query *q)
{
    return strcmp(def->name, "targets") == 0 && strcmp(q->section, "months") == 0;
}

static int
html_kind(struct run *x, const struct cs_report_kind_def *def)
{
    const struct cs_report_query *q = def->queries, *chart = cs__report_chart_of(def);
    int ret = 0;

    fprintf(x->f, "<section class=\"report\" id=\"%s\"><h2>", def->name);
    html_text(x->f, _(def->title));
    fputs("</h2>\n<div class=\"charts\">", x->f);
    /* The charts first, side by side where the width allows: they carry the message. */
    if (x->p->section == NULL && chart != NULL)
        ret = html_chart(x, chart);
    for (size_t i = 0; i < def->count && ret == 0; i++)
        if (cs__report_is_section(&q[i], x->p->section) && is_months(def, &q[i]))
            ret = html_months(x, &q[i]);
    fputs("</div>\n", x->f);
    for (size_t i = 0; i < def->count && ret == 0; i++)
        if (cs__report_is_section(&q[i], x->p->section))
            ret = html_table(x, &q[i]);
    fputs("</section>\n", x->f);
    return ret;
}

/*
 * The letterhead of a committee's report, as Party documents are laid out:
 * on the left the committee above (where the replica holds the root's
 * parent) and the issuing one, uppercase, a star and the number; on the
 * right the Party's name, underlined, and the place and date in italics.
 * A number or place not given is a dotted line to fill in by hand.
 */
static void
html_letterhead(struct run *x)
{
    FILE *f = x->f;
    const char *dots = "\xe2\x80\xa6\xe2\x80\xa6\xe2\x80\xa6\xe2\x80\xa6"; /* "…………" */
    struct cs_date d = cs_date_to_civil(x->p->today);
    char no[256], line[512];

    fputs("<header class=\"doc\"><div class=\"issuer\">", f);
    if (x->parent_name[0] != 0) {
        fputs("<p class=\"up sup\">", f);
        html_text(f, x->parent_name);
        fputs("</p>", f);
    }
    fputs("<p class=\"up org\">", f);
    html_text(f, x->root_name[0] != 0 ? x->root_name : x->units);
    fputs("</p><p class=\"star\">*</p><p class=\"no\">", f);
    if (x->p->number != NULL && x->p->number[0] != 0)
        snprintf(no, sizeof(no), "%s", x->p->number);
    else
        /* TRANSLATORS: the blank number of a report (BC) to fill in by hand. */
        snprintf(no, sizeof(no), _("%s-BC/%s"), dots, dots);
    /* TRANSLATORS: the number line of a Party document: "Số 12-BC/ĐU". */
    snprintf(line, sizeof(line), _("No. %s"), no);
    html_text(f, line);
    fputs("</p></div><div class=\"party-date\"><p class=\"up party\">", f);
    html_text(f, _("Communist Party of Vietnam"));
    fputs("</p><p class=\"place\">", f);
    /* TRANSLATORS: the place and date line of a document: place, day, month, year. */
    snprintf(line, sizeof(line), _("%1$s, %2$02d/%3$02d/%4$04d"),
             x->p->place != NULL && x->p->place[0] != 0 ? x->p->place : dots, d.d, d.m, d.y);
    html_text(f, line);
    fputs("</p></div></header>\n", f);
}

/* The end of a committee's report: the recipients and who signs, with room to sign. */
static void
html_signature(struct run *x)
{
    FILE *f = x->f;
    int cell = strcmp(x->root_level, "cell") == 0;

    fputs("<footer class=\"sign\"><div class=\"to\"><p class=\"h\">", f);
    html_text(f, _("Recipients:"));
    fputs("</p><p>", f);
    html_text(f, _("- the committee above (to report),"));
    fputs("</p><p>", f);
    html_text(f, _("- the units below,"));
    fputs("</p><p>", f);
    html_text(f, _("- filed at the office."));
    fputs("</p></div><div class=\"by\"><p>", f);
    /* TRANSLATORS: "T/M CHI BỘ" (a cell signs) and "T/M ĐẢNG ỦY" (a committee signs). */
    html_text(f, cell ? _("FOR THE PARTY CELL") : _("FOR THE PARTY COMMITTEE"));
    fputs("</p><p>", f);
    html_text(f, _("SECRETARY"));
    fputs("</p><div class=\"room\"></div><p class=\"who\">", f);
    html_text(f, "\xe2\x80\xa6\xe2\x80\xa6\xe2\x80\xa6\xe2\x80\xa6\xe2\x80\xa6\xe2\x80\xa6");
    fputs("</p></div></footer>\n", f);
}

int
cs__report_render_html(struct run *x, const struct cs_report_kind_def *const *kinds, size_t nk,
                       int many)
{
    FILE *f = x->f;
    const char *title = many ? _("Membership development report") : _(kinds[0]->title);
    char day[CS_DATE_BUFSZ], line[512];
    int ret = 0;

    fputs("<!DOCTYPE html>\n<html lang=\"", f);
    /* TRANSLATORS: the language code of the translation (for HTML lang=""): "vi" in vi.po. */
    html_text(f, _("en"));
    fputs("\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          f);
    html_text(f, title);
    fprintf(f, "</title>\n<style>%s</style></head>\n<body><main>\n", html_css);
    html_letterhead(x);
    fputs("<h1><span>", f);
    /* TRANSLATORS: the kind of document, above its title: "BÁO CÁO". */
    html_text(f, _("REPORT"));
    fputs("</span><span class=\"sub\">", f);
    if (many) {
        snprintf(line, sizeof(line), _("on membership development, year %d"), x->p->year);
        html_text(f, line);
    } else {
        html_text(f, _(kinds[0]->title));
        fputs(" &middot; ", f);
        fprintf(f, _("year %d"), x->p->year);
    }
    fputs("</span></h1>\n<p class=\"meta\">", f);
    html_text(f, _("unit:"));
    fputc(' ', f);
    html_text(f, x->units);
    fputs(" &middot; ", f);
    html_text(f, _("as of"));
    fprintf(f, " %s</p>\n", cs_date_format_vi(x->p->today, day));
    for (size_t i = 0; i < nk && ret == 0; i++)
        ret = html_kind(x, kinds[i]);
    if (ret == 0)
        html_signature(x);
    fputs("<p class=\"note\">", f);
    html_text(f, _("Every number on this page is the result of a documented query on the "
                   "records of this replica (docs/REPORTS.md; 'report --sql' prints them)."));
    fputs("</p>\n</main></body></html>\n", f);
    return ret;
}
