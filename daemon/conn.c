/* SPDX-License-Identifier: MIT */
/*
 * A device's connection to `cellsyncd serve`. The event loop only moves
 * bytes, checks frame lengths and runs the session cipher; the work goes
 * to the worker (worker.c).
 *
 * A connection goes HELLO (pre-authentication: small frames, a short
 * timeout) -> HEADER (the device's stream header) -> SESSION, then
 * DRAINING, CLOSING and CLOSED (enum conn_state in conn.h). In SESSION the
 * device's chunks are merged and acknowledged one by one while the hub's
 * chunks for the device's scope stream back, paced by how many bytes wait
 * to be written. One close path, conn_close(), logs why; conn_fail() tells
 * the device why first.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <uv.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/pake.h"
#include "cellsync/rotation.h"
#include "cellsync/sync.h"
#include "cellsync/wire.h"
#include "conn.h"
#include "hub.h"
#include "log.h"
#include "peer.h"
#include "serve.h"
#include "worker.h"

/* ---- logging: one line per event ---- */

void
logf_(int prio, const struct conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vline(prio, c != NULL ? c->addr : NULL, c != NULL ? c->who : NULL, fmt, ap);
    va_end(ap);
}

/* ---- writing ---- */

struct wreq {
    uv_write_t req;
    struct conn *c;
    size_t len;
    uint8_t data[];
};

static void maybe_chunk_out(struct conn *c);
static void conn_close_at(struct conn *c, int prio, const char *reason);

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
}

/* Sends one frame: plain before the session, sealed in it. */
static int
conn_send(struct conn *c, const uint8_t *msg, size_t len, int seal)
{
    size_t flen = len + (seal ? CS_SESSION_OVERHEAD : 0);
    if (c->state >= C_CLOSING)
        return 0;
    if (c->queued + flen > WRITE_HARD_CAP) {
        conn_close(c, "the device reads too slowly");
        return -1;
    }
    struct wreq *w = malloc(sizeof(*w) + CS_WIRE_HEADER + flen);
    if (w == NULL) {
        conn_close_at(c, LOG_ERR, "out of memory");
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
    return 0;
}

static int
conn_send_msg(struct conn *c, const struct cs_msg *m)
{
    uint8_t *buf;
    size_t len;
    if (cs_msg_encode(m, &buf, &len) != 0) {
        conn_close_at(c, LOG_ERR, "cannot encode a message");
        return -1;
    }
    int ret = conn_send(c, buf, len, 1);
    free(buf);
    return ret;
}

/* ---- jobs ---- */

/* A job of this connection's session; counted in c->jobs once pushed (conn_job_push). */
static struct job *
conn_job_new(struct conn *c, enum job_kind kind)
{
    struct job *j = job_new(c->srv, kind);
    if (j == NULL)
        return NULL;
    j->conn = c;
    j->dev = &c->dev;
    return j;
}

/* To the worker, but a chunk in: opened on the crypto stage first (worker.c). */
static void
conn_job_start(struct conn *c, struct job *j)
{
    if (j->kind != J_CHUNK_IN) {
        job_push(j);
        return;
    }
    c->opening = 1;
    memcpy(j->u.chunk_in.pk, c->dev_pk, CS_PK_LEN);
    chunk_open_push(j);
}

/*
 * While a chunk of the session is being opened, its later jobs wait here,
 * so the worker gets a session's jobs in the order they came: a DONE after
 * the merges before it, the device's proof before anything it sent.
 */
static void
conn_job_push(struct conn *c, struct job *j)
{
    c->jobs++;
    if (!c->opening) {
        conn_job_start(c, j);
        return;
    }
    if (c->held_tail != NULL)
        c->held_tail->next = j;
    else
        c->held = j;
    c->held_tail = j;
}

void
conn_chunk_opened(struct job *j)
{
    struct conn *c = j->conn;
    c->opening = 0;
    job_push(j);
    while (!c->opening && c->held != NULL) {
        struct job *n = c->held;
        c->held = n->next;
        if (c->held == NULL)
            c->held_tail = NULL;
        n->next = NULL;
        conn_job_start(c, n);
    }
}

/* ---- closing ---- */

/* The timer's close callback, the last of a connection. */
static void
conn_free(uv_handle_t *h)
{
    struct conn *c = h->data;
    struct server *s = c->srv;
    /* The worker's conn_dev: no job is left to use it. */
    hub_peer_release(&c->dev.peer);
    guard_disconnect(c->gslot);
    /* A REPLY sent and no right CONFIRM: a guess of the code, counted for the address too. */
    if (c->pake != NULL) {
        if (c->pake->replied && !c->pake_ok)
            guard_failed(&s->guard, c, c->addr, 0, uv_now(s->loop));
        cs_pake_wipe(c->pake);
        sodium_free(c->pake);
    }
    sodium_memzero(&c->hs, sizeof(c->hs));
    sodium_memzero(&c->sess, sizeof(c->sess));
    free(c->rbuf);
    free(c);
    s->nconns--;
}

/* Once the socket is closed and no job is left, the timer closes and frees the connection. */
static void
conn_free_when_done(struct conn *c)
{
    if (c->state == C_CLOSED && c->jobs == 0 && !uv_is_closing((uv_handle_t *)&c->timer))
        uv_close((uv_handle_t *)&c->timer, conn_free);
}

static void
tcp_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    c->state = C_CLOSED;
    conn_free_when_done(c);
}

