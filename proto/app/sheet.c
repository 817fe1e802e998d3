/* SPDX-License-Identifier: MIT */
/*
 * Reading spreadsheets into rows of UTF-8 cells (cellsync/sheet.h). The
 * file is read whole (it is at most CS_SHEET_MAX_BYTES) and told apart by
 * its first bytes: a zip archive is read as an xlsx workbook with minizip
 * (zlib's, from memory) and expat, anything else as delimited text, UTF-16 converted with iconv.
 * Both readers feed one row builder, which keeps the limits: a cell, a
 * row's columns, the number of rows. Every refusal names the file and says
 * what to do, since the person reading it exported the file from Excel or
 * LibreOffice and can export it again.
 */
#include <dlfcn.h>
#include <errno.h>
#include <expat.h>
#include <fcntl.h>
#include <iconv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <minizip/unzip.h>
#include <pthread.h>
#include <unistd.h>

#include "cellsync/date.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/sheet.h"
#include "cellsync/util.h"

/*
 * minizip (and zlib under it) and expat are loaded by the first workbook
 * read, not linked: linked, every command mapped and relocated them at its
 * start, a workbook or not (~0.1 ms of the CPU of `candidate add`:
 * BENCHMARKS.md, section 16). The package depends on them all the same
 * (packaging/CMakeLists.txt); the sonames are their ABIs'.
 */
static const char *const zx_soname[] = {"libminizip.so.1", "libexpat.so.1"};

/* The entry points used, by library (an index of zx_soname). */
#define ZX_FNS(X)                                                                                  \
    X(0, unzOpen2_64)                                                                              \
    X(0, unzGetGlobalInfo64)                                                                       \
    X(0, unzGoToFirstFile)                                                                         \
    X(0, unzGoToNextFile)                                                                          \
    X(0, unzLocateFile)                                                                            \
    X(0, unzGetCurrentFileInfo64)                                                                  \
    X(0, unzOpenCurrentFile)                                                                       \
    X(0, unzReadCurrentFile)                                                                       \
    X(0, unzCloseCurrentFile)                                                                      \
    X(0, unzClose)                                                                                 \
    X(1, XML_ParserCreateNS)                                                                       \
    X(1, XML_SetUserData)                                                                          \
    X(1, XML_SetElementHandler)                                                                    \
    X(1, XML_SetCharacterDataHandler)                                                              \
    X(1, XML_SetStartDoctypeDeclHandler)                                                           \
    X(1, XML_Parse)                                                                                \
    X(1, XML_StopParser)                                                                           \
    X(1, XML_GetErrorCode)                                                                         \
    X(1, XML_GetCurrentLineNumber)                                                                 \
    X(1, XML_ErrorString)                                                                          \
    X(1, XML_ParserFree)

/* Each pointer has its function's type, from the library's own header. */
static struct {
#define ZX_DECL(lib, fn) __typeof__(&fn) fn;
    ZX_FNS(ZX_DECL)
#undef ZX_DECL
} zx;
static pthread_once_t zx_once = PTHREAD_ONCE_INIT;
static char zx_why[256]; /* why they could not be loaded; "" once they are */

static void
zx_load(void)
{
    void *h[sizeof(zx_soname) / sizeof(zx_soname[0])];

    snprintf(zx_why, sizeof(zx_why), "?");
    for (size_t i = 0; i < sizeof(zx_soname) / sizeof(zx_soname[0]); i++)
        if ((h[i] = dlopen(zx_soname[i], RTLD_NOW | RTLD_LOCAL)) == NULL) {
            snprintf(zx_why, sizeof(zx_why), "%s", dlerror());
            return;
        }
#define ZX_LOAD(lib, fn)                                                                           \
    if ((*(void **)&zx.fn = dlsym(h[lib], #fn)) == NULL) {                                         \
        snprintf(zx_why, sizeof(zx_why), "%s", dlerror());                                         \
        return;                                                                                    \
    }
    ZX_FNS(ZX_LOAD)
#undef ZX_LOAD
    zx_why[0] = 0;
}

/* What an empty cell points to; never freed. */
static char empty_cell[] = "";

struct row {
    unsigned number;
    size_t ncells;
    char **cells;
};

struct cs_sheet {
    struct row *rows;
    size_t nrows, rowcap;
    char kind[40];
    /* The row being read: cells[0 .. ncur) with NULL for empty ones. */
    char **cur;
    size_t ncur, curcap;
    const char *name; /* the file, while reading */
};

/* ---- the rows ---- */

static void
row_cells_free(char **cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cells[i] != empty_cell)
            free(cells[i]);
    free(cells);
}

void
cs_sheet_free(struct cs_sheet *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nrows; i++)
        row_cells_free(s->rows[i].cells, s->rows[i].ncells);
    free(s->rows);
    row_cells_free(s->cur, s->ncur);
    free(s);
}

