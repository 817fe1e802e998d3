/* SPDX-License-Identifier: MIT */
/*
 * The age file format, version 1 (age-encryption.org/v1, C2SP), with its
 * native X25519 recipient type: what the hub's backups are encrypted with,
 * so that a district's IT officer can open one with the standard `age`
 * tool on an offline machine, and what our tests check both ways against
 * that tool.
 *
 * An identity is 32 random bytes ("AGE-SECRET-KEY-1..." in Bech32), its
 * recipient the X25519 public key ("age1..."). Files are written and read
 * as a stream, one 64 KiB chunk at a time, through a callback: nothing
 * holds a whole file in memory.
 */
#ifndef CELLSYNC_AGE_H
#define CELLSYNC_AGE_H

#include <stddef.h>
#include <stdint.h>

#define CS_AGE_KEY_LEN     32
#define CS_AGE_CHUNK       65536 /* plaintext bytes per STREAM chunk */
#define CS_AGE_PUB_SIZE    64    /* "age1" + 58 characters + NUL */
#define CS_AGE_SECRET_SIZE 80    /* "AGE-SECRET-KEY-1" + 58 characters + NUL */

/* A new identity and its recipient. */
void cs_age_keygen(uint8_t sk[CS_AGE_KEY_LEN], uint8_t pk[CS_AGE_KEY_LEN]);

/* The recipient of an identity: X25519(sk, basepoint). CS_ECRYPTO. */
int cs_age_public(const uint8_t sk[CS_AGE_KEY_LEN], uint8_t pk[CS_AGE_KEY_LEN]);

/* "age1..." (lower case) and "AGE-SECRET-KEY-1..." (upper case), NUL-terminated. */
void cs_age_recipient_encode(const uint8_t pk[CS_AGE_KEY_LEN], char out[CS_AGE_PUB_SIZE]);
void cs_age_identity_encode(const uint8_t sk[CS_AGE_KEY_LEN], char out[CS_AGE_SECRET_SIZE]);
/* Their Bech32 forms read back (either case, not mixed): 0 or CS_EMALFORMED. */
int cs_age_recipient_decode(const char *s, uint8_t pk[CS_AGE_KEY_LEN]);
int cs_age_identity_decode(const char *s, uint8_t sk[CS_AGE_KEY_LEN]);

/*
 * A new identity written to path in age's identity-file layout ("# created:",
 * "# public key:" and the secret line), mode 0600, never over an existing
 * file, and its recipient line to path.pub (0644, no-replace too; checked
 * first, so that neither is written when either exists). pk gets the
 * recipient. CS_EEXISTS or -errno, with err naming the file.
 */
int cs_age_identity_new(const char *path, uint8_t pk[CS_AGE_KEY_LEN], char *err, size_t errlen);

/*
 * The identity in an identity file (comments and blank lines skipped; the
 * first AGE-SECRET-KEY-1 line counts). CS_EKEYFILE naming the line.
 */
int cs_age_identity_load(const char *path, uint8_t sk[CS_AGE_KEY_LEN], char *err, size_t errlen);

/*
 * A recipient given as the "age1..." string itself, or as a file holding
 * one (a .pub written by cs_age_identity_new, or any age recipients file:
 * the first recipient line counts). CS_EKEYFILE, -errno.
 */
int cs_age_recipient_load(const char *arg, uint8_t pk[CS_AGE_KEY_LEN], char *err, size_t errlen);

/* Where an encrypted stream goes: 0, or a negative code that stops the writer. */
typedef int (*cs_age_write_fn)(void *ctx, const uint8_t *buf, size_t len);
/*
 * Where an encrypted stream comes from: at most cap bytes into buf, *got
 * of them (0 only at the end of the stream). 0 or a negative code.
 */
typedef int (*cs_age_read_fn)(void *ctx, uint8_t *buf, size_t cap, size_t *got);

/* Encryption to one recipient: header at once, then the payload chunk by chunk. */
struct cs_age_enc;
/* OUT: *out, free with cs_age_enc_free(). The header and nonce are written before it returns. */
int cs_age_enc_new(struct cs_age_enc **out, const uint8_t pk[CS_AGE_KEY_LEN], cs_age_write_fn w,
                   void *ctx);
int cs_age_enc_write(struct cs_age_enc *e, const void *buf, size_t len);
/* The last chunk. Nothing may be written after it. */
int cs_age_enc_finish(struct cs_age_enc *e);
void cs_age_enc_free(struct cs_age_enc *e);

/*
 * Decryption with one identity. cs_age_dec_new reads and checks the whole
 * header: CS_EVERSION for what is not an age v1 file (armored files
 * included), CS_EMALFORMED for a header that breaks the format,
 * CS_ERECIPIENT when no stanza opens with the identity, CS_EDECRYPT when
 * the header MAC does not verify. err says which, in words.
 */
struct cs_age_dec;
int cs_age_dec_new(struct cs_age_dec **out, const uint8_t sk[CS_AGE_KEY_LEN], cs_age_read_fn r,
                   void *ctx, char *err, size_t errlen);
/*
 * The next authenticated chunk of plaintext (*data borrowed until the next
 * call), *len 0 after the final chunk. CS_EDECRYPT for a chunk that does
 * not authenticate (changed, or cut short inside), CS_ETRUNCATED when the
 * stream ends before a final chunk, CS_EMALFORMED for an empty final chunk
 * after others.
 */
int cs_age_dec_read(struct cs_age_dec *d, const uint8_t **data, size_t *len, char *err,
                    size_t errlen);
void cs_age_dec_free(struct cs_age_dec *d);

#endif
