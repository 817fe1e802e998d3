#!/bin/sh
# SPDX-License-Identifier: MIT
# Readiness as systemd's Type=notify sees it: `cellsyncd serve` on a real hub tells the
# unix datagram socket named by $NOTIFY_SOCKET, which this test owns (tests/tools/sd_listen),
# READY=1 once devices can connect (the listener connects to the port the moment READY=1
# arrives), RELOADING=1 with MONOTONIC_USEC= then READY=1 on SIGHUP (also when the new
# configuration cannot be read), and STOPPING=1 on SIGTERM, after which it exits 0. The
# socket may be a path or "@name" (the abstract namespace). Without $NOTIFY_SOCKET nothing
# is sent and the hub serves as before.
#   test_notify.sh CELLSYNC CELLSYNCD SD_LISTEN
set -u
cellsync=$1 cellsyncd=$2 sd_listen=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# listen SOCKET OUT: sd_listen on SOCKET, its records appended to OUT; answers READY=1
# with a connect to the port in $dir/port. Returns once the socket is bound.
listen() {
    rm -f "$dir/listening"
    "$sd_listen" "$1" "$2" "$dir/port" >"$dir/listening" 2>>"$dir/sd_listen.err" &
    bg_pids="$bg_pids $!"
    wait_file "$dir/listening" || { echo "FAIL: sd_listen did not bind $1"; cat "$dir/sd_listen.err"; exit 1; }
}
# records FILE FIELD: how many records of FILE hold the line FIELD (KEY=value, exactly).
records() { grep -c -x -- "$2" "$1"; }
# wait_records FILE FIELD N: waits up to 10 s for N records holding FIELD.
wait_records() {
    _i=0
    while [ "$(records "$1" "$2")" -lt "$3" ] && [ $_i -lt 100 ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
    [ "$(records "$1" "$2")" -ge "$3" ]
}
# states FILE: the state fields of FILE's records in order (READY=1, RELOADING=1, ...).
states() { grep -x 'READY=1\|RELOADING=1\|STOPPING=1' "$1" | tr '\n' ' '; }

cat >"$dir/tree.csv" <<'CSV'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CSV
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
conf=$dir/hub.conf
printf '# the test hub\nmax_drift_minutes = 10\n' >"$conf"

# ---- a path socket: ready, reload, a reload that fails, stop ----
n=$dir/notify.out
: >"$n"
listen "$dir/notify.sock" "$n"
NOTIFY_SOCKET=$dir/notify.sock
export NOTIFY_SOCKET
start_hub "$dir/hub" --config "$conf"
unset NOTIFY_SOCKET
pid1=$hubpid
check "READY=1 arrives" wait_records "$n" READY=1 1
port=$(cat "$dir/port")
equal "the port took a connection when READY=1 arrived" "X_CONNECT=ok" "$(grep '^X_CONNECT=' "$n" | head -1)"
equal "STATUS= with READY=1" "STATUS=serving on 127.0.0.1:$port" "$(grep '^STATUS=' "$n" | head -1)"
equal "one datagram so far" 1 "$(grep -c '^$' "$n")"

kill -HUP "$hubpid"
check "READY=1 again after SIGHUP" wait_records "$n" READY=1 2
equal "SIGHUP: RELOADING=1 then READY=1" "READY=1 RELOADING=1 READY=1 " "$(states "$n")"
check "RELOADING=1 carries MONOTONIC_USEC" grep -q '^MONOTONIC_USEC=[1-9][0-9]*$' "$n"
us=$(sed -n 's/^MONOTONIC_USEC=//p' "$n")
# CLOCK_MONOTONIC, as /proc/uptime counts it (both since boot, here within a minute).
up=$(cut -d. -f1 /proc/uptime)
check "MONOTONIC_USEC is CLOCK_MONOTONIC in microseconds ($us, uptime $up s)" \
    test $((us / 1000000)) -le $((up + 1)) -a $((us / 1000000)) -ge $((up - 60))
grep -q 'event=reload$' "$dir/hub.log" && ok || bad "no reload in the hub's log"

# A configuration that cannot be read: the hub goes on with the one it has, and says ready.
echo 'no equals sign here' >"$conf"
kill -HUP "$hubpid"
check "READY=1 after a failed reload" wait_records "$n" READY=1 3
equal "a failed reload: RELOADING=1 then READY=1" "READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 " \
    "$(states "$n")"
grep -q 'event=reload-failed' "$dir/hub.log" && ok || bad "no reload-failed in the hub's log"

kill -TERM "$hubpid"
wait "$hubpid"
got=$?
hubpid=
equal "cellsyncd's exit on SIGTERM" 0 "$got"
wait_records "$n" STOPPING=1 1
equal "SIGTERM: STOPPING=1 last" "READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 STOPPING=1 " \
    "$(states "$n")"
grep -q 'event=stopped' "$dir/hub.log" && ok || bad "no stop line in the hub's log"
equal "every datagram from the main process (NotifyAccess=main)" "X_PID=$pid1" \
    "$(grep '^X_PID=' "$n" | sort -u)"

# ---- the abstract namespace ("@name") ----
a=$dir/abstract.out
: >"$a"
listen "@cellsync-test-notify-$$" "$a"
NOTIFY_SOCKET=@cellsync-test-notify-$$
export NOTIFY_SOCKET
printf 'max_drift_minutes = 10\n' >"$conf"
start_hub "$dir/hub" --config "$conf"
unset NOTIFY_SOCKET
check "READY=1 on an abstract socket" wait_records "$a" READY=1 1
equal "the port took a connection (abstract)" "X_CONNECT=ok" "$(grep '^X_CONNECT=' "$a" | head -1)"
stop_hub
# The listener writes what it read in its own time: the hub's exit does not wait for it.
wait_records "$a" STOPPING=1 1
equal "STOPPING=1 on an abstract socket" "READY=1 STOPPING=1 " "$(states "$a")"

# ---- without $NOTIFY_SOCKET: nothing sent, served as before ----
before=$(cat "$n" "$a" | wc -c)
hublog=$dir/plain.log
start_hub "$dir/hub" --config "$conf"
hubdo 0 "" -- enroll --org CB-01 --role cell --name "máy a" --addr "$addr" --out "$dir/a.enroll"
on a 0 "created" -- init
on a 0 "enrolled" -- enroll "$dir/a.enroll"
on a 0 "synced" -- sync
stop_hub
equal "bytes to the sockets without NOTIFY_SOCKET" "$before" "$(cat "$n" "$a" | wc -c)"
grep -q '^cellsyncd: notice event=listening' "$hublog" && ok || bad "no listening line on stderr"
grep -q '^cellsyncd: info peer=127.0.0.1 device=[0-9a-f]* event=hello org=CB-01' "$hublog" && ok ||
    bad "no hello line on stderr"
if grep -q 'notify' "$hublog"; then bad "the log speaks of notify without NOTIFY_SOCKET"; else ok; fi

summary
