#!/bin/sh
# SPDX-License-Identifier: MIT
# `cellsync import members|candidates FILE` with the real binary, in Vietnamese
# (LANG=vi_VN.UTF-8), on the files committee offices have: a CSV with a BOM, ';' and
# CRLF whose quoted cells hold the separator, quotes and line breaks; UTF-16 text with a
# BOM as Excel saves "Unicode Text" (iconv); .xlsx workbooks made by a real spreadsheet
# library (python3-openpyxl) with real date cells. --check lists every row's problems by
# row and column and writes nothing; a bad row stops the whole import; --skip-bad writes
# the good rows; a candidate's past steps arrive with their dates, in order; the imported
# members count in `report members`; bad files are refused with what to do. Where
# openpyxl is missing the rest still runs, and then the test reports itself skipped.
# Usage: test_import.sh PATH/TO/cellsync PATH/TO/cs_fixture
set -u
cellsync=$1 fixture=$2
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
unset LC_ALL LC_MESSAGES LANGUAGE
LANG=vi_VN.UTF-8
CELLSYNC_HOME=$dir/home
CELLSYNC_TODAY=2026-03-01
export LANG CELLSYNC_HOME CELLSYNC_TODAY
mkdir "$CELLSYNC_HOME"
cd "$dir" || exit 1
# count TABLE: live records of TABLE in the replica.
count() { sql home "SELECT count(*) FROM $1 WHERE cl % 2 = 1"; }
# crlf: standard input with CRLF line ends, as Excel writes them.
crlf() { sed 's/$/\r/'; }

expect 0 stdout "" -- "$cellsync" init --org CB01
expect 0 stdout "members" -- "$cellsync" import --help
expect 0 stdout "\-\-skip-bad" -- "$cellsync" import members --help

# ---- a CSV as Excel saves it in Vietnam: BOM, ';', CRLF; row 5 is wrong twice ----
{
    printf '\357\273\277'
    crlf <<'EOF'
STT;Họ và tên;Ngày sinh;Giới tính;Số thẻ đảng viên;Tình trạng;NGÀY LỄ KẾT NẠP;Ghi chú
1;Nguyễn Văn An;15/03/1980;male;01234567;official;19/05/2005;"Bí thư; ""chi bộ"" thôn
Nà Hang"
2;Lê Thị Bình;2/9/1990;female;;;03/02/2025;
3;Hoàng Văn Chiến;1975-12-01;male;;official;;

5;Trần Văn Sai;31/02/2001;trai;;;;
EOF
} >members.csv
expect 1 stdout "^dòng 6, cột C: ngày sinh: '31/02/2001' không phải là ngày" -- \
    "$cellsync" import members --check members.csv
verdict 1 stdout "^dòng 6, cột D: giới tính: 'trai'" "--check names the sex of row 6"
verdict 1 stdout "đã kiểm tra 4 dòng, hợp lệ: 3, có lỗi: 1; chưa ghi gì" "--check sums up"
equal "--check writes nothing" 0 "$(count member)"
expect 1 stderr "chưa nhập gì: 1 trên 4 dòng có lỗi" -- "$cellsync" import members members.csv
verdict 1 stderr "dòng 6, cột C: ngày sinh" "a refused import lists the problems"
equal "one bad row: nothing written" 0 "$(count member)"
expect 1 stdout "đã thêm 3 dòng, từ chối 1 dòng" -- \
    "$cellsync" import members --skip-bad members.csv
verdict 1 stderr "dòng 6, cột D: giới tính" "--skip-bad lists the bad row"
equal "--skip-bad: the good rows" 3 "$(count member)"
equal "a quoted cell keeps ';', quotes and its line break" 1 \
    "$(sql home "SELECT count(*) FROM member WHERE note = 'Bí thư; \"chi bộ\" thôn
Nà Hang'")"
equal "D/M/YYYY and YYYY-MM-DD dates" "1990-09-02|1975-12-01" \
    "$(sql home "SELECT group_concat(birth_date, '|') FROM (SELECT birth_date FROM member
                 WHERE full_name IN ('Lê Thị Bình', 'Hoàng Văn Chiến') ORDER BY full_name DESC)")"
