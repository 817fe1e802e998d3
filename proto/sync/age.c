/* SPDX-License-Identifier: MIT */
/*
 * The age v1 file format (age-encryption.org/v1, the C2SP text) with the
 * X25519 recipient type, on libsodium: X25519 (crypto_scalarmult),
 * ChaCha20-Poly1305 IETF, HMAC-SHA-256 and HKDF-SHA-256 (hkdf.c). What
 * each part follows, in the spec's words:
 *  - the file key is 16 random bytes; an X25519 stanza wraps it under
 *    HKDF-SHA-256(ikm = X25519(ephemeral, recipient), salt = ephemeral
 *    share || recipient, info "age-encryption.org/v1/X25519") with a zero
 *    nonce; an all-zero shared secret is refused both ways;
 *  - the header ends in "--- " and the HMAC-SHA-256 under HKDF(file key,
 *    empty salt, "header") of every header byte up to "---";
 *  - base64 is standard, unpadded and canonical (decoded text is encoded
 *    again and must come out the same);
 *  - the payload is a 16-byte nonce and STREAM: chunks of 64 KiB under
 *    HKDF(file key, salt nonce, "payload"), nonce = 11-byte big-endian
 *    counter || 0x01 for the final chunk, 0x00 before; the final chunk may
 *    be full, is empty only when the whole payload is, and a stream that
 *    ends without one is refused;
 *  - keys are Bech32 (BIP 173, not bech32m): "age" and "AGE-SECRET-KEY-".
 * The reader holds one chunk and one byte beyond, to know whether a full
 * chunk is the final one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cellsync/age.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "internal.h"

#define FILE_KEY_LEN 16
#define NONCE_LEN    16
#define TAG_LEN      crypto_aead_chacha20poly1305_ietf_ABYTES
#define CT_CHUNK     (CS_AGE_CHUNK + TAG_LEN)
#define MAC_B64_LEN  43
#define HEADER_MAX   (64 * 1024) /* header bytes we read before giving up */
#define BODY_MAX     (16 * 1024) /* base64 text of one stanza's body */

static const char VERSION_LINE[] = "age-encryption.org/v1";
static const char X25519_INFO[] = "age-encryption.org/v1/X25519";
static const char HRP_PUB[] = "age";
static const char HRP_SECRET[] = "age-secret-key-";

/* ---- Bech32 (BIP 173) ---- */

static const char CHARSET[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t
polymod_step(uint32_t chk, uint8_t v)
{
    static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint8_t top = (uint8_t)(chk >> 25);
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; i++)
        if ((top >> i) & 1)
            chk ^= gen[i];
    return chk;
}

/* The checksum state after the expanded hrp (lower case). */
static uint32_t
polymod_hrp(const char *hrp, size_t n)
{
    uint32_t chk = 1;
    for (size_t i = 0; i < n; i++)
        chk = polymod_step(chk, (uint8_t)hrp[i] >> 5);
    chk = polymod_step(chk, 0);
    for (size_t i = 0; i < n; i++)
        chk = polymod_step(chk, (uint8_t)hrp[i] & 31);
    return chk;
}

static int
lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int
cs__bech32_encode(char *out, size_t outlen, const char *hrp, const uint8_t *data, size_t len,
                  int upper)
{
    size_t hn = strlen(hrp), groups = (len * 8 + 4) / 5;
    if (hn + 1 + groups + 6 + 1 > outlen)
        return CS_ETOOBIG;
    size_t o = 0;
    for (size_t i = 0; i < hn; i++)
        out[o++] = (char)lower((unsigned char)hrp[i]);
    out[o++] = '1';
    uint32_t chk = polymod_hrp(out, hn), acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | data[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            uint8_t v = (acc >> bits) & 31;
            chk = polymod_step(chk, v);
            out[o++] = CHARSET[v];
        }
    }
    if (bits > 0) {
        uint8_t v = (acc << (5 - bits)) & 31;
        chk = polymod_step(chk, v);
        out[o++] = CHARSET[v];
    }
    for (int i = 0; i < 6; i++)
        chk = polymod_step(chk, 0);
    chk ^= 1;
    for (int i = 0; i < 6; i++)
        out[o++] = CHARSET[(chk >> (5 * (5 - i))) & 31];
    out[o] = 0;
    if (upper)
        for (size_t i = 0; i < o; i++)
            out[i] = (char)(out[i] >= 'a' && out[i] <= 'z' ? out[i] - 'a' + 'A' : out[i]);
    return 0;
}

