#!/bin/sh
# SPDX-License-Identifier: MIT
# Clocks in the field, through the real binaries and a hub on loopback
# ($CELLSYNC_CLOCK_SKEW makes a laptop's clock read wrong, as one set to 2031
# does): a laptop whose clock is years ahead enrolls (the hub judges the
# enrollment's expiry), is told in words after its sync, and dates what it
# records by the hub's time from then on; a reply from a stick that comes
# back days late, or an older reply imported after a newer one, never moves
# the clock back nor back-dates later edits; a cell's ceremony step, which
# copies the committee's decision date into the new member record, is
# accepted by the hub; a sync cut midway still counts as a contact; the
# progress line shows the total and the export says what to do next.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# skewed DEVICE SECONDS CODE PATTERN -- ARGS: cellsync ARGS on DEVICE whose clock reads
# SECONDS off the real time, with no CELLSYNC_TODAY: the dates are the program's own.
skewed() {
    _dev=$1 _skew=$2 _code=$3 _pattern=$4
    shift 5
    CELLSYNC_HOME="$dir/$_dev" CELLSYNC_TODAY='' CELLSYNC_CLOCK_SKEW=$_skew "$cellsync" "$@" \
        >"$out" 2>"$err" </dev/null
    got=$?
    verdict "$_code" any "$_pattern" "[$_dev, clock $_skew s off] cellsync $*"
}
# near WHAT WANT GOT TOLERANCE: two numbers no further apart than TOLERANCE.
near() {
    _d=$(($3 - $2))
    [ "$_d" -lt 0 ] && _d=$((-_d))
    if [ "$_d" -le "$4" ]; then ok; else bad "$1: $3, not within $4 of $2"; fi
}
offset() { meta "$1" clock_offset_ms 0; }

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
EOF
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
start_hub "$dir/hub"

# ---- A laptop whose clock reads five years ahead (2031) ----
ahead=157788000
hubdo 0 "" -- enroll --org CB-01 --role cell --name "máy w" --addr "$addr" --out "$dir/w.enroll"
skewed w "$ahead" 0 "created" -- init
# Its clock says the enrollment expired long ago: it enrolls, says the clock may be
# wrong, and the hub, which judges by its own clock, registers it.
skewed w "$ahead" 0 "enrolled" -- enroll "$dir/w.enroll"
grep -q "this computer's clock says it is" "$err" && ok ||
    bad "enroll does not say which clock may be wrong"
skewed w "$ahead" 0 "synced with" -- sync --quiet --timeout 20
# The sync says in words that the clock is wrong, how far, and what to do.
grep -q "this computer's clock is 18[0-9][0-9] days.* ahead of the hub's: set its date" "$out" &&
    ok || bad "the sync does not say the clock is 5 years ahead"
grep -q " s from this one" "$out" && bad "the sync still prints the offset in seconds" || ok
near "the offset learned from the hub" $((-ahead * 1000)) "$(offset w)" 60000
# From then on the dates it fills in are the hub's (today), not 2031's.
before=$(date +%Y-%m-%d)
skewed w "$ahead" 0 "added candidate" -- candidate add --name "Hà Thị Lan" --birth-date 2000-01-01
after=$(date +%Y-%m-%d)
id=$(added_id)
skewed w "$ahead" 0 "" -- candidate show "$id" --json
case $(tr -d '\n' <"$out") in
*"\"identified_on\":\"$before\""* | *"\"identified_on\":\"$after\""*) ok ;;
*) bad "the identified date is not the hub's today ($before)" ;;
esac
# Every command says it until the clock is set; stamps are the hub's time too.
grep -q "ahead of the hub's" "$err" && ok || bad "no warning about the clock on a later command"
skewed w "$ahead" 0 "synced with" -- sync --quiet --timeout 20
grep -q "refused 0" "$out" && ok || bad "the hub refused the laptop's writes"
near "the newest stamp at the hub, in seconds" "$(($(now_ms) / 1000))" \
    "$(hubsql "SELECT (max(hlc) >> 16) / 1000 FROM cs_version")" 600

# A registered device belongs to its hub: another enrollment is refused.
hubdo 0 "" -- enroll --org CB-01 --role cell --name "máy w2" --addr "$addr" --out "$dir/w2.enroll"
skewed w "$ahead" 1 "already enrolled" -- enroll "$dir/w2.enroll"
# One the hub has not taken yet (it found the first enrollment expired) takes a new one
# from the same hub, and registers with it.
on e 0 "created" -- init
on e 0 "enrolled" -- enroll "$dir/w2.enroll"
hubdo 0 "" -- enroll --org CB-01 --role cell --name "máy e" --addr "$addr" --out "$dir/e.enroll"
on e 0 "enrolled" -- enroll "$dir/e.enroll"
dosync e
grep -q "synced with" "$out" && ok || bad "the device did not register with its new enrollment"

