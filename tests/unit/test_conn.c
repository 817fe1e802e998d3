/* SPDX-License-Identifier: MIT */
/*
 * The hub's connection code (daemon/conn.c) on a real libuv loop, with a
 * real hub in a temp state directory, listening on 127.0.0.1 port 0. A raw
 * client on the same loop sends what a hostile or broken peer would: a
 * frame length over the pre-authentication limit, garbage, a newer protocol
 * version, half a frame then a hang-up, or nothing at all. Each case counts
 * the client's callbacks, checks what the hub sent back and that the hub's
 * store is unchanged, and closes every handle: uv_loop_close() returns 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "cellsync/key.h"
#include "cellsync/version.h"
#include "cellsync/wire.h"
#include "conn.h"
#include "hub.h"
#include "serve.h"

static char base[] = "/tmp/cs_conn_XXXXXX";
static struct hub *hub;

/* A province and one cell: the hub needs an org tree, these cases never reach it. */
static const char tree_csv[] = "id,parent,level,kind,name\n"
                               "QN,,province,,\"Tỉnh Quảng Nam\"\n"
                               "QN-1,QN,cell,village,\"Chi bộ thôn 1\"\n";

#define WATCH_MS   10    /* how often the watch looks whether the case is over */
#define GIVE_UP_MS 10000 /* a case not over by then fails */

/* The raw client: writes its bytes once connected, then reads until the hub closes. */
struct peer {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq;
    uint8_t out[256];
    size_t outlen;
    int hang_up; /* close right after writing, without waiting for the hub */
    uint8_t in[256];
    size_t inlen;
    int connected, written, ended, closed; /* callbacks seen */
    ssize_t end_status;                    /* what the read that ended said (UV_EOF, ...) */
};

/* One case: the server, its client, and a timer that stops all once both sides are gone. */
struct run {
    uv_loop_t loop;
    struct server s;
    struct peer p;
    uv_timer_t watch;
    uint64_t t0, elapsed;
    int gave_up;
    sqlite3_int64 changes_before;
};

static void
peer_closed(uv_handle_t *h)
{
    struct peer *p = h->data;
    p->closed++;
}

static void
peer_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct peer *p = h->data;
    (void)suggested;
    *buf = uv_buf_init((char *)p->in + p->inlen, (unsigned)(sizeof(p->in) - p->inlen));
}

static void
peer_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct peer *p = st->data;
    (void)buf;
    if (nread > 0) {
        p->inlen += (size_t)nread;
        return;
    }
    if (nread == 0)
        return;
    p->ended++;
    p->end_status = nread;
    uv_close((uv_handle_t *)&p->tcp, peer_closed);
}

static void
peer_written(uv_write_t *req, int status)
{
    struct peer *p = req->data;
    assert_int_equal(status, 0);
    p->written++;
    if (p->hang_up)
        uv_close((uv_handle_t *)&p->tcp, peer_closed);
}

static void
peer_connected(uv_connect_t *req, int status)
{
    struct peer *p = req->data;
    assert_int_equal(status, 0);
    p->connected++;
    if (p->outlen > 0) {
        uv_buf_t b = uv_buf_init((char *)p->out, (unsigned)p->outlen);
        p->wreq.data = p;
        assert_int_equal(uv_write(&p->wreq, (uv_stream_t *)&p->tcp, &b, 1, peer_written), 0);
    }
    if (!p->hang_up)
        assert_int_equal(uv_read_start((uv_stream_t *)&p->tcp, peer_alloc, peer_read), 0);
}

/* Over once the client is closed and the hub has freed its connection; then the listener goes. */
static void
watch_cb(uv_timer_t *t)
{
    struct run *r = t->data;
    int over = r->p.closed && r->s.nconns == 0;
    if (!over && uv_now(&r->loop) - r->t0 < GIVE_UP_MS)
        return;
    if (!over) {
        r->gave_up = 1;
        if (!uv_is_closing((uv_handle_t *)&r->p.tcp))
            uv_close((uv_handle_t *)&r->p.tcp, peer_closed);
    }
    r->elapsed = uv_now(&r->loop) - r->t0;
    conn_stop(&r->s);
    uv_close((uv_handle_t *)t, NULL);
}

