/* SPDX-License-Identifier: MIT */
/*
 * The worker of `cellsyncd serve`: jobs queued on the loop, run in batches
 * on one thread with one sync of the log each (see worker.c).
 *
 * Who touches what. A job is the loop's until job_push, the worker's while
 * its batch runs, and the loop's again in batch_after: its input is written
 * before it is queued and its result read after, never at once (uv_queue_work
 * hands it over). Around the worker, the crypto stage has it the same way
 * (hello_push, chunk_open_push, and msg2 and the hub's chunks after a batch). The worker writes
 * nothing but the results of its jobs and the sessions' struct conn_dev; the loop never reads a
 * conn_dev.
 */
#ifndef CELLSYNC_DAEMON_WORKER_H
#define CELLSYNC_DAEMON_WORKER_H

#include <sqlite3.h>

#include "cellsync/sync.h"
#include "cellsync/wire.h"
#include "peer.h"
#include "serve.h"

struct conn;
struct inbox_job;

/*
 * A device's session as the worker keeps it from one of the session's jobs
 * to the next: filled by the hello job, then read and written only by the
 * session's jobs, in order, on the worker. What the loop needs of it comes
 * back in the jobs' results. Freed with its connection, after its last job.
 */
struct conn_dev {
    struct hub_peer peer;          /* the device, its scope, and the cursors */
    int up_failed;                 /* a chunk of this session failed to merge */
    uint8_t hs_ts[CS_WIRE_TS_LEN]; /* msg1's timestamp, stored once the device is proven */
    int proven;                    /* a session frame of the device opened (J_PROVEN) */
    uint8_t hub_pk[CS_PK_LEN];     /* the hub key msg1 was sealed to: the one it pins */
    int refused;                   /* its admission could not take effect: nothing more runs */
};

/* J_PROVEN: the device's first session frame opened; it holds its key (wire.h). */
enum job_kind {
    J_HELLO,
    J_CHUNK_IN,
    J_CHUNK_OUT,
    J_ACK_IN,
    J_DONE_IN,
    J_BYE,
    J_IMPORT,
    J_RELOAD,
    J_PROVEN,
    J_PAKE,
    J_PAKE_OK,
    J_REVOKED,
};

/* J_HELLO: the device's msg1 in; the reply and, when admitted, the session out. */
struct job_hello {
    uint8_t *msg1; /* in */
    size_t msg1len;
    uint8_t msg2[CS_WIRE_MAX_PREAUTH]; /* out: msg2 or the version reply */
    size_t msg2len;
    int close_after;            /* refused: close once msg2 is written */
    struct cs_hs hs;            /* the handshake's keys, for the session (wiped with the job) */
    struct hub_device dev;      /* admitted: the device, for the logs */
    int restored;               /* its cursor counts in another incarnation (struct hub_peer) */
    char restored_log[160];     /* and what the log says of it */
    struct cs_refusal *refused; /* writes refused for the clock, told once more */
    size_t nrefused;
    unsigned held;     /* in: seconds this address must still wait before a secret is checked */
    int enroll_failed; /* out: 1 a secret checked and wrong, 2 refused unchecked (held) */
    int pending;       /* out: admitted, with writes that wait for the proof (struct hub_peer) */
    /* The crypto stage's (hello_push): msg1 read, then msg2 made, off the worker. */
    int read_rc;               /* cs_hs_hub_read's result */
    int replying;              /* the worker decided: msg2 is made on the crypto stage */
    struct cs_welcome wel;     /* what msg2 says, until it is made */
    int reply_rc;              /* cs_hs_hub_reply's result */
    struct cs_hello peer;      /* the device's hello, once msg1 is read (wiped with the job) */
    uint8_t hub_pk[CS_PK_LEN]; /* the hub key msg1 was sealed to (hub_keys) */
    uint8_t *chain;            /* out: the rotation chain from it, when not the current key */
    size_t chainlen;
};

