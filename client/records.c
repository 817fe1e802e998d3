/* SPDX-License-Identifier: MIT */
/*
 * Records as a person names and sees them (see client.h): finding a live
 * record from its id or name (cellsync/find.h), reading one column of it,
 * writing the fields of one, and the SQL that shows it as JSON (printing
 * it as `show` does is records_show.c's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/find.h"
#include "cellsync/i18n.h"
#include "cellsync/record.h"
#include "client.h"

int
records_find(struct client *c, const char *table, const char *text, struct cs_id *out, char *err,
             size_t errlen)
{
    return cs_find_record(c->db, table, text, out, err, errlen);
}

int
records_text(struct client *c, const char *table, const struct cs_id *row, const char *column,
             char *buf, size_t len)
{
    return cs_record_text(c->db, table, row, column, buf, len);
}

int
records_write(struct client *c, const struct entity *e, const struct cs_id *row, const char **fv,
              char *err, size_t errlen)
{
    int ret;

    if ((ret = cs_replica_begin(c->rep, err, errlen)) != 0)
        return ret;
    if ((ret = fields_write(c, e, row, fv, err, errlen)) != 0 ||
        (ret = cs_replica_commit(c->rep, err, errlen)) != 0)
        cs_replica_rollback(c->rep);
    return ret;
}

void
records_field_expr(const struct field *f, const char *alias, int json, char *buf, size_t len)
{
    if (f->type == FT_CODE && !json)
        snprintf(buf, len, "label('%s', %s.\"%s\")", f->arg, alias, f->column);
    else if (f->type == FT_REF)
        snprintf(buf, len, "%s(%s.\"%s\")", json ? "uuid" : "short_id", alias, f->column);
    else
        snprintf(buf, len, "%s.\"%s\"", alias, f->column);
}

int
records_json_expr(const struct entity *e, const char *alias, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "json_object('id', uuid(%s.id)", alias);
    for (size_t i = 0; i < e->nfields && n < len; i++) {
        char expr[128];
        records_field_expr(&e->fields[i], alias, 1, expr, sizeof(expr));
        n += (size_t)snprintf(buf + n, len - n, ", '%s', %s", e->fields[i].column, expr);
    }
    if (n + 2 > len)
        return CS_ETOOBIG;
    snprintf(buf + n, len - n, ")");
    return 0;
}
