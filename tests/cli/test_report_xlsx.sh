#!/bin/sh
# SPDX-License-Identifier: MIT
# Reports for Excel (issue 20). --format xlsx, read back with python3's zipfile and
# xml.etree (tests/cli/xlsx_check.py): every sheet of `report all` cell by cell against
# the same report's JSON and labelled CSV, on a generated district (gen_district) and on
# a small hub made here with known values, in Vietnamese. The CSV: a UTF-8 BOM, CRLF,
# --delimiter ';' and tab, --labels, quoting of a name holding the delimiter and
# quotes. Refusals: an xlsx to a terminal, a delimiter that is none, options of CSV
# with another format; nothing written on an error, no temp file left.
# $1 cellsync, $2 cellsyncd, $3 cs_fixture, $4 gen_district.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3 GEN=$4
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
CHECK=$(dirname "$0")/xlsx_check.py
command -v python3 >/dev/null 2>&1 || skip "no python3 to read the workbooks"
mkdir "$dir/tmp"
TMPDIR=$dir/tmp
export TMPDIR

# book STATE NAME: report all of the hub STATE as NAME.xlsx, with its JSON and every
# section as labelled CSV in $dir/NAME/, checked by xlsx_check.py against $dir/names.
book() {
    mkdir -p "$dir/$2"
    expect 0 stderr "" -- "$cellsyncd" report all --state "$1" --format xlsx --out "$dir/$2.xlsx"
    expect 0 stderr "" -- "$cellsyncd" report all --state "$1" --format json --out "$dir/$2.json"
    for rs in targets.units targets.months pipeline.stages pipeline.sources pipeline.days due.deadlines \
        due.units members.status members.age members.party_age members.ratings sync.devices; do
        expect 0 stderr "" -- "$cellsyncd" report "${rs%%.*}" --section "${rs#*.}" \
            --state "$1" --format csv --labels --out "$dir/$2/$rs.csv"
    done
    python3 "$CHECK" "$dir/$2.xlsx" "$dir/$2.json" "$dir/$2" "$dir/names" >"$out" 2>&1
    got=$?
    cat "$out"
    check_rc $got "$2.xlsx read back cell by cell"
}
# The sheets of `report all`, named by their sections' titles in Vietnamese (31
# characters at most, a longer title cut at a word).
cat >"$dir/names" <<'NAMES'
Chỉ tiêu kết nạp theo đơn vị
Kết nạp theo tháng
Quần chúng ưu tú theo bước và
Quần chúng ưu tú theo nguồn
Số ngày ở mỗi bước
Việc quá hạn và sắp đến hạn
Thời hạn theo đơn vị
Đảng viên theo tình trạng
Đảng viên theo độ tuổi
Đảng viên theo tuổi Đảng
Xếp loại đảng viên trong năm
Các máy
NAMES

