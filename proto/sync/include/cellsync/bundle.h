/* SPDX-License-Identifier: MIT */
/*
 * Bundles: the files a USB stick carries between a device and its hub when
 * no link comes up. A bundle is a row of the same signed, encrypted
 * envelopes the live protocol sends (cellsync/envelope.h):
 *   export (device -> hub): a hello, then the device's chunks;
 *   reply  (hub -> device): a key rotation chain if the device pins a
 *                           retired hub key, a welcome, then refusals if
 *                           any, then the chunks of the device's scope.
 * A stick can carry bundles of several cells; it can read none of them.
 *
 * Each entry is sealed to the bundle's recipient (the hub for an export,
 * the device for a reply) with libsodium's sealed box (crypto_box_seal: a
 * fresh X25519 key per entry, XSalsa20-Poly1305, to the X25519 form of the
 * recipient's key), so a stolen stick shows no device key, hub id, seq
 * range or signature, only how many entries of what size (F14 of the
 * security review); the envelope inside is signed by its sender as before,
 * which only the recipient can see.
 *
 * Layout, FORMAT 4 (integers big-endian, as in wire frames):
 *    0  3  magic "CSB"
 *    3  1  format version (CS_BUNDLE_FORMAT)
 *    4  1  flags: bit 0 = reply (hub -> device); the other bits are 0
 *    5  3  zero
 *    8  4  number of entries, at least 1
 *   12     the entries, each a u32 length then that many bytes: an envelope
 *          sealed to the recipient (48 bytes more than the envelope)
 * The file ends right after the last entry. The count makes a file cut at
 * an entry boundary as plain as one cut inside an entry.
 *
 * Entry kinds. Chunks are envelopes exactly as cs_sync_make_chunk() seals
 * them to a recipient (not the live chunks of a session: a file has no
 * session around it), a change set inside, merged with cs_sync_take_chunk(),
 * in seq order. The last one may hold no change: it still carries the
 * receiver's cursor past versions that held nothing for it. Every other
 * entry is a control envelope:
 *   - its header's seq range is [0, 0], which no chunk has (seqs start at 1
 *     and a bundle only carries chunks that cover some seq), so a reader
 *     routes an entry by peeking at its header, without opening it twice;
 *   - its plaintext is a kind byte (CS_BUNDLE_HELLO, _WELCOME, _REFUSED)
 *     then the payload: the msgpack hello or welcome of the live handshake
 *     (cs_hello_encode(), cs_welcome_encode()), or a CS_MSG_REFUSED message
 *     (cs_msg_encode()).
 * Both marks lie inside what the envelope's signature covers, so no one can
 * turn one kind into another. Neither can be taken for the other by
 * accident: a kind byte (1..3) is never the "CSO" every chunk's plaintext
 * starts with (cellsync/origin.h), so the chunk reader refuses a control plaintext,
 * and the control reader refuses a plaintext without the kind it expects.
 *
 * The flags and the count are not signed: they find damage early and name
 * it; each entry is verified on its own. Reading checks, in this order and
 * before anything is read into memory: the file size (CS_ETOOBIG over
 * CS_BUNDLE_MAX_FILE), the magic (CS_EMALFORMED), the format (CS_EVERSION),
 * the header's length (CS_ETRUNCATED), flags, reserved bytes and count
 * (CS_EMALFORMED); then for each entry its length: below a sealed
 * envelope's size CS_EMALFORMED, over a sealed CS_BUNDLE_MAX_ENTRY
 * CS_ETOOBIG, past the end of the file CS_ETRUNCATED; then its seal
 * (CS_EDECRYPT: for another key, or damaged); and after the last one,
 * CS_ETRAILING for any byte more.
 */
#ifndef CELLSYNC_BUNDLE_H
#define CELLSYNC_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "cellsync/envelope.h"
#include "cellsync/id.h"
#include "cellsync/key.h"
#include "cellsync/wire.h"

/*
 * Bump on any change of the layout or of what the entries hold. 2: the
 * hello and welcome of CS_WIRE_VERSION 2 (the hub's incarnation). 3: the
 * entries sealed to the recipient. 4: the chunks' change sets signed by their
 * origin inside the envelope (cellsync/origin.h, CS_WIRE_VERSION 5).
 */
