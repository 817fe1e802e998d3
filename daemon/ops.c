/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the operations commands (see ops.h): the serve lock, the checks
 * a state directory must pass before a hub can serve from it or a backup
 * can be trusted, and durable file copies. Nothing here writes to a
 * database: checks open it read-only, so that `cellsyncd check` run by root
 * beside a serving daemon changes nothing the daemon relies on.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/id.h"
#include "cellsync/key.h"
#include "cellsync/replica.h"
#include "cellsync/rotation.h"
#include "hub_internal.h"
#include "ops.h"

int
ops_path(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= len ? CS_EINVAL : 0;
}

int
ops_lock(const char *state, int *fd, char *err, size_t errlen)
{
    char path[PATH_MAX];
    struct stat dir, st;
    int ret;

    *fd = -1;
    if (ops_path(path, sizeof(path), state, OPS_LOCK) != 0)
        return cs_errf(err, errlen, CS_EINVAL, _("state directory '%s': path too long"), state);
    /* A read-only descriptor is enough for flock, and works whoever owns the file. */
    int f = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (f < 0)
        return cs_errf(err, errlen, -errno, _("cannot open '%s': %s"), path, strerror(errno));
    if (geteuid() == 0 && stat(state, &dir) == 0 && fstat(f, &st) == 0 &&
        (st.st_uid != dir.st_uid || st.st_gid != dir.st_gid) &&
        fchown(f, dir.st_uid, dir.st_gid) != 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot give '%s' to the owner of '%s': %s"), path,
                      state, strerror(errno));
        close(f);
        return ret;
    }
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(f);
        if (e == EWOULDBLOCK)
            return cs_errf(err, errlen, CS_EBUSY, _("'%s' is in use by a running cellsyncd"),
                           state);
        return cs_errf(err, errlen, -e, _("cannot lock '%s': %s"), path, strerror(e));
    }
    *fd = f;
    return 0;
}

int
ops_serving(const char *state)
{
    char path[PATH_MAX];
    int ret;

    if (ops_path(path, sizeof(path), state, OPS_LOCK) != 0)
        return CS_EINVAL;
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (f < 0)
        return errno == ENOENT ? 0 : -errno;
    /*
     * A shared lock is granted unless someone holds the exclusive one. It is
     * let go at once: a serve starting in that instant would fail, so keep
     * the window short.
     */
    if (flock(f, LOCK_SH | LOCK_NB) == 0)
        ret = 0;
    else
        ret = errno == EWOULDBLOCK ? 1 : -errno;
    close(f);
    return ret;
}

