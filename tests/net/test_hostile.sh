#!/bin/sh
# SPDX-License-Identifier: MIT
# The hub against peers that do not follow the protocol, and against what
# can go wrong beneath it. Each hostile input has its expected error (the
# code or text a peer is answered with), proof that nothing stored changed
# (the hub's state hash and counts before and after), and the line the hub
# logged for it:
#  - before a handshake (cs_raw): a newer version, a length prefix of 2 GiB,
#    a pre-handshake frame over CS_WIRE_MAX_PREAUTH, random bytes as msg1, a
#    peer that connects and says nothing, one that trickles a byte a second,
#    1,000 idle connections at once (closed by handshake_timeout = 2 from a
#    config file), the key request of versions before 4 (the version reply, never the key);
#  - with a real device's key (cs_raw): a chunk signed by another key, one
#    whose signature was altered, a frame cut half way after the handshake,
#    a session frame over CS_WIRE_MAX_FRAME, a captured msg1 replayed (no
#    reply, no write: not even the last contact), a
#    captured chunk replayed in a new session (stored once), stamps 10 days
#    ahead of the hub's clock;
#  - real devices (cellsync): a revoked device, a device enrolled with
#    another hub (the wrong hub key), a write outside the device's unit, a
#    cell writing a committee-only column;
#  - the hub's disk full during a merge: the daemon runs under `ulimit -f`
#    with SIGXFSZ ignored, so its writes fail with EFBIG as at a full disk;
#  - a replica damaged on disk (a b-tree page overwritten): the hub refuses
#    to serve it, or stops a sync that meets the damage, and `cellsync`
#    refuses to sync or export from a damaged replica; the file is left as
#    it was.
# Afterwards the hub still serves a real device, and SIGTERM stops it.
set -u
cellsync=$1 cellsyncd=$2 raw=$3 bulk=$4 fixture=$5
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"
idlepid='' slowpid=''

