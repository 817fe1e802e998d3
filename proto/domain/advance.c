/* SPDX-License-Identifier: MIT */
/*
 * A candidate's steps written through the replica (cellsync/candidate.h):
 * each step judged by the rules (rules.c) on the facts of the record, then
 * its stage, date and what it brings written in one transaction, with an
 * exception recorded for each rule a forced step breaks. The field client
 * and the local web interface both call these, so a step is judged one way.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cellsync/candidate.h"
#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/record.h"
#include "internal.h"

/* Records an exception to a rule on the candidate, in the open transaction. */
static int
record_exception(struct cs_replica *r, const struct cs_id *cand, const char *rule, enum cs_stage to,
                 const char *reason, int32_t on, char *err, size_t errlen)
{
    struct cs_id id;
    struct cs_value v = {.type = CS_VBLOB, .p = cand->b, .n = CS_ID_LEN};
    char today[CS_DATE_BUFSZ];
    int ret;
    cs_id_new(&id);
    cs_date_format(on, today);
    if ((ret = cs_replica_set(r, "exception", &id, "candidate", &v, err, errlen)) != 0 ||
        (ret = cs_replica_set_text(r, "exception", &id, "rule", rule, err, errlen)) != 0 ||
        (ret = cs_replica_set_text(r, "exception", &id, "stage", cs_stage_code(to), err, errlen)) !=
            0 ||
        (ret = cs_replica_set_text(r, "exception", &id, "reason", reason, err, errlen)) ||
        (ret = cs_replica_set_text(r, "exception", &id, "recorded_on", today, err, errlen)))
        return ret;
    return 0;
}

/* Text as a value; NULL clears. */
static struct cs_value
text_value(const char *t)
{
    return t != NULL ? (struct cs_value){.type = CS_VTEXT, .p = t, .n = strlen(t)}
                     : (struct cs_value){.type = CS_VNIL};
}

static int
set_ref(struct cs_replica *r, const char *table, const struct cs_id *row, const char *column,
        const struct cs_id *ref, char *err, size_t errlen)
{
    struct cs_value v = {.type = CS_VBLOB, .p = ref->b, .n = CS_ID_LEN};
    return cs_replica_set(r, table, row, column, &v, err, errlen);
}

