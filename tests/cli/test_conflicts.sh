#!/bin/sh
# SPDX-License-Identifier: MIT
# Conflict numbers through a real hub: two laptops of one cell edit the same
# field offline and sync through cellsyncd serve on loopback; both then list
# the conflict under the same six-digit number (derived from the versions, not
# from either laptop's local order), each shows its own value as written on
# "this device", and the number read on one laptop resolves it on the other.
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
CSV
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
start_hub "$dir/hub"
for d in a a2; do
    hubdo 0 "" -- enroll --org CB-01 --role cell --name "máy $d" --addr "$addr" \
        --out "$dir/$d.enroll"
    on "$d" 0 "created" -- init
    on "$d" 0 "enrolled" -- enroll "$dir/$d.enroll"
done

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
# Each laptop knows its own value by "this device"; the other device by its short id.
on a 0 "^ *$na  candidate $k  Nguyễn Văn Sỹ  phone  0922000222  *$(short a2)  .*  0911000333  *this device  " \
    -- conflicts list
on a2 0 "^ *$na  candidate $k  Nguyễn Văn Sỹ  phone  0922000222  *this device  .*  0911000333  *$(short a)  " \
    -- conflicts list
# The number read out on one laptop resolves the conflict on the other.
on a2 0 "^resolved conflict $na: candidate $k (Nguyễn Văn Sỹ), phone is now '0911000333'" -- \
    conflicts resolve "$na" --pick other
on a2 0 "synced" -- sync
on a 0 "synced" -- sync
on a 0 "^phone: *0911000333\$" -- candidate show "$k"
on a 0 '^\[\]$' -- conflicts list --json
on a 1 "there is no open conflict $na" -- conflicts resolve "$na" --pick other
stop_hub
summary
