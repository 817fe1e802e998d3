/* SPDX-License-Identifier: MIT */
/*
 * The inbox of `cellsyncd serve`: with an inbox configured, USB-stick
 * bundles dropped into it are imported by the worker, between the
 * sessions' jobs.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#include "cellsync/error.h"
#include "cellsync/hlc.h"
#include "cellsync/i18n.h"
#include "hub.h"
#include "import.h"
#include "serve.h"
#include "worker.h"

/* ---- the inbox: bundles dropped into a directory ---- */

/*
 * With `inbox = DIR` configured, bundles dropped into DIR (by a relay
 * machine, or copied off a stick) are imported as `cellsyncd import` would
 * import them, but as jobs of the one worker, in turn with the live
 * sessions' jobs, so an import never runs beside a live merge. Nothing
 * polls: uv_fs_event says when DIR changes, and a timer lets a file settle
 * first (INBOX_SETTLE_MS after the last event, and its mtime at least that
 * old), so a bundle still being copied is not read half-way. One bundle is
 * imported at a time; its reply goes next to it as NAME.reply and the
 * bundle to DIR/done/, or to DIR/refused/ when it was refused (the reason
 * is in the log), so nothing is imported twice or retried forever. A
 * failure of the hub's own leaves the bundle where it is, to be tried again
 * after INBOX_RETRY_MS or the next change in DIR.
 */
#define INBOX_SETTLE_MS 1000
#define INBOX_RETRY_MS  60000
#define BUNDLE_SUFFIX   ".bundle"

struct inbox_job {
    char name[256];        /* NAME.bundle */
    char dir[PATH_MAX];    /* copied from the configuration: the worker never reads it */
    char reply_name[256];  /* NAME.reply */
    struct hub_import res; /* what the import did */
    const char *moved;     /* "done", "refused", or NULL: left in place */
    int move_err;          /* errno of a failed move */
};

static int
is_bundle_name(const char *name)
{
    size_t n = strlen(name), k = sizeof(BUNDLE_SUFFIX) - 1;
    return name[0] != '.' && n > k && n < sizeof(((struct inbox_job *)0)->name) &&
           strcmp(name + n - k, BUNDLE_SUFFIX) == 0;
}

/* On the worker: import, then move the bundle out of the way. */
void
inbox_work(struct hub *h, struct job *j)
{
    struct inbox_job *ij = j->u.imp;
    char path[PATH_MAX + 256], to[PATH_MAX + 300];

    snprintf(path, sizeof(path), "%s/%s", ij->dir, ij->name);
    j->ret = hub_import(h, path, ij->dir, ij->reply_name, &ij->res, j->err, sizeof(j->err));
    if (j->ret != 0 && !ij->res.refused)
        return;
    const char *sub = j->ret == 0 ? "done" : "refused";
    snprintf(to, sizeof(to), "%s/%s", ij->dir, sub);
    if (mkdir(to, 0755) != 0 && errno != EEXIST) {
        ij->move_err = errno;
        return;
    }
    snprintf(to, sizeof(to), "%s/%s/%s", ij->dir, sub, ij->name);
    if (rename(path, to) != 0) {
        ij->move_err = errno;
        return;
    }
    ij->moved = sub;
}

static void inbox_scan(uv_timer_t *t);

/* Back on the loop: log it, then look for the next one. */
void
inbox_done(struct job *j)
{
    struct server *s = j->srv;
    struct inbox_job *ij = j->u.imp;
    const struct hub_import *r = &ij->res;
    int again = 0;

    s->inbox.busy = 0;
    if (r->restored[0])
        logf_(LOG_INFO, NULL, "event=restored-hub device=%s file=\"%s\" %s", r->device, ij->name,
              r->restored);
    if (j->ret == 0)
        logf_(LOG_INFO, NULL,
              "event=import file=\"%s\" device=%s org=%s new=%zu refused=%zu conflicts=%zu "
              "old_chunks=%zu down=%zu reply=\"%s\"",
              ij->name, r->device, r->org, r->applied, r->refused_changes, r->conflicts,
              r->old_chunks, r->down_changes, ij->reply_name);
    else if (r->refused)
        logf_(LOG_WARNING, NULL, "event=import-refused file=\"%s\" device=%s reason=\"%s\"",
              ij->name, r->device[0] ? r->device : "-", j->err);
    else {
        logf_(LOG_ERR, NULL, "event=import-failed file=\"%s\" error=\"%s\" retry_in=%ds", ij->name,
              j->err, INBOX_RETRY_MS / 1000);
        again = 1;
    }
    if (ij->move_err != 0) {
        logf_(LOG_ERR, NULL, "event=import-move-failed file=\"%s\" error=\"%s\" retry_in=%ds",
              ij->name, strerror(ij->move_err), INBOX_RETRY_MS / 1000);
        again = 1;
    }
    /* A bundle that could not leave the inbox waits, rather than go round and round. */
    if (s->inbox.on && !s->stopping)
        uv_timer_start(&s->inbox.timer, inbox_scan, again ? INBOX_RETRY_MS : 0, 0);
    job_free(j);
}

