#!/bin/sh
# SPDX-License-Identifier: MIT
# `cellsync ui` on a real data directory: the real server started with
# --no-browser, asked over HTTP by python3's http.client as a browser and
# as an intruder would. $1 is cellsync. Without python3 the test is skipped.
set -u
cellsync=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
LC_ALL=C
CELLSYNC_HOME=$dir/home
export LC_ALL CELLSYNC_HOME

expect 0 stdout "created the records" -- "$cellsync" init --org C17
expect 0 stdout "added candidate" -- "$cellsync" candidate add --name "Nguyễn Văn Sỹ" \
    --birth-date 15/03/2000 --sex male
expect 0 stdout "added candidate" -- "$cellsync" candidate add \
    --name "<script>alert(1)</script>" --birth-date 01/01/2001 --sex female
expect 0 stdout "added candidate" -- "$cellsync" candidate add --name "Lò Thị Hoa" \
    --birth-date 01/05/2004 --sex female
expect 2 stderr "not a port number" -- "$cellsync" ui --no-browser --port 70000

"$cellsync" ui --no-browser >"$dir/ui.out" 2>"$dir/ui.err" </dev/null &
uipid=$!
bg_pids=$uipid
wait_file "$dir/ui.out"
url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/?k=[0-9a-f]\{64\}' "$dir/ui.out")
[ -n "$url" ] || { bad "no address printed: $(cat "$dir/ui.out" "$dir/ui.err")"; summary; exit 1; }
ok

# Each line the python program prints is "ok WHAT" or "FAIL WHAT".
python3 - "$url" >"$dir/py.out" 2>&1 <<'PY'
import http.client, re, socket, sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
port = url.port
secret = urllib.parse.parse_qs(url.query)["k"][0]

