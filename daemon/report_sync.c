/* SPDX-License-Identifier: MIT */
/*
 * The sync report of the hub (daemon/report_sync.h): the SQL that reads
 * the hub's own tables, hub_device and hub_refused, next to the code that
 * makes them (hub.c), and which cellsyncd registers on its report engine
 * (cellsync/report.h). A field device has no such tables and never
 * registers it. docs/REPORTS.md carries this SQL as `report all --sql`
 * prints it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/replica.h"
#include "cellsync/report.h"
#include "peer.h"
#include "report_sync.h"

/* The SQL is laid out for `--sql` and the docs, not for clang-format. */
/* clang-format off */

/* ---- sync (hub) ---- */

/*
 * The unit of each open conflict (the store's view cs_conflict, see
 * cellsync/replica.h): the row's own org unit, or that of the record it
 * belongs to.
 */
#define CONFLICT_UNITS                                                                             \
    "conflict(code) AS (\n"                                                                        \
    "  SELECT CASE v.tbl\n"                                                                        \
    "    WHEN 'org_unit' THEN (SELECT code FROM org_unit WHERE id = v.row)\n"                      \
    "    WHEN 'candidate' THEN (SELECT org_unit FROM candidate WHERE id = v.row)\n"                \
    "    WHEN 'member' THEN (SELECT org_unit FROM member WHERE id = v.row)\n"                      \
    "    WHEN 'meeting' THEN (SELECT org_unit FROM meeting WHERE id = v.row)\n"                    \
    "    WHEN 'target' THEN (SELECT org_unit FROM target WHERE id = v.row)\n"                      \
    "    WHEN 'attendance' THEN (SELECT e.org_unit FROM attendance x\n"                            \
    "                             JOIN meeting e ON e.id = x.meeting WHERE x.id = v.row)\n"        \
    "    WHEN 'assessment' THEN (SELECT e.org_unit FROM assessment x\n"                            \
    "                             JOIN meeting e ON e.id = x.meeting WHERE x.id = v.row)\n"        \
    "    WHEN 'exception' THEN (SELECT e.org_unit FROM exception x\n"                              \
    "                            JOIN candidate e ON e.id = x.candidate WHERE x.id = v.row)\n"     \
    "    WHEN 'step_undo' THEN (SELECT e.org_unit FROM step_undo x\n"                              \
    "                            JOIN candidate e ON e.id = x.candidate WHERE x.id = v.row)\n"     \
    "    WHEN 'rating' THEN (SELECT e.org_unit FROM rating x\n"                                    \
    "                         JOIN member e ON e.id = x.member WHERE x.id = v.row)\n"              \
    "    WHEN 'transfer' THEN (SELECT e.org_unit FROM transfer x\n"                                \
    "                           JOIN member e ON e.id = x.member WHERE x.id = v.row)\n"            \
    "    END\n"                                                                                    \
    "    FROM cs_conflict v)"

/*
 * pending: sync_pending(id) (report_sync_functions()), the changes the
 * device's next sync would send it: the hub's versions after its cursor
 * (applied) that lie in its scope, without its own writes, read a chunk at
 * a time by the very filter of its sessions. hub_seq - applied would count
 * the other cells' writes too, which the device never receives. NULL for a
 * device whose unit is no longer in the org tree.
 */
#define SYNC_SQL                                                                                   \
    CS_REPORT_UNITS ",\n"                                                                          \
    "everywhere(anc, code, depth) AS (\n"                                                          \
    "  SELECT code, code, 0 FROM live\n"                                                           \
    "  UNION ALL\n"                                                                                \
    "  SELECT e.anc, l.code, e.depth + 1 FROM everywhere e JOIN live l ON l.parent = e.code\n"     \
    "   WHERE e.depth < 32),\n" CONFLICT_UNITS ",\n"                                               \
    "open(org, n) AS (\n"                                                                          \
    "  SELECT e.anc, count(*) FROM conflict c JOIN everywhere e ON e.code = c.code\n"              \
    "   GROUP BY e.anc),\n"                                                                        \
    "refused(device, n) AS (SELECT device, count(*) FROM hub_refused GROUP BY device),\n"          \
    "hub(seq) AS (SELECT :hub_seq)\n"                                                              \
    "SELECT short_id(d.id) AS device, d.name AS name, d.org AS unit,\n"            \
    "       d.role AS role,\n"                                                                     \
    "       CASE WHEN d.last_contact > 0\n"                                                        \
    "            THEN strftime('%Y-%m-%d %H:%M', d.last_contact, 'unixepoch') END"                 \
    " AS last_contact,\n"                                                                          \
    "       CASE WHEN d.last_contact > 0\n"                                                        \
    "            THEN max(0, CAST(julianday(:today)\n"                                             \
    "                      - julianday(d.last_contact, 'unixepoch', 'start of day')"               \
    " AS INTEGER)) END AS days_since,\n"                                                           \
    "       CASE WHEN d.revoked_at > 0 THEN date(d.revoked_at, 'unixepoch') END"                   \
    " AS revoked,\n"                                                                               \
    "       h.seq AS hub_seq, d.down_seq AS applied, sync_pending(d.id) AS pending,\n"             \
    "       coalesce(o.n, 0) AS conflicts, coalesce(r.n, 0) AS refusals\n"                         \
    "  FROM hub_device d CROSS JOIN hub h\n"                                                       \
    "  LEFT JOIN open o ON o.org = d.org\n"                                                        \
    "  LEFT JOIN refused r ON r.device = d.id\n"                                                   \
    " WHERE d.org IN (SELECT code FROM unit)\n"                                                    \
    " ORDER BY d.org, d.name, d.id"


