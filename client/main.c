/* SPDX-License-Identifier: MIT */
/*
 * cellsync, the field client. The table below is the whole command set;
 * each command lives in its own cmd_<verb>.c.
 */
#include <sqlite3.h>

#include "cellsync/cli.h"
#include "cellsync/i18n.h"
#include "commands.h"

static const struct cs_cmd commands[] = {
    {"init", cmd_init, N_("create this device's key and record store"),
     "[--org CODE] [--unencrypted-disk]"},
    {"candidate", cmd_candidate, N_("record candidates and move them through the admission steps"),
     "add|list|show|edit|advance|withdraw"},
    {"member", cmd_member, N_("add, list, show and edit the members of the cell"),
     "add|list|show|edit"},
    {"meeting", cmd_meeting, N_("record meetings, attendance and assessments of candidates"),
     "add|list|show|assess|attend"},
    {"import", cmd_import, N_("add the members or candidates of a spreadsheet, checked row by row"),
     "members|candidates FILE [--check] [--skip-bad] [--duplicate-ok] [--force --reason TEXT]"},
    {"search", cmd_search, N_("find candidates, members and meetings by words"),
     "[--json] TEXT..."},
    {"due", cmd_due, N_("list the deadlines of the admission procedure, soonest first"),
     "[--json] [--within DAYS]"},
    {"holidays", cmd_holidays, N_("list the holidays this computer counts deadlines with"),
     "[--year YEAR] [--json]"},
    {"status", cmd_status, N_("show this device, its records, unsent changes and conflicts"),
     "[--json]"},
    {"conflicts", cmd_conflicts, N_("list and resolve fields edited on two devices at once"),
     "list [--json] | resolve CONFLICT (--pick current|other | --value TEXT)"},
    {"target", cmd_target, N_("show the admission targets the committee set"), "list [--json]"},
    {"key", cmd_key, N_("seal this device's key with a passphrase, change it, or take it off"),
     "passphrase [--remove]"},
    {"enroll", cmd_enroll, N_("bind this device to its hub with an enrollment file or code"),
     "FILE | --code CODE --hub HOST[:PORT] [--name NAME]"},
    {"sync", cmd_sync, N_("send this device's changes to the hub and receive the hub's"),
     "[--hub HOST[:PORT]] [--timeout SECONDS] [--quiet]"},
    {"bundle", cmd_bundle, N_("carry changes to and from the hub on a USB stick"),
     "export FILE | import REPLY [--quiet]"},
    {"report", cmd_report, N_("report on this unit's targets, candidates, deadlines and members"),
     "KIND [--org ID] [--year YEAR] [--format table|json|csv|html|xlsx] [--out FILE]"},
    {"ui", cmd_ui, N_("open the web pages of cellsync in this computer's browser"),
     "[--no-browser] [--port N]"},
    {"help", NULL, N_("show help for cellsync or one of its commands"), "[<command>]"},
    {"version", NULL, N_("print the version"), ""},
};

static const struct cs_cli cli = {
    "cellsync",
    N_("The field client: keeps a cell's membership records on this computer and\n"
       "syncs them with the hub whenever a link comes up."),
    commands,
    sizeof(commands) / sizeof(commands[0]),
};

int
main(int argc, char **argv)
{
    /*
     * One thread and one connection: SQLite's mutexes and its count of
     * allocated memory (a mutex per malloc) are not needed, and cost 12%
     * of the instructions of `candidate add` (BENCHMARKS.md, section 6).
     * Before any other SQLite call, or SQLite ignores it.
     */
    sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return cs_cli_main(&cli, argc, argv);
}
