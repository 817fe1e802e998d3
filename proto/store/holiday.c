/* SPDX-License-Identifier: MIT */
/*
 * The announced holidays as records (cellsync/holiday.h): writing and
 * removing one through the replica, so the change is signed, replicated and
 * audited like any other, and reading them all into a holiday set for the
 * working-day rules. Both ends call these: the hub's `cellsyncd holiday`,
 * and the client and the hub when they count deadlines.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/holiday.h"
#include "cellsync/i18n.h"
#include "cellsync/id.h"

/* The record of unit org and day: "holiday:<org>:<YYYY-MM-DD>". */
static void
holiday_id(const char *org, int32_t day, struct cs_id *id)
{
    char date[CS_DATE_BUFSZ], name[256];
    snprintf(name, sizeof(name), "holiday:%s:%s", org, cs_date_format(day, date));
    cs_id_derive(id, name);
}

static bool
day_ok(int32_t day)
{
    return day >= cs_date_from_civil((struct cs_date){CS_DATE_YEAR_MIN, 1, 1}) &&
           day <= cs_date_from_civil((struct cs_date){CS_DATE_YEAR_MAX, 12, 31});
}

int
cs_holiday_set(struct cs_replica *r, const char *org, int32_t day, const char *name, bool working,
               char *err, size_t errlen)
{
    int ret = CS_EINVAL;
    struct cs_id id;
    char date[CS_DATE_BUFSZ];

    if (org == NULL || org[0] == '\0' || strlen(org) > 100) {
        ret = cs_errf(err, errlen, CS_EINVAL, "%s", _("holiday: no unit code given"));
        goto out;
    }
    if (!day_ok(day)) {
        ret = cs_errf(err, errlen, CS_EINVAL, _("holiday: the date must be in the years %d to %d"),
                      CS_DATE_YEAR_MIN, CS_DATE_YEAR_MAX);
        goto out;
    }
    if (name == NULL || name[0] == '\0' || strlen(name) > CS_HOLIDAY_NAME_MAX) {
        ret = cs_errf(err, errlen, CS_EINVAL,
                      _("holiday: give its name (up to %d bytes), for example \"Nghỉ bù Quốc "
                        "khánh\""),
                      CS_HOLIDAY_NAME_MAX);
        goto out;
    }
    holiday_id(org, day, &id);
    if ((ret = cs_replica_begin(r, err, errlen)) != 0)
        goto out;
    if ((ret = cs_replica_set_text(r, "holiday", &id, "org_unit", org, err, errlen)) != 0 ||
        (ret = cs_replica_set_text(r, "holiday", &id, "day", cs_date_format(day, date), err,
                                   errlen)) != 0 ||
        (ret = cs_replica_set_text(r, "holiday", &id, "name", name, err, errlen)) != 0 ||
        (ret = cs_replica_set_text(r, "holiday", &id, "kind", working ? "working" : "off", err,
                                   errlen)) != 0 ||
        /* A day removed before and set again comes back to life. */
        (ret = cs_replica_undelete_row(r, "holiday", &id, err, errlen)) != 0 ||
        (ret = cs_replica_commit(r, err, errlen)) != 0) {
        cs_replica_rollback(r);
        goto out;
    }
    ret = 0;
out:
    return ret;
}

