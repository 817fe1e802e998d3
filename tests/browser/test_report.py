# SPDX-License-Identifier: MIT
"""The HTML report on three media, in headless Chromium (selenium 4, CDP).

Run by tests/cli/test_report_browser.sh (ctest browser_report), which makes a
generated district, renders `report all --format html` in Vietnamese (with
--number and --place) and in English (without: dotted blanks), and the JSON
of the targets and pipeline reports in Vietnamese, and hands over, in the
environment: CS_DIR (the test's directory), CS_BROWSER, CS_CHROMEDRIVER,
CS_NUMBER, CS_PLACE, CS_ROOT (the root unit's name), CS_TODAY (DD/MM/YYYY)
and, optionally, CELLSYNC_REPORT_SHOTS (a directory for the PNGs of the docs).

For each language: the Party letterhead, the date line, the signature block;
at 1280x900 and 390x844 nothing wider than the window (the page, every
table's box, every table cell, every chart and each of its texts); the three
charts drawn from the JSON's numbers (the targets bars with their tone, the
target ticks and the year's pace line where the mark says; the funnel's
steps with their labels in full; a column pair per month begun); in print
media at the A4 printable width, portrait and landscape, every column on the
page; and Page.printToPDF on A4 portrait and landscape: pages, the letterhead
text in the PDF (pdftotext, where poppler-utils is installed). One line per
check, "ok WHAT" or "FAIL WHAT", which the shell counts.
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ENV = os.environ
DIR = ENV["CS_DIR"]
SHOTS = ENV.get("CELLSYNC_REPORT_SHOTS", "")
NUMBER, PLACE, ROOT, TODAY = ENV["CS_NUMBER"], ENV["CS_PLACE"], ENV["CS_ROOT"], ENV["CS_TODAY"]
SCREEN = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
# A4 less the page's margins of the report's @page rule (12 mm top and bottom, 10 mm
# left and right), in CSS pixels (96 a inch).
MM = 96 / 25.4
A4_PORTRAIT = round((210 - 20) * MM)
A4_LANDSCAPE = round((297 - 20) * MM)
fails = []


def check(what, cond):
    what = re.sub(r"\s*\n\s*", " | ", what)
    print(("ok " if cond else "FAIL ") + what, flush=True)
    if not cond:
        fails.append(what)
    return cond


def start_browser():
    o = webdriver.ChromeOptions()
    o.binary_location = ENV.get("CS_BROWSER", "/usr/bin/chromium")
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--no-first-run", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--hide-scrollbars",
              "--user-data-dir=" + tempfile.mkdtemp(prefix="profile.", dir=DIR)):
        o.add_argument(a)
    svc = Service(ENV.get("CS_CHROMEDRIVER", "/usr/bin/chromedriver"),
                  log_path=os.path.join(DIR, "chromedriver.log"))
    drv = webdriver.Chrome(service=svc, options=o)
    drv.set_page_load_timeout(60)
    return drv


d = start_browser()


def js(script, *args):
    return d.execute_script(script, *args)


def cdp(cmd, args=None):
    return d.execute_cdp_cmd(cmd, args or {})


# What sticks out: the page, each table's box, each cell, each chart and its texts.
OVERFLOW_JS = """
const W = arguments[0], out = [];
const de = document.documentElement;
if (de.scrollWidth > W) out.push('page scrollWidth ' + de.scrollWidth + ' > ' + W);
for (const b of document.querySelectorAll('.tbl, figure, table'))
  if (b.scrollWidth > b.clientWidth + 1)
    out.push(b.tagName + '.' + b.className + ' scrollWidth ' + b.scrollWidth + ' > ' + b.clientWidth);
