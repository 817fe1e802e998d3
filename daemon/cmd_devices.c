/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd devices` lists the enrolled devices and those registered below; `cellsyncd revoke`
 * revokes one, named by its name or by the beginning or end of its id. A
 * revoked device is refused at its next handshake, and a serving hub ends
 * its open sessions within a second (conn.c); the revocation is written to
 * the admin journal too, so no restore takes it back (hub.h).
 */
#include <stdio.h>
#include <time.h>

#include "cellsync/cli.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "commands.h"
#include "hub.h"

static const char state_help[] =
    N_("  --state DIR    the state directory (default /var/lib/cellsyncd)\n"
       "  --config FILE  the configuration file (default /etc/cellsync/cellsyncd.conf)\n"
       "  --help         show this help");

static void
devices_usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n%s\n",
            _("usage: cellsyncd devices [--json] [--here] [--state DIR] [--config FILE]"),
            _("Lists the devices enrolled here, then those the hubs below registered: id,\n"
              "name, org unit, role, where (enrolled here, or the unit of the hub that\n"
              "registered it), when each was enrolled, last synced, the time of its newest\n"
              "change held here, and revoked."),
            _("options:\n"
              "  --json         print a JSON array instead of a table\n"
              "  --here         only the devices enrolled at this hub"),
            _(state_help));
}

int
cmd_devices(int argc, char **argv)
{
    enum { OPT_JSON, OPT_HERE, OPT__COUNT };
    static const struct cs_cli_opt opts[OPT__COUNT] = {
        [OPT_JSON] = {"json", 0, NULL}, [OPT_HERE] = {"here", 0, NULL}};
    const char *ov[OPT__COUNT], *sopt[CMD_STATE__COUNT];
    struct conf conf;
    struct hub *h = NULL;
    char err[1024];
    int rest;

    int done = cmd_args("devices", argc, argv, devices_usage, opts, OPT__COUNT, ov, sopt, &rest);
    if (done != CS_CLI_GO_ON)
        return done;
    if (rest != argc)
        return cmd_usage_error("devices", _("unexpected argument '%s'"), argv[rest]);
    if (cmd_config(&conf, sopt) != 0)
        return CS_EXIT_FAILURE;
    if (hub_open(&h, conf.state, err, sizeof(err)) != 0)
        return cmd_fail("%s", err);
    int ret =
        hub_devices_print(h, stdout, ov[OPT_JSON] != NULL, ov[OPT_HERE] != NULL, err, sizeof(err));
    hub_close(h);
    return ret == 0 ? CS_EXIT_OK : cmd_fail("%s", err);
}

static void
revoke_usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n",
            _("usage: cellsyncd revoke DEVICE [--state DIR] [--config FILE]"),
            _("Revokes a device: the hub refuses it from its next sync on. DEVICE is the\n"
              "device's name, or at least 4 hex digits that begin or end its id (as\n"
              "'cellsyncd devices' shows it)."),
            _(state_help));
}

int
cmd_revoke(int argc, char **argv)
{
    const char *sopt[CMD_STATE__COUNT];
    struct conf conf;
    struct hub *h = NULL;
    struct hub_device d;
    char err[1024], hex[CS_ID_HEX_LEN + 1];

    int first, done = cmd_args("revoke", argc, argv, revoke_usage, NULL, 0, NULL, sopt, &first);
    if (done != CS_CLI_GO_ON)
        return done;
    if (argc - first != 1)
        return cmd_usage_error("revoke", "%s",
                               argc - first == 0 ? _("name the device to revoke")
                                                 : _("name one device at a time"));
    if (cmd_config(&conf, sopt) != 0)
        return CS_EXIT_FAILURE;
    if (hub_open(&h, conf.state, err, sizeof(err)) != 0)
        return cmd_fail("%s", err);
    int64_t start = (int64_t)time(NULL);
    int ret = hub_device_revoke(h, argv[first], &d, err, sizeof(err));
    hub_close(h);
    if (ret != 0)
        return cmd_fail("%s", err);
    cs_id_to_hex(&d.id, hex);
    if (d.revoked_at < start)
        printf(_("device %s (%s, unit %s) was already revoked\n"), hex, d.name[0] ? d.name : "-",
               d.org);
    else
        printf(_("revoked device %s (%s, unit %s): the hub refuses it from its next sync on\n"),
               hex, d.name[0] ? d.name : "-", d.org);
    return CS_EXIT_OK;
}
