# SPDX-License-Identifier: MIT
# The one harness of the shell tests in tests/cli and tests/net: a temp directory
# $dir removed on exit (with the hub and any process in $bg_pids), pass and fail
# counting, commands run with their exit code and output checked, a hub started and
# stopped on a free loopback port, and short questions to a replica through
# cs_fixture. Source it first thing after reading the arguments; the binaries are
# $cellsync, $cellsyncd and $fixture (cs_fixture), where a test has them. Each test
# ends with `summary`, which prints its closing count line.
# shellcheck shell=sh
# The binaries are the sourcing test's; $addr, $sc, $got and the like are set for it.
# shellcheck disable=SC2154,SC2034
fails=0 passes=0
dir=$(mktemp -d)
out=$dir/out err=$dir/err
: >"$out"
: >"$err"
hubpid='' bg_pids=''
cleanup() {
    for _p in $bg_pids; do kill "$_p" 2>/dev/null; done
    [ -n "$hubpid" ] && kill "$hubpid" 2>/dev/null && wait "$hubpid" 2>/dev/null
    for _p in $bg_pids; do wait "$_p" 2>/dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT
# A test stopped by a signal fails, and cleans up on its way out.
trap 'exit 1' INT TERM
export LC_ALL=C.UTF-8 CELLSYNC_TODAY=2026-03-02
# `cellsync init` runs its real check of the disk (client/disk.c) against a /sys in
# which $dir is on LUKS under LVM, as a laptop installed as the README says is; a
# test of the check builds other trees with the same tool.
fake_sysfs="$(dirname "$0")/../tools/fake_sysfs.sh"
sh "$fake_sysfs" "$dir/sys" crypt "$dir" || exit 1
export CELLSYNC_SYSFS="$dir/sys"
# $COLUMNS turns wide tables into blocks (cs_out_table()); the tests read tables.
unset LANGUAGE COLUMNS

# ---- counting ----
ok() { passes=$((passes + 1)); }
# bad MESSAGE: a failure, with what the last command printed (its first 4 KiB).
bad() {
    echo "FAIL: $*"
    [ -s "$out" ] && head -c 4096 "$out" | sed 's/^/  stdout: /'
    [ -s "$err" ] && head -c 4096 "$err" | sed 's/^/  stderr: /'
    fails=$((fails + 1))
}
# check DESCRIPTION COMMAND...: COMMAND succeeding passes; otherwise DESCRIPTION fails.
check() {
    _what=$1
    shift
    if "$@"; then ok; else bad "$_what"; fi
}
# check_rc STATUS MESSAGE: a status already taken ($?): 0 passes, anything else fails.
check_rc() {
    if [ "$1" -eq 0 ]; then ok; else bad "$2"; fi
}
# equal WHAT WANT GOT: two values (numbers or texts) that must be the same.
equal() {
    if [ "$3" = "$2" ]; then ok; else bad "$1: $3, not $2"; fi
}
# skip REASON: the test cannot run here; exit 77, which ctest counts as skipped.
skip() {
    echo "SKIPPED: $*"
    exit 77
}
# need_browser: $browser, headless Chromium (CS_BROWSER names another; CS_BROWSER=none: as
# if none were installed), or the test is skipped.
need_browser() {
    browser=${CS_BROWSER:-}
    if [ -z "$browser" ]; then
        for b in /usr/bin/chromium /usr/bin/chromium-browser; do
            [ -x "$b" ] && browser=$b && break
        done
    fi
    [ -x "$browser" ] || skip "chromium is not installed (make deps installs it where the archive has it)"
}
# need_selenium: need_browser, then $driver (chromedriver, or CS_CHROMEDRIVER) and $py, a
# python3 with selenium (Debian's python3-selenium is in the system python; a python3
# earlier on PATH may lack it), or the test is skipped.
need_selenium() {
    need_browser
    driver=${CS_CHROMEDRIVER:-$(command -v chromedriver || echo /usr/bin/chromedriver)}
    [ -x "$driver" ] || skip "chromedriver is not installed (Debian package chromium-driver; make deps)"
    py=
    for p in python3 /usr/bin/python3; do
        if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import selenium' >/dev/null 2>&1; then
            py=$p
            break
        fi
    done
    [ -n "$py" ] || skip "python3 has no selenium (Debian package python3-selenium; make deps)"
}
# py_checks NAME RC: the lines of a python checker in $dir/py.out ("ok WHAT" counted, shown
# with CS_VERBOSE=1; "FAIL WHAT" a failure; others shown as they came, so that a failure
# shows where it happened), then its exit status RC and, if not 0, its $dir/py.err.
py_checks() {
    : >"$out"
    : >"$err"
    while IFS= read -r line; do
        case $line in
        "ok "*)
            ok
            [ -z "${CS_VERBOSE:-}" ] || echo "$line"
            ;;
        "FAIL "*) bad "${line#FAIL }" ;;
        *) echo "$line" ;;
        esac
    done <"$dir/py.out"
    grep -q "^ok " "$dir/py.out" || bad "the browser checks did not run"
    if [ "$2" -ne 0 ]; then
        bad "$1 exited $2"
        tail -30 "$dir/py.err"
    fi
}
# summary: the closing line, and the exit status.
summary() {
    echo "$passes passed, $fails failed"
    [ "$fails" -eq 0 ]
}