/*
 * The priority of a close for the code that caused it (0: an ordinary
 * end). The hub's own failures (memory, its disk, the system's calls) are
 * errors; what a peer sent that the hub refuses (a handshake, a change
 * set, a revoked device, a malformed frame) is a warning, a security
 * event; a session that reached its lifetime ends as usual.
 */
static int
close_prio(int code)
{
    switch (code) {
    case 0:
    case CS_EEXPIRED:
        return LOG_INFO;
    case CS_ENOMEM:
    case CS_ECRYPTO:
    case CS_ESQLITE:
    case CS_EBUSY:
    case CS_EREADONLY:
    case CS_EFULL:
    case CS_ECORRUPT:
        return LOG_ERR;
    default:
        /* -errno and libuv's codes are the system's answer to the hub. */
        return code < 0 && code > CS_ENOMEM ? LOG_ERR : LOG_WARNING;
    }
}

/*
 * Logs why c closes, at prio, but for a connection closed before a msg1 of
 * it decrypted past its address's lines of the minute: counted (guard.h).
 */
static void
log_close(struct conn *c, int prio, const char *reason)
{
    if (c->quiet)
        return;
    if (c->state == C_HELLO && !c->msg1_read &&
        !guard_preauth(&c->srv->guard, c->addr, reason, c->srv->conf.preauth_log_lines,
                       uv_now(c->srv->loop)))
        return;
    logf_(prio, c, "event=close reason=\"%s\" up=%zu down=%zu conflicts=%zu refused=%zu", reason,
          c->up_changes, c->down_changes, c->conflicts, c->refused);
}

/* Closes the socket now, whatever is queued; logs why at prio (no reason: logged before). */
static void
conn_close_at(struct conn *c, int prio, const char *reason)
{
    if (c->state >= C_CLOSING)
        return;
    if (reason != NULL)
        log_close(c, prio, reason);
    c->state = C_CLOSING;
    c->reading = 0;
    if (c->who[0]) {
        struct job *j = conn_job_new(c, J_BYE);
        if (j != NULL)
            conn_job_push(c, j);
    }
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->tcp, tcp_closed);
}

/* An ordinary close (the device's doing, a timeout), logged at LOG_INFO. */
void
conn_close(struct conn *c, const char *reason)
{
    conn_close_at(c, LOG_INFO, reason);
}

/*
 * A lingering close of a session: once the last frame is written and our
 * side shut, what the device still sends is read and dropped until it hangs up or
 * LINGER_MS pass. Closing with unread data would send a reset, which can
 * destroy the ERROR in the device's buffer before it reads it.
 */
#define LINGER_MS 3000

static void timer_cb(uv_timer_t *t);

static void
drain_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    static char sink[4096]; /* the loop's thread only; never read */
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(sink, sizeof(sink));
}

static void
drain_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = st->data;
    (void)buf;
    if (nread >= 0)
        return;
    uv_read_stop(st);
    c->peer_gone = 1;
    if (c->shut)
        conn_close(c, NULL);
}

static void
shutdown_cb(uv_shutdown_t *req, int status)
{
    struct conn *c = req->data;
    free(req);
    c->shut = 1;
    if (status != 0 || c->peer_gone)
        conn_close(c, NULL);
}

/*
 * Closes after what is queued has been written (a refusal, an error), so
 * the device learns why. Frames are no longer read; the close lingers.
 */
