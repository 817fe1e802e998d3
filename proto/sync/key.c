/* SPDX-License-Identifier: MIT */
/*
 * Ed25519 identity keys and their files. The 64-byte libsodium secret key
 * (seed followed by public key) lives in sodium_malloc memory, kept read-only
 * between uses and wiped by sodium_free. Key files are the small text format
 * documented in cellsync/key.h; the loader accepts that exact format only and
 * re-derives the key pair from the seed, so an edited file is refused rather
 * than signing with a public key that does not belong to it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/key.h"
#include "internal.h"

#define SK_LEN        crypto_sign_SECRETKEYBYTES /* seed || pk */
#define SK_HEADER     "cellsync-secret-key 1\n"
#define PK_HEADER     "cellsync-public-key 1\n"
#define SK_HEADER_LEN (sizeof(SK_HEADER) - 1)
#define PK_HEADER_LEN (sizeof(PK_HEADER) - 1)
#define SK_FILE_LEN   (SK_HEADER_LEN + 2 * SK_LEN + 1)
#define PK_FILE_LEN   (PK_HEADER_LEN + 2 * CS_PK_LEN + 1)
/* Far above either format: a bigger file is refused before it is read. */
#define KEY_FILE_MAX 4096

struct cs_key {
    uint8_t pk[CS_PK_LEN];
    /*
     * SK_LEN bytes of sodium_malloc memory, then the X25519 form of the
     * secret (X_SK_OFF): read-only outside key_new. Both X25519 forms are
     * made once, when the key is sealed, not at every envelope and handshake.
     */
    uint8_t *sk;
    uint8_t x_pk[crypto_scalarmult_BYTES];
    int x_ok; /* the forms exist (an Ed25519 key always has them) */
};
#define X_SK_OFF SK_LEN

/* A key with writable secret memory; the caller fills sk and calls key_seal_sk. */
static int
key_new(struct cs_key **out)
{
    struct cs_key *k = calloc(1, sizeof(*k));
    if (k == NULL)
        return CS_ENOMEM;
    k->sk = sodium_malloc(SK_LEN + crypto_scalarmult_SCALARBYTES);
    if (k->sk == NULL) {
        free(k);
        return CS_ENOMEM;
    }
    *out = k;
    return 0;
}

/* The X25519 forms, then nothing writes the secret after construction: a stray write faults. */
static void
key_seal_sk(struct cs_key *k)
{
    k->x_ok = crypto_sign_ed25519_sk_to_curve25519(k->sk + X_SK_OFF, k->sk) == 0 &&
              crypto_sign_ed25519_pk_to_curve25519(k->x_pk, k->pk) == 0;
    sodium_mprotect_readonly(k->sk);
}

/* seed NULL: a fresh random key pair. */
static int
key_make(struct cs_key **out, const uint8_t *seed)
{
    struct cs_key *k = NULL;
    int ret = key_new(&k);

    *out = NULL;
    if (ret < 0)
        goto out;
    if ((seed ? crypto_sign_seed_keypair(k->pk, k->sk, seed) : crypto_sign_keypair(k->pk, k->sk)) !=
        0) {
        ret = CS_ECRYPTO;
        goto out;
    }
    key_seal_sk(k);
    *out = k;
    k = NULL;
    ret = 0;
out:
    cs_key_free(k);
    return ret;
}

int
cs_key_generate(struct cs_key **out)
{
    return key_make(out, NULL);
}

int
cs_key_from_seed(struct cs_key **out, const uint8_t seed[32])
{
    return key_make(out, seed);
}

void
cs_key_free(struct cs_key *k)
{
    if (k == NULL)
        return;
    /* sodium_free makes the pages writable again and wipes them. */
    sodium_free(k->sk);
    free(k);
}

const uint8_t *
cs_key_pk(const struct cs_key *k)
{
    return k->pk;
}

void
cs_pk_id(const uint8_t pk[CS_PK_LEN], struct cs_id *out)
{
    crypto_generichash(out->b, sizeof(out->b), pk, CS_PK_LEN, NULL, 0);
}

