#!/bin/sh
# SPDX-License-Identifier: MIT
# The record commands end to end, with the real binary in a temp data
# directory: members, meetings with Vietnamese minutes read from standard
# input, attendance, search with and without tone marks, and bad input,
# which must fail with the right exit code and leave nothing stored.
# Usage: test_records.sh PATH/TO/cellsync
set -u
bin=$1
# The patterns below are English: whatever locale ran ctest, use the source text.
LC_ALL=C
export LC_ALL
unset LANGUAGE EDITOR
CELLSYNC_HOME=$(mktemp -d)
CELLSYNC_TODAY=2026-03-01
export CELLSYNC_HOME CELLSYNC_TODAY
fails=0 passes=0
out=$(mktemp) err=$(mktemp)
trap 'rm -rf "$CELLSYNC_HOME" "$out" "$err"' EXIT
if command -v python3 >/dev/null 2>&1; then have_python=1; else have_python=0; fi

fail() {
    echo "FAIL: $*"
    sed 's/^/  stdout: /' "$out"; sed 's/^/  stderr: /' "$err"
    fails=$((fails + 1))
}

# expect CODE STREAM PATTERN -- CMD...: exit code and a pattern in stdout/stderr.
expect() {
    code=$1 stream=$2 pattern=$3
    shift 4
    "$@" >"$out" 2>"$err" </dev/null
    got=$?
    file=$out
    [ "$stream" = stderr ] && file=$err
    if [ "$got" -ne "$code" ] || ! grep -q -- "$pattern" "$file"; then
        fail "$* -> exit $got (want $code), $stream lacks '$pattern'"
    else
        passes=$((passes + 1))
    fi
}

# check DESCRIPTION COMMAND...: a test of its own (exit 0 passes).
check() {
    what=$1
    shift
    if "$@"; then passes=$((passes + 1)); else fail "$what"; fi
}

# The short id an "added ..." line printed: its last word.
added_id() { awk '{ print $NF }' "$out"; }

# py CODE: runs python3 on $out; CODE sees the parsed JSON as d.
py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1], encoding='utf-8')); $1" "$out"; }

expect 0 stdout "created the records" -- "$bin" init

# ---- members ----
expect 0 stdout "^added member [0-9a-f]\{8\}\$" -- "$bin" member add --name 'Đinh Văn Thắng' \
    --sex male --birth-date 12/5/1990 --hometown 'Tam Kỳ, Quảng Nam'
m1=$(added_id)
expect 0 stdout "^added member [0-9a-f]\{8\}\$" -- "$bin" member add --name 'Nguyễn Văn Sỹ' \
    --birth-date 1985-01-20 --status official --card-no 'CS-001'
m2=$(added_id)
expect 0 stdout "Đinh Văn Thắng" -- "$bin" member list
expect 0 stdout "^$m2  Nguyễn Văn Sỹ  *official  *1985-01-20  *CS-001\$" -- "$bin" member list
expect 0 stdout "^id  *name  *status" -- "$bin" member list
expect 0 stdout "Nguyễn Văn Sỹ" -- "$bin" member list --status official
expect 0 stdout '^\[' -- "$bin" member list --json
if [ $have_python -eq 1 ]; then
    check "member list --json has both members with their fields" py "
names = sorted(m['full_name'] for m in d)
assert names == sorted(['Đinh Văn Thắng', 'Nguyễn Văn Sỹ']), names
sy = [m for m in d if m['short_id'] == '$m2'][0]
assert sy['status'] == 'official' and sy['card_no'] == 'CS-001', sy
assert len(sy['id']) == 36 and sy['id'].endswith('$m2'), sy"
else
    expect 0 stdout '"short_id":"'"$m1"'"' -- "$bin" member list --json
fi
expect 0 stdout '^\[\]$' -- "$bin" member list --json --status deceased
expect 0 stdout "^updated member $m1\$" -- "$bin" member edit "$m1" --phone 0912345678 \
    --status probationary
