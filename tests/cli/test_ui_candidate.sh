#!/bin/sh
# SPDX-License-Identifier: MIT
# The candidate pages of `cellsync ui`, driven over HTTP as a browser submits
# their forms (ui_web.py): add (a Vietnamese name, dates typed DD/MM/YYYY, codes
# picked by label), a refused add that stores nothing and keeps what was typed,
# a likely duplicate let in with "this is another person", edit, three steps
# (the helper picked by name), a refused step, the cell resolution with the
# sponsors' months (under 12 refused by the rule, then excepted), undo,
# withdraw, delete and restore; then the candidate pages in Vietnamese. What the pages wrote is compared with what the same commands write
# (`candidate show --json`), and a hostile name is shown as text on every page.
# $1 is cellsync. Without python3 the test is skipped.
set -u
cellsync=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
CELLSYNC_HOME=$dir/home
export CELLSYNC_HOME

expect 0 stdout "created the records" -- "$cellsync" init --org C17
expect 0 stdout "added member" -- "$cellsync" member add --name "Trần Văn Giúp" \
    --birth-date 01/01/1970 --sex male --status official
expect 0 stdout "added member" -- "$cellsync" member add --name "<script>alert(2)</script>" \
    --birth-date 02/02/1972 --sex female --status official
# The same person the pages add, through the command line, to compare what each writes.
expect 0 stdout "added candidate" -- "$cellsync" candidate add --name "Lò Văn Páo" \
    --birth-date 15/03/2000 --sex female --source youth_union --identified-on 01/12/2025
expect 0 stdout "is now at" -- "$cellsync" candidate advance "Lò Văn Páo" --to helper_assigned \
    --date 05/12/2025 --helper "Trần Văn Giúp"
expect 0 stdout "is now at" -- "$cellsync" candidate advance "Lò Văn Páo" --to class_passed \
    --date 05/01/2026
expect 0 stdout "changed candidate" -- "$cellsync" candidate edit "Lò Văn Páo" --occupation "nông dân"
start_ui ""

PYTHONPATH=$(dirname "$0") python3 - "$ui_url" "$cellsync" >"$dir/py.out" 2>&1 <<'PY'
import json, re, subprocess, sys
from ui_web import Session, check

s = Session(sys.argv[1])
cellsync = sys.argv[2]
HOSTILE = "<script>alert(1)</script>"

def cli(*args):
    return subprocess.run([cellsync] + list(args), capture_output=True, text=True)

def show(hexid):
    r = cli("candidate", "show", hexid, "--json")
    return json.loads(r.stdout) if r.returncode == 0 else None

def listed(*extra):
    return json.loads(cli("candidate", "list", "--json", *extra).stdout)

def new_id(r):
    m = re.match(r"/candidate\?id=([0-9a-f-]{36})&done=added$", r.location or "")
    return m.group(1) if m else None

def escaped(what, r):
    check(what + ": the hostile name escaped",
          "&lt;script&gt;alert(1)&lt;/script&gt;" in r.body and "<script>alert(1)" not in r.body)

# The list: each name a link to its page, the link to add one.
r = s.get("/candidates")
check("list: 200", r.status == 200)
check("list: a#add to /candidate/new", re.search(r'<a id="add"[^>]*href="/candidate/new"', r.body) is not None)
check("list: table#list", r.by_id("list") is not None)
check("list: a.name links to /candidate?id=", re.search(
    r'<a class="name" href="/candidate\?id=[0-9a-f-]{36}">Lò Văn Páo</a>', r.body) is not None)

# Add: what is typed as a person types it; the code list picked by its label.
page = s.get("/candidate/new")
check("new: the fields of candidate add", all('name="%s"' % f in page.body for f in
      ("full_name", "birth_date", "sex", "source", "org_unit", "note", "identified_on")))
check("new: source offered by label", '<option value="youth_union">youth union member</option>' in page.body)
form = {"full_name": "Nguyễn Thị Mai", "birth_date": "15/03/2000", "sex": "female",
        "source": "youth_union", "identified_on": "01/12/2025"}
