/* SPDX-License-Identifier: MIT */
/*
 * The calendar of the admission procedure: dates, the public holidays, and
 * the working days the rules count (cellsync/rules.h). Pure functions; the
 * only I/O is reading a holiday file.
 *
 * Dates are day numbers: days since 1970-01-01 in the proleptic Gregorian
 * calendar, so comparing and subtracting dates is integer arithmetic.
 * Messages written to err are English, translated through gettext, and
 * meant for a cell secretary.
 */
#ifndef CELLSYNC_DATE_H
#define CELLSYNC_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Dates ---- */

/* "Not recorded": below every date the parser accepts. */
#define CS_DATE_NONE INT32_MIN

/* The years cs_date_parse() accepts; anything outside is a typing mistake. */
#define CS_DATE_YEAR_MIN 1900
#define CS_DATE_YEAR_MAX 2200

/* "YYYY-MM-DD" and its NUL. */
#define CS_DATE_BUFSZ 11

struct cs_date {
    int y, m, d; /* m 1..12, d 1..31 */
};

/* The day number of a calendar date; the date must be valid (no checks). */
int32_t cs_date_from_civil(struct cs_date c);
/* The calendar date of a day number. */
struct cs_date cs_date_to_civil(int32_t day);
/* Days in month m (1..12) of year y, 0 for a bad month. */
int cs_date_days_in_month(int y, int m);
/* ISO weekday: 1 = Monday .. 7 = Sunday. */
int cs_date_weekday(int32_t day);

/*
 * Parses "YYYY-MM-DD" (exactly) or "DD/MM/YYYY" as dates are written in
 * Vietnam (day and month may have one digit: "2/9/2025"). The date must exist
 * and its year be CS_DATE_YEAR_MIN..CS_DATE_YEAR_MAX; no spaces or other
 * characters around it. CS_EINVAL with a message otherwise. err may be NULL.
 */
int cs_date_parse(const char *s, int32_t *out, char *err, size_t errlen);

/* Writes "YYYY-MM-DD" into buf and returns buf; "-" for CS_DATE_NONE. */
const char *cs_date_format(int32_t day, char buf[CS_DATE_BUFSZ]);
/*
 * Writes "DD/MM/YYYY", as dates are shown to people in Vietnam, into buf
 * and returns buf; "-" for CS_DATE_NONE. Stored and JSON dates stay ISO.
 */
const char *cs_date_format_vi(int32_t day, char buf[CS_DATE_BUFSZ]);
/*
 * A stored date "YYYY-MM-DD" (a column's text) as cs_date_format_vi()
 * writes it, into buf of len bytes (at least CS_DATE_BUFSZ), which may be
 * stored itself; any other text is copied as it is, so a message can show
 * a column's value without knowing whether it holds a date. Returns buf.
 */
const char *cs_date_text_vi(const char *stored, char *buf, size_t len);

/*
 * Today on the local clock. The environment variable CELLSYNC_TODAY, when
 * set and not empty, overrides it with a date in either cs_date_parse()
 * form, so tests and demonstrations can stand on a chosen day; a bad value
 * is CS_EINVAL rather than a silent fall back to the clock.
 */
int cs_date_today(int32_t *out, char *err, size_t errlen);

/*
 * The same day n months later (n may be negative). A day past the end of the
 * target month is clamped to its last day: 2024-01-31 + 1 = 2024-02-29.
 */
int32_t cs_date_add_months(int32_t day, int n);

/*
 * Whole months from `from` to `to`: the largest n with
 * cs_date_add_months(from, n) <= to, so it agrees with the clamping above
 * (born 2008-03-15: 215 on 2026-03-14, 216 on 2026-03-15). When to < from,
 * minus the whole months from `to` to `from`.
 */
int cs_date_months_between(int32_t from, int32_t to);

/* ---- Holidays and working days ---- */

/*
 * A set of public holidays. The built-in ones are always in it, every year:
 * the days off of the Labour Code 2019, article 112(1):
 *   1 January;
 *   Tết, 5 days: the government names them each year (article 112(3)); by
 *     default the last day of the old lunar year and the first four of the
 *     new one (cellsync/lunar.h);
 *   the Hùng Kings' day, the 10th day of the 3rd lunar month;
 *   30 April; 1 May;
 *   National Day, 2 September and "one day next to it, before or after",
 *     also named each year: by default 1 September, the usual choice.
 * The government's choice each year, the days off in lieu of a holiday on a
 * weekend, and the weekend days worked in exchange for a bridge day are
 * added to a set: as days off (cs_date_holidays_add) and as working days
 * (cs_date_holidays_add_working), which win over a weekend and over a
 * built-in holiday alike. Every function below takes NULL for "the built-in
 * holidays only".
 */
struct cs_date_holidays;

/* OUT: *out, caller frees with cs_date_holidays_free(); NULL on failure. */
int cs_date_holidays_new(struct cs_date_holidays **out);
void cs_date_holidays_free(struct cs_date_holidays *h);

/* Adds one day off; adding a date twice is harmless. */
int cs_date_holidays_add(struct cs_date_holidays *h, int32_t day);
/* Adds one working day (a weekend or a built-in holiday worked); twice is harmless. */
int cs_date_holidays_add_working(struct cs_date_holidays *h, int32_t day);

/*
 * Adds the dates in a text file as days off: one date per line in either
 * cs_date_parse() form, blank lines and `#` comments (whole line or after the
 * date) allowed. A bad line is CS_EINVAL with a message naming the file and
 * the line number, and then nothing from the file is added.
 */
int cs_date_holidays_load(struct cs_date_holidays *h, const char *path, char *err, size_t errlen);

/*
 * The built-in holiday on day, as an N_() name to show through _(), or
 * NULL if day is not one.
 */
const char *cs_date_builtin_holiday(int32_t day);

/* A day off: a built-in or added holiday that is not an added working day. */
bool cs_date_is_holiday(const struct cs_date_holidays *h, int32_t day);
/* An added working day, or Monday to Friday and not a holiday. */
bool cs_date_is_working_day(const struct cs_date_holidays *h, int32_t day);

/*
 * The n-th working day after day (n > 0), before it (n < 0), or day itself
 * (n == 0). "Within 30 working days of X" ends on
 * cs_date_add_working_days(h, X, 30).
 */
int32_t cs_date_add_working_days(const struct cs_date_holidays *h, int32_t day, int n);

/*
 * The working days d with from < d <= to; when to < from, minus the count
 * with to <= d < from. So it is the inverse of the above, even from a
 * weekend: cs_date_working_days_between(h, X, cs_date_add_working_days(h, X, n)) == n.
 */
int cs_date_working_days_between(const struct cs_date_holidays *h, int32_t from, int32_t to);

#endif
