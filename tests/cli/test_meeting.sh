#!/bin/sh
# SPDX-License-Identifier: MIT
# A monthly meeting as a secretary records it: the attendance of the whole
# cell in one command (members by name or id, --all-present and the absent
# ones with their reasons), all or nothing; then, at a terminal (script(1);
# without it that half is skipped, exit 77), minutes typed after a prompt
# that says how to end them, and minutes written in the editor: $VISUAL,
# $EDITOR, then sensible-editor and editor from $PATH, opened on a template
# whose comment lines are left out, an empty text storing no minutes.
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

command -v script >/dev/null 2>&1 || skip "no script(1) to give the commands a terminal"
command -v python3 >/dev/null 2>&1 || skip "no python3 to read the minutes back"

# tty INPUT COMMAND: runs the shell COMMAND at a terminal (script(1)) where INPUT is typed;
# what the terminal showed (the typing echoed, then the output) goes to $out. A command
# still reading after 30 s is stopped (a terminal read that one Ctrl-D does not end).
tty() {
    printf '%s' "$1" | SHELL=/bin/sh timeout 30 script -q -e -c "$2" "$dir/typescript" \
        >/dev/null 2>"$err"
    got=$?
    tr -d '\r' <"$dir/typescript" | grep -v '^Script \(started\|done\) ' >"$out"
}
# minutes ID: the minutes of a meeting, or "None".
minutes() {
    "$cellsync" meeting show --json "$1" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["minutes"])'
}
# tty_id: the id in the "added meeting" line the terminal showed.
tty_id() { sed -n 's/^added meeting \([0-9a-f]\{8\}\)$/\1/p' "$out"; }
# count_meetings: how many meetings are stored.
count_meetings() {
    "$cellsync" meeting list --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

# ---- "-" at a terminal: a prompt, and a line of "." or Ctrl-D ends the text ----
tty 'Chi bộ họp thường kỳ.

Có mặt 4/4.
.
không thuộc biên bản
' "'$cellsync' meeting add --date 07/12/2026 --minutes -"
verdict 0 stdout "^type the minutes; end with a line holding only '.' or press Ctrl-D$" \
    "meeting add --minutes - at a terminal prompts"
equal "minutes typed up to the '.' line" "Chi bộ họp thường kỳ.

Có mặt 4/4." "$(minutes "$(tty_id)")"
# No "." line: the end of the typing (Ctrl-D, which script(1) sends at the end) ends it.
tty 'một dòng
' "'$cellsync' meeting add --date 08/12/2026 --minutes -"
verdict 0 stdout "^type the minutes; end with a line" "meeting add --minutes - ended by Ctrl-D"
equal "minutes ended by Ctrl-D" "một dòng" "$(minutes "$(tty_id)")"
tty 'Sinh hoạt thường kỳ tháng 12.
.
' "LANGUAGE=vi '$cellsync' meeting edit '$mt' --agenda -"
verdict 0 stdout "^gõ nội dung; kết thúc bằng một dòng chỉ có dấu chấm" \
    "the prompt in Vietnamese, naming what to type"
# A pipe is read whole, without a prompt, a line of "." included.
printf 'a\n.\nb\n' | "$cellsync" meeting add --date 09/12/2026 --minutes - >"$out" 2>"$err"
got=$?
verdict 0 stdout "^added meeting" "meeting add --minutes - from a pipe"
check "no prompt for a pipe" sh -c "! grep -q 'type the' '$err'"
equal "a pipe's minutes, '.' line and all" "a
.
b" "$(minutes "$(added_id)")"

# ---- the editor ----
# A stand-in editor: keeps the file it was given in $SEEN_DIR/seen-NAME (NAME: the name it
# was called by) and writes minutes above it, with shell built-ins only, so that it runs
# with nothing else in $PATH.
mkdir "$dir/bin" "$dir/nobin"
SEEN_DIR=$dir
export SEEN_DIR
cat >"$dir/fake-editor" <<'SH'
#!/bin/sh
me=${0##*/}
while IFS= read -r l; do printf '%s\n' "$l"; done <"$1" >"$SEEN_DIR/seen-$me"
printf 'Biên bản do %s ghi.\n' "$me" >"$1"
while IFS= read -r l; do printf '%s\n' "$l"; done <"$SEEN_DIR/seen-$me" >>"$1"
SH
for ed in visual editor-var sensible-editor editor; do
    cp "$dir/fake-editor" "$dir/bin/$ed"
    chmod +x "$dir/bin/$ed"
done
printf '#!/bin/sh\nexit 0\n' >"$dir/bin/nothing"
printf '#!/bin/sh\nexit 3\n' >"$dir/bin/broken"
chmod +x "$dir/bin/nothing" "$dir/bin/broken"

tty '' "VISUAL='$dir/bin/visual' EDITOR='$dir/bin/editor-var' '$cellsync' meeting add --date 10/12/2026"
verdict 0 stdout "^added meeting" "meeting add at a terminal opens \$VISUAL"
equal "minutes from \$VISUAL, its comment lines left out" "Biên bản do visual ghi." \
    "$(minutes "$(tty_id)")"
check "the editor opened on a hint" grep -q "^# Write the minutes of the meeting" "$dir/seen-visual"
check "the hint says how to save and leave nano" \
    grep -q "^# In nano: Ctrl-O then Enter saves, Ctrl-X leaves" "$dir/seen-visual"
check "the template's first line is left to write on" test -z "$(head -n 1 "$dir/seen-visual")"
tty '' "EDITOR='$dir/bin/editor-var' '$cellsync' meeting add --date 11/12/2026"
equal "minutes from \$EDITOR without \$VISUAL" "Biên bản do editor-var ghi." "$(minutes "$(tty_id)")"
# Neither set: Debian's sensible-editor, else editor, from $PATH.
tty '' "PATH='$dir/bin' '$cellsync' meeting add --date 12/12/2026"
equal "minutes from sensible-editor" "Biên bản do sensible-editor ghi." "$(minutes "$(tty_id)")"
rm "$dir/bin/sensible-editor"
tty '' "PATH='$dir/bin' '$cellsync' meeting add --date 13/12/2026"
equal "minutes from editor" "Biên bản do editor ghi." "$(minutes "$(tty_id)")"
tty '' "LANGUAGE=vi PATH='$dir/bin' '$cellsync' meeting add --date 14/12/2026"
check "the hint in Vietnamese" grep -q "^# Trong nano: " "$dir/seen-editor"
# Nothing written: no minutes, and it says so.
tty '' "VISUAL='$dir/bin/nothing' '$cellsync' meeting add --date 15/12/2026"
verdict 0 stdout "^no minutes were written, so the meeting has none; to add them: cellsync meeting edit [0-9a-f]\{8\} --minutes -$" \
    "an empty text in the editor"
equal "no minutes from an empty text" "None" "$(minutes "$(tty_id)")"
# An editor that fails stores nothing and says where the text is.
n=$(count_meetings)
tty '' "VISUAL='$dir/bin/broken' '$cellsync' meeting add --date 16/12/2026"
verdict 1 stdout "the editor '$dir/bin/broken' failed; nothing was stored" "a failing editor"
equal "meetings after a failing editor" "$n" "$(count_meetings)"
# No editor at all: it says so, and the minutes are typed at the terminal.
tty 'Gõ thẳng.
.
' "PATH='$dir/nobin' '$cellsync' meeting add --date 17/12/2026"
verdict 0 stdout "no text editor was found" "meeting add at a terminal without an editor"
check "then the prompt" grep -q "^type the minutes; end with a line" "$out"
equal "minutes typed without an editor" "Gõ thẳng." "$(minutes "$(tty_id)")"

summary
