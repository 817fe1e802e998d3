/* SPDX-License-Identifier: MIT */
/*
 * The hybrid logical clock of cellsync/hlc.h. Every stamp issued is larger
 * than every stamp issued or seen before. When more than 65536 events fall in
 * one millisecond the counter carries into the millisecond part, so the clock
 * runs ahead of the wall clock by 1 ms per 65536 such events and falls back in
 * step as the wall clock advances past it. Remote stamps further ahead than
 * max_drift_ms are refused so a device with a wrong clock cannot pull every
 * later stamp into its future.
 */
#include <time.h>

#include "cellsync/error.h"
#include "cellsync/hlc.h"

uint64_t
cs_hlc_wall_ms(void *ud)
{
    struct timespec ts;

    (void)ud;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
cs_hlc_init(struct cs_hlc *h, uint64_t max_drift_ms)
{
    h->last = 0;
    h->max_drift_ms = max_drift_ms;
    h->offset_ms = 0;
    h->clock = cs_hlc_wall_ms;
    h->clock_ud = NULL;
}

/*
 * The clock plus the offset, clamped at 0 below and at UINT64_MAX above.
 * Not clamped to 48 bits: a value above CS_HLC_MS_MAX is reported as
 * CS_ECLOCK by the callers that can return an error.
 */
static uint64_t
physical_ms(const struct cs_hlc *h)
{
    cs_hlc_clock_fn read_clock = h->clock != NULL ? h->clock : cs_hlc_wall_ms;
    uint64_t t = read_clock(h->clock_ud);

    if (h->offset_ms >= 0) {
        uint64_t ahead = (uint64_t)h->offset_ms;
        return t > UINT64_MAX - ahead ? UINT64_MAX : t + ahead;
    }
    /* -(offset + 1) + 1 so INT64_MIN does not overflow on negation. */
    uint64_t behind = (uint64_t)(-(h->offset_ms + 1)) + 1u;
    return t < behind ? 0 : t - behind;
}

uint64_t
cs_hlc_now(const struct cs_hlc *h)
{
    uint64_t pt = physical_ms(h);

    /* No error return here: saturate rather than shift bits out of the stamp. */
    if (pt > CS_HLC_MS_MAX)
        pt = CS_HLC_MS_MAX;
    return cs_hlc_make(pt, 0);
}

/* Written as a difference so a huge max_drift_ms ("no limit") cannot overflow. */
static int
within_drift(uint64_t remote, uint64_t pt, uint64_t max_drift_ms)
{
    uint64_t rms = cs_hlc_ms(remote);

    return rms <= pt || rms - pt <= max_drift_ms;
}

/*
 * Issues the next stamp after base (the largest stamp known) at physical
 * time pt: the physical time itself if it is ahead, otherwise base plus one
 * in the counter, carrying into the millisecond part when the counter is
 * full. h is changed only on success.
 */
static int
advance(struct cs_hlc *h, uint64_t base, uint64_t pt, uint64_t *out)
{
    if (pt > CS_HLC_MS_MAX)
        return CS_ECLOCK;

    uint64_t next;
    uint64_t ms = cs_hlc_ms(base);
    uint16_t counter = cs_hlc_counter(base);
    if (pt > ms) {
        next = cs_hlc_make(pt, 0);
    } else if (counter < CS_HLC_COUNTER_MAX) {
        next = cs_hlc_make(ms, (uint16_t)(counter + 1u));
    } else {
        if (ms >= CS_HLC_MS_MAX)
            return CS_ECLOCK;
        next = cs_hlc_make(ms + 1u, 0);
    }
    h->last = next;
    *out = next;
    return 0;
}

int
cs_hlc_send(struct cs_hlc *h, uint64_t *out)
{
    return advance(h, h->last, physical_ms(h), out);
}

/* The bound for a relayed stamp, without overflow for a huge ("no limit") bound. */
static uint64_t
relay_drift(const struct cs_hlc *h)
{
    return h->max_drift_ms > UINT64_MAX / CS_HLC_RELAY_FACTOR
               ? UINT64_MAX
               : h->max_drift_ms * CS_HLC_RELAY_FACTOR;
}

static int
recv_within(struct cs_hlc *h, uint64_t remote, uint64_t max_drift_ms, uint64_t *out)
{
    uint64_t pt = physical_ms(h);

    if (!within_drift(remote, pt, max_drift_ms))
        return CS_EDRIFT;
    /*
     * Stamps compare as integers, so the larger of the two carries both the
     * larger millisecond and, on a tie, the larger counter: advancing from it
     * is the usual HLC receive rule.
     */
    uint64_t base = remote > h->last ? remote : h->last;
    return advance(h, base, pt, out);
}

int
cs_hlc_recv(struct cs_hlc *h, uint64_t remote, uint64_t *out)
{
    return recv_within(h, remote, h->max_drift_ms, out);
}

int
cs_hlc_recv_relayed(struct cs_hlc *h, uint64_t remote, uint64_t *out)
{
    return recv_within(h, remote, relay_drift(h), out);
}

int
cs_hlc_check(const struct cs_hlc *h, uint64_t remote)
{
    return within_drift(remote, physical_ms(h), h->max_drift_ms) ? 0 : CS_EDRIFT;
}

int
cs_hlc_check_relayed(const struct cs_hlc *h, uint64_t remote)
{
    return within_drift(remote, physical_ms(h), relay_drift(h)) ? 0 : CS_EDRIFT;
}
