/* SPDX-License-Identifier: MIT */
/*
 * cellsyncd's configuration: one file of `key = value` lines (# comments),
 * then the command-line flags over it. Every key, its default and its
 * meaning are in packaging/cellsyncd.conf.
 */
#ifndef CELLSYNC_DAEMON_CONFIG_H
#define CELLSYNC_DAEMON_CONFIG_H

#include <limits.h>
#include <stddef.h>

#define CONF_DEFAULT_PATH "/etc/cellsync/cellsyncd.conf"

struct conf {
    char state[PATH_MAX];                 /* state = /var/lib/cellsyncd */
    char listen[128];                     /* listen = 0.0.0.0:7461 */
    unsigned max_drift_minutes;           /* max_drift_minutes = 10 (or max_drift_hours) */
    unsigned handshake_timeout;           /* handshake_timeout = 10 (seconds) */
    unsigned idle_timeout;                /* idle_timeout = 120 (seconds) */
    unsigned session_lifetime;            /* session_lifetime = 1800 (seconds) */
    unsigned max_connections;             /* max_connections = 2048 */
    unsigned max_connections_per_address; /* max_connections_per_address = 256 */
    unsigned handshakes_per_address;      /* handshakes_per_address = 20 (a second) */
    unsigned preauth_log_lines;           /* preauth_log_lines = 5 (per address a minute) */
    char inbox[PATH_MAX];                 /* inbox = DIR: bundles to import ("" = none) */
    char holidays[PATH_MAX];              /* holidays = FILE: extra public holidays ("" = none) */
    char backup_recipient[PATH_MAX];      /* backup_recipient = FILE.pub or age1...: backups' key */
    char upstream[256];         /* upstream = HOST:PORT of the hub above, "off" ("": enrolled) */
    unsigned upstream_interval; /* upstream_interval = 300 (seconds between syncs up) */
};

void conf_defaults(struct conf *c);

/*
 * Reads path over c. A missing file is an error only when required (the
 * user named it with --config). Unknown keys and bad values name the line.
 */
int conf_load(struct conf *c, const char *path, int required, char *err, size_t errlen);

#endif
