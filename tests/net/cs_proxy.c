/* SPDX-License-Identifier: MIT */
/*
 * A TCP proxy on libuv for the network tests: it stands between a device
 * and the hub on loopback and makes the link behave like a bad one. It can
 * cut a connection abruptly after a number of bytes (a link that drops in
 * the middle of a sync) or once it has been open a given time (a link that
 * drops every so often, however slow), limit throughput (a slow uplink),
 * delay delivery (a satellite round trip), and count what passed, so a test
 * can check how many bytes a resumed sync sent again.
 *
 *   cs_proxy --target HOST:PORT --port-file F [--cut-after N]
 *            [--cut-every-ms MS] [--rate BYTES_PER_SEC] [--rtt-ms MS]
 *            [--stats FILE] [--max-seconds S]
 *
 * --cut-after N resets a connection when N bytes (both directions summed)
 * have passed and more wait; --cut-every-ms MS resets each connection MS ms
 * after it was accepted, whatever is in flight (bytes held by the proxy are
 * lost, as on a link that drops). Both may be given; the first to come cuts.
 *
 * It listens on 127.0.0.1 port 0 and writes the port to F. On SIGTERM or
 * SIGINT it writes one line to the stats file,
 *   connections=C up=BYTES down=BYTES turns=T cuts=K
 * (up: device to hub; a turn is a change of direction of the traffic in one
 * connection, summed over connections; cuts: connections the proxy cut),
 * closes everything and exits 0. It
 * stops by itself after --max-seconds (default 120) and exits 1, so a test
 * that dies cannot leave it behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

#define READ_CHUNK (64u << 10)
/* Bytes held for one direction (read, not yet written out) before reading stops. */
#define HOLD_HIGH (256u << 10)
#define HOLD_LOW  (64u << 10)
#define BUF_MAX   (HOLD_HIGH + READ_CHUNK)
/* Reads waiting for their delivery time (--rtt-ms); reading stops when full. */
#define MARKS 1024

enum { UP, DOWN }; /* UP: device to hub, read from the accepted socket */

struct proxy;
struct pair;

struct mark {
    uint64_t end; /* the direction's byte count at the end of one read */
    uint64_t due; /* loop time (ms) from which those bytes may go on */
};

/* One direction of a pair: bytes read from src wait in buf until written to dst. */
struct dir {
    struct pair *p;
    int which; /* UP or DOWN */
    uv_tcp_t *src, *dst;
    uint8_t *buf;
    size_t cap, head, tail; /* buf[head, tail) is read and not yet handed to dst */
    uint64_t in, out;       /* bytes read from src; bytes handed to dst */
    size_t writing;         /* bytes handed to uv_write and not yet written */
    struct mark marks[MARKS];
    size_t mhead, mcount;
    double tokens; /* --rate: bytes this direction may send now */
    uint64_t refilled;
    int reading, eof, shut;
    uv_shutdown_t shutdown_req;
};

struct pair {
    uv_tcp_t client;   /* accepted from the device */
    uv_tcp_t upstream; /* to the hub */
    uv_timer_t timer;  /* the next delivery time or token */
    uv_timer_t cut;    /* --cut-every-ms: the connection's end */
    uv_connect_t connect_req;
    struct proxy *px;
    struct pair *prev, *next;
    struct dir d[2];
    int handles_open;
    int closing;
    int last_dir; /* direction of the last bytes forwarded, -1 before any */
    unsigned id;
};

struct proxy {
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_signal_t sigterm, sigint;
    uv_timer_t deadline;
    struct sockaddr_storage target;
    const char *stats_path;
    uint64_t cut_after; /* 0: never */
    uint64_t cut_every; /* ms; 0: never */
    uint64_t rate;      /* bytes per second and direction; 0: unlimited */
    uint64_t half_rtt;  /* ms */
    struct pair *pairs;
    unsigned accepted, pairs_open;
    uint64_t up, down, turns, cuts;
    int stopping;
    int stopped_by_signal;
};

struct wreq {
    uv_write_t req;
    struct dir *d;
    size_t len;
    uint8_t data[];
};

