#!/bin/sh
# SPDX-License-Identifier: MIT
# The member and meeting pages of `cellsync ui`, asked over HTTP as a browser
# asks them (ui_web.py): members added, listed in the order of a Vietnamese
# roll, found without tone marks, changed, refused and deleted; a meeting
# recorded with minutes of several lines, attendance and an assessment in one
# form, refused forms coming back as typed with nothing stored, and what the
# pages wrote compared with what the command line writes for the same
# meeting. Hostile text is shown as text. $1 is cellsync. Skipped without python3.
set -u
cellsync=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
CELLSYNC_HOME=$dir/home
export CELLSYNC_HOME

expect 0 stdout "created the records" -- "$cellsync" init --org C17
expect 0 stdout "added candidate" -- "$cellsync" candidate add --name "<script>alert(1)</script>" \
    --birth-date 01/01/2001 --sex female
expect 0 stdout "added candidate" -- "$cellsync" candidate add --name "Lò Văn Páo" \
    --birth-date 01/05/2003 --sex male
start_ui ""

TESTS=$(dirname "$0") CELLSYNC=$cellsync python3 - "$ui_url" >"$dir/py.out" 2>&1 <<'PY'
import json, os, re, subprocess, sys
sys.path.insert(0, os.environ["TESTS"])
from ui_web import Session, check

s = Session(sys.argv[1])
HOSTILE = "<script>alert(1)</script>"

def cli(*args):
    return subprocess.run([os.environ["CELLSYNC"]] + list(args), capture_output=True,
                          text=True).stdout

def members():
    return json.loads(cli("member", "list", "--json"))

def meetings():
    return json.loads(cli("meeting", "list", "--json"))

def hexid(location):
    m = re.search(r"id=([0-9a-f-]{36})", location or "")
    return m.group(1) if m else ""

def checked(body, value):
    m = re.search(r'<input type="checkbox" name="present" value="%s"( checked)?>' % value, body)
    return m is not None and m.group(1) is not None

def raw_script(body):
    return "<script>alert" in body

# ---- members ----
r = s.get("/members")
check("members: 200 with nothing yet", r.status == 200 and "No member" in r.text())
check("members: a#add to /member/new", 'id="add" class="button" href="/member/new"' in r.body)
r = s.get("/member/new")
check("member form: fields named by column",
      all('name="%s"' % n in r.body for n in ("full_name", "birth_date", "sex", "status", "official_on")))

ids = {}
for name, born, status, official in (("Nguyễn Văn An", "01/02/1980", "official", "02/09/2010"),
                                     ("Lò Thị Hoa", "15/03/1990", "probationary", ""),
                                     ("Đặng Văn Sỹ", "20/11/1975", "official", "19/05/2000")):
    r = s.post("/member/new", {"full_name": name, "birth_date": born, "sex": "",
                               "status": status, "official_on": official, "phone": ""})
    check("add %s: 303 to the member (got %d)" % (name, r.status),
          r.status == 303 and r.location.startswith("/member?id="))
    ids[name] = hexid(r.location)
    added = r.location
r = s.get(added)
check("member page: says it was added", re.search(r'<p class="ok" role="status">[^<]*added', r.body) is not None)
r = s.get("/member?id=" + ids["Nguyễn Văn An"])
check("member page: no notice without one", 'role="status"' not in r.body)
f = r.by_id("fields") or ""
check("member page: dl#fields, date DD/MM/YYYY, status label",
      "Nguyễn Văn An" in f and "01/02/1980" in f and "02/09/2010" in f and "official" in f)
check("member page: a#edit and a#delete",
      'id="edit"' in r.body and 'href="/member/delete?id=%s"' % ids["Nguyễn Văn An"] in r.body)
listed = members()
check("CLI sees 3 members", len(listed) == 3)
cli_an = [m for m in listed if m["full_name"] == "Nguyễn Văn An"]
check("stored as the CLI stores: dates ISO, status code",
      cli_an and cli_an[0]["birth_date"] == "1980-02-01" and cli_an[0]["status"] == "official")
check("the address carries the whole id", cli_an and cli_an[0]["id"] == ids["Nguyễn Văn An"])

