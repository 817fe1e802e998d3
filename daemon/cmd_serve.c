/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd serve`: the hub's libuv server. This file holds the command:
 * its options, the setup, and the signals. The connections are in conn.c,
 * the worker that does every piece of database or signature work in
 * worker.c, the inbox in inbox.c.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "commands.h"
#include "config.h"
#include "conn.h"
#include "hub.h"
#include "inbox.h"
#include "ops.h"
#include "serve.h"
#include "worker.h"

/* ---- signals ---- */

static void
close_walk(uv_handle_t *h, void *arg)
{
    struct server *s = arg;
    if (h->type != UV_TCP || h == (uv_handle_t *)&s->listener || uv_is_closing(h))
        return;
    struct conn *c = h->data;
    if (c->jobs == 0 && c->state < C_CLOSING)
        conn_close(c, "the hub is stopping");
}

static void
on_signal(uv_signal_t *sig, int signum)
{
    struct server *s = sig->data;
    if (signum == SIGHUP) {
        struct conf n = s->conf;
        char err[512];
        if (conf_load(&n, s->conf_path, s->conf_required, err, sizeof(err)) != 0) {
            logf_("error", NULL, "event=reload-failed error=\"%s\"", err);
            return;
        }
        /*
         * The clock's bound is the worker's: a batch may be merging with it
         * now. It goes to the worker as a job, in turn with the others.
         */
        struct job *j = job_new(s, J_RELOAD);
        if (j == NULL) {
            logf_("error", NULL, "event=reload-failed error=\"out of memory\"");
            return;
        }
        j->u.max_drift_ms = (uint64_t)n.max_drift_hours * 3600 * 1000;
        /* The listening address, state directory and inbox need a restart to change. */
        snprintf(n.listen, sizeof(n.listen), "%s", s->conf.listen);
        snprintf(n.state, sizeof(n.state), "%s", s->conf.state);
        snprintf(n.inbox, sizeof(n.inbox), "%s", s->conf.inbox);
        s->conf = n;
        job_push(j);
        logf_("info", NULL, "event=reload");
        return;
    }
    if (s->stopping)
        return;
    s->stopping = 1;
    logf_("info", NULL, "event=stopping signal=%d connections=%zu", signum, s->nconns);
    uv_close((uv_handle_t *)&s->listener, NULL);
    uv_close((uv_handle_t *)&s->sigterm, NULL);
    uv_close((uv_handle_t *)&s->sigint, NULL);
    uv_close((uv_handle_t *)&s->sighup, NULL);
    inbox_stop(s);
    /* Idle connections close now; busy ones when their last job is done. */
    uv_walk(s->loop, close_walk, s);
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

int
cmd_serve(int argc, char **argv)
{
    static const struct option lo[] = {
        {"state", required_argument, NULL, 's'},  {"listen", required_argument, NULL, 'l'},
        {"config", required_argument, NULL, 'c'}, {"port-file", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct server s = {0};
    const char *state = NULL, *listen = NULL, *port_file = NULL;
    char err[1024];
    int ch, rc;

    s.conf_path = CONF_DEFAULT_PATH;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 's':
            state = optarg;
            break;
        case 'l':
            listen = optarg;
            break;
        case 'c':
            s.conf_path = optarg;
            s.conf_required = 1;
            break;
        case 'p':
            port_file = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, _("cellsyncd: serve: bad option '%s'\n"), argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, _("cellsyncd: serve: unexpected argument '%s'\n"), argv[optind]);
        return 2;
    }
    conf_defaults(&s.conf);
    if (conf_load(&s.conf, s.conf_path, s.conf_required, err, sizeof(err)) != 0) {
        fprintf(stderr, "cellsyncd: %s\n", err);
        return 1;
    }
    if (state)
        snprintf(s.conf.state, sizeof(s.conf.state), "%s", state);
    if (listen)
        snprintf(s.conf.listen, sizeof(s.conf.listen), "%s", listen);
    if (inbox_check(&s.conf) != 0)
        return 1;
    /*
     * The serve lock (ops.h): held until the process exits, so that
     * `cellsyncd restore` refuses while this hub serves and a second serve
     * of the same state fails. Without a state directory hub_open says why.
     */
    int lock_fd = -1;
    if ((rc = ops_lock(s.conf.state, &lock_fd, err, sizeof(err))) != 0 && rc != -ENOENT) {
        fprintf(stderr, "cellsyncd: %s\n", err);
        return 1;
    }
    /*
     * A damaged replica is not served: every merge would fail on it, or
     * worse, write beside the damage. One read of the file; other failures
     * (a missing state, permissions) are hub_open's to explain.
     */
    char db_path[PATH_MAX];
    if (ops_path(db_path, sizeof(db_path), s.conf.state, HUB_REPLICA) == 0 &&
        access(db_path, F_OK) == 0 &&
        ops_db_quick_check(db_path, err, sizeof(err)) == CS_ECORRUPT) {
        fprintf(stderr,
                _("cellsyncd: %s\ncellsyncd: the hub does not serve a damaged replica; restore a "
                  "backup (cellsyncd restore DIR), see 'cellsyncd check'\n"),
                err);
        return 1;
    }
    if (hub_open(&s.hub, s.conf.state, err, sizeof(err)) != 0) {
        fprintf(stderr, "cellsyncd: %s\n", err);
        return 1;
    }
    cs_replica_clock(hub_replica(s.hub))->max_drift_ms =
        (uint64_t)s.conf.max_drift_hours * 3600 * 1000;
    s.worker.hub = s.hub;
    s.worker.group_commit = group_commit_start(cs_replica_db(hub_replica(s.hub)));

    /* A device that resets its link must cost a write error, not the hub. */
    signal(SIGPIPE, SIG_IGN);
    s.loop = uv_default_loop();
    struct sockaddr_storage ss = {0};
    if ((rc = parse_listen(s.conf.listen, &ss)) != 0) {
        fprintf(stderr, _("cellsyncd: cannot listen on '%s': not ADDR:PORT\n"), s.conf.listen);
        hub_close(s.hub);
        return 1;
    }
    uv_tcp_init(s.loop, &s.listener);
    s.listener.data = &s;
    if ((rc = uv_tcp_bind(&s.listener, (struct sockaddr *)&ss, 0)) != 0 ||
        (rc = uv_listen((uv_stream_t *)&s.listener, 1024, on_connection)) != 0) {
        fprintf(stderr, _("cellsyncd: cannot listen on '%s': %s\n"), s.conf.listen,
                uv_strerror(rc));
        uv_close((uv_handle_t *)&s.listener, NULL);
        uv_run(s.loop, UV_RUN_DEFAULT);
        uv_loop_close(s.loop);
        hub_close(s.hub);
        return 1;
    }
    struct sockaddr_storage bound;
    int blen = sizeof(bound);
    int port = 0;
    if (uv_tcp_getsockname(&s.listener, (struct sockaddr *)&bound, &blen) == 0)
        port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                                : ((struct sockaddr_in6 *)&bound)->sin6_port);
    /* Tests listen on port 0 and read back the port the system chose. */
    if (port_file != NULL) {
        char tmp[PATH_MAX + 8];
        snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
        FILE *pf = fopen(tmp, "w");
        if (pf == NULL || fprintf(pf, "%d\n", port) < 0 || fclose(pf) != 0 ||
            rename(tmp, port_file) != 0) {
            fprintf(stderr, _("cellsyncd: cannot write '%s': %s\n"), port_file, strerror(errno));
            return 1;
        }
    }
    uv_signal_init(s.loop, &s.sigterm);
    uv_signal_init(s.loop, &s.sigint);
    uv_signal_init(s.loop, &s.sighup);
    s.sigterm.data = s.sigint.data = s.sighup.data = &s;
    uv_signal_start(&s.sigterm, on_signal, SIGTERM);
    uv_signal_start(&s.sigint, on_signal, SIGINT);
    uv_signal_start(&s.sighup, on_signal, SIGHUP);
    inbox_start(&s);
    logf_("info", NULL, "event=listening addr=%s port=%d state=%s", s.conf.listen, port,
          s.conf.state);

    /* Returns once the listener, the signals and every connection are closed. */
    uv_run(s.loop, UV_RUN_DEFAULT);
    rc = uv_loop_close(s.loop);
    hub_close(s.hub);
    logf_("info", NULL, "event=worker jobs=%llu batches=%llu log_syncs=%llu group_commit=%d",
          s.worker.jobs_done, s.worker.batches, s.worker.log_syncs, s.worker.group_commit);
    logf_("info", NULL, "event=stopped");
    return rc == 0 ? 0 : 1;
}
