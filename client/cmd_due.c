/* SPDX-License-Identifier: MIT */
/*
 * `cellsync due`: the deadlines of the admission procedure that run for the
 * cell's candidates (ceremony within 30 working days of the decision, end
 * of probation, conversion, ...), soonest first, overdue ones marked (in
 * bold red at a terminal that takes colours). The
 * dates come from the rules in C (cs_candidate_due_fill), so they are put in a
 * temporary table and both the table and the JSON are printed from there.
 */
#include <stdlib.h>
#include <string.h>

#include "cellsync/candidate.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/output.h"
#include "client.h"
#include "queries.h"

enum { OPT_JSON, OPT_WITHIN, OPT__COUNT };

static const struct cs_cli_opt due_opts[OPT__COUNT] = {
    [OPT_JSON] = {"json", 0, N_("print a JSON array instead of a table")},
    [OPT_WITHIN] = {"within", 1, N_("only deadlines within this many days (overdue ones always)")},
};

static const char due_table_sql[] = "SELECT short_id(candidate), name, kind_label, due, days_left,"
                                    " CASE WHEN days_left < 0 THEN ?2 END FROM (" DUE_ROWS ")";

static const char due_json_sql[] =
    "SELECT json_group_array(json_object('id', uuid(candidate), 'name', name, 'kind', kind,"
    " 'deadline', kind_label, 'due', due, 'days_left', days_left,"
    " 'overdue', json(CASE WHEN days_left < 0 THEN 'true' ELSE 'false' END)))"
    " FROM (" DUE_ROWS ")";

static const char *const due_headers[] = {
    N_("id"), N_("name"), N_("deadline"), N_("due"), N_("days left"), N_("note"),
};

int
cmd_due(int argc, char **argv)
{
    const char *ov[OPT__COUNT];
    struct client c;
    sqlite3_stmt *st = NULL;
    char err[512] = "";
    long within = -1;
    int rest, ret;

    ret = client_args("due", _("usage: cellsync due [--json] [--within DAYS]"),
                      _("Lists the deadlines of the admission procedure for every candidate in\n"
                        "progress, soonest first; overdue ones are marked."),
                      argc, argv, due_opts, OPT__COUNT, ov, &rest);
    if (ret != CS_CLI_GO_ON)
        return ret;
    if (rest != argc)
        return client_usage(_("due: unexpected argument '%s'"), argv[rest]);
    if (ov[OPT_WITHIN] != NULL && cs_cli_number("within", ov[OPT_WITHIN], CS_CLI_DAYS, 0, 100000,
                                                &within, err, sizeof(err)) != 0)
        return client_usage(_("due: %s"), err);
    if ((ret = client_open(&c)) != 0)
        return ret;
    ret = CS_EXIT_FAILURE;
    if (cs_candidate_due_fill(c.db, c.today, c.hol, client_due_skipped, NULL, err, sizeof(err)) !=
        0) {
        client_fail("%s", err);
        goto out;
    }
    int json = ov[OPT_JSON] != NULL;
    if (sqlite3_prepare_v2(c.db, json ? due_json_sql : due_table_sql, -1, &st, NULL) != SQLITE_OK) {
        client_fail(_("cannot list the deadlines: %s"), sqlite3_errmsg(c.db));
        goto out;
    }
    if (within >= 0)
        sqlite3_bind_int64(st, 1, within);
    /* At a terminal the overdue note stands out in bold red; a pipe gets the word alone. */
    char note[128];
    if (cs_out_color(stdout))
        snprintf(note, sizeof(note), "%s%s%s", CS_OUT_RED, _("overdue"), CS_OUT_PLAIN);
    else
        snprintf(note, sizeof(note), "%s", _("overdue"));
    if (!json)
        sqlite3_bind_text(st, 2, note, -1, SQLITE_TRANSIENT);
    int rc = json ? cs_out_json(stdout, st, err, sizeof(err))
                  : cs_out_table(stdout, st, due_headers, err, sizeof(err));
    if (rc != 0) {
        client_fail(_("cannot list the deadlines: %s"), err);
        goto out;
    }
    ret = CS_EXIT_OK;
out:
    sqlite3_finalize(st);
    client_close(&c);
    return ret;
}
