#!/bin/sh
# SPDX-License-Identifier: MIT
# `cellsync ui` asked as no browser asks it, over raw HTTP (python3's socket and
# http.client) with the cookie and form token of this launch (ui_web.py): a form
# over 2 MiB (sent whole, announced and not sent, chunked), a very long address,
# thousands of headers, a GET with a body, malformed escapes (%zz, %, a lone %0),
# %00 and a raw NUL byte, text not UTF-8, a field given twice, a form sent as
# multipart/form-data, as text/plain or with no Content-Type. Each gets its status
# and a page that says what is wrong; the replica is the same bytes afterwards
# (cs_fixture hash, the count of versions) and the server still answers. Then the
# same characters typed in a real form ('%', '+', "%00" as text) are stored exactly
# as typed and shown so. $1 is cellsync, $2 cs_fixture. Skipped without python3.
set -u
cellsync=$1 fixture=$2
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
CELLSYNC_HOME=$dir/home
export CELLSYNC_HOME

expect 0 stdout "created the records" -- "$cellsync" init --org C17
expect 0 stdout "added candidate" -- "$cellsync" candidate add --name "Lò Văn Páo" \
    --birth-date 01/05/2003 --sex male
expect 0 stdout "added member" -- "$cellsync" member add --name "Trần Văn Giúp" \
    --birth-date 01/01/1970 --sex male --status official
start_ui ""
before=$(hash home)
versions=$(sql home "SELECT count(*) || '/' || coalesce(max(seq), 0) FROM cs_version")

TESTS=$(dirname "$0") python3 - "$ui_url" >"$dir/py.out" 2>&1 <<'PY'
import http.client, os, re, socket, sys, urllib.parse
sys.path.insert(0, os.environ["TESTS"])
from ui_web import Response, Session, check

s = Session(sys.argv[1])
FORM = "application/x-www-form-urlencoded"

