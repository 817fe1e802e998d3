/* SPDX-License-Identifier: MIT */
/*
 * The passphrase of a sealed device key (cellsync/key.h), asked only when
 * the key file is sealed and once per command, since a command loads the
 * key once (device_open(), `cellsync key`). Where it comes from, first
 * found first: what the web pages' unlock page took (kept in guarded
 * memory for the rest of the `cellsync ui` run); the file descriptor
 * $CELLSYNC_PASSPHRASE_FD (one line), for scripts; $CELLSYNC_PASSPHRASE,
 * for scripts that cannot pass a descriptor (any process of the same user
 * can read the environment, so the descriptor is better); the terminal,
 * without echo. The web pages never ask on the terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/key.h"
#include "client.h"

/* The unlock page's passphrase: sodium_malloc memory, for the ui's server and sync threads. */
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static char *kept;
static size_t kept_len;
static int no_terminal;

/* One line from fd into buf (cap bytes), without its end of line: 0, or -errno. */
static int
read_line(int fd, char *buf, size_t cap, size_t *len)
{
    size_t n = 0;
    char ch;

    for (;;) {
        ssize_t r = read(fd, &ch, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0 || ch == '\n')
            break;
        if (n < cap)
            buf[n++] = ch;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    *len = n;
    return 0;
}

/* Asks prompt on the terminal with echo off. */
static int
from_terminal(const char *prompt, char *buf, size_t cap, size_t *len, char *err, size_t errlen)
{
    struct termios old, quiet;
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    int ret;

    if (fd < 0 || no_terminal) {
        if (fd >= 0)
            close(fd);
        return cs_errf(err, errlen, CS_EINVAL,
                       _("the key of this device is sealed with a passphrase, and there is no "
                         "terminal to ask it on: set CELLSYNC_PASSPHRASE_FD"));
    }
    int echo_off = tcgetattr(fd, &old) == 0;
    if (echo_off) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    /* A prompt that cannot be shown does not stop the read. */
    ssize_t shown = write(fd, prompt, strlen(prompt));
    (void)shown;
    ret = read_line(fd, buf, cap, len);
    if (echo_off)
        tcsetattr(fd, TCSAFLUSH, &old);
    close(fd);
    if (ret != 0)
        return cs_errf(err, errlen, ret, _("cannot read the passphrase: %s"), cs_strerror(ret));
    return 0;
}

int
client_pass_ask(const char *fd_env, const char *env, const char *prompt, char *buf, size_t cap,
                size_t *len, char *err, size_t errlen)
{
    const char *v = getenv(fd_env);

    if (v != NULL && v[0] != 0) {
        char *end;
        long fd = strtol(v, &end, 10);
        if (*end != 0 || fd < 0 || fd > 1000000)
            return cs_errf(err, errlen, CS_EINVAL,
                           _("cannot use %s: '%s' is not a file descriptor"), fd_env, v);
        int ret = read_line((int)fd, buf, cap, len);
        if (ret != 0)
            return cs_errf(err, errlen, ret, _("cannot read the passphrase from %s=%s: %s"), fd_env,
                           v, cs_strerror(ret));
        return 0;
    }
    if ((v = getenv(env)) != NULL) {
        *len = strlen(v) < cap ? strlen(v) : cap;
        memcpy(buf, v, *len);
        return 0;
    }
    return from_terminal(prompt, buf, cap, len, err, errlen);
}

static int
pass_get(void *ud, char *buf, size_t cap, size_t *len, char *err, size_t errlen)
{
    (void)ud;
    pthread_mutex_lock(&kept_lock);
    if (kept != NULL) {
        *len = kept_len < cap ? kept_len : cap;
        memcpy(buf, kept, *len);
        pthread_mutex_unlock(&kept_lock);
        return 0;
    }
    pthread_mutex_unlock(&kept_lock);
    return client_pass_ask("CELLSYNC_PASSPHRASE_FD", "CELLSYNC_PASSPHRASE",
                           _("Passphrase of this device's key: "), buf, cap, len, err, errlen);
}

const struct cs_key_pass client_pass = {pass_get, NULL};

int
client_pass_keep(const char *pass, size_t len)
{
    char *p = sodium_malloc(len > 0 ? len : 1);
    if (p == NULL)
        return CS_ENOMEM;
    memcpy(p, pass, len);
    pthread_mutex_lock(&kept_lock);
    sodium_free(kept);
    kept = p;
    kept_len = len;
    pthread_mutex_unlock(&kept_lock);
    return 0;
}

int
client_pass_kept(void)
{
    pthread_mutex_lock(&kept_lock);
    int k = kept != NULL;
    pthread_mutex_unlock(&kept_lock);
    return k;
}

void
client_pass_no_terminal(void)
{
    no_terminal = 1;
}
