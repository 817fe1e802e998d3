/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd backup DIR`: a copy of the hub's state that can serve the same
 * devices again, taken while `cellsyncd serve` may be running. DIR is a new
 * directory with replica.db, hub.key (0600) and hub.pub: without its key a
 * hub cannot answer the devices that pinned it, so a database copy alone
 * would not be a backup.
 *
 * The database goes through SQLite's online backup API in one step: one
 * read transaction, so one consistent snapshot, and in WAL mode the daemon
 * keeps writing meanwhile (a page-by-page backup would start over after
 * each of its writes). The copy is switched to a rollback journal, so it is
 * one self-contained file, and must pass PRAGMA integrity_check. Everything
 * is written into DIR.tmp-PID, synced, and renamed to DIR last: a failed or
 * interrupted backup never leaves a DIR that looks complete.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellsync/cli.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "commands.h"
#include "hub.h"
#include "ops.h"

#define BUSY_TRIES 100 /* times 100 ms: how long a locked source may hold us up */

static void
usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n", _("usage: cellsyncd backup DIR [--state DIR] [--config FILE]"),
            _("Copies the hub's state into DIR, a new directory: replica.db (a consistent\n"
              "copy, taken while 'cellsyncd serve' may be running), hub.key and hub.pub.\n"
              "The copy must pass an integrity check before DIR appears. Whoever has DIR\n"
              "can act as the hub: keep it as safe as hub.key. 'cellsyncd restore DIR'\n"
              "puts it back."),
            _("options:\n"
              "  --state DIR    the state directory (default /var/lib/cellsyncd)\n"
              "  --config FILE  the configuration file (default /etc/cellsync/cellsyncd.conf)\n"
              "  --help         show this help"));
}

/* The online copy of from into the new database to, as a one-file (rollback journal) database. */
static int
copy_db(const char *from, const char *to, char *err, size_t errlen)
{
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *b = NULL;
    int ret = -1, rc;

    if (access(from, R_OK) != 0)
        return cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), from, strerror(errno));
    rc = sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot open '%s': %s"), from,
                      src ? sqlite3_errmsg(src) : sqlite3_errstr(rc));
        goto out;
    }
    sqlite3_busy_timeout(src, 10000);
    rc = sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot create '%s': %s"), to,
                      dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
        goto out;
    }
    if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
        ret =
            cs_errf(err, errlen, CS_ESQLITE, _("cannot copy '%s': %s"), from, sqlite3_errmsg(dst));
        goto out;
    }
    /* All pages in one step (see the top of the file); busy only while another opens the file. */
    for (int tries = 0;; tries++) {
        rc = sqlite3_backup_step(b, -1);
        if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries == BUSY_TRIES)
            break;
        sqlite3_sleep(100);
    }
    int rc2 = sqlite3_backup_finish(b);
    if (rc == SQLITE_DONE)
        rc = rc2;
    if (rc != SQLITE_OK) {
        ret = cs_errf(err, errlen, rc == SQLITE_BUSY ? CS_EBUSY : CS_ESQLITE,
                      _("cannot copy '%s' to '%s': %s"), from, to, sqlite3_errstr(rc));
        goto out;
    }
    rc = sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot write '%s': %s"), to, sqlite3_errmsg(dst));
        goto out;
    }
    ret = 0;
out:
    sqlite3_close(src);
    if (sqlite3_close(dst) != SQLITE_OK && ret == 0)
        ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot close '%s'"), to);
    return ret;
}

static int
sync_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL || fsync(fileno(f)) != 0) {
        int ret = cs_errf(err, errlen, -errno, _("cannot sync '%s': %s"), path, strerror(errno));
        if (f != NULL)
            fclose(f);
        return ret;
    }
    fclose(f);
    return 0;
}

/* What a backup directory holds, and what SQLite may leave beside the copy while it works. */
static const char *const backup_files[] = {
    HUB_REPLICA, HUB_KEY, HUB_PUB, HUB_REPLICA "-journal", HUB_REPLICA "-wal", HUB_REPLICA "-shm",
};

static void
remove_tmp(const char *tmp)
{
    char path[PATH_MAX];
    int e = errno;
    for (size_t i = 0; i < sizeof(backup_files) / sizeof(backup_files[0]); i++)
        if (ops_path(path, sizeof(path), tmp, backup_files[i]) == 0)
            unlink(path);
    rmdir(tmp);
    errno = e;
}

static void
human_size(char *buf, size_t len, off_t n)
{
    if (n >= 10 * 1024 * 1024)
        snprintf(buf, len, "%lld MiB", (long long)(n >> 20));
    else
        snprintf(buf, len, "%lld KiB", (long long)((n + 1023) >> 10));
}

int
cmd_backup(int argc, char **argv)
{
    const char *sopt[CMD_STATE__COUNT];
    char dir[PATH_MAX], tmp[PATH_MAX], parent[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
    char key_id[CS_ID_HEX_LEN + 1], site[CS_ID_HEX_LEN + 1], err[1024] = "", size[32];
    struct conf conf;
    struct stat st;
    int made_tmp = 0;

    int first, done = cmd_args("backup", argc, argv, usage, NULL, 0, NULL, sopt, &first);
    if (done != CS_CLI_GO_ON)
        return done;
    if (first == argc)
        return cmd_usage_error("backup", "%s", _("give the DIR to write the backup to"));
    if (first + 1 != argc)
        return cmd_usage_error("backup", _("unexpected argument '%s'"), argv[first + 1]);
    if (cmd_config(&conf, sopt) != 0)
        return CS_EXIT_FAILURE;

    /* DIR without trailing slashes, its parent, and the temp name beside it. */
    snprintf(dir, sizeof(dir), "%s", argv[first]);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        dir[--n] = 0;
    if (n == 0 || snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", dir, (long)getpid()) >= (int)sizeof(tmp))
        return cmd_usage_error("backup", _("'%s' is not a usable directory name"), argv[first]);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(parent, sizeof(parent), ".");
    else if (slash == dir)
        snprintf(parent, sizeof(parent), "/");
    else
        snprintf(parent, sizeof(parent), "%.*s", (int)(slash - dir), dir);
    if (lstat(dir, &st) == 0)
        return cmd_fail(_("cannot back up to '%s': it already exists"), dir);

    if (ops_keys_check(conf.state, key_id, sizeof(key_id), err, sizeof(err)) != 0)
        goto fail;
    if (mkdir(tmp, 0700) != 0) {
        cs_errf(err, sizeof(err), -errno, _("cannot create '%s': %s"), tmp, strerror(errno));
        goto fail;
    }
    made_tmp = 1;
    if (ops_path(from, sizeof(from), conf.state, HUB_REPLICA) != 0 ||
        ops_path(to, sizeof(to), tmp, HUB_REPLICA) != 0) {
        cs_errf(err, sizeof(err), CS_EINVAL, _("'%s': path too long"), tmp);
        goto fail;
    }
    if (copy_db(from, to, err, sizeof(err)) != 0 || sync_file(to, err, sizeof(err)) != 0 ||
        ops_db_check(to, site, sizeof(site), err, sizeof(err)) != 0)
        goto fail;
    if (strcmp(site, key_id) != 0) {
        cs_errf(err, sizeof(err), CS_ESITE, _("'%s' belongs to another key than '%s/%s'"), from,
                conf.state, HUB_KEY);
        goto fail;
    }
    stat(to, &st);
    human_size(size, sizeof(size), st.st_size);
    static const struct {
        const char *name;
        mode_t mode;
    } keys[] = {{HUB_KEY, 0600}, {HUB_PUB, 0644}};
    for (size_t i = 0; i < 2; i++)
        if (ops_path(from, sizeof(from), conf.state, keys[i].name) != 0 ||
            ops_path(to, sizeof(to), tmp, keys[i].name) != 0 ||
            ops_copy_file(from, to, keys[i].mode, err, sizeof(err)) != 0)
            goto fail;
    if (ops_keys_check(tmp, NULL, 0, err, sizeof(err)) != 0 ||
        ops_sync_dir(tmp, err, sizeof(err)) != 0)
        goto fail;
    if (rename(tmp, dir) != 0) {
        cs_errf(err, sizeof(err), -errno, _("cannot rename '%s' to '%s': %s"), tmp, dir,
                strerror(errno));
        goto fail;
    }
    made_tmp = 0;
    if (ops_sync_dir(parent, err, sizeof(err)) != 0)
        goto fail;
    printf(_("backed up '%s' to '%s': %s (%s, integrity ok), %s, %s\n"), conf.state, dir,
           HUB_REPLICA, size, HUB_KEY, HUB_PUB);
    return CS_EXIT_OK;
fail:
    if (made_tmp)
        remove_tmp(tmp);
    return cmd_fail(_("backup failed: %s"), err);
}
