#!/bin/sh
# SPDX-License-Identifier: MIT
# The conflict, sync and USB-stick pages of `cellsync ui` against a real hub on
# loopback: conflicts made by a second laptop are shown side by side (names,
# labels, DD/MM/YYYY, which device wrote what and when) and resolved in the page
# by a side and by a typed value, checked as the CLI checks it; the Sync button
# syncs (the progress asked of /sync/status until done) and `cellsync status`
# agrees with the result line; with the hub stopped the result says what to do;
# the stick's export is a bundle the hub imports, and its answer is read back.
# Usage: test_ui_sync.sh PATH/TO/cellsync PATH/TO/cellsyncd PATH/TO/cs_fixture
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
export LC_ALL=C.UTF-8
tests=$(cd "$(dirname "$0")" && pwd)

cat >"$dir/tree.csv" <<'CSV'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CSV
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
start_hub "$dir/hub"
for d in a a2; do
    hubdo 0 "" -- enroll --org CB-01 --role cell --name "máy $d" --addr "$addr" --out "$dir/$d.enroll"
    on "$d" 0 "created" -- init
    on "$d" 0 "enrolled" -- enroll "$dir/$d.enroll"
done
on a 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 15/03/2000
k=$(added_id)
on a 0 "synced" -- sync
on a2 0 "synced" -- sync
# Three fields changed on both laptops before either synced: a phone, a date and a note
# with markup in it.
on a 0 "changed" -- candidate edit "$k" --phone 0911000333 --birth-date 16/03/2000 --note "ghi chú"
on a2 0 "changed" -- candidate edit "$k" --phone 0922000222 --birth-date 17/03/2000 \
    --note "<script>alert(1)</script>"
on a 0 "synced" -- sync
on a2 0 "synced" -- sync
on a 0 "open conflicts 3" -- sync

mkdir -p "$dir/media/USB KINGSTON" "$dir/media/SD-CARD"
: >"$dir/media/notes.txt"
CELLSYNC_MEDIA=$dir/media
export CELLSYNC_MEDIA
start_ui a

# ---- conflicts ----
python3 - "$ui_url" "$tests" >"$dir/py1.out" 2>&1 <<'PY'
import re, sys
sys.path.insert(0, sys.argv[2])
from ui_web import Session, check

s = Session(sys.argv[1])

def sections(body):
    return re.findall(r'<section class="conflict".*?</section>', body, re.S)

def section(body, field):
    for sec in sections(body):
        if re.search(r'<span class="field">%s</span>' % field, sec):
            return sec
    return None

def sides(sec):
    return re.findall(r'<div class="side">(.*?)</div>', sec, re.S)

def form(sec):
    return (re.search(r'name="conflict" value="(\d+)"', sec).group(1),
            re.search(r'name="record" value="([0-9a-f-]{36})"', sec).group(1))

def pick_for(sec, value):
    for sd in sides(sec):
        if value in sd:
            return re.search(r'name="pick" value="(\w+)"', sd).group(1)

r = s.get("/conflicts")
check("conflicts: 200 (got %d)" % r.status, r.status == 200)
check("conflicts: one h1", r.body.count("<h1>") == 1)
check("conflicts: 3 sections", len(sections(r.body)) == 3)
phone = section(r.body, "phone")
check("conflicts: the phone's conflict", phone is not None)
phone = phone or ""
check("conflicts: the record by kind and name, no id",
      re.search(r"<h2>candidate <span class=\"name\">Nguyễn Văn Sỹ</span>", phone) is not None)
check("conflicts: two sides", len(sides(phone)) == 2)
check("conflicts: both phone values", "0911000333" in phone and "0922000222" in phone)
check("conflicts: written on this device and on máy a2",
      "this device" in phone and "máy a2" in phone)
check("conflicts: when, DD/MM/YYYY HH:MM",
      len(re.findall(r'<span class="when">\d\d/\d\d/20\d\d \d\d:\d\d</span>', phone)) == 2)
check("conflicts: a button per side",
      'name="pick" value="current"' in phone and 'name="pick" value="other"' in phone)
