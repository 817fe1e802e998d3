#!/bin/sh
# SPDX-License-Identifier: MIT
# The hub's authority holds against devices that skip the client's checks (issue 17,
# review F3, F6, F17), through the real binaries on loopback: each attack is written
# straight into a device's replica (cs_fixture) or sent as stamped (cs_raw), then synced;
# the hub refuses it with a reason the device shows, and what the hub stores is unchanged.
# The org tree: HU-01 (district) -> XA-01 (commune) -> CB-01, CB-02; HU-01 -> XA-02 -> CB-03.
set -u
cellsync=$1 cellsyncd=$2 raw=$3 fixture=$4
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

# What the hub stores: its replicated state and the number of versions.
hub_state() { echo "hash=$(hash hub) versions=$(hubsql 'SELECT count(*) FROM cs_version')"; }
# refused DEVICE PATTERN WHAT: a sync of DEVICE is refused (exit 3) with PATTERN, and the
# hub's state is what it was. With $lang set, the device runs in that language.
lang=''
refused() {
    _before=$(hub_state)
    if [ -n "$lang" ]; then
        env -u LC_ALL LANG="$lang" CELLSYNC_HOME="$dir/$1" "$cellsync" sync --quiet --timeout 20 \
            --hub "$addr" >"$out" 2>"$err"
        got=$?
    else
        dosync "$1"
        got=$sc
    fi
    verdict 3 stderr "$2" "$3"
    _now=$(hub_state)
    [ "$_now" = "$_before" ] && ok || bad "$3 changed what the hub stores: $_before -> $_now"
}
fx() { _dev=$1; shift; CELLSYNC_HOME="$dir/$_dev" "$fixture" "$@" >/dev/null; }
unit() { sql "$1" "SELECT hex(id) FROM org_unit WHERE code = '$2'"; }

