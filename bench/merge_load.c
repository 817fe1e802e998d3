/* SPDX-License-Identifier: MIT */
/* The merge load shared by bench_merge and bench_growth: see merge_load.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bulk.h"
#include "cellsync/compress.h"
#include "cellsync/envelope.h"
#include "cellsync/error.h"
#include "cellsync/origin.h"
#include "internal.h" /* cs__envelope_seal_raw: an envelope whose body is a frame of any level */
#include "merge_load.h"

#define PER_TX 10 /* candidates per local transaction on the device */

char bm_err[1024];
const char *bm_prog = "bench";

void
bm_die(const char *what, int ret)
{
    fprintf(stderr, "%s: %s: %s\n", bm_prog, what, bm_err[0] ? bm_err : cs_strerror(ret));
    exit(1);
}

void
bm_die_sql(sqlite3 *db, const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", bm_prog, what, sqlite3_errmsg(db));
    exit(1);
}

void
bm_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "%s: %s: %s\n", bm_prog, sql, msg ? msg : "?");
        exit(1);
    }
}

int64_t
bm_pragma_int(sqlite3 *db, const char *sql)
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

double
bm_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
bm_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t
bm_cache_misses(sqlite3 *db)
{
    int cur = 0, hi = 0;
    if (sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &hi, 0) != SQLITE_OK)
        return -1;
    return cur;
}

void
bm_rm_db(const char *path)
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

void
bm_summary(const char *name, const double *v, int n, const char *unit)
{
    double s[BM_MAX_RUNS];
    memcpy(s, v, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    double med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    printf("  %-22s median %12.3f  min %12.3f  max %12.3f %s\n", name, med, s[0], s[n - 1], unit);
}

/* ---- the device side: registers and chunks ---- */

void
bm_fill_device(struct cs_replica *r, long first, long count)
{
    long end = first + count;
    for (long i = first; i < end; i += PER_TX) {
        int ret;
        if ((ret = cs_replica_begin(r, bm_err, sizeof(bm_err))) != 0)
            bm_die("begin", ret);
        for (long k = i; k < end && k < i + PER_TX; k++)
            if ((ret = cs_test_candidate(r, "CB-01", k, bm_err, sizeof(bm_err))) != 0)
                bm_die("candidate", ret);
        if ((ret = cs_replica_commit(r, bm_err, sizeof(bm_err))) != 0)
            bm_die("commit", ret);
    }
}

/*
 * One chunk of the device's own writes after `after`, sealed to hub_pk (NULL:
 * a live chunk, as a session sends it), and
 * its change set: cs_sync_make_chunk's steps (sync.c) with the set kept, so
 * the device is read once. zstd_level 0: sealed as the device does
 * (cs_sync_seal); else the same envelope with its body a zstd frame of that
 * level (the hub opens any level alike).
 */
static void
make_chunk(struct cs_replica *r, const struct cs_key *dev, const uint8_t hub_pk[CS_PK_LEN],
           uint64_t after, int zstd_level, struct cs_chunk *c, struct cs_changeset **cs)
{
    struct cs_since_filter f = {.only_origin = cs_replica_site(r)};
    uint8_t *plain = NULL, *body = NULL, *packed = NULL;
    size_t plainlen, bodylen = 0, packedlen = 0;
    int ret;
    memset(c, 0, sizeof(*c));
    if ((ret = cs_replica_changes_since(r, after, CS_SYNC_CHUNK, &f, cs, bm_err, sizeof(bm_err))) !=
        0)
        bm_die("changes", ret);
    struct cs_id signer;
    cs_pk_id(cs_key_pk(dev), &signer);
    cs_changeset_set_origin(*cs, &signer);
    const struct cs_changeset_header *h = cs_changeset_header(*cs);
    c->seq_first = h->seq_first;
    c->seq_last = h->seq_last;
    c->changes = cs_changeset_count(*cs);
    c->last = h->seq_last >= cs_replica_seq(r);
    if (c->changes == 0)
        return;
    if ((ret = cs_changeset_encode(*cs, &plain, &plainlen)) != 0)
        bm_die("encode", ret);
    if (zstd_level == 0 || hub_pk == NULL)
        ret = cs_sync_seal(dev, hub_pk, h->seq_first, h->seq_last, plain, plainlen, NULL, 0,
                           &c->env, &c->envlen);
    else if ((ret = cs_origin_sign(dev, plain, plainlen, &body, &bodylen)) == 0) {
        /* As the envelope does: the frame only when it shrinks the body. */
        int z = cs_zstd_compress(body, bodylen, zstd_level, bodylen - 1, &packed, &packedlen);
        ret = cs__envelope_seal_raw(dev, hub_pk, h->seq_first, h->seq_last,
                                    z == 0 ? CS_ENVELOPE_F_ZSTD : 0, (uint32_t)bodylen,
                                    z == 0 ? packed : body, z == 0 ? packedlen : bodylen, &c->env,
                                    &c->envlen);
    }
    free(plain);
    free(body);
    free(packed);
    if (ret != 0)
        bm_die("seal", ret);
}

void
bm_make_chunks(struct cs_replica *r, const struct cs_key *dev, const uint8_t hub_pk[CS_PK_LEN],
               uint64_t after, size_t upto, int zstd_level, struct bm_chunks *out)
{
    memset(out, 0, sizeof(*out));
    out->seq_last = after;
    out->live = hub_pk == NULL;
    if (out->live && zstd_level != 0) {
        fprintf(stderr, "%s: live chunks are compressed as a device does (zstd level 0)\n",
                bm_prog);
        exit(1);
    }
    while (upto == 0 || out->regs < upto) {
        struct cs_chunk c;
        struct cs_changeset *cs;
        make_chunk(r, dev, hub_pk, after, zstd_level, &c, &cs);
        if (c.changes == 0) {
            cs_changeset_free(cs);
            break;
        }
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 64;
            out->c = realloc(out->c, out->cap * sizeof(*out->c));
            out->cs = realloc(out->cs, out->cap * sizeof(*out->cs));
            if (out->c == NULL || out->cs == NULL)
                bm_die("memory", CS_ENOMEM);
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
        after = out->seq_last = c.seq_last;
        if (c.last)
            break;
    }
}

void
bm_chunks_free(struct bm_chunks *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->c[i].env);
        cs_changeset_free(c->cs[i]);
    }
    free(c->c);
    free(c->cs);
    memset(c, 0, sizeof(*c));
}

