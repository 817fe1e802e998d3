/* SPDX-License-Identifier: MIT */
/*
 * The data directory and the replica in it (see client.h): where the
 * directory is, opening the replica with its holidays and today's date
 * (by the hub's time), a word about this computer's clock when it is off,
 * closing it under the WAL-checkpoint policy below, and checking the file
 * before records leave or arrive.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellsync/clock.h"
#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/holiday.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "cellsync/validate.h"
#include "client.h"

/* ---- the data directory ---- */

int
client_home(char *buf, size_t len)
{
    const char *h = getenv("CELLSYNC_HOME"), *xdg = getenv("XDG_DATA_HOME");
    int n;
    if (h != NULL && h[0] != 0) {
        n = snprintf(buf, len, "%s", h);
    } else if (xdg != NULL && xdg[0] == '/') {
        /* The XDG base directories: a relative $XDG_DATA_HOME is invalid and ignored. */
        n = snprintf(buf, len, "%s/cellsync", xdg);
    } else {
        const char *home = getenv("HOME");
        if (home == NULL || home[0] == 0) {
            client_fail(_("cannot find the data directory: set CELLSYNC_HOME or HOME"));
            return -1;
        }
        n = snprintf(buf, len, "%s/.local/share/cellsync", home);
    }
    if (n < 0 || (size_t)n >= len) {
        client_fail(_("the data directory path is too long"));
        return -1;
    }
    return 0;
}

void
client_path(const struct client *c, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", c->home, name);
}

/*
 * Every command is a new process, and a new SQLite connection does not
 * know how much of the WAL an earlier one copied into the database: it
 * reads the whole log again when it opens (recovery, ~2 us a page here),
 * and its automatic checkpoint never lets the log start over. Left alone,
 * the log grows by every write (11 pages for a candidate) and the opening
 * of every command with it; past 1,000 pages each commit also copies all
 * of it into the database again, with two more syncs. So a command that
 * finds the log over CLIENT_WAL_MAX copies it into the database and empties
 * it when it closes. SQLite syncs the database before it cuts the log, so
 * nothing committed is at risk. That costs about two syncs (the database,
 * and the next commit's log header), so it is done about every 20 adds
 * rather than every few (measured, BENCHMARKS.md section 6). A process busy
 * with the replica is not waited for: the next command tries again.
 */
#define CLIENT_WAL_MAX (1024 * 1024)

