/* SPDX-License-Identifier: MIT */
/*
 * A hostile raw client for the hub: it speaks just enough of the framing
 * (a 4-byte big-endian length, then the bytes) to send what no real device
 * sends, and checks that the hub answers as wire.h says and hangs up in
 * time instead of waiting, reading without limit or crashing.
 *
 *   cs_raw HOST:PORT MODE [ARG]
 *     version          a msg1 with a newer version byte, then the one before
 *                      CS_WIRE_VERSION, then version 2 (before Noise IK): each time the reply
 *                      0xff || CS_WIRE_VERSION, then EOF
 *     replay-msg1 FILE the msg1 saved by replay-hello sent again: nothing
 *                      comes back, and the hub closes within 2 s
 *     oversize         a length prefix of 0x7fffffff: closed within 2 s
 *     preauth-big      a length of 5000 (> CS_WIRE_MAX_PREAUTH): closed within 2 s
 *     idle [T]         nothing at all: closed after the handshake timeout T (10)
 *     slow [T]         a length prefix and body at one byte a second: closed by T + 2 s
 *     garbage          a 100-byte msg1 of random bytes: the one-byte refusal
 *                      0xfc (CS_WIRE_HS_REFUSED), then EOF
 *     keyreq           the one-byte key request of versions before 4: the
 *                      version reply, never the hub's key
 *     flood RATE S [empty]  for S seconds, RATE connections a second, each a
 *                      bogus msg1 (the right version byte, 200 random bytes),
 *                      or with "empty" nothing (a port scan), and closed at
 *                      once (bench/bench_flood.sh); prints how many
 *     guess CODE N     N runs of enrollment by code (pake.h) with wrong codes of
 *                      CODE's number (its secret changed by 1..N), one connection
 *                      each: prints how the hub answered them; none may enroll
 *     many N [T]       N idle connections at once; a key request on another one
 *                      is still answered while they are open; with T, each of
 *                      them is then closed by the hub's handshake timeout T
 *
 * With the credentials of a real enrolled device (HOME is its data directory:
 * device.key, and replica.db for the pinned hub key, its hello and the
 * changes it has not synced), a real handshake first, then:
 *     forge HOME       its unsynced changes in a live chunk signed by another
 *                      key: ERROR CS_ESIGNATURE "signed by another key", then EOF
 *     badsig HOME      its own live chunk, one byte of its signed set altered
 *                      after signing: ERROR CS_ESIGNATURE "signature over the
 *                      changes does not verify", then EOF
 *     truncate HOME    half of a frame carrying a real chunk, then it hangs up
 *     bigframe HOME    a length prefix of CS_WIRE_MAX_FRAME + 1 in the session:
 *                      closed within 2 s
 *     replay HOME      a real chunk, acknowledged; the same envelope again in
 *                      a new session: acknowledged again, the welcome already
 *                      covering it (the hub stores it once)
 *     replay-hello HOME FILE  a session whose first frame (DONE, at the
 *                      hub's own cursor) proves the key; its msg1 is saved to
 *                      FILE, then sent again on a second connection: nothing
 *                      comes back (the timestamp is not newer), closed in 2 s
 *     unproven HOME    a handshake and both stream headers, then a hang-up before
 *                      any session frame: the hub must change nothing, even for
 *                      a device that presents an enrollment (wire.h)
 *     future HOME      its unsynced changes as they are (no re-stamping): a
 *                      REFUSED of kind CS_REFUSAL_CLOCK for each, then an ACK
 *     bomb HOME        decompression bombs signed by the device (review F9),
 *                      each in a session of its own: 16 MiB of msgpack nils
 *                      (zstd makes them a few hundred bytes): ERROR CS_EBOMB
 *                      "decompresses to"; 4 MiB of nils, within the size cap:
 *                      ERROR CS_ETOOBIG "holds more objects"
 *     late HOME FILE   a session opened and a chunk of its unsynced changes made;
 *                      FILE is written, and once the test removes it (after
 *                      `cellsyncd revoke`) the chunk is sent: the hub must
 *                      answer ERROR (the test reads its text), then EOF, never
 *                      an ACK (review F7)
 *     hold HOME FILE   a session opened, FILE written, then a DONE at the hub's
 *                      own cursor each second (so the session is never idle):
 *                      the hub must send an ERROR (the test reads its text),
 *                      then EOF, within 10 s; prints how long it took
 *     relay HOME CELL AFTER [forge|nosig|impersonate]  HOME a hub-role device,
 *                      CELL another device's data directory (its device.key
 *                      and replica.db), AFTER the hub's cursor for that device:
 *                      one chunk of HOME's own unsynced changes and the cell's
 *                      writes after AFTER relayed as the cell signed them
 *                      (cellsync/origin.h). forge: the cell's set signed by
 *                      HOME's key under the cell's key; nosig: the cell's
 *                      changes inside HOME's own set, with no signature of the
 *                      cell; impersonate: HOME's own changes sent as the cell's
 *                      (their origin the cell's id) in HOME's own set, nothing
 *                      relayed. Prints each REFUSED change, then the ACK or
 *                      ERROR; exits 0 when the hub answered (the test reads it)
 *     bomb-bundle HOME OUT [stranger]  writes to OUT a bundle as the device
 *                      exports one (its hello first) whose one chunk is the
 *                      16 MiB bomb; with "stranger", hello and chunk are
 *                      signed by a fresh key the hub never enrolled
 * The device's files are only read: its cursors do not move.
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

#include <sodium.h>

#include "cellsync/bundle.h"
#include "cellsync/error.h"
#include "cellsync/key.h"
#include "cellsync/meta.h"
#include "cellsync/origin.h"
#include "cellsync/pake.h"
#include "cellsync/replica.h"
#include "cellsync/sync.h"
#include "cellsync/version.h"
#include "cellsync/wire.h"

/* Written out, so that a change in wire.h shows here as a failed build. */
#define VERSION_REPLY   0xffu /* wire.h: CS_WIRE_VERSION_REPLY */
#define WIRE_VERSION    6u    /* wire.h: CS_WIRE_VERSION */
#define WIRE_HS_REFUSED 0xfcu /* wire.h: CS_WIRE_HS_REFUSED */
#define WIRE_BUSY_REPLY 0xfdu /* wire.h: CS_WIRE_BUSY_REPLY, then 2 bytes of seconds */
_Static_assert(VERSION_REPLY == CS_WIRE_VERSION_REPLY && WIRE_VERSION == CS_WIRE_VERSION &&
                   WIRE_HS_REFUSED == CS_WIRE_HS_REFUSED && WIRE_BUSY_REPLY == CS_WIRE_BUSY_REPLY,
               "cs_raw's wire constants differ from wire.h");

static struct sockaddr_in target;

