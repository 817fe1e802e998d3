/* SPDX-License-Identifier: MIT */
/*
 * Many devices syncing at once against one real `cellsyncd serve`, from ONE
 * process on libuv, so that what is measured is the daemon and not a
 * thousand client processes (BENCHMARKS.md, section 5).
 *
 * Each simulated device is a real device as far as the hub can tell: its own
 * Ed25519 key, enrolled with a one-time secret, the real handshake
 * (cs_hs_device_start / cs_hs_device_finish), the real secretstream session,
 * and change sets of its own writes with proper HLC stamps, seqs and prev
 * versions, encoded with the changeset API and signed as live chunks
 * (cellsync/sync.h), sent as CHUNK then DONE. It then does what `cellsync sync`
 * (client/cmd_sync.c) does with what the hub says: ACKs move its cursor,
 * each hub CHUNK is opened and checked (the hub's signature of its signed
 * set, decompression, decoding) and acknowledged, the hub's DONE moves its hub cursor, REFUSED
 * and ERROR count as failures. Only the device's replica is missing: its
 * state is a few numbers in memory, and the hub's chunks are checked but
 * not stored (that is the device's cost, not the hub's).
 *
 * Setup, not measured: the devices are enrolled in this process through
 * the daemon's own code (hub_enroll_create, as `cellsyncd enroll` does, with
 * the secret of a short code), then the enrollment completes in each
 * device's first handshake, which is measured (round 1, "first contact").
 * Devices are spread over the org units of level "cell", in code order.
 *
 * Each sync of a device is one local transaction written just before it
 * connects: in its first sync a new candidate (org_unit, full_name, stage:
 * the first --changes of them), later an edit of --changes fields of that
 * candidate (each naming the version it replaces). With two devices per
 * cell, each also receives its sibling's writes: small syncs both ways.
 *
 *   cs_swarm --hub HOST:PORT --state DIR [--devices N] [--concurrency C]
 *            [--rounds R] [--changes K] [--seq-devices M] [--hub-pid PID]
 *
 *   --devices N       simulated devices (default 1000)
 *   --concurrency C   syncs in flight at once (default N: all at once)
 *   --rounds R        rounds; in each every device syncs once (default 3;
 *                     round 1 includes first contact)
 *   --changes K       changes per sync, 0..3 (default 3)
 *   --seq-devices M   then a baseline round: M devices syncing one after the
 *                     other (concurrency 1) (default min(N, 200); 0: none)
 *   --hub-pid PID     the daemon, for its CPU time and memory (/proc/PID)
 *
 *   cs_swarm --crypto-floor M [--changes K]
 *                     no hub: times the cryptography of M small syncs, each
 *                     end apart, in this process (the floor under any
 *                     figure above)
 *
 * Prints one line per round (key=value), pooled figures of the small rounds
 * and of all concurrent rounds, and the daemon's VmHWM at the end. Exits 1
 * when any sync failed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <sodium.h>

#include "cellsync/changeset.h"
#include "cellsync/enroll.h"
#include "cellsync/envelope.h"
#include "cellsync/error.h"
#include "cellsync/hlc.h"
#include "cellsync/sync.h"
#include "cellsync/key.h"
#include "cellsync/replica.h"
#include "cellsync/schema.h"
#include "cellsync/version.h"
#include "cellsync/wire.h"
#include "hub.h"

#define MAX_PENDING     32 /* unacknowledged changes a device keeps */
#define SYNC_TIMEOUT_MS 120000

#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

/* ---- devices ---- */

/* The columns a device writes: the first three make a new candidate. */
static const char *const new_cols[] = {"org_unit", "full_name", "stage"};
static const char *const edit_cols[] = {"note", "phone", "hometown"};
#define NCOLS 6

struct pend {
    uint64_t seq;
    int col;           /* index into cols() */
    uint64_t hlc;      /* the local transaction's stamp */
    uint64_t prev_hlc; /* the version of this register it replaces, 0: none */
    char text[192];
};

struct dev {
    int ix;
    struct cs_key *key;
    uint8_t hs_ts[CS_WIRE_TS_LEN]; /* the last msg1's timestamp (wire.h), if has_ts */
    int has_ts;
    struct cs_id id; /* = the key's id: the origin of its writes */
    char org[64];
    uint8_t secret[CS_ENROLL_SECRET_LEN];
    int has_secret;
    struct cs_hlc clock;
    uint64_t seq;                            /* the last seq of its own writes */
    uint64_t hub_ack;                        /* the highest of its seqs the hub acknowledged */
    uint64_t hub_seq;                        /* the hub seq it has received */
    uint8_t incarnation[CS_INCARNATION_LEN]; /* the hub's, hub_seq counts in it */
    int has_incarnation;
    struct cs_id row; /* its candidate */
    int have_row;
    uint64_t col_hlc[NCOLS]; /* the last stamp it wrote per column */
    struct pend pend[MAX_PENDING];
    size_t npend;
    unsigned writes; /* local transactions so far */
};

static const char *
col_name(int c)
{
    return c < 3 ? new_cols[c] : edit_cols[c - 3];
}

