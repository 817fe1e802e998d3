#!/bin/sh
# SPDX-License-Identifier: MIT
# A large sync over a link that breaks. Device A of cell CB-01 records a
# busy month (2000 candidates, 14000 changes) and syncs through cs_proxy,
# which cuts the connection abruptly after N bytes, for cut points spread
# from the handshake to the last acknowledgments. Each cut starts from the
# same saved state (hub and devices before their first sync), so every
# round is the same sync cut at a different place. After a cut:
#   - the client fails with exit 1 and tells to run 'cellsync sync' again;
#   - the hub holds exactly the candidates its cursor for A covers, whole
#     transactions only, each change once, and A believes no more than that;
# then a sync through a clean proxy succeeds and sends only what the hub did
# not have: the upstream bytes before the cut plus those of the resume stay
# within one uninterrupted sync (U_full) + 20 KiB. At the end of each round
# the hub holds all 2000 once and its rows equal A's; in three rounds device
# B of the same cell syncs too (in the last one over a 600 ms, 128 KiB/s
# link) and then has the same state hash as A. Last, the same sync over a
# 32 KiB/s link that the proxy cuts every 1.5 s (--cut-every-ms), run again
# until it succeeds: it completes, sending up at most U_full + 20 KiB per
# attempt, and the hub holds every change once.
set -u
cellsync=$1 cellsyncd=$2 proxy=$3 bulk=$4 fixture=$5
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"
proxypid=''

N_CAND=2000
N_CHANGES=$((N_CAND * 7)) # cs_bulk writes 7 columns per candidate
SLACK=20480               # one chunk (16 KiB) + its overhead + a handshake + acks

proxy_start() {
    rm -f "$dir/pport" "$dir/stats"
    "$proxy" --target "$addr" --port-file "$dir/pport" --stats "$dir/stats" --max-seconds 60 \
        "$@" 2>>"$dir/proxy.log" &
    proxypid=$!
    bg_pids=$proxypid
    if ! wait_file "$dir/pport"; then
        echo "FAIL: the proxy did not start"
        exit 1
    fi
    paddr=127.0.0.1:$(cat "$dir/pport")
}
# Sets up and down from the proxy's stats line.
proxy_stop() {
    kill -TERM "$proxypid"
    wait "$proxypid"
    rc=$?
    proxypid='' bg_pids=''
    check_rc $rc "cs_proxy exited $rc"
    up=$(sed -n 's/.* up=\([0-9]*\) .*/\1/p' "$dir/stats")
    down=$(sed -n 's/.* down=\([0-9]*\) .*/\1/p' "$dir/stats")
    up=${up:-0} down=${down:-0}
}

hub_count() { sql hub "SELECT count(*) FROM candidate"; }
hub_versions() { sql hub "SELECT count(*) FROM cs_version WHERE tbl = 'candidate'"; }

# ---- the hub, two devices of one cell, and a month of records on A ----
cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CB-02,XA-ML,cell,village,"Chi bộ bản Pù Quăn, xóm 2"
EOF
"$cellsyncd" init --state "$dir/hub" --org-tree "$dir/tree.csv" >"$out" 2>"$err"
check_rc $? "hub init"
start_hub "$dir/hub"
for name in a b; do
    "$cellsyncd" enroll --state "$dir/hub" --org CB-01 --role cell --name "máy $name" \
        --addr "$addr" --out "$dir/$name.enroll" >"$out" 2>"$err"
    check_rc $? "enroll $name at the hub"
    CELLSYNC_HOME="$dir/$name" "$cellsync" init >"$out" 2>"$err"
    check_rc $? "init $name"
    CELLSYNC_HOME="$dir/$name" "$cellsync" enroll "$dir/$name.enroll" >"$out" 2>"$err"
    check_rc $? "enroll $name"
done
CELLSYNC_HOME="$dir/a" "$bulk" candidates $N_CAND >"$out" 2>"$err"
check_rc $? "cs_bulk candidates $N_CAND"
stop_hub
mkdir "$dir/snap"
cp -a "$dir/hub" "$dir/a" "$dir/b" "$dir/snap/"
# A's seq of each candidate version, to count what a hub cursor covers.
[ "$(sql a "SELECT count(*) FROM cs_version WHERE tbl = 'candidate'")" = $N_CHANGES ]
check_rc $? "A does not hold $N_CHANGES candidate changes"

# ---- U_full: the same sync, uninterrupted ----
restore snap hub a b
start_hub "$dir/hub"
proxy_start
t0=$(date +%s)
dosync a "$paddr"
t1=$(date +%s)
proxy_stop
[ $sc -eq 0 ] && grep -q "sent $N_CHANGES changes" "$out"
check_rc $? "the uninterrupted sync failed (exit $sc)"
u_full=$up d_full=$down
total=$((u_full + d_full))
echo "U_full=$u_full bytes up, $d_full down ($(sed -n 's/.*turns=\([0-9]*\).*/\1/p' "$dir/stats") turns," \
    "$((t1 - t0)) s) for $N_CAND candidates, $N_CHANGES changes"
[ "$(hub_count)" = $N_CAND ]
check_rc $? "the uninterrupted sync left $(hub_count) candidates at the hub"
stop_hub

# ---- cut points from the handshake to the last acknowledgment ----
# In the handshake (msg1 is about 150 bytes, msg2 and the stream header about
# 230), in the first chunks, in the middle, and among the last acknowledgments.
cuts=
for n in 150 400 2000 5000 20000 60000 150000 300000; do
    [ $n -lt $((total / 2)) ] && cuts="$cuts $n"
done
cuts="$cuts $((total / 2)) $((total * 3 / 4)) $((total - 1000)) $((total - 150))"
last=$((total - 150))