check("conflicts: a typed value box", 'name="value"' in phone)
born = section(r.body, "date of birth") or ""
check("conflicts: dates DD/MM/YYYY", "16/03/2000" in born and "17/03/2000" in born)
check("conflicts: no stored ISO date", "2000-03-1" not in r.body)
note = section(r.body, "note") or ""
check("conflicts: hostile note escaped", "&lt;script&gt;alert(1)&lt;/script&gt;" in note)
check("conflicts: never raw", "<script>alert" not in r.body)
shown = re.search(r"\b(?=[0-9]*[a-f])[0-9a-f]{8}", r.text())
check("conflicts: no id shown: %s" % (shown and shown.group(0)), shown is None)

# Keep a's phone, by its side's button.
num, rec = form(phone)
pick = pick_for(phone, "0911000333")
r = s.post("/conflicts/resolve", {"conflict": num, "record": rec, "pick": pick, "value": ""},
           page="/conflicts")
check("pick: 303 (got %d)" % r.status, r.status == 303 and (r.location or "").startswith("/conflicts"))
r = s.get(r.location or "/conflicts")
check("pick: the page says it is resolved", re.search(r'<p class="ok" role="status">', r.body) is not None)
check("pick: the phone's conflict is gone", section(r.body, "phone") is None and len(sections(r.body)) == 2)
# The same conflict again: not open any more.
r = s.post("/conflicts/resolve", {"conflict": num, "record": rec, "pick": "other"}, page="/conflicts")
check("again: 422 (got %d)" % r.status, r.status == 422)
check("again: says it is resolved already", "not open any more" in r.text())

born = section(s.get("/conflicts").body, "date of birth") or ""
num, rec = form(born)
# Nothing typed and no side: refused, nothing written.
r = s.post("/conflicts/resolve", {"conflict": num, "record": rec, "value": "  "}, page="/conflicts")
check("empty: 422 (got %d)" % r.status, r.status == 422)
check("empty: says what to do", re.search(r'<p class="error" role="alert">Type the right value', r.body) is not None)
# A date that does not exist: refused as `edit` refuses it, the typed text kept.
r = s.post("/conflicts/resolve", {"conflict": num, "record": rec, "value": "31/02/2000"}, page="/conflicts")
check("bad date: 422 (got %d)" % r.status, r.status == 422)
sec = section(r.body, "date of birth") or ""
check("bad date: the error at its conflict", '<p class="error" role="alert">' in sec)
check("bad date: the typed value kept", 'value="31/02/2000"' in sec)
r = s.post("/conflicts/resolve", {"conflict": num, "record": rec, "value": "18/03/2000"}, page="/conflicts")
check("typed: 303 (got %d)" % r.status, r.status == 303)
r = s.get("/conflicts")
check("typed: one conflict left", len(sections(r.body)) == 1 and section(r.body, "note") is not None)
PY
ui_checks "$dir/py1.out"
equal "the phone kept" "0911000333" "$(sql a "SELECT phone FROM candidate")"
equal "the date typed" "2000-03-18" "$(sql a "SELECT birth_date FROM candidate")"
on a 0 "^ *[0-9]*  candidate $k  Nguyễn Văn Sỹ  note  " -- conflicts list
[ "$(grep -c . "$out")" = 2 ] && ok || bad "not one conflict left: $(cat "$out")"

# ---- sync ----
on a2 0 "added member" -- member add --name "Lò Văn Páo" --status official
on a2 0 "synced" -- sync
python3 - "$ui_url" "$tests" >"$dir/py2.out" 2>&1 <<'PY'
import html, json, re, sys, time
sys.path.insert(0, sys.argv[2])
from ui_web import Session, check

s = Session(sys.argv[1])
r = s.get("/sync")
check("sync: 200", r.status == 200)
check("sync: the button", '<button type="submit" id="sync-now">' in r.body)
check("sync: the bar and the state", r.by_id("progress") is not None and r.by_id("sync-state") == "Ready.")
check("sync: no result yet", r.by_id("sync-result") is None)
r = s.post("/sync", {})
check("sync: 303 to /sync (got %d)" % r.status, r.status == 303 and r.location == "/sync")
st = {}
for _ in range(300):
    r = s.get("/sync/status")
    st = json.loads(r.body)
    if not st["busy"]:
        break
    time.sleep(0.1)