/* msg1 timestamps (wire.h), each after the one before. */
static void
next_ts(uint8_t ts[CS_WIRE_TS_LEN])
{
    static uint8_t last[CS_WIRE_TS_LEN];
    static int have;
    cs_wire_ts_next(have ? last : NULL, ts);
    memcpy(last, ts, CS_WIRE_TS_LEN);
    have = 1;
}

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
    /*
     * As long as a real msg1, so only the version byte is wrong: a newer one,
     * the one before (a laptop not yet updated), and version 2.
     */
    static const uint8_t versions[] = {WIRE_VERSION + 1, WIRE_VERSION - 1, 2};
    int ok = 1;
    for (size_t v = 0; v < sizeof(versions); v++) {
        uint8_t f[4 + 121];
        struct seen s;
        put_len(f, sizeof(f) - 4);
        f[4] = versions[v];
        for (size_t i = 5; i < sizeof(f); i++)
            f[i] = random_byte();
        if (send_then_wait(f, sizeof(f), 3000, &s) != 0)
            return 1;
        printf("version %u: ", versions[v]);
        describe("version", &s);
        static const uint8_t want[] = {0, 0, 0, 2, VERSION_REPLY, WIRE_VERSION};
        ok &= s.n == sizeof(want) && memcmp(s.got, want, sizeof(want)) == 0 && s.closed && !s.reset;
    }
    return verdict(ok, "the version reply 0xff || CS_WIRE_VERSION to each, then EOF");
}

/* A saved msg1 sent again: the hub answers nothing and hangs up. */
static int
mode_replay_msg1(const char *path)
{
    uint8_t f[CS_WIRE_HEADER + CS_WIRE_MAX_PREAUTH];
    struct seen s;
    FILE *in = fopen(path, "rb");
    if (in == NULL) {
        printf("replay-msg1: cannot read %s\n", path);
        return 1;
    }
    size_t n = fread(f + CS_WIRE_HEADER, 1, CS_WIRE_MAX_PREAUTH, in);
    fclose(in);
    put_len(f, (uint32_t)n);
    int64_t start = now_ms();
    if (send_then_wait(f, CS_WIRE_HEADER + n, 3000, &s) != 0)
        return 1;
    describe("replay-msg1", &s);
    return verdict(s.n == 0 && s.closed && now_ms() - start < 2000,
                   "nothing sent back, closed within 2 s");
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
    return verdict(s.closed && s.n == 5 && s.got[4] == WIRE_HS_REFUSED,
                   "refused (0xfc) and closed within 2 s");
}

/* A flood of bogus msg1s, paced to RATE a second: each costs the hub a DH and a failed decryption.
 */
static int
mode_flood(long rate, long secs, int empty)
{
    uint8_t f[4 + 201];
    long sent = 0, failed = 0;
    int64_t start = now_ms();
    put_len(f, 201);
    f[4] = WIRE_VERSION;
    for (long i = 0; rate > 0 && i < rate * secs; i++) {
        int64_t due = start + i * 1000 / rate, now = now_ms();
        if (due > now)
            poll(NULL, 0, (int)(due - now));
        for (size_t k = 5; k < sizeof(f); k++)
            f[k] = random_byte();
        int fd = connect_start();
        if (fd < 0 || connect_wait(fd, 2000) != 0 || (!empty && send_all(fd, f, sizeof(f)) != 0))
            failed++;
        else
            sent++;
        if (fd >= 0)
            close(fd);
    }
    printf("flood: %ld %s, %ld failed, in %lld ms\n", sent,
           empty ? "connections opened and closed" : "bogus msg1 sent", failed,
           (long long)(now_ms() - start));
    return 0;
}

/* One key request (versions before 4) on a new connection: 0 when the hub answered it right. */
static int
keyreq(const char *mode)
{
    static const uint8_t f[] = {0, 0, 0, 1, 0x00};
    struct seen s;
    if (send_then_wait(f, sizeof(f), 2000, &s) != 0)
        return 1;
    describe(mode, &s);
    return verdict(s.n == 6 && s.got[0] == 0 && s.got[1] == 0 && s.got[2] == 0 && s.got[3] == 2 &&
                       s.got[4] == VERSION_REPLY && s.got[5] == WIRE_VERSION && s.closed,
                   "the version reply 0xff || version (no key), then EOF");
}

static int
mode_many(int n, int hold)
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
    ret = verdict(connected == n && open_after == n && k == 0,
                  "every connection accepted and the hub answered alongside them");
    if (hold > 0) {
        /* Each must be closed by the handshake timer: not before hold - 1 s, by hold + 3 s. */
        int closed = 0, early = 0;
        int64_t first = -1, last = -1;
        for (int i = 0; i < n; i++) {
            if (fds[i] < 0)
                continue;
            int64_t left = (int64_t)(hold + 3) * 1000 - (now_ms() - start);
            struct seen s;
            wait_close(fds[i], left > 0 ? (int)left : 0, &s);
            if (!s.closed)
                continue;
            int64_t t = now_ms() - start;
            closed++;
            early += t < (int64_t)(hold - 1) * 1000;
            if (first < 0)
                first = t;
            last = t;
        }
        printf("many: the hub closed %d of %d (first after %.1f s, last after %.1f s), %d too "
               "early\n",
               closed, n, first / 1000.0, last / 1000.0, early);
        ret |= verdict(closed == n && early == 0,
                       "every idle connection closed by the handshake timeout");
    }
    for (int i = 0; i < n; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
    }
    free(fds);
    return ret;
}

/* ---- as a real device ---- */

struct dev {
    struct cs_replica *rep;
    struct cs_key *key;
    uint8_t hub_pk[CS_PK_LEN];
    struct cs_hello hello;
};

static int
dev_open(struct dev *d, const char *home)
{
    char path[4096], hex[2 * CS_PK_LEN + 1] = "", err[512] = "", buf[32] = "";
    size_t len = 0;
    int ret;

    memset(d, 0, sizeof(*d));
    snprintf(path, sizeof(path), "%s/replica.db", home);
    if ((ret = cs_replica_open(&d->rep, path, 0, NULL, err, sizeof(err))) != 0) {
        printf("cannot open the device's replica: %s\n", err);
        return -1;
    }
    snprintf(path, sizeof(path), "%s/device.key", home);
    if ((ret = cs_key_load(&d->key, path, err, sizeof(err))) != 0) {
        printf("cannot load the device's key: %s\n", err);
        return -1;
    }
    if (cs_replica_meta_get(d->rep, CS_META_HUB_PK, hex, sizeof(hex)) != 0 ||
        sodium_hex2bin(d->hub_pk, CS_PK_LEN, hex, strlen(hex), NULL, &len, NULL) != 0 ||
        len != CS_PK_LEN) {
        printf("the device in '%s' has no pinned hub key\n", home);
        return -1;
    }
    /* The hello a sync would give (client/device.c): the secret until the hub has registered it. */
    if (cs_replica_meta_get(d->rep, CS_META_HUB_SEQ, buf, sizeof(buf)) == 0)
        d->hello.hub_seq = strtoull(buf, NULL, 10);
    char secret[2 * sizeof(d->hello.secret) + 1] = "";
    if (cs_replica_meta_get(d->rep, CS_META_ENROLL_SECRET, secret, sizeof(secret)) == 0 &&
        sodium_hex2bin(d->hello.secret, sizeof(d->hello.secret), secret, strlen(secret), NULL, &len,
                       NULL) == 0 &&
        len == sizeof(d->hello.secret))
        d->hello.has_secret = 1;
    cs_replica_meta_get(d->rep, CS_META_DEVICE_NAME, d->hello.name, sizeof(d->hello.name));
    char inc[2 * CS_INCARNATION_LEN + 1] = "";
    if (cs_replica_meta_get(d->rep, CS_META_HUB_INCARNATION, inc, sizeof(inc)) == 0 &&
        sodium_hex2bin(d->hello.incarnation, CS_INCARNATION_LEN, inc, strlen(inc), NULL, &len,
                       NULL) == 0 &&
        len == CS_INCARNATION_LEN)
        d->hello.has_incarnation = 1;
    return 0;
}

