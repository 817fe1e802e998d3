/* SPDX-License-Identifier: MIT */
/*
 * The live handshake in process, on the library's own API (cellsync/wire.h):
 * the bytes of msg1 and msg2 and of the frames that start a session, and the
 * CPU time of a whole handshake on the device's side (cs_hs_device_start,
 * cs_hs_device_finish) and on the hub's (cs_hs_hub_read, cs_hs_hub_reply),
 * with the payloads of an enrolled device's ordinary sync. Every run also
 * times one X25519 (crypto_scalarmult) and one Ed25519 signature
 * (crypto_sign_detached) in the same loop, so that the ratios to them mean
 * something on a shared, noisy machine. CPU time of this thread
 * (CLOCK_THREAD_CPUTIME_ID), median [min..max] over the runs. Prints
 * figures, never a verdict.
 *
 * The same source builds against wire version 2 (the handshake before Noise
 * IK, whose device start takes no timestamp), so before and after can be
 * measured from one file (BENCHMARKS.md, "Handshake"). From version 4 it
 * also measures enrollment by code (cellsync/pake.h, CPace): its frames'
 * bytes and each side's CPU per run; before it, enrollment by code was a
 * one-byte key request and the 33-byte plain reply.
 *
 *   bench_handshake [--runs N]     (default 2000, after 50 not counted)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cellsync/error.h"
#include "cellsync/key.h"
#include "cellsync/version.h"
#include "cellsync/wire.h"
#if CS_WIRE_VERSION >= 4
#include "cellsync/pake.h"
#endif

#define WARMUP 50

static double
cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v. */
static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
row(const char *name, double *v, int n, double x25519, double sign)
{
    double m = median(v, n);
    printf("  %-30s %9.1f us [%.1f..%.1f]  = %5.2f X25519  = %5.2f Ed25519 signs\n", name, m, v[0],
           v[n - 1], m / x25519, m / sign);
}

/* The payloads of an enrolled device's ordinary sync (as client/device.c and the hub make them). */
static void
payloads(struct cs_hello *h, struct cs_welcome *w)
{
    memset(h, 0, sizeof(*h));
    h->hub_seq = 2712;
    snprintf(h->name, sizeof(h->name), "máy a");
    h->has_incarnation = 1;
    memset(h->incarnation, 0x5a, sizeof(h->incarnation));
    memset(w, 0, sizeof(*w));
    w->status = CS_WELCOME_OK;
    w->hub_time = 0x0001f3a2b4c5d6e7ULL;
    w->up_seq = 180;
    snprintf(w->org, sizeof(w->org), "CB-01");
    snprintf(w->role, sizeof(w->role), "cell");
    w->has_incarnation = 1;
    memset(w->incarnation, 0x5a, sizeof(w->incarnation));
    w->down_seq = 2712;
}

