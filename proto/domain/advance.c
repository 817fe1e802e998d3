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

#include "cellsync/candidate.h"
#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
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

static int
set_ref(struct cs_replica *r, const char *table, const struct cs_id *row, const char *column,
        const struct cs_id *ref, char *err, size_t errlen)
{
    struct cs_value v = {.type = CS_VBLOB, .p = ref->b, .n = CS_ID_LEN};
    return cs_replica_set(r, table, row, column, &v, err, errlen);
}

/* The text of a record's column ("" if unset) into buf; 0 or CS_ENOTFOUND. */
static int
row_text(sqlite3 *db, const char *table, const struct cs_id *row, const char *column, char *buf,
         size_t len)
{
    char sql[256];
    sqlite3_stmt *st;
    int ret = CS_ENOTFOUND;
    snprintf(sql, sizeof(sql), "SELECT coalesce(\"%s\", '') FROM \"%s\" WHERE id = ?1", column,
             table);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return CS_ESQLITE;
    sqlite3_bind_blob(st, 1, row->b, CS_ID_LEN, SQLITE_STATIC);
    buf[0] = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
        ret = 0;
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
        sqlite3_stmt *st;
        int found = 0;
        if (sqlite3_prepare_v2(cs_replica_db(r), "SELECT member FROM candidate WHERE id = ?1", -1,
                               &st, NULL) != SQLITE_OK)
            return cs_errf(err, errlen, CS_ESQLITE, "%s", sqlite3_errmsg(cs_replica_db(r)));
        sqlite3_bind_blob(st, 1, cand->b, CS_ID_LEN, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == CS_ID_LEN) {
            memcpy(member.b, sqlite3_column_blob(st, 0), CS_ID_LEN);
            found = 1;
        }
        sqlite3_finalize(st);
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
        if (row_text(cs_replica_db(r), "candidate", cand, copy[i], value, sizeof(value)) == 0 &&
            value[0] != 0 &&
            (ret = cs_replica_set_text(r, "member", &member, copy[i], value, err, errlen)))
            return ret;
    }
    if ((ret = row_text(cs_replica_db(r), "candidate", cand, "decision_on", buf, sizeof(buf))) !=
            0 ||
        (buf[0] &&
         (ret = cs_replica_set_text(r, "member", &member, "decision_on", buf, err, errlen))) ||
        (ret = cs_replica_set_text(r, "member", &member, "ceremony_on", date, err, errlen)) ||
        (ret = cs_replica_set_text(r, "member", &member, "status", "probationary", err, errlen)) ||
        (ret = set_ref(r, "candidate", cand, "member", &member, err, errlen)))
        return ret;
    return 0;
}

void
cs_step_init(struct cs_step *s)
{
    memset(s, 0, sizeof(*s));
    s->stage = -1;
    s->on = CS_DATE_NONE;
    s->youth_union_resolution = CS_DATE_NONE;
}

/* Writes one step in the open transaction, after the rules. */
static int
step_write(struct cs_replica *r, const struct cs_id *id, struct cs_step *s,
           const struct cs_casework *k, char *err, size_t errlen)
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

    /* What this step brings: the helper, the sponsors. */
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
            row_text(db, "member", s->sponsor[i], "status", status, sizeof(status)) == 0 &&
            strcmp(status, "official") == 0;
        f.sponsor[i].months_known = -1;
    }
    if (s->sponsor[0] != NULL && s->sponsor[1] != NULL &&
        cs_id_cmp(s->sponsor[0], s->sponsor[1]) == 0)
        return cs_errf(err, errlen, CS_EINVAL, "%s",
                       _("the two sponsors must be different members"));
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
    cs_date_format(on, datebuf);
    if ((ret = cs_replica_set_text(r, "candidate", id, "stage", cs_stage_code(to), err, errlen)) !=
            0 ||
        (ret = cs_replica_set_text(r, "candidate", id, cs_candidate_stage_column(to), datebuf, err,
                                   errlen)) != 0 ||
        (s->helper != NULL &&
         (ret = set_ref(r, "candidate", id, "helper", s->helper, err, errlen))) ||
        (s->sponsor[0] != NULL &&
         (ret = set_ref(r, "candidate", id, "sponsor1", s->sponsor[0], err, errlen)) != 0) ||
        (s->sponsor[1] != NULL &&
         (ret = set_ref(r, "candidate", id, "sponsor2", s->sponsor[1], err, errlen)) != 0))
        return ret;
    if (s->youth_union_resolution != CS_DATE_NONE) {
        char ybuf[CS_DATE_BUFSZ];
        cs_date_format(s->youth_union_resolution, ybuf);
        if ((ret = cs_replica_set_text(r, "candidate", id, "youth_union_resolution_on", ybuf, err,
                                       errlen)) != 0)
            return ret;
    }
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
    if ((ret = step_write(r, id, s, k, err, errlen)) != 0 ||
        (ret = cs_replica_commit(r, err, errlen)) != 0)
        cs_replica_rollback(r);
    return ret;
}
