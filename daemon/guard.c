/* SPDX-License-Identifier: MIT */
/*
 * The enrollment guard (guard.h): a small fixed table of source addresses
 * with their wrong enrollments, the wait each must keep, and what is left
 * to log. Fixed, so a flood of addresses costs no memory: the least
 * recently seen address is forgotten first.
 */
#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "serve.h"

static struct guard_slot *
slot_of(struct guard *g, const char *addr, uint64_t now_ms, int create)
{
    struct guard_slot *old = &g->slot[0];
    for (size_t i = 0; i < GUARD_SLOTS; i++) {
        struct guard_slot *s = &g->slot[i];
        if (s->addr[0] && strcmp(s->addr, addr) == 0) {
            if (now_ms - s->seen_ms > GUARD_FORGET_MS && now_ms >= s->until_ms) {
                memset(s, 0, sizeof(*s));
                snprintf(s->addr, sizeof(s->addr), "%s", addr);
            }
            return s;
        }
        if (s->seen_ms < old->seen_ms)
            old = s;
    }
    if (!create)
        return NULL;
    memset(old, 0, sizeof(*old));
    snprintf(old->addr, sizeof(old->addr), "%s", addr);
    return old;
}

/* Counts an address left unlogged when its failures stopped: told at the next hello of anyone. */
static void
sweep(struct guard *g, uint64_t now_ms)
{
    for (size_t i = 0; i < GUARD_SLOTS; i++) {
        struct guard_slot *s = &g->slot[i];
        if (s->pending == 0 || now_ms - s->logged_ms < GUARD_LOG_MS)
            continue;
        logf_("warn", NULL, "event=enroll-failed addr=%s failures=%u total=%u checked=%u wait_s=%u",
              s->addr, s->pending, s->total, s->fails,
              now_ms < s->until_ms ? (unsigned)((s->until_ms - now_ms + 999) / 1000) : 0);
        s->pending = 0;
        s->logged_ms = now_ms;
    }
}

unsigned
guard_wait(struct guard *g, const char *addr, uint64_t now_ms)
{
    sweep(g, now_ms);
    struct guard_slot *s = slot_of(g, addr, now_ms, 0);
    if (s == NULL || now_ms >= s->until_ms)
        return 0;
    return (unsigned)((s->until_ms - now_ms + 999) / 1000);
}

void
guard_failed(struct guard *g, const struct conn *c, const char *addr, int held, uint64_t now_ms)
{
    struct guard_slot *s = slot_of(g, addr, now_ms, 1);
    s->seen_ms = now_ms;
    s->pending++;
    s->total++;
    if (!held && ++s->fails >= GUARD_FREE) {
        unsigned n = s->fails - GUARD_FREE;
        uint64_t wait = n >= 9 ? GUARD_MAX_WAIT_S : (1u << n);
        if (wait > GUARD_MAX_WAIT_S)
            wait = GUARD_MAX_WAIT_S;
        s->until_ms = now_ms + wait * 1000;
    }
    if (s->logged_ms != 0 && now_ms - s->logged_ms < GUARD_LOG_MS)
        return;
    unsigned wait_s = now_ms < s->until_ms ? (unsigned)((s->until_ms - now_ms + 999) / 1000) : 0;
    logf_("warn", c, "event=enroll-failed addr=%s failures=%u total=%u checked=%u wait_s=%u", addr,
          s->pending, s->total, s->fails, wait_s);
    s->pending = 0;
    s->logged_ms = now_ms;
}
