/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd key rotate`: a new hub key, signed over by the old one
 * (cellsync/rotation.h, keys.c); devices move to it at their next contact.
 * `cellsyncd key retire-old`: deletes the retired keys once no active
 * device pins one. Both take the serve lock (ops.h), so they refuse while
 * `cellsyncd serve` runs: a serving hub loads its keys once, at its start,
 * and must be started again to use the new ones.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cellsync/cli.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "commands.h"
#include "hub.h"
#include "ops.h"
#include "upstream.h"

static void
usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n",
            _("usage: cellsyncd key rotate [--state DIR] [--config FILE]\n"
              "       cellsyncd key retire-old [--force] [--state DIR] [--config FILE]"),
            _("rotate makes a new hub key and a statement the old key signs: each device\n"
              "checks it and moves to the new key at its next sync or reply bundle. The old\n"
              "secret key is kept in hub-old/ so devices that have not moved yet can still\n"
              "sync. Whoever stole the old key can sign a rotation too: rotate as soon as\n"
              "the key may have been exposed, and retire the old key once every device has\n"
              "moved. Enrollments still open no longer work and must be made again.\n"
              "retire-old deletes the retired keys; it refuses, naming them, while an\n"
              "active device still trusts one, unless --force (such a device must then be\n"
              "enrolled again).\n"
              "Both refuse while 'cellsyncd serve' runs: stop it first (systemctl stop\n"
              "cellsyncd) and start it again after."),
            _("options:\n"
              "  --force        retire-old: delete even while devices still trust a retired key\n"
              "  --state DIR    the state directory (default /var/lib/cellsyncd)\n"
              "  --config FILE  the configuration file (default /etc/cellsync/cellsyncd.conf)\n"
              "  --help         show this help"));
}

/* The devices, not revoked, that still pin a retired key (kept or not). */
struct pinned {
    struct hub *h;
    size_t n;
    int print;
};

static int
pinned_one(void *ud, const struct hub_device *d)
{
    struct pinned *p = ud;
    uint8_t pk[CS_PK_LEN];
    char hex[CS_ID_HEX_LEN + 1], key[17];
    if (d->revoked_at != 0 || hub_device_pin(p->h, d, pk) != 0 ||
        hub_pin_state(p->h, pk) == HUB_PIN_CURRENT)
        return 0;
    p->n++;
    if (p->print) {
        cs_id_to_hex(&d->id, hex);
        sodium_bin2hex(key, sizeof(key), pk, 8);
        fprintf(stderr, _("  device %s (%s, unit %s) still trusts the hub key %s\n"), hex,
                d->name[0] ? d->name : "-", d->org, key);
    }
    return 0;
}

static int
key_rotate(const struct conf *conf)
{
    struct hub *h = NULL;
    char err[1024];
    uint8_t pk[CS_PK_LEN];
    long long voided = 0;

    if (hub_open(&h, conf->state, err, sizeof(err)) != 0)
        return cmd_fail("%s", err);
    /*
     * A hub below another is a device of the hub above, known there by this
     * key, and its own writes carry its first key's id: a new key would be
     * a stranger there. Not yet: it is enrolled again instead.
     */
    struct device up;
    int below = hub_upstream_open(h, &up, err, sizeof(err)) == 0;
    device_release(&up);
    if (below) {
        hub_close(h);
        return cmd_fail("%s",
                        _("this hub syncs up to a hub above, which knows it by this key: "
                          "rotating the key of a hub below another is not supported yet; "
                          "if the key was exposed, have the hub above revoke it and make "
                          "this hub again with a new enrollment (cellsyncd init --upstream)"));
    }
    int ret = hub_key_rotate(h, pk, &voided, err, sizeof(err));
    hub_close(h);
    if (ret != 0)
        return cmd_fail("%s", err);
    char hex[17];
    sodium_bin2hex(hex, sizeof(hex), pk, 8);
    printf(_("rotated the hub key in '%s': the new key is %s, signed by the old one; devices "
             "move to it at their next sync or reply bundle\n"),
           conf->state, hex);
    if (voided > 0)
        printf(_("%lld enrollments still open no longer work: make them again with 'cellsyncd "
                 "enroll'\n"),
               voided);
    printf("%s\n", _("start cellsyncd again to serve with the new key"));
    return CS_EXIT_OK;
}

static int
key_retire(const struct conf *conf, int force)
{
    struct hub *h = NULL;
    char err[1024];
    size_t removed = 0;

    if (hub_open(&h, conf->state, err, sizeof(err)) != 0)
        return cmd_fail("%s", err);
    struct pinned p = {h, 0, 1};
    int ret = hub_devices_each(h, pinned_one, &p, err, sizeof(err));
    if (ret != 0) {
        hub_close(h);
        return cmd_fail("%s", err);
    }
    if (p.n > 0 && !force) {
        hub_close(h);
        return cmd_fail(_("%zu active devices still trust a retired hub key (listed above): "
                          "nothing was deleted; let them sync or import a reply first, or give "
                          "--force (they must then be enrolled again)"),
                        p.n);
    }
    ret = hub_key_retire(h, &removed, err, sizeof(err));
    hub_close(h);
    if (ret != 0)
        return cmd_fail("%s", err);
    char dir[PATH_MAX];
    if (ops_path(dir, sizeof(dir), conf->state, HUB_OLD_DIR) == 0 && removed > 0)
        ops_sync_dir(dir, err, sizeof(err));
    printf(_("deleted %zu retired hub keys from '%s/%s'\n"), removed, conf->state, HUB_OLD_DIR);
    if (p.n > 0)
        printf(_("%zu devices that still trusted one must be enrolled again\n"), p.n);
    return CS_EXIT_OK;
}

int
cmd_key(int argc, char **argv)
{
    enum { OPT_FORCE, OPT__COUNT };
    static const struct cs_cli_opt opts[OPT__COUNT] = {[OPT_FORCE] = {"force", 0, NULL}};
    const char *ov[OPT__COUNT], *sopt[CMD_STATE__COUNT];
    struct conf conf;
    char err[1024];
    int rest, lock = -1;

    int done = cmd_args("key", argc, argv, usage, opts, OPT__COUNT, ov, sopt, &rest);
    if (done != CS_CLI_GO_ON)
        return done;
    if (argc - rest != 1)
        return cmd_usage_error("key", "%s", _("give one action: rotate or retire-old"));
    const char *what = argv[rest];
    int rotate = strcmp(what, "rotate") == 0;
    if (!rotate && strcmp(what, "retire-old") != 0)
        return cmd_usage_error("key", _("unknown action '%s': rotate or retire-old"), what);
    if (rotate && ov[OPT_FORCE] != NULL)
        return cmd_usage_error("key", "%s", _("--force goes with retire-old only"));
    if (cmd_config(&conf, sopt) != 0)
        return CS_EXIT_FAILURE;
    int rc = ops_lock(conf.state, &lock, err, sizeof(err));
    if (rc == CS_EBUSY)
        return cmd_fail(_("cannot change the hub key in '%s': a cellsyncd is serving it; stop it "
                          "first (systemctl stop cellsyncd) and start it again after"),
                        conf.state);
    if (rc != 0)
        return cmd_fail("%s", err);
    int ret = rotate ? key_rotate(&conf) : key_retire(&conf, ov[OPT_FORCE] != NULL);
    close(lock);
    return ret;
}