def parse(data):
    """A raw HTTP answer as a Response (the body decoded; chunked bodies are not used here)."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0]) if lines else None
    hdrs = dict(l.split(": ", 1) for l in lines[1:] if ": " in l)
    return Response(int(m.group(1)) if m else 0, body.decode("utf-8", "replace"), hdrs)

def raw(data, send_all=True):
    """Sends data as it is on a new connection; the whole answer until the server closes."""
    c = socket.create_connection(("127.0.0.1", s.port), timeout=20)
    try:
        c.sendall(data)
    except OSError:
        pass  # the server answered and closed before taking it all: the answer is still read
    out = b""
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            out += d
    except OSError:
        pass
    c.close()
    return parse(out)

def request(method, path, body=b"", ctype=FORM, cookie=True, extra=""):
    h = "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n" % (method, path, s.port)
    if cookie:
        h += "Cookie: %s\r\nOrigin: %s\r\n" % (s.cookie, s.origin)
    if ctype is not None:
        h += "Content-Type: %s\r\n" % ctype
    h += extra
    if "Content-Length" not in extra and "Transfer-Encoding" not in extra:
        h += "Content-Length: %d\r\n" % len(body)
    return raw(h.encode() + b"\r\n" + body)

def alert(r):
    m = re.search(r'<p class="error" role="alert">(.*?)</p>', r.body, re.S)
    return Response(0, m.group(1), {}).text() if m else ""

def serving(what):
    r = s.get("/candidates")
    check(what + ": the server still answers", r.status == 200 and "Lò Văn Páo" in r.body)

def refused(what, r, status, *words):
    got = alert(r)
    check("%s: %d (got %d)" % (what, status, r.status), r.status == status)
    check("%s: one h1, the form was not saved" % what,
          r.body.count("<h1>") == 1 and "The form was not saved" in r.body)
    check("%s: the alert says %s (got %r)" % (what, words, got), all(w in got for w in words))
    check("%s: and that nothing was saved" % what, "Nothing was saved" in r.text())
    serving(what)

ctok = s.token("/candidate/new")
mtok = s.token("/meeting/new")

# Typing alone never meets the limit: every box of the largest forms has a maxlength, and all
# of them filled with Vietnamese (9 bytes a letter once encoded) stay under 2 MiB.
for page in ("/meeting/new", "/candidate/new", "/member/new"):
    body = s.get(page).body
    boxes = re.findall(r'<(?:textarea|input)\b[^>]*>', body)
    typed = [b for b in boxes if 'type="hidden"' not in b and 'type="checkbox"' not in b
             and 'type="submit"' not in b]
    bare = [b for b in typed if "maxlength=" not in b]
    check("%s: every box has a maxlength (%s)" % (page, bare[:2]), typed and not bare)
    most = sum(int(m) for m in re.findall(r'maxlength="(\d+)"', body)) * 9
    check("%s: all boxes full is %d bytes, under 2 MiB" % (page, most), most < 2 * 1024 * 1024)
def cand(extra, tok=None):
    return ("csrf=%s&full_name=Hostile&birth_date=01%%2F01%%2F2000&sex=male&%s"
            % (tok or ctok, extra)).encode()

# Over 2 MiB (more than the boxes' maxlength lets anyone type): the minutes of a meeting,
# sent whole; the page names the limit in words.
minutes = "Chi bộ họp, đồng chí bí thư chủ trì. " * 60000
big = urllib.parse.urlencode([("csrf", mtok), ("held_on", "01/03/2026"), ("kind", "regular"),
                              ("agenda", "Kết nạp"), ("minutes", minutes)]).encode()
check("the big form is over 2 MiB (%d bytes)" % len(big), len(big) > 2 * 1024 * 1024)
refused("a 3 MB form", request("POST", "/meeting/new", big), 413,
        "too large", "2048 KiB", "minutes", "split")
# Announced over 2 MiB, not sent: answered at once, the body never read.
r = request("POST", "/meeting/new", b"", extra="Content-Length: 100000000\r\n")
refused("Content-Length 100 MB, no body sent", r, 413, "too large")
# Chunked, no Content-Length: counted as it comes.
chunks = b"".join(b"%x\r\n%s\r\n" % (len(big[i:i + 60000]), big[i:i + 60000])
                  for i in range(0, len(big), 60000)) + b"0\r\n\r\n"
r = request("POST", "/meeting/new", chunks, extra="Transfer-Encoding: chunked\r\n")
refused("a 3 MB chunked form", r, 413, "too large")
# Without the cookie, a big form tells nothing more than 403.
r = request("POST", "/meeting/new", b"", cookie=False, extra="Content-Length: 100000000\r\n")
check("a big form without the cookie: 403 (got %d)" % r.status, r.status == 403)

# Not a form: libmicrohttpd's own answers, the connection closed.
r = request("GET", "/candidates?q=" + "a" * 100000)
check("a 100 KB address: 414 (got %d)" % r.status, r.status == 414)
check("a 100 KB address: closed", (r.headers.get("Connection") or "").lower() == "close")
serving("a 100 KB address")
r = request("GET", "/", extra="".join("X-Many-%d: v\r\n" % i for i in range(3000)))
check("3000 headers: 431 (got %d)" % r.status, r.status == 431)
serving("3000 headers")

# A GET with a form in its body: the page is shown, the body is not read.
r = request("GET", "/candidate/new", cand(""))
check("a GET with a body: the form page (got %d)" % r.status,
      r.status == 200 and 'name="full_name"' in r.body and "Hostile" not in r.body)
serving("a GET with a body")

# Malformed escapes: a browser writes a typed '%' as %25, so these are not typed text.
for what, bad in (("%zz", "note=A%zz"), ("a lone %", "note=100%"), ("a lone %0", "note=%0"),
                  ("%zz in a name", "no%zzte=A"), ("a pair without =", "note")):
    refused(what, request("POST", "/candidate/new", cand(bad)), 400, "damaged",
            "no%zzte" if "name" in what else "note")
r = request("POST", "/candidate/new", cand("note=ab\0cd"))
refused("a raw NUL byte", r, 400, "damaged", "note")
# %00 would be read as the text before it: refused, naming the field by its label.
r = request("POST", "/candidate/new",
            ("csrf=%s&full_name=Ab%%00cd&birth_date=01%%2F01%%2F2000&sex=male" % ctok).encode())
refused("%00 in the name", r, 422, "full name", "NUL", "Type that field again")
r = request("POST", "/meeting/new",
            ("csrf=%s&held_on=01%%2F03%%2F2026&kind=regular&minutes=H%%E1%%BB%%8Dp%%00x" % mtok).encode())
refused("%00 in the minutes", r, 422, "minutes", "NUL")
# Text not UTF-8: refused before the replica sees it, not stored as garbage.
for what, v in (("latin-1 bytes", "L%F2+V%E3n"), ("a lone continuation byte", "a%80b"),
                ("an overlong /", "%C0%AF"), ("a surrogate", "%ED%A0%80"), ("a cut character", "Nguy%E1%BB")):
    r = request("POST", "/candidate/new",
                ("csrf=%s&full_name=%s&birth_date=01%%2F01%%2F2000&sex=male" % (ctok, v)).encode())
    refused(what, r, 422, "full name", "not UTF-8")
# A field twice: which one a page would take is not what the person meant.
r = request("POST", "/candidate/new",
            ("csrf=%s&full_name=One&full_name=Two&birth_date=01%%2F01%%2F2000&sex=male" % ctok).encode())
refused("full_name twice", r, 400, "full name", "twice")
r = request("POST", "/candidate/new", cand("csrf=" + ctok))
refused("the token twice", r, 400, "csrf", "twice")

# Not x-www-form-urlencoded: refused by its type, whatever its body holds.
mp = ("--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n%s\r\n"
      "--b\r\nContent-Disposition: form-data; name=\"full_name\"\r\n\r\nMulti\r\n--b--\r\n" % ctok).encode()
refused("multipart/form-data", request("POST", "/candidate/new", mp, "multipart/form-data; boundary=b"),
        415, "did not arrive")
refused("text/plain", request("POST", "/candidate/new", cand(""), "text/plain"), 415, "did not arrive")
refused("text/plain spelled as the form's type plus more",
        request("POST", "/candidate/new", cand(""), FORM + "x"), 415, "did not arrive")
refused("no Content-Type", request("POST", "/candidate/new", cand(""), None), 415, "did not arrive")

# Hostile text in a refusal page is escaped like everywhere else.
r = request("POST", "/candidate/new", cand("%3Cscript%3Ealert(1)%3C%2Fscript%3E=%FF"))
check("a hostile field name in the refusal: escaped",
      r.status == 422 and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.body and "<script>alert" not in r.body)
PY
ui_checks "$dir/py.out"
equal "the replica is the same bytes after the refused requests" "$before" "$(hash home)"
equal "no version written" "$versions" "$(sql home "SELECT count(*) || '/' || coalesce(max(seq), 0) FROM cs_version")"
equal "no candidate added" 1 "$(sql home "SELECT count(*) FROM candidate")"
equal "no meeting added" 0 "$(sql home "SELECT count(*) FROM meeting")"

# What a browser sends for those characters typed as text is stored as typed, and shown so.
TESTS=$(dirname "$0") python3 - "$ui_url" >"$dir/py2.out" 2>&1 <<'PY'
import os, re, sys
sys.path.insert(0, os.environ["TESTS"])
from ui_web import Session, check

s = Session(sys.argv[1])
TYPED = "100% + %zz %00 Nguyễn"
r = s.post("/candidate/new", {"full_name": TYPED, "birth_date": "01/01/2000", "sex": "male"})
check("typed '%%', '+' and \"%%00\": added (got %d)" % r.status, r.status == 303)
page = s.get(r.location or "/")
fields = page.by_id("fields") or ""
check("the page shows what was typed", "100% + %zz %00 Nguyễn" in fields)
PY
ui_checks "$dir/py2.out"
equal "stored exactly as typed" "100% + %zz %00 Nguyễn" \
    "$(sql home "SELECT full_name FROM candidate WHERE full_name LIKE '100%'")"
summary
