/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* memmem */
/*
 * Unit tests for bundle files (cellsync/bundle.h): a round trip of a hello
 * and chunks, then refusal. Every truncation of a good bundle is
 * CS_ETRUNCATED, every flipped byte is refused somewhere between the header
 * and the last entry's signature, and trailing bytes, a wrong magic, a
 * future format, lying lengths and counts each have their own code. Control
 * entries are told from chunks by their signed seq range and kind byte, and
 * neither can pass for the other. The writer leaves no temp file behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cellsync/bundle.h"
#include "cellsync/changeset.h"
#include "cellsync/error.h"
#include "cellsync/sync.h"
#include "common/sample.h"

static struct cs_key *dev, *hub, *other;
static char dir[] = "/tmp/test_bundle.XXXXXX";
static char path[256];
/* The reference bundle: a hello and two chunks, as its bytes. */
static uint8_t *good;
static size_t good_len;
static uint8_t *chunk_env[2];
static size_t chunk_len[2];

static uint8_t *
read_all(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void
write_all(const char *p, const uint8_t *b, size_t len)
{
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A chunk as cs_sync_make_chunk seals one: a change set covering first..last. */
static void
make_chunk(uint64_t first, uint64_t last, uint8_t **env, size_t *len)
{
    struct cs_changeset *cs = NULL;
    struct cs_id origin;
    uint8_t *mp = NULL;
    size_t mplen;
    cs_key_id(dev, &origin);
    assert_int_equal(cs_test_sample(&cs, &origin), 0);
    cs_changeset_set_seq(cs, first, last);
    assert_int_equal(cs_changeset_encode(cs, &mp, &mplen), 0);
    assert_int_equal(cs_sync_seal(dev, cs_key_pk(hub), first, last, mp, mplen, NULL, 0, env, len),
                     0);
    free(mp);
    cs_changeset_free(cs);
}

static void
hello_of(struct cs_hello *h)
{
    memset(h, 0, sizeof(*h));
    h->hub_seq = 42;
    h->has_secret = 1;
    memset(h->secret, 0x5a, sizeof(h->secret));
    snprintf(h->name, sizeof(h->name), "%s", "máy chi bộ");
}

static int
group_setup(void **state)
{
    (void)state;
    if (sodium_init() < 0 || cs_key_generate(&dev) < 0 || cs_key_generate(&hub) < 0 ||
        cs_key_generate(&other) < 0 || mkdtemp(dir) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/a.bundle", dir);
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    char p[300];
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
    free(good);
    free(chunk_env[0]);
    free(chunk_env[1]);
    cs_key_free(dev);
    cs_key_free(hub);
    cs_key_free(other);
    return 0;
}

/* Files in the test directory besides the ones named: a temp file left behind. */
static int
leftovers(void)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += strstr(e->d_name, ".tmp") != NULL;
    closedir(d);
    return n;
}

static void
test_round_trip(void **state)
{
    (void)state;
    struct cs_bundle_writer *w = NULL;
    struct cs_hello hin, hout;
    uint8_t *henv = NULL, pk[CS_PK_LEN];
    size_t hlen;
    char err[512];

    hello_of(&hin);
    make_chunk(1, 100, &chunk_env[0], &chunk_len[0]);
    make_chunk(101, 250, &chunk_env[1], &chunk_len[1]);
    assert_int_equal(cs_bundle_seal_hello(dev, cs_key_pk(hub), &hin, &henv, &hlen), 0);
    assert_int_equal(cs_bundle_writer_new(&w, path, 0, cs_key_pk(hub), err, sizeof(err)), 0);
    assert_int_equal(cs_bundle_writer_add(w, henv, hlen, err, sizeof(err)), 0);
    assert_int_equal(cs_bundle_writer_add(w, chunk_env[0], chunk_len[0], err, sizeof(err)), 0);
    assert_int_equal(cs_bundle_writer_add(w, chunk_env[1], chunk_len[1], err, sizeof(err)), 0);
    size_t size = cs_bundle_writer_size(w);
    assert_int_equal(size, CS_BUNDLE_HEADER + 12 + 3 * crypto_box_SEALBYTES + hlen + chunk_len[0] +
                               chunk_len[1]);
    /* Nothing has the target's name before the commit. */
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(cs_bundle_writer_commit(w, err, sizeof(err)), 0);
    assert_int_equal(leftovers(), 0);
    good = read_all(path, &good_len);
    assert_int_equal(good_len, size);
    assert_memory_equal(good, "CSB\x04\x00\x00\x00\x00\x00\x00\x00\x03", CS_BUNDLE_HEADER);
    /* A stick shows no key and no envelope header: not the device's key, nor the bytes of a chunk.
     */
    assert_null(memmem(good, good_len, cs_key_pk(dev), 16));
    assert_null(memmem(good, good_len, cs_key_pk(hub), 16));
    assert_null(memmem(good, good_len, chunk_env[0], 64));
    assert_null(memmem(good, good_len, henv, 64));

    struct cs_bundle_reader *b = NULL;
    const uint8_t *env;
    size_t len;
    uint32_t ix;
    assert_int_equal(cs_bundle_reader_new(&b, path, hub, err, sizeof(err)), 0);
    assert_int_equal(cs_bundle_reader_flags(b), 0);
    assert_int_equal(cs_bundle_reader_count(b), 3);
    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(cs_bundle_reader_next(b, &env, &len, &ix, err, sizeof(err)), 1);
        assert_int_equal(ix, 0);
        assert_int_equal(cs_bundle_entry_is_control(env, len), 1);
        assert_int_equal(cs_bundle_open_hello(hub, env, len, &hout, pk), 0);
        assert_memory_equal(pk, cs_key_pk(dev), CS_PK_LEN);
        assert_int_equal(hout.hub_seq, 42);
        assert_int_equal(hout.has_secret, 1);
        assert_memory_equal(hout.secret, hin.secret, sizeof(hin.secret));
        assert_string_equal(hout.name, hin.name);
        for (int i = 0; i < 2; i++) {
            struct cs_envelope_info info;
            assert_int_equal(cs_bundle_reader_next(b, &env, &len, &ix, err, sizeof(err)), 1);
            assert_int_equal(ix, (uint32_t)i + 1);
            assert_int_equal(len, chunk_len[i]);
            assert_memory_equal(env, chunk_env[i], len);
            assert_int_equal(cs_bundle_entry_is_control(env, len), 0);
            assert_int_equal(
                cs_sync_check_chunk(hub, cs_key_pk(dev), env, len, &info, err, sizeof(err)), 0);
            assert_int_equal(info.seq_first, i == 0 ? 1 : 101);
        }
        assert_int_equal(cs_bundle_reader_next(b, &env, &len, &ix, err, sizeof(err)), 0);
        assert_int_equal(cs_bundle_reader_next(b, &env, &len, &ix, err, sizeof(err)), 0);
        assert_int_equal(cs_bundle_reader_rewind(b, err, sizeof(err)), 0);
    }
    cs_bundle_reader_free(b);
    free(henv);
}

/* Reads a bundle's bytes to the end, checking every entry as the hub does. 0 or the first error. */
static int
read_through(const uint8_t *bytes, size_t len)
{
    struct cs_bundle_reader *b = NULL;
    char p[300], err[512];
    const uint8_t *env;
    size_t elen;
    uint32_t ix;
    uint8_t pk[CS_PK_LEN];
    struct cs_hello h;
    int ret;

    snprintf(p, sizeof(p), "%s/x.bundle", dir);
    write_all(p, bytes, len);
    if ((ret = cs_bundle_reader_new(&b, p, hub, err, sizeof(err))) != 0)
        goto out;
    /* The hub takes exports only: a reply's flag on one is refused. */
    if (cs_bundle_reader_flags(b) != 0) {
        ret = CS_EMALFORMED;
        goto out;
    }
    while ((ret = cs_bundle_reader_next(b, &env, &elen, &ix, err, sizeof(err))) == 1) {
        if (ix == 0)
            ret = cs_bundle_open_hello(hub, env, elen, &h, pk);
        else
            ret = cs_sync_check_chunk(hub, cs_key_pk(dev), env, elen, NULL, err, sizeof(err));
        if (ret != 0)
            break;
    }
out:
    cs_bundle_reader_free(b);
    unlink(p);
    return ret;
}

static void
test_every_truncation(void **state)
{
    (void)state;
    assert_int_equal(read_through(good, good_len), 0);
    for (size_t n = 0; n < good_len; n++) {
        int ret = read_through(good, n);
        if (ret != CS_ETRUNCATED)
            fail_msg("cut at %zu of %zu: %s, not CS_ETRUNCATED", n, good_len, cs_err_name(ret));
    }
}

static void
test_every_flipped_byte(void **state)
{
    (void)state;
    uint8_t *b = malloc(good_len);
    assert_non_null(b);
    for (size_t i = 0; i < good_len; i++) {
        memcpy(b, good, good_len);
        b[i] ^= 0x01;
        int ret = read_through(b, good_len);
        if (ret >= 0)
            fail_msg("byte %zu flipped: the bundle was taken", i);
    }
    free(b);
}

static void
test_header_codes(void **state)
{
    (void)state;
    uint8_t *b = malloc(good_len + 1);
    assert_non_null(b);

    memcpy(b, good, good_len);
    b[good_len] = 0;
    assert_int_equal(read_through(b, good_len + 1), CS_ETRAILING);

    memcpy(b, good, good_len);
    b[0] = 'X';
    assert_int_equal(read_through(b, good_len), CS_EMALFORMED);
    assert_int_equal(read_through((const uint8_t *)"hello", 5), CS_EMALFORMED);
    assert_int_equal(read_through((const uint8_t *)"", 0), CS_ETRUNCATED);

    memcpy(b, good, good_len);
    b[3] = CS_BUNDLE_FORMAT + 1;
    assert_int_equal(read_through(b, good_len), CS_EVERSION);
    /* A future format is named even when there is little else of it. */
    assert_int_equal(read_through(b, 4), CS_EVERSION);

    memcpy(b, good, good_len);
    b[4] = 0x80; /* unknown flag */
    assert_int_equal(read_through(b, good_len), CS_EMALFORMED);
    memcpy(b, good, good_len);
    b[6] = 1; /* reserved */
    assert_int_equal(read_through(b, good_len), CS_EMALFORMED);
    memcpy(b, good, good_len);
    b[11] = 0; /* no entries */
    assert_int_equal(read_through(b, good_len), CS_EMALFORMED);
    memcpy(b, good, good_len);
    b[11] = 2; /* fewer entries than there are: the rest is trailing */
    assert_int_equal(read_through(b, good_len), CS_ETRAILING);
    memcpy(b, good, good_len);
    b[11] = 4; /* more entries than there are */
    assert_int_equal(read_through(b, good_len), CS_ETRUNCATED);

    /* Lengths are checked before anything is read. */
    memcpy(b, good, good_len);
    b[12] = 0x7f; /* the first entry claims ~2 GiB */
    assert_int_equal(read_through(b, good_len), CS_ETOOBIG);
    memcpy(b, good, good_len);
    b[12] = b[13] = b[14] = 0;
    b[15] = 10; /* shorter than any envelope */
    assert_int_equal(read_through(b, good_len), CS_EMALFORMED);
    memcpy(b, good, good_len);
    b[13] = 0x10; /* longer than what is left of the file */
    assert_int_equal(read_through(b, good_len), CS_ETRUNCATED);
    free(b);
}

static void
test_file_limit(void **state)
{
    (void)state;
    char p[300], err[512];
    struct cs_bundle_reader *b = NULL;
    snprintf(p, sizeof(p), "%s/big.bundle", dir);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(good, 1, CS_BUNDLE_HEADER, f), CS_BUNDLE_HEADER);
    assert_int_equal(fclose(f), 0);
    /* Sparse: no disk is spent on it. */
    assert_int_equal(truncate(p, (off_t)CS_BUNDLE_MAX_FILE + 1), 0);
    assert_int_equal(cs_bundle_reader_new(&b, p, hub, err, sizeof(err)), CS_ETOOBIG);
    assert_null(b);
    assert_non_null(strstr(err, "big.bundle"));
    unlink(p);
    assert_int_equal(cs_bundle_reader_new(&b, p, hub, err, sizeof(err)), -ENOENT);
    assert_int_equal(cs_bundle_reader_new(&b, dir, hub, err, sizeof(err)), CS_EINVAL);
}

