/* SPDX-License-Identifier: MIT */
/*
 * How the hub's merge cost and database size grow with the work (issue 8,
 * figure 7). One device's candidates (the load of bench_merge, merge_load.c:
 * 7 Vietnamese text registers each, local transactions of 10, ~16 KiB sealed
 * chunks) are merged into ONE hub incrementally, batch after batch, and at
 * each checkpoint (10k, 100k, 1M, ... registers) it prints:
 *   - the merge rate over the last interval (registers/s; time in
 *     hub_peer_merge only, the whole path as the daemon's worker runs it,
 *     one transaction per chunk, synchronous=NORMAL as with group commit),
 *     and the same-run baseline (a): a raw SQLite LWW upsert of the same
 *     registers, in the same transactions, into a (tbl,row,col) primary-key
 *     table that has grown to the same size, and the ratio hub/(a);
 *   - the rate of each batch of the interval (median, min, max), the CPU
 *     time per register (this thread's: steadier than wall time on a
 *     shared machine) and the SQLite page-cache misses per register of
 *     both (the page cache is SQLite's default unless --cache-mib);
 *   - the hub database after wal_checkpoint(TRUNCATE): file + WAL, bytes in
 *     use per register, and by b-tree (dbstat): the domain data (domain
 *     tables with their indexes) against the sync's metadata (cs_*, hub_*),
 *     and the baseline's database size at the same point.
 *   - the first contact, on the empty hub (before the first merge) and at
 *     each checkpoint: a device of cell CB-02, a unit none of the merged
 *     registers is in (its downstream is the org tree's few rows), and one
 *     of cell CB-03, whose unit holds FC_SMALL candidates the hub wrote
 *     before the fill, each reading its whole downstream from cursor 0 as
 *     the daemon's worker serves it (hub_peer_admit and
 *     hub_open_clock_refusals of the hello, then hub_device_revoked and
 *     hub_peer_next_chunk for each chunk, sealed, until the last): this
 *     thread's CPU time and wall time, median of FC_REPS, and the ratio to
 *     the empty hub's in the same run (issue 18: <= 2x).
 * With several runs (a fresh hub and baseline each, the same device), the
 * interval rates are summarised as median [min..max] over the runs, and the
 * growth of the cumulative merge time T(N) is fitted between checkpoints:
 * T ~ N^b (b = 1: linear; b > 1: each register costs more as the hub grows).
 *
 *   bench_growth [--registers N] [--runs R] [--batch B] [--dir DIR] [--full-sync]
 *                [--cache-mib M] [--device-zstd L]
 *
 * Defaults: 100000 registers (checkpoints at every power of ten from 10000
 * up to N, and N; BENCHMARKS.md section 7 uses --registers 1000000 and
 * 10000000), 3 runs, batches of 50000 registers, $TMPDIR or /tmp. The
 * device is filled once (not timed: no search index, synchronous=OFF) and
 * its chunks made batch by batch as they are merged (not timed), their
 * bodies compressed at zstd level L (default 3; a device seals at 19, which
 * costs most of the untimed time; the envelope's format and what the hub
 * does with it are the same at any level). Each run prints where its time
 * went.
 */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulk.h"
#include "cellsync/error.h"
#include "cellsync/version.h"
#include "merge_load.h"

#define MAX_CPS     16
#define MAX_BATCHES 1024
#define MAX_RUNS    8
#define FC_DEVS     2  /* first-contact devices: an empty unit, a small one */
#define FC_REPS     5  /* first contacts of each at each point, their median kept */
#define FC_SMALL    50 /* candidates (350 registers) of the small unit */

static const char *const fc_org[FC_DEVS] = {"CB-02", "CB-03"};
static const char fc_units[] = "CB-02,XA-ML,cell,village,\"Chi bộ bản Nà Ngần\"\n"
                               "CB-03,XA-ML,cell,village,\"Chi bộ bản Pá Hu\"\n";

