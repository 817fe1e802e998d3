/* SPDX-License-Identifier: MIT */
/*
 * Query results on the terminal (cellsync/output.h): the client's lists and
 * the reports of both ends. A table has to see every row
 * before it can print the first, so out_table() copies the cells out of the
 * statement, measures them in terminal columns, then prints. Widths come
 * from utf8proc in every locale, so that Vietnamese names line up even
 * under LANG=C. Dates are stored and queried as ISO text; a cell that is
 * such a date, alone or opening a date and time, is shown as DD/MM/YYYY, as Vietnamese documents
 * write it, here in the one place every table and record goes through
 * (JSON and CSV keep ISO).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include <utf8proc.h>

#include "cellsync/date.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/output.h"
#include "cellsync/util.h"

enum cell_kind { CELL_NULL, CELL_NUM, CELL_TEXT };

struct cell {
    char *text; /* owned; NULL for CELL_NULL */
    size_t len;
    size_t width;
    enum cell_kind kind;
};

/* A failed step: SQLite's message, copied at once (the next call on the connection changes it). */
/* Every other failure says what it is; a failed step has already said more. */
static int
detail(int ret, char *err, size_t errlen)
{
    return ret == 0 || ret == CS_ESQLITE ? ret : cs_errf(err, errlen, ret, "%s", cs_strerror(ret));
}

static int
fail_sqlite(sqlite3_stmt *st, char *err, size_t errlen)
{
    return cs_errf(err, errlen, CS_ESQLITE, "%s", sqlite3_errmsg(sqlite3_db_handle(st)));
}

/*
 * Terminal columns of s: utf8proc's width of each code point (0 for
 * combining marks such as Vietnamese tones, 2 for East Asian wide ones),
 * the same in every locale, so Vietnamese names line up under LANG=C too.
 * A byte that is not valid UTF-8 still prints as something: one column.
 */
static size_t
width_of(const char *s, size_t len)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t w = 0;
    while (len > 0) {
        /* A colour (ESC [ ... m, see cs_out_color()) takes no column. */
        if (len >= 2 && p[0] == 0x1b && p[1] == '[') {
            size_t k = 2;
            while (k < len && (p[k] < 0x40 || p[k] > 0x7e))
                k++;
            k += k < len;
            p += k;
            len -= k;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, (utf8proc_ssize_t)len, &cp);
        if (n <= 0) {
            n = 1;
            w++;
        } else {
            w += (size_t)utf8proc_charwidth(cp);
        }
        p += n;
        len -= (size_t)n;
    }
    return w;
}

size_t
cs_out_width(const char *s, size_t len)
{
    return width_of(s, len);
}

/* Copies column i of the current row into c; 0 or CS_ENOMEM. */
static int
cell_load(struct cell *c, sqlite3_stmt *st, int i)
{
    static const char hex[] = "0123456789abcdef";
    int type = sqlite3_column_type(st, i);
    memset(c, 0, sizeof(*c));
    if (type == SQLITE_NULL) {
        c->kind = CELL_NULL;
        c->width = 1; /* "-" */
        return 0;
    }
    if (type == SQLITE_BLOB) {
        const unsigned char *b = sqlite3_column_blob(st, i);
        size_t n = (size_t)sqlite3_column_bytes(st, i);
        c->text = malloc(2 * n + 1);
        if (c->text == NULL)
            return CS_ENOMEM;
        for (size_t k = 0; k < n; k++) {
            c->text[2 * k] = hex[b[k] >> 4];
            c->text[2 * k + 1] = hex[b[k] & 15];
        }
        c->text[2 * n] = '\0';
        c->len = 2 * n;
        c->kind = CELL_TEXT;
        c->width = c->len;
        return 0;
    }
    /* SQLite's own rendering of numbers: locale-free, 1.5 not 1,5. */
    const char *t = (const char *)sqlite3_column_text(st, i);
    if (t == NULL)
        return CS_ENOMEM; /* the value was not NULL, so only OOM gets here */
    c->len = (size_t)sqlite3_column_bytes(st, i);
    c->text = malloc(c->len + 1);
    if (c->text == NULL)
        return CS_ENOMEM;
    memcpy(c->text, t, c->len + 1);
    int32_t day;
    char iso[CS_DATE_BUFSZ], vi[CS_DATE_BUFSZ];
    /*
     * "YYYY-MM-DD" and a real day, alone or opening a date and time ("2025-06-23 18:58"):
     * the same length as DD/MM/YYYY, written over it.
     */
    if (type == SQLITE_TEXT && c->len >= CS_DATE_BUFSZ - 1 &&
        (c->len == CS_DATE_BUFSZ - 1 || t[CS_DATE_BUFSZ - 1] == ' ') && t[4] == '-' &&
        t[7] == '-') {
        memcpy(iso, t, CS_DATE_BUFSZ - 1);
        iso[CS_DATE_BUFSZ - 1] = 0;
        if (cs_date_parse(iso, &day, NULL, 0) == 0)
            memcpy(c->text, cs_date_format_vi(day, vi), CS_DATE_BUFSZ - 1);
    }
    c->kind = type == SQLITE_TEXT ? CELL_TEXT : CELL_NUM;
    c->width = width_of(c->text, c->len);
    return 0;
}