static void
test_writer_cleans_up(void **state)
{
    (void)state;
    struct cs_bundle_writer *w = NULL;
    char p[300], err[512];
    snprintf(p, sizeof(p), "%s/w.bundle", dir);

    /* Dropped half way: no temp file, no target. */
    assert_int_equal(
        cs_bundle_writer_new(&w, p, CS_BUNDLE_F_REPLY, cs_key_pk(dev), err, sizeof(err)), 0);
    assert_int_equal(cs_bundle_writer_add(w, chunk_env[0], chunk_len[0], err, sizeof(err)), 0);
    assert_int_equal(leftovers(), 1);
    cs_bundle_writer_free(w);
    assert_int_equal(leftovers(), 0);
    assert_int_equal(access(p, F_OK), -1);

    /* A bundle needs an entry; the failed commit removes its temp file. */
    assert_int_equal(cs_bundle_writer_new(&w, p, 0, cs_key_pk(hub), err, sizeof(err)), 0);
    assert_int_equal(cs_bundle_writer_commit(w, err, sizeof(err)), CS_EINVAL);
    assert_int_equal(leftovers(), 0);
    assert_int_equal(access(p, F_OK), -1);

    /* Entries over the limit are refused before they are written. */
    assert_int_equal(cs_bundle_writer_new(&w, p, 0, cs_key_pk(hub), err, sizeof(err)), 0);
    assert_int_equal(
        cs_bundle_writer_add(w, chunk_env[0], CS_BUNDLE_MAX_ENTRY + 1, err, sizeof(err)),
        CS_ETOOBIG);
    cs_bundle_writer_free(w);
    assert_int_equal(cs_bundle_writer_new(&w, p, 0x80, cs_key_pk(hub), err, sizeof(err)),
                     CS_EINVAL);
    assert_null(w);

    /* A committed reply replaces an older file of the same name whole. */
    write_all(p, (const uint8_t *)"old", 3);
    assert_int_equal(
        cs_bundle_writer_new(&w, p, CS_BUNDLE_F_REPLY, cs_key_pk(dev), err, sizeof(err)), 0);
    assert_int_equal(cs_bundle_writer_add(w, chunk_env[1], chunk_len[1], err, sizeof(err)), 0);
    assert_int_equal(cs_bundle_writer_commit(w, err, sizeof(err)), 0);
    struct cs_bundle_reader *b = NULL;
    const uint8_t *env;
    size_t len;
    assert_int_equal(cs_bundle_reader_new(&b, p, dev, err, sizeof(err)), 0);
    assert_int_equal(cs_bundle_reader_flags(b), CS_BUNDLE_F_REPLY);
    assert_int_equal(cs_bundle_reader_next(b, &env, &len, NULL, err, sizeof(err)), 1);
    assert_memory_equal(env, chunk_env[1], chunk_len[1]);
    cs_bundle_reader_free(b);
    /* Sealed to dev: the hub, or another device, cannot open its entries. */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(cs_bundle_reader_new(&b, p, i ? other : hub, err, sizeof(err)), 0);
        assert_int_equal(cs_bundle_reader_next(b, &env, &len, NULL, err, sizeof(err)), CS_EDECRYPT);
        assert_non_null(strstr(err, "made for another device or hub"));
        cs_bundle_reader_free(b);
    }
    unlink(p);
    assert_int_equal(
        cs_bundle_writer_new(&w, "/nonexistent/dir/a.bundle", 0, cs_key_pk(hub), err, sizeof(err)),
        -ENOENT);
}

