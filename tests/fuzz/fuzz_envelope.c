/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for envelopes. Odd first byte: the rest is an envelope
 * given to peek and open, which must refuse it cleanly (it was not signed by
 * anyone the fuzzer knows) or, for the seed vector, open it. Even first byte:
 * the rest is sealed as a plain change set from the cell to the hub and must
 * open to the same bytes, which exercises compression and decryption on
 * arbitrary contents.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/envelope.h"
#include "cellsync/version.h"
#include "common/sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cs_key *cell, *hub;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (hub == NULL && (cs_init() != 0 || cs_key_from_seed(&cell, cs_test_cell_seed) != 0 ||
                        cs_key_from_seed(&hub, cs_test_hub_seed) != 0))
        abort();
    if (size == 0)
        return 0;
    uint8_t *plain = NULL, *env = NULL;
    size_t plen = 0, elen = 0;
    struct cs_envelope_info info;

    if (data[0] & 1) {
        (void)cs_envelope_peek(data + 1, size - 1, &info);
        if (cs_envelope_open(hub, data + 1, size - 1, &plain, &plen, &info) != 0 && plain != NULL)
            abort();
    } else {
        if (cs_envelope_seal(cell, cs_key_pk(hub), 1, 2, data + 1, size - 1, &env, &elen) != 0 ||
            cs_envelope_open(hub, env, elen, &plain, &plen, &info) != 0 || plen != size - 1 ||
            (plen > 0 && memcmp(plain, data + 1, plen) != 0))
            abort();
    }
    free(plain);
    free(env);
    return 0;
}
