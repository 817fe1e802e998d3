#!/bin/sh
# SPDX-License-Identifier: MIT
# How fast `cellsync ui` makes its pages for a large cell (issue 15: every page
# in <= 50 ms, server time, median): a replica filled through the CLI's own
# import with 300 members and 3,000 candidates at every step of the procedure
# (and 24 meetings), then each page asked RUNS times (after 3 unmeasured) by
# python3's http.client with the launch's cookie. The server time is what the
# page's Server-Timing header says (client/ui/server.c: from the routing to the
# response queued); the loopback time is the whole request as the client sees
# it (connect, request, the page read). A page not made yet shows its 404.
#   sh bench/bench_ui.sh [BUILD_DIR] [RUNS]     (default: build, 30)
set -u
BUILD=${1:-build}
RUNS=${2:-30}
CELLSYNC=$BUILD/client/cellsync
[ -x "$CELLSYNC" ] || { echo "bench_ui: no '$CELLSYNC': build first (make build)" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "bench_ui: needs python3" >&2; exit 1; }
tmp=$(mktemp -d)
# `cellsync init` refuses a disk that is not encrypted (client/disk.c); these runs
# are on scratch data, so it checks a /sys in which $tmp is on LUKS.
sh "$(dirname "$0")/../tests/tools/fake_sysfs.sh" "$tmp/sys" crypt "$tmp" || exit 1
export CELLSYNC_SYSFS="$tmp/sys"
uipid=
trap '[ -n "$uipid" ] && kill "$uipid" 2>/dev/null; rm -rf "$tmp"' EXIT
CELLSYNC_HOME=$tmp/home CELLSYNC_TODAY=2026-03-02 LC_ALL=C.UTF-8
export CELLSYNC_HOME CELLSYNC_TODAY LC_ALL
unset LANGUAGE

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# People with the names of the mountain communes, each one distinct by name and date
# of birth; candidates spread over the steps from identified to ceremony, each past
# step dated and the helper named, as a cell's paper records are typed in.
python3 - "$tmp" <<'PY' || exit 1
import random, sys
r = random.Random(15)
fam = ["Nguyễn", "Lò", "Vàng", "Lường", "Hoàng", "Đinh", "Sùng", "Giàng", "Lê", "Phạm", "Quàng"]
mid = ["Văn", "Thị", "A", "Đức", "Minh", "Thu", "Ngọc"]
giv = ["Páo", "Sỹ", "Mai", "Hoa", "Dính", "Thắng", "Chiến", "Lan", "Tùng", "Nhung", "Khánh"]
def name(i):
    return "%s %s %s %d" % (r.choice(fam), r.choice(mid), r.choice(giv), i)
d = sys.argv[1]
members = []
with open(d + "/members.csv", "w") as f:
    f.write("name,birth-date,sex,status\n")
    for i in range(300):
        n = name(i)
        members.append(n)
        f.write("%s,%02d/%02d/%d,%s,official\n" % (n, 1 + i % 28, 1 + i % 12, 1950 + i % 50,
                                                   r.choice(["male", "female"])))
steps = ["identified-on", "helper-on", "class-on", "applied-on", "verified-on",
         "cell-resolution-on", "grassroots-resolution-on", "decision-on", "ceremony-on"]
with open(d + "/candidates.csv", "w") as f:
    f.write("name,birth-date,sex,source," + ",".join(steps) + ",helper,sponsor,sponsor2\n")
    for i in range(3000):
        reached = r.randrange(len(steps))
        dates = ["%02d/%02d/2025" % (1 + k * 3, 1 + k) if k <= reached else ""
                 for k in range(len(steps))]
        helper = members[i % 300] if reached >= 1 else ""
        sponsors = (members[(i + 1) % 300] + "," + members[(i + 2) % 300]) if reached >= 5 else ","
        f.write("%s,%02d/%02d/%d,%s,%s,%s,%s,%s\n" % (
            name(1000 + i), 1 + i % 28, 1 + i % 12, 1990 + i % 15, r.choice(["male", "female"]),
            r.choice(["youth_union", "farmer_business", "teacher", "militia"]), ",".join(dates),
            helper, sponsors))
