/* SPDX-License-Identifier: MIT */
/*
 * The device's end of a connection to the hub: a blocking-with-poll TCP
 * link carrying length-prefixed frames, sealed once the session is up.
 * One thread, no event loop: the field client does one thing at a time.
 */
#ifndef CELLSYNC_CLIENT_LINK_H
#define CELLSYNC_CLIENT_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "cellsync/wire.h"

struct link {
    int fd;
    uint8_t *in;
    size_t inlen, incap;
    uint8_t *out;
    size_t outlen, outoff, outcap;
    struct cs_session sess;
    int sess_ready;
    int timeout;
    const int *stop_fd; /* NULL, or a descriptor that turns readable when the link must end now */
    const char *again;  /* the command that resumes, for messages (NULL: "cellsync sync") */
    int send_err;       /* a send failed (the hub hung up): what it said before is still read */
};

/* What moved, for the progress line and the summary. */
struct tally {
    size_t sent_changes, recv_changes, refused;
    size_t sent_bytes, recv_bytes;
};

/*
 * The hub's address as a person types it, written back as HOST:PORT into
 * buf: "host:port", "[v6]:port", or a host alone ("host", "[::1]", "::1",
 * a name or an IP address) on the hub's usual port CS_WIRE_PORT. 0, or
 * CS_EINVAL with err naming what is wrong.
 */
int link_address(const char *typed, char *buf, size_t len, char *err, size_t errlen);
/* Connects to an address link_address() takes within l->timeout seconds. */
int link_connect(struct link *l, const char *addr, char *err, size_t errlen);
/* Queues one frame (sealed when l->sess_ready). */
int link_queue(struct link *l, const uint8_t *msg, size_t len);
int link_queue_msg(struct link *l, const struct cs_msg *m);
/*
 * Moves bytes both ways until a whole frame has arrived (*frame, *flen,
 * valid until link_consume) or, with want_frame 0, until all is sent.
 */
int link_pump(struct link *l, uint32_t max, int want_frame, uint8_t **frame, size_t *flen,
              struct tally *t, char *err, size_t errlen);
/* Drops the frame link_pump handed out. */
void link_consume(struct link *l, size_t flen);
void link_close(struct link *l);
/* The command that resumes a sync on this link, as messages name it: l->again or "cellsync sync".
 */
const char *link_again(const struct link *l);

#endif
