/* SPDX-License-Identifier: MIT */
/*
 * Finding a record from what a person typed (cellsync/find.h). Ids are
 * matched in SQL over hex(id); names are compared by their words as
 * cs_text_fold() folds them (CS_FOLD_WORDS: no case, tone or other marks,
 * punctuation), the folding every comparison of typed text goes through,
 * so no second folding of Vietnamese exists to disagree with it.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/find.h"
#include "cellsync/i18n.h"
#include "cellsync/schema.h"
#include "cellsync/util.h"

/* Matches listed in an ambiguity message; the rest are counted. */
#define LISTED 8

/* The hex digits of text in upper case, dashes dropped; 0 when anything else is in it. */
static size_t
hex_digits(const char *text, char *hex, size_t len)
{
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '-')
            continue;
        if (!isxdigit((unsigned char)*p) || n + 1 >= len)
            return 0;
        hex[n++] = (char)toupper((unsigned char)*p);
    }
    hex[n] = 0;
    return n;
}

/*
 * Every live record (or with deleted, every deleted one) as a match: id,
 * name, date. The id ways of cs_find_matches as a rank (?1 the hex digits,
 * ?2 how many), NULL where none matches; the caller keeps the rows of the
 * best rank. *named: 1 if the table's records have a full name.
 */
static int
prepare(sqlite3 *db, const struct cs_schema_table *t, int deleted, sqlite3_stmt **st, int *named)
{
    const char *date = NULL;
    *named = 0;
    for (size_t i = 0; i < t->ncolumns; i++) {
        if (strcmp(t->columns[i].name, "full_name") == 0)
            *named = 1;
        if (date == NULL && t->columns[i].type == CS_SCHEMA_DATE)
            date = t->columns[i].name;
    }
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT id, %s, coalesce(strftime('%%d/%%m/%%Y', %s), ''),"
             " CASE WHEN ?2 <= 8 AND substr(hex(id), 25, ?2) = ?1 THEN 1"
             " WHEN substr(hex(id), 1, ?2) = ?1 THEN 2"
             " WHEN substr(hex(id), -?2) = ?1 THEN 3 END"
             " FROM \"%s\" WHERE cl %% 2 = %d ORDER BY id",
             *named ? "coalesce(full_name, '')" : "''", date ? date : "NULL", t->name,
             deleted ? 0 : 1);
    return sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK ? 0 : CS_ESQLITE;
}

/* cs_find_matches() among the live records, or with deleted among the deleted ones. */
static int
find_matches(sqlite3 *db, const char *table, int deleted, const char *text, struct cs_find_match *m,
             size_t max, size_t *count, char *err, size_t errlen)
{
    const struct cs_schema_table *t = cs_schema_table(table);
    sqlite3_stmt *st = NULL;
    char hex[40], want[512], got[512];
    int ret = 0, rc, best = 4;

    *count = 0;
    if (t == NULL)
        return cs_errf(err, errlen, CS_EINVAL, _("no table '%s'"), table);
    size_t n = hex_digits(text, hex, sizeof(hex));
    /* With fewer than 4 digits an id means nothing; a name may still match. */
    if (n < 4)
        n = 0;
    int named, by_name = 0;
    if ((ret = prepare(db, t, deleted, &st, &named)) != 0)
        goto out;
    for (int pass = 0; pass < 2 && *count == 0; pass++) {
        /* Pass 0 takes ids; pass 1 names, for a table with names, if no id matched. */
        if (pass == 1) {
            if (!named)
                break;
            /* A text too long for any name's fold matches none. */
            if (cs_text_fold(text, strlen(text), CS_FOLD_WORDS, want, sizeof(want)) >=
                    sizeof(want) ||
                want[0] == 0)
                break;
            by_name = 1;
        } else if (n == 0) {
            continue;
        }
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, hex, (int)n, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, (int)n);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (by_name) {
                const char *name = (const char *)sqlite3_column_text(st, 1);
                if (name == NULL || name[0] == 0)
                    continue;
                if (cs_text_fold(name, strlen(name), CS_FOLD_WORDS, got, sizeof(got)) >=
                        sizeof(got) ||
                    strcmp(got, want) != 0)
                    continue;
            } else {
                if (sqlite3_column_type(st, 3) == SQLITE_NULL)
                    continue;
                int rank = sqlite3_column_int(st, 3);
                if (rank > best)
                    continue;
                if (rank < best)
                    *count = 0;
                best = rank;
            }
            if (*count < max && sqlite3_column_bytes(st, 0) == CS_ID_LEN) {
                struct cs_find_match *x = &m[*count];
                memcpy(x->id.b, sqlite3_column_blob(st, 0), CS_ID_LEN);
                snprintf(x->name, sizeof(x->name), "%s", (const char *)sqlite3_column_text(st, 1));
                snprintf(x->detail, sizeof(x->detail), "%s",
                         (const char *)sqlite3_column_text(st, 2));
            }
            (*count)++;
        }
        if (rc != SQLITE_DONE) {
            ret = CS_ESQLITE;
            goto out;
        }
    }
