/* SPDX-License-Identifier: MIT */
/*
 * The member pages of `cellsync ui` (ui.h): the cell's members in the
 * order of a Vietnamese roll, found by name without tone marks, each
 * shown, added, changed and deleted through what `cellsync member add`,
 * `edit` and `delete` call (records_write(), client_delete_record()), so a
 * form is checked by the same rules and refused with the same reasons.
 */
#include <stdlib.h>
#include <string.h>

#include "cellsync/date.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/refused.h"
#include "client.h"
#include "queries.h"
#include "ui.h"

#define MAX_FIELDS 64

/* The add button, then the search, in the order of the candidates page. */
static void
search_form(struct ui_buf *b, const char *q)
{
    ui_raw(b, "<p><a id=\"add\" class=\"button\" href=\"/member/new\">");
    ui_text(b, _("Add a member"));
    ui_raw(b, "</a></p>\n<form method=\"get\" action=\"/members\" role=\"search\"><label>");
    ui_text(b, _("Find by name (tone marks are optional):"));
    ui_raw(b, " <input type=\"search\" name=\"q\" maxlength=\"200\" value=\"");
    ui_text(b, q);
    ui_raw(b, "\"></label> <button type=\"submit\">");
    ui_text(b, _("Find"));
    ui_raw(b, "</button></form>\n");
}

static void
list_head(struct ui_buf *b)
{
    ui_raw(b, "<table id=\"list\"><thead><tr><th>");
    ui_text(b, _("name"));
    ui_raw(b, "</th><th>");
    ui_text(b, _("status"));
    ui_raw(b, "</th><th>");
    ui_text(b, _("official member since"));
    ui_raw(b, "</th></tr></thead><tbody>\n");
}

static void
list_row(struct ui_buf *b, sqlite3_stmt *st)
{
    char d[CS_DATE_BUFSZ + 32];
    const char *on = (const char *)sqlite3_column_text(st, 3);
    struct cs_id id;

    memcpy(id.b, sqlite3_column_blob(st, 0), CS_ID_LEN);
    ui_raw(b, "<tr><td><a class=\"name\" href=\"/member?id=");
    ui_hex(b, &id);
    ui_raw(b, "\">");
    ui_text(b, (const char *)sqlite3_column_text(st, 1));
    ui_raw(b, "</a>");
    if (sqlite3_column_int(st, 4))
        ui_refused_mark(b);
    ui_raw(b, "</td>");
    ui_cell(b, _("status"), (const char *)sqlite3_column_text(st, 2));
    ui_cell(b, _("official member since"), on ? cs_date_text_vi(on, d, sizeof(d)) : "");
    ui_raw(b, "</tr>\n");
}

/* After a delete, on the list: who was deleted, and a button that brings the record back. */
static void
deleted_notice(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    const char *hex = ui_arg(r, "id");
    char name[256] = "", msg[512];
    struct cs_id id;

    if (hex == NULL || cs_id_from_hex(&id, hex, strlen(hex)) != 0) {
        ui_notice(b, _("The member was deleted. The record is kept for review."));
        return;
    }
    /* A deleted record keeps its fields (for review): its name is still there to read. */
    records_text(x->c, "member", &id, "full_name", name, sizeof(name));
    snprintf(msg, sizeof(msg),
             _("Deleted the member %s. The record is kept for review and can be restored."), name);
    ui_notice(b, msg);
    ui_form_begin(x, b, "/member/undelete");
    ui_raw(b, "<input type=\"hidden\" name=\"id\" value=\"");
    ui_text(b, hex);
    ui_raw(b, "\"><button type=\"submit\" id=\"undelete\">");
    ui_text(b, _("Undo: restore the member"));
    ui_raw(b, "</button></form>\n");
}

static int
page_members(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    /*
     * `member list`'s members, order and mark of a record the hub refused;
     * the search is the candidates page's.
     */
    static const char sql[] = "SELECT id, full_name, label('member_status', status), official_on,"
                              " " CS_REFUSED_SQL("member", "id") MEMBER_LIST_WHERE
        " AND (?2 IS NULL OR rowid IN (SELECT rowid FROM search_member"
        " WHERE search_member MATCH ?2))" MEMBER_LIST_ORDER;
    const char *q = ui_arg(r, "q"), *done = ui_arg(r, "done");
    sqlite3_stmt *st = NULL;
    char *match = NULL;
    int status = 200, rows = 0, rc;

    ui_begin(b, _("Members"), "/members");
    if (done != NULL && strcmp(done, "deleted") == 0)
        deleted_notice(x, r, b);
    search_form(b, q);
    if (q != NULL && q[0] != 0) {
        char *words = (char *)q;
        if (client_search_query(1, &words, &match) != 0) {
            status = 500;
            goto out;
        }
    }
    if (sqlite3_prepare_v2(x->c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        ui_failed(b, x->c);
        status = 500;
        goto out;
    }
    if (match != NULL)
        sqlite3_bind_text(st, 2, match[0] != 0 ? match : "\"\"", -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != CS_ID_LEN)
            continue;
        if (rows++ == 0)
            list_head(b);
        list_row(b, st);
    }
    if (rc != SQLITE_DONE) {
        ui_failed(b, x->c);
        status = 500;
    }
    if (rows > 0)
        ui_raw(b, "</tbody></table>\n");
    else if (status == 200)
        ui_para(b, q != NULL && q[0] != 0 ? _("No member matches these words.")
                                          : _("No member is recorded yet."));
out:
    sqlite3_finalize(st);
    free(match);
    ui_end(b);
    return status;
}

