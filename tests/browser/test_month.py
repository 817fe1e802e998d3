# SPDX-License-Identifier: MIT
"""A cell secretary's month in `cellsync ui`, in headless Chromium (selenium 4).

Run by tests/cli/test_ui_browser.sh (ctest browser_month), which makes the hub,
the enrollments and a second laptop "b", starts `cellsync ui --no-browser` on a
device with no records yet and hands over, in the environment: CS_UI_URL (the
address with its secret), CS_HUB and CS_CODE (the hub's address and the short
code of this laptop's enrollment), CS_DIR (the test's directory: b's data in
CS_DIR/b, the hub's in CS_DIR/hub, the drives in CS_DIR/media), CS_CELLSYNC,
CS_FIXTURE, CS_BROWSER and CS_CHROMEDRIVER.

The pages are found by the names and ids of THE PAGE CONTRACT (issue 15), and
what is checked is what a page shows: names, dates, counts. Each step prints
"== step N: what" and one line per check, "ok WHAT" or "FAIL step N: WHAT",
which the shell counts; a step that breaks says so and the steps that need
what it should have made say which step they wait for. Every screen is also
looked at on the way: one h1, no alert, every link, button and control of the
navigation and forms at least 44 px high at 1366 px, nothing wider than a
390 px phone. With CELLSYNC_SCREENSHOTS naming a directory, each screen is
saved there as NAME-1366.png and NAME-390.png (the whole page at that width).
"""
import base64
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

ENV = os.environ
URL = ENV["CS_UI_URL"]
BASE = re.match(r"(http://127\.0\.0\.1:\d+)", URL).group(1)
DIR = ENV["CS_DIR"]
SHOTS = ENV.get("CELLSYNC_SCREENSHOTS", "")
TODAY = "02/03/2026"  # CELLSYNC_TODAY of lib.sh, as the pages show it
HOSTILE = "<script>alert(1)</script>"
CAND = "Nguyễn Văn Sỹ"
MEMBERS = ["Lò Văn Páo", "Đinh Thị Mai"]
PHONE_B, PHONE_UI = "0922000222", "0911000333"
DATE_TIME = re.compile(r"\d\d/\d\d/\d{4} \d\d:\d\d")
WIDE = {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False}
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}

current = {"n": 0, "name": ""}
fails = []
state = {}  # what the steps made: candidate ids, ...


def check(what, cond):
    what = re.sub(r"\s*\n\s*", " | ", what)
    if cond:
        print("ok " + what, flush=True)
    else:
        print("FAIL step %d (%s): %s" % (current["n"], current["name"], what), flush=True)
        fails.append(what)
    return cond


class StepFailed(Exception):
    pass


def must(what, cond):
    """A check the rest of the step cannot go on without."""
    if not check(what, cond):
        raise StepFailed(what)


# ---- the browser ----

def start_browser():
    o = webdriver.ChromeOptions()
    o.binary_location = ENV.get("CS_BROWSER", "/usr/bin/chromium")
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--no-first-run", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--lang=" + ENV.get("CS_BROWSER_LANG", "en-US"),
              "--user-data-dir=" + tempfile.mkdtemp(prefix="profile.", dir=DIR)):
        o.add_argument(a)
    svc = Service(ENV.get("CS_CHROMEDRIVER", "/usr/bin/chromedriver"),
                  log_path=os.path.join(DIR, "chromedriver.log"))
    d = webdriver.Chrome(service=svc, options=o)
    d.set_page_load_timeout(60)
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", WIDE)
    return d


d = None


def css(sel, root=None):
    return (root or d).find_elements(By.CSS_SELECTOR, sel)


def one(sel, root=None):
    got = css(sel, root)
    must("the page has %s (%s)" % (sel, path()), len(got) >= 1)
    return got[0]


def path():
    return re.sub(r"^http://[^/]+", "", d.current_url)


def text(sel):
    got = css(sel)
    return got[0].text.strip() if got else None


