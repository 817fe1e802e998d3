/* SPDX-License-Identifier: MIT */
/* The release version, shared by both binaries and the library. */
#ifndef CELLSYNC_VERSION_H
#define CELLSYNC_VERSION_H

#define CS_VERSION_STRING "0.1.0"

/* Called once before anything else; 0 or CS_ECRYPTO if libsodium cannot start. */
int cs_init(void);

#endif
