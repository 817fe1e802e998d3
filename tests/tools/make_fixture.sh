#!/bin/sh
# SPDX-License-Identifier: MIT
# Makes tests/fixtures/v1: a small but complete world written by the binaries of one
# commit, kept in the tests so that every later store can be checked to open it and
# migrate it in place (issue 18; tests/cli/test_fixture.sh, ctest cli_fixture).
#
#   sh tests/tools/make_fixture.sh BUILD_DIR [OUT_DIR]
#
# BUILD_DIR holds that commit's client/cellsync, daemon/cellsyncd and tests/cs_fixture;
# OUT_DIR defaults to tests/fixtures/v1 (replaced). To make it again as it is kept, run
# this script of the commit that added it, with that commit's build (tests/fixtures/
# README.md; OUT_DIR/MADE_BY names the commit of its store and programs). The ids, keys and stamps differ from run to run (they are random or
# come from the clock); the dates on the records do not (CELLSYNC_TODAY), and the test
# compares what the binaries print, not the bytes of the files.
#
# On loopback: a commune hub (XA-ML above cells CB-01 and CB-02), laptop a (cell CB-01),
# laptop b (cell CB-02) and laptop x (the commune's committee). Written through the
# commands wherever the client has one, through cs_fixture (the replica API, as a
# command would write) for what it has none of (ratings, transfers) and for what only
# an old or broken client writes (a record with no unit, a record moved to another
# unit): candidates at several stages, one with an exception (a forced step) and one
# with a step undone, one kept on paper; members with ratings and a transfer; meetings
# with attendance, assessments and minutes; targets and holidays from the hub; deleted
# and undeleted rows; a conflict left open (a and x edit one phone between syncs); a
# change the hub refused and still refuses (a member with no unit); a refused change
# corrected and taken; Vietnamese text with diacritics throughout. Every laptop syncs
# last, so that the hub and the laptops hold history.
#
# Kept: hub/ (the hub's state directory: replica.db, keys, audit key, config), a/, b/,
# x/ (each laptop's home: replica.db, device key, hub key, meta files), each replica
# checkpointed into one file; expected/ with what these binaries print about it
# (expected/commands lists them). The replicas are VACUUMed with 1 KiB pages (the
# rows and their rowids checked unchanged, as the search index refers to them).
set -u
build=${1:?usage: make_fixture.sh BUILD_DIR [OUT_DIR]}
top=$(cd "$(dirname "$0")/../.." && pwd)
outdir=${2:-$top/tests/fixtures/v1}
cellsync=$(cd "$build/client" && pwd)/cellsync
cellsyncd=$(cd "$build/daemon" && pwd)/cellsyncd
fixture=$(cd "$build/tests" && pwd)/cs_fixture
# shellcheck source=../cli/lib.sh
. "$top/tests/cli/lib.sh"
# The laptops' commands print English here, whatever the shell's locale.
export LC_ALL=C.UTF-8 LANG=C.UTF-8
export CELLSYNC_TODAY=2026-03-02 TZ=UTC
command -v sqlite3 >/dev/null || {
    echo "make_fixture: needs the sqlite3 shell (checkpoint of the copies)" >&2
    exit 1
}

# with DEVICE ARGS: cs_fixture ARGS on DEVICE's replica, its output on stdout.
with() {
    _dev=$1
    shift
    CELLSYNC_HOME="$dir/$_dev" "$fixture" "$@"
}
newid() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }
id_of() { # DEVICE TABLE NAME: the hex id of the live row of TABLE named NAME
    sql "$1" "SELECT lower(hex(id)) FROM $2 WHERE full_name = '$3'"
}

cat >"$dir/tree.csv" <<'CSV'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CB-02,XA-ML,cell,village,"Chi bộ bản Nà Hẩu"
CSV
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
printf 'handshakes_per_address = 1000\n' >"$dir/hub/fixture.conf"
hubdo 0 "" -- target --org CB-01 --year 2026 --admissions 3 --students 1
hubdo 0 "" -- target --org CB-02 --year 2026 --admissions 2 --non-state 1
hubdo 0 "" -- target --org XA-ML --year 2026 --admissions 6
hubdo 0 "" -- holiday add 2026-04-27 "Nghỉ bù Giỗ Tổ Hùng Vương"
hubdo 0 "" -- holiday add 2026-05-09 "Làm bù ngày 1/5" --working
start_hub "$dir/hub" --config "$dir/hub/fixture.conf"
for d in a b x; do
    case $d in
    a) set -- --org CB-01 --role cell --name "máy chi bộ Khe Ván" ;;
    b) set -- --org CB-02 --role cell --name "máy chi bộ Nà Hẩu" ;;
    x) set -- --org XA-ML --role committee --name "máy đảng ủy xã" ;;
    esac
    hubdo 0 "" -- enroll "$@" --addr "$addr" --out "$dir/$d.enroll"
    on "$d" 0 "created" -- init
    on "$d" 0 "enrolled" -- enroll "$dir/$d.enroll"
    on "$d" 0 "synced" -- sync