#define CS_BUNDLE_FORMAT    4
#define CS_BUNDLE_HEADER    12
#define CS_BUNDLE_F_REPLY   0x01u
#define CS_BUNDLE_MAX_FILE  ((size_t)256 << 20)
#define CS_BUNDLE_MAX_ENTRY (CS_ENVELOPE_OVERHEAD + (size_t)CS_ENVELOPE_MAX_PLAIN)

/* Kinds of control entries: the first byte of their plaintext. Append only. */
#define CS_BUNDLE_HELLO   1 /* device -> hub, first entry of an export */
#define CS_BUNDLE_WELCOME 2 /* hub -> device, first entry of a reply */
#define CS_BUNDLE_REFUSED 3 /* hub -> device: changes of a merged chunk refused, and why */
/*
 * hub -> device, first entry of a reply (before the welcome) to a device
 * whose export was sealed to a retired hub key: the chain of rotation
 * statements from that key to the current one (cellsync/rotation.h), signed
 * like every reply entry by the current key. A reader of before it finds
 * no welcome signed by the key it pins and changes nothing; the format
 * stays 3, since exports and every other reply are unchanged.
 */
#define CS_BUNDLE_ROTATION 4

/* ---- writing ---- */

struct cs_bundle_writer;

/*
 * Starts a bundle that will become path: a temp file (mode 0644) in the
 * same directory, its entries sealed to rcpt_pk (an Ed25519 key: the hub's
 * for an export, the device's for a reply). flags: 0 or CS_BUNDLE_F_REPLY.
 * OUT: *out, caller ends it with cs_bundle_writer_commit() or drops it
 * with cs_bundle_writer_free().
 */
int cs_bundle_writer_new(struct cs_bundle_writer **out, const char *path, unsigned flags,
                         const uint8_t rcpt_pk[CS_PK_LEN], char *err, size_t errlen);
/* Appends one envelope. CS_ETOOBIG if the entry or the file would pass its limit. */
int cs_bundle_writer_add(struct cs_bundle_writer *w, const uint8_t *env, size_t len, char *err,
                         size_t errlen);
/* Bytes written so far, header included. */
size_t cs_bundle_writer_size(const struct cs_bundle_writer *w);
/*
 * Writes the count, fsyncs, renames the temp file over path and fsyncs the
 * directory, so a stick pulled out mid-write leaves the old file or none,
 * never half a bundle. CS_EINVAL with no entry. w is freed either way; on
 * failure the temp file is gone.
 */
int cs_bundle_writer_commit(struct cs_bundle_writer *w, char *err, size_t errlen);
/* Drops an unfinished bundle: closes and unlinks the temp file. Accepts NULL. */
void cs_bundle_writer_free(struct cs_bundle_writer *w);

/* ---- reading ---- */

struct cs_bundle_reader;

/*
 * Opens path and checks its size and header (codes above; errors name the
 * file). Entries are read one at a time, never the whole file at once,
 * each opened with k (the recipient's key). OUT: *out, caller frees with
 * cs_bundle_reader_free().
 */
int cs_bundle_reader_new(struct cs_bundle_reader **out, const char *path, const struct cs_key *k,
                         char *err, size_t errlen);
unsigned cs_bundle_reader_flags(const struct cs_bundle_reader *b);
uint32_t cs_bundle_reader_count(const struct cs_bundle_reader *b);
/*
 * The next entry: 1 with *env (borrowed, valid until the next call) and its
 * length; 0 after the last one, once the end of the file is checked; or an
 * error (codes above). *index (optional) gets the entry's number from 0.
 */
int cs_bundle_reader_next(struct cs_bundle_reader *b, const uint8_t **env, size_t *len,
                          uint32_t *index, char *err, size_t errlen);
/* Back to the first entry, for a second pass over a checked file. */
int cs_bundle_reader_rewind(struct cs_bundle_reader *b, char *err, size_t errlen);
void cs_bundle_reader_free(struct cs_bundle_reader *b);

/* ---- entries ---- */

/*
 * 1 if the envelope is a control entry (seq range [0, 0]), 0 if a chunk,
 * or cs_envelope_peek()'s error. Nothing is verified: open it to trust it.
 */
