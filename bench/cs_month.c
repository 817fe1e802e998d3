/* SPDX-License-Identifier: MIT */
/*
 * Writes a reference workload into the replica of $CELLSYNC_HOME, as the
 * client would (one local transaction per command), for the wire and
 * slow-link benchmarks (bench/bench_wire.sh):
 *
 *   cs_month month      the reference month of one cell (as in
 *                       bench_bundle_size.c: 5 new candidates of 12 fields,
 *                       20 field edits, a meeting with ~3 KB of Vietnamese
 *                       minutes, attendance of 20, 5 assessments); prints
 *                       "changes=N plain=BYTES zstd19=BYTES zstd3=BYTES", the
 *                       sizes of the same content as plain text
 *   cs_month members N  N members of the device's cell, 9 fields each, in
 *                       transactions of 10; prints "changes=N ..." likewise
 *
 * The ids of the month are fixed (cs_test_fill_id), so run it once per
 * fresh replica and hub.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/meta.h"
#include "cellsync/replica.h"
#include "cellsync/version.h"
#include "common/sample.h"

#include "month.h"

static const char *const fam[] = {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Lò", "Đinh", "Hà"};
static const char *const giv[] = {"Văn Sỹ",   "Thị Hoa",    "Văn Thắng", "Thị Ánh",
                                  "Văn Dũng", "Thị Phượng", "Đức Mạnh",  "Thị Hường"};

/* Members as a cell's device records them (not decision_on: the district sets it). */
static void
build_members(struct cs_replica *r, const char *org, long n)
{
    for (long i = 0; i < n; i += 10) {
        bench_check("begin", cs_replica_begin(r, bench_err, sizeof(bench_err)));
        for (long k = i; k < n && k < i + 10; k++) {
            struct cs_id id;
            char name[128], date[32], card[32];
            cs_test_fill_id(&id, 10000 + (unsigned)k);
            snprintf(name, sizeof(name), "%s %s %ld", fam[k % 8], giv[(k / 8) % 8], k);
            bench_set_text(r, "member", &id, "full_name", name);
            bench_set_text(r, "member", &id, "sex", k % 2 ? "female" : "male");
            snprintf(date, sizeof(date), "%04ld-%02ld-%02ld", 1950 + k % 50, 1 + k % 12,
                     1 + k % 28);
            bench_set_text(r, "member", &id, "birth_date", date);
            bench_set_text(r, "member", &id, "ethnicity", k % 3 ? "Thái" : "Kinh");
            snprintf(card, sizeof(card), "%08ld", 38000000 + k);
            bench_set_text(r, "member", &id, "card_no", card);
            bench_set_text(r, "member", &id, "org_unit", org);
            bench_set_text(r, "member", &id, "status", "official");
            snprintf(date, sizeof(date), "%04ld-%02ld-%02ld", 1975 + k % 45, 1 + k % 12,
                     1 + k % 28);
            bench_set_text(r, "member", &id, "ceremony_on", date);
            snprintf(date, sizeof(date), "%04ld-%02ld-%02ld", 1976 + k % 45, 1 + k % 12,
                     1 + k % 28);
            bench_set_text(r, "member", &id, "official_on", date);
        }
        bench_check("commit", cs_replica_commit(r, bench_err, sizeof(bench_err)));
    }
}

int
main(int argc, char **argv)
{
    const char *home = getenv("CELLSYNC_HOME");
    char path[PATH_MAX], org[64] = "";
    struct cs_replica *r;
    long n = 0;

    if (argc == 3 && strcmp(argv[1], "members") == 0)
        n = atol(argv[2]);
    if (!((argc == 2 && strcmp(argv[1], "month") == 0) || n > 0)) {
        fprintf(stderr, "usage: cs_month month | members N\n");
        return 2;
    }
    if (home == NULL || home[0] == 0 || cs_init() != 0) {
        fprintf(stderr, "cs_month: CELLSYNC_HOME is not set\n");
        return 2;
    }
    snprintf(path, sizeof(path), "%s/replica.db", home);
    bench_check(path, cs_replica_open(&r, path, 0, NULL, bench_err, sizeof(bench_err)));
    if (cs_replica_meta_get(r, CS_META_ORG, org, sizeof(org)) != 0 || org[0] == 0)
        snprintf(org, sizeof(org), "CB-01");
    uint64_t before = cs_replica_seq(r);
    if (n > 0)
        build_members(r, org, n);
    else
        bench_month(r);

    /* Plain text of what was just written (this device's versions after before). */
    struct cs_changeset *cs = NULL;
    struct cs_since_filter own = {.only_origin = cs_replica_site(r)};
    bench_check("changes",
                cs_replica_changes_since(r, before, 0, &own, &cs, bench_err, sizeof(bench_err)));
    size_t cap = 4u << 20, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        bench_die("memory", CS_ENOMEM);
    for (size_t i = 0; i < cs_changeset_count(cs); i++) {
        struct cs_change c;
        char row[CS_ID_HEX_LEN + 1], val[2 * CS_ID_LEN + 1];
        cs_changeset_get(cs, i, &c);
        cs_id_to_hex(&c.row, row);
        if (c.value.type == CS_VTEXT)
            len += (size_t)snprintf(buf + len, cap - len, "%s\t%s\t%s\t%.*s\n", c.table, row,
                                    c.column, (int)c.value.n, (const char *)c.value.p);
        else if (c.value.type == CS_VINT)
            len += (size_t)snprintf(buf + len, cap - len, "%s\t%s\t%s\t%lld\n", c.table, row,
                                    c.column, (long long)c.value.i);
        else {
            sodium_bin2hex(val, sizeof(val), c.value.p,
                           c.value.n < CS_ID_LEN ? c.value.n : CS_ID_LEN);
            len += (size_t)snprintf(buf + len, cap - len, "%s\t%s\t%s\t%s\n", c.table, row,
                                    c.column, val);
        }
    }
    size_t zcap = ZSTD_compressBound(len);
    void *z = malloc(zcap);
    if (z == NULL)
        bench_die("memory", CS_ENOMEM);
    size_t z19 = ZSTD_compress(z, zcap, buf, len, 19);
    size_t z3 = ZSTD_compress(z, zcap, buf, len, 3);
    if (ZSTD_isError(z19) || ZSTD_isError(z3))
        bench_die("zstd", CS_ECOMPRESS);
    printf("changes=%zu plain=%zu zstd19=%zu zstd3=%zu\n", cs_changeset_count(cs), len, z19, z3);
    free(z);
    free(buf);
    cs_changeset_free(cs);
    cs_replica_close(r);
    return 0;
}
