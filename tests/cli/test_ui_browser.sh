#!/bin/sh
# SPDX-License-Identifier: MIT
# The secretary's month in a real browser (issue 15's proof): headless Chromium,
# driven by python3-selenium through chromedriver (Debian's chromium,
# chromium-driver and python3-selenium, which `make deps` installs where the
# archive has them), against `cellsync ui --no-browser` on a device that starts
# with no records and a real hub on loopback. tests/browser/test_month.py walks
# the pages; this script makes the hub, its enrollments and a second laptop, and
# counts the python's "ok"/"FAIL" lines. Where the browser, its driver or
# selenium is missing the test says which and exits 77 (skipped, never passed).
# With $CELLSYNC_SCREENSHOTS naming a directory, every screen is saved there as a
# PNG at 1366x768 and 390x844 (make screenshots). $1 cellsync, $2 cellsyncd,
# $3 cs_fixture. CS_VERBOSE=1 shows the checks passed too.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")/.." && pwd)

need_selenium

# The hub of one commune with one cell, its target for the year, two enrollments of
# that cell: the laptop of the pages (by code) and a second laptop (by file), which
# registers at once.
cat >"$dir/tree.csv" <<'CSV'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CSV
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
hubdo 0 "" -- target --org CB-01 --year 2026 --admissions 5
start_hub "$dir/hub"
hubdo 0 "short code" -- enroll --org CB-01 --role cell --name "máy chi bộ" --addr "$addr" \
    --out "$dir/ui.enroll"
code=$(sed -n 's/^short code: //p' "$out")
[ -n "$code" ] || bad "the hub printed no short code"
hubdo 0 "" -- enroll --org CB-01 --role cell --name "máy b" --addr "$addr" --out "$dir/b.enroll"
on b 0 "created" -- init
on b 0 "enrolled" -- enroll "$dir/b.enroll"
on b 0 "synced" -- sync

# The drives a stick may be: $CELLSYNC_MEDIA stands for /media/$USER.
mkdir -p "$dir/media/USB-CB01"
CELLSYNC_MEDIA=$dir/media
export CELLSYNC_MEDIA
# make screenshots shows the pages in Vietnamese, as the secretaries read them.
if [ -n "${CS_UI_LANGUAGE:-}" ]; then
    LANGUAGE=$CS_UI_LANGUAGE
    export LANGUAGE
fi
start_ui ui

CS_UI_URL=$ui_url CS_HUB=$addr CS_CODE=$code CS_DIR=$dir CS_CELLSYNC=$cellsync \
    CS_CELLSYNCD=$cellsyncd CS_FIXTURE=$fixture CS_BROWSER=$browser CS_CHROMEDRIVER=$driver \
    "$py" "$here/browser/test_month.py" >"$dir/py.out" 2>"$dir/py.err"
rc=$?
py_checks test_month.py "$rc"
summary
