/* SPDX-License-Identifier: MIT */
/*
 * Hubs chained (issue 19): a province hub and many commune hubs below it,
 * each commune syncing a day of its cells' changes up to the province
 * (bench/bench_chain.sh serves the province and makes the enrollments;
 * BENCHMARKS.md, section 20).
 *
 * Setup, not measured: every commune hub is made the real way
 * (hub_init_below with its enrollment file of role hub), syncs up once to
 * take its tree from above, enrolls its cells (hub_enroll_create and the
 * one-time secret through hub_peer_admit / hub_peer_commit, as the daemon
 * admits a device, so the device records with their keys go up), and syncs
 * up again. Each cell is a replica of its own, its site its key's id.
 *
 * A day: every cell writes, in local transactions as the client does, two
 * new candidates (tests/common/bulk.c), advances one of an earlier day,
 * adds a member and records a meeting; its live chunks signed by the cell
 * are merged at its commune with hub_peer_merge, the daemon's whole merge
 * path (audit entry and hub_upward row included). The day's plain content is
 * kept per commune: one line per change, "table<TAB>row<TAB>column<TAB>value"
 * (UTF-8 text, integers in decimal, blobs and row ids in hex).
 *
 * Timed: every commune's hub_upstream_sync to the live province (what
 * `cellsyncd upstream sync` runs), one after the other, then on a fresh day
 * by --threads threads at once (each thread its own communes). The
 * province's CPU comes from /proc/PID/stat (utime + stime) around each
 * phase. The bytes a commune sends up are its session's bytes written to
 * the socket (handshake included), against zstd -19 of its day's plain
 * content, and of its cells' signed sets in one frame and cut as the upward
 * chunks cut them (16 KiB) or at 64 KiB. This process's CPU in the same
 * phase (getrusage) is the communes' side.
 *
 * Baseline in the same run: --direct cells of one more commune, enrolled at
 * the province itself, each a device as the client is (device_enroll_save,
 * devsync_run), write the same kind of day and sync it each on its own: the
 * province's CPU and the bytes of one commune's worth of cells sending
 * their day straight up, against one commune hub sending its cells' day.
 */
#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "bulk.h"
#include "cellsync/compress.h"
#include "cellsync/error.h"
#include "cellsync/origin.h"
#include "cellsync/version.h"
#include "devsync.h"
#include "merge_load.h"
#include "upstream.h"

#define MAX_CELLS    512
#define SYNC_TIMEOUT 60

struct cell {
    char org[64];
    struct cs_key *key;
    char path[1300];
    uint64_t after; /* the cell's seq its commune has merged */
    long next;      /* its next candidate's number */
};

struct commune {
    char org[64], state[1200];
    struct hub *h;
    struct cell *cells;
    size_t ncells;
    /* The day waiting to go up: its changes and its plain content. */
    size_t day_changes;
    char *plain;
    size_t plain_len, plain_cap;
    /* The same changes as the cells signed them (cellsync/origin.h), back to back. */
    uint8_t *sets;
    size_t sets_len, sets_cap;
    size_t *ends, nends; /* where each set ends in sets */
    /* Its last timed sync. */
    double sync_s;
    size_t sent_bytes, sent_changes, refused;
    int failed;
};

static const char *addr;
static struct commune *communes;
static int ncommunes, nthreads = 8;
static char dir[1024];
static pid_t province_pid;

/* ---- small things ---- */

static void
die(const char *what, const char *err)
{
    fprintf(stderr, "cs_chain: %s: %s\n", what, err);
    exit(1);
}

static void
must(int ret, const char *what, const char *err)
{
    if (ret != 0)
        die(what, err[0] ? err : cs_strerror(ret));
}

