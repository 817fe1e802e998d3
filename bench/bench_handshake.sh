#!/bin/sh
# SPDX-License-Identifier: MIT
# The wall time of a whole `cellsync sync` with nothing to send either way
# (connect, handshake, session start, DONE both ways, exit) against a real
# `cellsyncd serve` on loopback, for one or more builds in the same rounds
# (BENCHMARKS.md, "Handshake"), e.g. the build before the Noise IK handshake
# and the one after. Each build gets its own hub (its own cellsyncd) and an
# enrolled device that has synced once; every round then runs, one after the
# other, each build's empty sync and `cellsync --version` of the first build
# (what starting the process costs here), so the machine's noise falls on all
# of them alike. Prints each run, then median [min..max] of each and, per
# round, the ratio of each build's sync to the first build's.
#   [RUNS=30] sh bench/bench_handshake.sh BUILD_DIR [OTHER_BUILD_DIR...]
set -u
[ $# -ge 1 ] || {
    echo "usage: bench_handshake.sh BUILD_DIR [OTHER_BUILD_DIR...]" >&2
    exit 2
}
RUNS=${RUNS:-30}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
export CELLSYNC_TODAY=2026-03-02
unset CELLSYNC_HOME
now_us() { echo $(($(date +%s%N) / 1000)); }

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
EOF

# setup K BUILD: hub K (its own state and port) and device K, enrolled and synced once.
setup() {
    k=$1 b=$2
    "$b/daemon/cellsyncd" init --state "$dir/hub$k" --org-tree "$dir/tree.csv" >/dev/null \
        2>"$dir/err" || die "$b: hub init: $(cat "$dir/err")"
    # Every build's hub serves through all the rounds: kept in $pids, not as the hub.
    hub_log=$dir/hub$k.log hub_serve "$b/daemon/cellsyncd" "$dir/hub$k"
    pids="$pids $hubpid" hubpid=
    echo "$addr" >"$dir/addr$k"
    device_enroll "$b/daemon/cellsyncd" "$b/client/cellsync" "$dir/hub$k" "$dir/dev$k" "máy a"
    CELLSYNC_HOME="$dir/dev$k" "$b/client/cellsync" sync --quiet --hub "$addr" \
        >/dev/null 2>"$dir/err" || die "$b: device: $(cat "$dir/err")"
}

k=0
for b in "$@"; do
    k=$((k + 1))
    [ -x "$b/client/cellsync" ] && [ -x "$b/daemon/cellsyncd" ] || die "$b: no cellsync/cellsyncd"
    setup $k "$b"
done

echo "bench_handshake: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)," \
    "kernel $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ), RUNS=$RUNS, load $(cut -d' ' -f1-3 \
        /proc/loadavg)"
for r in $(seq 1 "$RUNS"); do
    line="round $r:"
    k=0
    for b in "$@"; do
        k=$((k + 1))
        t0=$(now_us)
        CELLSYNC_HOME="$dir/dev$k" "$b/client/cellsync" sync --quiet --hub "$(cat "$dir/addr$k")" \
            >/dev/null 2>"$dir/err" || die "$b: sync: $(cat "$dir/err")"
        t1=$(now_us)
        echo "$((t1 - t0))" >>"$dir/sync$k"
        line="$line sync$k=$((t1 - t0))us"
    done
    t0=$(now_us)
    "$1/client/cellsync" --version >/dev/null || die "$1: --version"
    t1=$(now_us)
    echo "$((t1 - t0))" >>"$dir/start"
    echo "$line start=$((t1 - t0))us"
done

# stats NAME FILE: median [min..max] of the numbers in FILE (microseconds, printed in ms).
stats() {
    sort -n "$2" | awk -v n="$1" '{ v[NR] = $1 }
        END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
              printf "  %-44s %8.2f ms [%.2f..%.2f]  (n=%d)\n", n, m / 1000, v[1] / 1000,
                  v[NR] / 1000, NR }'
}
# ratio NAME FILE_A FILE_B: median [min..max] of A/B, line by line (per round).
ratio() {
    paste "$2" "$3" | awk '{ print $1 / $2 }' | sort -g | awk -v n="$1" '{ v[NR] = $1 }
        END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
              printf "  %-44s %8.3f [%.3f..%.3f]\n", n, m, v[1], v[NR] }'
}
echo "median [min..max]:"
k=0
for b in "$@"; do
    k=$((k + 1))
    stats "empty sync, $b" "$dir/sync$k"
done
stats "process start (cellsync --version of $1)" "$dir/start"
echo "per round:"
k=0
for b in "$@"; do
    k=$((k + 1))
    [ $k -gt 1 ] && ratio "sync $b / sync $1" "$dir/sync$k" "$dir/sync1"
    ratio "sync $b / process start" "$dir/sync$k" "$dir/start"
done
:
