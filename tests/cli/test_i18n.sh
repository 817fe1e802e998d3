#!/bin/sh
# SPDX-License-Identifier: MIT
# The binaries speak Vietnamese with LANGUAGE=vi and a UTF-8 locale, using the
# catalog under $CELLSYNC_LOCALEDIR (the build tree's locale/). C.UTF-8 is
# built into glibc, so this needs no generated vi_VN locale. In plain "C"
# glibc ignores LANGUAGE, and without LANGUAGE the text stays English.
# usage: test_i18n.sh CELLSYNC CELLSYNCD
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

if [ ! -f "${CELLSYNC_LOCALEDIR:-}/vi/LC_MESSAGES/cellsync.mo" ]; then
    echo "FAIL: no vi catalog under CELLSYNC_LOCALEDIR='${CELLSYNC_LOCALEDIR:-}'"
    exit 1
fi

# in_locale ENV... CMD...: runs CMD under exactly these locale variables (the caller's
# LC_*, LANG and LANGUAGE are dropped first).
in_locale() {
    # shellcheck disable=SC2046 # one -u NAME pair per variable
    env $(env | sed -n 's/^\(LC_[A-Z_]*\)=.*/-u \1/p') -u LANG -u LANGUAGE "$@"
}

for bin in "$1" "$2"; do
    prog=$(basename "$bin")
    # Vietnamese as cellsync/i18n.h tells a user on a box without vi_VN.
    expect 0 stdout "^cách dùng: $prog" -- in_locale LANGUAGE=vi LANG=C.UTF-8 "$bin" --help
    expect 0 stdout "^các lệnh:" -- in_locale LANGUAGE=vi LANG=C.UTF-8 "$bin" --help
    expect 0 stdout "hiện trợ giúp về $prog" -- in_locale LANGUAGE=vi LANG=C.UTF-8 "$bin" --help
    expect 0 stdout "chi bộ" -- in_locale LANGUAGE=vi LC_ALL=C.UTF-8 "$bin" help
    expect 0 stdout "^in số phiên bản" -- in_locale LANGUAGE=vi LANG=C.UTF-8 "$bin" help version
    expect 2 stderr "lệnh không xác định 'frobnicate'" -- in_locale LANGUAGE=vi LANG=C.UTF-8 "$bin" frobnicate
    # A locale that is not generated falls back to C.UTF-8: LANGUAGE still works.
    expect 0 stdout "^cách dùng: $prog" -- in_locale LANGUAGE=vi LANG=xx_YY.UTF-8 "$bin" --help
    # Run from the build tree without CELLSYNC_LOCALEDIR: the catalog beside the binary.
    expect 0 stdout "^cách dùng: $prog" -- in_locale LANGUAGE=vi LANG=C.UTF-8 env -u CELLSYNC_LOCALEDIR "$bin" --help
    # LANG=vi_VN.UTF-8 alone, whether or not that locale is generated here: Vietnamese.
    expect 0 stdout "^cách dùng: $prog" -- in_locale LANG=vi_VN.UTF-8 env -u CELLSYNC_LOCALEDIR "$bin" --help
    expect 0 stdout "^usage: $prog" -- in_locale LANG=en_US.UTF-8 env -u CELLSYNC_LOCALEDIR "$bin" --help
    # English: no LANGUAGE, or a plain C locale (where glibc ignores LANGUAGE).
    expect 0 stdout "^usage: $prog" -- in_locale LANG=C.UTF-8 "$bin" --help
    expect 0 stdout "^commands:" -- in_locale LANG=C.UTF-8 "$bin" --help
    expect 0 stdout "^usage: $prog" -- in_locale LANGUAGE=vi LANG=C "$bin" --help
    expect 0 stdout "^usage: $prog" -- in_locale LANGUAGE=vi "$bin" --help
    expect 2 stderr "unknown command 'frobnicate'" -- in_locale LANG=C.UTF-8 "$bin" frobnicate
    # Where vi_VN.UTF-8 is generated, LANG alone is enough.
    if locale -a 2>/dev/null | grep -qi '^vi_VN\.utf-\{0,1\}8$'; then
        expect 0 stdout "^cách dùng: $prog" -- in_locale LANG=vi_VN.UTF-8 "$bin" --help
    fi
done

# Messages of the library and the daemon that were English under vi_VN (issue 14):
# a file error, an org-tree CSV error, an enrollment file error, a role shown by its
# label, and the sync report's column for how far a device has got, which once read
# "đã làm đơn xin vào Đảng" (the stage's word: the msgid "applied" meant both).
cellsync=$1 cellsyncd=$2
vi() { in_locale LANG=vi_VN.UTF-8 "$@"; }
printf 'id;parent;level;kind;name\nXA-ML;;commune;commune;x\n' >"$dir/semi.csv"
expect 1 stderr "'$dir/semi.csv', dòng 1: dòng đầu tiên phải là dòng tiêu đề id,parent" -- \
    vi "$cellsyncd" init --org-tree "$dir/semi.csv" --state "$dir/semi"
expect 1 stderr "không mở được '$dir/nostate/hub.key'" -- vi "$cellsyncd" devices --state "$dir/nostate"
printf 'hello\n' >"$dir/bad.enroll"
expect 0 stdout "" -- env CELLSYNC_HOME="$dir/c" "$cellsync" init
expect 1 stderr "'$dir/bad.enroll' dòng 1: cần dạng 'khóa = giá trị'" -- \
    vi env CELLSYNC_HOME="$dir/c" "$cellsync" enroll "$dir/bad.enroll"
cat >"$dir/tree.csv" <<'TREE'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
TREE
expect 0 stdout "" -- "$cellsyncd" init --org-tree "$dir/tree.csv" --state "$dir/hub"
expect 0 stdout "(đơn vị CB-01, vai trò chi bộ)" -- vi "$cellsyncd" enroll --state "$dir/hub" \
    --org CB-01 --role cell --name "máy a" --addr 127.0.0.1:1 --out "$dir/a.enroll"
expect 0 stdout "thay đổi ở máy chủ  máy đã nhận  đang chờ" -- vi "$cellsyncd" report sync --state "$dir/hub"
check "the sync report names no stage" eval "! grep -q 'đã làm đơn' '$out'"
expect 0 stdout "hub seq  applied  pending" -- "$cellsyncd" report sync --state "$dir/hub"
# The stage keeps its word in the pipeline report.
expect 0 stdout "đã làm đơn xin vào Đảng" -- vi "$cellsyncd" report pipeline --state "$dir/hub"
summary
