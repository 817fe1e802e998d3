/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for identity keys and key files, on real files in a temp
 * directory: round trips, the 0600 mode, refusal to overwrite, refusal of
 * readable or edited secret key files, key agreement, and the atomic file
 * helpers the key files are written with.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/key.h"
#include "internal.h"

#define SK_HEADER "cellsync-secret-key 1\n"
#define PK_HEADER "cellsync-public-key 1\n"

static char tmpdir[] = "/tmp/cs_test_key.XXXXXX";

/* RFC 8032 section 7.1, TEST 1: a known answer for cs_key_from_seed and signing. */
static const char rfc8032_seed[] =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char rfc8032_pk[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char rfc8032_sig[] =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e3970"
    "1cf9b46bd25bf5f0595bbe24655141438e7a100b";

/* The Ed25519 identity point: small order, no usable X25519 form. */
static const uint8_t low_order_pk[CS_PK_LEN] = {1};

static int
group_setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    if (d == NULL)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
        unlink(p);
    }
    closedir(d);
    return rmdir(tmpdir);
}

static void
path_in(char *buf, size_t n, const char *name)
{
    int w = snprintf(buf, n, "%s/%s", tmpdir, name);
    assert_true(w > 0 && (size_t)w < n);
}

static void
hex_to_bin(uint8_t *bin, size_t binlen, const char *hex)
{
    size_t got = 0;
    assert_int_equal(sodium_hex2bin(bin, binlen, hex, strlen(hex), NULL, &got, NULL), 0);
    assert_int_equal(got, binlen);
}

/* Writes raw bytes with the given mode, replacing any old file. */
static void
write_raw(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(close(fd), 0);
}

/* OUT: malloc'd contents, NUL added. */
static char *
read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(8192);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 8191, f);
    assert_int_equal(ferror(f), 0);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Names in tmpdir containing ".tmp": what a failed atomic write must not leave behind. */
static int
count_temp_files(void)
{
    int n = 0;
    DIR *d = opendir(tmpdir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, ".tmp") != NULL)
            n++;
    }
    closedir(d);
    return n;
}

static void
test_generate_save_load_roundtrip(void **state)
{
    (void)state;
    char path[256], err[512];
    struct cs_key *k = NULL, *k2 = NULL;
    static const uint8_t msg[] = "enrol device 7";
    uint8_t sig[CS_SIG_LEN];

    path_in(path, sizeof(path), "roundtrip.key");
    assert_int_equal(cs_key_generate(&k), 0);
    assert_int_equal(cs_key_save(k, path, err, sizeof(err)), 0);
    assert_int_equal(cs_key_load(&k2, path, err, sizeof(err)), 0);
    assert_non_null(k2);
    assert_memory_equal(cs_key_pk(k), cs_key_pk(k2), CS_PK_LEN);

    /* Each signs what the other's public key verifies. */
    cs_key_sign(k2, sig, msg, sizeof(msg));
    assert_int_equal(cs_sig_verify(cs_key_pk(k), sig, msg, sizeof(msg)), 0);
    cs_key_sign(k, sig, msg, sizeof(msg));
    assert_int_equal(cs_sig_verify(cs_key_pk(k2), sig, msg, sizeof(msg)), 0);

    /* The file is exactly the documented text. */
    size_t len;
    char *text = read_all(path, &len);
    assert_int_equal(len, strlen(SK_HEADER) + 128 + 1);
    assert_memory_equal(text, SK_HEADER, strlen(SK_HEADER));
    assert_int_equal(text[len - 1], '\n');
    char pkhex[2 * CS_PK_LEN + 1];
    sodium_bin2hex(pkhex, sizeof(pkhex), cs_key_pk(k), CS_PK_LEN);
    /* The second half of the libsodium secret key is the public key. */
    assert_memory_equal(text + strlen(SK_HEADER) + 64, pkhex, 64);
    free(text);

    assert_int_equal(count_temp_files(), 0);
    cs_key_free(k);
    cs_key_free(k2);
}

