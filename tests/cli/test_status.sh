#!/bin/sh
# SPDX-License-Identifier: MIT
# `cellsync status`, `due` and `conflicts` on a real data directory. $1 is
# cellsync, $2 is cs_fixture, which writes candidates with the replica API
# and makes a real conflict through a second replica (another device).
set -u
# The patterns below are English: whatever locale ran ctest, use the source text.
LC_ALL=C
export LC_ALL
unset LANGUAGE
CELLSYNC=$1 FIXTURE=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CELLSYNC_HOME=$tmp/home
CELLSYNC_TODAY=2026-03-01
export CELLSYNC_HOME CELLSYNC_TODAY
out=$tmp/out err=$tmp/err
fails=0 passes=0
have_python=0
command -v python3 >/dev/null 2>&1 && have_python=1

fail() {
    echo "FAIL: $*"
    sed 's/^/  stdout: /' "$out"
    sed 's/^/  stderr: /' "$err"
    fails=$((fails + 1))
}

# expect CODE STREAM PATTERN -- CMD...: exit code and a pattern in stdout/stderr.
expect() {
    code=$1 stream=$2 pattern=$3
    shift 4
    "$@" >"$out" 2>"$err"
    got=$?
    file=$out
    [ "$stream" = stderr ] && file=$err
    if [ "$got" -ne "$code" ] || ! grep -q -- "$pattern" "$file"; then
        fail "$* -> exit $got (want $code), $stream lacks '$pattern'"
    else
        passes=$((passes + 1))
    fi
}

# check DESCRIPTION CONDITION...: a test of what the last command printed.
check() {
    what=$1
    shift
    if "$@"; then
        passes=$((passes + 1))
    else
        fail "$what"
    fi
}

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
$prog" "$out" "$@" 2>"$tmp/py"; then
        passes=$((passes + 1))
    else
        fail "json check: $prog"
        sed 's/^/  python: /' "$tmp/py"
    fi
}

expect 0 stdout "created the records" -- "$CELLSYNC" init --org C17

# ---- an empty replica ----
expect 0 stdout "^device: *[0-9a-f-]\{36\}$" -- "$CELLSYNC" status
check "status names the cell" grep -q "^cell: *C17$" "$out"
check "status: no candidates" grep -q "^candidates in progress: *0$" "$out"
check "status: no members" grep -q "^members: *0$" "$out"
check "status: no meetings" grep -q "^meetings: *0$" "$out"
check "status: nothing unacknowledged" grep -q "^changes the hub has not acknowledged: *0$" "$out"
check "status: hub never reached" grep -q "^last contact with the hub: *never$" "$out"
check "status: no conflicts" grep -q "^open conflicts: *0$" "$out"
check "status: nothing overdue" grep -q "^overdue deadlines: *0$" "$out"
check "status: data directory" grep -q "^data directory: *$CELLSYNC_HOME$" "$out"
expect 0 stdout '"last_contact":null' -- "$CELLSYNC" status --json
pyjson 'assert d["org"] == "C17" and d["conflicts"] == 0 and d["overdue"] == 0, d
assert d["candidates"] == d["members"] == d["meetings"] == d["unacknowledged"] == 0, d'
expect 0 stdout "^id  *name  *deadline" -- "$CELLSYNC" due
expect 0 stdout "^\[\]$" -- "$CELLSYNC" due --json
expect 0 stdout "^\[\]$" -- "$CELLSYNC" conflicts list --json

# ---- deadlines ----
# Decided 40 working days ago: the ceremony (30 working days) is overdue.
late=$("$FIXTURE" candidate "Late Candidate" decision decision_on=@-40w) || fails=$((fails + 1))
# Decided 20 working days ago: the ceremony is due in 10 working days.
soon=$("$FIXTURE" candidate "Soon Candidate" decision decision_on=@-20w) || fails=$((fails + 1))
# A class certificate two months old expires in 58 months.
far=$("$FIXTURE" candidate "Far Candidate" class_passed class_on=@-2m) || fails=$((fails + 1))
# Neither a withdrawn nor a deleted candidate has deadlines.
"$FIXTURE" candidate "Gone Candidate" withdrawn decision_on=@-40w >/dev/null || fails=$((fails + 1))
del=$("$FIXTURE" candidate "Deleted Candidate" decision decision_on=@-40w) || fails=$((fails + 1))
"$FIXTURE" delete candidate "$del" || fails=$((fails + 1))
late_short=$(printf '%s' "$late" | tail -c 8)

