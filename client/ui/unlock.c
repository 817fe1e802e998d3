/* SPDX-License-Identifier: MIT */
/*
 * The unlock page of `cellsync ui` (ui.h): when this device's key is sealed
 * with a passphrase (`cellsync key passphrase`), every address shows this
 * page until the passphrase is typed, once per run (server.c). It is checked
 * by opening the key as a sync opens it, and only a passphrase that opens it
 * is kept (client_pass_keep()), in guarded memory, for the syncs and USB
 * sticks of the rest of the run. Nothing on the terminal is asked.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/key.h"
#include "client.h"
#include "ui.h"

int
ui_locked(struct ui_ctx *x)
{
    char path[PATH_MAX + 32], err[256];

    if (x->c == NULL || client_pass_kept())
        return 0;
    snprintf(path, sizeof(path), "%s/%s", x->home, CLIENT_KEY);
    return cs_key_file_sealed(path, err, sizeof(err)) == 1;
}

static int
unlock_page(struct ui_ctx *x, struct ui_buf *b, const char *error, int status)
{
    ui_begin(b, _("The passphrase of this computer"), NULL);
    if (error != NULL)
        ui_error(b, error);
    ui_para(b, _("The key of this computer is locked with a passphrase, so that nobody who takes "
                 "it can send records in your name. Type the passphrase once; it is kept until "
                 "cellsync is closed."));
    ui_form_begin(x, b, "/unlock");
    ui_input(b, "passphrase", _("Passphrase"), "", "password");
    ui_form_end(b, _("Unlock"), NULL);
    ui_end(b);
    return status;
}

static int
unlock_get(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    (void)r;
    if (!ui_locked(x))
        return ui_redirect(r, "/");
    return unlock_page(x, b, NULL, 200);
}

/* The typed passphrase, given to the key's loader. */
struct typed_pass {
    const char *p;
    size_t len;
};

static int
typed_get(void *ud, char *buf, size_t cap, size_t *len, char *err, size_t errlen)
{
    const struct typed_pass *t = ud;
    (void)err;
    (void)errlen;
    *len = t->len < cap ? t->len : cap;
    memcpy(buf, t->p, *len);
    return 0;
}

static int
unlock_post(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b)
{
    char path[PATH_MAX + 32], err[512], text[1024];
    char *pass = sodium_malloc(CS_KEY_PASS_MAX + 1);
    struct cs_key *k = NULL;
    int status;

    if (!ui_locked(x)) {
        sodium_free(pass);
        return ui_redirect(r, "/");
    }
    if (pass == NULL)
        return unlock_page(x, b, cs_strerror(CS_ENOMEM), 500);
    ui_field(r, "passphrase", pass, CS_KEY_PASS_MAX + 1);
    struct typed_pass t = {pass, strlen(pass)};
    struct cs_key_pass src = {typed_get, &t};
    snprintf(path, sizeof(path), "%s/%s", x->home, CLIENT_KEY);
    if (cs_key_load_pass(&k, path, &src, err, sizeof(err)) != 0) {
        snprintf(text, sizeof(text), "%s. %s", err,
                 _("Type it again; if it is lost, ask the district IT officer"));
        status = unlock_page(x, b, text, 422);
    } else if (client_pass_keep(pass, t.len) != 0) {
        status = unlock_page(x, b, cs_strerror(CS_ENOMEM), 500);
    } else {
        status = ui_redirect(r, "/");
    }
    cs_key_free(k);
    sodium_free(pass);
    return status;
}

const struct ui_route ui_routes_unlock[] = {
    {"/unlock", unlock_get, unlock_post},
    {NULL, NULL, NULL},
};
