/* SPDX-License-Identifier: MIT */
/*
 * The hub's store (daemon/hub.c) on real SQLite files in a temp directory:
 * init from an org-tree CSV (and every way a CSV is refused, by line),
 * enrollment files and short codes, admission of devices, scopes,
 * authorization of changes (directly and through a real merge), the
 * downstream filter, the append-only audit trail, the device list, the
 * hub's incarnations with the downstream cursor they give a hello, and the
 * chain of hubs (issue 19): the device registry, the sets a hub below
 * relays, the upward chunk, the downstream to a hub below, and a replica
 * of schema 2 opened.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellsync/compress.h"
#include "cellsync/enroll.h"
#include "cellsync/error.h"
#include "cellsync/origin.h"
#include "cellsync/version.h"
#include "hub.h"
#include "hub_internal.h"
#include "peer.h"
#include "upstream.h"

static char base[] = "/tmp/cs_hub_XXXXXX";
static unsigned serial;

/* A province, one commune, two grassroots organisations, four cells. */
static const char tree_csv[] =
    "id,parent,level,kind,name\n"
    "QN,,province,,\"Tỉnh Quảng Nam\"\n"
    "NT,QN,commune,,\"Đảng bộ xã Núi Thành\"\n"
    "NT-TH,NT,grassroots,village,\"Đảng bộ thôn Tam Hải, xã Núi Thành\"\n"
    "NT-TX,NT,grassroots,school,\"Chi bộ trường \"\"Tam Xuân\"\", Núi Thành\"\n"
    "NT-TH-1,NT-TH,cell,village,\"Chi bộ thôn 1, Tam Hải\"\n"
    "NT-TH-2,NT-TH,cell,village,\"Chi bộ thôn 2, Tam Hải\"\n"
    "NT-TX-1,NT-TX,cell,school,Chi bộ giáo viên\n"
    "NT-TX-2,NT-TX,cell,school,\"Chi bộ học sinh, sinh viên\"\n";

/* A fresh path under the test's temp directory. */
static const char *
fresh(const char *what)
{
    static char buf[8][512];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, 512, "%s/%u-%s", base, serial++, what);
    return p;
}

static void
write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static struct hub *
make_hub(const char **state_out)
{
    const char *csv = fresh("tree.csv");
    const char *state = fresh("state");
    char err[512] = "";
    struct hub *h;
    write_text(csv, tree_csv);
    if (hub_init(state, csv, err, sizeof(err)) != 0)
        fail_msg("init: %s", err);
    if (hub_open(&h, state, err, sizeof(err)) != 0)
        fail_msg("open: %s", err);
    if (state_out != NULL)
        *state_out = state;
    return h;
}

static sqlite3 *
db_of(struct hub *h)
{
    return cs_replica_db(hub_replica(h));
}

static char *
sql_text(sqlite3 *db, const char *sql)
{
    static char buf[1024];
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    buf[0] = 0;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
        snprintf(buf, sizeof(buf), "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

static int64_t
sql_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* OUT: the kept bytes of audit entry id, stored as a zstd frame, as signed; caller frees. */
static void
kept_of(sqlite3 *db, int64_t id, uint8_t **kept, size_t *len)
{
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT envelope FROM hub_audit WHERE id = ?1", -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_int64(st, 1, id);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const void *p = sqlite3_column_blob(st, 0);
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    assert_true(cs_zstd_is_frame(p, n));
    assert_int_equal(cs_zstd_decompress(p, n, 16u << 20, kept, len), 0);
    sqlite3_finalize(st);
}

static mode_t
mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* ---- statements ---- */

/*
 * Every statement of the hub's cache compiles on a hub just made; those run
 * for most changes of a merged set (authz.c: a candidate's facts and stage
 * dates, a row's placing column) read by index: no table scanned, no
 * temporary b-tree. (What a deleted unit holds and the rows placed through
 * a moved one are read rarely, some tables without an index.)
 */
static void
test_statements(void **state)
{
    (void)state;
    struct hub *h = make_hub(NULL);
    for (int i = 0; i < ST__COUNT; i++) {
        sqlite3_stmt *st, *plan;
        assert_int_equal(cs_stmt_get(&h->stmts, i, &st), SQLITE_OK);
        if (i < ST_CANDIDATE_FACTS || i >= ST_HOLDS)
            continue;
        char sql[1024];
        snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", sqlite3_sql(st));
        assert_int_equal(sqlite3_prepare_v2(db_of(h), sql, -1, &plan, NULL), SQLITE_OK);
        while (sqlite3_step(plan) == SQLITE_ROW) {
            const char *d = (const char *)sqlite3_column_text(plan, 3);
            if (strncmp(d, "SCAN ", 5) == 0 || strstr(d, "TEMP B-TREE") != NULL)
                fail_msg("%s: %s", sqlite3_sql(st), d);
        }
        sqlite3_finalize(plan);
    }
    hub_close(h);
}

/* ---- init ---- */

static void
test_init_tree(void **state)
{
    (void)state;
    const char *dir;
    char path[600];
    struct hub *h = make_hub(&dir);
    sqlite3 *db = db_of(h);

    assert_int_equal(mode_of(dir), 0700);
    snprintf(path, sizeof(path), "%s/%s", dir, HUB_KEY);
    assert_int_equal(mode_of(path), 0600);
    snprintf(path, sizeof(path), "%s/%s", dir, HUB_PUB);
    assert_int_equal(mode_of(path), 0644);
    assert_string_equal(hub_root_org(h), "QN");

    /* The replica's origin is the hub key's id. */
    struct cs_id kid;
    cs_key_id(hub_key(h), &kid);
    assert_int_equal(cs_id_cmp(&kid, cs_replica_site(hub_replica(h))), 0);

    assert_int_equal(sql_int(db, "SELECT count(*) FROM org_unit WHERE cl % 2 = 1"), 8);
    assert_string_equal(sql_text(db, "SELECT name FROM org_unit WHERE code = 'NT-TH'"),
                        "Đảng bộ thôn Tam Hải, xã Núi Thành");
    assert_string_equal(sql_text(db, "SELECT name FROM org_unit WHERE code = 'NT-TX'"),
                        "Chi bộ trường \"Tam Xuân\", Núi Thành");
    assert_string_equal(sql_text(db, "SELECT parent FROM org_unit WHERE code = 'NT-TX-2'"),
                        "NT-TX");
    assert_string_equal(sql_text(db, "SELECT level FROM org_unit WHERE code = 'NT-TX-2'"), "cell");
    assert_int_equal(sql_int(db, "SELECT parent IS NULL FROM org_unit WHERE code = 'QN'"), 1);
    /* Registers, all of one local transaction: one stamp. */
    assert_int_equal(sql_int(db, "SELECT count(*) FROM cs_version"), 8 * 5);
    assert_int_equal(sql_int(db, "SELECT count(DISTINCT hlc) FROM cs_version"), 1);

    /* Row ids come from the codes: UUIDv8 shape, the same everywhere. */
    struct cs_id id, again;
    hub_org_row_id("NT-TH-1", &id);
    hub_org_row_id("NT-TH-1", &again);
    assert_memory_equal(id.b, again.b, CS_ID_LEN);
    assert_int_equal(id.b[6] >> 4, 8);
    assert_int_equal(id.b[8] >> 6, 2);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT code FROM org_unit WHERE id = ?1", -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_blob(st, 1, id.b, CS_ID_LEN, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "NT-TH-1");
    sqlite3_finalize(st);

    /* The hub's tables exist and are not registers. */
    assert_int_equal(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN"
                                 " ('hub_device', 'hub_enroll', 'hub_audit', 'hub_refused')"),
                     4);
    hub_close(h);
}

/* The CSV is refused with the file and line named, and nothing is created. */
static void
expect_csv_error(const char *csv_text, const char *want_line, const char *want_text)
{
    const char *csv = fresh("bad.csv");
    const char *dir = fresh("never");
    char err[512] = "";
    write_text(csv, csv_text);
    assert_int_equal(hub_init(dir, csv, err, sizeof(err)), CS_EMALFORMED);
    if (strstr(err, csv) == NULL || strstr(err, want_line) == NULL ||
        strstr(err, want_text) == NULL)
        fail_msg("want '%s' and '%s' in: %s", want_line, want_text, err);
    assert_int_equal(access(dir, F_OK), -1);
}

static void
test_csv_errors(void **state)
{
    (void)state;
    expect_csv_error("QN,,province,,Quảng Nam\n", "line 1", "header");
    expect_csv_error("", "line 1", "header");
    expect_csv_error("id,parent,level,kind,name\n"
                     "QN,,province,,Quảng Nam\n"
                     "NT,XX,commune,,Núi Thành\n",
                     "line 3", "parent 'XX'");
    expect_csv_error("id,parent,level,kind,name\n"
                     "QN,,province,,Quảng Nam\n"
                     "A,B,commune,,A\n"
                     "B,C,commune,,B\n"
                     "C,A,commune,,C\n",
                     "line 3", "cycle");
    expect_csv_error("id,parent,level,kind,name\n"
                     "QN,,province,,Quảng Nam\n"
                     "NT,QN,commune,,Núi Thành\n"
                     "NT,QN,commune,,\"Núi Thành, again\"\n",
                     "line 4", "already used on line 3");
    expect_csv_error("id,parent,level,kind,name\n"
                     "QN,,province,,Quảng Nam\n"
                     "NT,QN,ward,,Núi Thành\n",
                     "line 3",
                     "level 'ward' is not one of centre, province, district, commune, grassroots, "
                     "cell");
    expect_csv_error("id,parent,level,kind,name\n"
                     "QN,,province,,Quảng Nam\n"
                     "NT,QN,commune,,Chi bộ, thôn 1\n",
                     "line 3", "more than 5 fields");
    expect_csv_error("id,parent,level,kind,name\n"
                     "QN,,province,,Quảng Nam\n"
                     "NT,,commune,,Núi Thành\n",
                     "line 3", "only the root");
    expect_csv_error("id,parent,level,kind,name\n"
                     "QN,,province,,\"Quảng Nam\n",
                     "line 2", "not closed");
    expect_csv_error("id,parent,level,kind,name\n"
                     "QN,,province,,Qu\xe1ng Nam\n",
                     "line 2", "UTF-8");
}

static void
test_init_twice(void **state)
{
    (void)state;
    const char *dir, *csv = fresh("other.csv");
    char err[512] = "", keyfile[600];
    uint8_t before[32], after[32];
    struct hub *h = make_hub(&dir);
    assert_int_equal(cs_replica_hash(hub_replica(h), before), 0);
    uint8_t pk[CS_PK_LEN];
    memcpy(pk, cs_key_pk(hub_key(h)), CS_PK_LEN);
    hub_close(h);

    write_text(csv, "id,parent,level,kind,name\nX,,province,,Other\n");
    assert_int_equal(hub_init(dir, csv, err, sizeof(err)), CS_EEXISTS);
    assert_non_null(strstr(err, "already holds a hub"));
    assert_non_null(strstr(err, "nothing was changed"));

    snprintf(keyfile, sizeof(keyfile), "%s/%s", dir, HUB_KEY);
    assert_int_equal(hub_open(&h, dir, err, sizeof(err)), 0);
    assert_memory_equal(cs_key_pk(hub_key(h)), pk, CS_PK_LEN);
    assert_int_equal(cs_replica_hash(hub_replica(h), after), 0);
    assert_memory_equal(before, after, 32);
    assert_string_equal(hub_root_org(h), "QN");
    hub_close(h);

    /* A key open to others is refused, naming the file. */
    assert_int_equal(chmod(keyfile, 0644), 0);
    assert_int_equal(hub_open(&h, dir, err, sizeof(err)), CS_EKEYPERM);
    assert_null(h);
    assert_non_null(strstr(err, keyfile));
    assert_int_equal(chmod(keyfile, 0600), 0);
    /* A missing state directory names the path. */
    assert_int_not_equal(hub_open(&h, fresh("nowhere"), err, sizeof(err)), 0);
    assert_non_null(strstr(err, "nowhere"));
}

/* ---- enrollment files and codes ---- */

static void
test_enrollment_file(void **state)
{
    (void)state;
    struct cs_enrollment e = {0}, back;
    const char *path = fresh("dev.enroll");
    char err[512] = "";

    snprintf(e.addr, sizeof(e.addr), "hub.nuithanh.vn:7461");
    randombytes_buf(e.hub_pk, sizeof(e.hub_pk));
    snprintf(e.org, sizeof(e.org), "NT-TH-1");
    snprintf(e.role, sizeof(e.role), "cell");
    snprintf(e.name, sizeof(e.name), "Máy chi bộ thôn 1");
    cs_enroll_secret_new(e.secret);
    e.expires = 1800000000;
    assert_int_equal(cs_enrollment_write(&e, path, err, sizeof(err)), 0);
    assert_int_equal(mode_of(path), 0600);
    assert_int_equal(cs_enrollment_read(path, &back, err, sizeof(err)), 0);
    assert_memory_equal(&e, &back, sizeof(e));
    /* Never over an existing file. */
    assert_int_equal(cs_enrollment_write(&e, path, err, sizeof(err)), CS_EEXISTS);

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"# c\naddr = a:1\ncolour = red\n", "line 3: unknown key 'colour'"},
        {"# c\naddr = a:1\naddr = b:2\n", "line 3: 'addr' is already on line 2"},
        {"# c\naddr a:1\n", "line 2: expected 'key = value'"},
        {"# c\nhub_pk = 12zz\n", "line 2: hub_pk must be 64 hex digits"},
        {"# c\nsecret = 0011\n", "line 2: secret must be 64 hex digits"},
        {"# c\nrole = chief\n", "line 2: role must be"},
        {"# c\nexpires = soon\n", "line 2: expires"},
        {"# c\naddr = a:1\n", "no 'hub_pk' line"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *p = fresh("bad.enroll");
        write_text(p, bad[i].text);
        assert_int_equal(cs_enrollment_read(p, &back, err, sizeof(err)), CS_EMALFORMED);
        if (strstr(err, bad[i].want) == NULL || strstr(err, p) == NULL)
            fail_msg("want '%s' in: %s", bad[i].want, err);
    }
}

static void
test_code(void **state)
{
    (void)state;
    static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    uint8_t secret[32], back[32], bits[8];
    char code[CS_ENROLL_CODE_LEN + 1], typed[64], err[256];
    uint32_t num;

    for (int round = 0; round < 200; round++) {
        uint32_t want = randombytes_uniform(CS_ENROLL_CODE_ID_MAX);
        randombytes_buf(bits, sizeof(bits));
        cs_enroll_code_secret(want, bits, secret);
        assert_true(cs_enroll_secret_is_code(secret, &num));
        assert_int_equal(num, want);
        assert_int_equal(cs_enroll_code_format(secret, code), 0);
        assert_int_equal(strlen(code), CS_ENROLL_CODE_LEN);
        for (int g = 4; g < CS_ENROLL_CODE_LEN; g += 5)
            assert_int_equal(code[g], '-');
        assert_null(strpbrk(code, "01IO"));
        assert_int_equal(cs_enroll_code_parse(code, back, err, sizeof(err)), 0);
        assert_memory_equal(back, secret, 32);
        /* As a person types it: lower case, spaces, no dashes. */
        size_t n = 0;
        for (const char *p = code; *p; p++) {
            if (*p == '-') {
                if (round % 2)
                    typed[n++] = ' ';
                continue;
            }
            typed[n++] = round % 3 ? (char)tolower((unsigned char)*p) : *p;
        }
        typed[n] = 0;
        assert_int_equal(cs_enroll_code_parse(typed, back, err, sizeof(err)), 0);
        assert_memory_equal(back, secret, 32);
        /* Every single changed symbol is caught by the check symbol. */
        for (size_t i = 0; i < CS_ENROLL_CODE_LEN; i++) {
            if (code[i] == '-')
                continue;
            char saved = code[i];
            for (const char *a = alphabet; *a; a++) {
                if (*a == saved)
                    continue;
                code[i] = *a;
                assert_int_equal(cs_enroll_code_parse(code, back, err, sizeof(err)), CS_EINVAL);
                assert_non_null(strstr(err, "mistyped"));
            }
            code[i] = saved;
        }
        /* And every swap of two different neighbours, across a dash too. */
        for (size_t i = 0; i + 1 < CS_ENROLL_CODE_LEN; i++) {
            size_t j = code[i + 1] == '-' ? i + 2 : i + 1;
            if (code[i] == '-' || code[i] == code[j])
                continue;
            char t = code[i];
            code[i] = code[j];
            code[j] = t;
            assert_int_equal(cs_enroll_code_parse(code, back, err, sizeof(err)), CS_EINVAL);
            code[j] = code[i];
            code[i] = t;
        }
    }
    assert_int_equal(cs_enroll_code_parse("", back, err, sizeof(err)), CS_EINVAL);
    assert_non_null(strstr(err, "has 0 letters"));
    /* A code of the format before (25 symbols) says it must be issued again. */
    assert_int_equal(cs_enroll_code_parse("22222-22222-22222-22222-22222", back, err, sizeof(err)),
                     CS_EINVAL);
    assert_non_null(strstr(err, "issued again"));
    assert_int_equal(cs_enroll_code_parse("2222-2222-2222-222O", back, err, sizeof(err)),
                     CS_EINVAL);
    assert_non_null(strstr(err, "'O'"));
    /* A known value: all zero bits is all '2', and its check symbol is '2' (0). */
    memset(bits, 0, sizeof(bits));
    cs_enroll_code_secret(0, bits, secret);
    assert_int_equal(cs_enroll_code_format(secret, code), 0);
    assert_string_equal(code, "2222-2222-2222-2222");
    /* Number 1 (the 15th bit): symbol 3 is 1 ('3'), then the check symbol. */
    cs_enroll_code_secret(1, bits, secret);
    assert_int_equal(cs_enroll_code_format(secret, code), 0);
    assert_int_equal(strncmp(code, "2232-2222-2222-222", 18), 0);
    /* A file's 32-byte secret cannot be a code. */
    cs_enroll_secret_new(secret);
    assert_false(cs_enroll_secret_is_code(secret, &num));
    assert_int_equal(cs_enroll_code_format(secret, code), CS_EINVAL);
}