void
cs_sheet_column_name(size_t j, char buf[8])
{
    char tmp[8];
    size_t n = 0;
    /* Bijective base 26: A..Z, AA..ZZ, AAA.. */
    j++;
    while (j > 0 && n < 7) {
        tmp[n++] = (char)('A' + (j - 1) % 26);
        j = (j - 1) / 26;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = 0;
}

/* Sets column col of the current row to the n bytes at p, trimmed; an empty cell stays empty. */
static int
put_cell(struct cs_sheet *s, unsigned row, size_t col, const char *p, size_t n, char *err,
         size_t errlen)
{
    char colname[8];

    /* Spaces and no-break spaces (U+00A0, which Excel keeps) around the text. */
    for (;;) {
        if (n > 0 && (p[0] == ' ' || p[0] == '\t' || p[0] == '\r' || p[0] == '\n')) {
            p++, n--;
        } else if (n > 1 && (unsigned char)p[0] == 0xc2 && (unsigned char)p[1] == 0xa0) {
            p += 2, n -= 2;
        } else if (n > 0 &&
                   (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n')) {
            n--;
        } else if (n > 1 && (unsigned char)p[n - 2] == 0xc2 && (unsigned char)p[n - 1] == 0xa0) {
            n -= 2;
        } else {
            break;
        }
    }
    if (n == 0)
        return 0;
    cs_sheet_column_name(col, colname);
    if (col >= CS_SHEET_MAX_COLS)
        return cs_errf(err, errlen, CS_ETOOBIG,
                       _("'%s' row %u: column %s holds text, but a sheet may have at most %d "
                         "columns: remove the columns that are not part of the records"),
                       s->name, row, colname, CS_SHEET_MAX_COLS);
    if (n > CS_SHEET_MAX_CELL)
        return cs_errf(err, errlen, CS_ETOOBIG,
                       _("'%s' row %u, column %s: the cell is longer than %u bytes"), s->name, row,
                       colname, CS_SHEET_MAX_CELL);
    if (memchr(p, 0, n) != NULL || !cs_utf8_valid(p, n))
        return cs_errf(err, errlen, CS_EINVAL,
                       _("'%s' row %u, column %s: the cell is not text (save the file again as "
                         "\"CSV UTF-8\" or .xlsx)"),
                       s->name, row, colname);
    if (col >= s->ncur) {
        if (cs_grow((void **)&s->cur, &s->curcap, col + 1, sizeof(*s->cur), 16) != 0)
            return CS_ENOMEM;
        for (size_t i = s->ncur; i <= col; i++)
            s->cur[i] = NULL;
        s->ncur = col + 1;
    }
    char *text = strndup(p, n);
    if (text == NULL)
        return CS_ENOMEM;
    free(s->cur[col]);
    s->cur[col] = text;
    return 0;
}

/* Ends the current row as row number `row`; a row without text is dropped. */
static int
end_row(struct cs_sheet *s, unsigned row, char *err, size_t errlen)
{
    if (s->ncur == 0)
        return 0;
    if (s->nrows >= CS_SHEET_MAX_ROWS)
        return cs_errf(err, errlen, CS_ETOOBIG,
                       _("'%s' has more than %d rows: split it into smaller files"), s->name,
                       CS_SHEET_MAX_ROWS);
    if (cs_grow((void **)&s->rows, &s->rowcap, s->nrows + 1, sizeof(*s->rows), 64) != 0)
        return CS_ENOMEM;
    for (size_t i = 0; i < s->ncur; i++)
        if (s->cur[i] == NULL)
            s->cur[i] = empty_cell;
    s->rows[s->nrows++] = (struct row){row, s->ncur, s->cur};
    s->cur = NULL;
    s->ncur = s->curcap = 0;
    return 0;
}

size_t
cs_sheet_nrows(const struct cs_sheet *s)
{
    return s->nrows;
}

size_t
cs_sheet_row(const struct cs_sheet *s, size_t i, unsigned *number, const char *const **cells)
{
    *number = s->rows[i].number;
    *cells = (const char *const *)s->rows[i].cells;
    return s->rows[i].ncells;
}

const char *
cs_sheet_kind(const struct cs_sheet *s)
{
    return s->kind;
}

/* ---- delimited text ---- */

/* A growing buffer for one cell. */
struct cellbuf {
    char *p;
    size_t n, cap;
};

static int
cellbuf_put(struct cellbuf *b, char c)
{
    if (b->n + 1 > b->cap && cs_grow((void **)&b->p, &b->cap, b->n + 1, 1, 256) != 0)
        return CS_ENOMEM;
    b->p[b->n++] = c;
    return 0;
}

/*
 * The separator: of ',', ';' and tab, the one the first line that is not
 * empty (outside quotes) holds most of; ';' where Excel's list separator is ';' (Vietnam),
 * ',' in one-column files.
 */
static char
sniff_separator(const char *p, size_t n)
{
    size_t count[3] = {0, 0, 0}; /* ',' ';' '\t' */
    int quoted = 0;
    size_t i = 0;
    while (i < n && (p[i] == '\n' || p[i] == '\r'))
        i++; /* the first line with something on it */
    for (; i < n; i++) {
        if (p[i] == '"')
            quoted = !quoted;
        else if (!quoted && (p[i] == '\n' || p[i] == '\r'))
            break;
        else if (!quoted)
            count[0] += p[i] == ',', count[1] += p[i] == ';', count[2] += p[i] == '\t';
    }
    if (count[1] >= count[0] && count[1] >= count[2] && count[1] > 0)
        return ';';
    if (count[2] >= count[0] && count[2] > 0)
        return '\t';
    return ',';
}

/*
 * RFC 4180 records: a cell that starts with '"' runs to the next lone '"'
 * and may hold the separator, "" for a quote, and line breaks. As in Excel,
 * text after the closing quote is kept, and a quote inside an unquoted cell
 * is a quote. Lines end with LF, CRLF or CR; a record's number counts
 * records, as the spreadsheet numbers its rows.
 */
static int
csv_parse(struct cs_sheet *s, const char *p, size_t n, char sep, char *err, size_t errlen)
{
    struct cellbuf b = {NULL, 0, 0};
    unsigned row = 1;
    size_t col = 0, i = 0;
    int ret = 0, fresh = 1, any = 0;

    while (i < n) {
        char c = p[i];
        if (c == '"' && fresh) {
            unsigned from = row;
            char colname[8];
            fresh = 0;
            any = 1;
            for (i++;; i++) {
                if (i >= n) {
                    cs_sheet_column_name(col, colname);
                    ret = cs_errf(err, errlen, CS_EINVAL,
                                  _("'%s' row %u, column %s: a cell opens with '\"' and never "
                                    "closes (is the file cut short?)"),
                                  s->name, from, colname);
                    goto out;
                }
                if (p[i] == '"') {
                    if (i + 1 < n && p[i + 1] == '"') {
                        i++;
                    } else {
                        i++;
                        break;
                    }
                } else if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') {
                    continue; /* CRLF in a cell is LF */
                }
                if (b.n >= CS_SHEET_MAX_CELL) {
                    cs_sheet_column_name(col, colname);
                    ret = cs_errf(err, errlen, CS_ETOOBIG,
                                  _("'%s' row %u, column %s: the cell is longer than %u bytes "
                                    "(is a closing '\"' missing?)"),
                                  s->name, from, colname, CS_SHEET_MAX_CELL);
                    goto out;
                }
                if ((ret = cellbuf_put(&b, p[i])) != 0)
                    goto out;
            }
            continue;
        }
        if (c == sep || c == '\n' || c == '\r') {
            if ((ret = put_cell(s, row, col, b.p, b.n, err, errlen)) != 0)
                goto out;
            b.n = 0;
            fresh = 1;
            i++;
            if (c == sep) {
                col++;
                continue;
            }
            if (c == '\r' && i < n && p[i] == '\n')
                i++;
            if ((ret = end_row(s, row, err, errlen)) != 0)
                goto out;
            row++;
            col = 0;
            any = 0;
            continue;
        }
        if (b.n >= CS_SHEET_MAX_CELL) {
            char colname[8];
            cs_sheet_column_name(col, colname);
            ret = cs_errf(err, errlen, CS_ETOOBIG,
                          _("'%s' row %u, column %s: the cell is longer than %u bytes"), s->name,
                          row, colname, CS_SHEET_MAX_CELL);
            goto out;
        }
        if ((ret = cellbuf_put(&b, c)) != 0)
            goto out;
        fresh = 0;
        any = 1;
        i++;
    }
    if (any || b.n > 0 || col > 0) {
        if ((ret = put_cell(s, row, col, b.p, b.n, err, errlen)) != 0 ||
            (ret = end_row(s, row, err, errlen)) != 0)
            goto out;
    }
out:
    free(b.p);
    return ret;
}

/* UTF-16 (from is "UTF-16LE" or "UTF-16BE", without its BOM) as UTF-8. OUT: *out malloc'd. */
static int
utf16_to_utf8(const struct cs_sheet *s, const char *p, size_t n, const char *from, char **out,
              size_t *outn, char *err, size_t errlen)
{
    /* A UTF-16 unit becomes at most 3 bytes, a surrogate pair 4. */
    size_t cap = n / 2 * 3 + 4;
    char *buf = malloc(cap);
    iconv_t cd = (iconv_t)-1;
    int ret = 0;

    if (buf == NULL)
        return CS_ENOMEM;
    if ((cd = iconv_open("UTF-8", from)) == (iconv_t)-1) {
        ret = cs_errf(err, errlen, -errno, _("cannot convert '%s' from %s: %s"), s->name, from,
                      strerror(errno));
        goto out;
    }
    char *in = (char *)p, *o = buf;
    size_t inleft = n, oleft = cap;
    if (iconv(cd, &in, &inleft, &o, &oleft) == (size_t)-1) {
        if (errno == EINVAL)
            ret = cs_errf(err, errlen, CS_EINVAL,
                          _("'%s' ends in the middle of a character: the file is cut short "
                            "(copy it again)"),
                          s->name);
        else
            ret = cs_errf(err, errlen, CS_EINVAL,
                          _("'%s' is not valid UTF-16 text (byte %zu): save it again from the "
                            "spreadsheet as \"Unicode Text\", \"CSV UTF-8\" or .xlsx"),
                          s->name, (size_t)(in - p) + 2);
        goto out;
    }
    *outn = cap - oleft;
    *out = buf;
    buf = NULL;
out:
    if (cd != (iconv_t)-1)
        iconv_close(cd);
    free(buf);
    return ret;
}

/* Text in UTF-8 (after any BOM): checked line by line so that a bad line is named. */
static int
read_text(struct cs_sheet *s, const char *p, size_t n, const char *encoding, char defsep, char *err,
          size_t errlen)
{
    unsigned line = 1;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t len = nl != NULL ? (size_t)(nl - (p + i)) : n - i;
        if (memchr(p + i, 0, len) != NULL)
            return cs_errf(err, errlen, CS_EINVAL,
                           _("'%s' is not a spreadsheet: it holds binary data (line %u)"), s->name,
                           line);
        if (!cs_utf8_valid(p + i, len))
            return cs_errf(err, errlen, CS_EINVAL,
                           _("'%s' is not UTF-8 text (line %u): open it in the spreadsheet and "
                             "save it as \"CSV UTF-8\" or .xlsx (a file in TCVN3 or "
                             "Windows-1258 must be converted to Unicode first)"),
                           s->name, line);
        i += len + 1;
        line++;
    }
    char sep = defsep ? defsep : sniff_separator(p, n);
    snprintf(s->kind, sizeof(s->kind), "CSV (%s, %s)", encoding,
             sep == '\t'  ? "tab"
             : sep == ';' ? "';'"
                          : "','");
    return csv_parse(s, p, n, sep, err, errlen);
}

