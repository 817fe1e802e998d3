#!/bin/sh
# SPDX-License-Identifier: MIT
# The field client killed with SIGKILL mid-sync and mid-bundle-export, again
# and again (CS_CLIENT_CRASH_TRIALS rounds of each, 3 by default; `make soak`
# runs 100). Each round starts from the same saved state.
#
# Live sync: device A of cell CB-01 holds 2000 candidates (14000 changes)
# the hub has never seen, device B of the same cell 50 of its own. A's sync
# is killed a fraction of an uninterrupted sync's time in (fractions spread
# over 0..95 %); in odd rounds the hub is stopped to count what it merged,
# in even ones A runs again at once against the same hub. Then B's first
# sync, which downloads A's 14000 changes, is killed the same way. After
# each kill: the device's replica passes PRAGMA integrity_check, it lost
# none of its own changes, and it never believes the hub acknowledged more
# than the hub merged; the next sync exits 0 and goes on from there: it
# sends exactly what the hub lacks (or, for B, receives exactly what B
# lacks), in no more bytes than that share of an uninterrupted sync plus
# one chunk. At the end of a round A and B have the same state hash and the
# hub holds each device change exactly once.
#
# Bundle export: A, which exported 2000 candidates to the stick once and
# has 500 more since, exports again and is killed, either when the temp
# file has reached a fraction of a whole bundle's size or after a fraction
# of an export's time. The destination is then the previous complete
# bundle (odd rounds) or absent (even rounds), or else a complete new one
# that the hub imports whole; a leftover temp file is refused by the hub as
# not whole (or, left by a kill inside the commit, is whole: all of the
# export) and does not stop the next export; exported_seq is as before or
# the whole export's, and never behind a whole bundle that was left (the
# device must not re-stamp what a stick may carry). A new export is
# imported by the hub, A imports the reply, and A and the hub hold the same
# candidates, each change once. Then B sends its 50 by stick and is
# killed while it applies the reply that brings A's 17500 changes: its
# replica is whole, and a second import applies exactly what the first had
# not.
set -u
cellsync=$1 cellsyncd=$2 bulk=$3 fixture=$4
trials=${CS_CLIENT_CRASH_TRIALS:-3}
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

N_A=2000 N_B=50 N_MORE=500
CH_A=$((N_A * 7)) CH_B=$((N_B * 7)) CH_MORE=$(((N_A + N_MORE) * 7)) # 7 columns a candidate
SLACK_KIB=20 # one chunk (16 KiB) and its overhead, the handshake, acknowledgments

# A replica's own versions carry its site id as origin.
own() { sql "$1" "SELECT count(*) FROM cs_version WHERE origin = x'$(site "$1")'"; }
others() { sql "$1" "SELECT count(*) FROM cs_version WHERE origin != x'$(site "$1")'"; }
# The versions the hub holds from device NAME.
at_hub() {
    sql hub "SELECT count(*) FROM cs_version
             WHERE origin = (SELECT id FROM hub_device WHERE name = '$1')"
}
dups() {
    sql hub "SELECT count(*) FROM (SELECT 1 FROM cs_version GROUP BY tbl, row, col, hlc, origin
             HAVING count(*) > 1)"
}
# A device's own changes the hub acknowledged to it.
acked() {
    sql "$1" "SELECT count(*) FROM cs_version
              WHERE origin = x'$(site "$1")' AND seq <= $(meta "$1" hub_ack_seq 0)"
}
# frac I: the I-th of a sequence spread evenly over 0..0.95 (golden-ratio steps); the
# first few hundredths land in the handshake, where the device is registered.
frac() { awk -v i="$1" 'BEGIN { f = i * 0.6180339887; f -= int(f); printf "%.3f", 0.95 * f }'; }
seconds() { awk -v ms="$1" 'BEGIN { printf "%.3f", ms / 1000 }'; }
# le A B: A <= B, for the decimals of the summary lines.
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
# From a sync's summary line in $out.
sent() { sed -n 's/.* sent \([0-9]*\) changes.*/\1/p' "$out"; }
sent_kib() { sed -n 's/.* sent [0-9]* changes (\([0-9.]*\) KiB).*/\1/p' "$out"; }
received() { sed -n 's/.* received \([0-9]*\) (.*/\1/p' "$out"; }
received_kib() { sed -n 's/.* received [0-9]* (\([0-9.]*\) KiB).*/\1/p' "$out"; }
# From an import's line in $out: the new changes.
imported() {
    sed -n "s/^imported .*: \([0-9]*\) new changes.*/\1/p; s/^nothing new in .*/0/p" "$out"
}
# take FILE HOLDS WHAT: the hub imports a bundle of A's holding HOLDS changes, all of
# which it lacked ($have so far) go in; sets $have.
take() {
    "$cellsyncd" import "$1" --state "$dir/hub" >"$out" 2>"$err"
    rc=$?
    [ $rc -eq 0 ] && [ "$(imported)" = $(($2 - have)) ] && ok ||
        bad "bundle round $j: the hub took $(imported) changes (exit $rc) from $3," \
            "not $(($2 - have))"
    have=$2
}

