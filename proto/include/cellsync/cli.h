/* SPDX-License-Identifier: MIT */
/*
 * Subcommand dispatch shared by `cellsync` and `cellsyncd`: a table of
 * {name, fn, summary}, `PROG help [CMD]`, `PROG CMD --help`, `--version`.
 * Each command gets its own argv (argv[0] is its name). Exit codes follow
 * STYLE.md: 0 done, 1 failed, 2 usage error.
 */
#ifndef CELLSYNC_CLI_H
#define CELLSYNC_CLI_H

#include <stdio.h>

#define CS_EXIT_OK      0
#define CS_EXIT_FAILURE 1
#define CS_EXIT_USAGE   2

struct cs_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
    const char *usage; /* the arguments after the name, "" for none */
};

struct cs_cli {
    const char *prog;  /* "cellsync" */
    const char *about; /* a paragraph under the usage line */
    const struct cs_cmd *cmds;
    size_t ncmds;
};

/* Runs argv against the table; returns the exit code. Calls cs_init() first. */
int cs_cli_main(const struct cs_cli *cli, int argc, char **argv);

/* Prints a command's usage line and summary; used by its own --help. */
void cs_cli_cmd_usage(const struct cs_cli *cli, const struct cs_cmd *c, FILE *f);

#endif
