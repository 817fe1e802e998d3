/* SPDX-License-Identifier: MIT */
/*
 * The candidate pages of `cellsync ui` (ui.h): the list, searchable
 * without tone marks, from the query `candidate list` runs; a candidate's
 * fields and the timeline of its steps, with what the next one needs and
 * when things are due (the rules of cellsync/rules.h, never a copy); the
 * forms to add and change one (the entity table of `candidate add` and
 * `edit`); and the confirmation pages of advance, undo, withdraw and
 * delete. Every write goes through the functions the command line calls
 * (casework.c, records_write(), client_delete_record()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/candidate.h"
#include "cellsync/codes.h"
#include "cellsync/date.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "cellsync/refused.h"
#include "cellsync/schema.h"
#include "client.h"
#include "queries.h"
#include "ui.h"

/* The address of a candidate's page: /candidate?id= and its whole id. */
static void
cand_href(struct ui_buf *b, const char *path, const struct cs_id *id)
{
    char hex[CS_ID_HEX_LEN + 1];
    cs_id_to_hex(id, hex);
    ui_raw(b, path);
    ui_raw(b, "?id=");
    ui_raw(b, hex);
}

/* A row's name as the link to its page; the id is column i of st. */
static void
name_link(struct ui_buf *b, sqlite3_stmt *st, int i, const char *name)
{
    struct cs_id id;
    if (sqlite3_column_bytes(st, i) != CS_ID_LEN) {
        ui_text(b, name);
        return;
    }
    memcpy(id.b, sqlite3_column_blob(st, i), CS_ID_LEN);
    ui_raw(b, "<a class=\"name\" href=\"");
    cand_href(b, "/candidate", &id);
    ui_raw(b, "\">");
    ui_text(b, name);
    ui_raw(b, "</a>");
}

/*
 * The candidate the address names (?id=, its whole id), live: 0 with *id
 * and its name, or -1 (no such id, or deleted).
 */
static int
cand_of(struct ui_ctx *x, struct ui_req *r, struct cs_id *id, char *name, size_t len)
{
    if (ui_record_live(x, "candidate", ui_arg(r, "id"), id) != 0)
        return -1;
    records_text(x->c, "candidate", id, "full_name", name, len);
    return 0;
}

static int
not_found(struct ui_buf *b)
{
    ui_begin(b, _("Candidate not found"), "/candidates");
    ui_error(b, _("This candidate is not in the records: it may have been deleted. Pick one from "
                  "the list of candidates."));
    ui_end(b);
    return 404;
}

/* After a delete, on the list: what was deleted, and a button that brings it back. */
static void
deleted_notice(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    const char *done = ui_arg(r, "done"), *hex = ui_arg(r, "id");
    char msg[512];

    if (done == NULL || strcmp(done, "deleted") != 0 || hex == NULL)
        return;
    struct cs_id id;
    char name[256] = "";
    /* A deleted record keeps its fields (for review): its name is still there to read. */
    if (cs_id_from_hex(&id, hex, strlen(hex)) != 0)
        return;
    records_text(x->c, "candidate", &id, "full_name", name, sizeof(name));
    snprintf(msg, sizeof(msg),
             _("Deleted the candidate %s. It is kept for review and can be restored."), name);
    ui_notice(b, msg);
    ui_raw(b, "<form method=\"post\" action=\"/candidate/undelete\">"
              "<input type=\"hidden\" name=\"csrf\" value=\"");
    ui_text(b, x->csrf);
    ui_raw(b, "\"><input type=\"hidden\" name=\"id\" value=\"");
    ui_text(b, hex);
    ui_raw(b, "\"><button type=\"submit\" id=\"undelete\">");
    ui_text(b, _("Undo: restore the candidate"));
    ui_raw(b, "</button></form>\n");
}