static void
test_saved_mode_is_0600(void **state)
{
    (void)state;
    char path[256], err[512];
    struct cs_key *k = NULL;
    struct stat st;

    path_in(path, sizeof(path), "mode.key");
    /* A permissive umask must not leak into the key file's mode. */
    mode_t old = umask(0);
    assert_int_equal(cs_key_generate(&k), 0);
    assert_int_equal(cs_key_save(k, path, err, sizeof(err)), 0);
    umask(old);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_true(S_ISREG(st.st_mode));
    cs_key_free(k);
}

static void
test_save_refuses_overwrite(void **state)
{
    (void)state;
    char path[256], err[512];
    struct cs_key *k1 = NULL, *k2 = NULL, *back = NULL;

    path_in(path, sizeof(path), "exists.key");
    assert_int_equal(cs_key_generate(&k1), 0);
    assert_int_equal(cs_key_generate(&k2), 0);
    assert_int_equal(cs_key_save(k1, path, err, sizeof(err)), 0);
    size_t len1, len2;
    char *before = read_all(path, &len1);

    err[0] = '\0';
    assert_int_equal(cs_key_save(k2, path, err, sizeof(err)), CS_EEXISTS);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "cannot write '"));

    char *after = read_all(path, &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(before, after, len1);
    assert_int_equal(cs_key_load(&back, path, err, sizeof(err)), 0);
    assert_memory_equal(cs_key_pk(back), cs_key_pk(k1), CS_PK_LEN);
    /* The refused write cleaned up its temp file. */
    assert_int_equal(count_temp_files(), 0);

    free(before);
    free(after);
    cs_key_free(k1);
    cs_key_free(k2);
    cs_key_free(back);
}

static void
test_load_refuses_open_mode(void **state)
{
    (void)state;
    char path[256], err[512];
    struct cs_key *k = NULL, *back = NULL;
    static const mode_t bad[] = {0644, 0640, 0604, 0660, 0620, 0602, 0601, 0610, 0700 | 0044};

    path_in(path, sizeof(path), "perm.key");
    assert_int_equal(cs_key_generate(&k), 0);
    assert_int_equal(cs_key_save(k, path, err, sizeof(err)), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(chmod(path, bad[i]), 0);
        back = (struct cs_key *)&back; /* must come back NULL */
        err[0] = '\0';
        assert_int_equal(cs_key_load(&back, path, err, sizeof(err)), CS_EKEYPERM);
        assert_null(back);
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, "chmod 600"));
    }
    /* 0400 is as private as 0600. */
    assert_int_equal(chmod(path, 0400), 0);
    assert_int_equal(cs_key_load(&back, path, err, sizeof(err)), 0);
    assert_memory_equal(cs_key_pk(back), cs_key_pk(k), CS_PK_LEN);
    cs_key_free(back);
    assert_int_equal(chmod(path, 0600), 0);
    cs_key_free(k);
}

/* Writes text as a 0600 key file and expects CS_EKEYFILE naming it. */
static void
expect_keyfile(const char *path, const char *text, size_t len)
{
    char err[512];
    struct cs_key *back = (struct cs_key *)&back;

    write_raw(path, text, len, 0600);
    err[0] = '\0';
    int ret = cs_key_load(&back, path, err, sizeof(err));
    if (ret != CS_EKEYFILE)
        fail_msg("%zu bytes: got %s (%s)", len, cs_err_name(ret), err);
    assert_null(back);
    assert_non_null(strstr(err, path));
}

