#!/bin/sh
# SPDX-License-Identifier: MIT
# Many devices at once: 200 devices in 4 cells, each with 3 new candidates,
# start `cellsync sync` at the same moment against one hub. Every sync must
# succeed and the hub must hold the 600 candidates once; after a second
# round, again all at once, every device holds exactly its cell's 150 and
# all devices of a cell have the same state hash. Prints the wall time of
# the concurrent rounds and the syncs per second. Bounded to 120 s.
set -u
# The whole test runs under timeout(1): at 120 s the shell gets SIGTERM and cleans up.
if [ -z "${CS_TEST_BOUNDED:-}" ]; then
    CS_TEST_BOUNDED=1 exec timeout -k 10 120 sh "$0" "$@"
fi
cellsync=$1 cellsyncd=$2 bulk=$3 fixture=$4
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"
trap 'echo "FAIL: stopped after 120 s or by a signal"; exit 1' INT TERM
DEVICES=${CS_MANY_DEVICES:-200} CELLS=4 PER_DEVICE=3
PER_CELL=$((DEVICES / CELLS)) # devices in a cell

# The hub's CPU time so far in ms (user + system), 0 where /proc has no stat.
hub_cpu_ms() {
    if [ -r "/proc/$hubpid/stat" ]; then
        # Fields 14 and 15 after the command name, which may hold spaces.
        sed 's/^.*) //' "/proc/$hubpid/stat" |
            awk -v hz="$(getconf CLK_TCK)" '{ print int(($12 + $13) * 1000 / hz) }'
    else
        echo 0
    fi
}
cell_of() { echo "CB-0$((($1 - 1) % CELLS + 1))"; }
devs() { seq 1 "$DEVICES"; }

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CB-02,XA-ML,cell,village,"Chi bộ bản Pù Quăn, xóm 2"
CB-03,XA-ML,cell,village,"Chi bộ bản Na Tao"
CB-04,XA-ML,cell,village,"Chi bộ bản Sài Khao"
EOF
"$cellsyncd" init --state "$dir/hub" --org-tree "$dir/tree.csv" >/dev/null 2>"$err" ||
    bad "hub init"
# Every simulated device is on 127.0.0.1: one address syncing hundreds of times in seconds is
# over the per-address handshake rate (handshakes_per_address), which this test does not measure.
echo "handshakes_per_address = 100000" >"$dir/hub.conf"
start_hub "$dir/hub" --config "$dir/hub.conf"
# In a sanitizer build every process keeps up to 256 MiB of freed memory in
# quarantine, and checks for leaks as it exits: 200 clients at once would not
# fit in memory, and the leak checks of 1400 short processes cost more than
# the test. The hub, started above, keeps the full checks; the clients and
# helpers are checked by the other tests.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8:detect_leaks=0"

# One job per cell sets up its devices: the enrollment at the hub (a short
# BEGIN IMMEDIATE transaction, so the jobs just wait their turn), then the
# device's init, enroll and its 3 candidates.
t0=$(now_ms)
jobs=
for c in $(seq 1 $CELLS); do
    (
        for i in $(seq "$c" $CELLS "$DEVICES"); do
            export CELLSYNC_HOME="$dir/d$i"
            { "$cellsyncd" enroll --state "$dir/hub" --org "$(cell_of "$i")" --role cell \
                --name "máy $i" --addr "$addr" --out "$dir/$i.enroll" &&
                "$cellsync" init && "$cellsync" enroll "$dir/$i.enroll" &&
                "$bulk" candidates $PER_DEVICE; } >/dev/null 2>"$dir/setup.$i" ||
                echo "device $i: $(cat "$dir/setup.$i")" >>"$dir/setup.failed"
        done
    ) &
    jobs="$jobs $!"
done
for p in $jobs; do wait "$p"; done
if [ -s "$dir/setup.failed" ]; then
    bad "device setup: $(head -3 "$dir/setup.failed")"
else
    ok
fi
echo "set up $DEVICES devices in $CELLS cells in $((($(now_ms) - t0) / 1000)) s"

# round NAME: all devices sync at once; each must exit 0.
round() {
    pids=
    cpu0=$(hub_cpu_ms)
    start=$(now_ms)
    for i in $(devs); do
        CELLSYNC_HOME="$dir/d$i" "$cellsync" sync --quiet >"$dir/sync.$i" 2>&1 &
        pids="$pids $!:$i"
        bg_pids="$bg_pids $!"
    done
    failed=0
    for pi in $pids; do
        wait "${pi%%:*}"
        rc=$?
        if [ $rc -ne 0 ]; then
            failed=$((failed + 1))
            [ $failed -le 3 ] && echo "  device ${pi#*:} exited $rc: $(cat "$dir/sync.${pi#*:}")"
        fi
    done
    bg_pids=
    ms=$(($(now_ms) - start))
    cpu=$(($(hub_cpu_ms) - cpu0))
    [ $ms -gt 0 ] || ms=1
    echo "$1: $DEVICES concurrent syncs in $((ms / 1000)).$(printf %03d $((ms % 1000))) s," \
        "$((DEVICES * 1000 / ms)).$(printf %01d $((DEVICES * 10000 / ms % 10))) syncs/s;" \
        "the hub used $cpu ms of CPU ($((cpu / DEVICES)) ms a sync)"
    if [ $failed -eq 0 ]; then ok; else bad "$1: $failed of $DEVICES syncs failed"; fi
}

round "round 1"
n=$(hubsql "SELECT count(*) FROM candidate")
[ "$n" = $((DEVICES * PER_DEVICE)) ] && ok || bad "the hub holds $n candidates, not $((DEVICES * PER_DEVICE))"
# Each change once: cs_bulk writes 7 columns per candidate.
n=$(hubsql "SELECT count(*) FROM cs_version WHERE tbl = 'candidate'")
[ "$n" = $((DEVICES * PER_DEVICE * 7)) ] && ok || bad "the hub holds $n candidate changes, not $((DEVICES * PER_DEVICE * 7))"
grep -q "max_connections\|too many connections" "$dir/hub.log" &&
    bad "the hub turned devices away: $(grep -c 'too many connections' "$dir/hub.log")"

round "round 2"

# Every device of a cell has the same state; the cells differ.
jobs=
for c in $(seq 1 $CELLS); do
    (
        for i in $(seq "$c" $CELLS "$DEVICES"); do
            echo "$i $(hash "d$i" 2>&1)"
        done >"$dir/hash.$c"
    ) &
    jobs="$jobs $!"
done
for p in $jobs; do wait "$p"; done
first=
for c in $(seq 1 $CELLS); do
    kinds=$(cut -d' ' -f2 "$dir/hash.$c" | sort -u | wc -l)
    h=$(head -1 "$dir/hash.$c" | cut -d' ' -f2)
    if [ "$kinds" -eq 1 ] && [ -n "$h" ] && [ "$(wc -l <"$dir/hash.$c")" -eq $((DEVICES / CELLS)) ]; then
        ok
    else
        bad "CB-0$c: $kinds different states among its devices"
    fi
    case " $first " in *" $h "*) bad "CB-0$c has the state of another cell" ;; esac
    first="$first $h"
    n=$(sql "d$c" "SELECT count(*) FROM candidate")
    [ "$n" = $((PER_CELL * PER_DEVICE)) ] && ok ||
        bad "device $c of CB-0$c holds $n candidates, not its cell's $((PER_CELL * PER_DEVICE))"
done

stop_hub
[ $fails -eq 0 ] || grep -v "event=hello\|event=close reason=\"done\"" "$dir/hub.log" | tail -10

summary
