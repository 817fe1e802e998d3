#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh [--fresh] BUILD SECONDS WORK: runs every libFuzzer target of BUILD (tests/fuzz_*,
# a -DCS_FUZZ=ON build) for SECONDS each, one after another; make fuzz and make fuzz-ci.
# A target fuzzes WORK/corpus/NAME, a copy of its seeds in tests/fuzz/corpus/NAME, so the
# tree is never written: new inputs go to the copy, which make fuzz keeps from run to run
# and --fresh (make fuzz-ci) starts anew from the seeds alone. A crashing, leaking or
# hanging (over 20 s) input is saved as WORK/artifacts/NAME-crash-... and fails the run;
# every target runs even so. Ends with a table: executions, executions per second, new
# inputs and corpus size per target (libFuzzer's -print_final_stats=1), and the result.
set -u
fresh=0
if [ "${1:-}" = --fresh ]; then
    fresh=1
    shift
fi
[ $# -eq 3 ] || { echo "usage: $0 [--fresh] BUILD SECONDS WORK" >&2; exit 2; }
build=$1 seconds=$2 work=$3
seeds=$(cd "$(dirname "$0")" && pwd)/corpus

[ "$fresh" -eq 1 ] && rm -rf "$work/corpus" "$work/artifacts" "$work/logs"
mkdir -p "$work/corpus" "$work/artifacts" "$work/logs" "$work/tmp"
# Targets that decode a file write the input to a temp file (tests/fuzz/fuzz_file.h).
TMPDIR=$(cd "$work/tmp" && pwd)
export TMPDIR

stat_of() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }
table=$work/summary
printf '%-12s %12s %9s %5s %7s  %s\n' target executions "exec/s" new corpus result >"$table"
failed="" total=0 n=0
for f in "$build"/tests/fuzz_*; do
    [ -x "$f" ] || continue
    name=${f##*/fuzz_}
    corpus=$work/corpus/$name log=$work/logs/$name.log
    mkdir -p "$corpus"
    [ -d "$seeds/$name" ] && cp -R "$seeds/$name/." "$corpus/"
    echo "== fuzz_$name for $seconds s"
    "$f" -max_total_time="$seconds" -timeout=20 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/$name-" "$corpus" >"$log" 2>&1
    rc=$?
    execs=$(stat_of number_of_executed_units "$log")
    if [ "$rc" -eq 0 ]; then
        result=ok
    else
        result="FAILED (exit $rc; $log)"
        failed="$failed $name"
        echo "fuzz_$name failed (exit $rc), the end of its log:"
        tail -n 60 "$log" | sed 's/^/  /'
        ls "$work/artifacts/$name-"* 2>/dev/null | sed 's/^/  input: /'
    fi
    total=$((total + ${execs:-0}))
    n=$((n + 1))
    printf '%-12s %12s %9s %5s %7s  %s\n' "$name" "${execs:--}" \
        "$(stat_of average_exec_per_sec "$log")" "$(stat_of new_units_added "$log")" \
        "$(find "$corpus" -type f | wc -l)" "$result" >>"$table"
done
printf '%-12s %12s\n' "total" "$total" >>"$table"
echo "== $n fuzz targets, $seconds s each"
cat "$table"
if [ "$n" -eq 0 ]; then
    echo "no fuzz targets in $build/tests (configure with -DCS_FUZZ=ON)"
    exit 1
fi
if [ -n "$failed" ]; then
    echo "FAILED:$failed"
    exit 1
fi
