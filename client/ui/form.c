/* SPDX-License-Identifier: MIT */
/*
 * The controls of the forms of `cellsync ui` (ui.h), and a record's fields
 * as a form: made from the same entity tables (client.h) the command line's
 * `add` and `edit` read, so the web form has every field the command has,
 * and what it sends is checked and written by the same fields_write().
 */
#include <stdlib.h>
#include <string.h>

#include "cellsync/codes.h"
#include "cellsync/date.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "client.h"
#include "ui.h"

void
ui_form_begin(struct ui_ctx *x, struct ui_buf *b, const char *action)
{
    ui_raw(b, "<form method=\"post\" action=\"");
    ui_text(b, action);
    ui_raw(b, "\"><input type=\"hidden\" name=\"csrf\" value=\"");
    ui_text(b, x->csrf);
    ui_raw(b, "\">\n");
}

void
ui_form_end(struct ui_buf *b, const char *submit, const char *cancel)
{
    ui_raw(b, "<p class=\"actions\"><button type=\"submit\">");
    ui_text(b, submit);
    ui_raw(b, "</button>");
    if (cancel != NULL) {
        ui_raw(b, " <a class=\"button\" href=\"");
        ui_text(b, cancel);
        ui_raw(b, "\">");
        ui_text(b, _("Cancel"));
        ui_raw(b, "</a>");
    }
    ui_raw(b, "</p></form>\n");
}

static void
line(struct ui_buf *b, const char *cls, const char *role, const char *text)
{
    ui_raw(b, "<p class=\"");
    ui_raw(b, cls);
    ui_raw(b, "\" role=\"");
    ui_raw(b, role);
    ui_raw(b, "\">");
    ui_text(b, text);
    ui_raw(b, "</p>\n");
}

void
ui_error(struct ui_buf *b, const char *text)
{
    line(b, "error", "alert", text);
}

void
ui_notice(struct ui_buf *b, const char *text)
{
    line(b, "ok", "status", text);
}

static void
label_open(struct ui_buf *b, const char *name, const char *label)
{
    ui_raw(b, "<p class=\"field\"><label for=\"f-");
    ui_text(b, name);
    ui_raw(b, "\">");
    ui_text(b, label);
    ui_raw(b, "</label>");
}

void
ui_input(struct ui_buf *b, const char *name, const char *label, const char *value, const char *kind)
{
    int date = strcmp(kind, "date") == 0;

    label_open(b, name, label);
    ui_raw(b, "<input id=\"f-");
    ui_text(b, name);
    ui_raw(b, "\" name=\"");
    ui_text(b, name);
    ui_raw(b, "\" type=\"");
    ui_raw(b, date ? "text" : kind);
    if (date) {
        /* TRANSLATORS: the hint shown in an empty date box; keep the order day/month/year */
        ui_raw(b, "\" inputmode=\"numeric\" autocomplete=\"off\" placeholder=\"");
        ui_text(b, _("DD/MM/YYYY"));
    }
    ui_raw(b, "\" maxlength=\"500\" value=\"");
    ui_text(b, value);
    ui_raw(b, "\"></p>\n");
}

void
ui_textarea(struct ui_buf *b, const char *name, const char *label, const char *value)
{
    label_open(b, name, label);
    ui_raw(b, "<textarea id=\"f-");
    ui_text(b, name);
    ui_raw(b, "\" name=\"");
    ui_text(b, name);
    /* About ten pages of minutes; the form's limit (server.c) stays above every box filled. */
    ui_raw(b, "\" rows=\"8\" maxlength=\"20000\">");
    ui_text(b, value);
    ui_raw(b, "</textarea></p>\n");
}

void
ui_select_code(struct ui_buf *b, const char *name, const char *label, const char *list,
               const char *value, int empty_ok)
{
    const struct cs_code_label *l = cs_code_list(list);

    label_open(b, name, label);
    ui_raw(b, "<select id=\"f-");
    ui_text(b, name);
    ui_raw(b, "\" name=\"");
    ui_text(b, name);
    ui_raw(b, "\">");
    if (empty_ok)
        ui_raw(b, "<option value=\"\"></option>");
    for (; l != NULL && l->code != NULL; l++) {
        ui_raw(b, "<option value=\"");
        ui_text(b, l->code);
        ui_raw(b, value != NULL && strcmp(value, l->code) == 0 ? "\" selected>" : "\">");
        ui_text(b, _(l->label));
        ui_raw(b, "</option>");
    }
    ui_raw(b, "</select></p>\n");
}

/*
 * The unit of a record, as a list of the units this device knows by name:
 * a cell's laptop knows its own and what is above it; blank is the
 * device's own unit, the rule of cs_unit_write().
 */
