#!/bin/sh
# SPDX-License-Identifier: MIT
# The office's commands on the hub's records, with the client's options and output:
# `cellsyncd conflicts list|resolve`, `cellsyncd search` and `cellsyncd member add`,
# on a real hub serving on loopback while they run. Two laptops of one cell edit a
# field at once; the hub lists the conflict as the laptops do (--json with the same
# keys) and resolves it with a normal replicated write, which both laptops receive:
# the value picked, no open conflict left. A member the office adds to a cell reaches
# that cell's laptops and not another cell's. Bad input is refused with a clear
# message (English, and Vietnamese where the catalog has it) and leaves the replica
# as it was.
# Usage: test_hub_ops.sh PATH/TO/cellsync PATH/TO/cellsyncd PATH/TO/cs_fixture
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"

# json_keys: the keys of the first object of the JSON array on stdin, and of its
# "current" and "other" objects when it has them, one line.
json_keys() {
    python3 -c '
import json, sys
a = json.load(sys.stdin)
o = a[0]
keys = sorted(o)
for k in ("current", "other"):
    if isinstance(o.get(k), dict):
        keys += [k + "." + s for s in sorted(o[k])]
print(" ".join(keys))'
}
# json_get EXPR: a Python expression over the parsed JSON a, from stdin.
json_get() { python3 -c "import json, sys; a = json.load(sys.stdin); print($1)"; }
# unchanged WHAT: the hub's replica holds what it held at the last `mark`.
mark() { before=$(hash hub) versions=$(hubsql "SELECT count(*) FROM cs_version"); }
unchanged() {
    equal "$1: the hub's replica" "$before" "$(hash hub)"
    equal "$1: the hub's versions" "$versions" "$(hubsql "SELECT count(*) FROM cs_version")"
}

cat >"$dir/tree.csv" <<'CSV'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CB-02,XA-ML,cell,village,"Chi bộ bản Nà Hẩu"
CS-TH,XA-ML,grassroots,school,"Chi bộ Trường THCS Mường Lý"
DB-YT,XA-ML,grassroots,agency,"Đảng bộ Trạm Y tế"
CB-YT,DB-YT,cell,agency,"Chi bộ khám bệnh"
CSV
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
start_hub "$dir/hub"
for d in a a2 b; do
    case $d in
    b) set -- --org CB-02 --role cell --name "máy chi bộ Nà Hẩu" ;;
    *) set -- --org CB-01 --role cell --name "máy $d" ;;
    esac
    hubdo 0 "" -- enroll "$@" --addr "$addr" --out "$dir/$d.enroll"
    on "$d" 0 "created" -- init
    on "$d" 0 "enrolled" -- enroll "$dir/$d.enroll"
done
on b 0 "synced" -- sync

# ---- a conflict between the two laptops of CB-01, seen and resolved at the hub ----
on a 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 2000-03-15
k=$(added_id)
on a 0 "synced" -- sync
on a2 0 "added member" -- member add --name "Đinh Văn Thắng" --status official
on a2 0 "synced" -- sync
on a 0 "changed" -- candidate edit "$k" --phone 0911000333
on a2 0 "changed" -- candidate edit "$k" --phone 0922000222
on a 0 "synced" -- sync
on a2 0 "open conflicts 1" -- sync
on a 0 "synced" -- sync

hubdo 0 "" -- conflicts list --json
n=$(json_get 'a[0]["conflict"]' <"$out")
other=$(json_get 'a[0]["other"]["value"]' <"$out")
current=$(json_get 'a[0]["current"]["value"]' <"$out")
equal "conflicts at the hub" 1 "$(json_get 'len(a)' <"$out")"
equal "the hub's conflict's record" "$k" "$(json_get 'a[0]["record"][-8:]' <"$out")"
equal "the two values at the hub" "0911000333 0922000222" \
    "$(printf '%s\n%s\n' "$other" "$current" | sort | tr '\n' ' ' | sed 's/ $//')"
hubkeys=$(json_keys <"$out")
on a 0 "" -- conflicts list --json
equal "the conflict's number at the hub and on a" "$(json_get 'a[0]["conflict"]' <"$out")" "$n"
equal "the keys of conflicts list --json at the hub (those of the client)" \
    "$(json_keys <"$out")" "$hubkeys"
