#!/bin/sh
# SPDX-License-Identifier: MIT
# The HTML report on its three media in a real browser (issue 20): a 1280-px
# screen, a 390-px phone and A4 paper, portrait and landscape, through
# headless Chromium driven by python3-selenium and chromedriver (Debian's
# chromium, chromium-driver and python3-selenium; pdftotext and pdftoppm from
# poppler-utils where installed). This script makes a generated district and
# renders `cellsyncd report all --format html` in Vietnamese (with --number
# and --place) and in English (without them), and the JSON the charts are
# checked against; tests/browser/test_report.py does the checks and this
# script counts its "ok"/"FAIL" lines. Where the browser, its driver or
# selenium is missing the test says which and exits 77 (skipped, never
# passed). With $CELLSYNC_REPORT_SHOTS naming a directory, the pictures of the
# docs are written there (make report-screenshots). $1 cellsyncd,
# $2 gen_district. CS_VERBOSE=1 shows the checks passed too.
set -u
cellsyncd=$1 gen=$2
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")/.." && pwd)

need_selenium

CELLSYNC_TODAY=2025-06-30
export CELLSYNC_TODAY
number="12-BC/ĐU" place="Tam Giang"
"$gen" --state "$dir/hub" --seed 7 --grassroots 8 --cells 30 --members 600 --candidates 400 \
    >"$out" 2>"$err" || bad "gen_district"
vi() { LANGUAGE=vi LANG=C.UTF-8 "$@"; }
vi "$cellsyncd" report all --state "$dir/hub" --format html --number "$number" --place "$place" \
    --out "$dir/report-vi.html" 2>"$err" || bad "report all --format html in Vietnamese"
LANGUAGE=en "$cellsyncd" report all --state "$dir/hub" --format html \
    --out "$dir/report-en.html" 2>"$err" || bad "report all --format html in English"
for k in targets pipeline; do
    vi "$cellsyncd" report "$k" --state "$dir/hub" --format json --out "$dir/$k-vi.json" \
        2>"$err" || bad "report $k --format json"
done
root=$("$cellsyncd" report targets --state "$dir/hub" --format csv |
    awk -F, 'NR == 2 { print $2 }')
[ -n "$root" ] || bad "the root unit's name"

CS_DIR=$dir CS_BROWSER=$browser CS_CHROMEDRIVER=$driver CS_NUMBER=$number CS_PLACE=$place \
    CS_ROOT=$root CS_TODAY=30/06/2025 "$py" "$here/browser/test_report.py" \
    >"$dir/py.out" 2>"$dir/py.err"
rc=$?
py_checks test_report.py "$rc"
summary
