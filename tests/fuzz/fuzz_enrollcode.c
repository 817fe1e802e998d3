/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the short enrollment codes people type in
 * (cs_enroll_code_parse): any string is taken or refused with CS_EINVAL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/enroll.h"
#include "cellsync/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t secret[CS_ENROLL_SECRET_LEN];

    if (size > 256)
        return 0;
    char *code = malloc(size + 1);
    if (code == NULL)
        abort();
    memcpy(code, data, size);
    code[size] = 0;
    int rc = cs_enroll_code_parse(code, secret, NULL, 0);
    if (rc != 0 && rc != CS_EINVAL)
        abort();
    free(code);
    return 0;
}
