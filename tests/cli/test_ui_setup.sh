#!/bin/sh
# SPDX-License-Identifier: MIT
# `cellsync ui` on an empty data directory, over HTTP (ui_web.py), against a real hub on
# loopback: every address shows the setup page; init through the page; enrollment by a
# file found on a USB stick ($CELLSYNC_MEDIA) and by code, a wrong code and an unreachable
# hub refused with a sentence and nothing kept; then home's target and admitted after the
# hub sets a target and a sync, and the report page's figures are `cellsync report`'s.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
PYTHONPATH=$(cd "$(dirname "$0")" && pwd)
CELLSYNC_MEDIA=$dir/media
export PYTHONPATH CELLSYNC_MEDIA

cat >"$dir/tree.csv" <<'CSV'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CB-02,XA-ML,cell,village,"Chi bộ bản Pù Quăn"
CSV
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
start_hub "$dir/hub"
mkdir -p "$dir/media/KINGSTON" "$dir/media/empty"
echo "not an enrollment" >"$dir/media/KINGSTON/notes.txt"
hubdo 0 "" -- enroll --org CB-01 --role cell --name "máy a" --addr "$addr" \
    --out "$dir/media/KINGSTON/khe-van.enroll"
hubdo 0 "short code" -- enroll --org CB-02 --role cell --name "máy b" --addr "$addr" \
    --out "$dir/b.enroll"
code=$(sed -n 's/^short code: //p' "$out")

# ---- device a: set up by file; every address is the setup page until init ----
start_ui a
python3 - "$ui_url" "$dir" >"$dir/py.out" 2>&1 <<'PY'
import sys
from ui_web import Session, check
s, d = Session(sys.argv[1]), sys.argv[2]
for path in ["/", "/candidates", "/report", "/members", "/sync", "/no/such/page", "/setup"]:
    r = s.get(path)
    check("%s shows the setup page (%d)" % (path, r.status),
          r.status == 200 and 'name="step" value="init"' in r.body and r.body.count("<h1>") == 1)
    check("%s: no navigation while setting up" % path, "<nav>" not in r.body)
r = s.post("/candidate/new", {"full_name": "X"}, page="/setup")
check("a POST elsewhere shows the setup page", r.status == 200 and 'value="init"' in r.body)
r = s.post("/setup", {"step": "file", "file": "/x"}, page="/setup")
check("no enrolling before init", r.status == 200 and 'value="init"' in r.body)
r = s.post("/setup", {"step": "init", "org": " CB-01 "})
check("init: 303 to /setup?done=init (%d %s)" % (r.status, r.location),
      r.status == 303 and r.location == "/setup?done=init")
r = s.get("/setup?done=init")
check("init said", 'role="status"' in r.body and "records of this computer are made" in r.text())
check("step 2 shown", 'value="file"' in r.body and 'value="code"' in r.body and 'id="later"' in r.body)
check("step 2: the code box describes the codes the hub makes (16 symbols in 4 groups)", "16 letters and digits, XXXX-XXXX-XXXX-XXXX" in r.body)
check("the file on the stick offered, with its unit",
      'value="%s/media/KINGSTON/khe-van.enroll"' % d in r.body and "khe-van.enroll on KINGSTON: unit CB-01" in r.text())
check("not the other file", "notes.txt" not in r.body)
r = s.get("/")
check("home after init: 200 with its figures", r.status == 200 and r.by_id("candidates") == "0")
check("home: not enrolled yet, with a link to /setup",
      r.by_id("not-enrolled") is not None and 'id="enroll" href="/setup"' in r.body)
