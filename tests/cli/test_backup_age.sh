#!/bin/sh
# SPDX-License-Identifier: MIT
# Hub backups encrypted to an offline recovery key (review F5, first half),
# through the real binaries and the real `age` tool. A stolen backup used to
# hold hub.key and every record in plaintext; now `cellsyncd backup` refuses
# without a recovery public key and writes an age v1 file that holds neither
# the key's hex nor a record's value. Interoperation both ways proves the
# format exact: `age -d -i` opens ours and `tar -t` lists the files (with the
# rotation's hub.rotations and hub-old/ where they exist), and a file made by
# `age -r` is restored by us. A wrong key, a changed byte, a cut copy and a
# file that is no age file are each refused by name with the state unchanged;
# the good restore brings the hub back and the device syncs. Without `age`
# installed the interoperation is not checked, and the test reports itself
# skipped (77), never passed.
set -u
cellsync=$1 cellsyncd=$2 fixture=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
have_age=1
command -v age >/dev/null 2>&1 || have_age=0
# count FILE TEXT: how many lines of the raw FILE hold TEXT.
count() { grep -c -a -F -- "$2" "$1"; }
# state_of: what the state directory holds: the replica's hash and its names.
state_of() {
    echo "$(hash hub) $(find "$dir/hub" -mindepth 1 ! -name serve.lock | sort | tr '\n' ' ')"
}

cat >"$dir/tree.csv" <<'CSV'
id,parent,level,kind,name
XA-ML,,commune,commune,"Đảng bộ xã Mường Lý"
CB-01,XA-ML,cell,village,"Chi bộ bản Khe Ván"
CSV
hubdo 0 "created" -- init --org-tree "$dir/tree.csv"
start_hub "$dir/hub"
hubdo 0 "enrollment" -- enroll --org CB-01 --role cell --name "máy a" --addr "$addr" \
    --out "$dir/a.enroll"
on a 0 "created" -- init
on a 0 "enrolled" -- enroll "$dir/a.enroll"
name="Nguyễn Văn Sỹ" phone=0911000111
on a 0 "added candidate" -- candidate add --name "$name" --birth-date 2000-03-15
on a 0 "changed" -- candidate edit "$(added_id)" --phone "$phone"
on a 0 "synced" -- sync --hub "$addr"
equal "the hub holds the record" 1 \
    "$(hubsql "SELECT count(*) FROM candidate WHERE full_name = '$name'")"
# A rotated hub key leaves hub.rotations and hub-old/ (the retired key, the audit key).
old=$(sed -n 2p "$dir/hub/hub.pub" | cut -c1-16)
stop_hub
hubdo 0 "rotated the hub key" -- key rotate
start_hub "$dir/hub"
on a 0 "now trusts the hub's new key" -- sync --hub "$addr"
keyhex=$(grep -v '^#' "$dir/hub/hub.key" | tr -d ' \n')
[ ${#keyhex} -ge 64 ] && ok || bad "hub.key has no hex to look for: '$keyhex'"

# ---- no recovery key, no backup; the plain form only when asked for ----
hubdo 1 "recovery-key new FILE" -- backup "$dir/none.age"
[ -e "$dir/none.age" ] && bad "a refused backup left a file" || ok

# ---- the recovery key, made offline ----
mkdir "$dir/stick"
rk=$dir/stick/recovery.key
hubcmd 0 "keep it offline" -- recovery-key new "$rk"
grep -q "Never keep it on the" "$out" && ok || bad "recovery-key says nothing of the hub"
pub=$(cat "$rk.pub")
case $pub in age1*) ok ;; *) bad "FILE.pub is not an age1 key: $pub" ;; esac
grep -q "$pub" "$out" && ok || bad "recovery-key did not print the public key"
equal "the recovery key's mode" 600 "$(stat -c %a "$rk")"
grep -q "^# public key: $pub\$" "$rk" && grep -q '^AGE-SECRET-KEY-1[0-9A-Z]*$' "$rk" && ok ||
    bad "the recovery key is not in age's identity layout"
hubcmd 1 "file exists" -- recovery-key new "$rk"
equal "the recovery key after a second 'new'" "$pub" "$(cat "$rk.pub")"

# ---- the encrypted backup, while the hub serves ----
hubdo 0 "encrypted to the recovery key $pub" -- backup --to "$rk.pub" "$dir/b1.age"
grep -q "hub.rotations, hub-old/ (1 retired keys)" "$out" && ok ||
    bad "the backup did not carry the rotation: $(cat "$out")"
equal "the backup's mode" 600 "$(stat -c %a "$dir/b1.age")"
equal "the backup's first line" "age-encryption.org/v1" "$(head -n 1 "$dir/b1.age")"
any=$(find "$dir" "$dir/hub" -mindepth 1 -maxdepth 1 -name '*tmp*' | head -n 1)
[ -z "$any" ] && ok || bad "the backup left a temp file: $any"
for v in "$keyhex" "$name" "$phone" "Khe Ván" "SQLite format 3"; do
    equal "lines of the backup holding '$v'" 0 "$(count "$dir/b1.age" "$v")"
done
# The recipient from the configuration, as its age1 line itself.
printf 'state = %s\nbackup_recipient = %s\n' "$dir/hub" "$pub" >"$dir/hub.conf"
hubcmd 0 "encrypted to the recovery key $pub" -- backup "$dir/b2.age" --config "$dir/hub.conf"
hubcmd 1 "already exists" -- backup "$dir/b2.age" --config "$dir/hub.conf"
hubdo 1 "not an age public key" -- backup --to age1notakey "$dir/b3.age"
# The plain form, for the links below.
hubdo 0 "integrity ok" -- backup --unencrypted "$dir/plain"

