/* SPDX-License-Identifier: MIT */
/*
 * The setup page of `cellsync ui` (ui.h): a first start walks the secretary
 * through `cellsync init` and enrollment, by the file the hub's
 * administrator made (found on a USB stick, or its path typed) or by the
 * code read out over the phone, through client_init() and client_enroll(),
 * the functions of the commands. While the device has no replica, every
 * address shows this page (server.c). Enrollment may wait: the device
 * works offline, and Home links back here until it is enrolled.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "cellsync/codes.h"
#include "cellsync/enroll.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "client.h"
#include "link.h"
#include "ui.h"

#define DRIVE_FILES_MAX 200 /* entries looked at on one drive: a stick may hold thousands */
#define ENROLL_FILE_MAX 4096

/* What was typed in the forms, shown again after a refusal. */
struct typed {
    char org[64], found[PATH_MAX], file[PATH_MAX], hub[256], code[64];
    char unencrypted[8]; /* "1": make the records on a disk that is not encrypted */
};

static int
meta_set(struct client *c, const char *key, char *buf, size_t len)
{
    return cs_replica_meta_get(c->rep, key, buf, len) == 0 && buf[0] != 0;
}

/* One file of a drive as an option, when it is an enrollment file. */
static int
drive_file(struct ui_buf *b, const char *path, const char *name, const char *drive,
           const char *chosen)
{
    struct cs_enrollment e;
    struct stat st;
    char err[512], label[PATH_MAX + 256];
    int ok;

    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > ENROLL_FILE_MAX)
        return 0;
    ok = cs_enrollment_read(path, &e, err, sizeof(err)) == 0;
    if (ok) {
        const char *role = cs_code_label("role", e.role);
        /* TRANSLATORS: an enrollment file found on a USB stick: file, stick, unit, role */
        snprintf(label, sizeof(label), _("%s on %s: unit %s (%s)"), name, drive, e.org,
                 role ? _(role) : e.role);
        ui_raw(b, "<option value=\"");
        ui_text(b, path);
        ui_raw(b, chosen != NULL && strcmp(chosen, path) == 0 ? "\" selected>" : "\">");
        ui_text(b, label);
        ui_raw(b, "</option>");
    }
    sodium_memzero(&e, sizeof(e));
    return ok;
}

/* The enrollment files at the top of one drive. */
static int
scan_drive(struct ui_buf *b, const char *dir, const char *drive, const char *chosen)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[PATH_MAX];
    int n = 0, seen = 0;

    while (d != NULL && (de = readdir(d)) != NULL && seen++ < DRIVE_FILES_MAX) {
        if (de->d_name[0] == '.' ||
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
            continue;
        n += drive_file(b, path, de->d_name, drive, chosen);
    }
    if (d != NULL)
        closedir(d);
    return n;
}

/* The options of the enrollment files on the mounted drives (ui_drives()). */
static int
found_options(struct ui_buf *b, const char *chosen)
{
    struct ui_drive v[16];
    size_t n = ui_drives(v, sizeof(v) / sizeof(v[0]));
    int found = 0;

    for (size_t i = 0; i < n; i++)
        found += scan_drive(b, v[i].path, v[i].name, chosen);
    return found;
}

static void
heading(struct ui_buf *b, const char *text)
{
    ui_raw(b, "<h2>");
    ui_text(b, text);
    ui_raw(b, "</h2>\n");
}

static void
hidden_step(struct ui_buf *b, const char *step)
{
    ui_raw(b, "<input type=\"hidden\" name=\"step\" value=\"");
    ui_raw(b, step);
    ui_raw(b, "\">\n");
}

static void
step_init(struct ui_ctx *x, struct ui_buf *b, const struct typed *t)
{
    ui_raw(b, "<section id=\"init\">");
    heading(b, _("Step 1 of 2: the records of this computer"));
    ui_para(b, _("This computer has no records yet. cellsync makes a place for them, and a key "
                 "that tells this computer apart from the others."));
    ui_form_begin(x, b, "/setup");
    hidden_step(b, "init");
    ui_input(b, "org",
             _("The code of your cell, as the organisation committee gave it (you may leave it "
               "empty: the enrollment brings it)"),
             t->org, "text");
    /* The choice of `cellsync init --unencrypted-disk`, with what it means. */
    ui_para(b, _("The records must be on an encrypted disk, so that nobody who takes this "
                 "computer can read them. cellsync checks it. If the disk is not encrypted, ask "
                 "the district IT officer to install this computer with an encrypted disk."));
    ui_raw(b, "<p class=\"field check\"><label><input type=\"checkbox\" id=\"f-unencrypted\" "
              "name=\"unencrypted\" value=\"1\"");
    ui_raw(b, t->unencrypted[0] == '1' ? " checked> " : "> ");
    ui_text(b, _("The disk is not encrypted, and the district IT officer says the records may "
                 "stay on it anyway (Home will show a warning in red)"));
    ui_raw(b, "</label></p>\n");
    ui_form_end(b, _("Make the records"), NULL);
    ui_raw(b, "</section>\n");
}