/* ---- the hub ---- */

void
bm_enroll(struct hub *h, const struct cs_key *dev, const char *org)
{
    sqlite3 *db = cs_replica_db(hub_replica(h));
    sqlite3_stmt *st;
    struct cs_id id;
    cs_pk_id(cs_key_pk(dev), &id);
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO hub_device (id, pk, org, role, name, enrolled_at,"
                           " last_contact, revoked_at, up_seq, down_seq)"
                           " VALUES (?1, ?2, ?3, 'cell', 'bench', 1, 0, 0, 0, 0)",
                           -1, &st, NULL) != SQLITE_OK)
        bm_die_sql(db, "device");
    sqlite3_bind_blob(st, 1, id.b, sizeof(id.b), SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, cs_key_pk(dev), CS_PK_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, org, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        bm_die_sql(db, "device");
    sqlite3_finalize(st);
}

void
bm_make_hub(const char *state, const char *more_units, const struct cs_key *dev,
            uint8_t hub_pk[CS_PK_LEN])
{
    char csv[2 * PATH_MAX];
    snprintf(csv, sizeof(csv), "%s.csv", state);
    FILE *f = fopen(csv, "w");
    if (f == NULL ||
        fputs("id,parent,level,kind,name\n"
              "XA-ML,,commune,commune,\"Đảng bộ xã Mường Lý\"\n"
              "CB-01,XA-ML,cell,village,\"Chi bộ bản Khe Ván\"\n",
              f) < 0 ||
        (more_units != NULL && fputs(more_units, f) < 0) || fclose(f) != 0)
        bm_die(csv, -1);
    int ret = hub_init(state, csv, bm_err, sizeof(bm_err));
    unlink(csv);
    if (ret != 0)
        bm_die("hub init", ret);
    struct hub *h;
    if ((ret = hub_open(&h, state, bm_err, sizeof(bm_err))) != 0)
        bm_die("hub open", ret);
    bm_enroll(h, dev, "CB-01");
    memcpy(hub_pk, cs_key_pk(hub_key(h)), CS_PK_LEN);
    hub_close(h);
}

