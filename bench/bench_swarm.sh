#!/bin/sh
# SPDX-License-Identifier: MIT
# Many devices syncing at once against one real `cellsyncd serve` on loopback
# (BENCHMARKS.md, section 5). Each run: a fresh hub of one district, 25
# communes and CELLS cells; bench/cs_swarm (one libuv process) enrolls
# DEVICES devices through the hub's own code (DEVICES/CELLS per cell) and
# then runs ROUNDS rounds in which every device syncs once, CONC at a time
# (round 1: first contact, the enrollment completing in the handshake; later
# rounds: small syncs, CHANGES changes up and the sibling's changes down),
# then the baseline: SEQ devices doing the same small sync one after the
# other. The daemon's CPU time comes from /proc/PID/stat around each round,
# its peak RSS from VmHWM in /proc/PID/status (the pid is the one this script
# started). Prints each run's lines, then the median [min..max] over RUNS.
# With a second build directory, each run serves the same workload first with
# that build's cellsyncd (the baseline, "A"), then with BUILD_DIR's ("B"),
# back to back, so both meet the same load on a shared machine; the table
# then has a column for each. Each build is driven by its own cs_swarm (when
# it has one, else BUILD_DIR's): builds of different wire versions cannot
# talk to one another, and each swarm speaks its build's protocol.
#   sh bench/bench_swarm.sh BUILD_DIR [BASELINE_BUILD_DIR]
#   RUNS=5 DEVICES=1000 CELLS=500 ROUNDS=3 CONC=1000 CHANGES=3 SEQ=200
#   PROFILE=FILE: perf record -g BUILD_DIR's daemon during the first run into FILE
#   SYNC_REPORT=1: after each run, the time of `cellsyncd report sync` on the hub it filled
set -u
build=${1:?usage: bench_swarm.sh BUILD_DIR [BASELINE_BUILD_DIR]}
base=${2:-}
RUNS=${RUNS:-5} DEVICES=${DEVICES:-1000} CELLS=${CELLS:-500} ROUNDS=${ROUNDS:-3}
CONC=${CONC:-$DEVICES} CHANGES=${CHANGES:-3} SEQ=${SEQ:-200} PROFILE=${PROFILE:-}
SYNC_REPORT=${SYNC_REPORT:-}
swarm=$build/bench/cs_swarm
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$swarm" ] || die "no $swarm: build the bench first"

org_tree 25 "$CELLS"
hub_conf

run() { # N LABEL BUILD: one run, its lines in $dir/run.LABEL.N
    cellsyncd=$3/daemon/cellsyncd
    sw=$3/bench/cs_swarm
    [ -x "$sw" ] || sw=$swarm
    rm -rf "$dir/hub"
    "$cellsyncd" init --state "$dir/hub" --org-tree "$dir/tree.csv" >/dev/null 2>"$dir/err" ||
        die "init: $(cat "$dir/err")"
    hub_serve "$cellsyncd" "$dir/hub" --config "$dir/conf"
    if [ -n "$PROFILE" ] && [ "$1" = 1 ] && [ "$2" = B ]; then
        perf record -F 499 -g --call-graph dwarf,16384 -p "$hubpid" -o "$PROFILE" \
            2>"$dir/perf.log" &
        pids=$!
        sleep 0.5
    fi
    "$sw" --hub "$addr" --state "$dir/hub" --devices "$DEVICES" \
        --concurrency "$CONC" --rounds "$ROUNDS" --changes "$CHANGES" --seq-devices "$SEQ" \
        --hub-pid "$hubpid" >"$dir/run.$2.$1" 2>"$dir/swarm.err"
    rc=$?
    if [ -n "$pids" ]; then
        kill -INT "$pids" # perf writes its file on SIGINT
        wait "$pids"
        pids=
    fi
    hub_stop
    grep 'event=worker' "$dir/hub.log" | sed 's/.*event=worker/worker/' >>"$dir/run.$2.$1"
    if [ -n "$SYNC_REPORT" ]; then
        # The sync report on the hub the swarm filled (its pending: a count per device).
        t0=$(date +%s%N)
        "$cellsyncd" report sync --state "$dir/hub" --config "$dir/conf" --format json \
            --out "$dir/sync.json" || die "report sync failed"
        echo "sync_report ms=$((($(date +%s%N) - t0) / 1000000))" >>"$dir/run.$2.$1"
    fi
    sed "s/^/run $1 $2: /" "$dir/run.$2.$1"
    [ $rc -eq 0 ] || {
        echo "run $1 $2: cs_swarm exited $rc: $(head -5 "$dir/swarm.err")"
        grep -v 'event=hello\|reason="done"' "$dir/hub.log" | tail -5
    }
}

