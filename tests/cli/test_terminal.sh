#!/bin/sh
# SPDX-License-Identifier: MIT
# What a person sees at a terminal, and what a script sees in a pipe: a list
# wider than the screen ($COLUMNS, or the terminal's own width) prints each row
# as a block of "label: value" lines instead of a table that wraps into a
# zig-zag, and `due` shows overdue deadlines in bold red at a terminal, never
# in a pipe and never with $NO_COLOR set. script(1) gives the commands a
# terminal; without it the terminal checks are skipped (exit 77) after the
# pipe checks ran.
# Usage: test_terminal.sh PATH/TO/cellsync PATH/TO/cs_fixture
set -u
cellsync=$1 fixture=$2
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# The patterns below are English: whatever locale ran ctest, use the source text.
LC_ALL=C.UTF-8
unset LANG NO_COLOR
CELLSYNC_HOME=$dir/home
export LC_ALL CELLSYNC_HOME
mkdir "$CELLSYNC_HOME"
esc=$(printf '\033')

# at COLS COMMAND: runs the shell COMMAND on a terminal COLS columns wide
# (script(1)); what it printed, one line per line, is in $out.
at() {
    SHELL=/bin/sh script -q -e -c "stty cols $1 rows 50; $2" "$dir/typescript" \
        >/dev/null 2>"$err" </dev/null
    got=$?
    # The typescript starts and ends with a line of script's own; lines end in CR LF.
    tr -d '\r' <"$dir/typescript" | grep -v '^Script \(started\|done\) ' >"$out"
}

expect 0 stdout "created the records" -- "$cellsync" init --org C17
late=$("$fixture" candidate "Late Candidate" decision decision_on=@-40w) || bad "cs_fixture candidate"
"$fixture" candidate "Soon Candidate" decision decision_on=@-20w >/dev/null ||
    bad "cs_fixture candidate"
"$fixture" conflict candidate "$late" occupation teacher farmer || bad "cs_fixture conflict"

# ---- pipes: the table, whatever wide, and no colour ----
expect 0 stdout "^conflict  record  *name  *field  *current value  *device" -- \
    "$cellsync" conflicts list
check "conflicts list in a pipe: one line per conflict" test "$(wc -l <"$out")" -eq 2
expect 0 stdout "Late Candidate .*overdue$" -- "$cellsync" due
check "due in a pipe: no colour" sh -c "! grep -q '$esc' '$out'"
TERM=xterm expect 0 stdout "Late Candidate .*overdue$" -- "$cellsync" due
check "due in a pipe with TERM set: still no colour" sh -c "! grep -q '$esc' '$out'"

# ---- $COLUMNS narrower than the table: blocks of "label: value" lines ----
COLUMNS=80 expect 0 stdout "^conflict: *[0-9]\{6\}$" -- "$cellsync" conflicts list
check "conflicts list in 80 columns: the record on a line of its own" \
    grep -q "^record: *candidate [0-9a-f]\{8\}$" "$out"
check "conflicts list in 80 columns: the name" grep -q "^name: *Late Candidate$" "$out"
check "conflicts list in 80 columns: the field" grep -q "^field: *occupation$" "$out"
check "conflicts list in 80 columns: no line wider than 80" \
    awk 'length > 80 { wide = 1 } END { exit wide }' "$out"
check "conflicts list in 80 columns: no table header" sh -c "! grep -q '^conflict  record' '$out'"
# Two rows: two blocks, one blank line between them.
COLUMNS=40 expect 0 stdout "^id: *[0-9a-f]\{8\}$" -- "$cellsync" due
check "due in 40 columns: two blocks" test "$(grep -c '^name: ' "$out")" -eq 2
check "due in 40 columns: one blank line between them" test "$(grep -c '^$' "$out")" -eq 1
check "due in 40 columns: the overdue note" grep -q "^note: *overdue$" "$out"
# Wide enough: the table as before.
COLUMNS=300 expect 0 stdout "^conflict  record  *name" -- "$cellsync" conflicts list
# A report is a document: it keeps its tables whatever the screen (here written by --out).
COLUMNS=20 expect 0 stdout "" -- "$cellsync" report due --out due.txt
check "report --out with COLUMNS=20: the table's header line" grep -q "^cell  cell name  id  name" due.txt
check "report --out with COLUMNS=20: no blocks" sh -c "! grep -q '^name: ' due.txt"

command -v script >/dev/null 2>&1 || skip "no script(1) to give the commands a terminal"

# ---- a terminal: its width decides ----
at 80 "'$cellsync' conflicts list"
verdict 0 stdout "^conflict: *[0-9]\{6\}$" "conflicts list on an 80-column terminal"
check "conflicts list on an 80-column terminal: no line wider than 80" \
    awk 'length > 80 { wide = 1 } END { exit wide }' "$out"
at 250 "'$cellsync' conflicts list"
verdict 0 stdout "^conflict  record  *name  *field" "conflicts list on a 250-column terminal"

# ---- colour at a terminal, unless NO_COLOR or a dumb terminal ----
at 200 "TERM=xterm '$cellsync' due"
verdict 0 stdout "Late Candidate .*${esc}\[1;31moverdue${esc}\[0m$" "due at a terminal: overdue in bold red"
check "due at a terminal: the other deadline uncoloured" \
    sh -c "grep 'Soon Candidate' '$out' | grep -qv '$esc'"
# The colour takes no column: the table still lines up, headers and all.
check "due at a terminal: the days-left column lines up" \
    sh -c "test \$(grep -c '^[0-9a-f]\{8\}  [A-Za-z ]*Candidate  ' '$out') -ge 2"
at 200 "NO_COLOR=1 TERM=xterm '$cellsync' due"
verdict 0 stdout "Late Candidate .*overdue$" "due at a terminal with NO_COLOR"
check "due at a terminal with NO_COLOR: no colour" sh -c "! grep -q '$esc' '$out'"
at 200 "TERM=dumb '$cellsync' due"
verdict 0 stdout "Late Candidate .*overdue$" "due on a dumb terminal"
check "due on a dumb terminal: no colour" sh -c "! grep -q '$esc' '$out'"

summary
