/* SPDX-License-Identifier: MIT */
/*
 * The subcommands of cellsyncd, one cmd_<verb>.c each, and what they share
 * (defined in main.c): one way to fail, one way to refuse bad usage, and
 * the configuration file under the flags.
 */
#ifndef CELLSYNC_DAEMON_COMMANDS_H
#define CELLSYNC_DAEMON_COMMANDS_H

#include "config.h"

int cmd_init(int argc, char **argv);
int cmd_enroll(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_target(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);

/* Prints "cellsyncd: <message>" to stderr; returns CS_EXIT_FAILURE. */
int cmd_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Prints "cellsyncd: <cmd>: <message>" and where to find the options to
 * stderr; returns CS_EXIT_USAGE.
 */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The configuration under the flags: the defaults, then config_path (or
 * CONF_DEFAULT_PATH when NULL; only a file named with --config must
 * exist), then state when set. Prints the failure; 0 or CS_EXIT_FAILURE.
 */
int cmd_config(struct conf *c, const char *config_path, const char *state);

/* getopt_long's view of a bad option, as a usage error of cmd (CS_EXIT_USAGE). */
int cmd_bad_option(const char *cmd, int ch, char **argv);

/*
 * The options of a command that takes only --state, --config and --help.
 * Returns -1 to go on (its operands start at argv[*first]), or the exit
 * code to return at once (--help shown, or a bad option).
 */
int cmd_state_args(const char *cmd, int argc, char **argv, void (*usage)(FILE *),
                   const char **state, const char **config, int *first);

#endif
