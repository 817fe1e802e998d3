/* SPDX-License-Identifier: MIT */
/*
 * Finding a record from what a person typed for it: the id a list shows
 * (the last 8 hex digits of its UUIDv7), any unique start of that, the
 * start of the whole id as git takes one, the end of it (the old rule),
 * or the person's full name compared by its words: without case, tone
 * marks or punctuation. Every front end (the command line, later the web UI)
 * picks records through here, so they accept the same things.
 */
#ifndef CELLSYNC_FIND_H
#define CELLSYNC_FIND_H

#include <stddef.h>

#include <sqlite3.h>

#include "cellsync/id.h"

/* One record what was typed may mean, as a person tells them apart. */
struct cs_find_match {
    struct cs_id id;
    char name[256];  /* the full name, "" for a record without one (a meeting) */
    char detail[16]; /* its first date (birth, or held on) as DD/MM/YYYY, or "" */
};

/*
 * The live records of table (a table of cellsync/schema.h) that text
 * means: those whose id it matches, in the first of these ways that
 * matches any (at least 4 hex digits; dashes are ignored): the start of
 * the short id, the start of the whole id, the end of the whole id; and
 * when no id matches, those whose full name has the same words
 * (cs_text_fold() CS_FOLD_WORDS). *count gets how many, and the first max of them go into m.
 * 0 (also when none matched), CS_EINVAL for a table not in the schema, or
 * CS_ESQLITE; err says why.
 */
int cs_find_matches(sqlite3 *db, const char *table, const char *text, struct cs_find_match *m,
                    size_t max, size_t *count, char *err, size_t errlen);

/*
 * The one live record of table that text means (see cs_find_matches).
 * CS_ENOTFOUND, or CS_EAMBIGUOUS with err listing the matches (short id,
 * name, date), each in words a person can act on.
 */
int cs_find_record(sqlite3 *db, const char *table, const char *text, struct cs_id *out, char *err,
                   size_t errlen);

/*
 * The one deleted record of table that text means, found the same ways
 * (for undelete, and show of a deleted record). CS_ENOTFOUND ("no deleted
 * member matches ..."), or CS_EAMBIGUOUS with err listing the matches.
 */
int cs_find_deleted(sqlite3 *db, const char *table, const char *text, struct cs_id *out, char *err,
                    size_t errlen);

#endif
