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
#include "device.h"
#include "link.h"

#define OUT_HIGH (256u << 10) /* stop making chunks while this much waits to be sent */

enum { OPT_HUB, OPT_TIMEOUT, OPT_QUIET, OPT__COUNT };
static const struct cs_cli_opt sync_opts[OPT__COUNT] = {
    [OPT_HUB] = {"hub", 1, N_("the hub's address HOST:PORT (default: the one from enrollment)")},
    [OPT_TIMEOUT] = {"timeout", 1, N_("seconds to wait for the hub to answer (default 60)")},
    [OPT_QUIET] = {"quiet", 0, N_("no progress bar")},
};

static void
progress(const struct tally *t, int on)
{
    if (!on)
        return;
    fprintf(stderr, _("\r  sent %zu changes (%.1f KiB)  received %zu changes (%.1f KiB)  "),
            t->sent_changes, t->sent_bytes / 1024.0, t->recv_changes, t->recv_bytes / 1024.0);
}

static int
sync_run(struct client *c, const struct verb_args *a)
{
    char addr[256] = "", keypath[PATH_MAX + 32];
    char err[1024] = "";
    uint8_t msg1[CS_WIRE_MAX_PREAUTH];
    struct device d = {0};
    struct cs_hello hello = {0};
    struct cs_welcome w = {0};
    struct cs_hs hs;
    struct link l = {.fd = -1, .timeout = 60};
    struct tally t = {0};
    int ret = CS_EXIT_FAILURE, rc, tty = isatty(2) && a->ov[OPT_QUIET] == NULL;
    uint8_t *frame;
    size_t flen, len;
    unsigned hub_version = 0;

    if (a->ov[OPT_TIMEOUT] != NULL && (l.timeout = atoi(a->ov[OPT_TIMEOUT])) <= 0)
        return client_usage(_("sync: --timeout needs a number of seconds"));
    if (a->ov[OPT_HUB] != NULL)
        snprintf(addr, sizeof(addr), "%s", a->ov[OPT_HUB]);
    else if (cs_replica_meta_get(c->rep, "hub_addr", addr, sizeof(addr)) != 0 || addr[0] == 0)
        return client_fail(_("no hub address: give --hub HOST:PORT, or enroll first"));
    if (client_check_replica(c) != 0)
        return CS_EXIT_FAILURE;
    client_path(c, CLIENT_KEY, keypath, sizeof(keypath));
    if ((rc = device_open(&d, c->rep, keypath, err, sizeof(err))) != 0)
        return client_fail("%s", err);

    if ((rc = link_connect(&l, addr, err, sizeof(err))) != 0)
        goto fail;
    device_hello(&d, &hello);
    rc = cs_hs_device_start(&hs, d.key, d.hub_pk, &hello, msg1, sizeof(msg1), &len);
    sodium_memzero(&hello, sizeof(hello));
    if (rc != 0 || (rc = link_queue(&l, msg1, len)) != 0)
        goto fail;
    if ((rc = link_pump(&l, CS_WIRE_MAX_PREAUTH, 1, &frame, &flen, &t, err, sizeof(err))) != 0) {
        /* A hub that cannot read our first message hangs up without a word. */
        if (rc == -EPIPE && t.recv_bytes == 0)
            cs_errf(err, sizeof(err), rc,
                    _("the hub at '%s' hung up during the handshake: it is not the hub this "
                      "device was enrolled with (its key differs), or it is too old"),
                    addr);
        goto fail;
    }
    rc = cs_hs_device_finish(&hs, d.key, d.hub_pk, frame, flen, &w, &hub_version);
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

    if ((rc = device_welcome(&d, &w, DEVICE_LIVE, NULL, err, sizeof(err))) != 0)
        goto fail;
    int64_t offset = cs_replica_clock(c->rep)->offset_ms;
    size_t restamped = 0;
    if ((rc = device_restamp(&d, w.up_seq, w.hub_time, &restamped, err, sizeof(err))) != 0)
        goto fail;

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
    /*
     * At most about one chunk's worth of bytes unacknowledged on the wire:
     * what a dropped link loses, and sends again, is bounded by it, while
     * chunks (which compress well) still stream without a round trip each.
     */
    struct {
        uint64_t seq;
        size_t bytes;
    } flight[64];
    size_t nflight = 0, flight_bytes = 0;
    while (!(up_done && up_acked >= up_wait && down_done)) {
        while (!up_done && l.outlen - l.outoff < OUT_HIGH && nflight < 64 &&
               (nflight == 0 || flight_bytes < CS_SYNC_CHUNK)) {
            struct cs_chunk ch;
            struct cs_msg m = {0};
            if ((rc = cs_sync_make_chunk(c->rep, d.key, d.hub_pk, up_sent, &own, CS_SYNC_CHUNK, &ch,
                                         err, sizeof(err))) != 0)
                goto fail;
            if (ch.changes > 0) {
                m.type = CS_MSG_CHUNK;
                m.env = ch.env;
                m.envlen = ch.envlen;
                rc = link_queue_msg(&l, &m);
                up_wait = ch.seq_last;
                t.sent_changes += ch.changes;
                flight[nflight].seq = ch.seq_last;
                flight[nflight].bytes = ch.envlen;
                flight_bytes += ch.envlen;
                nflight++;
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
        struct cs_msg m;
        rc = cs_session_read_msg(&l.sess, frame, flen, &m);
        link_consume(&l, flen);
        if (rc != 0) {
            cs_errf(err, sizeof(err), rc, _("garbled data from the hub: %s"), cs_strerror(rc));
            goto fail;
        }
        switch (m.type) {
        case CS_MSG_ACK:
            if (m.seq > up_acked)
                up_acked = m.seq;
            while (nflight > 0 && flight[0].seq <= up_acked) {
                flight_bytes -= flight[0].bytes;
                memmove(flight, flight + 1, --nflight * sizeof(flight[0]));
            }
            device_ack(&d, up_acked);
            break;
        case CS_MSG_REFUSED: {
            size_t again = 0;
            for (size_t i = 0; i < m.nrefused; i++)
                fprintf(stderr, _("%scellsync: the hub refused a change to %s.%s: %s\n"),
                        tty ? "\n" : "", m.refused[i].table, m.refused[i].column,
                        m.refused[i].reason);
            t.refused += m.nrefused;
            rc = device_reissue(&d, m.refused, m.nrefused, w.hub_time, &again, err, sizeof(err));
            break;
        }
        case CS_MSG_CHUNK: {
            struct cs_envelope_info info;
            struct cs_apply_stats st;
            int skipped;
            rc = device_take_chunk(&d, m.env, m.envlen, &st, &info, &skipped, err, sizeof(err));
            if (rc == 0) {
                struct cs_msg ack = {.type = CS_MSG_ACK, .seq = info.seq_last};
                t.recv_changes += st.applied;
                rc = link_queue_msg(&l, &ack);
            }
            break;
        }
        case CS_MSG_DONE:
            /* Every chunk before it is applied: the cursor may pass what held nothing for us. */
            device_pass_hub_seq(&d, m.seq);
            down_done = 1;
            break;
        case CS_MSG_ERROR:
            cs_errf(err, sizeof(err), CS_EINVAL, _("the hub stopped the sync: %s"), m.message);
            rc = CS_EINVAL;
            break;
        }
        cs_msg_release(&m);
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
    device_release(&d);
    return ret;
}

static const struct verb sync_verb = {
    NULL, sync_run, NULL, sync_opts, OPT__COUNT, "", 0, 0, N_("sync with the hub now"),
};

int
cmd_sync(int argc, char **argv)
{
    return run_verb("sync", &sync_verb, argc, argv);
}
