/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd target`: the committee sets a unit's admission target for a
 * year, with its sub-targets (students, non-state enterprise workers). The
 * target is a hub-written record: cells receive it and cannot change it.
 * One record per unit and year (its id is derived from both), so setting
 * it again corrects it rather than adding a second one.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cellsync/cli.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "commands.h"
#include "hub.h"

static void
usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n",
            _("usage: cellsyncd target --org ID --year YEAR --admissions N [--students N]\n"
              "  [--non-state N] [--state DIR] [--config FILE]"),
            _("Sets a unit's admission target for a year; the unit's devices receive it with\n"
              "their next sync."),
            _("options:\n"
              "  --org ID         the unit's code in the org tree\n"
              "  --year YEAR      the year the target is for\n"
              "  --admissions N   new members to admit in the year\n"
              "  --students N     of them, students\n"
              "  --non-state N    of them, workers of non-state enterprises\n"
              "  --state DIR      the state directory (default /var/lib/cellsyncd)\n"
              "  --config FILE    the configuration file"));
}

int
cmd_target(int argc, char **argv)
{
    /* The counts first, in the order of their columns. */
    enum { OPT_ADMISSIONS, OPT_STUDENTS, OPT_NON_STATE, OPT_ORG, OPT_YEAR, OPT__COUNT };
    static const struct cs_cli_opt opts[OPT__COUNT] = {
        [OPT_ADMISSIONS] = {"admissions", 1, NULL},
        [OPT_STUDENTS] = {"students", 1, NULL},
        [OPT_NON_STATE] = {"non-state", 1, NULL},
        [OPT_ORG] = {"org", 1, NULL},
        [OPT_YEAR] = {"year", 1, NULL},
    };
    static const char *const cols[OPT_ORG] = {
        [OPT_ADMISSIONS] = "admissions",
        [OPT_STUDENTS] = "students",
        [OPT_NON_STATE] = "non_state_workers",
    };
    const char *ov[OPT__COUNT], *sopt[CMD_STATE__COUNT];
    long year = -1, counts[OPT_ORG] = {-1, -1, -1};
    struct conf conf;
    struct hub *h = NULL;
    struct hub_scope *scope = NULL;
    char err[1024] = "";
    int rest, ret;

    int done = cmd_args("target", argc, argv, usage, opts, OPT__COUNT, ov, sopt, &rest);
    if (done != CS_CLI_GO_ON)
        return done;
    const char *org = ov[OPT_ORG];
    if (ov[OPT_YEAR] != NULL && cs_cli_number("year", ov[OPT_YEAR], CS_CLI_YEAR, CS_CLI_YEAR_MIN,
                                              CS_CLI_YEAR_MAX, &year, err, sizeof(err)) != 0)
        return cmd_usage_error("target", "%s", err);
    for (int i = 0; i < OPT_ORG; i++)
        if (ov[i] != NULL && cs_cli_number(opts[i].name, ov[i], CS_CLI_COUNT, 0, 1000000,
                                           &counts[i], err, sizeof(err)) != 0)
            return cmd_usage_error("target", "%s", err);
    if (rest != argc)
        return cmd_usage_error("target", _("unexpected argument '%s'"), argv[rest]);
    if (org == NULL || year < 0 || counts[OPT_ADMISSIONS] < 0)
        return cmd_usage_error("target", "%s", _("--org, --year and --admissions are required"));
    if (cmd_config(&conf, sopt) != 0)
        return CS_EXIT_FAILURE;
    if (hub_open(&h, conf.state, err, sizeof(err)) != 0)
        return cmd_fail("%s", err);
    if (hub_scope_load(h, org, &scope) != 0) {
        hub_close(h);
        return cmd_fail(_("there is no unit '%s' in the org tree"), org);
    }
    hub_scope_free(scope);

    struct cs_replica *r = hub_replica(h);
    struct cs_id id;
    char name[160];
    snprintf(name, sizeof(name), "target:%s:%ld", org, year);
    cs_id_derive(&id, name);
    struct cs_value y = {.type = CS_VINT, .i = year};
    if ((ret = cs_replica_begin(r, err, sizeof(err))) != 0 ||
        (ret = cs_replica_set_text(r, "target", &id, "org_unit", org, err, sizeof(err))) != 0 ||
        (ret = cs_replica_set(r, "target", &id, "year", &y, err, sizeof(err))) != 0)
        goto fail;
    for (int i = 0; i < OPT_ORG; i++) {
        if (counts[i] < 0)
            continue;
        struct cs_value v = {.type = CS_VINT, .i = counts[i]};
        if ((ret = cs_replica_set(r, "target", &id, cols[i], &v, err, sizeof(err))) != 0)
            goto fail;
    }
    if ((ret = cs_replica_commit(r, err, sizeof(err))) != 0)
        goto fail;
    printf(_("target for %s in %ld: %ld admissions\n"), org, year, counts[OPT_ADMISSIONS]);
    hub_close(h);
    return CS_EXIT_OK;
fail:
    cs_replica_rollback(r);
    hub_close(h);
    return cmd_fail("%s", err);
}
