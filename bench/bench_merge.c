/* SPDX-License-Identifier: MIT */
/*
 * Hub merge rate of the whole path, against two SQLite baselines measured in
 * the same process on the same registers. A device replica gets candidates
 * of 7 registers each, written in local transactions of 10 candidates (as
 * cs_bulk does), and is cut into ~16 KiB chunks sealed to the hub
 * (cs_sync_make_chunk). Each run then times, on fresh databases in the same
 * directory:
 *   hub    hub_peer_merge of every chunk into a fresh hub (envelope verify,
 *          decrypt, decompress, decode, authorize, merge, cursor, audit,
 *          commit: one transaction per chunk, as the daemon's worker does);
 *   upsert a raw SQLite per-column LWW upsert of the same registers, table
 *          (tbl,row,col) primary key, newer stamp wins, one transaction per
 *          chunk (the registers are already decoded: no crypto, no msgpack);
 *   session the SQLite session extension: one changeset per chunk of the
 *          same rows of that register table, made beforehand, applied with
 *          sqlite3changeset_apply in one transaction per chunk.
 * All in WAL mode with synchronous=NORMAL. Prints registers/s per run, the
 * median, min and max, the ratios hub/upsert and hub/session per run, and
 * the hub database's size and metadata bytes per register.
 *
 *   bench_merge [--registers N] [--runs R] [--dir DIR] [--hub-only]
 *
 * Defaults: 100000 registers, 5 runs, $TMPDIR or /tmp.
 */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cellsync/changeset.h"
#include "cellsync/error.h"
#include "cellsync/key.h"
#include "cellsync/replica.h"
#include "cellsync/sync.h"
#include "cellsync/version.h"
#include "hub.h"
#include "peer.h"

#define PER_TX   10 /* candidates per local transaction on the device */
#define MAX_RUNS 64

static char err[1024];

static void
die(const char *what, int ret)
{
    fprintf(stderr, "bench_merge: %s: %s\n", what, err[0] ? err : cs_strerror(ret));
    exit(1);
}

