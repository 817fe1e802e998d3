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

int
client_init(const char *home, const char *org, struct cs_id *site, char *err, size_t errlen)
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
        (org != NULL && (ret = cs_replica_meta_set(r, CS_META_ORG, org)) != 0)) {
        cs_replica_close(r);
        unlink(db_path);
        unlink(key_path);
        unlink(pub_path);
        return err[0] ? ret : cs_errf(err, errlen, ret, "%s", cs_strerror(ret));
    }
    /*
     * The new store's tables go into the database file now, so the first
     * commands start with an empty log (see checkpoint_if_long in common.c).
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

    ret = client_args("init", _("usage: cellsync init [--org CODE]"),
                      _("Creates this device's key and its empty record store in $CELLSYNC_HOME\n"
                        "(default ~/.local/share/cellsync)."),
                      argc, argv, init_opts, OPT__COUNT, ov, &rest);
    if (ret != CS_CLI_GO_ON)
        return ret;
    if (rest != argc)
        return client_usage(_("init: unexpected argument '%s'"), argv[rest]);
    if (client_home(home, sizeof(home)) != 0)
        return CS_EXIT_FAILURE;
    if (client_init(home, ov[OPT_ORG], &site, err, sizeof(err)) != 0)
        return client_fail("%s", err);
    cs_id_to_hex(&site, hex);
    printf(_("created the records of device %s in %s\n"), hex, home);
    return CS_EXIT_OK;
}
