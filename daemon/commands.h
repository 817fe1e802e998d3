/* SPDX-License-Identifier: MIT */
/*
 * The subcommands of cellsyncd, one cmd_<verb>.c each, and what they share
 * (defined in main.c): one way to fail, one way to refuse bad usage, and
 * the configuration file under the flags.
 */
#ifndef CELLSYNC_DAEMON_COMMANDS_H
#define CELLSYNC_DAEMON_COMMANDS_H

#include <stdio.h>

#include "cellsync/cli.h"
#include "config.h"

int cmd_init(int argc, char **argv);
int cmd_enroll(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_target(int argc, char **argv);
int cmd_holiday(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_recovery_key(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_upstream(int argc, char **argv);
/* cmd_records.c: the records the hub holds, as a cell's device has them. */
int cmd_conflicts(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_member(int argc, char **argv);

/* Prints "cellsyncd: <message>" to stderr; returns CS_EXIT_FAILURE. */
int cmd_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Prints "cellsyncd: <cmd>: <message>" and where to find the options to
 * stderr; returns CS_EXIT_USAGE.
 */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --state DIR and --config FILE, which every command but serve takes. */
enum { CMD_STATE, CMD_CONFIG, CMD_STATE__COUNT };

/*
 * Parses a command's options: its own (opts, values into ov; none: NULL,
 * 0, NULL) and --state and --config (into st). --help prints usage to
 * stdout. Returns CS_CLI_GO_ON with the operands from argv[*rest], or the
 * exit code to return at once (help shown, or a usage error printed).
 */
int cmd_args(const char *cmd, int argc, char **argv, void (*usage)(FILE *),
             const struct cs_cli_opt *opts, size_t nopts, const char **ov,
             const char *st[CMD_STATE__COUNT], int *rest);

/*
 * The configuration under the flags: the defaults, then --config (or
 * CONF_DEFAULT_PATH when not given; only a file named with --config must
 * exist), then --state when given. Prints the failure; 0 or
 * CS_EXIT_FAILURE.
 */
int cmd_config(struct conf *c, const char *const st[CMD_STATE__COUNT]);

#endif