check("home: last sync says not enrolled", "Not enrolled" in (r.by_id("last-sync") or ""))
r = s.post("/setup", {"step": "init", "org": "X"}, page="/setup")
check("a second init is not done", r.status == 200 and 'value="init"' not in r.body)
r = s.post("/setup", {"step": "file", "file": d + "/<script>alert(1)</script>"}, page="/setup")
check("a missing file: 422 (%d)" % r.status, r.status == 422)
check("the refusal is an alert saying what to check", 'role="alert"' in r.body and "Check that it is the enrollment file" in r.text())
check("hostile path escaped", "<script>alert" not in r.body and "&lt;script&gt;" in r.body)
check("typed path kept", 'value="%s/&lt;script&gt;alert(1)&lt;/script&gt;"' % d in r.body)
r = s.post("/setup", {"step": "file", "file": "", "found": ""}, page="/setup")
check("no file chosen: 422 and what to do", r.status == 422 and "Choose the file" in r.text())
r = s.post("/setup", {"step": "file", "found": d + "/media/KINGSTON/khe-van.enroll"}, page="/setup")
check("enroll by file: 303 (%d %s)" % (r.status, r.location), r.status == 303 and r.location.startswith("/setup?done=file"))
r = s.get(r.location)
check("enrolled, said with the unit and role", "enrolled with the hub at" in r.text() and "as unit CB-01 (cell)" in r.text())
check("next step: sync, and links home and sync", "Next: sync" in r.text() and 'id="home" href="/"' in r.body and 'href="/sync"' in r.body)
r = s.get("/")
check("home: enrolled now", r.by_id("not-enrolled") is None)
check("home: no target yet: -", r.by_id("target") == "-")
check("home: admitted 0", r.by_id("admitted") == "0")
check("home: last sync: not synced yet", "Not synced yet" in (r.by_id("last-sync") or ""))
PY
ui_checks "$dir/py.out"
equal "a's unit" CB-01 "$(meta a org)"
[ -n "$(meta a hub_pk)" ] && ok || bad "a has no hub key"

# The hub sets a target; a candidate admitted this year; a sync brings the target.
hubdo 0 "" -- target --org CB-01 --year 2026 --admissions 5 --students 1
on a 0 "added candidate" -- candidate add --name "Lò Thị Hoa" --birth-date 01/05/2004 --sex female
on a 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 15/03/2000 --sex male
on a 0 "synced" -- sync --hub "$addr"
# Admitted this year: the decision written as an old client would (the steps' own rules are
# the candidate pages' tests), after the sync, so the hub has nothing to refuse.
hoa=$(sql a "SELECT hex(id) FROM candidate WHERE full_name = 'Lò Thị Hoa'")
CELLSYNC_HOME="$dir/a" "$fixture" set candidate "$hoa" decision_on 2026-01-20 >/dev/null
CELLSYNC_HOME="$dir/a" "$fixture" set candidate "$hoa" stage decision >/dev/null
# A class certificate of five years ago expires this week: a deadline for home's list.
sy=$(sql a "SELECT hex(id) FROM candidate WHERE full_name = 'Nguyễn Văn Sỹ'")
CELLSYNC_HOME="$dir/a" "$fixture" set candidate "$sy" class_on 2021-03-05 >/dev/null
CELLSYNC_HOME="$dir/a" "$cellsync" due --within 6 --json >"$dir/due.json" 2>"$err"
CELLSYNC_HOME="$dir/a" "$cellsync" report targets --format json >"$dir/targets.json" 2>"$err"
CELLSYNC_HOME="$dir/a" "$cellsync" report pipeline --format json >"$dir/pipeline.json" 2>"$err"
python3 - "$ui_url" "$dir" >"$dir/py.out" 2>&1 <<'PY'
import json, sys
from ui_web import Session, check
s, d = Session(sys.argv[1]), sys.argv[2]
t = json.load(open(d + "/targets.json"))
p = json.load(open(d + "/pipeline.json"))
def root(rep, section):
    rows = rep["sections"][section]
    return [u for u in rows if u.get("depth", 0) == 0][0]
tu, pu = root(t, "units"), root(p, "stages")
r = s.get("/")
check("home: target 5 (%s)" % r.by_id("target"), r.by_id("target") == "5" == str(tu["target"]))
check("home: admitted 1 (%s)" % r.by_id("admitted"), r.by_id("admitted") == "1" == str(tu["admitted"]))
check("home: last sync names the contact", "last reached on" in (r.by_id("last-sync") or ""))
r = s.get("/report")
check("report: 200 and one h1", r.status == 200 and r.body.count("<h1>") == 1)
for k in ["target", "admitted", "ceremonies", "students_target", "students_admitted", "non_state_target"]:
    want = "-" if tu[k] is None else str(tu[k])
    check("report %s: %s as cellsync report's %s" % (k, r.by_id("targets-" + k), want), r.by_id("targets-" + k) == want)
