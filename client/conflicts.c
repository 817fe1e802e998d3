/* SPDX-License-Identifier: MIT */
/*
 * Open conflicts, for `cellsync conflicts` and the conflict page of
 * `cellsync ui` (conflicts.h): the fields of every table, the SQL functions
 * that show a conflict's record, field and values, the query of every open
 * conflict, and finding, choosing and writing a resolution.
 */
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/output.h"
#include "cellsync/record.h"
#include "cellsync/schema.h"
#include "cellsync/sqlstmt.h"
#include "client.h"
#include "conflicts.h"

/* A stored value in JSON: ids in their canonical text, other blobs in hex. */
#define JSON_VALUE(x)                                                                              \
    "CASE typeof(" x ") WHEN 'blob' THEN coalesce(uuid(" x "), hex(" x ")) ELSE " x " END"
/* When a version was written: its hlc's milliseconds (the top 48 bits). */
#define LOCAL_TIME(x) "strftime('%Y-%m-%d %H:%M', (" x " >> 16) / 1000, 'unixepoch', 'localtime')"
#define UTC_TIME(x)   "strftime('%Y-%m-%dT%H:%M:%SZ', (" x " >> 16) / 1000, 'unixepoch')"

/*
 * Laid out by hand, a line per group of columns: clang-format breaks these
 * lines inside the macro calls, which hides the SQL.
 */
/* clang-format off */
static const char list_table_sql[] =
    "SELECT num, reg_table(tname) || ' ' || short_id(row), rname, reg_field(tname, cname),"
    " reg_value(tname, cname, cval), device_label(csite), " LOCAL_TIME("chlc") ","
    " reg_value(tname, cname, val), device_label(site), " LOCAL_TIME("hlc")
    " FROM x ORDER BY seq";

static const char list_json_sql[] =
    "SELECT json_group_array(json_object('conflict', num, 'table', tname, 'record', uuid(row),"
    " 'name', rname, 'column', cname, 'field', reg_field(tname, cname),"
    " 'current', json_object('value', " JSON_VALUE("cval") ", 'device', uuid(csite),"
    " 'written', " UTC_TIME("chlc") "),"
    " 'other', json_object('value', " JSON_VALUE("val") ", 'device', uuid(site),"
    " 'written', " UTC_TIME("hlc") ")))"
    " FROM (SELECT * FROM x ORDER BY seq)";
/* clang-format on */

static const char *const list_headers[] = {
    N_("conflict"), N_("record"),  N_("name"),        N_("field"),  N_("current value"),
    N_("device"),   N_("written"), N_("other value"), N_("device"), N_("written"),
};

/* Values longer than this are cut in the table; --json has them whole. */
#define VALUE_SHOWN 40

/*
 * Every column of every table of the domain schema, as a field: a conflict
 * on any of them has a label and a type, including those that commands
 * such as `candidate advance` write rather than add/edit.
 */
#define FIELD(name, type, arg, writer, option, label) {option, name, FT_##type, arg, label},
#define FIELDS(tbl, place, key, writer, label)                                                     \
    static const struct field tbl##_fields[] = {CS_SCHEMA_FIELDS_##tbl(FIELD)                      \
                                                    CS_SCHEMA_OTHER_##tbl(FIELD)};
CS_SCHEMA_TABLES(FIELDS)

