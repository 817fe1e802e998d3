/* SPDX-License-Identifier: MIT */
/*
 * The subcommand dispatcher both binaries use, so that help, version and
 * usage errors look and exit the same in the field client and the daemon.
 */
#include <stdio.h>
#include <string.h>

#include "cellsync/cli.h"
#include "cellsync/error.h"
#include "cellsync/version.h"

static int
is_help(const char *s)
{
    return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0;
}

static void
show_usage(const struct cs_cli *cli, FILE *f)
{
    fprintf(f, "usage: %s [--version] [--help] <command> [<args>]\n\n%s\n\ncommands:\n", cli->prog,
            cli->about);
    for (size_t i = 0; i < cli->ncmds; i++)
        fprintf(f, "  %-10s %s\n", cli->cmds[i].name, cli->cmds[i].summary);
    fprintf(f, "\nRun '%s help <command>' for the options of one command.\n", cli->prog);
}

static const struct cs_cmd *
find_cmd(const struct cs_cli *cli, const char *name)
{
    for (size_t i = 0; i < cli->ncmds; i++)
        if (strcmp(cli->cmds[i].name, name) == 0)
            return &cli->cmds[i];
    return NULL;
}

void
cs_cli_cmd_usage(const struct cs_cli *cli, const struct cs_cmd *c, FILE *f)
{
    fprintf(f, "usage: %s %s%s%s\n\n%s\n", cli->prog, c->name, c->usage[0] ? " " : "", c->usage,
            c->summary);
}

static int
unknown(const struct cs_cli *cli, const char *name)
{
    fprintf(stderr, "%s: unknown command '%s'\n\n", cli->prog, name);
    show_usage(cli, stderr);
    return CS_EXIT_USAGE;
}

int
cs_cli_main(const struct cs_cli *cli, int argc, char **argv)
{
    if (argc < 2) {
        show_usage(cli, stderr);
        return CS_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (is_help(name) || strcmp(name, "help") == 0) {
        if (argc < 3 || is_help(name)) {
            show_usage(cli, stdout);
            return CS_EXIT_OK;
        }
        const struct cs_cmd *c = find_cmd(cli, is_help(argv[2]) ? "help" : argv[2]);
        if (c == NULL)
            return unknown(cli, argv[2]);
        cs_cli_cmd_usage(cli, c, stdout);
        return CS_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        if (argc > 2) {
            fprintf(stderr, "usage: %s %s\n", cli->prog, name);
            return CS_EXIT_USAGE;
        }
        printf("%s %s\n", cli->prog, CS_VERSION_STRING);
        return CS_EXIT_OK;
    }
    const struct cs_cmd *c = find_cmd(cli, name);
    if (c == NULL)
        return unknown(cli, name);
    if (argc > 2 && is_help(argv[2])) {
        cs_cli_cmd_usage(cli, c, stdout);
        return CS_EXIT_OK;
    }
    int ret = cs_init();
    if (ret != 0) {
        fprintf(stderr, "%s: cannot start: %s\n", cli->prog, cs_strerror(ret));
        return CS_EXIT_FAILURE;
    }
    return c->fn(argc - 1, argv + 1);
}
