/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd report KIND`: the committee's reports on the hub's replica
 * (cellsync/report.h): targets, pipeline, due, members, the hub's own sync
 * report (report_sync.c, registered here), or all of them, as a table,
 * JSON, CSV or one HTML page. Deadlines count working days with the
 * holiday file of the configuration (holidays = FILE).
 */
#include <errno.h>
#include <stdio.h>

#include "cellsync/cli.h"
#include "cellsync/error.h"
#include "cellsync/holiday.h"
#include "cellsync/i18n.h"
#include "cellsync/report.h"
#include "commands.h"
#include "hub.h"
#include "report_sync.h"

static void
usage(FILE *f)
{
    fprintf(
        f, "%s\n\n%s\n\n%s\n",
        _("usage: cellsyncd report targets|pipeline|due|members|sync|all [--org ID]\n"
          "  [--year YEAR] [--format table|json|csv|html|xlsx] [--out FILE] [--section NAME]\n"
          "  [--delimiter ,|;|tab] [--labels] [--sql] [--number NO] [--place PLACE]\n"
          "  [--state DIR] [--config FILE]"),
        _("Reports on the records the hub holds: targets and admissions, candidates by\n"
          "stage, deadlines, membership, and the devices' sync state. Each number comes\n"
          "from a documented query; --sql prints them."),
        _("options:\n"
          "  --org ID         only this unit and the units below it (default: the whole tree)\n"
          "  --year YEAR      the year of targets, admissions and ratings (default: this year)\n"
          "  --format FORMAT  table (default), json, csv (one section), html (one page) or\n"
          "                   xlsx (a workbook, a sheet per section)\n"
          "  --out FILE       write to FILE (atomically) instead of standard output\n"
          "  --section NAME   only this section of the report (CSV: default the first)\n"
          "  --delimiter SEP  CSV: the field separator, ',' (default), ';' (Excel on\n"
          "                   Vietnamese Windows) or 'tab'\n"
          "  --labels         CSV: translated headings and labels instead of column names\n"
          "                   and codes\n"
          "  --sql            print the queries of the report instead of running them\n"
          "  --number NO      HTML: the document's number, e.g. 12-BC/DU (default: dots)\n"
          "  --place PLACE    HTML: the place of the date line (default: dots)\n"
          "  --state DIR      the state directory (default /var/lib/cellsyncd)\n"
          "  --config FILE    the configuration file"));
}

int
cmd_report(int argc, char **argv)
{
    enum {
        OPT_ORG,
        OPT_YEAR,
        OPT_FORMAT,
        OPT_OUT,
        OPT_SECTION,
        OPT_SQL,
        OPT_NUMBER,
        OPT_PLACE,
        OPT_DELIMITER,
        OPT_LABELS,
        OPT__COUNT
    };
    static const struct cs_cli_opt opts[OPT__COUNT] = {
        [OPT_ORG] = {"org", 1, NULL},
        [OPT_YEAR] = {"year", 1, NULL},
        [OPT_FORMAT] = {"format", 1, NULL},
        [OPT_OUT] = {"out", 1, NULL},
        [OPT_SECTION] = {"section", 1, NULL},
        [OPT_SQL] = {"sql", 0, NULL},
        [OPT_NUMBER] = {"number", 1, NULL},
        [OPT_PLACE] = {"place", 1, NULL},
        [OPT_DELIMITER] = {"delimiter", 1, NULL},
        [OPT_LABELS] = {"labels", 0, NULL},
    };
    const char *ov[OPT__COUNT], *sopt[CMD_STATE__COUNT], *name;
    struct cs_report_params p = {0};
    struct cs_report *rep = NULL;
    enum cs_report_kind kind, sync;
    enum cs_report_format fmt;
    int first, year, ret = CS_EXIT_FAILURE;
    struct conf conf;
    struct hub *h = NULL;
    struct cs_date_holidays *hol = NULL;
    char err[1024] = "";

    int done = cmd_args("report", argc, argv, usage, opts, OPT__COUNT, ov, sopt, &first);
    if (done != CS_CLI_GO_ON)
        return done;
    if (first + 1 < argc)
        return cmd_usage_error("report", _("unexpected argument '%s'"), argv[first + 1]);
    /* This is the hub: its replica has the device tables the sync report reads. */
    if ((ret = cs_report_new(&rep)) != 0 ||
        (ret = cs_report_register(rep, &report_sync, &sync)) != 0) {
        ret = cmd_fail("%s", cs_strerror(ret));
        goto out;
    }
    name = first < argc ? argv[first] : NULL;
    ret = cs_report_request(rep, name, ov[OPT_FORMAT], ov[OPT_YEAR], ov[OPT_SECTION], &kind, &fmt,
                            &year, err, sizeof(err));
    /* The kinds the hub makes: the built-in ones and its sync report. */
    if (ret == CS_ENOTFOUND && name == NULL)
        snprintf(err, sizeof(err), "%s",
                 _("which report? targets, pipeline, due, members, sync or all"));
    else if (ret == CS_ENOTFOUND)
        snprintf(err, sizeof(err),
                 _("'%s' is not a report: targets, pipeline, due, members, sync or all"), name);
    if (ret != 0) {
        ret = cmd_usage_error("report", "%s", err);
        goto out;
    }
    p.root = ov[OPT_ORG];
    p.root_required = p.root != NULL;
    p.section = ov[OPT_SECTION];
    p.number = ov[OPT_NUMBER];
    p.place = ov[OPT_PLACE];
    if (cs_report_csv_options(fmt, ov[OPT_DELIMITER], ov[OPT_LABELS] != NULL, &p, err,
                              sizeof(err)) != 0) {
        ret = cmd_usage_error("report", "%s", err);
        goto out;
    }
    if (ov[OPT_SQL] != NULL) {
        ret = cs_report_print_sql(rep, stdout, kind) == 0 ? CS_EXIT_OK
                                                          : cmd_fail("%s", cs_strerror(-EIO));
        goto out;
    }

    ret = CS_EXIT_FAILURE;
    if (cmd_config(&conf, sopt) != 0)
        goto out;
    if ((ret = cs_date_holidays_new(&hol)) != 0) {
        ret = cmd_fail("%s", cs_strerror(ret));
        goto out;
    }
    if (conf.holidays[0] != 0 && cs_date_holidays_load(hol, conf.holidays, err, sizeof(err)) != 0) {
        ret = cmd_fail("%s", err);
        goto out;
    }
    if (cs_date_today(&p.today, err, sizeof(err)) != 0) {
        ret = cmd_fail("%s", err);
        goto out;
    }
    p.year = year != 0 ? year : cs_date_to_civil(p.today).y;
    p.hol = hol;
    if (hub_open(&h, conf.state, err, sizeof(err)) != 0) {
        ret = cmd_fail("%s", err);
        goto out;
    }
    /* The days `cellsyncd holiday` announced, as the devices count them. */
    if (cs_holiday_load(hol, cs_replica_db(hub_replica(h)), err, sizeof(err)) != 0) {
        ret = cmd_fail("%s", err);
        goto out;
    }
    if (report_sync_functions(h) != 0) {
        ret = cmd_fail("%s", sqlite3_errmsg(cs_replica_db(hub_replica(h))));
        goto out;
    }
    if (cs_report_write(rep, hub_replica(h), kind, fmt, &p, ov[OPT_OUT], err, sizeof(err)) != 0) {
        ret = cmd_fail("%s", err);
        goto out;
    }
    ret = CS_EXIT_OK;
out:
    hub_close(h);
    cs_date_holidays_free(hol);
    cs_report_free(rep);
    return ret;
}
