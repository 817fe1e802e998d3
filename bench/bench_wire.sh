#!/bin/sh
# SPDX-License-Identifier: MIT
# Bytes on the wire, round trips ("turns" counted by cs_proxy) and wall time of
# real `cellsync sync` runs against a real cellsyncd, through tests/net/cs_proxy:
#   empty      a sync with nothing to send either way (the fixed part)
#   month      the reference cell month (bench/cs_month.c) from device A
#   month64    the same at 64 kbit/s (--rate 8000) and 600 ms RTT
#   newdev64   first sync of fresh device B of a cell whose MEMBERS members
#              (default 2000: 18,000 registers, ~120 KB down) are at the hub,
#              at 64 kbit/s and 600 ms RTT
#   month9k6 / newdev9k6  at 9.6 kbit/s (--rate 1200), 600 ms RTT, the proxy
#              cutting every connection CUT_MS after it opened (default
#              30000: --cut-every-ms); `cellsync sync` is run again until it
#              exits 0. Reported: attempts, cuts, wall time over all attempts,
#              and bytes resent: the bytes of all attempts minus those of the
#              same sync uncut (measured once on loopback beforehand).
# A new device's sync must leave all MEMBERS members on B (checked each run).
# Each is run RUNS times (default 5) from the same snapshot; prints one line
# per run and the median, min, max.
#   [RUNS=5] [MEMBERS=2000] [CUT_MS=30000] sh bench/bench_wire.sh BUILD_DIR [quick|slow|all]
set -u
build=${1:?usage: bench_wire.sh BUILD_DIR [quick|slow|all]}
what=${2:-quick}
RUNS=${RUNS:-5}
MEMBERS=${MEMBERS:-2000}
CUT_MS=${CUT_MS:-30000}
cellsync=$build/client/cellsync cellsyncd=$build/daemon/cellsyncd proxy=$build/tests/cs_proxy
month=$build/bench/cs_month
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
export CELLSYNC_TODAY=2026-03-02
wait_file() {
    i=0
    while [ ! -s "$1" ] && [ $i -lt 200 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    [ -s "$1" ]
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
hub_start() {
    hub_serve "$cellsyncd" "$dir/hub"
    hubaddr=$addr
}
proxy_start() {
    rm -f "$dir/pport" "$dir/stats"
    "$proxy" --target "$hubaddr" --port-file "$dir/pport" --stats "$dir/stats" \
        --max-seconds 900 "$@" 2>>"$dir/proxy.log" &
    pids=$!
    wait_file "$dir/pport" || die "the proxy did not start"
    paddr=127.0.0.1:$(cat "$dir/pport")
}
# Sets up, down, turns, conns, cuts from the stats line.
proxy_stop() {
    kill -TERM "$pids"
    wait "$pids"
    pids=
    line=$(cat "$dir/stats")
    up=$(echo "$line" | sed -n 's/.* up=\([0-9]*\).*/\1/p')
    down=$(echo "$line" | sed -n 's/.* down=\([0-9]*\).*/\1/p')
    turns=$(echo "$line" | sed -n 's/.*turns=\([0-9]*\).*/\1/p')
    conns=$(echo "$line" | sed -n 's/.*connections=\([0-9]*\).*/\1/p')
    cuts=$(echo "$line" | sed -n 's/.*cuts=\([0-9]*\).*/\1/p')
}
dosync() { # DEVICE: one sync through the proxy; sets sc
    CELLSYNC_HOME="$dir/$1" "$cellsync" sync --quiet --timeout 60 --hub "$paddr" \
        >"$dir/out" 2>"$dir/err"
    sc=$?
}
restore() {
    rm -rf "$dir/hub" "$dir/a" "$dir/b"
    cp -a "$dir/$1/hub" "$dir/$1/a" "$dir/$1/b" "$dir/"
}
# stats NAME v1 v2 ...: median min max
stats() {
    sn=$1
    shift
    printf '%s\n' "$@" | sort -n | awk -v n="$sn" '{ v[NR] = $1 }
        END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
              printf "  %-34s median %10s  min %10s  max %10s  (n=%d)\n", n, m, v[1], v[NR], NR }'
}

# ---- snapshots: s0 = hub, A synced once (enrolled), B enrolled, never synced;
#      s1 = s0 + MEMBERS members of CB-01 written on A and synced to the hub ----
cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CB-02,XA-ML,cell,village,"Chi bộ bản Pù Quăn, xóm 2"
EOF
"$cellsyncd" init --state "$dir/hub" --org-tree "$dir/tree.csv" >/dev/null 2>"$dir/err" ||
    die "hub init: $(cat "$dir/err")"
hub_start
for name in a b; do
    device_enroll "$cellsyncd" "$cellsync" "$dir/hub" "$dir/$name" "máy $name"
done
CELLSYNC_HOME="$dir/a" "$cellsync" sync --quiet --hub "$hubaddr" >/dev/null 2>"$dir/err" ||
    die "first sync of A: $(cat "$dir/err")"
hub_stop
mkdir -p "$dir/s0" "$dir/s1"
cp -a "$dir/hub" "$dir/a" "$dir/b" "$dir/s0/"
CELLSYNC_HOME="$dir/a" "$month" members "$MEMBERS" >"$dir/members.txt" || die "cs_month members"
hub_start
CELLSYNC_HOME="$dir/a" "$cellsync" sync --quiet --hub "$hubaddr" >/dev/null 2>"$dir/err" ||
    die "members sync of A: $(cat "$dir/err")"
hub_stop
cp -a "$dir/hub" "$dir/a" "$dir/b" "$dir/s1/"
# The plain-text size of the month (same content every run: fixed ids and values).
restore s0
CELLSYNC_HOME="$dir/a" "$month" month >"$dir/month.txt" || die "cs_month month"
echo "cell month: $(cat "$dir/month.txt")"
echo "$MEMBERS members: $(cat "$dir/members.txt")"
z19=$(sed -n 's/.*zstd19=\([0-9]*\).*/\1/p' "$dir/month.txt")

# B holds every member after a new device's sync (PREP none on s1).
check_members() {
    n=$(CELLSYNC_HOME="$dir/b" "$cellsync" member list --json 2>"$dir/err" | grep -o '"short_id"' |
        wc -l)
    [ "$n" -eq "$MEMBERS" ] || die "device B holds $n members after its sync, not $MEMBERS"
}

# one SNAP DEVICE PREP PROXYARGS...: restores SNAP, runs PREP on DEVICE, syncs it
# through a fresh proxy (again until it succeeds when the proxy cuts); sets
# up down turns conns cuts ms attempts.
one() {
    snap=$1 dev=$2 prep=$3
    shift 3
    restore "$snap"
    [ "$prep" = month ] && { CELLSYNC_HOME="$dir/$dev" "$month" month >/dev/null || die "month"; }
    hub_start
    proxy_start "$@"
    attempts=0
    t0=$(now_ms)
    while :; do
        attempts=$((attempts + 1))
        dosync "$dev"
        [ $sc -eq 0 ] && break
        [ $attempts -ge 60 ] && die "$dev: no success in 60 attempts: $(cat "$dir/err")"
    done
    ms=$(($(now_ms) - t0))
    proxy_stop
    hub_stop
    [ "$snap" = s1 ] && check_members
    :
}

# reference SNAP DEVICE PREP: the bytes of the same sync uncut, on loopback; sets ref.
reference() {
    one "$@"
    ref=$((up + down))
    echo "  uncut reference (loopback): total=$ref up=$up down=$down turns=$turns"
}

series() { # NAME SNAP DEVICE PREP PROXYARGS...; with $ref set, bytes resent against it
    name=$1
    shift
    T='' U='' D='' R='' W='' A='' C='' S=''
    for k in $(seq 1 "$RUNS"); do
        one "$@"
        resent=
        [ -n "$ref" ] && resent=" resent=$((up + down - ref))" S="$S $((up + down - ref))"
        echo "  $name run $k: up=$up down=$down total=$((up + down)) turns=$turns" \
            "connections=$conns cuts=$cuts attempts=$attempts wall=${ms}ms$resent"
        T="$T $((up + down))" U="$U $up" D="$D $down" R="$R $turns" W="$W $ms" A="$A $attempts"
        C="$C $cuts"
    done
    # shellcheck disable=SC2086
    {
        stats "$name bytes total" $T
        stats "$name bytes up" $U
        stats "$name bytes down" $D
        stats "$name turns" $R
        stats "$name wall ms" $W
        stats "$name attempts" $A
        stats "$name cuts" $C
        [ -n "$ref" ] && stats "$name bytes resent" $S
    }
    ref=
}
ref=

echo "bench_wire: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)," \
    "kernel $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ), RUNS=$RUNS"
if [ "$what" = quick ] || [ "$what" = all ]; then
    echo "empty sync (device A, nothing to send either way), loopback:"
    series empty s0 a none
    echo "cell month from device A, loopback (zstd -19 of the plain text: $z19 bytes):"
    series month s0 a month
    echo "  month total / zstd19(plain): $(awk -v t="$T" -v z="$z19" 'BEGIN {
        n = split(t, v, " "); for (i = 1; i <= n; i++) printf "%.2f ", v[i] / z }')"
fi
if [ "$what" = slow ] || [ "$what" = all ]; then
    echo "cell month at 64 kbit/s, 600 ms RTT:"
    series month64 s0 a month --rate 8000 --rtt-ms 600
    echo "new device ($MEMBERS members of its cell at the hub) at 64 kbit/s, 600 ms RTT:"
    series newdev64 s1 b none --rate 8000 --rtt-ms 600
    echo "cell month at 9.6 kbit/s, 600 ms RTT, each connection cut $CUT_MS ms after it opened:"
    reference s0 a month
    series month9k6 s0 a month --rate 1200 --rtt-ms 600 --cut-every-ms "$CUT_MS"
    echo "new device at 9.6 kbit/s, 600 ms RTT, each connection cut $CUT_MS ms after it opened:"
    reference s1 b none
    series newdev9k6 s1 b none --rate 1200 --rtt-ms 600 --cut-every-ms "$CUT_MS"
fi
