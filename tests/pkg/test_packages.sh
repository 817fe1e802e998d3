#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian packages on this machine, for real: builds them (make package),
# runs lintian on them (any E: or W: line fails), checks their control data,
# changelog and contents, installs them with dpkg (apt-get
# install -f for missing dependencies), runs the installed binaries (version,
# the translation, `cellsyncd init` and `check` on a temp state directory as
# the user cellsyncd, a backup), finds the man pages, verifies the systemd
# unit, then removes the packages (the binaries go, the configuration and
# the state stay) and purges them (the configuration and the now empty state
# directory go, and the user with it).
#
# It changes the machine, so it needs root and dpkg, and it leaves alone a
# machine where the packages are already installed; otherwise it says why
# it does not run and exits 77 (skipped: not a pass). CI (root on Debian 12) runs it.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp) err=$(mktemp)
fails=0 passes=0
ok() { passes=$((passes + 1)); }
bad() {
    echo "FAIL: $*"
    sed 's/^/  stdout: /' "$out"
    sed 's/^/  stderr: /' "$err"
    fails=$((fails + 1))
}
skip() {
    echo "SKIPPED: test_packages: $*"
    rm -f "$out" "$err"
    exit 77
}
# run CODE PATTERN -- COMMAND...: check the exit code and that the output has PATTERN.
run() {
    code=$1 pattern=$2
    shift 3
    "$@" >"$out" 2>"$err"
    got=$?
    if [ "$got" -ne "$code" ] || { [ -n "$pattern" ] && ! cat "$out" "$err" | grep -q -- "$pattern"; }; then
        bad "$* -> exit $got (want $code), no '$pattern'"
    else
        ok
    fi
}
installed() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'; }
pkgs="cellsyncd cellsync cellsync-common"

[ "$(id -u)" = 0 ] || skip "it installs packages: run it as root"
command -v dpkg >/dev/null 2>&1 && [ -f /etc/debian_version ] || skip "this is not a Debian system"
for p in $pkgs; do
    installed "$p" && skip "'$p' is installed on this machine; the test would replace and remove it"
done

unset CELLSYNC_LOCALEDIR LANGUAGE
export LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive
tmp=$(mktemp -d)
ours=
cleanup() {
    # Leave the machine as it was, whatever failed.
    # shellcheck disable=SC2086 # $pkgs: the package names, one word each
    [ -n "$ours" ] && dpkg --purge $pkgs >/dev/null 2>&1
    rm -rf "$tmp" "$out" "$err"
}
trap cleanup EXIT