/* The candidate's member record (made at the ceremony), if it has one: 1, 0 or CS_ESQLITE. */
static int
member_of(sqlite3 *db, const struct cs_id *cand, struct cs_id *member)
{
    sqlite3_stmt *st;
    int ret = 0;
    if (sqlite3_prepare_v2(db, "SELECT member FROM candidate WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return CS_ESQLITE;
    sqlite3_bind_blob(st, 1, cand->b, CS_ID_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == CS_ID_LEN) {
        memcpy(member->b, sqlite3_column_blob(st, 0), CS_ID_LEN);
        ret = 1;
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        ret = CS_ESQLITE;
    }
    sqlite3_finalize(st);
    return ret;
}

/*
 * At the ceremony the candidate becomes a probationary member: a member
 * record with the identity copied over, linked from the candidate. At
 * official membership that record turns official.
 */
static int
promote(struct cs_replica *r, const struct cs_id *cand, enum cs_stage to, const char *date,
        char *err, size_t errlen)
{
    struct cs_id member;
    char buf[64];
    int ret;

    if (to == CS_STAGE_OFFICIAL) {
        int found = member_of(cs_replica_db(r), cand, &member);
        if (found < 0)
            return cs_errf(err, errlen, found, "%s", sqlite3_errmsg(cs_replica_db(r)));
        if (!found)
            return 0; /* admitted before this device kept its record: nothing to update */
        if ((ret = cs_replica_set_text(r, "member", &member, "status", "official", err, errlen)) !=
                0 ||
            (ret = cs_replica_set_text(r, "member", &member, "official_on", date, err, errlen)) !=
                0)
            return ret;
        return 0;
    }
    cs_id_new(&member);
    static const char *const copy[] = {"full_name", "birth_name", "sex",        "birth_date",
                                       "ethnicity", "religion",   "hometown",   "citizen_id",
                                       "phone",     "education",  "occupation", "org_unit"};
    for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
        char value[1024];
        if (cs_record_text(cs_replica_db(r), "candidate", cand, copy[i], value, sizeof(value)) ==
                0 &&
            value[0] != 0 &&
            (ret = cs_replica_set_text(r, "member", &member, copy[i], value, err, errlen)))
            return ret;
    }
    if ((ret = cs_record_text(cs_replica_db(r), "candidate", cand, "decision_on", buf,
                              sizeof(buf))) != 0 ||
        (buf[0] &&
         (ret = cs_replica_set_text(r, "member", &member, "decision_on", buf, err, errlen))) ||
        (ret = cs_replica_set_text(r, "member", &member, "ceremony_on", date, err, errlen)) ||
        (ret = cs_replica_set_text(r, "member", &member, "status", "probationary", err, errlen)) ||
        (ret = set_ref(r, "candidate", cand, "member", &member, err, errlen)))
        return ret;
    return 0;
}

/* What a step brings, as cs_rules_check_inputs() takes it (CS_STEP_*). */
static unsigned
step_brings(const struct cs_step *s)
{
    /* A sponsor's months are part of the sponsor: given at another step, refused with it. */
    return (s->helper != NULL ? CS_STEP_HELPER : 0) |
           (s->sponsor[0] != NULL || s->sponsor_months[0] >= 0 ? CS_STEP_SPONSOR1 : 0) |
           (s->sponsor[1] != NULL || s->sponsor_months[1] >= 0 ? CS_STEP_SPONSOR2 : 0) |
           (s->youth_union_resolution != CS_DATE_NONE ? CS_STEP_YOUTH : 0);
}

void
cs_step_init(struct cs_step *s)
{
    memset(s, 0, sizeof(*s));
    s->stage = -1;
    s->on = CS_DATE_NONE;
    s->youth_union_resolution = CS_DATE_NONE;
    for (int i = 0; i < CS_RULES_SPONSORS; i++)
        s->sponsor_months[i] = -1;
}

/*
 * The months each sponsor has known the candidate, as given: for a sponsor
 * given with them, and a number the rule can judge. s->field names the
 * input refused. 0 or CS_EINVAL.
 */
static int
check_months(struct cs_step *s, char *err, size_t errlen)
{
    static const char *const columns[] = {"sponsor1_months", "sponsor2_months"};
    for (int i = 0; i < CS_RULES_SPONSORS; i++) {
        int m = s->sponsor_months[i];
        if (m == -1)
            continue;
        s->field = columns[i];
        if (m < 0 || m > CS_STEP_MONTHS_MAX)
            return cs_errf(err, errlen, CS_EINVAL, _("%d is not a number of months from 0 to %d"),
                           m, CS_STEP_MONTHS_MAX);
        if (s->sponsor[i] == NULL)
            return cs_errf(err, errlen, CS_EINVAL,
                           _("the months known are those of sponsor %d: choose that sponsor too"),
                           i + 1);
        s->field = NULL;
    }
    return 0;
}

/* The day, in this computer's time zone, of a time in Unix milliseconds. */
static int32_t
local_day(uint64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL)
        return CS_DATE_NONE;
    return cs_date_from_civil((struct cs_date){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday});
}

/*
 * Whether this device changed the candidate's stage today, by this
 * replica's clock: its current version replaced an earlier one (it names a
 * prev: the record was not only added) and was written here today. A step another
 * device wrote today (the committee's decision) does not count: the
 * mistake this guards against is this device's command run twice.
 * 1, 0, or CS_ESQLITE.
 */
static int
stage_changed_today(struct cs_replica *r, const struct cs_id *id)
{
    static const char sql[] =
        "SELECT hlc, origin, prev_hlc != 0 FROM cs_version WHERE tbl = 'candidate'"
        " AND row = ?1 AND col = 'stage' AND state = 'current'";
    const struct cs_id *self = cs_replica_site(r);
    sqlite3_stmt *st;
    int ret = CS_ESQLITE;

    if (sqlite3_prepare_v2(cs_replica_db(r), sql, -1, &st, NULL) != SQLITE_OK)
        return CS_ESQLITE;
    sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        uint64_t hlc = (uint64_t)sqlite3_column_int64(st, 0);
        int mine = sqlite3_column_bytes(st, 1) == CS_ID_LEN &&
                   memcmp(sqlite3_column_blob(st, 1), self->b, CS_ID_LEN) == 0;
        ret = mine && sqlite3_column_int(st, 2) &&
              local_day(cs_hlc_ms(hlc)) == local_day(cs_hlc_ms(cs_replica_now(r)));
    } else {
        ret = 0;
    }
    sqlite3_finalize(st);
    return ret;
}

