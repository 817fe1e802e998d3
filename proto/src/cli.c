/* SPDX-License-Identifier: MIT */
/*
 * The subcommand dispatcher both binaries use, so that help, version and
 * usage errors look and exit the same in the field client and the daemon.
 */
#include <stdio.h>
#include <string.h>

#include "cellsync/cli.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/version.h"

static int
is_help(const char *s)
{
    return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0;
}

static void
show_usage(const struct cs_cli *cli, FILE *f)
{
    /* The tables hold N_() literals: they are translated here, as printed. */
    /* TRANSLATORS: %s is the program; the options keep their English names. */
    fprintf(f, _("usage: %s [--version] [--help] <command> [<args>]"), cli->prog);
    fprintf(f, "\n\n%s\n\n%s\n", _(cli->about), _("commands:"));
    for (size_t i = 0; i < cli->ncmds; i++)
        fprintf(f, "  %-10s %s\n", cli->cmds[i].name, _(cli->cmds[i].summary));
    fputc('\n', f);
    /* TRANSLATORS: '%s help' is typed as is: translate only <command>. */
    fprintf(f, _("Run '%s help <command>' for the options of one command."), cli->prog);
    fputc('\n', f);
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
    /* TRANSLATORS: program, command, a space or nothing, the command's arguments. */
    fprintf(f, _("usage: %s %s%s%s"), cli->prog, c->name, c->usage[0] ? " " : "", c->usage);
    fprintf(f, "\n\n%s\n", _(c->summary));
}

static int
unknown(const struct cs_cli *cli, const char *name)
{
    fprintf(stderr, _("%s: unknown command '%s'"), cli->prog, name);
    fputs("\n\n", stderr);
    show_usage(cli, stderr);
    return CS_EXIT_USAGE;
}

int
cs_cli_main(const struct cs_cli *cli, int argc, char **argv)
{
    cs_i18n_init();
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
            /* TRANSLATORS: the program and "version" or "--version". */
            fprintf(stderr, _("usage: %s %s"), cli->prog, name);
            fputc('\n', stderr);
            return CS_EXIT_USAGE;
        }
        printf("%s %s\n", cli->prog, CS_VERSION_STRING);
        return CS_EXIT_OK;
    }
    const struct cs_cmd *c = find_cmd(cli, name);
    if (c == NULL)
        return unknown(cli, name);
    /* `PROG CMD --help` is the command's own: it knows its options. */
    int ret = cs_init();
    if (ret != 0) {
        fprintf(stderr, _("%s: cannot start: %s"), cli->prog, cs_strerror(ret));
        fputc('\n', stderr);
        return CS_EXIT_FAILURE;
    }
    return c->fn(argc - 1, argv + 1);
}