/* One local transaction of k changes, as `cellsync candidate add/edit` would write it. */
static int
dev_write(struct dev *d, int k)
{
    static const char *const fam[] = {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Lò", "Đinh", "Hà"};
    static const char *const place[] = {"Bản Khe Ván, xã Mường Lý, huyện Mường Lát",
                                        "Bản Pù Quăn, xóm 2, xã Mường Lý",
                                        "Thôn Đông, xã Quảng Phú, huyện Quảng Xương"};
    uint64_t hlc;
    if (k == 0)
        return 0;
    if (d->npend + (size_t)k > MAX_PENDING)
        return CS_ETOOBIG;
    if (cs_hlc_send(&d->clock, &hlc) != 0)
        return CS_ECLOCK;
    int fresh = !d->have_row;
    if (fresh) {
        cs_id_new(&d->row);
        d->have_row = 1;
    }
    for (int i = 0; i < k; i++) {
        int c = fresh ? i : 3 + i;
        struct pend *p = &d->pend[d->npend++];
        p->seq = ++d->seq;
        p->col = c;
        p->hlc = hlc;
        p->prev_hlc = d->col_hlc[c];
        d->col_hlc[c] = hlc;
        switch (c) {
        case 0:
            snprintf(p->text, sizeof(p->text), "%s", d->org);
            break;
        case 1:
            snprintf(p->text, sizeof(p->text), "%s Văn Sỹ %d", fam[d->ix % 8], d->ix);
            break;
        case 2:
            snprintf(p->text, sizeof(p->text), "identified");
            break;
        case 3:
            snprintf(p->text, sizeof(p->text),
                     "Lần ghi %u: đoàn viên tích cực, được chi bộ phân công giúp đỡ", d->writes);
            break;
        case 4:
            snprintf(p->text, sizeof(p->text), "09%04d%04u", d->ix % 10000, d->writes % 10000);
            break;
        default:
            snprintf(p->text, sizeof(p->text), "%s", place[d->writes % 3]);
            break;
        }
    }
    d->writes++;
    return 0;
}

/*
 * The chunk of its writes after `after` (all of them fit one chunk), encoded
 * and signed as a live chunk, as cs_sync_make_chunk does. *env NULL when none.
 */
static int
dev_chunk(struct dev *d, uint64_t after, uint8_t **env, size_t *envlen, uint64_t *seq_last)
{
    struct cs_changeset_header h = {.origin = d->id, .schema = CS_SCHEMA_VERSION};
    struct cs_changeset *cs = NULL;
    uint8_t *plain = NULL;
    size_t plainlen;
    uint64_t first = 0, last = 0;
    int ret;

    *env = NULL;
    *envlen = 0;
    if ((ret = cs_changeset_new(&cs, &h)) != 0)
        return ret;
    for (size_t i = 0; i < d->npend; i++) {
        const struct pend *p = &d->pend[i];
        if (p->seq <= after)
            continue;
        struct cs_change c = {.table = "candidate",
                              .column = col_name(p->col),
                              .row = d->row,
                              .value = {.type = CS_VTEXT, .p = p->text, .n = strlen(p->text)},
                              .hlc = p->hlc,
                              .origin = d->id,
                              .prev_hlc = p->prev_hlc,
                              .cl = 1};
        if (p->prev_hlc != 0)
            c.prev_origin = d->id;
        if ((ret = cs_changeset_add(cs, &c)) != 0)
            goto out;
        if (first == 0)
            first = p->seq;
        last = p->seq;
    }
    if (last == 0)
        goto out;
    cs_changeset_set_seq(cs, after + 1, last);
    if ((ret = cs_changeset_encode(cs, &plain, &plainlen)) != 0 ||
        (ret = cs_sync_seal(d->key, NULL, after + 1, last, plain, plainlen, NULL, 0, env,
                            envlen)) != 0)
        goto out;
    *seq_last = last;
out:
    free(plain);
    cs_changeset_free(cs);
    return ret;
}

static void
dev_acked(struct dev *d, uint64_t seq)
{
    size_t k = 0;
    if (seq > d->hub_ack)
        d->hub_ack = seq;
    for (size_t i = 0; i < d->npend; i++)
        if (d->pend[i].seq > d->hub_ack)
            d->pend[k++] = d->pend[i];
    d->npend = k;
}

/* ---- the run ---- */

enum sstate { S_CONNECT, S_WELCOME, S_HEADER, S_SESSION, S_CLOSING };

struct sync {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_connect_t creq;
    struct dev *d;
    enum sstate state;
    int handles;
    uint8_t *rbuf;
    size_t rlen, rcap;
    int writes; /* uv_writes not yet done */
    struct cs_hs hs;
    struct cs_session sess;
    struct cs_welcome w;
    uint64_t up_sent, up_wait, up_acked;
    int up_done, down_done, finishing, failed;
    uint64_t t0;            /* uv_hrtime at the start */
    uint64_t t_conn, t_wel; /* connected; welcome read */
    size_t sent, recv;
};

struct round {
    const char *kind;
    int n;      /* devices in the round */
    int conc;   /* at once */
    int next;   /* next device to start */
    int active; /* in flight */
    int done;   /* finished, either way */
    int failed;
    double *lat_ms; /* of the successful syncs */
    int nlat;
    double *conn_ms, *wel_ms; /* phases of the successful syncs: connect, then the welcome */
    size_t sent, recv, refused;
    uint64_t t0;
};

static uv_loop_t *loop;
static struct dev *devs;
static int ndevs = 1000, conc = 0, rounds = 3, nchanges = 3, seq_devices = -1;
static int hub_pid = 0;
static uint8_t hub_pk[CS_PK_LEN];
static struct sockaddr_in hub_addr;
static struct round cur;
static int any_failed;
static char hub_addr_text[128];

static void fail_note(struct sync *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
fail_note(struct sync *s, const char *fmt, ...)
{
    static int shown;
    va_list ap;
    s->failed = 1;
    if (shown++ >= 5)
        return;
    fprintf(stderr, "cs_swarm: device %d: ", s->d->ix);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void start_next(void);

static void
sync_free(struct sync *s)
{
    sodium_memzero(&s->hs, sizeof(s->hs));
    sodium_memzero(&s->sess, sizeof(s->sess));
    free(s->rbuf);
    free(s);
}

static void
handle_closed(uv_handle_t *h)
{
    struct sync *s = h->data;
    if (--s->handles == 0)
        sync_free(s);
}

/* The one end of a sync: counts it, frees it, starts the next. */
static void
sync_end(struct sync *s)
{
    if (s->state == S_CLOSING)
        return;
    s->state = S_CLOSING;
    double ms = (double)(uv_hrtime() - s->t0) / 1e6;
    if (s->failed) {
        cur.failed++;
        any_failed = 1;
    } else {
        cur.conn_ms[cur.nlat] = (double)(s->t_conn - s->t0) / 1e6;
        cur.wel_ms[cur.nlat] = (double)(s->t_wel - s->t_conn) / 1e6;
        cur.lat_ms[cur.nlat++] = ms;
    }
    cur.sent += s->sent;
    cur.recv += s->recv;
    cur.active--;
    cur.done++;
    uv_close((uv_handle_t *)&s->tcp, handle_closed);
    uv_close((uv_handle_t *)&s->timer, handle_closed);
    start_next();
}

struct wreq {
    uv_write_t req;
    struct sync *s;
    uint8_t data[];
};

static void
maybe_finish(struct sync *s)
{
    if (s->state == S_CLOSING)
        return;
    if (s->finishing && s->writes == 0)
        sync_end(s);
}

static void
write_cb(uv_write_t *req, int status)
{
    struct wreq *w = container_of(req, struct wreq, req);
    struct sync *s = w->s;
    free(w);
    s->writes--;
    if (status < 0 && s->state != S_CLOSING) {
        fail_note(s, "write: %s", uv_strerror(status));
        sync_end(s);
        return;
    }
    maybe_finish(s);
}

/* One frame, sealed once the session is up (as client/link.c queues it). */
static int
send_frame(struct sync *s, const uint8_t *msg, size_t len, int seal)
{
    size_t flen = len + (seal ? CS_SESSION_OVERHEAD : 0);
    struct wreq *w = malloc(sizeof(*w) + CS_WIRE_HEADER + flen);
    if (w == NULL)
        return CS_ENOMEM;
    cs_wire_frame_put(w->data, (uint32_t)flen);
    if (seal) {
        int ret = cs_session_seal(&s->sess, msg, len, w->data + CS_WIRE_HEADER);
        if (ret != 0) {
            free(w);
            return ret;
        }
    } else {
        memcpy(w->data + CS_WIRE_HEADER, msg, len);
    }
    w->s = s;
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)(CS_WIRE_HEADER + flen));
    int rc = uv_write(&w->req, (uv_stream_t *)&s->tcp, &b, 1, write_cb);
    if (rc < 0) {
        free(w);
        return -EIO;
    }
    s->writes++;
    s->sent += CS_WIRE_HEADER + flen;
    return 0;
}

static int
send_msg(struct sync *s, const struct cs_msg *m)
{
    uint8_t *buf;
    size_t len;
    int ret = cs_msg_encode(m, &buf, &len);
    if (ret == 0)
        ret = send_frame(s, buf, len, 1);
    free(buf);
    return ret;
}

/* After the hub's stream header: our writes the hub has not merged, then DONE. */
static int
stream_up(struct sync *s)
{
    uint8_t *env;
    size_t envlen;
    uint64_t last = 0;
    int ret = dev_chunk(s->d, s->up_sent, &env, &envlen, &last);
    if (ret != 0)
        return ret;
    if (env != NULL) {
        struct cs_msg m = {.type = CS_MSG_CHUNK, .env = env, .envlen = envlen};
        ret = send_msg(s, &m);
        free(env);
        if (ret != 0)
            return ret;
        s->up_wait = last;
        s->up_sent = last;
    }
    struct cs_msg done = {.type = CS_MSG_DONE, .seq = s->up_sent};
    s->up_done = 1;
    return send_msg(s, &done);
}

/* A hub chunk: opened and checked as device_take_chunk would before merging; 0 or a code. */
static int
take_chunk(struct sync *s, const uint8_t *env, size_t len, uint64_t *seq_last)
{
    struct cs_envelope_info info;
    struct cs_changeset *cs = NULL;
    /* The device's own checks: the hub's signature, its signed set, the decode. */
    int ret = cs_sync_open_chunk(NULL, hub_pk, env, len, &cs, &info, NULL, 0);
    if (ret == 0) {
        s->recv += cs_changeset_count(cs);
        *seq_last = info.seq_last;
    }
    cs_changeset_free(cs);
    return ret;
}

static int
on_message(struct sync *s, const uint8_t *f, size_t len)
{
    uint8_t *plain = malloc(len + 1);
    size_t plen;
    struct cs_msg m = {0};
    int ret;
    if (plain == NULL)
        return CS_ENOMEM;
    if ((ret = cs_session_open(&s->sess, f, len, plain, &plen)) != 0 ||
        (ret = cs_msg_decode(&m, plain, plen)) != 0) {
        free(plain);
        fail_note(s, "garbled data from the hub: %s", cs_strerror(ret));
        return ret;
    }
    switch (m.type) {
    case CS_MSG_ACK:
        if (m.seq > s->up_acked)
            s->up_acked = m.seq;
        dev_acked(s->d, s->up_acked);
        break;
    case CS_MSG_REFUSED:
        cur.refused += m.nrefused;
        fail_note(s, "the hub refused %zu changes: %s", m.nrefused,
                  m.nrefused ? m.refused[0].reason : "");
        ret = CS_EINVAL;
        break;
    case CS_MSG_CHUNK: {
        uint64_t last = 0;
        if ((ret = take_chunk(s, m.env, m.envlen, &last)) != 0) {
            fail_note(s, "a bad chunk from the hub: %s", cs_strerror(ret));
            break;
        }
        if (last > s->d->hub_seq)
            s->d->hub_seq = last;
        struct cs_msg ack = {.type = CS_MSG_ACK, .seq = last};
        ret = send_msg(s, &ack);
        break;
    }
    case CS_MSG_DONE:
        if (m.seq > s->d->hub_seq)
            s->d->hub_seq = m.seq;
        s->down_done = 1;
        break;
    case CS_MSG_ERROR:
        fail_note(s, "the hub stopped the sync: %s", m.message);
        ret = CS_EINVAL;
        break;
    case CS_MSG_ROTATION:
        /* The swarm's hub never rotates its key. */
        fail_note(s, "the hub sent a key rotation");
        ret = CS_EINVAL;
        break;
    }
    cs_msg_release(&m);
    free(plain);
    if (ret == 0 && s->up_done && s->up_acked >= s->up_wait && s->down_done)
        s->finishing = 1;
    return ret;
}

/* The welcome, as device_welcome takes a live one. */
static void
on_welcome(struct sync *s)
{
    struct dev *d = s->d;
    int64_t wall = (int64_t)cs_hlc_wall_ms(NULL);
    d->clock.offset_ms = (int64_t)cs_hlc_ms(s->w.hub_time) - wall;
    d->has_secret = 0;
    if (s->w.up_seq > d->hub_ack)
        dev_acked(d, s->w.up_seq);
    s->up_sent = s->up_acked = s->up_wait = s->w.up_seq;
}

static int
on_frame(struct sync *s, const uint8_t *f, size_t len)
{
    int ret;
    switch (s->state) {
    case S_WELCOME: {
        unsigned v = 0;
        ret = cs_hs_device_finish(&s->hs, s->d->key, hub_pk, f, len, &s->w, &v);
        if (ret != 0) {
            fail_note(s, "handshake: %s", cs_strerror(ret));
            return ret;
        }
        if (s->w.status != CS_WELCOME_OK) {
            fail_note(s, "the hub refused this device: %s", s->w.message);
            return CS_EINVAL;
        }
        /* As client/device.c: a new incarnation brings the cursor it counts from. */
        if (s->w.has_incarnation &&
            (!s->d->has_incarnation ||
             memcmp(s->d->incarnation, s->w.incarnation, CS_INCARNATION_LEN) != 0)) {
            memcpy(s->d->incarnation, s->w.incarnation, CS_INCARNATION_LEN);
            s->d->has_incarnation = 1;
            s->d->hub_seq = s->w.down_seq;
        }
        on_welcome(s);
        s->t_wel = uv_hrtime();
        uint8_t hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
        if ((ret = cs_session_init(&s->sess, &s->hs, hdr)) != 0 ||
            (ret = send_frame(s, hdr, sizeof(hdr), 0)) != 0)
            return ret;
        s->state = S_HEADER;
        return 0;
    }
    case S_HEADER:
        if ((ret = cs_session_accept(&s->sess, &s->hs, f, len)) != 0) {
            fail_note(s, "the hub's stream header: %s", cs_strerror(ret));
            return ret;
        }
        sodium_memzero(&s->hs, sizeof(s->hs));
        s->state = S_SESSION;
        return stream_up(s);
    case S_SESSION:
        return on_message(s, f, len);
    default:
        return CS_EINVAL;
    }
}

static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct sync *s = h->data;
    (void)suggested;
    if (s->rcap - s->rlen < 16384) {
        size_t cap = s->rcap ? s->rcap * 2 : 32768;
        uint8_t *n = realloc(s->rbuf, cap);
        if (n != NULL) {
            s->rbuf = n;
            s->rcap = cap;
        }
    }
    *buf = uv_buf_init((char *)s->rbuf + s->rlen, (unsigned)(s->rcap - s->rlen));
}