r = s.get("/members")
lst = r.by_id("list") or ""
names = re.findall(r'<a class="name" href="/member\?id=[0-9a-f-]+">([^<]*)</a>', lst)
check("members in given-name order (An, Hoa, Sỹ): %s" % names,
      names == ["Nguyễn Văn An", "Lò Thị Hoa", "Đặng Văn Sỹ"])
check("members: official since DD/MM/YYYY and the status label",
      "19/05/2000" in lst and "probationary" in lst)
r = s.get("/members?q=lo+thi")
lst = r.by_id("list") or ""
check("search lo thi finds Lò Thị Hoa only", "Lò Thị Hoa" in lst and "Nguyễn Văn An" not in lst)
r = s.get("/members?q=%22%3E%3Cscript%3E")
check("hostile search text escaped", '"><script>' not in r.body and "&quot;&gt;&lt;script&gt;" in r.body)

# Changed: only what is sent and differs is written.
an = ids["Nguyễn Văn An"]
r = s.get("/member/edit?id=" + an)
check("edit form holds the stored values", 'value="Nguyễn Văn An"' in r.body and 'value="01/02/1980"' in r.body)
form = {"full_name": "Nguyễn Văn An", "birth_date": "01/02/1980", "phone": "0912345678",
        "note": "Bí thư chi bộ\n" + HOSTILE}
r = s.post("/member/edit?id=" + an, form, page="/member/edit?id=" + an)
check("edit: 303 to the member (got %d)" % r.status, r.status == 303 and an in (r.location or ""))
shown = json.loads(cli("member", "show", "--json", an[-8:]))
check("edit stored the phone and the note", shown.get("phone") == "0912345678"
      and shown.get("note") == "Bí thư chi bộ\n" + HOSTILE)
check("edit kept what was not sent", shown.get("status") == "official" and shown.get("official_on") == "2010-09-02")
r = s.get("/member?id=" + an)
check("member page: the hostile note escaped", not raw_script(r.body) and "&lt;script&gt;" in r.body)

# Refused: the form comes back as typed, with why, and nothing is stored.
r = s.post("/member/new", {"full_name": "", "phone": "0987654321", "birth_date": "01/01/1999"})
check("no name: 422 (got %d)" % r.status, r.status == 422)
check("no name: the error says to type it, as the command line does",
      '<p class="error" role="alert">a member needs a full name</p>' in r.body)
check("no name: typed values kept", 'value="0987654321"' in r.body and 'value="01/01/1999"' in r.body)
r = s.post("/member/new", {"full_name": "Vàng A Dế", "birth_date": "31/02/1990"})
check("bad date: 422", r.status == 422 and 'role="alert"' in r.body and "31/02/1990" in r.text())
check("bad date: the name typed kept", 'value="Vàng A Dế"' in r.body)
r = s.post("/member/new", {}, page="/member/new")
check("nothing typed: 422, no member made", r.status == 422 and "a member needs a full name" in r.text())
check("refused adds stored nothing", len(members()) == 3)
r = s.post("/member/edit?id=" + an, dict(form, full_name=""), page="/member/edit?id=" + an)
check("name cleared: 422 with the same message", r.status == 422 and "a member needs a full name" in r.text())
check("name cleared: the name kept", json.loads(cli("member", "show", "--json", an[-8:])).get("full_name") == "Nguyễn Văn An")

# The same person twice: refused, with the box that says it is another person.
twin = {"full_name": "Nguyen Van An", "birth_date": "01/02/1980"}
r = s.post("/member/new", twin, page="/member/new")
check("duplicate: 422 with the checkbox", r.status == 422 and 'name="duplicate_ok"' in r.body)
check("duplicate: says to tick the box, not a command option",
      "tick the box" in r.text() and "--duplicate-ok" not in r.body)
check("duplicate: nothing stored", len(members()) == 3)
r = s.post("/member/new", dict(twin, duplicate_ok="1"), page="/member/new")
check("another person: 303", r.status == 303)
twin_id = hexid(r.location)
check("another person stored", len(members()) == 4)

