#!/bin/sh
# SPDX-License-Identifier: MIT
# A hub restored from a backup, through the real binaries: the restored hub
# numbers its new versions from where the backup stopped, so seqs devices
# received after the backup stand for other versions after the restore. The
# restore makes a new hub incarnation; devices say which one their cursor
# counts in and are sent again what they may lack. Live: device A resends
# what the restored hub lost; device B, whose cursor went past the backup
# (and past what the restored hub has numbered since), still receives A's
# new candidate and the hub's new target. By stick: device S, which wrote
# after the backup and knows only the old incarnation, gets the new
# versions with its first reply and sends again what the hub lost with its
# next bundle. Every device ends with the same candidates as the hub.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3 bulk=$4
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
has_candidate() { sql "$1" "SELECT count(*) FROM candidate WHERE full_name = '$2'"; }
has_target() { sql "$1" "SELECT count(*) FROM target WHERE org_unit = 'CB-01' AND year = $2"; }
candidates() { sql "$1" 'SELECT count(*) FROM candidate'; }
hub_seq_max() { sql hub 'SELECT coalesce(max(seq), 0) FROM cs_version'; }
hub_incarnation() { sql hub 'SELECT hex(id) FROM hub_incarnation ORDER BY n DESC LIMIT 1' | tr A-F a-f; }

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
EOF
hubdo 0 "created" -- init --org-tree "$dir/tree.csv"
equal "incarnations after init" 1 "$(sql hub 'SELECT count(*) FROM hub_incarnation')"
equal "since_seq of the first incarnation" 0 "$(sql hub 'SELECT since_seq FROM hub_incarnation')"
inc0=$(hub_incarnation)
start_hub "$dir/hub"
for d in a b; do
    hubdo 0 "enrollment" -- enroll --org CB-01 --role cell --name "máy $d" --addr "$addr" \
        --out "$dir/$d.enroll"
    on "$d" 0 "created" -- init
    on "$d" 0 "enrolled" -- enroll "$dir/$d.enroll"
done
# S syncs by stick only.
hubdo 0 "written" -- enroll --org CB-01 --role cell --name "máy s" --addr 127.0.0.1:1 \
    --out "$dir/s.enroll"
on s 0 "created" -- init
on s 0 "enrolled" -- enroll "$dir/s.enroll"
mkdir "$dir/stick"
stick=$dir/stick
# stick_trip DEVICE: export, import at the hub, import the reply.
stick_trip() {
    on "$1" 0 "wrote" -- bundle export "$stick/$1.bundle"
    "$cellsyncd" import "$stick/$1.bundle" --state "$dir/hub" >"$out" 2>"$err" && ok ||
        bad "cellsyncd import of $1's bundle failed"
    cp "$err" "$dir/import-$1.err"
    on "$1" 0 "read\|nothing new" -- bundle import "$(find "$stick" -name "*_$(short "$1").reply")"
}

# ---- before the backup: one candidate everywhere ----
on a 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 2000-03-15
on a 0 "synced" -- sync --hub "$addr"
on b 0 "synced" -- sync --hub "$addr"
stick_trip s
equal "S has A's first candidate" 1 "$(has_candidate s 'Nguyễn Văn Sỹ')"
equal "the welcome's incarnation on A" "$inc0" "$(meta a hub_incarnation)"
equal "the reply's incarnation on S" "$inc0" "$(meta s hub_incarnation)"
hubdo 0 "integrity ok" -- backup --unencrypted "$dir/bk"

# ---- after the backup, lost at the restore: A's and S's candidates, a target ----
on a 0 "added candidate" -- candidate add --name "Hà Thị Mai" --birth-date 2001-07-02
on a 0 "added candidate" -- candidate add --name "Lò Thị Hoa" --birth-date 1999-05-01
on a 0 "synced" -- sync --hub "$addr"
CELLSYNC_HOME="$dir/s" "$bulk" candidates 40 >/dev/null 2>"$err" && ok || bad "cs_bulk"
stick_trip s
hubdo 0 "target for CB-01" -- target --org CB-01 --year 2027 --admissions 3
on b 0 "synced" -- sync --hub "$addr"
equal "B's candidates before the restore" 43 "$(candidates b)"
equal "B has the target made after the backup" 1 "$(has_target b 2027)"
b_seq=$(meta b hub_seq)
old_max=$(hub_seq_max)
equal "B's cursor is the hub's last seq" "$old_max" "$b_seq"
s_ack=$(meta s hub_ack_seq)

# ---- the restore ----
# A restore takes an administrator minutes; here it is done within the second of S's last
# contact, which a laptop keeps in whole seconds. A reply of another incarnation written in
# that second is refused as an old one (review F13, cli_reply_replay): let the second pass.
sleep 1
stop_hub
hubdo 0 "the state it replaced is in" -- restore "$dir/bk"
equal "incarnations after the restore" 2 "$(sql hub 'SELECT count(*) FROM hub_incarnation')"
inc1=$(hub_incarnation)
[ -n "$inc1" ] && [ "$inc1" != "$inc0" ] && ok || bad "the restore made no new incarnation"
since=$(sql hub 'SELECT since_seq FROM hub_incarnation ORDER BY n DESC LIMIT 1')
equal "the new incarnation begins at the backup's last seq" "$(hub_seq_max)" "$since"
[ "$since" -lt "$b_seq" ] && ok || bad "B's cursor $b_seq is not beyond the backup ($since)"
equal "the restored hub lacks A's candidate" 0 "$(has_candidate hub 'Hà Thị Mai')"
start_hub "$dir/hub"

