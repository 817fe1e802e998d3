#!/bin/sh
# SPDX-License-Identifier: MIT
# The offline installer folder for a laptop that no package archive reaches (make
# package runs it after CPack): packaging/offline.sh BUILD_DIR VERSION makes
#   BUILD_DIR/cellsync-offline-VERSION/      cellsync, cellsync-common and the .debs
#                                            of every Debian package they need that
#                                            a Debian 12 system may lack; README.txt
#   BUILD_DIR/cellsync-offline-VERSION.tar   the same folder, to copy to a stick
# What a system may lack: everything in the dependency closure of the client's
# package (Depends and Pre-Depends, not Recommends) except the packages every Debian
# system has, those of Priority required (and Essential) with their own dependency
# closure: apt-get works out the rest against a dpkg status holding only those (as
# they are installed here), so the answer is apt's own. Packages of priority important
# and standard are not left out: a desktop installed without "standard system
# utilities", or a trimmed image, lacks some, and the laptop installs only those it
# does not already have at that version. The .debs come from this machine's package
# archive (apt-get download); with none reachable, the folder is not made and the
# reason is written to BUILD_DIR/offline-skipped (the test reads it), which does not
# fail make package. packaging/offline.sh --baseline FILE writes that dpkg status only.
set -eu

# baseline FILE: writes a dpkg status holding only the baseline (the test uses it too).
baseline() {
    dpkg-query -W -f='${Package}\t${Priority}\t${Essential}\t${db:Status-Status}\n' |
        awk -F'\t' '$4 == "installed" && ($2 == "required" || $3 == "yes") {print $1}' >"$1.required"
    # shellcheck disable=SC2046 # one package name a word
    apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances $(cat "$1.required") 2>/dev/null |
        grep -v '^[ <]' | sort -u >"$1.closure"
    dpkg-query -W -f='${Package}\n' | sort -u | comm -12 "$1.closure" - >"$1.base"
    awk -v list="$1.base" 'BEGIN { while ((getline l <list) > 0) want[l] = 1; RS = ""; ORS = "\n\n" }
        { split($0, f, "\n"); p = f[1]; sub(/^Package: /, "", p); if (p in want) print }' \
        /var/lib/dpkg/status >"$1"
    n=$(grep -c '^Package:' "$1" || true)
    rm -f "$1.required" "$1.closure" "$1.base"
    [ "$n" -gt 0 ]
}
if [ "$1" = --baseline ]; then
    baseline "$2"
    exit
fi

build=$(cd "$1" && pwd) ver=$2
arch=$(dpkg --print-architecture)
name=cellsync-offline-$ver
out=$build/$name
skipped=$build/offline-skipped
client=cellsync_${ver}_$arch.deb common=cellsync-common_${ver}_all.deb
rm -rf "$out" "$out.tar" "$skipped"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
skip() {
    echo "offline folder: not made: $*" | tee "$skipped" >&2
    rm -rf "$out"
    exit 0
}

# The baseline: the required and essential packages installed here, and what they need.
baseline "$tmp/status" || skip "no package of priority required is installed here"

# What apt would install there: the client's packages and the archive's packages.
apt-get -s -q -o Dir::State::status="$tmp/status" -o Debug::NoLocking=1 \
    --no-install-recommends install "$build/$client" "$build/$common" >"$tmp/plan" 2>&1 || {
    cat "$tmp/plan" >&2
    skip "apt-get cannot resolve the client's dependencies from this machine's package lists"
}
awk '$1 == "Inst" && $3 ~ /^\(/ && $0 !~ / local-deb / {v = $3; sub(/^\(/, "", v); print $2 "=" v}' \
    "$tmp/plan" | sort >"$tmp/want"

mkdir -p "$out"
cp "$build/$client" "$build/$common" "$out/"
cp "$(dirname "$0")/offline-install.sh" "$out/install.sh"
if [ -s "$tmp/want" ]; then
    # _apt (apt's download user) must be able to write where the files go.
    chmod 0777 "$tmp"
    # shellcheck disable=SC2046 # one package=version a word
    (cd "$tmp" && apt-get download -q $(cat "$tmp/want")) >"$tmp/download.log" 2>&1 || {
        cat "$tmp/download.log" >&2
        skip "apt-get download failed: no package archive reachable from this machine?"
    }
    mv "$tmp"/*.deb "$out/"
fi

cat >"$out/README.txt" <<EOF
cellsync $ver: cài đặt không cần mạng / offline installer

Tiếng Việt
----------
Thư mục này chứa gói cellsync và mọi gói Debian mà nó cần nhưng một máy
Debian 12 có thể chưa có. Chép cả thư mục sang máy tính xách tay (ví dụ
bằng USB), mở cửa sổ dòng lệnh trong thư mục đó và chạy một lệnh (không
cần mạng):

  sudo sh install.sh

Lệnh chỉ dùng các tệp .deb trong thư mục này, tự sắp xếp thứ tự cài và
kiểm tra đủ các gói cần trước khi thay đổi gì. Gói nào máy đã có thì được
để nguyên; không gói nào bị gỡ. Sau đó kiểm tra: cellsync --version

English
-------
This folder holds the cellsync package and every Debian package it needs
that a Debian 12 system may lack. Copy the whole folder to the laptop (on a
USB stick, for example), open a terminal in it and run one command (no
network needed):

  sudo sh install.sh

It uses only the .deb files of this folder, installs them in the right
order and checks every dependency before it changes anything. A package the
laptop already has is left as it is; nothing is removed. Then check:
cellsync --version

Các gói / Packages:
EOF
for f in "$out"/*.deb; do echo "  ${f##*/}"; done >>"$out/README.txt"
tar -C "$build" -cf "$out.tar" "$name"
set -- "$out"/*.deb
echo "offline folder: $out ($# packages, $(du -sk "$out" | cut -f1) KiB), $out.tar"