/* ---- xlsx ---- */

enum part { P_WORKBOOK, P_RELS, P_STYLES, P_STRINGS, P_SHEET };

struct xlsx {
    struct cs_sheet *s;
    XML_Parser xp;
    enum part part;
    const char *partname;
    int ret;
    char *err;
    size_t errlen;
    /* workbook.xml and its relationships */
    char rid[256], target[512];
    int date1904, have_sheet;
    /* styles.xml: custom number formats that show dates, and per cell style whether it does */
    unsigned *date_fmts;
    size_t ndate_fmts, date_fmts_cap;
    unsigned char *xf_date;
    size_t nxf, xfcap;
    int in_numfmts, in_cellxfs;
    /* sharedStrings.xml */
    char **sst;
    size_t nsst, sstcap;
    int in_si, in_rph;
    /* the text of the element being read */
    struct cellbuf text;
    int collect;
    /* the worksheet */
    int in_row, in_cell, in_is;
    unsigned row;
    size_t col, next_col;
    char type[16];
    unsigned style;
};

static const char *
local_name(const char *name)
{
    const char *bar = strrchr(name, '|');
    return bar != NULL ? bar + 1 : name;
}

/* The value of an attribute without a namespace ("r"), or with any ("…|id" as "id"). */
static const char *
attr(const char **atts, const char *name, int namespaced)
{
    for (size_t i = 0; atts[i] != NULL; i += 2) {
        const char *bar = strrchr(atts[i], '|');
        if (namespaced ? (bar != NULL && strcmp(bar + 1, name) == 0)
                       : (bar == NULL && strcmp(atts[i], name) == 0))
            return atts[i + 1];
    }
    return NULL;
}