equal "a card number keeps its leading 0" 01234567 \
    "$(sql home "SELECT card_no FROM member WHERE full_name = 'Nguyễn Văn An'")"
equal "rows get the device's unit" 3 "$(sql home "SELECT count(*) FROM member WHERE org_unit = 'CB01'")"
equal "no status given: a ceremony date makes a probationary member" probationary \
    "$(sql home "SELECT status FROM member WHERE full_name = 'Lê Thị Bình'")"
# The report counts them (its CSV lines end in CRLF): 3 records, 3 members, 1
# probationary, 2 official.
expect 0 stdout "^CB01,.*,3,3,1,2,0,0,0" -- "$cellsync" report members --format csv

# ---- UTF-16 with a BOM and tabs (Excel's "Unicode Text"), both byte orders ----
printf 'Họ và tên\tNgày sinh\tNgày chọn làm đối tượng\tngay phan cong giup do\tĐảng viên giúp đỡ\tclass_on\r\n' >cand.txt
printf 'Phạm Thị Dung\t1/1/2000\t10/01/2025\t15/02/2025\tnguyen van an\t2025-06-01\r\n' >>cand.txt
printf 'Vi Văn Đức\t1999-05-05\t\t\t\t\r\n' >>cand.txt
iconv -f UTF-8 -t UTF-16 cand.txt >cand-le.txt
equal "iconv -t UTF-16 writes a BOM" "fffe" "$(head -c 2 cand-le.txt | od -An -tx1 | tr -d ' \n')"
expect 0 stdout "đã thêm 2 dòng, từ chối 0 dòng" -- "$cellsync" import candidates cand-le.txt
equal "past steps: the stage reached, each date and the helper" \
    "class_passed|2025-01-10|2025-02-15|2025-06-01|Nguyễn Văn An" \
    "$(sql home "SELECT k.stage || '|' || k.identified_on || '|' || k.helper_on || '|' || k.class_on
                 || '|' || m.full_name FROM candidate k JOIN member m ON m.id = k.helper
                 WHERE k.full_name = 'Phạm Thị Dung'")"
equal "no step given: identified today" "identified|2026-03-01|CB01" \
    "$(sql home "SELECT stage || '|' || identified_on || '|' || org_unit FROM candidate
                 WHERE full_name = 'Vi Văn Đức'")"
{
    printf '\376\377'
    iconv -f UTF-8 -t UTF-16BE cand.txt
} >cand-be.txt
# The same people again: each row is a likely second record of a person.
expect 1 stdout "hợp lệ: 0, có lỗi: 2" -- "$cellsync" import candidates --check cand-be.txt
expect 1 stdout "^dòng 2: đã có quần chúng ưu tú cùng họ tên và ngày sinh" -- "$cellsync" import candidates --check cand-be.txt

# ---- a candidate's steps: the rules of `candidate add` (cs_candidate_record) ----
crlf >steps.csv <<'EOF'
name,birth-date,identified on,helper assigned on,ngày lễ kết nạp,đảng viên giúp đỡ
Ngược Thứ Tự,1/1/2000,01/03/2025,01/02/2025,,Nguyễn Văn An
Thiếu Ngày Đầu,1/1/2000,,01/02/2025,,Nguyễn Văn An
Ngày Mai,1/1/2000,02/03/2026,,,
Đã Kết Nạp,1/1/2000,01/01/2024,01/02/2024,01/01/2025,Nguyễn Văn An
Đúng,1/1/2000,01/01/2024,01/02/2024,,Nguyễn Văn An
Không Người Giúp,1/1/2000,01/01/2024,01/02/2024,,
EOF
expect 1 stdout "^dòng 2, cột D: ngày phân công giúp đỡ: ngày 01/02/2025 sớm hơn ngày 01/03/2025.*--force" -- \
    "$cellsync" import candidates --check steps.csv
verdict 1 stdout "^dòng 3, cột C: ngày chọn làm đối tượng: bước '.*' cần có ngày, vì một bước sau đã có ngày" \
    "a later step needs the first"
