#!/bin/sh
# SPDX-License-Identifier: MIT
# Replicas made by an earlier release open, migrate in place and sync with the current
# binaries, and nothing is lost (issue 18). tests/fixtures/v1 holds a hub and three
# laptops made by the commit named in its MADE_BY (tests/tools/make_fixture.sh), with
# what that commit's binaries printed about them (expected/commands). On a copy:
#  1. every captured output is printed again, the same (exit status too);
#     `cellsyncd audit verify` and `cellsyncd check` pass on the hub;
#  2. the hub serves the copy and each laptop syncs: every output is still the same,
#     the open conflict still open, and each laptop's current registers are the hub's
#     for every register both hold;
#  3. the hub stopped, the migrated copy opens again and prints the same once more.
# Ignored in the comparisons: the data directory `status` prints (the path of the
# copy); after a sync, the time of the laptop's last contact (`status`, and the hub's
# `devices` and `report sync`, compared before the syncs only) and the count of audit
# entries (the syncs add entries: after them the trail must still hold). No other
# field depends on the run's clock: the dates are CELLSYNC_TODAY's, as when made.
# Usage: test_fixture.sh PATH/TO/cellsync PATH/TO/cellsyncd PATH/TO/cs_fixture
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# As when the fixture was made: times are printed in the local zone.
export LC_ALL=C.UTF-8 TZ=UTC
src=$(cd "$(dirname "$0")/../fixtures/v1" && pwd)
[ -f "$src/expected/commands" ] || {
    echo "FAIL: no fixture in $src"
    exit 1
}
# git keeps no modes but the executable bit: the keys and replicas get those their
# programs gave them (0600, in directories of 0700), as on the machines that made them.
for d in hub a b x; do
    cp -R "$src/$d" "$dir/$d"
    chmod 700 "$dir/$d"
    find "$dir/$d" -type f ! -name '*.pub' ! -name '*.conf' -exec chmod 600 {} +
done
conf=$dir/hub/fixture.conf

# norm: what a run may change and a migration may not, taken out.
# norm PHASE: the data directory; after the syncs, the laptop's last contact too.
norm() {
    if [ "$1" = before ]; then
        sed -e 's#^\(data directory: *\).*#\1DIR#' -e 's#"home":"[^"]*"#"home":"DIR"#'
    else
        sed -e 's#^\(data directory: *\).*#\1DIR#' -e 's#"home":"[^"]*"#"home":"DIR"#' \
            -e 's#^\(last contact with the hub: *\).*#\1TIME#' \
            -e 's#"last_contact":"[^"]*"#"last_contact":"TIME"#'
    fi
}
# compare PHASE [SKIP]: every captured output against the current binaries' (SKIP: an
# egrep of names left out); after a sync ($1 != before) the laptops' last contact too.
compare() {
    while read -r name who args; do
        echo "$name" | grep -Eq "^(${2:-none})$" && continue
        # shellcheck disable=SC2086 # $args is a command line of fixed words
        if [ "$who" = hub ]; then
            "$cellsyncd" $args --state "$dir/hub" --config "$conf" >"$dir/got" 2>&1
        else
            CELLSYNC_HOME="$dir/$who" "$cellsync" $args >"$dir/got" 2>&1
        fi
        rc=$?
        equal "$1: exit status of $who $args" "$(cat "$src/expected/$name.rc")" "$rc"
        norm "$1" <"$src/expected/$name" >"$dir/want"
        norm "$1" <"$dir/got" >"$dir/got.n"
        if cmp -s "$dir/want" "$dir/got.n"; then ok; else
            bad "$1: $who $args prints otherwise than the release that made the fixture"
            diff "$dir/want" "$dir/got.n" | head -10 | sed 's/^/  /'
        fi
    done <"$src/expected/commands"
}
# registers DEVICE: its current registers, one line each: table|row|column|value|stamp|origin.
registers() {
    sql "$1" "SELECT tbl || '|' || hex(row) || '|' || col || '|' || quote(val) || '|' || hlc
              || '|' || hex(origin) FROM cs_version WHERE state = 'current'" | sort
}
# agree DEVICE: for every register DEVICE and the hub both hold, the same version.
agree() {
    registers hub >"$dir/reg.hub"
    registers "$1" >"$dir/reg.$1"
    _n=$(awk -F'|' 'NR == FNR { h[$1 "|" $2 "|" $3] = $0; next }
                    ($1 "|" $2 "|" $3) in h { n++; if (h[$1 "|" $2 "|" $3] != $0) d++ }
                    END { print n + 0, d + 0 }' "$dir/reg.hub" "$dir/reg.$1")
    case $_n in
    "0 "*) bad "$1 and the hub share no register" ;;
    *" 0") ok ;;
    *) bad "$1's registers differ from the hub's (shared, differing: $_n)" ;;
    esac
}

# ---- 1. the copy as made, opened (and migrated) by the current binaries ----
compare before
hubcmd 0 "" -- audit verify --state "$dir/hub" --config "$conf"
hubcmd 0 "" -- check --state "$dir/hub" --config "$conf"

# ---- 2. served and synced ----
start_hub "$dir/hub" --config "$conf"
for d in a b x; do
    dosync "$d"
    equal "[$d] sync of the migrated replica: exit status" 0 "$sc"
done
# Twice round, so each laptop has what the others sent in the first round.
for d in a b x; do dosync "$d"; done
stop_hub
compare after 'hub_audit|hub_devices|hub_report_sync'
on a 0 '"conflicts":1' -- status --json
on x 0 '"conflicts":1' -- status --json
for d in a b x; do agree "$d"; done
hubcmd 0 "the audit trail holds" -- audit verify --state "$dir/hub" --config "$conf"

# ---- 3. the migrated copy opens again ----
compare again 'hub_audit|hub_devices|hub_report_sync'
hubcmd 0 "" -- check --state "$dir/hub" --config "$conf"
summary
