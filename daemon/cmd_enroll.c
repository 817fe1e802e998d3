/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd enroll`: a one-time enrollment for one device, for one org
 * unit and role: a file to carry to the device (mode 0600) and the same
 * enrollment as a short code that can be read out over the phone (a cell
 * only: committee and hub devices are enrolled by file, never by code).
 * Either works once; both expire after 72 hours unless --hours or --days
 * say otherwise, 30 days at most.
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

static void
usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n",
            _("usage: cellsyncd enroll --org ID --role cell|committee|hub --name TEXT\n"
              "  (--out FILE | --code | both) [--addr HOST:PORT] [--hours N | --days N]\n"
              "  [--state DIR] [--config FILE]"),
            _("Makes a one-time enrollment for one device of one org unit: a file to carry\n"
              "to the device and, for a cell, a short code to read out instead (committee\n"
              "and hub devices are enrolled by file only). The device may write the\n"
              "records of its unit and the units below it, as its role allows."),
            _("options:\n"
              "  --org ID          the org unit code of the device\n"
              "  --role ROLE       cell, committee or hub\n"
              "  --name TEXT       the device's name, as the device list shows it\n"
              "  --out FILE        where to write the enrollment file (never overwritten)\n"
              "  --code            give a short code (role cell only); without --out, only it\n"
              "  --addr HOST:PORT  how the device reaches this hub (default: this host's\n"
              "                    name and the port of 'listen' in the configuration)\n"
              "  --hours N         how long it stays valid, 1 to 720 (default 72)\n"
              "  --days N          the same in days, 1 to 30\n"
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
    enum {
        OPT_ORG,
        OPT_ROLE,
        OPT_NAME,
        OPT_OUT,
        OPT_ADDR,
        OPT_DAYS,
        OPT_HOURS,
        OPT_CODE,
        OPT__COUNT
    };
    static const struct cs_cli_opt opts[OPT__COUNT] = {
        [OPT_ORG] = {"org", 1, NULL},     [OPT_ROLE] = {"role", 1, NULL},
        [OPT_NAME] = {"name", 1, NULL},   [OPT_OUT] = {"out", 1, NULL},
        [OPT_ADDR] = {"addr", 1, NULL},   [OPT_DAYS] = {"days", 1, NULL},
        [OPT_HOURS] = {"hours", 1, NULL}, [OPT_CODE] = {"code", 0, NULL},
    };
    const char *ov[OPT__COUNT], *sopt[CMD_STATE__COUNT];
    int64_t ttl = HUB_ENROLL_TTL_DEFAULT;
    struct conf conf;
    struct hub *h = NULL;
    char err[1024], code[CS_ENROLL_CODE_LEN + 1], addr_buf[300], until[64];
    int64_t expires = 0;
    int rest;

    int done = cmd_args("enroll", argc, argv, usage, opts, OPT__COUNT, ov, sopt, &rest);
    if (done != CS_CLI_GO_ON)
        return done;
    const char *org = ov[OPT_ORG], *role = ov[OPT_ROLE], *name = ov[OPT_NAME];
    const char *out = ov[OPT_OUT], *addr = ov[OPT_ADDR], *d = ov[OPT_DAYS], *hr = ov[OPT_HOURS];
    int want_code = ov[OPT_CODE] != NULL;
    if (d != NULL && hr != NULL)
        return cmd_usage_error("enroll", "%s", _("give --hours or --days, not both"));
    if (d != NULL || hr != NULL) {
        /* Read wide, so that 31 days or 1000 hours get the limit's own message. */
        long v;
        if (cs_cli_number(d ? "days" : "hours", d ? d : hr, CS_CLI_COUNT, 1, 1000000, &v, err,
                          sizeof(err)) != 0)
            return cmd_usage_error("enroll", "%s", err);
        ttl = (int64_t)v * (d ? 86400 : 3600);
        if (ttl > HUB_ENROLL_TTL_MAX)
            return cmd_usage_error("enroll",
                                   _("an enrollment may be valid 30 days (720 hours) at most, not "
                                     "%ld %s: a device that cannot use it by then needs a new one"),
                                   v, d ? _("days") : _("hours"));
    }
    if (rest != argc)
        return cmd_usage_error("enroll", _("unexpected argument '%s'"), argv[rest]);
    if (org == NULL || role == NULL || name == NULL || (out == NULL && !want_code))
        return cmd_usage_error("enroll", "%s",
                               _("--org, --role, --name and --out or --code are required"));
    if (!cs_enroll_role_ok(role))
        return cmd_usage_error("enroll", _("--role must be cell, committee or hub, not '%s'"),
                               role);
    int is_cell = strcmp(role, HUB_ROLE_CELL) == 0;
    if (want_code && !is_cell)
        return cmd_usage_error("enroll",
                               _("--code: a %s device is enrolled by file only (--out FILE), never "
                                 "by a short code"),
                               role);
    /* With --out a cell gets the code too, as before; the others never. */
    want_code = is_cell;
    if (cmd_config(&conf, sopt) != 0)
        return CS_EXIT_FAILURE;
    if (addr == NULL) {
        default_addr(&conf, addr_buf, sizeof(addr_buf));
        addr = addr_buf;
    }
    if (hub_open(&h, conf.state, err, sizeof(err)) != 0)
        return cmd_fail("%s", err);
    if (hub_enroll_create(h, org, role, name, addr, ttl, out, want_code ? code : NULL, sizeof(code),
                          &expires, err, sizeof(err)) != 0) {
        hub_close(h);
        return cmd_fail("%s", err);
    }
    hub_close(h);

    time_t t = (time_t)expires;
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL || strftime(until, sizeof(until), "%d/%m/%Y %H:%M", &tm) == 0)
        snprintf(until, sizeof(until), "%lld", (long long)expires);
    const char *role_label = cs_code_label("role", role);
    if (out != NULL)
        printf(_("enrollment of '%s' (unit %s, role %s) written to '%s'\n"), name, org,
               role_label ? role_label : role, out);
    else
        printf(_("enrollment of '%s' (unit %s, role %s)\n"), name, org,
               role_label ? role_label : role);
    if (want_code)
        printf(_("short code: %s\n"), code);
    if (out != NULL && strcmp(role, HUB_ROLE_HUB) == 0) {
        /* A hub below this one (a commune's under its province) is made with it. */
        printf(_("It works once, until %s. On the hub below, run\n"
                 "  cellsyncd init --upstream %s\n"
                 "with the file copied there. A hub is enrolled by file only, never by code.\n"),
               until, out);
        printf("%s\n", _("Keep the file secret until the hub below has used it."));
        return CS_EXIT_OK;
    }
    printf(_("It works once, until %s. On the device, run\n"), until);
    if (out != NULL)
        printf(_("  cellsync enroll %s\n"
                 "with the file copied there%s\n"),
               out, want_code ? _(", or give the code and this hub's address instead:") : ".");
    if (want_code)
        printf(_("  cellsync enroll --code %s --hub %s\n"), code, addr);
    if (out != NULL && !want_code)
        printf("%s\n", _("A committee or hub device is enrolled by file only, never by code."));
    printf("%s\n", _("Keep the file and the code secret until the device has used them."));
    return CS_EXIT_OK;
}
