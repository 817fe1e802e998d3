#!/bin/sh
# SPDX-License-Identifier: MIT
# Hubs chained (issue 19), killed with SIGKILL mid-sync up, again and again
# (CS_CHAIN_CRASH_TRIALS, 4 by default; `make soak` runs 50). A province hub and
# a commune hub below it; the commune's two cells had a busy day (cs_bulk), the
# commune wrote targets of its own between their syncs, and nothing of it has gone
# up yet. Each trial starts from that saved state: the commune syncs up
# (`cellsyncd upstream sync`) while a third cell syncs with the commune, and one
# of them is killed a share of an uninterrupted sync's time in, in turn:
#   - the province's daemon, while it merges the commune's chunks;
#   - the commune's `cellsyncd upstream sync`;
#   - the commune's `cellsyncd serve`, syncing up on its own thread (uplink.c)
#     while it merges the third cell's sync;
#   - the province's `cellsyncd import` of the commune's `upstream export` (by stick),
#     a share of an uninterrupted import's time in.
# After the kill both replicas pass PRAGMA integrity_check and the commune never
# believes the province acknowledged more than it merged. Then everything is started
# again, the cell and the commune sync until they finish (after a kill of the serve,
# the commune syncs up on its serve's thread again; after a kill of the import, the
# province imports the bundle again and the commune takes its reply), and: the province holds
# every change the cells and the commune wrote, each once, with the same registers as
# the commune and each cell for their units; its audit trail verifies; the commune's
# `upstream status` shows nothing waiting. At least one kill over the trials must land
# while the province held part of the cells' changes.
# The tree (tests/tools/tree_province.csv): TI-01 -> XA-01 -> CB-01, CB-02.

# addr_NAME and pid_NAME are set by serve, through eval.
# shellcheck disable=SC2154
set -u
cellsync=$1 cellsyncd=$2 bulk=$3 fixture=$4
trials=${CS_CHAIN_CRASH_TRIALS:-4}
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

N_CELL=1500 N_LATE=300 # candidates each of c1 and c2 wrote; c3's, synced during the trials
conf=$dir/hub.conf
# Many syncs from 127.0.0.1: over the per-address handshake rate, which this test does
# not measure. The hubs sync up when the test says (but the serve killed on its thread).
printf 'handshakes_per_address = 100000\nupstream = off\n' >"$conf"

# halt NAME: stops hub NAME if it runs (SIGTERM lets its queued merges finish).
halt() {
    eval "_p=\${pid_$1:-}"
    [ -n "$_p" ] || return 0
    kill -TERM "$_p" 2>/dev/null
    wait "$_p" 2>/dev/null
    eval "pid_$1="
}
# cells NAME: the versions replica NAME holds that the cells wrote.
cells() { sql "$1" "SELECT count(*) FROM cs_version WHERE origin IN ($cellsites)"; }
dups() {
    sql "$1" "SELECT count(*) FROM (SELECT 1 FROM cs_version GROUP BY tbl, row, col, hlc, origin
              HAVING count(*) > 1)"
}
seconds() { awk -v ms="$1" 'BEGIN { printf "%.3f", ms / 1000 }'; }
# upsync: the commune's sync up, again until it finishes (at most 5 tries).
upsync() {
    _n=0
    while [ $_n -lt 5 ]; do
        _n=$((_n + 1))
        "$cellsyncd" upstream sync --hub "$addr_prov" --timeout 20 --state "$dir/x1" \
            --config "$conf" >"$out" 2>"$err" </dev/null && return 0
        sleep 0.2
    done
    bad "trial $i: the commune's sync up did not finish in 5 tries"
}
# cellsync NAME: the cell's sync with the commune, again until it finishes (at most 5 tries).
cellsync() {
    _n=0
    while [ $_n -lt 5 ]; do
        _n=$((_n + 1))
        dosync "$1" "$addr_x1"
        [ "$sc" -eq 0 ] && return 0
        sleep 0.2
    done
    bad "trial $i: $1's sync with the commune did not finish in 5 tries"
}

echo "A province, a commune below it, three cells with a busy day"
at prov 0 "created the hub" -- init --org-tree "$(dirname "$0")/../tools/tree_province.csv"
serve prov
at prov 0 "role hub" -- enroll --org XA-01 --role hub --name "hub x1" --addr "$addr_prov" \
    --out "$dir/x1.enroll"
at x1 0 "below another hub" -- init --upstream "$dir/x1.enroll"
at x1 0 "synced with the hub above" -- upstream sync --hub "$addr_prov"
serve x1
for d in c1:CB-01 c2:CB-02 c3:CB-02; do
    at x1 0 "" -- enroll --org "${d#*:}" --role cell --name "máy ${d%%:*}" --addr "$addr_x1" \
        --out "$dir/${d%%:*}.enroll"
    on "${d%%:*}" 0 "created" -- init
    on "${d%%:*}" 0 "enrolled" -- enroll "$dir/${d%%:*}.enroll"
