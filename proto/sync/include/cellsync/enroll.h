/* SPDX-License-Identifier: MIT */
/*
 * One-time enrollments, as the hub hands them out and the device reads
 * them: a small text file, or a short code read over the phone. Both the
 * hub daemon (which writes them) and the field client (which reads them)
 * link this, so the two ends can never disagree on the format.
 *
 * The file (mode 0600, written atomically, never over an existing file):
 *   # <one comment line>
 *   addr = hub.example.vn:7461
 *   hub_pk = <64 hex digits: the hub's Ed25519 public key>
 *   org = <the org unit code>
 *   role = cell | committee | hub
 *   name = <the device's name, may be empty>
 *   secret = <64 hex digits>
 *   expires = <Unix seconds>
 * Every key exactly once, in any order; lines starting with '#' and empty
 * lines are skipped; spaces around keys and values are not part of them.
 *
 * The short code: 16 Crockford base32 symbols in 4 groups of 4
 * ("7K3D-1XQ9-..."), 80 bits: 5 bytes of the hub key's id, then the 5
 * random bytes of the secret. A secret that is to be given as a code has
 * only those 5 random bytes, the other 27 are zero, so the device rebuilds
 * the whole 32-byte secret from the code. 40 bits are enough against
 * guessing only because each guess costs a handshake with the hub and an
 * enrollment expires; a file-only enrollment has 32 random bytes.
 */
#ifndef CELLSYNC_ENROLL_H
#define CELLSYNC_ENROLL_H

#include <stddef.h>
#include <stdint.h>

#include "cellsync/key.h"

#define CS_ENROLL_SECRET_LEN  32
#define CS_ENROLL_CODE_RANDOM 5  /* random bytes of a code's secret */
#define CS_ENROLL_CODE_HUB    5  /* bytes of the hub key id in a code */
#define CS_ENROLL_CODE_LEN    19 /* "XXXX-XXXX-XXXX-XXXX", without the NUL */
#define CS_ENROLL_FILE_MAX    4096u

struct cs_enrollment {
    char addr[128]; /* HOST:PORT of the hub */
    uint8_t hub_pk[CS_PK_LEN];
    char org[64];  /* org unit code */
    char role[16]; /* "cell", "committee" or "hub" */
    char name[64]; /* the device's name, "" when the hub left it open */
    uint8_t secret[CS_ENROLL_SECRET_LEN];
    int64_t expires; /* Unix seconds */
};

/* 1 if role is one the hub knows: "cell", "committee", "hub". */
int cs_enroll_role_ok(const char *role);

/*
 * Writes e to path (0600, atomic, CS_EEXISTS if path exists). CS_EINVAL,
 * naming the field, for a value the reader would not take back.
 */
int cs_enrollment_write(const struct cs_enrollment *e, const char *path, char *err, size_t errlen);

/*
 * Reads an enrollment file strictly. CS_EMALFORMED naming the line for an
 * unknown or repeated key, a line without '=', bad hex or a wrong length,
 * and naming the key when one is missing. e is zeroed on failure.
 */
int cs_enrollment_read(const char *path, struct cs_enrollment *e, char *err, size_t errlen);

/*
 * A new random secret: all 32 bytes random, or (as_code) only the first
 * CS_ENROLL_CODE_RANDOM, the rest zero.
 */
void cs_enroll_secret_new(uint8_t secret[CS_ENROLL_SECRET_LEN], int as_code);

/*
 * The short code for a hub key id and a code secret. CS_EINVAL if the
 * secret was not made as_code (its tail is not zero): such a secret cannot
 * be given as a code.
 */
int cs_enroll_code_format(const struct cs_id *hub_id, const uint8_t secret[CS_ENROLL_SECRET_LEN],
                          char out[CS_ENROLL_CODE_LEN + 1]);

/*
 * Reads a short code as a person types it: lower case, with or without the
 * dashes, spaces between groups, and the Crockford look-alikes O for 0 and
 * I or L for 1. Gives the 5 bytes of the hub key id (to check against the
 * hub's key) and the whole 32-byte secret. CS_EINVAL for anything else.
 */
int cs_enroll_code_parse(const char *code, uint8_t hub_id5[CS_ENROLL_CODE_HUB],
                         uint8_t secret[CS_ENROLL_SECRET_LEN]);

#endif
