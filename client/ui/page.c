/* SPDX-License-Identifier: MIT */
/*
 * The pages of `cellsync ui`, written on the server as plain HTML (ui.h).
 * Every text that is not the page's own markup goes through ui_text(); the
 * numbers and lists come from the queries and functions the command line
 * runs (queries.h, cs_candidate_due_fill(), client_search_query()), so a
 * page cannot count or find differently from `status` or `candidate list`.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cellsync/candidate.h"
#include "cellsync/codes.h"
#include "cellsync/date.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "cellsync/schema.h"
#include "client.h"
#include "queries.h"
#include "ui.h"

/* Kept small; sizes in px so that every link and button is at least 44 px high. */
const char ui_style_css[] =
    "body{font-family:sans-serif;margin:0;color:#222;background:#fafafa;font-size:18px}"
    "nav{display:flex;flex-wrap:wrap;background:#8b0000}"
    "nav a{color:#fff;text-decoration:none;padding:0 16px;min-height:44px;line-height:44px}"
    "nav a.on{background:#b22222;font-weight:bold}"
    "main{padding:8px 16px;max-width:1100px}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;padding:8px;border-bottom:1px solid #ddd}"
    "dl.nums{display:grid;grid-template-columns:max-content auto;gap:8px 24px}"
    "dl.nums dd{margin:0;font-weight:bold}"
    /* A phone: labels wrap, values keep their room; nothing wider than the screen. */
    "@media (max-width:600px){dl.nums{grid-template-columns:1fr auto}"
    "th,td{padding:6px 4px;overflow-wrap:anywhere}}"
    "input,button{font-size:18px;min-height:44px;padding:0 12px}"
    "a{min-height:44px}";

/* No page needs a script yet; the file exists so that the policy's 'self' has one place. */
const char ui_app_js[] = "\"use strict\";\n";

static const struct {
    const char *href, *label;
} nav[] = {
    {"/", N_("Home")},
    {"/candidates", N_("Candidates")},
    {"/members", N_("Members")},
    {"/meetings", N_("Meetings")},
    {"/conflicts", N_("Conflicts")},
    {"/sync", N_("Sync")},
};

void
ui_begin(struct ui_buf *b, const char *title, const char *here)
{
    /* TRANSLATORS: the language code of this translation, for the web pages' lang="..." */
    const char *lang = _("en");

    ui_raw(b, "<!DOCTYPE html>\n<html lang=\"");
    ui_text(b, lang);
    ui_raw(b, "\"><head><meta charset=\"utf-8\">"
              "<meta name=\"viewport\" content=\"width=device-width\">"
              "<link rel=\"stylesheet\" href=\"/style.css\">"
              "<script src=\"/app.js\" defer></script><title>");
    ui_text(b, title);
    ui_raw(b, " - cellsync</title></head>\n<body>");
    if (here != NULL) {
        ui_raw(b, "<nav>");
        for (size_t i = 0; i < sizeof(nav) / sizeof(nav[0]); i++) {
            ui_raw(b, "<a href=\"");
            ui_raw(b, nav[i].href);
            ui_raw(b, strcmp(nav[i].href, here) == 0 ? "\" class=\"on\">" : "\">");
            ui_text(b, _(nav[i].label));
            ui_raw(b, "</a>");
        }
        ui_raw(b, "</nav>");
    }
    ui_raw(b, "\n<main><h1>");
    ui_text(b, title);
    ui_raw(b, "</h1>\n");
}

void
ui_end(struct ui_buf *b)
{
    ui_raw(b, "</main></body></html>\n");
}

void
ui_para(struct ui_buf *b, const char *text)
{
    ui_raw(b, "<p>");
    ui_text(b, text);
    ui_raw(b, "</p>\n");
}

