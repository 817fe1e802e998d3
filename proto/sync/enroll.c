/* SPDX-License-Identifier: MIT */
/*
 * Enrollment files and short codes (see cellsync/enroll.h). The reader is
 * strict because the file is typed, copied and carried by people: a
 * mistyped key or a truncated hex string must say which line is wrong
 * rather than enroll a device with half a secret. Buffers that held the
 * secret are wiped before they are freed.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/enroll.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/util.h"
#include "internal.h"

/* 32 symbols: no 0, 1, I or O (cellsync/enroll.h). */
static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

enum {
    K_ADDR,
    K_HUB_PK,
    K_ORG,
    K_ROLE,
    K_NAME,
    K_SECRET,
    K_EXPIRES,
    K__COUNT,
};

static const char *const keys[K__COUNT] = {
    [K_ADDR] = "addr", [K_HUB_PK] = "hub_pk", [K_ORG] = "org",         [K_ROLE] = "role",
    [K_NAME] = "name", [K_SECRET] = "secret", [K_EXPIRES] = "expires",
};

int
cs_enroll_role_ok(const char *role)
{
    return strcmp(role, "cell") == 0 || strcmp(role, "committee") == 0 || strcmp(role, "hub") == 0;
}

/*
 * A value the file can carry and give back unchanged: UTF-8, no control
 * characters, no spaces at either end (the reader trims them).
 */
