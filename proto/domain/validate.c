/* SPDX-License-Identifier: MIT */
/*
 * The checks of cellsync/validate.h: each typed value against the format
 * its column has by regulation (citizen id, phone, party card number,
 * dates of birth, choices), and the search for a person recorded twice.
 * The formats are the ones DOMAIN.md fixes; a field it gives no format is
 * stored as typed.
 */
#include <stdio.h>
#include <string.h>

#include "cellsync/codes.h"
#include "cellsync/date.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/validate.h"
#include "internal.h"

/*
 * The digits of text into buf, dropping the separators people type between
 * groups of digits (spaces, dots, dashes and, where parens is set,
 * parentheses). 0 if anything else is in it or there are too many digits.
 */
static int
digits_of(const char *text, int parens, char buf[CS_VALIDATE_BUFSZ])
{
    size_t n = 0;
    for (const char *p = text; *p != 0; p++) {
        if (*p >= '0' && *p <= '9') {
            if (n + 1 >= CS_VALIDATE_BUFSZ)
                return 0;
            buf[n++] = *p;
        } else if (!(*p == ' ' || *p == '.' || *p == '-' || (parens && (*p == '(' || *p == ')')))) {
            return 0;
        }
    }
    buf[n] = 0;
    return 1;
}

/* The 12 digits of the citizen identity card (căn cước công dân). */
static int
check_citizen_id(const char *label, const char *text, char buf[CS_VALIDATE_BUFSZ], char *err,
                 size_t errlen)
{
    if (digits_of(text, 0, buf) && strlen(buf) == 12)
        return 0;
    /* The old identity card (chứng minh nhân dân) had 9 digits and is no longer valid. */
    if (digits_of(text, 0, buf) && strlen(buf) == 9)
        return cs_errf(err, errlen, CS_EINVAL,
                       _("%s: '%s' has 9 digits, like the old identity card; write the 12 digits "
                         "of the citizen identity card"),
                       label, text);
    return cs_errf(err, errlen, CS_EINVAL,
                   _("%s: '%s' is not a citizen id; write the 12 digits of the citizen identity "
                     "card"),
                   label, text);
}

/*
 * A Vietnamese number as the national numbering plan writes it since 2018:
 * mobile numbers have 10 digits starting with 0 (03, 05, 07, 08, 09 today),
 * landlines 11 starting with 02. From abroad the leading 0 becomes +84.
 */
static int
check_phone(const char *label, const char *text, char buf[CS_VALIDATE_BUFSZ], char *err,
            size_t errlen)
{
    char d[CS_VALIDATE_BUFSZ];
    const char *p = text + strspn(text, " ");
    int plus = *p == '+';
    size_t cc = 0; /* the digits before the number: 84 or 0084 */

    if (!digits_of(p + plus, 1, d))
        goto bad;
    if (plus && strncmp(d, "84", 2) != 0)
        goto bad; /* a number of another country */
    if (strncmp(d, "84", 2) == 0)
        cc = 2;
    else if (strncmp(d, "0084", 4) == 0)
        cc = 4;
    if (cc == 0) {
        memcpy(buf, d, sizeof(d));
    } else {
        /* The 0 people also keep after the country code ("+84 0912...") is dropped. */
        buf[0] = '0';
        snprintf(buf + 1, CS_VALIDATE_BUFSZ - 1, "%s", d + cc + (d[cc] == '0'));
    }
    size_t n = strlen(buf);
    if (buf[0] == '0' &&
        ((n == 10 && buf[1] != '0' && buf[1] != '2') || (n == 11 && buf[1] == '2')))
        return 0;
bad:
    return cs_errf(err, errlen, CS_EINVAL,
                   _("%s: '%s' is not a Vietnamese phone number; write 10 digits starting with 0 "
                     "(0912 345 678), 11 for a landline starting with 02, or +84 and the number "
                     "without its first 0"),
                   label, text);
}

/* The party card number: 8 digits (DOMAIN.md, member record 2-HSĐV). */
static int
check_card_no(const char *label, const char *text, char buf[CS_VALIDATE_BUFSZ], char *err,
              size_t errlen)
{
    if (digits_of(text, 0, buf) && strlen(buf) == 8)
        return 0;
    return cs_errf(err, errlen, CS_EINVAL,
                   _("%s: '%s' is not a party card number; write its 8 digits"), label, text);
}

/* The TEXT columns with a format of their own; each writes the stored value into buf. */
static const struct {
    const char *column;
    int (*check)(const char *label, const char *text, char buf[CS_VALIDATE_BUFSZ], char *err,
                 size_t errlen);
} formats[] = {
    {"citizen_id", check_citizen_id},
    {"phone", check_phone},
    {"card_no", check_card_no},
};

static int
check_date(const struct cs_schema_column *col, const char *text, int32_t today,
           char buf[CS_VALIDATE_BUFSZ], char *err, size_t errlen)
{
    int32_t day;
    if (cs_date_parse(text, &day, NULL, 0) != 0)
        return cs_errf(err, errlen, CS_EINVAL,
                       _("%s: '%s' is not a date (write DD/MM/YYYY, or YYYY-MM-DD)"), _(col->label),
                       text);
    /* cs_date_parse() keeps every date at or after 1900: no living person was born before. */
    if (strcmp(col->name, "birth_date") == 0 && today != CS_DATE_NONE && day > today)
        return cs_errf(err, errlen, CS_EINVAL, _("%s: '%s' is after today; check the year"),
                       _(col->label), text);
    cs_date_format(day, buf);
    return 0;
}