done
CELLSYNC_HOME="$dir/c1" "$bulk" candidates $N_CELL >"$out" 2>"$err" && ok || bad "cs_bulk c1"
CELLSYNC_HOME="$dir/c2" "$bulk" candidates $N_CELL >"$out" 2>"$err" && ok || bad "cs_bulk c2"
CELLSYNC_HOME="$dir/c3" "$bulk" candidates $N_LATE >"$out" 2>"$err" && ok || bad "cs_bulk c3"
on c1 0 "member" -- member add --name "Đảng viên c1" --status official
# What the province wrote since, for the commune to take in on its way up.
at prov 0 "target for XA-01" -- target --org XA-01 --year 2026 --admissions 5
at prov 0 "day off" -- holiday add 2026-03-10 "Ngày truyền thống tỉnh"
# The cells' syncs and the commune's own writes interleave in its seqs.
i=0
on c1 0 "synced" -- sync --quiet
at x1 0 "target for CB-01" -- target --org CB-01 --year 2026 --admissions 2
on c2 0 "synced" -- sync --quiet
at x1 0 "target for CB-02" -- target --org CB-02 --year 2026 --admissions 3
halt x1
halt prov
cellsites="x'$(site c1)', x'$(site c2)', x'$(site c3)'"
# The state each trial starts from: c3's day not yet at the commune, nothing up yet.
mkdir "$dir/snap"
cp -a "$dir/prov" "$dir/x1" "$dir/c3" "$dir/snap/"
total=$(($(cells x1) + N_LATE * 7))
echo "the cells wrote $total changes, $((N_LATE * 7)) of them c3's, which syncs during each trial"

# upconf: $dir/up.conf, the config of a commune that syncs up on its serve's thread, to
# the province at its address now, at once when it starts and then not for an hour.
upconf() {
    printf 'handshakes_per_address = 100000\nupstream = %s\nupstream_interval = 3600\n' \
        "$addr_prov" >"$dir/up.conf"
}
# upserve: the commune's serve syncs up on its thread, started with upconf; stopped once
# nothing waits to go up (SIGTERM waits for the sync's end), at most 30 s.
upserve() {
    upconf
    serve x1 "$dir/up.conf"
    _n=0
    until "$cellsyncd" upstream status --json --state "$dir/x1" --config "$conf" 2>"$err" |
        grep -q '"waiting_changes":0'; do
        _n=$((_n + 1))
        if [ $_n -gt 300 ]; then
            bad "trial $i: the commune's serve did not sync up in 30 s"
            tail -3 "$dir/x1.log"
            break
        fi
        sleep 0.1
    done
    halt x1
}
# begin MODE [C3_MS]: a trial's start from the saved state: the province and the commune
# serve, the commune syncs up: by `cellsyncd upstream sync` (pid $uppid); or (MODE serve)
# on the thread of its serve, which is told the province's address; or (MODE import) by
# `upstream export`, which the province takes with `cellsyncd import` (pid $uppid). And
# C3_MS (0) ms in, c3 syncs with the commune (pid $c3pid). Sets $t0.
begin() {
    restore snap prov x1 c3
    serve prov
    if [ "$1" = serve ]; then
        upconf
        t0=$(now_ms)
        serve x1 "$dir/up.conf"
        uppid=
    elif [ "$1" = import ]; then
        serve x1
        at x1 0 "for the hub above" -- upstream export "$dir/x1.up"
        rm -rf "$dir/replies" && mkdir "$dir/replies"
        t0=$(now_ms)
        "$cellsyncd" import "$dir/x1.up" --reply-dir "$dir/replies" --state "$dir/prov" \
            --config "$conf" >"$dir/up.out" 2>&1 </dev/null &
        uppid=$!
    else
        serve x1
        t0=$(now_ms)
        "$cellsyncd" upstream sync --hub "$addr_prov" --timeout 20 --state "$dir/x1" \
            --config "$conf" >"$dir/up.out" 2>&1 </dev/null &
        uppid=$!
    fi
    (
        sleep "$(seconds "${2:-0}")"
        CELLSYNC_HOME="$dir/c3" exec "$cellsync" sync --quiet --timeout 20 --hub "$addr_x1" \
            >"$dir/c3.out" 2>&1 </dev/null
    ) &
    c3pid=$!
}
# The shortest of three uninterrupted syncs up: on a shared machine one slow run would
# put every kill after the merges and prove nothing.
full=
for _ in 1 2 3; do
    begin sync
    wait "$uppid"
    rc=$?
    t=$(($(now_ms) - t0))
    wait "$c3pid"
    [ $rc -eq 0 ] && ok || bad "an uninterrupted sync up exited $rc: $(cat "$dir/up.out")"
    { [ -z "$full" ] || [ "$t" -lt "$full" ]; } && full=$t
    halt x1
    halt prov
done
equal "the cells' changes at the province after an uninterrupted sync up" "$total" "$(cells prov)"
# And the province's import of the commune's bundle, once.
begin import
wait "$uppid"
rc=$?
import_ms=$(($(now_ms) - t0))
wait "$c3pid"
[ $rc -eq 0 ] && ok || bad "an uninterrupted import of the commune's bundle exited $rc: $(cat "$dir/up.out")"
halt x1
halt prov
echo "one uninterrupted sync up: $full ms (the shortest of 3); the province's import of the" \
    "same by stick: $import_ms ms"

