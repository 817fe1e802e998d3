# SPDX-License-Identifier: MIT
"""An xlsx report read back with zipfile and xml.etree, cell by cell.

usage: xlsx_check.py BOOK.xlsx REPORT.json LABELS_DIR NAMES
       xlsx_check.py --cells BOOK.xlsx SHEET REF...

The second form prints each cell REF (A5) of sheet number SHEET (from 1), one a
line: "REF s TEXT" for a string, "REF n NUMBER FORMAT" for a number, "REF -"
for no cell, and "SHEET NAME" first.

REPORT.json is the same report(s) as --format json (one object, or the list of
`report all`), LABELS_DIR holds REPORT.SECTION.csv, each section as
--format csv --labels writes it, and NAMES the sheets' expected names, one a line.
Each sheet must hold, in order of the JSON's reports and sections: the report's
title (A1), the section's title (A2, of which the sheet's name is the start), the
line of units and date (A3), the headings of the labelled CSV (row 4, frozen
below, autofiltered), then a row per JSON row: no cell for null, a number for a
number (no t, or t="n") equal to it, a date for 'YYYY-MM-DD' (a number whose
style's format is dd/mm/yyyy, and that day) or a time for 'YYYY-MM-DD HH:MM'
(dd/mm/yyyy hh:mm), a string (shared or inline) equal to the label the CSV shows
for any other text; and a width for every column, the name column as wide as
its longest name. Prints the number of checks; exit 1 on any failure.
"""
import csv
import datetime
import json
import os
import re
import sys
import zipfile
import xml.etree.ElementTree as ET

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}
checks = 0
fails = 0


def check(ok, what):
    global checks, fails
    checks += 1
    if not ok:
        fails += 1
        if fails <= 30:
            print("FAIL: " + what)


