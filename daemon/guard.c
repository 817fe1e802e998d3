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
    struct guard_slot *old = NULL;
    for (size_t i = 0; i < GUARD_SLOTS; i++) {
        struct guard_slot *s = &g->slot[i];
        if (s->addr[0] && strcmp(s->addr, addr) == 0) {
            if (now_ms - s->seen_ms > GUARD_FORGET_MS && now_ms >= s->until_ms) {
                unsigned conns = s->conns;
                memset(s, 0, sizeof(*s));
                snprintf(s->addr, sizeof(s->addr), "%s", addr);
                s->conns = conns;
            }
            return s;
        }
        /* An address with connections open is never forgotten: its count must stay right. */
        if (s->conns == 0 && (old == NULL || s->seen_ms < old->seen_ms))
            old = s;
    }
    if (!create || old == NULL)
        return NULL;
    memset(old, 0, sizeof(*old));
    snprintf(old->addr, sizeof(old->addr), "%s", addr);
    return old;
}

static void
preauth_line(struct guard_slot *s, uint64_t now_ms)
{
    logf_(LOG_WARNING, NULL, "event=preauth-closes addr=%s count=%u total=%u last=\"%s\"", s->addr,
          s->pre_pending, s->pre_total, s->pre_last);
    s->pre_pending = 0;
    s->pre_lines = 0;
    s->pre_ms = now_ms;
}

/*
 * Counts an address left unlogged when its failures or its closes stopped:
 * told at the next connection or hello of anyone.
 */
static void
sweep(struct guard *g, uint64_t now_ms)
{
    for (size_t i = 0; i < GUARD_SLOTS; i++) {
        struct guard_slot *s = &g->slot[i];
        if (s->pre_pending > 0 && now_ms - s->pre_ms >= GUARD_LOG_MS)
            preauth_line(s, now_ms);
        if (s->pending == 0 || now_ms - s->logged_ms < GUARD_LOG_MS)
            continue;
        logf_(LOG_WARNING, NULL,
              "event=enroll-failed addr=%s failures=%u total=%u checked=%u wait_s=%u", s->addr,
              s->pending, s->total, s->fails,
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

int
guard_preauth(struct guard *g, const char *addr, const char *why, unsigned lines_per_min,
              uint64_t now_ms)
{
    struct guard_slot *s = slot_of(g, addr, now_ms, 1);
    if (s == NULL)
        return 1;
    if (now_ms - s->pre_ms >= GUARD_LOG_MS) {
        if (s->pre_pending > 0)
            preauth_line(s, now_ms);
        s->pre_ms = now_ms;
        s->pre_lines = 0;
    }
    s->seen_ms = now_ms;
    s->pre_total++;
    if (s->pre_lines < lines_per_min) {
        s->pre_lines++;
        return 1;
    }
    s->pre_pending++;
    snprintf(s->pre_last, sizeof(s->pre_last), "%s", why);
    return 0;
}

void
guard_flush(struct guard *g, uint64_t now_ms)
{
    for (size_t i = 0; i < GUARD_SLOTS; i++)
        if (g->slot[i].pre_pending > 0)
            preauth_line(&g->slot[i], now_ms);
}

unsigned
guard_connect(struct guard *g, const char *addr, unsigned max, uint64_t now_ms,
              struct guard_slot **slot)
{
    sweep(g, now_ms);
    struct guard_slot *s = slot_of(g, addr, now_ms, 1);
    *slot = NULL;
    if (s == NULL || s->conns >= max)
        return GUARD_BUSY_S;
    if (s->refill_ms == 0) {
        /* A new address starts with a full bucket (guard_handshake). */
        s->tokens = -1;
        s->refill_ms = now_ms;
    }
    s->seen_ms = now_ms;
    s->conns++;
    *slot = s;
    return 0;
}

void
guard_disconnect(struct guard_slot *s)
{
    if (s != NULL && s->conns > 0)
        s->conns--;
}

unsigned
guard_handshake(struct guard_slot *s, unsigned rate, uint64_t now_ms)
{
    double burst = (double)rate * GUARD_BURST;
    if (s == NULL)
        return 0;
    if (s->tokens < 0)
        s->tokens = burst;
    s->tokens += (double)(now_ms - s->refill_ms) * rate / 1000.0;
    if (s->tokens > burst)
        s->tokens = burst;
    s->refill_ms = now_ms;
    if (s->tokens >= 1) {
        s->tokens -= 1;
        return 0;
    }
    unsigned wait = (unsigned)((1 - s->tokens) / rate + 0.999);
    return wait > 0 ? wait : 1;
}

void
guard_failed(struct guard *g, const struct conn *c, const char *addr, int held, uint64_t now_ms)
{
    struct guard_slot *s = slot_of(g, addr, now_ms, 1);
    if (s == NULL)
        return; /* every slot holds an address with connections open: nothing to count in */
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
    logf_(LOG_WARNING, c, "event=enroll-failed addr=%s failures=%u total=%u checked=%u wait_s=%u",
          addr, s->pending, s->total, s->fails, wait_s);
    s->pending = 0;
    s->logged_ms = now_ms;
}
