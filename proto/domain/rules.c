/* SPDX-License-Identifier: MIT */
/*
 * The admission-procedure rules (cellsync/rules.h): the checks made before
 * a candidate moves to the next stage, and the due list. Pure functions over
 * facts the caller reads from the database, so client and hub agree; the
 * dates and working days they count come from date.c.
 */
#include <stdint.h>
#include <string.h>

#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/rules.h"
#include "internal.h"

/* Rules counted in months or working days (DESIGN.md, domain schema). */
#define AGE_MIN_MONTHS      (18 * 12)
#define AGE_LIMIT_MONTHS    (61 * 12)
#define CERTIFICATE_MONTHS  60
#define SPONSOR_MONTHS      12
#define PROBATION_MONTHS    12
#define DECISION_WORKDAYS   60
#define CEREMONY_WORKDAYS   30
#define CONVERSION_WORKDAYS 30

/* ---- Rules ---- */

static const char *const rule_codes[] = {
#define XX(name, code) code,
    CS_RULE_MAP(XX)
#undef XX
};

const char *
cs_rules_code(enum cs_rule r)
{
    if ((unsigned)r >= CS_RULE__COUNT)
        return NULL;
    return rule_codes[r];
}

int
cs_rules_from_code(const char *code)
{
    for (size_t i = 0; code != NULL && i < CS_ARRAY_SIZE(rule_codes); i++)
        if (strcmp(rule_codes[i], code) == 0)
            return (int)i;
    return -1;
}

/* What a secretary reads for a stage: its label in the "stage" code list. */
static const char *
stage_label(enum cs_stage s)
{
    return cs_code_label("stage", cs_stage_code(s));
}

void
cs_rules_facts_init(struct cs_rules_facts *f)
{
    memset(f, 0, sizeof(*f));
    f->stage = CS_STAGE_IDENTIFIED;
    f->birth = CS_DATE_NONE;
    for (size_t i = 0; i < CS_ARRAY_SIZE(f->stage_date); i++)
        f->stage_date[i] = CS_DATE_NONE;
    f->class_certificate = CS_DATE_NONE;
    for (size_t i = 0; i < CS_ARRAY_SIZE(f->sponsor); i++)
        f->sponsor[i].months_known = -1;
}

/*
 * Dates the parser could have produced. Checking them up front keeps the
 * working-day loops short and every sum far from overflow.
 */
static bool
in_range(int32_t day)
{
    return day >= cs_date_from_civil((struct cs_date){CS_DATE_YEAR_MIN, 1, 1}) &&
           day <= cs_date_from_civil((struct cs_date){CS_DATE_YEAR_MAX, 12, 31});
}

static bool
facts_valid(const struct cs_rules_facts *f)
{
    if ((unsigned)f->stage > CS_STAGE_WITHDRAWN)
        return false;
    if (f->birth != CS_DATE_NONE && !in_range(f->birth))
        return false;
    if (f->class_certificate != CS_DATE_NONE && !in_range(f->class_certificate))
        return false;
    for (size_t i = 0; i < CS_ARRAY_SIZE(f->stage_date); i++)
        if (f->stage_date[i] != CS_DATE_NONE && !in_range(f->stage_date[i]))
            return false;
    return true;
}

/* One advance being checked. */
struct advance {
    const struct cs_rules_facts *f;
    const struct cs_date_holidays *h;
    enum cs_stage target;
    int32_t on;
    /* Scratch for formatted dates: a message needs at most three. */
    char d1[CS_DATE_BUFSZ], d2[CS_DATE_BUFSZ], d3[CS_DATE_BUFSZ];
};

static int
check_order(struct advance *a, char *err, size_t errlen)
{
    /* Against the latest stage that has a date: older records may lack some. */
    for (int s = (int)a->f->stage; s >= 0; s--) {
        int32_t prev = a->f->stage_date[s];
        if (prev == CS_DATE_NONE)
            continue;
        if (a->on < prev)
            return cs_errf(err, errlen, CS_ERULE,
                           _("the date %s is before %s, when the candidate reached the stage "
                             "'%s'; a stage cannot come before the one it follows"),
                           cs_date_format_vi(a->on, a->d1), cs_date_format_vi(prev, a->d2),
                           stage_label((enum cs_stage)s));
        break;
    }
    return 0;
}

