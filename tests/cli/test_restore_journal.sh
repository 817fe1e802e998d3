#!/bin/sh
# SPDX-License-Identifier: MIT
# A restored backup neither un-revokes a device nor re-opens a used enrollment
# (review F10), through the real binaries: a backup is taken; then device R is
# revoked and device N uses its enrollment file; the backup is restored. The
# restore re-applies the admin journal of the state directory (mode 0600, in no
# backup): R is still refused as revoked, and a laptop presenting N's enrollment
# file again is refused as for a used one; neither changes what the hub stores.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

hub_state() {
    echo "hash=$(hash hub) devices=$(hubsql 'SELECT count(*) FROM hub_device')" \
        "used=$(hubsql 'SELECT count(*) FROM hub_enrollment WHERE used_by IS NOT NULL')"
}
mode_of() { stat -c %a "$1"; }

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
EOF
hubdo 0 "created" -- init --org-tree "$dir/tree.csv"
start_hub "$dir/hub"
for d in r n; do
    hubdo 0 "enrollment" -- enroll --org CB-01 --role cell --name "máy $d" --addr "$addr" \
        --out "$dir/$d.enroll"
done
on r 0 "created" -- init
on r 0 "enrolled" -- enroll "$dir/r.enroll"
on r 0 "synced" -- sync --hub "$addr"
idr=$(short r)

# ---- the backup: R enrolled and not revoked, N's enrollment open ----
hubdo 0 "integrity ok" -- backup --unencrypted "$dir/bk"
[ ! -e "$dir/bk/admin.journal" ] && ok || bad "the backup holds the admin journal"

# ---- after it: R revoked, N's enrollment used ----
hubdo 0 "revoked device" -- revoke "$idr"
on n 0 "created" -- init
on n 0 "enrolled" -- enroll "$dir/n.enroll"
on n 0 "synced" -- sync --hub "$addr"
equal "the journal's mode" 600 "$(mode_of "$dir/hub/admin.journal")"
# R's enrollment (before the backup), R's revocation and N's enrollment.
equal "the journal's entries" 3 "$(grep -c '^revoke \|^enroll-used ' "$dir/hub/admin.journal")"

# ---- the restore ----
stop_hub
hubdo 0 "re-applied: devices revoked again: 1, enrollments used again: 1" -- restore "$dir/bk"
equal "R revoked in the restored replica" 1 \
    "$(hubsql "SELECT count(*) FROM hub_device WHERE name = 'máy r' AND revoked_at IS NOT NULL")"
equal "N's enrollment used in the restored replica" 1 \
    "$(hubsql "SELECT count(*) FROM hub_enrollment WHERE name = 'máy n' AND used_by IS NOT NULL")"
hubdo 0 "máy r" -- devices
grep "máy r" "$out" | grep -q "$(date +%d/%m/%Y)\|$(date +%Y-%m-%d)" && ok ||
    bad "cellsyncd devices does not show R revoked: $(grep 'máy r' "$out")"

# ---- the restored hub: R refused, N's enrollment refused to another laptop ----
start_hub "$dir/hub"
s0=$(hub_state)
on r 1 "this device was revoked at the hub on" -- sync --hub "$addr"
on thief 0 "created" -- init
on thief 0 "enrolled" -- enroll "$dir/n.enroll"
on thief 1 "the enrollment code is wrong, already used or expired" -- sync --hub "$addr"
same=$(hub_state)
equal "what the hub stores after the refusals" "$s0" "$same"
grep -q "device=- event=close reason=\"device refused: this device was revoked" "$dir/hub.log" &&
    ok || bad "the hub did not log R's refusal"

# ---- a second restore of the same backup re-applies the same, and nothing more ----
stop_hub
hubdo 0 "re-applied: devices revoked again: 1, enrollments used again: 1" -- restore "$dir/bk"
# A damaged journal stops a restore, the state unchanged.
cp "$dir/hub/admin.journal" "$dir/journal.good"
printf 'revoke nothex 1\n' >>"$dir/hub/admin.journal"
h0=$(hash hub)
hubdo 1 "admin.journal:4: not a journal entry" -- restore "$dir/bk"
equal "the state after a refused restore" "$h0" "$(hash hub)"
cp "$dir/journal.good" "$dir/hub/admin.journal"
summary