static void
read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct sync *s = st->data;
    (void)buf;
    if (s->state == S_CLOSING || nread == 0)
        return;
    if (nread < 0) {
        fail_note(s, "the hub %s", nread == UV_EOF ? "closed the link" : uv_strerror((int)nread));
        sync_end(s);
        return;
    }
    s->rlen += (size_t)nread;
    size_t off = 0;
    while (s->state != S_CLOSING && s->rlen - off >= CS_WIRE_HEADER) {
        uint32_t max = s->state == S_SESSION ? CS_WIRE_MAX_FRAME : CS_WIRE_MAX_PREAUTH, len;
        if (cs_wire_frame_len(s->rbuf + off, max, &len) != 0) {
            fail_note(s, "the hub sent a frame that is too big");
            sync_end(s);
            return;
        }
        if (s->rlen - off < CS_WIRE_HEADER + len)
            break;
        const uint8_t *f = s->rbuf + off + CS_WIRE_HEADER;
        off += CS_WIRE_HEADER + len;
        if (on_frame(s, f, len) != 0) {
            if (!s->failed)
                fail_note(s, "cannot go on");
            sync_end(s);
            return;
        }
    }
    if (off > 0) {
        memmove(s->rbuf, s->rbuf + off, s->rlen - off);
        s->rlen -= off;
    }
    maybe_finish(s);
}

