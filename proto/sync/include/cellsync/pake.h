/* SPDX-License-Identifier: MIT */
/*
 * Enrollment by short code on the wire: CPace (cellsync/cpace.h) over the
 * code, then the hub's enrollment sent under a key only the holder of the
 * code can have. The code never travels, and the device pins only a hub
 * key that a party holding the code sent (F1 of the security review: the
 * key was fetched in the clear and checked against 40 bits).
 *
 * Plain frames before any handshake, each starting CS_PAKE_FRAME, step:
 *   START   device -> hub  e0 01 version(1) number(2) na(16)
 *   NONCE   hub -> device  e0 02 nb(16)
 *   SHARE   device -> hub  e0 03 Ya(32)
 *   REPLY   hub -> device  e0 04 Yb(32) Tb(64) box
 *   CONFIRM device -> hub  e0 05 Ta(64)
 *   REFUSE  hub -> device  e0 00 reason(1) wait(2), then the hub closes
 * (a hub that is full, or an address over its limits, answers START with
 * the busy reply of cellsync/wire.h instead, as it answers a msg1)
 * The CPace run (CPACE-RISTR255-SHA512, initiator-responder, the device A):
 *   PRS = the code's 32-byte secret (cellsync/enroll.h);
 *   CI  = "cellsync enroll" || 0x00 || version(1) || number(2): what the
 *         run is for, the wire version and the enrollment it claims;
 *   sid = na || nb, random from both sides (the draft's "Nonce values":
 *         a unique sid, from ephemeral strings of both parties);
 *   ADa = ADb = empty.
 * Key confirmation as the draft's section "Key confirmation" says (Tb from
 * the hub first, cs_cpace_confirm_tags); the device checks Tb before it
 * opens the box, sends Ta only if Tb was right, and a hub that does not get
 * a right Ta counts the run as a failed guess of the code.
 * box = ChaCha20-Poly1305-IETF (key K, nonce 0, no AD) of
 *   hub key(32) secret(32) expires(8, big-endian) then org, role, name,
 *   each a length byte and the bytes;
 * K = HKDF-SHA-512(salt = sid, IKM = ISK, info = "cellsync enroll grant",
 * L = 32) (RFC 5869; the draft recommends a KDF on ISK before use). K is
 * used once. The secret is the 256-bit enrollment secret the device then
 * presents in its first handshake, as one from a file.
 */
#ifndef CELLSYNC_PAKE_H
#define CELLSYNC_PAKE_H

#include <stddef.h>
#include <stdint.h>

#include "cellsync/cpace.h"
#include "cellsync/enroll.h"

#define CS_PAKE_FRAME     0xe0u
#define CS_PAKE_NONCE_LEN 16

enum cs_pake_step {
    CS_PAKE_REFUSE = 0,
    CS_PAKE_START = 1,
    CS_PAKE_NONCE = 2,
    CS_PAKE_SHARE = 3,
    CS_PAKE_REPLY = 4,
    CS_PAKE_CONFIRM = 5,
};

#define CS_PAKE_START_LEN   (2 + 1 + 2 + CS_PAKE_NONCE_LEN)
#define CS_PAKE_NONCE_MSG   (2 + CS_PAKE_NONCE_LEN)
#define CS_PAKE_SHARE_LEN   (2 + CS_CPACE_POINT_LEN)
#define CS_PAKE_CONFIRM_LEN (2 + CS_CPACE_TAG_LEN)
#define CS_PAKE_REFUSE_LEN  5
/* A REPLY at most: the box holds three short texts. */
#define CS_PAKE_REPLY_MAX (2 + CS_CPACE_POINT_LEN + CS_CPACE_TAG_LEN + 72 + 3 + 64 + 16 + 64 + 16)

/* Why a hub refused a run (REFUSE's reason). Numbered; append only. */
enum cs_pake_refusal {
    CS_PAKE_NO_CODE = 1, /* no open code of that number: used, expired or never made here */
    CS_PAKE_LOCKED = 2,  /* too many runs without the right code: locked */
    CS_PAKE_WAIT = 3,    /* this address guessed wrong too often: wait (seconds) */
};

/* One party's state through one run. Holds secrets: cs_pake_wipe it. */
struct cs_pake {
    uint32_t number;
    uint8_t prs[CS_ENROLL_SECRET_LEN];
    uint8_t sid[2 * CS_PAKE_NONCE_LEN];
    uint8_t y[CS_CPACE_SCALAR_LEN];
    uint8_t ya[CS_CPACE_POINT_LEN], yb[CS_CPACE_POINT_LEN];
    uint8_t ta[CS_CPACE_TAG_LEN]; /* hub: the device's tag it expects */
    int replied;                  /* hub: REPLY made, ta set */
};

void cs_pake_wipe(struct cs_pake *p);

/* The REFUSE frame. */
void cs_pake_refusal(uint8_t out[CS_PAKE_REFUSE_LEN], enum cs_pake_refusal reason, unsigned wait_s);

/* The step of a frame that starts CS_PAKE_FRAME, or -1. */
int cs_pake_step(const uint8_t *in, size_t inlen);

/* ---- the device ---- */

/* START for a code's secret (cs_enroll_code_parse). CS_EINVAL if it is not one. */
int cs_pake_dev_start(struct cs_pake *p, const uint8_t code_secret[CS_ENROLL_SECRET_LEN],
                      uint8_t out[CS_PAKE_START_LEN]);

/* SHARE from the hub's NONCE. CS_EMALFORMED if in is not a NONCE. */
int cs_pake_dev_share(struct cs_pake *p, const uint8_t *in, size_t inlen,
                      uint8_t out[CS_PAKE_SHARE_LEN]);

/*
 * Reads the hub's REPLY: Tb checked, then the box opened into e (all but
 * addr). CS_EDECRYPT when the hub does not hold the code (or someone
 * changed the reply): nothing of it may be used, and nothing is to be
 * sent. Else CONFIRM in out, to send.
 */
int cs_pake_dev_finish(struct cs_pake *p, const uint8_t *in, size_t inlen, struct cs_enrollment *e,
                       uint8_t out[CS_PAKE_CONFIRM_LEN]);

/* REFUSE's reason and wait: 0, or CS_EMALFORMED when in is not a REFUSE. */
int cs_pake_refusal_read(const uint8_t *in, size_t inlen, enum cs_pake_refusal *reason,
                         unsigned *wait_s);

/* ---- the hub ---- */

/*
 * Reads START: the code's number in p->number and *version the device's
 * wire version (compare with CS_WIRE_VERSION before going on); NONCE in
 * out. CS_EMALFORMED when in is not a START.
 */
int cs_pake_hub_start(struct cs_pake *p, const uint8_t *in, size_t inlen, unsigned *version,
                      uint8_t out[CS_PAKE_NONCE_MSG]);

/*
 * Reads SHARE and answers with REPLY for the code's secret and the
 * enrollment e (hub key, secret, expires, org, role, name). CS_EMALFORMED
 * for a SHARE that is not one or whose share is not a valid element (the
 * draft's abort), CS_EINVAL for a code secret of another number or texts
 * too long. The tag the device must send back is kept in p.
 */
int cs_pake_hub_reply(struct cs_pake *p, const uint8_t code_secret[CS_ENROLL_SECRET_LEN],
                      const uint8_t *in, size_t inlen, const struct cs_enrollment *e, uint8_t *out,
                      size_t cap, size_t *outlen);

/* 0 when in is the device's CONFIRM with the right tag, else CS_EDECRYPT. */
int cs_pake_hub_confirm(const struct cs_pake *p, const uint8_t *in, size_t inlen);

#endif
