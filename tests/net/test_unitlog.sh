#!/bin/sh
# SPDX-License-Identifier: MIT
# The change log by unit (issue 18): a device's downstream is read by the keys of its
# scope, through the real binaries on loopback. A first contact at a hub full of another
# commune's records gets its own scope only and its cursor reaches the hub's seq; records
# and units that move are found where they are now, with everything written before the
# move; the hub's own rows (a holiday of the root) reach every unit below.
# The org tree: HU-01 (district) -> XA-01 (commune) -> CB-01, CB-02; HU-01 -> XA-02 -> CB-03.
set -u
cellsync=$1 cellsyncd=$2 bulk=$3 fixture=$4
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

fx() { _dev=$1; shift; CELLSYNC_HOME="$dir/$_dev" "$fixture" "$@" >/dev/null; }
unit() { sql "$1" "SELECT hex(id) FROM org_unit WHERE code = '$2'"; }
hub_seq() { hubsql "SELECT max(seq) FROM cs_version"; }
# enroll NAME ORG ROLE: a new device, enrolled, not synced yet.
enroll() {
    hubdo 0 "" -- enroll --org "$2" --role "$3" --name "$1" --addr "$addr" --out "$dir/$1.enroll"
    on "$1" 0 "created" -- init
    on "$1" 0 "" -- enroll "$dir/$1.enroll"
}
# first NAME: its first sync; its cursor must then be the hub's seq.
first() {
    on "$1" 0 "synced" -- sync --quiet --hub "$addr"
    equal "$1's cursor after its first contact" "$(hub_seq)" "$(meta "$1" hub_seq)"
}
candidates() { sql "$1" "SELECT count(*) FROM candidate"; }

# HU-01 (district) -> XA-01 (commune) -> CB-01, CB-02; HU-01 -> XA-02 -> CB-03.
hubdo 0 "" -- init --org-tree "$(dirname "$0")/../tools/tree_two_communes.csv"
printf 'handshakes_per_address = 1000\n' >"$dir/hub.conf"
start_hub "$dir/hub" --config "$dir/hub.conf"
for d in c3:CB-03:cell c1:CB-01:cell cm:XA-01:committee dist:HU-01:committee; do
    name=${d%%:*} rest=${d#*:}
    enroll "$name" "${rest%%:*}" "${rest#*:}"
done

echo "Another commune's records fill the hub"
equal "CB-03's candidates written" 400 "$(CELLSYNC_HOME="$dir/c3" "$bulk" candidates 400)"
on c3 0 "synced" -- sync --quiet --hub "$addr"
on c1 0 "added candidate" -- candidate add --name "Lò Văn Một" --birth-date 01/01/2000
on c1 0 "added candidate" -- candidate add --name "Lò Thị Hai" --birth-date 01/01/2001
on c1 0 "synced" -- sync --quiet --hub "$addr"
equal "candidates at the hub" 402 "$(hubsql "SELECT count(*) FROM candidate")"

echo "A first contact reads its scope, not the hub"
enroll c1b CB-01 cell
first c1b
equal "candidates c1b received" 2 "$(candidates c1b)"
equal "CB-03's candidates at c1b" 0 "$(sql c1b "SELECT count(*) FROM candidate WHERE org_unit = 'CB-03'")"
equal "org units c1b reads (its cell and its ancestors)" "CB-01 HU-01 XA-01" \
    "$(sql c1b "SELECT group_concat(code, ' ') FROM (SELECT code FROM org_unit ORDER BY code)")"
echo "An empty sync moves the cursor to the hub's seq"
on c3 0 "added candidate" -- candidate add --name "Hà Văn Ba" --birth-date 01/01/2002
on c3 0 "synced" -- sync --quiet --hub "$addr"
on c1b 0 "synced" -- sync --quiet --hub "$addr"
equal "c1b's cursor after another unit's write" "$(hub_seq)" "$(meta c1b hub_seq)"
equal "candidates at c1b" 2 "$(candidates c1b)"

echo "A record moved to another cell goes whole to that cell's new device"
on cm 0 "synced" -- sync --quiet --hub "$addr"
k=$(sql cm "SELECT hex(id) FROM candidate WHERE full_name = 'Lò Văn Một'")
fx cm set candidate "$k" org_unit CB-02
on cm 0 "refused 0," -- sync --quiet --hub "$addr"
enroll c2 CB-02 cell
first c2
equal "the moved candidate at CB-02's device, with its name" "Lò Văn Một|identified|CB-02" \
    "$(sql c2 "SELECT full_name || '|' || stage || '|' || org_unit FROM candidate")"

echo "A unit moved to another commune goes with its records"
on dist 0 "synced" -- sync --quiet --hub "$addr"
fx dist set org_unit "$(unit dist CB-03)" parent XA-01
on dist 0 "refused 0," -- sync --quiet --hub "$addr"
equal "CB-03's parent at the hub" XA-01 "$(hubsql "SELECT parent FROM org_unit WHERE code = 'CB-03'")"
enroll cm2 XA-01 committee
first cm2
equal "candidates of XA-01 and its cells at its new device" 403 "$(candidates cm2)"
on cm 0 "synced" -- sync --quiet --hub "$addr"

echo "The hub's own holiday reaches the cells below"
hubdo 0 "day off" -- holiday add 2027-02-10 "Nghỉ bù Tết"
on c1b 0 "synced" -- sync --quiet --hub "$addr"
equal "the root's holiday at a cell" "HU-01" "$(sql c1b "SELECT org_unit FROM holiday")"
equal "c1b's cursor" "$(hub_seq)" "$(meta c1b hub_seq)"
# What a device once received stays with it (a move does not take it back).
equal "candidates at c1b after all that" 2 "$(candidates c1b)"

stop_hub
summary
