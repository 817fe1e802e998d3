/* SPDX-License-Identifier: MIT */
/*
 * Record fields described as data (see client.h): finding a field, turning
 * what a person typed into a typed value (dates normalised, codes checked,
 * references resolved), writing the given fields of a record, and reading
 * free text for an option from standard input or a file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "client.h"

const struct field *
entity_field(const struct entity *e, const char *column)
{
    for (size_t i = 0; i < e->nfields; i++)
        if (strcmp(e->fields[i].column, column) == 0)
            return &e->fields[i];
    return NULL;
}

int
fields_write(struct client *c, const struct entity *e, const struct cs_id *row, const char **fv,
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

int
fields_read_text(const char *arg, char **out, char *err, size_t errlen)
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

/*
 * field_value() is what fields_write() does to one typed value, so
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
