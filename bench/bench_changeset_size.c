/* SPDX-License-Identifier: MIT */
/*
 * Size of a typical change set on the wire: the reference set of 100 register
 * writes of a cell (tests/common/sample.c) as msgpack, zstd-compressed, and
 * sealed in an envelope to the hub, against the zstd size of the same content
 * as plain text. Deterministic: the same build prints the same figures.
 *
 *   bench_changeset_size                print the figures
 *   bench_changeset_size --vectors DIR  also (re)write the committed test vectors
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "cellsync/changeset.h"
#include "cellsync/envelope.h"
#include "cellsync/error.h"
#include "cellsync/key.h"
#include "cellsync/origin.h"
#include "cellsync/version.h"
#include "common/sample.h"
#include "internal.h"

static int
write_hex(const char *dir, const char *name, const uint8_t *b, size_t n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x%s", b[i], (i % 32 == 31 || i + 1 == n) ? "\n" : "");
    if (fclose(f) != 0) {
        perror(path);
        return -1;
    }
    printf("wrote %s (%zu bytes)\n", path, n);
    return 0;
}

/* The same content as a person would type it: one line per change. */
static size_t
plain_text(const struct cs_changeset *cs, char *buf, size_t cap)
{
    size_t len = 0;
    for (size_t i = 0; i < cs_changeset_count(cs); i++) {
        struct cs_change c;
        char row[CS_ID_HEX_LEN + 1];
        cs_changeset_get(cs, i, &c);
        cs_id_to_hex(&c.row, row);
        len += (size_t)snprintf(buf + len, cap - len, "%s\t%s\t%s\t%.*s\n", c.table, row, c.column,
                                (int)c.value.n, (const char *)c.value.p);
    }
    return len;
}

int
main(int argc, char **argv)
{
    const char *vectors = argc == 3 && strcmp(argv[1], "--vectors") == 0 ? argv[2] : NULL;
    struct cs_key *cell = NULL, *hub = NULL;
    struct cs_changeset *cs = NULL;
    struct cs_changeset *opened = NULL;
    uint8_t *mp = NULL, *env = NULL, *zs = NULL, *plain = NULL;
    size_t mplen, envlen, plainlen;
    struct cs_id origin;
    struct cs_envelope_info info;
    static char text[1 << 16];
    int ret;

    if (argc != 1 && vectors == NULL) {
        fprintf(stderr, "usage: bench_changeset_size [--vectors DIR]\n");
        return 2;
    }
    if ((ret = cs_init()) != 0 || (ret = cs_key_from_seed(&cell, cs_test_cell_seed)) != 0 ||
        (ret = cs_key_from_seed(&hub, cs_test_hub_seed)) != 0)
        goto out;
    cs_key_id(cell, &origin);
    if ((ret = cs_test_sample(&cs, &origin)) != 0 ||
        (ret = cs_changeset_encode(cs, &mp, &mplen)) != 0 ||
        (ret = cs__envelope_seal_seeded(cell, cs_key_pk(hub), 1, 100, mp, mplen, cs_test_eph_seed,
                                        &env, &envlen)) != 0 ||
        (ret = cs_envelope_peek(env, envlen, &info)) != 0)
        goto out;
    /* The hub's side: verify, decrypt, decompress, decode, compare. */
    if ((ret = cs_envelope_open(hub, env, envlen, &plain, &plainlen, &info)) != 0 ||
        (ret = cs_changeset_decode(&opened, plain, plainlen, NULL, 0)) != 0)
        goto out;
    for (size_t i = 0; i < cs_changeset_count(cs); i++) {
        struct cs_change a, b;
        cs_changeset_get(cs, i, &a);
        cs_changeset_get(opened, i, &b);
        if (cs_changeset_count(opened) != cs_changeset_count(cs) || !cs_change_equal(&a, &b)) {
            fprintf(stderr, "bench_changeset_size: change %zu differs after the round trip\n", i);
            ret = -1;
            goto out;
        }
    }

    size_t tlen = plain_text(cs, text, sizeof(text));
    size_t cap = ZSTD_compressBound(tlen);
    zs = malloc(cap);
    size_t ztext = zs ? ZSTD_compress(zs, cap, text, tlen, 19) : 0;
    size_t n = cs_changeset_count(cs);

    printf("reference change set: %zu changes of one cell (Vietnamese text)\n", n);
    printf("  msgpack change set     %6zu bytes  %6.1f bytes/change\n", mplen, (double)mplen / n);
    printf("  zstd body              %6u bytes  %6.1f bytes/change  (%.2fx smaller)\n",
           info.body_size, (double)info.body_size / n, (double)mplen / info.body_size);
    printf("  sealed envelope        %6zu bytes  %6.1f bytes/change  (+%d fixed)\n", envlen,
           (double)envlen / n, CS_ENVELOPE_OVERHEAD);
    printf("  opened by the hub      signature ok, %zu changes decoded and equal\n",
           cs_changeset_count(opened));
    printf("  plain text             %6zu bytes\n", tlen);
    printf("  zstd -19 of plain text %6zu bytes  (envelope is %.2fx of it)\n", ztext,
           (double)envlen / ztext);
    /* The set as its cell signs it (cellsync/origin.h): Ed25519 is deterministic. */
    uint8_t *sgn = NULL;
    size_t sgnlen = 0;
    if (vectors != NULL && (cs_origin_sign(cell, mp, mplen, &sgn, &sgnlen) != 0 ||
                            write_hex(vectors, "changeset.hex", mp, mplen) != 0 ||
                            write_hex(vectors, "envelope.hex", env, envlen) != 0 ||
                            write_hex(vectors, "signedset.hex", sgn, sgnlen) != 0))
        ret = -1;
    free(sgn);
out:
    if (ret != 0 && ret != -1)
        fprintf(stderr, "bench_changeset_size: %s\n", cs_strerror(ret));
    free(zs);
    free(plain);
    cs_changeset_free(opened);
    free(env);
    free(mp);
    cs_changeset_free(cs);
    cs_key_free(cell);
    cs_key_free(hub);
    return ret == 0 ? 0 : 1;
}
