/* SPDX-License-Identifier: MIT */
/*
 * What every cellsync command goes through (see client.h): messages, the
 * options of a command and its sub-verbs with their --help, and the due
 * list's warning. The data directory is in home.c, fields in fields.c,
 * records in records.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "client.h"

/* ---- messages ---- */

static void vmsg(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static void
vmsg(const char *fmt, va_list ap)
{
    fputs("cellsync: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int
client_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    return CS_EXIT_FAILURE;
}

int
client_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    return CS_EXIT_USAGE;
}

/* ---- options ---- */

static const struct cs_cli_opt help_opt[] = {{"help", 0, N_("show this help")}};

/*
 * What the value of each option is, for --help, by the option's name (one
 * name has one meaning in every command): a word for it, and the code list
 * it is one of, listed under it. An option not here shows VALUE.
 */
static const struct {
    const char *opt, *arg, *codes;
} option_args[] = {
    {"date", "DD/MM/YYYY", NULL},
    {"youth-union-resolution", "DD/MM/YYYY", NULL},
    {"to", "STAGE", "stage"},
    {"stage", "STAGE", "stage"},
    {"status", "STATUS", "member_status"},
    {"helper", "NAME|ID", NULL},
    {"sponsor", "NAME|ID", NULL},
    {"sponsor2", "NAME|ID", NULL},
    {"sponsor1-months", "MONTHS", NULL},
    {"sponsor2-months", "MONTHS", NULL},
    {"reason", "TEXT", NULL},
    {"strengths", "TEXT", NULL},
    {"weaknesses", "TEXT", NULL},
    {"next-steps", "TEXT", NULL},
    {"value", "TEXT", NULL},
    {"pick", "current|other", NULL},
    {"org", "UNIT", NULL},
    {"year", "YYYY", NULL},
    {"hub", "HOST[:PORT]", NULL},
    {"code", "CODE", NULL},
    {"name", "NAME", NULL},
    {"out", "FILE", NULL},
    {"format", "table|json|csv|html|xlsx", NULL},
    {"delimiter", ",|;|tab", NULL},
    {"section", "NAME", NULL},
    {"within", "DAYS", NULL},
    {"timeout", "SECONDS", NULL},
};

/* The options of a table that have help, each with what its value is. */
static void
print_opts(FILE *f, const struct cs_cli_opt *opts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *arg = "VALUE", *codes = NULL;
        if (opts[i].help == NULL)
            continue;
        for (size_t k = 0; k < sizeof(option_args) / sizeof(option_args[0]); k++)
            if (strcmp(option_args[k].opt, opts[i].name) == 0) {
                arg = option_args[k].arg;
                codes = option_args[k].codes;
            }
        fprintf(f, "  --%s%s%s\n      %s\n", opts[i].name, opts[i].has_arg ? " " : "",
                opts[i].has_arg ? arg : "", _(opts[i].help));
        if (codes != NULL) {
            char list[512];
            cs_code_list_text(codes, list, sizeof(list));
            fprintf(f, "      (%s)\n", list);
        }
    }
}

/* The options of a command or verb for its --help: the entity's fields, the others, --help. */
static void
print_options(FILE *f, const struct entity *e, const struct cs_cli_opt *opts, size_t nopts)
{
    fprintf(f, "\n%s\n", _("options:"));
    if (e != NULL)
        fields_help(f, e);
    print_opts(f, opts, nopts);
    if (e != NULL && fields_person(e))
        print_opts(f, &fields_duplicate_opt, 1);
    print_opts(f, help_opt, 1);
}

int
client_args(const char *cmd, const char *usage, const char *about, int argc, char **argv,
            const struct cs_cli_opt *opts, size_t nopts, const char **ov, int *rest)
{
    struct cs_cli_group g = {opts, nopts, ov};
    int help, ret;

    if ((ret = cs_cli_parse("cellsync", cmd, argc, argv, &g, 1, &help, rest)) != 0)
        return ret;
    if (!help)
        return CS_CLI_GO_ON;
    printf("%s\n\n%s\n", usage, about);
    print_options(stdout, NULL, opts, nopts);
    return CS_EXIT_OK;
}

/* ---- sub-verbs ---- */

/* A verb's --help: its usage line, what it does, its options; what = "candidate add". */
static void
verb_help(FILE *f, const char *what, const struct verb *v)
{
    fprintf(f, _("usage: cellsync %s [<options>]%s%s\n\n%s\n"), what, v->operands[0] ? " " : "",
            v->operands, _(v->summary));
    /* Operands that name records: "ID", "MEETING MEMBER". */
    if (strstr(v->operands, "ID") != NULL || strstr(v->operands, "MEMBER") != NULL ||
        strstr(v->operands, "CANDIDATE") != NULL)
        /* TRANSLATORS: the operands as in the usage line ("ID", "MEETING MEMBER"), kept as is. */
        fprintf(f,
                _("%s: a record's id as lists show it (or its start), or a person's full name\n"),
                v->operands);
    print_options(f, v->e, v->opts, v->nopts);
}