# ---- build ----
t0=$(date +%s)
make -C "$root" --no-print-directory package >"$tmp/build.log" 2>&1 || {
    tail -30 "$tmp/build.log"
    echo "FAIL: make package"
    exit 1
}
echo "make package: $(($(date +%s) - t0)) s"
ver=$(sed -n 's/^project(cellsync VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
arch=$(dpkg --print-architecture)
pkgdir=$root/build-pkg
d_deb=$pkgdir/cellsyncd_${ver}_$arch.deb
c_deb=$pkgdir/cellsync_${ver}_$arch.deb
m_deb=$pkgdir/cellsync-common_${ver}_all.deb
for f in "$d_deb" "$c_deb" "$m_deb"; do
    if [ -f "$f" ]; then
        ok
        echo "$(basename "$f"): $(stat -c %s "$f") bytes"
    else
        bad "no $f"
    fi
done
[ "$fails" -eq 0 ] || exit 1

# ---- lintian: no error and no warning (info and kept overrides are printed) ----
if command -v lintian >/dev/null 2>&1; then
    # Root is what CI is; lintian's note about it is not a finding.
    lintian -I --show-overrides "$d_deb" "$c_deb" "$m_deb" >"$tmp/lintian.log" 2>&1
    grep -v '^running with root privileges' "$tmp/lintian.log" | sed 's/^/lintian: /'
    if grep -q '^[EW]: ' "$tmp/lintian.log"; then
        bad "lintian: $(grep -c '^[EW]: ' "$tmp/lintian.log") errors and warnings (above)"
    else
        ok
    fi
    # Each tag kept is explained in its override file.
    grep -q '^O: ' "$tmp/lintian.log" && { grep -q '^N: ' "$tmp/lintian.log" && ok ||
        bad "a lintian override without a comment saying why"; }
else
    bad "lintian is not installed (make test-packages installs it)"
fi

# ---- control data and contents ----
deps=$(dpkg-deb -f "$d_deb" Depends)
for d in libc6 libsqlite3-0 libsodium23 libuv1 libmsgpackc2 libzstd1 libutf8proc2 adduser "cellsync-common (= $ver)"; do
    echo "$deps" | grep -qF "$d" && ok || bad "cellsyncd does not depend on $d: $deps"
done
echo "$deps" | grep -q libminizip1 && bad "cellsyncd depends on libminizip1, which it does not link" || ok
echo "$deps" | grep -q libmicrohttpd && bad "cellsyncd depends on libmicrohttpd12, which it does not link" || ok
deps=$(dpkg-deb -f "$c_deb" Depends)
echo "$deps" | grep -q libuv1 && bad "cellsync depends on libuv1, which it does not link" || ok
for d in libminizip1 libexpat1 libmicrohttpd12; do
    echo "$deps" | grep -qF "$d" && ok || bad "cellsync does not depend on $d: $deps"
done
[ "$(dpkg-deb -f "$c_deb" Recommends)" = xdg-utils ] && ok ||
    bad "cellsync does not recommend xdg-utils (xdg-open opens the pages)"
dpkg-deb -c "$d_deb" >"$tmp/d.list"
for f in ./usr/sbin/cellsyncd ./lib/systemd/system/cellsyncd.service ./etc/cellsync/cellsyncd.conf \
    ./usr/share/man/man8/cellsyncd.8.gz ./usr/share/man/man5/cellsyncd.conf.5.gz \
    ./usr/share/doc/cellsyncd/copyright; do
    grep -q " $f\$" "$tmp/d.list" && ok || bad "cellsyncd.deb lacks $f"
done
dpkg-deb -c "$c_deb" >"$tmp/c.list"
for f in ./usr/bin/cellsync ./usr/share/man/man1/cellsync.1.gz ./usr/share/doc/cellsync/copyright \
    ./usr/share/applications/cellsync.desktop; do
    grep -q " $f\$" "$tmp/c.list" && ok || bad "cellsync.deb lacks $f"
done
# The changelog: Debian's format, its newest entry this version, signed by the Maintainer.
maint=$(dpkg-deb -f "$c_deb" Maintainer)
case $maint in
*@*.example\>* | *noreply*) bad "the Maintainer is a placeholder: $maint" ;;
*" <"*@*">") ok ;;
*) bad "the Maintainer is not 'Name <address>': $maint" ;;
esac
for deb in "$d_deb" "$c_deb" "$m_deb"; do
    p=$(dpkg-deb -f "$deb" Package)
    [ "$(dpkg-deb -f "$deb" Maintainer)" = "$maint" ] && ok || bad "$p has another Maintainer"
    mkdir -p "$tmp/x-$p"
    dpkg-deb -x "$deb" "$tmp/x-$p"
    log=$tmp/x-$p/usr/share/doc/$p/changelog.gz
    top=$(zcat "$log" 2>/dev/null | head -n 1)
    [ "$top" = "cellsync ($ver) unstable; urgency=medium" ] && ok ||
        bad "$p's changelog.gz starts '$top', not this version's entry"
    zcat "$log" 2>/dev/null | grep -q "^ -- $maint  [A-Z][a-z][a-z], [0-9][0-9] " && ok ||
        bad "$p's changelog is not signed by the Maintainer ($maint)"
done
# The bash completion, for both commands.
grep -q ' ./usr/share/bash-completion/completions/cellsync$' "$tmp/c.list" && ok ||
    bad "cellsync.deb lacks its bash completion"
grep -q ' ./usr/share/bash-completion/completions/cellsyncd$' "$tmp/d.list" && ok ||
    bad "cellsyncd.deb lacks its bash completion"
dpkg-deb -c "$m_deb" | grep -q ' ./usr/share/locale/vi/LC_MESSAGES/cellsync.mo$' && ok ||
    bad "cellsync-common.deb lacks the Vietnamese catalog"
dpkg-deb -I "$d_deb" conffiles 2>/dev/null | grep -qx /etc/cellsync/cellsyncd.conf && ok ||
    bad "/etc/cellsync/cellsyncd.conf is not a conffile"
for s in postinst prerm postrm; do
    dpkg-deb -I "$d_deb" "$s" >/dev/null 2>&1 && ok || bad "cellsyncd.deb has no $s"
done

# ---- install ----
# man -w below needs man-db; a minimal image may not have it.
if ! command -v man >/dev/null 2>&1; then
    apt-get install -y -qq --no-install-recommends man-db >/dev/null 2>&1 ||
        echo "note: man-db could not be installed: the man pages are checked as files only"
