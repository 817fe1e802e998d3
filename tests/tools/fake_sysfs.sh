#!/bin/sh
# SPDX-License-Identifier: MIT
# fake_sysfs.sh ROOT KIND PATH: builds under ROOT the part of a Linux /sys that
# `cellsync init` reads (client/disk.c) to tell whether PATH's filesystem is on an
# encrypted disk, with PATH's device (major:minor of its filesystem) as:
#   crypt  the Debian installer's "Guided - use entire disk and set up encrypted
#          LVM": an LVM volume (dm-1) on a LUKS device (dm-0, uuid CRYPT-LUKS2-...)
#          on the partition vda3
#   plain  the partition vda1 of the disk vda, nothing under it
#   mixed  an LVM volume over two partitions, one of them under LUKS, one not
# Point $CELLSYNC_SYSFS at ROOT. Links are relative, as the kernel's are.
set -e
root=$1 kind=$2 path=$3
dev=$(stat -c '%Hd:%Ld' "$path")
pci=devices/pci0000:00/0000:00:02.0/virtio1/block
mkdir -p "$root/dev/block" "$root/devices/virtual/block" "$root/$pci/vda"
: >"$root/$pci/vda/dev"
for p in vda1 vda2 vda3; do
    mkdir -p "$root/$pci/vda/$p"
    echo 1 >"$root/$pci/vda/$p/partition"
done
# dm-N [UUID [SLAVE...]]: a device-mapper device; a slave is a path under $root.
dm() {
    _d=$root/devices/virtual/block/$1
    mkdir -p "$_d/dm" "$_d/slaves"
    echo "$2" >"$_d/dm/uuid"
    shift 2
    for _s in "$@"; do ln -sfn "../../../../../$_s" "$_d/slaves/${_s##*/}"; done
}
case $kind in
crypt)
    dm dm-0 CRYPT-LUKS2-6c1b5a6e1f3a4c7e9d2b8a0f5e4d3c2b-vda3_crypt "$pci/vda/vda3"
    dm dm-1 LVM-kX2vQ9mZ0aYp4TgWc7nE1sR8uJ3oB6dLhF5iV2yN0xK4wM7jC9eG1tA3bU6qS8rP \
        devices/virtual/block/dm-0
    target=devices/virtual/block/dm-1
    ;;
plain) target=$pci/vda/vda1 ;;
mixed)
    dm dm-0 CRYPT-LUKS2-6c1b5a6e1f3a4c7e9d2b8a0f5e4d3c2b-vda3_crypt "$pci/vda/vda3"
    dm dm-1 LVM-kX2vQ9mZ0aYp4TgWc7nE1sR8uJ3oB6dLhF5iV2yN0xK4wM7jC9eG1tA3bU6qS8rP \
        devices/virtual/block/dm-0 "$pci/vda/vda2"
    target=devices/virtual/block/dm-1
    ;;
*)
    echo "fake_sysfs.sh: unknown kind '$kind'" >&2
    exit 2
    ;;
esac
ln -sfn "../../$target" "$root/dev/block/$dev"
