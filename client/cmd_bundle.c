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

/* Below this a bundle is written too fast for a progress line to help. */
#define PROGRESS_MIN (1u << 20)

enum { OPT_QUIET, OPT__COUNT };
static const struct cs_cli_opt bundle_opts[OPT__COUNT] = {
    [OPT_QUIET] = {"quiet", 0, N_("no progress bar")},
};

struct show {
    int tty, shown, reading;
    struct device *d;                /* import: the device whose refusals are kept */
    struct device_refusals refusals; /* import: shown at the end, one line per record */
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

static void
show_refused(void *ud, const struct cs_refusal *r)
{
    struct show *s = ud;
    char err[256];
    if (device_refusals_add(s->d, &s->refusals, r, 1, err, sizeof(err)) != 0)
        fprintf(stderr, "cellsync: %s\n", err);
}

static int
open_device(struct client *c, struct device *d)
{
    char keypath[PATH_MAX + 32], err[1024];
    if (client_check_replica(c) != 0)
        return CS_EXIT_FAILURE;
    client_path(c, CLIENT_KEY, keypath, sizeof(keypath));
    if (device_open(d, c->rep, keypath, err, sizeof(err)) != 0)
        return client_fail("%s", err);
    return 0;
}

static int
bundle_export(struct client *c, const struct verb_args *a)
{
    struct device d;
    struct device_tally t;
    struct show s = {isatty(2) && a->ov[OPT_QUIET] == NULL, 0, 0, NULL, {0}};
    struct device_report rep = {show_progress, NULL, &s};
    char err[1024] = "";
    const char *path = a->argv[0];

    if (open_device(c, &d) != 0)
        return CS_EXIT_FAILURE;
    int rc = device_export(&d, path, &rep, &t, err, sizeof(err));
    device_release(&d);
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

static int
bundle_import(struct client *c, const struct verb_args *a)
{
    struct device d;
    struct device_tally t;
    struct show s = {isatty(2) && a->ov[OPT_QUIET] == NULL, 0, 1, NULL, {0}};
    struct device_report rep = {show_progress, show_refused, &s};
    char err[1024] = "", path[PATH_MAX + 16];
    struct stat st;

    /*
     * A directory (the stick itself): this device's reply in it, found by
     * the short id its name ends with (or by an older hub's name for it);
     * when there is none, the error names the file looked for.
     */
    snprintf(path, sizeof(path), "%s", a->argv[0]);
    if (stat(a->argv[0], &st) == 0 && S_ISDIR(st.st_mode))
        cs_bundle_reply_find(a->argv[0], cs_replica_site(c->rep), path, sizeof(path));
    if (open_device(c, &d) != 0)
        return CS_EXIT_FAILURE;
    s.d = &d;
    int rc = device_import(&d, path, &rep, &t, err, sizeof(err));
    if (s.shown)
        fputc('\n', stderr);
    device_refusals_print(&d, &s.refusals, stderr);
    size_t to_fix = s.refusals.to_fix;
    device_refusals_release(&s.refusals);
    device_release(&d);
    if (rc != 0)
        return client_fail("%s", err);
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
