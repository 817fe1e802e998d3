#!/bin/sh
# SPDX-License-Identifier: MIT
# The binaries' front door: --version and --help go to stdout with exit 0,
# usage errors go to stderr with exit 2 and name what was wrong.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# The patterns below are English: whatever locale ran ctest, use the source text.
export LC_ALL=C

for bin in "$1" "$2"; do
    prog=$(basename "$bin")
    expect 0 stdout "^$prog [0-9][0-9.]*\$" -- "$bin" --version
    expect 0 stdout "^$prog [0-9][0-9.]*\$" -- "$bin" version
    expect 0 stdout "^usage: $prog" -- "$bin" --help
    expect 0 stdout "^usage: $prog" -- "$bin" help
    expect 0 stdout "^usage: $prog version" -- "$bin" help version
    expect 0 stdout "^usage: $prog help" -- "$bin" help --help
    expect 2 stderr "^usage: $prog" -- "$bin"
    expect 2 stderr "unknown command 'frobnicate'" -- "$bin" frobnicate
    expect 2 stderr "unknown command 'frobnicate'" -- "$bin" help frobnicate
    expect 2 stderr "^usage: $prog version" -- "$bin" version extra
done
summary
