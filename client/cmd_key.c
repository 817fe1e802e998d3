/* SPDX-License-Identifier: MIT */
/*
 * `cellsync key passphrase`: seals this device's key with a passphrase,
 * changes it, or (--remove) takes it off (review F4). The key is loaded as
 * every command loads it (the current passphrase asked if it is sealed) and
 * written again in place, atomically: a wrong current passphrase, or two new
 * ones that differ, change nothing.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/key.h"
#include "client.h"

enum { OPT_REMOVE, OPT__COUNT };
static const struct cs_cli_opt pass_opts[OPT__COUNT] = {
    [OPT_REMOVE] = {"remove", 0, N_("take the passphrase off: the key is kept unsealed")},
};

/* The new passphrase: from $CELLSYNC_NEW_PASSPHRASE_FD or _PASSPHRASE, or typed twice. */
static int
new_pass(char *buf, size_t *len, char *err, size_t errlen)
{
    char *again = sodium_malloc(CS_KEY_PASS_MAX);
    size_t again_len = 0;
    int ret;

    if (again == NULL)
        return cs_errf(err, errlen, CS_ENOMEM, "%s", cs_strerror(CS_ENOMEM));
    ret = client_pass_ask("CELLSYNC_NEW_PASSPHRASE_FD", "CELLSYNC_NEW_PASSPHRASE",
                          _("New passphrase: "), buf, CS_KEY_PASS_MAX, len, err, errlen);
    if (ret == 0 && *len == 0)
        ret = cs_errf(err, errlen, CS_EINVAL, "%s", _("the new passphrase is empty"));
    /* Typed without seeing it: a second time, to be sure it is what was meant. */
    if (ret == 0 && getenv("CELLSYNC_NEW_PASSPHRASE_FD") == NULL &&
        getenv("CELLSYNC_NEW_PASSPHRASE") == NULL) {
        ret = client_pass_ask("CELLSYNC_NEW_PASSPHRASE_FD", "CELLSYNC_NEW_PASSPHRASE",
                              _("The new passphrase again: "), again, CS_KEY_PASS_MAX, &again_len,
                              err, errlen);
        if (ret == 0 && (again_len != *len || sodium_memcmp(again, buf, *len) != 0))
            ret = cs_errf(err, errlen, CS_EINVAL, "%s", _("the two passphrases differ"));
    }
    sodium_free(again);
    return ret;
}

static int
key_passphrase(struct client *c, const struct verb_args *a)
{
    char path[PATH_MAX + 32], err[512];
    struct cs_key *k = NULL;
    char *pass = NULL;
    size_t len = 0;
    int remove = a->ov[OPT_REMOVE] != NULL, ret = CS_EXIT_FAILURE;

    client_path(c, CLIENT_KEY, path, sizeof(path));
    if (cs_key_load_pass(&k, path, &client_pass, err, sizeof(err)) != 0) {
        client_fail(_("%s; nothing was changed"), err);
        goto out;
    }
    if (!remove) {
        if ((pass = sodium_malloc(CS_KEY_PASS_MAX)) == NULL) {
            client_fail("%s", cs_strerror(CS_ENOMEM));
            goto out;
        }
        if (new_pass(pass, &len, err, sizeof(err)) != 0) {
            client_fail(_("%s; nothing was changed"), err);
            goto out;
        }
    }
    if (cs_key_save_pass(k, path, pass, len, CS_KEY_REPLACE, err, sizeof(err)) != 0) {
        client_fail(_("%s; nothing was changed"), err);
        goto out;
    }
    puts(remove ? _("the key of this device is no longer sealed with a passphrase")
                : _("the key of this device is sealed with the new passphrase: it is asked for "
                    "each sync and USB stick, and once each time the web pages start"));
    ret = CS_EXIT_OK;
out:
    sodium_free(pass);
    cs_key_free(k);
    return ret;
}

static const struct verb verbs[] = {
    {"passphrase", key_passphrase, NULL, pass_opts, OPT__COUNT, "", 0, 0,
     N_("seal this device's key with a passphrase, change it, or take it off")},
};

int
cmd_key(int argc, char **argv)
{
    return run_verbs("key", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
