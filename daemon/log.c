/* SPDX-License-Identifier: MIT */
/*
 * The daemon's log while it serves (log.h): the logfmt line on stderr, or
 * the same event in the journal with its priority and its keys as fields,
 * so that `journalctl -u cellsyncd -p warning` and
 * `journalctl -u cellsyncd DEVICE=7829fa58` find it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "log.h"

/* An event's line; longer ones are cut (a reason is at most a few hundred bytes). */
#define LINE_MAX_ 4096
/* Fields of one event beyond PRIORITY=, SYSLOG_IDENTIFIER= and MESSAGE=. */
#define KEYS_MAX 32

/*
 * Set by log_init before any other thread runs, then only read: stderr is
 * the journal's stream (journal), and its socket for native events is
 * there (native).
 */
static int journal, native;

void
log_init(void)
{
    /*
     * systemd sets JOURNAL_STREAM to "DEVICE:INODE" (decimal) of the stream
     * it connected stdout and stderr to (systemd.exec(5)). Only when stderr
     * is still that stream does it lead to the journal: a shell that
     * redirected it, or a child that inherited the variable, keeps the line.
     */
    const char *e = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    char tail;
    struct stat st;
    journal = e != NULL && sscanf(e, "%llu:%llu%c", &dev, &ino, &tail) == 2 &&
              fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
              (unsigned long long)st.st_ino == ino;
    /*
     * sd_journal_sendv reports success when the socket is missing (it
     * drops the event): without it, the line goes to the stream with its
     * "<N>" prefix, which journald reads as the priority.
     */
    native = journal && access("/run/systemd/journal/socket", W_OK) == 0;
}

int
log_to_journal(void)
{
    return journal;
}

static const char *
level_word(int prio)
{
    switch (prio) {
    case LOG_EMERG:
    case LOG_ALERT:
    case LOG_CRIT:
    case LOG_ERR:
        return "error";
    case LOG_WARNING:
        return "warning";
    case LOG_NOTICE:
        return "notice";
    case LOG_INFO:
        return "info";
    default:
        return "debug";
    }
}

/* Fields the journal gives a meaning of its own: a key of the line by that name is left out. */
static int
reserved(const char *k, size_t n)
{
    static const char *const names[] = {
        "MESSAGE",         "MESSAGE_ID", "PRIORITY",  "ERRNO",     "SYSLOG_IDENTIFIER",
        "SYSLOG_FACILITY", "SYSLOG_PID", "CODE_FILE", "CODE_LINE", "CODE_FUNC"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == n && memcmp(names[i], k, n) == 0)
            return 1;
    return 0;
}

/*
 * The line's key=value pairs as fields "KEY=value" into out (room for the
 * line's length and one byte a pair), one iovec each after iov[*n]. A
 * quoted value ends at a quote followed by a space or the end; a word
 * that is no key=value is skipped.
 */
static void
line_fields(const char *line, char *out, struct iovec *iov, size_t *n, size_t max)
{
    const char *p = line;
    while (*p != 0 && *n < max) {
        while (*p == ' ')
            p++;
        const char *k = p;
        while (islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_')
            p++;
        size_t klen = (size_t)(p - k);
        if (klen == 0 || klen > 64 || !isalpha((unsigned char)k[0]) || *p != '=') {
            /* Not a key: on to the next word (past a quoted value in it). */
            int quoted = 0;
            while (*p != 0 && (quoted || *p != ' ')) {
                if (*p == '"')
                    quoted = !quoted;
                p++;
            }
            continue;
        }
        const char *v = ++p;
        size_t vlen;
        if (*v == '"') {
            const char *q = ++v;
            while (*q != 0 && !(*q == '"' && (q[1] == ' ' || q[1] == 0)))
                q++;
            vlen = (size_t)(q - v);
            p = *q != 0 ? q + 1 : q;
        } else {
            while (*p != 0 && *p != ' ')
                p++;
            vlen = (size_t)(p - v);
        }
        char *f = out;
        for (size_t i = 0; i < klen; i++)
            *out++ = (char)toupper((unsigned char)k[i]);
        if (reserved(f, klen)) {
            out = f;
            continue;
        }
        *out++ = '=';
        memcpy(out, v, vlen);
        out += vlen;
        iov[(*n)++] = (struct iovec){.iov_base = f, .iov_len = (size_t)(out - f)};
    }
}

/* 0 once the journal has the event; -1 (nothing sent) when it could not be told. */
static int
journal_send(int prio, const char *message, const char *fields_of)
{
    char pri[16], fields[2 * LINE_MAX_ + 64], field[LINE_MAX_ + 16];
    struct iovec iov[3 + KEYS_MAX];
    size_t n = 0;
    int pn = snprintf(pri, sizeof(pri), "PRIORITY=%d", prio);
    int mn = snprintf(field, sizeof(field), "MESSAGE=%s", message);
    if (mn >= (int)sizeof(field))
        mn = (int)sizeof(field) - 1;
    iov[n++] = (struct iovec){.iov_base = pri, .iov_len = (size_t)pn};
    iov[n++] = (struct iovec){.iov_base = (char *)"SYSLOG_IDENTIFIER=cellsyncd", .iov_len = 27};
    iov[n++] = (struct iovec){.iov_base = field, .iov_len = (size_t)mn};
    line_fields(fields_of, fields, iov, &n, sizeof(iov) / sizeof(iov[0]));
    return sd_journal_sendv(iov, (int)n) == 0 ? 0 : -1;
}

void
log_vline(int prio, const char *peer, const char *device, const char *fmt, va_list ap)
{
    char line[LINE_MAX_];
    int n = 0;
    if (peer != NULL)
        n = snprintf(line, sizeof(line), "peer=%s device=%s ", peer,
                     device != NULL && device[0] ? device : "-");
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0; /* an address longer than a line: the event without it, never past the buffer */
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    if (native && journal_send(prio, line, line) == 0)
        return;
    /*
     * One line at a time: the worker and the uplink thread log too. In the
     * journal's stream (its socket could not be reached) the "<N>" prefix
     * still gives journald the priority.
     */
    flockfile(stderr);
    if (journal)
        fprintf(stderr, "<%d>", prio);
    fprintf(stderr, "cellsyncd: %s %s\n", level_word(prio), line);
    funlockfile(stderr);
}

void
log_line(int prio, const char *peer, const char *device, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vline(prio, peer, device, fmt, ap);
    va_end(ap);
}

void
log_fail(const char *fmt, ...)
{
    char text[LINE_MAX_], msg[LINE_MAX_];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (native) {
        /* The text without the "cellsyncd: " of each line (the journal names the sender). */
        static const char pre[] = "cellsyncd: ";
        const char *p = text;
        size_t o = 0;
        while (*p != 0 && o + 1 < sizeof(msg)) {
            if ((p == text || p[-1] == '\n') && strncmp(p, pre, sizeof(pre) - 1) == 0)
                p += sizeof(pre) - 1;
            msg[o++] = *p++;
        }
        while (o > 0 && msg[o - 1] == '\n')
            o--;
        msg[o] = 0;
        if (journal_send(LOG_ERR, msg, "event=serve-failed") == 0)
            return;
    }
    if (!journal) {
        fputs(text, stderr);
        return;
    }
    /* The journal's stream: each line with the priority journald reads from it. */
    for (const char *p = text; *p != 0;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);
        fprintf(stderr, "<%d>%.*s", LOG_ERR, (int)n, p);
        p += n;
    }
}