static int
check_helper(struct advance *a, char *err, size_t errlen)
{
    if (!a->f->helper_assigned)
        return cs_errf(err, errlen, CS_ERULE, "%s",
                       _("no helper is assigned; choose an official member to help the "
                         "candidate first"));
    return 0;
}

/*
 * "18 to 60 years" (Charter: từ đủ 18 tuổi đến 60 tuổi) is read as: from
 * the 18th birthday up to the day before the 61st, that is while the person
 * is 60 years and some months old. In whole months: 216 <= age < 732.
 */
static int
check_age(struct advance *a, char *err, size_t errlen)
{
    int32_t birth = a->f->birth;
    if (birth == CS_DATE_NONE)
        return cs_errf(err, errlen, CS_ERULE, "%s",
                       _("the birth date is not recorded; the age rule needs it"));
    if (birth > a->on)
        return cs_errf(err, errlen, CS_ERULE, _("the birth date %s is after %s"),
                       cs_date_format_vi(birth, a->d1), cs_date_format_vi(a->on, a->d2));
    int months = cs_date_months_between(birth, a->on);
    if (months >= AGE_MIN_MONTHS && months < AGE_LIMIT_MONTHS)
        return 0;
    /*
     * Plurals call dngettext() by name: xgettext knows it by default but does
     * not expand macros, so a wrapper would hide the strings from `make pot`.
     */
    return cs_errf(
        err, errlen, CS_ERULE,
        dngettext(CS_TEXT_DOMAIN,
                  "the candidate is %d years and %d month old on %s; the rule needs 18 to 60 "
                  "years",
                  "the candidate is %d years and %d months old on %s; the rule needs 18 to "
                  "60 years",
                  (unsigned long)(months % 12)),
        months / 12, months % 12, cs_date_format_vi(a->on, a->d1));
}

static int
sponsors_needed(const struct cs_rules_facts *f)
{
    /* A youth union resolution (4-KNĐ) stands in for the second sponsor. */
    return f->youth_union_resolution ? 1 : 2;
}

static int
check_sponsors(struct advance *a, char *err, size_t errlen)
{
    int official = 0;
    for (size_t i = 0; i < CS_ARRAY_SIZE(a->f->sponsor); i++)
        official += a->f->sponsor[i].present && a->f->sponsor[i].official_member;
    if (official >= sponsors_needed(a->f))
        return 0;
    if (a->f->youth_union_resolution)
        return cs_errf(err, errlen, CS_ERULE, "%s",
                       _("no sponsor is an official member; the rule needs one official member "
                         "besides the youth union resolution"));
    return cs_errf(
        err, errlen, CS_ERULE,
        dngettext(CS_TEXT_DOMAIN,
                  "%d sponsor is an official member; the rule needs 2, or 1 with a youth "
                  "union resolution",
                  "%d sponsors are official members; the rule needs 2, or 1 with a youth "
                  "union resolution",
                  (unsigned long)official),
        official);
}

/*
 * Sponsors must have worked or lived with the candidate for 12 months. Only
 * a recorded shortfall fails: the months are often not written down, and a
 * shortage of sponsors as such is the "sponsors" rule's to report.
 */
static int
check_sponsor_months(struct advance *a, char *err, size_t errlen)
{
    int qualified = 0, first_short = -1;
    for (size_t i = 0; i < CS_ARRAY_SIZE(a->f->sponsor); i++) {
        const struct cs_rules_sponsor *s = &a->f->sponsor[i];
        if (!s->present || !s->official_member)
            continue;
        if (s->months_known >= 0 && s->months_known < SPONSOR_MONTHS) {
            if (first_short < 0)
                first_short = (int)i;
        } else {
            qualified++;
        }
    }
    if (first_short < 0 || qualified >= sponsors_needed(a->f))
        return 0;
    int m = a->f->sponsor[first_short].months_known;
    return cs_errf(
        err, errlen, CS_ERULE,
        dngettext(CS_TEXT_DOMAIN,
                  "sponsor %d has known the candidate for %d month; the rule needs 12 months",
                  "sponsor %d has known the candidate for %d months; the rule needs 12 months",
                  (unsigned long)m),
        first_short + 1, m);
}