check("status: JSON", r.headers.get("Content-Type", "").startswith("application/json"))
check("status: done, not failed: %s" % st, st.get("done") is True and st.get("failed") is False)
m = re.match(r"Synced with the hub: sent (\d+) changes?, received (\d+)\.", st.get("result", ""))
check("status: the result line: %s" % st.get("result"), m is not None)
if m:
    check("sync: sent the two resolutions", int(m.group(1)) >= 2)
    check("sync: received a2's member", int(m.group(2)) >= 1)
    check("status: changes counted", st["sent_changes"] == int(m.group(1)) and st["received_changes"] == int(m.group(2)))
r = s.get("/sync")
res = html.unescape(r.by_id("sync-result") or "")
check("page: the result shown: " + res, res.startswith(st.get("result", "?")))
check("page: the result is a status", '<p id="sync-result" class="ok" role="status">' in r.body)
check("page: finished", r.by_id("sync-state") == "Finished.")
home = s.get("/")
last = html.unescape(home.by_id("last-sync") or "")
check("home: the last sync is this one: " + last, last == st.get("result"))
check("page: the bar full", re.search(r'<progress id="progress" max="1" value="1">', r.body) is not None)
check("page: the drives: both folders, not the file",
      "USB KINGSTON (" in r.body and "SD-CARD (" in r.body and "notes.txt" not in r.body)
check("page: the select and its free space", re.search(r'<select id="drive" name="drive">', r.body) is not None
      and re.search(r"USB KINGSTON \([0-9.]+ [MG]B free\)", r.body) is not None)
check("page: the stick's buttons", 'id="stick-export"' in r.body and 'id="stick-import"' in r.body)
js = s.get("/app.js")
check("app.js polls /sync/status", js.status == 200 and "/sync/status" in js.body)
PY
ui_checks "$dir/py2.out"
on a 0 "^changes the hub has not acknowledged: *0\$" -- status
on a 0 "^open conflicts: *1\$" -- status
on a 0 "Lò Văn Páo" -- member list
# The resolutions are signed writes like any other: a2 has them now.
on a2 0 "synced" -- sync
equal "a2 has the phone kept" "0911000333" "$(sql a2 "SELECT phone FROM candidate")"
equal "a2 has the date typed" "2000-03-18" "$(sql a2 "SELECT birth_date FROM candidate")"

# ---- no hub: the result says what to do; then the stick ----
stop_hub
on a 0 "added candidate" -- candidate add --name "Lò Thị Hoa" --birth-date 01/05/2004
on a2 0 "added member" -- member add --name "Hà Văn Lâm" --status official
on a2 0 "wrote" -- bundle export "$dir/a2.bundle"
python3 - "$ui_url" "$tests" "$dir/media" >"$dir/py3.out" 2>&1 <<'PY'
import json, sys, time
sys.path.insert(0, sys.argv[2])
from ui_web import Session, check

s = Session(sys.argv[1])
media = sys.argv[3]

def run(path, fields):
    r = s.post(path, fields, page="/sync")
    check(path + ": 303 (got %d)" % r.status, r.status == 303)
    for _ in range(600):
        st = json.loads(s.get("/sync/status").body)
        if not st["busy"]:
            return st
        time.sleep(0.1)
    return st

st = run("/sync", {})
check("no hub: failed: %s" % st, st.get("failed") is True)
res = st.get("result", "")
check("no hub: says it could not reach the hub: " + res, "cannot reach the hub" in res)
check("no hub: says what to do", "press Sync again when this computer is connected" in res and "USB stick" in res)
r = s.get("/sync")
check("no hub: the result is an alert", '<p id="sync-result" class="error" role="alert">' in r.body)

r = s.post("/stick/export", {"drive": "/etc"}, page="/sync")
check("a drive not in the list: 422 (got %d)" % r.status, r.status == 422 and "Choose a drive" in r.text())
r = s.post("/stick/import", {"drive": media + "/SD-CARD"}, page="/sync")
check("import from an empty stick: 303", r.status == 303)
for _ in range(100):
    st = json.loads(s.get("/sync/status").body)
    if not st["busy"]:
        break
    time.sleep(0.1)
