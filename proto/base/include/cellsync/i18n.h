/* SPDX-License-Identifier: MIT */
/*
 * Translation of user-facing text (gettext, text domain "cellsync"). Source
 * strings are English; po/vi.po carries the Vietnamese. Wrap every message
 * a person reads in _() where it is printed, or N_() where it sits in a
 * static table and is passed through _() when printed. Stored values stay
 * codes; only their labels go through here.
 */
#ifndef CELLSYNC_I18N_H
#define CELLSYNC_I18N_H

#include <libintl.h>

#define CS_TEXT_DOMAIN "cellsync"
#define _(s)           dgettext(CS_TEXT_DOMAIN, s)
#define N_(s)          (s)

/*
 * setlocale(LC_ALL, "") and bindtextdomain: from $CELLSYNC_LOCALEDIR when
 * set (tests), else from the build tree's locale/ for a binary run from the
 * build tree, else the install prefix's share/locale.
 * LC_NUMERIC is put back to "C" so numbers never take a decimal comma.
 *
 * What a user sets to read Vietnamese:
 *  - On an installed system: LANG=vi_VN.UTF-8, with that locale generated
 *    (Debian package 'locales': uncomment vi_VN.UTF-8 in /etc/locale.gen and
 *    run locale-gen, or dpkg-reconfigure locales).
 *  - Where vi_VN is not generated: LANGUAGE=vi LANG=C.UTF-8. C.UTF-8 is
 *    built into glibc; LANGUAGE picks the catalog. glibc ignores LANGUAGE
 *    when the locale is plain "C" (LANG unset, LANG=C or LC_ALL=C), so
 *    LANGUAGE=vi alone is not enough. If the locale named in the environment
 *    does not exist, cs_i18n_init() falls back to C.UTF-8, so LANGUAGE=vi
 *    still works there.
 * LC_ALL, when set, overrides LANG; LANGUAGE overrides both for messages.
 */
void cs_i18n_init(void);

#endif