# HU-01 (district) -> XA-01 (commune) -> CB-01, CB-02; HU-01 -> XA-02 -> CB-03.
hubdo 0 "" -- init --org-tree "$(dirname "$0")/../tools/tree_two_communes.csv"
start_hub "$dir/hub"
for d in dist:HU-01:committee cm:XA-01:committee c1:CB-01:cell; do
    name=${d%%:*} rest=${d#*:}
    hubdo 0 "" -- enroll --org "${rest%%:*}" --role "${rest#*:}" --name "$name" --addr "$addr" \
        --out "$dir/$name.enroll"
    on "$name" 0 "created" -- init
    on "$name" 0 "" -- enroll "$dir/$name.enroll"
done
hubdo 0 "" -- target --org XA-01 --year 2026 --admissions 6
for d in dist cm c1; do on "$d" 0 "synced" -- sync --quiet --hub "$addr"; done

echo "Targets belong to the level above"
fx cm set target "$(sql cm "SELECT hex(id) FROM target WHERE org_unit = 'XA-01'")" admissions 1
refused cm "the target of unit 'XA-01' is set by the level above it" "the commune's own target"
equal "XA-01's target at the hub" 6 "$(hubsql "SELECT admissions FROM target WHERE org_unit = 'XA-01'")"

echo "F6: a cell moves a candidate from identified straight to ceremony"
on c1 0 "added candidate" -- candidate add --name "Lò Văn Nhảy" --birth-date 01/01/2000
on c1 0 "synced" -- sync --quiet --hub "$addr"
k=$(sql c1 "SELECT hex(id) FROM candidate WHERE full_name = 'Lò Văn Nhảy'")
fx c1 set candidate "$k" stage ceremony
fx c1 set candidate "$k" ceremony_on 2026-03-01
refused c1 "does not allow a candidate to go from 'identified' to 'ceremony'" "identified -> ceremony"
equal "the candidate's stage at the hub" identified \
    "$(hubsql "SELECT stage FROM candidate WHERE hex(id) = '$k'")"
equal "the candidate's ceremony date at the hub" "" \
    "$(hubsql "SELECT ceremony_on FROM candidate WHERE hex(id) = '$k'")"

echo "F6: a stage code with a capital letter"
fx c1 set candidate "$k" stage Decision
refused c1 "'candidate.stage' may not hold 'Decision': it is not one of its codes" "'Decision'"

echo "Columns are allowed, not forbidden"
fx c1 set candidate "$k" secret_column x
refused c1 "this hub does not know the column 'candidate.secret_column'" "an unknown column"

echo "F17: a cell's stamps 30 minutes ahead"
on c1 0 "" -- sync --quiet --hub "$addr" # the refused changes above are done with
set_meta c1 clock_offset_ms 1800000
on c1 0 "added candidate" -- candidate add --name "Đồng Hồ Nhanh" --birth-date 01/01/2000
s0=$(hub_state)
"$raw" "$addr" future "$dir/c1" >"$out" 2>"$err"
got=$?
verdict 0 stdout "refused candidate.full_name, kind 2: clock is 30 minutes ahead of the hub" \
    "cs_raw future, 30 minutes ahead"
equal "the hub's state after stamps 30 minutes ahead" "$s0" "$(hub_state)"
# Told at its next sync, c1 learns the hub's time and issues those writes anew with it.
on c1 0 "clock is 30 minutes ahead of the hub" -- sync --quiet --hub "$addr"
on c1 0 "synced" -- sync --quiet --hub "$addr"
on c1 0 "refused 0," -- sync --quiet --hub "$addr"
equal "c1's write, re-stamped, at the hub" 1 \
    "$(hubsql "SELECT count(*) FROM candidate WHERE full_name = 'Đồng Hồ Nhanh'")"

echo "F3: a unit put below one of its own cells (a cycle)"
fx dist set org_unit "$(unit dist XA-01)" parent CB-01
refused dist "org unit 'XA-01' cannot be placed under 'CB-01', which lies below it" "the cycle"
equal "XA-01's parent at the hub" HU-01 "$(hubsql "SELECT parent FROM org_unit WHERE code = 'XA-01'")"

echo "F3: a committee moves its own unit"
fx cm set org_unit "$(unit cm XA-01)" parent CB-01
refused cm "org unit 'XA-01' is this device's own unit: only the level above may move or delete it" \
    "the move of the device's own unit"

echo "F3: a committee deletes its own unit"
fx cm delete org_unit "$(unit cm XA-01)"
# Told in the secretary's language (where vi_VN is not generated, C.UTF-8 still reads it).
lang=vi_VN.UTF-8
refused cm "đơn vị 'XA-01' là đơn vị của chính máy này: chỉ cấp trên mới được chuyển hoặc xóa" \
    "the deletion of the device's own unit"
lang=
equal "live units at the hub" 6 "$(hubsql "SELECT count(*) FROM org_unit WHERE cl % 2 = 1")"

echo "F3: a unit outside the writer's subtree"
fx c1 set org_unit "$(unit c1 XA-01)" name "Đổi tên"
refused c1 "outside this device's unit 'CB-01'\|a cell may not write 'org_unit'" "an edit above the cell"

echo "F3: a commune deletes one of its cells that still holds records"
fx cm delete org_unit "$(unit cm CB-01)"
refused cm "org unit 'CB-01' still holds units or records: move or delete them first" \
    "the deletion of a cell with candidates"
echo "F3: the district deletes a commune that still holds a cell"
fx dist delete org_unit "$(unit dist XA-02)"
refused dist "org unit 'XA-02' still holds units or records" "the deletion of a commune with a cell"
equal "live units at the hub" 6 "$(hubsql "SELECT count(*) FROM org_unit WHERE cl % 2 = 1")"
echo "F3: a commune deletes an empty cell"
fx cm delete org_unit "$(unit cm CB-02)"
on cm 0 "refused 0," -- sync --quiet --hub "$addr"
equal "live units at the hub after an empty cell's deletion" 5 \
    "$(hubsql "SELECT count(*) FROM org_unit WHERE cl % 2 = 1")"

echo "F17: a causal length of 2^63 + 1 (read as deleted by 'cl % 2 = 1')"
on c1 0 "added candidate" -- candidate add --name "Vô Hình" --birth-date 01/01/2000
v=$(sql c1 "SELECT hex(id) FROM candidate WHERE full_name = 'Vô Hình'")
sql c1 "UPDATE cs_reg SET cl = -9223372036854775807 WHERE row = x'$v'" >/dev/null
sql c1 "UPDATE cs_old SET cl = -9223372036854775807 WHERE row = x'$v'" >/dev/null
s0=$(hub_state)
dosync c1
got=$sc
verdict 1 stderr "causal length" "a causal length past 2^62"
equal "the hub's state after a causal length past 2^62" "$s0" "$(hub_state)"
equal "the candidate at the hub" 0 "$(hubsql "SELECT count(*) FROM cs_version WHERE row = x'$v'")"

stop_hub
summary