expect 0 stdout "^phone: *0912345678\$" -- "$bin" member show "$m1"
expect 0 stdout "^status: *probationary\$" -- "$bin" member show "$m1"
expect 0 stdout "^date of birth: *1990-05-12\$" -- "$bin" member show "$m1"
expect 0 stdout '"phone":"0912345678"' -- "$bin" member show "$m1" --json

# ---- meetings ----
minutes='Chi bộ họp thường kỳ tháng hai.
Đồng chí Thắng báo cáo kết quả sản xuất vụ đông xuân.'
printf '%s\n' "$minutes" | "$bin" meeting add --date 2026-02-28 \
    --agenda 'Kiểm điểm công tác tháng hai' --minutes - >"$out" 2>"$err"
if [ $? -eq 0 ] && grep -q "^added meeting [0-9a-f]\{8\}\$" "$out"; then
    passes=$((passes + 1))
else
    fail "meeting add with minutes from standard input"
fi
mt=$(added_id)
expect 0 stdout "^$mt  2026-02-28  regular monthly  *0  *0  Kiểm điểm" -- "$bin" meeting list
expect 0 stdout "^recorded 'Đinh Văn Thắng' as present" -- "$bin" meeting attend "$mt" "$m1" --present
expect 0 stdout "^recorded 'Nguyễn Văn Sỹ' as absent" -- "$bin" meeting attend "$mt" "$m2" \
    --absent --reason 'đi công tác'
# A second record for the same member changes the row instead of adding one.
expect 0 stdout "as present" -- "$bin" meeting attend "$mt" "$m2" --present
expect 0 stdout "^$mt  2026-02-28  regular monthly  *2  *0  Kiểm điểm" -- "$bin" meeting list
expect 0 stdout "^minutes: *Chi bộ họp thường kỳ tháng hai.\$" -- "$bin" meeting show "$mt"
expect 0 stdout "^Đinh Văn Thắng  *present" -- "$bin" meeting show "$mt"
expect 0 stdout '"attendance":\[' -- "$bin" meeting show "$mt" --json
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
if "$bin" candidate add --help >/dev/null 2>&1; then
    expect 0 stdout "^added candidate" -- "$bin" candidate add --name 'Hồ Thị Lan'
    cand=$(added_id)
    expect 0 stdout "^added assessment [0-9a-f]\{8\} of 'Hồ Thị Lan'" -- "$bin" meeting assess \
        "$mt" "$cand" --strengths 'nhiệt tình' --weaknesses 'ít kinh nghiệm' --next-steps 'học lớp'
    expect 0 stdout "^Hồ Thị Lan  *nhiệt tình  *ít kinh nghiệm  *học lớp" -- "$bin" meeting show "$mt"
    expect 0 stdout '"strengths":"nhiệt tình"' -- "$bin" meeting show "$mt" --json
    expect 0 stdout "^$mt  2026-02-28  regular monthly  *2  *1" -- "$bin" meeting list
    expect 0 stdout "^candidate  $cand  Hồ Thị Lan" -- "$bin" search ho thi lan
fi

# ---- search ----
expect 0 stdout "^member  $m1  Đinh Văn Thắng" -- "$bin" search dinh van thang
expect 0 stdout "^member  $m1  Đinh Văn Thắng" -- "$bin" search Đinh
expect 0 stdout "^member  $m1  Đinh Văn Thắng" -- "$bin" search 'Đinh Văn Thắng'
expect 0 stdout "^member  $m2  Nguyễn Văn Sỹ" -- "$bin" search nguyen van sy
expect 0 stdout "^member  $m2  Nguyễn Văn Sỹ" -- "$bin" search ngu
expect 0 stdout "^member  $m1" -- "$bin" search tam ky
# A word of the minutes without its tone marks; the snippet quotes the original.
expect 0 stdout "^meeting  $mt  2026-02-28  .*\[xuân\]" -- "$bin" search xuan
expect 0 stdout "\\[Đồng\\] \\[chí\\] Thắng" -- "$bin" search dong chi
expect 0 stdout '"kind":"member","id":"[0-9a-f-]*'"$m1"'"' -- "$bin" search --json dinh
expect 0 stdout '^\[\]$' -- "$bin" search --json khongcogi
expect 0 stdout '^\[\]$' -- "$bin" search --json 'a"b'

