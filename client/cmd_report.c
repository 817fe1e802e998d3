/* SPDX-License-Identifier: MIT */
/*
 * `cellsync report KIND`: the cell's own view of the committee's reports
 * (cellsync/report.h), from this device's replica: its targets and
 * admissions, its candidates by stage, its deadlines, its members: the
 * built-in kinds only. The sync report needs the hub's device list, so the
 * hub registers it and makes it (cellsyncd report sync). By default the
 * report covers this device's unit (from enrollment).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "cellsync/report.h"
#include "client.h"

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

static const struct cs_cli_opt report_opts[OPT__COUNT] = {
    [OPT_ORG] = {"org", 1, N_("only this unit and the units below it (default: this device's)")},
    [OPT_YEAR] = {"year", 1,
                  N_("the year of targets, admissions and ratings (default: this year)")},
    [OPT_FORMAT] = {"format", 1,
                    N_("table (default), json, csv (one section), html (one page) or xlsx (a "
                       "workbook, a sheet per section)")},
    [OPT_OUT] = {"out", 1, N_("write to this file (atomically) instead of standard output")},
    [OPT_SECTION] = {"section", 1, N_("only this section of the report (CSV: default the first)")},
    [OPT_SQL] = {"sql", 0, N_("print the queries of the report instead of running them")},
    [OPT_NUMBER] = {"number", 1, N_("HTML: the document's number, e.g. 12-BC/CB (default: dots)")},
    [OPT_PLACE] = {"place", 1, N_("HTML: the place of the date line (default: dots)")},
    [OPT_DELIMITER] = {"delimiter", 1,
                       N_("CSV: the field separator, ',' (default), ';' (Excel on Vietnamese "
                          "Windows) or 'tab'")},
    [OPT_LABELS] = {"labels", 0,
                    N_("CSV: translated headings and labels instead of column names and codes")},
};

void
client_report_params(struct client *c, int year, const char *root, struct cs_report_params *p,
                     char *org, size_t orglen)
{
    p->today = c->today;
    p->year = year != 0 ? year : cs_date_to_civil(c->today).y;
    p->hol = c->hol;
    if (root != NULL) {
        p->root = root;
        p->root_required = 1;
    } else if (cs_replica_meta_get(c->rep, CS_META_ORG, org, orglen) == 0 && org[0] != 0) {
        /* This device's unit, even before its first sync brought the org tree. */
        p->root = org;
    }
}

int
cmd_report(int argc, char **argv)
{
    const char *ov[OPT__COUNT], *name;
    struct cs_report_params p = {0};
    struct cs_report *rep = NULL;
    struct client c;
    char err[1024] = "", org[64];
    enum cs_report_kind kind;
    enum cs_report_format fmt;
    int rest, ret, year;

    ret = client_args(
        "report",
        _("usage: cellsync report targets|pipeline|due|members|all [--org ID]\n"
          "  [--year YEAR] [--format table|json|csv|html|xlsx] [--out FILE] [--section NAME]\n"
          "  [--delimiter ,|;|tab] [--labels] [--sql] [--number NO] [--place PLACE]"),
        _("Reports on the records of this device: targets and admissions, candidates by\n"
          "stage, deadlines and membership. Each number comes from a documented query;\n"
          "--sql prints them. The report on devices and sync is made at the hub."),
        argc, argv, report_opts, OPT__COUNT, ov, &rest);
    if (ret != CS_CLI_GO_ON)
        return ret;
    if (rest + 1 < argc)
        return client_usage(_("report: unexpected argument '%s'"), argv[rest + 1]);
    name = rest < argc ? argv[rest] : NULL;
    if (name != NULL && strcmp(name, "sync") == 0)
        return client_usage(
            "report: %s",
            _("the sync report is made at the hub: run 'cellsyncd report sync' there"));
    if ((ret = cs_report_new(&rep)) != 0)
        return client_fail("%s", cs_strerror(ret));
    ret = cs_report_request(rep, name, ov[OPT_FORMAT], ov[OPT_YEAR], ov[OPT_SECTION], &kind, &fmt,
                            &year, err, sizeof(err));
    /* The kinds this device makes: the built-in ones. */
    if (ret == CS_ENOTFOUND && name == NULL)
        snprintf(err, sizeof(err), "%s", _("which report? targets, pipeline, due, members or all"));
    else if (ret == CS_ENOTFOUND)
        snprintf(err, sizeof(err),
                 _("'%s' is not a report: targets, pipeline, due, members or all"), name);
    if (ret != 0) {
        ret = client_usage("report: %s", err);
        goto out;
    }
    p.section = ov[OPT_SECTION];
    p.number = ov[OPT_NUMBER];
    p.place = ov[OPT_PLACE];
    if (cs_report_csv_options(fmt, ov[OPT_DELIMITER], ov[OPT_LABELS] != NULL, &p, err,
                              sizeof(err)) != 0) {
        ret = client_usage("report: %s", err);
        goto out;
    }
    if (ov[OPT_SQL] != NULL) {
        ret = cs_report_print_sql(rep, stdout, kind) == 0 ? CS_EXIT_OK
                                                          : client_fail("%s", cs_strerror(-EIO));
        goto out;
    }

    if ((ret = client_open(&c)) != 0)
        goto out;
    client_report_params(&c, year, ov[OPT_ORG], &p, org, sizeof(org));
    ret = CS_EXIT_OK;
    if (cs_report_write(rep, c.rep, kind, fmt, &p, ov[OPT_OUT], err, sizeof(err)) != 0)
        ret = client_fail("%s", err);
    client_close(&c);
out:
    cs_report_free(rep);
    return ret;
}