static void
xlsx_stop(struct xlsx *x, int ret)
{
    if (x->ret == 0)
        x->ret = ret;
    zx.XML_StopParser(x->xp, XML_FALSE);
}

static void
damaged(struct xlsx *x, const char *what)
{
    xlsx_stop(x, cs_errf(x->err, x->errlen, CS_EINVAL,
                         _("'%s' is a damaged xlsx workbook (%s in %s): open it in the "
                           "spreadsheet and save it again"),
                         x->s->name, what, x->partname));
}

/* A whole number of at most max from text, or -1. */
static long
whole(const char *t, long max)
{
    char *end;
    if (t == NULL || *t < '0' || *t > '9')
        return -1;
    errno = 0;
    long v = strtol(t, &end, 10);
    return errno != 0 || *end != 0 || v > max ? -1 : v;
}

/*
 * Whether a number format shows a date: one of Excel's built-in date
 * formats (14-22, and 27-36 and 50-58 of East Asian locales), or a format
 * code with a day or year part outside quoted text, brackets ([$-42A],
 * [Red]) and escaped characters.
 */
static int
date_code(const char *code)
{
    int quoted = 0, bracket = 0;
    for (const char *c = code; *c; c++) {
        if (*c == '\\' && c[1] != 0)
            c++;
        else if (*c == '"')
            quoted = !quoted;
        else if (!quoted && *c == '[')
            bracket = 1;
        else if (!quoted && *c == ']')
            bracket = 0;
        else if (!quoted && !bracket && strchr("dDyY", *c) != NULL)
            return 1;
    }
    return 0;
}

static int
date_fmt(const struct xlsx *x, unsigned id)
{
    if ((id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 50 && id <= 58))
        return 1;
    for (size_t i = 0; i < x->ndate_fmts; i++)
        if (x->date_fmts[i] == id)
            return 1;
    return 0;
}

/* Column and row of a cell reference ("AB12"); -1 for a malformed one. */
static int
cell_ref(const char *r, size_t *col, unsigned *row)
{
    size_t c = 0, letters = 0;
    for (; (*r >= 'A' && *r <= 'Z') || (*r >= 'a' && *r <= 'z'); r++, letters++) {
        if (letters >= 3)
            return -1;
        c = c * 26 + (size_t)((*r | 0x20) - 'a' + 1);
    }
    long n = whole(r, 1048576);
    if (letters == 0 || n < 1)
        return -1;
    *col = c - 1;
    *row = (unsigned)n;
    return 0;
}

/* The text of a number cell: a date as YYYY-MM-DD where its style shows a date. */
static void
number_text(const struct xlsx *x, const char *v, char *buf, size_t len)
{
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end != 0 || !isfinite(d)) {
        snprintf(buf, len, "%s", v);
        return;
    }
    if (x->style < x->nxf && x->xf_date[x->style] && d >= 1 && d < 2958466) {
        long serial = (long)floor(d);
        int32_t day;
        if (x->date1904) {
            day = cs_date_from_civil((struct cs_date){1904, 1, 1}) + (int32_t)serial;
        } else if (serial == 60) {
            /* Excel's 29 February 1900, a day that never was: left as the number. */
            snprintf(buf, len, "%s", v);
            return;
        } else {
            /* Serial 1 is 1900-01-01; Excel counts 1900 as a leap year. */
            day = cs_date_from_civil((struct cs_date){1899, 12, serial < 60 ? 31 : 30}) +
                  (int32_t)serial;
        }
        char date[CS_DATE_BUFSZ];
        snprintf(buf, len, "%s", cs_date_format(day, date));
        return;
    }
    snprintf(buf, len, "%.15g", d);
}

static void
cell_end(struct xlsx *x)
{
    char num[64];
    const char *v;
    size_t n;

    if (cellbuf_put(&x->text, 0) != 0) {
        xlsx_stop(x, CS_ENOMEM);
        return;
    }
    x->text.n--;
    v = x->text.p;
    n = x->text.n;
    if (strcmp(x->type, "s") == 0) {
        long i = whole(v, 1L << 30);
        if (i < 0 || (size_t)i >= x->nsst) {
            damaged(x, _("a cell refers to a shared string that is not there"));
            return;
        }
        v = x->sst[i];
        n = strlen(v);
    } else if (strcmp(x->type, "b") == 0) {
        v = strcmp(v, "1") == 0 ? "TRUE" : n > 0 ? "FALSE" : "";
        n = strlen(v);
    } else if (strcmp(x->type, "n") == 0 || x->type[0] == 0) {
        if (n > 0) {
            number_text(x, v, num, sizeof(num));
            v = num;
            n = strlen(num);
        }
    }
    /* inlineStr, str (a formula's text), e (#N/A), d (an ISO date): the text as it is. */
    int ret = put_cell(x->s, x->row, x->col, v, n, x->err, x->errlen);
    if (ret != 0)
        xlsx_stop(x, ret);
}

