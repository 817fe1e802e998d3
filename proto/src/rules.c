/* SPDX-License-Identifier: MIT */
/*
 * The admission-procedure rules (cellsync/rules.h): day-number dates,
 * working days over a holiday set, the checks made before a candidate moves
 * to the next stage, and the due list. Pure functions over facts the caller
 * reads from the database, so client and hub agree; the holiday file is the
 * only thing read here. Day numbers use Howard Hinnant's days_from_civil and
 * civil_from_days, written out below, with 64-bit intermediates so no input
 * can overflow them.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/rules.h"
#include "internal.h"

/* A holiday file is a few dozen lines; a megabyte is clearly something else. */
#define HOLIDAY_FILE_MAX (1u << 20)

/* A date is at most 10 characters; a longer line is refused before it is copied. */
#define DATE_TEXT_MAX 32

/* Rules counted in months or working days (DESIGN.md, domain schema). */
#define AGE_MIN_MONTHS      (18 * 12)
#define AGE_LIMIT_MONTHS    (61 * 12)
#define CERTIFICATE_MONTHS  60
#define SPONSOR_MONTHS      12
#define PROBATION_MONTHS    12
#define DECISION_WORKDAYS   60
#define CEREMONY_WORKDAYS   30
#define CONVERSION_WORKDAYS 30

/* ---- Dates ---- */

