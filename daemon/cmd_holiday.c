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

static int
list(struct hub *h, int year, int json, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int ret = cs_holiday_list(cs_replica_db(hub_replica(h)), year, NULL, json, &st, err, errlen);
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
