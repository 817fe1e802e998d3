#!/bin/sh
# SPDX-License-Identifier: MIT
# Corrections reach the hub like any write: a cell laptop deletes a candidate
# entered by mistake and undoes a ceremony (back to the committee's decision,
# its member record deleted); both go to the real hub signed, are accepted
# with nothing refused and a new entry in the audit trail, keep the deleted
# rows, and reach the committee's laptop, which sees who deleted what. A
# restore travels the same way.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"
count() { hubsql "SELECT count(*) FROM $1"; }
export CELLSYNC_TODAY=2026-03-02

cat >"$dir/tree.csv" <<'EOF2'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
EOF2
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
start_hub "$dir/hub"
for d in a:CB-01:cell c:XA-ML:committee; do
    name=${d%%:*} rest=${d#*:}
    hubdo 0 "" -- enroll --org "${rest%%:*}" --role "${rest#*:}" --name "máy $name" \
        --addr "$addr" --out "$dir/$name.enroll"
    on "$name" 0 "created" -- init
    on "$name" 0 "enrolled" -- enroll "$dir/$name.enroll"
done

# The cell's records, one candidate from paper up to the grassroots resolution.
for m in "Đinh Văn Thắng" "Hoàng Thị Mai" "Vàng A Páo"; do
    on a 0 "added member" -- member add --name "$m" --status official
    added_id >>"$dir/ids"
done
helper=$(sed -n 1p "$dir/ids") sp1=$(sed -n 2p "$dir/ids") sp2=$(sed -n 3p "$dir/ids")
on a 0 "now at 'grassroots resolution'" -- candidate add --name "Lò Văn Pằng" \
    --birth-date 1990-01-01 --identified-on 2025-01-06 --helper-on 2025-02-03 --helper "$helper" \
    --class-on 2025-03-03 --applied-on 2025-04-01 --verified-on 2025-05-05 \
    --cell-resolution-on 2025-06-02 --sponsor "$sp1" --sponsor2 "$sp2" --sponsor1-months 24 \
    --sponsor2-months 18 --grassroots-resolution-on 2025-06-16
k=$(added_id)
on a 0 "added candidate" -- candidate add --name "Nhập Nhầm" --birth-date 1995-05-05
wrong=$(added_id)
on a 0 "synced" -- sync
kid=$(hubsql "SELECT hex(id) FROM candidate WHERE full_name = 'Lò Văn Pằng'")
wid=$(hubsql "SELECT hex(id) FROM candidate WHERE full_name = 'Nhập Nhầm'")
# The months each sponsor has known the candidate are the cell's to write: accepted.
equal "the sponsors' months at the hub, from a cell" "24|18|0" "$(hubsql "SELECT sponsor1_months
    || '|' || sponsor2_months || '|' || (SELECT count(*) FROM hub_refused)
    FROM candidate WHERE hex(id) = '$kid'")"

# The committee decides; the cell holds the ceremony.
on c 0 "synced" -- sync
on c 0 "now at 'admission decision'" -- candidate advance "$k" --to decision --date 2025-07-01
on c 0 "synced" -- sync
on a 0 "synced" -- sync
on a 0 "now at 'ceremony'" -- candidate advance "$k" --to ceremony --date 2025-07-15
on a 0 "synced" -- sync
equal "the ceremony at the hub" ceremony "$(hubsql "SELECT stage FROM candidate WHERE hex(id) = '$kid'")"
mid=$(hubsql "SELECT hex(member) FROM candidate WHERE hex(id) = '$kid'")
[ -n "$mid" ] && ok || bad "the ceremony's member record did not reach the hub"

# The corrections, then one sync: accepted, nothing refused, audited.
refused0=$(count hub_refused) audit0=$(count hub_audit)
on a 0 "back at 'admission decision'" -- candidate undo "$k" --reason "lễ kết nạp chưa tổ chức"
on a 0 "deleted candidate $wrong" -- candidate delete "$wrong"
on a 0 "synced" -- sync
if grep -q "refused [1-9]" "$out" "$err"; then bad "the hub refused a correction"; else ok; fi
equal "refusals after the corrections" "$refused0" "$(count hub_refused)"
equal "audit entries of the corrections' sync" $((audit0 + 1)) "$(count hub_audit)"
equal "its verdict" "accepted|0|1" "$(hubsql "SELECT verdict || '|' || refused || '|' ||
    (envelope IS NOT NULL) FROM hub_audit ORDER BY id DESC LIMIT 1")"
equal "the undone ceremony at the hub" "decision|2025-07-01||" "$(hubsql "SELECT stage || '|' ||
    decision_on || '|' || coalesce(ceremony_on, '') || '|' || coalesce(hex(member), '')
    FROM candidate WHERE hex(id) = '$kid'")"
equal "the ceremony's member: deleted, kept" "0|Lò Văn Pằng" "$(hubsql "SELECT (cl % 2) || '|' ||
    full_name FROM member WHERE hex(id) = '$mid'")"
equal "the deleted candidate: kept, not live" "0|Nhập Nhầm" "$(hubsql "SELECT (cl % 2) || '|' ||
    full_name FROM candidate WHERE hex(id) = '$wid'")"
equal "the undo's record at the hub" "ceremony|2025-07-15|lễ kết nạp chưa tổ chức" \
    "$(hubsql "SELECT stage || '|' || stage_on || '|' || reason FROM step_undo")"

# The committee sees it all, and who did it: the cell's laptop by its enrolled name.
on c 0 "synced" -- sync
on c 0 "^$wrong  Nhập Nhầm .*  máy a\$" -- candidate list --deleted
on c 0 "Lò Văn Pằng" -- member list --deleted
on c 0 "steps undone:" -- candidate show "$k"

# A restore travels the same way.
on a 0 "restored candidate $wrong" -- candidate undelete "$wrong"
on a 0 "synced" -- sync
equal "the restored candidate at the hub" 1 \
    "$(hubsql "SELECT cl % 2 FROM candidate WHERE hex(id) = '$wid'")"
equal "refusals after the restore" "$refused0" "$(count hub_refused)"
stop_hub
summary
