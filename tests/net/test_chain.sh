#!/bin/sh
# SPDX-License-Identifier: MIT
# Hubs chained (issue 19), with the real binaries on loopback: a province hub and two
# commune hubs below it, two cells each. The cells sync with their commune; one commune
# syncs up live, through a link that drops at random byte offsets (cs_proxy), the other
# has no link and goes both ways by USB stick. The province sees every cell's records,
# each change still signed by the device that wrote it; what the province writes (targets,
# a holiday) reaches the communes and, within their scopes, the cells; a commune hub
# cannot register a device outside its subtree nor lend a device another key; and at the
# end every replica holds the same registers for what it shares.
# The tree (tests/tools/tree_province.csv): TI-01 -> XA-01 -> CB-01, CB-02;
# TI-01 -> XA-02 -> CB-03, CB-04.
set -u
cellsync=$1 cellsyncd=$2 proxy=$3 fixture=$4
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

conf=$dir/hub.conf cuts=0
# Set by serve (eval): each hub's address.
addr_prov='' haddr='' pid_prov=''

# Dozens of syncs from 127.0.0.1 in seconds: over the per-address handshake rate, which
# this test does not measure. The serving hubs do not sync up on their own: the test does.
printf 'handshakes_per_address = 100000\nupstream = off\n' >"$conf"

fx() {
    _dev=$1
    shift
    CELLSYNC_HOME="$dir/$_dev" "$fixture" "$@"
}
# stick: commune x2 and the province by USB stick, up and back.
stick() {
    rm -rf "$dir/replies" && mkdir "$dir/replies"
    at x2 0 "for the hub above" -- upstream export "$dir/x2.up"
    at prov 0 "XA-02" -- import "$dir/x2.up" --reply-dir "$dir/replies"
    at x2 0 "from the hub above" -- upstream import "$(ls "$dir"/replies/XA-02_*.reply)"
}
# live: commune x1 syncs up through a link cut after a random number of bytes (8 tries;
# each resumes where the last stopped), then once more on a clean one.
live() {
    _tries=0
    while [ $_tries -lt 8 ]; do
        _tries=$((_tries + 1))
        # Odd tries cut within the first 500 bytes (the handshake: always lands), even ones
        # anywhere in the first 4 KiB (inside the chunks when there are some).
        _r=$(od -An -N2 -tu2 /dev/urandom)
        if [ $((_tries % 2)) -eq 1 ]; then _cut=$((_r % 400 + 100)); else _cut=$((_r % 4000 + 100)); fi
        rm -f "$dir/pport"
        "$proxy" --target "$addr_prov" --port-file "$dir/pport" --cut-after "$_cut" \
            --stats "$dir/stats" --max-seconds 60 2>>"$dir/proxy.log" &
        _p=$!
        wait_file "$dir/pport" 100
        "$cellsyncd" upstream sync --hub "127.0.0.1:$(cat "$dir/pport")" --timeout 10 \
            --state "$dir/x1" --config "$conf" >"$out" 2>"$err"
        _rc=$?
        kill -TERM $_p 2>/dev/null
        wait $_p 2>/dev/null
        _cuts=$(sed -n 's/.* cuts=\([0-9]*\).*/\1/p' "$dir/stats")
        cuts=$((cuts + ${_cuts:-0}))
        echo "  x1 up through a link cut after $_cut bytes: exit $_rc, cuts ${_cuts:-?}"
    done
    at x1 0 "synced with the hub above" -- upstream sync --hub "$addr_prov"
}

echo "The province, its communes made from enrollment files of role hub"
at prov 0 "created the hub" -- init --org-tree "$(dirname "$0")/../tools/tree_province.csv"
serve prov
for x in x1:XA-01 x2:XA-02; do
    at prov 0 "role hub" -- enroll --org "${x#*:}" --role hub --name "hub ${x%%:*}" \
        --addr "$addr_prov" --out "$dir/${x%%:*}.enroll"
    at "${x%%:*}" 0 "below another hub" -- init --upstream "$dir/${x%%:*}.enroll"
done
at x1 0 "never" -- upstream status
at x1 0 "synced with the hub above" -- upstream sync
stick
# A commune's tree is its own subtree and the root above it, from the province.
equal "x1's units" "CB-01 CB-02 TI-01 XA-01" \
    "$(sql x1 "SELECT group_concat(code, ' ') FROM (SELECT code FROM org_unit ORDER BY code)")"
