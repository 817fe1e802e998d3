/* SPDX-License-Identifier: MIT */
/*
 * The meeting pages of `cellsync ui` (ui.h): the meetings newest first; a
 * meeting with its minutes, attendance and assessments; and one form that
 * records a meeting, who came (one checklist of the cell's members, all
 * ticked to start with, a reason box for each) and what it said about a
 * candidate. The form is written by meetings_write() in one transaction,
 * through the checks and writers `cellsync meeting add`, `attend` and
 * `assess` use (meetings_check(), cs_attend_write(), the assessment's
 * rows), so a form refused leaves nothing stored and comes back as typed.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/attend.h"
#include "cellsync/date.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "client.h"
#include "queries.h"
#include "ui.h"

#define MAX_FIELDS 64

/* One member on the attendance checklist. */
struct roll {
    struct cs_id id;
    char hex[CS_ID_HEX_LEN + 1];
    char name[256];
    bool present;
    char *reason;     /* as shown: stored, or typed back */
    bool stored;      /* the meeting has a row for this member: */
    bool was_present; /* what it says */
    char *was_reason;
};

/* The meeting form as shown: stored, or typed back after a refusal. */
struct mform {
    char *fv[MAX_FIELDS]; /* ent_meeting's fields */
    struct roll *roll;
    size_t nroll;
    char *cand;                          /* the candidate assessed, hex; NULL or "": none */
    char *assess[MEETINGS_ASSESS_TEXTS]; /* strengths, weaknesses, next steps */
    bool edit;                           /* of a meeting written: */
    bool recorded;                       /* its attendance is recorded */
};

static const char *const assess_names[MEETINGS_ASSESS_TEXTS] = {"strengths", "weaknesses",
                                                                "next_steps"};
static const char *const assess_labels[MEETINGS_ASSESS_TEXTS] = {N_("strengths"), N_("weaknesses"),
                                                                 N_("next steps")};

/* What a form shows. */
enum { PART_FIELDS = 1, PART_ATTENDANCE = 2, PART_ASSESS = 4, PART_ALL = 7 };

static size_t
field_index(const char *column)
{
    return (size_t)(entity_field(&ent_meeting, column) - ent_meeting.fields);
}

static void
mform_free(struct mform *f)
{
    ui_entity_free(&ent_meeting, f->fv);
    for (size_t i = 0; i < f->nroll; i++) {
        free(f->roll[i].reason);
        free(f->roll[i].was_reason);
    }
    free(f->roll);
    free(f->cand);
    for (size_t i = 0; i < MEETINGS_ASSESS_TEXTS; i++)
        free(f->assess[i]);
    memset(f, 0, sizeof(*f));
}

static struct roll *
roll_add(struct ui_ctx *x, struct mform *f, const struct cs_id *id)
{
    struct roll *p = realloc(f->roll, (f->nroll + 1) * sizeof(*p)), *m;

    if (p == NULL)
        return NULL;
    f->roll = p;
    m = &p[f->nroll++];
    memset(m, 0, sizeof(*m));
    m->id = *id;
    cs_id_to_hex(id, m->hex);
    records_text(x->c, "member", id, "full_name", m->name, sizeof(m->name));
    return m;
}

