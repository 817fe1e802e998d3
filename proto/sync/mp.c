/* SPDX-License-Identifier: MIT */
/*
 * The strict msgpack reading every decoder in the library shares: a whole
 * buffer is walked by cs__mp_check() under hard limits, unpacked in one go
 * and required to use every byte, and its fields are then read only through
 * typed getters that check the type and every bound before copying anything.
 * Each refusal has its own code (CS_ETYPE, CS_ETOOBIG, CS_EMALFORMED, ...)
 * and, when the caller gave a buffer, a sentence saying which field failed.
 */
#include <msgpack.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/util.h"
#include "internal.h"

int
cs_utf8_valid(const void *p, size_t n)
{
    const uint8_t *s = p;
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0)
            k = 1, cp = c & 0x1f, min = 0x80;
        else if ((c & 0xf0) == 0xe0)
            k = 2, cp = c & 0x0f, min = 0x800;
        else if ((c & 0xf8) == 0xf0)
            k = 3, cp = c & 0x07, min = 0x10000;
        else
            return 0;
        if (n - i - 1 < k)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

int
cs__mp_unpack(const struct cs__mpdec *d, struct msgpack_unpacked *up, const uint8_t *buf,
              size_t len, unsigned max_depth, uint32_t max_count, uint32_t max_str,
              const char *what)
{
    return cs__mp_unpack_objects(d, up, buf, len, max_depth, max_count, max_str, UINT64_MAX, what);
}

int
cs__mp_unpack_objects(const struct cs__mpdec *d, struct msgpack_unpacked *up, const uint8_t *buf,
                      size_t len, unsigned max_depth, uint32_t max_count, uint32_t max_str,
                      uint64_t max_objects, const char *what)
{
    size_t off = 0;
    int too_many = 0;
    int ret = cs__mp_check_objects(buf, len, max_depth, max_count, max_str, max_objects, &too_many);
    if (too_many)
        return cs_errf(d->err, d->errlen, ret,
                       _("%s holds more objects than %zu bytes of it can (at most %llu)"), what,
                       len, (unsigned long long)max_objects);
    if (ret != 0)
        return cs_errf(d->err, d->errlen, ret, _("%s is not well formed: %s"), what,
                       cs_strerror(ret));
    msgpack_unpack_return ur = msgpack_unpack_next(up, (const char *)buf, len, &off);
    if (ur == MSGPACK_UNPACK_NOMEM_ERROR)
        return CS_ENOMEM;
    /* The walk above already refused truncation and trailing bytes; this is a second lock. */
    if (ur != MSGPACK_UNPACK_SUCCESS || off != len)
        return cs_errf(d->err, d->errlen, CS_EMALFORMED, _("%s cannot be unpacked"), what);
    return 0;
}

int
cs__mp_uint(const struct cs__mpdec *d, const struct msgpack_object *o, uint64_t max, uint64_t *v,
            const char *what)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return cs_errf(d->err, d->errlen, CS_ETYPE, _("%s is not an unsigned integer"), what);
    if (o->via.u64 > max)
        return cs_errf(d->err, d->errlen, CS_ETOOBIG, _("%s %llu is over the limit %llu"), what,
                       (unsigned long long)o->via.u64, (unsigned long long)max);
    *v = o->via.u64;
    return 0;
}

int
cs__mp_array(const struct cs__mpdec *d, const struct msgpack_object *o,
             const struct msgpack_object **items, uint32_t *n, const char *what)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return cs_errf(d->err, d->errlen, CS_ETYPE, _("%s is not an array"), what);
    *items = o->via.array.ptr;
    *n = o->via.array.size;
    return 0;
}

int
cs__mp_bin_exact(const struct cs__mpdec *d, const struct msgpack_object *o, void *out, size_t n,
                 const char *what)
{
    if (o->type != MSGPACK_OBJECT_BIN)
        return cs_errf(d->err, d->errlen, CS_ETYPE, _("%s is not binary"), what);
    if (o->via.bin.size != n)
        return cs_errf(d->err, d->errlen, CS_EMALFORMED, _("%s has %u bytes, not %zu"), what,
                       o->via.bin.size, n);
    if (n > 0)
        memcpy(out, o->via.bin.ptr, n);
    return 0;
}

int
cs__mp_str(const struct cs__mpdec *d, const struct msgpack_object *o, char *out, size_t cap,
           const char *what)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return cs_errf(d->err, d->errlen, CS_ETYPE, _("%s is not text"), what);
    size_t n = o->via.str.size;
    /* One byte stays for the NUL: a string that only just fills the field is too long. */
    if (n >= cap)
        return cs_errf(d->err, d->errlen, CS_ETOOBIG, _("%s of %zu bytes is over the limit %zu"),
                       what, n, cap - 1);
    /* msgpack-c gives an empty string a NULL pointer: touch it only when there are bytes. */
    if (n > 0) {
        /* An inner NUL would cut the C string short without anyone noticing. */
        if (memchr(o->via.str.ptr, 0, n) != NULL ||
            !cs_utf8_valid((const uint8_t *)o->via.str.ptr, n))
            return cs_errf(d->err, d->errlen, CS_EMALFORMED, _("%s is not valid UTF-8 text"), what);
        memcpy(out, o->via.str.ptr, n);
    }
    out[n] = 0;
    return 0;
}
