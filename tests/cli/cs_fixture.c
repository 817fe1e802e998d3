/* SPDX-License-Identifier: MIT */
/*
 * Test fixture for the CLI tests: writes records straight into the replica
 * of $CELLSYNC_HOME with the replica API, so tests of `due`, `status` and
 * `conflicts` do not depend on the commands that add records, and makes a
 * real conflict: a second replica (another device) gets a copy of every
 * version, the same field is edited on both, and each side's changes are
 * applied to the other, as a sync would.
 *
 *   cs_fixture candidate NAME STAGE [COLUMN=VALUE ...]   prints the new id
 *   cs_fixture member NAME STATUS [COLUMN=VALUE ...]     prints the new id
 *   cs_fixture delete TABLE ID
 *   cs_fixture get TABLE ID COLUMN                       prints the value
 *   cs_fixture conflict TABLE ID COLUMN HERE OTHER
 *   cs_fixture set TABLE ID COLUMN VALUE                 one write, as any command of
 *                                                        this device would make it
 *   cs_fixture hash DB                                   prints the state hash
 *   cs_fixture sql DB QUERY                              prints column 0 of each row
 *   cs_fixture site DB                                   prints the replica's site id
 *                                                        (32 hex digits)
 *   cs_fixture meta DB KEY [VALUE]                       prints a local setting (exit 3
 *                                                        where unset), or sets it
 *
 * site and meta go through the replica's calls: the store's own tables are
 * private, so tests ask sql about its views cs_version and cs_conflict.
 *
 * A VALUE of digits is stored as an integer; "@<n>w", "@<n>d" and "@<n>m"
 * are the date n working days, days or months from today ($CELLSYNC_TODAY,
 * fixed holidays only), so tests need not compute working days themselves.
 * "#<32 hex digits>" is an id, stored as a reference column stores it (a blob).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellsync/enroll.h"
#include "cellsync/error.h"
#include "cellsync/replica.h"
#include "cellsync/rules.h"
#include "cellsync/version.h"

static char err[1024];

static void
die(const char *what, int ret)
{
    fprintf(stderr, "cs_fixture: %s: %s\n", what, err[0] ? err : cs_strerror(ret));
    exit(1);
}

static struct cs_replica *
open_home(void)
{
    const char *home = getenv("CELLSYNC_HOME");
    char path[PATH_MAX];
    struct cs_replica *r;
    int ret;

    if (home == NULL || home[0] == 0) {
        fprintf(stderr, "cs_fixture: CELLSYNC_HOME is not set\n");
        exit(2);
    }
    snprintf(path, sizeof(path), "%s/replica.db", home);
    if ((ret = cs_replica_open(&r, path, 0, NULL, err, sizeof(err))) != 0)
        die(path, ret);
    return r;
}

static void
parse_id(const char *text, struct cs_id *id)
{
    if (cs_id_from_hex(id, text, strlen(text)) != 0) {
        fprintf(stderr, "cs_fixture: '%s' is not an id\n", text);
        exit(2);
    }
}

/* COLUMN=VALUE as a stored value; date is room for a computed date. */
static void
value_of(const char *text, struct cs_value *v, char date[CS_DATE_BUFSZ])
{
    size_t n = strlen(text);
    if (n > 0 && strspn(text, "0123456789") == n) {
        *v = (struct cs_value){.type = CS_VINT, .i = strtoll(text, NULL, 10)};
        return;
    }
    if (text[0] == '#' && (n == 1 + 2 * CS_ID_LEN || n == 1 + CS_ID_HEX_LEN)) {
        static struct cs_id ref;
        parse_id(text + 1, &ref);
        *v = (struct cs_value){.type = CS_VBLOB, .p = ref.b, .n = CS_ID_LEN};
        return;
    }
    if (text[0] == '@' && n >= 3) {
        int32_t today, day;
        int k = atoi(text + 1), ret;
        if ((ret = cs_date_today(&today, err, sizeof(err))) != 0)
            die("today", ret);
        switch (text[n - 1]) {
        case 'w':
            day = cs_date_add_working_days(NULL, today, k);
            break;
        case 'd':
            day = today + k;
            break;
        case 'm':
            day = cs_date_add_months(today, k);
            break;
        default:
            fprintf(stderr, "cs_fixture: '%s': end a relative date in w, d or m\n", text);
            exit(2);
        }
        cs_date_format(day, date);
        text = date;
    }
    *v = (struct cs_value){.type = CS_VTEXT, .p = text, .n = strlen(text)};
}

static void
set(struct cs_replica *r, const char *table, const struct cs_id *id, const char *column,
    const char *text)
{
    struct cs_value v;
    char date[CS_DATE_BUFSZ];
    int ret;
    value_of(text, &v, date);
    if ((ret = cs_replica_set(r, table, id, column, &v, err, sizeof(err))) != 0)
        die(column, ret);
}

