/* SPDX-License-Identifier: MIT */
/*
 * `cellsync holidays`: the days off this laptop counts the deadlines with,
 * for one year (this one unless --year): the built-in holidays (1/1, Tết,
 * the Hùng Kings' day, 30/4, 1/5, 2/9 and the day next to it), the days the
 * hub announces (synced, cellsyncd holiday), and the days of this
 * computer's own file $CELLSYNC_HOME/holidays, which the hub does not
 * count. The list is the one `cellsyncd holiday list` prints
 * (cs_holiday_list), so the secretary and the hub read the same days.
 */
#include <stdio.h>
#include <unistd.h>

#include "cellsync/error.h"
#include "cellsync/holiday.h"
#include "cellsync/i18n.h"
#include "cellsync/output.h"
#include "client.h"
#include "commands.h"

enum { OPT_YEAR, OPT_JSON, OPT__COUNT };
static const struct cs_cli_opt holidays_opts[OPT__COUNT] = {
    [OPT_YEAR] = {"year", 1, N_("the year to list (default this year)")},
    [OPT_JSON] = {"json", 0, N_("print a JSON array instead of a table (dates YYYY-MM-DD)")},
};

static int
holidays_run(struct client *c, const struct verb_args *a)
{
    struct cs_date_holidays *mine = NULL;
    sqlite3_stmt *st = NULL;
    char err[1024] = "", path[PATH_MAX + 32];
    long year = cs_date_to_civil(c->today).y;
    int json = a->ov[OPT_JSON] != NULL, ret = CS_EXIT_FAILURE;

    if (a->ov[OPT_YEAR] != NULL &&
        cs_cli_number("year", a->ov[OPT_YEAR], CS_CLI_YEAR, CS_CLI_YEAR_MIN, CS_CLI_YEAR_MAX, &year,
                      err, sizeof(err)) != 0)
        return client_usage(_("holidays: %s"), err);
    /* This computer's own days, apart: the list says which days only this laptop counts. */
    client_path(c, CLIENT_HOLIDAYS, path, sizeof(path));
    if (cs_date_holidays_new(&mine) != 0) {
        client_fail("%s", cs_strerror(CS_ENOMEM));
        goto out;
    }
    if (access(path, F_OK) == 0 && cs_date_holidays_load(mine, path, err, sizeof(err)) != 0) {
        client_fail("%s", err);
        goto out;
    }
    if (cs_holiday_list(c->db, (int)year, mine, json, &st, err, sizeof(err)) != 0 ||
        (json ? cs_out_json(stdout, st, err, sizeof(err))
              : cs_out_table(stdout, st, cs_holiday_list_headers, err, sizeof(err))) != 0) {
        client_fail("%s", err);
        goto out;
    }
    ret = CS_EXIT_OK;
out:
    sqlite3_finalize(st);
    cs_date_holidays_free(mine);
    return ret;
}

static const struct verb holidays_verb = {
    NULL,
    holidays_run,
    NULL,
    holidays_opts,
    OPT__COUNT,
    "",
    0,
    0,
    N_("list the holidays this computer counts deadlines with"),
};

int
cmd_holidays(int argc, char **argv)
{
    return run_verb("holidays", &holidays_verb, argc, argv);
}
