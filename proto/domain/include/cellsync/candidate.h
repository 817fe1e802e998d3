/* SPDX-License-Identifier: MIT */
/*
 * Candidates as the rules see them (cellsync/rules.h), read from the domain
 * tables: the facts of one candidate, and the due list of every candidate in
 * progress. The field client (candidate advance, due, status) and the
 * reports of both ends (cellsync/report.h) read them here, so a deadline is
 * computed one way only.
 */
#ifndef CELLSYNC_CANDIDATE_H
#define CELLSYNC_CANDIDATE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "cellsync/id.h"
#include "cellsync/replica.h"
#include "cellsync/rules.h"
#include "cellsync/schema.h"

/* The candidate column holding the date a stage was reached ("class_on", ...); NULL if none. */
const char *cs_candidate_stage_column(enum cs_stage s);

/*
 * Fills the facts the rules need from a candidate's record: its stage and
 * stage dates, birth date, class certificate, helper, sponsors with whether
 * each is an official member, youth-union resolution. A missing or unknown
 * stage reads as identified; an unreadable date as not recorded.
 * 0, CS_ENOTFOUND, or CS_ESQLITE.
 */
int cs_candidate_facts(sqlite3 *db, const struct cs_id *id, struct cs_rules_facts *f);
/*
 * The same with a statement the caller keeps prepared from
 * cs_candidate_facts_sql (?1 the candidate's id) on its connection, for a
 * caller that reads many candidates (the hub, once per candidate whose stage
 * a device changes): compiling the statement costs some 35 times its step.
 * The statement is reset on return; its caller finalizes it before closing
 * the connection (cellsync/sqlstmt.h keeps such statements).
 */
extern const char cs_candidate_facts_sql[];
int cs_candidate_facts_st(sqlite3_stmt *st, const struct cs_id *id, struct cs_rules_facts *f);

/*
 * Fills the table temp.due_rows with every deadline of every live candidate
 * that is not yet official or withdrawn, from cs_rules_due() on today:
 *   due_rows(candidate BLOB, name TEXT, org_unit TEXT, kind TEXT,
 *            kind_label TEXT, due TEXT (YYYY-MM-DD),
 *            days_left INTEGER (negative: overdue))
 * org_unit is the candidate's unit: the cell responsible for the deadline.
 * kind is cs_rules_due()'s code, kind_label its translation. An earlier
 * due_rows is replaced. A candidate whose dates are out of range is left
 * out and, if skipped is not NULL, passed to it, so one bad record does not
 * hide everyone else's deadlines. 0, or CS_ESQLITE with err set.
 */
int cs_candidate_due_fill(sqlite3 *db, int32_t today, const struct cs_date_holidays *h,
                          void (*skipped)(void *ud, const struct cs_id *candidate), void *ud,
                          char *err, size_t errlen);

/* ---- a candidate's steps, written (advance.c) ---- */

/* The most months a sponsor can be said to have known a candidate: a lifetime. */
#define CS_STEP_MONTHS_MAX 1200

/*
 * One step of a candidate's procedure as a person gives it: the stage and
 * its date, and what that step brings (the helper, the sponsors and how
 * many months each has known the candidate, which the sponsor_months rule
 * judges and the step writes to sponsor1_months, sponsor2_months).
 */
struct cs_step {
    int stage;                                      /* enum cs_stage, or -1: the next one */
    int32_t on;                                     /* the date; CS_DATE_NONE: today */
    const struct cs_id *helper;                     /* the member assigned to help */
    const struct cs_id *sponsor[CS_RULES_SPONSORS]; /* the sponsoring members */
    int sponsor_months[CS_RULES_SPONSORS];          /* 0..CS_STEP_MONTHS_MAX; -1: not given */
    int32_t youth_union_resolution;                 /* its date, or CS_DATE_NONE */
    /* OUT: the stage reached; on a refusal, the input it is about (a column), or NULL. */
    enum cs_stage reached;
    const char *field;
};

