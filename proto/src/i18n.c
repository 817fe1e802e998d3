/* SPDX-License-Identifier: MIT */
/*
 * Start-up of message translation. The catalogs are looked up under
 * $CELLSYNC_LOCALEDIR when it is set (the build tree, tests) and under the
 * install prefix's locale directory otherwise; they are always handed out as
 * UTF-8, whatever the locale's own codeset.
 */
#include <locale.h>
#include <stdlib.h>

#include "cellsync/i18n.h"

#ifndef CS_LOCALEDIR
#error "CS_LOCALEDIR must be defined by the build (proto/CMakeLists.txt)"
#endif

void
cs_i18n_init(void)
{
    /*
     * Only the two categories the programs use: character classes and
     * widths (LC_CTYPE) and messages (LC_MESSAGES). Loading all twelve took
     * a quarter of a millisecond of every command (BENCHMARKS.md, section
     * 6). The others stay "C": numbers are read and written in files, SQL
     * and on the wire and keep the C decimal point (vi_VN writes 1,5) while
     * messages are translated, and dates are only ever written as digits.
     *
     * A locale named in the environment but not generated on this machine
     * (LANG=vi_VN.UTF-8 without the Debian package 'locales' set up) makes
     * setlocale() fail and leaves "C", in which glibc ignores LANGUAGE and
     * cannot measure UTF-8 text. C.UTF-8 is built into glibc: falling back
     * to it keeps LANGUAGE=vi working and the text UTF-8.
     */
    if (setlocale(LC_CTYPE, "") == NULL)
        setlocale(LC_CTYPE, "C.UTF-8");
    if (setlocale(LC_MESSAGES, "") == NULL)
        setlocale(LC_MESSAGES, "C.UTF-8");

    const char *dir = getenv("CELLSYNC_LOCALEDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = CS_LOCALEDIR;
    bindtextdomain(CS_TEXT_DOMAIN, dir);
    bind_textdomain_codeset(CS_TEXT_DOMAIN, "UTF-8");
}
