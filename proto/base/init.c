/* SPDX-License-Identifier: MIT */
/*
 * Library start-up. libsodium must be initialised before the first random
 * id or key; sodium_init() is itself idempotent, so cs_init() is too.
 */
#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/version.h"

int
cs_init(void)
{
    /* 1 means "already initialised", which is success for us. */
    if (sodium_init() < 0)
        return CS_ECRYPTO;
    return 0;
}