static const char sync_chart_sql[] =
    "WITH bands(ord, band) AS (VALUES (1, 'today'), (2, 'week'), (3, 'month'), (4, 'older'),\n"
    "  (5, 'never')),\n"
    "d AS (\n"
    "  SELECT CASE WHEN last_contact IS NULL THEN 'never'\n"
    "              WHEN days_since <= 0 THEN 'today'\n"
    "              WHEN days_since <= 7 THEN 'week'\n"
    "              WHEN days_since <= 30 THEN 'month'\n"
    "              ELSE 'older' END AS band\n"
    "    FROM (\n" SYNC_SQL ")\n"
    "   WHERE revoked IS NULL)\n"
    "SELECT label('contact_band', b.band) AS label, count(d.band) AS value, NULL AS mark,\n"
    "       NULL AS note\n"
    "  FROM bands b LEFT JOIN d ON d.band = b.band\n"
    " GROUP BY b.ord ORDER BY b.ord";

/* clang-format on */

static const char *const sync_devices_headers[] = {
    N_("device"),  N_("name"),         N_("unit"),
    N_("role"),    N_("last contact"), N_("days ago"),
    N_("revoked"), N_("hub seq"),      NC_("sync", "applied"),
    N_("pending"), N_("conflicts"),    N_("refusals"),
    NULL,
};

static const struct cs_report_query report_sync_queries[] = {
    {"devices", N_("Devices"), SYNC_SQL, sync_devices_headers},
    {"chart", N_("Devices by last contact (revoked ones left out)"), sync_chart_sql,
     cs_report_chart_headers},
};

/*
 * :hub_seq, the hub's highest seq, as the replica tells it
 * (cs_replica_seq()) on the report's connection: bound inside the report's
 * read transaction, it is the seq of the very versions the report reads.
 */
static int
bind_sync(struct cs_replica *r, sqlite3_stmt *st, int index, const char *name)
{
    if (strcmp(name, ":hub_seq") != 0)
        return 0;
    if (sqlite3_bind_int64(st, index, (sqlite3_int64)cs_replica_seq(r)) != SQLITE_OK)
        return CS_ESQLITE;
    return 0;
}

/*
 * What sync_pending() worked out, by device: a report reads the column more
 * than once (its JSON and its page make the rows twice), and `cellsyncd
 * report` is one command on one moment's replica, so each device's count is
 * made once.
 */
struct pending_memo {
    struct hub *h;
    size_t n, cap;
    struct {
        struct cs_id id;
        int64_t count; /* -1: NULL (the device's unit is gone) */
    } * e;
};

static void
pending_memo_free(void *p)
{
    struct pending_memo *m = p;
    if (m != NULL)
        free(m->e);
    free(m);
}

/* sync_pending(id): hub_peer_pending() of the device, NULL when its unit is gone. */
static void
sync_pending_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct pending_memo *m = sqlite3_user_data(ctx);
    struct cs_id id;
    uint64_t n;
    char err[256] = "";
    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_BLOB || sqlite3_value_bytes(argv[0]) != CS_ID_LEN)
        return; /* NULL */
    memcpy(id.b, sqlite3_value_blob(argv[0]), CS_ID_LEN);
    for (size_t i = 0; i < m->n; i++)
        if (cs_id_cmp(&m->e[i].id, &id) == 0) {
            if (m->e[i].count >= 0)
                sqlite3_result_int64(ctx, m->e[i].count);
            return;
        }
    int ret = hub_peer_pending(m->h, &id, &n, err, sizeof(err));
    if (ret != 0 && ret != CS_ENOTFOUND) {
        sqlite3_result_error(ctx, err[0] != 0 ? err : cs_strerror(ret), -1);
        return;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        void *e = realloc(m->e, cap * sizeof(*m->e));
        if (e == NULL) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
        m->e = e;
        m->cap = cap;
    }
    m->e[m->n].id = id;
    m->e[m->n++].count = ret == CS_ENOTFOUND ? -1 : (int64_t)n;
    if (ret == 0)
        sqlite3_result_int64(ctx, (sqlite3_int64)n);
}

int
report_sync_functions(struct hub *h)
{
    sqlite3 *db = cs_replica_db(hub_replica(h));
    struct pending_memo *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return CS_ENOMEM;
    m->h = h;
    /* On failure sqlite3_create_function_v2 calls the destructor itself. */
    return sqlite3_create_function_v2(db, "sync_pending", 1, SQLITE_UTF8, m, sync_pending_fn, NULL,
                                      NULL, pending_memo_free) == SQLITE_OK
               ? 0
               : CS_ESQLITE;
}

/* The hub's report, which cellsyncd registers (daemon/report_sync.h). */
const struct cs_report_kind_def report_sync = {
    .name = "sync",
    .title = N_("Devices and sync"),
    .queries = report_sync_queries,
    .count = sizeof(report_sync_queries) / sizeof(report_sync_queries[0]),
    .bind = bind_sync,
};