fi
ours=1
# --path-include: a minimal image's dpkg.cfg.d may exclude man pages and catalogs.
dpkg -i --path-include='/usr/share/man/*/cellsync*' \
    --path-include='/usr/share/locale/*/LC_MESSAGES/cellsync.mo' \
    "$m_deb" "$c_deb" "$d_deb" >"$tmp/dpkg.log" 2>&1 ||
    apt-get install -f -y -qq >>"$tmp/dpkg.log" 2>&1
for p in $pkgs; do
    installed "$p" && ok || {
        cat "$tmp/dpkg.log"
        bad "$p is not installed"
    }
done
[ "$fails" -eq 0 ] || exit 1
# The install says nothing that looks like an error (adduser warned of a missing home).
grep -i 'warning' "$tmp/dpkg.log" | grep -v 'not recommended' >"$tmp/warnings"
[ -s "$tmp/warnings" ] && bad "the install warns: $(cat "$tmp/warnings")" || ok

run 0 "^cellsyncd $ver\$" -- cellsyncd --version
run 0 "^cellsync $ver\$" -- cellsync --version
[ "$(command -v cellsyncd)" = /usr/sbin/cellsyncd ] && ok || bad "cellsyncd is not /usr/sbin/cellsyncd"
run 0 "lệnh" -- env LANGUAGE=vi cellsyncd help
run 0 "lệnh" -- env LANGUAGE=vi cellsync help

# The runtime libraries the binaries link belong to packages they depend on: those the
# binary itself needs (its NEEDED entries, as dpkg-shlibdeps reads them), not the ones
# ldd also lists because a library needs them (minizip's zlib).
for b in /usr/sbin/cellsyncd /usr/bin/cellsync; do
    pkg=cellsyncd
    [ "$b" = /usr/bin/cellsync ] && pkg=cellsync
    deps=$(dpkg-query -W -f='${Depends}' "$pkg")
    needed=" $(objdump -p "$b" | awk '$1 == "NEEDED" {printf "%s ", $2}')"
    for lib in $(ldd "$b" | awk -v needed="$needed" \
        '$2 == "=>" && $3 ~ /^\// && index(needed, " " $1 " ") {print $3}'); do
        owner=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null ||
            dpkg -S "/lib/${lib#/usr/lib/}" 2>/dev/null)
        owner=${owner%%:*}
        case "$owner" in
        "") bad "$b links $lib, which no package holds" ;;
        libgcc-s1) ok ;; # essential (required by libc6), not listed by dpkg-shlibdeps either
        *) echo "$deps" | grep -q "\\<$owner\\>" && ok || bad "$b links $lib of $owner, not in Depends: $deps" ;;
        esac
    done
done

# The user, the state directory and the unit, as postinst leaves them.
ent=$(getent passwd cellsyncd)
[ -n "$ent" ] && ok || bad "no user cellsyncd"
uid=$(echo "$ent" | cut -d: -f3)
[ "${uid:-1000}" -lt 1000 ] && ok || bad "cellsyncd is not a system user: $ent"
[ "$(echo "$ent" | cut -d: -f6)" = /var/lib/cellsyncd ] && ok || bad "cellsyncd's home: $ent"
[ "$(stat -c '%U %a' /var/lib/cellsyncd 2>/dev/null)" = "cellsyncd 700" ] && ok ||
    bad "/var/lib/cellsyncd is not cellsyncd's with mode 0700"
[ -L /etc/systemd/system/multi-user.target.wants/cellsyncd.service ] && ok ||
    bad "cellsyncd.service is not enabled"
if command -v systemd-analyze >/dev/null 2>&1; then
    run 0 "" -- systemd-analyze verify /lib/systemd/system/cellsyncd.service
else
    echo "note: systemd is not installed: the unit was not verified"
fi

# A hub in a temp state directory, made and checked as the user cellsyncd.
chmod 0755 "$tmp"
cat >"$tmp/units.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
EOF
install -d -o cellsyncd -g cellsyncd -m 0700 "$tmp/state"
printf 'listen = 127.0.0.1:0\n' >"$tmp/check.conf"
as_hub() { runuser -u cellsyncd -- "$@"; }
run 0 "created the hub" -- as_hub cellsyncd init --state "$tmp/state" --org-tree "$tmp/units.csv"
run 0 "all 5 checks ok" -- as_hub cellsyncd check --state "$tmp/state" --config "$tmp/check.conf"
# The installed configuration is valid (its port, 7461, may be taken on this machine).
as_hub cellsyncd check --state "$tmp/state" --config /etc/cellsync/cellsyncd.conf >"$out" 2>"$err"
grep -q "^configuration '/etc/cellsync/cellsyncd.conf': ok$" "$out" && ok ||
    bad "the installed cellsyncd.conf does not pass the check"
