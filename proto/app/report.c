/* SPDX-License-Identifier: MIT */
/*
 * The report engine (cellsync/report.h): runs the named queries of the
 * built-in kinds (report_queries.c) and of those a program registers, and
 * renders what they return. Renderers never compute:
 * a table or HTML cell is a value a query returned, with codes turned into
 * labels and a unit's name indented by its depth; JSON is a json_object()
 * around the same queries; CSV prints one query's rows as they are (with
 * --labels, as the table shows them); a workbook holds the rows the table
 * shows, typed (report_xlsx.c). So a
 * figure on the page is always the figure of the documented query. The
 * HTML page, its theme and its charts are made in report_html.c.
 *
 * Output is built in memory (open_memstream) and written at the end, so a
 * report to a file is written atomically and a failure half-way leaves no
 * half report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellsync/candidate.h"
#include "cellsync/cli.h"
#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/file.h"
#include "cellsync/i18n.h"
#include "cellsync/output.h"
#include "cellsync/report.h"
#include "internal.h"
#include "report_internal.h"

struct cs_report {
    const struct cs_report_kind_def *kinds[CS_REPORT__COUNT]; /* built-in ones first */
    size_t count;
};

static const char *const format_names[] = {
    [CS_REPORT_TABLE] = "table", [CS_REPORT_JSON] = "json", [CS_REPORT_CSV] = "csv",
    [CS_REPORT_HTML] = "html",   [CS_REPORT_XLSX] = "xlsx",
};

int
cs_report_new(struct cs_report **out)
{
    struct cs_report *rep = calloc(1, sizeof(*rep));
    *out = NULL;
    if (rep == NULL)
        return CS_ENOMEM;
    for (size_t k = 0; k < CS_REPORT__BUILTIN; k++)
        rep->kinds[rep->count++] = &cs__report_builtin[k];
    *out = rep;
    return 0;
}

void
cs_report_free(struct cs_report *rep)
{
    free(rep);
}

/* The definition of a kind, or NULL for one rep does not have (and for CS_REPORT_ALL). */
static const struct cs_report_kind_def *
kind_def(const struct cs_report *rep, enum cs_report_kind k)
{
    return (unsigned)k < rep->count ? rep->kinds[k] : NULL;
}

const char *
cs_report_kind_name(const struct cs_report *rep, enum cs_report_kind k)
{
    const struct cs_report_kind_def *def = kind_def(rep, k);
    if (k == CS_REPORT_ALL)
        return "all";
    return def != NULL ? def->name : NULL;
}

int
cs_report_kind_from_name(const struct cs_report *rep, const char *name)
{
    for (size_t k = 0; k < rep->count; k++)
        if (strcmp(rep->kinds[k]->name, name) == 0)
            return (int)k;
    return strcmp(name, "all") == 0 ? CS_REPORT_ALL : -1;
}

int
cs_report_register(struct cs_report *rep, const struct cs_report_kind_def *def,
                   enum cs_report_kind *kind_out)
{
    if (rep->count == CS_REPORT__COUNT || cs_report_kind_from_name(rep, def->name) >= 0)
        return CS_EINVAL;
    *kind_out = (enum cs_report_kind)rep->count;
    rep->kinds[rep->count++] = def;
    return 0;
}

const char *
cs_report_format_name(enum cs_report_format f)
{
    return (unsigned)f < CS_ARRAY_SIZE(format_names) ? format_names[f] : NULL;
}

int
cs_report_format_from_name(const char *name)
{
    for (size_t f = 0; f < CS_ARRAY_SIZE(format_names); f++)
        if (strcmp(format_names[f], name) == 0)
            return (int)f;
    return -1;
}

/* Columns whose codes tables and HTML show as labels (JSON and CSV keep the codes). */
static const struct {
    const char *column, *list;
} coded[] = {
    {"level", "level"},       {"stage", "stage"},       {"source", "source"},
    {"deadline", "due_kind"}, {"status", "due_status"}, {"role", "role"},
};

static const char *
coded_list(const char *column)
{
    for (size_t i = 0; i < CS_ARRAY_SIZE(coded); i++)
        if (strcmp(coded[i].column, column) == 0)
            return coded[i].list;
    return NULL;
}

