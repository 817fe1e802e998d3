#!/bin/sh
# SPDX-License-Identifier: MIT
# USB-stick sync through the real binaries: devices export bundles
# (cellsync bundle export), the hub merges them and writes replies
# (cellsyncd import, or the inbox of cellsyncd serve), the devices apply
# the replies (cellsync bundle import). Cells that only ever sync by stick
# converge with the hub and with each other; one stick carries several
# cells' bundles; the same change arriving by stick and live is applied
# once; old bundles and replies change nothing and say so; truncated,
# altered, foreign, revoked, unknown, older- and future-format bundles are refused
# with their reason while the rest of the stick still goes in.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# has PATTERN: the last command's output holds it.
has() { cat "$out" "$err" | grep -q -- "$1" && ok || bad "no '$1' in the output"; }
candidates() { hubsql "SELECT count(*) FROM candidate WHERE full_name = '$1'"; }
# The hub's replicated state and its refusal log, to show an import changed nothing.
hub_state() { echo "$(hubsql 'SELECT count(*) FROM cs_version')/$(hubsql 'SELECT count(*) FROM hub_refused')/$(hubsql 'SELECT count(*) FROM hub_device')"; }
# The count of the last export's summary line.
wrote() { sed -n 's/^wrote \([0-9]*\) changes.*/\1/p' "$out"; }
# rep DEVICE: the device's reply on the stick, named by its unit, its name without
# marks ("máy s1": may-s1) and its short id, so a person tells the replies apart.
rep() {
    case $1 in
    k | r) _org=CB-02 ;;
    *) _org=CB-01 ;;
    esac
    echo "$stick/${_org}_may-$1_$(short "$1").reply"
}
# flip FILE OFFSET: xor one byte with 1.
flip() {
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf '%b' "\\0$(printf '%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CB-02,XA-ML,cell,village,"Chi bộ bản Pù Quăn, xóm 2"
EOF
hubdo 0 "created" -- init --org-tree "$dir/tree.csv"
mkdir -p "$dir/stick"
stick=$dir/stick

# Devices enrolled from files alone, never online: two laptops of cell 1 (s1,
# s2), one of cell 2 (k); m of cell 1 syncs live too; t and u are for refusals.
for d in s1:CB-01 s2:CB-01 k:CB-02 m:CB-01 t:CB-01 r:CB-02; do
    name=${d%%:*} org=${d#*:}
    hubdo 0 "written" -- enroll --org "$org" --role cell --name "máy $name" --addr 127.0.0.1:1 \
        --out "$dir/$name.enroll"
    on "$name" 0 "created" -- init
    on "$name" 0 "enrolled" -- enroll "$dir/$name.enroll"
done

# ---- a stick with several cells' bundles ----
on s1 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 2000-03-15 --sex male
on s1 0 "added member" -- member add --name "Đinh Văn Thắng" --status official
on s2 0 "added candidate" -- candidate add --name "Hà Thị Mai" --birth-date 2001-07-02
on k 0 "added candidate" -- candidate add --name "Lò Thị Hoa" --birth-date 1999-05-01
on s1 0 "wrote [0-9]* changes in 1 chunks to '$stick/s1.bundle' ([0-9]* bytes)" -- bundle export "$stick/s1.bundle"
n1=$(wrote)
# Exporting moves no cursor: the changes still wait for the hub's word.
[ -z "$(meta s1 hub_ack_seq)" ] && ok || bad "export moved hub_ack_seq"
on s1 0 "not acknowledged: *$n1\$" -- status
on s2 0 "wrote" -- bundle export "$stick/s2.bundle"
on k 0 "wrote" -- bundle export "$stick/k.bundle"
# A stolen stick (F14): its entries are sealed to the hub, so no envelope header ("CSE" and
# format 1) and no key in the clear: not the hub's (which the laptop pinned).
python3 - "$stick/s1.bundle" "$(meta s1 hub_pk)" <<'PY' && ok || bad "the stick shows an envelope or a key"
import sys
b = open(sys.argv[1], "rb").read()
sys.exit(1 if b"CSE\x01" in b or bytes.fromhex(sys.argv[2])[:16] in b else 0)
PY
ls "$stick"/*.tmp* >/dev/null 2>&1 && bad "a temp file was left on the stick" || ok
hubdo 0 "3 bundles imported, 0 refused" -- import "$stick/s1.bundle" "$stick/s2.bundle" "$stick/k.bundle"
# One line per bundle, in order, naming the unit and the device; a total at the end.
has "^\[1/3\] imported '$stick/s1.bundle' from unit CB-01, device máy s1 ($(short s1)): $n1 new changes, 0 refused"
has "^\[2/3\] imported '$stick/s2.bundle' from unit CB-01, device máy s2 ($(short s2)): "
has "^\[3/3\] imported '$stick/k.bundle' from unit CB-02, device máy k ($(short k)): "
total=$(($(sed -n 's/^\[[1-3]\/3\] imported .*: \([0-9]*\) new changes.*/\1/p' "$out" | paste -sd+)))
has "^3 bundles imported, 0 refused, 0 failed: $total changes taken, 0 refused\$"
[ "$(grep -c . "$out")" = 4 ] && ok || bad "not one line per bundle and a total: $(cat "$out")"
# Each reply named by its unit, its device's name without marks, and its short id.
[ "$(find "$stick" -name '*.reply' | sed 's,.*/,,; s/_[0-9a-f]\{8\}\.reply$//' | sort | paste -sd' ')" = \
    "CB-01_may-s1 CB-01_may-s2 CB-02_may-k" ] && ok || bad "replies named: $(ls "$stick")"
for d in s1 s2 k; do
    [ -s "$(rep $d)" ] && ok || bad "no reply for $d"
done
[ "$(candidates 'Nguyễn Văn Sỹ')" = 1 ] && [ "$(candidates 'Lò Thị Hoa')" = 1 ] &&
    ok || bad "the hub lacks the stick's records"
# Registered by their first bundle: the one-time secret was presented and spent.
hubdo 0 "máy s1" -- devices
hubdo 0 "máy k" -- devices
# A reply is for its own device only.
on s1 1 "reply for another device" -- bundle import "$(rep k)"
on s1 1 "not a reply from the hub" -- bundle import "$stick/s1.bundle"
for d in s1 s2 k; do
    on "$d" 0 "read '$(rep $d)'" -- bundle import "$stick"
done
[ -z "$(meta s1 enroll_secret)" ] && ok || bad "the enrollment secret was kept after the welcome"
on s1 0 "not acknowledged: *0" -- status
on s1 0 "CB-01" -- status
# s2's reply was written after s1's bundle went in: it has s1's records, not k's.
on s2 0 "Nguyễn Văn Sỹ" -- candidate list
on s2 0 "Đinh Văn Thắng" -- member list
CELLSYNC_HOME="$dir/s2" "$cellsync" candidate list >"$out" 2>"$err"
grep -q "Lò Thị Hoa" "$out" && bad "cell 1 received cell 2's record" || ok

# ---- old bundles and replies change nothing, and say so ----
before=$(hub_state)
hubdo 0 "nothing new in '$stick/s1.bundle'" -- import "$stick/s1.bundle"
[ "$(hub_state)" = "$before" ] && ok || bad "importing a bundle twice changed the hub: $before -> $(hub_state)"
before=$(hash s2)
on s2 0 "nothing new in '$(rep s2)'" -- bundle import "$(rep s2)"
[ "$(hash s2)" = "$before" ] && ok || bad "importing a reply twice changed the device"
# A stick from an older hub names the reply after the first 8 hex digits of the id,
# or after the short id alone; the device finds either.
old=$(CELLSYNC_HOME="$dir/s2" "$cellsync" status | sed -n 's/^device: *\([0-9a-f]\{8\}\).*/\1/p')
mkdir "$dir/oldstick" && cp "$(rep s2)" "$dir/oldstick/$old.reply"
on s2 0 "nothing new in '$dir/oldstick/$old.reply'" -- bundle import "$dir/oldstick"
mkdir "$dir/oldstick2" && cp "$(rep s2)" "$dir/oldstick2/$(short s2).reply"
on s2 0 "nothing new in '$dir/oldstick2/$(short s2).reply'" -- bundle import "$dir/oldstick2"
# A stick with no reply for the device names the file it looked for.
mkdir "$dir/nostick"
on s2 1 "$dir/nostick/$(short s2).reply" -- bundle import "$dir/nostick"

# ---- a target set at the hub reaches cell 1 through replies, and not cell 2 ----
hubdo 0 "target for CB-01" -- target --org CB-01 --year 2026 --admissions 5 --students 1
for d in s1 s2 k; do
    on "$d" 0 "wrote" -- bundle export "$stick/$d.bundle"
done
# --quiet: the replies are written, and nothing is said.
rm -f "$stick"/*.reply
hubdo 0 "" -- import "$stick/s1.bundle" "$stick/s2.bundle" "$stick/k.bundle" --quiet
[ -s "$out" ] && bad "import --quiet printed: $(cat "$out")" || ok
for d in s1 s2 k; do
    [ -s "$(rep $d)" ] && ok || bad "no reply for $d after import --quiet"
done
for d in s1 s2 k; do
    on "$d" 0 "" -- bundle import "$stick"
done
on s1 0 "CB-01" -- target list
on s2 0 "CB-01" -- target list
CELLSYNC_HOME="$dir/k" "$cellsync" target list --json >"$out" 2>"$err"
[ "$(cat "$out")" = "[]" ] && ok || bad "cell 2 received cell 1's target"
on s1 0 "Hà Thị Mai" -- candidate list
# Two stick-only laptops of one cell end in the same state.
a=$(hash s1) b=$(hash s2)
[ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "s1 and s2 differ: $a / $b"
# An edit on one laptop travels by stick to the other.
k1=$(CELLSYNC_HOME="$dir/s1" "$cellsync" candidate list --json | sed -n 's/.*"id":"\([0-9a-f-]*\)".*"full_name":"Nguyễn Văn Sỹ".*/\1/p' | head -1)
on s1 0 "changed" -- candidate edit "${k1:-none}" --phone 0911000111
on s1 0 "wrote 1 changes" -- bundle export "$stick/s1.bundle"
hubdo 0 "1 new changes" -- import "$stick/s1.bundle"
on s1 0 "received 0 changes" -- bundle import "$stick"
on s2 0 "wrote 0 changes" -- bundle export "$stick/s2.bundle"
hubdo 0 "reply '$(rep s2)' with 1 changes" -- import "$stick/s2.bundle"
on s2 0 "received 1 changes" -- bundle import "$stick"
on s2 0 "0911000111" -- candidate show "${k1:-none}"
a=$(hash s1) b=$(hash s2)
[ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "s1 and s2 differ after an edit: $a / $b"

# A change outside the device's unit (refused when typed; written here as an older
# client would) is refused at the hub; the reply says so, once, and exits 3.
on s1 1 "CB-02" -- candidate edit "${k1:-none}" --org CB-02
CELLSYNC_HOME="$dir/s1" "$fixture" set candidate \
    "$(sql s1 "SELECT hex(id) FROM candidate WHERE full_name = 'Nguyễn Văn Sỹ'")" org_unit CB-02
on s1 0 "wrote 1 changes" -- bundle export "$stick/s1.bundle"
hubdo 0 "0 new changes, 1 refused" -- import "$stick/s1.bundle"
[ "$(hubsql "SELECT count(*) FROM hub_refused WHERE col = 'org_unit'")" = 1 ] &&
    ok || bad "the refusal was not kept at the hub"
on s1 3 "the hub refused candidate 'Nguyễn Văn Sỹ'.*outside" -- bundle import "$stick"
has "refused 1, open conflicts"
on s1 0 "nothing new in" -- bundle import "$stick"
grep -q "the hub refused" "$err" && bad "an old reply repeated its refusals" || ok

# ---- the hub's server: live syncs and an inbox ----
mkdir -p "$dir/inbox"
cat >"$dir/hub.conf" <<EOF
state = $dir/hub
listen = 127.0.0.1:0
inbox = $dir/inbox
EOF
start_hub "" --config "$dir/hub.conf"

# ---- the same change by stick and live is applied once ----
on m 0 "added candidate" -- candidate add --name "Trần Văn Lượng" --birth-date 2002-01-20
on m 0 "wrote" -- bundle export "$stick/m.bundle"
on m 0 "synced" -- sync --hub "$addr"
[ "$(candidates 'Trần Văn Lượng')" = 1 ] && ok || bad "the live sync did not bring m's record"
before=$(hub_state)
hubdo 0 "nothing new in '$stick/m.bundle'" -- import "$stick/m.bundle"
has "reply '$(rep m)'"
[ "$(hub_state)" = "$before" ] && ok || bad "the stick re-applied a live change: $before -> $(hub_state)"
[ "$(candidates 'Trần Văn Lượng')" = 1 ] && ok || bad "the record is at the hub twice"
before=$(hash m)
on m 0 "nothing new in" -- bundle import "$stick"
[ "$(hash m)" = "$before" ] && ok || bad "an old reply changed the device after a live sync"

# ---- refusals: each with its reason; the rest of the stick still goes in ----
on t 0 "added candidate" -- candidate add --name "Bị Cắt Ngắn" --birth-date 2000-01-01
on t 0 "wrote" -- bundle export "$dir/t.bundle"
size=$(wc -c <"$dir/t.bundle")
head -c $((size - 7)) "$dir/t.bundle" >"$stick/cut.bundle"
cp "$dir/t.bundle" "$stick/flip.bundle"
flip "$stick/flip.bundle" $((size - 100))
cp "$dir/t.bundle" "$stick/future.bundle"
printf '\005' | dd of="$stick/future.bundle" bs=1 seek=3 conv=notrunc 2>/dev/null
# One a laptop of protocol version 4 wrote (its change sets not signed inside): format 3.
cp "$dir/t.bundle" "$stick/past.bundle"
printf '\003' | dd of="$stick/past.bundle" bs=1 seek=3 conv=notrunc 2>/dev/null
# r registers with its first bundle, is revoked, then writes and exports.
on r 0 "wrote" -- bundle export "$stick/r.bundle"
hubdo 0 "reply '$(rep r)'" -- import "$stick/r.bundle"
hubdo 0 "revoked" -- revoke "máy r"
on r 0 "added candidate" -- candidate add --name "Đã Thu Hồi" --birth-date 2000-01-01
on r 0 "wrote" -- bundle export "$stick/r.bundle"
# o belongs to another hub; u presents an enrollment that was already used.
"$cellsyncd" init --state "$dir/other" --org-tree "$dir/tree.csv" >/dev/null 2>&1
"$cellsyncd" enroll --state "$dir/other" --org CB-01 --role cell --name o --addr 127.0.0.1:1 \
    --out "$dir/o.enroll" >/dev/null 2>&1
on o 0 "created" -- init
on o 0 "enrolled" -- enroll "$dir/o.enroll"
on o 0 "added candidate" -- candidate add --name "Hub Khác" --birth-date 2000-01-01
on o 0 "wrote" -- bundle export "$stick/o.bundle"
on u 0 "created" -- init
on u 0 "enrolled" -- enroll "$dir/s1.enroll"
on u 0 "added candidate" -- candidate add --name "Không Rõ" --birth-date 2000-01-01
on u 0 "wrote" -- bundle export "$stick/u.bundle"
on s2 0 "added candidate" -- candidate add --name "Vẫn Được Nhận" --birth-date 2003-03-03
on s2 0 "wrote" -- bundle export "$stick/s2.bundle"
n2=$(wrote)
before=$(hub_state)
r_reply=$(cksum <"$(rep r)")
hubdo 1 "1 bundles imported, 7 refused, 0 failed: $n2 changes taken, 0 refused" -- import "$stick/cut.bundle" "$stick/flip.bundle" \
    "$stick/future.bundle" "$stick/past.bundle" "$stick/r.bundle" "$stick/o.bundle" "$stick/u.bundle" "$stick/s2.bundle"
has "bundle refused: '$stick/cut.bundle' is not a whole bundle: message is truncated"
has "bundle refused: '$stick/flip.bundle' is damaged: entry 1 cannot be opened"
has "bundle refused: '$stick/future.bundle' is a bundle of format 5"
has "bundle refused: '$stick/past.bundle' is a bundle of format 3, written by an older cellsync; this program reads format 4: update the cellsync that wrote it"
has "bundle refused: '$stick/r.bundle': device $(short r) refused: this device was revoked"
has "bundle refused: '$stick/o.bundle' is addressed to another hub"
has "bundle refused: '$stick/u.bundle': device $(short u) refused: the enrollment code is wrong, already used or expired"
has "imported '$stick/s2.bundle'"
[ "$(candidates 'Vẫn Được Nhận')" = 1 ] && ok || bad "the good bundle beside the refused ones did not go in"
for n in "Bị Cắt Ngắn" "Đã Thu Hồi" "Hub Khác" "Không Rõ"; do
    [ "$(candidates "$n")" = 0 ] && ok || bad "a refused bundle stored '$n'"
done
# Only s2's changes went in: its versions, no refusal logged, no device added.
after=$(hub_state)
[ "${after#*/}" = "${before#*/}" ] && [ "${after%%/*}" -eq $((${before%%/*} + n2)) ] &&
    ok || bad "refused bundles changed the hub: $before -> $after (+$n2 expected)"
[ "$(cksum <"$(rep r)")" = "$r_reply" ] && ok || bad "a revoked device got a reply"
# The intact bundle whose copies were refused goes in.
hubdo 0 "imported '$dir/t.bundle'" -- import "$dir/t.bundle" --reply-dir "$stick"
[ "$(candidates 'Bị Cắt Ngắn')" = 1 ] && ok || bad "the intact bundle did not go in"
on t 0 "read" -- bundle import "$stick"
# A damaged reply is refused on the device and changes nothing there.
cp "$(rep s2)" "$dir/s2.reply"
flip "$dir/s2.reply" 200
before=$(hash s2)
on s2 1 "damaged" -- bundle import "$dir/s2.reply"
[ "$(hash s2)" = "$before" ] && ok || bad "a damaged reply changed the device"
on s2 0 "received" -- bundle import "$stick"

# ---- the inbox: a dropped bundle is imported, answered and moved to done/ ----
on s1 0 "added candidate" -- candidate add --name "Qua Hộp Thư" --birth-date 2004-04-04
on s1 0 "wrote" -- bundle export "$dir/s1-inbox.bundle"
cp "$dir/s1-inbox.bundle" "$dir/inbox/s1.bundle"
cp "$stick/cut.bundle" "$dir/inbox/cut.bundle"
# A symbolic link dropped in the inbox is no bundle, wherever it points (F18).
on s2 0 "added candidate" -- candidate add --name "Qua Liên Kết" --birth-date 2004-05-05
on s2 0 "wrote" -- bundle export "$dir/s2-link.bundle"
ln -s "$dir/s2-link.bundle" "$dir/inbox/s2link.bundle"
for _ in $(seq 1 100); do
    # The log line comes after the files are in place: wait for it too (slow under TSan).
    [ -s "$dir/inbox/s1.reply" ] && [ -e "$dir/inbox/done/s1.bundle" ] &&
        [ -e "$dir/inbox/refused/cut.bundle" ] &&
        grep -q "event=import file=\"s1.bundle\"" "$dir/hub.log" &&
        grep -q "event=import-refused file=\"cut.bundle\"" "$dir/hub.log" && break
    sleep 0.2
done
[ -s "$dir/inbox/s1.reply" ] && ok || bad "the inbox wrote no reply"
[ -e "$dir/inbox/done/s1.bundle" ] && [ ! -e "$dir/inbox/s1.bundle" ] &&
    ok || bad "the inbox did not move the bundle to done/"
[ -e "$dir/inbox/refused/cut.bundle" ] && ok || bad "the inbox did not set the cut bundle aside"
grep -q "event=import file=\"s1.bundle\"" "$dir/hub.log" && ok || bad "no import line in the log"
grep -q "event=import-refused file=\"cut.bundle\".*truncated" "$dir/hub.log" &&
    ok || bad "no refusal line in the log"
[ "$(candidates 'Qua Hộp Thư')" = 1 ] && ok || bad "the inbox did not merge the bundle"
sleep 1
[ -L "$dir/inbox/s2link.bundle" ] && [ ! -e "$dir/inbox/s2link.reply" ] &&
    [ "$(candidates 'Qua Liên Kết')" = 0 ] && ok || bad "the inbox followed a symbolic link"
hubdo 1 "is a symbolic link; give the file itself" -- import "$dir/inbox/s2link.bundle"
rm "$dir/inbox/s2link.bundle"
on s1 0 "read" -- bundle import "$dir/inbox/s1.reply"
# The hub still serves live syncs after the inbox's work.
on s2 0 "synced" -- sync --hub "$addr"
on s2 0 "Qua Hộp Thư" -- candidate list

# A never-online laptop whose clock runs 10 days ahead: its first stick is
# refused for the stamps and kept for review; the reply gives it the hub's
# time, it re-issues those writes, and the next stick goes in.
hubdo 0 "written" -- enroll --org CB-01 --role cell --name "máy f" --addr 127.0.0.1:1 \
    --out "$dir/f.enroll"
on f 0 "created" -- init
on f 0 "enrolled" -- enroll "$dir/f.enroll"
set_meta f clock_offset_ms 864000000
on f 0 "added candidate" -- candidate add --name "Đồng Hồ Nhanh" --birth-date 2000-01-01
on f 0 "wrote" -- bundle export "$stick/f.bundle"
hubdo 0 "" -- import "$stick/f.bundle" --reply-dir "$stick"
[ "$(candidates 'Đồng Hồ Nhanh')" = 0 ] && ok || bad "a stamp 10 days ahead was merged"
on f 0 "carry the hub's time" -- bundle import "$(rep f)"
on f 0 "wrote" -- bundle export "$stick/f2.bundle"
hubdo 0 "" -- import "$stick/f2.bundle" --reply-dir "$stick"
[ "$(candidates 'Đồng Hồ Nhanh')" = 1 ] && ok || bad "the re-issued write did not go in"

stop_hub

summary
