#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh [--fresh] BUILD SECONDS WORK [JOBS]: runs every libFuzzer target of BUILD
# (tests/fuzz_*, a -DCS_FUZZ=ON build) for SECONDS each, JOBS (1) at a time; make fuzz
# and make fuzz-ci. A target fuzzes WORK/corpus/NAME, a copy of its seeds in
# tests/fuzz/corpus/NAME, so the tree is never written: new inputs go to the copy, which
# make fuzz keeps from run to run and --fresh (make fuzz-ci) starts anew from the seeds.
# A crashing, leaking or hanging (over 20 s) input is saved as WORK/artifacts/NAME-crash-...
# and fails the run; the other targets run all the same. Ends with a table: executions,
# executions per second, new inputs and corpus size per target (libFuzzer's
# -print_final_stats=1), and the result; then the end of each failed target's log.
set -u
fresh=0
if [ "${1:-}" = --fresh ]; then
    fresh=1
    shift
fi
if [ $# -ne 3 ] && [ $# -ne 4 ]; then
    echo "usage: $0 [--fresh] BUILD SECONDS WORK [JOBS]" >&2
    exit 2
fi
build=$1 seconds=$2 work=$3 jobs=${4:-1}
seeds=$(cd "$(dirname "$0")" && pwd)/corpus

[ "$fresh" -eq 1 ] && rm -rf "$work/corpus" "$work/artifacts"
rm -rf "$work/logs"
mkdir -p "$work/corpus" "$work/artifacts" "$work/logs" "$work/tmp"
# Targets that decode a file write the input to a temp file (tests/fuzz/fuzz_file.h).
TMPDIR=$(cd "$work/tmp" && pwd)
export TMPDIR

# fuzz NAME: one target; its output to logs/NAME.log, its exit status to logs/NAME.rc.
fuzz() {
    mkdir -p "$work/corpus/$1"
    [ -d "$seeds/$1" ] && cp -R "$seeds/$1/." "$work/corpus/$1/"
    "$build/tests/fuzz_$1" -max_total_time="$seconds" -timeout=20 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/$1-" "$work/corpus/$1" >"$work/logs/$1.log" 2>&1
    echo $? >"$work/logs/$1.rc"
}

names=""
for f in "$build"/tests/fuzz_*; do
    [ -x "$f" ] && names="$names ${f##*/fuzz_}"
done
if [ -z "$names" ]; then
    echo "no fuzz targets in $build/tests (configure with -DCS_FUZZ=ON)"
    exit 1
fi
running=0
for name in $names; do
    echo "== fuzz_$name for $seconds s"
    fuzz "$name" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait

stat_of() { sed -n "s/^stat::$1: *//p" "$work/logs/$2.log" | tail -n 1; }
failed="" total=0 n=0
echo "== fuzz targets, $seconds s each, $jobs at a time"
printf '%-12s %12s %9s %5s %7s  %s\n' target executions "exec/s" new corpus result
for name in $names; do
    rc=$(cat "$work/logs/$name.rc" 2>/dev/null || echo '?')
    execs=$(stat_of number_of_executed_units "$name")
    if [ "$rc" = 0 ]; then result=ok; else result="FAILED (exit $rc)" failed="$failed $name"; fi
    printf '%-12s %12s %9s %5s %7s  %s\n' "$name" "${execs:--}" \
        "$(stat_of average_exec_per_sec "$name")" "$(stat_of new_units_added "$name")" \
        "$(find "$work/corpus/$name" -type f | wc -l)" "$result"
    total=$((total + ${execs:-0}))
    n=$((n + 1))
done
printf '%-12s %12s\n' "total ($n)" "$total"
for name in $failed; do
    echo "== fuzz_$name failed: the end of $work/logs/$name.log"
    tail -n 60 "$work/logs/$name.log" | sed 's/^/  /'
    for a in "$work/artifacts/$name-"*; do
        [ -e "$a" ] && echo "  the input: $a (run: $build/tests/fuzz_$name $a)"
    done
done
if [ -n "$failed" ]; then
    echo "FAILED:$failed"
    exit 1
fi
