/* SPDX-License-Identifier: MIT */
/*
 * Memory primitives shared inside the proto library: growing an array by
 * doubling, and an open-addressing map from a 64-bit key to a 32-bit value
 * (an index into the caller's own array). The map keeps every value added
 * under a key, so a key may be a hash: the caller walks the values stored
 * under it and compares its own entries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "internal.h"

int
cs__grow(void **v, size_t *cap, size_t need, size_t size, size_t first)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : first;
    while (c < need) {
        if (c > SIZE_MAX / 2 / size)
            return CS_ENOMEM;
        c *= 2;
    }
    void *nv = realloc(*v, c * size);
    if (nv == NULL)
        return CS_ENOMEM;
    *v = nv;
    *cap = c;
    return 0;
}

uint64_t
cs__hash(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = UINT64_C(14695981039346656037); /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(1099511628211);
    return h;
}

/* Fibonacci hashing: the top bits of key times 2^64 / phi, so keys that differ only high spread. */
static size_t
home(const struct cs__map *m, uint64_t key)
{
    return (size_t)((key * UINT64_C(0x9e3779b97f4a7c15)) >> m->shift);
}

static int
rehash(struct cs__map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    unsigned shift = m->cap ? m->shift - 1 : 64 - 4;
    struct cs__map_slot *slot = calloc(cap, sizeof(*slot));
    if (slot == NULL)
        return CS_ENOMEM;
    struct cs__map nm = {.slot = slot, .cap = cap, .n = m->n, .shift = shift};
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slot[i].val == 0)
            continue;
        size_t h = home(&nm, m->slot[i].key);
        while (slot[h].val != 0)
            h = (h + 1) & (cap - 1);
        slot[h] = m->slot[i];
    }
    free(m->slot);
    *m = nm;
    return 0;
}

int
cs__map_next(const struct cs__map *m, uint64_t key, size_t *it, uint32_t *val)
{
    if (m->cap == 0)
        return 0;
    /* *it is 1 + the next slot to probe; the probe ends at an empty slot (the map is half empty).
     */
    size_t i = *it == 0 ? home(m, key) : *it - 1;
    for (; m->slot[i].val != 0; i = (i + 1) & (m->cap - 1)) {
        if (m->slot[i].key == key) {
            *val = m->slot[i].val - 1;
            *it = ((i + 1) & (m->cap - 1)) + 1;
            return 1;
        }
    }
    *it = i + 1;
    return 0;
}

int
cs__map_add(struct cs__map *m, uint64_t key, uint32_t val)
{
    int ret;
    if (val == UINT32_MAX)
        return CS_ETOOBIG;
    if ((m->n + 1) * 2 > m->cap && (ret = rehash(m)) != 0)
        return ret;
    size_t h = home(m, key);
    while (m->slot[h].val != 0)
        h = (h + 1) & (m->cap - 1);
    m->slot[h].key = key;
    m->slot[h].val = val + 1;
    m->n++;
    return 0;
}

void
cs__map_clear(struct cs__map *m)
{
    if (m->n > 0)
        memset(m->slot, 0, m->cap * sizeof(*m->slot));
    m->n = 0;
}

void
cs__map_release(struct cs__map *m)
{
    free(m->slot);
    memset(m, 0, sizeof(*m));
}
