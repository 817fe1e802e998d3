#!/bin/sh
# SPDX-License-Identifier: MIT
# Every row of issue 18's table (a store that scales with the scope, not the hub), each
# a ratio measured in this one run, median [min..max] over RUNS, the load average at
# start and end (BENCHMARKS.md, section "Issue 18").
#   sh bench/bench_store.sh BUILD_DIR [BASELINE_BUILD_DIR]     (make bench-store)
# With a baseline build, every figure for both builds, in the same run.
#  1. hub merge / (a) raw per-column LWW upsert and / (b) sqlite3changeset_apply:
#     bench_merge (MERGE_REGS registers, RUNS runs); with it the hub database's bytes
#     per register in use (dbstat) after those registers;
#  2. small syncs/s with DEVICES devices at once (bench_swarm.sh), against the
#     crypto-only ceiling `cs_swarm --crypto-floor` (both ends, two cores) run RUNS
#     times in the same run: the ratio of the medians;
#  3. first contact (cursor 0): 20 devices' first syncs one after the other at a hub
#     holding N registers of another commune (bench/hub_fill) against the same at an empty
#     hub: hub CPU per sync (/proc, 10 ms ticks over the 20) and the median wall time
#     of a sync, the ratio each run; then 20 first contacts at once at the full hub,
#     how many dropped (failed);
#  4. `cellsync candidate add` / a minimal program that opens the replica and commits
#     one row (bench_client.sh, CLIENT_N rounds).
# Sizes: RUNS=5 MERGE_REGS=100000 DEVICES=1000 N=1000000 CLIENT_N=50 FLOOR_SYNCS=2000;
# a quick run: RUNS=5 MERGE_REGS=20000 DEVICES=200 N=100000 CLIENT_N=20.
set -u
build=${1:?usage: bench_store.sh BUILD_DIR [BASELINE_BUILD_DIR]}
base=${2:-}
RUNS=${RUNS:-5} MERGE_REGS=${MERGE_REGS:-100000} DEVICES=${DEVICES:-1000} N=${N:-1000000}
CLIENT_N=${CLIENT_N:-50} FLOOR_SYNCS=${FLOOR_SYNCS:-2000}
here=$(dirname "$0")
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
builds=$build
[ -n "$base" ] && builds="$base $build"
for b in $builds; do
    for f in daemon/cellsyncd client/cellsync bench/bench_merge bench/cs_swarm bench/hub_fill; do
        [ -x "$b/$f" ] || die "no $b/$f: build it first"
    done
done
echo "bench_store: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)," \
    "kernel $(uname -r), SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "builds: $builds; RUNS=$RUNS MERGE_REGS=$MERGE_REGS DEVICES=$DEVICES N=$N CLIENT_N=$CLIENT_N"
echo "load average at start: $(load)"

# ---- 1. merge, and bytes per register ----
for b in $builds; do
    "$b/bench/bench_merge" --registers "$MERGE_REGS" --runs "$RUNS" --dir "$dir" >"$dir/merge.$(echo "$b" | tr / _)" 2>&1 ||
        die "bench_merge of $b: $(tail -3 "$dir/merge.$(echo "$b" | tr / _)")"
done
echo
echo "== 1. hub merge / (a) raw LWW upsert, / (b) sqlite3changeset_apply ($MERGE_REGS registers, per run)"
for b in $builds; do
    m=$dir/merge.$(echo "$b" | tr / _)
    echo "  $b: hub/(a) $(sed -n 's/.*hub\/upsert \([0-9.]*\).*/\1/p' "$m" | stats)"
    echo "  $b: hub/(b) $(sed -n 's/.*hub\/session \([0-9.]*\).*/\1/p' "$m" | stats)"
    echo "  $b: hub/(a) in CPU time $(sed -n 's/.*cpu (a) \([0-9.]*\) .*/\1/p' "$m" | stats)"
    echo "  $b: hub/(b) in CPU time $(sed -n 's/.*cpu (a) [0-9.]* (b) \([0-9.]*\).*/\1/p' "$m" | stats)"
    echo "  $b: hub database bytes per register in use (dbstat, after $MERGE_REGS registers):" \
        "$(sed -n 's/.*; \([0-9.]*\) bytes\/register in use.*/\1/p' "$m" | stats)"
    grep 'values .* bytes/register' "$m" | head -1 | sed "s#^ *#  $b: #"
    grep -E '^ *(hub_peer_merge|\(a\) sqlite|\(b\) sqlite) ' "$m" | sed "s#^ *#  $b: #"
done
echo "  load: $(load)"

# ---- 2. many devices, against the crypto ceiling ----
echo
echo "== 2. small syncs/s with $DEVICES devices at once, and the crypto-only ceiling"
# shellcheck disable=SC2086 # $base is empty or one directory
RUNS=$RUNS DEVICES=$DEVICES CELLS=$((DEVICES / 2 > 0 ? DEVICES / 2 : 1)) SEQ=50 \
    sh "$here/bench_swarm.sh" "$build" $base >"$dir/swarm" 2>&1 || echo "  (bench_swarm reported failed syncs)"
grep -E '^figure|^small rounds syncs/s|^hub CPU ms per sync, small|^run [0-9]*: load' "$dir/swarm" | sed 's/^/  /'
echo "  syncs that failed, each run: $(grep 'summary kind=all' "$dir/swarm" | sed -n 's/^\(run [0-9]* [AB]\):.* failed=\([0-9]*\).*/\1 \2/p' | tr '\n' ';')"
for k in $(seq 1 "$RUNS"); do
    "$build/bench/cs_swarm" --crypto-floor "$FLOOR_SYNCS" 2>/dev/null
