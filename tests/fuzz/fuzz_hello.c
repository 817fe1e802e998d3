/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the hello and welcome decoders (cellsync/wire.h),
 * which read the plaintext inside the handshake. Odd first byte: the rest is
 * a hello; even: a welcome. What decodes must encode and decode again to the
 * same fields, with every string NUL-terminated inside its array.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t buf[CS_WIRE_MAX_PREAUTH];
    size_t len = 0;

    if (size == 0)
        return 0;
    if (data[0] & 1) {
        struct cs_hello h, again;
        if (cs_hello_decode(data + 1, size - 1, &h) != 0)
            return 0;
        if (strnlen(h.name, sizeof(h.name)) == sizeof(h.name) ||
            cs_hello_encode(&h, buf, sizeof(buf), &len) != 0 ||
            cs_hello_decode(buf, len, &again) != 0 || again.hub_seq != h.hub_seq ||
            again.has_secret != h.has_secret || strcmp(again.name, h.name) != 0 ||
            (h.has_secret && memcmp(again.secret, h.secret, sizeof(h.secret)) != 0) ||
            again.has_incarnation != h.has_incarnation ||
            memcmp(again.incarnation, h.incarnation, sizeof(h.incarnation)) != 0)
            abort();
    } else {
        struct cs_welcome w, again;
        if (cs_welcome_decode(data + 1, size - 1, &w) != 0)
            return 0;
        if (strnlen(w.message, sizeof(w.message)) == sizeof(w.message) ||
            strnlen(w.org, sizeof(w.org)) == sizeof(w.org) ||
            strnlen(w.role, sizeof(w.role)) == sizeof(w.role) ||
            cs_welcome_encode(&w, buf, sizeof(buf), &len) != 0 ||
            cs_welcome_decode(buf, len, &again) != 0 || again.status != w.status ||
            again.hub_time != w.hub_time || again.up_seq != w.up_seq ||
            strcmp(again.message, w.message) != 0 || strcmp(again.org, w.org) != 0 ||
            strcmp(again.role, w.role) != 0 || again.has_incarnation != w.has_incarnation ||
            memcmp(again.incarnation, w.incarnation, sizeof(w.incarnation)) != 0 ||
            again.down_seq != w.down_seq)
            abort();
    }
    return 0;
}
