#!/bin/sh
# SPDX-License-Identifier: MIT
# Holidays through the real binaries with a live hub: Tết and the Hùng Kings' day are
# built in from the lunar calendar, so a deadline across Tết 2027 (6 February, Tết
# Đinh Mùi) moves by its days off; the days the hub announces with `cellsyncd
# holiday` (a day off, a Saturday worked) reach every laptop of the hub with its next
# sync, and laptop and hub then count the same deadline; removing one takes it back.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
export CELLSYNC_TODAY=2026-08-03

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CB-02,XA-ML,cell,village,"Chi bộ bản Pù Quăn"
EOF
hubdo 0 "" -- init --org-tree "$dir/tree.csv"

# The built-in days of 2027, listed with the year (dates as DD/MM/YYYY): Tết from 29 Chạp
# (5/2) to 4 Tết (9/2).
hubdo 0 "Tết" -- holiday list --year 2027
for d in 05/02/2027 06/02/2027 09/02/2027 16/04/2027 01/09/2027; do
    grep -q "$d" "$out" && ok || bad "holiday list --year 2027 lacks $d"
done
grep -q "10/02/2027" "$out" && bad "10/02/2027 listed before it was added" || ok
hubdo 2 "add, remove or list" -- holiday
hubdo 2 "not add, remove or list" -- holiday move 2027-02-10
hubdo 2 "give the date and the name" -- holiday add 2027-02-10
hubdo 2 "not a day of the calendar" -- holiday add 30/02/2027 "Nghỉ bù"
hubdo 1 "no holiday is set on 10/02/2027" -- holiday remove 2027-02-10

