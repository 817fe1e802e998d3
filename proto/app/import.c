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
#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/import.h"
#include "cellsync/sheet.h"

/*
 * A heading as it is compared: its words folded (cs_text_fold()
 * CS_FOLD_WORDS), then joined, so "Ngày sinh", "NGAY SINH", "ngaysinh" and
 * "birth-date" with "birth_date" are each one heading. Truncates to len - 1
 * bytes.
 */
static void
heading_key(const char *text, char *out, size_t len)
{
    size_t o = 0;
    cs_text_fold(text, strlen(text), CS_FOLD_WORDS, out, len);
    for (size_t i = 0; out[i] != 0; i++)
        if (out[i] != ' ')
            out[o++] = out[i];
    out[o] = 0;
}

/*
 * A candidate's sheet also takes what `candidate advance` records, for its
 * paper history: the date of each stage up to official membership (their
 * columns are cs_candidate_stage_column()'s), then these.
 */
static const char *const candidate_extra[] = {
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
    if (strcmp(table, "candidate") != 0)
        return n;
    for (int s = CS_STAGE_IDENTIFIED; s < CS_STAGE__COUNT && n < max; s++) {
        const struct cs_schema_column *c =
            cs_schema_column(table, cs_candidate_stage_column((enum cs_stage)s));
        if (c != NULL)
            cols[n++] = c;
    }
    for (size_t i = 0; i < sizeof(candidate_extra) / sizeof(candidate_extra[0]) && n < max; i++) {
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
        heading_key(keys[i], k, sizeof(k));
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
        heading_key(cells[j], folded, sizeof(folded));
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