out:
    if (ret == CS_ESQLITE)
        cs_errf(err, errlen, ret, "%s", sqlite3_errmsg(db));
    else if (ret != 0)
        cs_errf(err, errlen, ret, "%s", cs_strerror(ret));
    sqlite3_finalize(st);
    return ret;
}

int
cs_find_matches(sqlite3 *db, const char *table, const char *text, struct cs_find_match *m,
                size_t max, size_t *count, char *err, size_t errlen)
{
    return find_matches(db, table, 0, text, m, max, count, err, errlen);
}

/* cs_find_record() among the live records, or with deleted among the deleted ones. */
static int
find_record(sqlite3 *db, const char *table, int deleted, const char *text, struct cs_id *out,
            char *err, size_t errlen)
{
    const struct cs_schema_table *t = cs_schema_table(table);
    struct cs_find_match m[LISTED];
    char hex[40];
    size_t count;
    int ret;

    if ((ret = find_matches(db, table, deleted, text, m, LISTED, &count, err, errlen)) != 0)
        return ret;
    const char *what = _(t->label);
    /* An id has 4 hex digits or more; anything else was taken as a name. */
    int is_id = hex_digits(text, hex, sizeof(hex)) >= 4;
    if (count == 1) {
        *out = m[0].id;
        return 0;
    }
    if (count == 0) {
        if (deleted)
            return cs_errf(err, errlen, CS_ENOTFOUND, _("no deleted %s matches '%s'"), what, text);
        if (is_id)
            return cs_errf(err, errlen, CS_ENOTFOUND, _("no %s with id '%s'"), what, text);
        /* TRANSLATORS: what was typed, then a record ("member"), twice. */
        return cs_errf(err, errlen, CS_ENOTFOUND,
                       _("'%s' is not a record id or the name of a %s: give the name as the %s "
                         "list shows it, or at least 4 hex digits of its id"),
                       text, what, what);
    }
    if (err == NULL || errlen == 0)
        return CS_EAMBIGUOUS;
    /* TRANSLATORS: a record ("member") and what was typed; the matches follow, one a line. */
    cs_errf(err, errlen, CS_EAMBIGUOUS,
            deleted ? _("more than one deleted %s matches '%s': give more of its id")
            : is_id ? _("more than one %s has an id matching '%s'; give more of its digits:")
                    : _("more than one %s is named '%s'; give the id of one of them:"),
            what, text);
    /* Whole lines only, with room kept for the count of those left out. */
    size_t n = strlen(err), shown = 0;
    for (; shown < count && shown < LISTED; shown++) {
        char shrt[CS_ID_SHORT_LEN + 1], line[sizeof(m->name) + sizeof(m->detail) + 32];
        cs_id_short(&m[shown].id, shrt);
        int k = snprintf(line, sizeof(line), "\n  %s  %s%s%s", shrt, m[shown].name,
                         m[shown].detail[0] && m[shown].name[0] ? "  " : "", m[shown].detail);
        if (n + (size_t)k + 48 >= errlen)
            break;
        memcpy(err + n, line, (size_t)k + 1);
        n += (size_t)k;
    }
    if (shown < count)
        /* TRANSLATORS: after the matches listed, how many more there are. */
        snprintf(err + n, errlen - n, _("\n  ... and %zu more"), count - shown);
    return CS_EAMBIGUOUS;
}

int
cs_find_record(sqlite3 *db, const char *table, const char *text, struct cs_id *out, char *err,
               size_t errlen)
{
    return find_record(db, table, 0, text, out, err, errlen);
}

int
cs_find_deleted(sqlite3 *db, const char *table, const char *text, struct cs_id *out, char *err,
                size_t errlen)
{
    return find_record(db, table, 1, text, out, err, errlen);
}