equal "x2's units" "CB-03 CB-04 TI-01 XA-02" \
    "$(sql x2 "SELECT group_concat(code, ' ') FROM (SELECT code FROM org_unit ORDER BY code)")"
at x1 0 "last sync: *[0-9][0-9]/[0-9][0-9]/20[0-9][0-9]" -- upstream status
at x1 0 '"waiting_changes":0' -- upstream status --json
at prov 1 "no hub above" -- upstream sync
# The hub above knows a commune by its key: rotating it is refused, changing nothing.
at x1 1 "not supported yet" -- key rotate
at x1 0 "synced with the hub above" -- upstream sync

echo "Two cells under each commune, enrolled there"
serve x1
serve x2
for d in c1:x1:CB-01 c2:x1:CB-02 c3:x2:CB-03 c4:x2:CB-04; do
    name=${d%%:*} rest=${d#*:}
    hub=${rest%%:*} unit=${rest#*:}
    eval "haddr=\$addr_$hub"
    at "$hub" 0 "" -- enroll --org "$unit" --role cell --name "máy $name" --addr "$haddr" \
        --out "$dir/$name.enroll"
    on "$name" 0 "created" -- init
    on "$name" 0 "enrolled" -- enroll "$dir/$name.enroll"
    on "$name" 0 "added candidate" -- candidate add --name "Người $name Một" --birth-date 01/01/2000
    on "$name" 0 "added candidate" -- candidate add --name "Người $name Hai" --birth-date 02/02/2001
    on "$name" 0 "added member" -- member add --name "Đảng viên $name" --status official
    on "$name" 0 "synced" -- sync --quiet
done
equal "candidates at x1" 4 "$(count x1 candidate)"
equal "candidates at the province before the communes sync up" 0 "$(count prov candidate)"

echo "The communes sync up: x1 live over a link that drops, x2 by stick"
live
stick
equal "candidates at the province" 8 "$(count prov candidate)"
equal "members at the province" 4 "$(count prov member)"
# Each change still carries the device that wrote it, not the commune that relayed it.
c1site=$(site c1 | tr a-f A-F)
equal "c1's candidate registers at the province written by c1" 10 \
    "$(sql prov "SELECT count(*) FROM cs_version v JOIN candidate c ON c.id = v.row
                    WHERE v.tbl = 'candidate' AND c.org_unit = 'CB-01' AND hex(v.origin) = '$c1site'")"
at prov 0 "signatures of change sets checked" -- audit verify
at x1 0 "signatures of change sets checked" -- audit verify
at x2 0 "signatures of change sets checked" -- audit verify
at x1 0 '"waiting_changes":0' -- upstream status --json

echo "The province's reports roll up its communes, with the communes' own numbers"
for x in x1:XA-01 x2:XA-02; do
    at "${x%%:*}" 0 "" -- report pipeline --org "${x#*:}" --format csv
    own=$(cat "$out")
    at prov 0 "" -- report pipeline --org "${x#*:}" --format csv
    equal "the pipeline of ${x#*:} at the province and at its commune" "$own" "$(cat "$out")"
    at "${x%%:*}" 0 "" -- report members --org "${x#*:}" --format csv
    own=$(cat "$out")
    at prov 0 "" -- report members --org "${x#*:}" --format csv
    equal "the members of ${x#*:} at the province and at its commune" "$own" "$(cat "$out")"
done
at prov 0 "" -- report pipeline --format csv
for u in CB-01 CB-02 CB-03 CB-04; do
    if grep -q "$u" "$out"; then ok; else bad "the province's pipeline has no line for $u"; fi
done

echo "What the province writes reaches the communes and, within their scopes, the cells"
at prov 0 "target for XA-01" -- target --org XA-01 --year 2026 --admissions 5
at prov 0 "target for XA-02" -- target --org XA-02 --year 2026 --admissions 4
at prov 0 "target for CB-01" -- target --org CB-01 --year 2026 --admissions 2
at prov 0 "day off" -- holiday add 2026-03-10 "Ngày truyền thống tỉnh"
live
stick
for d in c1 c2 c3 c4; do on "$d" 0 "synced" -- sync --quiet; done
equal "XA-01's target at x1" 5 "$(sql x1 "SELECT admissions FROM target WHERE org_unit = 'XA-01'")"
equal "XA-02's target at x2" 4 "$(sql x2 "SELECT admissions FROM target WHERE org_unit = 'XA-02'")"
equal "CB-01's target at c1" 2 "$(sql c1 "SELECT admissions FROM target WHERE org_unit = 'CB-01'")"
equal "targets at c3 (none of its unit)" 0 "$(count c3 target)"
for d in c1 c4; do
    on "$d" 0 "Ngày truyền thống tỉnh" -- holidays --year 2026
done

echo "A commune hub cannot register a device outside its subtree, nor lend one another key"
c3site=$(site c3 | tr a-f A-F)
fx x1 set device "$c3site" org_unit XA-01 >/dev/null
fx x1 set device 0123456789abcdef0123456789abcdef pk \
    "$(sql c1 "SELECT pk FROM device WHERE name = 'máy c1'")" >/dev/null
at x1 0 "refused 2" -- upstream sync
equal "c3's unit at the province" CB-03 "$(sql prov "SELECT org_unit FROM device WHERE hex(id) = '$c3site'")"
equal "a device record with another's key at the province" 0 \
    "$(sql prov "SELECT count(*) FROM device WHERE hex(id) = '0123456789ABCDEF0123456789ABCDEF'")"
equal "the refusals kept at the province" "3|30" \
    "$(sql prov "SELECT group_concat(kind, '|') FROM (SELECT DISTINCT kind FROM hub_refused
                     WHERE tbl = 'device' ORDER BY kind)")"

echo "A member the commune's office adds (one who transfers in) goes up and down the chain"
at x1 0 "added member" -- member add --org CB-02 --name "Đảng viên chuyển đến" --status official
echo "Every replica holds the same registers for what it shares"
for d in c1 c2 c3 c4; do on "$d" 0 "synced" -- sync --quiet; done
live
stick
for d in c1 c2 c3 c4; do on "$d" 0 "synced" -- sync --quiet; done
p1=$(regs prov "'CB-01','CB-02'") p2=$(regs prov "'CB-03','CB-04'")
equal "XA-01's records at x1 and the province" "$p1" "$(regs x1 "'CB-01','CB-02'")"
equal "XA-02's records at x2 and the province" "$p2" "$(regs x2 "'CB-03','CB-04'")"
for d in c1:CB-01 c2:CB-02 c3:CB-03 c4:CB-04; do
    equal "${d#*:}'s records at ${d%%:*} and the province" "$(regs prov "'${d#*:}'")" \
        "$(regs "${d%%:*}" "'${d#*:}'")"
done
transfer="SELECT count(*) FROM member WHERE full_name = 'Đảng viên chuyển đến' AND org_unit = 'CB-02'"
for d in prov x1 c2; do equal "the member added at x1, at $d" 1 "$(sql "$d" "$transfer")"; done
equal "the member added at x1, at c1 (another cell)" 0 "$(sql c1 "$transfer")"
equal "the device records at x1 and the province" \
    "$(sql prov "SELECT name || org_unit || role || pk FROM device WHERE org_unit IN
                 ('XA-01','CB-01','CB-02') ORDER BY id")" \
    "$(sql x1 "SELECT name || org_unit || role || pk FROM device WHERE org_unit IN
               ('XA-01','CB-01','CB-02') AND name IS NOT NULL ORDER BY id")"
echo "The province's devices: its communes' hubs enrolled there, the cells registered below"
at prov 0 "" -- devices
for x in x1:XA-01 x2:XA-02; do
    grep -q "^[0-9a-f]\{8\}  hub ${x%%:*}  *${x#*:}  *hub  *enrolled here  " "$out" && ok ||
        bad "the province's devices do not list hub ${x%%:*} as enrolled there"
done
for d in c1:CB-01:XA-01 c2:CB-02:XA-01 c3:CB-03:XA-02 c4:CB-04:XA-02; do
    line=$(grep "  máy ${d%%:*}  " "$out")
    # No enrollment nor contact here; the last change written; not revoked.
    case $line in
    [0-9a-f]*"  $(echo "$d" | cut -d: -f2)  "*"cell  "*"registered at ${d##*:}  "*"-  "*"-  "*[0-3][0-9]/[01][0-9]/20[0-9][0-9]" "*"  -") ok ;;
    *) bad "the province's devices: máy ${d%%:*} not as registered at ${d##*:}: '$line'" ;;
    esac
