/* SPDX-License-Identifier: MIT */
/*
 * What the parts of `cellsyncd serve` share: the server (the loop, the hub,
 * the configuration, the worker's queue, the inbox), the log line and the
 * limits. The command (cmd_serve.c) fills it; the connections (conn.c), the
 * worker (worker.c) and the inbox (inbox.c) run on it.
 */
#ifndef CELLSYNC_DAEMON_SERVE_H
#define CELLSYNC_DAEMON_SERVE_H

#include <stddef.h>
#include <uv.h>

#include "config.h"
#include "hub.h"
#include "guard.h"
#include "inbox.h"
#include "log.h"
#include "uplink.h"

#define WRITE_HIGH     (512u << 10) /* stop making chunks for a device above this */
#define WRITE_HARD_CAP (8u << 20)   /* a peer this far behind is dropped */
#define JOBS_HIGH      8            /* stop reading a device with this many jobs queued */
#define BATCH_MAX      128          /* jobs the worker takes at once, then one sync of the log */
#define READ_ROOM      8192u        /* room for one read beyond what is buffered */
#define RBUF_KEEP      (64u << 10)  /* an empty read buffer up to this size is kept */
/*
 * Jobs on the crypto stage at once, on libuv's threadpool (worker.c: msg1s
 * read, msg2s made, chunks opened): fewer than its 4 threads, so the
 * worker's batch always finds one free.
 */
#define HS_READ_MAX 2

#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

struct conn;
struct job;

/*
 * The worker's queue and batch (worker.c). group_commit is set before the
 * loop runs and only read after. The queue and the counts are the
 * loop's; the batch and its sync's result are the worker's from
 * uv_queue_work until batch_after.
 */
struct worker {
    int group_commit; /* the log is synced once per batch; 0: every commit syncs (FULL) */
    /* The loop's. */
    struct job *head, *tail; /* jobs waiting for the worker */
    int busy;                /* a batch is on the worker */
    unsigned long long jobs_done, batches;
    /* The batch on the worker (see "group commit" in worker.c). */
    uv_work_t req;
    struct job *batch;
    int sync_rc;
    unsigned long long log_syncs;
    unsigned data_version; /* hub_foreign_version at the last batch: another writer moves it */
    /*
     * The crypto stage (the loop's): hellos whose msg1 waits to be read, the
     * sessions' work waiting (msg2s, chunks; taken first), and how many are on it.
     */
    struct job *hs_head, *hs_tail;
    struct job *cr_head, *cr_tail;
    unsigned hs_busy;
};

/* The server: the loop's, but for the worker's batch (struct worker) and the hub. */
struct server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uv_signal_t sigterm, sigint, sighup;
    struct conf conf;
    const char *conf_path;
    int conf_required;
    /* Set before the loop runs. The worker uses it; the loop reads only its public key. */
    struct hub *hub;
    struct worker worker;
    size_t nconns;
    int stopping;
    struct inbox inbox;
    struct guard guard; /* wrong enrollments per source address (loop thread) */
    /*
     * Revocations reaching open sessions (conn.c): every REVOKE_POLL_MS a
     * J_REVOKED asks the worker which of their devices were revoked since
     * their handshake; one at a time.
     */
    uv_timer_t revoke_timer;
    int revoke_asked;
    struct uplink uplink; /* the link up to a hub above, on its own thread (uplink.h) */
    char listening[160];  /* ADDR:PORT bound, for STATUS= */
};

#define REVOKE_POLL_MS 1000

/* ---- logging: one line per event (log.h), with c's peer and device when c is not NULL ---- */

void logf_(int prio, const struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