/* The tables, with the label that names a record of each. */
#define TABLE(tbl, place, key, writer, label)                                                      \
    {{#tbl, tbl##_fields, sizeof(tbl##_fields) / sizeof(tbl##_fields[0])}, label},
static const struct {
    struct entity e;
    const char *label; /* N_() */
} tables[] = {CS_SCHEMA_TABLES(TABLE)};

/* What is known of (table, column): NULL for a column of another version or table. */
static const struct field *
find_field(const char *table, const char *column)
{
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
        if (strcmp(tables[i].e.table, table) == 0)
            return entity_field(&tables[i].e, column);
    return NULL;
}

/* ---- SQL functions for the queries below ---- */

/* reg_table(table): the translated name of a record of that table. */
static void
sql_reg_table(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *t = (const char *)sqlite3_value_text(argv[0]);
    for (size_t i = 0; t != NULL && i < sizeof(tables) / sizeof(tables[0]); i++)
        if (strcmp(tables[i].e.table, t) == 0) {
            sqlite3_result_text(ctx, _(tables[i].label), -1, SQLITE_TRANSIENT);
            return;
        }
    sqlite3_result_value(ctx, argv[0]);
}

/* reg_field(table, column): the field's translated label, else the column's name. */
static void
sql_reg_field(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *t = (const char *)sqlite3_value_text(argv[0]);
    const char *c = (const char *)sqlite3_value_text(argv[1]);
    const struct field *f = t && c ? find_field(t, c) : NULL;
    if (f != NULL)
        sqlite3_result_text(ctx, _(f->label), -1, SQLITE_TRANSIENT);
    else if (c != NULL && strcmp(c, CS_COL_LIFE) == 0)
        sqlite3_result_text(ctx, _("deleted or not"), -1, SQLITE_TRANSIENT);
    else
        sqlite3_result_value(ctx, argv[1]);
}

/*
 * reg_value(table, column, value): a stored value as a person reads it in a
 * table: a code's label, a reference's short id, text on one line and cut
 * to VALUE_SHOWN characters.
 */
static void
sql_reg_value(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *t = (const char *)sqlite3_value_text(argv[0]);
    const char *c = (const char *)sqlite3_value_text(argv[1]);
    sqlite3_value *v = argv[2];
    const struct field *f = t && c ? find_field(t, c) : NULL;

    switch (sqlite3_value_type(v)) {
    case SQLITE_NULL:
        sqlite3_result_null(ctx);
        return;
    case SQLITE_BLOB: {
        /* Ids show as in lists (the last 8 hex digits); anything else as hex. */
        int n = sqlite3_value_bytes(v);
        const unsigned char *b = sqlite3_value_blob(v);
        int from = n == CS_ID_LEN ? n - 4 : 0;
        char *hex = sqlite3_malloc(2 * (n - from) + 1);
        if (hex == NULL) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
        for (int i = from; i < n; i++)
            snprintf(hex + 2 * (i - from), 3, "%02x", b[i]);
        hex[2 * (n - from)] = 0;
        sqlite3_result_text(ctx, hex, -1, sqlite3_free);
        return;
    }
    case SQLITE_INTEGER:
        if (c != NULL && strcmp(c, CS_COL_LIFE) == 0) {
            /* A row's life: an even causal length is deleted. */
            sqlite3_result_text(ctx, sqlite3_value_int64(v) % 2 ? _("not deleted") : _("deleted"),
                                -1, SQLITE_TRANSIENT);
            return;
        }
        sqlite3_result_value(ctx, v);
        return;
    case SQLITE_FLOAT:
        sqlite3_result_value(ctx, v);
        return;
    }
    const char *s = (const char *)sqlite3_value_text(v);
    const char *l = f && f->type == FT_CODE && s ? cs_code_label(f->arg, s) : NULL;
    if (l != NULL) {
        sqlite3_result_text(ctx, l, -1, SQLITE_TRANSIENT);
        return;
    }
    if (s == NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    size_t n = strlen(s), out = 0, chars = 0;
    char *buf = sqlite3_malloc64(n + 4);
    if (buf == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        /* Count characters, not bytes: a UTF-8 continuation byte starts none. */
        if ((ch & 0xc0) != 0x80 && chars++ == VALUE_SHOWN) {
            memcpy(buf + out, "\xe2\x80\xa6", 3); /* … */
            out += 3;
            break;
        }
        buf[out++] = ch == '\n' || ch == '\r' || ch == '\t' ? ' ' : (char)ch;
    }
    buf[out] = 0;
    sqlite3_result_text(ctx, buf, -1, sqlite3_free);
}

int
conflicts_functions(struct client *c, char *err, size_t errlen)
{
    if (cs_device_sql_register(c->db, cs_replica_site(c->rep)) != 0 ||
        sqlite3_create_function(c->db, "reg_table", 1, SQLITE_UTF8, NULL, sql_reg_table, NULL,
                                NULL) != SQLITE_OK ||
        sqlite3_create_function(c->db, "reg_field", 2, SQLITE_UTF8, NULL, sql_reg_field, NULL,
                                NULL) != SQLITE_OK ||
        sqlite3_create_function(c->db, "reg_value", 3, SQLITE_UTF8, NULL, sql_reg_value, NULL,
                                NULL) != SQLITE_OK)
        return cs_errf(err, errlen, CS_ESQLITE, _("cannot list the conflicts: %s"),
                       sqlite3_errmsg(c->db));
    return 0;
}

/* ---- queries ---- */

/*
 * Every open conflict with the register's current value, from the store's
 * view cs_conflict (cellsync/replica.h). The record's name comes from the
 * tables that have a full name (added by record_name()).
 */
#define CONFLICTS_COLS                                                                             \
    "cs_conflict_number(v.tbl, v.row, v.col, v.hlc, v.origin) AS num,"                             \
    " v.seq AS seq, v.tbl AS tname, v.row AS row, v.col AS cname, v.val AS val,"                   \
    " v.origin AS site, v.hlc AS hlc, v.current_val AS cval, v.current_origin AS csite,"           \
    " v.current_hlc AS chlc"

/*
 * "CASE t.name WHEN 'candidate' THEN (SELECT full_name ...) ... END": the
 * name of the record a register belongs to, for tables that have one.
 */
static void
record_name(char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "CASE v.tbl");
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]) && n < len; i++)
        if (entity_field(&tables[i].e, "full_name") != NULL)
            n += (size_t)snprintf(buf + n, len - n,
                                  " WHEN '%s' THEN (SELECT full_name FROM \"%s\" WHERE id = v.row)",
                                  tables[i].e.table, tables[i].e.table);
    if (n < len)
        snprintf(buf + n, len - n, " END");
}

