#!/bin/sh
# SPDX-License-Identifier: MIT
# The field client (BENCHMARKS.md, section 6): `cellsync candidate add`
# latency, each run a fresh process on an initialised, never-synced device,
# N=50 rounds; the stripped binary size; the peak RSS of an add.
#   sh bench/bench_client.sh BUILD_DIR [OTHER_BUILD_DIR...]
#
# Each round runs, one after the other, the same commands, so the machine's
# noise falls on all of them alike:
#   add            BUILD's cellsync candidate add (its own data directory)
#   add OTHER      each other build's, when given (each its own data directory),
#                  e.g. the build before a change
#   /bin/true      what starting a process costs here
#   floor          a minimal C program (compiled here) that opens a replica
#                  made by the same `cellsync init` as cs_replica_open does
#                  (WAL, synchronous=FULL, no checkpoint on close) and
#                  commits one row: SQLite's open, schema and one fsync'd
#                  commit, the least an add can cost. The row goes to a table
#                  of its own (bench_floor, made once before the runs), not
#                  to the store's tables, which are private
#   sqlite3 :memory: 'select 1'  the sqlite3 shell, if installed
# WARM=n (default 0) first records n candidates with each build, untimed: a
# device that has been used for a while rather than a new one.
# Times are taken by a small C runner (fork, exec, wait4): wall time, CPU
# time (user + system) and peak RSS (ru_maxrss) of each run, as median
# [min..max], and the ratio of the add to each other command per round.
set -u
build=${1:?usage: bench_client.sh BUILD_DIR [OTHER_BUILD_DIR...]}
shift
others=$*
N=${N:-50}
WARM=${WARM:-0}
cellsync=$build/client/cellsync
dir=$(mktemp -d)
# `cellsync init` refuses a disk that is not encrypted (client/disk.c); these runs
# are on scratch data, so it checks a /sys in which $dir is on LUKS.
sh "$(dirname "$0")/../tests/tools/fake_sysfs.sh" "$dir/sys" crypt "$dir" || exit 1
export CELLSYNC_SYSFS="$dir/sys"
trap 'rm -rf "$dir"' EXIT
export LC_ALL=C.UTF-8 CELLSYNC_TODAY=2026-03-02
unset LANGUAGE CELLSYNC_HOME
CC=${CC:-cc}

cat >"$dir/runs.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* runs N LABEL -- CMD ARGS... [--- LABEL -- CMD ARGS...]...; "%i" in an argument is the round. */
struct cmd {
    const char *label;
    char **argv;
    int argc;
    long *wall, *cpu, *rss;
};

