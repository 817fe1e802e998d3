/* SPDX-License-Identifier: MIT */
/*
 * CPace, the balanced PAKE of draft-irtf-cfrg-cpace, cipher suite
 * CPACE-RISTR255-SHA512 (group ristretto255, hash SHA-512), on libsodium.
 * Two parties that hold the same password-related string PRS (and the same
 * CI and sid) each send one share Y and optional associated data AD, and
 * both derive the same 64-byte intermediate session key ISK; a party with a
 * different PRS gets an unrelated ISK and learns one guess's worth, no more.
 *
 * One run, party A (B is the same with its own scalar and AD):
 *   cs_cpace_generator(PRS, CI, sid) -> g          (secret: wipe it after)
 *   cs_cpace_start(g) -> y (secret scalar), Ya     send Ya, ADa
 *   receive Yb, ADb
 *   cs_cpace_finish(y, CS_CPACE_A, mode, sid, {Ya,ADa}, {Yb,ADb}) -> ISK
 * ISK authenticates nothing until used: the draft (section "Key
 * confirmation") recommends a confirmation round with MACs keyed from ISK,
 * and running ISK through a KDF before use. K itself is never exposed.
 */
#ifndef CELLSYNC_CPACE_H
#define CELLSYNC_CPACE_H

#include <stddef.h>
#include <stdint.h>

#define CS_CPACE_POINT_LEN      32 /* an encoded ristretto255 element: g, Ya, Yb */
#define CS_CPACE_SCALAR_LEN     32 /* y, little-endian */
#define CS_CPACE_ISK_LEN        64 /* SHA-512 */
#define CS_CPACE_SID_OUTPUT_LEN 64
#define CS_CPACE_TAG_LEN        64 /* HMAC-SHA-512 */

/*
 * The transcript of the draft's "Definitions and notation": initiator-
 * responder, lv_cat(Ya,ADa) || lv_cat(Yb,ADb), when the protocol fixes who
 * speaks first; ordered concatenation, o_cat(lv_cat(Ya,ADa),lv_cat(Yb,ADb)),
 * when it does not (the "symmetric" setting).
 */
enum cs_cpace_mode {
    CS_CPACE_IR = 0,
    CS_CPACE_OC = 1,
};

/* Which of the two shares of a run this party sent: A initiates, B responds. */
enum cs_cpace_role {
    CS_CPACE_A = 0,
    CS_CPACE_B = 1,
};

/* One party's message: its share Y (CS_CPACE_POINT_LEN bytes) and its AD. */
struct cs_cpace_share {
    const uint8_t *y_pub;
    const uint8_t *ad; /* may be NULL when adlen is 0 */
    size_t adlen;
};

/*
 * G.calculate_generator(H, PRS, CI, sid): g = ristretto255 element
 * derivation of SHA-512(lv_cat(DSI, PRS, zero padding, CI, sid)). CI and sid
 * may be empty (NULL, 0). g depends on the password: wipe it when done.
 * Returns 0, or CS_EINVAL on a NULL pointer with a nonzero length.
 */
int cs_cpace_generator(const uint8_t *prs, size_t prslen, const uint8_t *ci, size_t cilen,
                       const uint8_t *sid, size_t sidlen, uint8_t g[CS_CPACE_POINT_LEN]);

/*
 * Samples a fresh secret scalar y (uniform in 1 .. group order - 1, the
 * draft's allowed alternative to its recommended sampler) and computes the
 * share Y = y*g to send. y must be used for one run only, then wiped.
 * Returns 0, CS_EINVAL, or CS_ECRYPTO when g is not a valid generator.
 */
int cs_cpace_start(const uint8_t g[CS_CPACE_POINT_LEN], uint8_t y[CS_CPACE_SCALAR_LEN],
                   uint8_t y_pub[CS_CPACE_POINT_LEN]);

/*
 * K = scalar_mult_vfy(y, the peer's share), then
 * ISK = SHA-512(lv_cat("CPaceRistretto255_ISK", sid, K) || transcript(a, b)).
 * a is A's message and b is B's, whoever calls; role says which one is this
 * party's own, so the other is the peer's. Returns 0, CS_EINVAL, or
 * CS_EMALFORMED when the peer's share is not the canonical encoding of a
 * group element or K is the identity (the draft's MUST abort); isk is then
 * zeroed and the run must be abandoned.
 */
int cs_cpace_finish(const uint8_t y[CS_CPACE_SCALAR_LEN], enum cs_cpace_role role,
                    enum cs_cpace_mode mode, const uint8_t *sid, size_t sidlen,
                    const struct cs_cpace_share *a, const struct cs_cpace_share *b,
                    uint8_t isk[CS_CPACE_ISK_LEN]);

/*
 * The optional public session identifier of the draft's section
 * "Calculating a session identifier alongside with the CPace run":
 * SHA-512("CPaceSidOutput" || transcript(a, b)), for a run without a sid.
 * Returns 0 or CS_EINVAL.
 */
int cs_cpace_sid_output(enum cs_cpace_mode mode, const struct cs_cpace_share *a,
                        const struct cs_cpace_share *b, uint8_t out[CS_CPACE_SID_OUTPUT_LEN]);

/*
 * The explicit key confirmation of the draft's section "Key confirmation":
 * mac_key = SHA-512(b"CPaceMac" || sid || ISK), Ta = HMAC-SHA-512(mac_key,
 * lv_cat(Ya, ADa)) and Tb = HMAC-SHA-512(mac_key, lv_cat(Yb, ADb)). Each
 * party sends its own tag and checks the other's (sodium_memcmp) before it
 * trusts anything keyed from ISK. Returns 0 or CS_EINVAL.
 */
int cs_cpace_confirm_tags(const uint8_t *sid, size_t sidlen, const uint8_t isk[CS_CPACE_ISK_LEN],
                          const struct cs_cpace_share *a, const struct cs_cpace_share *b,
                          uint8_t ta[CS_CPACE_TAG_LEN], uint8_t tb[CS_CPACE_TAG_LEN]);

#endif