verdict 1 stdout "^dòng 4, cột C: ngày chọn làm đối tượng: ngày 02/03/2026 sau ngày hôm nay" \
    "a step after today"
verdict 1 stdout "^dòng 5: .*: bước 'đã học lớp bồi dưỡng nhận thức về Đảng' cần có ngày" \
    "every step up to the ceremony needs its date"
verdict 1 stdout "^dòng 7, cột F: đảng viên giúp đỡ: " "the helper stage needs its helper"
verdict 1 stdout "hợp lệ: 1, có lỗi: 5" "only one row is good"
before=$(count candidate)
expect 1 stderr "chưa nhập gì: 5 trên 6 dòng có lỗi" -- "$cellsync" import candidates steps.csv
equal "all or nothing" "$before" "$(count candidate)"
# A rule broken on paper is entered as it was with --force and a reason, as `candidate add` does.
expect 2 stderr "\-\-reason" -- "$cellsync" import candidates --force steps.csv
expect 1 stdout "^dòng 2: ngoại lệ sẽ được ghi nhận: ngày 01/02/2025 sớm hơn" -- \
    "$cellsync" import candidates --check --force --reason "hồ sơ giấy" steps.csv
verdict 1 stdout "hợp lệ: 2, có lỗi: 4" "--force: the row out of order is good"
expect 1 stderr "^cellsync: dòng 2: đã ghi nhận ngoại lệ: ngày 01/02/2025" -- \
    "$cellsync" import candidates --skip-bad --force --reason "hồ sơ giấy" steps.csv
equal "the exception kept with its reason" "order|hồ sơ giấy" \
    "$(sql home "SELECT e.rule || '|' || e.reason FROM exception e JOIN candidate k
                 ON k.id = e.candidate WHERE k.full_name = 'Ngược Thứ Tự'")"
# The likely second record of a person is refused; --duplicate-ok (which the message names) takes it.
printf 'name;birth-date\nĐúng;1/1/2000\n' >again.csv
expect 1 stdout "^dòng 2: .*--duplicate-ok" -- "$cellsync" import candidates --check again.csv
expect 0 stdout "đã thêm 1 dòng, từ chối 0 dòng" -- "$cellsync" import candidates --duplicate-ok again.csv
equal "--duplicate-ok: the second record" 2 \
    "$(sql home "SELECT count(*) FROM candidate WHERE full_name = 'Đúng' AND cl % 2 = 1")"

# ---- headings and files that are refused ----
printf 'Họ và tên;Quê quán cũ;Ngày sinh\nA;B;1/1/2000\n' >unknown.csv
expect 1 stderr "cột B: tiêu đề \"Quê quán cũ\" không phải là mục nào của hồ sơ đảng viên; các tiêu đề là .*\"ngày sinh\".*birth-date" -- \
    "$cellsync" import members unknown.csv
printf 'name;Họ và tên\nA;B\n' >twice.csv
expect 1 stderr "cột A và cột B đều là \"họ và tên\"" -- "$cellsync" import members twice.csv
printf 'Ngày sinh\n1/1/2000\n' >noname.csv
expect 1 stderr "không có cột nào ghi họ và tên" -- "$cellsync" import members noname.csv
printf 'name;;birth-date\nA;lost;1/1/2000\n' >nohead.csv
expect 1 stdout "^dòng 2, cột B: ô này nằm trong cột không có tiêu đề" -- \
    "$cellsync" import members --check nohead.csv
printf 'name;note\nL\352 Th\341\n' >latin1.csv
expect 1 stderr "không phải là văn bản UTF-8 (dòng 2).*TCVN3" -- "$cellsync" import members latin1.csv
printf 'name;note\n"Lê;never closed\n' >open.csv
expect 1 stderr "dòng 2, cột A: ô mở bằng dấu '\"'" -- "$cellsync" import members open.csv
printf '\320\317\021\340\241\261\032\341rest' >old.xls
expect 1 stderr "Excel 97-2003 (.xls)" -- "$cellsync" import members old.xls
: >empty.csv
expect 1 stderr "'empty.csv' trống" -- "$cellsync" import members empty.csv
printf 'name\n' >header.csv
expect 1 stderr "không có dòng nào dưới dòng tiêu đề" -- "$cellsync" import members header.csv
expect 1 stderr "no-such.csv" -- "$cellsync" import members no-such.csv
expect 2 stderr "\-\-check" -- "$cellsync" import members --check --skip-bad members.csv
expect 2 stderr "" -- "$cellsync" import members

