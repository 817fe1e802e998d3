/* SPDX-License-Identifier: MIT */
/*
 * Start-up of message translation. The catalogs are looked up under
 * $CELLSYNC_LOCALEDIR when it is set (tests); else, for a binary run from the
 * build tree, in the build tree's locale/ beside the binary's folder; else
 * under the install prefix's locale directory. They are always handed out as
 * UTF-8, whatever the locale's own codeset.
 */
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellsync/i18n.h"

#ifndef CS_LOCALEDIR
#error "CS_LOCALEDIR must be defined by the build (proto/CMakeLists.txt)"
#endif

/*
 * The build tree puts the binaries in client/ and daemon/ and the compiled
 * catalogs in locale/ beside them (po/CMakeLists.txt), so a binary that is
 * not installed finds its own at "<its folder>/../locale". An installed one
 * (/usr/bin, /usr/sbin) has no such folder and gets the install prefix's.
 * Writes the folder into buf and returns 1 when it exists, else 0.
 */
static int
beside_executable(char *buf, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return 0;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return 0;
    *slash = '\0';
    struct stat st;
    size_t len = strlen(exe);
    if (len + sizeof "/../locale/vi/LC_MESSAGES/" CS_TEXT_DOMAIN ".mo" > cap)
        return 0;
    memcpy(buf, exe, len);
    memcpy(buf + len, "/../locale", sizeof "/../locale");
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * When the locale the environment names is not generated here, messages
 * would fall back to English although the person asked for Vietnamese
 * (LANG=vi_VN.UTF-8 on a machine without the 'locales' package set up).
 * gettext still honours LANGUAGE under C.UTF-8, so the language part of the
 * name ("vi_VN" of "vi_VN.UTF-8@x") becomes LANGUAGE when none is set.
 */
static void
keep_language(void)
{
    const char *lang = getenv("LANGUAGE");
    if (lang != NULL && lang[0] != '\0')
        return;
    const char *vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v == NULL || v[0] == '\0')
            continue;
        char name[64];
        size_t n = strcspn(v, ".@");
        if (n == 0 || n >= sizeof name)
            return;
        memcpy(name, v, n);
        name[n] = '\0';
        if (strcmp(name, "C") != 0 && strcmp(name, "POSIX") != 0)
            setenv("LANGUAGE", name, 1);
        return;
    }
}

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
    if (setlocale(LC_MESSAGES, "") == NULL) {
        setlocale(LC_MESSAGES, "C.UTF-8");
        keep_language();
    }

    char beside[PATH_MAX];
    const char *dir = getenv("CELLSYNC_LOCALEDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = beside_executable(beside, sizeof beside) ? beside : CS_LOCALEDIR;
    bindtextdomain(CS_TEXT_DOMAIN, dir);
    bind_textdomain_codeset(CS_TEXT_DOMAIN, "UTF-8");
}

const char *
cs_gettext(const char *msgid)
{
    const char *t = dgettext(CS_TEXT_DOMAIN, msgid);
    if (t != msgid)
        return t;
    /* Untranslated NC_() string: show the msgid, not its context. */
    const char *eot = strchr(msgid, '\004');
    return eot != NULL ? eot + 1 : msgid;
}

const char *
cs_pgettext(const char *ctx, const char *msgid)
{
    /* A catalog keys a msgid with a context as "ctx\004msgid" (GNU gettext). */
    char key[512];
    int n = snprintf(key, sizeof key, "%s\004%s", ctx, msgid);
    if (n < 0 || (size_t)n >= sizeof key)
        return msgid;
    const char *t = dgettext(CS_TEXT_DOMAIN, key);
    return t == key ? msgid : t;
}
