/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the two handshake messages a peer can send before it
 * is authenticated. Odd first byte: the rest is msg1 for cs_hs_hub_read with
 * the fixed hub key of the test vectors. Even first byte: a device with the
 * fixed cell key starts a handshake to that hub and the rest is read as the
 * hub's msg2 by cs_hs_device_finish. Forged bytes must be refused (they
 * cannot carry the keys' proofs); never a crash or a read past the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/key.h"
#include "cellsync/version.h"
#include "cellsync/wire.h"
#include "common/sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cs_key *cell, *hub;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (hub == NULL && (cs_init() != 0 || cs_key_from_seed(&cell, cs_test_cell_seed) != 0 ||
                        cs_key_from_seed(&hub, cs_test_hub_seed) != 0))
        abort();
    if (size == 0 || size - 1 > CS_WIRE_MAX_PREAUTH)
        return 0;
    struct cs_hs hs;
    memset(&hs, 0, sizeof(hs));
    if (data[0] & 1) {
        struct cs_hello hello;
        if (cs_hs_hub_read(&hs, hub, data + 1, size - 1, &hello) == 0 &&
            strnlen(hello.name, sizeof(hello.name)) == sizeof(hello.name))
            abort();
    } else {
        uint8_t msg1[CS_WIRE_MAX_PREAUTH];
        size_t len = 0;
        struct cs_hello hello = {.hub_seq = 1, .name = "fuzz"};
        struct cs_welcome w;
        unsigned version = 0;
        static const uint8_t ts[CS_WIRE_TS_LEN] = {0x40};
        if (cs_hs_device_start(&hs, cell, cs_key_pk(hub), ts, &hello, msg1, sizeof(msg1), &len) !=
            0)
            abort();
        if (cs_hs_device_finish(&hs, cell, cs_key_pk(hub), data + 1, size - 1, &w, &version) == 0 &&
            strnlen(w.message, sizeof(w.message)) == sizeof(w.message))
            abort();
    }
    cs_hs_release(&hs);
    return 0;
}
