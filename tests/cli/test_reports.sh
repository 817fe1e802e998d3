#!/bin/sh
# SPDX-License-Identifier: MIT
# The reports on a generated district (gen_district, seed 7: 60 grassroots
# organisations, 250 cells, 5,000 members, 600 candidates): every report in
# every format through `cellsyncd report`, each report's numbers against
# counts made by separate SQL on the hub's replica (cs_fixture sql), the
# documented queries against `--sql`, usage errors, the holiday file, and the
# cell's own view through `cellsync report`.
# $1 cellsync, $2 cellsyncd, $3 cs_fixture, $4 gen_district.
set -u
CELLSYNC=$1 CELLSYNCD=$2 fixture=$3 GEN=$4
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
LC_ALL=C
export LC_ALL
DOCS=$(dirname "$0")/../../docs/REPORTS.md
CELLSYNC_TODAY=2025-06-30
CELLSYNC_HOME=$dir/home
export CELLSYNC_TODAY CELLSYNC_HOME
STATE=$dir/hub
DB=$STATE/replica.db

# same WHAT GOT WANT: two numbers (or texts) that must be equal.
same() {
    if [ "$2" = "$3" ] && [ -n "$2" ]; then
        ok
    else
        echo "FAIL: $1: the report says '$2', the direct count '$3'"
        fails=$((fails + 1))
    fi
}

# col FILE NAME [FILTERCOL VALUE]: the values of a CSV column, optionally of the
# rows whose FILTERCOL is VALUE. The generated names hold no comma or quote, so
# a plain split is exact; csv_plain checks that first. The file starts with a UTF-8 BOM.
col() {
    awk -F, -v name="$2" -v fc="${3:-}" -v fv="${4:-}" '
        NR == 1 { sub(/^\357\273\277/, "")    # the BOM
                  for (i = 1; i <= NF; i++) { h = $i; sub(/\r$/, "", h); ix[h] = i }; next }
        { sub(/\r$/, "") }
        fc == "" || $(ix[fc]) == fv { print $(ix[name]) }' "$1"
}
sumcol() { col "$@" | awk '{ s += $1 } END { print s + 0 }'; }
csv_plain() { ! grep -q '"' "$1"; }

if [ ! -x "$GEN" ]; then
    echo "FAIL: no generator at '$GEN'"
    exit 1
fi

# ---- the district ----
start=$(date +%s)
expect 0 stdout "311 units (60 grassroots, 250 cells), 5000 members, 600 candidates" -- \
    "$GEN" --state "$STATE" --seed 7
hash_before=$("$fixture" hash "$DB")

# ---- every report, every format ----
for k in targets pipeline due members sync; do
    for f in table json csv html; do
        expect 0 stderr "" -- "$CELLSYNCD" report "$k" --state "$STATE" --format "$f" \
            --out "$dir/$k.$f"
        check "$k.$f is written" test -s "$dir/$k.$f"
    done
    check "$k.csv has no quoted field (the simple split is exact)" csv_plain "$dir/$k.csv"
    check "$k.csv lines end in CRLF" sh -c "[ \$(grep -c \"\$(printf '\\r')\$\" '$dir/$k.csv') -eq \$(wc -l <'$dir/$k.csv') ]"
done
expect 0 stderr "" -- "$CELLSYNCD" report all --state "$STATE" --format html --out "$dir/all.html"
expect 0 stderr "" -- "$CELLSYNCD" report all --state "$STATE" --format json --out "$dir/all.json"
expect 0 stdout "^Targets and admissions" -- "$CELLSYNCD" report all --state "$STATE"
check "all: five reports in the table" test "$(grep -c '^unit: ' "$out")" -eq 5
check "reports do not change the replica" test "$("$fixture" hash "$DB")" = "$hash_before"

# ---- targets ----
f=$dir/targets.csv
units=$(hubsql "SELECT count(*) FROM org_unit WHERE cl % 2 = 1")
same "targets: a row per unit" "$(($(wc -l <"$f") - 1))" "$units"
decisions=$(hubsql "SELECT count(*) FROM candidate WHERE cl % 2 = 1 AND decision_on LIKE '2025-%'")
same "targets: per-cell admitted add up to the decisions of 2025" \
    "$(sumcol "$f" admitted level cell)" "$decisions"
same "targets: the district's admitted" "$(col "$f" admitted unit NT)" "$decisions"
same "targets: per-cell ceremonies add up to the ceremonies of 2025" \
    "$(sumcol "$f" ceremonies level cell)" \
    "$(hubsql "SELECT count(*) FROM candidate WHERE cl % 2 = 1 AND ceremony_on LIKE '2025-%'")"
