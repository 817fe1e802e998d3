/* SPDX-License-Identifier: MIT */
/*
 * The Vietnamese lunar calendar (cellsync/lunar.h) from two pieces of
 * astronomy, both from Jean Meeus, "Astronomical Algorithms" (2nd ed.): the
 * instants of the mean new moons corrected by the periodic terms of chapter
 * 49 (a minute or so off), and the sun's apparent longitude by the low
 * accuracy method of chapter 25 (0.01 degree, a quarter of an hour). Both
 * work in dynamical time; the difference to universal time (delta T) comes
 * from the polynomials of Espenak and Meeus (NASA, 2006). Only which local
 * day an instant falls on matters here, so these accuracies are ample
 * except for a new moon or a solar term within minutes of midnight.
 *
 * Days are the day numbers of cellsync/date.h; new moons are numbered as
 * Meeus numbers them, k = 0 at the one of 6 January 2000.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "cellsync/date.h"
#include "cellsync/error.h"
#include "cellsync/lunar.h"

#define DEG (M_PI / 180.0)

/* The mean synodic month in days, and the Julian Day of day number 0 at 0h UT. */
#define SYNODIC_MONTH 29.530588861
#define JD_EPOCH      2440587.5

/* Delta T = TT - UT in seconds for a (fractional) year. */
static double
delta_t(double y)
{
    double t;
    if (y < 1900) {
        t = y - 1860;
        return 7.62 + 0.5737 * t - 0.251754 * t * t + 0.01680668 * t * t * t -
               0.0004473624 * pow(t, 4) + pow(t, 5) / 233174;
    }
    if (y < 1920) {
        t = y - 1900;
        return -2.79 + 1.494119 * t - 0.0598939 * t * t + 0.0061966 * t * t * t -
               0.000197 * pow(t, 4);
    }
    if (y < 1941) {
        t = y - 1920;
        return 21.20 + 0.84493 * t - 0.076100 * t * t + 0.0020936 * t * t * t;
    }
    if (y < 1961) {
        t = y - 1950;
        return 29.07 + 0.407 * t - t * t / 233 + t * t * t / 2547;
    }
    if (y < 1986) {
        t = y - 1975;
        return 45.45 + 1.067 * t - t * t / 260 - t * t * t / 718;
    }
    if (y < 2005) {
        t = y - 2000;
        return 63.86 + 0.3345 * t - 0.060374 * t * t + 0.0017275 * t * t * t +
               0.000651814 * pow(t, 4) + 0.00002373599 * pow(t, 5);
    }
    if (y < 2050) {
        t = y - 2000;
        return 62.92 + 0.32217 * t + 0.005589 * t * t;
    }
    double u = (y - 1820) / 100;
    if (y < 2150)
        return -20 + 32 * u * u - 0.5628 * (2150 - y);
    return -20 + 32 * u * u;
}

/* The year of a Julian Day, close enough for delta T. */
static double
year_of(double jd)
{
    return 2000.0 + (jd - 2451545.0) / 365.25;
}

