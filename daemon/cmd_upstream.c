/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd upstream`: the link of a hub below another (a commune's under
 * its province) to the hub above: sync now, show the link, or carry it by
 * stick (upstream.c). `cellsyncd serve` also syncs up on its own schedule
 * (uplink.c); these work whether it runs or not.
 */
#include <stdio.h>
#include <string.h>

#include "cellsync/cli.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "commands.h"
#include "hub.h"
#include "link.h"
#include "upstream.h"

static void
usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n",
            _("usage: cellsyncd upstream sync [--hub HOST[:PORT]] [--timeout SECONDS]\n"
              "       cellsyncd upstream status [--json]\n"
              "       cellsyncd upstream export FILE\n"
              "       cellsyncd upstream import FILE\n"
              "       (each also takes --state DIR and --config FILE)"),
            _("A hub below another (a commune's under its province, made with 'cellsyncd init\n"
              "--upstream FILE') sends up what its devices and its office wrote, each change as\n"
              "the device that wrote it signed it, and takes in what the hub above and the\n"
              "rest of the tree wrote for its units. sync does it now over the network;\n"
              "status shows the hub above, the last sync and what waits to go up. With no\n"
              "link, export writes the same to a file for a USB stick; the hub above imports\n"
              "it with 'cellsyncd import' and writes a reply, which import takes in here."),
            _("options:\n"
              "  --hub HOST[:PORT]  sync: the hub above's address (default: the config's\n"
              "                     upstream, else the enrollment's)\n"
              "  --timeout SECONDS  sync: how long to wait for the hub above (default 60)\n"
              "  --json             status: as JSON\n"
              "  --state DIR        the state directory (default /var/lib/cellsyncd)\n"
              "  --config FILE      the configuration file (default "
              "/etc/cellsync/cellsyncd.conf)\n"
              "  --help             show this help"));
}

enum { OPT_HUB, OPT_TIMEOUT, OPT_JSON, OPT__COUNT };

static int
up_sync(struct hub *h, const struct conf *conf, const char *const *ov)
{
    char addr[256] = "", err[1024];
    long timeout = 60;
    const char *typed = ov[OPT_HUB] != NULL ? ov[OPT_HUB] : conf->upstream;
    if (ov[OPT_TIMEOUT] != NULL && cs_cli_number("timeout", ov[OPT_TIMEOUT], CS_CLI_SECONDS, 1,
                                                 86400, &timeout, err, sizeof(err)) != 0)
        return cmd_usage_error("upstream", "%s", err);
    if (typed[0] != 0 && strcmp(typed, "off") != 0 &&
        link_address(typed, addr, sizeof(addr), err, sizeof(err)) != 0)
        return cmd_usage_error("upstream", _("--hub: %s"), err);
    struct devsync_result res;
    int ret = hub_upstream_sync(h, addr, (int)timeout, NULL, &res, err, sizeof(err));
    device_refusals_release(&res.refusals);
    if (ret != 0)
        return cmd_fail("%s", err);
    printf(_("synced with the hub above: sent %zu changes (%.1f KiB), received %zu (%.1f KiB), "
             "refused %zu\n"),
           res.t.sent_changes, res.t.sent_bytes / 1024.0, res.t.recv_changes,
           res.t.recv_bytes / 1024.0, res.t.refused);
    return CS_EXIT_OK;
}

static int
up_stick(struct hub *h, int out, const char *path)
{
    struct device_tally t = {0};
    char err[1024];
    int ret = out ? hub_upstream_export(h, path, &t, err, sizeof(err))
                  : hub_upstream_import(h, path, &t, err, sizeof(err));
    if (ret != 0)
        return cmd_fail("%s", err);
    if (out)
        printf(_("wrote %zu changes in %zu chunks to '%s' for the hub above: take it there and "
                 "run 'cellsyncd import' on it\n"),
               t.changes, t.chunks, path);
    else
        printf(_("read '%s' from the hub above: %zu new changes in %zu chunks (%zu already "
                 "here)\n"),
               path, t.changes, t.chunks, t.skipped);
    return CS_EXIT_OK;
}

int
cmd_upstream(int argc, char **argv)
{
    static const struct cs_cli_opt opts[OPT__COUNT] = {
        [OPT_HUB] = {"hub", 1, NULL},
        [OPT_TIMEOUT] = {"timeout", 1, NULL},
        [OPT_JSON] = {"json", 0, NULL},
    };
    const char *ov[OPT__COUNT], *sopt[CMD_STATE__COUNT];
    struct conf conf;
    struct hub *h = NULL;
    char err[1024];
    int rest, ret;

    int done = cmd_args("upstream", argc, argv, usage, opts, OPT__COUNT, ov, sopt, &rest);
    if (done != CS_CLI_GO_ON)
        return done;
    if (rest == argc)
        return cmd_usage_error("upstream", "%s",
                               _("give one action: sync, status, export FILE or import FILE"));
    const char *what = argv[rest];
    int stick = strcmp(what, "export") == 0 || strcmp(what, "import") == 0;
    if (!stick && strcmp(what, "sync") != 0 && strcmp(what, "status") != 0)
        return cmd_usage_error(
            "upstream", _("unknown action '%s': sync, status, export FILE or import FILE"), what);
    if (argc - rest != (stick ? 2 : 1))
        return cmd_usage_error("upstream", stick ? _("%s takes one FILE") : _("%s takes no FILE"),
                               what);
    if ((ov[OPT_HUB] != NULL || ov[OPT_TIMEOUT] != NULL) && strcmp(what, "sync") != 0)
        return cmd_usage_error("upstream", "%s", _("--hub and --timeout go with sync only"));
    if (ov[OPT_JSON] != NULL && strcmp(what, "status") != 0)
        return cmd_usage_error("upstream", "%s", _("--json goes with status only"));
    if (cmd_config(&conf, sopt) != 0)
        return CS_EXIT_FAILURE;
    if (hub_open(&h, conf.state, err, sizeof(err)) != 0)
        return cmd_fail("%s", err);
    cs_replica_set_max_drift(hub_replica(h), (uint64_t)conf.max_drift_minutes * 60 * 1000);
    if (stick)
        ret = up_stick(h, what[0] == 'e', argv[rest + 1]);
    else if (strcmp(what, "sync") == 0)
        ret = up_sync(h, &conf, ov);
    else if ((ret = hub_upstream_status(h, stdout, ov[OPT_JSON] != NULL, err, sizeof(err))) != 0)
        ret = cmd_fail("%s", err);
    hub_close(h);
    return ret;
}