static void
enroll_by_file(struct ui_ctx *x, struct ui_buf *b, const struct typed *t)
{
    struct ui_buf opts = {0};
    int n = found_options(&opts, t->found);

    heading(b, _("With the enrollment file"));
    ui_form_begin(x, b, "/setup");
    hidden_step(b, "file");
    if (n > 0) {
        ui_raw(b, "<p class=\"field\"><label for=\"f-found\">");
        ui_text(b, _("The enrollment file found on the USB stick"));
        ui_raw(b, "</label><select id=\"f-found\" name=\"found\"><option value=\"\"></option>");
        ui_raw_n(b, opts.p, opts.n);
        ui_raw(b, "</select></p>\n");
    } else {
        ui_para(b, _("No enrollment file was found on a USB stick. Plug in the stick that holds "
                     "it and open this page again, or type where the file is."));
    }
    b->oom |= opts.oom;
    ui_buf_free(&opts);
    ui_input(b, "file", _("Or where the file is (for example /media/stick/cell.enroll)"), t->file,
             "text");
    ui_form_end(b, _("Enroll with this file"), NULL);
}

static void
enroll_by_code(struct ui_ctx *x, struct ui_buf *b, const struct typed *t)
{
    heading(b, _("With a code"));
    ui_para(b, _("The hub's administrator reads out a code and the hub's address. This computer "
                 "must reach the hub over the network now."));
    ui_form_begin(x, b, "/setup");
    hidden_step(b, "code");
    ui_input(b, "hub", _("The hub's address (name or IP address, and :port if it is not 7461)"),
             t->hub, "text");
    ui_input(b, "code", _("The enrollment code (16 letters and digits, XXXX-XXXX-XXXX-XXXX)"),
             t->code, "text");
    ui_form_end(b, _("Enroll with this code"), NULL);
}

static void
step_enroll(struct ui_ctx *x, struct ui_buf *b, const struct typed *t)
{
    ui_raw(b, "<section id=\"enroll\">");
    heading(b, _("Step 2 of 2: enroll with the hub"));
    ui_para(b, _("Enrolling ties this computer to the hub of the organisation committee, so that "
                 "the records can be sent there. The committee gives a file (on a USB stick), or "
                 "a code read out over the phone with the hub's address."));
    enroll_by_file(x, b, t);
    enroll_by_code(x, b, t);
    heading(b, _("Later"));
    ui_para(b, _("Without enrollment this computer works on its own: you can add records now, "
                 "and enroll later from the Home page."));
    ui_raw(b, "<p><a class=\"button\" id=\"later\" href=\"/\">");
    ui_text(b, _("Enroll later: go to Home"));
    ui_raw(b, "</a></p></section>\n");
}

/* How the device is enrolled, what enrolling just did (r's done, n, late) and what comes next. */
static void
step_done(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b, const char *addr)
{
    char org[64] = "", role[16] = "", text[1024];
    const char *done = ui_arg(r, "done"), *n = ui_arg(r, "n"), *late = ui_arg(r, "late");
    unsigned long adopted = n != NULL ? strtoul(n, NULL, 10) : 0;

    meta_set(x->c, CS_META_ORG, org, sizeof(org));
    meta_set(x->c, CS_META_ROLE, role, sizeof(role));
    if (org[0] != 0 && role[0] != 0) {
        const char *label = cs_code_label("role", role);
        snprintf(text, sizeof(text),
                 _("This computer is enrolled with the hub at %s as unit %s (%s)."), addr, org,
                 label ? _(label) : role);
    } else {
        snprintf(text, sizeof(text), _("This computer is enrolled with the hub at %s."), addr);
    }
    if (done != NULL)
        ui_notice(b, text);
    else
        ui_para(b, text);
    if (done != NULL && adopted > 0) {
        snprintf(text, sizeof(text),
                 dngettext(CS_TEXT_DOMAIN,
                           "%lu record written before enrollment now belongs to unit %s.",
                           "%lu records written before enrollment now belong to unit %s.", adopted),
                 adopted, org);
        ui_para(b, text);
    }
    if (done != NULL && late != NULL) {
        client_enroll_expired(x->c, strtoll(late, NULL, 10), text, sizeof(text));
        ui_error(b, text);
    }
    ui_para(b, done != NULL && strcmp(done, "code") == 0
                   ? _("Next: sync with the hub on the Sync page; the hub then registers this "
                       "computer.")
                   : _("Next: sync with the hub on the Sync page if this computer can reach it; "
                       "if it cannot, save the changes to a USB stick there and carry it to the "
                       "hub."));
    ui_raw(b, "<p><a class=\"button\" id=\"home\" href=\"/\">");
    ui_text(b, _("Go to Home"));
    ui_raw(b, "</a> <a class=\"button\" id=\"sync\" href=\"/sync\">");
    ui_text(b, _("Go to Sync"));
    ui_raw(b, "</a></p>\n");
}