# Deleted: a confirmation page that says what happens; the POST does it.
r = s.get("/member/delete?id=" + twin_id)
what = r.by_id("what") or ""
check("delete page: says who and that it can be restored", "Nguyen Van An" in what and "restored" in what)
check("delete page: nothing deleted by a GET", len(members()) == 4)
r = s.post("/member/delete?id=" + twin_id, {}, page="/member/delete?id=" + twin_id)
check("delete: 303 to the list", r.status == 303
      and r.location == "/members?done=deleted&id=" + twin_id)
check("delete: the member is gone from the list", len(members()) == 3)
check("delete: kept for review", "Nguyen Van An" in cli("member", "list", "--deleted"))
r = s.get("/member?id=" + twin_id)
check("a deleted member's page: 404 with a way back", r.status == 404 and 'href="/members"' in r.body)
# Restored from the list's notice, as a candidate is: the button posts to /member/undelete.
listed_page = "/members?done=deleted&id=" + twin_id
r = s.get(listed_page)
check("after a delete: the notice names the member, with button#undelete",
      re.search(r'role="status">[^<]*Nguyen Van An', r.body) is not None
      and 'action="/member/undelete"' in r.body and 'id="undelete"' in r.body)
r = s.post("/member/undelete", {"id": twin_id}, page=listed_page)
check("undelete: 303 to the member (got %d %s)" % (r.status, r.location),
      r.status == 303 and r.location == "/member?id=%s&done=restored" % twin_id)
check("undelete: the member is back", len(members()) == 4)
r = s.get(r.location)
check("undelete: the page says it was restored", r.status == 200
      and re.search(r'role="status">[^<]*[Rr]estored', r.body) is not None)
r = s.post("/member/undelete", {"id": twin_id}, page=listed_page)
check("undelete of a live member: refused with why", r.status == 422 and 'role="alert"' in r.body)
r = s.post("/member/delete?id=" + twin_id, {}, page="/member/delete?id=" + twin_id)
check("deleted again", r.status == 303 and len(members()) == 3)

# ---- meetings ----
r = s.get("/meetings")
check("meetings: 200 with nothing yet, a#add", r.status == 200 and 'id="add"' in r.body
      and 'href="/meeting/new"' in r.body)
hoa, sy = ids["Lò Thị Hoa"], ids["Đặng Văn Sỹ"]
r = s.get("/meeting/new")
check("meeting form: date today DD/MM/YYYY", re.search(r'name="held_on"[^>]*value="02/03/2026"', r.body) is not None)
att = r.by_id("attendance") or ""
check("meeting form: a checked box per member, by name",
      all(checked(att, i) for i in (an, hoa, sy)) and "Lò Thị Hoa" in att and twin_id not in att)
check("meeting form: a reason box per member", all('name="reason_%s"' % i in att for i in (an, hoa, sy)))
ass = r.by_id("assessment") or ""
cands = json.loads(cli("candidate", "list", "--json"))
pao = [c["id"] for c in cands if c["full_name"] == "Lò Văn Páo"][0]
bad = [c["id"] for c in cands if c["full_name"] == HOSTILE][0]
check("meeting form: candidates by name, blank first",
      re.search(r'name="assess_candidate" data-filter="[^"]*"><option value="">', ass) is not None
      and 'value="%s">Lò Văn Páo' % pao in ass and "&lt;script&gt;" in ass and not raw_script(ass))
check("meeting form: strengths, weaknesses, next_steps",
      all('name="%s"' % n in ass for n in ("strengths", "weaknesses", "next_steps")))

minutes = "1. Đồng chí An báo cáo tình hình tháng 2.\n2. Thảo luận: " + HOSTILE + "\n3. Biểu quyết: 2/2 tán thành."
fields = [("held_on", "05/03/2026"), ("kind", "thematic"), ("agenda", "Sinh hoạt chuyên đề"),
          ("minutes", minutes), ("resolutions", "Giúp đỡ quần chúng Páo"),
          ("present", an), ("present", sy), ("reason_" + an, ""), ("reason_" + hoa, "đi làm nương"),
          ("reason_" + sy, ""), ("assess_candidate", pao), ("strengths", "Nhiệt tình"),
          ("weaknesses", "Còn rụt rè"), ("next_steps", "Học lớp nhận thức về Đảng")]

