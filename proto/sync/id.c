/* SPDX-License-Identifier: MIT */
/*
 * UUIDv7 row and device ids (RFC 9562): 48 bits of big-endian Unix
 * milliseconds, the version nibble, a 12-bit counter in rand_a, the variant
 * and 62 random bits. Ids made by cs_id_new() in one process are strictly
 * increasing in memcmp order, even within one millisecond and when the wall
 * clock steps back, so rows inserted in order stay in index order.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/id.h"

#define MS_MASK     ((UINT64_C(1) << 48) - 1)
#define COUNTER_MAX 0x0fffu
/*
 * A new millisecond starts the counter at a random value below half its
 * range (RFC 9562 section 6.2, method 1, "counter rollover guards"): the
 * random start hides how many ids a device makes per millisecond, the clear
 * top bit leaves room for at least 2048 ids before the counter rolls over.
 */
#define COUNTER_SEED_MASK 0x07ffu

/*
 * The last millisecond and counter handed out. cs_id_new runs on the daemon's
 * uv_queue_work threads as well as the loop, so both live under one mutex.
 */
static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t last_ms;
static uint16_t last_counter;

static uint64_t
realtime_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * Fills the whole id: random bits everywhere, then the timestamp, the
 * version over the top of rand_a and the variant over the top of rand_b.
 * The 48-bit millisecond field wraps in the year 10889.
 */
static void
fill(struct cs_id *out, uint64_t ms, uint16_t rand_a, const uint8_t rnd[CS_ID_LEN])
{
    memcpy(out->b, rnd, CS_ID_LEN);
    ms &= MS_MASK;
    for (int i = 0; i < 6; i++)
        out->b[i] = (uint8_t)(ms >> (8 * (5 - i)));
    out->b[6] = (uint8_t)(0x70u | ((rand_a >> 8) & 0x0fu));
    out->b[7] = (uint8_t)(rand_a & 0xffu);
    out->b[8] = (uint8_t)(0x80u | (out->b[8] & 0x3fu));
}

void
cs_id_new(struct cs_id *out)
{
    uint8_t rnd[CS_ID_LEN];

    /* Draw the random bytes outside the lock; bytes 6 and 7 seed the counter. */
    randombytes_buf(rnd, sizeof(rnd));
    uint16_t seed = (uint16_t)(((unsigned)rnd[6] << 8 | rnd[7]) & COUNTER_SEED_MASK);
    uint64_t now = realtime_ms();

    pthread_mutex_lock(&last_lock);
    if (now > last_ms) {
        last_ms = now;
        last_counter = seed;
    } else if (last_counter < COUNTER_MAX) {
        /* Same millisecond, or the clock stepped back: stay on the last one. */
        last_counter++;
    } else {
        /*
         * The counter is spent: borrow the next millisecond rather than wait
         * for it. The ids run ahead of the clock until it catches up.
         */
        last_ms++;
        last_counter = seed;
    }
    uint64_t ms = last_ms;
    uint16_t counter = last_counter;
    pthread_mutex_unlock(&last_lock);

    fill(out, ms, counter, rnd);
    sodium_memzero(rnd, sizeof(rnd));
}

void
cs_id_new_at(struct cs_id *out, uint64_t unix_ms)
{
    uint8_t rnd[CS_ID_LEN];

    randombytes_buf(rnd, sizeof(rnd));
    fill(out, unix_ms, (uint16_t)((unsigned)rnd[6] << 8 | rnd[7]), rnd);
    sodium_memzero(rnd, sizeof(rnd));
}

void
cs_id_to_hex(const struct cs_id *id, char out[CS_ID_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    size_t o = 0;

    for (int i = 0; i < CS_ID_LEN; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = digits[id->b[i] >> 4];
        out[o++] = digits[id->b[i] & 0x0f];
    }
    out[o] = '\0';
}

void
cs_id_short(const struct cs_id *id, char out[CS_ID_SHORT_LEN + 1])
{
    char hex[CS_ID_HEX_LEN + 1];
    cs_id_to_hex(id, hex);
    memcpy(out, hex + CS_ID_HEX_LEN - CS_ID_SHORT_LEN, CS_ID_SHORT_LEN + 1);
}

/* Not isxdigit(): its answer depends on the locale. */
static int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int
is_dash_pos(size_t i)
{
    return i == 8 || i == 13 || i == 18 || i == 23;
}

int
cs_id_from_hex(struct cs_id *out, const char *s, size_t len)
{
    if (s == NULL || (len != 2 * CS_ID_LEN && len != CS_ID_HEX_LEN))
        return CS_EINVAL;

    /* Parse into a copy so a rejected string leaves *out untouched. */
    struct cs_id id;
    int dashed = len == CS_ID_HEX_LEN;
    size_t n = 0; /* hex digits taken so far */
    for (size_t i = 0; i < len; i++) {
        if (dashed && is_dash_pos(i)) {
            if (s[i] != '-')
                return CS_EINVAL;
            continue;
        }
        int v = hex_value(s[i]);
        if (v < 0)
            return CS_EINVAL;
        if (n % 2 == 0)
            id.b[n / 2] = (uint8_t)(v << 4);
        else
            id.b[n / 2] |= (uint8_t)v;
        n++;
    }
    *out = id;
    return 0;
}

int
cs_id_cmp(const struct cs_id *a, const struct cs_id *b)
{
    int c = memcmp(a->b, b->b, CS_ID_LEN);

    return (c > 0) - (c < 0);
}

int
cs_id_is_zero(const struct cs_id *id)
{
    uint8_t acc = 0;

    for (int i = 0; i < CS_ID_LEN; i++)
        acc |= id->b[i];
    return acc == 0;
}

uint64_t
cs_id_unix_ms(const struct cs_id *id)
{
    uint64_t ms = 0;

    for (int i = 0; i < 6; i++)
        ms = (ms << 8) | id->b[i];
    return ms;
}

void
cs_id_derive(struct cs_id *out, const char *name)
{
    crypto_generichash(out->b, CS_ID_LEN, (const unsigned char *)name, strlen(name), NULL, 0);
    out->b[6] = (uint8_t)((out->b[6] & 0x0f) | 0x80);
    out->b[8] = (uint8_t)((out->b[8] & 0x3f) | 0x80);
}