/* The page as it stands: the step the device is at. error: a refusal to show, or NULL. */
static int
setup_page(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b, const struct typed *t,
           const char *error, int status)
{
    char addr[128] = "";
    const char *done = ui_arg(r, "done");

    ui_begin(b, _("Setting up this computer"), x->c != NULL ? "/setup" : NULL);
    if (error != NULL)
        ui_error(b, error);
    if (x->c == NULL) {
        step_init(x, b, t);
    } else if (meta_set(x->c, CS_META_HUB_PK, addr, sizeof(addr)) &&
               meta_set(x->c, CS_META_HUB_ADDR, addr, sizeof(addr))) {
        step_done(x, r, b, addr);
    } else {
        if (error == NULL && done != NULL && strcmp(done, "init") == 0)
            ui_notice(b, _("The records of this computer are made. Now enroll it with the hub, "
                           "or later."));
        step_enroll(x, b, t);
    }
    ui_end(b);
    return status;
}

static int
setup_get(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct typed t = {0};
    return setup_page(x, r, b, &t, NULL, 200);
}

/* A refusal: what went wrong, and what to do. */
static int
refuse(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b, const struct typed *t,
       const char *what, const char *err, const char *todo)
{
    char text[2048];
    snprintf(text, sizeof(text), "%s %s. %s", what, err, todo);
    return setup_page(x, r, b, t, text, 422);
}

static int
post_init(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b, struct typed *t)
{
    char err[1024];
    struct cs_id site;
    char *org = t->org + strspn(t->org, " ");
    size_t n = strlen(org);

    if (x->c != NULL)
        return setup_get(x, r, b);
    while (n > 0 && org[n - 1] == ' ')
        org[--n] = 0;
    unsigned flags = t->unencrypted[0] == '1' ? CLIENT_INIT_UNENCRYPTED_DISK : 0;
    int ret = client_init(x->home, org[0] != 0 ? org : NULL, flags, &site, err, sizeof(err));
    if (ret == CS_EINVAL)
        return refuse(x, r, b, t, _("The records could not be made:"), err,
                      _("Ask the district IT officer to install this computer with an encrypted "
                        "disk. Only if the officer says the records may stay on this disk, tick "
                        "the box below and try again."));
    if (ret != 0)
        return refuse(x, r, b, t, _("The records could not be made:"), err,
                      _("Check that the disk is not full and that this user may write in the "
                        "data directory, then try again."));
    if (client_open(x->room) != 0)
        return refuse(x, r, b, t, _("The records were made but cannot be opened:"), x->home,
                      _("Stop 'cellsync ui' and start it again."));
    x->c = x->room;
    return ui_redirect(r, "/setup?done=init");
}

static int
post_enroll(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b, struct typed *t, int by_code)
{
    struct client_enrolled d;
    char err[1024] = "", hub[128];
    const char *file = t->file[0] != 0 ? t->file : t->found;
    const char *what = _("This computer could not be enrolled:");
    const char *todo =
        by_code ? _("Check the hub's address and the code with the hub's administrator, and "
                    "that this computer is connected to the network; or enroll with the file.")
                : _("Check that it is the enrollment file the hub's administrator made for this "
                    "computer, and that the USB stick is plugged in.");

    if (x->c == NULL)
        return setup_get(x, r, b);
    if (by_code && (t->hub[0] == 0 || t->code[0] == 0))
        return refuse(x, r, b, t, what, _("both the hub's address and the code are needed"),
                      _("Type the two that the hub's administrator gave."));
    if (!by_code && file[0] == 0)
        return refuse(x, r, b, t, what, _("no file was chosen"),
                      _("Choose the file found on the USB stick, or type where it is."));
    if (by_code && link_address(t->hub, hub, sizeof(hub), err, sizeof(err)) != 0)
        return refuse(x, r, b, t, what, err, todo);
    if (client_enroll(x->c, by_code ? NULL : file, by_code ? t->code : NULL, by_code ? hub : NULL,
                      NULL, &d, err, sizeof(err)) != 0)
        return refuse(x, r, b, t, what, err, todo);
    if (d.expired != 0)
        return ui_redirect(r, "/setup?done=%s&n=%zu&late=%" PRId64, by_code ? "code" : "file",
                           d.adopted, d.expired);
    return ui_redirect(r, "/setup?done=%s&n=%zu", by_code ? "code" : "file", d.adopted);
}

static int
setup_post(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    struct typed t = {0};
    char step[16] = "";

    ui_field(r, "step", step, sizeof(step));
    ui_field(r, "org", t.org, sizeof(t.org));
    ui_field(r, "found", t.found, sizeof(t.found));
    ui_field(r, "file", t.file, sizeof(t.file));
    ui_field(r, "hub", t.hub, sizeof(t.hub));
    ui_field(r, "code", t.code, sizeof(t.code));
    ui_field(r, "unencrypted", t.unencrypted, sizeof(t.unencrypted));
    if (strcmp(step, "init") == 0)
        return post_init(x, r, b, &t);
    if (strcmp(step, "file") == 0 || strcmp(step, "code") == 0)
        return post_enroll(x, r, b, &t, strcmp(step, "code") == 0);
    return setup_get(x, r, b);
}

const struct ui_route ui_routes_setup[] = {
    {"/setup", setup_get, setup_post},
    {NULL, NULL, NULL},
};
