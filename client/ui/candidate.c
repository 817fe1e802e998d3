/* SPDX-License-Identifier: MIT */
/*
 * The candidate pages of `cellsync ui` (ui.h): the list, searchable
 * without tone marks, from the query `candidate list` runs.
 */
#include <stdlib.h>
#include <string.h>

#include "cellsync/candidate.h"
#include "cellsync/date.h"
#include "cellsync/i18n.h"
#include "cellsync/schema.h"
#include "client.h"
#include "queries.h"
#include "ui.h"

int
ui_page_candidates(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    /* The date of the stage reached: the stage's own column, from the schema's stage map. */
#define XX(name, code, column, label) " WHEN '" code "' THEN " column
    static const char sql[] =
        "SELECT full_name, birth_date, label('stage', stage),"
        " CASE stage" CS_STAGE_MAP(
            XX) " END" CANDIDATE_LIST_WHERE
                " AND (?3 IS NULL OR rowid IN (SELECT rowid FROM search_candidate"
                " WHERE search_candidate MATCH ?3)) ORDER BY full_name COLLATE vi_name, id";
#undef XX
    struct client *c = x->c;
    const char *q = ui_arg(r, "q");
    sqlite3_stmt *st = NULL;
    char *match = NULL;
    int status = 200, rows = 0;

    ui_begin(b, _("Candidates"), "/candidates");
    ui_raw(b, "<form method=\"get\" action=\"/candidates\" role=\"search\"><label>");
    ui_text(b, _("Find by name (tone marks are optional):"));
    ui_raw(b, " <input type=\"search\" name=\"q\" value=\"");
    ui_text(b, q);
    ui_raw(b, "\"></label> <button type=\"submit\">");
    ui_text(b, _("Find"));
    ui_raw(b, "</button></form>\n");
    if (q != NULL && q[0] != 0) {
        char *words = (char *)q;
        if (client_search_query(1, &words, &match) != 0) {
            status = 500;
            goto out;
        }
    }
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        ui_failed(b, c);
        status = 500;
        goto out;
    }
    sqlite3_bind_int(st, 2, q != NULL && q[0] != 0);
    if (match != NULL && match[0] != 0)
        sqlite3_bind_text(st, 3, match, -1, SQLITE_STATIC);
    else if (match != NULL)
        sqlite3_bind_text(st, 3, "\"\"", -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char d1[CS_DATE_BUFSZ + 32], d2[CS_DATE_BUFSZ + 32];
        const char *born = (const char *)sqlite3_column_text(st, 1);
        const char *on = (const char *)sqlite3_column_text(st, 3);
        if (rows++ == 0) {
            ui_raw(b, "<table><thead><tr><th>");
            ui_text(b, _("name"));
            ui_raw(b, "</th><th>");
            ui_text(b, _("born"));
            ui_raw(b, "</th><th>");
            ui_text(b, _("stage"));
            ui_raw(b, "</th><th>");
            ui_text(b, _("since"));
            ui_raw(b, "</th></tr></thead><tbody>\n");
        }
        ui_raw(b, "<tr><td>");
        ui_text(b, (const char *)sqlite3_column_text(st, 0));
        ui_raw(b, "</td><td>");
        ui_text(b, born ? cs_date_text_vi(born, d1, sizeof(d1)) : "");
        ui_raw(b, "</td><td>");
        ui_text(b, (const char *)sqlite3_column_text(st, 2));
        ui_raw(b, "</td><td>");
        ui_text(b, on ? cs_date_text_vi(on, d2, sizeof(d2)) : "");
        ui_raw(b, "</td></tr>\n");
    }
    if (rc != SQLITE_DONE) {
        ui_failed(b, c);
        status = 500;
    }
    if (rows > 0)
        ui_raw(b, "</tbody></table>\n");
    else if (status == 200)
        ui_para(b, q != NULL && q[0] != 0 ? _("No candidate matches these words.")
                                          : _("No candidate in progress."));
out:
    sqlite3_finalize(st);
    free(match);
    ui_end(b);
    return status;
}

const struct ui_route ui_routes_candidate[] = {
    {NULL, NULL, NULL},
};