void
cs_key_id(const struct cs_key *k, struct cs_id *out)
{
    cs_pk_id(k->pk, out);
}

void
cs_key_sign(const struct cs_key *k, uint8_t sig[CS_SIG_LEN], const uint8_t *msg, size_t len)
{
    crypto_sign_detached(sig, NULL, msg, len, k->sk);
}

int
cs_sig_verify(const uint8_t pk[CS_PK_LEN], const uint8_t sig[CS_SIG_LEN], const uint8_t *msg,
              size_t len)
{
    /* libsodium refuses small-order keys and non-canonical signatures here. */
    if (crypto_sign_verify_detached(sig, msg, len, pk) != 0)
        return CS_ESIGNATURE;
    return 0;
}

int
cs__key_dh_x25519(const struct cs_key *k, const uint8_t x_pk[32], uint8_t shared[32])
{
    /* Non-zero for a low-order point, whose "shared secret" anyone knows. */
    if (!k->x_ok || crypto_scalarmult(shared, k->sk + X_SK_OFF, x_pk) != 0) {
        sodium_memzero(shared, 32);
        return CS_ECRYPTO;
    }
    return 0;
}

int
cs__key_x25519_sk(const struct cs_key *k, uint8_t x_sk[32])
{
    if (!k->x_ok) {
        sodium_memzero(x_sk, 32);
        return CS_ECRYPTO;
    }
    memcpy(x_sk, k->sk + X_SK_OFF, 32);
    return 0;
}

const uint8_t *
cs__key_x25519_pk(const struct cs_key *k)
{
    return k->x_ok ? k->x_pk : NULL;
}

int
cs_key_dh(const struct cs_key *k, const uint8_t peer_pk[CS_PK_LEN], uint8_t shared[32])
{
    uint8_t x_pk[crypto_scalarmult_BYTES];

    if (crypto_sign_ed25519_pk_to_curve25519(x_pk, peer_pk) != 0) {
        sodium_memzero(shared, 32);
        return CS_ECRYPTO;
    }
    return cs__key_dh_x25519(k, x_pk, shared);
}

void
cs_key_subkey(const struct cs_key *k, uint64_t n, const char ctx[8], uint8_t out[32])
{
    /*
     * libsodium's crypto_kdf (BLAKE2b keyed with the master key, with the
     * subkey number and context as salt and personal): the seed is the
     * master key, so the subkey lives and dies with the key file.
     */
    crypto_kdf_derive_from_key(out, 32, n, ctx, k->sk);
}

int
cs_key_save(const struct cs_key *k, const char *path, char *err, size_t errlen)
{
    return cs_key_save_pass(k, path, NULL, 0, 0, err, errlen);
}

/*
 * Checks "header" + hex + "\n" with exactly 2 * binlen hex digits and decodes
 * them into bin. 0 or -1; bin may be partly written on failure.
 */
static int
parse_key_text(const uint8_t *buf, size_t len, const char *header, size_t header_len, uint8_t *bin,
               size_t binlen)
{
    size_t hexlen = 2 * binlen;
    size_t decoded = 0;

    if (len != header_len + hexlen + 1 || memcmp(buf, header, header_len) != 0 ||
        buf[len - 1] != '\n')
        return -1;
    /* Without an ignore set or an end pointer, any non-hex digit is an error. */
    const char *hex = (const char *)buf + header_len;
    if (sodium_hex2bin(bin, binlen, hex, hexlen, NULL, &decoded, NULL) != 0 || decoded != binlen)
        return -1;
    return 0;
}

/*
 * The sealed format (cellsync/key.h): the parameters line, and the secret
 * sealed with ChaCha20-Poly1305 under Argon2id of the passphrase.
 */
