/* SPDX-License-Identifier: MIT */
/*
 * The holidays the government announces each year, as replicated records
 * (the table "holiday" of cellsync/schema.h): the hub writes them at its
 * root unit and every device it serves receives them, so a laptop and the
 * hub count the same working days. Each record makes one day a day off or
 * a working day on top of the built-in holidays (cellsync/date.h). One
 * record per unit and day: its id is derived from both, so setting a day
 * again corrects it, and removing it deletes the record (kept, as every
 * delete, with its history).
 */
#ifndef CELLSYNC_HOLIDAY_H
#define CELLSYNC_HOLIDAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "cellsync/date.h"
#include "cellsync/replica.h"

/* The longest name a holiday may have, in bytes. */
#define CS_HOLIDAY_NAME_MAX 200

/*
 * Sets day at unit org as a day off (working false) or a working day, named
 * name, in a transaction of its own. CS_EINVAL with a message naming the
 * field for an empty or too long name, an empty unit, or a day outside the
 * calendar's years.
 */
int cs_holiday_set(struct cs_replica *r, const char *org, int32_t day, const char *name,
                   bool working, char *err, size_t errlen);

/* Removes the record of day at unit org. CS_ENOTFOUND if there is none. */
int cs_holiday_remove(struct cs_replica *r, const char *org, int32_t day, char *err, size_t errlen);

/*
 * Adds every live holiday record of the replica's database to h: days off
 * and working days. A record whose day is not a date is left out (the hub
 * refuses none of a committee's values). 0 or CS_ESQLITE with a message.
 */
int cs_holiday_load(struct cs_date_holidays *h, sqlite3 *db, char *err, size_t errlen);

/*
 * Prepares the list of the holidays by date: every live record (day, kind,
 * name, unit) and, with a year (0: none), only that year's with the
 * built-in holidays of the year (kind "built in", "built_in" in JSON) and
 * the days off of local (NULL: none; a device's own file, loaded with
 * cs_date_holidays_load(): kind "day off, this computer only", "local" in
 * JSON) that no record overrides, as the days are counted. With json one
 * row of a JSON array (kinds as codes), else rows for cs_out_table() with
 * the headers cs_holiday_list_headers (N_()). OUT: *out, caller finalizes.
 */
int cs_holiday_list(sqlite3 *db, int year, const struct cs_date_holidays *local, int json,
                    sqlite3_stmt **out, char *err, size_t errlen);
extern const char *const cs_holiday_list_headers[4];

#endif
