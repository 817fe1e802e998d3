#!/bin/sh
# SPDX-License-Identifier: MIT
# The hub's events in the journal, checked as the bytes journald would read: in a
# private mount namespace (as root) a tmpfs over /run holds /run/systemd/journal/socket,
# a unix datagram socket this test owns (tests/tools/sd_listen), and `cellsyncd serve`
# runs with $JOURNAL_STREAM naming its stderr (DEVICE:INODE in decimal, as systemd sets
# it). Each event must arrive in the journal's native protocol with PRIORITY= (6 for a
# device's hello, 4 for a refused handshake and a wrong enrollment code, 5 for start and
# stop, 3 for a failure to serve), MESSAGE= (the logfmt line without "cellsyncd:"),
# SYSLOG_IDENTIFIER=cellsyncd and the line's keys as fields (EVENT=, PEER=, DEVICE=, ORG=,
# REASON=); a message of two lines comes in the binary form. Nothing goes to stderr then. With $JOURNAL_STREAM naming another file the
# lines stay on stderr as before; with the socket gone they go to stderr with "<N>".
# Skipped (77) when not root or when unshare cannot make a mount namespace.
#   test_journal.sh CELLSYNC CELLSYNCD SD_LISTEN FIXTURE
set -u
cellsync=$1 cellsyncd=$2 sd_listen=$3 fixture=$4
if [ -z "${CS_JOURNAL_NS:-}" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "SKIPPED: needs root for a private mount namespace"
        exit 77
    fi
    if ! command -v unshare >/dev/null 2>&1 || ! unshare -m true 2>/dev/null; then
        echo "SKIPPED: unshare cannot make a mount namespace here"
        exit 77
    fi
    CS_JOURNAL_NS=1 exec unshare -m --propagation private sh "$0" "$@"
fi
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# Only this namespace sees it: the machine's /run is untouched.
mount -t tmpfs -o mode=0755 cellsync-test /run || { echo "FAIL: cannot mount a tmpfs on /run"; exit 1; }
mkdir -p /run/systemd/journal
j=$dir/journal.out
: >"$j"
"$sd_listen" /run/systemd/journal/socket "$j" >"$dir/listening" 2>"$dir/sd_listen.err" &
listener=$!
bg_pids="$bg_pids $listener"
wait_file "$dir/listening" || { echo "FAIL: sd_listen did not bind"; cat "$dir/sd_listen.err"; exit 1; }

# record FIELD...: the records of the journal (blank-line separated) holding every FIELD
# line (KEY=value, exactly), as they are.
record() {
    awk -v RS= -v ORS='\n\n' -v want="$*" 'BEGIN { n = split(want, w, " ") }
        { split($0, l, "\n"); for (i = 1; i <= n; i++) { f = 0; for (k in l) if (l[k] == w[i]) f = 1; if (!f) next } print }' "$j"
}
# has FIELD RECORDS: the records hold the line FIELD.
has() { printf '%s\n' "$2" | grep -q -x -- "$1"; }
wait_event() {
    _i=0
    while [ -z "$(record "$@")" ] && [ $_i -lt 100 ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
}

# damage: the hub's replica kept in $dir/good.db, then the b-tree page header of the first
# leaf of its registers overwritten (as tests/net/test_hostile.sh does): serve refuses it.
damage() {
    db=$dir/hub/replica.db
    "$fixture" sql "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
    cp "$db" "$dir/good.db"
    page=$("$fixture" sql "$db" "SELECT pageno FROM dbstat WHERE name = 'cs_reg' AND pagetype = 'leaf' ORDER BY path LIMIT 1")
    size=$("$fixture" sql "$db" 'PRAGMA page_size')
    printf '\377\377\377\377\377\377\377\377' |
        dd of="$db" bs=1 seek=$(((page - 1) * size)) conv=notrunc 2>/dev/null
}

cat >"$dir/tree.csv" <<'CSV'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CSV
hubdo 0 "" -- init --org-tree "$dir/tree.csv"

# ---- stderr is the journal's stream ----
hublog=$dir/hub.err
: >"$hublog"
JOURNAL_STREAM=$(stat -c '%d:%i' "$hublog")
export JOURNAL_STREAM
start_hub "$dir/hub"
unset JOURNAL_STREAM
hubdo 0 "" -- enroll --org CB-01 --role cell --name "máy a" --addr "$addr" --out "$dir/a.enroll"
on a 0 "created" -- init
on a 0 "enrolled" -- enroll "$dir/a.enroll"
on a 0 "synced" -- sync
ida=$(short a)
wait_event EVENT=hello
r=$(record EVENT=hello)
check "a hello in the journal" test -n "$r"
for f in PRIORITY=6 SYSLOG_IDENTIFIER=cellsyncd PEER=127.0.0.1 "DEVICE=$ida" ORG=CB-01 ROLE=cell \
    "MESSAGE=peer=127.0.0.1 device=$ida event=hello org=CB-01 role=cell"; do
    has "$f" "$r" && ok || bad "the hello lacks $f: $r"
done

# A device enrolled with another hub's file, at this address: its handshake cannot be
# read here (sealed to the other hub's key), a security event.
"$cellsyncd" init --state "$dir/other" --org-tree "$dir/tree.csv" >/dev/null 2>&1
"$cellsyncd" enroll --state "$dir/other" --org CB-01 --role cell --name x --addr "$addr" \
    --out "$dir/other.enroll" >/dev/null 2>&1
on d 0 "created" -- init
on d 0 "enrolled" -- enroll "$dir/other.enroll"
on d 1 "" -- sync --timeout 10
wait_event EVENT=close PEER=127.0.0.1 DEVICE=-
r=$(record EVENT=close DEVICE=-)
check "a refused handshake in the journal" test -n "$r"
for f in PRIORITY=4 SYSLOG_IDENTIFIER=cellsyncd PEER=127.0.0.1; do
    has "$f" "$r" && ok || bad "the refused handshake lacks $f: $r"
done
printf '%s\n' "$r" | grep -q '^REASON=handshake refused: cannot decrypt' && ok ||
    bad "the refused handshake's REASON: $r"
printf '%s\n' "$r" | grep -q '^MESSAGE=peer=127.0.0.1 device=- event=close reason="handshake refused' &&
    ok || bad "the refused handshake's MESSAGE: $r"

# A wrong enrollment code (a guess at one): a security event as well.
hubdo 0 "short code" -- enroll --org CB-01 --role cell --name "máy w" --code --addr "$addr"
code=$(sed -n 's/^short code: //p' "$out")
on w 0 "created" -- init
on w 1 "" -- enroll --code "$("$fixture" wrongcode "$code" 1)" --hub "$addr"
wait_event EVENT=enroll-failed
r=$(record EVENT=enroll-failed)
check "a wrong enrollment code in the journal" test -n "$r"
for f in PRIORITY=4 PEER=127.0.0.1 ADDR=127.0.0.1 FAILURES=1; do
    has "$f" "$r" && ok || bad "the wrong enrollment code lacks $f: $r"
done
stop_hub
for e in listening stopping stopped; do
    r=$(record "EVENT=$e")
    has PRIORITY=5 "$r" && ok || bad "event=$e is not a notice: $r"
done
equal "lines on stderr while the journal took them" "" "$(grep -v '^$' "$hublog")"
if grep -q '^X_MALFORMED' "$j"; then bad "a datagram the journal could not read"; else ok; fi

# A failure to serve (a damaged replica): an error, its message two lines (binary form).
damage
: >"$dir/fail.err"
stream=$(stat -c '%d:%i' "$dir/fail.err")
JOURNAL_STREAM=$stream timeout 10 "$cellsyncd" serve --state "$dir/hub" --listen 127.0.0.1:0 2>>"$dir/fail.err"
equal "serve on a damaged replica exits" 1 $?
wait_event EVENT=serve-failed
r=$(record EVENT=serve-failed PRIORITY=3)
check "the failure to serve in the journal at PRIORITY=3" test -n "$r"
printf '%s\n' "$r" | grep -q -x "MESSAGE='$dir/hub/replica.db' is damaged: database disk image is malformed\\\\nthe hub does not serve a damaged replica; restore a backup (cellsyncd restore DIR), see 'cellsyncd check'" &&
    ok || bad "the failure's MESSAGE (two lines, no 'cellsyncd: '): $r"
equal "stderr of the failed serve" "" "$(cat "$dir/fail.err")"
cp "$dir/good.db" "$dir/hub/replica.db"

# ---- stderr is not the stream $JOURNAL_STREAM names: the lines as before ----
before=$(wc -c <"$j")
hublog=$dir/plain.err
: >"$hublog"
JOURNAL_STREAM=$(stat -c '%d:%i' "$dir/hub.err")
export JOURNAL_STREAM
start_hub "$dir/hub"
unset JOURNAL_STREAM
on a 0 "synced" -- sync --hub "$addr"
stop_hub
equal "bytes to the journal when stderr is another file" "$before" "$(wc -c <"$j")"
grep -q "^cellsyncd: info peer=127.0.0.1 device=$ida event=hello org=CB-01 role=cell\$" "$hublog" &&
    ok || bad "no hello line on stderr"
grep -q '^cellsyncd: notice event=stopped$' "$hublog" && ok || bad "no stopped line on stderr"
if grep -q '^<' "$hublog"; then bad "a <N> prefix outside the journal"; else ok; fi

# ---- the journal's stream, but its socket gone: stderr with the priority as "<N>" ----
kill "$listener"
wait "$listener" 2>/dev/null
rm -f /run/systemd/journal/socket
hublog=$dir/fallback.err
: >"$hublog"
JOURNAL_STREAM=$(stat -c '%d:%i' "$hublog")
export JOURNAL_STREAM
start_hub "$dir/hub"
unset JOURNAL_STREAM
on a 0 "synced" -- sync --hub "$addr"
stop_hub
grep -q "^<6>cellsyncd: info peer=127.0.0.1 device=$ida event=hello org=CB-01 role=cell\$" "$hublog" &&
    ok || bad "no <6> hello line on stderr without the journal's socket"
grep -q '^<5>cellsyncd: notice event=stopped$' "$hublog" && ok || bad "no <5> stopped line"
# A failure to serve there: each of its lines at <3>.
: >"$dir/fail.err"
stream=$(stat -c '%d:%i' "$dir/fail.err")
damage
JOURNAL_STREAM=$stream timeout 10 "$cellsyncd" serve --state "$dir/hub" --listen 127.0.0.1:0 2>>"$dir/fail.err"
equal "serve on a damaged replica exits (no journal socket)" 1 $?
equal "its lines at <3>" "<3>cellsyncd: '$dir/hub/replica.db' is damaged: database disk image is malformed
<3>cellsyncd: the hub does not serve a damaged replica; restore a backup (cellsyncd restore DIR), see 'cellsyncd check'" \
    "$(cat "$dir/fail.err")"

summary