static void pair_pump(struct pair *p);

/* ---- closing ---- */

static void
pair_handle_closed(uv_handle_t *h)
{
    struct pair *p = h->data;
    if (--p->handles_open > 0)
        return;
    /* Write and shutdown callbacks have all run (cancelled) before the last close callback. */
    struct proxy *px = p->px;
    if (p->prev)
        p->prev->next = p->next;
    else
        px->pairs = p->next;
    if (p->next)
        p->next->prev = p->prev;
    px->pairs_open--;
    free(p->d[UP].buf);
    free(p->d[DOWN].buf);
    free(p);
}

static void
close_tcp(uv_tcp_t *t, int abrupt)
{
    if (uv_is_closing((uv_handle_t *)t))
        return;
    /* A reset, not a goodbye: the peer sees a link that broke. */
    if (!abrupt || uv_tcp_close_reset(t, pair_handle_closed) != 0)
        uv_close((uv_handle_t *)t, pair_handle_closed);
}

/* Idempotent: both sockets and the timer go, with a reset when abrupt. */
static void
pair_close(struct pair *p, int abrupt, const char *why)
{
    if (p->closing)
        return;
    p->closing = 1;
    if (why != NULL)
        fprintf(stderr, "cs_proxy: connection %u: %s (up=%llu down=%llu)\n", p->id, why,
                (unsigned long long)p->d[UP].out, (unsigned long long)p->d[DOWN].out);
    close_tcp(&p->client, abrupt);
    close_tcp(&p->upstream, abrupt);
    uv_close((uv_handle_t *)&p->timer, pair_handle_closed);
    uv_close((uv_handle_t *)&p->cut, pair_handle_closed);
}

/* ---- reading ---- */

static void
dir_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct pair *p = h->data;
    struct dir *d = &p->d[(uv_tcp_t *)h == &p->client ? UP : DOWN];
    (void)suggested;
    /* What was written out is gone from the front: move the rest down. */
    if (d->head > 0 && d->cap - d->tail < READ_CHUNK) {
        memmove(d->buf, d->buf + d->head, d->tail - d->head);
        d->tail -= d->head;
        d->head = 0;
    }
    if (d->cap - d->tail < READ_CHUNK && d->cap < BUF_MAX) {
        size_t cap = d->cap ? d->cap * 2 : READ_CHUNK;
        if (cap > BUF_MAX)
            cap = BUF_MAX;
        uint8_t *n = realloc(d->buf, cap);
        if (n != NULL) {
            d->buf = n;
            d->cap = cap;
        }
    }
    size_t room = d->cap - d->tail;
    /* No room gives UV_ENOBUFS in read_cb, which pauses the direction. */
    *buf = uv_buf_init(d->buf ? (char *)d->buf + d->tail : NULL,
                       (unsigned)(room < READ_CHUNK ? room : READ_CHUNK));
}

static void dir_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static size_t
dir_held(const struct dir *d)
{
    return (size_t)(d->in - d->out) + d->writing;
}

static void
dir_read_stop(struct dir *d)
{
    if (d->reading) {
        uv_read_stop((uv_stream_t *)d->src);
        d->reading = 0;
    }
}

static void
dir_read_resume(struct dir *d)
{
    if (d->reading || d->eof || d->p->closing || dir_held(d) > HOLD_LOW || d->mcount >= MARKS)
        return;
    if (uv_read_start((uv_stream_t *)d->src, dir_alloc, dir_read) == 0)
        d->reading = 1;
}

