#!/bin/sh
# SPDX-License-Identifier: MIT
# Relayed changes are verifiable (issue 17, review F8), through the real binaries on
# loopback: a hub-role device may hand the hub another device's changes only as that
# device signed them (cellsync/origin.h), only for a device enrolled in its subtree, and
# the hub judges them as that device, with the same drift bound as its own. cs_raw plays
# the relaying device (its key and replica), with a cell's key and replica to sign as it.
# The org tree: HU-01 (district) -> XA-01 (commune) -> CB-01, CB-02; HU-01 -> XA-02 -> CB-03.
set -u
cellsync=$1 cellsyncd=$2 raw=$3 fixture=$4
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

# What the hub stores: its replicated state and the number of versions.
hub_state() { echo "hash=$(hash hub) versions=$(hubsql 'SELECT count(*) FROM cs_version')"; }
fx() { _dev=$1; shift; CELLSYNC_HOME="$dir/$_dev" "$fixture" "$@" >/dev/null; }
# up NAME: the hub's cursor for a device (the last of its seqs merged there).
up() { hubsql "SELECT up_seq FROM hub_device WHERE name = '$1'"; }
# relay CELL HOW PATTERN WHAT: the relay sends its own unsynced changes and CELL's
# (cs_raw relay); its output must hold PATTERN.
relay() {
    "$raw" "$addr" relay "$dir/relay" "$dir/$1" "$(up "$1")" "$2" >"$out" 2>"$err"
    got=$?
    verdict 0 stdout "$3" "$4"
    [ -z "${RELAY_TRACE:-}" ] || cat "$out"
}
# refused CELL HOW PATTERN WHAT: as relay, and the hub stores nothing new.
refused() {
    _before=$(hub_state)
    relay "$1" "$2" "$3" "$4"
    _now=$(hub_state)
    [ "$_now" = "$_before" ] && ok || bad "$4 changed what the hub stores: $_before -> $_now"
}
name_at() { sql "$1" "SELECT full_name FROM candidate WHERE hex(id) = '$k'"; }