# killsync DEVICE MS: a sync killed with SIGKILL MS ms in; its exit code in $kc (137: killed).
killsync() {
    CELLSYNC_HOME="$dir/$1" "$cellsync" sync --quiet --timeout 20 --hub "$addr" \
        >"$dir/killed.out" 2>&1 &
    pid=$!
    sleep "$(seconds "$2")"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null # without the shell's "Killed"
    kc=$?
}
# intact DEVICE OWN ROUND: the replica after a kill is whole and kept all of its own changes.
intact() {
    [ "$(sql "$1" 'PRAGMA integrity_check')" = ok ] && ok ||
        bad "$3: $1's replica fails PRAGMA integrity_check"
    n=$(own "$1")
    [ "$n" -ge "$2" ] && ok || bad "$3: $1 holds $n of its own $2 changes"
}

# ---- the hub, devices A and B of one cell, their records ----
cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
EOF
"$cellsyncd" init --state "$dir/hub" --org-tree "$dir/tree.csv" >"$out" 2>"$err" &&
    ok || bad "hub init"
start_hub "$dir/hub"
for name in a b; do
    "$cellsyncd" enroll --state "$dir/hub" --org CB-01 --role cell --name "$name" \
        --addr "$addr" --out "$dir/$name.enroll" >"$out" 2>"$err" && ok || bad "enroll $name"
    on "$name" 0 "created" -- init
    on "$name" 0 "enrolled" -- enroll "$dir/$name.enroll"
done
CELLSYNC_HOME="$dir/a" "$bulk" candidates $N_A >"$out" 2>"$err" && ok || bad "cs_bulk a"
CELLSYNC_HOME="$dir/b" "$bulk" candidates $N_B >"$out" 2>"$err" && ok || bad "cs_bulk b"
stop_hub
mkdir "$dir/snap" "$dir/snapb"
cp -a "$dir/hub" "$dir/a" "$dir/b" "$dir/snap/"
[ "$(own a)" = $CH_A ] && [ "$(own b)" = $CH_B ] && ok ||
    bad "cs_bulk wrote $(own a) and $(own b) changes"

# For the bundles: A exported its 2000 once (the stick's previous bundle), then wrote 500 more.
on a 0 "wrote $CH_A changes" -- bundle export "$dir/prev.bundle"
e_prev=$(meta a exported_seq 0)
CELLSYNC_HOME="$dir/a" "$bulk" candidates $N_MORE >"$out" 2>"$err" && ok || bad "cs_bulk a more"
cp -a "$dir/hub" "$dir/a" "$dir/snapb/"

