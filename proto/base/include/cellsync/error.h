/* SPDX-License-Identifier: MIT */
/*
 * Error codes of the cellsync library. Functions return 0 on success or a
 * negative code: -errno at system-call boundaries, or one of the CS_E* codes
 * below, numbered from -1000 so the two ranges never meet. The table is the
 * single source of the enum, cs_strerror() and cs_err_name().
 */
#ifndef CELLSYNC_ERROR_H
#define CELLSYNC_ERROR_H

#include <stddef.h>

/* Append only: the numbers travel in refusal messages between versions. The
 * messages are marked for translation: a file that expands msg includes
 * cellsync/i18n.h for N_(); cs_strerror() translates them. */
#define CS_ERRNO_MAP(XX)                                                                           \
    XX(NOMEM, -1000, N_("out of memory"))                                                          \
    XX(INVAL, -1001, N_("invalid argument"))                                                       \
    XX(DRIFT, -1002, N_("remote clock is further ahead than the allowed drift"))                   \
    XX(CLOCK, -1003, N_("clock is out of range"))                                                  \
    XX(MALFORMED, -1004, N_("malformed message"))                                                  \
    XX(TYPE, -1005, N_("field has the wrong type"))                                                \
    XX(COUNT, -1006, N_("count does not match the contents"))                                      \
    XX(TOOBIG, -1007, N_("size is over the limit"))                                                \
    XX(TRAILING, -1008, N_("trailing bytes after the message"))                                    \
    XX(VERSION, -1009, N_("unknown format version"))                                               \
    XX(NESTING, -1010, N_("nesting is too deep"))                                                  \
    XX(TRUNCATED, -1011, N_("message is truncated"))                                               \
    XX(BOMB, -1012, N_("decompressed size is over the limit"))                                     \
    XX(COMPRESS, -1013, N_("compressed data is corrupt"))                                          \
    XX(SIGNATURE, -1014, N_("signature does not verify"))                                          \
    XX(DECRYPT, -1015, N_("cannot decrypt: data was altered or sent to another key"))              \
    XX(RECIPIENT, -1016, N_("addressed to a different key"))                                       \
    XX(KEYFILE, -1017, N_("malformed key file"))                                                   \
    XX(KEYPERM, -1018, N_("secret key file is readable by others"))                                \
    XX(EXISTS, -1019, N_("already exists"))                                                        \
    XX(DUPLICATE, -1020, N_("duplicate entry"))                                                    \
    XX(CRYPTO, -1021, N_("cryptographic library failure"))                                         \
    XX(SQLITE, -1022, N_("database error"))                                                        \
    XX(BUSY, -1023, N_("the database is in use by another program"))                               \
    XX(READONLY, -1024, N_("the database cannot be written"))                                      \
    XX(FULL, -1025, N_("the disk is full"))                                                        \
    XX(CORRUPT, -1026, N_("the database file is damaged"))                                         \
    XX(NOTFOUND, -1027, N_("no such record"))                                                      \
    XX(AMBIGUOUS, -1028, N_("more than one record matches"))                                       \
    XX(RULE, -1029, N_("a rule of the admission procedure is not met"))                            \
    XX(STAGE, -1030, N_("the candidate is not at the stage this needs"))                           \
    XX(SITE, -1031, "the database belongs to another device")                                      \
    XX(REVOKED, -1032, N_("the device was revoked at the hub"))                                    \
    XX(EXPIRED, -1033, N_("the session reached its maximum lifetime"))

enum cs_errno {
#define XX(name, val, msg) CS_E##name = (val),
    CS_ERRNO_MAP(XX)
#undef XX
};

/* A message for any code this library returns: CS_E*, -errno or 0. */
const char *cs_strerror(int err);

/* The symbolic name ("CS_ETOOBIG", "ENOENT"), for logs and tests. */
const char *cs_err_name(int err);

/* Whether err is one of the codes of the table above (not 0, not a -errno). */
int cs_err_is_ours(int err);

/*
 * The one way detail reaches a caller: snprintf into an optional err buffer
 * (NULL or 0 length: nothing) and return code, so `return cs_errf(...)`.
 * errno is kept, for callers that format strerror(errno) and return -errno.
 */
int cs_errf(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
