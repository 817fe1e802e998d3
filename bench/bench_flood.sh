#!/bin/sh
# SPDX-License-Identifier: MIT
# A device's sync while the hub is flooded with bogus handshakes (issue 16,
# "Work before authentication"; BENCHMARKS.md, section 11). A fresh hub of
# one commune and one cell, one enrolled device holding a few candidates;
# the device syncs SYNCS times one after the other (each sync a new change
# up, so the worker writes), first on a quiet hub, then while cs_raw sends
# RATE bogus msg1s a second (the right version byte and random bytes: each
# costs the hub an X25519 and a failed decryption, and before the crypto
# stage a place in the worker's queue). Prints each phase's median and
# maximum sync time (the client's wall time, `cellsync sync` started to
# exit) and the ratio flooded/quiet in the same run.
# The flood comes from 127.0.0.1, the device from ::1 (the hub listens on
# both): a device behind the flooding address would rightly be told the hub
# is busy. BUILD_DIR's hub runs twice: with the default per-address limits
# ("B"), where the flood meets its address's handshake rate before any
# crypto, and with them lifted ("B-nolimit", a flood from many addresses),
# where every bogus msg1 is read on the crypto stage.
# With a second build directory, the same is measured first with that
# build's cellsyncd (the baseline, "A"), then with BUILD_DIR's.
#   sh bench/bench_flood.sh BUILD_DIR [BASELINE_BUILD_DIR]
#   SYNCS=20 RATE=1000
set -u
build=${1:?usage: bench_flood.sh BUILD_DIR [BASELINE_BUILD_DIR]}
base=${2:-}
SYNCS=${SYNCS:-20} RATE=${RATE:-1000}
raw=$build/tests/cs_raw bulk=$build/tests/cs_bulk
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$raw" ] && [ -x "$bulk" ] || die "no $raw or $bulk: build the tests first"
now_ms() { echo $(($(date +%s%N) / 1000000)); }

cat >"$dir/tree.csv" <<'CSV'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CSV

# run LABEL BUILD [CONF]: one hub of BUILD's cellsyncd (CONF: its config file's
# lines), one device of BUILD_DIR's cellsync.
run() {
    label=$1 cellsyncd=$2/daemon/cellsyncd cellsync=$build/client/cellsync
    rm -rf "${dir:?}/hub" "${dir:?}/dev" "${dir:?}/dev.enroll"
    printf '%s\n' "${3:-}" >"$dir/hub.conf"
    "$cellsyncd" init --state "$dir/hub" --org-tree "$dir/tree.csv" >/dev/null 2>&1 ||
        die "hub init"
    hub_listen='[::]' hub_serve "$cellsyncd" "$dir/hub" --config "$dir/hub.conf"
    devaddr="[::1]:$(cat "$dir/port")"
    device_enroll "$cellsyncd" "$cellsync" "$dir/hub" "$dir/dev" "máy đo"
    export CELLSYNC_HOME="$dir/dev"
    "$bulk" candidates 3 >/dev/null 2>&1 || die "cs_bulk"
    "$cellsync" sync --quiet --hub "$devaddr" >/dev/null 2>&1 || die "first sync"
    for phase in quiet flood; do
        if [ $phase = flood ]; then
            "$raw" "$addr" flood "$RATE" 600 >"$dir/flood.out" 2>&1 &
            pids=$!
            sleep 1
        fi
        : >"$dir/$phase.ms"
        n=0
        while [ $n -lt "$SYNCS" ]; do
            "$cellsync" candidate add --name "Người Đo $label $phase $n" --birth-date 2000-01-01 \
                >/dev/null 2>&1 || die "candidate add"
            t0=$(now_ms)
            "$cellsync" sync --quiet --timeout 60 --hub "$devaddr" >"$dir/sync.out" 2>&1 ||
                die "a sync failed ($phase): $(cat "$dir/sync.out")"
            echo $(($(now_ms) - t0)) >>"$dir/$phase.ms"
            n=$((n + 1))
        done
        if [ $phase = flood ]; then
            kill "$pids" 2>/dev/null
            wait "$pids" 2>/dev/null
            pids=''
        fi
    done
    med_q=$(sort -n "$dir/quiet.ms" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
    med_f=$(sort -n "$dir/flood.ms" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
    max_q=$(sort -n "$dir/quiet.ms" | tail -1) max_f=$(sort -n "$dir/flood.ms" | tail -1)
    lines=$(wc -l <"$dir/hub.log")
    hub_stop
    printf '%s  sync quiet: median %s ms (max %s)  flooded at %s/s: median %s ms (max %s)  ratio %s  hub log lines %s\n' \
        "$label" "$med_q" "$max_q" "$RATE" "$med_f" "$max_f" \
        "$(awk -v a="$med_f" -v b="$med_q" 'BEGIN {printf "%.1fx", a / (b > 0 ? b : 1)}')" "$lines"
}

echo "bench_flood: $SYNCS syncs of one device, quiet then under $RATE bogus msg1/s"
[ -n "$base" ] && run A "$base"
run B "$build"
run B-nolimit "$build" "$(printf 'handshakes_per_address = 1000000\nmax_connections_per_address = 1000000')"