def without(name, value=None):
    return [(k, value if k == name else v) for k, v in fields if value is not None or k != name]

def unsent():
    return int(s.get("/").by_id("unsent") or -1)

before = unsent()
r = s.post("/meeting/new", without("held_on", ""), page="/meeting/new")
check("no date: 422 (got %d)" % r.status, r.status == 422)
check("no date: says to type the date", re.search(r'role="alert">[^<]*date', r.body) is not None)
check("no date: minutes typed back, escaped", "Biểu quyết: 2/2 tán thành" in r.body
      and "&lt;script&gt;" in r.body and not raw_script(r.body))
check("no date: ticks typed back (An, Sỹ ticked, Hoa not)",
      checked(r.body, an) and checked(r.body, sy) and not checked(r.body, hoa))
check("no date: the reason typed back", 'value="đi làm nương"' in r.body)
check("no date: the candidate and texts typed back",
      'value="%s" selected>' % pao in r.body and "Còn rụt rè" in r.body)
r = s.post("/meeting/new", without("held_on", "32/13/2026"), page="/meeting/new")
check("bad date: 422 naming it", r.status == 422 and "32/13/2026" in r.text() and 'role="alert"' in r.body)
r = s.post("/meeting/new", without("assess_candidate", ""), page="/meeting/new")
check("notes without a candidate: 422", r.status == 422 and 'role="alert"' in r.body)
check("refused meetings stored nothing", meetings() == [])
check("refused meetings: no change at all (%d unsent before, %d after)" % (before, unsent()),
      before > 0 and unsent() == before)

r = s.post("/meeting/new", fields, page="/meeting/new")
check("meeting: 303 to it (got %d)" % r.status, r.status == 303 and r.location.startswith("/meeting?id="))
mid = hexid(r.location)
r = s.get(r.location)
check("meeting page: one h1 with the date", r.body.count("<h1>") == 1 and "05/03/2026" in r.text())
check("meeting page: the notice", 'class="ok" role="status"' in r.body)
f = r.by_id("fields") or ""
check("meeting page: minutes of several lines, escaped",
      "Biểu quyết" in f and "\n2. Thảo luận" in f and "&lt;script&gt;alert(1)&lt;/script&gt;" in f)
check("meeting page: never raw", not raw_script(r.body))
a = r.by_id("attendance") or ""
check("meeting page: attendance by name, Hoa absent with why",
      re.search(r"Lò Thị Hoa</td><td[^>]*>absent</td><td[^>]*>đi làm nương", a) is not None
      and re.search(r"Nguyễn Văn An</td><td[^>]*>present", a) is not None)
a = r.by_id("assessments") or ""
check("meeting page: the assessment", "Lò Văn Páo" in a and "Còn rụt rè" in a and "Học lớp" in a)
check("meeting page: a#assess and a#edit", 'id="assess"' in r.body and 'href="/meeting/assess?id=%s"' % mid in r.body
      and 'href="/meeting/edit?id=%s"' % mid in r.body)
r = s.get("/meetings")
lst = r.by_id("list") or ""
check("meetings: the meeting listed, date linked, 2 present, 1 assessed",
      re.search(r'<a class="name" href="/meeting\?id=%s">05/03/2026</a></td><td data-label="kind">thematic</td><td data-label="present">2</td><td data-label="assessments">1</td>' % mid, lst) is not None)

# The command line records the same meeting; both read back the same.
cli_out = cli("meeting", "add", "--date", "05/03/2026", "--kind", "thematic", "--agenda",
              "Sinh hoạt chuyên đề", "--minutes", minutes, "--resolutions", "Giúp đỡ quần chúng Páo")
cid = re.search(r"added meeting ([0-9a-f]{8})", cli_out).group(1)
cli("meeting", "attend", cid, "--all-present", "--absent", hoa[-12:], "--reason", "đi làm nương")
cli("meeting", "assess", cid, pao[-12:], "--strengths", "Nhiệt tình", "--weaknesses", "Còn rụt rè",
    "--next-steps", "Học lớp nhận thức về Đảng")

def shown(ident):
    j = json.loads(cli("meeting", "show", "--json", ident))
    j.pop("id", None)
    for x in j.get("assessments", []):
        x.pop("id", None)
    return j

