/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for what a peer sends inside a session: the first four
 * bytes are a frame header, checked against the session limit as the daemon
 * does before anything else; the rest is one session message for
 * cs_msg_decode. A message that decodes must encode and decode again to the
 * same type and fields; anything else is refused without a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < CS_WIRE_HEADER)
        return 0;
    uint32_t len = 0;
    if (cs_wire_frame_len(data, CS_WIRE_MAX_FRAME, &len) == 0 && len > CS_WIRE_MAX_FRAME)
        abort();
    (void)cs_wire_frame_len(data, CS_WIRE_MAX_PREAUTH, &len);

    struct cs_msg m, again;
    uint8_t *enc = NULL;
    size_t enclen = 0;
    memset(&m, 0, sizeof(m));
    if (cs_msg_decode(&m, data + CS_WIRE_HEADER, size - CS_WIRE_HEADER) != 0) {
        cs_msg_release(&m);
        return 0;
    }
    memset(&again, 0, sizeof(again));
    if (cs_msg_encode(&m, &enc, &enclen) != 0 || cs_msg_decode(&again, enc, enclen) != 0 ||
        again.type != m.type || again.seq != m.seq || again.hub_time != m.hub_time ||
        again.envlen != m.envlen || again.nrefused != m.nrefused || again.code != m.code ||
        (m.envlen > 0 && memcmp(again.env, m.env, m.envlen) != 0))
        abort();
    cs_msg_release(&again);
    free(enc);
    cs_msg_release(&m);
    return 0;
}
