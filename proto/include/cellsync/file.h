/* SPDX-License-Identifier: MIT */
/*
 * Files written outside SQLite (reports, exports): an atomic write, so a
 * reader or a crash never leaves half a file behind.
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

#endif