done

# ---- cell CB-01, laptop a ----
on a 0 "added member" -- member add --name "Đinh Văn Thắng" --status official --sex male \
    --birth-date 02/09/1968 --hometown "Bản Khe Ván, xã Mường Lý"
m1=$(added_id)
on a 0 "added member" -- member add --name "Hoàng Thị Mai" --status official --sex female
m2=$(added_id)
on a 0 "added member" -- member add --name "Vàng A Páo" --status official --sex male
m3=$(added_id)
on a 0 "added member" -- member add --name "Lò Thị Hoa" --status probationary \
    --phone 0915000111 --note "Chuyển sinh hoạt về chi bộ Nà Hẩu"
m4=$(added_id)
on a 0 "added member" -- member add --name "Nhập Nhầm" --status official
on a 0 "" -- member delete "$(added_id)"
on a 0 "added member" -- member add --name "Bàn Văn Tráng" --status official
m5=$(added_id)
on a 0 "" -- member delete "$m5"
on a 0 "" -- member undelete "$m5"
on a 0 "updated member" -- member edit "$m2" --phone 0987654321 --theory-level "Sơ cấp"
# Ratings of the year: the client has no command for them (they come from the web pages
# of a later release or an import); written as a command would, one register at a time.
for r in "Đinh Văn Thắng:excellent" "Hoàng Thị Mai:good" "Vàng A Páo:complete"; do
    g=$(newid)
    with a set rating "$g" member "#$(id_of a member "${r%%:*}")"
    with a set rating "$g" year 2025
    with a set rating "$g" grade "${r#*:}"
done

# A candidate through several steps, one undone and done again.
on a 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 15/03/2000 \
    --sex male --hometown "Bản Khe Ván, xã Mường Lý" --phone 0911000111 --identified-on 2025-12-01
k1=$(added_id)
on a 0 "now at 'helper assigned'" -- candidate advance "$k1" --helper "$m1" --date 2026-01-05
on a 0 "now at 'awareness class passed'" -- candidate advance "$k1" --to class_passed \
    --date 2026-02-02
on a 0 "was undone" -- candidate undo "$k1" --reason "nhầm ngày học lớp cảm tình Đảng"
on a 0 "now at 'awareness class passed'" -- candidate advance "$k1" --to class_passed \
    --date 2026-02-09
# One kept on paper, with the dates of its past steps, then a forced step (an exception).
on a 0 "added candidate" -- candidate add --name "Lò Văn Pằng" --birth-date 1990-01-01 \
    --identified-on 2024-01-05 --helper-on 2024-02-01 --helper "$m1" --class-on 2024-03-01 \
    --applied-on 2024-04-01 --verified-on 2024-05-01 --cell-resolution-on 2024-06-03 \
    --sponsor "$m2" --sponsor2 "$m3" --grassroots-resolution-on 2024-06-20
on a 0 "added candidate" -- candidate add --name "Hà Thị Dung" --birth-date 1998-07-07 \
    --sex female --identified-on 15/01/2026
k3=$(added_id)
on a 0 "now at 'helper assigned'" -- candidate advance "$k3" --helper "$m2" --date 2026-01-10 \
    --force --reason "giấy tờ phân công ghi lùi ngày"
on a 0 "added candidate" -- candidate add --name "Vi Văn Xóa" --birth-date 1999-09-09
on a 0 "" -- candidate delete "$(added_id)"
on a 0 "added candidate" -- candidate add --name "Sầm Thị Lụa" --birth-date 2001-11-11 \
    --sex female
k5=$(added_id)
on a 0 "" -- candidate delete "$k5"
on a 0 "" -- candidate undelete "$k5"
on a 0 "added candidate" -- candidate add --name "Triệu Văn Rút" --birth-date 1997-05-05 \
    --identified-on 2025-10-01
