/* SPDX-License-Identifier: MIT */
/*
 * The pieces every cellsync command uses (see client.h): opening the data
 * directory, messages, code lists, field-driven argument parsing and
 * writing, finding records by short id, and showing one record.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "client.h"
#include "output.h"

/* ---- messages ---- */

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

/* ---- code lists ---- */

static const struct code_label sexes[] = {
    {"male", N_("male")}, {"female", N_("female")}, {NULL, NULL}};
static const struct code_label sources[] = {{"youth_union", N_("youth union member")},
                                            {"militia", N_("militia")},
                                            {"teacher", N_("teacher")},
                                            {"student", N_("student")},
                                            {"non_state_worker", N_("non-state enterprise worker")},
                                            {"demobilised_soldier", N_("demobilised soldier")},
                                            {"religious_follower", N_("religious follower")},
                                            {"farmer_business", N_("farmer or business person")},
                                            {"other", N_("other")},
                                            {NULL, NULL}};
static const struct code_label stages[] = {{"identified", N_("identified")},
                                           {"helper_assigned", N_("helper assigned")},
                                           {"class_passed", N_("awareness class passed")},
                                           {"applied", N_("applied")},
                                           {"biography_verified", N_("biography verified")},
                                           {"cell_resolution", N_("cell resolution")},
                                           {"grassroots_resolution", N_("grassroots resolution")},
                                           {"decision", N_("admission decision")},
                                           {"ceremony", N_("admitted, on probation")},
                                           {"official", N_("official member")},
                                           {"withdrawn", N_("withdrawn")},
                                           {NULL, NULL}};
static const struct code_label member_statuses[] = {{"probationary", N_("probationary")},
                                                    {"official", N_("official")},
                                                    {"transferred_out", N_("transferred out")},
                                                    {"struck_off", N_("struck off")},
                                                    {"deceased", N_("deceased")},
                                                    {NULL, NULL}};
static const struct code_label meeting_kinds[] = {
    {"regular", N_("regular monthly")}, {"thematic", N_("thematic")}, {NULL, NULL}};
static const struct code_label grades[] = {{"excellent", N_("excellent")},
                                           {"good", N_("good")},
                                           {"complete", N_("complete")},
                                           {"not_complete", N_("not complete")},
                                           {NULL, NULL}};
static const struct code_label levels[] = {{"centre", N_("centre")},
                                           {"province", N_("province")},
                                           {"district", N_("district")},
                                           {"commune", N_("commune or ward")},
                                           {"grassroots", N_("grassroots organisation")},
                                           {"cell", N_("cell")},
                                           {NULL, NULL}};

static const struct {
    const char *name;
    const struct code_label *items;
} lists[] = {
    {"sex", sexes},
    {"source", sources},
    {"stage", stages},
    {"member_status", member_statuses},
    {"meeting_kind", meeting_kinds},
    {"grade", grades},
    {"level", levels},
};

const struct code_label *
code_list(const char *list)
{
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        if (strcmp(lists[i].name, list) == 0)
            return lists[i].items;
    return NULL;
}

const char *
code_label(const char *list, const char *code)
{
    const struct code_label *l = code_list(list);
    for (; l != NULL && l->code != NULL; l++)
        if (strcmp(l->code, code) == 0)
            return _(l->label);
    return NULL;
}

void
code_list_text(const char *list, char *buf, size_t len)
{
    const struct code_label *l = code_list(list);
    size_t n = 0;
    buf[0] = 0;
    for (; l != NULL && l->code != NULL && n < len; l++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", l->code);
}

/* ---- SQL functions for the commands' queries ---- */

static void
sql_short_id(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_BLOB || sqlite3_value_bytes(argv[0]) != CS_ID_LEN) {
        sqlite3_result_null(ctx);
        return;
    }
    char hex[CS_ID_HEX_LEN + 1];
    struct cs_id id;
    memcpy(id.b, sqlite3_value_blob(argv[0]), CS_ID_LEN);
    cs_id_to_hex(&id, hex);
    sqlite3_result_text(ctx, hex + CS_ID_HEX_LEN - 8, 8, SQLITE_TRANSIENT);
}

static void
sql_uuid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_BLOB || sqlite3_value_bytes(argv[0]) != CS_ID_LEN) {
        sqlite3_result_null(ctx);
        return;
    }
    char hex[CS_ID_HEX_LEN + 1];
    struct cs_id id;
    memcpy(id.b, sqlite3_value_blob(argv[0]), CS_ID_LEN);
    cs_id_to_hex(&id, hex);
    sqlite3_result_text(ctx, hex, CS_ID_HEX_LEN, SQLITE_TRANSIENT);
}

