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
 *
 * The same table limits each address's connections at once and its
 * handshakes (a token bucket: the rate a second, bursts of
 * GUARD_BURST times it) before any crypto (issue 16, F15): an address
 * with live connections is never forgotten, so its count stays right.
 * Connections closed before a msg1 decrypted (a port scan: connect and
 * close, garbage, silence, the wrong key) are logged the same way: the
 * first lines_per_min of an address in a minute one by one, the rest
 * counted into one line per address a minute (event=preauth-closes), so a
 * scan of thousands of connections writes a few lines, not thousands.
 * Lives on the loop thread only.
 */
#ifndef CELLSYNCD_GUARD_H
#define CELLSYNCD_GUARD_H

#include <stdint.h>

#define GUARD_SLOTS      1024    /* addresses remembered; the least recently seen goes first */
#define GUARD_FREE       5       /* wrong enrollments from one address before any wait */
#define GUARD_MAX_WAIT_S 300     /* the longest wait */
#define GUARD_FORGET_MS  3600000 /* an address quiet for an hour starts afresh */
#define GUARD_LOG_MS     60000   /* one log line a minute per address at most */
#define GUARD_BURST      10      /* an address's handshakes in a burst: 10 s of its rate */
#define GUARD_BUSY_S     10      /* "try again in" for a full hub or address */

struct conn;

struct guard_slot {
    char addr[64];
    unsigned fails;   /* wrong enrollments checked */
    unsigned pending; /* refusals since the last log line */
    unsigned total;   /* refusals in all */
    uint64_t until_ms, seen_ms, logged_ms;
    unsigned conns;     /* its connections open now (guard_connect) */
    double tokens;      /* handshakes it may start now */
    uint64_t refill_ms; /* when tokens was last refilled */
    /* Closes before a msg1 decrypted: this minute's (from pre_ms), lines logged, the rest. */
    unsigned pre_lines, pre_pending, pre_total;
    uint64_t pre_ms;
    char pre_last[64]; /* the last reason counted and not logged */
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

/*
 * A connection from addr accepted: 0 and *slot to give back with
 * guard_disconnect, or the seconds to tell it to wait (the address holds
 * max connections, or the table is full of addresses that hold some).
 */
unsigned guard_connect(struct guard *g, const char *addr, unsigned max, uint64_t now_ms,
                       struct guard_slot **slot);
void guard_disconnect(struct guard_slot *s);
/*
 * A connection of addr closed before a msg1 decrypted, for why: 1 to log
 * it as usual (one of the first lines_per_min of the address this minute),
 * 0 counted for the address's line of the minute.
 */
int guard_preauth(struct guard *g, const char *addr, const char *why, unsigned lines_per_min,
                  uint64_t now_ms);
/* Logs what is counted and not yet logged, every address (the hub stops). */
void guard_flush(struct guard *g, uint64_t now_ms);
/* A handshake of s's address: 0, or the seconds until its bucket (rate a second) holds one. */
unsigned guard_handshake(struct guard_slot *s, unsigned rate, uint64_t now_ms);

#endif
