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

#include "cellsync/clock.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/key.h"
#include "cellsync/meta.h"
#include "cellsync/sync.h"
#include "cellsync/wire.h"
#include "client.h"
#include "device.h"
#include "link.h"
#include "sync.h"

#define OUT_HIGH   (256u << 10) /* stop making chunks while this much waits to be sent */
#define FLIGHT_MAX 64u          /* chunks sent and not yet acknowledged */

enum { OPT_HUB, OPT_TIMEOUT, OPT_QUIET, OPT__COUNT };
static const struct cs_cli_opt sync_opts[OPT__COUNT] = {
    [OPT_HUB] = {"hub", 1,
                 N_("the hub's address HOST[:PORT], port 7461 if none (default: the one from "
                    "enrollment)")},
    [OPT_TIMEOUT] = {"timeout", 1, N_("seconds to wait for the hub to answer (default 60)")},
    [OPT_QUIET] = {"quiet", 0, N_("no progress bar")},
};

/* One live sync, from the connection to the summary: what its steps share. */
struct sync {
    struct client *c;
    char addr[256];
    struct device d;
    struct link l;
    struct cs_hs hs;     /* the handshake, wiped once the session is up */
    struct cs_welcome w; /* the hub's cursors and time */
    int64_t offset;      /* the hub's clock against ours, as the welcome set it, in ms */
    struct tally t;
    uint64_t total;                  /* our changes this sync sends, for the progress line */
    struct timespec start;           /* when streaming began (CLOCK_MONOTONIC) */
    struct device_refusals refusals; /* what the hub refused, shown at the end */
    int tty;                         /* a progress line on stderr, ended before anything else */
    const struct sync_watch *watch;  /* who else follows the progress (NULL: nobody) */
    char err[1024];
    /* Stream: our chunks out while the hub's come in. */
    struct cs_since_filter own;
    /*
     * up_sent: how far our chunks reach; up_wait: the last seq of a chunk
     * actually sent, whose ACK we wait for. A chunk with no change of ours
     * is not sent at all: DONE carries the cursor past it.
     */
    uint64_t up_sent, up_acked, up_wait;
    int up_done, down_done;
    int registered; /* a session message of the hub came: it has registered this device */
    size_t rotated; /* the hub's key rotation was checked and pinned: its steps (0: none) */
    /*
     * At most about one chunk's worth of bytes unacknowledged on the wire:
     * what a dropped link loses, and sends again, is bounded by it, while
     * chunks (which compress well) still stream without a round trip each.
     */
    struct {
        uint64_t seq;
        size_t bytes;
    } flight[FLIGHT_MAX];
    size_t nflight, flight_bytes;
};

/* Seconds since s->start. */
static double
elapsed(const struct sync *s)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - s->start.tv_sec) + (now.tv_nsec - s->start.tv_nsec) / 1e9;
}

/*
 * The progress line: how many of our changes are sent out of how many, and
 * once it has run a few seconds (enough to judge the link's pace), a rough
 * time left at the pace so far. On a 2G link that tells a person whether
 * to wait two minutes or two hours.
 */
static void
progress(const struct sync *s)
{
    const struct tally *t = &s->t;
    char left[128] = "", span[96];

    if (!s->tty)
        return;
    uint64_t total = s->total > t->sent_changes ? s->total : t->sent_changes;
    double secs = elapsed(s);
    if (secs >= 3 && t->sent_changes > 0 && t->sent_changes < total) {
        double rest = secs * (double)(total - t->sent_changes) / (double)t->sent_changes;
        if (rest < 60)
            snprintf(left, sizeof(left), "%s", _(", under a minute left"));
        else
            snprintf(left, sizeof(left), _(", about %s left"),
                     cs_clock_span((int64_t)(rest * 1000), span, sizeof(span)));
    }
    unsigned pct = total ? (unsigned)(100 * (uint64_t)t->sent_changes / total) : 100;
    /* The carriage return is no text: it brings the line back over the last one. */
    fputc('\r', stderr);
    fprintf(stderr,
            _("  sent %zu of %llu changes (%u%%, %.1f KiB)%s  received %zu changes (%.1f KiB)  "),
            t->sent_changes, (unsigned long long)total, pct, t->sent_bytes / 1024.0, left,
            t->recv_changes, t->recv_bytes / 1024.0);
}