static void
sql_label(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *list = (const char *)sqlite3_value_text(argv[0]);
    const char *code = (const char *)sqlite3_value_text(argv[1]);
    const char *l = list && code ? code_label(list, code) : NULL;
    if (l != NULL)
        sqlite3_result_text(ctx, l, -1, SQLITE_TRANSIENT);
    else
        sqlite3_result_value(ctx, argv[1]); /* unknown codes show as they are */
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

void
client_close(struct client *c)
{
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
    sqlite3_create_function(c->db, "short_id", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                            sql_short_id, NULL, NULL);
    sqlite3_create_function(c->db, "uuid", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_uuid,
                            NULL, NULL);
    sqlite3_create_function(c->db, "label", 2, SQLITE_UTF8, NULL, sql_label, NULL, NULL);
    if ((ret = cs_date_holidays_new(&c->hol)) != 0) {
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

/* ---- fields ---- */

const struct field *
entity_field(const struct entity *e, const char *column)
{
    for (size_t i = 0; i < e->nfields; i++)
        if (strcmp(e->fields[i].column, column) == 0)
            return &e->fields[i];
    return NULL;
}

void
print_options(FILE *f, const struct entity *e, const struct opt *extra, size_t nextra)
{
    fprintf(f, "\n%s\n", _("options:"));
    for (size_t i = 0; e != NULL && i < e->nfields; i++) {
        const struct field *fd = &e->fields[i];
        char arg[96] = "TEXT";
        if (fd->type == FT_DATE)
            snprintf(arg, sizeof(arg), "%s", "YYYY-MM-DD");
        else if (fd->type == FT_CODE)
            code_list_text(fd->arg, arg, sizeof(arg));
        else if (fd->type == FT_REF)
            snprintf(arg, sizeof(arg), "%s", "ID");
        else if (fd->type == FT_INT)
            snprintf(arg, sizeof(arg), "%s", "N");
        fprintf(f, "  --%s %s\n      %s\n", fd->opt, fd->type == FT_CODE ? "CODE" : arg,
                _(fd->label));
        if (fd->type == FT_CODE)
            fprintf(f, "      (%s)\n", arg);
    }
    for (size_t j = 0; j < nextra; j++)
        fprintf(f, "  --%s%s\n      %s\n", extra[j].name, extra[j].has_arg ? " VALUE" : "",
                _(extra[j].help));
}

int
parse_args(int argc, char **argv, const char *cmd, const struct entity *e, const char **fv,
           const struct opt *extra, size_t nextra, const char **ov, int *rest)
{
    size_t nf = e ? e->nfields : 0, n = nf + nextra;
    struct option *lo = calloc(n + 1, sizeof(*lo));
    int ret = 0;

    if (lo == NULL)
        return client_fail("%s", cs_strerror(CS_ENOMEM));
    for (size_t i = 0; i < nf; i++) {
        lo[i].name = e->fields[i].opt;
        lo[i].has_arg = required_argument;
        lo[i].val = 1000 + (int)i;
        fv[i] = NULL;
    }
    for (size_t j = 0; j < nextra; j++) {
        lo[nf + j].name = extra[j].name;
        lo[nf + j].has_arg = extra[j].has_arg ? required_argument : no_argument;
        lo[nf + j].val = 1000 + (int)(nf + j);
        ov[j] = NULL;
    }
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        if (ch >= 1000 && (size_t)(ch - 1000) < nf) {
            fv[ch - 1000] = optarg;
        } else if (ch >= 1000 && (size_t)(ch - 1000) < n) {
            ov[ch - 1000 - nf] = lo[ch - 1000].has_arg ? optarg : "";
        } else if (ch == ':') {
            ret = client_usage(_("%s: option '%s' needs a value"), cmd, argv[optind - 1]);
            goto out;
        } else {
            ret = client_usage(_("%s: unknown option '%s' (see 'cellsync %s --help')"), cmd,
                               argv[optind - 1], cmd);
            goto out;
        }
    }
    *rest = optind;
out:
    free(lo);
    return ret;
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
    if ((json ? out_json(stdout, st) : out_kv(stdout, st, labels)) != 0) {
        client_fail("%s", out_errmsg());
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

/* ---- candidates ---- */

static const char *const stage_columns[CS_STAGE__COUNT + 1] = {
    [CS_STAGE_IDENTIFIED] = "identified_on",
    [CS_STAGE_HELPER] = "helper_on",
    [CS_STAGE_CLASS] = "class_on",
    [CS_STAGE_APPLIED] = "applied_on",
    [CS_STAGE_VERIFIED] = "verified_on",
    [CS_STAGE_CELL] = "cell_resolution_on",
    [CS_STAGE_GRASSROOTS] = "grassroots_resolution_on",
    [CS_STAGE_DECISION] = "decision_on",
    [CS_STAGE_CEREMONY] = "ceremony_on",
    [CS_STAGE_OFFICIAL] = "official_on",
    [CS_STAGE_WITHDRAWN] = "withdrawn_on",
};

const char *
stage_column(enum cs_stage s)
{
    return (unsigned)s <= CS_STAGE_WITHDRAWN ? stage_columns[s] : NULL;
}

static int32_t
column_date(sqlite3_stmt *st, int i)
{
    int32_t day;
    const char *t = (const char *)sqlite3_column_text(st, i);
    return t != NULL && cs_date_parse(t, &day, NULL, 0) == 0 ? day : CS_DATE_NONE;
}

int
candidate_facts(struct client *c, const struct cs_id *id, struct cs_rules_facts *f)
{
    sqlite3_stmt *st;
    char sql[1024];
    size_t n;
    int ret = CS_ENOTFOUND;

    n = (size_t)snprintf(sql, sizeof(sql),
                         "SELECT k.stage, k.birth_date, k.helper IS NOT NULL,"
                         " k.sponsor1 IS NOT NULL, s1.status = 'official', k.sponsor1_months,"
                         " k.sponsor2 IS NOT NULL, s2.status = 'official', k.sponsor2_months,"
                         " k.youth_union_resolution_on IS NOT NULL");
    for (int s = 0; s < CS_STAGE__COUNT; s++)
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, ", k.%s", stage_column((enum cs_stage)s));
    snprintf(sql + n, sizeof(sql) - n,
             " FROM candidate k LEFT JOIN member s1 ON s1.id = k.sponsor1"
             " LEFT JOIN member s2 ON s2.id = k.sponsor2 WHERE k.id = ?1");
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return CS_ESQLITE;
    sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
    cs_rules_facts_init(f);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *stage = (const char *)sqlite3_column_text(st, 0);
        int s = stage ? cs_stage_from_code(stage) : -1;
        f->stage = s < 0 ? CS_STAGE_IDENTIFIED : (enum cs_stage)s;
        f->birth = column_date(st, 1);
        f->helper_assigned = sqlite3_column_int(st, 2);
        for (int i = 0; i < CS_RULES_SPONSORS; i++) {
            f->sponsor[i].present = sqlite3_column_int(st, 3 + 3 * i);
            f->sponsor[i].official_member = sqlite3_column_int(st, 4 + 3 * i);
            f->sponsor[i].months_known = sqlite3_column_type(st, 5 + 3 * i) == SQLITE_NULL
                                             ? -1
                                             : sqlite3_column_int(st, 5 + 3 * i);
        }
        f->youth_union_resolution = sqlite3_column_int(st, 9);
        for (int i = 0; i < CS_STAGE__COUNT; i++)
            f->stage_date[i] = column_date(st, 10 + i);
        f->class_certificate = f->stage_date[CS_STAGE_CLASS];
        ret = 0;
    }
    sqlite3_finalize(st);
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
    const struct verb *v = NULL;
    struct client c;
    int ret, rest;

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
            v = &verbs[i];
    if (v == NULL) {
        client_usage(_("%s: unknown verb '%s'"), cmd, argv[1]);
        verbs_usage(stderr, cmd, verbs, n);
        return CS_EXIT_USAGE;
    }
    argc--, argv++;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf(_("usage: cellsync %s %s [<options>]%s%s\n\n%s\n"), cmd, v->name,
                   v->operands[0] ? " " : "", v->operands, _(v->summary));
            print_options(stdout, v->e, v->extra, v->nextra);
            return CS_EXIT_OK;
        }

    const char *fv[64], *ov[16];
    char what[64];
    snprintf(what, sizeof(what), "%s %s", cmd, v->name);
    if ((v->e && v->e->nfields > 64) || v->nextra > 16)
        return client_fail("%s: too many options", what);
    if ((ret = parse_args(argc, argv, what, v->e, fv, v->extra, v->nextra, ov, &rest)) != 0)
        return ret;
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
 * Added for `due`, `status` and `conflicts`: field_value() is what
 * write_fields() does to one typed value, so `conflicts resolve --value`
 * checks a value the same way `edit` does; due_rows_fill() is the one due
 * computation behind `due` and the overdue count of `status`.
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
        if (code_label(f->arg, text) == NULL) {
            code_list_text(f->arg, list, sizeof(list));
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

/* The deadlines cs_rules_due() names, with what a secretary reads for each. */
static const struct code_label due_kinds[] = {
    {"certificate_expiry", N_("class certificate expires")},
    {"decision", N_("admission decision")},
    {"ceremony", N_("admission ceremony")},
    {"probation_end", N_("probation ends")},
    {"conversion", N_("conversion to official member")},
    {NULL, NULL},
};

static const char *
due_kind_label(const char *kind)
{
    for (const struct code_label *k = due_kinds; k->code != NULL; k++)
        if (strcmp(k->code, kind) == 0)
            return _(k->label);
    return kind;
}

int
due_rows_fill(struct client *c, char *err, size_t errlen)
{
    sqlite3_stmt *cand = NULL, *ins = NULL;
    char *msg = NULL;
    int ret = CS_ESQLITE, rc;

    /* A candidate that is official or withdrawn has no deadline left. */
    if (sqlite3_exec(c->db,
                     "DROP TABLE IF EXISTS temp.due_rows;"
                     "CREATE TEMP TABLE due_rows (candidate BLOB NOT NULL, name TEXT,"
                     " kind TEXT NOT NULL, kind_label TEXT NOT NULL, due TEXT NOT NULL,"
                     " days_left INTEGER NOT NULL)",
                     NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_prepare_v2(c->db,
                           "SELECT id, full_name FROM candidate WHERE cl % 2 = 1"
                           " AND coalesce(stage, '') NOT IN ('official', 'withdrawn')",
                           -1, &cand, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c->db, "INSERT INTO temp.due_rows VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1,
                           &ins, NULL) != SQLITE_OK) {
        ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot list the deadlines: %s"),
                      msg ? msg : sqlite3_errmsg(c->db));
        goto out;
    }
    while ((rc = sqlite3_step(cand)) == SQLITE_ROW) {
        struct cs_rules_facts f;
        struct cs_rules_due due[CS_RULES_DUE_MAX];
        struct cs_id id;
        char date[CS_DATE_BUFSZ];

        if (sqlite3_column_bytes(cand, 0) != CS_ID_LEN)
            continue;
        memcpy(id.b, sqlite3_column_blob(cand, 0), CS_ID_LEN);
        if ((ret = candidate_facts(c, &id, &f)) != 0) {
            cs_errf(err, errlen, ret, _("cannot read a candidate: %s"), cs_strerror(ret));
            goto out;
        }
        int n = cs_rules_due(&f, c->today, c->hol, due, CS_RULES_DUE_MAX);
        if (n < 0) {
            /* One record with dates out of range must not hide everyone else's deadlines. */
            char hex[CS_ID_HEX_LEN + 1];
            cs_id_to_hex(&id, hex);
            client_fail(_("candidate %s: its dates are out of range; it is left out of the "
                          "deadlines"),
                        hex + CS_ID_HEX_LEN - 8);
            continue;
        }
        for (int i = 0; i < n && i < CS_RULES_DUE_MAX; i++) {
            sqlite3_reset(ins);
            sqlite3_bind_blob(ins, 1, id.b, CS_ID_LEN, SQLITE_STATIC);
            sqlite3_bind_value(ins, 2, sqlite3_column_value(cand, 1));
            sqlite3_bind_text(ins, 3, due[i].kind, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 4, due_kind_label(due[i].kind), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 5, cs_date_format(due[i].due, date), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int(ins, 6, due[i].days_left);
            if (sqlite3_step(ins) != SQLITE_DONE) {
                ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot list the deadlines: %s"),
                              sqlite3_errmsg(c->db));
                goto out;
            }
        }
    }
    if (rc != SQLITE_DONE) {
        ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot list the deadlines: %s"),
                      sqlite3_errmsg(c->db));
        goto out;
    }
    ret = 0;
out:
    sqlite3_free(msg);
    sqlite3_finalize(ins);
    sqlite3_finalize(cand);
    return ret;
}

int
run_single(const char *cmd, const struct verb *v, int argc, char **argv)
{
    /* `cellsync sync [options]` reads better than a verb: put the only one in. */
    char **av = calloc((size_t)argc + 2, sizeof(*av));
    if (av == NULL)
        return client_fail("%s", cs_strerror(CS_ENOMEM));
    av[0] = argv[0];
    av[1] = (char *)v->name;
    for (int i = 1; i < argc; i++)
        av[i + 1] = argv[i];
    int ret = run_verbs(cmd, v, 1, argc + 1, av);
    free(av);
    return ret;
}