void
bm_open_hub(const char *state, const struct cs_key *dev, int normal_sync, struct hub **h,
            struct hub_peer *p)
{
    int ret;
    struct cs_id id;
    if ((ret = hub_open(h, state, bm_err, sizeof(bm_err))) != 0)
        bm_die("hub open", ret);
    if (normal_sync)
        bm_exec(cs_replica_db(hub_replica(*h)), "PRAGMA synchronous = NORMAL");
    memset(p, 0, sizeof(*p));
    cs_pk_id(cs_key_pk(dev), &id);
    if ((ret = hub_device_get(*h, &id, &p->dev)) != 0 ||
        (ret = hub_scope_load(*h, "CB-01", &p->scope)) != 0)
        bm_die("peer", ret);
}

void
bm_rm_hub(const char *state)
{
    char p[2 * PATH_MAX];
    snprintf(p, sizeof(p), "%s/" HUB_REPLICA, state);
    bm_rm_db(p);
    snprintf(p, sizeof(p), "%s/" HUB_KEY, state);
    unlink(p);
    snprintf(p, sizeof(p), "%s/" HUB_PUB, state);
    unlink(p);
    rmdir(state);
}

double
bm_hub_merge(struct hub *h, struct hub_peer *p, const struct bm_chunks *c)
{
    size_t applied = 0;
    int ret;
    double t0 = bm_now();
    for (size_t i = 0; i < c->n; i++) {
        struct hub_merge m;
        if ((ret = hub_peer_merge(h, p, c->c[i].env, c->c[i].envlen, c->live, &m, bm_err,
                                  sizeof(bm_err))) != 0)
            bm_die("hub_peer_merge", ret);
        if (m.st.refused != 0) {
            fprintf(stderr, "%s: the hub refused %zu changes\n", bm_prog, m.st.refused);
            exit(1);
        }
        applied += m.st.applied;
        hub_merge_release(&m);
    }
    double dt = bm_now() - t0;
    if (applied != c->regs) {
        fprintf(stderr, "%s: the hub applied %zu of %zu\n", bm_prog, applied, c->regs);
        exit(1);
    }
    return dt;
}

/* ---- the baselines' register table ---- */

const char bm_reg_schema[] =
    "CREATE TABLE reg (tbl TEXT NOT NULL, row BLOB NOT NULL, col TEXT NOT NULL, val,"
    " hlc INTEGER NOT NULL, origin BLOB NOT NULL, PRIMARY KEY (tbl, row, col))";

sqlite3 *
bm_open_reg(const char *path)
{
    sqlite3 *db;
    bm_rm_db(path);
    if (sqlite3_open(path, &db) != SQLITE_OK)
        bm_die_sql(db, path);
    bm_exec(db, "PRAGMA journal_mode=WAL");
    bm_exec(db, "PRAGMA synchronous=NORMAL");
    bm_exec(db, bm_reg_schema);
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

void
bm_bind_change(sqlite3_stmt *st, const struct cs_change *c)
{
    sqlite3_bind_text(st, 1, c->table, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, c->row.b, sizeof(c->row.b), SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->column, -1, SQLITE_STATIC);
    bind_value(st, 4, &c->value);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)c->hlc);
    sqlite3_bind_blob(st, 6, c->origin.b, sizeof(c->origin.b), SQLITE_STATIC);
}

void
bm_upsert_open(struct bm_upsert *u, const char *path)
{
    u->db = bm_open_reg(path);
    if (sqlite3_prepare_v2(u->db,
                           "INSERT INTO reg (tbl, row, col, val, hlc, origin)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                           " ON CONFLICT (tbl, row, col) DO UPDATE SET val = excluded.val,"
                           " hlc = excluded.hlc, origin = excluded.origin"
                           " WHERE excluded.hlc > reg.hlc",
                           -1, &u->st, NULL) != SQLITE_OK)
        bm_die_sql(u->db, "upsert");
}

double
bm_upsert_apply(struct bm_upsert *u, const struct bm_chunks *c)
{
    double t0 = bm_now();
    for (size_t k = 0; k < c->n; k++) {
        bm_exec(u->db, "BEGIN IMMEDIATE");
        for (size_t i = 0; i < cs_changeset_count(c->cs[k]); i++) {
            struct cs_change ch;
            cs_changeset_get(c->cs[k], i, &ch);
            bm_bind_change(u->st, &ch);
            if (sqlite3_step(u->st) != SQLITE_DONE)
                bm_die_sql(u->db, "upsert");
            sqlite3_reset(u->st);
        }
        bm_exec(u->db, "COMMIT");
    }
    return bm_now() - t0;
}