# The table as the client's: number, record, name, field, values with their devices.
hubdo 0 "^ *$n  candidate $k  Nguyễn Văn Sỹ  phone  $current  *máy a.*  $other  *máy a" \
    -- conflicts list
hubdo 0 "^conflict  record  *name  *field  *current value  device  *written  *other value" \
    -- conflicts list

# Bad input changes nothing, with the client's exit codes: 2 for usage, 1 for failure.
mark
hubdo 1 "there is no open conflict 999999 (see 'cellsyncd conflicts list')" \
    -- conflicts resolve 999999 --pick other
hubdo 2 "cellsyncd: conflicts: conflicts resolve: --pick takes 'current' or 'other', not 'mine'" \
    -- conflicts resolve "$n" --pick mine
hubdo 2 "give either --pick current|other or --value TEXT" -- conflicts resolve "$n"
hubdo 2 "give either --pick current|other or --value TEXT" \
    -- conflicts resolve "$n" --pick other --value 0933
hubdo 1 "'12ab' is not a conflict number (see 'cellsyncd conflicts list')" \
    -- conflicts resolve 12ab --pick other
hubdo 1 "phone" -- conflicts resolve "$n" --value "not a phone"
hubdo 2 "conflicts list does not take --pick" -- conflicts list --pick other
hubdo 2 "'show' is not list or resolve" -- conflicts show
expect 2 stderr "conflicts resolve: --pick nhận 'current' hoặc 'other', không nhận 'mine'" -- \
    env LANGUAGE=vi LC_ALL=C.UTF-8 "$cellsyncd" conflicts resolve "$n" --pick mine --state "$dir/hub"
unchanged "bad conflicts resolve"

# Resolved at the hub while it serves; both laptops receive the resolution.
hubdo 0 "^resolved conflict $n: candidate $k (Nguyễn Văn Sỹ), phone is now '$other'\$" \
    -- conflicts resolve "$n" --pick other
hubdo 0 '^\[\]$' -- conflicts list --json
# None open: one line that says so, not a header alone.
hubdo 0 "" -- conflicts list
equal "conflicts list at the hub with none open" "no open conflicts" "$(cat "$out")"
equal "the resolution is the hub's own write" 1 \
    "$(hubsql "SELECT count(*) FROM cs_version WHERE tbl = 'candidate' AND col = 'phone'
               AND state = 'current' AND val = '$other'
               AND origin = (SELECT origin FROM cs_version WHERE tbl = 'org_unit' LIMIT 1)")"
for d in a a2; do
    on "$d" 0 "synced" -- sync
    on "$d" 0 "^phone: *$other\$" -- candidate show "$k"
    on "$d" 0 '^\[\]$' -- conflicts list --json
    on "$d" 0 "^no open conflicts\$" -- conflicts list
done
hubdo 1 "there is no open conflict $n" -- conflicts resolve "$n" --pick current

# ---- search at the hub, tone marks optional, with the client's --json ----
hubdo 0 "^candidate  $k  Nguyễn Văn Sỹ" -- search nguyen van sy
hubdo 0 "^member  [0-9a-f]\{8\}  Đinh Văn Thắng" -- search dinh thang
hubdo 0 "^no candidate, member or meeting matches 'khong ai'\$" -- search khong ai
hubdo 0 "" -- search xyzabc
equal "search at the hub that finds nothing" "no candidate, member or meeting matches 'xyzabc'" \
    "$(cat "$out")"
hubdo 0 '^\[\]$' -- search --json xyzabc
hubdo 0 "" -- search --json nguyen sy
equal "search --json at the hub" "candidate Nguyễn Văn Sỹ $k" \
    "$(json_get 'a[0]["kind"], a[0]["name"], a[0]["short_id"]' <"$out")"
hubkeys=$(json_keys <"$out")
on a 0 "" -- search --json nguyen sy
equal "the keys of search --json at the hub (those of the client)" "$(json_keys <"$out")" "$hubkeys"
hubdo 2 "cellsyncd: search: missing TEXT" -- search
hubdo 2 "give at least one word of letters or digits" -- search "?!"