int
cs_holiday_remove(struct cs_replica *r, const char *org, int32_t day, char *err, size_t errlen)
{
    sqlite3 *db = cs_replica_db(r);
    sqlite3_stmt *st = NULL;
    struct cs_id id;
    char date[CS_DATE_BUFSZ];
    int ret = CS_ESQLITE, rc;

    holiday_id(org != NULL ? org : "", day, &id);
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM holiday WHERE id = ?1 AND cl % 2 = 1", -1, &st,
                           NULL) != SQLITE_OK) {
        ret =
            cs_errf(err, errlen, CS_ESQLITE, _("cannot read the holidays: %s"), sqlite3_errmsg(db));
        goto out;
    }
    sqlite3_bind_blob(st, 1, id.b, CS_ID_LEN, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        ret =
            cs_errf(err, errlen, CS_ESQLITE, _("cannot read the holidays: %s"), sqlite3_errmsg(db));
        goto out;
    }
    /* Finalized before the write: the read must not hold the database. */
    sqlite3_finalize(st);
    st = NULL;
    if (rc == SQLITE_DONE) {
        ret = cs_errf(err, errlen, CS_ENOTFOUND, _("no holiday is set on %s"),
                      cs_date_format_vi(day, date));
        goto out;
    }
    if ((ret = cs_replica_begin(r, err, errlen)) != 0)
        goto out;
    if ((ret = cs_replica_delete_row(r, "holiday", &id, err, errlen)) != 0 ||
        (ret = cs_replica_commit(r, err, errlen)) != 0) {
        cs_replica_rollback(r);
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

int
cs_holiday_load(struct cs_date_holidays *h, sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int ret = CS_ESQLITE, rc;

    if (sqlite3_prepare_v2(db, "SELECT day, kind FROM holiday WHERE cl % 2 = 1", -1, &st, NULL) !=
        SQLITE_OK) {
        ret =
            cs_errf(err, errlen, CS_ESQLITE, _("cannot read the holidays: %s"), sqlite3_errmsg(db));
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 0);
        const char *kind = (const char *)sqlite3_column_text(st, 1);
        int32_t day;
        if (text == NULL || cs_date_parse(text, &day, NULL, 0) != 0)
            continue;
        ret = kind != NULL && strcmp(kind, "working") == 0 ? cs_date_holidays_add_working(h, day)
                                                           : cs_date_holidays_add(h, day);
        if (ret != 0) {
            ret = cs_errf(err, errlen, ret, "%s", _("cannot read the holidays: out of memory"));
            goto out;
        }
    }
    if (rc != SQLITE_DONE) {
        ret =
            cs_errf(err, errlen, CS_ESQLITE, _("cannot read the holidays: %s"), sqlite3_errmsg(db));
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

/* The built-in holidays of a year, for `list --year`, in a temp table beside the records. */
static int
builtin_table(sqlite3 *db, int year, const struct cs_date_holidays *local, char *err, size_t errlen)
{
    sqlite3_stmt *ins = NULL;
    char *msg = NULL;
    int ret = CS_ESQLITE;

    if (sqlite3_exec(db,
                     "DROP TABLE IF EXISTS temp.builtin_holiday;"
                     "CREATE TEMP TABLE builtin_holiday (day TEXT, name TEXT, local INTEGER)",
                     NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO temp.builtin_holiday VALUES (?1, ?2, ?3)", -1, &ins,
                           NULL) != SQLITE_OK) {
        ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot read the holidays: %s"),
                      msg ? msg : sqlite3_errmsg(db));
        goto out;
    }
    int32_t first = cs_date_from_civil((struct cs_date){year, 1, 1});
    int32_t last = cs_date_from_civil((struct cs_date){year, 12, 31});
    for (int32_t d = first; d <= last; d++) {
        const char *name = cs_date_builtin_holiday(d);
        char date[CS_DATE_BUFSZ];
        /* The device's own days: those of local that are not built in (always in a set). */
        int mine = name == NULL && local != NULL && cs_date_is_holiday(local, d);
        if (name == NULL && !mine)
            continue;
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, cs_date_format(d, date), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, mine ? _("from this computer's holidays file") : _(name), -1,
                          SQLITE_TRANSIENT);
        sqlite3_bind_int(ins, 3, mine);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot read the holidays: %s"),
                          sqlite3_errmsg(db));
            goto out;
        }
    }
    ret = 0;
out:
    sqlite3_free(msg);
    sqlite3_finalize(ins);
    return ret;
}

const char *const cs_holiday_list_headers[4] = {N_("date"), N_("kind"), N_("name"), N_("unit")};

/*
 * The announced days (and with a year, the built-in ones and the device's
 * own too), by date. A record wins over a built-in holiday or a day of the
 * device's file of the same day, as it does when days are counted.
 */
int
cs_holiday_list(sqlite3 *db, int year, const struct cs_date_holidays *local, int json,
                sqlite3_stmt **out, char *err, size_t errlen)
{
    /* %s: the kind as a person reads it (label) or, in JSON, as its code. */
    static const char rows[] =
        "SELECT day, %s AS kind, name, org_unit FROM holiday"
        " WHERE cl %% 2 = 1 AND (?1 = 0 OR substr(day, 1, 4) = printf('%%04d', ?1))"
        " UNION ALL SELECT day, iif(local, ?3, ?2), name, NULL FROM temp.builtin_holiday b"
        " WHERE ?1 <> 0 AND NOT EXISTS (SELECT 1 FROM holiday x"
        "  WHERE x.day = b.day AND x.cl %% 2 = 1)";
    sqlite3_stmt *st = NULL;
    char sql[1024];
    int ret;

    if (cs_codes_sql_register(db) != 0) {
        ret =
            cs_errf(err, errlen, CS_ESQLITE, _("cannot read the holidays: %s"), sqlite3_errmsg(db));
        goto out;
    }
    if ((ret = builtin_table(db, year, local, err, errlen)) != 0)
        goto out;
    char body[768];
    snprintf(body, sizeof(body), rows, json ? "kind" : "label('holiday_kind', kind)");
    if (json)
        snprintf(sql, sizeof(sql),
                 "SELECT json_group_array(json_object('date', day, 'kind', kind, 'name', name,"
                 " 'unit', org_unit)) FROM (%s ORDER BY day, org_unit)",
                 body);
    else
        snprintf(sql, sizeof(sql), "%s ORDER BY day, org_unit", body);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        ret =
            cs_errf(err, errlen, CS_ESQLITE, _("cannot read the holidays: %s"), sqlite3_errmsg(db));
        goto out;
    }
    sqlite3_bind_int(st, 1, year);
    /* JSON keeps codes: the kind of a built-in day is "built_in" there. */
    sqlite3_bind_text(st, 2, json ? "built_in" : _("built in"), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, json ? "local" : _("day off, this computer only"), -1,
                      SQLITE_TRANSIENT);
    *out = st;
    st = NULL;
out:
    sqlite3_finalize(st);
    return ret;
}
