/* SPDX-License-Identifier: MIT */
/*
 * The sync page of `cellsync ui` (ui.h): one button that syncs with the hub
 * as `cellsync sync` does (client_sync()), and the USB stick: this device's
 * changes written to a drive as `cellsync bundle export` writes them, the
 * hub's answer read from it as `cellsync bundle import` reads it.
 *
 * A sync takes seconds to hours on a bad link, and the server answers one
 * request at a time on one thread, so a job never runs in a request: it
 * runs on a worker thread with a client (an SQLite connection) of its own,
 * one job at a time, while the pages go on reading beside it (WAL). The
 * worker and the pages share nothing but `job` below, under its mutex: the
 * page starts a job and reads its progress and result; /sync/status gives
 * them as JSON to the script (layout.c) that moves the progress bar. Without
 * the script, reloading the page shows the same.
 *
 * Drives are the folders under /media/$USER and /media, where the desktop
 * mounts a USB stick; $CELLSYNC_MEDIA, for tests, names another folder to
 * look in instead.
 */
#include <errno.h>
#include <libintl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cellsync/bundle.h"
#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "client.h"
#include "sync.h"
#include "ui.h"

#define SYNC_TIMEOUT 30 /* seconds without a word from the hub before the sync gives up */
#define DRIVES_MAX   16
#define STICK_DIR    "cellsync" /* the folder on the drive that holds the bundles */

enum job_kind { JOB_SYNC, JOB_EXPORT, JOB_IMPORT };

/* The one job: started by a page, run by the worker. Every field under mu. */
static struct {
    pthread_mutex_t mu;
    int busy;           /* a job runs */
    int ran;            /* a job has finished since the start: result says how */
    enum job_kind kind; /* of the job running or last run */
    struct sync_progress p;
    struct device_tally t;
    int failed;
    char result[1536];
    time_t finished;
} job = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* What the worker is given; its own copy. */
struct job_arg {
    enum job_kind kind;
    char addr[256];       /* sync: the hub's address */
    char drive[PATH_MAX]; /* stick: the drive's folder */
};

/* ---- drives ---- */

/* The drive chosen in the form, if it is one of the list; else NULL. */
static const struct ui_drive *
chosen(const struct ui_req *r, struct ui_drive *v, size_t n)
{
    char *want = ui_field_nth(r, "drive", 0);
    const struct ui_drive *found = NULL;

    for (size_t i = 0; want != NULL && i < n && found == NULL; i++)
        if (strcmp(v[i].path, want) == 0)
            found = &v[i];
    free(want);
    return found;
}

static void
size_text(unsigned long long bytes, char *buf, size_t len)
{
    if (bytes >= 1000000000ull)
        snprintf(buf, len, "%.1f GB", bytes / 1e9);
    else
        snprintf(buf, len, "%.0f MB", bytes / 1e6);
}

/* ---- the worker ---- */

static void
on_sync(void *ud, const struct sync_progress *p)
{
    (void)ud;
    pthread_mutex_lock(&job.mu);
    job.p = *p;
    pthread_mutex_unlock(&job.mu);
}

static void
on_stick(void *ud, const struct device_tally *t)
{
    (void)ud;
    pthread_mutex_lock(&job.mu);
    job.t = *t;
    pthread_mutex_unlock(&job.mu);
}

/* An errno of the network (a negative one from link.c): the link, not the data. */
static int
network(int rc)
{
    return rc < 0 && rc > -1000;
}

/* What the hub refused and what is left to settle, after a sentence (appended to out). */
static void
to_settle(char *out, size_t len, size_t to_fix, uint64_t open)
{
    size_t n = strlen(out);
    if (to_fix > 0 && n < len)
        n += (size_t)snprintf(out + n, len - n,
                              dngettext(CS_TEXT_DOMAIN,
                                        " The hub refused %zu change: the lists mark that record, "
                                        "correct it and sync again.",
                                        " The hub refused %zu changes: the lists mark those "
                                        "records, correct them and sync again.",
                                        to_fix),
                              to_fix);
    if (open > 0 && n < len)
        snprintf(out + n, len - n,
                 dngettext(CS_TEXT_DOMAIN,
                           " %llu field was changed on two devices: settle it on the Conflicts "
                           "page.",
                           " %llu fields were changed on two devices: settle them on the "
                           "Conflicts page.",
                           (unsigned long)open),
                 (unsigned long long)open);
}

