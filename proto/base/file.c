/* SPDX-License-Identifier: MIT */
/*
 * Whole-file helpers for the few files cellsync writes outside SQLite (key
 * files, bundles, reports): an atomic write through a temp file in the same directory
 * (fsync, rename, fsync of the directory), so a crash leaves either the old
 * file or the new one, never half of either; and a bounded whole-file read.
 */
#define _GNU_SOURCE /* renameat2, mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellsync/error.h"
#include "cellsync/file.h"
#include "cellsync/i18n.h"
#include "internal.h"

#define TMP_SUFFIX ".tmpXXXXXX"

/*
 * Moves tmp to path unless path exists, without a window in which a file that
 * appears at path could be replaced. renameat2 does it in one step; where the
 * kernel or file system lacks RENAME_NOREPLACE, link() fails with EEXIST just
 * the same, and the temp name is dropped afterwards.
 */
static int
rename_noreplace(const char *tmp, const char *path)
{
#ifdef RENAME_NOREPLACE
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        return -errno;
#endif
    if (link(tmp, path) < 0)
        return -errno;
    /* path is in place; a leftover temp name is untidy but harmless. */
    (void)unlink(tmp);
    return 0;
}

/*
 * Makes the rename durable: the new directory entry is only on disk once the
 * directory itself is synced.
 */
static int
sync_dir_of(const char *path)
{
    int ret = 0;
    int fd = -1;
    const char *slash = strrchr(path, '/');
    char *dir = NULL;

    if (slash == NULL)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (dir == NULL) {
        ret = CS_ENOMEM;
        goto out;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        ret = -errno;
        goto out;
    }
    /* Some file systems cannot sync a directory; there is nothing more to do there. */
    if (fsync(fd) < 0 && errno != EINVAL)
        ret = -errno;
out:;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    free(dir);
    errno = saved;
    return ret;
}

int
cs__write_file_atomic(const char *path, const void *data, size_t len, unsigned mode, int exclusive,
                      char *err, size_t errlen)
{
    int ret = CS_ENOMEM;
    int fd = -1;
    int tmp_exists = 0;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + sizeof(TMP_SUFFIX));

    if (tmp == NULL) {
        ret = cs_errf(err, errlen, CS_ENOMEM, _("cannot write '%s': out of memory"), path);
        goto out;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, TMP_SUFFIX, sizeof(TMP_SUFFIX));

    /* mkostemp makes the file 0600, so a secret is never readable by others. */
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot write '%s': %s"), path, strerror(errno));
        goto out;
    }
    tmp_exists = 1;
    if (fchmod(fd, (mode_t)mode) < 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot write '%s': %s"), path, strerror(errno));
        goto out;
    }

    const uint8_t *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            ret = cs_errf(err, errlen, -errno, _("cannot write '%s': %s"), path, strerror(errno));
            goto out;
        }
        p += n;
        left -= (size_t)n;
    }

    /* The data must be on disk before the name points at it. */
    if (fsync(fd) < 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot write '%s': %s"), path, strerror(errno));
        goto out;
    }
    int rc = close(fd);
    fd = -1;
    if (rc < 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot write '%s': %s"), path, strerror(errno));
        goto out;
    }

    if (exclusive) {
        rc = rename_noreplace(tmp, path);
        if (rc == -EEXIST) {
            ret = cs_errf(err, errlen, CS_EEXISTS, _("cannot write '%s': file exists"), path);
            goto out;
        }
    } else {
        rc = rename(tmp, path) < 0 ? -errno : 0;
    }
    if (rc < 0) {
        ret = cs_errf(err, errlen, rc, _("cannot write '%s': %s"), path, strerror(-rc));
        goto out;
    }
    tmp_exists = 0;

    rc = sync_dir_of(path);
    if (rc < 0) {
        ret = cs_errf(err, errlen, rc, _("cannot sync the directory of '%s': %s"), path,
                      cs_strerror(rc));
        goto out;
    }
    ret = 0;
out:;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    if (tmp_exists)
        unlink(tmp);
    free(tmp);
    errno = saved;
    return ret;
}

int
cs__read_file(const char *path, size_t max, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
    int ret = CS_ENOMEM;
    uint8_t *buf = NULL;
    struct stat st;

    *out = NULL;
    *outlen = 0;

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot open '%s': %s"), path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) < 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), path, strerror(errno));
        goto out;
    }
    if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max) {
        ret = cs_errf(err, errlen, CS_ETOOBIG, _("cannot read '%s': %jd bytes, the limit is %zu"),
                      path, (intmax_t)st.st_size, max);
        goto out;
    }

    /*
     * st_size is only a hint (the file may grow, or be a pipe): read until
     * EOF, one byte past the expected size to see it, and never past max.
     */
    size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size : 4096;
    if (cap > max)
        cap = max;
    /* cap data bytes, one to detect growth, one for the NUL. */
    buf = malloc(cap + 2);
    if (buf == NULL) {
        ret = cs_errf(err, errlen, CS_ENOMEM, _("cannot read '%s': out of memory"), path);
        goto out;
    }
    size_t n = 0;
    for (;;) {
        if (n == cap + 1) {
            if (cap >= max) {
                ret = cs_errf(err, errlen, CS_ETOOBIG,
                              _("cannot read '%s': over the limit of %zu bytes"), path, max);
                goto out;
            }
            /* Grows strictly: cap < max here, and an empty file starts at 0. */
            cap = cap > max / 2 ? max : (cap < 2048 ? 4096 : cap * 2);
            if (cap > max)
                cap = max;
            uint8_t *nbuf = realloc(buf, cap + 2);
            if (nbuf == NULL) {
                ret = cs_errf(err, errlen, CS_ENOMEM, _("cannot read '%s': out of memory"), path);
                goto out;
            }
            buf = nbuf;
        }
        ssize_t r = read(fd, buf + n, cap + 1 - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            ret = cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    buf = NULL;
    ret = 0;
out:;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    free(buf);
    errno = saved;
    return ret;
}

int
cs_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode, char *err,
                     size_t errlen)
{
    return cs__write_file_atomic(path, data, len, mode, 0, err, errlen);
}

int
cs_file_mkdirs(const char *path, unsigned mode)
{
    char buf[PATH_MAX];
    struct stat st;

    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (char *p = buf + 1;; p++) {
        int last = *p == 0;
        if (!last && *p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, last ? (mode_t)mode : 0755) != 0) {
            if (errno != EEXIST)
                return -errno;
            if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
                return -ENOTDIR;
        }
        if (last)
            break;
        *p = '/';
    }
    return 0;
}
