/* SPDX-License-Identifier: MIT */
/* The reference change set for vectors and benchmarks (see sample.c). */
#ifndef CELLSYNC_TEST_SAMPLE_H
#define CELLSYNC_TEST_SAMPLE_H

#include "cellsync/changeset.h"

/* Fixed key seeds of the vectors: a cell, its hub, an envelope's ephemeral key. */
extern const uint8_t cs_test_cell_seed[32], cs_test_hub_seed[32], cs_test_eph_seed[32];

/* A fixed UUIDv7-shaped id, distinct for each n. */
void cs_test_fill_id(struct cs_id *id, unsigned n);

/* OUT: *out, caller frees with cs_changeset_free(). 100 changes from origin. */
int cs_test_sample(struct cs_changeset **out, const struct cs_id *origin);

#endif
