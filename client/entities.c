/* SPDX-License-Identifier: MIT */
/*
 * The records a cell keeps, as data: each field's option, column, type and
 * label. add, edit, show and --json all read these tables, so a field added
 * here is typed, checked, stored and shown everywhere at once. Stage dates,
 * sponsors and the helper of a candidate are not here: `candidate advance`
 * sets them, because they come with the rules of the procedure.
 */
#include "cellsync/i18n.h"
#include "client.h"

#define ENTITY(name, tbl, arr) const struct entity name = {tbl, arr, sizeof(arr) / sizeof(arr[0])}

/* Identity fields of a person, shared by candidates and members. */
#define PERSON_FIELDS                                                                              \
    {"name", "full_name", FT_TEXT, NULL, N_("full name")},                                         \
        {"birth-name", "birth_name", FT_TEXT, NULL, N_("birth name")},                             \
        {"sex", "sex", FT_CODE, "sex", N_("sex")},                                                 \
        {"birth-date", "birth_date", FT_DATE, NULL, N_("date of birth")},                          \
        {"ethnicity", "ethnicity", FT_TEXT, NULL, N_("ethnicity")},                                \
        {"religion", "religion", FT_TEXT, NULL, N_("religion")},                                   \
        {"hometown", "hometown", FT_TEXT, NULL, N_("home town")},                                  \
        {"citizen-id", "citizen_id", FT_TEXT, NULL, N_("citizen id")},                             \
        {"phone", "phone", FT_TEXT, NULL, N_("phone")},                                            \
        {"education", "education", FT_TEXT, NULL, N_("education")},                                \
    {                                                                                              \
        "occupation", "occupation", FT_TEXT, NULL, N_("occupation")                                \
    }

static const struct field candidate_fields[] = {
    PERSON_FIELDS,
    {"source", "source", FT_CODE, "source", N_("source category")},
    {"org", "org_unit", FT_TEXT, NULL, N_("cell")},
    {"note", "note", FT_TEXT, NULL, N_("note")},
};

static const struct field member_fields[] = {
    PERSON_FIELDS,
    {"birth-place", "birth_place", FT_TEXT, NULL, N_("place of birth")},
    {"residence", "residence", FT_TEXT, NULL, N_("residence")},
    {"card-no", "card_no", FT_TEXT, NULL, N_("party card number")},
    {"record-no", "record_no", FT_TEXT, NULL, N_("record number")},
    {"org", "org_unit", FT_TEXT, NULL, N_("cell")},
    {"decision-on", "decision_on", FT_DATE, NULL, N_("admission decision date")},
    {"ceremony-on", "ceremony_on", FT_DATE, NULL, N_("admission ceremony date")},
    {"official-on", "official_on", FT_DATE, NULL, N_("official member since")},
    {"status", "status", FT_CODE, "member_status", N_("status")},
    {"theory-level", "theory_level", FT_TEXT, NULL, N_("political theory level")},
    {"note", "note", FT_TEXT, NULL, N_("note")},
};

static const struct field meeting_fields[] = {
    {"date", "held_on", FT_DATE, NULL, N_("date")},
    {"kind", "kind", FT_CODE, "meeting_kind", N_("kind")},
    {"org", "org_unit", FT_TEXT, NULL, N_("cell")},
    {"agenda", "agenda", FT_TEXT, NULL, N_("agenda")},
    {"minutes", "minutes", FT_TEXT, NULL, N_("minutes")},
    {"resolutions", "resolutions", FT_TEXT, NULL, N_("resolutions")},
};

ENTITY(ent_candidate, "candidate", candidate_fields);
ENTITY(ent_member, "member", member_fields);
ENTITY(ent_meeting, "meeting", meeting_fields);
