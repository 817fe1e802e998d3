/* SPDX-License-Identifier: MIT */
/*
 * The code lists of the domain schema and what a person reads for each
 * code. Stored values are codes ("youth_union", "official"); their labels
 * are English source text translated through gettext where they are shown.
 * The field client checks typed codes against these lists and the reports
 * of both ends label their rows with them, so a code has one label
 * everywhere.
 */
#ifndef CELLSYNC_CODES_H
#define CELLSYNC_CODES_H

#include <stddef.h>

#include <sqlite3.h>

struct cs_code_label {
    const char *code;
    const char *label; /* N_() English; shown through _() */
};

/*
 * A code list, ended by a {NULL, NULL} entry: "sex", "source", "stage",
 * "member_status", "meeting_kind", "grade", "level", "due_kind" (the
 * deadlines of cs_rules_due()), "role" (a device's), and the groups of the
 * reports: "due_status", "age_band", "contact_band". NULL if there is no such
 * list.
 */
const struct cs_code_label *cs_code_list(const char *list);

/* The translated label of a code, or NULL if the list or the code is unknown. */
const char *cs_code_label(const char *list, const char *code);

/* Writes "a, b, c", the codes of a list, into buf (for messages). */
void cs_code_list_text(const char *list, char *buf, size_t len);

/*
 * Registers on db the SQL functions that show stored values to a person:
 *   label(list, code)  the translated label of a code (unknown codes as they are)
 *   short_id(id)       the last 8 hex digits of a 16-byte id, as lists show them
 *   uuid(id)           the canonical text of an id (lower case, with dashes)
 *   COLLATE vi         Vietnamese order of names (cs_collate_vi below)
 * Other values give NULL for short_id and uuid. 0 or CS_ESQLITE.
 */
int cs_codes_sql_register(sqlite3 *db);

/*
 * The collation "vi" that cs_codes_sql_register() adds: Vietnamese
 * alphabetical order (a ă â b c d đ e ê ...; then tones, then case), for
 * ORDER BY name COLLATE vi. An sqlite3 collation callback.
 */
int cs_collate_vi(void *ud, int na, const void *a, int nb, const void *b);

#endif