static void
dir_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct pair *p = s->data;
    struct dir *d = &p->d[(uv_tcp_t *)s == &p->client ? UP : DOWN];
    (void)buf;
    if (nread == 0)
        return; /* EAGAIN: nothing this time, not the end */
    if (nread == UV_ENOBUFS) {
        dir_read_stop(d);
        return;
    }
    if (nread == UV_EOF) {
        /* The rest still goes out, then the other side gets our half-close. */
        dir_read_stop(d);
        d->eof = 1;
        pair_pump(p);
        return;
    }
    if (nread < 0) {
        pair_close(p, 1, uv_strerror((int)nread));
        return;
    }
    d->tail += (size_t)nread;
    d->in += (uint64_t)nread;
    if (d->p->px->half_rtt > 0) {
        uint64_t due = uv_now(s->loop) + p->px->half_rtt;
        /* Reads within the same millisecond share one mark. */
        if (d->mcount > 0 && d->marks[(d->mhead + d->mcount - 1) % MARKS].due == due) {
            d->marks[(d->mhead + d->mcount - 1) % MARKS].end = d->in;
        } else {
            d->marks[(d->mhead + d->mcount) % MARKS] = (struct mark){d->in, due};
            d->mcount++;
        }
    }
    if (dir_held(d) >= HOLD_HIGH || d->mcount >= MARKS)
        dir_read_stop(d);
    pair_pump(p);
}

/* ---- writing ---- */

static void
dir_write_done(uv_write_t *req, int status)
{
    struct wreq *w = container_of(req, struct wreq, req);
    struct dir *d = w->d;
    struct pair *p = d->p;
    d->writing -= w->len;
    free(w);
    if (status == UV_ECANCELED || p->closing)
        return;
    if (status < 0) {
        pair_close(p, 1, uv_strerror(status));
        return;
    }
    pair_pump(p);
}

static void
dir_shutdown_done(uv_shutdown_t *req, int status)
{
    struct dir *d = container_of(req, struct dir, shutdown_req);
    struct pair *p = d->p;
    if (status == UV_ECANCELED || p->closing)
        return;
    if (status < 0) {
        pair_close(p, 1, uv_strerror(status));
        return;
    }
    /* Both peers said goodbye and everything was delivered. */
    if (p->d[UP].shut && p->d[DOWN].shut)
        pair_close(p, 0, NULL);
}

static int
dir_send(struct dir *d, size_t n)
{
    struct wreq *w = malloc(sizeof(*w) + n);
    if (w == NULL)
        return UV_ENOMEM;
    memcpy(w->data, d->buf + d->head, n);
    w->d = d;
    w->len = n;
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)n);
    int rc = uv_write(&w->req, (uv_stream_t *)d->dst, &b, 1, dir_write_done);
    if (rc != 0) {
        free(w);
        return rc;
    }
    d->writing += n;
    d->head += n;
    d->out += n;
    if (d->head == d->tail)
        d->head = d->tail = 0;
    return 0;
}

/*
 * Moves what may go on now from one direction. Returns how many ms until
 * more may go (a delivery time or a token), 0 when nothing waits on time.
 * Sets *cut when the byte budget of --cut-after is spent with bytes waiting.
 */
static uint64_t
dir_pump(struct dir *d, uint64_t now, int *cut)
{
    struct pair *p = d->p;
    struct proxy *px = p->px;
    uint64_t wait = 0;

    while (d->mcount > 0 && d->marks[d->mhead].end <= d->out) {
        d->mhead = (d->mhead + 1) % MARKS;
        d->mcount--;
    }
    /* With a delay, only bytes whose mark is due may go. */
    uint64_t ready_end = d->in;
    if (px->half_rtt > 0) {
        ready_end = d->out;
        for (size_t i = 0; i < d->mcount; i++) {
            const struct mark *m = &d->marks[(d->mhead + i) % MARKS];
            if (m->due > now) {
                wait = m->due - now;
                break;
            }
            ready_end = m->end;
        }
    }
    uint64_t n = ready_end - d->out;
    if (n > 0 && d->writing >= HOLD_HIGH)
        n = 0; /* the receiver is slow: the write callback pumps again */
    if (n > 0 && px->rate > 0) {
        double burst = px->rate / 50.0 > 1024 ? px->rate / 50.0 : 1024;
        d->tokens += (double)(now - d->refilled) * px->rate / 1000.0;
        d->refilled = now;
        if (d->tokens > burst)
            d->tokens = burst;
        if (d->tokens < 1) {
            uint64_t need = (uint64_t)((1 - d->tokens) * 1000 / px->rate) + 1;
            if (wait == 0 || need < wait)
                wait = need;
            n = 0;
        } else if (n > (uint64_t)d->tokens) {
            n = (uint64_t)d->tokens;
            uint64_t need = 1000 * 1024 / px->rate + 1;
            if (wait == 0 || need < wait)
                wait = need;
        }
    }
    if (n > 0 && px->cut_after > 0) {
        uint64_t passed = p->d[UP].out + p->d[DOWN].out;
        uint64_t budget = px->cut_after > passed ? px->cut_after - passed : 0;
        if (n > budget) {
            n = budget;
            *cut = 1;
        }
    }
    if (n > 0) {
        int rc = dir_send(d, (size_t)n);
        if (rc != 0) {
            pair_close(p, 1, uv_strerror(rc));
            return 0;
        }
        if (px->rate > 0)
            d->tokens -= (double)n;
        if (d->which == UP)
            px->up += n;
        else
            px->down += n;
        if (p->last_dir >= 0 && p->last_dir != d->which)
            px->turns++;
        p->last_dir = d->which;
    }
    /* Everything the peer sent before its EOF is out: pass the half-close on. */
    if (d->eof && !d->shut && d->in == d->out && !*cut) {
        d->shut = 1;
        if (uv_shutdown(&d->shutdown_req, (uv_stream_t *)d->dst, dir_shutdown_done) != 0) {
            pair_close(p, 1, "cannot pass the half-close on");
            return 0;
        }
    }
    if (!*cut)
        dir_read_resume(d);
    return wait;
}