/* ---- admission ---- */

static void
new_pk(uint8_t pk[CS_PK_LEN])
{
    struct cs_key *k;
    assert_int_equal(cs_key_generate(&k), 0);
    memcpy(pk, cs_key_pk(k), CS_PK_LEN);
    cs_key_free(k);
}

/*
 * One run of enrollment by code against h, as the laptop and the
 * connection would make it: 0 and what the hub sent in e, the hub's
 * refusal (> 0), or the laptop's failure (< 0). confirm: the laptop's
 * CONFIRM reaches the hub.
 */
static int
pake_run(struct hub *h, const char *code, int confirm, struct cs_enrollment *e)
{
    uint8_t secret[32], start[CS_PAKE_START_LEN], nonce[CS_PAKE_NONCE_MSG];
    uint8_t share[CS_PAKE_SHARE_LEN], reply[CS_PAKE_REPLY_MAX], conf[CS_PAKE_CONFIRM_LEN];
    struct cs_pake dev, hp;
    enum cs_pake_refusal why;
    unsigned version;
    size_t rlen;
    int64_t row;
    char err[256];

    assert_int_equal(cs_enroll_code_parse(code, secret, err, sizeof(err)), 0);
    assert_int_equal(cs_pake_dev_start(&dev, secret, start), 0);
    assert_int_equal(cs_pake_hub_start(&hp, start, sizeof(start), &version, nonce), 0);
    assert_int_equal(version, CS_WIRE_VERSION);
    assert_int_equal(cs_pake_dev_share(&dev, nonce, sizeof(nonce), share), 0);
    if (hub_pake_reply(h, &hp, 0, share, sizeof(share), reply, sizeof(reply), &rlen, &row, &why,
                       err, sizeof(err)) != 0)
        fail_msg("pake: %s", err);
    if (why != 0)
        return (int)why;
    int rc = cs_pake_dev_finish(&dev, reply, rlen, e, conf);
    if (rc == 0 && confirm) {
        assert_int_equal(cs_pake_hub_confirm(&hp, conf, sizeof(conf)), 0);
        assert_int_equal(hub_pake_confirmed(h, row), 0);
    }
    return rc;
}

/*
 * An enrollment with a file (hello carries its secret) and, with by_code,
 * a code too: by_code carries what enrollment by code gives the laptop.
 */
static void
enroll2(struct hub *h, const char *org, const char *role, const char *name, struct cs_hello *hello,
        struct cs_hello *by_code, char code[CS_ENROLL_CODE_LEN + 1])
{
    struct cs_enrollment e, g;
    const char *path = fresh("x.enroll");
    char err[512] = "";
    if (hub_enroll_create(h, org, role, name, "hub:7461", HUB_ENROLL_TTL_DEFAULT, path,
                          by_code ? code : NULL, CS_ENROLL_CODE_LEN + 1, NULL, err,
                          sizeof(err)) != 0)
        fail_msg("enroll: %s", err);
    assert_int_equal(mode_of(path), 0600);
    assert_int_equal(cs_enrollment_read(path, &e, err, sizeof(err)), 0);
    assert_string_equal(e.org, org);
    assert_string_equal(e.role, role);
    assert_memory_equal(e.hub_pk, cs_key_pk(hub_key(h)), CS_PK_LEN);
    memset(hello, 0, sizeof(*hello));
    memcpy(hello->secret, e.secret, 32);
    hello->has_secret = 1;
    if (by_code != NULL) {
        /* The run gives the hub's key and the enrollment's 256-bit secret, the file's. */
        uint32_t num;
        assert_int_equal(pake_run(h, code, 1, &g), 0);
        assert_memory_equal(g.hub_pk, cs_key_pk(hub_key(h)), CS_PK_LEN);
        assert_memory_equal(g.secret, e.secret, 32);
        assert_false(cs_enroll_secret_is_code(g.secret, &num));
        assert_string_equal(g.org, org);
        assert_string_equal(g.role, role);
        assert_string_equal(g.name, name);
        assert_int_equal(g.expires, e.expires);
        memset(by_code, 0, sizeof(*by_code));
        memcpy(by_code->secret, g.secret, 32);
        by_code->has_secret = 1;
    }
}

static void
enroll(struct hub *h, const char *org, const char *role, const char *name, struct cs_hello *hello)
{
    enroll2(h, org, role, name, hello, NULL, NULL);
}

