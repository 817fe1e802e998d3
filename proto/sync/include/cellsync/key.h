/* SPDX-License-Identifier: MIT */
/*
 * Identity keys. Every device and hub has one Ed25519 key pair; its X25519
 * form is derived for key agreement. The secret half lives in sodium_malloc
 * memory (guarded, locked, wiped on free). A key's id is the first 16 bytes
 * of BLAKE2b(public key): it names recipients in envelope headers and is the
 * device's origin id in registers, so an origin is bound to its key.
 *
 * Key files are text, written through temp file + fsync + rename, the
 * secret key 0600 and never over an existing file, the public key 0644:
 *   secret: "cellsync-secret-key 1\n" <128 hex digits of the Ed25519 secret> "\n"
 *   public: "cellsync-public-key 1\n" <64 hex digits> "\n"
 */
#ifndef CELLSYNC_KEY_H
#define CELLSYNC_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "cellsync/id.h"

#define CS_PK_LEN  32 /* Ed25519 public key */
#define CS_SIG_LEN 64

struct cs_key;

/* OUT: *out, caller frees with cs_key_free(); NULL on failure. */
int cs_key_generate(struct cs_key **out);
/* Deterministic from a 32-byte seed: test vectors only. */
int cs_key_from_seed(struct cs_key **out, const uint8_t seed[32]);
void cs_key_free(struct cs_key *k);

const uint8_t *cs_key_pk(const struct cs_key *k);
void cs_key_id(const struct cs_key *k, struct cs_id *out);
void cs_pk_id(const uint8_t pk[CS_PK_LEN], struct cs_id *out);

/* Detached Ed25519 signature of msg. */
void cs_key_sign(const struct cs_key *k, uint8_t sig[CS_SIG_LEN], const uint8_t *msg, size_t len);
/* 0, or CS_ESIGNATURE. */
int cs_sig_verify(const uint8_t pk[CS_PK_LEN], const uint8_t sig[CS_SIG_LEN], const uint8_t *msg,
                  size_t len);

/*
 * X25519 shared secret between our key and a peer's Ed25519 public key.
 * CS_ECRYPTO for a public key with no X25519 form or a low-order point.
 */
int cs_key_dh(const struct cs_key *k, const uint8_t peer_pk[CS_PK_LEN], uint8_t shared[32]);

/* Writes the secret key file (0600, atomic); CS_EEXISTS if path exists. */
/*
 * A 32-byte secret derived from the key's seed (crypto_kdf_derive_from_key,
 * subkey n, 8-character context ctx): a secret that is kept with the key
 * without a file of its own.
 */
void cs_key_subkey(const struct cs_key *k, uint64_t n, const char ctx[8], uint8_t out[32]);

int cs_key_save(const struct cs_key *k, const char *path, char *err, size_t errlen);
/* Reads it back; CS_EKEYPERM if group or others can read it. */
int cs_key_load(struct cs_key **out, const char *path, char *err, size_t errlen);

int cs_pk_save(const uint8_t pk[CS_PK_LEN], const char *path, char *err, size_t errlen);
int cs_pk_load(uint8_t pk[CS_PK_LEN], const char *path, char *err, size_t errlen);

#endif