# ---- a member added at the hub reaches the cell's laptops only ----
mark
hubdo 2 "member add: '--name' is required" -- member add --org CB-01 --status official
hubdo 2 "member add: '--org' is required at the hub" -- member add --name "Lò Văn Páo"
hubdo 1 "there is no unit 'CB-99' in the org tree" -- member add --org CB-99 --name "Lò Văn Páo"
hubdo 1 "unit 'XA-ML' (commune or ward) is not a cell: a member belongs to a cell" -- member add --org XA-ML --name "Lò Văn Páo"
hubdo 1 "unit 'DB-YT' (grassroots organisation) is not a cell" \
    -- member add --org DB-YT --name "Lò Văn Páo"
hubdo 1 "a member needs a full name" -- member add --org CB-01 --name " "
hubdo 1 "31/02/1980" -- member add --org CB-01 --name "Lò Văn Páo" --birth-date 31/02/1980
hubdo 1 "status" -- member add --org CB-01 --name "Lò Văn Páo" --status nobody
hubdo 2 "'remove' is not add" -- member remove --org CB-01 --name "Lò Văn Páo"
expect 1 stderr "không có đơn vị 'CB-99' trong cây tổ chức" -- \
    env LANGUAGE=vi LC_ALL=C.UTF-8 "$cellsyncd" member add --org CB-99 --name "Lò Văn Páo" \
    --state "$dir/hub"
expect 2 stderr "member add: cần có '--name' (họ và tên)" -- \
    env LANGUAGE=vi LC_ALL=C.UTF-8 "$cellsyncd" member add --org CB-01 --state "$dir/hub"
unchanged "bad member add"

hubdo 0 "^added member [0-9a-f]\{8\}\$" -- member add --org CB-01 --name "Lò Văn Páo" \
    --birth-date 15/03/1980 --status official --card-no 12345678 --note "chuyển đến từ tỉnh Lai Châu"
m=$(added_id)
mark
hubdo 1 "if this is another person, run the command again with --duplicate-ok" \
    -- member add --org CB-01 --name "Lò Văn Páo" --birth-date 15/03/1980
unchanged "a second Lò Văn Páo"
hubdo 0 "^added member" -- member add --org CS-TH --name "Vàng Thị Mai" --status official
hubdo 0 "^member  $m  Lò Văn Páo" -- search lo van pao
for d in a a2 b; do on "$d" 0 "synced" -- sync; done
for d in a a2; do
    on "$d" 0 "^$m  Lò Văn Páo  *official  *15/03/1980  *12345678\$" -- member list
    on "$d" 0 "^note: *chuyển đến từ tỉnh Lai Châu\$" -- member show "$m"
done
equal "the member on the other cell's laptop" 0 \
    "$(sql b "SELECT count(*) FROM member WHERE full_name = 'Lò Văn Páo'")"
# A write at the hub while laptops sync with it: both go through (WAL, busy timeout).
on a 0 "^updated member $m" -- member edit "$m" --residence "bản Khe Ván"
CELLSYNC_HOME="$dir/a" "$cellsync" sync --quiet --timeout 20 >"$dir/a.sync" 2>&1 &
apid=$!
CELLSYNC_HOME="$dir/b" "$cellsync" sync --quiet --timeout 20 >"$dir/b.sync" 2>&1 &
bpid=$!
hubdo 0 "^added member" -- member add --org CB-01 --name "Hà Thị Lan" --status official
wait "$apid"
check_rc $? "a's sync while the hub wrote: $(cat "$dir/a.sync")"
wait "$bpid"
check_rc $? "b's sync while the hub wrote: $(cat "$dir/b.sync")"
on a 0 "synced" -- sync
on a 0 "Hà Thị Lan" -- member list
equal "a's edit at the hub" "bản Khe Ván" \
    "$(hubsql "SELECT residence FROM member WHERE full_name = 'Lò Văn Páo'")"
stop_hub

# Without the hub serving, a member added is there for the laptops' next sync all the same.
hubdo 0 "^added member" -- member add --org CB-02 --name "Giàng A Sử" --status official
start_hub "$dir/hub"
dosync b
check_rc "$sc" "b's sync after the hub restarted"
equal "the member added to CB-02 on b" 1 \
    "$(sql b "SELECT count(*) FROM member WHERE full_name = 'Giàng A Sử'")"
stop_hub
summary
