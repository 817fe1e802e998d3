/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd backup OUT.age`: a copy of the hub's state that can serve the
 * same devices again, taken while `cellsyncd serve` may be running, and
 * encrypted to the district's recovery public key (age format, see
 * cellsync/age.h): a stolen backup then gives neither hub.key nor any
 * record (review F5). The recovery secret key stays offline; only
 * `cellsyncd restore --key` on the day of need uses it.
 *
 * The database goes through SQLite's online backup API in one step: one
 * read transaction, so one consistent snapshot, and in WAL mode the daemon
 * keeps writing meanwhile (a page-by-page backup would start over after
 * each of its writes). The copy is switched to a rollback journal, so it is
 * one self-contained file, and must pass PRAGMA integrity_check. It is made
 * in a 0600 temp file in the state directory, streamed with hub.key,
 * hub.pub and, where the hub key was rotated, hub.rotations and hub-old/
 * into a ustar archive (archive.h) that is encrypted chunk by chunk into
 * OUT.age.tmp-PID, synced and renamed to OUT.age last: a failed or
 * interrupted backup never leaves an OUT.age that looks complete.
 *
 * `--unencrypted DIR` keeps the old form, a plain directory, for moving a
 * hub to a new machine by hand; whoever has DIR can act as the hub.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <fcntl.h>

#include <sodium.h>

#include "archive.h"
#include "cellsync/age.h"
#include "cellsync/cli.h"
#include "cellsync/error.h"
#include "cellsync/rotation.h"
#include "cellsync/i18n.h"
#include "commands.h"
#include "hub.h"
#include "ops.h"

#define BUSY_TRIES 100 /* times 100 ms: how long a locked source may hold us up */

enum { OPT_TO, OPT_UNENCRYPTED, OPT__COUNT };
static const struct cs_cli_opt opts[OPT__COUNT] = {
    [OPT_TO] = {"to", 1, NULL},
    [OPT_UNENCRYPTED] = {"unencrypted", 0, NULL},
};

static void
usage(FILE *f)
{
    fprintf(f, "%s\n%s\n\n%s\n\n%s\n",
            _("usage: cellsyncd backup [--to RECIPIENT] OUT.age [--state DIR] [--config FILE]"),
            _("       cellsyncd backup --unencrypted DIR [--state DIR] [--config FILE]"),
            _("Writes the hub's state to OUT.age, encrypted to the recovery public key\n"
              "RECIPIENT (the FILE.pub of 'cellsyncd recovery-key new FILE', or its age1...\n"
              "line; default: backup_recipient in the configuration): replica.db (a\n"
              "consistent copy, taken while 'cellsyncd serve' may be running, that must pass\n"
              "an integrity check), hub.key and hub.pub, in a tar archive. Only the recovery\n"
              "secret key opens it: 'cellsyncd restore --key FILE OUT.age', or\n"
              "'age -d -i FILE OUT.age | tar -x'.\n"
              "With --unencrypted, copies the same files into the new directory DIR instead,\n"
              "to move a hub to a new machine: whoever has DIR can act as the hub."),
            _("options:\n"
              "  --to RECIPIENT  the recovery public key to encrypt to\n"
              "  --unencrypted   write a plain directory (keep it as safe as hub.key)\n"
              "  --state DIR     the state directory (default /var/lib/cellsyncd)\n"
              "  --config FILE   the configuration file (default /etc/cellsync/cellsyncd.conf)\n"
              "  --help          show this help"));
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
    ops_keyring_remove(tmp);
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

/* The plain directory of --unencrypted: DIR.tmp-PID, synced, renamed to DIR. */
static int
backup_dir(const struct conf *conf, const char *arg)
{
    char dir[PATH_MAX], tmp[PATH_MAX], parent[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
    char key_id[CS_ID_HEX_LEN + 1], site[CS_ID_HEX_LEN + 1], err[1024] = "", size[32];
    struct stat st;
    int made_tmp = 0;

    /* DIR without trailing slashes, its parent, and the temp name beside it. */
    snprintf(dir, sizeof(dir), "%s", arg);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        dir[--n] = 0;
    if (n == 0 || snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", dir, (long)getpid()) >= (int)sizeof(tmp))
        return cmd_usage_error("backup", _("'%s' is not a usable directory name"), arg);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(parent, sizeof(parent), ".");
    else if (slash == dir)
        snprintf(parent, sizeof(parent), "/");
    else
        snprintf(parent, sizeof(parent), "%.*s", (int)(slash - dir), dir);
    if (lstat(dir, &st) == 0)
        return cmd_fail(_("cannot back up to '%s': it already exists"), dir);

    if (ops_keys_check(conf->state, key_id, sizeof(key_id), err, sizeof(err)) != 0)
        goto fail;
    if (mkdir(tmp, 0700) != 0) {
        cs_errf(err, sizeof(err), -errno, _("cannot create '%s': %s"), tmp, strerror(errno));
        goto fail;
    }
    made_tmp = 1;
    if (ops_path(from, sizeof(from), conf->state, HUB_REPLICA) != 0 ||
        ops_path(to, sizeof(to), tmp, HUB_REPLICA) != 0) {
        cs_errf(err, sizeof(err), CS_EINVAL, _("'%s': path too long"), tmp);
        goto fail;
    }
    if (copy_db(from, to, err, sizeof(err)) != 0 || sync_file(to, err, sizeof(err)) != 0 ||
        ops_db_check(to, site, sizeof(site), err, sizeof(err)) != 0)
        goto fail;
    if (strcmp(site, key_id) != 0) {
        cs_errf(err, sizeof(err), CS_ESITE, _("'%s' belongs to another key than '%s/%s'"), from,
                conf->state, HUB_KEY);
        goto fail;
    }
    stat(to, &st);
    human_size(size, sizeof(size), st.st_size);
    static const struct {
        const char *name;
        mode_t mode;
    } keys[] = {{HUB_KEY, 0600}, {HUB_PUB, 0644}};
    for (size_t i = 0; i < 2; i++)
        if (ops_path(from, sizeof(from), conf->state, keys[i].name) != 0 ||
            ops_path(to, sizeof(to), tmp, keys[i].name) != 0 ||
            ops_copy_file(from, to, keys[i].mode, err, sizeof(err)) != 0)
            goto fail;
    if (ops_keyring_copy(conf->state, tmp, NULL, err, sizeof(err)) != 0 ||
        ops_keys_check(tmp, NULL, 0, err, sizeof(err)) != 0 ||
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
    printf(_("backed up '%s' to '%s': %s (%s, integrity ok), %s, %s\n"), conf->state, dir,
           HUB_REPLICA, size, HUB_KEY, HUB_PUB);
    fprintf(stderr,
            _("cellsyncd: warning: '%s' is not encrypted: whoever has it can act as the hub and "
              "read every record; move it to the new machine, restore it there, then delete it\n"),
            dir);
    return CS_EXIT_OK;
fail:
    if (made_tmp)
        remove_tmp(tmp);
    return cmd_fail(_("backup failed: %s"), err);
}

/* The encrypted file as it is written: OUT.age.tmp-PID, all of it or an error. */
static int
fd_write(void *ctx, const uint8_t *buf, size_t len)
{
    int fd = *(int *)ctx;
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The archive goes into the encryption, which writes to the file. */
static int
enc_write(void *ctx, const uint8_t *buf, size_t len)
{
    return cs_age_enc_write(ctx, buf, len);
}

/*
 * The retired hub keys (hub-old/<hex>.key) and the rotation record, where
 * the hub key was rotated: into the archive with the rest. names gets
 * them listed for the report.
 */
static int
add_rotation(struct cs_age_enc *e, const char *state, char *names, size_t nameslen, char *err,
             size_t errlen)
{
    char path[PATH_MAX], sub[PATH_MAX], name[PATH_MAX];
    struct stat st;
    int ret = 0;

    if (ops_path(path, sizeof(path), state, CS_ROTATION_FILE) == 0 && lstat(path, &st) == 0) {
        if ((ret = archive_add_file(enc_write, e, CS_ROTATION_FILE, path, err, errlen)) != 0)
            return ret;
        strncat(names, ", " CS_ROTATION_FILE, nameslen - strlen(names) - 1);
    }
    if (ops_path(sub, sizeof(sub), state, HUB_OLD_DIR) != 0 || lstat(sub, &st) != 0 ||
        !S_ISDIR(st.st_mode))
        return 0;
    if ((ret = archive_add_dir(enc_write, e, HUB_OLD_DIR, err, errlen)) != 0)
        return ret;
    DIR *d = opendir(sub);
    if (d == NULL)
        return cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), sub, strerror(errno));
    unsigned n = 0;
    for (struct dirent *de; ret == 0 && (de = readdir(d)) != NULL;) {
        if (snprintf(name, sizeof(name), "%s/%s", HUB_OLD_DIR, de->d_name) >= (int)sizeof(name) ||
            !archive_name_ok(name, 0) || ops_path(path, sizeof(path), sub, de->d_name) != 0)
            continue; /* ".", "..", and nothing a rotation writes */
        ret = archive_add_file(enc_write, e, name, path, err, errlen);
        n += strcmp(de->d_name, HUB_AUDIT_KEY) != 0;
    }
    closedir(d);
    if (ret == 0) {
        size_t l = strlen(names);
        snprintf(names + l, nameslen - l, _(", %s/ (%u retired keys)"), HUB_OLD_DIR, n);
    }
    return ret;
}

/* The encrypted backup of state into out for the recipient pk. */
static int
backup_age(const struct conf *conf, const uint8_t pk[CS_AGE_KEY_LEN], const char *out)
{
    char tmp[PATH_MAX], db[PATH_MAX], from[PATH_MAX], parent[PATH_MAX], side[PATH_MAX];
    char key_id[CS_ID_HEX_LEN + 1], site[CS_ID_HEX_LEN + 1], err[1024] = "", size[32];
    char recipient[CS_AGE_PUB_SIZE], names[512];
    struct cs_age_enc *e = NULL;
    struct stat st;
    int fd = -1, made_db = 0, made_tmp = 0;

    if (lstat(out, &st) == 0)
        return cmd_fail(_("cannot back up to '%s': it already exists"), out);
    if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", out, (long)getpid()) >= (int)sizeof(tmp) ||
        snprintf(db, sizeof(db), "%s/backup.tmp-%ld.db", conf->state, (long)getpid()) >=
            (int)sizeof(db))
        return cmd_usage_error("backup", _("'%s' is not a usable file name"), out);
    const char *slash = strrchr(out, '/');
    if (slash == NULL)
        snprintf(parent, sizeof(parent), ".");
    else if (slash == out)
        snprintf(parent, sizeof(parent), "/");
    else
        snprintf(parent, sizeof(parent), "%.*s", (int)(slash - out), out);

    if (ops_keys_check(conf->state, key_id, sizeof(key_id), err, sizeof(err)) != 0)
        goto fail;
    /* The database copy: a private file of ours before SQLite writes into it. */
    if ((fd = open(db, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
        cs_errf(err, sizeof(err), -errno, _("cannot create '%s': %s"), db, strerror(errno));
        goto fail;
    }
    close(fd);
    fd = -1;
    made_db = 1;
    if (ops_path(from, sizeof(from), conf->state, HUB_REPLICA) != 0) {
        cs_errf(err, sizeof(err), CS_EINVAL, _("'%s': path too long"), conf->state);
        goto fail;
    }
    if (copy_db(from, db, err, sizeof(err)) != 0 ||
        ops_db_check(db, site, sizeof(site), err, sizeof(err)) != 0)
        goto fail;
    if (strcmp(site, key_id) != 0) {
        cs_errf(err, sizeof(err), CS_ESITE, _("'%s' belongs to another key than '%s/%s'"), from,
                conf->state, HUB_KEY);
        goto fail;
    }
    stat(db, &st);
    human_size(size, sizeof(size), st.st_size);

    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
        cs_errf(err, sizeof(err), -errno, _("cannot create '%s': %s"), tmp, strerror(errno));
        goto fail;
    }
    made_tmp = 1;
    int rc = cs_age_enc_new(&e, pk, fd_write, &fd);
    if (rc != 0) {
        cs_errf(err, sizeof(err), rc, _("cannot write '%s': %s"), tmp, cs_strerror(rc));
        goto fail;
    }
    snprintf(names, sizeof(names), "%s (%s, %s), %s, %s", HUB_REPLICA, size, _("integrity ok"),
             HUB_KEY, HUB_PUB);
    static const char *const keys[] = {HUB_KEY, HUB_PUB};
    if (archive_add_file(enc_write, e, HUB_REPLICA, db, err, sizeof(err)) != 0)
        goto fail;
    for (size_t i = 0; i < 2; i++)
        if (ops_path(from, sizeof(from), conf->state, keys[i]) != 0 ||
            archive_add_file(enc_write, e, keys[i], from, err, sizeof(err)) != 0)
            goto fail;
    if (add_rotation(e, conf->state, names, sizeof(names), err, sizeof(err)) != 0 ||
        archive_finish(enc_write, e, err, sizeof(err)) != 0)
        goto fail;
    if ((rc = cs_age_enc_finish(e)) != 0 || fsync(fd) != 0) {
        if (rc == 0)
            rc = -errno;
        cs_errf(err, sizeof(err), rc, _("cannot write '%s': %s"), tmp, cs_strerror(rc));
        goto fail;
    }
    rc = close(fd);
    fd = -1;
    if (rc != 0) {
        cs_errf(err, sizeof(err), -errno, _("cannot write '%s': %s"), tmp, strerror(errno));
        goto fail;
    }
    if (rename(tmp, out) != 0) {
        cs_errf(err, sizeof(err), -errno, _("cannot rename '%s' to '%s': %s"), tmp, out,
                strerror(errno));
        goto fail;
    }
    made_tmp = 0;
    if (ops_sync_dir(parent, err, sizeof(err)) != 0)
        goto fail;
    cs_age_enc_free(e);
    unlink(db);
    if (snprintf(side, sizeof(side), "%s-journal", db) < (int)sizeof(side))
        unlink(side);
    cs_age_recipient_encode(pk, recipient);
    printf(_("backed up '%s' to '%s', encrypted to the recovery key %s: %s\n"), conf->state, out,
           recipient, names);
    return CS_EXIT_OK;
fail:
    cs_age_enc_free(e);
    if (fd >= 0)
        close(fd);
    if (made_tmp)
        unlink(tmp);
    if (made_db) {
        unlink(db);
        if (snprintf(side, sizeof(side), "%s-journal", db) < (int)sizeof(side))
            unlink(side);
    }
    return cmd_fail(_("backup failed: %s"), err);
}

int
cmd_backup(int argc, char **argv)
{
    const char *sopt[CMD_STATE__COUNT], *ov[OPT__COUNT];
    struct conf conf;
    char err[1024];

    int first, done = cmd_args("backup", argc, argv, usage, opts, OPT__COUNT, ov, sopt, &first);
    if (done != CS_CLI_GO_ON)
        return done;
    int plain = ov[OPT_UNENCRYPTED] != NULL;
    if (first == argc)
        return cmd_usage_error("backup", "%s",
                               plain ? _("give the DIR to write the backup to")
                                     : _("give the OUT.age file to write the backup to"));
    if (first + 1 != argc)
        return cmd_usage_error("backup", _("unexpected argument '%s'"), argv[first + 1]);
    if (plain && ov[OPT_TO] != NULL)
        return cmd_usage_error("backup", "%s", _("--to and --unencrypted exclude each other"));
    if (cmd_config(&conf, sopt) != 0)
        return CS_EXIT_FAILURE;
    if (plain)
        return backup_dir(&conf, argv[first]);

    const char *to = ov[OPT_TO] != NULL ? ov[OPT_TO] : conf.backup_recipient;
    if (*to == 0)
        return cmd_fail("%s", _("no recovery key to encrypt the backup to. Make one on another "
                                "machine or a stick with 'cellsyncd recovery-key new FILE', keep "
                                "FILE offline, and give FILE.pub here with --to FILE.pub or as "
                                "backup_recipient in the configuration (to move a hub to a new "
                                "machine by hand: --unencrypted DIR)"));
    uint8_t pk[CS_AGE_KEY_LEN];
    if (cs_age_recipient_load(to, pk, err, sizeof(err)) != 0)
        return cmd_fail(_("backup failed: %s"), err);
    return backup_age(&conf, pk, argv[first]);
}
