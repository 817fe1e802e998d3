/* SPDX-License-Identifier: MIT */
/*
 * Making and taking chunks (see cellsync/sync.h): change set, encoding,
 * envelope, and back, with the checks in the order that costs least for
 * garbage: sizes and signer (from the header), signature, recipient,
 * decryption, decompression to the declared size, decoding, merge. A valid
 * signature is no reason to spend memory: the signer must be the peer already
 * admitted and the declared size within CS_SYNC_MAX_PLAIN before the body is
 * touched (security review F9). Inside, each change set is signed by its
 * origin over its plaintext (cellsync/origin.h), checked after decryption
 * and before decoding. A live chunk (inside a session, which authenticated
 * the peer) has no envelope: its declared size is checked before it is
 * decompressed, then the same signatures and decoding.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/changeset.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/sync.h"
#include "internal.h"

int
cs_sync_make_set(struct cs_replica *r, const struct cs_key *k, uint64_t after,
                 const struct cs_since_filter *filter, size_t max_bytes, struct cs_chunk *out,
                 char *err, size_t errlen)
{
    struct cs_changeset *cs = NULL;
    int ret;

    memset(out, 0, sizeof(*out));
    if ((ret = cs_replica_changes_since(r, after, max_bytes, filter, &cs, err, errlen)) != 0)
        return ret;
    /*
     * Named by the key that signs it: a hub's replica keeps its first key's
     * id as its site when the key is rotated, and the receiver checks that a
     * set names its signer.
     */
    struct cs_id signer;
    cs_pk_id(cs_key_pk(k), &signer);
    cs_changeset_set_origin(cs, &signer);
    const struct cs_changeset_header *h = cs_changeset_header(cs);
    out->seq_first = h->seq_first;
    out->seq_last = h->seq_last;
    out->changes = cs_changeset_count(cs);
    out->last = h->seq_last >= cs_replica_seq(r);
    if ((ret = cs_changeset_encode(cs, &out->env, &out->envlen)) != 0) {
        cs_errf(err, errlen, ret, _("cannot encode a change set: %s"), cs_strerror(ret));
        goto out;
    }
    /* The receiver would refuse it: say so here, where the writes are. */
    if (out->envlen + CS_ORIGIN_HEADER > CS_SYNC_MAX_PLAIN)
        ret = cs_errf(err, errlen, CS_ETOOBIG,
                      _("the changes of one transaction take %zu KiB, more than a chunk may "
                        "carry (%u KiB)"),
                      (out->envlen + CS_ORIGIN_HEADER + 1023) / 1024, CS_SYNC_MAX_PLAIN >> 10);
out:
    if (ret != 0) {
        free(out->env);
        out->env = NULL;
        out->envlen = 0;
    }
    cs_changeset_free(cs);
    return ret;
}

static int seal_at(const struct cs_key *k, const uint8_t peer_pk[CS_PK_LEN], int level,
                   uint64_t seq_first, uint64_t seq_last, const uint8_t *set, size_t set_len,
                   const uint8_t *relayed, size_t relayed_len, uint8_t **env, size_t *envlen);

int
cs_sync_seal_set(const struct cs_key *k, const uint8_t peer_pk[CS_PK_LEN], int level,
                 struct cs_chunk *c, char *err, size_t errlen)
{
    uint8_t *env = NULL;
    size_t envlen = 0;
    int ret = seal_at(k, peer_pk, level, c->seq_first, c->seq_last, c->env, c->envlen, NULL, 0,
                      &env, &envlen);
    if (ret != 0)
        return cs_errf(err, errlen, ret, _("cannot seal a change set: %s"), cs_strerror(ret));
    free(c->env);
    c->env = env;
    c->envlen = envlen;
    return 0;
}

int
cs_sync_make_chunk(struct cs_replica *r, const struct cs_key *k, const uint8_t peer_pk[CS_PK_LEN],
                   uint64_t after, const struct cs_since_filter *filter, size_t max_bytes,
                   struct cs_chunk *out, char *err, size_t errlen)
{
    int ret = cs_sync_make_set(r, k, after, filter, max_bytes, out, err, errlen);
    if (ret == 0 &&
        (ret = cs_sync_seal_set(k, peer_pk, CS_SYNC_ZSTD_DEVICE, out, err, errlen)) != 0) {
        free(out->env);
        out->env = NULL;
        out->envlen = 0;
    }
    return ret;
}

