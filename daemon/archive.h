/* SPDX-License-Identifier: MIT */
/*
 * The archive inside an encrypted backup: POSIX ustar (pax's ustar
 * interchange format), regular files 0600 and the one directory hub-old/
 * (0700), so that `age -d -i KEY backup.age | tar -x` gives a directory
 * `cellsyncd restore` accepts. Written and read as a stream: a file goes
 * through in 64 KiB reads, an archive comes in as decrypted chunks.
 *
 * The reader accepts only what a backup holds (archive_name_ok): no other
 * names, no links, no paths outside the directory it extracts into.
 */
#ifndef CELLSYNC_DAEMON_ARCHIVE_H
#define CELLSYNC_DAEMON_ARCHIVE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

typedef int (*archive_write_fn)(void *ctx, const uint8_t *buf, size_t len);

/* The regular file at path as name (mode 0600). 0, or an error named in err. */
int archive_add_file(archive_write_fn w, void *ctx, const char *name, const char *path, char *err,
                     size_t errlen);
/* A directory entry name/ (mode 0700). */
int archive_add_dir(archive_write_fn w, void *ctx, const char *name, char *err, size_t errlen);
/* The end of the archive: two zero blocks. */
int archive_finish(archive_write_fn w, void *ctx, char *err, size_t errlen);

/* 1 when name (without "./") is what a backup may hold, dir telling a directory entry. */
int archive_name_ok(const char *name, int dir);

/* Extraction into a directory that the caller made empty and private. */
struct archive_reader {
    char dir[PATH_MAX];
    uint8_t hdr[512];
    size_t hlen;         /* bytes of hdr filled */
    uint64_t left;       /* data bytes of the current file still to come */
    uint64_t pad;        /* padding bytes after it */
    int fd;              /* the file being written, or -1 */
    char name[PATH_MAX]; /* the current entry, for messages */
    int zeros;           /* zero blocks seen in a row */
    int ended;
    unsigned files;
};
void archive_reader_init(struct archive_reader *r, const char *dir);
int archive_reader_feed(struct archive_reader *r, const uint8_t *buf, size_t len, char *err,
                        size_t errlen);
/* 0 when the archive ended as it should; CS_ETRUNCATED otherwise. */
int archive_reader_finish(struct archive_reader *r, char *err, size_t errlen);
void archive_reader_release(struct archive_reader *r);

/* Removes what an extraction into dir may have made, and dir itself. */
void archive_remove(const char *dir);

#endif
