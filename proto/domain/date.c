/* SPDX-License-Identifier: MIT */
/*
 * The calendar (cellsync/date.h): day-number dates, reading and writing
 * them, and working days over a holiday set, for the admission rules
 * (rules.c) and everything else that shows or compares a date. The holiday
 * file is the only thing read here; the lunar holidays come from lunar.c. Day numbers use Howard
 * Hinnant's days_from_civil and civil_from_days, written out below, with 64-bit intermediates so no
 * input can overflow them.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cellsync/date.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/lunar.h"
#include "cellsync/util.h"
#include "internal.h"

/* A holiday file is a few dozen lines; a megabyte is clearly something else. */
#define HOLIDAY_FILE_MAX (1u << 20)

/* A date is at most 10 characters; a longer line is refused before it is copied. */
#define DATE_TEXT_MAX 32

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
                      _("'%.40s' is not a date; write it as DD/MM/YYYY (or YYYY-MM-DD)"), s);
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

/* A day as ISO text (YYYY-MM-DD) or as people write it (DD/MM/YYYY); "-" for none. */
static const char *
format(int32_t day, int vi, char buf[CS_DATE_BUFSZ])
{
    struct cs_date c = cs_date_to_civil(day);
    /* The casts tell the compiler the fields fit, so it sees no truncation. */
    unsigned y = (unsigned)c.y % 10000u, m = (unsigned)c.m % 100u, d = (unsigned)c.d % 100u;
    if (day == CS_DATE_NONE || c.y < 0 || c.y > 9999)
        memcpy(buf, "-", 2);
    else if (vi)
        snprintf(buf, CS_DATE_BUFSZ, "%02u/%02u/%04u", d, m, y);
    else
        snprintf(buf, CS_DATE_BUFSZ, "%04u-%02u-%02u", y, m, d);
    return buf;
}

const char *
cs_date_format(int32_t day, char buf[CS_DATE_BUFSZ])
{
    return format(day, 0, buf);
}

const char *
cs_date_format_vi(int32_t day, char buf[CS_DATE_BUFSZ])
{
    return format(day, 1, buf);
}

const char *
cs_date_text_vi(const char *stored, char *buf, size_t len)
{
    int32_t day;
    /* Parsed before buf is written: stored may be buf itself. */
    if (len >= CS_DATE_BUFSZ && stored != NULL && strlen(stored) == CS_DATE_BUFSZ - 1 &&
        stored[4] == '-' && cs_date_parse(stored, &day, NULL, 0) == 0)
        return cs_date_format_vi(day, buf);
    if (len > 0 && stored != buf)
        snprintf(buf, len, "%s", stored != NULL ? stored : "");
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

/* Two sorted lists without duplicates: the days off added, and the working days. */
struct day_list {
    int32_t *days;
    size_t n, cap;
};

struct cs_date_holidays {
    struct day_list off, work;
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
    free(h->off.days);
    free(h->work.days);
    free(h);
}

static int
reserve(struct day_list *l, size_t more)
{
    if (more > SIZE_MAX - l->n)
        return CS_ENOMEM;
    return cs_grow((void **)&l->days, &l->cap, l->n + more, sizeof(*l->days), 32);
}

static int
cmp_day(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Sorts and drops duplicates after a batch of appends. */
static void
normalise(struct day_list *l)
{
    if (l->n == 0)
        return;
    qsort(l->days, l->n, sizeof(*l->days), cmp_day);
    size_t w = 1;
    for (size_t r = 1; r < l->n; r++)
        if (l->days[r] != l->days[w - 1])
            l->days[w++] = l->days[r];
    l->n = w;
}

static bool
list_has(const struct day_list *l, int32_t day)
{
    return l->n > 0 && bsearch(&day, l->days, l->n, sizeof(*l->days), cmp_day) != NULL;
}

static int
list_add(struct day_list *l, int32_t day)
{
    if (day == CS_DATE_NONE)
        return CS_EINVAL;
    int ret = reserve(l, 1);
    if (ret < 0)
        return ret;
    l->days[l->n++] = day;
    normalise(l);
    return 0;
}

int
cs_date_holidays_add(struct cs_date_holidays *h, int32_t day)
{
    return h == NULL ? CS_EINVAL : list_add(&h->off, day);
}

int
cs_date_holidays_add_working(struct cs_date_holidays *h, int32_t day)
{
    return h == NULL ? CS_EINVAL : list_add(&h->work, day);
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
    struct day_list *l = &h->off;
    size_t keep = l->n;
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
            l->n = keep;
            ret = cs_errf(err, errlen, CS_EINVAL,
                          _("cannot load holidays from '%s': line %u: '%.*s' is not a date; "
                            "write it as DD/MM/YYYY (or YYYY-MM-DD)"),
                          path, line, (int)(n > 40 ? 40 : n), s);
            goto out;
        }
        ret = reserve(l, 1);
        if (ret < 0) {
            l->n = keep;
            ret =
                cs_errf(err, errlen, ret, _("cannot load holidays from '%s': out of memory"), path);
            goto out;
        }
        l->days[l->n++] = day;
    }
    normalise(l);
    ret = 0;
out:
    free(buf);
    return ret;
}