static void
pad(FILE *f, size_t n)
{
    while (n-- > 0)
        fputc(' ', f);
}

/* Label i: headers[i] translated, or the column's name. NULL only on OOM. */
static const char *
label_of(sqlite3_stmt *st, const char *const *labels, int i)
{
    if (labels != NULL && labels[i] != NULL)
        return labels[i][0] != '\0' ? _(labels[i]) : ""; /* _("") is the PO header */
    return sqlite3_column_name(st, i);
}

/* 0, or -errno / -EIO when a write to f failed somewhere. */
static int
flush_status(FILE *f)
{
    if (fflush(f) != 0)
        return errno != 0 ? -errno : -EIO;
    return ferror(f) ? -EIO : 0;
}

/*
 * Prints one line of cells: right-aligned cells are padded on the left,
 * left-aligned ones on the right, except the last so no line ends in blanks.
 */
static void
print_line(FILE *f, const struct cell *cells, const size_t *widths, const bool *numcol,
           size_t ncols)
{
    for (size_t i = 0; i < ncols; i++) {
        const struct cell *c = &cells[i];
        bool right = c->kind == CELL_NUM || (c->kind == CELL_NULL && numcol[i]);
        size_t gap = widths[i] - c->width;
        if (i > 0)
            fputs("  ", f);
        if (right)
            pad(f, gap);
        if (c->kind == CELL_NULL)
            fputc('-', f);
        else
            fwrite(c->text, 1, c->len, f);
        if (!right && i + 1 < ncols)
            pad(f, gap);
    }
    fputc('\n', f);
}

/* Prints one record as "label: value" lines, the values starting one column after maxw. */
static void
print_kv(FILE *f, const char *const *names, const size_t *nw, size_t maxw, const struct cell *vals,
         size_t ncols)
{
    for (size_t i = 0; i < ncols; i++) {
        fprintf(f, "%s:", names[i]);
        pad(f, maxw - nw[i] + 1);
        if (vals[i].kind == CELL_NULL)
            fputc('-', f);
        else
            fwrite(vals[i].text, 1, vals[i].len, f);
        fputc('\n', f);
    }
}

/*
 * The columns a table printed on f may take: $COLUMNS when it is a number
 * (POSIX: the user's preferred width, for a terminal or not), else the
 * terminal's width when f is one, else 0: no limit, so that scripts reading
 * a pipe or a file always get the table.
 */