static void
die_sql(sqlite3 *db, const char *what)
{
    fprintf(stderr, "bench_merge: %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

static void
exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "bench_merge: %s: %s\n", sql, msg ? msg : "?");
        exit(1);
    }
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
rm_db(const char *path)
{
    char p[PATH_MAX + 8];
    if (strlen(path) >= PATH_MAX)
        return;
    unlink(path);
    snprintf(p, sizeof(p), "%.*s-wal", PATH_MAX - 1, path);
    unlink(p);
    snprintf(p, sizeof(p), "%.*s-shm", PATH_MAX - 1, path);
    unlink(p);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void
summary(const char *name, const double *v, int n, const char *unit)
{
    double s[MAX_RUNS];
    memcpy(s, v, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    double med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    printf("  %-22s median %12.3f  min %12.3f  max %12.3f %s\n", name, med, s[0], s[n - 1], unit);
}

/* ---- the device side: registers and chunks ---- */

static const char *const family[] = {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Lò", "Đinh", "Hà"};
static const char *const given[] = {"Văn Sỹ",   "Thị Hoa",    "Văn Thắng", "Thị Ánh",
                                    "Văn Dũng", "Thị Phượng", "Đức Mạnh",  "Thị Hường"};
static const char *const place[] = {"Bản Khe Ván, xã Mường Lý, huyện Mường Lát, tỉnh Thanh Hóa",
                                    "Bản Pù Quăn, xóm 2, xã Mường Lý, huyện Mường Lát",
                                    "Thôn Đông, xã Quảng Phú, huyện Quảng Xương",
                                    "Tổ dân phố 5, phường Điện Biên, thành phố Thanh Hóa"};

static void
set_text(struct cs_replica *r, const struct cs_id *id, const char *column, const char *text)
{
    int ret = cs_replica_set_text(r, "candidate", id, column, text, err, sizeof(err));
    if (ret != 0)
        die(column, ret);
}

/* N registers as candidates of 7 registers each, in transactions of 10 candidates. */
static void
fill_device(struct cs_replica *r, long nregs)
{
    long ncand = (nregs + 6) / 7;
    for (long i = 0; i < ncand; i += PER_TX) {
        int ret;
        if ((ret = cs_replica_begin(r, err, sizeof(err))) != 0)
            die("begin", ret);
        for (long k = i; k < ncand && k < i + PER_TX; k++) {
            struct cs_id id;
            char name[128], phone[32], note[256];
            cs_id_new(&id);
            snprintf(name, sizeof(name), "%s %s %ld", family[k % 8], given[(k / 8) % 8], k);
            snprintf(phone, sizeof(phone), "09%08ld", k);
            snprintf(note, sizeof(note),
                     "Quần chúng ưu tú số %ld, đoàn viên tích cực, được chi bộ phân công giúp đỡ",
                     k);
            set_text(r, &id, "full_name", name);
            set_text(r, &id, "stage", "identified");
            set_text(r, &id, "identified_on", "2026-03-02");
            set_text(r, &id, "phone", phone);
            set_text(r, &id, "hometown", place[k % 4]);
            set_text(r, &id, "note", note);
            set_text(r, &id, "org_unit", "CB-01");
        }
        if ((ret = cs_replica_commit(r, err, sizeof(err))) != 0)
            die("commit", ret);
    }
}

struct chunks {
    struct cs_chunk *c;
    struct cs_changeset **cs; /* the same chunks, decoded, for the baselines */
    size_t n, cap;
    size_t regs, wire, value_bytes;
};

static void
make_chunks(struct cs_replica *r, const struct cs_key *dev, const uint8_t hub_pk[CS_PK_LEN],
            struct chunks *out)
{
    struct cs_since_filter f = {.only_origin = cs_replica_site(r)};
    uint64_t after = 0;
    memset(out, 0, sizeof(*out));
    for (;;) {
        struct cs_chunk c;
        int ret =
            cs_sync_make_chunk(r, dev, hub_pk, after, &f, CS_SYNC_CHUNK, &c, err, sizeof(err));
        if (ret != 0)
            die("make chunk", ret);
        if (c.changes == 0) {
            free(c.env);
            break;
        }
        struct cs_changeset *cs;
        if ((ret = cs_replica_changes_since(r, after, CS_SYNC_CHUNK, &f, &cs, err, sizeof(err))) !=
            0)
            die("changes", ret);
        if (cs_changeset_count(cs) != c.changes) {
            fprintf(stderr, "bench_merge: chunk and change set differ\n");
            exit(1);
        }
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 64;
            out->c = realloc(out->c, out->cap * sizeof(*out->c));
            out->cs = realloc(out->cs, out->cap * sizeof(*out->cs));
            if (out->c == NULL || out->cs == NULL)
                die("memory", CS_ENOMEM);
        }
        for (size_t i = 0; i < cs_changeset_count(cs); i++) {
            struct cs_change ch;
            cs_changeset_get(cs, i, &ch);
            out->value_bytes += ch.value.n;
        }
        out->c[out->n] = c;
        out->cs[out->n++] = cs;
        out->regs += c.changes;
        out->wire += c.envlen;
        after = c.seq_last;
        if (c.last)
            break;
    }
}

/* ---- the hub ---- */

static void
make_hub(const char *state, const struct cs_key *dev, struct hub **hout, struct hub_peer *p)
{
    char csv[2 * PATH_MAX];
    snprintf(csv, sizeof(csv), "%s.csv", state);
    FILE *f = fopen(csv, "w");
    if (f == NULL ||
        fputs("id,parent,level,kind,name\n"
              "XA-ML,,commune,commune,\"Đảng bộ xã Mường Lý\"\n"
              "CB-01,XA-ML,cell,village,\"Chi bộ bản Khe Ván\"\n",
              f) < 0 ||
        fclose(f) != 0)
        die(csv, -1);
    int ret = hub_init(state, csv, err, sizeof(err));
    unlink(csv);
    if (ret != 0)
        die("hub init", ret);
    struct hub *h;
    if ((ret = hub_open(&h, state, err, sizeof(err))) != 0)
        die("hub open", ret);
    sqlite3 *db = cs_replica_db(hub_replica(h));
    sqlite3_stmt *st;
    struct cs_id id;
    cs_pk_id(cs_key_pk(dev), &id);
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO hub_device (id, pk, org, role, name, enrolled_at,"
                           " last_contact, revoked_at, up_seq, down_seq)"
                           " VALUES (?1, ?2, 'CB-01', 'cell', 'bench', 1, 0, 0, 0, 0)",
                           -1, &st, NULL) != SQLITE_OK)
        die_sql(db, "device");
    sqlite3_bind_blob(st, 1, id.b, sizeof(id.b), SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, cs_key_pk(dev), CS_PK_LEN, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        die_sql(db, "device");
    sqlite3_finalize(st);
    memset(p, 0, sizeof(*p));
    if ((ret = hub_device_get(h, &id, &p->dev)) != 0)
        die("device get", ret);
    if ((ret = hub_scope_load(h, "CB-01", &p->scope)) != 0)
        die("scope", ret);
    *hout = h;
}

static void
rm_hub(const char *state)
{
    char p[2 * PATH_MAX];
    snprintf(p, sizeof(p), "%s/" HUB_REPLICA, state);
    rm_db(p);
    snprintf(p, sizeof(p), "%s/" HUB_KEY, state);
    unlink(p);
    snprintf(p, sizeof(p), "%s/" HUB_PUB, state);
    unlink(p);
    rmdir(state);
}

static int64_t
pragma_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The hub database's size, and by table if dbstat is compiled in. */
static void
hub_sizes(struct hub *h, const struct chunks *ch)
{
    sqlite3 *db = cs_replica_db(hub_replica(h));
    exec_sql(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    int64_t pages = pragma_int(db, "PRAGMA page_count");
    int64_t psize = pragma_int(db, "PRAGMA page_size");
    int64_t freel = pragma_int(db, "PRAGMA freelist_count");
    double bytes = (double)(pages - freel) * (double)psize;
    printf("hub database: %lld pages of %lld bytes = %.1f MiB (%lld free); %zu registers\n",
           (long long)pages, (long long)psize, (double)(pages * psize) / 1048576.0,
           (long long)freel, ch->regs);
    printf("  value bytes %.1f/register; database %.1f bytes/register; metadata (all but the"
           " values) %.1f bytes/register = %.2fx the data\n",
           (double)ch->value_bytes / ch->regs, bytes / ch->regs,
           (bytes - (double)ch->value_bytes) / ch->regs,
           (bytes - (double)ch->value_bytes) / (double)ch->value_bytes);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT name, count(*), sum(pgsize), sum(payload) FROM dbstat"
                           " GROUP BY name ORDER BY sum(pgsize) DESC LIMIT 12",
                           -1, &st, NULL) != SQLITE_OK) {
        printf("  (no dbstat in this SQLite: by-table sizes not available)\n");
        return;
    }
    printf("  by table/index (dbstat): name, pages, bytes, payload bytes, bytes/register\n");
    while (sqlite3_step(st) == SQLITE_ROW)
        printf("    %-28s %8lld %12lld %12lld %8.1f\n", sqlite3_column_text(st, 0),
               (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 2),
               (long long)sqlite3_column_int64(st, 3),
               (double)sqlite3_column_int64(st, 2) / ch->regs);
    sqlite3_finalize(st);
}

/* ---- baselines ---- */

static const char reg_schema[] =
    "CREATE TABLE reg (tbl TEXT NOT NULL, row BLOB NOT NULL, col TEXT NOT NULL, val,"
    " hlc INTEGER NOT NULL, origin BLOB NOT NULL, PRIMARY KEY (tbl, row, col))";

static sqlite3 *
open_db(const char *path)
{
    sqlite3 *db;
    rm_db(path);
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die_sql(db, path);
    exec_sql(db, "PRAGMA journal_mode=WAL");
    exec_sql(db, "PRAGMA synchronous=NORMAL");
    exec_sql(db, reg_schema);
    return db;
}

static void
bind_value(sqlite3_stmt *st, int i, const struct cs_value *v)
{
    switch (v->type) {
    case CS_VINT:
        sqlite3_bind_int64(st, i, v->i);
        break;
    case CS_VFLOAT:
        sqlite3_bind_double(st, i, v->f);
        break;
    case CS_VTEXT:
        sqlite3_bind_text(st, i, v->p, (int)v->n, SQLITE_STATIC);
        break;
    case CS_VBLOB:
        sqlite3_bind_blob(st, i, v->p, (int)v->n, SQLITE_STATIC);
        break;
    default:
        sqlite3_bind_null(st, i);
    }
}

static void
bind_change(sqlite3_stmt *st, const struct cs_change *c)
{
    sqlite3_bind_text(st, 1, c->table, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, c->row.b, sizeof(c->row.b), SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->column, -1, SQLITE_STATIC);
    bind_value(st, 4, &c->value);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)c->hlc);
    sqlite3_bind_blob(st, 6, c->origin.b, sizeof(c->origin.b), SQLITE_STATIC);
}