done
at prov 0 "" -- devices --json
python3 - "$out" <<'PY' && ok || bad "the province's devices --json"
import json, sys
rows = json.load(open(sys.argv[1]))
by = {r["name"]: r for r in rows}
keys = {"id", "name", "org", "role", "enrolled_at", "last_contact", "revoked_at", "up_seq",
        "down_seq", "where", "registered_by", "registered_unit", "revoked_on", "last_change"}
assert all(set(r) == keys for r in rows), [sorted(r) for r in rows]
for x, unit in (("x1", "XA-01"), ("x2", "XA-02")):
    h = by["hub " + x]
    assert (h["where"], h["org"], h["role"], h["registered_by"]) == ("here", unit, "hub", None), h
    assert h["enrolled_at"] and h["up_seq"] > 0, h
for c, unit, up in (("c1", "CB-01", "XA-01"), ("c2", "CB-02", "XA-01"), ("c3", "CB-03", "XA-02"),
                    ("c4", "CB-04", "XA-02")):
    d = by["máy " + c]
    assert (d["where"], d["org"], d["role"], d["registered_unit"]) == ("below", unit, "cell", up), d
    assert d["registered_by"] == by["hub x" + ("1" if up == "XA-01" else "2")]["id"], d
    assert d["enrolled_at"] is None and d["revoked_on"] is None and d["last_change"], d