/*
 * Writes one step in the open transaction, after the rules. With
 * once_a_day, a step that does not name its stage is refused when the
 * stage changed today already and the step gives no date, or the same date
 * as the current stage's: the same command run twice by mistake (up-arrow,
 * Enter) would otherwise move the candidate two stages.
 */
static int
step_write(struct cs_replica *r, const struct cs_id *id, struct cs_step *s,
           const struct cs_casework *k, int once_a_day, char *err, size_t errlen)
{
    sqlite3 *db = cs_replica_db(r);
    struct cs_rules_facts f;
    char datebuf[CS_DATE_BUFSZ];
    int32_t on = s->on != CS_DATE_NONE ? s->on : k->today;
    unsigned waived = 0;
    int ret;

    if ((ret = cs_candidate_facts(db, id, &f)) != 0)
        return cs_errf(err, errlen, ret, "%s", cs_strerror(ret));
    if (f.stage == CS_STAGE_OFFICIAL || f.stage == CS_STAGE_WITHDRAWN)
        return cs_errf(err, errlen, CS_ESTAGE, _("the candidate is %s: there is no further stage"),
                       cs_code_label("stage", cs_stage_code(f.stage)));
    enum cs_stage to = (enum cs_stage)(f.stage + 1);
    if (s->stage >= 0 && s->stage != (int)to)
        return cs_errf(err, errlen, CS_ESTAGE,
                       _("the candidate is at '%s': the next stage is '%s', not '%s'"),
                       cs_code_label("stage", cs_stage_code(f.stage)),
                       cs_code_label("stage", cs_stage_code(to)),
                       cs_code_label("stage", cs_stage_code((enum cs_stage)s->stage)));
    /* The hub would refuse it: say so now, not after the next sync. */
    if (k->role != NULL && k->role[0] != 0 && !cs_stage_writable(to, k->role))
        return cs_errf(err, errlen, CS_ESTAGE, "%s",
                       _("the admission decision is the committee's: it reaches this device "
                         "with a sync"));

    /*
     * A date typed that differs from the current stage's is a history being
     * entered in order (paper records), not the same line run again.
     */
    int repeated_date =
        s->on == CS_DATE_NONE || (f.stage < CS_STAGE__COUNT && f.stage_date[f.stage] == s->on);
    if (once_a_day && s->stage < 0 && repeated_date) {
        if ((ret = stage_changed_today(r, id)) < 0)
            return cs_errf(err, errlen, ret, "%s", sqlite3_errmsg(db));
        if (ret == 1)
            return cs_errf(err, errlen, CS_ESTAGE,
                           _("the candidate's stage changed today already, to '%s'; to record "
                             "the next step as well, name it: --to %s"),
                           cs_code_label("stage", cs_stage_code(f.stage)), cs_stage_code(to));
    }
    /* What this step brings: the helper, the sponsors, each at its own step. */
    unsigned given = step_brings(s);
    if ((ret = check_months(s, err, errlen)) != 0 ||
        (ret = cs_rules_check_inputs(to, given, &s->field, err, errlen)) != 0)
        return ret;
    if (to == CS_STAGE_HELPER && s->helper == NULL && !f.helper_assigned) {
        s->field = "helper";
        return cs_errf(err, errlen, CS_EINVAL, "%s",
                       _("the helper stage needs the member assigned to help"));
    }
    if (s->helper != NULL)
        f.helper_assigned = true;
    for (int i = 0; i < CS_RULES_SPONSORS; i++) {
        if (s->sponsor[i] == NULL)
            continue;
        char status[32];
        f.sponsor[i].present = true;
        f.sponsor[i].official_member =
            cs_record_text(db, "member", s->sponsor[i], "status", status, sizeof(status)) == 0 &&
            strcmp(status, "official") == 0;
        f.sponsor[i].months_known = s->sponsor_months[i];
    }
    if (s->sponsor[0] != NULL && s->sponsor[1] != NULL &&
        cs_id_cmp(s->sponsor[0], s->sponsor[1]) == 0) {
        s->field = "sponsor2";
        return cs_errf(err, errlen, CS_EINVAL, "%s",
                       _("the two sponsors must be different members"));
    }
    if (s->youth_union_resolution != CS_DATE_NONE)
        f.youth_union_resolution = true;

    for (;;) {
        const char *rule = NULL;
        err[0] = 0;
        ret = cs_rules_check_advance(&f, to, on, k->hol, waived, &rule, err, errlen);
        if (ret == 0)
            break;
        if (ret != CS_ERULE || k->force_reason == NULL)
            return ret;
        int rl = cs_rules_from_code(rule);
        if (rl < 0 || (waived & CS_RULE_MASK(rl)))
            return ret;
        waived |= CS_RULE_MASK(rl);
        if (k->excepted != NULL)
            k->excepted(k->ud, err);
        if ((ret = record_exception(r, id, rule, to, k->force_reason, k->today, err, errlen)) != 0)
            return ret;
    }
    /* The step's columns, in this order, written in one go (the row is written once). */
    const char *cols[8];
    struct cs_value vals[8];
    char ybuf[CS_DATE_BUFSZ];
    size_t n = 0;
    cs_date_format(on, datebuf);
#define TEXT(c, t) (cols[n] = (c), vals[n++] = text_value(t))
#define REF(c, x)                                                                                  \
    (cols[n] = (c), vals[n++] = (struct cs_value){.type = CS_VBLOB, .p = (x)->b, .n = CS_ID_LEN})
    TEXT("stage", cs_stage_code(to));
    TEXT(cs_candidate_stage_column(to), datebuf);
    if (s->helper != NULL)
        REF("helper", s->helper);
    if (s->sponsor[0] != NULL)
        REF("sponsor1", s->sponsor[0]);
    if (s->sponsor[1] != NULL)
        REF("sponsor2", s->sponsor[1]);
#undef REF
    for (int i = 0; i < CS_RULES_SPONSORS; i++) {
        static const char *const columns[] = {"sponsor1_months", "sponsor2_months"};
        if (s->sponsor_months[i] >= 0) {
            cols[n] = columns[i];
            vals[n++] = (struct cs_value){.type = CS_VINT, .i = s->sponsor_months[i]};
        }
    }
    if (s->youth_union_resolution != CS_DATE_NONE) {
        cs_date_format(s->youth_union_resolution, ybuf);
        TEXT("youth_union_resolution_on", ybuf);
    }
#undef TEXT
    if ((ret = cs_replica_set_row(r, "candidate", id, n, cols, vals, err, errlen)) != 0)
        return ret;
    if ((to == CS_STAGE_CEREMONY || to == CS_STAGE_OFFICIAL) &&
        (ret = promote(r, id, to, datebuf, err, errlen)) != 0)
        return ret;
    s->reached = to;
    return 0;
}