/* ---- one run ---- */

int
cs__report_sql_fail(struct run *x, const char *what)
{
    return cs_errf(x->err, x->errlen, CS_ESQLITE, _("cannot make the report (%s): %s"), what,
                   sqlite3_errmsg(x->db));
}

static int
write_fail(struct run *x)
{
    int e = errno != 0 ? -errno : -EIO;
    return cs_errf(x->err, x->errlen, e, _("cannot write the report: %s"), cs_strerror(e));
}

/*
 * Binds the report parameters by name, and hands the others to the kinds'
 * own bind(): a JSON statement of 'all' holds the queries of every kind.
 * Parameters nobody binds stay NULL.
 */
static int
bind_params(struct run *x, sqlite3_stmt *st)
{
    int n = sqlite3_bind_parameter_count(st), ret = 0;
    for (int i = 1; i <= n && ret == 0; i++) {
        const char *name = sqlite3_bind_parameter_name(st, i);
        if (name == NULL)
            continue;
        if (strcmp(name, ":root") == 0) {
            if (x->p->root != NULL)
                sqlite3_bind_text(st, i, x->p->root, -1, SQLITE_STATIC);
        } else if (strcmp(name, ":year") == 0) {
            sqlite3_bind_int(st, i, x->p->year);
        } else if (strcmp(name, ":today") == 0) {
            sqlite3_bind_text(st, i, x->today, -1, SQLITE_STATIC);
        } else {
            for (size_t k = 0; k < x->rep->count && ret == 0; k++)
                if (x->rep->kinds[k]->bind != NULL)
                    ret = x->rep->kinds[k]->bind(x->r, st, i, name);
        }
    }
    return ret;
}

int
cs__report_prepare(struct run *x, const char *sql, sqlite3_stmt **st, const char *what)
{
    int ret;
    if (sqlite3_prepare_v2(x->db, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return cs__report_sql_fail(x, what);
    }
    if ((ret = bind_params(x, *st)) != 0) {
        sqlite3_finalize(*st);
        *st = NULL;
        return cs_errf(x->err, x->errlen, ret, _("cannot make the report (%s): %s"), what,
                       cs_strerror(ret));
    }
    return 0;
}

/* sqlite3_str_finish() of a built statement; NULL (and err set) when building failed. */
static char *
str_finish(struct run *x, sqlite3_str *s)
{
    if (sqlite3_str_errcode(s) != SQLITE_OK) {
        sqlite3_free(sqlite3_str_finish(s));
        cs_errf(x->err, x->errlen, CS_ENOMEM, "%s", cs_strerror(CS_ENOMEM));
        return NULL;
    }
    return sqlite3_str_finish(s);
}

/* The sections of a kind are its named queries but the chart. */
int
cs__report_is_section(const struct cs_report_query *q, const char *only)
{
    return strcmp(q->section, "chart") != 0 && (only == NULL || strcmp(q->section, only) == 0);
}

const struct cs_report_query *
cs__report_chart_of(const struct cs_report_kind_def *def)
{
    for (size_t i = 0; i < def->count; i++)
        if (strcmp(def->queries[i].section, "chart") == 0)
            return &def->queries[i];
    return NULL;
}

/* The result columns of a query, by preparing it. OUT: *names, free with free(). */
static int
columns_of(struct run *x, const char *sql, char ***names, int *count)
{
    sqlite3_stmt *st;
    int ret;
    *names = NULL;
    if ((ret = cs__report_prepare(x, sql, &st, "columns")) != 0)
        return ret;
    int n = sqlite3_column_count(st);
    size_t size = (size_t)n * sizeof(char *);
    for (int i = 0; i < n; i++)
        size += strlen(sqlite3_column_name(st, i)) + 1;
    char **v = malloc(size + 1);
    if (v == NULL) {
        sqlite3_finalize(st);
        return cs_errf(x->err, x->errlen, CS_ENOMEM, "%s", cs_strerror(CS_ENOMEM));
    }
    char *p = (char *)(v + n);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(sqlite3_column_name(st, i)) + 1;
        memcpy(p, sqlite3_column_name(st, i), len);
        v[i] = p;
        p += len;
    }
    sqlite3_finalize(st);
    *names = v;
    *count = n;
    return 0;
}

