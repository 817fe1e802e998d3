/* SPDX-License-Identifier: MIT */
/*
 * Record fields described as data (see client.h): finding a field, turning
 * what a person typed into a typed value (dates normalised, codes checked,
 * references resolved), writing the given fields of a record, and reading
 * free text for an option from standard input (with a prompt at a
 * terminal) or a file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "cellsync/unit.h"
#include "cellsync/util.h"
#include "client.h"

const struct field *
entity_field(const struct entity *e, const char *column)
{
    for (size_t i = 0; i < e->nfields; i++)
        if (strcmp(e->fields[i].column, column) == 0)
            return &e->fields[i];
    return NULL;
}

void
fields_help(FILE *f, const struct entity *e)
{
    for (size_t i = 0; i < e->nfields; i++) {
        const struct field *fd = &e->fields[i];
        char arg[1024] = "TEXT"; /* room for every choice of a list, with its label */
        if (fd->type == FT_DATE)
            snprintf(arg, sizeof(arg), "%s", "DD/MM/YYYY");
        else if (fd->type == FT_CODE)
            cs_code_choices_text(fd->arg, arg, sizeof(arg));
        else if (fd->type == FT_REF)
            snprintf(arg, sizeof(arg), "%s", "NAME|ID");
        else if (fd->type == FT_INT)
            snprintf(arg, sizeof(arg), "%s", "N");
        fprintf(f, "  --%s %s\n      %s\n", fd->opt, fd->type == FT_CODE ? "CODE" : arg,
                _(fd->label));
        if (fd->type == FT_CODE)
            fprintf(f, "      %s\n", arg);
    }
}

const struct cs_cli_opt fields_duplicate_opt = {
    "duplicate-ok", 0,
    N_("record the person even if someone with the same name and date of birth is in the cell")};

int
fields_person(const struct entity *e)
{
    return e == &ent_candidate || e == &ent_member;
}

/*
 * After a person's name, date of birth or cell is written: refuses a
 * likely second record of someone already in the cell. Refusing rather
 * than warning, because a warning scrolls past a secretary and the second
 * record then splits the person's history and counts them twice.
 */
static int
check_duplicate(struct client *c, const struct entity *e, const struct cs_id *row, const char **fv,
                char *err, size_t errlen)
{
    const char *typed = fv[entity_field(e, "org_unit") - e->fields];
    char org[64] = "", why[512];
    int ret;

    if (c->duplicate_ok || (fv[entity_field(e, "full_name") - e->fields] == NULL &&
                            fv[entity_field(e, "birth_date") - e->fields] == NULL && typed == NULL))
        return 0;
    /* A record without a cell is about to get the device's own (candidate add does that). */
    if (typed == NULL || typed[0] == 0)
        cs_replica_meta_get(c->rep, CS_META_ORG, org, sizeof(org));
    ret = cs_person_duplicate(c->db, e->table, row, org, NULL, why, sizeof(why));
    if (ret == CS_EDUPLICATE && c->duplicate_hint != NULL)
        return cs_errf(err, errlen, ret, "%s; %s", why, c->duplicate_hint);
    if (ret == CS_EDUPLICATE)
        return cs_errf(err, errlen, ret,
                       _("%s; if this is another person, run the command again with "
                         "--duplicate-ok"),
                       why);
    if (ret != 0)
        return cs_errf(err, errlen, ret, "%s", why);
    return 0;
}

/*
 * A person is found and picked by their full name, so a record of one
 * keeps it: read back after the write, so an add without one and an edit
 * that clears it (`edit --name ''`, an emptied box) are refused alike, by
 * every command and page that writes a person.
 */
static int
check_name(struct client *c, const struct entity *e, const struct cs_id *row, char *err,
           size_t errlen)
{
    char sql[128];
    sqlite3_stmt *st;
    int named = 0, rc;

    snprintf(sql, sizeof(sql), "SELECT trim(full_name) <> '' FROM %s WHERE id = ?1", e->table);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return cs_errf(err, errlen, CS_ESQLITE, "%s", sqlite3_errmsg(c->db));
    sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
        named = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cs_errf(err, errlen, CS_ESQLITE, "%s", sqlite3_errmsg(c->db));
    if (named)
        return 0;
    return cs_errf(err, errlen, CS_EINVAL, "%s",
                   e == &ent_candidate ? _("a candidate needs a full name")
                                       : _("a member needs a full name"));
}

