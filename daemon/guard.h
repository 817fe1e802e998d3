/* SPDX-License-Identifier: MIT */
/*
 * Limits on guessing enrollment codes, per source address (F2 of the
 * security review): after GUARD_FREE wrong enrollments from one address,
 * each further one must wait a growing delay (1 s, 2 s, 4 s ... up to
 * GUARD_MAX_WAIT_S); a hello that carries a secret inside the wait is
 * refused without the secret being checked. The per-code lock is the
 * hub's (HUB_ENROLL_MAX_FAILS in hub.h). Failures are logged aggregated:
 * one line at an address's first failure, then at most one a minute while
 * they go on (the rest of a minute told at the next hello from anyone),
 * so a thousand guesses write a few lines, not a thousand.
 * Lives on the loop thread only.
 */
#ifndef CELLSYNCD_GUARD_H
#define CELLSYNCD_GUARD_H

#include <stdint.h>

#define GUARD_SLOTS      256     /* addresses remembered; the least recently seen goes first */
#define GUARD_FREE       5       /* wrong enrollments from one address before any wait */
#define GUARD_MAX_WAIT_S 300     /* the longest wait */
#define GUARD_FORGET_MS  3600000 /* an address quiet for an hour starts afresh */
#define GUARD_LOG_MS     60000   /* one log line a minute per address at most */

struct conn;

struct guard_slot {
    char addr[64];
    unsigned fails;   /* wrong enrollments checked */
    unsigned pending; /* refusals since the last log line */
    unsigned total;   /* refusals in all */
    uint64_t until_ms, seen_ms, logged_ms;
};

struct guard {
    struct guard_slot slot[GUARD_SLOTS];
};

/* Seconds addr must still wait before a secret of its is checked, 0 if none. */
unsigned guard_wait(struct guard *g, const char *addr, uint64_t now_ms);

/*
 * An enrollment of c's address refused: checked and wrong (held 0, the
 * wait grows), or refused unchecked inside a wait (held 1). Logs as above.
 */
void guard_failed(struct guard *g, const struct conn *c, const char *addr, int held,
                  uint64_t now_ms);

#endif