let cells = 0;
for (const c of document.querySelectorAll('td, th')) {
  const r = c.getBoundingClientRect();
  cells++;
  if (r.right > W + 0.5 && out.length < 12)
    out.push(c.tagName + ' "' + c.innerText.slice(0, 20) + '" right ' + r.right.toFixed(1));
}
for (const s of document.querySelectorAll('figure svg')) {
  const r = s.getBoundingClientRect(), vb = s.viewBox.baseVal;
  if (r.right > W + 0.5) out.push('svg right ' + r.right.toFixed(1));
  for (const t of s.querySelectorAll('text')) {
    const b = t.getBBox();
    if (b.x < -0.5 || b.x + b.width > vb.width + 0.5)
      out.push('chart text "' + t.textContent.slice(0, 30) + '" ' + b.x.toFixed(1) + '+' +
               b.width.toFixed(1) + ' outside 0..' + vb.width);
  }
}
return [cells, out];
"""


def layout(name, width):
    cells, out = js(OVERFLOW_JS, width)
    check("%s: nothing wider than %d px (%d cells): %s" % (name, width, cells,
                                                          "; ".join(out) or "all inside"),
          cells > 0 and out == [])


def shot(path, width, height):
    m = cdp("Page.getLayoutMetrics")
    size = m.get("cssContentSize") or m["contentSize"]
    h = min(height, int(size["height"]))
    png = cdp("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                         "clip": {"x": 0, "y": 0, "width": width, "height": h,
                                                  "scale": 1}})
    with open(path, "wb") as f:
        f.write(base64.b64decode(png["data"]))


def text(sel):
    return js("const e = document.querySelector(arguments[0]);"
              " return e ? e.innerText.trim() : null;", sel)


def page(lang):
    """The checks of one rendering of `report all`."""
    vi = lang == "vi"
    d.get("file://" + os.path.join(DIR, "report-%s.html" % lang))
    cdp("Emulation.setEmulatedMedia", {"media": "screen"})
    cdp("Emulation.setDeviceMetricsOverride", SCREEN)
    check("%s: no script in the page" % lang, js("return document.scripts.length") == 0)

    # ---- the Party document ----
    party = text(".doc .party")
    want = "ĐẢNG CỘNG SẢN VIỆT NAM" if vi else "COMMUNIST PARTY OF VIETNAM"
    check("%s: the Party's name on the right: %r" % (lang, party), party == want)
    check("%s: the Party's name underlined" % lang,
          "underline" in js("return getComputedStyle(document.querySelector('.doc .party'))"
                            ".textDecorationLine"))
    org = text(".doc .org")
    check("%s: the committee, uppercase, on the left: %r" % (lang, org), org == ROOT.upper())
    no = text(".doc .no")
    if vi:
        check("%s: the number line: %r" % (lang, no), no == "Số " + NUMBER)
    else:
        check("%s: the number line, dots to fill in: %r" % (lang, no),
              re.fullmatch(r"No\. …+-BC/…+", no or "") is not None)
    place = text(".doc .place")
    dd, mm, yyyy = TODAY.split("/")
    if vi:
        check("%s: the place and date line: %r" % (lang, place),
              place == "%s, ngày %s tháng %s năm %s" % (PLACE, dd, mm, yyyy))
    else:
        check("%s: the place and date line, the place dotted: %r" % (lang, place),
              place == "…………, %s" % TODAY)
    check("%s: the date line in italics" % lang,
          js("return getComputedStyle(document.querySelector('.doc .place')).fontStyle")
          == "italic")
    h1 = text("h1")
    check("%s: the title: %r" % (lang, h1), h1 is not None and h1.startswith(
        "BÁO CÁO" if vi else "REPORT"))
    meta = text(".meta")
    check("%s: 'as of' DD/MM/YYYY: %r" % (lang, meta), meta is not None and TODAY in meta)
    body = js("return document.body.innerText")
    iso = re.findall(r"\b\d{4}-\d\d-\d\d\b", body)
    check("%s: no date shown as YYYY-MM-DD (%s)" % (lang, iso[:3]), iso == [])
    signer = text(".sign .by")
    check("%s: the signature block: %r" % (lang, signer),
          signer is not None and [w for w in signer.split("\n") if w][:2] ==
          (["T/M ĐẢNG ỦY", "BÍ THƯ"] if vi else ["FOR THE PARTY COMMITTEE", "SECRETARY"]))
    room = js("return document.querySelector('.sign .room').getBoundingClientRect().height")
    check("%s: room to sign (%.0f px)" % (lang, room), room >= 60)
    to = text(".sign .to")
    check("%s: the recipients: %r" % (lang, (to or "")[:40]),
          to is not None and to.startswith("Nơi nhận:" if vi else "Recipients:")
          and len([w for w in to.split("\n") if w]) >= 4)

    # ---- the charts, against the JSON's numbers ----
    if vi:
        charts(lang)

    # ---- screen and phone ----
    layout("%s 1280x900" % lang, 1280)
    if SHOTS and vi:
        shot(os.path.join(SHOTS, "screen-1280.png"), 1280, 2000)
    cdp("Emulation.setDeviceMetricsOverride", PHONE)
    sw, iw = js("return [document.documentElement.scrollWidth, window.innerWidth]")
    check("%s 390x844: scrollWidth %d <= innerWidth %d" % (lang, sw, iw), sw <= iw)
    layout("%s 390x844" % lang, 390)
    cards = js("return getComputedStyle(document.querySelector('table.rows tr')).display")
    check("%s 390x844: a table row is a card (display %s)" % (lang, cards), cards == "grid")
    if SHOTS and vi:
        shot(os.path.join(SHOTS, "phone-390.png"), 390, 2400)

    # ---- print: the layout at the A4 printable width, then the PDF ----
    cdp("Emulation.setEmulatedMedia", {"media": "print"})
    for orient, width in (("portrait", A4_PORTRAIT), ("landscape", A4_LANDSCAPE)):
        cdp("Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
        layout("%s print A4 %s, every column on the page" % (lang, orient), width)
    cdp("Emulation.clearDeviceMetricsOverride")
    cdp("Emulation.setEmulatedMedia", {"media": ""})
    for orient in ("portrait", "landscape"):
        pdf(lang, orient)


def charts(lang):
    tj = json.load(open(os.path.join(DIR, "targets-vi.json"), encoding="utf-8"))
    pj = json.load(open(os.path.join(DIR, "pipeline-vi.json"), encoding="utf-8"))
    bars = tj["chart"]["bars"]
    with_target = [b for b in bars if b["target"] is not None]
    got = js("""
        const f = document.querySelector('figure.chart.targets');
        if (!f) return null;
        const x = e => e.x1.baseVal.value;
        return {bars: [...f.querySelectorAll('rect.bar')].map(r => r.getAttribute('class')),
                targets: [...f.querySelectorAll('line.target')].map(x),
                pace: [...f.querySelectorAll('line.pace')].map(x),
                none: f.querySelectorAll('rect.none').length,
                keys: f.querySelectorAll('.keys li').length};""")
    if not check("%s: the targets chart is drawn" % lang, got is not None):
        return
    want = ["bar " + b["tone"] for b in with_target]
    check("%s: targets: a bar per unit with a target, coloured by its tone (%d: %s)" %
          (lang, len(want), ", ".join(sorted(set(want)))), got["bars"] == want and len(want) > 0)
    check("%s: targets: a dashed box per unit without one (%d)" % (lang, got["none"]),
          got["none"] == len(bars) - len(with_target))
    check("%s: targets: the target marked on each bar (%d)" % (lang, len(got["targets"])),
          len(got["targets"]) == len(with_target))
    mark = next((b["mark"] for b in with_target if b["mark"] is not None), None)
    ok = len(got["pace"]) == 1 and mark is not None and got["targets"] and \
        abs(got["pace"][0] / got["targets"][0] - mark / 100) < 0.01
    check("%s: targets: the year's pace line at %s%% of the target (x %s against %s)" %
          (lang, mark, got["pace"][:1], got["targets"][:1]), ok)
    check("%s: targets: a legend of its five keys" % lang, got["keys"] == 5)

    steps = pj["chart"]["bars"]
    fun = js("""
        const f = document.querySelector('figure.chart.funnel');
        if (!f) return null;
        return {now: [...f.querySelectorAll('rect.bar')].map(r => r.width.baseVal.value),
                reach: [...f.querySelectorAll('rect.reach')].map(r => r.width.baseVal.value),
                centre: [...f.querySelectorAll('rect.reach')].map(
                    r => r.x.baseVal.value + r.width.baseVal.value / 2),
                labels: [...f.querySelectorAll('text:not(.n)')].map(t => t.textContent)};""")
    if not check("%s: the funnel is drawn" % lang, fun is not None):
        return
    check("%s: funnel: a bar per step (%d)" % (lang, len(fun["now"])),
          len(fun["now"]) == len(steps) == 11)
    reached = [b["reached"] for b in steps if b["reached"] is not None]
    check("%s: funnel: a band per step reached, narrowing down the steps (%s)" %
          (lang, [round(w) for w in fun["reach"]]),
          len(fun["reach"]) == len(reached) == 10 and
          all(a >= b - 0.01 for a, b in zip(fun["reach"], fun["reach"][1:])) and
          fun["reach"][0] > fun["reach"][-1])
    check("%s: funnel: centred" % lang, max(fun["centre"]) - min(fun["centre"]) < 0.2)
    check("%s: funnel: the steps' names in full (%s)" % (lang, fun["labels"][0]),
          fun["labels"] == [b["label"] for b in steps] and
          max(len(b["label"]) for b in steps) > 28)
    months = [m for m in tj["sections"]["months"] if m["admitted"] is not None]
    mon = js("""
        const f = document.querySelector('figure.chart.months');
        if (!f) return null;
        return [...f.querySelectorAll('rect.bar')].map(
            r => [r.getAttribute('class'), r.height.baseVal.value]);""")
    if not check("%s: the chart of admissions by month is drawn" % lang, mon is not None):
        return
    check("%s: months: decisions and ceremonies for each month begun (%d months)" %
          (lang, len(months)), len(mon) == 2 * len(months) and len(months) == int(TODAY[3:5]))
    top = max(max(m["admitted"], m["ceremonies"]) for m in months)
    best = max(months, key=lambda m: m["admitted"])
    i = months.index(best)
    check("%s: months: the heights follow the counts (month %d: %d of %d)" %
          (lang, best["month"], best["admitted"], top),
          top > 0 and abs(mon[2 * i][1] / max(h for _, h in mon) - best["admitted"] / top) < 0.01)


def pdf(lang, orient):
    out = cdp("Page.printToPDF", {"landscape": orient == "landscape", "paperWidth": 8.27,
                                  "paperHeight": 11.69, "printBackground": True,
                                  "preferCSSPageSize": False})
    data = base64.b64decode(out["data"])
    path = os.path.join(DIR, "report-%s-%s.pdf" % (lang, orient))
    with open(path, "wb") as f:
        f.write(data)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    check("%s: PDF A4 %s: %d pages" % (lang, orient, pages), data[:5] == b"%PDF-" and pages > 1)
    if not shutil.which("pdftotext"):
        print("note: pdftotext is not installed (poppler-utils): the PDF's text is not read")
        return
    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    w, h = (float(size.group(1)), float(size.group(2))) if size else (0, 0)
    want = (595, 842) if orient == "portrait" else (842, 595)
    check("%s: PDF A4 %s: the page is %.0f x %.0f pt" % (lang, orient, w, h),
          abs(w - want[0]) < 2 and abs(h - want[1]) < 2)
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", path, "-"], capture_output=True,
                           text=True).stdout
    # The first report starts under the letterhead: no page of a letterhead alone.
    words = ["ĐẢNG CỘNG SẢN VIỆT NAM", ROOT.upper(), "BÁO CÁO", "Chỉ tiêu và kết quả kết nạp"] \
        if lang == "vi" else \
        ["COMMUNIST PARTY OF VIETNAM", ROOT.upper(), "REPORT", "Targets and admissions"]
    check("%s: PDF A4 %s: the letterhead and the first report on page 1 (%s)" % (lang, orient, ", ".join(words)),
          all(w in first for w in words))
    if SHOTS and lang == "vi" and shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile",
                        path, os.path.join(SHOTS, "print-a4-%s-1" % orient)], check=True)


try:
    for lang in ("vi", "en"):
        print("== %s" % lang, flush=True)
        page(lang)
except Exception as e:  # a broken step is a failure, with where it broke
    import traceback
    traceback.print_exc()
    check("the checks ran to the end (%s)" % e, False)
finally:
    d.quit()
sys.exit(1 if fails else 0)
