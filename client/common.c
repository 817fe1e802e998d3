/* SPDX-License-Identifier: MIT */
/*
 * The pieces every cellsync command uses (see client.h): opening the data
 * directory, messages, field-driven options and writing, sub-verbs,
 * finding records by short id, and showing one record.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellsync/candidate.h"
#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/output.h"
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

/* ---- the data directory ---- */

int
client_home(char *buf, size_t len)
{
    const char *h = getenv("CELLSYNC_HOME");
    int n;
    if (h != NULL && h[0] != 0) {
        n = snprintf(buf, len, "%s", h);
    } else {
        const char *home = getenv("HOME");
        if (home == NULL || home[0] == 0) {
            client_fail(_("cannot find the data directory: set CELLSYNC_HOME or HOME"));
            return -1;
        }
        n = snprintf(buf, len, "%s/.local/share/cellsync", home);
    }
    if (n < 0 || (size_t)n >= len) {
        client_fail(_("the data directory path is too long"));
        return -1;
    }
    return 0;
}

void
client_path(const struct client *c, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", c->home, name);
}

/*
 * Every command is a new process, and a new SQLite connection does not
 * know how much of the WAL an earlier one copied into the database: it
 * reads the whole log again when it opens (recovery, ~2 us a page here),
 * and its automatic checkpoint never lets the log start over. Left alone,
 * the log grows by every write (11 pages for a candidate) and the opening
 * of every command with it; past 1,000 pages each commit also copies all
 * of it into the database again, with two more syncs. So a command that
 * finds the log over CLIENT_WAL_MAX copies it into the database and empties
 * it when it closes. SQLite syncs the database before it cuts the log, so
 * nothing committed is at risk. That costs about two syncs (the database,
 * and the next commit's log header), so it is done about every 20 adds
 * rather than every few (measured, BENCHMARKS.md section 6). A process busy
 * with the replica is not waited for: the next command tries again.
 */
#define CLIENT_WAL_MAX (1024 * 1024)

static void
checkpoint_if_long(struct client *c)
{
    char path[PATH_MAX + 32];
    struct stat st;

    if (c->db == NULL || !sqlite3_get_autocommit(c->db))
        return;
    client_path(c, CLIENT_REPLICA "-wal", path, sizeof(path));
    if (stat(path, &st) != 0 || st.st_size < CLIENT_WAL_MAX)
        return;
    sqlite3_busy_timeout(c->db, 0);
    sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

void
client_close(struct client *c)
{
    checkpoint_if_long(c);
    cs_replica_close(c->rep);
    cs_date_holidays_free(c->hol);
    memset(c, 0, sizeof(*c));
}

int
client_open(struct client *c)
{
    char path[PATH_MAX + 32], err[512];
    int ret;

    memset(c, 0, sizeof(*c));
    if (client_home(c->home, sizeof(c->home)) != 0)
        return CS_EXIT_FAILURE;
    client_path(c, CLIENT_REPLICA, path, sizeof(path));
    if (access(path, F_OK) != 0) {
        client_fail(_("no records here yet: '%s' does not exist; run 'cellsync init' first"), path);
        return CS_EXIT_FAILURE;
    }
    if ((ret = cs_replica_open(&c->rep, path, 0, NULL, err, sizeof(err))) != 0) {
        client_fail("%s", err);
        return CS_EXIT_FAILURE;
    }
    c->db = cs_replica_db(c->rep);
    if ((ret = cs_codes_sql_register(c->db)) != 0 || (ret = cs_date_holidays_new(&c->hol)) != 0) {
        client_close(c);
        return client_fail("%s", cs_strerror(ret));
    }
    client_path(c, CLIENT_HOLIDAYS, path, sizeof(path));
    if (access(path, F_OK) == 0 &&
        (ret = cs_date_holidays_load(c->hol, path, err, sizeof(err))) != 0) {
        client_close(c);
        return client_fail("%s", err);
    }
    if ((ret = cs_date_today(&c->today, err, sizeof(err))) != 0) {
        client_close(c);
        return client_fail("%s", err);
    }
    return 0;
}

int
client_check_replica(struct client *c)
{
    char path[PATH_MAX + 32], first[256] = "";
    sqlite3_stmt *st = NULL;
    int rc, rows = 0, ok = 0;

    client_path(c, CLIENT_REPLICA, path, sizeof(path));
    /* One row "ok", or what is damaged (the first of up to 10 findings is enough here). */
    rc = sqlite3_prepare_v2(c->db, "PRAGMA quick_check(10)", -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (rows++ == 0) {
            const char *t = (const char *)sqlite3_column_text(st, 0);
            snprintf(first, sizeof(first), "%s", t ? t : "");
            ok = t != NULL && strcmp(t, "ok") == 0;
        }
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE)
        snprintf(first, sizeof(first), "%s", sqlite3_errmsg(c->db));
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE && ok && rows == 1)
        return 0;
    if (rc != SQLITE_DONE && (rc & 0xff) != SQLITE_CORRUPT && (rc & 0xff) != SQLITE_NOTADB)
        return client_fail(_("cannot read '%s': %s"), path, first);
    return client_fail(_("'%s' is damaged (%s); nothing was sent or changed: keep a copy of the "
                         "file and ask the hub's administrator"),
                       path, first);
}