r = s.post("/candidate/new", form)
mai = new_id(r)
check("add: 303 to the new candidate (got %d %s)" % (r.status, r.location), r.status == 303 and mai)
r = s.get("/candidate?id=%s&done=added" % mai)
check("show: 200", r.status == 200)
check("show: the notice says it was added", re.search(r'<p class="ok" role="status">Added the candidate Nguyễn Thị Mai\.</p>', r.body) is not None)
fields = r.by_id("fields") or ""
check("show: dl#fields has the name", "Nguyễn Thị Mai" in fields)
check("show: the birth date as DD/MM/YYYY", "15/03/2000" in fields)
check("show: codes as labels", "youth union member" in fields and "female" in fields)
tl = r.by_id("timeline") or ""
check("show: one li per stage up to official", len(re.findall(r"<li data-stage=", tl)) == 10)
check("show: identified done, dated", re.search(r'data-stage="identified" class="done">.*?01/12/2025', tl) is not None)
check("show: helper_assigned next, needing the helper", re.search(
    r'data-stage="helper_assigned" class="next">.*?the member assigned to help', tl) is not None)
check("show: official todo", 'data-stage="official" class="todo"' in tl)
for a in ("advance", "edit", "withdraw", "delete"):
    check("show: a#" + a, re.search(r'<a class="button" id="%s" href="/candidate/%s\?id=%s">' % (a, a, mai), r.body) is not None)
check("show: no a#undo at the first step", 'id="undo"' not in r.body)

# The same record as `candidate add` writes: every field but the id and the name.
def same_record(what, a, b, skip=("id", "full_name")):
    ra = {k: v for k, v in a["record"].items() if k not in skip}
    rb = {k: v for k, v in b["record"].items() if k not in skip}
    check(what + ": %s == %s" % (ra, rb), ra == rb)

pao = [c for c in listed() if c["full_name"] == "Lò Văn Páo"][0]["id"]
one = show(mai)
check("add: stage identified, identified_on 2025-12-01",
      one["procedure"]["stage"] == "identified" and one["procedure"]["identified_on"] == "2025-12-01")

# A refusal: the form comes back with what was typed and why; nothing is stored.
before = len(listed())
bad = dict(form, full_name="Hà Văn Sai", birth_date="31/02/2000")
r = s.post("/candidate/new", bad, page="/candidate/new")
check("bad date: 422 (got %d)" % r.status, r.status == 422)
check("bad date: the error names the field", re.search(r'<p class="error" role="alert">date of birth: [^<]*31/02/2000', r.body) is not None)
check("bad date: typed values kept", 'value="31/02/2000"' in r.body and 'value="Hà Văn Sai"' in r.body
      and '<option value="youth_union" selected>' in r.body)
check("bad date: nothing stored", len(listed()) == before and "Hà Văn Sai" not in cli("candidate", "list").stdout)
r = s.post("/candidate/new", dict(form, full_name=""), page="/candidate/new")
check("no name: 422 and says so", r.status == 422 and "a candidate needs a full name" in r.text())
r = s.post("/candidate/new", dict(form, full_name="Hà Văn Sai", identified_on="02/13/2025"), page="/candidate/new")
check("bad step date: 422 naming the step", r.status == 422 and "identified on: " in r.text())
check("bad step date: nothing stored", len(listed()) == before)

# A likely duplicate is refused, then let in as another person.
r = s.post("/candidate/new", form, page="/candidate/new")
check("duplicate: 422", r.status == 422)
check("duplicate: the box 'this is another person'", 'name="duplicate_ok"' in r.body and "this is another person" in r.body)
check("duplicate: nothing stored", len(listed()) == before)
r = s.post("/candidate/new", dict(form, duplicate_ok="1"), page="/candidate/new")
twin = new_id(r)
check("duplicate_ok: added", r.status == 303 and twin and twin != mai)