/* One point's first contacts: each device's times, and what it was sent. */
struct fc_result {
    double cpu[FC_DEVS][FC_REPS], wall[FC_DEVS][FC_REPS]; /* seconds */
    size_t changes[FC_DEVS], chunks[FC_DEVS];
};

struct cp_result {
    size_t regs;               /* registers merged at the checkpoint */
    double hub_t, up_t;        /* seconds in the interval */
    double hub_cpu, up_cpu;    /* CPU seconds in the interval */
    int64_t hub_miss, up_miss; /* SQLite page-cache misses in the interval */
    double hub_total;          /* cumulative hub seconds */
    double hub_cpu_total;      /* cumulative hub CPU seconds */
    double batch[MAX_BATCHES]; /* hub registers/s of each batch of the interval */
    int nbatch;
    struct bm_size hub, up;
    size_t value_bytes, wire;
};

static struct cp_result res[MAX_RUNS][MAX_CPS];
/* [k][0]: the empty hub of run k; [k][i + 1]: at its checkpoint i. */
static struct fc_result fcr[MAX_RUNS][MAX_CPS + 1];

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* "median [min..max]" of n values with `prec` decimals, into buf. */
static const char *
mmm(char *buf, size_t len, const double *v, int n, int prec)
{
    double s[MAX_RUNS > MAX_BATCHES ? MAX_RUNS : MAX_BATCHES];
    memcpy(s, v, sizeof(double) * (size_t)n);
    double m = median(s, n);
    snprintf(buf, len, "%.*f [%.*f..%.*f]", prec, m, prec, s[0], prec, s[n - 1]);
    return buf;
}

/*
 * One first contact of the device with key k, from cursor 0, as the daemon's
 * worker serves it (worker.c: hello_work's database part, then a
 * J_CHUNK_OUT job per chunk): CPU and wall seconds into fc, slot d, rep.
 */
static void
first_contact(struct hub *h, const struct cs_key *k, struct fc_result *fc, int d, int rep)
{
    struct cs_hello hello = {0};
    struct cs_welcome w;
    struct hub_peer p;
    struct cs_refusal *refused = NULL;
    size_t nrefused = 0, changes = 0, chunks = 0;
    int ret;
    double w0 = bm_now(), c0 = bm_cpu();
    if (hub_peer_admit(h, cs_key_pk(k), &hello, &p, &w) != CS_WELCOME_OK) {
        fprintf(stderr, "bench_growth: first contact refused: %s\n", w.message);
        exit(1);
    }
    if ((ret = hub_open_clock_refusals(h, &p.dev, &refused, &nrefused)) != 0)
        bm_die("refusals", ret);
    free(refused);
    for (;;) {
        struct cs_chunk c;
        if ((ret = hub_device_revoked(h, &p.dev.id, bm_err, sizeof(bm_err))) != 0)
            bm_die("revoked", ret < 0 ? ret : CS_EREVOKED);
        if ((ret = hub_peer_next_chunk(h, &p, 1, &c, bm_err, sizeof(bm_err))) != 0)
            bm_die("next chunk", ret);
        free(c.env);
        changes += c.changes;
        chunks += c.changes > 0;
        if (c.seq_last > p.down_after)
            p.down_after = c.seq_last;
        if (c.last)
            break;
    }
    fc->cpu[d][rep] = bm_cpu() - c0;
    fc->wall[d][rep] = bm_now() - w0;
    fc->changes[d] = changes;
    fc->chunks[d] = chunks;
    hub_peer_release(&p);
}

/* FC_REPS first contacts of each device, alternating; a line of medians. */
static void
first_contacts(struct hub *h, struct cs_key *const *keys, struct fc_result *fc, int run,
               size_t regs)
{
    for (int rep = 0; rep < FC_REPS; rep++)
        for (int d = 0; d < FC_DEVS; d++)
            first_contact(h, keys[d], fc, d, rep);
    printf("run %d: %9zu registers: first contact (median of %d)", run, regs, FC_REPS);
    for (int d = 0; d < FC_DEVS; d++) {
        double c[FC_REPS], w[FC_REPS];
        memcpy(c, fc->cpu[d], sizeof(c));
        memcpy(w, fc->wall[d], sizeof(w));
        printf("%s %s: CPU %.2f ms, wall %.2f ms, %zu changes in %zu chunks", d ? ";" : "",
               fc_org[d], 1e3 * median(c, FC_REPS), 1e3 * median(w, FC_REPS), fc->changes[d],
               fc->chunks[d]);
    }
    printf("\n");
}

