#!/bin/sh
# SPDX-License-Identifier: MIT
# A candidate's whole path through the real `cellsync` binary in a temp data
# directory: identified -> helper -> class -> application -> verification ->
# cell and grassroots resolutions -> decision -> ceremony (a late one, let
# through with --force and a reason, kept as an exception) -> official
# member; with a meeting and assessments, search with and without
# diacritics, the due list, and refusals that leave the records unchanged.
set -u
cellsync=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
home=$dir/home
mkdir "$home"
export CELLSYNC_HOME="$home" CELLSYNC_TODAY=2024-12-02

on home 0 "created the records" -- init --org CB-05

# Three official members: the helper and two sponsors.
on home 0 "added member" -- member add --name "Đinh Văn Thắng" --status official --birth-date 1970-02-01
helper=$(added_id)
on home 0 "added member" -- member add --name "Hoàng Thị Mai" --status official
sp1=$(added_id)
on home 0 "added member" -- member add --name "Vàng A Páo" --status official
sp2=$(added_id)

on home 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 15/03/2000 \
    --sex male --source youth_union --hometown "Bản Khe Ván, xã Mường Lý" --phone 0912345678
k=$(added_id)
[ -n "$k" ] && ok || bad "no candidate id printed"
on home 0 "identified" -- candidate show "$k"

# The first advance needs its helper; a wrong stage name is refused.
on home 2 "--helper: the helper stage needs" -- candidate advance "$k" --date 2025-01-10
on home 1 "next stage" -- candidate advance "$k" --to decision --helper "$helper"
on home 0 "helper assigned" -- candidate advance "$k" --helper "$helper" --date 2025-01-10
on home 0 "awareness class passed" -- candidate advance "$k" --to class_passed --date 2025-02-01
on home 0 "application and biography" -- candidate advance "$k" --to applied --date 2025-03-01
on home 0 "biography verified" -- candidate advance "$k" --to biography_verified --date 2025-04-01

# Cell resolution: one sponsor is not enough without a youth-union resolution.
on home 1 "sponsor" -- candidate advance "$k" --to cell_resolution --date 2025-05-05 --sponsor "$sp1"
# The months each sponsor has known the candidate: not a number, or without its sponsor,
# refused naming the option; under 12 refused by the rule; nothing stored until it passes.
adv="candidate advance $k --to cell_resolution --date 2025-05-05"
# shellcheck disable=SC2086 # $adv is words without spaces
on home 2 "--sponsor1-months: 'mười hai' is not a number of months from 0 to 1200" -- $adv \
    --sponsor "$sp1" --sponsor2 "$sp2" --sponsor1-months "mười hai"
# shellcheck disable=SC2086
on home 2 "--sponsor2-months: the months known are those of sponsor 2: choose that sponsor too" \
    -- $adv --sponsor "$sp1" --sponsor2-months 24
# shellcheck disable=SC2086
on home 1 "sponsor 1 has known the candidate for 5 months; the rule needs 12 months (use --force" \
    -- $adv --sponsor "$sp1" --sponsor2 "$sp2" --sponsor1-months 5 --sponsor2-months 24
on home 0 '"stage":"biography_verified"' -- candidate show "$k" --json
# shellcheck disable=SC2086
on home 0 "cell resolution" -- $adv --sponsor "$sp1" --sponsor2 "$sp2" --sponsor1-months 12 \
    --sponsor2-months 30
on home 0 '"sponsor1_months":12,"sponsor2_months":30' -- candidate show "$k" --json
on home 0 "months the second sponsor has known the candidate: *30" -- candidate show "$k"
on home 0 "grassroots resolution" -- candidate advance "$k" --to grassroots_resolution --date 2025-05-20
on home 0 "admission decision" -- candidate advance "$k" --to decision --date 2025-06-02

# The due list now has the ceremony deadline (30 working days after the decision).
export CELLSYNC_TODAY=2025-06-20
on home 0 "Nguyễn Văn Sỹ" -- due
export CELLSYNC_TODAY=2025-07-20
on home 0 "overdue" -- due

# A ceremony 2 months after the decision breaks the 30-working-day rule...
"$cellsync" candidate show "$k" --json >"$home/before.json" 2>"$err"
on home 1 "force" -- candidate advance "$k" --to ceremony --date 2025-08-01
"$cellsync" candidate show "$k" --json >"$home/after.json" 2>"$err"
cmp -s "$home/before.json" "$home/after.json" && ok || bad "a refused advance changed the record"
# ...a --force needs a reason, and with one it is recorded as an exception.
on home 2 "reason" -- candidate advance "$k" --to ceremony --date 2025-08-01 --force
on home 0 "now at 'ceremony'" -- candidate advance "$k" --to ceremony --date 2025-08-01 --force --reason "người được kết nạp ốm, hoãn lễ"
on home 0 "ceremony_deadline" -- candidate show "$k" --json
on home 0 "hoãn lễ" -- candidate show "$k"

# The ceremony made a probationary member of the same person.
on home 0 "probationary" -- member list
# Official membership: not before 12 months of probation.
on home 1 "12 months" -- candidate advance "$k" --to official --date 2026-05-04
on home 0 "official member" -- candidate advance "$k" --to official --date 2026-08-03
on home 1 "no further stage" -- candidate advance "$k" --to withdrawn --date 2026-09-01
"$cellsync" member list --json >"$out" 2>"$err"
grep -q '"official"' "$out" && grep -q 'Nguyễn Văn Sỹ' "$out" && ok || bad "the new member is not official"