int cs_bundle_entry_is_control(const uint8_t *env, size_t len);

/*
 * Seals kind || payload from k to rcpt_pk as a control entry.
 * OUT: *env malloc'd, caller frees with free().
 */
int cs_bundle_seal_control(const struct cs_key *k, const uint8_t rcpt_pk[CS_PK_LEN], int kind,
                           const uint8_t *payload, size_t len, uint8_t **env, size_t *envlen);
/*
 * Opens a control entry addressed to k (envelope codes, e.g. CS_ESIGNATURE,
 * CS_ERECIPIENT), signed by from_pk unless that is NULL (CS_ESIGNATURE),
 * and of this kind (CS_EMALFORMED otherwise, or for a seq range that is
 * not [0, 0]). OUT: *payload malloc'd (never NULL on success), caller
 * frees with free(); info (optional) gets the header.
 */
int cs_bundle_open_control(const struct cs_key *k, const uint8_t *from_pk, int kind,
                           const uint8_t *env, size_t len, uint8_t **payload, size_t *plen,
                           struct cs_envelope_info *info);

/* The hello of an export, from the device to its pinned hub. OUT: *env as above. */
int cs_bundle_seal_hello(const struct cs_key *dev, const uint8_t hub_pk[CS_PK_LEN],
                         const struct cs_hello *h, uint8_t **env, size_t *envlen);
/*
 * Opens a hello addressed to the hub; any device may have signed it: its
 * key goes to dev_pk, for the hub to admit (a device enrolled from a file
 * registers with its first bundle). The enrollment secret in *h is the
 * caller's to wipe.
 */
int cs_bundle_open_hello(const struct cs_key *hub, const uint8_t *env, size_t len,
                         struct cs_hello *h, uint8_t dev_pk[CS_PK_LEN]);
/* The welcome of a reply, from the hub to one device. OUT: *env as above. */
int cs_bundle_seal_welcome(const struct cs_key *hub, const uint8_t dev_pk[CS_PK_LEN],
                           const struct cs_welcome *w, uint8_t **env, size_t *envlen);
/* Opens a welcome addressed to this device and signed by its pinned hub. */
int cs_bundle_open_welcome(const struct cs_key *dev, const uint8_t hub_pk[CS_PK_LEN],
                           const uint8_t *env, size_t len, struct cs_welcome *w);

/* ---- the names of replies ---- */

/* A reply's name ends so; its label is cut to CS_BUNDLE_REPLY_LABEL bytes. */
#define CS_BUNDLE_REPLY_SUFFIX ".reply"
#define CS_BUNDLE_REPLY_LABEL  40

/*
 * The name of the reply for a device, for a person sorting a stick of many
 * cells: "<unit>_<name>_<short id>.reply" ("CB-01_may-pho-bi-thu_6a5b4ac7.reply"),
 * safe on a FAT file system: of org and name only ASCII letters, digits,
 * '-' and '_' stay, any other run of bytes becomes one '-', and together
 * they are cut to CS_BUNDLE_REPLY_LABEL bytes. name is best given without
 * marks (cs_text_fold() CS_FOLD_MARKS): a letter with a mark would be a
 * '-'. Either may be NULL or empty; with neither, "<short id>.reply". The
 * short id at the end is what cs_bundle_reply_find() knows the device's
 * reply by. 0, or CS_EINVAL when out is too small.
 */
int cs_bundle_reply_name(const char *org, const char *name, const struct cs_id *device, char *out,
                         size_t len);

/*
 * The device's reply in the directory dir, into out as "dir/NAME": a name
 * cs_bundle_reply_name() makes (ending "_<short id>.reply"; of several,
 * as when the device was renamed, the latest written), else one an older
 * hub wrote: "<short id>.reply", then the first 8 hex digits of the id.
 * 0; CS_ENOTFOUND with out naming the reply as a hub of this version would
 * (without its label, which only the hub knows); CS_EINVAL for a path too
 * long; a negative errno if dir cannot be read.
 */
int cs_bundle_reply_find(const char *dir, const struct cs_id *device, char *out, size_t len);

#endif
