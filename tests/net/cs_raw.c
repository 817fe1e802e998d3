/* SPDX-License-Identifier: MIT */
/*
 * A hostile raw client for the hub: it speaks just enough of the framing
 * (a 4-byte big-endian length, then the bytes) to send what no real device
 * sends, and checks that the hub answers as wire.h says and hangs up in
 * time instead of waiting, reading without limit or crashing.
 *
 *   cs_raw HOST:PORT MODE [ARG]
 *     version          a msg1 with version byte 2: the reply 0xff 0x01, then EOF
 *     oversize         a length prefix of 0x7fffffff: closed within 2 s
 *     preauth-big      a length of 5000 (> CS_WIRE_MAX_PREAUTH): closed within 2 s
 *     idle [T]         nothing at all: closed after the handshake timeout T (10)
 *     slow [T]         a length prefix and body at one byte a second: closed by T + 2 s
 *     garbage          a 100-byte msg1 of random bytes: closed without a reply
 *     keyreq           the one-byte key request: a 33-byte reply starting 0xfe
 *     many N           N idle connections at once; a key request on another one
 *                      is still answered while they are open
 *
 * Prints what happened; exits 0 when the hub behaved as expected, 1 when not,
 * 2 on a usage error. Plain sockets with poll and timeouts, and alarm(30)
 * over everything, so it never hangs a test.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define VERSION_REPLY 0xffu /* wire.h: CS_WIRE_VERSION_REPLY */
#define WIRE_VERSION  1u    /* wire.h: CS_WIRE_VERSION */
#define KEY_REPLY     0xfeu /* wire.h: CS_WIRE_KEY_REPLY */
#define KEY_REPLY_LEN 33u   /* 0xfe || the hub's 32-byte key */

static struct sockaddr_in target;

static void
on_alarm(int sig)
{
    static const char msg[] = "cs_raw: FAIL: still running after 30 s\n";
    (void)sig;
    (void)!write(2, msg, sizeof(msg) - 1);
    _exit(1);
}

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t rng_state;

static uint8_t
random_byte(void)
{
    /* xorshift32: test noise, not a secret */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (uint8_t)rng_state;
}

static void
put_len(uint8_t *p, uint32_t len)
{
    p[0] = (uint8_t)(len >> 24);
    p[1] = (uint8_t)(len >> 16);
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
}

