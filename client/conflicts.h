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

int add_functions(struct client *c);
int prepare_conflicts(struct client *c, const char *where, const char *tail, sqlite3_stmt **st);
int resolve_find(struct client *c, long long num, const char *record, struct resolution *r);
int resolve_choose(struct client *c, struct resolution *r, const char *pick, const char *text);
int resolve_write(struct client *c, const struct resolution *r);

#endif
