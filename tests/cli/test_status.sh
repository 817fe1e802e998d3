#!/bin/sh
# SPDX-License-Identifier: MIT
# `cellsync status`, `due` and `conflicts` on a real data directory. $1 is
# cellsync, $2 is cs_fixture, which writes candidates with the replica API
# and makes a real conflict through a second replica (another device).
set -u
cellsync=$1 fixture=$2
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# The patterns below are English: whatever locale ran ctest, use the source text.
LC_ALL=C
CELLSYNC_HOME=$dir/home
CELLSYNC_TODAY=2026-03-01
export LC_ALL CELLSYNC_HOME CELLSYNC_TODAY
have_python=0
command -v python3 >/dev/null 2>&1 && have_python=1

# The line of the plain due list that names a candidate.
due_line() { grep -- "$1" "$out"; }

# pyjson PROGRAM [ARG...]: runs a python check on the JSON in $out, with the
# ARGs from sys.argv[2] on (not run, and not counted, without python3).
pyjson() {
    prog=$1
    shift
    [ $have_python -eq 1 ] || return 0
    if python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
$prog" "$out" "$@" 2>"$dir/py"; then
        ok
    else
        bad "json check: $prog"
        sed 's/^/  python: /' "$dir/py"
    fi
}

expect 0 stdout "created the records" -- "$cellsync" init --org C17

# ---- an empty replica ----
expect 0 stdout "^device: *[0-9a-f-]\{36\}$" -- "$cellsync" status
check "status names the cell" grep -q "^cell: *C17$" "$out"
check "status: no candidates" grep -q "^candidates in progress: *0$" "$out"
check "status: no members" grep -q "^members: *0$" "$out"
check "status: no meetings" grep -q "^meetings: *0$" "$out"
check "status: nothing unacknowledged" grep -q "^changes the hub has not acknowledged: *0$" "$out"
check "status: hub never reached" grep -q "^last contact with the hub: *never$" "$out"
check "status: no conflicts" grep -q "^open conflicts: *0$" "$out"
check "status: nothing overdue" grep -q "^overdue deadlines: *0$" "$out"
check "status: data directory" grep -q "^data directory: *$CELLSYNC_HOME$" "$out"
expect 0 stdout '"last_contact":null' -- "$cellsync" status --json
pyjson 'assert d["org"] == "C17" and d["conflicts"] == 0 and d["overdue"] == 0, d
assert d["candidates"] == d["members"] == d["meetings"] == d["unacknowledged"] == 0, d'
expect 0 stdout "^id  *name  *deadline" -- "$cellsync" due
expect 0 stdout "^\[\]$" -- "$cellsync" due --json
expect 0 stdout "^\[\]$" -- "$cellsync" conflicts list --json

# ---- deadlines ----
# Decided 40 working days ago: the ceremony (30 working days) is overdue.
late=$("$fixture" candidate "Late Candidate" decision decision_on=@-40w) || bad "cs_fixture candidate Late"
# Decided 20 working days ago: the ceremony is due in 10 working days.
soon=$("$fixture" candidate "Soon Candidate" decision decision_on=@-20w) || bad "cs_fixture candidate Soon"
# A class certificate two months old expires in 58 months.
far=$("$fixture" candidate "Far Candidate" class_passed class_on=@-2m) || bad "cs_fixture candidate Far"
# Neither a withdrawn nor a deleted candidate has deadlines.
"$fixture" candidate "Gone Candidate" withdrawn decision_on=@-40w >/dev/null || bad "cs_fixture candidate Gone"
del=$("$fixture" candidate "Deleted Candidate" decision decision_on=@-40w) || bad "cs_fixture candidate Deleted"
"$fixture" delete candidate "$del" || bad "cs_fixture delete candidate"
late_short=$(printf '%s' "$late" | tail -c 8)

expect 0 stdout "Late Candidate" -- "$cellsync" due
check "due: the late ceremony is overdue" \
    sh -c "grep 'Late Candidate' '$out' | grep 'admission ceremony' | grep -q 'overdue$'"
check "due: the late line starts with its short id" \
    sh -c "grep -q '^$late_short  *Late Candidate' '$out'"
check "due: the upcoming ceremony is not overdue" \
    sh -c "grep 'Soon Candidate' '$out' | grep 'admission ceremony' | grep -qv 'overdue'"
check "due: the certificate expiry is listed" \
    sh -c "grep 'Far Candidate' '$out' | grep -q 'class certificate expires  *01/01/2031'"
check "due: soonest first" \
    sh -c "grep -o '[A-Z][a-z]* Candidate' '$out' | tr '\n' ' ' | grep -q '^Late Candidate Soon Candidate Far Candidate \$'"
check "due: no withdrawn candidate" sh -c "! grep -q 'Gone Candidate' '$out'"
check "due: no deleted candidate" sh -c "! grep -q 'Deleted Candidate' '$out'"
check "due: three deadlines" test "$(grep -c Candidate "$out")" -eq 3

expect 0 stdout "Soon Candidate" -- "$cellsync" due --within 30
check "due --within 30: overdue shown" grep -q "Late Candidate" "$out"
check "due --within 30: 2031 left out" sh -c "! grep -q 'Far Candidate' '$out'"
expect 0 stdout "Late Candidate" -- "$cellsync" due --within 0
check "due --within 0: only the overdue one" test "$(grep -c Candidate "$out")" -eq 1
expect 2 stderr "within" -- "$cellsync" due --within soon
expect 2 stderr "within" -- "$cellsync" due --within -1
expect 2 stderr "unexpected argument 'x'" -- "$cellsync" due x
expect 2 stderr "unknown option '--frob'" -- "$cellsync" due --frob
expect 0 stdout "^usage: cellsync due" -- "$cellsync" due --help

