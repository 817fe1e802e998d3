/* SPDX-License-Identifier: MIT */
/*
 * Bulk writer for the network tests: fills the replica of $CELLSYNC_HOME
 * with many candidates in one process, as a cell would over a busy month,
 * so a test need not start the fixture once per record. Writes go through
 * the replica API in transactions of ten, the way a device records them, so
 * the change sets the sync cuts into chunks have realistic boundaries.
 *
 *   cs_bulk candidates N [ORG]    N candidates in ORG (default: the device's
 *                                 org from enrollment); prints N
 *
 * The candidates are tests/common/bulk.h's: names, home towns and notes in
 * Vietnamese with diacritics, the multi-byte UTF-8 a real cell sends.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "cellsync/error.h"
#include "cellsync/meta.h"
#include "cellsync/replica.h"
#include "cellsync/version.h"

#define PER_TX 10

static char err[1024];

static void
die(const char *what, int ret)
{
    fprintf(stderr, "cs_bulk: %s: %s\n", what, err[0] ? err : cs_strerror(ret));
    exit(1);
}

static int
candidates(long n, const char *org_arg)
{
    const char *home = getenv("CELLSYNC_HOME");
    char path[PATH_MAX], org[64] = "";
    struct cs_replica *r;
    int ret;

    if (home == NULL || home[0] == 0) {
        fprintf(stderr, "cs_bulk: CELLSYNC_HOME is not set\n");
        return 2;
    }
    snprintf(path, sizeof(path), "%s/replica.db", home);
    if ((ret = cs_replica_open(&r, path, 0, NULL, err, sizeof(err))) != 0)
        die(path, ret);
    if (org_arg != NULL)
        snprintf(org, sizeof(org), "%s", org_arg);
    else if (cs_replica_meta_get(r, CS_META_ORG, org, sizeof(org)) != 0 || org[0] == 0) {
        fprintf(stderr, "cs_bulk: '%s' has no org: give ORG, or enroll first\n", path);
        cs_replica_close(r);
        return 1;
    }
    for (long i = 0; i < n; i += PER_TX) {
        if ((ret = cs_replica_begin(r, err, sizeof(err))) != 0)
            die("begin", ret);
        for (long k = i; k < n && k < i + PER_TX; k++)
            if ((ret = cs_test_candidate(r, org, k, err, sizeof(err))) != 0)
                die("candidate", ret);
        if ((ret = cs_replica_commit(r, err, sizeof(err))) != 0)
            die("commit", ret);
    }
    cs_replica_close(r);
    printf("%ld\n", n);
    return 0;
}

int
main(int argc, char **argv)
{
    if (cs_init() != 0) {
        fprintf(stderr, "cs_bulk: cannot start\n");
        return 1;
    }
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "candidates") == 0) {
        char *end;
        long n = strtol(argv[2], &end, 10);
        if (*end != 0 || n < 0 || n > 10000000) {
            fprintf(stderr, "cs_bulk: '%s' is not a count\n", argv[2]);
            return 2;
        }
        return candidates(n, argc == 4 ? argv[3] : NULL);
    }
    fprintf(stderr, "usage: cs_bulk candidates N [ORG]\n");
    return 2;
}
