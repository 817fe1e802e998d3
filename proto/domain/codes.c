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

/* What a record of the holiday table makes of its day (cellsync/holiday.h). */
static const struct cs_code_label holiday_kinds[] = {
    {"off", N_("day off")},
    {"working", N_("working day")},
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
    {"holiday_kind", holiday_kinds},
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

/* ---- what a person types for a code ---- */

/* Room for one folded code, label or typed choice; longer text matches nothing. */
#define FOLD_MAX 256

/* Folds s to compare it with a choice: '_' as a space, then cs_text_fold(). 0 if too long. */
static int
fold_name(const char *s, enum cs_fold how, char out[FOLD_MAX])
{
    char tmp[FOLD_MAX];
    size_t n = strlen(s);
    if (n >= sizeof(tmp))
        return 0;
    for (size_t i = 0; i <= n; i++)
        tmp[i] = s[i] == '_' ? ' ' : s[i];
    return cs_text_fold(tmp, n, how, out, FOLD_MAX) < FOLD_MAX;
}

/* The names one choice goes by, folded: code, labels, and the parts of labels with commas. */
struct forms {
    size_t n;
    char s[8][FOLD_MAX];
};

static void
forms_add(struct forms *f, const char *s, enum cs_fold how)
{
    if (f->n < CS_ARRAY_SIZE(f->s) && fold_name(s, how, f->s[f->n]) && f->s[f->n][0] != 0)
        f->n++;
}

static void
forms_of(const struct cs_code_label *l, enum cs_fold how, struct forms *f)
{
    f->n = 0;
    forms_add(f, l->code, how);
    forms_add(f, l->label, how);
    forms_add(f, _(l->label), how);
    for (size_t i = 1, whole = f->n; i < whole; i++) {
        if (strchr(f->s[i], ',') == NULL)
            continue;
        char tmp[FOLD_MAX], *save = NULL;
        memcpy(tmp, f->s[i], sizeof(tmp));
        for (char *part = strtok_r(tmp, ",", &save); part != NULL;
             part = strtok_r(NULL, ",", &save))
            forms_add(f, part, how);
    }
}

/* How many choices of items go by want, folded with how; the first in *hit. */
static size_t
matches(const struct cs_code_label *items, const char *want, enum cs_fold how,
        const struct cs_code_label **hit)
{
    size_t n = 0;
    for (const struct cs_code_label *l = items; l->code != NULL; l++) {
        struct forms f;
        forms_of(l, how, &f);
        for (size_t i = 0; i < f.n; i++)
            if (strcmp(f.s[i], want) == 0) {
                if (n++ == 0)
                    *hit = l;
                break;
            }
    }
    return n;
}

/* Edits (insert, delete, change, swap two neighbours) from a to b, both under FOLD_MAX bytes. */
static size_t
distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    size_t row[3][FOLD_MAX + 1]; /* rows i - 2, i - 1 and i, by i % 3 */
    for (size_t j = 0; j <= nb; j++)
        row[0][j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t *cur = row[i % 3], *up = row[(i - 1) % 3], *up2 = row[(i + 1) % 3];
        cur[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t d = up[j - 1] + (a[i - 1] != b[j - 1]);
            if (up[j] + 1 < d)
                d = up[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                up2[j - 2] + 1 < d)
                d = up2[j - 2] + 1;
            cur[j] = d;
        }
    }
    return row[na % 3][nb];
}

/* The choice nearest to want (folded without marks), if it is near enough to be a slip. */
static const struct cs_code_label *
nearest(const struct cs_code_label *items, const char *want)
{
    const struct cs_code_label *best = NULL;
    size_t best_d = (strlen(want) + 2) / 3 + 1; /* about one slip in three letters */
    for (const struct cs_code_label *l = items; l->code != NULL; l++) {
        struct forms f;
        forms_of(l, CS_FOLD_MARKS, &f);
        for (size_t i = 0; i < f.n; i++) {
            size_t d = distance(want, f.s[i]);
            if (d < best_d) {
                best_d = d;
                best = l;
            }
        }
    }
    return best;
}

/* One choice as a person reads it: "label (code)", or the label alone where it reads as the code.
 */
