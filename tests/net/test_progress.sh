#!/bin/sh
# SPDX-License-Identifier: MIT
# A long sync over a slow link that drops, seen as the secretary sees it:
# device A (2000 candidates, 14000 changes, about 120 KiB) syncs through
# cs_proxy at 8 KiB/s, cut after 60 KB, with its progress line on a terminal (run
# under script(1)). The line counts what is sent out of the whole ("sent N
# of 14000 changes (P%") and, once the sync has run a few seconds, a rough
# time left; after the cut, `status` gives the contact the hub answered,
# not "never".
set -u
cellsync=$1 cellsyncd=$2 proxy=$3 bulk=$4 fixture=$5
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"
command -v script >/dev/null 2>&1 || skip "no script(1) to give the sync a terminal"

N_CHANGES=14000 # cs_bulk writes 7 columns per candidate

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
EOF
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
start_hub "$dir/hub"
hubdo 0 "" -- enroll --org CB-01 --role cell --name "máy a" --addr "$addr" --out "$dir/a.enroll"
on a 0 "created" -- init
on a 0 "enrolled" -- enroll "$dir/a.enroll"
CELLSYNC_HOME="$dir/a" "$bulk" candidates 2000 >"$out" 2>"$err"
check_rc $? "cs_bulk candidates 2000"
on a 0 "never" -- status

"$proxy" --target "$addr" --port-file "$dir/pport" --max-seconds 60 --rate 8192 \
    --cut-after 60000 2>>"$dir/proxy.log" &
bg_pids=$!
wait_file "$dir/pport" || {
    echo "FAIL: the proxy did not start"
    exit 1
}
paddr=127.0.0.1:$(cat "$dir/pport")
# script(1) gives the sync a terminal on stderr, so it draws its progress line.
CELLSYNC_HOME="$dir/a" script -q -e -c "'$cellsync' sync --timeout 20 --hub $paddr" \
    "$dir/typescript" >"$out" 2>"$err" </dev/null
got=$?
[ "$got" = 1 ] && ok || bad "the cut sync exited $got, not 1"
tr '\r' '\n' <"$dir/typescript" >"$dir/lines"
grep -q "sent [0-9]* of $N_CHANGES changes ([0-9]*%" "$dir/lines" && ok ||
    bad "the progress line has no total and percentage: $(grep sent "$dir/lines" | tail -1)"
grep -q "sent [1-9][0-9]* of $N_CHANGES changes ([0-9]*%.*left" "$dir/lines" && ok ||
    bad "the progress line gives no time left: $(grep sent "$dir/lines" | tail -1)"
# Thousands of changes acknowledged before the cut: the hub was reached.
[ "$(meta a hub_ack_seq 0)" -gt 0 ] && ok || bad "nothing was acknowledged before the cut"
CELLSYNC_HOME="$dir/a" "$cellsync" status --json >"$out" 2>"$err"
grep -q '"last_contact":"2[0-9-]* [0-9:]*"' "$out" && ok ||
    bad "status has no last contact after a sync cut midway"

stop_hub
summary