PY

t0=$(now_ms)
"$CELLSYNC" init --org CB-01 >/dev/null || exit 1
"$CELLSYNC" import members "$tmp/members.csv" >/dev/null || exit 1
"$CELLSYNC" import candidates --force --reason "bench" "$tmp/candidates.csv" >/dev/null || exit 1
i=1
while [ $i -le 24 ]; do
    "$CELLSYNC" meeting add --date "$(printf '%02d/%02d/2025' $((1 + i % 28)) $((1 + i % 12)))" \
        --kind regular --agenda "Sinh hoạt chi bộ tháng $i" --minutes "Biên bản số $i" \
        >/dev/null || exit 1
    i=$((i + 1))
done
echo "bench_ui: filled a replica in $(($(now_ms) - t0)) ms: 300 members, 3,000 candidates, 24 meetings"

"$CELLSYNC" ui --no-browser >"$tmp/ui.out" 2>"$tmp/ui.err" </dev/null &
uipid=$!
i=0
while [ ! -s "$tmp/ui.out" ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/?k=[0-9a-f]\{64\}' "$tmp/ui.out")
[ -n "$url" ] || { echo "bench_ui: cellsync ui printed no address: $(cat "$tmp/ui.out" "$tmp/ui.err")" >&2; exit 1; }

python3 - "$url" "$RUNS" "$CELLSYNC_HOME/replica.db" <<'PY'
import http.client, re, sqlite3, statistics, sys, time, urllib.parse
url, runs, db = sys.argv[1], int(sys.argv[2]), sys.argv[3]
u = urllib.parse.urlsplit(url)
def get(path, cookie=None):
    t = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", u.port, timeout=60)
    c.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r, body, (time.perf_counter() - t) * 1000
r, _, _ = get("/?k=" + urllib.parse.parse_qs(u.query)["k"][0])
cookie = r.getheader("Set-Cookie").split(";")[0]
# A candidate well along the procedure, whose timeline is full.
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
cand = con.execute("SELECT lower(hex(id)) FROM candidate WHERE stage = 'ceremony' LIMIT 1").fetchone()[0]
member = con.execute("SELECT lower(hex(id)) FROM member LIMIT 1").fetchone()[0]
meeting = con.execute("SELECT lower(hex(id)) FROM meeting LIMIT 1").fetchone()[0]
con.close()
pages = [("home", "/"), ("candidates", "/candidates"), ("candidates search", "/candidates?q=nguyen+van"),
         ("candidate", "/candidate?id=" + cand), ("candidate advance", "/candidate/advance?id=" + cand),
         ("members", "/members"), ("member", "/member?id=" + member), ("meetings", "/meetings"),
         ("meeting", "/meeting?id=" + meeting), ("meeting form", "/meeting/new"),
         ("conflicts", "/conflicts"), ("report", "/report"), ("sync", "/sync")]
print("%-18s %6s %8s %10s %10s %10s  %s" % ("page", "status", "KiB", "server ms", "server p90",
                                            "loopback", "(median of %d; target <= 50 ms)" % runs))
missed = []
for name, path in pages:
    srv, cli = [], []
    for i in range(runs + 3):
        r, body, ms = get(path, cookie)
        m = re.match(r"app;dur=([0-9.]+)", r.getheader("Server-Timing") or "")
        if i >= 3 and m:
            srv.append(float(m.group(1)))
            cli.append(ms)
    if not srv:
        print("%-18s %6d   (no Server-Timing)" % (name, r.status))
        continue
    med = statistics.median(srv)
    p90 = sorted(srv)[int(len(srv) * 0.9) - 1]
    verdict = "" if r.status != 200 else "ok" if med <= 50 else "MISS"
    if r.status == 404:
        verdict = "not made yet"
    if verdict == "MISS":
        missed.append(name)
    print("%-18s %6d %8.1f %10.2f %10.2f %10.2f  %s" % (name, r.status, len(body) / 1024, med, p90,
                                                        statistics.median(cli), verdict))
print("pages over 50 ms: " + (", ".join(missed) if missed else "none"))
PY
