/* SPDX-License-Identifier: MIT */
/*
 * `cellsync bundle export|import`: the USB-stick sync, for cells that never
 * get a usable link. Export writes this device's changes the hub has not
 * acknowledged into one file, with the hello a live sync would send; the
 * hub (`cellsyncd import`, or its inbox) merges it and writes a reply,
 * which import applies here. Neither moves a cursor on its own word: only
 * the hub's acknowledgment in a reply does, so a lost or twice-carried
 * stick costs nothing. The work is in device.c, shared with `cellsync sync`.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellsync/bundle.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "client.h"
#include "device.h"
#include "sync.h"

/* Below this a bundle is written too fast for a progress line to help. */
#define PROGRESS_MIN (1u << 20)

enum { OPT_QUIET, OPT__COUNT };
static const struct cs_cli_opt bundle_opts[OPT__COUNT] = {
    [OPT_QUIET] = {"quiet", 0, N_("no progress bar")},
};

struct show {
    int tty, shown, reading;
};

static void
show_progress(void *ud, const struct device_tally *t)
{
    struct show *s = ud;
    if (!s->tty || t->bytes < PROGRESS_MIN)
        return;
    /* The carriage return is no text: it brings the line back over the last one. */
    fputc('\r', stderr);
    if (s->reading)
        fprintf(stderr, _("  read %zu chunks (%.1f MiB), received %zu changes  "), t->chunks,
                t->bytes / 1048576.0, t->changes);
    else
        fprintf(stderr, _("  wrote %zu changes in %zu chunks (%.1f MiB)  "), t->changes, t->chunks,
                t->bytes / 1048576.0);
    s->shown = 1;
}

static int
open_device(struct client *c, struct device *d, char *err, size_t errlen)
{
    char keypath[PATH_MAX + 32];
    int rc;
    if ((rc = client_check_replica_err(c, err, errlen)) != 0)
        return rc;
    client_path(c, CLIENT_KEY, keypath, sizeof(keypath));
    return device_open(d, c->rep, keypath, &client_pass, err, errlen);
}

int
client_bundle_export(struct client *c, const char *path, const struct device_report *rep,
                     struct device_tally *t, char *err, size_t errlen)
{
    struct device d = {0};
    int rc = open_device(c, &d, err, errlen);
    if (rc == 0)
        rc = device_export(&d, path, NULL, NULL, rep, t, err, errlen);
    device_release(&d);
    return rc;
}

static int
bundle_export(struct client *c, const struct verb_args *a)
{
    struct device_tally t;
    struct show s = {isatty(2) && a->ov[OPT_QUIET] == NULL, 0, 0};
    struct device_report rep = {show_progress, NULL, &s};
    char err[1024] = "";
    const char *path = a->argv[0];

    int rc = client_bundle_export(c, path, &rep, &t, err, sizeof(err));
    if (s.shown)
        fputc('\n', stderr);
    if (rc != 0)
        return client_fail("%s", err);
    printf(_("wrote %zu changes in %zu chunks to '%s' (%llu bytes)\n"), t.changes, t.chunks, path,
           (unsigned long long)t.bytes);
    /*
     * What comes next, with the command to type: import takes the folder
     * the bundle is in (the stick), where the hub puts its reply.
     */
    char shrt[CS_ID_SHORT_LEN + 1], folder[PATH_MAX + 16];
    const char *slash = strrchr(path, '/');
    cs_id_short(cs_replica_site(c->rep), shrt);
    if (slash == NULL)
        snprintf(folder, sizeof(folder), ".");
    else if (slash == path)
        snprintf(folder, sizeof(folder), "/");
    else
        snprintf(folder, sizeof(folder), "%.*s", (int)(slash - path), path);
    printf(_("next: carry '%s' to the hub; when it comes back with the hub's reply (its name "
             "ends in _%s.reply), run 'cellsync bundle import %s'\n"),
           path, shrt, folder);
    return CS_EXIT_OK;
}