check("empty stick: failed, says what to do: %s" % st.get("result"),
      st.get("failed") is True and "no answer of the hub" in st.get("result", ""))
st = run("/stick/export", {"drive": media + "/USB KINGSTON"})
check("export: done: %s" % st.get("result"), st.get("failed") is False and
      st.get("result", "").startswith("Wrote ") and "folder cellsync" in st.get("result", ""))
PY
ui_checks "$dir/py3.out"
bundle=$(ls "$dir/media/USB KINGSTON/cellsync/"*.bundle 2>/dev/null)
case $bundle in
*/CB-01_may-a_*.bundle) ok ;;
*) bad "no bundle named for the unit and the laptop on the stick: '$bundle'" ;;
esac
# The hub takes a2's bundle, then a's, and writes a's answer beside it.
hubdo 0 "^imported .* 3 new changes, 0 refused" -- import "$dir/a2.bundle"
hubdo 0 "^imported .*, 0 refused, .*reply '$dir/media/USB KINGSTON/cellsync/CB-01_may-a_.*.reply' with 3 changes" -- import "$bundle"
equal "the hub has a's candidate from the stick" 1 "$(hubsql "SELECT count(*) FROM candidate WHERE full_name = 'Lò Thị Hoa'")"
python3 - "$ui_url" "$tests" "$dir/media" >"$dir/py4.out" 2>&1 <<'PY'
import html, json, sys, time
sys.path.insert(0, sys.argv[2])
from ui_web import Session, check

s = Session(sys.argv[1])
r = s.post("/stick/import", {"drive": sys.argv[3] + "/USB KINGSTON"}, page="/sync")
check("import: 303 (got %d)" % r.status, r.status == 303)
for _ in range(300):
    st = json.loads(s.get("/sync/status").body)
    if not st["busy"]:
        break
    time.sleep(0.1)
check("import: done: %s" % st.get("result"), st.get("failed") is False and
      st.get("result", "").startswith("Read the hub's answer from the stick: received "))
r = s.get("/sync")
check("import: the page shows it", "Read the hub's answer from the stick" in html.unescape(r.by_id("sync-result") or ""))
PY
ui_checks "$dir/py4.out"
equal "a has a2's member from the stick" 1 "$(sql a "SELECT count(*) FROM member WHERE full_name = 'Hà Văn Lâm'")"
on a 0 "^changes the hub has not acknowledged: *0\$" -- status

# ---- what the hub refused is marked on the lists, as `list` marks it; units by name ----
start_hub "$dir/hub"
set_meta a hub_addr "$addr"
m=$(CELLSYNC_HOME="$dir/a" "$fixture" member "Không Đơn Vị" official)
kid=$(sql a "SELECT hex(id) FROM candidate WHERE full_name = 'Nguyễn Văn Sỹ'")
CELLSYNC_HOME="$dir/a" "$fixture" set candidate "$kid" org_unit CB-02 >/dev/null
on a 3 "" -- sync
on a 0 "Không Đơn Vị (refused by the hub)" -- member list
python3 - "$ui_url" "$tests" "$m" >"$dir/py5.out" 2>&1 <<'PY'
import re, sys
sys.path.insert(0, sys.argv[2])
from ui_web import Session, check

s = Session(sys.argv[1])
mid = sys.argv[3]

def row(body, name):
    m = re.search(r"<tr>(?:(?!</tr>).)*>%s</a>(?:(?!</tr>).)*</tr>" % re.escape(name), body, re.S)
    return m.group(0) if m else ""