static void
test_control_entries(void **state)
{
    (void)state;
    struct cs_welcome win = {.status = CS_WELCOME_OK, .hub_time = 123456789, .up_seq = 77};
    struct cs_welcome wout;
    struct cs_hello h;
    uint8_t *env = NULL, *payload = NULL, pk[CS_PK_LEN];
    size_t len, plen;

    snprintf(win.org, sizeof(win.org), "%s", "CB-01");
    snprintf(win.role, sizeof(win.role), "%s", "cell");
    assert_int_equal(cs_bundle_seal_welcome(hub, cs_key_pk(dev), &win, &env, &len), 0);
    assert_int_equal(cs_bundle_entry_is_control(env, len), 1);
    assert_int_equal(cs_bundle_open_welcome(dev, cs_key_pk(hub), env, len, &wout), 0);
    assert_int_equal(wout.up_seq, 77);
    assert_int_equal(wout.hub_time, 123456789);
    assert_string_equal(wout.org, "CB-01");
    assert_string_equal(wout.role, "cell");
    /* Another device cannot open it; this one refuses it from anyone but its hub. */
    assert_int_equal(cs_bundle_open_welcome(other, cs_key_pk(hub), env, len, &wout), CS_ERECIPIENT);
    assert_int_equal(cs_bundle_open_welcome(dev, cs_key_pk(other), env, len, &wout), CS_ESIGNATURE);
    /* A welcome is no hello, and no chunk. */
    assert_int_equal(
        cs_bundle_open_control(dev, NULL, CS_BUNDLE_HELLO, env, len, &payload, &plen, NULL),
        CS_EMALFORMED);
    assert_null(payload);
    assert_true(cs_sync_check_chunk(dev, cs_key_pk(hub), env, len, NULL, NULL, 0) < 0);
    free(env);

    /* A chunk is no control entry, whatever its plaintext: its seq range says so. */
    assert_int_equal(cs_bundle_open_control(hub, NULL, CS_BUNDLE_HELLO, chunk_env[0], chunk_len[0],
                                            &payload, &plen, NULL),
                     CS_EMALFORMED);
    assert_int_equal(cs_bundle_open_hello(hub, chunk_env[0], chunk_len[0], &h, pk), CS_EMALFORMED);
    /* A hello to another hub is addressed to another key. */
    hello_of(&h);
    assert_int_equal(cs_bundle_seal_hello(dev, cs_key_pk(other), &h, &env, &len), 0);
    assert_int_equal(cs_bundle_open_hello(hub, env, len, &h, pk), CS_ERECIPIENT);
    free(env);

    /* Kinds are 1..127; an empty payload is fine. */
    assert_int_equal(cs_bundle_seal_control(hub, cs_key_pk(dev), 0, NULL, 0, &env, &len),
                     CS_EINVAL);
    assert_int_equal(cs_bundle_seal_control(hub, cs_key_pk(dev), 128, NULL, 0, &env, &len),
                     CS_EINVAL);
    assert_int_equal(
        cs_bundle_seal_control(hub, cs_key_pk(dev), CS_BUNDLE_REFUSED, NULL, 0, &env, &len), 0);
    assert_int_equal(cs_bundle_open_control(dev, cs_key_pk(hub), CS_BUNDLE_REFUSED, env, len,
                                            &payload, &plen, NULL),
                     0);
    assert_non_null(payload);
    assert_int_equal(plen, 0);
    free(payload);
    free(env);
    assert_int_equal(cs_bundle_entry_is_control((const uint8_t *)"CSE", 3), CS_ETRUNCATED);
}

