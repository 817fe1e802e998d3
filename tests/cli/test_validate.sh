#!/bin/sh
# SPDX-License-Identifier: MIT
# What a secretary types is checked before it is stored, with the real binary in a
# temp data directory, in English (LC_ALL=C) and in Vietnamese (LANG=vi_VN.UTF-8):
# citizen ids, dates of birth, phone and party card numbers in the formats the
# regulations fix, stored normalised; choices typed as codes or as their labels, a
# wrong one refused with the labels and the nearest one; the same person recorded
# twice in a cell refused unless --duplicate-ok; the age rule at the cell
# resolution, and an exception to it with --force. A refused command stores nothing.
# Usage: test_validate.sh PATH/TO/cellsync
set -u
cellsync=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
LC_ALL=C
unset EDITOR LANG
CELLSYNC_HOME=$dir/home
CELLSYNC_TODAY=2026-03-02
export LC_ALL CELLSYNC_HOME CELLSYNC_TODAY
mkdir "$CELLSYNC_HOME"

# vi ARGS...: cellsync in Vietnamese as a secretary runs it (LANG=vi_VN.UTF-8, whether or
# not that locale is generated here; the catalog is the build tree's).
vi() { env -u LC_ALL -u LANGUAGE LANG=vi_VN.UTF-8 "$cellsync" "$@"; }
# count TABLE: live records of a table, through the list's JSON.
count() { "$cellsync" "$1" list --json | grep -o '"full_name"' | wc -l | tr -d ' '; }

expect 0 stdout "created the records" -- "$cellsync" init

# ---- formats: refused naming the field and saying what to write ----
expect 1 stderr "citizen id: 'abc' is not a citizen id; write the 12 digits" -- \
    "$cellsync" candidate add --name 'Nguyễn Văn Sỹ' --citizen-id abc
expect 1 stderr "citizen id: '123456789' has 9 digits, like the old identity card" -- \
    "$cellsync" candidate add --name 'Nguyễn Văn Sỹ' --citizen-id 123456789
expect 1 stderr "date of birth: '2030-01-01' is after today; check the year" -- \
    "$cellsync" candidate add --name 'Nguyễn Văn Sỹ' --birth-date 2030-01-01
expect 1 stderr "date of birth: '03/03/2026' is after today" -- \
    "$cellsync" candidate add --name 'Nguyễn Văn Sỹ' --birth-date 03/03/2026
expect 1 stderr "date of birth: '1899-12-31' is not a date" -- \
    "$cellsync" candidate add --name 'Nguyễn Văn Sỹ' --birth-date 1899-12-31
expect 1 stderr "phone: 'xyz' is not a Vietnamese phone number; write 10 digits starting with 0" -- \
    "$cellsync" candidate add --name 'Nguyễn Văn Sỹ' --phone xyz
expect 1 stderr "phone: '091234567' is not a Vietnamese phone number" -- \
    "$cellsync" candidate add --name 'Nguyễn Văn Sỹ' --phone 091234567
expect 1 stderr "party card number: 'CS-001' is not a party card number; write its 8 digits" -- \
    "$cellsync" member add --name 'Lò Thị Mai' --card-no CS-001
equal "records after the refusals" "0 0" "$(count candidate) $(count member)"

# ---- stored normalised ----
expect 0 stdout "^added candidate [0-9a-f]\{8\}\$" -- "$cellsync" candidate add \
    --name 'Nguyễn Văn Sỹ' --birth-date 15/03/2000 --phone '0912 345 678' \
    --citizen-id '001 200 012 345' --sex Female --source 'youth union member'
k=$(added_id)
expect 0 stdout '"phone":"0912345678"' -- "$cellsync" candidate show "$k" --json
expect 0 stdout '"citizen_id":"001200012345"' -- "$cellsync" candidate show "$k" --json
expect 0 stdout '"sex":"female"' -- "$cellsync" candidate show "$k" --json
expect 0 stdout '"source":"youth_union"' -- "$cellsync" candidate show "$k" --json
expect 0 stdout "^changed candidate" -- "$cellsync" candidate edit "$k" --phone '+84 912.345.679' \
    --sex male
expect 0 stdout '"phone":"0912345679"' -- "$cellsync" candidate show "$k" --json
expect 1 stderr "phone: '12' is not a Vietnamese phone number" -- \
    "$cellsync" candidate edit "$k" --phone 12