#define SEALED_HEADER     "cellsync-secret-key 2\n"
#define SEALED_HEADER_LEN (sizeof(SEALED_HEADER) - 1)
#define SEAL_ALG          "argon2id13"
#define SEAL_SALT_LEN     crypto_pwhash_SALTBYTES
#define SEAL_NONCE_LEN    crypto_aead_chacha20poly1305_ietf_NPUBBYTES
#define SEAL_CT_LEN       (SK_LEN + crypto_aead_chacha20poly1305_ietf_ABYTES)
/* The header and the parameters line at their longest, with room to spare. */
#define SEAL_HEAD_MAX 192

/* The header and parameters line of a sealed file into buf (SEAL_HEAD_MAX): its length. */
static size_t
seal_head(char *buf, unsigned long long ops, size_t mem, const uint8_t salt[SEAL_SALT_LEN],
          const uint8_t nonce[SEAL_NONCE_LEN])
{
    char salt_hex[2 * SEAL_SALT_LEN + 1], nonce_hex[2 * SEAL_NONCE_LEN + 1];

    sodium_bin2hex(salt_hex, sizeof(salt_hex), salt, SEAL_SALT_LEN);
    sodium_bin2hex(nonce_hex, sizeof(nonce_hex), nonce, SEAL_NONCE_LEN);
    return (size_t)snprintf(buf, SEAL_HEAD_MAX, SEALED_HEADER SEAL_ALG " %llu %zu %s %s\n", ops,
                            mem, salt_hex, nonce_hex);
}

