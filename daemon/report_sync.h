/* SPDX-License-Identifier: MIT */
/*
 * The hub's own report: per enrolled device its last contact, what it has
 * not yet received, the open conflicts in its unit and its refused changes.
 * It reads the hub's tables (hub_device, hub_refused), so the hub registers
 * it on its struct cs_report (cellsync/report.h) and a field device, which
 * has no such tables, never makes it.
 */
#ifndef CELLSYNCD_REPORT_SYNC_H
#define CELLSYNCD_REPORT_SYNC_H

#include "cellsync/report.h"

/* The sync report: "sync", its devices section and its chart. */
extern const struct cs_report_kind_def report_sync;

struct hub;
/*
 * Adds to the hub's replica connection the SQL function the sync report
 * calls, sync_pending(device id): what the device's next sync would bring
 * it (hub_peer_pending()), worked out once per device for the connection's
 * life (one report command on one moment's replica). 0, CS_ENOMEM or
 * CS_ESQLITE.
 */
int report_sync_functions(struct hub *h);

#endif