# From paper: the months go with the sponsors to the cell resolution's step, judged there.
paper="--birth-date 1995-01-01 --identified-on 2024-01-05 --helper-on 2024-02-01 --class-on 2024-03-01
--applied-on 2024-04-01 --verified-on 2024-05-01 --cell-resolution-on 2024-06-03"
# shellcheck disable=SC2086 # $paper is options and dates without spaces
on home 1 "the step 'cell resolution': sponsor 2 has known the candidate for 3 months" -- \
    candidate add --name "Giàng Thị Dợ" $paper --helper "$helper" --sponsor "$sp1" \
    --sponsor2 "$sp2" --sponsor1-months 24 --sponsor2-months 3
# shellcheck disable=SC2086
on home 2 "--sponsor1-months: the months known are those of sponsor 1" -- candidate add \
    --name "Giàng Thị Dợ" $paper --helper "$helper" --sponsor2 "$sp2" --sponsor1-months 24
# shellcheck disable=SC2086
on home 0 "now at 'cell resolution'" -- candidate add --name "Giàng Thị Dợ" $paper \
    --helper "$helper" --sponsor "$sp1" --sponsor2 "$sp2" --sponsor1-months 24 --sponsor2-months 14
on home 0 '"sponsor1_months":24,"sponsor2_months":14' -- candidate show "Giàng Thị Dợ" --json

# A young candidate fails the age rule at the cell resolution, by name.
export CELLSYNC_TODAY=2024-12-02
on home 0 "added candidate" -- candidate add --name "Lò Thị Hoa" --birth-date 2008-05-01 --sex female
y=$(added_id)
"$cellsync" candidate advance "$y" --helper "$helper" --date 2025-01-10 >/dev/null 2>&1
for step in class_passed:2025-02-01 applied:2025-03-01 biography_verified:2025-04-01; do
    "$cellsync" candidate advance "$y" --to "${step%%:*}" --date "${step#*:}" >/dev/null 2>&1
done
on home 1 "18" -- candidate advance "$y" --to cell_resolution --date 2025-05-05 --sponsor "$sp1" --sponsor2 "$sp2"
# A withdrawal is not dated in the future, nor before the stage reached.
export CELLSYNC_TODAY=2025-06-10
on home 1 "after today" -- candidate withdraw "$y" --date 2025-06-11 --reason "chuyển đi nơi khác"
on home 1 "before" -- candidate withdraw "$y" --date 2025-03-31 --reason "chuyển đi nơi khác"
on home 0 "withdrawn" -- candidate withdraw "$y" --date 2025-06-01 --reason "chuyển đi nơi khác"
on home 1 "cannot be withdrawn" -- candidate withdraw "$y" --reason again

# A meeting with minutes and an assessment of the candidate.
printf 'Chi bộ họp thường kỳ tháng 7.\nĐồng chí Sỹ tiến bộ rõ rệt trong công tác thanh niên.\n' >"$home/minutes.txt"
on home 0 "added meeting" -- meeting add --date 2025-07-01 --agenda "Sinh hoạt thường kỳ" --minutes "@$home/minutes.txt"
m=$(added_id)
on home 0 "" -- meeting assess "$m" "$k" --strengths "Nhiệt tình" --weaknesses "Còn rụt rè" --next-steps "Giao nhiệm vụ đoàn"
on home 0 "Nhiệt tình" -- meeting show "$m"

# Search, with and without diacritics, names and minutes.
on home 0 "Nguyễn Văn Sỹ" -- search "nguyen van sy"
on home 0 "Nguyễn Văn Sỹ" -- search "Nguyễn Văn Sỹ"
on home 0 "Đinh Văn Thắng" -- search dinh
on home 0 "meeting" -- search "tien bo"

# Bad input: clear errors, nothing stored changes.
"$cellsync" candidate list --all --json >"$home/before.json" 2>/dev/null
on home 1 "no candidate with id 'ffffffff'" -- candidate show ffffffff
on home 1 "is not a date" -- candidate edit "$k" --birth-date 31/02/2000
on home 1 "is not one of" -- candidate edit "$k" --source astronaut
on home 1 "a candidate needs a full name" -- candidate edit "$k" --name ""
on home 1 "a candidate needs a full name" -- candidate add --name ""
on home 2 "unknown option" -- candidate add --name X --colour blue
on home 2 "missing" -- candidate show
on home 1 "not a record id" -- candidate show "zz-top"
"$cellsync" candidate list --all --json >"$home/after.json" 2>/dev/null
cmp -s "$home/before.json" "$home/after.json" && ok || bad "refused input changed the records"

# A database another program holds open for writing is reported as such. The other
# program holds its lock from before cellsync starts until cellsync has answered (however
# long that takes: under valgrind, make test-valgrind, seconds), 60 s at most.
if command -v python3 >/dev/null 2>&1; then
    python3 - "$home/replica.db" "$home/locked" "$home/release" <<'EOF' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
for _ in range(1200):
    if os.path.exists(sys.argv[3]):
        break
    time.sleep(0.05)
EOF
    for _ in $(seq 1 200); do [ -e "$home/locked" ] && break; sleep 0.05; done
    on home 1 "in use by another program" -- candidate add --name "Khóa Sổ"
    : >"$home/release"
    wait
fi

summary
