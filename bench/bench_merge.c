/* SPDX-License-Identifier: MIT */
/*
 * Hub merge rate of the whole path, against two SQLite baselines measured in
 * the same process on the same registers. A device replica gets candidates
 * of 7 registers each, written in local transactions of 10 candidates (as
 * cs_bulk does), and is cut into ~16 KiB chunks (cs_sync_make_chunk): live
 * chunks as a session sends them since wire version 6, or with --envelopes
 * sealed to the hub as on a stick. Each run then times, on fresh databases
 * in the same directory:
 *   hub    hub_peer_merge of every chunk into a fresh hub (decompress, the
 *          origin's signature, decode, authorize, merge, cursor, audit,
 *          commit: one transaction per chunk, as the daemon's worker does;
 *          with --envelopes also the envelope's signature and decryption);
 *   upsert a raw SQLite per-column LWW upsert of the same registers, table
 *          (tbl,row,col) primary key, newer stamp wins, one transaction per
 *          chunk (the registers are already decoded: no crypto, no msgpack);
 *   session the SQLite session extension: one changeset per chunk of the
 *          same rows of that register table, made beforehand, applied with
 *          sqlite3changeset_apply in one transaction per chunk.
 * All in WAL mode with synchronous=NORMAL: the hub as the daemon runs it
 * (group commit syncs the WAL once per batch of jobs, not per commit);
 * --full-sync gives the hub the replica's own FULL (a WAL sync per chunk).
 * The load and the hub and upsert paths are shared with bench_growth
 * (merge_load.c). Prints registers/s per run, the median, min and max, the
 * ratios hub/upsert and hub/session per run (wall time, and this thread's CPU time:
 * "cpu (a) X (b) Y", steadier on a shared machine), and the hub database's size
 * and metadata bytes per register.
 *
 *   bench_merge [--registers N] [--runs R] [--dir DIR] [--hub-only] [--full-sync]
 *               [--envelopes]
 *
 * Defaults: 100000 registers, 5 runs, $TMPDIR or /tmp.
 */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellsync/error.h"
#include "cellsync/version.h"
#include "merge_load.h"
/* ---- baseline (b): the session extension ---- */

struct blob {
    void *p;
    int n;
};