/* Moves a candidate one stage on, in a transaction of its own. */
int
cs_candidate_advance(struct cs_replica *r, const struct cs_id *id, struct cs_step *s,
                     const struct cs_casework *k, char *err, size_t errlen)
{
    int ret;

    s->field = NULL;
    if ((ret = cs_replica_begin(r, err, errlen)) != 0)
        return ret;
    if ((ret = step_write(r, id, s, k, 1, err, errlen)) != 0 ||
        (ret = cs_replica_commit(r, err, errlen)) != 0)
        cs_replica_rollback(r);
    return ret;
}

int
cs_candidate_record(struct cs_replica *r, const struct cs_id *id, struct cs_step *steps, size_t n,
                    const struct cs_casework *k, size_t *failed, char *err, size_t errlen)
{
    char datebuf[CS_DATE_BUFSZ];
    size_t i = 0;
    int ret;

    for (size_t j = 0; j < n; j++)
        steps[j].field = NULL;
    if (n == 0 || (steps[0].stage >= 0 && steps[0].stage != CS_STAGE_IDENTIFIED)) {
        ret = cs_errf(err, errlen, CS_ESTAGE, _("a candidate's first step is '%s'"),
                      cs_code_label("stage", cs_stage_code(CS_STAGE_IDENTIFIED)));
        goto out;
    }
    /*
     * Every step's date, before anything is judged: a step of the past is
     * the point of paper records, one of the future has not happened, and
     * a step without a date would be dated today, after the later ones.
     * Only "identified" alone may go without (today).
     */
    for (i = 0; i < n; i++) {
        struct cs_step *t = &steps[i];
        const char *label = cs_code_label("stage", cs_stage_code((enum cs_stage)i));
        char tbuf[CS_DATE_BUFSZ];
        t->field = cs_candidate_stage_column((enum cs_stage)i);
        if (t->on == CS_DATE_NONE && n > 1) {
            ret = cs_errf(err, errlen, CS_EINVAL,
                          i + 1 < n ? _("the step '%s' needs its date, since a later step has one")
                                    : _("the step '%s' needs its date: it is the stage reached"),
                          label);
            goto out;
        }
        if (t->on != CS_DATE_NONE && t->on > k->today) {
            ret = cs_errf(err, errlen, CS_EINVAL, _("the date %s is after today (%s)"),
                          cs_date_format_vi(t->on, datebuf), cs_date_format_vi(k->today, tbuf));
            goto out;
        }
        t->field = NULL;
    }
    i = 0;
    struct cs_step *s = &steps[0];
    unsigned given = step_brings(s);
    if ((ret = check_months(s, err, errlen)) != 0 ||
        (ret = cs_rules_check_inputs(CS_STAGE_IDENTIFIED, given, &s->field, err, errlen)) != 0)
        goto out;
    int32_t on = s->on != CS_DATE_NONE ? s->on : k->today;
    /* Both in one go: the row is written once. */
    static const char *const first[] = {"stage", "identified_on"};
    const struct cs_value fv[] = {text_value(cs_stage_code(CS_STAGE_IDENTIFIED)),
                                  text_value(cs_date_format(on, datebuf))};
    if ((ret = cs_replica_set_row(r, "candidate", id, 2, first, fv, err, errlen)) != 0)
        goto out;
    s->reached = CS_STAGE_IDENTIFIED;
    /* Each later step names its stage by its place: the rules judge them in order. */
    for (i = 1; i < n; i++)
        if ((ret = step_write(r, id, &steps[i], k, 0, err, errlen)) != 0)
            goto out;
    ret = 0;
out:
    if (failed != NULL)
        *failed = i;
    return ret;
}