# ---- a cell device: the hub would refuse the committee's decision date, so the import does ----
set_meta home role cell
printf 'Họ và tên;Ngày sinh;Ngày chọn làm đối tượng;Ngày quyết định kết nạp\nA;01/01/2000;01/01/2020;01/01/2021\n' >decision.csv
expect 1 stdout "^dòng 2, cột D: ngày quyết định kết nạp: do cấp ủy ghi" -- \
    "$cellsync" import candidates --check decision.csv
# A member's own copy of its decision date is the cell's to enter from paper.
printf 'Họ và tên;Ngày quyết định kết nạp\nA;01/01/2021\n' >member-decision.csv
expect 0 stdout "hợp lệ: 1, có lỗi: 0" -- "$cellsync" import members --check member-decision.csv

# ---- .xlsx made by a real spreadsheet library ----
python=
for p in /usr/bin/python3 python3; do
    if "$p" -c 'import openpyxl' 2>/dev/null; then
        python=$p
        break
    fi
done
if [ -z "$python" ]; then
    [ "$fails" -eq 0 ] || { summary; exit 1; }
    skip "python3-openpyxl is not installed: no .xlsx files to read"
fi
"$python" - <<'EOF'
import datetime, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Đảng viên"
ws.append(["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số thẻ đảng viên",
           "Ngày lễ kết nạp", "Ngày chính thức", "Ghi chú"])
ws.append([1, "Đỗ Văn Giang", datetime.date(1985, 4, 30), "male", 12345678,
           datetime.date(2010, 5, 19), datetime.date(2011, 5, 19), None])
ws.append([2, "Mùa A Páo", "02/09/1988", "male", "00123456",
           datetime.datetime(2024, 1, 3, 9, 30), None, "nhiều\ndòng"])
ws.append([3, "Sai Ngày", 36526, "male", None, None, None, None])
other = wb.create_sheet("Khác")
other.append(["not", "read"])
wb.save("members.xlsx")
EOF
check "openpyxl made members.xlsx" test -s members.xlsx
expect 1 stdout "^dòng 4, cột C: ngày sinh: '36526' không phải là ngày" -- \
    "$cellsync" import members --check members.xlsx
verdict 1 stdout "hợp lệ: 2, có lỗi: 1" "an xlsx number is no date without a date style"
expect 1 stdout "đã thêm 2 dòng, từ chối 1 dòng" -- "$cellsync" import members --skip-bad members.xlsx
equal "xlsx dates, a number and the status from the dates" \
    "1985-04-30|12345678|2010-05-19|2011-05-19|official" \
    "$(sql home "SELECT birth_date || '|' || card_no || '|' || ceremony_on || '|' || official_on
                 || '|' || status FROM member WHERE full_name = 'Đỗ Văn Giang'")"
equal "xlsx text, a date-time cell and a line break" "1988-09-02|2024-01-03|probationary|nhiều
dòng" \
    "$(sql home "SELECT birth_date || '|' || ceremony_on || '|' || status || '|' || note
                 FROM member WHERE full_name = 'Mùa A Páo'")"
# 3 from the CSV and 2 from the workbook: 2 probationary, 3 official.
expect 0 stdout "^CB01,.*,5,5,2,3,0,0,0" -- "$cellsync" report members --format csv
size=$(wc -c <members.xlsx)
head -c $((size / 2)) members.xlsx >cut.xlsx
expect 1 stderr "'cut.xlsx' bị cắt mất phần cuối hoặc bị hỏng" -- "$cellsync" import members cut.xlsx
equal "a refused file adds nothing" 5 "$(count member)"

summary
