/* SPDX-License-Identifier: MIT */
/*
 * What the operations commands (backup, restore, check) share, and the
 * serve lock that keeps a restore away from a serving hub: `cellsyncd
 * serve` holds an exclusive flock on <state>/serve.lock for its whole life,
 * restore takes the same lock (and so refuses while serving), check only
 * looks. The kernel drops the lock when its holder exits, however it exits,
 * so a crashed daemon never leaves a stale lock behind.
 */
#ifndef CELLSYNC_DAEMON_OPS_H
#define CELLSYNC_DAEMON_OPS_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define OPS_LOCK "serve.lock"

/*
 * Takes the serve lock of state, without waiting. 0 and *fd holds it (until
 * close(*fd) or exit), CS_EBUSY when another process holds it, or -errno.
 * The lock file is created if missing; made by root, it is given to the
 * owner of the state directory, so that the daemon's user can open it.
 */
int ops_lock(const char *state, int *fd, char *err, size_t errlen);

/* 1 when a process holds the serve lock of state, 0 when none does, or -errno. */
int ops_serving(const char *state);

/*
 * Opens the database at path read-only and runs PRAGMA integrity_check. 0
 * when it says ok; otherwise CS_ECORRUPT (or the open's error) with what
 * SQLite said in err. site (optional, CS_ID_HEX_LEN + 1 bytes) gets the replica's
 * site id as hex: the id of the key it belongs to.
 */
int ops_db_check(const char *path, char *site, size_t sitelen, char *err, size_t errlen);

/*
 * The same with PRAGMA quick_check: every page of every b-tree is read and
 * checked, but indexes are not compared with their tables, so it costs
 * about one read of the file. For `cellsyncd serve`, before it serves.
 */
int ops_db_quick_check(const char *path, char *err, size_t errlen);

/*
 * Merges the WAL of the database at path into it and removes the WAL, so
 * that the one file holds everything. For a database no process has open.
 */
int ops_db_checkpoint(const char *path, char *err, size_t errlen);

/*
 * The key pair in dir: hub.key mode 0600 (CS_EKEYPERM naming the mode
 * otherwise) and loadable, hub.pub loadable and the public half of hub.key.
 * id (optional, CS_ID_HEX_LEN + 1 bytes) gets, as hex, the id of the key the
 * replica is made for: hub.key's, or after rotations the first key's
 * (hub.rotations, which must end at hub.key).
 */
int ops_keys_check(const char *dir, char *id, size_t idlen, char *err, size_t errlen);

/*
 * Copies from to the new file to (never over an existing one) with mode,
 * and fsyncs it. On failure to is removed.
 */
int ops_copy_file(const char *from, const char *to, mode_t mode, char *err, size_t errlen);

/*
 * The hub key's past (keys.c), where it was rotated: hub.rotations and
 * hub-old/ with the retired keys and the audit key, copied from the state
 * or backup directory from into the new directory to (each file 0600,
 * hub-old/ 0700, synced), given to owner's uid and gid when not NULL.
 * Nothing to copy is not an error. ops_keyring_remove empties and removes
 * them in dir (a failed stage's cleanup).
 */
int ops_keyring_copy(const char *from, const char *to, const struct stat *owner, char *err,
                     size_t errlen);
void ops_keyring_remove(const char *dir);

/* fsync of a directory, so that the renames in it are on disk. */
int ops_sync_dir(const char *dir, char *err, size_t errlen);

/* dir + "/" + name into buf; CS_EINVAL when it does not fit. */
int ops_path(char *buf, size_t len, const char *dir, const char *name);

#endif
