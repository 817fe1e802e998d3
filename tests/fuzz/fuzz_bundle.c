/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for bundles. Odd first byte: the rest is a bundle whose
 * entries are not yet sealed to the hub; the target seals each entry it can
 * frame (cellsync/bundle.h: entries are sealed boxes to the recipient, which
 * a fuzzer could never forge) and leaves any rest as it is, writes the file
 * and reads it as the hub reads an export (cellsyncd import): framing, the
 * seals, then the hello opened and every chunk checked with the hub's key;
 * all of it must be refused cleanly unless its envelopes were made with the
 * seed keys (the corpus sample's are). Even first byte: the rest goes to the
 * hello and welcome decoders the bundle's control entries use.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cellsync/bundle.h"
#include "cellsync/sync.h"
#include "cellsync/version.h"
#include "common/sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cs_key *cell, *hub;
static char path[64];

static void
read_through(void)
{
    struct cs_bundle_reader *b = NULL;
    const uint8_t *env;
    size_t len;
    uint32_t ix;
    uint8_t pk[CS_PK_LEN];
    struct cs_hello h;
    char err[256];

    if (cs_bundle_reader_new(&b, path, hub, err, sizeof(err)) != 0)
        return;
    while (cs_bundle_reader_next(b, &env, &len, &ix, err, sizeof(err)) == 1) {
        int ret = ix == 0
                      ? cs_bundle_open_hello(hub, env, len, &h, pk)
                      : cs_sync_check_chunk(hub, cs_key_pk(cell), env, len, NULL, err, sizeof(err));
        if (ret != 0)
            break;
    }
    cs_bundle_reader_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (hub == NULL) {
        if (cs_init() != 0 || cs_key_from_seed(&cell, cs_test_cell_seed) != 0 ||
            cs_key_from_seed(&hub, cs_test_hub_seed) != 0)
            abort();
        snprintf(path, sizeof(path), "/tmp/fuzz_bundle.%ld", (long)getpid());
    }
    if (size == 0)
        return 0;
    if (data[0] & 1) {
        FILE *f = fopen(path, "wb");
        const uint8_t *p = data + 1, *end = data + size;
        uint8_t hub_x[crypto_box_PUBLICKEYBYTES];
        if (f == NULL || crypto_sign_ed25519_pk_to_curve25519(hub_x, cs_key_pk(hub)) != 0)
            abort();
        size_t head = (size_t)(end - p) < CS_BUNDLE_HEADER ? (size_t)(end - p) : CS_BUNDLE_HEADER;
        if (fwrite(p, 1, head, f) != head)
            abort();
        p += head;
        /* Each framed entry sealed to the hub, as a writer would; the rest as it is. */
        while (end - p >= 4) {
            size_t n = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
            if (n > (size_t)(end - p) - 4 || n > CS_BUNDLE_MAX_ENTRY)
                break;
            uint8_t *sealed = malloc(n + crypto_box_SEALBYTES), pre[4];
            size_t sn = n + crypto_box_SEALBYTES;
            if (sealed == NULL || crypto_box_seal(sealed, p + 4, n, hub_x) != 0)
                abort();
            pre[0] = (uint8_t)(sn >> 24);
            pre[1] = (uint8_t)(sn >> 16);
            pre[2] = (uint8_t)(sn >> 8);
            pre[3] = (uint8_t)sn;
            if (fwrite(pre, 1, 4, f) != 4 || fwrite(sealed, 1, sn, f) != sn)
                abort();
            free(sealed);
            p += 4 + n;
        }
        if (fwrite(p, 1, (size_t)(end - p), f) != (size_t)(end - p) || fclose(f) != 0)
            abort();
        read_through();
        unlink(path);
    } else {
        struct cs_hello h, h2;
        struct cs_welcome w, w2;
        uint8_t out[CS_WIRE_MAX_PREAUTH];
        size_t n;
        /* What decodes must encode, and decode again to the same fields. */
        if (cs_hello_decode(data + 1, size - 1, &h) == 0 &&
            (cs_hello_encode(&h, out, sizeof(out), &n) != 0 || cs_hello_decode(out, n, &h2) != 0 ||
             h.hub_seq != h2.hub_seq || h.has_secret != h2.has_secret ||
             memcmp(h.secret, h2.secret, sizeof(h.secret)) != 0 || strcmp(h.name, h2.name) != 0 ||
             h.has_incarnation != h2.has_incarnation ||
             memcmp(h.incarnation, h2.incarnation, sizeof(h.incarnation)) != 0))
            abort();
        if (cs_welcome_decode(data + 1, size - 1, &w) == 0 &&
            (cs_welcome_encode(&w, out, sizeof(out), &n) != 0 ||
             cs_welcome_decode(out, n, &w2) != 0 || w.status != w2.status ||
             w.hub_time != w2.hub_time || w.up_seq != w2.up_seq ||
             strcmp(w.message, w2.message) != 0 || strcmp(w.org, w2.org) != 0 ||
             strcmp(w.role, w2.role) != 0 || w.has_incarnation != w2.has_incarnation ||
             memcmp(w.incarnation, w2.incarnation, sizeof(w.incarnation)) != 0 ||
             w.down_seq != w2.down_seq))
            abort();
    }
    return 0;
}
