/* SPDX-License-Identifier: MIT */
/*
 * The subcommand dispatcher and the option parser both binaries use, so
 * that help, version, options and usage errors look and exit the same in
 * the field client and the daemon.
 */
#include <getopt.h>
#include <sys/prctl.h>
#include <sys/stat.h>
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

/* A command typed wrong: the one it was near, or else the whole usage. */
static int
unknown(const struct cs_cli *cli, const char *name)
{
    struct cs_cli_near near;
    cs_cli_near_init(&near, name);
    for (size_t i = 0; i < cli->ncmds; i++)
        cs_cli_near_add(&near, cli->cmds[i].name);
    const char *best = cs_cli_near_best(&near);
    fprintf(stderr, _("%s: unknown command '%s'"), cli->prog, name);
    if (best != NULL) {
        fputs("; ", stderr);
        /* TRANSLATORS: a command or verb name, as typed. */
        fprintf(stderr, _("did you mean '%s'?"), best);
        fputc('\n', stderr);
        /* TRANSLATORS: the program, as in 'cellsync help'. */
        fprintf(stderr, _("Run '%s help' for the list of commands."), cli->prog);
        fputc('\n', stderr);
    } else {
        fputs("\n\n", stderr);
        show_usage(cli, stderr);
    }
    return CS_EXIT_USAGE;
}

int
cs_cli_main(const struct cs_cli *cli, int argc, char **argv)
{
    /*
     * Both programs hold keys and members' records (F18 of the security
     * review): what they create is their user's alone (databases, keys,
     * reports: 0600, directories 0700), and no core dump of theirs holds a
     * key (nor can another process of the user attach to read one).
     */
    umask(077);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
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
        if (c->fn == NULL) {
            cs_cli_cmd_usage(cli, c, stdout);
            return CS_EXIT_OK;
        }
        /* `PROG help CMD` is `PROG CMD --help`: the command knows its verbs and options. */
        char *help_argv[] = {(char *)c->name, "--help", NULL};
        return c->fn(2, help_argv);
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

/* ---- options ---- */

int
cs_cli_vusage_error(const char *prog, const char *cmd, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: %s: ", prog, cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    /* TRANSLATORS: the program and the command, as in 'cellsyncd enroll --help'. */
    fprintf(stderr, _("Run '%s %s --help' for its options."), prog, cmd);
    fputc('\n', stderr);
    return CS_EXIT_USAGE;
}

int
cs_cli_usage_error(const char *prog, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int ret = cs_cli_vusage_error(prog, cmd, fmt, ap);
    va_end(ap);
    return ret;
}

/* getopt_long's val for an option: its place over all groups, past any character. */
#define OPT_VAL0 1000

int
cs_cli_parse(const char *prog, const char *cmd, int argc, char **argv,
             const struct cs_cli_group *groups, size_t ngroups, int *help, int *rest)
{
    struct option lo[CS_CLI_OPT_MAX + 2];
    size_t n = 0;

    for (size_t g = 0; g < ngroups; g++) {
        for (size_t i = 0; i < groups[g].n; i++) {
            if (n == CS_CLI_OPT_MAX) {
                fprintf(stderr, "%s: %s: %s\n", prog, cmd, cs_strerror(CS_ETOOBIG));
                return CS_EXIT_FAILURE;
            }
            lo[n].name = groups[g].opts[i].name;
            lo[n].has_arg = groups[g].opts[i].has_arg ? required_argument : no_argument;
            lo[n].flag = NULL;
            lo[n].val = OPT_VAL0 + (int)n;
            n++;
            groups[g].val[i] = NULL;
        }
    }
    lo[n] = (struct option){"help", no_argument, NULL, 'h'};
    lo[n + 1] = (struct option){NULL, 0, NULL, 0};

    /* Every option is read, so that --help after a bad one still shows the help. */
    const char *bad = NULL;
    int bad_ch = 0, ch;
    *help = 0;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        if (ch == 'h') {
            *help = 1;
        } else if (ch >= OPT_VAL0 && (size_t)(ch - OPT_VAL0) < n) {
            size_t k = (size_t)(ch - OPT_VAL0), g = 0;
            while (k >= groups[g].n)
                k -= groups[g++].n;
            groups[g].val[k] = groups[g].opts[k].has_arg ? optarg : "";
        } else if (bad == NULL) {
            bad = argv[optind - 1];
            bad_ch = ch;
        }
    }
    *rest = optind;
    if (*help || bad == NULL)
        return 0;
    if (bad_ch == ':')
        return cs_cli_usage_error(prog, cmd, _("option '%s' needs a value"), bad);
    return cs_cli_usage_error(prog, cmd, _("unknown option '%s'"), bad);
}

void
cs_cli_print_options(FILE *f, const struct cs_cli_opt *opts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (opts[i].help != NULL)
            fprintf(f, "  --%s%s\n      %s\n", opts[i].name, opts[i].has_arg ? " VALUE" : "",
                    _(opts[i].help));
}

/* ---- suggestions ---- */

/* Edits from a to b (Levenshtein), counted only up to 3: more is "not near". */
static size_t
distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 32 || lb > 32 || (la > lb ? la - lb : lb - la) > 2)
        return 3;
    size_t row[33];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb] < 3 ? row[lb] : 3;
}

void
cs_cli_near_init(struct cs_cli_near *n, const char *typed)
{
    *n = (struct cs_cli_near){.typed = typed, .dist = 3};
}

void
cs_cli_near_add(struct cs_cli_near *n, const char *name)
{
    size_t len = strlen(n->typed);
    if (len > 0 && strncmp(name, n->typed, len) == 0) {
        n->prefixed = name;
        n->nprefixed++;
    }
    size_t d = distance(n->typed, name);
    if (d < n->dist && d < len) {
        n->dist = d;
        n->nearest = name;
    }
}

const char *
cs_cli_near_best(const struct cs_cli_near *n)
{
    return n->nprefixed == 1 ? n->prefixed : n->nearest;
}

int
cs_cli_number(const char *name, const char *text, enum cs_cli_number kind, long min, long max,
              long *out, char *err, size_t errlen)
{
    long v = 0;
    size_t i = 0;
    int ret = CS_EINVAL;

    /* Digits only, at most 9 of them: no overflow and nothing strtol would skip or stop at. */
    while (text != NULL && text[i] >= '0' && text[i] <= '9' && i < 9)
        v = v * 10 + (text[i++] - '0');
    if (text != NULL && i > 0 && text[i] == 0 && v >= min && v <= max) {
        *out = v;
        ret = 0;
        goto out;
    }
    if (text == NULL)
        text = "";
    switch (kind) {
    case CS_CLI_YEAR:
        cs_errf(err, errlen, CS_EINVAL, _("--%s: '%s' is not a year from %ld to %ld"), name, text,
                min, max);
        break;
    case CS_CLI_DAYS:
        cs_errf(err, errlen, CS_EINVAL, _("--%s: '%s' is not a number of days from %ld to %ld"),
                name, text, min, max);
        break;
    case CS_CLI_SECONDS:
        cs_errf(err, errlen, CS_EINVAL, _("--%s: '%s' is not a number of seconds from %ld to %ld"),
                name, text, min, max);
        break;
    case CS_CLI_MONTHS:
        cs_errf(err, errlen, CS_EINVAL, _("--%s: '%s' is not a number of months from %ld to %ld"),
                name, text, min, max);
        break;
    default:
        cs_errf(err, errlen, CS_EINVAL, _("--%s: '%s' is not a count from %ld to %ld"), name, text,
                min, max);
        break;
    }
out:
    return ret;
}
