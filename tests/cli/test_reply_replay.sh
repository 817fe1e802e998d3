#!/bin/sh
# SPDX-License-Identifier: MIT
# Old reply bundles replayed to a laptop change nothing (security review
# F13), with the real binaries: two rounds of export, hub import and reply;
# then the newest reply again finds nothing new, the older one is not
# applied at all ("older than the last reply"), and a reply that claims
# another incarnation of the hub but was written
# before the laptop last heard from the hub is refused. Each time the
# laptop's clock offset, cursors, incarnation and records stay as they were.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
. "$(dirname "$0")/lib.sh"

# What a replay could move: the clock offset, the cursors, the incarnation, the records.
state() {
    for k in clock_offset_ms hub_seq hub_ack_seq exported_seq hub_incarnation last_contact \
        reply_hub_time; do
        printf '%s=%s ' "$k" "$(meta s "$k" -)"
    done
    echo "hash=$(hash s)"
}
same() {
    if [ "$(state)" = "$1" ]; then ok; else bad "$2 changed the laptop: $1 -> $(state)"; fi
}

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
EOF
hubdo 0 "created" -- init --org-tree "$dir/tree.csv"
hubdo 0 "written" -- enroll --org CB-01 --role cell --name "máy s" --addr 127.0.0.1:1 \
    --out "$dir/s.enroll"
hubdo 0 "written" -- enroll --org CB-01 --role cell --name "máy t" --addr 127.0.0.1:1 \
    --out "$dir/t.enroll"
for d in s t; do
    on $d 0 "created" -- init
    on $d 0 "enrolled" -- enroll "$dir/$d.enroll"
done
mkdir -p "$dir/stick"

# Round 1 and 2: t's records come down in each reply, so each moves s's cursors.
on t 0 "added candidate" -- candidate add --name "Lò Văn Một" --birth-date 2000-01-01
on t 0 "wrote" -- bundle export "$dir/stick/t1.bundle"
hubdo 0 "reply '" -- import "$dir/stick/t1.bundle" --reply-dir "$dir/stick/t"
on s 0 "added candidate" -- candidate add --name "Cầm Thị Hai" --birth-date 2001-02-02
on s 0 "wrote" -- bundle export "$dir/stick/s1.bundle"
hubdo 0 "reply '" -- import "$dir/stick/s1.bundle" --reply-dir "$dir/stick/r1"
r1=$(ls "$dir"/stick/r1/*.reply)
on s 0 "received [1-9][0-9]* changes" -- bundle import "$r1"
sleep 1 # the hub's time moves on, to the second the laptop keeps of it
on t 0 "added candidate" -- candidate add --name "Lò Văn Ba" --birth-date 2002-03-03
on t 0 "wrote" -- bundle export "$dir/stick/t2.bundle"
hubdo 0 "reply '" -- import "$dir/stick/t2.bundle" --reply-dir "$dir/stick/t"
on s 0 "wrote" -- bundle export "$dir/stick/s2.bundle"
hubdo 0 "reply '" -- import "$dir/stick/s2.bundle" --reply-dir "$dir/stick/r2"
r2=$(ls "$dir"/stick/r2/*.reply)
on s 0 "received [1-9][0-9]* changes" -- bundle import "$r2"
[ "$(sql s 'SELECT count(*) FROM candidate')" = 3 ] && ok || bad "s does not hold the 3 records"
[ "$(meta s reply_hub_time 0)" -gt 0 ] && ok || bad "s kept no time of its last reply"
s0=$(state)
echo "laptop after two replies: $s0"

# The same reply again: nothing new, nothing moves.
on s 0 "nothing new in '$r2'" -- bundle import "$r2"
same "$s0" "the newest reply imported again"
# The older reply: checked, then not applied at all.
on s 0 "nothing new in '$r1': it is older than the last reply this device imported" -- \
    bundle import "$r1"
same "$s0" "an older reply"

# A reply of another incarnation written before the last word from the hub:
# staged by giving the laptop another stored incarnation, so r2 looks like
# the earlier incarnation's (it would lower hub_seq to its down cursor).
set_meta s hub_incarnation 00000000000000000000000000000000
s1=$(state)
on s 1 "'$r2' was written by the hub before this device last heard from it, in an earlier state of the hub: nothing was changed" -- \
    bundle import "$r2"
same "$s1" "a reply of another incarnation, older than the last word"

# A laptop whose clock offset is ahead (it learned a later hub time) keeps it: no reply sets it back.
set_meta s hub_incarnation "$(echo "$s0" | sed -n 's/.*hub_incarnation=\([0-9a-f]*\) .*/\1/p')"
set_meta s clock_offset_ms 86400000
s2=$(state)
on s 0 "is older than the last reply" -- bundle import "$r1"
on s 0 "nothing new" -- bundle import "$r2"
same "$s2" "old replies to a laptop whose clock offset is a day ahead"

# A new round still goes in.
on t 0 "added candidate" -- candidate add --name "Lò Văn Bốn" --birth-date 2003-04-04
on t 0 "wrote" -- bundle export "$dir/stick/t3.bundle"
hubdo 0 "reply '" -- import "$dir/stick/t3.bundle" --reply-dir "$dir/stick/t"
set_meta s clock_offset_ms 0
on s 0 "wrote" -- bundle export "$dir/stick/s3.bundle"
hubdo 0 "reply '" -- import "$dir/stick/s3.bundle" --reply-dir "$dir/stick/r3"
on s 0 "received [1-9][0-9]* changes" -- bundle import "$(ls "$dir"/stick/r3/*.reply)"
[ "$(meta s reply_hub_time 0)" -gt "$(echo "$s0" | sed -n 's/.*reply_hub_time=\([0-9]*\) .*/\1/p')" ] &&
    ok || bad "the new reply's time was not kept"
summary