/* ---- fields ---- */

const struct field *
entity_field(const struct entity *e, const char *column)
{
    for (size_t i = 0; i < e->nfields; i++)
        if (strcmp(e->fields[i].column, column) == 0)
            return &e->fields[i];
    return NULL;
}

static const struct cs_cli_opt help_opt[] = {{"help", 0, N_("show this help")}};

/* The options of a command or verb for its --help: the entity's fields, the others, --help. */
static void
print_options(FILE *f, const struct entity *e, const struct cs_cli_opt *opts, size_t nopts)
{
    fprintf(f, "\n%s\n", _("options:"));
    for (size_t i = 0; e != NULL && i < e->nfields; i++) {
        const struct field *fd = &e->fields[i];
        char arg[96] = "TEXT";
        if (fd->type == FT_DATE)
            snprintf(arg, sizeof(arg), "%s", "YYYY-MM-DD");
        else if (fd->type == FT_CODE)
            cs_code_list_text(fd->arg, arg, sizeof(arg));
        else if (fd->type == FT_REF)
            snprintf(arg, sizeof(arg), "%s", "ID");
        else if (fd->type == FT_INT)
            snprintf(arg, sizeof(arg), "%s", "N");
        fprintf(f, "  --%s %s\n      %s\n", fd->opt, fd->type == FT_CODE ? "CODE" : arg,
                _(fd->label));
        if (fd->type == FT_CODE)
            fprintf(f, "      (%s)\n", arg);
    }
    cs_cli_print_options(f, opts, nopts);
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

int
write_fields(struct client *c, const struct entity *e, const struct cs_id *row, const char **fv,
             char *err, size_t errlen)
{
    for (size_t i = 0; i < e->nfields; i++) {
        const struct field *f = &e->fields[i];
        struct field_buf buf;
        struct cs_value val;
        int ret;

        if (fv[i] == NULL)
            continue;
        if ((ret = field_value(c, f, fv[i], &buf, &val, err, errlen)) != 0 ||
            (ret = cs_replica_set(c->rep, e->table, row, f->column, &val, err, errlen)) != 0)
            return ret;
    }
    return 0;
}

/* ---- records ---- */

int
record_find(struct client *c, const char *table, const char *text, struct cs_id *out, char *err,
            size_t errlen)
{
    char hex[33];
    size_t n = 0;
    sqlite3_stmt *st = NULL;
    char sql[256];
    int ret;

    /* Keep the hex digits, so both "0197...-..." and "a1b2c3d4" work. */
    for (const char *p = text; *p && n < sizeof(hex) - 1; p++) {
        if (*p == '-')
            continue;
        if (!isxdigit((unsigned char)*p))
            return cs_errf(err, errlen, CS_EINVAL,
                           _("'%s' is not a record id (ids are hex digits, as in lists)"), text);
        hex[n++] = (char)toupper((unsigned char)*p);
    }
    hex[n] = 0;
    if (n < 4 || strlen(text) > 36)
        return cs_errf(err, errlen, CS_EINVAL,
                       _("'%s' is not a record id (give at least 4 of its hex digits)"), text);
    snprintf(sql, sizeof(sql),
             "SELECT id FROM \"%s\" WHERE cl %% 2 = 1 AND substr(hex(id), -?2) = ?1 LIMIT 2",
             table);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return cs_errf(err, errlen, CS_ESQLITE, "%s", sqlite3_errmsg(c->db));
    sqlite3_bind_text(st, 1, hex, (int)n, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int)n);
    int found = 0;
    while (sqlite3_step(st) == SQLITE_ROW && found < 2) {
        if (sqlite3_column_bytes(st, 0) == CS_ID_LEN)
            memcpy(out->b, sqlite3_column_blob(st, 0), CS_ID_LEN);
        found++;
    }
    sqlite3_finalize(st);
    if (found == 0)
        ret = cs_errf(err, errlen, CS_ENOTFOUND, _("no %s with id '%s'"), _(table), text);
    else if (found > 1)
        ret = cs_errf(err, errlen, CS_EAMBIGUOUS,
                      _("more than one %s has an id ending in '%s': give more digits"), _(table),
                      text);
    else
        ret = 0;
    return ret;
}