/*
 * The checks of BIP 173's decoder: characters 33..126, one case, the last
 * '1' separating a non-empty hrp from at least six data characters of the
 * charset, the checksum. *sep gets the separator's index.
 */
static int
bech32_check(const char *s, size_t maxlen, size_t *sep)
{
    size_t n = strlen(s);
    int has_lower = 0, has_upper = 0;
    if (n > maxlen)
        return 0;
    const char *one = NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 33 || c > 126)
            return 0;
        has_lower |= c >= 'a' && c <= 'z';
        has_upper |= c >= 'A' && c <= 'Z';
        if (c == '1')
            one = s + i;
    }
    if ((has_lower && has_upper) || one == NULL || one == s || (size_t)(s + n - one - 1) < 6)
        return 0;
    size_t hn = (size_t)(one - s);
    uint32_t chk = 1;
    for (size_t i = 0; i < hn; i++)
        chk = polymod_step(chk, (uint8_t)lower((unsigned char)s[i]) >> 5);
    chk = polymod_step(chk, 0);
    for (size_t i = 0; i < hn; i++)
        chk = polymod_step(chk, (uint8_t)lower((unsigned char)s[i]) & 31);
    for (size_t i = hn + 1; i < n; i++) {
        const char *p = strchr(CHARSET, lower((unsigned char)s[i]));
        if (p == NULL || *p == 0)
            return 0;
        chk = polymod_step(chk, (uint8_t)(p - CHARSET));
    }
    if (chk != 1)
        return 0;
    *sep = hn;
    return 1;
}

int
cs__bech32_verify(const char *s, size_t maxlen)
{
    size_t sep;
    return bech32_check(s, maxlen, &sep);
}