same "targets: students admitted" "$(sumcol "$f" students_admitted level cell)" \
    "$(hubsql "SELECT count(*) FROM candidate WHERE cl % 2 = 1 AND decision_on LIKE '2025-%' AND source = 'student'")"
same "targets: non-state workers admitted" "$(sumcol "$f" non_state_admitted level grassroots)" \
    "$(hubsql "SELECT count(*) FROM candidate WHERE cl % 2 = 1 AND decision_on LIKE '2025-%' AND source = 'non_state_worker'")"
same "targets: the district's target" "$(col "$f" target unit NT)" \
    "$(hubsql "SELECT admissions FROM target WHERE cl % 2 = 1 AND org_unit = 'NT' AND year = 2025")"
same "targets: the cells' targets" "$(sumcol "$f" target level cell)" \
    "$(hubsql "SELECT sum(t.admissions) FROM target t JOIN org_unit o ON o.code = t.org_unit WHERE t.cl % 2 = 1 AND o.level = 'cell' AND t.year = 2025")"
# 30 June is day 181 of 365.
same "targets: the district's pace" "$(col "$f" expected unit NT)" \
    "$(hubsql "SELECT round(admissions * 181.0 / 365, 1) FROM target WHERE org_unit = 'NT' AND year = 2025")"
same "targets: the district's % achieved" "$(col "$f" achieved_pct unit NT)" \
    "$(hubsql "SELECT round(100.0 * $decisions / admissions, 1) FROM target WHERE org_unit = 'NT' AND year = 2025")"
check "targets.html: two charts (the targets, admissions by month)" \
    test "$(grep -o '<svg' "$dir/targets.html" | wc -l)" -eq 2
check "targets.html: a bar per organisation with a target, and the district" \
    test "$(grep -o '<rect class="bar \(ahead\|behind\)"' "$dir/targets.html" | wc -l)" -eq \
    "$(hubsql "SELECT count(*) FROM target t JOIN org_unit o ON o.code = t.org_unit WHERE t.year = 2025 AND t.admissions > 0 AND o.level IN ('district', 'grassroots')")"

# ---- pipeline ----
f=$dir/pipeline.csv
same "pipeline: a row per unit" "$(($(wc -l <"$f") - 1))" "$units"
same "pipeline: all candidates" "$(col "$f" candidates unit NT)" \
    "$(hubsql "SELECT count(*) FROM candidate WHERE cl % 2 = 1")"
for s in identified helper_assigned class_passed applied biography_verified cell_resolution \
    grassroots_resolution decision ceremony official withdrawn; do
    n=$(hubsql "SELECT count(*) FROM candidate WHERE cl % 2 = 1 AND stage = '$s'")
    same "pipeline: cells' $s" "$(sumcol "$f" "$s" level cell)" "$n"
    same "pipeline: the district's $s" "$(col "$f" "$s" unit NT)" "$n"
done
expect 0 stderr "" -- "$CELLSYNCD" report pipeline --section sources --format csv --state "$STATE" \
    --out "$dir/sources.csv"
for s in $(hubsql "SELECT DISTINCT source FROM candidate WHERE cl % 2 = 1"); do
    same "pipeline: source $s" "$(col "$dir/sources.csv" candidates source "$s")" \
        "$(hubsql "SELECT count(*) FROM candidate WHERE cl % 2 = 1 AND source = '$s'")"
done
expect 0 stderr "" -- "$CELLSYNCD" report pipeline --section days --format csv --state "$STATE" \
    --out "$dir/days.csv"
same "pipeline: days from decision to ceremony" "$(col "$dir/days.csv" average_days stage decision)" \
    "$(hubsql "SELECT round(avg(julianday(ceremony_on) - julianday(decision_on)), 1) FROM candidate WHERE cl % 2 = 1")"
same "pipeline: candidates with both class and application dates" \
    "$(col "$dir/days.csv" candidates stage class_passed)" \
    "$(hubsql "SELECT count(*) FROM candidate WHERE cl % 2 = 1 AND class_on IS NOT NULL AND applied_on IS NOT NULL")"
check "pipeline.html: a chart of 11 stages" \
    test "$(grep -o '<rect class="bar"' "$dir/pipeline.html" | wc -l)" -eq 11

# ---- due ----
f=$dir/due.csv
expect 0 stderr "" -- "$CELLSYNCD" report due --section units --format csv --state "$STATE" \
    --out "$dir/due_units.csv"