# ---- live: A sends again what the hub lost, and writes one more ----
on a 0 "synced" -- sync --hub "$addr"
equal "A's lost candidate is back on the hub" 1 "$(has_candidate hub 'Hà Thị Mai')"
equal "A's other lost candidate is back on the hub" 1 "$(has_candidate hub 'Lò Thị Hoa')"
equal "A's incarnation" "$inc1" "$(meta a hub_incarnation)"
grep -q "device=$(short a) event=restored-hub from=$inc0 to=$inc1" "$dir/hub.log" && ok ||
    bad "no restored-hub event for A in the hub's log: $(grep restored-hub "$dir/hub.log")"
on a 0 "added candidate" -- candidate add --name "Đinh Thị Ánh" --birth-date 2002-01-20
on a 0 "synced" -- sync --hub "$addr"
equal "restored-hub events once A knows the incarnation" 1 \
    "$(grep -c "device=$(short a) event=restored-hub" "$dir/hub.log")"
hubdo 0 "target for CB-01" -- target --org CB-01 --year 2028 --admissions 4
# The hub's new versions reuse seqs B received before the restore: B's old
# cursor would skip them.
new_max=$(hub_seq_max)
[ "$new_max" -le "$b_seq" ] && ok ||
    bad "the test needs the hub's new seqs ($new_max) at or below B's old cursor ($b_seq)"

# ---- live: B, whose cursor went past the backup, receives the new versions ----
on b 0 "synced" -- sync --hub "$addr"
equal "B received A's candidate made after the restore" 1 "$(has_candidate b 'Đinh Thị Ánh')"
equal "B received the hub's new target" 1 "$(has_target b 2028)"
equal "B keeps A's candidates" 1 "$(has_candidate b 'Hà Thị Mai')"
equal "B's incarnation" "$inc1" "$(meta b hub_incarnation)"
equal "B's cursor is the restored hub's last seq" "$(hub_seq_max)" "$(meta b hub_seq)"
grep -q "device=$(short b) event=restored-hub from=$inc0 to=$inc1 hub_seq=$b_seq down_seq=$since" \
    "$dir/hub.log" && ok || bad "no restored-hub event for B: $(grep restored-hub "$dir/hub.log")"
# A's candidates went again with the stamps B had: no second version of any.
a_site=$(sql hub "SELECT hex(id) FROM hub_device WHERE name = 'máy a'")
a_versions() { sql "$1" "SELECT count(*) FROM cs_version WHERE origin = x'$a_site'"; }
equal "A's versions on B" "$(a_versions a)" "$(a_versions b)"
equal "A's versions on the hub" "$(a_versions a)" "$(a_versions hub)"

# ---- by stick: S's first reply brings the new versions, its next bundle what the hub lost ----
stick_trip s
grep -q "event=restored-hub device=$(short s) file=\".*\" from=$inc0 to=$inc1" \
    "$dir/import-s.err" && ok || bad "no restored-hub line from cellsyncd import: $(cat "$dir/import-s.err")"
equal "S received A's candidate made after the restore" 1 "$(has_candidate s 'Đinh Thị Ánh')"
equal "S received the hub's new target" 1 "$(has_target s 2028)"
equal "S's incarnation" "$inc1" "$(meta s hub_incarnation)"
# The hub's word on S's writes went back with it: the next bundle carries them again,
# and their stamps stay as they were (known to B).
[ "$(meta s hub_ack_seq)" -lt "$s_ack" ] && ok || bad "S's hub_ack_seq did not come down"
[ "$(meta s exported_seq)" -ge "$s_ack" ] && ok ||
    bad "S's exported_seq $(meta s exported_seq) is below what the old hub acknowledged ($s_ack)"
equal "S's candidates on the hub after one trip" 0 \
    "$(sql hub "SELECT count(*) FROM candidate WHERE full_name NOT IN ('Nguyễn Văn Sỹ', 'Hà Thị Mai', 'Lò Thị Hoa', 'Đinh Thị Ánh')")"
stick_trip s
equal "S's candidates on the hub after two trips" 40 \
    "$(sql hub "SELECT count(*) FROM candidate WHERE full_name NOT IN ('Nguyễn Văn Sỹ', 'Hà Thị Mai', 'Lò Thị Hoa', 'Đinh Thị Ánh')")"
[ "$(meta s hub_ack_seq)" -ge "$s_ack" ] && ok || bad "S's hub_ack_seq after two trips is below $s_ack"
on s 0 "not acknowledged: *0" -- status

# ---- everyone converges on the candidates ----
on a 0 "synced" -- sync --hub "$addr"
on b 0 "synced" -- sync --hub "$addr"
stick_trip s
for d in a b s; do
    equal "candidates on $d" "$(candidates hub)" "$(candidates "$d")"
done
equal "candidates on the hub" 44 "$(candidates hub)"
# The target made after the backup is gone from the hub (documented); B and S keep it.
equal "the lost target on the hub" 0 "$(has_target hub 2027)"

# ---- a device from an incarnation the hub does not know gets everything again ----
set_meta b hub_incarnation 00112233445566778899aabbccddeeff
on b 0 "synced" -- sync --hub "$addr"
grep -q "device=$(short b) event=restored-hub from=00112233445566778899aabbccddeeff to=$inc1 hub_seq=[0-9]* down_seq=0" \
    "$dir/hub.log" && ok || bad "no restored-hub event for an unknown incarnation"
equal "B's incarnation again" "$inc1" "$(meta b hub_incarnation)"
equal "B's cursor after being sent everything" "$(hub_seq_max)" "$(meta b hub_seq)"
equal "candidates on B" 44 "$(candidates b)"
stop_hub

summary
