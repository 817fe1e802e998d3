/* SPDX-License-Identifier: MIT */
/*
 * The admin journal (see hub.h): what a restored backup must not take back,
 * kept beside the replica rather than in it.
 *
 * One line per entry, appended with O_APPEND in one write(2) and fsync'd
 * before the change it records commits, so the journal never lacks a
 * revocation or a used enrollment the replica holds (a failed commit leaves
 * an entry for a change that did not happen, which a restore re-applies:
 * the safe side). A crash in the middle of a write leaves at most a last
 * line without its newline, for a change that never committed: replay skips
 * it.
 *
 *   revoke HEXID AT                    device HEXID revoked at AT (unix time)
 *   enroll-used ROW CREATED HEXID AT   enrollment ROW (made at CREATED) used by HEXID
 *
 * Lines starting with '#' are comments. The enrollment is named by its row
 * and its creation time together, so that a row number reused after a
 * restore never matches an entry of the row it replaced.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/util.h"
#include "hub_internal.h"
#include "ops.h"

#define LINE_MAX_ 256

static int
journal_path(char *buf, size_t len, const char *state, char *err, size_t errlen)
{
    if (ops_path(buf, len, state, HUB_JOURNAL) != 0)
        return cs_errf(err, errlen, CS_EINVAL, _("'%s': path too long"), state);
    return 0;
}

/* Appends line (with its newline) to the journal of h's state, durably. */
static int
journal_append(struct hub *h, const char *line, char *err, size_t errlen)
{
    char path[PATH_MAX];
    struct stat st, dir;
    int ret;

    if ((ret = journal_path(path, sizeof(path), h->state, err, errlen)) != 0)
        return ret;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return cs_errf(err, errlen, -errno, _("cannot open '%s': %s"), path, strerror(errno));
    if (fstat(fd, &st) != 0 || stat(h->state, &dir) != 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot open '%s': %s"), path, strerror(errno));
        goto out;
    }
    /*
     * The daemon's user appends too (a used enrollment): a journal made by
     * root (`cellsyncd revoke` run as root) is given to the owner of the
     * state directory, as the lock and the restored files are.
     */
    if (geteuid() == 0 && (st.st_uid != dir.st_uid || st.st_gid != dir.st_gid) &&
        fchown(fd, dir.st_uid, dir.st_gid) != 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot give '%s' to the owner of the state: %s"),
                      path, strerror(errno));
        goto out;
    }
    if ((st.st_mode & 077) != 0 && fchmod(fd, 0600) != 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot write '%s': %s"), path, strerror(errno));
        goto out;
    }
    size_t len = strlen(line);
    ssize_t n = write(fd, line, len);
    if (n >= 0 && (size_t)n != len) {
        ret =
            cs_errf(err, errlen, CS_EFULL, _("cannot write '%s': %s"), path, cs_strerror(CS_EFULL));
        goto out;
    }
    if (n < 0 || fsync(fd) != 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot write '%s': %s"), path, strerror(errno));
        goto out;
    }
    /* A new journal's name is durable too. */
    if (st.st_size == 0 && (ret = ops_sync_dir(h->state, err, errlen)) != 0)
        goto out;
    ret = 0;
out:
    close(fd);
    return ret;
}

int
hub_journal_revoke(struct hub *h, const struct cs_id *id, int64_t at, char *err, size_t errlen)
{
    char hex[2 * CS_ID_LEN + 1], line[LINE_MAX_];
    sodium_bin2hex(hex, sizeof(hex), id->b, CS_ID_LEN);
    snprintf(line, sizeof(line), "revoke %s %" PRId64 "\n", hex, at);
    return journal_append(h, line, err, errlen);
}

int
hub_journal_enroll_used(struct hub *h, int64_t row, int64_t created, const struct cs_id *by,
                        int64_t at, char *err, size_t errlen)
{
    char hex[2 * CS_ID_LEN + 1], line[LINE_MAX_];
    sodium_bin2hex(hex, sizeof(hex), by->b, CS_ID_LEN);
    snprintf(line, sizeof(line), "enroll-used %" PRId64 " %" PRId64 " %s %" PRId64 "\n", row,
             created, hex, at);
    return journal_append(h, line, err, errlen);
}