expect 0 stdout "Late Candidate" -- "$CELLSYNC" due
check "due: the late ceremony is overdue" \
    sh -c "grep 'Late Candidate' '$out' | grep 'admission ceremony' | grep -q 'overdue$'"
check "due: the late line starts with its short id" \
    sh -c "grep -q '^$late_short  *Late Candidate' '$out'"
check "due: the upcoming ceremony is not overdue" \
    sh -c "grep 'Soon Candidate' '$out' | grep 'admission ceremony' | grep -qv 'overdue'"
check "due: the certificate expiry is listed" \
    sh -c "grep 'Far Candidate' '$out' | grep -q 'class certificate expires  *2031-01-01'"
check "due: soonest first" \
    sh -c "grep -o '[A-Z][a-z]* Candidate' '$out' | tr '\n' ' ' | grep -q '^Late Candidate Soon Candidate Far Candidate \$'"
check "due: no withdrawn candidate" sh -c "! grep -q 'Gone Candidate' '$out'"
check "due: no deleted candidate" sh -c "! grep -q 'Deleted Candidate' '$out'"
check "due: three deadlines" test "$(grep -c Candidate "$out")" -eq 3

expect 0 stdout "Soon Candidate" -- "$CELLSYNC" due --within 30
check "due --within 30: overdue shown" grep -q "Late Candidate" "$out"
check "due --within 30: 2031 left out" sh -c "! grep -q 'Far Candidate' '$out'"
expect 0 stdout "Late Candidate" -- "$CELLSYNC" due --within 0
check "due --within 0: only the overdue one" test "$(grep -c Candidate "$out")" -eq 1
expect 2 stderr "within" -- "$CELLSYNC" due --within soon
expect 2 stderr "within" -- "$CELLSYNC" due --within -1
expect 2 stderr "unexpected argument 'x'" -- "$CELLSYNC" due x
expect 2 stderr "unknown option '--frob'" -- "$CELLSYNC" due --frob
expect 0 stdout "^usage: cellsync due" -- "$CELLSYNC" due --help

expect 0 stdout '"kind":"ceremony"' -- "$CELLSYNC" due --json
check "due --json: the overdue one is marked" grep -q '"days_left":-[0-9]*,"overdue":true' "$out"
pyjson 'assert [r["name"] for r in d] == ["Late Candidate", "Soon Candidate", "Far Candidate"], d
assert d[0]["overdue"] is True and d[0]["days_left"] < 0 and d[0]["kind"] == "ceremony", d[0]
assert d[1]["overdue"] is False and 0 <= d[1]["days_left"] <= 20, d[1]
assert d[2]["kind"] == "certificate_expiry" and d[2]["due"] == "2031-01-01", d[2]
assert [r["due"] for r in d] == sorted(r["due"] for r in d)
assert len(d[0]["id"]) == 36 and d[0]["id"].endswith(sys.argv[2]), d[0]' "$late_short"
expect 0 stdout '"overdue":true' -- "$CELLSYNC" due --json --within 0
pyjson 'assert len(d) == 1 and d[0]["name"] == "Late Candidate", d'

expect 0 stdout "^overdue deadlines: *1$" -- "$CELLSYNC" status
check "status: three candidates in progress" grep -q "^candidates in progress: *3$" "$out"
check "status: local changes unacknowledged" \
    sh -c "! grep -q '^changes the hub has not acknowledged: *0$' '$out'"
expect 0 stdout '"overdue":1' -- "$CELLSYNC" status --json

