#!/bin/sh
# SPDX-License-Identifier: MIT
# A secretary's corrections through the real `cellsync` binary: delete and
# undelete of candidates, members, meetings and a meeting's rows (kept for
# review, with when and by which device), meeting edit, a candidate's step
# undone with a reason, `advance` run twice by mistake, options given at the
# wrong step, and records kept on paper entered with the dates of their past
# steps (in date order, no exception needed).
set -u
cellsync=$1 fixture=$2
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
export CELLSYNC_HOME="$dir/home" CELLSYNC_TODAY=2026-03-02

on home 0 "created the records" -- init --org CB-05
on home 0 "added member" -- member add --name "Đinh Văn Thắng" --status official
helper=$(added_id)
on home 0 "added member" -- member add --name "Hoàng Thị Mai" --status official
sp1=$(added_id)
on home 0 "added member" -- member add --name "Vàng A Páo" --status official
sp2=$(added_id)

# ---- advance run twice (up-arrow, Enter), and options at the wrong step ----
on home 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 2000-03-15
k=$(added_id)
on home 0 "now at 'helper assigned'" -- candidate advance "$k" --helper "$helper"
on home 1 "changed today already, to 'helper assigned'" -- candidate advance "$k" --helper "$helper"
on home 0 "^identified\|helper_assigned" -- candidate show "$k" --json
grep -q '"stage":"helper_assigned"' "$out" && ok || bad "the second advance moved the candidate"
on home 1 "changed today already" -- candidate advance "$k"
on home 2 "\-\-helper: the helper is recorded at the step 'helper assigned', not at 'awareness class passed'" \
    -- candidate advance "$k" --to class_passed --helper "$helper"
on home 2 "\-\-sponsor: the sponsor is recorded at the step 'cell resolution', not at 'awareness class passed'" \
    -- candidate advance "$k" --to class_passed --sponsor "$sp1"
on home 0 "now at 'awareness class passed'" -- candidate advance "$k" --to class_passed

# ---- undo a step, with a reason ----
on home 2 "\-\-reason is required" -- candidate undo "$k"
on home 0 "back at 'helper assigned': the step 'awareness class passed' was undone" -- \
    candidate undo "$k" --reason "nhầm bước"
on home 0 "back at 'identified': the step 'helper assigned' was undone" -- \
    candidate undo "$k" --reason "chưa phân công"
"$cellsync" candidate show "$k" --json >"$out" 2>"$err"
grep -q '"stage":"identified"' "$out" && grep -q '"helper":null' "$out" &&
    grep -q '"helper_on":null' "$out" && grep -q '"class_on":null' "$out" && ok ||
    bad "undo did not clear the steps' dates and helper"
grep -q '"reason":"chưa phân công"' "$out" && ok || bad "the undo's reason is not on the record"
on home 0 "steps undone:" -- candidate show "$k"
grep -q "helper assigned .*chưa phân công" "$out" && ok || bad "show does not list the undone step"
on home 1 "there is no step to undo" -- candidate undo "$k" --reason "again"
# After an undo, the step is named to take it again.
on home 1 "changed today already" -- candidate advance "$k" --helper "$helper"
on home 0 "now at 'helper assigned'" -- candidate advance "$k" --to helper_assigned --helper "$sp1"

# ---- the ceremony undone: its member record is deleted, kept for review ----
on home 0 "added candidate" -- candidate add --name "Lò Văn Pằng" --birth-date 1990-01-01 \
    --identified-on 2024-01-05 --helper-on 2024-02-01 --helper "$helper" --class-on 2024-03-01 \
    --applied-on 2024-04-01 --verified-on 2024-05-01 --cell-resolution-on 2024-06-03 \
    --sponsor "$sp1" --sponsor2 "$sp2" --grassroots-resolution-on 2024-06-20 \
    --decision-on 2024-07-01 --ceremony-on 2024-07-15
p=$(added_id)
grep -q "is now at 'ceremony' (15/07/2024)" "$out" && ok || bad "add with past steps: no stage line"
on home 0 "Lò Văn Pằng" -- member list
on home 0 "back at 'admission decision'" -- candidate undo "$p" --reason "lễ kết nạp chưa tổ chức"
"$cellsync" member list >"$out" 2>"$err"
grep -q "Lò Văn Pằng" "$out" && bad "the ceremony's member is still listed" || ok
on home 0 "Lò Văn Pằng" -- member list --deleted
"$cellsync" candidate show "$p" --json >"$out" 2>"$err"
grep -q '"ceremony_on":null' "$out" && grep -q '"member":null' "$out" && ok ||
    bad "the ceremony's date or member link survived its undo"

