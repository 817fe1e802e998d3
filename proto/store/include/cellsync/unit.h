/* SPDX-License-Identifier: MIT */
/*
 * The unit of a record a device writes, for the tables the hub places by
 * their org_unit (candidate, member, meeting: CS_SCHEMA_PLACE_ORG). One
 * rule for every writer (the commands, `cellsync import`, the local web
 * UI): a record belongs to the device's unit unless its role allows
 * another. A cell writes its own unit only; a committee its unit and the
 * units below it (as this replica knows the tree); a hub any. Before
 * enrollment the device has no unit: its records get one when it learns
 * it (cs_unit_adopt). The hub refuses a row of these tables with no unit
 * (daemon/authz.c), so the check here is the same answer, given at entry
 * and in the person's language, before anything is stored.
 */
#ifndef CELLSYNC_UNIT_H
#define CELLSYNC_UNIT_H

#include <stddef.h>

#include "cellsync/id.h"
#include "cellsync/replica.h"

/*
 * May this device write a record of unit? 0, or CS_EINVAL with err naming
 * the unit and the device's. Always 0 before enrollment (the hub judges).
 */
int cs_unit_check(struct cs_replica *r, const char *unit, char *err, size_t errlen);

/*
 * In the transaction of a write of row of table (any table: only those
 * placed by org_unit are concerned): given (NULL: not given) is the unit a
 * person chose. Given, it is checked (cs_unit_check; "" is refused: a
 * record keeps a unit) and written; not given, a row that has no unit yet
 * gets the device's, once enrolled. 0, or CS_EINVAL with err.
 */
int cs_unit_write(struct cs_replica *r, const char *table, const struct cs_id *row,
                  const char *given, char *err, size_t errlen);

/*
 * Gives the device's unit to each live record of this device (first
 * written here) that has none, in one transaction of ordinary writes:
 * those written after `cellsync init` and before the unit was known.
 * Nothing to do before enrollment. *count (optional): how many records.
 */
int cs_unit_adopt(struct cs_replica *r, size_t *count, char *err, size_t errlen);

#endif
