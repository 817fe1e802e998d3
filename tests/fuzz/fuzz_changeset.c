/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the change set decoder: any bytes must either decode
 * to a set that encodes back and decodes again to the same changes, or be
 * refused with a code and a message. Never a crash, a leak or a partial set.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/changeset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cs_changeset *cs = NULL, *again = NULL;
    char err[256];
    uint8_t *enc = NULL;
    size_t len = 0;

    if (cs_changeset_decode(&cs, data, size, err, sizeof(err)) != 0) {
        if (cs != NULL || err[0] == 0)
            abort();
        return 0;
    }
    if (cs_changeset_encode(cs, &enc, &len) != 0 ||
        cs_changeset_decode(&again, enc, len, err, sizeof(err)) != 0 ||
        cs_changeset_count(again) != cs_changeset_count(cs))
        abort();
    for (size_t i = 0; i < cs_changeset_count(cs); i++) {
        struct cs_change a, b;
        cs_changeset_get(cs, i, &a);
        cs_changeset_get(again, i, &b);
        if (!cs_change_equal(&a, &b))
            abort();
    }
    free(enc);
    cs_changeset_free(again);
    cs_changeset_free(cs);
    return 0;
}