static int
cmpl(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static void
stats(const long *v, int n, double *med, long *lo, long *hi)
{
    long *s = malloc((size_t)n * sizeof(*s));
    memcpy(s, v, (size_t)n * sizeof(*s));
    qsort(s, (size_t)n, sizeof(*s), cmpl);
    *med = n % 2 ? (double)s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
    *lo = s[0];
    *hi = s[n - 1];
    free(s);
}

int
main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 0, nc = 0;
    struct cmd c[8];
    for (int i = 2; i < argc && nc < 8; nc++) {
        int j = i + 2;
        if (j > argc || strcmp(argv[i + 1], "--") != 0) {
            fprintf(stderr, "usage: runs N LABEL -- CMD... [--- LABEL -- CMD...]\n");
            return 2;
        }
        while (j < argc && strcmp(argv[j], "---") != 0)
            j++;
        c[nc] = (struct cmd){argv[i], argv + i + 2, j - i - 2, calloc(n, sizeof(long)),
                             calloc(n, sizeof(long)), calloc(n, sizeof(long))};
        i = j + 1;
    }
    if (n < 1 || nc < 1)
        return 2;
    int null = open("/dev/null", O_WRONLY);
    for (int r = 0; r < n; r++)
        for (int k = 0; k < nc; k++) {
            char *av[64], buf[64][512];
            int a;
            for (a = 0; a < c[k].argc && a < 63; a++) {
                char *p = strstr(c[k].argv[a], "%i");
                av[a] = c[k].argv[a];
                if (p != NULL) {
                    snprintf(buf[a], sizeof(buf[a]), "%.*s%d%s", (int)(p - av[a]), av[a], r + 1,
                             p + 2);
                    av[a] = buf[a];
                }
            }
            av[a] = NULL;
            struct timespec t0, t1;
            struct rusage ru;
            int st;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            pid_t pid = fork();
            if (pid == 0) {
                dup2(null, 1);
                execvp(av[0], av);
                _exit(127);
            }
            wait4(pid, &st, 0, &ru);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                fprintf(stderr, "bench_client: %s failed (status %d)\n", c[k].label, st);
            c[k].wall[r] = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
            c[k].cpu[r] = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L +
                          ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
            c[k].rss[r] = ru.ru_maxrss;
        }
    printf("  %-24s %-28s %-26s %s\n", "n=", "wall ms", "CPU ms (user+sys)", "peak RSS KiB");
    for (int k = 0; k < nc; k++) {
        double mw, mc, mr;
        long lw, hw, lc, hc, lr, hr;
        stats(c[k].wall, n, &mw, &lw, &hw);
        stats(c[k].cpu, n, &mc, &lc, &hc);
        stats(c[k].rss, n, &mr, &lr, &hr);
        printf("  %-24s %6.2f [%5.2f..%6.2f]       %5.2f [%4.2f..%5.2f]       %5.0f [%ld..%ld]\n",
               c[k].label, mw / 1000, lw / 1000.0, hw / 1000.0, mc / 1000, lc / 1000.0,
               hc / 1000.0, mr, lr, hr);
    }
    for (int k = 1; k < nc; k++) {
        long *q = calloc(n, sizeof(long)), *d = calloc(n, sizeof(long));
        double mq, md;
        long lq, hq, ld, hd;
        for (int r = 0; r < n; r++) {
            q[r] = c[0].wall[r] * 1000 / (c[k].wall[r] ? c[k].wall[r] : 1);
            d[r] = c[0].wall[r] - c[k].wall[r];
        }
        stats(q, n, &mq, &lq, &hq);
        stats(d, n, &md, &ld, &hd);
        printf("  %s / %s, per round: ratio %.2f [%.2f..%.2f], difference %.2f ms\n",
               c[0].label, c[k].label, mq / 1000, lq / 1000.0, hq / 1000.0, md / 1000);
    }
    printf("  (n=%d rounds)\n", n);
    return 0;
}
EOF

cat >"$dir/floor.c" <<'EOF'
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/*
 * Opens a replica as cs_replica_open does and commits one row, durably, to a
 * table of its own; with "create", makes that table (once, untimed).
 */
int
main(int argc, char **argv)
{
    sqlite3 *db = NULL;
    int create = argc == 3 && strcmp(argv[2], "create") == 0;
    int rc = argc == 2 || create ? sqlite3_open_v2(argv[1], &db,
                                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
                                 : SQLITE_MISUSE;
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 3000);
        rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", 0, 0, 0);
        sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    }
    /* The shape of the small settings table an add also writes. */
    if (rc == SQLITE_OK && create)
        rc = sqlite3_exec(db,
                          "CREATE TABLE bench_floor (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID",
                          0, 0, 0);
    else if (rc == SQLITE_OK)
        rc = sqlite3_exec(db,
                          "BEGIN IMMEDIATE; INSERT INTO bench_floor(key, value)"
                          " VALUES ('bench_floor', hex(randomblob(8)))"
                          " ON CONFLICT(key) DO UPDATE SET value = excluded.value; COMMIT;",
                          0, 0, 0);
    if (rc != SQLITE_OK)
        fprintf(stderr, "floor: %s\n", db ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_close(db);
    return rc != SQLITE_OK;
}
EOF
sqlite_flags=$(pkg-config --cflags --libs sqlite3 2>/dev/null || echo -lsqlite3)
# shellcheck disable=SC2086
if ! $CC -O2 -o "$dir/runs" "$dir/runs.c" ||
    ! $CC -O2 -o "$dir/floor-commit" "$dir/floor.c" $sqlite_flags; then
    echo "bench_client: cannot compile the runner (needs $CC and libsqlite3-dev)" >&2
    exit 1
