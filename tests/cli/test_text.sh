#!/bin/sh
# SPDX-License-Identifier: MIT
# Text as people type and read it, through the real binary in a temp data
# directory: names typed with combining marks (NFD) are stored as NFC, text
# that is not UTF-8 is refused naming the field.
# Records are chosen by any unique start of the id a list shows, the start of the whole
# id, or a unique name without tone marks or case; an ambiguous one lists the matches.
# A search that finds nothing says so.
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

# ---- ids and names ----
# The id a list shows, the start of it, the start of the whole id (git's way), a name.
expect 0 stdout "^added member [0-9a-f]\{8\}\$" -- "$cellsync" member add --name 'Trần Văn Bình' \
    --birth-date 02/01/1980 --status official --official-on 2010-01-01
b1=$(added_id)
expect 0 stdout "^added member [0-9a-f]\{8\}\$" -- "$cellsync" member add --name 'Trần văn Binh' \
    --birth-date 03/02/1981
b2=$(added_id)
full=$("$cellsync" member list --json | sed -n 's/.*"id":"\([0-9a-f-]*'"$sy"'\)".*/\1/p')
equal "the whole id of $sy" 36 "${#full}"
expect 0 stdout "^id: *$sy\$" -- "$cellsync" member show "$sy"
expect 0 stdout "^id: *$sy\$" -- "$cellsync" member show "$(echo "$sy" | cut -c1-5)"
expect 0 stdout "^id: *$sy\$" -- "$cellsync" member show "$(echo "$sy" | tr a-f A-F)"
expect 0 stdout "^id: *$sy\$" -- "$cellsync" member show "$full"
expect 0 stdout "^id: *$sy\$" -- "$cellsync" member show "$(echo "$full" | cut -c1-24)"
expect 0 stdout "^id: *$sy\$" -- "$cellsync" member show "$nfc"
expect 0 stdout "^id: *$sy\$" -- "$cellsync" member show 'nguyen van sy'
expect 0 stdout "^id: *$sy\$" -- "$cellsync" member show "$nfd"
expect 0 stdout "^updated member $sy\$" -- "$cellsync" member edit 'NGUYỄN VĂN SỸ' --phone 0912000111
# Two people whose names differ only in tone marks and case: both listed, by birth date.
expect 1 stderr "more than one member is named 'tran van binh'; give the id of one of them:" -- \
    "$cellsync" member show 'tran van binh'
expect 1 stderr "^  $b1  Trần Văn Bình  02/01/1980\$" -- "$cellsync" member show 'tran van binh'
expect 1 stderr "^  $b2  Trần văn Binh  03/02/1981\$" -- "$cellsync" member show 'Trần Văn Bình'
expect 1 stderr "more than one member has an id matching" -- "$cellsync" member show \
    "$(echo "$full" | cut -c1-4)"
expect 1 stderr "'Văn' is not a record id or the name of a member" -- "$cellsync" member show Văn
# A person named where an id is asked for: the helper by name.
expect 0 stdout "^added candidate [0-9a-f]\{8\}\$" -- "$cellsync" candidate add --name 'Lò Văn Páo'
pao=$(added_id)
expect 1 stderr "more than one member is named" -- "$cellsync" candidate advance "$pao" \
    --to helper_assigned --helper 'Tran Van Binh'
expect 0 stdout "^added member [0-9a-f]\{8\}\$" -- "$cellsync" member add --name 'Hoàng Văn Nam' \
    --status official --official-on 2012-05-01
nam=$(added_id)
expect 0 stdout "helper assigned" -- "$cellsync" candidate advance 'lo van pao' \
    --to helper_assigned --helper 'hoang van nam'
expect 0 stdout '"helper":"[0-9a-f-]*'"$nam"'"' -- "$cellsync" candidate show "$pao" --json

# ---- search ----
expect 0 stdout "^member  $sy  $nfc" -- "$cellsync" search nguyen van sy
expect 0 stdout "^no candidate, member or meeting matches 'xyzabc khong'\$" -- "$cellsync" search \
    xyzabc khong
check "search with no match prints no table header" sh -c "! grep -q '^kind' '$out'"
expect 0 stdout '^\[\]$' -- "$cellsync" search --json xyzabc

summary