# ---- uninterrupted, to know the time and bytes of the whole ----
t0=$(now_ms)
on a 0 "wrote $CH_MORE changes" -- bundle export "$dir/whole.bundle"
t_export=$(($(now_ms) - t0))
s_export=$(wc -c <"$dir/whole.bundle")
e_full=$(meta a exported_seq 0)
restore snap hub a
start_hub "$dir/hub"
t0=$(now_ms)
dosync a
t_a=$(($(now_ms) - t0))
[ $sc -eq 0 ] && [ "$(sent)" = $CH_A ] && ok || bad "A's uninterrupted sync (exit $sc)"
up_a=$(sent_kib)
t0=$(now_ms)
dosync b
t_b=$(($(now_ms) - t0))
down_b=$(received) down_b_kib=$(received_kib)
[ $sc -eq 0 ] && [ "${down_b:-0}" -ge $CH_A ] && ok || bad "B's uninterrupted sync (exit $sc)"
stop_hub
echo "uninterrupted: A sends $CH_A changes ($up_a KiB) in $t_a ms; B receives $down_b" \
    "($down_b_kib KiB) in $t_b ms; export of $CH_MORE changes $s_export bytes in $t_export ms"

# ---- live sync, killed ----
kills=0 mid=0 mid_a=0 mid_b=0 early=0 late=0 finished=0
i=0
while [ "$i" -lt "$trials" ]; do
    i=$((i + 1))
    restore snap hub a b
    start_hub "$dir/hub"

    # A, sending its 14000 changes.
    f=$(frac "$i")
    delay=$(awk -v f="$f" -v t="$t_a" 'BEGIN { printf "%d", f * t }')
    killsync a "$delay"
    intact a $CH_A "round $i, A"
    [ "$(sql a 'SELECT count(*) FROM candidate')" = $N_A ] && ok ||
        bad "round $i: A holds $(sql a 'SELECT count(*) FROM candidate') candidates, not $N_A"
    k=$(acked a)
    how="resumed at once"
    if [ $((i % 2)) -eq 1 ]; then
        stop_hub
        h=$(at_hub a)
        cursor=$(sql hub "SELECT coalesce((SELECT up_seq FROM hub_device WHERE name = 'a'), 0)")
        [ "$(meta a hub_ack_seq 0)" -le "$cursor" ] && ok ||
            bad "round $i: A believes seq $(meta a hub_ack_seq 0) acknowledged," \
                "the hub merged up to $cursor"
        how="hub held $h"
        start_hub "$dir/hub"
    fi
    dosync a
    n=$(sent) kib=$(sent_kib)
    [ $sc -eq 0 ] && [ -n "$n" ] && ok || bad "round $i: A's sync after the kill exited $sc"
    n=${n:-$CH_A}
    if [ $((i % 2)) -eq 1 ]; then
        [ "$n" -eq $((CH_A - h)) ] && ok ||
            bad "round $i: A sent $n changes after the kill, the hub lacked $((CH_A - h))"
    fi
    [ "$n" -le $((CH_A - k)) ] && ok ||
        bad "round $i: A sent $n changes after the kill, though the hub had acknowledged $k"
    bound=$(awk -v u="$up_a" -v n="$n" -v t=$CH_A -v s=$SLACK_KIB \
        'BEGIN { printf "%.1f", u * n / t + s }')
    le "${kib:-0}" "$bound" && ok ||
        bad "round $i: A sent $kib KiB for $n changes after the kill, over $bound"
    kills=$((kills + 1))
    if [ "$kc" -ne 137 ]; then
        finished=$((finished + 1)) what="finished before the kill (exit $kc)"
    elif [ "$n" -eq $CH_A ]; then
        early=$((early + 1)) what="before the hub merged any"
    elif [ "$n" -eq 0 ]; then
        late=$((late + 1)) what="after the hub had all"
    else
        mid=$((mid + 1)) mid_a=$((mid_a + 1)) what="mid-upload"
    fi
    echo "round $i: A killed $delay ms in ($what; acknowledged $k, $how);" \
        "then sent $n changes, $kib KiB"

    # B, receiving A's 14000 with its first sync.
    delay=$(awk -v f="$f" -v t="$t_b" 'BEGIN { printf "%d", f * t }')
    killsync b "$delay"
    intact b $CH_B "round $i, B"
    r=$(others b) c=$(sql b 'SELECT count(*) FROM candidate')
    [ "$c" -ge $N_B ] && [ "$c" -le $((N_A + N_B)) ] && ok ||
        bad "round $i: B holds $c candidates after the kill"
    dosync b
    m=$(received) kib=$(received_kib)
    [ $sc -eq 0 ] && [ -n "$m" ] && ok || bad "round $i: B's sync after the kill exited $sc"
    m=${m:-$down_b}
    [ "$m" -eq $((down_b - r)) ] && ok ||
        bad "round $i: B received $m changes after the kill; it had $r of $down_b"
    bound=$(awk -v d="$down_b_kib" -v m="$m" -v t="$down_b" -v s=$SLACK_KIB \
        'BEGIN { printf "%.1f", d * m / t + s }')
    le "${kib:-0}" "$bound" && ok ||
        bad "round $i: B received $kib KiB for $m changes after the kill, over $bound"
    kills=$((kills + 1))
    if [ "$kc" -ne 137 ]; then
        finished=$((finished + 1)) what="finished before the kill (exit $kc)"
    elif [ "$r" -eq 0 ]; then
        early=$((early + 1)) what="before any chunk was applied"
    elif [ "$m" -eq 0 ]; then
        late=$((late + 1)) what="after all was applied"
    else
        mid=$((mid + 1)) mid_b=$((mid_b + 1)) what="mid-download"
    fi
    echo "round $i: B killed $delay ms in ($what, had $r of $down_b); then received $m, $kib KiB"

    # A gets B's, and the hub's record of B (its name, unit, role and key: 4 changes, written
    # at B's first contact); all agree.
    dosync a
    [ $sc -eq 0 ] && [ "$(received)" = $((CH_B + 4)) ] && ok ||
        bad "round $i: A's last sync exited $sc, received $(received) not $((CH_B + 4))"
    ha=$(hash a) hb=$(hash b)
    [ -n "$ha" ] && [ "$ha" = "$hb" ] && ok || bad "round $i: A and B differ: $ha / $hb"
    stop_hub
    [ "$(sql hub 'SELECT count(*) FROM candidate')" = $((N_A + N_B)) ] && ok ||
        bad "round $i: the hub holds $(sql hub 'SELECT count(*) FROM candidate') candidates"
    [ "$(at_hub a)" = $CH_A ] && [ "$(at_hub b)" = $CH_B ] && ok ||
        bad "round $i: the hub holds $(at_hub a) of A's $CH_A and $(at_hub b) of B's $CH_B changes"
    [ "$(dups)" = 0 ] && ok || bad "round $i: $(dups) changes stored twice at the hub"
