#!/bin/sh
# SPDX-License-Identifier: MIT
# Revocation reaches live sessions, and no session lasts for ever (review F7).
# A real hub on loopback, real devices, and cs_raw holding sessions open:
#  - late: a session opened before `cellsyncd revoke`, its chunk sent after:
#    the device gets an ERROR naming the revocation, the session closes, and
#    the hub stores nothing of the chunk (its state hash and cursors unchanged);
#  - hold: a session kept busy (a DONE each second, so never idle) is ended
#    by `cellsyncd revoke` within a few seconds, with the same ERROR;
#  - lifetime: with session_lifetime = 3, a session kept busy is ended after
#    3 s with an ERROR saying so, and nothing stored changes.
set -u
cellsync=$1 cellsyncd=$2 raw=$3 bulk=$4 fixture=$5
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

# What the hub stores: its replicated state and every device's cursor. Not the device
# records: a revocation is written there (the day it was revoked, for the hubs above).
hub_state() {
    echo "data=$(hubsql "SELECT hex(row) || col || hlc || quote(val) FROM cs_version
                         WHERE tbl != 'device' ORDER BY seq" | cksum)" \
        "versions=$(hubsql "SELECT count(*) FROM cs_version WHERE tbl != 'device'")" \
        "cursors=$(hubsql 'SELECT group_concat(up_seq) FROM (SELECT up_seq FROM hub_device ORDER BY id)')"
}
same_state() {
    now=$(hub_state)
    if [ "$now" = "$1" ]; then ok; else bad "$2 changed what the hub stores: $1 -> $now"; fi
}
# logged PATTERN: the hub's log has a line matching PATTERN, within 3 s.
logged() {
    i=0
    while ! grep -q -- "$1" "$dir/hub.log" && [ $i -lt 60 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    grep -q -- "$1" "$dir/hub.log" && ok || bad "the hub logged no line '$1'"
}
# raw_bg NAME MODE DEVICE: cs_raw MODE for DEVICE in the background, its report in
# $dir/NAME.out; waits for the session to be open ($dir/NAME.open).
raw_bg() {
    rm -f "$dir/$1.open"
    "$raw" "$addr" "$2" "$dir/$3" "$dir/$1.open" >"$dir/$1.out" 2>&1 &
    rawpid=$!
    bg_pids=$rawpid
    wait_file "$dir/$1.open" 100 || bad "cs_raw $2 $3: no session open"
}
# raw_done NAME PATTERN: cs_raw exited 0 and its report has PATTERN.
raw_done() {
    wait "$rawpid"
    rc=$?
    bg_pids=
    sed 's/^/  /' "$dir/$1.out"
    if [ $rc -eq 0 ] && grep -q -- "$2" "$dir/$1.out"; then
        ok
    else
        bad "cs_raw $1 exited $rc, its report lacks '$2'"
    fi
}

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
EOF
"$cellsyncd" init --state "$dir/hub" --org-tree "$dir/tree.csv" >"$out" 2>"$err"
check_rc $? "hub init"
start_hub "$dir/hub"
for name in late hold life; do
    "$cellsyncd" enroll --state "$dir/hub" --org CB-01 --role cell --name "máy $name" \
        --addr "$addr" --out "$dir/$name.enroll" >"$out" 2>"$err"
    check_rc $? "enroll $name at the hub"
    on "$name" 0 "created" -- init
    on "$name" 0 "enrolled" -- enroll "$dir/$name.enroll"
    on "$name" 0 "synced" -- sync --quiet --timeout 20
done

# ---- late: a chunk sent after the revocation, on a session opened before it ----
CELLSYNC_HOME="$dir/late" "$bulk" candidates 2 >"$out" 2>"$err"
check_rc $? "cs_bulk on late"
idl=$(short late)
s0=$(hub_state)
echo "cs_raw late (a session opened, the device revoked, then its chunk)"
raw_bg late late late
hubdo 0 "revoked device .*$idl" -- revoke "$idl"
rm -f "$dir/late.open"
raw_done late 'ERROR code 1032 (CS_EREVOKED): "this device was revoked at the hub on'
same_state "$s0" "a chunk sent after the revocation"
logged "device=$idl event=close reason=\"this device was revoked at the hub on"
equal "late's candidates at the hub" 0 "$(hubsql 'SELECT count(*) FROM candidate')"

# ---- hold: a busy session of a device revoked meanwhile ends at once ----
idh=$(short hold)
s0=$(hub_state)
echo "cs_raw hold (a busy session; the device revoked meanwhile)"
raw_bg hold hold hold
hubdo 0 "revoked device .*$idh" -- revoke "$idh"
t0=$(now_ms)
# The ERROR is read even when a DONE of the client crossed it: the hub's close lingers.
raw_done hold 'ERROR code 1032 (CS_EREVOKED): "this device was revoked at the hub on'
took=$(($(now_ms) - t0))
echo "  the session ended $took ms after the revocation"
[ "$took" -lt 4000 ] && ok || bad "the revoked device's session lasted $took ms after revoke"
logged "device=$idh event=revoked-session"
same_state "$s0" "a session ended by its revocation"
# The real client is told why at its next sync.
on hold 1 "revoked" -- sync --quiet --timeout 20

# ---- lifetime: no session lasts longer than session_lifetime ----
stop_hub
printf 'session_lifetime = 3\n' >"$dir/hub.conf"
start_hub "$dir/hub" --config "$dir/hub.conf"
idf=$(short life)
s0=$(hub_state)
echo "cs_raw hold (a busy session, session_lifetime = 3)"
raw_bg life hold life
raw_done life 'ERROR code 1033 (CS_EEXPIRED): "the session reached the hub.s maximum of 3 s'
ms=$(sed -n 's/^hold: the hub answered after \([0-9]*\) ms$/\1/p' "$dir/life.out")
[ "${ms:-0}" -ge 2500 ] && [ "${ms:-0}" -lt 6000 ] && ok ||
    bad "the session ended after ${ms:-?} ms, not about 3 s"
logged "device=$idf event=close reason=\"the session reached the hub's maximum of 3 s"
same_state "$s0" "a session over its lifetime"
# The device syncs again, in a new session (the hub listens on a new port).
dosync life
equal "life's next sync (exit)" 0 "$sc"
stop_hub
summary