static int
has_column(char **names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

/*
 * What a table shows of a query: codes as labels; depth dropped, and with
 * indent the name indented two spaces a level (HTML indents with CSS: then
 * depth stays, as column 0). OUT: *sql, free with sqlite3_free().
 */
int
cs__report_display_sql(struct run *x, const struct cs_report_query *q, int indent, char **sql,
                       int *has_depth)
{
    char **cols;
    int n, ret;
    if ((ret = columns_of(x, q->sql, &cols, &n)) != 0)
        return ret;
    *has_depth = has_column(cols, n, "depth");
    sqlite3_str *s = sqlite3_str_new(x->db);
    sqlite3_str_appendall(s, "SELECT ");
    int first = 1;
    if (*has_depth && !indent) {
        sqlite3_str_appendall(s, "\"depth\"");
        first = 0;
    }
    for (int i = 0; i < n; i++) {
        const char *c = cols[i], *list = coded_list(c);
        if (strcmp(c, "depth") == 0)
            continue;
        if (!first)
            sqlite3_str_appendall(s, ", ");
        first = 0;
        if (indent && *has_depth && strcmp(c, "name") == 0)
            sqlite3_str_appendf(s,
                                "CASE WHEN \"name\" IS NULL THEN NULL ELSE"
                                " substr('%24s', 1, 2 * min(\"depth\", 12)) || \"name\" END"
                                " AS \"name\"",
                                "");
        else if (list != NULL)
            sqlite3_str_appendf(s, "label(%Q, \"%w\") AS \"%w\"", list, c, c);
        else
            sqlite3_str_appendf(s, "\"%w\"", c);
    }
    sqlite3_str_appendf(s, " FROM (%s)", q->sql);
    free(cols);
    *sql = str_finish(x, s);
    return *sql != NULL ? 0 : CS_ENOMEM;
}

/* The headers of the displayed columns: the query's, without depth's. */
void
cs__report_display_headers(const struct cs_report_query *q, const char **out, size_t max)
{
    size_t n = 0;
    for (const char *const *h = q->headers; *h != NULL && n + 1 < max; h++)
        if ((*h)[0] != 0)
            out[n++] = *h;
    out[n] = NULL;
}

/* ---- setting up ---- */

static int
check_root(struct run *x)
{
    static const char sql[] =
        "SELECT EXISTS (SELECT 1 FROM org_unit WHERE cl % 2 = 1 AND code = :root)"
        " OR EXISTS (SELECT 1 FROM candidate WHERE cl % 2 = 1 AND org_unit = :root)"
        " OR EXISTS (SELECT 1 FROM member WHERE cl % 2 = 1 AND org_unit = :root)";
    sqlite3_stmt *st;
    int ret;
    if (x->p->root == NULL || !x->p->root_required)
        return 0;
    if ((ret = cs__report_prepare(x, sql, &st, "units")) != 0)
        return ret;
    int rc = sqlite3_step(st), found = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return cs__report_sql_fail(x, "units");
    if (!found)
        return cs_errf(x->err, x->errlen, CS_ENOTFOUND, _("there is no unit '%s' in the org tree"),
                       x->p->root);
    return 0;
}

/* x->units: "Name (CODE)" of each root, for the heading. */
static int
find_units(struct run *x)
{
    sqlite3_stmt *st;
    int ret;
    /* The units' CTE that opens every query, without its tree. */
    const char *with = CS_REPORT_UNITS, *end = strstr(with, "),\ntree(");
    if (end == NULL)
        return cs_errf(x->err, x->errlen, CS_EINVAL, _("the units query has changed"));
    sqlite3_str *s = sqlite3_str_new(x->db);
    sqlite3_str_append(s, with, (int)(end - with + 1));
    sqlite3_str_appendall(s, "\nSELECT group_concat(CASE WHEN name IS NULL THEN code"
                             " ELSE name || ' (' || code || ')' END, ', '),"
                             " CASE count(*) WHEN 1 THEN max(name) END,"
                             " CASE count(*) WHEN 1 THEN max(pname) END,"
                             " CASE count(*) WHEN 1 THEN max(level) END"
                             " FROM (SELECT *, (SELECT l.name FROM live l WHERE l.code = u.parent)"
                             " AS pname FROM unit u WHERE depth = 0 ORDER BY path)");
    char *sql = str_finish(x, s);
    if (sql == NULL)
        return CS_ENOMEM;
    ret = cs__report_prepare(x, sql, &st, "units");
    sqlite3_free(sql);
    if (ret != 0)
        return ret;
    int rc = sqlite3_step(st);
    const char *t = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    snprintf(x->units, sizeof(x->units), "%s", t ? t : (x->p->root ? x->p->root : "-"));
    /* The letterhead's committee: the one root's name, and its parent's if held. */
    t = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 1) : NULL;
    snprintf(x->root_name, sizeof(x->root_name), "%s", t ? t : "");
    t = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 2) : NULL;
    snprintf(x->parent_name, sizeof(x->parent_name), "%s", t ? t : "");
    t = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 3) : NULL;
    snprintf(x->root_level, sizeof(x->root_level), "%s", t ? t : "");
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : cs__report_sql_fail(x, "units");
}