static sqlite3_int64
hub_changes(void)
{
    return sqlite3_total_changes64(cs_replica_db(hub_replica(hub)));
}

/* Serves one client that sends bytes (and hangs up after, if asked) until both sides are gone. */
static void
run_case(struct run *r, const void *bytes, size_t n, int hang_up, unsigned handshake_timeout)
{
    struct sockaddr_in a;
    int port = 0;

    memset(r, 0, sizeof(*r));
    assert_true(n <= sizeof(r->p.out));
    if (n > 0)
        memcpy(r->p.out, bytes, n);
    r->p.outlen = n;
    r->p.hang_up = hang_up;
    r->changes_before = hub_changes();

    assert_int_equal(uv_loop_init(&r->loop), 0);
    r->s.loop = &r->loop;
    r->s.hub = hub;
    conf_defaults(&r->s.conf);
    if (handshake_timeout > 0)
        r->s.conf.handshake_timeout = handshake_timeout;
    assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &a), 0);
    assert_int_equal(conn_listen(&r->s, (const struct sockaddr *)&a, &port), 0);
    assert_true(port > 0);

    assert_int_equal(uv_tcp_init(&r->loop, &r->p.tcp), 0);
    r->p.tcp.data = &r->p;
    r->p.creq.data = &r->p;
    assert_int_equal(uv_ip4_addr("127.0.0.1", port, &a), 0);
    assert_int_equal(
        uv_tcp_connect(&r->p.creq, &r->p.tcp, (const struct sockaddr *)&a, peer_connected), 0);

    assert_int_equal(uv_timer_init(&r->loop, &r->watch), 0);
    r->watch.data = r;
    assert_int_equal(uv_timer_start(&r->watch, watch_cb, WATCH_MS, WATCH_MS), 0);
    r->t0 = uv_now(&r->loop);

    assert_int_equal(uv_run(&r->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&r->loop), 0);
    assert_false(r->gave_up);
    /* Every connection freed (conn_free ran), the listener closed. */
    assert_int_equal(r->s.nconns, 0);
    assert_true(r->s.stopping);
    assert_int_equal(r->p.connected, 1);
    assert_int_equal(r->p.closed, 1);
}

static void
frame(uint8_t *out, uint32_t len)
{
    cs_wire_frame_put(out, len);
}

/* ---- the cases ---- */

/* A frame length over the pre-authentication limit: closed before anything is read or queued. */
static void
test_oversized_before_handshake(void **state)
{
    struct run r;
    uint8_t b[CS_WIRE_HEADER + 8] = {0};
    (void)state;
    frame(b, CS_WIRE_MAX_PREAUTH + 1);
    run_case(&r, b, sizeof(b), 0, 0);
    assert_int_equal(r.p.written, 1);
    assert_int_equal(r.p.ended, 1);
    assert_int_equal(r.p.inlen, 0);
    assert_int_equal(r.s.worker.jobs_done, 0);
    assert_int_equal(hub_changes(), r.changes_before);
}

/*
 * A hello of the right version but garbage inside: the crypto stage refuses
 * it (CS_WIRE_HS_REFUSED, nothing of the handshake), and the worker never
 * sees it (F15: no place in its queue).
 */
static void
test_garbage_hello(void **state)
{
    struct run r;
    uint8_t b[CS_WIRE_HEADER + 160];
    (void)state;
    frame(b, 160);
    for (size_t i = CS_WIRE_HEADER; i < sizeof(b); i++)
        b[i] = (uint8_t)(i * 37 + 11);
    b[CS_WIRE_HEADER] = CS_WIRE_VERSION;
    run_case(&r, b, sizeof(b), 0, 0);
    assert_int_equal(r.p.written, 1);
    assert_int_equal(r.p.ended, 1);
    assert_int_equal(r.p.inlen, CS_WIRE_HEADER + 1);
    assert_int_equal(r.p.in[CS_WIRE_HEADER], CS_WIRE_HS_REFUSED);
    assert_int_equal(r.s.worker.jobs_done, 0);
    assert_int_equal(r.s.worker.batches, 0);
    assert_int_equal(hub_changes(), r.changes_before);
}

