/* SPDX-License-Identifier: MIT */
/*
 * Messages and names for the error table in cellsync/error.h. Negative errno
 * values fall through to strerror(), so one call prints any code we return.
 */
#define _GNU_SOURCE /* strerrorname_np */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/util.h"

const char *
cs_strerror(int err)
{
    switch (err) {
    case 0:
        return _("success");
#define XX(name, val, msg)                                                                         \
    case CS_E##name:                                                                               \
        return _(msg);
        CS_ERRNO_MAP(XX)
#undef XX
    default:
        if (err < 0 && err > -1000)
            return strerror(-err);
        return _("unknown error");
    }
}

const char *
cs_err_name(int err)
{
    switch (err) {
    case 0:
        return "OK";
#define XX(name, val, msg)                                                                         \
    case CS_E##name:                                                                               \
        return "CS_E" #name;
        CS_ERRNO_MAP(XX)
#undef XX
    default:
        if (err < 0 && err > -1000) {
            const char *n = strerrorname_np(-err);
            if (n != NULL)
                return n;
        }
        return "UNKNOWN";
    }
}

int
cs_errf(char *err, size_t errlen, int code, const char *fmt, ...)
{
    /* Callers format strerror(errno) and then return -errno: keep it. */
    int saved = errno;

    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    errno = saved;
    return code;
}

int
cs_sqlite_code(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return CS_EBUSY;
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return CS_EREADONLY;
    case SQLITE_FULL:
        return CS_EFULL;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return CS_ECORRUPT;
    case SQLITE_NOMEM:
        return CS_ENOMEM;
    default:
        return CS_ESQLITE;
    }
}

int
cs_err_is_ours(int err)
{
    switch (err) {
#define XX(name, val, msg) case CS_E##name:
        CS_ERRNO_MAP(XX)
#undef XX
        return 1;
    default:
        return 0;
    }
}
