/* SPDX-License-Identifier: MIT */
/*
 * `cellsync sync`: one live sync with the hub over TCP (devsync.c), with
 * what only the field client adds: its options, the progress line on a
 * terminal, today by the hub's time and the summary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cellsync/clock.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "client.h"
#include "device.h"
#include "devsync.h"
#include "link.h"
#include "sync.h"

enum { OPT_HUB, OPT_TIMEOUT, OPT_QUIET, OPT__COUNT };
static const struct cs_cli_opt sync_opts[OPT__COUNT] = {
    [OPT_HUB] = {"hub", 1,
                 N_("the hub's address HOST[:PORT], port 7461 if none (default: the one from "
                    "enrollment)")},
    [OPT_TIMEOUT] = {"timeout", 1, N_("seconds to wait for the hub to answer (default 60)")},
    [OPT_QUIET] = {"quiet", 0, N_("no progress bar")},
};

/* One live sync of the client, from its options to the summary: what its steps share. */
struct sync {
    struct client *c;
    char addr[256];
    int timeout; /* seconds to wait for the hub */
    struct device d;
    struct devsync_opts o;
    struct devsync_result r;
    struct timespec start;          /* when streaming began (CLOCK_MONOTONIC) */
    int streaming;                  /* start is set */
    int tty;                        /* a progress line on stderr, ended before anything else */
    const struct sync_watch *watch; /* who else follows the progress (NULL: nobody) */
    char err[1024];
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
progress_line(const struct sync *s, const struct sync_progress *p)
{
    char left[128] = "", span[96];

    uint64_t total = p->total > p->sent_changes ? p->total : p->sent_changes;
    double secs = elapsed(s);
    if (secs >= 3 && p->sent_changes > 0 && p->sent_changes < total) {
        double rest = secs * (double)(total - p->sent_changes) / (double)p->sent_changes;
        if (rest < 60)
            snprintf(left, sizeof(left), "%s", _(", under a minute left"));
        else
            snprintf(left, sizeof(left), _(", about %s left"),
                     cs_clock_span((int64_t)(rest * 1000), span, sizeof(span)));
    }
    unsigned pct = total ? (unsigned)(100 * (uint64_t)p->sent_changes / total) : 100;
    /* The carriage return is no text: it brings the line back over the last one. */
    fputc('\r', stderr);
    fprintf(stderr,
            _("  sent %zu of %llu changes (%u%%, %.1f KiB)%s  received %zu changes (%.1f KiB)  "),
            p->sent_changes, (unsigned long long)total, pct, p->sent_bytes / 1024.0, left,
            p->recv_changes, p->recv_bytes / 1024.0);
}

/*
 * The sync's progress: the line on a terminal after each message from the
 * hub (streaming starts the clock), and to whoever watches (the web page's
 * progress bar).
 */
static void
on_progress(void *ud, const struct sync_progress *p)
{
    struct sync *s = ud;

    if (p->phase == SYNC_STREAMING && !s->streaming) {
        clock_gettime(CLOCK_MONOTONIC, &s->start);
        s->streaming = 1;
    } else if (p->phase == SYNC_STREAMING && s->tty) {
        progress_line(s, p);
    }
    if (s->watch != NULL && s->watch->progress != NULL)
        s->watch->progress(s->watch->ud, p);
}

/* Today by the hub's time just learned, for what follows. */
static int
on_welcomed(void *ud, char *err, size_t errlen)
{
    struct sync *s = ud;

    return cs_replica_today(s->c->rep, &s->c->today, err, errlen);
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
    const struct tally *t = &s->r.t;

    if (s->tty)
        fputc('\n', stderr);
    device_refusals_print(&s->d, &s->r.refusals, stderr);
    cs_replica_conflict_count(s->c->rep, &open);
    printf(_("synced with %s: sent %zu changes (%.1f KiB), received %zu (%.1f KiB), refused %zu, "
             "open conflicts %llu\n"),
           s->addr, t->sent_changes, t->sent_bytes / 1024.0, t->recv_changes,
           t->recv_bytes / 1024.0, t->refused, (unsigned long long)open);
    if (s->r.rotated > 0)
        device_repinned_print(s->d.hub_pk, s->r.rotated, stdout);
    if (cs_clock_note(s->r.offset, CS_CLOCK_QUIET_MS, s->c->today, note, sizeof(note))) {
        printf("%s\n", note);
        s->c->clock_told = 1;
    }
}

/*
 * The sync itself, from the device's key to the contact noted: what
 * `cellsync sync` and the sync page run. s->addr is the hub's address; the
 * progress is counted and told only when someone follows it.
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
    s->o = (struct devsync_opts){
        .addr = s->addr, .timeout = s->timeout, .welcomed = on_welcomed, .ud = s};
    if (s->tty || s->watch != NULL)
        s->o.progress = on_progress;
    return devsync_run(s->c->rep, &s->d, &s->o, &s->r, s->err, sizeof(s->err));
}

static void
sync_release(struct sync *s)
{
    device_refusals_release(&s->r.refusals);
    device_release(&s->d);
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
    *s = (struct sync){.c = c, .timeout = timeout, .watch = w};
    snprintf(s->addr, sizeof(s->addr), "%s", addr);
    rc = sync_go(s);
    if (rc != 0)
        cs_errf(err, errlen, rc, "%s", s->err[0] ? s->err : cs_strerror(rc));
    sum->t = s->r.t;
    sum->to_fix = s->r.refusals.to_fix;
    sum->rotated = s->r.rotated;
    cs_replica_conflict_count(c->rep, &sum->open_conflicts);
    sync_release(s);
    free(s);
    return rc;
}

static int
sync_run(struct client *c, const struct verb_args *a)
{
    struct sync s = {.c = c, .timeout = 60};
    int ret = CS_EXIT_FAILURE, rc;

    s.tty = isatty(2) && a->ov[OPT_QUIET] == NULL;
    long timeout = s.timeout;
    if (a->ov[OPT_TIMEOUT] != NULL && cs_cli_number("timeout", a->ov[OPT_TIMEOUT], CS_CLI_SECONDS,
                                                    1, 86400, &timeout, s.err, sizeof(s.err)) != 0)
        return client_usage(_("sync: %s"), s.err);
    s.timeout = (int)timeout;
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
    ret = s.r.refusals.to_fix > 0 ? CS_EXIT_REFUSED : CS_EXIT_OK;
out:
    if (rc != 0) {
        if (s.tty)
            fputc('\n', stderr);
        device_refusals_print(&s.d, &s.r.refusals, stderr);
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
