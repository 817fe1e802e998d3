#!/bin/sh
# SPDX-License-Identifier: MIT
# First contact against hub size (BENCHMARKS.md, section 5b): DEVICES fresh devices
# (cursor 0) sync once, all at once, with a hub of one district, 25 communes and 50
# cells that also holds commune XA-FILL with N registers of candidates (bench/hub_fill,
# local transactions of the hub), out of every device's scope. For each N in SIZES the
# hub is made once per build (its own `cellsyncd init` and hub_fill) and copied for each
# run. Each run serves every size with the baseline build (A), then with BUILD_DIR's (B),
# back to back, each with its own cs_swarm. Per sync: the daemon's CPU
# (/proc/PID/task/*/schedstat, ns), p50 wall; and how many devices were dropped.
#   sh bench/bench_first.sh BUILD_DIR [BASELINE_BUILD_DIR]
#   RUNS=5 DEVICES=20 SIZES="0 1000000"
# A baseline without bench/hub_fill gets one built from this file's source against
# its own libraries (bench/hub_fill.c needs only hub.h, the replica API and
# tests/common/bulk.c).
set -u
build=${1:?usage: bench_first.sh BUILD_DIR [BASELINE_BUILD_DIR]}
base=${2:-}
RUNS=${RUNS:-5} DEVICES=${DEVICES:-20} SIZES=${SIZES:-"0 1000000"}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
org_tree 25 50 XA-FILL
hub_conf
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f", s}'; }

labels=B
[ -n "$base" ] && labels="A B"
bdir() { if [ "$1" = A ]; then echo "$base"; else echo "$build"; fi; }
for l in $labels; do
    b=$(bdir "$l")
    fill=$b/bench/hub_fill
    if [ ! -x "$fill" ]; then
        src=$(cd "$b/.." && pwd)
        fill=$dir/hub_fill.$l
        # shellcheck disable=SC2046 # the include directories, one word each
        cc -O2 -o "$fill" "$(dirname "$0")/hub_fill.c" "$(dirname "$0")/../tests/common/bulk.c" \
            -I"$(dirname "$0")/../tests/common" -I"$src/daemon" \
            $(for i in "$src"/proto/*/include; do echo "-I$i"; done) \
            "$b/daemon/libcellsyncd_core.a" "$b/proto/libcellsync_proto.a" \
            -lsqlite3 -lsodium -lmsgpackc -lzstd -lutf8proc -lm || die "cannot build hub_fill for $b"
    fi
    for n in $SIZES; do
        t=$dir/tmpl.$l.$n
        "$b/daemon/cellsyncd" init --state "$t" --org-tree "$dir/tree.csv" >/dev/null ||
            die "init failed ($b)"
        [ "$n" -gt 0 ] && { "$fill" "$t" XA-FILL "$n" >/dev/null || die "hub_fill failed ($b)"; }
        echo "hub $l N=$n: $(stat -c %s "$t/replica.db") bytes"
    done
done

one() { # RUN LABEL N
    b=$(bdir "$2")
    rm -rf "$dir/hub"
    cp -a "$dir/tmpl.$2.$3" "$dir/hub"
    hub_serve "$b/daemon/cellsyncd" "$dir/hub" --config "$dir/conf"
    c0=$(cpu_ns $hubpid)
    "$b/bench/cs_swarm" --hub "$addr" --state "$dir/hub" \
        --devices "$DEVICES" --rounds 1 --seq-devices 0 --hub-pid "$hubpid" >"$dir/out" 2>&1
    c1=$(cpu_ns $hubpid)
    hub_stop
    line=$(grep '^round=1 ' "$dir/out")
    okn=$(echo "$line" | sed -n 's/.* ok=\([0-9]*\).*/\1/p')
    p50=$(echo "$line" | sed -n 's/.* p50_ms=\([0-9.]*\).*/\1/p')
    dropped=$(grep -c 'no handshake in time' "$dir/hub.log")
    echo "run $1 $2 N=$3 ok=${okn:-0} dropped=$dropped p50_ms=${p50:--}" \
        "cpu_ms_per_sync=$(echo "$c1 $c0 ${okn:-0}" | awk '{printf "%.3f", $3 ? ($1 - $2) / 1e6 / $3 : 0}')" |
        tee -a "$dir/lines"
}

echo "bench_first: $DEVICES first contacts at once; sizes $SIZES; $RUNS runs; $(nproc) CPUs"
for run in $(seq 1 "$RUNS"); do
    echo "run $run: load average $(cut -d' ' -f1-3 /proc/loadavg)"
    for n in $SIZES; do
        for l in $labels; do one "$run" "$l" "$n"; done
    done
done

med() { # LABEL N KEY
    grep " $1 N=$2 " "$dir/lines" | sed -n "s/.* $3=\([0-9.]*\).*/\1/p" | sort -g | awk '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "-"; exit }
            m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.3f [%.3f..%.3f]\n", m, v[1], v[NR]
        }'
}
echo
echo "median [min..max] over $RUNS runs (A: ${base:-none}, B: $build):"
for l in $labels; do
    for n in $SIZES; do
        printf '%s N=%-8s cpu ms/sync %-28s p50 ms %-28s ok %s dropped %s\n' "$l" "$n" \
            "$(med "$l" "$n" cpu_ms_per_sync)" "$(med "$l" "$n" p50_ms)" \
            "$(med "$l" "$n" ok)" "$(med "$l" "$n" dropped)"
    done
done
# shellcheck disable=SC2086 # the sizes, one word each
set -- $SIZES
small=$1 large=$(eval echo "\${$#}")
for l in $labels; do
    echo "$l: cpu per first contact at N=$large / at N=$small:" \
        "$(grep " $l N=$large " "$dir/lines" | sed -n 's/.* cpu_ms_per_sync=\([0-9.]*\).*/\1/p' |
            sort -g | awk '{v[NR]=$1} END {print NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}')" \
        "/ $(grep " $l N=$small " "$dir/lines" | sed -n 's/.* cpu_ms_per_sync=\([0-9.]*\).*/\1/p' |
            sort -g | awk '{v[NR]=$1} END {print NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}')"
done