for k in ["candidates", "in_progress", "identified", "decision", "official", "withdrawn"]:
    check("pipeline %s: %s as %s" % (k, r.by_id("pipeline-" + k), pu[k]), r.by_id("pipeline-" + k) == str(pu[k]))
check("report: year chooser at 2026", 'name="year" type="number" value="2026"' in r.body)
check("report: a print button for the script", 'id="print"' in r.body)
css = s.get("/style.css").body
check("style: @media print hides the navigation", "@media print{nav" in css and "size:A4" in css)
check("script: the print button prints", "window.print()" in s.get("/app.js").body)
r = s.get("/report?year=2025")
check("report 2025: no target", r.by_id("targets-target") == "-" and r.by_id("targets-admitted") == "0")
r = s.get("/report?year=20x6")
check("a bad year: 422 with the typed year (%d)" % r.status, r.status == 422 and 'role="alert"' in r.body and 'value="20x6"' in r.body)
r = s.get("/")
due = r.by_id("due") or ""
want = json.load(open(d + "/due.json"))
check("cellsync due lists a deadline this week or overdue", len(want) > 0)
check("home: the due list is cellsync due's (%d items)" % len(want), due.count("<li") == len(want))
for w in want:
    check("home: %s linked by name to /candidate?id=" % w["name"],
          '<a class="name" href="/candidate?id=%s">%s</a>' % (w["id"], w["name"]) in due)
    dd = "/".join(reversed(w["due"].split("-")))
    check("home: its date %s and step %s" % (dd, w["deadline"]), dd in due and w["deadline"] in due)
PY
ui_checks "$dir/py.out"

# ---- device b: by code; a wrong code and an unreachable hub change nothing ----
# A well-formed code that is not the hub's (a typo is caught before the network, below).
bad_code=$("$fixture" wrongcode "$code" 1)
start_ui b
python3 - "$ui_url" "$addr" "$code" "$bad_code" >"$dir/py.out" 2>&1 <<'PY'
import sys
from ui_web import Session, check
s, addr, code, bad = Session(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
r = s.post("/setup", {"step": "init", "org": ""})
check("b: init without a code", r.status == 303)
r = s.post("/setup", {"step": "code", "hub": addr, "code": bad})
check("wrong code: 422 (%d)" % r.status, r.status == 422)
check("wrong code: says the hub could not prove the code, nothing sent", "could not prove that it made this code, so nothing was sent to it" in r.text())
check("wrong code: typed values kept", 'value="%s"' % bad in r.body and 'value="%s"' % addr in r.body)
r = s.post("/setup", {"step": "code", "hub": addr, "code": "1234"})
check("malformed code: 422", r.status == 422 and "is not a valid enrollment code" in r.text())
typo = code[:-1] + ("A" if code[-1] != "A" else "B")
r = s.post("/setup", {"step": "code", "hub": addr, "code": typo})
check("mistyped code: 422", r.status == 422 and "mistyped" in r.text())
r = s.post("/setup", {"step": "code", "hub": "127.0.0.1:1", "code": code})
check("unreachable hub: 422, says so", r.status == 422 and "cannot reach the hub" in r.text())
r = s.post("/setup", {"step": "code", "hub": addr, "code": ""})
check("no code: 422", r.status == 422 and "both the hub's address and the code" in r.text())
r = s.get("/")
check("b: still not enrolled", r.by_id("not-enrolled") is not None)
r = s.post("/setup", {"step": "code", "hub": addr, "code": code})
check("enroll by code: 303 (%d)" % r.status, r.status == 303 and r.location.startswith("/setup?done=code"))
r = s.get(r.location)
check("enrolled by code, next a sync", "enrolled with the hub at" in r.text() and "the hub then registers" in r.text())
PY
ui_checks "$dir/py.out"
on b 0 "synced" -- sync --hub "$addr"
equal "b's unit after its first sync" CB-02 "$(meta b org)"
summary