static void XMLCALL
xml_start(void *ud, const char *name, const char **atts)
{
    struct xlsx *x = ud;
    const char *el = local_name(name), *a;

    switch (x->part) {
    case P_WORKBOOK:
        if (strcmp(el, "workbookPr") == 0 && (a = attr(atts, "date1904", 0)) != NULL)
            x->date1904 = strcmp(a, "1") == 0 || strcmp(a, "true") == 0;
        if (strcmp(el, "sheet") == 0 && !x->have_sheet && (a = attr(atts, "id", 1)) != NULL) {
            snprintf(x->rid, sizeof(x->rid), "%s", a);
            x->have_sheet = 1;
        }
        break;
    case P_RELS:
        if (strcmp(el, "Relationship") == 0 && x->rid[0] != 0 &&
            (a = attr(atts, "Id", 0)) != NULL && strcmp(a, x->rid) == 0 &&
            (a = attr(atts, "Target", 0)) != NULL) {
            /* Relative to xl/, or from the archive's root when it starts with '/'. */
            if (a[0] == '/')
                snprintf(x->target, sizeof(x->target), "%s", a + 1);
            else
                snprintf(x->target, sizeof(x->target), "xl/%s", a);
        }
        break;
    case P_STYLES:
        if (strcmp(el, "numFmts") == 0)
            x->in_numfmts = 1;
        else if (strcmp(el, "cellXfs") == 0)
            x->in_cellxfs = 1;
        else if (x->in_numfmts && strcmp(el, "numFmt") == 0) {
            long id = whole(attr(atts, "numFmtId", 0), 100000);
            const char *code = attr(atts, "formatCode", 0);
            if (id >= 0 && code != NULL && date_code(code)) {
                if (cs_grow((void **)&x->date_fmts, &x->date_fmts_cap, x->ndate_fmts + 1,
                            sizeof(*x->date_fmts), 8) != 0) {
                    xlsx_stop(x, CS_ENOMEM);
                    return;
                }
                x->date_fmts[x->ndate_fmts++] = (unsigned)id;
            }
        } else if (x->in_cellxfs && strcmp(el, "xf") == 0) {
            long id = whole(attr(atts, "numFmtId", 0), 100000);
            if (x->nxf >= 65536) {
                damaged(x, _("too many cell styles"));
                return;
            }
            if (cs_grow((void **)&x->xf_date, &x->xfcap, x->nxf + 1, 1, 64) != 0) {
                xlsx_stop(x, CS_ENOMEM);
                return;
            }
            x->xf_date[x->nxf++] = (unsigned char)(id >= 0 && date_fmt(x, (unsigned)id));
        }
        break;
    case P_STRINGS:
        if (strcmp(el, "si") == 0) {
            x->in_si = 1;
            x->text.n = 0;
        } else if (strcmp(el, "rPh") == 0) {
            x->in_rph++; /* the phonetic reading of East Asian text, not the text */
        } else if (x->in_si && !x->in_rph && strcmp(el, "t") == 0) {
            x->collect = 1;
        }
        break;
    case P_SHEET:
        if (strcmp(el, "row") == 0) {
            long r = whole(attr(atts, "r", 0), 1048576);
            a = attr(atts, "r", 0);
            if (a != NULL && r < 1) {
                damaged(x, _("a row has a bad number"));
                return;
            }
            x->row = a != NULL ? (unsigned)r : x->row + 1;
            x->in_row = 1;
            x->next_col = 0;
        } else if (x->in_row && strcmp(el, "c") == 0) {
            unsigned row;
            x->in_cell = 1;
            x->text.n = 0;
            x->col = x->next_col;
            if ((a = attr(atts, "r", 0)) != NULL &&
                (cell_ref(a, &x->col, &row) != 0 || row != x->row)) {
                damaged(x, _("a cell has a bad reference"));
                return;
            }
            x->next_col = x->col + 1;
            a = attr(atts, "t", 0);
            snprintf(x->type, sizeof(x->type), "%s", a != NULL ? a : "");
            long st = whole(attr(atts, "s", 0), 65535);
            x->style = st >= 0 ? (unsigned)st : 0;
        } else if (x->in_cell && strcmp(el, "v") == 0) {
            x->collect = 1;
        } else if (x->in_cell && strcmp(el, "is") == 0) {
            x->in_is = 1;
        } else if (x->in_is && strcmp(el, "rPh") == 0) {
            x->in_rph++;
        } else if (x->in_is && !x->in_rph && strcmp(el, "t") == 0) {
            x->collect = 1;
        }
        break;
    }
}

static void XMLCALL
xml_end(void *ud, const char *name)
{
    struct xlsx *x = ud;
    const char *el = local_name(name);

    switch (x->part) {
    case P_WORKBOOK:
    case P_RELS:
        break;
    case P_STYLES:
        if (strcmp(el, "numFmts") == 0)
            x->in_numfmts = 0;
        else if (strcmp(el, "cellXfs") == 0)
            x->in_cellxfs = 0;
        break;
    case P_STRINGS:
        if (strcmp(el, "t") == 0) {
            x->collect = 0;
        } else if (strcmp(el, "rPh") == 0) {
            x->in_rph--;
        } else if (strcmp(el, "si") == 0 && x->in_si) {
            x->in_si = 0;
            if (x->nsst >= 1000000) {
                damaged(x, _("too many shared strings"));
                return;
            }
            char *t = strndup(x->text.p != NULL ? x->text.p : "", x->text.n);
            if (t == NULL ||
                cs_grow((void **)&x->sst, &x->sstcap, x->nsst + 1, sizeof(*x->sst), 256) != 0) {
                free(t);
                xlsx_stop(x, CS_ENOMEM);
                return;
            }
            x->sst[x->nsst++] = t;
        }
        break;
    case P_SHEET:
        if (strcmp(el, "v") == 0 || strcmp(el, "t") == 0) {
            x->collect = 0;
        } else if (strcmp(el, "rPh") == 0 && x->in_rph > 0) {
            x->in_rph--;
        } else if (strcmp(el, "is") == 0) {
            x->in_is = 0;
        } else if (strcmp(el, "c") == 0 && x->in_cell) {
            x->in_cell = 0;
            cell_end(x);
        } else if (strcmp(el, "row") == 0 && x->in_row) {
            x->in_row = 0;
            int ret = end_row(x->s, x->row, x->err, x->errlen);
            if (ret != 0)
                xlsx_stop(x, ret);
        }
        break;
    }
}

