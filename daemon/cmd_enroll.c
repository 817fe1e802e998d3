/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd enroll`: a one-time enrollment for one device, for one org
 * unit and role: a file to carry to the device (mode 0600) and the same
 * enrollment as a short code that can be read out over the phone. Both work
 * once and expire after --days.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cellsync/cli.h"
#include "cellsync/codes.h"
#include "cellsync/i18n.h"
#include "commands.h"
#include "hub.h"

#define DEFAULT_DAYS 7

static void
usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n",
            _("usage: cellsyncd enroll --org ID --role cell|committee|hub --name TEXT --out FILE\n"
              "  [--addr HOST:PORT] [--days N] [--state DIR] [--config FILE]"),
            _("Makes a one-time enrollment for one device of one org unit: a file to carry\n"
              "to the device and a short code to read out instead. The device may write the\n"
              "records of its unit and the units below it, as its role allows."),
            _("options:\n"
              "  --org ID          the org unit code of the device\n"
              "  --role ROLE       cell, committee or hub\n"
              "  --name TEXT       the device's name, as the device list shows it\n"
              "  --out FILE        where to write the enrollment file (never overwritten)\n"
              "  --addr HOST:PORT  how the device reaches this hub (default: this host's\n"
              "                    name and the port of 'listen' in the configuration)\n"
              "  --days N          how long it stays valid, 1 to 365 (default 7)\n"
              "  --state DIR       the state directory (default /var/lib/cellsyncd)\n"
              "  --config FILE     the configuration file (default "
              "/etc/cellsync/cellsyncd.conf)\n"
              "  --help            show this help"));
}

/* This host's name and the port the configuration listens on. */
static void
default_addr(const struct conf *c, char *out, size_t len)
{
    char host[256] = "localhost";
    const char *port = strrchr(c->listen, ':');
    if (gethostname(host, sizeof(host)) != 0 || host[0] == 0)
        snprintf(host, sizeof(host), "%s", "localhost");
    host[sizeof(host) - 1] = 0;
    if (port != NULL && port[1] != 0)
        snprintf(out, len, "%s:%s", host, port + 1);
    else
        snprintf(out, len, "%s:%d", host, HUB_DEFAULT_PORT);
}

int
cmd_enroll(int argc, char **argv)
{
    enum { OPT_ORG, OPT_ROLE, OPT_NAME, OPT_OUT, OPT_ADDR, OPT_DAYS, OPT__COUNT };
    static const struct cs_cli_opt opts[OPT__COUNT] = {
        [OPT_ORG] = {"org", 1, NULL},   [OPT_ROLE] = {"role", 1, NULL},
        [OPT_NAME] = {"name", 1, NULL}, [OPT_OUT] = {"out", 1, NULL},
        [OPT_ADDR] = {"addr", 1, NULL}, [OPT_DAYS] = {"days", 1, NULL},
    };
    const char *ov[OPT__COUNT], *sopt[CMD_STATE__COUNT];
    unsigned days = DEFAULT_DAYS;
    struct conf conf;
    struct hub *h = NULL;
    char err[1024], code[CS_ENROLL_CODE_LEN + 1], addr_buf[300], until[64];
    int64_t expires = 0;
    int rest;

    int done = cmd_args("enroll", argc, argv, usage, opts, OPT__COUNT, ov, sopt, &rest);
    if (done != CS_CLI_GO_ON)
        return done;
    const char *org = ov[OPT_ORG], *role = ov[OPT_ROLE], *name = ov[OPT_NAME];
    const char *out = ov[OPT_OUT], *addr = ov[OPT_ADDR], *d = ov[OPT_DAYS];
    if (d != NULL) {
        long v;
        if (cs_cli_number("days", d, CS_CLI_DAYS, 1, 365, &v, err, sizeof(err)) != 0)
            return cmd_usage_error("enroll", "%s", err);
        days = (unsigned)v;
    }
    if (rest != argc)
        return cmd_usage_error("enroll", _("unexpected argument '%s'"), argv[rest]);
    if (org == NULL || role == NULL || name == NULL || out == NULL)
        return cmd_usage_error("enroll", "%s", _("--org, --role, --name and --out are required"));
    if (!cs_enroll_role_ok(role))
        return cmd_usage_error("enroll", _("--role must be cell, committee or hub, not '%s'"),
                               role);
    if (cmd_config(&conf, sopt) != 0)
        return CS_EXIT_FAILURE;
    if (addr == NULL) {
        default_addr(&conf, addr_buf, sizeof(addr_buf));
        addr = addr_buf;
    }
    if (hub_open(&h, conf.state, err, sizeof(err)) != 0)
        return cmd_fail("%s", err);
    if (hub_enroll_create(h, org, role, name, addr, days, out, code, sizeof(code), &expires, err,
                          sizeof(err)) != 0) {
        hub_close(h);
        return cmd_fail("%s", err);
    }
    hub_close(h);

    time_t t = (time_t)expires;
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL || strftime(until, sizeof(until), "%d/%m/%Y %H:%M", &tm) == 0)
        snprintf(until, sizeof(until), "%lld", (long long)expires);
    const char *role_label = cs_code_label("role", role);
    printf(_("enrollment of '%s' (unit %s, role %s) written to '%s'\n"), name, org,
           role_label ? role_label : role, out);
    printf(_("short code: %s\n"), code);
    printf(_("It works once, until %s. On the device, run\n"
             "  cellsync enroll %s\n"
             "with the file copied there, or give the code and this hub's address instead:\n"
             "  cellsync enroll --code %s --hub %s\n"
             "Keep the file and the code secret until the device has used them.\n"),
           until, out, code, addr);
    return CS_EXIT_OK;
}