on a 0 "" -- candidate withdraw "$(added_id)" --date 2026-02-25 --reason "đi làm ăn xa"

# A meeting with its minutes, attendance and assessments; one deleted and undeleted.
printf 'Chi bộ họp thường kỳ tháng 2.\nĐồng chí Sỹ tích cực trong Đoàn thanh niên; đồng chí Dung cần rèn luyện thêm.\n' \
    >"$dir/minutes.txt"
on a 0 "added meeting" -- meeting add --date 2026-02-27 --agenda "Sinh hoạt thường kỳ tháng 2" \
    --minutes "@$dir/minutes.txt" --resolutions "Giới thiệu quần chúng Sỹ học lớp cảm tình Đảng"
mt=$(sed -n 's/^added meeting \([0-9a-f]\{8\}\).*/\1/p' "$out")
on a 0 "present" -- meeting attend "$mt" "$m1" "$m2" "$m3" --present
on a 0 "absent" -- meeting attend "$mt" "$m4" --absent --reason "ốm, có đơn xin phép"
on a 0 "added assessment" -- meeting assess "$mt" "$k1" --strengths "Nhiệt tình, gương mẫu" \
    --weaknesses "Còn rụt rè khi phát biểu" --next-steps "Giao nhiệm vụ ở chi đoàn"
on a 0 "added assessment" -- meeting assess "$mt" "$k3" --strengths "Chăm chỉ" \
    --weaknesses "Ít tham gia" --next-steps "Theo dõi thêm"
as=$(sed -n 's/^added assessment \([0-9a-f]\{8\}\).*/\1/p' "$out")
on a 0 "" -- meeting delete-assessment "$as"
on a 0 "" -- meeting undelete-assessment "$as"
on a 0 "added meeting" -- meeting add --date 2026-01-30 --kind thematic --agenda "Chuyên đề học tập"
mt2=$(sed -n 's/^added meeting \([0-9a-f]\{8\}\).*/\1/p' "$out")
on a 0 "" -- meeting delete "$mt2"
on a 0 "" -- meeting undelete "$mt2"
on a 0 "" -- meeting edit "$mt2" --resolutions "Mỗi đảng viên viết bài thu hoạch"

# A change the hub refuses and goes on refusing (a member with no unit, as an old client
# wrote them), and one refused then corrected (a candidate moved to the other cell).
with a member "Không Đơn Vị" official >/dev/null
kid=$(id_of a candidate "Hà Thị Dung")
with a set candidate "$kid" org_unit CB-02
on a 3 "" -- sync
on a 0 "refused" -- status
on a 0 "changed" -- candidate edit "$k3" --org CB-01
on a 0 "" -- sync

# ---- cell CB-02, laptop b ----
on b 0 "added member" -- member add --name "Lường Văn Chiến" --status official --sex male
n1=$(added_id)
on b 0 "added member" -- member add --name "Quàng Thị Ngọc" --status official --sex female
on b 0 "added candidate" -- candidate add --name "Cầm Bá Thước" --birth-date 2002-02-02 \
    --sex male --hometown "Bản Nà Hẩu, xã Mường Lý" --identified-on 2026-01-20
q1=$(added_id)
on b 0 "now at 'helper assigned'" -- candidate advance "$q1" --helper "$n1" --date 2026-02-10
on b 0 "added meeting" -- meeting add --date 2026-02-26 --agenda "Họp chi bộ Nà Hẩu" \
    --minutes "Bàn việc giới thiệu quần chúng Thước."
mb=$(sed -n 's/^added meeting \([0-9a-f]\{8\}\).*/\1/p' "$out")
on b 0 "" -- meeting attend "$mb" --all-present
on b 0 "synced" -- sync

# ---- the committee, laptop x: a transfer of CB-01's member (a committee record) ----
on x 0 "synced" -- sync
t=$(newid)
mid=$(id_of x member "Lò Thị Hoa")
with x set transfer "$t" member "#$mid"
with x set transfer "$t" from_unit CB-01
with x set transfer "$t" to_unit CB-02
with x set transfer "$t" kind "chuyển sinh hoạt tạm thời"
with x set transfer "$t" decided_on 2026-02-28
on x 0 "synced" -- sync

