/* SPDX-License-Identifier: MIT */
/*
 * Reports as an Excel workbook (--format xlsx) through libxlsxwriter: a
 * sheet per section of each report (charts left out), named by its
 * translated title. A sheet holds the report's title, the section's title
 * and the line of unit, year and date as the table format shows them
 * (rows 1 to 3), the translated headings (row 4, bold, frozen, with an
 * autofilter) and the rows the table shows, codes as their labels, with
 * numbers as numbers, 'YYYY-MM-DD' as dates and 'YYYY-MM-DD HH:MM' as
 * times, both in the Vietnamese order (dd/mm/yyyy), a unit's name indented
 * by its depth and each column as wide as its text. The values are those
 * of the documented queries, as for every format.
 *
 * libxlsxwriter writes to a named file only: the workbook is made in a
 * private temp directory and copied to the report's output, which the
 * caller writes atomically as every report.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/output.h"
#include "report_internal.h"

/*
 * libxlsxwriter is loaded by the first workbook made, not linked: linked,
 * every command would map and relocate it (and zlib) at its start, a
 * workbook or not, as sheet.c says of minizip and expat (BENCHMARKS.md,
 * section 16). The packages depend on it all the same
 * (packaging/CMakeLists.txt); the soname is its ABI's.
 */
static const char xw_soname[] = "libxlsxwriter.so.4";

#define XW_FNS(X)                                                                                  \
    X(workbook_new_opt)                                                                            \
    X(workbook_add_worksheet)                                                                      \
    X(workbook_add_format)                                                                         \
    X(workbook_close)                                                                              \
    X(format_set_bold)                                                                             \
    X(format_set_text_wrap)                                                                        \
    X(format_set_num_format)                                                                       \
    X(format_set_indent)                                                                           \
    X(format_set_font_size)                                                                        \
    X(worksheet_write_string)                                                                      \
    X(worksheet_write_number)                                                                      \
    X(worksheet_write_datetime)                                                                    \
    X(worksheet_set_column)                                                                        \
    X(worksheet_freeze_panes)                                                                      \
    X(worksheet_autofilter)                                                                        \
    X(lxw_strerror)

/* Each pointer has its function's type, from the library's own header. */
static struct {
#define XW_DECL(fn) __typeof__(&fn) fn;
    XW_FNS(XW_DECL)
#undef XW_DECL
} xw;
static pthread_once_t xw_once = PTHREAD_ONCE_INIT;
static char xw_why[256]; /* why it could not be loaded; "" once it is */