static void
test_load_refuses_malformed(void **state)
{
    (void)state;
    char path[256], bad[256], err[512];
    struct cs_key *k = NULL;

    path_in(path, sizeof(path), "good.key");
    path_in(bad, sizeof(bad), "bad.key");
    assert_int_equal(cs_key_generate(&k), 0);
    assert_int_equal(cs_key_save(k, path, err, sizeof(err)), 0);
    size_t len;
    char *good = read_all(path, &len);
    const size_t hdr = strlen(SK_HEADER);
    char *t = malloc(len + 64);
    assert_non_null(t);

    /* Every truncation, including the empty file and the missing final newline. */
    for (size_t n = 0; n < len; n++)
        expect_keyfile(bad, good, n);

    /* Wrong header: other version, the public key's header, no header. */
    memcpy(t, good, len);
    t[hdr - 2] = '2';
    expect_keyfile(bad, t, len);
    memcpy(t, good, len);
    memcpy(t, PK_HEADER, hdr);
    expect_keyfile(bad, t, len);
    expect_keyfile(bad, good + hdr, len - hdr);

    /* One hex digit too few and one too many, newline kept. */
    memcpy(t, good, len - 2);
    t[len - 2] = '\n';
    expect_keyfile(bad, t, len - 1);
    memcpy(t, good, len - 1);
    t[len - 1] = '0';
    t[len] = '\n';
    expect_keyfile(bad, t, len + 1);

    /* Garbage in the hex: a non-hex letter, a space, a NUL. */
    static const char garbage[] = {'g', ' ', '\0', 'x', '-'};
    for (size_t i = 0; i < sizeof(garbage); i++) {
        memcpy(t, good, len);
        t[hdr + 40] = garbage[i];
        expect_keyfile(bad, t, len);
    }

    /* Anything after the final newline, and CRLF. */
    memcpy(t, good, len);
    t[len] = '\n';
    expect_keyfile(bad, t, len + 1);
    memcpy(t, good, len);
    memcpy(t + len - 1, "\r\n", 2);
    expect_keyfile(bad, t, len + 1);

    /*
     * Edited key material: a digit changed in the public half, and one in the
     * seed half (which then derives another public key). Both halves still
     * parse as hex; only the derivation check catches them.
     */
    memcpy(t, good, len);
    t[hdr + 64 + 10] = t[hdr + 64 + 10] == '0' ? '1' : '0';
    expect_keyfile(bad, t, len);
    memcpy(t, good, len);
    t[hdr + 3] = t[hdr + 3] == '0' ? '1' : '0';
    expect_keyfile(bad, t, len);

    /* Far too long: refused without being parsed. */
    char *big = malloc(10000);
    assert_non_null(big);
    memset(big, 'a', 10000);
    expect_keyfile(bad, big, 10000);
    free(big);

    /* A directory is not a key file. */
    char sub[256];
    path_in(sub, sizeof(sub), "subdir.key");
    assert_int_equal(mkdir(sub, 0700), 0);
    struct cs_key *back = NULL;
    assert_int_equal(cs_key_load(&back, sub, err, sizeof(err)), CS_EKEYFILE);
    assert_null(back);
    assert_int_equal(rmdir(sub), 0);

    /* The good file still loads: the checks above are not just refusing everything. */
    assert_int_equal(cs_key_load(&back, path, err, sizeof(err)), 0);
    cs_key_free(back);

    free(t);
    free(good);
    cs_key_free(k);
}

static void
test_load_missing(void **state)
{
    (void)state;
    char path[256], err[512];
    struct cs_key *back = (struct cs_key *)&back;

    path_in(path, sizeof(path), "does-not-exist.key");
    err[0] = '\0';
    assert_int_equal(cs_key_load(&back, path, err, sizeof(err)), -ENOENT);
    assert_null(back);
    assert_non_null(strstr(err, path));
    /* Without an err buffer the code is the same. */
    assert_int_equal(cs_key_load(&back, path, NULL, 0), -ENOENT);
    uint8_t pk[CS_PK_LEN];
    assert_int_equal(cs_pk_load(pk, path, err, sizeof(err)), -ENOENT);
}