expect 0 stdout '"phone":"0912345679"' -- "$cellsync" candidate show "$k" --json
expect 0 stdout "^added member [0-9a-f]\{8\}\$" -- "$cellsync" member add --name 'Lò Thị Mai' \
    --birth-date 1975-04-12 --card-no '1234 5678' --status 'transferred out' --phone '(0214) 3852 123'
m=$(added_id)
expect 0 stdout '"card_no":"12345678"' -- "$cellsync" member show "$m" --json
expect 0 stdout '"status":"transferred_out"' -- "$cellsync" member show "$m" --json
expect 0 stdout '"phone":"02143852123"' -- "$cellsync" member show "$m" --json
# A label filters a list as its code does.
expect 0 stdout "Lò Thị Mai" -- "$cellsync" member list --status 'Transferred Out'

# ---- choices: labels, codes, and what a wrong one says ----
expect 1 stderr "sex: 'robot' is not one of: male, female\$" -- \
    "$cellsync" candidate add --name X --sex robot
expect 1 stderr "source category: 'youth_unoin' is not one of: youth union member (youth_union), militia, " -- \
    "$cellsync" candidate add --name X --source youth_unoin
expect 1 stderr "; did you mean 'youth union member'?\$" -- \
    "$cellsync" candidate add --name X --source youth_unoin
expect 1 stderr "kind: 'annual' is not one of: regular monthly (regular), thematic\$" -- \
    "$cellsync" meeting add --date 2026-02-28 --kind annual
# The --help list is whole (it was cut at 96 bytes, in the middle of a code).
expect 0 stdout "religious follower, farmer or business person (farmer_business), other\$" -- \
    "$cellsync" candidate add --help
expect 0 stdout "--duplicate-ok" -- "$cellsync" member add --help

# ---- the same person twice in the cell ----
expect 1 stderr "there is already a candidate with the same name and date of birth: $k Nguyễn Văn Sỹ; if this is another person, run the command again with --duplicate-ok" -- \
    "$cellsync" candidate add --name 'nguyen  van SY' --birth-date 2000-03-15
# A candidate who is already a member, and the other way round.
expect 1 stderr "there is already a member with the same name and date of birth: $m Lò Thị Mai" -- \
    "$cellsync" candidate add --name 'Lò Thị Mai' --birth-date 12/04/1975
expect 1 stderr "there is already a candidate with the same name and date of birth: $k" -- \
    "$cellsync" member add --name 'Nguyễn Văn Sỹ' --birth-date 2000-03-15
equal "records after the duplicates" "1 1" "$(count candidate) $(count member)"
# An edit that makes two records one person is refused too.
expect 0 stdout "^added candidate" -- "$cellsync" candidate add --name 'Nguyễn Văn Sỹ' \
    --birth-date 2000-03-16
k2=$(added_id)
expect 1 stderr "there is already a candidate with the same name and date of birth: $k" -- \
    "$cellsync" candidate edit "$k2" --birth-date 2000-03-15
# Told it is another person: recorded.
expect 0 stdout "^added candidate" -- "$cellsync" candidate add --name 'Nguyễn Văn Sỹ' \
    --birth-date 2000-03-15 --duplicate-ok
# The same within a cell; the same name and birth date in another cell is another person.
expect 0 stdout "^added candidate" -- "$cellsync" candidate add --name 'Hà Thị Ba' \
    --birth-date 1990-01-01 --org YB01
b=$(added_id)
expect 1 stderr "there is already a candidate with the same name and date of birth: $b" -- \
    "$cellsync" candidate add --name 'Hà Thị Ba' --birth-date 1990-01-01 --org YB01
expect 0 stdout "^added candidate" -- "$cellsync" candidate add --name 'Hà Thị Ba' \
    --birth-date 1990-01-01 --org YB02
equal "candidates" 5 "$(count candidate)"

# ---- in Vietnamese ----
expect 0 stdout "^đã thêm đảng viên [0-9a-f]\{8\}\$" -- vi member add --name 'Đinh Văn Thắng' \
    --sex nam --status 'chính thức' --birth-date 02/09/1968
