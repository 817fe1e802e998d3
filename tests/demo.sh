#!/bin/sh
# SPDX-License-Identifier: MIT
# `make demo`: a hub and two field laptops of one cell, end to end, on this
# machine: the hub is created from an org tree and serves on loopback; each
# laptop is initialised and enrolled; the secretary records candidates and a
# meeting offline; both sync; the same field edited on both laptops while
# offline becomes a conflict on both, is resolved on one, and the resolution
# reaches the other. Everything runs in a temp directory that is removed.
set -eu
build=${1:-build}
cellsync=$(cd "$build/client" && pwd)/cellsync
cellsyncd=$(cd "$build/daemon" && pwd)/cellsyncd
dir=$(mktemp -d)
# `cellsync init` refuses a disk that is not encrypted (client/disk.c); the demo
# is on scratch data, so it checks a /sys in which $dir is on LUKS.
sh "$(dirname "$0")/tools/fake_sysfs.sh" "$dir/sys" crypt "$dir" || exit 1
export CELLSYNC_SYSFS="$dir/sys"
hubpid=
cleanup() {
    [ -n "$hubpid" ] && kill "$hubpid" 2>/dev/null && wait "$hubpid" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
CELLSYNC_LOCALEDIR="$(cd "$build" && pwd)/locale"
export CELLSYNC_LOCALEDIR

say() { printf '\n== %s\n' "$*"; }
run() {
    printf '$ %s\n' "$*"
    "$@"
}
on() {
    who=$1
    shift
    printf '[%s] $ cellsync %s\n' "$who" "$*"
    CELLSYNC_HOME="$dir/$who" "$cellsync" "$@"
}

say "The commune hub: org tree, key, record store"
cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CB-02,XA-ML,cell,village,"Chi bộ bản Pù Quăn"
EOF
run "$cellsyncd" init --state "$dir/hub" --org-tree "$dir/tree.csv"
"$cellsyncd" serve --state "$dir/hub" --listen 127.0.0.1:0 --port-file "$dir/port" 2>"$dir/hub.log" &
hubpid=$!
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do [ -s "$dir/port" ] && break; sleep 0.2; done
addr=127.0.0.1:$(cat "$dir/port")
echo "hub listening on $addr"
run "$cellsyncd" target --state "$dir/hub" --org CB-01 --year 2026 --admissions 3 --students 1

say "Two laptops of the Khe Ván cell are enrolled"
for who in secretary deputy; do
    "$cellsyncd" enroll --state "$dir/hub" --org CB-01 --role cell --name "$who" \
        --addr "$addr" --out "$dir/$who.enroll" | head -2
    on "$who" init
    on "$who" enroll "$dir/$who.enroll"
done

say "The secretary works offline"
export CELLSYNC_TODAY=2026-03-02
on secretary member add --name "Đinh Văn Thắng" --status official --birth-date 1968-09-02
helper=$(CELLSYNC_HOME="$dir/secretary" "$cellsync" member list --json |
    sed -n 's/.*"id":"[^"]*\([0-9a-f]\{8\}\)".*/\1/p' | head -1)
on secretary candidate add --name "Nguyễn Văn Sỹ" --birth-date 15/03/2000 --sex male \
    --source youth_union --hometown "Bản Khe Ván, xã Mường Lý"
k=$(CELLSYNC_HOME="$dir/secretary" "$cellsync" candidate list --json |
    sed -n 's/.*"id":"[^"]*\([0-9a-f]\{8\}\)".*/\1/p' | head -1)
on secretary candidate advance "$k" --helper "$helper" --date 2026-03-02
printf 'Chi bộ họp thường kỳ tháng 3. Đồng chí Sỹ tích cực trong đoàn thanh niên.\n' |
    CELLSYNC_HOME="$dir/secretary" "$cellsync" meeting add --date 2026-03-02 \
        --agenda "Sinh hoạt thường kỳ" --minutes -
on secretary search "nguyen van sy"

say "Both laptops sync with the hub"
on secretary sync
on deputy sync
on deputy candidate list
on deputy target list

say "The same field is edited on both laptops while offline"
on secretary candidate edit "$k" --phone 0911000111
on deputy candidate edit "$k" --phone 0922000222
on secretary sync
on deputy sync
on secretary sync
on secretary conflicts list

say "The secretary resolves it; the deputy receives the resolution"
n=$(CELLSYNC_HOME="$dir/secretary" "$cellsync" conflicts list --json |
    sed -n 's/.*"conflict":\([0-9]*\).*/\1/p' | head -1)
on secretary conflicts resolve "$n" --pick other
on secretary sync
on deputy sync
on deputy conflicts list
on deputy candidate show "$k" | grep -E "full name|phone|stage"
on deputy status

say "The hub's view"
run "$cellsyncd" devices --state "$dir/hub"
echo "hub log:"
sed 's/^/  /' "$dir/hub.log"
kill -TERM "$hubpid"
wait "$hubpid"
hubpid=
echo
echo "demo finished: the hub stopped cleanly on SIGTERM"
