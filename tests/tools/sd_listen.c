/* SPDX-License-Identifier: MIT */
/*
 * The listening end of systemd's two datagram protocols, for tests that
 * own the socket: sd_notify's (NOTIFY_SOCKET, "READY=1\nSTATUS=...") and
 * the journal's native one (/run/systemd/journal/socket: "KEY=value\n", or
 * "KEY\n" + a 64-bit little-endian length + the value + "\n" for a value
 * with a newline; a big event comes as a memfd passed with SCM_RIGHTS).
 *
 *   sd_listen SOCKET OUT [PORT_FILE]
 *
 * Binds SOCKET (a path, or "@name" in the abstract namespace), prints
 * "listening" once bound, then appends each datagram to OUT as a record:
 * its fields one a line, "KEY=value" with a newline in a value written
 * "\n" and a backslash "\\", then an empty line. With PORT_FILE, a
 * datagram that holds READY=1 is answered by a TCP connect to 127.0.0.1
 * at the port that file names, at once, and its record gains
 * "X_CONNECT=ok" or "X_CONNECT=failed: WHY": readiness is real when the
 * port takes a connection the moment READY=1 arrives. Each record also
 * has "X_PID=PID", the sender's process as the kernel vouches for it
 * (SO_PASSCRED), which systemd compares with the main PID
 * (NotifyAccess=main). Runs until killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define DGRAM_MAX (1 << 20)

static void
put_value(FILE *f, const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '\n')
            fputs("\\n", f);
        else if (v[i] == '\\')
            fputs("\\\\", f);
        else
            fputc(v[i], f);
    }
}

/* The fields of one datagram onto f; 1 when READY=1 is among them, -1 when malformed. */
static int
put_fields(FILE *f, const char *d, size_t n)
{
    int ready = 0;
    size_t i = 0;
    while (i < n) {
        const char *line = d + i;
        const char *nl = memchr(line, '\n', n - i);
        size_t len = nl != NULL ? (size_t)(nl - line) : n - i;
        const char *eq = memchr(line, '=', len);
        if (len == 0) {
            i++;
            continue;
        }
        if (eq != NULL) {
            fwrite(line, 1, (size_t)(eq - line) + 1, f);
            put_value(f, eq + 1, len - (size_t)(eq - line) - 1);
            fputc('\n', f);
            if (len == 7 && memcmp(line, "READY=1", 7) == 0)
                ready = 1;
            i += len + 1;
            continue;
        }
        /* KEY\n, then the value's length (64 bits, little-endian), the value, \n. */
        if (nl == NULL || n - i < len + 1 + 8)
            return -1;
        const unsigned char *l = (const unsigned char *)line + len + 1;
        uint64_t vlen = 0;
        for (int b = 7; b >= 0; b--)
            vlen = vlen << 8 | l[b];
        size_t at = i + len + 1 + 8;
        if (vlen > n - at || n - at - vlen < 1 || d[at + vlen] != '\n')
            return -1;
        fwrite(line, 1, len, f);
        fputc('=', f);
        put_value(f, d + at, (size_t)vlen);
        fputc('\n', f);
        i = at + (size_t)vlen + 1;
    }
    return ready;
}

static void
connect_port(FILE *f, const char *port_file)
{
    FILE *pf = fopen(port_file, "r");
    int port = 0;
    if (pf == NULL || fscanf(pf, "%d", &port) != 1 || port <= 0) {
        fprintf(f, "X_CONNECT=failed: no port in '%s'\n", port_file);
        if (pf != NULL)
            fclose(pf);
        return;
    }
    fclose(pf);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) != 0)
        fprintf(f, "X_CONNECT=failed: %s\n", strerror(errno));
    else
        fprintf(f, "X_CONNECT=ok\n");
    if (s >= 0)
        close(s);
}

int
main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: sd_listen SOCKET OUT [PORT_FILE]\n");
        return 2;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t plen = strlen(argv[1]);
    if (plen == 0 || plen >= sizeof(sa.sun_path)) {
        fprintf(stderr, "sd_listen: bad socket name '%s'\n", argv[1]);
        return 2;
    }
    memcpy(sa.sun_path, argv[1], plen);
    if (argv[1][0] == '@')
        sa.sun_path[0] = 0;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    /* The journal's socket takes events of up to 8 MiB: room for what a test sends. */
    int buf = 8 << 20;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa,
                       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen)) != 0) {
        fprintf(stderr, "sd_listen: cannot bind '%s': %s\n", argv[1], strerror(errno));
        return 1;
    }
    FILE *out = fopen(argv[2], "a");
    if (out == NULL) {
        fprintf(stderr, "sd_listen: cannot open '%s': %s\n", argv[2], strerror(errno));
        return 1;
    }
    printf("listening\n");
    fflush(stdout);
    char *d = malloc(DGRAM_MAX);
    if (d == NULL)
        return 1;
    for (;;) {
        union {
            struct cmsghdr h;
            char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 8)];
        } ctl;
        struct iovec iov = {.iov_base = d, .iov_len = DGRAM_MAX};
        struct msghdr m = {.msg_iov = &iov,
                           .msg_iovlen = 1,
                           .msg_control = ctl.b,
                           .msg_controllen = sizeof(ctl.b)};
        ssize_t n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "sd_listen: %s\n", strerror(errno));
            return 1;
        }
        const char *data = d;
        size_t len = (size_t)n;
        void *map = NULL;
        long pid = -1;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                struct ucred u;
                memcpy(&u, CMSG_DATA(c), sizeof(u));
                pid = (long)u.pid;
                continue;
            }
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            /* A big event: the datagram is empty and the memfd holds it. */
            int mfd;
            struct stat st;
            memcpy(&mfd, CMSG_DATA(c), sizeof(mfd));
            if (fstat(mfd, &st) == 0 && st.st_size > 0 &&
                (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, mfd, 0)) !=
                    MAP_FAILED) {
                data = map;
                len = (size_t)st.st_size;
            } else {
                map = NULL;
            }
            close(mfd);
        }
        fprintf(out, "X_PID=%ld\n", pid);
        int ready = put_fields(out, data, len);
        if (ready < 0)
            fprintf(out, "X_MALFORMED=1\n");
        if (ready > 0 && argc == 4)
            connect_port(out, argv[3]);
        fputc('\n', out);
        fflush(out);
        if (map != NULL)
            munmap(map, len);
    }
}