static void
test_admit(void **state)
{
    (void)state;
    struct hub *h = make_hub(NULL);
    struct cs_hello hello = {0}, none = {0};
    struct hub_device d;
    uint8_t pk[CS_PK_LEN], pk2[CS_PK_LEN];
    char msg[128], err[512];

    new_pk(pk);
    new_pk(pk2);
    assert_int_equal(hub_admit(h, pk, &none, &d, msg, sizeof(msg)), CS_WELCOME_UNKNOWN);
    assert_non_null(strstr(msg, "not enrolled"));

    enroll(h, "NT-TH-1", "cell", "Máy thôn 1", &hello);
    /* Only the keyed hash is stored. */
    assert_int_equal(sql_int(db_of(h), "SELECT length(file_hash) FROM hub_enrollment"), 32);
    uint8_t plain[32];
    crypto_generichash(plain, sizeof(plain), hello.secret, 32, NULL, 0);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db_of(h),
                                        "SELECT count(*) FROM hub_enrollment WHERE "
                                        "file_hash = ?1",
                                        -1, &q, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(q, 1, plain, 32, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 0);
    sqlite3_finalize(q);
    struct cs_hello wrong = hello;
    wrong.secret[0] ^= 1;
    assert_int_equal(hub_admit(h, pk, &wrong, &d, msg, sizeof(msg)), CS_WELCOME_ENROLL);

    assert_int_equal(hub_admit(h, pk, &hello, &d, msg, sizeof(msg)), CS_WELCOME_OK);
    struct cs_id id;
    cs_pk_id(pk, &id);
    assert_int_equal(cs_id_cmp(&d.id, &id), 0);
    assert_string_equal(d.org, "NT-TH-1");
    assert_string_equal(d.role, "cell");
    assert_string_equal(d.name, "Máy thôn 1");
    assert_int_not_equal(d.enrolled_at, 0);
    /*
     * Its name, unit, role and public key go to the replica, once: the laptops
     * name it, the hubs above check what is relayed for it. No secret.
     */
    const char *named = "SELECT count(*) FROM device WHERE name = 'Máy thôn 1' AND org_unit = "
                        "'NT-TH-1' AND role = 'cell' AND cl % 2 = 1 AND revoked_on IS NULL";
    assert_int_equal(sql_int(db_of(h), named), 1);
    char pkhex[2 * CS_PK_LEN + 1], keyed[256];
    sodium_bin2hex(pkhex, sizeof(pkhex), pk, CS_PK_LEN);
    snprintf(keyed, sizeof(keyed), "SELECT count(*) FROM device WHERE pk = '%s'", pkhex);
    assert_int_equal(sql_int(db_of(h), keyed), 1);
    int versions = sql_int(db_of(h), "SELECT count(*) FROM cs_version WHERE tbl = 'device'");
    assert_int_equal(versions, 4);
    /* Known now, with or without the secret. */
    assert_int_equal(hub_admit(h, pk, &none, &d, msg, sizeof(msg)), CS_WELCOME_OK);
    assert_int_equal(hub_admit(h, pk, &hello, &d, msg, sizeof(msg)), CS_WELCOME_OK);
    /* Written again only when it differs: a renamed device is named anew at its next contact. */
    assert_int_equal(sql_int(db_of(h), "SELECT count(*) FROM cs_version WHERE tbl = 'device'"),
                     versions);
    assert_int_equal(
        sqlite3_exec(db_of(h), "UPDATE hub_device SET name = 'Máy chi bộ 1'", NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(hub_admit(h, pk, &none, &d, msg, sizeof(msg)), CS_WELCOME_OK);
    assert_int_equal(sql_int(db_of(h), "SELECT count(*) FROM device WHERE name = 'Máy chi bộ 1'"),
                     1);
    /* The secret is used up. */
    assert_int_equal(hub_admit(h, pk2, &hello, &d, msg, sizeof(msg)), CS_WELCOME_ENROLL);
    assert_non_null(strstr(msg, "wrong, already used or expired"));

    /* Expired. */
    struct cs_hello old;
    enroll(h, "NT-TH-2", "cell", NULL, &old);
    assert_int_equal(sqlite3_exec(db_of(h),
                                  "UPDATE hub_enrollment SET expires = 1000 WHERE used_by IS NULL",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(hub_admit(h, pk2, &old, &d, msg, sizeof(msg)), CS_WELCOME_ENROLL);

    /* With no name in the enrollment, the hello names the device. */
    enroll(h, "NT-TH-2", "cell", "", &hello);
    snprintf(hello.name, sizeof(hello.name), "Laptop thôn 2");
    assert_int_equal(hub_admit(h, pk2, &hello, &d, msg, sizeof(msg)), CS_WELCOME_OK);
    assert_string_equal(d.name, "Laptop thôn 2");
    assert_string_equal(d.org, "NT-TH-2");

    /* Cursors and contact. */
    assert_int_equal(hub_device_set_up_seq(h, &d.id, 42), 0);
    assert_int_equal(hub_device_set_down_seq(h, &d.id, 7), 0);
    assert_int_equal(hub_device_touch(h, &d.id, 1700000000), 0);
    struct hub_device g;
    assert_int_equal(hub_device_get(h, &d.id, &g), 0);
    assert_int_equal(g.up_seq, 42);
    assert_int_equal(g.down_seq, 7);
    assert_int_equal(g.last_contact, 1700000000);
    struct cs_id nobody;
    memset(nobody.b, 0x5a, sizeof(nobody.b));
    assert_int_equal(hub_device_touch(h, &nobody, 1), CS_ENOTFOUND);
    assert_int_equal(hub_device_get(h, &nobody, &g), CS_ENOTFOUND);

    /* Revoked. */
    assert_int_equal(hub_device_revoke(h, "Laptop thôn 2", NULL, err, sizeof(err)), 0);
    assert_int_equal(hub_admit(h, pk2, &none, &d, msg, sizeof(msg)), CS_WELCOME_REVOKED);
    assert_non_null(strstr(msg, "revoked"));

    /* Refused inputs of enroll. */
    const char *f = fresh("r.enroll");
    char code[CS_ENROLL_CODE_LEN + 1];
    assert_int_equal(hub_enroll_create(h, "NOPE", "cell", "x", "hub:1", 3600, f, NULL, 0, NULL, err,
                                       sizeof(err)),
                     CS_ENOTFOUND);
    assert_int_equal(
        hub_enroll_create(h, "NT", "boss", "x", "hub:1", 3600, f, NULL, 0, NULL, err, sizeof(err)),
        CS_EINVAL);
    assert_int_equal(
        hub_enroll_create(h, "NT", "cell", "x", "hub:1", 0, f, NULL, 0, NULL, err, sizeof(err)),
        CS_EINVAL);
    /* 30 days at most. */
    assert_int_equal(hub_enroll_create(h, "NT", "cell", "x", "hub:1", HUB_ENROLL_TTL_MAX + 1, f,
                                       NULL, 0, NULL, err, sizeof(err)),
                     CS_EINVAL);
    assert_non_null(strstr(err, "30 days"));
    /* Committee and hub devices by file only, never by code. */
    assert_int_equal(hub_enroll_create(h, "NT", "committee", "x", "hub:1", 3600, NULL, code,
                                       sizeof(code), NULL, err, sizeof(err)),
                     CS_EINVAL);
    assert_non_null(strstr(err, "file only"));
    assert_int_equal(hub_enroll_create(h, "NT", "hub", "x", "hub:1", 3600, f, code, sizeof(code),
                                       NULL, err, sizeof(err)),
                     CS_EINVAL);

    /*
     * By code: each run without the laptop's CONFIRM counts against the
     * code (a wrong code, or a laptop that hung up), HUB_ENROLL_MAX_FAILS
     * lock it, right or not; a confirmed run takes its count back.
     */
    struct cs_hello file, bycode, codehello;
    struct cs_enrollment ge;
    char code2[CS_ENROLL_CODE_LEN + 1], wcode[CS_ENROLL_CODE_LEN + 1];
    uint8_t pk3[CS_PK_LEN], ws[32];
    new_pk(pk3);
    enroll2(h, "NT-TH-1", "cell", "Máy 3", &file, &bycode, code2);
    assert_int_equal(cs_enroll_code_parse(code2, ws, err, sizeof(err)), 0);
    ws[10] ^= 1;
    assert_int_equal(cs_enroll_code_format(ws, wcode), 0);
    for (int i = 0; i < HUB_ENROLL_MAX_FAILS - 1; i++)
        assert_int_equal(pake_run(h, wcode, 1, &ge), CS_EDECRYPT);
    /* The right code still works (4 counted), and its run counts nothing. */
    assert_int_equal(pake_run(h, code2, 1, &ge), 0);
    assert_int_equal(pake_run(h, code2, 0, &ge), 0); /* hung up before CONFIRM: counted */
    assert_int_equal(pake_run(h, code2, 1, &ge), CS_PAKE_LOCKED);
    assert_int_equal(pake_run(h, wcode, 1, &ge), CS_PAKE_LOCKED);
    /* The file of the same enrollment still works (it is a 256-bit secret); it uses the code. */
    assert_int_equal(hub_admit(h, pk3, &file, &d, msg, sizeof(msg)), CS_WELCOME_OK);
    assert_int_equal(pake_run(h, code2, 1, &ge), CS_PAKE_NO_CODE);
    /* A right code enrolls: the secret it gave is presented at the first sync. */
    uint8_t pk4[CS_PK_LEN];
    new_pk(pk4);
    enroll2(h, "NT-TH-1", "cell", "Máy 4", &file, &bycode, code2);
    /* A code's own secret in a hello (a version before CPace) is refused. */
    memset(&codehello, 0, sizeof(codehello));
    assert_int_equal(cs_enroll_code_parse(code2, codehello.secret, err, sizeof(err)), 0);
    codehello.has_secret = 1;
    assert_int_equal(hub_admit(h, pk4, &codehello, &d, msg, sizeof(msg)), CS_WELCOME_ENROLL);
    assert_int_equal(hub_admit(h, pk4, &bycode, &d, msg, sizeof(msg)), CS_WELCOME_OK);
    assert_string_equal(d.name, "Máy 4");
    /* Then neither the code nor the file works again. */
    new_pk(pk3);
    assert_int_equal(pake_run(h, code2, 1, &ge), CS_PAKE_NO_CODE);
    assert_int_equal(hub_admit(h, pk3, &bycode, &d, msg, sizeof(msg)), CS_WELCOME_ENROLL);
    assert_int_equal(hub_admit(h, pk3, &file, &d, msg, sizeof(msg)), CS_WELCOME_ENROLL);
    hub_close(h);
}

/* ---- scope ---- */

static void
test_scope(void **state)
{
    (void)state;
    struct hub *h = make_hub(NULL);
    struct hub_scope *s;

    assert_int_equal(hub_scope_load(h, "NT", &s), 0);
    assert_true(hub_scope_has(s, "NT"));
    assert_true(hub_scope_has(s, "NT-TH-1"));
    assert_true(hub_scope_has(s, "NT-TX-2"));
    assert_false(hub_scope_has(s, "QN"));
    assert_true(hub_scope_can_read(s, "QN"));
    hub_scope_free(s);

    assert_int_equal(hub_scope_load(h, "NT-TH", &s), 0);
    assert_true(hub_scope_has(s, "NT-TH-1"));
    assert_true(hub_scope_has(s, "NT-TH-2"));
    assert_false(hub_scope_has(s, "NT-TX"));
    assert_false(hub_scope_has(s, "NT-TX-1"));
    assert_false(hub_scope_has(s, "NT"));
    assert_true(hub_scope_can_read(s, "NT"));
    assert_true(hub_scope_can_read(s, "QN"));
    assert_false(hub_scope_can_read(s, "NT-TX"));
    hub_scope_free(s);

    assert_int_equal(hub_scope_load(h, "NT-TX-1", &s), 0);
    assert_true(hub_scope_has(s, "NT-TX-1"));
    assert_false(hub_scope_has(s, "NT-TX-2"));
    hub_scope_free(s);

    assert_int_equal(hub_scope_load(h, "NOPE", &s), CS_ENOTFOUND);
    assert_null(s);
    hub_scope_free(NULL);
    hub_close(h);
}

/* ---- authorization ---- */

struct fix {
    struct hub *h;
    struct hub_device cell, cell2, committee;
    struct hub_scope *s_cell, *s_cell2, *s_committee;
    uint64_t now;
    uint16_t counter;
};

static void
fix_init(struct fix *f)
{
    memset(f, 0, sizeof(*f));
    f->h = make_hub(NULL);
    const struct {
        struct hub_device *d;
        const char *org, *role;
        struct hub_scope **s;
    } devs[] = {
        {&f->cell, "NT-TH-1", "cell", &f->s_cell},
        {&f->cell2, "NT-TH-2", "cell", &f->s_cell2},
        {&f->committee, "NT", "committee", &f->s_committee},
    };
    for (size_t i = 0; i < 3; i++) {
        struct cs_hello hello;
        char msg[128];
        uint8_t pk[CS_PK_LEN];
        new_pk(pk);
        enroll(f->h, devs[i].org, devs[i].role, devs[i].org, &hello);
        assert_int_equal(hub_admit(f->h, pk, &hello, devs[i].d, msg, sizeof(msg)), CS_WELCOME_OK);
        assert_int_equal(hub_scope_load(f->h, devs[i].org, devs[i].s), 0);
    }
    f->now = cs_hlc_wall_ms(NULL);
}

static void
fix_release(struct fix *f)
{
    hub_scope_free(f->s_cell);
    hub_scope_free(f->s_cell2);
    hub_scope_free(f->s_committee);
    hub_close(f->h);
}

static struct cs_changeset *
set_new(const struct hub_device *d)
{
    struct cs_changeset_header hd = {0};
    struct cs_changeset *cs;
    hd.origin = d->id;
    hd.schema = 1;
    assert_int_equal(cs_changeset_new(&cs, &hd), 0);
    return cs;
}

static void
add(struct fix *f, struct cs_changeset *cs, const struct cs_id *origin, const char *table,
    const struct cs_id *row, const char *column, const struct cs_value *v)
{
    struct cs_change c = {0};
    c.table = table;
    c.column = column;
    c.row = *row;
    c.value = *v;
    c.hlc = cs_hlc_make(f->now, ++f->counter);
    c.origin = *origin;
    c.cl = 1;
    assert_int_equal(cs_changeset_add(cs, &c), 0);
}

static void
add_text(struct fix *f, struct cs_changeset *cs, const struct hub_device *d, const char *table,
         const struct cs_id *row, const char *column, const char *text)
{
    struct cs_value v = {.type = CS_VTEXT, .p = text, .n = strlen(text)};
    add(f, cs, &d->id, table, row, column, &v);
}

static void
add_ref(struct fix *f, struct cs_changeset *cs, const struct hub_device *d, const char *table,
        const struct cs_id *row, const char *column, const struct cs_id *ref)
{
    struct cs_value v = {.type = CS_VBLOB, .p = ref->b, .n = CS_ID_LEN};
    add(f, cs, &d->id, table, row, column, &v);
}

/* Authorizes every change; returns how many were refused, the last reason in why. */
static size_t
judge(struct fix *f, const struct hub_device *d, const struct hub_scope *s,
      const struct cs_changeset *cs, char *why, size_t len)
{
    struct hub_authz *az;
    size_t refused = 0;
    why[0] = 0;
    assert_int_equal(hub_authz_new(f->h, d, s, cs, &az), 0);
    for (size_t i = 0; i < cs_changeset_count(cs); i++) {
        char reason[256] = "";
        int ret = hub_authorize(az, i, reason, sizeof(reason));
        assert_true(ret >= 0);
        if (ret != 0) {
            assert_true(reason[0] != 0);
            refused++;
            snprintf(why, len, "%s", reason);
        }
    }
    hub_authz_free(az);
    return refused;
}

/* A record the hub itself writes (a transfer in, a target). */
static void
hub_writes(struct hub *h, const char *table, const struct cs_id *row, const char *column,
           const struct cs_value *v)
{
    char err[256];
    assert_int_equal(cs_replica_begin(hub_replica(h), err, sizeof(err)), 0);
    assert_int_equal(cs_replica_set(hub_replica(h), table, row, column, v, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_commit(hub_replica(h), err, sizeof(err)), 0);
}

static void
hub_writes_text(struct hub *h, const char *table, const struct cs_id *row, const char *column,
                const char *text)
{
    struct cs_value v = {.type = CS_VTEXT, .p = text, .n = strlen(text)};
    hub_writes(h, table, row, column, &v);
}

static void
test_authorize(void **state)
{
    (void)state;
    struct fix f;
    struct cs_changeset *cs;
    struct cs_id r1, r2, m_other, m_own, a1, a2;
    char why[256];
    fix_init(&f);

    /* A cell writes a candidate of its own unit. */
    cs_id_new(&r1);
    cs = set_new(&f.cell);
    add_text(&f, cs, &f.cell, "candidate", &r1, "full_name", "Nguyễn Văn An");
    add_text(&f, cs, &f.cell, "candidate", &r1, "org_unit", "NT-TH-1");
    add_text(&f, cs, &f.cell, "candidate", &r1, "stage", "identified");
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 0);
    cs_changeset_free(cs);
    /* The hub has it from now on: later sets need not repeat its unit. */
    hub_writes_text(f.h, "candidate", &r1, "org_unit", "NT-TH-1");

    /* ... and one of the sibling cell: refused, with the reason. */
    cs_id_new(&r2);
    cs = set_new(&f.cell);
    add_text(&f, cs, &f.cell, "candidate", &r2, "full_name", "Trần Thị Bình");
    add_text(&f, cs, &f.cell, "candidate", &r2, "org_unit", "NT-TH-2");
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 2);
    assert_string_equal(why, "record of unit 'NT-TH-2' is outside this device's unit 'NT-TH-1'");
    cs_changeset_free(cs);

    /* A new row without any unit is refused: no report would count it. */
    cs = set_new(&f.cell);
    cs_id_new(&r2);
    add_text(&f, cs, &f.cell, "member", &r2, "full_name", "Lê Văn Cường");
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 1);
    assert_string_equal(why, "the record belongs to no unit");
    /* With its unit it goes in; a unit cleared in the same set is refused. */
    add_text(&f, cs, &f.cell, "member", &r2, "org_unit", "NT-TH-1");
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 0);
    add_text(&f, cs, &f.cell, "member", &r2, "org_unit", "");
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 3);
    cs_changeset_free(cs);

    /* A cell may not write targets, the org tree or admission decisions. */
    cs = set_new(&f.cell);
    cs_id_new(&r2);
    add_text(&f, cs, &f.cell, "target", &r2, "org_unit", "NT-TH-1");
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 1);
    assert_string_equal(why, "a cell may not write 'target'");
    cs_changeset_free(cs);
    cs = set_new(&f.cell);
    add_text(&f, cs, &f.cell, "candidate", &r1, "decision_on", "2026-01-05");
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 1);
    assert_non_null(strstr(why, "candidate.decision_on"));
    cs_changeset_free(cs);
    /*
     * The procedure, as the client judges it (F6): from the grassroots
     * resolution the next stage is the decision, not the ceremony, and a
     * stage is one of the codes, exactly. The whole record is refused.
     */
    hub_writes_text(f.h, "candidate", &r1, "stage", "grassroots_resolution");
    cs = set_new(&f.cell);
    add_text(&f, cs, &f.cell, "candidate", &r1, "ceremony_on", "2026-01-05");
    add_text(&f, cs, &f.cell, "candidate", &r1, "stage", "ceremony");
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 2);
    assert_string_equal(why, "the admission procedure does not allow a candidate to go from "
                             "'grassroots_resolution' to 'ceremony'");
    cs_changeset_free(cs);
    cs = set_new(&f.committee);
    add_text(&f, cs, &f.committee, "candidate", &r1, "stage", "Decision");
    assert_int_equal(judge(&f, &f.committee, f.s_committee, cs, why, sizeof(why)), 1);
    assert_string_equal(why,
                        "'candidate.stage' may not hold 'Decision': it is not one of its codes");
    cs_changeset_free(cs);
    /* An undo goes one step back; a withdrawal may follow any stage. */
    cs = set_new(&f.cell);
    add_text(&f, cs, &f.cell, "candidate", &r1, "stage", "biography_verified");
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 1);
    cs_changeset_free(cs);
    cs = set_new(&f.cell);
    add_text(&f, cs, &f.cell, "candidate", &r1, "stage", "cell_resolution");
    add_text(&f, cs, &f.cell, "candidate", &r1, "stage", "grassroots_resolution");
    add_text(&f, cs, &f.cell, "candidate", &r1, "stage", "withdrawn");
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 0);
    cs_changeset_free(cs);
    /* Nor the stage that records the decision; the next stage, a cell's own, is fine. */
    cs = set_new(&f.cell);
    add_text(&f, cs, &f.cell, "candidate", &r1, "stage", "decision");
    add_text(&f, cs, &f.cell, "candidate", &r1, "stage", "ceremony");
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 1);
    assert_string_equal(why, "admission decisions are the committee's: a cell may not set a "
                             "candidate's stage to 'decision'");
    cs_changeset_free(cs);
    cs = set_new(&f.committee);
    add_text(&f, cs, &f.committee, "candidate", &r1, "stage", "decision");
    assert_int_equal(judge(&f, &f.committee, f.s_committee, cs, why, sizeof(why)), 0);
    cs_changeset_free(cs);
    cs = set_new(&f.cell);
    struct cs_id unit_row;
    hub_org_row_id("NT-TH-1", &unit_row);
    add_text(&f, cs, &f.cell, "org_unit", &unit_row, "name", "Chi bộ mới");
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 1);
    assert_string_equal(why, "a cell may not write 'org_unit'");
    cs_changeset_free(cs);
    /* A table this hub does not know: only a hub may write it. */
    cs = set_new(&f.cell);
    add_text(&f, cs, &f.cell, "future_table", &r1, "x", "y");
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 1);
    cs_changeset_free(cs);
    cs = set_new(&f.committee);
    add_text(&f, cs, &f.committee, "future_table", &r1, "x", "y");
    assert_int_equal(judge(&f, &f.committee, f.s_committee, cs, why, sizeof(why)), 1);
    assert_non_null(strstr(why, "only a hub"));
    cs_changeset_free(cs);

    /* Holidays are the committee's; a committee sets them for its subtree, not above. */
    cs = set_new(&f.cell);
    cs_id_new(&r2);
    add_text(&f, cs, &f.cell, "holiday", &r2, "org_unit", "NT-TH-1");
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 1);
    assert_string_equal(why, "a cell may not write 'holiday'");
    cs_changeset_free(cs);
    cs = set_new(&f.committee);
    cs_id_new(&r2);
    add_text(&f, cs, &f.committee, "holiday", &r2, "org_unit", "NT");
    assert_int_equal(judge(&f, &f.committee, f.s_committee, cs, why, sizeof(why)), 0);
    cs_changeset_free(cs);
    cs = set_new(&f.committee);
    cs_id_new(&r2);
    add_text(&f, cs, &f.committee, "holiday", &r2, "org_unit", "QN");
    assert_int_equal(judge(&f, &f.committee, f.s_committee, cs, why, sizeof(why)), 1);
    assert_string_equal(why, "record of unit 'QN' is outside this device's unit 'NT'");
    cs_changeset_free(cs);

    /* The committee writes targets below it, but not at the province. */
    cs = set_new(&f.committee);
    cs_id_new(&r2);
    add_text(&f, cs, &f.committee, "target", &r2, "org_unit", "NT-TH-1");
    cs_id_new(&a1);
    add_text(&f, cs, &f.committee, "target", &a1, "org_unit", "QN");
    assert_int_equal(judge(&f, &f.committee, f.s_committee, cs, why, sizeof(why)), 1);
    assert_string_equal(why, "record of unit 'QN' is outside this device's unit 'NT'");
    cs_changeset_free(cs);

    /* Attendance goes with its meeting: the hub's, or one in the same set. */
    cs_id_new(&m_other);
    hub_writes_text(f.h, "meeting", &m_other, "org_unit", "NT-TH-2");
    cs = set_new(&f.cell);
    cs_id_new(&a1);
    add_ref(&f, cs, &f.cell, "attendance", &a1, "meeting", &m_other);
    struct cs_value yes = {.type = CS_VINT, .i = 1};
    add(&f, cs, &f.cell.id, "attendance", &a1, "present", &yes);
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 2);
    assert_string_equal(why, "record of unit 'NT-TH-2' is outside this device's unit 'NT-TH-1'");
    cs_changeset_free(cs);
    cs = set_new(&f.cell);
    cs_id_new(&m_own);
    cs_id_new(&a2);
    add_text(&f, cs, &f.cell, "meeting", &m_own, "org_unit", "NT-TH-1");
    add_ref(&f, cs, &f.cell, "attendance", &a2, "meeting", &m_own);
    add(&f, cs, &f.cell.id, "attendance", &a2, "present", &yes);
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 0);
    /* The other cell sees the same set as outside its unit. */
    assert_int_equal(judge(&f, &f.cell2, f.s_cell2, cs, why, sizeof(why)), 3);
    cs_changeset_free(cs);

    /* Written by another device. */
    cs = set_new(&f.cell);
    add(&f, cs, &f.cell2.id, "candidate", &r1, "phone",
        &(struct cs_value){.type = CS_VTEXT, .p = "0905", .n = 4});
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 1);
    assert_string_equal(why, "change was written by another device");
    cs_changeset_free(cs);

    /* Stamped two days ahead of the hub's clock. */
    cs = set_new(&f.cell);
    struct cs_change c = {0};
    c.table = "candidate";
    c.column = "phone";
    c.row = r1;
    c.value = (struct cs_value){.type = CS_VTEXT, .p = "0905", .n = 4};
    c.hlc = cs_hlc_make(f.now + 48ull * 3600 * 1000, 0);
    c.origin = f.cell.id;
    c.cl = 1;
    assert_int_equal(cs_changeset_add(cs, &c), 0);
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 1);
    assert_string_equal(why, "clock is 48 hours ahead of the hub");
    cs_changeset_free(cs);

    /* A record the hub has in another unit can be neither edited nor pulled over. */
    struct cs_id theirs;
    cs_id_new(&theirs);
    hub_writes_text(f.h, "member", &theirs, "org_unit", "NT-TH-2");
    cs = set_new(&f.cell);
    add_text(&f, cs, &f.cell, "member", &theirs, "phone", "0123");
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 1);
    cs_changeset_free(cs);
    cs = set_new(&f.cell);
    add_text(&f, cs, &f.cell, "member", &theirs, "org_unit", "NT-TH-1");
    add_text(&f, cs, &f.cell, "member", &theirs, "phone", "0123");
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 2);
    assert_string_equal(why, "record of unit 'NT-TH-2' is outside this device's unit 'NT-TH-1'");
    /* The committee may move it between its cells, but not with the cell's changes. */
    assert_int_equal(judge(&f, &f.committee, f.s_committee, cs, why, sizeof(why)), 2);
    assert_string_equal(why, "change was written by another device");
    cs_changeset_free(cs);
    cs = set_new(&f.committee);
    add_text(&f, cs, &f.committee, "member", &theirs, "org_unit", "NT-TH-1");
    assert_int_equal(judge(&f, &f.committee, f.s_committee, cs, why, sizeof(why)), 0);
    cs_changeset_free(cs);

    /* The committee adds a cell under its unit; the id must follow the code. */
    struct cs_id new_unit, wrong_id;
    hub_org_row_id("NT-TX-3", &new_unit);
    cs = set_new(&f.committee);
    add_text(&f, cs, &f.committee, "org_unit", &new_unit, "code", "NT-TX-3");
    add_text(&f, cs, &f.committee, "org_unit", &new_unit, "parent", "NT-TX");
    add_text(&f, cs, &f.committee, "org_unit", &new_unit, "level", "cell");
    assert_int_equal(judge(&f, &f.committee, f.s_committee, cs, why, sizeof(why)), 0);
    cs_changeset_free(cs);
    cs_id_new(&wrong_id);
    cs = set_new(&f.committee);
    add_text(&f, cs, &f.committee, "org_unit", &wrong_id, "code", "NT-TX-4");
    add_text(&f, cs, &f.committee, "org_unit", &wrong_id, "parent", "NT-TX");
    assert_int_equal(judge(&f, &f.committee, f.s_committee, cs, why, sizeof(why)), 2);
    assert_non_null(strstr(why, "does not match its code"));
    cs_changeset_free(cs);
    /* ... and may not hang its own unit elsewhere. */
    struct cs_id nt_row;
    hub_org_row_id("NT", &nt_row);
    cs = set_new(&f.committee);
    add_text(&f, cs, &f.committee, "org_unit", &nt_row, "parent", "XX");
    assert_int_equal(judge(&f, &f.committee, f.s_committee, cs, why, sizeof(why)), 1);
    assert_string_equal(why, "org unit 'NT' is this device's own unit: only the level above may "
                             "move or delete it");
    cs_changeset_free(cs);
    /* Nor put a unit under one of its own (F3): the tree would lose the loop's units. */
    struct cs_id tx_row;
    hub_org_row_id("NT-TX", &tx_row);
    cs = set_new(&f.committee);
    add_text(&f, cs, &f.committee, "org_unit", &tx_row, "parent", "NT-TX-1");
    assert_int_equal(judge(&f, &f.committee, f.s_committee, cs, why, sizeof(why)), 1);
    assert_string_equal(why, "org unit 'NT-TX' cannot be placed under 'NT-TX-1', which lies "
                             "below it");
    cs_changeset_free(cs);

    fix_release(&f);
}

/* The merge path: hub_authorize as the accept hook of a real apply. */
struct merge_ud {
    struct fix *f;
    const struct hub_device *d;
    const struct hub_scope *s;
    size_t refusals;
    struct hub_authz *az; /* made for the set being merged (merge_set) */
};

static int
merge_accept(void *ud, const struct cs_changeset *cs, size_t i, int *kind, char *reason, size_t len)
{
    struct merge_ud *m = ud;
    (void)cs;
    int rc = hub_authorize(m->az, i, reason, len);
    if (rc < 0)
        return rc;
    *kind = rc;
    return 0;
}

/* Merges a set into the hub as hub_peer_merge does: its authorization made for it, then freed. */
static int
merge_set(struct merge_ud *m, const struct cs_changeset *cs, const struct cs_apply_opts *opts,
          struct cs_apply_stats *st, char *err, size_t errlen)
{
    assert_int_equal(hub_authz_new(m->f->h, m->d, m->s, cs, &m->az), 0);
    int ret = cs_replica_apply(hub_replica(m->f->h), cs, opts, st, err, errlen);
    hub_authz_free(m->az);
    m->az = NULL;
    return ret;
}