# Edit: the stored values in the form, dates DD/MM/YYYY; the change written as `edit` writes it.
r = s.get("/candidate/edit?id=" + mai)
check("edit: 200 with the stored values", r.status == 200 and 'value="15/03/2000"' in r.body and 'value="Nguyễn Thị Mai"' in r.body)
r = s.get("/candidate/edit?id=" + mai)
fields_now = dict(re.findall(r'<input id="f-\w+" name="(\w+)"[^>]*value="([^"]*)"', r.body))
fields_now.update({"occupation": "nông dân", "sex": "female", "source": "youth_union", "org_unit": ""})
r = s.post("/candidate/edit?id=" + mai, fields_now, page="/candidate/edit?id=" + mai)
check("edit: 303 (got %d %s)" % (r.status, re.findall(r"role=.alert.>[^<]*", r.body)), r.status == 303 and r.location.endswith("done=changed"))
r2 = s.post("/candidate/edit?id=" + mai, dict(fields_now, birth_date="1/1/99"), page="/candidate/edit?id=" + mai)
check("edit refused: 422 with the typed date", r2.status == 422 and 'value="1/1/99"' in r2.body)
check("edit refused: nothing stored", show(mai)["record"]["birth_date"] == "2000-03-15")
r2 = s.post("/candidate/edit?id=" + mai, dict(fields_now, full_name=""), page="/candidate/edit?id=" + mai)
check("name cleared: 422, as `candidate edit --name ''` says", r2.status == 422
      and '<p class="error" role="alert">a candidate needs a full name</p>' in r2.body
      and show(mai)["record"]["full_name"] == "Nguyễn Thị Mai")

# Advance: the confirmation says who moves from which step to which on which date.
r = s.get("/candidate/advance?id=" + mai)
what = r.by_id("what") or ""
check("advance: p#what " + what, "Nguyễn Thị Mai" in what and "identified" in what and "helper assigned" in what and "02/03/2026" in what)
check("advance: on defaults to today", 'name="on" type="text" inputmode="numeric" autocomplete="off" placeholder="DD/MM/YYYY" maxlength="500" value="02/03/2026"' in r.body)
helper = re.search(r'<option value="([0-9a-f-]{36})">Trần Văn Giúp', r.body)
check("advance: the helper picked by name", helper is not None)
check("advance: a hostile member name escaped",
    "&lt;script&gt;alert(2)&lt;/script&gt;" in r.body and "<script>alert(2)" not in r.body)
check("advance: no sponsors at this step", 'name="sponsor1"' not in r.body)
r = s.post("/candidate/advance?id=" + mai, {"to": "helper_assigned", "on": "05/12/2025"}, page="/candidate/advance?id=" + mai)
check("advance without the helper: 422 saying so", r.status == 422 and "needs the member assigned to help" in r.text())
r = s.post("/candidate/advance?id=" + mai, {"to": "helper_assigned", "on": "05/12/2025", "helper": helper.group(1)},
           page="/candidate/advance?id=" + mai)
check("advance 1: 303 with a notice", r.status == 303 and "done=advanced" in r.location)
r = s.get(r.location)
check("advance 1: the notice", "Nguyễn Thị Mai is now at 'helper assigned' (05/12/2025)." in r.text())
check("advance 1: the helper shown by name", "Trần Văn Giúp" in (r.by_id("fields") or ""))
r = s.post("/candidate/advance?id=" + mai, {"to": "helper_assigned", "on": "05/12/2025", "helper": helper.group(1)},
           page="/candidate/advance?id=" + mai)
check("the same form sent twice: refused, no second step", r.status == 422 and show(mai)["procedure"]["stage"] == "helper_assigned")
r = s.post("/candidate/advance?id=" + mai, {"to": "class_passed", "on": "5/1/2026"}, page="/candidate/advance?id=" + mai)
check("advance 2: 303", r.status == 303)
# The pages' candidate and the command line's are now alike, step for step.
a, b = show(mai), show(pao)
same_record("UI add + edit == candidate add + edit", a, b)
pa = {k: v for k, v in a["procedure"].items() if k not in ("helper_name",)}
pb = {k: v for k, v in b["procedure"].items() if k not in ("helper_name",)}
check("UI steps == candidate advance: %s / %s" % (pa, pb), pa == pb)
r = s.post("/candidate/advance?id=" + mai, {"to": "applied", "on": "32/01/2026"}, page="/candidate/advance?id=" + mai)
check("bad step date: 422, typed kept, nothing stored", r.status == 422 and 'value="32/01/2026"' in r.body
      and "date of the step: " in r.text() and show(mai)["procedure"]["stage"] == "class_passed")
