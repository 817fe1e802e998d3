#!/bin/sh
# SPDX-License-Identifier: MIT
# The hub killed with SIGKILL in the middle of merging a large sync, again
# and again (CS_CRASH_TRIALS, 10 by default; `make soak` runs 100), each
# trial from the same state so every kill lands in a sync of 21,000 changes,
# at a different share of its length. After each kill: the database passes
# PRAGMA integrity_check, every change the hub had acknowledged to the device
# is there, and the device's next sync completes from there. At least half
# the kills must land while the hub holds part of the changes. At the end
# the hub holds exactly the device's records, each once.
set -u
cellsync=$1 cellsyncd=$2 bulk=$3 fixture=$4
trials=${CS_CRASH_TRIALS:-10}
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

devsql() { sql a "$1"; }

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
EOF
"$cellsyncd" init --state "$dir/hub" --org-tree "$dir/tree.csv" >/dev/null 2>&1 && ok || bad "hub init"
start_hub "$dir/hub"
"$cellsyncd" enroll --state "$dir/hub" --org CB-01 --role cell --name a --addr "$addr" \
    --out "$dir/a.enroll" >/dev/null 2>&1
on a 0 "created" -- init
on a 0 "enrolled" -- enroll "$dir/a.enroll"
CELLSYNC_HOME="$dir/a" "$bulk" candidates 3000 >/dev/null 2>&1 && ok || bad "cs_bulk"
total=$(devsql "SELECT count(*) FROM candidate")

# The device's own versions the hub acknowledged, and how many of them the hub holds.
acked_here() {
    ack=$(meta a hub_ack_seq 0)
    devsql "SELECT count(*) FROM cs_version WHERE seq <= $ack AND origin = x'$(site a)'"
}
# (The device is the hub's only one, and a replica's own versions carry its site id.)
held_at_hub() {
    hubsql "SELECT count(*) FROM cs_version WHERE origin IN (SELECT id FROM hub_device)"
}

# Every trial starts from the same state, before the first sync (the hub and
# the device stopped and copied), so each kill lands in a sync of all 21,000
# changes: at a share of the time one uninterrupted sync takes, spread over
# 2% to 96% across the trials.
stop_hub
cp -a "$dir/hub" "$dir/hub0"
cp -a "$dir/a" "$dir/a0"
reset() {
    [ -n "$hubpid" ] && stop_hub
    rm -rf "$dir/hub" "$dir/a"
    cp -a "$dir/hub0" "$dir/hub"
    cp -a "$dir/a0" "$dir/a"
    start_hub "$dir/hub"
}
# The shortest of three uninterrupted syncs: on a shared machine one slow
# run would put every kill after the merges and prove nothing.
full=
for _ in 1 2 3; do
    reset
    t0=$(now_ms)
    on a 0 "synced" -- sync --quiet --hub "$addr"
    t=$(($(now_ms) - t0))
    { [ -z "$full" ] || [ "$t" -lt "$full" ]; } && full=$t
done
echo "one uninterrupted sync of the device's changes: $full ms (the shortest of 3)"

i=0 mid=0
while [ "$i" -lt "$trials" ]; do
    i=$((i + 1))
    reset
    CELLSYNC_HOME="$dir/a" "$cellsync" sync --quiet --hub "$addr" >"$dir/sync.out" 2>&1 &
    syncpid=$!
    share=$((2 + (i * 37) % 95))
    delay=$((full * share / 100))
    sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
    kill -KILL "$hubpid" 2>/dev/null
    wait "$hubpid" 2>/dev/null
    hubpid=
    wait "$syncpid"
    [ "$(hubsql 'PRAGMA integrity_check')" = ok ] && ok || bad "trial $i: integrity_check failed"
    a=$(acked_here) h=$(held_at_hub)
    [ "$h" -ge "$a" ] && ok || bad "trial $i: the hub holds $h of the $a changes it acknowledged"
    [ "$h" -gt 0 ] && [ "$h" -lt 21000 ] && mid=$((mid + 1))
    echo "trial $i: killed at $share% ($delay ms) with $h of the device's changes at the hub ($a acknowledged)"
    # The next sync goes on from there and completes.
    start_hub "$dir/hub"
    on a 0 "synced" -- sync --quiet --hub "$addr"
    [ "$(held_at_hub)" = 21000 ] && ok || bad "trial $i: after the resumed sync the hub holds $(held_at_hub) of 21000"
done
echo "$mid of $trials kills landed while the hub held part of the changes"
# Most kills must land inside the merges, or the test proves little.
[ "$trials" -lt 10 ] || [ $((mid * 2)) -ge "$trials" ] && ok ||
    bad "only $mid of $trials kills landed inside the merges"

on a 0 "synced" -- sync --hub "$addr"
[ "$(hubsql 'SELECT count(*) FROM candidate')" = "$total" ] &&
    ok || bad "the hub holds $(hubsql 'SELECT count(*) FROM candidate') candidates, not $total"
dups=$(hubsql "SELECT count(*) FROM (SELECT tbl, row, col, hlc, origin FROM cs_version
               GROUP BY tbl, row, col, hlc, origin HAVING count(*) > 1)")
[ "$dups" = 0 ] && ok || bad "$dups changes stored twice"
on a 0 "sent 0 changes" -- sync --hub "$addr"
summary
