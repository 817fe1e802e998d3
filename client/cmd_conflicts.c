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
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "client.h"
#include "conflicts.h"

enum { LIST_JSON, LIST__COUNT };

static int
conf_list(struct client *c, const struct verb_args *a)
{
    char err[512];

    if (conflicts_print(c, a->ov[LIST_JSON] != NULL, err, sizeof(err)) != 0)
        return client_fail("%s", err);
    return CS_EXIT_OK;
}

/* ---- resolve ---- */

enum { RES_PICK, RES_VALUE, RES__COUNT };

static int
conf_resolve(struct client *c, const struct verb_args *a)
{
    struct resolution r = {.arg = a->argv[0]};
    long long num = 0;
    char err[4096] = "";
    int ret;

    if ((ret = conflict_args(c->prog, r.arg, a->ov[RES_PICK], a->ov[RES_VALUE], &num, err,
                             sizeof(err))) != CS_EXIT_OK)
        return ret == CS_EXIT_USAGE ? client_usage("%s", err) : client_fail("%s", err);
    if (conflict_resolve(c, num, a->argc > 1 ? a->argv[1] : NULL, &r, a->ov[RES_PICK],
                         a->ov[RES_VALUE], err, sizeof(err)) != 0)
        return client_fail("%s", err);
    return CS_EXIT_OK;
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