int
fields_write(struct client *c, const struct entity *e, const struct cs_id *row, const char **fv,
             char *err, size_t errlen)
{
    /* The record's unit, by the one rule every writer follows (cellsync/unit.h). */
    const struct field *unit = entity_field(e, "org_unit");
    int ret = cs_unit_write(c->rep, e->table, row, unit ? fv[unit - e->fields] : NULL, err, errlen);
    if (ret != 0)
        return ret;
    /* Every value checked first, then written in one go: the row is written once. */
    struct field_buf *buf = calloc(e->nfields ? e->nfields : 1, sizeof(*buf));
    struct cs_value *val = calloc(e->nfields ? e->nfields : 1, sizeof(*val));
    const char **cols = calloc(e->nfields ? e->nfields : 1, sizeof(*cols));
    size_t n = 0;
    ret = buf == NULL || val == NULL || cols == NULL ? CS_ENOMEM : 0;
    for (size_t i = 0; i < e->nfields && ret == 0; i++) {
        const struct field *f = &e->fields[i];
        if (fv[i] == NULL || f == unit)
            continue;
        cols[n] = f->column;
        ret = field_value(c, f, fv[i], &buf[n], &val[n], err, errlen);
        n++;
    }
    if (ret == 0)
        ret = cs_replica_set_row(c->rep, e->table, row, n, cols, val, err, errlen);
    else if (ret == CS_ENOMEM)
        cs_errf(err, errlen, ret, "%s", cs_strerror(ret));
    free(buf);
    free(val);
    free(cols);
    if (ret != 0)
        return ret;
    if (!fields_person(e))
        return 0;
    if ((ret = check_name(c, e, row, err, errlen)) != 0)
        return ret;
    return check_duplicate(c, e, row, fv, err, errlen);
}

/*
 * Text typed at the terminal: a prompt says what to type and how to end,
 * since a terminal that waits silently looks broken. A line holding only
 * "." ends it (as in mail(1): easier to find than Ctrl-D, which works too).
 */
static int
read_terminal(const char *label, char **out, char *err, size_t errlen)
{
    char *line = NULL, *buf = NULL;
    size_t lcap = 0, len = 0, cap = 0;
    ssize_t n;
    int ret = 0;

    /* TRANSLATORS: %s is what to type ("minutes"); '.' and Ctrl-D are typed as they are. */
    fprintf(stderr, _("type the %s; end with a line holding only '.' or press Ctrl-D\n"),
            label != NULL ? _(label) : _("text"));
    while ((n = getline(&line, &lcap, stdin)) > 0) {
        if (strcmp(line, ".\n") == 0 || strcmp(line, ".\r\n") == 0 || strcmp(line, ".") == 0)
            break;
        if (len + (size_t)n > CS_VALUE_MAX) {
            ret = cs_errf(err, errlen, CS_ETOOBIG, _("'%s' is longer than %u bytes"), "-",
                          CS_VALUE_MAX);
            goto out;
        }
        if ((ret = cs_grow((void **)&buf, &cap, len + (size_t)n + 1, 1, 4096)) != 0)
            goto out;
        memcpy(buf + len, line, (size_t)n);
        len += (size_t)n;
    }
    if (ferror(stdin)) {
        ret = cs_errf(err, errlen, CS_EINVAL, _("cannot read '%s'"), "-");
        goto out;
    }
    if (buf == NULL && (buf = malloc(1)) == NULL) {
        ret = CS_ENOMEM;
        goto out;
    }
    buf[len] = 0;
    *out = buf;
    buf = NULL;
out:
    /* Ctrl-D ends this text only: a later read of the terminal waits again. */
    clearerr(stdin);
    free(line);
    free(buf);
    return ret;
}

int
fields_read_text(const char *arg, const char *label, char **out, char *err, size_t errlen)
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
    if (strcmp(arg, "-") == 0 && isatty(STDIN_FILENO))
        return read_terminal(label, out, err, errlen);
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

/*
 * field_value() is what fields_write() does to one typed value, so
 * `conflicts resolve --value` checks a value the same way `edit` does.
 */

int
field_value(struct client *c, const struct field *f, const char *text, struct field_buf *buf,
            struct cs_value *out, char *err, size_t errlen)
{
    static const enum cs_schema_type types[] = {
        [FT_TEXT] = CS_SCHEMA_TEXT, [FT_DATE] = CS_SCHEMA_DATE, [FT_CODE] = CS_SCHEMA_CODE,
        [FT_REF] = CS_SCHEMA_REF,   [FT_INT] = CS_SCHEMA_INT,
    };
    const struct cs_schema_column col = {f->column,    types[f->type], f->arg,
                                         CS_ROLE_CELL, f->opt,         f->label};
    const char *value;
    int ret;

    *out = (struct cs_value){.type = CS_VNIL};
    /* An empty value clears the field. */
    if (text[0] == 0)
        return 0;
    switch (f->type) {
    case FT_TEXT:
    case FT_DATE:
    case FT_CODE:
        if ((ret = cs_validate_value(&col, text, c->today, buf->text, &value, err, errlen)) != 0)
            return ret;
        out->type = CS_VTEXT;
        out->p = value;
        out->n = strlen(value);
        break;
    case FT_REF:
        if ((ret = records_find(c, f->arg, text, &buf->ref, err, errlen)) != 0)
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
