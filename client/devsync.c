/* SPDX-License-Identifier: MIT */
/*
 * One live sync of a device with its hub (see devsync.h): the handshake,
 * the welcome taken in, then both ways at once with a bounded window of
 * unacknowledged chunks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "devsync.h"

#define OUT_HIGH   (256u << 10) /* stop making chunks while this much waits to be sent */
#define FLIGHT_MAX 64u          /* chunks sent and not yet acknowledged */

/* One live sync, from the connection to the contact noted: what its steps share. */
struct devsync {
    struct cs_replica *rep;
    struct device *d; /* borrowed */
    const struct devsync_opts *o;
    const char *addr;
    int (*make_chunk)(void *ud, struct device *d, const uint8_t *peer_pk, uint64_t after,
                      struct cs_chunk *out, char *err, size_t errlen); /* o's or the default */
    struct link l;
    struct cs_hs hs; /* the handshake, wiped once the session is up */
    struct devsync_result res;
    uint64_t total; /* our changes this sync sends, for the progress (0: not known) */
    char err[1024];
    /*
     * up_sent: how far our chunks reach; up_wait: the last seq of a chunk
     * actually sent, whose ACK we wait for. A chunk with no change of ours
     * is not sent at all: DONE carries the cursor past it.
     */
    uint64_t up_sent, up_acked, up_wait;
    int up_done, down_done;
    int registered; /* a session message of the hub came: it has registered this device */
    /*
     * At most about one chunk's worth of bytes unacknowledged on the wire:
     * what a dropped link loses, and sends again, is bounded by it, while
     * chunks (which compress well) still stream without a round trip each.
     */
    struct {
        uint64_t seq;
        size_t bytes;
    } flight[FLIGHT_MAX];
    size_t nflight, flight_bytes;
};

/* What is happening, to whoever watches. */
static void
tell(const struct devsync *s, enum sync_phase phase)
{
    const struct tally *t = &s->res.t;

    if (s->o->progress == NULL)
        return;
    struct sync_progress p = {phase,         t->sent_changes, t->recv_changes, t->refused,
                              t->sent_bytes, t->recv_bytes,   s->total};
    s->o->progress(s->o->ud, &p);
}

/* The hub's first answer, msg2 or a word before authentication: the verdict in s->err. */
static int
handshake_answer(struct devsync *s, const uint8_t *frame, size_t flen)
{
    unsigned hub_version = 0, busy = 0;
    int ret;

    /* Unauthenticated, like a silence: shown, and nothing else changes. */
    if (cs_hs_busy_read(frame, flen, &busy))
        return cs_errf(s->err, sizeof(s->err), CS_EBUSY,
                       _("the hub at '%s' is busy: try again in %u s"), s->addr, busy);
    if (flen == 1 && frame[0] == CS_WIRE_HS_REFUSED)
        return cs_errf(s->err, sizeof(s->err), CS_EDECRYPT,
                       _("the hub at '%s' refused the handshake: it is not the hub this device "
                         "was enrolled with (its key differs), or the hub's key was rotated and "
                         "the key this device knows retired: enroll this device again"),
                       s->addr);
    ret =
        cs_hs_device_finish(&s->hs, s->d->key, s->d->hub_pk, frame, flen, &s->res.w, &hub_version);
    if (ret == CS_EVERSION)
        cs_errf(s->err, sizeof(s->err), ret,
                _("the hub speaks protocol version %u, this program version %u: update "
                  "the older one"),
                hub_version, CS_WIRE_VERSION);
    else if (ret != 0)
        cs_errf(s->err, sizeof(s->err), ret,
                _("the hub at '%s' did not prove it holds the key this device was enrolled "
                  "with: %s"),
                s->addr, cs_strerror(ret));
    else if (s->res.w.status != CS_WELCOME_OK)
        ret = cs_errf(s->err, sizeof(s->err), CS_EINVAL, _("the hub refused this device: %s"),
                      s->res.w.message);
    return ret;
}

/*
 * msg1 out, msg2 in: the hub proves it holds the key this device was
 * enrolled with, and welcomes the device or refuses it. A verdict other
 * than welcome is said in s->err.
 */