static void
choice_text(const struct cs_code_label *l, char *buf, size_t len)
{
    char a[FOLD_MAX], b[FOLD_MAX];
    const char *label = _(l->label);
    if (fold_name(label, CS_FOLD_MARKS, a) && fold_name(l->code, CS_FOLD_MARKS, b) &&
        strcmp(a, b) == 0)
        snprintf(buf, len, "%s", label);
    else
        snprintf(buf, len, "%s (%s)", label, l->code);
}

/*
 * The choices of items, or only those going by `only` (folded with how),
 * as "a, b, c"; "a; b; c" when a label of the list has a comma of its own,
 * so that "học sinh, sinh viên" reads as one choice. Returns the length of
 * the whole text; buf holds whole choices and "..." where it is cut.
 */
static size_t
choices_text(const struct cs_code_label *items, const char *only, enum cs_fold how, char *buf,
             size_t len)
{
    const char *sep = ", ";
    size_t total = 0, w = 0; /* the length of the whole text; what buf holds */
    int cut = 0;
    for (const struct cs_code_label *l = items; l != NULL && l->code != NULL; l++)
        if (strchr(_(l->label), ',') != NULL)
            sep = "; ";
    if (len > 0)
        buf[0] = 0;
    for (const struct cs_code_label *l = items; l != NULL && l->code != NULL; l++) {
        int keep = only == NULL;
        if (!keep) {
            struct forms f;
            forms_of(l, how, &f);
            for (size_t i = 0; i < f.n && !keep; i++)
                keep = strcmp(f.s[i], only) == 0;
        }
        if (!keep)
            continue;
        char one[2 * FOLD_MAX + 8];
        int m = snprintf(one, sizeof(one), "%s", total ? sep : "");
        choice_text(l, one + m, sizeof(one) - (size_t)m);
        size_t n = strlen(one);
        /* Whole choices only, with room left for "..." after them. */
        if (!cut && w + n + 3 < len) {
            memcpy(buf + w, one, n + 1);
            w += n;
        } else if (!cut) {
            if (w + 3 < len)
                memcpy(buf + w, "...", 4);
            cut = 1;
        }
        total += n;
    }
    return total;
}

size_t
cs_code_choices_text(const char *list, char *buf, size_t len)
{
    return choices_text(cs_code_list(list), NULL, CS_FOLD_CASE, buf, len);
}

int
cs_code_parse(const char *list, const char *text, const char **code, char *err, size_t errlen)
{
    const struct cs_code_label *items = cs_code_list(list), *hit = NULL;
    char want[FOLD_MAX], choices[1024];
    int ret = CS_EINVAL;

    *code = NULL;
    if (items == NULL) {
        ret = cs_errf(err, errlen, CS_EINVAL, _("there is no list of choices '%s'"), list);
        goto out;
    }
    /* With the marks first: "nu" is "nữ" only if no choice is written "nu". */
    for (int how = CS_FOLD_CASE; how <= CS_FOLD_MARKS; how++) {
        if (!fold_name(text, (enum cs_fold)how, want))
            break;
        size_t n = matches(items, want, (enum cs_fold)how, &hit);
        if (n == 1) {
            *code = hit->code;
            ret = 0;
            goto out;
        }
        if (n > 1) {
            choices_text(items, want, (enum cs_fold)how, choices, sizeof(choices));
            ret = cs_errf(err, errlen, CS_EINVAL,
                          _("'%s' could be any of: %s; write it with its marks, or its code"), text,
                          choices);
            goto out;
        }
    }
    cs_code_choices_text(list, choices, sizeof(choices));
    const struct cs_code_label *near =
        fold_name(text, CS_FOLD_MARKS, want) ? nearest(items, want) : NULL;
    if (near != NULL)
        ret = cs_errf(err, errlen, CS_EINVAL, _("'%s' is not one of: %s; did you mean '%s'?"), text,
                      choices, _(near->label));
    else
        ret = cs_errf(err, errlen, CS_EINVAL, _("'%s' is not one of: %s"), text, choices);
out:
    return ret;
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
        sqlite3_create_collation(db, "vi", SQLITE_UTF8, NULL, cs_collate_vi) != SQLITE_OK ||
        sqlite3_create_collation(db, "vi_name", SQLITE_UTF8, NULL, cs_collate_vi_name) != SQLITE_OK)
        return CS_ESQLITE;
    return 0;
}
