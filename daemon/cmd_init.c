/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd init`: creates the hub in its state directory: the key pair,
 * the replica and the org tree it serves, read from a CSV file the
 * organisation committee keeps (see hub_init()). It never overwrites an
 * existing hub, and a bad CSV line stops it before anything is created.
 */
#include <stdio.h>

#include "cellsync/cli.h"
#include "cellsync/i18n.h"
#include "commands.h"
#include "hub.h"

static void
usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n",
            _("usage: cellsyncd init --org-tree FILE.csv [--state DIR] [--config FILE]\n"
              "       cellsyncd init --upstream FILE.enroll [--state DIR] [--config FILE]"),
            _("Creates the hub: its state directory, key pair and record store, and the org\n"
              "tree it serves. The CSV file starts with the line id,parent,level,kind,name;\n"
              "the one unit with an empty parent is the hub's own. A name with a comma is\n"
              "written in double quotes. level is centre, province, district, commune,\n"
              "grassroots or cell.\n"
              "A hub below another (a commune's under its province) is made with --upstream\n"
              "and the enrollment file of role hub that 'cellsyncd enroll --role hub' wrote at\n"
              "the hub above: its tree then comes from above at its first sync up."),
            _("options:\n"
              "  --org-tree FILE  the org tree as CSV\n"
              "  --upstream FILE  the enrollment file of this hub at the hub above\n"
              "  --state DIR      the state directory (default /var/lib/cellsyncd)\n"
              "  --config FILE    the configuration file (default "
              "/etc/cellsync/cellsyncd.conf)\n"
              "  --help           show this help"));
}

int
cmd_init(int argc, char **argv)
{
    enum { OPT_ORG_TREE, OPT_UPSTREAM, OPT__COUNT };
    static const struct cs_cli_opt opts[OPT__COUNT] = {
        [OPT_ORG_TREE] = {"org-tree", 1, NULL}, [OPT_UPSTREAM] = {"upstream", 1, NULL}};
    const char *ov[OPT__COUNT], *sopt[CMD_STATE__COUNT];
    struct conf conf;
    struct hub *h = NULL;
    char err[1024];
    int rest;

    int done = cmd_args("init", argc, argv, usage, opts, OPT__COUNT, ov, sopt, &rest);
    if (done != CS_CLI_GO_ON)
        return done;
    if (rest != argc)
        return cmd_usage_error("init", _("unexpected argument '%s'"), argv[rest]);
    const char *tree = ov[OPT_ORG_TREE], *up = ov[OPT_UPSTREAM];
    if ((tree == NULL) == (up == NULL))
        return cmd_usage_error("init", "%s",
                               _("give --org-tree FILE.csv, or --upstream FILE for a hub below "
                                 "another, not both"));
    if (cmd_config(&conf, sopt) != 0)
        return CS_EXIT_FAILURE;
    if ((tree != NULL ? hub_init(conf.state, tree, err, sizeof(err))
                      : hub_init_below(conf.state, up, err, sizeof(err))) != 0)
        return cmd_fail("%s", err);
    if (hub_open(&h, conf.state, err, sizeof(err)) != 0)
        return cmd_fail("%s", err);

    sqlite3_stmt *st;
    long long units = 0;
    if (sqlite3_prepare_v2(cs_replica_db(hub_replica(h)), "SELECT count(*) FROM org_unit", -1, &st,
                           NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            units = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    struct cs_id id;
    char hex[CS_ID_HEX_LEN + 1];
    cs_key_id(hub_key(h), &id);
    cs_id_to_hex(&id, hex);
    if (tree != NULL)
        printf(_("created the hub in '%s': %lld org units under '%s', hub key %s\n"), conf.state,
               units, hub_root_org(h), hex);
    else
        printf(_("created the hub in '%s' for unit '%s' below another hub, hub key %s: its org "
                 "tree comes at the first 'cellsyncd upstream sync'\n"),
               conf.state, hub_root_org(h), hex);
    hub_close(h);
    return CS_EXIT_OK;
}
