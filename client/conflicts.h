/* SPDX-License-Identifier: MIT */
/*
 * Open conflicts (cmd_conflicts.c, and the conflict page of `cellsync ui`):
 * the query of every open conflict with its record's name, the SQL functions
 * it reads with, and finding, choosing and writing a resolution.
 */
#ifndef CELLSYNC_CLIENT_CONFLICTS_H
#define CELLSYNC_CLIENT_CONFLICTS_H

#include "client.h"

/* One conflict being resolved: what the steps below share. */
struct resolution {
    const char *arg; /* the conflict's number, as typed */
    char table[64], column[64];
    struct cs_id row;
    char record[256]; /* "candidate 1a2b3c4d (name)", as the list names it */
    long long others; /* the field's other open conflicts, resolved with it */
    /* Both values of the conflict, copied; mem owns their bytes. */
    struct cs_value current, other;
    void *current_mem, *other_mem;
    /* The value to write: one of the two, or a typed one held in text or fbuf. */
    struct cs_value val;
    struct field_buf fbuf;
};

/* The SQL functions the queries below use (reg_table, reg_field, reg_value, device_label). */
int conflicts_functions(struct client *c, char *err, size_t errlen);
/*
 * "WITH x AS (every open conflict [where]) <tail>", where tail reads from x:
 * num, seq, tname, row, cname, val, site, hlc (the other version), cval,
 * csite, chlc (the current one) and rname (the record's full name, if any).
 */
int conflicts_prepare(struct client *c, const char *where, const char *tail, sqlite3_stmt **st,
                      char *err, size_t errlen);
/* The field of (table, column) of any table of the schema; NULL if unknown. */
const struct field *conflicts_field(const char *table, const char *column);
/*
 * Finding the conflict numbered num (of the record whose hex id starts with
 * record, if not NULL), choosing its value (pick "current" or "other", or
 * text checked as `edit` checks it) and writing it: what `conflicts resolve`
 * and the conflict page do. Each returns 0 or an error with err saying why;
 * conflict_find CS_ENOTFOUND when it is not open (any more).
 */
int conflict_find(struct client *c, long long num, const char *record, struct resolution *r,
                  char *err, size_t errlen);
int conflict_choose(struct client *c, struct resolution *r, const char *pick, const char *text,
                    char *err, size_t errlen);
int conflict_write(struct client *c, const struct resolution *r, char *err, size_t errlen);
/* Frees the copies of the values conflict_find() made. */
void conflict_release(struct resolution *r);

/*
 * `conflicts list` of the client and of the hub (cellsyncd): every open
 * conflict as a table or, with json, a JSON array, on stdout. 0 or the
 * error with err set.
 */
int conflicts_print(struct client *c, int json, char *err, size_t errlen);
/*
 * The checks of `conflicts resolve`'s options and number before anything
 * is opened: one of --pick current|other and --value, and a conflict
 * number (its value into *num). CS_EXIT_OK, or CS_EXIT_USAGE or
 * CS_EXIT_FAILURE with the message in err (prog: the program named in it).
 */
int conflict_args(const char *prog, const char *arg, const char *pick, const char *text,
                  long long *num, char *err, size_t errlen);
/*
 * `conflicts resolve`: finds, chooses and writes the resolution of conflict
 * num (r->arg as typed), then says on stdout what the field holds now.
 * Releases r. 0 or the error with err set (nothing written).
 */
int conflict_resolve(struct client *c, long long num, const char *record, struct resolution *r,
                     const char *pick, const char *text, char *err, size_t errlen);

#endif
