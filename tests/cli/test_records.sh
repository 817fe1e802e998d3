#!/bin/sh
# SPDX-License-Identifier: MIT
# The record commands end to end, with the real binary in a temp data
# directory: members, meetings with Vietnamese minutes read from standard
# input, attendance, search with and without tone marks, and bad input,
# which must fail with the right exit code and leave nothing stored.
# Usage: test_records.sh PATH/TO/cellsync
set -u
cellsync=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# The patterns below are English: whatever locale ran ctest, use the source text.
LC_ALL=C
unset EDITOR
CELLSYNC_HOME=$dir/home
CELLSYNC_TODAY=2026-03-01
export LC_ALL CELLSYNC_HOME CELLSYNC_TODAY
mkdir "$CELLSYNC_HOME"
if command -v python3 >/dev/null 2>&1; then have_python=1; else have_python=0; fi

# py CODE: runs python3 on $out; CODE sees the parsed JSON as d.
py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1], encoding='utf-8')); $1" "$out"; }

expect 0 stdout "created the records" -- "$cellsync" init

# ---- members ----
expect 0 stdout "^added member [0-9a-f]\{8\}\$" -- "$cellsync" member add --name 'Đinh Văn Thắng' \
    --sex male --birth-date 12/5/1990 --hometown 'Tam Kỳ, Quảng Nam'
m1=$(added_id)
expect 0 stdout "^added member [0-9a-f]\{8\}\$" -- "$cellsync" member add --name 'Nguyễn Văn Sỹ' \
    --birth-date 1985-01-20 --status official --card-no '1234 5678'
m2=$(added_id)
expect 0 stdout "Đinh Văn Thắng" -- "$cellsync" member list
expect 0 stdout "^$m2  Nguyễn Văn Sỹ  *official  *20/01/1985  *12345678\$" -- "$cellsync" member list
expect 0 stdout "^id  *name  *status" -- "$cellsync" member list
expect 0 stdout "Nguyễn Văn Sỹ" -- "$cellsync" member list --status official
expect 0 stdout '^\[' -- "$cellsync" member list --json
if [ $have_python -eq 1 ]; then
    check "member list --json has both members with their fields" py "
names = sorted(m['full_name'] for m in d)
assert names == sorted(['Đinh Văn Thắng', 'Nguyễn Văn Sỹ']), names
sy = [m for m in d if m['short_id'] == '$m2'][0]
assert sy['status'] == 'official' and sy['card_no'] == '12345678', sy
assert len(sy['id']) == 36 and sy['id'].endswith('$m2'), sy"
else
    expect 0 stdout '"short_id":"'"$m1"'"' -- "$cellsync" member list --json
fi
expect 0 stdout '^\[\]$' -- "$cellsync" member list --json --status deceased
expect 0 stdout "^updated member $m1\$" -- "$cellsync" member edit "$m1" --phone 0912345678 \
    --status probationary
expect 0 stdout "^phone: *0912345678\$" -- "$cellsync" member show "$m1"
expect 0 stdout "^status: *probationary\$" -- "$cellsync" member show "$m1"
expect 0 stdout "^date of birth: *12/05/1990\$" -- "$cellsync" member show "$m1"
expect 0 stdout '"phone":"0912345678"' -- "$cellsync" member show "$m1" --json

# ---- meetings ----
minutes='Chi bộ họp thường kỳ tháng hai.
Đồng chí Thắng báo cáo kết quả sản xuất vụ đông xuân.'
printf '%s\n' "$minutes" | "$cellsync" meeting add --date 2026-02-28 \
    --agenda 'Kiểm điểm công tác tháng hai' --minutes - >"$out" 2>"$err"
got=$?
verdict 0 stdout "^added meeting [0-9a-f]\{8\}\$" "meeting add with minutes from standard input"
mt=$(added_id)
expect 0 stdout "^$mt  28/02/2026  regular monthly  *0  *0  Kiểm điểm" -- "$cellsync" meeting list
expect 0 stdout "^recorded 'Đinh Văn Thắng' as present" -- "$cellsync" meeting attend "$mt" "$m1" --present
expect 0 stdout "^recorded 'Nguyễn Văn Sỹ' as absent" -- "$cellsync" meeting attend "$mt" "$m2" \
    --absent --reason 'đi công tác'
