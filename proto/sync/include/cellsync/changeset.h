/* SPDX-License-Identifier: MIT */
/*
 * Change sets: the unit of replication. A change set carries register values
 * (table, row, column) -> (value, hlc, origin, prev, row causal length) in the
 * order the sender numbered them, with a header saying who sent them and which
 * of the sender's seqs they cover. Table/column names and origins are sent
 * once per set in dictionaries; each change refers to them by index.
 *
 * Wire form (msgpack, one array, FORMAT 1):
 *   [version, origin:bin16, seq_first, seq_last, schema, hub_time,
 *    [name:str...], [origin:bin16...],
 *    [[table_ix, row:bin16, column_ix, value, hlc, origin_ix,
 *      prev_hlc, prev_origin_ix, cl]...]]
 * value is nil, int, float64, str or bin. prev_hlc 0 means the writer replaced
 * nothing; prev_origin_ix is then 0. Encoding is deterministic: the same calls
 * to cs_changeset_add() in the same order give the same bytes.
 */
#ifndef CELLSYNC_CHANGESET_H
#define CELLSYNC_CHANGESET_H

#include <stddef.h>
#include <stdint.h>

#include "cellsync/id.h"

/* Bump on any change of the wire form; decoders refuse what they do not know. */
#define CS_CHANGESET_FORMAT 1

/* Decoder limits. A chunk is ~16 KiB; a set is at most one bundle's worth. */
#define CS_CHANGESET_MAX_BYTES   (16u << 20) /* encoded size */
#define CS_CHANGESET_MAX_CHANGES (1u << 19)  /* 27 bytes at least each: fits MAX_BYTES */
#define CS_CHANGESET_MAX_NAMES   4096u
#define CS_CHANGESET_MAX_ORIGINS 65536u
#define CS_NAME_MAX              64u        /* table or column name, bytes */
#define CS_VALUE_MAX             (4u << 20) /* one text or blob value */
/*
 * The largest causal length a change may carry: far beyond any number of
 * deletions and restorations, and below 2^63, so SQLite's signed INTEGER
 * holds it as it is and `cl % 2` reads its parity right (F17).
 */
#define CS_CL_MAX (UINT64_C(1) << 62)

enum cs_vtype {
    CS_VNIL = 0,
    CS_VINT = 1,
    CS_VFLOAT = 2,
    CS_VTEXT = 3,
    CS_VBLOB = 4,
};

/* A value; p/n are used by text (UTF-8, not NUL-terminated) and blob. */
struct cs_value {
    enum cs_vtype type;
    int64_t i;
    double f;
    const void *p;
    size_t n;
};

/*
 * One register value. Strings and value bytes are borrowed: in
 * cs_changeset_add() they are copied, from cs_changeset_get() they stay
 * valid until the set is freed or added to.
 */
struct cs_change {
    const char *table; /* NUL-terminated, 1..CS_NAME_MAX bytes */
    const char *column;
    struct cs_id row;
    struct cs_value value;
    uint64_t hlc;
    struct cs_id origin;      /* the device that wrote the value */
    uint64_t prev_hlc;        /* the value this write replaced, 0 if none */
    struct cs_id prev_origin; /* all zero when prev_hlc is 0 */
    uint64_t cl;              /* the row's causal length: odd live, even deleted */
};

struct cs_changeset_header {
    uint32_t version;    /* CS_CHANGESET_FORMAT on encode; checked on decode */
    struct cs_id origin; /* the replica that sent the set */
    uint64_t seq_first;  /* the sender's seqs this set covers, inclusive */
    uint64_t seq_last;
    uint32_t schema;   /* domain schema version of the sender */
    uint64_t hub_time; /* hub's clock as an HLC stamp, 0 when unknown */
};

struct cs_changeset;

/* OUT: *out, caller frees with cs_changeset_free(); NULL on failure. */
int cs_changeset_new(struct cs_changeset **out, const struct cs_changeset_header *h);
void cs_changeset_free(struct cs_changeset *cs);

const struct cs_changeset_header *cs_changeset_header(const struct cs_changeset *cs);
void cs_changeset_set_seq(struct cs_changeset *cs, uint64_t first, uint64_t last);
/* The set's author in its header: whoever signs it (cellsync/origin.h). */
void cs_changeset_set_origin(struct cs_changeset *cs, const struct cs_id *origin);
size_t cs_changeset_count(const struct cs_changeset *cs);

/* Copies the change in. CS_EINVAL for a bad name or value, CS_ETOOBIG past a limit. */
int cs_changeset_add(struct cs_changeset *cs, const struct cs_change *c);

/* Borrowed view of change i (< count), valid until the set is freed or added to. */
void cs_changeset_get(const struct cs_changeset *cs, size_t i, struct cs_change *out);

/* OUT: *out is malloc'd, caller frees with free(). */
int cs_changeset_encode(const struct cs_changeset *cs, uint8_t **out, size_t *outlen);

/*
 * Strict decode of exactly len bytes. Every failure has its own code:
 * CS_EVERSION, CS_ETYPE, CS_ECOUNT, CS_ETOOBIG, CS_ETRAILING, CS_ENESTING,
 * CS_ETRUNCATED, CS_EMALFORMED. err (optional) gets a sentence naming the
 * field. OUT: *out, caller frees with cs_changeset_free(); NULL on failure.
 */
int cs_changeset_decode(struct cs_changeset **out, const uint8_t *buf, size_t len, char *err,
                        size_t errlen);

/* Same values, same order (for tests and for checking a round trip). */
int cs_change_equal(const struct cs_change *a, const struct cs_change *b);

#endif