static void
test_dh_agrees(void **state)
{
    (void)state;
    struct cs_key *a = NULL, *b = NULL, *c = NULL;
    uint8_t ab[32], ba[32], ac[32];
    static const uint8_t zero[32];

    assert_int_equal(cs_key_generate(&a), 0);
    assert_int_equal(cs_key_generate(&b), 0);
    assert_int_equal(cs_key_generate(&c), 0);
    assert_int_equal(cs_key_dh(a, cs_key_pk(b), ab), 0);
    assert_int_equal(cs_key_dh(b, cs_key_pk(a), ba), 0);
    assert_memory_equal(ab, ba, 32);
    assert_memory_not_equal(ab, zero, 32);
    assert_int_equal(cs_key_dh(a, cs_key_pk(c), ac), 0);
    assert_memory_not_equal(ab, ac, 32);

    /* A small-order peer would give a secret everyone knows. */
    memset(ab, 0xaa, sizeof(ab));
    assert_int_equal(cs_key_dh(a, low_order_pk, ab), CS_ECRYPTO);
    assert_memory_equal(ab, zero, 32);
    assert_int_equal(cs_key_dh(a, zero, ab), CS_ECRYPTO);

    cs_key_free(a);
    cs_key_free(b);
    cs_key_free(c);
}