int
ui_page_candidates(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    /*
     * The date of the stage reached: the stage's own column, from the schema's
     * stage map; and a record the hub refused marked, as `candidate list` marks it.
     */
#define XX(name, code, column, label) " WHEN '" code "' THEN " column
    static const char sql[] =
        "SELECT full_name, birth_date, label('stage', stage),"
        " CASE stage" CS_STAGE_MAP(XX) " END, id, " CS_REFUSED_SQL("candidate", "id")
            CANDIDATE_LIST_WHERE
        " AND (?3 IS NULL OR rowid IN (SELECT rowid FROM search_candidate"
        " WHERE search_candidate MATCH ?3)) ORDER BY full_name COLLATE vi_name, id";
#undef XX
    struct client *c = x->c;
    const char *q = ui_arg(r, "q");
    sqlite3_stmt *st = NULL;
    char *match = NULL;
    int status = 200, rows = 0;

    ui_begin(b, _("Candidates"), "/candidates");
    deleted_notice(x, r, b);
    ui_raw(b, "<p><a id=\"add\" class=\"button\" href=\"/candidate/new\">");
    ui_text(b, _("Add a candidate"));
    ui_raw(b, "</a></p>\n");
    ui_raw(b, "<form method=\"get\" action=\"/candidates\" role=\"search\"><label>");
    ui_text(b, _("Find by name (tone marks are optional):"));
    ui_raw(b, " <input type=\"search\" name=\"q\" maxlength=\"200\" value=\"");
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
            ui_raw(b, "<table id=\"list\"><thead><tr><th>");
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
        name_link(b, st, 4, (const char *)sqlite3_column_text(st, 0));
        if (sqlite3_column_int(st, 5))
            ui_refused_mark(b);
        ui_raw(b, "</td>");
        ui_cell(b, _("born"), born ? cs_date_text_vi(born, d1, sizeof(d1)) : "");
        ui_cell(b, _("stage"), (const char *)sqlite3_column_text(st, 2));
        ui_cell(b, _("since"), on ? cs_date_text_vi(on, d2, sizeof(d2)) : "");
        ui_raw(b, "</tr>\n");
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

/* ---- add and edit ---- */

/* The past steps a new candidate may bring from paper: up to the verification, where no member is
 * named but the helper. */
#define PAPER_STEPS (CS_STAGE_VERIFIED + 1)

/* What the add and edit forms show: the fields as typed, the past steps' dates and helper. */
struct cand_form {
    char *fv[64];
    char *on[PAPER_STEPS];
    char *helper;
    int dup; /* a likely duplicate was refused: offer "this is another person" */
};

static void
cand_form_free(struct cand_form *f)
{
    ui_entity_free(&ent_candidate, f->fv);
    for (size_t i = 0; i < PAPER_STEPS; i++)
        free(f->on[i]);
    free(f->helper);
}

/*
 * A <select> of the cell's members by name (value: the member's whole id),
 * blank first: the helper and the sponsors are picked here, never typed.
 */
static void
select_member(struct ui_ctx *x, struct ui_buf *b, const char *name, const char *label,
              const char *value)
{
    ui_select_people(x, b, name, label,
                     "SELECT id, full_name, birth_date, label('member_status', status)"
                     " FROM member WHERE cl % 2 = 1 AND coalesce(status, '')"
                     " NOT IN ('transferred_out', 'struck_off', 'deceased')"
                     " ORDER BY full_name COLLATE vi_name, id",
                     "", value);
}

static void
dup_box(struct ui_buf *b, int dup)
{
    if (!dup)
        return;
    ui_raw(b, "<p class=\"field\"><label><input type=\"checkbox\" id=\"f-duplicate_ok\" "
              "name=\"duplicate_ok\" value=\"1\"> ");
    ui_text(b, _("this is another person: record them anyway"));
    ui_raw(b, "</label></p>\n");
}

static int
new_page(struct ui_ctx *x, struct ui_buf *b, struct cand_form *f, const char *error, int status)
{
    ui_begin(b, _("Add a candidate"), "/candidates");
    if (error != NULL)
        ui_error(b, error);
    ui_form_begin(x, b, "/candidate/new");
    dup_box(b, f->dup);
    ui_entity_inputs(x, b, &ent_candidate, f->fv);
    ui_raw(b, "<fieldset id=\"paper\"><legend>");
    ui_text(b, _("Steps already taken (from the paper records); leave empty for a new candidate"));
    ui_raw(b, "</legend>\n");
    for (int st = 0; st < PAPER_STEPS; st++) {
        char label[256];
        snprintf(label, sizeof(label), _("date: %s"),
                 cs_code_label("stage", cs_stage_code((enum cs_stage)st)));
        ui_input(b, cs_candidate_stage_column((enum cs_stage)st), label, f->on[st], "date");
        if (st == CS_STAGE_HELPER)
            select_member(x, b, "helper", _("the member assigned to help"), f->helper);
    }
    ui_raw(b, "</fieldset>\n");
    ui_form_end(b, _("Save"), "/candidates");
    ui_end(b);
    return status;
}

static int
page_new(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct cand_form f = {0};
    (void)r;
    int status = new_page(x, b, &f, NULL, 200);
    cand_form_free(&f);
    return status;
}

/* A message naming what to fix: "label: why". */
static void
refusal(char *out, size_t len, const char *label, const char *why)
{
    if (label != NULL)
        snprintf(out, len, "%s: %s", label, why);
    else
        snprintf(out, len, "%s", why);
}

/* The label of the field or step a refusal of cs_candidate_record() is about. */
static const char *
input_label(const char *column)
{
    const struct field *fl = column != NULL ? entity_field(&ent_candidate, column) : NULL;
    const struct cs_schema_column *sc =
        column != NULL ? cs_schema_column("candidate", column) : NULL;
    if (fl != NULL)
        return _(fl->label);
    return sc != NULL ? _(sc->label) : NULL;
}

static int
post_new(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct client *c = x->c;
    struct cand_form f = {0};
    struct cs_step steps[CS_STAGE__COUNT], brings;
    struct step_members m;
    int32_t on[CS_STAGE__COUNT];
    char err[1024] = "", msg[1400] = "", hex[CS_ID_HEX_LEN + 1];
    struct cs_id id;
    int ret, failed = -1, status;

    if (ui_entity_read(r, &ent_candidate, f.fv) != 0)
        return 500;
    /* An empty box of a new record is a field not given. */
    for (size_t i = 0; i < ent_candidate.nfields; i++)
        if (f.fv[i] != NULL && f.fv[i][0] == 0) {
            free(f.fv[i]);
            f.fv[i] = NULL;
        }
    f.helper = ui_field_nth(r, "helper", 0);
    cs_step_init(&brings);
    for (int st = 0; st < CS_STAGE__COUNT; st++) {
        on[st] = CS_DATE_NONE;
        if (st >= PAPER_STEPS)
            continue;
        f.on[st] = ui_field_nth(r, cs_candidate_stage_column((enum cs_stage)st), 0);
        if (f.on[st] != NULL && f.on[st][0] != 0 && msg[0] == 0 &&
            cs_date_parse(f.on[st], &on[st], err, sizeof(err)) != 0)
            refusal(msg, sizeof(msg), input_label(cs_candidate_stage_column((enum cs_stage)st)),
                    err);
    }
    if (msg[0] == 0 && f.helper != NULL && f.helper[0] != 0 &&
        client_step_members(c, f.helper, NULL, NULL, &m, &brings, err, sizeof(err)) != 0)
        refusal(msg, sizeof(msg), _("helper"), err);
    if (msg[0] != 0)
        goto refused;
    size_t n = cs_candidate_paper_steps(on, -1, &brings, steps);
    c->duplicate_ok = ui_field(r, "duplicate_ok", err, sizeof(err)) == 0;
    c->duplicate_hint = _("if this is another person, tick the box above and save again");
    err[0] = 0;
    ret = client_cand_add(c, (const char **)f.fv, steps, n, NULL, NULL, NULL, &id, &failed, err,
                          sizeof(err));
    c->duplicate_ok = 0;
    c->duplicate_hint = NULL;
    if (ret == 0) {
        cand_form_free(&f);
        cs_id_to_hex(&id, hex);
        return ui_redirect(r, "/candidate?id=%s&done=added", hex);
    }
    f.dup = ret == CS_EDUPLICATE;
    if (failed >= 0) {
        const char *in = input_label(steps[failed].field);
        char step[512];
        snprintf(step, sizeof(step), _("the step '%s'"),
                 cs_code_label("stage", cs_stage_code((enum cs_stage)failed)));
        refusal(msg, sizeof(msg), in != NULL ? in : step, err);
    } else {
        refusal(msg, sizeof(msg), NULL, err[0] ? err : cs_strerror(ret));
    }
refused:
    status = new_page(x, b, &f, msg, 422);
    cand_form_free(&f);
    return status;
}

static int
edit_page(struct ui_ctx *x, struct ui_buf *b, const struct cs_id *id, const char *name,
          struct cand_form *f, const char *error, int status)
{
    char title[400], action[128];
    char hex[CS_ID_HEX_LEN + 1];

    cs_id_to_hex(id, hex);
    snprintf(title, sizeof(title), _("Change %s"), name);
    snprintf(action, sizeof(action), "/candidate/edit?id=%s", hex);
    ui_begin(b, title, "/candidates");
    if (error != NULL)
        ui_error(b, error);
    ui_form_begin(x, b, action);
    dup_box(b, f->dup);
    ui_entity_inputs(x, b, &ent_candidate, f->fv);
    snprintf(action, sizeof(action), "/candidate?id=%s", hex);
    ui_form_end(b, _("Save"), action);
    ui_end(b);
    return status;
}

static int
page_edit(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct cand_form f = {0};
    struct cs_id id;
    char name[256];
    int status;

    if (cand_of(x, r, &id, name, sizeof(name)) != 0)
        return not_found(b);
    if (ui_entity_load(x, &ent_candidate, &id, f.fv) != 0) {
        cand_form_free(&f);
        return 500;
    }
    status = edit_page(x, b, &id, name, &f, NULL, 200);
    cand_form_free(&f);
    return status;
}

static int
post_edit(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct client *c = x->c;
    struct cand_form f = {0}, stored = {0};
    const char *sent[64];
    struct cs_id id;
    char name[256], err[1024] = "", hex[CS_ID_HEX_LEN + 1];
    int ret, status;

    if (cand_of(x, r, &id, name, sizeof(name)) != 0)
        return not_found(b);
    if (ui_entity_read(r, &ent_candidate, f.fv) != 0)
        return 500;
    /*
     * Only what was changed is written, as `edit` writes only the options
     * given: an unchanged field rewritten would be a change to sync, and
     * could conflict with another device's edit of it.
     */
    if (ui_entity_load(x, &ent_candidate, &id, stored.fv) != 0) {
        cand_form_free(&f);
        return 500;
    }
    /* The unit's blank choice is the device's own unit (cs_unit_write()), as stored. */
    size_t u = (size_t)(entity_field(&ent_candidate, "org_unit") - ent_candidate.fields);
    char own[64] = "";
    cs_replica_meta_get(c->rep, CS_META_ORG, own, sizeof(own));
    if (stored.fv[u] != NULL && strcmp(stored.fv[u], own) == 0) {
        free(stored.fv[u]);
        stored.fv[u] = NULL;
    }
    for (size_t i = 0; i < ent_candidate.nfields; i++)
        if (f.fv[i] != NULL && strcmp(f.fv[i], stored.fv[i] != NULL ? stored.fv[i] : "") == 0)
            sent[i] = NULL;
        else
            sent[i] = f.fv[i];
    cand_form_free(&stored);
    c->duplicate_ok = ui_field(r, "duplicate_ok", err, sizeof(err)) == 0;
    c->duplicate_hint = _("if this is another person, tick the box above and save again");
    err[0] = 0;
    ret = records_write(c, &ent_candidate, &id, sent, err, sizeof(err));
    c->duplicate_ok = 0;
    c->duplicate_hint = NULL;
    if (ret == 0) {
        cand_form_free(&f);
        cs_id_to_hex(&id, hex);
        return ui_redirect(r, "/candidate?id=%s&done=changed", hex);
    }
    f.dup = ret == CS_EDUPLICATE;
    status = edit_page(x, b, &id, name, &f, err[0] ? err : cs_strerror(ret), 422);
    cand_form_free(&f);
    return status;
}

/* ---- one candidate: its fields, its steps, and what comes next ---- */

/* A stage's label ("awareness class passed"), translated. */
static const char *
stage_label(int st)
{
    const char *l = cs_code_label("stage", cs_stage_code((enum cs_stage)st));
    return l != NULL ? l : "";
}

/* A date as DD/MM/YYYY, "-" for none. */
static const char *
date_vi(int32_t d, char buf[CS_DATE_BUFSZ])
{
    return cs_date_format_vi(d, buf);
}

/*
 * What the step to `to` needs, as the rules say it, in out: its date, what
 * it brings (cs_rules_check_inputs()), and, in why_not, what the rules
 * would refuse on `on` if it brought them (cs_rules_check_advance()).
 */
static void
step_needs(struct ui_ctx *x, const struct cs_rules_facts *f, enum cs_stage to, int32_t on,
           char *out, size_t len, char *why_not, size_t wlen)
{
    static const struct {
        unsigned bit;
        const char *what;
    } inputs[] = {
        {CS_STEP_HELPER, N_("the member assigned to help")},
        {CS_STEP_SPONSOR1, N_("the first sponsoring member")},
        {CS_STEP_SPONSOR2, N_("the second sponsoring member")},
        {CS_STEP_SPONSOR1, N_("how many months each sponsor has known the candidate (the rule "
                              "needs 12)")},
        {CS_STEP_YOUTH, N_("or, for a youth union member, the date of the youth union's resolution "
                           "introducing the candidate")},
    };
    struct cs_rules_facts g = *f;
    size_t n = (size_t)snprintf(out, len, _("the date of the step '%s'"), stage_label(to));

    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]) && n < len; i++)
        if (cs_rules_check_inputs(to, inputs[i].bit, NULL, NULL, 0) == 0)
            n += (size_t)snprintf(out + n, len - n, "; %s", _(inputs[i].what));
    /* The inputs the form asks for are taken as given: what is left is a rule to meet first. */
    if (cs_rules_check_inputs(to, CS_STEP_HELPER, NULL, NULL, 0) == 0)
        g.helper_assigned = true;
    if (cs_rules_check_inputs(to, CS_STEP_SPONSOR1, NULL, NULL, 0) == 0)
        for (int i = 0; i < CS_RULES_SPONSORS; i++)
            if (!g.sponsor[i].present)
                g.sponsor[i] = (struct cs_rules_sponsor){true, true, -1};
    why_not[0] = 0;
    if (cs_rules_check_advance(&g, to, on, x->c->hol, 0, NULL, why_not, wlen) == 0)
        why_not[0] = 0;
}