/* The instant of new moon k, as a Julian Day in universal time. */
static double
new_moon_jd(int k)
{
    /* The main terms of the periodic part: coefficient, then the multiples of E, M, M', F. */
    static const struct {
        double c;
        signed char e, m, mp, f;
    } terms[] = {
        {-0.40720, 0, 0, 1, 0},   {0.17241, 1, 1, 0, 0},   {0.01608, 0, 0, 2, 0},
        {0.01039, 0, 0, 0, 2},    {0.00739, 1, -1, 1, 0},  {-0.00514, 1, 1, 1, 0},
        {0.00208, 2, 2, 0, 0},    {-0.00111, 0, 0, 1, -2}, {-0.00057, 0, 0, 1, 2},
        {0.00056, 1, 1, 2, 0},    {-0.00042, 0, 0, 3, 0},  {0.00042, 1, 1, 0, 2},
        {0.00038, 1, 1, 0, -2},   {-0.00024, 1, -1, 2, 0}, {-0.00007, 0, 2, 1, 0},
        {0.00004, 0, 0, 2, -2},   {0.00004, 0, 3, 0, 0},   {0.00003, 0, 1, 1, -2},
        {0.00003, 0, 0, 2, 2},    {-0.00003, 0, 1, 1, 2},  {0.00003, 0, -1, 1, 2},
        {-0.00002, 0, -1, 1, -2}, {-0.00002, 0, 1, 3, 0},  {0.00002, 0, 0, 4, 0},
    };
    /* The planetary arguments: A_i = a + b k (A1 also has a T^2 term), and their coefficients. */
    static const struct {
        double a, b, c;
    } planets[] = {
        {299.77, 0.107408, 0.000325},  {251.88, 0.016321, 0.000165}, {251.83, 26.651886, 0.000164},
        {349.42, 36.412478, 0.000126}, {84.66, 18.206239, 0.000110}, {141.74, 53.303771, 0.000062},
        {207.14, 2.453732, 0.000060},  {154.84, 7.306860, 0.000056}, {34.52, 27.261239, 0.000047},
        {207.19, 0.121824, 0.000042},  {291.34, 1.844379, 0.000040}, {161.72, 24.198154, 0.000037},
        {239.56, 25.513099, 0.000035}, {331.55, 3.592518, 0.000023},
    };
    double t = k / 1236.85, t2 = t * t, t3 = t2 * t, t4 = t3 * t;
    double jde =
        2451550.09766 + SYNODIC_MONTH * k + 0.00015437 * t2 - 0.000000150 * t3 + 0.00000000073 * t4;
    double e = 1 - 0.002516 * t - 0.0000074 * t2;
    double m = (2.5534 + 29.10535670 * k - 0.0000014 * t2 - 0.00000011 * t3) * DEG;
    double mp =
        (201.5643 + 385.81693528 * k + 0.0107582 * t2 + 0.00001238 * t3 - 0.000000058 * t4) * DEG;
    double f =
        (160.7108 + 390.67050284 * k - 0.0016118 * t2 - 0.00000227 * t3 + 0.000000011 * t4) * DEG;
    double om = (124.7746 - 1.56375588 * k + 0.0020672 * t2 + 0.00000215 * t3) * DEG;

    double sum = -0.00017 * sin(om);
    for (size_t i = 0; i < sizeof(terms) / sizeof(terms[0]); i++)
        sum += terms[i].c * pow(e, terms[i].e) *
               sin(terms[i].m * m + terms[i].mp * mp + terms[i].f * f);
    for (size_t i = 0; i < sizeof(planets) / sizeof(planets[0]); i++) {
        double a = planets[i].a + planets[i].b * k - (i == 0 ? 0.009173 * t2 : 0);
        sum += planets[i].c * sin(a * DEG);
    }
    jde += sum;
    return jde - delta_t(year_of(jde)) / 86400.0;
}

/* The sun's apparent longitude in degrees [0, 360) at a Julian Day in universal time. */
static double
sun_longitude(double jd)
{
    double jde = jd + delta_t(year_of(jd)) / 86400.0;
    double t = (jde - 2451545.0) / 36525, t2 = t * t;
    double l0 = 280.46646 + 36000.76983 * t + 0.0003032 * t2;
    double m = (357.52911 + 35999.05029 * t - 0.0001537 * t2) * DEG;
    double c = (1.914602 - 0.004817 * t - 0.000014 * t2) * sin(m) +
               (0.019993 - 0.000101 * t) * sin(2 * m) + 0.000289 * sin(3 * m);
    double om = (125.04 - 1934.136 * t) * DEG;
    double lambda = fmod(l0 + c - 0.00569 - 0.00478 * sin(om), 360.0);
    return lambda < 0 ? lambda + 360 : lambda;
}

/* The local day (tz minutes east of UTC) on which new moon k falls: a month's first day. */
static int32_t
new_moon_day(int k, int tz)
{
    return (int32_t)floor(new_moon_jd(k) - JD_EPOCH + tz / 1440.0);
}

/*
 * Which twelfth of the ecliptic the sun is in when local day `day` begins:
 * 0 from the vernal equinox. A month holds a major solar term exactly when
 * this changes between its first day and the next month's.
 */
static int
sun_sector(int32_t day, int tz)
{
    return (int)(sun_longitude(day + JD_EPOCH - tz / 1440.0) / 30);
}