start_hub "$dir/hub"
for d in a:CB-01 b:CB-02; do
    name=${d%%:*} org=${d#*:}
    hubdo 0 "" -- enroll --org "$org" --role cell --name "máy $name" --addr "$addr" \
        --out "$dir/$name.enroll"
    on "$name" 0 "created" -- init
    on "$name" 0 "enrolled" -- enroll "$dir/$name.enroll"
done

# A candidate of cell 1 at the cell's resolution on Tuesday 15/12/2026: the admission
# decision is due 60 working days later.
on a 0 "added member" -- member add --name "Đinh Văn Thắng" --status official
helper=$(added_id)
on a 0 "added member" -- member add --name "Hoàng Thị Mai" --status official
sp1=$(added_id)
on a 0 "added member" -- member add --name "Vàng A Páo" --status official
sp2=$(added_id)
on a 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 15/03/2000 \
    --sex male --source youth_union
k=$(added_id)
on a 0 "" -- candidate advance "$k" --helper "$helper" --date 2026-09-01
on a 0 "" -- candidate advance "$k" --date 2026-09-15
on a 0 "" -- candidate advance "$k" --date 2026-10-01
on a 0 "" -- candidate advance "$k" --date 2026-11-02
on a 0 "cell resolution" -- candidate advance "$k" --date 2026-12-15 --sponsor "$sp1" \
    --sponsor2 "$sp2"
export CELLSYNC_TODAY=2026-12-16

# Lists show dates as DD/MM/YYYY; --json keeps ISO; help says what to type.
on a 0 "^$k  Nguyễn Văn Sỹ  15/03/2000  " -- candidate list
on a 0 '"birth_date":"2000-03-15"' -- candidate list --json
on a 0 "cell resolution on: *15/12/2026" -- candidate show "$k"
on a 0 "--birth-date DD/MM/YYYY" -- member add --help

# due_on DEVICE: the decision's due date on a laptop (ISO, from --json).
due_on() {
    CELLSYNC_HOME="$dir/$1" "$cellsync" due --json 2>"$err" |
        sed -n 's/.*"kind":"decision","deadline":"[^"]*","due":"\([0-9-]*\)".*/\1/p'
}
# due_at_hub: the same deadline in the hub's due report.
due_at_hub() {
    CELLSYNC_TODAY=2027-02-01 "$cellsyncd" report due --format json --state "$dir/hub" \
        2>"$err" >"$dir/due.json"
    sed -n 's/.*"deadline":"decision","due":"\([0-9-]*\)".*/\1/p' "$dir/due.json"
}

# Without Tết counted the decision would be due on 10/03/2027; Tết takes three working
# days (Friday 5/2, Monday 8/2, Tuesday 9/2).
equal "decision due across Tết 2027" 2027-03-15 "$(due_on a)"
on a 0 "15/03/2027" -- due

# The hub announces a day off in lieu (Wednesday 10/2): after a sync both count it.
hubdo 0 "10/02/2027 is a day off" -- holiday add 10/02/2027 "Nghỉ bù Tết Đinh Mùi"
on a 0 "synced" -- sync
on b 0 "synced" -- sync
equal "decision due with the hub's day off, laptop" 2027-03-16 "$(due_on a)"
equal "decision due with the hub's day off, hub" 2027-03-16 "$(due_at_hub)"
# The day reaches every cell of the hub, not only the one with a candidate.
equal "cell 2 received the holiday" 1 "$(sql b "SELECT count(*) FROM holiday WHERE cl % 2 = 1")"
# A cell laptop cannot write a holiday (the committee's record).
equal "the holiday is the hub's root unit's" XA-ML "$(sql a "SELECT org_unit FROM holiday")"

# A Saturday worked in exchange (13/2) gives the day back.
hubdo 0 "13/02/2027 is a working day" -- holiday add 2027-02-13 "Làm bù" --working
hubdo 0 "^13/02/2027  working day  Làm bù  *XA-ML$" -- holiday list
on a 0 "synced" -- sync
equal "decision due with a Saturday worked, laptop" 2027-03-15 "$(due_on a)"
equal "decision due with a Saturday worked, hub" 2027-03-15 "$(due_at_hub)"

# Removed at the hub, removed everywhere.
hubdo 0 "removed" -- holiday remove 13/02/2027
on a 0 "synced" -- sync
equal "decision due after the Saturday is removed" 2027-03-16 "$(due_on a)"
hubdo 0 "removed" -- holiday remove 10/02/2027
on a 0 "synced" -- sync
equal "decision due after the removals, laptop" 2027-03-15 "$(due_on a)"
equal "no holiday left on the laptop" 0 "$(sql a "SELECT count(*) FROM holiday WHERE cl % 2 = 1")"
# Set again, it comes back.
hubdo 0 "day off" -- holiday add 2027-02-10 "Nghỉ bù Tết Đinh Mùi"
on a 0 "synced" -- sync
equal "decision due with the day off set again" 2027-03-16 "$(due_on a)"

# The laptop lists the days it counts with: built in, the hub's, and its own file's.
printf '# nghỉ bù của xã\n2027-07-01\n' >"$dir/a/holidays"
on a 0 "^10/02/2027  day off  *Nghỉ bù Tết Đinh Mùi  *XA-ML$" -- holidays --year 2027
grep -q "^06/02/2027  built in  *Tết" "$out" && ok || bad "holidays: no Tết 2027"
grep -q "^01/07/2027  day off, this computer only" "$out" && ok || bad "holidays: not its own file's day"
grep -q "13/02/2027" "$out" && bad "holidays: a removed day is listed" || ok
on a 0 '"date":"2027-02-10","kind":"off","name":"Nghỉ bù Tết Đinh Mùi"' -- holidays --year 2027 --json
on a 0 '"date":"2027-07-01","kind":"local"' -- holidays --year 2027 --json
LC_ALL=C.UTF-8 LANGUAGE=vi CELLSYNC_HOME="$dir/a" "$cellsync" holidays --year 2027 >"$out" 2>"$err"
grep -q "^16/04/2027 .*Giỗ Tổ Hùng Vương" "$out" && ok ||
    bad "holidays in Vietnamese: no Hùng Kings' day"
on a 2 "holidays: --year: '20x6' is not a year" -- holidays --year 20x6

stop_hub
summary
