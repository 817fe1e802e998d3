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
#include "client.h"

enum { OPT_ORG, OPT__COUNT };
static const struct cs_cli_opt init_opts[OPT__COUNT] = {
    [OPT_ORG] = {"org", 1, N_("the code of this cell, as the organisation committee writes it")},
};

/* Makes the data directory, this device's key pair and its empty replica. */
int
client_init(const char *org)
{
    struct client c = {0};
    char key_path[PATH_MAX + 32], pub_path[PATH_MAX + 32], db_path[PATH_MAX + 32], err[512];
    struct cs_key *k = NULL;
    struct cs_replica *r = NULL;
    struct cs_id site;
    int ret;

    if (client_home(c.home, sizeof(c.home)) != 0)
        return CS_EXIT_FAILURE;
    client_path(&c, CLIENT_KEY, key_path, sizeof(key_path));
    client_path(&c, CLIENT_PUB, pub_path, sizeof(pub_path));
    client_path(&c, CLIENT_REPLICA, db_path, sizeof(db_path));
    if (access(db_path, F_OK) == 0 || access(key_path, F_OK) == 0)
        return client_fail(_("'%s' already holds this device's records; nothing was changed"),
                           c.home);
    /* Mode 0700: the records are personal data. */
    if ((ret = cs_file_mkdirs(c.home, 0700)) != 0)
        return client_fail(_("cannot create '%s': %s"), c.home, cs_strerror(ret));
    if ((ret = cs_key_generate(&k)) != 0 || (ret = cs_key_save(k, key_path, err, sizeof(err))) ||
        (ret = cs_pk_save(cs_key_pk(k), pub_path, err, sizeof(err)))) {
        unlink(key_path);
        cs_key_free(k);
        return client_fail("%s", ret == CS_ECRYPTO ? cs_strerror(ret) : err);
    }
    cs_key_id(k, &site);
    cs_key_free(k);
    if ((ret = cs_replica_open(&r, db_path, CS_REPLICA_CREATE, &site, err, sizeof(err))) != 0 ||
        (org != NULL && (ret = cs_replica_meta_set(r, CS_META_ORG, org)) != 0)) {
        cs_replica_close(r);
        unlink(db_path);
        unlink(key_path);
        unlink(pub_path);
        return client_fail("%s", err[0] ? err : cs_strerror(ret));
    }
    /*
     * The new store's tables go into the database file now, so the first
     * commands start with an empty log (see checkpoint_if_long in common.c).
     */
    sqlite3_wal_checkpoint_v2(cs_replica_db(r), NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    cs_replica_close(r);
    char hex[CS_ID_HEX_LEN + 1];
    cs_id_to_hex(&site, hex);
    printf(_("created the records of device %s in %s\n"), hex, c.home);
    return CS_EXIT_OK;
}

int
cmd_init(int argc, char **argv)
{
    const char *ov[OPT__COUNT];
    int rest, ret;

    ret = client_args("init", _("usage: cellsync init [--org CODE]"),
                      _("Creates this device's key and its empty record store in $CELLSYNC_HOME\n"
                        "(default ~/.local/share/cellsync)."),
                      argc, argv, init_opts, OPT__COUNT, ov, &rest);
    if (ret != CS_CLI_GO_ON)
        return ret;
    if (rest != argc)
        return client_usage(_("init: unexpected argument '%s'"), argv[rest]);
    return client_init(ov[OPT_ORG]);
}
