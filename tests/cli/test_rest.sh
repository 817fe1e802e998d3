#!/bin/sh
# SPDX-License-Identifier: MIT
# The field laptop at rest (review F4), with the real cellsync: `init` refuses a data
# directory that is not on an encrypted disk (a fake /sys, tests/tools/fake_sysfs.sh: a
# plain partition, LVM over one encrypted and one plain partition, no device at all)
# with a sentence and nothing made; --unencrypted-disk makes it anyway and `status` and
# Home say so in red; on LUKS under LVM it works with no warning. $1 is cellsync, $2
# cellsyncd, $3 cs_fixture.
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



summary