static void
dev_close(struct dev *d)
{
    cs_key_free(d->key);
    cs_replica_close(d->rep);
}

/* A connection with a read buffer, and the session once the handshake is done. */
struct link {
    int fd;
    uint8_t in[CS_WIRE_HEADER + CS_WIRE_MAX_FRAME];
    size_t inlen;
    struct cs_session sess;
};

static uint8_t plain_buf[CS_WIRE_MAX_FRAME];

/*
 * The next frame within ms: 1 (*f and *flen valid until the next call), 0
 * when the hub closed the link first, -1 on a timeout or a frame over max.
 */
static int
read_frame(struct link *l, uint32_t max, int ms, uint8_t *f, size_t *flen)
{
    int64_t start = now_ms();
    for (;;) {
        if (l->inlen >= CS_WIRE_HEADER) {
            uint32_t len;
            if (cs_wire_frame_len(l->in, max, &len) != 0) {
                printf("the hub sent a frame over %u bytes\n", max);
                return -1;
            }
            if (l->inlen >= CS_WIRE_HEADER + len) {
                memcpy(f, l->in + CS_WIRE_HEADER, len);
                *flen = len;
                memmove(l->in, l->in + CS_WIRE_HEADER + len, l->inlen - CS_WIRE_HEADER - len);
                l->inlen -= CS_WIRE_HEADER + len;
                return 1;
            }
        }
        int64_t left = ms - (now_ms() - start);
        struct pollfd p = {l->fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, (int)left) == 0)
            return -1;
        ssize_t n = recv(l->fd, l->in + l->inlen, sizeof(l->in) - l->inlen, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0)
            return 0;
        l->inlen += (size_t)n;
    }
}

static uint8_t frame_buf[CS_WIRE_MAX_FRAME];

/* Sends one plain frame. */
static int
send_frame(struct link *l, const uint8_t *msg, size_t len)
{
    uint8_t *f = malloc(CS_WIRE_HEADER + len);
    if (f == NULL)
        return -1;
    cs_wire_frame_put(f, (uint32_t)len);
    memcpy(f + CS_WIRE_HEADER, msg, len);
    int ret = send_all(l->fd, f, CS_WIRE_HEADER + len);
    free(f);
    return ret;
}

/* N wrong codes of CODE's number, each a run of CPace on its own connection, as a guesser would. */
static int
mode_guess(const char *code, long n)
{
    static struct link l;
    uint8_t secret[CS_ENROLL_SECRET_LEN];
    long replies = 0, waits = 0, locked = 0, nocode = 0, busy = 0, other = 0, accepted = 0;
    int64_t start_ms = now_ms();

    if (cs_init() != 0 || cs_enroll_code_parse(code, secret, NULL, 0) != 0) {
        printf("guess: '%s' is not a code\n", code);
        return 2;
    }
    for (long i = 1; i <= n; i++) {
        uint8_t guess[CS_ENROLL_SECRET_LEN], start[CS_PAKE_START_LEN], share[CS_PAKE_SHARE_LEN];
        uint8_t f[CS_WIRE_MAX_PREAUTH], confirm[CS_PAKE_CONFIRM_LEN];
        struct cs_enrollment e;
        struct cs_pake p;
        enum cs_pake_refusal why;
        unsigned secs;
        size_t flen = 0;
        memcpy(guess, secret, sizeof(guess));
        guess[10] ^= (uint8_t)i;
        guess[9] ^= (uint8_t)(i >> 8);
        memset(&l, 0, sizeof(l));
        if ((l.fd = connect_to()) < 0) {
            other++;
            continue;
        }
        int r =
            cs_pake_dev_start(&p, guess, start) == 0 && send_frame(&l, start, sizeof(start)) == 0
                ? read_frame(&l, CS_WIRE_MAX_PREAUTH, 5000, f, &flen)
                : -1;
        if (r == 1 && cs_pake_step(f, flen) == CS_PAKE_NONCE) {
            r = cs_pake_dev_share(&p, f, flen, share) == 0 &&
                        send_frame(&l, share, sizeof(share)) == 0
                    ? read_frame(&l, CS_WIRE_MAX_PREAUTH, 5000, f, &flen)
                    : -1;
            if (r == 1 && cs_pake_step(f, flen) == CS_PAKE_REPLY) {
                replies++;
                /* Only the right code opens the reply: a wrong one must not. */
                if (cs_pake_dev_finish(&p, f, flen, &e, confirm) == 0)
                    accepted++;
                r = 2;
            }
        }
        if (r == 1 && cs_hs_busy_read(f, flen, &secs) == 1)
            busy++;
        else if (r == 1 && cs_pake_refusal_read(f, flen, &why, &secs) == 0)
            *(why == CS_PAKE_WAIT      ? &waits
              : why == CS_PAKE_LOCKED  ? &locked
              : why == CS_PAKE_NO_CODE ? &nocode
                                       : &other) += 1;
        else if (r != 2)
            other++;
        cs_pake_wipe(&p);
        close(l.fd);
    }
    printf("guess: %ld wrong codes in %lld ms: %ld runs of CPace answered, %ld refused to wait, "
           "%ld refused as locked, %ld as no such code, %ld busy, %ld other; %ld accepted\n",
           n, (long long)(now_ms() - start_ms), replies, waits, locked, nocode, busy, other,
           accepted);
    return verdict(accepted == 0 && other == 0 && busy == 0,
                   "no wrong code accepted, every one answered");
}

/* A session message as a whole frame (length prefix and sealed bytes). OUT: *out, free(). */
static int
seal_msg(struct link *l, const struct cs_msg *m, uint8_t **out, size_t *outlen)
{
    uint8_t *buf;
    size_t len;
    if (cs_msg_encode(m, &buf, &len) != 0)
        return -1;
    *out = malloc(CS_WIRE_HEADER + len + CS_SESSION_OVERHEAD);
    if (*out == NULL) {
        free(buf);
        return -1;
    }
    cs_wire_frame_put(*out, (uint32_t)(len + CS_SESSION_OVERHEAD));
    int ret = cs_session_seal(&l->sess, buf, len, *out + CS_WIRE_HEADER);
    free(buf);
    *outlen = CS_WIRE_HEADER + len + CS_SESSION_OVERHEAD;
    return ret == 0 ? 0 : -1;
}

static int
send_msg(struct link *l, const struct cs_msg *m)
{
    uint8_t *f;
    size_t len;
    if (seal_msg(l, m, &f, &len) != 0)
        return -1;
    int ret = send_all(l->fd, f, len);
    free(f);
    return ret;
}

/* The next session message within ms: 1 (*m to release), 0 when the hub closed, -1 otherwise. */
static int
recv_msg(struct link *l, int ms, struct cs_msg *m)
{
    size_t flen, plen;
    int r = read_frame(l, CS_WIRE_MAX_FRAME, ms, frame_buf, &flen);
    if (r <= 0)
        return r;
    if (cs_session_open(&l->sess, frame_buf, flen, plain_buf, &plen) != 0 ||
        cs_msg_decode(m, plain_buf, plen) != 0) {
        printf("garbled session data from the hub\n");
        return -1;
    }
    return 1;
}