# A second record for the same member changes the row instead of adding one.
expect 0 stdout "as present" -- "$cellsync" meeting attend "$mt" "$m2" --present
expect 0 stdout "^$mt  28/02/2026  regular monthly  *2  *0  Kiểm điểm" -- "$cellsync" meeting list
expect 0 stdout "^minutes: *Chi bộ họp thường kỳ tháng hai.\$" -- "$cellsync" meeting show "$mt"
expect 0 stdout "^Đinh Văn Thắng  *present" -- "$cellsync" meeting show "$mt"
expect 0 stdout '"attendance":\[' -- "$cellsync" meeting show "$mt" --json
if [ $have_python -eq 1 ]; then
    check "meeting show --json has the minutes and one attendance row per member" py "
assert d['minutes'] == '''$minutes''', repr(d['minutes'])
assert d['held_on'] == '2026-02-28' and d['kind'] == 'regular', d
att = d['attendance']
assert len(att) == 2, att
assert all(a['present'] is True for a in att), att
assert all(a['reason'] is None for a in att), att
assert d['assessments'] == [], d"
fi

# Assessments need candidates, from the candidate command.
if "$cellsync" candidate add --help >/dev/null 2>&1; then
    expect 0 stdout "^added candidate" -- "$cellsync" candidate add --name 'Hồ Thị Lan'
    cand=$(added_id)
    expect 0 stdout "^added assessment [0-9a-f]\{8\} of 'Hồ Thị Lan'" -- "$cellsync" meeting assess \
        "$mt" "$cand" --strengths 'nhiệt tình' --weaknesses 'ít kinh nghiệm' --next-steps 'học lớp'
    expect 0 stdout "^Hồ Thị Lan  *nhiệt tình  *ít kinh nghiệm  *học lớp" -- "$cellsync" meeting show "$mt"
    expect 0 stdout '"strengths":"nhiệt tình"' -- "$cellsync" meeting show "$mt" --json
    expect 0 stdout "^$mt  28/02/2026  regular monthly  *2  *1" -- "$cellsync" meeting list
    expect 0 stdout "^candidate  $cand  Hồ Thị Lan" -- "$cellsync" search ho thi lan
fi

# ---- search ----
expect 0 stdout "^member  $m1  Đinh Văn Thắng" -- "$cellsync" search dinh van thang
expect 0 stdout "^member  $m1  Đinh Văn Thắng" -- "$cellsync" search Đinh
expect 0 stdout "^member  $m1  Đinh Văn Thắng" -- "$cellsync" search 'Đinh Văn Thắng'
expect 0 stdout "^member  $m2  Nguyễn Văn Sỹ" -- "$cellsync" search nguyen van sy
expect 0 stdout "^member  $m2  Nguyễn Văn Sỹ" -- "$cellsync" search ngu
expect 0 stdout "^member  $m1" -- "$cellsync" search tam ky
# A word of the minutes without its tone marks; the snippet quotes the original.
expect 0 stdout "^meeting  $mt  28/02/2026  .*\[xuân\]" -- "$cellsync" search xuan
expect 0 stdout "\\[Đồng\\] \\[chí\\] Thắng" -- "$cellsync" search dong chi
expect 0 stdout '"kind":"member","id":"[0-9a-f-]*'"$m1"'"' -- "$cellsync" search --json dinh
expect 0 stdout '^\[\]$' -- "$cellsync" search --json khongcogi
# Nothing found: one line that says so, not a header alone.
expect 0 stdout "" -- "$cellsync" search xyzabc
equal "search that finds nothing" "no candidate, member or meeting matches 'xyzabc'" "$(cat "$out")"
expect 0 stdout '^\[\]$' -- "$cellsync" search --json 'a"b'

# ---- bad input ----
expect 1 stderr "no member with id 'abcd1234'" -- "$cellsync" member show abcd1234
expect 1 stderr "no member with id 'abcd1234'" -- "$cellsync" member edit abcd1234 --phone 1
expect 1 stderr "no meeting with id 'abcd1234'" -- "$cellsync" meeting attend abcd1234 "$m1" --present
expect 1 stderr "'zz' is not a record id" -- "$cellsync" member show zz
"$cellsync" member list --json >"$CELLSYNC_HOME/before.json"
expect 1 stderr "'31/02/1990' is not a date" -- "$cellsync" member add --name 'Lê Văn Tám' \
    --birth-date 31/02/1990
