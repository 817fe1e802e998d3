/* SPDX-License-Identifier: MIT */
/*
 * The ustar archive of an encrypted backup (archive.h). Headers are written
 * by hand as POSIX pax's ustar format says: 512-byte blocks, NUL-padded
 * names of at most 100 bytes (ours are short, so no prefix), octal numeric
 * fields with a NUL, the checksum as the sum of the header's bytes with its
 * own field taken as eight spaces, magic "ustar" NUL and version "00".
 * File data is padded to a block; two zero blocks end the archive. The
 * reader also takes GNU tar's magic ("ustar  "), so that an officer's own
 * `tar -c` of a backup directory is read back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "archive.h"
#include "cellsync/error.h"
#include "cellsync/rotation.h"
#include "cellsync/i18n.h"
#include "hub.h"

#define BLOCK     512
#define SIZE_MAX_ (((uint64_t)1 << 33) - 1) /* eleven octal digits */

static void
octal(char *field, size_t width, uint64_t v)
{
    /* width - 1 digits and a NUL (the callers keep v within the digits) */
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%0*llo", (int)(width - 1), (unsigned long long)v);
    memcpy(field, buf + (size_t)n - (width - 1), width);
}

static unsigned
checksum(const uint8_t h[BLOCK])
{
    unsigned sum = 0;
    for (size_t i = 0; i < BLOCK; i++)
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
    return sum;
}

static int
write_header(archive_write_fn w, void *ctx, const char *name, char type, unsigned mode,
             uint64_t size, time_t mtime, char *err, size_t errlen)
{
    uint8_t h[BLOCK] = {0};
    char *c = (char *)h;
    size_t n = strlen(name);
    if (n >= 100)
        return cs_errf(err, errlen, CS_EINVAL, _("'%s': name too long for the archive"), name);
    if (size > SIZE_MAX_)
        return cs_errf(err, errlen, CS_ETOOBIG, _("'%s' is over 8 GiB, too big for the archive"),
                       name);
    memcpy(c, name, n);
    octal(c + 100, 8, mode);
    octal(c + 108, 8, 0); /* uid */
    octal(c + 116, 8, 0); /* gid */
    octal(c + 124, 12, size);
    octal(c + 136, 12, mtime > 0 ? (uint64_t)mtime : 0);
    c[156] = type;
    memcpy(c + 257, "ustar", 6); /* with its NUL */
    memcpy(c + 263, "00", 2);
    snprintf(c + 148, 8, "%06o", checksum(h)); /* six digits and a NUL... */
    c[155] = ' ';                              /* ...and a space */
    return w(ctx, h, BLOCK);
}

int
archive_add_file(archive_write_fn w, void *ctx, const char *name, const char *path, char *err,
                 size_t errlen)
{
    static uint8_t zeros[BLOCK];
    uint8_t buf[65536];
    struct stat st;
    int ret, fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        return cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ret =
            cs_errf(err, errlen, errno ? -errno : CS_EINVAL, _("'%s' is not a regular file"), path);
        goto out;
    }
    if ((ret = write_header(w, ctx, name, '0', 0600, (uint64_t)st.st_size, st.st_mtime, err,
                            errlen)) != 0)
        goto out;
    uint64_t left = (uint64_t)st.st_size;
    while (left > 0) {
        ssize_t n = read(fd, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ret = cs_errf(err, errlen, n < 0 ? -errno : CS_ETRUNCATED, _("cannot read '%s': %s"),
                          path, n < 0 ? strerror(errno) : _("it became shorter while being read"));
            goto out;
        }
        if ((ret = w(ctx, buf, (size_t)n)) != 0)
            goto out;
        left -= (uint64_t)n;
    }
    size_t pad = (BLOCK - (size_t)(st.st_size % BLOCK)) % BLOCK;
    if (pad > 0)
        ret = w(ctx, zeros, pad);
out:
    sodium_memzero(buf, sizeof(buf));
    close(fd);
    return ret;
}

int
archive_add_dir(archive_write_fn w, void *ctx, const char *name, char *err, size_t errlen)
{
    char n[128];
    if (snprintf(n, sizeof(n), "%s/", name) >= (int)sizeof(n))
        return cs_errf(err, errlen, CS_EINVAL, _("'%s': name too long for the archive"), name);
    return write_header(w, ctx, n, '5', 0700, 0, time(NULL), err, errlen);
}