static const char *const msg_names[] = {"?", "CHUNK", "ACK", "REFUSED", "DONE", "ERROR"};

/*
 * The next message that is not the hub's own downstream (CHUNK, DONE: not
 * acknowledged here, the device's cursor stays), within ms.
 */
static int
recv_reply(struct link *l, int ms, struct cs_msg *m)
{
    int64_t start = now_ms();
    for (;;) {
        int64_t left = ms - (now_ms() - start);
        int r = recv_msg(l, left > 0 ? (int)left : 0, m);
        if (r <= 0)
            return r;
        if (m->type != CS_MSG_CHUNK && m->type != CS_MSG_DONE)
            return 1;
        cs_msg_release(m);
    }
}

/*
 * Connects and runs the device's handshake with msg1 (made here when *len1
 * is 0, kept in msg1 for a replay). 0 with the session up and *w filled, -1
 * with the reason printed.
 */
static int
session_open(struct link *l, struct dev *d, uint8_t *msg1, size_t *len1, struct cs_welcome *w)
{
    struct cs_hs hs;
    uint8_t f[CS_WIRE_MAX_PREAUTH];
    size_t flen;
    int rc;

    memset(l, 0, sizeof(*l));
    if ((l->fd = connect_to()) < 0)
        return -1;
    uint8_t ts[CS_WIRE_TS_LEN];
    next_ts(ts);
    if ((rc = cs_hs_device_start(&hs, d->key, d->hub_pk, ts, &d->hello, f, sizeof(f), &flen)) !=
        0) {
        printf("cannot make msg1: %s\n", cs_strerror(rc));
        return -1;
    }
    if (*len1 == 0) {
        memcpy(msg1, f, flen);
        *len1 = flen;
    }
    if (send_frame(l, msg1, *len1) != 0 ||
        read_frame(l, CS_WIRE_MAX_PREAUTH, 3000, f, &flen) != 1) {
        printf("no msg2 from the hub\n");
        cs_hs_release(&hs);
        return -1;
    }
    rc = cs_hs_device_finish(&hs, d->key, d->hub_pk, f, flen, w, NULL);
    if (rc != 0 || w->status != CS_WELCOME_OK) {
        printf("the handshake failed: %s\n", rc != 0 ? cs_strerror(rc) : w->message);
        cs_hs_release(&hs);
        return -1;
    }
    uint8_t hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    if (cs_session_init(&l->sess, &hs, hdr) != 0 || send_frame(l, hdr, sizeof(hdr)) != 0 ||
        read_frame(l, CS_WIRE_MAX_PREAUTH, 3000, f, &flen) != 1 ||
        cs_session_accept(&l->sess, &hs, f, flen) != 0) {
        printf("the session did not start\n");
        cs_hs_release(&hs);
        return -1;
    }
    cs_hs_release(&hs);
    return 0;
}

static void
link_close(struct link *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    cs_session_release(&l->sess);
}

/* The device's own changes after the hub's cursor, a live chunk signed by k (the device's key or
 * not). */
static int
make_chunk(struct dev *d, const struct cs_key *k, uint64_t after, struct cs_chunk *ch)
{
    char err[512] = "";
    struct cs_since_filter own = {.only_origin = cs_replica_site(d->rep)};
    int rc = cs_sync_make_chunk(d->rep, k, NULL, after, &own, CS_SYNC_CHUNK, ch, err, sizeof(err));
    if (rc != 0) {
        printf("cannot make a chunk: %s\n", err);
        return -1;
    }
    if (ch->changes == 0) {
        printf("the device has no unsynced changes to send\n");
        free(ch->env);
        return -1;
    }
    printf("a chunk of %zu changes, seq %llu-%llu, %zu bytes\n", ch->changes,
           (unsigned long long)ch->seq_first, (unsigned long long)ch->seq_last, ch->envlen);
    return 0;
}

/* Sends env as a CHUNK; the hub must answer ERROR code with want in its message, then EOF. */
static int
expect_error(struct link *l, const uint8_t *env, size_t envlen, int code, const char *want)
{
    struct cs_msg m = {.type = CS_MSG_CHUNK, .env = env, .envlen = envlen}, r = {0};
    if (send_msg(l, &m) != 0) {
        printf("the hub hung up before the chunk was sent\n");
        return 1;
    }
    int got = recv_reply(l, 3000, &r);
    struct cs_msg after = {0};
    int eof = got == 1 && recv_reply(l, 2000, &after) == 0;
    if (got == 1) {
        printf("the hub answered %s", msg_names[r.type <= 5 ? r.type : 0]);
        if (r.type == CS_MSG_ERROR)
            printf(" code %u (%s): \"%s\"", r.code, cs_err_name(-(int)r.code), r.message);
        printf("%s\n", eof ? ", then closed" : ", and did not close");
    } else
        printf("the hub %s without an answer\n", got == 0 ? "closed" : "timed out");
    int ok = got == 1 && r.type == CS_MSG_ERROR && r.code == (uint32_t)-code &&
             strstr(r.message, want) != NULL && eof;
    cs_msg_release(&r);
    cs_msg_release(&after);
    char what[256];
    snprintf(what, sizeof(what), "ERROR %s \"...%s...\", then EOF", cs_err_name(code), want);
    return verdict(ok, what);
}

static int own_changes(struct cs_replica *r, uint64_t after, struct cs_changeset **out);

/*
 * The device's own changes after `after` as a live chunk (cellsync/sync.h)
 * whose signed set was altered after the device signed it: the last byte of
 * the set (inside its last change) flipped, signature and header as signed.
 * Left uncompressed (flags 0), so the flipped byte reaches the hub as it is.
 * OUT: *out, free().
 */
static int
altered_chunk(struct dev *d, uint64_t after, uint8_t **out, size_t *outlen)
{
    struct cs_changeset *cs = NULL;
    uint8_t *mp = NULL, *set = NULL;
    size_t mplen = 0, setlen = 0;
    int ret = -1;

    *out = NULL;
    if (own_changes(d->rep, after, &cs) != 0)
        goto out;
    if (cs_changeset_count(cs) == 0) {
        printf("the device has no unsynced changes to send\n");
        goto out;
    }
    if (cs_changeset_encode(cs, &mp, &mplen) != 0 ||
        cs_origin_sign(d->key, mp, mplen, &set, &setlen) != 0 ||
        (*out = malloc(CS_SYNC_LIVE_HEADER + setlen)) == NULL) {
        printf("cannot make the chunk\n");
        goto out;
    }
    set[setlen - 1] ^= 0x01;
    (*out)[0] = 0;
    for (int i = 0; i < 4; i++)
        (*out)[1 + i] = (uint8_t)(setlen >> (8 * i));
    memcpy(*out + CS_SYNC_LIVE_HEADER, set, setlen);
    *outlen = CS_SYNC_LIVE_HEADER + setlen;
    printf("a live chunk of %zu changes, %zu bytes, one byte of its signed set altered\n",
           cs_changeset_count(cs), *outlen);
    ret = 0;
out:
    free(set);
    free(mp);
    cs_changeset_free(cs);
    return ret;
}

