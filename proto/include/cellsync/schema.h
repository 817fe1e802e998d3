/* SPDX-License-Identifier: MIT */
/*
 * The domain schema shared by the field client and the hub: the tables the
 * replica keeps in step with the winning register values, and the codes
 * stored in them. Stored values are codes ("youth_union", "official");
 * labels are translated where they are shown. Dates are ISO text
 * (YYYY-MM-DD); record ids are 16-byte UUIDv7 blobs; org units are named
 * by the short text codes the organisation committee uses (org_unit.code).
 *
 * Additive changes only: a new table or column bumps CS_SCHEMA_VERSION, and
 * an older replica still stores and forwards the registers it does not know.
 */
#ifndef CELLSYNC_SCHEMA_H
#define CELLSYNC_SCHEMA_H

#include <sqlite3.h>

#define CS_SCHEMA_VERSION 1

/*
 * Creates the domain tables and indexes if missing, and with search the
 * full-text search index kept by triggers; without it, drops that index.
 */
int cs_schema_apply(sqlite3 *db, int search, char *err, size_t errlen);

/* The candidate stages, in order; "withdrawn" is outside the order. */
#define CS_STAGE_MAP(XX)                                                                           \
    XX(IDENTIFIED, "identified")                                                                   \
    XX(HELPER, "helper_assigned")                                                                  \
    XX(CLASS, "class_passed")                                                                      \
    XX(APPLIED, "applied")                                                                         \
    XX(VERIFIED, "biography_verified")                                                             \
    XX(CELL, "cell_resolution")                                                                    \
    XX(GRASSROOTS, "grassroots_resolution")                                                        \
    XX(DECISION, "decision")                                                                       \
    XX(CEREMONY, "ceremony")                                                                       \
    XX(OFFICIAL, "official")

enum cs_stage {
#define XX(name, code) CS_STAGE_##name,
    CS_STAGE_MAP(XX)
#undef XX
        CS_STAGE__COUNT,
    CS_STAGE_WITHDRAWN = CS_STAGE__COUNT,
};

/* "identified" .. "official", "withdrawn"; NULL for out of range. */
const char *cs_stage_code(enum cs_stage s);
/* The stage for a code, or -1. */
int cs_stage_from_code(const char *code);

#endif
