/* SPDX-License-Identifier: MIT */
/*
 * The conflict page of `cellsync ui` (ui.h): every open conflict as
 * `cellsync conflicts list` finds it (conflicts_prepare()), the two values
 * side by side with the device that wrote each and when, and a form that
 * keeps one of them or a typed value through the very functions of
 * `cellsync conflicts resolve` (conflict_find, conflict_choose,
 * conflict_write), so a typed value is checked as `edit` checks it.
 */
#include <stdlib.h>
#include <string.h>

#include "cellsync/codes.h"
#include "cellsync/date.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/replica.h"
#include "cellsync/sqlstmt.h"
#include "client.h"
#include "conflicts.h"
#include "ui.h"

/* When a version was written (its hlc's milliseconds), as the pages show times. */
#define SHOWN_TIME(x) "strftime('%d/%m/%Y %H:%M', (" x " >> 16) / 1000, 'unixepoch', 'localtime')"

/* clang-format off */
static const char list_sql[] =
    "SELECT num, tname, row, cname, reg_table(tname), rname, reg_field(tname, cname),"
    " cval, device_label(csite), " SHOWN_TIME("chlc") ","
    " val, device_label(site), " SHOWN_TIME("hlc")
    " FROM x ORDER BY seq";
/* clang-format on */

/* What a person calls a record: a person's name or a meeting's date; "" when neither. */
static void
record_title(struct client *c, const char *table, const struct cs_id *row, char *buf, size_t len)
{
    char text[256] = "";

    buf[0] = 0;
    if (strcmp(table, "candidate") == 0 || strcmp(table, "member") == 0)
        records_text(c, table, row, "full_name", buf, len);
    else if (strcmp(table, "meeting") == 0 &&
             records_text(c, table, row, "held_on", text, sizeof(text)) == 0 && text[0] != 0)
        cs_date_text_vi(text, buf, len);
}

/* A stored value as a person reads it: a code's label, a date DD/MM/YYYY, a record's name. */
static void
show_value(struct client *c, struct ui_buf *b, const char *table, const char *column,
           sqlite3_stmt *st, int i)
{
    const struct field *f = conflicts_field(table, column);
    const char *s = (const char *)sqlite3_column_text(st, i);
    char buf[256];

    if (sqlite3_column_type(st, i) == SQLITE_NULL) {
        ui_raw(b, "<em>");
        ui_text(b, _("(empty)"));
        ui_raw(b, "</em>");
    } else if (strcmp(column, CS_COL_LIFE) == 0) {
        ui_text(b, sqlite3_column_int64(st, i) % 2 ? _("not deleted") : _("deleted"));
    } else if (f != NULL && f->type == FT_REF && sqlite3_column_bytes(st, i) == CS_ID_LEN) {
        struct cs_id id;
        memcpy(id.b, sqlite3_column_blob(st, i), CS_ID_LEN);
        record_title(c, f->arg, &id, buf, sizeof(buf));
        ui_text(b, buf[0] ? buf : _("a record not on this device"));
    } else if (f != NULL && f->type == FT_CODE && cs_code_label(f->arg, s) != NULL) {
        ui_text(b, cs_code_label(f->arg, s));
    } else if (f != NULL && f->type == FT_DATE) {
        ui_text(b, cs_date_text_vi(s, buf, sizeof(buf)));
    } else {
        ui_text(b, s);
    }
}

/* One side: the value, who wrote it and when, and the button that keeps it. */
static void
side(struct client *c, struct ui_buf *b, sqlite3_stmt *st, int at, const char *pick)
{
    const char *table = (const char *)sqlite3_column_text(st, 1);
    const char *column = (const char *)sqlite3_column_text(st, 3);

    ui_raw(b, "<div class=\"side\"><p class=\"value\">");
    show_value(c, b, table, column, st, at);
    ui_raw(b, "</p><p class=\"who\">");
    ui_text(b, _("written on"));
    ui_raw(b, " <span class=\"device\">");
    ui_text(b, (const char *)sqlite3_column_text(st, at + 1));
    ui_raw(b, "</span>, <span class=\"when\">");
    ui_text(b, (const char *)sqlite3_column_text(st, at + 2));
    ui_raw(b, "</span></p><button type=\"submit\" name=\"pick\" value=\"");
    ui_raw(b, pick);
    ui_raw(b, "\">");
    ui_text(b, _("Keep this value"));
    ui_raw(b, "</button></div>\n");
}

/*
 * One conflict: its record and field, the two sides, and the typed value.
 * The form's first button, out of sight, is the typed value's: Enter in the
 * text box takes what was typed, not a side.
 */
