/* SPDX-License-Identifier: MIT */
/*
 * The live protocol between a device and its hub, without any I/O: frames,
 * the handshake, the encrypted session, and the messages inside it. The
 * daemon (libuv) and the field client (a blocking socket) both drive it.
 *
 * Frames: a 4-byte big-endian length, then that many bytes. The length is
 * checked before anything is read: CS_WIRE_MAX_PREAUTH before the handshake
 * completes, CS_WIRE_MAX_FRAME after.
 *
 * Handshake: one round trip, exactly Noise_IK_25519_ChaChaPoly_BLAKE2b
 * (Noise rev 34, cellsync/noise.h). The device is the initiator, the hub the
 * responder; each static key is the X25519 form of the Ed25519 key
 * (crypto_sign_ed25519_sk_to_curve25519), and the device knows the hub's
 * (pinned at enrollment) as the pre-message "<- s".
 *   prologue = "cellsync wire" || 0x00 || version(1)
 *   msg1 (device -> hub) = version(1) || Noise message 1 (-> e, es, s, ss)
 *     payload = timestamp(12) || device Ed25519 pk (32) || hello (msgpack)
 *   msg2 (hub -> device) = Noise message 2 (<- e, ee, se)
 *     payload = welcome (msgpack)
 * The hub takes the device key only if its X25519 form is the static key
 * Noise authenticated. Split() gives one key per direction (the device
 * sends with the first); each keys a crypto_secretstream whose 24-byte
 * header is the first frame in its direction, so the session is as before.
 * The timestamp (a TAI64N label: 2^62 + Unix seconds, then nanoseconds,
 * big-endian) grows with every msg1 of a device (cs_wire_ts_next, kept by
 * the device across restarts): the hub drops a msg1 whose timestamp is not
 * after the last it saw from that device, so a replayed msg1 costs it one
 * Noise read and nothing else (as WireGuard does). Even a fresh msg1 proves
 * nothing before the device's first session frame opens (Noise IK message 1
 * can be replayed until a newer one is seen).
 *
 * A msg1 whose version byte the hub does not know is answered with the
 * plain frame 0xff || hub version and the connection is closed.
 *
 * After `cellsyncd key rotate` (cellsync/rotation.h) a device may still pin
 * a retired hub key. Its msg1 is unchanged, exactly Noise IK to the key it
 * pins: the hub, as responder, tries its current static key and then each
 * retired key it keeps (nothing in clear names the key, so nothing is
 * added outside Noise and a device's pinned key shows to no one on the
 * link). A session whose msg1 opened under a retired key starts with
 * CS_MSG_ROTATION from the hub.
 */
#ifndef CELLSYNC_WIRE_H
#define CELLSYNC_WIRE_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "cellsync/id.h"
#include "cellsync/key.h"
#include "cellsync/noise.h"

/*
 * Bump on any change of the handshake, the session or the messages.
 * 2: hello and welcome carry the hub's incarnation, the welcome its down cursor.
 * 3: the handshake is Noise IK; msg1's payload starts with a timestamp and the device key.
 * 4: enrollment by code is CPace (cellsync/pake.h); no key request any more.
 * 5: CS_MSG_ROTATION (the hub's key rotated, cellsync/rotation.h). A device of
 *    version 4 could not skip it (its decoder refuses a type it does not
 *    know and ends the sync as garbled), so it is told to update instead. Also in
 *    5: a chunk's change sets are signed by their origin inside the envelope
 *    (cellsync/origin.h), and a hub-role device may relay its subtree's.
 * 6: a chunk in a session is a live chunk (cellsync/sync.h: the signed sets,
 *    no envelope: the session already authenticates and encrypts). The
 *    welcome carries the hub's drift bound (max_drift_minutes).
 */
#define CS_WIRE_VERSION 6

/* The TCP port of a hub (cellsyncd.conf's `listen`), and the one a device takes for a bare host. */
#define CS_WIRE_PORT 7461

#define CS_WIRE_MAX_PREAUTH   4096u      /* msg1, msg2, the version reply */
#define CS_WIRE_MAX_FRAME     (1u << 20) /* one session frame, tag included */
#define CS_WIRE_HEADER        4u         /* the length prefix */
#define CS_WIRE_VERSION_REPLY 0xffu
/*
 * Before a handshake, a frame that starts CS_PAKE_FRAME is enrollment by
 * short code (cellsync/pake.h); any other first frame is msg1. Versions up
 * to 3 asked for the hub's key with the one-byte frame 0x00: it gets the
 * version reply.
 */