t=$(sed -n 's/^đã thêm đảng viên \([0-9a-f]\{8\}\)$/\1/p' "$out")
expect 0 stdout '"sex":"male"' -- "$cellsync" member show "$t" --json
expect 0 stdout '"status":"official"' -- "$cellsync" member show "$t" --json
# Without case and, where it names one choice, without marks.
expect 0 stdout "^đã thêm quần chúng ưu tú" -- vi candidate add --name 'Giàng Thị Dợ' \
    --sex NU --source 'đoàn viên' --birth-date 5/6/2001
g=$(sed -n 's/.* \([0-9a-f]\{8\}\)$/\1/p' "$out")
expect 0 stdout '"source":"youth_union"' -- "$cellsync" candidate show "$g" --json
expect 0 stdout '"sex":"female"' -- "$cellsync" candidate show "$g" --json
expect 0 stdout "^đã thêm quần chúng ưu tú" -- vi candidate add --name 'Vàng A Pao' \
    --source 'sinh vien' --birth-date 2004-01-01
expect 1 stderr "giới tính: 'robot' không thuộc các lựa chọn: nam (male), nữ (female)\$" -- \
    vi member add --name Y --sex robot
expect 1 stderr "nguồn phát triển: 'doan vin' không thuộc các lựa chọn: đoàn viên (youth_union); dân quân (militia); .*; có phải ý bạn là 'đoàn viên'?" -- \
    vi candidate add --name Y --source 'doan vin'
expect 1 stderr "số căn cước: 'abc' không phải là số căn cước; hãy viết 12 chữ số" -- \
    vi candidate add --name Y --citizen-id abc
expect 1 stderr "ngày sinh: '2030-01-01' là ngày sau hôm nay" -- \
    vi candidate add --name Y --birth-date 2030-01-01
expect 1 stderr "điện thoại: 'xyz' không phải là số điện thoại Việt Nam" -- \
    vi candidate add --name Y --phone xyz
expect 1 stderr "đã có quần chúng ưu tú cùng họ tên và ngày sinh: $k Nguyễn Văn Sỹ; nếu đây là người khác, hãy chạy lại lệnh với --duplicate-ok" -- \
    vi candidate add --name 'Nguyễn Văn Sỹ' --birth-date 15/03/2000
expect 0 stdout "vẫn ghi người này" -- vi candidate add --help

# ---- the age rule at the cell resolution, counted in months ----
for s in 'Hà Văn Một' 'Hà Văn Hai'; do
    expect 0 stdout "^added member" -- "$cellsync" member add --name "$s" --status official \
        --birth-date 1980-01-01
done
sp1=$("$cellsync" member list | sed -n 's/^\([0-9a-f]\{8\}\)  Hà Văn Một .*/\1/p')
sp2=$("$cellsync" member list | sed -n 's/^\([0-9a-f]\{8\}\)  Hà Văn Hai .*/\1/p')
# 18 on 2026-03-15: one day short at the cell resolution on 2026-03-14.
expect 0 stdout "^added candidate" -- env CELLSYNC_TODAY=2025-09-01 "$cellsync" candidate add \
    --name 'Lường Văn Trẻ' --birth-date 2008-03-15
y=$(added_id)
expect 0 stdout "now at" -- "$cellsync" candidate advance "$y" --helper "$sp1" --date 2025-10-01
expect 0 stdout "now at" -- "$cellsync" candidate advance "$y" --to class_passed --date 2025-11-01
expect 0 stdout "now at" -- "$cellsync" candidate advance "$y" --to applied --date 2025-12-01
expect 0 stdout "now at" -- "$cellsync" candidate advance "$y" --to biography_verified --date 2026-01-05
expect 1 stderr "the candidate is 17 years and 11 months old on 14/03/2026; the rule needs 18 to 60 years" -- \
    "$cellsync" candidate advance "$y" --to cell_resolution --date 2026-03-14 --sponsor "$sp1" --sponsor2 "$sp2"
expect 1 stderr "17 tuổi 11 tháng vào ngày 14/03/2026" -- \
    vi candidate advance "$y" --to cell_resolution --date 2026-03-14 --sponsor "$sp1" --sponsor2 "$sp2"
expect 0 stdout "now at 'cell resolution'" -- "$cellsync" candidate advance "$y" --to cell_resolution --date 2026-03-14 \
    --sponsor "$sp1" --sponsor2 "$sp2" --force --reason 'đủ 18 tuổi vào ngày hôm sau'
expect 0 stdout '"rule":"age"' -- "$cellsync" candidate show "$y" --json

summary
