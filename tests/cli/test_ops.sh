#!/bin/sh
# SPDX-License-Identifier: MIT
# The operations commands through the real binaries: `cellsyncd backup`
# while a real `cellsyncd serve` runs and a device syncs into it, the copy's
# integrity, `restore` refused while serving and working once stopped (the
# replaced state kept aside, the devices' changes made after the backup sent
# again), and `check` passing, then failing on a key readable by others, a
# damaged database, a bad configuration file and a port in use.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3 bulk=$4
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# The fixture opens a database read-write: look at copies, never at a backup itself.
inspect() {
    rm -rf "$dir/inspect"
    cp -r "$1" "$dir/inspect"
    "$fixture" sql "$dir/inspect/replica.db" "$2"
}
hash_of() {
    rm -rf "$dir/inspect"
    cp -r "$1" "$dir/inspect"
    "$fixture" hash "$dir/inspect/replica.db"
}
# any_named DIR GLOB: DIR holds an entry whose name matches GLOB.
any_named() { [ -n "$(find "$1" -mindepth 1 -maxdepth 1 -name "$2" -print)" ]; }
candidates() { "$fixture" sql "$dir/$1/replica.db" 'SELECT count(*) FROM candidate'; }

cat >"$dir/tree.csv" <<'EOF'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
EOF
# Port 0: the check of the listening address must not depend on a free 7461.
printf 'state = %s\nlisten = 127.0.0.1:0\n' "$dir/hub" >"$dir/hub.conf"
conf=$dir/hub.conf

hubcmd 0 "created the hub" -- init --org-tree "$dir/tree.csv" --config "$conf"
hubcmd 0 "all 5 checks ok" -- check --config "$conf"
start_hub "" --config "$conf"
hubcmd 0 "enrollment" -- enroll --config "$conf" --org CB-01 --role cell --name "máy a" --addr "$addr" \
    --out "$dir/a.enroll"
on a 0 "created" -- init
on a 0 "enrolled" -- enroll "$dir/a.enroll"
on a 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 2000-03-15
on a 0 "synced" -- sync

# A backup while the hub serves and merges a large sync: a consistent copy all the same.
# The backup starts once the hub has merged the sync's first chunks, so that it copies
# while the hub writes: it must hold more than the first candidate and fewer than all.
CELLSYNC_HOME="$dir/a" "$bulk" candidates 3000 >/dev/null 2>"$err" && ok || bad "cs_bulk"
CELLSYNC_HOME="$dir/a" "$cellsync" sync >"$dir/sync.out" 2>&1 &
syncpid=$!
for _ in $(seq 1 200); do [ "$(candidates hub)" -gt 1 ] && break; sleep 0.05; done
hubcmd 0 "integrity ok" -- backup --unencrypted "$dir/bk1" --config "$conf"
wait "$syncpid" && ok || bad "the sync during the backup failed: $(cat "$dir/sync.out")"
[ "$(inspect "$dir/bk1" 'PRAGMA integrity_check')" = ok ] && ok || bad "bk1 is damaged"
n=$(inspect "$dir/bk1" 'SELECT count(*) FROM candidate')
[ "${n:-0}" -gt 1 ] && [ "$n" -lt 3001 ] && ok || bad "bk1 holds $n of 3001 candidates"
[ "$(stat -c %a "$dir/bk1/hub.key")" = 600 ] && ok || bad "the backup's key is not 0600"
[ "$(stat -c %a "$dir/bk1")" = 700 ] && ok || bad "the backup directory is not 0700"
any_named "$dir" '*tmp-*' && bad "a temp directory was left behind" || ok
hubcmd 0 "integrity ok" -- backup --unencrypted "$dir/bk2" --config "$conf"
[ "$(inspect "$dir/bk2" 'SELECT count(*) FROM candidate')" = 3001 ] && ok ||
    bad "bk2 does not hold the 3001 candidates"
bk2_hash=$(hash_of "$dir/bk2")

# A backup never goes over an existing directory; usage errors exit 2.
hubcmd 1 "already exists" -- backup --unencrypted "$dir/bk1" --config "$conf"
hubcmd 2 "give the DIR" -- backup --unencrypted --config "$conf"
hubcmd 2 "give the backup" -- restore --config "$conf"

# While serving: check passes (the port is this hub's), restore and a second serve refused.
hubcmd 0 "in use by the cellsyncd serving" -- check --config "$conf"
hubcmd 1 "stop it first" -- restore "$dir/bk2" --config "$conf"
any_named "$dir/hub" '*before-restore*' && bad "a refused restore moved files" || ok
hubcmd 1 "in use by a running cellsyncd" -- serve --config "$conf" --listen 127.0.0.1:0