static void
xw_load(void)
{
    void *h;

    snprintf(xw_why, sizeof(xw_why), "?");
    if ((h = dlopen(xw_soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
        snprintf(xw_why, sizeof(xw_why), "%s", dlerror());
        return;
    }
#define XW_LOAD(fn)                                                                                \
    if ((*(void **)&xw.fn = dlsym(h, #fn)) == NULL) {                                              \
        snprintf(xw_why, sizeof(xw_why), "%s", dlerror());                                         \
        return;                                                                                    \
    }
    XW_FNS(XW_LOAD)
#undef XW_LOAD
    xw_why[0] = 0;
}

/* Excel's limits on a sheet's name: 31 characters, none of these, unique without case. */
#define SHEET_NAME_CHARS  31
#define SHEET_NAME_SIZE   (4 * SHEET_NAME_CHARS + 16) /* UTF-8, with a " (n)" */
#define INDENT_MAX        12
#define WIDTH_MIN         6
#define WIDTH_MAX         60
#define HEADING_WIDTH_MAX 24 /* longer headings wrap */
#define HEAD_ROW          3  /* rows 0-2: titles and the heading line */

struct book {
    struct run *x;
    lxw_workbook *wb;
    lxw_format *title, *sub, *head, *date, *time, *indent[INDENT_MAX + 1];
    char names[64][SHEET_NAME_SIZE]; /* the sheets' names so far */
    size_t nsheets;
};

/*
 * The sheet's name from a title: Excel's forbidden characters as '-', at
 * most 31 characters (UTF-8), no quote at either end, and a " (2)" ... to
 * make it unique.
 */
static void
sheet_name(struct book *b, const char *title, char *out, size_t size)
{
    char base[4 * SHEET_NAME_CHARS + 1];
    size_t n = 0, chars = 0, short_n = 0; /* short_n: the bytes of 27 characters */
    size_t space_n = 0;                   /* the bytes before the last space */
    const char *s = title;

    for (; *s && chars < SHEET_NAME_CHARS;) {
        size_t len = 1;
        while ((s[len] & 0xC0) == 0x80)
            len++;
        if (len == 1 && strchr("[]:*?/\\", *s) != NULL) {
            base[n++] = '-';
        } else {
            if (*s == ' ')
                space_n = n;
            memcpy(base + n, s, len);
            n += len;
        }
        s += len;
        if (++chars == SHEET_NAME_CHARS - 4)
            short_n = n;
    }
    /* A title cut short ends at a word, not inside one ("... theo bước và", not "... và đ"). */
    if (*s != 0 && *s != ' ' && space_n > n / 2)
        n = space_n;
    if (short_n == 0 || short_n > n)
        short_n = n;
    base[n] = 0;
    const char *start = base;
    while (*start == '\'')
        start++;
    while (n > (size_t)(start - base) && (base[n - 1] == ' ' || base[n - 1] == '\''))
        base[--n] = 0;
    if (*start == 0)
        start = "-";
    snprintf(out, size, "%s", start);
    for (unsigned k = 2;; k++) {
        size_t i;
        for (i = 0; i < b->nsheets; i++)
            if (strcasecmp(b->names[i], out) == 0)
                break;
        if (i == b->nsheets)
            break;
        /* Taken: the first 27 characters and " (2)", " (3)"... */
        int keep = short_n > (size_t)(start - base) ? (int)(short_n - (size_t)(start - base)) : 0;
        snprintf(out, size, "%.*s (%u)", keep, start, k);
    }
    if (b->nsheets < sizeof(b->names) / sizeof(b->names[0]))
        snprintf(b->names[b->nsheets++], sizeof(b->names[0]), "%s", out);
}

/* 'YYYY-MM-DD' (len 10) or 'YYYY-MM-DD HH:MM' (16) into *dt; 0 if it is neither. */
static int
parse_when(const char *s, int len, lxw_datetime *dt)
{
    static const char date_shape[] = "dddd-dd-dd dd:dd";
    if (len != 10 && len != 16)
        return 0;
    for (int i = 0; i < len; i++)
        if (date_shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != date_shape[i])
            return 0;
    memset(dt, 0, sizeof(*dt));
    dt->year = atoi(s);
    dt->month = atoi(s + 5);
    dt->day = atoi(s + 8);
    if (len == 16) {
        dt->hour = atoi(s + 11);
        dt->min = atoi(s + 14);
    }
    return dt->year >= 1900 && dt->month >= 1 && dt->month <= 12 && dt->day >= 1 && dt->day <= 31 &&
           dt->hour < 24 && dt->min < 60;
}

static int
xw_fail(struct book *b, lxw_error e)
{
    return cs_errf(b->x->err, b->x->errlen, CS_EINVAL, _("cannot make the workbook: %s"),
                   xw.lxw_strerror(e));
}

/* One section on a sheet of its own. */
static int
write_section(struct book *b, const struct cs_report_kind_def *def, const struct cs_report_query *q)
{
    struct run *x = b->x;
    const char *headers[32];
    char name[SHEET_NAME_SIZE], line[1024], day[CS_DATE_BUFSZ];
    double width[64];
    sqlite3_stmt *st = NULL;
    char *sql = NULL;
    int depth, ret, rc;
    lxw_error e = LXW_NO_ERROR;

    sheet_name(b, _(q->title), name, sizeof(name));
    lxw_worksheet *ws = xw.workbook_add_worksheet(b->wb, name);
    if (ws == NULL)
        return cs_errf(x->err, x->errlen, CS_EINVAL, _("cannot make the workbook: sheet '%s'"),
                       name);
    if ((ret = cs__report_display_sql(x, q, 0, &sql, &depth)) != 0)
        return ret;
    ret = cs__report_prepare(x, sql, &st, q->section);
    sqlite3_free(sql);
    if (ret != 0)
        return ret;
    cs__report_display_headers(q, headers, sizeof(headers) / sizeof(headers[0]));
    int nh = 0;
    while (headers[nh] != NULL)
        nh++;
    /* The heading line of the table format, without its line break. */
    snprintf(line, sizeof(line), _("unit: %s; year %d; as of %s\n"), x->units, x->p->year,
             cs_date_format_vi(x->p->today, day));
    line[strcspn(line, "\n")] = 0;
    xw.worksheet_write_string(ws, 0, 0, _(def->title), b->title);
    xw.worksheet_write_string(ws, 1, 0, _(q->title), b->sub);
    xw.worksheet_write_string(ws, 2, 0, line, NULL);

    /* Column 0 of the query is depth where it has one: not shown, it indents the name. */
    int n = sqlite3_column_count(st), first = depth ? 1 : 0, ncols = n - first, name_col = -1;
    if (ncols > (int)(sizeof(width) / sizeof(width[0])))
        ncols = (int)(sizeof(width) / sizeof(width[0]));
    for (int c = 0; c < ncols; c++) {
        const char *h = c < nh ? _(headers[c]) : sqlite3_column_name(st, c + first);
        double w = (double)cs_out_width(h, strlen(h));
        width[c] = w < HEADING_WIDTH_MAX ? w : HEADING_WIDTH_MAX;
        if (depth && strcmp(sqlite3_column_name(st, c + first), "name") == 0)
            name_col = c;
        if (e == LXW_NO_ERROR)
            e = xw.worksheet_write_string(ws, HEAD_ROW, (lxw_col_t)c, h, b->head);
    }
    lxw_row_t row = HEAD_ROW;
    while (e == LXW_NO_ERROR && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        row++;
        int level = depth ? sqlite3_column_int(st, 0) : 0;
        level = level < 0 ? 0 : level > INDENT_MAX ? INDENT_MAX : level;
        for (int c = 0; c < ncols && e == LXW_NO_ERROR; c++) {
            int i = c + first, type = sqlite3_column_type(st, i);
            const char *v = (const char *)sqlite3_column_text(st, i);
            int len = sqlite3_column_bytes(st, i);
            double w = (double)cs_out_width(v != NULL ? v : "", (size_t)len);
            lxw_datetime dt;
            if (type == SQLITE_NULL)
                continue;
            if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) {
                e = xw.worksheet_write_number(ws, row, (lxw_col_t)c, sqlite3_column_double(st, i),
                                              NULL);
            } else if (type == SQLITE_TEXT && parse_when(v, len, &dt)) {
                e = xw.worksheet_write_datetime(ws, row, (lxw_col_t)c, &dt,
                                                len == 10 ? b->date : b->time);
                w = len == 10 ? 10 : 16;
            } else {
                if (c == name_col)
                    w += level; /* an indent level is about a character wide */
                e = xw.worksheet_write_string(ws, row, (lxw_col_t)c, v,
                                              c == name_col && level > 0 ? b->indent[level] : NULL);
            }
            if (w > width[c])
                width[c] = w;
        }
    }
    if (e == LXW_NO_ERROR && rc != SQLITE_DONE)
        ret = cs__report_sql_fail(x, q->section);
    sqlite3_finalize(st);
    if (ret != 0)
        return ret;
    for (int c = 0; c < ncols && e == LXW_NO_ERROR; c++) {
        double w = width[c] + 2 < WIDTH_MIN ? WIDTH_MIN : width[c] + 2;
        e = xw.worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, w < WIDTH_MAX ? w : WIDTH_MAX,
                                    NULL);
    }
    if (e == LXW_NO_ERROR && ncols > 0)
        e = xw.worksheet_autofilter(ws, HEAD_ROW, 0, row, (lxw_col_t)(ncols - 1));
    if (e != LXW_NO_ERROR)
        return xw_fail(b, e);
    xw.worksheet_freeze_panes(ws, HEAD_ROW + 1, 0);
    return 0;
}

/* Copies the finished file to the report's output. */
static int
copy_out(struct run *x, const char *path)
{
    char buf[65536];
    ssize_t n;
    int ret = 0, fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cs_errf(x->err, x->errlen, -errno, _("cannot read '%s': %s"), path, strerror(errno));
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        if (fwrite(buf, 1, (size_t)n, x->f) != (size_t)n) {
            ret = cs_errf(x->err, x->errlen, -EIO, _("cannot write the report: %s"),
                          cs_strerror(-EIO));
            break;
        }
    if (n < 0 && ret == 0)
        ret = cs_errf(x->err, x->errlen, -errno, _("cannot read '%s': %s"), path, strerror(errno));
    close(fd);
    return ret;
}

int
cs__report_render_xlsx(struct run *x, const struct cs_report_kind_def *const *kinds, size_t nk)
{
    struct book b = {.x = x};
    char tmpl[4096], path[4200];
    const char *tmp = getenv("TMPDIR");
    int ret = 0;

    /* Once per process, under a lock, as sheet.c's libraries. */
    pthread_once(&xw_once, xw_load);
    if (xw_why[0] != 0)
        return cs_errf(x->err, x->errlen, -ELIBACC, _("cannot make the workbook: %s"), xw_why);
    /* A directory of this user alone: the workbook holds members' data. */
    snprintf(tmpl, sizeof(tmpl), "%s/cellsync-xlsx-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    if (mkdtemp(tmpl) == NULL)
        return cs_errf(x->err, x->errlen, -errno, _("cannot make the workbook: %s"),
                       strerror(errno));
    snprintf(path, sizeof(path), "%s/report.xlsx", tmpl);
    lxw_workbook_options opt = {.tmpdir = tmpl};
    if ((b.wb = xw.workbook_new_opt(path, &opt)) == NULL) {
        ret = cs_errf(x->err, x->errlen, CS_ENOMEM, _("cannot make the workbook: %s"),
                      cs_strerror(CS_ENOMEM));
        goto out;
    }
    b.title = xw.workbook_add_format(b.wb);
    b.sub = xw.workbook_add_format(b.wb);
    b.head = xw.workbook_add_format(b.wb);
    b.date = xw.workbook_add_format(b.wb);
    b.time = xw.workbook_add_format(b.wb);
    xw.format_set_bold(b.title);
    xw.format_set_font_size(b.title, 14);
    xw.format_set_bold(b.sub);
    xw.format_set_bold(b.head);
    xw.format_set_text_wrap(b.head);
    xw.format_set_num_format(b.date, "dd/mm/yyyy");
    xw.format_set_num_format(b.time, "dd/mm/yyyy hh:mm");
    for (int i = 1; i <= INDENT_MAX; i++) {
        b.indent[i] = xw.workbook_add_format(b.wb);
        xw.format_set_indent(b.indent[i], (uint8_t)i);
    }
    for (size_t k = 0; k < nk && ret == 0; k++)
        for (size_t i = 0; i < kinds[k]->count && ret == 0; i++)
            if (cs__report_is_section(&kinds[k]->queries[i], x->p->section))
                ret = write_section(&b, kinds[k], &kinds[k]->queries[i]);
    /* Closing writes the file, and frees the workbook whatever happened before. */
    lxw_error e = xw.workbook_close(b.wb);
    if (ret == 0 && e != LXW_NO_ERROR)
        ret = xw_fail(&b, e);
    if (ret == 0)
        ret = copy_out(x, path);
out:
    unlink(path);
    rmdir(tmpl);
    return ret;
}