int
cs_validate_value(const struct cs_schema_column *col, const char *text, int32_t today,
                  char buf[CS_VALIDATE_BUFSZ], const char **value, char *err, size_t errlen)
{
    int ret = 0;

    *value = text;
    if (text[0] == 0)
        goto out;
    switch (col->type) {
    case CS_SCHEMA_DATE:
        if ((ret = check_date(col, text, today, buf, err, errlen)) == 0)
            *value = buf;
        break;
    case CS_SCHEMA_CODE: {
        char why[1024];
        if ((ret = cs_code_parse(col->arg, text, value, why, sizeof(why))) != 0) {
            *value = text;
            ret = cs_errf(err, errlen, ret, "%s: %s", _(col->label), why);
        }
        break;
    }
    case CS_SCHEMA_TEXT:
        for (size_t i = 0; i < CS_ARRAY_SIZE(formats); i++)
            if (strcmp(formats[i].column, col->name) == 0) {
                if ((ret = formats[i].check(_(col->label), text, buf, err, errlen)) == 0)
                    *value = buf;
                break;
            }
        break;
    case CS_SCHEMA_REF:
    case CS_SCHEMA_INT:
        break;
    }
out:
    return ret;
}

/* ---- the same person twice ---- */

/*
 * Everyone live with the date of birth ?1 in the unit ?2 (NULL: any), but
 * the row ?3 of table ?4 itself and the other record of the same person: a
 * candidate's member record made at the ceremony, and the other way round.
 */
static const char same_birth_sql[] =
    "SELECT 'candidate', id, full_name FROM candidate"
    " WHERE cl % 2 = 1 AND birth_date = ?1 AND (?2 IS NULL OR org_unit IS NULL OR org_unit = ?2)"
    " AND NOT (?4 = 'candidate' AND id = ?3) AND NOT (?4 = 'member' AND member IS ?3)"
    " UNION ALL "
    "SELECT 'member', id, full_name FROM member"
    " WHERE cl % 2 = 1 AND birth_date = ?1 AND (?2 IS NULL OR org_unit IS NULL OR org_unit = ?2)"
    " AND NOT (?4 = 'member' AND id = ?3)"
    " AND NOT (?4 = 'candidate'"
    " AND id IN (SELECT member FROM candidate WHERE id = ?3 AND member IS NOT NULL))"
    " ORDER BY 1, 2";

/* Compiled at every open of a device's replica: the statements do nothing once they exist. */
static const char person_index_sql[] =
    "CREATE INDEX IF NOT EXISTS candidate_birth ON candidate(birth_date);"
    "CREATE INDEX IF NOT EXISTS member_birth ON member(birth_date);";

int
cs_person_index(sqlite3 *db)
{
    return sqlite3_exec(db, person_index_sql, NULL, NULL, NULL);
}

int
cs_person_duplicate(sqlite3 *db, const char *table, const struct cs_id *row, const char *org,
                    struct cs_person_match *match, char *err, size_t errlen)
{
    sqlite3_stmt *me = NULL, *st = NULL;
    char want[512], have[512], sql[128];
    int ret = CS_ESQLITE, rc;

    if (strcmp(table, "candidate") != 0 && strcmp(table, "member") != 0) {
        ret = 0;
        goto out;
    }
    snprintf(sql, sizeof(sql), "SELECT full_name, birth_date, org_unit FROM %s WHERE id = ?1",
             table);
    if (sqlite3_prepare_v2(db, sql, -1, &me, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, same_birth_sql, -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_blob(me, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    if ((rc = sqlite3_step(me)) != SQLITE_ROW) {
        if (rc != SQLITE_DONE)
            goto fail;
        ret = 0;
        goto out;
    }
    const char *name = (const char *)sqlite3_column_text(me, 0);
    if (name == NULL || sqlite3_column_type(me, 1) == SQLITE_NULL ||
        cs_text_fold(name, strlen(name), CS_FOLD_WORDS, want, sizeof(want)) >= sizeof(want) ||
        want[0] == 0) {
        ret = 0;
        goto out;
    }
    sqlite3_bind_value(st, 1, sqlite3_column_value(me, 1));
    if (sqlite3_column_type(me, 2) != SQLITE_NULL)
        sqlite3_bind_value(st, 2, sqlite3_column_value(me, 2));
    else if (org != NULL && org[0] != 0)
        sqlite3_bind_text(st, 2, org, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, row->b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, table, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *other = (const char *)sqlite3_column_text(st, 2);
        if (other == NULL || sqlite3_column_bytes(st, 1) != CS_ID_LEN ||
            cs_text_fold(other, strlen(other), CS_FOLD_WORDS, have, sizeof(have)) >= sizeof(have) ||
            strcmp(want, have) != 0)
            continue;
        struct cs_person_match m;
        char shrt[CS_ID_SHORT_LEN + 1];
        m.table = strcmp((const char *)sqlite3_column_text(st, 0), "member") == 0 ? "member"
                                                                                  : "candidate";
        memcpy(m.id.b, sqlite3_column_blob(st, 1), CS_ID_LEN);
        snprintf(m.name, sizeof(m.name), "%s", other);
        cs_id_short(&m.id, shrt);
        const struct cs_schema_table *t = cs_schema_table(m.table);
        ret = cs_errf(err, errlen, CS_EDUPLICATE,
                      _("there is already a %s with the same name and date of birth: %s %s"),
                      _(t->label), shrt, m.name);
        if (match != NULL)
            *match = m;
        goto out;
    }
    if (rc != SQLITE_DONE)
        goto fail;
    ret = 0;
    goto out;
fail:
    ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot look for the same person: %s"),
                  sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    sqlite3_finalize(me);
    return ret;
}