done >"$dir/floor"
ceiling=$(sed -n 's/.*max_syncs_per_s_two_cores_both_ends=\([0-9.]*\).*/\1/p' "$dir/floor")
echo "  crypto-only ceiling, both ends on two cores, syncs/s: $(echo "$ceiling" | stats)"
echo "  hub crypto alone on one core, syncs/s: $(sed -n 's/.*hub_max_syncs_per_s_one_core=\([0-9.]*\).*/\1/p' "$dir/floor" | stats)"
cm=$(echo "$ceiling" | med)
for l in A B; do
    [ $l = A ] && [ -z "$base" ] && continue
    b=$build
    [ $l = A ] && b=$base
    s=$(grep "summary kind=small" "$dir/swarm" | grep "^run [0-9]* $l:" |
        sed -n 's/.* syncs_per_s=\([0-9.]*\).*/\1/p' | med)
    echo "  $b: small syncs/s median $s / ceiling median $cm = $(echo "$s $cm" | awk '{ printf "%.3f", $1 / $2 }')"
done
echo "  load: $(load)"

# ---- 3. first contact at a full hub against an empty hub ----
echo
echo "== 3. first contact (cursor 0) at a hub holding $N registers of another commune, against an empty hub"
org_tree 2 20 XA-FILL
hub_conf
for b in $builds; do
    t=$dir/tmpl.$(echo "$b" | tr / _)
    "$b/daemon/cellsyncd" init --state "$t.empty" --org-tree "$dir/tree.csv" >/dev/null 2>"$dir/err" ||
        die "init: $(cat "$dir/err")"
    cp -a "$t.empty" "$t.full"
    "$b/bench/hub_fill" "$t.full" XA-FILL "$N" | sed "s#^#  $b: #" || die "hub_fill failed"
done
# contact BUILD TEMPLATE DEVICES CONC: a fresh copy of TEMPLATE served, DEVICES first
# contacts, CONC at a time.
contact() {
    rm -rf "$dir/hub"
    cp -a "$2" "$dir/hub"
    hub_serve "$1/daemon/cellsyncd" "$dir/hub" --config "$dir/conf"
    # each build's own swarm: it speaks that build's wire version
    "$1/bench/cs_swarm" --hub "$addr" --state "$dir/hub" --devices "$3" \
        --concurrency "$4" --rounds 1 --changes 3 --seq-devices 0 --hub-pid "$hubpid" 2>&1 |
        grep 'kind=first' | head -1
    hub_stop
}
for k in $(seq 1 "$RUNS"); do
    for b in $builds; do
        t=$dir/tmpl.$(echo "$b" | tr / _)
        l=$(echo "$b" | tr / _)
        e=$(contact "$b" "$t.empty" 20 1) f=$(contact "$b" "$t.full" 20 1)
        many=$(contact "$b" "$t.full" 20 20)
        cpu() { echo "$1" | sed -n 's/.* hub_cpu_ms_per_sync=\([0-9.]*\).*/\1/p'; }
        wall() { echo "$1" | sed -n 's/.* p50_ms=\([0-9.]*\).*/\1/p'; }
        echo "$(cpu "$f") $(cpu "$e")" | awk '{ printf "%.3f\n", $1 / $2 }' >>"$dir/fc_cpu.$l"
        echo "$(wall "$f") $(wall "$e")" | awk '{ printf "%.3f\n", $1 / $2 }' >>"$dir/fc_wall.$l"
        cpu "$f" >>"$dir/fc_full.$l"
        cpu "$e" >>"$dir/fc_empty.$l"
        echo "$many" | sed -n 's/.* failed=\([0-9]*\).*/\1/p' >>"$dir/fc_drop.$l"
        echo "  run $k $b: full: $f"
        echo "  run $k $b: empty: $e"
        echo "  run $k $b: 20 at once, full: $many"
    done
done
for b in $builds; do
    l=$(echo "$b" | tr / _)
    echo "  $b: hub CPU ms per first contact, full hub: $(stats <"$dir/fc_full.$l"); empty hub: $(stats <"$dir/fc_empty.$l")"
    echo "  $b: full / empty, hub CPU: $(stats <"$dir/fc_cpu.$l"); wall: $(stats <"$dir/fc_wall.$l")"
    echo "  $b: of 20 simultaneous first contacts, dropped: $(stats <"$dir/fc_drop.$l")"
done
echo "  load: $(load)"

# ---- 4. the client's add against the floor ----
echo
echo "== 4. cellsync candidate add / open + one durable commit (CLIENT_N=$CLIENT_N rounds)"
# shellcheck disable=SC2086 # $base is empty or one directory
N=$CLIENT_N sh "$here/bench_client.sh" "$build" $base >"$dir/client" 2>&1
grep -E '^  (add|floor|n=)|add / floor' "$dir/client"
# ratio LABEL: the medians of LABEL's wall and CPU time over the floor's.
ratio() {
    grep -E "^  ($1|floor)  " "$dir/client" | sed 's/\[[^]]*\]//g' |
        awk '{ w[NR] = $(NF - 2); c[NR] = $(NF - 1) }
             END { printf "wall %.2f, CPU %.2f\n", w[1] / w[2], c[1] / c[2] }'
}
echo "  $build: add / floor, medians: $(ratio add)"
[ -z "$base" ] || echo "  $base: add (1) / floor, medians: $(ratio "add \(1\)")"
echo
echo "load average at end: $(load)"
