/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the daemon's configuration file (daemon/config.c):
 * the input is the file. conf_load must take it or refuse it with a message;
 * the strings it keeps end inside their arrays.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct conf c;
    char err[512] = "";

    if (size > 64 * 1024)
        return 0;
    conf_defaults(&c);
    const char *path = fuzz_file("config", data, size);
    if (conf_load(&c, path, 1, err, sizeof(err)) != 0) {
        if (err[0] == 0)
            abort();
        return 0;
    }
    if (strnlen(c.state, sizeof(c.state)) == sizeof(c.state) ||
        strnlen(c.listen, sizeof(c.listen)) == sizeof(c.listen) ||
        strnlen(c.inbox, sizeof(c.inbox)) == sizeof(c.inbox) ||
        strnlen(c.holidays, sizeof(c.holidays)) == sizeof(c.holidays))
        abort();
    return 0;
}
