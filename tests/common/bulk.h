/* SPDX-License-Identifier: MIT */
/*
 * The candidates the bulk writers make (tests/net/cs_bulk.c, bench/hub_fill.c,
 * bench/merge_load.c): 7 text registers each, names, home towns and notes in
 * Vietnamese with diacritics, so the bytes on the wire are the multi-byte
 * UTF-8 a real cell sends.
 */
#ifndef CELLSYNC_TEST_BULK_H
#define CELLSYNC_TEST_BULK_H

#include <stddef.h>

#include "cellsync/replica.h"

#define CS_TEST_CANDIDATE_REGS 7

/*
 * Candidate number i of unit org written into r, inside the caller's local
 * transaction: 0, or a negative code with err filled.
 */
int cs_test_candidate(struct cs_replica *r, const char *org, long i, char *err, size_t errlen);

#endif
