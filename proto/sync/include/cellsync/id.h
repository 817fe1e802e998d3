/* SPDX-License-Identifier: MIT */
/*
 * Row and device ids: 16-byte UUIDv7 (48-bit Unix milliseconds, version,
 * 74 random bits from libsodium), made on the device with no coordination.
 * memcmp order is creation order: across devices to the millisecond, and
 * strictly within one process (rand_a is a counter, RFC 9562 method 1).
 */
#ifndef CELLSYNC_ID_H
#define CELLSYNC_ID_H

#include <stddef.h>
#include <stdint.h>

#define CS_ID_LEN     16
#define CS_ID_HEX_LEN 36 /* 8-4-4-4-12 with dashes, without the NUL */

struct cs_id {
    uint8_t b[CS_ID_LEN];
};

/* A new UUIDv7 stamped with the wall clock. Needs cs_init(). */
void cs_id_new(struct cs_id *out);

/* A UUIDv7 for the low 48 bits of unix_ms (tests and generators). */
void cs_id_new_at(struct cs_id *out, uint64_t unix_ms);

/*
 * The id of a record every replica must name alike without talking to each
 * other (an org unit by its code, a unit's target for a year): BLAKE2b-128
 * of the name, shaped as a UUIDv8 so it never passes for a made-up v7.
 */
void cs_id_derive(struct cs_id *out, const char *name);

/* Canonical text form, lower case with dashes; out has CS_ID_HEX_LEN + 1 bytes. */
void cs_id_to_hex(const struct cs_id *id, char out[CS_ID_HEX_LEN + 1]);

/*
 * The short form people read and type: the last 8 hex digits, the same for
 * every kind of id (records, devices). The last ones: the first 12 of a
 * UUIDv7 are its time, shared by everything made in the same minute, the last
 * are random. What a person may type for one is in cellsync/find.h.
 */
#define CS_ID_SHORT_LEN 8
void cs_id_short(const struct cs_id *id, char out[CS_ID_SHORT_LEN + 1]);

/*
 * Parses 32 hex digits, with or without the four dashes of the canonical form.
 * Returns 0, or CS_EINVAL with *out unchanged: the caller quotes its input.
 */
int cs_id_from_hex(struct cs_id *out, const char *s, size_t len);

/* -1, 0 or 1, as memcmp. */
int cs_id_cmp(const struct cs_id *a, const struct cs_id *b);
int cs_id_is_zero(const struct cs_id *id);

/* The Unix milliseconds stamped in a UUIDv7. */
uint64_t cs_id_unix_ms(const struct cs_id *id);

#endif