static void
connect_cb(uv_connect_t *req, int status)
{
    struct sync *s = container_of(req, struct sync, creq);
    if (s->state == S_CLOSING)
        return;
    if (status < 0) {
        fail_note(s, "cannot reach the hub at %s: %s", hub_addr_text, uv_strerror(status));
        sync_end(s);
        return;
    }
    uv_tcp_nodelay(&s->tcp, 1);
    s->t_conn = uv_hrtime();
    struct dev *d = s->d;
    struct cs_hello hello = {.hub_seq = d->hub_seq, .has_incarnation = d->has_incarnation};
    memcpy(hello.incarnation, d->incarnation, CS_INCARNATION_LEN);
    uint8_t msg1[CS_WIRE_MAX_PREAUTH];
    size_t len;
    if (d->has_secret) {
        memcpy(hello.secret, d->secret, sizeof(hello.secret));
        hello.has_secret = 1;
    }
    snprintf(hello.name, sizeof(hello.name), "swarm %d", d->ix);
    cs_wire_ts_next(d->has_ts ? d->hs_ts : NULL, d->hs_ts);
    d->has_ts = 1;
    int ret =
        cs_hs_device_start(&s->hs, d->key, hub_pk, d->hs_ts, &hello, msg1, sizeof(msg1), &len);
    sodium_memzero(&hello, sizeof(hello));
    if (ret != 0 || (ret = send_frame(s, msg1, len, 0)) != 0 ||
        uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb) != 0) {
        fail_note(s, "cannot start the handshake: %s", cs_strerror(ret));
        sync_end(s);
        return;
    }
    s->state = S_WELCOME;
}

