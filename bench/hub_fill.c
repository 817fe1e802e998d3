/* SPDX-License-Identifier: MIT */
/*
 * Fills a hub made by `cellsyncd init` with N registers of candidates of one
 * org unit (tests/common/bulk.h's, as cs_bulk and merge_load.c write them), as
 * local transactions of 500 candidates of the hub itself, through hub_open
 * (so the hub's own hooks, the change log's among them, see every row). For
 * the first contact against hub size (bench_first.sh): the unit lies outside
 * every measured device's scope.
 *   hub_fill STATE ORG NREGS
 */
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "bulk.h"
#include "cellsync/error.h"
#include "cellsync/replica.h"
#include "cellsync/version.h"
#include "hub.h"

static char err[1024];

static void
die(const char *what, int ret)
{
    fprintf(stderr, "hub_fill: %s: %s (%d)\n", what, err, ret);
    exit(1);
}

int
main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: hub_fill STATE ORG NREGS\n");
        return 2;
    }
    long n = atol(argv[3]) / CS_TEST_CANDIDATE_REGS;
    struct hub *h;
    int ret;
    if (cs_init() != 0)
        return 1;
    if ((ret = hub_open(&h, argv[1], err, sizeof(err))) != 0)
        die("open", ret);
    struct cs_replica *r = hub_replica(h);
    /* Scratch data: a crash loses nothing worth the fsyncs. */
    sqlite3_exec(cs_replica_db(r), "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    for (long i = 0; i < n; i += 500) {
        if ((ret = cs_replica_begin(r, err, sizeof(err))) != 0)
            die("begin", ret);
        for (long k = i; k < n && k < i + 500; k++)
            if ((ret = cs_test_candidate(r, argv[2], k, err, sizeof(err))) != 0)
                die("candidate", ret);
        if ((ret = cs_replica_commit(r, err, sizeof(err))) != 0)
            die("commit", ret);
    }
    sqlite3_exec(cs_replica_db(r), "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    printf("hub_fill: %ld candidates, %ld registers, hub seq %llu\n", n, n * CS_TEST_CANDIDATE_REGS,
           (unsigned long long)cs_replica_seq(r));
    hub_close(h);
    return 0;
}
