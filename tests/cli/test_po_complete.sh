#!/bin/sh
# SPDX-License-Identifier: MIT
# Fails when a string marked with _() or N_() in the sources has no finished
# translation in the given .po file: extracts the strings afresh (as
# `make pot` does, keep the xgettext options alike), merges the .po file
# against them and asks for untranslated and fuzzy messages. Obsolete
# entries, strings no source uses any more, do not count.
# usage: test_po_complete.sh SOURCE_DIR PO_FILE
set -eu
src=$1 po=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$src"
xgettext --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ \
    --add-comments=TRANSLATORS: --package-name=cellsync \
    -o "$tmp/cellsync.pot" proto/src/*.c proto/include/cellsync/schema.h client/*.c daemon/*.c
msgmerge --quiet --previous -o "$tmp/merged.po" "$po" "$tmp/cellsync.pot"

fails=0
untranslated=$(msgattrib --untranslated --no-obsolete "$tmp/merged.po")
if [ -n "$untranslated" ]; then
    echo "FAIL: untranslated in $po (run 'make pot' and translate):"
    printf '%s\n' "$untranslated" | sed 's/^/  /'
    fails=1
fi
fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$tmp/merged.po")
if [ -n "$fuzzy" ]; then
    echo "FAIL: fuzzy in $po (check the translation, then drop the fuzzy flag):"
    printf '%s\n' "$fuzzy" | sed 's/^/  /'
    fails=1
fi
msgfmt --check --statistics -o /dev/null "$tmp/merged.po" || fails=1
[ "$fails" -eq 0 ] && echo "$po: complete"
exit "$fails"
