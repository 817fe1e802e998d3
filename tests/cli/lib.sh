# SPDX-License-Identifier: MIT
# Shared by the shell tests that run the real binaries: a temp directory
# removed on exit (with the hub, if one was started), pass/fail counting,
# and `on DEVICE CODE PATTERN -- ARGS` to run cellsync for one device and
# check its exit code and output. Source it after setting $cellsync.
# shellcheck shell=sh
fails=0 passes=0
dir=$(mktemp -d)
out=$dir/out err=$dir/err
hubpid=
cleanup() {
    [ -n "$hubpid" ] && kill "$hubpid" 2>/dev/null && wait "$hubpid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
export LC_ALL=C.UTF-8 CELLSYNC_TODAY=2026-03-02
unset LANGUAGE

ok() { passes=$((passes + 1)); }
bad() {
    echo "FAIL: $*"
    sed 's/^/  stdout: /' "$out"
    sed 's/^/  stderr: /' "$err"
    fails=$((fails + 1))
}
# on DEVICE CODE PATTERN -- ARGS: run cellsync for a device, check exit and output.
on() {
    dev=$1 code=$2 pattern=$3
    shift 4
    CELLSYNC_HOME="$dir/$dev" "$cellsync" "$@" >"$out" 2>"$err"
    got=$?
    if [ "$got" -ne "$code" ] || ! cat "$out" "$err" | grep -q -- "$pattern"; then
        bad "[$dev] cellsync $* -> exit $got (want $code), no '$pattern'"
    else
        ok
    fi
}

# start_hub STATE [ARGS]: serves STATE on a free loopback port; sets $addr. Waits up to
# 30 s for the port (a hub under valgrind, make test-valgrind, takes seconds to start).
start_hub() {
    state=$1
    shift
    rm -f "$dir/port"
    "$cellsyncd" serve --state "$state" --listen 127.0.0.1:0 --port-file "$dir/port" "$@" \
        2>>"$dir/hub.log" &
    hubpid=$!
    for _ in $(seq 1 150); do
        [ -s "$dir/port" ] && break
        sleep 0.2
    done
    addr=127.0.0.1:$(cat "$dir/port")
}

# summary: the closing line, and the exit status.
summary() {
    echo "$passes passed, $fails failed"
    [ "$fails" -eq 0 ]
}