/* A newer protocol version: the version reply is written (DRAINING), then the hub closes. */
static void
test_newer_version(void **state)
{
    struct run r;
    uint8_t b[CS_WIRE_HEADER + 40];
    uint32_t len;
    (void)state;
    memset(b, 0xab, sizeof(b));
    frame(b, 40);
    b[CS_WIRE_HEADER] = CS_WIRE_VERSION + 1;
    run_case(&r, b, sizeof(b), 0, 0);
    assert_int_equal(r.p.ended, 1);
    assert_int_equal(r.p.end_status, UV_EOF);
    assert_true(r.p.inlen > CS_WIRE_HEADER);
    assert_int_equal(cs_wire_frame_len(r.p.in, CS_WIRE_MAX_PREAUTH, &len), 0);
    assert_int_equal(r.p.inlen, CS_WIRE_HEADER + len);
    assert_int_equal(r.p.in[CS_WIRE_HEADER], CS_WIRE_VERSION_REPLY);
    /* Answered by the crypto stage: the worker never sees it. */
    assert_int_equal(r.s.worker.jobs_done, 0);
    assert_int_equal(hub_changes(), r.changes_before);
}

/* The key request of versions before 4 gets the version reply, never the hub's key. */
static void
test_key_request(void **state)
{
    struct run r;
    uint8_t b[CS_WIRE_HEADER + 1];
    (void)state;
    frame(b, 1);
    b[CS_WIRE_HEADER] = 0x00;
    run_case(&r, b, sizeof(b), 0, 0);
    assert_int_equal(r.p.ended, 1);
    assert_int_equal(r.p.inlen, CS_WIRE_HEADER + 2);
    assert_int_equal(r.p.in[CS_WIRE_HEADER], CS_WIRE_VERSION_REPLY);
    assert_int_equal(r.p.in[CS_WIRE_HEADER + 1], CS_WIRE_VERSION);
    assert_int_equal(hub_changes(), r.changes_before);
}

/* A START of enrollment by code for a given version and number, and a SHARE after it. */
static size_t
pake_bytes(uint8_t *b, unsigned version, uint32_t number)
{
    uint8_t secret[CS_ENROLL_SECRET_LEN], bits[8] = {0}, nonce[CS_PAKE_NONCE_MSG] = {0};
    struct cs_pake p;
    cs_enroll_code_secret(number, bits, secret);
    frame(b, CS_PAKE_START_LEN);
    assert_int_equal(cs_pake_dev_start(&p, secret, b + CS_WIRE_HEADER), 0);
    b[CS_WIRE_HEADER + 2] = (uint8_t)version;
    uint8_t *share = b + CS_WIRE_HEADER + CS_PAKE_START_LEN;
    frame(share, CS_PAKE_SHARE_LEN);
    nonce[0] = CS_PAKE_FRAME;
    nonce[1] = CS_PAKE_NONCE;
    assert_int_equal(cs_pake_dev_share(&p, nonce, sizeof(nonce), share + CS_WIRE_HEADER), 0);
    cs_pake_wipe(&p);
    return 2 * CS_WIRE_HEADER + CS_PAKE_START_LEN + CS_PAKE_SHARE_LEN;
}

/* Enrollment by code for a number no open code has: the NONCE, then the refusal; nothing written.
 */