/*
 * The hub's other plain answers to msg1, each followed by its close, so a
 * device can say why instead of guessing from a silent hang-up:
 * CS_WIRE_BUSY_REPLY || N (big-endian uint16): the hub is full, or this
 * address is over its limits; try again in N seconds (cs_hs_busy_reply).
 * CS_WIRE_HS_REFUSED alone: msg1 did not decrypt under the hub's key (not
 * for this hub, or altered). Neither is authenticated: a device shows what
 * it says and changes nothing it holds.
 */
#define CS_WIRE_BUSY_REPLY 0xfdu
#define CS_WIRE_BUSY_LEN   3u
#define CS_WIRE_HS_REFUSED 0xfcu

/* Frame length from the 4-byte prefix; CS_ETOOBIG if over max. */
int cs_wire_frame_len(const uint8_t hdr[CS_WIRE_HEADER], uint32_t max, uint32_t *len);
void cs_wire_frame_put(uint8_t hdr[CS_WIRE_HEADER], uint32_t len);

/* ---- hello and welcome: the handshake payloads ---- */

/*
 * A hub's incarnation: 16 random bytes made by `cellsyncd init`, and anew by
 * every `cellsyncd restore`. The hub numbers the versions it holds (its
 * seqs, which a device's hub_seq counts); a hub restored from a backup
 * numbers its new versions from where the backup stopped, so seqs a device
 * received from the hub before the restore may stand for other versions
 * after it. A seq means something only with the incarnation it was counted
 * in: the device says which one its hub_seq counts in, and the hub, when it
 * is not its current one, sends from the last seq both numberings share
 * (welcome.down_seq). Zero bytes with has_incarnation 0 is "none".
 */
#define CS_INCARNATION_LEN 16

struct cs_hello {
    uint64_t hub_seq;   /* the hub seq this device has applied */
    uint8_t secret[32]; /* one-time enrollment secret, if has_secret */
    int has_secret;
    char name[64]; /* the device's name, at enrollment */
    /* The incarnation hub_seq counts in (the last OK welcome's), if has_incarnation. */
    uint8_t incarnation[CS_INCARNATION_LEN];
    int has_incarnation;
};

/* Status codes of a welcome, 0 = go on. Numbered; append only. */
#define CS_WELCOME_OK      0
#define CS_WELCOME_UNKNOWN 1 /* not enrolled, and no valid secret */
#define CS_WELCOME_REVOKED 2
#define CS_WELCOME_ENROLL  3 /* the secret is wrong, used or expired */
#define CS_WELCOME_BUSY    4 /* the hub cannot take the sync now */

struct cs_welcome {
    uint32_t status;
    char message[128]; /* for the person, when status != 0 */
    uint64_t hub_time; /* the hub's clock, an HLC stamp */
    uint64_t up_seq;   /* the highest seq of this device the hub has merged */
    char org[64];      /* the device's org unit code */
    char role[16];     /* "cell", "committee", "hub" */
    /* The hub's current incarnation, if has_incarnation (every OK welcome has one). */
    uint8_t incarnation[CS_INCARNATION_LEN];
    int has_incarnation;
    /*
     * The hub seq after which the hub sends its versions: the hello's
     * hub_seq when the hello's incarnation is the hub's, else the last seq
     * both numberings share (0 when the hub cannot tell). A device whose
     * incarnation differs takes it as its hub_seq.
     */
    uint64_t down_seq;
    /*
     * The hub's drift bound (cellsyncd.conf's max_drift_minutes), which it
     * applies to every change it takes: a device takes the hub's chunks
     * within the larger of its own bound and this one, or a hub allowing
     * more would send it what it refuses forever. 0: not said (a bundle's
     * welcome, whose format is unchanged).
     */
    uint32_t max_drift_minutes;
};

/*
 * The two payloads alone, as msgpack arrays: hello [hub_seq, secret or nil,
 * name, incarnation or nil], welcome [status, message, hub_time, up_seq,
 * org, role, incarnation or nil, down_seq, max_drift_minutes] (secret and
 * incarnation as bin of exactly their size; max_drift_minutes only when it
 * is not 0, which a decoder refuses written out: a bundle's welcome keeps
 * its 8 fields). The handshake carries them inside its AEAD
 * messages; a USB-stick bundle (cellsync/bundle.h) carries the same bytes
 * inside envelopes. Encoders write into out (cap bytes): CS_EINVAL for a
 * text field that is not NUL-terminated UTF-8 inside its array, CS_ETOOBIG
 * when it does not fit. Decoders are strict (types, counts, sizes, every
 * byte used; CS_ETOOBIG over CS_WIRE_MAX_PREAUTH) and fill *h / *w only on
 * success.
 */
