/* SPDX-License-Identifier: MIT */
/*
 * The Vietnamese lunar calendar (âm lịch), computed rather than tabled, for
 * the holidays that follow it: Tết (the first days of the first month) and
 * the Hùng Kings' day (the 10th day of the 3rd month).
 *
 * The rules are the published ones of the Vietnamese calendar: a month
 * starts on the day of a new moon; the 11th month is the one that holds the
 * winter solstice; a year from one 11th month to the next with 13 months
 * repeats (as a leap month) its first month that holds no major solar term
 * (trung khí, a multiple of 30 degrees of the sun's longitude). Days are
 * counted on the meridian of UTC+7, Vietnam's time since 1967; on UTC+8 the
 * same rules give the Chinese calendar, which is why Tết falls on another
 * day in some years (1985, 2007, 2030). Checked against published Tết dates
 * for 1900-2100; computed for CS_DATE_YEAR_MIN..CS_DATE_YEAR_MAX.
 */
#ifndef CELLSYNC_LUNAR_H
#define CELLSYNC_LUNAR_H

#include <stdbool.h>
#include <stdint.h>

/* Vietnam's time zone, in minutes east of UTC. */
#define CS_LUNAR_TZ_VIETNAM (7 * 60)

struct cs_lunar_date {
    int y;     /* the lunar year, numbered as the Gregorian year it mostly lies in */
    int m, d;  /* month 1..12, day 1..30 */
    bool leap; /* the repeated (leap) month, which follows the month of the same number */
};

/*
 * The lunar date of a day number (cellsync/date.h) in Vietnam. CS_EINVAL for
 * a day outside the years CS_DATE_YEAR_MIN..CS_DATE_YEAR_MAX.
 */
int cs_lunar_from_day(int32_t day, struct cs_lunar_date *out);

/*
 * The day number of a lunar date in Vietnam. CS_EINVAL when there is no such
 * day: a month or day out of range, a day 30 in a month of 29 days, a leap
 * flag on a month that is not repeated that year, or a year outside
 * CS_DATE_YEAR_MIN..CS_DATE_YEAR_MAX.
 */
int cs_lunar_to_day(const struct cs_lunar_date *l, int32_t *out);

/*
 * The same on another meridian, tz minutes east of UTC (480 gives the
 * Chinese calendar): for comparing the two calendars, and for tests.
 */
int cs_lunar_from_day_tz(int32_t day, int tz, struct cs_lunar_date *out);
int cs_lunar_to_day_tz(const struct cs_lunar_date *l, int tz, int32_t *out);

#endif