/* ---- table ---- */

static int
render_table_kind(struct run *x, const struct cs_report_kind_def *def)
{
    size_t n = def->count;
    const struct cs_report_query *q = def->queries;
    int ret = 0;

    fprintf(x->f, "%s\n", _(def->title));
    /* TRANSLATORS: the heading line of a report: the unit(s), the year and today's date. */
    char day[CS_DATE_BUFSZ];
    fprintf(x->f, _("unit: %s; year %d; as of %s\n"), x->units, x->p->year,
            cs_date_format_vi(x->p->today, day));
    for (size_t i = 0; i < n && ret == 0; i++) {
        if (!cs__report_is_section(&q[i], x->p->section))
            continue;
        char *sql = NULL;
        const char *headers[32];
        sqlite3_stmt *st = NULL;
        int depth;
        if ((ret = cs__report_display_sql(x, &q[i], 1, &sql, &depth)) != 0)
            break;
        ret = cs__report_prepare(x, sql, &st, q[i].section);
        sqlite3_free(sql);
        if (ret != 0)
            break;
        cs__report_display_headers(&q[i], headers, CS_ARRAY_SIZE(headers));
        fprintf(x->f, "\n%s\n", _(q[i].title));
        char oerr[512];
        int rc = cs_out_table_width(x->f, st, headers, 0, oerr, sizeof(oerr));
        sqlite3_finalize(st);
        if (rc == CS_ESQLITE)
            ret = cs_errf(x->err, x->errlen, rc, _("cannot make the report (%s): %s"), q[i].section,
                          oerr);
        else if (rc != 0)
            ret = cs_errf(x->err, x->errlen, rc, _("cannot write the report: %s"), cs_strerror(rc));
    }
    return ret;
}

/* ---- JSON ---- */

/* Appends the json_object() of one report to s. */
static int
json_kind(struct run *x, sqlite3_str *s, const struct cs_report_kind_def *def)
{
    size_t n = def->count;
    const struct cs_report_query *q = def->queries;
    int ret = 0, first = 1;

    sqlite3_str_appendf(s,
                        "json_object('report', %Q, 'title', %Q, 'unit', :root,"
                        " 'units', %Q, 'year', :year, 'today', :today, 'sections', json_object(",
                        def->name, _(def->title), x->units);
    for (size_t i = 0; i < n; i++) {
        if (!cs__report_is_section(&q[i], x->p->section))
            continue;
        char **cols;
        int nc;
        if ((ret = columns_of(x, q[i].sql, &cols, &nc)) != 0)
            return ret;
        sqlite3_str_appendf(s, "%s%Q, (SELECT json_group_array(json_object(", first ? "" : ", ",
                            q[i].section);
        for (int c = 0; c < nc; c++)
            sqlite3_str_appendf(s, "%s%Q, \"%w\"", c ? ", " : "", cols[c], cols[c]);
        sqlite3_str_appendf(s, ")) FROM (%s))", q[i].sql);
        free(cols);
        first = 0;
    }
    sqlite3_str_appendall(s, ")");
    /* A bar has the chart query's columns: label, value, mark, note and those it adds. */
    const struct cs_report_query *chart = cs__report_chart_of(def);
    if (x->p->section == NULL && chart != NULL) {
        char **cols;
        int nc;
        if ((ret = columns_of(x, chart->sql, &cols, &nc)) != 0)
            return ret;
        sqlite3_str_appendf(s,
                            ", 'chart', json_object('title', %Q, 'bars', (SELECT"
                            " json_group_array(json_object(",
                            _(chart->title));
        for (int c = 0; c < nc; c++)
            sqlite3_str_appendf(s, "%s%Q, \"%w\"", c ? ", " : "", cols[c], cols[c]);
        sqlite3_str_appendf(s, ")) FROM (%s)))", chart->sql);
        free(cols);
    }
    sqlite3_str_appendall(s, ")");
    return 0;
}