int cs_hello_encode(const struct cs_hello *h, uint8_t *out, size_t cap, size_t *outlen);
int cs_hello_decode(const uint8_t *buf, size_t len, struct cs_hello *h);
int cs_welcome_encode(const struct cs_welcome *w, uint8_t *out, size_t cap, size_t *outlen);
int cs_welcome_decode(const uint8_t *buf, size_t len, struct cs_welcome *w);

/* ---- handshake state ---- */

/*
 * msg1's timestamp (wire.h's header comment). cs_wire_ts_next: now, or
 * last + 1 ns when the clock is not after last (NULL: none sent yet), so a
 * clock set back never makes the hub drop the device. cs_wire_ts_cmp: -1,
 * 0 or 1 as a is before, equal to or after b.
 */
#define CS_WIRE_TS_LEN 12
void cs_wire_ts_next(const uint8_t *last, uint8_t out[CS_WIRE_TS_LEN]);
int cs_wire_ts_cmp(const uint8_t a[CS_WIRE_TS_LEN], const uint8_t b[CS_WIRE_TS_LEN]);

/*
 * Embedded by the caller, filled by the functions below; only peer_pk and
 * peer_ts are for the caller to read. It holds secrets: cs_hs_release()
 * wipes it.
 */
struct cs_hs {
    int step;                        /* private: how far the handshake has come */
    struct cs_noise_handshake nh;    /* private: until the session keys are taken */
    uint8_t peer_pk[CS_PK_LEN];      /* hub: the device's Ed25519 key, once msg1 is read */
    uint8_t peer_ts[CS_WIRE_TS_LEN]; /* hub: msg1's timestamp */
    uint8_t tx[32], rx[32];          /* session keys once done */
};

/*
 * Device side. Builds msg1 with timestamp ts (cs_wire_ts_next, kept by the
 * caller) into out (cap at least CS_WIRE_MAX_PREAUTH) and keeps what msg2
 * needs in hs.
 */
int cs_hs_device_start(struct cs_hs *hs, const struct cs_key *dev, const uint8_t hub_pk[CS_PK_LEN],
                       const uint8_t ts[CS_WIRE_TS_LEN], const struct cs_hello *hello, uint8_t *out,
                       size_t cap, size_t *outlen);
/*
 * Device side: reads msg2. CS_EVERSION for a version reply (the hub's
 * version in *hub_version, which may be NULL), CS_EDECRYPT when it is not
 * from the pinned hub. Any failure wipes hs (Noise 5.3: the handshake must
 * start over); a version reply leaves it as it was. A welcome whose
 * status is not CS_WELCOME_OK is still 0 with *w filled (show w->message),
 * but sets no session keys.
 */
int cs_hs_device_finish(struct cs_hs *hs, const struct cs_key *dev, const uint8_t hub_pk[CS_PK_LEN],
                        const uint8_t *msg, size_t len, struct cs_welcome *w,
                        unsigned *hub_version);

/*
 * Hub side, step 1: reads msg1, learns the device's key (hs->peer_pk), its
 * timestamp (hs->peer_ts: drop the msg1 unless it is after the last one
 * seen from that key) and its hello. CS_EVERSION, checked before any
 * crypto: answer with cs_hs_version_reply(). CS_EDECRYPT: not for this hub,
 * altered, or a device key that is not the Noise static key: the hub
 * answers CS_WIRE_HS_REFUSED, nothing of the handshake.
 */
int cs_hs_hub_read(struct cs_hs *hs, const struct cs_key *hub, const uint8_t *msg, size_t len,
                   struct cs_hello *hello);
/*
 * Hub side, step 2: builds msg2 (cap at least CS_WIRE_MAX_PREAUTH) with the
 * verdict; on status OK the session keys are set. hs->peer_pk and
 * hs->peer_ts stay.
 */
int cs_hs_hub_reply(struct cs_hs *hs, const struct cs_welcome *w, uint8_t *out, size_t cap,
                    size_t *outlen);