#if CS_WIRE_VERSION >= 4
/* Enrollment by code, both sides in memory: bytes of each frame, CPU per run of each side. */
static int
pake_bench(int runs, double x, double s)
{
    double *dv = calloc((size_t)runs, sizeof(double)), *hv = calloc((size_t)runs, sizeof(double));
    uint8_t code[CS_ENROLL_SECRET_LEN], bits[8], start[CS_PAKE_START_LEN];
    uint8_t nonce[CS_PAKE_NONCE_MSG], share[CS_PAKE_SHARE_LEN], reply[CS_PAKE_REPLY_MAX];
    uint8_t confirm[CS_PAKE_CONFIRM_LEN];
    struct cs_enrollment e, got;
    size_t rlen = 0;
    if (dv == NULL || hv == NULL)
        return 1;
    randombytes_buf(bits, sizeof(bits));
    cs_enroll_code_secret(4242, bits, code);
    memset(&e, 0, sizeof(e));
    randombytes_buf(e.hub_pk, sizeof(e.hub_pk));
    randombytes_buf(e.secret, sizeof(e.secret));
    snprintf(e.org, sizeof(e.org), "CB-01");
    snprintf(e.role, sizeof(e.role), "cell");
    snprintf(e.name, sizeof(e.name), "máy a");
    e.expires = 1800000000;
    for (int i = -WARMUP; i < runs; i++) {
        struct cs_pake dp, hp;
        unsigned v;
        double t0 = cpu_us();
        int ret = cs_pake_dev_start(&dp, code, start);
        double t1 = cpu_us();
        if (ret == 0)
            ret = cs_pake_hub_start(&hp, start, sizeof(start), &v, nonce);
        double t2 = cpu_us();
        if (ret == 0)
            ret = cs_pake_dev_share(&dp, nonce, sizeof(nonce), share);
        double t3 = cpu_us();
        if (ret == 0)
            ret =
                cs_pake_hub_reply(&hp, code, share, sizeof(share), &e, reply, sizeof(reply), &rlen);
        double t4 = cpu_us();
        if (ret == 0)
            ret = cs_pake_dev_finish(&dp, reply, rlen, &got, confirm);
        double t5 = cpu_us();
        if (ret == 0)
            ret = cs_pake_hub_confirm(&hp, confirm, sizeof(confirm));
        double t6 = cpu_us();
        if (ret != 0) {
            fprintf(stderr, "bench_handshake: the run of CPace failed: %s\n", cs_strerror(ret));
            return 1;
        }
        if (i >= 0) {
            dv[i] = (t1 - t0) + (t3 - t2) + (t5 - t4);
            hv[i] = (t2 - t1) + (t4 - t3) + (t6 - t5);
        }
        cs_pake_wipe(&dp);
        cs_pake_wipe(&hp);
    }
    const size_t hdr = CS_WIRE_HEADER;
    printf("enrollment by code (CPace), bytes of each frame (+%zu of prefix each):\n", hdr);
    printf("  START %zu, NONCE %zu, SHARE %zu, REPLY %zu, CONFIRM %zu\n", sizeof(start),
           sizeof(nonce), sizeof(share), rlen, sizeof(confirm));
    printf("  in all %zu up / %zu down (the key request before: %zu / %zu)\n",
           3 * hdr + sizeof(start) + sizeof(share) + sizeof(confirm),
           2 * hdr + sizeof(nonce) + rlen, hdr + 1, hdr + 1 + (size_t)CS_PK_LEN);
    row("device: a run of CPace", dv, runs, x, s);
    row("hub: a run of CPace", hv, runs, x, s);
    free(dv);
    free(hv);
    return 0;
}
#endif

