/* SPDX-License-Identifier: MIT */
/*
 * `cellsync member add|list|show|edit|delete|undelete`: the party members of this cell. The
 * fields are those of ent_member (entities.c); every write is one replica
 * transaction, so a bad value in any field leaves nothing behind.
 */
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/output.h"
#include "cellsync/refused.h"
#include "client.h"
#include "queries.h"

enum { LIST_JSON, LIST_STATUS, LIST_DELETED, LIST__COUNT };
static const struct cs_cli_opt list_opts[LIST__COUNT] = {
    [LIST_JSON] = {"json", 0, N_("print JSON instead of a table")},
    [LIST_STATUS] = {"status", 1, N_("only members with this status code")},
    [LIST_DELETED] = {"deleted", 0, N_("list the deleted members, with when and by which device")},
};
enum { SHOW_JSON, SHOW__COUNT };
static const struct cs_cli_opt show_opts[SHOW__COUNT] = {
    [SHOW_JSON] = {"json", 0, N_("print JSON instead of labelled lines")},
};

/* The index of a field in ent_member, for the checks that name one. */
static size_t
field_index(const char *column)
{
    return (size_t)(entity_field(&ent_member, column) - ent_member.fields);
}

/* Writes the given fields of one member in a transaction of its own. */
static int
write_member(struct client *c, const struct cs_id *id, const char **fv)
{
    char err[512] = "";
    int ret;

    if ((ret = records_write(c, &ent_member, id, fv, err, sizeof(err))) != 0)
        return client_fail("%s", err[0] ? err : cs_strerror(ret));
    return CS_EXIT_OK;
}

static int
member_add(struct client *c, const struct verb_args *a)
{
    const char *name = a->fv[field_index("full_name")];
    struct cs_id id;
    char hex[CS_ID_HEX_LEN + 1];
    int ret;

    /* A name given empty is refused where every write of a person is (fields_write()). */
    if (name == NULL)
        return client_usage(_("member add: '--name' is required"));
    cs_id_new(&id);
    if ((ret = write_member(c, &id, a->fv)) != 0)
        return ret;
    cs_id_short(&id, hex);
    printf(_("added member %s\n"), hex);
    return CS_EXIT_OK;
}

/* A record the hub refused is marked until it is corrected. */
#define REFUSED CS_REFUSED_SQL("member", "id")

static int
member_list(struct client *c, const struct verb_args *a)
{
    static const char *const headers[] = {N_("id"), N_("name"), N_("status"), N_("date of birth"),
                                          N_("party card number")};
    static const char sql_plain[] =
        "SELECT short_id(id), full_name || iif(" REFUSED ", ' (' || ?2 || ')', ''),"
        " label('member_status', status), birth_date, card_no" MEMBER_LIST_WHERE MEMBER_LIST_ORDER;
    /* json_group_array() keeps the order of the subquery's rows. */
    static const char sql_json[] =
        "SELECT json_group_array(json_object('id', uuid(id), 'short_id', short_id(id),"
        " 'full_name', full_name, 'status', status, 'birth_date', birth_date,"
        " 'card_no', card_no, 'refused', json(iif(" REFUSED ", 'true', 'false'))))"
        "  FROM (SELECT *" MEMBER_LIST_WHERE MEMBER_LIST_ORDER ")";
    const char *status = a->ov[LIST_STATUS];
    int json = a->ov[LIST_JSON] != NULL;
    sqlite3_stmt *st = NULL;
    int ret;

    if (a->ov[LIST_DELETED] != NULL)
        return client_list_deleted(c, "member", json);
    struct field_buf buf;
    struct cs_value v;
    char err[512];
    if (status != NULL && field_value(c, entity_field(&ent_member, "status"), status, &buf, &v, err,
                                      sizeof(err)) != 0)
        return client_fail("%s", err);
    if (sqlite3_prepare_v2(c->db, json ? sql_json : sql_plain, -1, &st, NULL) != SQLITE_OK)
        return client_fail("%s", sqlite3_errmsg(c->db));
    if (status != NULL) /* the code, also when a label was typed */
        sqlite3_bind_text(st, 1, v.p, (int)v.n, SQLITE_STATIC);
    if (!json)
        sqlite3_bind_text(st, 2, _("refused by the hub"), -1, SQLITE_TRANSIENT);
    char oerr[512];
    ret = json ? cs_out_json(stdout, st, oerr, sizeof(oerr))
               : cs_out_table(stdout, st, headers, oerr, sizeof(oerr));
    sqlite3_finalize(st);
    if (ret != 0)
        return client_fail("%s", oerr);
    return CS_EXIT_OK;
}

static int
member_show(struct client *c, const struct verb_args *a)
{
    struct cs_id id;
    char err[256];

    int ret = records_find(c, "member", a->argv[0], &id, err, sizeof(err));
    if (ret == CS_ENOTFOUND || ret == CS_EINVAL)
        return client_show_deleted(c, "member", &ent_member, a->argv[0], a->ov[SHOW_JSON] != NULL,
                                   err);
    if (ret != 0)
        return client_fail("%s", err);
    return records_show(c, &ent_member, &id, a->ov[SHOW_JSON] != NULL);
}

static int
member_edit(struct client *c, const struct verb_args *a)
{
    struct cs_id id;
    char err[256], hex[CS_ID_HEX_LEN + 1];
    size_t given = 0;
    int ret;

    for (size_t i = 0; i < ent_member.nfields; i++)
        given += a->fv[i] != NULL;
    if (given == 0)
        return client_usage(_("member edit: give at least one field to change (see 'cellsync "
                              "member edit --help')"));
    if (records_find(c, "member", a->argv[0], &id, err, sizeof(err)) != 0)
        return client_fail("%s", err);
    if ((ret = write_member(c, &id, a->fv)) != 0)
        return ret;
    cs_id_short(&id, hex);
    printf(_("updated member %s\n"), hex);
    return CS_EXIT_OK;
}

static int
member_delete(struct client *c, const struct verb_args *a)
{
    return client_delete(c, "member", "member", a->argv[0]);
}

static int
member_undelete(struct client *c, const struct verb_args *a)
{
    return client_undelete(c, "member", "member", a->argv[0]);
}

static const struct verb verbs[] = {
    {"add", member_add, &ent_member, NULL, 0, "", 0, 0, N_("add a member (--name is required)")},
    {"list", member_list, NULL, list_opts, LIST__COUNT, "", 0, 0, N_("list the members, by name")},
    {"show", member_show, NULL, show_opts, SHOW__COUNT, "ID", 1, 1,
     N_("show every field of a member")},
    {"edit", member_edit, &ent_member, NULL, 0, "ID", 1, 1,
     N_("change the given fields of a member (an empty value clears one)")},
    {"delete", member_delete, NULL, NULL, 0, "ID", 1, 1,
     N_("delete a member entered by mistake (kept for review, can be undeleted)")},
    {"undelete", member_undelete, NULL, NULL, 0, "ID", 1, 1, N_("restore a deleted member")},
};

int
cmd_member(int argc, char **argv)
{
    return run_verbs("member", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
