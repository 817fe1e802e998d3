/* SPDX-License-Identifier: MIT */
/*
 * Attendance at a meeting: who came, who did not and why. One row per
 * member and meeting; recording a member again changes that row. The
 * command line's `meeting attend` and the web interface's checklist both
 * record a whole meeting's attendance through here, in one transaction.
 */
#ifndef CELLSYNC_ATTEND_H
#define CELLSYNC_ATTEND_H

#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

#include "cellsync/id.h"
#include "cellsync/replica.h"

/* One member's attendance, as it is to be recorded. */
struct cs_attend {
    struct cs_id member;
    bool present;
    const char *reason; /* why an absent member did not come; NULL or "": none */
};

/*
 * Records the attendance of n members at meeting, in one transaction: a
 * member who has a live row at the meeting has it changed (the reason
 * replaced by the one given, cleared when none is), anyone else gets a new
 * row. Nothing is written when one of them fails. 0, or a store error
 * with err saying why.
 */
int cs_attend_record(struct cs_replica *r, const struct cs_id *meeting,
                     const struct cs_attend *rows, size_t n, char *err, size_t errlen);

/*
 * The same in the transaction the caller has open, for a meeting written
 * together with its attendance (the meeting form of `cellsync ui`): the
 * caller commits, or rolls back on an error.
 */
int cs_attend_write(struct cs_replica *r, const struct cs_id *meeting, const struct cs_attend *rows,
                    size_t n, char *err, size_t errlen);

/* The live attendance row of (meeting, member): *found 0 or 1. 0 or CS_ESQLITE. */
int cs_attend_find(sqlite3 *db, const struct cs_id *meeting, const struct cs_id *member,
                   struct cs_id *out, bool *found);

/*
 * The members a meeting expects: the live members of the meeting's unit
 * whose status is not transferred out, struck off or deceased, in the order
 * of a Vietnamese roll (the connection needs cs_codes_sql_register()).
 * OUT: *out, *n of them, caller frees (NULL when none). 0, CS_ENOTFOUND
 * (no such meeting), CS_ENOMEM or CS_ESQLITE, with err.
 */
int cs_attend_expected(sqlite3 *db, const struct cs_id *meeting, struct cs_id **out, size_t *n,
                       char *err, size_t errlen);

/*
 * The same for a meeting of unit org (NULL: of no unit) that is not
 * written yet: the checklist of a new meeting's form.
 */
int cs_attend_expected_org(sqlite3 *db, const char *org, struct cs_id **out, size_t *n, char *err,
                           size_t errlen);

#endif
