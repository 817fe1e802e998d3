/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the hybrid logical clock, driven by a fake physical clock so
 * that steps backward, counter overflow, the drift bound and the end of the
 * 48-bit range can be reached on purpose.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <time.h>

#include "cellsync/error.h"
#include "cellsync/hlc.h"

#define T0    UINT64_C(1700000000000) /* 2023-11-14, a plausible wall clock */
#define HOUR  UINT64_C(3600000)
#define DRIFT UINT64_C(60000)

struct fake_clock {
    uint64_t ms;
};

static uint64_t
fake_read(void *ud)
{
    return ((struct fake_clock *)ud)->ms;
}

static void
fake_init(struct cs_hlc *h, struct fake_clock *fc, uint64_t ms, uint64_t drift)
{
    cs_hlc_init(h, drift);
    fc->ms = ms;
    h->clock = fake_read;
    h->clock_ud = fc;
}

static void
test_pack_unpack(void **state)
{
    (void)state;
    uint64_t s = cs_hlc_make(T0, 0x1234);
    assert_int_equal(cs_hlc_ms(s), T0);
    assert_int_equal(cs_hlc_counter(s), 0x1234);
    assert_int_equal(s, (T0 << 16) | 0x1234);

    s = cs_hlc_make(CS_HLC_MS_MAX, CS_HLC_COUNTER_MAX);
    assert_int_equal(s, UINT64_MAX);
    assert_int_equal(cs_hlc_ms(s), CS_HLC_MS_MAX);
    assert_int_equal(cs_hlc_counter(s), CS_HLC_COUNTER_MAX);

    assert_int_equal(cs_hlc_make(0, 0), 0);
    assert_int_equal(cs_hlc_counter(cs_hlc_make(7, 0)), 0);

    /* Integer order is (ms, counter) order. */
    assert_true(cs_hlc_make(T0, CS_HLC_COUNTER_MAX) < cs_hlc_make(T0 + 1, 0));
    assert_true(cs_hlc_make(T0, 1) < cs_hlc_make(T0, 2));
}

static void
test_init(void **state)
{
    (void)state;
    struct cs_hlc h;
    cs_hlc_init(&h, CS_HLC_DRIFT_DEFAULT_MS);
    assert_int_equal(h.last, 0);
    assert_int_equal(h.max_drift_ms, CS_HLC_DRIFT_DEFAULT_MS);
    assert_int_equal(h.offset_ms, 0);
    assert_ptr_equal(h.clock, cs_hlc_wall_ms);
    assert_null(h.clock_ud);

    /* The real clock: within 5 s of time(), both from cs_hlc_now and a first send. */
    int64_t now = (int64_t)time(NULL) * 1000;
    int64_t wall = (int64_t)cs_hlc_wall_ms(NULL);
    assert_true(wall > now - 5000 && wall < now + 5000);
    uint64_t n = cs_hlc_now(&h);
    assert_int_equal(cs_hlc_counter(n), 0);
    assert_true((int64_t)cs_hlc_ms(n) > now - 5000 && (int64_t)cs_hlc_ms(n) < now + 5000);
    uint64_t s;
    assert_int_equal(cs_hlc_send(&h, &s), 0);
    assert_true(s >= n);
    assert_int_equal(h.last, s);
}

static void
test_send_new_ms_resets_counter(void **state)
{
    (void)state;
    struct cs_hlc h;
    struct fake_clock fc;
    fake_init(&h, &fc, T0, DRIFT);

    uint64_t s;
    assert_int_equal(cs_hlc_send(&h, &s), 0);
    assert_int_equal(s, cs_hlc_make(T0, 0));
    assert_int_equal(h.last, s);
    for (unsigned i = 1; i <= 5; i++) {
        assert_int_equal(cs_hlc_send(&h, &s), 0);
        assert_int_equal(s, cs_hlc_make(T0, (uint16_t)i));
    }

    fc.ms = T0 + 3;
    assert_int_equal(cs_hlc_send(&h, &s), 0);
    assert_int_equal(s, cs_hlc_make(T0 + 3, 0));
    assert_int_equal(cs_hlc_send(&h, &s), 0);
    assert_int_equal(s, cs_hlc_make(T0 + 3, 1));
}