static int
merge_refused(void *ud, const struct cs_change *c, int kind, const char *reason)
{
    struct merge_ud *m = ud;
    m->refusals++;
    return hub_refusal(m->f->h, m->d, c, kind, reason);
}

static void
test_authorize_in_merge(void **state)
{
    (void)state;
    struct fix f;
    struct cs_id mine, theirs;
    char err[256];
    fix_init(&f);

    struct cs_changeset *cs = set_new(&f.cell);
    cs_id_new(&mine);
    cs_id_new(&theirs);
    add_text(&f, cs, &f.cell, "candidate", &mine, "full_name", "Phạm Văn Dũng");
    add_text(&f, cs, &f.cell, "candidate", &mine, "org_unit", "NT-TH-1");
    add_text(&f, cs, &f.cell, "candidate", &theirs, "full_name", "Võ Thị Em");
    add_text(&f, cs, &f.cell, "candidate", &theirs, "org_unit", "NT-TX-1");
    add_text(&f, cs, &f.cell, "candidate", &mine, "decision_on", "2026-02-01");
    cs_changeset_set_seq(cs, 1, 5);

    struct merge_ud m = {&f, &f.cell, f.s_cell, 0, NULL};
    struct cs_apply_opts opts = {
        .accept = merge_accept, .refused = merge_refused, .ud = &m, .per_change_drift = 1};
    struct cs_apply_stats st;
    if (merge_set(&m, cs, &opts, &st, err, sizeof(err)) != 0)
        fail_msg("apply: %s", err);
    assert_int_equal(st.received, 5);
    assert_int_equal(st.applied, 2);
    assert_int_equal(st.refused, 3);
    assert_int_equal(m.refusals, 3);
    sqlite3 *db = db_of(f.h);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM candidate"), 1);
    assert_string_equal(sql_text(db, "SELECT full_name FROM candidate"), "Phạm Văn Dũng");
    assert_int_equal(sql_int(db, "SELECT decision_on IS NULL FROM candidate"), 1);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM hub_refused"), 3);
    assert_non_null(strstr(sql_text(db, "SELECT group_concat(reason, '|') FROM hub_refused"),
                           "outside this device's unit"));
    /* Refused values are kept for review. */
    assert_string_equal(sql_text(db, "SELECT val FROM hub_refused WHERE col = 'full_name'"),
                        "Võ Thị Em");
    cs_changeset_free(cs);

    /* The row now at the hub is judged by the hub's value too. */
    cs = set_new(&f.cell);
    add_text(&f, cs, &f.cell, "candidate", &mine, "phone", "0905 123 456");
    char why[256];
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 0);
    assert_int_equal(judge(&f, &f.cell2, f.s_cell2, cs, why, sizeof(why)), 1);
    cs_changeset_free(cs);

    /* A record sent without a unit is refused... */
    struct cs_id loose;
    cs_id_new(&loose);
    cs = set_new(&f.cell2);
    add_text(&f, cs, &f.cell2, "member", &loose, "full_name", "Đỗ Văn Giang");
    m.d = &f.cell2;
    m.s = f.s_cell2;
    assert_int_equal(merge_set(&m, cs, &opts, &st, err, sizeof(err)), 0);
    assert_int_equal(st.applied, 0);
    assert_int_equal(sql_int(db, "SELECT kind FROM hub_refused ORDER BY id DESC LIMIT 1"),
                     CS_REFUSAL_NO_UNIT);
    /*
     * ... but one an older hub took stays with the unit of the device that
     * sent it, so no other unit can claim it.
     */
    struct cs_apply_opts older = {.ud = &m};
    assert_int_equal(merge_set(&m, cs, &older, &st, err, sizeof(err)), 0);
    assert_int_equal(st.applied, 1);
    cs_changeset_free(cs);
    assert_true(hub_row_in_scope(f.h, f.s_cell2, "member", &loose));
    assert_false(hub_row_in_scope(f.h, f.s_cell, "member", &loose));
    cs = set_new(&f.cell);
    add_text(&f, cs, &f.cell, "member", &loose, "org_unit", "NT-TH-1");
    assert_int_equal(judge(&f, &f.cell, f.s_cell, cs, why, sizeof(why)), 1);
    assert_string_equal(why, "record of unit 'NT-TH-2' is outside this device's unit 'NT-TH-1'");
    assert_int_equal(judge(&f, &f.cell2, f.s_cell2, cs, why, sizeof(why)), 1);
    assert_string_equal(why, "change was written by another device");
    cs_changeset_free(cs);
    fix_release(&f);
}

/*
 * A stamp refused for the clock stays refused when the hub's clock has
 * caught up (a stale stick brings it again after its writer was told and
 * issued it anew); the same write with a new stamp goes in.
 */
static void
test_clock_refusal_is_final(void **state)
{
    (void)state;
    struct fix f;
    struct cs_id row;
    char err[256];
    fix_init(&f);
    cs_id_new(&row);

    struct cs_changeset *cs = set_new(&f.cell);
    struct cs_change c = {0};
    c.table = "candidate";
    c.column = "full_name";
    c.row = row;
    c.value = (struct cs_value){.type = CS_VTEXT, .p = "Lò Văn Pả", .n = strlen("Lò Văn Pả")};
    c.hlc = cs_hlc_make(f.now + 48ull * 3600 * 1000, 0);
    c.origin = f.cell.id;
    c.cl = 1;
    assert_int_equal(cs_changeset_add(cs, &c), 0);
    c.column = "org_unit";
    c.value = (struct cs_value){.type = CS_VTEXT, .p = "NT-TH-1", .n = 7};
    c.hlc = cs_hlc_make(f.now - 1000, 0);
    assert_int_equal(cs_changeset_add(cs, &c), 0);
    cs_changeset_set_seq(cs, 1, 2);

    struct merge_ud m = {&f, &f.cell, f.s_cell, 0, NULL};
    struct cs_apply_opts opts = {
        .accept = merge_accept, .refused = merge_refused, .ud = &m, .per_change_drift = 1};
    struct cs_apply_stats st;
    if (merge_set(&m, cs, &opts, &st, err, sizeof(err)) != 0)
        fail_msg("apply: %s", err);
    assert_int_equal(st.applied, 1);
    assert_int_equal(st.refused, 1);
    sqlite3 *db = db_of(f.h);
    assert_int_equal(sql_int(db, "SELECT kind FROM hub_refused"), CS_REFUSAL_CLOCK);

    /* Three days on, the stamp is within the bound, and still refused. */
    struct cs_replica *hr = hub_replica(f.h);
    assert_int_equal(
        cs_replica_set_clock_offset(hr, cs_replica_clock_offset(hr) + 72ll * 3600 * 1000), 0);
    char why[256];
    struct hub_authz *az;
    assert_int_equal(hub_authz_new(f.h, &f.cell, f.s_cell, cs, &az), 0);
    assert_int_equal(hub_authorize(az, 0, why, sizeof(why)), CS_REFUSAL_CLOCK);
    assert_string_equal(why, "clock is 48 hours ahead of the hub");
    assert_int_equal(hub_authorize(az, cs_changeset_count(cs), why, sizeof(why)), CS_EINVAL);
    hub_authz_free(az);
    if (merge_set(&m, cs, &opts, &st, err, sizeof(err)) != 0)
        fail_msg("apply: %s", err);
    assert_int_equal(st.refused, 1);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM candidate WHERE full_name IS NOT NULL"), 0);
    cs_changeset_free(cs);

    /* Issued again with the hub's time: a new stamp, judged afresh. */
    cs = set_new(&f.cell);
    c.column = "full_name";
    c.value = (struct cs_value){.type = CS_VTEXT, .p = "Lò Văn Pả", .n = strlen("Lò Văn Pả")};
    c.hlc = cs_replica_now(hr);
    assert_int_equal(cs_changeset_add(cs, &c), 0);
    cs_changeset_set_seq(cs, 3, 3);
    if (merge_set(&m, cs, &opts, &st, err, sizeof(err)) != 0)
        fail_msg("apply: %s", err);
    assert_int_equal(st.applied, 1);
    assert_int_equal(st.refused, 0);
    assert_string_equal(sql_text(db, "SELECT full_name FROM candidate"), "Lò Văn Pả");
    cs_changeset_free(cs);
    fix_release(&f);
}

/* A sealed chunk of d's: a candidate of NT-TH-1, seqs first and first + 1. OUT: *env, free(). */
static void
chunk_rows(struct fix *f, const struct cs_key *k, const struct hub_device *d, uint64_t first,
           int rows, uint8_t **env, size_t *envlen)
{
    struct cs_changeset *cs = set_new(d);
    uint8_t *plain;
    size_t plen;
    for (int i = 0; i < rows; i++) {
        struct cs_id row;
        char name[64], birth[16];
        cs_id_new(&row);
        snprintf(name, sizeof(name), "Lường Thị Hoa %d", i);
        snprintf(birth, sizeof(birth), "%04d-%02d-%02d", 1960 + i % 40, 1 + i % 12, 1 + i % 28);
        add_text(f, cs, d, "candidate", &row, "full_name", name);
        add_text(f, cs, d, "candidate", &row, "org_unit", "NT-TH-1");
        if (rows > 1)
            add_text(f, cs, d, "candidate", &row, "birth_date", birth);
    }
    cs_changeset_set_seq(cs, first, first + 1);
    assert_int_equal(cs_changeset_encode(cs, &plain, &plen), 0);
    assert_int_equal(cs_sync_seal(k, cs_key_pk(hub_key(f->h)), first, first + 1, plain, plen, NULL,
                                  0, env, envlen),
                     0);
    free(plain);
    cs_changeset_free(cs);
}

static void
chunk_of(struct fix *f, const struct cs_key *k, const struct hub_device *d, uint64_t first,
         uint8_t **env, size_t *envlen)
{
    chunk_rows(f, k, d, first, 1, env, envlen);
}

/*
 * A device revoked while its session is open (review F7): its next chunk is
 * refused in the merge itself, with the revocation named, and nothing of it
 * is stored; the chunk before the revocation was merged.
 */
static void
test_merge_revoked(void **state)
{
    (void)state;
    struct fix f;
    struct cs_key *k;
    struct cs_hello hello;
    struct cs_welcome w;
    struct hub_peer p;
    struct hub_merge m;
    uint8_t *env;
    size_t envlen;
    char err[256], msg[160];
    fix_init(&f);
    assert_int_equal(cs_key_generate(&k), 0);
    enroll(f.h, "NT-TH-1", "cell", "máy thu hồi", &hello);
    assert_int_equal(hub_peer_admit(f.h, cs_key_pk(k), &hello, &p, &w), CS_WELCOME_OK);
    assert_int_equal(hub_peer_commit(f.h, &p, msg, sizeof(msg)), CS_WELCOME_OK);
    assert_int_equal(hub_device_revoked(f.h, &p.dev.id, msg, sizeof(msg)), 0);
    sqlite3 *db = db_of(f.h);

    chunk_of(&f, k, &p.dev, 1, &env, &envlen);
    if (hub_peer_merge(f.h, &p, env, envlen, 0, &m, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    hub_merge_release(&m);
    free(env);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM candidate"), 1);

    /* Revoked as `cellsyncd revoke` does it; the session's device (p.dev) still says not. */
    assert_int_equal(hub_device_revoke(f.h, "máy thu hồi", NULL, err, sizeof(err)), 0);
    assert_int_equal(p.dev.revoked_at, 0);
    assert_int_equal(hub_device_revoked(f.h, &p.dev.id, msg, sizeof(msg)), 1);
    assert_non_null(strstr(msg, "this device was revoked at the hub on "));
    int versions = sql_int(db, "SELECT count(*) FROM cs_version");
    chunk_of(&f, k, &p.dev, 3, &env, &envlen);
    assert_int_equal(hub_peer_merge(f.h, &p, env, envlen, 0, &m, err, sizeof(err)), CS_EREVOKED);
    assert_string_equal(err, msg);
    hub_merge_release(&m);
    free(env);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM candidate"), 1);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM cs_version"), versions);
    assert_int_equal(sql_int(db, "SELECT up_seq FROM hub_device WHERE name = 'máy thu hồi'"), 2);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM hub_audit WHERE verdict = 'refused'"), 1);
    hub_peer_release(&p);
    cs_key_free(k);
    fix_release(&f);
}

/*
 * The audit keeps a merged chunk's change set as its device signed it
 * (cellsync/origin.h), not the envelope only hub.key opens: `audit verify`
 * checks it against the device's key, and a holder of hub.key who alters the
 * kept set and chains the trail anew is still found out, at that entry (F16).
 */