static double
run_upsert(const char *path, const struct chunks *ch)
{
    sqlite3 *db = open_db(path);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO reg (tbl, row, col, val, hlc, origin)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                           " ON CONFLICT (tbl, row, col) DO UPDATE SET val = excluded.val,"
                           " hlc = excluded.hlc, origin = excluded.origin"
                           " WHERE excluded.hlc > reg.hlc",
                           -1, &st, NULL) != SQLITE_OK)
        die_sql(db, "upsert");
    double t0 = now_s();
    for (size_t k = 0; k < ch->n; k++) {
        exec_sql(db, "BEGIN IMMEDIATE");
        for (size_t i = 0; i < cs_changeset_count(ch->cs[k]); i++) {
            struct cs_change c;
            cs_changeset_get(ch->cs[k], i, &c);
            bind_change(st, &c);
            if (sqlite3_step(st) != SQLITE_DONE)
                die_sql(db, "upsert");
            sqlite3_reset(st);
        }
        exec_sql(db, "COMMIT");
    }
    double dt = now_s() - t0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    rm_db(path);
    return dt;
}

struct blob {
    void *p;
    int n;
};

/* One session changeset per chunk, recorded on an in-memory copy of the table. */
static struct blob *
make_changesets(const struct chunks *ch)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st;
    struct blob *out = calloc(ch->n, sizeof(*out));
    if (out == NULL || sqlite3_open(":memory:", &db) != SQLITE_OK)
        die("memory", CS_ENOMEM);
    exec_sql(db, reg_schema);
    if (sqlite3_prepare_v2(db, "INSERT INTO reg VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL) !=
        SQLITE_OK)
        die_sql(db, "insert");
    for (size_t k = 0; k < ch->n; k++) {
        sqlite3_session *s;
        if (sqlite3session_create(db, "main", &s) != SQLITE_OK ||
            sqlite3session_attach(s, "reg") != SQLITE_OK)
            die_sql(db, "session");
        for (size_t i = 0; i < cs_changeset_count(ch->cs[k]); i++) {
            struct cs_change c;
            cs_changeset_get(ch->cs[k], i, &c);
            bind_change(st, &c);
            if (sqlite3_step(st) != SQLITE_DONE)
                die_sql(db, "insert");
            sqlite3_reset(st);
        }
        if (sqlite3session_changeset(s, &out[k].n, &out[k].p) != SQLITE_OK)
            die_sql(db, "changeset");
        sqlite3session_delete(s);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

static int
on_conflict(void *ud, int why, sqlite3_changeset_iter *it)
{
    (void)ud;
    (void)it;
    return why == SQLITE_CHANGESET_CONFLICT || why == SQLITE_CHANGESET_DATA
               ? SQLITE_CHANGESET_REPLACE
               : SQLITE_CHANGESET_OMIT;
}

static double
run_session(const char *path, const struct chunks *ch, const struct blob *b)
{
    sqlite3 *db = open_db(path);
    double t0 = now_s();
    for (size_t k = 0; k < ch->n; k++) {
        exec_sql(db, "BEGIN IMMEDIATE");
        if (sqlite3changeset_apply(db, b[k].n, b[k].p, NULL, on_conflict, NULL) != SQLITE_OK)
            die_sql(db, "apply");
        exec_sql(db, "COMMIT");
    }
    double dt = now_s() - t0;
    if (pragma_int(db, "SELECT count(*) FROM reg") != (int64_t)ch->regs) {
        fprintf(stderr, "bench_merge: the session baseline lost rows\n");
        exit(1);
    }
    sqlite3_close(db);
    rm_db(path);
    return dt;
}

int
main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"registers", required_argument, NULL, 'n'},
        {"runs", required_argument, NULL, 'r'},
        {"dir", required_argument, NULL, 'd'},
        {"hub-only", no_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    long nregs = 100000;
    int runs = 5, hub_only = 0, ch;
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'n':
            nregs = atol(optarg);
            break;
        case 'r':
            runs = atoi(optarg);
            break;
        case 'd':
            base = optarg;
            break;
        case 'H':
            hub_only = 1;
            break;
        default:
            fprintf(stderr, "usage: bench_merge [--registers N] [--runs R] [--dir DIR]"
                            " [--hub-only]\n");
            return 2;
        }
    }
    if (nregs < 7 || runs < 1 || runs > MAX_RUNS || optind != argc) {
        fprintf(stderr, "bench_merge: bad arguments\n");
        return 2;
    }
    if (cs_init() != 0)
        die("start", CS_ECRYPTO);
    if (!sqlite3_compileoption_used("ENABLE_SESSION") && !hub_only) {
        fprintf(stderr, "bench_merge: this SQLite has no session extension\n");
        return 1;
    }

    char dir[1024], path[PATH_MAX], state[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/bench_merge.XXXXXX", base);
    if (mkdtemp(dir) == NULL) {
        perror(dir);
        return 1;
    }
    struct cs_key *dev, *hubk;
    int ret;
    if ((ret = cs_key_generate(&dev)) != 0 || (ret = cs_key_generate(&hubk)) != 0)
        die("keys", ret);
    /*
     * The hub key is made by hub_init in each run; chunks are sealed to a
     * hub whose key we do not have yet. So make one hub first, seal to it,
     * and keep its key files for the runs: each run copies a fresh replica.
     */
    struct cs_id site;
    cs_pk_id(cs_key_pk(dev), &site);
    snprintf(path, sizeof(path), "%s/device.db", dir);
    struct cs_replica *r;
    if ((ret = cs_replica_open(&r, path, CS_REPLICA_CREATE, &site, err, sizeof(err))) != 0)
        die(path, ret);
    double t0 = now_s();
    fill_device(r, nregs);
    double fill = now_s() - t0;

    /* A hub per run; its key must be known before sealing, so seal per run. */
    double hub_t[MAX_RUNS], up_t[MAX_RUNS], ses_t[MAX_RUNS];
    struct chunks chs[1] = {0};
    struct blob *blobs = NULL;
    size_t regs = 0;
    for (int k = 0; k < runs; k++) {
        snprintf(state, sizeof(state), "%s/hub", dir);
        /* Seal the device's chunks to this run's hub (not timed). */
        struct hub *h;
        struct hub_peer p;
        make_hub(state, dev, &h, &p);
        uint8_t hub_pk[CS_PK_LEN];
        memcpy(hub_pk, cs_key_pk(hub_key(h)), CS_PK_LEN);
        hub_peer_release(&p);
        hub_close(h);
        /* make_hub again inside run_hub would make a new key: reuse this one instead. */
        struct chunks c;
        make_chunks(r, dev, hub_pk, &c);
        if (k == 0) {
            printf("bench_merge: %zu registers (%ld candidates of 7, Vietnamese text) written on"
                   " the device in %.2f s; %zu chunks, %zu bytes sealed (%.1f bytes/register)\n",
                   c.regs, (nregs + 6) / 7, fill, c.n, c.wire, (double)c.wire / c.regs);
            if (!hub_only)
                blobs = make_changesets(&c);
            regs = c.regs;
        }
        /* Time the merge into this hub, freshly reopened. */
        if ((ret = hub_open(&h, state, err, sizeof(err))) != 0)
            die("hub open", ret);
        memset(&p, 0, sizeof(p));
        cs_pk_id(cs_key_pk(dev), &site);
        if ((ret = hub_device_get(h, &site, &p.dev)) != 0 ||
            (ret = hub_scope_load(h, "CB-01", &p.scope)) != 0)
            die("peer", ret);
        size_t applied = 0;
        t0 = now_s();
        for (size_t i = 0; i < c.n; i++) {
            struct hub_merge m;
            if ((ret = hub_peer_merge(h, &p, c.c[i].env, c.c[i].envlen, &m, err, sizeof(err))) != 0)
                die("hub_peer_merge", ret);
            if (m.st.refused != 0) {
                fprintf(stderr, "bench_merge: the hub refused %zu changes\n", m.st.refused);
                return 1;
            }
            applied += m.st.applied;
            hub_merge_release(&m);
        }
        hub_t[k] = now_s() - t0;
        if (applied != c.regs) {
            fprintf(stderr, "bench_merge: the hub applied %zu of %zu\n", applied, c.regs);
            return 1;
        }
        if (k == runs - 1)
            hub_sizes(h, &c);
        hub_peer_release(&p);
        hub_close(h);
        rm_hub(state);
        if (!hub_only) {
            snprintf(path, sizeof(path), "%s/upsert.db", dir);
            up_t[k] = run_upsert(path, &c);
            snprintf(path, sizeof(path), "%s/session.db", dir);
            ses_t[k] = run_session(path, &c, blobs);
        }
        printf("run %d: hub %.0f regs/s", k + 1, c.regs / hub_t[k]);
        if (!hub_only)
            printf("  upsert %.0f regs/s  session %.0f regs/s  hub/upsert %.3f  hub/session %.3f",
                   c.regs / up_t[k], c.regs / ses_t[k], up_t[k] / hub_t[k], ses_t[k] / hub_t[k]);
        printf("\n");
        fflush(stdout);
        if (k == runs - 1)
            chs[0] = c;
        else {
            for (size_t i = 0; i < c.n; i++) {
                free(c.c[i].env);
                cs_changeset_free(c.cs[i]);
            }
            free(c.c);
            free(c.cs);
        }
    }
    double rate[MAX_RUNS], r1[MAX_RUNS], r2[MAX_RUNS];
    printf("summary over %d runs, %zu registers, one transaction per ~16 KiB chunk:\n", runs, regs);
    for (int k = 0; k < runs; k++)
        rate[k] = regs / hub_t[k];
    summary("hub_peer_merge", rate, runs, "registers/s");
    if (!hub_only) {
        for (int k = 0; k < runs; k++)
            rate[k] = regs / up_t[k];
        summary("(a) sqlite LWW upsert", rate, runs, "registers/s");
        for (int k = 0; k < runs; k++)
            rate[k] = regs / ses_t[k];
        summary("(b) sqlite session", rate, runs, "registers/s");
        for (int k = 0; k < runs; k++) {
            r1[k] = up_t[k] / hub_t[k];
            r2[k] = ses_t[k] / hub_t[k];
        }
        summary("ratio hub/(a)", r1, runs, "(target >= 0.7)");
        summary("ratio hub/(b)", r2, runs, "(target >= 1.0)");
    }
    for (size_t i = 0; i < chs[0].n; i++) {
        free(chs[0].c[i].env);
        cs_changeset_free(chs[0].cs[i]);
        if (blobs)
            sqlite3_free(blobs[i].p);
    }
    free(blobs);
    free(chs[0].c);
    free(chs[0].cs);
    cs_replica_close(r);
    rm_db(path);
    snprintf(path, sizeof(path), "%s/device.db", dir);
    rm_db(path);
    rmdir(dir);
    cs_key_free(dev);
    cs_key_free(hubk);
    return 0;
}