/* The settled bundle that sorts first goes to the worker; fresh ones are looked at again. */
static void
inbox_scan(uv_timer_t *t)
{
    struct server *s = t->data;
    char pick[256] = "", path[PATH_MAX + 256];
    int fresh = 0;

    if (s->stopping || s->inbox.busy)
        return;
    DIR *d = opendir(s->conf.inbox);
    if (d == NULL) {
        logf_(LOG_ERR, NULL, "event=inbox-unreadable dir=\"%s\" error=\"%s\"", s->conf.inbox,
              strerror(errno));
        return;
    }
    uint64_t now = cs_hlc_wall_ms(NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (!is_bundle_name(e->d_name))
            continue;
        snprintf(path, sizeof(path), "%s/%s", s->conf.inbox, e->d_name);
        /* lstat: a symbolic link is not a bundle dropped here (F18), wherever it points. */
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        uint64_t mtime =
            (uint64_t)st.st_mtim.tv_sec * 1000 + (uint64_t)st.st_mtim.tv_nsec / 1000000;
        if (mtime + INBOX_SETTLE_MS > now) {
            fresh = 1;
            continue;
        }
        if (pick[0] == 0 || strcmp(e->d_name, pick) < 0)
            snprintf(pick, sizeof(pick), "%s", e->d_name);
    }
    closedir(d);
    if (pick[0] == 0) {
        if (fresh)
            uv_timer_start(t, inbox_scan, INBOX_SETTLE_MS, 0);
        return;
    }
    struct job *j = job_new(s, J_IMPORT);
    struct inbox_job *ij = calloc(1, sizeof(*ij));
    if (j == NULL || ij == NULL) {
        job_free(j);
        free(ij);
        logf_(LOG_ERR, NULL, "event=import-failed file=\"%s\" error=\"%s\"", pick,
              cs_strerror(CS_ENOMEM));
        uv_timer_start(t, inbox_scan, INBOX_RETRY_MS, 0);
        return;
    }
    snprintf(ij->name, sizeof(ij->name), "%s", pick);
    snprintf(ij->dir, sizeof(ij->dir), "%s", s->conf.inbox);
    snprintf(ij->reply_name, sizeof(ij->reply_name), "%.*s.reply",
             (int)(strlen(pick) - (sizeof(BUNDLE_SUFFIX) - 1)), pick);
    j->u.imp = ij;
    s->inbox.busy = 1;
    job_push(j);
}

static void
inbox_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
    struct server *s = h->data;
    (void)events;
    if (status < 0) {
        logf_(LOG_WARNING, NULL, "event=inbox-watch-error error=\"%s\"", uv_strerror(status));
        return;
    }
    /* Our own replies and moves are no news; anything else restarts the settling time. */
    if (filename != NULL && !is_bundle_name(filename))
        return;
    if (!s->inbox.busy)
        uv_timer_start(&s->inbox.timer, inbox_scan, INBOX_SETTLE_MS, 0);
}

/* Checked before the server starts: a configured inbox must be a directory. */
int
inbox_check(const struct conf *c)
{
    struct stat st;
    if (c->inbox[0] == 0)
        return 0;
    const char *why = stat(c->inbox, &st) != 0 ? strerror(errno)
                      : !S_ISDIR(st.st_mode)   ? _("not a directory")
                                               : NULL;
    if (why != NULL) {
        log_fail(_("cellsyncd: cannot use the inbox '%s': %s\n"), c->inbox, why);
        return -1;
    }
    return 0;
}

void
inbox_start(struct server *s)
{
    if (s->conf.inbox[0] == 0)
        return;
    uv_fs_event_init(s->loop, &s->inbox.ev);
    uv_timer_init(s->loop, &s->inbox.timer);
    s->inbox.ev.data = s->inbox.timer.data = s;
    s->inbox.on = 1;
    int rc = uv_fs_event_start(&s->inbox.ev, inbox_event, s->conf.inbox, 0);
    if (rc != 0) {
        /* The hub still serves live syncs; the log says why the inbox does not. */
        logf_(LOG_ERR, NULL, "event=inbox-unwatchable dir=\"%s\" error=\"%s\"", s->conf.inbox,
              uv_strerror(rc));
        return;
    }
    logf_(LOG_INFO, NULL, "event=inbox dir=\"%s\"", s->conf.inbox);
    /* Bundles that came while the hub was down. */
    uv_timer_start(&s->inbox.timer, inbox_scan, 0, 0);
}

void
inbox_stop(struct server *s)
{
    if (!s->inbox.on)
        return;
    s->inbox.on = 0;
    uv_close((uv_handle_t *)&s->inbox.ev, NULL);
    uv_close((uv_handle_t *)&s->inbox.timer, NULL);
}