for n in $cuts; do
    restore snap hub a b
    start_hub "$dir/hub"
    proxy_start --cut-after "$n"
    dosync a "$paddr"
    proxy_stop
    up_cut=$up down_cut=$down
    if [ $sc -eq 1 ] && grep -q "run 'cellsync sync' again to resume" "$err" &&
        ! grep -q "stopped answering" "$err"; then
        ok
    else
        bad "cut $n: the sync exited $sc, without the resume message or after a timeout"
    fi
    [ $((up_cut + down_cut)) -le "$n" ]
    check_rc $? "cut $n: the proxy let $((up_cut + down_cut)) bytes through"
    # The hub's state once the merges it had queued are done.
    stop_hub
    cursor=$(sql hub "SELECT coalesce(max(up_seq), 0) FROM hub_device WHERE name = 'máy a'")
    acked=$(meta a hub_ack_seq 0)
    covered=$(sql a "SELECT count(DISTINCT row) FROM cs_version WHERE tbl = 'candidate' AND seq <= $cursor")
    have=$(hub_count) vers=$(hub_versions)
    [ "$have" = "$covered" ] && [ "$vers" = $((have * 7)) ] && [ "$have" -le $N_CAND ] &&
        [ $((have % 10)) -eq 0 ]
    check_rc $? "cut $n: the hub holds $have candidates ($vers changes); its cursor $cursor covers $covered"
    [ "$acked" -le "$cursor" ]
    check_rc $? "cut $n: A believes seq $acked acknowledged, the hub merged up to $cursor"

    start_hub "$dir/hub"
    proxy_start
    dosync a "$paddr"
    proxy_stop
    up_res=$up
    [ $sc -eq 0 ] && grep -q "sent $((N_CHANGES - vers)) changes" "$out"
    check_rc $? "cut $n: the resumed sync exited $sc, or did not send exactly the $((N_CHANGES - vers)) changes the hub lacked"
    sum=$((up_cut + up_res))
    echo "cut $n: before the cut up=$up_cut down=$down_cut, the hub had $have; resume" \
        "up=$up_res; up in all $sum = U_full $((sum - u_full)) bytes"
    [ $sum -le $((u_full + SLACK)) ]
    check_rc $? "cut $n: $sum bytes sent up in all, over U_full $u_full + $SLACK"
    [ "$(hub_count)" = $N_CAND ] && [ "$(hub_versions)" = $N_CHANGES ]
    check_rc $? "cut $n: after the resume the hub holds $(hub_count) candidates, $(hub_versions) changes"

    # A and the hub agree; B joins (its first sync, 14000 changes) in a few rounds
    # only, to keep the test short.
    rows a >"$dir/rows.a"
    rows hub >"$dir/rows.hub"
    cmp -s "$dir/rows.a" "$dir/rows.hub"
    check_rc $? "cut $n: the hub's candidates differ from A's"
    case $n in 400 | 20000 | "$last") ;; *)
        stop_hub
        continue
        ;;
    esac
    if [ "$n" = "$last" ]; then
        # The last time B fetches the month over a satellite-like link instead.
        proxy_start --rtt-ms 600 --rate 131072
        t0=$(date +%s%N)
        dosync b "$paddr"
        t1=$(date +%s%N)
        proxy_stop
        echo "B over a 600 ms, 128 KiB/s link: $(((t1 - t0) / 1000000)) ms," \
            "down=$down up=$up $(sed -n 's/.*\(turns=[0-9]*\).*/\1/p' "$dir/stats")"
    else
        dosync b "$addr"
    fi
    got=$(sed -n 's/.* received \([0-9]*\).*/\1/p' "$out")
    [ $sc -eq 0 ] && [ "${got:-0}" -ge $N_CHANGES ]
    check_rc $? "cut $n: B's sync exited $sc or did not receive the $N_CHANGES changes"
    dosync a "$addr"
    check_rc $sc "cut $n: A's second sync exited $sc"
    ha=$(hash a) hb=$(hash b)
    [ -n "$ha" ] && [ "$ha" = "$hb" ]
    check_rc $? "cut $n: A and B differ: $ha / $hb"
    stop_hub
done

# ---- a link that drops every 1.5 s, whatever is in flight (cs_proxy --cut-every-ms) ----
# At 32 KiB/s the month takes several connections: each is cut, the sync is run
# again until it exits 0, and every attempt keeps what the hub acknowledged.
restore snap hub a b
start_hub "$dir/hub"
proxy_start --cut-every-ms 1500 --rate 32768
attempts=0
while :; do
    attempts=$((attempts + 1))
    dosync a "$paddr"
    [ $sc -eq 0 ] || [ $attempts -ge 30 ] && break
done
proxy_stop
cuts=$(sed -n 's/.* cuts=\([0-9]*\).*/\1/p' "$dir/stats")
echo "cut every 1.5 s at 32 KiB/s: $attempts attempts, ${cuts:-?} cuts, up=$up down=$down" \
    "(U_full $u_full)"
[ $sc -eq 0 ] && [ $attempts -gt 1 ] && [ "${cuts:-0}" -ge 1 ]
check_rc $? "cut every 1.5 s: exit $sc after $attempts attempts, ${cuts:-?} cuts (want a success after cuts)"
[ "$up" -le $((u_full + attempts * SLACK)) ]
check_rc $? "cut every 1.5 s: $up bytes up in $attempts attempts, over U_full $u_full + $attempts x $SLACK"
stop_hub
[ "$(hub_count)" = $N_CAND ] && [ "$(hub_versions)" = $N_CHANGES ]
check_rc $? "cut every 1.5 s: the hub holds $(hub_count) candidates, $(hub_versions) changes"

summary