PY
# A cell revoked at its commune shows its revoked day at the province once the commune syncs up.
at x2 0 "revoked" -- revoke "máy c4"
stick
at prov 0 "" -- devices
grep -q "  máy c4  .*registered at XA-02  .*  [0-3][0-9]/[01][0-9]/20[0-9][0-9]\$" "$out" && ok ||
    bad "the province's devices do not show máy c4 revoked: $(grep "máy c4" "$out")"
grep -q "  máy c3  .*  -\$" "$out" && ok || bad "máy c3 shown revoked at the province"
at prov 0 '"name":"máy c4","org":"CB-04","role":"cell",[^}]*"revoked_on":"20[0-9-]*"' \
    -- devices --json
# A commune lists its cells as enrolled there, not its own record the province registered.
at x1 0 "^[0-9a-f]\{8\}  máy c1  *CB-01  *cell  *enrolled here  " -- devices
if grep -q "hub x1" "$out"; then bad "x1's devices list x1 itself, registered above"; else ok; fi
at prov 0 "^[0-9a-f]\{8\}  hub x1  " -- devices --here
if grep -q "máy c" "$out"; then bad "devices --here lists a device registered below"; else ok; fi
echo "Bad input: the wrong enrollment, a cut or foreign reply change nothing"
at prov 0 "role cell" -- enroll --org CB-01 --role cell --name "máy lạ" --addr "$addr_prov" \
    --out "$dir/cell.enroll"
at x3 1 "needs an enrollment of role 'hub'" -- init --upstream "$dir/cell.enroll"
[ ! -e "$dir/x3/hub.key" ] && ok || bad "a refused init --upstream left a hub key behind"
before=$(hash x2)
reply=$(ls "$dir"/replies/XA-02_*.reply)
head -c 200 "$reply" >"$dir/cut.reply"
at x2 1 "" -- upstream import "$dir/cut.reply"
before1=$(hash x1)
at x1 1 "" -- upstream import "$reply"
equal "x2 after a cut reply" "$before" "$(hash x2)"
equal "x1 after x2's reply" "$before1" "$(hash x1)"
at x2 2 "not a number of seconds" -- upstream sync --timeout soon
echo "The province's time reaches the cells through their commune's serving hub"
kill -TERM "$pid_prov" && wait "$pid_prov"
set_meta prov clock_offset_ms 7200000 # the province's clock two hours ahead of this machine's
serve prov
at x1 0 "synced with the hub above" -- upstream sync --hub "$addr_prov"
on c1 0 "synced" -- sync --quiet
echo "  x1 offset: $(meta x1 clock_offset_ms none), prov: $(meta prov clock_offset_ms none)"
off=$(meta c1 clock_offset_ms 0)
[ "$off" -gt 7100000 ] && [ "$off" -lt 7300000 ] && ok ||
    bad "c1's clock offset after its commune learned the province's time: $off ms, not about 2 h"
echo "the fault proxy cut x1's link up $cuts times"
[ "$cuts" -gt 0 ] && ok || bad "no cut of the fault proxy landed inside a sync up"
summary