# ---- records kept on paper ----
# The identification date is the one on paper; later steps by date need no exception.
on home 0 "added candidate" -- candidate add --name "Hà Thị Dung" --birth-date 1998-07-07 \
    --identified-on 15/01/2025
d=$(added_id)
on home 0 "now at 'helper assigned' (10/02/2025)" -- candidate advance "$d" --helper "$helper" --date 2025-02-10
on home 0 "now at 'awareness class passed' (20/03/2025)" -- candidate advance "$d" --to class_passed --date 20/03/2025
# The same line again (up-arrow, Enter): the same date as the current stage's is refused.
on home 1 "changed today already" -- candidate advance "$d" --date 20/03/2025
# The next step of the paper history, with its own date, needs no --to.
on home 0 "now at 'application and biography' (02/04/2025)" -- candidate advance "$d" --date 02/04/2025
# A stage is named by its label as well as its code, in --to and in list --stage.
on home 0 "now at 'biography verified' (03/04/2025)" -- \
    candidate advance "$d" --to "Biography Verified" --date 03/04/2025
on home 0 "Hà Thị Dung" -- candidate list --stage "biography verified"
on home 1 "\-\-to: 'ceremoni' is not one of" -- candidate advance "$d" --to ceremoni
"$cellsync" candidate show "$d" >"$out" 2>"$err"
grep -q "^identified on: *15/01/2025" "$out" && ok || bad "the identification date is not the one given"
grep -q "exceptions to the rules" "$out" && bad "a history in date order filed an exception" || ok
# Steps out of order, a step without its date, a date in the future: refused, nothing stored.
"$cellsync" candidate list --all --json >"$dir/before.json" 2>/dev/null
on home 1 "cannot record the step 'awareness class passed': the date 01/02/2024 is before 01/03/2024" -- \
    candidate add --name "Sai Thứ Tự" --identified-on 2024-01-01 --helper-on 2024-03-01 \
    --helper "$helper" --class-on 2024-02-01
on home 2 "\-\-helper-on: the step 'helper assigned' needs its date, since a later step has one" -- \
    candidate add --name "Thiếu Ngày" --identified-on 2024-01-01 --class-on 2024-02-01
on home 2 "\-\-identified-on: the date 01/01/2027 is after today" -- \
    candidate add --name "Tương Lai" --identified-on 2027-01-01
# Every step of the past, not only the first: none in the future, each with its date.
on home 2 "\-\-class-on: the date 01/01/2027 is after today" -- \
    candidate add --name "Tương Lai" --identified-on 2024-01-01 --helper-on 2024-01-10 \
    --helper "$helper" --class-on 2027-01-01
on home 2 "\-\-identified-on: the step 'identified' needs its date, since a later step has one" -- \
    candidate add --name "Không Ngày Đầu" --helper-on 2024-01-10 --helper "$helper"
on home 2 "\-\-helper: the helper is recorded at the step 'helper assigned', not at 'identified'" -- \
    candidate add --name "Sớm Quá" --helper "$helper"
on home 2 "\-\-class-on is the date of the step 'awareness class passed', after the stage 'helper assigned'" -- \
    candidate add --name "Quá Bước" --stage helper_assigned --helper-on 2024-01-02 --class-on 2024-01-03
"$cellsync" candidate list --all --json >"$dir/after.json" 2>/dev/null
cmp -s "$dir/before.json" "$dir/after.json" && ok || bad "a refused add stored something"
# With --force and a reason a rule is waived for a paper record, and the exception kept.
on home 0 "exception recorded" -- candidate add --name "Ngoại Lệ" --birth-date 2010-01-01 \
    --identified-on 2024-01-01 --helper-on 2024-01-10 --helper "$helper" --class-on 2024-02-01 \
    --applied-on 2024-03-01 --verified-on 2024-04-01 --cell-resolution-on 2024-05-01 \
    --sponsor "$sp1" --sponsor2 "$sp2" --force --reason "hồ sơ giấy"
on home 0 "age" -- candidate show "$(added_id)" --json

