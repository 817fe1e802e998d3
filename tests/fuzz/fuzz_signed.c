/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for what a malicious but enrolled device can send: the
 * fuzzer's bytes sealed to the hub and signed with the test cell's key, so
 * every check before decompression passes and hostile zstd frames and
 * change sets reach the decoders (security review I2 and F9). Input:
 *
 *   0   1  mode: bit 0 the envelope's zstd flag, bit 1 seal honestly
 *            (cs_sync_seal signs the body as the cell's change set over its
 *            plaintext, cellsync/origin.h, and compresses it itself; the
 *            header then tells the truth), bit 2 with bit 1: the body also
 *            relayed after it, as a set the hub's key signed, bit 3 a live
 *            chunk (cellsync/sync.h) instead of an envelope, opened without
 *            a key as a session's, bits 4-7 ignored
 *   1   4  declared plain size, little-endian (raw mode only)
 *   5   1  seq_first
 *   6   1  seq_last - seq_first
 *   7   n  the body: honestly sealed, meant to be a change set; raw, the
 *            envelope's body: a zstd frame or plain bytes, meant to be the
 *            chunk's signed sets
 *
 * cs_sync_open_chunk must refuse it with a code and no set, or decode a set
 * whose seq range is the envelope's (a live chunk's: its set's) and that encodes back; a declared
 * size over CS_SYNC_MAX_PLAIN is never opened. Never a crash, a leak, or memory beyond libFuzzer's
 * -rss_limit_mb.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/changeset.h"
#include "cellsync/error.h"
#include "cellsync/sync.h"
#include "cellsync/version.h"
#include "common/sample.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cs_key *cell, *hub;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (hub == NULL && (cs_init() != 0 || cs_key_from_seed(&cell, cs_test_cell_seed) != 0 ||
                        cs_key_from_seed(&hub, cs_test_hub_seed) != 0))
        abort();
    if (size < 7)
        return 0;
    uint8_t mode = data[0];
    uint32_t plain_size = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
                          (uint32_t)data[4] << 24;
    uint64_t seq_first = data[5], seq_last = (uint64_t)data[5] + data[6];
    const uint8_t *body = data + 7;
    size_t body_len = size - 7;
    uint8_t *env = NULL;
    size_t elen = 0;
    int ret;

    uint8_t *relayed = NULL;
    size_t rlen = 0;
    if ((mode & 6) == 6 && cs_origin_sign(hub, body, body_len, &relayed, &rlen) != 0)
        return 0;
    int live = (mode & 8) != 0;
    const struct cs_key *k = live ? NULL : hub;
    if (mode & 2)
        ret = cs_sync_seal(cell, live ? NULL : cs_key_pk(hub), seq_first, seq_last, body, body_len,
                           relayed, rlen, &env, &elen);
    else if (live) {
        /* The live header as it comes: flags, declared size, then the body. */
        ret = (env = malloc(CS_SYNC_LIVE_HEADER + body_len)) == NULL ? CS_ENOMEM : 0;
        if (ret == 0) {
            env[0] = mode & CS_ENVELOPE_F_ZSTD;
            memcpy(env + 1, data + 1, 4);
            if (body_len > 0)
                memcpy(env + CS_SYNC_LIVE_HEADER, body, body_len);
            elen = CS_SYNC_LIVE_HEADER + body_len;
        }
    } else
        ret = cs__envelope_seal_raw(cell, cs_key_pk(hub), seq_first, seq_last,
                                    mode & CS_ENVELOPE_F_ZSTD, plain_size, body, body_len, &env,
                                    &elen);
    free(relayed);
    if (ret != 0)
        return 0;

    /* The hub's reading: the relayed set, when there is one, decodes as the cell's does. */
    struct cs_chunk_sets sets;
    struct cs_envelope_info sinfo;
    char serr[512];
    int sret = cs_sync_open_sets(k, cs_key_pk(cell), env, elen, &sets, &sinfo, serr, sizeof(serr));
    if (sret == 0 && (sets.own == NULL || ((mode & 6) == 6 && sets.nrelayed != 1)))
        abort();
    cs_chunk_sets_release(&sets);

    struct cs_changeset *cs = NULL, *again = NULL;
    struct cs_envelope_info info;
    char err[512];
    uint8_t *enc = NULL;
    size_t enclen = 0;
    ret = cs_sync_open_chunk(k, cs_key_pk(cell), env, elen, &cs, &info, err, sizeof(err));
    if (ret != 0) {
        if (cs != NULL)
            abort();
    } else {
        const struct cs_changeset_header *h = cs_changeset_header(cs);
        if (cs == NULL || info.plain_size > CS_SYNC_MAX_PLAIN ||
            h->seq_first != (live ? info.seq_first : seq_first) ||
            h->seq_last != (live ? info.seq_last : seq_last))
            abort();
        if (cs_changeset_encode(cs, &enc, &enclen) != 0 ||
            cs_changeset_decode(&again, enc, enclen, err, sizeof(err)) != 0 ||
            cs_changeset_count(again) != cs_changeset_count(cs))
            abort();
    }
    cs_changeset_free(again);
    cs_changeset_free(cs);
    free(enc);
    free(env);
    return 0;
}
