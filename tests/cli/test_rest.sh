#!/bin/sh
# SPDX-License-Identifier: MIT
# The field laptop at rest (review F4), with the real cellsync: `init` refuses a data
# directory that is not on an encrypted disk (a fake /sys, tests/tools/fake_sysfs.sh: a
# plain partition, LVM over one encrypted and one plain partition, no device at all)
# with a sentence and nothing made; --unencrypted-disk makes it anyway and `status` and
# Home say so in red; on LUKS under LVM it works with no warning. The device key sealed
# with a passphrase (`cellsync key passphrase`): none of the secret in the file, a wrong
# passphrase refused with nothing changed, the right one from a file descriptor, and on
# the web pages' unlock page once per run. $1 is cellsync, $2 cellsyncd, $3 cs_fixture.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
LC_ALL=C
export LC_ALL

# ---- the disk check ----
sh "$fake_sysfs" "$dir/plain-sys" plain "$dir"
sh "$fake_sysfs" "$dir/mixed-sys" mixed "$dir"
mkdir "$dir/empty-sys"

# refused SYSFS PATTERN WHAT: init on $dir/refused under /sys SYSFS is refused, nothing made.
refused() {
    CELLSYNC_SYSFS=$1 CELLSYNC_HOME=$dir/refused "$cellsync" init --org C17 >"$out" 2>"$err" </dev/null
    got=$?
    verdict 1 stderr "$2" "init on $3"
    check "init on $3: says what to do" grep -q "ask the district IT officer to install this computer with an encrypted disk" "$err"
    check "init on $3: nothing made" test ! -e "$dir/refused"
}
refused "$dir/plain-sys" "the disk of this computer is not encrypted ('$dir/refused' is on vda1): anyone who takes this computer could read the records; nothing was made" "a plain partition"
refused "$dir/mixed-sys" "the disk of this computer is not encrypted" "LVM over a plain and an encrypted partition"
refused "$dir/empty-sys" "cannot tell whether the disk of this computer is encrypted: the system does not say" "a system that does not say"
# A filesystem with no block device (tmpfs here; overlay and btrfs alike), where there is one.
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ]; then
    shm=$(mktemp -d /dev/shm/cellsync-rest.XXXXXX)
    CELLSYNC_SYSFS=/sys CELLSYNC_HOME=$shm/home "$cellsync" init >"$out" 2>"$err" </dev/null
    got=$?
    verdict 1 stderr "is on a filesystem with no disk of its own (such as tmpfs, overlay or btrfs)" "init on tmpfs"
    check "init on tmpfs: nothing made" test ! -e "$shm/home"
    rm -rf "$shm"
fi

# Told so, it makes the records; status ends with the warning, in words and in JSON.
CELLSYNC_SYSFS=$dir/plain-sys CELLSYNC_HOME=$dir/plain "$cellsync" init --unencrypted-disk >"$out" 2>"$err" </dev/null
got=$?
verdict 0 stdout "created the records" "init --unencrypted-disk on a plain partition"
equal "the replica remembers it" 1 "$(meta plain unencrypted_disk)"
on plain 0 "" -- status
check "status: the warning is its last line" sh -c "tail -1 '$out' | grep -q '^WARNING: the records are on a disk that is not encrypted: anyone who takes this computer can read them. Ask the district IT officer'"
on plain 0 '"unencrypted_disk":true' -- status --json

# On LUKS under LVM (lib.sh's /sys): made, no warning.
on crypt 0 "created the records" -- init --org C17
equal "nothing remembered" "" "$(meta crypt unencrypted_disk)"
on crypt 0 "^overdue deadlines: *0$" -- status
check "status: no warning" sh -c "! grep -q WARNING '$out'"
on crypt 0 '"unencrypted_disk":false' -- status --json

# ---- the setup page offers the same choice; Home shows the warning ----
if command -v python3 >/dev/null 2>&1; then
    PYTHONPATH=$(cd "$(dirname "$0")" && pwd)
    export PYTHONPATH
    CELLSYNC_SYSFS=$dir/plain-sys
    export CELLSYNC_SYSFS
    start_ui ui-plain
    python3 - "$ui_url" "$dir" >"$dir/py.out" 2>&1 <<'PY'
import os, sys
from ui_web import Session, check
s, d = Session(sys.argv[1]), sys.argv[2]
r = s.get("/setup")
check("setup: the box is offered", 'name="unencrypted"' in r.body and "encrypted disk" in r.text())
r = s.post("/setup", {"step": "init", "org": "C17"})
check("init on a plain disk: refused (%d)" % r.status,
      r.status == 422 and "the disk of this computer is not encrypted" in r.text()
      and "tick the box" in r.text())
check("nothing made", not os.path.exists(d + "/ui-plain"))
r = s.post("/setup", {"step": "init", "org": "C17", "unencrypted": "1"})
check("init with the box ticked: made (%d)" % r.status, r.status == 303)
r = s.get("/")
check("home: the red warning", 'id="unencrypted-disk"' in r.body and 'role="alert"' in r.body
      and "not encrypted" in r.text())
PY
    ui_checks "$dir/py.out"
    equal "the page's init is remembered" 1 "$(meta ui-plain unencrypted_disk)"
fi


