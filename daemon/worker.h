/* SPDX-License-Identifier: MIT */
/*
 * The worker of `cellsyncd serve`: jobs queued on the loop, run in batches
 * on one thread with one sync of the log each (see worker.c).
 */
#ifndef CELLSYNC_DAEMON_WORKER_H
#define CELLSYNC_DAEMON_WORKER_H

#include <sqlite3.h>

#include "cellsync/sync.h"
#include "cellsync/wire.h"
#include "peer.h"
#include "serve.h"

struct conn;

enum job_kind { J_HELLO, J_CHUNK_IN, J_CHUNK_OUT, J_ACK_IN, J_DONE_IN, J_BYE, J_IMPORT };

struct inbox_job;

struct job {
    struct job *next;
    struct server *srv;
    struct conn *conn; /* NULL for J_IMPORT */
    enum job_kind kind;
    int ret;
    char err[512];
    /* J_HELLO: msg1 in; msg2 out */
    uint8_t *in;
    size_t inlen;
    uint8_t out[CS_WIRE_MAX_PREAUTH];
    size_t outlen;
    int close_after;
    /* J_CHUNK_IN */
    struct hub_merge merge;
    /* J_CHUNK_OUT */
    struct cs_chunk chunk;
    /* J_ACK_IN */
    uint64_t ack;
    /* J_IMPORT: a bundle of the inbox */
    struct inbox_job *imp;
};

struct job *job_new(struct conn *c, enum job_kind kind);
void job_push(struct job *j);
void job_free(struct job *j);
int group_commit_start(sqlite3 *db);

#endif