static void XMLCALL
xml_text(void *ud, const char *t, int len)
{
    struct xlsx *x = ud;
    if (!x->collect)
        return;
    if (x->text.n + (size_t)len > CS_SHEET_MAX_CELL) {
        char colname[8];
        cs_sheet_column_name(x->col, colname);
        xlsx_stop(x, x->part == P_SHEET
                         ? cs_errf(x->err, x->errlen, CS_ETOOBIG,
                                   _("'%s' row %u, column %s: the cell is longer than %u bytes"),
                                   x->s->name, x->row, colname, CS_SHEET_MAX_CELL)
                         : cs_errf(x->err, x->errlen, CS_ETOOBIG,
                                   _("'%s': a text is longer than %u bytes"), x->s->name,
                                   CS_SHEET_MAX_CELL));
        return;
    }
    for (int i = 0; i < len; i++)
        if (cellbuf_put(&x->text, t[i]) != 0) {
            xlsx_stop(x, CS_ENOMEM);
            return;
        }
}

/* Workbooks have no document type; one would only bring entities in. */
static void XMLCALL
xml_doctype(void *ud, const char *name, const char *sysid, const char *pubid, int internal)
{
    (void)name, (void)sysid, (void)pubid, (void)internal;
    damaged(ud, _("a document type declaration"));
}

/*
 * The archive as minizip reads it: from the bytes in memory, through
 * callbacks (minizip's own would open a file). Nothing is ever written.
 */
struct membuf {
    const unsigned char *p;
    size_t size, pos;
};

static voidpf ZCALLBACK
mem_open(voidpf opaque, const void *name, int mode)
{
    (void)name;
    return (mode & ZLIB_FILEFUNC_MODE_WRITE) ? NULL : opaque;
}

static uLong ZCALLBACK
mem_read(voidpf opaque, voidpf stream, void *buf, uLong size)
{
    struct membuf *m = stream;
    (void)opaque;
    size_t n = m->pos < m->size ? m->size - m->pos : 0;
    if (n > size)
        n = size;
    memcpy(buf, m->p + m->pos, n);
    m->pos += n;
    return (uLong)n;
}

static uLong ZCALLBACK
mem_write(voidpf opaque, voidpf stream, const void *buf, uLong size)
{
    (void)opaque, (void)stream, (void)buf, (void)size;
    return 0;
}

static ZPOS64_T ZCALLBACK
mem_tell(voidpf opaque, voidpf stream)
{
    (void)opaque;
    return ((struct membuf *)stream)->pos;
}

static long ZCALLBACK
mem_seek(voidpf opaque, voidpf stream, ZPOS64_T offset, int origin)
{
    struct membuf *m = stream;
    ZPOS64_T base;
    (void)opaque;
    if (origin == ZLIB_FILEFUNC_SEEK_SET)
        base = 0;
    else if (origin == ZLIB_FILEFUNC_SEEK_CUR)
        base = m->pos;
    else if (origin == ZLIB_FILEFUNC_SEEK_END)
        base = m->size;
    else
        return -1;
    /* Past the end is refused, as lseek on a file would not be: it is always a lie. */
    if (offset > m->size - base)
        return -1;
    m->pos = (size_t)(base + offset);
    return 0;
}

static int ZCALLBACK
mem_close(voidpf opaque, voidpf stream)
{
    (void)opaque, (void)stream;
    return 0;
}

static int ZCALLBACK
mem_error(voidpf opaque, voidpf stream)
{
    (void)opaque, (void)stream;
    return 0;
}

/* Why minizip could not give a part, for the person to read. */
static const char *
unz_reason(int code)
{
    switch (code) {
    case UNZ_CRCERROR:
        return _("its checksum does not match");
    case Z_DATA_ERROR:
        return _("its compressed data is damaged");
    case UNZ_ERRNO:   /* only a read or seek past the end of the bytes fails */
    case Z_BUF_ERROR: /* the deflated data stops before its end */
        return _("the file ends in the middle of it");
    default:
        return _("its header is damaged");
    }
}

/*
 * Parses the part called name of the archive with the handlers above. A
 * missing part is 1 when optional, else an error. The inflated size is
 * counted as it is read, whatever the archive's directory claims; minizip
 * stops at the size the directory claims, so a part that gives fewer bytes
 * than that, or other bytes than its checksum, is damaged.
 */
