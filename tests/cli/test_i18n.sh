#!/bin/sh
# SPDX-License-Identifier: MIT
# The binaries speak Vietnamese with LANGUAGE=vi and a UTF-8 locale, using the
# catalog under $CELLSYNC_LOCALEDIR (the build tree's locale/). C.UTF-8 is
# built into glibc, so this needs no generated vi_VN locale. In plain "C"
# glibc ignores LANGUAGE, and without LANGUAGE the text stays English.
# usage: test_i18n.sh CELLSYNC CELLSYNCD
set -u
fails=0 passes=0
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

if [ ! -f "${CELLSYNC_LOCALEDIR:-}/vi/LC_MESSAGES/cellsync.mo" ]; then
    echo "FAIL: no vi catalog under CELLSYNC_LOCALEDIR='${CELLSYNC_LOCALEDIR:-}'"
    exit 1
fi

# expect CODE STREAM PATTERN -- ENV... CMD...: run under exactly these locale
# variables (the caller's LC_*, LANG and LANGUAGE are dropped first).
expect() {
    code=$1 stream=$2 pattern=$3
    shift 4
    # shellcheck disable=SC2046 # one -u NAME pair per variable
    env $(env | sed -n 's/^\(LC_[A-Z_]*\)=.*/-u \1/p') -u LANG -u LANGUAGE "$@" \
        >"$out" 2>"$err"
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
    # Vietnamese as cellsync/i18n.h tells a user on a box without vi_VN.
    expect 0 stdout "^cách dùng: $prog" -- LANGUAGE=vi LANG=C.UTF-8 "$bin" --help
    expect 0 stdout "^các lệnh:" -- LANGUAGE=vi LANG=C.UTF-8 "$bin" --help
    expect 0 stdout "hiện trợ giúp về $prog" -- LANGUAGE=vi LANG=C.UTF-8 "$bin" --help
    expect 0 stdout "chi bộ" -- LANGUAGE=vi LC_ALL=C.UTF-8 "$bin" help
    expect 0 stdout "^in số phiên bản" -- LANGUAGE=vi LANG=C.UTF-8 "$bin" help version
    expect 2 stderr "lệnh không xác định 'frobnicate'" -- LANGUAGE=vi LANG=C.UTF-8 "$bin" frobnicate
    # A locale that is not generated falls back to C.UTF-8: LANGUAGE still works.
    expect 0 stdout "^cách dùng: $prog" -- LANGUAGE=vi LANG=xx_YY.UTF-8 "$bin" --help
    # English: no LANGUAGE, or a plain C locale (where glibc ignores LANGUAGE).
    expect 0 stdout "^usage: $prog" -- LANG=C.UTF-8 "$bin" --help
    expect 0 stdout "^commands:" -- LANG=C.UTF-8 "$bin" --help
    expect 0 stdout "^usage: $prog" -- LANGUAGE=vi LANG=C "$bin" --help
    expect 0 stdout "^usage: $prog" -- LANGUAGE=vi "$bin" --help
    expect 2 stderr "unknown command 'frobnicate'" -- LANG=C.UTF-8 "$bin" frobnicate
    # Where vi_VN.UTF-8 is generated, LANG alone is enough.
    if locale -a 2>/dev/null | grep -qi '^vi_VN\.utf-\{0,1\}8$'; then
        expect 0 stdout "^cách dùng: $prog" -- LANG=vi_VN.UTF-8 "$bin" --help
    fi
done
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