MARK = '<span class="refused">refused by the hub</span>'
lst = s.get("/candidates").by_id("list") or ""
check("candidates: the refused one marked: " + row(lst, "Nguyễn Văn Sỹ"), MARK in row(lst, "Nguyễn Văn Sỹ"))
check("candidates: the others not", row(lst, "Lò Thị Hoa") != "" and "refused" not in row(lst, "Lò Thị Hoa"))
lst = s.get("/members").by_id("list") or ""
check("members: the refused one marked: " + row(lst, "Không Đơn Vị"), MARK in row(lst, "Không Đơn Vị"))
check("members: the others not", row(lst, "Lò Văn Páo") != "" and "refused" not in row(lst, "Lò Văn Páo"))
k = re.search(r'href="/candidate\?id=([0-9a-f-]+)">Nguyễn Văn Sỹ', s.get("/candidates").body).group(1)
r = s.get("/candidate?id=" + k)
why = r.by_id("refused") or ""
check("candidate page: the hub's reason: " + why, 'class="refused"' in r.body and "CB-02" in why)
r = s.get("/member?id=" + mid)
why = r.by_id("refused") or ""
check("member page: the hub's reason: " + why, 'class="refused"' in r.body and "unit" in why)
# A record's unit by its name, the code in brackets.
pao = re.search(r'href="/member\?id=([0-9a-f-]+)">Lò Văn Páo', s.get("/members").body).group(1)
f = s.get("/member?id=" + pao).by_id("fields") or ""
check("member page: the unit by name", "Chi bộ bản Khe Ván (CB-01)" in f)
hoa = re.search(r'href="/candidate\?id=([0-9a-f-]+)">Lò Thị Hoa', s.get("/candidates").body).group(1)
f = s.get("/candidate?id=" + hoa).by_id("fields") or ""
check("candidate page: the unit by name", "Chi bộ bản Khe Ván (CB-01)" in f)
check("candidate page: a unit unknown here shown as its code",
      "CB-02" in (s.get("/candidate?id=" + k).by_id("fields") or ""))
check("a record not refused has no reason", s.get("/member?id=" + pao).by_id("refused") is None)
# Corrected on its page, the mark goes.
page = "/candidate/edit?id=" + k
r = s.post(page, {"org_unit": "CB-01"}, page=page)
check("corrected: 303 (got %d)" % r.status, r.status == 303)
lst = s.get("/candidates").by_id("list") or ""
check("corrected: the mark is gone", "refused" not in row(lst, "Nguyễn Văn Sỹ"))
PY
ui_checks "$dir/py5.out"

# ---- stopped while a sync runs, the ui waits for it to finish ----
stop_hub
# A hub that takes the connection and says nothing until told to let go.
python3 - "$dir" >"$dir/fake.out" 2>&1 <<'PY' &
import os, socket, sys, time
d = sys.argv[1]
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
with open(d + "/fake.port.tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
os.rename(d + "/fake.port.tmp", d + "/fake.port")
srv.settimeout(30)
conn, _ = srv.accept()
open(d + "/held", "w").write("1")
for _ in range(300):
    if os.path.exists(d + "/release"):
        break
    time.sleep(0.1)
conn.close()
PY
bg_pids="$bg_pids $!"
wait_file "$dir/fake.port" 100 || bad "the silent hub did not start"
set_meta a hub_addr "127.0.0.1:$(cat "$dir/fake.port")"
python3 - "$ui_url" "$tests" >"$dir/py6.out" 2>&1 <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
from ui_web import Session, check
r = Session(sys.argv[1]).post("/sync", {}, page="/sync")
check("a sync to a silent hub starts: %d" % r.status, r.status == 303)
PY
ui_checks "$dir/py6.out"
wait_file "$dir/held" 100 || bad "the sync did not reach the silent hub"
kill -TERM "$ui_pid"
sleep 1
if kill -0 "$ui_pid" 2>/dev/null; then ok; else bad "cellsync ui stopped under the running sync"; fi
grep -q "waiting for the sync" "$dir/ui.err" && ok || bad "no word on stderr that it waits: $(cat "$dir/ui.err")"
: >"$dir/release"
n=0
while kill -0 "$ui_pid" 2>/dev/null && [ $n -lt 150 ]; do
    sleep 0.1
    n=$((n + 1))
done
if kill -0 "$ui_pid" 2>/dev/null; then
    bad "cellsync ui did not stop once the sync ended"
else
    wait "$ui_pid"
    equal "cellsync ui's exit after waiting" 0 "$?"
fi
summary
