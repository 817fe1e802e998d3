# SPDX-License-Identifier: MIT
# What the benchmark scripts share; each sources it after reading its arguments:
#   . "$(dirname "$0")/lib.sh"
# It makes $dir, a scratch directory on a /sys that says it is encrypted, removed at
# exit once the hub ($hubpid) and every process in $pids are stopped; then gives die,
# load, stats and med, an org tree, a hub configuration, a hub served on loopback and
# a device enrolled at it.
# shellcheck shell=sh
bench=$(basename "$0" .sh)
dir=$(mktemp -d)
# `cellsync init` refuses a disk that is not encrypted (client/disk.c); these runs
# are on scratch data, so it checks a /sys in which $dir is on LUKS.
sh "$(dirname "$0")/../tests/tools/fake_sysfs.sh" "$dir/sys" crypt "$dir" || exit 1
export CELLSYNC_SYSFS="$dir/sys" LC_ALL=C.UTF-8
unset LANGUAGE
hubpid='' pids=''
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    for p in $hubpid $pids; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
die() {
    echo "$bench: $*" >&2
    exit 1
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
# stats: median [min..max] of the numbers on standard input.
stats() {
    sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) { print "-"; exit }
              m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%.3f [%.3f..%.3f] (n=%d)\n", m, v[1], v[NR], NR }'
}
med() { stats | cut -d' ' -f1; }

# org_tree COMMUNES CELLS [FILL]: $dir/tree.csv, a district (HUYEN) of COMMUNES communes
# (XA-01, ...) and CELLS cells (CB-0001, ..., dealt over the communes in turn), and the
# commune FILL without cells when given.
org_tree() {
    {
        echo "id,parent,level,kind,name"
        echo 'HUYEN,,district,district,"Đảng bộ huyện Mường Lát"'
        for x in $(seq 1 "$1"); do printf 'XA-%02d,HUYEN,commune,commune,"Đảng bộ xã số %d"\n' "$x" "$x"; done
        [ -n "${3:-}" ] && printf '%s,HUYEN,commune,commune,"Đảng bộ xã đầy"\n' "$3"
        for c in $(seq 1 "$2"); do
            printf 'CB-%04d,XA-%02d,cell,village,"Chi bộ bản số %d"\n' "$c" $(((c - 1) % $1 + 1)) "$c"
        done
    } >"$dir/tree.csv"
}
# hub_conf: $dir/conf, the defaults written out so that no /etc/cellsync/cellsyncd.conf
# changes them; every simulated device comes from 127.0.0.1, so the per-address limits
# (issue 16) are lifted, as for devices behind as many addresses.
hub_conf() {
    printf 'max_connections = 4096\nhandshake_timeout = 10\nidle_timeout = 120\n%s\n%s\n' \
        'handshakes_per_address = 1000000' 'max_connections_per_address = 1000000' >"$dir/conf"
}
# hub_serve CELLSYNCD STATE [OPTION...]: `cellsyncd serve` of STATE on a port the system
# chooses of ${hub_listen:-127.0.0.1} (OPTIONs after), its log in ${hub_log:-$dir/hub.log};
# sets hubpid and addr (127.0.0.1:PORT).
hub_serve() {
    _cellsyncd=$1 _state=$2 _log=${hub_log:-$dir/hub.log}
    shift 2
    rm -f "$dir/port"
    "$_cellsyncd" serve --state "$_state" --listen "${hub_listen:-127.0.0.1}:0" \
        --port-file "$dir/port" "$@" 2>"$_log" &
    hubpid=$!
    _i=0
    while [ ! -s "$dir/port" ] && [ $_i -lt 600 ]; do
        sleep 0.05
        _i=$((_i + 1))
    done
    [ -s "$dir/port" ] || die "the hub did not start: $(cat "$_log")"
    # shellcheck disable=SC2034 # read by the scripts that source this
    addr=127.0.0.1:$(cat "$dir/port")
}
# hub_stop: stops the hub of hub_serve and waits for it.
hub_stop() {
    kill -TERM "$hubpid"
    wait "$hubpid"
    hubpid=
}
# device_enroll CELLSYNCD CELLSYNC STATE HOME NAME: a device NAME of cell CB-01 made at
# HOME (its CELLSYNC_HOME) and enrolled at the hub of STATE served at $addr.
device_enroll() {
    "$1" enroll --state "$3" --org CB-01 --role cell --name "$5" --addr "$addr" \
        --out "$4.enroll" >/dev/null 2>"$dir/err" &&
        CELLSYNC_HOME="$4" "$2" init >/dev/null 2>"$dir/err" &&
        CELLSYNC_HOME="$4" "$2" enroll "$4.enroll" >/dev/null 2>"$dir/err" ||
        die "device $5: $(cat "$dir/err")"
}