# ---- conflicts ----
"$FIXTURE" conflict candidate "$late" full_name "Name Here" "Name There" || fails=$((fails + 1))
expect 0 stdout "^open conflicts: *1$" -- "$CELLSYNC" status
expect 0 stdout "Name Here" -- "$CELLSYNC" conflicts list
check "conflicts list: both values" grep -q "Name There" "$out"
check "conflicts list: the record and field" \
    sh -c "grep -q 'candidate $late_short .*full name' '$out'"
expect 0 stdout '"column":"full_name"' -- "$CELLSYNC" conflicts list --json
pyjson 'assert len(d) == 1, d
c = d[0]
assert {c["current"]["value"], c["other"]["value"]} == {"Name Here", "Name There"}, c
assert c["current"]["device"] != c["other"]["device"] and c["table"] == "candidate", c'
conflict=$(sed -n 's/^\[{"conflict":\([0-9]*\),.*/\1/p' "$out")
other=$(sed -n 's/.*"other":{"value":"\([^"]*\)".*/\1/p' "$out")
current=$(sed -n 's/.*"current":{"value":"\([^"]*\)".*/\1/p' "$out")
check "the conflict has a number and two values" \
    test -n "$conflict" -a -n "$other" -a -n "$current" -a "$other" != "$current"

expect 1 stderr "no open conflict 999999" -- "$CELLSYNC" conflicts resolve 999999 --pick other
expect 1 stderr "not a conflict number" -- "$CELLSYNC" conflicts resolve x1 --pick other
expect 2 stderr "either --pick" -- "$CELLSYNC" conflicts resolve "$conflict"
expect 2 stderr "either --pick" -- "$CELLSYNC" conflicts resolve "$conflict" --pick other --value x
expect 2 stderr "'current' or 'other'" -- "$CELLSYNC" conflicts resolve "$conflict" --pick mine
expect 0 stdout "^usage: cellsync conflicts resolve" -- "$CELLSYNC" conflicts resolve --help

expect 0 stdout "resolved conflict $conflict" -- \
    "$CELLSYNC" conflicts resolve "$conflict" --pick other
check "resolve --pick other: says the new value" grep -q "is now '$other'" "$out"
expect 0 stdout "^$other$" -- "$FIXTURE" get candidate "$late" full_name
expect 0 stdout "$other" -- "$CELLSYNC" due
expect 0 stdout "^\[\]$" -- "$CELLSYNC" conflicts list --json
expect 0 stdout "^conflict  *record" -- "$CELLSYNC" conflicts list
check "conflicts list: empty after resolving" test "$(wc -l <"$out")" -eq 1
expect 0 stdout "^open conflicts: *0$" -- "$CELLSYNC" status
expect 1 stderr "no open conflict $conflict" -- \
    "$CELLSYNC" conflicts resolve "$conflict" --pick other

# A typed value is checked and normalised as `edit` would.
"$FIXTURE" conflict candidate "$soon" decision_on 2026-02-02 2026-02-03 || fails=$((fails + 1))
expect 0 stdout '"column":"decision_on"' -- "$CELLSYNC" conflicts list --json
conflict=$(sed -n 's/^\[{"conflict":\([0-9]*\),.*/\1/p' "$out")
expect 1 stderr "is not a date" -- "$CELLSYNC" conflicts resolve "$conflict" --value 31/2/2026
expect 0 stdout "is now '2026-02-04'" -- "$CELLSYNC" conflicts resolve "$conflict" --value 4/2/2026
expect 0 stdout "^2026-02-04$" -- "$FIXTURE" get candidate "$soon" decision_on

# --pick current keeps what was shown.
"$FIXTURE" conflict candidate "$far" occupation teacher farmer || fails=$((fails + 1))
expect 0 stdout '"column":"occupation"' -- "$CELLSYNC" conflicts list --json
conflict=$(sed -n 's/^\[{"conflict":\([0-9]*\),.*/\1/p' "$out")
current=$(sed -n 's/.*"current":{"value":"\([^"]*\)".*/\1/p' "$out")
expect 0 stdout "is now '$current'" -- "$CELLSYNC" conflicts resolve "$conflict" --pick current
expect 0 stdout "^$current$" -- "$FIXTURE" get candidate "$far" occupation
expect 0 stdout '"conflicts":0' -- "$CELLSYNC" status --json

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
