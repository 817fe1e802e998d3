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
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <uv.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "conn.h"
#include "hub.h"
#include "inbox.h"
#include "peer.h"
#include "serve.h"
#include "worker.h"

/* ---- the worker: batches of jobs in order, one sync of the log each ---- */

static void job_start_next(struct server *s);
static void crypto_push(struct job *j, int session);

/*
 * The handshake, msg1 read on the crypto stage (hello_push): the device
 * admitted or refused, and the welcome that says so, for msg2 (made on the
 * crypto stage again).
 */
static void
hello_work(struct hub *h, struct job *j)
{
    struct job_hello *o = &j->u.hello;
    struct hub_peer *p = &j->dev->peer;
    struct cs_hello hello = o->peer;
    struct cs_welcome wel;
    int rc;
    sodium_memzero(&o->peer, sizeof(o->peer));
    /*
     * A msg1 whose timestamp is not after the device's latest is a replay:
     * dropped before admission, without msg2 and without a write (F11).
     */
    struct cs_id id;
    cs_pk_id(o->hs.peer_pk, &id);
    if ((rc = hub_hs_replayed(h, &id, o->hs.peer_ts)) != 0) {
        j->ret = rc < 0 ? rc : CS_EINVAL;
        snprintf(j->err, sizeof(j->err), "%s", rc < 0 ? cs_strerror(rc) : _("replayed handshake"));
        sodium_memzero(&hello, sizeof(hello));
        return;
    }
    /* An address that guessed wrong too often waits before its secret is even looked at. */
    int held =
        o->held > 0 && hello.has_secret && hub_admit_held(h, o->hs.peer_pk, o->held, &wel) != 0;
    if (held || hub_peer_admit(h, o->hs.peer_pk, &hello, p, &wel) != CS_WELCOME_OK) {
        o->close_after = 1;
        if (hello.has_secret && wel.status == CS_WELCOME_ENROLL)
            o->enroll_failed = held ? 2 : 1;
        snprintf(j->err, sizeof(j->err), _("device refused: %s"), wel.message);
    } else {
        if (hub_open_clock_refusals(h, &p->dev, &o->refused, &o->nrefused) != 0)
            /* Told at the next sync instead: this one goes on. */
            o->nrefused = 0;
        o->dev = p->dev;
        memcpy(j->dev->hs_ts, o->hs.peer_ts, CS_WIRE_TS_LEN);
        if (hub_hs_note(h, &id, o->hs.peer_ts) != 0) {
            j->ret = CS_ENOMEM;
            snprintf(j->err, sizeof(j->err), "%s", cs_strerror(CS_ENOMEM));
            sodium_memzero(&hello, sizeof(hello));
            return;
        }
        o->pending = p->pending;
        memcpy(j->dev->hub_pk, o->hub_pk, CS_PK_LEN);
        /* Sealed to a retired key: the device is sent the way to the current one first. */
        if (sodium_memcmp(o->hub_pk, cs_key_pk(hub_key(h)), CS_PK_LEN) != 0 &&
            hub_rotation_chain(h, o->hub_pk, &o->chain, &o->chainlen) != 0) {
            o->chain = NULL;
            o->chainlen = 0;
        }
        o->restored = p->restored;
        memcpy(o->restored_log, p->restored_log, sizeof(o->restored_log));
        /* The bound every change is held to here, so the device takes what it passed. */
        uint64_t drift = cs_replica_max_drift(hub_replica(h)) / 60000;
        wel.max_drift_minutes = drift < 1 ? 1 : drift > UINT32_MAX ? UINT32_MAX : (uint32_t)drift;
    }
    /* msg2 is made on the crypto stage, once the batch is durable (batch_after). */
    o->wel = wel;
    o->replying = 1;
    sodium_memzero(&hello, sizeof(hello));
}