/* The hub's key rotated, checked and pinned (appended to out). */
static void
rotated_note(char *out, size_t len, size_t steps)
{
    size_t n = strlen(out);
    if (steps > 0 && n < len)
        snprintf(out + n, len - n, "%s",
                 _(" The hub's key was changed and its old key signed the change: this computer "
                   "now trusts the hub's new key."));
}

static int
run_sync(struct client *c, const struct job_arg *a, char *out, size_t len)
{
    struct sync_watch w = {on_sync, NULL};
    struct sync_summary sum;
    char err[1024] = "";

    int rc = client_sync(c, a->addr, SYNC_TIMEOUT, &w, &sum, err, sizeof(err));
    if (rc != 0 && network(rc))
        snprintf(out, len,
                 _("The sync did not finish: %s. Nothing is lost: press Sync again when this "
                   "computer is connected, or carry the changes to the hub on a USB stick."),
                 err);
    else if (rc != 0)
        snprintf(out, len, _("The sync did not finish: %s."), err);
    else
        snprintf(out, len,
                 dngettext(CS_TEXT_DOMAIN, "Synced with the hub: sent %zu change, received %zu.",
                           "Synced with the hub: sent %zu changes, received %zu.",
                           sum.t.sent_changes),
                 sum.t.sent_changes, sum.t.recv_changes);
    rotated_note(out, len, sum.rotated);
    to_settle(out, len, sum.to_fix, sum.open_conflicts);
    return rc;
}

/* The stick's folder for bundles, made if need be. */
static int
stick_dir(const struct job_arg *a, char *dir, size_t len, char *err, size_t errlen)
{
    snprintf(dir, len, "%s/" STICK_DIR, a->drive);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return cs_errf(err, errlen, -errno, _("cannot make the folder '%s': %s"), dir,
                       strerror(errno));
    return 0;
}

static int
run_export(struct client *c, const struct job_arg *a, char *out, size_t len)
{
    struct device_report rep = {on_stick, NULL, NULL};
    struct device_tally t = {0};
    char dir[PATH_MAX + 16], name[256], org[64] = "", dev[128] = "", path[PATH_MAX + 300];
    char err[1024] = "", folded[256];
    int rc;

    /* Named as the hub names its answer beside it, .bundle for .reply: the stick's reader
     * sees which unit and laptop each file is from. */
    cs_replica_meta_get(c->rep, CS_META_ORG, org, sizeof(org));
    cs_replica_meta_get(c->rep, CS_META_DEVICE_NAME, dev, sizeof(dev));
    cs_text_fold(dev, strlen(dev), CS_FOLD_MARKS, folded, sizeof(folded));
    cs_bundle_reply_name(org, folded, cs_replica_site(c->rep), name, sizeof(name));
    char *dot = strrchr(name, '.');
    if (dot != NULL)
        *dot = 0;
    if ((rc = stick_dir(a, dir, sizeof(dir), err, sizeof(err))) == 0) {
        snprintf(path, sizeof(path), "%s/%s.bundle", dir, name);
        rc = client_bundle_export(c, path, &rep, &t, err, sizeof(err));
    }
    if (rc != 0)
        snprintf(out, len, _("Nothing was written to the stick: %s."), err);
    else
        snprintf(out, len,
                 dngettext(CS_TEXT_DOMAIN,
                           "Wrote %zu change to the stick, in the folder %s: take it to the hub, "
                           "and when it comes back with the hub's answer, press Read the hub's "
                           "answer.",
                           "Wrote %zu changes to the stick, in the folder %s: take it to the hub, "
                           "and when it comes back with the hub's answer, press Read the hub's "
                           "answer.",
                           t.changes),
                 t.changes, STICK_DIR);
    return rc;
}