static int
page_member(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    const char *done = ui_arg(r, "done");
    char name[256] = "";
    struct cs_id id;
    int status = 200;

    if (ui_record_live(x, "member", ui_arg(r, "id"), &id) != 0)
        return ui_record_gone(b, _("Member"), "/members", _("Members"));
    records_text(x->c, "member", &id, "full_name", name, sizeof(name));
    ui_begin(b, name[0] ? name : _("Member"), "/members");
    if (done != NULL && strcmp(done, "added") == 0)
        ui_notice(b, _("The member was added."));
    else if (done != NULL && strcmp(done, "changed") == 0)
        ui_notice(b, _("The changes were saved."));
    else if (done != NULL && strcmp(done, "unchanged") == 0)
        ui_notice(b, _("Nothing was changed."));
    else if (done != NULL && strcmp(done, "restored") == 0)
        ui_notice(b, _("The member was restored."));
    ui_record_refused(x, b, "member", &id);
    if (ui_record_fields(x, b, &ent_member, &id) != 0) {
        ui_failed(b, x->c);
        status = 500;
    }
    ui_raw(b, "<p class=\"actions\"><a id=\"edit\" class=\"button\" href=\"/member/edit?id=");
    ui_hex(b, &id);
    ui_raw(b, "\">");
    ui_text(b, _("Change"));
    ui_raw(b, "</a> <a id=\"delete\" class=\"button\" href=\"/member/delete?id=");
    ui_hex(b, &id);
    ui_raw(b, "\">");
    ui_text(b, _("Delete"));
    ui_raw(b, "</a></p>\n");
    ui_end(b);
    return status;
}

/*
 * The form of a member: fv as shown (typed back after a refusal), the
 * error above it, and after a refusal of a likely duplicate the box that
 * says it is another person.
 */
static int
member_form(struct ui_ctx *x, struct ui_buf *b, const struct cs_id *id, char *const *fv,
            const char *error, int duplicate)
{
    char action[64 + CS_ID_HEX_LEN], back[64 + CS_ID_HEX_LEN], hex[CS_ID_HEX_LEN + 1];

    if (id != NULL) {
        cs_id_to_hex(id, hex);
        snprintf(action, sizeof(action), "/member/edit?id=%s", hex);
        snprintf(back, sizeof(back), "/member?id=%s", hex);
    }
    ui_begin(b, id != NULL ? _("Change a member") : _("Add a member"), "/members");
    if (error != NULL)
        ui_error(b, error);
    ui_form_begin(x, b, id != NULL ? action : "/member/new");
    if (duplicate) {
        ui_raw(b, "<p class=\"field check\"><label><input type=\"checkbox\" name=\"duplicate_ok\" "
                  "value=\"1\"> ");
        ui_text(b, _("This is another person with the same name and date of birth"));
        ui_raw(b, "</label></p>\n");
    }
    ui_entity_inputs(x, b, &ent_member, fv);
    ui_form_end(b, id != NULL ? _("Save the changes") : _("Add the member"),
                id != NULL ? back : "/members");
    ui_end(b);
    return error != NULL ? 422 : 200;
}

static int
get_new(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    char *fv[MAX_FIELDS] = {NULL};
    (void)r;
    return member_form(x, b, NULL, fv, NULL, 0);
}

static int
get_edit(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    char *fv[MAX_FIELDS] = {NULL};
    struct cs_id id;
    int status;

    if (ui_record_live(x, "member", ui_arg(r, "id"), &id) != 0)
        return ui_record_gone(b, _("Change a member"), "/members", _("Members"));
    if (ui_entity_load(x, &ent_member, &id, fv) != 0) {
        ui_begin(b, _("Change a member"), "/members");
        ui_failed(b, x->c);
        ui_end(b);
        return 500;
    }
    status = member_form(x, b, &id, fv, NULL, 0);
    ui_entity_free(&ent_member, fv);
    return status;
}