r = s.post("/candidate/advance?id=" + mai, {"to": "applied", "on": "02/02/2026"}, page="/candidate/advance?id=" + mai)
check("advance 3: 303", r.status == 303)
p = show(mai)["procedure"]
check("advance 3: applied on 2026-02-02", p["stage"] == "applied" and p["applied_on"] == "2026-02-02")
r = s.get("/candidate?id=" + mai)
tl = r.by_id("timeline") or ""
check("timeline: three done steps dated", all(re.search(r'data-stage="%s" class="done">.*?%s' % (st, d), tl) for st, d in
      (("helper_assigned", "05/12/2025"), ("class_passed", "05/01/2026"), ("applied", "02/02/2026"))))
check("timeline: biography_verified next", 'data-stage="biography_verified" class="next"' in tl)
check("timeline: the certificate's deadline from the due list", "class certificate expires" in tl and "05/01/2031" in tl)
check("show: a#undo now", 'id="undo"' in r.body)

# Undo: which step and date are taken back; a reason is needed.
r = s.get("/candidate/undo?id=" + mai)
what = r.by_id("what") or ""
check("undo: p#what " + what, "application and biography" in what and "02/02/2026" in what and "Nguyễn Thị Mai" in what)
r = s.post("/candidate/undo?id=" + mai, {"reason": ""}, page="/candidate/undo?id=" + mai)
check("undo without a reason: 422", r.status == 422 and "reason" in r.text() and show(mai)["procedure"]["stage"] == "applied")
r = s.post("/candidate/undo?id=" + mai, {"reason": "ngày ghi nhầm"}, page="/candidate/undo?id=" + mai)
check("undo: 303", r.status == 303 and "done=undone" in r.location)
r = s.get(r.location)
check("undo: the notice", "is back at 'awareness class passed': the step 'application and biography' was undone" in r.text())
p = show(mai)["procedure"]
check("undo: back at class_passed, the reason kept", p["stage"] == "class_passed" and p["applied_on"] is None
      and p["undone"][0]["reason"] == "ngày ghi nhầm")

# Withdraw: a date and a reason.
r = s.get("/candidate/withdraw?id=" + mai)
check("withdraw: the form", r.status == 200 and 'name="reason"' in r.body and 'value="02/03/2026"' in r.body)
r = s.post("/candidate/withdraw?id=" + mai, {"on": "01/03/2026", "reason": ""}, page="/candidate/withdraw?id=" + mai)
check("withdraw without a reason: 422", r.status == 422 and show(mai)["procedure"]["stage"] == "class_passed")
r = s.post("/candidate/withdraw?id=" + mai, {"on": "01/03/2026", "reason": "chuyển đi nơi khác"}, page="/candidate/withdraw?id=" + mai)
check("withdraw: 303", r.status == 303 and "done=withdrawn" in r.location)
p = show(mai)["procedure"]
check("withdraw: stored", p["stage"] == "withdrawn" and p["withdrawn_on"] == "2026-03-01" and p["withdrawn_reason"] == "chuyển đi nơi khác")
r = s.get("/candidate?id=" + mai)
check("withdrawn: no advance, undo offered", 'id="advance"' not in r.body and 'id="undo"' in r.body)

# A step a rule refuses (a date before the last step's): the reason shown, and the choice to
# record an exception with a reason, as --force --reason does.
adv = "/candidate/advance?id=" + pao
r = s.post(adv, {"to": "applied", "on": "01/01/2026"}, page=adv)
check("rule: 422 with the rule's reason", r.status == 422 and 'role="alert"' in r.body and 'name="force"' in r.body)
check("rule: nothing stored", show(pao)["procedure"]["stage"] == "class_passed")
r = s.post(adv, {"to": "applied", "on": "01/01/2026", "force": "1", "reason": ""}, page=adv)
check("exception without a reason: 422", r.status == 422 and "Say why the exception is made" in r.text())
r = s.post(adv, {"to": "applied", "on": "01/01/2026", "force": "1", "reason": "hồ sơ giấy ghi vậy"}, page=adv)
check("exception: 303 saying an exception was recorded", r.status == 303 and r.location.endswith("&exception=1"))
check("exception: the notice", "An exception to the rules was recorded" in s.get(r.location).text())
p = show(pao)["procedure"]
check("exception: stored as --force --reason stores it", p["stage"] == "applied" and p["exceptions"]
      and p["exceptions"][0]["reason"] == "hồ sơ giấy ghi vậy")

