#!/bin/sh
# SPDX-License-Identifier: MIT
# Text as people type and read it, through the real binary in a temp data
# directory: names typed with combining marks (NFD) are stored as NFC, text
# that is not UTF-8 is refused naming the field.
# Usage: test_text.sh PATH/TO/cellsync
set -u
cellsync=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# The patterns below are English: whatever locale ran ctest, use the source text.
LC_ALL=C
CELLSYNC_HOME=$dir/home
export LC_ALL CELLSYNC_HOME
mkdir "$CELLSYNC_HOME"

expect 0 stdout "created the records" -- "$cellsync" init

# ---- NFC ----
# "Nguyễn Văn Sỹ" as Unikey's "Unicode tổ hợp" types it (e, circumflex, tilde; a, breve;
# y, tilde), and as it must be stored: precomposed, the bytes every other keyboard sends.
nfd=$(printf 'Nguye\314\202\314\203n Va\314\206n Sy\314\203')
nfc=$(printf 'Nguy\341\273\205n V\304\203n S\341\273\271')
expect 0 stdout "^added member [0-9a-f]\{8\}\$" -- "$cellsync" member add --name "$nfd" \
    --hometown "$(printf 'Ba\314\200 Ra\314\243')" --birth-date 2000-03-15
sy=$(added_id)
expect 0 stdout "\"full_name\":\"$nfc\"" -- "$cellsync" member list --json
expect 0 stdout "^home town: *$(printf 'B\303\240 R\341\272\241')\$" -- "$cellsync" member show "$sy"
check "the stored name has no combining mark" sh -c "! grep -q \"\$(printf '\314')\" '$out'"
expect 0 stdout "^updated member $sy\$" -- "$cellsync" member edit "$sy" \
    --note "$(printf 'Ghi chu\314\201')"
expect 0 stdout "\"note\":\"$(printf 'Ghi ch\303\272')\"" -- "$cellsync" member show "$sy" --json
# A name typed in another encoding (TCVN3, Latin-1) is refused, naming the field; nothing
# is stored.
expect 1 stderr "full name: the text is not UTF-8" -- "$cellsync" member add \
    --name "$(printf 'Nguy\352n')"
expect 1 stderr "home town: the text is not UTF-8" -- "$cellsync" member edit "$sy" \
    --hometown "$(printf 'H\340 N\364i')"
expect 0 stdout "^home town: *$(printf 'B\303\240 R\341\272\241')\$" -- "$cellsync" member show "$sy"

summary