static void
timeout_cb(uv_timer_t *t)
{
    struct sync *s = t->data;
    fail_note(s, "no end after %d s", SYNC_TIMEOUT_MS / 1000);
    sync_end(s);
}

static void
sync_start(struct dev *d)
{
    struct sync *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        fprintf(stderr, "cs_swarm: out of memory\n");
        exit(1);
    }
    s->d = d;
    s->t0 = uv_hrtime();
    cur.active++;
    uv_tcp_init(loop, &s->tcp);
    uv_timer_init(loop, &s->timer);
    s->tcp.data = s->timer.data = s;
    s->handles = 2;
    uv_timer_start(&s->timer, timeout_cb, SYNC_TIMEOUT_MS, 0);
    /* The person's edit since the last sync: one local transaction. */
    int ret = dev_write(d, nchanges);
    if (ret != 0) {
        fail_note(s, "cannot write: %s", cs_strerror(ret));
        sync_end(s);
        return;
    }
    int rc = uv_tcp_connect(&s->creq, &s->tcp, (struct sockaddr *)&hub_addr, connect_cb);
    if (rc != 0) {
        fail_note(s, "connect: %s", uv_strerror(rc));
        sync_end(s);
    }
}

static void
start_next(void)
{
    while (cur.next < cur.n && cur.active < cur.conc)
        sync_start(&devs[cur.next++]);
    if (cur.done == cur.n)
        uv_stop(loop);
}

