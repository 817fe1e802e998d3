/* SPDX-License-Identifier: MIT */
/*
 * What the files of the hub (hub.c, orgtree.c, devices.c, authz.c, audit.c)
 * share and nothing else sees: struct hub, the ids of its cached statements,
 * the org tree as read from its CSV, and the few helpers more than one of
 * them calls. The public API is hub.h.
 */
#ifndef CELLSYNC_HUB_INTERNAL_H
#define CELLSYNC_HUB_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "cellsync/rotation.h"
#include "cellsync/schema.h"
#include "cellsync/sqlstmt.h"
#include "hub.h"

#define ORG_MAX 64 /* an org code with its NUL, as in struct hub_device */

/*
 * The domain tables authorization places (authz.c), by their index in the
 * schema's descriptor (cellsync/schema.h); the ones the hub names.
 */
enum {
    T_ORG_UNIT = CS_TABLE_org_unit,
    T_CANDIDATE = CS_TABLE_candidate,
    T_MEMBER = CS_TABLE_member,
    T_MEETING = CS_TABLE_meeting,
    T_TARGET = CS_TABLE_target,
    T__COUNT = CS_TABLE__COUNT
};

/* ---- statements ---- */

enum {
    ST_DEV_GET,
    ST_DEV_ADD,
    ST_DEV_TOUCH,
    ST_DEV_UP,
    ST_DEV_DOWN,
    ST_DEV_ALL,
    ST_DEV_REVOKE,
    ST_DEV_REVOKED,
    ST_ENROLL_BY_FILE,
    ST_ENROLL_BY_CODE,
    ST_ENROLL_USE,
    ST_ENROLL_CREATED,
    ST_ENROLL_REUSE,
    ST_ENROLL_FAIL,
    ST_ENROLL_UNFAIL,
    ST_ENROLL_ADD,
    ST_ENROLL_CODE_FREE,
    ST_ENROLL_CODE_TAKEN,
    ST_UNIT_LIVE,
    ST_SUBTREE,
    ST_ANCESTORS,
    ST_DEV_ORG,
    ST_DEV_KNOWN,
    ST_UPWARD_ADD,
    ST_UPWARD_NEXT,
    ST_UPWARD_WAITING,
    ST_DATA_VERSION,
    ST_UNIT_TREE,
    ST_AUDIT_ADD,
    ST_REFUSED_ADD,
    ST_REFUSED_CLOCK,
    ST_REFUSED_OPEN,
    ST_REFUSED_ANY,
    ST_INC_ALL,
    ST_INC_ADD,
    ST_INC_FIRST,
    ST_HS_GET,
    ST_HS_SET,
    /* Per change of a set, on the merge path (authz.c, unitlog.c); the SQL made from the schema. */
    ST_CANDIDATE_FACTS, /* cs_candidate_facts_sql */
    ST_STAGE_DATED,     /* + enum cs_stage: whether a candidate has the stage's date */
    ST_KEY = ST_STAGE_DATED + CS_STAGE_WITHDRAWN + 1, /* + table: a row's placing column */
    ST_HOLDS = ST_KEY + T__COUNT,                     /* + table: the live rows a unit holds */
    ST_CHILDREN = ST_HOLDS + T__COUNT, /* + PARENT table: its rows placed through a row */
    ST__COUNT = ST_CHILDREN + T__COUNT
};

struct hub {
    char *state;
    char *dbpath;
    struct cs_key *key;
    struct cs_replica *r;
    sqlite3 *db;
    char root[ORG_MAX];
    struct cs_stmt_cache stmts; /* of the ST_ ids above, on db */
    /* The latest handshake timestamp seen per device (devices.c); the worker's only. */
    struct hub_hs_seen *hs_seen;
    size_t nhs_seen, caphs_seen;
    uint8_t audit_key[32]; /* subkey 3 of the first hub key: the audit chain's (audit.c) */
    /* The key's history (keys.c): hub.rotations, and the retired keys kept, newest first. */
    struct cs_rotation *rot;
    size_t nrot;
    struct cs_key *old[HUB_OLD_MAX];
    size_t nold;
    struct hub_unitlog *unitlog; /* the change log's keys of units (unitlog.c) */
};

/*
 * hub.rotations of state, checked to end at current; site gets the id the
 * replica was made for (the first key's). OUT: *rot, caller frees with free().
 */
int hub__rotations_load(const char *state, const struct cs_key *current, struct cs_rotation **rot,
                        size_t *n, struct cs_id *site, char *err, size_t errlen);
/* The retired keys of hub-old/ that h->rot names, and the audit chain's kept key. */
int hub__keys_load(struct hub *h, char *err, size_t errlen);

/* The audit chain's SQL function cs_audit_hash(...) on h->db (audit.c). */
int hub__audit_register(struct hub *h);
/* Chains the entries made before the chain (a hub of an older version): once, at open. */
int hub__audit_migrate(struct hub *h, char *err, size_t errlen);

struct hub_hs_seen {
    struct cs_id id;
    uint8_t ts[CS_WIRE_TS_LEN];
};

/*
 * The units that place a row as the hub has it now (as hub_row_in_scope
 * reads them), copied into out (max >= 8): how many, 0 when the hub cannot
 * place it, or a negative code. *tree: its ancestors read it too.
 */
int hub_row_units(struct hub *h, const char *table, const struct cs_id *row, char out[][ORG_MAX],
                  int max, int *tree);
/* The scope's ancestors (sorted), borrowed: how many. */
size_t hub_scope_ancestors(const struct hub_scope *s, char *const **out);

/*
 * The change log by org unit (unitlog.c): the replica's hooks, installed
 * at open (which builds the log of a hub made before it), and the keys a
 * device's downstream reads (cs_since_filter.keys): its unit's subtree and
 * the rows of its ancestors it may read. *n = 0: read every version.
 */
int hub_log_install(struct hub *h, char *err, size_t errlen);
/* After a transaction rolled back: the cached paths are made again. */
void hub_log_forget(struct hub *h);
void hub_log_release(struct hub *h);
int hub_log_keys(struct hub *h, const char *org, const struct hub_scope *s, int64_t *keys,
                 size_t max, size_t *n);

/* ---- the org-tree CSV (orgtree.c) ---- */

enum { F_ID, F_PARENT, F_LEVEL, F_KIND, F_NAME, F__COUNT };

struct unit {
    char *buf; /* the line's fields, NUL-separated; owns the strings below */
    char *f[F__COUNT];
    unsigned line;
    size_t parent; /* index into the units, or SIZE_MAX for the root */
    int mark;      /* cycle walk: 0 new, 1 on the current path, 2 reaches the root */
};

struct tree {
    struct unit *u;
    size_t n, cap;
    struct unit **by_code; /* sorted by code, then line */
    size_t root;
};

/*
 * Reads and checks an org-tree CSV (the format of hub_init): 0 with t
 * filled (free with tree_release), or a code with the file and line in err
 * and t empty.
 */
int hub__csv_read(const char *path, struct tree *t, char *err, size_t errlen);
void hub__tree_release(struct tree *t);

/* ---- helpers (hub.c) ---- */

/* An SQLite failure with sqlite3_errmsg() copied at once. */
int hub__db_fail(struct hub *h, int rc, char *err, size_t errlen, const char *what);
int hub__exec(struct hub *h, const char *sql, char *err, size_t errlen, const char *what);
/* A short code or name as people type it: 1..max-1 bytes, UTF-8, no control characters. */
int hub__text_ok(const char *s, size_t max, int may_be_empty);

#endif
