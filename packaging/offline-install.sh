#!/bin/sh
# SPDX-License-Identifier: MIT
# install.sh of the offline installer folder (packaging/offline.sh copies it there):
# installs cellsync from the .debs beside it, with no package archive and no network:
#   sudo sh install.sh
# apt-get sees these .debs only (no sources: an empty source list), works
# out the order and checks every dependency before it changes anything (no
# --no-download: with local .debs it stops on an internal error in apt 2.6; with no
# sources there is nothing to download anyway). The cellsync
# packages are always installed (a newer version on the stick upgrades the laptop);
# another .deb only when its package is not installed at all, so the laptop's own
# libraries are never upgraded or downgraded from the stick, and nothing is removed
# (--no-remove: apt-get stops instead).
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
installed() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed; }

set --
for deb in "$dir"/*.deb; do
    pkg=$(dpkg-deb -f "$deb" Package)
    case $pkg in
    cellsync | cellsync-common) set -- "$@" "$deb" ;;
    *) installed "$pkg" || set -- "$@" "$deb" ;;
    esac
done
empty=$(mktemp -d)
trap 'rm -rf "$empty"' EXIT
: >"$empty/sources.list"
apt-get install -y --no-remove --no-install-recommends \
    -o Dir::Etc::SourceList="$empty/sources.list" -o Dir::Etc::SourceParts="$empty" \
    "$@"
