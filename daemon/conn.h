/* SPDX-License-Identifier: MIT */
/*
 * A device's connection to `cellsyncd serve` (see conn.c).
 */
#ifndef CELLSYNC_DAEMON_CONN_H
#define CELLSYNC_DAEMON_CONN_H

#include <uv.h>

#include "cellsync/wire.h"
#include "peer.h"
#include "serve.h"

enum conn_state { C_HELLO, C_HEADER, C_SESSION, C_CLOSING };

struct server;

struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    struct server *srv;
    enum conn_state state;
    int refs; /* the handles, and every job in the queue */
    int handles_open;
    char addr[64]; /* the peer's IP, for logs */
    char who[16];  /* the device's short id, for logs */
    uint8_t *rbuf;
    size_t rlen, rcap;
    size_t queued; /* bytes handed to uv_write and not yet written */
    int jobs, reading, chunk_out_busy, down_done, up_done, finishing;
    int up_failed; /* a chunk of this session failed to merge (set and read on the worker) */
    struct cs_hs hs;
    struct cs_session sess;
    struct hub_peer peer; /* set by the hello job */
    size_t up_changes, down_changes, refused, conflicts;
};

void conn_close(struct conn *c, const char *reason);
void job_done_conn(struct job *j);
void on_connection(uv_stream_t *l, int status);

#endif