/* What is happening, to whoever watches (the web page's progress bar). */
static void
tell(const struct sync *s, enum sync_phase phase)
{
    if (s->watch == NULL || s->watch->progress == NULL)
        return;
    struct sync_progress p = {phase,           s->t.sent_changes, s->t.recv_changes, s->t.refused,
                              s->t.sent_bytes, s->t.recv_bytes,   s->total};
    s->watch->progress(s->watch->ud, &p);
}

/*
 * msg1 out, msg2 in: the hub proves it holds the key this device was
 * enrolled with, and welcomes the device or refuses it. A verdict other
 * than welcome is said in s->err.
 */
static int
sync_handshake(struct sync *s)
{
    uint8_t msg1[CS_WIRE_MAX_PREAUTH], *frame, ts[CS_WIRE_TS_LEN];
    struct cs_hello hello = {0};
    size_t len, flen;
    unsigned hub_version = 0, busy = 0;
    int ret;

    tell(s, SYNC_CONNECTING);
    if ((ret = link_connect(&s->l, s->addr, s->err, sizeof(s->err))) != 0)
        goto out;
    tell(s, SYNC_HANDSHAKE);
    device_hello(&s->d, &hello);
    if ((ret = device_hs_time(&s->d, ts, s->err, sizeof(s->err))) != 0)
        goto out;
    ret = cs_hs_device_start(&s->hs, s->d.key, s->d.hub_pk, ts, &hello, msg1, sizeof(msg1), &len);
    if (ret != 0 || (ret = link_queue(&s->l, msg1, len)) != 0)
        goto out;
    ret = link_pump(&s->l, CS_WIRE_MAX_PREAUTH, 1, &frame, &flen, &s->t, s->err, sizeof(s->err));
    if (ret != 0) {
        /* A hub says why it refuses (wire.h): a hang-up without a word is the link's. */
        if (ret == -EPIPE || ret == -ECONNRESET)
            cs_errf(s->err, sizeof(s->err), ret,
                    _("the link to the hub at '%s' dropped during the handshake; run "
                      "'cellsync sync' again to resume"),
                    s->addr);
        goto out;
    }
    /* Unauthenticated, like a silence: shown, and nothing else changes. */
    if (cs_hs_busy_read(frame, flen, &busy)) {
        link_consume(&s->l, flen);
        ret = cs_errf(s->err, sizeof(s->err), CS_EBUSY,
                      _("the hub at '%s' is busy: try again in %u s"), s->addr, busy);
        goto out;
    }
    if (flen == 1 && frame[0] == CS_WIRE_HS_REFUSED) {
        link_consume(&s->l, flen);
        ret = cs_errf(s->err, sizeof(s->err), CS_EDECRYPT,
                      _("the hub at '%s' refused the handshake: it is not the hub this device "
                        "was enrolled with (its key differs), or the hub's key was rotated and "
                        "the key this device knows retired: enroll this device again"),
                      s->addr);
        goto out;
    }
    ret = cs_hs_device_finish(&s->hs, s->d.key, s->d.hub_pk, frame, flen, &s->w, &hub_version);
    link_consume(&s->l, flen);
    if (ret == CS_EVERSION)
        cs_errf(s->err, sizeof(s->err), ret,
                _("the hub speaks protocol version %u, this program version %u: update "
                  "the older one"),
                hub_version, CS_WIRE_VERSION);
    else if (ret != 0)
        cs_errf(s->err, sizeof(s->err), ret,
                _("the hub at '%s' did not prove it holds the key this device was enrolled "
                  "with: %s"),
                s->addr, cs_strerror(ret));
    else if (s->w.status != CS_WELCOME_OK)
        ret = cs_errf(s->err, sizeof(s->err), CS_EINVAL, _("the hub refused this device: %s"),
                      s->w.message);
out:
    sodium_memzero(&hello, sizeof(hello));
    return ret;
}

/*
 * What the welcome says is applied before anything streams (the cursors,
 * this device's clock and any write stamped ahead of the hub's), then the
 * sealed session starts with a header each way.
 */
