#!/bin/sh
# SPDX-License-Identifier: MIT
# Live sync through the real binaries on loopback: a hub (cellsyncd serve on
# port 0) and field devices in temp directories. Two cells record offline
# and sync; two laptops of one cell converge to the same state; a target set
# at the hub reaches its cell and no other; a field edited on two devices
# offline becomes a conflict that shows on both and resolves everywhere;
# writes outside a device's unit, revoked devices, reused enrollments and a
# hub with the wrong key are refused with a reason and change nothing.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
same_state() {
    a=$(hash "$1") b=$(hash "$2")
    [ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "$1 and $2 differ: $a / $b"
}

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CB-02,XA-ML,cell,village,"Chi bộ bản Pù Quăn, xóm 2"
EOF
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
start_hub "$dir/hub"

# Three devices: two laptops of cell 1 (a, a2), one of cell 2 (b).
for d in a:CB-01 a2:CB-01 b:CB-02; do
    name=${d%%:*} org=${d#*:}
    hubdo 0 "" -- enroll --org "$org" --role cell --name "máy $name" --addr "$addr" \
        --out "$dir/$name.enroll"
    on "$name" 0 "created" -- init
    on "$name" 0 "enrolled" -- enroll "$dir/$name.enroll"
done

# Offline work on each, then sync.
on a 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 2000-03-15 --sex male
k=$(added_id)
on a 0 "added member" -- member add --name "Đinh Văn Thắng" --status official
on b 0 "added candidate" -- candidate add --name "Lò Thị Hoa" --birth-date 1999-05-01
on a 0 "sent 9 changes" -- sync
on b 0 "synced" -- sync
on a2 0 "synced" -- sync
on a2 0 "Nguyễn Văn Sỹ" -- candidate list
on a2 0 "Đinh Văn Thắng" -- member list
on b 1 "no candidate" -- candidate show "$k"
# The enrollment was used once; using it again is refused. a learns a2's name (the
# hub's record of it, written at a2's first contact) at this second sync.
on a 0 "synced" -- sync
same_state a a2

# A target set at the hub reaches cell 1 only.
hubdo 0 "" -- target --org CB-01 --year 2026 --admissions 5 --students 1
on a 0 "synced" -- sync
on a 0 "CB-01" -- target list
on b 0 "synced" -- sync
CELLSYNC_HOME="$dir/b" "$cellsync" target list --json >"$out" 2>"$err"
[ "$(cat "$out")" = "[]" ] && ok || bad "cell 2 received cell 1's target"

# The same field edited on both laptops of cell 1 while offline.
on a 0 "changed" -- candidate edit "$k" --phone 0911000111
on a2 0 "changed" -- candidate edit "$k" --phone 0922000222
on a 0 "synced" -- sync
on a2 0 "open conflicts 1" -- sync
on a 0 "synced" -- sync
on a 0 "0911000111" -- conflicts list
on a2 0 "0922000222" -- conflicts list
[ "$(hubsql "SELECT count(*) FROM cs_version WHERE state = 'conflict'")" = 1 ] &&
    ok || bad "the hub does not hold the conflict"
n=$(CELLSYNC_HOME="$dir/a" "$cellsync" conflicts list --json | sed -n 's/.*"conflict":\([0-9]*\).*/\1/p')
on a 0 "" -- conflicts resolve "${n:-0}" --value 0933000333
on a 0 "synced" -- sync
on a2 0 "synced" -- sync
on a2 0 "0933000333" -- candidate show "$k"
CELLSYNC_HOME="$dir/a2" "$cellsync" conflicts list --json >"$out" 2>"$err"
[ "$(cat "$out")" = "[]" ] && ok || bad "the conflict is still open on a2"
same_state a a2

# A laptop whose clock runs 3 days ahead: its writes take the hub's time before they go.
set_meta a2 clock_offset_ms 259200000
on a2 0 "changed" -- candidate edit "$k" --hometown "Bản Khe Ván"
on a2 0 "clock was ahead" -- sync
on a2 0 "refused 0" -- sync
[ "$(hubsql \
    "SELECT (max(hlc) >> 16) < (strftime('%s', 'now') + 3600) * 1000 FROM cs_version")" = 1 ] &&
    ok || bad "a stamp from the future reached the hub"
on a 0 "synced" -- sync
on a 0 "Bản Khe Ván" -- candidate show "$k"

# A cell moving a record into the other cell's unit is refused when typed; written
# all the same (as an older client would), the hub refuses it and keeps it for review.
before=$(hash b)
on a 1 "'CB-02' is not this device's unit 'CB-01'" -- candidate edit "$k" --org CB-02
CELLSYNC_HOME="$dir/a" "$fixture" set candidate \
    "$(sql a "SELECT hex(id) FROM candidate WHERE full_name = 'Nguyễn Văn Sỹ'")" org_unit CB-02
on a 3 "refused 1" -- sync
on b 0 "synced" -- sync
[ "$(hash b)" = "$before" ] && ok || bad "cell 2 received a refused change"
[ "$(hubsql 'SELECT count(*) FROM hub_refused')" -ge 1 ] &&
    ok || bad "the refusal was not kept at the hub"

# A revoked device is turned away with the reason; nothing it holds is taken.
hubdo 0 "" -- revoke "máy b"
on b 0 "added candidate" -- candidate add --name "Không Được Gửi"
on b 1 "revoked" -- sync
[ "$(hubsql "SELECT count(*) FROM candidate WHERE full_name = 'Không Được Gửi'")" = 0 ] &&
    ok || bad "a revoked device's record reached the hub"

# An enrollment file used twice, by a second device, is refused.
on c 0 "created" -- init
on c 0 "enrolled" -- enroll "$dir/a.enroll"
on c 1 "enrollment" -- sync

# A hub that does not hold the pinned key: another hub's enrollment, this address.
mkdir -p "$dir/other"
"$cellsyncd" init --state "$dir/other/hub" --org-tree "$dir/tree.csv" >/dev/null 2>&1
"$cellsyncd" enroll --state "$dir/other/hub" --org CB-01 --role cell --name x \
    --addr "$addr" --out "$dir/other.enroll" >/dev/null 2>&1
on d 0 "created" -- init
on d 0 "enrolled" -- enroll "$dir/other.enroll"
on d 1 "not the hub this device was enrolled with" -- sync

# No hub listening: a clear message, nothing changed.
on a 0 "added" -- member add --name "Hà Văn Dũng"
on a 1 "cannot reach the hub" -- sync --hub 127.0.0.1:1

# The admission decision is the committee's: a cell's device says so at once,
# rather than the hub refusing it at the next sync.
kid=$(sql a "SELECT lower(hex(id)) FROM candidate WHERE lower(hex(id)) LIKE '%$k'")
CELLSYNC_HOME="$dir/a" "$fixture" set candidate "$kid" stage grassroots_resolution &&
    ok || bad "cs_fixture set stage ($kid)"
before=$(hash a)
on a 1 "is the committee's" -- candidate advance "$k"
[ "$(hash a)" = "$before" ] && ok || bad "a refused advance changed the replica"

# The hub stops on SIGTERM with exit 0.
stop_hub
grep -q "event=stopped" "$dir/hub.log" && ok || bad "no stop line in the log"

summary