static void
test_audit_origin(void **state)
{
    (void)state;
    struct fix f;
    struct cs_key *k;
    struct cs_hello hello;
    struct cs_welcome w;
    struct hub_peer p;
    struct hub_merge m;
    struct hub_audit_check c;
    uint8_t *env;
    size_t envlen;
    char err[256], msg[160];
    fix_init(&f);
    assert_int_equal(cs_key_generate(&k), 0);
    enroll(f.h, "NT-TH-1", "cell", "máy kiểm toán", &hello);
    assert_int_equal(hub_peer_admit(f.h, cs_key_pk(k), &hello, &p, &w), CS_WELCOME_OK);
    assert_int_equal(hub_peer_commit(f.h, &p, msg, sizeof(msg)), CS_WELCOME_OK);
    chunk_rows(&f, k, &p.dev, 1, 100, &env, &envlen);
    if (hub_peer_merge(f.h, &p, env, envlen, 0, &m, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    hub_merge_release(&m);
    free(env);
    sqlite3 *db = db_of(f.h);
    int id = sql_int(db, "SELECT max(id) FROM hub_audit");
    /* Stored as a zstd frame of the signed set, well under its size (300 registers). */
    uint8_t *kept;
    size_t kept_len;
    kept_of(db, id, &kept, &kept_len);
    assert_memory_equal(kept, "CSO", 3);
    int64_t stored = sql_int(db, "SELECT length(envelope) FROM hub_audit WHERE id = (SELECT"
                                 " max(id) FROM hub_audit)");
    print_message("audit: a signed set of %zu bytes stored in %lld\n", kept_len, (long long)stored);
    assert_true(stored > 0 && (size_t)stored * 2 < kept_len);
    assert_int_equal(hub_audit_verify(f.h, &c, err, sizeof(err)), 0);
    assert_int_equal(c.broken_id, 0);
    assert_int_equal(c.signatures, 1);

    /*
     * The chain hashes the set as signed, not as stored: the same entry
     * stored plain, as before compression, holds with the hash it has.
     */
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_exec(db, "DROP TRIGGER hub_audit_no_update", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "UPDATE hub_audit SET envelope = ?1 WHERE id = ?2", -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_blob(st, 1, kept, (int)kept_len, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, id);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    assert_int_equal(sqlite3_reset(st), SQLITE_OK);
    assert_int_equal(hub_audit_verify(f.h, &c, err, sizeof(err)), 0);
    assert_int_equal(c.broken_id, 0);
    assert_int_equal(c.signatures, 1);

    /*
     * One byte of the kept change set changed, stored compressed again, and
     * the entry's hash made anew with hub.key (cs_audit_hash reads the frame).
     */
    uint8_t *frame;
    size_t frame_len;
    kept[120] ^= 0x01;
    assert_int_equal(cs_zstd_compress(kept, kept_len, 3, 0, &frame, &frame_len), 0);
    sqlite3_bind_blob(st, 1, frame, (int)frame_len, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, id);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    assert_int_equal(sqlite3_reset(st), SQLITE_OK);
    free(frame);
    free(kept);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE hub_audit SET hash = cs_audit_hash(prev, id, at, device,"
                                  " verdict, seq_first, seq_last, changes, refused, reason,"
                                  " envelope) WHERE id = (SELECT max(id) FROM hub_audit)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(hub_audit_verify(f.h, &c, err, sizeof(err)), 0);
    assert_int_equal(c.broken_id, id);
    assert_non_null(strstr(c.why, "not one its device signed: the signature does not verify"));

    /*
     * A hostile row: a frame that declares 1 TiB. The walk refuses it by
     * its declared size, before allocating, and names the entry.
     */
    static const uint8_t bomb[] = {
        0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0,
        0,    1,    0,    0,    0x0b, 0, 0, 0}; /* FCS 2^40, one last RLE block */
    sqlite3_bind_blob(st, 1, bomb, sizeof(bomb), SQLITE_STATIC);
    sqlite3_bind_int(st, 2, id);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    assert_int_equal(hub_audit_verify(f.h, &c, err, sizeof(err)), 0);
    assert_int_equal(c.broken_id, id);
    assert_string_equal(c.why,
                        "the change sets it keeps cannot be read: decompressed size is over the "
                        "limit");
    /* Or the kept set taken away, the entry chained anew. */
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE hub_audit SET envelope = NULL WHERE id = (SELECT max(id)"
                                  " FROM hub_audit);"
                                  "UPDATE hub_audit SET hash = cs_audit_hash(prev, id, at, device,"
                                  " verdict, seq_first, seq_last, changes, refused, reason,"
                                  " envelope) WHERE id = (SELECT max(id) FROM hub_audit)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(hub_audit_verify(f.h, &c, err, sizeof(err)), 0);
    assert_int_equal(c.broken_id, id);
    assert_string_equal(c.why, "it keeps no change set");
    hub_peer_release(&p);
    cs_key_free(k);
    fix_release(&f);
}

static void
test_row_in_scope(void **state)
{
    (void)state;
    struct fix f;
    struct cs_id cand, meet, att, rating, member, orphan;
    fix_init(&f);

    cs_id_new(&cand);
    hub_writes_text(f.h, "candidate", &cand, "org_unit", "NT-TH-2");
    assert_false(hub_row_in_scope(f.h, f.s_cell, "candidate", &cand));
    assert_true(hub_row_in_scope(f.h, f.s_cell2, "candidate", &cand));
    assert_true(hub_row_in_scope(f.h, f.s_committee, "candidate", &cand));

    cs_id_new(&meet);
    cs_id_new(&att);
    hub_writes_text(f.h, "meeting", &meet, "org_unit", "NT-TH-1");
    struct cs_value ref = {.type = CS_VBLOB, .p = meet.b, .n = CS_ID_LEN};
    hub_writes(f.h, "attendance", &att, "meeting", &ref);
    assert_true(hub_row_in_scope(f.h, f.s_cell, "attendance", &att));
    assert_false(hub_row_in_scope(f.h, f.s_cell2, "attendance", &att));

    cs_id_new(&member);
    cs_id_new(&rating);
    hub_writes_text(f.h, "member", &member, "org_unit", "NT-TX-1");
    ref.p = member.b;
    hub_writes(f.h, "rating", &rating, "member", &ref);
    assert_false(hub_row_in_scope(f.h, f.s_cell, "rating", &rating));
    assert_true(hub_row_in_scope(f.h, f.s_committee, "rating", &rating));

    /* The org tree: the own subtree and the ancestors, not the siblings. */
    struct cs_id u;
    hub_org_row_id("NT-TH-1", &u);
    assert_true(hub_row_in_scope(f.h, f.s_cell, "org_unit", &u));
    hub_org_row_id("QN", &u);
    assert_true(hub_row_in_scope(f.h, f.s_cell, "org_unit", &u));
    hub_org_row_id("NT-TH", &u);
    assert_true(hub_row_in_scope(f.h, f.s_cell, "org_unit", &u));
    hub_org_row_id("NT-TH-2", &u);
    assert_false(hub_row_in_scope(f.h, f.s_cell, "org_unit", &u));
    hub_org_row_id("NT-TX", &u);
    assert_false(hub_row_in_scope(f.h, f.s_cell, "org_unit", &u));

    /*
     * A holiday is a rule for its unit's subtree: one at the root (QN) reaches
     * every device; one at a commune (NT-TH) its cells, not its siblings'.
     */
    struct cs_id hol;
    cs_id_new(&hol);
    hub_writes_text(f.h, "holiday", &hol, "org_unit", "QN");
    assert_true(hub_row_in_scope(f.h, f.s_cell, "holiday", &hol));
    assert_true(hub_row_in_scope(f.h, f.s_cell2, "holiday", &hol));
    assert_true(hub_row_in_scope(f.h, f.s_committee, "holiday", &hol));
    cs_id_new(&hol);
    hub_writes_text(f.h, "holiday", &hol, "org_unit", "NT-TX");
    assert_false(hub_row_in_scope(f.h, f.s_cell, "holiday", &hol));
    assert_true(hub_row_in_scope(f.h, f.s_committee, "holiday", &hol));
    /*
     * A device's name goes where its edits go: to its unit, the committees
     * above and the units below; a committee's to its cells, not a sibling's.
     */
    struct cs_id dev;
    cs_id_new(&dev);
    hub_writes_text(f.h, "device", &dev, "org_unit", "NT-TH-1");
    assert_true(hub_row_in_scope(f.h, f.s_cell, "device", &dev));
    assert_true(hub_row_in_scope(f.h, f.s_committee, "device", &dev));
    assert_false(hub_row_in_scope(f.h, f.s_cell2, "device", &dev));
    cs_id_new(&dev);
    hub_writes_text(f.h, "device", &dev, "org_unit", "NT-TH");
    assert_true(hub_row_in_scope(f.h, f.s_cell, "device", &dev));
    cs_id_new(&dev);
    hub_writes_text(f.h, "device", &dev, "org_unit", "NT-TX");
    assert_false(hub_row_in_scope(f.h, f.s_cell, "device", &dev));
    /* A target at the root is the root's own: not the cells'. */
    struct cs_id tgt;
    cs_id_new(&tgt);
    hub_writes_text(f.h, "target", &tgt, "org_unit", "QN");
    assert_false(hub_row_in_scope(f.h, f.s_cell, "target", &tgt));

    /* What the hub cannot place is not sent. */
    cs_id_new(&orphan);
    assert_false(hub_row_in_scope(f.h, f.s_committee, "candidate", &orphan));
    assert_false(hub_row_in_scope(f.h, f.s_committee, "future_table", &orphan));
    /* A row without an org the hub wrote itself belongs to the hub's root. */
    hub_writes_text(f.h, "candidate", &orphan, "full_name", "Không đơn vị");
    assert_false(hub_row_in_scope(f.h, f.s_committee, "candidate", &orphan));
    fix_release(&f);
}

/* ---- audit ---- */

static void
test_audit(void **state)
{
    (void)state;
    struct fix f;
    char err[256];
    fix_init(&f);
    struct cs_envelope_info info = {0};
    uint8_t env[100];
    memcpy(info.origin_pk, f.cell.pk, CS_PK_LEN);
    info.seq_first = 1;
    info.seq_last = 9;
    randombytes_buf(env, sizeof(env));
    assert_int_equal(hub_audit(f.h, &f.cell, "accepted", &info, 9, 0, NULL, env, sizeof(env)), 0);
    assert_int_equal(hub_audit(f.h, NULL, "refused", &info, 0, 0, "bad signature", NULL, 0), 0);
    sqlite3 *db = db_of(f.h);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM hub_audit"), 2);
    assert_int_equal(sql_int(db, "SELECT count(DISTINCT device) FROM hub_audit"), 1);
    /* The accepted entry stores what it keeps as a zstd frame of it; the refused one as it came. */
    uint8_t *kept;
    size_t kept_len;
    kept_of(db, 1, &kept, &kept_len);
    assert_int_equal(kept_len, sizeof(env));
    assert_memory_equal(kept, env, sizeof(env));
    free(kept);
    assert_int_equal(sql_int(db, "SELECT seq_last FROM hub_audit WHERE id = 1"), 9);
    /* Bytes that would be taken for a frame are not kept as merged: they could not be told apart.
     */
    uint8_t frame[8] = {0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x00, 0x01, 0x00};
    assert_int_equal(hub_audit(f.h, &f.cell, "accepted", &info, 1, 0, NULL, frame, sizeof(frame)),
                     CS_EINVAL);
    assert_int_equal(hub_audit(f.h, &f.cell, "refused", &info, 0, 0, "bad", frame, sizeof(frame)),
                     0);
    assert_int_equal(sql_int(db, "SELECT length(envelope) FROM hub_audit WHERE id = 3"), 8);
    assert_int_equal(sql_int(db, "SELECT hash = cs_audit_hash(prev, id, at, device, verdict,"
                                 " seq_first, seq_last, changes, refused, reason, envelope)"
                                 " FROM hub_audit WHERE id = 3"),
                     1);
    struct hub_audit_check c;
    assert_int_equal(hub_audit_verify(f.h, &c, err, sizeof(err)), 0);
    assert_int_equal(c.entries, 1);
    /* Its hash holds over the bytes as given; random bytes are no one's signature. */
    assert_int_equal(c.broken_id, 1);
    assert_non_null(strstr(c.why, "is not one its device signed"));

    char *msg = NULL;
    assert_int_not_equal(
        sqlite3_exec(db, "UPDATE hub_audit SET verdict = 'accepted'", NULL, NULL, &msg), SQLITE_OK);
    assert_non_null(strstr(msg, "append-only"));
    sqlite3_free(msg);
    msg = NULL;
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM hub_audit", NULL, NULL, &msg), SQLITE_OK);
    assert_non_null(strstr(msg, "append-only"));
    sqlite3_free(msg);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM hub_audit"), 3);

    /* A device cannot write the hub's tables through a register. */
    struct fix *fp = &f;
    struct cs_changeset *cs = set_new(&f.committee);
    struct cs_id r;
    cs_id_new(&r);
    add_text(fp, cs, &f.committee, "hub_device", &r, "role", "hub");
    assert_int_equal(cs_replica_apply(hub_replica(f.h), cs, NULL, NULL, err, sizeof(err)), 0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM hub_device WHERE role = 'hub'"), 0);
    cs_changeset_free(cs);
    fix_release(&f);
}

/* ---- the device list ---- */

static char *
capture(struct hub *h, int json)
{
    char *buf = NULL, err[256];
    size_t len = 0;
    FILE *mf = open_memstream(&buf, &len);
    assert_non_null(mf);
    assert_int_equal(hub_devices_print(h, mf, json, 0, err, sizeof(err)), 0);
    assert_int_equal(fclose(mf), 0);
    return buf;
}

static void
test_devices(void **state)
{
    (void)state;
    struct fix f;
    char err[512], hex[2 * CS_ID_LEN + 1];
    fix_init(&f);
    sqlite3 *db = db_of(f.h);

    char *text = capture(f.h, 0);
    assert_non_null(strstr(text, "NT-TH-1"));
    assert_non_null(strstr(text, "committee"));
    assert_non_null(strstr(text, "last contact"));
    free(text);

    char *json = capture(f.h, 1);
    sqlite3_stmt *st;
    /* Ids in full, times in ISO 8601 UTC. */
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT json_valid(?1), json_array_length(?1),"
                                        " (SELECT count(*) FROM json_each(?1) WHERE"
                                        "  length(json_extract(value, '$.id')) = 36 AND"
                                        "  json_extract(value, '$.enrolled_at')"
                                        "   GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*Z')",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    assert_int_equal(sqlite3_column_int(st, 1), 3);
    assert_int_equal(sqlite3_column_int(st, 2), 3);
    sqlite3_finalize(st);
    free(json);

    /* By a unique end of the id. */
    struct hub_device d;
    sodium_bin2hex(hex, sizeof(hex), f.cell.id.b, CS_ID_LEN);
    assert_int_equal(hub_device_revoke(f.h, hex + 2 * CS_ID_LEN - 8, &d, err, sizeof(err)), 0);
    assert_int_equal(cs_id_cmp(&d.id, &f.cell.id), 0);
    assert_int_not_equal(d.revoked_at, 0);
    /* By the beginning, with dashes, in upper case. */
    char canon[CS_ID_HEX_LEN + 1];
    cs_id_to_hex(&f.cell2.id, canon);
    canon[13] = 0;
    for (char *p = canon; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    assert_int_equal(hub_device_revoke(f.h, canon, &d, err, sizeof(err)), 0);
    assert_int_equal(cs_id_cmp(&d.id, &f.cell2.id), 0);
    /* By name. */
    assert_int_equal(hub_device_revoke(f.h, "NT", &d, err, sizeof(err)), 0);
    assert_int_equal(cs_id_cmp(&d.id, &f.committee.id), 0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM hub_device WHERE revoked_at IS NULL"), 0);

    /* Two devices of one name: ambiguous, both listed. */
    for (int i = 0; i < 2; i++) {
        struct cs_hello hello;
        uint8_t pk[CS_PK_LEN];
        char msg[128];
        new_pk(pk);
        enroll(f.h, "NT-TX-1", "cell", "Máy trường", &hello);
        assert_int_equal(hub_admit(f.h, pk, &hello, &d, msg, sizeof(msg)), CS_WELCOME_OK);
    }
    assert_int_equal(hub_device_revoke(f.h, "Máy trường", &d, err, sizeof(err)), CS_EAMBIGUOUS);
    assert_non_null(strstr(err, "more than one device"));
    assert_int_equal(hub_device_revoke(f.h, "Máy", &d, err, sizeof(err)), CS_ENOTFOUND);
    assert_int_equal(hub_device_revoke(f.h, "zz", &d, err, sizeof(err)), CS_ENOTFOUND);

    text = capture(f.h, 0);
    assert_non_null(strstr(text, "Máy trường"));
    free(text);
    fix_release(&f);
}

/* ---- incarnations ---- */

static int
down_for(struct hub *h, const uint8_t *inc, uint64_t hub_seq, uint64_t *down)
{
    struct cs_hello hello = {.hub_seq = hub_seq};
    uint8_t cur[CS_INCARNATION_LEN];
    if (inc != NULL) {
        memcpy(hello.incarnation, inc, CS_INCARNATION_LEN);
        hello.has_incarnation = 1;
    }
    *down = 12345;
    return hub_down_cursor(h, &hello, cur, down);
}

static void
test_incarnations(void **state)
{
    (void)state;
    const char *st;
    struct hub *h = make_hub(&st);
    uint8_t i0[CS_INCARNATION_LEN], i1[CS_INCARNATION_LEN], i2[CS_INCARNATION_LEN];
    uint8_t cur[CS_INCARNATION_LEN], other[CS_INCARNATION_LEN] = {1, 2, 3};
    uint64_t since = 99, down, n1, n2;
    char err[512] = "";
    struct cs_id row;

    /* init: one incarnation, numbering from the start. */
    assert_int_equal(hub_incarnation(h, i0, &since), 0);
    assert_int_equal(since, 0);
    assert_int_equal(sql_int(db_of(h), "SELECT count(*) FROM hub_incarnation"), 1);
    /* A new device, the current incarnation, none with a cursor, an unknown one. */
    assert_int_equal(down_for(h, NULL, 0, &down), HUB_DOWN_SAME);
    assert_int_equal(down, 0);
    assert_int_equal(down_for(h, i0, 17, &down), HUB_DOWN_SAME);
    assert_int_equal(down, 17);
    assert_int_equal(down_for(h, NULL, 17, &down), HUB_DOWN_UNKNOWN);
    assert_int_equal(down, 0);
    assert_int_equal(down_for(h, other, 17, &down), HUB_DOWN_UNKNOWN);
    assert_int_equal(down, 0);

    /* A restore: the new incarnation begins at the replica's highest seq. */
    n1 = cs_replica_seq(hub_replica(h));
    assert_true(n1 > 0);
    if (hub_incarnation_new(h, i1, &since, err, sizeof(err)) != 0)
        fail_msg("new: %s", err);
    assert_int_equal(since, n1);
    assert_int_equal(hub_incarnation(h, cur, NULL), 0);
    assert_memory_equal(cur, i1, CS_INCARNATION_LEN);
    assert_memory_not_equal(i1, i0, CS_INCARNATION_LEN);
    /* The earlier numbering is shared up to since: a cursor beyond comes down to it. */
    assert_int_equal(down_for(h, i0, n1 + 10, &down), HUB_DOWN_EARLIER);
    assert_int_equal(down, n1);
    assert_int_equal(down_for(h, i0, 2, &down), HUB_DOWN_EARLIER);
    assert_int_equal(down, 2);
    assert_int_equal(down_for(h, i1, n1 + 10, &down), HUB_DOWN_SAME);
    assert_int_equal(down, n1 + 10);

    /* More versions, then another restore: the least since of the later ones counts. */
    hub_org_row_id("NT-TH-1", &row);
    hub_writes_text(h, "org_unit", &row, "name", "Chi bộ thôn Một");
    hub_writes_text(h, "org_unit", &row, "name", "Chi bộ thôn 1");
    n2 = cs_replica_seq(hub_replica(h));
    assert_true(n2 > n1);
    if (hub_incarnation_new(h, i2, &since, err, sizeof(err)) != 0)
        fail_msg("new: %s", err);
    assert_int_equal(since, n2);
    assert_int_equal(down_for(h, i1, n2 + 5, &down), HUB_DOWN_EARLIER);
    assert_int_equal(down, n2);
    assert_int_equal(down_for(h, i0, n2 + 5, &down), HUB_DOWN_EARLIER);
    assert_int_equal(down, n1);
    assert_int_equal(down_for(h, i2, n2 + 5, &down), HUB_DOWN_SAME);
    assert_int_equal(down, n2 + 5);

    /* Opening again keeps the history as it is. */
    hub_close(h);
    if (hub_open(&h, st, err, sizeof(err)) != 0)
        fail_msg("open: %s", err);
    assert_int_equal(sql_int(db_of(h), "SELECT count(*) FROM hub_incarnation"), 3);
    assert_int_equal(hub_incarnation(h, cur, &since), 0);
    assert_memory_equal(cur, i2, CS_INCARNATION_LEN);
    assert_int_equal(since, n2);

    /* A hub made before incarnations gets its first when it is opened, since 0. */
    assert_int_equal(sqlite3_exec(db_of(h), "DROP TABLE hub_incarnation", NULL, NULL, NULL),
                     SQLITE_OK);
    hub_close(h);
    if (hub_open(&h, st, err, sizeof(err)) != 0)
        fail_msg("open: %s", err);
    assert_int_equal(sql_int(db_of(h), "SELECT count(*) FROM hub_incarnation"), 1);
    assert_int_equal(hub_incarnation(h, cur, &since), 0);
    assert_int_equal(since, 0);
    assert_int_equal(down_for(h, i2, 9, &down), HUB_DOWN_UNKNOWN);
    assert_int_equal(down, 0);
    hub_close(h);
}

/* ---- the registry (issue 19): devices a hub below registers, with their keys ---- */

/* A device of key k as a hub below would register it: id cs_pk_id(pk), its unit and role. */
static void
dev_of(const struct cs_key *k, const char *org, const char *role, struct hub_device *d)
{
    memset(d, 0, sizeof(*d));
    memcpy(d->pk, cs_key_pk(k), CS_PK_LEN);
    cs_pk_id(d->pk, &d->id);
    snprintf(d->org, sizeof(d->org), "%s", org);
    snprintf(d->role, sizeof(d->role), "%s", role);
    snprintf(d->name, sizeof(d->name), "máy %s", org);
}

/* The record of d (unit, name, role, key; revoked_on when given) in cs, written by w. */
static void
add_record(struct fix *f, struct cs_changeset *cs, const struct hub_device *w,
           const struct hub_device *d, const char *revoked_on)
{
    char pk[2 * CS_PK_LEN + 1];
    sodium_bin2hex(pk, sizeof(pk), d->pk, CS_PK_LEN);
    add_text(f, cs, w, "device", &d->id, "org_unit", d->org);
    add_text(f, cs, w, "device", &d->id, "name", d->name);
    add_text(f, cs, w, "device", &d->id, "role", d->role);
    add_text(f, cs, w, "device", &d->id, "pk", pk);
    if (revoked_on != NULL)
        add_text(f, cs, w, "device", &d->id, "revoked_on", revoked_on);
}

/* A device enrolled at h with key k, admitted and committed as a session would: *p. */
static void
peer_of(struct hub *h, const struct cs_key *k, const char *org, const char *role, const char *name,
        struct hub_peer *p)
{
    struct cs_hello hello;
    struct cs_welcome w;
    char msg[160];
    enroll(h, org, role, name, &hello);
    assert_int_equal(hub_peer_admit(h, cs_key_pk(k), &hello, p, &w), CS_WELCOME_OK);
    assert_int_equal(hub_peer_commit(h, p, msg, sizeof(msg)), CS_WELCOME_OK);
}

static int64_t
refused_kind(sqlite3 *db, const char *col)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT kind FROM hub_refused WHERE col = '%s' ORDER BY id DESC",
             col);
    return sql_int(db, sql);
}

/*
 * A hub-role device registers the devices of its subtree in the replica's
 * device table, each with its key: a record whose key is not its id's is
 * refused (kept for review), one outside its subtree too, by the set's unit
 * or the hub's. hub_device_known finds a device enrolled here first, else
 * one registered with a key, revoked when its record says so.
 */
static void
test_registry(void **state)
{
    (void)state;
    struct fix f;
    struct hub_device hubdev, c1, c2, other, got;
    struct hub_scope *s_hub;
    struct cs_key *k1, *k2, *ko;
    struct cs_hello hello;
    char err[256], msg[128];
    uint8_t pk[CS_PK_LEN];
    fix_init(&f);
    sqlite3 *db = db_of(f.h);

    /* A hub below at the grassroots organisation NT-TH: its subtree is NT-TH and its cells. */
    new_pk(pk);
    enroll(f.h, "NT-TH", "hub", "xã Tam Hải", &hello);
    assert_int_equal(hub_admit(f.h, pk, &hello, &hubdev, msg, sizeof(msg)), CS_WELCOME_OK);
    assert_int_equal(hub_scope_load(f.h, "NT-TH", &s_hub), 0);
    assert_int_equal(cs_key_generate(&k1), 0);
    assert_int_equal(cs_key_generate(&k2), 0);
    assert_int_equal(cs_key_generate(&ko), 0);
    dev_of(k1, "NT-TH-1", "cell", &c1);
    dev_of(k2, "NT-TH-2", "cell", &c2);
    dev_of(ko, "NT-TX-1", "cell", &other);

    struct merge_ud m = {&f, &hubdev, s_hub, 0, NULL};
    struct cs_apply_opts opts = {
        .accept = merge_accept, .refused = merge_refused, .ud = &m, .per_change_drift = 1};
    struct cs_apply_stats st;

    /* Its cell, registered with its key, is taken. */
    struct cs_changeset *cs = set_new(&hubdev);
    add_record(&f, cs, &hubdev, &c1, NULL);
    if (merge_set(&m, cs, &opts, &st, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    assert_int_equal(st.applied, 4);
    assert_int_equal(st.refused, 0);
    cs_changeset_free(cs);

    /* A record lending a device another key (or no key at all) is refused, and kept. */
    struct hub_device lent = c2;
    memcpy(lent.pk, c1.pk, CS_PK_LEN);
    cs = set_new(&hubdev);
    add_record(&f, cs, &hubdev, &lent, NULL);
    if (merge_set(&m, cs, &opts, &st, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    assert_int_equal(st.refused, 1);
    assert_int_equal(refused_kind(db, "pk"), CS_REFUSAL_DEVICE_KEY);
    cs_changeset_free(cs);
    cs = set_new(&hubdev);
    add_text(&f, cs, &hubdev, "device", &c2.id, "pk", "not a key");
    if (merge_set(&m, cs, &opts, &st, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    assert_int_equal(st.refused, 1);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM hub_refused WHERE col = 'pk' AND kind = 30"),
                     2);
    cs_changeset_free(cs);
    char pkhex[2 * CS_PK_LEN + 1], sql[256];
    sodium_bin2hex(pkhex, sizeof(pkhex), c1.pk, CS_PK_LEN);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM device WHERE pk = '%s'", pkhex);
    assert_int_equal(sql_int(db, sql), 1);
    assert_int_equal(hub_device_known(f.h, &c2.id, &got), CS_ENOTFOUND);

    /* Outside its subtree: by the set's unit ... */
    cs = set_new(&hubdev);
    add_record(&f, cs, &hubdev, &other, NULL);
    if (merge_set(&m, cs, &opts, &st, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    assert_int_equal(st.applied, 0);
    assert_int_equal(st.refused, 4);
    assert_int_equal(refused_kind(db, "pk"), CS_REFUSAL_SCOPE);
    cs_changeset_free(cs);
    assert_int_equal(hub_device_known(f.h, &other.id, &got), CS_ENOTFOUND);
    /* ... or by the hub's: a record another subtree registered is neither edited nor pulled over.
     */
    struct hub_device theirs;
    memset(pk, 0, sizeof(pk));
    struct cs_key *kt;
    assert_int_equal(cs_key_generate(&kt), 0);
    dev_of(kt, "NT-TX-2", "cell", &theirs);
    sodium_bin2hex(pkhex, sizeof(pkhex), theirs.pk, CS_PK_LEN);
    hub_writes_text(f.h, "device", &theirs.id, "org_unit", "NT-TX-2");
    hub_writes_text(f.h, "device", &theirs.id, "pk", pkhex);
    cs = set_new(&hubdev);
    add_text(&f, cs, &hubdev, "device", &theirs.id, "name", "máy mượn");
    if (merge_set(&m, cs, &opts, &st, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    assert_int_equal(st.refused, 1);
    assert_int_equal(refused_kind(db, "name"), CS_REFUSAL_SCOPE);
    cs_changeset_free(cs);
    theirs.org[0] = 0;
    snprintf(theirs.org, sizeof(theirs.org), "NT-TH-1");
    cs = set_new(&hubdev);
    add_record(&f, cs, &hubdev, &theirs, NULL);
    if (merge_set(&m, cs, &opts, &st, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    assert_int_equal(st.applied, 0);
    assert_int_equal(st.refused, 4);
    cs_changeset_free(cs);
    assert_int_equal(hub_device_known(f.h, &theirs.id, &got), 0);
    assert_string_equal(got.org, "NT-TX-2");

    /* Known: registered, with its record's unit, role and key; never enrolled here. */
    assert_int_equal(hub_device_known(f.h, &c1.id, &got), 0);
    assert_int_equal(cs_id_cmp(&got.id, &c1.id), 0);
    assert_memory_equal(got.pk, c1.pk, CS_PK_LEN);
    assert_string_equal(got.org, "NT-TH-1");
    assert_string_equal(got.role, "cell");
    assert_int_equal(got.enrolled_at, 0);
    assert_int_equal(got.revoked_at, 0);
    /* An enrolled device first, whatever a record says of it. */
    hub_writes_text(f.h, "device", &f.cell.id, "role", "committee");
    assert_int_equal(hub_device_known(f.h, &f.cell.id, &got), 0);
    assert_string_equal(got.role, "cell");
    assert_int_not_equal(got.enrolled_at, 0);
    /* A record without a key (a hub before keys) is no device known; nor is an id never seen. */
    struct cs_id bare;
    cs_id_new(&bare);
    hub_writes_text(f.h, "device", &bare, "org_unit", "NT-TH-1");
    assert_int_equal(hub_device_known(f.h, &bare, &got), CS_ENOTFOUND);
    cs_id_new(&bare);
    assert_int_equal(hub_device_known(f.h, &bare, &got), CS_ENOTFOUND);

    /*
     * A device enrolled here is this hub's to publish: a record a hub below
     * wrote of it (a revocation day) is set right at its next contact, once.
     */
    cs = set_new(&hubdev);
    add_text(&f, cs, &hubdev, "device", &f.cell.id, "revoked_on", "2026-12-01");
    if (merge_set(&m, cs, &opts, &st, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    assert_int_equal(st.applied, 1);
    cs_changeset_free(cs);
    assert_int_equal(hub_device_known(f.h, &f.cell.id, &got), 0);
    assert_int_equal(got.revoked_at, 0);
    struct cs_hello none = {0};
    assert_int_equal(hub_admit(f.h, f.cell.pk, &none, &got, msg, sizeof(msg)), CS_WELCOME_OK);
    assert_int_equal(hub_device_published(f.h, &got), 1);
    int64_t versions = sql_int(db, "SELECT count(*) FROM cs_version WHERE tbl = 'device'");
    assert_int_equal(hub_admit(f.h, f.cell.pk, &none, &got, msg, sizeof(msg)), CS_WELCOME_OK);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM cs_version WHERE tbl = 'device'"), versions);

    /* Revoked below: its record's day says so. */
    cs = set_new(&hubdev);
    add_text(&f, cs, &hubdev, "device", &c1.id, "revoked_on", "2026-12-01");
    if (merge_set(&m, cs, &opts, &st, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    assert_int_equal(st.applied, 1);
    cs_changeset_free(cs);
    assert_int_equal(hub_device_known(f.h, &c1.id, &got), 0);
    assert_int_not_equal(got.revoked_at, 0);

    cs_key_free(k1);
    cs_key_free(k2);
    cs_key_free(ko);
    cs_key_free(kt);
    hub_scope_free(s_hub);
    fix_release(&f);
}

/* ---- relayed sets of registered devices ---- */

/*
 * A chunk of relayer k (seqs first..last): its own set own, then the sets
 * sets[i], each signed by keys[i] as its device signed it. OUT: *env, free().
 */
static void
relay_chunk(struct fix *f, const struct cs_key *k, struct cs_changeset *own, uint64_t first,
            uint64_t last, struct cs_key *const *keys, struct cs_changeset *const *sets, size_t n,
            uint8_t **env, size_t *envlen)
{
    uint8_t *plain, *relayed = NULL;
    size_t plen, rlen = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t *p;
        size_t len;
        assert_int_equal(cs_changeset_encode(sets[i], &p, &len), 0);
        assert_int_equal(cs_origin_sign(keys[i], p, len, &relayed, &rlen), 0);
        free(p);
    }
    cs_changeset_set_seq(own, first, last);
    assert_int_equal(cs_changeset_encode(own, &plain, &plen), 0);
    assert_int_equal(cs_sync_seal(k, cs_key_pk(hub_key(f->h)), first, last, plain, plen, relayed,
                                  rlen, env, envlen),
                     0);
    free(plain);
    free(relayed);
}

/* A candidate of unit org written by d, with a column more when col is not NULL. */
static struct cs_changeset *
candidate_set(struct fix *f, const struct hub_device *d, const char *org, const char *col,
              const char *val)
{
    struct cs_changeset *cs = set_new(d);
    struct cs_id row;
    cs_id_new(&row);
    add_text(f, cs, d, "candidate", &row, "full_name", d->name);
    add_text(f, cs, d, "candidate", &row, "org_unit", org);
    if (col != NULL)
        add_text(f, cs, d, "candidate", &row, col, val);
    return cs;
}

static int64_t
candidates_of(sqlite3 *db, const struct hub_device *d)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM candidate WHERE full_name = '%s'", d->name);
    return sql_int(db, sql);
}

static int64_t
refused_of(sqlite3 *db, const struct hub_device *d, int kind)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*) FROM hub_refused WHERE origin = ?1 AND"
                                        " kind = ?2",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, d->id.b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, kind);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/*
 * A relayer's chunk merges whole or not at all: a set that cannot be written
 * (the disk fails) after one that was leaves nothing of the chunk here, not the relayer's own
 * register nor the set before it, no cursor moved, no upward note; sent again, sound, the chunk
 * merges whole, and one note covers every seq it stored, so all of it goes further up. Kept in
 * parts, a retry that found the first sets already here would note none of them, and they would
 * stop at this hub.
 */
static void
test_relay_chunk_whole(void **state)
{
    (void)state;
    struct fix f;
    struct cs_key *kr, *k[2];
    struct hub_device c1, c2;
    struct hub_peer p;
    struct hub_merge m;
    uint8_t *env;
    size_t envlen;
    char err[256];
    fix_init(&f);
    sqlite3 *db = db_of(f.h);
    assert_int_equal(cs_key_generate(&kr), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(cs_key_generate(&k[i]), 0);
    peer_of(f.h, kr, "NT-TH", "hub", "xã Tam Hải", &p);
    dev_of(k[0], "NT-TH-1", "cell", &c1);
    dev_of(k[1], "NT-TH-2", "cell", &c2);
    uint64_t seq0 = cs_replica_seq(hub_replica(f.h));
    int64_t audit0 = sql_int(db, "SELECT count(*) FROM hub_audit");
    int64_t devices0 = sql_int(db, "SELECT count(*) FROM device");

    struct cs_changeset *own = set_new(&p.dev), *sets[2];
    add_record(&f, own, &p.dev, &c1, NULL);
    add_record(&f, own, &p.dev, &c2, NULL);
    sets[0] = candidate_set(&f, &c1, "NT-TH-1", NULL, NULL);
    sets[1] = candidate_set(&f, &c2, "NT-TH-2", NULL, NULL);
    relay_chunk(&f, kr, own, 1, 1, k, sets, 2, &env, &envlen);
    /* The disk fails as c2's candidate is written (a trigger of this connection only). */
    char sql[256];
    snprintf(sql, sizeof(sql),
             "CREATE TEMP TRIGGER boom BEFORE INSERT ON main.candidate"
             " WHEN NEW.full_name = '%s' BEGIN SELECT RAISE(ABORT, 'disk full'); END",
             c2.name);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_not_equal(hub_peer_merge(f.h, &p, env, envlen, 0, &m, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "disk full"));
    hub_merge_release(&m);
    free(env);
    assert_int_equal(cs_replica_seq(hub_replica(f.h)), seq0);
    assert_int_equal(candidates_of(db, &c1), 0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM device"), devices0);
    assert_int_equal(p.dev.up_seq, 0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM hub_upward"), 0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM hub_audit WHERE verdict = 'accepted'"), 0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM hub_audit"), audit0 + 1); /* refused */

    /* Sent again, the disk sound: all of it, and one note from the first seq it stored to the last.
     */
    assert_int_equal(sqlite3_exec(db, "DROP TRIGGER boom", NULL, NULL, NULL), SQLITE_OK);
    relay_chunk(&f, kr, own, 1, 1, k, sets, 2, &env, &envlen);
    if (hub_peer_merge(f.h, &p, env, envlen, 0, &m, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    hub_merge_release(&m);
    free(env);
    assert_int_equal(candidates_of(db, &c1), 1);
    assert_int_equal(candidates_of(db, &c2), 1);
    assert_int_equal(p.dev.up_seq, 1);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM hub_upward"), 1);
    assert_int_equal(sql_int(db, "SELECT lo FROM hub_upward"), (int64_t)seq0 + 1);
    assert_int_equal(sql_int(db, "SELECT hi FROM hub_upward"),
                     (int64_t)cs_replica_seq(hub_replica(f.h)));
    cs_changeset_free(own);
    for (int i = 0; i < 2; i++) {
        cs_changeset_free(sets[i]);
        cs_key_free(k[i]);
    }
    cs_key_free(kr);
    hub_peer_release(&p);
    fix_release(&f);
}

/*
 * A hub below relays the sets of the devices it registered (a province
 * merging a commune's chunk): the register in the relayer's own set merges
 * first, so a cell registered in the same chunk is taken; each set is
 * judged as its device (role and unit), and a set of a device outside the
 * relayer's subtree, revoked or unknown is refused whole, with its reason.
 */
static void
test_relay_registered(void **state)
{
    (void)state;
    struct fix f;
    struct cs_key *kr, *k[5];
    struct hub_device c1, c2, out, rev, unknown;
    struct hub_peer p;
    struct hub_merge m;
    uint8_t *env;
    size_t envlen;
    char err[256];
    fix_init(&f);
    sqlite3 *db = db_of(f.h);
    assert_int_equal(cs_key_generate(&kr), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(cs_key_generate(&k[i]), 0);
    peer_of(f.h, kr, "NT-TH", "hub", "xã Tam Hải", &p);
    dev_of(k[0], "NT-TH-1", "cell", &c1);
    dev_of(k[1], "NT-TH-2", "cell", &c2);
    dev_of(k[2], "NT-TX-1", "cell", &out);
    dev_of(k[3], "NT-TH-1", "cell", &rev);
    dev_of(k[4], "NT-TH-2", "cell", &unknown);
    snprintf(rev.name, sizeof(rev.name), "máy thu hồi");
    snprintf(unknown.name, sizeof(unknown.name), "máy lạ");
    /* out: registered by another subtree (its record written at this hub). */
    char pkhex[2 * CS_PK_LEN + 1];
    sodium_bin2hex(pkhex, sizeof(pkhex), out.pk, CS_PK_LEN);
    hub_writes_text(f.h, "device", &out.id, "org_unit", out.org);
    hub_writes_text(f.h, "device", &out.id, "role", out.role);
    hub_writes_text(f.h, "device", &out.id, "pk", pkhex);

    /* One chunk: the register of c1, c2 and rev, then c1's set and c2's. */
    struct cs_changeset *own = set_new(&p.dev);
    add_record(&f, own, &p.dev, &c1, NULL);
    add_record(&f, own, &p.dev, &c2, NULL);
    add_record(&f, own, &p.dev, &rev, "2026-12-01");
    struct cs_changeset *sets[4];
    struct cs_key *keys[4] = {k[0], k[1]};
    sets[0] = candidate_set(&f, &c1, "NT-TH-1", NULL, NULL);
    sets[1] = candidate_set(&f, &c2, "NT-TH-2", NULL, NULL);
    relay_chunk(&f, kr, own, 1, 1, keys, sets, 2, &env, &envlen);
    if (hub_peer_merge(f.h, &p, env, envlen, 0, &m, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    assert_int_equal(m.nrefused, 0);
    assert_int_equal(m.st.applied, 13 + 4);
    hub_merge_release(&m);
    free(env);
    cs_changeset_free(own);
    for (int i = 0; i < 2; i++)
        cs_changeset_free(sets[i]);
    assert_int_equal(candidates_of(db, &c1), 1);
    assert_int_equal(candidates_of(db, &c2), 1);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM hub_refused"), 0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM hub_audit WHERE verdict = 'accepted'"), 1);

    /*
     * Judged as its device: c1, a cell of NT-TH-1, may not write its
     * sibling's candidate nor a committee's column, though its relayer
     * could; c2's committee column is refused, its candidate taken.
     */
    own = set_new(&p.dev);
    keys[0] = k[0];
    keys[1] = k[1];
    sets[0] = candidate_set(&f, &c1, "NT-TH-2", NULL, NULL);
    sets[1] = candidate_set(&f, &c2, "NT-TH-2", "decision_on", "2026-11-30");
    relay_chunk(&f, kr, own, 2, 2, keys, sets, 2, &env, &envlen);
    if (hub_peer_merge(f.h, &p, env, envlen, 0, &m, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    assert_int_equal(m.nrefused, 3);
    assert_int_equal(m.refused[0].kind, CS_REFUSAL_SCOPE);
    assert_int_equal(m.refused[2].kind, CS_REFUSAL_COLUMN);
    hub_merge_release(&m);
    free(env);
    cs_changeset_free(own);
    for (int i = 0; i < 2; i++)
        cs_changeset_free(sets[i]);
    assert_int_equal(candidates_of(db, &c1), 1);
    assert_int_equal(candidates_of(db, &c2), 2);
    assert_int_equal(refused_of(db, &c1, CS_REFUSAL_SCOPE), 2);
    assert_int_equal(refused_of(db, &c2, CS_REFUSAL_COLUMN), 1);
    /* Kept for the device whose change it is. */
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*) FROM hub_refused WHERE device = ?1 AND"
                                        " origin = ?1",
                                        -1, &q, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(q, 1, c1.id.b, CS_ID_LEN, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 2);
    sqlite3_finalize(q);

    /* Outside the relayer's subtree, revoked, unknown: each set refused whole; c1's taken. */
    own = set_new(&p.dev);
    struct cs_key *keys4[4] = {k[2], k[3], k[4], k[0]};
    sets[0] = candidate_set(&f, &out, "NT-TX-1", NULL, NULL);
    sets[1] = candidate_set(&f, &rev, "NT-TH-1", NULL, NULL);
    sets[2] = candidate_set(&f, &unknown, "NT-TH-2", NULL, NULL);
    sets[3] = candidate_set(&f, &c1, "NT-TH-1", NULL, NULL);
    relay_chunk(&f, kr, own, 3, 3, keys4, sets, 4, &env, &envlen);
    if (hub_peer_merge(f.h, &p, env, envlen, 0, &m, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    assert_int_equal(m.nrefused, 6);
    assert_int_equal(m.refused[0].kind, CS_REFUSAL_RELAY_SCOPE);
    assert_int_equal(m.refused[1].kind, CS_REFUSAL_RELAY_SCOPE);
    assert_int_equal(m.refused[2].kind, CS_REFUSAL_RELAY_REVOKED);
    assert_int_equal(m.refused[4].kind, CS_REFUSAL_RELAY_UNKNOWN);
    assert_non_null(strstr(m.refused[0].reason, "NT-TX-1"));
    assert_int_equal(m.st.applied, 2);
    hub_merge_release(&m);
    free(env);
    cs_changeset_free(own);
    for (int i = 0; i < 4; i++)
        cs_changeset_free(sets[i]);
    assert_int_equal(candidates_of(db, &out), 0);
    assert_int_equal(candidates_of(db, &rev), 0);
    assert_int_equal(candidates_of(db, &unknown), 0);
    assert_int_equal(candidates_of(db, &c1), 2);
    assert_int_equal(refused_of(db, &out, CS_REFUSAL_RELAY_SCOPE), 2);
    assert_int_equal(refused_of(db, &rev, CS_REFUSAL_RELAY_REVOKED), 2);
    assert_int_equal(refused_of(db, &unknown, CS_REFUSAL_RELAY_UNKNOWN), 2);
    /* The relayer's cursor moved; one audit line per chunk. */
    assert_int_equal(p.dev.up_seq, 3);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM hub_audit WHERE device IS NOT NULL"), 3);

    /*
     * A record whose key is not its id's (a hub above wrote it; no hub below
     * can) registers nothing: the set is refused as unknown, the chunk's
     * others are taken.
     */
    struct hub_device bad;
    struct cs_key *kbad;
    assert_int_equal(cs_key_generate(&kbad), 0);
    dev_of(kbad, "NT-TH-1", "cell", &bad);
    snprintf(bad.name, sizeof(bad.name), "khóa sai");
    sodium_bin2hex(pkhex, sizeof(pkhex), c2.pk, CS_PK_LEN);
    hub_writes_text(f.h, "device", &bad.id, "org_unit", bad.org);
    hub_writes_text(f.h, "device", &bad.id, "pk", pkhex);
    struct hub_device got;
    assert_int_equal(hub_device_known(f.h, &bad.id, &got), CS_ECORRUPT);
    own = set_new(&p.dev);
    keys[0] = kbad;
    keys[1] = k[0];
    sets[0] = candidate_set(&f, &bad, "NT-TH-1", NULL, NULL);
    sets[1] = candidate_set(&f, &c1, "NT-TH-1", NULL, NULL);
    relay_chunk(&f, kr, own, 4, 4, keys, sets, 2, &env, &envlen);
    if (hub_peer_merge(f.h, &p, env, envlen, 0, &m, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    assert_int_equal(m.nrefused, 2);
    assert_int_equal(m.refused[0].kind, CS_REFUSAL_RELAY_UNKNOWN);
    hub_merge_release(&m);
    free(env);
    cs_changeset_free(own);
    for (int i = 0; i < 2; i++)
        cs_changeset_free(sets[i]);
    assert_int_equal(candidates_of(db, &bad), 0);
    assert_int_equal(candidates_of(db, &c1), 3);
    assert_int_equal(p.dev.up_seq, 4);
    cs_key_free(kbad);

    /* A device not a hub relays nothing. */
    struct hub_peer cp;
    peer_of(f.h, k[0], "NT-TH-1", "cell", "máy thôn 1", &cp);
    own = set_new(&cp.dev);
    keys[0] = k[1];
    sets[0] = candidate_set(&f, &c2, "NT-TH-2", NULL, NULL);
    relay_chunk(&f, k[0], own, 1, 1, keys, sets, 1, &env, &envlen);
    if (hub_peer_merge(f.h, &cp, env, envlen, 0, &m, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    assert_int_equal(m.nrefused, 2);
    assert_int_equal(m.refused[0].kind, CS_REFUSAL_RELAY_ROLE);
    hub_merge_release(&m);
    free(env);
    cs_changeset_free(own);
    cs_changeset_free(sets[0]);
    assert_int_equal(candidates_of(db, &c2), 2);
    hub_peer_release(&cp);

    hub_peer_release(&p);
    cs_key_free(kr);
    for (int i = 0; i < 5; i++)
        cs_key_free(k[i]);
    fix_release(&f);
}

/* ---- the upward chunk (upstream.c) ---- */

/*
 * A sealed chunk of d (key k) at seq: rows candidates of d's unit named
 * "name 0".., each with a note of pad bytes. OUT: *env, free().
 */
static void
named_chunk(struct fix *f, const struct cs_key *k, const struct hub_device *d, uint64_t seq,
            const char *name, int rows, size_t pad, uint8_t **env, size_t *envlen)
{
    struct cs_changeset *cs = set_new(d);
    char *note = malloc(pad + 1);
    assert_non_null(note);
    for (int i = 0; i < rows; i++) {
        struct cs_id row;
        char full[80];
        cs_id_new(&row);
        snprintf(full, sizeof(full), "%s %d", name, i);
        add_text(f, cs, d, "candidate", &row, "full_name", full);
        add_text(f, cs, d, "candidate", &row, "org_unit", d->org);
        if (pad > 0) {
            for (size_t j = 0; j < pad; j++)
                note[j] = (char)('a' + randombytes_uniform(26));
            note[pad] = 0;
            add_text(f, cs, d, "candidate", &row, "note", note);
        }
    }
    free(note);
    relay_chunk(f, k, cs, seq, seq, NULL, NULL, 0, env, envlen);
    cs_changeset_free(cs);
}

static void
merge_env(struct hub *h, struct hub_peer *p, uint8_t *env, size_t envlen)
{
    struct hub_merge m;
    char err[256];
    if (hub_peer_merge(h, p, env, envlen, 0, &m, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    hub_merge_release(&m);
    free(env);
}

/* What the upward chunks said, chunk after chunk. */
struct up_seen {
    char names[16][64]; /* the first name of each relayed set */
    int times[16];      /* how many times it went up */
    size_t n;
    uint64_t own;      /* the hub's own changes sent */
    size_t chunks;     /* chunks with bytes */
    size_t relayed[8]; /* sets relayed by each of the first chunks */
};

static void
seen_add(struct up_seen *u, const char *name, size_t len)
{
    for (size_t i = 0; i < u->n; i++)
        if (strlen(u->names[i]) == len && memcmp(u->names[i], name, len) == 0) {
            u->times[i]++;
            return;
        }
    assert_true(u->n < 16 && len < 64);
    memcpy(u->names[u->n], name, len);
    u->names[u->n][len] = 0;
    u->times[u->n++] = 1;
}

static int
seen_times(const struct up_seen *u, const char *name)
{
    for (size_t i = 0; i < u->n; i++)
        if (strcmp(u->names[i], name) == 0)
            return u->times[i];
    return 0;
}

/*
 * The upward chunk of h after `after`, opened by the hub above (key above)
 * and noted in u; with to (a hub above and its peer for h) merged there
 * too. Returns the seq the chunk ends at (after when it has no bytes).
 */
static uint64_t
up_next(struct hub *h, const struct cs_key *above, uint64_t after, struct up_seen *u,
        struct hub *to, struct hub_peer *as)
{
    struct cs_chunk c;
    struct cs_chunk_sets sets = {0};
    struct cs_envelope_info info;
    char err[256];
    if (hub_upward_chunk(h, cs_key_pk(above), after, &c, err, sizeof(err)) != 0)
        fail_msg("upward: %s", err);
    if (c.env == NULL) {
        assert_int_equal(c.changes, 0);
        return after;
    }
    if (cs_sync_open_sets(above, cs_key_pk(hub_key(h)), c.env, c.envlen, &sets, &info, err,
                          sizeof(err)) != 0)
        fail_msg("open: %s", err);
    /* Its range follows the cursor: no seq skipped, none twice. */
    assert_int_equal(info.seq_first, after + 1);
    assert_int_equal(info.seq_last, c.seq_last);
    assert_true(c.seq_last > after);
    size_t changes = cs_changeset_count(sets.own);
    u->own += changes;
    for (size_t i = 0; i < sets.nrelayed; i++) {
        struct cs_change ch;
        cs_changeset_get(sets.relayed[i].cs, 0, &ch);
        assert_int_equal(ch.value.type, CS_VTEXT);
        seen_add(u, ch.value.p, ch.value.n);
        changes += cs_changeset_count(sets.relayed[i].cs);
    }
    assert_int_equal(c.changes, changes);
    if (u->chunks < 8)
        u->relayed[u->chunks] = sets.nrelayed;
    u->chunks++;
    cs_chunk_sets_release(&sets);
    if (to != NULL) {
        struct hub_merge m;
        if (hub_peer_merge(to, as, c.env, c.envlen, 0, &m, err, sizeof(err)) != 0)
            fail_msg("merge above: %s", err);
        hub_merge_release(&m);
    }
    free(c.env);
    return c.seq_last;
}

/* Every chunk from after to the end; the seq it ends at. */
static uint64_t
up_all(struct hub *h, const struct cs_key *above, uint64_t after, struct up_seen *u, struct hub *to,
       struct hub_peer *as)
{
    for (;;) {
        uint64_t next = up_next(h, above, after, u, to, as);
        if (next == after)
            return after;
        after = next;
    }
}

static uint64_t
own_after(struct hub *h, uint64_t after)
{
    uint64_t n = 0;
    assert_int_equal(cs_replica_count_own(hub_replica(h), after, &n), 0);
    return n;
}

/* A hub's own write of n transactions, each a note of pad random letters on one candidate. */
static void
hub_writes_many(struct hub *h, int n, size_t pad)
{
    char *note = malloc(pad + 1);
    struct cs_id row;
    assert_non_null(note);
    cs_id_new(&row);
    hub_writes_text(h, "candidate", &row, "org_unit", "NT");
    for (int i = 0; i < n; i++) {
        for (size_t j = 0; j < pad; j++)
            note[j] = (char)('a' + randombytes_uniform(26));
        note[pad] = 0;
        hub_writes_text(h, "candidate", &row, "note", note);
    }
    free(note);
}

/*
 * After merges of its devices' chunks, a hub sends up its own writes and
 * its audit entries' signed sets by the seqs they stored: every entry once,
 * in chunk after chunk whose ranges follow each other, whatever cuts them
 * (many own writes, entries over a chunk's size); an entry of duplicates
 * only goes nowhere; others' versions alone give an empty chunk that moves
 * the cursor. The hub above takes it all.
 */
static void
test_upward(void **state)
{
    (void)state;
    struct fix f;
    struct cs_key *ka, *kb;
    struct hub_peer pa, pb, up;
    struct up_seen u = {0};
    uint8_t *env, *again;
    size_t envlen;
    fix_init(&f);
    sqlite3 *db = db_of(f.h);
    assert_int_equal(cs_key_generate(&ka), 0);
    assert_int_equal(cs_key_generate(&kb), 0);
    peer_of(f.h, ka, "NT-TH-1", "cell", "máy A", &pa);
    peer_of(f.h, kb, "NT-TH-2", "cell", "máy B", &pb);
    /* The hub above: this one enrolled there as a hub of NT. */
    struct hub *above = make_hub(NULL);
    peer_of(above, hub_key(f.h), "NT", "hub", "xã Núi Thành", &up);

    /* Two entries with this hub's own write between them, then one of duplicates only. */
    uint64_t s0 = cs_replica_seq(hub_replica(f.h));
    named_chunk(&f, ka, &pa.dev, 1, "An", 2, 0, &env, &envlen);
    again = malloc(envlen);
    memcpy(again, env, envlen);
    size_t againlen = envlen;
    merge_env(f.h, &pa, env, envlen);
    uint64_t s1 = cs_replica_seq(hub_replica(f.h));
    assert_int_equal(s1, s0 + 4);
    struct cs_id t;
    cs_id_new(&t);
    hub_writes_text(f.h, "target", &t, "org_unit", "NT-TH-1");
    named_chunk(&f, kb, &pb.dev, 1, "Bình", 1, 0, &env, &envlen);
    merge_env(f.h, &pb, env, envlen);
    uint64_t s3 = cs_replica_seq(hub_replica(f.h));
    merge_env(f.h, &pa, again, againlen);
    assert_int_equal(cs_replica_seq(hub_replica(f.h)), s3);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM hub_audit WHERE verdict = 'accepted'"), 3);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM hub_upward"), 2);
    /* Each noted with the seqs its merge stored. */
    assert_int_equal(sql_int(db, "SELECT lo FROM hub_upward ORDER BY hi LIMIT 1"), s0 + 1);
    assert_int_equal(sql_int(db, "SELECT hi FROM hub_upward ORDER BY hi LIMIT 1"), s1);
    assert_int_equal(sql_int(db, "SELECT max(hi) FROM hub_upward"), s3);

    /*
     * From the start: the own writes to s3 and both entries, once; none
     * after. The own write between the entries cuts the chunks after the
     * first (the hub above merges a chunk's own set first: relay_in_order).
     */
    uint64_t own = own_after(f.h, 0);
    uint64_t cur = up_all(f.h, hub_key(above), 0, &u, above, &up);
    assert_int_equal(cur, s3);
    assert_int_equal(u.chunks, 2);
    assert_int_equal(u.relayed[0], 1);
    assert_int_equal(u.relayed[1], 1);
    assert_int_equal(u.own, own);
    assert_int_equal(seen_times(&u, "An 0"), 1);
    assert_int_equal(seen_times(&u, "Bình 0"), 1);
    assert_int_equal(u.n, 2);

    /* Versions of others only (from the hub above): an empty chunk moves the cursor past them. */
    struct hub_device prov;
    memset(&prov, 0, sizeof(prov));
    memcpy(&prov.id, cs_replica_site(hub_replica(above)), sizeof(prov.id));
    struct cs_changeset *cs = set_new(&prov);
    struct cs_id row;
    hub_org_row_id("NT-TH-1", &row);
    add_text(&f, cs, &prov, "org_unit", &row, "name", "Chi bộ thôn Một");
    char err[256];
    assert_int_equal(cs_replica_apply(hub_replica(f.h), cs, NULL, NULL, err, sizeof(err)), 0);
    cs_changeset_free(cs);
    struct up_seen e = {0};
    uint64_t end = up_next(f.h, hub_key(above), cur, &e, above, &up);
    assert_int_equal(end, cs_replica_seq(hub_replica(f.h)));
    assert_true(end > cur);
    assert_int_equal(e.chunks, 1);
    assert_int_equal(e.own, 0);
    assert_int_equal(e.n, 0);
    assert_int_equal(up_next(f.h, hub_key(above), end, &e, above, &up), end);
    assert_int_equal(e.chunks, 1);
    cur = end;

    /* Many own writes cut the own set: the entry past the cut waits for the next chunk. */
    hub_writes_many(f.h, 120, 200);
    named_chunk(&f, ka, &pa.dev, 3, "Cường", 1, 0, &env, &envlen);
    merge_env(f.h, &pa, env, envlen);
    hub_writes_many(f.h, 3, 20);
    named_chunk(&f, kb, &pb.dev, 3, "Dung", 1, 0, &env, &envlen);
    merge_env(f.h, &pb, env, envlen);
    struct up_seen c = {0};
    own = own_after(f.h, cur);
    cur = up_all(f.h, hub_key(above), cur, &c, above, &up);
    assert_int_equal(cur, cs_replica_seq(hub_replica(f.h)));
    assert_true(c.chunks >= 2);
    assert_int_equal(c.relayed[0], 0);
    assert_int_equal(c.own, own);
    assert_int_equal(c.n, 2);
    assert_int_equal(seen_times(&c, "Cường 0"), 1);
    assert_int_equal(seen_times(&c, "Dung 0"), 1);

    /* Entries over a chunk's size go one a chunk. */
    named_chunk(&f, ka, &pa.dev, 5, "Em", 60, 300, &env, &envlen);
    merge_env(f.h, &pa, env, envlen);
    named_chunk(&f, kb, &pb.dev, 5, "Giang", 60, 300, &env, &envlen);
    merge_env(f.h, &pb, env, envlen);
    struct up_seen g = {0};
    cur = up_all(f.h, hub_key(above), cur, &g, above, &up);
    assert_int_equal(g.chunks, 2);
    assert_int_equal(g.relayed[0], 1);
    assert_int_equal(g.relayed[1], 1);
    assert_int_equal(seen_times(&g, "Em 0"), 1);
    assert_int_equal(seen_times(&g, "Giang 0"), 1);

    /* The hub above has it all, the relayer's cursor at the end; nothing refused but its tree. */
    assert_int_equal(up.dev.up_seq, cur);
    sqlite3 *adb = db_of(above);
    const char *all = "SELECT count(*) || '/' || total(length(note)) FROM candidate";
    char here[64];
    snprintf(here, sizeof(here), "%s", sql_text(db, all));
    assert_string_equal(sql_text(adb, all), here);
    assert_int_equal(sql_int(adb, "SELECT count(*) FROM hub_refused WHERE tbl <> 'org_unit'"), 0);

    cs_key_free(ka);
    cs_key_free(kb);
    hub_peer_release(&pa);
    hub_peer_release(&pb);
    hub_peer_release(&up);
    hub_close(above);
    fix_release(&f);
}

/*
 * A device revoked at this hub after its chunks were merged here, before
 * they went up: the hub above takes them all the same (they were taken
 * before the revocation), and has the revocation after them.
 */
static void
test_upward_revoked(void **state)
{
    (void)state;
    struct fix f;
    struct cs_key *ka, *kb;
    struct hub_peer pa, pb, up;
    struct up_seen u = {0};
    uint8_t *env;
    size_t envlen;
    char err[256];
    fix_init(&f);
    assert_int_equal(cs_key_generate(&ka), 0);
    assert_int_equal(cs_key_generate(&kb), 0);
    peer_of(f.h, ka, "NT-TH-1", "cell", "máy A", &pa);
    peer_of(f.h, kb, "NT-TH-2", "cell", "máy B", &pb);
    struct hub *above = make_hub(NULL);
    peer_of(above, hub_key(f.h), "NT", "hub", "xã Núi Thành", &up);

    named_chunk(&f, ka, &pa.dev, 1, "An", 1, 0, &env, &envlen);
    merge_env(f.h, &pa, env, envlen);
    assert_int_equal(hub_device_revoke(f.h, "máy A", NULL, err, sizeof(err)), 0);
    named_chunk(&f, kb, &pb.dev, 1, "Bình", 1, 0, &env, &envlen);
    merge_env(f.h, &pb, env, envlen);
    uint64_t cur = up_all(f.h, hub_key(above), 0, &u, above, &up);
    assert_int_equal(cur, cs_replica_seq(hub_replica(f.h)));
    /* A's set in the first chunk, the revocation in the second's own set, before B's set. */
    assert_int_equal(u.chunks, 2);
    assert_int_equal(u.relayed[0], 1);
    assert_int_equal(u.relayed[1], 1);
    assert_int_equal(seen_times(&u, "An 0"), 1);
    assert_int_equal(seen_times(&u, "Bình 0"), 1);
    sqlite3 *adb = db_of(above);
    assert_int_equal(sql_int(adb, "SELECT count(*) FROM candidate"), 2);
    assert_int_equal(sql_int(adb, "SELECT count(*) FROM hub_refused WHERE tbl <> 'org_unit'"), 0);
    /* Revoked above now: a set relayed for it after is refused whole. */
    struct hub_device a;
    assert_int_equal(hub_device_known(above, &pa.dev.id, &a), 0);
    assert_int_not_equal(a.revoked_at, 0);

    cs_key_free(ka);
    cs_key_free(kb);
    hub_peer_release(&pa);
    hub_peer_release(&pb);
    hub_peer_release(&up);
    hub_close(above);
    fix_release(&f);
}

/* ---- the downstream to a hub below ---- */

/* How many times p is sent a candidate named name, chunk after chunk from the start. */
static int
down_has(struct hub *h, struct hub_peer *p, const char *name)
{
    int found = 0;
    char err[256];
    p->down_after = 0;
    for (;;) {
        struct cs_chunk c;
        struct cs_changeset *cs;
        if (hub_peer_next_set(h, p, &c, err, sizeof(err)) != 0)
            fail_msg("next: %s", err);
        assert_int_equal(cs_changeset_decode(&cs, c.env, c.envlen, err, sizeof(err)), 0);
        for (size_t i = 0; i < cs_changeset_count(cs); i++) {
            struct cs_change ch;
            cs_changeset_get(cs, i, &ch);
            if (strcmp(ch.table, "candidate") == 0 && strcmp(ch.column, "full_name") == 0 &&
                ch.value.n == strlen(name) && memcmp(ch.value.p, name, ch.value.n) == 0)
                found++;
        }
        cs_changeset_free(cs);
        free(c.env);
        p->down_after = c.seq_last;
        if (c.last)
            break;
    }
    return found;
}

/*
 * A hub below is not sent back what came up through it: the versions of a
 * device registered in its subtree and not enrolled here. It is sent those
 * of a device enrolled here, even one in its subtree, and of a device
 * registered elsewhere; a device not a hub is sent them all.
 */
static void
test_down_echo(void **state)
{
    (void)state;
    struct fix f;
    struct cs_key *kr, *kc, *ke;
    struct hub_device c1, x;
    struct hub_peer p, pe;
    uint8_t *env;
    size_t envlen;
    char err[256];
    fix_init(&f);
    assert_int_equal(cs_key_generate(&kr), 0);
    assert_int_equal(cs_key_generate(&kc), 0);
    assert_int_equal(cs_key_generate(&ke), 0);
    peer_of(f.h, kr, "NT-TH", "hub", "xã Tam Hải", &p);
    peer_of(f.h, ke, "NT-TH-1", "cell", "máy ở đây", &pe);
    dev_of(kc, "NT-TH-1", "cell", &c1);
    snprintf(c1.name, sizeof(c1.name), "Qua xã");

    /* c1 registered and relayed by the hub below, which registers the cell enrolled here too. */
    struct cs_changeset *own = set_new(&p.dev);
    add_record(&f, own, &p.dev, &c1, NULL);
    add_record(&f, own, &p.dev, &pe.dev, NULL);
    struct cs_changeset *rel = candidate_set(&f, &c1, "NT-TH-1", NULL, NULL);
    relay_chunk(&f, kr, own, 1, 1, &kc, &rel, 1, &env, &envlen);
    merge_env(f.h, &p, env, envlen);
    cs_changeset_free(own);
    cs_changeset_free(rel);
    assert_int_equal(sql_int(db_of(f.h), "SELECT count(*) FROM candidate"), 1);
    /* The enrolled cell's own write. */
    snprintf(pe.dev.name, sizeof(pe.dev.name), "Ở đây");
    struct cs_changeset *cs = candidate_set(&f, &pe.dev, "NT-TH-1", NULL, NULL);
    relay_chunk(&f, ke, cs, 1, 1, NULL, NULL, 0, &env, &envlen);
    merge_env(f.h, &pe, env, envlen);
    cs_changeset_free(cs);
    /* x: a committee of NT another hub registered; its candidate of NT-TH-1 came from there. */
    struct cs_key *kx;
    assert_int_equal(cs_key_generate(&kx), 0);
    dev_of(kx, "NT", "committee", &x);
    snprintf(x.name, sizeof(x.name), "Nơi khác");
    char pkhex[2 * CS_PK_LEN + 1];
    sodium_bin2hex(pkhex, sizeof(pkhex), x.pk, CS_PK_LEN);
    hub_writes_text(f.h, "device", &x.id, "org_unit", "NT");
    hub_writes_text(f.h, "device", &x.id, "role", "committee");
    hub_writes_text(f.h, "device", &x.id, "pk", pkhex);
    cs = candidate_set(&f, &x, "NT-TH-1", NULL, NULL);
    assert_int_equal(cs_replica_apply(hub_replica(f.h), cs, NULL, NULL, err, sizeof(err)), 0);
    cs_changeset_free(cs);
    assert_int_equal(sql_int(db_of(f.h), "SELECT count(*) FROM candidate"), 3);

    assert_int_equal(down_has(f.h, &p, "Qua xã"), 0);
    assert_int_equal(down_has(f.h, &p, "Ở đây"), 1);
    assert_int_equal(down_has(f.h, &p, "Nơi khác"), 1);
    /* A committee above the subtree, not a hub: all three. */
    struct hub_peer pc = {.dev = f.committee, .scope = f.s_committee};
    assert_int_equal(down_has(f.h, &pc, "Qua xã"), 1);
    assert_int_equal(down_has(f.h, &pc, "Ở đây"), 1);
    assert_int_equal(down_has(f.h, &pc, "Nơi khác"), 1);

    cs_key_free(kr);
    cs_key_free(kc);
    cs_key_free(ke);
    cs_key_free(kx);
    hub_peer_release(&p);
    hub_peer_release(&pe);
    fix_release(&f);
}

/* ---- a replica of schema 2 ---- */

/*
 * A hub made before the registry (CS_SCHEMA_VERSION 2: device records of
 * name, unit and role only) opened now: its device table gets the key and
 * the revocation day, empty, and keeps its rows; each device is published
 * again, with its key, at its next contact.
 */
static void
test_schema_v2(void **state)
{
    (void)state;
    const char *dir;
    struct hub *h = make_hub(&dir);
    struct hub_device d;
    struct cs_hello hello;
    uint8_t pk[CS_PK_LEN];
    char msg[128], err[512], path[600];
    new_pk(pk);
    enroll(h, "NT-TH-1", "cell", "Máy thôn 1", &hello);
    assert_int_equal(hub_admit(h, pk, &hello, &d, msg, sizeof(msg)), CS_WELCOME_OK);
    hub_close(h);

    /* Its device table as version 2 made it, with no register of the columns it lacked. */
    sqlite3 *db;
    snprintf(path, sizeof(path), "%s/%s", dir, HUB_REPLICA);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "BEGIN;"
                     "CREATE TABLE device_v2 AS SELECT id, cl, org_unit, name, role FROM device;"
                     "DROP TABLE device;"
                     "CREATE TABLE device (id BLOB PRIMARY KEY, cl INTEGER NOT NULL DEFAULT 1,"
                     " org_unit TEXT, name TEXT, role TEXT);"
                     "INSERT INTO device SELECT * FROM device_v2; DROP TABLE device_v2;"
                     "DELETE FROM cs_reg WHERE tbl = (SELECT ix FROM cs_name WHERE name = 'device')"
                     " AND col IN (SELECT ix FROM cs_name WHERE name IN ('pk', 'revoked_on'));"
                     "UPDATE cs_meta SET value = '2' WHERE key = 'schema';"
                     "COMMIT;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM pragma_table_info('device')"), 5);
    sqlite3_close(db);

    if (hub_open(&h, dir, err, sizeof(err)) != 0)
        fail_msg("open: %s", err);
    db = db_of(h);
    assert_string_equal(sql_text(db, "SELECT value FROM cs_meta WHERE key = 'schema'"), "3");
    assert_string_equal(sql_text(db,
                                 "SELECT group_concat(name, ',') FROM"
                                 " (SELECT name FROM pragma_table_info('device') ORDER BY cid)"),
                        "id,cl,org_unit,name,role,pk,revoked_on");
    assert_string_equal(sql_text(db, "SELECT name || '|' || org_unit || '|' || role ||"
                                     " '|' || (pk IS NULL) || (revoked_on IS NULL) FROM device"),
                        "Máy thôn 1|NT-TH-1|cell|11");
    /* Not published as it is now; its next contact publishes its key. */
    assert_int_equal(hub_device_published(h, &d), 0);
    struct hub_device got;
    assert_int_equal(hub_device_known(h, &d.id, &got), 0);
    assert_int_not_equal(got.enrolled_at, 0);
    struct cs_hello none = {0};
    assert_int_equal(hub_admit(h, pk, &none, &d, msg, sizeof(msg)), CS_WELCOME_OK);
    assert_int_equal(hub_device_published(h, &d), 1);
    char pkhex[2 * CS_PK_LEN + 1], sql[256];
    sodium_bin2hex(pkhex, sizeof(pkhex), pk, CS_PK_LEN);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM device WHERE pk = '%s'", pkhex);
    assert_int_equal(sql_int(db, sql), 1);
    hub_close(h);
}

/*
 * A replica of schema 2 that took a register of a column it did not have
 * (a hub below of the next version registered a cell with its key: the
 * register kept its value, the table had no column for it): opened now,
 * the column holds it, so the registry knows the device.
 */
static void
test_schema_v2_registers(void **state)
{
    (void)state;
    const char *dir;
    struct hub *h = make_hub(&dir);
    struct cs_key *k;
    struct hub_device d, got;
    char err[512], path[600], pkhex[2 * CS_PK_LEN + 1];
    assert_int_equal(cs_key_generate(&k), 0);
    dev_of(k, "NT-TH-1", "cell", &d);
    sodium_bin2hex(pkhex, sizeof(pkhex), d.pk, CS_PK_LEN);
    hub_writes_text(h, "device", &d.id, "org_unit", d.org);
    hub_writes_text(h, "device", &d.id, "role", d.role);
    hub_writes_text(h, "device", &d.id, "pk", pkhex);
    assert_int_equal(hub_device_known(h, &d.id, &got), 0);
    uint8_t before[32];
    assert_int_equal(cs_replica_hash(hub_replica(h), before), 0);
    hub_close(h);

    /* As version 2 kept it: the key in its register only. */
    sqlite3 *db;
    snprintf(path, sizeof(path), "%s/%s", dir, HUB_REPLICA);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "BEGIN;"
                     "UPDATE cs_reg SET val = (SELECT pk FROM device d WHERE d.id = cs_reg.row)"
                     " WHERE tbl = (SELECT ix FROM cs_name WHERE name = 'device')"
                     " AND col = (SELECT ix FROM cs_name WHERE name = 'pk');"
                     "CREATE TABLE device_v2 AS SELECT id, cl, org_unit, name, role FROM device;"
                     "DROP TABLE device;"
                     "CREATE TABLE device (id BLOB PRIMARY KEY, cl INTEGER NOT NULL DEFAULT 1,"
                     " org_unit TEXT, name TEXT, role TEXT);"
                     "INSERT INTO device SELECT * FROM device_v2; DROP TABLE device_v2;"
                     "UPDATE cs_meta SET value = '2' WHERE key = 'schema';"
                     "COMMIT;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);

    if (hub_open(&h, dir, err, sizeof(err)) != 0)
        fail_msg("open: %s", err);
    db = db_of(h);
    assert_string_equal(
        sql_text(db, "SELECT pk FROM device WHERE role = 'cell' AND pk IS NOT NULL"), pkhex);
    assert_int_equal(hub_device_known(h, &d.id, &got), 0);
    assert_memory_equal(got.pk, d.pk, CS_PK_LEN);
    /* The replica's state is the same: one value, now in its column. */
    uint8_t after[32];
    assert_int_equal(cs_replica_hash(hub_replica(h), after), 0);
    assert_memory_equal(before, after, sizeof(after));
    hub_close(h);
    cs_key_free(k);
}

static int
rm_tree(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    return system(cmd);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_tree),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_init_twice),
        cmocka_unit_test(test_enrollment_file),
        cmocka_unit_test(test_code),
        cmocka_unit_test(test_admit),
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_authorize),
        cmocka_unit_test(test_authorize_in_merge),
        cmocka_unit_test(test_clock_refusal_is_final),
        cmocka_unit_test(test_merge_revoked),
        cmocka_unit_test(test_row_in_scope),
        cmocka_unit_test(test_audit),
        cmocka_unit_test(test_audit_origin),
        cmocka_unit_test(test_devices),
        cmocka_unit_test(test_incarnations),
        cmocka_unit_test(test_statements),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_relay_registered),
        cmocka_unit_test(test_relay_chunk_whole),
        cmocka_unit_test(test_upward),
        cmocka_unit_test(test_upward_revoked),
        cmocka_unit_test(test_down_echo),
        cmocka_unit_test(test_schema_v2),
        cmocka_unit_test(test_schema_v2_registers),
    };
    if (cs_init() != 0 || mkdtemp(base) == NULL)
        return 1;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (failed == 0)
        rm_tree(base);
    return failed;
}