static void
conn_finish(struct conn *c, int prio, const char *reason)
{
    if (c->state >= C_DRAINING)
        return;
    uv_shutdown_t *req = malloc(sizeof(*req));
    if (req != NULL)
        req->data = c;
    if (req == NULL || uv_shutdown(req, (uv_stream_t *)&c->tcp, shutdown_cb) != 0) {
        free(req);
        conn_close_at(c, prio, reason);
        return;
    }
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = 0;
    /*
     * Only a session lingers: before authentication a close costs nothing
     * to hold, and a flood of refused connections must not hold slots.
     */
    if (c->state != C_SESSION || uv_read_start((uv_stream_t *)&c->tcp, drain_alloc, drain_cb) != 0)
        c->peer_gone = 1;
    else
        uv_timer_start(&c->timer, timer_cb, LINGER_MS, 0);
    log_close(c, prio, reason);
    c->state = C_DRAINING;
}

/* Tells the device why (an ERROR with the code), then closes once that is written. */
static void
conn_fail(struct conn *c, int code, const char *why)
{
    struct cs_msg m = {.type = CS_MSG_ERROR, .code = (uint32_t)-code};
    snprintf(m.message, sizeof(m.message), "%.*s", (int)sizeof(m.message) - 1, why);
    conn_send_msg(c, &m);
    conn_finish(c, close_prio(code), why);
}

/* "The hub is busy, try again in secs s" (wire.h), then the close: a full hub or address. */
static void
conn_busy(struct conn *c, unsigned secs, const char *why)
{
    uint8_t b[CS_WIRE_BUSY_LEN];
    conn_send(c, b, cs_hs_busy_reply(b, secs), 0);
    conn_finish(c, LOG_WARNING, why);
}

/* The uv_now at which c's session reaches its maximum lifetime (session_lifetime). */
static uint64_t
lifetime_end(const struct conn *c)
{
    return c->started + (uint64_t)c->srv->conf.session_lifetime * 1000;
}

static void
timer_cb(uv_timer_t *t)
{
    struct conn *c = t->data;
    if (c->state == C_DRAINING) {
        conn_close(c, NULL); /* the device did not hang up, or read too slowly */
        return;
    }
    /*
     * However busy the session (every frame re-arms the idle timer), it
     * ends at its maximum lifetime, so what its handshake decided (the
     * device, its scope) is decided again at least that often. The device
     * is told, and syncs again.
     */
    if (c->state == C_SESSION && uv_now(c->srv->loop) >= lifetime_end(c)) {
        char why[160];
        snprintf(why, sizeof(why), _("the session reached the hub's maximum of %u s: sync again"),
                 c->srv->conf.session_lifetime);
        conn_fail(c, CS_EEXPIRED, why);
        return;
    }
    conn_close(c, c->state == C_HELLO ? "no handshake in time" : "idle too long");
}

static void
timer_arm(struct conn *c)
{
    unsigned secs = c->state == C_HELLO || c->state == C_HEADER ? c->srv->conf.handshake_timeout
                                                                : c->srv->conf.idle_timeout;
    uint64_t ms = (uint64_t)secs * 1000;
    if (c->state == C_SESSION) {
        uint64_t now = uv_now(c->srv->loop), end = lifetime_end(c);
        if (end <= now)
            ms = 0;
        else if (end - now < ms)
            ms = end - now;
    }
    uv_timer_start(&c->timer, timer_cb, ms, 0);
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
    if ((c->state != C_SESSION && c->state != C_HEADER) || c->down != DOWN_IDLE ||
        c->queued > WRITE_HIGH || c->down_waits)
        return;
    struct job *j = conn_job_new(c, J_CHUNK_OUT);
    if (j == NULL) {
        conn_close_at(c, LOG_ERR, "out of memory");
        return;
    }
    c->down = DOWN_MAKING;
    conn_job_push(c, j);
}