# HU-01 (district) -> XA-01 (commune) -> CB-01, CB-02; HU-01 -> XA-02 -> CB-03.
hubdo 0 "" -- init --org-tree "$(dirname "$0")/../tools/tree_two_communes.csv"
# Some thirty syncs from 127.0.0.1 in seconds: over the per-address handshake rate
# (handshakes_per_address), which this test does not measure. The clock bound of the
# review's demonstration, 24 hours (a relay was allowed twice that before F8).
printf 'handshakes_per_address = 100000\nmax_drift_minutes = 1440\n' >"$dir/hub.conf"
start_hub "$dir/hub" --config "$dir/hub.conf"
for d in cm:XA-01:committee relay:XA-01:hub c1:CB-01:cell c2:CB-02:cell c3:CB-03:cell; do
    name=${d%%:*} rest=${d#*:}
    hubdo 0 "" -- enroll --org "${rest%%:*}" --role "${rest#*:}" --name "$name" --addr "$addr" \
        --out "$dir/$name.enroll"
    on "$name" 0 "created" -- init
    on "$name" 0 "" -- enroll "$dir/$name.enroll"
done
on c1 0 "added candidate" -- candidate add --name "Lò Thị Gốc" --birth-date 01/01/2000
for d in c1 cm relay c2 c3; do on "$d" 0 "synced" -- sync --quiet --hub "$addr"; done
k=$(sql c1 "SELECT hex(id) FROM candidate WHERE full_name = 'Lò Thị Gốc'")
c1=$(short c1) c2=$(short c2) c3=$(short c3)

echo "A cell's set relayed as the cell signed it, with the relay's own write"
fx c1 set candidate "$k" full_name "Lò Thị Chuyển"
fx relay set candidate "$k" hometown "Bản Mới"
relay c1 signed "relay: ACK" "a relayed set signed by its cell"
if grep -q "refused" "$out"; then bad "the relayed set was refused in part"; else ok; fi
equal "the relayed name at the hub" "Lò Thị Chuyển" "$(name_at hub)"
equal "the relay's own write at the hub" "Bản Mới" \
    "$(hubsql "SELECT hometown FROM candidate WHERE hex(id) = '$k'")"
on cm 0 "synced" -- sync --quiet --hub "$addr"
equal "the relayed name at another device" "Lò Thị Chuyển" "$(name_at cm)"
on c1 0 "synced" -- sync --quiet --hub "$addr"

echo "A relayed set whose signature is not its cell's"
fx c1 set candidate "$k" phone "091-200-0001"
refused c1 forge "ERROR CS_ESIGNATURE: change set refused: the set it relays for device '$c1' does not carry that device's signature" \
    "a relayed set signed by the relay under the cell's key"

echo "A cell's changes relayed without the cell's signature"
refused c1 nosig "refused candidate.phone of $c1, kind 5: change was written by another device" \
    "the cell's changes in the relay's own set"
on c1 0 "synced" -- sync --quiet --hub "$addr" # the phone, from the cell itself
equal "the phone at the hub, from the cell" "091-200-0001" \
    "$(hubsql "SELECT phone FROM candidate WHERE hex(id) = '$k'")"

echo "A set relayed for a device outside the relay's subtree"
on c3 0 "added candidate" -- candidate add --name "Người Xã Hai" --birth-date 01/01/2000
refused c3 signed "refused candidate.full_name of $c3, kind 28: the changes relayed for device '$c3' are refused: its unit 'CB-03' is outside the relaying device's subtree" \
    "a set of CB-03 relayed by a device of XA-01"

echo "A set relayed for a revoked device of the relay's subtree"
hubdo 0 "" -- revoke c2
on c2 0 "added candidate" -- candidate add --name "Máy Đã Thu Hồi" --birth-date 01/01/2000
refused c2 signed "refused candidate.full_name of $c2, kind 27: the changes relayed for device '$c2' are refused: it was revoked" \
    "a set of a revoked cell"

echo "A relayed stage change its cell may not make"
fx c1 set candidate "$k" stage ceremony
refused c1 signed "does not allow a candidate to go from 'identified' to 'ceremony'" \
    "identified -> ceremony, relayed for a cell"
equal "the candidate's stage at the hub" identified \
    "$(hubsql "SELECT stage FROM candidate WHERE hex(id) = '$k'")"
dosync c1 # told of the refusal itself; the step is withdrawn below
fx c1 set candidate "$k" stage identified
on c1 0 "" -- sync --quiet --hub "$addr"

echo "A relayed set stamped 25 hours ahead (the bound is 24, for relays as for cells)"
set_meta c1 clock_offset_ms 90000000
fx c1 set candidate "$k" note "ghi chú nhanh"
refused c1 signed "refused candidate.note of $c1, kind 2: clock is 25 hours ahead of the hub" \
    "a relayed stamp 25 hours ahead"
set_meta c1 clock_offset_ms 0

echo "F8: the relay writes a name as the cell, 47 hours ahead"
set_meta relay clock_offset_ms 169200000
fx relay set candidate "$k" full_name "Renamed by relay"
refused c1 impersonate "refused candidate.full_name of $c1, kind 5: change was written by another device" \
    "the relay's write under the cell's id, 47 h ahead"
equal "the name at the hub" "Lò Thị Chuyển" "$(name_at hub)"
dosync c1
equal "the name at the cell" "Lò Thị Chuyển" "$(name_at c1)"
on cm 0 "synced" -- sync --quiet --hub "$addr"
equal "the name at another device" "Lò Thị Chuyển" "$(name_at cm)"

echo "The audit trail keeps every set as its origin signed it"
stop_hub
hubdo 0 "the audit trail holds: .* signatures of change sets checked" -- audit verify
summary
