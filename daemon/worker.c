/* SPDX-License-Identifier: MIT */
/*
 * The worker of `cellsyncd serve`: every piece of database or signature
 * work is a job run in arrival order through the one connection to the
 * hub's replica, so the loop stays responsive and the replica sees one
 * writer.
 *
 * Group commit: the worker takes the jobs queued (up to BATCH_MAX) as one
 * batch and runs them in order, each merge its own transaction as before
 * but committed without waiting for the disk (synchronous = NORMAL on the
 * hub's connection); then it makes the write-ahead log durable once (the
 * sync a FULL commit does) before any result of the batch reaches the loop.
 * So an ACK, a welcome that enrolled a device, or a chunk made from another
 * device's merge is sent only once what it reports is on disk, and the disk
 * is waited for once per batch instead of once per transaction. If that
 * sync fails, every job of the batch fails (ERROR, or the connection
 * closed) and nothing of it is acknowledged: the devices send again, and
 * merging what the hub already holds stores nothing twice. An inbox import
 * runs with synchronous = FULL, since it writes its reply itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <uv.h>

#include "cellsync/error.h"
#include "conn.h"
#include "hub.h"
#include "inbox.h"
#include "peer.h"
#include "serve.h"
#include "worker.h"

/* ---- the worker: batches of jobs in order, one sync of the log each ---- */

static void job_start_next(struct server *s);

static void
job_work(struct job *j)
{
    struct conn *c = j->conn;
    struct hub *h = j->srv->hub;
    j->ret = 0;
    switch (j->kind) {
    case J_HELLO: {
        struct cs_hello hello;
        struct cs_welcome wel;
        int rc = cs_hs_hub_read(&c->hs, hub_key(h), j->in, j->inlen, &hello);
        if (rc == CS_EVERSION) {
            j->outlen = cs_hs_version_reply(j->out);
            j->close_after = 1;
            snprintf(j->err, sizeof(j->err), "protocol version mismatch");
            break;
        }
        if (rc != 0) {
            j->ret = rc;
            snprintf(j->err, sizeof(j->err), "handshake refused: %s", cs_strerror(rc));
            break;
        }
        if (hub_peer_admit(h, c->hs.peer_pk, &hello, &c->peer, &wel) != CS_WELCOME_OK) {
            j->close_after = 1;
            snprintf(j->err, sizeof(j->err), "device refused: %s", wel.message);
        } else if (hub_open_clock_refusals(h, &c->peer.dev, &j->merge.refused,
                                           &j->merge.nrefused) != 0) {
            /* Told at the next sync instead: this one goes on. */
            j->merge.nrefused = 0;
        }
        if ((rc = cs_hs_hub_reply(&c->hs, &wel, j->out, sizeof(j->out), &j->outlen)) != 0) {
            j->ret = rc;
            snprintf(j->err, sizeof(j->err), "cannot answer the handshake: %s", cs_strerror(rc));
        }
        break;
    }
    case J_CHUNK_IN:
        j->ret = hub_peer_merge(h, &c->peer, j->in, j->inlen, &j->merge, j->err, sizeof(j->err));
        if (j->ret != 0)
            c->up_failed = 1;
        break;
    case J_CHUNK_OUT:
        j->ret = hub_peer_next_chunk(h, &c->peer, &j->chunk, j->err, sizeof(j->err));
        break;
    case J_ACK_IN:
        j->ret = hub_device_set_down_seq(h, &c->peer.dev.id, j->ack);
        break;
    case J_DONE_IN:
        /*
         * DONE moves the cursor past the device's seqs that held nothing to
         * send, once every chunk before it is merged. After a chunk that
         * failed (a full disk, a busy or damaged replica, a refused
         * envelope) it would move it past that chunk too, and the device
         * would never send it again: the cursor stays where the merges left it.
         */
        if (!c->up_failed && j->ack > c->peer.dev.up_seq) {
            j->ret = hub_device_set_up_seq(h, &c->peer.dev.id, j->ack);
            if (j->ret == 0)
                c->peer.dev.up_seq = j->ack;
        }
        break;
    case J_BYE:
        hub_device_touch(h, &c->peer.dev.id, (int64_t)time(NULL));
        break;
    case J_IMPORT: {
        /* It writes its reply file itself: each of its commits must be on disk at once. */
        sqlite3 *db = cs_replica_db(hub_replica(h));
        if (j->srv->group_commit)
            sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
        inbox_work(j);
        if (j->srv->group_commit)
            sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
        break;
    }
    }
}