/* The hub's answer to the hello is back: the welcome, and the session starts; or a refusal. */
static void
hello_done(struct conn *c, struct job *j)
{
    struct job_hello *o = &j->u.hello;
    uint8_t hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    /* Decrypted: what follows is a device's, logged one by one (log_close). */
    c->msg1_read = o->read_rc == 0;
    if (j->ret != 0) {
        conn_close_at(c, close_prio(j->ret), j->err);
        return;
    }
    if (o->msg2len > 0)
        conn_send(c, o->msg2, o->msg2len, 0);
    if (o->enroll_failed) {
        /* Logged by the guard, aggregated per address, not one line per connection. */
        guard_failed(&c->srv->guard, c, c->addr, o->enroll_failed == 2, uv_now(c->srv->loop));
        c->quiet = 1;
    }
    if (o->close_after) {
        /* Refused (a warning), but for a device of another version of the protocol. */
        conn_finish(c, o->read_rc == CS_EVERSION ? LOG_NOTICE : LOG_WARNING, j->err);
        return;
    }
    /* The same 8 digits `cellsyncd devices` shows. */
    cs_id_short(&o->dev.id, c->who);
    c->dev_id = o->dev.id;
    memcpy(c->dev_pk, o->dev.pk, CS_PK_LEN);
    c->down_waits = o->pending;
    c->hs = o->hs;
    if (cs_session_init(&c->sess, &c->hs, hdr) != 0) {
        conn_close_at(c, LOG_ERR, "cannot start the session");
        return;
    }
    conn_send(c, hdr, sizeof(hdr), 0);
    c->state = C_HEADER;
    logf_(LOG_INFO, c, "event=hello org=%s role=%s", o->dev.org, o->dev.role);
    /* Its cursor counts in another incarnation (a restored hub): sent from what both share. */
    if (o->restored)
        logf_(LOG_INFO, c, "event=restored-hub %s", o->restored_log);
    /*
     * Sealed to a retired key: the chain to the current one goes first, so
     * the device pins that key before any chunk the current key signed.
     */
    if (o->chainlen > 0) {
        struct cs_msg r = {.type = CS_MSG_ROTATION, .env = o->chain, .envlen = o->chainlen};
        char old[17];
        sodium_bin2hex(old, sizeof(old), o->hub_pk, 8);
        logf_(LOG_INFO, c, "event=rotation from=%s steps=%zu", old, o->chainlen / CS_ROTATION_LEN);
        conn_send_msg(c, &r);
    }
    /* Writes refused for the clock that the device has not issued again: told once more. */
    if (o->nrefused > 0) {
        struct cs_msg r = {.type = CS_MSG_REFUSED, .refused = o->refused, .nrefused = o->nrefused};
        logf_(LOG_INFO, c, "event=refused-again count=%zu", o->nrefused);
        conn_send_msg(c, &r);
    }
    read_resume(c);
    maybe_chunk_out(c);
}

/* A chunk of the device is merged: what was refused, then the ACK. */
static void
chunk_in_done(struct conn *c, struct job *j)
{
    const struct hub_merge *m = &j->u.chunk_in.merge;
    if (j->ret != 0) {
        conn_fail(c, j->ret, j->err);
        return;
    }
    c->up_changes += m->st.applied;
    c->conflicts += m->st.conflicts;
    c->refused += m->nrefused;
    /* A chunk the hub had merged before (sent again, or replayed): acknowledged, not stored. */
    if (m->st.received > 0 && m->st.duplicates == m->st.received)
        logf_(LOG_WARNING, c, "event=duplicate-chunk last_seq=%llu changes=%zu stored=0",
              (unsigned long long)m->seq_last, m->st.received);
    if (m->nrefused > 0) {
        struct cs_msg r = {.type = CS_MSG_REFUSED,
                           .refused = m->refused,
                           .nrefused = m->nrefused,
                           .seq_last = m->seq_last};
        logf_(LOG_WARNING, c, "event=refused count=%zu first=\"%s\"", m->nrefused,
              m->refused[0].reason);
        conn_send_msg(c, &r);
    }
    struct cs_msg ack = {
        .type = CS_MSG_ACK, .seq = m->seq_last, .hub_time = j->u.chunk_in.hub_time};
    conn_send_msg(c, &ack);
    maybe_chunk_out(c);
    read_resume(c);
}

/* The hub's next chunk for the device is made: sent, then the next, or DONE. */
static void
chunk_out_done(struct conn *c, struct job *j)
{
    const struct job_chunk_out *o = &j->u.chunk_out;
    c->down = DOWN_IDLE;
    if (j->ret != 0) {
        /* The hub's own failure (a damaged or unreadable replica): the device hears why. */
        conn_fail(c, j->ret, j->err);
        return;
    }
    /* A chunk with nothing for this device is not sent: DONE moves its cursor. */
    if (o->chunk.changes > 0) {
        struct cs_msg m = {.type = CS_MSG_CHUNK, .env = o->chunk.env, .envlen = o->chunk.envlen};
        conn_send_msg(c, &m);
        c->down_changes += o->chunk.changes;
    }
    if (o->chunk.last) {
        struct cs_msg d = {.type = CS_MSG_DONE, .seq = o->down_after};
        conn_send_msg(c, &d);
        c->down = DOWN_DONE;
    } else {
        maybe_chunk_out(c);
    }
}