def req(method, path, headers=None, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read().decode("utf-8")
    c.close()
    return r, data

def check(what, cond):
    print(("ok " if cond else "FAIL ") + what)

r, body = req("GET", "/")
check("no cookie: 403 (got %d)" % r.status, r.status == 403)
check("the 403 page says to start cellsync ui again", "cellsync ui" in body)
r, _ = req("GET", "/candidates")
check("no cookie on /candidates: 403", r.status == 403)
r, _ = req("GET", "/style.css")
check("no cookie on /style.css: 403", r.status == 403)
r, _ = req("GET", "/?k=" + "0" * 64)
check("wrong k: 403 (got %d)" % r.status, r.status == 403)
r, _ = req("GET", "/?k=" + secret[:-1])
check("short k: 403", r.status == 403)
r, _ = req("GET", "/", {"Cookie": "cs_ui=" + "1" * 64})
check("wrong cookie: 403", r.status == 403)

r, _ = req("GET", "/?k=" + secret)
check("right k: 303 (got %d)" % r.status, r.status == 303)
check("303 goes to /", r.getheader("Location") == "/")
sc = r.getheader("Set-Cookie") or ""
check("cookie set: " + sc, sc.startswith("cs_ui=" + secret + ";"))
check("cookie HttpOnly", "HttpOnly" in sc)
check("cookie SameSite=Strict", "SameSite=Strict" in sc)
cookie = {"Cookie": "cs_ui=" + secret}

r, body = req("GET", "/", cookie)
check("home: 200 (got %d)" % r.status, r.status == 200)
check("home: 3 candidates in progress", '<dd id="candidates">3</dd>' in body)
check("home: unsent changes counted", re.search(r'<dd id="unsent">[1-9][0-9]*</dd>', body) is not None)
check("home: no conflicts", '<dd id="conflicts">0</dd>' in body)
check("home: never in contact", '<dd id="contact">never</dd>' in body)
check("home: overdue", '<dd id="overdue">' in body and '<dd id="week">' in body)
check("home: lang and viewport", '<html lang="en">' in body and 'name="viewport" content="width=device-width"' in body)
check("home: no inline script", re.search(r"<script>", body) is None)
csp = r.getheader("Content-Security-Policy") or ""
check("CSP default-src 'self': " + csp, "default-src 'self'" in csp)
check("X-Frame-Options DENY", r.getheader("X-Frame-Options") == "DENY")
check("Referrer-Policy same-origin (no-referrer makes a browser's form POSTs Origin: null)", r.getheader("Referrer-Policy") == "same-origin")
check("Cache-Control no-store", r.getheader("Cache-Control") == "no-store")
check("Server-Timing app;dur=MS", re.match(r"app;dur=[0-9]+\.[0-9]{3}$", r.getheader("Server-Timing") or "") is not None)

r, body = req("GET", "/candidates", cookie)
check("candidates: 200", r.status == 200)
check("candidates: the script name escaped", "&lt;script&gt;alert(1)&lt;/script&gt;" in body)
check("candidates: never raw", "<script>alert" not in body)
check("candidates: dates DD/MM/YYYY", "15/03/2000" in body)
check("candidates: sorted by given name (Hoa before Sy)", 0 <= body.find("Lò Thị Hoa") < body.find("Nguyễn Văn Sỹ"))
r, body = req("GET", "/candidates?q=nguyen+van", cookie)
check("search nguyen van finds Nguyễn Văn Sỹ", "Nguyễn Văn Sỹ" in body)
check("search nguyen van leaves Lò Thị Hoa out", "Lò Thị Hoa" not in body)
check("search keeps the words typed", 'value="nguyen van"' in body)
r, body = req("GET", "/candidates?q=%22%3E%3Cscript%3E", cookie)
check("hostile search text escaped", r.status == 200 and '"><script>' not in body and "&quot;&gt;&lt;script&gt;" in body)
r, body = req("GET", "/no-such-page", cookie)
check("a screen not made yet: 404 with a page", r.status == 404 and "<nav>" in body)
r, body = req("GET", "/style.css", cookie)
check("style.css served", r.status == 200 and "min-height:44px" in body)

form = {"Content-Type": "application/x-www-form-urlencoded"}
r, _ = req("POST", "/", dict(cookie, **form), "x=1")
check("POST without the form token: 403 (got %d)" % r.status, r.status == 403)
r, _ = req("POST", "/", dict(cookie, **form), "csrf=" + "a" * 64)
check("POST with a wrong form token: 403", r.status == 403)
r, _ = req("POST", "/", dict(cookie, **form), "csrf=" + secret)
check("POST with the secret as token: 403", r.status == 403)
r, _ = req("POST", "/", dict(cookie, Origin="http://evil.example", **form), "x=1")
check("cross-site POST: 403", r.status == 403)
r, _ = req("GET", "/", {"Cookie": "cs_ui=" + secret, "Host": "evil.example:%d" % port})
check("another Host (DNS rebinding): 403", r.status == 403)

# Bound to 127.0.0.1 only: /proc/net/tcp lists the listening socket as 0100007F:PORT.
want = "%04X" % port
listen = []
for line in open("/proc/net/tcp").read().splitlines()[1:]:
    f = line.split()
    if f[3] == "0A" and f[1].endswith(":" + want):
        listen.append(f[1].split(":")[0])
check("listening on 127.0.0.1 only: %s" % listen, listen == ["0100007F"])
v6 = [l for l in open("/proc/net/tcp6").read().splitlines()[1:] if l.split()[1].endswith(":" + want) and l.split()[3] == "0A"]
check("not listening on IPv6", v6 == [])
# And another address of this machine is refused, where it has one.
others = [a for a in socket.gethostbyname_ex(socket.gethostname())[2] if not a.startswith("127.")]
for a in others[:1]:
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((a, port))
        check("not reachable on " + a, False)
    except OSError:
        check("not reachable on " + a, True)
    s.close()
PY
while read -r verdict what; do
    if [ "$verdict" = ok ]; then ok; else bad "$what"; fi
done <"$dir/py.out"
grep -q "^ok " "$dir/py.out" || bad "the python checks did not run: $(cat "$dir/py.out")"
equal "python checks passed" 0 "$(grep -c -v '^ok ' "$dir/py.out")"

kill -TERM "$uipid"
wait "$uipid"
equal "exit status after SIGTERM" 0 "$?"

# In Vietnamese: the page says so (lang="vi") and its words are the catalog's. A new
# launch has a new secret: the old one is refused.
LANGUAGE=vi LC_ALL=C.UTF-8 "$cellsync" ui --no-browser >"$dir/vi.out" 2>"$dir/vi.err" </dev/null &
uipid=$!
bg_pids=$uipid
wait_file "$dir/vi.out"
url2=$(grep -o 'http://127\.0\.0\.1:[0-9]*/?k=[0-9a-f]\{64\}' "$dir/vi.out")
[ -n "$url2" ] && [ "$url2" != "$url" ] && ok || bad "no new address in Vietnamese: $(cat "$dir/vi.out")"
python3 - "$url2" "$url" >"$dir/py.out" 2>&1 <<'PY'
import http.client, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
secret = urllib.parse.parse_qs(u.query)["k"][0]
old = urllib.parse.parse_qs(urllib.parse.urlsplit(sys.argv[2]).query)["k"][0]
def get(path, cookie):
    c = http.client.HTTPConnection("127.0.0.1", u.port, timeout=10)
    c.request("GET", path, headers={"Cookie": "cs_ui=" + cookie})
    r = c.getresponse()
    return r.status, r.read().decode("utf-8")
st, body = get("/", old)
print(("ok " if st == 403 else "FAIL ") + "the last launch's secret: 403")
st, body = get("/", secret)
print(("ok " if st == 200 and '<html lang="vi">' in body else "FAIL ") + "lang vi")
print(("ok " if "Trang chủ" in body and "thay đổi chưa gửi lên máy chủ" in body else "FAIL ") + "Vietnamese words")
PY
while read -r verdict what; do
    if [ "$verdict" = ok ]; then ok; else bad "$what"; fi
done <"$dir/py.out"
equal "Vietnamese checks passed" 0 "$(grep -c -v '^ok ' "$dir/py.out")"
kill -INT "$uipid"
wait "$uipid"
equal "exit status after SIGINT" 0 "$?"
bg_pids=''
summary