# The cell resolution: each sponsor picked by name with the months they have known the
# candidate; under 12 the rule refuses with its reason, and an exception with a reason lets it in.
r = s.post(adv, {"to": "biography_verified", "on": "10/01/2026"}, page=adv)
check("verified: 303", r.status == 303)
r = s.get(adv)
check("cell: the sponsors and their months asked",
      all('name="%s"' % f in r.body for f in ("sponsor1", "sponsor2")) and
      all('name="%s" type="number"' % f in r.body for f in ("sponsor1_months", "sponsor2_months")))
check("cell: p#what says the months are needed", "how many months each sponsor has known the candidate" in (r.by_id("what") or ""))
giup = re.search(r'<option value="([0-9a-f-]{36})">Trần Văn Giúp', r.body).group(1)
other = re.search(r'<option value="([0-9a-f-]{36})">&lt;script&gt;alert\(2\)', r.body).group(1)
cell = {"to": "cell_resolution", "on": "02/02/2026", "sponsor1": giup, "sponsor2": other,
        "sponsor1_months": "5", "sponsor2_months": "24"}
r = s.post(adv, cell, page=adv)
check("months under 12: 422 with the rule's reason", r.status == 422 and re.search(
    r'<p class="error" role="alert">sponsor 1 has known the candidate for 5 months; the rule needs 12 months', r.body) is not None)
check("months under 12: the exception offered, the months kept", 'name="force"' in r.body
      and re.search(r'name="sponsor1_months" type="number" maxlength="500" value="5"', r.body) is not None)
p = show(pao)["procedure"]
check("months under 12: nothing stored", p["stage"] == "biography_verified" and p["sponsor1_months"] is None)
r = s.post(adv, dict(cell, sponsor1_months="mười"), page=adv)
check("months not a number: 422 naming the box", r.status == 422 and
      "months the sponsor has known the candidate: 'mười' is not a number of months from 0 to 1200" in r.text())
r = s.post(adv, dict(cell, sponsor2=""), page=adv)
check("months without their sponsor: 422", r.status == 422 and
      "the months known are those of sponsor 2" in r.text() and show(pao)["procedure"]["stage"] == "biography_verified")
r = s.post(adv, dict(cell, force="1", reason="đã quen biết qua công tác đoàn"), page=adv)
check("months excepted: 303 saying so", r.status == 303 and r.location.endswith("&exception=1"))
p = show(pao)["procedure"]
check("months excepted: stored, with the exception", p["stage"] == "cell_resolution"
      and p["sponsor1_months"] == 5 and p["sponsor2_months"] == 24
      and any(e["rule"] == "sponsor_months" for e in p["exceptions"]))
r = s.get("/candidate?id=" + pao)
check("show: the months in dl#fields", re.search(r'data-field="sponsor1_months">5</dd>', r.by_id("fields") or "") is not None
      and re.search(r'data-field="sponsor2_months">24</dd>', r.by_id("fields") or "") is not None)
r = s.post("/candidate/undo?id=" + pao, {"reason": "ghi lại số tháng"}, page="/candidate/undo?id=" + pao)
check("undo the cell resolution: 303", r.status == 303)
r = s.post(adv, dict(cell, sponsor1_months="12", sponsor2_months="30"), page=adv)
check("12 months and more: 303, no exception", r.status == 303 and "exception" not in r.location)
p = show(pao)["procedure"]
check("12 months and more: stored as --sponsor1-months stores it", p["stage"] == "cell_resolution"
      and p["sponsor1_months"] == 12 and p["sponsor2_months"] == 30
      and not any(e["rule"] == "sponsor_months" for e in p["exceptions"]))

