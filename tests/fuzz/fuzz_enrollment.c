/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the enrollment file a device is handed: the input is
 * the file. cs_enrollment_read must take it whole or refuse it with a
 * message and a zeroed result; what it takes must write back and read again
 * to the same enrollment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellsync/enroll.h"
#include "cellsync/version.h"
#include "fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct cs_enrollment zero;
    struct cs_enrollment e, again;
    char err[256] = "";
    static int ready;

    if (!ready && cs_init() != 0)
        abort();
    ready = 1;
    if (size > 2 * CS_ENROLL_FILE_MAX)
        return 0;
    const char *path = fuzz_file("enrollment", data, size);
    if (cs_enrollment_read(path, &e, err, sizeof(err)) != 0) {
        if (err[0] == 0 || memcmp(&e, &zero, sizeof(e)) != 0)
            abort();
        return 0;
    }
    char back[300];
    snprintf(back, sizeof(back), "%s.back", path);
    unlink(back);
    if (cs_enrollment_write(&e, back, err, sizeof(err)) != 0 ||
        cs_enrollment_read(back, &again, err, sizeof(err)) != 0 ||
        memcmp(&again, &e, sizeof(e)) != 0)
        abort();
    unlink(back);
    return 0;
}