static int
render_json(struct run *x, const struct cs_report_kind_def *const *kinds, size_t nk, int many)
{
    sqlite3_stmt *st = NULL;
    int ret;
    sqlite3_str *s = sqlite3_str_new(x->db);
    sqlite3_str_appendall(s, many ? "SELECT json_array(" : "SELECT ");
    for (size_t i = 0; i < nk; i++) {
        if (i > 0)
            sqlite3_str_appendall(s, ", ");
        if ((ret = json_kind(x, s, kinds[i])) != 0) {
            sqlite3_free(sqlite3_str_finish(s));
            return ret;
        }
    }
    if (many)
        sqlite3_str_appendall(s, ")");
    char *sql = str_finish(x, s);
    if (sql == NULL)
        return CS_ENOMEM;
    ret = cs__report_prepare(x, sql, &st, "json");
    sqlite3_free(sql);
    if (ret != 0)
        return ret;
    char oerr[512];
    int rc = cs_out_json(x->f, st, oerr, sizeof(oerr));
    sqlite3_finalize(st);
    if (rc == CS_ESQLITE)
        return cs_errf(x->err, x->errlen, rc, _("cannot make the report (%s): %s"), "json", oerr);
    if (rc != 0)
        return cs_errf(x->err, x->errlen, rc, _("cannot write the report: %s"), cs_strerror(rc));
    return 0;
}

/* ---- CSV (RFC 4180) ---- */

/* A field, quoted when it holds the delimiter, a quote or a line break; quotes doubled. */
static void
csv_field(FILE *f, const char *s, char delim)
{
    const char special[] = {delim, '"', '\r', '\n', 0};
    if (s == NULL)
        return;
    if (strpbrk(s, special) == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int
render_csv(struct run *x, const struct cs_report_kind_def *def)
{
    const struct cs_report_query *sec = NULL;
    sqlite3_stmt *st = NULL;
    int ret, rc;

    for (size_t i = 0; i < def->count && sec == NULL; i++)
        if (cs__report_is_section(&def->queries[i], x->p->section))
            sec = &def->queries[i];
    if (sec == NULL)
        return cs_errf(x->err, x->errlen, CS_EINVAL, _("no section"));
    /* --labels: the columns, headings and labels the table shows (names indented). */
    char *sql = NULL;
    const char *headers[32];
    int depth, nh = 0;
    if (x->p->labels && (ret = cs__report_display_sql(x, sec, 1, &sql, &depth)) != 0)
        return ret;
    ret = cs__report_prepare(x, sql != NULL ? sql : sec->sql, &st, sec->section);
    sqlite3_free(sql);
    if (ret != 0)
        return ret;
    cs__report_display_headers(sec, headers, CS_ARRAY_SIZE(headers));
    while (x->p->labels && headers[nh] != NULL)
        nh++;
    /* A UTF-8 byte order mark: Excel reads the file as UTF-8 only with it. */
    fputs("\xEF\xBB\xBF", x->f);
    char d = x->p->delimiter != 0 ? x->p->delimiter : ',';
    int nc = sqlite3_column_count(st);
    for (int c = 0; c < nc; c++) {
        if (c > 0)
            fputc(d, x->f);
        csv_field(x->f, c < nh ? _(headers[c]) : sqlite3_column_name(st, c), d);
    }
    fputs("\r\n", x->f);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < nc; c++) {
            const char *v = (const char *)sqlite3_column_text(st, c);
            char num[64];
            if (c > 0)
                fputc(d, x->f);
            /*
             * ';' is the list separator where ',' is the decimal one (Vietnamese
             * regional settings): there a decimal point would make Excel read 49.6 as
             * text or a date, so a fraction is written 49,6.
             */
            if (d == ';' && v != NULL && sqlite3_column_type(st, c) == SQLITE_FLOAT &&
                strlen(v) < sizeof(num)) {
                strcpy(num, v);
                char *dot = strchr(num, '.');
                if (dot != NULL)
                    *dot = ',';
                v = num;
            }
            csv_field(x->f, v, d);
        }
        fputs("\r\n", x->f);
    }
    if (rc != SQLITE_DONE)
        ret = cs__report_sql_fail(x, sec->section);
    sqlite3_finalize(st);
    return ret;
}