static int
mode_forge(struct dev *d, int flip)
{
    static struct link l;
    struct cs_welcome w;
    struct cs_chunk ch;
    struct cs_key *other = NULL;
    uint8_t msg1[CS_WIRE_MAX_PREAUTH];
    size_t len1 = 0;
    int ret = 1;

    if (session_open(&l, d, msg1, &len1, &w) != 0)
        return 1;
    if (!flip) {
        /* The device's own changes, signed and sealed by a key the hub never enrolled. */
        if (cs_key_generate(&other) != 0 || make_chunk(d, other, w.up_seq, &ch) != 0)
            goto out;
        ret = expect_error(&l, ch.env, ch.envlen, CS_ESIGNATURE, "signed by another key");
    } else {
        if (altered_chunk(d, w.up_seq, &ch.env, &ch.envlen) != 0)
            goto out;
        ret = expect_error(&l, ch.env, ch.envlen, CS_ESIGNATURE,
                           "signature over the changes does not verify");
    }
    free(ch.env);
out:
    cs_key_free(other);
    link_close(&l);
    return ret;
}

static int
mode_truncate(struct dev *d)
{
    static struct link l;
    struct cs_welcome w;
    struct cs_chunk ch;
    uint8_t msg1[CS_WIRE_MAX_PREAUTH], *f;
    size_t len1 = 0, flen;

    if (session_open(&l, d, msg1, &len1, &w) != 0)
        return 1;
    if (make_chunk(d, d->key, w.up_seq, &ch) != 0) {
        link_close(&l);
        return 1;
    }
    struct cs_msg m = {.type = CS_MSG_CHUNK, .env = ch.env, .envlen = ch.envlen};
    int rc = seal_msg(&l, &m, &f, &flen);
    free(ch.env);
    if (rc != 0) {
        link_close(&l);
        return 1;
    }
    /* The length prefix says flen - 4 bytes; half of them come, then the link is cut. */
    size_t half = CS_WIRE_HEADER + (flen - CS_WIRE_HEADER) / 2;
    rc = send_all(l.fd, f, half);
    free(f);
    printf("truncate: sent %zu of the %zu bytes of a chunk frame, then hung up\n", half, flen);
    /* Let the bytes reach the hub before the FIN (they would anyway; this keeps the log honest). */
    struct seen s;
    wait_close(l.fd, 200, &s);
    link_close(&l);
    return verdict(rc == 0 && !s.closed, "the hub took the half frame and waited for the rest");
}

static int
mode_bigframe(struct dev *d)
{
    static struct link l;
    struct cs_welcome w;
    uint8_t msg1[CS_WIRE_MAX_PREAUTH], f[4 + 100];
    size_t len1 = 0;
    struct seen s;

    if (session_open(&l, d, msg1, &len1, &w) != 0)
        return 1;
    put_len(f, CS_WIRE_MAX_FRAME + 1);
    for (size_t i = 4; i < sizeof(f); i++)
        f[i] = random_byte();
    int64_t start = now_ms();
    int sent = send_all(l.fd, f, sizeof(f));
    /* The hub's own frames (its DONE) may come first: read until EOF. */
    wait_close(l.fd, 2000, &s);
    s.when = now_ms() - start;
    link_close(&l);
    describe("bigframe", &s);
    return verdict(sent == 0 && s.closed && s.when <= 2000,
                   "a session frame over CS_WIRE_MAX_FRAME: closed within 2 s");
}

/* Sends env as a CHUNK and waits for its ACK: 0, or 1 with the reason printed. */
static int
expect_ack(struct link *l, const uint8_t *env, size_t envlen, uint64_t seq_last, const char *what)
{
    struct cs_msg m = {.type = CS_MSG_CHUNK, .env = env, .envlen = envlen}, r = {0};
    if (send_msg(l, &m) != 0) {
        printf("%s: the hub hung up before the chunk was sent\n", what);
        return 1;
    }
    int got = recv_reply(l, 3000, &r);
    int ok = got == 1 && r.type == CS_MSG_ACK && r.seq == seq_last;
    if (got == 1)
        printf("%s: the hub answered %s seq %llu%s%s\n", what, msg_names[r.type <= 5 ? r.type : 0],
               (unsigned long long)r.seq, r.type == CS_MSG_ERROR ? ": " : "",
               r.type == CS_MSG_ERROR ? r.message : "");
    else
        printf("%s: no answer from the hub\n", what);
    cs_msg_release(&r);
    return ok ? 0 : 1;
}

static int
mode_replay(struct dev *d)
{
    static struct link l;
    struct cs_welcome w1, w2;
    struct cs_chunk ch;
    uint8_t msg1[CS_WIRE_MAX_PREAUTH];
    size_t len1 = 0;
    int bad = 0;

    if (session_open(&l, d, msg1, &len1, &w1) != 0)
        return 1;
    if (make_chunk(d, d->key, w1.up_seq, &ch) != 0) {
        link_close(&l);
        return 1;
    }
    bad |= expect_ack(&l, ch.env, ch.envlen, ch.seq_last, "replay: first session");
    link_close(&l);
    /* A new handshake (a new msg1), then the captured envelope, byte for byte. */
    len1 = 0;
    if (session_open(&l, d, msg1, &len1, &w2) != 0) {
        free(ch.env);
        return 1;
    }
    printf("replay: the second welcome says the hub has merged up to seq %llu\n",
           (unsigned long long)w2.up_seq);
    bad |= w2.up_seq < ch.seq_last;
    bad |= expect_ack(&l, ch.env, ch.envlen, ch.seq_last, "replay: second session, same bytes");
    link_close(&l);
    free(ch.env);
    return verdict(!bad, "both acknowledged; the second welcome already covered the chunk");
}

/* A welcome, and the hub's stream header, then a hang-up: the device never proves its key. */
static int
mode_unproven(struct dev *d)
{
    static struct link l;
    struct cs_welcome w;
    uint8_t msg1[CS_WIRE_MAX_PREAUTH];
    size_t len1 = 0;
    if (session_open(&l, d, msg1, &len1, &w) != 0)
        return 1;
    printf("unproven: welcomed as %s (%s), hanging up before any session frame\n", w.org, w.role);
    link_close(&l);
    return verdict(1, "welcomed; the hub's state is for the test to check");
}

static int
mode_replay_hello(struct dev *d, const char *path)
{
    static struct link l1, l2;
    struct cs_welcome w;
    struct seen s;
    uint8_t msg1[CS_WIRE_MAX_PREAUTH];
    size_t len1 = 0;
    int ok = 1;

    /* The device's own session: its first frame opens at the hub, which proves the key. */
    if (session_open(&l1, d, msg1, &len1, &w) != 0)
        return 1;
    struct cs_msg done = {.type = CS_MSG_DONE, .seq = w.up_seq};
    if (send_msg(&l1, &done) != 0) {
        printf("replay-hello: cannot send DONE\n");
        link_close(&l1);
        return 1;
    }
    /* Until the hub's own DONE: the hub has read ours, and written the contact. */
    struct cs_msg m;
    int r;
    while ((r = recv_msg(&l1, 3000, &m)) == 1 && m.type != CS_MSG_DONE)
        cs_msg_release(&m);
    if (r == 1)
        cs_msg_release(&m);
    printf("replay-hello: the device's own session ran: %s\n", r == 1 ? "yes" : "no");
    ok &= r == 1;
    link_close(&l1);
    FILE *out = fopen(path, "wb");
    if (out == NULL || fwrite(msg1, 1, len1, out) != len1 || fclose(out) != 0) {
        printf("replay-hello: cannot write %s\n", path);
        return 1;
    }

    /* The same msg1 again, by someone who captured it. */
    memset(&l2, 0, sizeof(l2));
    uint8_t f[CS_WIRE_HEADER + CS_WIRE_MAX_PREAUTH];
    put_len(f, (uint32_t)len1);
    memcpy(f + CS_WIRE_HEADER, msg1, len1);
    int64_t start = now_ms();
    if (send_then_wait(f, CS_WIRE_HEADER + len1, 3000, &s) != 0)
        return 1;
    describe("replay-hello", &s);
    ok &= s.n == 0 && s.closed && now_ms() - start < 2000;
    return verdict(ok, "the replay got nothing back and was closed within 2 s");
}