int
archive_finish(archive_write_fn w, void *ctx, char *err, size_t errlen)
{
    static uint8_t zeros[2 * BLOCK];
    (void)err;
    (void)errlen;
    return w(ctx, zeros, sizeof(zeros));
}

/* hub-old/<hex>.key, a retired hub key as the rotation keeps it, or hub-old/audit.key. */
static int
old_key_name(const char *s)
{
    size_t n = strlen(s);
    if (strcmp(s, HUB_AUDIT_KEY) == 0)
        return 1;
    if (n < 5 || n > 4 + 128 || strcmp(s + n - 4, ".key") != 0)
        return 0;
    for (size_t i = 0; i < n - 4; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

int
archive_name_ok(const char *name, int dir)
{
    static const char old[] = HUB_OLD_DIR "/";
    if (dir)
        return strcmp(name, old) == 0 || strcmp(name, HUB_OLD_DIR) == 0;
    if (strcmp(name, HUB_REPLICA) == 0 || strcmp(name, HUB_KEY) == 0 ||
        strcmp(name, HUB_PUB) == 0 || strcmp(name, CS_ROTATION_FILE) == 0)
        return 1;
    return strncmp(name, old, sizeof(old) - 1) == 0 && old_key_name(name + sizeof(old) - 1);
}

void
archive_reader_init(struct archive_reader *r, const char *dir)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->dir, sizeof(r->dir), "%s", dir);
    r->fd = -1;
}

/* A numeric field: octal digits after optional spaces, ended by NUL or space. */
static int
parse_octal(const uint8_t *f, size_t width, uint64_t *v)
{
    size_t i = 0;
    *v = 0;
    while (i < width && f[i] == ' ')
        i++;
    size_t digits = 0;
    for (; i < width && f[i] >= '0' && f[i] <= '7'; i++, digits++)
        *v = (*v << 3) | (uint64_t)(f[i] - '0');
    if (digits == 0 || digits > 11)
        return -1;
    for (; i < width; i++)
        if (f[i] != 0 && f[i] != ' ')
            return -1;
    return 0;
}

/* One header block: checked, and its entry made in r->dir. */
static int
begin_entry(struct archive_reader *r, char *err, size_t errlen)
{
    const uint8_t *h = r->hdr;
    uint64_t sum, size;
    char path[PATH_MAX];

    if (parse_octal(h + 148, 8, &sum) != 0 || sum != checksum(h))
        return cs_errf(err, errlen, CS_EMALFORMED, "%s",
                       _("the archive in the backup is damaged (a header's checksum is wrong)"));
    if (memcmp(h + 257,
               "ustar\0"
               "00",
               8) != 0 &&
        memcmp(h + 257, "ustar  \0", 8) != 0)
        return cs_errf(err, errlen, CS_EMALFORMED, "%s",
                       _("the backup does not hold a ustar archive"));
    if (memchr(h, 0, 100) == NULL || h[345] != 0)
        return cs_errf(err, errlen, CS_EMALFORMED, "%s",
                       _("the archive in the backup has a name it cannot hold"));
    const char *name = (const char *)h;
    if (strncmp(name, "./", 2) == 0)
        name += 2;
    snprintf(r->name, sizeof(r->name), "%s", name);
    if (parse_octal(h + 124, 12, &size) != 0)
        return cs_errf(err, errlen, CS_EMALFORMED, _("'%s' in the backup has a malformed size"),
                       r->name);
    char type = (char)h[156];
    int dir = type == '5';
    if (dir && *name == 0)
        return 0; /* "./" itself */
    if ((type != '0' && type != 0 && !dir) || !archive_name_ok(name, dir))
        return cs_errf(err, errlen, CS_EMALFORMED,
                       _("the backup holds '%s', which is not part of a hub's backup"), r->name);
    if (snprintf(path, sizeof(path), "%s/%s", r->dir, name) >= (int)sizeof(path))
        return cs_errf(err, errlen, CS_EINVAL, _("'%s': path too long"), r->dir);
    if (dir) {
        struct stat st;
        if (mkdir(path, 0700) != 0 &&
            !(errno == EEXIST && lstat(path, &st) == 0 && S_ISDIR(st.st_mode)))
            return cs_errf(err, errlen, -errno, _("cannot create '%s': %s"), path, strerror(errno));
        return 0;
    }
    /* A retired key may come without its directory's own entry. */
    if (strchr(name, '/') != NULL) {
        char sub[PATH_MAX];
        if (snprintf(sub, sizeof(sub), "%s/%s", r->dir, HUB_OLD_DIR) >= (int)sizeof(sub))
            return cs_errf(err, errlen, CS_EINVAL, _("'%s': path too long"), r->dir);
        if (mkdir(sub, 0700) != 0 && errno != EEXIST)
            return cs_errf(err, errlen, -errno, _("cannot create '%s': %s"), sub, strerror(errno));
    }
    r->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (r->fd < 0)
        return cs_errf(err, errlen, errno == EEXIST ? CS_EDUPLICATE : -errno,
                       _("cannot create '%s': %s"), path,
                       errno == EEXIST ? _("the backup holds it twice") : strerror(errno));
    r->left = size;
    r->pad = (BLOCK - size % BLOCK) % BLOCK;
    r->files++;
    return 0;
}

