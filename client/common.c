/* SPDX-License-Identifier: MIT */
/*
 * What every cellsync command goes through (see client.h): messages, the
 * options of a command and its sub-verbs with their --help, and the due
 * list's warning. The data directory is in home.c, fields in fields.c,
 * records in records.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cellsync/codes.h"
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

/* The options of a command or verb for its --help: the entity's fields, the others, --help. */
static void
print_options(FILE *f, const struct entity *e, const struct cs_cli_opt *opts, size_t nopts)
{
    fprintf(f, "\n%s\n", _("options:"));
    for (size_t i = 0; e != NULL && i < e->nfields; i++) {
        const struct field *fd = &e->fields[i];
        char arg[1024] = "TEXT"; /* room for every choice of a list, with its label */
        if (fd->type == FT_DATE)
            snprintf(arg, sizeof(arg), "%s", "DD/MM/YYYY");
        else if (fd->type == FT_CODE)
            cs_code_choices_text(fd->arg, arg, sizeof(arg));
        else if (fd->type == FT_REF)
            snprintf(arg, sizeof(arg), "%s", "ID");
        else if (fd->type == FT_INT)
            snprintf(arg, sizeof(arg), "%s", "N");
        fprintf(f, "  --%s %s\n      %s\n", fd->opt, fd->type == FT_CODE ? "CODE" : arg,
                _(fd->label));
        if (fd->type == FT_CODE)
            fprintf(f, "      %s\n", arg);
    }
    cs_cli_print_options(f, opts, nopts);
    if (e != NULL && fields_person(e))
        cs_cli_print_options(f, &fields_duplicate_opt, 1);
    cs_cli_print_options(f, help_opt, 1);
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

static void
verbs_usage(FILE *f, const char *cmd, const struct verb *verbs, size_t n)
{
    fprintf(f, _("usage: cellsync %s <verb> [<options>]\n\nverbs:\n"), cmd);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-10s %s\n", verbs[i].name, _(verbs[i].summary));
    fprintf(f, _("\nRun 'cellsync %s <verb> --help' for the options of one verb.\n"), cmd);
}

int
run_verbs(const char *cmd, const struct verb *verbs, size_t n, int argc, char **argv)
{
    if (argc < 2) {
        verbs_usage(stderr, cmd, verbs, n);
        return CS_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        verbs_usage(stdout, cmd, verbs, n);
        return CS_EXIT_OK;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(verbs[i].name, argv[1]) == 0)
            return run_verb(cmd, &verbs[i], argc - 1, argv + 1);
    client_usage(_("%s: unknown verb '%s'"), cmd, argv[1]);
    verbs_usage(stderr, cmd, verbs, n);
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
    if ((ret = cs_cli_parse("cellsync", what, argc, argv, g, ng, &help, &rest)) != 0)
        return ret;
    if (help) {
        printf(_("usage: cellsync %s [<options>]%s%s\n\n%s\n"), what, v->operands[0] ? " " : "",
               v->operands, _(v->summary));
        print_options(stdout, v->e, v->opts, v->nopts);
        return CS_EXIT_OK;
    }
    int nops = argc - rest;
    if (nops < v->min_operands)
        return client_usage(_("%s: missing %s (see 'cellsync %s --help')"), what, v->operands,
                            what);
    if (nops > v->max_operands)
        return client_usage(_("%s: unexpected argument '%s'"), what, argv[rest + v->max_operands]);
    if ((ret = client_open(&c)) != 0)
        return ret;
    c.duplicate_ok = dup != NULL;
    struct verb_args a = {fv, ov, nops, argv + rest};
    ret = v->fn(&c, &a);
    client_close(&c);
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
