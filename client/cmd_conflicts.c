/* SPDX-License-Identifier: MIT */
/*
 * `cellsync conflicts`: the fields that were edited on two devices without
 * either seeing the other's edit. The merge rule keeps both values (the
 * larger stamp is shown, the other is an open conflict: the view cs_conflict);
 * `list` shows them side by side and `resolve` writes the value a person
 * chooses as a new replicated write, so every replica sees it settled.
 *
 * A conflict is named by a six-digit number derived from the losing
 * version (cs_replica_conflict_number): the same on every device, so a
 * secretary and the committee can speak of "conflict 482913" on the phone.
 * Devices show by the names the hub enrolled them with (the "device"
 * table it sends), "this device" for this one, and by short id when the
 * name has not come yet (cs_device_label).
 */
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/output.h"
#include "cellsync/record.h"
#include "cellsync/schema.h"
#include "cellsync/sqlstmt.h"
#include "client.h"
#include "conflicts.h"

/* A stored value in JSON: ids in their canonical text, other blobs in hex. */
#define JSON_VALUE(x)                                                                              \
    "CASE typeof(" x ") WHEN 'blob' THEN coalesce(uuid(" x "), hex(" x ")) ELSE " x " END"
/* When a version was written: its hlc's milliseconds (the top 48 bits). */
#define LOCAL_TIME(x) "strftime('%Y-%m-%d %H:%M', (" x " >> 16) / 1000, 'unixepoch', 'localtime')"
#define UTC_TIME(x)   "strftime('%Y-%m-%dT%H:%M:%SZ', (" x " >> 16) / 1000, 'unixepoch')"

/*
 * Laid out by hand, a line per group of columns: clang-format breaks these
 * lines inside the macro calls, which hides the SQL.
 */
/* clang-format off */
static const char list_table_sql[] =
    "SELECT num, reg_table(tname) || ' ' || short_id(row), rname, reg_field(tname, cname),"
    " reg_value(tname, cname, cval), device_label(csite), " LOCAL_TIME("chlc") ","
    " reg_value(tname, cname, val), device_label(site), " LOCAL_TIME("hlc")
    " FROM x ORDER BY seq";

static const char list_json_sql[] =
    "SELECT json_group_array(json_object('conflict', num, 'table', tname, 'record', uuid(row),"
    " 'name', rname, 'column', cname, 'field', reg_field(tname, cname),"
    " 'current', json_object('value', " JSON_VALUE("cval") ", 'device', uuid(csite),"
    " 'written', " UTC_TIME("chlc") "),"
    " 'other', json_object('value', " JSON_VALUE("val") ", 'device', uuid(site),"
    " 'written', " UTC_TIME("hlc") ")))"
    " FROM (SELECT * FROM x ORDER BY seq)";
/* clang-format on */

static const char *const list_headers[] = {
    N_("conflict"), N_("record"),  N_("name"),        N_("field"),  N_("current value"),
    N_("device"),   N_("written"), N_("other value"), N_("device"), N_("written"),
};

enum { LIST_JSON, LIST__COUNT };

static int
conf_list(struct client *c, const struct verb_args *a)
{
    sqlite3_stmt *st = NULL;
    int json = a->ov[LIST_JSON] != NULL, ret = 0;
    char oerr[512];

    if (conflicts_functions(c, oerr, sizeof(oerr)) != 0 ||
        conflicts_prepare(c, "", json ? list_json_sql : list_table_sql, &st, oerr, sizeof(oerr)) !=
            0)
        return client_fail("%s", oerr);
    int rc = json ? cs_out_json(stdout, st, oerr, sizeof(oerr))
                  : cs_out_table(stdout, st, list_headers, oerr, sizeof(oerr));
    if (rc != 0)
        ret = client_fail(_("cannot list the conflicts: %s"), oerr);
    sqlite3_finalize(st);
    return ret;
}

/* ---- resolve ---- */