# The deadlines that run, by stage: certificate expiry before the cell's resolution (with a
# class date), the decision after a resolution, the ceremony after the decision, the end
# of probation and the conversion after the ceremony.
deadlines=$(hubsql "SELECT sum(CASE
    WHEN stage IN ('identified', 'helper_assigned', 'class_passed', 'applied', 'biography_verified') THEN class_on IS NOT NULL
    WHEN stage IN ('cell_resolution', 'grassroots_resolution') THEN coalesce(cell_resolution_on, grassroots_resolution_on) IS NOT NULL
    WHEN stage = 'decision' THEN decision_on IS NOT NULL
    WHEN stage = 'ceremony' THEN 2 * (ceremony_on IS NOT NULL) ELSE 0 END) FROM candidate WHERE cl % 2 = 1")
total=$(awk -F, 'NR > 1 && $1 == "NT" { print $5 + $6 + $7 }' "$dir/due_units.csv")
same "due: every deadline of the district is counted" "$total" "$deadlines"
same "due: the cells' overdue add up" "$(sumcol "$dir/due_units.csv" overdue level cell)" \
    "$(col "$dir/due_units.csv" overdue unit NT)"
same "due: the list holds the overdue and upcoming ones" "$(($(wc -l <"$f") - 1))" \
    "$(awk -F, 'NR > 1 && $1 == "NT" { print $5 + $6 }' "$dir/due_units.csv")"
same "due: overdue rows are overdue" "$(col "$f" status status overdue | wc -l | tr -d ' ')" \
    "$(awk -F, 'NR > 1 && $7 < 0' "$f" | wc -l | tr -d ' ')"
