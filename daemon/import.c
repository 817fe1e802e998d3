/* SPDX-License-Identifier: MIT */
/*
 * Importing one USB-stick bundle at the hub (see import.h). Two passes over
 * the file: the first verifies every entry and stores nothing, so a bundle
 * cut short or altered anywhere is refused whole, and it decides on the
 * signer (hub_admit_check: enrolled and not revoked, or holding an open
 * enrollment) from the hello before it opens any chunk, so a stranger's file
 * costs no decryption or decompression (security review F9); the second admits the
 * device and merges, exactly as a live session does. The reply is written
 * last, when the cursor it reports is durable.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cellsync/bundle.h"
#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/util.h"
#include "import.h"
#include "peer.h"

/* Refusal envelopes wait for the welcome, which must come first in the reply. */
struct envs {
    uint8_t **env;
    size_t *len;
    size_t n, capenv, caplen;
};

static void
envs_free(struct envs *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->env[i]);
    free(e->env);
    free(e->len);
    memset(e, 0, sizeof(*e));
}

static int
envs_push(struct envs *e, uint8_t *env, size_t len)
{
    if (cs_grow((void **)&e->env, &e->capenv, e->n + 1, sizeof(*e->env), 8) != 0 ||
        cs_grow((void **)&e->len, &e->caplen, e->n + 1, sizeof(*e->len), 8) != 0)
        return CS_ENOMEM;
    e->env[e->n] = env;
    e->len[e->n++] = len;
    return 0;
}