/* The live chunk of signed sets body (cellsync/sync.h). OUT: *out, free(). */
static int
live_pack(const uint8_t *body, size_t len, int level, uint8_t **out, size_t *outlen)
{
    uint8_t *comp = NULL;
    size_t clen;
    if (len > CS_ENVELOPE_MAX_PLAIN)
        return CS_ETOOBIG;
    int z = cs__zstd_shrink(body, len, level, &comp, &clen);
    if (z < 0)
        return z;
    uint8_t *c = malloc(CS_SYNC_LIVE_HEADER + clen);
    if (c == NULL) {
        free(comp);
        return CS_ENOMEM;
    }
    c[0] = z == 1 ? CS_ENVELOPE_F_ZSTD : 0;
    cs__put_le32(c + 1, (uint32_t)len);
    memcpy(c + CS_SYNC_LIVE_HEADER, z == 1 ? comp : body, clen);
    free(comp);
    *out = c;
    *outlen = CS_SYNC_LIVE_HEADER + clen;
    return 0;
}

/*
 * The signed sets of live chunk c, its sizes checked before anything is
 * decompressed, with the declared size as a hard bound. OUT: *plain, free().
 */
static int
live_unpack(const uint8_t *c, size_t len, struct cs_envelope_info *info, uint8_t **plain,
            size_t *plain_len, char *err, size_t errlen)
{
    if (len < CS_SYNC_LIVE_HEADER)
        return cs_errf(err, errlen, CS_ETRUNCATED, _("change set refused: %s"),
                       cs_strerror(CS_ETRUNCATED));
    uint8_t flags = c[0];
    uint32_t plain_size = cs__get_le32(c + 1);
    size_t body = len - CS_SYNC_LIVE_HEADER;
    if ((flags & ~CS_ENVELOPE_F_ZSTD) != 0)
        return cs_errf(err, errlen, CS_EMALFORMED, _("change set refused: %s"),
                       cs_strerror(CS_EMALFORMED));
    if (plain_size > CS_SYNC_MAX_PLAIN)
        return cs_errf(
            err, errlen, CS_EBOMB,
            _("change set refused: the chunk decompresses to %u KiB, more than the %u KiB "
              "a chunk may hold"),
            (unsigned)((plain_size + 1023u) / 1024u), CS_SYNC_MAX_PLAIN >> 10);
    if ((flags & CS_ENVELOPE_F_ZSTD) ? body >= plain_size : body != plain_size)
        return cs_errf(err, errlen, CS_EMALFORMED, _("change set refused: %s"),
                       cs_strerror(CS_EMALFORMED));
    info->flags = flags;
    info->plain_size = plain_size;
    info->body_size = (uint32_t)body;
    int ret = 0;
    if (flags & CS_ENVELOPE_F_ZSTD)
        ret = cs__zstd_expand(c + CS_SYNC_LIVE_HEADER, body, plain_size, plain);
    else if ((*plain = malloc(body > 0 ? body : 1)) == NULL)
        ret = CS_ENOMEM;
    else
        memcpy(*plain, c + CS_SYNC_LIVE_HEADER, body);
    if (ret != 0)
        return cs_errf(err, errlen, ret, _("change set refused: %s"), cs_strerror(ret));
    *plain_len = plain_size;
    return 0;
}

/* cs_sync_seal with the zstd level of a live chunk's body. */
static int
seal_at(const struct cs_key *k, const uint8_t peer_pk[CS_PK_LEN], int level, uint64_t seq_first,
        uint64_t seq_last, const uint8_t *set, size_t set_len, const uint8_t *relayed,
        size_t relayed_len, uint8_t **env, size_t *envlen)
{
    uint8_t *body = NULL;
    size_t len = 0;

    *env = NULL;
    *envlen = 0;
    int ret = cs_origin_sign(k, set, set_len, &body, &len);
    if (ret == 0 && relayed_len > 0) {
        uint8_t *b = realloc(body, len + relayed_len);
        if (b == NULL)
            ret = CS_ENOMEM;
        else {
            memcpy(b + len, relayed, relayed_len);
            body = b;
            len += relayed_len;
        }
    }
    if (ret == 0)
        ret = peer_pk != NULL
                  ? cs_envelope_seal(k, peer_pk, seq_first, seq_last, body, len, env, envlen)
                  : live_pack(body, len, level, env, envlen);
    free(body);
    return ret;
}