# ---- a small hub with known values ----
cat >"$dir/tree.csv" <<'CSV'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã ""Mường Lý"""
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván; xóm 1"
CB-02,XA-ML,cell,village,"Chi bộ bản Pù Quăn, xóm 2"
CSV
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
start_hub "$dir/hub"
for d in a:CB-01 b:CB-02; do
    hubdo 0 "" -- enroll --org "${d#*:}" --role cell --name "máy ${d%%:*}" --addr "$addr" \
        --out "$dir/${d%%:*}.enroll"
    on "${d%%:*}" 0 "" -- init
    on "${d%%:*}" 0 "" -- enroll "$dir/${d%%:*}.enroll"
done
on a 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 2000-03-15 --sex male
on a 0 "added member" -- member add --name "Đinh Văn Thắng" --status official
on a 0 "synced" -- sync --hub "$addr"
on b 0 "synced" -- sync --hub "$addr"
stop_hub
hubdo 0 "" -- target --org CB-01 --year 2026 --admissions 5 --students 1
hubdo 0 "" -- revoke "máy b"
# The reports in Vietnamese from here on.
LANGUAGE="vi"
export LANGUAGE
book "$dir/hub" small

# Known cells, read with the same reader: the targets (CB-01 is the third unit, after
# the commune, by code) and the devices (b revoked today).
python3 "$CHECK" --cells "$dir/small.xlsx" 1 A4 D4 B5 A6 B6 C6 D6 E6 G6 A7 D7 >"$out" 2>&1
check "the targets' sheet" grep -qx 'SHEET Chỉ tiêu kết nạp theo đơn vị' "$out"
check "the unit's heading in Vietnamese" grep -qx 'A4 s đơn vị' "$out"
check "the target's heading in Vietnamese" grep -qx 'D4 s chỉ tiêu' "$out"
check "CB-01's row" grep -qx 'A6 s CB-01' "$out"
check "a name with quotes, as text" grep -qx 'B5 s Đảng bộ xã "Mường Lý"' "$out"
check "a name with a ';', as text" grep -qx 'B6 s Chi bộ bản Khe Ván; xóm 1' "$out"
check "the level by its Vietnamese label" grep -qx 'C6 s chi bộ' "$out"
check "the target 5, a number" grep -qx 'D6 n 5 None' "$out"
check "none admitted: the number 0" grep -qx 'E6 n 0 None' "$out"
check "0 % achieved of a target: the number 0" grep -qx 'G6 n 0 None' "$out"
check "CB-02 next" grep -qx 'A7 s CB-02' "$out"
check "CB-02 has no target: no cell" grep -qx 'D7 -' "$out"
python3 "$CHECK" --cells "$dir/small.xlsx" 12 B5 B6 G5 G6 >"$out" 2>&1
today=$(python3 -c 'import datetime; print((datetime.date.today() - datetime.date(1899, 12, 30)).days)')
check "the devices' sheet, a and b" grep -qx 'B5 s máy a' "$out"
check "b revoked today, an Excel date ($today) as dd/mm/yyyy" grep -qx "G6 n $today dd/mm/yyyy" "$out"
check "a not revoked: no cell" grep -qx 'G5 -' "$out"
cat "$out"

# ---- a generated district ----
expect 0 stdout "311 units" -- "$GEN" --state "$dir/district" --seed 7
book "$dir/district" district
# The cell's own view through cellsync: its sections, one sheet each.
on a 0 "" -- report members --format xlsx --out "$dir/cell.xlsx"
check "cellsync report members: four sheets" test "$(python3 -c 'import sys, zipfile; print(sum(n.startswith("xl/worksheets/sheet") for n in zipfile.ZipFile(sys.argv[1]).namelist()))' "$dir/cell.xlsx")" = 4
# Redirected standard output is not a terminal: the workbook goes there.
"$cellsyncd" report pipeline --state "$dir/district" --format xlsx >"$dir/piped.xlsx" 2>"$err"
check "an xlsx to redirected standard output is a zip archive" \
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).testzip()' "$dir/piped.xlsx"

# libxlsxwriter is loaded at the first workbook, not linked: the other commands do not
# map it at start.
for b in "$cellsync" "$cellsyncd"; do
    check "$(basename "$b") does not link libxlsxwriter" sh -c "! ldd '$b' 2>/dev/null | grep -q libxlsxwriter"
done

# ---- CSV ----
H=$dir/hub
bom=$(printf '\357\273\277')
expect 0 stderr "" -- "$cellsyncd" report targets --state "$H" --format csv --out "$dir/t.csv"
check "CSV starts with a UTF-8 BOM" test "$(head -c 3 "$dir/t.csv")" = "$bom"
check "the header stays the column names without --labels" \
    test "$(head -1 "$dir/t.csv" | tr -d '\r')" = "${bom}unit,name,level,depth,target,admitted,ceremonies,achieved_pct,expected,pace_pct,students_target,students_admitted,students_pct,non_state_target,non_state_admitted,non_state_pct"
check "a name holding ',' is quoted with ','" grep -q '^CB-02,"Chi bộ bản Pù Quăn, xóm 2",cell,' "$dir/t.csv"
check "a name holding quotes is quoted, quotes doubled" \
    grep -q '^XA-ML,"Đảng bộ xã ""Mường Lý""",commune,' "$dir/t.csv"