/* The deadlines that run for the candidate (cs_rules_due()), as items of a list. */
static void
due_items(struct ui_ctx *x, struct ui_buf *b, const struct cs_rules_facts *f)
{
    struct cs_rules_due due[CS_RULES_DUE_MAX];
    char d[CS_DATE_BUFSZ], line[512];
    int n = cs_rules_due(f, x->c->today, x->c->hol, due, CS_RULES_DUE_MAX);

    for (int i = 0; i < n && i < CS_RULES_DUE_MAX; i++) {
        const char *kind = cs_code_label("due_kind", due[i].kind);
        if (due[i].days_left >= 0)
            snprintf(line, sizeof(line), _("%s: by %s (%d days left)"), kind ? kind : due[i].kind,
                     date_vi(due[i].due, d), due[i].days_left);
        else
            snprintf(line, sizeof(line), _("%s: by %s (overdue by %d days)"),
                     kind ? kind : due[i].kind, date_vi(due[i].due, d), -due[i].days_left);
        ui_raw(b, "<li class=\"due\">");
        ui_text(b, line);
        ui_raw(b, "</li>");
    }
}

static void
timeline(struct ui_ctx *x, struct ui_buf *b, const struct cs_rules_facts *f)
{
    int withdrawn = f->stage == CS_STAGE_WITHDRAWN;

    ui_raw(b, "<h2>");
    ui_text(b, _("Steps of the admission"));
    ui_raw(b, "</h2>\n<ol id=\"timeline\">\n");
    for (int st = 0; st < CS_STAGE__COUNT; st++) {
        char d[CS_DATE_BUFSZ];
        int done = withdrawn ? f->stage_date[st] != CS_DATE_NONE : st <= (int)f->stage;
        int next = !withdrawn && st == (int)f->stage + 1;
        ui_raw(b, "<li data-stage=\"");
        ui_raw(b, cs_stage_code((enum cs_stage)st));
        ui_raw(b, done ? "\" class=\"done\">" : next ? "\" class=\"next\">" : "\" class=\"todo\">");
        ui_raw(b, "<span class=\"stage\">");
        ui_text(b, stage_label(st));
        ui_raw(b, "</span> <span class=\"date\">");
        if (f->stage_date[st] != CS_DATE_NONE)
            ui_text(b, date_vi(f->stage_date[st], d));
        ui_raw(b, "</span>");
        if (next) {
            char needs[1024], why[1024];
            step_needs(x, f, (enum cs_stage)st, x->c->today, needs, sizeof(needs), why,
                       sizeof(why));
            ui_raw(b, "<ul class=\"needs\"><li>");
            ui_text(b, _("Next step. To record it, it needs:"));
            ui_raw(b, " ");
            ui_text(b, needs);
            ui_raw(b, "</li>");
            if (why[0] != 0) {
                ui_raw(b, "<li class=\"rule\">");
                ui_text(b, _("Not possible today:"));
                ui_raw(b, " ");
                ui_text(b, why);
                ui_raw(b, "</li>");
            }
            due_items(x, b, f);
            ui_raw(b, "</ul>");
        }
        ui_raw(b, "</li>\n");
    }
    ui_raw(b, "</ol>\n");
}

