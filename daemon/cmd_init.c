/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd init`: creates the hub in its state directory: the key pair,
 * the replica and the org tree it serves, read from a CSV file the
 * organisation committee keeps (see hub_init()). It never overwrites an
 * existing hub, and a bad CSV line stops it before anything is created.
 */
#include <getopt.h>
#include <stdio.h>

#include "cellsync/cli.h"
#include "cellsync/i18n.h"
#include "commands.h"
#include "hub.h"

static void
usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n",
            _("usage: cellsyncd init --org-tree FILE.csv [--state DIR] [--config FILE]"),
            _("Creates the hub: its state directory, key pair and record store, and the org\n"
              "tree it serves. The CSV file starts with the line id,parent,level,kind,name;\n"
              "the one unit with an empty parent is the hub's own. A name with a comma is\n"
              "written in double quotes. level is centre, province, district, commune,\n"
              "grassroots or cell."),
            _("options:\n"
              "  --org-tree FILE  the org tree as CSV (required)\n"
              "  --state DIR      the state directory (default /var/lib/cellsyncd)\n"
              "  --config FILE    the configuration file (default "
              "/etc/cellsync/cellsyncd.conf)\n"
              "  --help           show this help"));
}

int
cmd_init(int argc, char **argv)
{
    static const struct option lo[] = {
        {"org-tree", required_argument, NULL, 'o'},
        {"state", required_argument, NULL, 's'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *tree = NULL, *state = NULL, *config = NULL;
    struct conf conf;
    struct hub *h = NULL;
    char err[1024];
    int ch;

    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        switch (ch) {
        case 'o':
            tree = optarg;
            break;
        case 's':
            state = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'h':
            usage(stdout);
            return CS_EXIT_OK;
        default:
            return cmd_bad_option("init", ch, argv);
        }
    }
    if (optind != argc)
        return cmd_usage_error("init", _("unexpected argument '%s'"), argv[optind]);
    if (tree == NULL)
        return cmd_usage_error("init", "%s", _("--org-tree FILE.csv is required"));
    if (cmd_config(&conf, config, state) != 0)
        return CS_EXIT_FAILURE;
    if (hub_init(conf.state, tree, err, sizeof(err)) != 0)
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
    printf(_("created the hub in '%s': %lld org units under '%s', hub key %s\n"), conf.state, units,
           hub_root_org(h), hex);
    hub_close(h);
    return CS_EXIT_OK;
}
