#!/bin/sh
# SPDX-License-Identifier: MIT
# The installed daemon as systemd runs it with Type=notify, without systemd (PID 1 need not
# be systemd): `cellsyncd serve` as its own user, with $NOTIFY_SOCKET naming a unix datagram
# socket this script owns (tests/tools/sd_listen, compiled here), must send READY=1 once its
# port takes a connection, from its main process (what NotifyAccess=main accepts); on
# SIGHUP RELOADING=1 then READY=1; on SIGTERM STOPPING=1, then exit 0. test_packages.sh
# runs it on the packaged /usr/sbin/cellsyncd; any build's binary will do.
#   test_notify_installed.sh WORKDIR STATE CONFIG [CELLSYNCD [USER]]
# STATE is a hub made by `cellsyncd init` and owned by USER (default cellsyncd); CONFIG
# listens on 127.0.0.1:0. Prints "N passed, M failed"; exits 0 when all passed.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
w=$1 state=$2 conf=$3 cellsyncd=${4:-/usr/sbin/cellsyncd} user=${5:-cellsyncd}
fails=0 passes=0
ok() { passes=$((passes + 1)); }
bad() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
equal() { if [ "$3" = "$2" ]; then ok; else bad "$1: '$3', not '$2'"; fi; }
records() { grep -c -x -- "$1" "$w/notify.out"; }
wait_records() {
    _i=0
    while [ "$(records "$1")" -lt "$2" ] && [ $_i -lt 100 ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
}
states() { grep -x 'READY=1\|RELOADING=1\|STOPPING=1' "$w/notify.out" | tr '\n' ' '; }

mkdir -p "$w" && chmod 0755 "$w" || exit 1
cc -O2 -o "$w/sd_listen" "$root/tests/tools/sd_listen.c" || { echo "FAIL: cannot build sd_listen"; exit 1; }
: >"$w/notify.out"
"$w/sd_listen" "$w/notify.sock" "$w/notify.out" "$state/port" >"$w/listening" 2>"$w/sd_listen.err" &
lpid=$!
_i=0
while [ ! -s "$w/listening" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
# Writable by the daemon's user, as systemd's own notify socket is.
chmod 0666 "$w/notify.sock" || { echo "FAIL: sd_listen did not bind"; cat "$w/sd_listen.err"; exit 1; }
rm -f "$state/port"
# setpriv execs the daemon itself (runuser would stay its parent): its PID is the main PID.
NOTIFY_SOCKET=$w/notify.sock setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups \
    "$cellsyncd" serve --state "$state" --config "$conf" --port-file "$state/port" \
    2>"$w/hub.log" &
hpid=$!
wait_records READY=1 1
equal "READY=1 from the daemon" 1 "$(records READY=1)"
equal "its port took a connection when READY=1 arrived" X_CONNECT=ok "$(grep '^X_CONNECT=' "$w/notify.out" | head -1)"
equal "READY=1 came from the main process" "X_PID=$hpid" "$(grep '^X_PID=' "$w/notify.out" | sort -u)"
kill -HUP "$hpid"
wait_records READY=1 2
equal "SIGHUP" "READY=1 RELOADING=1 READY=1 " "$(states)"
kill -TERM "$hpid"
wait "$hpid"
equal "exit status on SIGTERM" 0 $?
# The listener writes what it read in its own time: the daemon's exit does not wait for it.
wait_records STOPPING=1 1
equal "SIGTERM" "READY=1 RELOADING=1 READY=1 STOPPING=1 " "$(states)"
equal "every datagram from the main process" "X_PID=$hpid" "$(grep '^X_PID=' "$w/notify.out" | sort -u)"
kill "$lpid" 2>/dev/null
wait "$lpid" 2>/dev/null
rm -f "$state/port"
if [ "$fails" -gt 0 ]; then
    sed 's/^/  hub: /' "$w/hub.log"
    sed 's/^/  notify: /' "$w/notify.out"
fi
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
