#!/bin/sh
# SPDX-License-Identifier: MIT
# The hub's sync report counts as pending what a device's next sync would bring it:
# a hub on loopback with two cells of different units (a, b), each writes and syncs,
# and both then show pending 0, though the hub's seq has moved past each one's cursor
# with the other's writes. A third change at cell a, before b syncs: b's pending is
# what b's next sync then reports receiving (nothing of a's cell), and a change the
# hub makes in b's cell is counted for b and not for a.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "no python3 to read the report's JSON"

cat >"$dir/tree.csv" <<'CSV'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CB-02,XA-ML,cell,village,"Chi bộ bản Pù Quăn"
CSV
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
start_hub "$dir/hub"
for d in a:CB-01 b:CB-02; do
    name=${d%%:*} org=${d#*:}
    hubdo 0 "" -- enroll --org "$org" --role cell --name "máy $name" --addr "$addr" \
        --out "$dir/$name.enroll"
    on "$name" 0 "created" -- init
    on "$name" 0 "enrolled" -- enroll "$dir/$name.enroll"
done

# pending DEVICE-NAME: the sync report's pending of the device named "máy NAME".
pending() {
    "$cellsyncd" report sync --format json --state "$dir/hub" >"$out" 2>"$err" </dev/null
    python3 -c '
import json, sys
for d in json.load(open(sys.argv[1]))["sections"]["devices"]:
    if d["name"] == sys.argv[2]:
        print("null" if d["pending"] is None else d["pending"])' "$out" "máy $1"
}
# received: the changes the sync just run says it received.
received() { sed -n 's/.*received \([0-9]*\) (.*/\1/p' "$out"; }

on a 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 2000-03-15 --sex male
on b 0 "added candidate" -- candidate add --name "Lò Thị Hoa" --birth-date 1999-05-01 --sex female
on a 0 "synced" -- sync --hub "$addr"
on b 0 "synced" -- sync --hub "$addr"
on a 0 "synced" -- sync --hub "$addr"
on b 0 "synced" -- sync --hub "$addr"
hub_seq=$(hubsql "SELECT max(seq) FROM cs_version")
down_a=$(hubsql "SELECT down_seq FROM hub_device WHERE name = 'máy a'")
check "the hub has versions after a's cursor (the case the report got wrong)" \
    test "$hub_seq" -gt "$down_a"
equal "a's pending after both synced" 0 "$(pending a)"
equal "b's pending after both synced" 0 "$(pending b)"

# A third change at a: nothing of it goes to b.
on a 0 "added member" -- member add --name "Đinh Văn Thắng" --status official
on a 0 "synced" -- sync --hub "$addr"
want=$(pending b)
equal "b's pending after a's third change" 0 "$want"
equal "a's pending after its own sync" 0 "$(pending a)"
on b 0 "synced" -- sync --hub "$addr"
equal "b received what the report said was pending" "$want" "$(received)"

# Changes the hub makes in b's cell: pending for b, not for a.
hubdo 0 "" -- target --org CB-02 --year 2026 --admissions 5 --students 1
want=$(pending b)
check "a target set for b's cell is pending for b ($want)" test "${want:-0}" -gt 0
equal "and not for a" 0 "$(pending a)"
on b 0 "synced" -- sync --hub "$addr"
equal "b received the $want pending changes" "$want" "$(received)"
equal "b's pending after it synced" 0 "$(pending b)"
on a 0 "synced" -- sync --hub "$addr"
equal "a received nothing" 0 "$(received)"
stop_hub
summary