# ---- a conflict left open: a and x edit one phone between syncs ----
on a 0 "" -- sync
on x 0 "synced" -- sync
on a 0 "changed" -- candidate edit "$k1" --phone 0911000333
on x 0 "changed" -- candidate edit "$k1" --phone 0922000222
on a 0 "" -- sync
on x 0 "open conflicts 1" -- sync
on a 0 "open conflicts 1" -- sync
# Everyone last, so each replica holds what the others wrote.
on b 0 "synced" -- sync
on x 0 "" -- sync
stop_hub
[ "$fails" -eq 0 ] || {
    echo "make_fixture: the world was not made as planned ($fails failures)" >&2
    exit 1
}

# ---- expected outputs, from these binaries ----
# expected/commands: one line per output, "NAME WHO ARGS...": WHO is a laptop (cellsync
# with its home) or hub (cellsyncd with --state); expected/NAME is what it printed
# (standard output and error), expected/NAME.rc its exit status.
mkdir -p "$dir/expected"
for d in a b x; do
    for c in "candidates candidate list --json" "candidates_deleted candidate list --deleted --json" \
        "members member list --json" "members_deleted member list --deleted --json" \
        "meetings meeting list --json" "conflicts conflicts list --json" \
        "targets target list --json" "status status" "status_json status --json" \
        "due due --json" "holidays holidays --json" "search search --json van" \
        "report report all --format json"; do
        echo "${d}_$c" | sed "s/ / $d /"
    done
done >"$dir/expected/commands"
{
    for s in targets pipeline due members sync; do
        echo "hub_report_$s hub report $s --format json"
    done
    echo "hub_audit hub audit verify"
    echo "hub_devices hub devices"
} >>"$dir/expected/commands"
while read -r name who args; do
    # shellcheck disable=SC2086 # $args is a command line of fixed words
    if [ "$who" = hub ]; then
        "$cellsyncd" $args --state "$dir/hub" >"$dir/expected/$name" 2>&1
    else
        CELLSYNC_HOME="$dir/$who" "$cellsync" $args >"$dir/expected/$name" 2>&1
    fi
    echo "$?" >"$dir/expected/$name.rc"
done <"$dir/expected/commands"

# ---- the copies: one small file per replica ----
# Each replica checkpointed, then VACUUMed with 1 KiB pages (a replica is mostly
# near-empty tables, one page each). VACUUM may renumber the rowids of tables without
# an INTEGER PRIMARY KEY, and the search index refers to the domain tables' rowids:
# every rowid table's rows with their rowids are compared before and after.
rowids() { # DB: every rowid table's rows with their rowids
    for t in $(sqlite3 "$1" "SELECT name FROM sqlite_schema WHERE type = 'table'
                             AND name NOT LIKE 'sqlite_%' ORDER BY name"); do
        sqlite3 "$1" "SELECT '$t', rowid, * FROM \"$t\" ORDER BY rowid" 2>/dev/null
    done | cksum
}
rm -rf "$outdir"
mkdir -p "$outdir"
for d in hub a b x; do
    db=$dir/$d/replica.db
    sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null || exit 1
    before=$(rowids "$db")
    sqlite3 "$db" "PRAGMA journal_mode = DELETE; PRAGMA page_size = 1024; VACUUM;
                   PRAGMA journal_mode = WAL;" >/dev/null || exit 1
    [ "$(rowids "$db")" = "$before" ] || {
        echo "make_fixture: VACUUM changed the rows or rowids of $d's replica" >&2
        exit 1
    }
    rm -f "$dir/$d"/*-wal "$dir/$d"/*-shm "$dir/$d/serve.lock"
    cp -a "$dir/$d" "$outdir/$d"
done
cp -a "$dir/expected" "$outdir/expected"
cp "$dir/tree.csv" "$outdir/tree.csv"
rev=$(git -C "$top" rev-parse HEAD 2>/dev/null || echo unknown)
prod=$(git -C "$top" log -1 --format=%H -- proto client daemon 2>/dev/null || echo unknown)
changed=$(git -C "$top" status --porcelain --untracked-files=no -- . ':!tests/fixtures' 2>/dev/null | cut -c4- | tr '\n' ' ')
{
    echo "commit $rev${changed:+ with changes to: $changed}"
    echo "the store and the programs (proto/, client/, daemon/) as at commit $prod"
    echo "made $(date -u +%Y-%m-%dT%H:%MZ) with CELLSYNC_TODAY=$CELLSYNC_TODAY TZ=$TZ by tests/tools/make_fixture.sh"
    "$cellsync" version
} >"$outdir/MADE_BY"
echo "make_fixture: $outdir, $(du -sk "$outdir" | cut -f1) KiB"
