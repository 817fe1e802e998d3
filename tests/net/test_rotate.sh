#!/bin/sh
# SPDX-License-Identifier: MIT
# Hub key rotation (review F5: devices pinned one hub key for life). A real hub on
# loopback, real devices:
#  - `cellsyncd key rotate` while a device is offline: its next sync is sealed to
#    the retired key, the hub sends the signed chain, the device checks it, pins
#    the new key (its meta) and says so; its following sync uses the new key;
#  - two rotations while a device is offline: a chain of 2, accepted;
#  - a forged rotation (cs_rotforge: signed by a key no device pins): refused with
#    its message, the device's pin and replica unchanged;
#  - a stick round trip after a rotation: the export sealed to the retired key
#    opens at the hub, the reply carries the chain, `bundle import` pins the key;
#  - `key retire-old` refused, naming them, while active devices still trust a
#    retired key; with --force they are told to enroll again, the others go on.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3 forge=$4 bulk=$5
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

pub() { sed -n 2p "$dir/hub/hub.pub"; }
pin() { meta "$1" hub_pk; }
rotations() { grep -c "event=rotation" "$dir/hub.log"; }

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
EOF
"$cellsyncd" init --state "$dir/hub" --org-tree "$dir/tree.csv" >"$out" 2>"$err"
check_rc $? "hub init"
# Many syncs from one address: not the handshake rate this test measures.
echo "handshakes_per_address = 100000" >"$dir/hub.conf"
start_hub "$dir/hub" --config "$dir/hub.conf"
k0=$(pub)
for name in a b f s o; do
    "$cellsyncd" enroll --state "$dir/hub" --org CB-01 --role cell --name "máy $name" \
        --addr "$addr" --out "$dir/$name.enroll" >"$out" 2>"$err"
    check_rc $? "enroll $name at the hub"
    on "$name" 0 "created" -- init
    on "$name" 0 "enrolled" -- enroll "$dir/$name.enroll"
    on "$name" 0 "synced" -- sync --quiet --timeout 20 --hub "$addr"
    equal "$name pins the hub key" "$k0" "$(pin "$name")"
done

# ---- one rotation while a is offline ----
hubdo 1 "a cellsyncd is serving it" -- key rotate
stop_hub
hubdo 0 "rotated the hub key" -- key rotate
k1=$(pub)
[ "$k1" != "$k0" ] && ok || bad "key rotate kept the key"
[ -f "$dir/hub/hub-old/$(echo "$k0" | cut -c1-16).key" ] && ok || bad "no hub-old/<id>.key"
equal "hub-old key mode" 600 "$(stat -c %a "$dir/hub/hub-old/$(echo "$k0" | cut -c1-16).key")"
equal "statements" 1 "$(wc -l <"$dir/hub/hub.rotations")"
hubdo 0 '"hub_key":"retired"' -- devices --json
start_hub "$dir/hub" --config "$dir/hub.conf"
CELLSYNC_HOME="$dir/a" "$bulk" candidates 3 >"$out" 2>"$err"
check_rc $? "cs_bulk on a"
on a 0 "this device now trusts the hub's new key $(echo "$k1" | cut -c1-16)" -- sync --quiet --timeout 20 --hub "$addr"
equal "a's pin after the rotation" "$k1" "$(pin a)"
equal "the hub sent one chain" 1 "$(rotations)"
grep -q "event=rotation from=$(echo "$k0" | cut -c1-16) steps=1" "$dir/hub.log" && ok ||
    bad "the hub logged no rotation from the old key"
# The following sync is sealed to the new key: no chain sent again.
on a 0 "synced" -- sync --quiet --timeout 20 --hub "$addr"
grep -q "now trusts" "$out" && bad "a was sent the rotation again" || ok
equal "chains sent" 1 "$(rotations)"

# ---- retire-old refused while devices still trust the old key ----
stop_hub
hubdo 1 "active devices still trust a retired hub key" -- key retire-old
grep -q "máy b" "$err" && ok || bad "retire-old did not name the devices"
[ -f "$dir/hub/hub-old/$(echo "$k0" | cut -c1-16).key" ] && ok || bad "retire-old deleted a key"

# ---- a second rotation: b offline through both ----
hubdo 0 "rotated the hub key" -- key rotate
k2=$(pub)
equal "statements" 2 "$(wc -l <"$dir/hub/hub.rotations")"
start_hub "$dir/hub" --config "$dir/hub.conf"
on b 0 "(2 steps checked): this device now trusts the hub's new key $(echo "$k2" | cut -c1-16)" \
    -- sync --quiet --timeout 20 --hub "$addr"
