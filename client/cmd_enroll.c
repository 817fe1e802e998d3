/* SPDX-License-Identifier: MIT */
/*
 * `cellsync enroll`: binds this device to its hub. From an enrollment file
 * (hub address, hub key, unit, role, one-time secret) nothing needs the
 * network. From a short code read over the phone, the code's check symbol
 * is checked first (a typo is caught before any network), then the device
 * asks the hub at --hub for its key and keeps it only if it matches the 5
 * bytes of key id inside the code. Until the hub has taken the device's key
 * enroll may be run again (a wrong or used code, a wrong hub); after that
 * it says how to move the laptop instead. Either way the device registers its own key with
 * the hub on its first sync (or first bundle), presenting the secret once.
 */
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
#include "cellsync/unit.h"
#include "cellsync/wire.h"
#include "client.h"
#include "link.h"

enum { OPT_CODE, OPT_HUB, OPT_NAME, OPT__COUNT };
static const struct cs_cli_opt enroll_opts[OPT__COUNT] = {
    [OPT_CODE] = {"code", 1, N_("the short code the hub's administrator read out")},
    [OPT_HUB] = {"hub", 1,
                 N_("the hub's address HOST[:PORT], port 7461 if none (needed with --code)")},
    [OPT_NAME] = {"name", 1, N_("a name for this device, shown at the hub")},
};

/* Asks the hub for its key (a one-byte request frame) and returns it. */
static int
fetch_hub_key(const char *addr, uint8_t pk[CS_PK_LEN], char *err, size_t errlen)
{
    struct link l = {.fd = -1, .timeout = 30};
    struct tally t = {0};
    uint8_t req = CS_WIRE_KEY_REQUEST, *frame;
    size_t flen;
    int ret;

    if ((ret = link_connect(&l, addr, err, errlen)) != 0 || (ret = link_queue(&l, &req, 1)) != 0 ||
        (ret = link_pump(&l, CS_WIRE_MAX_PREAUTH, 1, &frame, &flen, &t, err, errlen)) != 0)
        goto out;
    if (flen != 1 + CS_PK_LEN || frame[0] != CS_WIRE_KEY_REPLY) {
        ret = cs_errf(err, errlen, CS_EMALFORMED, _("'%s' did not answer as a cellsync hub"), addr);
        goto out;
    }
    memcpy(pk, frame + 1, CS_PK_LEN);
out:
    link_close(&l);
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

/* The enrollment from a code: the hub's key, fetched from hub and checked against the code. */
static int
enrollment_of_code(const char *code, const char *hub, struct cs_enrollment *e, char *err,
                   size_t errlen)
{
    uint8_t id5[CS_ENROLL_CODE_HUB];
    struct cs_id id;
    int ret;

    char why[256] = "";
    if (cs_enroll_code_parse(code, id5, e->secret, why, sizeof(why)) != 0)
        return cs_errf(err, errlen, CS_EINVAL, _("'%s' is not a valid enrollment code: %s"), code,
                       why);
    if ((ret = fetch_hub_key(hub, e->hub_pk, err, errlen)) != 0)
        return ret;
    cs_pk_id(e->hub_pk, &id);
    if (sodium_memcmp(id.b, id5, CS_ENROLL_CODE_HUB) != 0)
        return cs_errf(err, errlen, CS_EINVAL,
                       _("the hub at '%s' is not the one that made this code: its key does not "
                         "match; check the address and the code"),
                       hub);
    snprintf(e->addr, sizeof(e->addr), "%s", hub);
    return 0;
}

/* Keeps the enrollment in the replica's settings; the secret is wiped from memory. */
static int
enrollment_save(struct client *c, struct cs_enrollment *e, const char *hex, const char *name,
                char *err, size_t errlen)
{
    char secret[CS_ENROLL_SECRET_LEN * 2 + 1];
    int ret;

    sodium_bin2hex(secret, sizeof(secret), e->secret, sizeof(e->secret));
    if ((ret = cs_replica_meta_set(c->rep, CS_META_HUB_ADDR, e->addr)) != 0 ||
        (ret = cs_replica_meta_set(c->rep, CS_META_HUB_PK, hex)) != 0 ||
        (ret = cs_replica_meta_set(c->rep, CS_META_ENROLL_SECRET, secret)) != 0 ||
        (e->org[0] && (ret = cs_replica_meta_set(c->rep, CS_META_ORG, e->org)) != 0) ||
        (e->role[0] && (ret = cs_replica_meta_set(c->rep, CS_META_ROLE, e->role)) != 0) ||
        ((name || e->name[0]) &&
         (ret = cs_replica_meta_set(c->rep, CS_META_DEVICE_NAME, name ? name : e->name)) != 0))
        cs_errf(err, errlen, ret, _("cannot save the enrollment: %s"), cs_strerror(ret));
    sodium_memzero(secret, sizeof(secret));
    sodium_memzero(e->secret, sizeof(e->secret));
    return ret;
}

int
client_enroll(struct client *c, const char *file, const char *code, const char *hub,
              const char *name, struct client_enrolled *out, char *err, size_t errlen)
{
    struct cs_enrollment e = {0};
    char hex[CS_PK_LEN * 2 + 1], prev[CS_PK_LEN * 2 + 1] = "";
    int ret;

    memset(out, 0, sizeof(*out));
    if (code != NULL)
        ret = enrollment_of_code(code, hub, &e, err, errlen);
    else if ((ret = cs_enrollment_read(file, &e, err, errlen)) == 0 && hub != NULL)
        snprintf(e.addr, sizeof(e.addr), "%s", hub);
    if (ret != 0)
        goto out;
    sodium_bin2hex(hex, sizeof(hex), e.hub_pk, CS_PK_LEN);
    /*
     * Accepted once, a device belongs to its hub. Until the hub has taken
     * its key (the secret is still here) it may take a new enrollment, from
     * the same hub or another: the first may have been wrong, used, expired
     * or for the wrong hub, and nothing of this device reached a hub yet.
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
    /*
     * The hub judges expiry, by its own clock, when the device first
     * presents the secret: this computer's clock may be wrong, and a device
     * that refused here could never enroll. It only warns.
     */
    if (e.expires != 0 && e.expires < (int64_t)(cs_replica_wall_ms(c->rep) / 1000))
        out->expired = e.expires;
    if ((ret = enrollment_save(c, &e, hex, name, err, errlen)) != 0)
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