int32_t
cs_date_from_civil(struct cs_date c)
{
    int64_t y = c.y - (c.m <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (c.m > 2 ? c.m - 3 : c.m + 9) + 2) / 5 + c.d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

struct cs_date
cs_date_to_civil(int32_t day)
{
    /* Shift the epoch to 0000-03-01 so leap days fall at the end of a year. */
    int64_t z = (int64_t)day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    struct cs_date c;
    c.d = (int)(doy - (153 * mp + 2) / 5 + 1);
    c.m = (int)(mp < 10 ? mp + 3 : mp - 9);
    c.y = (int)(yoe + era * 400 + (c.m <= 2));
    return c;
}

static bool
is_leap(int y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

int
cs_date_days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

int
cs_date_weekday(int32_t day)
{
    /* 1970-01-01 was a Thursday (4). */
    int w = (int)(((int64_t)day % 7 + 7) % 7);
    return (w + 3) % 7 + 1;
}

/* Reads `min` to `max` digits; returns how many, or 0 if fewer than `min`. */
static int
read_digits(const char *s, int min, int max, int *val)
{
    int n = 0, v = 0;
    while (n < max && s[n] >= '0' && s[n] <= '9') {
        v = v * 10 + (s[n] - '0');
        n++;
    }
    if (n < min)
        return 0;
    *val = v;
    return n;
}

/* Recognises either form; no calendar checks. */
static bool
parse_form(const char *s, struct cs_date *c)
{
    int n;

    if ((n = read_digits(s, 4, 4, &c->y)) != 0 && s[n] == '-') {
        s += n + 1;
        if (read_digits(s, 2, 2, &c->m) == 0 || s[2] != '-')
            return false;
        s += 3;
        if (read_digits(s, 2, 2, &c->d) == 0 || s[2] != '\0')
            return false;
        return true;
    }
    /* DD/MM/YYYY; one-digit day and month as people often write them. */
    if ((n = read_digits(s, 1, 2, &c->d)) == 0 || s[n] != '/')
        return false;
    s += n + 1;
    if ((n = read_digits(s, 1, 2, &c->m)) == 0 || s[n] != '/')
        return false;
    s += n + 1;
    if (read_digits(s, 4, 4, &c->y) == 0 || s[4] != '\0')
        return false;
    return true;
}

int
cs_date_parse(const char *s, int32_t *out, char *err, size_t errlen)
{
    int ret = CS_EINVAL;
    struct cs_date c;

    *out = CS_DATE_NONE;
    if (s == NULL || *s == '\0') {
        ret = cs_errf(err, errlen, CS_EINVAL, "%s", _("no date given"));
        goto out;
    }
    if (!parse_form(s, &c)) {
        ret = cs_errf(err, errlen, CS_EINVAL,
                      _("'%.40s' is not a date; write it as YYYY-MM-DD or DD/MM/YYYY"), s);
        goto out;
    }
    if (c.m < 1 || c.m > 12 || c.d < 1 || c.d > cs_date_days_in_month(c.y, c.m)) {
        ret = cs_errf(err, errlen, CS_EINVAL, _("'%s' is not a day of the calendar"), s);
        goto out;
    }
    if (c.y < CS_DATE_YEAR_MIN || c.y > CS_DATE_YEAR_MAX) {
        ret = cs_errf(err, errlen, CS_EINVAL, _("'%s' is outside the years %d to %d"), s,
                      CS_DATE_YEAR_MIN, CS_DATE_YEAR_MAX);
        goto out;
    }
    *out = cs_date_from_civil(c);
    ret = 0;
out:
    return ret;
}

const char *
cs_date_format(int32_t day, char buf[CS_DATE_BUFSZ])
{
    struct cs_date c = cs_date_to_civil(day);
    if (day == CS_DATE_NONE || c.y < 0 || c.y > 9999)
        memcpy(buf, "-", 2);
    else
        /* The casts tell the compiler the fields fit, so it sees no truncation. */
        snprintf(buf, CS_DATE_BUFSZ, "%04u-%02u-%02u", (unsigned)c.y % 10000u, (unsigned)c.m % 100u,
                 (unsigned)c.d % 100u);
    return buf;
}

int
cs_date_today(int32_t *out, char *err, size_t errlen)
{
    int ret;
    const char *env = getenv("CELLSYNC_TODAY");

    *out = CS_DATE_NONE;
    if (env != NULL && *env != '\0') {
        char why[128];
        ret = cs_date_parse(env, out, why, sizeof(why));
        if (ret < 0)
            ret = cs_errf(err, errlen, ret, _("cannot use CELLSYNC_TODAY: %s"), why);
        goto out;
    }

    time_t t = time(NULL);
    struct tm tm;
    if (t == (time_t)-1 || localtime_r(&t, &tm) == NULL) {
        ret = cs_errf(err, errlen, CS_ECLOCK, "%s", _("cannot read today's date from the clock"));
        goto out;
    }
    *out = cs_date_from_civil((struct cs_date){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday});
    ret = 0;
out:
    return ret;
}

int32_t
cs_date_add_months(int32_t day, int n)
{
    struct cs_date c = cs_date_to_civil(day);
    int64_t month = (int64_t)c.y * 12 + (c.m - 1) + n;
    int64_t y = month >= 0 ? month / 12 : -((-month + 11) / 12);
    c.y = (int)y;
    c.m = (int)(month - y * 12) + 1;
    int last = cs_date_days_in_month(c.y, c.m);
    if (c.d > last)
        c.d = last;
    return cs_date_from_civil(c);
}

int
cs_date_months_between(int32_t from, int32_t to)
{
    if (to < from)
        return -cs_date_months_between(to, from);
    struct cs_date a = cs_date_to_civil(from), b = cs_date_to_civil(to);
    int n = (b.y - a.y) * 12 + (b.m - a.m);
    /* add_months(from, n) lands in to's month; one step back is in the month before. */
    if (cs_date_add_months(from, n) > to)
        n--;
    return n;
}

/* ---- Holidays and working days ---- */

struct cs_date_holidays {
    int32_t *days; /* sorted, no duplicates */
    size_t n, cap;
};

int
cs_date_holidays_new(struct cs_date_holidays **out)
{
    *out = calloc(1, sizeof(**out));
    return *out == NULL ? CS_ENOMEM : 0;
}

void
cs_date_holidays_free(struct cs_date_holidays *h)
{
    if (h == NULL)
        return;
    free(h->days);
    free(h);
}

static int
reserve(struct cs_date_holidays *h, size_t more)
{
    if (h->cap - h->n >= more)
        return 0;
    size_t cap = h->cap ? h->cap : 32;
    while (cap - h->n < more) {
        if (cap > SIZE_MAX / 2 / sizeof(*h->days))
            return CS_ENOMEM;
        cap *= 2;
    }
    int32_t *p = realloc(h->days, cap * sizeof(*p));
    if (p == NULL)
        return CS_ENOMEM;
    h->days = p;
    h->cap = cap;
    return 0;
}

static int
cmp_day(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Sorts and drops duplicates after a batch of appends. */
static void
normalise(struct cs_date_holidays *h)
{
    if (h->n == 0)
        return;
    qsort(h->days, h->n, sizeof(*h->days), cmp_day);
    size_t w = 1;
    for (size_t r = 1; r < h->n; r++)
        if (h->days[r] != h->days[w - 1])
            h->days[w++] = h->days[r];
    h->n = w;
}

int
cs_date_holidays_add(struct cs_date_holidays *h, int32_t day)
{
    if (h == NULL || day == CS_DATE_NONE)
        return CS_EINVAL;
    int ret = reserve(h, 1);
    if (ret < 0)
        return ret;
    h->days[h->n++] = day;
    normalise(h);
    return 0;
}

static bool
is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

int
cs_date_holidays_load(struct cs_date_holidays *h, const char *path, char *err, size_t errlen)
{
    int ret = CS_EINVAL;
    uint8_t *buf = NULL;
    size_t len = 0;

    if (h == NULL || path == NULL) {
        ret = cs_errf(err, errlen, CS_EINVAL, "%s", _("no holiday file given"));
        goto out;
    }
    ret = cs__read_file(path, HOLIDAY_FILE_MAX, &buf, &len, err, errlen);
    if (ret < 0)
        goto out;

    /*
     * Append after the current dates and only keep them once every line has
     * parsed, so a bad file leaves the set as it was.
     */
    size_t keep = h->n;
    const char *p = (const char *)buf, *end = p + len;
    /* Windows Notepad starts UTF-8 files with a byte order mark. */
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    for (unsigned line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p, *e = nl != NULL ? nl : end;
        p = nl != NULL ? nl + 1 : end;

        const char *hash = memchr(s, '#', (size_t)(e - s));
        if (hash != NULL)
            e = hash;
        while (s < e && is_blank(*s))
            s++;
        while (e > s && is_blank(e[-1]))
            e--;
        if (s == e)
            continue;

        char text[DATE_TEXT_MAX];
        size_t n = (size_t)(e - s);
        int32_t day = CS_DATE_NONE;
        /* A NUL inside the line would end the text early and hide junk after it. */
        if (n < sizeof(text) && memchr(s, '\0', n) == NULL) {
            memcpy(text, s, n);
            text[n] = '\0';
            if (cs_date_parse(text, &day, NULL, 0) < 0)
                day = CS_DATE_NONE;
        }
        if (day == CS_DATE_NONE) {
            h->n = keep;
            ret = cs_errf(err, errlen, CS_EINVAL,
                          _("cannot load holidays from '%s': line %u: '%.*s' is not a date; "
                            "write it as YYYY-MM-DD or DD/MM/YYYY"),
                          path, line, (int)(n > 40 ? 40 : n), s);
            goto out;
        }
        ret = reserve(h, 1);
        if (ret < 0) {
            h->n = keep;
            ret =
                cs_errf(err, errlen, ret, _("cannot load holidays from '%s': out of memory"), path);
            goto out;
        }
        h->days[h->n++] = day;
    }
    normalise(h);
    ret = 0;
out:
    free(buf);
    return ret;
}

bool
cs_date_is_holiday(const struct cs_date_holidays *h, int32_t day)
{
    /* New Year, Reunification Day, Labour Day, National Day (two days). */
    static const struct {
        int m, d;
    } fixed[] = {{1, 1}, {4, 30}, {5, 1}, {9, 1}, {9, 2}};

    struct cs_date c = cs_date_to_civil(day);
    for (size_t i = 0; i < CS_ARRAY_SIZE(fixed); i++)
        if (c.m == fixed[i].m && c.d == fixed[i].d)
            return true;
    return h != NULL && h->n > 0 && bsearch(&day, h->days, h->n, sizeof(*h->days), cmp_day) != NULL;
}

bool
cs_date_is_working_day(const struct cs_date_holidays *h, int32_t day)
{
    return cs_date_weekday(day) <= 5 && !cs_date_is_holiday(h, day);
}

int32_t
cs_date_add_working_days(const struct cs_date_holidays *h, int32_t day, int n)
{
    int step = n > 0 ? 1 : -1;
    while (n != 0) {
        day += step;
        if (cs_date_is_working_day(h, day))
            n -= step;
    }
    return day;
}

int
cs_date_working_days_between(const struct cs_date_holidays *h, int32_t from, int32_t to)
{
    /*
     * Each direction leaves out `from` and counts the far end, as
     * cs_date_add_working_days() steps, so the two are inverses even when
     * `from` is a weekend or a holiday.
     */
    int n = 0;
    for (int32_t d = from; d < to;)
        if (cs_date_is_working_day(h, ++d))
            n++;
    for (int32_t d = from; d > to;)
        if (cs_date_is_working_day(h, --d))
            n--;
    return n;
}

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
                           cs_date_format(a->on, a->d1), cs_date_format(prev, a->d2),
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
                       cs_date_format(birth, a->d1), cs_date_format(a->on, a->d2));
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
        months / 12, months % 12, cs_date_format(a->on, a->d1));
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
                       cs_date_format(cert, a->d1), cs_date_format(a->on, a->d2));
    int months = cs_date_months_between(cert, a->on);
    if (months < CERTIFICATE_MONTHS)
        return 0;
    return cs_errf(err, errlen, CS_ERULE,
                   _("the awareness class certificate of %s is %d months old on %s; it must be "
                     "younger than 60 months"),
                   cs_date_format(cert, a->d1), months, cs_date_format(a->on, a->d2));
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
                       cs_date_format(a->on, a->d1), cs_date_format(decision, a->d2));
    int32_t last = cs_date_add_working_days(a->h, decision, CEREMONY_WORKDAYS);
    if (a->on <= last)
        return 0;
    return cs_errf(err, errlen, CS_ERULE,
                   _("the ceremony on %s is more than 30 working days after the admission "
                     "decision of %s; the last day was %s"),
                   cs_date_format(a->on, a->d1), cs_date_format(decision, a->d2),
                   cs_date_format(last, a->d3));
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
                   cs_date_format(end, a->d1), cs_date_format(ceremony, a->d2),
                   cs_date_format(a->on, a->d3));
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
                   cs_date_format(a->on, a->d1), cs_date_format(end, a->d2),
                   cs_date_format(last, a->d3));
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