static int
devsync_handshake(struct devsync *s)
{
    uint8_t msg1[CS_WIRE_MAX_PREAUTH], *frame, ts[CS_WIRE_TS_LEN];
    struct cs_hello hello = {0};
    size_t len, flen;
    int ret;

    tell(s, SYNC_CONNECTING);
    if ((ret = link_connect(&s->l, s->addr, s->err, sizeof(s->err))) != 0)
        goto out;
    tell(s, SYNC_HANDSHAKE);
    device_hello(s->d, &hello);
    if ((ret = device_hs_time(s->d, ts, s->err, sizeof(s->err))) != 0)
        goto out;
    ret = cs_hs_device_start(&s->hs, s->d->key, s->d->hub_pk, ts, &hello, msg1, sizeof(msg1), &len);
    if (ret != 0 || (ret = link_queue(&s->l, msg1, len)) != 0)
        goto out;
    ret =
        link_pump(&s->l, CS_WIRE_MAX_PREAUTH, 1, &frame, &flen, &s->res.t, s->err, sizeof(s->err));
    if (ret != 0) {
        /* A hub says why it refuses (wire.h): a hang-up without a word is the link's. */
        if (ret == -EPIPE || ret == -ECONNRESET)
            cs_errf(s->err, sizeof(s->err), ret,
                    _("the link to the hub at '%s' dropped during the handshake; run "
                      "'%s' again to resume"),
                    s->addr, link_again(&s->l));
        goto out;
    }
    ret = handshake_answer(s, frame, flen);
    link_consume(&s->l, flen);
out:
    sodium_memzero(&hello, sizeof(hello));
    return ret;
}

/*
 * What the welcome says is applied before anything streams (the cursors,
 * this device's clock and any write stamped ahead of the hub's), then the
 * sealed session starts with a header each way.
 */
static int
devsync_session(struct devsync *s)
{
    uint8_t hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES], *frame;
    size_t flen, restamped = 0;
    const struct cs_welcome *w = &s->res.w;
    int ret;

    if ((ret = device_welcome(s->d, w, DEVICE_LIVE, NULL, s->err, sizeof(s->err))) != 0)
        goto out;
    s->res.offset = cs_replica_clock_offset(s->rep);
    if (s->o->welcomed != NULL && (ret = s->o->welcomed(s->o->ud, s->err, sizeof(s->err))) != 0)
        goto out;
    ret = device_restamp(s->d, w->up_seq, w->hub_time, &restamped, s->err, sizeof(s->err));
    if (ret != 0)
        goto out;
    if ((ret = cs_session_init(&s->l.sess, &s->hs, hdr)) != 0 ||
        (ret = link_queue(&s->l, hdr, sizeof(hdr))) != 0)
        goto out;
    s->l.sess_ready = 1;
    ret = link_pump(&s->l, CS_WIRE_MAX_FRAME, 1, &frame, &flen, &s->res.t, s->err, sizeof(s->err));
    if (ret != 0)
        goto out;
    ret = cs_session_accept(&s->l.sess, &s->hs, frame, flen);
    link_consume(&s->l, flen);
    sodium_memzero(&s->hs, sizeof(s->hs));
out:
    return ret;
}

/* Queues one chunk of ours that holds changes and counts it in flight. */
static int
send_chunk(struct devsync *s, const struct cs_chunk *ch)
{
    struct cs_msg m = {.type = CS_MSG_CHUNK, .env = ch->env, .envlen = ch->envlen};
    int ret = link_queue_msg(&s->l, &m);

    s->up_wait = ch->seq_last;
    s->res.t.sent_changes += ch->changes;
    s->flight[s->nflight].seq = ch->seq_last;
    s->flight[s->nflight].bytes = ch->envlen;
    s->flight_bytes += ch->envlen;
    s->nflight++;
    return ret;
}