static void
pair_timer(uv_timer_t *t)
{
    pair_pump(t->data);
}

static void
pair_pump(struct pair *p)
{
    if (p->closing)
        return;
    uint64_t now = uv_now(&p->px->loop);
    int cut = 0;
    uint64_t w1 = dir_pump(&p->d[UP], now, &cut);
    if (p->closing)
        return;
    uint64_t w2 = cut ? 0 : dir_pump(&p->d[DOWN], now, &cut);
    if (p->closing)
        return;
    if (cut) {
        char why[64];
        snprintf(why, sizeof(why), "cut after %llu bytes", (unsigned long long)p->px->cut_after);
        p->px->cuts++;
        pair_close(p, 1, why);
        return;
    }
    uint64_t wait = w1 == 0 ? w2 : w2 == 0 || w1 < w2 ? w1 : w2;
    if (wait > 0)
        uv_timer_start(&p->timer, pair_timer, wait, 0);
    else
        uv_timer_stop(&p->timer);
}

/* --cut-every-ms: the connection has been open its time; what is in flight is lost. */
static void
pair_cut_timer(uv_timer_t *t)
{
    struct pair *p = t->data;
    char why[64];
    if (p->closing)
        return;
    snprintf(why, sizeof(why), "cut after %llu ms", (unsigned long long)p->px->cut_every);
    p->px->cuts++;
    pair_close(p, 1, why);
}

/* ---- accepting ---- */