/* Younger than 60 months on the day of the cell resolution. */
static int
check_class_certificate(struct advance *a, char *err, size_t errlen)
{
    int32_t cert = a->f->class_certificate;
    if (cert == CS_DATE_NONE)
        return cs_errf(err, errlen, CS_ERULE, "%s",
                       _("no awareness class certificate date is recorded"));
    if (cert > a->on)
        return cs_errf(err, errlen, CS_ERULE,
                       _("the awareness class certificate date %s is after the cell resolution "
                         "on %s"),
                       cs_date_format_vi(cert, a->d1), cs_date_format_vi(a->on, a->d2));
    int months = cs_date_months_between(cert, a->on);
    if (months < CERTIFICATE_MONTHS)
        return 0;
    return cs_errf(err, errlen, CS_ERULE,
                   _("the awareness class certificate of %s is %d months old on %s; it must be "
                     "younger than 60 months"),
                   cs_date_format_vi(cert, a->d1), months, cs_date_format_vi(a->on, a->d2));
}

static int
check_ceremony_deadline(struct advance *a, char *err, size_t errlen)
{
    int32_t decision = a->f->stage_date[CS_STAGE_DECISION];
    if (decision == CS_DATE_NONE)
        return cs_errf(err, errlen, CS_ERULE, "%s",
                       _("the admission decision date is not recorded; the ceremony deadline "
                         "counts from it"));
    if (a->on <= decision)
        return cs_errf(err, errlen, CS_ERULE,
                       _("the ceremony on %s must come after the admission decision of %s"),
                       cs_date_format_vi(a->on, a->d1), cs_date_format_vi(decision, a->d2));
    int32_t last = cs_date_add_working_days(a->h, decision, CEREMONY_WORKDAYS);
    if (a->on <= last)
        return 0;
    return cs_errf(err, errlen, CS_ERULE,
                   _("the ceremony on %s is more than 30 working days after the admission "
                     "decision of %s; the last day was %s"),
                   cs_date_format_vi(a->on, a->d1), cs_date_format_vi(decision, a->d2),
                   cs_date_format_vi(last, a->d3));
}

static int
need_ceremony(struct advance *a, int32_t *ceremony, char *err, size_t errlen)
{
    *ceremony = a->f->stage_date[CS_STAGE_CEREMONY];
    if (*ceremony == CS_DATE_NONE)
        return cs_errf(err, errlen, CS_ERULE, "%s",
                       _("the ceremony date is not recorded; probation counts from it"));
    return 0;
}

/* Probation is 12 months from the ceremony; official membership starts at its end. */
static int
check_probation(struct advance *a, char *err, size_t errlen)
{
    int32_t ceremony;
    int ret = need_ceremony(a, &ceremony, err, errlen);
    if (ret < 0)
        return ret;
    int32_t end = cs_date_add_months(ceremony, PROBATION_MONTHS);
    if (a->on >= end)
        return 0;
    return cs_errf(err, errlen, CS_ERULE,
                   _("probation ends on %s, 12 months after the ceremony of %s; %s is too early"),
                   cs_date_format_vi(end, a->d1), cs_date_format_vi(ceremony, a->d2),
                   cs_date_format_vi(a->on, a->d3));
}

static int
check_conversion_deadline(struct advance *a, char *err, size_t errlen)
{
    int32_t ceremony;
    int ret = need_ceremony(a, &ceremony, err, errlen);
    if (ret < 0)
        return ret;
    int32_t end = cs_date_add_months(ceremony, PROBATION_MONTHS);
    int32_t last = cs_date_add_working_days(a->h, end, CONVERSION_WORKDAYS);
    if (a->on <= last)
        return 0;
    return cs_errf(err, errlen, CS_ERULE,
                   _("%s is more than 30 working days after probation ended on %s; the last day "
                     "was %s"),
                   cs_date_format_vi(a->on, a->d1), cs_date_format_vi(end, a->d2),
                   cs_date_format_vi(last, a->d3));
}

#define TO(s)  (1u << CS_STAGE_##s)
#define TO_ALL ((1u << (CS_STAGE_WITHDRAWN + 1)) - 1)

