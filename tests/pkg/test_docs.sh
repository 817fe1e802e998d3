#!/bin/sh
# SPDX-License-Identifier: MIT
# The hand-written documentation in packaging/ stays in step with the code:
# every command of both binaries has its section in its man page, every
# option a command's --help lists is in that page, every configuration key
# daemon/config.c reads is in packaging/cellsyncd.conf (commented, with its
# default) and in cellsyncd.conf(5), and the man pages render without a
# warning (groff -ww; man --warnings when man-db is installed).
set -u
cellsync=$1 cellsyncd=$2 src=$3
man=$src/packaging/man
fails=0 passes=0
ok() { passes=$((passes + 1)); }
bad() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
export LC_ALL=C.UTF-8
unset LANGUAGE LANG

# The commands a binary's help lists (without help and version).
commands() { "$1" help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' | grep -v '^help$\|^version$'; }
# The long options in a help text, as roff writes them (\-\-reply\-dir).
options() { grep -o -- '--[a-z][a-z0-9-]*' | sort -u | sed 's/-/\\-/g'; }
# has PAGE ROFF: the page holds the text.
has() { grep -qF -- "$2" "$man/$1"; }

for c in $(commands "$cellsyncd"); do
    has cellsyncd.8 ".SS \"cellsyncd $c" && ok || bad "cellsyncd.8 has no section for 'cellsyncd $c'"
    for o in $("$cellsyncd" "$c" --config /dev/null --help 2>&1 | options); do
        has cellsyncd.8 "$o" && ok || bad "cellsyncd.8 does not mention $o of 'cellsyncd $c'"
    done
done

for c in $(commands "$cellsync"); do
    has cellsync.1 ".SS \"cellsync $c" && ok || bad "cellsync.1 has no section for 'cellsync $c'"
    # A command with verbs lists them when run without one.
    # A command without verbs runs (`cellsync ui` serves until stopped): a few seconds only.
    verbs=$(timeout 3 "$cellsync" "$c" 2>&1 </dev/null |
        sed -n '/^verbs:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
    if [ -n "$verbs" ]; then
        for v in $verbs; do
            for o in $("$cellsync" "$c" "$v" --help 2>&1 | options); do
                has cellsync.1 "$o" && ok || bad "cellsync.1 does not mention $o of 'cellsync $c $v'"
            done
        done
    else
        for o in $("$cellsync" "$c" x --help 2>&1 | options); do
            has cellsync.1 "$o" && ok || bad "cellsync.1 does not mention $o of 'cellsync $c'"
        done
    fi
done

keys=$(sed -n 's/.*strcmp(key, "\([a-z_]*\)").*/\1/p' "$src/daemon/config.c")
[ -n "$keys" ] && ok || bad "no configuration keys found in daemon/config.c"
for k in $keys; do
    grep -q "^#$k = " "$src/packaging/cellsyncd.conf" && ok ||
        bad "packaging/cellsyncd.conf does not show '#$k = <default>'"
    has cellsyncd.conf.5 ".BI $k \" = " && ok || bad "cellsyncd.conf.5 does not describe '$k'"
done

for page in cellsync.1 cellsyncd.8 cellsyncd.conf.5; do
    if command -v groff >/dev/null 2>&1; then
        w=$(groff -ww -z -man "$man/$page" 2>&1)
        [ -z "$w" ] && ok || bad "groff warns on $page: $w"
    fi
    if command -v man >/dev/null 2>&1; then
        w=$(MANWIDTH=80 man --warnings -l "$man/$page" 2>&1 >/dev/null)
        [ -z "$w" ] && ok || bad "man warns on $page: $w"
    fi
done
command -v groff >/dev/null 2>&1 || echo "note: groff is not installed: the pages were not rendered"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
