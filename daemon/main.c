/* SPDX-License-Identifier: MIT */
/*
 * cellsyncd, the hub daemon. The table below is the whole command set;
 * each command lives in its own cmd_<verb>.c. What every command shares
 * (failing, usage errors, its options, the configuration file) is here too.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cellsync/cli.h"
#include "cellsync/i18n.h"
#include "commands.h"

static const struct cs_cmd commands[] = {
    {"init", cmd_init, N_("create the hub: its key, its record store and the org tree it serves"),
     "--org-tree FILE.csv | --upstream FILE.enroll [--state DIR] [--config FILE]"},
    {"enroll", cmd_enroll, N_("make a one-time enrollment file and short code for a device"),
     "--org ID --role cell|committee|hub --name TEXT --out FILE [--addr HOST:PORT] [--days N]"},
    {"devices", cmd_devices, N_("list the enrolled devices"),
     "[--json] [--state DIR] [--config FILE]"},
    {"revoke", cmd_revoke, N_("revoke a device so that it can no longer sync"),
     "DEVICE [--state DIR] [--config FILE]"},
    {"target", cmd_target, N_("set a unit's admission target for a year"),
     "--org ID --year YEAR --admissions N [--students N] [--non-state N]"},
    {"conflicts", cmd_conflicts, N_("list the fields two devices edited at once, or resolve one"),
     "list [--json] | resolve CONFLICT [RECORD] --pick current|other | --value TEXT"},
    {"search", cmd_search, N_("find candidates, members and meetings by words of their records"),
     "[--json] TEXT... [--state DIR] [--config FILE]"},
    {"member", cmd_member, N_("add a member to a cell (one who transfers in, for example)"),
     "add --org CELL --name NAME [<field options>] [--state DIR] [--config FILE]"},
    {"holiday", cmd_holiday, N_("set the days off the government announces each year"),
     "add DATE NAME [--working] | remove DATE | list [--year YEAR] [--json]"},
    {"import", cmd_import, N_("merge USB-stick bundles from devices and write their replies"),
     "FILE... [--reply-dir DIR] [--state DIR] [--config FILE]"},
    {"report", cmd_report, N_("report on targets, candidates, deadlines, members and devices"),
     "KIND [--org ID] [--year YEAR] [--format table|json|csv|html] [--out FILE]"},
    {"serve", cmd_serve, N_("run the hub: accept live syncs from enrolled devices"),
     "[--state DIR] [--listen ADDR:PORT] [--config FILE]"},
    {"check", cmd_check, N_("check the configuration, keys, replica and port before serving"),
     "[--state DIR] [--config FILE]"},
    {"audit", cmd_audit, N_("verify the audit trail: its hash chain and the kept signatures"),
     "verify [--state DIR] [--config FILE]"},
    {"backup", cmd_backup,
     N_("back up the hub's state (replica and keys), encrypted, while it serves"),
     "[--to RECIPIENT] OUT.age | --unencrypted DIR [--state DIR] [--config FILE]"},
    {"restore", cmd_restore, N_("put a backup back as the hub's state (not while serving)"),
     "--key RECOVERY_KEY BACKUP.age | DIR [--state DIR] [--config FILE]"},
    {"recovery-key", cmd_recovery_key,
     N_("make the offline recovery key pair that backups are encrypted to"), "new FILE"},
    {"key", cmd_key, N_("rotate the hub key (signed by the old one), or delete retired keys"),
     "rotate | retire-old [--force]"},
    {"upstream", cmd_upstream,
     N_("sync with the hub above (a commune's with its province), now or by USB stick"),
     "sync|status|export FILE|import FILE"},
    {"help", NULL, N_("show help for cellsyncd or one of its commands"), "[<command>]"},
    {"version", NULL, N_("print the version"), ""},
};

static const struct cs_cli cli = {
    "cellsyncd",
    N_("The hub daemon: merges the change sets of the cells it serves and sends\n"
       "the hub's changes back, over TCP or on USB-stick bundles."),
    commands,
    sizeof(commands) / sizeof(commands[0]),
};

int
cmd_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("cellsyncd: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CS_EXIT_FAILURE;
}

int
cmd_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int ret = cs_cli_vusage_error("cellsyncd", cmd, fmt, ap);
    va_end(ap);
    return ret;
}

/* The options every command but serve takes besides its own (their help is each command's). */
static const struct cs_cli_opt state_opts[CMD_STATE__COUNT] = {
    [CMD_STATE] = {"state", 1, NULL},
    [CMD_CONFIG] = {"config", 1, NULL},
};

int
cmd_args(const char *cmd, int argc, char **argv, void (*usage)(FILE *),
         const struct cs_cli_opt *opts, size_t nopts, const char **ov,
         const char *st[CMD_STATE__COUNT], int *rest)
{
    struct cs_cli_group g[] = {{opts, nopts, ov}, {state_opts, CMD_STATE__COUNT, st}};
    int help, ret;

    if ((ret = cs_cli_parse("cellsyncd", cmd, argc, argv, g, 2, &help, rest)) != 0)
        return ret;
    if (!help)
        return CS_CLI_GO_ON;
    usage(stdout);
    return CS_EXIT_OK;
}

int
cmd_config(struct conf *c, const char *const st[CMD_STATE__COUNT])
{
    const char *config_path = st[CMD_CONFIG], *state = st[CMD_STATE];
    char err[1024];

    conf_defaults(c);
    if (conf_load(c, config_path ? config_path : CONF_DEFAULT_PATH, config_path != NULL, err,
                  sizeof(err)) != 0)
        return cmd_fail("%s", err);
    if (state != NULL)
        snprintf(c->state, sizeof(c->state), "%s", state);
    return 0;
}

int
main(int argc, char **argv)
{
    return cs_cli_main(&cli, argc, argv);
}
