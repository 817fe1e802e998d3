/* SPDX-License-Identifier: MIT */
/*
 * `cellsync enroll`: binds this device to its hub. From an enrollment file
 * (hub address, hub key, unit, role, one-time secret) nothing needs the
 * network. From a short code read over the phone, the code's check symbol
 * is checked first (a typo is caught before any network), then the device
 * and the hub at --hub run CPace over the code (cellsync/pake.h): the hub
 * proves it holds the code and sends its key and the enrollment under the
 * run's key. Until the hub has taken the device's key
 * enroll may be run again (a wrong or used code, a wrong hub); after that
 * it says how to move the laptop instead. Either way the device registers its own key with
 * the hub on its first sync (or first bundle), presenting the secret once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cellsync/codes.h"
#include "cellsync/date.h"
#include "cellsync/enroll.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "cellsync/pake.h"
#include "cellsync/unit.h"
#include "cellsync/wire.h"
#include "client.h"
#include "device.h"
#include "link.h"

enum { OPT_CODE, OPT_HUB, OPT_NAME, OPT__COUNT };
static const struct cs_cli_opt enroll_opts[OPT__COUNT] = {
    [OPT_CODE] = {"code", 1, N_("the short code the hub's administrator read out")},
    [OPT_HUB] = {"hub", 1,
                 N_("the hub's address HOST[:PORT], port 7461 if none (needed with --code)")},
    [OPT_NAME] = {"name", 1, N_("a name for this device, shown at the hub")},
};

/*
 * The hub's next frame of a run (cellsync/pake.h) in *frame: 0, or the
 * hub's refusal, a version reply or a hang-up said as such.
 */
static int
pake_read(struct link *l, const char *addr, uint8_t **frame, size_t *flen, struct tally *t,
          char *err, size_t errlen)
{
    enum cs_pake_refusal why;
    unsigned wait_s;
    int ret = link_pump(l, CS_WIRE_MAX_PREAUTH, 1, frame, flen, t, err, errlen);
    if (ret == -EPIPE || ret == -ECONNRESET)
        return cs_errf(err, errlen, ret,
                       _("the link to the hub at '%s' dropped during the enrollment; try again"),
                       addr);
    if (ret != 0)
        return ret;
    if (*flen == 2 && (*frame)[0] == CS_WIRE_VERSION_REPLY)
        return cs_errf(err, errlen, CS_EVERSION,
                       _("the hub speaks protocol version %u, this program version %u: update "
                         "the older one"),
                       (*frame)[1], CS_WIRE_VERSION);
    /* A full hub, or this address over its limits, says so before any run (wire.h). */
    if (cs_hs_busy_read(*frame, *flen, &wait_s) == 1)
        return cs_errf(err, errlen, CS_EBUSY, _("the hub at '%s' is busy: try again in %u s"), addr,
                       wait_s);
    if (cs_pake_refusal_read(*frame, *flen, &why, &wait_s) != 0)
        return 0;
    switch (why) {
    case CS_PAKE_NO_CODE:
        return cs_errf(err, errlen, CS_ENOTFOUND,
                       _("the hub at '%s' has no open enrollment with this code: it was used or "
                         "has expired, or another hub made it; check the hub's address, or ask "
                         "the hub's administrator for a new code"),
                       addr);
    case CS_PAKE_LOCKED:
        return cs_errf(err, errlen, CS_EINVAL,
                       _("this enrollment code is locked after too many wrong tries: ask the "
                         "hub's administrator for a new one"));
    case CS_PAKE_WAIT:
        return cs_errf(err, errlen, CS_EINVAL,
                       _("too many wrong enrollment codes from this address: try again in %u s"),
                       wait_s);
    }
    return cs_errf(err, errlen, CS_EINVAL, _("the hub at '%s' refused the enrollment"), addr);
}

/*
 * The enrollment from a code: CPace with the hub at hub over the code
 * (cellsync/pake.h). The code never travels; the hub proves it holds the
 * code before the laptop takes its key and enrollment, and the laptop
 * proves it in turn. A party without the code (a mistyped code the check
 * symbol missed, or someone on the network playing the hub) gets nothing,
 * and nothing is sent to it.
 */