expect 0 stdout '"kind":"ceremony"' -- "$cellsync" due --json
check "due --json: the overdue one is marked" grep -q '"days_left":-[0-9]*,"overdue":true' "$out"
pyjson 'assert [r["name"] for r in d] == ["Late Candidate", "Soon Candidate", "Far Candidate"], d
assert d[0]["overdue"] is True and d[0]["days_left"] < 0 and d[0]["kind"] == "ceremony", d[0]
assert d[1]["overdue"] is False and 0 <= d[1]["days_left"] <= 20, d[1]
assert d[2]["kind"] == "certificate_expiry" and d[2]["due"] == "2031-01-01", d[2]
assert [r["due"] for r in d] == sorted(r["due"] for r in d)
assert len(d[0]["id"]) == 36 and d[0]["id"].endswith(sys.argv[2]), d[0]' "$late_short"
expect 0 stdout '"overdue":true' -- "$cellsync" due --json --within 0
pyjson 'assert len(d) == 1 and d[0]["name"] == "Late Candidate", d'

expect 0 stdout "^overdue deadlines: *1$" -- "$cellsync" status
check "status: three candidates in progress" grep -q "^candidates in progress: *3$" "$out"
check "status: local changes unacknowledged" \
    sh -c "! grep -q '^changes the hub has not acknowledged: *0$' '$out'"
expect 0 stdout '"overdue":1' -- "$cellsync" status --json

# ---- conflicts ----
"$fixture" conflict candidate "$late" full_name "Name Here" "Name There" || bad "cs_fixture conflict candidate"
expect 0 stdout "^open conflicts: *1$" -- "$cellsync" status
expect 0 stdout "Name Here" -- "$cellsync" conflicts list
check "conflicts list: both values" grep -q "Name There" "$out"
check "conflicts list: the record and field" \
    sh -c "grep -q 'candidate $late_short .*full name' '$out'"
expect 0 stdout '"column":"full_name"' -- "$cellsync" conflicts list --json
pyjson 'assert len(d) == 1, d
c = d[0]
assert {c["current"]["value"], c["other"]["value"]} == {"Name Here", "Name There"}, c
assert c["current"]["device"] != c["other"]["device"] and c["table"] == "candidate", c'
conflict=$(sed -n 's/^\[{"conflict":\([0-9]*\),.*/\1/p' "$out")
other=$(sed -n 's/.*"other":{"value":"\([^"]*\)".*/\1/p' "$out")
current=$(sed -n 's/.*"current":{"value":"\([^"]*\)".*/\1/p' "$out")
check "the conflict has a number and two values" \
    test -n "$conflict" -a -n "$other" -a -n "$current" -a "$other" != "$current"

expect 1 stderr "no open conflict 999999" -- "$cellsync" conflicts resolve 999999 --pick other
expect 1 stderr "not a conflict number" -- "$cellsync" conflicts resolve x1 --pick other
expect 2 stderr "either --pick" -- "$cellsync" conflicts resolve "$conflict"
expect 2 stderr "either --pick" -- "$cellsync" conflicts resolve "$conflict" --pick other --value x
expect 2 stderr "'current' or 'other'" -- "$cellsync" conflicts resolve "$conflict" --pick mine
expect 0 stdout "^usage: cellsync conflicts resolve" -- "$cellsync" conflicts resolve --help

expect 0 stdout "resolved conflict $conflict" -- \
    "$cellsync" conflicts resolve "$conflict" --pick other
check "resolve --pick other: says the new value" grep -q "is now '$other'" "$out"
expect 0 stdout "^$other$" -- "$fixture" get candidate "$late" full_name
expect 0 stdout "$other" -- "$cellsync" due
expect 0 stdout "^\[\]$" -- "$cellsync" conflicts list --json
expect 0 stdout "^no open conflicts$" -- "$cellsync" conflicts list
check "conflicts list: empty after resolving" test "$(wc -l <"$out")" -eq 1
expect 0 stdout "^open conflicts: *0$" -- "$cellsync" status
expect 1 stderr "no open conflict $conflict" -- \
    "$cellsync" conflicts resolve "$conflict" --pick other

# A typed value is checked and normalised as `edit` would.
"$fixture" conflict candidate "$soon" decision_on 2026-02-02 2026-02-03 || bad "cs_fixture conflict candidate"
expect 0 stdout '"column":"decision_on"' -- "$cellsync" conflicts list --json
conflict=$(sed -n 's/^\[{"conflict":\([0-9]*\),.*/\1/p' "$out")
expect 1 stderr "is not a date" -- "$cellsync" conflicts resolve "$conflict" --value 31/2/2026
expect 0 stdout "is now '2026-02-04'" -- "$cellsync" conflicts resolve "$conflict" --value 4/2/2026
expect 0 stdout "^2026-02-04$" -- "$fixture" get candidate "$soon" decision_on

# --pick current keeps what was shown.
"$fixture" conflict candidate "$far" occupation teacher farmer || bad "cs_fixture conflict candidate"
expect 0 stdout '"column":"occupation"' -- "$cellsync" conflicts list --json
conflict=$(sed -n 's/^\[{"conflict":\([0-9]*\),.*/\1/p' "$out")
current=$(sed -n 's/.*"current":{"value":"\([^"]*\)".*/\1/p' "$out")
expect 0 stdout "is now '$current'" -- "$cellsync" conflicts resolve "$conflict" --pick current
expect 0 stdout "^$current$" -- "$fixture" get candidate "$far" occupation
expect 0 stdout '"conflicts":0' -- "$cellsync" status --json

summary
