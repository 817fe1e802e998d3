#!/bin/sh
# SPDX-License-Identifier: MIT
# The hub's audit trail holds what it claims (F16 of the security review), through the
# real binaries: every change set accepted live or by stick is an entry chained to the
# one before by a hash keyed with the hub's key, its signed sets kept as a zstd frame;
# `cellsyncd audit verify` checks the chain and the kept signatures. An entry changed by hand (the append-only trigger
# dropped first, as anyone with the database file can), or removed, is named as the
# first broken one; a trail of a hub made before the chain is chained at its next open.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$dir/tree.csv" <<'CSV'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CSV
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
for d in a b; do
    hubdo 0 "written" -- enroll --org CB-01 --role cell --name "máy $d" --addr 127.0.0.1:1 \
        --out "$dir/$d.enroll"
    on $d 0 "created" -- init
    on $d 0 "enrolled" -- enroll "$dir/$d.enroll"
done
on a 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 2000-03-15
on b 0 "added candidate" -- candidate add --name "Hà Thị Mai" --birth-date 2001-07-02
# b by stick, a live.
on b 0 "wrote" -- bundle export "$dir/b.bundle"
hubdo 0 "imported" -- import "$dir/b.bundle" --reply-dir "$dir"
start_hub "$dir/hub"
on a 0 "synced" -- sync --hub "$addr"
on a 0 "added candidate" -- candidate add --name "Lò Văn Páo" --birth-date 1999-01-02
on a 0 "synced" -- sync --hub "$addr"
stop_hub
n=$(hubsql "SELECT count(*) FROM hub_audit")
[ "$n" -ge 3 ] && ok || bad "only $n audit entries"
hubdo 0 "the audit trail holds: $n entries chained, $n signatures of change sets checked" -- \
    audit verify
equal "every entry is chained" 0 "$(hubsql "SELECT count(*) FROM hub_audit WHERE length(hash) != 32")"
# Each keeps its signed change set as a zstd frame (by its magic number).
equal "every kept set is compressed" "$n" \
    "$(hubsql "SELECT count(*) FROM hub_audit WHERE hex(substr(envelope, 1, 4)) = '28B52FFD'")"

# tamper SQL...: runs SQL on a copy of the hub's replica, as someone with the file could.
cp -r "$dir/hub" "$dir/pristine"
tamper() {
    rm -rf "$dir/hub"
    cp -r "$dir/pristine" "$dir/hub"
    python3 - "$dir/hub/replica.db" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("DROP TRIGGER IF EXISTS hub_audit_no_update;"
                 "DROP TRIGGER IF EXISTS hub_audit_no_delete;" + sys.argv[2])
db.commit()
PY
}
# A count changed in the second entry: its hash no longer matches.
tamper "UPDATE hub_audit SET changes = changes + 1 WHERE id = 2"
hubdo 1 "the audit trail is broken at entry 2 (.*): its contents do not match its hash" -- \
    audit verify
verdict 1 any "the entries before it (1) hold" "audit verify"
# The second entry removed: the third no longer follows.
tamper "DELETE FROM hub_audit WHERE id = 2"
hubdo 1 "the audit trail is broken at entry 3 (.*): it does not follow the entry before it" -- \
    audit verify
# An envelope swapped for another entry's: its hash no longer matches.
tamper "UPDATE hub_audit SET envelope = (SELECT envelope FROM hub_audit WHERE id = 1) WHERE id = 3"
hubdo 1 "broken at entry 3 (.*): its contents do not match its hash" -- audit verify
# One byte of a stored frame flipped: what it holds is no longer what was hashed, or no
# longer a frame at all; either way that entry is named.
tamper "UPDATE hub_audit SET envelope = CAST(substr(envelope, 1, length(envelope) / 2) ||
    (CASE WHEN substr(envelope, length(envelope) / 2 + 1, 1) = x'00' THEN x'01' ELSE x'00' END) ||
    substr(envelope, length(envelope) / 2 + 2) AS BLOB) WHERE id = 3"
hubdo 1 "broken at entry 3 (.*): \(its contents do not match its hash\|the change sets it keeps cannot be read\)" -- \
    audit verify
# A hostile frame that declares 1 TiB (one RLE block of one byte) is refused by that size,
# before anything is allocated, and named.
tamper "UPDATE hub_audit SET envelope = x'28B52FFDE000000000000100000B000000' WHERE id = 2"
hubdo 1 "broken at entry 2 (.*): the change sets it keeps cannot be read: decompressed size is over the limit" -- \
    audit verify
# Also in a trail chained at its next open (below): the open chains it as stored, the
# walk names it.
tamper "UPDATE hub_audit SET envelope = x'28B52FFDE000000000000100000B000000' WHERE id = 2;
    ALTER TABLE hub_audit DROP COLUMN prev; ALTER TABLE hub_audit DROP COLUMN hash"
hubdo 1 "broken at entry 2 (.*): the change sets it keeps cannot be read: decompressed size is over the limit" -- \
    audit verify
# The trail of a hub made before the chain (no prev, no hash): chained at the next open.
tamper "ALTER TABLE hub_audit DROP COLUMN prev; ALTER TABLE hub_audit DROP COLUMN hash"
hubdo 0 "the audit trail holds: $n entries chained" -- audit verify
# And the append-only triggers are back after that open.
python3 - "$dir/hub/replica.db" <<'PY' && ok || bad "an update of the audit trail was not refused"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
try:
    db.execute("UPDATE hub_audit SET changes = 0 WHERE id = 1")
    sys.exit(1)
except sqlite3.DatabaseError as e:
    sys.exit(0 if "append-only" in str(e) else 1)
PY
hubcmd 2 "is not verify" -- audit check --state "$dir/hub"
summary
