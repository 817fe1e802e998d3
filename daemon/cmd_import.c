/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd import`: the commune office's end of the USB stick. Each
 * bundle a cell exported is merged (import.c: checked whole first, then
 * served as a live session serves a device) and answered with a reply
 * bundle for that device. One bad bundle on a stick does not hold back the
 * others: it is reported with its reason and the rest still go in.
 */
#include <stdio.h>

#include "cellsync/cli.h"
#include "cellsync/error.h"
#include "cellsync/file.h"
#include "cellsync/i18n.h"
#include "commands.h"
#include "hub.h"
#include "import.h"

static void
usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n",
            _("usage: cellsyncd import FILE... [--reply-dir DIR] [--quiet] [--state DIR]\n"
              "  [--config FILE]"),
            _("Merges bundles written by 'cellsync bundle export' (a stick may carry several\n"
              "cells' bundles) and writes for each device a reply for 'cellsync bundle\n"
              "import', named after its unit, its name and its short id\n"
              "('CB-01_may-pho-bi-thu_1a2b3c4d.reply'). One line per bundle says which unit\n"
              "and device it came from, how many changes were taken and refused, and a total\n"
              "ends the list. A bundle that is cut short, altered, meant for another hub, of\n"
              "a newer format, or from an unknown or revoked device is refused with its\n"
              "reason and changes nothing; the others still go in. Importing a bundle again\n"
              "changes nothing. While 'cellsyncd serve' runs, its inbox (see the\n"
              "configuration file) does the same."),
            _("options:\n"
              "  --reply-dir DIR  where to write the replies (default: beside each bundle)\n"
              "  --quiet          no line per bundle and no total, only refusals and errors\n"
              "  --state DIR      the state directory (default /var/lib/cellsyncd)\n"
              "  --config FILE    the configuration file"));
}

/*
 * One line per bundle: which unit and device it came from (by the name it
 * was enrolled with, and its short id), what came in, and what goes back;
 * numbered when the stick carries several.
 */
static void
summary(const char *path, const struct hub_import *r, size_t i, size_t n)
{
    char who[256];
    if (r->name[0] != 0)
        snprintf(who, sizeof(who), _("unit %s, device %s (%s)"), r->org, r->name, r->device);
    else
        snprintf(who, sizeof(who), _("unit %s, device %s"), r->org, r->device);
    if (n > 1)
        printf("[%zu/%zu] ", i, n);
    if (r->applied == 0 && r->refused_changes == 0)
        printf(_("nothing new in '%s' from %s; reply '%s' with %zu changes\n"), path, who, r->reply,
               r->down_changes);
    else
        printf(_("imported '%s' from %s: %zu new changes, %zu refused, %zu conflicts, %zu of %zu "
                 "chunks already here; reply '%s' with %zu changes\n"),
               path, who, r->applied, r->refused_changes, r->conflicts, r->old_chunks, r->chunks,
               r->reply, r->down_changes);
    /* Line by line as each bundle is done, even into a pipe: a stick of 30 takes a while. */
    fflush(stdout);
}

int
cmd_import(int argc, char **argv)
{
    enum { OPT_REPLY_DIR, OPT_QUIET, OPT__COUNT };
    static const struct cs_cli_opt opts[OPT__COUNT] = {
        [OPT_REPLY_DIR] = {"reply-dir", 1, NULL}, [OPT_QUIET] = {"quiet", 0, NULL}};
    const char *ov[OPT__COUNT], *sopt[CMD_STATE__COUNT];
    struct conf conf;
    struct hub *h = NULL;
    char err[1024] = "";
    int first;

    int ret = cmd_args("import", argc, argv, usage, opts, OPT__COUNT, ov, sopt, &first);
    if (ret != CS_CLI_GO_ON)
        return ret;
    if (first == argc)
        return cmd_usage_error("import", "%s", _("give at least one bundle FILE"));
    const char *reply_dir = ov[OPT_REPLY_DIR];
    if (cmd_config(&conf, sopt) != 0)
        return CS_EXIT_FAILURE;
    if (hub_open(&h, conf.state, err, sizeof(err)) != 0)
        return cmd_fail("%s", err);
    /* Made before any bundle is merged: a reply with nowhere to go would come after the merge. */
    if (reply_dir != NULL && (ret = cs_file_mkdirs(reply_dir, 0700)) != 0) {
        hub_close(h);
        return cmd_fail(_("cannot create '%s': %s"), reply_dir, cs_strerror(ret));
    }
    cs_replica_set_max_drift(hub_replica(h), (uint64_t)conf.max_drift_minutes * 60 * 1000);

    size_t done = 0, refused = 0, failed = 0, taken = 0, not_taken = 0;
    size_t n = (size_t)(argc - first);
    int quiet = ov[OPT_QUIET] != NULL;
    for (int i = first; i < argc; i++) {
        struct hub_import r;
        int rc = hub_import(h, argv[i], reply_dir, NULL, &r, err, sizeof(err));
        /* As `cellsyncd serve` logs it: the device's cursor counted in another incarnation. */
        if (r.restored[0])
            fprintf(stderr, "cellsyncd: info event=restored-hub device=%s file=\"%s\" %s\n",
                    r.device, argv[i], r.restored);
        if (rc == 0) {
            if (!quiet)
                summary(argv[i], &r, (size_t)(i - first) + 1, n);
            taken += r.applied;
            not_taken += r.refused_changes;
            done++;
        } else if (r.refused) {
            cmd_fail(_("bundle refused: %s"), err);
            refused++;
        } else {
            cmd_fail("%s", err);
            failed++;
        }
    }
    hub_close(h);
    if (n > 1 && !quiet)
        printf(_("%zu bundles imported, %zu refused, %zu failed: %zu changes taken, %zu refused\n"),
               done, refused, failed, taken, not_taken);
    return refused + failed == 0 ? CS_EXIT_OK : CS_EXIT_FAILURE;
}
