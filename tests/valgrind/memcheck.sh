#!/bin/sh
# SPDX-License-Identifier: MIT
# memcheck.sh BINARY [ARGS]: runs BINARY under valgrind memcheck (make test-valgrind).
# Any memory error or definitely/indirectly lost block makes it exit 99; the report goes
# to a file of its own in $CS_VALGRIND_LOGS (not to stderr, which the tests read), so a
# hub whose exit status a test never looks at is checked too: the make target fails on
# any non-empty log. Possibly lost and still reachable blocks are not errors (a process
# may keep what it needs until exit). No inlined frames in the stacks (the Debug build
# inlines nothing of ours): some 8% less CPU, most of which goes to starting the process.
# No suppressions: sqlite, libsodium, libuv, msgpack-c and zstd as Debian 12 builds them
# give memcheck nothing to report in these tests.
set -eu
bin=$1
shift
logs=${CS_VALGRIND_LOGS:-${TMPDIR:-/tmp}/cellsync-valgrind}
mkdir -p "$logs"
# shellcheck disable=SC2086 # CS_VALGRIND_FLAGS: more options, one word each
exec valgrind --tool=memcheck --quiet --error-exitcode=99 \
    --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --num-callers=40 --read-inline-info=no \
    --log-file="$logs/$(basename "$bin").%p.log" ${CS_VALGRIND_FLAGS:-} "$bin" "$@"
