/* SPDX-License-Identifier: MIT */
/*
 * The daemon's log while it serves: one event per line, as logfmt
 * ("event=hello org=CB-01 ..."), at a syslog priority (LOG_ERR, LOG_WARNING,
 * LOG_NOTICE, LOG_INFO from <syslog.h>; sd-daemon.h's SD_ERR... are the same
 * numbers). When stderr is the journal's stream (systemd says so in
 * $JOURNAL_STREAM), each event goes to the journal with sd_journal_sendv:
 * PRIORITY=, MESSAGE= (the line), SYSLOG_IDENTIFIER=cellsyncd and one field
 * per key of the line in capitals (EVENT=, PEER=, DEVICE=, ORG=, REASON=...).
 * Otherwise it is the line "cellsyncd: LEVEL key=value..." on stderr.
 */
#ifndef CELLSYNC_DAEMON_LOG_H
#define CELLSYNC_DAEMON_LOG_H

#include <stdarg.h>
#include <syslog.h>

/*
 * Looks once whether stderr is the journal's stream; before any thread
 * logs. Without it every line goes to stderr.
 */
void log_init(void);

/* 1 when the events go to the journal (log_init decided so). */
int log_to_journal(void);

/*
 * One event at priority prio. peer and device (the connection's address
 * and the device's short id, "-" for none) lead the line when peer is not
 * NULL. fmt starts with "event=". Any thread.
 */
void log_line(int prio, const char *peer, const char *device, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void log_vline(int prio, const char *peer, const char *device, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/*
 * Why serve cannot start or go on, as the text people read ("cellsyncd: ..."
 * lines, fmt ends with a newline): to stderr as it is, or to the journal at
 * LOG_ERR with event=serve-failed, without the "cellsyncd: " of each line.
 */
void log_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