static void
conflict(struct ui_ctx *x, struct ui_buf *b, sqlite3_stmt *st, const char *typed_for,
         const char *typed, const char *why)
{
    const char *table = (const char *)sqlite3_column_text(st, 1);
    const char *column = (const char *)sqlite3_column_text(st, 3);
    long long num = sqlite3_column_int64(st, 0);
    char hex[CS_ID_HEX_LEN + 1] = "", title[256] = "", key[64];
    struct cs_id row;

    if (sqlite3_column_bytes(st, 2) == CS_ID_LEN) {
        memcpy(row.b, sqlite3_column_blob(st, 2), CS_ID_LEN);
        cs_id_to_hex(&row, hex);
        record_title(x->c, table, &row, title, sizeof(title));
    }
    snprintf(key, sizeof(key), "%lld", num);
    int mine = typed_for != NULL && strcmp(typed_for, key) == 0;
    ui_raw(b, "<section class=\"conflict\" id=\"c-");
    ui_num(b, num);
    ui_raw(b, "\"><h2>");
    ui_text(b, (const char *)sqlite3_column_text(st, 4));
    if (title[0]) {
        ui_raw(b, " <span class=\"name\">");
        ui_text(b, title);
        ui_raw(b, "</span>");
    }
    ui_raw(b, ": <span class=\"field\">");
    ui_text(b, (const char *)sqlite3_column_text(st, 6));
    ui_raw(b, "</span></h2>\n");
    if (mine && why != NULL)
        ui_error(b, why);
    ui_form_begin(x, b, "/conflicts/resolve");
    ui_raw(b, "<input type=\"hidden\" name=\"conflict\" value=\"");
    ui_num(b, num);
    ui_raw(b, "\"><input type=\"hidden\" name=\"record\" value=\"");
    ui_text(b, hex);
    ui_raw(b, "\">");
    int typeable = conflicts_field(table, column) != NULL;
    if (typeable)
        ui_raw(b, "<button type=\"submit\" class=\"enter\" tabindex=\"-1\" aria-hidden=\"true\">"
                  "</button>");
    ui_raw(b, "<div class=\"sides\">\n");
    side(x->c, b, st, 7, "current");
    side(x->c, b, st, 10, "other");
    ui_raw(b, "</div>\n");
    if (typeable) {
        /* Named value in every form; the id tells the labels of the boxes apart. */
        ui_raw(b, "<p class=\"field\"><label for=\"value-");
        ui_num(b, num);
        ui_raw(b, "\">");
        ui_text(b, _("Or type the right value"));
        ui_raw(b, "</label><input type=\"text\" maxlength=\"500\" name=\"value\" id=\"value-");
        ui_num(b, num);
        ui_raw(b, "\" value=\"");
        ui_text(b, mine ? typed : NULL);
        ui_raw(b, "\"></p>\n");
        ui_form_end(b, _("Use the typed value"), NULL);
    } else {
        ui_raw(b, "</form>\n");
    }
    ui_raw(b, "</section>\n");
}

/* The page; typed_for (a conflict's number) gets typed back in its box and why above it. */
static int
page(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b, const char *typed_for, const char *typed,
     const char *why, int status)
{
    struct client *c = x->c;
    sqlite3_stmt *st = NULL;
    char err[1024] = "";
    int rows = 0, rc;

    ui_begin(b, _("Conflicts"), "/conflicts");
    if (why != NULL && typed_for == NULL)
        ui_error(b, why);
    if (ui_arg(r, "done") != NULL && why == NULL)
        ui_notice(b, _("The conflict is resolved: the value kept goes to the hub and every "
                       "device with the next sync."));
    if (conflicts_functions(c, err, sizeof(err)) != 0 ||
        conflicts_prepare(c, "", list_sql, &st, err, sizeof(err)) != 0) {
        ui_error(b, err);
        status = 500;
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (rows++ == 0)
            ui_para(b, _("The same field was changed on two devices before they synced. Keep "
                         "the right value, or type it."));
        conflict(x, b, st, typed_for, typed, why);
    }
    if (rc != SQLITE_DONE) {
        ui_failed(b, c);
        status = 500;
    } else if (rows == 0) {
        ui_para(b, _("No open conflict: every field has one value."));
    }
out:
    sqlite3_finalize(st);
    ui_end(b);
    return status;
}

static int
conflicts_get(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    return page(x, r, b, NULL, NULL, NULL, 200);
}

static int
conflicts_resolve(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    char num[24] = "", record[CS_ID_HEX_LEN + 1] = "", pick[16] = "", err[4096] = "";
    struct resolution res = {.arg = num};
    char *text = NULL;
    int status;

    if (ui_field(r, "conflict", num, sizeof(num)) != 0 || num[0] == 0 ||
        num[strspn(num, "0123456789")] != 0 || ui_field(r, "record", record, sizeof(record)) != 0) {
        status = page(x, r, b, NULL, NULL, _("This form is damaged: reload the page."), 422);
        goto out;
    }
    ui_field(r, "pick", pick, sizeof(pick));
    text = ui_field_nth(r, "value", 0);
    if (pick[0] != 0 && strcmp(pick, "current") != 0 && strcmp(pick, "other") != 0) {
        status = page(x, r, b, NULL, NULL, _("This form is damaged: reload the page."), 422);
        goto out;
    }
    if (pick[0] == 0 && (text == NULL || text[strspn(text, " \t")] == 0)) {
        status = page(x, r, b, num, text,
                      _("Type the right value in the box, or keep one of the two values."), 422);
        goto out;
    }
    int rc = conflicts_functions(x->c, err, sizeof(err));
    if (rc == 0 && (rc = conflict_find(x->c, strtoll(num, NULL, 10), record, &res, err,
                                       sizeof(err))) == CS_ENOTFOUND) {
        status = page(x, r, b, NULL, NULL,
                      _("This conflict is not open any more: it was resolved already, here or "
                        "on another device."),
                      422);
        goto out;
    }
    if (rc == 0)
        rc = conflict_choose(x->c, &res, pick[0] ? pick : NULL, text, err, sizeof(err));
    if (rc == 0)
        rc = conflict_write(x->c, &res, err, sizeof(err));
    if (rc != 0)
        status = page(x, r, b, num, text, err, 422);
    else
        status = ui_redirect(r, "/conflicts?done=1");
out:
    conflict_release(&res);
    free(text);
    return status;
}

const struct ui_route ui_routes_conflict[] = {
    {"/conflicts", conflicts_get, NULL},
    {"/conflicts/resolve", NULL, conflicts_resolve},
    {NULL, NULL, NULL},
};
