/* SPDX-License-Identifier: MIT */
/*
 * The serving hub's link up to the hub above, on its own thread (uplink.h):
 * a live sync (upstream.c) blocks on the network for as long as the link
 * takes, so it stays off the event loop and off the database worker. It
 * opens the hub again for its own connection; SQLite's locks order its
 * writes with the worker's, as they do an admin command's. A stop ends a
 * sync in flight at once (its link polls the stop pipe): a hub above that
 * takes the connection and says nothing does not hold up a SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cellsync/error.h"
#include "cellsync/meta.h"
#include "link.h"
#include "serve.h"
#include "uplink.h"
#include "upstream.h"

static void
uplink_conf(struct uplink *u, const struct conf *c)
{
    char err[256];
    u->interval = c->upstream_interval;
    u->max_drift_minutes = c->max_drift_minutes;
    u->off = strcmp(c->upstream, "off") == 0;
    u->addr[0] = 0;
    if (c->upstream[0] != 0 && strcmp(c->upstream, "off") != 0 &&
        link_address(c->upstream, u->addr, sizeof(u->addr), err, sizeof(err)) != 0) {
        /* The enrolled address is used instead; err names the key's value. */
        logf_(LOG_ERR, NULL, "event=upstream-config error=\"%s\"", err);
        u->addr[0] = 0;
    }
}

/*
 * One try, with the address and bound of the configuration as it was when
 * it began (a reload may change u's): logged, noted in meta by
 * hub_upstream_sync. 0 when it finished.
 */
static int
uplink_try(struct uplink *u, struct hub *h, const char *addr, unsigned drift_minutes)
{
    struct devsync_result res;
    char err[1024] = "";
    cs_replica_set_max_drift(hub_replica(h), (uint64_t)drift_minutes * 60 * 1000);
    int ret = hub_upstream_sync(h, addr, (int)u->timeout, &u->stop_pipe[0], &res, err, sizeof(err));
    if (ret == 0)
        logf_(LOG_INFO, NULL, "event=upstream-sync sent=%zu received=%zu refused=%zu",
              res.t.sent_changes, res.t.recv_changes, res.t.refused);
    else
        logf_(LOG_ERR, NULL, "event=upstream-failed error=\"%s\"", err);
    device_refusals_release(&res.refusals);
    return ret;
}

static void
uplink_run(void *arg)
{
    struct uplink *u = arg;
    struct hub *h = NULL;
    char err[1024];
    unsigned wait = 0, retry = UPLINK_RETRY_S;

    if (hub_open(&h, u->state, err, sizeof(err)) != 0) {
        logf_(LOG_ERR, NULL, "event=upstream-failed error=\"%s\"", err);
        return;
    }
    uv_mutex_lock(&u->mu);
    while (!u->stop) {
        /* Wait for the time, a kick or the stop; the first try at once. */
        uint64_t left = (uint64_t)wait * 1000000000u;
        while (!u->stop && !u->now && left > 0) {
            uint64_t t0 = uv_hrtime();
            if (uv_cond_timedwait(&u->cv, &u->mu, left) == UV_ETIMEDOUT)
                break;
            uint64_t spent = uv_hrtime() - t0;
            left = spent < left ? left - spent : 0;
        }
        if (u->stop)
            break;
        u->now = 0;
        /* Reloaded with `upstream = off`: no try until a reload turns it on again. */
        if (u->off) {
            wait = u->interval;
            continue;
        }
        char addr[sizeof(u->addr)];
        unsigned drift = u->max_drift_minutes;
        memcpy(addr, u->addr, sizeof(addr));
        uv_mutex_unlock(&u->mu);
        int ok = uplink_try(u, h, addr, drift) == 0;
        uv_mutex_lock(&u->mu);
        /* A retry never waits longer than the interval (one under 30 s). */
        wait = ok || retry > u->interval ? u->interval : retry;
        retry = ok ? UPLINK_RETRY_S : (retry * 2 < u->interval ? retry * 2 : u->interval);
    }
    uv_mutex_unlock(&u->mu);
    hub_close(h);
}

int
uplink_start(struct uplink *u, const struct conf *c)
{
    struct hub *h = NULL;
    struct device d;
    char err[1024];

    memset(u, 0, sizeof(*u));
    if (strcmp(c->upstream, "off") == 0)
        return 0;
    if (hub_open(&h, c->state, err, sizeof(err)) != 0)
        return CS_EINVAL;
    int below = hub_upstream_open(h, &d, err, sizeof(err)) == 0;
    device_release(&d);
    hub_close(h);
    if (!below)
        return 0;
    snprintf(u->state, sizeof(u->state), "%s", c->state);
    uplink_conf(u, c);
    u->timeout = 60;
    if (pipe(u->stop_pipe) != 0)
        return CS_ENOMEM;
    fcntl(u->stop_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(u->stop_pipe[1], F_SETFD, FD_CLOEXEC);
    if (uv_mutex_init(&u->mu) != 0)
        goto fail_pipe;
    if (uv_cond_init(&u->cv) != 0)
        goto fail_mutex;
    if (uv_thread_create(&u->thread, uplink_run, u) != 0) {
        uv_cond_destroy(&u->cv);
        goto fail_mutex;
    }
    u->started = 1;
    logf_(LOG_INFO, NULL, "event=upstream-start addr=%s interval=%u", u->addr[0] ? u->addr : "-",
          u->interval);
    return 0;
fail_mutex:
    uv_mutex_destroy(&u->mu);
fail_pipe:
    close(u->stop_pipe[0]);
    close(u->stop_pipe[1]);
    return CS_ENOMEM;
}

void
uplink_kick(struct uplink *u, const struct conf *c)
{
    if (!u->started)
        return;
    uv_mutex_lock(&u->mu);
    uplink_conf(u, c);
    u->now = 1;
    uv_cond_signal(&u->cv);
    uv_mutex_unlock(&u->mu);
}

void
uplink_stop(struct uplink *u)
{
    if (!u->started)
        return;
    uv_mutex_lock(&u->mu);
    u->stop = 1;
    uv_cond_signal(&u->cv);
    uv_mutex_unlock(&u->mu);
    /* The sync in flight, if any, wakes from its wait on the hub above. */
    while (write(u->stop_pipe[1], "", 1) < 0 && errno == EINTR)
        ;
    uv_thread_join(&u->thread);
    uv_cond_destroy(&u->cv);
    uv_mutex_destroy(&u->mu);
    close(u->stop_pipe[0]);
    close(u->stop_pipe[1]);
    u->started = 0;
}