# ---- A laptop whose clock is right: nothing about the clock ----
hubdo 0 "" -- enroll --org CB-01 --role cell --name "máy a" --addr "$addr" --out "$dir/a.enroll"
on a 0 "created" -- init
on a 0 "enrolled" -- enroll "$dir/a.enroll"
on a 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 2000-03-15
dosync a
[ "$sc" = 0 ] && ok || bad "a's sync failed"
grep -q -i "clock" "$out" "$err" && bad "a sync with a right clock talks about the clock" || ok

# ---- A laptop of a cell on a stick, whose replies come back days late ----
hubdo 0 "" -- enroll --org CB-01 --role cell --name "máy s" --addr 127.0.0.1:1 \
    --out "$dir/s.enroll"
on s 0 "created" -- init
on s 0 "enrolled" -- enroll "$dir/s.enroll"
mkdir "$dir/stick" "$dir/old"
on s 0 "added candidate" -- candidate add --name "Lò Văn Pọm" --birth-date 1999-05-01
on s 0 "wrote" -- bundle export "$dir/stick/s1.bundle"
# The export says what to do next, with the command to type.
grep -q "next: carry '$dir/stick/s1.bundle' to the hub.*cellsync bundle import $dir/stick'" \
    "$out" && ok || bad "the export does not say what to do next"
hubdo 0 "" -- import "$dir/stick/s1.bundle" --reply-dir "$dir/stick"
reply=$(find "$dir/stick" -name "*_$(short s).reply")
cp "$reply" "$dir/old/first.reply"
on s 0 "added candidate" -- candidate add --name "Lò Thị Xuân" --birth-date 2001-02-01
pid=$(added_id)
on s 0 "wrote" -- bundle export "$dir/stick/s2.bundle"
hubdo 0 "" -- import "$dir/stick/s2.bundle" --reply-dir "$dir/stick"
# Three days on the road: to this laptop the reply's hub time is 3 days old. That
# proves only that the present is later; the clock stays, and what the secretary
# writes next is stamped now, not 72 hours ago.
late=259200
skewed s "$late" 0 "read" -- bundle import "$reply"
near "the offset after a reply 3 days old" 0 "$(offset s)" 60000
skewed s "$late" 0 "changed" -- candidate edit "$pid" --phone 0911000111
near "the stamp of an edit after the late reply, in seconds" \
    "$(($(now_ms) / 1000 + late))" \
    "$(sql s "SELECT (max(hlc) >> 16) / 1000 FROM cs_version WHERE col = 'phone'")" 600
# The older reply, imported after the newer one, and the newer again: nothing changes,
# the clock included.
o=$(offset s) h=$(hash s) c=$(meta s last_contact)
skewed s "$late" 0 "nothing new" -- bundle import "$dir/old/first.reply"
skewed s "$late" 0 "nothing new" -- bundle import "$reply"
equal "the offset after old replies" "$o" "$(offset s)"
equal "the records after old replies" "$h" "$(hash s)"
equal "the last contact after old replies" "$c" "$(meta s last_contact)"

# ---- A cell's ceremony step, after the committee's decision ----
hubdo 0 "" -- enroll --org XA-ML --role committee --name "máy đảng ủy" --addr "$addr" \
    --out "$dir/k.enroll"
on k 0 "created" -- init
on k 0 "enrolled" -- enroll "$dir/k.enroll"
kid=$(CELLSYNC_HOME="$dir/a" "$fixture" candidate "Vàng A Chứ" grassroots_resolution \
    org_unit=CB-01 birth_date=1998-04-04 identified_on=2025-01-06 helper_on=2025-01-06 \
    class_on=2025-03-03 applied_on=2025-04-01 verified_on=2025-06-02 \
    cell_resolution_on=2025-12-01 grassroots_resolution_on=2026-01-12) ||
    bad "cs_fixture candidate"
sid=$(echo "$kid" | tail -c 9)
dosync a
[ "$sc" = 0 ] && ok || bad "a's sync failed"
dosync k
on k 0 "decision" -- candidate advance "$sid" --date 2026-02-02
dosync k
grep -q "refused 0" "$out" && ok || bad "the hub refused the committee's decision"
dosync a
on a 0 "ceremony" -- candidate advance "$sid" --date 2026-02-16
dosync a
grep -q "refused 0" "$out" && ok || bad "the hub refused the cell's ceremony step"
equal "the new member's decision date at the hub" 2026-02-02 \
    "$(hubsql "SELECT decision_on FROM member WHERE full_name = 'Vàng A Chứ'")"
equal "the new member's ceremony date at the hub" 2026-02-16 \
    "$(hubsql "SELECT ceremony_on FROM member WHERE full_name = 'Vàng A Chứ'")"

stop_hub
summary