/* What the steps are judged with, and how a failing rule is treated. */
struct cs_casework {
    int32_t today;
    const struct cs_date_holidays *hol;
    const char *role;         /* the device's role; NULL or "" before enrollment */
    const char *force_reason; /* NULL: a failing rule refuses; else an exception with it */
    /* Called with the message of each exception recorded (optional). */
    void (*excepted)(void *ud, const char *message);
    void *ud;
};

/* stage -1 (the next), no date, nothing else given (sponsor months -1). */
void cs_step_init(struct cs_step *s);

/*
 * Moves a candidate one stage on, in a transaction of its own: s->stage, if
 * given, must be the next stage; without it the step is refused when the
 * stage changed today already (a command run twice by mistake). What the
 * step brings must belong to it (cs_rules_check_inputs(); a sponsor's
 * months go with the sponsor, 0 to CS_STEP_MONTHS_MAX, and need the
 * sponsor given), the role must be allowed the stage, and the rules must pass, or with
 * k->force_reason each rule that fails is recorded as an exception. 0, or CS_ESTAGE, CS_ERULE,
 * CS_EINVAL (s->field names the input refused) or a store error, with err set; s->reached gets the
 * stage.
 */
int cs_candidate_advance(struct cs_replica *r, const struct cs_id *id, struct cs_step *s,
                         const struct cs_casework *k, char *err, size_t errlen);

/*
 * Records the steps of a new candidate, in the caller's open transaction
 * (which has written its identity: the age rule reads the birth date):
 * steps[0] is "identified", each next one the stage after it, judged and
 * written as cs_candidate_advance() does, dates in order needing no
 * exception. Every step has its date, none after today; "identified" alone
 * may go without (today). On a refusal *failed (optional) is the index of
 * the step refused and its field the input (for a date, the stage's date
 * column), if one; the caller rolls back. Every way a candidate's past
 * enters (candidate add, import) goes through here.
 */
int cs_candidate_record(struct cs_replica *r, const struct cs_id *id, struct cs_step *steps,
                        size_t n, const struct cs_casework *k, size_t *failed, char *err,
                        size_t errlen);

/*
 * The steps of a record kept on paper, for cs_candidate_record(): from
 * "identified" up to the stage reached (reached, or with -1 the last one
 * dated in on[], CS_STAGE__COUNT dates with CS_DATE_NONE where none was
 * given), each with its date. What brings holds (helper, sponsors and
 * their months, youth union resolution) goes on the step it belongs to, or on the last one when
 * the steps stop before that, for cs_candidate_record() to refuse it naming
 * the input. Returns the number of steps written to steps (room for
 * CS_STAGE__COUNT).
 */
size_t cs_candidate_paper_steps(const int32_t *on, int reached, const struct cs_step *brings,
                                struct cs_step *steps);

/*
 * Takes back a candidate's last step, with a reason, in a transaction of
 * its own: the stage goes back to the one before (after a withdrawal, the
 * last one reached), the step's date and what it brought are cleared
 * (helper; sponsors and youth union resolution; the member record the
 * ceremony made is deleted; official membership back to probationary;
 * the reason for withdrawal), its exceptions deleted, and a step_undo
 * record keeps the stage, its date and the reason. The committee's step
 * is undone by the committee only. *from and *to (optional) get the
 * stages. 0, CS_EINVAL (no reason), CS_ESTAGE, or a store error.
 */
int cs_candidate_undo(struct cs_replica *r, const struct cs_id *id, const char *reason,
                      const struct cs_casework *k, enum cs_stage *from, enum cs_stage *to,
                      char *err, size_t errlen);

/*
 * Records that a candidate withdrew on `on` (CS_DATE_NONE: k->today), with
 * a reason, in a transaction of its own: the stage "withdrawn", its date
 * and the reason. The role must be allowed the stage, the date may not be
 * after k->today nor before the date of the stage reached (the order rule
 * of cs_rules_check_advance(); never forced). 0, CS_EINVAL (no reason, a
 * date after today), CS_ESTAGE (withdrawn already, an official member, a
 * role not allowed), CS_ERULE, or a store error, with err set.
 */
int cs_candidate_withdraw(struct cs_replica *r, const struct cs_id *id, int32_t on,
                          const char *reason, const struct cs_casework *k, char *err,
                          size_t errlen);

#endif