/* touch(path, age): an empty file written age seconds ago. */
static void
touch(const char *p, int age)
{
    char cmd[600];
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "touch -d '%d seconds ago' '%s'", age, p);
    assert_int_equal(system(cmd), 0);
}

/* Reply names a person reads, FAT-safe; the device finds its own by the short id. */
static void
test_reply_names(void **state)
{
    (void)state;
    struct cs_id id;
    char name[128], shrt[CS_ID_SHORT_LEN + 1], want[400], sub[300], out[400], p[400];

    memset(id.b, 0xab, sizeof(id.b));
    id.b[0] = 0x12;
    id.b[1] = 0x34;
    id.b[2] = 0x56;
    id.b[3] = 0x78;
    cs_id_short(&id, shrt);
    assert_int_equal(cs_bundle_reply_name("CB-01", "may pho bi thu", &id, name, sizeof(name)), 0);
    snprintf(want, sizeof(want), "CB-01_may-pho-bi-thu_%s.reply", shrt);
    assert_string_equal(name, want);
    /* Marks, slashes, brackets, spaces at the ends: one dash a run, none at an end. */
    assert_int_equal(cs_bundle_reply_name("XÃ/01", "  máy (cũ)!  ", &id, name, sizeof(name)), 0);
    snprintf(want, sizeof(want), "X-01_m-y-c_%s.reply", shrt);
    assert_string_equal(name, want);
    /* Cut to 40 bytes, without a dash left at the cut. */
    assert_int_equal(cs_bundle_reply_name("CB-01", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbb",
                                          &id, name, sizeof(name)),
                     0);
    snprintf(want, sizeof(want), "CB-01_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_%s.reply", shrt);
    assert_string_equal(name, want);
    /* Nothing readable: the short id alone, as an older hub named it. */
    assert_int_equal(cs_bundle_reply_name(NULL, "", &id, name, sizeof(name)), 0);
    snprintf(want, sizeof(want), "%s.reply", shrt);
    assert_string_equal(name, want);
    assert_int_equal(cs_bundle_reply_name("CB-01", "x", &id, name, 10), CS_EINVAL);

    snprintf(sub, sizeof(sub), "%s/stick", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    /* None: the name looked for, CS_ENOTFOUND. */
    assert_int_equal(cs_bundle_reply_find(sub, &id, out, sizeof(out)), CS_ENOTFOUND);
    snprintf(want, sizeof(want), "%s/%s.reply", sub, shrt);
    assert_string_equal(out, want);
    /* The oldest name, then the short id alone, then this version's; the latest of several. */
    snprintf(p, sizeof(p), "%s/12345678.reply", sub);
    touch(p, 40);
    assert_int_equal(cs_bundle_reply_find(sub, &id, out, sizeof(out)), 0);
    assert_string_equal(out, p);
    snprintf(p, sizeof(p), "%s/%s.reply", sub, shrt);
    touch(p, 30);
    assert_int_equal(cs_bundle_reply_find(sub, &id, out, sizeof(out)), 0);
    assert_string_equal(out, p);
    snprintf(p, sizeof(p), "%s/CB-01_may-a_%s.reply", sub, shrt);
    touch(p, 20);
    snprintf(p, sizeof(p), "%s/CB-01_MAY-B_%s.REPLY", sub, shrt);
    touch(p, 10);
    snprintf(p, sizeof(p), "%s/CB-01_may-c_0%s.reply", sub, shrt + 1);
    touch(p, 0);
    assert_int_equal(cs_bundle_reply_find(sub, &id, out, sizeof(out)), 0);
    snprintf(want, sizeof(want), "%s/CB-01_MAY-B_%s.REPLY", sub, shrt);
    assert_string_equal(out, want);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sub);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cs_bundle_reply_find(sub, &id, out, sizeof(out)), -ENOENT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),         cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_every_flipped_byte), cmocka_unit_test(test_header_codes),
        cmocka_unit_test(test_file_limit),         cmocka_unit_test(test_writer_cleans_up),
        cmocka_unit_test(test_control_entries),    cmocka_unit_test(test_reply_names),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
