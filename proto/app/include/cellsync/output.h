/* SPDX-License-Identifier: MIT */
/*
 * How query results are printed: every list command of the client goes
 * through cs_out_table() or cs_out_json(), every show command through
 * cs_out_kv() or cs_out_json(), and the reports of both ends
 * (cellsync/report.h) through the same, so columns line up the same way
 * everywhere and JSON is always SQLite's own.
 *
 * The caller prepares and binds the statement, and keeps owning it: these
 * helpers step it, reset it before returning (so no read transaction stays
 * open; bindings are kept) and never finalize it.
 *
 * They return 0, CS_ESQLITE when a step fails (with the message of
 * sqlite3_errmsg() copied into err), CS_ENOMEM, CS_ENOTFOUND where a row is
 * required and none came, or -errno when writing to f fails; on failure err
 * (optional: NULL or errlen 0) says what went wrong.
 */
#ifndef CELLSYNC_OUTPUT_H
#define CELLSYNC_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include <sqlite3.h>

/*
 * A plain-text table: a header row, then one line per result row, columns
 * two spaces apart and as wide as their widest cell on a terminal (combining
 * marks take no column, East Asian wide characters take two). Integers and
 * reals are right-aligned, text left-aligned; a column holding only numbers
 * has its header and "-" right-aligned too. NULL prints as "-", a BLOB as
 * lower-case hex, and a text that is an ISO date (YYYY-MM-DD) as
 * DD/MM/YYYY, the way dates are shown to people.
 *
 * headers: NULL, or one entry per result column, N_() literals translated
 * here as printed; a NULL headers array or entry takes
 * sqlite3_column_name(). A result with no rows prints the header alone.
 *
 * A table wider than the screen prints each row as a block of "label:
 * value" lines (as cs_out_kv() does), the blocks separated by a blank line.
 * The screen is $COLUMNS columns wide when that is a number, else the
 * terminal's width when f is a terminal; when f is not a terminal and
 * $COLUMNS is unset there is no limit, so pipes and files always get the
 * table. Colour sequences inside a cell (ESC [ ... m) take no column.
 */
int cs_out_table(FILE *f, sqlite3_stmt *st, const char *const *headers, char *err, size_t errlen);
/*
 * The same with the width given: a table wider than width columns prints
 * as blocks; 0 is no limit (a document, such as a report, keeps its
 * tables whatever the screen it was made on).
 */
int cs_out_table_width(FILE *f, sqlite3_stmt *st, const char *const *headers, size_t width,
                       char *err, size_t errlen);

/*
 * JSON output is built by SQLite's JSON functions in the query, never by a
 * printer in C. The statement returns one row whose column 0 is the JSON
 * text; this steps it once and prints that column and a newline (SQL NULL
 * prints as null). No row at all is CS_ENOTFOUND. A list, for example:
 *
 *   SELECT json_group_array(json_object('id', id, 'name', name,
 *                                       'joined', joined))
 *     FROM (SELECT id, name, joined FROM member
 *            WHERE cell = ?1 ORDER BY name);
 *
 * json_group_array() over no rows yields "[]", so an empty list still
 * prints. A show command selects json_object(...) ... WHERE id = ?1, and no
 * match gives no row, hence CS_ENOTFOUND.
 */
int cs_out_json(FILE *f, sqlite3_stmt *st, char *err, size_t errlen);

/*
 * One record as "label: value" lines, values starting in one column after
 * the longest translated label (measured like out_table cells). The
 * statement must return exactly its first row; further rows are ignored,
 * none is CS_ENOTFOUND. labels: as headers for cs_out_table(). NULL prints as
 * "-", a BLOB as hex, an ISO date as DD/MM/YYYY.
 */
int cs_out_kv(FILE *f, sqlite3_stmt *st, const char *const *labels, char *err, size_t errlen);

/*
 * Whether text for f may be coloured: f is a terminal, $NO_COLOR is unset
 * or empty (no-color.org) and $TERM names a terminal other than "dumb".
 * Never for a pipe or a file.
 */
bool cs_out_color(FILE *f);

/* The sequences that start bold red and end it, for a cell of a table. */
#define CS_OUT_RED   "\033[1;31m"
#define CS_OUT_PLAIN "\033[0m"

/*
 * Terminal columns that the UTF-8 text s[0..len) takes up. Exposed for
 * commands that align text of their own.
 */
size_t cs_out_width(const char *s, size_t len);

#endif