/* Adds (id NULL) or changes a member from the form; 303 to it, or the form again with why. */
static int
post_member(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b, const struct cs_id *id)
{
    char *fv[MAX_FIELDS] = {NULL}, *old[MAX_FIELDS] = {NULL}, *shown[MAX_FIELDS] = {NULL};
    char err[512] = "", hex[CS_ID_HEX_LEN + 1], ok[4];
    size_t given = 0;
    struct cs_id row;
    int ret, status;

    if (ui_entity_read(r, &ent_member, fv) != 0 || ui_entity_read(r, &ent_member, shown) != 0 ||
        (id != NULL && ui_entity_load(x, &ent_member, id, old) != 0)) {
        status = member_form(x, b, id, shown, _("The computer ran out of memory; try again."), 0);
        goto out;
    }
    ui_entity_changed(x, &ent_member, fv, id != NULL ? old : NULL);
    for (size_t i = 0; i < ent_member.nfields; i++)
        given += fv[i] != NULL;
    row = id != NULL ? *id : (struct cs_id){0};
    if (id == NULL)
        cs_id_new(&row);
    cs_id_to_hex(&row, hex);
    /* An edit that changes nothing writes nothing; a new member is judged even when empty. */
    if (given == 0 && id != NULL) {
        status = ui_redirect(r, "/member?id=%s&done=unchanged", hex);
        goto out;
    }
    x->c->duplicate_ok = ui_field(r, "duplicate_ok", ok, sizeof(ok)) == 0;
    x->c->duplicate_hint = _("if this is another person, tick the box above the form and save "
                             "again");
    ret = records_write(x->c, &ent_member, &row, (const char **)fv, err, sizeof(err));
    x->c->duplicate_ok = 0;
    x->c->duplicate_hint = NULL;
    if (ret != 0) {
        status =
            member_form(x, b, id, shown, err[0] ? err : cs_strerror(ret), ret == CS_EDUPLICATE);
        goto out;
    }
    status = ui_redirect(r, "/member?id=%s&done=%s", hex, id != NULL ? "changed" : "added");
out:
    ui_entity_free(&ent_member, fv);
    ui_entity_free(&ent_member, old);
    ui_entity_free(&ent_member, shown);
    return status;
}

static int
post_new(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    return post_member(x, r, b, NULL);
}

static int
post_edit(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct cs_id id;

    if (ui_record_live(x, "member", ui_arg(r, "id"), &id) != 0)
        return ui_record_gone(b, _("Change a member"), "/members", _("Members"));
    return post_member(x, r, b, &id);
}

/* The confirmation: what will happen, and the form that does it. */
static int
get_delete(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    char name[256] = "", what[768], action[64 + CS_ID_HEX_LEN], back[64 + CS_ID_HEX_LEN];
    char hex[CS_ID_HEX_LEN + 1];
    struct cs_id id;

    if (ui_record_live(x, "member", ui_arg(r, "id"), &id) != 0)
        return ui_record_gone(b, _("Delete a member"), "/members", _("Members"));
    client_record_name(x->c, "member", &id, name, sizeof(name));
    cs_id_to_hex(&id, hex);
    snprintf(action, sizeof(action), "/member/delete?id=%s", hex);
    snprintf(back, sizeof(back), "/member?id=%s", hex);
    ui_begin(b, _("Delete a member"), "/members");
    snprintf(what, sizeof(what),
             _("'%s' will be taken off the list of members. Do this only for a member entered by "
               "mistake: the record is kept for review and can be restored right after."),
             name);
    ui_raw(b, "<p id=\"what\">");
    ui_text(b, what);
    ui_raw(b, "</p>\n");
    ui_form_begin(x, b, action);
    ui_form_end(b, _("Delete"), back);
    ui_end(b);
    return 200;
}

static int
post_delete(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    char name[256], err[512] = "", hex[CS_ID_HEX_LEN + 1];
    struct cs_id id;
    int ret;

    if (ui_record_live(x, "member", ui_arg(r, "id"), &id) != 0)
        return ui_record_gone(b, _("Delete a member"), "/members", _("Members"));
    ret = client_delete_record(x->c, "member", &id, name, sizeof(name), err, sizeof(err));
    if (ret != 0) {
        ui_begin(b, _("Delete a member"), "/members");
        ui_error(b, err[0] ? err : cs_strerror(ret));
        ui_end(b);
        return 500;
    }
    cs_id_to_hex(&id, hex);
    return ui_redirect(r, "/members?done=deleted&id=%s", hex);
}

static int
post_undelete(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    char hex[CS_ID_HEX_LEN + 1] = "", name[256], err[512] = "";
    struct cs_id id;
    int ret;

    if (ui_field(r, "id", hex, sizeof(hex)) != 0) {
        ret = CS_EINVAL;
    } else if ((ret = client_record_undelete(x->c, "member", hex, &id, name, sizeof(name), err,
                                             sizeof(err))) == 0) {
        cs_id_to_hex(&id, hex);
        return ui_redirect(r, "/member?id=%s&done=restored", hex);
    }
    ui_begin(b, _("Restore a member"), "/members");
    ui_error(b, err[0] ? err : cs_strerror(ret));
    ui_end(b);
    return 422;
}

const struct ui_route ui_routes_member[] = {
    {"/members", page_members, NULL},
    {"/member", page_member, NULL},
    {"/member/new", get_new, post_new},
    {"/member/edit", get_edit, post_edit},
    {"/member/delete", get_delete, post_delete},
    {"/member/undelete", NULL, post_undelete},
    {NULL, NULL, NULL},
};