/* "WITH x AS (every open conflict) <tail>", where tail reads from x. */
int
conflicts_prepare(struct client *c, const char *where, const char *tail, sqlite3_stmt **st,
                  char *err, size_t errlen)
{
    char name[1024], sql[4096];
    record_name(name, sizeof(name));
    int n = snprintf(sql, sizeof(sql),
                     "WITH x AS (SELECT " CONFLICTS_COLS ", %s AS rname FROM cs_conflict v%s) %s",
                     name, where, tail);
    if (n < 0 || (size_t)n >= sizeof(sql) ||
        sqlite3_prepare_v2(c->db, sql, -1, st, NULL) != SQLITE_OK)
        return cs_errf(err, errlen, CS_ESQLITE, _("cannot list the conflicts: %s"),
                       sqlite3_errmsg(c->db));
    return 0;
}

/* A copy of a stored value, so it outlives the statement it was read with. */
static int
value_copy(sqlite3_stmt *st, int i, struct cs_value *out, void **mem)
{
    *mem = NULL;
    cs_value_column(st, i, out);
    if (out->type != CS_VTEXT && out->type != CS_VBLOB)
        return 0;
    if ((*mem = malloc(out->n + 1)) == NULL) {
        *out = (struct cs_value){.type = CS_VNIL};
        return CS_ENOMEM;
    }
    if (out->n > 0)
        memcpy(*mem, out->p, out->n);
    ((char *)*mem)[out->n] = 0;
    out->p = *mem;
    return 0;
}

/*
 * Finds the open conflict numbered num (of the record whose id starts with
 * record, if given): its register, the name of its record, both its values
 * and how many open conflicts its field has. Two conflicts of different
 * fields that share a number are listed, and the record then tells them
 * apart. CS_ENOTFOUND when there is no such open conflict, CS_EAMBIGUOUS
 * when the number names several fields (err lists them), with err saying so.
 */
