/* SPDX-License-Identifier: MIT */
/*
 * `cellsync status`: what a secretary checks first. Which device and data
 * directory this is, how many records it holds, what the hub has not yet
 * acknowledged, when the hub was last reached, and the two things that need
 * a person: open conflicts and overdue deadlines (DESIGN.md: conflicts are
 * shown, never hidden). The overdue count is the `due` computation itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/candidate.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "cellsync/output.h"
#include "cellsync/refused.h"
#include "client.h"
#include "queries.h"

enum { OPT_JSON, OPT__COUNT };

static const struct cs_cli_opt status_opts[OPT__COUNT] = {
    [OPT_JSON] = {"json", 0, N_("print a JSON object instead of lines")},
};

/*
 * ?3 data directory, ?4 cell code, ?5 last contact (Unix seconds), ?6 open
 * conflicts, ?7 and ?8 open refusals: changes and records (cellsync/refused.h),
 * ?9 made on a disk not known to be encrypted (CS_META_UNENCRYPTED_DISK)
 */
static const char status_kv_sql[] =
    "SELECT uuid(?1), ?3, ?4, " COUNT_CANDIDATES ", " COUNT_MEMBERS ", " COUNT_MEETINGS
    ", " COUNT_UNACKED
    ", coalesce(datetime(?5, 'unixepoch', 'localtime'), ?5), ?6, ?7, ?8, " COUNT_OVERDUE;

static const char status_json_sql[] =
    "SELECT json_object('device', uuid(?1), 'home', ?3, 'org', ?4,"
    " 'candidates', " COUNT_CANDIDATES ", 'members', " COUNT_MEMBERS ", 'meetings', " COUNT_MEETINGS
    ", 'unacknowledged', " COUNT_UNACKED
    ", 'last_contact', datetime(?5, 'unixepoch'), 'conflicts', ?6, 'refused', ?7,"
    " 'refused_records', ?8, 'overdue', " COUNT_OVERDUE
    ", 'unencrypted_disk', json(iif(?9, 'true', 'false')))";

static const char *const status_labels[] = {
    N_("device"),
    N_("data directory"),
    N_("cell"),
    N_("candidates in progress"),
    N_("members"),
    N_("meetings"),
    N_("changes the hub has not acknowledged"),
    N_("last contact with the hub"),
    N_("open conflicts"),
    N_("changes the hub refused"),
    N_("records the hub refused"),
    N_("overdue deadlines"),
};

int
cmd_status(int argc, char **argv)
{
    const char *ov[OPT__COUNT];
    struct client c;
    sqlite3_stmt *st = NULL;
    char err[512] = "", org[256], contact[256];
    uint64_t conflicts = 0, refused = 0, refused_records = 0;
    int rest, ret;

    ret = client_args("status", _("usage: cellsync status [--json]"),
                      _("Shows this device, its records, the changes the hub has not yet\n"
                        "acknowledged or has refused, open conflicts and overdue deadlines."),
                      argc, argv, status_opts, OPT__COUNT, ov, &rest);
    if (ret != CS_CLI_GO_ON)
        return ret;
    if (rest != argc)
        return client_usage(_("status: unexpected argument '%s'"), argv[rest]);
    if ((ret = client_open(&c)) != 0)
        return ret;
    ret = CS_EXIT_FAILURE;

    int json = ov[OPT_JSON] != NULL;
    int has_org = cs_replica_meta_get(c.rep, CS_META_ORG, org, sizeof(org)) == 0 && org[0] != 0;
    int has_contact =
        cs_replica_meta_get(c.rep, CS_META_LAST_CONTACT, contact, sizeof(contact)) == 0 &&
        contact[0] != 0;
    long long acked = client_hub_acked(&c);
    int rc = cs_replica_conflict_count(c.rep, &conflicts);
    if (rc != 0) {
        client_fail(_("cannot count the open conflicts: %s"), cs_strerror(rc));
        goto out;
    }
    if ((rc = cs_refused_count(c.rep, &refused, &refused_records)) != 0) {
        client_fail(_("cannot count the refused changes: %s"), cs_strerror(rc));
        goto out;
    }
    if (cs_candidate_due_fill(c.db, c.today, c.hol, client_due_skipped, NULL, err, sizeof(err)) !=
        0) {
        client_fail("%s", err);
        goto out;
    }
    if (sqlite3_prepare_v2(c.db, json ? status_json_sql : status_kv_sql, -1, &st, NULL) !=
        SQLITE_OK) {
        client_fail(_("cannot read the status: %s"), sqlite3_errmsg(c.db));
        goto out;
    }
    sqlite3_bind_blob(st, 1, cs_replica_site(c.rep)->b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, acked);
    sqlite3_bind_text(st, 3, c.home, -1, SQLITE_STATIC);
    if (has_org)
        sqlite3_bind_text(st, 4, org, -1, SQLITE_STATIC);
    if (has_contact)
        sqlite3_bind_text(st, 5, contact, -1, SQLITE_STATIC);
    else if (!json)
        sqlite3_bind_text(st, 5, _("never"), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)conflicts);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)refused);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)refused_records);
    const char *disk_warning = client_disk_warning(&c);
    sqlite3_bind_int(st, 9, disk_warning != NULL);
    rc = json ? cs_out_json(stdout, st, err, sizeof(err))
              : cs_out_kv(stdout, st, status_labels, err, sizeof(err));
    if (rc != 0) {
        client_fail(_("cannot read the status: %s"), err);
        goto out;
    }
    /* The last line, in red on a terminal: the one thing here a person must act on at once. */
    if (!json && disk_warning != NULL) {
        int red = cs_out_color(stdout);
        printf("%s%s%s\n", red ? CS_OUT_RED : "", disk_warning, red ? CS_OUT_PLAIN : "");
    }
    ret = CS_EXIT_OK;
out:
    sqlite3_finalize(st);
    client_close(&c);
    return ret;
}
