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
 * deadlines of cs_rules_due()), "role" (a device's), "holiday_kind" (off,
 * working), and the groups of the reports: "due_status", "age_band",
 * "contact_band". NULL if there is no such list.
 */
const struct cs_code_label *cs_code_list(const char *list);

/* The translated label of a code, or NULL if the list or the code is unknown. */
const char *cs_code_label(const char *list, const char *code);

/* Writes "a, b, c", the codes of a list, into buf (for messages). */
void cs_code_list_text(const char *list, char *buf, size_t len);

/*
 * The choices of a list as a person reads them, in the language in force:
 * "label (code), ...", the label alone where it reads as its code
 * ("nam (male), nữ (female)"; in English "male, female"). Written into buf
 * (cut after a whole choice, with "..."); returns the length of the whole
 * text, as snprintf does.
 */
size_t cs_code_choices_text(const char *list, char *buf, size_t len);

/*
 * The code a person means by text, for a list: the code itself, or its
 * label in English or in the language in force, or one comma-separated
 * part of a label ("sinh viên" for "học sinh, sinh viên"); '_' reads as a
 * space. Compared as cs_text_fold() folds with CS_FOLD_CASE, and failing
 * that with CS_FOLD_MARKS if it then names one code only. 0 with *code the
 * stored code (static storage). CS_EINVAL with err naming text and listing
 * the choices (cs_code_choices_text()), with the nearest one as a "did you
 * mean" when one is close; or, when text without its marks could be
 * several, those. err does not name the field: the caller adds it.
 */
int cs_code_parse(const char *list, const char *text, const char **code, char *err, size_t errlen);

/*
 * Registers on db the SQL functions that show stored values to a person:
 *   label(list, code)  the translated label of a code (unknown codes as they are)
 *   short_id(id)       the last 8 hex digits of a 16-byte id, as lists show them
 *   uuid(id)           the canonical text of an id (lower case, with dashes)
 *   COLLATE vi         Vietnamese order of names (cs_collate_vi below)
 *   COLLATE vi_name    the order of a roll of people (cs_collate_vi_name below)
 * Other values give NULL for short_id and uuid. 0 or CS_ESQLITE.
 */
int cs_codes_sql_register(sqlite3 *db);

/*
 * The collation "vi" that cs_codes_sql_register() adds: Vietnamese
 * alphabetical order (a ă â b c d đ e ê ...; then tones, then case), for
 * ORDER BY name COLLATE vi. An sqlite3 collation callback.
 */
int cs_collate_vi(void *ud, int na, const void *a, int nb, const void *b);

/* How cs_text_fold() writes a text. */
enum cs_fold {
    CS_FOLD_CASE, /* lower case, tone marks and other marks kept: "Chính Thức" -> "chính thức" */
    CS_FOLD_MARKS, /* lower case without any marks: "Đoàn  viên" -> "doan vien" */
    /* As CS_FOLD_MARKS, punctuation and symbols parting words: " Đinh văn-Thắng. " -> "dinh van
     * thang" (names and headings, compared by their words) */
    CS_FOLD_WORDS,
};

/*
 * Writes the n bytes of text (UTF-8, precomposed or decomposed) folded for
 * comparing what people type: Vietnamese letters as `how` says, always
 * precomposed (NFC); white space (with CS_FOLD_WORDS, also punctuation and
 * symbols) trimmed at both ends and each run of it one space; anything else
 * as it is. Two texts a person reads as the same fold the same. The one
 * folding of typed text: codes, names found, duplicates and the headings
 * of an imported sheet are all compared through it. out gets at most
 * outlen - 1 bytes, cut before a piece that does not fit, and a NUL;
 * returns the length of the whole fold, as snprintf does.
 */
size_t cs_text_fold(const char *text, size_t n, enum cs_fold how, char *out, size_t outlen);

/*
 * The collation "vi_name", for lists of people: by the given name (the
 * last word: "An" of "Nguyễn Văn An"), then by the rest of the name, each
 * in the "vi" order, then by the whole name; so "Nguyễn Văn An" comes
 * before "Lê Thị Bình". Only equal strings compare equal.
 */
int cs_collate_vi_name(void *ud, int na, const void *a, int nb, const void *b);

#endif