# Every listed deadline is days_left calendar days from today, and in its candidate's cell.
row=$(awk -F, 'NR == 2 { print $1 "|" $6 "|" $7 }' "$f")
cell=${row%%|*} rest=${row#*|}
same "due: days left of the first deadline" "${rest#*|}" \
    "$(hubsql "SELECT CAST(julianday('${rest%%|*}') - julianday('$CELLSYNC_TODAY') AS INTEGER)")"
check "due: the first deadline's cell is a cell" \
    test "$(hubsql "SELECT level FROM org_unit WHERE code = '$cell'")" = cell
# A ceremony is due 30 working days after the decision: six weeks, give or take a weekend
# and the fixed holidays.
awk -F, '$5 == "ceremony" { print $3 }' "$f" >"$dir/ceremony.ids"
while read -r sid; do
    due=$(awk -F, -v s="$sid" '$3 == s && $5 == "ceremony" { print $6 }' "$f")
    days=$(hubsql "SELECT CAST(julianday('$due') - julianday(decision_on) AS INTEGER) FROM candidate WHERE lower(hex(id)) LIKE '%$sid'")
    check "due: $sid's ceremony 40 to 48 days after the decision (got $days)" \
        test "$days" -ge 40 -a "$days" -le 48
done <"$dir/ceremony.ids"
# A holiday file from the configuration moves deadlines.
cat >"$dir/cellsyncd.conf" <<EOF
holidays = $dir/holidays
EOF
printf '# a day off in lieu\n2025-07-01\n' >"$dir/holidays"
expect 0 stderr "" -- "$CELLSYNCD" report due --config "$dir/cellsyncd.conf" --state "$STATE" \
    --format csv --out "$dir/due_hol.csv"
check "due: the configured holiday moves a deadline" sh -c "! cmp -s '$f' '$dir/due_hol.csv'"
printf 'not a date\n' >"$dir/holidays"
expect 1 stderr "holidays" -- "$CELLSYNCD" report due --config "$dir/cellsyncd.conf" \
    --state "$STATE"

# ---- members ----
f=$dir/members.csv
same "members: records" "$(col "$f" records unit NT)" \
    "$(hubsql "SELECT count(*) FROM member WHERE cl % 2 = 1")"
for s in probationary official transferred_out struck_off deceased; do
    same "members: cells' $s" "$(sumcol "$f" "$s" level cell)" \
        "$(hubsql "SELECT count(*) FROM member WHERE cl % 2 = 1 AND status = '$s'")"
done
current=$(hubsql "SELECT count(*) FROM member WHERE cl % 2 = 1 AND status IN ('probationary', 'official')")
same "members: current members" "$(col "$f" members unit NT)" "$current"
expect 0 stderr "" -- "$CELLSYNCD" report members --section age --format csv --state "$STATE" \
    --out "$dir/age.csv"
same "members: age bands add up" \
    "$(awk -F, 'NR > 1 && $1 == "NT" { print $6 + $7 + $8 + $9 + $10 }' "$dir/age.csv")" "$current"
same "members: over 60" "$(col "$dir/age.csv" over_60 unit NT)" \
    "$(hubsql "SELECT count(*) FROM member WHERE cl % 2 = 1 AND status IN ('probationary', 'official') AND date(birth_date, '+61 years') <= '$CELLSYNC_TODAY'")"
same "members: average age" "$(col "$dir/age.csv" average_age unit NT)" \
    "$(hubsql "SELECT round(avg((strftime('%Y', '$CELLSYNC_TODAY') - strftime('%Y', birth_date)) - (strftime('%m-%d', '$CELLSYNC_TODAY') < strftime('%m-%d', birth_date))), 1) FROM member WHERE cl % 2 = 1 AND status IN ('probationary', 'official')")"
expect 0 stderr "" -- "$CELLSYNCD" report members --section ratings --format csv --state "$STATE" \
    --out "$dir/ratings.csv"
same "members: rated in 2025" "$(col "$dir/ratings.csv" rated unit NT)" \
    "$(hubsql "SELECT count(*) FROM rating r JOIN member m ON m.id = r.member WHERE r.cl % 2 = 1 AND m.cl % 2 = 1 AND r.year = 2025")"
same "members: excellent in 2025" "$(col "$dir/ratings.csv" excellent unit NT)" \
    "$(hubsql "SELECT count(*) FROM rating WHERE cl % 2 = 1 AND year = 2025 AND grade = 'excellent'")"
same "members: the cap on excellent" "$(col "$dir/ratings.csv" excellent_cap unit NT)" \
    "$(hubsql "SELECT count(*) * 20 / 100 FROM rating WHERE cl % 2 = 1 AND year = 2025 AND grade IN ('excellent', 'good')")"

# ---- sync ----
f=$dir/sync.csv
same "sync: a row per device" "$(($(wc -l <"$f") - 1))" "$(hubsql "SELECT count(*) FROM hub_device")"
same "sync: refusals" "$(sumcol "$f" refusals)" "$(hubsql "SELECT count(*) FROM hub_refused")"
same "sync: open conflicts (one device per cell)" "$(sumcol "$f" conflicts)" \
    "$(hubsql "SELECT count(*) FROM cs_version WHERE state = 'conflict'")"
# pending: what the device's next sync would bring it, the versions after its cursor of
# the rows of its cell (the generator writes candidates, members, their ratings and the
# targets), not the hub's seq minus its cursor (issue 20).
for n in 2 3 4 5 6; do
    read -r u after pend <<ROW
$(awk -F, -v n=$n 'NR == n { print $3, $9, $10 }' "$f")
ROW
    same "sync: pending of $u after $after" "$pend" "$(hubsql "SELECT count(*) FROM cs_version v
        WHERE v.seq > $after AND ((v.tbl = 'candidate' AND v.row IN (SELECT id FROM candidate WHERE org_unit = '$u'))
          OR (v.tbl = 'member' AND v.row IN (SELECT id FROM member WHERE org_unit = '$u'))
          OR (v.tbl = 'rating' AND v.row IN (SELECT r.id FROM rating r JOIN member m ON m.id = r.member WHERE m.org_unit = '$u'))
          OR (v.tbl = 'target' AND v.row IN (SELECT id FROM target WHERE org_unit = '$u')))")"
done
# shellcheck disable=SC2016 # an awk program
check "sync: some device has something pending" awk -F, 'NR > 1 && $10 > 0 { f = 1 } END { exit !f }' "$f"
same "sync: devices never in contact" "$(awk -F, 'NR > 1 && $5 == ""' "$f" | wc -l | tr -d ' ')" \
    "$(hubsql "SELECT count(*) FROM hub_device WHERE last_contact IS NULL")"

# ---- JSON, HTML ----
for k in targets pipeline due members sync all; do
    if command -v python3 >/dev/null 2>&1; then
        check "$k.json parses" python3 -m json.tool "$dir/$k.json" /dev/null
    elif [ "$(wc -c <"$dir/$k.json")" -lt 100000 ]; then
        check "$k.json is valid" test "$(hubsql "SELECT json_valid('$(sed "s/'/''/g" "$dir/$k.json")')")" = 1
    fi
    check "$k.json is made of the report's sections" grep -q '"sections":{' "$dir/$k.json"
done
for k in targets pipeline due members sync; do
    h=$dir/$k.html
    charts=1
    [ "$k" = targets ] && charts=2
    check "$k.html: $charts svg" test "$(grep -o '<svg' "$h" | wc -l)" -eq "$charts"
    check "$k.html: no script" sh -c "! grep -qi '<script' '$h'"
    check "$k.html: nothing from the network" \
        test "$(grep -o 'http' "$h" | wc -l)" -eq "$(grep -o 'http://www.w3.org/2000/svg' "$h" | wc -l)"
    check "$k.html: a phone viewport" grep -q 'name="viewport"' "$h"
    check "$k.html: print rules" grep -q '@media print{@page{margin' "$h"
    check "$k.html: the Party letterhead" grep -q 'Communist Party of Vietnam' "$h"
done
check "all.html: an svg per report, and admissions by month" \
    test "$(grep -o '<svg' "$dir/all.html" | wc -l)" -eq 6
check "all.json: five reports" test "$(grep -o '"report":' "$dir/all.json" | wc -l)" -eq 5

# ---- the documented queries ----
expect 0 stdout "^-- targets.units" -- "$CELLSYNCD" report all --sql
if [ -f "$DOCS" ]; then
    sed -n '/^<!-- queries: begin -->$/,/^<!-- queries: end -->$/p' "$DOCS" |
        sed '1,2d;$d' | sed '$d' >"$dir/doc.sql"
    check "docs/REPORTS.md carries the queries as 'report all --sql' prints them" \
        cmp -s "$out" "$dir/doc.sql"
    [ -s "$dir/doc.sql" ] && ! cmp -s "$out" "$dir/doc.sql" && diff "$out" "$dir/doc.sql" | head -20
else
    bad "no docs/REPORTS.md at '$DOCS'"
fi

# ---- usage ----
expect 2 stderr "not a report" -- "$CELLSYNCD" report nope --state "$STATE"
expect 2 stderr "which report" -- "$CELLSYNCD" report --state "$STATE"
expect 2 stderr "format" -- "$CELLSYNCD" report targets --format xml --state "$STATE"
expect 2 stderr "one table" -- "$CELLSYNCD" report all --format csv --state "$STATE"
expect 2 stderr "has no section 'nope' (it has: stages, sources, days)" -- \
    "$CELLSYNCD" report pipeline --section nope --state "$STATE"
expect 2 stderr "year" -- "$CELLSYNCD" report targets --year 99 --state "$STATE"
expect 1 stderr "no unit 'NOPE'" -- "$CELLSYNCD" report targets --org NOPE --state "$STATE"
expect 0 stdout "^usage: cellsyncd report" -- "$CELLSYNCD" report --help
expect 0 stdout "^NT01-01 " -- "$CELLSYNCD" report targets --org NT01 --state "$STATE"
check "--org NT01: the organisation and its cells only" \
    test "$(grep -c '^NT' "$out")" -eq "$(hubsql "SELECT count(*) FROM org_unit WHERE code = 'NT01' OR parent = 'NT01'")"
expect 0 stdout '"year":2024' -- "$CELLSYNCD" report targets --year 2024 --state "$STATE" --format json

# ---- the cell's own view ----
expect 0 stdout "" -- "$CELLSYNC" init --org NT01-01
"$fixture" candidate "Cell Candidate" decision decision_on=2025-06-20 org_unit=NT01-01 \
    source=student >/dev/null || fails=$((fails + 1))
"$fixture" candidate "Other Candidate" identified org_unit=NT01-01 >/dev/null || fails=$((fails + 1))
expect 0 stdout '"unit":"NT01-01"' -- "$CELLSYNC" report targets --format json
expect 0 stdout "^NT01-01" -- "$CELLSYNC" report pipeline --format csv
check "cellsync report pipeline: the cell's two candidates" \
    test "$(col "$out" candidates unit NT01-01)" = 2
expect 0 stdout "Cell Candidate" -- "$CELLSYNC" report due --format csv
due1=$(col "$out" due name "Cell Candidate")
printf '2025-07-01\n' >"$CELLSYNC_HOME/holidays"
expect 0 stdout "Cell Candidate" -- "$CELLSYNC" report due --format csv
due2=$(col "$out" due name "Cell Candidate")
check "cellsync report due: the holiday file moves the ceremony ($due1, $due2)" \
    test -n "$due1" -a "$due2" != "$due1"
expect 2 stderr "made at the hub" -- "$CELLSYNC" report sync
expect 0 stdout "<svg" -- "$CELLSYNC" report all --format html
check "cellsync report all: five charts (no sync)" test "$(grep -o '<svg' "$out" | wc -l)" -eq 5
expect 0 stderr "" -- "$CELLSYNC" report members --format html --out "$dir/cell.html"
check "cellsync report --out writes the file" grep -q '</html>' "$dir/cell.html"

echo "reports: $passes passed, $fails failed, $(($(date +%s) - start)) s"
[ "$fails" -eq 0 ]
