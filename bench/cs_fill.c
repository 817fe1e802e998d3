/* SPDX-License-Identifier: MIT */
/*
 * Fills a hub's state with N registers in one unit (bench_store.sh: first contact of
 * a device at a hub holding N registers it cannot see). Members of 7 registers each
 * (name, status, sex, birth date, home town, phone, unit), Vietnamese text, written
 * through the replica API as the hub's own local transactions of 1,000 members, with
 * synchronous=OFF (a scratch hub; the fill is not timed), then checkpointed.
 *
 *   cs_fill STATE UNIT REGISTERS
 */
#include <stdio.h>
#include <stdlib.h>

#include "cellsync/error.h"
#include "cellsync/id.h"
#include "cellsync/replica.h"
#include "cellsync/version.h"
#include "hub.h"

#define PER_TX 1000
#define REGS   7

static char err[1024];

static const char *const family[] = {"Lò", "Vì", "Hà", "Lường", "Cầm", "Sầm", "Quàng", "Đinh"};
static const char *const given[] = {"Văn Páo",  "Thị Xuân", "Văn Chiến", "Thị Ngọc",
                                    "Bá Thước", "Thị Lụa",  "Văn Tráng", "Thị Hằng"};
static const char *const town[] = {"Bản Nà Hẩu, xã Mường Lý", "Bản Pù Quăn, xã Mường Lý",
                                   "Bản Sài Khao, xã Mường Lý", "Bản Khe Ván, xã Mường Lý"};

static void
die(const char *what, int ret)
{
    fprintf(stderr, "cs_fill: %s: %s\n", what, err[0] ? err : cs_strerror(ret));
    exit(1);
}

static void
put(struct cs_replica *r, const struct cs_id *id, const char *col, const char *text)
{
    int ret = cs_replica_set_text(r, "member", id, col, text, err, sizeof(err));
    if (ret != 0)
        die(col, ret);
}

int
main(int argc, char **argv)
{
    struct hub *h;
    int ret;
    if (argc != 4) {
        fprintf(stderr, "usage: cs_fill STATE UNIT REGISTERS\n");
        return 2;
    }
    long rows = atol(argv[3]) / REGS;
    if ((ret = cs_init()) != 0 || (ret = hub_open(&h, argv[1], err, sizeof(err))) != 0)
        die(argv[1], ret);
    struct cs_replica *r = hub_replica(h);
    sqlite3_exec(cs_replica_db(r), "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    for (long i = 0; i < rows; i += PER_TX) {
        if ((ret = cs_replica_begin(r, err, sizeof(err))) != 0)
            die("begin", ret);
        for (long k = i; k < rows && k < i + PER_TX; k++) {
            struct cs_id id;
            char name[96], born[16], phone[16];
            cs_id_new(&id);
            snprintf(name, sizeof(name), "%s %s %ld", family[k % 8], given[(k / 8) % 8], k);
            snprintf(born, sizeof(born), "%04ld-%02ld-%02ld", 1950 + k % 50, 1 + k % 12,
                     1 + k % 28);
            snprintf(phone, sizeof(phone), "098%07ld", k % 10000000);
            put(r, &id, "full_name", name);
            put(r, &id, "status", k % 5 ? "official" : "probationary");
            put(r, &id, "sex", k % 2 ? "female" : "male");
            put(r, &id, "birth_date", born);
            put(r, &id, "hometown", town[k % 4]);
            put(r, &id, "phone", phone);
            put(r, &id, "org_unit", argv[2]);
        }
        if ((ret = cs_replica_commit(r, err, sizeof(err))) != 0)
            die("commit", ret);
    }
    sqlite3_exec(cs_replica_db(r), "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    printf("cs_fill: %ld members, %ld registers in %s, hub seq %llu\n", rows, rows * REGS, argv[2],
           (unsigned long long)cs_replica_seq(r));
    hub_close(h);
    return 0;
}
