/* SPDX-License-Identifier: MIT */
/*
 * A structural check of msgpack bytes that builds nothing. msgpack-c's
 * unpacker allocates room for an array as soon as it reads the array's
 * header, so a 5-byte message claiming 2^31 elements would ask for 48 GiB.
 * Walking the bytes first with hard limits on counts, string sizes and depth
 * bounds what the unpacker can be made to allocate by the input's length.
 * The input's length alone is not enough: msgpack-c spends 24 bytes on every
 * object, and a nil is one byte, so 16 MiB of nils in arrays became 402 MiB
 * (security review F9). A caller that knows how many bytes its objects take
 * at least also bounds their total number.
 */
#include <stdint.h>

#include "cellsync/error.h"
#include "internal.h"

#define MP_DEPTH_MAX 32

static uint64_t
be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

int
cs__mp_check(const uint8_t *buf, size_t len, unsigned max_depth, uint32_t max_count,
             uint32_t max_str)
{
    return cs__mp_check_objects(buf, len, max_depth, max_count, max_str, UINT64_MAX, NULL);
}

int
cs__mp_check_objects(const uint8_t *buf, size_t len, unsigned max_depth, uint32_t max_count,
                     uint32_t max_str, uint64_t max_objects, int *too_many)
{
    uint64_t left[MP_DEPTH_MAX + 1]; /* objects still to read at each level */
    uint64_t objects = 0;
    unsigned depth = 1;
    size_t pos = 0;

    if (max_depth > MP_DEPTH_MAX)
        max_depth = MP_DEPTH_MAX;
    left[0] = 1;
    while (depth > 0) {
        if (left[depth - 1] == 0) {
            depth--;
            continue;
        }
        left[depth - 1]--;
        if (pos >= len)
            return CS_ETRUNCATED;
        if (++objects > max_objects) {
            if (too_many != NULL)
                *too_many = 1;
            return CS_ETOOBIG;
        }

        uint8_t b = buf[pos++];
        unsigned lenbytes = 0; /* size of the big-endian length that follows */
        uint64_t skip = 0;     /* payload bytes after the length */
        uint64_t count = 0;    /* elements of an array, pairs of a map */
        int container = 0;     /* 1 array, 2 map: objects per element */
        int sized = 0;         /* 1 str/bin, 2 ext (a type byte follows the length) */

        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
            /* fixint, nil, bool */
        } else if (b <= 0x8f) {
            container = 2, count = b & 0x0fu;
        } else if (b <= 0x9f) {
            container = 1, count = b & 0x0fu;
        } else if (b <= 0xbf) {
            skip = b & 0x1fu;
        } else {
            switch (b) {
            case 0xc4:
            case 0xd9:
                lenbytes = 1, sized = 1;
                break;
            case 0xc5:
            case 0xda:
                lenbytes = 2, sized = 1;
                break;
            case 0xc6:
            case 0xdb:
                lenbytes = 4, sized = 1;
                break;
            case 0xc7:
                lenbytes = 1, sized = 2;
                break; /* ext: length, then type byte */
            case 0xc8:
                lenbytes = 2, sized = 2;
                break;
            case 0xc9:
                lenbytes = 4, sized = 2;
                break;
            case 0xca:
                skip = 4;
                break;
            case 0xcb:
                skip = 8;
                break;
            case 0xcc:
            case 0xd0:
                skip = 1;
                break;
            case 0xcd:
            case 0xd1:
                skip = 2;
                break;
            case 0xce:
            case 0xd2:
                skip = 4;
                break;
            case 0xcf:
            case 0xd3:
                skip = 8;
                break;
            case 0xd4:
                skip = 2;
                break;
            case 0xd5:
                skip = 3;
                break;
            case 0xd6:
                skip = 5;
                break;
            case 0xd7:
                skip = 9;
                break;
            case 0xd8:
                skip = 17;
                break;
            case 0xdc:
                lenbytes = 2, container = 1;
                break;
            case 0xdd:
                lenbytes = 4, container = 1;
                break;
            case 0xde:
                lenbytes = 2, container = 2;
                break;
            case 0xdf:
                lenbytes = 4, container = 2;
                break;
            default:
                return CS_EMALFORMED; /* 0xc1 is never used */
            }
        }
        if (lenbytes) {
            if (len - pos < lenbytes)
                return CS_ETRUNCATED;
            uint64_t n = be(buf + pos, lenbytes);
            pos += lenbytes;
            if (sized) {
                if (n > max_str)
                    return CS_ETOOBIG;
                skip = n + (sized == 2 ? 1 : 0);
            } else {
                count = n;
            }
        }
        if (container) {
            if (count > max_count)
                return CS_ETOOBIG;
            uint64_t children = count * (uint64_t)container;
            /* Each element takes at least one byte: a count the rest cannot hold is a lie. */
            if (children > len - pos)
                return CS_ETRUNCATED;
            if (depth > max_depth)
                return CS_ENESTING;
            left[depth++] = children;
            continue;
        }
        if (skip > len - pos)
            return CS_ETRUNCATED;
        pos += (size_t)skip;
    }
    return pos == len ? 0 : CS_ETRAILING;
}
