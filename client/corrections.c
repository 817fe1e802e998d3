/* SPDX-License-Identifier: MIT */
/*
 * Corrections every record kind shares (see client.h): `delete` and
 * `undelete` of candidates, members, meetings and the rows of a meeting,
 * the list of deleted records, and what `show` says of a deleted one. The
 * work is cellsync/record.h's; here a record is named as a person types
 * it, and each delete says what was deleted and the command that undoes it,
 * since scripts run these without a question asked.
 */
#include <stdio.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/find.h"
#include "cellsync/i18n.h"
#include "cellsync/output.h"
#include "cellsync/record.h"
#include "cellsync/schema.h"
#include "client.h"

void
client_record_name(struct client *c, const char *table, const struct cs_id *id, char *buf,
                   size_t len)
{
    const char *column = strcmp(table, "meeting") == 0 ? "held_on" : "full_name";
    buf[0] = 0;
    if (cs_schema_column(table, column) != NULL && records_text(c, table, id, column, buf, len))
        buf[0] = 0;
    cs_date_text_vi(buf, buf, len);
}

static const char *
label_of(const char *table)
{
    const struct cs_schema_table *t = cs_schema_table(table);
    return t != NULL ? _(t->label) : table;
}

int
client_delete_record(struct client *c, const char *table, const struct cs_id *id, char *name,
                     size_t namelen, char *err, size_t errlen)
{
    int ret = cs_record_delete(c->rep, table, id, err, errlen);
    if (ret == 0)
        client_record_name(c, table, id, name, namelen);
    return ret;
}

int
client_record_undelete(struct client *c, const char *table, const char *text, struct cs_id *id,
                       char *name, size_t len, char *err, size_t errlen)
{
    int ret;

    if ((ret = cs_find_deleted(c->db, table, text, id, err, errlen)) != 0 ||
        (ret = cs_record_undelete(c->rep, table, id, err, errlen)) != 0)
        return ret;
    client_record_name(c, table, id, name, len);
    return 0;
}

int
client_delete(struct client *c, const char *cmd, const char *table, const char *text)
{
    char err[512] = "", name[256], shrt[CS_ID_SHORT_LEN + 1];
    struct cs_id id;
    int ret;

    if ((ret = records_find(c, table, text, &id, err, sizeof(err))) != 0 ||
        (ret = client_delete_record(c, table, &id, name, sizeof(name), err, sizeof(err))) != 0)
        return client_fail("%s", err[0] ? err : cs_strerror(ret));
    cs_id_short(&id, shrt);
    printf(_("deleted %s %s '%s' (kept for review: 'cellsync %s list --deleted')\n"),
           label_of(table), shrt, name, cmd);
    printf(_("to undo it: cellsync %s undelete %s\n"), cmd, shrt);
    return CS_EXIT_OK;
}

int
client_undelete(struct client *c, const char *cmd, const char *table, const char *text)
{
    char err[512] = "", name[256], shrt[CS_ID_SHORT_LEN + 1];
    struct cs_id id;
    int ret;

    (void)cmd;
    if ((ret = client_record_undelete(c, table, text, &id, name, sizeof(name), err, sizeof(err))) !=
        0)
        return client_fail("%s", err[0] ? err : cs_strerror(ret));
    cs_id_short(&id, shrt);
    if (name[0] != 0)
        printf(_("restored %s %s '%s'\n"), label_of(table), shrt, name);
    else
        printf(_("restored %s %s\n"), label_of(table), shrt);
    return CS_EXIT_OK;
}

int
client_list_deleted(struct client *c, const char *table, int json)
{
    static const char *const headers[] = {N_("id"), N_("name"), N_("deleted on"), N_("deleted by")};
    char err[512] = "";
    sqlite3_stmt *st;
    int ret;

    if ((ret = cs_record_deleted_list(c->rep, table, json, &st, err, sizeof(err))) != 0)
        return client_fail("%s", err);
    ret = json ? cs_out_json(stdout, st, err, sizeof(err))
               : cs_out_table(stdout, st, headers, err, sizeof(err));
    sqlite3_finalize(st);
    return ret == 0 ? CS_EXIT_OK : client_fail("%s", err);
}

int
client_show_deleted(struct client *c, const char *cmd, const struct entity *e, const char *text,
                    int json, const char *notfound)
{
    char err[512] = "", when[96], shrt[CS_ID_SHORT_LEN + 1];
    struct cs_record_life life;
    struct cs_id id;
    int ret;

    /* A name or id that matches no deleted record either: the first error stands. */
    if (cs_find_deleted(c->db, e->table, text, &id, err, sizeof(err)) == CS_ENOTFOUND)
        return client_fail("%s", notfound);
    if (err[0] != 0)
        return client_fail("%s", err);
    if ((ret = records_show(c, e, &id, json)) != 0)
        return ret;
    if (json)
        return CS_EXIT_OK;
    if ((ret = cs_record_life(c->rep, e->table, &id, &life)) != 0)
        return client_fail("%s", cs_strerror(ret));
    cs_id_short(&id, shrt);
    printf(_("deleted on: %s\n"), cs_record_life_text(&life, when, sizeof(when)));
    printf(_("to restore it: cellsync %s undelete %s\n"), cmd, shrt);
    return CS_EXIT_OK;
}