# ---- delete and undelete ----
on home 0 "deleted candidate $d 'Hà Thị Dung'" -- candidate delete "$d"
grep -q "to undo it: cellsync candidate undelete $d" "$out" && ok || bad "delete does not say how to undo it"
"$cellsync" candidate list --all >"$out" 2>"$err"
grep -q "Hà Thị Dung" "$out" && bad "a deleted candidate is still listed" || ok
on home 0 "^$d  Hà Thị Dung  .*this device" -- candidate list --deleted
on home 0 '"deleted_at":"20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]","deleted_by":"' -- candidate list --deleted --json
on home 0 "^deleted on: *[0-3][0-9]/[01][0-9]/20[0-9][0-9] [0-2][0-9]:[0-5][0-9], by this device" -- candidate show "$d"
grep -q "to restore it: cellsync candidate undelete $d" "$out" && ok || bad "show of a deleted record"
on home 1 "no candidate with id" -- candidate delete "$d"
on home 1 "no candidate with id" -- candidate advance "$d" --to biography_verified
on home 0 "restored candidate $d 'Hà Thị Dung'" -- candidate undelete "Hà Thị Dung"
on home 1 "no deleted candidate matches" -- candidate undelete "$d"
on home 0 "Hà Thị Dung" -- candidate list
# A deleted record is named the ways a live one is: its name without marks or case.
on home 0 "deleted candidate $d" -- candidate delete "ha thi dung"
on home 0 "^deleted on:" -- candidate show "HA THI DUNG"
on home 0 "restored candidate $d 'Hà Thị Dung'" -- candidate undelete "ha thi dung"
# The delete is a write like any other: a version of the row life, from this device.
[ "$(sql home "SELECT count(*) FROM cs_version WHERE tbl = 'candidate' AND col = '_cl'")" -ge 2 ] &&
    ok || bad "no row-life versions for the delete and undelete"

on home 0 "added member" -- member add --name "Trùng Tên"
dup=$(added_id)
on home 0 "deleted member $dup 'Trùng Tên'" -- member delete "$dup"
on home 0 "^$dup  Trùng Tên" -- member list --deleted
on home 0 "^deleted on:" -- member show "$dup"
on home 0 "restored member $dup" -- member undelete "$dup"
on home 0 "Trùng Tên" -- member list

# ---- meetings: edit, delete, and the rows of a meeting ----
on home 0 "added meeting" -- meeting add --date 2026-03-01 --agenda "Họp thường kỳ"
mt=$(added_id)
on home 0 "changed meeting $mt" -- meeting edit "$mt" --agenda "Họp thường kỳ tháng 3" --kind thematic
on home 0 "^agenda: *Họp thường kỳ tháng 3$" -- meeting show "$mt"
grep -q "^kind: *thematic" "$out" && ok || bad "meeting edit did not change the kind"
on home 2 "give at least one field" -- meeting edit "$mt"
on home 0 "recorded" -- meeting attend "$mt" "$helper" --present
on home 0 "deleted the attendance of 'Đinh Văn Thắng'" -- meeting delete-attendance "$mt" "$helper"
on home 0 "" -- meeting show "$mt" --json
grep -q '"attendance":\[\]' "$out" && ok || bad "the deleted attendance is still shown"
on home 1 "no attendance of 'Đinh Văn Thắng'" -- meeting delete-attendance "$mt" "$helper"
on home 0 "added assessment" -- meeting assess "$mt" "$k" --strengths "Nhiệt tình"
as=$(sed -n 's/^added assessment \([0-9a-f]\{8\}\) .*/\1/p' "$out")
on home 0 "Nhiệt tình .* $as\$" -- meeting show "$mt"
on home 0 "deleted assessment $as" -- meeting delete-assessment "$as"
on home 0 '"assessments":\[\]' -- meeting show "$mt" --json
on home 0 "restored assessment $as" -- meeting undelete-assessment "$as"
on home 0 "Nhiệt tình" -- meeting show "$mt"
on home 0 "deleted meeting $mt '01/03/2026'" -- meeting delete "$mt"
"$cellsync" meeting list >"$out" 2>"$err"
grep -q "$mt" "$out" && bad "a deleted meeting is still listed" || ok
on home 0 "^$mt  01/03/2026 Họp thường kỳ tháng 3  [0-3][0-9]/[01][0-9]/20[0-9][0-9] [0-2][0-9]:[0-5][0-9]" -- meeting list --deleted
on home 0 "restored meeting $mt" -- meeting undelete "$mt"

summary