/* In the order they are checked; the first failure is the one reported. */
static const struct {
    enum cs_rule rule;
    unsigned targets; /* TO() bits of the stages the rule guards */
    int (*check)(struct advance *a, char *err, size_t errlen);
} rule_table[] = {
    {CS_RULE_ORDER, TO_ALL, check_order},
    {CS_RULE_HELPER, TO(HELPER), check_helper},
    {CS_RULE_AGE, TO(CELL), check_age},
    {CS_RULE_SPONSORS, TO(CELL), check_sponsors},
    {CS_RULE_SPONSOR_MONTHS, TO(CELL), check_sponsor_months},
    {CS_RULE_CLASS_CERTIFICATE, TO(CELL), check_class_certificate},
    {CS_RULE_CEREMONY_DEADLINE, TO(CEREMONY), check_ceremony_deadline},
    {CS_RULE_PROBATION, TO(OFFICIAL), check_probation},
    {CS_RULE_CONVERSION_DEADLINE, TO(OFFICIAL), check_conversion_deadline},
};

/* CS_ESTAGE unless target may follow the current stage. */
static int
check_stage(const struct cs_rules_facts *f, enum cs_stage target, char *err, size_t errlen)
{
    if (f->stage == CS_STAGE_WITHDRAWN)
        return cs_errf(err, errlen, CS_ESTAGE, "%s",
                       _("the candidate has withdrawn; no stage can follow"));
    if (f->stage == CS_STAGE_OFFICIAL)
        return cs_errf(err, errlen, CS_ESTAGE, "%s",
                       _("the candidate is already an official member; no stage can follow"));
    if (target == CS_STAGE_WITHDRAWN || target == f->stage + 1)
        return 0;
    return cs_errf(err, errlen, CS_ESTAGE,
                   _("the candidate is at the stage '%s'; the next stage is '%s', not '%s'"),
                   stage_label(f->stage), stage_label(f->stage + 1), stage_label(target));
}

int
cs_rules_check_advance(const struct cs_rules_facts *f, enum cs_stage target, int32_t on,
                       const struct cs_date_holidays *h, unsigned waived, const char **rule,
                       char *err, size_t errlen)
{
    int ret = CS_EINVAL;
    struct advance a = {.f = f, .h = h, .target = target, .on = on};

    if (rule != NULL)
        *rule = NULL;
    if (f == NULL || (unsigned)target > CS_STAGE_WITHDRAWN) {
        ret = cs_errf(err, errlen, CS_EINVAL, "%s", _("no such stage"));
        goto out;
    }
    if (!in_range(on)) {
        ret = cs_errf(err, errlen, CS_EINVAL, _("the date must be in the years %d to %d"),
                      CS_DATE_YEAR_MIN, CS_DATE_YEAR_MAX);
        goto out;
    }
    if (!facts_valid(f)) {
        ret = cs_errf(err, errlen, CS_EINVAL, "%s",
                      _("the candidate's record has a stage or date out of range"));
        goto out;
    }
    ret = check_stage(f, target, err, errlen);
    if (ret < 0)
        goto out;
    for (size_t i = 0; i < CS_ARRAY_SIZE(rule_table); i++) {
        if (!(rule_table[i].targets & (1u << target)) ||
            (waived & CS_RULE_MASK(rule_table[i].rule)))
            continue;
        ret = rule_table[i].check(&a, err, errlen);
        if (ret < 0) {
            if (rule != NULL)
                *rule = rule_codes[rule_table[i].rule];
            goto out;
        }
    }
    ret = 0;
out:
    return ret;
}

int
cs_rules_undo_stage(const struct cs_rules_facts *f)
{
    if (f->stage == CS_STAGE_IDENTIFIED || (unsigned)f->stage > CS_STAGE_WITHDRAWN)
        return -1;
    if (f->stage != CS_STAGE_WITHDRAWN)
        return (int)f->stage - 1;
    for (int s = CS_STAGE__COUNT - 1; s > CS_STAGE_IDENTIFIED; s--)
        if (f->stage_date[s] != CS_DATE_NONE)
            return s;
    return CS_STAGE_IDENTIFIED;
}