static int
run_import(struct client *c, const struct job_arg *a, char *out, size_t len)
{
    struct device_report rep = {on_stick, NULL, NULL};
    struct device_refusals acc = {0};
    struct device_tally t = {0};
    char dir[PATH_MAX + 16], found[PATH_MAX + 32], err[1024] = "";
    struct stat st;
    uint64_t open = 0;
    int rc = CS_ENOTFOUND;

    /* The answer is beside the bundle, in the stick's folder; or on the stick itself. */
    snprintf(dir, sizeof(dir), "%s/" STICK_DIR, a->drive);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        snprintf(dir, sizeof(dir), "%s", a->drive);
    cs_bundle_reply_find(dir, cs_replica_site(c->rep), found, sizeof(found));
    if (stat(found, &st) != 0)
        snprintf(out, len,
                 _("The stick holds no answer of the hub for this computer: write this "
                   "computer's changes to it, take it to the hub, and read it here when it "
                   "comes back."));
    else if ((rc = client_bundle_import(c, found, &rep, &t, NULL, &acc, err, sizeof(err))) != 0)
        snprintf(out, len, _("The hub's answer on the stick was not read: %s."), err);
    else if (t.nothing_new)
        snprintf(out, len, _("Nothing new on the stick: this answer of the hub was read before."));
    else
        snprintf(
            out, len,
            dngettext(CS_TEXT_DOMAIN, "Read the hub's answer from the stick: received %zu change.",
                      "Read the hub's answer from the stick: received %zu changes.", t.changes),
            t.changes);
    if (rc == 0) {
        rotated_note(out, len, t.rotated);
        cs_replica_conflict_count(c->rep, &open);
        to_settle(out, len, acc.to_fix, open);
    }
    device_refusals_release(&acc);
    return rc;
}

static void *
worker(void *p)
{
    struct job_arg *a = p;
    struct client c;
    char out[sizeof(job.result)] = "";
    int rc = CS_EXIT_FAILURE;

    if (client_open(&c) != 0) {
        snprintf(out, sizeof(out), "%s",
                 _("The records could not be opened for the sync; the terminal that started "
                   "cellsync ui says why."));
    } else {
        c.clock_told = 1; /* the pages say it; no word on the terminal */
        rc = a->kind == JOB_SYNC     ? run_sync(&c, a, out, sizeof(out))
             : a->kind == JOB_EXPORT ? run_export(&c, a, out, sizeof(out))
                                     : run_import(&c, a, out, sizeof(out));
        client_close(&c);
    }
    /* Nothing of the worker's is used after busy is 0: cmd_ui() may then end the process. */
    free(a);
    pthread_mutex_lock(&job.mu);
    job.busy = 0;
    job.ran = 1;
    job.failed = rc != 0;
    snprintf(job.result, sizeof(job.result), "%s", out);
    job.finished = time(NULL);
    pthread_mutex_unlock(&job.mu);
    return NULL;
}

int
ui_sync_running(void)
{
    int busy;

    pthread_mutex_lock(&job.mu);
    busy = job.busy;
    pthread_mutex_unlock(&job.mu);
    return busy;
}

/* Starts a job on the worker; 0, or -1 when one runs already or no thread can start. */
static int
start(const struct job_arg *given)
{
    struct job_arg *a = malloc(sizeof(*a));
    pthread_t th;
    int ret = -1;

    if (a == NULL)
        return -1;
    *a = *given;
    pthread_mutex_lock(&job.mu);
    if (!job.busy) {
        job.busy = 1;
        job.kind = a->kind;
        memset(&job.p, 0, sizeof(job.p));
        memset(&job.t, 0, sizeof(job.t));
        if (pthread_create(&th, NULL, worker, a) == 0) {
            pthread_detach(th);
            ret = 0;
        } else {
            job.busy = 0;
        }
    }
    pthread_mutex_unlock(&job.mu);
    if (ret != 0)
        free(a);
    return ret;
}