size_t
cs_candidate_paper_steps(const int32_t *on, int reached, const struct cs_step *brings,
                         struct cs_step *steps)
{
    int last = CS_STAGE_IDENTIFIED;
    for (int st = 0; st < CS_STAGE__COUNT; st++) {
        cs_step_init(&steps[st]);
        steps[st].stage = st;
        steps[st].on = on[st];
        if (on[st] != CS_DATE_NONE)
            last = st;
    }
    if (reached >= 0 && reached < CS_STAGE__COUNT)
        last = reached;
    /* At its own step, or at the last one, where the rules name it as given too early. */
    struct cs_step *hs = &steps[last < CS_STAGE_HELPER ? last : CS_STAGE_HELPER];
    struct cs_step *cs = &steps[last < CS_STAGE_CELL ? last : CS_STAGE_CELL];
    hs->helper = brings->helper;
    cs->sponsor[0] = brings->sponsor[0];
    cs->sponsor[1] = brings->sponsor[1];
    cs->sponsor_months[0] = brings->sponsor_months[0];
    cs->sponsor_months[1] = brings->sponsor_months[1];
    cs->youth_union_resolution = brings->youth_union_resolution;
    return (size_t)last + 1;
}

/* Every live exception of a candidate granted for a stage goes, with the step it let through. */
static int
delete_exceptions(struct cs_replica *r, const struct cs_id *id, enum cs_stage stage, char *err,
                  size_t errlen)
{
    static const char sql[] =
        "SELECT id FROM exception WHERE candidate = ?1 AND stage = ?2 AND cl % 2 = 1";
    sqlite3 *db = cs_replica_db(r);
    sqlite3_stmt *st;
    struct cs_id ids[32];
    size_t n = 0;
    int ret = 0, rc;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return cs_errf(err, errlen, CS_ESQLITE, "%s", sqlite3_errmsg(db));
    sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, cs_stage_code(stage), -1, SQLITE_STATIC);
    /* Collected first: deleting writes the table being read. A step has one per rule. */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < CS_ARRAY_SIZE(ids))
        if (sqlite3_column_bytes(st, 0) == CS_ID_LEN)
            memcpy(ids[n++].b, sqlite3_column_blob(st, 0), CS_ID_LEN);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        ret = cs_errf(err, errlen, CS_ESQLITE, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    for (size_t i = 0; i < n && ret == 0; i++)
        ret = cs_replica_delete_row(r, "exception", &ids[i], err, errlen);
    return ret;
}

