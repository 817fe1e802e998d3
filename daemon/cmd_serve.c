/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd serve`: the hub's libuv server. The event loop only moves
 * bytes, checks frame lengths and runs the session cipher; every piece of
 * database or signature work (the handshake's device lookup, merging a
 * chunk, making the next chunk for a device) is a job on one worker, run in
 * arrival order through the one connection to the hub's replica. So the
 * loop stays responsive while a large change set merges, and the replica
 * sees one writer.
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
 *
 * A connection goes HELLO (pre-authentication: small frames, a short
 * timeout) -> HEADER (the device's stream header) -> SESSION. In SESSION
 * the device's chunks are merged and acknowledged one by one while the
 * hub's chunks for the device's scope stream back, paced by how many bytes
 * wait to be written. One close path, conn_close(), logs why.
 *
 * With an inbox configured, USB-stick bundles dropped into it are imported
 * by the same worker, between the sessions' jobs (see "the inbox" below).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/sync.h"
#include "cellsync/wire.h"
#include "commands.h"
#include "config.h"
#include "hub.h"
#include "import.h"
#include "ops.h"
#include "peer.h"

#define WRITE_HIGH     (512u << 10) /* stop making chunks for a device above this */
#define WRITE_HARD_CAP (8u << 20)   /* a peer this far behind is dropped */
#define JOBS_HIGH      8            /* stop reading a device with this many jobs queued */
#define BATCH_MAX      128          /* jobs the worker takes at once, then one sync of the log */
#define READ_ROOM      8192u        /* room for one read beyond what is buffered */

#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

enum conn_state { C_HELLO, C_HEADER, C_SESSION, C_CLOSING };

struct server;

struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    struct server *srv;
    enum conn_state state;
    int refs; /* the handles, and every job in the queue */
    int handles_open;
    char addr[64]; /* the peer's IP, for logs */
    char who[16];  /* the device's short id, for logs */
    uint8_t *rbuf;
    size_t rlen, rcap;
    size_t queued; /* bytes handed to uv_write and not yet written */
    int jobs, reading, chunk_out_busy, down_done, up_done, finishing;
    int up_failed; /* a chunk of this session failed to merge (set and read on the worker) */
    struct cs_hs hs;
    struct cs_session sess;
    struct hub_peer peer; /* set by the hello job */
    size_t up_changes, down_changes, refused, conflicts;
};

enum job_kind { J_HELLO, J_CHUNK_IN, J_CHUNK_OUT, J_ACK_IN, J_DONE_IN, J_BYE, J_IMPORT };

struct inbox_job;

struct job {
    struct job *next;
    struct server *srv;
    struct conn *conn; /* NULL for J_IMPORT */
    enum job_kind kind;
    int ret;
    char err[512];
    /* J_HELLO: msg1 in; msg2 out */
    uint8_t *in;
    size_t inlen;
    uint8_t out[CS_WIRE_MAX_PREAUTH];
    size_t outlen;
    int close_after;
    /* J_CHUNK_IN */
    struct hub_merge merge;
    /* J_CHUNK_OUT */
    struct cs_chunk chunk;
    /* J_ACK_IN */
    uint64_t ack;
    /* J_IMPORT: a bundle of the inbox */
    struct inbox_job *imp;
};

/* The inbox's handles (see "the inbox" below); in use when `inbox` is configured. */
struct inbox {
    uv_fs_event_t ev;
    uv_timer_t timer;
    int on;   /* the handles are open */
    int busy; /* an import is queued or running */
};

struct server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uv_signal_t sigterm, sigint, sighup;
    struct conf conf;
    const char *conf_path;
    int conf_required;
    struct hub *hub;
    struct job *head, *tail; /* jobs waiting for the worker */
    int worker_busy;
    /* The batch on the worker (see "group commit" at the top). */
    uv_work_t batch_req;
    struct job *batch;
    int group_commit; /* the log is synced once per batch; 0: every commit syncs (FULL) */
    int batch_sync_rc;
    unsigned long long jobs_done, batches, log_syncs;
    size_t nconns;
    int stopping;
    struct inbox inbox;
};

/* ---- logging: one line per event ---- */

static void logf_(const char *level, const struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
logf_(const char *level, const struct conn *c, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "cellsyncd: %s", level);
    if (c != NULL)
        fprintf(stderr, " peer=%s device=%s", c->addr, c->who[0] ? c->who : "-");
    fputc(' ', stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---- the worker: batches of jobs in order, one sync of the log each ---- */

static void job_start_next(struct server *s);
static void inbox_work(struct job *j);
static void inbox_done(struct job *j);

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

static void conn_unref(struct conn *c);
static void conn_close(struct conn *c, const char *reason);
static void job_done_conn(struct job *j);

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

static struct job *
job_new(struct conn *c, enum job_kind kind)
{
    struct job *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return NULL;
    j->srv = c->srv;
    j->conn = c;
    j->kind = kind;
    c->refs++;
    c->jobs++;
    return j;
}

static void
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

static void
job_free(struct job *j)
{
    free(j->in);
    hub_merge_release(&j->merge);
    free(j->chunk.env);
    free(j->imp);
    free(j);
}

/* ---- writing ---- */

struct wreq {
    uv_write_t req;
    struct conn *c;
    size_t len;
    uint8_t data[];
};

static void maybe_chunk_out(struct conn *c);

static void
write_cb(uv_write_t *req, int status)
{
    struct wreq *w = container_of(req, struct wreq, req);
    struct conn *c = w->c;
    c->queued -= w->len;
    free(w);
    if (status < 0 && status != UV_ECANCELED)
        conn_close(c, uv_strerror(status));
    else
        maybe_chunk_out(c);
    conn_unref(c);
}

/* Sends one frame: plain before the session, sealed in it. */
static int
conn_send(struct conn *c, const uint8_t *msg, size_t len, int seal)
{
    size_t flen = len + (seal ? CS_SESSION_OVERHEAD : 0);
    if (c->state == C_CLOSING)
        return 0;
    if (c->queued + flen > WRITE_HARD_CAP) {
        conn_close(c, "the device reads too slowly");
        return -1;
    }
    struct wreq *w = malloc(sizeof(*w) + CS_WIRE_HEADER + flen);
    if (w == NULL) {
        conn_close(c, "out of memory");
        return -1;
    }
    cs_wire_frame_put(w->data, (uint32_t)flen);
    if (seal)
        cs_session_seal(&c->sess, msg, len, w->data + CS_WIRE_HEADER);
    else
        memcpy(w->data + CS_WIRE_HEADER, msg, len);
    w->c = c;
    w->len = CS_WIRE_HEADER + flen;
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)w->len);
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, write_cb);
    if (rc < 0) {
        free(w);
        conn_close(c, uv_strerror(rc));
        return -1;
    }
    c->queued += w->len;
    c->refs++;
    return 0;
}

static int
conn_send_msg(struct conn *c, const struct cs_msg *m)
{
    uint8_t *buf;
    size_t len;
    if (cs_msg_encode(m, &buf, &len) != 0) {
        conn_close(c, "cannot encode a message");
        return -1;
    }
    int ret = conn_send(c, buf, len, 1);
    free(buf);
    return ret;
}

/* ---- closing ---- */

static void
handle_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    c->handles_open--;
    conn_unref(c);
}

static void
conn_unref(struct conn *c)
{
    if (--c->refs > 0)
        return;
    struct server *s = c->srv;
    hub_peer_release(&c->peer);
    sodium_memzero(&c->hs, sizeof(c->hs));
    sodium_memzero(&c->sess, sizeof(c->sess));
    free(c->rbuf);
    free(c);
    s->nconns--;
}

static void
conn_close(struct conn *c, const char *reason)
{
    if (c->state == C_CLOSING)
        return;
    c->state = C_CLOSING;
    if (reason != NULL)
        logf_("info", c, "event=close reason=\"%s\" up=%zu down=%zu conflicts=%zu refused=%zu",
              reason, c->up_changes, c->down_changes, c->conflicts, c->refused);
    if (c->who[0]) {
        struct job *j = job_new(c, J_BYE);
        if (j != NULL)
            job_push(j);
    }
    uv_close((uv_handle_t *)&c->tcp, handle_closed);
    uv_close((uv_handle_t *)&c->timer, handle_closed);
}

static void
shutdown_cb(uv_shutdown_t *req, int status)
{
    struct conn *c = req->data;
    (void)status;
    free(req);
    conn_close(c, NULL);
    conn_unref(c);
}

/*
 * Closes after what is queued has been written (a refusal, an error), so
 * the device learns why. Reading stops at once.
 */
static void
conn_finish(struct conn *c, const char *reason)
{
    if (c->state == C_CLOSING)
        return;
    uv_shutdown_t *req = malloc(sizeof(*req));
    if (req != NULL)
        req->data = c;
    if (req == NULL || uv_shutdown(req, (uv_stream_t *)&c->tcp, shutdown_cb) != 0) {
        free(req);
        conn_close(c, reason);
        return;
    }
    c->refs++;
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = 0;
    logf_("info", c, "event=close reason=\"%s\" up=%zu down=%zu conflicts=%zu refused=%zu", reason,
          c->up_changes, c->down_changes, c->conflicts, c->refused);
    c->finishing = 1;
}

static void
timer_cb(uv_timer_t *t)
{
    struct conn *c = t->data;
    conn_close(c, c->state == C_HELLO ? "no handshake in time" : "idle too long");
}

static void
timer_arm(struct conn *c)
{
    unsigned secs = c->state == C_HELLO || c->state == C_HEADER ? c->srv->conf.handshake_timeout
                                                                : c->srv->conf.idle_timeout;
    uv_timer_start(&c->timer, timer_cb, (uint64_t)secs * 1000, 0);
}

/* ---- the streams ---- */

static void read_resume(struct conn *c);

static void
maybe_chunk_out(struct conn *c)
{
    /*
     * From the welcome on: the hub's stream is open once its header is
     * sent, so its chunks go with the welcome rather than a round trip
     * later, after the device's header.
     */
    if ((c->state != C_SESSION && c->state != C_HEADER) || c->chunk_out_busy || c->down_done ||
        c->queued > WRITE_HIGH)
        return;
    struct job *j = job_new(c, J_CHUNK_OUT);
    if (j == NULL) {
        conn_close(c, "out of memory");
        return;
    }
    c->chunk_out_busy = 1;
    job_push(j);
}

static void
job_done_conn(struct job *j)
{
    struct conn *c = j->conn;
    c->jobs--;
    if (c->state == C_CLOSING || c->finishing)
        goto out;
    switch (j->kind) {
    case J_HELLO:
        if (j->ret != 0) {
            conn_close(c, j->err);
            break;
        }
        if (j->outlen > 0)
            conn_send(c, j->out, j->outlen, 0);
        if (j->close_after) {
            conn_finish(c, j->err);
            break;
        }
        /* The same 8 digits `cellsyncd devices` shows. */
        snprintf(c->who, sizeof(c->who), "%02x%02x%02x%02x", c->peer.dev.id.b[0],
                 c->peer.dev.id.b[1], c->peer.dev.id.b[2], c->peer.dev.id.b[3]);
        {
            uint8_t hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
            if (cs_session_init(&c->sess, &c->hs, hdr) != 0) {
                conn_close(c, "cannot start the session");
                break;
            }
            conn_send(c, hdr, sizeof(hdr), 0);
        }
        c->state = C_HEADER;
        logf_("info", c, "event=hello org=%s role=%s", c->peer.dev.org, c->peer.dev.role);
        /* Its cursor counts in another incarnation (a restored hub): sent from what both share. */
        if (c->peer.restored)
            logf_("info", c, "event=restored-hub %s", c->peer.restored_log);
        /* Writes refused for the clock that the device has not issued again: told once more. */
        if (j->merge.nrefused > 0) {
            struct cs_msg r = {
                .type = CS_MSG_REFUSED, .refused = j->merge.refused, .nrefused = j->merge.nrefused};
            logf_("info", c, "event=refused-again count=%zu", j->merge.nrefused);
            conn_send_msg(c, &r);
        }
        read_resume(c);
        maybe_chunk_out(c);
        break;
    case J_CHUNK_IN: {
        if (j->ret != 0) {
            struct cs_msg m = {.type = CS_MSG_ERROR, .code = (uint32_t)-j->ret};
            snprintf(m.message, sizeof(m.message), "%.*s", (int)sizeof(m.message) - 1, j->err);
            conn_send_msg(c, &m);
            conn_finish(c, j->err);
            break;
        }
        c->up_changes += j->merge.st.applied;
        c->conflicts += j->merge.st.conflicts;
        c->refused += j->merge.nrefused;
        /* A chunk the hub had merged before (sent again, or replayed): acknowledged, not stored. */
        if (j->merge.st.received > 0 && j->merge.st.duplicates == j->merge.st.received)
            logf_("warn", c, "event=duplicate-chunk last_seq=%llu changes=%zu stored=0",
                  (unsigned long long)j->merge.seq_last, j->merge.st.received);
        if (j->merge.nrefused > 0) {
            struct cs_msg r = {.type = CS_MSG_REFUSED,
                               .refused = j->merge.refused,
                               .nrefused = j->merge.nrefused,
                               .seq_last = j->merge.seq_last};
            logf_("warn", c, "event=refused count=%zu first=\"%s\"", j->merge.nrefused,
                  j->merge.refused[0].reason);
            conn_send_msg(c, &r);
        }
        struct cs_msg ack = {.type = CS_MSG_ACK,
                             .seq = j->merge.seq_last,
                             .hub_time = cs_hlc_now(cs_replica_clock(hub_replica(c->srv->hub)))};
        conn_send_msg(c, &ack);
        maybe_chunk_out(c);
        read_resume(c);
        break;
    }
    case J_CHUNK_OUT:
        c->chunk_out_busy = 0;
        if (j->ret != 0) {
            /* The hub's own failure (a damaged or unreadable replica): the device hears why. */
            struct cs_msg m = {.type = CS_MSG_ERROR, .code = (uint32_t)-j->ret};
            snprintf(m.message, sizeof(m.message), "%.*s", (int)sizeof(m.message) - 1, j->err);
            conn_send_msg(c, &m);
            conn_finish(c, j->err);
            break;
        }
        /* A chunk with nothing for this device is not sent: DONE moves its cursor. */
        if (j->chunk.changes > 0) {
            struct cs_msg m = {
                .type = CS_MSG_CHUNK, .env = j->chunk.env, .envlen = j->chunk.envlen};
            conn_send_msg(c, &m);
            c->down_changes += j->chunk.changes;
        }
        if (j->chunk.seq_last > c->peer.down_after)
            c->peer.down_after = j->chunk.seq_last;
        if (j->chunk.last) {
            struct cs_msg d = {.type = CS_MSG_DONE, .seq = c->peer.down_after};
            conn_send_msg(c, &d);
            c->down_done = 1;
        } else {
            maybe_chunk_out(c);
        }
        break;
    case J_ACK_IN:
    case J_DONE_IN:
    case J_BYE:
    case J_IMPORT:
        break;
    }
out:
    if (c->srv->stopping && c->jobs == 0)
        conn_close(c, "the hub is stopping");
    job_free(j);
    conn_unref(c);
}

static void
handle_message(struct conn *c, const uint8_t *frame, size_t flen)
{
    uint8_t *plain = malloc(flen + 1);
    size_t plen;
    struct cs_msg m = {0};
    if (plain == NULL) {
        conn_close(c, "out of memory");
        return;
    }
    int rc = cs_session_open(&c->sess, frame, flen, plain, &plen);
    if (rc == 0)
        rc = cs_msg_decode(&m, plain, plen);
    if (rc != 0) {
        free(plain);
        conn_close(c, "garbled session data");
        return;
    }
    struct job *j;
    switch (m.type) {
    case CS_MSG_CHUNK:
        if (c->up_done) {
            conn_close(c, "chunk after done");
            break;
        }
        if ((j = job_new(c, J_CHUNK_IN)) == NULL || (j->in = malloc(m.envlen)) == NULL) {
            if (j)
                job_free(j), c->jobs--, c->refs--;
            conn_close(c, "out of memory");
            break;
        }
        memcpy(j->in, m.env, m.envlen);
        j->inlen = m.envlen;
        job_push(j);
        break;
    case CS_MSG_ACK:
        if ((j = job_new(c, J_ACK_IN)) != NULL) {
            j->ack = m.seq;
            job_push(j);
        }
        break;
    case CS_MSG_DONE:
        c->up_done = 1;
        /* After the merges queued before it: the device's cursor passes its empty chunks. */
        if ((j = job_new(c, J_DONE_IN)) != NULL) {
            j->ack = m.seq;
            job_push(j);
        }
        break;
    case CS_MSG_ERROR:
        logf_("warn", c, "event=device-error message=\"%s\"", m.message);
        conn_close(c, "the device stopped");
        break;
    default:
        conn_close(c, "unexpected message");
        break;
    }
    cs_msg_release(&m);
    free(plain);
}

/* Takes whole frames off the read buffer; stops when one is incomplete. */
static void
process_frames(struct conn *c)
{
    size_t off = 0;
    while (c->state != C_CLOSING && c->rlen - off >= CS_WIRE_HEADER) {
        uint32_t max = c->state == C_SESSION ? CS_WIRE_MAX_FRAME : CS_WIRE_MAX_PREAUTH;
        uint32_t len;
        if (cs_wire_frame_len(c->rbuf + off, max, &len) != 0) {
            conn_close(c, "frame over the size limit");
            return;
        }
        if (c->rlen - off < CS_WIRE_HEADER + len)
            break;
        const uint8_t *f = c->rbuf + off + CS_WIRE_HEADER;
        off += CS_WIRE_HEADER + len;
        if (c->state == C_HELLO && len == 1 && f[0] == CS_WIRE_KEY_REQUEST) {
            /* Enrollment by code: the key is public, and immutable once loaded. */
            uint8_t reply[1 + CS_PK_LEN] = {CS_WIRE_KEY_REPLY};
            memcpy(reply + 1, cs_key_pk(hub_key(c->srv->hub)), CS_PK_LEN);
            conn_send(c, reply, sizeof(reply), 0);
            conn_finish(c, "key request");
            break;
        } else if (c->state == C_HELLO) {
            struct job *j = job_new(c, J_HELLO);
            if (j == NULL || (j->in = malloc(len ? len : 1)) == NULL) {
                conn_close(c, "out of memory");
                break;
            }
            memcpy(j->in, f, len);
            j->inlen = len;
            /* Nothing more until the hub has answered. */
            uv_read_stop((uv_stream_t *)&c->tcp);
            c->reading = 0;
            job_push(j);
            break;
        } else if (c->state == C_HEADER) {
            if (cs_session_accept(&c->sess, &c->hs, f, len) != 0) {
                conn_close(c, "bad stream header");
                break;
            }
            sodium_memzero(&c->hs, sizeof(c->hs));
            c->state = C_SESSION;
            timer_arm(c);
            maybe_chunk_out(c);
        } else {
            handle_message(c, f, len);
            if (c->jobs >= JOBS_HIGH && c->reading) {
                uv_read_stop((uv_stream_t *)&c->tcp);
                c->reading = 0;
            }
        }
    }
    if (off > 0 && c->rbuf != NULL) {
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
    }
    /* A device waiting for the hub holds no buffer: a thousand of them cost no memory. */
    if (c->rlen == 0) {
        free(c->rbuf);
        c->rbuf = NULL;
        c->rcap = 0;
    }
}

/*
 * Room for one read of READ_ROOM bytes beyond what is buffered, or for the
 * rest of the frame being read once its length is known, so a large frame
 * comes in a few reads; never more than a whole frame of the state's limit
 * and READ_ROOM. The buffer is freed whenever it is empty (process_frames).
 */
static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = h->data;
    uint32_t maxlen = c->state == C_SESSION ? CS_WIRE_MAX_FRAME : CS_WIRE_MAX_PREAUTH, len;
    size_t want = c->rlen + READ_ROOM;
    (void)suggested;
    if (c->rlen >= CS_WIRE_HEADER && cs_wire_frame_len(c->rbuf, maxlen, &len) == 0 &&
        CS_WIRE_HEADER + (size_t)len > c->rlen)
        want = CS_WIRE_HEADER + (size_t)len + READ_ROOM;
    if (want > CS_WIRE_HEADER + (size_t)maxlen + READ_ROOM)
        want = CS_WIRE_HEADER + (size_t)maxlen + READ_ROOM;
    if (c->rcap < want) {
        uint8_t *n = realloc(c->rbuf, want);
        if (n != NULL) {
            c->rbuf = n;
            c->rcap = want;
        }
    }
    *buf = uv_buf_init((char *)c->rbuf + c->rlen, (unsigned)(c->rcap - c->rlen));
}

static void
read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = st->data;
    (void)buf;
    if (nread == 0)
        return; /* EAGAIN, not EOF */
    if (nread < 0) {
        conn_close(c, nread != UV_EOF              ? uv_strerror((int)nread)
                      : c->rlen > 0                ? "the device hung up in the middle of a frame"
                      : c->down_done && c->up_done ? "done"
                                                   : "the device hung up");
        return;
    }
    c->rlen += (size_t)nread;
    if (c->state != C_HELLO)
        timer_arm(c);
    process_frames(c);
}

static void
read_resume(struct conn *c)
{
    if (c->reading || c->state == C_CLOSING || c->finishing || c->jobs >= JOBS_HIGH)
        return;
    if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) == 0)
        c->reading = 1;
    /* Frames that arrived while reading was paused are in the buffer already. */
    process_frames(c);
}

static void
on_connection(uv_stream_t *l, int status)
{
    struct server *s = l->data;
    if (status < 0) {
        logf_("warn", NULL, "event=accept-failed error=\"%s\"", uv_strerror(status));
        return;
    }
    struct conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return;
    c->srv = s;
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->refs = 2;
    c->handles_open = 2;
    s->nconns++;
    if (uv_accept(l, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c, NULL);
        return;
    }
    struct sockaddr_storage ss;
    int sl = sizeof(ss);
    snprintf(c->addr, sizeof(c->addr), "?");
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0) {
        char ip[48] = "";
        if (ss.ss_family == AF_INET)
            uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
        else
            uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
        snprintf(c->addr, sizeof(c->addr), "%s", ip);
    }
    if (s->stopping || s->nconns > s->conf.max_connections) {
        conn_close(c, "too many connections");
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->state = C_HELLO;
    timer_arm(c);
    read_resume(c);
}

/* ---- the inbox: bundles dropped into a directory ---- */

/*
 * With `inbox = DIR` configured, bundles dropped into DIR (by a relay
 * machine, or copied off a stick) are imported as `cellsyncd import` would
 * import them, but as jobs of the one worker, in turn with the live
 * sessions' jobs, so an import never runs beside a live merge. Nothing
 * polls: uv_fs_event says when DIR changes, and a timer lets a file settle
 * first (INBOX_SETTLE_MS after the last event, and its mtime at least that
 * old), so a bundle still being copied is not read half-way. One bundle is
 * imported at a time; its reply goes next to it as NAME.reply and the
 * bundle to DIR/done/, or to DIR/refused/ when it was refused (the reason
 * is in the log), so nothing is imported twice or retried forever. A
 * failure of the hub's own leaves the bundle where it is, to be tried again
 * after INBOX_RETRY_MS or the next change in DIR.
 */
#define INBOX_SETTLE_MS 1000
#define INBOX_RETRY_MS  60000
#define BUNDLE_SUFFIX   ".bundle"

struct inbox_job {
    char name[256];        /* NAME.bundle */
    char dir[PATH_MAX];    /* copied from the configuration: the worker never reads it */
    char reply_name[256];  /* NAME.reply */
    struct hub_import res; /* what the import did */
    const char *moved;     /* "done", "refused", or NULL: left in place */
    int move_err;          /* errno of a failed move */
};

static int
is_bundle_name(const char *name)
{
    size_t n = strlen(name), k = sizeof(BUNDLE_SUFFIX) - 1;
    return name[0] != '.' && n > k && n < sizeof(((struct inbox_job *)0)->name) &&
           strcmp(name + n - k, BUNDLE_SUFFIX) == 0;
}

/* On the worker: import, then move the bundle out of the way. */
static void
inbox_work(struct job *j)
{
    struct inbox_job *ij = j->imp;
    char path[PATH_MAX + 256], to[PATH_MAX + 300];

    snprintf(path, sizeof(path), "%s/%s", ij->dir, ij->name);
    j->ret =
        hub_import(j->srv->hub, path, ij->dir, ij->reply_name, &ij->res, j->err, sizeof(j->err));
    if (j->ret != 0 && !ij->res.refused)
        return;
    const char *sub = j->ret == 0 ? "done" : "refused";
    snprintf(to, sizeof(to), "%s/%s", ij->dir, sub);
    if (mkdir(to, 0755) != 0 && errno != EEXIST) {
        ij->move_err = errno;
        return;
    }
    snprintf(to, sizeof(to), "%s/%s/%s", ij->dir, sub, ij->name);
    if (rename(path, to) != 0) {
        ij->move_err = errno;
        return;
    }
    ij->moved = sub;
}

static void inbox_scan(uv_timer_t *t);

/* Back on the loop: log it, then look for the next one. */
static void
inbox_done(struct job *j)
{
    struct server *s = j->srv;
    struct inbox_job *ij = j->imp;
    const struct hub_import *r = &ij->res;
    int again = 0;

    s->inbox.busy = 0;
    if (r->restored[0])
        logf_("info", NULL, "event=restored-hub device=%s file=\"%s\" %s", r->device, ij->name,
              r->restored);
    if (j->ret == 0)
        logf_("info", NULL,
              "event=import file=\"%s\" device=%s org=%s new=%zu refused=%zu conflicts=%zu "
              "old_chunks=%zu down=%zu reply=\"%s\"",
              ij->name, r->device, r->org, r->applied, r->refused_changes, r->conflicts,
              r->old_chunks, r->down_changes, ij->reply_name);
    else if (r->refused)
        logf_("warn", NULL, "event=import-refused file=\"%s\" device=%s reason=\"%s\"", ij->name,
              r->device[0] ? r->device : "-", j->err);
    else {
        logf_("error", NULL, "event=import-failed file=\"%s\" error=\"%s\" retry_in=%ds", ij->name,
              j->err, INBOX_RETRY_MS / 1000);
        again = 1;
    }
    if (ij->move_err != 0) {
        logf_("error", NULL, "event=import-move-failed file=\"%s\" error=\"%s\" retry_in=%ds",
              ij->name, strerror(ij->move_err), INBOX_RETRY_MS / 1000);
        again = 1;
    }
    /* A bundle that could not leave the inbox waits, rather than go round and round. */
    if (s->inbox.on && !s->stopping)
        uv_timer_start(&s->inbox.timer, inbox_scan, again ? INBOX_RETRY_MS : 0, 0);
    job_free(j);
}

/* The settled bundle that sorts first goes to the worker; fresh ones are looked at again. */
static void
inbox_scan(uv_timer_t *t)
{
    struct server *s = t->data;
    char pick[256] = "", path[PATH_MAX + 256];
    int fresh = 0;

    if (s->stopping || s->inbox.busy)
        return;
    DIR *d = opendir(s->conf.inbox);
    if (d == NULL) {
        logf_("error", NULL, "event=inbox-unreadable dir=\"%s\" error=\"%s\"", s->conf.inbox,
              strerror(errno));
        return;
    }
    uint64_t now = cs_hlc_wall_ms(NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (!is_bundle_name(e->d_name))
            continue;
        snprintf(path, sizeof(path), "%s/%s", s->conf.inbox, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        uint64_t mtime =
            (uint64_t)st.st_mtim.tv_sec * 1000 + (uint64_t)st.st_mtim.tv_nsec / 1000000;
        if (mtime + INBOX_SETTLE_MS > now) {
            fresh = 1;
            continue;
        }
        if (pick[0] == 0 || strcmp(e->d_name, pick) < 0)
            snprintf(pick, sizeof(pick), "%s", e->d_name);
    }
    closedir(d);
    if (pick[0] == 0) {
        if (fresh)
            uv_timer_start(t, inbox_scan, INBOX_SETTLE_MS, 0);
        return;
    }
    struct job *j = calloc(1, sizeof(*j));
    struct inbox_job *ij = calloc(1, sizeof(*ij));
    if (j == NULL || ij == NULL) {
        free(j);
        free(ij);
        logf_("error", NULL, "event=import-failed file=\"%s\" error=\"out of memory\"", pick);
        uv_timer_start(t, inbox_scan, INBOX_RETRY_MS, 0);
        return;
    }
    snprintf(ij->name, sizeof(ij->name), "%s", pick);
    snprintf(ij->dir, sizeof(ij->dir), "%s", s->conf.inbox);
    snprintf(ij->reply_name, sizeof(ij->reply_name), "%.*s.reply",
             (int)(strlen(pick) - (sizeof(BUNDLE_SUFFIX) - 1)), pick);
    j->srv = s;
    j->kind = J_IMPORT;
    j->imp = ij;
    s->inbox.busy = 1;
    job_push(j);
}

static void
inbox_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
    struct server *s = h->data;
    (void)events;
    if (status < 0) {
        logf_("warn", NULL, "event=inbox-watch-error error=\"%s\"", uv_strerror(status));
        return;
    }
    /* Our own replies and moves are no news; anything else restarts the settling time. */
    if (filename != NULL && !is_bundle_name(filename))
        return;
    if (!s->inbox.busy)
        uv_timer_start(&s->inbox.timer, inbox_scan, INBOX_SETTLE_MS, 0);
}

/* Checked before the server starts: a configured inbox must be a directory. */
static int
inbox_check(const struct conf *c)
{
    struct stat st;
    if (c->inbox[0] == 0)
        return 0;
    const char *why = stat(c->inbox, &st) != 0 ? strerror(errno)
                      : !S_ISDIR(st.st_mode)   ? _("not a directory")
                                               : NULL;
    if (why != NULL) {
        fprintf(stderr, _("cellsyncd: cannot use the inbox '%s': %s\n"), c->inbox, why);
        return -1;
    }
    return 0;
}

static void
inbox_start(struct server *s)
{
    if (s->conf.inbox[0] == 0)
        return;
    uv_fs_event_init(s->loop, &s->inbox.ev);
    uv_timer_init(s->loop, &s->inbox.timer);
    s->inbox.ev.data = s->inbox.timer.data = s;
    s->inbox.on = 1;
    int rc = uv_fs_event_start(&s->inbox.ev, inbox_event, s->conf.inbox, 0);
    if (rc != 0) {
        /* The hub still serves live syncs; the log says why the inbox does not. */
        logf_("error", NULL, "event=inbox-unwatchable dir=\"%s\" error=\"%s\"", s->conf.inbox,
              uv_strerror(rc));
        return;
    }
    logf_("info", NULL, "event=inbox dir=\"%s\"", s->conf.inbox);
    /* Bundles that came while the hub was down. */
    uv_timer_start(&s->inbox.timer, inbox_scan, 0, 0);
}

static void
inbox_stop(struct server *s)
{
    if (!s->inbox.on)
        return;
    s->inbox.on = 0;
    uv_close((uv_handle_t *)&s->inbox.ev, NULL);
    uv_close((uv_handle_t *)&s->inbox.timer, NULL);
}

/* ---- signals ---- */

static void
close_walk(uv_handle_t *h, void *arg)
{
    struct server *s = arg;
    if (h->type != UV_TCP || h == (uv_handle_t *)&s->listener || uv_is_closing(h))
        return;
    struct conn *c = h->data;
    if (c->jobs == 0)
        conn_close(c, "the hub is stopping");
}

static void
on_signal(uv_signal_t *sig, int signum)
{
    struct server *s = sig->data;
    if (signum == SIGHUP) {
        struct conf n = s->conf;
        char err[512];
        if (conf_load(&n, s->conf_path, s->conf_required, err, sizeof(err)) != 0) {
            logf_("error", NULL, "event=reload-failed error=\"%s\"", err);
            return;
        }
        /* The listening address, state directory and inbox need a restart to change. */
        snprintf(n.listen, sizeof(n.listen), "%s", s->conf.listen);
        snprintf(n.state, sizeof(n.state), "%s", s->conf.state);
        snprintf(n.inbox, sizeof(n.inbox), "%s", s->conf.inbox);
        s->conf = n;
        cs_replica_clock(hub_replica(s->hub))->max_drift_ms =
            (uint64_t)n.max_drift_hours * 3600 * 1000;
        logf_("info", NULL, "event=reload");
        return;
    }
    if (s->stopping)
        return;
    s->stopping = 1;
    logf_("info", NULL, "event=stopping signal=%d connections=%zu", signum, s->nconns);
    uv_close((uv_handle_t *)&s->listener, NULL);
    uv_close((uv_handle_t *)&s->sigterm, NULL);
    uv_close((uv_handle_t *)&s->sigint, NULL);
    uv_close((uv_handle_t *)&s->sighup, NULL);
    inbox_stop(s);
    /* Idle connections close now; busy ones when their last job is done. */
    uv_walk(s->loop, close_walk, s);
}

/* ---- the command ---- */

/*
 * Group commit needs the write-ahead log (the replica always opens in WAL
 * mode): commits then stop waiting for the disk, and batch_work syncs the
 * log once per batch. 1 when on; 0 leaves every commit synchronous = FULL.
 */
static int
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

static int
parse_listen(const char *addr, struct sockaddr_storage *ss)
{
    char host[128], *port;
    snprintf(host, sizeof(host), "%s", addr);
    port = strrchr(host, ':');
    if (port == NULL)
        return UV_EINVAL;
    *port++ = 0;
    int p = atoi(port);
    if (p < 0 || p > 65535)
        return UV_EINVAL;
    if (host[0] == '[') {
        host[strlen(host) - 1] = 0;
        return uv_ip6_addr(host + 1, p, (struct sockaddr_in6 *)ss);
    }
    return uv_ip4_addr(host, p, (struct sockaddr_in *)ss);
}

static void
usage(FILE *f)
{
    fprintf(f, "%s",
            _("usage: cellsyncd serve [--state DIR] [--listen ADDR:PORT] [--config FILE]\n"
              "  [--port-file FILE]\n\n"
              "Runs the hub: accepts live syncs from enrolled devices and, when the\n"
              "configuration names an inbox, imports the bundles dropped there. SIGTERM stops\n"
              "it after in-flight merges finish; SIGHUP reloads the configuration.\n"));
}

int
cmd_serve(int argc, char **argv)
{
    static const struct option lo[] = {
        {"state", required_argument, NULL, 's'},  {"listen", required_argument, NULL, 'l'},
        {"config", required_argument, NULL, 'c'}, {"port-file", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct server s = {0};
    const char *state = NULL, *listen = NULL, *port_file = NULL;
    char err[1024];
    int ch, rc;

    s.conf_path = CONF_DEFAULT_PATH;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 's':
            state = optarg;
            break;
        case 'l':
            listen = optarg;
            break;
        case 'c':
            s.conf_path = optarg;
            s.conf_required = 1;
            break;
        case 'p':
            port_file = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, _("cellsyncd: serve: bad option '%s'\n"), argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, _("cellsyncd: serve: unexpected argument '%s'\n"), argv[optind]);
        return 2;
    }
    conf_defaults(&s.conf);
    if (conf_load(&s.conf, s.conf_path, s.conf_required, err, sizeof(err)) != 0) {
        fprintf(stderr, "cellsyncd: %s\n", err);
        return 1;
    }
    if (state)
        snprintf(s.conf.state, sizeof(s.conf.state), "%s", state);
    if (listen)
        snprintf(s.conf.listen, sizeof(s.conf.listen), "%s", listen);
    if (inbox_check(&s.conf) != 0)
        return 1;
    /*
     * The serve lock (ops.h): held until the process exits, so that
     * `cellsyncd restore` refuses while this hub serves and a second serve
     * of the same state fails. Without a state directory hub_open says why.
     */
    int lock_fd = -1;
    if ((rc = ops_lock(s.conf.state, &lock_fd, err, sizeof(err))) != 0 && rc != -ENOENT) {
        fprintf(stderr, "cellsyncd: %s\n", err);
        return 1;
    }
    /*
     * A damaged replica is not served: every merge would fail on it, or
     * worse, write beside the damage. One read of the file; other failures
     * (a missing state, permissions) are hub_open's to explain.
     */
    char db_path[PATH_MAX];
    if (ops_path(db_path, sizeof(db_path), s.conf.state, HUB_REPLICA) == 0 &&
        access(db_path, F_OK) == 0 &&
        ops_db_quick_check(db_path, err, sizeof(err)) == CS_ECORRUPT) {
        fprintf(stderr,
                _("cellsyncd: %s\ncellsyncd: the hub does not serve a damaged replica; restore a "
                  "backup (cellsyncd restore DIR), see 'cellsyncd check'\n"),
                err);
        return 1;
    }
    if (hub_open(&s.hub, s.conf.state, err, sizeof(err)) != 0) {
        fprintf(stderr, "cellsyncd: %s\n", err);
        return 1;
    }
    cs_replica_clock(hub_replica(s.hub))->max_drift_ms =
        (uint64_t)s.conf.max_drift_hours * 3600 * 1000;
    s.group_commit = group_commit_start(cs_replica_db(hub_replica(s.hub)));

    /* A device that resets its link must cost a write error, not the hub. */
    signal(SIGPIPE, SIG_IGN);
    s.loop = uv_default_loop();
    struct sockaddr_storage ss = {0};
    if ((rc = parse_listen(s.conf.listen, &ss)) != 0) {
        fprintf(stderr, _("cellsyncd: cannot listen on '%s': not ADDR:PORT\n"), s.conf.listen);
        hub_close(s.hub);
        return 1;
    }
    uv_tcp_init(s.loop, &s.listener);
    s.listener.data = &s;
    if ((rc = uv_tcp_bind(&s.listener, (struct sockaddr *)&ss, 0)) != 0 ||
        (rc = uv_listen((uv_stream_t *)&s.listener, 1024, on_connection)) != 0) {
        fprintf(stderr, _("cellsyncd: cannot listen on '%s': %s\n"), s.conf.listen,
                uv_strerror(rc));
        uv_close((uv_handle_t *)&s.listener, NULL);
        uv_run(s.loop, UV_RUN_DEFAULT);
        uv_loop_close(s.loop);
        hub_close(s.hub);
        return 1;
    }
    struct sockaddr_storage bound;
    int blen = sizeof(bound);
    int port = 0;
    if (uv_tcp_getsockname(&s.listener, (struct sockaddr *)&bound, &blen) == 0)
        port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                                : ((struct sockaddr_in6 *)&bound)->sin6_port);
    /* Tests listen on port 0 and read back the port the system chose. */
    if (port_file != NULL) {
        char tmp[PATH_MAX + 8];
        snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
        FILE *pf = fopen(tmp, "w");
        if (pf == NULL || fprintf(pf, "%d\n", port) < 0 || fclose(pf) != 0 ||
            rename(tmp, port_file) != 0) {
            fprintf(stderr, _("cellsyncd: cannot write '%s': %s\n"), port_file, strerror(errno));
            return 1;
        }
    }
    uv_signal_init(s.loop, &s.sigterm);
    uv_signal_init(s.loop, &s.sigint);
    uv_signal_init(s.loop, &s.sighup);
    s.sigterm.data = s.sigint.data = s.sighup.data = &s;
    uv_signal_start(&s.sigterm, on_signal, SIGTERM);
    uv_signal_start(&s.sigint, on_signal, SIGINT);
    uv_signal_start(&s.sighup, on_signal, SIGHUP);
    inbox_start(&s);
    logf_("info", NULL, "event=listening addr=%s port=%d state=%s", s.conf.listen, port,
          s.conf.state);

    /* Returns once the listener, the signals and every connection are closed. */
    uv_run(s.loop, UV_RUN_DEFAULT);
    rc = uv_loop_close(s.loop);
    hub_close(s.hub);
    logf_("info", NULL, "event=worker jobs=%llu batches=%llu log_syncs=%llu group_commit=%d",
          s.jobs_done, s.batches, s.log_syncs, s.group_commit);
    logf_("info", NULL, "event=stopped");
    return rc == 0 ? 0 : 1;
}