/* ---- figures ---- */

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v. */
static double
pct(const double *v, int n, double p)
{
    if (n == 0)
        return 0;
    int k = (int)(p / 100.0 * n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return v[k - 1];
}

/* The daemon's user+system CPU in ms; -1 without a pid. */
static long
hub_cpu_ms(void)
{
    char path[64], buf[1024];
    if (hub_pid <= 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%d/stat", hub_pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    /* After ") ": state(3) ... utime is field 14, stime 15. */
    if (p == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (long)((ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

/* A "VmHWM:"-style line of /proc/PID/status in kB; -1 without. */
static long
hub_status_kb(const char *key)
{
    char path[64], line[256];
    long v = -1;
    if (hub_pid <= 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%d/status", hub_pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, key, kl) == 0 && line[kl] == ':')
            v = strtol(line + kl + 1, NULL, 10);
    fclose(f);
    return v;
}

static long
self_cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec * 1000L + ru.ru_utime.tv_usec / 1000 + ru.ru_stime.tv_sec * 1000L +
           ru.ru_stime.tv_usec / 1000;
}

/* Pooled over several rounds: "small" (rounds 2..R) and "all" (rounds 1..R). */
struct pool {
    double *lat;
    int nlat, ok, failed;
    double wall;
    long hub_ms, self_ms;
};

static struct pool pool_small, pool_all;

static void
pool_add(struct pool *p, const double *lat, int n, int failed, double wall, long hub_ms,
         long self_ms)
{
    double *v = realloc(p->lat, (size_t)(p->nlat + n + 1) * sizeof(double));
    if (v == NULL) {
        fprintf(stderr, "cs_swarm: out of memory\n");
        exit(1);
    }
    p->lat = v;
    memcpy(p->lat + p->nlat, lat, (size_t)n * sizeof(double));
    p->nlat += n;
    p->ok += n;
    p->failed += failed;
    p->wall += wall;
    p->hub_ms = hub_ms < 0 || p->hub_ms < 0 ? -1 : p->hub_ms + hub_ms;
    p->self_ms += self_ms;
}

static void
pool_print(const char *kind, const char *which, struct pool *p)
{
    if (p->ok + p->failed == 0)
        return;
    qsort(p->lat, (size_t)p->nlat, sizeof(double), cmp_double);
    printf("summary kind=%s rounds=%s ok=%d failed=%d wall_s=%.3f syncs_per_s=%.1f p50_ms=%.2f "
           "p90_ms=%.2f p99_ms=%.2f max_ms=%.2f",
           kind, which, p->ok, p->failed, p->wall, p->ok / p->wall, pct(p->lat, p->nlat, 50),
           pct(p->lat, p->nlat, 90), pct(p->lat, p->nlat, 99), p->nlat ? p->lat[p->nlat - 1] : 0.0);
    if (p->hub_ms >= 0)
        printf(" hub_cpu_ms=%ld hub_cpu_ms_per_sync=%.3f", p->hub_ms,
               p->ok ? (double)p->hub_ms / p->ok : 0.0);
    printf(" swarm_cpu_ms=%ld\n", p->self_ms);
    free(p->lat);
    p->lat = NULL;
}

static void
run_round(int no, const char *kind, int n, int c)
{
    memset(&cur, 0, sizeof(cur));
    cur.kind = kind;
    cur.n = n;
    cur.conc = c;
    cur.lat_ms = calloc((size_t)n, sizeof(double));
    cur.conn_ms = calloc((size_t)n, sizeof(double));
    cur.wel_ms = calloc((size_t)n, sizeof(double));
    if (cur.lat_ms == NULL || cur.conn_ms == NULL || cur.wel_ms == NULL) {
        fprintf(stderr, "cs_swarm: out of memory\n");
        exit(1);
    }
    long hub0 = hub_cpu_ms(), self0 = self_cpu_ms();
    cur.t0 = uv_hrtime();
    start_next();
    uv_run(loop, UV_RUN_DEFAULT);
    double wall = (double)(uv_hrtime() - cur.t0) / 1e9;
    long hub1 = hub_cpu_ms(), self1 = self_cpu_ms();
    qsort(cur.lat_ms, (size_t)cur.nlat, sizeof(double), cmp_double);
    int ok = cur.n - cur.failed;
    printf("round=%d kind=%s devices=%d concurrency=%d ok=%d failed=%d wall_s=%.3f "
           "syncs_per_s=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f",
           no, kind, n, c, ok, cur.failed, wall, ok / wall, pct(cur.lat_ms, cur.nlat, 50),
           pct(cur.lat_ms, cur.nlat, 90), pct(cur.lat_ms, cur.nlat, 99),
           cur.nlat ? cur.lat_ms[cur.nlat - 1] : 0.0);
    if (hub0 >= 0 && hub1 >= 0)
        printf(" hub_cpu_ms=%ld hub_cpu_ms_per_sync=%.3f", hub1 - hub0,
               ok ? (double)(hub1 - hub0) / ok : 0.0);
    printf(" swarm_cpu_ms=%ld bytes_sent=%zu changes_received=%zu refused=%zu\n", self1 - self0,
           cur.sent, cur.recv, cur.refused);
    fflush(stdout);
    /* Where the time of a sync goes: connecting, the handshake, then the streams. */
    double *stream = calloc((size_t)cur.nlat + 1, sizeof(double));
    if (stream == NULL) {
        fprintf(stderr, "cs_swarm: out of memory\n");
        exit(1);
    }
    for (int i = 0; i < cur.nlat; i++)
        stream[i] = cur.lat_ms[i] - cur.conn_ms[i] - cur.wel_ms[i];
    qsort(cur.conn_ms, (size_t)cur.nlat, sizeof(double), cmp_double);
    qsort(cur.wel_ms, (size_t)cur.nlat, sizeof(double), cmp_double);
    qsort(stream, (size_t)cur.nlat, sizeof(double), cmp_double);
    printf("phases round=%d connect_p50_ms=%.2f connect_p99_ms=%.2f handshake_p50_ms=%.2f "
           "handshake_p99_ms=%.2f stream_p50_ms=%.2f stream_p99_ms=%.2f\n",
           no, pct(cur.conn_ms, cur.nlat, 50), pct(cur.conn_ms, cur.nlat, 99),
           pct(cur.wel_ms, cur.nlat, 50), pct(cur.wel_ms, cur.nlat, 99), pct(stream, cur.nlat, 50),
           pct(stream, cur.nlat, 99));
    free(stream);
    free(cur.conn_ms);
    free(cur.wel_ms);
    long hub_ms = hub0 >= 0 && hub1 >= 0 ? hub1 - hub0 : -1;
    if (strcmp(kind, "sequential") != 0)
        pool_add(&pool_all, cur.lat_ms, cur.nlat, cur.failed, wall, hub_ms, self1 - self0);
    if (strcmp(kind, "small") == 0)
        pool_add(&pool_small, cur.lat_ms, cur.nlat, cur.failed, wall, hub_ms, self1 - self0);
    free(cur.lat_ms);
}

/* ---- setup: keys and enrollments through the hub's own code ---- */

static void
enroll_all(const char *state)
{
    struct hub *h = NULL;
    char err[1024];
    char **cells = NULL;
    size_t ncells = 0, cap = 0;
    sqlite3_stmt *st;
    int ret;

    if ((ret = hub_open(&h, state, err, sizeof(err))) != 0) {
        fprintf(stderr, "cs_swarm: %s\n", err);
        exit(1);
    }
    memcpy(hub_pk, cs_key_pk(hub_key(h)), CS_PK_LEN);
    sqlite3 *db = cs_replica_db(hub_replica(h));
    if (sqlite3_prepare_v2(db,
                           "SELECT code FROM org_unit WHERE level = 'cell' AND cl % 2 = 1"
                           " ORDER BY code",
                           -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "cs_swarm: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (ncells == cap) {
            cap = cap ? cap * 2 : 64;
            cells = realloc(cells, cap * sizeof(*cells));
        }
        cells[ncells++] = strdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    if (ncells == 0) {
        fprintf(stderr, "cs_swarm: the hub has no org unit of level 'cell'\n");
        exit(1);
    }
    /*
     * Setup only: one transaction per enrollment (hub_enroll_create's own),
     * without waiting for the disk each time. The daemon's syncs that
     * follow run with its own settings.
     */
    sqlite3_exec(db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    for (int i = 0; i < ndevs; i++) {
        struct dev *d = &devs[i];
        char name[64], path[4096];
        struct cs_enrollment e;
        d->ix = i;
        if (cs_key_generate(&d->key) != 0) {
            fprintf(stderr, "cs_swarm: cannot make a key\n");
            exit(1);
        }
        cs_key_id(d->key, &d->id);
        snprintf(d->org, sizeof(d->org), "%s", cells[(size_t)i % ncells]);
        snprintf(name, sizeof(name), "swarm %d", i);
        /* By file: a code's enrollment needs a run of CPace with a live hub (pake.h). */
        snprintf(path, sizeof(path), "%s/swarm-%d.enroll", state, i);
        if ((ret = hub_enroll_create(h, d->org, HUB_ROLE_CELL, name, "swarm:1",
                                     HUB_ENROLL_TTL_DEFAULT, path, NULL, 0, NULL, err,
                                     sizeof(err))) != 0 ||
            (ret = cs_enrollment_read(path, &e, err, sizeof(err))) != 0) {
            fprintf(stderr, "cs_swarm: enroll device %d: %s\n", i, err);
            exit(1);
        }
        unlink(path);
        memcpy(d->secret, e.secret, sizeof(d->secret));
        sodium_memzero(&e, sizeof(e));
        d->has_secret = 1;
        cs_hlc_init(&d->clock, CS_HLC_DRIFT_DEFAULT_MS);
    }
    sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
    hub_close(h);
    printf("setup devices=%d cells=%zu per_cell=%.2f\n", ndevs, ncells, (double)ndevs / ncells);
    for (size_t i = 0; i < ncells; i++)
        free(cells[i]);
    free(cells);
}

/* ---- the floor: the cryptography of one small sync, both ends, no I/O ---- */

static double
cpu_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
must(int ret, const char *what)
{
    if (ret != 0) {
        fprintf(stderr, "cs_swarm: crypto floor: %s: %s\n", what, cs_strerror(ret));
        exit(1);
    }
}

/*
 * What one small sync costs in cryptography on each end, timed in this
 * process with the library's own calls: the handshake (cs_hs_*), the
 * session start, the device's chunk of `nchanges` changes (encode, seal) and
 * the hub opening it (open, decode: the checks of cs_sync_take_chunk), and
 * a chunk of as many changes from the hub (its sibling's) sealed by the hub
 * and opened by the device. Prints CPU microseconds per sync for each end.
 */
static void
crypto_floor(int m)
{
    struct cs_key *hubk = NULL;
    struct dev d = {0}, sib = {0};
    double t_dev = 0, t_hub = 0, t_hub_hs = 0, t_dev_hs = 0;

    must(cs_key_generate(&hubk), "hub key");
    memcpy(hub_pk, cs_key_pk(hubk), CS_PK_LEN);
    must(cs_key_generate(&d.key), "device key");
    must(cs_key_generate(&sib.key), "sibling key");
    cs_key_id(d.key, &d.id);
    cs_key_id(sib.key, &sib.id);
    snprintf(d.org, sizeof(d.org), "CB-0001");
    snprintf(sib.org, sizeof(sib.org), "CB-0001");
    cs_hlc_init(&d.clock, CS_HLC_DRIFT_DEFAULT_MS);
    cs_hlc_init(&sib.clock, CS_HLC_DRIFT_DEFAULT_MS);
    for (int i = 0; i < m; i++) {
        struct cs_hs dhs, hhs;
        struct cs_hello hello = {.hub_seq = 7}, got;
        struct cs_welcome w = {.status = CS_WELCOME_OK, .hub_time = 1, .up_seq = d.seq}, dw;
        struct cs_session ds, hsess;
        uint8_t msg1[CS_WIRE_MAX_PREAUTH], msg2[CS_WIRE_MAX_PREAUTH];
        uint8_t dh[crypto_secretstream_xchacha20poly1305_HEADERBYTES], hh[sizeof(dh)];
        size_t l1, l2, envlen, senvlen, plainlen;
        uint8_t *env, *senv, *plain;
        uint64_t last = 0, slast = 0;
        unsigned v;
        struct cs_changeset *cs;
        struct cs_envelope_info info;

        /* Not timed: the writes themselves, and the sibling's chunk as the hub would store it. */
        must(dev_write(&d, nchanges ? nchanges : 1), "write");
        must(dev_write(&sib, nchanges ? nchanges : 1), "sibling write");
        must(dev_chunk(&sib, sib.hub_ack, &senv, &senvlen, &slast), "sibling chunk");
        {
            /* The hub's copy of the sibling's changes, as its replica would encode them again. */
            struct cs_chunk_sets sets = {0};
            must(cs_sync_open_sets(NULL, cs_key_pk(sib.key), senv, senvlen, &sets, &info, NULL, 0),
                 "sibling open");
            struct cs_id hub_id;
            cs_key_id(hubk, &hub_id);
            cs_changeset_set_origin(sets.own, &hub_id); /* a set names its signer */
            cs_changeset_set_seq(sets.own, 1, slast);   /* and the hub's seqs it covers */
            must(cs_changeset_encode(sets.own, &plain, &plainlen), "sibling encode");
            cs_chunk_sets_release(&sets);
        }
        free(senv);
        dev_acked(&sib, slast);

        double t0 = cpu_now_s();
        uint8_t ts[CS_WIRE_TS_LEN];
        cs_wire_ts_next(NULL, ts);
        must(cs_hs_device_start(&dhs, d.key, hub_pk, ts, &hello, msg1, sizeof(msg1), &l1), "msg1");
        double t1 = cpu_now_s();
        must(cs_hs_hub_read(&hhs, hubk, msg1, l1, &got), "hub read");
        must(cs_hs_hub_reply(&hhs, &w, msg2, sizeof(msg2), &l2), "hub reply");
        must(cs_session_init(&hsess, &hhs, hh), "hub session");
        double t2 = cpu_now_s();
        must(cs_hs_device_finish(&dhs, d.key, hub_pk, msg2, l2, &dw, &v), "msg2");
        must(cs_session_init(&ds, &dhs, dh), "device session");
        must(cs_session_accept(&ds, &dhs, hh, sizeof(hh)), "device accept");
        double t2b = cpu_now_s();
        must(dev_chunk(&d, d.hub_ack, &env, &envlen, &last), "chunk");
        double t3 = cpu_now_s();
        t_dev_hs -= t3 - t2b; /* the chunk is not the handshake */
        must(cs_session_accept(&hsess, &hhs, dh, sizeof(dh)), "hub accept");
        {
            /* The hub's checks of a chunk: its signature, the signed set's, the decode. */
            struct cs_chunk_sets sets = {0};
            must(cs_sync_open_sets(NULL, cs_key_pk(d.key), env, envlen, &sets, &info, NULL, 0),
                 "hub open");
            cs_chunk_sets_release(&sets);
        }
        /* The hub signs its copy of the sibling's change set, a live chunk to this device. */
        must(cs_sync_seal(hubk, NULL, 1, slast, plain, plainlen, NULL, 0, &senv, &senvlen),
             "hub seal");
        double t4 = cpu_now_s();
        must(cs_sync_open_chunk(NULL, hub_pk, senv, senvlen, &cs, &info, NULL, 0), "device open");
        cs_changeset_free(cs);
        double t5 = cpu_now_s();
        t_dev += (t1 - t0) + (t3 - t2) + (t5 - t4);
        t_hub += (t2 - t1) + (t4 - t3);
        t_hub_hs += t2 - t1;
        t_dev_hs += (t1 - t0) + (t3 - t2);
        dev_acked(&d, last);
        free(env);
        free(senv);
        free(plain);
        cs_hs_release(&dhs);
        cs_hs_release(&hhs);
        cs_session_release(&ds);
        cs_session_release(&hsess);
    }
    double hub_us = t_hub / m * 1e6, dev_us = t_dev / m * 1e6;
    printf("crypto_floor syncs=%d changes=%d hub_us_per_sync=%.1f (handshake %.1f, chunks %.1f) "
           "device_us_per_sync=%.1f (handshake %.1f, chunks %.1f) both_us_per_sync=%.1f "
           "hub_max_syncs_per_s_one_core=%.0f max_syncs_per_s_two_cores_both_ends=%.0f\n",
           m, nchanges, hub_us, t_hub_hs / m * 1e6, (t_hub - t_hub_hs) / m * 1e6, dev_us,
           t_dev_hs / m * 1e6, (t_dev - t_dev_hs) / m * 1e6, hub_us + dev_us, 1e6 / hub_us,
           2e6 / (hub_us + dev_us));
    cs_key_free(hubk);
    cs_key_free(d.key);
    cs_key_free(sib.key);
}

static int
number(const char *v, int lo, int hi, const char *what)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end != 0 || n < lo || n > hi) {
        fprintf(stderr, "cs_swarm: %s must be a number from %d to %d, not '%s'\n", what, lo, hi, v);
        exit(2);
    }
    return (int)n;
}

int
main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"hub", required_argument, NULL, 'a'},
        {"state", required_argument, NULL, 's'},
        {"devices", required_argument, NULL, 'n'},
        {"concurrency", required_argument, NULL, 'c'},
        {"rounds", required_argument, NULL, 'r'},
        {"changes", required_argument, NULL, 'k'},
        {"seq-devices", required_argument, NULL, 'q'},
        {"hub-pid", required_argument, NULL, 'p'},
        {"crypto-floor", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    const char *addr = NULL, *state = NULL;
    int ch, floor_n = 0;

    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'a':
            addr = optarg;
            break;
        case 's':
            state = optarg;
            break;
        case 'n':
            ndevs = number(optarg, 1, 100000, "--devices");
            break;
        case 'c':
            conc = number(optarg, 1, 100000, "--concurrency");
            break;
        case 'r':
            rounds = number(optarg, 0, 1000, "--rounds");
            break;
        case 'k':
            nchanges = number(optarg, 0, 3, "--changes");
            break;
        case 'q':
            seq_devices = number(optarg, 0, 100000, "--seq-devices");
            break;
        case 'p':
            hub_pid = number(optarg, 1, 1 << 30, "--hub-pid");
            break;
        case 'f':
            floor_n = number(optarg, 1, 1000000, "--crypto-floor");
            break;
        default:
            goto usage;
        }
    }
    if (optind != argc || (floor_n == 0 && (addr == NULL || state == NULL)))
        goto usage;
    if (cs_init() != 0) {
        fprintf(stderr, "cs_swarm: cannot start\n");
        return 1;
    }
    if (floor_n > 0) {
        crypto_floor(floor_n);
        return 0;
    }
    snprintf(hub_addr_text, sizeof(hub_addr_text), "%s", addr);
    char *colon = strrchr(hub_addr_text, ':');
    if (colon == NULL) {
        fprintf(stderr, "cs_swarm: '%s' is not HOST:PORT\n", addr);
        return 2;
    }
    *colon = 0;
    if (uv_ip4_addr(hub_addr_text, number(colon + 1, 1, 65535, "the port"), &hub_addr) != 0) {
        fprintf(stderr, "cs_swarm: '%s' is not an IPv4 address\n", hub_addr_text);
        return 2;
    }
    *colon = ':';
    if (conc <= 0 || conc > ndevs)
        conc = ndevs;
    if (seq_devices < 0)
        seq_devices = ndevs < 200 ? ndevs : 200;
    if (seq_devices > ndevs)
        seq_devices = ndevs;
    /* Two sockets' worth of descriptors per sync in flight, and some. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)conc + 64) {
        rl.rlim_cur = (rlim_t)conc + 64 < rl.rlim_max ? (rlim_t)conc + 64 : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if ((devs = calloc((size_t)ndevs, sizeof(*devs))) == NULL) {
        fprintf(stderr, "cs_swarm: out of memory\n");
        return 1;
    }
    uint64_t t0 = uv_hrtime();
    enroll_all(state);
    printf("setup_s=%.2f\n", (double)(uv_hrtime() - t0) / 1e9);
    loop = uv_default_loop();
    for (int r = 1; r <= rounds; r++)
        run_round(r, r == 1 ? "first" : "small", ndevs, conc);
    char which[32];
    snprintf(which, sizeof(which), "2-%d", rounds);
    if (rounds >= 2)
        pool_print("small", which, &pool_small);
    snprintf(which, sizeof(which), "1-%d", rounds);
    if (rounds >= 1)
        pool_print("all", which, &pool_all);
    if (seq_devices > 0)
        run_round(rounds + 1, "sequential", seq_devices, 1);
    long hwm = hub_status_kb("VmHWM"), rss = hub_status_kb("VmRSS");
    if (hwm >= 0)
        printf("hub_vmhwm_kb=%ld hub_vmrss_kb=%ld\n", hwm, rss);
    uv_loop_close(loop);
    for (int i = 0; i < ndevs; i++)
        cs_key_free(devs[i].key);
    free(devs);
    return any_failed ? 1 : 0;
usage:
    fprintf(stderr, "usage: cs_swarm --hub HOST:PORT --state DIR [--devices N] [--concurrency C]\n"
                    "  [--rounds R] [--changes K] [--seq-devices M] [--hub-pid PID]\n"
                    "       cs_swarm --crypto-floor M [--changes K]\n");
    return 2;
}
