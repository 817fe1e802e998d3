/* SPDX-License-Identifier: MIT */
/*
 * Small checks and mappings every part needs alike: the UTF-8 rule for
 * text that crosses a boundary and the form text is stored in, SQLite's
 * result codes in our terms, and growing an array.
 */
#ifndef CELLSYNC_UTIL_H
#define CELLSYNC_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* 1 if s is strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF; else 0. */
int cs_utf8_valid(const void *s, size_t n);

/*
 * The NFC form of the n bytes at s (base/text.c says why text is stored so).
 * 0 with *out NULL when s is NFC already (*outn = n), 0 with *out the NFC
 * bytes (malloc'd and NUL-terminated, caller frees) and *outn their length,
 * CS_EINVAL when s is not strict UTF-8, or CS_ENOMEM.
 */
int cs_utf8_nfc(const void *s, size_t n, char **out, size_t *outn);

/* An SQLite result code as one of ours: CS_EBUSY, CS_EFULL, CS_ECORRUPT, ... */
int cs_sqlite_code(int rc);

/*
 * Room for need elements of size bytes in the array *v of capacity *cap,
 * doubling from first: 0, or CS_ENOMEM with *v and *cap unchanged. The new
 * room is not cleared.
 */
int cs_grow(void **v, size_t *cap, size_t need, size_t size, size_t first);

#endif