static int
sync_session(struct sync *s)
{
    uint8_t hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES], *frame;
    size_t flen, restamped = 0;
    int ret;

    if ((ret = device_welcome(&s->d, &s->w, DEVICE_LIVE, NULL, s->err, sizeof(s->err))) != 0)
        goto out;
    s->offset = cs_replica_clock_offset(s->c->rep);
    /* Today by the hub's time just learned, for what follows. */
    if ((ret = cs_replica_today(s->c->rep, &s->c->today, s->err, sizeof(s->err))) != 0)
        goto out;
    ret = device_restamp(&s->d, s->w.up_seq, s->w.hub_time, &restamped, s->err, sizeof(s->err));
    if (ret != 0)
        goto out;
    if ((ret = cs_session_init(&s->l.sess, &s->hs, hdr)) != 0 ||
        (ret = link_queue(&s->l, hdr, sizeof(hdr))) != 0)
        goto out;
    s->l.sess_ready = 1;
    ret = link_pump(&s->l, CS_WIRE_MAX_FRAME, 1, &frame, &flen, &s->t, s->err, sizeof(s->err));
    if (ret != 0)
        goto out;
    ret = cs_session_accept(&s->l.sess, &s->hs, frame, flen);
    link_consume(&s->l, flen);
    sodium_memzero(&s->hs, sizeof(s->hs));
out:
    return ret;
}

/* Queues our next chunks while the flight window has room, then DONE after the last. */
static int
sync_send(struct sync *s)
{
    int ret = 0;

    while (!s->up_done && s->l.outlen - s->l.outoff < OUT_HIGH && s->nflight < FLIGHT_MAX &&
           (s->nflight == 0 || s->flight_bytes < CS_SYNC_CHUNK)) {
        struct cs_chunk ch;
        struct cs_msg m = {0};
        if ((ret = cs_sync_make_chunk(s->c->rep, s->d.key, NULL, s->up_sent, &s->own, CS_SYNC_CHUNK,
                                      &ch, s->err, sizeof(s->err))) != 0)
            goto out;
        if (ch.changes > 0) {
            m.type = CS_MSG_CHUNK;
            m.env = ch.env;
            m.envlen = ch.envlen;
            ret = link_queue_msg(&s->l, &m);
            s->up_wait = ch.seq_last;
            s->t.sent_changes += ch.changes;
            s->flight[s->nflight].seq = ch.seq_last;
            s->flight[s->nflight].bytes = ch.envlen;
            s->flight_bytes += ch.envlen;
            s->nflight++;
        }
        if (ch.seq_last > s->up_sent)
            s->up_sent = ch.seq_last;
        free(ch.env);
        if (ret != 0)
            goto out;
        if (ch.last) {
            struct cs_msg done = {.type = CS_MSG_DONE, .seq = s->up_sent};
            if ((ret = link_queue_msg(&s->l, &done)) != 0)
                goto out;
            s->up_done = 1;
        }
    }
out:
    return ret;
}

/* Acts on one message from the hub. */
static int
sync_on_message(struct sync *s, const struct cs_msg *m)
{
    int ret = 0;

    /* Any word of the hub's session but an error or a rotation: it has registered this device. */
    if (m->type != CS_MSG_ERROR && m->type != CS_MSG_ROTATION && !s->registered) {
        if ((ret = device_registered(&s->d, s->err, sizeof(s->err))) != 0)
            return ret;
        s->registered = 1;
    }
    switch (m->type) {
    case CS_MSG_ACK:
        if (m->seq > s->up_acked)
            s->up_acked = m->seq;
        while (s->nflight > 0 && s->flight[0].seq <= s->up_acked) {
            s->flight_bytes -= s->flight[0].bytes;
            memmove(s->flight, s->flight + 1, --s->nflight * sizeof(s->flight[0]));
        }
        device_ack(&s->d, s->up_acked);
        break;
    case CS_MSG_REFUSED: {
        size_t again = 0;
        /* Shown at the end, one line per record; kept so the records stay marked. */
        s->t.refused += m->nrefused;
        ret = device_refusals_add(&s->d, &s->refusals, m->refused, m->nrefused, s->err,
                                  sizeof(s->err));
        if (ret == 0)
            ret = device_reissue(&s->d, m->refused, m->nrefused, s->w.hub_time, DEVICE_LIVE, &again,
                                 s->err, sizeof(s->err));
        break;
    }
    case CS_MSG_CHUNK: {
        struct cs_envelope_info info;
        struct cs_apply_stats st;
        int skipped;
        ret = device_take_chunk(&s->d, m->env, m->envlen, 1, &st, &info, &skipped, s->err,
                                sizeof(s->err));
        if (ret == 0) {
            struct cs_msg ack = {.type = CS_MSG_ACK, .seq = info.seq_last};
            s->t.recv_changes += st.applied;
            ret = link_queue_msg(&s->l, &ack);
        }
        break;
    }
    case CS_MSG_DONE:
        /* Every chunk before it is applied: the cursor may pass what held nothing for us. */
        device_pass_hub_seq(&s->d, m->seq);
        s->down_done = 1;
        break;
    case CS_MSG_ERROR:
        ret = cs_errf(s->err, sizeof(s->err), CS_EINVAL, _("the hub stopped the sync: %s"),
                      m->message);
        break;
    case CS_MSG_ROTATION: {
        /*
         * In the session the pinned key authenticated: checked step by step
         * from that key, then pinned, before any chunk the new key signed.
         * A chain that does not hold ends the sync and the pin stays.
         */
        uint8_t to[CS_PK_LEN];
        size_t steps = 0;
        ret = device_rotation_check(&s->d, m->env, m->envlen, to, &steps, s->err, sizeof(s->err));
        if (ret == 0)
            ret = device_repin(&s->d, to, s->err, sizeof(s->err));
        if (ret == 0)
            s->rotated = steps;
        break;
    }
    }
    return ret;
}