/* The province daemon's CPU time so far, in seconds (utime + stime of /proc/PID/stat). */
static double
province_cpu(void)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)province_pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    /* After the name: state, then fields 4..13, then utime (14) and stime (15). */
    if (p == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        die(path, "cannot read the province's CPU time");
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* This process's CPU time so far, all threads, in seconds (getrusage). */
static double
self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Appends one line of plain content for a change. */
static void
plain_add(struct commune *x, const struct cs_change *c)
{
    char row[2 * CS_ID_LEN + 1], num[32];
    const char *v = "";
    size_t vn = 0;
    char *hex = NULL;
    sodium_bin2hex(row, sizeof(row), c->row.b, CS_ID_LEN);
    switch (c->value.type) {
    case CS_VINT:
        vn = (size_t)snprintf(num, sizeof(num), "%lld", (long long)c->value.i);
        v = num;
        break;
    case CS_VFLOAT:
        vn = (size_t)snprintf(num, sizeof(num), "%.17g", c->value.f);
        v = num;
        break;
    case CS_VTEXT:
        v = c->value.p;
        vn = c->value.n;
        break;
    case CS_VBLOB:
        if ((hex = malloc(2 * c->value.n + 1)) == NULL)
            die("plain", "out of memory");
        sodium_bin2hex(hex, 2 * c->value.n + 1, c->value.p, c->value.n);
        v = hex;
        vn = 2 * c->value.n;
        break;
    default:
        break;
    }
    size_t need = strlen(c->table) + strlen(row) + strlen(c->column) + vn + 4;
    if (x->plain_len + need + 1 > x->plain_cap) {
        x->plain_cap = (x->plain_len + need + 1) * 2;
        if ((x->plain = realloc(x->plain, x->plain_cap)) == NULL)
            die("plain", "out of memory");
    }
    x->plain_len +=
        (size_t)sprintf(x->plain + x->plain_len, "%s\t%s\t%s\t", c->table, row, c->column);
    memcpy(x->plain + x->plain_len, v, vn);
    x->plain_len += vn;
    x->plain[x->plain_len++] = '\n';
    free(hex);
}

static size_t
zstd19(const void *b, size_t len)
{
    uint8_t *z = NULL;
    size_t zlen = 0;
    if (cs_zstd_compress(b, len, 19, 0, &z, &zlen) != 0)
        die("zstd", "cannot compress the day");
    free(z);
    return zlen;
}

/*
 * zstd -19 of x's signed sets in frames of whole sets of about max bytes each (as the upward
 * chunks cut them: the next set goes once max is reached), summed.
 */
static size_t
zstd19_frames(const struct commune *x, size_t max)
{
    size_t total = 0, start = 0;
    for (size_t i = 0; i < x->nends; i++)
        if (x->ends[i] - start >= max || i + 1 == x->nends) {
            total += zstd19(x->sets + start, x->ends[i] - start);
            start = x->ends[i];
        }
    return total;
}

/* Appends the signed sets of a cell's chunks to x->sets. */
static void
sets_add(struct commune *x, const struct cs_key *key, const struct bm_chunks *ch)
{
    for (size_t i = 0; i < ch->n; i++) {
        uint8_t *plain = NULL, *body = NULL;
        size_t len = 0, blen = 0;
        if (cs_changeset_encode(ch->cs[i], &plain, &len) != 0 ||
            cs_origin_sign(key, plain, len, &body, &blen) != 0)
            die("sets", "cannot sign a set");
        if (x->sets_len + blen > x->sets_cap) {
            x->sets_cap = (x->sets_len + blen) * 2;
            if ((x->sets = realloc(x->sets, x->sets_cap)) == NULL)
                die("sets", "out of memory");
        }
        memcpy(x->sets + x->sets_len, body, blen);
        x->sets_len += blen;
        if ((x->ends = realloc(x->ends, (x->nends + 1) * sizeof(*x->ends))) == NULL)
            die("sets", "out of memory");
        x->ends[x->nends++] = x->sets_len;
        free(plain);
        free(body);
    }
}

/* ---- a cell's day ---- */

static void
text(struct cs_replica *r, const char *table, const struct cs_id *row, const char *col,
     const char *v, char *err, size_t errlen)
{
    must(cs_replica_set_text(r, table, row, col, v, err, errlen), col, err);
}

static const char minutes[] =
    "Chi bộ họp thường kỳ, có mặt 18/21 đồng chí. Đánh giá việc gieo cấy vụ xuân và tuần tra "
    "bảo vệ rừng; xem xét hồ sơ quần chúng ưu tú, phân công đảng viên giúp đỡ; nhắc nhở đảng "
    "viên đóng đảng phí đúng hạn. Nghị quyết được biểu quyết tán thành 18/18.";

/* The day `day` of a cell, written into r as the client writes it, one transaction a command. */
static void
cell_day(struct cs_replica *r, struct cell *c, int day)
{
    char err[1024] = "", date[16], name[128], phone[32];
    sqlite3_stmt *st;
    struct cs_id id;
    int have = 0;

    snprintf(date, sizeof(date), "2026-%02d-%02d", 1 + (day / 28) % 12, 1 + day % 28);
    /* Advances the oldest candidate still identified (one of an earlier day). */
    if (sqlite3_prepare_v2(cs_replica_db(r),
                           "SELECT id FROM candidate WHERE stage = 'identified' ORDER BY rowid"
                           " LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        die("candidate", sqlite3_errmsg(cs_replica_db(r)));
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == CS_ID_LEN) {
        memcpy(id.b, sqlite3_column_blob(st, 0), CS_ID_LEN);
        have = 1;
    }
    sqlite3_finalize(st);
    if (have) {
        must(cs_replica_begin(r, err, sizeof(err)), "begin", err);
        text(r, "candidate", &id, "stage", "helper_assigned", err, sizeof(err));
        text(r, "candidate", &id, "helper_on", date, err, sizeof(err));
        must(cs_replica_commit(r, err, sizeof(err)), "commit", err);
    }
    for (int i = 0; i < 2; i++) {
        must(cs_replica_begin(r, err, sizeof(err)), "begin", err);
        must(cs_test_candidate(r, c->org, c->next++, err, sizeof(err)), "candidate", err);
        must(cs_replica_commit(r, err, sizeof(err)), "commit", err);
    }
    cs_id_new(&id);
    snprintf(name, sizeof(name), "Đảng viên %s số %ld", c->org, c->next);
    snprintf(phone, sizeof(phone), "09%08ld", 50000000 + c->next);
    must(cs_replica_begin(r, err, sizeof(err)), "begin", err);
    text(r, "member", &id, "full_name", name, err, sizeof(err));
    text(r, "member", &id, "phone", phone, err, sizeof(err));
    text(r, "member", &id, "org_unit", c->org, err, sizeof(err));
    text(r, "member", &id, "status", "probationary", err, sizeof(err));
    text(r, "member", &id, "ceremony_on", date, err, sizeof(err));
    must(cs_replica_commit(r, err, sizeof(err)), "commit", err);
    cs_id_new(&id);
    must(cs_replica_begin(r, err, sizeof(err)), "begin", err);
    text(r, "meeting", &id, "org_unit", c->org, err, sizeof(err));
    text(r, "meeting", &id, "held_on", date, err, sizeof(err));
    text(r, "meeting", &id, "kind", "regular", err, sizeof(err));
    text(r, "meeting", &id, "agenda", "Đánh giá công việc; phát triển đảng viên", err, sizeof(err));
    text(r, "meeting", &id, "minutes", minutes, err, sizeof(err));
    text(r, "meeting", &id, "resolutions", "Hoàn thiện hồ sơ kết nạp trước cuối tháng", err,
         sizeof(err));
    must(cs_replica_commit(r, err, sizeof(err)), "commit", err);
}

static struct cs_replica *
cell_open(const char *path, const struct cs_key *key, int create)
{
    struct cs_replica *r;
    struct cs_id site;
    char err[1024] = "";
    cs_key_id(key, &site);
    must(cs_replica_open(&r, path, (create ? CS_REPLICA_CREATE : 0) | CS_REPLICA_NO_SEARCH,
                         create ? &site : NULL, err, sizeof(err)),
         path, err);
    /* The cells' side is not what is measured: no search index, no waiting for the disk. */
    sqlite3_exec(cs_replica_db(r), "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    return r;
}

/* The plain lines of a replica's own writes after `after` (its day), into x. */
static void
plain_of(struct cs_replica *r, uint64_t after, struct commune *x)
{
    char err[1024] = "";
    for (;;) {
        struct cs_since_filter f = {.only_origin = cs_replica_site(r)};
        struct cs_changeset *cs;
        must(cs_replica_changes_since(r, after, 1 << 20, &f, &cs, err, sizeof(err)), "changes",
             err);
        size_t n = cs_changeset_count(cs);
        for (size_t i = 0; i < n; i++) {
            struct cs_change ch;
            cs_changeset_get(cs, i, &ch);
            plain_add(x, &ch);
        }
        x->day_changes += n;
        after = cs_changeset_header(cs)->seq_last;
        cs_changeset_free(cs);
        if (n == 0 || after >= cs_replica_seq(r))
            break;
    }
}

/* ---- the communes ---- */

/* Admits a cell at its commune as the daemon does (the hello, then the proof). */
static void
admit(struct hub *h, const struct cs_key *key, const struct cs_hello *hello, struct hub_peer *p)
{
    struct cs_welcome w;
    char msg[256] = "";
    if (hub_peer_admit(h, cs_key_pk(key), hello, p, &w) != CS_WELCOME_OK)
        die("admit", w.message);
    if (hub_peer_commit(h, p, msg, sizeof(msg)) != CS_WELCOME_OK)
        die("admit", msg);
}

static void
up_once(struct commune *x, const char *what)
{
    struct devsync_result res;
    char err[1024] = "";
    int ret = hub_upstream_sync(x->h, addr, SYNC_TIMEOUT, NULL, &res, err, sizeof(err));
    device_refusals_release(&res.refusals);
    if (ret != 0 || res.t.refused != 0) {
        char m[1200];
        snprintf(m, sizeof(m), "%s (%zu refused)", err, res.t.refused);
        die(what, m);
    }
}

static void
commune_setup(struct commune *x, int cells)
{
    char err[1024] = "", enroll[PATH_MAX], path[PATH_MAX];
    sqlite3_stmt *st;

    snprintf(enroll, sizeof(enroll), "%s/enroll/%s.enroll", dir, x->org);
    snprintf(x->state, sizeof(x->state), "%s/x/%s", dir, x->org);
    must(hub_init_below(x->state, enroll, err, sizeof(err)), enroll, err);
    must(hub_open(&x->h, x->state, err, sizeof(err)), x->state, err);
    up_once(x, "the first sync up (the tree from above)");
    sqlite3 *db = cs_replica_db(hub_replica(x->h));
    sqlite3_exec(db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    if (sqlite3_prepare_v2(db, "SELECT code FROM org_unit WHERE level = 'cell' ORDER BY code", -1,
                           &st, NULL) != SQLITE_OK)
        die(x->org, sqlite3_errmsg(db));
    x->cells = calloc(MAX_CELLS, sizeof(*x->cells));
    while (x->ncells < (size_t)cells && sqlite3_step(st) == SQLITE_ROW)
        snprintf(x->cells[x->ncells++].org, sizeof(x->cells[0].org), "%s",
                 (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (x->ncells == 0)
        die(x->org, "no cells came down from the province");
    for (size_t i = 0; i < x->ncells; i++) {
        struct cell *c = &x->cells[i];
        struct cs_enrollment e;
        struct cs_hello hello = {.has_secret = 1};
        struct hub_peer p;
        if (cs_key_generate(&c->key) != 0)
            die(c->org, "cannot make a key");
        snprintf(path, sizeof(path), "%s/%s.enroll", x->state, c->org);
        must(hub_enroll_create(x->h, c->org, HUB_ROLE_CELL, c->org, "bench:1",
                               HUB_ENROLL_TTL_DEFAULT, path, NULL, 0, NULL, err, sizeof(err)),
             c->org, err);
        must(cs_enrollment_read(path, &e, err, sizeof(err)), path, err);
        unlink(path);
        memcpy(hello.secret, e.secret, sizeof(hello.secret));
        snprintf(hello.name, sizeof(hello.name), "%s", c->org);
        sodium_memzero(&e, sizeof(e));
        admit(x->h, c->key, &hello, &p);
        hub_peer_release(&p);
        snprintf(c->path, sizeof(c->path), "%s/%s.db", x->state, c->org);
        cs_replica_close(cell_open(c->path, c->key, 1));
    }
    /* The cells' device records go up before the first day (they do once, at enrollment). */
    up_once(x, "the sync up after the cells' enrollment");
    sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
}

/* The day `day` of every cell of x, merged at x; its plain content kept. */
static void
commune_day(struct commune *x, int day)
{
    sqlite3 *db = cs_replica_db(hub_replica(x->h));
    x->day_changes = x->plain_len = x->sets_len = x->nends = 0;
    sqlite3_exec(db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    for (size_t i = 0; i < x->ncells; i++) {
        struct cell *c = &x->cells[i];
        struct cs_replica *r = cell_open(c->path, c->key, 0);
        struct bm_chunks ch;
        struct hub_peer p;
        struct cs_hello hello = {0};
        cell_day(r, c, day);
        plain_of(r, c->after, x);
        bm_make_chunks(r, c->key, NULL, c->after, 0, 0, &ch);
        sets_add(x, c->key, &ch);
        admit(x->h, c->key, &hello, &p);
        bm_hub_merge(x->h, &p, &ch);
        hub_peer_release(&p);
        c->after = ch.seq_last;
        bm_chunks_free(&ch);
        cs_replica_close(r);
    }
    /* As the daemon runs its replica (group commit), for the timed sync. */
    sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
}

static void
commune_sync(struct commune *x)
{
    struct devsync_result res;
    char err[1024] = "";
    double t0 = bm_now();
    int ret = hub_upstream_sync(x->h, addr, SYNC_TIMEOUT, NULL, &res, err, sizeof(err));
    x->sync_s = bm_now() - t0;
    x->sent_bytes = res.t.sent_bytes;
    x->sent_changes = res.t.sent_changes;
    x->refused = res.t.refused;
    x->failed = ret != 0;
    device_refusals_release(&res.refusals);
    if (ret != 0)
        fprintf(stderr, "cs_chain: %s: sync up: %s\n", x->org, err);
}

/* ---- threads: each takes the communes i with i % nthreads == its number ---- */

enum job { JOB_SETUP, JOB_DAY, JOB_SYNC };
struct worker {
    pthread_t t;
    int n, arg;
    enum job job;
    pthread_barrier_t *start;
};

static void *
work(void *ud)
{
    struct worker *w = ud;
    if (w->start != NULL)
        pthread_barrier_wait(w->start);
    for (int i = w->n; i < ncommunes; i += nthreads) {
        if (w->job == JOB_SETUP)
            commune_setup(&communes[i], w->arg);
        else if (w->job == JOB_DAY)
            commune_day(&communes[i], w->arg);
        else
            commune_sync(&communes[i]);
    }
    return NULL;
}

/* Runs job over every commune on nthreads threads; the wall seconds from their common start. */
static double
run_all(enum job job, int arg)
{
    struct worker *w = calloc((size_t)nthreads, sizeof(*w));
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
    for (int i = 0; i < nthreads; i++) {
        w[i] = (struct worker){.n = i, .arg = arg, .job = job, .start = &start};
        if (pthread_create(&w[i].t, NULL, work, &w[i]) != 0)
            die("threads", "cannot start one");
    }
    pthread_barrier_wait(&start);
    double t0 = bm_now();
    for (int i = 0; i < nthreads; i++)
        pthread_join(w[i].t, NULL);
    double dt = bm_now() - t0;
    pthread_barrier_destroy(&start);
    free(w);
    return dt;
}

/* ---- the baseline: the cells of one commune enrolled at the province, each syncing itself ---- */

struct direct {
    struct cell c;
    struct cs_replica *r;
    struct device d;
};
static struct direct *direct;
static size_t ndirect;
static struct commune direct_x; /* their day's plain content */

static int
direct_sync(struct direct *dc, struct devsync_result *res)
{
    char err[1024] = "";
    struct devsync_opts o = {.addr = addr, .timeout = SYNC_TIMEOUT};
    int ret = devsync_run(dc->r, &dc->d, &o, res, err, sizeof(err));
    device_refusals_release(&res->refusals);
    if (ret != 0)
        fprintf(stderr, "cs_chain: %s: sync: %s\n", dc->c.org, err);
    return ret;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static void
direct_setup(size_t want)
{
    char err[1024] = "", path[PATH_MAX], hex[2 * CS_PK_LEN + 1];
    struct dirent **names;
    char edir[1100];
    snprintf(edir, sizeof(edir), "%s/enroll", dir);
    int n = scandir(edir, &names, NULL, by_name);
    if (n < 0)
        die(edir, "cannot list the enrollments");
    direct = calloc(want, sizeof(*direct));
    snprintf(path, sizeof(path), "%s/direct", dir);
    mkdir(path, 0700);
    for (int i = 0; i < n; i++) {
        if (ndirect < want && strncmp(names[i]->d_name, "direct-", 7) == 0) {
            struct direct *dc = &direct[ndirect++];
            struct cs_enrollment e;
            struct devsync_result res;
            snprintf(path, sizeof(path), "%s/%s", edir, names[i]->d_name);
            must(cs_enrollment_read(path, &e, err, sizeof(err)), path, err);
            snprintf(dc->c.org, sizeof(dc->c.org), "%s", e.org);
            if (cs_key_generate(&dc->c.key) != 0)
                die(e.org, "cannot make a key");
            snprintf(path, sizeof(path), "%s/direct/%s.key", dir, e.org);
            must(cs_key_save(dc->c.key, path, err, sizeof(err)), path, err);
            snprintf(dc->c.path, sizeof(dc->c.path), "%s/direct/%s.db", dir, e.org);
            dc->r = cell_open(dc->c.path, dc->c.key, 1);
            sodium_bin2hex(hex, sizeof(hex), e.hub_pk, CS_PK_LEN);
            must(device_enroll_save(dc->r, &e, hex, NULL, err, sizeof(err)), "enroll", err);
            must(device_open(&dc->d, dc->r, path, NULL, err, sizeof(err)), path, err);
            if (direct_sync(dc, &res) != 0)
                exit(1);
        }
        free(names[i]);
    }
    free(names);
    if (ndirect < want)
        fprintf(stderr, "cs_chain: only %zu direct cells enrolled (of %zu)\n", ndirect, want);
}

/* One run of the baseline: each cell's day, then each cell syncs it, one after the other. */
struct direct_run {
    double cpu_s, wall_s;
    size_t bytes, changes, zstd, plain;
    int failed;
};

static void
direct_day(int day, struct direct_run *out)
{
    memset(out, 0, sizeof(*out));
    direct_x.day_changes = direct_x.plain_len = 0;
    for (size_t i = 0; i < ndirect; i++) {
        cell_day(direct[i].r, &direct[i].c, day);
        plain_of(direct[i].r, direct[i].c.after, &direct_x);
        direct[i].c.after = cs_replica_seq(direct[i].r);
    }
    double c0 = province_cpu(), t0 = bm_now();
    for (size_t i = 0; i < ndirect; i++) {
        struct devsync_result res;
        out->failed += direct_sync(&direct[i], &res) != 0;
        out->bytes += res.t.sent_bytes;
        out->changes += res.t.sent_changes;
        out->failed += res.t.refused != 0;
    }
    out->wall_s = bm_now() - t0;
    out->cpu_s = province_cpu() - c0;
    out->plain = direct_x.plain_len;
    out->zstd = zstd19(direct_x.plain, direct_x.plain_len);
}

/* ---- the runs ---- */

struct phase {
    double syncs_per_s, cpu_ms_per_sync, p50_ms, up_bytes, zstd_bytes, ratio, sets_zstd, sets_16k,
        sets_64k, gen_s;
    double self_ms_per_sync; /* this process's CPU (the communes' side) */
    size_t changes, plain;
    int failed;
};

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One day merged at every commune, then every commune syncs up, `threads` at a time. */
static void
chain_phase(int day, int threads, struct phase *ph)
{
    nthreads = threads > 2 ? 2 : threads; /* the day is made on this machine's 2 cores */
    memset(ph, 0, sizeof(*ph));
    ph->gen_s = run_all(JOB_DAY, day);
    size_t want = 0, zsum = 0, ssum = 0, s16 = 0, s64 = 0, bytes = 0;
    for (int i = 0; i < ncommunes; i++) {
        struct commune *x = &communes[i];
        want += x->day_changes;
        ph->plain += x->plain_len;
        zsum += zstd19(x->plain, x->plain_len);
        ssum += zstd19(x->sets, x->sets_len);
        s16 += zstd19_frames(x, CS_SYNC_CHUNK);
        s64 += zstd19_frames(x, 4 * CS_SYNC_CHUNK);
    }
    nthreads = threads;
    double c0 = province_cpu(), s0 = self_cpu();
    double wall = run_all(JOB_SYNC, 0);
    double cpu = province_cpu() - c0;
    ph->self_ms_per_sync = (self_cpu() - s0) * 1e3 / ncommunes;
    double *lat = calloc((size_t)ncommunes, sizeof(double));
    for (int i = 0; i < ncommunes; i++) {
        struct commune *x = &communes[i];
        ph->failed += x->failed || x->refused != 0 || x->sent_changes != x->day_changes;
        ph->changes += x->sent_changes;
        bytes += x->sent_bytes;
        lat[i] = x->sync_s * 1e3;
    }
    qsort(lat, (size_t)ncommunes, sizeof(double), cmp_double);
    ph->p50_ms = lat[ncommunes / 2];
    free(lat);
    ph->syncs_per_s = ncommunes / wall;
    ph->cpu_ms_per_sync = cpu * 1e3 / ncommunes;
    ph->up_bytes = (double)bytes / ncommunes;
    ph->zstd_bytes = (double)zsum / ncommunes;
    ph->ratio = (double)bytes / (double)zsum;
    ph->sets_zstd = (double)ssum / ncommunes;
    ph->sets_16k = (double)s16 / ncommunes;
    ph->sets_64k = (double)s64 / ncommunes;
    if (want != ph->changes)
        fprintf(stderr, "cs_chain: %zu changes merged at the communes, %zu sent up\n", want,
                ph->changes);
}

static void
summary(const char *name, double *v, int n, const char *unit)
{
    bm_summary(name, v, n, unit);
}

int
main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"province", required_argument, NULL, 'a'},
        {"pid", required_argument, NULL, 'p'},
        {"dir", required_argument, NULL, 'd'},
        {"communes", required_argument, NULL, 'x'},
        {"cells", required_argument, NULL, 'c'},
        {"runs", required_argument, NULL, 'r'},
        {"threads", required_argument, NULL, 't'},
        {"direct", required_argument, NULL, 'D'},
        {NULL, 0, NULL, 0},
    };
    int cells = 60, runs = 5, threads = 8, ndirect_want = -1, ch;
    const char *d = NULL;
    bm_prog = "cs_chain";
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'a':
            addr = optarg;
            break;
        case 'p':
            province_pid = (pid_t)atol(optarg);
            break;
        case 'd':
            d = optarg;
            break;
        case 'x':
            ncommunes = atoi(optarg);
            break;
        case 'c':
            cells = atoi(optarg);
            break;
        case 'r':
            runs = atoi(optarg);
            break;
        case 't':
            threads = atoi(optarg);
            break;
        case 'D':
            ndirect_want = atoi(optarg);
            break;
        default:
            goto usage;
        }
    }
    if (optind != argc || addr == NULL || province_pid <= 0 || d == NULL || ncommunes <= 0 ||
        cells <= 0 || cells > MAX_CELLS || runs <= 0 || runs > BM_MAX_RUNS || threads <= 0)
        goto usage;
    if (ndirect_want < 0)
        ndirect_want = cells;
    if (strlen(d) >= sizeof(dir) - 100)
        die(d, "path too long");
    snprintf(dir, sizeof(dir), "%s", d);
    signal(SIGPIPE, SIG_IGN);
    if (cs_init() != 0)
        die("init", "cannot start");
    province_cpu(); /* the pid is readable */
    char x[PATH_MAX + 8];
    snprintf(x, sizeof(x), "%s/x", dir);
    mkdir(x, 0700);

    communes = calloc((size_t)ncommunes, sizeof(*communes));
    for (int i = 0; i < ncommunes; i++)
        snprintf(communes[i].org, sizeof(communes[i].org), "XA-%03d", i + 1);
    double t0 = bm_now();
    nthreads = 2;
    run_all(JOB_SETUP, cells);
    direct_setup((size_t)ndirect_want);
    printf("setup_s=%.1f communes=%d cells_per_commune=%zu direct_cells=%zu threads=%d\n",
           bm_now() - t0, ncommunes, communes[0].ncells, ndirect, threads);

    double v[10][BM_MAX_RUNS];
    int failed = 0, day = 1;
    for (int r = 0; r < runs; r++) {
        struct phase seq, par;
        struct direct_run dr;
        char load[64] = "?";
        FILE *f = fopen("/proc/loadavg", "r");
        if (f != NULL) {
            if (fgets(load, sizeof(load), f) != NULL)
                load[strcspn(load, " \n")] = 0;
            fclose(f);
        }
        chain_phase(day++, 1, &seq);
        chain_phase(day++, threads, &par);
        direct_day(day++, &dr);
        double dcpu = dr.cpu_s * 1e3;
        printf("run=%d load1=%s seq_syncs_per_s=%.1f seq_p50_ms=%.1f seq_cpu_ms_per_sync=%.2f "
               "seq_commune_cpu_ms=%.2f"
               " par_syncs_per_s=%.1f par_p50_ms=%.1f par_cpu_ms_per_sync=%.2f"
               " changes_per_commune=%.0f plain_per_commune=%.0f up_bytes=%.0f zstd_bytes=%.0f"
               " up_over_zstd=%.3f sets_zstd_bytes=%.0f sets_zstd_16k=%.0f sets_zstd_64k=%.0f "
               "day_gen_s=%.1f direct_cells=%zu "
               "direct_cpu_ms=%.2f direct_bytes=%zu"
               " direct_zstd=%zu direct_over_zstd=%.3f direct_syncs_per_s=%.1f"
               " cpu_commune_over_direct=%.3f bytes_commune_over_direct=%.3f failed=%d\n",
               r + 1, load, seq.syncs_per_s, seq.p50_ms, seq.cpu_ms_per_sync, seq.self_ms_per_sync,
               par.syncs_per_s, par.p50_ms, par.cpu_ms_per_sync, (double)seq.changes / ncommunes,
               (double)seq.plain / ncommunes, seq.up_bytes, seq.zstd_bytes, seq.ratio,
               seq.sets_zstd, seq.sets_16k, seq.sets_64k, seq.gen_s + par.gen_s, ndirect, dcpu,
               dr.bytes, dr.zstd, (double)dr.bytes / (double)dr.zstd, ndirect / dr.wall_s,
               dcpu > 0 ? seq.cpu_ms_per_sync / dcpu : 0, (double)seq.up_bytes / (double)dr.bytes,
               seq.failed + par.failed + dr.failed);
        fflush(stdout);
        v[0][r] = seq.syncs_per_s;
        v[1][r] = par.syncs_per_s;
        v[2][r] = seq.cpu_ms_per_sync;
        v[3][r] = par.cpu_ms_per_sync;
        v[4][r] = seq.ratio;
        v[5][r] = dcpu;
        v[6][r] = (double)dr.bytes / (double)dr.zstd;
        v[7][r] = dcpu > 0 ? seq.cpu_ms_per_sync / dcpu : 0;
        v[8][r] = (double)seq.up_bytes / (double)dr.bytes;
        v[9][r] = seq.self_ms_per_sync;
        failed += seq.failed + par.failed + dr.failed;
    }
    printf("median [min..max] over %d runs:\n", runs);
    summary("syncs/s, sequential", v[0], runs, "syncs/s");
    summary("syncs/s, parallel", v[1], runs, "syncs/s");
    summary("prov CPU/sync, seq", v[2], runs, "ms");
    summary("prov CPU/sync, par", v[3], runs, "ms");
    summary("commune CPU/sync, seq", v[9], runs, "ms (the communes' side, this process)");
    summary("up bytes / zstd -19", v[4], runs, "x");
    summary("direct: prov CPU", v[5], runs, "ms (a commune's cells, each its own sync)");
    summary("direct bytes / zstd", v[6], runs, "x");
    summary("CPU commune/direct", v[7], runs, "x");
    summary("bytes commune/direct", v[8], runs, "x");
    for (int i = 0; i < ncommunes; i++) {
        hub_close(communes[i].h);
        for (size_t k = 0; k < communes[i].ncells; k++)
            cs_key_free(communes[i].cells[k].key);
        free(communes[i].cells);
        free(communes[i].plain);
        free(communes[i].sets);
        free(communes[i].ends);
    }
    free(communes);
    for (size_t i = 0; i < ndirect; i++) {
        device_release(&direct[i].d);
        cs_replica_close(direct[i].r);
        cs_key_free(direct[i].c.key);
    }
    free(direct);
    free(direct_x.plain);
    if (failed)
        printf("cs_chain: %d syncs FAILED or fell short (see the lines above)\n", failed);
    return failed ? 1 : 0;
usage:
    fprintf(stderr, "usage: cs_chain --province HOST:PORT --pid PID --dir DIR --communes N\n"
                    "  [--cells M] [--runs R] [--threads T] [--direct D]\n");
    return 2;
}