def alert_open():
    try:
        a = d.switch_to.alert
        a.dismiss()
        return True
    except NoAlertPresentException:
        return False


def go(p):
    d.get(BASE + p)
    check("no alert on " + p, not alert_open())


def submit(el):
    """Clicks el (a submit button or a link) and waits for the next page."""
    old = d.find_element(By.TAG_NAME, "html")
    el.click()
    wait_new_page(old)


def wait_new_page(old, secs=60):
    def gone(_):
        try:
            old.tag_name
            return False
        except WebDriverException:
            return True
    WebDriverWait(d, secs).until(gone)
    WebDriverWait(d, secs).until(lambda _: d.execute_script("return document.readyState") == "complete")


def form_of(el):
    return el.find_element(By.XPATH, "./ancestor::form")


def submit_button(form):
    got = [b for b in css("button, input[type=submit]", form)
           if (b.get_attribute("type") or "submit") == "submit"]
    must("the form has a submit button", len(got) >= 1)
    return got[-1]


def field(name):
    return one("[name=%s]" % name)


def type_in(name, value):
    el = field(name)
    el.clear()
    el.send_keys(value)
    return el


def pick(name, visible, must_have=True):
    """Selects in select name the option whose text holds visible (people are picked by name)."""
    s = Select(field(name))
    for o in s.options:
        if visible in o.text:
            s.select_by_visible_text(o.text)
            return o.get_attribute("value")
    if must_have:
        must("select %s offers '%s' (it offers: %s)" % (name, visible, [o.text for o in s.options]),
             False)
    return None


def pick_value(name, value):
    Select(field(name)).select_by_value(value)


def notice():
    return text("p.ok[role=status]")


def refusal():
    return text("p.error[role=alert]")


def home_value(ident):
    go("/")
    return text("dd#" + ident)


# ---- what every screen is held to, and its picture ----

TARGETS_JS = """
const out = [];
const els = document.querySelectorAll(
  'nav a, form a, form button, form input:not([type=hidden]), form select, form textarea');
for (const e of els) {
  let r = e.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;          // not shown
  if ((e.type === 'checkbox' || e.type === 'radio') && e.closest('label'))
    r = e.closest('label').getBoundingClientRect();      // the label is what one clicks
  if (r.height < 44)
    out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
             (e.name ? '[name=' + e.name + ']' : '') + ' "' +
             (e.innerText || e.value || '').trim().slice(0, 30) + '" ' + r.height.toFixed(1) + 'px');
}
return out;
"""


def shot(name):
    m = d.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = m.get("cssContentSize") or m["contentSize"]
    vw = d.execute_script("return window.innerWidth")
    vh = d.execute_script("return window.innerHeight")
    clip = {"x": 0, "y": 0, "width": max(vw, 1), "height": max(vh, int(size["height"])), "scale": 1}
    png = d.execute_cdp_cmd("Page.captureScreenshot",
                            {"format": "png", "captureBeyondViewport": True, "clip": clip})
    with open(os.path.join(SHOTS, name + ".png"), "wb") as f:
        f.write(base64.b64decode(png["data"]))


def look(name):
    """The checks of every screen, at 1366 px then 390 px, and its screenshots."""
    where = path()
    check("%s: one h1 (%s)" % (name, where), len(css("h1")) == 1)
    check("%s: no alert" % name, not alert_open())
    small = d.execute_script(TARGETS_JS)
    check("%s: click targets at least 44 px high at 1366 px: %s" % (name, small or "all"),
          small == [])
    if SHOTS:
        shot(name + "-1366")
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    sw, iw = d.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]")
    check("%s: nothing wider than a 390 px phone (scrollWidth %d, innerWidth %d)" %
          (name, sw, iw), sw <= iw)
    if SHOTS:
        shot(name + "-390")
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", WIDE)


# ---- the second laptop ----