static void
field_row(struct ui_buf *b, const char *column, const char *label, const char *value)
{
    ui_raw(b, "<dt>");
    ui_text(b, label);
    ui_raw(b, "</dt><dd data-field=\"");
    ui_raw(b, column);
    ui_raw(b, "\">");
    ui_text(b, value);
    ui_raw(b, "</dd>\n");
}

/* The record's fields, then the stage and who helps and sponsors, as a person reads them. */
static int
fields_list(struct ui_ctx *x, struct ui_buf *b, const struct cs_id *id)
{
    static const char sql[] =
        "SELECT label('stage', k.stage), h.full_name, s1.full_name, k.sponsor1_months,"
        " s2.full_name, k.sponsor2_months, k.withdrawn_on, k.withdrawn_reason"
        " FROM candidate k LEFT JOIN member h ON h.id = k.helper"
        " LEFT JOIN member s1 ON s1.id = k.sponsor1 LEFT JOIN member s2 ON s2.id = k.sponsor2"
        " WHERE k.id = ?1";
    static const char *const cols[] = {"stage",           "helper",          "sponsor1",
                                       "sponsor1_months", "sponsor2",        "sponsor2_months",
                                       "withdrawn_on",    "withdrawn_reason"};
    static const char *const labels[] = {
        N_("stage"),          N_("helper"),
        N_("sponsor"),        N_("months the sponsor has known the candidate"),
        N_("second sponsor"), N_("months the second sponsor has known the candidate"),
        N_("withdrawn on"),   N_("reason for withdrawal")};
    const int date_col = 6; /* withdrawn_on */
    char text[4096], shown[CS_DATE_BUFSZ + 32], unit[512];
    sqlite3_stmt *st = NULL;
    int ret = -1;

    ui_raw(b, "<dl id=\"fields\" class=\"nums\">\n");
    for (size_t i = 0; i < ent_candidate.nfields; i++) {
        const struct field *f = &ent_candidate.fields[i];
        const char *v = text;
        if (records_text(x->c, "candidate", id, f->column, text, sizeof(text)) != 0 || !text[0])
            continue;
        if (f->type == FT_DATE)
            v = cs_date_text_vi(text, shown, sizeof(shown));
        else if (f->type == FT_CODE && cs_code_label(f->arg, text) != NULL)
            v = cs_code_label(f->arg, text);
        else if (strcmp(f->column, "org_unit") == 0)
            v = ui_unit_text(x, text, unit, sizeof(unit));
        field_row(b, f->column, _(f->label), v);
    }
    if (sqlite3_prepare_v2(x->c->db, sql, -1, &st, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW)
        goto out;
    for (int i = 0; i < (int)(sizeof(cols) / sizeof(cols[0])); i++) {
        const char *v = (const char *)sqlite3_column_text(st, i);
        if (v != NULL && v[0] != 0)
            field_row(b, cols[i], _(labels[i]),
                      i == date_col ? cs_date_text_vi(v, shown, sizeof(shown)) : v);
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    ui_raw(b, "</dl>\n");
    return ret;
}

/* What the page after a POST says was done (?done=), from the record as it is now. */
static void
done_notice(struct ui_req *r, struct ui_buf *b, const char *name, const struct cs_rules_facts *f)
{
    const char *done = ui_arg(r, "done");
    char msg[1024] = "", d[CS_DATE_BUFSZ];

    if (done == NULL)
        return;
    if (strcmp(done, "added") == 0) {
        snprintf(msg, sizeof(msg), _("Added the candidate %s."), name);
    } else if (strcmp(done, "changed") == 0) {
        snprintf(msg, sizeof(msg), _("Saved the changes to %s."), name);
    } else if (strcmp(done, "advanced") == 0 && f->stage < CS_STAGE__COUNT) {
        snprintf(msg, sizeof(msg), _("%s is now at '%s' (%s)."), name, stage_label(f->stage),
                 date_vi(f->stage_date[f->stage], d));
    } else if (strcmp(done, "undone") == 0) {
        const char *from = ui_arg(r, "from");
        int st = from != NULL ? cs_stage_from_code(from) : -1;
        snprintf(msg, sizeof(msg), _("%s is back at '%s': the step '%s' was undone."), name,
                 stage_label(f->stage), st >= 0 ? stage_label(st) : "");
    } else if (strcmp(done, "withdrawn") == 0) {
        snprintf(msg, sizeof(msg), _("%s is recorded as withdrawn."), name);
    } else if (strcmp(done, "restored") == 0) {
        snprintf(msg, sizeof(msg), _("Restored the candidate %s."), name);
    }
    if (msg[0] != 0)
        ui_notice(b, msg);
    if (ui_arg(r, "exception") != NULL)
        ui_notice(b, _("An exception to the rules was recorded with its reason; the reports show "
                       "it."));
}

static void
action_link(struct ui_buf *b, const char *ident, const char *path, const struct cs_id *id,
            const char *label)
{
    ui_raw(b, "<a class=\"button\" id=\"");
    ui_raw(b, ident);
    ui_raw(b, "\" href=\"");
    cand_href(b, path, id);
    ui_raw(b, "\">");
    ui_text(b, label);
    ui_raw(b, "</a> ");
}

static int
page_show(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct cs_rules_facts f;
    struct cs_id id;
    char name[256];
    int status = 200;

    if (cand_of(x, r, &id, name, sizeof(name)) != 0)
        return not_found(b);
    ui_begin(b, name[0] ? name : _("Candidate"), "/candidates");
    if (cs_candidate_facts(x->c->db, &id, &f) != 0) {
        ui_failed(b, x->c);
        status = 500;
        goto out;
    }
    done_notice(r, b, name, &f);
    ui_record_refused(x, b, "candidate", &id);
    if (fields_list(x, b, &id) != 0) {
        ui_failed(b, x->c);
        status = 500;
    }
    timeline(x, b, &f);
    ui_raw(b, "<p class=\"actions\">");
    int open = f.stage != CS_STAGE_OFFICIAL && f.stage != CS_STAGE_WITHDRAWN;
    if (open)
        action_link(b, "advance", "/candidate/advance", &id, _("Record the next step"));
    if (f.stage != CS_STAGE_IDENTIFIED)
        action_link(b, "undo", "/candidate/undo", &id, _("Undo the last step"));
    action_link(b, "edit", "/candidate/edit", &id, _("Change the details"));
    if (open)
        action_link(b, "withdraw", "/candidate/withdraw", &id, _("Record a withdrawal"));
    action_link(b, "delete", "/candidate/delete", &id, _("Delete (entered by mistake)"));
    ui_raw(b, "</p>\n");
out:
    ui_end(b);
    return status;
}

/* ---- the confirmation pages: advance, undo, withdraw, delete ---- */

/* The candidate columns, and the form fields, of the months each sponsor has known the candidate.
 */
static const char *const months_column[CS_RULES_SPONSORS] = {"sponsor1_months", "sponsor2_months"};

/* What a confirmation form shows again after a refusal: the fields as typed. */
struct typed {
    char *on, *helper, *sponsor1, *sponsor2, *youth, *reason;
    char *months[CS_RULES_SPONSORS]; /* sponsor1_months, sponsor2_months */
    int force;                       /* a rule refused: offer to record an exception */
};

static void
typed_read(const struct ui_req *r, struct typed *t)
{
    t->on = ui_field_nth(r, "on", 0);
    t->helper = ui_field_nth(r, "helper", 0);
    t->sponsor1 = ui_field_nth(r, "sponsor1", 0);
    t->sponsor2 = ui_field_nth(r, "sponsor2", 0);
    t->youth = ui_field_nth(r, "youth_union_resolution_on", 0);
    t->reason = ui_field_nth(r, "reason", 0);
    for (int i = 0; i < CS_RULES_SPONSORS; i++)
        t->months[i] = ui_field_nth(r, months_column[i], 0);
}

static void
typed_free(struct typed *t)
{
    free(t->on);
    free(t->helper);
    free(t->sponsor1);
    free(t->sponsor2);
    free(t->youth);
    free(t->reason);
    for (int i = 0; i < CS_RULES_SPONSORS; i++)
        free(t->months[i]);
}

/* A form's value: NULL for an empty box. */
static const char *
given(const char *v)
{
    return v != NULL && v[0] != 0 ? v : NULL;
}

/* A confirmation page's head: the title, the error, the sentence of what will happen. */
static void
confirm_begin(struct ui_buf *b, const char *title, const char *error, const char *what)
{
    ui_begin(b, title, "/candidates");
    if (error != NULL)
        ui_error(b, error);
    ui_raw(b, "<p id=\"what\">");
    ui_text(b, what);
    ui_raw(b, "</p>\n");
}

/* The form's action and cancel link: path?id= and the candidate's page. */
static void
confirm_form(struct ui_ctx *x, struct ui_buf *b, const char *path, const struct cs_id *id)
{
    char action[128], hex[CS_ID_HEX_LEN + 1];
    cs_id_to_hex(id, hex);
    snprintf(action, sizeof(action), "%s?id=%s", path, hex);
    ui_form_begin(x, b, action);
}

static void
confirm_end(struct ui_buf *b, const char *submit, const struct cs_id *id)
{
    char back[128], hex[CS_ID_HEX_LEN + 1];
    cs_id_to_hex(id, hex);
    snprintf(back, sizeof(back), "/candidate?id=%s", hex);
    ui_form_end(b, submit, back);
    ui_end(b);
}

/* A page saying there is nothing to confirm, with the way back. */
static int
nothing_to_do(struct ui_buf *b, const char *title, const char *why, const struct cs_id *id)
{
    ui_begin(b, title, "/candidates");
    ui_raw(b, "<p id=\"what\">");
    ui_text(b, why);
    ui_raw(b, "</p><p><a class=\"button\" href=\"");
    cand_href(b, "/candidate", id);
    ui_raw(b, "\">");
    ui_text(b, _("Back to the candidate"));
    ui_raw(b, "</a></p>\n");
    ui_end(b);
    return 200;
}

static int
advance_page(struct ui_ctx *x, struct ui_buf *b, const struct cs_id *id, const char *name,
             const struct cs_rules_facts *f, struct typed *t, const char *error, int status)
{
    char what[2048], needs[1024], why[1024], d[CS_DATE_BUFSZ], today[CS_DATE_BUFSZ];
    int32_t on = x->c->today;

    if (f->stage == CS_STAGE_OFFICIAL || f->stage == CS_STAGE_WITHDRAWN) {
        snprintf(what, sizeof(what), _("%s is %s: there is no further step."), name,
                 stage_label(f->stage));
        return nothing_to_do(b, _("Record the next step"), what, id);
    }
    enum cs_stage to = (enum cs_stage)(f->stage + 1);
    if (given(t->on) != NULL && cs_date_parse(t->on, &on, NULL, 0) != 0)
        on = x->c->today;
    step_needs(x, f, to, on, needs, sizeof(needs), why, sizeof(why));
    size_t n =
        (size_t)snprintf(what, sizeof(what), _("%s moves from '%s' to '%s' on %s. It needs: %s."),
                         name, stage_label(f->stage), stage_label(to), date_vi(on, d), needs);
    if (why[0] != 0 && n < sizeof(what))
        snprintf(what + n, sizeof(what) - n, " %s %s", _("Not possible today:"), why);
    confirm_begin(b, _("Record the next step"), error, what);
    confirm_form(x, b, "/candidate/advance", id);
    ui_raw(b, "<input type=\"hidden\" name=\"to\" value=\"");
    ui_raw(b, cs_stage_code(to));
    ui_raw(b, "\">\n");
    ui_input(b, "on", _("date of the step"), t->on != NULL ? t->on : date_vi(x->c->today, today),
             "date");
    if (cs_rules_check_inputs(to, CS_STEP_HELPER, NULL, NULL, 0) == 0)
        select_member(x, b, "helper", _("the member assigned to help"), t->helper);
    /* Each sponsor with the months they have known the candidate, which the rule judges. */
    if (cs_rules_check_inputs(to, CS_STEP_SPONSOR1, NULL, NULL, 0) == 0) {
        select_member(x, b, "sponsor1", _("the first sponsoring member"), t->sponsor1);
        ui_input(b, months_column[0], input_label(months_column[0]), t->months[0], "number");
    }
    if (cs_rules_check_inputs(to, CS_STEP_SPONSOR2, NULL, NULL, 0) == 0) {
        select_member(x, b, "sponsor2", _("the second sponsoring member"), t->sponsor2);
        ui_input(b, months_column[1], input_label(months_column[1]), t->months[1], "number");
    }
    if (cs_rules_check_inputs(to, CS_STEP_YOUTH, NULL, NULL, 0) == 0)
        ui_input(b, "youth_union_resolution_on",
                 _("date of the youth union's resolution introducing the candidate"), t->youth,
                 "date");
    if (t->force) {
        ui_raw(b, "<fieldset id=\"exception\"><legend>");
        ui_text(b, _("The rule above refuses this step. If the step really happened so, record "
                     "an exception with its reason (the reports show it):"));
        ui_raw(b, "</legend><p class=\"field\"><label><input type=\"checkbox\" id=\"f-force\" "
                  "name=\"force\" value=\"1\"> ");
        ui_text(b, _("record an exception to the rule"));
        ui_raw(b, "</label></p>\n");
        ui_textarea(b, "reason", _("why the exception is made"), t->reason);
        ui_raw(b, "</fieldset>\n");
    }
    confirm_end(b, _("Record the step"), id);
    return status;
}

static int
page_advance(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct cs_rules_facts f;
    struct typed t = {0};
    struct cs_id id;
    char name[256];

    if (cand_of(x, r, &id, name, sizeof(name)) != 0)
        return not_found(b);
    if (cs_candidate_facts(x->c->db, &id, &f) != 0)
        return 500;
    return advance_page(x, b, &id, name, &f, &t, NULL, 200);
}

/* The exceptions a forced step recorded, counted for the notice. */
static void
count_exception(void *ud, const char *message)
{
    (void)message;
    (*(int *)ud)++;
}

/*
 * The months typed for each sponsor into s, read as `--sponsor1-months`
 * reads them (cs_cli_number()). 0, or -1 with msg naming the box.
 */
static int
read_months(const struct typed *t, struct cs_step *s, char *msg, size_t len)
{
    char err[512], why[512];
    long v;

    for (int i = 0; i < CS_RULES_SPONSORS; i++) {
        if (given(t->months[i]) == NULL)
            continue;
        if (cs_cli_number(months_column[i], t->months[i], CS_CLI_MONTHS, 0, CS_STEP_MONTHS_MAX, &v,
                          err, sizeof(err)) != 0) {
            snprintf(why, sizeof(why), _("'%s' is not a number of months from 0 to %d"),
                     t->months[i], CS_STEP_MONTHS_MAX);
            refusal(msg, len, input_label(months_column[i]), why);
            return -1;
        }
        s->sponsor_months[i] = (int)v;
    }
    return 0;
}

static int
post_advance(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct cs_rules_facts f;
    struct typed t = {0};
    struct step_members m;
    struct cs_step s;
    struct cs_id id;
    char name[256], err[1024] = "", msg[1400] = "", to[64] = "", hex[CS_ID_HEX_LEN + 1];
    int ret, status, nexc = 0;

    if (cand_of(x, r, &id, name, sizeof(name)) != 0)
        return not_found(b);
    typed_read(r, &t);
    cs_step_init(&s);
    int force = ui_field(r, "force", err, sizeof(err)) == 0;
    /* The step the confirmation named: sent twice, the second is refused, not a second step. */
    if (ui_field(r, "to", to, sizeof(to)) == 0)
        s.stage = cs_stage_from_code(to);
    if (given(t.on) != NULL && cs_date_parse(t.on, &s.on, err, sizeof(err)) != 0) {
        refusal(msg, sizeof(msg), _("date of the step"), err);
        goto refused;
    }
    if (given(t.youth) != NULL &&
        cs_date_parse(t.youth, &s.youth_union_resolution, err, sizeof(err)) != 0) {
        refusal(msg, sizeof(msg), _("youth union resolution"), err);
        goto refused;
    }
    if ((ret = client_step_members(x->c, given(t.helper), given(t.sponsor1), given(t.sponsor2), &m,
                                   &s, err, sizeof(err))) != 0) {
        refusal(msg, sizeof(msg), NULL, err);
        goto refused;
    }
    if (read_months(&t, &s, msg, sizeof(msg)) != 0)
        goto refused;
    if (force && given(t.reason) == NULL) {
        refusal(msg, sizeof(msg), NULL,
                _("Say why the exception is made, or untick the exception box."));
        t.force = 1;
        goto refused;
    }
    err[0] = 0;
    ret = client_cand_advance(x->c, &id, &s, force ? t.reason : NULL, count_exception, &nexc, err,
                              sizeof(err));
    if (ret == 0) {
        typed_free(&t);
        cs_id_to_hex(&id, hex);
        return ui_redirect(r, "/candidate?id=%s&done=advanced%s", hex, nexc ? "&exception=1" : "");
    }
    t.force = ret == CS_ERULE;
    refusal(msg, sizeof(msg), ret == CS_EINVAL ? input_label(s.field) : NULL,
            err[0] ? err : cs_strerror(ret));
refused:
    if (cs_candidate_facts(x->c->db, &id, &f) != 0) {
        typed_free(&t);
        return 500;
    }
    status = advance_page(x, b, &id, name, &f, &t, msg, 422);
    typed_free(&t);
    return status;
}

static int
undo_page(struct ui_ctx *x, struct ui_buf *b, const struct cs_id *id, const char *name,
          const struct cs_rules_facts *f, const char *reason, const char *error, int status)
{
    char what[1024], d[CS_DATE_BUFSZ];

    if (f->stage == CS_STAGE_IDENTIFIED) {
        snprintf(what, sizeof(what),
                 _("%s is at the first step, '%s': there is no step to undo. A record entered by "
                   "mistake can be deleted."),
                 name, stage_label(f->stage));
        return nothing_to_do(b, _("Undo the last step"), what, id);
    }
    /* A withdrawal's date is not among the facts of the steps: read it from the record. */
    char when[64] = "";
    if (f->stage == CS_STAGE_WITHDRAWN)
        records_text(x->c, "candidate", id, "withdrawn_on", when, sizeof(when));
    else
        cs_date_format(f->stage_date[f->stage], when);
    cs_date_text_vi(when[0] ? when : "-", d, sizeof(d));
    snprintf(what, sizeof(what), _("The step '%s' of %s, dated %s, will be taken back."),
             stage_label(f->stage), name, d);
    confirm_begin(b, _("Undo the last step"), error, what);
    confirm_form(x, b, "/candidate/undo", id);
    ui_textarea(b, "reason", _("why the step is undone"), reason);
    confirm_end(b, _("Undo the step"), id);
    return status;
}

static int
page_undo(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct cs_rules_facts f;
    struct cs_id id;
    char name[256];

    if (cand_of(x, r, &id, name, sizeof(name)) != 0)
        return not_found(b);
    if (cs_candidate_facts(x->c->db, &id, &f) != 0)
        return 500;
    return undo_page(x, b, &id, name, &f, NULL, NULL, 200);
}

static int
post_undo(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct cs_rules_facts f;
    enum cs_stage from, to;
    struct cs_id id;
    char name[256], err[1024] = "", hex[CS_ID_HEX_LEN + 1];
    int ret, status;

    if (cand_of(x, r, &id, name, sizeof(name)) != 0)
        return not_found(b);
    char *reason = ui_field_nth(r, "reason", 0);
    ret = client_cand_undo(x->c, &id, reason, &from, &to, err, sizeof(err));
    if (ret == 0) {
        free(reason);
        cs_id_to_hex(&id, hex);
        return ui_redirect(r, "/candidate?id=%s&done=undone&from=%s", hex, cs_stage_code(from));
    }
    if (cs_candidate_facts(x->c->db, &id, &f) != 0) {
        free(reason);
        return 500;
    }
    status = undo_page(x, b, &id, name, &f, reason, err[0] ? err : cs_strerror(ret), 422);
    free(reason);
    return status;
}

static int
withdraw_page(struct ui_ctx *x, struct ui_buf *b, const struct cs_id *id, const char *name,
              const struct cs_rules_facts *f, struct typed *t, const char *error, int status)
{
    char what[1024], today[CS_DATE_BUFSZ];

    if (f->stage == CS_STAGE_OFFICIAL || f->stage == CS_STAGE_WITHDRAWN) {
        snprintf(what, sizeof(what), _("%s is %s: it cannot be withdrawn."), name,
                 stage_label(f->stage));
        return nothing_to_do(b, _("Record a withdrawal"), what, id);
    }
    snprintf(what, sizeof(what),
             _("%s will be recorded as withdrawn from the admission, at the step '%s'."), name,
             stage_label(f->stage));
    confirm_begin(b, _("Record a withdrawal"), error, what);
    confirm_form(x, b, "/candidate/withdraw", id);
    ui_input(b, "on", _("date of withdrawal"), t->on != NULL ? t->on : date_vi(x->c->today, today),
             "date");
    ui_textarea(b, "reason", _("why the candidate withdraws"), t->reason);
    confirm_end(b, _("Record the withdrawal"), id);
    return status;
}

static int
page_withdraw(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct cs_rules_facts f;
    struct typed t = {0};
    struct cs_id id;
    char name[256];

    if (cand_of(x, r, &id, name, sizeof(name)) != 0)
        return not_found(b);
    if (cs_candidate_facts(x->c->db, &id, &f) != 0)
        return 500;
    return withdraw_page(x, b, &id, name, &f, &t, NULL, 200);
}

static int
post_withdraw(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct cs_rules_facts f;
    struct typed t = {0};
    struct cs_id id;
    char name[256], err[1024] = "", msg[1400] = "", hex[CS_ID_HEX_LEN + 1];
    int32_t on = CS_DATE_NONE;
    int ret, status;

    if (cand_of(x, r, &id, name, sizeof(name)) != 0)
        return not_found(b);
    typed_read(r, &t);
    if (given(t.on) != NULL && cs_date_parse(t.on, &on, err, sizeof(err)) != 0) {
        refusal(msg, sizeof(msg), _("date of withdrawal"), err);
    } else if ((ret = client_cand_withdraw(x->c, &id, on, t.reason, err, sizeof(err))) == 0) {
        typed_free(&t);
        cs_id_to_hex(&id, hex);
        return ui_redirect(r, "/candidate?id=%s&done=withdrawn", hex);
    } else {
        refusal(msg, sizeof(msg), NULL, err[0] ? err : cs_strerror(ret));
    }
    if (cs_candidate_facts(x->c->db, &id, &f) != 0) {
        typed_free(&t);
        return 500;
    }
    status = withdraw_page(x, b, &id, name, &f, &t, msg, 422);
    typed_free(&t);
    return status;
}

static int
delete_page(struct ui_ctx *x, struct ui_buf *b, const struct cs_id *id, const char *name,
            const char *error, int status)
{
    char what[1024];

    snprintf(what, sizeof(what),
             _("The record of %s will be deleted, as one entered by mistake. It is kept for "
               "review and can be restored."),
             name);
    confirm_begin(b, _("Delete a candidate"), error, what);
    confirm_form(x, b, "/candidate/delete", id);
    confirm_end(b, _("Delete"), id);
    return status;
}

static int
page_delete(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct cs_id id;
    char name[256];

    if (cand_of(x, r, &id, name, sizeof(name)) != 0)
        return not_found(b);
    return delete_page(x, b, &id, name, NULL, 200);
}

static int
post_delete(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct cs_id id;
    char name[256], shown[256], err[1024] = "", hex[CS_ID_HEX_LEN + 1];
    int ret;

    if (cand_of(x, r, &id, name, sizeof(name)) != 0)
        return not_found(b);
    ret = client_delete_record(x->c, "candidate", &id, shown, sizeof(shown), err, sizeof(err));
    if (ret != 0)
        return delete_page(x, b, &id, name, err[0] ? err : cs_strerror(ret), 422);
    cs_id_to_hex(&id, hex);
    return ui_redirect(r, "/candidates?done=deleted&id=%s", hex);
}

static int
post_undelete(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct cs_id id;
    char hex[CS_ID_HEX_LEN + 1] = "", name[256], err[1024] = "";
    int ret;

    if (ui_field(r, "id", hex, sizeof(hex)) != 0) {
        ret = CS_EINVAL;
    } else if ((ret = client_record_undelete(x->c, "candidate", hex, &id, name, sizeof(name), err,
                                             sizeof(err))) == 0) {
        cs_id_to_hex(&id, hex);
        return ui_redirect(r, "/candidate?id=%s&done=restored", hex);
    }
    ui_begin(b, _("Restore a candidate"), "/candidates");
    ui_error(b, err[0] ? err : cs_strerror(ret));
    ui_end(b);
    return 422;
}

const struct ui_route ui_routes_candidate[] = {
    {"/candidates", ui_page_candidates, NULL},
    {"/candidate", page_show, NULL},
    {"/candidate/new", page_new, post_new},
    {"/candidate/edit", page_edit, post_edit},
    {"/candidate/advance", page_advance, post_advance},
    {"/candidate/undo", page_undo, post_undo},
    {"/candidate/withdraw", page_withdraw, post_withdraw},
    {"/candidate/delete", page_delete, post_delete},
    {"/candidate/undelete", NULL, post_undelete},
    {NULL, NULL, NULL},
};
