#!/bin/sh
# SPDX-License-Identifier: MIT
# The binaries' front door: --version and --help go to stdout with exit 0,
# usage errors go to stderr with exit 2 and name what was wrong; a command or
# verb typed wrong gets the nearest one; `help COMMAND` shows its options.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# The patterns below are English: whatever locale ran ctest, use the source text.
export LC_ALL=C

for bin in "$1" "$2"; do
    prog=$(basename "$bin")
    expect 0 stdout "^$prog [0-9][0-9.]*\$" -- "$bin" --version
    expect 0 stdout "^$prog [0-9][0-9.]*\$" -- "$bin" version
    expect 0 stdout "^usage: $prog" -- "$bin" --help
    expect 0 stdout "^usage: $prog" -- "$bin" help
    expect 0 stdout "^usage: $prog version" -- "$bin" help version
    expect 0 stdout "^usage: $prog help" -- "$bin" help --help
    expect 2 stderr "^usage: $prog" -- "$bin"
    expect 2 stderr "unknown command 'frobnicate'" -- "$bin" frobnicate
    expect 2 stderr "unknown command 'frobnicate'" -- "$bin" help frobnicate
    expect 2 stderr "^usage: $prog version" -- "$bin" version extra
    # A command typed wrong gets the one it is near instead of the whole usage.
    expect 2 stderr "^Run '$prog help' for the list of commands" -- "$bin" helpp
    check "$prog helpp: no whole usage" sh -c "! grep -q '^usage' '$err'"
done
expect 2 stderr "unknown command 'candiate'; did you mean 'candidate'?" -- "$1" candiate list
expect 2 stderr "unknown command 'serch'; did you mean 'search'?" -- "$1" serch nguyen
expect 2 stderr "unknown command 'serv'; did you mean 'serve'?" -- "$2" serv
expect 2 stderr "unknown command 'revok'; did you mean 'revoke'?" -- "$2" revok 1234
expect 2 stderr "candidate: unknown verb 'lsit'; did you mean 'list'?" -- "$1" candidate lsit
expect 2 stderr "conflicts: unknown verb 'resolv'; did you mean 'resolve'?" -- "$1" conflicts resolv
expect 2 stderr "member: unknown verb 'frobnicate'\$" -- "$1" member frobnicate
# `help COMMAND` shows each verb with its options, as `COMMAND --help` does.
expect 0 stdout "^  --to STAGE\$" -- "$1" help candidate
expect 0 stdout "^usage: cellsync candidate advance \[<options>\] ID\$" -- "$1" help candidate
expect 0 stdout "^  --helper NAME|ID\$" -- "$1" candidate --help
expect 0 stdout "^  --birth-date DD/MM/YYYY\$" -- "$1" help member
expect 0 stdout "^  --status STATUS\$" -- "$1" help member
expect 0 stdout "^  --pick current|other\$" -- "$1" help conflicts
expect 0 stdout "^MEETING MEMBER...: a record's id as lists show it (or its start), or a person's full" \
    -- "$1" meeting attend --help
expect 0 stdout "^Runs the hub: accepts live syncs" -- "$2" help serve
# The verbs' summaries start in one column, after the longest verb (delete-attendance ...).
expect 0 stdout "^  undelete-assessment restore" -- "$1" meeting --help
cols=$(sed -n '/^verbs:/,/^$/p' "$out" | awk 'NF > 1 { i = index($0, $1) + length($1); print i + match(substr($0, i), /[^ ]/) }' | sort -u | wc -l)
if [ "$cols" -eq 1 ]; then ok; else bad "meeting --help: the verbs' summaries start in $cols columns"; fi
summary