done
echo "sync: $kills kills, $mid mid-transfer, $early before any data, $late after all data," \
    "$finished finished first"
# Kills must land inside the transfer, or the test proves little: in each direction, and
# most of them over many rounds (the times of a few vary with the machine's load).
[ $mid_a -gt 0 ] && [ $mid_b -gt 0 ] && ok ||
    bad "$mid_a kills of A landed mid-upload, $mid_b of B mid-download"
[ "$kills" -lt 10 ] || [ $((mid * 2)) -ge "$kills" ] && ok ||
    bad "only $mid of $kills kills landed mid-transfer"

# ---- bundle export, killed ----
stick=$dir/stick dest=$dir/stick/a.bundle
bkills=0 inwrite=0 kept=0 absent=0 renamed=0 litter=0 wholetemp=0 early_seq=0
rkills=0 rmid=0 t_reply='' down_reply=0
j=0
while [ "$j" -lt "$trials" ]; do
    j=$((j + 1))
    restore snapb hub a
    rm -rf "$stick"
    mkdir "$stick"
    [ $((j % 2)) -eq 1 ] && cp "$dir/prev.bundle" "$dest"
    f=$(frac "$j")
    CELLSYNC_HOME="$dir/a" "$cellsync" bundle export --quiet "$dest" >"$dir/killed.out" 2>&1 &
    pid=$!
    # Rounds 1, 4, 5, 8, ...: at a share of the bytes; 2, 6, ...: after a share of the
    # time; 3, 7, ...: once the last chunk is being written, so that most kills land
    # in the commit (the count, fsync, rename, fsync of the directory).
    if [ $((j % 4)) -ne 2 ]; then
        if [ $((j % 4)) -eq 3 ]; then
            at=$((s_export - 3000))
        else
            at=$(awk -v f="$f" -v s="$s_export" 'BEGIN { printf "%d", f * s }')
        fi
        how="at $at bytes written"
        seen=0 n=0
        while [ $n -lt 5000 ]; do
            n=$((n + 1))
            size=-1
            for t in "$dest".tmp*; do
                [ -f "$t" ] && size=$(wc -c <"$t" 2>/dev/null)
            done
            [ "${size:--1}" -ge "$at" ] && break
            [ "${size:--1}" -ge 0 ] && seen=1
            [ $seen = 1 ] && [ "${size:--1}" -lt 0 ] && break # renamed: it finished
        done
    else
        delay=$(awk -v f="$f" -v t="$t_export" 'BEGIN { printf "%d", f * t }')
        how="$delay ms in"
        sleep "$(seconds "$delay")"
    fi
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    kc=$?
    bkills=$((bkills + 1))
    intact a $CH_MORE "bundle round $j"
    e=$(meta a exported_seq 0)

    # What the destination holds: the old bundle, nothing, or a whole new one.
    have=0 whole=0
    if [ $((j % 2)) -eq 1 ] && cmp -s "$dest" "$dir/prev.bundle"; then
        state="the previous bundle"
        kept=$((kept + 1))
        take "$dest" $CH_A "$state"
    elif [ ! -e "$dest" ]; then
        state="no file"
        absent=$((absent + 1))
        [ $((j % 2)) -eq 0 ] && ok || bad "bundle round $j: the previous bundle is gone"
    else
        state="a new bundle" whole=1
        renamed=$((renamed + 1))
        take "$dest" $CH_MORE "$state"
    fi
    # A temp file a kill leaves is refused as not whole, or (killed inside the commit,
    # between writing the count and the rename) it is whole: never part of an export.
    temps=0 wtemps=0
    for t in "$dest".tmp*; do
        [ -f "$t" ] || continue
        temps=$((temps + 1))
        "$cellsyncd" import "$t" --state "$dir/hub" >"$out" 2>"$err"
        rc=$?
        if [ $rc -eq 1 ] && grep -q "not a whole bundle" "$err"; then
            ok
        else
            wtemps=$((wtemps + 1)) whole=1
            [ $rc -eq 0 ] && [ "$(imported)" = $((CH_MORE - have)) ] && ok ||
                bad "bundle round $j: the hub took $(imported) changes (exit $rc) from the" \
                    "temp file $(basename "$t"), not all $((CH_MORE - have)) it lacked"
            have=$CH_MORE
        fi
    done
    [ $temps -gt $wtemps ] && inwrite=$((inwrite + 1))
    litter=$((litter + temps)) wholetemp=$((wholetemp + wtemps))
    # exported_seq: as before, or the whole export's; never behind a whole bundle that exists.
    if [ "$whole" = 1 ]; then
        [ "$e" = "$e_full" ] && ok ||
            bad "bundle round $j: exported_seq $e is behind the whole bundle left ($e_full)"
    else
        [ "$e" = "$e_prev" ] || [ "$e" = "$e_full" ] && ok ||
            bad "bundle round $j: exported_seq $e, neither $e_prev nor $e_full"
        # Killed after noting it, before the rename: stamps no stick holds are spared.
        [ "$e" = "$e_full" ] && early_seq=$((early_seq + 1))
    fi
    echo "bundle round $j: killed $how (exit $kc): $state at the destination," \
        "$temps temp files left ($wtemps whole), exported_seq $e (before $e_prev, whole $e_full)"

    # Export again, beside the leftovers; the hub takes it, A takes the reply.
    on a 0 "wrote $CH_MORE changes" -- bundle export --quiet "$dest"
    [ "$(meta a exported_seq 0)" = "$e_full" ] && ok ||
        bad "bundle round $j: exported_seq $(meta a exported_seq 0) after a whole export, not $e_full"
    take "$dest" $CH_MORE "the new export"
    on a 0 "read '" -- bundle import --quiet "$stick"
    on a 0 "not acknowledged: *0$" -- status
    [ "$(sql hub 'SELECT count(*) FROM candidate')" = $((N_A + N_MORE)) ] && ok ||
        bad "bundle round $j: the hub holds $(sql hub 'SELECT count(*) FROM candidate') candidates"
    [ "$(at_hub a)" = $CH_MORE ] && [ "$(dups)" = 0 ] && ok ||
        bad "bundle round $j: the hub holds $(at_hub a) of A's $CH_MORE changes, $(dups) twice"
    rows a >"$dir/rows.a"
    rows hub >"$dir/rows.hub"
    cmp -s "$dir/rows.a" "$dir/rows.hub" && ok ||
        bad "bundle round $j: the hub's candidates differ from A's"

    # B by stick: its first reply brings A's 17500 changes; B is killed while applying them.
    restore snap b
    on b 0 "wrote $CH_B changes" -- bundle export --quiet "$stick/b.bundle"
    "$cellsyncd" import "$stick/b.bundle" --state "$dir/hub" >"$out" 2>"$err" &&
        [ "$(imported)" = $CH_B ] && ok ||
        bad "bundle round $j: the hub did not take B's bundle"
    reply=$(sed -n "s/.*; reply '\(.*\)' with [0-9]* changes\$/\1/p" "$out")
    if [ -z "$t_reply" ]; then
        # Once: the whole reply applied without a kill, on a copy of B.
        rm -rf "$dir/bm"
        cp -a "$dir/b" "$dir/bm"
        t0=$(now_ms)
        on bm 0 "read '" -- bundle import --quiet "$reply"
        t_reply=$(($(now_ms) - t0))
        down_reply=$(sed -n "s/^read .*: received \([0-9]*\) changes.*/\1/p" "$out")
        down_reply=${down_reply:-0}
        echo "uninterrupted: B applies a reply of $down_reply changes in $t_reply ms"
    fi
    delay=$(awk -v f="$f" -v t="$t_reply" 'BEGIN { printf "%d", f * t }')
    CELLSYNC_HOME="$dir/b" "$cellsync" bundle import --quiet "$reply" >"$dir/killed.out" 2>&1 &
    pid=$!
    sleep "$(seconds "$delay")"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    kc=$?
    rkills=$((rkills + 1))
    intact b $CH_B "bundle round $j, B"
    r=$(others b)
    # "nothing new" when the first import had applied it all.
    on b 0 "^read '\|^nothing new in '" -- bundle import --quiet "$reply"
    m=$(sed -n "s/^read .*: received \([0-9]*\) changes.*/\1/p; s/^nothing new in .*/0/p" "$out")
    skipped=$(sed -n "s/.*(\([0-9]*\) chunks already here).*/\1/p" "$out")
    [ "${m:--1}" -eq $((down_reply - r)) ] && ok ||
        bad "bundle round $j: B received $m changes on the second import; it had $r of $down_reply"
    if [ "$kc" -ne 137 ]; then
        what="finished before the kill (exit $kc)"
    elif [ "$r" -gt 0 ] && [ "$r" -lt "$down_reply" ]; then
        what="mid-apply" rmid=$((rmid + 1))
    else
        what="with $r applied"
    fi
    echo "bundle round $j: B's reply import killed $delay ms in ($what, had $r of $down_reply);" \
        "again: received ${m:-?}, ${skipped:-?} chunks already here"
    on b 0 "not acknowledged: *0$" -- status
    rows b >"$dir/rows.b"
    rows hub >"$dir/rows.hub"
    cmp -s "$dir/rows.b" "$dir/rows.hub" && ok ||
        bad "bundle round $j: the hub's candidates differ from B's"
done
echo "bundle: $bkills kills, $inwrite mid-write, destination kept $kept, absent $absent," \
    "new $renamed; $litter temp files left in all ($wholetemp whole); exported_seq noted" \
    "before a kill that left no whole bundle: $early_seq"
[ $inwrite -gt 0 ] && [ $((inwrite * 2)) -ge "$bkills" ] && ok ||
    bad "only $inwrite of $bkills kills landed mid-write"
echo "reply import: $rkills kills, $rmid mid-apply"
summary
