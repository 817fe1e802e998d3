#!/bin/sh
# SPDX-License-Identifier: MIT
# Fails when user-facing text bypasses gettext: msgscan (tests/tools/msgscan.c) reads
# every source of the binaries and the library and names each string literal passed to
# a message function (cs_errf, client_fail, cmd_fail, logf_, fprintf(stderr, ...),
# snprintf into an err or msg buffer...) outside _(), N_() or C_(). Text that no person
# reads (a file name tag, log keys) goes in tests/cli/untranslated.allow. The scanner
# is checked first on a sample, so a scanner that finds nothing cannot pass.
# usage: test_untranslated.sh MSGSCAN SOURCE_DIR
set -u
scan=$1 src=$2
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$dir/sample.c" <<'SAMPLE'
int f(char *err, size_t errlen, const char *path, int n)
{
    cs_errf(err, errlen, CS_EINVAL, "cannot open '%s'", path);
    cs_errf(err, errlen, CS_EINVAL, _("cannot read '%s'"), path);
    cs_errf(err, errlen, CS_EINVAL, "%s: %s", path, strerror(n));
    client_fail(n ? "no such "
                    "record"
                  : _("a record"));
    snprintf(msg, len, "field %d is empty", n);
    snprintf(path, len, "%s/hub.key", path);
    logf_("warn", NULL, "event=x file=\"%s\" count=%d", path, n);
    logf_("warn", NULL, "event=y reason=\"the disk is slow\"");
    fprintf(stderr, "cellsync: %s\n", path);
    fprintf(f, "not a message\n");
    return cmd_usage_error("report", NC_("x", "y"));
}
SAMPLE
expect 1 stdout "sample.c:3: cs_errf: \"cannot open '%s'\"" -- "$scan" "$dir/sample.c"
expect 1 stdout 'sample.c:6: client_fail: "no such record"' -- "$scan" "$dir/sample.c"
expect 1 stdout 'sample.c:9: snprintf: "field %d is empty"' -- "$scan" "$dir/sample.c"
expect 1 stdout 'sample.c:12: logf_: "event=y reason=\\"the disk is slow\\""' -- "$scan" "$dir/sample.c"
# Exactly those four: translated text, conversions, paths, log keys and other streams pass.
equal "findings in the sample" 4 "$(wc -l <"$out")"
printf '%s\tfield %%d is empty\n' "$dir/sample.c" >"$dir/allow"
expect 1 stdout "" -- "$scan" --allow "$dir/allow" "$dir/sample.c"
equal "findings in the sample with one allowed" 3 "$(wc -l <"$out")"

cd "$src" || exit 1
expect 0 stdout "" -- "$scan" --allow tests/cli/untranslated.allow proto/*/*.c client/*.c client/ui/*.c daemon/*.c
if [ "$got" -ne 0 ]; then
    echo "untranslated user-facing text (wrap it in _(), or N_() in a table, and translate it in po/vi.po):"
    sed 's/^/  /' "$out"
fi
summary
