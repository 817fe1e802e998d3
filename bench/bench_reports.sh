#!/bin/sh
# SPDX-License-Identifier: MIT
# How long each report takes on a generated district (gen_district, seed 7:
# 60 grassroots organisations, 250 cells, 5,000 members, 600 candidates):
# the median of RUNS (default 5) runs of the whole `cellsyncd report KIND --format F`
# command, process start included, writing to a file. Then the district's
# line of each report, as a person reads it.
#   sh bench/bench_reports.sh [BUILD_DIR]     (default: build)
set -u
BUILD=${1:-build}
CELLSYNCD=$BUILD/daemon/cellsyncd GEN=$BUILD/tests/gen_district
RUNS=${RUNS:-5}
for b in "$CELLSYNCD" "$GEN"; do
    [ -x "$b" ] || { echo "bench_reports: no '$b': build first (make build)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CELLSYNC_TODAY=2025-06-30
export CELLSYNC_TODAY LC_ALL=C.UTF-8

now_ns() { date +%s%N; }

t0=$(now_ns)
"$GEN" --state "$tmp/hub" --seed 7 || exit 1
echo "generated in $((($(now_ns) - t0) / 1000000)) ms"
echo
printf '%-9s %9s %9s %9s %9s %9s   (ms, median of %d; output size of html)\n' report table \
    json csv html xlsx "$RUNS"
for k in targets pipeline due members sync all; do
    printf '%-9s' "$k"
    for f in table json csv html xlsx; do
        if [ "$k" = all ] && [ "$f" = csv ]; then
            printf ' %9s' -
            continue
        fi
        i=0
        : >"$tmp/times"
        while [ $i -lt "$RUNS" ]; do
            t0=$(now_ns)
            "$CELLSYNCD" report "$k" --state "$tmp/hub" --format "$f" --out "$tmp/out.$f" ||
                exit 1
            echo $((($(now_ns) - t0) / 1000)) >>"$tmp/times"
            i=$((i + 1))
        done
        med=$(sort -n "$tmp/times" | sed -n "$(((RUNS + 1) / 2))p")
        printf ' %9s' "$(awk -v us="$med" 'BEGIN { printf "%.1f", us / 1000 }')"
    done
    printf '   %s KiB\n' "$(($(wc -c <"$tmp/out.html") / 1024))"
done

echo
echo "One line of each report (the district's row; the first of the lists):"
line() {
    "$CELLSYNCD" report "$1" --state "$tmp/hub" ${2:+--section "$2"} >"$tmp/t" || exit 1
    # The header and the first row of the first table: the two lines after its title.
    awk 'NF == 0 { blank++; next } blank == 1 { n++; if (n == 2 || n == 3) print "  " $0 }' \
        "$tmp/t"
}
for spec in targets pipeline due:deadlines due:units members:status members:age \
    members:party_age members:ratings sync; do
    k=${spec%%:*} s=
    [ "$k" != "$spec" ] && s=${spec#*:}
    echo "$spec:"
    line "$k" "$s"
done
