#!/bin/sh
# SPDX-License-Identifier: MIT
# Every record belongs to a unit, and what the hub refuses is told in the device's
# language, through the real binaries on loopback (issue 14): members and meetings
# added on a cell laptop take its unit and count in `report members` there and at the
# hub; a record written before enrollment takes the unit at enrollment; a cell cannot
# write another unit's record (refused at entry); the hub refuses a record with no
# unit; refusals are one Vietnamese line per record, exit 3, counted by `status` and
# marked in lists until the record is corrected; enroll says what comes next.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# vi DEVICE CODE PATTERN -- ARGS: as `on`, under LANG=vi_VN.UTF-8 as a secretary runs it
# (where vi_VN is not generated the program falls back to C.UTF-8 and still reads it).
vi() {
    _dev=$1 _code=$2 _pattern=$3
    shift 4
    env -u LC_ALL LANG=vi_VN.UTF-8 CELLSYNC_HOME="$dir/$_dev" "$cellsync" "$@" >"$out" 2>"$err" \
        </dev/null
    got=$?
    verdict "$_code" any "$_pattern" "[$_dev] LANG=vi_VN.UTF-8 cellsync $*"
}
# csv_row DEVICE|hub UNIT: the members report's CSV line of UNIT.
csv_row() {
    if [ "$1" = hub ]; then
        "$cellsyncd" report members --format csv --state "$dir/hub" 2>/dev/null
    else
        CELLSYNC_HOME="$dir/$1" "$cellsync" report members --format csv 2>/dev/null
    fi | tr -d '\r' | grep "^$2,"
}

cat >"$dir/tree.csv" <<'CSV'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CB-02,XA-ML,cell,village,"Chi bộ bản Pù Quăn"
CSV
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
start_hub "$dir/hub"
hubdo 0 "" -- enroll --org CB-01 --role cell --name "máy a" --addr "$addr" --out "$dir/a.enroll"

# A record written before enrollment takes the unit at enrollment; the message names
# the role in words and says what comes next for an enrollment by file.
on a 0 "created" -- init
on a 0 "added member" -- member add --name "Lò Văn Trước" --status official
vi a 0 "(chi bộ)" -- enroll "$dir/a.enroll"
grep -q "(cell)" "$out" && bad "the role is shown as its code" || ok
grep -q "bundle export" "$out" && ok || bad "enroll by file does not mention the stick"
grep -q "1 " "$out" && ok || bad "enroll does not say a record took the unit"
equal "unit of the record written before enrollment" CB-01 \
    "$(sql a "SELECT org_unit FROM member WHERE full_name = 'Lò Văn Trước'")"

# member add and meeting add take the device's unit; reports count them, here and at the hub.
on a 0 "added member" -- member add --name "Đinh Văn Thắng" --status official
on a 0 "added member" -- member add --name "Lò Thị Mai" --status probationary
on a 0 "" -- meeting add --date 06/12/2026 --agenda "Sinh hoạt thường kỳ"
on a 0 "synced" -- sync
equal "meeting unit on the laptop" CB-01 "$(sql a "SELECT org_unit FROM meeting")"
equal "meeting unit at the hub" CB-01 "$(hubsql "SELECT org_unit FROM meeting")"
equal "members report on the laptop" "CB-01,Chi bộ bản Khe Ván,cell,0,3,3,1,2,0,0,0" \
    "$(csv_row a CB-01)"
equal "members report at the hub" "CB-01,Chi bộ bản Khe Ván,cell,1,3,3,1,2,0,0,0" \
    "$(csv_row hub CB-01)"
# The laptop knows the names of the units it can see: its own and the one above it.
on a 0 "Chi bộ bản Khe Ván" -- report targets
equal "units on the laptop" "CB-01 XA-ML" "$(sql a "SELECT code FROM org_unit ORDER BY code" |
    tr '\n' ' ' | sed 's/ $//')"

# A cell's laptop refuses another unit's record at entry, naming both units.
n0=$(sql a "SELECT count(*) FROM candidate")
on a 1 "'CB-02'.*'CB-01'" -- candidate add --name "Vàng A Dính" --org CB-02
vi a 1 "CB-02" -- member add --name "Vàng A Dính" --org CB-02
equal "records after refusals at entry" "$n0" "$(sql a "SELECT count(*) FROM candidate")"
on a 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --org CB-01
k=$(added_id)
on a 1 "CB-02" -- candidate edit "$k" --org CB-02

# The hub refuses a record with no unit (forged here, as an old client would write
# it), and a record moved to another unit; one Vietnamese line each, exit 3.
m=$(CELLSYNC_HOME="$dir/a" "$fixture" member "Không Đơn Vị" official)
kid=$(sql a "SELECT hex(id) FROM candidate WHERE full_name = 'Nguyễn Văn Sỹ'")
CELLSYNC_HOME="$dir/a" "$fixture" set candidate "$kid" org_unit CB-02 >/dev/null
vi a 3 "đảng viên 'Không Đơn Vị'" -- sync
[ "$(grep -c "Không Đơn Vị" "$err")" = 1 ] && ok || bad "not one line for the record"
grep -q "quần chúng ưu tú 'Nguyễn Văn Sỹ'.*'CB-02'" "$err" && ok ||
    bad "the candidate's refusal is not named in Vietnamese"
grep -q "record of unit\|belongs to no unit" "$err" && bad "a refusal is in English" || ok
[ "$(hubsql "SELECT count(*) FROM member WHERE full_name = 'Không Đơn Vị'")" = 0 ] && ok ||
    bad "the hub took a member with no unit"
[ "$(hubsql "SELECT count(*) FROM member WHERE org_unit IS NULL")" = 0 ] && ok ||
    bad "the hub holds a member with no unit"
on a 0 '"refused":[1-9]' -- status --json
on a 0 "records the hub refused: *2" -- status
on a 0 "Không Đơn Vị (refused by the hub)" -- member list
on a 0 "Nguyễn Văn Sỹ (refused by the hub)" -- candidate list
on a 0 '"refused":true' -- member list --json

# Corrected, the records go again and are taken; the marks go.
on a 0 "updated member" -- member edit "$m" --org CB-01
on a 0 "changed" -- candidate edit "$k" --org CB-01
on a 0 "refused 0" -- sync
on a 0 '"refused":0' -- status --json
on a 0 "" -- member list
grep -q "refused by the hub" "$out" && bad "a corrected record is still marked" || ok
equal "corrected member at the hub" CB-01 \
    "$(hubsql "SELECT org_unit FROM member WHERE full_name = 'Không Đơn Vị'")"

# Enrolled by code, the next step is a sync; the role is in words.
hubdo 0 "short code" -- enroll --org CB-02 --role cell --name "máy b" --addr "$addr" \
    --out "$dir/b.enroll"
code=$(sed -n 's/^short code: //p' "$out")
on b 0 "created" -- init
on b 0 "cellsync sync" -- enroll --code "$code" --hub "$addr"
grep -q "bundle export" "$out" && bad "enroll by code mentions the stick" || ok

summary