int
cs_rules_check_inputs(enum cs_stage target, unsigned given, const char **field, char *err,
                      size_t errlen)
{
    static const struct {
        unsigned bit;
        enum cs_stage stage;
        const char *field;
        const char *what; /* N_() */
    } inputs[] = {
        {CS_STEP_HELPER, CS_STAGE_HELPER, "helper", N_("the helper")},
        {CS_STEP_SPONSOR1, CS_STAGE_CELL, "sponsor1", N_("the sponsor")},
        {CS_STEP_SPONSOR2, CS_STAGE_CELL, "sponsor2", N_("the second sponsor")},
        {CS_STEP_YOUTH, CS_STAGE_CELL, "youth_union_resolution_on",
         N_("the youth union resolution")},
    };
    int ret = 0;

    if (field != NULL)
        *field = NULL;
    if ((unsigned)target > CS_STAGE_WITHDRAWN)
        return cs_errf(err, errlen, CS_EINVAL, "%s", _("no such stage"));
    for (size_t i = 0; i < CS_ARRAY_SIZE(inputs); i++) {
        if (!(given & inputs[i].bit) || inputs[i].stage == target)
            continue;
        if (field != NULL)
            *field = inputs[i].field;
        ret = cs_errf(err, errlen, CS_EINVAL, _("%s is recorded at the step '%s', not at '%s'"),
                      _(inputs[i].what), stage_label(inputs[i].stage), stage_label(target));
        break;
    }
    return ret;
}

/* ---- Due list ---- */

struct due_list {
    struct cs_rules_due item[CS_RULES_DUE_MAX];
    size_t n;
    int32_t today;
};

/* Inserts in due-date order; the list is tiny. */
static void
due_add(struct due_list *l, const char *kind, int32_t due)
{
    size_t i = l->n++;
    while (i > 0 && l->item[i - 1].due > due) {
        l->item[i] = l->item[i - 1];
        i--;
    }
    l->item[i] = (struct cs_rules_due){kind, due, (int)(due - l->today)};
}

int
cs_rules_due(const struct cs_rules_facts *f, int32_t today, const struct cs_date_holidays *h,
             struct cs_rules_due *out, size_t max)
{
    int ret = CS_EINVAL;
    struct due_list l = {.n = 0, .today = today};

    if (f == NULL || (out == NULL && max > 0) || !in_range(today) || !facts_valid(f))
        goto out;

    const int32_t *sd = f->stage_date;
    switch (f->stage) {
    case CS_STAGE_IDENTIFIED:
    case CS_STAGE_HELPER:
    case CS_STAGE_CLASS:
    case CS_STAGE_APPLIED:
    case CS_STAGE_VERIFIED:
        /* The certificate must still be valid on the day the cell decides. */
        if (f->class_certificate != CS_DATE_NONE)
            due_add(&l, "certificate_expiry",
                    cs_date_add_months(f->class_certificate, CERTIFICATE_MONTHS));
        break;
    case CS_STAGE_CELL:
    case CS_STAGE_GRASSROOTS: {
        /* The decision is due 60 working days from the cell's resolution. */
        int32_t from =
            sd[CS_STAGE_CELL] != CS_DATE_NONE ? sd[CS_STAGE_CELL] : sd[CS_STAGE_GRASSROOTS];
        if (from != CS_DATE_NONE)
            due_add(&l, "decision", cs_date_add_working_days(h, from, DECISION_WORKDAYS));
        break;
    }
    case CS_STAGE_DECISION:
        if (sd[CS_STAGE_DECISION] != CS_DATE_NONE)
            due_add(&l, "ceremony",
                    cs_date_add_working_days(h, sd[CS_STAGE_DECISION], CEREMONY_WORKDAYS));
        break;
    case CS_STAGE_CEREMONY:
        if (sd[CS_STAGE_CEREMONY] != CS_DATE_NONE) {
            int32_t end = cs_date_add_months(sd[CS_STAGE_CEREMONY], PROBATION_MONTHS);
            due_add(&l, "probation_end", end);
            due_add(&l, "conversion", cs_date_add_working_days(h, end, CONVERSION_WORKDAYS));
        }
        break;
    case CS_STAGE_OFFICIAL:
    case CS_STAGE_WITHDRAWN:
        break;
    }
    for (size_t i = 0; i < l.n && i < max; i++)
        out[i] = l.item[i];
    ret = (int)l.n;
out:
    return ret;
}