/* ---- what the page and the script show ---- */

/* A copy of the job, taken under the lock. */
struct seen {
    int busy, ran, failed;
    enum job_kind kind;
    struct sync_progress p;
    struct device_tally t;
    char result[sizeof(job.result)];
    time_t finished;
};

static void
look(struct seen *s)
{
    pthread_mutex_lock(&job.mu);
    s->busy = job.busy;
    s->ran = job.ran;
    s->failed = job.failed;
    s->kind = job.kind;
    s->p = job.p;
    s->t = job.t;
    memcpy(s->result, job.result, sizeof(s->result));
    s->finished = job.finished;
    pthread_mutex_unlock(&job.mu);
}

/* The state line: what is happening now. */
static void
state_text(const struct seen *s, char *buf, size_t len)
{
    if (!s->busy)
        snprintf(buf, len, "%s",
                 !s->ran     ? _("Ready.")
                 : s->failed ? _("Stopped with a problem.")
                             : _("Finished."));
    else if (s->kind == JOB_EXPORT)
        snprintf(buf, len, _("Writing to the stick: %zu changes so far."), s->t.changes);
    else if (s->kind == JOB_IMPORT)
        snprintf(buf, len, _("Reading the stick: %zu changes received so far."), s->t.changes);
    else if (s->p.phase == SYNC_CONNECTING)
        snprintf(buf, len, "%s", _("Connecting to the hub..."));
    else if (s->p.phase == SYNC_HANDSHAKE)
        snprintf(buf, len, "%s", _("The hub is checking this computer..."));
    else
        snprintf(buf, len,
                 _("Syncing: sent %zu of %llu changes (%.1f KiB), received %zu changes (%.1f "
                   "KiB)."),
                 s->p.sent_changes, (unsigned long long)s->p.total, s->p.sent_bytes / 1024.0,
                 s->p.recv_changes, s->p.recv_bytes / 1024.0);
}

/* The bar: value of max; max 0 when how far it has come is not known. */
static void
bar(const struct seen *s, long long *value, long long *max)
{
    *value = *max = 0;
    if (!s->busy) {
        *value = *max = s->ran ? 1 : 0;
    } else if (s->kind == JOB_SYNC && s->p.phase == SYNC_STREAMING && s->p.total > 0) {
        *max = (long long)s->p.total;
        *value = (long long)(s->p.sent_changes < s->p.total ? s->p.sent_changes : s->p.total);
    }
}

/* A JSON string of s (UTF-8 passed as it is). */
static void
json_text(struct ui_buf *b, const char *s)
{
    char esc[8];
    ui_raw(b, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\' || ch < 0x20 || ch == '<' || ch == '>' || ch == '&') {
            snprintf(esc, sizeof(esc), "\\u%04x", ch);
            ui_raw(b, esc);
        } else {
            ui_raw_n(b, s, 1);
        }
    }
    ui_raw(b, "\"");
}

static int
sync_status(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    static const char *const kinds[] = {"sync", "export", "import"};
    struct seen s;
    char state[512];
    long long value, max;
    (void)x;

    look(&s);
    state_text(&s, state, sizeof(state));
    bar(&s, &value, &max);
    ui_raw(b, "{\"busy\":");
    ui_raw(b, s.busy ? "true" : "false");
    ui_raw(b, ",\"job\":\"");
    ui_raw(b, kinds[s.kind]);
    ui_raw(b, "\",\"done\":");
    ui_raw(b, !s.busy && s.ran ? "true" : "false");
    ui_raw(b, ",\"failed\":");
    ui_raw(b, !s.busy && s.ran && s.failed ? "true" : "false");
    ui_raw(b, ",\"sent_changes\":");
    ui_num(b, (long long)(s.kind == JOB_SYNC ? s.p.sent_changes : s.t.changes));
    ui_raw(b, ",\"received_changes\":");
    ui_num(b, (long long)(s.kind == JOB_SYNC ? s.p.recv_changes : 0));
    ui_raw(b, ",\"sent_bytes\":");
    ui_num(b, (long long)(s.kind == JOB_SYNC ? s.p.sent_bytes : 0));
    ui_raw(b, ",\"received_bytes\":");
    ui_num(b, (long long)(s.kind == JOB_SYNC ? s.p.recv_bytes : 0));
    ui_raw(b, ",\"value\":");
    ui_num(b, value);
    ui_raw(b, ",\"max\":");
    ui_num(b, max);
    ui_raw(b, ",\"state\":");
    json_text(b, state);
    ui_raw(b, ",\"result\":");
    json_text(b, !s.busy && s.ran ? s.result : "");
    ui_raw(b, "}\n");
    r->type = "application/json";
    return 200;
}

