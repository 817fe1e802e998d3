/* SPDX-License-Identifier: MIT */
/*
 * zstd, the one way the project compresses: an envelope's body
 * (cellsync/envelope.h) and the change sets the hub's audit trail keeps
 * (daemon/audit.c). One frame (RFC 8878) that declares its content size, so
 * the reader knows what it will get before it allocates anything.
 */
#ifndef CELLSYNC_COMPRESS_H
#define CELLSYNC_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

/*
 * One zstd frame of the len bytes at in, at level (1..19), its content size
 * in its header. cap > 0: the frame must fit in cap bytes, else CS_ETOOBIG
 * (to keep only a frame that shrinks the input, give len - 1); 0: no bound.
 * OUT: *out is malloc'd, caller frees with free(). CS_ENOMEM, CS_ECOMPRESS.
 */
int cs_zstd_compress(const void *in, size_t len, int level, size_t cap, uint8_t **out,
                     size_t *outlen);

/*
 * The content of the one zstd frame that is all of in (len bytes). The
 * frame must declare its content size, at most max (CS_EBOMB, before any
 * allocation), and hold exactly that much: it is written into a buffer of
 * that size, so a frame that holds more runs out of room (CS_EBOMB), not
 * memory. CS_ECOMPRESS for anything else that is not such a frame.
 * OUT: *out is malloc'd (never NULL on success, even for 0 bytes), caller
 * frees with free(). CS_ENOMEM.
 */
int cs_zstd_decompress(const void *in, size_t len, size_t max, uint8_t **out, size_t *outlen);

/* 1 if the len bytes at p start with a zstd frame's magic number, else 0. */
int cs_zstd_is_frame(const void *p, size_t len);

#endif