# ---- bad input ----
expect 1 stderr "no member with id 'abcd1234'" -- "$bin" member show abcd1234
expect 1 stderr "no member with id 'abcd1234'" -- "$bin" member edit abcd1234 --phone 1
expect 1 stderr "no meeting with id 'abcd1234'" -- "$bin" meeting attend abcd1234 "$m1" --present
expect 1 stderr "'zz' is not a record id" -- "$bin" member show zz
"$bin" member list --json >"$CELLSYNC_HOME/before.json"
expect 1 stderr "'31/02/1990' is not a date" -- "$bin" member add --name 'Lê Văn Tám' \
    --birth-date 31/02/1990
# The name comes before the date in the fields: it is written, then rolled back.
expect 1 stderr "'1990-1-1' is not a date" -- "$bin" member edit "$m1" --name 'Đinh Văn Sai' \
    --birth-date 1990-1-1
"$bin" member list --json >"$CELLSYNC_HOME/after.json"
check "a malformed date stores nothing" cmp -s "$CELLSYNC_HOME/before.json" \
    "$CELLSYNC_HOME/after.json"
expect 1 stderr "'2026-02-30' is not a date" -- "$bin" meeting add --date 2026-02-30
expect 1 stderr "sex: 'robot' is not one of: male, female" -- "$bin" member add --name X --sex robot
expect 1 stderr "is not one of: probationary, official, transferred_out" -- "$bin" member list \
    --status retired
expect 1 stderr "kind: 'annual' is not one of: regular, thematic" -- "$bin" meeting add \
    --date 2026-03-01 --kind annual
expect 2 stderr "unknown option '--colour'" -- "$bin" member list --colour
expect 2 stderr "unknown option '--frob'" -- "$bin" meeting add --date 2026-03-01 --frob
expect 2 stderr "unknown option '--all'" -- "$bin" search --all dinh
expect 2 stderr "missing ID" -- "$bin" member show
expect 2 stderr "missing MEETING MEMBER" -- "$bin" meeting attend "$mt"
expect 2 stderr "missing TEXT" -- "$bin" search
expect 2 stderr "'--name' is required" -- "$bin" member add --phone 1
expect 2 stderr "'--date' is required" -- "$bin" meeting add --agenda x
expect 2 stderr "give either '--present' or '--absent'" -- "$bin" meeting attend "$mt" "$m1"
expect 2 stderr "give at least one word" -- "$bin" search '!?' '...'
expect 2 stderr "give at least one field" -- "$bin" member edit "$m1"
expect 2 stderr "unknown verb 'delete'" -- "$bin" member delete "$m1"
"$bin" member list --json >"$CELLSYNC_HOME/after.json"
check "failed commands store nothing" cmp -s "$CELLSYNC_HOME/before.json" \
    "$CELLSYNC_HOME/after.json"
expect 0 stdout "^$mt  2026-02-28" -- "$bin" meeting list
check "failed meeting adds store nothing" test "$(wc -l <"$out")" -eq 2

# Vietnamese order: Đ after D and before E, not after Y as in byte order.
expect 0 stdout "^added member" -- "$bin" member add --name 'Yên Thị Mai'
expect 0 stdout "^added member" -- "$bin" member add --name 'Dương Văn An'
"$bin" member list >"$out" 2>"$err"
check "member list in Vietnamese order" [ "$(grep -o -e 'Dương Văn An' -e 'Đinh Văn Thắng' \
    -e 'Nguyễn Văn Sỹ' -e 'Yên Thị Mai' "$out" | tr '\n' '|')" = \
    "Dương Văn An|Đinh Văn Thắng|Nguyễn Văn Sỹ|Yên Thị Mai|" ]

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