# Delete the twin entered by mistake, restore it, delete it again.
r = s.get("/candidate/delete?id=" + twin)
check("delete: p#what says what happens", "will be deleted" in (r.by_id("what") or ""))
r = s.post("/candidate/delete?id=" + twin, {}, page="/candidate/delete?id=" + twin)
check("delete: 303 to the list", r.status == 303 and r.location == "/candidates?done=deleted&id=" + twin)
check("delete: gone from the list", twin not in [c["id"] for c in listed("--all")])
check("delete: kept for review", twin in cli("candidate", "list", "--deleted", "--json").stdout)
r = s.get(r.location)
check("delete: notice and a restore button", "Deleted the candidate Nguyễn Thị Mai" in r.text() and 'id="undelete"' in r.body)
r = s.post("/candidate/undelete", {"id": twin}, page="/candidates?done=deleted&id=" + twin)
check("undelete: 303 to the candidate", r.status == 303 and r.location == "/candidate?id=%s&done=restored" % twin)
check("undelete: back in the list", twin in [c["id"] for c in listed()])
r = s.post("/candidate/delete?id=" + twin, {}, page="/candidate/delete?id=" + twin)
check("deleted again", r.status == 303 and twin not in [c["id"] for c in listed("--all")])
r = s.get("/candidate?id=" + twin)
check("a deleted candidate's page: 404 with a message", r.status == 404 and 'role="alert"' in r.body)
r = s.get("/candidate?id=nothex")
check("a bad id: 404", r.status == 404)

# A hostile name is text on every page that shows it.
r = s.post("/candidate/new", {"full_name": HOSTILE, "birth_date": "01/01/2001"}, page="/candidate/new")
bad_id = new_id(r)
check("hostile: added", r.status == 303 and bad_id)
escaped("list", s.get("/candidates"))
for path in ("/candidate?id=%s&done=added", "/candidate/edit?id=%s", "/candidate/advance?id=%s",
             "/candidate/withdraw?id=%s", "/candidate/delete?id=%s"):
    escaped(path.split("?")[0], s.get(path % bad_id))
r = s.post("/candidate/new", {"full_name": HOSTILE, "birth_date": "01/01/2001"}, page="/candidate/new")
escaped("refused form", r)
PY
ui_checks "$dir/py.out"

# In Vietnamese (as a secretary reads it): the steps, the advance confirmation and the
# dates DD/MM/YYYY in the catalog's words.
kill -TERM "$ui_pid"
wait "$ui_pid"
bg_pids=''
LANGUAGE="vi"
export LANGUAGE
start_ui ""
unset LANGUAGE
PYTHONPATH=$(dirname "$0") python3 - "$ui_url" "$cellsync" >"$dir/py.out" 2>&1 <<'PY'
import html, json, subprocess, sys
from ui_web import Session, check

s = Session(sys.argv[1])
found = json.loads(subprocess.run([sys.argv[2], "candidate", "list", "--json"],
                                  capture_output=True, text=True).stdout)
pao = [c for c in found if c["full_name"] == "Lò Văn Páo"][0]["id"]
r = s.get("/candidate?id=" + pao)
check("vi: lang vi", r.status == 200 and '<html lang="vi">' in r.body)
tl = r.by_id("timeline") or ""
check("vi: the steps' heading", "Các bước kết nạp" in r.body)
for stage, label, date in (("identified", "đã chọn làm đối tượng phát triển", "01/12/2025"),
                           ("class_passed", "đã học lớp bồi dưỡng nhận thức về Đảng", "05/01/2026"),
                           ("cell_resolution", "nghị quyết chi bộ", "02/02/2026")):
    check("vi: timeline %s in Vietnamese, dated %s" % (stage, date),
          ('data-stage="%s" class="done"><span class="stage">%s</span> <span class="date">%s</span>'
           % (stage, label, date)) in tl)
check("vi: the next step in Vietnamese", 'class="next"><span class="stage">nghị quyết đảng ủy cơ sở</span>' in tl
      and "Bước tiếp theo. Để ghi bước này cần có:" in tl)
r = s.get("/candidate/advance?id=" + pao)
what = html.unescape(r.by_id("what") or "")
check("vi: the advance sentence " + what,
      "Lò Văn Páo chuyển từ bước 'nghị quyết chi bộ' sang bước 'nghị quyết đảng ủy cơ sở' ngày 02/03/2026. Cần có: ngày của bước 'nghị quyết đảng ủy cơ sở'" in what)
check("vi: the date box DD/MM/YYYY", 'name="on" type="text"' in r.body and 'value="02/03/2026"' in r.body)
PY
ui_checks "$dir/py.out"
summary