int
record_text(struct client *c, const char *table, const struct cs_id *row, const char *column,
            char *buf, size_t len)
{
    char sql[256];
    sqlite3_stmt *st;
    int ret = CS_ENOTFOUND;
    snprintf(sql, sizeof(sql), "SELECT coalesce(\"%s\", '') FROM \"%s\" WHERE id = ?1", column,
             table);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return CS_ESQLITE;
    sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    buf[0] = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
        ret = 0;
    }
    sqlite3_finalize(st);
    return ret;
}

/* The SQL expression that shows a field: labels for codes, short ids for references. */
static void
field_expr(const struct field *f, const char *alias, int json, char *buf, size_t len)
{
    if (f->type == FT_CODE && !json)
        snprintf(buf, len, "label('%s', %s.\"%s\")", f->arg, alias, f->column);
    else if (f->type == FT_REF)
        snprintf(buf, len, "%s(%s.\"%s\")", json ? "uuid" : "short_id", alias, f->column);
    else
        snprintf(buf, len, "%s.\"%s\"", alias, f->column);
}

int
entity_json_expr(const struct entity *e, const char *alias, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "json_object('id', uuid(%s.id)", alias);
    for (size_t i = 0; i < e->nfields && n < len; i++) {
        char expr[128];
        field_expr(&e->fields[i], alias, 1, expr, sizeof(expr));
        n += (size_t)snprintf(buf + n, len - n, ", '%s', %s", e->fields[i].column, expr);
    }
    if (n + 2 > len)
        return CS_ETOOBIG;
    snprintf(buf + n, len - n, ")");
    return 0;
}

int
record_show(struct client *c, const struct entity *e, const struct cs_id *row, int json)
{
    size_t cap = 256 + e->nfields * 128, n = 0;
    char *sql = malloc(cap);
    const char **labels = calloc(e->nfields + 2, sizeof(*labels));
    sqlite3_stmt *st = NULL;
    int ret = CS_EXIT_FAILURE;

    if (sql == NULL || labels == NULL) {
        client_fail("%s", cs_strerror(CS_ENOMEM));
        goto out;
    }
    if (json) {
        n = (size_t)snprintf(sql, cap, "SELECT ");
        if (entity_json_expr(e, "r", sql + n, cap - n) != 0) {
            client_fail("%s", cs_strerror(CS_ETOOBIG));
            goto out;
        }
        n = strlen(sql);
    } else {
        n = (size_t)snprintf(sql, cap, "SELECT short_id(r.id)");
        labels[0] = N_("id");
        for (size_t i = 0; i < e->nfields; i++) {
            char expr[128];
            field_expr(&e->fields[i], "r", 0, expr, sizeof(expr));
            n += (size_t)snprintf(sql + n, cap - n, ", %s", expr);
            labels[i + 1] = e->fields[i].label;
        }
    }
    snprintf(sql + n, cap - n, " FROM \"%s\" r WHERE r.id = ?1", e->table);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        client_fail("%s", sqlite3_errmsg(c->db));
        goto out;
    }
    sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    if ((json ? cs_out_json(stdout, st) : cs_out_kv(stdout, st, labels)) != 0) {
        client_fail("%s", cs_out_errmsg());
        goto out;
    }
    ret = CS_EXIT_OK;
