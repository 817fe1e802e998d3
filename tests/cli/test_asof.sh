#!/bin/sh
# SPDX-License-Identifier: MIT
# Reports as of a day and the durations of paper records, through the real
# binaries: a cell whose five admission decisions of 2026 fall in March and
# later reports, as of 31 March, the two decided by then, on its laptop and
# at the hub; a candidate entered from paper the way a secretary must (the
# identified date is the day of entry, the helper's an earlier one, taken
# with --force) gives no negative days in a stage: that step is left out of
# the figures and counted.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# value JSON SECTION KEY-COLUMN KEY COLUMN: one field of a report's JSON ($out), as text.
value() {
    tr -d '\n' <"$out" | sed 's/},{/}\n{/g; s/}\]/}\n]/g' | grep "\"$3\":\"$4\"" | head -1 |
        sed -n "s/.*\"$5\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
YB,,commune,commune,"Đảng bộ xã Yên Bình"
YB-01,YB,cell,village,"Chi bộ thôn Đồng Tâm"
EOF
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
start_hub "$dir/hub"
hubdo 0 "" -- enroll --org YB-01 --role cell --name "máy bí thư" --addr "$addr" \
    --out "$dir/a.enroll"
hubdo 0 "" -- enroll --org YB --role committee --name "máy đảng ủy" --addr "$addr" \
    --out "$dir/k.enroll"
for d in a k; do
    on $d 0 "created" -- init
    on $d 0 "enrolled" -- enroll "$dir/$d.enroll"
done

# Five decisions of 2026 (the committee's to write): two by 31 March, three after.
n=0
for d in 2026-02-10 2026-03-20 2026-04-02 2026-05-15 2026-06-01; do
    n=$((n + 1))
    CELLSYNC_HOME="$dir/k" "$fixture" candidate "Người Thứ $n" decision org_unit=YB-01 \
        identified_on=2025-01-06 decision_on=$d >/dev/null || bad "cs_fixture candidate $n"
done
dosync k
grep -q "refused 0" "$out" && ok || bad "the committee's sync failed or was refused"
dosync a
[ "$sc" = 0 ] && ok || bad "the cell's sync failed"

export CELLSYNC_TODAY=2026-03-31
on a 0 "" -- report targets --format json
equal "admissions as of 31 March on the laptop" 2 "$(value targets units unit YB-01 admitted)"
hubdo 0 "" -- report targets --format json
equal "admissions as of 31 March at the hub" 2 "$(value targets units unit YB admitted)"
# As of 31 March the three decided later were still before their decision.
on a 0 "" -- report pipeline --format json
equal "candidates at the decision stage as of 31 March" 2 \
    "$(value pipeline stages unit YB-01 decision)"
equal "candidates at the identified stage as of 31 March" 3 \
    "$(value pipeline stages unit YB-01 identified)"
# The devices' last contact came after 31 March: no negative days since it.
hubdo 0 "" -- report sync --format json
tr -d '\n' <"$out" | grep -q '"days_since":-' &&
    bad "the sync report shows negative days since a contact" || ok
equal "days since the contact, as of an earlier day" 0 "$(value sync devices name "máy bí thư" days_since)"
export CELLSYNC_TODAY=2026-12-31
on a 0 "" -- report targets --format json
equal "admissions by the end of the year" 5 "$(value targets units unit YB-01 admitted)"

# A candidate from the paper notebook, entered on 6 December: the helper was assigned on
# 2 March, before the "identified" date the entry gets.
export CELLSYNC_TODAY=2026-12-06
on a 0 "added member" -- member add --name "Trần Văn Bình" --status official
helper=$(added_id)
on a 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 2000-03-15
k=$(added_id)
on a 0 "helper" -- candidate advance "$k" --helper "$helper" --date 2026-03-02 --force \
    --reason "nhập hồ sơ giấy cũ"
on a 0 "" -- report pipeline --format json
tr -d '\n' <"$out" | grep -q '"average_days":-\|"min_days":-\|"max_days":-' &&
    bad "the pipeline report shows a negative duration" || ok
equal "steps left out for their order" 1 "$(value pipeline days stage identified out_of_order)"
equal "candidates counted in the identified stage's days" 0 \
    "$(value pipeline days stage identified candidates)"
on a 0 "" -- report pipeline
grep -q -- ' -[0-9]' "$out" && bad "the pipeline table shows a negative number" || ok

stop_hub
summary