int
cs_sync_seal(const struct cs_key *k, const uint8_t peer_pk[CS_PK_LEN], uint64_t seq_first,
             uint64_t seq_last, const uint8_t *set, size_t set_len, const uint8_t *relayed,
             size_t relayed_len, uint8_t **env, size_t *envlen)
{
    return seal_at(k, peer_pk, CS_SYNC_ZSTD_DEVICE, seq_first, seq_last, set, set_len, relayed,
                   relayed_len, env, envlen);
}

void
cs_chunk_sets_release(struct cs_chunk_sets *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nrelayed; i++)
        cs_changeset_free(s->relayed[i].cs);
    free(s->relayed);
    cs_changeset_free(s->own);
    free(s->plain);
    memset(s, 0, sizeof(*s));
}

/* Decodes signed set s; its header must name the key that signed it. */
static int
decode_signed(const struct cs_signed *s, struct cs_changeset **out, char *err, size_t errlen)
{
    struct cs_id id;
    int ret = cs_changeset_decode(out, s->set, s->set_len, err, errlen);
    if (ret != 0)
        return ret;
    cs_pk_id(s->origin_pk, &id);
    if (cs_id_cmp(&cs_changeset_header(*out)->origin, &id) != 0) {
        cs_changeset_free(*out);
        *out = NULL;
        return cs_errf(err, errlen, CS_ESIGNATURE,
                       _("change set refused: it names another origin than its signer"));
    }
    return 0;
}

int
cs_sync_open_sets(const struct cs_key *k, const uint8_t from_pk[CS_PK_LEN], const uint8_t *env,
                  size_t envlen, struct cs_chunk_sets *out, struct cs_envelope_info *info,
                  char *err, size_t errlen)
{
    struct cs_signed s;
    size_t off = 0;
    int ret;

    memset(out, 0, sizeof(*out));
    memset(info, 0, sizeof(*info));
    if (k == NULL) {
        /* A live chunk: the session proved from_pk, and its frames are the AEAD. */
        if ((ret = live_unpack(env, envlen, info, &out->plain, &out->plain_len, err, errlen)) != 0)
            return ret;
        memcpy(info->origin_pk, from_pk, CS_PK_LEN);
        goto sets;
    }
    /*
     * The header first: who claims to have signed and how big the body says
     * it is. Another key's chunk, or one too big, costs no verification,
     * decryption or decompression. The claims are checked by the signature
     * below, and the decompressed size is held to the declared one.
     */
    if ((ret = cs_envelope_peek(env, envlen, info)) != 0)
        return cs_errf(err, errlen, ret, _("change set refused: %s"), cs_strerror(ret));
    if (sodium_memcmp(info->origin_pk, from_pk, CS_PK_LEN) != 0)
        return cs_errf(err, errlen, CS_ESIGNATURE, _("change set refused: signed by another key"));
    if (info->plain_size > CS_SYNC_MAX_PLAIN)
        return cs_errf(
            err, errlen, CS_EBOMB,
            _("change set refused: the chunk decompresses to %u KiB, more than the %u KiB "
              "a chunk may hold"),
            (unsigned)((info->plain_size + 1023u) / 1024u), CS_SYNC_MAX_PLAIN >> 10);
    if ((ret = cs_envelope_open(k, env, envlen, &out->plain, &out->plain_len, info)) != 0)
        return cs_errf(err, errlen, ret, _("change set refused: %s"), cs_strerror(ret));
    /* Checked above from the header, which the signature now covers; kept as a second lock. */
    if (sodium_memcmp(info->origin_pk, from_pk, CS_PK_LEN) != 0)
        return cs_errf(err, errlen, CS_ESIGNATURE, _("change set refused: signed by another key"));

sets:
    /* The sender's own set: signed over its plaintext by the sender (who sealed an envelope). */
    if ((ret = cs_origin_next(out->plain, out->plain_len, &off, &s)) <= 0)
        return cs_errf(err, errlen, ret < 0 ? ret : CS_EMALFORMED,
                       _("change set refused: it carries no change set signed by its origin (%s)"),
                       cs_strerror(ret < 0 ? ret : CS_EMALFORMED));
    if (sodium_memcmp(s.origin_pk, from_pk, CS_PK_LEN) != 0)
        return cs_errf(err, errlen, CS_ESIGNATURE, _("change set refused: signed by another key"));
    if (cs_origin_verify(&s) != 0)
        return cs_errf(err, errlen, CS_ESIGNATURE,
                       _("change set refused: its origin's signature over the changes does not "
                         "verify"));
    if ((ret = decode_signed(&s, &out->own, err, errlen)) != 0)
        return ret;
    const struct cs_changeset_header *h = cs_changeset_header(out->own);
    if (k == NULL) {
        info->seq_first = h->seq_first;
        info->seq_last = h->seq_last;
    } else if (h->seq_first != info->seq_first || h->seq_last != info->seq_last)
        return cs_errf(err, errlen, CS_EMALFORMED,
                       _("change set refused: its seq range differs from its envelope's"));

    /* The sets it relays, each as its origin signed it. */
    while ((ret = cs_origin_next(out->plain, out->plain_len, &off, &s)) == 1) {
        struct cs_relayed *r;
        char who[CS_ID_SHORT_LEN + 1];
        struct cs_id id;
        cs_pk_id(s.origin_pk, &id);
        cs_id_short(&id, who);
        if (sodium_memcmp(s.origin_pk, from_pk, CS_PK_LEN) == 0)
            return cs_errf(err, errlen, CS_EMALFORMED,
                           _("change set refused: it relays a set of its own sender"));
        if (cs_origin_verify(&s) != 0)
            return cs_errf(err, errlen, CS_ESIGNATURE,
                           _("change set refused: the set it relays for device '%s' does not "
                             "carry that device's signature"),
                           who);
        r = realloc(out->relayed, (out->nrelayed + 1) * sizeof(*r));
        if (r == NULL)
            return cs_errf(err, errlen, CS_ENOMEM, _("change set refused: %s"),
                           cs_strerror(CS_ENOMEM));
        out->relayed = r;
        r = &out->relayed[out->nrelayed];
        memset(r, 0, sizeof(*r));
        r->s = s;
        r->origin = id;
        if ((ret = decode_signed(&s, &r->cs, err, errlen)) != 0)
            return ret;
        out->nrelayed++;
    }
    if (ret < 0)
        return cs_errf(err, errlen, ret, _("change set refused: a relayed set is damaged (%s)"),
                       cs_strerror(ret));
    return 0;
}