/* The hub connection's data version: it moves with every commit, ours or another process's. */
static unsigned
data_version(sqlite3 *db)
{
    unsigned v = 0;
    sqlite3_file_control(db, "main", SQLITE_FCNTL_DATA_VERSION, &v);
    return v;
}

/*
 * Makes every commit so far durable: the sync of the write-ahead log that a
 * commit with synchronous = FULL does, done once for the batch. An SQLite
 * result code.
 */
static int
log_sync(sqlite3 *db)
{
    sqlite3_file *f = NULL;
    int rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f);
    if (rc != SQLITE_OK)
        return rc;
    if (f == NULL || f->pMethods == NULL)
        return SQLITE_IOERR;
    return f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
}

/* On the worker: the batch's jobs in order, then one sync if anything was written. */
static void
batch_work(uv_work_t *w)
{
    struct server *s = container_of(w, struct server, batch_req);
    sqlite3 *db = cs_replica_db(hub_replica(s->hub));
    unsigned before = data_version(db);
    int wrote = 0;
    for (struct job *j = s->batch; j != NULL; j = j->next) {
        job_work(j);
        /* Everything but making a chunk writes (cursors, last contact, merges). */
        wrote |= j->kind != J_CHUNK_OUT;
    }
    s->batch_sync_rc = SQLITE_OK;
    if (s->group_commit && (wrote || data_version(db) != before)) {
        s->batch_sync_rc = log_sync(db);
        s->log_syncs++;
    }
}

/* Back on the loop: the results, in order, now that the batch is durable. */
static void
batch_after(uv_work_t *w, int status)
{
    struct server *s = container_of(w, struct server, batch_req);
    struct job *j = s->batch, *next;
    unsigned n = 0;
    (void)status;
    s->batch = NULL;
    s->batches++;
    if (s->batch_sync_rc != SQLITE_OK)
        logf_("error", NULL,
              "event=sync-failed error=\"%s\" detail=\"every job of the batch fails\"",
              sqlite3_errstr(s->batch_sync_rc));
    for (; j != NULL; j = next) {
        next = j->next;
        j->next = NULL;
        n++;
        /* Not durable: nothing of it may be reported (an import's own commits were synced). */
        if (s->batch_sync_rc != SQLITE_OK && j->kind != J_IMPORT) {
            j->ret = CS_ESQLITE;
            snprintf(j->err, sizeof(j->err), "the hub cannot write to its disk: %s",
                     sqlite3_errstr(s->batch_sync_rc));
        }
        if (j->kind == J_IMPORT)
            inbox_done(j);
        else
            job_done_conn(j);
    }
    s->jobs_done += n;
    /* The jobs these results queued go together as the next batch. */
    s->worker_busy = 0;
    job_start_next(s);
}

static void
job_start_next(struct server *s)
{
    if (s->worker_busy || s->head == NULL)
        return;
    struct job *last = s->head;
    for (int n = 1; n < BATCH_MAX && last->next != NULL; n++)
        last = last->next;
    s->batch = s->head;
    s->head = last->next;
    last->next = NULL;
    if (s->head == NULL)
        s->tail = NULL;
    s->worker_busy = 1;
    uv_queue_work(s->loop, &s->batch_req, batch_work, batch_after);
}

struct job *
job_new(struct conn *c, enum job_kind kind)
{
    struct job *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return NULL;
    j->srv = c->srv;
    j->conn = c;
    j->kind = kind;
    c->jobs++;
    return j;
}

void
job_push(struct job *j)
{
    struct server *s = j->srv;
    if (s->tail)
        s->tail->next = j;
    else
        s->head = j;
    s->tail = j;
    job_start_next(s);
}

void
job_free(struct job *j)
{
    free(j->in);
    hub_merge_release(&j->merge);
    free(j->chunk.env);
    free(j->imp);
    free(j);
}

/*
 * Group commit needs the write-ahead log (the replica always opens in WAL
 * mode): commits then stop waiting for the disk, and batch_work syncs the
 * log once per batch. 1 when on; 0 leaves every commit synchronous = FULL.
 */
int
group_commit_start(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int wal = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        wal = sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    if (!wal || sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
        logf_("warn", NULL, "event=no-group-commit reason=\"the replica is not in WAL mode\"");
        return 0;
    }
    return 1;
}
