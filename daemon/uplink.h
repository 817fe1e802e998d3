/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd serve` of a hub below another syncs up on its own (uplink.c):
 * on a thread of its own, with its own connection to the replica, every
 * upstream_interval seconds, and after a failed try again in 30 s, 1, 2, 4
 * ... minutes up to that interval, so a link that comes up for a few
 * minutes is used. SIGHUP asks for a try now. Each try is logged
 * (event=upstream-sync or upstream-failed) and noted for `cellsyncd
 * upstream status`. A hub with no hub above, or with `upstream = off`,
 * starts no thread; one reloaded with `upstream = off` tries no more.
 */
#ifndef CELLSYNC_DAEMON_UPLINK_H
#define CELLSYNC_DAEMON_UPLINK_H

#include <limits.h>
#include <uv.h>

#include "config.h"

#define UPLINK_RETRY_S 30 /* the first wait after a failed try */

struct uplink {
    uv_thread_t thread;
    uv_mutex_t mu;
    uv_cond_t cv;
    int started, stop, now, off; /* off: reloaded with `upstream = off` */
    int stop_pipe[2];            /* written on stop: a sync in flight ends at once */
    char state[PATH_MAX];
    char addr[256]; /* HOST:PORT, or "" for the enrolled address */
    unsigned interval, max_drift_minutes, timeout;
};

/* Starts the thread if c names no "off" and the hub in c->state has a hub above. 0 or < 0. */
int uplink_start(struct uplink *u, const struct conf *c);
/* A try now (SIGHUP), and the new interval and address of a reloaded configuration. */
void uplink_kick(struct uplink *u, const struct conf *c);
/* Asks the thread to stop and waits for it (a sync in flight ends at once). */
void uplink_stop(struct uplink *u);

#endif
