#!/bin/sh
# SPDX-License-Identifier: MIT
# What `cellsync` says to a secretary, through the real binary: dates in messages as
# DD/MM/YYYY (stored, --json and CSV stay ISO), a candidate named by its full name and
# short id whatever was typed to find it, years and numbers of options refused by name,
# a hub address without a port, the holidays the laptop counts with (`cellsync
# holidays`), and the data directory under $XDG_DATA_HOME.
set -u
cellsync=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
export CELLSYNC_HOME="$dir/a" CELLSYNC_TODAY=2026-03-02

on a 0 "" -- init --org CB-01
on a 0 "added member" -- member add --name "Đinh Văn Thắng" --status official --birth-date 02/09/1968
helper=$(added_id)
on a 0 "added candidate" -- candidate add --name "Lò Văn Pao" --birth-date 15/03/2000 \
    --sex male --identified-on 06/01/2025
k=$(added_id)

# ---- a candidate is named by its name and short id, not by what was typed ----
on a 0 "candidate Lò Văn Pao ($k) is now at 'helper assigned' (10/02/2025)" -- \
    candidate advance "lo van pao" --helper "$helper" --date 2025-02-10
grep -q "candidate lo van pao" "$out" && bad "advance repeats what was typed" || ok
on a 0 "changed candidate Lò Văn Pao ($k)" -- candidate edit "lo van pao" --hometown "Bản Khe Ván"
on a 0 "candidate Lò Văn Pao ($k) is back at 'identified'" -- \
    candidate undo "lo van pao" --reason "nhầm ngày"
on a 1 "cannot withdraw candidate Lò Văn Pao ($k): the date 05/01/2025 is before 06/01/2025" -- \
    candidate withdraw "lo van pao" --date 05/01/2025 --reason "chuyển đi"
on a 1 "the date 03/03/2026 is after today (02/03/2026)" -- \
    candidate withdraw "lo van pao" --date 03/03/2026 --reason "chuyển đi"
equal "a refused withdrawal changes nothing" identified \
    "$(CELLSYNC_HOME="$dir/a" "$cellsync" candidate list --json | sed -n 's/.*"stage":"\([a-z_]*\)".*/\1/p')"

# ---- dates in messages as DD/MM/YYYY; stored and --json values stay ISO ----
on a 1 "'31/02/2001' is not a date (write DD/MM/YYYY, or YYYY-MM-DD)" -- \
    candidate edit "lo van pao" --birth-date 31/02/2001
on a 1 "'2026-3-2' is not a date; write it as DD/MM/YYYY" -- candidate advance "lo van pao" \
    --helper "$helper" --date 2026-3-2
on a 0 "added candidate" -- candidate add --name "Lường Văn Trẻ" --birth-date 15/03/2008 --sex male \
    --identified-on 06/01/2025 --helper-on 03/02/2025 --helper "$helper" --class-on 03/03/2025 \
    --applied-on 01/04/2025 --verified-on 02/06/2025
y=$(added_id)
on a 1 "17 years and 11 months old on 14/03/2026" -- candidate advance "$y" --to cell_resolution \
    --date 2026-03-14 --sponsor "$helper"
on a 0 '"identified_on":"2025-01-06"' -- candidate show "$y" --json
on a 0 "added meeting" -- meeting add --date 2026-02-27 --agenda "Sinh hoạt thường kỳ"
m=$(added_id)
on a 0 "as present at the meeting of 27/02/2026" -- meeting attend "$m" "dinh van thang" --present
on a 0 "attendance of 'Đinh Văn Thắng' at the meeting of 27/02/2026" -- \
    meeting delete-attendance "$m" "dinh van thang"
on a 0 '"held_on":"2026-02-27"' -- meeting show "$m" --json
on a 0 "deleted meeting $m '27/02/2026'" -- meeting delete "$m"
on a 0 "as of 02/03/2026" -- report due

# ---- numbers of options: a year or a count typed wrong is refused, naming the option ----
on a 2 "target list: --year: '20x6' is not a year from 1930 to 2100" -- target list --year 20x6
on a 2 "target list: --year: '1850' is not a year from 1930 to 2100" -- target list --year 1850
on a 0 "" -- target list --year 2026
on a 2 "report: --year: '2026x' is not a year from 1930 to 2100" -- report targets --year 2026x
on a 2 "due: --within: '5x' is not a number of days" -- due --within 5x
on a 2 "sync: --timeout: '5x' is not a number of seconds" -- sync --timeout 5x --hub 127.0.0.1:1

# ---- the hub's address without a port is on the hub's usual port, 7461 ----
# Whatever answers there (nothing, most likely), the message names the port taken.
on a 1 "'127.0.0.1:7461'" -- enroll --code ABCD-EFGH-JKLM-NPQH --hub 127.0.0.1
grep -q "not HOST:PORT" "$err" && bad "a host without a port is refused" || ok
on a 1 "'\\[::1\\]:7461'" -- enroll --code ABCD-EFGH-JKLM-NPQH --hub "[::1]"
on a 1 "'localhost:7461'" -- enroll --code ABCD-EFGH-JKLM-NPQH --hub localhost
on a 2 "sync: --hub: 'khe-van:99999': the port '99999' is not a number from 1 to 65535" -- \
    sync --hub khe-van:99999
on a 2 "'\\[::1' is not an address" -- sync --hub "[::1"

# ---- the data directory: $CELLSYNC_HOME, else $XDG_DATA_HOME/cellsync, else ~/.local/share ----
mkdir "$dir/home"
expect 0 stdout "$dir/xdg/cellsync" -- env -u CELLSYNC_HOME HOME="$dir/home" \
    XDG_DATA_HOME="$dir/xdg" "$cellsync" init --org CB-01
check "the replica under \$XDG_DATA_HOME" test -f "$dir/xdg/cellsync/replica.db"
check "nothing under ~/.local/share" test ! -e "$dir/home/.local/share/cellsync"
expect 0 stdout "$dir/home/.local/share/cellsync" -- env -u CELLSYNC_HOME HOME="$dir/home" \
    XDG_DATA_HOME=relative/dir "$cellsync" init --org CB-01
expect 0 stdout "$dir/xdg/cellsync" -- env CELLSYNC_HOME= HOME="$dir/home" \
    XDG_DATA_HOME="$dir/xdg" "$cellsync" status
# $CELLSYNC_HOME wins over $XDG_DATA_HOME; an empty $XDG_DATA_HOME is unset.
expect 0 stdout "$dir/own" -- env CELLSYNC_HOME="$dir/own" HOME="$dir/home" \
    XDG_DATA_HOME="$dir/xdg2" "$cellsync" init --org CB-01
check "the replica under \$CELLSYNC_HOME" test -f "$dir/own/replica.db"
check "nothing under \$XDG_DATA_HOME when \$CELLSYNC_HOME is set" test ! -e "$dir/xdg2"
rm -rf "$dir/home/.local"
expect 0 stdout "$dir/home/.local/share/cellsync" -- env -u CELLSYNC_HOME HOME="$dir/home" \
    XDG_DATA_HOME= "$cellsync" init --org CB-01

summary