# The name comes before the date in the fields: it is written, then rolled back.
expect 1 stderr "'1990-1-1' is not a date" -- "$cellsync" member edit "$m1" --name 'Đinh Văn Sai' \
    --birth-date 1990-1-1
"$cellsync" member list --json >"$CELLSYNC_HOME/after.json"
check "a malformed date stores nothing" cmp -s "$CELLSYNC_HOME/before.json" \
    "$CELLSYNC_HOME/after.json"
expect 1 stderr "'2026-02-30' is not a date" -- "$cellsync" meeting add --date 2026-02-30
expect 1 stderr "sex: 'robot' is not one of: male, female" -- "$cellsync" member add --name X --sex robot
expect 1 stderr "is not one of: probationary, official, transferred out, " -- "$cellsync" member list \
    --status retired
expect 1 stderr "kind: 'annual' is not one of: regular monthly (regular), thematic" -- "$cellsync" meeting add \
    --date 2026-03-01 --kind annual
expect 2 stderr "unknown option '--colour'" -- "$cellsync" member list --colour
expect 2 stderr "unknown option '--frob'" -- "$cellsync" meeting add --date 2026-03-01 --frob
expect 2 stderr "unknown option '--all'" -- "$cellsync" search --all dinh
expect 2 stderr "missing ID" -- "$cellsync" member show
expect 2 stderr "missing MEMBER: name the members" -- "$cellsync" meeting attend "$mt"
expect 2 stderr "missing MEETING MEMBER" -- "$cellsync" meeting attend
expect 2 stderr "missing TEXT" -- "$cellsync" search
expect 2 stderr "'--name' is required" -- "$cellsync" member add --phone 1
# A name given empty, or cleared by an edit, is refused as the pages refuse it.
expect 1 stderr "^cellsync: a member needs a full name$" -- "$cellsync" member add --name '' --phone 0911111111
expect 1 stderr "^cellsync: a member needs a full name$" -- "$cellsync" member edit "$m1" --name ''
expect 1 stderr "^cellsync: a member needs a full name$" -- "$cellsync" member edit "$m1" --name '  ' \
    --phone 0911111111
expect 2 stderr "'--date' is required" -- "$cellsync" meeting add --agenda x
expect 2 stderr "give either '--present' or '--absent'" -- "$cellsync" meeting attend "$mt" "$m1"
expect 2 stderr "give at least one word" -- "$cellsync" search '!?' '...'
expect 2 stderr "give at least one field" -- "$cellsync" member edit "$m1"
expect 2 stderr "unknown verb 'remove'" -- "$cellsync" member remove "$m1"
"$cellsync" member list --json >"$CELLSYNC_HOME/after.json"
check "failed commands store nothing" cmp -s "$CELLSYNC_HOME/before.json" \
    "$CELLSYNC_HOME/after.json"
expect 0 stdout "^$mt  28/02/2026" -- "$cellsync" meeting list
check "failed meeting adds store nothing" test "$(wc -l <"$out")" -eq 2

# Vietnamese order of a roll: by the given name (the last word), then the rest of the
# name, Đ after D and before E, not after Y as in byte order.
expect 0 stdout "^added member" -- "$cellsync" member add --name 'Yên Thị Mai'
expect 0 stdout "^added member" -- "$cellsync" member add --name 'Dương Văn An'
expect 0 stdout "^added member" -- "$cellsync" member add --name 'Đỗ Văn An'
"$cellsync" member list >"$out" 2>"$err"
check "member list in Vietnamese order" [ "$(grep -o -e 'Dương Văn An' -e 'Đỗ Văn An' \
    -e 'Đinh Văn Thắng' -e 'Nguyễn Văn Sỹ' -e 'Yên Thị Mai' "$out" | tr '\n' '|')" = \
    "Dương Văn An|Đỗ Văn An|Yên Thị Mai|Nguyễn Văn Sỹ|Đinh Văn Thắng|" ]

summary