/*
 * The first day of Tết and the Hùng Kings' day of each year, computed once
 * per year on first use: a working-day count asks about every day it
 * crosses, and a lunar conversion takes some microseconds. The flag of a
 * year is set (release) after its days, so a reader that sees it set
 * (acquire) sees them; the mutex only keeps two writers apart.
 */
#define LUNAR_YEARS (CS_DATE_YEAR_MAX - CS_DATE_YEAR_MIN + 1)
static struct {
    int32_t tet, hung; /* CS_DATE_NONE if the year has none (cannot happen in range) */
} lunar_days[LUNAR_YEARS];
static atomic_uchar lunar_done[LUNAR_YEARS];
static pthread_mutex_t lunar_lock = PTHREAD_MUTEX_INITIALIZER;

/* Tết's first day and the Hùng Kings' day of year y; false outside the years computed. */
static bool
lunar_holidays(int y, int32_t *tet, int32_t *hung)
{
    if (y < CS_DATE_YEAR_MIN || y > CS_DATE_YEAR_MAX)
        return false;
    size_t i = (size_t)(y - CS_DATE_YEAR_MIN);
    if (!atomic_load_explicit(&lunar_done[i], memory_order_acquire)) {
        pthread_mutex_lock(&lunar_lock);
        if (!atomic_load_explicit(&lunar_done[i], memory_order_relaxed)) {
            struct cs_lunar_date first = {y, 1, 1, false}, hung_day = {y, 3, 10, false};
            if (cs_lunar_to_day(&first, &lunar_days[i].tet) != 0)
                lunar_days[i].tet = CS_DATE_NONE;
            if (cs_lunar_to_day(&hung_day, &lunar_days[i].hung) != 0)
                lunar_days[i].hung = CS_DATE_NONE;
            atomic_store_explicit(&lunar_done[i], 1, memory_order_release);
        }
        pthread_mutex_unlock(&lunar_lock);
    }
    *tet = lunar_days[i].tet;
    *hung = lunar_days[i].hung;
    return true;
}

const char *
cs_date_builtin_holiday(int32_t day)
{
    /* National Day's second day is 1 September unless the year's decision says otherwise. */
    static const struct {
        int m, d;
        const char *name;
    } fixed[] = {
        {1, 1, N_("New Year's Day")},
        {4, 30, N_("Reunification Day")},
        {5, 1, N_("International Labour Day")},
        {9, 1, N_("National Day (second day)")},
        {9, 2, N_("National Day")},
    };
    struct cs_date c = cs_date_to_civil(day);
    for (size_t i = 0; i < CS_ARRAY_SIZE(fixed); i++)
        if (c.m == fixed[i].m && c.d == fixed[i].d)
            return fixed[i].name;
    int32_t tet, hung;
    /* Tết's five days never leave the Gregorian year: the first is after 20 January. */
    if (!lunar_holidays(c.y, &tet, &hung))
        return NULL;
    if (tet != CS_DATE_NONE && day == tet - 1)
        return N_("Tết (lunar new year's eve)");
    if (tet != CS_DATE_NONE && day >= tet && day <= tet + 3)
        return N_("Tết (lunar new year)");
    if (hung != CS_DATE_NONE && day == hung)
        return N_("Hùng Kings' Commemoration Day");
    return NULL;
}

bool
cs_date_is_holiday(const struct cs_date_holidays *h, int32_t day)
{
    if (h != NULL && list_has(&h->work, day))
        return false;
    return cs_date_builtin_holiday(day) != NULL || (h != NULL && list_has(&h->off, day));
}

bool
cs_date_is_working_day(const struct cs_date_holidays *h, int32_t day)
{
    if (h != NULL && list_has(&h->work, day))
        return true;
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