/* Queues our next chunks while the flight window has room, then DONE after the last. */
static int
devsync_send(struct devsync *s)
{
    int ret = 0;

    while (!s->up_done && s->l.outlen - s->l.outoff < OUT_HIGH && s->nflight < FLIGHT_MAX &&
           (s->nflight == 0 || s->flight_bytes < CS_SYNC_CHUNK)) {
        struct cs_chunk ch;
        ret = s->make_chunk(s->o->ud, s->d, NULL, s->up_sent, &ch, s->err, sizeof(s->err));
        if (ret != 0)
            goto out;
        if (ch.changes > 0)
            ret = send_chunk(s, &ch);
        if (ch.seq_last > s->up_sent)
            s->up_sent = ch.seq_last;
        free(ch.env);
        if (ret != 0)
            goto out;
        if (ch.last) {
            struct cs_msg done = {.type = CS_MSG_DONE, .seq = s->up_sent};
            if ((ret = link_queue_msg(&s->l, &done)) != 0)
                goto out;
            s->up_done = 1;
        }
    }
out:
    return ret;
}

/* The hub acknowledged our chunks up to seq: out of the flight window. */
static void
on_ack(struct devsync *s, uint64_t seq)
{
    if (seq > s->up_acked)
        s->up_acked = seq;
    while (s->nflight > 0 && s->flight[0].seq <= s->up_acked) {
        s->flight_bytes -= s->flight[0].bytes;
        memmove(s->flight, s->flight + 1, --s->nflight * sizeof(s->flight[0]));
    }
    device_ack(s->d, s->up_acked);
}

/* The hub refused some of our changes: kept, and those of the clock's sent again. */
static int
on_refused(struct devsync *s, const struct cs_msg *m)
{
    size_t again = 0;

    /* Shown at the end, one line per record; kept so the records stay marked. */
    s->res.t.refused += m->nrefused;
    int ret = device_refusals_add(s->d, &s->res.refusals, m->refused, m->nrefused, s->err,
                                  sizeof(s->err));
    if (ret == 0)
        ret = device_reissue(s->d, m->refused, m->nrefused, s->res.w.hub_time, DEVICE_LIVE, &again,
                             s->err, sizeof(s->err));
    return ret;
}

/* One chunk of the hub's, merged, then acknowledged. */
static int
on_chunk(struct devsync *s, const struct cs_msg *m)
{
    struct cs_envelope_info info;
    struct cs_apply_stats st;
    int skipped;

    int ret =
        device_take_chunk(s->d, m->env, m->envlen, 1, &st, &info, &skipped, s->err, sizeof(s->err));
    if (ret == 0) {
        struct cs_msg ack = {.type = CS_MSG_ACK, .seq = info.seq_last};
        s->res.t.recv_changes += st.applied;
        ret = link_queue_msg(&s->l, &ack);
    }
    return ret;
}

/*
 * In the session the pinned key authenticated: checked step by step from
 * that key, then pinned, before any chunk the new key signed. A chain that
 * does not hold ends the sync and the pin stays.
 */
static int
on_rotation(struct devsync *s, const struct cs_msg *m)
{
    uint8_t to[CS_PK_LEN];
    size_t steps = 0;

    int ret = device_rotation_check(s->d, m->env, m->envlen, to, &steps, s->err, sizeof(s->err));
    if (ret == 0)
        ret = device_repin(s->d, to, s->err, sizeof(s->err));
    if (ret == 0)
        s->res.rotated = steps;
    return ret;
}

/* Acts on one message from the hub. */
static int
devsync_on_message(struct devsync *s, const struct cs_msg *m)
{
    int ret = 0;

    /* Any word of the hub's session but an error or a rotation: it has registered this device. */
    if (m->type != CS_MSG_ERROR && m->type != CS_MSG_ROTATION && !s->registered) {
        if ((ret = device_registered(s->d, s->err, sizeof(s->err))) != 0)
            return ret;
        s->registered = 1;
    }
    switch (m->type) {
    case CS_MSG_ACK:
        on_ack(s, m->seq);
        break;
    case CS_MSG_REFUSED:
        ret = on_refused(s, m);
        break;
    case CS_MSG_CHUNK:
        ret = on_chunk(s, m);
        break;
    case CS_MSG_DONE:
        /* Every chunk before it is applied: the cursor may pass what held nothing for us. */
        device_pass_hub_seq(s->d, m->seq);
        s->down_done = 1;
        break;
    case CS_MSG_ERROR:
        ret = cs_errf(s->err, sizeof(s->err), CS_EINVAL, _("the hub stopped the sync: %s"),
                      m->message);
        break;
    case CS_MSG_ROTATION:
        ret = on_rotation(s, m);
        break;
    }
    return ret;
}