out:
    sqlite3_finalize(st);
    free(labels);
    free(sql);
    return ret;
}

int
read_text(const char *arg, char **out, char *err, size_t errlen)
{
    FILE *f = NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int ret = 0;

    *out = NULL;
    if (strcmp(arg, "-") != 0 && arg[0] != '@') {
        if ((*out = strdup(arg)) == NULL)
            return CS_ENOMEM;
        return 0;
    }
    f = strcmp(arg, "-") == 0 ? stdin : fopen(arg + 1, "r");
    if (f == NULL)
        return cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), arg + 1, strerror(errno));
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > CS_VALUE_MAX + 1) {
                ret = cs_errf(err, errlen, CS_ETOOBIG, _("'%s' is longer than %u bytes"), arg,
                              CS_VALUE_MAX);
                goto out;
            }
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                ret = CS_ENOMEM;
                goto out;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, 4096, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        ret = cs_errf(err, errlen, CS_EINVAL, _("cannot read '%s'"), arg);
        goto out;
    }
    buf[len] = 0;
    *out = buf;
    buf = NULL;
out:
    if (f != NULL && f != stdin)
        fclose(f);
    free(buf);
    return ret;
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
        return client_fail("%s: too many options", what);
    for (size_t i = 0; i < nf; i++)
        fields[i] = (struct cs_cli_opt){v->e->fields[i].opt, 1, NULL};
    struct cs_cli_group g[] = {{fields, nf, fv}, {v->opts, v->nopts, ov}};
    if ((ret = cs_cli_parse("cellsync", what, argc, argv, g, 2, &help, &rest)) != 0)
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
    struct verb_args a = {fv, ov, nops, argv + rest};
    ret = v->fn(&c, &a);
    client_close(&c);
    return ret;
}

/*
 * ---- typed values and the due list ----
 * field_value() is what write_fields() does to one typed value, so
 * `conflicts resolve --value` checks a value the same way `edit` does.
 */

int
field_value(struct client *c, const struct field *f, const char *text, struct field_buf *buf,
            struct cs_value *out, char *err, size_t errlen)
{
    char list[256];
    int32_t day;
    int ret;

    *out = (struct cs_value){.type = CS_VNIL};
    /* An empty value clears the field. */
    if (text[0] == 0)
        return 0;
    switch (f->type) {
    case FT_TEXT:
        out->type = CS_VTEXT;
        out->p = text;
        out->n = strlen(text);
        break;
    case FT_DATE:
        if (cs_date_parse(text, &day, NULL, 0) != 0)
            return cs_errf(err, errlen, CS_EINVAL,
                           _("%s: '%s' is not a date (write YYYY-MM-DD or DD/MM/YYYY)"),
                           _(f->label), text);
        cs_date_format(day, buf->date);
        out->type = CS_VTEXT;
        out->p = buf->date;
        out->n = strlen(buf->date);
        break;
    case FT_CODE:
        if (cs_code_label(f->arg, text) == NULL) {
            cs_code_list_text(f->arg, list, sizeof(list));
            return cs_errf(err, errlen, CS_EINVAL, _("%s: '%s' is not one of: %s"), _(f->label),
                           text, list);
        }
        out->type = CS_VTEXT;
        out->p = text;
        out->n = strlen(text);
        break;
    case FT_REF:
        if ((ret = record_find(c, f->arg, text, &buf->ref, err, errlen)) != 0)
            return ret;
        out->type = CS_VBLOB;
        out->p = buf->ref.b;
        out->n = CS_ID_LEN;
        break;
    case FT_INT: {
        char *end;
        errno = 0;
        long long x = strtoll(text, &end, 10);
        if (errno != 0 || *end != 0 || end == text)
            return cs_errf(err, errlen, CS_EINVAL, _("%s: '%s' is not a whole number"), _(f->label),
                           text);
        out->type = CS_VINT;
        out->i = x;
        break;
    }
    }
    return 0;
}

void
client_due_skipped(void *ud, const struct cs_id *id)
{
    char hex[CS_ID_HEX_LEN + 1];
    (void)ud;
    cs_id_to_hex(id, hex);
    client_fail(_("candidate %s: its dates are out of range; it is left out of the deadlines"),
                hex + CS_ID_HEX_LEN - 8);
}
