/* SPDX-License-Identifier: MIT */
/*
 * Fills a hub made by `cellsyncd init` with N registers of candidates of one
 * org unit (7 text registers each, as merge_load.c's device writes them), as
 * local transactions of 500 candidates of the hub itself, through hub_open
 * (so the hub's own hooks, the change log's among them, see every row). For
 * the first contact against hub size (bench_first.sh): the unit lies outside
 * every measured device's scope.
 *   hub_fill STATE ORG NREGS
 */
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "cellsync/error.h"
#include "cellsync/id.h"
#include "cellsync/replica.h"
#include "cellsync/version.h"
#include "hub.h"

static char err[1024];

static void
die(const char *what, int ret)
{
    fprintf(stderr, "hub_fill: %s: %s (%d)\n", what, err, ret);
    exit(1);
}

static const char *const family[] = {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Lò", "Đinh", "Hà"};
static const char *const given[] = {"Văn Sỹ",   "Thị Hoa",    "Văn Thắng", "Thị Ánh",
                                    "Văn Dũng", "Thị Phượng", "Đức Mạnh",  "Thị Hường"};
static const char *const place[] = {"Bản Khe Ván, xã Mường Lý, huyện Mường Lát, tỉnh Thanh Hóa",
                                    "Bản Pù Quăn, xóm 2, xã Mường Lý, huyện Mường Lát",
                                    "Thôn Đông, xã Quảng Phú, huyện Quảng Xương",
                                    "Tổ dân phố 5, phường Điện Biên, thành phố Thanh Hóa"};

int
main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: hub_fill STATE ORG NREGS\n");
        return 2;
    }
    long n = atol(argv[3]) / 7;
    struct hub *h;
    int ret;
    if (cs_init() != 0)
        return 1;
    if ((ret = hub_open(&h, argv[1], err, sizeof(err))) != 0)
        die("open", ret);
    struct cs_replica *r = hub_replica(h);
    /* Scratch data: a crash loses nothing worth the fsyncs. */
    sqlite3_exec(cs_replica_db(r), "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    for (long i = 0; i < n; i += 500) {
        if ((ret = cs_replica_begin(r, err, sizeof(err))) != 0)
            die("begin", ret);
        for (long k = i; k < n && k < i + 500; k++) {
            struct cs_id id;
            char name[128], phone[32], note[256];
            cs_id_new(&id);
            snprintf(name, sizeof(name), "%s %s %ld", family[k % 8], given[(k / 8) % 8], k);
            snprintf(phone, sizeof(phone), "09%08ld", k);
            snprintf(note, sizeof(note),
                     "Quần chúng ưu tú số %ld, đoàn viên tích cực, được chi bộ phân công giúp đỡ",
                     k);
            const char *col[] = {"full_name", "stage", "identified_on", "phone",
                                 "hometown",  "note",  "org_unit"};
            const char *val[] = {name,         "identified", "2026-03-02", phone,
                                 place[k % 4], note,         argv[2]};
            for (int c = 0; c < 7; c++)
                if ((ret = cs_replica_set_text(r, "candidate", &id, col[c], val[c], err,
                                               sizeof(err))) != 0)
                    die(col[c], ret);
        }
        if ((ret = cs_replica_commit(r, err, sizeof(err))) != 0)
            die("commit", ret);
    }
    sqlite3_exec(cs_replica_db(r), "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    printf("hub_fill: %ld candidates, %ld registers, hub seq %llu\n", n, n * 7,
           (unsigned long long)cs_replica_seq(r));
    hub_close(h);
    return 0;
}