static int
xlsx_part(struct xlsx *x, unzFile uf, const char *name, enum part part, int optional)
{
    unz_file_info64 info;
    char buf[65536];
    size_t total = 0;
    int opened = 0, ret = 0, zr;
    const char *why = NULL;

    x->part = part;
    x->partname = name;
    x->collect = x->in_rph = 0;
    x->text.n = 0;
    if ((x->xp = zx.XML_ParserCreateNS(NULL, '|')) == NULL)
        return CS_ENOMEM;
    zx.XML_SetUserData(x->xp, x);
    zx.XML_SetElementHandler(x->xp, xml_start, xml_end);
    zx.XML_SetCharacterDataHandler(x->xp, xml_text);
    zx.XML_SetStartDoctypeDeclHandler(x->xp, xml_doctype);
    /* 1: names compared with their case, as libraries write them and Excel reads them. */
    if ((zr = zx.unzLocateFile(uf, name, 1)) == UNZ_END_OF_LIST_OF_FILE || zr == UNZ_PARAMERROR) {
        ret = optional ? 1
                       : cs_errf(x->err, x->errlen, CS_EINVAL,
                                 _("'%s' is not a whole xlsx workbook: it has no %s (open it in "
                                   "the spreadsheet and save it again)"),
                                 x->s->name, name);
        goto out;
    }
    if (zr != UNZ_OK ||
        (zr = zx.unzGetCurrentFileInfo64(uf, &info, NULL, 0, NULL, 0, NULL, 0)) != UNZ_OK)
        why = unz_reason(zr);
    else if (info.flag & 1)
        why = _("it is encrypted with a password");
    else if (info.compression_method != 0 && info.compression_method != Z_DEFLATED)
        why = _("it is compressed in a way other than deflate");
    else if ((zr = zx.unzOpenCurrentFile(uf)) != UNZ_OK)
        why = unz_reason(zr);
    else
        opened = 1;
    if (why != NULL) {
        ret = cs_errf(x->err, x->errlen, CS_EINVAL,
                      _("'%s' is a damaged xlsx workbook (%s: %s): open it in the spreadsheet "
                        "and save it again"),
                      x->s->name, name, why);
        goto out;
    }
    for (;;) {
        int got = zx.unzReadCurrentFile(uf, buf, sizeof(buf));
        if (got == 0) {
            zr = zx.unzCloseCurrentFile(uf);
            opened = 0;
            if (total != info.uncompressed_size)
                why = unz_reason(UNZ_ERRNO);
            else if (zr != UNZ_OK)
                why = unz_reason(zr);
        } else if (got < 0) {
            if (got == Z_MEM_ERROR) {
                ret = CS_ENOMEM;
                goto out;
            }
            why = unz_reason(got);
        }
        if (why != NULL) {
            ret = cs_errf(x->err, x->errlen, CS_EINVAL,
                          _("'%s' is a damaged xlsx workbook (%s: %s): copy it again, or open it "
                            "in the spreadsheet and save it again"),
                          x->s->name, name, why);
            goto out;
        }
        total += (size_t)got;
        if (total > CS_SHEET_MAX_BYTES) {
            ret = cs_errf(x->err, x->errlen, CS_ETOOBIG,
                          _("'%s': %s is over %u MiB once unpacked: split the workbook into "
                            "smaller files"),
                          x->s->name, name, CS_SHEET_MAX_BYTES >> 20);
            goto out;
        }
        if (zx.XML_Parse(x->xp, buf, got, got == 0) != XML_STATUS_OK) {
            if (x->ret != 0)
                ret = x->ret;
            else
                ret = cs_errf(x->err, x->errlen, CS_EINVAL,
                              _("'%s' is a damaged xlsx workbook (%s, line %lu: %s): open it in "
                                "the spreadsheet and save it again"),
                              x->s->name, name, (unsigned long)zx.XML_GetCurrentLineNumber(x->xp),
                              zx.XML_ErrorString(zx.XML_GetErrorCode(x->xp)));
            goto out;
        }
        if (got == 0)
            break;
    }
    ret = x->ret;
out:
    if (opened)
        zx.unzCloseCurrentFile(uf);
    zx.XML_ParserFree(x->xp);
    x->xp = NULL;
    return ret;
}

/* Whether the archive has a part called name. */
static int
has_part(unzFile uf, const char *name)
{
    return zx.unzLocateFile(uf, name, 1) == UNZ_OK;
}

/* What a zip archive that is not an xlsx workbook is, to say so. */
static int
not_workbook(const struct cs_sheet *s, unzFile uf, char *err, size_t errlen)
{
    if (has_part(uf, "content.xml"))
        return cs_errf(err, errlen, CS_EINVAL,
                       _("'%s' is an OpenDocument file (.ods), not an xlsx workbook: open it and "
                         "save it as .xlsx or \"CSV UTF-8\""),
                       s->name);
    if (has_part(uf, "word/document.xml"))
        return cs_errf(err, errlen, CS_EINVAL, _("'%s' is a Word document, not a spreadsheet"),
                       s->name);
    return cs_errf(err, errlen, CS_EINVAL, _("'%s' is a zip archive, not an xlsx workbook"),
                   s->name);
}

/*
 * Opens the archive in memory and reads its whole central directory once:
 * minizip reads an entry only when asked, and a directory cut or damaged
 * half-way must be refused here, before any part is looked for in it.
 */
static unzFile
open_archive(struct membuf *m)
{
    /* minizip keeps a copy of the callbacks. */
    zlib_filefunc64_def io = {mem_open, mem_read,  mem_write, mem_tell,
                              mem_seek, mem_close, mem_error, m};
    unz_global_info64 gi;
    unzFile uf;
    int zr;

    if ((uf = zx.unzOpen2_64(m, &io)) == NULL)
        goto out;
    if ((zr = zx.unzGetGlobalInfo64(uf, &gi)) == UNZ_OK && gi.number_entry > 0) {
        for (zr = zx.unzGoToFirstFile(uf); zr == UNZ_OK; zr = zx.unzGoToNextFile(uf))
            ;
        if (zr == UNZ_END_OF_LIST_OF_FILE)
            zr = UNZ_OK;
    }
    if (zr != UNZ_OK) {
        zx.unzClose(uf);
        uf = NULL;
    }
out:
    return uf;
}