static size_t
columns_of(FILE *f)
{
    const char *env = getenv("COLUMNS");
    if (env != NULL && env[0] != '\0') {
        char *end;
        errno = 0;
        unsigned long n = strtoul(env, &end, 10);
        if (errno == 0 && *end == '\0' && n > 0 && n < 100000)
            return (size_t)n;
    }
    struct winsize ws;
    int fd = fileno(f);
    if (fd >= 0 && isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 0;
}

bool
cs_out_color(FILE *f)
{
    const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
    int fd = fileno(f);
    return fd >= 0 && isatty(fd) && (no == NULL || no[0] == '\0') && term != NULL &&
           strcmp(term, "dumb") != 0;
}

int
cs_out_table(FILE *f, sqlite3_stmt *st, const char *const *headers, char *err, size_t errlen)
{
    return cs_out_table_width(f, st, headers, columns_of(f), err, errlen);
}

int
cs_out_table_width(FILE *f, sqlite3_stmt *st, const char *const *headers, size_t width, char *err,
                   size_t errlen)
{
    int ret = CS_ENOMEM;
    size_t ncols = (size_t)sqlite3_column_count(st);
    size_t nrows = 0, cap = 0;
    struct cell *cells = NULL; /* row-major; row 0 is the header */
    size_t *widths = calloc(ncols + 1, sizeof(*widths));
    bool *numcol = calloc(ncols + 1, sizeof(*numcol));
    bool *anynum = calloc(ncols + 1, sizeof(*anynum));
    if (widths == NULL || numcol == NULL || anynum == NULL)
        goto out;

    for (;;) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            ret = fail_sqlite(st, err, errlen);
            goto out;
        }
        /* Room for this row and the header, a row being ncols cells. */
        if (cs_grow((void **)&cells, &cap, nrows + 2, ncols * sizeof(*cells), 16) != 0)
            goto out;
        struct cell *row = &cells[(nrows + 1) * ncols];
        for (size_t i = 0; i < ncols; i++) {
            int r = cell_load(&row[i], st, (int)i);
            if (r != 0) {
                for (size_t k = 0; k < i; k++)
                    free(row[k].text);
                ret = r;
                goto out;
            }
        }
        nrows++;
    }
    if (cells == NULL && ncols > 0) {
        cells = calloc(ncols, sizeof(*cells));
        if (cells == NULL)
            goto out;
    }

    /* A column is numeric when it has numbers and nothing but numbers and NULL. */
    for (size_t i = 0; i < ncols; i++)
        numcol[i] = true;
    for (size_t r = 1; r <= nrows; r++) {
        for (size_t i = 0; i < ncols; i++) {
            const struct cell *c = &cells[r * ncols + i];
            if (c->kind == CELL_TEXT)
                numcol[i] = false;
            if (c->kind == CELL_NUM)
                anynum[i] = true;
            if (c->width > widths[i])
                widths[i] = c->width;
        }
    }
    for (size_t i = 0; i < ncols; i++) {
        const char *h = label_of(st, headers, (int)i);
        if (h == NULL)
            goto out;
        numcol[i] = numcol[i] && anynum[i];
        /* The header borrows its text: the cell is never freed. */
        struct cell *c = &cells[i];
        c->text = (char *)h;
        c->len = strlen(h);
        c->width = width_of(h, c->len);
        c->kind = numcol[i] ? CELL_NUM : CELL_TEXT;
        if (c->width > widths[i])
            widths[i] = c->width;
    }

    /*
     * A table wider than the screen wraps each line into a zig-zag nobody can
     * read: then each row is a block of "label: value" lines, as a record is
     * shown, the blocks a blank line apart. A list with no rows keeps its
     * header line, so it still says which list it is.
     */
    size_t total = 0, limit = width, maxw = 0;
    for (size_t i = 0; i < ncols; i++)
        total += widths[i] + (i > 0 ? 2 : 0);
    if (limit > 0 && total > limit && nrows > 0) {
        const char **names = calloc(ncols, sizeof(*names));
        size_t *nw = calloc(ncols, sizeof(*nw));
        if (names == NULL || nw == NULL) {
            free(names);
            free(nw);
            goto out;
        }
        for (size_t i = 0; i < ncols; i++) {
            names[i] = cells[i].text;
            nw[i] = cells[i].width;
            if (nw[i] > maxw)
                maxw = nw[i];
        }
        for (size_t r = 1; r <= nrows; r++) {
            if (r > 1)
                fputc('\n', f);
            print_kv(f, names, nw, maxw, &cells[r * ncols], ncols);
        }
        free(names);
        free(nw);
    } else if (ncols > 0) {
        for (size_t r = 0; r <= nrows; r++)
            print_line(f, &cells[r * ncols], widths, numcol, ncols);
    }
    ret = flush_status(f);

out:
    /* Whole rows only: a row that failed half-way freed its own cells. */
    for (size_t r = 1; r <= nrows; r++)
        for (size_t i = 0; i < ncols; i++)
            free(cells[r * ncols + i].text);
    free(cells);
    free(widths);
    free(numcol);
    free(anynum);
    sqlite3_reset(st); /* its error, if any, was taken from the step */
    return detail(ret, err, errlen);
}

int
cs_out_json(FILE *f, sqlite3_stmt *st, char *err, size_t errlen)
{
    int ret;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        if (t == NULL && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            ret = CS_ENOMEM;
            goto out;
        }
        fputs(t != NULL ? t : "null", f);
        fputc('\n', f);
        ret = flush_status(f);
    } else if (rc == SQLITE_DONE) {
        ret = CS_ENOTFOUND;
    } else {
        ret = fail_sqlite(st, err, errlen);
    }
out:
    sqlite3_reset(st);
    return detail(ret, err, errlen);
}

int
cs_out_kv(FILE *f, sqlite3_stmt *st, const char *const *labels, char *err, size_t errlen)
{
    int ret = CS_ENOMEM;
    size_t ncols = (size_t)sqlite3_column_count(st);
    size_t maxw = 0;
    struct cell *vals = calloc(ncols + 1, sizeof(*vals));
    const char **names = calloc(ncols + 1, sizeof(*names));
    size_t *nw = calloc(ncols + 1, sizeof(*nw));
    size_t loaded = 0;
    if (vals == NULL || names == NULL || nw == NULL)
        goto out;

    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        ret = CS_ENOTFOUND;
        goto out;
    }
    if (rc != SQLITE_ROW) {
        ret = fail_sqlite(st, err, errlen);
        goto out;
    }
    for (; loaded < ncols; loaded++) {
        int r = cell_load(&vals[loaded], st, (int)loaded);
        if (r != 0) {
            ret = r;
            goto out;
        }
    }
    for (size_t i = 0; i < ncols; i++) {
        names[i] = label_of(st, labels, (int)i);
        if (names[i] == NULL)
            goto out;
        nw[i] = width_of(names[i], strlen(names[i]));
        if (nw[i] > maxw)
            maxw = nw[i];
    }
    print_kv(f, names, nw, maxw, vals, ncols);
    ret = flush_status(f);

out:
    for (size_t i = 0; i < loaded; i++)
        free(vals[i].text);
    free(vals);
    free(names);
    free(nw);
    sqlite3_reset(st);
    return detail(ret, err, errlen);
}