/* Our changes this sync will send, for the progress: counted only for someone who watches. */
static void
devsync_count(struct devsync *s)
{
    if (s->o->progress == NULL)
        return;
    if (s->o->make_chunk == NULL)
        cs_replica_count_own(s->rep, s->res.w.up_seq, &s->total);
    else if (s->o->count != NULL)
        s->o->count(s->o->ud, s->d, s->res.w.up_seq, &s->total);
}

/* Both ways at once until each side is done and our last chunk is acknowledged. */
static int
devsync_stream(struct devsync *s)
{
    uint8_t *frame;
    size_t flen;
    int ret = 0;

    s->up_sent = s->up_acked = s->up_wait = s->res.w.up_seq;
    /* Counted after any re-stamping (devsync_session): what the chunks will carry. */
    devsync_count(s);
    tell(s, SYNC_STREAMING);
    while (!(s->up_done && s->up_acked >= s->up_wait && s->down_done)) {
        struct cs_msg m;
        if ((ret = devsync_send(s)) != 0 ||
            (ret = link_pump(&s->l, CS_WIRE_MAX_FRAME, 1, &frame, &flen, &s->res.t, s->err,
                             sizeof(s->err))) != 0)
            goto out;
        ret = cs_session_read_msg(&s->l.sess, frame, flen, &m);
        link_consume(&s->l, flen);
        if (ret != 0) {
            cs_errf(s->err, sizeof(s->err), ret, _("garbled data from the hub: %s"),
                    cs_strerror(ret));
            goto out;
        }
        ret = devsync_on_message(s, &m);
        cs_msg_release(&m);
        if (ret != 0)
            goto out;
        tell(s, SYNC_STREAMING);
    }
    /* Our last acknowledgments must reach the hub before we hang up. */
    ret = link_pump(&s->l, CS_WIRE_MAX_FRAME, 0, &frame, &flen, &s->res.t, s->err, sizeof(s->err));
out:
    return ret;
}

/* Notes the contact, in the hub's time. */
static void
devsync_contact(struct devsync *s)
{
    char when[32];

    snprintf(when, sizeof(when), "%llu",
             (unsigned long long)(cs_hlc_ms(cs_replica_now(s->rep)) / 1000));
    cs_replica_meta_set(s->rep, CS_META_LAST_CONTACT, when);
}

static int
devsync_go(struct devsync *s)
{
    int ret;

    if ((ret = devsync_handshake(s)) != 0 || (ret = devsync_session(s)) != 0 ||
        (ret = devsync_stream(s)) != 0)
        return ret;
    devsync_contact(s);
    tell(s, SYNC_DONE);
    return 0;
}

int
devsync_run(struct cs_replica *rep, struct device *d, const struct devsync_opts *o,
            struct devsync_result *res, char *err, size_t errlen)
{
    struct devsync *s = calloc(1, sizeof(*s));
    int ret;

    memset(res, 0, sizeof(*res));
    if (s == NULL)
        return cs_errf(err, errlen, CS_ENOMEM, "%s", cs_strerror(CS_ENOMEM));
    *s = (struct devsync){
        .rep = rep,
        .d = d,
        .o = o,
        .addr = o->addr,
        .make_chunk = o->make_chunk ? o->make_chunk : device_own_chunk,
        .l = {.fd = -1, .timeout = o->timeout, .stop_fd = o->stop_fd, .again = o->again}};
    ret = devsync_go(s);
    if (ret != 0)
        cs_errf(err, errlen, ret, "%s", s->err[0] ? s->err : cs_strerror(ret));
    *res = s->res;
    link_close(&s->l);
    cs_hs_release(&s->hs);
    free(s);
    return ret;
}