static void
test_send_clock_backward(void **state)
{
    (void)state;
    struct cs_hlc h;
    struct fake_clock fc;
    fake_init(&h, &fc, T0, DRIFT);

    uint64_t prev = 0, s;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(cs_hlc_send(&h, &s), 0);
        assert_true(s > prev);
        prev = s;
    }
    uint64_t before_jump = prev;

    /* An hour back (an NTP correction, a wrong manual setting): stamps keep climbing. */
    fc.ms = T0 - HOUR;
    for (int i = 0; i < 5000; i++) {
        assert_int_equal(cs_hlc_send(&h, &s), 0);
        assert_true(s > prev);
        assert_int_equal(cs_hlc_ms(s), T0);
        prev = s;
        if (i % 100 == 0)
            fc.ms += 1; /* time passes, but still far behind */
    }
    assert_int_equal(prev, before_jump + 5000);

    /* Back to the right time, just past the last stamp: the clock takes over again. */
    fc.ms = T0 + 1;
    assert_int_equal(cs_hlc_send(&h, &s), 0);
    assert_true(s > prev);
    assert_int_equal(s, cs_hlc_make(T0 + 1, 0));
    prev = s;
    for (int i = 0; i < 1000; i++) {
        fc.ms += (uint64_t)(i % 3); /* sometimes the same ms, sometimes later */
        assert_int_equal(cs_hlc_send(&h, &s), 0);
        assert_true(s > prev);
        assert_true(cs_hlc_ms(s) >= fc.ms);
        prev = s;
    }
}

static void
test_send_counter_overflow(void **state)
{
    (void)state;
    struct cs_hlc h;
    struct fake_clock fc;
    fake_init(&h, &fc, T0, DRIFT);

    /* Send i (from 0) in one fake ms is stamp make(T0, 0) + i, carrying into the ms. */
    uint64_t prev = 0, s;
    for (uint64_t i = 0; i < 70000; i++) {
        assert_int_equal(cs_hlc_send(&h, &s), 0);
        assert_true(s > prev);
        assert_int_equal(s, cs_hlc_make(T0, 0) + i);
        if (i <= CS_HLC_COUNTER_MAX) {
            assert_int_equal(cs_hlc_ms(s), T0);
            assert_int_equal(cs_hlc_counter(s), i);
        } else {
            assert_int_equal(cs_hlc_ms(s), T0 + 1);
            assert_int_equal(cs_hlc_counter(s), i - CS_HLC_COUNTER_MAX - 1);
        }
        prev = s;
    }
    assert_int_equal(cs_hlc_ms(h.last), T0 + 1);

    /* The wall clock reaching the borrowed ms does not go back: still counting. */
    fc.ms = T0 + 1;
    assert_int_equal(cs_hlc_send(&h, &s), 0);
    assert_int_equal(s, prev + 1);

    /* Past it, the wall clock takes over with counter 0. */
    fc.ms = T0 + 2;
    assert_int_equal(cs_hlc_send(&h, &s), 0);
    assert_int_equal(s, cs_hlc_make(T0 + 2, 0));
}

static void
test_recv_within_drift(void **state)
{
    (void)state;
    struct cs_hlc h;
    struct fake_clock fc;
    fake_init(&h, &fc, T0, DRIFT);

    uint64_t s, last;
    assert_int_equal(cs_hlc_send(&h, &last), 0);

    /* Remote ahead of us (but within drift): we move past it. */
    uint64_t remote = cs_hlc_make(T0 + 1000, 17);
    assert_int_equal(cs_hlc_recv(&h, remote, &s), 0);
    assert_true(s > remote);
    assert_true(s > last);
    assert_int_equal(s, cs_hlc_make(T0 + 1000, 18));
    assert_int_equal(h.last, s);
    last = s;

    /* Remote behind both our clock and last: just past last. */
    assert_int_equal(cs_hlc_recv(&h, cs_hlc_make(T0 - 5, 9), &s), 0);
    assert_int_equal(s, last + 1);
    last = s;

    /* Same ms as last with a larger counter: max counter + 1. */
    remote = cs_hlc_make(cs_hlc_ms(last), 500);
    assert_int_equal(cs_hlc_recv(&h, remote, &s), 0);
    assert_int_equal(s, cs_hlc_make(cs_hlc_ms(last), 501));
    last = s;

    /* Same ms, smaller counter: last's counter + 1. */
    remote = cs_hlc_make(cs_hlc_ms(last), 3);
    assert_int_equal(cs_hlc_recv(&h, remote, &s), 0);
    assert_int_equal(s, last + 1);
    last = s;

    /* Our clock passes both: the physical time with counter 0. */
    fc.ms = T0 + 2000;
    assert_int_equal(cs_hlc_recv(&h, cs_hlc_make(T0 + 1500, 40), &s), 0);
    assert_int_equal(s, cs_hlc_make(T0 + 2000, 0));
    assert_true(s > last);

    /* A remote stamp with a full counter carries into the next ms. */
    remote = cs_hlc_make(T0 + 3000, CS_HLC_COUNTER_MAX);
    assert_int_equal(cs_hlc_recv(&h, remote, &s), 0);
    assert_int_equal(s, cs_hlc_make(T0 + 3001, 0));
    assert_true(s > remote);

    /* A later send is past everything received. */
    uint64_t after;
    assert_int_equal(cs_hlc_send(&h, &after), 0);
    assert_true(after > s);
}