int
archive_reader_feed(struct archive_reader *r, const uint8_t *buf, size_t len, char *err,
                    size_t errlen)
{
    int ret;
    while (len > 0) {
        if (r->ended) {
            /* What tar pads its last record with: zeros, and nothing else. */
            for (size_t i = 0; i < len; i++)
                if (buf[i] != 0)
                    return cs_errf(err, errlen, CS_ETRAILING, "%s",
                                   _("the backup holds data after the end of its archive"));
            return 0;
        }
        if (r->left > 0) {
            size_t n = r->left < len ? (size_t)r->left : len;
            for (size_t off = 0; off < n;) {
                ssize_t w = write(r->fd, buf + off, n - off);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w < 0)
                    return cs_errf(err, errlen, -errno, _("cannot write '%s/%s': %s"), r->dir,
                                   r->name, strerror(errno));
                off += (size_t)w;
            }
            r->left -= n;
            buf += n;
            len -= n;
            continue;
        }
        if (r->fd >= 0) {
            int rc = fsync(r->fd);
            rc |= close(r->fd);
            r->fd = -1;
            if (rc != 0)
                return cs_errf(err, errlen, -errno, _("cannot write '%s/%s': %s"), r->dir, r->name,
                               strerror(errno));
        }
        if (r->pad > 0) {
            size_t n = r->pad < len ? (size_t)r->pad : len;
            r->pad -= n;
            buf += n;
            len -= n;
            continue;
        }
        size_t n = BLOCK - r->hlen < len ? BLOCK - r->hlen : len;
        memcpy(r->hdr + r->hlen, buf, n);
        r->hlen += n;
        buf += n;
        len -= n;
        if (r->hlen < BLOCK)
            continue;
        r->hlen = 0;
        int zero = 1;
        for (size_t i = 0; i < BLOCK && zero; i++)
            zero = r->hdr[i] == 0;
        if (zero) {
            if (++r->zeros == 2)
                r->ended = 1;
            continue;
        }
        if (r->zeros > 0)
            return cs_errf(err, errlen, CS_EMALFORMED, "%s",
                           _("the archive in the backup is damaged (a lone zero block)"));
        if ((ret = begin_entry(r, err, errlen)) != 0)
            return ret;
    }
    return 0;
}

int
archive_reader_finish(struct archive_reader *r, char *err, size_t errlen)
{
    if (!r->ended)
        return cs_errf(err, errlen, CS_ETRUNCATED, "%s",
                       _("the archive in the backup is incomplete (it has no end)"));
    return 0;
}

void
archive_reader_release(struct archive_reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

void
archive_remove(const char *dir)
{
    static const char *const files[] = {HUB_REPLICA, HUB_KEY, HUB_PUB, CS_ROTATION_FILE};
    char path[PATH_MAX], sub[PATH_MAX];
    int e = errno;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        if (snprintf(path, sizeof(path), "%s/%s", dir, files[i]) < (int)sizeof(path))
            unlink(path);
    /* hub-old/: only names a backup may hold were made there. */
    if (snprintf(sub, sizeof(sub), "%s/%s", dir, HUB_OLD_DIR) < (int)sizeof(sub)) {
        DIR *d = opendir(sub);
        struct dirent *de;
        while (d != NULL && (de = readdir(d)) != NULL)
            if (old_key_name(de->d_name) &&
                snprintf(path, sizeof(path), "%s/%s", sub, de->d_name) < (int)sizeof(path))
                unlink(path);
        if (d != NULL)
            closedir(d);
        rmdir(sub);
    }
    rmdir(dir);
    errno = e;
}
