/* SPDX-License-Identifier: MIT */
/*
 * The code lists and their labels (cellsync/codes.h), and the SQL functions
 * that print them. Labels are N_() here and go through _() when asked for,
 * so the language is the one in force when a list or report is printed.
 */
#include <stdio.h>
#include <string.h>

#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/id.h"
#include "cellsync/schema.h"
#include "internal.h"

static const struct cs_code_label sexes[] = {
    {"male", N_("male")}, {"female", N_("female")}, {NULL, NULL}};
static const struct cs_code_label sources[] = {
    {"youth_union", N_("youth union member")},
    {"militia", N_("militia")},
    {"teacher", N_("teacher")},
    {"student", N_("student")},
    {"non_state_worker", N_("non-state enterprise worker")},
    {"demobilised_soldier", N_("demobilised soldier")},
    {"religious_follower", N_("religious follower")},
    {"farmer_business", N_("farmer or business person")},
    {"other", N_("other")},
    {NULL, NULL}};
/* The stages in order, with their labels, from the descriptor (cellsync/schema.h). */
static const struct cs_code_label stages[] = {
#define XX(name, code, column, label) {code, label},
    CS_STAGE_MAP(XX)
#undef XX
        {NULL, NULL}};
static const struct cs_code_label member_statuses[] = {{"probationary", N_("probationary")},
                                                       {"official", N_("official")},
                                                       {"transferred_out", N_("transferred out")},
                                                       {"struck_off", N_("struck off")},
                                                       {"deceased", N_("deceased")},
                                                       {NULL, NULL}};
static const struct cs_code_label meeting_kinds[] = {
    {"regular", N_("regular monthly")}, {"thematic", N_("thematic")}, {NULL, NULL}};
static const struct cs_code_label grades[] = {{"excellent", N_("excellent")},
                                              {"good", N_("good")},
                                              {"complete", N_("complete")},
                                              {"not_complete", N_("not complete")},
                                              {NULL, NULL}};
static const struct cs_code_label levels[] = {{"centre", N_("centre")},
                                              {"province", N_("province")},
                                              {"district", N_("district")},
                                              {"commune", N_("commune or ward")},
                                              {"grassroots", N_("grassroots organisation")},
                                              {"cell", N_("cell")},
                                              {NULL, NULL}};
/* The deadlines cs_rules_due() names, with what a secretary reads for each. */
static const struct cs_code_label due_kinds[] = {
    {"certificate_expiry", N_("class certificate expires")},
    {"decision", N_("admission decision")},
    {"ceremony", N_("admission ceremony")},
    {"probation_end", N_("probation ends")},
    {"conversion", N_("conversion to official member")},
    {NULL, NULL},
};

/* The bands and states the reports group by (cellsync/report.h). */
static const struct cs_code_label due_statuses[] = {
    {"overdue", N_("overdue")},
    {"upcoming", N_("within 60 days")},
    {"later", N_("later")},
    {NULL, NULL},
};
static const struct cs_code_label age_bands[] = {
    {"under_30", N_("under 30")}, {"30_45", N_("30-45")}, {"46_60", N_("46-60")},
    {"over_60", N_("over 60")},   {NULL, NULL},
};
/* The roles a device is enrolled with (cellsync/enroll.h), as the device table shows them. */
static const struct cs_code_label roles[] = {
    {"cell", N_("cell")},
    {"committee", N_("committee")},
    {"hub", N_("hub")},
    {NULL, NULL},
};
static const struct cs_code_label contact_bands[] = {
    {"today", N_("today")},
    {"week", N_("1 to 7 days ago")},
    {"month", N_("8 to 30 days ago")},
    {"older", N_("more than 30 days ago")},
    {"never", N_("never")},
    {NULL, NULL},
};

static const struct {
    const char *name;
    const struct cs_code_label *items;
} lists[] = {
    {"sex", sexes},
    {"source", sources},
    {"stage", stages},
    {"member_status", member_statuses},
    {"meeting_kind", meeting_kinds},
    {"grade", grades},
    {"level", levels},
    {"due_kind", due_kinds},
    {"due_status", due_statuses},
    {"age_band", age_bands},
    {"contact_band", contact_bands},
    {"role", roles},
};

const struct cs_code_label *
cs_code_list(const char *list)
{
    for (size_t i = 0; i < CS_ARRAY_SIZE(lists); i++)
        if (strcmp(lists[i].name, list) == 0)
            return lists[i].items;
    return NULL;
}

const char *
cs_code_label(const char *list, const char *code)
{
    const struct cs_code_label *l = cs_code_list(list);
    for (; l != NULL && l->code != NULL; l++)
        if (strcmp(l->code, code) == 0)
            return _(l->label);
    return NULL;
}

void
cs_code_list_text(const char *list, char *buf, size_t len)
{
    const struct cs_code_label *l = cs_code_list(list);
    size_t n = 0;
    if (len == 0)
        return;
    buf[0] = 0;
    for (; l != NULL && l->code != NULL && n < len; l++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", l->code);
}

/* ---- SQL functions ---- */

/* The id in v as canonical text into hex; 0, or -1 when it is not an id. */
static int
arg_id(sqlite3_value *v, struct cs_id *id)
{
    if (sqlite3_value_type(v) != SQLITE_BLOB || sqlite3_value_bytes(v) != CS_ID_LEN)
        return -1;
    memcpy(id->b, sqlite3_value_blob(v), CS_ID_LEN);
    return 0;
}

static int
arg_hex(sqlite3_value *v, char hex[CS_ID_HEX_LEN + 1])
{
    struct cs_id id;
    if (arg_id(v, &id) != 0)
        return -1;
    cs_id_to_hex(&id, hex);
    return 0;
}

static void
sql_short_id(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct cs_id id;
    char s[CS_ID_SHORT_LEN + 1];
    (void)argc;
    if (arg_id(argv[0], &id) != 0) {
        sqlite3_result_null(ctx);
        return;
    }
    cs_id_short(&id, s);
    sqlite3_result_text(ctx, s, CS_ID_SHORT_LEN, SQLITE_TRANSIENT);
}

static void
sql_uuid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    char hex[CS_ID_HEX_LEN + 1];
    (void)argc;
    if (arg_hex(argv[0], hex) != 0)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_text(ctx, hex, CS_ID_HEX_LEN, SQLITE_TRANSIENT);
}

static void
sql_label(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *list = (const char *)sqlite3_value_text(argv[0]);
    const char *code = (const char *)sqlite3_value_text(argv[1]);
    const char *l = list && code ? cs_code_label(list, code) : NULL;
    if (l != NULL)
        sqlite3_result_text(ctx, l, -1, SQLITE_TRANSIENT);
    else
        sqlite3_result_value(ctx, argv[1]); /* unknown codes show as they are */
}

int
cs_codes_sql_register(sqlite3 *db)
{
    /* label() is not deterministic: the language can change between two calls. */
    if (sqlite3_create_function(db, "short_id", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                sql_short_id, NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function(db, "uuid", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_uuid,
                                NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function(db, "label", 2, SQLITE_UTF8, NULL, sql_label, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_create_collation(db, "vi", SQLITE_UTF8, NULL, cs_collate_vi) != SQLITE_OK)
        return CS_ESQLITE;
    return 0;
}