/* PRAGMA integrity_check(10) or quick_check(10) on a read-only connection (see ops.h). */
static int
db_check(const char *path, const char *pragma, char *site, size_t sitelen, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct stat sb;
    int ret = -1, rc;

    if (site != NULL && sitelen > 0)
        site[0] = 0;
    /* sqlite3_open_v2 would happily open a missing file as an empty database. */
    if (stat(path, &sb) != 0)
        return cs_errf(err, errlen, -errno, _("cannot open '%s': %s"), path, strerror(errno));
    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot open '%s': %s"), path,
                      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        goto out;
    }
    sqlite3_busy_timeout(db, 10000);
    rc = sqlite3_prepare_v2(db, pragma, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        ret = rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB
                  ? cs_errf(err, errlen, CS_ECORRUPT, _("'%s' is damaged: %s"), path,
                            sqlite3_errmsg(db))
                  : cs_errf(err, errlen, CS_ESQLITE, "'%s': %s", path, sqlite3_errmsg(db));
        goto out;
    }
    /* One row "ok", or up to 10 rows naming what is damaged: keep the first. */
    char first[256] = "";
    int rows = 0, ok = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        if (rows++ == 0) {
            snprintf(first, sizeof(first), "%s", t ? t : "");
            ok = t != NULL && strcmp(t, "ok") == 0;
        }
    }
    if (rc != SQLITE_DONE) {
        ret = rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB
                  ? cs_errf(err, errlen, CS_ECORRUPT, _("'%s' is damaged: %s"), path,
                            sqlite3_errmsg(db))
                  : cs_errf(err, errlen, CS_ESQLITE, "'%s': %s", path, sqlite3_errmsg(db));
        goto out;
    }
    if (!ok || rows != 1) {
        ret = cs_errf(err, errlen, CS_ECORRUPT, _("'%s' is damaged: %s%s"), path, first,
                      rows > 1 ? _(" (and more)") : "");
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (site != NULL) {
        struct cs_id id;
        char hex[CS_ID_HEX_LEN + 1];
        if (cs_replica_site_of(db, &id) != 0) {
            ret = cs_errf(err, errlen, CS_ECORRUPT, _("'%s' is not a cellsync replica"), path);
            goto out;
        }
        cs_id_to_hex(&id, hex);
        snprintf(site, sitelen, "%s", hex);
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ret;
}

int
ops_db_check(const char *path, char *site, size_t sitelen, char *err, size_t errlen)
{
    return db_check(path, "PRAGMA integrity_check(10)", site, sitelen, err, errlen);
}

int
ops_db_quick_check(const char *path, char *err, size_t errlen)
{
    return db_check(path, "PRAGMA quick_check(10)", NULL, 0, err, errlen);
}

int
ops_db_checkpoint(const char *path, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int ret = -1, rc;

    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    /* One row: busy (1 when the checkpoint could not finish), log frames, checkpointed. */
    if (rc != SQLITE_ROW || sqlite3_column_int(st, 0) != 0) {
        ret = cs_errf(err, errlen, rc == SQLITE_ROW ? CS_EBUSY : CS_ESQLITE,
                      _("cannot checkpoint '%s': %s"), path,
                      rc == SQLITE_ROW ? _("the database is in use")
                      : db             ? sqlite3_errmsg(db)
                                       : sqlite3_errstr(rc));
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    /* The last connection to close removes the (now empty) WAL. */
    if (sqlite3_close(db) != SQLITE_OK && ret == 0)
        ret = cs_errf(err, errlen, CS_ESQLITE, _("cannot close '%s'"), path);
    return ret;
}

int
ops_keys_check(const char *dir, char *id, size_t idlen, char *err, size_t errlen)
{
    char key_path[PATH_MAX], pub_path[PATH_MAX];
    struct cs_key *k = NULL;
    uint8_t pk[CS_PK_LEN];
    struct stat st;
    int ret;

    if (ops_path(key_path, sizeof(key_path), dir, HUB_KEY) != 0 ||
        ops_path(pub_path, sizeof(pub_path), dir, HUB_PUB) != 0)
        return cs_errf(err, errlen, CS_EINVAL, _("'%s': path too long"), dir);
    if (stat(key_path, &st) != 0)
        return cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), key_path, strerror(errno));
    if ((st.st_mode & 0777) != 0600)
        return cs_errf(err, errlen, CS_EKEYPERM,
                       _("'%s' has mode %04o, must be 0600 (chmod 600 it)"), key_path,
                       (unsigned)(st.st_mode & 0777));
    if ((ret = cs_key_load(&k, key_path, err, errlen)) != 0)
        return ret;
    if ((ret = cs_pk_load(pk, pub_path, err, errlen)) != 0)
        goto out;
    if (sodium_memcmp(pk, cs_key_pk(k), CS_PK_LEN) != 0) {
        ret = cs_errf(err, errlen, CS_EKEYFILE, _("'%s' is not the public half of '%s'"), pub_path,
                      key_path);
        goto out;
    }
    if (id != NULL) {
        /* The id the replica is made for: the first key's, after rotations (keys.c). */
        struct cs_id kid;
        struct cs_rotation *rot = NULL;
        size_t nrot = 0;
        char hex[CS_ID_HEX_LEN + 1];
        if ((ret = hub__rotations_load(dir, k, &rot, &nrot, &kid, err, errlen)) != 0)
            goto out;
        free(rot);
        cs_id_to_hex(&kid, hex);
        snprintf(id, idlen, "%s", hex);
    }
    ret = 0;
out:
    cs_key_free(k);
    return ret;
}

int
ops_copy_file(const char *from, const char *to, mode_t mode, char *err, size_t errlen)
{
    char buf[65536];
    int in = -1, out = -1, ret = -1;

    struct stat st;

    /*
     * Plain files only: a backup directory handed to restore may hold a link
     * to a file of the machine's (or a FIFO, which would block the open), and
     * restore runs as root.
     */
    if ((in = open(from, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0 && errno != ELOOP)
        return cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), from, strerror(errno));
    if (in < 0 || fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (in >= 0)
            close(in);
        return cs_errf(err, errlen, CS_EINVAL,
                       _("'%s' is not a plain file (a link, a directory or a device): not copied"),
                       from);
    }
    if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) < 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot create '%s': %s"), to, strerror(errno));
        close(in);
        return ret;
    }
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), from, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                ret = cs_errf(err, errlen, -errno, _("cannot write '%s': %s"), to, strerror(errno));
                goto out;
            }
            off += w;
        }
    }
    /* The umask may have narrowed mode; a key must come out 0600 and the rest as asked. */
    if (fchmod(out, mode) != 0 || fsync(out) != 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot write '%s': %s"), to, strerror(errno));
        goto out;
    }
    ret = 0;