/* ---- enrollment by code (cellsync/pake.h) ---- */

/* Refuses the run, plainly, and closes once that is written; the guard counts it (held: waiting).
 */
static void
pake_refuse(struct conn *c, enum cs_pake_refusal reason, unsigned wait_s, int held)
{
    uint8_t f[CS_PAKE_REFUSE_LEN];
    cs_pake_refusal(f, reason, wait_s);
    conn_send(c, f, sizeof(f), 0);
    guard_failed(&c->srv->guard, c, c->addr, held, uv_now(c->srv->loop));
    c->quiet = 1;
    conn_finish(c, LOG_WARNING, "enrollment by code refused");
}

/* The hub's part of the run is back from the worker: REPLY, or a refusal. */
static void
pake_done(struct conn *c, struct job *j)
{
    struct job_pake *o = &j->u.pake;
    if (j->ret != 0) {
        conn_close_at(c, close_prio(j->ret), j->err);
        return;
    }
    if (o->refusal != 0) {
        pake_refuse(c, o->refusal, o->refusal == CS_PAKE_WAIT ? o->held : 0,
                    o->refusal == CS_PAKE_WAIT);
        return;
    }
    c->pake_row = o->row;
    /* From here a failure is logged by the guard (conn_free), not per connection. */
    c->quiet = 1;
    conn_send(c, o->reply, o->replylen, 0);
    read_resume(c);
}

/* One frame of a run: START, SHARE or CONFIRM, in that order; anything else closes. */
static void
pake_frame(struct conn *c, const uint8_t *f, size_t len)
{
    int step = cs_pake_step(f, len);
    if (step == CS_PAKE_START && c->pake == NULL) {
        uint8_t nonce[CS_PAKE_NONCE_MSG];
        /* A run is a handshake: the same rate per address as msg1s. */
        unsigned busy =
            guard_handshake(c->gslot, c->srv->conf.handshakes_per_address, uv_now(c->srv->loop));
        if (busy > 0) {
            conn_busy(c, busy, "too many handshakes from this address");
            return;
        }
        unsigned version, wait_s = guard_wait(&c->srv->guard, c->addr, uv_now(c->srv->loop));
        if ((c->pake = sodium_malloc(sizeof(*c->pake))) == NULL) {
            conn_close_at(c, LOG_ERR, "out of memory");
            return;
        }
        if (cs_pake_hub_start(c->pake, f, len, &version, nonce) != 0) {
            conn_close_at(c, LOG_WARNING, "malformed enrollment by code");
            return;
        }
        if (version != CS_WIRE_VERSION) {
            uint8_t v[2];
            conn_send(c, v, cs_hs_version_reply(v), 0);
            conn_finish(c, LOG_NOTICE, "protocol version mismatch");
            return;
        }
        /* An address that guessed wrong too often waits: told after the lookup (a lock first). */
        c->pake_held = wait_s;
        conn_send(c, nonce, sizeof(nonce), 0);
        timer_arm(c); /* each step of a run gets the handshake's time: two round trips */
    } else if (step == CS_PAKE_SHARE && c->pake != NULL && !c->pake->replied && c->jobs == 0) {
        if (len != CS_PAKE_SHARE_LEN) {
            conn_close_at(c, LOG_WARNING, "malformed enrollment by code");
            return;
        }
        struct job *j = conn_job_new(c, J_PAKE);
        if (j == NULL) {
            conn_close_at(c, LOG_ERR, "out of memory");
            return;
        }
        j->u.pake.p = c->pake;
        j->u.pake.held = c->pake_held;
        memcpy(j->u.pake.share, f, len);
        timer_arm(c);
        /* Nothing more until the hub has answered. */
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = 0;
        conn_job_push(c, j);
    } else if (step == CS_PAKE_CONFIRM && c->pake != NULL && c->pake->replied && !c->pake_ok) {
        if (cs_pake_hub_confirm(c->pake, f, len) != 0) {
            conn_close(c, NULL); /* counted and logged by the guard (conn_free) */
            return;
        }
        c->pake_ok = 1;
        struct job *j = conn_job_new(c, J_PAKE_OK);
        if (j != NULL) {
            j->u.pake.row = c->pake_row;
            conn_job_push(c, j);
        }
        logf_(LOG_NOTICE, c, "event=enroll-code-confirmed enrollment=%lld", (long long)c->pake_row);
        conn_finish(c, LOG_INFO, "enrollment by code done");
    } else {
        conn_close_at(c, LOG_WARNING, "unexpected enrollment frame");
    }
}