/* One session changeset per chunk, recorded on an in-memory copy of the table. */
static struct blob *
make_changesets(const struct bm_chunks *ch)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st;
    struct blob *out = calloc(ch->n, sizeof(*out));
    if (out == NULL || sqlite3_open(":memory:", &db) != SQLITE_OK)
        bm_die("memory", CS_ENOMEM);
    bm_exec(db, bm_reg_schema);
    if (sqlite3_prepare_v2(db, "INSERT INTO reg VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL) !=
        SQLITE_OK)
        bm_die_sql(db, "insert");
    for (size_t k = 0; k < ch->n; k++) {
        sqlite3_session *s;
        if (sqlite3session_create(db, "main", &s) != SQLITE_OK ||
            sqlite3session_attach(s, "reg") != SQLITE_OK)
            bm_die_sql(db, "session");
        for (size_t i = 0; i < cs_changeset_count(ch->cs[k]); i++) {
            struct cs_change c;
            cs_changeset_get(ch->cs[k], i, &c);
            bm_bind_change(st, &c);
            if (sqlite3_step(st) != SQLITE_DONE)
                bm_die_sql(db, "insert");
            sqlite3_reset(st);
        }
        if (sqlite3session_changeset(s, &out[k].n, &out[k].p) != SQLITE_OK)
            bm_die_sql(db, "changeset");
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
run_session(const char *path, const struct bm_chunks *ch, const struct blob *b)
{
    sqlite3 *db = bm_open_reg(path);
    double t0 = bm_now();
    for (size_t k = 0; k < ch->n; k++) {
        bm_exec(db, "BEGIN IMMEDIATE");
        if (sqlite3changeset_apply(db, b[k].n, b[k].p, NULL, on_conflict, NULL) != SQLITE_OK)
            bm_die_sql(db, "apply");
        bm_exec(db, "COMMIT");
    }
    double dt = bm_now() - t0;
    if (bm_pragma_int(db, "SELECT count(*) FROM reg") != (int64_t)ch->regs) {
        fprintf(stderr, "bench_merge: the session baseline lost rows\n");
        exit(1);
    }
    sqlite3_close(db);
    bm_rm_db(path);
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
        {"full-sync", no_argument, NULL, 'F'},
        {"envelopes", no_argument, NULL, 'E'},
        {NULL, 0, NULL, 0},
    };
    long nregs = 100000;
    int runs = 5, hub_only = 0, full_sync = 0, envelopes = 0, ch;
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    bm_prog = "bench_merge";
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
        case 'F':
            full_sync = 1;
            break;
        case 'E':
            envelopes = 1;
            break;
        default:
            fprintf(stderr, "usage: bench_merge [--registers N] [--runs R] [--dir DIR]"
                            " [--hub-only] [--full-sync] [--envelopes]\n");
            return 2;
        }
    }
    if (nregs < BM_REGS_PER_CAND || runs < 1 || runs > BM_MAX_RUNS || optind != argc) {
        fprintf(stderr, "bench_merge: bad arguments\n");
        return 2;
    }
    if (cs_init() != 0)
        bm_die("start", CS_ECRYPTO);
    if (!sqlite3_compileoption_used("ENABLE_SESSION") && !hub_only) {
        fprintf(stderr, "bench_merge: this SQLite has no session extension\n");
        return 1;
    }

    char dir[1024], path[PATH_MAX + 16], state[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/bench_merge.XXXXXX", base);
    if (mkdtemp(dir) == NULL) {
        perror(dir);
        return 1;
    }
    struct cs_key *dev;
    int ret;
    if ((ret = cs_key_generate(&dev)) != 0)
        bm_die("keys", ret);
    struct cs_id site;
    cs_pk_id(cs_key_pk(dev), &site);
    snprintf(path, sizeof(path), "%s/device.db", dir);
    struct cs_replica *r;
    if ((ret = cs_replica_open(&r, path, CS_REPLICA_CREATE, &site, bm_err, sizeof(bm_err))) != 0)
        bm_die(path, ret);
    long ncand = (nregs + BM_REGS_PER_CAND - 1) / BM_REGS_PER_CAND;
    double t0 = bm_now();
    bm_fill_device(r, 0, ncand);
    double fill = bm_now() - t0;

    double hub_t[BM_MAX_RUNS], up_t[BM_MAX_RUNS], ses_t[BM_MAX_RUNS];
    double hub_c[BM_MAX_RUNS], up_c[BM_MAX_RUNS], ses_c[BM_MAX_RUNS];
    struct blob *blobs = NULL;
    size_t regs = 0, nblobs = 0;
    snprintf(state, sizeof(state), "%s/hub", dir);
    for (int k = 0; k < runs; k++) {
        /* A fresh hub per run; its key is made by hub_init, so seal to it per run (not timed). */
        uint8_t hub_pk[CS_PK_LEN];
        bm_make_hub(state, NULL, dev, hub_pk);
        struct bm_chunks c;
        bm_make_chunks(r, dev, envelopes ? hub_pk : NULL, 0, 0, 0, &c);
        if (k == 0) {
            printf("bench_merge: %zu registers (%ld candidates of 7, Vietnamese text) written on"
                   " the device in %.2f s; %zu %s, %zu bytes (%.1f bytes/register);"
                   " hub synchronous=%s\n",
                   c.regs, ncand, fill, c.n, envelopes ? "envelopes" : "live chunks", c.wire,
                   (double)c.wire / c.regs, full_sync ? "FULL" : "NORMAL");
            if (!hub_only) {
                blobs = make_changesets(&c);
                nblobs = c.n;
            }
            regs = c.regs;
        }
        /* Time the merge into this hub, freshly reopened. */
        struct hub *h;
        struct hub_peer p;
        bm_open_hub(state, dev, !full_sync, &h, &p);
        double c0 = bm_cpu();
        hub_t[k] = bm_hub_merge(h, &p, &c);
        hub_c[k] = bm_cpu() - c0;
        if (k == runs - 1) {
            struct bm_size sz;
            snprintf(path, sizeof(path), "%s/" HUB_REPLICA, state);
            bm_db_size(cs_replica_db(hub_replica(h)), path, &sz);
            printf("hub database after %zu registers:\n", c.regs);
            bm_size_print(&sz, c.regs, c.value_bytes, 4096 * 2);
        }
        hub_peer_release(&p);
        hub_close(h);
        bm_rm_hub(state);
        if (!hub_only) {
            struct bm_upsert u;
            snprintf(path, sizeof(path), "%s/upsert.db", dir);
            bm_upsert_open(&u, path);
            c0 = bm_cpu();
            up_t[k] = bm_upsert_apply(&u, &c);
            up_c[k] = bm_cpu() - c0;
            bm_upsert_close(&u, path);
            snprintf(path, sizeof(path), "%s/session.db", dir);
            c0 = bm_cpu();
            ses_t[k] = run_session(path, &c, blobs);
            ses_c[k] = bm_cpu() - c0;
        }
        printf("run %d: hub %.0f regs/s", k + 1, c.regs / hub_t[k]);
        if (!hub_only)
            printf("  upsert %.0f regs/s  session %.0f regs/s  hub/upsert %.3f  hub/session %.3f",
                   c.regs / up_t[k], c.regs / ses_t[k], up_t[k] / hub_t[k], ses_t[k] / hub_t[k]);
        if (!hub_only)
            printf("  cpu (a) %.3f (b) %.3f", up_c[k] / hub_c[k], ses_c[k] / hub_c[k]);
        printf("\n");
        fflush(stdout);
        bm_chunks_free(&c);
    }
    double rate[BM_MAX_RUNS], r1[BM_MAX_RUNS], r2[BM_MAX_RUNS];
    printf("summary over %d runs, %zu registers, one transaction per ~16 KiB chunk:\n", runs, regs);
    for (int k = 0; k < runs; k++)
        rate[k] = regs / hub_t[k];
    bm_summary("hub_peer_merge", rate, runs, "registers/s");
    if (!hub_only) {
        for (int k = 0; k < runs; k++)
            rate[k] = regs / up_t[k];
        bm_summary("(a) sqlite LWW upsert", rate, runs, "registers/s");
        for (int k = 0; k < runs; k++)
            rate[k] = regs / ses_t[k];
        bm_summary("(b) sqlite session", rate, runs, "registers/s");
        for (int k = 0; k < runs; k++) {
            r1[k] = up_t[k] / hub_t[k];
            r2[k] = ses_t[k] / hub_t[k];
        }
        bm_summary("ratio hub/(a)", r1, runs, "(target >= 0.7)");
        bm_summary("ratio hub/(b)", r2, runs, "(target >= 1.0)");
    }
    for (size_t i = 0; i < nblobs; i++)
        sqlite3_free(blobs[i].p);
    free(blobs);
    cs_replica_close(r);
    snprintf(path, sizeof(path), "%s/device.db", dir);
    bm_rm_db(path);
    rmdir(dir);
    cs_key_free(dev);
    return 0;
}