static int
mode_future(struct dev *d)
{
    static struct link l;
    struct cs_welcome w;
    struct cs_chunk ch;
    uint8_t msg1[CS_WIRE_MAX_PREAUTH];
    size_t len1 = 0, clock = 0, other = 0;
    int acked = 0;

    if (session_open(&l, d, msg1, &len1, &w) != 0)
        return 1;
    if (make_chunk(d, d->key, w.up_seq, &ch) != 0) {
        link_close(&l);
        return 1;
    }
    struct cs_msg m = {.type = CS_MSG_CHUNK, .env = ch.env, .envlen = ch.envlen};
    if (send_msg(&l, &m) != 0)
        printf("future: the hub hung up before the chunk was sent\n");
    for (;;) {
        struct cs_msg r = {0};
        if (recv_reply(&l, 3000, &r) != 1)
            break;
        if (r.type == CS_MSG_REFUSED) {
            for (size_t i = 0; i < r.nrefused; i++) {
                const struct cs_refusal *f = &r.refused[i];
                printf("future: refused %s.%s, kind %u: %s\n", f->table, f->column, f->kind,
                       f->reason);
                if (f->kind == CS_REFUSAL_CLOCK)
                    clock++;
                else
                    other++;
            }
        } else if (r.type == CS_MSG_ACK) {
            printf("future: ACK seq %llu\n", (unsigned long long)r.seq);
            acked = r.seq == ch.seq_last;
        } else if (r.type == CS_MSG_ERROR)
            printf("future: ERROR %u: %s\n", r.code, r.message);
        int stop = r.type != CS_MSG_REFUSED;
        cs_msg_release(&r);
        if (stop)
            break;
    }
    size_t n = ch.changes;
    free(ch.env);
    link_close(&l);
    return verdict(acked && clock == n && other == 0,
                   "every change refused for its clock (CS_REFUSAL_CLOCK), the chunk acknowledged");
}

/*
 * A msgpack root array of arrays of nils, plain bytes in all: the shape of
 * the review's bomb.c (a change set's outer shape, none of its content).
 */
static uint8_t *
nil_bomb(size_t plain)
{
    uint8_t *b = malloc(plain);
    if (b == NULL)
        return NULL;
    size_t per = (plain - 3 - 32 * 5) / 32, p = 0;
    b[p++] = 0xdc, b[p++] = 0, b[p++] = 32;
    for (int i = 0; i < 32; i++) {
        b[p++] = 0xdd, b[p++] = (uint8_t)(per >> 24), b[p++] = (uint8_t)(per >> 16);
        b[p++] = (uint8_t)(per >> 8), b[p++] = (uint8_t)per;
        memset(b + p, 0xc0, per);
        p += per;
    }
    memset(b + p, 0xc0, plain - p); /* never read: the declared size is what matters */
    return b;
}

/*
 * The bomb of plain bytes as its origin's signed set (cellsync/origin.h),
 * signed by k, covering seq `seq`: sealed for the hub (a bundle's), or with
 * live a live chunk (a session's).
 */
static int
seal_bomb(const struct dev *d, const struct cs_key *k, size_t plain, uint64_t seq, int live,
          uint8_t **env, size_t *envlen)
{
    /* The envelope holds at most CS_ENVELOPE_MAX_PLAIN: the signed set's header is room too. */
    if (plain + CS_ORIGIN_HEADER > CS_ENVELOPE_MAX_PLAIN)
        plain -= CS_ORIGIN_HEADER;
    uint8_t *b = nil_bomb(plain);
    if (b == NULL)
        return -1;
    /* Every byte after the arrays is a nil too many: cut the buffer at the last array. */
    size_t used = 3 + 32 * (5 + (plain - 3 - 32 * 5) / 32);
    int ret = cs_sync_seal(k, live ? NULL : d->hub_pk, seq, seq, b, used, NULL, 0, env, envlen);
    free(b);
    if (ret != 0)
        printf("cannot seal a bomb: %s\n", cs_strerror(ret));
    else
        printf("a bomb of %zu plain bytes sealed in %zu bytes\n", used, *envlen);
    return ret;
}

static int
mode_bomb(struct dev *d)
{
    static const struct {
        size_t plain;
        int code;
        const char *want;
    } bombs[] = {
        {16u << 20, CS_EBOMB, "decompresses to"},
        {4u << 20, CS_ETOOBIG, "holds more objects"},
    };
    int ret = 0;
    for (size_t i = 0; i < sizeof(bombs) / sizeof(bombs[0]); i++) {
        static struct link l;
        struct cs_welcome w;
        uint8_t msg1[CS_WIRE_MAX_PREAUTH], *env = NULL;
        size_t len1 = 0, envlen = 0;
        if (session_open(&l, d, msg1, &len1, &w) != 0)
            return 1;
        if (seal_bomb(d, d->key, bombs[i].plain, w.up_seq + 1, 1, &env, &envlen) != 0) {
            link_close(&l);
            return 1;
        }
        ret |= expect_error(&l, env, envlen, bombs[i].code, bombs[i].want);
        free(env);
        link_close(&l);
    }
    return ret;
}

static int
mode_bomb_bundle(struct dev *d, const char *out, int stranger)
{
    struct cs_bundle_writer *w = NULL;
    struct cs_key *other = NULL;
    uint8_t *hello = NULL, *env = NULL;
    size_t hlen = 0, envlen = 0;
    char err[512] = "";
    int ret = 1;

    const struct cs_key *k = d->key;
    if (stranger) {
        if (cs_key_generate(&other) != 0)
            goto out;
        k = other;
    }
    struct cs_hello h = d->hello;
    if (stranger)
        h.has_secret = 0;
    if (cs_bundle_seal_hello(k, d->hub_pk, &h, &hello, &hlen) != 0 ||
        seal_bomb(d, k, 16u << 20, 1, 0, &env, &envlen) != 0 ||
        cs_bundle_writer_new(&w, out, 0, d->hub_pk, err, sizeof(err)) != 0 ||
        cs_bundle_writer_add(w, hello, hlen, err, sizeof(err)) != 0 ||
        cs_bundle_writer_add(w, env, envlen, err, sizeof(err)) != 0)
        goto out;
    ret = cs_bundle_writer_commit(w, err, sizeof(err)) != 0;
    w = NULL;
    if (ret == 0)
        printf("wrote '%s'\n", out);
out:
    if (ret != 0)
        printf("cannot write the bundle: %s\n", err);
    cs_bundle_writer_free(w);
    cs_key_free(other);
    free(hello);
    free(env);
    return ret;
}