static void
test_recv_beyond_drift(void **state)
{
    (void)state;
    struct cs_hlc h;
    struct fake_clock fc;
    fake_init(&h, &fc, T0, DRIFT);

    uint64_t s, last;
    assert_int_equal(cs_hlc_send(&h, &last), 0);
    assert_int_equal(cs_hlc_send(&h, &last), 0);

    uint64_t out = 12345;
    assert_int_equal(cs_hlc_recv(&h, cs_hlc_make(T0 + DRIFT + 1, 0), &out), CS_EDRIFT);
    assert_int_equal(h.last, last);
    assert_int_equal(cs_hlc_recv(&h, cs_hlc_make(T0 + 10 * DRIFT, 0), &out), CS_EDRIFT);
    assert_int_equal(cs_hlc_recv(&h, UINT64_MAX, &out), CS_EDRIFT);
    assert_int_equal(h.last, last);

    /* The refused stamps left no trace: the next send follows last. */
    assert_int_equal(cs_hlc_send(&h, &s), 0);
    assert_int_equal(s, last + 1);
}

static void
test_recv_at_drift_bound(void **state)
{
    (void)state;
    struct cs_hlc h;
    struct fake_clock fc;
    fake_init(&h, &fc, T0, DRIFT);

    /* Exactly max_drift_ms ahead is accepted, with any counter. */
    uint64_t remote = cs_hlc_make(T0 + DRIFT, CS_HLC_COUNTER_MAX - 1);
    uint64_t s;
    assert_int_equal(cs_hlc_check(&h, remote), 0);
    assert_int_equal(cs_hlc_recv(&h, remote, &s), 0);
    assert_true(s > remote);
    assert_int_equal(s, cs_hlc_make(T0 + DRIFT, CS_HLC_COUNTER_MAX));

    /* One ms more is not. */
    assert_int_equal(cs_hlc_recv(&h, cs_hlc_make(T0 + DRIFT + 1, 0), &s), CS_EDRIFT);

    /* No drift allowed at all: only stamps up to our own ms. */
    fake_init(&h, &fc, T0, 0);
    assert_int_equal(cs_hlc_recv(&h, cs_hlc_make(T0, CS_HLC_COUNTER_MAX), &s), 0);
    assert_int_equal(cs_hlc_recv(&h, cs_hlc_make(T0 + 1, 0), &s), CS_EDRIFT);

    /* No limit: a huge bound must not overflow into refusing everything. */
    fake_init(&h, &fc, T0, UINT64_MAX);
    assert_int_equal(cs_hlc_check(&h, cs_hlc_make(CS_HLC_MS_MAX, 0)), 0);
}

static void
test_offset(void **state)
{
    (void)state;
    struct cs_hlc h;
    struct fake_clock fc;
    fake_init(&h, &fc, T0, DRIFT);

    h.offset_ms = 2500;
    assert_int_equal(cs_hlc_now(&h), cs_hlc_make(T0 + 2500, 0));
    uint64_t s;
    assert_int_equal(cs_hlc_send(&h, &s), 0);
    assert_int_equal(s, cs_hlc_make(T0 + 2500, 0));

    /* The drift bound is measured from the corrected time. */
    assert_int_equal(cs_hlc_check(&h, cs_hlc_make(T0 + 2500 + DRIFT, 0)), 0);
    assert_int_equal(cs_hlc_check(&h, cs_hlc_make(T0 + 2500 + DRIFT + 1, 0)), CS_EDRIFT);

    h.offset_ms = -(int64_t)HOUR;
    assert_int_equal(cs_hlc_now(&h), cs_hlc_make(T0 - HOUR, 0));
    assert_int_equal(cs_hlc_check(&h, cs_hlc_make(T0 - HOUR + DRIFT + 1, 0)), CS_EDRIFT);

    /* A negative offset larger than the clock clamps at 0. */
    fc.ms = 1000;
    h.offset_ms = -5000;
    assert_int_equal(cs_hlc_now(&h), 0);
    h.offset_ms = INT64_MIN;
    assert_int_equal(cs_hlc_now(&h), 0);
}

