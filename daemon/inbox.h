/* SPDX-License-Identifier: MIT */
/*
 * The inbox of `cellsyncd serve`: bundles dropped into a directory are
 * imported by the worker (see inbox.c).
 */
#ifndef CELLSYNC_DAEMON_INBOX_H
#define CELLSYNC_DAEMON_INBOX_H

#include <uv.h>

#include "config.h"
#include "hub.h"

struct server;
struct job;

/* The inbox's handles (see inbox.c); in use when `inbox` is configured. */
struct inbox {
    uv_fs_event_t ev;
    uv_timer_t timer;
    int on;   /* the handles are open */
    int busy; /* an import is queued or running */
};

void inbox_work(struct hub *h, struct job *j);
void inbox_done(struct job *j);
int inbox_check(const struct conf *c);
void inbox_start(struct server *s);
void inbox_stop(struct server *s);

#endif
