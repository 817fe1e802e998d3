#!/bin/sh
# SPDX-License-Identifier: MIT
# Work before authentication (issue 16, review F15), with the real binaries
# on loopback:
#  - one address holding its max_connections_per_address (8 here, from a
#    config file) idle connections: its next connection, a real device's
#    sync, is told "the hub is busy, try again in N s" (not that the hub's
#    key differs), while a device from another address (::1) still
#    syncs; once the idle ones are gone the first device syncs too;
#  - over handshakes_per_address (a token bucket) the same busy answer;
#  - a port scan from one address (1,000 connections opened and closed,
#    1,000 with a bogus msg1) writes a few lines (event=preauth-closes
#    counting the rest), not one a connection;
#  - a link cut by cs_proxy in the middle of the handshake (in msg1, and in
#    msg2) says the link dropped during the handshake, not that the key
#    differs.
set -u
cellsync=$1 cellsyncd=$2 raw=$3 proxy=$4 fixture=$5
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

cat >"$dir/tree.csv" <<'CSV'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CSV
cat >"$dir/hub.conf" <<'CONF'
max_connections_per_address = 8
handshakes_per_address = 1
handshake_timeout = 25
preauth_log_lines = 1000
CONF
"$cellsyncd" init --state "$dir/hub" --org-tree "$dir/tree.csv" >"$out" 2>"$err"
check_rc $? "hub init"
# On IPv6 and IPv4 at once, so a second source address (::1) reaches it.
start_hub '' --state "$dir/hub" --listen "[::]:0" --config "$dir/hub.conf"
port=$(cat "$dir/port")
for d in a b; do
    "$cellsyncd" enroll --state "$dir/hub" --org CB-01 --role cell --name "máy $d" \
        --addr "127.0.0.1:$port" --out "$dir/$d.enroll" >"$out" 2>"$err"
    check_rc $? "enroll $d at the hub"
    on "$d" 0 "created" -- init
    on "$d" 0 "enrolled" -- enroll "$dir/$d.enroll"
done
on a 0 "synced" -- sync --quiet --timeout 20
"$cellsyncd" enroll --state "$dir/hub" --org CB-01 --role cell --name "máy c" --code \
    --addr "127.0.0.1:$port" >"$out" 2>"$err"
code=$(sed -n 's/^short code: //p' "$out")
on c 0 "created" -- init
# Until the hub has closed that sync's connection: it would count among the 8 below.
sleep 1

# ---- the per-address cap on connections ----
pids=''
for _ in 1 2 3 4 5 6 7 8; do
    "$raw" "127.0.0.1:$port" idle 25 >/dev/null 2>&1 &
    pids="$pids $!"
done
bg_pids=$pids
# Until the hub has accepted all 8 (its side of each in /proc/net/tcp6, established).
hexport=$(printf '%04X' "$port")
i=0
while [ "$(awk -v p=":$hexport" '$2 ~ p"$" && $4 == "01"' /proc/net/tcp6 | wc -l)" -lt 8 ] &&
    [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
sleep 0.2
for p in $pids; do kill -0 "$p" 2>/dev/null || bad "an idle connection of the 8 was closed early"; done
on a 1 "the hub at '127.0.0.1:$port' is busy: try again in 10 s" -- sync --quiet --timeout 20
grep -q "key differs" "$err" && bad "a busy hub was reported as a hub of another key" || ok
grep -q 'event=close reason="too many connections from this address"' "$dir/hub.log" && ok ||
    bad "the hub did not log the address over its cap"
# Enrollment by code meets the same limits, and the laptop says so: nothing kept or tried.
on c 1 "the hub at '127.0.0.1:$port' is busy: try again in 10 s" -- \
    enroll --code "$code" --hub "127.0.0.1:$port"
equal "nothing kept" "" "$(meta c hub_pk)"
equal "the code was not tried" 0 "$(hubsql "SELECT fails FROM hub_enrollment WHERE name = 'máy c'")"
# Another address is not held back by this one's connections.
on b 0 "synced" -- sync --quiet --timeout 20 --hub "[::1]:$port"
for p in $pids; do kill "$p" 2>/dev/null; done
for p in $pids; do wait "$p" 2>/dev/null; done
bg_pids=''
sleep 0.3
on a 0 "synced" -- sync --quiet --timeout 20

# ---- the per-address rate of handshakes: 1 a second, bursts of 10 ----
n=0 busy=0
while [ $n -lt 15 ]; do
    CELLSYNC_HOME="$dir/a" "$cellsync" sync --quiet --timeout 20 >"$out" 2>"$err" </dev/null
    grep -q "is busy: try again in [0-9]* s" "$err" && busy=$((busy + 1))
    n=$((n + 1))
done
[ $busy -gt 0 ] && ok || bad "15 handshakes at once from one address were all admitted (rate 1/s, burst 10)"
grep -q 'event=close reason="too many handshakes from this address"' "$dir/hub.log" && ok ||
    bad "the hub did not log the address over its rate"
stop_hub

# ---- a port scan: the log grows by a few lines, not one a connection ----
printf 'handshake_timeout = 5\n' >"$dir/hub.conf"
hublog=$dir/scan.log
start_hub '' --state "$dir/hub" --listen "[::]:0" --config "$dir/hub.conf"
port=$(cat "$dir/port")
"$raw" "$addr" flood 1000 1 empty >"$out" 2>&1
check_rc $? "cs_raw flood empty: $(cat "$out")"
"$raw" "$addr" flood 1000 1 >"$out" 2>&1
check_rc $? "cs_raw flood: $(cat "$out")"
# The scanner's address is over its handshake rate now; a device of another is not.
on a 0 "synced" -- sync --quiet --timeout 20 --hub "[::1]:$port"
sleep 0.5
stop_hub
lines=$(wc -l <"$hublog")
total=$(sed -n 's/.*event=preauth-closes .* total=\([0-9]*\) .*/\1/p' "$hublog" | tail -1)
echo "port scan of 2,000 connections: $lines log lines, the last counting ${total:-0} closes"
[ "$lines" -lt 20 ] && ok || bad "a port scan of 2,000 connections wrote $lines log lines"
[ "${total:-0}" -ge 1990 ] && ok || bad "the hub counted ${total:-0} of 2,000 scanning connections"
hublog=

# ---- a link cut in the middle of the handshake ----
start_hub "$dir/hub" --config "$dir/hub.conf"
# 60: inside msg1; 260: msg1 (about 200 bytes) through, msg2 cut short.
for cut in 60 260; do
    rm -f "$dir/pport"
    "$proxy" --target "$addr" --port-file "$dir/pport" --cut-after $cut --max-seconds 30 \
        2>>"$dir/proxy.log" &
    proxypid=$!
    bg_pids=$proxypid
    wait_file "$dir/pport" || {
        echo "FAIL: the proxy did not start"
        exit 1
    }
    on a 1 "the link to the hub at '127.0.0.1:$(cat "$dir/pport")' dropped during the handshake" -- \
        sync --quiet --timeout 20 --hub "127.0.0.1:$(cat "$dir/pport")"
    grep -q "key differs" "$err" && bad "a link cut at byte $cut was reported as a hub of another key" || ok
    kill "$proxypid" 2>/dev/null
    wait "$proxypid" 2>/dev/null
    bg_pids=''
done
on a 0 "synced" -- sync --quiet --timeout 20 --hub "$addr"
stop_hub
summary
