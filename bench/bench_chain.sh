#!/bin/sh
# SPDX-License-Identifier: MIT
# Hubs chained (issue 19; BENCHMARKS.md, section 20): a province hub served on loopback
# (`cellsyncd serve`) with COMMUNES communes of CELLS cells each, and one more commune
# (XA-TT) whose CELLS cells are enrolled at the province itself. Each commune hub is
# made from its enrollment file of role hub (`cellsyncd enroll --role hub` here, then
# hub_init_below in bench/cs_chain). Each run: every cell's day merged at its commune,
# every commune syncs it up one after the other; a fresh day, THREADS communes syncing at
# once; then the baseline, the XA-TT cells each syncing their own day straight to the
# province. Prints each run's line and the median [min..max] over RUNS; the province's
# CPU from /proc/PID/stat of the daemon this script started.
#   sh bench/bench_chain.sh BUILD_DIR
#   COMMUNES=100 CELLS=60 RUNS=5 THREADS=8
set -u
build=${1:?usage: bench_chain.sh BUILD_DIR}
COMMUNES=${COMMUNES:-100} CELLS=${CELLS:-60} RUNS=${RUNS:-5} THREADS=${THREADS:-8}
cellsyncd=$build/daemon/cellsyncd
chain=$build/bench/cs_chain
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$chain" ] || die "no $chain: build the bench first"

awk -v n="$COMMUNES" -v c="$CELLS" 'BEGIN {
    print "id,parent,level,kind,name"
    print "TINH,,province,province,\"Đảng bộ tỉnh Thanh Hóa\""
    for (x = 1; x <= n; x++) {
        printf "XA-%03d,TINH,commune,commune,\"Đảng bộ xã số %d\"\n", x, x
        for (k = 1; k <= c; k++)
            printf "C%03d-%02d,XA-%03d,cell,village,\"Chi bộ bản %d xã %d\"\n", x, k, x, k, x
    }
    print "XA-TT,TINH,commune,commune,\"Đảng bộ xã trực tiếp\""
    for (k = 1; k <= c; k++)
        printf "DT-%03d,XA-TT,cell,village,\"Chi bộ bản %d, nối thẳng tỉnh\"\n", k, k
}' >"$dir/tree.csv"
hub_conf
echo 'upstream = off' >>"$dir/conf"
"$cellsyncd" init --state "$dir/prov" --org-tree "$dir/tree.csv" --config "$dir/conf" \
    >/dev/null 2>"$dir/err" || die "init: $(cat "$dir/err")"
hub_serve "$cellsyncd" "$dir/prov" --config "$dir/conf"
mkdir "$dir/enroll"
enroll() { # ORG ROLE FILE
    "$cellsyncd" enroll --state "$dir/prov" --config "$dir/conf" --org "$1" --role "$2" \
        --name "$1" --addr "$addr" --out "$dir/enroll/$3" >/dev/null 2>"$dir/err" ||
        die "enroll $1: $(cat "$dir/err")"
}
for x in $(seq 1 "$COMMUNES"); do
    org=$(printf 'XA-%03d' "$x")
    enroll "$org" hub "$org.enroll"
done
for k in $(seq 1 "$CELLS"); do
    org=$(printf 'DT-%03d' "$k")
    enroll "$org" cell "direct-$org.enroll"
done

echo "bench_chain: a province, $COMMUNES commune hubs of $CELLS cells, $THREADS at once;" \
    "baseline $CELLS cells straight to the province; $RUNS runs; $(nproc) CPUs;" \
    "load average $(load)"
"$chain" --province "$addr" --pid "$hubpid" --dir "$dir" --communes "$COMMUNES" \
    --cells "$CELLS" --runs "$RUNS" --threads "$THREADS" --direct "$CELLS"
rc=$?
# What the province holds: every cell's candidates, each version still the cell's own.
origins=$(sqlite3 "$dir/prov/replica.db" "SELECT count(DISTINCT v.origin) FROM cs_version v
    JOIN candidate c ON v.tbl = 'candidate' AND c.id = v.row")
echo "load average $(load); the province: $(du -sh "$dir/prov" | cut -f1)," \
    "$(sqlite3 "$dir/prov/replica.db" "SELECT count(*) FROM candidate") candidates written by" \
    "$origins devices (of $((COMMUNES * CELLS + CELLS)) cells)"
[ "$origins" -eq $((COMMUNES * CELLS + CELLS)) ] || { echo "bench_chain: cells missing"; rc=1; }
"$cellsyncd" audit verify --state "$dir/prov" --config "$dir/conf" 2>&1 | tail -1
[ $rc -eq 0 ] || {
    echo "cs_chain exited $rc; the province's log ends:"
    tail -5 "$dir/hub.log"
}
exit $rc