/* The AEAD key: Argon2id of the passphrase. 0 or CS_ENOMEM (Argon2's memory). */
static int
seal_key(uint8_t key[crypto_aead_chacha20poly1305_ietf_KEYBYTES], const char *pass, size_t passlen,
         const uint8_t salt[SEAL_SALT_LEN], unsigned long long ops, size_t mem)
{
    if (crypto_pwhash(key, crypto_aead_chacha20poly1305_ietf_KEYBYTES, pass, passlen, salt, ops,
                      mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        sodium_memzero(key, crypto_aead_chacha20poly1305_ietf_KEYBYTES);
        return CS_ENOMEM;
    }
    return 0;
}

int
cs_key_save_pass(const struct cs_key *k, const char *path, const char *pass, size_t passlen,
                 unsigned flags, char *err, size_t errlen)
{
    int exclusive = !(flags & CS_KEY_REPLACE);

    if (pass == NULL) {
        char buf[SK_FILE_LEN + 1];
        memcpy(buf, SK_HEADER, SK_HEADER_LEN);
        sodium_bin2hex(buf + SK_HEADER_LEN, 2 * SK_LEN + 1, k->sk, SK_LEN);
        buf[SK_FILE_LEN - 1] = '\n';
        int ret = cs__write_file_atomic(path, buf, SK_FILE_LEN, 0600, exclusive, err, errlen);
        sodium_memzero(buf, sizeof(buf));
        return ret;
    }
    if (passlen == 0 || passlen > CS_KEY_PASS_MAX)
        return cs_errf(err, errlen, CS_EINVAL, _("a passphrase must have 1 to %u bytes"),
                       (unsigned)CS_KEY_PASS_MAX);

    uint8_t salt[SEAL_SALT_LEN], nonce[SEAL_NONCE_LEN],
        key[crypto_aead_chacha20poly1305_ietf_KEYBYTES];
    uint8_t ct[SEAL_CT_LEN];
    char buf[SEAL_HEAD_MAX + 2 * SEAL_CT_LEN + 2];
    unsigned long long ctlen = 0;
    const unsigned long long ops = crypto_pwhash_OPSLIMIT_MODERATE;
    const size_t mem = crypto_pwhash_MEMLIMIT_MODERATE;
    int ret;

    randombytes_buf(salt, sizeof(salt));
    randombytes_buf(nonce, sizeof(nonce));
    size_t head = seal_head(buf, ops, mem, salt, nonce);
    if ((ret = seal_key(key, pass, passlen, salt, ops, mem)) != 0) {
        ret = cs_errf(err, errlen, ret, _("cannot seal '%s': out of memory"), path);
        goto out;
    }
    /* The key is new for every file (a fresh salt), so a random nonce never repeats under it. */
    crypto_aead_chacha20poly1305_ietf_encrypt(ct, &ctlen, k->sk, SK_LEN, (const uint8_t *)buf, head,
                                              NULL, nonce, key);
    sodium_bin2hex(buf + head, 2 * SEAL_CT_LEN + 1, ct, sizeof(ct));
    buf[head + 2 * SEAL_CT_LEN] = '\n';
    ret =
        cs__write_file_atomic(path, buf, head + 2 * SEAL_CT_LEN + 1, 0600, exclusive, err, errlen);
out:
    sodium_memzero(key, sizeof(key));
    sodium_memzero(buf, sizeof(buf));
    return ret;
}

/*
 * Opens the sealed file buf[0..len) into sk, the passphrase from pass.
 * CS_EKEYFILE for a file not exactly in the format (its parameters line
 * is parsed and written again, and must come out the same), CS_EDECRYPT
 * for a wrong passphrase or an altered file.
 */
static int
unseal(const uint8_t *buf, size_t len, const char *path, const struct cs_key_pass *pass,
       uint8_t *sk, char *err, size_t errlen)
{
    unsigned long long ops = 0;
    size_t mem = 0, decoded = 0, passlen = 0;
    char salt_hex[2 * SEAL_SALT_LEN + 1], nonce_hex[2 * SEAL_NONCE_LEN + 1];
    uint8_t salt[SEAL_SALT_LEN], nonce[SEAL_NONCE_LEN], ct[SEAL_CT_LEN];
    uint8_t key[crypto_aead_chacha20poly1305_ietf_KEYBYTES];
    char again[SEAL_HEAD_MAX];
    char *pw = NULL;
    int ret = CS_EKEYFILE, n = 0;

    const char *text = (const char *)buf;
    const char *eol = memchr(text + SEALED_HEADER_LEN, '\n', len - SEALED_HEADER_LEN);
    if (eol == NULL ||
        sscanf(text + SEALED_HEADER_LEN, SEAL_ALG " %llu %zu %32[0-9a-f] %24[0-9a-f]%n", &ops, &mem,
               salt_hex, nonce_hex, &n) != 4)
        goto malformed;
    size_t head = (size_t)(eol - text) + 1;
    if (sodium_hex2bin(salt, sizeof(salt), salt_hex, strlen(salt_hex), NULL, &decoded, NULL) != 0 ||
        decoded != sizeof(salt) ||
        sodium_hex2bin(nonce, sizeof(nonce), nonce_hex, strlen(nonce_hex), NULL, &decoded, NULL) !=
            0 ||
        decoded != sizeof(nonce) || seal_head(again, ops, mem, salt, nonce) != head ||
        memcmp(again, text, head) != 0 || len != head + 2 * SEAL_CT_LEN + 1 ||
        buf[len - 1] != '\n' ||
        sodium_hex2bin(ct, sizeof(ct), text + head, 2 * SEAL_CT_LEN, NULL, &decoded, NULL) != 0 ||
        decoded != sizeof(ct))
        goto malformed;
    if (ops < crypto_pwhash_OPSLIMIT_INTERACTIVE || ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
        mem < crypto_pwhash_MEMLIMIT_INTERACTIVE || mem > crypto_pwhash_MEMLIMIT_SENSITIVE) {
        ret = cs_errf(err, errlen, CS_EKEYFILE,
                      _("secret key file '%s' asks for Argon2id limits outside the accepted "
                        "ones"),
                      path);
        goto out;
    }
    if (pass == NULL || pass->get == NULL) {
        ret = cs_errf(err, errlen, CS_EKEYFILE,
                      _("secret key file '%s' is sealed with a passphrase, and none can be "
                        "asked here"),
                      path);
        goto out;
    }
    if ((pw = sodium_malloc(CS_KEY_PASS_MAX)) == NULL) {
        ret = cs_errf(err, errlen, CS_ENOMEM, _("cannot load '%s': out of memory"), path);
        goto out;
    }
    if ((ret = pass->get(pass->ud, pw, CS_KEY_PASS_MAX, &passlen, err, errlen)) != 0)
        goto out;
    if (passlen > CS_KEY_PASS_MAX)
        passlen = CS_KEY_PASS_MAX;
    if ((ret = seal_key(key, pw, passlen, salt, ops, mem)) != 0) {
        ret = cs_errf(err, errlen, ret, _("cannot open '%s': out of memory"), path);
        goto out;
    }
    if (crypto_aead_chacha20poly1305_ietf_decrypt(sk, NULL, NULL, ct, sizeof(ct), buf, head, nonce,
                                                  key) != 0) {
        ret = cs_errf(err, errlen, CS_EDECRYPT,
                      _("wrong passphrase for the key of this device ('%s')"), path);
        goto out;
    }
    ret = 0;
    goto out;
malformed:
    ret = cs_errf(err, errlen, CS_EKEYFILE,
                  _("malformed secret key file '%s': not the sealed format \"cellsync-secret-key "
                    "2\""),
                  path);
out:
    sodium_memzero(key, sizeof(key));
    sodium_memzero(ct, sizeof(ct));
    sodium_free(pw);
    return ret;
}

/*
 * The secret key file at path, checked (a regular file, mode 0600 or
 * stricter) and read whole. OUT: *buf, caller wipes and frees it.
 */
static int
read_secret_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    int ret;

    /*
     * The mode is checked before the secret is read, as ssh does. A path that
     * is swapped between stat and open belongs to someone who controls the
     * directory, and so the key, already.
     */
    if (stat(path, &st) < 0)
        return cs_errf(err, errlen, -errno, _("cannot open '%s': %s"), path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return cs_errf(err, errlen, CS_EKEYFILE, _("secret key file '%s' is not a regular file"),
                       path);
    if ((st.st_mode & 077) != 0)
        return cs_errf(err, errlen, CS_EKEYPERM,
                       _("secret key file '%s' has mode %04o, open to group or others: "
                         "run chmod 600 '%s'"),
                       path, (unsigned)(st.st_mode & 07777), path);
    ret = cs__read_file(path, KEY_FILE_MAX, buf, len, err, errlen);
    if (ret == CS_ETOOBIG)
        return cs_errf(err, errlen, CS_EKEYFILE, _("malformed secret key file '%s': too long"),
                       path);
    return ret;
}

int
cs_key_file_sealed(const char *path, char *err, size_t errlen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int ret = read_secret_file(path, &buf, &len, err, errlen);

    if (ret == 0)
        ret = len >= SEALED_HEADER_LEN && memcmp(buf, SEALED_HEADER, SEALED_HEADER_LEN) == 0;
    if (buf != NULL) {
        sodium_memzero(buf, len);
        free(buf);
    }
    return ret;
}

int
cs_key_load(struct cs_key **out, const char *path, char *err, size_t errlen)
{
    return cs_key_load_pass(out, path, NULL, err, errlen);
}

int
cs_key_load_pass(struct cs_key **out, const char *path, const struct cs_key_pass *pass, char *err,
                 size_t errlen)
{
    int ret = 0;
    struct cs_key *k = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    uint8_t seed[crypto_sign_SEEDBYTES];
    uint8_t pk[CS_PK_LEN];
    uint8_t *sk = NULL;

    *out = NULL;
    if ((ret = read_secret_file(path, &buf, &len, err, errlen)) != 0)
        goto out;
    ret = key_new(&k);
    if (ret < 0) {
        ret = cs_errf(err, errlen, ret, _("cannot load '%s': out of memory"), path);
        goto out;
    }
    if (len >= SEALED_HEADER_LEN && memcmp(buf, SEALED_HEADER, SEALED_HEADER_LEN) == 0) {
        if ((ret = unseal(buf, len, path, pass, k->sk, err, errlen)) != 0)
            goto out;
    } else if (parse_key_text(buf, len, SK_HEADER, SK_HEADER_LEN, k->sk, SK_LEN) < 0) {
        ret = cs_errf(err, errlen, CS_EKEYFILE,
                      _("malformed secret key file '%s': expected \"cellsync-secret-key 1\" "
                        "and %u hex digits"),
                      path, (unsigned)(2 * SK_LEN));
        goto out;
    }

    /*
     * The file holds seed || pk. The pk half is only a copy, so it is derived
     * again from the seed and both halves must agree: an edit to either one
     * shows here instead of as signatures nobody can verify.
     */
    sk = sodium_malloc(SK_LEN);
    if (sk == NULL) {
        ret = cs_errf(err, errlen, CS_ENOMEM, _("cannot load '%s': out of memory"), path);
        goto out;
    }
    crypto_sign_ed25519_sk_to_seed(seed, k->sk);
    if (crypto_sign_seed_keypair(pk, sk, seed) != 0) {
        ret = cs_errf(err, errlen, CS_ECRYPTO, _("cannot load '%s': key derivation failed"), path);
        goto out;
    }
    if (sodium_memcmp(sk, k->sk, SK_LEN) != 0) {
        ret = cs_errf(err, errlen, CS_EKEYFILE,
                      _("malformed secret key file '%s': the public half does not match the "
                        "secret half"),
                      path);
        goto out;
    }
    memcpy(k->pk, pk, CS_PK_LEN);
    key_seal_sk(k);
    *out = k;
    k = NULL;
    ret = 0;
out:
    sodium_memzero(seed, sizeof(seed));
    sodium_free(sk);
    if (buf != NULL) {
        sodium_memzero(buf, len);
        free(buf);
    }
    cs_key_free(k);
    return ret;
}

int
cs_pk_save(const uint8_t pk[CS_PK_LEN], const char *path, char *err, size_t errlen)
{
    char buf[PK_FILE_LEN + 1];

    memcpy(buf, PK_HEADER, PK_HEADER_LEN);
    sodium_bin2hex(buf + PK_HEADER_LEN, 2 * CS_PK_LEN + 1, pk, CS_PK_LEN);
    buf[PK_FILE_LEN - 1] = '\n';
    return cs__write_file_atomic(path, buf, PK_FILE_LEN, 0644, 0, err, errlen);
}

int
cs_pk_load(uint8_t pk[CS_PK_LEN], const char *path, char *err, size_t errlen)
{
    int ret = 0;
    uint8_t *buf = NULL;
    size_t len = 0;
    uint8_t tmp[CS_PK_LEN];
    uint8_t x_pk[crypto_scalarmult_BYTES];

    ret = cs__read_file(path, KEY_FILE_MAX, &buf, &len, err, errlen);
    if (ret == CS_ETOOBIG) {
        ret =
            cs_errf(err, errlen, CS_EKEYFILE, _("malformed public key file '%s': too long"), path);
        goto out;
    }
    if (ret < 0)
        goto out;
    if (parse_key_text(buf, len, PK_HEADER, PK_HEADER_LEN, tmp, CS_PK_LEN) < 0) {
        ret = cs_errf(err, errlen, CS_EKEYFILE,
                      _("malformed public key file '%s': expected \"cellsync-public-key 1\" "
                        "and %u hex digits"),
                      path, (unsigned)(2 * CS_PK_LEN));
        goto out;
    }
    /*
     * A pinned key that is not a usable point (small order, not on the curve)
     * would only fail later, at the first handshake: refuse it here.
     */
    if (crypto_sign_ed25519_pk_to_curve25519(x_pk, tmp) != 0) {
        ret = cs_errf(err, errlen, CS_EKEYFILE,
                      _("malformed public key file '%s': not a valid Ed25519 public key"), path);
        goto out;
    }
    /* Only a fully valid key reaches the caller's buffer. */
    memcpy(pk, tmp, CS_PK_LEN);
    ret = 0;
out:
    free(buf);
    return ret;
}
