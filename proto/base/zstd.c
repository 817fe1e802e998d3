/* SPDX-License-Identifier: MIT */
/*
 * The zstd frames of cellsync/compress.h. Decompression trusts nothing of
 * the frame before it is checked: the declared size against the caller's
 * bound, that the frame is one and uses every byte, and then the output
 * buffer is exactly the declared size, so no frame can make it allocate or
 * write more than the caller allowed.
 */
#include <stdint.h>
#include <stdlib.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "cellsync/compress.h"
#include "cellsync/error.h"

int
cs_zstd_compress(const void *in, size_t len, int level, size_t cap, uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    size_t bound = ZSTD_compressBound(len);
    if (ZSTD_isError(bound))
        return CS_ETOOBIG;
    if (cap == 0 || cap > bound)
        cap = bound;
    /* One spare byte so a cap of 0 left by a 1-byte input is still a real allocation. */
    uint8_t *buf = malloc(cap + 1);
    if (buf == NULL)
        return CS_ENOMEM;
    size_t c = ZSTD_compress(buf, cap, in, len, level);
    if (ZSTD_isError(c)) {
        free(buf);
        switch (ZSTD_getErrorCode(c)) {
        case ZSTD_error_dstSize_tooSmall:
            return CS_ETOOBIG;
        case ZSTD_error_memory_allocation:
            return CS_ENOMEM;
        default:
            return CS_ECOMPRESS;
        }
    }
    *out = buf;
    *outlen = c;
    return 0;
}

int
cs_zstd_decompress(const void *in, size_t len, size_t max, uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    unsigned long long fcs = ZSTD_getFrameContentSize(in, len);
    if (fcs == ZSTD_CONTENTSIZE_ERROR || fcs == ZSTD_CONTENTSIZE_UNKNOWN)
        return CS_ECOMPRESS;
    if (fcs > max)
        return CS_EBOMB;
    size_t csize = ZSTD_findFrameCompressedSize(in, len);
    if (ZSTD_isError(csize) || csize != len)
        return CS_ECOMPRESS;
    /* One spare byte so an empty frame is still a real allocation. */
    uint8_t *dec = malloc((size_t)fcs + 1);
    if (dec == NULL)
        return CS_ENOMEM;
    size_t r = ZSTD_decompress(dec, (size_t)fcs, in, len);
    if (ZSTD_isError(r) || r != fcs) {
        free(dec);
        /* Out of room means the frame holds more than it declared. */
        return ZSTD_isError(r) && ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall
                   ? CS_EBOMB
                   : CS_ECOMPRESS;
    }
    *out = dec;
    *outlen = r;
    return 0;
}

int
cs_zstd_is_frame(const void *p, size_t len)
{
    const uint8_t *b = p;
    return len >= 4 && ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                        (uint32_t)b[3] << 24) == ZSTD_MAGICNUMBER;
}