/* The rows the meeting has: each member's present and reason, marked on the checklist. */
static int
roll_stored(struct ui_ctx *x, struct mform *f, const struct cs_id *meeting)
{
    static const char sql[] = "SELECT a.member, a.present, a.reason FROM attendance a"
                              " LEFT JOIN member p ON p.id = a.member"
                              " WHERE a.meeting = ?1 AND a.cl % 2 = 1"
                              " ORDER BY p.full_name COLLATE vi_name, a.id";
    sqlite3_stmt *st = NULL;
    int ret = -1, rc;

    if (sqlite3_prepare_v2(x->c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_blob(st, 1, meeting->b, CS_ID_LEN, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct cs_id id;
        struct roll *m = NULL;
        const char *reason = (const char *)sqlite3_column_text(st, 2);
        if (sqlite3_column_bytes(st, 0) != CS_ID_LEN)
            continue;
        memcpy(id.b, sqlite3_column_blob(st, 0), CS_ID_LEN);
        for (size_t i = 0; i < f->nroll && m == NULL; i++)
            if (cs_id_cmp(&f->roll[i].id, &id) == 0)
                m = &f->roll[i];
        /* Someone recorded who is no longer expected (moved out since) stays on the list. */
        if (m == NULL && (m = roll_add(x, f, &id)) == NULL)
            goto out;
        m->stored = true;
        m->was_present = sqlite3_column_int(st, 1) != 0;
        if (reason != NULL && (m->was_reason = strdup(reason)) == NULL)
            goto out;
    }
    ret = rc == SQLITE_DONE ? 0 : -1;
out:
    sqlite3_finalize(st);
    return ret;
}

/*
 * The checklist: the members the meeting expects (cs_attend_expected(); a
 * meeting not written yet, those of unit org, blank the device's own),
 * with what is stored. A new meeting starts with everyone ticked; a
 * meeting written shows its attendance as recorded, nobody ticked when
 * none is (a tick nobody made would be saved as a presence).
 */
static int
roll_load(struct ui_ctx *x, struct mform *f, const struct cs_id *meeting, const char *org)
{
    struct cs_id *ids = NULL;
    char own[64] = "", err[256];
    size_t n = 0;
    bool any = false;
    int ret = -1;

    if (meeting != NULL) {
        if (cs_attend_expected(x->c->db, meeting, &ids, &n, err, sizeof(err)) != 0)
            return -1;
    } else {
        if (org == NULL || org[0] == 0)
            cs_replica_meta_get(x->c->rep, CS_META_ORG, own, sizeof(own));
        if (cs_attend_expected_org(x->c->db, own[0] ? own : org, &ids, &n, err, sizeof(err)) != 0)
            return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (roll_add(x, f, &ids[i]) == NULL)
            goto out;
    if (meeting != NULL && roll_stored(x, f, meeting) != 0)
        goto out;
    for (size_t i = 0; i < f->nroll; i++)
        any |= f->roll[i].stored;
    f->edit = meeting != NULL;
    f->recorded = any;
    for (size_t i = 0; i < f->nroll; i++) {
        struct roll *m = &f->roll[i];
        m->present = m->stored ? m->was_present : meeting == NULL;
        if (m->was_reason != NULL && (m->reason = strdup(m->was_reason)) == NULL)
            goto out;
    }
    ret = 0;
out:
    free(ids);
    return ret;
}

/* The ticks and reasons sent: a box not ticked is not sent at all. */
static int
roll_read(const struct ui_req *r, struct mform *f)
{
    char *v;

    for (size_t i = 0; i < f->nroll; i++)
        f->roll[i].present = false;
    for (size_t k = 0; (v = ui_field_nth(r, "present", k)) != NULL; k++) {
        for (size_t i = 0; i < f->nroll; i++)
            if (strcmp(f->roll[i].hex, v) == 0)
                f->roll[i].present = true;
        free(v);
    }
    for (size_t i = 0; i < f->nroll; i++) {
        char name[16 + CS_ID_HEX_LEN];
        snprintf(name, sizeof(name), "reason_%s", f->roll[i].hex);
        free(f->roll[i].reason);
        f->roll[i].reason = ui_field_nth(r, name, 0);
    }
    return 0;
}

static void
assess_read(const struct ui_req *r, struct mform *f)
{
    f->cand = ui_field_nth(r, "assess_candidate", 0);
    for (size_t i = 0; i < MEETINGS_ASSESS_TEXTS; i++)
        f->assess[i] = ui_field_nth(r, assess_names[i], 0);
}

static void
attendance_fieldset(struct ui_buf *b, const struct mform *f)
{
    ui_raw(b, "<fieldset id=\"attendance\"><legend>");
    ui_text(b, _("Attendance"));
    ui_raw(b, "</legend>\n");
    if (f->nroll == 0)
        ui_para(b, _("No member of this cell is recorded yet: add the members first, then record "
                     "who came."));
    else if (f->edit && !f->recorded)
        ui_para(b, _("Who came: attendance not recorded yet. Tick each member who came and write "
                     "why the others did not; leave it all blank to record it later."));
    else
        ui_para(b, _("Untick each member who did not come, and write why."));
    ui_raw(b, "<ul class=\"roll\">\n");
    for (size_t i = 0; i < f->nroll; i++) {
        const struct roll *m = &f->roll[i];
        ui_raw(b, "<li><label class=\"check\"><input type=\"checkbox\" name=\"present\" value=\"");
        ui_raw(b, m->hex);
        ui_raw(b, m->present ? "\" checked> " : "\"> ");
        ui_text(b, m->name);
        ui_raw(b, "</label> <label class=\"reason\">");
        ui_text(b, _("if absent, why:"));
        ui_raw(b, " <input type=\"text\" maxlength=\"500\" name=\"reason_");
        ui_raw(b, m->hex);
        ui_raw(b, "\" value=\"");
        ui_text(b, m->reason);
        ui_raw(b, "\"></label></li>\n");
    }
    ui_raw(b, "</ul></fieldset>\n");
}

/* The candidates in progress by name (the candidates page's), the one picked selected. */
static void
candidate_select(struct ui_ctx *x, struct ui_buf *b, const char *picked)
{
    /* ?1 and ?2 of the list's filter unbound: NULL and 0, the candidates in progress. */
    ui_select_people(x, b, "assess_candidate", _("candidate"),
                     "SELECT id, full_name, birth_date, NULL" CANDIDATE_LIST_WHERE
                     " ORDER BY full_name COLLATE vi_name, id",
                     _("(none)"), picked);
}

static void
assessment_fieldset(struct ui_ctx *x, struct ui_buf *b, const struct mform *f)
{
    ui_raw(b, "<fieldset id=\"assessment\"><legend>");
    ui_text(b, _("Assessment of a candidate"));
    ui_raw(b, "</legend>\n");
    ui_para(b, _("What the meeting said about a candidate in progress; leave the candidate blank "
                 "when there is none."));
    candidate_select(x, b, f->cand);
    for (size_t i = 0; i < MEETINGS_ASSESS_TEXTS; i++)
        ui_textarea(b, assess_names[i], _(assess_labels[i]), f->assess[i]);
    ui_raw(b, "</fieldset>\n");
}

/* The form: title, the error above it, the parts asked, sent to action. */
static int
meeting_form(struct ui_ctx *x, struct ui_buf *b, const char *title, const char *action,
             const char *cancel, const struct mform *f, int parts, const char *error)
{
    ui_begin(b, title, "/meetings");
    if (error != NULL)
        ui_error(b, error);
    ui_form_begin(x, b, action);
    if (parts & PART_FIELDS)
        ui_entity_inputs(x, b, &ent_meeting, f->fv);
    if (parts & PART_ATTENDANCE)
        attendance_fieldset(b, f);
    if (parts & PART_ASSESS)
        assessment_fieldset(x, b, f);
    ui_form_end(b, parts == PART_ASSESS ? _("Record the assessment") : _("Save the meeting"),
                cancel);
    ui_end(b);
    return error != NULL ? 422 : 200;
}

/* The addresses of a meeting's pages: action (the form's) and back (the meeting's). */
static void
addresses(const struct cs_id *id, const char *path, char *action, char *back, size_t len)
{
    char hex[CS_ID_HEX_LEN + 1];
    cs_id_to_hex(id, hex);
    snprintf(action, len, "%s?id=%s", path, hex);
    snprintf(back, len, "/meeting?id=%s", hex);
}

static int
same_text(const char *a, const char *b)
{
    return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/*
 * The assessment of a form: none (*has false), or a live candidate with
 * something said. 0, or -1 with *why saying what to fix.
 */
static int
assess_check(struct ui_ctx *x, const struct mform *f, struct cs_id *cand, bool *has,
             const char **why)
{
    bool text = false;

    for (size_t i = 0; i < MEETINGS_ASSESS_TEXTS; i++)
        text |= f->assess[i] != NULL && f->assess[i][0] != 0;
    *has = f->cand != NULL && f->cand[0] != 0;
    if (!*has && !text)
        return 0;
    if (!*has)
        *why = _("Pick the candidate these notes are about, or clear the notes.");
    else if (ui_record_live(x, "candidate", f->cand, cand) != 0)
        *why = _("The candidate picked is no longer in the records: pick another one.");
    else if (!text)
        *why = _("Write what the meeting said about the candidate (strengths, weaknesses or next "
                 "steps), or leave the candidate blank.");
    return *why != NULL ? -1 : 0;
}

/* Nothing ticked and no reason typed: a checklist left blank. */
static bool
roll_blank(const struct mform *f)
{
    for (size_t i = 0; i < f->nroll; i++)
        if (f->roll[i].present || (f->roll[i].reason != NULL && f->roll[i].reason[0] != 0))
            return false;
    return true;
}

/*
 * The attendance rows to write: each member as ticked, an absent one with
 * the reason typed; on an edit, only the rows that change, and none when
 * the meeting has no attendance recorded and the checklist was left blank.
 */
static struct cs_attend *
roll_rows(const struct mform *f, bool edit, size_t *n)
{
    struct cs_attend *rows = calloc(f->nroll + 1, sizeof(*rows));

    *n = 0;
    if (edit && !f->recorded && roll_blank(f))
        return rows;
    for (size_t i = 0; rows != NULL && i < f->nroll; i++) {
        const struct roll *m = &f->roll[i];
        const char *reason = m->present ? NULL : m->reason;
        if (edit && m->stored && m->present == m->was_present && same_text(reason, m->was_reason))
            continue;
        rows[(*n)++] = (struct cs_attend){.member = m->id, .present = m->present, .reason = reason};
    }
    return rows;
}

/* Records (id NULL) or changes a meeting from the whole form; 303 to it, or the form with why. */
static int
post_meeting(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b, const struct cs_id *id)
{
    struct mform f = {0};
    char *fv[MAX_FIELDS] = {NULL}, *old[MAX_FIELDS] = {NULL};
    char err[512] = "", action[64 + CS_ID_HEX_LEN] = "/meeting/new", back[64 + CS_ID_HEX_LEN];
    const char *w[MAX_FIELDS], *missing, *why = NULL;
    struct cs_attend *rows = NULL;
    struct cs_id row, cand, assessment;
    size_t nrows = 0, given = 0;
    bool has = false;
    int status;

    snprintf(back, sizeof(back), "/meetings");
    if (id != NULL) {
        row = *id;
        addresses(id, "/meeting/edit", action, back, sizeof(action));
    } else {
        cs_id_new(&row);
    }
    if (ui_entity_read(r, &ent_meeting, f.fv) != 0 || ui_entity_read(r, &ent_meeting, fv) != 0 ||
        (id != NULL && ui_entity_load(x, &ent_meeting, id, old) != 0) ||
        roll_load(x, &f, id, f.fv[field_index("org_unit")]) != 0) {
        why = _("The records could not be read; try again.");
        goto refuse;
    }
    roll_read(r, &f);
    assess_read(r, &f);
    ui_entity_changed(x, &ent_meeting, fv, id != NULL ? old : NULL);
    for (size_t i = 0; i < ent_meeting.nfields; i++) {
        w[i] = fv[i];
        given += fv[i] != NULL;
    }
    if (meetings_check(x->c, w, id == NULL, &missing, err, sizeof(err)) != 0) {
        why = missing == NULL ? err
              : id != NULL    ? _("The date of the meeting cannot be empty: type it as DD/MM/YYYY.")
                              : _("Type the date of the meeting, as DD/MM/YYYY.");
        goto refuse;
    }
    if (assess_check(x, &f, &cand, &has, &why) != 0)
        goto refuse;
    if ((rows = roll_rows(&f, id != NULL, &nrows)) == NULL) {
        why = cs_strerror(CS_ENOMEM);
        goto refuse;
    }
    char hex[CS_ID_HEX_LEN + 1];
    cs_id_to_hex(&row, hex);
    if (id != NULL && given == 0 && nrows == 0 && !has) {
        status = ui_redirect(r, "/meeting?id=%s&done=unchanged", hex);
        goto out;
    }
    struct meeting_rec m = {.fv = given > 0 ? w : NULL,
                            .att = rows,
                            .natt = nrows,
                            .candidate = has ? &cand : NULL,
                            .assess = (const char *const *)f.assess};
    if (meetings_write(x->c, &row, &m, &assessment, err, sizeof(err)) != 0) {
        why = err;
        goto refuse;
    }
    status = ui_redirect(r, "/meeting?id=%s&done=%s", hex, id != NULL ? "changed" : "added");
    goto out;
refuse:
    status = meeting_form(x, b, id != NULL ? _("Change a meeting") : _("Record a meeting"), action,
                          back, &f, PART_ALL, why);
out:
    free(rows);
    ui_entity_free(&ent_meeting, fv);
    ui_entity_free(&ent_meeting, old);
    mform_free(&f);
    return status;
}

static int
get_new(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct mform f = {0};
    char today[CS_DATE_BUFSZ];
    int status;
    (void)r;

    f.fv[field_index("held_on")] = strdup(cs_date_format_vi(x->c->today, today));
    f.fv[field_index("kind")] = strdup("regular");
    if (roll_load(x, &f, NULL, NULL) != 0) {
        ui_begin(b, _("Record a meeting"), "/meetings");
        ui_failed(b, x->c);
        ui_end(b);
        status = 500;
    } else {
        status = meeting_form(x, b, _("Record a meeting"), "/meeting/new", "/meetings", &f,
                              PART_ALL, NULL);
    }
    mform_free(&f);
    return status;
}

static int
post_new(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    return post_meeting(x, r, b, NULL);
}

static int
get_edit(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct mform f = {0};
    char action[64 + CS_ID_HEX_LEN], back[64 + CS_ID_HEX_LEN];
    struct cs_id id;
    int status;

    if (ui_record_live(x, "meeting", ui_arg(r, "id"), &id) != 0)
        return ui_record_gone(b, _("Change a meeting"), "/meetings", _("Meetings"));
    addresses(&id, "/meeting/edit", action, back, sizeof(action));
    if (ui_entity_load(x, &ent_meeting, &id, f.fv) != 0 || roll_load(x, &f, &id, NULL) != 0) {
        ui_begin(b, _("Change a meeting"), "/meetings");
        ui_failed(b, x->c);
        ui_end(b);
        status = 500;
    } else {
        status = meeting_form(x, b, _("Change a meeting"), action, back, &f, PART_ALL, NULL);
    }
    mform_free(&f);
    return status;
}

static int
post_edit(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct cs_id id;

    if (ui_record_live(x, "meeting", ui_arg(r, "id"), &id) != 0)
        return ui_record_gone(b, _("Change a meeting"), "/meetings", _("Meetings"));
    return post_meeting(x, r, b, &id);
}

/* The meeting's date as shown, DD/MM/YYYY, for the titles of its pages. */
static const char *
meeting_date(struct ui_ctx *x, const struct cs_id *id, char *buf, size_t len)
{
    buf[0] = 0;
    records_text(x->c, "meeting", id, "held_on", buf, len);
    return cs_date_text_vi(buf, buf, len);
}

static int
get_assess(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct mform f = {0};
    char action[64 + CS_ID_HEX_LEN], back[64 + CS_ID_HEX_LEN], title[256];
    char date[CS_DATE_BUFSZ + 32];
    struct cs_id id;

    if (ui_record_live(x, "meeting", ui_arg(r, "id"), &id) != 0)
        return ui_record_gone(b, _("Assess a candidate"), "/meetings", _("Meetings"));
    addresses(&id, "/meeting/assess", action, back, sizeof(action));
    snprintf(title, sizeof(title), _("Assess a candidate at the meeting of %s"),
             meeting_date(x, &id, date, sizeof(date)));
    return meeting_form(x, b, title, action, back, &f, PART_ASSESS, NULL);
}

static int
post_assess(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct mform f = {0};
    char action[64 + CS_ID_HEX_LEN], back[64 + CS_ID_HEX_LEN], title[256], err[512] = "";
    char date[CS_DATE_BUFSZ + 32];
    const char *why = NULL;
    struct cs_id id, cand, assessment;
    bool has = false;
    int status;

    if (ui_record_live(x, "meeting", ui_arg(r, "id"), &id) != 0)
        return ui_record_gone(b, _("Assess a candidate"), "/meetings", _("Meetings"));
    addresses(&id, "/meeting/assess", action, back, sizeof(action));
    snprintf(title, sizeof(title), _("Assess a candidate at the meeting of %s"),
             meeting_date(x, &id, date, sizeof(date)));
    assess_read(r, &f);
    if (assess_check(x, &f, &cand, &has, &why) == 0 && !has)
        why = _("Pick the candidate the meeting assessed, and write what it said.");
    if (why == NULL) {
        struct meeting_rec m = {.candidate = &cand, .assess = (const char *const *)f.assess};
        if (meetings_write(x->c, &id, &m, &assessment, err, sizeof(err)) != 0)
            why = err;
    }
    if (why != NULL)
        status = meeting_form(x, b, title, action, back, &f, PART_ASSESS, why);
    else
        status = ui_redirect(r, "%s&done=assessed", back);
    mform_free(&f);
    return status;
}

/* The meeting's attendance or assessments (queries.h's, as `meeting show`) as a table. */
#define AS_IS(x) x
static void
rows_table(struct ui_ctx *x, struct ui_buf *b, const struct cs_id *id, int assessments)
{
    static const char att_sql[] = MEETING_ATTENDANCE_SQL(AS_IS);
    static const char ass_sql[] = MEETING_ASSESSMENTS_SQL(AS_IS);
    static const char *const att_heads[] = {N_("member"), N_("attendance"), N_("reason")};
    static const char *const ass_heads[] = {N_("candidate"), N_("strengths"), N_("weaknesses"),
                                            N_("next steps")};
    const char *const *heads = assessments ? ass_heads : att_heads;
    int ncol = assessments ? 4 : 3, rows = 0, rc = SQLITE_ERROR;
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(x->c->db, assessments ? ass_sql : att_sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, _("present"), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, _("absent"), -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (rows++ == 0) {
                ui_raw(b, "<table><thead><tr>");
                for (int i = 0; i < ncol; i++) {
                    ui_raw(b, "<th>");
                    ui_text(b, _(heads[i]));
                    ui_raw(b, "</th>");
                }
                ui_raw(b, "</tr></thead><tbody>\n");
            }
            ui_raw(b, "<tr>");
            for (int i = 0; i < ncol; i++) {
                ui_raw(b, i > 0 ? "<td class=\"text\">" : "<td>");
                ui_text(b, (const char *)sqlite3_column_text(st, i));
                ui_raw(b, "</td>");
            }
            ui_raw(b, "</tr>\n");
        }
    }
    if (rc != SQLITE_DONE)
        ui_failed(b, x->c);
    if (rows > 0)
        ui_raw(b, "</tbody></table>\n");
    else if (rc == SQLITE_DONE)
        ui_para(b, assessments ? _("No candidate was assessed at this meeting.")
                               : _("Who came is not recorded yet."));
    sqlite3_finalize(st);
}
#undef AS_IS

static void
link_button(struct ui_buf *b, const char *id, const char *path, const struct cs_id *row,
            const char *label)
{
    ui_raw(b, "<a id=\"");
    ui_raw(b, id);
    ui_raw(b, "\" class=\"button\" href=\"");
    ui_raw(b, path);
    ui_raw(b, "?id=");
    ui_hex(b, row);
    ui_raw(b, "\">");
    ui_text(b, label);
    ui_raw(b, "</a> ");
}

static int
page_meeting(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    static const struct {
        const char *done, *text;
    } notices[] = {
        {"added", N_("The meeting was recorded, with who came.")},
        {"changed", N_("The changes were saved.")},
        {"unchanged", N_("Nothing was changed.")},
        {"assessed", N_("The assessment was recorded.")},
        {"restored", N_("The meeting was restored, with who came and its assessments.")},
    };
    const char *done = ui_arg(r, "done");
    char title[256], date[CS_DATE_BUFSZ + 32];
    struct cs_id id;
    int status = 200;

    if (ui_record_live(x, "meeting", ui_arg(r, "id"), &id) != 0)
        return ui_record_gone(b, _("Meeting"), "/meetings", _("Meetings"));
    snprintf(title, sizeof(title), _("Meeting of %s"), meeting_date(x, &id, date, sizeof(date)));
    ui_begin(b, title, "/meetings");
    for (size_t i = 0; done != NULL && i < sizeof(notices) / sizeof(notices[0]); i++)
        if (strcmp(done, notices[i].done) == 0)
            ui_notice(b, _(notices[i].text));
    if (ui_record_fields(x, b, &ent_meeting, &id) != 0) {
        ui_failed(b, x->c);
        status = 500;
    }
    ui_raw(b, "<section id=\"attendance\"><h2>");
    ui_text(b, _("Attendance"));
    ui_raw(b, "</h2>\n");
    rows_table(x, b, &id, 0);
    ui_raw(b, "</section>\n<section id=\"assessments\"><h2>");
    ui_text(b, _("Assessments of candidates"));
    ui_raw(b, "</h2>\n");
    rows_table(x, b, &id, 1);
    ui_raw(b, "</section>\n<p class=\"actions\">");
    link_button(b, "assess", "/meeting/assess", &id, _("Assess a candidate"));
    link_button(b, "edit", "/meeting/edit", &id, _("Change"));
    link_button(b, "delete", "/meeting/delete", &id, _("Delete (entered by mistake)"));
    ui_raw(b, "</p>\n");
    ui_end(b);
    return status;
}

/* The confirmation: which meeting goes, that it can come back, and the form that does it. */
static int
get_delete(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    char date[CS_DATE_BUFSZ + 32], what[768], action[64 + CS_ID_HEX_LEN], back[64 + CS_ID_HEX_LEN];
    struct cs_id id;

    if (ui_record_live(x, "meeting", ui_arg(r, "id"), &id) != 0)
        return ui_record_gone(b, _("Delete a meeting"), "/meetings", _("Meetings"));
    addresses(&id, "/meeting/delete", action, back, sizeof(action));
    snprintf(what, sizeof(what),
             _("The meeting of %s will be taken off the list of meetings. Do this only for a "
               "meeting entered by mistake: it is kept for review, with who came and its "
               "assessments, and can be restored right after."),
             meeting_date(x, &id, date, sizeof(date)));
    ui_begin(b, _("Delete a meeting"), "/meetings");
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
    char date[CS_DATE_BUFSZ + 32], err[512] = "", hex[CS_ID_HEX_LEN + 1];
    struct cs_id id;
    int ret;

    if (ui_record_live(x, "meeting", ui_arg(r, "id"), &id) != 0)
        return ui_record_gone(b, _("Delete a meeting"), "/meetings", _("Meetings"));
    ret = client_delete_record(x->c, "meeting", &id, date, sizeof(date), err, sizeof(err));
    if (ret != 0) {
        ui_begin(b, _("Delete a meeting"), "/meetings");
        ui_error(b, err[0] ? err : cs_strerror(ret));
        ui_end(b);
        return 500;
    }
    cs_id_to_hex(&id, hex);
    return ui_redirect(r, "/meetings?done=deleted&id=%s", hex);
}

static int
post_undelete(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    char hex[CS_ID_HEX_LEN + 1] = "", date[CS_DATE_BUFSZ + 32], err[512] = "";
    struct cs_id id;
    int ret;

    if (ui_field(r, "id", hex, sizeof(hex)) != 0) {
        ret = CS_EINVAL;
    } else if ((ret = client_record_undelete(x->c, "meeting", hex, &id, date, sizeof(date), err,
                                             sizeof(err))) == 0) {
        cs_id_to_hex(&id, hex);
        return ui_redirect(r, "/meeting?id=%s&done=restored", hex);
    }
    ui_begin(b, _("Restore a meeting"), "/meetings");
    ui_error(b, err[0] ? err : cs_strerror(ret));
    ui_end(b);
    return 422;
}

/* After a delete, on the list: which meeting went, and a button that brings it back. */
static void
deleted_notice(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    const char *done = ui_arg(r, "done"), *hex = ui_arg(r, "id");
    char date[CS_DATE_BUFSZ + 32], msg[512];
    struct cs_id id;

    if (done == NULL || strcmp(done, "deleted") != 0 || hex == NULL ||
        cs_id_from_hex(&id, hex, strlen(hex)) != 0)
        return;
    /* A deleted record keeps its fields (for review): its date is still there to read. */
    snprintf(msg, sizeof(msg),
             _("Deleted the meeting of %s. It is kept for review and can be restored."),
             meeting_date(x, &id, date, sizeof(date)));
    ui_notice(b, msg);
    ui_form_begin(x, b, "/meeting/undelete");
    ui_raw(b, "<input type=\"hidden\" name=\"id\" value=\"");
    ui_text(b, hex);
    ui_raw(b, "\"><button type=\"submit\" id=\"undelete\">");
    ui_text(b, _("Undo: restore the meeting"));
    ui_raw(b, "</button></form>\n");
}

static int
page_meetings(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    /* `meeting list`'s meetings, counts and order. */
    static const char sql[] =
        "SELECT m.id, m.held_on, label('meeting_kind', m.kind), " MEETING_COUNTS ","
        " substr(replace(replace(coalesce(m.agenda, ''), char(13), ''), char(10), ' '), 1, "
        "80)" MEETING_LIST_FROM;
    static const char *const heads[] = {N_("date"), N_("kind"), N_("present"), N_("assessments"),
                                        N_("agenda")};
    sqlite3_stmt *st = NULL;
    int status = 200, rows = 0, rc = SQLITE_ERROR;

    ui_begin(b, _("Meetings"), "/meetings");
    deleted_notice(x, r, b);
    ui_raw(b, "<p><a id=\"add\" class=\"button\" href=\"/meeting/new\">");
    ui_text(b, _("Record a meeting"));
    ui_raw(b, "</a></p>\n");
    if (sqlite3_prepare_v2(x->c->db, sql, -1, &st, NULL) == SQLITE_OK) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            char d[CS_DATE_BUFSZ + 32];
            const char *on = (const char *)sqlite3_column_text(st, 1);
            struct cs_id id;
            if (sqlite3_column_bytes(st, 0) != CS_ID_LEN)
                continue;
            memcpy(id.b, sqlite3_column_blob(st, 0), CS_ID_LEN);
            if (rows++ == 0) {
                ui_raw(b, "<table id=\"list\"><thead><tr>");
                for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
                    ui_raw(b, "<th>");
                    ui_text(b, _(heads[i]));
                    ui_raw(b, "</th>");
                }
                ui_raw(b, "</tr></thead><tbody>\n");
            }
            ui_raw(b, "<tr><td><a class=\"name\" href=\"/meeting?id=");
            ui_hex(b, &id);
            ui_raw(b, "\">");
            ui_text(b, on != NULL ? cs_date_text_vi(on, d, sizeof(d)) : _("(no date)"));
            ui_raw(b, "</a></td>");
            for (int i = 2; i <= 5; i++)
                ui_cell(b, _(heads[i - 1]), (const char *)sqlite3_column_text(st, i));
            ui_raw(b, "</tr>\n");
        }
    }
    if (rc != SQLITE_DONE) {
        ui_failed(b, x->c);
        status = 500;
    }
    if (rows > 0)
        ui_raw(b, "</tbody></table>\n");
    else if (status == 200)
        ui_para(b, _("No meeting is recorded yet."));
    sqlite3_finalize(st);
    ui_end(b);
    return status;
}

const struct ui_route ui_routes_meeting[] = {
    {"/meetings", page_meetings, NULL},           {"/meeting", page_meeting, NULL},
    {"/meeting/new", get_new, post_new},          {"/meeting/edit", get_edit, post_edit},
    {"/meeting/assess", get_assess, post_assess}, {"/meeting/delete", get_delete, post_delete},
    {"/meeting/undelete", NULL, post_undelete},   {NULL, NULL, NULL},
};
