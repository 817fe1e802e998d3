/* SPDX-License-Identifier: MIT */
/*
 * Why the hub refused a change, as a code with arguments that each device
 * renders in its own language, not as text in the hub's. On the wire
 * (cellsync/wire.h) a refusal keeps its seven fields: its kind byte carries
 * the code (enum cs_refusal_kind) and its reason the code's English message
 * with the arguments filled in, which is what a client older than the codes
 * shows as it is (it reads a code it does not know as CS_REFUSAL_OTHER).
 * A device reads the arguments back from that English text and renders the
 * message through gettext; a text that does not match its code (an older
 * hub, a reason cut at the field's size) is shown as sent.
 */
#ifndef CELLSYNC_REFUSAL_H
#define CELLSYNC_REFUSAL_H

#include <stddef.h>

/*
 * The English text of refusal code for reason (len bytes), with the code's
 * arguments (each a string; as many as its message has). Returns code, so
 * an authorization can `return cs_refusal_make(reason, len, CODE, ...)`.
 * CS_REFUSAL_CLOCK takes the minutes ahead as a decimal string, and says
 * them in minutes below two hours, in hours (rounded up) from there.
 */
int cs_refusal_make(char *reason, size_t len, int code, ...);

/*
 * The refusal of code with the wire's reason text, in this program's
 * language, into buf (len bytes).
 */
void cs_refusal_render(int code, const char *reason, char *buf, size_t len);

#endif