/* The verbs of a command; with all, each verb's help after the list (--help). */
static void
verbs_usage(FILE *f, const char *cmd, const struct verb *verbs, size_t n, int all)
{
    fprintf(f, _("usage: cellsync %s <verb> [<options>]\n\nverbs:\n"), cmd);
    int wide = 10; /* the summaries in one column, after the longest verb */
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(verbs[i].name) > wide)
            wide = (int)strlen(verbs[i].name);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-*s %s\n", wide, verbs[i].name, _(verbs[i].summary));
    if (!all) {
        fprintf(f, _("\nRun 'cellsync %s <verb> --help' for the options of one verb.\n"), cmd);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char what[64];
        snprintf(what, sizeof(what), "%s %s", cmd, verbs[i].name);
        fputc('\n', f);
        verb_help(f, what, &verbs[i]);
    }
}

int
run_verbs(const char *cmd, const struct verb *verbs, size_t n, int argc, char **argv)
{
    if (argc < 2) {
        verbs_usage(stderr, cmd, verbs, n, 0);
        return CS_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        verbs_usage(stdout, cmd, verbs, n, 1);
        return CS_EXIT_OK;
    }
    struct cs_cli_near near;
    cs_cli_near_init(&near, argv[1]);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(verbs[i].name, argv[1]) == 0)
            return run_verb(cmd, &verbs[i], argc - 1, argv + 1);
        cs_cli_near_add(&near, verbs[i].name);
    }
    const char *best = cs_cli_near_best(&near);
    if (best == NULL) {
        client_usage(_("%s: unknown verb '%s'"), cmd, argv[1]);
        verbs_usage(stderr, cmd, verbs, n, 0);
    } else {
        /* TRANSLATORS: the command, the verb typed, the verb it is near. */
        client_usage(_("%s: unknown verb '%s'; did you mean '%s'?"), cmd, argv[1], best);
        fprintf(stderr, _("Run 'cellsync %s --help' for its verbs and their options.\n"), cmd);
    }
    return CS_EXIT_USAGE;
}

int
run_verb(const char *cmd, const struct verb *v, int argc, char **argv)
{
    const char *fv[CS_CLI_OPT_MAX], *ov[CS_CLI_OPT_MAX];
    struct cs_cli_opt fields[CS_CLI_OPT_MAX];
    size_t nf = v->e != NULL ? v->e->nfields : 0;
    struct client c;
    char what[64];
    int help, rest, ret;

    snprintf(what, sizeof(what), "%s%s%s", cmd, v->name ? " " : "", v->name ? v->name : "");
    if (nf > CS_CLI_OPT_MAX || v->nopts > CS_CLI_OPT_MAX)
        return client_fail(_("%s: too many options"), what);
    for (size_t i = 0; i < nf; i++)
        fields[i] = (struct cs_cli_opt){v->e->fields[i].opt, 1, NULL};
    const char *dup = NULL;
    struct cs_cli_group g[] = {
        {fields, nf, fv}, {v->opts, v->nopts, ov}, {&fields_duplicate_opt, 1, &dup}};
    int ng = v->e != NULL && fields_person(v->e) ? 3 : 2;
    /* getopt_long() moves the operands after the options: keep the order they were typed in. */
    char **typed = calloc((size_t)argc + 1, sizeof(*typed));
    if (typed == NULL)
        return client_fail("%s", cs_strerror(CS_ENOMEM));
    memcpy(typed, argv, (size_t)argc * sizeof(*typed));
    ret = cs_cli_parse("cellsync", what, argc, argv, g, ng, &help, &rest);
    if (ret != 0)
        goto out;
    int nops = argc - rest;
    if (help) {
        verb_help(stdout, what, v);
        ret = CS_EXIT_OK;
    } else if (nops < v->min_operands) {
        ret = client_usage(_("%s: missing %s (see 'cellsync %s --help')"), what, v->operands, what);
    } else if (nops > v->max_operands) {
        ret = client_usage(_("%s: unexpected argument '%s'"), what, argv[rest + v->max_operands]);
    } else if ((ret = client_open(&c)) == 0) {
        c.duplicate_ok = dup != NULL;
        struct verb_args a = {fv, ov, nops, argv + rest, argc, typed};
        ret = v->fn(&c, &a);
        client_close(&c);
    }
out:
    free(typed);
    return ret;
}

/* ---- the due list ---- */

void
client_due_skipped(void *ud, const struct cs_id *id)
{
    char shrt[CS_ID_SHORT_LEN + 1];
    (void)ud;
    cs_id_short(id, shrt);
    client_fail(_("candidate %s: its dates are out of range; it is left out of the deadlines"),
                shrt);
}