int
main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"registers", required_argument, NULL, 'n'},   {"runs", required_argument, NULL, 'r'},
        {"batch", required_argument, NULL, 'b'},       {"dir", required_argument, NULL, 'd'},
        {"full-sync", no_argument, NULL, 'F'},         {"cache-mib", required_argument, NULL, 'c'},
        {"device-zstd", required_argument, NULL, 'z'}, {NULL, 0, NULL, 0},
    };
    long nregs = 100000, batch = 50000;
    int runs = 3, full_sync = 0, cache_mib = 0, zlevel = 3, ch;
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    bm_prog = "bench_growth";
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'n':
            nregs = atol(optarg);
            break;
        case 'r':
            runs = atoi(optarg);
            break;
        case 'b':
            batch = atol(optarg);
            break;
        case 'd':
            base = optarg;
            break;
        case 'F':
            full_sync = 1;
            break;
        case 'c':
            cache_mib = atoi(optarg);
            break;
        case 'z':
            zlevel = atoi(optarg);
            break;
        default:
            fprintf(stderr, "usage: bench_growth [--registers N] [--runs R] [--batch B]"
                            " [--dir DIR] [--full-sync] [--cache-mib M] [--device-zstd L]\n");
            return 2;
        }
    }
    if (nregs < 10000 || runs < 1 || runs > MAX_RUNS || batch < 1000 || zlevel < 1 || zlevel > 19 ||
        optind != argc) {
        fprintf(stderr, "bench_growth: bad arguments\n");
        return 2;
    }
    /* Checkpoints: 10^4, 10^5, ... below N, then N. */
    size_t cps[MAX_CPS];
    int ncp = 0;
    for (long c = 10000; c < nregs && ncp < MAX_CPS - 1; c *= 10)
        cps[ncp++] = (size_t)c;
    cps[ncp++] = (size_t)nregs;
    if (cs_init() != 0)
        bm_die("start", CS_ECRYPTO);

    char dir[1024], path[PATH_MAX], state[PATH_MAX], hubdb[PATH_MAX + 16], updb[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/bench_growth.XXXXXX", base);
    if (mkdtemp(dir) == NULL) {
        perror(dir);
        return 1;
    }
    struct cs_key *dev;
    int ret;
    if ((ret = cs_key_generate(&dev)) != 0)
        bm_die("keys", ret);
    struct cs_key *fc_key[FC_DEVS];
    for (int d = 0; d < FC_DEVS; d++)
        if ((ret = cs_key_generate(&fc_key[d])) != 0)
            bm_die("keys", ret);
    struct cs_id site;
    cs_pk_id(cs_key_pk(dev), &site);
    snprintf(path, sizeof(path), "%s/device.db", dir);
    struct cs_replica *r;
    if ((ret = cs_replica_open(&r, path, CS_REPLICA_CREATE | CS_REPLICA_NO_SEARCH, &site, bm_err,
                               sizeof(bm_err))) != 0)
        bm_die(path, ret);
    bm_exec(cs_replica_db(r), "PRAGMA synchronous = OFF");
    long ncand = (nregs + BM_REGS_PER_CAND - 1) / BM_REGS_PER_CAND;
    double t0 = bm_now();
    for (long k = 0; k < ncand; k += 100000) {
        bm_fill_device(r, k, ncand - k < 100000 ? ncand - k : 100000);
        if (ncand > 200000) {
            printf("  device: %ld candidates in %.0f s\n", k + 100000 < ncand ? k + 100000 : ncand,
                   bm_now() - t0);
            fflush(stdout);
        }
    }
    printf("bench_growth: %ld candidates of 7 registers written on the device in %.1f s;"
           " checkpoints",
           ncand, bm_now() - t0);
    for (int i = 0; i < ncp; i++)
        printf(" %zu", cps[i]);
    char cache[32] = "SQLite's default";
    if (cache_mib)
        snprintf(cache, sizeof(cache), "%d MiB", cache_mib);
    printf("; batches of %ld registers, their chunks zstd -%d; hub synchronous=%s; page cache %s;"
           " SQLite %s\n",
           batch, zlevel, full_sync ? "FULL" : "NORMAL", cache, sqlite3_libversion());
    char cache_sql[64];
    snprintf(cache_sql, sizeof(cache_sql), "PRAGMA cache_size = -%d", cache_mib * 1024);
    fflush(stdout);

    snprintf(state, sizeof(state), "%s/hub", dir);
    snprintf(hubdb, sizeof(hubdb), "%s/" HUB_REPLICA, state);
    snprintf(updb, sizeof(updb), "%s/upsert.db", dir);
    for (int k = 0; k < runs; k++) {
        uint8_t hub_pk[CS_PK_LEN];
        struct hub *h;
        struct hub_peer p;
        struct bm_upsert u;
        bm_make_hub(state, fc_units, dev, hub_pk);
        bm_open_hub(state, dev, !full_sync, &h, &p);
        bm_upsert_open(&u, updb);
        sqlite3 *hdb = cs_replica_db(hub_replica(h));
        /* The first contacts' devices, and the small unit's candidates, written by the hub. */
        for (int d = 0; d < FC_DEVS; d++)
            bm_enroll(h, fc_key[d], fc_org[d]);
        struct cs_replica *hr = hub_replica(h);
        if ((ret = cs_replica_begin(hr, bm_err, sizeof(bm_err))) != 0)
            bm_die("begin", ret);
        for (long i = 0; i < FC_SMALL; i++)
            if ((ret = cs_test_candidate(hr, fc_org[1], i, bm_err, sizeof(bm_err))) != 0)
                bm_die("candidate", ret);
        if ((ret = cs_replica_commit(hr, bm_err, sizeof(bm_err))) != 0)
            bm_die("commit", ret);
        double t_fc = bm_now();
        first_contacts(h, fc_key, &fcr[k][0], k + 1, 0);
        t_fc = bm_now() - t_fc;
        if (cache_mib) {
            bm_exec(hdb, cache_sql);
            bm_exec(u.db, cache_sql);
        }
        uint64_t after = 0;
        double run_t0 = bm_now();
        size_t done = 0, value_bytes = 0, wire = 0;
        double hub_total = 0, hub_cpu_total = 0, t_chunks = 0, t_size = 0, t_up = 0;
        for (int i = 0; i < ncp; i++) {
            struct cp_result *cr = &res[k][i];
            while (done < cps[i]) {
                struct bm_chunks c;
                size_t want = cps[i] - done < (size_t)batch ? cps[i] - done : (size_t)batch;
                double s0 = bm_now();
                bm_make_chunks(r, dev, hub_pk, after, want, zlevel, &c);
                t_chunks += bm_now() - s0;
                if (c.regs == 0) {
                    fprintf(stderr, "bench_growth: the device ran out at %zu\n", done);
                    return 1;
                }
                int64_t m0 = bm_cache_misses(hdb);
                double c0 = bm_cpu();
                double th = bm_hub_merge(h, &p, &c);
                double c1 = bm_cpu();
                int64_t m1 = bm_cache_misses(hdb), m2 = bm_cache_misses(u.db);
                double tu = bm_upsert_apply(&u, &c);
                double c2 = bm_cpu();
                cr->hub_miss += m1 - m0;
                cr->up_miss += bm_cache_misses(u.db) - m2;
                cr->hub_cpu += c1 - c0;
                cr->up_cpu += c2 - c1;
                cr->hub_t += th;
                cr->up_t += tu;
                t_up += tu;
                if (cr->nbatch < MAX_BATCHES)
                    cr->batch[cr->nbatch++] = c.regs / th;
                done += c.regs;
                value_bytes += c.value_bytes;
                wire += c.wire;
                after = c.seq_last;
                bm_chunks_free(&c);
            }
            hub_total += cr->hub_t;
            hub_cpu_total += cr->hub_cpu;
            cr->hub_total = hub_total;
            cr->hub_cpu_total = hub_cpu_total;
            cr->regs = done;
            cr->value_bytes = value_bytes;
            cr->wire = wire;
            double s0 = bm_now();
            bm_db_size(hdb, hubdb, &cr->hub);
            bm_db_size(u.db, updb, &cr->up);
            t_size += bm_now() - s0;
            size_t prev = i ? res[k][i - 1].regs : 0;
            char b1[96];
            double n = (double)(done - prev);
            printf("run %d: %9zu registers: last interval hub %.0f regs/s (batches %s),"
                   " (a) upsert %.0f regs/s, hub/(a) %.3f; CPU us/reg hub %.2f (a) %.2f;"
                   " cache misses/reg hub %.3f (a) %.3f; hub db %.1f MiB (%.1f B/reg),"
                   " upsert db %.1f MiB (%.1f B/reg); %.0f s into the run\n",
                   k + 1, done, n / cr->hub_t, mmm(b1, sizeof(b1), cr->batch, cr->nbatch, 0),
                   n / cr->up_t, cr->up_t / cr->hub_t, 1e6 * cr->hub_cpu / n, 1e6 * cr->up_cpu / n,
                   cr->hub_miss / n, cr->up_miss / n, (cr->hub.file + cr->hub.wal) / 1048576.0,
                   (double)cr->hub.used / done, (cr->up.file + cr->up.wal) / 1048576.0,
                   (double)cr->up.used / done, bm_now() - run_t0);
            if (k == 0)
                bm_size_print(&cr->hub, done, value_bytes, 2 * 4096);
            s0 = bm_now();
            first_contacts(h, fc_key, &fcr[k][i + 1], k + 1, done);
            t_fc += bm_now() - s0;
            fflush(stdout);
        }
        printf("run %d: %.0f s: making the chunks %.0f s (not timed), hub merge %.0f s,"
               " upsert %.0f s, sizes %.0f s, first contacts %.0f s\n",
               k + 1, bm_now() - run_t0, t_chunks, hub_total, t_up, t_size, t_fc);
        hub_peer_release(&p);
        hub_close(h);
        bm_rm_hub(state);
        bm_upsert_close(&u, updb);
    }

    /* ---- summary over the runs ---- */
    printf("summary over %d run%s (median [min..max]; the last interval before each"
           " checkpoint):\n",
           runs, runs > 1 ? "s" : "");
    printf("  %10s %26s %26s %22s %22s %22s %8s %7s %7s %7s %7s\n", "registers", "hub regs/s",
           "(a) upsert regs/s", "hub/(a)", "hub CPU us/reg", "(a) CPU us/reg", "hub MiB", "B/reg",
           "data", "meta", "(a)B/r");
    for (int i = 0; i < ncp; i++) {
        double hr[MAX_RUNS], ur[MAX_RUNS], ra[MAX_RUNS], hc[MAX_RUNS], uc[MAX_RUNS];
        char b1[96], b2[96], b3[96], b4[96], b5[96];
        for (int k = 0; k < runs; k++) {
            const struct cp_result *cr = &res[k][i];
            size_t n = cr->regs - (i ? res[k][i - 1].regs : 0);
            hr[k] = n / cr->hub_t;
            ur[k] = n / cr->up_t;
            ra[k] = cr->up_t / cr->hub_t;
            hc[k] = 1e6 * cr->hub_cpu / n;
            uc[k] = 1e6 * cr->up_cpu / n;
        }
        const struct cp_result *c0 = &res[0][i];
        double n = (double)c0->regs;
        printf("  %10zu %26s %26s %22s %22s %22s %8.1f %7.1f %7.1f %7.1f %7.1f\n", c0->regs,
               mmm(b1, sizeof(b1), hr, runs, 0), mmm(b2, sizeof(b2), ur, runs, 0),
               mmm(b3, sizeof(b3), ra, runs, 3), mmm(b4, sizeof(b4), hc, runs, 2),
               mmm(b5, sizeof(b5), uc, runs, 2), (c0->hub.file + c0->hub.wal) / 1048576.0,
               c0->hub.used / n, c0->hub.data / n, c0->hub.meta / n, c0->up.used / n);
    }
    printf("  first contact from cursor 0 (ms: median [min..max] of the %d x %d contacts;"
           " x empty: this run's median over the empty hub's, median [min..max] over the runs):\n",
           runs, FC_REPS);
    printf("  %10s", "registers");
    for (int d = 0; d < FC_DEVS; d++) {
        static const char *const col[4] = {"CPU ms", "wall ms", "x empty CPU", "x empty wall"};
        for (int j = 0; j < 4; j++) {
            char label[32];
            snprintf(label, sizeof(label), "%s %s", fc_org[d], col[j]);
            printf(" %21s", label);
        }
    }
    printf("\n");
    for (int i = 0; i <= ncp; i++) {
        printf("  %10zu", i ? res[0][i - 1].regs : (size_t)0);
        for (int d = 0; d < FC_DEVS; d++) {
            double c[MAX_RUNS * FC_REPS], w[MAX_RUNS * FC_REPS], rc[MAX_RUNS], rw[MAX_RUNS];
            char b1[96], b2[96], b3[96], b4[96];
            for (int k = 0; k < runs; k++) {
                double c0[FC_REPS], w0[FC_REPS], c1[FC_REPS], w1[FC_REPS];
                memcpy(c0, fcr[k][0].cpu[d], sizeof(c0));
                memcpy(w0, fcr[k][0].wall[d], sizeof(w0));
                memcpy(c1, fcr[k][i].cpu[d], sizeof(c1));
                memcpy(w1, fcr[k][i].wall[d], sizeof(w1));
                for (int j = 0; j < FC_REPS; j++) {
                    c[k * FC_REPS + j] = 1e3 * c1[j];
                    w[k * FC_REPS + j] = 1e3 * w1[j];
                }
                rc[k] = median(c1, FC_REPS) / median(c0, FC_REPS);
                rw[k] = median(w1, FC_REPS) / median(w0, FC_REPS);
            }
            printf(" %21s %21s %21s %21s", mmm(b1, sizeof(b1), c, runs * FC_REPS, 2),
                   mmm(b2, sizeof(b2), w, runs * FC_REPS, 2), mmm(b3, sizeof(b3), rc, runs, 2),
                   mmm(b4, sizeof(b4), rw, runs, 2));
        }
        printf("\n");
    }
    printf("  growth of the cumulative hub merge time T(N) ~ N^b between checkpoints"
           " (b = 1: linear), per run:\n");
    for (int i = 1; i < ncp; i++) {
        double b[MAX_RUNS], bc[MAX_RUNS];
        char b1[96], b2[96];
        for (int k = 0; k < runs; k++) {
            double ln = log((double)res[k][i].regs / (double)res[k][i - 1].regs);
            b[k] = log(res[k][i].hub_total / res[k][i - 1].hub_total) / ln;
            bc[k] = log(res[k][i].hub_cpu_total / res[k][i - 1].hub_cpu_total) / ln;
        }
        printf("    %zu -> %zu: b = %s (wall), %s (CPU)\n", res[0][i - 1].regs, res[0][i].regs,
               mmm(b1, sizeof(b1), b, runs, 3), mmm(b2, sizeof(b2), bc, runs, 3));
    }
    cs_replica_close(r);
    for (int d = 0; d < FC_DEVS; d++)
        cs_key_free(fc_key[d]);
    snprintf(path, sizeof(path), "%s/device.db", dir);
    bm_rm_db(path);
    rmdir(dir);
    cs_key_free(dev);
    return 0;
}