static void
test_eclock(void **state)
{
    (void)state;
    struct cs_hlc h;
    struct fake_clock fc;
    fake_init(&h, &fc, CS_HLC_MS_MAX - 10, DRIFT);

    /* The last stamp there is: send cannot go past it. */
    uint64_t top = cs_hlc_make(CS_HLC_MS_MAX, CS_HLC_COUNTER_MAX);
    uint64_t s = 777;
    h.last = top - 1;
    assert_int_equal(cs_hlc_send(&h, &s), 0);
    assert_int_equal(s, top);
    assert_int_equal(cs_hlc_send(&h, &s), CS_ECLOCK);
    assert_int_equal(h.last, top);

    /* A full counter below the top ms still carries. */
    h.last = cs_hlc_make(CS_HLC_MS_MAX - 1, CS_HLC_COUNTER_MAX);
    assert_int_equal(cs_hlc_send(&h, &s), 0);
    assert_int_equal(s, cs_hlc_make(CS_HLC_MS_MAX, 0));

    /* recv of the top stamp (within drift of our clock) has nowhere to go either. */
    h.last = 0;
    assert_int_equal(cs_hlc_recv(&h, top, &s), CS_ECLOCK);
    assert_int_equal(h.last, 0);

    /* A physical clock beyond 48 bits is an error, not a truncated stamp. */
    fake_init(&h, &fc, CS_HLC_MS_MAX + 1, DRIFT);
    assert_int_equal(cs_hlc_send(&h, &s), CS_ECLOCK);
    assert_int_equal(cs_hlc_recv(&h, cs_hlc_make(T0, 0), &s), CS_ECLOCK);
    assert_int_equal(h.last, 0);
    assert_int_equal(cs_hlc_now(&h), cs_hlc_make(CS_HLC_MS_MAX, 0));

    /* Or pushed there by the offset. */
    fake_init(&h, &fc, CS_HLC_MS_MAX, DRIFT);
    assert_int_equal(cs_hlc_send(&h, &s), 0);
    h.offset_ms = 1;
    assert_int_equal(cs_hlc_send(&h, &s), CS_ECLOCK);
    h.offset_ms = INT64_MAX;
    fc.ms = UINT64_MAX;
    assert_int_equal(cs_hlc_send(&h, &s), CS_ECLOCK);
}

static void
test_check_agrees_with_recv(void **state)
{
    (void)state;
    static const int64_t offsets[] = {0, 1500, -1500};
    static const uint64_t drifts[] = {0, 1, DRIFT, CS_HLC_DRIFT_DEFAULT_MS};
    for (size_t o = 0; o < sizeof(offsets) / sizeof(offsets[0]); o++) {
        for (size_t d = 0; d < sizeof(drifts) / sizeof(drifts[0]); d++) {
            struct cs_hlc h;
            struct fake_clock fc;
            fake_init(&h, &fc, T0, drifts[d]);
            h.offset_ms = offsets[o];
            uint64_t pt = cs_hlc_ms(cs_hlc_now(&h));
            uint64_t bound = pt + drifts[d];

            static const int64_t around[] = {-100000, -1, 0, 1, 2, 1000};
            for (size_t a = 0; a < sizeof(around) / sizeof(around[0]); a++) {
                uint64_t ms = (uint64_t)((int64_t)bound + around[a]);
                for (unsigned c = 0; c <= CS_HLC_COUNTER_MAX; c += 0x5555) {
                    uint64_t remote = cs_hlc_make(ms, (uint16_t)c);
                    struct cs_hlc copy = h;
                    uint64_t s;
                    int want = around[a] <= 0 ? 0 : CS_EDRIFT;
                    assert_int_equal(cs_hlc_check(&h, remote), want);
                    assert_int_equal(cs_hlc_recv(&copy, remote, &s), want);
                }
            }
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_unpack),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_send_new_ms_resets_counter),
        cmocka_unit_test(test_send_clock_backward),
        cmocka_unit_test(test_send_counter_overflow),
        cmocka_unit_test(test_recv_within_drift),
        cmocka_unit_test(test_recv_beyond_drift),
        cmocka_unit_test(test_recv_at_drift_bound),
        cmocka_unit_test(test_offset),
        cmocka_unit_test(test_eclock),
        cmocka_unit_test(test_check_agrees_with_recv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
