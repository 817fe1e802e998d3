/* SPDX-License-Identifier: MIT */
/*
 * Which record field each column of an imported spreadsheet holds, told
 * from its heading (cellsync/sheet.h reads the file). A heading is the
 * field's label as cellsync shows it (in the language it runs in, so
 * "Họ và tên" under Vietnamese), its English label, or its option name
 * ("birth-date"), matched without case, diacritics, spaces or
 * punctuation. Besides the fields `add` takes, a candidate's sheet may give
 * the dates of the steps already taken (identified on, helper assigned on,
 * ...), its helper and sponsors and the youth union's resolution, so that
 * a cell's paper history enters in one go. The row-number column offices
 * put first ("STT", "No.") and columns without a heading are left out.
 */
#ifndef CELLSYNC_IMPORT_H
#define CELLSYNC_IMPORT_H

#include <stddef.h>

#include "cellsync/schema.h"

/* More than any table's importable columns. */
#define CS_IMPORT_MAX_COLUMNS 48

/*
 * The columns a spreadsheet of table ("member", "candidate") may hold, in
 * the order messages list them. Returns their number (at most max), 0 for
 * a table that is not imported.
 */
size_t cs_import_columns(const char *table, const struct cs_schema_column **cols, size_t max);

/*
 * Maps a header row of n cells: map[j] is the column cell j names, or NULL
 * for a column left out (an empty heading or the row number). CS_EINVAL
 * with err (translated) naming the heading and its column letter for a
 * heading that names no field, listing the ones that do, or for two
 * headings of one field. map has room for n entries.
 */
int cs_import_header(const char *table, const char *const *cells, size_t n,
                     const struct cs_schema_column **map, char *err, size_t errlen);

#endif
