/* SPDX-License-Identifier: MIT */
/*
 * Identity keys. Every device and hub has one Ed25519 key pair; its X25519
 * form is derived for key agreement. The secret half lives in sodium_malloc
 * memory (guarded, locked, wiped on free). A key's id is the first 16 bytes
 * of BLAKE2b(public key): it names recipients in envelope headers and is the
 * device's origin id in registers, so an origin is bound to its key.
 *
 * Key files are text, written through temp file + fsync + rename, the
 * secret key 0600 and never over an existing file (but when its passphrase
 * changes), the public key 0644:
 *   secret: "cellsync-secret-key 1\n" <128 hex digits of the Ed25519 secret> "\n"
 *   sealed: "cellsync-secret-key 2\n"
 *           "argon2id13 " OPSLIMIT " " MEMLIMIT " " <32 hex: salt> " " <24 hex: nonce> "\n"
 *           <160 hex digits: ChaCha20-Poly1305 (IETF) of the 64-byte secret> "\n"
 *   public: "cellsync-public-key 1\n" <64 hex digits> "\n"
 * A sealed file's key is Argon2id (crypto_pwhash, ALG_ARGON2ID13) of the
 * passphrase with the file's salt and limits (decimal: passes, bytes), and
 * its first two lines are the AEAD's additional data, so no limit or salt
 * can be changed. New files get libsodium's MODERATE limits (3 passes over
 * 256 MiB; measured 0.4 s of CPU, 1.1 s wall on the 2-core development
 * machine, once per command that uses the key); a file whose limits are outside
 * [OPSLIMIT_INTERACTIVE, OPSLIMIT_SENSITIVE] x [MEMLIMIT_INTERACTIVE,
 * MEMLIMIT_SENSITIVE] is refused as malformed.
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
/* Reads it back; CS_EKEYPERM if group or others can read it; CS_EKEYFILE for a sealed one. */
int cs_key_load(struct cs_key **out, const char *path, char *err, size_t errlen);

/* The longest passphrase a sealed key takes, in bytes. */
#define CS_KEY_PASS_MAX 1024

/*
 * Where the passphrase of a sealed key file comes from: get() is called only
 * for a sealed file, once per load. It writes at most cap bytes (no NUL
 * needed) into buf, which the loader keeps in sodium_malloc memory and
 * wipes, and their count into *len; 0, or a negative code with err set
 * (no terminal to ask on, ...), which the load returns.
 */
struct cs_key_pass {
    int (*get)(void *ud, char *buf, size_t cap, size_t *len, char *err, size_t errlen);
    void *ud;
};

/*
 * cs_key_load() that opens a sealed file too, asking pass (NULL: a sealed
 * file is CS_EKEYFILE, as for cs_key_load()). A wrong passphrase, or a
 * sealed part that was altered, is CS_EDECRYPT.
 */
int cs_key_load_pass(struct cs_key **out, const char *path, const struct cs_key_pass *pass,
                     char *err, size_t errlen);
/* 1 for a sealed secret key file, 0 for a plain one; a negative code with err if neither. */
int cs_key_file_sealed(const char *path, char *err, size_t errlen);

/* cs_key_save_pass()'s flags: replace path if it exists (a changed passphrase). */
#define CS_KEY_REPLACE 1u
/*
 * Writes the secret key file sealed with the passphrase pass (passlen
 * bytes, 1 to CS_KEY_PASS_MAX), or plain (format 1) when pass is NULL.
 */
int cs_key_save_pass(const struct cs_key *k, const char *path, const char *pass, size_t passlen,
                     unsigned flags, char *err, size_t errlen);

int cs_pk_save(const uint8_t pk[CS_PK_LEN], const char *path, char *err, size_t errlen);
int cs_pk_load(uint8_t pk[CS_PK_LEN], const char *path, char *err, size_t errlen);

#endif