/* A copy of set's header and changes, each change's origin made *origin when that is not NULL. */
static struct cs_changeset *
copy_set(const struct cs_changeset *set, const struct cs_id *origin, struct cs_changeset *into)
{
    struct cs_changeset *n = into;
    if (n == NULL && cs_changeset_new(&n, cs_changeset_header(set)) != 0)
        return NULL;
    for (size_t i = 0; i < cs_changeset_count(set); i++) {
        struct cs_change c;
        cs_changeset_get(set, i, &c);
        if (origin != NULL)
            c.origin = *origin;
        if (cs_changeset_add(n, &c) != 0) {
            if (into == NULL)
                cs_changeset_free(n);
            return NULL;
        }
    }
    return n;
}

/* The changes r's device wrote after its seq `after`. OUT: *out, cs_changeset_free(). */
static int
own_changes(struct cs_replica *r, uint64_t after, struct cs_changeset **out)
{
    char err[512] = "";
    struct cs_since_filter own = {.only_origin = cs_replica_site(r)};
    if (cs_replica_changes_since(r, after, 4 * CS_SYNC_CHUNK, &own, out, err, sizeof(err)) != 0) {
        printf("cannot read the changes: %s\n", err);
        return -1;
    }
    return 0;
}

static int
mode_relay(struct dev *d, const char *cell_home, uint64_t after, const char *how)
{
    static struct link l;
    struct cs_welcome w;
    struct dev cell;
    struct cs_changeset *own = NULL, *cs = NULL, *sent = NULL;
    uint8_t msg1[CS_WIRE_MAX_PREAUTH], *own_mp = NULL, *cell_mp = NULL, *relayed = NULL,
                                       *env = NULL;
    size_t len1 = 0, own_len = 0, cell_len = 0, rlen = 0, envlen = 0;
    int ret = 1, answered = 0;

    l.fd = -1;
    if (dev_open(&cell, cell_home) != 0)
        goto out;
    if (session_open(&l, d, msg1, &len1, &w) != 0)
        goto out;
    if (own_changes(d->rep, w.up_seq, &own) != 0 || own_changes(cell.rep, after, &cs) != 0)
        goto out;
    struct cs_id cell_id;
    cs_key_id(cell.key, &cell_id);
    if (strcmp(how, "impersonate") == 0) {
        sent = copy_set(own, &cell_id, NULL);
    } else if (strcmp(how, "nosig") == 0) {
        if ((sent = copy_set(own, NULL, NULL)) != NULL && copy_set(cs, NULL, sent) == NULL) {
            cs_changeset_free(sent);
            sent = NULL;
        }
    } else {
        sent = copy_set(own, NULL, NULL);
        /* The cell's set as the cell signs it, or as the relay would forge it. */
        int forge = strcmp(how, "forge") == 0;
        if (cs_changeset_encode(cs, &cell_mp, &cell_len) != 0 ||
            cs_origin_sign(forge ? d->key : cell.key, cell_mp, cell_len, &relayed, &rlen) != 0)
            goto out;
        if (forge)
            memcpy(relayed + 4, cs_key_pk(cell.key), CS_PK_LEN);
    }
    const struct cs_changeset_header *h = cs_changeset_header(own);
    if (sent == NULL || cs_changeset_encode(sent, &own_mp, &own_len) != 0 ||
        cs_sync_seal(d->key, NULL, h->seq_first, h->seq_last, own_mp, own_len, relayed, rlen, &env,
                     &envlen) != 0) {
        printf("relay: cannot make the chunk\n");
        goto out;
    }
    printf("relay (%s): %zu changes of its own, %zu of the cell's, seq %llu-%llu\n", how,
           cs_changeset_count(sent), relayed != NULL ? cs_changeset_count(cs) : 0,
           (unsigned long long)h->seq_first, (unsigned long long)h->seq_last);
    struct cs_msg m = {.type = CS_MSG_CHUNK, .env = env, .envlen = envlen};
    if (send_msg(&l, &m) != 0)
        printf("relay: the hub hung up before the chunk was sent\n");
    for (;;) {
        struct cs_msg r = {0};
        if (recv_reply(&l, 5000, &r) != 1)
            break;
        if (r.type == CS_MSG_REFUSED) {
            for (size_t i = 0; i < r.nrefused; i++) {
                const struct cs_refusal *f = &r.refused[i];
                char who[CS_ID_SHORT_LEN + 1];
                cs_id_short(&f->origin, who);
                printf("relay: refused %s.%s of %s, kind %u: %s\n", f->table, f->column, who,
                       f->kind, f->reason);
            }
        } else if (r.type == CS_MSG_ACK) {
            printf("relay: ACK seq %llu\n", (unsigned long long)r.seq);
            answered = 1;
        } else if (r.type == CS_MSG_ERROR) {
            printf("relay: ERROR %s: %s\n", cs_err_name(-(int)r.code), r.message);
            answered = 1;
        }
        int stop = r.type != CS_MSG_REFUSED;
        cs_msg_release(&r);
        if (stop)
            break;
    }
    ret = answered ? 0 : 1;
out:
    link_close(&l);
    cs_changeset_free(own);
    cs_changeset_free(cs);
    cs_changeset_free(sent);
    free(own_mp);
    free(cell_mp);
    free(relayed);
    free(env);
    dev_close(&cell);
    return ret;
}

/* Writes FILE (a line), so the test knows the session is open. 0, or -1 with the reason printed. */
static int
mark(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs("open\n", f) == EOF || fclose(f) != 0) {
        printf("cannot write %s\n", path);
        return -1;
    }
    return 0;
}

/* What the hub answered: an ERROR, then EOF within 2 s. 1 when so (printed either way). */
static int
error_then_eof(struct link *l, int got, struct cs_msg *r, const char *what)
{
    struct cs_msg after = {0};
    int eof = got == 1 && r->type == CS_MSG_ERROR && recv_reply(l, 2000, &after) == 0;
    if (got == 1) {
        printf("%s: the hub answered %s", what, msg_names[r->type <= 5 ? r->type : 0]);
        if (r->type == CS_MSG_ERROR)
            printf(" code %u (%s): \"%s\"", r->code, cs_err_name(-(int)r->code), r->message);
        else if (r->type == CS_MSG_ACK)
            printf(" seq %llu", (unsigned long long)r->seq);
        printf("%s\n", eof ? ", then closed" : "");
    } else
        printf("%s: the hub %s without an ERROR\n", what, got == 0 ? "closed" : "timed out");
    cs_msg_release(&after);
    return eof;
}

static int
mode_late(struct dev *d, const char *path)
{
    static struct link l;
    struct cs_welcome w;
    struct cs_chunk ch;
    uint8_t msg1[CS_WIRE_MAX_PREAUTH];
    size_t len1 = 0;

    if (session_open(&l, d, msg1, &len1, &w) != 0)
        return 1;
    if (make_chunk(d, d->key, w.up_seq, &ch) != 0 || mark(path) != 0) {
        link_close(&l);
        return 1;
    }
    /* Until the test has revoked the device and removed FILE. */
    for (int i = 0; i < 2000 && access(path, F_OK) == 0; i++)
        usleep(10000);
    struct cs_msg m = {.type = CS_MSG_CHUNK, .env = ch.env, .envlen = ch.envlen}, r = {0};
    /* The hub may have closed the session already: its ERROR is read all the same. */
    if (send_msg(&l, &m) != 0)
        printf("late: the hub hung up before the chunk was sent\n");
    else
        printf("late: sent the chunk after FILE was removed\n");
    int got = recv_reply(&l, 3000, &r);
    int ok = error_then_eof(&l, got, &r, "late");
    cs_msg_release(&r);
    free(ch.env);
    link_close(&l);
    return verdict(ok, "the late chunk is answered by an ERROR, then EOF, never an ACK");
}