/* What a step wrote besides its stage and date, which its undo clears. */
static int
clear_step(struct cs_replica *r, const struct cs_id *id, enum cs_stage from, char *err,
           size_t errlen)
{
    static const char *const cell_columns[] = {"sponsor1", "sponsor2", "sponsor1_months",
                                               "sponsor2_months", "youth_union_resolution_on"};
    struct cs_id member;
    int ret = 0, has;

    switch (from) {
    case CS_STAGE_HELPER:
        ret = cs_replica_set_text(r, "candidate", id, "helper", NULL, err, errlen);
        break;
    case CS_STAGE_CELL:
        for (size_t i = 0; i < CS_ARRAY_SIZE(cell_columns) && ret == 0; i++)
            ret = cs_replica_set_text(r, "candidate", id, cell_columns[i], NULL, err, errlen);
        break;
    case CS_STAGE_CEREMONY:
        /* The probationary member the ceremony made is deleted (kept for review). */
        if ((has = member_of(cs_replica_db(r), id, &member)) < 0)
            return cs_errf(err, errlen, has, "%s", sqlite3_errmsg(cs_replica_db(r)));
        if (has && (ret = cs_replica_delete_row(r, "member", &member, err, errlen)) == CS_ENOTFOUND)
            ret = 0;
        if (ret == 0)
            ret = cs_replica_set_text(r, "candidate", id, "member", NULL, err, errlen);
        break;
    case CS_STAGE_OFFICIAL:
        if ((has = member_of(cs_replica_db(r), id, &member)) < 0)
            return cs_errf(err, errlen, has, "%s", sqlite3_errmsg(cs_replica_db(r)));
        if (has &&
            ((ret = cs_replica_set_text(r, "member", &member, "status", "probationary", err,
                                        errlen)) != 0 ||
             (ret = cs_replica_set_text(r, "member", &member, "official_on", NULL, err, errlen))))
            break;
        break;
    case CS_STAGE_WITHDRAWN:
        ret = cs_replica_set_text(r, "candidate", id, "withdrawn_reason", NULL, err, errlen);
        break;
    default:
        break;
    }
    return ret;
}

int
cs_candidate_undo(struct cs_replica *r, const struct cs_id *id, const char *reason,
                  const struct cs_casework *k, enum cs_stage *from, enum cs_stage *to, char *err,
                  size_t errlen)
{
    sqlite3 *db = cs_replica_db(r);
    struct cs_rules_facts f;
    char was[CS_DATE_BUFSZ] = "", today[CS_DATE_BUFSZ];
    struct cs_id u;
    int ret;

    if (reason == NULL || reason[0] == 0)
        return cs_errf(err, errlen, CS_EINVAL, "%s", _("undoing a step needs a reason"));
    if ((ret = cs_replica_begin(r, err, errlen)) != 0)
        return ret;
    if ((ret = cs_candidate_facts(db, id, &f)) != 0) {
        cs_errf(err, errlen, ret, "%s", cs_strerror(ret));
        goto out;
    }
    if (f.stage == CS_STAGE_IDENTIFIED) {
        ret = cs_errf(err, errlen, CS_ESTAGE,
                      _("the candidate is at the first stage, '%s': there is no step to undo "
                        "(a record entered by mistake can be deleted)"),
                      cs_code_label("stage", cs_stage_code(f.stage)));
        goto out;
    }
    /* Withdrawal may follow any stage: back to the last one reached, by its date. */
    enum cs_stage back = (enum cs_stage)cs_rules_undo_stage(&f);
    /* Undoing a step clears its date: who may not write it may not undo it. */
    if (k->role != NULL && k->role[0] != 0 && !cs_stage_writable(f.stage, k->role)) {
        ret = cs_errf(err, errlen, CS_ESTAGE,
                      _("the step '%s' is the committee's: only the committee can undo it"),
                      cs_code_label("stage", cs_stage_code(f.stage)));
        goto out;
    }
    const char *column = cs_candidate_stage_column(f.stage);
    cs_record_text(db, "candidate", id, column, was, sizeof(was));
    struct cs_value cv = {.type = CS_VBLOB, .p = id->b, .n = CS_ID_LEN};
    cs_id_new(&u);
    if ((ret = cs_replica_set_text(r, "candidate", id, "stage", cs_stage_code(back), err,
                                   errlen)) != 0 ||
        (ret = cs_replica_set_text(r, "candidate", id, column, NULL, err, errlen)) != 0 ||
        (ret = clear_step(r, id, f.stage, err, errlen)) != 0 ||
        (ret = delete_exceptions(r, id, f.stage, err, errlen)) != 0 ||
        (ret = cs_replica_set(r, "step_undo", &u, "candidate", &cv, err, errlen)) != 0 ||
        (ret = cs_replica_set_text(r, "step_undo", &u, "stage", cs_stage_code(f.stage), err,
                                   errlen)) != 0 ||
        (ret = cs_replica_set_text(r, "step_undo", &u, "stage_on", was[0] ? was : NULL, err,
                                   errlen)) != 0 ||
        (ret = cs_replica_set_text(r, "step_undo", &u, "reason", reason, err, errlen)) != 0 ||
        (ret = cs_replica_set_text(r, "step_undo", &u, "recorded_on",
                                   cs_date_format(k->today, today), err, errlen)) != 0)
        goto out;
    if ((ret = cs_replica_commit(r, err, errlen)) != 0)
        goto out;
    if (from != NULL)
        *from = f.stage;
    if (to != NULL)
        *to = back;
out:
    if (ret != 0)
        cs_replica_rollback(r);
    return ret;
}