/* ---- entry points ---- */

int
cs_report_has_section(const struct cs_report *rep, enum cs_report_kind kind, const char *name,
                      char *list, size_t len)
{
    const struct cs_report_kind_def *def = kind_def(rep, kind);
    size_t n = def != NULL ? def->count : 0, used = 0;
    const struct cs_report_query *q = def != NULL ? def->queries : NULL;
    int found = 0;
    if (list != NULL && len > 0)
        list[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (!cs__report_is_section(&q[i], NULL))
            continue;
        found |= strcmp(q[i].section, name) == 0;
        if (list != NULL && used < len) {
            int w = snprintf(list + used, len - used, "%s%s", used ? ", " : "", q[i].section);
            used = w < 0 ? len : used + (size_t)w;
        }
    }
    return found;
}

/* What no format or section can make of a kind: one check for the commands and render(). */
static int
check_shape(const struct cs_report *rep, enum cs_report_kind kind, enum cs_report_format fmt,
            const char *section, char *err, size_t errlen)
{
    char list[256];

    if (kind == CS_REPORT_ALL && fmt == CS_REPORT_CSV)
        return cs_errf(err, errlen, CS_EINVAL, "%s",
                       _("a CSV file holds one table: choose one report, not 'all'"));
    if (section == NULL)
        return 0;
    if (kind == CS_REPORT_ALL)
        return cs_errf(err, errlen, CS_EINVAL, "%s", _("--section needs one report, not 'all'"));
    if (!cs_report_has_section(rep, kind, section, list, sizeof(list)))
        return cs_errf(err, errlen, CS_EINVAL, _("the %s report has no section '%s' (it has: %s)"),
                       cs_report_kind_name(rep, kind), section, list);
    return 0;
}

int
cs_report_csv_options(enum cs_report_format fmt, const char *delimiter, int labels,
                      struct cs_report_params *p, char *err, size_t errlen)
{
    /* The option's name, which stays as typed. */
    const char *opt = delimiter != NULL ? "--delimiter" : "--labels";
    if ((delimiter != NULL || labels) && fmt != CS_REPORT_CSV)
        return cs_errf(err, errlen, CS_EINVAL, _("%s is for --format csv only"), opt);
    p->labels = labels != 0;
    p->delimiter = ',';
    if (delimiter == NULL || strcmp(delimiter, ",") == 0)
        return 0;
    if (strcmp(delimiter, ";") == 0)
        p->delimiter = ';';
    else if (strcmp(delimiter, "tab") == 0 || strcmp(delimiter, "\t") == 0)
        p->delimiter = '\t';
    else
        return cs_errf(err, errlen, CS_EINVAL,
                       _("--delimiter: '%s' is not one of ',', ';' or 'tab'"), delimiter);
    return 0;
}

int
cs_report_request(const struct cs_report *rep, const char *kind, const char *format,
                  const char *year, const char *section, enum cs_report_kind *kind_out,
                  enum cs_report_format *fmt_out, int *year_out, char *err, size_t errlen)
{
    int k = kind != NULL ? cs_report_kind_from_name(rep, kind) : -1, f = CS_REPORT_TABLE;
    long y = 0;

