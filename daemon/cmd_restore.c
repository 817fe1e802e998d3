/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd restore --key RECOVERY_KEY BACKUP.age` (or `restore DIR` for
 * a plain directory of `backup --unencrypted`): puts a backup made by
 * `cellsyncd backup` back as the hub's state. An encrypted backup is first
 * decrypted and authenticated whole, with its archive unpacked, into
 * <state>/unpack.tmp-PID (0700): a wrong key, a changed byte, a file cut
 * short or not an age file at all is refused there, before anything of
 * the state is touched, and that directory is removed. It then goes the
 * way of a plain backup directory. It holds the serve lock throughout (ops.h), so it
 * refuses while a daemon serves the state directory and no daemon can start
 * half way. In order, so that a failure at any step leaves the old state in
 * place:
 *  1. the backup is checked: PRAGMA integrity_check, the key pair, and that
 *     the replica belongs to that key;
 *  2. its files are copied into <state>/restore.tmp-PID and opened there
 *     as the hub would open them (hub_open), and the copy gets a new hub
 *     incarnation (hub.h): the devices that synced after the backup was
 *     taken learn from it that the hub's numbering went back, and are sent
 *     again what they may have received under the numbers it reuses; the
 *     state's admin journal (hub.h), which no backup holds, is re-applied
 *     to it: no device revoked since is un-revoked, no enrollment used
 *     since is open again (F10);
 *  3. the current files (replica.db with its -wal and -shm, the key pair)
 *     are moved aside into <state>/before-restore-<time>/ and the staged
 *     ones renamed in (all on one file system); a failed rename moves
 *     everything back.
 * Nothing is deleted: the replaced state stays in before-restore-<time>.
 * Run as root, the new files are given to the owner of the state directory
 * (the daemon's user), as the files they replace were.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>

#include <sodium.h>

#include "archive.h"
#include "cellsync/age.h"
#include "cellsync/cli.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/rotation.h"
#include "commands.h"
#include "hub.h"
#include "ops.h"

enum { OPT_KEY, OPT__COUNT };
static const struct cs_cli_opt opts[OPT__COUNT] = {[OPT_KEY] = {"key", 1, NULL}};

static void
usage(FILE *f)
{
    fprintf(f, "%s\n%s\n\n%s\n\n%s\n",
            _("usage: cellsyncd restore --key RECOVERY_KEY BACKUP.age [--state DIR] [--config "
              "FILE]"),
            _("       cellsyncd restore DIR [--state DIR] [--config FILE]"),
            _("Replaces the hub's state with the backup BACKUP.age (made by 'cellsyncd\n"
              "backup'), opened with the recovery secret key RECOVERY_KEY, or with the plain\n"
              "backup in DIR (made by 'cellsyncd backup --unencrypted').\n"
              "Refuses while 'cellsyncd serve' runs on the state directory: stop it first\n"
              "(systemctl stop cellsyncd). The backup is decrypted and checked before anything\n"
              "changes; the files it replaces are moved to <state>/before-restore-<time>/."),
            _("options:\n"
              "  --key FILE     the recovery secret key (from 'cellsyncd recovery-key new')\n"
              "  --state DIR    the state directory (default /var/lib/cellsyncd)\n"
              "  --config FILE  the configuration file (default /etc/cellsync/cellsyncd.conf)\n"
              "  --help         show this help"));
}

static int
fd_read(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
    int fd = *(int *)ctx;
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        *got = (size_t)n;
        return 0;
    }
}

/*
 * The encrypted backup src, opened with sk, authenticated to its last
 * chunk and unpacked into the new directory dir. On failure what was
 * unpacked is removed again, and err says what is wrong with src.
 */
static int
unpack(const char *src, const uint8_t sk[CS_AGE_KEY_LEN], const char *dir, char *err, size_t errlen)
{
    struct archive_reader ar;
    struct cs_age_dec *d = NULL;
    char why[512] = "";
    int ret, fd;

    if ((fd = open(src, O_RDONLY | O_CLOEXEC)) < 0)
        return cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), src, strerror(errno));
    if (mkdir(dir, 0700) != 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot create '%s': %s"), dir, strerror(errno));
        close(fd);
        return ret;
    }
    archive_reader_init(&ar, dir);
    if ((ret = cs_age_dec_new(&d, sk, fd_read, &fd, why, sizeof(why))) != 0)
        goto out;
    for (;;) {
        const uint8_t *chunk;
        size_t n;
        if ((ret = cs_age_dec_read(d, &chunk, &n, why, sizeof(why))) != 0 || n == 0)
            break;
        if ((ret = archive_reader_feed(&ar, chunk, n, why, sizeof(why))) != 0)
            break;
    }
    if (ret == 0)
        ret = archive_reader_finish(&ar, why, sizeof(why));
out:
    archive_reader_release(&ar);
    cs_age_dec_free(d);
    close(fd);
    if (ret != 0) {
        archive_remove(dir);
        cs_errf(err, errlen, ret, _("cannot open the backup '%s': %s"), src, why);
    }
    return ret;
}

/* The files that make a hub's state, in the order they are moved. */
static const char *const state_files[] = {
    HUB_REPLICA, HUB_REPLICA "-wal", HUB_REPLICA "-shm", HUB_KEY,
    HUB_PUB,     CS_ROTATION_FILE,   HUB_OLD_DIR, /* a directory: renamed whole like the files */
};
#define NFILES (sizeof(state_files) / sizeof(state_files[0]))
#define NNEW   3 /* the files of a backup, with their modes: */

static const struct {
    const char *name;
    mode_t mode;
} backup_files[NNEW] = {{HUB_REPLICA, 0600}, {HUB_KEY, 0600}, {HUB_PUB, 0644}};

static int
move(const char *from_dir, const char *to_dir, const char *name, char *err, size_t errlen)
{
    char from[PATH_MAX], to[PATH_MAX];
    if (ops_path(from, sizeof(from), from_dir, name) != 0 ||
        ops_path(to, sizeof(to), to_dir, name) != 0)
        return cs_errf(err, errlen, CS_EINVAL, _("'%s': path too long"), from_dir);
    if (rename(from, to) != 0)
        return cs_errf(err, errlen, -errno, _("cannot move '%s' to '%s': %s"), from, to,
                       strerror(errno));
    return 0;
}

/* Empties and removes the staging directory (hub_open may have left SQLite's side files). */
static void
remove_stage(const char *stage)
{
    char path[PATH_MAX];
    int e = errno;
    ops_keyring_remove(stage);
    for (size_t i = 0; i < NFILES; i++)
        if (ops_path(path, sizeof(path), stage, state_files[i]) == 0)
            unlink(path);
    rmdir(stage);
    errno = e;
}

/* 0 if path is a plain file (or absent when it may be); else the error naming it. */
static int
plain_file(const char *path, int may_miss, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0 && errno == ENOENT && may_miss)
        return 0;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return cs_errf(err, errlen, CS_EINVAL,
                       _("'%s' is not a plain file (a link, a directory or a device): not copied"),
                       path);
    return 0;
}

/*
 * A backup holds plain files only: restore runs as root, and a link in a
 * backup directory (on a stick, say) would read a file of this machine.
 */
static int
plain_files_only(const char *src, char *err, size_t errlen)
{
    char path[PATH_MAX];
    struct stat st;
    int ret = 0;

    for (size_t i = 0; i < NNEW; i++)
        if (ops_path(path, sizeof(path), src, backup_files[i].name) != 0 ||
            (ret = plain_file(path, 0, err, errlen)) != 0)
            return ret != 0 ? ret : cs_errf(err, errlen, CS_EINVAL, _("'%s': path too long"), src);
    if (ops_path(path, sizeof(path), src, CS_ROTATION_FILE) != 0 ||
        (ret = plain_file(path, 1, err, errlen)) != 0)
        return ret != 0 ? ret : cs_errf(err, errlen, CS_EINVAL, _("'%s': path too long"), src);
    if (ops_path(path, sizeof(path), src, HUB_OLD_DIR) != 0)
        return cs_errf(err, errlen, CS_EINVAL, _("'%s': path too long"), src);
    if (lstat(path, &st) != 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return cs_errf(err, errlen, CS_EINVAL,
                       _("'%s' is not a plain file (a link, a directory or a device): not copied"),
                       path);
    DIR *d = opendir(path);
    if (d == NULL)
        return cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), path, strerror(errno));
    char sub[PATH_MAX];
    for (struct dirent *de; ret == 0 && (de = readdir(d)) != NULL;)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            ret = ops_path(sub, sizeof(sub), path, de->d_name) != 0
                      ? cs_errf(err, errlen, CS_EINVAL, _("'%s': path too long"), path)
                      : plain_file(sub, 0, err, errlen);
    closedir(d);
    return ret;
}

/* 1. The backup, checked where it lies; nothing is written there. */
static int
check_source(const char *src, char *err, size_t errlen)
{
    char path[PATH_MAX], key_id[CS_ID_HEX_LEN + 1], site[CS_ID_HEX_LEN + 1];
    struct stat st;
    int ret;

    if (stat(src, &st) != 0)
        return cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), src, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return cs_errf(err, errlen, CS_EINVAL,
                       _("'%s' is not a backup directory (made by 'cellsyncd backup')"), src);
    if (ops_path(path, sizeof(path), src, HUB_REPLICA "-wal") != 0)
        return cs_errf(err, errlen, CS_EINVAL, _("'%s': path too long"), src);
    /* A live state directory copied by hand: its WAL holds writes replica.db does not. */
    if (stat(path, &st) == 0 && st.st_size > 0)
        return cs_errf(err, errlen, CS_EINVAL,
                       _("'%s' has a write-ahead log: it is not a backup (make one with "
                         "'cellsyncd backup')"),
                       src);
    if ((ret = plain_files_only(src, err, errlen)) != 0 ||
        (ret = ops_keys_check(src, key_id, sizeof(key_id), err, errlen)) != 0)
        return ret;
    ops_path(path, sizeof(path), src, HUB_REPLICA);
    if ((ret = ops_db_check(path, site, sizeof(site), err, errlen)) != 0)
        return ret;
    if (strcmp(site, key_id) != 0)
        return cs_errf(err, errlen, CS_ESITE, _("'%s' belongs to another key than '%s/%s'"), path,
                       src, HUB_KEY);
    return 0;
}

/* 2. The backup's files copied into stage, given to owner, and opened as the hub would. */
static int
stage_copy(const char *src, const char *stage, const char *state, const struct stat *owner,
           size_t *revoked, size_t *used, char *err, size_t errlen)
{
    char from[PATH_MAX], to[PATH_MAX];
    struct hub *h = NULL;
    int ret;

    for (size_t i = 0; i < NNEW; i++) {
        if (ops_path(from, sizeof(from), src, backup_files[i].name) != 0 ||
            ops_path(to, sizeof(to), stage, backup_files[i].name) != 0)
            return cs_errf(err, errlen, CS_EINVAL, _("'%s': path too long"), stage);
        if ((ret = ops_copy_file(from, to, backup_files[i].mode, err, errlen)) != 0)
            return ret;
        if (geteuid() == 0 && chown(to, owner->st_uid, owner->st_gid) != 0)
            return cs_errf(err, errlen, -errno, _("cannot give '%s' to the owner of the state: %s"),
                           to, strerror(errno));
    }
    /* The key's past where it was rotated: hub_open checks hub.key against it. */
    if ((ret = ops_keyring_copy(src, stage, owner, err, errlen)) != 0)
        return ret;
    /* This also turns the copy back to WAL mode, and upgrades it if this program is newer. */
    if ((ret = hub_open(&h, stage, err, errlen)) != 0)
        return ret;
    /*
     * A new incarnation: the restored hub numbers its new versions from where
     * the backup stopped, reusing seqs devices may have received after it.
     */
    uint8_t inc[CS_INCARNATION_LEN];
    ret = hub_incarnation_new(h, inc, NULL, err, errlen);
    /*
     * What the admin journal of the state holds and the backup may not: the
     * revocations and the enrollments used since it was taken (F10).
     */
    if (ret == 0)
        ret = hub_journal_replay(h, state, revoked, used, err, errlen);
    hub_close(h);
    if (ret != 0)
        return ret;
    /*
     * The replica does not checkpoint when it closes, so what hub_open wrote
     * may be in the staged WAL only: merge it, so that replica.db alone holds
     * the restored state (swap_in still moves any side file that remains).
     */
    if (ops_path(to, sizeof(to), stage, HUB_REPLICA) != 0 ||
        (ret = ops_db_checkpoint(to, err, errlen)) != 0)
        return ret;
    return ops_sync_dir(stage, err, errlen);
}

/*
 * 3. The current files into aside, the staged ones into state. On failure
 * everything goes back where it was, as far as the file system lets it.
 */
static int
swap_in(const char *state, const char *stage, const char *aside, int *moved_aside, char *err,
        size_t errlen)
{
    char path[PATH_MAX];
    unsigned out_mask = 0, in_mask = 0; /* which of state_files were moved, each way */
    int ret = 0;

    *moved_aside = 0;
    for (size_t i = 0; i < NFILES; i++) {
        if (ops_path(path, sizeof(path), state, state_files[i]) != 0 || access(path, F_OK) != 0)
            continue;
        if ((ret = move(state, aside, state_files[i], err, errlen)) != 0)
            goto undo;
        out_mask |= 1u << i;
        (*moved_aside)++;
    }
    for (size_t i = 0; i < NFILES; i++) {
        if (ops_path(path, sizeof(path), stage, state_files[i]) != 0 || access(path, F_OK) != 0)
            continue;
        if ((ret = move(stage, state, state_files[i], err, errlen)) != 0)
            goto undo;
        in_mask |= 1u << i;
    }
    if ((ret = ops_sync_dir(state, err, errlen)) == 0)
        return 0;
undo:
    for (size_t i = 0; i < NFILES; i++)
        if (in_mask & (1u << i))
            move(state, stage, state_files[i], NULL, 0);
    for (size_t i = 0; i < NFILES; i++)
        if (out_mask & (1u << i))
            move(aside, state, state_files[i], NULL, 0);
    *moved_aside = 0;
    return ret;
}

int
cmd_restore(int argc, char **argv)
{
    const char *sopt[CMD_STATE__COUNT], *ov[OPT__COUNT], *src;
    char stage[PATH_MAX], aside[PATH_MAX], unpacked[PATH_MAX], err[1024] = "";
    uint8_t sk[CS_AGE_KEY_LEN] = {0};
    struct conf conf;
    struct stat owner, st;
    int lock = -1, ret = CS_EXIT_FAILURE, moved = 0, made_aside = 0, made_stage = 0;
    int encrypted = 0, made_unpacked = 0;

    int first, done = cmd_args("restore", argc, argv, usage, opts, OPT__COUNT, ov, sopt, &first);
    if (done != CS_CLI_GO_ON)
        return done;
    if (first == argc)
        return cmd_usage_error("restore", "%s",
                               _("give the backup (BACKUP.age or DIR) to restore"));
    if (first + 1 != argc)
        return cmd_usage_error("restore", _("unexpected argument '%s'"), argv[first + 1]);
    src = argv[first];
    if (stat(src, &st) != 0)
        return cmd_fail(_("restore failed, the state is unchanged: cannot read '%s': %s"), src,
                        strerror(errno));
    encrypted = !S_ISDIR(st.st_mode);
    if (encrypted && ov[OPT_KEY] == NULL)
        return cmd_usage_error("restore",
                               _("'%s' is an encrypted backup: give the recovery key with --key "
                                 "FILE"),
                               src);
    if (!encrypted && ov[OPT_KEY] != NULL)
        return cmd_usage_error("restore", _("'%s' is a plain backup directory: it needs no --key"),
                               src);
    if (cmd_config(&conf, sopt) != 0)
        return CS_EXIT_FAILURE;

    /* A new machine may have no state directory yet: it is made as `cellsyncd init` would. */
    if (mkdir(conf.state, 0700) != 0 && errno != EEXIST)
        return cmd_fail(_("cannot create '%s': %s"), conf.state, strerror(errno));
    if (stat(conf.state, &owner) != 0)
        return cmd_fail(_("cannot use the state directory '%s': %s"), conf.state, strerror(errno));
    if (!S_ISDIR(owner.st_mode))
        return cmd_fail(_("cannot use the state directory '%s': %s"), conf.state,
                        _("not a directory"));
    int rc = ops_lock(conf.state, &lock, err, sizeof(err));
    if (rc == CS_EBUSY)
        return cmd_fail(_("cannot restore into '%s': a cellsyncd is serving it; stop it first "
                          "(systemctl stop cellsyncd)"),
                        conf.state);
    if (rc != 0)
        return cmd_fail("%s", err);

    if (encrypted) {
        if (snprintf(unpacked, sizeof(unpacked), "%s/unpack.tmp-%ld", conf.state, (long)getpid()) >=
            (int)sizeof(unpacked)) {
            cs_errf(err, sizeof(err), CS_EINVAL, _("'%s': path too long"), conf.state);
            goto out;
        }
        /* The secret key is read only now, so that every way out below wipes it. */
        if (cs_age_identity_load(ov[OPT_KEY], sk, err, sizeof(err)) != 0)
            goto out;
        rc = unpack(src, sk, unpacked, err, sizeof(err));
        sodium_memzero(sk, sizeof(sk));
        if (rc != 0)
            goto out;
        made_unpacked = 1;
        src = unpacked;
    }
    if (check_source(src, err, sizeof(err)) != 0)
        goto out;
    if (snprintf(stage, sizeof(stage), "%s/restore.tmp-%ld", conf.state, (long)getpid()) >=
        (int)sizeof(stage)) {
        cs_errf(err, sizeof(err), CS_EINVAL, _("'%s': path too long"), conf.state);
        goto out;
    }
    if (mkdir(stage, 0700) != 0) {
        cs_errf(err, sizeof(err), -errno, _("cannot create '%s': %s"), stage, strerror(errno));
        goto out;
    }
    made_stage = 1;
    size_t revoked = 0, used = 0;
    if (stage_copy(src, stage, conf.state, &owner, &revoked, &used, err, sizeof(err)) != 0)
        goto out;

    /* before-restore-20260302T101500, or -2, -3... when restores come within one second. */
    char when[32];
    time_t now = time(NULL);
    strftime(when, sizeof(when), "%Y%m%dT%H%M%S", localtime(&now));
    for (int i = 1; !made_aside && i < 100; i++) {
        int len =
            i == 1 ? snprintf(aside, sizeof(aside), "%s/before-restore-%s", conf.state, when)
                   : snprintf(aside, sizeof(aside), "%s/before-restore-%s-%d", conf.state, when, i);
        if (len >= (int)sizeof(aside))
            break;
        if (mkdir(aside, 0700) == 0)
            made_aside = 1;
        else if (errno != EEXIST)
            break;
    }
    if (!made_aside) {
        cs_errf(err, sizeof(err), -errno, _("cannot create '%s': %s"), aside, strerror(errno));
        goto out;
    }
    if (geteuid() == 0 && chown(aside, owner.st_uid, owner.st_gid) != 0) {
        cs_errf(err, sizeof(err), -errno, _("cannot give '%s' to the owner of the state: %s"),
                aside, strerror(errno));
        goto out;
    }
    if (swap_in(conf.state, stage, aside, &moved, err, sizeof(err)) != 0)
        goto out;
    if (moved > 0)
        printf(_("restored '%s' into '%s'; the state it replaced is in '%s'\n"), argv[first],
               conf.state, aside);
    else
        printf(_("restored '%s' into '%s'\n"), argv[first], conf.state);
    printf(_("the journal '%s/%s' re-applied: devices revoked again: %zu, enrollments used "
             "again: %zu\n"),
           conf.state, HUB_JOURNAL, revoked, used);
    ret = CS_EXIT_OK;
out:
    sodium_memzero(sk, sizeof(sk));
    if (made_unpacked)
        archive_remove(unpacked);
    if (made_stage)
        remove_stage(stage);
    if (made_aside && moved == 0)
        rmdir(aside);
    /* The lock goes last: no daemon may start on a state that is half moved. */
    close(lock);
    if (ret != CS_EXIT_OK)
        return cmd_fail(_("restore failed, the state is unchanged: %s"), err);
    return ret;
}