def col_index(ref):
    letters = re.match(r"[A-Z]+", ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def text_of(si):
    return "".join(t.text or "" for t in si.iter("{%s}t" % NS["m"]))


class Book:
    def __init__(self, path):
        z = self.z = zipfile.ZipFile(path)
        self.wb = ET.fromstring(z.read("xl/workbook.xml"))
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        self.target = {r.get("Id"): r.get("Target") for r in rels.findall("p:Relationship", NS)}
        self.shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            sst = ET.fromstring(z.read("xl/sharedStrings.xml"))
            self.shared = [text_of(si) for si in sst.findall("m:si", NS)]
        styles = ET.fromstring(z.read("xl/styles.xml"))
        fmts = {int(f.get("numFmtId")): f.get("formatCode")
                for f in styles.iter("{%s}numFmt" % NS["m"])}
        self.xf_fmt = [fmts.get(int(xf.get("numFmtId", "0")))
                       for xf in styles.find("m:cellXfs", NS).findall("m:xf", NS)]
        self.sheets = self.wb.find("m:sheets", NS).findall("m:sheet", NS)

    def sheet(self, sheet):
        """The worksheet's XML and its cells by (row, column), from 0."""
        ws = ET.fromstring(self.z.read("xl/" + self.target[sheet.get("{%s}id" % NS["r"])]))
        cells = {}
        for row in ws.find("m:sheetData", NS).findall("m:row", NS):
            r = int(row.get("r")) - 1
            for c in row.findall("m:c", NS):
                cells[(r, col_index(c.get("r")))] = c
        return ws, cells

    def value(self, cells, r, c):
        """None, ("s", text) or ("n", number, number format)."""
        cell = cells.get((r, c))
        if cell is None:
            return None
        t = cell.get("t")
        if t == "s":
            return ("s", self.shared[int(cell.find("m:v", NS).text)])
        if t == "inlineStr":
            return ("s", text_of(cell.find("m:is", NS)))
        if t in (None, "n"):
            style = self.xf_fmt[int(cell.get("s", "0"))]
            return ("n", float(cell.find("m:v", NS).text), style)
        return (t, None)


def show_cells(path, number, refs):
    b = Book(path)
    sheet = b.sheets[int(number) - 1]
    print("SHEET " + sheet.get("name"))
    _, cells = b.sheet(sheet)
    for ref in refs:
        v = b.value(cells, int(re.search(r"\d+", ref).group(0)) - 1, col_index(ref))
        if v is None:
            print(ref + " -")
        elif v[0] == "s":
            print("%s s %s" % (ref, v[1]))
        else:
            print("%s n %s %s" % (ref, ("%.10g" % v[1]), v[2]))
    return 0


def main():
    if sys.argv[1] == "--cells":
        return show_cells(sys.argv[2], sys.argv[3], sys.argv[4:])
    book, report_json, labels_dir, names_file = sys.argv[1:5]
    b = Book(book)
    reports = json.load(open(report_json, encoding="utf-8"))
    if isinstance(reports, dict):
        reports = [reports]
    sections = [(r, name, rows) for r in reports for name, rows in r["sections"].items()]
    sheets = b.sheets
    names = [line.rstrip("\n") for line in open(names_file, encoding="utf-8") if line.strip()]
    check([s.get("name") for s in sheets] == names,
          "sheet names %s, not %s" % ([s.get("name") for s in sheets], names))
    check(len(sheets) == len(sections), "%d sheets for %d sections" % (len(sheets), len(sections)))

    for sheet, (rep, sec, rows) in zip(sheets, sections):
        where = "%s.%s" % (rep["report"], sec)
        ws, cells = b.sheet(sheet)

        def value(r, c):
            return b.value(cells, r, c)

        a1, a2, a3 = value(0, 0), value(1, 0), value(2, 0)
        check(a1 == ("s", rep["title"]), "%s: A1 %s, not the title %r" % (where, a1, rep["title"]))
        check(a2 is not None and a2[0] == "s" and
              re.sub(r"[\[\]:*?/\\]", "-", a2[1]).startswith(sheet.get("name")),
              "%s: A2 %s does not start as the sheet's name %r" % (where, a2, sheet.get("name")))
        y, m, d = rep["today"].split("-")
        check(a3 is not None and a3[0] == "s" and rep["units"] in a3[1] and
              "%s/%s/%s" % (d, m, y) in a3[1] and str(rep["year"]) in a3[1],
              "%s: A3 %s lacks the units, the year or today as DD/MM/YYYY" % (where, a3))

        with open(os.path.join(labels_dir, where + ".csv"), encoding="utf-8-sig", newline="") as f:
            lab = list(csv.reader(f))
        heads = lab[0]
        keys = [k for k in (rows[0].keys() if rows else []) if k != "depth"]
        check([value(3, c) for c in range(len(heads))] == [("s", h) for h in heads],
              "%s: headings %s, not %s" % (where, [value(3, c) for c in range(len(heads))], heads))
        check(value(3, len(heads)) is None, "%s: a heading after the last" % where)
        check(len(lab) - 1 == len(rows), "%s: %d CSV rows, %d JSON rows" % (where, len(lab) - 1, len(rows)))
        check(not any(r >= 4 + len(rows) for r, _ in cells), "%s: rows after the last" % where)
        if rows:
            check(len(keys) == len(heads), "%s: %d JSON columns, %d headings" % (where, len(keys), len(heads)))
        longest = {}
        for i, jrow in enumerate(rows):
            for c, k in enumerate(keys):
                v, label = jrow[k], lab[i + 1][c]
                if k == "name" and "depth" in jrow:
                    label = label.lstrip(" ")
                got = value(4 + i, c)
                what = "%s row %d %s" % (where, i + 1, k)
                if v is None or label == "":
                    # No value, or a code without a label: no cell.
                    check(got is None, "%s: %s for %r" % (what, got, v))
                elif isinstance(v, bool) or not isinstance(v, (int, float, str)):
                    check(False, "%s: JSON value %r" % (what, v))
                elif isinstance(v, (int, float)):
                    check(got is not None and got[0] == "n" and got[1] == float(v) and
                          got[2] in (None, "General"),
                          "%s: %s, not the number %r" % (what, got, v))
                elif re.fullmatch(r"\d{4}-\d\d-\d\d( \d\d:\d\d)?", v):
                    fmt = "dd/mm/yyyy" if len(v) == 10 else "dd/mm/yyyy hh:mm"
                    want = datetime.datetime.strptime(v, "%Y-%m-%d %H:%M" if len(v) > 10 else "%Y-%m-%d")
                    serial = (want - datetime.datetime(1899, 12, 30)).total_seconds() / 86400
                    check(got is not None and got[0] == "n" and abs(got[1] - serial) < 1e-6 and
                          got[2] == fmt, "%s: %s, not the date %s as %s" % (what, got, v, fmt))
                else:
                    check(got == ("s", label), "%s: %s, not the text %r" % (what, got, label))
                    longest[c] = max(longest.get(c, 0), len(label) + (jrow.get("depth") or 0 if k == "name" else 0))
        widths = {}
        cols = ws.find("m:cols", NS)
        check(cols is not None, "%s: no <cols> (column widths)" % where)
        for col in (cols.findall("m:col", NS) if cols is not None else []):
            for c in range(int(col.get("min")) - 1, int(col.get("max"))):
                widths[c] = float(col.get("width"))
        for c in range(len(heads)):
            w = widths.get(c, 0)
            check(w >= 6 and w <= 61 and w >= min(longest.get(c, 0), 58),
                  "%s: column %d width %s for text of %d characters" % (where, c + 1, w, longest.get(c, 0)))
        pane = ws.find("m:sheetViews/m:sheetView/m:pane", NS)
        check(pane is not None and pane.get("ySplit") == "4" and pane.get("state") == "frozen",
              "%s: the headings are not frozen" % where)
        af = ws.find("m:autoFilter", NS)
        check(af is not None and af.get("ref", "").startswith("A4:"),
              "%s: no autofilter on the headings" % where)
    print("%s: %d checks, %d failed" % (os.path.basename(book), checks, fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
