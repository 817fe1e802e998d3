/* SPDX-License-Identifier: MIT */
/*
 * A device's connection to `cellsyncd serve` (see conn.c). Its fields are
 * the loop's, but for `dev`, the worker's.
 */
#ifndef CELLSYNC_DAEMON_CONN_H
#define CELLSYNC_DAEMON_CONN_H

#include <uv.h>

#include "cellsync/wire.h"
#include "peer.h"
#include "serve.h"
#include "worker.h"

/*
 * A connection's life, one way: HELLO (before authentication: small frames,
 * a short timeout) -> HEADER (welcome and the hub's stream header sent, the
 * device's header awaited) -> SESSION -> DRAINING (an answer or an error is
 * being written: nothing more is read or started, and the connection closes
 * once it is written) -> CLOSING (the socket is being closed) -> CLOSED (the
 * socket is closed; the connection waits only for its jobs on the worker).
 * Every state before CLOSING may go to CLOSING at once (conn_close). In
 * CLOSED with no job left the timer is closed, and its close callback
 * (conn_free) is the one place that frees a connection.
 */
enum conn_state { C_HELLO, C_HEADER, C_SESSION, C_DRAINING, C_CLOSING, C_CLOSED };

/*
 * From the welcome on, the two directions of a session run apart, each to
 * its own DONE and in either order: each has a small state of its own beside
 * the connection's, rather than one state per combination.
 */
enum up_state { UP_OPEN, UP_DONE }; /* the device's chunks; UP_DONE once its DONE came */
/* The hub's chunks; DOWN_MAKING while a J_CHUNK_OUT is queued or running. */
enum down_state { DOWN_IDLE, DOWN_MAKING, DOWN_DONE };

struct server;

struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer; /* the handshake or idle timeout; closed last (see enum conn_state) */
    struct server *srv;
    enum conn_state state;
    enum up_state up;
    enum down_state down;
    /*
     * Not a state: reading pauses while a hello is answered and while
     * JOBS_HIGH jobs wait (backpressure), in HELLO or SESSION alike, and
     * resumes without the state changing. Never 1 from DRAINING on.
     */
    int reading;
    int shut;      /* DRAINING: the last frame written and our side shut (lingering close) */
    int peer_gone; /* DRAINING: the device hung up, or its side cannot be read */
    /*
     * The jobs of this connection queued or on the worker: the
     * backpressure above, and the connection outlives them (CLOSED). Writes
     * and the shutdown request need no count: libuv calls their callbacks
     * (with UV_ECANCELED if need be) before the socket's close callback.
     */
    int jobs;
    char addr[64];       /* the peer's IP, for logs */
    char who[16];        /* the device's short id, for logs */
    struct cs_id dev_id; /* the device, once welcomed (who set): J_REVOKED asks of it */
    uint64_t started;    /* uv_now when accepted: the session's lifetime counts from it */
    int quiet;           /* its close is not logged: the enrollment guard logged it (guard.h) */
    struct guard_slot *gslot; /* its address's slot, counting it (guard_connect), or NULL */
    int msg1_read;            /* a msg1 of it decrypted: its close is no scan's (guard_preauth) */
    uint8_t *rbuf;
    size_t rlen, rcap;
    size_t queued;   /* bytes handed to uv_write and not yet written */
    struct cs_hs hs; /* from the hello job, until the device's header is read */
    int proven;      /* a frame of the device's stream opened: J_PROVEN queued */
    /*
     * The admission writes at the proof (a new device, a name to publish):
     * the hub's chunks wait for J_PROVEN's end, so they carry what it wrote.
     */
    int down_waits;
    struct cs_session sess;
    /*
     * The device's key (from its hello), which its chunks are opened with on
     * the crypto stage; while one is (opening), the session's later jobs
     * are held, in order (conn_job_push).
     */
    uint8_t dev_pk[CS_PK_LEN];
    int opening;
    struct job *held, *held_tail;
    /* Enrollment by code (pake.h): the run, from START on; sodium_malloc'd, wiped when freed. */
    struct cs_pake *pake;
    int64_t pake_row;   /* the enrollment the REPLY was for */
    int pake_ok;        /* the device's CONFIRM was right */
    unsigned pake_held; /* seconds the address had to wait at START (guard.h) */
    size_t up_changes, down_changes, refused, conflicts;
    /* The worker's, never touched on the loop (see struct conn_dev). */
    struct conn_dev dev;
};

void conn_close(struct conn *c, const char *reason);
void conn_job_done(struct job *j);
/* Back on the loop: a chunk opened on the crypto stage goes to the worker, then the jobs held. */
void conn_chunk_opened(struct job *j);
/* Back on the loop: the sessions of the devices a J_REVOKED found revoked are told and closed. */
void conn_revoked_done(struct job *j);

/*
 * Listens on addr for devices, served on s->loop with s->hub and the limits
 * and timeouts of s->conf. 0 and *port the port bound (the one the system
 * chose for port 0), or a libuv error with the listener closing.
 */
int conn_listen(struct server *s, const struct sockaddr *addr, int *port);

/*
 * Stops serving (after conn_listen): the listener closes, idle connections
 * close now, busy ones once their last job is done.
 */
void conn_stop(struct server *s);

#endif