out:
    close(in);
    if (close(out) != 0 && ret == 0)
        ret = cs_errf(err, errlen, -errno, _("cannot write '%s': %s"), to, strerror(errno));
    if (ret != 0) {
        int e = errno;
        unlink(to);
        errno = e;
    }
    return ret;
}

int
ops_sync_dir(const char *dir, char *err, size_t errlen)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int ret = cs_errf(err, errlen, -errno, _("cannot sync '%s': %s"), dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        return ret;
    }
    close(fd);
    return 0;
}

/* A copy given to owner (restore, run as root: the daemon's user must read it). */
static int
copy_owned(const char *from, const char *to, mode_t mode, const struct stat *owner, char *err,
           size_t errlen)
{
    int ret = ops_copy_file(from, to, mode, err, errlen);
    if (ret == 0 && owner != NULL && geteuid() == 0 && chown(to, owner->st_uid, owner->st_gid) != 0)
        ret = cs_errf(err, errlen, -errno, _("cannot give '%s' to the owner of the state: %s"), to,
                      strerror(errno));
    return ret;
}

int
ops_keyring_copy(const char *from, const char *to, const struct stat *owner, char *err,
                 size_t errlen)
{
    char src[PATH_MAX], dst[PATH_MAX], sub_from[PATH_MAX], sub_to[PATH_MAX], name[PATH_MAX];
    struct stat st;
    int ret = 0;

    if (ops_path(src, sizeof(src), from, CS_ROTATION_FILE) != 0 ||
        ops_path(dst, sizeof(dst), to, CS_ROTATION_FILE) != 0 ||
        ops_path(sub_from, sizeof(sub_from), from, HUB_OLD_DIR) != 0 ||
        ops_path(sub_to, sizeof(sub_to), to, HUB_OLD_DIR) != 0)
        return cs_errf(err, errlen, CS_EINVAL, _("'%s': path too long"), to);
    if (lstat(src, &st) == 0 && (ret = copy_owned(src, dst, 0600, owner, err, errlen)) != 0)
        return ret;
    if (lstat(sub_from, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0;
    if (mkdir(sub_to, 0700) != 0)
        return cs_errf(err, errlen, -errno, _("cannot create '%s': %s"), sub_to, strerror(errno));
    if (owner != NULL && geteuid() == 0 && chown(sub_to, owner->st_uid, owner->st_gid) != 0)
        return cs_errf(err, errlen, -errno, _("cannot give '%s' to the owner of the state: %s"),
                       sub_to, strerror(errno));
    DIR *d = opendir(sub_from);
    if (d == NULL)
        return cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), sub_from, strerror(errno));
    for (struct dirent *de; ret == 0 && (de = readdir(d)) != NULL;) {
        /* Only what a rotation writes there (the names a backup may hold). */
        if (snprintf(name, sizeof(name), "%s/%s", HUB_OLD_DIR, de->d_name) >= (int)sizeof(name) ||
            !archive_name_ok(name, 0))
            continue;
        if (ops_path(src, sizeof(src), sub_from, de->d_name) != 0 ||
            ops_path(dst, sizeof(dst), sub_to, de->d_name) != 0)
            ret = cs_errf(err, errlen, CS_EINVAL, _("'%s': path too long"), sub_to);
        else
            ret = copy_owned(src, dst, 0600, owner, err, errlen);
    }
    closedir(d);
    return ret == 0 ? ops_sync_dir(sub_to, err, errlen) : ret;
}

void
ops_keyring_remove(const char *dir)
{
    char path[PATH_MAX], sub[PATH_MAX];
    int e = errno;
    if (ops_path(path, sizeof(path), dir, CS_ROTATION_FILE) == 0)
        unlink(path);
    if (ops_path(sub, sizeof(sub), dir, HUB_OLD_DIR) == 0) {
        DIR *d = opendir(sub);
        if (d != NULL) {
            for (struct dirent *de; (de = readdir(d)) != NULL;)
                if (de->d_name[0] != '.' && ops_path(path, sizeof(path), sub, de->d_name) == 0)
                    unlink(path);
            closedir(d);
        }
        rmdir(sub);
    }
    errno = e;
}