# ---- the real age tool opens it, and makes one we restore ----
if [ $have_age -eq 1 ]; then
    age -d -i "$rk" -o "$dir/b1.tar" "$dir/b1.age" 2>"$err" && ok ||
        bad "age -d did not open the backup: $(cat "$err")"
    tar -tf "$dir/b1.tar" | sort >"$dir/list"
    printf '%s\n' hub-old/ "hub-old/$old.key" hub-old/audit.key hub.key hub.pub hub.rotations \
        replica.db |
        sort >"$dir/want"
    cmp -s "$dir/list" "$dir/want" && ok || bad "tar -t lists: $(tr '\n' ' ' <"$dir/list")"
    mkdir "$dir/x"
    tar -xf "$dir/b1.tar" -C "$dir/x" && ok || bad "tar -x failed"
    # The checks above could see plaintext: here it is, inside.
    [ "$(count "$dir/x/replica.db" "$name")" -gt 0 ] && ok || bad "the archive lacks the record"
    cmp -s "$dir/x/hub.key" "$dir/hub/hub.key" && ok || bad "the archive's hub.key differs"
    cmp -s "$dir/x/hub-old/$old.key" "$dir/hub/hub-old/$old.key" && ok ||
        bad "the archive's retired key differs"
    # A backup made by hand: GNU tar and age -r, to our recipient.
    tar -cf - -C "$dir/x" replica.db hub.key hub.pub hub.rotations hub-old |
        age -r "$pub" -o "$dir/byage.age" &&
        ok || bad "age -r failed"
fi

# ---- refusals: each named, the state unchanged ----
stop_hub
s0=$(state_of)
hubcmd 0 "" -- recovery-key new "$dir/other.key"
hubdo 1 "not encrypted to this key" -- restore --key "$dir/other.key" "$dir/b1.age"
equal "the state after the wrong key" "$s0" "$(state_of)"
cp "$dir/b1.age" "$dir/flipped.age"
size=$(stat -c %s "$dir/b1.age")
# The middle byte, one bit changed (whatever it was: writing a fixed byte could rewrite it as it was).
was=$(dd if="$dir/b1.age" bs=1 skip=$((size / 2)) count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
# shellcheck disable=SC2059 # the format is the octal escape of the new byte
printf "\\$(printf %03o $((was ^ 1)))" | dd of="$dir/flipped.age" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
cmp -s "$dir/b1.age" "$dir/flipped.age" && bad "the byte did not change" || ok
hubdo 1 "was modified" -- restore --key "$rk" "$dir/flipped.age"
equal "the state after a changed byte" "$s0" "$(state_of)"
head -c $((size - 1000)) "$dir/b1.age" >"$dir/cut.age"
hubdo 1 "cut short" -- restore --key "$rk" "$dir/cut.age"
equal "the state after a cut copy" "$s0" "$(state_of)"
hubdo 1 "not an age file" -- restore --key "$rk" "$dir/tree.csv"
equal "the state after a file that is no backup" "$s0" "$(state_of)"
hubdo 2 "give the recovery key with --key" -- restore "$dir/b1.age"
hubdo 1 "is not an age secret key" -- restore --key "$rk.pub" "$dir/b1.age"
equal "the state after the public key as --key" "$s0" "$(state_of)"
# A plain backup directory whose retired key, or hub.key, is a link to another
# file of the machine (restore runs as root): refused by name, nothing copied.
echo "TOPSECRET-of-the-machine" >"$dir/secret"
chmod 600 "$dir/secret"
for f in "hub-old/$old.key" hub.key; do
    rm -rf "$dir/linked"
    cp -a "$dir/plain" "$dir/linked"
    rm "$dir/linked/$f"
    ln -s "$dir/secret" "$dir/linked/$f"
    hubdo 1 "'$dir/linked/$f' is not a plain file" -- restore "$dir/linked"
    equal "the state after a backup with $f a link" "$s0" "$(state_of)"
    equal "files of the state holding the linked file's text" 0 \
        "$(grep -rl TOPSECRET "$dir/hub" | wc -l)"
done

# ---- what age made is restored by us; the real backup brings the hub back ----
if [ $have_age -eq 1 ]; then
    hubdo 0 "restored '$dir/byage.age'" -- restore --key "$rk" "$dir/byage.age"
    hubdo 0 "restored '$dir/x'" -- restore "$dir/x"
fi
on a 0 "added candidate" -- candidate add --name "Lò Thị Hoa" --birth-date 1999-05-01
hubdo 0 "restored '$dir/b1.age' into" -- restore --key "$rk" "$dir/b1.age"
equal "the restored hub's record" 1 \
    "$(hubsql "SELECT count(*) FROM candidate WHERE full_name = '$name'")"
any=$(find "$dir/hub" -mindepth 1 -maxdepth 1 -name '*tmp*' | head -n 1)
[ -z "$any" ] && ok || bad "the restore left a temp directory: $any"
start_hub "$dir/hub"
on a 0 "synced" -- sync --hub "$addr"
equal "the device's new record at the restored hub" 1 \
    "$(hubsql "SELECT count(*) FROM candidate WHERE full_name = 'Lò Thị Hoa'")"
stop_hub

if [ $have_age -eq 0 ] && [ "$fails" -eq 0 ]; then
    summary
    skip "the age tool is not installed (apt-get install age): interoperation not checked"
fi
summary
