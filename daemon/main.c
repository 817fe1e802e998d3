/* SPDX-License-Identifier: MIT */
/*
 * cellsyncd, the hub daemon. The table below is the whole command set;
 * each command lives in its own cmd_<verb>.c as it is written.
 */
#include "cellsync/cli.h"
#include "cellsync/i18n.h"

static const struct cs_cmd commands[] = {
    {"help", NULL, N_("show help for cellsyncd or one of its commands"), "[<command>]"},
    {"version", NULL, N_("print the version"), ""},
};

static const struct cs_cli cli = {
    "cellsyncd",
    N_("The hub daemon: merges the change sets of the cells it serves and sends\n"
       "the hub's changes back, over TCP or on USB-stick bundles."),
    commands,
    sizeof(commands) / sizeof(commands[0]),
};

int
main(int argc, char **argv)
{
    return cs_cli_main(&cli, argc, argv);
}