static int
mode_hold(struct dev *d, const char *path)
{
    static struct link l;
    struct cs_welcome w;
    uint8_t msg1[CS_WIRE_MAX_PREAUTH];
    size_t len1 = 0;
    struct cs_msg r = {0};
    int got = -1;

    if (session_open(&l, d, msg1, &len1, &w) != 0 || mark(path) != 0)
        return 1;
    int64_t start = now_ms();
    while (now_ms() - start < 10000) {
        struct cs_msg done = {.type = CS_MSG_DONE, .seq = w.up_seq};
        if (send_msg(&l, &done) != 0)
            printf("hold: the hub hung up before a DONE was sent\n");
        if ((got = recv_reply(&l, 1000, &r)) != -1)
            break;
    }
    printf("hold: the hub answered after %lld ms\n", (long long)(now_ms() - start));
    /*
     * The ERROR, then EOF; or, when a DONE of ours crossed the hub's close, a
     * reset that takes the ERROR with it (the hub's log says why then).
     */
    int ok = error_then_eof(&l, got, &r, "hold") || got == 0;
    cs_msg_release(&r);
    link_close(&l);
    return verdict(ok, "a busy session is ended (an ERROR, or the hub's close) within 10 s");
}

static int
device_mode(const char *mode, const char *home, const char *arg)
{
    struct dev d;
    int ret = 1;
    if (cs_init() != 0) {
        printf("cannot start libsodium\n");
        return 1;
    }
    if (dev_open(&d, home) != 0) {
        dev_close(&d);
        return 1;
    }
    if (strcmp(mode, "forge") == 0)
        ret = mode_forge(&d, 0);
    else if (strcmp(mode, "badsig") == 0)
        ret = mode_forge(&d, 1);
    else if (strcmp(mode, "truncate") == 0)
        ret = mode_truncate(&d);
    else if (strcmp(mode, "bigframe") == 0)
        ret = mode_bigframe(&d);
    else if (strcmp(mode, "replay") == 0)
        ret = mode_replay(&d);
    else if (strcmp(mode, "replay-hello") == 0 && arg != NULL)
        ret = mode_replay_hello(&d, arg);
    else if (strcmp(mode, "late") == 0 && arg != NULL)
        ret = mode_late(&d, arg);
    else if (strcmp(mode, "hold") == 0 && arg != NULL)
        ret = mode_hold(&d, arg);
    else if (strcmp(mode, "unproven") == 0)
        ret = mode_unproven(&d);
    else if (strcmp(mode, "future") == 0)
        ret = mode_future(&d);
    else if (strcmp(mode, "bomb") == 0)
        ret = mode_bomb(&d);
    else if (strncmp(mode, "bomb-bundle ", 12) == 0)
        ret = mode_bomb_bundle(&d, mode + 12, 0);
    else if (strncmp(mode, "bomb-stranger ", 14) == 0)
        ret = mode_bomb_bundle(&d, mode + 14, 1);
    else if (strncmp(mode, "relay ", 6) == 0) {
        /* "relay HOW AFTER CELL" */
        char how[16];
        unsigned long long after;
        int n = 0;
        if (sscanf(mode + 6, "%15s %llu %n", how, &after, &n) == 2 && n > 0)
            ret = mode_relay(&d, mode + 6 + n, after, how);
        else
            ret = 2;
    } else
        ret = 2;
    dev_close(&d);
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
    if (argc < 3 || argc > 7) {
        fprintf(stderr,
                "usage: cs_raw HOST:PORT version|oversize|preauth-big|idle [T]|slow "
                "[T]|garbage|keyreq|many N [T]|guess CODE N\n"
                "       cs_raw HOST:PORT forge|badsig|truncate|bigframe|replay|unproven|"
                "future|bomb HOME\n"
                "       cs_raw HOST:PORT bomb-bundle HOME OUT [stranger]\n"
                "       cs_raw HOST:PORT replay-hello HOME FILE | replay-msg1 FILE\n"
                "       cs_raw HOST:PORT late|hold HOME FILE\n"
                "       cs_raw HOST:PORT relay HOME CELL AFTER [forge|nosig|impersonate]\n");
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
    static const char *const device_modes[] = {
        "forge",    "badsig", "truncate", "bigframe", "replay", "replay-hello",
        "unproven", "future", "bomb",     "late",     "hold",
    };
    for (size_t i = 0; i < sizeof(device_modes) / sizeof(device_modes[0]); i++)
        if (strcmp(mode, device_modes[i]) == 0 &&
            argc == (strcmp(mode, "replay-hello") && strcmp(mode, "late") && strcmp(mode, "hold")
                         ? 4
                         : 5))
            return device_mode(mode, argv[3], argc == 5 ? argv[4] : NULL);
    if (strcmp(mode, "replay-msg1") == 0 && argc == 4)
        return mode_replay_msg1(argv[3]);
    /* Offline: only the device's files are read, nothing is sent. */
    if (strcmp(mode, "bomb-bundle") == 0 && (argc == 5 || argc == 6)) {
        char m[4200];
        int stranger = argc == 6 && strcmp(argv[5], "stranger") == 0;
        if (argc == 6 && !stranger) {
            fprintf(stderr, "cs_raw: '%s' is not 'stranger'\n", argv[5]);
            return 2;
        }
        snprintf(m, sizeof(m), "%s %s", stranger ? "bomb-stranger" : "bomb-bundle", argv[4]);
        return device_mode(m, argv[3], NULL);
    }
    if (strcmp(mode, "relay") == 0 && (argc == 6 || argc == 7)) {
        char m[4200];
        const char *how = argc == 7 ? argv[6] : "signed";
        if (strcmp(how, "signed") && strcmp(how, "forge") && strcmp(how, "nosig") &&
            strcmp(how, "impersonate")) {
            fprintf(stderr, "cs_raw: '%s' is not forge, nosig or impersonate\n", how);
            return 2;
        }
        snprintf(m, sizeof(m), "relay %s %llu %s", how,
                 (unsigned long long)strtoull(argv[5], NULL, 10), argv[4]);
        return device_mode(m, argv[3], NULL);
    }
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
    if (strcmp(mode, "guess") == 0 && argc == 5) {
        alarm(170); /* a thousand runs: more than the usual 30 s on a slow machine */
        return mode_guess(argv[3], atol(argv[4]));
    }
    if (strcmp(mode, "flood") == 0 && (argc == 5 || argc == 6))
        return mode_flood(atol(argv[3]), atol(argv[4]), argc == 6 && strcmp(argv[5], "empty") == 0);
    if (strcmp(mode, "garbage") == 0 && argc == 3)
        return mode_garbage();
    if (strcmp(mode, "keyreq") == 0 && argc == 3)
        return keyreq("keyreq");
    if (strcmp(mode, "many") == 0 && (argc == 4 || argc == 5))
        return mode_many(number(argv[3], 1, 5000), argc == 5 ? number(argv[4], 1, 20) : 0);
    fprintf(stderr, "cs_raw: unknown mode '%s' or wrong arguments\n", mode);
    return 2;
}