/* A new record with its name, a code column and COLUMN=VALUE pairs, in one transaction. */
static int
add(const char *table, const char *code_column, int argc, char **argv)
{
    struct cs_replica *r = open_home();
    struct cs_id id;
    char hex[CS_ID_HEX_LEN + 1];
    int ret;

    if (argc < 2) {
        fprintf(stderr, "cs_fixture: %s NAME CODE [COLUMN=VALUE ...]\n", table);
        return 2;
    }
    cs_id_new(&id);
    if ((ret = cs_replica_begin(r, err, sizeof(err))) != 0)
        die("begin", ret);
    set(r, table, &id, "full_name", argv[0]);
    set(r, table, &id, code_column, argv[1]);
    for (int i = 2; i < argc; i++) {
        char col[64];
        const char *eq = strchr(argv[i], '=');
        if (eq == NULL || (size_t)(eq - argv[i]) >= sizeof(col)) {
            fprintf(stderr, "cs_fixture: '%s' is not COLUMN=VALUE\n", argv[i]);
            return 2;
        }
        snprintf(col, sizeof(col), "%.*s", (int)(eq - argv[i]), argv[i]);
        set(r, table, &id, col, eq + 1);
    }
    if ((ret = cs_replica_commit(r, err, sizeof(err))) != 0)
        die("commit", ret);
    cs_replica_close(r);
    cs_id_to_hex(&id, hex);
    printf("%s\n", hex);
    return 0;
}

static int
del(char **argv)
{
    struct cs_replica *r = open_home();
    struct cs_id id;
    int ret;
    parse_id(argv[1], &id);
    if ((ret = cs_replica_begin(r, err, sizeof(err))) != 0 ||
        (ret = cs_replica_delete_row(r, argv[0], &id, err, sizeof(err))) != 0 ||
        (ret = cs_replica_commit(r, err, sizeof(err))) != 0)
        die("delete", ret);
    cs_replica_close(r);
    return 0;
}

static int
get(char **argv)
{
    struct cs_replica *r = open_home();
    struct cs_id id;
    char sql[256];
    sqlite3_stmt *st;
    int ret = 1;

    parse_id(argv[1], &id);
    snprintf(sql, sizeof(sql), "SELECT \"%s\" FROM \"%s\" WHERE id = ?1", argv[2], argv[0]);
    if (sqlite3_prepare_v2(cs_replica_db(r), sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "cs_fixture: %s\n", sqlite3_errmsg(cs_replica_db(r)));
        exit(1);
    }
    sqlite3_bind_blob(st, 1, id.b, CS_ID_LEN, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        printf("%s\n", t ? (const char *)t : "");
        ret = 0;
    }
    sqlite3_finalize(st);
    cs_replica_close(r);
    return ret;
}

/* Applies what a has learned after seq `after` to b. */
static void
ship(struct cs_replica *a, struct cs_replica *b, uint64_t after)
{
    struct cs_changeset *cs;
    int ret;
    if ((ret = cs_replica_changes_since(a, after, 0, NULL, &cs, err, sizeof(err))) != 0)
        die("changes", ret);
    ret = cs_replica_apply(b, cs, NULL, NULL, err, sizeof(err));
    cs_changeset_free(cs);
    if (ret != 0)
        die("apply", ret);
}

static void
edit(struct cs_replica *r, const char *table, const struct cs_id *id, const char *column,
     const char *text)
{
    int ret;
    if ((ret = cs_replica_begin(r, err, sizeof(err))) != 0)
        die("begin", ret);
    set(r, table, id, column, text);
    if ((ret = cs_replica_commit(r, err, sizeof(err))) != 0)
        die("commit", ret);
}

static int
conflict(char **argv)
{
    struct cs_replica *here = open_home(), *other = NULL;
    char dir[] = "/tmp/cs_fixture.XXXXXX", path[PATH_MAX], side[PATH_MAX + 8];
    struct cs_id id, site;
    int ret;

    parse_id(argv[1], &id);
    if (mkdtemp(dir) == NULL) {
        perror("cs_fixture: mkdtemp");
        return 1;
    }
    snprintf(path, sizeof(path), "%s/other.db", dir);
    cs_id_new(&site);
    if ((ret = cs_replica_open(&other, path, CS_REPLICA_CREATE, &site, err, sizeof(err))) != 0)
        die(path, ret);
    /* The other device starts from everything this one has, then both edit unaware. */
    ship(here, other, 0);
    uint64_t here_seq = cs_replica_seq(here), other_seq = cs_replica_seq(other);
    edit(here, argv[0], &id, argv[2], argv[3]);
    edit(other, argv[0], &id, argv[2], argv[4]);
    ship(here, other, here_seq);
    ship(other, here, other_seq);
    cs_replica_close(other);
    cs_replica_close(here);
    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
    rmdir(dir);
    return 0;
}

/* One register of an existing row, written the way a command would (what the CLI never writes). */
static int
set_one(char **argv)
{
    struct cs_replica *r = open_home();
    struct cs_id id;
    parse_id(argv[1], &id);
    edit(r, argv[0], &id, argv[2], argv[3]);
    cs_replica_close(r);
    return 0;
}