size_t cs_hs_version_reply(uint8_t out[2]);
/* The busy answer with N seconds (capped at 65535): its length, CS_WIRE_BUSY_LEN. */
size_t cs_hs_busy_reply(uint8_t out[CS_WIRE_BUSY_LEN], unsigned secs);
/* 1 and *secs when msg is a busy answer, else 0. */
int cs_hs_busy_read(const uint8_t *msg, size_t len, unsigned *secs);
/* Wipes hs (ephemeral and session keys); accepts NULL. */
void cs_hs_release(struct cs_hs *hs);

/* ---- the session: secretstream each way ---- */

struct cs_session {
    crypto_secretstream_xchacha20poly1305_state tx, rx;
    int rx_ready; /* the peer's header has been read */
};

/*
 * Starts sending: the 24-byte header to send as our first frame. Call it
 * first (it resets s), after a handshake that ended with session keys
 * (else CS_EINVAL). hs may be released once both init and accept are done.
 */
int cs_session_init(struct cs_session *s, const struct cs_hs *hs,
                    uint8_t header[crypto_secretstream_xchacha20poly1305_HEADERBYTES]);
/* Reads the peer's first frame (its header). CS_EMALFORMED for a wrong size. */
int cs_session_accept(struct cs_session *s, const struct cs_hs *hs, const uint8_t *hdr, size_t len);
/* Seals a message: out has len + CS_SESSION_OVERHEAD bytes; CS_ETOOBIG over a frame. */
#define CS_SESSION_OVERHEAD crypto_secretstream_xchacha20poly1305_ABYTES
int cs_session_seal(struct cs_session *s, const uint8_t *msg, size_t len, uint8_t *out);
/*
 * Opens one into out (len - CS_SESSION_OVERHEAD bytes): CS_EDECRYPT if
 * altered, replayed, reordered or truncated; CS_ETOOBIG over
 * CS_WIRE_MAX_FRAME. A failure leaves s as it was; close the connection.
 */
int cs_session_open(struct cs_session *s, const uint8_t *in, size_t len, uint8_t *out,
                    size_t *outlen);
/* Wipes both stream states; accepts NULL. */
void cs_session_release(struct cs_session *s);

/* ---- messages inside the session (msgpack arrays) ---- */

enum cs_msg_type {
    /* 1-15: sync; bump CS_WIRE_VERSION on change */
    CS_MSG_CHUNK = 1,   /* a live chunk (cellsync/sync.h) */
    CS_MSG_ACK = 2,     /* the receiver durably merged up to seq */
    CS_MSG_REFUSED = 3, /* changes refused, with their identities and reasons */
    CS_MSG_DONE = 4,    /* the sender has nothing more to send */
    CS_MSG_ERROR = 5,   /* fatal: the sender closes after it */
    /*
     * Hub -> device, first in a session whose msg1 was sealed to a retired
     * hub key: the chain of rotation statements from that key to the
     * current one (cellsync/rotation.h). The device checks it and pins the
     * last key before it opens any chunk, which the current key signs.
     */
    CS_MSG_ROTATION = 6,
};

#define CS_MSG_REFUSED_MAX 4096u

/*
 * Why a change was refused, as a code (cellsync/refusal.h renders it): a
 * stamp too far ahead is issued again with the hub's time (client/device.c);
 * for anything else the change stays on the device, marked as refused, and
 * the hub keeps it for review. Numbered; append only. A decoder reads a code
 * it does not know as CS_REFUSAL_OTHER, whose reason is shown as sent.
 */