/* The refusals of one reply, kept for the device's records and shown at the end. */
struct refusals {
    struct device *d;
    struct device_refusals *acc;
    const struct device_report *rep; /* the caller's, for its progress */
};

static void
import_progress(void *ud, const struct device_tally *t)
{
    struct refusals *r = ud;
    if (r->rep != NULL && r->rep->progress != NULL)
        r->rep->progress(r->rep->ud, t);
}

static void
import_refused(void *ud, const struct cs_refusal *v)
{
    struct refusals *r = ud;
    char err[256];
    if (device_refusals_add(r->d, r->acc, v, 1, err, sizeof(err)) != 0)
        fprintf(stderr, "cellsync: %s\n", err);
}

int
client_bundle_import(struct client *c, const char *path, const struct device_report *rep,
                     struct device_tally *t, char *found, struct device_refusals *acc, char *err,
                     size_t errlen)
{
    struct device d = {0};
    struct refusals r = {&d, acc, rep};
    struct device_report mine = {import_progress, import_refused, &r};
    char file[PATH_MAX + 16];
    struct stat st;

    /*
     * A directory (the stick itself): this device's reply in it, found by
     * the short id its name ends with (or by an older hub's name for it);
     * when there is none, the error names the file looked for.
     */
    snprintf(file, sizeof(file), "%s", path);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        cs_bundle_reply_find(path, cs_replica_site(c->rep), file, sizeof(file));
    if (found != NULL)
        snprintf(found, PATH_MAX + 16, "%s", file);
    int rc = open_device(c, &d, err, errlen);
    if (rc == 0)
        rc = device_import(&d, file, &mine, t, err, errlen);
    device_release(&d);
    return rc;
}

static int
bundle_import(struct client *c, const struct verb_args *a)
{
    struct device_tally t;
    struct show s = {isatty(2) && a->ov[OPT_QUIET] == NULL, 0, 1};
    struct device_report rep = {show_progress, NULL, &s};
    struct device_refusals acc = {0};
    struct device shown = {.rep = c->rep}; /* names the refused records */
    char err[1024] = "", path[PATH_MAX + 16];

    int rc = client_bundle_import(c, a->argv[0], &rep, &t, path, &acc, err, sizeof(err));
    if (s.shown)
        fputc('\n', stderr);
    device_refusals_print(&shown, &acc, stderr);
    size_t to_fix = acc.to_fix;
    device_refusals_release(&acc);
    if (rc != 0)
        return client_fail("%s", err);
    if (t.rotated > 0)
        device_repinned_print(t.hub_pk, t.rotated, stdout);
    if (t.older) {
        printf(_("nothing new in '%s': it is older than the last reply this device imported\n"),
               path);
        return CS_EXIT_OK;
    }
    if (t.nothing_new) {
        printf(_("nothing new in '%s'\n"), path);
        return CS_EXIT_OK;
    }
    uint64_t open = 0;
    cs_replica_conflict_count(c->rep, &open);
    printf(
        _("read '%s': received %zu changes in %zu chunks (%zu chunks already here), refused %zu, "
          "open conflicts %llu\n"),
        path, t.changes, t.chunks - t.skipped, t.skipped, t.refused, (unsigned long long)open);
    return to_fix > 0 ? CS_EXIT_REFUSED : CS_EXIT_OK;
}

static const struct verb verbs[] = {
    {"export", bundle_export, NULL, bundle_opts, OPT__COUNT, "FILE", 1, 1,
     N_("write this device's changes the hub has not acknowledged to FILE, for the hub")},
    {"import", bundle_import, NULL, bundle_opts, OPT__COUNT, "REPLY", 1, 1,
     N_("apply the hub's reply (a file, or the stick's directory holding this device's reply)")},
};

int
cmd_bundle(int argc, char **argv)
{
    return run_verbs("bundle", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
