/* SPDX-License-Identifier: MIT */
/*
 * The rules of the admission procedure (DESIGN.md, domain schema; DOMAIN.md)
 * as pure functions: the checks made before a candidate moves to the next
 * stage, and the deadlines that make the due list, counted on the calendar
 * of cellsync/date.h. Nothing here touches the database: the caller fills a
 * struct of facts from it, so the field client (candidate advance, due) and
 * the hub's reports judge a case the same way.
 *
 * Messages written to err are English, translated through gettext, and
 * meant for a cell secretary.
 */
#ifndef CELLSYNC_RULES_H
#define CELLSYNC_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cellsync/date.h"
#include "cellsync/schema.h"

/* ---- Rules for moving a candidate to the next stage ---- */

/*
 * Every rule has a stable code: an exception granted with --force is recorded
 * under it, and the hub reads it back. Append only; never renumber or rename.
 */
#define CS_RULE_MAP(XX)                                                                            \
    XX(ORDER, "order")                                                                             \
    XX(HELPER, "helper")                                                                           \
    XX(AGE, "age")                                                                                 \
    XX(SPONSORS, "sponsors")                                                                       \
    XX(SPONSOR_MONTHS, "sponsor_months")                                                           \
    XX(CLASS_CERTIFICATE, "class_certificate")                                                     \
    XX(CEREMONY_DEADLINE, "ceremony_deadline")                                                     \
    XX(PROBATION, "probation")                                                                     \
    XX(CONVERSION_DEADLINE, "conversion_deadline")

enum cs_rule {
#define XX(name, code) CS_RULE_##name,
    CS_RULE_MAP(XX)
#undef XX
        CS_RULE__COUNT
};

/* A bit for the `waived` argument of cs_rules_check_advance(). */
#define CS_RULE_MASK(r) (1u << (r))

/* "order" .. "conversion_deadline"; NULL for out of range. */
const char *cs_rules_code(enum cs_rule r);
/* The rule for a code, or -1. */
int cs_rules_from_code(const char *code);

#define CS_RULES_SPONSORS 2

struct cs_rules_sponsor {
    bool present;
    bool official_member; /* an official, not a probationary, member */
    int months_known;     /* months worked or lived with the candidate; -1 if not recorded */
};

/*
 * What the rules need to know about one candidate, filled by the caller from
 * the database. Start from cs_rules_facts_init(): day number 0 is a real date
 * (1970-01-01), so "not recorded" must be CS_DATE_NONE, not 0.
 */
struct cs_rules_facts {
    enum cs_stage stage;                 /* the stage the candidate is at now */
    int32_t birth;                       /* birth date */
    int32_t stage_date[CS_STAGE__COUNT]; /* the date each stage was reached */
    int32_t class_certificate;           /* awareness class certificate date */
    struct cs_rules_sponsor sponsor[CS_RULES_SPONSORS];
    bool youth_union_resolution; /* 4-KNĐ, stands in for the second sponsor */
    bool helper_assigned;
};

/* Stage identified, every date CS_DATE_NONE, no sponsors, months_known -1. */
void cs_rules_facts_init(struct cs_rules_facts *f);

/*
 * May the candidate move to stage `target` on day `on` (the date that will be
 * recorded for it)?
 *
 * - CS_ESTAGE when target is not the next stage in schema.h order. Withdrawn
 *   may follow any stage before official; nothing follows official or
 *   withdrawn.
 * - CS_ERULE when a rule fails: *rule (if rule is not NULL) is set to the
 *   failed rule's code and err names it and the dates involved. The rules are
 *   checked in a fixed order and the first failure is reported.
 * - CS_EINVAL for a target or date out of range.
 *
 * Rules in `waived` (CS_RULE_MASK bits) are skipped: to force past several
 * failures, add each reported rule to the mask and call again, recording an
 * exception for each. *rule is NULL unless CS_ERULE is returned.
 */
int cs_rules_check_advance(const struct cs_rules_facts *f, enum cs_stage target, int32_t on,
                           const struct cs_date_holidays *h, unsigned waived, const char **rule,
                           char *err, size_t errlen);

/*
 * The stage an undo of the candidate's last step goes back to: the one
 * before, or after a withdrawal the last stage dated (identified if none).
 * -1 at identified, which has no step to undo. The field client's
 * `candidate undo` and the hub's check of a stage change (daemon/authz.c)
 * both ask here.
 */
int cs_rules_undo_stage(const struct cs_rules_facts *f);

/*
 * What a step brings besides its date, and the one step each belongs to:
 * the helper (CS_STEP_HELPER) to "helper assigned", the sponsors and the
 * youth union resolution to the cell resolution. Bits of the `given`
 * argument of cs_rules_check_inputs().
 */
#define CS_STEP_HELPER   0x1u
#define CS_STEP_SPONSOR1 0x2u
#define CS_STEP_SPONSOR2 0x4u
#define CS_STEP_YOUTH    0x8u

/*
 * May a step to stage `target` bring what `given` says (CS_STEP_* bits)? 0,
 * or CS_EINVAL when one belongs to another step, with *field (if not NULL)
 * set to its candidate column ("helper", "sponsor1", "sponsor2",
 * "youth_union_resolution_on") and err naming it and both steps: given at
 * the wrong step it would be written where no rule checks it, and taken
 * back by no undo.
 */
int cs_rules_check_inputs(enum cs_stage target, unsigned given, const char **field, char *err,
                          size_t errlen);

/* ---- Due list ---- */

struct cs_rules_due {
    /* "ceremony", "probation_end", "conversion", "certificate_expiry" or "decision" */
    const char *kind;
    /* The deadline; for certificate_expiry the first day it is no longer valid. */
    int32_t due;
    /* Calendar days from today to due; negative = overdue. */
    int days_left;
};

/* The most deadlines that apply at one time. */
#define CS_RULES_DUE_MAX 4

/*
 * The deadlines that run for a candidate at its stage, earliest first:
 * - before cell_resolution: certificate_expiry = class certificate + 60 months;
 * - at cell_resolution or grassroots_resolution: decision = cell resolution
 *   (or the grassroots resolution when the cell's date is missing) + 60
 *   working days;
 * - at decision: ceremony = decision + 30 working days;
 * - at ceremony: probation_end = ceremony + 12 months, and conversion =
 *   probation_end + 30 working days.
 * A deadline whose starting date is not recorded is left out. Fills at most
 * max entries of out and returns how many apply (as snprintf does), or a
 * negative code.
 */
int cs_rules_due(const struct cs_rules_facts *f, int32_t today, const struct cs_date_holidays *h,
                 struct cs_rules_due *out, size_t max);

#endif
