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

#include <sodium.h>

#include "cellsync/candidate.h"
#include "cellsync/codes.h"
#include "cellsync/date.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "cellsync/schema.h"
#include "client.h"
#include "queries.h"
#include "ui.h"

/*
 * How the last sync went, one sentence: the result of the one this launch
 * ran (ui_sync_last()), else what the replica knows of the last contact.
 */
static void
last_sync(struct client *c, const char *when, char *buf, size_t len)
{
    char v[128] = "";

    if (cs_replica_meta_get(c->rep, CS_META_HUB_PK, v, sizeof(v)) != 0 || v[0] == 0)
        snprintf(buf, len, "%s", _("Not enrolled with a hub yet: nothing is sent."));
    else if (ui_sync_last(buf, len) == 0)
        v[0] = 0; /* said: this launch's own sync */
    else if (when[0] != 0)
        snprintf(buf, len, _("The hub was last reached on %s."), when);
    else if (cs_replica_meta_get(c->rep, CS_META_ENROLL_SECRET, v, sizeof(v)) == 0 && v[0] != 0)
        snprintf(buf, len, "%s",
                 _("Not synced yet: sync once, so that the hub registers this computer."));
    else
        snprintf(buf, len, "%s", _("This computer has not reached the hub yet."));
    sodium_memzero(v, sizeof(v));
}

/* The deadlines of this week and the overdue ones, as `cellsync due --within 6` lists them. */
static int
due_list(struct client *c, struct ui_buf *b)
{
    sqlite3_stmt *st = NULL;
    int rc, rows = 0;

    if (sqlite3_prepare_v2(c->db,
                           "SELECT candidate, name, kind_label, due, days_left FROM (" DUE_ROWS ")",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int(st, 1, 6);
    ui_raw(b, "<h2>");
    ui_text(b, _("Due this week and overdue"));
    ui_raw(b, "</h2>\n<ul id=\"due\">\n");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char hex[CS_ID_HEX_LEN + 1], day[CS_DATE_BUFSZ + 32];
        struct cs_id id;
        const char *due = (const char *)sqlite3_column_text(st, 3);
        if (sqlite3_column_bytes(st, 0) != CS_ID_LEN)
            continue;
        memcpy(id.b, sqlite3_column_blob(st, 0), CS_ID_LEN);
        cs_id_to_hex(&id, hex);
        ui_raw(b, sqlite3_column_int(st, 4) < 0 ? "<li class=\"overdue\">" : "<li>");
        ui_raw(b, "<a class=\"name\" href=\"/candidate?id=");
        ui_raw(b, hex);
        ui_raw(b, "\">");
        ui_text(b, (const char *)sqlite3_column_text(st, 1));
        ui_raw(b, "</a>: ");
        ui_text(b, (const char *)sqlite3_column_text(st, 2));
        ui_raw(b, ", ");
        ui_text(b, due ? cs_date_text_vi(due, day, sizeof(day)) : "");
        if (sqlite3_column_int(st, 4) < 0) {
            ui_raw(b, " ");
            ui_text(b, _("(overdue)"));
        }
        ui_raw(b, "</li>\n");
        rows++;
    }
    ui_raw(b, "</ul>\n");
    if (rows == 0)
        ui_para(b, _("Nothing is due this week."));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int
ui_page_home(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct client *c = x->c;
    char err[512] = "", contact[64], when[64] = "", target[32], admitted[32], sync[256];
    char hub[128] = "";
    long long unsent = 0, overdue = 0, week = 0, cands = 0;
    uint64_t conflicts = 0;
    int status = 200;
    (void)r;

    ui_begin(b, _("Home"), "/");
    if (cs_replica_conflict_count(c->rep, &conflicts) != 0 ||
        ui_report_target(x, target, admitted) != 0 ||
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
    /* First, in red: the records of a stolen laptop on a plain disk are anyone's. */
    const char *disk_warning = client_disk_warning(c);
    if (disk_warning != NULL) {
        ui_raw(b, "<div id=\"unencrypted-disk\">");
        ui_error(b, disk_warning);
        ui_raw(b, "</div>\n");
    }
    if (cs_replica_meta_get(c->rep, CS_META_HUB_PK, hub, sizeof(hub)) != 0 || hub[0] == 0) {
        ui_raw(b, "<p id=\"not-enrolled\">");
        ui_text(b, _("This computer is not enrolled yet: it works on its own, and sends nothing "
                     "to the hub."));
        ui_raw(b, " <a id=\"enroll\" href=\"/setup\">");
        ui_text(b, _("Enroll it now"));
        ui_raw(b, "</a></p>\n");
    }
    last_sync(c, when, sync, sizeof(sync));
    ui_raw(b, "<dl class=\"nums\">\n");
    ui_number(b, _("changes not yet sent to the hub"), unsent, "unsent");
    ui_raw(b, "<dt>");
    ui_text(b, _("last contact with the hub"));
    ui_raw(b, "</dt><dd id=\"contact\">");
    ui_text(b, when[0] ? when : _("never"));
    ui_raw(b, "</dd>\n<dt>");
    ui_text(b, _("last sync"));
    ui_raw(b, "</dt><dd id=\"last-sync\">");
    ui_text(b, sync);
    ui_raw(b, "</dd>\n");
    ui_number(b, _("open conflicts"), (long long)conflicts, "conflicts");
    ui_number(b, _("overdue deadlines"), overdue, "overdue");
    ui_number(b, _("deadlines this week"), week, "week");
    ui_number(b, _("candidates in progress"), cands, "candidates");
    ui_raw(b, "<dt>");
    ui_text(b, _("admissions target this year"));
    ui_raw(b, "</dt><dd id=\"target\">");
    ui_text(b, target);
    ui_raw(b, "</dd>\n<dt>");
    ui_text(b, _("admitted this year"));
    ui_raw(b, "</dt><dd id=\"admitted\">");
    ui_text(b, admitted);
    ui_raw(b, "</dd>\n</dl>\n");
    if (due_list(c, b) != 0) {
        ui_failed(b, c);
        status = 500;
    }
out:
    ui_end(b);
    return status;
}

const struct ui_route ui_routes_home[] = {
    {"/", ui_page_home, NULL},
    {NULL, NULL, NULL},
};

int
ui_page_not_found(struct ui_ctx *x, struct ui_buf *b)
{
    (void)x;
    ui_begin(b, _("Page not found"), "");
    ui_para(b, _("There is no such page. Use the links above."));
    ui_end(b);
    return 404;
}

int
ui_page_failed(struct ui_ctx *x, struct ui_buf *b)
{
    ui_buf_free(b);
    ui_begin(b, _("Something went wrong"), "");
    if (x->c != NULL) {
        int rc = sqlite3_errcode(x->c->db);
        if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
            ui_failed(b, x->c);
    }
    ui_para(b, _("Nothing was changed by this page. Go back and try again; if it happens again, "
                 "close cellsync ui and start it again."));
    ui_end(b);
    return 500;
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