/* Any replica file, not only $CELLSYNC_HOME's: the hub's too. */
static int
hash(const char *path)
{
    struct cs_replica *r;
    uint8_t h[32];
    int ret = cs_replica_open(&r, path, 0, NULL, err, sizeof(err));
    if (ret != 0)
        die(path, ret);
    if ((ret = cs_replica_hash(r, h)) != 0)
        die("hash", ret);
    for (int i = 0; i < 32; i++)
        printf("%02x", h[i]);
    printf("\n");
    cs_replica_close(r);
    return 0;
}

/* The replica's own site id, which its versions carry as origin: 32 hex digits, for x'...'. */
static int
site(const char *path)
{
    struct cs_replica *r;
    int ret = cs_replica_open(&r, path, 0, NULL, err, sizeof(err));
    if (ret != 0)
        die(path, ret);
    for (int i = 0; i < CS_ID_LEN; i++)
        printf("%02x", cs_replica_site(r)->b[i]);
    printf("\n");
    cs_replica_close(r);
    return 0;
}

/*
 * A local setting read, or written to stage what a test needs (a clock
 * ahead, a cursor sent back). Unset is exit 3, apart from a failure's 1.
 */
static int
meta(const char *path, const char *key, const char *value)
{
    struct cs_replica *r;
    char buf[1024];
    int ret = cs_replica_open(&r, path, 0, NULL, err, sizeof(err));
    if (ret != 0)
        die(path, ret);
    if (value != NULL) {
        if ((ret = cs_replica_meta_set(r, key, value)) != 0)
            die(key, ret);
    } else if ((ret = cs_replica_meta_get(r, key, buf, sizeof(buf))) == 0) {
        printf("%s\n", buf);
    } else if (ret != -ENOENT) {
        die(key, ret);
    }
    cs_replica_close(r);
    return ret == -ENOENT ? 3 : 0;
}

static int
sql(const char *path, const char *query)
{
    struct cs_replica *r;
    sqlite3_stmt *st;
    int ret = cs_replica_open(&r, path, 0, NULL, err, sizeof(err));
    if (ret != 0)
        die(path, ret);
    if (sqlite3_prepare_v2(cs_replica_db(r), query, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "cs_fixture: %s\n", sqlite3_errmsg(cs_replica_db(r)));
        exit(1);
    }
    while (sqlite3_step(st) == SQLITE_ROW)
        printf("%s\n", sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
    sqlite3_finalize(st);
    cs_replica_close(r);
    return 0;
}

/*
 * wrongcode CODE N: a well-formed code (its check symbol right) with the
 * same code number as CODE and the secret changed by N (1 and up): a guess
 * at that code, as an attacker would type it, or a code the check symbol
 * cannot tell from the right one.
 */
static int
wrongcode(const char *code, const char *n)
{
    uint8_t secret[CS_ENROLL_SECRET_LEN];
    char out[CS_ENROLL_CODE_LEN + 1];
    unsigned long v = strtoul(n, NULL, 10);

    if (cs_enroll_code_parse(code, secret, err, sizeof(err)) != 0) {
        fprintf(stderr, "cs_fixture: %s\n", err);
        return 1;
    }
    secret[10] ^= (uint8_t)v;
    secret[9] ^= (uint8_t)(v >> 8);
    secret[8] ^= (uint8_t)(v >> 16);
    if (v == 0 || cs_enroll_code_format(secret, out) != 0)
        return 1;
    printf("%s\n", out);
    return 0;
}

int
main(int argc, char **argv)
{
    if (cs_init() != 0) {
        fprintf(stderr, "cs_fixture: cannot start\n");
        return 1;
    }
    if (argc >= 2 && strcmp(argv[1], "candidate") == 0)
        return add("candidate", "stage", argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "member") == 0)
        return add("member", "status", argc - 2, argv + 2);
    if (argc == 4 && strcmp(argv[1], "delete") == 0)
        return del(argv + 2);
    if (argc == 5 && strcmp(argv[1], "get") == 0)
        return get(argv + 2);
    if (argc == 7 && strcmp(argv[1], "conflict") == 0)
        return conflict(argv + 2);
    if (argc == 6 && strcmp(argv[1], "set") == 0)
        return set_one(argv + 2);
    if (argc == 3 && strcmp(argv[1], "hash") == 0)
        return hash(argv[2]);
    if (argc == 4 && strcmp(argv[1], "sql") == 0)
        return sql(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "site") == 0)
        return site(argv[2]);
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "meta") == 0)
        return meta(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
    if (argc == 4 && strcmp(argv[1], "wrongcode") == 0)
        return wrongcode(argv[2], argv[3]);
    fprintf(stderr, "usage: cs_fixture "
                    "candidate|member|delete|get|conflict|set|hash|sql|site|meta|wrongcode ...\n");
    return 2;
}