int
main(int argc, char **argv)
{
    int runs = 2000;
    static const struct option opts[] = {{"runs", required_argument, NULL, 'r'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'r' && atoi(optarg) > 0) {
            runs = atoi(optarg);
        } else {
            fprintf(stderr, "usage: bench_handshake [--runs N]\n");
            return 2;
        }
    }
    if (cs_init() != 0)
        return 1;

    struct cs_key *dev = NULL, *hub = NULL;
    if (cs_key_generate(&dev) != 0 || cs_key_generate(&hub) != 0) {
        fprintf(stderr, "bench_handshake: cannot make keys\n");
        return 1;
    }
    struct cs_hello hello, hello_in;
    struct cs_welcome welcome, welcome_in;
    payloads(&hello, &welcome);
    uint8_t hello_buf[CS_WIRE_MAX_PREAUTH], welcome_buf[CS_WIRE_MAX_PREAUTH];
    size_t hello_len = 0, welcome_len = 0;
    if (cs_hello_encode(&hello, hello_buf, sizeof(hello_buf), &hello_len) != 0 ||
        cs_welcome_encode(&welcome, welcome_buf, sizeof(welcome_buf), &welcome_len) != 0) {
        fprintf(stderr, "bench_handshake: cannot encode the payloads\n");
        return 1;
    }

    /* The baselines' inputs: a random scalar and point, a signing key, a 64-byte message. */
    uint8_t scalar[crypto_scalarmult_SCALARBYTES], point[crypto_scalarmult_BYTES],
        shared[crypto_scalarmult_BYTES];
    uint8_t sign_pk[crypto_sign_PUBLICKEYBYTES], sign_sk[crypto_sign_SECRETKEYBYTES];
    uint8_t sig[crypto_sign_BYTES], text[64];
    randombytes_buf(scalar, sizeof(scalar));
    crypto_scalarmult_base(point, scalar);
    randombytes_buf(scalar, sizeof(scalar));
    crypto_sign_keypair(sign_pk, sign_sk);
    randombytes_buf(text, sizeof(text));

    double *dv = calloc((size_t)runs, sizeof(double)), *hv = calloc((size_t)runs, sizeof(double));
    double *xv = calloc((size_t)runs, sizeof(double)), *sv = calloc((size_t)runs, sizeof(double));
    if (dv == NULL || hv == NULL || xv == NULL || sv == NULL)
        return 1;

    static uint8_t msg1[CS_WIRE_MAX_PREAUTH], msg2[CS_WIRE_MAX_PREAUTH];
    size_t len1 = 0, len2 = 0;
#if CS_WIRE_VERSION >= 3
    uint8_t ts[CS_WIRE_TS_LEN], last[CS_WIRE_TS_LEN];
    int have_last = 0;
#endif
    for (int i = -WARMUP; i < runs; i++) {
        struct cs_hs d = {0}, h = {0};
        unsigned v = 0;
        double t0 = cpu_us();
        /* The device: the timestamp (its meta write is not timed), msg1; then msg2. */
#if CS_WIRE_VERSION >= 3
        cs_wire_ts_next(have_last ? last : NULL, ts);
        memcpy(last, ts, sizeof(last));
        have_last = 1;
        int ret =
            cs_hs_device_start(&d, dev, cs_key_pk(hub), ts, &hello, msg1, sizeof(msg1), &len1);
#else
        int ret = cs_hs_device_start(&d, dev, cs_key_pk(hub), &hello, msg1, sizeof(msg1), &len1);
#endif
        double t1 = cpu_us();
        if (ret == 0)
            ret = cs_hs_hub_read(&h, hub, msg1, len1, &hello_in);
        if (ret == 0)
            ret = cs_hs_hub_reply(&h, &welcome, msg2, sizeof(msg2), &len2);
        double t2 = cpu_us();
        if (ret == 0)
            ret = cs_hs_device_finish(&d, dev, cs_key_pk(hub), msg2, len2, &welcome_in, &v);
        double t3 = cpu_us();
        if (ret != 0 || v != CS_WIRE_VERSION || welcome_in.status != CS_WELCOME_OK ||
            memcmp(d.tx, h.rx, sizeof(d.tx)) != 0 || memcmp(d.rx, h.tx, sizeof(d.rx)) != 0) {
            fprintf(stderr, "bench_handshake: the handshake failed: %s\n", cs_strerror(ret));
            return 1;
        }
        cs_hs_release(&d);
        cs_hs_release(&h);
        double t4 = cpu_us();
        if (crypto_scalarmult(shared, scalar, point) != 0)
            return 1;
        double t5 = cpu_us();
        crypto_sign_detached(sig, NULL, text, sizeof(text), sign_sk);
        double t6 = cpu_us();
        if (i >= 0) {
            dv[i] = (t1 - t0) + (t3 - t2);
            hv[i] = t2 - t1;
            xv[i] = t5 - t4;
            sv[i] = t6 - t5;
        }
        point[0] ^= shared[0]; /* a new point each run, so nothing is cached */
        text[0] ^= sig[0];
    }

    const size_t hdr = CS_WIRE_HEADER, ssh = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
    printf("bench_handshake: wire version %d, %d runs (+%d not counted), cellsync %s\n",
           CS_WIRE_VERSION, runs, WARMUP, CS_VERSION_STRING);
    printf("bytes (payloads: hello %zu, welcome %zu):\n", hello_len, welcome_len);
    printf("  msg1                           %4zu  (hello + %zu)\n", len1, len1 - hello_len);
    printf("  msg2                           %4zu  (welcome + %zu)\n", len2, len2 - welcome_len);
    printf("  session headers, each way      %4zu\n", ssh);
    printf("  handshake and session start    %4zu  (with the %zu-byte frame prefixes:"
           " 4 frames)\n",
           len1 + len2 + 2 * ssh + 4 * hdr, hdr);
    printf("  of it, up / down               %4zu / %zu\n", hdr + len1 + hdr + ssh,
           hdr + len2 + hdr + ssh);
    double x = median(xv, runs), s = median(sv, runs);
    printf("CPU time of this thread per operation, median [min..max]:\n");
    row("device: a whole handshake", dv, runs, x, s);
    row("hub: a whole handshake", hv, runs, x, s);
    row("baseline: X25519 scalarmult", xv, runs, x, s);
    row("baseline: Ed25519 sign", sv, runs, x, s);
#if CS_WIRE_VERSION >= 4
    if (pake_bench(runs, x, s) != 0)
        return 1;
#endif

    free(dv);
    free(hv);
    free(xv);
    free(sv);
    cs_key_free(dev);
    cs_key_free(hub);
    return 0;
}
