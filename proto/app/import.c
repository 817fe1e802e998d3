/* SPDX-License-Identifier: MIT */
/*
 * The columns of an imported spreadsheet (cellsync/import.h): which schema
 * column each heading names. Headings are compared folded, so "HỌ VÀ TÊN",
 * "Ho va ten" and "họ và tên" are one heading; the schema descriptor gives
 * the option names and labels, so a field added there is importable at
 * once.
 */
#include <stdio.h>
#include <string.h>

#include "cellsync/candidate.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/import.h"
#include "cellsync/sheet.h"

/* The Vietnamese vowels with their marks, by the ASCII letter they fold to. */
static const struct {
    char base;
    const char *letters;
} vowels[] = {
    {'a', "àảãáạăằẳẵắặâầẩẫấậÀẢÃÁẠĂẰẲẴẮẶÂẦẨẪẤẬ"},
    {'e', "èẻẽéẹêềểễếệÈẺẼÉẸÊỀỂỄẾỆ"},
    {'i', "ìỉĩíịÌỈĨÍỊ"},
    {'o', "òỏõóọôồổỗốộơờởỡớợÒỎÕÓỌÔỒỔỖỐỘƠỜỞỠỚỢ"},
    {'u', "ùủũúụưừửữứựÙỦŨÚỤƯỪỬỮỨỰ"},
    {'y', "ỳỷỹýỵỲỶỸÝỴ"},
    {'d', "đĐ"},
};

/* The length of the UTF-8 character at p (1 for a stray byte). */
static size_t
char_len(const unsigned char *p)
{
    size_t n = p[0] < 0x80 ? 1 : p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 1;
    return n;
}

/* The letter a marked vowel or đ folds to, or 0. */
static char
fold_letter(const unsigned char *p, size_t n)
{
    for (size_t v = 0; v < sizeof(vowels) / sizeof(vowels[0]); v++)
        for (const unsigned char *q = (const unsigned char *)vowels[v].letters; *q;) {
            size_t m = char_len(q);
            if (m == n && memcmp(p, q, n) == 0)
                return vowels[v].base;
            q += m;
        }
    return 0;
}

void
cs_import_fold(const char *text, char *out, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t o = 0;

    if (len == 0)
        return;
    while (*p) {
        size_t n = char_len(p);
        if (n == 1) {
            if (*p >= 'A' && *p <= 'Z' && o + 1 < len)
                out[o++] = (char)(*p | 0x20);
            else if (((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')) && o + 1 < len)
                out[o++] = (char)*p;
        } else {
            char base = fold_letter(p, n);
            /* U+0300..U+036F, the combining marks of text typed decomposed (NFD). */
            int mark = n == 2 && (p[0] == 0xcc || (p[0] == 0xcd && p[1] < 0xb0));
            if (base != 0 && o + 1 < len)
                out[o++] = base;
            else if (base == 0 && !mark && o + n < len) {
                memcpy(out + o, p, n);
                o += n;
            }
        }
        p += n;
    }
    out[o] = 0;
}

/* A candidate's sheet also takes what `candidate advance` records, for its paper history. */
static const char *const candidate_extra[] = {
    "identified_on",
    "helper_on",
    "class_on",
    "applied_on",
    "verified_on",
    "cell_resolution_on",
    "grassroots_resolution_on",
    "decision_on",
    "ceremony_on",
    "official_on",
    "helper",
    "sponsor1",
    "sponsor2",
    "youth_union_resolution_on",
};

size_t
cs_import_columns(const char *table, const struct cs_schema_column **cols, size_t max)
{
    const struct cs_schema_table *t = cs_schema_table(table);
    size_t n = 0;

    if (t == NULL || (strcmp(table, "member") != 0 && strcmp(table, "candidate") != 0))
        return 0;
    for (size_t i = 0; i < t->ncolumns && n < max; i++)
        if (t->columns[i].option != NULL)
            cols[n++] = &t->columns[i];
    if (strcmp(table, "candidate") == 0)
        for (size_t i = 0; i < sizeof(candidate_extra) / sizeof(candidate_extra[0]) && n < max;
             i++) {
            const struct cs_schema_column *c = cs_schema_column(table, candidate_extra[i]);
            if (c != NULL)
                cols[n++] = c;
        }
    return n;
}

/* Whether a folded heading names column c: its option, column name, or label either way. */
static int
names(const char *folded, const struct cs_schema_column *c)
{
    const char *keys[] = {c->option, c->name, c->label, _(c->label)};
    char k[256];
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (keys[i] == NULL)
            continue;
        cs_import_fold(keys[i], k, sizeof(k));
        if (strcmp(k, folded) == 0)
            return 1;
    }
    return 0;
}

/* The row number offices put in the first column: "STT" (số thứ tự), "TT", "No.", "#". */
static int
row_number_heading(const char *folded)
{
    return strcmp(folded, "stt") == 0 || strcmp(folded, "tt") == 0 || strcmp(folded, "no") == 0 ||
           folded[0] == 0;
}

int
cs_import_header(const char *table, const char *const *cells, size_t n,
                 const struct cs_schema_column **map, char *err, size_t errlen)
{
    const struct cs_schema_column *cols[CS_IMPORT_MAX_COLUMNS];
    size_t ncols = cs_import_columns(table, cols, CS_IMPORT_MAX_COLUMNS);
    char folded[256], colname[8];

    if (ncols == 0)
        return cs_errf(err, errlen, CS_EINVAL, _("'%s' records cannot be imported"), table);
    for (size_t j = 0; j < n; j++) {
        map[j] = NULL;
        cs_import_fold(cells[j], folded, sizeof(folded));
        if (row_number_heading(folded))
            continue;
        for (size_t i = 0; i < ncols && map[j] == NULL; i++)
            if (names(folded, cols[i]))
                map[j] = cols[i];
        cs_sheet_column_name(j, colname);
        if (map[j] == NULL) {
            /* Every heading this table takes, as a person reads it, then as options. */
            char labels[1536] = "", options[1024] = "";
            size_t ln = 0, on = 0;
            for (size_t i = 0; i < ncols; i++) {
                int w = snprintf(labels + ln, sizeof(labels) - ln, "%s\"%s\"", i ? ", " : "",
                                 _(cols[i]->label));
                if (w > 0 && (size_t)w < sizeof(labels) - ln)
                    ln += (size_t)w;
                w = snprintf(options + on, sizeof(options) - on, "%s%s", i ? ", " : "",
                             cols[i]->option != NULL ? cols[i]->option : cols[i]->name);
                if (w > 0 && (size_t)w < sizeof(options) - on)
                    on += (size_t)w;
            }
            return cs_errf(err, errlen, CS_EINVAL,
                           _("column %s: the heading \"%s\" names no field of a %s; the headings "
                             "are %s (or the names %s)"),
                           colname, cells[j], _(cs_schema_table(table)->label), labels, options);
        }
        for (size_t k = 0; k < j; k++)
            if (map[k] == map[j]) {
                char other[8];
                cs_sheet_column_name(k, other);
                return cs_errf(err, errlen, CS_EINVAL,
                               _("columns %s and %s are both \"%s\": keep one of them"), other,
                               colname, _(map[j]->label));
            }
    }
    return 0;
}
