/* SPDX-License-Identifier: MIT */
/*
 * The device's end of a link to the hub (see link.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "link.h"

/*
 * Waits up to the link's timeout for events on fd, or for its stop
 * descriptor to turn readable (*stopped). poll's count, or -1 with errno.
 */
static int
link_wait(const struct link *l, int fd, short events, short *revents, int *stopped)
{
    struct pollfd p[2] = {{fd, events, 0}, {l->stop_fd != NULL ? *l->stop_fd : -1, POLLIN, 0}};
    int n = poll(p, 2, l->timeout * 1000);
    *revents = p[0].revents;
    *stopped = n > 0 && p[1].revents != 0;
    return n;
}

/* Splits an address into host (without brackets) and port; the usual port when none is given. */
static int
split_address(const char *addr, char *host, size_t hostlen, char port[8], char *err, size_t errlen)
{
    const char *p = NULL, *h = addr, *end;
    size_t hl;

    if (addr[0] == '[') {
        /* [v6] or [v6]:port */
        if ((end = strchr(addr, ']')) == NULL || (end[1] != 0 && end[1] != ':'))
            return cs_errf(err, errlen, CS_EINVAL,
                           _("'%s' is not an address: write HOST, HOST:PORT or [IPv6]:PORT"), addr);
        h = addr + 1;
        hl = (size_t)(end - h);
        if (end[1] == ':')
            p = end + 2;
    } else if ((end = strchr(addr, ':')) != NULL && strchr(end + 1, ':') == NULL) {
        /* One colon: host:port. More: an IPv6 address alone ("::1"). */
        hl = (size_t)(end - addr);
        p = end + 1;
    } else {
        hl = strlen(addr);
    }
    if (hl == 0 || hl >= hostlen)
        return cs_errf(err, errlen, CS_EINVAL,
                       _("'%s' is not an address: write HOST, HOST:PORT or [IPv6]:PORT"), addr);
    memcpy(host, h, hl);
    host[hl] = 0;
    if (p == NULL) {
        snprintf(port, 8, "%d", CS_WIRE_PORT);
        return 0;
    }
    long n = 0;
    size_t i = 0;
    while (p[i] >= '0' && p[i] <= '9' && i < 6)
        n = n * 10 + (p[i++] - '0');
    if (i == 0 || p[i] != 0 || n < 1 || n > 65535)
        return cs_errf(err, errlen, CS_EINVAL,
                       _("'%s': the port '%s' is not a number from 1 to 65535 (without a port, "
                         "the hub's usual %d is taken)"),
                       addr, p, CS_WIRE_PORT);
    snprintf(port, 8, "%ld", n);
    return 0;
}

int
link_address(const char *typed, char *buf, size_t len, char *err, size_t errlen)
{
    char host[256], port[8];
    int ret = split_address(typed, host, sizeof(host), port, err, errlen);
    if (ret != 0)
        return ret;
    int n = snprintf(buf, len, strchr(host, ':') != NULL ? "[%s]:%s" : "%s:%s", host, port);
    if (n < 0 || (size_t)n >= len)
        return cs_errf(err, errlen, CS_EINVAL, _("the hub's address '%s' is too long"), typed);
    return 0;
}

int
link_connect(struct link *l, const char *addr, char *err, size_t errlen)
{
    char host[256], port[8];
    struct addrinfo hints = {0}, *res = NULL, *ai;
    int ret = -1;

    if ((ret = split_address(addr, host, sizeof(host), port, err, errlen)) != 0)
        return ret;
    ret = -1;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0)
        return cs_errf(err, errlen, CS_EINVAL, _("cannot find the hub '%s': %s"), addr,
                       gai_strerror(gai));
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
            close(fd);
            continue;
        }
        short ev = 0;
        int soerr = 0, stopped = 0;
        socklen_t sl = sizeof(soerr);
        if (link_wait(l, fd, POLLOUT, &ev, &stopped) > 0 && !stopped && ev != 0 &&
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0) {
            l->fd = fd;
            ret = 0;
            break;
        }
        errno = stopped ? ECANCELED : soerr ? soerr : ETIMEDOUT;
        close(fd);
        if (stopped)
            break;
    }
    if (ret != 0)
        ret = cs_errf(err, errlen, -errno, _("cannot reach the hub at '%s': %s"), addr,
                      strerror(errno));
    freeaddrinfo(res);
    return ret;
}

/* Queues one frame: the length prefix and the (sealed, once in session) bytes. */
int
link_queue(struct link *l, const uint8_t *msg, size_t len)
{
    size_t flen = len + (l->sess_ready ? CS_SESSION_OVERHEAD : 0);
    if (l->outlen + CS_WIRE_HEADER + flen > l->outcap) {
        size_t cap = l->outcap ? l->outcap : 65536;
        while (cap < l->outlen + CS_WIRE_HEADER + flen)
            cap *= 2;
        uint8_t *n = realloc(l->out, cap);
        if (n == NULL)
            return CS_ENOMEM;
        l->out = n;
        l->outcap = cap;
    }
    uint8_t *p = l->out + l->outlen;
    cs_wire_frame_put(p, (uint32_t)flen);
    if (l->sess_ready) {
        int ret = cs_session_seal(&l->sess, msg, len, p + CS_WIRE_HEADER);
        if (ret != 0)
            return ret;
    } else {
        memcpy(p + CS_WIRE_HEADER, msg, len);
    }
    l->outlen += CS_WIRE_HEADER + flen;
    return 0;
}