/* Both ways at once until each side is done and our last chunk is acknowledged. */
static int
sync_stream(struct sync *s)
{
    uint8_t *frame;
    size_t flen;
    int ret = 0;

    s->own.only_origin = cs_replica_site(s->c->rep);
    s->up_sent = s->up_acked = s->up_wait = s->w.up_seq;
    /* Counted after any re-stamping (sync_session): what the chunks will carry. */
    if (s->tty || s->watch != NULL)
        cs_replica_count_own(s->c->rep, s->w.up_seq, &s->total);
    clock_gettime(CLOCK_MONOTONIC, &s->start);
    tell(s, SYNC_STREAMING);
    while (!(s->up_done && s->up_acked >= s->up_wait && s->down_done)) {
        struct cs_msg m;
        if ((ret = sync_send(s)) != 0 ||
            (ret = link_pump(&s->l, CS_WIRE_MAX_FRAME, 1, &frame, &flen, &s->t, s->err,
                             sizeof(s->err))) != 0)
            goto out;
        ret = cs_session_read_msg(&s->l.sess, frame, flen, &m);
        link_consume(&s->l, flen);
        if (ret != 0) {
            cs_errf(s->err, sizeof(s->err), ret, _("garbled data from the hub: %s"),
                    cs_strerror(ret));
            goto out;
        }
        ret = sync_on_message(s, &m);
        cs_msg_release(&m);
        if (ret != 0)
            goto out;
        progress(s);
        tell(s, SYNC_STREAMING);
    }
    /* Our last acknowledgments must reach the hub before we hang up. */
    ret = link_pump(&s->l, CS_WIRE_MAX_FRAME, 0, &frame, &flen, &s->t, s->err, sizeof(s->err));
out:
    return ret;
}

/* Notes the contact, in the hub's time. */
static void
sync_contact(struct sync *s)
{
    char when[32];

    snprintf(when, sizeof(when), "%llu",
             (unsigned long long)(cs_hlc_ms(cs_replica_now(s->c->rep)) / 1000));
    cs_replica_meta_set(s->c->rep, CS_META_LAST_CONTACT, when);
}

/*
 * Prints the summary on stdout: one line, and a second in words when this
 * computer's clock is a minute or more off the hub's.
 */
static void
sync_report(struct sync *s)
{
    char note[512];
    uint64_t open = 0;

    if (s->tty)
        fputc('\n', stderr);
    device_refusals_print(&s->d, &s->refusals, stderr);
    cs_replica_conflict_count(s->c->rep, &open);
    printf(_("synced with %s: sent %zu changes (%.1f KiB), received %zu (%.1f KiB), refused %zu, "
             "open conflicts %llu\n"),
           s->addr, s->t.sent_changes, s->t.sent_bytes / 1024.0, s->t.recv_changes,
           s->t.recv_bytes / 1024.0, s->t.refused, (unsigned long long)open);
    if (s->rotated > 0)
        device_repinned_print(s->d.hub_pk, s->rotated, stdout);
    if (cs_clock_note(s->offset, CS_CLOCK_QUIET_MS, s->c->today, note, sizeof(note))) {
        printf("%s\n", note);
        s->c->clock_told = 1;
    }
}