static int
enrollment_of_code(const char *code, const char *hub, struct cs_enrollment *e, char *err,
                   size_t errlen)
{
    uint8_t secret[CS_ENROLL_SECRET_LEN], start[CS_PAKE_START_LEN], share[CS_PAKE_SHARE_LEN];
    uint8_t confirm[CS_PAKE_CONFIRM_LEN], *frame;
    struct link l = {.fd = -1, .timeout = 30};
    struct tally t = {0};
    struct cs_pake *p = NULL;
    size_t flen;
    int ret;

    char why[256] = "";
    if (cs_enroll_code_parse(code, secret, why, sizeof(why)) != 0)
        return cs_errf(err, errlen, CS_EINVAL, _("'%s' is not a valid enrollment code: %s"), code,
                       why);
    if ((p = sodium_malloc(sizeof(*p))) == NULL) {
        ret = cs_errf(err, errlen, CS_ENOMEM, _("out of memory"));
        goto out;
    }
    if ((ret = cs_pake_dev_start(p, secret, start)) != 0 ||
        (ret = link_connect(&l, hub, err, errlen)) != 0 ||
        (ret = link_queue(&l, start, sizeof(start))) != 0 ||
        (ret = pake_read(&l, hub, &frame, &flen, &t, err, errlen)) != 0)
        goto out;
    if (cs_pake_dev_share(p, frame, flen, share) != 0) {
        ret = cs_errf(err, errlen, CS_EMALFORMED, _("'%s' did not answer as a cellsync hub"), hub);
        goto out;
    }
    link_consume(&l, flen);
    if ((ret = link_queue(&l, share, sizeof(share))) != 0 ||
        (ret = pake_read(&l, hub, &frame, &flen, &t, err, errlen)) != 0)
        goto out;
    ret = cs_pake_dev_finish(p, frame, flen, e, confirm);
    link_consume(&l, flen);
    if (ret == CS_EDECRYPT) {
        ret = cs_errf(err, errlen, ret,
                      _("the hub at '%s' could not prove that it made this code, so nothing was "
                        "sent to it: the code may be wrong in a way its check letter cannot "
                        "catch, or something on the network is pretending to be the hub; check "
                        "the code and the address with the hub's administrator"),
                      hub);
        goto out;
    }
    if (ret != 0) {
        ret = cs_errf(err, errlen, ret, _("'%s' did not answer as a cellsync hub"), hub);
        goto out;
    }
    /* The hub counts the run as a wrong guess until this arrives; it is sent before we go on. */
    if ((ret = link_queue(&l, confirm, sizeof(confirm))) != 0 ||
        (ret = link_pump(&l, CS_WIRE_MAX_PREAUTH, 0, &frame, &flen, &t, err, errlen)) != 0)
        goto out;
    snprintf(e->addr, sizeof(e->addr), "%s", hub);
out:
    link_close(&l);
    if (p != NULL) {
        cs_pake_wipe(p);
        sodium_free(p);
    }
    sodium_memzero(secret, sizeof(secret));
    return ret;
}

/* Whether the hub has not yet taken this device's key: the one-time secret is still here. */
static int
unregistered(struct client *c)
{
    char secret[CS_ENROLL_SECRET_LEN * 2 + 1] = "";
    int ret = cs_replica_meta_get(c->rep, CS_META_ENROLL_SECRET, secret, sizeof(secret)) == 0 &&
              secret[0] != 0;
    sodium_memzero(secret, sizeof(secret));
    return ret;
}

void
client_enroll_expired(struct client *c, int64_t expires, char *buf, size_t len)
{
    char until[CS_DATE_BUFSZ] = "", now[CS_DATE_BUFSZ] = "";
    time_t t = (time_t)expires, n = (time_t)(cs_replica_wall_ms(c->rep) / 1000);
    struct tm tm;
    if (localtime_r(&t, &tm) != NULL)
        strftime(until, sizeof(until), "%d/%m/%Y", &tm);
    if (localtime_r(&n, &tm) != NULL)
        strftime(now, sizeof(now), "%d/%m/%Y", &tm);
    snprintf(buf, len,
             _("this enrollment was valid until %s, and this computer's clock says it is %s: if "
               "that date is wrong, set the computer's date and time (the hub checks the "
               "enrollment by its own clock at the first sync); if it is right, ask the hub's "
               "administrator for a new enrollment"),
             until, now);
}