static void
upstream_connected(uv_connect_t *req, int status)
{
    struct pair *p = container_of(req, struct pair, connect_req);
    if (status == UV_ECANCELED || p->closing)
        return;
    if (status < 0) {
        pair_close(p, 1, uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&p->upstream, 1);
    dir_read_resume(&p->d[UP]);
    dir_read_resume(&p->d[DOWN]);
}

static void
on_connection(uv_stream_t *l, int status)
{
    struct proxy *px = l->data;
    if (status < 0) {
        fprintf(stderr, "cs_proxy: accept: %s\n", uv_strerror(status));
        return;
    }
    struct pair *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return;
    p->px = px;
    p->id = ++px->accepted;
    p->last_dir = -1;
    uv_tcp_init(&px->loop, &p->client);
    uv_tcp_init(&px->loop, &p->upstream);
    uv_timer_init(&px->loop, &p->timer);
    uv_timer_init(&px->loop, &p->cut);
    p->client.data = p->upstream.data = p->timer.data = p->cut.data = p;
    p->handles_open = 4;
    p->next = px->pairs;
    if (px->pairs)
        px->pairs->prev = p;
    px->pairs = p;
    px->pairs_open++;
    for (int i = 0; i < 2; i++) {
        p->d[i].p = p;
        p->d[i].which = i;
        p->d[i].refilled = uv_now(&px->loop);
    }
    p->d[UP].src = p->d[DOWN].dst = &p->client;
    p->d[UP].dst = p->d[DOWN].src = &p->upstream;
    int rc = uv_accept(l, (uv_stream_t *)&p->client);
    if (rc == 0)
        rc = uv_tcp_connect(&p->connect_req, &p->upstream, (struct sockaddr *)&px->target,
                            upstream_connected);
    if (rc != 0) {
        pair_close(p, 1, uv_strerror(rc));
        return;
    }
    uv_tcp_nodelay(&p->client, 1);
    if (px->cut_every > 0)
        uv_timer_start(&p->cut, pair_cut_timer, px->cut_every, 0);
}

/* ---- stopping ---- */

/* Temp file, fsync, rename: a reader never sees half a line. */
static int
write_file(const char *path, const char *text)
{
    char tmp[PATH_MAX + 8];
    int ret = -1;
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        goto out;
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
        close(fd);
        unlink(tmp);
        goto out;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        goto out;
    }
    ret = 0;
out:
    if (ret != 0)
        fprintf(stderr, "cs_proxy: cannot write '%s': %s\n", path, strerror(errno));
    return ret;
}

static void
proxy_stop(struct proxy *px, const char *why)
{
    if (px->stopping)
        return;
    px->stopping = 1;
    fprintf(stderr,
            "cs_proxy: stopping (%s): connections=%u up=%llu down=%llu turns=%llu cuts=%llu\n", why,
            px->accepted, (unsigned long long)px->up, (unsigned long long)px->down,
            (unsigned long long)px->turns, (unsigned long long)px->cuts);
    if (px->stats_path != NULL) {
        char line[192];
        snprintf(line, sizeof(line), "connections=%u up=%llu down=%llu turns=%llu cuts=%llu\n",
                 px->accepted, (unsigned long long)px->up, (unsigned long long)px->down,
                 (unsigned long long)px->turns, (unsigned long long)px->cuts);
        write_file(px->stats_path, line);
    }
    uv_close((uv_handle_t *)&px->listener, NULL);
    uv_close((uv_handle_t *)&px->sigterm, NULL);
    uv_close((uv_handle_t *)&px->sigint, NULL);
    uv_close((uv_handle_t *)&px->deadline, NULL);
    for (struct pair *p = px->pairs; p != NULL; p = p->next)
        pair_close(p, 0, NULL);
}

static void
on_signal(uv_signal_t *s, int signum)
{
    struct proxy *px = s->data;
    px->stopped_by_signal = 1;
    proxy_stop(px, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void
on_deadline(uv_timer_t *t)
{
    proxy_stop(t->data, "--max-seconds reached");
}

/* ---- the command ---- */

static int
parse_addr(const char *addr, struct sockaddr_storage *ss)
{
    char host[128], *port;
    if (snprintf(host, sizeof(host), "%s", addr) >= (int)sizeof(host))
        return UV_EINVAL;
    port = strrchr(host, ':');
    if (port == NULL || port[1] == 0)
        return UV_EINVAL;
    *port++ = 0;
    char *end;
    long p = strtol(port, &end, 10);
    if (*end != 0 || p < 1 || p > 65535)
        return UV_EINVAL;
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        host[strlen(host) - 1] = 0;
        return uv_ip6_addr(host + 1, (int)p, (struct sockaddr_in6 *)ss);
    }
    return uv_ip4_addr(host, (int)p, (struct sockaddr_in *)ss);
}

static int
number(const char *opt, const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno != 0 || end == v || *end != 0 || v[0] == '-') {
        fprintf(stderr, "cs_proxy: %s needs a number, not '%s'\n", opt, v);
        return -1;
    }
    *out = n;
    return 0;
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: cs_proxy --target HOST:PORT --port-file F [--cut-after N]\n"
               "  [--cut-every-ms MS] [--rate BYTES_PER_SEC] [--rtt-ms MS] [--stats FILE]\n"
               "  [--max-seconds S]\n");
}

