#!/bin/sh
# SPDX-License-Identifier: MIT
# The HTML report in a real browser: headless Chromium (Debian package
# 'chromium', which `make deps` installs where the archive has it) loads the
# page of every report of a small generated district, the DOM it builds has
# the six charts with their bars, and the screenshot is a drawn page: larger
# than a blank one and, where python3 is at hand, with pixels of the targets
# chart's colours (ahead of the year's pace, and the hatch of behind it).
# tests/cli/test_report_browser.sh checks the layout on three media. Where Chromium is not installed the test says so and exits 77, which
# ctest counts as skipped (SKIP_RETURN_CODE), never as passed.
# $1 cellsyncd, $2 gen_district.
set -u
CELLSYNCD=$1 GEN=$2
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
LC_ALL=C
export LC_ALL

need_browser

CELLSYNC_TODAY=2025-06-30
export CELLSYNC_TODAY

# Headless, offline, no first-run work; a fresh profile each time. The dbus and
# GPU warnings Chromium prints in a container are noise.
run_browser() {
    to=
    command -v timeout >/dev/null 2>&1 && to="timeout 60"
    $to "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d "$dir/profile.XXXXXX")" "$@" 2>>"$dir/browser.log"
}

"$GEN" --state "$dir/hub" --seed 7 --grassroots 8 --cells 30 --members 600 --candidates 90 \
    >/dev/null || { echo "FAIL: gen_district"; exit 1; }
"$CELLSYNCD" report all --state "$dir/hub" --format html --out "$dir/report.html" ||
    { echo "FAIL: cellsyncd report all --format html"; exit 1; }
printf '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body></body></html>\n' \
    >"$dir/blank.html"

run_browser --dump-dom "file://$dir/report.html" >"$dir/dom.html"
check "the browser loads the page (DOM dumped)" grep -q '</html>' "$dir/dom.html"
check "the DOM has the six charts" test "$(grep -o '<svg' "$dir/dom.html" | wc -l)" -eq 6
check "the DOM has the bars" test "$(grep -o '<rect class="bar' "$dir/dom.html" | wc -l)" -gt 20
check "the DOM has the target marks" test "$(grep -o '<line class="target"' "$dir/dom.html" | wc -l)" -gt 0
check "the DOM has the funnel" grep -q '<figure class="chart funnel"' "$dir/dom.html"
check "the DOM has no script" sh -c "! grep -qi '<script' '$dir/dom.html'"

run_browser --screenshot="$dir/report.png" --window-size=1200,1600 "file://$dir/report.html" \
    >/dev/null
run_browser --screenshot="$dir/blank.png" --window-size=1200,1600 "file://$dir/blank.html" \
    >/dev/null
check "the screenshot exists" test -s "$dir/report.png"
report_size=$(wc -c <"$dir/report.png" 2>/dev/null || echo 0)
blank_size=$(wc -c <"$dir/blank.png" 2>/dev/null || echo 0)
check "the page is more than a blank one ($report_size bytes against $blank_size)" \
    test "$report_size" -gt $((blank_size * 4 + 10000))

# The pixels, with python3's zlib: 8-bit RGB(A), non-interlaced, as Chromium writes.
if command -v python3 >/dev/null 2>&1; then
    if python3 - "$dir/report.png" >"$dir/py.log" 2>&1 <<'EOF'; then
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride = zlib.decompress(idat), w * bpp
prev, colours, bar, hatch = bytearray(stride), set(), 0, 0
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for i in range(0, stride, bpp):
        px = tuple(line[i:i + 3])
        colours.add(px)
        if px == (0x1b, 0x5e, 0x20):
            bar += 1
        elif px == (0xf2, 0xa9, 0x3b):
            hatch += 1
    prev = line
print("colours", len(colours), "ahead pixels", bar, "behind pixels", hatch)
assert len(colours) > 1, "a single colour"
assert bar > 500, "no bars ahead of the pace drawn"
assert hatch > 20, "no bar behind the pace drawn"
EOF
        ok
    else
        bad "the screenshot's pixels"
    fi
    sed 's/^/  png: /' "$dir/py.log"
fi

if [ "$fails" -ne 0 ]; then
    tail -5 "$dir/browser.log" | sed 's/^/  chromium: /'
fi
echo "browser: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
