/* SPDX-License-Identifier: MIT */
/*
 * For fuzz targets whose decoder reads a file by name: the input is written
 * to one temp file per process, named once, and rewritten for every run.
 */
#ifndef CS_FUZZ_FILE_H
#define CS_FUZZ_FILE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The temp file's name, holding exactly the input; aborts when it cannot. */
static const char *
fuzz_file(const char *name, const uint8_t *data, size_t size)
{
    static char path[256];
    if (path[0] == 0) {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof(path), "%s/cs_fuzz_%s.%ld", dir != NULL ? dir : "/tmp", name,
                 (long)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        abort();
    return path;
}

#endif
