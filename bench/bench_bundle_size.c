/* SPDX-License-Identifier: MIT */
/*
 * Size of a USB-stick bundle for the reference month of one cell: 5 new
 * candidates of 12 fields, 20 single-field edits, one monthly meeting with
 * 3 KB of Vietnamese minutes, its attendance of 20 members and 5
 * assessments of candidates, each written as the client writes it (one
 * local transaction per command) into a temp replica. The bundle is made by
 * device_export(), the very code `cellsync bundle export` runs, and compared
 * with the zstd size of the same content as plain text (one line per
 * field: table, record id, field, value). Stamps and ephemeral keys are
 * fresh each run, so the last digits may move.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <sodium.h>

#include "cellsync/bundle.h"
#include "cellsync/error.h"
#include "cellsync/meta.h"
#include "cellsync/replica.h"
#include "cellsync/version.h"
#include "common/sample.h"
#include "device.h"

#include "month.h"

/* The same content as a person would type it: one line per field. */
static char *
plain_text(struct cs_replica *r, size_t *len, size_t *changes)
{
    struct cs_changeset *cs = NULL;
    struct cs_since_filter own = {.only_origin = cs_replica_site(r)};
    bench_check("changes",
                cs_replica_changes_since(r, 0, 0, &own, &cs, bench_err, sizeof(bench_err)));
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        bench_die("plain text", CS_ENOMEM);
    for (size_t i = 0; i < cs_changeset_count(cs); i++) {
        struct cs_change c;
        char row[CS_ID_HEX_LEN + 1], val[2 * CS_ID_LEN + 1];
        cs_changeset_get(cs, i, &c);
        cs_id_to_hex(&c.row, row);
        if (c.value.type == CS_VTEXT)
            n += (size_t)snprintf(buf + n, cap - n, "%s\t%s\t%s\t%.*s\n", c.table, row, c.column,
                                  (int)c.value.n, (const char *)c.value.p);
        else if (c.value.type == CS_VINT)
            n += (size_t)snprintf(buf + n, cap - n, "%s\t%s\t%s\t%lld\n", c.table, row, c.column,
                                  (long long)c.value.i);
        else {
            sodium_bin2hex(val, sizeof(val), c.value.p,
                           c.value.n < CS_ID_LEN ? c.value.n : CS_ID_LEN);
            n +=
                (size_t)snprintf(buf + n, cap - n, "%s\t%s\t%s\t%s\n", c.table, row, c.column, val);
        }
    }
    *changes = cs_changeset_count(cs);
    cs_changeset_free(cs);
    *len = n;
    return buf;
}

int
main(void)
{
    char tmp[] = "/tmp/bench_bundle.XXXXXX", db[PATH_MAX], bundle[PATH_MAX], side[PATH_MAX + 8];
    struct cs_key *key = NULL, *hub = NULL;
    struct cs_replica *r = NULL;
    struct device d = {0};
    struct device_tally t;
    struct cs_id site;
    char hex[CS_PK_LEN * 2 + 1];

    if (cs_init() != 0 || mkdtemp(tmp) == NULL)
        bench_die("start", -1);
    snprintf(db, sizeof(db), "%s/replica.db", tmp);
    snprintf(bundle, sizeof(bundle), "%s/month.bundle", tmp);
    bench_check("keys", cs_key_from_seed(&key, cs_test_cell_seed));
    bench_check("keys", cs_key_from_seed(&hub, cs_test_hub_seed));
    cs_key_id(key, &site);
    bench_check(db,
                cs_replica_open(&r, db, CS_REPLICA_CREATE, &site, bench_err, sizeof(bench_err)));
    /* Enrolled from a file, never synced: the hello carries the one-time secret. */
    sodium_bin2hex(hex, sizeof(hex), cs_key_pk(hub), CS_PK_LEN);
    bench_check("meta", cs_replica_meta_set(r, CS_META_HUB_PK, hex));
    bench_check("meta", cs_replica_meta_set(r, CS_META_ENROLL_SECRET,
                                            "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
                                            "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"));
    bench_check("meta", cs_replica_meta_set(r, CS_META_DEVICE_NAME, "máy chi bộ bản Khe Ván"));
    bench_month(r);

    size_t tlen, changes;
    char *text = plain_text(r, &tlen, &changes);
    size_t zcap = ZSTD_compressBound(tlen);
    void *z = malloc(zcap);
    size_t zlen = z ? ZSTD_compress(z, zcap, text, tlen, 19) : 0;
    if (z == NULL || ZSTD_isError(zlen))
        bench_die("zstd", CS_ECOMPRESS);

    d.rep = r;
    d.key = key;
    memcpy(d.hub_pk, cs_key_pk(hub), CS_PK_LEN);
    bench_check("export",
                device_export(&d, bundle, NULL, NULL, NULL, &t, bench_err, sizeof(bench_err)));

    /* What the hub would find in it: entry sizes, read back through the bundle reader. */
    struct cs_bundle_reader *b = NULL;
    const uint8_t *env;
    size_t len, hello = 0, chunks = 0;
    uint32_t ix;
    int rc;
    bench_check("read", cs_bundle_reader_new(&b, bundle, hub, bench_err, sizeof(bench_err)));
    while ((rc = cs_bundle_reader_next(b, &env, &len, &ix, bench_err, sizeof(bench_err))) == 1)
        *(ix == 0 ? &hello : &chunks) += len + 4 + crypto_box_SEALBYTES;
    bench_check("read", rc);
    cs_bundle_reader_free(b);
    struct stat st;
    if (stat(bundle, &st) != 0)
        bench_die(bundle, -1);

    printf("reference month of one cell (cellsync %s): 5 new candidates of 12 fields, 20 field\n"
           "edits, a meeting with %zu bytes of Vietnamese minutes, attendance of 20, 5 "
           "assessments\n",
           CS_VERSION_STRING, strlen(bench_minutes));
    printf("  changes                       %6zu\n", changes);
    printf(
        "  bundle file                   %6lld bytes  (header %d, hello %zu, %zu chunk(s) %zu)\n",
        (long long)st.st_size, CS_BUNDLE_HEADER, hello, t.chunks, chunks);
    printf("  plain text                    %6zu bytes\n", tlen);
    printf("  zstd -19 of the plain text    %6zu bytes\n", zlen);
    printf("  bundle / zstd(plain text)     %6.2f\n", (double)st.st_size / (double)zlen);

    free(z);
    free(text);
    d.key = NULL;
    cs_key_free(key);
    cs_key_free(hub);
    cs_replica_close(r);
    unlink(bundle);
    unlink(db);
    snprintf(side, sizeof(side), "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", db);
    unlink(side);
    rmdir(tmp);
    return 0;
}
