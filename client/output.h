/* SPDX-License-Identifier: MIT */
/*
 * The client's short names for the printers of cellsync/output.h, which
 * moved to the proto library so that the hub's reports line up their
 * tables with the very same code. See that header for what each does.
 */
#ifndef CELLSYNC_CLIENT_OUTPUT_H
#define CELLSYNC_CLIENT_OUTPUT_H

#include <stdio.h>

#include <sqlite3.h>

#include "cellsync/output.h"

static inline int
out_table(FILE *f, sqlite3_stmt *st, const char *const *headers)
{
    return cs_out_table(f, st, headers);
}

static inline int
out_json(FILE *f, sqlite3_stmt *st)
{
    return cs_out_json(f, st);
}

static inline int
out_kv(FILE *f, sqlite3_stmt *st, const char *const *labels)
{
    return cs_out_kv(f, st, labels);
}

static inline const char *
out_errmsg(void)
{
    return cs_out_errmsg();
}

static inline size_t
out_width(const char *s, size_t len)
{
    return cs_out_width(s, len);
}

#endif