int
cs__bech32_decode(const char *s, size_t maxlen, char *hrp, size_t hrpcap, uint8_t *data,
                  size_t datacap, size_t *len)
{
    size_t sep, n = strlen(s);
    if (!bech32_check(s, maxlen, &sep) || sep + 1 > hrpcap)
        return CS_EMALFORMED;
    for (size_t i = 0; i < sep; i++)
        hrp[i] = (char)lower((unsigned char)s[i]);
    hrp[sep] = 0;
    /* 5-bit groups to bytes; what is left over must be under 5 bits and zero. */
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = sep + 1; i < n - 6; i++) {
        acc = ((acc << 5) | (uint32_t)(strchr(CHARSET, lower((unsigned char)s[i])) - CHARSET)) &
              0xfff;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (o == datacap)
                return CS_EMALFORMED;
            data[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
        return CS_EMALFORMED;
    *len = o;
    return 0;
}

/* ---- keys ---- */

void
cs_age_keygen(uint8_t sk[CS_AGE_KEY_LEN], uint8_t pk[CS_AGE_KEY_LEN])
{
    do
        randombytes_buf(sk, CS_AGE_KEY_LEN);
    while (crypto_scalarmult_base(pk, sk) != 0);
}

int
cs_age_public(const uint8_t sk[CS_AGE_KEY_LEN], uint8_t pk[CS_AGE_KEY_LEN])
{
    return crypto_scalarmult_base(pk, sk) == 0 ? 0 : CS_ECRYPTO;
}

void
cs_age_recipient_encode(const uint8_t pk[CS_AGE_KEY_LEN], char out[CS_AGE_PUB_SIZE])
{
    cs__bech32_encode(out, CS_AGE_PUB_SIZE, HRP_PUB, pk, CS_AGE_KEY_LEN, 0);
}

void
cs_age_identity_encode(const uint8_t sk[CS_AGE_KEY_LEN], char out[CS_AGE_SECRET_SIZE])
{
    cs__bech32_encode(out, CS_AGE_SECRET_SIZE, HRP_SECRET, sk, CS_AGE_KEY_LEN, 1);
}

/* age's Bech32 has no length limit; ours stops at what a 32-byte key can be. */
static int
key_decode(const char *s, const char *want_hrp, uint8_t key[CS_AGE_KEY_LEN])
{
    char hrp[24];
    uint8_t buf[CS_AGE_KEY_LEN + 1];
    size_t n;
    int ret = CS_EMALFORMED;
    if (cs__bech32_decode(s, 128, hrp, sizeof(hrp), buf, sizeof(buf), &n) == 0 &&
        strcmp(hrp, want_hrp) == 0 && n == CS_AGE_KEY_LEN) {
        memcpy(key, buf, CS_AGE_KEY_LEN);
        ret = 0;
    }
    sodium_memzero(buf, sizeof(buf));
    return ret;
}

int
cs_age_recipient_decode(const char *s, uint8_t pk[CS_AGE_KEY_LEN])
{
    return key_decode(s, HRP_PUB, pk);
}

int
cs_age_identity_decode(const char *s, uint8_t sk[CS_AGE_KEY_LEN])
{
    return key_decode(s, HRP_SECRET, sk);
}

int
cs_age_identity_new(const char *path, uint8_t pk[CS_AGE_KEY_LEN], char *err, size_t errlen)
{
    char pub_path[4096], pub[CS_AGE_PUB_SIZE], secret[CS_AGE_SECRET_SIZE], when[32];
    char text[256], pub_line[CS_AGE_PUB_SIZE + 1];
    uint8_t sk[CS_AGE_KEY_LEN];
    struct stat st;
    int ret;

    if (snprintf(pub_path, sizeof(pub_path), "%s.pub", path) >= (int)sizeof(pub_path))
        return cs_errf(err, errlen, CS_EINVAL, _("'%s': path too long"), path);
    if (lstat(pub_path, &st) == 0)
        return cs_errf(err, errlen, CS_EEXISTS, _("cannot write '%s': file exists"), pub_path);
    if (lstat(path, &st) == 0)
        return cs_errf(err, errlen, CS_EEXISTS, _("cannot write '%s': file exists"), path);
    cs_age_keygen(sk, pk);
    cs_age_recipient_encode(pk, pub);
    cs_age_identity_encode(sk, secret);
    sodium_memzero(sk, sizeof(sk));
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    /* age-keygen's layout, so that `age -d -i FILE` reads it as it is. */
    int n =
        snprintf(text, sizeof(text), "# created: %s\n# public key: %s\n%s\n", when, pub, secret);
    sodium_memzero(secret, sizeof(secret));
    ret = cs__write_file_atomic(path, text, (size_t)n, 0600, 1, err, errlen);
    sodium_memzero(text, sizeof(text));
    if (ret != 0)
        return ret;
    n = snprintf(pub_line, sizeof(pub_line), "%s\n", pub);
    if ((ret = cs__write_file_atomic(pub_path, pub_line, (size_t)n, 0644, 1, err, errlen)) != 0)
        unlink(path);
    return ret;
}

/*
 * The first line of buf (NUL-terminated, modified in place) that is neither
 * blank nor a comment, with *lineno; NULL when there is none.
 */
static char *
first_key_line(char *buf, int *lineno)
{
    char *save = NULL;
    int no = 0;
    for (char *line = strtok_r(buf, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        no++;
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = 0;
        if (n == 0 || line[0] == '#')
            continue;
        *lineno = no;
        return line;
    }
    return NULL;
}

int
cs_age_identity_load(const char *path, uint8_t sk[CS_AGE_KEY_LEN], char *err, size_t errlen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int ret, lineno = 0;

    if ((ret = cs__read_file(path, HEADER_MAX, &buf, &len, err, errlen)) != 0)
        return ret;
    char *line = first_key_line((char *)buf, &lineno);
    if (line == NULL)
        ret = cs_errf(err, errlen, CS_EKEYFILE, _("'%s' holds no age secret key"), path);
    else if (cs_age_identity_decode(line, sk) != 0)
        ret = cs_errf(err, errlen, CS_EKEYFILE,
                      _("line %d of '%s' is not an age secret key (AGE-SECRET-KEY-1...)"), lineno,
                      path);
    sodium_memzero(buf, len);
    free(buf);
    return ret;
}

int
cs_age_recipient_load(const char *arg, uint8_t pk[CS_AGE_KEY_LEN], char *err, size_t errlen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int ret, lineno = 0;

    if (strncmp(arg, "age1", 4) == 0 && access(arg, F_OK) != 0) {
        if (cs_age_recipient_decode(arg, pk) != 0)
            return cs_errf(err, errlen, CS_EKEYFILE, _("'%s' is not an age public key (age1...)"),
                           arg);
        return 0;
    }
    if ((ret = cs__read_file(arg, HEADER_MAX, &buf, &len, err, errlen)) != 0)
        return ret;
    char *line = first_key_line((char *)buf, &lineno);
    if (line == NULL)
        ret = cs_errf(err, errlen, CS_EKEYFILE, _("'%s' holds no age public key"), arg);
    else if (cs_age_recipient_decode(line, pk) != 0)
        ret = cs_errf(err, errlen, CS_EKEYFILE,
                      _("line %d of '%s' is not an age public key (age1...)"), lineno, arg);
    free(buf);
    return ret;
}

/* ---- base64, canonical and unpadded ---- */

/* b64 (n characters) as exactly want bytes, only if encoding them again gives b64 back. */
static int
b64_decode(const char *b64, size_t n, uint8_t *out, size_t want)
{
    char again[BODY_MAX + 4];
    size_t got = 0;
    if (n > BODY_MAX ||
        sodium_base642bin(out, want, b64, n, NULL, &got, NULL,
                          sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
        got != want)
        return CS_EMALFORMED;
    sodium_bin2base64(again, sizeof(again), out, want, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    if (strlen(again) != n || memcmp(again, b64, n) != 0)
        return CS_EMALFORMED;
    return 0;
}

/* ---- the key schedule ---- */

static int
derive(uint8_t out[32], const uint8_t *salt, size_t saltlen, const uint8_t *ikm, size_t ikmlen,
       const char *info)
{
    return cs__hkdf_sha256(out, 32, salt, saltlen, ikm, ikmlen, (const uint8_t *)info,
                           strlen(info));
}

/* HMAC-SHA-256 under HKDF(file key, "", "header") of the header up to "---". */
static int
header_mac(const uint8_t file_key[FILE_KEY_LEN], const uint8_t *hdr, size_t len, uint8_t mac[32])
{
    uint8_t k[32];
    int ret = derive(k, NULL, 0, file_key, FILE_KEY_LEN, "header");
    if (ret == 0)
        crypto_auth_hmacsha256(mac, hdr, len, k);
    sodium_memzero(k, sizeof(k));
    return ret;
}

/* The wrap key of an X25519 stanza: 0, or CS_ECRYPTO for an all-zero shared secret. */
static int
wrap_key(const uint8_t secret[32], const uint8_t point[32], const uint8_t share[32],
         const uint8_t recipient[32], uint8_t k[32])
{
    uint8_t shared[32], salt[64];
    int ret = CS_ECRYPTO;
    if (crypto_scalarmult(shared, secret, point) == 0 && !sodium_is_zero(shared, sizeof(shared))) {
        memcpy(salt, share, 32);
        memcpy(salt + 32, recipient, 32);
        ret = derive(k, salt, sizeof(salt), shared, sizeof(shared), X25519_INFO);
    }
    sodium_memzero(shared, sizeof(shared));
    return ret;
}

static void
chunk_nonce(uint8_t nonce[12], uint64_t counter, int last)
{
    memset(nonce, 0, 12);
    for (int i = 0; i < 8; i++)
        nonce[10 - i] = (uint8_t)(counter >> (8 * i));
    nonce[11] = last ? 1 : 0;
}

/* ---- encryption ---- */

struct cs_age_enc {
    cs_age_write_fn w;
    void *ctx;
    uint8_t key[32];
    uint64_t counter;
    size_t n; /* plaintext bytes waiting in buf */
    int finished;
    int failed; /* the first error; every later call returns it */
    uint8_t buf[CS_AGE_CHUNK];
    uint8_t out[CT_CHUNK];
};

int
cs_age_enc_new(struct cs_age_enc **out, const uint8_t pk[CS_AGE_KEY_LEN], cs_age_write_fn w,
               void *ctx)
{
    uint8_t file_key[FILE_KEY_LEN], eph[32], share[32], k[32], body[FILE_KEY_LEN + TAG_LEN];
    uint8_t mac[32], nonce[NONCE_LEN], zero_nonce[12] = {0};
    char hdr[256], share64[48], body64[48], mac64[48];
    struct cs_age_enc *e = NULL;
    int ret = CS_ENOMEM;

    *out = NULL;
    if ((e = sodium_malloc(sizeof(*e))) == NULL)
        goto out;
    memset(e, 0, sizeof(*e));
    e->w = w;
    e->ctx = ctx;
    randombytes_buf(file_key, sizeof(file_key));
    randombytes_buf(eph, sizeof(eph));
    ret = CS_ECRYPTO;
    if (crypto_scalarmult_base(share, eph) != 0 || wrap_key(eph, pk, share, pk, k) != 0)
        goto out;
    crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key, sizeof(file_key), NULL, 0, NULL,
                                              zero_nonce, k);
    sodium_bin2base64(share64, sizeof(share64), share, sizeof(share),
                      sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    sodium_bin2base64(body64, sizeof(body64), body, sizeof(body),
                      sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    /* One stanza; its 43-character body is its final line (shorter than 64). */
    int n = snprintf(hdr, sizeof(hdr), "%s\n-> X25519 %s\n%s\n---", VERSION_LINE, share64, body64);
    if ((ret = header_mac(file_key, (const uint8_t *)hdr, (size_t)n, mac)) != 0)
        goto out;
    sodium_bin2base64(mac64, sizeof(mac64), mac, sizeof(mac),
                      sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    n += snprintf(hdr + n, sizeof(hdr) - (size_t)n, " %s\n", mac64);
    randombytes_buf(nonce, sizeof(nonce));
    if ((ret = derive(e->key, nonce, sizeof(nonce), file_key, sizeof(file_key), "payload")) != 0 ||
        (ret = w(ctx, (const uint8_t *)hdr, (size_t)n)) != 0 ||
        (ret = w(ctx, nonce, sizeof(nonce))) != 0)
        goto out;
    *out = e;
    e = NULL;
out:
    sodium_memzero(file_key, sizeof(file_key));
    sodium_memzero(eph, sizeof(eph));
    sodium_memzero(k, sizeof(k));
    cs_age_enc_free(e);
    return ret;
}

static int
enc_seal(struct cs_age_enc *e, int last)
{
    uint8_t nonce[12];
    unsigned long long clen;
    chunk_nonce(nonce, e->counter, last);
    crypto_aead_chacha20poly1305_ietf_encrypt(e->out, &clen, e->buf, e->n, NULL, 0, NULL, nonce,
                                              e->key);
    sodium_memzero(e->buf, e->n);
    e->n = 0;
    e->counter++;
    int ret = e->w(e->ctx, e->out, (size_t)clen);
    if (ret != 0)
        e->failed = ret;
    return ret;
}

int
cs_age_enc_write(struct cs_age_enc *e, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    if (e->failed)
        return e->failed;
    if (e->finished)
        return CS_EINVAL;
    while (len > 0) {
        /* A full chunk goes out only once more data shows it is not the final one. */
        if (e->n == CS_AGE_CHUNK) {
            int ret = enc_seal(e, 0);
            if (ret != 0)
                return ret;
        }
        size_t take = CS_AGE_CHUNK - e->n < len ? CS_AGE_CHUNK - e->n : len;
        memcpy(e->buf + e->n, p, take);
        e->n += take;
        p += take;
        len -= take;
    }
    return 0;
}

int
cs_age_enc_finish(struct cs_age_enc *e)
{
    if (e->failed)
        return e->failed;
    if (e->finished)
        return CS_EINVAL;
    e->finished = 1;
    return enc_seal(e, 1);
}

void
cs_age_enc_free(struct cs_age_enc *e)
{
    sodium_free(e); /* wipes the payload key and any plaintext left */
}

/* ---- decryption ---- */

struct cs_age_dec {
    cs_age_read_fn r;
    void *ctx;
    uint8_t key[32];
    uint64_t counter;
    int eof, done;
    size_t pos, end;          /* unread bytes of in */
    uint8_t in[CT_CHUNK + 1]; /* one chunk and a byte: is a full chunk the final one? */
    uint8_t plain[CS_AGE_CHUNK];
};

/* Moves what is unread to the front and reads until the buffer is full or the stream ends. */
static int
dec_fill(struct cs_age_dec *d)
{
    if (d->pos > 0) {
        memmove(d->in, d->in + d->pos, d->end - d->pos);
        d->end -= d->pos;
        d->pos = 0;
    }
    while (!d->eof && d->end < sizeof(d->in)) {
        size_t got = 0;
        int ret = d->r(d->ctx, d->in + d->end, sizeof(d->in) - d->end, &got);
        if (ret != 0)
            return ret;
        if (got == 0)
            d->eof = 1;
        d->end += got;
    }
    return 0;
}

/* The next header line (without its LF) into *line, *len; it stays valid until the next read. */
static int
dec_line(struct cs_age_dec *d, const char **line, size_t *len, char *err, size_t errlen)
{
    uint8_t *lf = memchr(d->in + d->pos, '\n', d->end - d->pos);
    if (lf == NULL) {
        int ret = dec_fill(d);
        if (ret != 0)
            return cs_errf(err, errlen, ret, _("cannot read the age header: %s"), cs_strerror(ret));
        lf = memchr(d->in + d->pos, '\n', d->end - d->pos);
    }
    if (lf == NULL)
        return cs_errf(err, errlen, d->eof ? CS_ETRUNCATED : CS_EMALFORMED, "%s",
                       d->eof ? _("the age header is cut short")
                              : _("the age header has a line that is too long"));
    *line = (const char *)d->in + d->pos;
    *len = (size_t)(lf - (d->in + d->pos));
    d->pos += *len + 1;
    return 0;
}

static int
is_b64char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/* The header text the MAC covers, kept as it is read. */
struct hdrbuf {
    uint8_t *p;
    size_t n;
};

static int
hdr_add(struct hdrbuf *h, const void *s, size_t n, char *err, size_t errlen)
{
    if (h->n + n > HEADER_MAX)
        return cs_errf(err, errlen, CS_ETOOBIG, _("the age header is over %d bytes"), HEADER_MAX);
    memcpy(h->p + h->n, s, n);
    h->n += n;
    return 0;
}

/*
 * One stanza from its "-> " line on: arguments checked (single spaces,
 * visible characters), body lines of 64 base64 characters up to a shorter
 * one. An X25519 stanza is checked as the spec says and tried with sk;
 * others are skipped. *found 1 with the file key when it opens.
 */
static int
dec_stanza(struct cs_age_dec *d, const char *line, size_t len, struct hdrbuf *h,
           const uint8_t sk[32], const uint8_t pk[32], uint8_t file_key[FILE_KEY_LEN], int *found,
           char *err, size_t errlen)
{
    char args[512], body64[BODY_MAX + 1];
    size_t argc = 0, blen = 0;
    int ret;

    if (len - 3 >= sizeof(args))
        return cs_errf(err, errlen, CS_EMALFORMED, "%s",
                       _("an age stanza's arguments are too long"));
    memcpy(args, line + 3, len - 3);
    args[len - 3] = 0;
    char *argv[8];
    for (char *a = args;;) {
        char *sp = strchr(a, ' ');
        if (sp != NULL)
            *sp = 0;
        if (*a == 0)
            return cs_errf(err, errlen, CS_EMALFORMED, "%s",
                           _("an age stanza has an empty argument"));
        for (char *c = a; *c; c++)
            if (*c < 0x21 || *c > 0x7e)
                return cs_errf(err, errlen, CS_EMALFORMED, "%s",
                               _("an age stanza's argument has a character that is not allowed"));
        if (argc < 8)
            argv[argc] = a;
        argc++;
        if (sp == NULL)
            break;
        a = sp + 1;
    }
    for (;;) {
        if ((ret = dec_line(d, &line, &len, err, errlen)) != 0)
            return ret;
        if ((ret = hdr_add(h, line, len, err, errlen)) != 0 ||
            (ret = hdr_add(h, "\n", 1, err, errlen)) != 0)
            return ret;
        if (len > 64 || blen + len > BODY_MAX)
            return cs_errf(err, errlen, CS_EMALFORMED, "%s",
                           _("an age stanza's body has a line over 64 characters"));
        for (size_t i = 0; i < len; i++)
            if (!is_b64char(line[i]))
                return cs_errf(err, errlen, CS_EMALFORMED, "%s",
                               _("an age stanza's body is not base64"));
        memcpy(body64 + blen, line, len);
        blen += len;
        if (len < 64)
            break;
    }
    if (strcmp(argv[0], "X25519") != 0 || *found)
        return 0;
    uint8_t share[32], body[FILE_KEY_LEN + TAG_LEN], k[32], zero_nonce[12] = {0};
    if (argc != 2 || b64_decode(argv[1], strlen(argv[1]), share, sizeof(share)) != 0)
        return cs_errf(err, errlen, CS_EMALFORMED, "%s",
                       _("an X25519 stanza does not hold one 32-byte share"));
    if (b64_decode(body64, blen, body, sizeof(body)) != 0)
        return cs_errf(err, errlen, CS_EMALFORMED, "%s",
                       _("an X25519 stanza's body is not 32 bytes"));
    if (wrap_key(sk, share, share, pk, k) != 0)
        return cs_errf(err, errlen, CS_ECRYPTO, "%s",
                       _("an X25519 stanza gives an all-zero shared secret"));
    if (crypto_aead_chacha20poly1305_ietf_decrypt(file_key, NULL, NULL, body, sizeof(body), NULL, 0,
                                                  zero_nonce, k) == 0)
        *found = 1;
    sodium_memzero(k, sizeof(k));
    return 0;
}

int
cs_age_dec_new(struct cs_age_dec **out, const uint8_t sk[CS_AGE_KEY_LEN], cs_age_read_fn r,
               void *ctx, char *err, size_t errlen)
{
    static const char armor[] = "-----BEGIN AGE ENCRYPTED FILE-----";
    uint8_t pk[32], file_key[FILE_KEY_LEN], mac[32], want[32];
    struct hdrbuf h = {NULL, 0};
    struct cs_age_dec *d = NULL;
    const char *line;
    size_t len;
    int ret = CS_ENOMEM, found = 0, stanzas = 0;

    *out = NULL;
    if ((d = sodium_malloc(sizeof(*d))) == NULL || (h.p = malloc(HEADER_MAX)) == NULL) {
        ret = cs_errf(err, errlen, CS_ENOMEM, "%s", _("out of memory"));
        goto out;
    }
    memset(d, 0, sizeof(*d));
    d->r = r;
    d->ctx = ctx;
    if ((ret = cs_age_public(sk, pk)) != 0)
        goto out;
    if ((ret = dec_fill(d)) != 0) {
        cs_errf(err, errlen, ret, _("cannot read the age header: %s"), cs_strerror(ret));
        goto out;
    }
    /* What the file is, before any line is looked for (a database has none). */
    static const char v1[] = "age-encryption.org/v1\n";
    size_t have = d->end, vn = sizeof(VERSION_LINE) - 1;
    if (have >= sizeof(armor) - 1 && memcmp(d->in, armor, sizeof(armor) - 1) == 0) {
        ret = cs_errf(err, errlen, CS_EVERSION, "%s",
                      _("an armored (PEM) age file: turn it into a binary one with 'age -d' or "
                        "give the binary file"));
        goto out;
    }
    if (have == 0 || memcmp(d->in, v1, have < vn + 1 ? have : vn + 1) != 0) {
        ret = cs_errf(err, errlen, CS_EVERSION, "%s",
                      have >= 19 && memcmp(d->in, VERSION_LINE, 19) == 0
                          ? _("an age file of another version than v1")
                          : _("not an age file (it does not start with 'age-encryption.org/v1')"));
        goto out;
    }
    if ((ret = dec_line(d, &line, &len, err, errlen)) != 0)
        goto out;
    if (len != vn) {
        ret = cs_errf(err, errlen, CS_EVERSION, "%s", _("an age file of another version than v1"));
        goto out;
    }
    hdr_add(&h, line, len, NULL, 0);
    hdr_add(&h, "\n", 1, NULL, 0);
    for (;;) {
        if ((ret = dec_line(d, &line, &len, err, errlen)) != 0)
            goto out;
        if (len >= 3 && memcmp(line, "---", 3) == 0) {
            if ((ret = hdr_add(&h, "---", 3, err, errlen)) != 0)
                goto out;
            if (len != 4 + MAC_B64_LEN || line[3] != ' ' ||
                b64_decode(line + 4, MAC_B64_LEN, want, sizeof(want)) != 0) {
                ret = cs_errf(err, errlen, CS_EMALFORMED, "%s",
                              _("the age header's MAC line is malformed"));
                goto out;
            }
            break;
        }
        if (len < 3 || memcmp(line, "-> ", 3) != 0) {
            ret = cs_errf(err, errlen, CS_EMALFORMED, "%s",
                          _("the age header has a line that is neither a stanza nor its end"));
            goto out;
        }
        if ((ret = hdr_add(&h, line, len, err, errlen)) != 0 ||
            (ret = hdr_add(&h, "\n", 1, err, errlen)) != 0 ||
            (ret = dec_stanza(d, line, len, &h, sk, pk, file_key, &found, err, errlen)) != 0)
            goto out;
        stanzas++;
    }
    if (stanzas == 0) {
        ret = cs_errf(err, errlen, CS_EMALFORMED, "%s", _("the age header has no recipient"));
        goto out;
    }
    if (!found) {
        ret = cs_errf(err, errlen, CS_ERECIPIENT, "%s",
                      _("it was not encrypted to this key (a wrong recovery key, or a damaged "
                        "header)"));
        goto out;
    }
    if ((ret = header_mac(file_key, h.p, h.n, mac)) != 0)
        goto out;
    if (crypto_verify_32(mac, want) != 0) {
        ret = cs_errf(err, errlen, CS_EDECRYPT, "%s",
                      _("the age header was modified (its MAC does not verify)"));
        goto out;
    }
    if ((ret = dec_fill(d)) != 0) {
        cs_errf(err, errlen, ret, _("cannot read the age payload: %s"), cs_strerror(ret));
        goto out;
    }
    if (d->end - d->pos < NONCE_LEN) {
        ret = cs_errf(err, errlen, CS_ETRUNCATED, "%s",
                      _("the age file is cut short after its header"));
        goto out;
    }
    ret = derive(d->key, d->in + d->pos, NONCE_LEN, file_key, sizeof(file_key), "payload");
    if (ret != 0)
        goto out;
    d->pos += NONCE_LEN;
    *out = d;
    d = NULL;
out:
    sodium_memzero(file_key, sizeof(file_key));
    free(h.p);
    cs_age_dec_free(d);
    return ret;
}

int
cs_age_dec_read(struct cs_age_dec *d, const uint8_t **data, size_t *len, char *err, size_t errlen)
{
    uint8_t nonce[12];
    unsigned long long plen;
    int ret;

    *data = d->plain;
    *len = 0;
    if (d->done)
        return 0;
    if ((ret = dec_fill(d)) != 0)
        return cs_errf(err, errlen, ret, _("cannot read the age payload: %s"), cs_strerror(ret));
    size_t avail = d->end - d->pos;
    int last = avail <= CT_CHUNK; /* the stream ends within this chunk: dec_fill read to the end */
    size_t clen = last ? avail : CT_CHUNK;
    if (clen < TAG_LEN)
        return cs_errf(err, errlen, CS_ETRUNCATED,
                       _("the age file is cut short: it ends before its last chunk (chunk %llu)"),
                       (unsigned long long)d->counter);
    chunk_nonce(nonce, d->counter, last);
    if (crypto_aead_chacha20poly1305_ietf_decrypt(d->plain, &plen, NULL, d->in + d->pos, clen, NULL,
                                                  0, nonce, d->key) != 0)
        return cs_errf(err, errlen, CS_EDECRYPT,
                       last ? _("the age file was modified or cut short: its last chunk (%llu) "
                                "does not authenticate")
                            : _("the age file was modified: chunk %llu does not authenticate"),
                       (unsigned long long)d->counter);
    if (last && plen == 0 && d->counter > 0)
        return cs_errf(err, errlen, CS_EMALFORMED, "%s",
                       _("the age file ends in an empty chunk after others"));
    d->pos += clen;
    d->counter++;
    d->done = last;
    *len = (size_t)plen;
    /* An empty final chunk of an empty payload: *len 0 and done, as at the end. */
    return 0;
}

void
cs_age_dec_free(struct cs_age_dec *d)
{
    sodium_free(d);
}
