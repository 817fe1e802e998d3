#!/bin/sh
# SPDX-License-Identifier: MIT
# The offline installer folder that make package builds (packaging/offline.sh), for
# real: (a) complete: on a system holding only the packages every Debian system has
# (a dpkg status of the Priority required packages installed here and what they
# need), apt-get with no package source at all resolves the install of the folder's
# .debs from the folder alone, and the same folder less one library does not;
# (b) the README's one-line command, run in the folder in a network namespace of
# its own (no network at all: no archive is reachable), installs cellsync here, and
# `cellsync --version` runs; it installed packages and removed or changed none; the
# new packages are then purged, and the machine is as it was.
#
# Root on Debian only, with none of the cellsync packages installed; else, or when the
# build machine reached no package archive (the folder was not made), it says why and
# exits 77 (skipped: not a pass). make test-packages runs it after test_packages.sh.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
fails=0 passes=0
ok() { passes=$((passes + 1)); }
bad() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
skip() {
    echo "SKIPPED: test_offline: $*"
    exit 77
}
installed() { dpkg-query -W -f='${db:Status-Status}\n' "$1" 2>/dev/null | grep -qx installed; }

[ "$(id -u)" = 0 ] || skip "it installs packages: run it as root"
command -v dpkg >/dev/null 2>&1 && [ -f /etc/debian_version ] || skip "this is not a Debian system"
for p in cellsync cellsync-common cellsyncd; do
    installed "$p" && skip "'$p' is installed on this machine; the test would replace and remove it"
done

export LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive
unset LANGUAGE
tmp=$(mktemp -d)
chmod 0755 "$tmp"
before=$tmp/before.list
ours=
cleanup() {
    # Whatever failed, purge what the install added.
    if [ -n "$ours" ]; then
        dpkg-query -W -f='${Package}\t${db:Status-Status}\n' | awk '$2 == "installed" {print $1}' |
            sort | comm -13 "$before" - | xargs -r dpkg --purge >/dev/null 2>&1
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

t0=$(date +%s)
make -C "$root" --no-print-directory package >"$tmp/build.log" 2>&1 || {
    tail -30 "$tmp/build.log"
    echo "FAIL: make package"
    exit 1
}
pkgdir=$root/build-pkg
[ -f "$pkgdir/offline-skipped" ] && skip "$(cat "$pkgdir/offline-skipped")"
ver=$(sed -n 's/^project(cellsync VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
arch=$(dpkg --print-architecture)
dir=$pkgdir/cellsync-offline-$ver
for f in "cellsync_${ver}_$arch.deb" "cellsync-common_${ver}_all.deb" install.sh README.txt; do
    [ -f "$dir/$f" ] && ok || bad "the offline folder lacks $f"
done
[ -f "$dir/cellsyncd_${ver}_$arch.deb" ] && bad "the laptop's folder holds the hub's package" || ok
[ "$fails" -eq 0 ] || exit 1
# The archive's packages the client needs and Debian 12 does not always have.
for p in libsodium23 libmsgpackc2; do
    ls "$dir/${p}_"*.deb >/dev/null 2>&1 && ok || bad "the offline folder has no $p"
done
# The one-line command, in both languages of the README.
cmd=$(grep -c '^  sudo sh install.sh$' "$dir/README.txt")
[ "$cmd" = 2 ] && ok || bad "README.txt does not give 'sudo sh install.sh' in both languages"
grep -q 'Tiếng Việt' "$dir/README.txt" && grep -q '^English' "$dir/README.txt" && ok ||
    bad "README.txt is not in Vietnamese and English"
# The .tar for a stick: the same files.
tar -tf "$dir.tar" | sed -n "s|^cellsync-offline-$ver/||p" | grep . | sort >"$tmp/tar.list"
(cd "$dir" && find . -type f | sed 's|^\./||' | sort) >"$tmp/dir.list"
cmp -s "$tmp/tar.list" "$tmp/dir.list" && ok || bad "$dir.tar does not hold the folder's files"

# ---- (a) complete: the folder alone on a minimal system, no package source ----
sh "$root/packaging/offline.sh" --baseline "$tmp/status" && ok || bad "no baseline status"
mkdir "$tmp/nosources"
: >"$tmp/nosources/sources.list"
# simulate DIR: apt-get -s installs DIR's .debs on the baseline, with no sources.
simulate() {
    apt-get -s -q -o Dir::State::status="$tmp/status" -o Debug::NoLocking=1 \
        -o Dir::Etc::SourceList="$tmp/nosources/sources.list" -o Dir::Etc::SourceParts="$tmp/nosources" \
        --no-install-recommends install "$1"/*.deb >"$tmp/sim.log" 2>&1
}
if simulate "$dir" && ! grep -q '^E:' "$tmp/sim.log"; then
    ok
else
    cat "$tmp/sim.log"
    bad "apt-get cannot install the folder's packages on a minimal system from the folder alone"
fi
grep '^Inst ' "$tmp/sim.log" | grep -v ' local-deb ' >"$tmp/notlocal"
[ -s "$tmp/notlocal" ] && bad "packages from elsewhere than the folder: $(cat "$tmp/notlocal")" || ok
grep -q '^Inst cellsync ' "$tmp/sim.log" && ok || bad "the simulation does not install cellsync"
# The same folder less libmsgpackc2 must not resolve: the check above can fail.
mkdir "$tmp/less"
cp "$dir"/*.deb "$tmp/less/"
rm "$tmp/less"/libmsgpackc2_*.deb
simulate "$tmp/less" && bad "the folder less libmsgpackc2 still resolves: the check sees nothing" || ok

# ---- (b) the README's command, with no network at all ----
dpkg-query -W -f='${Package}\t${Version}\t${db:Status-Status}\n' | awk '$3 == "installed"' |
    sort >"$tmp/before.versions"
cut -f1 "$tmp/before.versions" >"$before"
cp -r "$dir" "$tmp/stick"
nonet="unshare -n"
$nonet true 2>/dev/null || {
    echo "note: unshare -n does not work here: the command runs with the network, its sources off"
    nonet=
}
ours=1
(cd "$tmp/stick" && $nonet sh install.sh) >"$tmp/install.log" 2>&1 && ok || {
    cat "$tmp/install.log"
    bad "'sudo sh install.sh' failed"
}
hash -r
out=$(cellsync --version 2>&1)
[ "$out" = "cellsync $ver" ] && ok || bad "cellsync --version after the offline install: '$out'"
installed cellsync-common && ok || bad "cellsync-common is not installed"
dpkg-query -W -f='${Package}\t${Version}\t${db:Status-Status}\n' | awk '$3 == "installed"' |
    sort >"$tmp/after.versions"
# Added, never removed or changed.
comm -23 "$tmp/before.versions" "$tmp/after.versions" >"$tmp/changed"
[ -s "$tmp/changed" ] && bad "the install removed or changed: $(cat "$tmp/changed")" || ok
echo "installed from the folder: $(comm -13 "$tmp/before.versions" "$tmp/after.versions" | cut -f1 | tr '\n' ' ')"

# ---- remove: purge what it added; the machine is as it was ----
dpkg-query -W -f='${Package}\t${db:Status-Status}\n' | awk '$2 == "installed" {print $1}' |
    sort | comm -13 "$before" - >"$tmp/added"
# shellcheck disable=SC2046 # one package name a word
{ [ ! -s "$tmp/added" ] || dpkg --purge $(cat "$tmp/added") >"$tmp/purge.log" 2>&1; } && ok || {
    cat "$tmp/purge.log"
    bad "dpkg --purge of what the install added failed"
}
ours=
dpkg-query -W -f='${Package}\t${Version}\t${db:Status-Status}\n' | awk '$3 == "installed"' |
    sort | cmp -s - "$tmp/before.versions" && ok || bad "the machine's packages differ after the purge"
hash -r
command -v cellsync >/dev/null 2>&1 && bad "cellsync is still found after the purge" || ok

echo "test_offline: took $(($(date +%s) - t0)) s"
echo "test_offline: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
