/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd recovery-key new FILE`: the district's recovery key pair for
 * encrypted backups, in the age format (cellsync/age.h). FILE is the
 * secret identity in age-keygen's layout (0600, never over an existing
 * file), FILE.pub its public key. Meant to be run away from the hub, on
 * another machine or from a stick: the secret half must never be kept on
 * the hub, or a thief of hub and backups together would have both.
 */
#include <stdio.h>
#include <string.h>

#include "cellsync/age.h"
#include "cellsync/cli.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "commands.h"

static void
usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n", _("usage: cellsyncd recovery-key new FILE"),
            _("Makes a recovery key for encrypted backups: the secret key in FILE (mode\n"
              "0600, age's identity format) and its public key in FILE.pub. Run it on a\n"
              "machine other than the hub, or write FILE straight to a stick; keep FILE\n"
              "offline and locked away, and give the hub only FILE.pub (backup_recipient in\n"
              "the configuration, or 'cellsyncd backup --to FILE.pub'). 'cellsyncd restore\n"
              "--key FILE' and 'age -d -i FILE' open the backups."),
            _("options:\n"
              "  --help         show this help"));
}

int
cmd_recovery_key(int argc, char **argv)
{
    const char *sopt[CMD_STATE__COUNT];
    char err[1024], pub[CS_AGE_PUB_SIZE];
    uint8_t pk[CS_AGE_KEY_LEN];

    int first, done = cmd_args("recovery-key", argc, argv, usage, NULL, 0, NULL, sopt, &first);
    if (done != CS_CLI_GO_ON)
        return done;
    if (first == argc || strcmp(argv[first], "new") != 0)
        return cmd_usage_error("recovery-key", "%s", _("say 'new FILE'"));
    if (first + 1 == argc)
        return cmd_usage_error("recovery-key", "%s", _("give the FILE to write the key to"));
    if (first + 2 != argc)
        return cmd_usage_error("recovery-key", _("unexpected argument '%s'"), argv[first + 2]);
    const char *path = argv[first + 1];
    if (cs_age_identity_new(path, pk, err, sizeof(err)) != 0)
        return cmd_fail(_("cannot make the recovery key: %s"), err);
    cs_age_recipient_encode(pk, pub);
    printf(_("wrote the recovery secret key to '%s' and its public key to '%s.pub':\n"), path,
           path);
    printf("  %s\n", pub);
    printf(_("Carry '%s' away and keep it offline, locked away (a stick in a safe, a printout):\n"
             "it opens every backup, and it is the only thing that does. Never keep it on the\n"
             "hub. Give the hub only '%s.pub': backup_recipient = %s.pub in its configuration.\n"),
           path, path, path);
    return CS_EXIT_OK;
}
