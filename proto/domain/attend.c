/* SPDX-License-Identifier: MIT */
/*
 * Attendance at meetings (cellsync/attend.h). A row is looked for inside
 * the write transaction, so two runs at once cannot both add one for the
 * same member; every value goes through the replica like any other write.
 */
#include <stdlib.h>
#include <string.h>

#include "cellsync/attend.h"
#include "cellsync/error.h"
#include "cellsync/util.h"

int
cs_attend_find(sqlite3 *db, const struct cs_id *meeting, const struct cs_id *member,
               struct cs_id *out, bool *found)
{
    static const char sql[] = "SELECT id FROM attendance WHERE meeting = ?1 AND member = ?2"
                              " AND cl % 2 = 1 ORDER BY id LIMIT 1";
    sqlite3_stmt *st;
    int rc;

    *found = false;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return CS_ESQLITE;
    sqlite3_bind_blob(st, 1, meeting->b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, member->b, CS_ID_LEN, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == CS_ID_LEN) {
        memcpy(out->b, sqlite3_column_blob(st, 0), CS_ID_LEN);
        *found = true;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : CS_ESQLITE;
}

/* One member's row, in the open transaction. */
static int
record_one(struct cs_replica *r, const struct cs_id *meeting, const struct cs_attend *a, char *err,
           size_t errlen)
{
    struct cs_value mv = {.type = CS_VBLOB, .p = meeting->b, .n = CS_ID_LEN};
    struct cs_value pv = {.type = CS_VBLOB, .p = a->member.b, .n = CS_ID_LEN};
    struct cs_value yes = {.type = CS_VINT, .i = a->present};
    struct cs_value rv = {.type = CS_VNIL};
    struct cs_id id;
    bool found;
    int ret;

    if (a->reason != NULL && a->reason[0] != 0)
        rv = (struct cs_value){.type = CS_VTEXT, .p = a->reason, .n = strlen(a->reason)};
    if ((ret = cs_attend_find(cs_replica_db(r), meeting, &a->member, &id, &found)) != 0)
        return cs_errf(err, errlen, ret, "%s", sqlite3_errmsg(cs_replica_db(r)));
    if (!found) {
        cs_id_new(&id);
        if ((ret = cs_replica_set(r, "attendance", &id, "meeting", &mv, err, errlen)) != 0 ||
            (ret = cs_replica_set(r, "attendance", &id, "member", &pv, err, errlen)) != 0)
            return ret;
    }
    if ((ret = cs_replica_set(r, "attendance", &id, "present", &yes, err, errlen)) != 0)
        return ret;
    /* The reason is the one given now: a new record without one clears an old one. */
    if (found || rv.type != CS_VNIL)
        ret = cs_replica_set(r, "attendance", &id, "reason", &rv, err, errlen);
    return ret;
}

int
cs_attend_write(struct cs_replica *r, const struct cs_id *meeting, const struct cs_attend *rows,
                size_t n, char *err, size_t errlen)
{
    int ret = 0;

    for (size_t i = 0; i < n && ret == 0; i++)
        ret = record_one(r, meeting, &rows[i], err, errlen);
    return ret;
}

int
cs_attend_record(struct cs_replica *r, const struct cs_id *meeting, const struct cs_attend *rows,
                 size_t n, char *err, size_t errlen)
{
    int ret;

    if (err != NULL && errlen > 0)
        err[0] = 0;
    if ((ret = cs_replica_begin(r, err, errlen)) != 0)
        return ret;
    ret = cs_attend_write(r, meeting, rows, n, err, errlen);
    if (ret == 0)
        ret = cs_replica_commit(r, err, errlen);
    if (ret != 0) {
        cs_replica_rollback(r);
        if (err != NULL && errlen > 0 && err[0] == 0)
            cs_errf(err, errlen, ret, "%s", cs_strerror(ret));
    }
    return ret;
}

int
cs_attend_expected_org(sqlite3 *db, const char *org, struct cs_id **out, size_t *n, char *err,
                       size_t errlen)
{
    static const char sql[] =
        "SELECT id FROM member WHERE cl % 2 = 1 AND org_unit IS ?1"
        "   AND coalesce(status, '') NOT IN ('transferred_out', 'struck_off', 'deceased')"
        " ORDER BY full_name COLLATE vi_name, id";
    struct cs_id *ids = NULL;
    size_t cap = 0, count = 0;
    sqlite3_stmt *st = NULL;
    int ret = CS_ESQLITE, rc;

    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto out;
    if (org != NULL)
        sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != CS_ID_LEN)
            continue;
        if (cs_grow((void **)&ids, &cap, count + 1, sizeof(*ids), 16) != 0) {
            ret = cs_errf(err, errlen, CS_ENOMEM, "%s", cs_strerror(CS_ENOMEM));
            goto out;
        }
        memcpy(ids[count++].b, sqlite3_column_blob(st, 0), CS_ID_LEN);
    }
    if (rc != SQLITE_DONE)
        goto out;
    *out = ids;
    *n = count;
    ids = NULL;
    ret = 0;
out:
    if (ret == CS_ESQLITE)
        cs_errf(err, errlen, ret, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    free(ids);
    return ret;
}

int
cs_attend_expected(sqlite3 *db, const struct cs_id *meeting, struct cs_id **out, size_t *n,
                   char *err, size_t errlen)
{
    static const char sql[] = "SELECT org_unit FROM meeting WHERE id = ?1 AND cl % 2 = 1";
    sqlite3_stmt *st = NULL;
    char *org = NULL;
    int ret, rc;

    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return cs_errf(err, errlen, CS_ESQLITE, "%s", sqlite3_errmsg(db));
    sqlite3_bind_blob(st, 1, meeting->b, CS_ID_LEN, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL &&
        (org = strdup((const char *)sqlite3_column_text(st, 0))) == NULL)
        ret = cs_errf(err, errlen, CS_ENOMEM, "%s", cs_strerror(CS_ENOMEM));
    else if (rc == SQLITE_ROW)
        ret = cs_attend_expected_org(db, org, out, n, err, errlen);
    else if (rc == SQLITE_DONE)
        ret = cs_errf(err, errlen, CS_ENOTFOUND, "%s", cs_strerror(CS_ENOTFOUND));
    else
        ret = cs_errf(err, errlen, CS_ESQLITE, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    free(org);
    return ret;
}
