#!/bin/sh
# SPDX-License-Identifier: MIT
# `make demo`: runs what exists of cellsync end to end, from a build directory.
# Today that is the protocol layer: a cell's 100 edits become a signed,
# encrypted change set addressed to the hub, which opens and checks it. The
# field client and the hub daemon join this script as they are written.
set -eu
build=${1:-build}
echo "== the two binaries"
"$build/client/cellsync" --version
"$build/daemon/cellsyncd" --version
echo
echo "== a cell's change set, sealed to the hub and opened there"
"$build/bench/bench_changeset_size"
