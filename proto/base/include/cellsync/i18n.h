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
#define _(s)           cs_gettext(s)
#define N_(s)          (s)

/*
 * A msgid with a context, for a short word that means two things ("applied":
 * a stage of admission, and how far a device's sync has got). C_(ctx, s)
 * translates at once. NC_(ctx, s) marks a table entry: it is the catalog's
 * own key for the pair, ctx "\004" s, and _() of it gives the translation,
 * or s without its context where there is none. xgettext needs
 * --keyword=C_:1c,2 --keyword=NC_:1c,2 (the Makefile's pot rule and
 * tests/cli/test_po_complete.sh). Only pass an NC_() string through _().
 */
#define C_(ctx, s)  cs_pgettext(ctx, s)
#define NC_(ctx, s) ctx "\004" s

/* dgettext() in the "cellsync" domain, for a msgid with or without NC_()'s context. */
const char *cs_gettext(const char *msgid) __attribute__((format_arg(1)));

/* The translation of msgid under msgctxt ctx, or msgid itself when it has none. */
const char *cs_pgettext(const char *ctx, const char *msgid) __attribute__((format_arg(2)));

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