/* Back on the loop (batch_after): a job of this connection is done. */
void
conn_job_done(struct job *j)
{
    struct conn *c = j->conn;
    c->jobs--;
    if (c->state >= C_DRAINING)
        goto out;
    switch (j->kind) {
    case J_HELLO:
        hello_done(c, j);
        break;
    case J_CHUNK_IN:
        chunk_in_done(c, j);
        break;
    case J_CHUNK_OUT:
        chunk_out_done(c, j);
        break;
    case J_PAKE:
        pake_done(c, j);
        break;
    case J_PROVEN:
        /* Its admission could not take effect (its enrollment used meanwhile): told, closed. */
        if (j->ret != 0 && j->u.seq == 1) {
            conn_fail(c, j->ret, j->err);
            break;
        }
        c->down_waits = 0;
        maybe_chunk_out(c);
        break;
    case J_ACK_IN:
    case J_DONE_IN:
    case J_BYE:
    case J_IMPORT:
    case J_RELOAD:
    case J_PAKE_OK:
    case J_REVOKED:
        break;
    }
out:
    if (c->srv->stopping && c->jobs == 0)
        conn_close(c, "the hub is stopping");
    job_free(j);
    conn_free_when_done(c);
}

static void
handle_message(struct conn *c, const uint8_t *frame, size_t flen)
{
    struct cs_msg m;
    int rc = cs_session_read_msg(&c->sess, frame, flen, &m);
    if (rc != 0) {
        conn_close_at(c, close_prio(rc == CS_ENOMEM ? rc : CS_EDECRYPT),
                      rc == CS_ENOMEM ? "out of memory" : "garbled session data");
        return;
    }
    struct job *j;
    /* Only now does the device hold its key: its contact is written (F11), before what it sent. */
    if (!c->proven) {
        c->proven = 1;
        if ((j = conn_job_new(c, J_PROVEN)) == NULL) {
            cs_msg_release(&m);
            conn_close_at(c, LOG_ERR, "out of memory");
            return;
        }
        conn_job_push(c, j);
    }
    switch (m.type) {
    case CS_MSG_CHUNK:
        if (c->up == UP_DONE) {
            conn_close_at(c, LOG_WARNING, "chunk after done");
            break;
        }
        if ((j = conn_job_new(c, J_CHUNK_IN)) == NULL ||
            (j->u.chunk_in.env = malloc(m.envlen)) == NULL) {
            job_free(j);
            conn_close_at(c, LOG_ERR, "out of memory");
            break;
        }
        memcpy(j->u.chunk_in.env, m.env, m.envlen);
        j->u.chunk_in.envlen = m.envlen;
        conn_job_push(c, j);
        break;
    case CS_MSG_ACK:
        if ((j = conn_job_new(c, J_ACK_IN)) != NULL) {
            j->u.seq = m.seq;
            conn_job_push(c, j);
        }
        break;
    case CS_MSG_DONE:
        c->up = UP_DONE;
        /* After the merges queued before it: the device's cursor passes its empty chunks. */
        if ((j = conn_job_new(c, J_DONE_IN)) != NULL) {
            j->u.seq = m.seq;
            conn_job_push(c, j);
        }
        break;
    case CS_MSG_ERROR:
        logf_(LOG_WARNING, c, "event=device-error message=\"%s\"", m.message);
        conn_close(c, "the device stopped");
        break;
    default:
        conn_close_at(c, LOG_WARNING, "unexpected message");
        break;
    }
    cs_msg_release(&m);
}

