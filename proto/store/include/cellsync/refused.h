/* SPDX-License-Identifier: MIT */
/*
 * A device's writes the hub refused, kept beside the replica (never
 * replicated) so that they stay visible until they are put right: `status`
 * counts them, lists mark their records. A refusal is open while the
 * refused version is still the register's current value here (the view
 * cs_refused_open). A record is corrected when this device writes to it
 * again after the refusal: its refused writes still current are then
 * issued again (cs_refused_retry), so the corrected record goes to the hub
 * whole, and the hub judges it anew.
 */
#ifndef CELLSYNC_REFUSED_H
#define CELLSYNC_REFUSED_H

#include <stddef.h>
#include <stdint.h>

#include "cellsync/replica.h"
#include "cellsync/wire.h"

/*
 * SQL: whether the record of table (a literal) whose id is the expression
 * idcol has an open refusal, for lists that mark such records.
 */
#define CS_REFUSED_SQL(table, idcol)                                                               \
    "EXISTS (SELECT 1 FROM cs_refused_open WHERE tbl = '" table "' AND row = " idcol ")"

/* Keeps n refusals of this device's own writes (others' are left out); at: Unix seconds. */
int cs_refused_add(struct cs_replica *r, const struct cs_refusal *v, size_t n, int64_t at,
                   char *err, size_t errlen);

/* Open refusals: refused changes and the records they belong to. */
int cs_refused_count(struct cs_replica *r, uint64_t *changes, uint64_t *records);

/*
 * Issues again (new stamp, new seq: cs_replica_reissue) the open refused
 * writes of every record written here after its refusal, with writes
 * after seq `after` stamped beyond limit re-stamped in the same pass.
 * *count: how many writes go again.
 */
int cs_refused_retry(struct cs_replica *r, uint64_t after, uint64_t limit, size_t *count, char *err,
                     size_t errlen);

#endif
