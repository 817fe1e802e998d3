#!/bin/sh
# SPDX-License-Identifier: MIT
# The field client: `cellsync candidate add` latency (each run a fresh process
# on an initialised, never-synced device; N=50 runs), against /bin/true run
# the same way in the same loop (what process start costs here); the
# stripped binary size; the peak RSS of one add (/usr/bin/time -v).
#   sh bench/bench_client.sh BUILD_DIR
set -u
build=${1:?usage: bench_client.sh BUILD_DIR}
N=${N:-50}
cellsync=$build/client/cellsync
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export LC_ALL=C.UTF-8 CELLSYNC_TODAY=2026-03-02 CELLSYNC_HOME=$dir/home
unset LANGUAGE
"$cellsync" init >/dev/null || exit 1

# Microseconds of one command, from a monotonic clock in the shell (date +%s%N).
us() {
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || echo "bench_client: $* failed" >&2
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000))
}
add() {
    "$cellsync" candidate add --name "Nguyễn Văn Sỹ $1" --sex male --birth-date 1998-01-03 \
        --hometown "Bản Khe Ván, xã Mường Lý, huyện Mường Lát, Thanh Hóa" --phone 0912345678
}
stats() {
    sn=$1
    shift
    printf '%s\n' "$@" | sort -n | awk -v n="$sn" '{ v[NR] = $1 }
        END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
              printf "  %-30s median %8.2f ms  min %8.2f  max %8.2f  (n=%d)\n", n, m / 1000,
                     v[1] / 1000, v[NR] / 1000, NR }'
}
# date itself is a process: measure it too, so the three can be compared.
A= T=
for i in $(seq 1 "$N"); do
    A="$A $(us add "$i")"
    T="$T $(us /bin/true)"
done
echo "bench_client: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)," \
    "kernel $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
# shellcheck disable=SC2086
{
    stats "cellsync candidate add" $A
    stats "/bin/true (baseline)" $T
}
echo "  add minus true (medians): $(printf '%s\n' $A | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}') us -" \
    "$(printf '%s\n' $T | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}') us"
cp "$cellsync" "$dir/cellsync.stripped"
strip "$dir/cellsync.stripped"
echo "  binary $(stat -c %s "$cellsync") bytes; stripped $(stat -c %s "$dir/cellsync.stripped") bytes"
echo "  linked: $(ldd "$cellsync" | awk '{print $1}' | tr '\n' ' ')"
if [ -x /usr/bin/time ]; then
    /usr/bin/time -v "$cellsync" candidate add --name "Hà Thị Mai" --sex female \
        >/dev/null 2>"$dir/time" || true
    echo "  peak RSS of one add: $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/time") KiB"
    /usr/bin/time -v /bin/true 2>"$dir/time"
    echo "  peak RSS of /bin/true: $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/time") KiB"
else
    echo "  /usr/bin/time not installed: no peak RSS (apt-get install time)"
fi