int
client_enroll(struct client *c, const char *file, const char *code, const char *hub,
              const char *name, struct client_enrolled *out, char *err, size_t errlen)
{
    struct cs_enrollment e = {0};
    char hex[CS_PK_LEN * 2 + 1], prev[CS_PK_LEN * 2 + 1] = "";
    int ret;

    memset(out, 0, sizeof(*out));
    /*
     * Accepted once, a device belongs to its hub. Until the hub has taken
     * its key (the secret is still here) it may take a new enrollment, from
     * the same hub or another: the first may have been wrong, used, expired
     * or for the wrong hub, and nothing of this device reached a hub yet.
     * Said before any network: a code is not tried for nothing.
     */
    if (cs_replica_meta_get(c->rep, CS_META_HUB_PK, prev, sizeof(prev)) == 0 && prev[0] != 0 &&
        !unregistered(c)) {
        ret = cs_errf(err, errlen, CS_EEXISTS,
                      _("this device is already enrolled, and its hub has accepted it; its "
                        "records belong to that hub. To move this laptop to another unit, ask "
                        "the hub's administrator to revoke it ('cellsyncd revoke') and to make a "
                        "new enrollment, then enroll again with a new data directory (set "
                        "CELLSYNC_HOME to an empty directory, or move the old one away)"));
        goto out;
    }
    if (code != NULL)
        ret = enrollment_of_code(code, hub, &e, err, errlen);
    else if ((ret = cs_enrollment_read(file, &e, err, errlen)) == 0 && hub != NULL)
        snprintf(e.addr, sizeof(e.addr), "%s", hub);
    if (ret != 0)
        goto out;
    sodium_bin2hex(hex, sizeof(hex), e.hub_pk, CS_PK_LEN);
    /*
     * The hub judges expiry, by its own clock, when the device first
     * presents the secret: this computer's clock may be wrong, and a device
     * that refused here could never enroll. It only warns.
     */
    if (e.expires != 0 && e.expires < (int64_t)(cs_replica_wall_ms(c->rep) / 1000))
        out->expired = e.expires;
    if ((ret = device_enroll_save(c->rep, &e, hex, name, err, errlen)) != 0)
        goto out;
    /* Records written before the unit was known take it now (by code: at the first sync). */
    if ((ret = cs_unit_adopt(c->rep, &out->adopted, err, errlen)) != 0)
        goto out;
    snprintf(out->addr, sizeof(out->addr), "%s", e.addr);
    snprintf(out->org, sizeof(out->org), "%s", e.org);
    snprintf(out->role, sizeof(out->role), "%s", e.role);
out:
    sodium_memzero(&e, sizeof(e));
    return ret;
}

/* What enroll did and what comes next, as lines. */
static void
enroll_print(struct client *c, const struct client_enrolled *d, int by_code)
{
    char warn[1024];

    if (d->expired != 0) {
        client_enroll_expired(c, d->expired, warn, sizeof(warn));
        fprintf(stderr, "cellsync: %s\n", warn);
    }
    if (d->org[0]) {
        const char *role = cs_code_label("role", d->role);
        printf(_("enrolled with the hub at %s as unit %s (%s)\n"), d->addr, d->org,
               role ? role : d->role);
    } else {
        printf(_("enrolled with the hub at %s\n"), d->addr);
    }
    if (d->adopted > 0)
        printf(dngettext(
                   CS_TEXT_DOMAIN, "%zu record written before enrollment now belongs to unit %s\n",
                   "%zu records written before enrollment now belong to unit %s\n", d->adopted),
               d->adopted, d->org);
    /* What comes next depends on the way: a code came over the network, a file may not have. */
    if (by_code)
        printf("%s\n", _("next: run 'cellsync sync' to register this device with the hub"));
    else
        printf(_("next: run 'cellsync sync' if this computer can reach the hub at %s; if it "
                 "cannot, run 'cellsync bundle export FILE' and carry the file to the hub on a "
                 "USB stick\n"),
               d->addr);
}

static int
enroll_run(struct client *c, const struct verb_args *a)
{
    struct client_enrolled done;
    char err[1024] = "";
    const char *code = a->ov[OPT_CODE], *hub = a->ov[OPT_HUB], *name = a->ov[OPT_NAME];
    char hubaddr[sizeof(done.addr)];

    /* Kept as HOST:PORT, the usual port filled in: the stored address is what sync dials. */
    if (hub != NULL) {
        if (link_address(hub, hubaddr, sizeof(hubaddr), err, sizeof(err)) != 0)
            return client_usage(_("enroll: --hub: %s"), err);
        hub = hubaddr;
    }

    if ((code == NULL) == (a->argc == 0))
        return client_usage(_("enroll: give an enrollment FILE or --code CODE, one of them"));
    if (code != NULL && hub == NULL)
        return client_usage(_("enroll: --code needs --hub HOST[:PORT]"));
    if (client_enroll(c, code != NULL ? NULL : a->argv[0], code, hub, name, &done, err,
                      sizeof(err)) != 0)
        return client_fail("%s", err);
    enroll_print(c, &done, code != NULL);
    return CS_EXIT_OK;
}

static const struct verb enroll_verb = {
    NULL,        enroll_run, NULL,
    enroll_opts, OPT__COUNT, "[FILE]",
    0,           1,          N_("enroll this device with its hub"),
};

int
cmd_enroll(int argc, char **argv)
{
    return run_verb("enroll", &enroll_verb, argc, argv);
}