/* A device id of 2 * CS_ID_LEN hex digits. 0 or -1. */
static int
id_parse(const char *hex, struct cs_id *id)
{
    size_t n = 0;
    if (strlen(hex) != 2 * CS_ID_LEN ||
        sodium_hex2bin(id->b, CS_ID_LEN, hex, strlen(hex), NULL, &n, NULL) != 0 || n != CS_ID_LEN)
        return -1;
    return 0;
}

/* One entry applied to h's replica (in the replay's transaction): 1 changed, 0 not, or < 0. */
static int
entry_apply(struct hub *h, const char *line, int *bad)
{
    char kind[16], hex[66]; /* %65s: a longer id is read whole, then refused by id_parse */
    int64_t a, b, at;
    struct cs_id id;
    sqlite3_stmt *st;
    int rc;

    *bad = 0;
    if (sscanf(line, "%15s", kind) != 1)
        return *bad = 1, 0;
    if (strcmp(kind, "revoke") == 0) {
        if (sscanf(line, "revoke %65s %" SCNd64, hex, &at) != 2 || id_parse(hex, &id) != 0)
            return *bad = 1, 0;
        if ((rc = cs_stmt_get(&h->stmts, ST_DEV_REVOKE, &st)) != SQLITE_OK)
            return cs_sqlite_code(rc);
        sqlite3_bind_blob(st, 1, id.b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, at);
    } else if (strcmp(kind, "enroll-used") == 0) {
        if (sscanf(line, "enroll-used %" SCNd64 " %" SCNd64 " %65s %" SCNd64, &a, &b, hex, &at) !=
                4 ||
            id_parse(hex, &id) != 0)
            return *bad = 1, 0;
        if ((rc = cs_stmt_get(&h->stmts, ST_ENROLL_REUSE, &st)) != SQLITE_OK)
            return cs_sqlite_code(rc);
        sqlite3_bind_int64(st, 1, a);
        sqlite3_bind_int64(st, 2, b);
        sqlite3_bind_blob(st, 3, id.b, CS_ID_LEN, SQLITE_STATIC);
    } else {
        return *bad = 1, 0;
    }
    if ((rc = cs_step_done(st)) != SQLITE_OK)
        return cs_sqlite_code(rc);
    return sqlite3_changes(h->db) > 0;
}

int
hub_journal_replay(struct hub *h, const char *state, size_t *revoked, size_t *used, char *err,
                   size_t errlen)
{
    char path[PATH_MAX], line[LINE_MAX_];
    int ret, lineno = 0;

    *revoked = *used = 0;
    if ((ret = journal_path(path, sizeof(path), state, err, errlen)) != 0)
        return ret;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return 0;
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (f == NULL) {
        ret = cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return ret;
    }
    if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        ret = hub__db_fail(h, sqlite3_errcode(h->db), err, errlen, NC_("cannot %s", "write to"));
        goto out;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        size_t len = strlen(line);
        /* The last line cut by a crash: its change never committed. */
        if (len == 0 || line[len - 1] != '\n') {
            if (feof(f))
                break;
            ret = cs_errf(err, errlen, CS_EMALFORMED, _("%s:%d: line is too long"), path, lineno);
            goto rollback;
        }
        if (line[0] == '#' || line[0] == '\n')
            continue;
        int bad, rc = entry_apply(h, line, &bad);
        if (bad) {
            ret =
                cs_errf(err, errlen, CS_EMALFORMED, _("%s:%d: not a journal entry"), path, lineno);
            goto rollback;
        }
        if (rc < 0) {
            ret =
                hub__db_fail(h, sqlite3_errcode(h->db), err, errlen, NC_("cannot %s", "write to"));
            goto rollback;
        }
        if (rc > 0 && line[0] == 'r')
            (*revoked)++;
        else if (rc > 0)
            (*used)++;
    }
    if (ferror(f)) {
        ret = cs_errf(err, errlen, CS_EINVAL, _("cannot read '%s': %s"), path, strerror(EIO));
        goto rollback;
    }
    if (sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        ret = hub__db_fail(h, sqlite3_errcode(h->db), err, errlen, NC_("cannot %s", "write to"));
        goto rollback;
    }
    ret = 0;
    goto out;
rollback:
    sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
out:
    fclose(f);
    return ret;
}