void
bm_upsert_close(struct bm_upsert *u, const char *path)
{
    sqlite3_finalize(u->st);
    sqlite3_close(u->db);
    bm_rm_db(path);
    memset(u, 0, sizeof(*u));
}

/* ---- sizes ---- */

static int64_t
file_size(const char *path, const char *suffix)
{
    char p[PATH_MAX + 8];
    struct stat sb;
    snprintf(p, sizeof(p), "%.*s%s", PATH_MAX - 1, path, suffix);
    return stat(p, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

void
bm_db_size(sqlite3 *db, const char *path, struct bm_size *s)
{
    memset(s, 0, sizeof(*s));
    s->wal_before = file_size(path, "-wal");
    bm_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    s->file = file_size(path, "");
    s->wal = file_size(path, "-wal");
    s->used =
        (bm_pragma_int(db, "PRAGMA page_count") - bm_pragma_int(db, "PRAGMA freelist_count")) *
        bm_pragma_int(db, "PRAGMA page_size");
    s->data = s->meta = -1;
    sqlite3_stmt *st;
    /* The b-tree's table: the sync's own (cs_*, hub_*) or the schema are metadata. */
    if (sqlite3_prepare_v2(db,
                           "SELECT d.name, coalesce(m.tbl_name, d.name), count(*), sum(d.pgsize),"
                           " sum(d.payload) FROM dbstat AS d LEFT JOIN sqlite_schema AS m"
                           " ON m.name = d.name GROUP BY d.name ORDER BY sum(d.pgsize) DESC",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    s->data = s->meta = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *table = (const char *)sqlite3_column_text(st, 1);
        int64_t bytes = sqlite3_column_int64(st, 3);
        int meta = strncmp(table, "cs_", 3) == 0 || strncmp(table, "hub_", 4) == 0 ||
                   strcmp(table, "sqlite_schema") == 0 || strcmp(table, "sqlite_master") == 0;
        if (meta)
            s->meta += bytes;
        else
            s->data += bytes;
        if (s->nbt < BM_MAX_BTREES) {
            struct bm_btree *b = &s->bt[s->nbt++];
            snprintf(b->name, sizeof(b->name), "%s", (const char *)sqlite3_column_text(st, 0));
            snprintf(b->table, sizeof(b->table), "%s", table);
            b->pages = sqlite3_column_int64(st, 2);
            b->bytes = bytes;
            b->payload = sqlite3_column_int64(st, 4);
            b->meta = meta;
        }
    }
    sqlite3_finalize(st);
}

void
bm_size_print(const struct bm_size *s, size_t regs, size_t value_bytes, int64_t min_bytes)
{
    double n = (double)regs;
    printf("  database: file %.1f MiB + WAL %.1f MiB after checkpoint (WAL before %.1f MiB);"
           " %.1f bytes/register in use\n",
           s->file / 1048576.0, s->wal / 1048576.0, s->wal_before / 1048576.0, s->used / n);
    if (s->data < 0) {
        printf("  (no dbstat in this SQLite: by-table sizes not available)\n");
        return;
    }
    printf("  values %.1f bytes/register; domain data (tables with their indexes) %.1f;"
           " sync metadata (cs_*, hub_*) %.1f = %.2fx the domain data, %.2fx the values\n",
           value_bytes / n, s->data / n, s->meta / n, (double)s->meta / (double)s->data,
           (double)s->meta / (double)value_bytes);
    printf("  %-30s %-6s %10s %14s %14s %9s\n", "b-tree", "kind", "pages", "bytes", "payload",
           "B/reg");
    for (int i = 0; i < s->nbt; i++) {
        const struct bm_btree *b = &s->bt[i];
        if (b->bytes < min_bytes)
            continue;
        printf("  %-30s %-6s %10lld %14lld %14lld %9.1f\n", b->name, b->meta ? "meta" : "data",
               (long long)b->pages, (long long)b->bytes, (long long)b->payload, b->bytes / n);
    }
}
