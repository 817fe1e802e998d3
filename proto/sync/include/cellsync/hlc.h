/* SPDX-License-Identifier: MIT */
/*
 * Hybrid logical clock: 48 bits of Unix milliseconds and a 16-bit counter in
 * one uint64_t, so stamps compare as integers. Stamps never go backward even
 * when the wall clock does, stay close to the wall clock, and a stamp from a
 * device whose clock runs too far ahead is refused rather than dragging every
 * later edit into its future (evolu #709).
 */
#ifndef CELLSYNC_HLC_H
#define CELLSYNC_HLC_H

#include <stdint.h>

#define CS_HLC_COUNTER_BITS 16
#define CS_HLC_COUNTER_MAX  0xffffu
#define CS_HLC_MS_MAX       ((UINT64_C(1) << 48) - 1)
/*
 * How far ahead of the hub a stamp may run: minutes, not a day (F17). A
 * device learns the hub's time at each contact (cs_replica_set_clock_offset),
 * so only the drift since its last sync counts, and a stamp an hour ahead
 * would win every edit of that hour.
 */
#define CS_HLC_DRIFT_DEFAULT_MS (10u * 60u * 1000u)

static inline uint64_t
cs_hlc_make(uint64_t ms, uint16_t counter)
{
    return (ms << CS_HLC_COUNTER_BITS) | counter;
}

static inline uint64_t
cs_hlc_ms(uint64_t stamp)
{
    return stamp >> CS_HLC_COUNTER_BITS;
}

static inline uint16_t
cs_hlc_counter(uint64_t stamp)
{
    return (uint16_t)(stamp & CS_HLC_COUNTER_MAX);
}

/* Reads the physical clock in Unix milliseconds; tests install their own. */
typedef uint64_t (*cs_hlc_clock_fn)(void *ud);

struct cs_hlc {
    uint64_t last;         /* the largest stamp issued or seen */
    uint64_t max_drift_ms; /* how far ahead of our clock a remote stamp may be */
    int64_t offset_ms;     /* added to the clock: the hub's time minus ours */
    cs_hlc_clock_fn clock;
    void *clock_ud;
};

/* The wall clock, CLOCK_REALTIME in milliseconds. */
uint64_t cs_hlc_wall_ms(void *ud);

/* last = 0, the wall clock, no offset. last may be set from stored state after. */
void cs_hlc_init(struct cs_hlc *h, uint64_t max_drift_ms);

/* The physical time as a stamp (counter 0), with the offset applied. */
uint64_t cs_hlc_now(const struct cs_hlc *h);

/*
 * A stamp for a local event (a local transaction, a message sent): larger
 * than every stamp issued or seen before. When the counter would overflow
 * the millisecond part moves one ahead of the clock instead.
 * Returns 0 or CS_ECLOCK when the 48-bit millisecond range is exhausted.
 */
int cs_hlc_send(struct cs_hlc *h, uint64_t *out);

/*
 * Takes in a remote stamp and issues a stamp larger than both it and every
 * earlier one. Returns CS_EDRIFT, leaving the clock unchanged, when the
 * remote stamp is more than max_drift_ms ahead of our physical time.
 */
int cs_hlc_recv(struct cs_hlc *h, uint64_t remote, uint64_t *out);

/* 0 if a peer's stamp is within the drift bound (the rule recv applies), else CS_EDRIFT. */
int cs_hlc_check(const struct cs_hlc *h, uint64_t remote);

/*
 * A hub judges the stamp of a change it takes from its writer with the bound
 * above. A change another hub relays was judged there, against that hub's
 * clock, so it is allowed CS_HLC_RELAY_FACTOR times the bound: refusing it
 * here would leave the two hubs apart for good, and its writer would never
 * hear of it. The _relayed forms apply that bound. The hub itself no longer
 * does (F8): a relayed change comes signed by its writer and is judged with
 * the bound above, as a direct one (daemon/authz.c); the simulator's upper
 * hub (tests/sim) still models the old rule until it runs the hub's code.
 */
#define CS_HLC_RELAY_FACTOR 2
int cs_hlc_check_relayed(const struct cs_hlc *h, uint64_t remote);
int cs_hlc_recv_relayed(struct cs_hlc *h, uint64_t remote, uint64_t *out);

#endif
