/* SPDX-License-Identifier: MIT */
/*
 * Hub key rotation (F5 of the security review): a device pins its hub's
 * key at enrollment; `cellsyncd key rotate` makes a new key and a rotation
 * statement, the old key's Ed25519 signature over
 *   "cellsync hub key rotation" || 0x00 || version(1) || old pk(32) ||
 *   new pk(32) || time(8, big-endian Unix seconds)
 * Statements chain (old -> new, new -> newer). A device that still pins an
 * older key receives the chain from its key to the current one (a live
 * session's CS_MSG_ROTATION, a reply bundle's CS_BUNDLE_ROTATION entry),
 * checks each signature with the key it trusts at that step, and only then
 * pins the last key. Whoever holds an old secret key can sign a rotation
 * too: rotate early, and retire the old key once every device has moved.
 *
 * A statement's bytes, CS_ROTATION_LEN: version(1) || old pk || new pk ||
 * time(8) || signature(64); the signed message is the domain text, its
 * 0x00 and the first CS_ROTATION_SIGNED bytes. A chain is statements one
 * after another. The hub keeps its own in <state>/hub.rotations, one line
 * per statement: "cellsync-rotation 1 " and the statement in hex.
 */
#ifndef CELLSYNC_ROTATION_H
#define CELLSYNC_ROTATION_H

#include <stddef.h>
#include <stdint.h>

#include "cellsync/id.h"
#include "cellsync/key.h"

#define CS_ROTATION_VERSION 1
#define CS_ROTATION_SIGNED  (1 + 2 * CS_PK_LEN + 8)
#define CS_ROTATION_LEN     (CS_ROTATION_SIGNED + CS_SIG_LEN)
#define CS_ROTATION_MAX     32 /* statements in one chain */
#define CS_ROTATION_FILE    "hub.rotations"

struct cs_rotation {
    uint8_t old_pk[CS_PK_LEN];
    uint8_t new_pk[CS_PK_LEN];
    uint64_t time;
    uint8_t sig[CS_SIG_LEN];
};

/* The statement old -> new_pk at time, signed by old. CS_EINVAL when new_pk is old's key. */
int cs_rotation_make(const struct cs_key *old, const uint8_t new_pk[CS_PK_LEN], uint64_t time,
                     struct cs_rotation *out);
void cs_rotation_encode(const struct cs_rotation *r, uint8_t out[CS_ROTATION_LEN]);
/* Exactly CS_ROTATION_LEN bytes: CS_EMALFORMED otherwise, CS_EVERSION for another version. */
int cs_rotation_decode(const uint8_t *buf, size_t len, struct cs_rotation *r);
/* 0 when old_pk signed it, else CS_ESIGNATURE (CS_EMALFORMED for a key that is no point). */
int cs_rotation_verify(const struct cs_rotation *r);

/*
 * A chain received by a device that pins `pinned`: every statement decodes,
 * the first one's old key is pinned (CS_ENOTFOUND otherwise), each next one's
 * old key is the one before's new key and its time not earlier
 * (CS_EMALFORMED), and each signature verifies with the key trusted at that
 * step (CS_ESIGNATURE). On success *n statements and `to` the last new key;
 * on failure `to` is untouched and *index (optional) the 0-based statement
 * that failed.
 */
int cs_rotation_chain_verify(const uint8_t pinned[CS_PK_LEN], const uint8_t *chain, size_t len,
                             uint8_t to[CS_PK_LEN], size_t *n, size_t *index);

/*
 * The hub's file. load: a missing file is no statement (0, *n = 0); each
 * line must be well formed and each statement follow the one before
 * (CS_EMALFORMED naming the line); signatures are the devices' to check.
 * OUT: *out malloc'd (NULL when none), caller frees with free().
 * append: the file again with r added, written atomically, 0600.
 */
int cs_rotation_load(const char *path, struct cs_rotation **out, size_t *n, char *err,
                     size_t errlen);
int cs_rotation_append(const char *path, const struct cs_rotation *r, char *err, size_t errlen);

/*
 * The chain from pin to the end of all (n statements) as bytes: the
 * statements from the first whose old key is pin. CS_ENOTFOUND when no
 * statement starts at pin (pin is the current key, or not one of the hub's).
 * OUT: *out malloc'd, caller frees with free().
 */
/* 1 when id is the id (cs_pk_id) of a key some statement of all retired, else 0. */
int cs_rotation_known(const struct cs_rotation *all, size_t n, const struct cs_id *id);

int cs_rotation_chain_from(const struct cs_rotation *all, size_t n, const uint8_t pin[CS_PK_LEN],
                           uint8_t **out, size_t *outlen);

#endif