i=0 mid=0
while [ "$i" -lt "$trials" ]; do
    i=$((i + 1))
    case $((i % 4)) in
    1) mode=province ;;
    2) mode=sync ;;
    3) mode=serve ;;
    *) mode=import ;;
    esac
    t=$full
    [ $mode = import ] && t=$import_ms
    # A share of the uninterrupted time, spread over 5% to 95% (golden-ratio steps); c3
    # starts its sync at another share, so its merge lands anywhere in the sync up.
    delay=$(awk -v i="$i" -v t="$t" 'BEGIN { f = i * 0.6180339887; f -= int(f);
                                                printf "%d", (0.05 + 0.9 * f) * t }')
    c3delay=$(awk -v i="$i" -v t="$full" 'BEGIN { f = i * 0.7548776662; f -= int(f);
                                                  printf "%d", f * t }')
    begin "$mode" "$c3delay"
    sleep "$(seconds $((delay - ($(now_ms) - t0))))" 2>/dev/null
    case $mode in
    province) victim=$pid_prov pid_prov= ;;
    sync | import) victim=$uppid ;;
    *) victim=$pid_x1 pid_x1= ;;
    esac
    kill -KILL "$victim" 2>/dev/null
    wait "$victim" 2>/dev/null
    kc=$?
    [ -n "$uppid" ] && wait "$uppid" 2>/dev/null
    wait "$c3pid"
    halt x1
    halt prov
    h=$(cells prov)
    for n in prov x1; do
        [ "$(sql "$n" 'PRAGMA integrity_check')" = ok ] && ok ||
            bad "trial $i: $n fails PRAGMA integrity_check"
    done
    # The commune never believes the province acknowledged more than it merged.
    ack=$(meta x1 hub_ack_seq 0)
    cursor=$(sql prov "SELECT coalesce((SELECT up_seq FROM hub_device WHERE name = 'hub x1'), 0)")
    [ "$ack" -le "$cursor" ] && ok ||
        bad "trial $i: the commune believes seq $ack acknowledged, the province merged to $cursor"
    [ "$kc" -eq 137 ] && [ "$h" -gt 0 ] && [ "$h" -lt "$total" ] && mid=$((mid + 1))
    what="killed $delay ms in"
    [ "$kc" -ne 137 ] && what="had finished before the kill at $delay ms (exit $kc)"
    echo "trial $i: the $mode $what, with $h of the cells' $total changes at the province" \
        "(the commune's cursor $ack, the province's $cursor)"

    # Started again, everything goes on from there and finishes.
    serve prov
    serve x1
    cellsync c3
    # After a kill of its serve the commune's serve syncs up again on its thread; after a
    # kill of the province's import, the province imports the bundle again, the commune
    # takes the reply, then syncs up live what came since (c3's).
    if [ "$mode" = serve ]; then
        halt x1
        upserve
    elif [ "$mode" = import ]; then
        at prov 0 "XA-01" -- import "$dir/x1.up" --reply-dir "$dir/replies"
        at x1 0 "from the hub above" -- upstream import "$(ls "$dir"/replies/XA-01_*.reply)"
        upsync
    else
        upsync
    fi
    equal "trial $i: the cells' changes at the province" "$total" "$(cells prov)"
    equal "trial $i: the cells' changes at the commune" "$total" "$(cells x1)"
    equal "trial $i: changes stored twice at the province" 0 "$(dups prov)"
    equal "trial $i: changes stored twice at the commune" 0 "$(dups x1)"
    equal "trial $i: the commune's targets at the province" 2 \
        "$(sql prov "SELECT count(*) FROM target WHERE org_unit IN ('CB-01', 'CB-02')")"
    equal "trial $i: the province's target and day off at the commune" "5|1" \
        "$(sql x1 "SELECT (SELECT admissions FROM target WHERE org_unit = 'XA-01') || '|' ||
                          (SELECT count(*) FROM holiday WHERE day = '2026-03-10')")"
    equal "trial $i: XA-01's registers at the province and the commune" \
        "$(regs x1 "'CB-01','CB-02'")" "$(regs prov "'CB-01','CB-02'")"
    equal "trial $i: CB-01's registers at the province and c1" \
        "$(regs c1 "'CB-01'")" "$(regs prov "'CB-01'")"
    equal "trial $i: CB-02's registers at the province and c3" \
        "$(regs c3 "'CB-02'")" "$(regs prov "'CB-02'")"
    at prov 0 "signatures of change sets checked" -- audit verify
    at x1 0 '"waiting_changes":0' -- upstream status --json
    halt x1
    halt prov
done
echo "$mid of $trials kills landed while the province held part of the cells' changes"
[ "$mid" -gt 0 ] && ok || bad "no kill landed while the province held part of the changes"
summary
