#!/bin/sh
# SPDX-License-Identifier: MIT
# `cellsyncd import --reply-dir DIR` makes DIR (with its parents, mode 0700)
# and writes the reply there; a DIR that cannot be made is refused before
# any bundle is merged: the hub's state is unchanged and the error names it.
# The reply is named by the device's unit and name, safe on a FAT stick
# (ASCII letters, digits, '-' and '_', short), and its short id, by which
# the device finds it.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
. "$(dirname "$0")/lib.sh"
# hubdo CODE PATTERN -- ARGS: run cellsyncd on the hub's state, check exit and output.
hubdo() {
    code=$1 pattern=$2
    shift 3
    "$cellsyncd" "$@" --state "$dir/hub" >"$out" 2>"$err"
    got=$?
    if [ "$got" -ne "$code" ] || ! cat "$out" "$err" | grep -q -- "$pattern"; then
        bad "cellsyncd $* -> exit $got (want $code), no '$pattern'"
    else
        ok
    fi
}
hubsql() { "$fixture" sql "$dir/hub/replica.db" "$1"; }
hub_state() { echo "$(hubsql 'SELECT count(*) FROM cs_version')/$(hubsql 'SELECT count(*) FROM hub_device')"; }

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
EOF
hubdo 0 "created" -- init --org-tree "$dir/tree.csv"
hubdo 0 "written" -- enroll --org CB-01 --role cell --name "máy a" --addr 127.0.0.1:1 \
    --out "$dir/a.enroll"
on a 0 "created" -- init
on a 0 "enrolled" -- enroll "$dir/a.enroll"
on a 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 2000-03-15
on a 0 "wrote" -- bundle export "$dir/a.bundle"

# A DIR under a file cannot be made: refused first, nothing merged.
: >"$dir/file"
before=$(hub_state)
hubdo 1 "cannot create '$dir/file/replies'" -- import "$dir/a.bundle" --reply-dir "$dir/file/replies"
[ "$(hub_state)" = "$before" ] && ok || bad "the hub changed: $before -> $(hub_state)"
grep -q "imported" "$out" && bad "a bundle was imported" || ok

# A missing DIR and its parent are made, the directory itself 0700, with the reply in it.
hubdo 0 "imported '$dir/a.bundle'" -- import "$dir/a.bundle" --reply-dir "$dir/stick/replies"
[ -d "$dir/stick/replies" ] && ok || bad "'$dir/stick/replies' was not made"
[ "$(stat -c %a "$dir/stick/replies")" = 700 ] && ok ||
    bad "'$dir/stick/replies' has mode $(stat -c %a "$dir/stick/replies"), not 700"
n=$(find "$dir/stick/replies" -name '*.reply' | wc -l)
[ "$n" -eq 1 ] && ok || bad "$n replies in '$dir/stick/replies', not 1"
ra=$dir/stick/replies/CB-01_may-a_$(short a).reply
[ -s "$ra" ] && ok || bad "no reply '$ra': $(ls "$dir/stick/replies")"
grep -q "reply '$ra'" "$out" && ok || bad "the summary names no reply in the dir"
[ "$(hub_state)" != "$before" ] && ok || bad "the import merged nothing"
# The reply is one the device can read.
on a 0 "received [0-9]* changes" -- bundle import "$dir/stick/replies"

# A long name with marks, slashes, a colon and brackets: the label keeps ASCII
# letters and digits, a dash for each run of anything else, cut to 40 bytes.
hubdo 0 "written" -- enroll --org CB-01 --role cell --addr 127.0.0.1:1 \
    --name "Máy Phó Bí thư / Đảng ủy xã: chi bộ số 2 (cũ)" --out "$dir/b.enroll"
on b 0 "created" -- init
on b 0 "enrolled" -- enroll "$dir/b.enroll"
on b 0 "wrote" -- bundle export "$dir/b.bundle"
rb=$dir/stick/replies/CB-01_may-pho-bi-thu-dang-uy-xa-chi-bo-s_$(short b).reply
hubdo 0 "from unit CB-01, device Máy Phó Bí thư / Đảng ủy xã: chi bộ số 2 (cũ) ($(short b)).*reply '$rb'" \
    -- import "$dir/b.bundle" --reply-dir "$dir/stick/replies"
[ -s "$rb" ] && ok || bad "no reply '$rb': $(ls "$dir/stick/replies")"
on b 0 "read '$rb'" -- bundle import "$dir/stick/replies"
# Renamed on the stick by a person (or a FAT driver's case): found by its id all the same.
mv "$rb" "$dir/stick/replies/CB-01_MAY-B_$(short b | tr a-f A-F).REPLY" 2>/dev/null
on b 0 "nothing new in" -- bundle import "$dir/stick/replies"

summary