enum { RES_PICK, RES_VALUE, RES__COUNT };

/* Says what the field holds now, as the list shows values. */
static int
resolve_print(struct client *c, const struct resolution *r)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(c->db,
                           "SELECT reg_field(?1, ?3), reg_value(?1, ?3, val) FROM cs_version"
                           " WHERE tbl = ?1 AND row = ?2 AND col = ?3 AND state = 'current'",
                           -1, &st, NULL) != SQLITE_OK) {
        return client_fail(_("cannot read conflict %s: %s"), r->arg, sqlite3_errmsg(c->db));
    }
    sqlite3_bind_text(st, 1, r->table, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, r->row.b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->column, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *field = (const char *)sqlite3_column_text(st, 0);
        const char *shown = (const char *)sqlite3_column_text(st, 1);
        if (shown != NULL)
            /* TRANSLATORS: conflict number, record ("candidate 1a2b3c4d (name)"), field, value. */
            printf(_("resolved conflict %s: %s, %s is now '%s'\n"), r->arg, r->record, field,
                   shown);
        else
            /* TRANSLATORS: conflict number, record ("candidate 1a2b3c4d (name)"), field. */
            printf(_("resolved conflict %s: %s, %s is now empty\n"), r->arg, r->record, field);
    }
    if (r->others > 0)
        printf(_("other conflicting values of this field resolved with it: %lld\n"), r->others);
    sqlite3_finalize(st);
    return CS_EXIT_OK;
}

static int
conf_resolve(struct client *c, const struct verb_args *a)
{
    const char *pick = a->ov[RES_PICK], *text = a->ov[RES_VALUE];
    struct resolution r = {.arg = a->argv[0]};
    long long num = 0;
    int ret;

    if ((pick == NULL) == (text == NULL))
        return client_usage(_("conflicts resolve: give either --pick current|other or --value "
                              "TEXT"));
    if (pick != NULL && strcmp(pick, "current") != 0 && strcmp(pick, "other") != 0)
        return client_usage(_("conflicts resolve: --pick takes 'current' or 'other', not '%s'"),
                            pick);
    /* Digits only: strtoll would also take signs and spaces. */
    size_t digits = strspn(r.arg, "0123456789");
    if (digits == 0 || digits > 18 || r.arg[digits] != 0 || (num = strtoll(r.arg, NULL, 10)) == 0)
        return client_fail(_("'%s' is not a conflict number (see 'cellsync conflicts list')"),
                           r.arg);
    const char *record = a->argc > 1 ? a->argv[1] : NULL;
    char err[4096] = "";
    if (conflicts_functions(c, err, sizeof(err)) != 0 ||
        conflict_find(c, num, record, &r, err, sizeof(err)) != 0 ||
        conflict_choose(c, &r, pick, text, err, sizeof(err)) != 0 ||
        conflict_write(c, &r, err, sizeof(err)) != 0) {
        ret = client_fail("%s", err);
    } else {
        ret = resolve_print(c, &r);
    }
    conflict_release(&r);
    return ret;
}

static const struct cs_cli_opt list_opts[LIST__COUNT] = {
    [LIST_JSON] = {"json", 0, N_("print a JSON array instead of a table")},
};

static const struct cs_cli_opt resolve_opts[RES__COUNT] = {
    [RES_PICK] = {"pick", 1, N_("current: keep the value shown now; other: take the other value")},
    [RES_VALUE] = {"value", 1, N_("set this value instead of either (\"\" clears the field)")},
};

static const struct verb verbs[] = {
    {"list", conf_list, NULL, list_opts, LIST__COUNT, "", 0, 0,
     N_("list the fields edited on two devices at once, with both values")},
    {"resolve", conf_resolve, NULL, resolve_opts, RES__COUNT, "CONFLICT [RECORD]", 1, 2,
     N_("keep one value of a conflict, or set a new one")},
};

int
cmd_conflicts(int argc, char **argv)
{
    return run_verbs("conflicts", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