/*
 * J_PAKE: enrollment by code, the device's SHARE in (the run's state is the
 * connection's, untouched by the loop while the job runs); the REPLY or a
 * refusal out. J_PAKE_OK: the device confirmed, row in.
 */
struct job_pake {
    struct cs_pake *p;
    uint8_t share[CS_PAKE_SHARE_LEN];
    uint8_t reply[CS_PAKE_REPLY_MAX];
    size_t replylen;
    enum cs_pake_refusal refusal;
    int64_t row;
    unsigned held; /* in: seconds the address must still wait (guard.h); then WAIT, unless locked */
};

/* J_CHUNK_IN: a chunk of the device in; what merging it did out. */
struct job_chunk_in {
    uint8_t *env; /* in */
    size_t envlen;
    /* The crypto stage's (chunk_open_push): the chunk opened with the device's key, pk. */
    uint8_t pk[CS_PK_LEN];
    int opened;                   /* 0: opened on the worker (the stage could not take it) */
    int open_rc;                  /* cs_sync_open_sets's result, its message in the job's err */
    struct cs_chunk_sets sets;    /* what it holds, verified and decoded */
    struct cs_envelope_info info; /* its signer and seq range */
    struct hub_merge merge;       /* out */
    uint64_t hub_time;            /* out: the hub's clock after the merge, for the ACK */
};

/* J_CHUNK_OUT: the next chunk for the device out. */
struct job_chunk_out {
    struct cs_chunk chunk;
    uint64_t down_after; /* the hub seq the device has been sent, with this chunk */
};

/*
 * J_REVOKED (conn.c, once a second while sessions are open): the devices of
 * the open sessions in; which of them may no longer sync out, and why.
 */
struct revoked_dev {
    struct cs_id id; /* in */
    int hit;         /* out: revoked since its handshake */
    char msg[160];   /* out: why, as the device is told */
};
struct job_revoked {
    struct revoked_dev *v;
    size_t n;
};

/*
 * One piece of work for the worker (see "who touches what" above). Every
 * kind has ret and err for its result, and its own part of the union.
 */
struct job {
    /* The loop's: the queue, and where the result goes. */
    struct job *next;
    struct server *srv;
    struct conn *conn; /* NULL for J_IMPORT, J_RELOAD and J_REVOKED */
    enum job_kind kind;
    /* The worker's: the session's state (NULL for J_IMPORT, J_RELOAD and J_REVOKED). */
    struct conn_dev *dev;
    /* Result of every kind: 0 or a negative code, and why. */
    int ret;
    char err[512];
    /* The crypto stage's request (hello_push, chunk_open_push; worker.c). */
    uv_work_t crypto_req;
    union {
        struct job_hello hello;
        struct job_pake pake;
        struct job_chunk_in chunk_in;
        struct job_chunk_out chunk_out;
        uint64_t
            seq; /* J_ACK_IN, J_DONE_IN, in: the device's ACK or DONE; J_PROVEN, out: 1 refused */
        struct inbox_job *imp; /* J_IMPORT: a bundle of the inbox, in and out */
        uint64_t max_drift_ms; /* J_RELOAD, in: the clock's new bound (SIGHUP) */
        struct job_revoked revoked;
    } u;
};

/* A job of s (calloc: every field zero); job_free frees what its kind holds. */
struct job *job_new(struct server *s, enum job_kind kind);
void job_push(struct job *j);
/*
 * A J_HELLO (counted in its connection's jobs): msg1 is read on the crypto
 * stage first, and only a msg1 that decrypts goes on to the worker; any
 * other comes back to conn_job_done with j->ret set, the worker untouched.
 */
void hello_push(struct job *j);
/*
 * A J_CHUNK_IN (counted in its connection's jobs, u.chunk_in.pk set): the
 * chunk is opened on the crypto stage, then handed back to the connection
 * (conn_chunk_opened), which pushes it to the worker with the jobs it held.
 */
void chunk_open_push(struct job *j);
void job_free(struct job *j);
int group_commit_start(sqlite3 *db);

#endif
