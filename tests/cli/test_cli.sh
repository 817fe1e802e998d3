#!/bin/sh
# SPDX-License-Identifier: MIT
# The binaries' front door: --version and --help go to stdout with exit 0,
# usage errors go to stderr with exit 2 and name what was wrong.
set -u
# The patterns below are English: whatever locale ran ctest, use the source text.
LC_ALL=C
export LC_ALL
unset LANGUAGE
fails=0 passes=0
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# expect CODE STREAM PATTERN -- CMD...: exit code and a pattern in stdout/stderr.
expect() {
    code=$1 stream=$2 pattern=$3
    shift 4
    "$@" >"$out" 2>"$err"
    got=$?
    file=$out
    [ "$stream" = stderr ] && file=$err
    if [ "$got" -ne "$code" ] || ! grep -q -- "$pattern" "$file"; then
        echo "FAIL: $* -> exit $got (want $code), $stream lacks '$pattern'"
        sed 's/^/  stdout: /' "$out"; sed 's/^/  stderr: /' "$err"
        fails=$((fails + 1))
    else
        passes=$((passes + 1))
    fi
}

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
done
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