web, line = shown(mid[-12:]), shown(cid)
check("the pages wrote what the command line writes", web == line and len(web["attendance"]) == 3)
check("attendance as the CLI reads it", [(x["full_name"], x["present"], x["reason"]) for x in web["attendance"]]
      == [("Nguyễn Văn An", True, None), ("Lò Thị Hoa", False, "đi làm nương"), ("Đặng Văn Sỹ", True, None)])

# Changed: the checklist shows what is stored; Hoa ticked now loses her reason.
r = s.get("/meeting/edit?id=" + mid)
check("edit: the stored ticks and reason", checked(r.body, an) and not checked(r.body, hoa)
      and 'value="đi làm nương"' in r.body and "Biểu quyết" in r.body)
r = s.post("/meeting/edit?id=" + mid,
           [("held_on", "05/03/2026"), ("kind", "thematic"), ("agenda", "Sinh hoạt chuyên đề (sửa)"),
            ("minutes", minutes), ("resolutions", "Giúp đỡ quần chúng Páo"), ("present", an),
            ("present", hoa), ("present", sy), ("reason_" + hoa, "đi làm nương")],
           page="/meeting/edit?id=" + mid)
check("edit meeting: 303", r.status == 303)
web = shown(mid[-12:])
check("edit meeting: the agenda changed, Hoa present without a reason",
      web["agenda"] == "Sinh hoạt chuyên đề (sửa)" and all(x["present"] for x in web["attendance"])
      and all(x["reason"] is None for x in web["attendance"]))
check("edit meeting: no new assessment", len(web["assessments"]) == 1)
r = s.post("/meeting/edit?id=" + mid, [("held_on", "")], page="/meeting/edit?id=" + mid)
check("edit meeting: the date cannot be emptied", r.status == 422 and shown(mid[-12:])["held_on"] == "2026-03-05")

# One more assessment, on its own page.
page = "/meeting/assess?id=" + mid
r = s.get(page)
check("assess page: the form", r.status == 200 and 'id="assessment"' in r.body and 'name="present"' not in r.body)
r = s.post(page, {"assess_candidate": "", "strengths": "x"}, page=page)
check("assess without a candidate: 422, text kept", r.status == 422 and ">x</textarea>" in r.body)
r = s.post(page, {"assess_candidate": bad, "strengths": "", "weaknesses": "", "next_steps": ""}, page=page)
check("assess without a word: 422", r.status == 422)
check("refused assessments stored nothing", len(shown(mid[-12:])["assessments"]) == 1)
r = s.post(page, {"assess_candidate": bad, "strengths": "Có " + HOSTILE, "next_steps": "Theo dõi"}, page=page)
check("assess: 303 to the meeting", r.status == 303 and r.location == "/meeting?id=%s&done=assessed" % mid)
r = s.get(r.location)
a = r.by_id("assessments") or ""
check("assess: shown escaped", "&lt;script&gt;alert(1)&lt;/script&gt;" in a and not raw_script(r.body))
check("assess: stored", len(shown(mid[-12:])["assessments"]) == 2)
r = s.get("/meeting?id=" + "0" * 8 + mid[8:])
check("an unknown meeting: 404", r.status == 404)

# A meeting with no attendance recorded: its edit form ticks nobody and says so, and a
# change to the minutes records no attendance.
out = cli("meeting", "add", "--date", "12/03/2026", "--agenda", "Họp chưa điểm danh")
nid = [m["id"] for m in meetings() if m.get("held_on") == "2026-03-12"][0]
page = "/meeting/edit?id=" + nid
r = s.get(page)
att = r.by_id("attendance") or ""
check("no attendance yet: nobody ticked", not any(checked(att, i) for i in (an, hoa, sy))
      and all('value="%s"' % i in att for i in (an, hoa, sy)))
check("no attendance yet: the form says so", "attendance not recorded yet" in att)
r = s.post(page, [("held_on", "12/03/2026"), ("kind", "regular"), ("agenda", "Họp chưa điểm danh"),
                  ("minutes", "Biên bản bổ sung"), ("reason_" + an, ""), ("reason_" + hoa, ""),
                  ("reason_" + sy, "")], page=page)
