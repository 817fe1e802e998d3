/* SPDX-License-Identifier: MIT */
/* The subcommands of cellsync, one cmd_<verb>.c each. */
#ifndef CELLSYNC_CLIENT_COMMANDS_H
#define CELLSYNC_CLIENT_COMMANDS_H

int cmd_init(int argc, char **argv);
int cmd_candidate(int argc, char **argv);
int cmd_member(int argc, char **argv);
int cmd_meeting(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_due(int argc, char **argv);
int cmd_holidays(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_conflicts(int argc, char **argv);
int cmd_enroll(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_target(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_ui(int argc, char **argv);
int cmd_key(int argc, char **argv);

#endif
