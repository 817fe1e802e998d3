#!/bin/sh
# SPDX-License-Identifier: MIT
# What the programs leave on disk (F18 of the security review), through the real
# binaries, whatever the caller's umask: the laptop's data directory 0700 and its
# files 0600, the hub's reports 0600; a spent enrollment secret is gone from every
# file of the replica (secure_delete and a checkpoint), not left in free space or the
# write-ahead log; a bundle is never read through a symbolic link.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
umask 022

cat >"$dir/tree.csv" <<'CSV'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CSV
hubdo 0 "" -- init --org-tree "$dir/tree.csv"
hubdo 0 "written" -- enroll --org CB-01 --role cell --name "máy a" --addr 127.0.0.1:1 \
    --out "$dir/a.enroll"
secret=$(sed -n 's/^secret = //p' "$dir/a.enroll")
[ ${#secret} -eq 64 ] && ok || bad "no secret in the enrollment file"
on a 0 "created" -- init
on a 0 "enrolled" -- enroll "$dir/a.enroll"
on a 0 "added candidate" -- candidate add --name "Nguyễn Văn Sỹ" --birth-date 2000-03-15
[ "$(stat -c %a "$dir/a")" = 700 ] && ok || bad "the data directory is $(stat -c %a "$dir/a")"
wide=$(find "$dir/a" -maxdepth 1 -type f -perm /077 ! -name device.pub -printf '%m %f\n')
[ -z "$wide" ] && ok || bad "files of the laptop others can read: $wide"
# The secret, held until the hub takes the device's key: in the replica now.
grep -c "$secret" "$dir"/a/replica.db* >/dev/null && ok || bad "the secret is not where it was thought"

start_hub "$dir/hub"
on a 0 "synced" -- sync --hub "$addr"
stop_hub
equal "the secret is spent" "" "$(meta a enroll_secret)"
# Gone from every file of the replica: not in free space, not in the log.
left=$(cat "$dir"/a/replica.db* | grep -c "$secret")
equal "copies of the spent secret on disk" 0 "$left"
wide=$(find "$dir/a" -maxdepth 1 -type f -perm /077 ! -name device.pub -printf '%m %f\n')
[ -z "$wide" ] && ok || bad "files of the laptop others can read after a sync: $wide"

# The hub's report holds members' data: for its user alone.
hubdo 0 "" -- report targets --format html --out "$dir/r.html"
[ "$(stat -c %a "$dir/r.html")" = 600 ] && ok || bad "the report is $(stat -c %a "$dir/r.html")"
on a 0 "" -- report targets --format csv --out "$dir/a.csv"
[ "$(stat -c %a "$dir/a.csv")" = 600 ] && ok || bad "the laptop's report is $(stat -c %a "$dir/a.csv")"
wide=$(find "$dir/hub" -maxdepth 1 -type f -perm /077 ! -name hub.pub -printf '%m %f\n')
[ -z "$wide" ] && ok || bad "files of the hub others can read: $wide"

# A bundle through a symbolic link is refused, on the laptop as at the hub.
on a 0 "wrote" -- bundle export "$dir/a.bundle"
ln -s "$dir/a.bundle" "$dir/link.bundle"
hubdo 1 "is a symbolic link; give the file itself" -- import "$dir/link.bundle"
ln -s "$dir/a.bundle" "$dir/link.reply"
on a 1 "is a symbolic link; give the file itself" -- bundle import "$dir/link.reply"
summary