    /* The kinds differ by program: each command names its own in the message. */
    if (k < 0)
        return CS_ENOTFOUND;
    if (format != NULL && (f = cs_report_format_from_name(format)) < 0)
        return cs_errf(err, errlen, CS_EINVAL,
                       _("--format: '%s' is not one of table, json, csv, html, xlsx"), format);
    if (year != NULL && cs_cli_number("year", year, CS_CLI_YEAR, CS_CLI_YEAR_MIN, CS_CLI_YEAR_MAX,
                                      &y, err, errlen) != 0)
        return CS_EINVAL;
    int ret =
        check_shape(rep, (enum cs_report_kind)k, (enum cs_report_format)f, section, err, errlen);
    if (ret != 0)
        return ret;
    *kind_out = (enum cs_report_kind)k;
    *fmt_out = (enum cs_report_format)f;
    *year_out = (int)y;
    return 0;
}

static int
render(struct run *x, enum cs_report_kind kind, enum cs_report_format fmt)
{
    const struct cs_report_kind_def *kinds[CS_REPORT__COUNT];
    size_t nk = 0;
    int many = kind == CS_REPORT_ALL, ret = 0;

    if (many) {
        for (size_t k = 0; k < x->rep->count; k++)
            kinds[nk++] = x->rep->kinds[k];
    } else {
        kinds[nk++] = kind_def(x->rep, kind);
    }
    if ((ret = check_shape(x->rep, kind, fmt, x->p->section, x->err, x->errlen)) != 0)
        return ret;
    switch (fmt) {
    case CS_REPORT_TABLE:
        for (size_t i = 0; i < nk && ret == 0; i++) {
            if (i > 0)
                fputs("\n\n", x->f);
            ret = render_table_kind(x, kinds[i]);
        }
        return ret;
    case CS_REPORT_JSON:
        return render_json(x, kinds, nk, many);
    case CS_REPORT_CSV:
        return render_csv(x, kinds[0]);
    case CS_REPORT_HTML:
        return cs__report_render_html(x, kinds, nk, many);
    case CS_REPORT_XLSX:
        return cs__report_render_xlsx(x, kinds, nk);
    }
    return cs_errf(x->err, x->errlen, CS_EINVAL, _("unknown format"));
}

/*
 * The start of a run: the SQL functions, one read transaction (every
 * section sees the same records; the caller rolls it back, which drops
 * temp.due_rows too), the root checked and named, the due list filled.
 */