static void
checkpoint_if_long(struct client *c)
{
    char path[PATH_MAX + 32];
    struct stat st;

    if (c->db == NULL || !sqlite3_get_autocommit(c->db))
        return;
    client_path(c, CLIENT_REPLICA "-wal", path, sizeof(path));
    if (stat(path, &st) != 0 || st.st_size < CLIENT_WAL_MAX)
        return;
    sqlite3_busy_timeout(c->db, 0);
    sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

/*
 * Told at the end, after what the command printed, and with the offset it
 * may have just learned (a sync, a reply), so the person reads it last.
 */
static void
clock_warn(struct client *c)
{
    char note[512], err[256];
    int32_t today;

    if (c->rep == NULL || c->clock_told || cs_replica_today(c->rep, &today, err, sizeof(err)) != 0)
        return;
    if (cs_clock_note(cs_replica_clock_offset(c->rep), CS_CLOCK_WARN_MS, today, note, sizeof(note)))
        fprintf(stderr, "cellsync: %s\n", note);
}

void
client_close(struct client *c)
{
    clock_warn(c);
    checkpoint_if_long(c);
    cs_replica_close(c->rep);
    cs_date_holidays_free(c->hol);
    memset(c, 0, sizeof(*c));
}

/* $CELLSYNC_CLOCK_SKEW: how far this computer's clock is made to read off, in ms. */
static int64_t clock_skew_ms;

static uint64_t
skewed_clock(void *ud)
{
    int64_t skew = *(const int64_t *)ud, t = (int64_t)cs_hlc_wall_ms(NULL) + skew;
    return t > 0 ? (uint64_t)t : 0;
}

static int
clock_skew(struct cs_replica *rep, char *err, size_t errlen)
{
    const char *env = getenv("CELLSYNC_CLOCK_SKEW");
    char *end;

    if (env == NULL || env[0] == 0)
        return 0;
    errno = 0;
    long long s = strtoll(env, &end, 10);
    /* Within 100 years either way: the stamps keep 48 bits of milliseconds. */
    if (errno != 0 || end == env || *end != 0 || s < -3155760000LL || s > 3155760000LL)
        return cs_errf(err, errlen, CS_EINVAL,
                       _("cannot use CELLSYNC_CLOCK_SKEW: '%s' is not a number of seconds"), env);
    /* Written once: a second client (the sync of `cellsync ui`, on its own thread) reads it. */
    if (clock_skew_ms != (int64_t)s * 1000)
        clock_skew_ms = (int64_t)s * 1000;
    cs_replica_set_time_source(rep, skewed_clock, &clock_skew_ms);
    return 0;
}

int
client_open(struct client *c)
{
    char path[PATH_MAX + 32], err[512];
    int ret;

    memset(c, 0, sizeof(*c));
    c->prog = "cellsync";
    if (client_home(c->home, sizeof(c->home)) != 0)
        return CS_EXIT_FAILURE;
    client_path(c, CLIENT_REPLICA, path, sizeof(path));
    if (access(path, F_OK) != 0) {
        client_fail(_("no records here yet: '%s' does not exist; run 'cellsync init' first"), path);
        return CS_EXIT_FAILURE;
    }
    if ((ret = cs_replica_open(&c->rep, path, 0, NULL, err, sizeof(err))) != 0) {
        client_fail("%s", err);
        return CS_EXIT_FAILURE;
    }
    c->db = cs_replica_db(c->rep);
    /*
     * The due list's temporary table in memory, not a file: a laptop's lists
     * are small, and the web pages' home refills it on every visit (half the
     * page's time went to writing the file: BENCHMARKS.md, section 10).
     */
    sqlite3_exec(c->db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
    /*
     * Each person recorded is checked against those born the same day: by an
     * index, not by reading them all (at 3,000 candidates, 30% of an add's
     * instructions; BENCHMARKS.md, section 16). Made once; if it cannot be
     * now (the replica busy or read-only), the check reads them all instead.
     */
    cs_person_index(c->db);
    if ((ret = cs_codes_sql_register(c->db)) != 0 || (ret = cs_date_holidays_new(&c->hol)) != 0) {
        client_close(c);
        return client_fail("%s", cs_strerror(ret));
    }
    /*
     * The hub's announced days, then this laptop's own file: an addition
     * for this device alone (a day the hub has not announced yet), which
     * the hub does not count.
     */
    if ((ret = cs_holiday_load(c->hol, c->db, err, sizeof(err))) != 0) {
        client_close(c);
        return client_fail("%s", err);
    }
    client_path(c, CLIENT_HOLIDAYS, path, sizeof(path));
    if (access(path, F_OK) == 0 &&
        (ret = cs_date_holidays_load(c->hol, path, err, sizeof(err))) != 0) {
        client_close(c);
        return client_fail("%s", err);
    }
    if ((ret = clock_skew(c->rep, err, sizeof(err))) != 0 ||
        (ret = cs_replica_today(c->rep, &c->today, err, sizeof(err))) != 0) {
        client_close(c);
        return client_fail("%s", err);
    }
    return 0;
}

int
client_check_replica_err(struct client *c, char *err, size_t errlen)
{
    char path[PATH_MAX + 32], first[256] = "";
    sqlite3_stmt *st = NULL;
    int rc, rows = 0, ok = 0;

    client_path(c, CLIENT_REPLICA, path, sizeof(path));
    /* One row "ok", or what is damaged (the first of up to 10 findings is enough here). */
    rc = sqlite3_prepare_v2(c->db, "PRAGMA quick_check(10)", -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (rows++ == 0) {
            const char *t = (const char *)sqlite3_column_text(st, 0);
            snprintf(first, sizeof(first), "%s", t ? t : "");
            ok = t != NULL && strcmp(t, "ok") == 0;
        }
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE)
        snprintf(first, sizeof(first), "%s", sqlite3_errmsg(c->db));
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE && ok && rows == 1)
        return 0;
    if (rc != SQLITE_DONE && (rc & 0xff) != SQLITE_CORRUPT && (rc & 0xff) != SQLITE_NOTADB)
        return cs_errf(err, errlen, CS_ESQLITE, _("cannot read '%s': %s"), path, first);
    return cs_errf(err, errlen, CS_ESQLITE,
                   _("'%s' is damaged (%s); nothing was sent or changed: keep a copy of the "
                     "file and ask the hub's administrator"),
                   path, first);
}

int
client_check_replica(struct client *c)
{
    char err[PATH_MAX + 512];
    if (client_check_replica_err(c, err, sizeof(err)) != 0)
        return client_fail("%s", err);
    return 0;
}

long long
client_hub_acked(struct client *c)
{
    char ack[32], *end;
    long long acked = 0;

    /* Nothing acknowledged yet (or a value this version cannot read): count everything. */
    if (cs_replica_meta_get(c->rep, CS_META_HUB_ACK_SEQ, ack, sizeof(ack)) == 0) {
        errno = 0;
        acked = strtoll(ack, &end, 10);
        if (errno != 0 || end == ack || *end != 0 || acked < 0)
            acked = 0;
    }
    return acked;
}
