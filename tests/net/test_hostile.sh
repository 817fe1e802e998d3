#!/bin/sh
# SPDX-License-Identifier: MIT
# The hub against peers that do not follow the protocol: a newer version, a
# length prefix of 2 GiB, a pre-handshake frame over CS_WIRE_MAX_PREAUTH, a
# peer that connects and says nothing, one that trickles a byte a second,
# random bytes as msg1, the key request, and 300 idle connections at once.
# cs_raw checks each answer (wire.h) and that the hub hangs up in time; the
# hub runs with handshake_timeout = 2 from a config file. Afterwards the
# same hub still serves: a real device syncs, and SIGTERM stops it cleanly.
set -u
cellsync=$1 cellsyncd=$2 raw=$3 bulk=$4 fixture=$5
fails=0 passes=0
dir=$(mktemp -d)
out=$dir/out err=$dir/err
hubpid= idlepid= slowpid=
cleanup() {
    for p in $idlepid $slowpid; do kill "$p" 2>/dev/null; done
    [ -n "$hubpid" ] && kill "$hubpid" 2>/dev/null && wait "$hubpid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
export LC_ALL=C.UTF-8 CELLSYNC_TODAY=2026-03-02
unset LANGUAGE

ok() { passes=$((passes + 1)); }
bad() {
    echo "FAIL: $*"
    [ -s "$out" ] && sed 's/^/  stdout: /' "$out"
    [ -s "$err" ] && sed 's/^/  stderr: /' "$err"
    fails=$((fails + 1))
}
hub_alive() {
    if kill -0 "$hubpid" 2>/dev/null; then
        ok
    else
        bad "the hub is gone after $1"
        tail -5 "$dir/hub.log" | sed 's/^/  hub: /'
    fi
}
# raw MODE [ARG]: runs cs_raw against the hub, prints its report.
raw() {
    "$raw" "$addr" "$@" >"$out" 2>"$err"
    rc=$?
    sed 's/^/  /' "$out"
    if [ $rc -eq 0 ]; then ok; else bad "cs_raw $* exited $rc"; fi
}

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
EOF
cat >"$dir/hub.conf" <<'EOF'
# A short handshake timeout, so idle and slow peers are dropped within the test.
handshake_timeout = 2
EOF
"$cellsyncd" init --state "$dir/hub" --org-tree "$dir/tree.csv" >"$out" 2>"$err" &&
    ok || bad "hub init"
"$cellsyncd" serve --config "$dir/hub.conf" --state "$dir/hub" --listen 127.0.0.1:0 \
    --port-file "$dir/port" 2>"$dir/hub.log" &
hubpid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
[ -s "$dir/port" ] || {
    echo "FAIL: the hub did not start"
    cat "$dir/hub.log"
    exit 1
}
addr=127.0.0.1:$(cat "$dir/port")

# The slow ones run alongside the quick ones: each has its own connection.
"$raw" "$addr" idle 2 >"$dir/idle.out" 2>&1 &
idlepid=$!
"$raw" "$addr" slow 2 >"$dir/slow.out" 2>&1 &
slowpid=$!
for mode in version oversize preauth-big garbage keyreq; do
    echo "cs_raw $mode"
    raw $mode
    hub_alive "cs_raw $mode"
done
for m in idle slow; do
    eval "wait \$${m}pid"
    rc=$?
    eval "${m}pid="
    echo "cs_raw $m 2"
    sed 's/^/  /' "$dir/$m.out"
    if [ $rc -eq 0 ]; then ok; else bad "cs_raw $m 2 exited $rc"; fi
done
hub_alive "idle and slow peers"
echo "cs_raw many 300"
raw many 300
hub_alive "300 idle connections"
echo "cs_raw keyreq (after all of them)"
raw keyreq

# Why the hub hung up, as it logged it.
grep -q 'reason="protocol version mismatch"' "$dir/hub.log" && ok ||
    bad "no version mismatch in the hub's log"
[ "$(grep -c 'reason="frame over the size limit"' "$dir/hub.log")" -ge 2 ] && ok ||
    bad "the oversize frames are not in the hub's log"
[ "$(grep -c 'reason="no handshake in time"' "$dir/hub.log")" -ge 2 ] && ok ||
    bad "the idle and slow peers were not dropped for the handshake timeout"
grep -q 'reason="handshake refused' "$dir/hub.log" && ok || bad "the garbage msg1 was not refused"

# The same hub still serves a real device.
"$cellsyncd" enroll --state "$dir/hub" --org CB-01 --role cell --name "máy a" --addr "$addr" \
    --out "$dir/a.enroll" >"$out" 2>"$err" && ok || bad "enroll at the hub"
CELLSYNC_HOME="$dir/a" "$cellsync" init >"$out" 2>"$err" && ok || bad "init"
CELLSYNC_HOME="$dir/a" "$cellsync" enroll "$dir/a.enroll" >"$out" 2>"$err" && ok || bad "enroll"
CELLSYNC_HOME="$dir/a" "$bulk" candidates 3 >"$out" 2>"$err" && ok || bad "cs_bulk"
CELLSYNC_HOME="$dir/a" "$cellsync" sync --quiet --timeout 20 >"$out" 2>"$err"
rc=$?
[ $rc -eq 0 ] && grep -q "sent 21 changes" "$out" && ok || bad "a real sync exited $rc"
[ "$("$fixture" sql "$dir/hub/replica.db" 'SELECT count(*) FROM candidate')" = 3 ] && ok ||
    bad "the hub does not hold the 3 candidates"

# And stops on SIGTERM with exit 0.
kill -TERM "$hubpid"
wait "$hubpid"
rc=$?
hubpid=
[ $rc -eq 0 ] && ok || bad "cellsyncd exited $rc on SIGTERM"
grep -q "event=stopped" "$dir/hub.log" && ok || bad "no stop line in the hub's log"
[ $fails -eq 0 ] || tail -20 "$dir/hub.log" | sed 's/^/  hub: /'

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