/*
 * A withdrawal is a step like the others: the role must be allowed it, its
 * date is not in the future nor before the stage reached (the order rule),
 * and the reason is kept. It is never forced: a wrong date is corrected,
 * not excepted.
 */
int
cs_candidate_withdraw(struct cs_replica *r, const struct cs_id *id, int32_t on, const char *reason,
                      const struct cs_casework *k, char *err, size_t errlen)
{
    struct cs_rules_facts f;
    char datebuf[CS_DATE_BUFSZ], tbuf[CS_DATE_BUFSZ];
    int ret;

    if (reason == NULL || reason[0] == 0)
        return cs_errf(err, errlen, CS_EINVAL, "%s", _("a withdrawal needs a reason"));
    if (on == CS_DATE_NONE)
        on = k->today;
    if ((ret = cs_candidate_facts(cs_replica_db(r), id, &f)) != 0)
        return cs_errf(err, errlen, ret, "%s", cs_strerror(ret));
    if (f.stage == CS_STAGE_WITHDRAWN || f.stage == CS_STAGE_OFFICIAL)
        return cs_errf(err, errlen, CS_ESTAGE, _("the candidate is %s: it cannot be withdrawn"),
                       cs_code_label("stage", cs_stage_code(f.stage)));
    if (k->role != NULL && k->role[0] != 0 && !cs_stage_writable(CS_STAGE_WITHDRAWN, k->role))
        return cs_errf(err, errlen, CS_ESTAGE, _("the role '%s' may not record a withdrawal"),
                       cs_code_label("role", k->role));
    if (on > k->today)
        return cs_errf(err, errlen, CS_EINVAL, _("the date %s is after today (%s)"),
                       cs_date_format_vi(on, datebuf), cs_date_format_vi(k->today, tbuf));
    if ((ret = cs_rules_check_advance(&f, CS_STAGE_WITHDRAWN, on, k->hol, 0, NULL, err, errlen)) !=
        0)
        return ret;
    cs_date_format(on, datebuf);
    if ((ret = cs_replica_begin(r, err, errlen)) != 0)
        return ret;
    if ((ret = cs_replica_set_text(r, "candidate", id, "stage", "withdrawn", err, errlen)) != 0 ||
        (ret = cs_replica_set_text(r, "candidate", id, "withdrawn_on", datebuf, err, errlen)) !=
            0 ||
        (ret = cs_replica_set_text(r, "candidate", id, "withdrawn_reason", reason, err, errlen)) !=
            0 ||
        (ret = cs_replica_commit(r, err, errlen)) != 0)
        cs_replica_rollback(r);
    return ret;
}
