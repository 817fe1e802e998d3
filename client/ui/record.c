/* SPDX-License-Identifier: MIT */
/*
 * What the member and meeting pages of `cellsync ui` share (ui.h): a
 * record named in the address by its whole id, which the person never sees
 * nor types; a record's fields as a list of labelled values, read through
 * the same entity tables the forms and `show` use; and the fields of a
 * form sent back, kept only where they differ from the record, so that an
 * edit writes what was changed, as `edit --field` does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/codes.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "cellsync/refusal.h"
#include "client.h"
#include "ui.h"

void
ui_hex(struct ui_buf *b, const struct cs_id *id)
{
    char hex[CS_ID_HEX_LEN + 1];
    cs_id_to_hex(id, hex);
    ui_raw(b, hex);
}

int
ui_record_live(struct ui_ctx *x, const char *table, const char *hex, struct cs_id *out)
{
    char sql[128];
    sqlite3_stmt *st = NULL;
    int live = 0;

    if (hex == NULL || cs_id_from_hex(out, hex, strlen(hex)) != 0)
        return -1;
    /* table is one of the schema's names, never typed text. */
    snprintf(sql, sizeof(sql), "SELECT 1 FROM \"%s\" WHERE id = ?1 AND cl %% 2 = 1", table);
    if (sqlite3_prepare_v2(x->c->db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, out->b, CS_ID_LEN, SQLITE_STATIC);
        live = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return live ? 0 : -1;
}

int
ui_record_gone(struct ui_buf *b, const char *title, const char *back, const char *back_label)
{
    ui_begin(b, title, back);
    ui_para(b, _("This record is not in this computer's records: it may have been deleted. Go back "
                 "to the list and pick it again."));
    ui_raw(b, "<p><a class=\"button\" href=\"");
    ui_text(b, back);
    ui_raw(b, "\">");
    ui_text(b, back_label);
    ui_raw(b, "</a></p>\n");
    ui_end(b);
    return 404;
}

/* Texts of several lines: their line breaks are kept on the page. */
static int
long_text(const struct field *f)
{
    return strcmp(f->column, "agenda") == 0 || strcmp(f->column, "minutes") == 0 ||
           strcmp(f->column, "resolutions") == 0 || strcmp(f->column, "note") == 0;
}

const char *
ui_unit_text(struct ui_ctx *x, const char *code, char *buf, size_t len)
{
    sqlite3_stmt *st = NULL;

    snprintf(buf, len, "%s", code != NULL ? code : "");
    /* The names form.c's select_unit shows; a unit not known here keeps its code. */
    if (code != NULL &&
        sqlite3_prepare_v2(x->c->db,
                           "SELECT name FROM org_unit WHERE cl % 2 = 1 AND code = ?1"
                           " AND name IS NOT NULL AND name <> ''",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(buf, len, "%s (%s)", (const char *)sqlite3_column_text(st, 0), code);
    }
    sqlite3_finalize(st);
    return buf;
}

void
ui_refused_mark(struct ui_buf *b)
{
    ui_raw(b, " <span class=\"refused\">");
    ui_text(b, _("refused by the hub"));
    ui_raw(b, "</span>");
}

void
ui_record_refused(struct ui_ctx *x, struct ui_buf *b, const char *table, const struct cs_id *id)
{
    /* The refusals `list` marks the record for (CS_REFUSED_SQL): those still open. */
    static const char sql[] =
        "SELECT code, reason FROM cs_refused_open WHERE tbl = ?1 AND row = ?2 ORDER BY hlc";
    char reasons[1024] = "", one[512], msg[1536];
    sqlite3_stmt *st = NULL;
    size_t used = 0;

    if (sqlite3_prepare_v2(x->c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, id->b, CS_ID_LEN, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW && used < sizeof(reasons) - 1) {
        /* As the sync's own message says it (device_refusals_print): each reason once. */
        cs_refusal_render(sqlite3_column_int(st, 0), (const char *)sqlite3_column_text(st, 1), one,
                          sizeof(one));
        if (strstr(reasons, one) == NULL)
            used += (size_t)snprintf(reasons + used, sizeof(reasons) - used, "%s%s",
                                     used ? "; " : "", one);
    }
    sqlite3_finalize(st);
    if (reasons[0] == 0)
        return;
    snprintf(msg, sizeof(msg),
             _("The hub refused this record: %s. Correct it with Change and sync again; it stays "
               "marked until it is changed."),
             reasons);
    ui_raw(b, "<p id=\"refused\" class=\"refused\" role=\"alert\">");
    ui_text(b, msg);
    ui_raw(b, "</p>\n");
}

int
ui_record_fields(struct ui_ctx *x, struct ui_buf *b, const struct entity *e,
                 const struct cs_id *row)
{
    char *fv[64] = {NULL}, unit[512];

    if (e->nfields > sizeof(fv) / sizeof(fv[0]) || ui_entity_load(x, e, row, fv) != 0)
        return -1;
    ui_raw(b, "<dl id=\"fields\" class=\"fields\">\n");
    for (size_t i = 0; i < e->nfields; i++) {
        const struct field *f = &e->fields[i];
        const char *shown = fv[i];
        if (fv[i] == NULL)
            continue;
        if (f->type == FT_CODE && cs_code_label(f->arg, fv[i]) != NULL)
            shown = cs_code_label(f->arg, fv[i]);
        else if (strcmp(f->column, "org_unit") == 0)
            shown = ui_unit_text(x, fv[i], unit, sizeof(unit));
        ui_raw(b, "<dt>");
        ui_text(b, _(f->label));
        ui_raw(b, long_text(f) ? "</dt><dd class=\"text\">" : "</dt><dd>");
        ui_text(b, shown);
        ui_raw(b, "</dd>\n");
    }
    ui_raw(b, "</dl>\n");
    ui_entity_free(e, fv);
    return 0;
}

static int
same_text(const char *a, const char *b)
{
    return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

void
ui_entity_changed(struct ui_ctx *x, const struct entity *e, char **fv, char *const *old)
{
    char own[64] = "";

    cs_replica_meta_get(x->c->rep, CS_META_ORG, own, sizeof(own));
    for (size_t i = 0; i < e->nfields; i++) {
        const char *was = old != NULL ? old[i] : NULL;
        /* The unit list shows the device's own unit as its blank first choice. */
        if (strcmp(e->fields[i].column, "org_unit") == 0 && fv[i] != NULL && fv[i][0] == 0 &&
            was != NULL && strcmp(was, own) == 0)
            was = "";
        if (fv[i] != NULL && same_text(fv[i], was)) {
            free(fv[i]);
            fv[i] = NULL;
        }
    }
}