static void
select_unit(struct ui_ctx *x, struct ui_buf *b, const struct field *f, const char *value)
{
    sqlite3_stmt *st = NULL;
    char own[64] = "";

    cs_replica_meta_get(x->c->rep, CS_META_ORG, own, sizeof(own));
    label_open(b, f->column, _(f->label));
    ui_raw(b, "<select id=\"f-");
    ui_text(b, f->column);
    ui_raw(b, "\" name=\"");
    ui_text(b, f->column);
    ui_raw(b, "\"><option value=\"\">");
    ui_text(b, own[0] ? own : _("this device's unit"));
    ui_raw(b, "</option>");
    if (sqlite3_prepare_v2(x->c->db,
                           "SELECT code, coalesce(name, code) FROM org_unit WHERE cl % 2 = 1"
                           " AND code IS NOT NULL AND code <> ?1 ORDER BY code",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, own, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *code = (const char *)sqlite3_column_text(st, 0);
            ui_raw(b, "<option value=\"");
            ui_text(b, code);
            ui_raw(b, value != NULL && strcmp(value, code) == 0 ? "\" selected>" : "\">");
            ui_text(b, (const char *)sqlite3_column_text(st, 1));
            ui_raw(b, "</option>");
        }
    }
    sqlite3_finalize(st);
    ui_raw(b, "</select></p>\n");
}

void
ui_entity_inputs(struct ui_ctx *x, struct ui_buf *b, const struct entity *e, char *const *fv)
{
    for (size_t i = 0; i < e->nfields; i++) {
        const struct field *f = &e->fields[i];
        if (strcmp(f->column, "org_unit") == 0)
            select_unit(x, b, f, fv[i]);
        else if (f->type == FT_CODE)
            ui_select_code(b, f->column, _(f->label), f->arg, fv[i], 1);
        else if (strcmp(f->column, "minutes") == 0 || strcmp(f->column, "agenda") == 0 ||
                 strcmp(f->column, "resolutions") == 0 || strcmp(f->column, "note") == 0)
            ui_textarea(b, f->column, _(f->label), fv[i]);
        else
            ui_input(b, f->column, _(f->label), fv[i],
                     f->type == FT_DATE  ? "date"
                     : f->type == FT_INT ? "number"
                                         : "text");
    }
}

int
ui_entity_read(const struct ui_req *r, const struct entity *e, char **fv)
{
    /* Absent from the form is "not given"; a field sent empty clears it, as `edit --x ''`. */
    for (size_t i = 0; i < e->nfields; i++) {
        char *v = ui_field_nth(r, e->fields[i].column, 0);
        fv[i] = v;
    }
    return 0;
}

int
ui_entity_load(struct ui_ctx *x, const struct entity *e, const struct cs_id *row, char **fv)
{
    char shown[CS_DATE_BUFSZ + 32];
    /* Minutes run to pages: the text is read whole. */
    size_t len = 256 * 1024;
    char *text = malloc(len);
    int ret = -1;

    if (text == NULL)
        return -1;
    for (size_t i = 0; i < e->nfields; i++) {
        const struct field *f = &e->fields[i];
        fv[i] = NULL;
        if (records_text(x->c, e->table, row, f->column, text, len) != 0 || text[0] == 0)
            continue;
        if (f->type == FT_DATE)
            cs_date_text_vi(text, shown, sizeof(shown));
        if ((fv[i] = strdup(f->type == FT_DATE ? shown : text)) == NULL)
            goto out;
    }
    ret = 0;
out:
    free(text);
    return ret;
}

void
ui_entity_free(const struct entity *e, char **fv)
{
    for (size_t i = 0; i < e->nfields; i++) {
        free(fv[i]);
        fv[i] = NULL;
    }
}

void
ui_select_people(struct ui_ctx *x, struct ui_buf *b, const char *name, const char *label,
                 const char *sql, const char *blank, const char *picked)
{
    sqlite3_stmt *st = NULL;
    struct cs_id want;
    int has = picked != NULL && cs_id_from_hex(&want, picked, strlen(picked)) == 0;

    label_open(b, name, label);
    /* data-filter: the script puts a box before it that narrows the list to the names typed. */
    ui_raw(b, "<select class=\"people\" id=\"f-");
    ui_text(b, name);
    ui_raw(b, "\" name=\"");
    ui_text(b, name);
    ui_raw(b, "\" data-filter=\"");
    ui_text(b, _("Type part of the name, tone marks optional"));
    ui_raw(b, "\"><option value=\"\">");
    ui_text(b, blank);
    ui_raw(b, "</option>");
    if (sqlite3_prepare_v2(x->c->db, sql, -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            char d[CS_DATE_BUFSZ + 32];
            const char *born = (const char *)sqlite3_column_text(st, 2);
            const char *more = (const char *)sqlite3_column_text(st, 3);
            struct cs_id id;
            if (sqlite3_column_bytes(st, 0) != CS_ID_LEN)
                continue;
            memcpy(id.b, sqlite3_column_blob(st, 0), CS_ID_LEN);
            ui_raw(b, "<option value=\"");
            ui_hex(b, &id);
            ui_raw(b, has && memcmp(id.b, want.b, CS_ID_LEN) == 0 ? "\" selected>" : "\">");
            ui_text(b, (const char *)sqlite3_column_text(st, 1));
            /* Two people of one name are told apart by their birth date. */
            if (born != NULL || more != NULL) {
                ui_raw(b, " (");
                ui_text(b, born != NULL ? cs_date_text_vi(born, d, sizeof(d)) : "");
                ui_raw(b, born != NULL && more != NULL ? ", " : "");
                ui_text(b, more);
                ui_raw(b, ")");
            }
            ui_raw(b, "</option>");
        }
    }
    sqlite3_finalize(st);
    ui_raw(b, "</select></p>\n");
}