/* On the worker: one job, writing its result and its session's conn_dev, nothing else. */
static void
job_work(struct worker *w, struct hub *h, struct job *j)
{
    struct conn_dev *d = j->dev;
    j->ret = 0;
    /* A session whose admission was refused at its proof (J_PROVEN) does nothing more. */
    if (d != NULL && d->refused && j->kind != J_BYE) {
        j->ret = CS_EINVAL;
        snprintf(j->err, sizeof(j->err), "%s", _("the device was refused"));
        return;
    }
    switch (j->kind) {
    case J_HELLO:
        hello_work(h, j);
        break;
    case J_PAKE: {
        struct job_pake *o = &j->u.pake;
        j->ret =
            hub_pake_reply(h, o->p, o->held, o->share, sizeof(o->share), o->reply, sizeof(o->reply),
                           &o->replylen, &o->row, &o->refusal, j->err, sizeof(j->err));
        break;
    }
    case J_PAKE_OK:
        j->ret = hub_pake_confirmed(h, j->u.pake.row);
        break;
    case J_CHUNK_IN: {
        struct job_chunk_in *o = &j->u.chunk_in;
        /* Opened on the crypto stage (its error, if any, in j->err), or here. */
        j->ret = o->opened
                     ? hub_peer_merge_opened(h, &d->peer, o->env, o->envlen, &o->sets, &o->info,
                                             o->open_rc, &o->merge, j->err, sizeof(j->err))
                     : hub_peer_merge(h, &d->peer, o->env, o->envlen, 1, &o->merge, j->err,
                                      sizeof(j->err));
        if (j->ret != 0)
            d->up_failed = 1;
        o->hub_time = cs_replica_now(hub_replica(h));
        break;
    }
    case J_CHUNK_OUT: {
        struct job_chunk_out *o = &j->u.chunk_out;
        /* Nothing more for a device revoked since its handshake (F7). */
        if ((j->ret = hub_device_revoked(h, &d->peer.dev.id, j->err, sizeof(j->err))) != 0) {
            if (j->ret > 0)
                j->ret = CS_EREVOKED;
            else
                snprintf(j->err, sizeof(j->err), "%s", cs_strerror(j->ret));
            break;
        }
        /* Signed on the crypto stage, once the batch is back (batch_after). */
        j->ret = hub_peer_next_set(h, &d->peer, &o->chunk, j->err, sizeof(j->err));
        if (j->ret == 0 && o->chunk.seq_last > d->peer.down_after)
            d->peer.down_after = o->chunk.seq_last;
        o->down_after = d->peer.down_after;
        break;
    }
    case J_ACK_IN:
        j->ret = hub_device_set_down_seq(h, &d->peer.dev.id, j->u.seq);
        break;
    case J_DONE_IN:
        /*
         * DONE moves the cursor past the device's seqs that held nothing to
         * send, once every chunk before it is merged. After a chunk that
         * failed (a full disk, a busy or damaged replica, a refused
         * envelope) it would move it past that chunk too, and the device
         * would never send it again: the cursor stays where the merges left it.
         */
        if (!d->up_failed && j->u.seq > d->peer.dev.up_seq) {
            j->ret = hub_device_set_up_seq(h, &d->peer.dev.id, j->u.seq);
            if (j->ret == 0)
                d->peer.dev.up_seq = j->u.seq;
        }
        break;
    case J_BYE:
        /* Only a device that proved its key (a replayed msg1 proves nothing). */
        if (d->proven)
            hub_device_touch(h, &d->peer.dev.id, (int64_t)time(NULL));
        break;
    case J_PROVEN: {
        /* The device holds its key: now its enrollment is used, its name and contact written. */
        char msg[128];
        if (hub_peer_commit(h, &d->peer, msg, sizeof(msg)) != CS_WELCOME_OK) {
            j->ret = CS_EINVAL;
            j->u.seq = 1; /* out: refused (the loop closes the session) */
            d->refused = 1;
            snprintf(j->err, sizeof(j->err), _("device refused: %s"), msg);
            break;
        }
        j->ret = hub_device_proven(h, &d->peer.dev.id, d->hs_ts, (int64_t)time(NULL));
        if (j->ret == 0)
            j->ret = hub_device_set_pin(h, &d->peer.dev.id, d->hub_pk);
        if (j->ret == 0)
            d->proven = 1;
        break;
    }
    case J_IMPORT: {
        /* It writes its reply file itself: each of its commits must be on disk at once. */
        sqlite3 *db = cs_replica_db(hub_replica(h));
        if (w->group_commit)
            sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
        inbox_work(h, j);
        if (w->group_commit)
            sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
        break;
    }
    case J_RELOAD:
        /* The worker reads the clock while it merges: only the worker writes it. */
        cs_replica_set_max_drift(hub_replica(h), j->u.max_drift_ms);
        break;
    case J_REVOKED:
        /* One look-up by key per open session; a failed one is asked again at the next round. */
        for (size_t i = 0; i < j->u.revoked.n; i++) {
            struct revoked_dev *v = &j->u.revoked.v[i];
            v->hit = hub_device_revoked(h, &v->id, v->msg, sizeof(v->msg)) == 1;
        }
        break;
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
batch_work(uv_work_t *req)
{
    struct worker *w = container_of(req, struct worker, req);
    struct hub *h = container_of(w, struct server, worker)->hub;
    sqlite3 *db = cs_replica_db(hub_replica(h));
    unsigned before = data_version(db);
    int wrote = 0;
    /*
     * Another connection wrote since the last batch: the link up to a hub
     * above may have learned that hub's time (the clock offset), which this
     * hub then tells its devices and judges their stamps by.
     */
    unsigned foreign = hub_foreign_version(h);
    if (foreign != w->data_version) {
        cs_replica_clock_reload(hub_replica(h));
        w->data_version = foreign;
    }
    for (struct job *j = w->batch; j != NULL; j = j->next) {
        job_work(w, h, j);
        /* Everything but making a chunk, reloading or reading revocations writes. */
        wrote |= j->kind != J_CHUNK_OUT && j->kind != J_RELOAD && j->kind != J_REVOKED;
    }
    w->sync_rc = SQLITE_OK;
    if (w->group_commit && (wrote || data_version(db) != before)) {
        w->sync_rc = log_sync(db);
        w->log_syncs++;
    }
}

/* Back on the loop: the results, in order, now that the batch is durable. */
static void
batch_after(uv_work_t *req, int status)
{
    struct worker *w = container_of(req, struct worker, req);
    struct server *s = container_of(w, struct server, worker);
    struct job *j = w->batch, *next;
    unsigned n = 0;
    (void)status;
    w->batch = NULL;
    w->batches++;
    if (w->sync_rc != SQLITE_OK)
        logf_(LOG_ERR, NULL, "event=sync-failed error=\"%s\" detail=\"%s\"",
              sqlite3_errstr(w->sync_rc), _("every job of the batch fails"));
    for (; j != NULL; j = next) {
        next = j->next;
        j->next = NULL;
        n++;
        /* Not durable: nothing of it may be reported (an import's own commits were synced). */
        if (w->sync_rc != SQLITE_OK && j->kind != J_IMPORT) {
            j->ret = CS_ESQLITE;
            snprintf(j->err, sizeof(j->err), _("the hub cannot write to its disk: %s"),
                     sqlite3_errstr(w->sync_rc));
        }
        if (j->kind == J_IMPORT)
            inbox_done(j);
        else if (j->kind == J_RELOAD)
            job_free(j);
        else if (j->kind == J_REVOKED)
            conn_revoked_done(j);
        else if ((j->kind == J_HELLO && j->ret == 0 && j->u.hello.replying) ||
                 (j->kind == J_CHUNK_OUT && j->ret == 0 && j->u.chunk_out.chunk.changes > 0))
            crypto_push(j, 1);
        else
            conn_job_done(j);
    }
    w->jobs_done += n;
    /* The jobs these results queued go together as the next batch. */
    w->busy = 0;
    job_start_next(s);
}

static void
job_start_next(struct server *s)
{
    struct worker *w = &s->worker;
    if (w->busy || w->head == NULL)
        return;
    struct job *last = w->head;
    for (int n = 1; n < BATCH_MAX && last->next != NULL; n++)
        last = last->next;
    w->batch = w->head;
    w->head = last->next;
    last->next = NULL;
    if (w->head == NULL)
        w->tail = NULL;
    w->busy = 1;
    uv_queue_work(s->loop, &w->req, batch_work, batch_after);
}

/*
 * ---- the crypto stage: what needs no database, off the worker ----
 *
 * Reading msg1 costs two X25519 operations and two decryptions, answering
 * it two more and an encryption, opening a device's chunk an Ed25519
 * verification per signed set, the decompression and the decoding, the
 * hub's own chunk a signature and zstd -19; none of it needs more than the
 * hub's keys (immutable once loaded) and the job's own bytes. It runs on
 * libuv's threadpool, HS_READ_MAX at once (the worker's batch always finds
 * a thread), so the one worker only touches the database:
 *  - msg1 is read before the worker, so a flood of bogus ones (random
 *    bytes, a wrong key) is refused here and never waits in, or delays,
 *    its queue;
 *  - msg2 is made after it, from the welcome it decided, once the batch is
 *    durable; the hub's chunk is signed after it read the set;
 *  - a device's chunk is opened before it; the connection holds the
 *    session's later jobs until then (conn.c), so the worker sees a
 *    session's jobs in the order they came.
 * The sessions' work goes before msg1s still unread. A job is the stage's
 * from crypto_push until crypto_after, then the worker's (job_push) or the
 * connection's again (conn_job_done, conn_chunk_opened).
 */
static void crypto_next(struct server *s);

static void
crypto_work(uv_work_t *req)
{
    struct job *j = container_of(req, struct job, crypto_req);
    if (j->kind == J_CHUNK_OUT) {
        /* The hub's own signed set, a live chunk: the session encrypts it. */
        j->ret = cs_sync_seal_set(hub_key(j->srv->hub), NULL, CS_SYNC_ZSTD_HUB,
                                  &j->u.chunk_out.chunk, j->err, sizeof(j->err));
        return;
    }
    if (j->kind == J_CHUNK_IN) {
        struct job_chunk_in *o = &j->u.chunk_in;
        /* A live chunk: the session's handshake proved the key it must be signed with. */
        o->open_rc = cs_sync_open_sets(NULL, o->pk, o->env, o->envlen, &o->sets, &o->info, j->err,
                                       sizeof(j->err));
        return;
    }
    struct job_hello *o = &j->u.hello;
    if (o->replying) {
        o->reply_rc = cs_hs_hub_reply(&o->hs, &o->wel, o->msg2, sizeof(o->msg2), &o->msg2len);
        return;
    }
    const struct cs_key *keys[1 + HUB_OLD_MAX];
    size_t n = hub_keys(j->srv->hub, keys, 1 + HUB_OLD_MAX);
    /*
     * msg1 is sealed to the key the device pins (Noise IK's "<- s"): the
     * current one, or a retired one for a device that has not heard of a
     * rotation yet. Each is tried as the responder's static key, the
     * current first; a msg1 for none of them costs one Noise read per key
     * kept (key retire-old ends that).
     */
    o->read_rc = CS_EDECRYPT;
    for (size_t i = 0; i < n && o->read_rc == CS_EDECRYPT; i++) {
        o->read_rc = cs_hs_hub_read(&o->hs, keys[i], o->msg1, o->msg1len, &o->peer);
        if (o->read_rc == 0)
            memcpy(o->hub_pk, cs_key_pk(keys[i]), CS_PK_LEN);
    }
}

/* msg1 read: on to the worker, or answered at once. */
static void
hs_read_after(struct job *j)
{
    struct job_hello *o = &j->u.hello;
    if (o->read_rc == 0) {
        job_push(j);
        return;
    }
    if (o->read_rc == CS_EVERSION) {
        o->msg2len = cs_hs_version_reply(o->msg2);
        o->close_after = 1;
        snprintf(j->err, sizeof(j->err), _("protocol version mismatch"));
    } else {
        /* Said, so the device tells a hub of another key from a link that dropped (wire.h). */
        o->msg2[0] = CS_WIRE_HS_REFUSED;
        o->msg2len = 1;
        o->close_after = 1;
        snprintf(j->err, sizeof(j->err), _("handshake refused: %s"), cs_strerror(o->read_rc));
    }
    conn_job_done(j);
}

static void
crypto_after(uv_work_t *req, int status)
{
    struct job *j = container_of(req, struct job, crypto_req);
    struct server *s = j->srv;
    (void)status;
    s->worker.hs_busy--;
    crypto_next(s);
    if (j->kind == J_CHUNK_OUT) {
        conn_job_done(j);
    } else if (j->kind == J_CHUNK_IN) {
        j->u.chunk_in.opened = 1;
        conn_chunk_opened(j);
    } else if (!j->u.hello.replying) {
        hs_read_after(j);
    } else {
        struct job_hello *o = &j->u.hello;
        sodium_memzero(&o->wel, sizeof(o->wel));
        if (o->reply_rc != 0) {
            j->ret = o->reply_rc;
            snprintf(j->err, sizeof(j->err), _("cannot answer the handshake: %s"),
                     cs_strerror(o->reply_rc));
        }
        conn_job_done(j);
    }
}

/* Pops the sessions' work first, then the msg1s. */
static struct job *
crypto_pop(struct worker *w)
{
    struct job **head = w->cr_head != NULL ? &w->cr_head : &w->hs_head;
    struct job **tail = w->cr_head != NULL ? &w->cr_tail : &w->hs_tail;
    struct job *j = *head;
    if (j != NULL) {
        *head = j->next;
        if (*head == NULL)
            *tail = NULL;
        j->next = NULL;
    }
    return j;
}

static void
crypto_next(struct server *s)
{
    struct worker *w = &s->worker;
    struct job *j;
    while (w->hs_busy < HS_READ_MAX && (j = crypto_pop(w)) != NULL) {
        if (uv_queue_work(s->loop, &j->crypto_req, crypto_work, crypto_after) != 0) {
            if (j->kind == J_CHUNK_IN) {
                /* Opened on the worker instead (hub_peer_merge). */
                conn_chunk_opened(j);
                continue;
            }
            j->ret = CS_ENOMEM;
            snprintf(j->err, sizeof(j->err), "%s", cs_strerror(CS_ENOMEM));
            conn_job_done(j);
            continue;
        }
        w->hs_busy++;
    }
}

static void
crypto_push(struct job *j, int session)
{
    struct worker *w = &j->srv->worker;
    struct job **head = session ? &w->cr_head : &w->hs_head;
    struct job **tail = session ? &w->cr_tail : &w->hs_tail;
    if (*tail)
        (*tail)->next = j;
    else
        *head = j;
    *tail = j;
    crypto_next(j->srv);
}

void
hello_push(struct job *j)
{
    crypto_push(j, 0);
}

void
chunk_open_push(struct job *j)
{
    crypto_push(j, 1);
}

struct job *
job_new(struct server *s, enum job_kind kind)
{
    struct job *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return NULL;
    j->srv = s;
    j->kind = kind;
    return j;
}

void
job_push(struct job *j)
{
    struct worker *w = &j->srv->worker;
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    job_start_next(j->srv);
}

void
job_free(struct job *j)
{
    if (j == NULL)
        return;
    switch (j->kind) {
    case J_HELLO:
        free(j->u.hello.msg1);
        free(j->u.hello.refused);
        free(j->u.hello.chain);
        sodium_memzero(&j->u.hello.hs, sizeof(j->u.hello.hs));
        sodium_memzero(&j->u.hello.peer, sizeof(j->u.hello.peer));
        sodium_memzero(&j->u.hello.wel, sizeof(j->u.hello.wel));
        break;
    case J_CHUNK_IN:
        free(j->u.chunk_in.env);
        cs_chunk_sets_release(&j->u.chunk_in.sets);
        hub_merge_release(&j->u.chunk_in.merge);
        break;
    case J_CHUNK_OUT:
        free(j->u.chunk_out.chunk.env);
        break;
    case J_IMPORT:
        free(j->u.imp);
        break;
    case J_REVOKED:
        free(j->u.revoked.v);
        break;
    case J_ACK_IN:
    case J_DONE_IN:
    case J_BYE:
    case J_RELOAD:
    case J_PROVEN:
    case J_PAKE:
    case J_PAKE_OK:
        break;
    }
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
        logf_(LOG_WARNING, NULL, "event=no-group-commit reason=\"%s\"",
              _("the replica is not in WAL mode"));
        return 0;
    }
    return 1;
}