void
ui_number(struct ui_buf *b, const char *label, long long v, const char *id)
{
    ui_raw(b, "<dt>");
    ui_text(b, label);
    ui_raw(b, "</dt><dd id=\"");
    ui_raw(b, id);
    ui_raw(b, "\">");
    ui_num(b, v);
    ui_raw(b, "</dd>\n");
}

/* One count (a query of one integer), binding this device and the hub's acknowledged seq. */
int
ui_count(struct client *c, const char *sql, long long *v)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;

    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_bind_parameter_count(st) >= 2) {
        sqlite3_bind_blob(st, 1, cs_replica_site(c->rep)->b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, client_hub_acked(c));
    }
    if (sqlite3_step(st) != SQLITE_ROW)
        goto out;
    *v = sqlite3_column_int64(st, 0);
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

void
ui_failed(struct ui_buf *b, struct client *c)
{
    ui_raw(b, "<p class=\"error\">");
    ui_text(b, _("cannot read the records:"));
    ui_raw(b, " ");
    ui_text(b, sqlite3_errmsg(c->db));
    ui_raw(b, "</p>\n");
}

int
ui_page_home(struct ui_ctx *x, struct ui_buf *b)
{
    struct client *c = x->c;
    char err[512] = "", contact[64], when[64] = "";
    long long unsent = 0, overdue = 0, week = 0, cands = 0;
    uint64_t conflicts = 0;
    int status = 200;

    ui_begin(b, _("Home"), "/");
    if (cs_replica_conflict_count(c->rep, &conflicts) != 0 ||
        cs_candidate_due_fill(c->db, c->today, c->hol, NULL, NULL, err, sizeof(err)) != 0 ||
        ui_count(c, "SELECT " COUNT_UNACKED, &unsent) != 0 ||
        ui_count(c, "SELECT " COUNT_OVERDUE, &overdue) != 0 ||
        ui_count(c, "SELECT count(*) FROM temp.due_rows WHERE days_left BETWEEN 0 AND 6", &week) !=
            0 ||
        ui_count(c, "SELECT " COUNT_CANDIDATES, &cands) != 0) {
        ui_failed(b, c);
        status = 500;
        goto out;
    }
    if (cs_replica_meta_get(c->rep, CS_META_LAST_CONTACT, contact, sizeof(contact)) == 0 &&
        contact[0] != 0) {
        time_t t = (time_t)strtoll(contact, NULL, 10);
        struct tm tm;
        if (localtime_r(&t, &tm) != NULL)
            strftime(when, sizeof(when), "%d/%m/%Y %H:%M", &tm);
    }
    ui_raw(b, "<dl class=\"nums\">\n");
    ui_number(b, _("changes not yet sent to the hub"), unsent, "unsent");
    ui_raw(b, "<dt>");
    ui_text(b, _("last contact with the hub"));
    ui_raw(b, "</dt><dd id=\"contact\">");
    ui_text(b, when[0] ? when : _("never"));
    ui_raw(b, "</dd>\n");
    ui_number(b, _("open conflicts"), (long long)conflicts, "conflicts");
    ui_number(b, _("overdue deadlines"), overdue, "overdue");
    ui_number(b, _("deadlines this week"), week, "week");
    ui_number(b, _("candidates in progress"), cands, "candidates");
    ui_raw(b, "</dl>\n");
out:
    ui_end(b);
    return status;
}

int
ui_page_candidates(struct ui_ctx *x, const char *q, struct ui_buf *b)
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

int
ui_page_not_found(struct ui_ctx *x, struct ui_buf *b)
{
    (void)x;
    ui_begin(b, _("Not here yet"), "");
    ui_para(b, _("This page does not exist yet. Use the links above."));
    ui_end(b);
    return 404;
}

int
ui_page_forbidden(struct ui_buf *b)
{
    ui_begin(b, _("Not allowed"), NULL);
    ui_para(b, _("This address is not open to you. Start 'cellsync ui' again on this computer and "
                 "use the address it gives."));
    ui_end(b);
    return 403;
}