hub_alive() {
    if kill -0 "$hubpid" 2>/dev/null; then
        ok
    else
        bad "the hub is gone after $1"
        tail -5 "$dir/hub.log" | sed 's/^/  hub: /'
    fi
}
# raw MODE [ARG...]: runs cs_raw against the hub, prints its report.
raw() {
    "$raw" "$addr" "$@" >"$out" 2>"$err"
    rc=$?
    sed 's/^/  /' "$out"
    if [ $rc -eq 0 ]; then ok; else bad "cs_raw $* exited $rc"; fi
}
# What the hub stores: its replicated state (hash and versions) and every device's cursor.
hub_state() {
    echo "hash=$(hash hub) versions=$(hubsql 'SELECT count(*) FROM cs_version')" \
        "cursors=$(hubsql 'SELECT group_concat(up_seq) FROM (SELECT up_seq FROM hub_device ORDER BY id)')" \
        "devices=$(hubsql 'SELECT count(*) FROM hub_device')"
}
# same_state BEFORE WHAT: the hub stores what it stored before.
same_state() {
    now=$(hub_state)
    if [ "$now" = "$1" ]; then ok; else bad "$2 changed what the hub stores: $1 -> $now"; fi
}
count() { hubsql "SELECT count(*) FROM $1"; }
# logged PATTERN [N] [LOG]: the hub's log has N (1) lines matching PATTERN, within 3 s.
logged() {
    n=${2:-1} log=${3:-$dir/hub.log}
    i=0
    while [ "$(grep -c -- "$1" "$log")" -lt "$n" ] && [ $i -lt 60 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    have=$(grep -c -- "$1" "$log")
    if [ "$have" -ge "$n" ]; then ok; else bad "the hub logged $have of $n lines '$1'"; fi
}
# The hub's WAL merged into replica.db and emptied, for a hub that is stopped.
checkpoint() { sql "$1" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null; }
# damage DB: overwrites the b-tree page header of the first leaf of cs_reg with 0xff.
# (White-box on purpose: it names the store's private b-tree to hit the current versions.)
damage() {
    page=$("$fixture" sql "$1" "SELECT pageno FROM dbstat WHERE name = 'cs_reg' AND pagetype = 'leaf' ORDER BY path LIMIT 1")
    size=$("$fixture" sql "$1" 'PRAGMA page_size')
    printf '\377\377\377\377\377\377\377\377' |
        dd of="$1" bs=1 seek=$(((page - 1) * size)) conv=notrunc 2>/dev/null
}

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CB-02,XA-ML,cell,village,"Chi bộ bản Pù Quăn, xóm 2"
EOF
cat >"$dir/hub.conf" <<'EOF'
# A short handshake timeout, so idle and slow peers are dropped within the test.
handshake_timeout = 2
# 1,000 idle connections from this one address: the hub's cap, not the address's.
max_connections_per_address = 2048
# Every close before a handshake logged one by one: the test reads each.
preauth_log_lines = 100000
EOF
# 1,000 connections need that many descriptors in the hub (cs_raw raises its own).
N_MANY=1000
want=$((N_MANY + 100))
# shellcheck disable=SC3045 # dash, the sh that runs the tests, has ulimit -S and -H
have=$(ulimit -S -n)
# shellcheck disable=SC3045 # as above
if [ "$have" != unlimited ] && [ "$have" -lt $want ]; then
    ulimit -S -n $want 2>/dev/null || {
        hard=$(ulimit -H -n)
        N_MANY=$((hard - 100))
        ulimit -S -n "$hard"
        echo "NOTE: the hard limit of open files is $hard: $N_MANY idle connections instead of 1000"
    }
fi
"$cellsyncd" init --state "$dir/hub" --org-tree "$dir/tree.csv" >"$out" 2>"$err"
check_rc $? "hub init"
start_hub "$dir/hub" --config "$dir/hub.conf"

# Devices: a and b of cell CB-01, r of CB-02 (to be revoked), f of CB-01 (its
# clock runs ahead), g of CB-01, n of CB-01 (enrolled, never synced), o enrolled
# with another hub.
for d in a:CB-01 b:CB-01 r:CB-02 f:CB-01 g:CB-01 n:CB-01; do
    name=${d%%:*} org=${d#*:}
    "$cellsyncd" enroll --state "$dir/hub" --org "$org" --role cell --name "máy $name" \
        --addr "$addr" --out "$dir/$name.enroll" >"$out" 2>"$err"
    check_rc $? "enroll $name at the hub"
    on "$name" 0 "created" -- init
    on "$name" 0 "enrolled" -- enroll "$dir/$name.enroll"
done
"$cellsyncd" init --state "$dir/other" --org-tree "$dir/tree.csv" >/dev/null 2>&1
"$cellsyncd" enroll --state "$dir/other" --org CB-01 --role cell --name "máy o" \
    --addr "$addr" --out "$dir/o.enroll" >/dev/null 2>&1
on o 0 "created" -- init
on o 0 "enrolled" -- enroll "$dir/o.enroll"
CELLSYNC_HOME="$dir/a" "$bulk" candidates 3 >"$out" 2>"$err"
check_rc $? "cs_bulk"
on a 0 "sent 21 changes" -- sync --quiet --timeout 20
for d in b r f g; do
    on $d 0 "synced" -- sync --quiet --timeout 20
done
[ "$(count candidate)" = 3 ] && ok || bad "the hub does not hold the 3 candidates"

# ---- before any handshake ----
s0=$(hub_state)
# The slow ones run alongside the quick ones: each has its own connection.
"$raw" "$addr" idle 2 >"$dir/idle.out" 2>&1 &
idlepid=$!
"$raw" "$addr" slow 2 >"$dir/slow.out" 2>&1 &
slowpid=$!
bg_pids="$idlepid $slowpid"
for mode in version oversize preauth-big garbage keyreq; do
    echo "cs_raw $mode"
    raw $mode
    hub_alive "cs_raw $mode"
done
for m in idle slow; do
    eval "wait \$${m}pid"
    rc=$?
    eval "${m}pid="
    echo "cs_raw $m 2"
    sed 's/^/  /' "$dir/$m.out"
    if [ $rc -eq 0 ]; then ok; else bad "cs_raw $m 2 exited $rc"; fi
done
bg_pids=
hub_alive "idle and slow peers"
echo "cs_raw many $N_MANY 2"
raw many $N_MANY 2
hub_alive "$N_MANY idle connections"
echo "cs_raw keyreq (after all of them)"
raw keyreq
same_state "$s0" "the peers without a handshake"
# Why the hub hung up, as it logged it.
logged 'device=- event=close reason="protocol version mismatch"' 5
logged 'device=- event=close reason="frame over the size limit"' 2
logged 'device=- event=close reason="handshake refused: cannot decrypt' 1
logged 'device=- event=close reason="no handshake in time"' $((N_MANY + 2))
grep -q 'reason="key request"' "$dir/hub.log" && bad "the hub answered a key request" || ok

# ---- a real device's key, misused (cs_raw) ----
ida=$(short a)
CELLSYNC_HOME="$dir/a" "$bulk" candidates 2 >"$out" 2>"$err"
check_rc $? "cs_bulk 2 more on a"
s1=$(hub_state)
audit0=$(count "hub_audit WHERE verdict = 'refused'")
echo "cs_raw forge (a's changes signed by another key)"
raw forge "$dir/a"
logged "device=$ida event=close reason=\"change set refused: signed by another key\""
echo "cs_raw badsig (a's live chunk, its signed set altered after signing)"
raw badsig "$dir/a"
logged "device=$ida event=close reason=\"change set refused: its origin's signature over the changes does not verify\""
same_state "$s1" "forged and altered chunks"
[ "$(count "hub_audit WHERE verdict = 'refused'")" = $((audit0 + 2)) ] && ok ||
    bad "the refused chunks are not in the audit trail"
echo "cs_raw truncate (a chunk frame cut half way)"
raw truncate "$dir/a"
logged "device=$ida event=close reason=\"the device hung up in the middle of a frame\""
echo "cs_raw bigframe (a session frame over the limit)"
raw bigframe "$dir/a"
logged "device=$ida event=close reason=\"frame over the size limit\""
same_state "$s1" "a truncated stream and an oversize frame"
echo "cs_raw unproven (n presents its enrollment, is welcomed, hangs up before any session frame)"
s1=$(hub_state)
raw unproven "$dir/n"
logged "event=hello org=CB-01" 1
sleep 0.5
same_state "$s1" "a device that never proved its key"
equal "its enrollment is still open" 1 \
    "$(hubsql "SELECT count(*) FROM hub_enrollment WHERE name = 'máy n' AND used_by IS NULL")"
equal "no device row for it" 0 "$(hubsql "SELECT count(*) FROM hub_device WHERE name = 'máy n'")"
on n 0 "synced" -- sync --quiet --timeout 20
equal "then its own sync enrolls it" 1 \
    "$(hubsql "SELECT count(*) FROM hub_device WHERE name = 'máy n'")"
echo "cs_raw replay-hello (a's msg1, proven by its session, then sent again)"
raw replay-hello "$dir/a" "$dir/msg1.bin"
logged "reason=\"replayed handshake\""
# The replay wrote nothing, not even a's last contact (kept to the second: wait one out first).
sleep 1.1
devs0=$("$cellsyncd" devices --state "$dir/hub" --json) s1=$(hub_state)
echo "cs_raw replay-msg1 (the same msg1 once more, a second later)"
raw replay-msg1 "$dir/msg1.bin"
logged "reason=\"replayed handshake\"" 2
[ "$("$cellsyncd" devices --state "$dir/hub" --json)" = "$devs0" ] && ok ||
    bad "a replayed msg1 changed what 'cellsyncd devices' shows (last contact)"
same_state "$s1" "a replayed handshake"
# A hub of version 5 (before live chunks) answers the new msg1 with 0xff 0x05: the device says
# which side to update.
if command -v python3 >/dev/null 2>&1; then
    rm -f "$dir/oldport"
    python3 -c '
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
s.settimeout(20)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
c, _ = s.accept()
c.settimeout(10)
n = int.from_bytes(c.recv(4, socket.MSG_WAITALL), "big")
m = c.recv(n, socket.MSG_WAITALL)
c.sendall(b"\x00\x00\x00\x02\xff\x05")
c.close()
print("version byte", m[0])
' "$dir/oldport" >"$dir/old.out" 2>&1 &
    oldpid=$!
    wait_file "$dir/oldport"
    on a 1 "the hub speaks protocol version 5, this program version 6: update the older one" -- \
        sync --quiet --hub "127.0.0.1:$(cat "$dir/oldport")"
    wait $oldpid
    grep -q "^version byte 6$" "$dir/old.out" && ok || bad "the old hub got: $(cat "$dir/old.out")"
fi
echo "cs_raw replay (a's chunk, then the same bytes in a new session)"
v0=$(count cs_version)
raw replay "$dir/a"
logged "device=$ida event=duplicate-chunk last_seq=[0-9]* changes=14 stored=0"
[ "$(count cs_version)" = $((v0 + 14)) ] && [ "$(count candidate)" = 5 ] && ok ||
    bad "the replayed chunk: $(count cs_version) versions (want $((v0 + 14))), $(count candidate) candidates (want 5)"
[ "$(hubsql "SELECT count(*) FROM (SELECT 1 FROM cs_version GROUP BY tbl, row, col, hlc, origin HAVING count(*) > 1)")" = 0 ] &&
    ok || bad "a version is stored twice"
# f's clock runs 10 days ahead; cs_raw sends its writes as stamped, without the client's re-stamping.
set_meta f clock_offset_ms 864000000
on f 0 "added candidate" -- candidate add --name "Đồng Hồ Nhanh" --birth-date 2000-01-01
s2=$(hub_state) ref0=$(count hub_refused)
echo "cs_raw future (f's writes stamped 10 days ahead)"
raw future "$dir/f"
logged "device=$(short f) event=refused count=5 first=\"clock is 240 hours ahead of the hub\""
[ "$(hub_state | sed 's/ cursors=.*//')" = "$(echo "$s2" | sed 's/ cursors=.*//')" ] && ok ||
    bad "stamps from the future changed the hub's state"
[ "$(count "candidate WHERE full_name = 'Đồng Hồ Nhanh'")" = 0 ] &&
    [ "$(count "hub_refused WHERE kind = 2")" = $((ref0 + 5)) ] && ok ||
    bad "the future stamps were merged, or not kept for review"
# The REFUSED reached cs_raw, not f: the hub tells f again at its next sync,
# and f issues those writes anew with the hub's time; then nothing is open.
on f 0 "clock is 240 hours ahead of the hub" -- sync --quiet --hub "$addr"
logged "device=$(short f) event=refused-again count=5"
on f 0 "synced" -- sync --quiet --hub "$addr"
[ "$(count "candidate WHERE full_name = 'Đồng Hồ Nhanh'")" = 1 ] && ok ||
    bad "f's writes refused for the clock did not reach the hub after it was told again"
n=$(grep -c "device=$(short f) event=refused-again" "$dir/hub.log")
on f 0 "refused 0," -- sync --quiet --hub "$addr"
[ "$(grep -c "device=$(short f) event=refused-again" "$dir/hub.log")" = "$n" ] && ok ||
    bad "the hub told f again of writes it had issued anew"

# ---- real devices the hub must turn away or partly refuse ----
"$cellsyncd" revoke --state "$dir/hub" "máy r" >"$out" 2>"$err"
check_rc $? "revoke r"
on r 0 "added candidate" -- candidate add --name "Không Được Gửi" --birth-date 2000-01-01
s3=$(hub_state)
on r 1 "the hub refused this device: this device was revoked at the hub on" -- sync --quiet
logged "device=- event=close reason=\"device refused: this device was revoked at the hub on"
on o 1 "refused the handshake: it is not the hub this device was enrolled with" -- sync --quiet
logged 'device=- event=close reason="handshake refused: cannot decrypt' 2
same_state "$s3" "a revoked device and one enrolled with another hub"
[ "$(count "candidate WHERE full_name = 'Không Được Gửi'")" = 0 ] && ok ||
    bad "a revoked device's record reached the hub"
ida_rows=$(sql a "SELECT hex(id) FROM candidate ORDER BY id")
k1=$(echo "$ida_rows" | sed -n 1p) k2=$(echo "$ida_rows" | sed -n 2p)
ref0=$(count hub_refused)
CELLSYNC_HOME="$dir/a" "$fixture" set candidate "$k1" org_unit CB-02 >"$out" 2>"$err"
check_rc $? "cs_fixture set org_unit on a"
on a 3 "the hub refused candidate .*: record of unit 'CB-02' is outside this device's unit 'CB-01'" -- sync --quiet
grep -q "refused 1," "$out" && ok || bad "the out-of-scope write was not counted as refused"
logged "device=$ida event=refused count=1 first=\"record of unit 'CB-02' is outside this device's unit 'CB-01'\""
CELLSYNC_HOME="$dir/a" "$fixture" set candidate "$k2" decision_on 2026-03-01 >"$out" 2>"$err"
check_rc $? "cs_fixture set decision_on on a"
on a 3 "the hub refused candidate .*: admission decisions are the committee's" -- sync --quiet
logged "device=$ida event=refused count=1 first=\"admission decisions are the committee's: a cell may not write 'candidate.decision_on'\""
[ "$(hub_state | sed 's/ cursors=.*//')" = "$(echo "$s3" | sed 's/ cursors=.*//')" ] && ok ||
    bad "refused writes changed the hub's state"
[ "$(count "candidate WHERE org_unit = 'CB-02' OR decision_on IS NOT NULL")" = 0 ] &&
    [ "$(count hub_refused)" = $((ref0 + 2)) ] && ok ||
    bad "a refused write is in the hub's records, or not kept for review"

# ---- the disk fills during a merge ----
# The daemon's files may not grow past 32 KiB (its log is another file, kept
# short): the WAL, empty at the start, has room for the device's first touch
# but not for a merge. SIGXFSZ is ignored, as a full disk sends no signal.
stop_hub
checkpoint hub
rm -f "$dir/port"
(
    trap '' XFSZ
    ulimit -f 64
    exec "$cellsyncd" serve --config "$dir/hub.conf" --state "$dir/hub" --listen 127.0.0.1:0 \
        --port-file "$dir/port"
) 2>"$dir/full.log" &
hubpid=$!
wait_file "$dir/port" || { echo "FAIL: the limited hub did not start"; cat "$dir/full.log"; ls -la "$dir/hub"; exit 1; }
addr=127.0.0.1:$(cat "$dir/port")
CELLSYNC_HOME="$dir/a" "$bulk" candidates 30 >"$out" 2>"$err"
check_rc $? "cs_bulk 30 on a"
s4=$(hub_state) c4=$(count candidate)
on a 1 "the hub stopped the sync: cannot write to '$dir/hub/replica.db': disk I/O error" -- sync --quiet --hub "$addr"
logged "device=$ida event=close reason=\"cannot write to '$dir/hub/replica.db': disk I/O error\"" 1 "$dir/full.log"
same_state "$s4" "a merge on a full disk"
[ "$(count candidate)" = "$c4" ] && ok || bad "a merge on a full disk stored candidates"
hub_alive "a full disk"
echo "cs_raw keyreq (the hub with a full disk)"
raw keyreq
stop_hub
"$cellsyncd" check --state "$dir/hub" --config "$dir/hub.conf" >"$out" 2>"$err"
grep -q "^replica '$dir/hub/replica.db': ok$" "$out" && ok ||
    bad "the replica is not intact after the full disk"
start_hub "$dir/hub" --config "$dir/hub.conf"
# A restarted hub still knows a's latest handshake time: the old msg1 is still a replay.
n=$(grep -c 'reason="replayed handshake"' "$dir/hub.log")
echo "cs_raw replay-msg1 (after a restart of the hub)"
raw replay-msg1 "$dir/msg1.bin"
logged "reason=\"replayed handshake\"" $((n + 1))
on a 0 "sent 210 changes" -- sync --quiet --hub "$addr"
# a's clock set back: its last handshake time (kept in its meta) is in 2038. Still served,
# each msg1 1 ns after the one before; the hub keeps the latest.
set_meta a hs_time 400000008000000000000000
on a 0 "synced" -- sync --quiet --hub "$addr"
on a 0 "synced" -- sync --quiet --hub "$addr"
[ "$(meta a hs_time)" = 400000008000000000000002 ] &&
    [ "$(hubsql "SELECT count(*) FROM hub_hs_time WHERE ts = x'400000008000000000000002'")" = 1 ] &&
    ok || bad "a device whose clock went back: its handshake times are not last + 1 ns"
[ "$(count candidate)" = $((c4 + 30)) ] && ok || bad "after the disk full, the hub has $(count candidate) candidates, not $((c4 + 30))"

# ---- a replica damaged on disk: the hub's ----
stop_hub
checkpoint hub
cp "$dir/hub/replica.db" "$dir/good.db"
damage "$dir/hub/replica.db"
sum=$(cksum <"$dir/hub/replica.db")
timeout 10 "$cellsyncd" serve --config "$dir/hub.conf" --state "$dir/hub" --listen 127.0.0.1:0 \
    --port-file "$dir/port" >"$out" 2>"$err"
rc=$?
[ $rc -eq 1 ] && grep -q "cellsyncd: '$dir/hub/replica.db' is damaged: database disk image is malformed" "$err" &&
    grep -q "the hub does not serve a damaged replica" "$err" && ok ||
    bad "cellsyncd serve on a damaged replica exited $rc without naming it"
[ "$(cksum <"$dir/hub/replica.db")" = "$sum" ] && ok || bad "the refused serve changed the damaged file"
"$cellsyncd" check --state "$dir/hub" --config "$dir/hub.conf" >"$out" 2>"$err"
rc=$?
[ $rc -eq 1 ] && grep -q "^replica '$dir/hub/replica.db': FAILED: '$dir/hub/replica.db' is damaged" "$out" &&
    ok || bad "cellsyncd check on a damaged replica exited $rc without naming it"
# Damage that comes while it serves: the sync that meets it is stopped, with the reason.
cp "$dir/good.db" "$dir/hub/replica.db"
rm -f "$dir/hub/replica.db-wal" "$dir/hub/replica.db-shm"
start_hub "$dir/hub" --config "$dir/hub.conf"
damage "$dir/hub/replica.db"
sum=$(cksum <"$dir/hub/replica.db")
# g asks for everything again, so the hub reads its versions from the first.
set_meta g hub_seq 0
on g 1 "the hub stopped the sync: cannot read '$dir/hub/replica.db': the database file is damaged" -- sync --quiet --hub "$addr"
logged "event=close reason=\"cannot read '$dir/hub/replica.db': the database file is damaged (database disk image is malformed)\""
stop_hub
[ "$(cksum <"$dir/hub/replica.db")" = "$sum" ] && ok || bad "the hub wrote over its damaged file"
cp "$dir/good.db" "$dir/hub/replica.db"
rm -f "$dir/hub/replica.db-wal" "$dir/hub/replica.db-shm"
start_hub "$dir/hub" --config "$dir/hub.conf"

# ---- a replica damaged on disk: a device's ----
checkpoint b
damage "$dir/b/replica.db"
sum=$(cksum <"$dir/b/replica.db")
hellos=$(grep -c "event=hello" "$dir/hub.log")
on b 1 "'$dir/b/replica.db' is damaged (.*); nothing was sent or changed" -- sync --quiet --hub "$addr"
on b 1 "'$dir/b/replica.db' is damaged (.*); nothing was sent or changed" -- bundle export "$dir/b.bundle"
[ ! -e "$dir/b.bundle" ] && ok || bad "a damaged replica was exported"
[ "$(cksum <"$dir/b/replica.db")" = "$sum" ] && ok || bad "cellsync wrote to its damaged file"
[ "$(grep -c "event=hello" "$dir/hub.log")" = "$hellos" ] && ok ||
    bad "a device with a damaged replica reached the hub"

# ---- the same hub still serves a real device, and stops on SIGTERM ----
on g 0 "synced" -- sync --quiet --timeout 20 --hub "$addr"
[ "$(sql g 'SELECT count(*) FROM candidate')" = "$(count "candidate WHERE org_unit = 'CB-01'")" ] &&
    ok || bad "g did not receive its cell's candidates"
stop_hub
grep -q "event=stopped" "$dir/hub.log" && ok || bad "no stop line in the hub's log"
[ $fails -eq 0 ] || tail -20 "$dir/hub.log" | sed 's/^/  hub: /'

summary