int
conflict_find(struct client *c, long long num, const char *record, struct resolution *r, char *err,
              size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int ret, rc;

    ret = conflicts_prepare(
        c,
        " WHERE cs_conflict_number(v.tbl, v.row, v.col, v.hlc, v.origin) = ?1 AND (?2 IS NULL"
        " OR substr(hex(v.row), 25, length(?2)) = upper(?2)"
        " OR substr(hex(v.row), 1, length(?2)) = upper(replace(?2, '-', '')))",
        "SELECT tname, row, cname, val, cval, reg_table(tname) || ' ' || short_id(row), rname,"
        " (SELECT count(*) - 1 FROM cs_conflict o WHERE o.tbl = tname AND o.row = x.row"
        " AND o.col = cname), reg_field(tname, cname) FROM x ORDER BY seq",
        &st, err, errlen);
    if (ret != 0)
        goto out;
    ret = CS_EINVAL;
    sqlite3_bind_int64(st, 1, num);
    if (record != NULL)
        sqlite3_bind_text(st, 2, record, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE)
            ret = cs_errf(err, errlen, CS_ENOTFOUND,
                          _("there is no open conflict %s (see '%s conflicts list')"), r->arg,
                          c->prog);
        else
            ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot read conflict %s: %s"), r->arg,
                          sqlite3_errmsg(c->db));
        goto out;
    }
    snprintf(r->table, sizeof(r->table), "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(r->column, sizeof(r->column), "%s", (const char *)sqlite3_column_text(st, 2));
    if (sqlite3_column_bytes(st, 1) != CS_ID_LEN) {
        cs_errf(err, errlen, ret, _("conflict %s belongs to a damaged record"), r->arg);
        goto out;
    }
    memcpy(r->row.b, sqlite3_column_blob(st, 1), CS_ID_LEN);
    const char *rname = (const char *)sqlite3_column_text(st, 6);
    snprintf(r->record, sizeof(r->record), "%s%s%s%s", (const char *)sqlite3_column_text(st, 5),
             rname ? " (" : "", rname ? rname : "", rname ? ")" : "");
    r->others = sqlite3_column_int64(st, 7);
    if ((rc = value_copy(st, 3, &r->other, &r->other_mem)) != 0 ||
        (rc = value_copy(st, 4, &r->current, &r->current_mem)) != 0) {
        ret = cs_errf(err, errlen, rc, "%s", cs_strerror(rc));
        goto out;
    }
    /* Another field with the same number: a coincidence of the hash, told apart by the record. */
    char first[512];
    snprintf(first, sizeof(first), "%s, %s", r->record, (const char *)sqlite3_column_text(st, 8));
    int many = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (strcmp((const char *)sqlite3_column_text(st, 0), r->table) == 0 &&
            strcmp((const char *)sqlite3_column_text(st, 2), r->column) == 0 &&
            sqlite3_column_bytes(st, 1) == CS_ID_LEN &&
            memcmp(sqlite3_column_blob(st, 1), r->row.b, CS_ID_LEN) == 0)
            continue;
        if (!many)
            /* TRANSLATORS: the conflict number; the fields follow, one a line. */
            ret = cs_errf(err, errlen, CS_EAMBIGUOUS,
                          _("more than one field has open conflict %s; give the record's id after "
                            "the number, one of:\n  %s"),
                          r->arg, first);
        many = 1;
        rname = (const char *)sqlite3_column_text(st, 6);
        size_t n = strlen(err);
        snprintf(err + n, errlen - n, "\n  %s%s%s%s, %s", (const char *)sqlite3_column_text(st, 5),
                 rname ? " (" : "", rname ? rname : "", rname ? ")" : "",
                 (const char *)sqlite3_column_text(st, 8));
    }
    if (many)
        goto out;
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

/*
 * The value to write: one of the two (pick), or text checked and converted
 * as `edit` does it. CS_EINVAL (or field_value()'s code) with err saying why not.
 */
int
conflict_choose(struct client *c, struct resolution *r, const char *pick, const char *text,
                char *err, size_t errlen)
{
    int ret = 0, rc;

    if (pick != NULL) {
        r->val = strcmp(pick, "other") == 0 ? r->other : r->current;
        goto out;
    }
    /* A typed value is checked as `edit` checks it; an unknown column by what it holds. */
    const struct field *f = find_field(r->table, r->column);
    struct field guess = {NULL, r->column, FT_TEXT, NULL, r->column};
    if (f == NULL) {
        if (r->current.type == CS_VBLOB || strcmp(r->column, CS_COL_LIFE) == 0) {
            ret = cs_errf(err, errlen, CS_EINVAL,
                          _("this field cannot be typed in: choose one of the two values with "
                            "--pick"));
            goto out;
        }
        guess.type = r->current.type == CS_VINT ? FT_INT : FT_TEXT;
        f = &guess;
    }
    err[0] = 0;
    if ((rc = field_value(c, f, text, &r->fbuf, &r->val, err, errlen)) != 0)
        ret = err[0] ? rc : cs_errf(err, errlen, rc, "%s", cs_strerror(rc));
out:
    return ret;
}

/* Writes the chosen value as a new replicated write. 0, or the error with err set. */
int
conflict_write(struct client *c, const struct resolution *r, char *err, size_t errlen)
{
    char why[1024] = "";
    int rc = cs_replica_resolve(c->rep, r->table, &r->row, r->column, &r->val, why, sizeof(why));
    if (rc != 0)
        cs_errf(err, errlen, rc, _("cannot resolve conflict %s: %s"), r->arg,
                why[0] ? why : cs_strerror(rc));
    return rc;
}