/* The number of the month (its new moon) that holds day. */
static int
month_of(int32_t day, int tz)
{
    /* Day number 10962 is 2000-01-06, the day of new moon 0. */
    int k = (int)floor((day - 10962) / SYNODIC_MONTH);
    while (new_moon_day(k + 1, tz) <= day)
        k++;
    while (new_moon_day(k, tz) > day)
        k--;
    return k;
}

/* The 11th month that starts in Gregorian year y: the month of its winter solstice. */
static int
month11(int y, int tz)
{
    int k = month_of(cs_date_from_civil((struct cs_date){y, 12, 31}), tz);
    /*
     * That month starts in December. If the sun has passed 270 degrees when
     * it starts, the solstice fell in the month before.
     */
    if (sun_sector(new_moon_day(k, tz), tz) >= 9)
        k--;
    return k;
}

/*
 * In a year of 13 months from the 11th month a: the offset from a of its
 * leap month, the first that holds no major solar term.
 */
static int
leap_offset(int a, int tz)
{
    int i = 1, sector = sun_sector(new_moon_day(a + 1, tz), tz);
    for (; i < 13; i++) {
        int next = sun_sector(new_moon_day(a + i + 1, tz), tz);
        if (next == sector)
            break;
        sector = next;
    }
    return i;
}

static bool
day_in_range(int32_t day)
{
    return day >= cs_date_from_civil((struct cs_date){CS_DATE_YEAR_MIN, 1, 1}) &&
           day <= cs_date_from_civil((struct cs_date){CS_DATE_YEAR_MAX, 12, 31});
}

int
cs_lunar_from_day_tz(int32_t day, int tz, struct cs_lunar_date *out)
{
    if (!day_in_range(day) || tz < -720 || tz > 840)
        return CS_EINVAL;
    int y = cs_date_to_civil(day).y, k = month_of(day, tz);
    /* The 11th months around day: a (of Gregorian year g) and b, the next. */
    int g = y, a = month11(y, tz), b;
    if (k >= a) {
        b = month11(y + 1, tz);
    } else {
        g = y - 1;
        b = a;
        a = month11(g, tz);
    }
    int off = k - a;
    bool leap = false;
    if (b - a == 13) {
        int l = leap_offset(a, tz);
        if (off >= l) {
            leap = off == l;
            off--;
        }
    }
    int m = (off + 10) % 12 + 1;
    *out = (struct cs_lunar_date){m >= 11 ? g : g + 1, m, day - new_moon_day(k, tz) + 1, leap};
    return 0;
}

int
cs_lunar_to_day_tz(const struct cs_lunar_date *l, int tz, int32_t *out)
{
    if (l->y < CS_DATE_YEAR_MIN || l->y > CS_DATE_YEAR_MAX || l->m < 1 || l->m > 12 || l->d < 1 ||
        l->d > 30 || tz < -720 || tz > 840)
        return CS_EINVAL;
    /* Months 11 and 12 of lunar year y start in Gregorian year y, the others in y + 1. */
    int g = l->m >= 11 ? l->y : l->y - 1;
    int a = month11(g, tz), b = month11(g + 1, tz);
    int off = l->m >= 11 ? l->m - 11 : l->m + 1;
    if (b - a == 13) {
        int lo = leap_offset(a, tz);
        if (l->leap && off + 1 != lo)
            return CS_EINVAL;
        if (l->leap || off >= lo)
            off++;
    } else if (l->leap) {
        return CS_EINVAL;
    }
    int32_t first = new_moon_day(a + off, tz);
    if (l->d > new_moon_day(a + off + 1, tz) - first)
        return CS_EINVAL;
    *out = first + l->d - 1;
    return 0;
}

int
cs_lunar_from_day(int32_t day, struct cs_lunar_date *out)
{
    return cs_lunar_from_day_tz(day, CS_LUNAR_TZ_VIETNAM, out);
}

int
cs_lunar_to_day(const struct cs_lunar_date *l, int32_t *out)
{
    return cs_lunar_to_day_tz(l, CS_LUNAR_TZ_VIETNAM, out);
}
