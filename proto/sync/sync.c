/* SPDX-License-Identifier: MIT */
/*
 * Making and taking chunks (see cellsync/sync.h): change set, encoding,
 * envelope, and back, with the checks in the order that costs least for
 * garbage: sizes and signer (from the header), signature, recipient,
 * decryption, decompression to the declared size, decoding, merge. A valid
 * signature is no reason to spend memory: the signer must be the peer already
 * admitted and the declared size within CS_SYNC_MAX_PLAIN before the body is
 * touched (security review F9).
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/changeset.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/sync.h"

int
cs_sync_make_chunk(struct cs_replica *r, const struct cs_key *k, const uint8_t peer_pk[CS_PK_LEN],
                   uint64_t after, const struct cs_since_filter *filter, size_t max_bytes,
                   struct cs_chunk *out, char *err, size_t errlen)
{
    struct cs_changeset *cs = NULL;
    uint8_t *plain = NULL;
    size_t plainlen;
    int ret;

    memset(out, 0, sizeof(*out));
    if ((ret = cs_replica_changes_since(r, after, max_bytes, filter, &cs, err, errlen)) != 0)
        return ret;
    const struct cs_changeset_header *h = cs_changeset_header(cs);
    out->seq_first = h->seq_first;
    out->seq_last = h->seq_last;
    out->changes = cs_changeset_count(cs);
    out->last = h->seq_last >= cs_replica_seq(r);
    if ((ret = cs_changeset_encode(cs, &plain, &plainlen)) != 0) {
        cs_errf(err, errlen, ret, _("cannot encode a change set: %s"), cs_strerror(ret));
        goto out;
    }
    /* The receiver would refuse it: say so here, where the writes are. */
    if (plainlen > CS_SYNC_MAX_PLAIN) {
        ret = cs_errf(err, errlen, CS_ETOOBIG,
                      _("the changes of one transaction take %zu KiB, more than a chunk may "
                        "carry (%u KiB)"),
                      (plainlen + 1023) / 1024, CS_SYNC_MAX_PLAIN >> 10);
        goto out;
    }
    if ((ret = cs_envelope_seal(k, peer_pk, h->seq_first, h->seq_last, plain, plainlen, &out->env,
                                &out->envlen)) != 0)
        cs_errf(err, errlen, ret, _("cannot seal a change set: %s"), cs_strerror(ret));
out:
    free(plain);
    cs_changeset_free(cs);
    return ret;
}

int
cs_sync_open_chunk(const struct cs_key *k, const uint8_t from_pk[CS_PK_LEN], const uint8_t *env,
                   size_t envlen, struct cs_changeset **out, struct cs_envelope_info *info,
                   char *err, size_t errlen)
{
    struct cs_changeset *cs = NULL;
    uint8_t *plain = NULL;
    size_t plainlen;
    int ret;

    *out = NULL;
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
    if ((ret = cs_envelope_open(k, env, envlen, &plain, &plainlen, info)) != 0)
        return cs_errf(err, errlen, ret, _("change set refused: %s"), cs_strerror(ret));
    /* Checked above from the header, which the signature now covers; kept as a second lock. */
    if (sodium_memcmp(info->origin_pk, from_pk, CS_PK_LEN) != 0) {
        ret = cs_errf(err, errlen, CS_ESIGNATURE, _("change set refused: signed by another key"));
        goto out;
    }
    if ((ret = cs_changeset_decode(&cs, plain, plainlen, err, errlen)) != 0)
        goto out;
    const struct cs_changeset_header *h = cs_changeset_header(cs);
    if (h->seq_first != info->seq_first || h->seq_last != info->seq_last) {
        ret = cs_errf(err, errlen, CS_EMALFORMED,
                      _("change set refused: its seq range differs from its envelope's"));
        goto out;
    }
    *out = cs;
    cs = NULL;
out:
    free(plain);
    cs_changeset_free(cs);
    return ret;
}

int
cs_sync_check_chunk(const struct cs_key *k, const uint8_t from_pk[CS_PK_LEN], const uint8_t *env,
                    size_t envlen, struct cs_envelope_info *info, char *err, size_t errlen)
{
    struct cs_envelope_info tmp;
    struct cs_changeset *cs = NULL;

    int ret =
        cs_sync_open_chunk(k, from_pk, env, envlen, &cs, info != NULL ? info : &tmp, err, errlen);
    cs_changeset_free(cs);
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