/* A refusal of the bundle: its own fault, reported with the file's name. */
static int refuse(struct hub_import *res, int code, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
refuse(struct hub_import *res, int code, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    res->refused = 1;
    if (err != NULL && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* Pass one: the hello and every chunk verified, nothing stored. */
static int
check(struct hub *h, const struct cs_key *k, const char *path, struct cs_bundle_reader *b,
      struct cs_hello *hello, uint8_t pk[CS_PK_LEN], struct hub_import *res, char *err,
      size_t errlen)
{
    const uint8_t *env;
    size_t len;
    uint32_t ix;
    char why[512];
    int ret;

    if (cs_bundle_reader_flags(b) & CS_BUNDLE_F_REPLY)
        return refuse(res, CS_EINVAL, err, errlen,
                      _("'%s' is a reply for a device: import it there with 'cellsync bundle "
                        "import'"),
                      path);
    while ((ret = cs_bundle_reader_next(b, &env, &len, &ix, why, sizeof(why))) == 1) {
        int control = cs_bundle_entry_is_control(env, len);
        if (control < 0)
            return refuse(res, control, err, errlen, _("'%s' is damaged: %s"), path,
                          cs_strerror(control));
        if (ix == 0) {
            if (control != 1)
                return refuse(res, CS_EMALFORMED, err, errlen,
                              _("'%s' is damaged: it does not start with a hello"), path);
            ret = cs_bundle_open_hello(k, env, len, hello, pk);
            if (ret == CS_ERECIPIENT)
                return refuse(res, ret, err, errlen,
                              _("'%s' is addressed to another hub: this hub's key differs"), path);
            if (ret != 0)
                return refuse(res, ret, err, errlen, _("'%s' is damaged: %s"), path,
                              cs_strerror(ret));
            struct cs_id id;
            cs_pk_id(pk, &id);
            cs_id_short(&id, res->device);
            char msg[sizeof(((struct cs_welcome *)0)->message)];
            int status = hub_admit_check(h, pk, hello, msg, sizeof(msg));
            if (status == CS_WELCOME_BUSY)
                return cs_errf(err, errlen, CS_EBUSY, _("cannot import '%s': %s"), path, msg);
            if (status != CS_WELCOME_OK)
                return refuse(res, CS_EINVAL, err, errlen, _("'%s': device %s refused: %s"), path,
                              res->device, msg);
            continue;
        }
        /* A device's bundle holds its hello and its chunks, nothing else. */
        if (control == 1)
            return refuse(res, CS_EMALFORMED, err, errlen,
                          _("'%s' is damaged: entry %u is not a chunk"), path, (unsigned)ix);
        if ((ret = cs_sync_check_chunk(k, pk, env, len, NULL, why, sizeof(why))) != 0)
            return refuse(res, ret, err, errlen, _("'%s' is damaged: %s"), path, why);
        res->chunks++;
    }
    /* Entries are sealed to this hub (bundle.h): the first that does not open says whose it is. */
    if (ret == CS_EDECRYPT && res->chunks == 0 && res->device[0] == 0)
        return refuse(res, ret, err, errlen,
                      _("'%s' is addressed to another hub, or damaged: this hub cannot open it"),
                      path);
    if (ret == CS_EDECRYPT)
        return refuse(res, ret, err, errlen, _("'%s' is damaged: entry %u cannot be opened"), path,
                      (unsigned)res->chunks + 1);
    if (ret < 0)
        return refuse(res, ret, err, errlen, "%s", why);
    return 0;
}

/* Pass two: the device's chunks the hub has not merged yet. */
/* A REFUSED message sealed for the device, for the reply. */
static int
push_refusals(struct hub *h, struct hub_peer *p, const struct cs_msg *r, struct envs *refusals,
              char *err, size_t errlen)
{
    uint8_t *msg = NULL, *renv = NULL;
    size_t mlen = 0, rlen = 0;
    int ret;
    if ((ret = cs_msg_encode(r, &msg, &mlen)) == 0 &&
        (ret = cs_bundle_seal_control(hub_key(h), p->dev.pk, CS_BUNDLE_REFUSED, msg, mlen, &renv,
                                      &rlen)) == 0 &&
        (ret = envs_push(refusals, renv, rlen)) == 0)
        renv = NULL;
    free(msg);
    free(renv);
    if (ret != 0)
        return cs_errf(err, errlen, ret, _("cannot keep the refusals for the reply: %s"),
                       cs_strerror(ret));
    return 0;
}

static int
merge(struct hub *h, struct cs_bundle_reader *b, struct hub_peer *p, struct envs *refusals,
      struct hub_import *res, char *err, size_t errlen)
{
    const uint8_t *env;
    size_t len;
    uint32_t ix;
    int ret;

    if ((ret = cs_bundle_reader_rewind(b, err, errlen)) != 0)
        return ret;
    while ((ret = cs_bundle_reader_next(b, &env, &len, &ix, err, errlen)) == 1) {
        struct cs_envelope_info info;
        struct hub_merge m;
        if (ix == 0)
            continue;
        /*
         * Merged before, by an earlier stick or a live sync: merging it again
         * would change nothing but would log its refusals twice.
         */
        if (cs_envelope_peek(env, len, &info) == 0 && info.seq_last <= p->dev.up_seq) {
            res->old_chunks++;
            continue;
        }
        if ((ret = hub_peer_merge(h, p, env, len, 0, &m, err, errlen)) != 0)
            return ret;
        res->applied += m.st.applied;
        res->duplicates += m.st.duplicates;
        res->conflicts += m.st.conflicts;
        res->refused_changes += m.nrefused;
        if (m.nrefused > 0) {
            struct cs_msg r = {.type = CS_MSG_REFUSED,
                               .seq_first = info.seq_first,
                               .seq_last = m.seq_last,
                               .refused = m.refused,
                               .nrefused = m.nrefused};
            if ((ret = push_refusals(h, p, &r, refusals, err, errlen)) != 0) {
                hub_merge_release(&m);
                return ret;
            }
        }
        hub_merge_release(&m);
    }
    return ret < 0 ? ret : 0;
}

/*
 * The reply: welcome, refusals, then the device's scope after what it has.
 * The welcome is the admission's (its incarnation and down cursor) with the
 * time and the device's cursor as they are now.
 */
static int
reply(struct hub *h, struct hub_peer *p, const struct cs_welcome *admitted,
      const struct envs *refusals, const struct cs_key *k, struct hub_import *res, char *err,
      size_t errlen)
{
    struct cs_bundle_writer *w = NULL;
    struct cs_welcome wel = {.status = CS_WELCOME_OK};
    uint8_t *env = NULL;
    size_t envlen = 0;
    int ret;

    memcpy(wel.incarnation, admitted->incarnation, sizeof(wel.incarnation));
    wel.has_incarnation = admitted->has_incarnation;
    wel.down_seq = p->down_after;
    wel.hub_time = cs_replica_now(hub_replica(h));
    wel.up_seq = p->dev.up_seq;
    snprintf(wel.org, sizeof(wel.org), "%s", p->dev.org);
    snprintf(wel.role, sizeof(wel.role), "%s", p->dev.role);
    if ((ret = cs_bundle_writer_new(&w, res->reply, CS_BUNDLE_F_REPLY, p->dev.pk, err, errlen)) !=
        0)
        return ret;
    /* Sealed to a retired key: the chain to the current one first (bundle.h). */
    if (k != hub_key(h)) {
        uint8_t *chain = NULL;
        size_t clen = 0;
        if ((ret = hub_rotation_chain(h, cs_key_pk(k), &chain, &clen)) == 0)
            ret = cs_bundle_seal_control(hub_key(h), p->dev.pk, CS_BUNDLE_ROTATION, chain, clen,
                                         &env, &envlen);
        free(chain);
        if (ret == 0)
            ret = cs_bundle_writer_add(w, env, envlen, err, errlen);
        else
            cs_errf(err, errlen, ret, _("cannot seal the key rotation: %s"), cs_strerror(ret));
        free(env);
        env = NULL;
        if (ret != 0)
            goto out;
        res->rotation = 1;
    }
    if ((ret = cs_bundle_seal_welcome(hub_key(h), p->dev.pk, &wel, &env, &envlen)) != 0) {
        cs_errf(err, errlen, ret, _("cannot seal the welcome: %s"), cs_strerror(ret));
        goto out;
    }
    if ((ret = cs_bundle_writer_add(w, env, envlen, err, errlen)) != 0)
        goto out;
    for (size_t i = 0; i < refusals->n; i++)
        if ((ret = cs_bundle_writer_add(w, refusals->env[i], refusals->len[i], err, errlen)) != 0)
            goto out;
    for (;;) {
        struct cs_chunk ch;
        if ((ret = hub_peer_next_chunk(h, p, 0, &ch, err, errlen)) != 0)
            goto out;
        /* An empty last chunk still carries the device's cursor past what held nothing for it. */
        if (ch.seq_last > p->down_after) {
            ret = cs_bundle_writer_add(w, ch.env, ch.envlen, err, errlen);
            p->down_after = ch.seq_last;
            res->down_chunks++;
            res->down_changes += ch.changes;
        }
        free(ch.env);
        if (ret != 0)
            goto out;
        if (ch.last)
            break;
    }
    ret = cs_bundle_writer_commit(w, err, errlen);
    w = NULL;
out:
    free(env);
    cs_bundle_writer_free(w);
    return ret;
}

int
hub_import(struct hub *h, const char *path, const char *reply_dir, const char *reply_name,
           struct hub_import *res, char *err, size_t errlen)
{
    struct cs_bundle_reader *b = NULL;
    struct cs_hello hello;
    struct cs_welcome wel;
    struct hub_peer p;
    struct envs refusals = {0};
    uint8_t pk[CS_PK_LEN];
    int ret, admitted = 0;

    memset(res, 0, sizeof(*res));
    memset(&hello, 0, sizeof(hello));
    memset(&p, 0, sizeof(p));
    /*
     * Sealed to the key the device pins: the current one, or a retired one
     * kept (keys.c), found by the first entry that opens. With none, the
     * current key's reader says what is wrong.
     */
    const struct cs_key *keys[1 + HUB_OLD_MAX], *k = hub_key(h);
    size_t nkeys = hub_keys(h, keys, 1 + HUB_OLD_MAX);
    for (size_t i = nkeys; i-- > 0;) {
        const uint8_t *env;
        size_t len;
        cs_bundle_reader_free(b);
        b = NULL;
        if ((ret = cs_bundle_reader_new(&b, path, keys[i], err, errlen)) != 0)
            break;
        if (i == 0 || cs_bundle_reader_next(b, &env, &len, NULL, err, errlen) == 1) {
            k = keys[i];
            ret = cs_bundle_reader_rewind(b, err, errlen);
            break;
        }
    }
    if (ret != 0) {
        /* The file itself is bad (cut short, of a future format, too big), or cannot be read. */
        res->refused = cs_err_is_ours(ret);
        goto out;
    }
    if ((ret = check(h, k, path, b, &hello, pk, res, err, errlen)) != 0)
        goto out;

    /* Its signature is checked (check): the device holds its key, the admission takes effect. */
    int status = hub_peer_admit(h, pk, &hello, &p, &wel);
    if (status == CS_WELCOME_OK)
        status = hub_peer_commit(h, &p, wel.message, sizeof(wel.message));
    sodium_memzero(&hello.secret, sizeof(hello.secret));
    if (status != CS_WELCOME_OK) {
        hub_peer_release(&p);
        if (status == CS_WELCOME_BUSY) {
            ret = cs_errf(err, errlen, CS_EBUSY, _("cannot import '%s': %s"), path, wel.message);
            goto out;
        }
        ret = refuse(res, CS_EINVAL, err, errlen, _("'%s': device %s refused: %s"), path,
                     res->device, wel.message);
        goto out;
    }
    admitted = 1;
    /* A bundle's hello is signed by the device key: it is a contact (the live one waits, wire.h).
     */
    hub_device_touch(h, &p.dev.id, (int64_t)time(NULL));
    if ((ret = hub_device_set_pin(h, &p.dev.id, cs_key_pk(k))) != 0) {
        cs_errf(err, errlen, ret, _("cannot import '%s': %s"), path, cs_strerror(ret));
        goto out;
    }
    snprintf(res->org, sizeof(res->org), "%s", p.dev.org);
    snprintf(res->name, sizeof(res->name), "%s", p.dev.name);
    if (p.restored)
        snprintf(res->restored, sizeof(res->restored), "%s", p.restored_log);

    /*
     * Writes refused for the clock at an earlier import or sync that the
     * device has not issued again (its reply may have been lost): told again.
     */
    struct cs_refusal *open = NULL;
    size_t nopen = 0;
    if (hub_open_clock_refusals(h, &p.dev, &open, &nopen) == 0 && nopen > 0) {
        struct cs_msg r = {.type = CS_MSG_REFUSED, .refused = open, .nrefused = nopen};
        ret = push_refusals(h, &p, &r, &refusals, err, errlen);
    }
    free(open);
    if (ret != 0 || (ret = merge(h, b, &p, &refusals, res, err, errlen)) != 0)
        goto out;
    /*
     * What the device has applied, as it said when it wrote the bundle (in
     * the hub's numbering: counted in another incarnation, what both share).
     */
    if (p.down_after > p.dev.down_seq &&
        (ret = hub_device_set_down_seq(h, &p.dev.id, p.down_after)) != 0) {
        cs_errf(err, errlen, ret, _("cannot import '%s': %s"), path, cs_strerror(ret));
        goto out;
    }

    char dir[PATH_MAX];
    if (reply_dir == NULL) {
        const char *slash = strrchr(path, '/');
        snprintf(dir, sizeof(dir), "%.*s",
                 slash == NULL ? 1 : (int)(slash - path + (slash == path)),
                 slash == NULL ? "." : path);
        reply_dir = dir;
    }
    /*
     * Named so a person sorting a stick of many cells tells the replies
     * apart (the unit and the device's name, without marks), and the device
     * still finds its own by the short id at the end.
     */
    char named[CS_BUNDLE_REPLY_LABEL + 64], folded[sizeof(p.dev.name) * 2];
    if (reply_name == NULL) {
        cs_text_fold(p.dev.name, strlen(p.dev.name), CS_FOLD_MARKS, folded, sizeof(folded));
        if (cs_bundle_reply_name(p.dev.org, folded, &p.dev.id, named, sizeof(named)) != 0)
            snprintf(named, sizeof(named), "%s%s", res->device, CS_BUNDLE_REPLY_SUFFIX);
        reply_name = named;
    }
    int n = snprintf(res->reply, sizeof(res->reply), "%s/%s", reply_dir, reply_name);
    if (n < 0 || (size_t)n >= sizeof(res->reply)) {
        ret = cs_errf(err, errlen, CS_EINVAL, _("cannot write the reply to '%s': path too long"),
                      reply_dir);
        goto out;
    }
    if ((ret = reply(h, &p, &wel, &refusals, k, res, err, errlen)) != 0)
        res->reply[0] = 0;
out:
    if (admitted)
        hub_peer_release(&p);
    sodium_memzero(&hello, sizeof(hello));
    envs_free(&refusals);
    cs_bundle_reader_free(b);
    return ret;
}