static void
test_pake_no_code(void **state)
{
    struct run r;
    uint8_t b[128];
    enum cs_pake_refusal why;
    unsigned wait_s;
    (void)state;
    size_t n = pake_bytes(b, CS_WIRE_VERSION, 77);
    run_case(&r, b, n, 0, 0);
    assert_int_equal(r.p.ended, 1);
    assert_int_equal(r.p.inlen, 2 * CS_WIRE_HEADER + CS_PAKE_NONCE_MSG + CS_PAKE_REFUSE_LEN);
    assert_int_equal(cs_pake_step(r.p.in + CS_WIRE_HEADER, CS_PAKE_NONCE_MSG), CS_PAKE_NONCE);
    const uint8_t *f = r.p.in + 2 * CS_WIRE_HEADER + CS_PAKE_NONCE_MSG;
    assert_int_equal(cs_pake_refusal_read(f, CS_PAKE_REFUSE_LEN, &why, &wait_s), 0);
    assert_int_equal(why, CS_PAKE_NO_CODE);
    assert_int_equal(hub_changes(), r.changes_before);
}

/* A START of another version: the version reply, before any work. */
static void
test_pake_old_version(void **state)
{
    struct run r;
    uint8_t b[128];
    (void)state;
    size_t n = pake_bytes(b, CS_WIRE_VERSION - 1, 77);
    run_case(&r, b, n, 0, 0);
    assert_int_equal(r.p.ended, 1);
    assert_int_equal(r.p.inlen, CS_WIRE_HEADER + 2);
    assert_int_equal(r.p.in[CS_WIRE_HEADER], CS_WIRE_VERSION_REPLY);
    assert_int_equal(r.p.in[CS_WIRE_HEADER + 1], CS_WIRE_VERSION);
    assert_int_equal(r.s.worker.jobs_done, 0);
    assert_int_equal(hub_changes(), r.changes_before);
}

/* Half a frame, then the peer hangs up: the hub frees the connection and its buffer. */
static void
test_hang_up_mid_frame(void **state)
{
    struct run r;
    uint8_t b[CS_WIRE_HEADER + 10] = {0};
    (void)state;
    frame(b, 100);
    b[CS_WIRE_HEADER] = CS_WIRE_VERSION;
    run_case(&r, b, sizeof(b), 1, 0);
    assert_int_equal(r.p.written, 1);
    assert_int_equal(r.p.ended, 0);
    assert_int_equal(r.s.worker.jobs_done, 0);
    assert_int_equal(hub_changes(), r.changes_before);
}

/* A peer that says nothing is closed once the handshake timeout (1 s here) has passed. */
static void
test_handshake_timeout(void **state)
{
    struct run r;
    (void)state;
    run_case(&r, NULL, 0, 0, 1);
    assert_int_equal(r.p.written, 0);
    assert_int_equal(r.p.ended, 1);
    assert_int_equal(r.p.inlen, 0);
    assert_true(r.elapsed >= 900);
    assert_int_equal(r.s.worker.jobs_done, 0);
    assert_int_equal(hub_changes(), r.changes_before);
}

/* ---- setup ---- */

static int
group_setup(void **state)
{
    char csv[sizeof(base) + 16], st[sizeof(base) + 16], err[512] = "";
    FILE *f;
    (void)state;
    if (cs_init() != 0 || mkdtemp(base) == NULL)
        return -1;
    snprintf(csv, sizeof(csv), "%s/tree.csv", base);
    snprintf(st, sizeof(st), "%s/state", base);
    if ((f = fopen(csv, "w")) == NULL)
        return -1;
    fputs(tree_csv, f);
    if (fclose(f) != 0)
        return -1;
    if (hub_init(st, csv, err, sizeof(err)) != 0 || hub_open(&hub, st, err, sizeof(err)) != 0) {
        fprintf(stderr, "hub: %s\n", err);
        return -1;
    }
    return 0;
}

static int
group_teardown(void **state)
{
    char cmd[sizeof(base) + 16];
    (void)state;
    hub_close(hub);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oversized_before_handshake),
        cmocka_unit_test(test_garbage_hello),
        cmocka_unit_test(test_newer_version),
        cmocka_unit_test(test_key_request),
        cmocka_unit_test(test_pake_no_code),
        cmocka_unit_test(test_pake_old_version),
        cmocka_unit_test(test_hang_up_mid_frame),
        cmocka_unit_test(test_handshake_timeout),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
