/* SPDX-License-Identifier: MIT */
/*
 * Deleting and restoring a record of the domain tables, as a person
 * corrects a mistake: a delete makes the row's causal length even (the
 * replica's row life, cellsync/replica.h), so the record and every value it
 * had stay, travel to the hub signed like any write, and can be restored.
 * Who deleted it and when is the version of that row life. The field
 * client and the local web interface both call these.
 */
#ifndef CELLSYNC_RECORD_H
#define CELLSYNC_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "cellsync/id.h"
#include "cellsync/replica.h"

/*
 * The text of a record's column ("" if unset, live or deleted) into buf;
 * 0 or CS_ENOTFOUND (or CS_ESQLITE). table and column are names of the
 * schema, never typed text: they are put in the SQL as they are.
 */
int cs_record_text(sqlite3 *db, const char *table, const struct cs_id *row, const char *column,
                   char *buf, size_t len);

/*
 * Deletes (or restores) a record of table, in a transaction of its own.
 * 0, CS_ENOTFOUND (no such record), CS_EINVAL (already deleted, or not
 * deleted) or a store error, with err naming the record.
 */
int cs_record_delete(struct cs_replica *r, const char *table, const struct cs_id *row, char *err,
                     size_t errlen);
int cs_record_undelete(struct cs_replica *r, const char *table, const struct cs_id *row, char *err,
                       size_t errlen);

/* The longest device label cs_device_label() writes, with its NUL. */
#define CS_DEVICE_LABEL_LEN 128

/*
 * A device as a person reads it: "this device" for self, else the name the
 * hub enrolled it with (the schema's "device" table, which the hub fills
 * for the devices this one can see), else its short id. Returns buf.
 */
const char *cs_device_label(sqlite3 *db, const struct cs_id *self, const struct cs_id *id,
                            char *buf, size_t len);

/*
 * Adds the SQL function device_label(ID) to db: cs_device_label() of a
 * 16-byte id, NULL for anything else. self must outlive db's use of it.
 */
int cs_device_sql_register(sqlite3 *db, const struct cs_id *self);

/* A record's life: whether it is live, and the last delete or restore of it. */
struct cs_record_life {
    bool live;
    uint64_t hlc;                     /* when it was last deleted or restored; 0: never */
    struct cs_id origin;              /* by which device */
    bool ours;                        /* that device is this replica */
    char device[CS_DEVICE_LABEL_LEN]; /* that device as cs_device_label() names it */
};

/* 0, CS_ENOTFOUND, or CS_ESQLITE. */
int cs_record_life(struct cs_replica *r, const char *table, const struct cs_id *row,
                   struct cs_record_life *out);

/*
 * What a person reads of the last delete or restore: "06/12/2026 10:32,
 * by this device" or "..., by device máy phó bí thư" (its name, or its
 * short id when this device does not know it; local time). Returns buf.
 */
const char *cs_record_life_text(const struct cs_record_life *l, char *buf, size_t len);

/*
 * Prepares the list of the deleted records of table, latest first: short
 * id, name (people) or date and agenda (meetings), when deleted and by
 * which device (cs_device_label()); with json, one JSON array of objects (id, name,
 * deleted_at, deleted_by). The connection needs the SQL functions of
 * cs_codes_sql_register(). OUT: *out, caller finalizes.
 */
int cs_record_deleted_list(struct cs_replica *r, const char *table, int json, sqlite3_stmt **out,
                           char *err, size_t errlen);

#endif