# ---- commands with their exit code and output checked ----
# verdict CODE STREAM PATTERN WHAT: judges the command just run (exit status in $got,
# output in $out and $err): the status is CODE and PATTERN (a grep expression; empty:
# any output) is in STREAM: stdout, stderr, or any of the two.
verdict() {
    case $2 in
    stdout) _files=$out ;;
    stderr) _files=$err ;;
    *) _files="$out $err" ;;
    esac
    # shellcheck disable=SC2086 # $_files is one or two paths of $dir, without spaces
    if [ "$got" -ne "$1" ] || { [ -n "$3" ] && ! cat $_files | grep -q -- "$3"; }; then
        if [ "$2" = any ]; then
            bad "$4 -> exit $got (want $1), no '$3'"
        else
            bad "$4 -> exit $got (want $1), $2 lacks '$3'"
        fi
    else
        ok
    fi
}
# expect CODE STREAM PATTERN -- COMMAND...: runs COMMAND (stdin empty), then verdict.
expect() {
    _code=$1 _stream=$2 _pattern=$3
    shift 4
    "$@" >"$out" 2>"$err" </dev/null
    got=$?
    verdict "$_code" "$_stream" "$_pattern" "$*"
}
# on DEVICE CODE PATTERN -- ARGS: cellsync ARGS for the device whose data is $dir/DEVICE.
on() {
    _dev=$1 _code=$2 _pattern=$3
    shift 4
    CELLSYNC_HOME="$dir/$_dev" "$cellsync" "$@" >"$out" 2>"$err" </dev/null
    got=$?
    verdict "$_code" any "$_pattern" "[$_dev] cellsync $*"
}
# hubcmd CODE PATTERN -- ARGS: cellsyncd ARGS; hubdo the same on the hub's state $dir/hub.
hubcmd() {
    _code=$1 _pattern=$2
    shift 3
    "$cellsyncd" "$@" >"$out" 2>"$err" </dev/null
    got=$?
    verdict "$_code" any "$_pattern" "cellsyncd $*"
}
hubdo() {
    _code=$1 _pattern=$2
    shift 3
    hubcmd "$_code" "$_pattern" -- "$@" --state "$dir/hub"
}