void
conflict_release(struct resolution *r)
{
    free(r->current_mem);
    free(r->other_mem);
    r->current_mem = r->other_mem = NULL;
}

const struct field *
conflicts_field(const char *table, const char *column)
{
    return find_field(table, column);
}

int
conflicts_print(struct client *c, int json, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    char oerr[512];
    int ret;

    if ((ret = conflicts_functions(c, err, errlen)) != 0 ||
        (ret = conflicts_prepare(c, "", json ? list_json_sql : list_table_sql, &st, err, errlen)) !=
            0)
        return ret;
    /* A table of nothing would be its header alone: say that none is open (as search does). */
    if (!json) {
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_DONE) {
            sqlite3_finalize(st);
            printf("%s\n", _("no open conflicts"));
            return 0;
        }
    }
    ret = json ? cs_out_json(stdout, st, oerr, sizeof(oerr))
               : cs_out_table(stdout, st, list_headers, oerr, sizeof(oerr));
    if (ret != 0)
        cs_errf(err, errlen, ret, _("cannot list the conflicts: %s"), oerr);
    sqlite3_finalize(st);
    return ret;
}

int
conflict_args(const char *prog, const char *arg, const char *pick, const char *text, long long *num,
              char *err, size_t errlen)
{
    if ((pick == NULL) == (text == NULL)) {
        snprintf(err, errlen, "%s",
                 _("conflicts resolve: give either --pick current|other or --value TEXT"));
        return CS_EXIT_USAGE;
    }
    if (pick != NULL && strcmp(pick, "current") != 0 && strcmp(pick, "other") != 0) {
        snprintf(err, errlen, _("conflicts resolve: --pick takes 'current' or 'other', not '%s'"),
                 pick);
        return CS_EXIT_USAGE;
    }
    /* Digits only: strtoll would also take signs and spaces. */
    size_t digits = strspn(arg, "0123456789");
    if (digits == 0 || digits > 18 || arg[digits] != 0 || (*num = strtoll(arg, NULL, 10)) == 0) {
        snprintf(err, errlen, _("'%s' is not a conflict number (see '%s conflicts list')"), arg,
                 prog);
        return CS_EXIT_FAILURE;
    }
    return CS_EXIT_OK;
}

/* Says what the field holds now, as the list shows values. */
static int
resolve_print(struct client *c, const struct resolution *r, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(c->db,
                           "SELECT reg_field(?1, ?3), reg_value(?1, ?3, val) FROM cs_version"
                           " WHERE tbl = ?1 AND row = ?2 AND col = ?3 AND state = 'current'",
                           -1, &st, NULL) != SQLITE_OK) {
        return cs_errf(err, errlen, CS_ESQLITE, _("cannot read conflict %s: %s"), r->arg,
                       sqlite3_errmsg(c->db));
    }
    sqlite3_bind_text(st, 1, r->table, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, r->row.b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->column, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *field = (const char *)sqlite3_column_text(st, 0);
        const char *shown = (const char *)sqlite3_column_text(st, 1);
        if (shown != NULL)
            /* TRANSLATORS: conflict number, record ("candidate 1a2b3c4d (name)"), field, value. */
            printf(_("resolved conflict %s: %s, %s is now '%s'\n"), r->arg, r->record, field,
                   shown);
        else
            /* TRANSLATORS: conflict number, record ("candidate 1a2b3c4d (name)"), field. */
            printf(_("resolved conflict %s: %s, %s is now empty\n"), r->arg, r->record, field);
    }
    if (r->others > 0)
        printf(_("other conflicting values of this field resolved with it: %lld\n"), r->others);
    sqlite3_finalize(st);
    return 0;
}

int
conflict_resolve(struct client *c, long long num, const char *record, struct resolution *r,
                 const char *pick, const char *text, char *err, size_t errlen)
{
    int ret;

    if ((ret = conflicts_functions(c, err, errlen)) == 0 &&
        (ret = conflict_find(c, num, record, r, err, errlen)) == 0 &&
        (ret = conflict_choose(c, r, pick, text, err, errlen)) == 0 &&
        (ret = conflict_write(c, r, err, errlen)) == 0)
        ret = resolve_print(c, r, err, errlen);
    conflict_release(r);
    return ret;
}