/* Takes whole frames off the read buffer; stops when one is incomplete. */
static void
process_frames(struct conn *c)
{
    size_t off = 0;
    while (c->state < C_DRAINING && c->rlen - off >= CS_WIRE_HEADER) {
        uint32_t max = c->state == C_SESSION ? CS_WIRE_MAX_FRAME : CS_WIRE_MAX_PREAUTH;
        uint32_t len;
        if (cs_wire_frame_len(c->rbuf + off, max, &len) != 0) {
            conn_close_at(c, LOG_WARNING, "frame over the size limit");
            return;
        }
        if (c->rlen - off < CS_WIRE_HEADER + len)
            break;
        const uint8_t *f = c->rbuf + off + CS_WIRE_HEADER;
        off += CS_WIRE_HEADER + len;
        if (c->state == C_HELLO && (c->pake != NULL || cs_pake_step(f, len) >= 0)) {
            pake_frame(c, f, len);
            if (!c->reading)
                break;
        } else if (c->state == C_HELLO) {
            unsigned wait = guard_handshake(c->gslot, c->srv->conf.handshakes_per_address,
                                            uv_now(c->srv->loop));
            if (wait > 0) {
                conn_busy(c, wait, "too many handshakes from this address");
                break;
            }
            struct job *j = conn_job_new(c, J_HELLO);
            if (j == NULL || (j->u.hello.msg1 = malloc(len ? len : 1)) == NULL) {
                job_free(j);
                conn_close_at(c, LOG_ERR, "out of memory");
                break;
            }
            memcpy(j->u.hello.msg1, f, len);
            j->u.hello.msg1len = len;
            j->u.hello.held = guard_wait(&c->srv->guard, c->addr, uv_now(c->srv->loop));
            /* Nothing more until the hub has answered. */
            uv_read_stop((uv_stream_t *)&c->tcp);
            c->reading = 0;
            c->jobs++;
            hello_push(j);
            break;
        } else if (c->state == C_HEADER) {
            if (cs_session_accept(&c->sess, &c->hs, f, len) != 0) {
                conn_close_at(c, LOG_WARNING, "bad stream header");
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
    /*
     * An empty buffer stays for the next read while the device is read, so
     * a burst of small frames costs no malloc each; one grown past RBUF_KEEP
     * for a large frame goes. A device waiting for the hub (reading paused)
     * holds none: a thousand of them cost no memory.
     */
    if (c->rlen == 0 && (!c->reading || c->rcap > RBUF_KEEP)) {
        free(c->rbuf);
        c->rbuf = NULL;
        c->rcap = 0;
    }
}

/*
 * Room for one read of READ_ROOM bytes beyond what is buffered, or for the
 * rest of the frame being read once its length is known, so a large frame
 * comes in a few reads; never more than a whole frame of the state's limit
 * and READ_ROOM. The buffer is freed when it is empty and large, or the
 * device is not read (process_frames).
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
        conn_close(c, nread != UV_EOF ? uv_strerror((int)nread)
                      : c->rlen > 0   ? "the device hung up in the middle of a frame"
                      : c->down == DOWN_DONE && c->up == UP_DONE ? "done"
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
    if (c->reading || c->state >= C_DRAINING || c->jobs >= JOBS_HIGH)
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
        logf_(LOG_ERR, NULL, "event=accept-failed error=\"%s\"", uv_strerror(status));
        return;
    }
    struct conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return;
    c->srv = s;
    c->started = uv_now(s->loop);
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
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
    if (s->stopping) {
        conn_close(c, "the hub is stopping");
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    /* Told, not dropped: a device that meets silence says the hub's key differs. */
    if (s->nconns > s->conf.max_connections) {
        conn_busy(c, GUARD_BUSY_S, "too many connections");
        return;
    }
    unsigned wait = guard_connect(&s->guard, c->addr, s->conf.max_connections_per_address,
                                  uv_now(s->loop), &c->gslot);
    if (wait > 0) {
        conn_busy(c, wait, "too many connections from this address");
        return;
    }
    c->state = C_HELLO;
    timer_arm(c);
    read_resume(c);
}

/* ---- revocations reaching open sessions (F7) ---- */

/*
 * `cellsyncd revoke` is another process and writes only the replica: the
 * hub notices by asking, not by being told. Once a second, while devices
 * have sessions open, a J_REVOKED takes their ids to the worker, which reads
 * each one's row (one look-up by key each, on the connection that sees every
 * commit); a session of a revoked device is then told why and closed, within
 * about a second of the revocation. Asking needs no signal, pid file or
 * socket, so it cannot miss a daemon (restarted, of another user, under
 * systemd or not) and reaches it however the row changed. The merge's own
 * check (peer.c) and the one for every chunk sent (worker.c) cover the time
 * in between: nothing of a revoked device merges, however close to the
 * revocation its chunk comes.
 */
struct revoked_walk {
    struct server *s;
    struct job_revoked *r;
    size_t cap;
};

/* A session of a device: welcomed, not yet closing. */
static int
is_session(uv_handle_t *h, struct server *s)
{
    if (h->type != UV_TCP || h == (uv_handle_t *)&s->listener)
        return 0;
    struct conn *c = h->data;
    return c->who[0] != 0 && (c->state == C_HEADER || c->state == C_SESSION);
}

static void
revoked_collect(uv_handle_t *h, void *arg)
{
    struct revoked_walk *w = arg;
    if (!is_session(h, w->s) || w->r->n == w->cap)
        return;
    w->r->v[w->r->n++].id = ((struct conn *)h->data)->dev_id;
}

static void
revoked_poll(uv_timer_t *t)
{
    struct server *s = t->data;
    if (s->revoke_asked || s->stopping || s->nconns == 0)
        return;
    struct job *j = job_new(s, J_REVOKED);
    struct revoked_walk w = {.s = s, .cap = s->nconns};
    if (j == NULL || (j->u.revoked.v = calloc(w.cap, sizeof(*j->u.revoked.v))) == NULL) {
        job_free(j);
        return;
    }
    w.r = &j->u.revoked;
    uv_walk(s->loop, revoked_collect, &w);
    if (w.r->n == 0) {
        job_free(j);
        return;
    }
    s->revoke_asked = 1;
    job_push(j);
}

/* The revoked device one walk looks for, and the server whose handles are walked. */
struct revoked_hit {
    struct server *s;
    const struct revoked_dev *v;
};

static void
revoked_close(uv_handle_t *h, void *arg)
{
    const struct revoked_hit *x = arg;
    /* Every handle of the loop comes here (timers too): only a session's is a conn. */
    if (!is_session(h, x->s))
        return;
    struct conn *c = h->data;
    if (cs_id_cmp(&c->dev_id, &x->v->id) != 0)
        return;
    logf_(LOG_WARNING, c, "event=revoked-session reason=\"%s\"", x->v->msg);
    conn_fail(c, CS_EREVOKED, x->v->msg);
}

void
conn_revoked_done(struct job *j)
{
    struct server *s = j->srv;
    s->revoke_asked = 0;
    for (size_t i = 0; i < j->u.revoked.n; i++)
        if (j->u.revoked.v[i].hit) {
            struct revoked_hit x = {.s = s, .v = &j->u.revoked.v[i]};
            uv_walk(s->loop, revoked_close, &x);
        }
    job_free(j);
}

int
conn_listen(struct server *s, const struct sockaddr *addr, int *port)
{
    struct sockaddr_storage bound;
    int blen = sizeof(bound), rc;

    *port = 0;
    uv_tcp_init(s->loop, &s->listener);
    s->listener.data = s;
    if ((rc = uv_tcp_bind(&s->listener, addr, 0)) != 0 ||
        (rc = uv_listen((uv_stream_t *)&s->listener, 1024, on_connection)) != 0) {
        uv_close((uv_handle_t *)&s->listener, NULL);
        return rc;
    }
    uv_timer_init(s->loop, &s->revoke_timer);
    s->revoke_timer.data = s;
    uv_timer_start(&s->revoke_timer, revoked_poll, REVOKE_POLL_MS, REVOKE_POLL_MS);
    if (uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &blen) == 0)
        *port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                                 : ((struct sockaddr_in6 *)&bound)->sin6_port);
    return 0;
}

static void
close_walk(uv_handle_t *h, void *arg)
{
    struct server *s = arg;
    if (h->type != UV_TCP || h == (uv_handle_t *)&s->listener || uv_is_closing(h))
        return;
    struct conn *c = h->data;
    if (c->jobs == 0 && c->state < C_CLOSING)
        conn_close(c, "the hub is stopping");
}

void
conn_stop(struct server *s)
{
    s->stopping = 1;
    if (!uv_is_closing((uv_handle_t *)&s->listener))
        uv_close((uv_handle_t *)&s->listener, NULL);
    if (s->revoke_timer.loop != NULL && !uv_is_closing((uv_handle_t *)&s->revoke_timer))
        uv_close((uv_handle_t *)&s->revoke_timer, NULL);
    /* Idle connections close now; busy ones when their last job is done (conn_job_done). */
    uv_walk(s->loop, close_walk, s);
    /* What was counted and not yet logged (guard.h), those closes included. */
    guard_flush(&s->guard, uv_now(s->loop));
}
