/* SPDX-License-Identifier: MIT */
/*
 * Spreadsheets as committee offices keep them, read into rows of UTF-8
 * cells: CSV in UTF-8 (with or without a BOM), separated by ',', ';' or a
 * tab (sniffed from the header line), with RFC 4180 quoting; UTF-16 text
 * with a BOM, as Excel saves "Unicode Text"; and .xlsx workbooks (the first
 * worksheet: shared and inline strings, numbers, and dates stored as serial
 * numbers with a date style, given as YYYY-MM-DD). `cellsync import` reads
 * through it, and so will the web UI.
 *
 * Each row carries its number as the spreadsheet shows it (the header is
 * row 1); rows with no text are left out. Cells are trimmed of surrounding
 * spaces; an empty cell is "". A file over the limits below, or that is no
 * spreadsheet at all, is refused with a message saying what it is and what
 * to do. Linked as its own library (cellsync_import: minizip and expat), so
 * the hub daemon does not depend on them.
 */
#ifndef CELLSYNC_SHEET_H
#define CELLSYNC_SHEET_H

#include <stddef.h>

/* A file, or one part of an xlsx archive once inflated. */
#define CS_SHEET_MAX_BYTES (32u << 20)
/* Rows holding text, the header included. */
#define CS_SHEET_MAX_ROWS 10000
/* Columns holding text: a record has about twenty fields. */
#define CS_SHEET_MAX_COLS 64
/* One cell's text. */
#define CS_SHEET_MAX_CELL (64u << 10)

struct cs_sheet;

/*
 * Reads the spreadsheet at path (the format is told by its first bytes,
 * not its name). OUT: *out, caller frees with cs_sheet_free(); NULL on
 * failure, with err saying why (translated). 0, -errno, CS_EINVAL (not a
 * spreadsheet, bad encoding, damaged), CS_ETOOBIG or CS_ENOMEM.
 */
int cs_sheet_open(const char *path, struct cs_sheet **out, char *err, size_t errlen);

/* The same for size bytes in memory (an upload); name is what messages call it. */
int cs_sheet_open_mem(const void *data, size_t size, const char *name, struct cs_sheet **out,
                      char *err, size_t errlen);

void cs_sheet_free(struct cs_sheet *s);

/* How many rows hold text. */
size_t cs_sheet_nrows(const struct cs_sheet *s);

/*
 * Row i (0 .. cs_sheet_nrows() - 1): its number in the spreadsheet, and
 * its cells (cells[j] is column j, "" when empty; valid until
 * cs_sheet_free()). Returns the number of cells.
 */
size_t cs_sheet_row(const struct cs_sheet *s, size_t i, unsigned *number,
                    const char *const **cells);

/* What was read, for messages: "xlsx", "CSV (UTF-8, ';')", "CSV (UTF-16, tab)". */
const char *cs_sheet_kind(const struct cs_sheet *s);

/* The letters a spreadsheet shows for column j (0: "A", 26: "AA"). */
void cs_sheet_column_name(size_t j, char buf[8]);

#endif