static int
run_begin(struct run *x, enum cs_report_kind kind)
{
    int ret;

    cs_date_format(x->p->today, x->today);
    if ((ret = cs_codes_sql_register(x->db)) != 0)
        return cs_errf(x->err, x->errlen, ret, _("cannot make the report (%s): %s"), "functions",
                       sqlite3_errmsg(x->db));
    if (sqlite3_exec(x->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return cs__report_sql_fail(x, "begin");
    if ((ret = check_root(x)) != 0 || (ret = find_units(x)) != 0)
        return ret;
    if (kind == CS_REPORT_DUE || kind == CS_REPORT_ALL)
        return cs_candidate_due_fill(x->db, x->p->today, x->p->hol, NULL, NULL, x->err, x->errlen);
    return 0;
}

int
cs_report_render(const struct cs_report *rep, struct cs_replica *r, enum cs_report_kind kind,
                 enum cs_report_format fmt, const struct cs_report_params *p, FILE *out, char *err,
                 size_t errlen)
{
    struct run x = {
        .rep = rep, .r = r, .db = cs_replica_db(r), .p = p, .f = out, .err = err, .errlen = errlen};
    int ret;

    if ((kind != CS_REPORT_ALL && kind_def(rep, kind) == NULL) ||
        (unsigned)fmt >= CS_ARRAY_SIZE(format_names))
        return cs_errf(err, errlen, CS_EINVAL, _("unknown report or format"));
    if ((ret = run_begin(&x, kind)) != 0)
        goto out;
    ret = render(&x, kind, fmt);
    if (ret == 0 && (fflush(out) != 0 || ferror(out)))
        ret = write_fail(&x);
out:
    /* Nothing was written but the temp table: roll back, and drop it with the transaction. */
    sqlite3_exec(x.db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

int
cs_report_write(const struct cs_report *rep, struct cs_replica *r, enum cs_report_kind kind,
                enum cs_report_format fmt, const struct cs_report_params *p, const char *path,
                char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    int ret, to_stdout = path == NULL || strcmp(path, "-") == 0;

    /* Checked before the work: a workbook's bytes would only scramble the terminal. */
    if (fmt == CS_REPORT_XLSX && to_stdout && isatty(STDOUT_FILENO))
        return cs_errf(err, errlen, CS_EINVAL, "%s",
                       _("an xlsx workbook is not for the terminal: give --out FILE, or "
                         "redirect standard output to a file"));
    FILE *mem = open_memstream(&buf, &len);
    if (mem == NULL)
        return cs_errf(err, errlen, -errno, _("cannot write the report: %s"), strerror(errno));
    ret = cs_report_render(rep, r, kind, fmt, p, mem, err, errlen);
    if (fclose(mem) != 0 && ret == 0)
        ret = cs_errf(err, errlen, CS_ENOMEM, _("cannot write the report: %s"),
                      cs_strerror(CS_ENOMEM));
    if (ret != 0)
        goto out;
    if (to_stdout) {
        if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
            int e = errno != 0 ? -errno : -EIO;
            ret = cs_errf(err, errlen, e, _("cannot write the report: %s"), cs_strerror(e));
        }
    } else {
        ret = cs_file_write_atomic(path, buf, len, 0600, err, errlen); /* members' data: F18 */
    }
out:
    free(buf);
    return ret;
}

int
cs_report_print_sql(const struct cs_report *rep, FILE *f, enum cs_report_kind kind)
{
    if (kind != CS_REPORT_ALL && kind_def(rep, kind) == NULL)
        return CS_EINVAL;
    for (size_t k = 0; k < rep->count; k++) {
        const struct cs_report_kind_def *def = rep->kinds[k];
        if (kind != CS_REPORT_ALL && (size_t)kind != k)
            continue;
        for (size_t i = 0; i < def->count; i++)
            fprintf(f, "-- %s.%s: %s\n%s;\n\n", def->name, def->queries[i].section,
                    def->queries[i].title, def->queries[i].sql);
    }
    if (fflush(f) != 0 || ferror(f))
        return errno != 0 ? -errno : -EIO;
    return 0;
}

/* Hands the rows of one prepared display query to fn. */
static int
rows_of(struct run *x, const struct cs_report_query *q, sqlite3_stmt *st, int depth,
        cs_report_row_fn fn, void *ud)
{
    const char *headers[32], *names[64], *heads[64], *values[64];
    int n = sqlite3_column_count(st), rc, ret = 0;

    cs__report_display_headers(q, headers, CS_ARRAY_SIZE(headers));
    if (n > 64)
        n = 64;
    for (int c = 0, h = 0; c < n; c++) {
        names[c] = sqlite3_column_name(st, c);
        heads[c] = depth && c == 0 ? "" : headers[h] != NULL ? _(headers[h++]) : names[c];
    }
    struct cs_report_row row = {n, names, heads, values, 0};
    while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < n; c++)
            values[c] = (const char *)sqlite3_column_text(st, c);
        ret = fn(ud, &row);
        row.index++;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = cs__report_sql_fail(x, q->section);
    return ret;
}

int
cs_report_rows(const struct cs_report *rep, struct cs_replica *r, enum cs_report_kind kind,
               const char *section, const struct cs_report_params *p, cs_report_row_fn fn, void *ud,
               char *err, size_t errlen)
{
    struct run x = {
        .rep = rep, .r = r, .db = cs_replica_db(r), .p = p, .err = err, .errlen = errlen};
    const struct cs_report_kind_def *def = kind_def(rep, kind);
    const struct cs_report_query *q = NULL;
    sqlite3_stmt *st = NULL;
    char *sql = NULL;
    int depth, ret;

    for (size_t i = 0; def != NULL && i < def->count && q == NULL; i++)
        if (strcmp(def->queries[i].section, section) == 0)
            q = &def->queries[i];
    if (q == NULL)
        return cs_errf(err, errlen, CS_EINVAL, _("unknown report or section"));
    if ((ret = run_begin(&x, kind)) != 0 ||
        (ret = cs__report_display_sql(&x, q, 0, &sql, &depth)) != 0 ||
        (ret = cs__report_prepare(&x, sql, &st, q->section)) != 0)
        goto out;
    ret = rows_of(&x, q, st, depth, fn, ud);
out:
    sqlite3_finalize(st);
    sqlite3_free(sql);
    sqlite3_exec(x.db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}
