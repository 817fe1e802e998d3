/* SPDX-License-Identifier: MIT */
/*
 * What the regulations fix about the values of a record, checked in one
 * place for every way a record is written: `add` and `edit`, a value typed
 * to settle a conflict, and the imports and the local web UI to come. A
 * value is checked against its column of the domain schema
 * (cellsync/schema.h) and comes back as it is stored: dates YYYY-MM-DD,
 * choices as their codes, numbers without the spaces and dots people type
 * in them. The likely duplicate of a person is found here too. Messages
 * are English through gettext, name the field by its label and say what to
 * write instead.
 *
 * Columns of the same name mean the same in every table (the person fields
 * are shared by candidates and members), so the checks go by the column.
 */
#ifndef CELLSYNC_VALIDATE_H
#define CELLSYNC_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "cellsync/id.h"
#include "cellsync/schema.h"

/* Room for a value the checks rewrite: a date, a phone or card number. */
#define CS_VALIDATE_BUFSZ 32

/*
 * Checks text, as a person typed it, for the column col and sets *value to
 * what is stored (pointing into text, into buf, or to a static code):
 *   DATE        YYYY-MM-DD or DD/MM/YYYY (cs_date_parse()), stored
 *               YYYY-MM-DD; a date of birth may not be after today (not
 *               checked when today is CS_DATE_NONE);
 *   CODE        a code or one of its labels (cs_code_parse()), stored as
 *               the code;
 *   citizen_id  the 12 digits of the citizen identity card (CCCD);
 *   phone       a Vietnamese number: 10 digits starting with 0 (mobile),
 *               11 starting with 02 (landline), or either written
 *               +84 / 0084 / 84 and the number without its first 0; stored
 *               as the national number, "0912345678";
 *   card_no     the 8 digits of a party card.
 * Digits may be typed in groups with spaces, dots or dashes (a phone also
 * with parentheses); they are stored without them. Other TEXT columns are
 * stored as typed; REF and INT columns are the caller's to check, and come
 * back as typed. "" is not checked: it clears the field.
 * 0, or CS_EINVAL with err "<field label>: <what is wrong, what to write>".
 */
int cs_validate_value(const struct cs_schema_column *col, const char *text, int32_t today,
                      char buf[CS_VALIDATE_BUFSZ], const char **value, char *err, size_t errlen);

/* A record that looks like the same person (cs_person_duplicate()). */
struct cs_person_match {
    const char *table; /* "candidate" or "member" */
    struct cs_id id;
    char name[256];
};

/*
 * Looks for a live candidate or member, other than the record row of
 * table ("candidate" or "member"), with the same full name (compared as
 * cs_text_fold() CS_FOLD_WORDS folds it, as a name typed to find a record
 * is: without case, tone marks or other marks, punctuation and extra
 * spaces) and the same date of birth, in the same
 * org unit: the row's own, else org, else any; a record without a unit is
 * compared with every unit. A candidate and the member record made of it
 * at the ceremony are one person and never match. Reads the row as it is
 * in db, so call it after writing the row, in the same transaction.
 * 0 when there is none or the row lacks a name or a date of birth;
 * CS_EDUPLICATE with *match (may be NULL) and err naming the record found;
 * CS_ESQLITE with err.
 */
int cs_person_duplicate(sqlite3 *db, const char *table, const struct cs_id *row, const char *org,
                        struct cs_person_match *match, char *err, size_t errlen);

/*
 * Makes the indexes by date of birth that cs_person_duplicate() reads by,
 * if they are missing; without them it reads every candidate and member.
 * For a device, which checks each person it records: a hub does not, and
 * would keep them up to date at every merge. Best effort (a replica in use
 * or read-only is checked all the same, by reading it all): SQLite's code.
 */
int cs_person_index(sqlite3 *db);

#endif
