/* SPDX-License-Identifier: MIT */
/* The reference month of one cell (month.c), and the benches' error exits. */
#ifndef CELLSYNC_BENCH_MONTH_H
#define CELLSYNC_BENCH_MONTH_H

#include "cellsync/replica.h"

extern char bench_err[1024];
extern const char bench_minutes[]; /* the meeting's ~3 KB of minutes */
void bench_die(const char *what, int ret) __attribute__((noreturn));
void bench_check(const char *what, int ret);
void bench_month(struct cs_replica *r);
/* One text register in the open transaction, or exit. */
void bench_set_text(struct cs_replica *r, const char *table, const struct cs_id *row,
                    const char *col, const char *text);

#endif
