/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd serve`: the hub's libuv server. This file holds the command:
 * its options, the setup, and the signals. The connections are in conn.c,
 * the worker that does every piece of database or signature work in
 * worker.c, the inbox in inbox.c, the link up to a hub above in uplink.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#include <systemd/sd-daemon.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "commands.h"
#include "config.h"
#include "conn.h"
#include "hub.h"
#include "inbox.h"
#include "log.h"
#include "ops.h"
#include "serve.h"
#include "worker.h"

/* ---- readiness (sd_notify) ---- */

/*
 * Tells the service manager how serve stands: READY=1 once devices can
 * connect, RELOADING=1 and READY=1 around a reload, STOPPING=1 at a
 * signal to stop, each with STATUS= for `systemctl status`. Without
 * $NOTIFY_SOCKET (not started by systemd with Type=notify) nothing is sent.
 * Only the loop's thread calls it, the main process (NotifyAccess=main).
 */
static void
notify(const char *state, const char *status)
{
    if (sd_notifyf(0, "%s\nSTATUS=%s", state, status) < 0)
        logf_(LOG_WARNING, NULL, "event=notify-failed state=%s", state);
}

static void
notify_ready(const struct server *s)
{
    char status[256];
    snprintf(status, sizeof(status), _("serving on %s"), s->listening);
    notify("READY=1", status);
}

/* ---- signals ---- */

static void
on_signal(uv_signal_t *sig, int signum)
{
    struct server *s = sig->data;
    if (signum == SIGHUP) {
        /* The file read afresh: a key taken out of it is back to its default. */
        struct conf n;
        char err[512];
        /*
         * RELOADING=1 carries the time it was sent (systemd 253 wants it
         * with Type=notify-reload); READY=1 follows once the file is read.
         */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        char reloading[64];
        snprintf(reloading, sizeof(reloading), "RELOADING=1\nMONOTONIC_USEC=%llu",
                 (unsigned long long)now.tv_sec * 1000000 + (unsigned long long)now.tv_nsec / 1000);
        notify(reloading, _("reloading the configuration"));
        conf_defaults(&n);
        if (conf_load(&n, s->conf_path, s->conf_required, err, sizeof(err)) != 0) {
            logf_(LOG_ERR, NULL, "event=reload-failed error=\"%s\"", err);
            /* Still serving, as before. */
            notify_ready(s);
            return;
        }
        /*
         * The clock's bound is the worker's: a batch may be merging with it
         * now. It goes to the worker as a job, in turn with the others.
         */
        struct job *j = job_new(s, J_RELOAD);
        if (j == NULL) {
            logf_(LOG_ERR, NULL, "event=reload-failed error=\"%s\"", cs_strerror(CS_ENOMEM));
            notify_ready(s);
            return;
        }
        j->u.max_drift_ms = (uint64_t)n.max_drift_minutes * 60 * 1000;
        /* The listening address, state directory and inbox need a restart to change. */
        snprintf(n.listen, sizeof(n.listen), "%s", s->conf.listen);
        snprintf(n.state, sizeof(n.state), "%s", s->conf.state);
        snprintf(n.inbox, sizeof(n.inbox), "%s", s->conf.inbox);
        s->conf = n;
        job_push(j);
        logf_(LOG_NOTICE, NULL, "event=reload");
        /* A reload is also the way to ask for a sync up now. */
        uplink_kick(&s->uplink, &s->conf);
        notify_ready(s);
        return;
    }
    if (s->stopping)
        return;
    notify("STOPPING=1", _("stopping: in-flight merges finish first"));
    logf_(LOG_NOTICE, NULL, "event=stopping signal=%d connections=%zu", signum, s->nconns);
    uv_close((uv_handle_t *)&s->sigterm, NULL);
    uv_close((uv_handle_t *)&s->sigint, NULL);
    uv_close((uv_handle_t *)&s->sighup, NULL);
    inbox_stop(s);
    conn_stop(s);
}

static void
signals_start(struct server *s)
{
    uv_signal_init(s->loop, &s->sigterm);
    uv_signal_init(s->loop, &s->sigint);
    uv_signal_init(s->loop, &s->sighup);
    s->sigterm.data = s->sigint.data = s->sighup.data = s;
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
    uv_signal_start(&s->sigint, on_signal, SIGINT);
    uv_signal_start(&s->sighup, on_signal, SIGHUP);
}

/* ---- the command ---- */

static int
parse_listen(const char *addr, struct sockaddr_storage *ss)
{
    char host[128], *port;
    snprintf(host, sizeof(host), "%s", addr);
    port = strrchr(host, ':');
    if (port == NULL)
        return UV_EINVAL;
    *port++ = 0;
    int p = atoi(port);
    if (p < 0 || p > 65535)
        return UV_EINVAL;
    if (host[0] == '[') {
        host[strlen(host) - 1] = 0;
        return uv_ip6_addr(host + 1, p, (struct sockaddr_in6 *)ss);
    }
    return uv_ip4_addr(host, p, (struct sockaddr_in *)ss);
}

static void
usage(FILE *f)
{
    fprintf(f, "%s",
            _("usage: cellsyncd serve [--state DIR] [--listen ADDR:PORT] [--config FILE]\n"
              "  [--port-file FILE]\n\n"
              "Runs the hub: accepts live syncs from enrolled devices and, when the\n"
              "configuration names an inbox, imports the bundles dropped there. SIGTERM stops\n"
              "it after in-flight merges finish; SIGHUP reloads the configuration.\n"));
}

/*
 * The configuration (the file, then the flags over it), the inbox checked,
 * the serve lock taken (*lock_fd), the replica checked, the hub opened
 * (s->hub) with its clock's bound and group commit. 0, or -1 after saying why.
 */
static int
serve_open(struct server *s, const char *state, const char *listen, int *lock_fd)
{
    char err[1024], db_path[PATH_MAX];
    int rc, ret = -1;

    conf_defaults(&s->conf);
    if (conf_load(&s->conf, s->conf_path, s->conf_required, err, sizeof(err)) != 0) {
        log_fail("cellsyncd: %s\n", err);
        goto out;
    }
    if (state)
        snprintf(s->conf.state, sizeof(s->conf.state), "%s", state);
    if (listen)
        snprintf(s->conf.listen, sizeof(s->conf.listen), "%s", listen);
    if (inbox_check(&s->conf) != 0)
        goto out;
    /*
     * The serve lock (ops.h): held until serve ends, so that
     * `cellsyncd restore` refuses while this hub serves and a second serve
     * of the same state fails. Without a state directory hub_open says why.
     */
    if ((rc = ops_lock(s->conf.state, lock_fd, err, sizeof(err))) != 0 && rc != -ENOENT) {
        log_fail("cellsyncd: %s\n", err);
        goto out;
    }
    /*
     * A damaged replica is not served: every merge would fail on it, or
     * worse, write beside the damage. One read of the file; other failures
     * (a missing state, permissions) are hub_open's to explain.
     */
    if (ops_path(db_path, sizeof(db_path), s->conf.state, HUB_REPLICA) == 0 &&
        access(db_path, F_OK) == 0 &&
        ops_db_quick_check(db_path, err, sizeof(err)) == CS_ECORRUPT) {
        log_fail(_("cellsyncd: %s\ncellsyncd: the hub does not serve a damaged replica; restore a "
                   "backup (cellsyncd restore DIR), see 'cellsyncd check'\n"),
                 err);
        goto out;
    }
    if (hub_open(&s->hub, s->conf.state, err, sizeof(err)) != 0) {
        log_fail("cellsyncd: %s\n", err);
        goto out;
    }
    /* Before the worker starts: from now on only the worker writes the clock (J_RELOAD). */
    cs_replica_set_max_drift(hub_replica(s->hub), (uint64_t)s->conf.max_drift_minutes * 60 * 1000);
    s->worker.group_commit = group_commit_start(cs_replica_db(hub_replica(s->hub)));
    ret = 0;
out:
    return ret;
}

/* Tests listen on port 0 and read back the port the system chose. 0 or -1 after saying why. */
static int
write_port_file(const char *path, int port)
{
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *pf = fopen(tmp, "w");
    int ok = pf != NULL && fprintf(pf, "%d\n", port) >= 0;
    if (pf != NULL && fclose(pf) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        log_fail(_("cellsyncd: cannot write '%s': %s\n"), path, strerror(errno));
        return -1;
    }
    return 0;
}

static void
close_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/*
 * Listens, writes the port file, starts the signals and the inbox, and
 * serves until a signal stops it. Whatever it opened is closed when it
 * returns, also after a failure. 0, or -1 after saying why.
 */
static int
serve_run(struct server *s, const char *port_file)
{
    struct sockaddr_storage ss = {0};
    int port = 0, rc, ret = -1;

    /* A device that resets its link must cost a write error, not the hub. */
    signal(SIGPIPE, SIG_IGN);
    s->loop = uv_default_loop();
    if (parse_listen(s->conf.listen, &ss) != 0) {
        log_fail(_("cellsyncd: cannot listen on '%s': not ADDR:PORT\n"), s->conf.listen);
        goto out;
    }
    if ((rc = conn_listen(s, (struct sockaddr *)&ss, &port)) != 0) {
        log_fail(_("cellsyncd: cannot listen on '%s': %s\n"), s->conf.listen, uv_strerror(rc));
        goto out;
    }
    if (port_file != NULL && write_port_file(port_file, port) != 0)
        goto out;
    signals_start(s);
    inbox_start(s);
    if (uplink_start(&s->uplink, &s->conf) != 0)
        logf_(LOG_ERR, NULL, "event=upstream-failed error=\"%s\"",
              _("cannot start the link up to the hub above"));
    logf_(LOG_NOTICE, NULL, "event=listening addr=%s port=%d state=%s", s->conf.listen, port,
          s->conf.state);
    /*
     * Ready: the socket listens (the kernel completes a device's connect
     * from now on, before the loop runs) and the hub is open.
     */
    char host[sizeof(s->conf.listen)];
    snprintf(host, sizeof(host), "%s", s->conf.listen);
    char *colon = strrchr(host, ':');
    if (colon != NULL)
        *colon = 0;
    snprintf(s->listening, sizeof(s->listening), "%s:%d", host, port);
    notify_ready(s);
    /* Returns once the listener, the signals and every connection are closed. */
    uv_run(s->loop, UV_RUN_DEFAULT);
    uplink_stop(&s->uplink);
    logf_(LOG_INFO, NULL, "event=worker jobs=%llu batches=%llu log_syncs=%llu group_commit=%d",
          s->worker.jobs_done, s->worker.batches, s->worker.log_syncs, s->worker.group_commit);
    logf_(LOG_NOTICE, NULL, "event=stopped");
    ret = 0;
out:
    /* After a failure, what was opened is still open: closed here, and waited for. */
    uv_walk(s->loop, close_handle, NULL);
    uv_run(s->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(s->loop) != 0)
        ret = -1;
    return ret;
}

int
cmd_serve(int argc, char **argv)
{
    enum { OPT_LISTEN, OPT_PORT_FILE, OPT__COUNT };
    static const struct cs_cli_opt opts[OPT__COUNT] = {
        [OPT_LISTEN] = {"listen", 1, NULL},
        [OPT_PORT_FILE] = {"port-file", 1, NULL},
    };
    const char *ov[OPT__COUNT] = {0}, *st[CMD_STATE__COUNT] = {0};
    struct server s = {0};
    int rest, lock_fd = -1, ret;

    if ((ret = cmd_args("serve", argc, argv, usage, opts, OPT__COUNT, ov, st, &rest)) !=
        CS_CLI_GO_ON)
        return ret;
    if (rest != argc)
        return cmd_usage_error("serve", _("unexpected argument '%s'"), argv[rest]);
    /* Before the worker's and the uplink's threads: they log too. */
    log_init();
    s.conf_path = st[CMD_CONFIG] != NULL ? st[CMD_CONFIG] : CONF_DEFAULT_PATH;
    s.conf_required = st[CMD_CONFIG] != NULL;
    ret = CS_EXIT_FAILURE;
    if (serve_open(&s, st[CMD_STATE], ov[OPT_LISTEN], &lock_fd) == 0 &&
        serve_run(&s, ov[OPT_PORT_FILE]) == 0)
        ret = CS_EXIT_OK;
    if (s.hub != NULL)
        hub_close(s.hub);
    /* The serve lock goes once the hub is closed. */
    if (lock_fd >= 0)
        close(lock_fd);
    return ret;
}
