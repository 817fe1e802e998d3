/* SPDX-License-Identifier: MIT */
/*
 * `cellsync sync`: one live sync with the hub over TCP. After the handshake
 * both sides stream at once: this device sends its own writes the hub has
 * not merged yet, in chunks the hub acknowledges one by one, while the hub
 * sends what this device's unit has not seen. Nothing waits for a round
 * trip per record, so a 600 ms satellite link costs little more than the
 * handshake. Every chunk is merged with the cursor that covers it, so a
 * link that drops loses at most the chunk in flight: the next sync resumes.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/key.h"
#include "cellsync/sync.h"
#include "cellsync/wire.h"
#include "client.h"
#include "link.h"

#define OUT_HIGH (256u << 10) /* stop making chunks while this much waits to be sent */

static const struct opt sync_opts[] = {
    {"hub", 1, N_("the hub's address HOST:PORT (default: the one from enrollment)")},
    {"timeout", 1, N_("seconds to wait for the hub to answer (default 60)")},
    {"quiet", 0, N_("no progress bar")},
};

static void
progress(const struct tally *t, int on)
{
    if (!on)
        return;
    fprintf(stderr, _("\r  sent %zu changes (%.1f KiB)  received %zu changes (%.1f KiB)  "),
            t->sent_changes, t->sent_bytes / 1024.0, t->recv_changes, t->recv_bytes / 1024.0);
}

struct down_ctx {
    struct cs_replica *rep;
    uint64_t seq;
};

/* The hub seq applied here commits with the chunk it covers, or not at all. */
static int
save_hub_seq(void *ud, sqlite3 *db)
{
    struct down_ctx *d = ud;
    char buf[32];
    (void)db;
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)d->seq);
    return cs_replica_meta_set(d->rep, "hub_seq", buf) == 0 ? 0 : SQLITE_ERROR;
}

static uint64_t
meta_u64(struct cs_replica *r, const char *key)
{
    char buf[32];
    return cs_replica_meta_get(r, key, buf, sizeof(buf)) == 0 ? strtoull(buf, NULL, 10) : 0;
}

static void
meta_put_u64(struct cs_replica *r, const char *key, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    cs_replica_meta_set(r, key, buf);
}

