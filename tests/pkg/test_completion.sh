#!/bin/sh
# SPDX-License-Identifier: MIT
# The bash completion (packaging/completion/cellsync, installed for both commands)
# against the built programs: sourced in a real bash, its function called the way
# bash calls it (COMP_WORDS, COMP_CWORD), it must offer every command the program's
# help lists, a command's verbs, a verb's options, the codes of a code option, the
# choices of --format, and file names for --out and --state. It reads all of that
# from the programs' help at the moment of completion; this test fails when the
# help changes in a way the completion no longer reads.
set -u
cellsync=$1 cellsyncd=$2 src=$3
comp=$src/packaging/completion/cellsync
fails=0 passes=0
ok() { passes=$((passes + 1)); }
bad() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
command -v bash >/dev/null 2>&1 || {
    echo "SKIPPED: test_completion: no bash on this machine"
    exit 77
}
export LC_ALL=C.UTF-8
unset LANGUAGE LANG
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# complete WORD...: what the completion offers for the last word, one per line.
complete_words() {
    bash -c '
        . "$0" || exit 3
        [ "$(complete -p cellsync)" = "complete -F _cellsync cellsync" ] || exit 4
        [ "$(complete -p cellsyncd)" = "complete -F _cellsync cellsyncd" ] || exit 4
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        _cellsync || exit 5
        printf "%s\n" "${COMPREPLY[@]}"' "$comp" "$@"
}
# offers WANT WORD...: the completion of WORD... offers every word of WANT.
offers() {
    want=$1
    shift
    got=$(complete_words "$@") || {
        bad "completing '$*' failed (exit $?)"
        return
    }
    for w in $want; do
        printf '%s\n' "$got" | grep -qxF -- "$w" && ok ||
            bad "completing '$*' does not offer '$w'; it offers: $(printf "%s" "$got" | tr "\n" " ")"
    done
}
# offers_only WANT WORD...: exactly the words of WANT, in any order.
offers_only() {
    want=$1
    shift
    got=$(complete_words "$@" | sort | tr '\n' ' ')
    # shellcheck disable=SC2086 # $want: words
    exp=$(printf '%s\n' $want | sort | tr '\n' ' ')
    [ "$got" = "$exp" ] && ok || bad "completing '$*' offers '$got', not '$exp'"
}

# (a) every command of each program's help, at the first word and after help.
for prog in "$cellsync" "$cellsyncd"; do
    cmds=$("$prog" help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
    [ "$(echo "$cmds" | wc -l)" -ge 10 ] && ok || bad "$prog help lists too few commands: $cmds"
    offers_only "$cmds" "$prog" ""
    offers "$cmds" "$prog" help ""
done
offers_only "candidate" "$cellsync" cand
offers_only "--help --version" "$cellsync" --

# (b) verbs and options.
offers "add list show edit advance withdraw" "$cellsync" candidate ""
offers "add list show edit" "$cellsync" member ""
offers "members candidates" "$cellsync" import ""
offers_only "targets pipeline due members all" "$cellsync" report ""
offers_only "targets pipeline due members sync all" "$cellsyncd" report ""
offers_only "add remove list" "$cellsyncd" holiday ""
offers "sync status export import" "$cellsyncd" upstream ""
offers "--name --sex --birth-date --source --stage --force --reason --help" "$cellsync" candidate add --
offers_only "--sex --source --sponsor --sponsor1-months --sponsor2 --sponsor2-months --stage" \
    "$cellsync" candidate add --s
offers "--json --stage --all" "$cellsync" candidate list --
offers "--org --year --format --out --section --sql" "$cellsync" report all --
offers "--org-tree --upstream --state --config" "$cellsyncd" init --
offers "--org --role --name --out --code" "$cellsyncd" enroll --

# (c) codes: each code list the client's help gives, and a few by name.
offers_only "male female" "$cellsync" candidate add --sex ""
offers_only "female" "$cellsync" member add --sex=f
offers_only "male female" "$cellsync" candidate edit --sex = ""
offers "youth_union militia teacher student non_state_worker farmer_business other" \
    "$cellsync" candidate add --source ""
offers "identified helper_assigned applied decision ceremony official withdrawn" \
    "$cellsync" candidate list --stage ""
offers_only "probationary official transferred_out struck_off deceased" \
    "$cellsync" member add --status ""
offers_only "regular thematic" "$cellsync" meeting add --kind ""
offers_only "current other" "$cellsync" conflicts resolve --pick ""
offers_only "cell committee hub" "$cellsyncd" enroll --role ""
# --format: the choices the usage line gives, whatever they are today.
for prog in "$cellsync" "$cellsyncd"; do
    formats=$("$prog" report --help | grep -o -- '--format [a-z|]*|[a-z|]*' | head -n 1 | cut -d' ' -f2 | tr '|' ' ')
    [ -n "$formats" ] && ok || bad "$prog report --help has no --format a|b|c"
    offers_only "$formats" "$prog" report all --format ""
done

# Files for --out, --state, --config and the files a command takes.
mkdir "$tmp/statedir"
: >"$tmp/report-one.html"
offers_only "$tmp/report-one.html" "$cellsync" report all --out "$tmp/report-"
offers_only "$tmp/statedir" "$cellsyncd" check --state "$tmp/state"
offers_only "$tmp/report-one.html" "$cellsyncd" serve --config "$tmp/rep"
offers_only "$tmp/report-one.html" "$cellsync" import members "$tmp/rep"
# A free-text option offers nothing (not file names).
offers_only "" "$cellsync" candidate add --name ""

echo "test_completion: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
