/* SPDX-License-Identifier: MIT */
/*
 * A man in the middle of enrollment by code, for the tests: it stands
 * between a laptop and the real hub on loopback, relays the laptop's START
 * and SHARE to the hub and the hub's NONCE back (so the run looks real to
 * both), then answers the laptop's SHARE itself, with its own key in the
 * enrollment, under a guess of the code (the code's number is in the
 * clear; its 60 secret bits are not). That is all a party on the path can
 * do without the code.
 *
 *   cs_mitm --target HOST:PORT --port-file F
 *
 * It listens on 127.0.0.1 port 0, writes the port to F, serves one laptop,
 * and prints what happened: "mitm: reply sent", then "mitm: after the reply
 * the laptop sent N bytes" (a right laptop sends nothing: it found out), or
 * why it could not go on. Exits 0 when it got as far as its reply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/key.h"
#include "cellsync/pake.h"
#include "cellsync/version.h"
#include "cellsync/wire.h"

static int
write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int
send_frame(int fd, const uint8_t *msg, size_t len)
{
    uint8_t hdr[CS_WIRE_HEADER];
    cs_wire_frame_put(hdr, (uint32_t)len);
    return write_all(fd, hdr, sizeof(hdr)) == 0 ? write_all(fd, msg, len) : -1;
}

/* Bytes from fd within ms, up to cap: how many came before EOF, a reset or the time. */
static size_t
read_for(int fd, uint8_t *buf, size_t cap, size_t want, int ms)
{
    size_t got = 0;
    while (got < want) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, ms) <= 0)
            break;
        ssize_t r = recv(fd, buf + got, cap - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

/* One frame from fd into buf (at most cap), its length in *len; -1 if none came whole. */
static int
recv_frame(int fd, uint8_t *buf, size_t cap, size_t *len)
{
    uint8_t hdr[CS_WIRE_HEADER];
    uint32_t n;
    if (read_for(fd, hdr, sizeof(hdr), sizeof(hdr), 10000) != sizeof(hdr) ||
        cs_wire_frame_len(hdr, (uint32_t)cap, &n) != 0 || read_for(fd, buf, n, n, 10000) != n)
        return -1;
    *len = n;
    return 0;
}

static int
fail(const char *what)
{
    printf("mitm: %s\n", what);
    return 1;
}

int
main(int argc, char **argv)
{
    const char *target = NULL, *port_file = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--target") == 0)
            target = argv[i + 1];
        else if (strcmp(argv[i], "--port-file") == 0)
            port_file = argv[i + 1];
    }
    if (target == NULL || port_file == NULL || cs_init() != 0) {
        fprintf(stderr, "usage: cs_mitm --target HOST:PORT --port-file F\n");
        return 2;
    }
    const char *colon = strrchr(target, ':');
    struct sockaddr_in hub = {.sin_family = AF_INET};
    char host[64];
    if (colon == NULL || (size_t)(colon - target) >= sizeof(host))
        return fail("bad --target");
    memcpy(host, target, (size_t)(colon - target));
    host[colon - target] = 0;
    hub.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &hub.sin_addr) != 1)
        return fail("bad --target host");

    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(me);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(ls, (struct sockaddr *)&me, sizeof(me)) != 0 || listen(ls, 1) != 0 ||
        getsockname(ls, (struct sockaddr *)&me, &sl) != 0)
        return fail("cannot listen");
    FILE *pf = fopen(port_file, "w");
    if (pf == NULL)
        return fail("cannot write the port file");
    fprintf(pf, "%u\n", ntohs(me.sin_port));
    fclose(pf);
    struct pollfd lp = {ls, POLLIN, 0};
    if (poll(&lp, 1, 60000) != 1)
        return fail("no laptop came");
    int lap = accept(ls, NULL, NULL);
    int up = socket(AF_INET, SOCK_STREAM, 0);
    if (lap < 0 || up < 0 || connect(up, (struct sockaddr *)&hub, sizeof(hub)) != 0)
        return fail("cannot reach the hub");

    uint8_t start[CS_WIRE_MAX_PREAUTH], nonce[CS_WIRE_MAX_PREAUTH], share[CS_WIRE_MAX_PREAUTH];
    uint8_t real[CS_WIRE_MAX_PREAUTH], reply[CS_PAKE_REPLY_MAX], after[4096];
    size_t slen, nlen, shlen, rlen;
    /* START and NONCE relayed: the run has the hub's own nonce. */
    if (recv_frame(lap, start, sizeof(start), &slen) != 0 || send_frame(up, start, slen) != 0 ||
        recv_frame(up, nonce, sizeof(nonce), &nlen) != 0 || send_frame(lap, nonce, nlen) != 0)
        return fail("no START or NONCE");
    if (cs_pake_step(nonce, nlen) != CS_PAKE_NONCE)
        return fail("the hub refused the run");
    /* SHARE to the hub too (it counts a run), whose REPLY the mitm cannot open. */
    if (recv_frame(lap, share, sizeof(share), &shlen) != 0 || send_frame(up, share, shlen) != 0)
        return fail("no SHARE");
    if (recv_frame(up, real, sizeof(real), &rlen) != 0)
        return fail("no REPLY from the hub");
    close(up);

    /* Its own REPLY: its own key, a guessed code of the same number, the run's sid. */
    struct cs_pake p;
    struct cs_enrollment e;
    struct cs_key *k;
    unsigned version;
    uint8_t guess[CS_ENROLL_SECRET_LEN], bits[8], mine[CS_PAKE_NONCE_MSG];
    if (cs_pake_hub_start(&p, start, slen, &version, mine) != 0 || cs_key_generate(&k) != 0)
        return fail("cannot read START");
    memcpy(p.sid + CS_PAKE_NONCE_LEN, nonce + 2, CS_PAKE_NONCE_LEN);
    randombytes_buf(bits, sizeof(bits));
    cs_enroll_code_secret(p.number, bits, guess);
    memset(&e, 0, sizeof(e));
    memcpy(e.hub_pk, cs_key_pk(k), CS_PK_LEN);
    randombytes_buf(e.secret, sizeof(e.secret));
    snprintf(e.org, sizeof(e.org), "CB-01");
    snprintf(e.role, sizeof(e.role), "cell");
    e.expires = 4000000000;
    if (cs_pake_hub_reply(&p, guess, share, shlen, &e, reply, sizeof(reply), &rlen) != 0 ||
        send_frame(lap, reply, rlen) != 0)
        return fail("cannot answer");
    printf("mitm: reply sent\n");
    size_t n = read_for(lap, after, sizeof(after), sizeof(after), 3000);
    printf("mitm: after the reply the laptop sent %zu bytes\n", n);
    cs_key_free(k);
    close(lap);
    close(ls);
    return 0;
}