static void
test_pk_roundtrip(void **state)
{
    (void)state;
    char path[256], err[512];
    struct cs_key *a = NULL, *b = NULL;
    uint8_t pk[CS_PK_LEN];
    struct stat st;

    path_in(path, sizeof(path), "hub.pub");
    assert_int_equal(cs_key_generate(&a), 0);
    assert_int_equal(cs_key_generate(&b), 0);
    assert_int_equal(cs_pk_save(cs_key_pk(a), path, err, sizeof(err)), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(cs_pk_load(pk, path, err, sizeof(err)), 0);
    assert_memory_equal(pk, cs_key_pk(a), CS_PK_LEN);

    size_t len;
    char *text = read_all(path, &len);
    assert_int_equal(len, strlen(PK_HEADER) + 64 + 1);
    assert_memory_equal(text, PK_HEADER, strlen(PK_HEADER));

    /* Public key files may be replaced. */
    assert_int_equal(cs_pk_save(cs_key_pk(b), path, err, sizeof(err)), 0);
    assert_int_equal(cs_pk_load(pk, path, err, sizeof(err)), 0);
    assert_memory_equal(pk, cs_key_pk(b), CS_PK_LEN);
    assert_int_equal(count_temp_files(), 0);

    /* Malformed files leave pk untouched. */
    char bad[256];
    path_in(bad, sizeof(bad), "bad.pub");
    for (size_t n = 0; n < len; n++) {
        write_raw(bad, text, n, 0644);
        assert_int_equal(cs_pk_load(pk, bad, err, sizeof(err)), CS_EKEYFILE);
        assert_non_null(strstr(err, bad));
    }
    text[5] = 'X';
    write_raw(bad, text, len, 0644);
    assert_int_equal(cs_pk_load(pk, bad, err, sizeof(err)), CS_EKEYFILE);
    assert_memory_equal(pk, cs_key_pk(b), CS_PK_LEN);

    /* A well-formed file holding a small-order point is refused too. */
    assert_int_equal(cs_pk_save(low_order_pk, bad, err, sizeof(err)), 0);
    assert_int_equal(cs_pk_load(pk, bad, err, sizeof(err)), CS_EKEYFILE);
    assert_memory_equal(pk, cs_key_pk(b), CS_PK_LEN);

    /* A secret key file is not a public key file. */
    char skpath[256];
    path_in(skpath, sizeof(skpath), "pk-test.key");
    assert_int_equal(cs_key_save(a, skpath, err, sizeof(err)), 0);
    assert_int_equal(cs_pk_load(pk, skpath, err, sizeof(err)), CS_EKEYFILE);

    free(text);
    cs_key_free(a);
    cs_key_free(b);
}

static void
test_from_seed_deterministic(void **state)
{
    (void)state;
    uint8_t seed[32], pk[CS_PK_LEN], sig[CS_SIG_LEN], want_sig[CS_SIG_LEN];
    uint8_t sig2[CS_SIG_LEN];
    struct cs_key *k1 = NULL, *k2 = NULL, *k3 = NULL;

    hex_to_bin(seed, sizeof(seed), rfc8032_seed);
    hex_to_bin(pk, sizeof(pk), rfc8032_pk);
    hex_to_bin(want_sig, sizeof(want_sig), rfc8032_sig);

    assert_int_equal(cs_key_from_seed(&k1, seed), 0);
    assert_int_equal(cs_key_from_seed(&k2, seed), 0);
    assert_memory_equal(cs_key_pk(k1), pk, CS_PK_LEN);
    assert_memory_equal(cs_key_pk(k2), pk, CS_PK_LEN);
    cs_key_sign(k1, sig, (const uint8_t *)"", 0);
    cs_key_sign(k2, sig2, (const uint8_t *)"", 0);
    assert_memory_equal(sig, want_sig, CS_SIG_LEN);
    assert_memory_equal(sig2, want_sig, CS_SIG_LEN);

    seed[0] ^= 1;
    assert_int_equal(cs_key_from_seed(&k3, seed), 0);
    assert_memory_not_equal(cs_key_pk(k3), pk, CS_PK_LEN);

    cs_key_free(k1);
    cs_key_free(k2);
    cs_key_free(k3);
}

static void
test_key_id(void **state)
{
    (void)state;
    struct cs_key *k = NULL, *k2 = NULL;
    struct cs_id a, b, c;
    uint8_t want[16];

    assert_int_equal(cs_key_generate(&k), 0);
    assert_int_equal(cs_key_generate(&k2), 0);
    cs_key_id(k, &a);
    cs_pk_id(cs_key_pk(k), &b);
    crypto_generichash(want, sizeof(want), cs_key_pk(k), CS_PK_LEN, NULL, 0);
    assert_memory_equal(a.b, want, 16);
    assert_memory_equal(b.b, want, 16);
    cs_key_id(k2, &c);
    assert_memory_not_equal(a.b, c.b, 16);
    cs_key_free(k);
    cs_key_free(k2);
}

static void
test_sign_verify(void **state)
{
    (void)state;
    struct cs_key *k = NULL, *other = NULL;
    uint8_t msg[100], sig[CS_SIG_LEN];

    randombytes_buf(msg, sizeof(msg));
    assert_int_equal(cs_key_generate(&k), 0);
    assert_int_equal(cs_key_generate(&other), 0);
    cs_key_sign(k, sig, msg, sizeof(msg));
    assert_int_equal(cs_sig_verify(cs_key_pk(k), sig, msg, sizeof(msg)), 0);
    assert_int_equal(cs_sig_verify(cs_key_pk(other), sig, msg, sizeof(msg)), CS_ESIGNATURE);
    assert_int_equal(cs_sig_verify(cs_key_pk(k), sig, msg, sizeof(msg) - 1), CS_ESIGNATURE);
    msg[50] ^= 1;
    assert_int_equal(cs_sig_verify(cs_key_pk(k), sig, msg, sizeof(msg)), CS_ESIGNATURE);
    msg[50] ^= 1;
    sig[10] ^= 1;
    assert_int_equal(cs_sig_verify(cs_key_pk(k), sig, msg, sizeof(msg)), CS_ESIGNATURE);
    cs_key_free(k);
    cs_key_free(other);
    cs_key_free(NULL);
}

static void
test_write_file_atomic(void **state)
{
    (void)state;
    char path[256], missing[256], err[512];
    static const char data[] = "hello\n";
    struct stat st;

    path_in(path, sizeof(path), "atomic.txt");
    assert_int_equal(cs__write_file_atomic(path, data, 6, 0640, 1, err, sizeof(err)), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(cs__write_file_atomic(path, "x", 1, 0600, 1, err, sizeof(err)), CS_EEXISTS);
    size_t len;
    char *got = read_all(path, &len);
    assert_int_equal(len, 6);
    assert_memory_equal(got, data, 6);
    free(got);

    /* Not exclusive: replaced, with the new mode. */
    assert_int_equal(cs__write_file_atomic(path, "x", 1, 0600, 0, err, sizeof(err)), 0);
    got = read_all(path, &len);
    assert_int_equal(len, 1);
    assert_int_equal(got[0], 'x');
    free(got);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);

    /* Zero bytes is a valid file. */
    assert_int_equal(cs__write_file_atomic(path, NULL, 0, 0600, 0, err, sizeof(err)), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 0);

    /* The message names the file and the system's reason. */
    path_in(missing, sizeof(missing), "no/such/dir/file");
    errno = 0;
    assert_int_equal(cs__write_file_atomic(missing, data, 6, 0600, 0, err, sizeof(err)), -ENOENT);
    assert_int_equal(errno, ENOENT);
    char want[600];
    snprintf(want, sizeof(want), "cannot write '%s': %s", missing, strerror(ENOENT));
    assert_string_equal(err, want);
    assert_int_equal(count_temp_files(), 0);
}

static void
test_read_file(void **state)
{
    (void)state;
    char path[256], err[512];
    uint8_t *buf = NULL;
    size_t len = 99;

    path_in(path, sizeof(path), "read.txt");
    write_raw(path, "", 0, 0600);
    assert_int_equal(cs__read_file(path, 10, &buf, &len, err, sizeof(err)), 0);
    assert_int_equal(len, 0);
    assert_non_null(buf);
    assert_int_equal(buf[0], '\0');
    free(buf);

    write_raw(path, "0123456789", 10, 0600);
    assert_int_equal(cs__read_file(path, 10, &buf, &len, err, sizeof(err)), 0);
    assert_int_equal(len, 10);
    assert_memory_equal(buf, "0123456789", 11);
    free(buf);

    buf = (uint8_t *)&buf;
    assert_int_equal(cs__read_file(path, 9, &buf, &len, err, sizeof(err)), CS_ETOOBIG);
    assert_null(buf);
    assert_non_null(strstr(err, path));

    /* A small err buffer is truncated, never overrun. */
    char tiny[8];
    assert_int_equal(cs__read_file(path, 9, &buf, &len, tiny, sizeof(tiny)), CS_ETOOBIG);
    assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

/* ---- a key sealed with a passphrase (format 2) ---- */

static int pass_asked;

/* The passphrase source of these tests: ud is the NUL-terminated passphrase. */
static int
give_pass(void *ud, char *buf, size_t cap, size_t *len, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    pass_asked++;
    *len = strlen(ud) < cap ? strlen(ud) : cap;
    memcpy(buf, ud, *len);
    return 0;
}

static void
test_sealed_roundtrip(void **state)
{
    (void)state;
    char path[512], err[256];
    struct cs_key *k = NULL, *back = NULL;
    struct cs_key_pass right = {give_pass, "trăng sao"}, wrong = {give_pass, "trang sao"};
    uint8_t seed[32];

    memset(seed, 0x5a, sizeof(seed));
    assert_int_equal(cs_key_from_seed(&k, seed), 0);
    path_in(path, sizeof(path), "sealed.key");
    assert_int_equal(
        cs_key_save_pass(k, path, "trăng sao", strlen("trăng sao"), 0, err, sizeof(err)), 0);
    assert_int_equal(cs_key_file_sealed(path, err, sizeof(err)), 1);

    /* No passphrase source: refused, and nothing asked. */
    assert_int_equal(cs_key_load(&back, path, err, sizeof(err)), CS_EKEYFILE);
    assert_non_null(strstr(err, "sealed with a passphrase"));
    assert_null(back);

    pass_asked = 0;
    assert_int_equal(cs_key_load_pass(&back, path, &wrong, err, sizeof(err)), CS_EDECRYPT);
    assert_non_null(strstr(err, "wrong passphrase"));
    assert_null(back);
    assert_int_equal(cs_key_load_pass(&back, path, &right, err, sizeof(err)), 0);
    assert_int_equal(pass_asked, 2);
    assert_memory_equal(cs_key_pk(back), cs_key_pk(k), CS_PK_LEN);
    cs_key_free(back);
    back = NULL;

    /* The file holds none of the seed, as bytes or as hex. */
    size_t len;
    char *text = read_all(path, &len);
    char hex[65];
    sodium_bin2hex(hex, sizeof(hex), seed, sizeof(seed));
    assert_null(strstr(text, hex));
    for (size_t i = 0; i + sizeof(seed) <= len; i++)
        assert_true(memcmp(text + i, seed, sizeof(seed)) != 0);

    /* A plain key is not asked for a passphrase; replacing needs CS_KEY_REPLACE. */
    assert_int_equal(cs_key_save_pass(k, path, NULL, 0, 0, err, sizeof(err)), CS_EEXISTS);
    assert_int_equal(cs_key_save_pass(k, path, NULL, 0, CS_KEY_REPLACE, err, sizeof(err)), 0);
    assert_int_equal(cs_key_file_sealed(path, err, sizeof(err)), 0);
    pass_asked = 0;
    assert_int_equal(cs_key_load_pass(&back, path, &right, err, sizeof(err)), 0);
    assert_int_equal(pass_asked, 0);
    cs_key_free(back);
    free(text);
    cs_key_free(k);
}

/* An edited parameters line or sealed part is refused, never used. */
static void
test_sealed_tampered(void **state)
{
    (void)state;
    char path[512], err[256];
    struct cs_key *k = NULL, *back = NULL;
    struct cs_key_pass right = {give_pass, "pw"};

    assert_int_equal(cs_key_generate(&k), 0);
    path_in(path, sizeof(path), "tampered.key");
    assert_int_equal(cs_key_save_pass(k, path, "pw", 2, 0, err, sizeof(err)), 0);
    size_t len;
    char *orig = read_all(path, &len);
    char *text = malloc(len + 1);
    assert_non_null(text);

    /* A changed salt digit (the line still well formed): the key derived differs. */
    memcpy(text, orig, len + 1);
    char *salt = strchr(strchr(strchr(text, '\n') + 1, ' ') + 1, ' ');
    salt = strchr(salt + 1, ' ') + 1;
    salt[0] = salt[0] == 'a' ? 'b' : 'a';
    write_raw(path, text, len, 0600);
    assert_int_equal(cs_key_load_pass(&back, path, &right, err, sizeof(err)), CS_EDECRYPT);

    /* A flipped bit of the sealed part. */
    memcpy(text, orig, len + 1);
    text[len - 2] = text[len - 2] == '0' ? '1' : '0';
    write_raw(path, text, len, 0600);
    assert_int_equal(cs_key_load_pass(&back, path, &right, err, sizeof(err)), CS_EDECRYPT);

    /* Limits out of range, or written another way: malformed. */
    static const char *const bad[] = {
        "cellsync-secret-key 2\nargon2id13 1 268435456 ",
        "cellsync-secret-key 2\nargon2id13 3 1073741825 ",
        "cellsync-secret-key 2\nargon2id13 03 268435456 ",
        "cellsync-secret-key 2\nargon2i13 3 268435456 ",
    };
    const char *rest = strstr(orig, "268435456 ") + strlen("268435456 ");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char edited[1024];
        int n = snprintf(edited, sizeof(edited), "%s%s", bad[i], rest);
        write_raw(path, edited, (size_t)n, 0600);
        assert_int_equal(cs_key_load_pass(&back, path, &right, err, sizeof(err)), CS_EKEYFILE);
    }
    assert_null(back);
    free(text);
    free(orig);
    cs_key_free(k);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_save_load_roundtrip),
        cmocka_unit_test(test_saved_mode_is_0600),
        cmocka_unit_test(test_save_refuses_overwrite),
        cmocka_unit_test(test_load_refuses_open_mode),
        cmocka_unit_test(test_load_refuses_malformed),
        cmocka_unit_test(test_load_missing),
        cmocka_unit_test(test_dh_agrees),
        cmocka_unit_test(test_pk_roundtrip),
        cmocka_unit_test(test_from_seed_deterministic),
        cmocka_unit_test(test_key_id),
        cmocka_unit_test(test_sign_verify),
        cmocka_unit_test(test_write_file_atomic),
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_sealed_roundtrip),
        cmocka_unit_test(test_sealed_tampered),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
