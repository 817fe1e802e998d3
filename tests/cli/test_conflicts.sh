#!/bin/sh
# SPDX-License-Identifier: MIT
# Conflict numbers through a real hub: two laptops of one cell edit the same
# field offline and sync through cellsyncd serve on loopback; both then list
# the conflict under the same six-digit number (derived from the versions, not
# from either laptop's local order), each shows its own value as written on
# "this device", and the number read on one laptop resolves it on the other.
# The other device shows by the name the hub enrolled it with: the hub sends
# the names of the devices of the laptop's unit and of the units above it
# (the committee's), not those of another cell, and never a key.
# Usage: test_conflicts.sh PATH/TO/cellsync PATH/TO/cellsyncd PATH/TO/cs_fixture
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# The patterns below are English: whatever locale ran ctest, use the source text.
export LC_ALL=C

# number DEVICE: the number of the one open conflict the device lists (--json).
number() {
    CELLSYNC_HOME="$dir/$1" "$cellsync" conflicts list --json |
        sed -n 's/^\[{"conflict":\([0-9]*\),.*/\1/p'
}

cat >"$dir/tree.csv" <<'CSV'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CB-02,XA-ML,cell,village,"Chi bộ bản Nà Hẩu"
CSV
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
start_hub "$dir/hub"
for d in a a2 b x; do
    case $d in
    b) set -- --org CB-02 --role cell --name "máy chi bộ Nà Hẩu" ;;
    x) set -- --org XA-ML --role committee --name "máy đảng ủy xã" ;;
    *) set -- --org CB-01 --role cell --name "máy $d" ;;
    esac
    hubdo 0 "" -- enroll "$@" --addr "$addr" --out "$dir/$d.enroll"
    on "$d" 0 "created" -- init
    on "$d" 0 "enrolled" -- enroll "$dir/$d.enroll"
done
# The committee's laptop and the other cell's register at the hub.
on x 0 "synced" -- sync
on b 0 "synced" -- sync

on a 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 2000-03-15
k=$(added_id)
on a 0 "synced" -- sync
# a2 writes more of its own first, so that its local order differs from a's.
on a2 0 "added member" -- member add --name "Đinh Văn Thắng" --status official
on a2 0 "added member" -- member add --name "Lò Văn Páo" --status official
on a2 0 "synced" -- sync
# The same field edited on both laptops offline.
on a 0 "changed" -- candidate edit "$k" --phone 0911000333
on a2 0 "changed" -- candidate edit "$k" --phone 0922000222
on a 0 "synced" -- sync
on a2 0 "open conflicts 1" -- sync
on a 0 "synced" -- sync

na=$(number a) n2=$(number a2)
case $na in
[1-9][0-9][0-9][0-9][0-9][0-9]) ok ;;
*) bad "a's conflict number is not six digits: '$na'" ;;
esac
equal "the conflict's number on a2 (that of a)" "$na" "$n2"
# Each laptop knows its own value by "this device"; the other device by its name.
on a 0 "^ *$na  candidate $k  Nguyễn Văn Sỹ  phone  0922000222  *máy a2  .*  0911000333  *this device  " \
    -- conflicts list
on a2 0 "^ *$na  candidate $k  Nguyễn Văn Sỹ  phone  0922000222  *this device  .*  0911000333  *máy a  " \
    -- conflicts list
# The names a cell's laptop has: its unit's and the committee's, not another cell's.
equal "the devices named on a" "$(sql a "SELECT name || ' ' || org_unit || ' ' || role FROM device ORDER BY name")" \
    "máy a CB-01 cell
máy a2 CB-01 cell
máy đảng ủy xã XA-ML committee"
equal "the device record's columns" "$(sql a "SELECT group_concat(name, ' ') FROM pragma_table_info('device')")" \
    "id cl org_unit name role pk revoked_on"
# The number read out on one laptop resolves the conflict on the other.
on a2 0 "^resolved conflict $na: candidate $k (Nguyễn Văn Sỹ), phone is now '0911000333'" -- \
    conflicts resolve "$na" --pick other
on a2 0 "synced" -- sync
on a 0 "synced" -- sync
on a 0 "^phone: *0911000333\$" -- candidate show "$k"
on a 0 '^\[\]$' -- conflicts list --json
on a 0 "" -- conflicts list
equal "conflicts list with none open" "no open conflicts" "$(cat "$out")"
on a 1 "there is no open conflict $na" -- conflicts resolve "$na" --pick other

# A record the committee deleted names the committee's laptop on the cell's.
on x 0 "synced" -- sync
# The committee's laptop names every device of its commune.
equal "the devices named on the committee's laptop" "$(sql x "SELECT name FROM device ORDER BY name")" \
    "máy a
máy a2
máy chi bộ Nà Hẩu
máy đảng ủy xã"
on x 0 "deleted candidate $k" -- candidate delete "$k"
on x 0 "synced" -- sync
on a 0 "synced" -- sync
on a 0 "^$k  Nguyễn Văn Sỹ  [0-3][0-9]/[01][0-9]/20[0-9][0-9] [0-2][0-9]:[0-5][0-9]  máy đảng ủy xã\$" \
    -- candidate list --deleted
on a 0 "^deleted on: *[0-3][0-9]/[01][0-9]/20[0-9][0-9] [0-2][0-9]:[0-5][0-9], by device máy đảng ủy xã\$" \
    -- candidate show "$k"
# A device the hub has not named (a hub before this table) shows by its short id.
sql a "DELETE FROM device WHERE org_unit = 'XA-ML'" >/dev/null
on a 0 "^$k  Nguyễn Văn Sỹ  .*  $(short x)\$" -- candidate list --deleted
stop_hub
summary
