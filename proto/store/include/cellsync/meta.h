/* SPDX-License-Identifier: MIT */
/*
 * The keys of a replica's local settings (cs_replica_meta_get/set in
 * cellsync/replica.h): small text values kept beside the registers and never
 * replicated. Every key is named here once, so a misspelt key is a compile
 * error rather than a setting silently read as unset. Numbers are stored as
 * decimal text.
 */
#ifndef CELLSYNC_META_H
#define CELLSYNC_META_H

/* ---- every replica (proto/store/replica.c) ---- */

/* This replica's site id (hex), the origin of its writes; set when it is created. */
#define CS_META_SITE "site"
/* The CS_SCHEMA_VERSION its domain tables were last made with. */
#define CS_META_SCHEMA "schema"
/* "1" when the domain tables carry the full-text search index, else "0". */
#define CS_META_SEARCH "search"
/* The last clock stamp issued, so a restart never issues a smaller one. */
#define CS_META_HLC "hlc"
/* The device's clock offset to hub time, in milliseconds, learned at each contact. */
#define CS_META_CLOCK_OFFSET_MS "clock_offset_ms"

/* ---- a field device (client/), from enrollment ---- */

/* The hub's address, host:port. */
#define CS_META_HUB_ADDR "hub_addr"
/* The hub's public key (hex), pinned at enrollment. */
#define CS_META_HUB_PK "hub_pk"
/* The one-time enrollment secret (hex), emptied once the hub has accepted the device. */
#define CS_META_ENROLL_SECRET "enroll_secret"
/* The device's name, as the hub lists it. */
#define CS_META_DEVICE_NAME "device_name"
/* The org unit code the device is enrolled for; the hub may update it. */
#define CS_META_ORG "org"
/* The role the device is enrolled with: "cell", "committee" or "hub" (enum cs_role). */
#define CS_META_ROLE "role"

/* "1" when `cellsync init --unencrypted-disk` made the records on a disk not known encrypted. */
#define CS_META_UNENCRYPTED_DISK "unencrypted_disk"

/* ---- a field device, from syncing ---- */

/* The highest hub seq received: the cursor of what comes down. */
#define CS_META_HUB_SEQ "hub_seq"
/* The highest of the device's own seqs the hub has acknowledged. */
#define CS_META_HUB_ACK_SEQ "hub_ack_seq"
/* The highest own seq written to a bundle: stamps at or below it are never re-stamped. */
#define CS_META_EXPORTED_SEQ "exported_seq"
/* The hub incarnation (hex) that hub_seq and hub_ack_seq count in. */
#define CS_META_HUB_INCARNATION "hub_incarnation"
/*
 * The timestamp of the last handshake sent (hex, CS_WIRE_TS_LEN bytes): the
 * next one is after it even if the clock went back (cs_wire_ts_next).
 */
#define CS_META_HS_TIME "hs_time"
/* When the hub was last heard from, in seconds since the epoch. */
#define CS_META_LAST_CONTACT "last_contact"
/* The hub time (an HLC stamp) of the newest reply bundle applied: older ones are refused. */
#define CS_META_REPLY_HUB_TIME "reply_hub_time"

/* ---- a hub (daemon/) ---- */

/* The code of the org unit at the root of the hub's tree. */
#define CS_META_ROOT_ORG "root_org"
/*
 * A hub below another (daemon/upstream.c) keeps the device keys above for
 * its link up, and: when it last tried to sync up and when one last
 * finished (Unix seconds), and what the last failed try said ("" once one
 * finished).
 */
#define CS_META_UP_TRIED "upstream_tried"
#define CS_META_UP_OK    "upstream_ok"
#define CS_META_UP_ERROR "upstream_error"

#endif