echo "bench_swarm: $DEVICES devices in $CELLS cells, concurrency $CONC, $ROUNDS rounds," \
    "$CHANGES changes a sync, baseline $SEQ sequential; $RUNS runs; $(nproc) CPUs"
labels=B
[ -n "$base" ] && labels="A B"
for n in $(seq 1 "$RUNS"); do
    echo "run $n: load average $(cut -d' ' -f1-3 /proc/loadavg)"
    [ -n "$base" ] && run "$n" A "$base"
    run "$n" B "$build"
done

# med LABEL LINE_PATTERN KEY [SCALE]: median [min..max] of KEY over the runs' lines matching.
med() {
    for n in $(seq 1 "$RUNS"); do
        grep "$2" "$dir/run.$1.$n" | sed "s/^/ /" | sed -n "s/.* $3=\([0-9.]*\).*/\1/p"
    done | sort -g | awk -v s="${4:-1}" '
        { v[NR] = $1 * s }
        END {
            if (NR == 0) { print "-"; exit }
            m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.1f [%.1f..%.1f]\n", m, v[1], v[NR]
        }'
}
# row TITLE LINE_PATTERN KEY [SCALE]: one line of the table, a column per build.
row() {
    line=$(printf '%-36s' "$1")
    for l in $labels; do line="$line $(printf '%-28s' "$(med "$l" "$2" "$3" "${4:-}")")"; done
    echo "$line"
}
echo
echo "median [min..max] over $RUNS runs:"
if [ -n "$base" ]; then
    printf '%-36s %-28s %-28s\n' "figure" "A: $base" "B: $build"
else
    printf '%-36s %-28s\n' "figure" "$build"
fi
row "round 1 (first contact) syncs/s" 'kind=first' syncs_per_s
row "round 1 p50 ms" 'kind=first' p50_ms
row "round 1 p99 ms" 'kind=first' p99_ms
row "small rounds syncs/s" 'summary kind=small' syncs_per_s
row "small rounds p50 ms" 'summary kind=small' p50_ms
row "small rounds p99 ms" 'summary kind=small' p99_ms
row "all rounds syncs/s" 'summary kind=all' syncs_per_s
row "hub CPU ms per sync, round 1" 'kind=first' hub_cpu_ms_per_sync
[ -n "$SYNC_REPORT" ] && row "report sync ms (after the rounds)" 'sync_report' ms
row "hub CPU ms per sync, small rounds" 'summary kind=small' hub_cpu_ms_per_sync
row "cs_swarm CPU ms, all rounds" 'summary kind=all' swarm_cpu_ms
row "hub VmHWM MiB" 'hub_vmhwm_kb' hub_vmhwm_kb 0.0009765625
row "sequential: syncs/s" 'kind=sequential' syncs_per_s
row "sequential: p50 ms" 'kind=sequential' p50_ms
row "sequential: hub CPU ms per sync" 'kind=sequential' hub_cpu_ms_per_sync
row "hub log syncs (fdatasync) per run" '^worker' log_syncs
fail=0
for l in $labels; do
    for n in $(seq 1 "$RUNS"); do
        grep -q ' failed=[1-9]' "$dir/run.$l.$n" && fail=1
    done
done
[ $fail -eq 0 ] || echo "bench_swarm: some syncs FAILED (see the lines above)"
exit $fail