/* A non-blocking socket whose connect has been started; -1 on failure. */
static int
connect_start(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&target, sizeof(target)) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* 0 once the connect of fd has finished within ms, -1 otherwise. */
static int
connect_wait(int fd, int ms)
{
    struct pollfd p = {fd, POLLOUT, 0};
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (poll(&p, 1, ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ||
        soerr != 0)
        return -1;
    return 0;
}

static int
connect_to(void)
{
    int fd = connect_start();
    if (fd < 0 || connect_wait(fd, 2000) != 0) {
        printf("cannot connect to the hub: %s\n", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* 0 when all was sent; -1 when the hub closed or reset the link first. */
static int
send_all(int fd, const uint8_t *b, size_t len)
{
    while (len > 0) {
        struct pollfd p = {fd, POLLOUT, 0};
        if (poll(&p, 1, 2000) != 1)
            return -1;
        ssize_t n = send(fd, b, len, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0)
            return -1;
        b += n;
        len -= (size_t)n;
    }
    return 0;
}

struct seen {
    uint8_t got[4096];
    size_t n;     /* bytes received */
    int closed;   /* EOF or reset */
    int reset;    /* the close was a reset */
    int64_t when; /* ms after the start of the wait that it closed */
};

/* Reads until the hub closes or ms pass; what arrived is kept. */
static void
wait_close(int fd, int ms, struct seen *s)
{
    int64_t start = now_ms(), left = ms;
    memset(s, 0, sizeof(*s));
    while (left > 0) {
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            goto next;
        if (r <= 0)
            break;
        uint8_t buf[4096];
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            goto next;
        if (n <= 0) {
            s->closed = 1;
            s->reset = n < 0;
            s->when = now_ms() - start;
            return;
        }
        size_t keep = sizeof(s->got) - s->n < (size_t)n ? sizeof(s->got) - s->n : (size_t)n;
        memcpy(s->got + s->n, buf, keep);
        s->n += keep;
    next:
        left = ms - (now_ms() - start);
    }
    s->when = now_ms() - start;
}

static void
describe(const char *mode, const struct seen *s)
{
    printf("%s: received %zu bytes", mode, s->n);
    for (size_t i = 0; i < s->n && i < 8; i++)
        printf("%s%02x", i ? " " : " [", s->got[i]);
    printf("%s; ", s->n ? (s->n > 8 ? " ...]" : "]") : "");
    if (s->closed)
        printf("the hub %s after %.1f s\n", s->reset ? "reset the link" : "closed",
               s->when / 1000.0);
    else
        printf("still open after %.1f s\n", s->when / 1000.0);
}

static int
verdict(int ok, const char *what)
{
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    return ok ? 0 : 1;
}

/* Sends bytes, then waits up to ms for the hub to close; the result in s. */
static int
send_then_wait(const uint8_t *b, size_t len, int ms, struct seen *s)
{
    int fd = connect_to();
    if (fd < 0)
        return -1;
    int sent = send_all(fd, b, len);
    wait_close(fd, ms, s);
    close(fd);
    if (sent != 0)
        printf("(the hub hung up before all %zu bytes were sent)\n", len);
    return 0;
}

static int
mode_version(void)
{
    /* As long as a real msg1, so only the version byte is wrong. */
    uint8_t f[4 + 121];
    struct seen s;
    put_len(f, sizeof(f) - 4);
    f[4] = WIRE_VERSION + 1;
    for (size_t i = 5; i < sizeof(f); i++)
        f[i] = random_byte();
    if (send_then_wait(f, sizeof(f), 3000, &s) != 0)
        return 1;
    describe("version", &s);
    static const uint8_t want[] = {0, 0, 0, 2, VERSION_REPLY, WIRE_VERSION};
    return verdict(s.n == sizeof(want) && memcmp(s.got, want, sizeof(want)) == 0 && s.closed &&
                       !s.reset,
                   "the version reply 0xff 0x01, then EOF");
}

static int
mode_oversize(void)
{
    uint8_t f[4];
    struct seen s;
    put_len(f, 0x7fffffffu);
    if (send_then_wait(f, sizeof(f), 2000, &s) != 0)
        return 1;
    describe("oversize", &s);
    return verdict(s.closed && s.n == 0, "closed within 2 s without a reply");
}

static int
mode_preauth_big(void)
{
    /* Some body too: the hub must judge by the prefix, not wait for 5000 bytes. */
    uint8_t f[4 + 200];
    struct seen s;
    put_len(f, 5000);
    f[4] = WIRE_VERSION;
    for (size_t i = 5; i < sizeof(f); i++)
        f[i] = random_byte();
    if (send_then_wait(f, sizeof(f), 2000, &s) != 0)
        return 1;
    describe("preauth-big", &s);
    return verdict(s.closed && s.n == 0, "closed within 2 s without a reply");
}

static int
mode_idle(int timeout)
{
    struct seen s;
    if (send_then_wait(NULL, 0, (timeout + 2) * 1000, &s) != 0)
        return 1;
    describe("idle", &s);
    /* Closed by the handshake timer, not at once and not never. */
    return verdict(s.closed && s.n == 0 && s.when >= (timeout - 1) * 1000,
                   "closed by the handshake timeout, within timeout + 2 s");
}

static int
mode_slow(int timeout)
{
    /* A believable msg1 prefix, then its body, trickled one byte a second. */
    uint8_t f[4 + 128];
    put_len(f, sizeof(f) - 4);
    f[4] = WIRE_VERSION;
    for (size_t i = 5; i < sizeof(f); i++)
        f[i] = random_byte();
    int fd = connect_to();
    if (fd < 0)
        return 1;
    int64_t start = now_ms(), limit = (int64_t)(timeout + 2) * 1000;
    size_t sent = 0;
    struct seen s = {0};
    while (now_ms() - start < limit && sent < sizeof(f)) {
        if (send(fd, f + sent, 1, MSG_NOSIGNAL) != 1) {
            s.closed = 1;
            s.reset = 1;
            break;
        }
        sent++;
        wait_close(fd, 1000, &s);
        if (s.closed)
            break;
    }
    s.when = now_ms() - start;
    close(fd);
    printf("slow: sent %zu bytes, one a second\n", sent);
    describe("slow", &s);
    return verdict(s.closed && s.when <= limit, "closed by the handshake timeout");
}

static int
mode_garbage(void)
{
    /*
     * The version byte is right, or the hub would rightly send the version
     * reply; the rest is noise that cannot decrypt under the hub's key.
     */
    uint8_t f[4 + 100];
    struct seen s;
    put_len(f, 100);
    f[4] = WIRE_VERSION;
    for (size_t i = 5; i < sizeof(f); i++)
        f[i] = random_byte();
    if (send_then_wait(f, sizeof(f), 2000, &s) != 0)
        return 1;
    describe("garbage", &s);
    return verdict(s.closed && s.n == 0, "closed within 2 s without a reply");
}

/* One key request on a new connection: 0 when the hub answered it right. */
static int
keyreq(const char *mode)
{
    static const uint8_t f[] = {0, 0, 0, 1, 0x00};
    struct seen s;
    if (send_then_wait(f, sizeof(f), 2000, &s) != 0)
        return 1;
    describe(mode, &s);
    return verdict(s.n == 4 + KEY_REPLY_LEN && s.got[0] == 0 && s.got[1] == 0 && s.got[2] == 0 &&
                       s.got[3] == KEY_REPLY_LEN && s.got[4] == KEY_REPLY && s.closed,
                   "a 33-byte key reply starting 0xfe, then EOF");
}

static int
mode_many(int n)
{
    int *fds = malloc((size_t)n * sizeof(*fds));
    int ret = 1, connected = 0, open_after = 0;
    if (fds == NULL)
        return 1;
    /* Room for n sockets and a few more. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 32) {
        rl.rlim_cur = (rlim_t)n + 32 < rl.rlim_max ? (rlim_t)n + 32 : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int64_t start = now_ms();
    for (int i = 0; i < n; i++)
        fds[i] = connect_start();
    for (int i = 0; i < n; i++) {
        if (fds[i] >= 0 && connect_wait(fds[i], 3000) == 0)
            connected++;
    }
    printf("many: %d of %d connections open after %.2f s\n", connected, n,
           (now_ms() - start) / 1000.0);
    int k = keyreq("many: key request while they are open");
    /* Which of the idle ones the hub has not closed yet (no EOF waiting). */
    for (int i = 0; i < n; i++) {
        struct pollfd p = {fds[i], POLLIN, 0};
        if (fds[i] >= 0 && poll(&p, 1, 0) == 0)
            open_after++;
    }
    printf("many: %d of %d idle connections still open after the key request (%.2f s)\n",
           open_after, n, (now_ms() - start) / 1000.0);
    for (int i = 0; i < n; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
    }
    ret = verdict(connected == n && open_after == n && k == 0,
                  "every connection accepted and the hub answered alongside them");
    free(fds);
    return ret;
}

static int
number(const char *v, int lo, int hi)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end != 0 || n < lo || n > hi) {
        fprintf(stderr, "cs_raw: '%s' is not a number from %d to %d\n", v, lo, hi);
        exit(2);
    }
    return (int)n;
}

int
main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: cs_raw HOST:PORT version|oversize|preauth-big|idle [T]|slow "
                        "[T]|garbage|keyreq|many N\n");
        return 2;
    }
    char host[64], *colon;
    snprintf(host, sizeof(host), "%s", argv[1]);
    if ((colon = strrchr(host, ':')) == NULL) {
        fprintf(stderr, "cs_raw: '%s' is not HOST:PORT\n", argv[1]);
        return 2;
    }
    *colon = 0;
    target.sin_family = AF_INET;
    target.sin_port = htons((uint16_t)number(colon + 1, 1, 65535));
    if (inet_pton(AF_INET, host, &target.sin_addr) != 1) {
        fprintf(stderr, "cs_raw: '%s' is not an IPv4 address\n", host);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, on_alarm);
    alarm(30);
    rng_state = (uint32_t)getpid() ^ (uint32_t)time(NULL) ^ 0x9e3779b9u;
    if (rng_state == 0)
        rng_state = 1;

    const char *mode = argv[2];
    int idle_or_slow = strcmp(mode, "idle") == 0 || strcmp(mode, "slow") == 0;
    int timeout = idle_or_slow && argc == 4 ? number(argv[3], 1, 25) : 10;
    if (strcmp(mode, "version") == 0 && argc == 3)
        return mode_version();
    if (strcmp(mode, "oversize") == 0 && argc == 3)
        return mode_oversize();
    if (strcmp(mode, "preauth-big") == 0 && argc == 3)
        return mode_preauth_big();
    if (strcmp(mode, "idle") == 0)
        return mode_idle(timeout);
    if (strcmp(mode, "slow") == 0)
        return mode_slow(timeout);
    if (strcmp(mode, "garbage") == 0 && argc == 3)
        return mode_garbage();
    if (strcmp(mode, "keyreq") == 0 && argc == 3)
        return keyreq("keyreq");
    if (strcmp(mode, "many") == 0 && argc == 4)
        return mode_many(number(argv[3], 1, 5000));
    fprintf(stderr, "cs_raw: unknown mode '%s' or wrong arguments\n", mode);
    return 2;
}