static void
button(struct ui_buf *b, const char *id, const char *label, int busy)
{
    ui_raw(b, "<button type=\"submit\" id=\"");
    ui_raw(b, id);
    ui_raw(b, busy ? "\" disabled>" : "\">");
    ui_text(b, label);
    ui_raw(b, "</button>");
}

/* The progress, the state and the result of the last job. */
static void
show_job(struct ui_buf *b, const struct seen *s)
{
    char state[512];
    long long value, max;

    state_text(s, state, sizeof(state));
    bar(s, &value, &max);
    ui_raw(b, "<section id=\"job\"><progress id=\"progress\"");
    if (s->busy)
        ui_raw(b, " data-busy=\"1\"");
    if (max > 0) {
        ui_raw(b, " max=\"");
        ui_num(b, max);
        ui_raw(b, "\" value=\"");
        ui_num(b, value);
        ui_raw(b, "\"");
    } else if (!s->busy) {
        ui_raw(b, " max=\"1\" value=\"0\"");
    }
    ui_raw(b, "></progress><p id=\"sync-state\" role=\"status\">");
    ui_text(b, state);
    ui_raw(b, "</p>\n");
    if (s->busy) {
        ui_raw(b, "<p><a class=\"button\" id=\"sync-reload\" href=\"/sync\">");
        ui_text(b, _("See how it goes"));
        ui_raw(b, "</a></p>\n");
    } else if (s->ran) {
        char when[32] = "";
        struct tm tm;
        if (localtime_r(&s->finished, &tm) != NULL)
            strftime(when, sizeof(when), "%d/%m/%Y %H:%M", &tm);
        ui_raw(b, s->failed ? "<p id=\"sync-result\" class=\"error\" role=\"alert\">"
                            : "<p id=\"sync-result\" class=\"ok\" role=\"status\">");
        ui_text(b, s->result);
        ui_raw(b, " <span class=\"when\">(");
        ui_text(b, when);
        ui_raw(b, ")</span></p>\n");
    }
    ui_raw(b, "</section>\n");
}

/* The stick: the drives to choose from and the two buttons. */
static void
show_stick(struct ui_ctx *x, struct ui_buf *b, const struct seen *s, const char *drive)
{
    struct ui_drive v[DRIVES_MAX];
    size_t n = ui_drives(v, DRIVES_MAX);

    ui_raw(b, "<section id=\"stick\"><h2>");
    ui_text(b, _("USB stick"));
    ui_raw(b, "</h2>\n");
    ui_para(b, _("Without a link, carry the changes on a USB stick: write them to the stick, "
                 "take it to the hub, and read the hub's answer from it when it comes back."));
    if (n == 0)
        ui_para(b, _("No USB stick is plugged in: plug one in, wait a moment and reload this "
                     "page."));
    ui_form_begin(x, b, "/stick/export");
    ui_raw(b, "<p class=\"field\"><label for=\"drive\">");
    ui_text(b, _("Drive"));
    ui_raw(b, "</label><select id=\"drive\" name=\"drive\">");
    for (size_t i = 0; i < n; i++) {
        char freebuf[32], label[512];
        size_text(v[i].avail, freebuf, sizeof(freebuf));
        /* TRANSLATORS: a drive's folder name, then its free space ("7.5 GB") */
        snprintf(label, sizeof(label), _("%s (%s free)"), v[i].name, freebuf);
        ui_raw(b, "<option value=\"");
        ui_text(b, v[i].path);
        ui_raw(b, drive != NULL && strcmp(drive, v[i].path) == 0 ? "\" selected>" : "\">");
        ui_text(b, label);
        ui_raw(b, "</option>");
    }
    ui_raw(b, "</select></p>\n<p class=\"actions\">");
    button(b, "stick-export", _("Write this computer's changes to the stick"), s->busy);
    ui_raw(b, " <button type=\"submit\" id=\"stick-import\" formaction=\"/stick/import\"");
    ui_raw(b, s->busy ? " disabled>" : ">");
    ui_text(b, _("Read the hub's answer from the stick"));
    ui_raw(b, "</button></p></form></section>\n");
}