static int
sync_run(struct client *c, const struct verb_args *a)
{
    char addr[256] = "", hex[CS_PK_LEN * 2 + 1] = "", secret_hex[65] = "", keypath[PATH_MAX + 32];
    char err[1024] = "";
    uint8_t hub_pk[CS_PK_LEN], msg1[CS_WIRE_MAX_PREAUTH];
    struct cs_key *dev = NULL;
    struct cs_hello hello = {0};
    struct cs_welcome w = {0};
    struct cs_hs hs;
    struct link l = {.fd = -1, .timeout = 60};
    struct tally t = {0};
    int ret = CS_EXIT_FAILURE, rc, tty = isatty(2) && a->ov[2] == NULL;
    uint8_t *frame;
    size_t flen, len;
    unsigned hub_version = 0;

    if (a->ov[1] != NULL && (l.timeout = atoi(a->ov[1])) <= 0)
        return client_usage(_("sync: --timeout needs a number of seconds"));
    if (a->ov[0] != NULL)
        snprintf(addr, sizeof(addr), "%s", a->ov[0]);
    else if (cs_replica_meta_get(c->rep, "hub_addr", addr, sizeof(addr)) != 0 || addr[0] == 0)
        return client_fail(_("no hub address: give --hub HOST:PORT, or enroll first"));
    if (cs_replica_meta_get(c->rep, "hub_pk", hex, sizeof(hex)) != 0 ||
        sodium_hex2bin(hub_pk, sizeof(hub_pk), hex, strlen(hex), NULL, &len, NULL) != 0 ||
        len != CS_PK_LEN)
        return client_fail(_("this device is not enrolled with a hub: run 'cellsync enroll' "
                             "first"));
    client_path(c, CLIENT_KEY, keypath, sizeof(keypath));
    if ((rc = cs_key_load(&dev, keypath, err, sizeof(err))) != 0)
        return client_fail("%s", err);

    hello.hub_seq = meta_u64(c->rep, "hub_seq");
    if (cs_replica_meta_get(c->rep, "enroll_secret", secret_hex, sizeof(secret_hex)) == 0 &&
        sodium_hex2bin(hello.secret, sizeof(hello.secret), secret_hex, strlen(secret_hex), NULL,
                       &len, NULL) == 0 &&
        len == sizeof(hello.secret))
        hello.has_secret = 1;
    cs_replica_meta_get(c->rep, "device_name", hello.name, sizeof(hello.name));

    if ((rc = link_connect(&l, addr, err, sizeof(err))) != 0)
        goto fail;
    if ((rc = cs_hs_device_start(&hs, dev, hub_pk, &hello, msg1, sizeof(msg1), &len)) != 0 ||
        (rc = link_queue(&l, msg1, len)) != 0)
        goto fail;
    if ((rc = link_pump(&l, CS_WIRE_MAX_PREAUTH, 1, &frame, &flen, &t, err, sizeof(err))) != 0) {
        /* A hub that cannot read our first message hangs up without a word. */
        if (rc == -ECONNRESET)
            cs_errf(err, sizeof(err), rc,
                    _("the hub at '%s' hung up during the handshake: it is not the hub this "
                      "device was enrolled with (its key differs), or it is too old"),
                    addr);
        goto fail;
    }
    rc = cs_hs_device_finish(&hs, dev, hub_pk, frame, flen, &w, &hub_version);
    link_consume(&l, flen);
    if (rc == CS_EVERSION) {
        client_fail(_("the hub speaks protocol version %u, this program version %u: update "
                      "the older one"),
                    hub_version, CS_WIRE_VERSION);
        goto out;
    }
    if (rc != 0) {
        client_fail(_("the hub at '%s' did not prove it holds the key this device was enrolled "
                      "with: %s"),
                    addr, cs_strerror(rc));
        goto out;
    }
    if (w.status != CS_WELCOME_OK) {
        client_fail(_("the hub refused this device: %s"), w.message);
        goto out;
    }

    /* The hub's clock is the reference: keep the offset for every later stamp. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t wall = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    int64_t offset = (int64_t)cs_hlc_ms(w.hub_time) - wall;
    cs_replica_clock(c->rep)->offset_ms = offset;
    char obuf[32];
    snprintf(obuf, sizeof(obuf), "%lld", (long long)offset);
    cs_replica_meta_set(c->rep, "clock_offset_ms", obuf);
    cs_replica_meta_set(c->rep, "org", w.org);
    cs_replica_meta_set(c->rep, "role", w.role);
    if (hello.has_secret)
        cs_replica_meta_set(c->rep, "enroll_secret", "");
    /*
     * Writes stamped while this computer's clock ran ahead would be refused:
     * those the hub has not acknowledged take the hub's time before they go.
     */
    size_t restamped = 0;
    uint64_t limit = w.hub_time + cs_hlc_make(CS_HLC_DRIFT_DEFAULT_MS / 2, 0);
    if ((rc = cs_replica_restamp(c->rep, w.up_seq, limit, &restamped, err, sizeof(err))) != 0)
        goto fail;
    if (restamped > 0)
        fprintf(stderr,
                _("cellsync: %zu changes were written while this computer's clock was ahead; "
                  "they now carry the hub's time\n"),
                restamped);

    uint8_t hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    if ((rc = cs_session_init(&l.sess, &hs, hdr)) != 0 || (rc = link_queue(&l, hdr, sizeof(hdr))))
        goto fail;
    l.sess_ready = 1;
    if ((rc = link_pump(&l, CS_WIRE_MAX_FRAME, 1, &frame, &flen, &t, err, sizeof(err))) != 0)
        goto fail;
    rc = cs_session_accept(&l.sess, &hs, frame, flen);
    link_consume(&l, flen);
    sodium_memzero(&hs, sizeof(hs));
    if (rc != 0)
        goto fail;

    /* Stream: our chunks out while the hub's come in. */
    const struct cs_id *self = cs_replica_site(c->rep);
    struct cs_since_filter own = {.only_origin = self};
    /*
     * up_sent: how far our chunks reach; up_wait: the last seq of a chunk
     * actually sent, whose ACK we wait for. A chunk with no change of ours
     * is not sent at all: DONE carries the cursor past it.
     */
    uint64_t up_sent = w.up_seq, up_acked = w.up_seq, up_wait = w.up_seq;
    int up_done = 0, down_done = 0;
    while (!(up_done && up_acked >= up_wait && down_done)) {
        while (!up_done && l.outlen - l.outoff < OUT_HIGH) {
            struct cs_chunk ch;
            struct cs_msg m = {0};
            if ((rc = cs_sync_make_chunk(c->rep, dev, hub_pk, up_sent, &own, CS_SYNC_CHUNK, &ch,
                                         err, sizeof(err))) != 0)
                goto fail;
            if (ch.changes > 0) {
                m.type = CS_MSG_CHUNK;
                m.env = ch.env;
                m.envlen = ch.envlen;
                rc = link_queue_msg(&l, &m);
                up_wait = ch.seq_last;
                t.sent_changes += ch.changes;
            }
            if (ch.seq_last > up_sent)
                up_sent = ch.seq_last;
            free(ch.env);
            if (rc != 0)
                goto fail;
            if (ch.last) {
                struct cs_msg done = {.type = CS_MSG_DONE, .seq = up_sent};
                if ((rc = link_queue_msg(&l, &done)) != 0)
                    goto fail;
                up_done = 1;
            }
        }
        if ((rc = link_pump(&l, CS_WIRE_MAX_FRAME, 1, &frame, &flen, &t, err, sizeof(err))) != 0)
            goto fail;
        uint8_t *plain = malloc(flen + 1);
        size_t plen;
        struct cs_msg m = {0};
        if (plain == NULL) {
            rc = CS_ENOMEM;
            goto fail;
        }
        rc = cs_session_open(&l.sess, frame, flen, plain, &plen);
        link_consume(&l, flen);
        if (rc == 0)
            rc = cs_msg_decode(&m, plain, plen);
        if (rc != 0) {
            free(plain);
            cs_errf(err, sizeof(err), rc, _("garbled data from the hub: %s"), cs_strerror(rc));
            goto fail;
        }
        switch (m.type) {
        case CS_MSG_ACK:
            if (m.seq > up_acked)
                up_acked = m.seq;
            meta_put_u64(c->rep, "hub_ack_seq", up_acked);
            break;
        case CS_MSG_REFUSED:
            for (size_t i = 0; i < m.nrefused; i++)
                fprintf(stderr, _("%scellsync: the hub refused a change to %s.%s: %s\n"),
                        tty ? "\n" : "", m.refused[i].table, m.refused[i].column,
                        m.refused[i].reason);
            t.refused += m.nrefused;
            break;
        case CS_MSG_CHUNK: {
            struct down_ctx d = {c->rep, 0};
            struct cs_apply_opts opts = {.before_commit = save_hub_seq, .ud = &d};
            struct cs_envelope_info info;
            struct cs_apply_stats st;
            if (cs_envelope_peek(m.env, m.envlen, &info) == 0)
                d.seq = info.seq_last;
            rc = cs_sync_take_chunk(c->rep, dev, hub_pk, m.env, m.envlen, &opts, &st, &info, err,
                                    sizeof(err));
            if (rc == 0) {
                struct cs_msg ack = {.type = CS_MSG_ACK, .seq = info.seq_last};
                t.recv_changes += st.applied;
                rc = link_queue_msg(&l, &ack);
            }
            break;
        }
        case CS_MSG_DONE:
            /* Every chunk before it is applied: the cursor may pass what held nothing for us. */
            if (m.seq > meta_u64(c->rep, "hub_seq"))
                meta_put_u64(c->rep, "hub_seq", m.seq);
            down_done = 1;
            break;
        case CS_MSG_ERROR:
            cs_errf(err, sizeof(err), CS_EINVAL, _("the hub stopped the sync: %s"), m.message);
            rc = CS_EINVAL;
            break;
        }
        cs_msg_release(&m);
        free(plain);
        if (rc != 0)
            goto fail;
        progress(&t, tty);
    }
    /* Our last acknowledgments must reach the hub before we hang up. */
    if ((rc = link_pump(&l, CS_WIRE_MAX_FRAME, 0, &frame, &flen, &t, err, sizeof(err))) != 0)
        goto fail;
    char when[32];
    snprintf(when, sizeof(when), "%lld", (long long)time(NULL));
    cs_replica_meta_set(c->rep, "last_contact", when);
    if (tty)
        fputc('\n', stderr);
    uint64_t open = 0;
    cs_replica_conflict_count(c->rep, &open);
    printf(_("synced with %s: sent %zu changes (%.1f KiB), received %zu (%.1f KiB), refused %zu, "
             "open conflicts %llu, hub clock %+.1f s from this one\n"),
           addr, t.sent_changes, t.sent_bytes / 1024.0, t.recv_changes, t.recv_bytes / 1024.0,
           t.refused, (unsigned long long)open, offset / 1000.0);
    ret = CS_EXIT_OK;
    goto out;
fail:
    if (tty)
        fputc('\n', stderr);
    client_fail("%s", err[0] ? err : cs_strerror(rc));
out:
    link_close(&l);
    cs_key_free(dev);
    return ret;
}

static const struct verb verbs[] = {
    {"now", sync_run, NULL, sync_opts, 3, "", 0, 0, N_("sync with the hub now")},
};

int
cmd_sync(int argc, char **argv)
{
    return run_single("sync", &verbs[0], argc, argv);
}
