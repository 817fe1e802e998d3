/* SPDX-License-Identifier: MIT */
/*
 * A sync with the hub (cmd_sync.c) and a stick's bundle written or read
 * (cmd_bundle.c) as functions: what `cellsync sync` and `cellsync bundle`
 * run, and the sync page of `cellsync ui` runs on its worker thread with a
 * client of its own. Nothing here prints; a watcher hears the progress.
 */
#ifndef CELLSYNC_CLIENT_SYNC_H
#define CELLSYNC_CLIENT_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "client.h"
#include "device.h"
#include "devsync.h"
#include "link.h"

/* Told after each step and each message from the hub; NULL progress: nobody listens. */
struct sync_watch {
    void (*progress)(void *ud, const struct sync_progress *p);
    void *ud;
};

/* How a sync went. */
struct sync_summary {
    struct tally t;
    size_t to_fix;           /* refusals a person must put right */
    uint64_t open_conflicts; /* after it */
    size_t rotated;          /* the hub's key rotation checked and pinned: its steps (0: none) */
};

/*
 * One live sync with the hub at addr (HOST:PORT, as link_address() writes
 * it), waiting at most timeout seconds for the hub: the very steps of
 * `cellsync sync` (w may be NULL). 0, or an error with err saying what
 * failed; sum is filled either way.
 */
int client_sync(struct client *c, const char *addr, int timeout, const struct sync_watch *w,
                struct sync_summary *sum, char *err, size_t errlen);

/*
 * `cellsync bundle export FILE`: this device's changes the hub has not
 * acknowledged, written to path. rep (optional) hears the progress.
 */
int client_bundle_export(struct client *c, const char *path, const struct device_report *rep,
                         struct device_tally *t, char *err, size_t errlen);
/*
 * `cellsync bundle import REPLY`: the hub's reply at path, or in the
 * directory path (this device's reply, cs_bundle_reply_find()), applied.
 * found (optional, PATH_MAX + 16 bytes) gets the file read; acc (zeroed
 * and released by the caller) the changes the hub refused, to_fix those
 * a person must put right. rep (optional) hears the progress.
 */
int client_bundle_import(struct client *c, const char *path, const struct device_report *rep,
                         struct device_tally *t, char *found, struct device_refusals *acc,
                         char *err, size_t errlen);

#endif