static int
page(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b, const char *why, const char *drive,
     int status)
{
    struct seen s;
    char addr[256] = "";

    look(&s);
    ui_begin(b, _("Sync"), "/sync");
    if (why != NULL)
        ui_error(b, why);
    cs_replica_meta_get(x->c->rep, CS_META_HUB_ADDR, addr, sizeof(addr));
    ui_para(b, addr[0] ? _("Send this computer's changes to the hub and receive the others'.")
                       : _("This computer is not enrolled with a hub yet: it can sync only "
                           "after enrollment."));
    show_job(b, &s);
    ui_form_begin(x, b, "/sync");
    ui_raw(b, "<p class=\"actions\">");
    button(b, "sync-now", _("Sync now"), s.busy);
    ui_raw(b, "</p></form>\n");
    show_stick(x, b, &s, drive);
    (void)r;
    ui_end(b);
    return status;
}

static int
sync_get(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    return page(x, r, b, NULL, NULL, 200);
}

static const char *
busy_text(void)
{
    return _("A sync or a stick is already under way: wait until it has finished.");
}

static int
sync_post(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct job_arg a = {.kind = JOB_SYNC};

    if (cs_replica_meta_get(x->c->rep, CS_META_HUB_ADDR, a.addr, sizeof(a.addr)) != 0 ||
        a.addr[0] == 0)
        return page(x, r, b,
                    _("This computer has no hub to sync with: enroll it first, or use a USB "
                      "stick."),
                    NULL, 422);
    if (start(&a) != 0)
        return page(x, r, b, busy_text(), NULL, 409);
    return ui_redirect(r, "/sync");
}

static int
stick_post(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b, enum job_kind kind)
{
    struct ui_drive v[DRIVES_MAX];
    size_t n = ui_drives(v, DRIVES_MAX);
    const struct ui_drive *d = chosen(r, v, n);
    struct job_arg a = {.kind = kind};

    if (d == NULL)
        return page(x, r, b,
                    _("Choose a drive from the list; if the stick is not in it, plug it in and "
                      "reload this page."),
                    NULL, 422);
    snprintf(a.drive, sizeof(a.drive), "%s", d->path);
    if (start(&a) != 0)
        return page(x, r, b, busy_text(), d->path, 409);
    return ui_redirect(r, "/sync");
}

static int
stick_export(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    return stick_post(x, r, b, JOB_EXPORT);
}

static int
stick_import(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    return stick_post(x, r, b, JOB_IMPORT);
}

int
ui_sync_last(char *buf, size_t len)
{
    struct seen s;

    look(&s);
    if (!s.ran)
        return -1;
    snprintf(buf, len, "%s", s.result);
    return 0;
}

const struct ui_route ui_routes_sync[] = {
    {"/sync", sync_get, sync_post},
    {"/sync/status", sync_status, NULL},
    {"/stick/export", NULL, stick_export},
    {"/stick/import", NULL, stick_import},
    {NULL, NULL, NULL},
};