fi

CELLSYNC_HOME=$dir/home "$cellsync" init >/dev/null || exit 1
CELLSYNC_HOME=$dir/floor-home "$cellsync" init >/dev/null || exit 1
"$dir/floor-commit" "$dir/floor-home/replica.db" create || exit 1
name="Nguyễn Văn Sỹ %i" town="Bản Khe Ván, xã Mường Lý, huyện Mường Lát, Thanh Hóa"
warm() { # CELLSYNC HOME
    i=0
    while [ "$i" -lt "$WARM" ]; do
        i=$((i + 1))
        CELLSYNC_HOME=$2 "$1" candidate add --name "Lò Văn Pằng $i" --sex male \
            --birth-date 2001-05-17 --hometown "$town" >/dev/null || exit 1
    done
}
warm "$cellsync" "$dir/home"
set -- add -- env CELLSYNC_HOME="$dir/home" "$cellsync" candidate add --name "$name" --sex male \
    --birth-date 1998-01-03 --hometown "$town" --phone 0912345678
k=0
for o in $others; do
    k=$((k + 1))
    CELLSYNC_HOME=$dir/other$k "$o/client/cellsync" init >/dev/null || exit 1
    warm "$o/client/cellsync" "$dir/other$k"
    set -- "$@" --- "add ($k)" -- env CELLSYNC_HOME="$dir/other$k" "$o/client/cellsync" \
        candidate add --name "$name" --sex male --birth-date 1998-01-03 --hometown "$town" \
        --phone 0912345678
done
set -- "$@" --- /bin/true -- /bin/true --- floor -- "$dir/floor-commit" "$dir/floor-home/replica.db"
command -v sqlite3 >/dev/null && set -- "$@" --- "sqlite3 :memory:" -- sqlite3 :memory: "select 1"

echo "bench_client: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)," \
    "kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "  add: $cellsync"
[ "$WARM" -eq 0 ] || echo "  each data directory held $WARM candidates before the runs"
k=0
for o in $others; do
    k=$((k + 1))
    echo "  add ($k): $o/client/cellsync"
done
"$dir/runs" "$N" "$@"
k=0
for h in home $(for o in $others; do k=$((k + 1)); echo other$k; done); do
    echo "  after the runs, $h: replica.db $(stat -c %s "$dir/$h/replica.db") bytes," \
        "replica.db-wal $(stat -c %s "$dir/$h/replica.db-wal" 2>/dev/null || echo 0) bytes"
done

cp "$cellsync" "$dir/cellsync.stripped"
strip "$dir/cellsync.stripped"
echo "  binary $(stat -c %s "$cellsync") bytes; stripped $(stat -c %s "$dir/cellsync.stripped") bytes"
echo "  linked: $(ldd "$cellsync" | awk '$1 !~ /vdso/ {print $1}' | tr '\n' ' ')"
# What adds ask of the kernel, one after the other, in the data directory
# of the runs above: the syncs (fsync and fdatasync; a checkpoint shows as
# extra ones) and the reads (pread64: most are the WAL read at open).
kernel() { # LABEL CELLSYNC HOME
    syncs='' reads='' calls=''
    for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
        CELLSYNC_HOME=$3 strace -f -c -o "$dir/strace" "$2" candidate add \
            --name "Hà Thị Mai $i" --sex female --hometown "$town" >/dev/null 2>&1
        syncs="$syncs $(awk '$NF ~ /^f(data)?sync$/ { n += $4 } END { print n + 0 }' "$dir/strace")"
        reads="$reads $(awk '$NF == "pread64" { n += $4 } END { print n + 0 }' "$dir/strace")"
        calls="$calls $(awk '$NF == "total" { print $4 }' "$dir/strace")"
    done
    echo "  12 more adds, $1 (strace -c), syncs each:$syncs"
    echo "    pread64 each:$reads"
    echo "    syscalls each:$calls"
}
if command -v strace >/dev/null; then
    kernel add "$cellsync" "$dir/home"
    k=0
    for o in $others; do
        k=$((k + 1))
        kernel "add ($k)" "$o/client/cellsync" "$dir/other$k"
    done
fi
