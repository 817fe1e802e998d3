/* SPDX-License-Identifier: MIT */
/*
 * `cellsync init`: makes the data directory, this device's key pair and an
 * empty replica whose origin id is the key's id. It never overwrites: a
 * second init on the same directory stops and says where the records are.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellsync/error.h"
#include "cellsync/file.h"
#include "cellsync/i18n.h"
#include "cellsync/key.h"
#include "cellsync/meta.h"
#include "cellsync/validate.h"
#include "client.h"

enum { OPT_ORG, OPT_UNENCRYPTED, OPT__COUNT };
static const struct cs_cli_opt init_opts[OPT__COUNT] = {
    [OPT_ORG] = {"org", 1, N_("the code of this cell, as the organisation committee writes it")},
    [OPT_UNENCRYPTED] = {"unencrypted-disk", 0,
                         N_("make the records even though the disk is not encrypted (only when "
                            "the district IT officer says so)")},
};

/*
 * The refusal of a disk not known to be encrypted (client_disk_check()):
 * what is wrong, for the secretary; the front end says what to do.
 */
static int
disk_refusal(const char *home, char *err, size_t errlen)
{
    char dev[256];

    switch (client_disk_check(home, dev, sizeof(dev))) {
    case CLIENT_DISK_CRYPT:
        return 0;
    case CLIENT_DISK_PLAIN:
        return cs_errf(err, errlen, CS_EINVAL,
                       _("the disk of this computer is not encrypted ('%s' is on %s): anyone who "
                         "takes this computer could read the records; nothing was made"),
                       home, dev);
    case CLIENT_DISK_NODEV:
        return cs_errf(err, errlen, CS_EINVAL,
                       _("cannot tell whether the disk of this computer is encrypted: '%s' is on "
                         "a filesystem with no disk of its own (such as tmpfs, overlay or btrfs); "
                         "nothing was made"),
                       home);
    default:
        return cs_errf(err, errlen, CS_EINVAL,
                       _("cannot tell whether the disk of this computer is encrypted: the system "
                         "does not say what '%s' is on (no %s/dev/block); nothing was made"),
                       home, client_sysfs());
    }
}

const char *
client_disk_warning(struct client *c)
{
    char v[8] = "";
    if (c->rep == NULL ||
        cs_replica_meta_get(c->rep, CS_META_UNENCRYPTED_DISK, v, sizeof(v)) != 0 ||
        strcmp(v, "1") != 0)
        return NULL;
    return _("WARNING: the records are on a disk that is not encrypted: anyone who takes this "
             "computer can read them. Ask the district IT officer to install it with an "
             "encrypted disk.");
}

int
client_init(const char *home, const char *org, unsigned flags, struct cs_id *site, char *err,
            size_t errlen)
{
    struct client c = {0};
    char key_path[PATH_MAX + 32], pub_path[PATH_MAX + 32], db_path[PATH_MAX + 32];
    struct cs_key *k = NULL;
    struct cs_replica *r = NULL;
    int ret;

    snprintf(c.home, sizeof(c.home), "%s", home);
    err[0] = 0;
    client_path(&c, CLIENT_KEY, key_path, sizeof(key_path));
    client_path(&c, CLIENT_PUB, pub_path, sizeof(pub_path));
    client_path(&c, CLIENT_REPLICA, db_path, sizeof(db_path));
    if (access(db_path, F_OK) == 0 || access(key_path, F_OK) == 0)
        return cs_errf(err, errlen, CS_EEXISTS,
                       _("'%s' already holds this device's records; nothing was changed"), home);
    /* Before anything is made: a refusal leaves no directory behind. */
    if (!(flags & CLIENT_INIT_UNENCRYPTED_DISK) && (ret = disk_refusal(home, err, errlen)) != 0)
        return ret;
    /* Mode 0700: the records are personal data. */
    if ((ret = cs_file_mkdirs(home, 0700)) != 0)
        return cs_errf(err, errlen, ret, _("cannot create '%s': %s"), home, cs_strerror(ret));
    if ((ret = cs_key_generate(&k)) != 0 || (ret = cs_key_save(k, key_path, err, errlen)) ||
        (ret = cs_pk_save(cs_key_pk(k), pub_path, err, errlen))) {
        unlink(key_path);
        cs_key_free(k);
        return ret == CS_ECRYPTO ? cs_errf(err, errlen, ret, "%s", cs_strerror(ret)) : ret;
    }
    cs_key_id(k, site);
    cs_key_free(k);
    if ((ret = cs_replica_open(&r, db_path, CS_REPLICA_CREATE, site, err, errlen)) != 0 ||
        (org != NULL && (ret = cs_replica_meta_set(r, CS_META_ORG, org)) != 0) ||
        ((flags & CLIENT_INIT_UNENCRYPTED_DISK) &&
         (ret = cs_replica_meta_set(r, CS_META_UNENCRYPTED_DISK, "1")) != 0)) {
        cs_replica_close(r);
        unlink(db_path);
        unlink(key_path);
        unlink(pub_path);
        return err[0] ? ret : cs_errf(err, errlen, ret, "%s", cs_strerror(ret));
    }
    /* The indexes each person recorded is checked by (client_open() adds them to older stores). */
    cs_person_index(cs_replica_db(r));
    /*
     * The new store's tables go into the database file now, so the first
     * commands start with an empty log (see checkpoint_if_long in home.c).
     */
    sqlite3_wal_checkpoint_v2(cs_replica_db(r), NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    cs_replica_close(r);
    return 0;
}

int
cmd_init(int argc, char **argv)
{
    const char *ov[OPT__COUNT];
    char home[PATH_MAX], err[512], hex[CS_ID_HEX_LEN + 1];
    struct cs_id site;
    int rest, ret;

    ret = client_args("init", _("usage: cellsync init [--org CODE] [--unencrypted-disk]"),
                      _("Creates this device's key and its empty record store in $CELLSYNC_HOME\n"
                        "(default ~/.local/share/cellsync)."),
                      argc, argv, init_opts, OPT__COUNT, ov, &rest);
    if (ret != CS_CLI_GO_ON)
        return ret;
    if (rest != argc)
        return client_usage(_("init: unexpected argument '%s'"), argv[rest]);
    if (client_home(home, sizeof(home)) != 0)
        return CS_EXIT_FAILURE;
    unsigned flags = ov[OPT_UNENCRYPTED] != NULL ? CLIENT_INIT_UNENCRYPTED_DISK : 0;
    if ((ret = client_init(home, ov[OPT_ORG], flags, &site, err, sizeof(err))) != 0) {
        client_fail("%s", err);
        if (ret == CS_EINVAL)
            fputs(_("What to do: ask the district IT officer to install this computer with an "
                    "encrypted disk (see 'man cellsync'). Only if the officer says the records may "
                    "stay on this disk, run 'cellsync init --unencrypted-disk'.\n"),
                  stderr);
        return CS_EXIT_FAILURE;
    }
    cs_id_to_hex(&site, hex);
    printf(_("created the records of device %s in %s\n"), hex, home);
    return CS_EXIT_OK;
}