# Backups are encrypted to a recovery key made elsewhere (here: beside the state).
run 0 "keep it offline" -- cellsyncd recovery-key new "$tmp/recovery.key"
run 0 "integrity ok" -- cellsyncd backup --to "$tmp/recovery.key.pub" "$tmp/backup.age" \
    --state "$tmp/state" --config "$tmp/check.conf"
[ "$(head -n 1 "$tmp/backup.age")" = "age-encryption.org/v1" ] && ok ||
    bad "the packaged backup is not an age file"

# Type=notify: the packaged daemon, as its user, tells a socket this test owns READY=1
# once its port takes connections, RELOADING=1/READY=1 on SIGHUP, STOPPING=1 on SIGTERM.
run 0 " 0 failed" -- sh "$root/tests/pkg/test_notify_installed.sh" "$tmp/notify" "$tmp/state" \
    "$tmp/check.conf" /usr/sbin/cellsyncd cellsyncd

if command -v man >/dev/null 2>&1; then
    run 0 "/usr/share/man/man8/cellsyncd.8.gz" -- man -w cellsyncd
    run 0 "/usr/share/man/man1/cellsync.1.gz" -- man -w cellsync
    run 0 "/usr/share/man/man5/cellsyncd.conf.5.gz" -- man -w 5 cellsyncd.conf
else
    for f in man8/cellsyncd.8.gz man1/cellsync.1.gz man5/cellsyncd.conf.5.gz; do
        [ -f "/usr/share/man/$f" ] && ok || bad "/usr/share/man/$f is not installed"
    done
fi

# The installed completion offers the installed programs' commands.
for prog in cellsync cellsyncd; do
    got=$(bash -c '. /usr/share/bash-completion/completions/$0 && COMP_WORDS=($0 "") COMP_CWORD=1 &&
        _cellsync && printf "%s\n" "${COMPREPLY[@]}"' "$prog" 2>&1)
    echo "$got" | grep -qx version && echo "$got" | grep -qx init && ok ||
        bad "the installed completion of $prog offers: $got"
done

# The laptop's menu entry starts the pages, with a command cellsync takes.
[ "$(sed -n 's/^Exec=//p' /usr/share/applications/cellsync.desktop)" = "cellsync ui" ] && ok ||
    bad "the menu entry does not run 'cellsync ui'"
run 0 "usage: cellsync ui" -- cellsync ui --help

# ---- remove: the programs go; the configuration, the state and the user stay ----
# shellcheck disable=SC2086 # $pkgs: the package names, one word each
run 0 "" -- dpkg -r $pkgs
for f in /usr/sbin/cellsyncd /usr/bin/cellsync /lib/systemd/system/cellsyncd.service \
    /usr/share/locale/vi/LC_MESSAGES/cellsync.mo; do
    [ -e "$f" ] && bad "$f is still there after dpkg -r" || ok
done
hash -r # the shell remembers where it found cellsyncd
command -v cellsyncd >/dev/null 2>&1 && bad "cellsyncd is still found after dpkg -r" || ok
[ -f /etc/cellsync/cellsyncd.conf ] && ok || bad "dpkg -r removed the configuration"
[ -d /var/lib/cellsyncd ] && ok || bad "dpkg -r removed the state directory"
getent passwd cellsyncd >/dev/null && ok || bad "dpkg -r removed the user"

# ---- purge: the configuration goes, and the user with the (empty) state directory ----
# shellcheck disable=SC2086 # $pkgs: the package names, one word each
run 0 "" -- dpkg --purge $pkgs
ours=
[ -e /etc/cellsync/cellsyncd.conf ] && bad "the configuration is still there after purge" || ok
[ -e /var/lib/cellsyncd ] && bad "the empty state directory is still there after purge" || ok
getent passwd cellsyncd >/dev/null && bad "the user cellsyncd is still there after purge" || ok
[ -e /etc/systemd/system/multi-user.target.wants/cellsyncd.service ] &&
    bad "the unit is still enabled after purge" || ok

echo "test_packages: took $(($(date +%s) - t0)) s"
# The closing line CI reads: nothing after the counts.
echo "test_packages: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
