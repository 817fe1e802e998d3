#!/bin/sh
# SPDX-License-Identifier: MIT
# A monthly meeting as a secretary records it: the attendance of the whole
# cell in one command (members by name or id, --all-present and the absent
# ones with their reasons), all or nothing.
# Usage: test_meeting.sh PATH/TO/cellsync
set -u
cellsync=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# The patterns below are English: whatever locale ran ctest, use the source text.
LC_ALL=C.UTF-8
unset LANG VISUAL EDITOR
CELLSYNC_HOME=$dir/home
export LC_ALL CELLSYNC_HOME
mkdir "$CELLSYNC_HOME"

# attendance MEETING: "name|present|reason" of each attendance row, in roll order.
attendance() {
    "$cellsync" meeting show --json "$1" | python3 -c '
import json, sys
for a in json.load(sys.stdin)["attendance"]:
    print("%s|%d|%s" % (a["full_name"], a["present"], a["reason"] or ""))'
}

expect 0 stdout "created the records" -- "$cellsync" init --org C17
for name in 'Đinh Văn Thắng' 'Lò Thị Mai' 'Nguyễn Văn An' 'Hà Thị Bình'; do
    expect 0 stdout "^added member" -- "$cellsync" member add --name "$name" --status official
done
thang=$("$cellsync" member list | sed -n 's/^\([0-9a-f]\{8\}\)  Đinh Văn Thắng .*/\1/p')
expect 0 stdout "^added member" -- "$cellsync" member add --name 'Vì Văn Páo' --status deceased
expect 0 stdout "^added meeting" -- "$cellsync" meeting add --date 06/12/2026 --agenda 'Tháng 12'
mt=$(added_id)

# ---- several members in one command, by name or id ----
expect 0 stdout "^recorded 'Đinh Văn Thắng' as present at the meeting of" -- \
    "$cellsync" meeting attend "$mt" --present "$thang" 'lo thi mai' --absent 'Nguyễn Văn An' \
    --reason 'đi làm nương'
check "attend: one line per member" test "$(grep -c '^recorded ' "$out")" -eq 3
check "attend: Lò Thị Mai by her name without tone marks" \
    grep -q "^recorded 'Lò Thị Mai' as present" "$out"
check "attend: Nguyễn Văn An absent" grep -q "^recorded 'Nguyễn Văn An' as absent from" "$out"
if command -v python3 >/dev/null 2>&1; then
    equal "attendance after one command" "Nguyễn Văn An|0|đi làm nương
Lò Thị Mai|1|
Đinh Văn Thắng|1|" "$(attendance "$mt")"
fi

# ---- everyone present, then the exceptions; the dead are not expected ----
expect 0 stdout "^added meeting" -- "$cellsync" meeting add --date 06/01/2027 --agenda 'Tháng 1'
mt2=$(added_id)
expect 0 stdout "^recorded 'Hà Thị Bình' as absent from" -- "$cellsync" meeting attend "$mt2" \
    --all-present --absent 'Hà Thị Bình' --reason 'ốm' --absent "$thang" --reason 'đi công tác'
check "attend --all-present: four members, one line each" test "$(grep -c '^recorded ' "$out")" -eq 4
check "attend --all-present: not the deceased member" sh -c "! grep -q 'Páo' '$out'"
if command -v python3 >/dev/null 2>&1; then
    # Roll order: by given name (An, Bình, Mai, Thắng).
    equal "attendance with --all-present" "Nguyễn Văn An|1|
Hà Thị Bình|0|ốm
Lò Thị Mai|1|
Đinh Văn Thắng|0|đi công tác" "$(attendance "$mt2")"
fi
expect 0 stdout "^$mt2  06/01/2027  regular monthly  *2  " -- "$cellsync" meeting list

# ---- the one-member form of before still works, and changes the row ----
expect 0 stdout "^recorded 'Đinh Văn Thắng' as present" -- "$cellsync" meeting attend "$mt2" \
    "$thang" --present
expect 0 stdout "^recorded 'Hà Thị Bình' as absent" -- "$cellsync" meeting attend "$mt2" \
    'Hà Thị Bình' --absent --reason 'con ốm'
expect 0 stdout "^$mt2  06/01/2027  regular monthly  *3  " -- "$cellsync" meeting list

# ---- all or nothing: one unknown name, and nothing is written ----
expect 1 stderr "'Không Có Ai' is not a record id or the name of a member" -- \
    "$cellsync" meeting attend "$mt2" --absent 'Lò Thị Mai' 'Không Có Ai'
expect 0 stdout "^$mt2  06/01/2027  regular monthly  *3  " -- "$cellsync" meeting list
expect 2 stderr "'Lò Thị Mai' is named twice" -- \
    "$cellsync" meeting attend "$mt2" --present "Lò Thị Mai" --absent "Lò Thị Mai"
expect 2 stderr "'--reason' goes with '--absent'" -- \
    "$cellsync" meeting attend "$mt2" --present --reason 'ốm' "$thang"
expect 2 stderr "one '--reason' for each '--absent'" -- \
    "$cellsync" meeting attend "$mt2" --absent "$thang" --reason a --reason b
expect 2 stderr "give either '--present' or '--absent'" -- \
    "$cellsync" meeting attend "$mt2" --all-present "$thang"

summary