check("minutes saved: 303 (got %d)" % r.status, r.status == 303)
web = shown(nid[-12:])
check("minutes saved, still no attendance: %s" % web.get("attendance"),
      web.get("minutes") == "Biên bản bổ sung" and web.get("attendance") == [])
r = s.get("/meeting/new")
check("a new meeting still starts all ticked", all(checked(r.by_id("attendance") or "", i) for i in (an, hoa, sy)))
r = s.post(page, [("held_on", "12/03/2026"), ("present", an), ("reason_" + hoa, "ốm"), ("reason_" + sy, "")],
           page=page)
web = shown(nid[-12:])
check("attendance ticked later: recorded as ticked",
      [(x["full_name"], x["present"], x["reason"]) for x in web["attendance"]]
      == [("Nguyễn Văn An", True, None), ("Lò Thị Hoa", False, "ốm"), ("Đặng Văn Sỹ", False, None)])
r = s.get(page)
check("recorded: the note is gone", "attendance not recorded yet" not in (r.by_id("attendance") or ""))

# Deleted from its page, after a confirmation, and restored from the list's notice.
r = s.get("/meeting?id=" + nid)
check("meeting page: a#delete", 'id="delete"' in r.body and 'href="/meeting/delete?id=%s"' % nid in r.body)
r = s.get("/meeting/delete?id=" + nid)
what = r.by_id("what") or ""
check("delete page: p#what names the meeting and says it can be restored: " + what,
      r.status == 200 and "12/03/2026" in what and "restored" in what)
check("delete page: a GET deletes nothing", len(meetings()) == 3)
r = s.post("/meeting/delete?id=" + nid, {}, page="/meeting/delete?id=" + nid)
check("delete: 303 to the list (got %d %s)" % (r.status, r.location),
      r.status == 303 and r.location == "/meetings?done=deleted&id=" + nid)
check("delete: gone from the list", nid not in [m["id"] for m in meetings()])
check("delete: kept for review", "12/03/2026" in cli("meeting", "list", "--deleted"))
r = s.get("/meeting?id=" + nid)
check("a deleted meeting's page: 404", r.status == 404)
listed_page = "/meetings?done=deleted&id=" + nid
r = s.get(listed_page)
check("meetings after a delete: the notice with button#undelete",
      re.search(r'role="status">[^<]*12/03/2026', r.body) is not None
      and 'action="/meeting/undelete"' in r.body and 'id="undelete"' in r.body)
r = s.post("/meeting/undelete", {"id": nid}, page=listed_page)
check("undelete: 303 to the meeting (got %d %s)" % (r.status, r.location),
      r.status == 303 and r.location == "/meeting?id=%s&done=restored" % nid)
check("undelete: back, with its attendance", nid in [m["id"] for m in meetings()]
      and len(shown(nid[-12:])["attendance"]) == 3)
r = s.get(r.location)
check("undelete: the page says it was restored",
      re.search(r'role="status">[^<]*[Rr]estored', r.body) is not None)
r = s.post("/meeting/undelete", {"id": "zz"}, page=listed_page)
check("undelete of nothing: refused with why", r.status == 422 and 'role="alert"' in r.body)
PY
ui_checks "$dir/py.out"

# In Vietnamese: the checklist and a refusal in the catalog's words.
kill "$ui_pid"
LANGUAGE="vi"
export LANGUAGE
start_ui ""
TESTS=$(dirname "$0") python3 - "$ui_url" >"$dir/vi.out" 2>&1 <<'PY'
import os, sys
sys.path.insert(0, os.environ["TESTS"])
from ui_web import Session, check
s = Session(sys.argv[1])
r = s.get("/meeting/new")
check("vi: the checklist's legend", r.status == 200 and "Điểm danh" in r.text())
r = s.post("/meeting/new", {"held_on": ""}, page="/meeting/new")
check("vi: the refusal says what to type", r.status == 422 and "Hãy nhập ngày sinh hoạt" in r.text())
r = s.get("/members")
check("vi: the members page", "Thêm đảng viên" in r.text() and "Nguyễn Văn An" in r.text())
PY
ui_checks "$dir/vi.out"
summary
