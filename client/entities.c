/* SPDX-License-Identifier: MIT */
/*
 * The records a cell keeps, as data: each field's option, column, type and
 * label, made from the domain schema's descriptor (cellsync/schema.h). add,
 * edit, show and --json all read these tables, so a field added there is
 * typed, checked, stored and shown everywhere at once. Stage dates,
 * sponsors and the helper of a candidate are not here: `candidate advance`
 * sets them, because they come with the rules of the procedure.
 */
#include "cellsync/i18n.h"
#include "cellsync/schema.h"
#include "client.h"

/* A column a person types in, as a field (its option is never NULL). */
#define FIELD(name, type, arg, writer, option, label) {option, name, FT_##type, arg, label},

#define ENTITY(var, tbl)                                                                           \
    static const struct field tbl##_fields[] = {CS_SCHEMA_FIELDS_##tbl(FIELD)};                    \
    const struct entity var = {#tbl, tbl##_fields, sizeof(tbl##_fields) / sizeof(tbl##_fields[0])}

ENTITY(ent_candidate, candidate);
ENTITY(ent_member, member);
ENTITY(ent_meeting, meeting);
