/* SPDX-License-Identifier: MIT */
/*
 * Memory primitives: growing an array by doubling (cs_grow, public in
 * cellsync/util.h), and, inside the proto library, an open-addressing map
 * from a 64-bit key to a 32-bit value (an index into the caller's own
 * array). The map keeps every value added under a key, so a key may be a
 * hash: the caller walks the values stored under it and compares its own
 * entries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/util.h"
#include "internal.h"

int
cs_grow(void **v, size_t *cap, size_t need, size_t size, size_t first)
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
        size_t h = cs__map_home(&nm, m->slot[i].key);
        while (slot[h].val != 0)
            h = (h + 1) & (cap - 1);
        slot[h] = m->slot[i];
    }
    free(m->slot);
    *m = nm;
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
    size_t h = cs__map_home(m, key);
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