int
link_queue_msg(struct link *l, const struct cs_msg *m)
{
    uint8_t *buf;
    size_t len;
    int ret = cs_msg_encode(m, &buf, &len);
    if (ret == 0)
        ret = link_queue(l, buf, len);
    free(buf);
    return ret;
}

const char *
link_again(const struct link *l)
{
    return l->again != NULL ? l->again : "cellsync sync";
}

/* The link broke with errno e: a message that says the sync can go on later. */
static int
broken(const struct link *l, int e, char *err, size_t errlen)
{
    return cs_errf(err, errlen, -e, _("the link to the hub broke (%s); run '%s' again to resume"),
                   strerror(e), link_again(l));
}

/*
 * Moves bytes both ways until a whole frame has arrived (returned in
 * frame and flen, valid until the next call) or, with want_frame 0, until
 * nothing is left to send. 0, or an error with a message.
 */
int
link_pump(struct link *l, uint32_t max, int want_frame, uint8_t **frame, size_t *flen,
          struct tally *t, char *err, size_t errlen)
{
    for (;;) {
        if (want_frame && l->inlen >= CS_WIRE_HEADER) {
            uint32_t len;
            if (cs_wire_frame_len(l->in, max, &len) != 0)
                return cs_errf(err, errlen, CS_ETOOBIG, _("the hub sent a frame that is too big"));
            if (l->inlen >= CS_WIRE_HEADER + len) {
                *frame = l->in + CS_WIRE_HEADER;
                *flen = len;
                return 0;
            }
        }
        if (!want_frame && l->send_err != 0)
            return broken(l, l->send_err, err, errlen);
        if (!want_frame && l->outoff == l->outlen)
            return 0;
        if (l->send_err != 0)
            l->outoff = l->outlen = 0; /* nobody reads it any more */
        short revents = 0;
        int stopped = 0;
        int n =
            link_wait(l, l->fd, POLLIN | (l->outoff < l->outlen ? POLLOUT : 0), &revents, &stopped);
        if (stopped)
            return cs_errf(err, errlen, -ECANCELED, _("cannot wait for the hub: %s"),
                           strerror(ECANCELED));
        if (n == 0)
            return cs_errf(err, errlen, -ETIMEDOUT,
                           _("the hub stopped answering; run '%s' again to resume"), link_again(l));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return cs_errf(err, errlen, -errno, _("cannot wait for the hub: %s"), strerror(errno));
        }
        if (revents & POLLOUT) {
            ssize_t w = send(l->fd, l->out + l->outoff, l->outlen - l->outoff, MSG_NOSIGNAL);
            /*
             * A hub that stops the sync says why, then hangs up: our send may
             * fail before we read its last frame. Keep reading; the frame, or
             * the end of the link, comes next.
             */
            if (w < 0 && errno != EAGAIN && errno != EINTR) {
                if (!want_frame)
                    return broken(l, errno, err, errlen);
                l->send_err = errno;
                continue;
            }
            if (w > 0) {
                l->outoff += (size_t)w;
                t->sent_bytes += (size_t)w;
                if (l->outoff == l->outlen)
                    l->outoff = l->outlen = 0;
            }
        }
        if (revents & (POLLIN | POLLHUP | POLLERR)) {
            if (l->incap - l->inlen < 65536) {
                size_t cap = l->incap ? l->incap * 2 : 131072;
                uint8_t *nb = realloc(l->in, cap);
                if (nb == NULL)
                    return CS_ENOMEM;
                l->in = nb;
                l->incap = cap;
            }
            ssize_t r = recv(l->fd, l->in + l->inlen, l->incap - l->inlen, 0);
            if (l->send_err != 0 && (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)))
                return broken(l, l->send_err, err, errlen);
            /* A clean close is -EPIPE; a reset comes below as -ECONNRESET. */
            if (r == 0)
                return cs_errf(err, errlen, -EPIPE,
                               _("the hub closed the link; run '%s' again to resume"),
                               link_again(l));
            if (r < 0 && errno != EAGAIN && errno != EINTR)
                return broken(l, errno, err, errlen);
            if (r > 0) {
                l->inlen += (size_t)r;
                t->recv_bytes += (size_t)r;
            }
        }
    }
}

/* Drops the frame handed out by link_pump from the input buffer. */
void
link_consume(struct link *l, size_t flen)
{
    size_t n = CS_WIRE_HEADER + flen;
    memmove(l->in, l->in + n, l->inlen - n);
    l->inlen -= n;
}

void
link_close(struct link *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    free(l->in);
    free(l->out);
    l->in = l->out = NULL;
}