# ---- the device key sealed with a passphrase ----
cat >"$dir/tree.csv" <<'CSV'
id,parent,level,kind,name
XA-ML,,commune,commune,"Xa Muong Ly"
C17,XA-ML,cell,village,"Chi bo ban Khe Van"
CSV
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
hubdo 0 "" -- enroll --org C17 --role cell --name "may a" --addr 127.0.0.1:9 --out "$dir/crypt.enroll"
on crypt 0 "" -- enroll "$dir/crypt.enroll"
secret=$(sed -n 2p "$dir/crypt/device.key")
equal "a new key is plain (format 1)" "cellsync-secret-key 1" "$(head -1 "$dir/crypt/device.key")"

CELLSYNC_NEW_PASSPHRASE='ngựa đúng pin kẹp' on crypt 0 "sealed with the new passphrase" -- key passphrase
equal "a sealed key is format 2" "cellsync-secret-key 2" "$(head -1 "$dir/crypt/device.key")"
check "Argon2id with libsodium's MODERATE limits" grep -q "^argon2id13 3 268435456 [0-9a-f]\{32\} [0-9a-f]\{24\}$" "$dir/crypt/device.key"
# No 8 bytes of the secret (seed and public half) in the file, as text or as bytes.
filehex=$(od -An -v -tx1 "$dir/crypt/device.key" | tr -d ' \n')
leaks=0
for i in 0 16 32 48 64 80 96 112; do
    chunk=$(printf %s "$secret" | cut -c$((i + 1))-$((i + 16)))
    n=$(grep -c "$chunk" "$dir/crypt/device.key")
    printf %s "$filehex" | grep -q "$chunk" && n=$((n + 1))
    leaks=$((leaks + n))
done
equal "no byte sequence of the secret key in the sealed file" 0 "$leaks"
chmod 600 "$dir/crypt/device.key"
sealed=$(cat "$dir/crypt/device.key")
before=$(hash crypt)

# A wrong passphrase: refused, nothing changes (no stick written, the replica and key as they were).
CELLSYNC_PASSPHRASE=wrong on crypt 1 "wrong passphrase for the key of this device" -- bundle export "$dir/stick.bundle"
check "wrong passphrase: no stick written" test ! -e "$dir/stick.bundle"
equal "wrong passphrase: the replica unchanged" "$before" "$(hash crypt)"
CELLSYNC_PASSPHRASE=wrong on crypt 1 "wrong passphrase for the key of this device ('$dir/crypt/device.key'); nothing was changed" -- key passphrase --remove
equal "wrong passphrase: the key file unchanged" "$sealed" "$(cat "$dir/crypt/device.key")"
# No passphrase and no terminal to ask it on (setsid: no controlling terminal).
if command -v setsid >/dev/null 2>&1; then
    CELLSYNC_HOME=$dir/crypt setsid -w "$cellsync" bundle export "$dir/stick.bundle" >"$out" 2>"$err" </dev/null
    got=$?
    verdict 1 stderr "sealed with a passphrase, and there is no terminal to ask it on: set CELLSYNC_PASSPHRASE_FD" "no passphrase, no terminal"
fi

# The right one, from a file descriptor as a script gives it: the stick is written.
printf 'ngựa đúng pin kẹp\n' >"$dir/pass"
CELLSYNC_HOME=$dir/crypt CELLSYNC_PASSPHRASE_FD=3 "$cellsync" bundle export "$dir/stick.bundle" >"$out" 2>"$err" </dev/null 3<"$dir/pass"
got=$?
verdict 0 any "" "bundle export with the passphrase on fd 3"
check "the stick is written" test -s "$dir/stick.bundle"

# Changed, then taken off: the same key again, byte for byte of its secret.
CELLSYNC_PASSPHRASE='ngựa đúng pin kẹp' CELLSYNC_NEW_PASSPHRASE=other on crypt 0 "sealed" -- key passphrase
CELLSYNC_PASSPHRASE='ngựa đúng pin kẹp' on crypt 1 "wrong passphrase" -- key passphrase --remove
CELLSYNC_PASSPHRASE=other on crypt 0 "no longer sealed" -- key passphrase --remove
equal "unsealed: the same secret" "$secret" "$(sed -n 2p "$dir/crypt/device.key")"

# The web pages: every address asks the passphrase once, a wrong one is refused, the right
# one is kept for the run and the stick page's export works with it.
if command -v python3 >/dev/null 2>&1; then
    CELLSYNC_SYSFS=$dir/sys
    CELLSYNC_NEW_PASSPHRASE=trang-sao on crypt 0 "sealed" -- key passphrase
    rm -f "$dir/ui.out"
    start_ui crypt
    python3 - "$ui_url" >"$dir/py.out" 2>&1 <<'PY'
import sys
from ui_web import Session, check
s = Session(sys.argv[1])
for path in ["/", "/candidates", "/sync"]:
    r = s.get(path)
    check("%s asks the passphrase (%d)" % (path, r.status),
          r.status == 200 and 'name="passphrase"' in r.body and 'type="password"' in r.body)
r = s.post("/unlock", {"passphrase": "wrong"})
check("a wrong passphrase: refused (%d)" % r.status,
      r.status == 422 and "wrong passphrase for the key of this device" in r.text())
r = s.get("/")
check("still locked", 'name="passphrase"' in r.body)
r = s.post("/unlock", {"passphrase": "trang-sao"})
check("the right one: to Home (%d %s)" % (r.status, r.location), r.status == 303 and r.location == "/")
r = s.get("/")
check("Home shown", r.status == 200 and r.by_id("candidates") is not None)
PY
    ui_checks "$dir/py.out"
fi

summary
