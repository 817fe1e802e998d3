/* SPDX-License-Identifier: MIT */
/*
 * `cellsync target list`: the admission targets the committee set for this
 * unit (they arrive with sync; the cell cannot change them), with how many
 * of this year's admission decisions the cell has reached so far.
 */
#include <stdio.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/output.h"
#include "client.h"

enum { OPT_JSON, OPT_YEAR, OPT__COUNT };
static const struct cs_cli_opt list_opts[OPT__COUNT] = {
    [OPT_JSON] = {"json", 0, N_("print JSON")},
    [OPT_YEAR] = {"year", 1, N_("only this year")},
};

/* Decisions in the target's year and unit count as admitted. */
#define ADMITTED                                                                                   \
    "(SELECT count(*) FROM candidate k WHERE k.cl % 2 = 1 AND k.org_unit = t.org_unit"             \
    " AND substr(k.decision_on, 1, 4) = printf('%d', t.year))"

static int
target_list(struct client *c, const struct verb_args *a)
{
    int json = a->ov[OPT_JSON] != NULL;
    sqlite3_stmt *st = NULL;
    char err[512];
    long year = 0;
    /* A year typed wrong would list nothing and look like "no targets". */
    if (a->ov[OPT_YEAR] != NULL &&
        cs_cli_number("year", a->ov[OPT_YEAR], CS_CLI_YEAR, CS_CLI_YEAR_MIN, CS_CLI_YEAR_MAX, &year,
                      err, sizeof(err)) != 0)
        return client_usage(_("target list: %s"), err);
    static const char where[] = " FROM target t WHERE t.cl % 2 = 1 AND (?1 IS NULL OR t.year = ?1)";
    char sql[1024];
    if (json)
        snprintf(sql, sizeof(sql),
                 "SELECT json_group_array(json_object('org_unit', org_unit, 'year', year,"
                 " 'admissions', admissions, 'students', students, 'non_state_workers',"
                 " non_state_workers, 'admitted', admitted)) FROM (SELECT t.*, %s AS admitted%s"
                 " ORDER BY t.year DESC, t.org_unit)",
                 ADMITTED, where);
    else
        snprintf(sql, sizeof(sql),
                 "SELECT t.org_unit, t.year, t.admissions, %s, t.students, t.non_state_workers%s"
                 " ORDER BY t.year DESC, t.org_unit",
                 ADMITTED, where);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return client_fail("%s", sqlite3_errmsg(c->db));
    if (a->ov[OPT_YEAR] != NULL)
        sqlite3_bind_int64(st, 1, year);
    static const char *const headers[] = {N_("unit"),     N_("year"),     N_("target"),
                                          N_("admitted"), N_("students"), N_("non-state")};
    int ret = json ? cs_out_json(stdout, st, err, sizeof(err))
                   : cs_out_table(stdout, st, headers, err, sizeof(err));
    sqlite3_finalize(st);
    return ret == 0 ? CS_EXIT_OK : client_fail("%s", err);
}

static const struct verb verbs[] = {
    {"list", target_list, NULL, list_opts, OPT__COUNT, "", 0, 0,
     N_("list this unit's admission targets and how far the cell has come")},
};

int
cmd_target(int argc, char **argv)
{
    return run_verbs("target", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