check "a name holding ';' is not quoted with ','" grep -q '^CB-01,Chi bộ bản Khe Ván; xóm 1,cell,' "$dir/t.csv"
check "lines end in CRLF" test "$(grep -c "$(printf '\r')\$" "$dir/t.csv")" -eq "$(wc -l <"$dir/t.csv")"
expect 0 stderr "" -- "$cellsyncd" report targets --state "$H" --format csv --delimiter ';' \
    --labels --out "$dir/v.csv"
check "--labels: the headings in Vietnamese, ';' between them" \
    test "$(head -1 "$dir/v.csv" | tr -d '\r')" = "${bom}đơn vị;tên;cấp;chỉ tiêu;đã kết nạp;lễ kết nạp;% đạt;cần đạt đến nay;% so với tiến độ;chỉ tiêu học sinh, sinh viên;học sinh, sinh viên;% sinh viên, học sinh;chỉ tiêu ngoài nhà nước;ngoài nhà nước;% ngoài nhà nước"
check "';': a name holding ',' is not quoted, the level is a label, the name indented" \
    grep -q '^CB-02;  Chi bộ bản Pù Quăn, xóm 2;chi bộ;' "$dir/v.csv"
check "';': a name holding ';' is quoted" grep -q '^CB-01;"  Chi bộ bản Khe Ván; xóm 1";chi bộ;5;' "$dir/v.csv"
# CB-01: target 5, none admitted: 0.0 % achieved, with the decimal comma of the ';' locale.
check "';': a fraction with a decimal comma" grep -q '^CB-01;"  Chi bộ bản Khe Ván; xóm 1";chi bộ;5;0;0;0,0;' "$dir/v.csv"
check "',': a fraction with a decimal point" grep -q '^CB-01,Chi bộ bản Khe Ván; xóm 1,cell,1,5,0,0,0.0,' "$dir/t.csv"
expect 0 stderr "" -- "$cellsyncd" report targets --state "$H" --format csv --delimiter tab \
    --out "$dir/tab.csv"
check "--delimiter tab" grep -q "^CB-02	Chi bộ bản Pù Quăn, xóm 2	cell	" "$dir/tab.csv"
on a 0 "" -- report targets --format csv --delimiter ';' --labels
check "cellsync report: the same options" grep -q '^CB-01;"Chi bộ bản Khe Ván; xóm 1";chi bộ;' "$out"

# ---- refusals; nothing written on an error ----
LANGUAGE=
hubdo 2 "--delimiter: '::' is not one of ',', ';' or 'tab'" -- report targets --format csv \
    --delimiter '::' --out "$dir/bad.csv"
hubdo 2 "--labels is for --format csv only" -- report targets --format json --labels
on a 2 "--delimiter is for --format csv only" -- report targets --format xlsx --delimiter ';' \
    --out "$dir/bad.xlsx"
hubdo 2 "not one of table, json, csv, html, xlsx" -- report targets --format xls
hubdo 1 "no unit 'NOPE'" -- report all --format xlsx --org NOPE --out "$dir/bad.xlsx"
check "nothing written on an error" test ! -e "$dir/bad.xlsx" -a ! -e "$dir/bad.csv"
check "no temp file left beside the output" test "$(find "$dir" -maxdepth 1 -name '*.xlsx.*' | wc -l)" -eq 0
check "no workbook left in TMPDIR" test -z "$(ls -A "$dir/tmp")"
if command -v script >/dev/null 2>&1; then
    script -qec "'$cellsyncd' report targets --state '$H' --format xlsx" /dev/null >"$out" 2>&1
    got=$?
    verdict 1 stdout "give --out FILE, or redirect standard output" "an xlsx to a terminal"
    check "no workbook's bytes on the terminal" sh -c "! grep -q 'PK' '$out'"
fi
summary