static int
read_xlsx(struct cs_sheet *s, const void *data, size_t size, char *err, size_t errlen)
{
    struct xlsx x = {.s = s, .err = err, .errlen = errlen};
    struct membuf m = {.p = data, .size = size};
    unzFile uf;
    int ret;

    /* Once per process, under a lock: the web pages' threads may read workbooks at once. */
    pthread_once(&zx_once, zx_load);
    if (zx_why[0] != 0)
        return cs_errf(err, errlen, -ELIBACC, _("cannot read '%s': %s"), s->name, zx_why);
    /* minizip says no more than that it could not: a memory failure reads as damage. */
    if ((uf = open_archive(&m)) == NULL)
        return cs_errf(err, errlen, CS_EINVAL,
                       _("'%s' is cut short or damaged: it starts as an xlsx workbook but is "
                         "not a whole zip archive (copy it again)"),
                       s->name);
    snprintf(s->kind, sizeof(s->kind), "xlsx");
    if (!has_part(uf, "xl/workbook.xml")) {
        ret = not_workbook(s, uf, err, errlen);
        goto out;
    }
    if ((ret = xlsx_part(&x, uf, "xl/workbook.xml", P_WORKBOOK, 0)) != 0)
        goto out;
    if (x.rid[0] != 0 && (ret = xlsx_part(&x, uf, "xl/_rels/workbook.xml.rels", P_RELS, 1)) < 0)
        goto out;
    if (x.target[0] == 0)
        snprintf(x.target, sizeof(x.target), "xl/worksheets/sheet1.xml");
    if ((ret = xlsx_part(&x, uf, "xl/styles.xml", P_STYLES, 1)) < 0 ||
        (ret = xlsx_part(&x, uf, "xl/sharedStrings.xml", P_STRINGS, 1)) < 0)
        goto out;
    char target[sizeof(x.target)];
    memcpy(target, x.target, sizeof(target));
    ret = xlsx_part(&x, uf, target, P_SHEET, 0);
out:
    for (size_t i = 0; i < x.nsst; i++)
        free(x.sst[i]);
    free(x.sst);
    free(x.date_fmts);
    free(x.xf_date);
    free(x.text.p);
    zx.unzClose(uf);
    return ret;
}

/* ---- opening ---- */

static int
has_prefix(const void *data, size_t size, const char *magic, size_t n)
{
    return size >= n && memcmp(data, magic, n) == 0;
}

int
cs_sheet_open_mem(const void *data, size_t size, const char *name, struct cs_sheet **out, char *err,
                  size_t errlen)
{
    struct cs_sheet *s;
    const char *p = data;
    char *conv = NULL;
    size_t convn = 0;
    int ret;

    *out = NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return CS_ENOMEM;
    s->name = name;
    if (size > CS_SHEET_MAX_BYTES) {
        ret =
            cs_errf(err, errlen, CS_ETOOBIG, _("'%s' is over %u MiB: split it into smaller files"),
                    name, CS_SHEET_MAX_BYTES >> 20);
    } else if (size == 0) {
        ret = cs_errf(err, errlen, CS_EINVAL, _("'%s' is empty"), name);
    } else if (has_prefix(p, size, "PK\x03\x04", 4) || has_prefix(p, size, "PK\x05\x06", 4)) {
        ret = read_xlsx(s, data, size, err, errlen);
    } else if (has_prefix(p, size, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8)) {
        ret = cs_errf(err, errlen, CS_EINVAL,
                      _("'%s' is an Excel 97-2003 workbook (.xls): open it and save it as .xlsx "
                        "or \"CSV UTF-8\""),
                      name);
    } else if (has_prefix(p, size, "\xef\xbb\xbf", 3)) {
        ret = read_text(s, p + 3, size - 3, "UTF-8", 0, err, errlen);
    } else if (has_prefix(p, size, "\xff\xfe", 2) || has_prefix(p, size, "\xfe\xff", 2) ||
               (size >= 2 && (p[0] == 0) != (p[1] == 0))) {
        /* UTF-16 as Excel saves "Unicode Text": a BOM, tabs; without a BOM, told by its zeros. */
        int le = has_prefix(p, size, "\xff\xfe", 2) || (p[1] == 0 && p[0] != 0);
        size_t skip = has_prefix(p, size, "\xff\xfe", 2) || has_prefix(p, size, "\xfe\xff", 2);
        if ((ret = utf16_to_utf8(s, p + 2 * skip, size - 2 * skip, le ? "UTF-16LE" : "UTF-16BE",
                                 &conv, &convn, err, errlen)) == 0) {
            size_t bom = has_prefix(conv, convn, "\xef\xbb\xbf", 3) ? 3 : 0;
            ret = read_text(s, conv + bom, convn - bom, "UTF-16", 0, err, errlen);
        }
    } else if (p[0] == '<') {
        ret = cs_errf(err, errlen, CS_EINVAL,
                      _("'%s' is an XML or web page file, not a workbook: open it in the "
                        "spreadsheet and save it as .xlsx or \"CSV UTF-8\""),
                      name);
    } else {
        ret = read_text(s, p, size, "UTF-8", 0, err, errlen);
    }
    free(conv);
    if (ret == 0 && s->nrows == 0)
        ret = cs_errf(err, errlen, CS_EINVAL, _("'%s' has no rows"), name);
    if (ret != 0) {
        cs_sheet_free(s);
        return ret;
    }
    s->name = NULL;
    *out = s;
    return 0;
}

int
cs_sheet_open(const char *path, struct cs_sheet **out, char *err, size_t errlen)
{
    struct stat st;
    char *buf = NULL;
    int fd, ret;

    *out = NULL;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        ret = cs_errf(err, errlen, CS_EINVAL, _("'%s' is not a file"), path);
        goto out;
    }
    if ((size_t)st.st_size > CS_SHEET_MAX_BYTES) {
        ret =
            cs_errf(err, errlen, CS_ETOOBIG, _("'%s' is over %u MiB: split it into smaller files"),
                    path, CS_SHEET_MAX_BYTES >> 20);
        goto out;
    }
    size_t size = (size_t)st.st_size, got = 0;
    if ((buf = malloc(size + 1)) == NULL) {
        ret = CS_ENOMEM;
        goto out;
    }
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    ret = cs_sheet_open_mem(buf, got, path, out, err, errlen);
out:
    free(buf);
    close(fd);
    return ret;
}