static int
value_ok(const char *v, int may_be_empty)
{
    size_t n = strlen(v);
    if (n == 0)
        return may_be_empty;
    if (v[0] == ' ' || v[n - 1] == ' ' || !cs_utf8_valid((const unsigned char *)v, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return 0;
    return 1;
}

int
cs_enrollment_write(const struct cs_enrollment *e, const char *path, char *err, size_t errlen)
{
    char pk_hex[2 * CS_PK_LEN + 1], secret_hex[2 * CS_ENROLL_SECRET_LEN + 1];
    char *buf = NULL;
    int ret;

    if (!value_ok(e->addr, 0))
        return cs_errf(err, errlen, CS_EINVAL, _("bad hub address '%s'"), e->addr);
    if (!value_ok(e->org, 0))
        return cs_errf(err, errlen, CS_EINVAL, _("bad org unit code '%s'"), e->org);
    if (!cs_enroll_role_ok(e->role))
        return cs_errf(err, errlen, CS_EINVAL, _("unknown role '%s'"), e->role);
    if (!value_ok(e->name, 1))
        return cs_errf(err, errlen, CS_EINVAL, _("bad device name '%s'"), e->name);
    if (e->expires <= 0)
        return cs_errf(err, errlen, CS_EINVAL, _("bad expiry time %lld"), (long long)e->expires);
    if ((buf = sodium_malloc(CS_ENROLL_FILE_MAX)) == NULL)
        return cs_errf(err, errlen, CS_ENOMEM, _("cannot write '%s': out of memory"), path);
    sodium_bin2hex(pk_hex, sizeof(pk_hex), e->hub_pk, CS_PK_LEN);
    sodium_bin2hex(secret_hex, sizeof(secret_hex), e->secret, CS_ENROLL_SECRET_LEN);
    int n = snprintf(buf, CS_ENROLL_FILE_MAX,
                     "# cellsync enrollment: give it to one device once "
                     "('cellsync enroll FILE'), then delete it; it holds a secret\n"
                     "addr = %s\nhub_pk = %s\norg = %s\nrole = %s\nname = %s\nsecret = %s\n"
                     "expires = %lld\n",
                     e->addr, pk_hex, e->org, e->role, e->name, secret_hex, (long long)e->expires);
    sodium_memzero(secret_hex, sizeof(secret_hex));
    if (n < 0 || (size_t)n >= CS_ENROLL_FILE_MAX)
        ret = cs_errf(err, errlen, CS_ETOOBIG, _("cannot write '%s': the enrollment is too long"),
                      path);
    else
        ret = cs__write_file_atomic(path, buf, (size_t)n, 0600, 1, err, errlen);
    sodium_free(buf);
    return ret;
}

static char *
trim(char *s, char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = 0;
    *end = 0;
    return s;
}

/* Exactly 2 * n hex digits into out. */
static int
hex_exact(uint8_t *out, size_t n, const char *hex)
{
    size_t got = 0;
    if (strlen(hex) != 2 * n)
        return -1;
    return sodium_hex2bin(out, n, hex, 2 * n, NULL, &got, NULL) == 0 && got == n ? 0 : -1;
}

/* Copies a text value into a field of cap bytes: -1 if it does not fit or is not clean. */
static int
text_into(char *out, size_t cap, const char *v, int may_be_empty)
{
    if (strlen(v) >= cap || !value_ok(v, may_be_empty))
        return -1;
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

static int
parse_line(struct cs_enrollment *e, char *line, const char *path, unsigned lineno,
           unsigned seen_line[K__COUNT], char *err, size_t errlen)
{
    char *eq = strchr(line, '=');
    if (eq == NULL)
        return cs_errf(err, errlen, CS_EMALFORMED, _("'%s' line %u: expected 'key = value'"), path,
                       lineno);
    char *key = trim(line, eq);
    char *val = trim(eq + 1, eq + 1 + strlen(eq + 1));
    int k = -1;
    for (int i = 0; i < K__COUNT; i++)
        if (strcmp(key, keys[i]) == 0)
            k = i;
    if (k < 0)
        return cs_errf(err, errlen, CS_EMALFORMED, _("'%s' line %u: unknown key '%s'"), path,
                       lineno, key);
    if (seen_line[k] != 0)
        return cs_errf(err, errlen, CS_EMALFORMED, _("'%s' line %u: '%s' is already on line %u"),
                       path, lineno, key, seen_line[k]);
    seen_line[k] = lineno;
    int bad = 0;
    switch (k) {
    case K_ADDR:
        bad = text_into(e->addr, sizeof(e->addr), val, 0);
        break;
    case K_HUB_PK:
        if (hex_exact(e->hub_pk, CS_PK_LEN, val) != 0)
            return cs_errf(err, errlen, CS_EMALFORMED,
                           _("'%s' line %u: hub_pk must be %u hex digits"), path, lineno,
                           2 * CS_PK_LEN);
        break;
    case K_ORG:
        bad = text_into(e->org, sizeof(e->org), val, 0);
        break;
    case K_ROLE:
        if (!cs_enroll_role_ok(val))
            return cs_errf(err, errlen, CS_EMALFORMED,
                           _("'%s' line %u: role must be cell, committee or hub"), path, lineno);
        snprintf(e->role, sizeof(e->role), "%s", val);
        break;
    case K_NAME:
        bad = text_into(e->name, sizeof(e->name), val, 1);
        break;
    case K_SECRET:
        if (hex_exact(e->secret, CS_ENROLL_SECRET_LEN, val) != 0)
            return cs_errf(err, errlen, CS_EMALFORMED,
                           _("'%s' line %u: secret must be %u hex digits"), path, lineno,
                           2 * CS_ENROLL_SECRET_LEN);
        break;
    case K_EXPIRES: {
        char *end;
        errno = 0;
        long long v = strtoll(val, &end, 10);
        if (val[0] < '0' || val[0] > '9' || *end != 0 || errno != 0 || v <= 0)
            return cs_errf(err, errlen, CS_EMALFORMED,
                           _("'%s' line %u: expires must be a time in Unix seconds"), path, lineno);
        e->expires = v;
        break;
    }
    }
    if (bad)
        return cs_errf(err, errlen, CS_EMALFORMED,
                       _("'%s' line %u: %s is too long or holds characters it may not"), path,
                       lineno, key);
    return 0;
}

int
cs_enrollment_read(const char *path, struct cs_enrollment *e, char *err, size_t errlen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    unsigned seen_line[K__COUNT] = {0};
    int ret;

    memset(e, 0, sizeof(*e));
    if ((ret = cs__read_file(path, CS_ENROLL_FILE_MAX, &buf, &len, err, errlen)) != 0) {
        if (ret == CS_ETOOBIG)
            ret = cs_errf(err, errlen, CS_EMALFORMED,
                          _("'%s' is not an enrollment file: over %u bytes"), path,
                          CS_ENROLL_FILE_MAX);
        return ret;
    }
    if (memchr(buf, 0, len) != NULL) {
        ret = cs_errf(err, errlen, CS_EMALFORMED, _("'%s' is not an enrollment file: binary data"),
                      path);
        goto out;
    }
    char *p = (char *)buf;
    unsigned lineno = 0;
    while (*p) {
        char *nl = strchr(p, '\n');
        char *next = nl ? nl + 1 : p + strlen(p);
        if (nl)
            *nl = 0;
        lineno++;
        size_t n = strlen(p);
        if (n > 0 && p[n - 1] == '\r') /* written on Windows */
            p[--n] = 0;
        char *t = p;
        while (*t == ' ' || *t == '\t')
            t++;
        if (*t != 0 && *t != '#' &&
            (ret = parse_line(e, p, path, lineno, seen_line, err, errlen)) != 0)
            goto out;
        p = next;
    }
    for (int k = 0; k < K__COUNT; k++)
        if (seen_line[k] == 0) {
            ret = cs_errf(err, errlen, CS_EMALFORMED, _("'%s' has no '%s' line"), path, keys[k]);
            goto out;
        }
    ret = 0;
out:
    sodium_memzero(buf, len);
    free(buf);
    if (ret != 0)
        sodium_memzero(e, sizeof(*e));
    return ret;
}

void
cs_enroll_secret_new(uint8_t secret[CS_ENROLL_SECRET_LEN])
{
    uint32_t id;
    do
        randombytes_buf(secret, CS_ENROLL_SECRET_LEN);
    while (cs_enroll_secret_is_code(secret, &id)); /* 2^-168: never, but then never a code */
}

void
cs_enroll_code_secret(uint32_t code_id, const uint8_t bits[8], uint8_t secret[CS_ENROLL_SECRET_LEN])
{
    memset(secret, 0, CS_ENROLL_SECRET_LEN);
    code_id &= CS_ENROLL_CODE_ID_MAX - 1;
    secret[1] = (uint8_t)(code_id >> 8);
    secret[2] = (uint8_t)code_id;
    memcpy(secret + 3, bits, 8);
    secret[3] &= 0x0f; /* 60 bits */
}

int
cs_enroll_secret_is_code(const uint8_t secret[CS_ENROLL_SECRET_LEN], uint32_t *code_id)
{
    uint8_t acc = (uint8_t)(secret[0] | (secret[1] & 0x80) | (secret[3] & 0xf0));
    for (size_t i = 11; i < CS_ENROLL_SECRET_LEN; i++)
        acc |= secret[i];
    *code_id = (uint32_t)secret[1] << 8 | secret[2];
    return acc == 0;
}

/* Multiplication in GF(32) modulo x^5 + x^2 + 1. */
static unsigned
gf32_mul(unsigned a, unsigned b)
{
    unsigned r = 0;
    for (int i = 0; i < 5; i++) {
        if (b & 1u)
            r ^= a;
        b >>= 1;
        a <<= 1;
        if (a & 0x20u)
            a ^= 0x25u;
    }
    return r;
}

/* The check symbol of v[0..n-1]: v1*a^n + ... + vn*a + c = 0 (Horner, a = x). */
static unsigned
check_symbol(const unsigned *v, size_t n)
{
    unsigned acc = 0;
    for (size_t i = 0; i < n; i++)
        acc = gf32_mul(acc, 2) ^ v[i];
    return gf32_mul(acc, 2); /* c = acc * a, since -y = y in GF(2^5) */
}

/* The 75 bits of a code (number, random) as 15 symbols. */
#define PAYLOAD_SYMBOLS (CS_ENROLL_CODE_SYMBOLS - 1)

/*
 * The code's 75 bits, most significant first: the number (15 bits) is
 * secret bits 9..23, the random part (60 bits) secret bits 28..87.
 */
static unsigned
code_bit(const uint8_t secret[CS_ENROLL_SECRET_LEN], unsigned i)
{
    unsigned bit = i < 15 ? 9 + i : 28 + (i - 15);
    return (secret[bit / 8] >> (7 - bit % 8)) & 1u;
}

static void
code_bit_set(uint8_t secret[CS_ENROLL_SECRET_LEN], unsigned i)
{
    unsigned bit = i < 15 ? 9 + i : 28 + (i - 15);
    secret[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
}

int
cs_enroll_code_format(const uint8_t secret[CS_ENROLL_SECRET_LEN], char out[CS_ENROLL_CODE_LEN + 1])
{
    unsigned v[CS_ENROLL_CODE_SYMBOLS];
    uint32_t id;

    out[0] = 0;
    if (!cs_enroll_secret_is_code(secret, &id))
        return CS_EINVAL;
    for (unsigned sym = 0; sym < PAYLOAD_SYMBOLS; sym++) {
        unsigned x = 0;
        for (unsigned b = 0; b < 5; b++)
            x = (x << 1) | code_bit(secret, sym * 5 + b);
        v[sym] = x;
    }
    v[PAYLOAD_SYMBOLS] = check_symbol(v, PAYLOAD_SYMBOLS);
    size_t o = 0;
    for (unsigned sym = 0; sym < CS_ENROLL_CODE_SYMBOLS; sym++) {
        if (sym > 0 && sym % CS_ENROLL_CODE_GROUP == 0)
            out[o++] = '-';
        out[o++] = alphabet[v[sym]];
    }
    out[o] = 0;
    sodium_memzero(v, sizeof(v));
    return 0;
}

/* The 5-bit value of a typed symbol, or -1. */
static int
symbol_value(char c)
{
    if (c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

int
cs_enroll_code_parse(const char *code, uint8_t secret[CS_ENROLL_SECRET_LEN], char *err,
                     size_t errlen)
{
    unsigned v[CS_ENROLL_CODE_SYMBOLS];
    unsigned nsym = 0;
    int ret = CS_EINVAL;

    for (const char *p = code; *p; p++) {
        if (*p == '-' || *p == ' ' || *p == '\t')
            continue;
        int x = symbol_value(*p);
        if (x < 0) {
            if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f)
                cs_errf(err, errlen, CS_EINVAL,
                        _("the enrollment code holds '%c', which no code has (codes have no 0, 1, "
                          "I or O); read it again"),
                        *p);
            else
                cs_errf(err, errlen, CS_EINVAL,
                        _("the enrollment code holds a character no code has; read it again"));
            goto out;
        }
        if (nsym < CS_ENROLL_CODE_SYMBOLS)
            v[nsym] = (unsigned)x;
        nsym++;
    }
    if (nsym != CS_ENROLL_CODE_SYMBOLS) {
        cs_errf(err, errlen, CS_EINVAL,
                _("the enrollment code has %u letters and digits, not %u (XXXX-XXXX-XXXX-XXXX); "
                  "a code of 25 comes from an older hub and must be issued again"),
                nsym, CS_ENROLL_CODE_SYMBOLS);
        goto out;
    }
    if (check_symbol(v, PAYLOAD_SYMBOLS) != v[PAYLOAD_SYMBOLS]) {
        cs_errf(err, errlen, CS_EINVAL,
                _("the enrollment code is mistyped (its check letter does not match): read it "
                  "again, letter by letter"));
        goto out;
    }
    memset(secret, 0, CS_ENROLL_SECRET_LEN);
    for (unsigned sym = 0; sym < PAYLOAD_SYMBOLS; sym++)
        for (unsigned b = 0; b < 5; b++)
            if ((v[sym] >> (4 - b)) & 1)
                code_bit_set(secret, sym * 5 + b);
    ret = 0;
out:
    sodium_memzero(v, sizeof(v));
    return ret;
}
