/* SPDX-License-Identifier: MIT */
/*
 * Files written outside SQLite (reports, exports): an atomic write, so a
 * reader or a crash never leaves half a file behind, and the directories
 * they go into.
 */
#ifndef CELLSYNC_FILE_H
#define CELLSYNC_FILE_H

#include <stddef.h>

/*
 * Writes data to path atomically: a temp file in the same directory with
 * the given mode, fsync, rename over path, fsync of the directory. The temp
 * file is unlinked on failure. 0 or -errno with err naming the path.
 */
int cs_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode, char *err,
                         size_t errlen);

/*
 * mkdir -p: makes path and its missing parents (0755), path itself with
 * mode. A directory that is already there is left as it is. 0 or -errno
 * (-ENOTDIR when a part of the path is a file).
 */
int cs_file_mkdirs(const char *path, unsigned mode);

#endif