int
main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"target", required_argument, NULL, 't'},
        {"port-file", required_argument, NULL, 'p'},
        {"cut-after", required_argument, NULL, 'c'},
        {"cut-every-ms", required_argument, NULL, 'e'},
        {"rate", required_argument, NULL, 'r'},
        {"rtt-ms", required_argument, NULL, 'd'},
        {"stats", required_argument, NULL, 's'},
        {"max-seconds", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct proxy px = {0};
    const char *target = NULL, *port_file = NULL;
    uint64_t rtt = 0, max_seconds = 120;
    int ch, rc;

    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 't':
            target = optarg;
            break;
        case 'p':
            port_file = optarg;
            break;
        case 'c':
            if (number("--cut-after", optarg, &px.cut_after) != 0)
                return 2;
            break;
        case 'e':
            if (number("--cut-every-ms", optarg, &px.cut_every) != 0)
                return 2;
            break;
        case 'r':
            if (number("--rate", optarg, &px.rate) != 0)
                return 2;
            break;
        case 'd':
            if (number("--rtt-ms", optarg, &rtt) != 0)
                return 2;
            break;
        case 's':
            px.stats_path = optarg;
            break;
        case 'm':
            if (number("--max-seconds", optarg, &max_seconds) != 0 || max_seconds == 0)
                return 2;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || target == NULL || port_file == NULL) {
        usage(stderr);
        return 2;
    }
    if (parse_addr(target, &px.target) != 0) {
        fprintf(stderr, "cs_proxy: '%s' is not HOST:PORT\n", target);
        return 2;
    }
    px.half_rtt = rtt / 2;
    signal(SIGPIPE, SIG_IGN);

    if ((rc = uv_loop_init(&px.loop)) != 0) {
        fprintf(stderr, "cs_proxy: %s\n", uv_strerror(rc));
        return 1;
    }
    struct sockaddr_in any;
    uv_ip4_addr("127.0.0.1", 0, &any);
    uv_tcp_init(&px.loop, &px.listener);
    uv_signal_init(&px.loop, &px.sigterm);
    uv_signal_init(&px.loop, &px.sigint);
    uv_timer_init(&px.loop, &px.deadline);
    px.listener.data = px.sigterm.data = px.sigint.data = px.deadline.data = &px;
    int port = 0;
    struct sockaddr_storage bound;
    int blen = sizeof(bound);
    if ((rc = uv_tcp_bind(&px.listener, (struct sockaddr *)&any, 0)) != 0 ||
        (rc = uv_listen((uv_stream_t *)&px.listener, 512, on_connection)) != 0 ||
        (rc = uv_tcp_getsockname(&px.listener, (struct sockaddr *)&bound, &blen)) != 0) {
        fprintf(stderr, "cs_proxy: cannot listen: %s\n", uv_strerror(rc));
        px.stats_path = NULL;
        proxy_stop(&px, "cannot listen");
        uv_run(&px.loop, UV_RUN_DEFAULT);
        uv_loop_close(&px.loop);
        return 1;
    }
    port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    uv_signal_start(&px.sigterm, on_signal, SIGTERM);
    uv_signal_start(&px.sigint, on_signal, SIGINT);
    uv_timer_start(&px.deadline, on_deadline, max_seconds * 1000, 0);
    char line[16];
    snprintf(line, sizeof(line), "%d\n", port);
    if (write_file(port_file, line) != 0) {
        px.stats_path = NULL;
        proxy_stop(&px, "no port file");
    }

    uv_run(&px.loop, UV_RUN_DEFAULT);

    /* Every connection came back through its close callbacks, and nothing is left open. */
    int ret = px.stopped_by_signal ? 0 : 1;
    if (px.pairs_open != 0 || px.pairs != NULL) {
        fprintf(stderr, "cs_proxy: %u connections were not freed\n", px.pairs_open);
        ret = 1;
    }
    if ((rc = uv_loop_close(&px.loop)) != 0) {
        fprintf(stderr, "cs_proxy: the loop still has handles at exit: %s\n", uv_strerror(rc));
        ret = 1;
    }
    return ret;
}