def cli_b(*args):
    env = dict(ENV, CELLSYNC_HOME=os.path.join(DIR, "b"))
    p = subprocess.run([ENV["CS_CELLSYNC"]] + list(args), env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def hub_sql(q):
    p = subprocess.run([ENV["CS_FIXTURE"], "sql", os.path.join(DIR, "hub", "replica.db"), q],
                       capture_output=True, text=True, timeout=30)
    return p.stdout.strip()


# ---- the steps of the month ----

def step_setup():
    go("/?k=" + URL.split("k=")[1])
    look("setup")
    must("a device with no records shows the setup page (a form), not %s" % path(),
         len(css("form")) >= 1)
    # First `init` where the page asks for it (a form with no enrollment fields yet).
    code_box = css("input[name*=code]")
    if not code_box:
        org = css("input[name*=org]")
        if org:
            org[0].send_keys("CB-01")
        submit(submit_button(css("form")[0]))
        check("init: no refusal (%s)" % refusal(), refusal() is None)
        code_box = css("input[name*=code]")
        if not code_box:  # the code may be a choice of its own on the page
            by_code = [a for a in css("a, button") if "code" in (a.get_attribute("href") or "") +
                       (a.get_attribute("value") or "") + (a.get_attribute("id") or "")]
            if by_code:
                submit(by_code[0])
            code_box = css("input[name*=code]")
    must("setup asks for the enrollment code (%s: %s)" % (path(), one("main").text[:300]),
         len(code_box) >= 1)
    form = form_of(code_box[0])
    code_box[0].send_keys(ENV["CS_CODE"])
    hub = [e for e in css("input", form)
           if re.search("hub|addr|host", e.get_attribute("name") or "")]
    must("setup asks for the hub's address with the code", len(hub) >= 1)
    hub[0].clear()
    hub[0].send_keys(ENV["CS_HUB"])
    for e in css("input", form):
        if (e.get_attribute("name") or "") in ("name", "device_name", "device"):
            e.clear()
            e.send_keys("máy chi bộ")
    submit(submit_button(form))
    check("enroll by code: no refusal (%s)" % refusal(), refusal() is None)
    look("setup-done")
    go("/")
    must("after setup / is the home page (dd#unsent), not setup", text("dd#unsent") is not None)
    check("home before any sync: no candidates", text("dd#candidates") == "0")
    check("home before any sync: target '-' (%s)" % text("dd#target"), text("dd#target") == "-")
    state["setup"] = True


def add_member(name):
    go("/members")
    submit(one("a#add"))
    must("a#add goes to /member/new (%s)" % path(), path().startswith("/member/new"))
    type_in("full_name", name)
    pick_value("status", "official")
    submit(submit_button(form_of(field("full_name"))))
    must("member %s added: at /member?id= (%s), refusal: %s" % (name, path(), refusal()),
         path().startswith("/member?id="))
    check("member page says it was added", notice() is not None)
    check("member page shows the name", name in one("main").text)


def step_members():
    for i, m in enumerate(MEMBERS):
        add_member(m)
        if i == 0:
            look("member")
    go("/members")
    names = [a.text for a in css("table#list a.name")]
    check("members list shows both (%s)" % names, all(m in names for m in MEMBERS))
    look("members")
    go("/member/new")
    look("member-form")
    state["members"] = True


def tab_order():
    """Tab from the top of /candidate/new: the form's controls come in the order they stand."""
    go("/candidate/new")
    form = form_of(field("full_name"))
    want = d.execute_script("""
      const f = arguments[0], out = [];
      for (const e of f.querySelectorAll('input,select,textarea,button,a[href]')) {
        if (e.type === 'hidden' || e.disabled || e.tabIndex < 0) continue;
        const r = e.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;
        out.push(e);
      }
      return out;""", form)
    seen = []
    for _ in range(80):  # from the document's start
        ActionChains(d).send_keys(Keys.TAB).perform()
        a = d.switch_to.active_element
        if a in want and a not in seen:
            seen.append(a)
        if len(seen) == len(want):
            break
    names = lambda els: [e.get_attribute("name") or e.tag_name for e in els]
    check("Tab reaches every control of the candidate form in order (%d of %d: %s)" %
          (len(seen), len(want), names(seen)), names(seen) == names(want) and len(want) > 3)


def add_candidate(name, born, sex, keyboard=False):
    go("/candidates")
    submit(one("a#add"))
    must("a#add goes to /candidate/new (%s)" % path(), path().startswith("/candidate/new"))
    type_in("full_name", name)
    b = type_in("birth_date", born)
    pick_value("sex", sex)
    old = d.find_element(By.TAG_NAME, "html")
    if keyboard:
        b.send_keys(Keys.ENTER)  # Enter in a text box submits the form
        wait_new_page(old)
    else:
        submit(submit_button(form_of(b)))
    must("candidate %s added: at /candidate?id= (%s), refusal: %s" % (name, path(), refusal()),
         path().startswith("/candidate?id="))
    check("the candidate page says it was added", notice() is not None)
    fields = one("dl#fields").text
    check("dl#fields shows the name %s as text" % name, name in fields)
    check("dl#fields shows the birth date DD/MM/YYYY", born in fields)
    return re.search(r"id=([0-9a-f-]+)", path()).group(1)


def step_candidates():
    go("/candidate/new")
    look("candidate-form")
    # A refusal: a bad date comes back with what was typed and says what to fix.
    type_in("full_name", CAND)
    b = type_in("birth_date", "31/02/2000")
    submit(submit_button(form_of(b)))
    check("a bad date is refused on the form (%s)" % path(), refusal() is not None)
    check("the refused form keeps the name typed",
          css("[name=full_name]") and field("full_name").get_attribute("value") == CAND)
    look("candidate-form-refused")
    tab_order()
    state["cand"] = add_candidate(CAND, "15/03/2000", "male", keyboard=True)
    check("Enter in the form added the candidate", True)
    state["hostile"] = add_candidate(HOSTILE, "01/01/2001", "female")
    check("hostile name: no alert", not alert_open())
    check("hostile name in h1 or fields literally", HOSTILE in one("main").text)
    go("/candidates")
    names = [a.text for a in css("table#list a.name")]
    check("candidates list: both, the script as text (%s)" % names,
          CAND in names and HOSTILE in names)
    check("candidates list: no alert", not alert_open())
    look("candidates")
    search = css("input[name=q]")
    if check("candidates page has a search box", len(search) == 1):
        search[0].send_keys("nguyen van")
        old = d.find_element(By.TAG_NAME, "html")
        search[0].send_keys(Keys.ENTER)
        wait_new_page(old)
        names = [a.text for a in css("table#list a.name")]
        check("search 'nguyen van' finds only %s (%s)" % (CAND, names), names == [CAND])
    check("home counts 2 candidates", home_value("candidates") == "2")


def advance(stage, helper=None):
    go("/candidate?id=" + state["cand"])
    submit(one("a#advance"))
    must("a#advance goes to /candidate/advance (%s)" % path(),
         path().startswith("/candidate/advance?id="))
    what = text("p#what") or ""
    check("p#what names the candidate (%s)" % what, CAND in what)
    check("p#what gives the date", TODAY in what)
    on = field("on")
    check("'on' defaults to today (%s)" % on.get_attribute("value"),
          on.get_attribute("value") == TODAY)
    if helper:
        # Picked by typing part of the name without its tone marks, as a secretary would.
        boxes = css("input.pick")
        must("a name filter before the helper's list", len(boxes) == 1)
        boxes[0].send_keys("lo van")
        shown = d.execute_script(
            "return Array.from(document.querySelector('[name=helper]').options)"
            ".filter(function (o) { return o.value && !o.hidden; }).map(function (o) { return o.text; });")
        check("typing 'lo van' leaves only %s (%s)" % (helper, shown),
              len(shown) == 1 and helper in shown[0])
        chosen = Select(field("helper")).first_selected_option.text
        check("and chooses it (%s)" % chosen, helper in chosen)
        pick("helper", helper)
    if stage == "helper_assigned":
        look("advance")
    submit(submit_button(form_of(on)))
    must("advanced to %s: back at the candidate (%s), refusal: %s" % (stage, path(), refusal()),
         path().startswith("/candidate?id="))
    check("the candidate page says what was done", notice() is not None)
    li = css("ol#timeline > li[data-stage=%s]" % stage)
    must("the timeline has a step %s" % stage, len(li) == 1)
    check("step %s done on %s (%s: %s)" % (stage, TODAY, li[0].get_attribute("class"), li[0].text),
          "done" in li[0].get_attribute("class").split() and TODAY in li[0].text)


def step_advance():
    if "cand" not in state:
        must("not run: needs the candidate of step 'candidates'", False)
    go("/candidate?id=" + state["cand"])
    stages = [li.get_attribute("data-stage") for li in css("ol#timeline > li")]
    check("the timeline lists the stages from identified (%s)" % stages,
          stages[:4] == ["identified", "helper_assigned", "class_passed", "applied"])
    advance("helper_assigned", MEMBERS[0])
    check("the helper is shown by name", MEMBERS[0] in one("main").text)
    advance("class_passed")
    advance("applied")
    nxt = css("ol#timeline > li.next")
    check("the next step is biography_verified (%s)" % [l.get_attribute("data-stage") for l in nxt],
          len(nxt) == 1 and nxt[0].get_attribute("data-stage") == "biography_verified")
    todo = css("ol#timeline > li.todo")
    check("steps after it are todo (%d)" % len(todo), len(todo) >= 4)
    for a in ("a#undo", "a#edit", "a#withdraw", "a#delete"):
        check("the candidate page has " + a, len(css(a)) == 1)
    look("candidate")
    submit(one("a#undo"))
    check("undo asks first: /candidate/undo with a reason box (%s)" % path(),
          path().startswith("/candidate/undo") and len(css("[name=reason]")) == 1)
    look("undo")
    state["advanced"] = True


def step_meeting():
    if "members" not in state:
        must("not run: needs the members of step 'members'", False)
    go("/meetings")
    submit(one("a#add"))
    must("a#add goes to /meeting/new (%s)" % path(), path().startswith("/meeting/new"))
    type_in("held_on", TODAY)
    kinds = [o.get_attribute("value") for o in Select(field("kind")).options]
    must("kind offers the regular meeting (%s)" % kinds, "regular" in kinds)
    pick_value("kind", "regular")
    type_in("agenda", "Bình xét quần chúng ưu tú")
    type_in("minutes", "Đồng chí Páo báo cáo.\nChi bộ thống nhất.")
    boxes = css("fieldset#attendance input[type=checkbox][name=present]")
    check("attendance: one box per member (%d)" % len(boxes), len(boxes) == len(MEMBERS))
    for m in MEMBERS:
        lab = [lb for lb in css("fieldset#attendance label") if m in lb.text]
        if check("attendance box labelled %s" % m, len(lab) == 1):
            box = css("input[type=checkbox]", lab[0]) or \
                css("#" + (lab[0].get_attribute("for") or "none"))
            if box and not box[0].is_selected():
                lab[0].click()
    check("both boxes ticked", all(b.is_selected() for b in boxes))
    pick("assess_candidate", CAND)
    type_in("strengths", "Gương mẫu, nhiệt tình")
    type_in("weaknesses", "Còn rụt rè")
    type_in("next_steps", "Học lớp cảm tình Đảng")
    look("meeting-form")
    submit(submit_button(form_of(field("held_on"))))
    must("meeting recorded: at /meeting?id= (%s), refusal: %s" % (path(), refusal()),
         path().startswith("/meeting?id="))
    check("the meeting page says it was recorded", notice() is not None)
    att = text("#attendance") or ""
    check("#attendance lists both members (%s)" % att, all(m in att for m in MEMBERS))
    ass = text("#assessments") or ""
    check("#assessments has %s and the strengths (%s)" % (CAND, ass),
          CAND in ass and "Gương mẫu" in ass)
    check("the minutes are shown", "Chi bộ thống nhất." in one("main").text)
    check("a#assess is there to add another", len(css("a#assess")) == 1)
    look("meeting")
    go("/meetings")
    check("the meetings list has it", len(css("table#list a.name")) == 1)
    look("meetings")


def blank_result():
    """Empties #sync-result, so that the next text in it is the answer to what was clicked
    (the page may be reloaded by the form, or filled by its script)."""
    d.execute_script("const e = document.getElementById('sync-result');"
                     "if (e) e.textContent = '';")


def wait_result(secs):
    def result(_):
        try:
            t = d.find_element(By.CSS_SELECTOR, "#sync-result").text.strip()
            return t or False
        except WebDriverException:
            return False
    try:
        return WebDriverWait(d, secs).until(result)
    except WebDriverException:
        return None


def sync_now(name=None):
    go("/sync")
    button = one("button#sync-now")
    blank_result()
    button.click()
    got = wait_result(90)
    must("#sync-result says how the sync went (%s)" % got, bool(got))
    if name:
        look(name)
    return got


def step_sync():
    if "setup" not in state:
        must("not run: needs the enrollment of step 'setup'", False)
    go("/sync")
    check("the sync page has the progress bar", len(css("progress#progress")) == 1)
    check("the sync page says its state", len(css("#sync-state")) == 1)
    sync_now("sync")
    check("no refusal after the sync (%s)" % refusal(), refusal() is None)
    check("home: nothing unsent after the sync", home_value("unsent") == "0")
    check("home: last contact is a date and time (%s)" % text("dd#contact"),
          DATE_TIME.search(text("dd#contact") or "") is not None)
    check("home: the year's target came from the hub (%s)" % text("dd#target"),
          text("dd#target") == "5")
    check("home: none admitted yet", text("dd#admitted") == "0")
    check("home: last sync in one sentence (%s)" % text("#last-sync"), bool(text("#last-sync")))
    check("home: 2 candidates", text("dd#candidates") == "2")
    look("home")
    check("the hub holds both candidates",
          hub_sql("SELECT count(*) FROM candidate") == "2")
    state["synced"] = True


def step_conflict():
    if "synced" not in state or "cand" not in state:
        must("not run: needs the sync of step 'sync'", False)
    rc, o = cli_b("sync")
    must("b syncs (%s)" % o.strip(), rc == 0)
    rc, o = cli_b("candidate", "edit", CAND, "--phone", PHONE_B)
    must("b edits the phone (%s)" % o.strip(), rc == 0)
    rc, o = cli_b("sync")
    must("b sends it (%s)" % o.strip(), rc == 0)
    go("/candidate/edit?id=" + state["cand"])
    type_in("phone", PHONE_UI)
    submit(submit_button(form_of(field("phone"))))
    must("the phone edited here too: at the candidate (%s), refusal: %s" % (path(), refusal()),
         path().startswith("/candidate?id="))
    check("the candidate page says it changed", notice() is not None)
    sync_now()
    check("home: one open conflict (%s)" % home_value("conflicts"), text("dd#conflicts") == "1")
    go("/conflicts")
    secs = css("section.conflict")
    must("one section.conflict (%d)" % len(secs), len(secs) == 1)
    sides = css("div.side", secs[0])
    must("two div.side", len(sides) == 2)
    st = [s.text for s in sides]
    check("the sides show both values (%s)" % st,
          any(PHONE_B in t for t in st) and any(PHONE_UI in t for t in st))
    check("b's side names b's device (máy b)", any(PHONE_B in t and "máy b" in t for t in st))
    check("each side says when, DD/MM/YYYY HH:MM", all(DATE_TIME.search(t) for t in st))
    check("the conflict names the candidate", CAND in secs[0].text)
    look("conflicts")
    bi = 0 if PHONE_B in st[0] else 1
    btn = css("button[name=pick]", sides[bi])
    if not btn:
        picks = css("button[name=pick]", secs[0])
        must("a pick button per side (%d)" % len(picks), len(picks) == 2)
        btn = [picks[bi]]
    submit(btn[0])
    check("resolving says so (%s)" % notice(), notice() is not None and refusal() is None)
    go("/conflicts")
    check("no conflict left on the page", len(css("section.conflict")) == 0)
    check("home: no open conflicts", home_value("conflicts") == "0")
    go("/candidate?id=" + state["cand"])
    check("the candidate has b's phone now", PHONE_B in one("dl#fields").text)
    state["resolved"] = True


def step_stick():
    if "setup" not in state:
        must("not run: needs the enrollment of step 'setup'", False)
    drive_dir = os.path.join(DIR, "media", "USB-CB01")
    before = set(os.listdir(drive_dir))
    go("/sync")
    sel = Select(field("drive"))
    opts = [o.text for o in sel.options]
    must("select#drive offers the stick USB-CB01 (%s)" % opts, any("USB-CB01" in t for t in opts))
    pick("drive", "USB-CB01")
    button = one("button#stick-export")
    blank_result()
    button.click()
    got = wait_result(60)
    check("the export says how it went (%s)" % got, bool(got))
    check("no refusal (%s)" % refusal(), refusal() is None)
    made = []
    for root, _, files in os.walk(drive_dir):
        made += [os.path.join(root, f) for f in files if os.path.getsize(os.path.join(root, f)) > 0]
    check("a bundle file is on the stick (%s; before: %s)" % (made, before), len(made) >= 1)
    look("stick")


def step_after():
    """The resolution reaches b by the hub: both laptops agree."""
    if "resolved" not in state:
        must("not run: needs the resolution of step 'conflict'", False)
    sync_now()
    check("home: nothing unsent", home_value("unsent") == "0")
    rc, o = cli_b("sync")
    check("b syncs after (%s)" % o.strip(), rc == 0)
    rc, o = cli_b("candidate", "show", CAND)
    check("b has the phone picked in the browser", PHONE_B in o)
    rc, o = cli_b("conflicts", "list", "--json")
    check("b has no open conflict (%s)" % o.strip(), o.strip() in ("[]", ""))


def step_report():
    go("/report")
    main = one("main").text
    if "synced" in state:  # the target comes from the hub
        check("the report shows the target 5", re.search(r"\b5\b", main) is not None)
    if "cand" in state:
        check("the report counts the candidates in progress (2)", re.search(r"\b2\b", main) is not None)
    printable = d.execute_script("""
      for (const s of document.styleSheets)
        for (const r of s.cssRules) if (r.media && r.media.mediaText.includes('print')) return true;
      return false;""")
    check("the report has a print style (@media print)", printable)
    look("report")


STEPS = [
    ("setup", step_setup),
    ("members", step_members),
    ("candidates", step_candidates),
    ("advance", step_advance),
    ("meeting", step_meeting),
    ("sync", step_sync),
    ("conflict", step_conflict),
    ("stick", step_stick),
    ("after", step_after),
    ("report", step_report),
]


def main():
    global d
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
    try:
        d = start_browser()
    except WebDriverException as e:
        check("the browser starts: %s" % str(e).strip().splitlines()[0], False)
        return 1
    try:
        for n, (name, fn) in enumerate(STEPS, 1):
            current["n"], current["name"] = n, name
            print("== step %d: %s" % (n, name), flush=True)
            t0 = time.time()
            try:
                fn()
            except StepFailed:
                pass  # already said
            except Exception as e:  # a missing page or element: the step stops, the next go on
                msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                check("broke at %s: %s: %s" % (path(), type(e).__name__, msg), False)
                traceback.print_exc(file=sys.stderr)
            print("   (%.1f s)" % (time.time() - t0), flush=True)
    finally:
        d.quit()
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
