/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd holiday add|remove|list`: the days off (and the weekend days
 * worked) that the government announces each year on top of the built-in
 * holidays. The hub writes them at its root unit, so every device it serves
 * receives them with its next sync and counts the same working days as the
 * hub (cellsync/holiday.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/cli.h"
#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/holiday.h"
#include "cellsync/i18n.h"
#include "cellsync/output.h"
#include "commands.h"
#include "hub.h"

static void
usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n",
            _("usage: cellsyncd holiday add DATE NAME [--working]\n"
              "       cellsyncd holiday remove DATE\n"
              "       cellsyncd holiday list [--year YEAR] [--json]\n"
              "  [--state DIR] [--config FILE]"),
            _("The days off the government announces each year, on top of the built-in\n"
              "holidays (1/1, Tết, the Hùng Kings' day, 30/4, 1/5, 1/9 and 2/9): its\n"
              "choice of Tết's five days and of National Day's second day, days off in\n"
              "lieu of a holiday on a weekend, and with --working a weekend day (or a\n"
              "built-in holiday) worked in exchange. Every device of the hub receives them\n"
              "with its next sync and counts deadlines with them. DATE is DD/MM/YYYY (or\n"
              "YYYY-MM-DD)."),
            _("options:\n"
              "  --working      the day is a working day, not a day off\n"
              "  --year YEAR    list that year's days, the built-in holidays too\n"
              "  --json         print a JSON array instead of a table\n"
              "  --state DIR    the state directory (default /var/lib/cellsyncd)\n"
              "  --config FILE  the configuration file"));
}

/* The built-in holidays of a year, for `list --year`, in a temp table beside the records. */
static int
builtin_table(sqlite3 *db, int year, char *err, size_t errlen)
{
    sqlite3_stmt *ins = NULL;
    char *msg = NULL;
    int ret = CS_ESQLITE;

    if (sqlite3_exec(db,
                     "DROP TABLE IF EXISTS temp.builtin_holiday;"
                     "CREATE TEMP TABLE builtin_holiday (day TEXT, name TEXT)",
                     NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO temp.builtin_holiday VALUES (?1, ?2)", -1, &ins,
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
        if (name == NULL)
            continue;
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, cs_date_format(d, date), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, _(name), -1, SQLITE_TRANSIENT);
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
 * The announced days (and with a year, the built-in ones too), by date:
 * the kind "built in" for the latter. A record wins over a built-in
 * holiday of the same day, as it does when days are counted.
 */
int
cs_holiday_list(sqlite3 *db, int year, int json, sqlite3_stmt **out, char *err, size_t errlen)
{
    /* %s: the kind as a person reads it (label) or, in JSON, as its code. */
    static const char rows[] =
        "SELECT day, %s AS kind, name, org_unit FROM holiday"
        " WHERE cl %% 2 = 1 AND (?1 = 0 OR substr(day, 1, 4) = printf('%%04d', ?1))"
        " UNION ALL SELECT day, ?2, name, NULL FROM temp.builtin_holiday b"
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
    if ((ret = builtin_table(db, year, err, errlen)) != 0)
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
    *out = st;
    st = NULL;
out:
    sqlite3_finalize(st);
    return ret;
}

static int
list(struct hub *h, int year, int json, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int ret = cs_holiday_list(cs_replica_db(hub_replica(h)), year, json, &st, err, errlen);
    if (ret == 0)
        ret = json ? cs_out_json(stdout, st, err, errlen)
                   : cs_out_table(stdout, st, cs_holiday_list_headers, err, errlen);
    sqlite3_finalize(st);
    return ret;
}

int
cmd_holiday(int argc, char **argv)
{
    enum { OPT_WORKING, OPT_YEAR, OPT_JSON, OPT__COUNT };
    static const struct cs_cli_opt opts[OPT__COUNT] = {
        [OPT_WORKING] = {"working", 0, NULL},
        [OPT_YEAR] = {"year", 1, NULL},
        [OPT_JSON] = {"json", 0, NULL},
    };
    const char *ov[OPT__COUNT], *sopt[CMD_STATE__COUNT];
    struct conf conf;
    struct hub *h = NULL;
    char err[1024] = "", date[CS_DATE_BUFSZ];
    int32_t day = CS_DATE_NONE;
    long year = 0;
    int first, ret;

    int done = cmd_args("holiday", argc, argv, usage, opts, OPT__COUNT, ov, sopt, &first);
    if (done != CS_CLI_GO_ON)
        return done;
    const char *verb = first < argc ? argv[first] : NULL;
    int nargs = argc - first - 1;
    if (verb == NULL)
        return cmd_usage_error("holiday", "%s", _("add, remove or list?"));
    int want = strcmp(verb, "add") == 0 ? 2 : strcmp(verb, "remove") == 0 ? 1 : 0;
    if (want == 0 && strcmp(verb, "list") != 0)
        return cmd_usage_error("holiday", _("'%s' is not add, remove or list"), verb);
    if (nargs != want)
        return cmd_usage_error("holiday", "%s",
                               want == 2   ? _("add: give the date and the name of the day")
                               : want == 1 ? _("remove: give the date only")
                                           : _("list: no arguments, only options"));
    if (strcmp(verb, "list") != 0 && cs_date_parse(argv[first + 1], &day, err, sizeof(err)) != 0)
        return cmd_usage_error("holiday", "%s", err);
    if (ov[OPT_YEAR] != NULL && cs_cli_number("year", ov[OPT_YEAR], CS_CLI_YEAR, CS_CLI_YEAR_MIN,
                                              CS_CLI_YEAR_MAX, &year, err, sizeof(err)) != 0)
        return cmd_usage_error("holiday", "%s", err);
    if (cmd_config(&conf, sopt) != 0)
        return CS_EXIT_FAILURE;
    if (hub_open(&h, conf.state, err, sizeof(err)) != 0)
        return cmd_fail("%s", err);
    const char *root = hub_root_org(h);
    if (strcmp(verb, "add") == 0) {
        ret = cs_holiday_set(hub_replica(h), root, day, argv[first + 2], ov[OPT_WORKING] != NULL,
                             err, sizeof(err));
        if (ret == 0)
            printf(ov[OPT_WORKING] != NULL ? _("%s is a working day for every unit of %s\n")
                                           : _("%s is a day off for every unit of %s\n"),
                   cs_date_format_vi(day, date), root);
    } else if (strcmp(verb, "remove") == 0) {
        ret = cs_holiday_remove(hub_replica(h), root, day, err, sizeof(err));
        if (ret == 0)
            printf(_("removed the holiday of %s\n"), cs_date_format_vi(day, date));
    } else {
        ret = list(h, (int)year, ov[OPT_JSON] != NULL, err, sizeof(err));
    }
    hub_close(h);
    return ret == 0 ? CS_EXIT_OK : cmd_fail("%s", err);
}