enum cs_refusal_kind {
    CS_REFUSAL_OTHER = 1,            /* the reason text as sent */
    CS_REFUSAL_CLOCK = 2,            /* stamped too far ahead: minutes */
    CS_REFUSAL_SCOPE = 3,            /* outside the device's unit: record's unit, device's */
    CS_REFUSAL_NO_UNIT = 4,          /* a record placed by org_unit that has none */
    CS_REFUSAL_ORIGIN = 5,           /* another device's change */
    CS_REFUSAL_TABLE = 6,            /* a cell may not write the table: table */
    CS_REFUSAL_TABLE_UNKNOWN = 7,    /* a table this hub does not know: table */
    CS_REFUSAL_ROLE = 8,             /* a role that writes nothing: role */
    CS_REFUSAL_COLUMN = 9,           /* a committee's column: table, column */
    CS_REFUSAL_STAGE = 10,           /* a committee's stage: stage code */
    CS_REFUSAL_UNIT_VALUE = 11,      /* a placing column of the wrong kind: column */
    CS_REFUSAL_UNIT_CODE = 12,       /* an org unit's code that is not a short code: column */
    CS_REFUSAL_UNIT_RECODE = 13,     /* an org unit's code changed: code */
    CS_REFUSAL_UNIT_NO_CODE = 14,    /* a new org unit without a code */
    CS_REFUSAL_UNIT_ID = 15,         /* an org unit's id that is not its code's: code */
    CS_REFUSAL_UNIT_NEW_PARENT = 16, /* a new org unit without a parent: code */
    CS_REFUSAL_UNIT_PARENT = 17,     /* an org unit's parent cleared: code */
    CS_REFUSAL_UNIT_SELF = 18,       /* an org unit its own parent: code */
    CS_REFUSAL_UNIT_CYCLE = 19,      /* an org unit put below itself: code, new parent */
    CS_REFUSAL_UNIT_OWN = 20,        /* the device's own unit moved or deleted: code */
    CS_REFUSAL_TARGET = 21,          /* a target for the writer's own unit: code */
    CS_REFUSAL_STEP = 22,            /* a stage change the procedure forbids: from, to */
    CS_REFUSAL_CODE = 23,            /* a value not in its code list: column, value */
    CS_REFUSAL_COLUMN_UNKNOWN = 24,  /* a column this hub does not know: table, column */
    CS_REFUSAL_UNIT_HOLDS = 25,      /* an org unit deleted with units or records in it: code */
    CS_REFUSAL_RELAY_UNKNOWN = 26,   /* a relayed set of no device of this hub: origin */
    CS_REFUSAL_RELAY_REVOKED = 27,   /* a relayed set of a revoked device: origin */
    CS_REFUSAL_RELAY_SCOPE = 28,     /* a relayed set from outside the subtree: origin, its unit */
    CS_REFUSAL_RELAY_ROLE = 29,      /* a relayed set from a device not a hub: origin */
    CS_REFUSAL_DEVICE_KEY = 30,      /* a device record's key that is not its id's: device */
};
#define CS_REFUSAL__LAST CS_REFUSAL_DEVICE_KEY

struct cs_refusal {
    char table[65], column[65];
    struct cs_id row;
    uint64_t hlc;
    struct cs_id origin;
    char reason[128]; /* the code's English text with its arguments (cellsync/refusal.h) */
    uint8_t kind;     /* enum cs_refusal_kind: the code */
};

struct cs_msg {
    enum cs_msg_type type;
    /* CHUNK: the live chunk; ROTATION: the chain (both borrowed from the decoded buffer) */
    const uint8_t *env;
    size_t envlen;
    /* ACK: seq merged, and the hub's time (0 from a device); DONE: last seq sent */
    uint64_t seq;
    uint64_t hub_time;
    /* REFUSED: the seq range of the chunk and the refusals (owned, cs_msg_release) */
    uint64_t seq_first, seq_last;
    struct cs_refusal *refused;
    size_t nrefused;
    /* ERROR */
    uint32_t code;
    char message[256];
    /* cs_session_read_msg: the opened frame that env points into (owned, cs_msg_release) */
    uint8_t *plain;
};

/*
 * [type, fields...]: CHUNK [1, env], ACK [2, seq, hub_time], REFUSED [3,
 * seq_first, seq_last, [[table, column, row, hlc, origin, reason, kind], ...]],
 * DONE [4, seq], ERROR [5, code, message], ROTATION [6, chain] (bin, 1 to
 * CS_ROTATION_MAX whole statements). CS_EINVAL for a string that is
 * not NUL-terminated UTF-8 inside its field or seq_first > seq_last;
 * CS_ETOOBIG if it would not fit in one session frame.
 * OUT: *out malloc'd, caller frees with free().
 */
int cs_msg_encode(const struct cs_msg *m, uint8_t **out, size_t *outlen);
/*
 * Strict, like every decoder here; env points into buf. *m is overwritten
 * (release a previous one first) and owns nothing after a failure.
 */
int cs_msg_decode(struct cs_msg *m, const uint8_t *buf, size_t len);
/* Frees what *m owns (refusals, the opened frame) and leaves no pointer into it; accepts NULL. */
void cs_msg_release(struct cs_msg *m);

/*
 * The step every reader of a session takes for each frame after the
 * headers: cs_session_open(), then cs_msg_decode() of what it opened, with
 * their codes (and CS_ENOMEM). On success *m owns the opened bytes its env
 * points into, so the frame may go at once; release *m before the next
 * read. On failure *m owns nothing and the connection must close: s is as
 * it was after a frame that did not open, one step on after one that did.
 */
int cs_session_read_msg(struct cs_session *s, const uint8_t *frame, size_t len, struct cs_msg *m);

#endif