equal "b's pin after two rotations" "$k2" "$(pin b)"
[ "$(rows b)" = "$(rows a)" ] && ok || bad "b did not receive a's candidates"
on a 0 "(1 steps checked)" -- sync --quiet --timeout 20 --hub "$addr"
equal "a's pin after the second rotation" "$k2" "$(pin a)"

# ---- a forged rotation: signed by a key f never trusted ----
stop_hub
cp "$dir/hub/hub.rotations" "$dir/rotations.good"
"$forge" "$dir/hub/hub.rotations" >"$out" 2>"$err"
check_rc $? "cs_rotforge"
start_hub "$dir/hub" --config "$dir/hub.conf"
h0=$(hash f)
on f 1 "the hub sent a new key that the key this device trusts did not sign (statement 2 of 2: signature does not verify): refused, this device keeps its key" \
    -- sync --quiet --timeout 20 --hub "$addr"
equal "f's pin after a forged rotation" "$k0" "$(pin f)"
equal "f's replica after a forged rotation" "$h0" "$(hash f)"
stop_hub
cp "$dir/rotations.good" "$dir/hub/hub.rotations"
start_hub "$dir/hub" --config "$dir/hub.conf"
on f 0 "this device now trusts the hub's new key" -- sync --quiet --timeout 20 --hub "$addr"
equal "f's pin after the true chain" "$k2" "$(pin f)"

# ---- by stick: the export sealed to the retired key, the reply carries the chain ----
mkdir -p "$dir/stick"
on s 0 "wrote" -- bundle export "$dir/stick/s.bundle"
hubdo 0 "device máy s .*; reply" -- import "$dir/stick/s.bundle"
reply=$(ls "$dir"/stick/*.reply)
on s 0 "(2 steps checked): this device now trusts the hub's new key $(echo "$k2" | cut -c1-16)" \
    -- bundle import "$reply"
equal "s's pin after the reply" "$k2" "$(pin s)"
[ "$(rows s)" = "$(rows a)" ] && ok || bad "s did not receive a's candidates by stick"
rm -f "$dir"/stick/*
on s 0 "wrote" -- bundle export "$dir/stick/s.bundle"
hubdo 0 "device máy s .*; reply" -- import "$dir/stick/s.bundle"
on s 0 "" -- bundle import "$(ls "$dir"/stick/*.reply)"
grep -q "now trusts" "$out" && bad "the second reply carried the chain again" || ok

# ---- a backup of the rotated hub, restored: the key's past comes back with it ----
stop_hub
hubdo 0 "" -- recovery-key new "$dir/recovery.key"
hubdo 0 "hub-old/ (2 retired keys)" -- backup --to "$dir/recovery.key.pub" "$dir/rotated.age"
hubdo 0 "" -- backup --unencrypted "$dir/rotated.plain"
old0="hub-old/$(echo "$k0" | cut -c1-16).key"
for f in hub.rotations "$old0" hub-old/audit.key; do
    [ -f "$dir/rotated.plain/$f" ] && ok || bad "the plain backup lacks $f"
done
hubdo 0 "" -- restore --key "$dir/recovery.key" "$dir/rotated.age"
for f in hub.rotations "$old0" hub-old/audit.key; do
    [ -f "$dir/hub/$f" ] && ok || bad "the restored state lacks $f"
done
equal "statements after the restore" 2 "$(wc -l <"$dir/hub/hub.rotations")"
hubdo 0 "" -- audit verify
start_hub "$dir/hub" --config "$dir/hub.conf"
on a 0 "synced" -- sync --quiet --timeout 20 --hub "$addr"

# ---- retire-old: refused for o, then forced; o must enroll again ----
# The hub knows a device moved from its next contact sealed to the new key.
for name in a b f; do
    on "$name" 0 "synced" -- sync --quiet --timeout 20 --hub "$addr"
done
hubdo 0 '"hub_key":"current"' -- devices --json
stop_hub
hubdo 1 "1 active devices still trust a retired hub key" -- key retire-old
grep -q "máy o" "$err" && ok || bad "retire-old did not name o"
hubdo 0 "deleted 2 retired hub keys" -- key retire-old --force
[ -z "$(ls "$dir/hub/hub-old/"*[0-9a-f].key 2>/dev/null)" ] && ok || bad "retired keys left"
hubdo 0 '"hub_key":"deleted"' -- devices --json
start_hub "$dir/hub" --config "$dir/hub.conf"
on o 1 "the hub's key was rotated and the key this device knows retired: enroll this device again" \
    -- sync --quiet --timeout 20 --hub "$addr"
equal "o's pin" "$k0" "$(pin o)"
for name in a b f s; do
    on "$name" 0 "synced" -- sync --quiet --timeout 20 --hub "$addr"
done
# The audit trail still holds across the rotations and the retired keys.
stop_hub
hubdo 0 "" -- audit verify
start_hub "$dir/hub" --config "$dir/hub.conf"
summary
