#!/bin/sh
# SPDX-License-Identifier: MIT
# Fails when a string marked with _() or N_() in the sources has no finished
# translation in the given .po file: extracts the strings afresh (as
# `make pot` does, keep the xgettext options alike), merges the .po file
# against them and asks for untranslated and fuzzy messages. Obsolete
# entries, strings no source uses any more, do not count.
# usage: test_po_complete.sh SOURCE_DIR PO_FILE
set -u
src=$1 po=$2
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cd "$src" || exit 1
xgettext --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ \
    --keyword=C_:1c,2 --keyword=NC_:1c,2 \
    --add-comments=TRANSLATORS: --package-name=cellsync \
    -o "$dir/cellsync.pot" proto/*/*.c proto/domain/include/cellsync/schema.h \
    proto/base/include/cellsync/error.h client/*.c client/ui/*.c daemon/*.c || exit 1
msgmerge --quiet --previous -o "$dir/merged.po" "$po" "$dir/cellsync.pot" || exit 1

untranslated=$(msgattrib --untranslated --no-obsolete "$dir/merged.po")
if [ -z "$untranslated" ]; then
    ok
else
    bad "untranslated in $po (run 'make pot' and translate):"
    printf '%s\n' "$untranslated" | sed 's/^/  /'
fi
fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$dir/merged.po")
if [ -z "$fuzzy" ]; then
    ok
else
    bad "fuzzy in $po (check the translation, then drop the fuzzy flag):"
    printf '%s\n' "$fuzzy" | sed 's/^/  /'
fi
check "msgfmt --check of $po merged with the sources" \
    msgfmt --check --statistics -o /dev/null "$dir/merged.po"
[ "$fails" -eq 0 ] && echo "$po: complete"
summary