/*
 * The sync itself, from the device's key to the contact noted: what
 * `cellsync sync` and the sync page run. s->addr is the hub's address.
 */
static int
sync_go(struct sync *s)
{
    char keypath[PATH_MAX + 32];
    int rc;

    if ((rc = client_check_replica_err(s->c, s->err, sizeof(s->err))) != 0)
        return rc;
    client_path(s->c, CLIENT_KEY, keypath, sizeof(keypath));
    if ((rc = device_open(&s->d, s->c->rep, keypath, &client_pass, s->err, sizeof(s->err))) != 0)
        return rc;
    if ((rc = sync_handshake(s)) != 0 || (rc = sync_session(s)) != 0 || (rc = sync_stream(s)) != 0)
        return rc;
    sync_contact(s);
    tell(s, SYNC_DONE);
    return 0;
}

static void
sync_release(struct sync *s)
{
    link_close(&s->l);
    device_refusals_release(&s->refusals);
    device_release(&s->d);
    cs_hs_release(&s->hs);
}

int
client_sync(struct client *c, const char *addr, int timeout, const struct sync_watch *w,
            struct sync_summary *sum, char *err, size_t errlen)
{
    struct sync *s = calloc(1, sizeof(*s));
    int rc;

    memset(sum, 0, sizeof(*sum));
    if (s == NULL)
        return cs_errf(err, errlen, CS_ENOMEM, "%s", cs_strerror(CS_ENOMEM));
    *s = (struct sync){.c = c, .l = {.fd = -1, .timeout = timeout}, .watch = w};
    snprintf(s->addr, sizeof(s->addr), "%s", addr);
    rc = sync_go(s);
    if (rc != 0)
        cs_errf(err, errlen, rc, "%s", s->err[0] ? s->err : cs_strerror(rc));
    sum->t = s->t;
    sum->to_fix = s->refusals.to_fix;
    sum->rotated = s->rotated;
    cs_replica_conflict_count(c->rep, &sum->open_conflicts);
    sync_release(s);
    free(s);
    return rc;
}

static int
sync_run(struct client *c, const struct verb_args *a)
{
    struct sync s = {.c = c, .l = {.fd = -1, .timeout = 60}};
    int ret = CS_EXIT_FAILURE, rc;

    s.tty = isatty(2) && a->ov[OPT_QUIET] == NULL;
    long timeout = s.l.timeout;
    if (a->ov[OPT_TIMEOUT] != NULL && cs_cli_number("timeout", a->ov[OPT_TIMEOUT], CS_CLI_SECONDS,
                                                    1, 86400, &timeout, s.err, sizeof(s.err)) != 0)
        return client_usage(_("sync: %s"), s.err);
    s.l.timeout = (int)timeout;
    /* An address typed without its port is on the hub's usual one; messages show it whole. */
    if (a->ov[OPT_HUB] != NULL) {
        if (link_address(a->ov[OPT_HUB], s.addr, sizeof(s.addr), s.err, sizeof(s.err)) != 0)
            return client_usage(_("sync: --hub: %s"), s.err);
    } else if (cs_replica_meta_get(c->rep, CS_META_HUB_ADDR, s.addr, sizeof(s.addr)) != 0 ||
               s.addr[0] == 0)
        return client_fail(_("no hub address: give --hub HOST[:PORT], or enroll first"));

    if ((rc = sync_go(&s)) != 0)
        goto out;
    sync_report(&s);
    /* Done, but some of it did not go in: scripts must notice (cellsync(1), EXIT STATUS). */
    ret = s.refusals.to_fix > 0 ? CS_EXIT_REFUSED : CS_EXIT_OK;
out:
    if (rc != 0) {
        if (s.tty)
            fputc('\n', stderr);
        device_refusals_print(&s.d, &s.refusals, stderr);
        client_fail("%s", s.err[0] ? s.err : cs_strerror(rc));
    }
    sync_release(&s);
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