# Another state directory asking for the serving hub's port fails the port check.
hubcmd 0 "restored" -- restore "$dir/bk1" --config "$conf" --state "$dir/other"
printf 'listen = %s\n' "$addr" >"$dir/other.conf"
hubcmd 1 "FAILED: cannot listen" -- check --state "$dir/other" --config "$dir/other.conf"

# A change after bk2, then the hub stops and bk2 comes back.
on a 0 "added candidate" -- candidate add --name "Lò Thị Hoa" --birth-date 1999-05-01
on a 0 "synced" -- sync
stop_hub
hubcmd 0 "the state it replaced is in" -- restore "$dir/bk2" --config "$conf"
aside=$(find "$dir/hub" -mindepth 1 -maxdepth 1 -name 'before-restore-*' | head -1)
[ -n "$aside" ] && [ -f "$aside/replica.db" ] && [ -f "$aside/hub.key" ] && ok ||
    bad "the replaced state was not kept aside"
[ "$(hash_of "$dir/hub")" = "$bk2_hash" ] && ok || bad "the restored replica is not bk2"
[ "$(candidates hub)" = 3001 ] && ok || bad "the restored hub does not hold bk2's candidates"
hubcmd 0 "all 5 checks ok" -- check --config "$conf"

# The device sends again what the restored hub lacks; a new device then receives it.
start_hub "" --config "$conf"
on a 0 "synced" -- sync --hub "$addr"
[ "$(candidates hub)" = 3002 ] && ok || bad "the change made after the backup did not come back"
hubcmd 0 "enrollment" -- enroll --config "$conf" --org CB-01 --role cell --name "máy a2" --addr "$addr" \
    --out "$dir/a2.enroll"
on a2 0 "created" -- init
on a2 0 "enrolled" -- enroll "$dir/a2.enroll"
on a2 0 "synced" -- sync
on a2 0 "Lò Thị Hoa" -- candidate list
stop_hub

# A state directory copied by hand is no backup when its WAL holds writes.
cp -r "$dir/hub" "$dir/livecopy"
if [ -s "$dir/livecopy/replica.db-wal" ]; then
    hubcmd 1 "write-ahead log" -- restore "$dir/livecopy" --config "$conf"
fi

# check fails on a secret key others can read, and says which and why.
chmod 644 "$dir/hub/hub.key"
hubcmd 1 "hub.key' has mode 0644, must be 0600" -- check --config "$conf"
grep -q "^replica .*: ok$" "$out" && ok || bad "one failed check stopped the others"
chmod 600 "$dir/hub/hub.key"
hubcmd 0 "all 5 checks ok" -- check --config "$conf"

# A damaged database: check fails, a backup of it fails and leaves nothing, a restore
# from a damaged backup changes nothing.
mkdir "$dir/bad"
cp "$dir/hub/hub.key" "$dir/hub/hub.pub" "$dir/hub/replica.db" "$dir/bad/"
dd if=/dev/urandom of="$dir/bad/replica.db" bs=4096 seek=3 count=4 conv=notrunc 2>/dev/null
hubcmd 1 "replica .*FAILED" -- check --config "$conf" --state "$dir/bad"
hubcmd 1 "backup failed" -- backup --unencrypted "$dir/bk3" --config "$conf" --state "$dir/bad"
[ -e "$dir/bk3" ] && bad "a failed backup left its directory" || ok
any_named "$dir" '*tmp-*' && bad "a failed backup left its temp directory" || ok
before=$(hash_of "$dir/hub")
hubcmd 1 "the state is unchanged" -- restore "$dir/bad" --config "$conf"
[ "$(hash_of "$dir/hub")" = "$before" ] && ok || bad "a refused restore changed the hub"
hubcmd 2 "is an encrypted backup: give the recovery key" -- restore "$dir/tree.csv" --config "$conf"

# A configuration file with a typo fails its line; the other checks still run.
printf 'state = %s\nlisten = 127.0.0.1:0\nlisen = 1\n' "$dir/hub" >"$dir/typo.conf"
hubcmd 1 "typo.conf:3: unknown key 'lisen'" -- check --config "$dir/typo.conf" --state "$dir/hub"
grep -q "^key pair .*: ok$" "$out" && ok || bad "a bad configuration stopped the other checks"

summary
