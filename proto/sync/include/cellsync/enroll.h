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
 * The short code: 16 symbols in 4 groups of 4 ("K7PQ-...-...-...") from
 * the alphabet 23456789ABCDEFGHJKLMNPQRSTUVWXYZ (the digits 0 and 1 and the
 * letters I and O are left out, so nothing is read one way and written
 * another), 5 bits each, most significant first:
 *   symbols  1-3   15 bits: the code's number at its hub, which the hub
 *                  looks the code up by (one row, no trying all open codes);
 *   symbols  4-15  60 bits: the secret part;
 *   symbol  16     the check symbol.
 * The check symbol c makes the first 15 symbols v1..v15 and c a codeword:
 * reading the symbols as elements of GF(32) (x^5 + x^2 + 1),
 * v1*a^15 + v2*a^14 + ... + v15*a + c = 0 with a = x (2). A changed symbol
 * adds e*a^k != 0; two neighbours swapped add (v-w)*a^k*(a+1) != 0: every
 * single mistyped symbol and every swap of two neighbours is caught on
 * the device before any network.
 * The code never travels: the device and the hub run CPace on it
 * (cellsync/pake.h), which proves to each that the other holds it and
 * authenticates the hub's key; only the number goes in the clear.
 * The 32-byte secret of a code, the CPace password: byte 0 zero, bytes
 * 1-2 the code's number (15 bits, big-endian), bytes 3-10 the 60 secret
 * bits (big-endian, top 4 bits 0), bytes 11-31 zero. A file's secret
 * is 32 random bytes (256 bits), never of that shape.
 */
#ifndef CELLSYNC_ENROLL_H
#define CELLSYNC_ENROLL_H

#include <stddef.h>
#include <stdint.h>

#include "cellsync/key.h"

#define CS_ENROLL_SECRET_LEN   32
#define CS_ENROLL_CODE_ID_MAX  (1u << 15) /* code numbers are 0 .. 2^15 - 1 */
#define CS_ENROLL_CODE_SYMBOLS 16         /* with the check symbol */
#define CS_ENROLL_CODE_GROUP   4          /* symbols between dashes */
#define CS_ENROLL_CODE_LEN     19         /* 4 groups of 4 and 3 dashes, without the NUL */
#define CS_ENROLL_FILE_MAX     4096u

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

/* A file's secret: 32 random bytes. */
void cs_enroll_secret_new(uint8_t secret[CS_ENROLL_SECRET_LEN]);

/*
 * A code's secret with the number code_id (below CS_ENROLL_CODE_ID_MAX) and
 * the low 60 bits of bits[0..7] (big-endian) as its secret part.
 */
void cs_enroll_code_secret(uint32_t code_id, const uint8_t bits[8],
                           uint8_t secret[CS_ENROLL_SECRET_LEN]);

/* 1 and the code's number in *code_id if secret has the shape of a code's secret, else 0. */
int cs_enroll_secret_is_code(const uint8_t secret[CS_ENROLL_SECRET_LEN], uint32_t *code_id);

/*
 * The short code of a code's secret. CS_EINVAL if the secret is not a
 * code's secret (a file's secret cannot be given as a code).
 */
int cs_enroll_code_format(const uint8_t secret[CS_ENROLL_SECRET_LEN],
                          char out[CS_ENROLL_CODE_LEN + 1]);

/*
 * Reads a short code as a person types it: any case, with or without the
 * dashes, spaces anywhere. Gives the whole 32-byte secret (the number
 * with cs_enroll_secret_is_code). CS_EINVAL for
 * anything else, with err saying what is wrong: the number of symbols, a
 * symbol no code has, or a check symbol that does not match (a typo).
 */
int cs_enroll_code_parse(const char *code, uint8_t secret[CS_ENROLL_SECRET_LEN], char *err,
                         size_t errlen);

#endif