int
cs_sync_open_chunk(const struct cs_key *k, const uint8_t from_pk[CS_PK_LEN], const uint8_t *env,
                   size_t envlen, struct cs_changeset **out, struct cs_envelope_info *info,
                   char *err, size_t errlen)
{
    struct cs_chunk_sets s;

    *out = NULL;
    int ret = cs_sync_open_sets(k, from_pk, env, envlen, &s, info, err, errlen);
    if (ret == 0 && s.nrelayed > 0)
        ret = cs_errf(err, errlen, CS_EMALFORMED,
                      _("change set refused: it relays other devices' change sets, which only "
                        "a hub takes"));
    if (ret == 0) {
        *out = s.own;
        s.own = NULL;
    }
    cs_chunk_sets_release(&s);
    return ret;
}

int
cs_sync_check_chunk(const struct cs_key *k, const uint8_t from_pk[CS_PK_LEN], const uint8_t *env,
                    size_t envlen, struct cs_envelope_info *info, char *err, size_t errlen)
{
    struct cs_envelope_info tmp;
    struct cs_chunk_sets s;

    int ret =
        cs_sync_open_sets(k, from_pk, env, envlen, &s, info != NULL ? info : &tmp, err, errlen);
    cs_chunk_sets_release(&s);
    return ret;
}

int
cs_sync_take_chunk(struct cs_replica *r, const struct cs_key *k, const uint8_t from_pk[CS_PK_LEN],
                   const uint8_t *env, size_t envlen, const struct cs_apply_opts *opts,
                   struct cs_apply_stats *st, struct cs_envelope_info *info, char *err,
                   size_t errlen)
{
    struct cs_envelope_info tmp;
    struct cs_changeset *cs = NULL;

    int ret =
        cs_sync_open_chunk(k, from_pk, env, envlen, &cs, info != NULL ? info : &tmp, err, errlen);
    if (ret == 0)
        ret = cs_replica_apply(r, cs, opts, st, err, errlen);
    cs_changeset_free(cs);
    return ret;
}
