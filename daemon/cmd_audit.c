/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd audit verify`: walks the hub's audit trail, a hash chain keyed
 * with a subkey of hub.key (audit.c), checks each entry's link and hash and
 * the signature of every change set kept with it, and names the first entry
 * that does not hold. Exit 0 when the whole trail holds, 1 when it does not.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cellsync/cli.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "commands.h"
#include "hub.h"

static void
usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n", _("usage: cellsyncd audit verify [--state DIR] [--config FILE]"),
            _("Checks the hub's audit trail, the record of every change set it accepted or\n"
              "refused: each entry is chained to the one before by a hash only this hub's\n"
              "key can make, and each accepted change set kept in it must carry its\n"
              "device's signature. Names the first entry that does not hold (changed,\n"
              "removed or inserted by hand)."),
            _("options:\n"
              "  --state DIR    the state directory (default /var/lib/cellsyncd)\n"
              "  --config FILE  the configuration file (default /etc/cellsync/cellsyncd.conf)\n"
              "  --help         show this help"));
}

int
cmd_audit(int argc, char **argv)
{
    const char *sopt[CMD_STATE__COUNT];
    struct hub_audit_check c;
    struct conf conf;
    struct hub *h = NULL;
    char err[1024] = "";

    int first, done = cmd_args("audit", argc, argv, usage, NULL, 0, NULL, sopt, &first);
    if (done != CS_CLI_GO_ON)
        return done;
    if (first == argc)
        return cmd_usage_error("audit", "%s", _("give what to do: verify"));
    if (strcmp(argv[first], "verify") != 0)
        return cmd_usage_error("audit", _("'%s' is not verify"), argv[first]);
    if (first + 1 != argc)
        return cmd_usage_error("audit", _("unexpected argument '%s'"), argv[first + 1]);
    if (cmd_config(&conf, sopt) != 0)
        return CS_EXIT_FAILURE;
    if (hub_open(&h, conf.state, err, sizeof(err)) != 0)
        return cmd_fail("%s", err);
    int ret = hub_audit_verify(h, &c, err, sizeof(err));
    hub_close(h);
    if (ret != 0)
        return cmd_fail("%s", err);
    if (c.broken_id != 0) {
        char when[32] = "";
        time_t t = (time_t)c.broken_at;
        struct tm tm;
        if (localtime_r(&t, &tm) != NULL)
            strftime(when, sizeof(when), "%d/%m/%Y %H:%M:%S", &tm);
        return cmd_fail(_("the audit trail is broken at entry %lld (%s): %s; the entries before "
                          "it (%lld) hold"),
                        (long long)c.broken_id, when, c.why, (long long)c.entries - 1);
    }
    printf(_("the audit trail holds: %lld entries chained, %lld signatures of change sets "
             "checked\n"),
           (long long)c.entries, (long long)c.signatures);
    return CS_EXIT_OK;
}