# ---- a hub on loopback ----
# wait_file FILE [TENTHS]: waits up to TENTHS tenths of a second (50) for FILE to have data.
wait_file() {
    _i=0
    while [ ! -s "$1" ] && [ $_i -lt "${2:-50}" ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
    [ -s "$1" ]
}
# start_hub STATE [ARGS]: cellsyncd serve STATE ARGS on a free loopback port, its log
# appended to $hublog ($dir/hub.log unless set); sets $addr and $hubpid. With STATE
# empty, ARGS say where the state is and where to listen (a --config file). Waits up
# to 30 s for the port (a hub under valgrind, make test-valgrind, takes seconds to
# start); a hub that does not start ends the test.
start_hub() {
    _state=$1
    shift
    rm -f "$dir/port"
    if [ -n "$_state" ]; then
        set -- --state "$_state" --listen 127.0.0.1:0 "$@"
    fi
    "$cellsyncd" serve --port-file "$dir/port" "$@" 2>>"${hublog:-$dir/hub.log}" &
    hubpid=$!
    if ! wait_file "$dir/port" 300; then
        echo "FAIL: the hub did not start"
        tail -20 "${hublog:-$dir/hub.log}"
        exit 1
    fi
    addr=127.0.0.1:$(cat "$dir/port")
}
# stop_hub: SIGTERM, which lets merges already queued finish; the hub must exit 0.
stop_hub() {
    if kill -TERM "$hubpid" 2>/dev/null; then
        wait "$hubpid"
        got=$?
        _what="exited $got on SIGTERM"
    else
        wait "$hubpid"
        got=$?
        _what="had died before SIGTERM, exit $got"
        [ $got -gt 128 ] && _what="$_what (signal $((got - 128)))"
    fi
    hubpid=
    if [ $got -eq 0 ]; then
        ok
    else
        bad "cellsyncd $_what"
        tail -5 "${hublog:-$dir/hub.log}" | sed 's/^/  hub: /'
    fi
}

# ---- hubs chained (tests/net/test_chain*.sh): several hubs, each in $dir/NAME ----
# serve NAME [CONF] [PORT]: cellsyncd serve on the state $dir/NAME with CONF ($conf) on
# PORT (a free one), its log in $dir/NAME.log: sets addr_NAME and pid_NAME.
serve() {
    rm -f "$dir/$1.port"
    "$cellsyncd" serve --state "$dir/$1" --listen "127.0.0.1:${3:-0}" --port-file "$dir/$1.port" \
        --config "${2:-$conf}" 2>>"$dir/$1.log" &
    bg_pids="$bg_pids $!"
    eval "pid_$1=$!"
    if ! wait_file "$dir/$1.port" 300; then
        echo "FAIL: hub $1 did not start"
        tail -5 "$dir/$1.log"
        exit 1
    fi
    eval "addr_$1=127.0.0.1:$(cat "$dir/$1.port")"
}
# at NAME CODE PATTERN -- ARGS: cellsyncd ARGS on the state $dir/NAME with $conf.
at() {
    _hub=$1 _code=$2 _pattern=$3
    shift 4
    hubcmd "$_code" "$_pattern" -- "$@" --state "$dir/$_hub" --config "$conf"
}
# count NAME TABLE: the rows of TABLE in replica NAME.
count() { sql "$1" "SELECT count(*) FROM $2"; }
# regs NAME UNITS: the registers of the candidates and members of UNITS (a quoted SQL
# list) that replica NAME holds, current and in conflict, as one checksum.
regs() {
    sql "$1" "SELECT v.tbl || hex(v.row) || v.col || v.hlc || hex(v.origin) || quote(v.val)
                     || v.state FROM cs_version v
              LEFT JOIN candidate c ON v.tbl = 'candidate' AND c.id = v.row
              LEFT JOIN member m ON v.tbl = 'member' AND m.id = v.row
              WHERE v.state != 'superseded'
                AND (c.org_unit IN ($2) OR m.org_unit IN ($2)) ORDER BY 1" | cksum
}

# ---- devices and replicas ($dir/NAME: a device's data, or the hub's state) ----
sql() { "$fixture" sql "$dir/$1/replica.db" "$2"; }
hubsql() { sql hub "$1"; }
hash() { "$fixture" hash "$dir/$1/replica.db"; }
# site NAME: the replica's own site id (32 hex digits, for x'...'), the origin of its versions.
site() { "$fixture" site "$dir/$1/replica.db"; }
# meta NAME KEY [DEFAULT]: a local setting of the replica, DEFAULT (none) where unset.
meta() {
    "$fixture" meta "$dir/$1/replica.db" "$2"
    _rc=$?
    if [ $_rc -eq 3 ]; then echo "${3:-}"; else return $_rc; fi
}
# set_meta NAME KEY VALUE: writes a local setting, to stage a wrong clock or a lost cursor.
set_meta() { "$fixture" meta "$dir/$1/replica.db" "$2" "$3"; }
# rows NAME: every candidate of a replica, one line each, to compare two replicas.
rows() {
    sql "$1" "SELECT hex(id)||'|'||cl||'|'||full_name||'|'||stage||'|'||phone||'|'||hometown
              ||'|'||note||'|'||org_unit FROM candidate ORDER BY id"
}
# short NAME: a device's short id (the last 8 hex digits of the id its status shows), as
# the hub names its reply and `cellsyncd devices` shows it.
short() { CELLSYNC_HOME="$dir/$1" "$cellsync" status | sed -n 's/^device: .*\([0-9a-f]\{8\}\)$/\1/p'; }
# added_id: the short id an "added ..." line printed ("added member 1a2b3c4d").
added_id() { sed -n 's/^added [a-z]* \([0-9a-f]\{8\}\)$/\1/p' "$out"; }
# dosync DEVICE [ADDR]: one sync with the hub at ADDR ($addr), output in $out and $err,
# exit code in $sc.
dosync() {
    CELLSYNC_HOME="$dir/$1" "$cellsync" sync --quiet --timeout 20 --hub "${2:-$addr}" \
        >"$out" 2>"$err"
    sc=$?
}
# restore SNAPSHOT NAME...: the named state directories as they were saved in $dir/SNAPSHOT.
restore() {
    _snap=$1
    shift
    for _n in "$@"; do
        rm -rf "${dir:?}/$_n"
        cp -a "$dir/$_snap/$_n" "$dir/$_n"
    done
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- the web pages (cellsync ui) ----
# start_ui DEVICE [ARGS]: `cellsync ui --no-browser` for $dir/DEVICE (DEVICE empty:
# $CELLSYNC_HOME as set); sets $ui_url (the address with its secret) and $ui_pid, which
# cleanup stops. Ends the test when no address is printed in 10 s.
start_ui() {
    _dev=$1
    shift
    rm -f "$dir/ui.out"
    if [ -n "$_dev" ]; then
        CELLSYNC_HOME="$dir/$_dev" "$cellsync" ui --no-browser "$@" >"$dir/ui.out" 2>>"$dir/ui.err" </dev/null &
    else
        "$cellsync" ui --no-browser "$@" >"$dir/ui.out" 2>>"$dir/ui.err" </dev/null &
    fi
    ui_pid=$!
    bg_pids="$bg_pids $ui_pid"
    wait_file "$dir/ui.out" 100
    ui_url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/?k=[0-9a-f]\{64\}' "$dir/ui.out")
    if [ -z "$ui_url" ]; then
        echo "FAIL: cellsync ui printed no address: $(cat "$dir/ui.out" "$dir/ui.err")"
        exit 1
    fi
}
# ui_checks FILE: counts the lines "ok WHAT" / "FAIL WHAT" a python check (ui_web.py's
# check()) wrote to FILE; a file with no "ok" line at all fails too.
ui_checks() {
    while read -r _verdict _what; do
        if [ "$_verdict" = ok ]; then ok; else bad "$_what"; fi
    done <"$1"
    grep -q "^ok " "$1" || bad "the python checks did not run: $(cat "$1")"
}
