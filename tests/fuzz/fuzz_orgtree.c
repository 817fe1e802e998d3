/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the org-tree CSV that `cellsyncd init` reads.
 * hub_init would create keys and a database per input, so this calls the
 * reader itself (csv_read, daemon/orgtree.c, declared in hub_internal.h) on
 * a temp file holding the input: it must build a checked tree or refuse
 * with a message naming the file, and free everything either way. Inputs
 * over 4 KiB are skipped to keep runs fast.
 */
#include <stdlib.h>

#include "hub_internal.h"

#include "fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tree t;
    char err[512] = "";

    if (size > 4096)
        return 0;
    const char *path = fuzz_file("orgtree", data, size);
    if (hub__csv_read(path, &t, err, sizeof(err)) != 0) {
        if (err[0] == 0)
            abort();
        return 0;
    }
    hub__tree_release(&t);
    return 0;
}
