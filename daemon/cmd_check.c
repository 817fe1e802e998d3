/* SPDX-License-Identifier: MIT */
/*
 * `cellsyncd check`: can a hub serve from this configuration and state?
 * One line per check, "ok" or "FAILED: why", and exit 0 only when all pass,
 * so it fits both a person after an upgrade and a monitoring script. It
 * changes nothing: the replica is opened read-only, and the listening
 * address is tried with a socket that is closed at once. While a daemon
 * serves the state directory (it holds the serve lock) its port is in use
 * by that daemon, which is fine.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "cellsync/cli.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/rules.h"
#include "commands.h"
#include "hub.h"
#include "ops.h"

static void
usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n", _("usage: cellsyncd check [--state DIR] [--config FILE]"),
            _("Checks what the hub needs to serve, one line each: the configuration file,\n"
              "the state directory and who owns its files, the key pair (hub.key readable\n"
              "and mode 0600, hub.pub its public half), the replica (PRAGMA integrity_check,\n"
              "and that it belongs to the key), the inbox and holidays file if set, and\n"
              "that the listening address is free (or held by the cellsyncd serving this\n"
              "state).\n"
              "Exits 0 when every check is ok, 1 otherwise. Changes nothing."),
            _("options:\n"
              "  --state DIR    the state directory (default /var/lib/cellsyncd)\n"
              "  --config FILE  the configuration file (default /etc/cellsync/cellsyncd.conf)\n"
              "  --help         show this help"));
}

struct report {
    int checks, failed;
};

static void report_line(struct report *r, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One line: "what: ok", "what: ok (detail)" or "what: FAILED: why" (fmt NULL-free, "" = ok). */
static void
report_line(struct report *r, const char *what, const char *fmt, ...)
{
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    r->checks++;
    if (why[0] == 0)
        printf(_("%s: ok\n"), what);
    else {
        r->failed++;
        printf(_("%s: FAILED: %s\n"), what, why);
    }
}

/* The state directory: a directory, not writable by others, and its files all of one owner. */
static void
check_state(struct report *r, const char *state)
{
    static const char *const files[] = {
        HUB_KEY, HUB_PUB, HUB_REPLICA, HUB_REPLICA "-wal", HUB_REPLICA "-shm", OPS_LOCK,
    };
    char what[PATH_MAX + 64], path[PATH_MAX];
    struct stat dir, st;

    snprintf(what, sizeof(what), _("state directory '%s'"), state);
    if (stat(state, &dir) != 0) {
        report_line(r, what, "%s", strerror(errno));
        return;
    }
    if (!S_ISDIR(dir.st_mode)) {
        report_line(r, what, "%s", _("not a directory"));
        return;
    }
    if (dir.st_mode & 022) {
        report_line(r, what, _("mode %04o: others may write to it (chmod 700 it)"),
                    (unsigned)(dir.st_mode & 07777));
        return;
    }
    /* A command run as root that created a file here leaves the daemon's user locked out. */
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (ops_path(path, sizeof(path), state, files[i]) != 0 || lstat(path, &st) != 0)
            continue;
        if (st.st_uid != dir.st_uid) {
            report_line(r, what,
                        _("'%s' belongs to user %u, the directory to user %u "
                          "(chown it, or run cellsyncd as the directory's owner)"),
                        files[i], (unsigned)st.st_uid, (unsigned)dir.st_uid);
            return;
        }
    }
    report_line(r, what, "%s", "");
}

/* serve's own reading of ADDR:PORT ([v6]:PORT for IPv6). */
static int
parse_listen(const char *addr, struct sockaddr_storage *ss)
{
    char host[128], *port, *end;
    snprintf(host, sizeof(host), "%s", addr);
    if ((port = strrchr(host, ':')) == NULL)
        return UV_EINVAL;
    *port++ = 0;
    long p = strtol(port, &end, 10);
    if (end == port || *end != 0 || p < 0 || p > 65535)
        return UV_EINVAL;
    if (host[0] == '[') {
        size_t n = strlen(host);
        if (n < 2 || host[n - 1] != ']')
            return UV_EINVAL;
        host[n - 1] = 0;
        return uv_ip6_addr(host + 1, (int)p, (struct sockaddr_in6 *)ss);
    }
    return uv_ip4_addr(host, (int)p, (struct sockaddr_in *)ss);
}

static void
check_listen(struct report *r, const struct conf *c)
{
    char what[256];
    struct sockaddr_storage ss = {0};

    snprintf(what, sizeof(what), _("listen '%s'"), c->listen);
    if (parse_listen(c->listen, &ss) != 0) {
        report_line(r, what, "%s", _("not ADDR:PORT"));
        return;
    }
    int serving = ops_serving(c->state);
    if (serving == 1) {
        r->checks++;
        printf(_("%s: ok (in use by the cellsyncd serving '%s')\n"), what, c->state);
        return;
    }
    /* As serve binds it (libuv sets SO_REUSEADDR): a port in TIME_WAIT is no obstacle. */
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
    socklen_t len =
        ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 1) != 0)
        report_line(r, what, _("cannot listen: %s"), strerror(errno));
    else
        report_line(r, what, "%s", "");
    if (fd >= 0)
        close(fd);
}

int
cmd_check(int argc, char **argv)
{
    const char *sopt[CMD_STATE__COUNT];
    char what[PATH_MAX + 64], path[PATH_MAX], err[1024];
    char key_id[CS_ID_HEX_LEN + 1] = "", site[CS_ID_HEX_LEN + 1];
    struct report r = {0};
    struct conf conf;
    struct stat st;

    int first, done = cmd_args("check", argc, argv, usage, NULL, 0, NULL, sopt, &first);
    if (done != CS_CLI_GO_ON)
        return done;
    const char *state = sopt[CMD_STATE], *config = sopt[CMD_CONFIG];
    if (first != argc)
        return cmd_usage_error("check", _("unexpected argument '%s'"), argv[first]);

    /* A bad file fails its line; the other checks go on with the defaults and the flags. */
    const char *conf_path = config ? config : CONF_DEFAULT_PATH;
    snprintf(what, sizeof(what), _("configuration '%s'"), conf_path);
    conf_defaults(&conf);
    if (conf_load(&conf, conf_path, config != NULL, err, sizeof(err)) != 0) {
        report_line(&r, what, "%s", err);
        conf_defaults(&conf);
    } else if (config == NULL && access(conf_path, F_OK) != 0) {
        r.checks++;
        printf(_("%s: ok (not present: the defaults apply)\n"), what);
    } else
        report_line(&r, what, "%s", "");
    if (state != NULL)
        snprintf(conf.state, sizeof(conf.state), "%s", state);

    check_state(&r, conf.state);

    ops_path(path, sizeof(path), conf.state, HUB_KEY);
    snprintf(what, sizeof(what), _("key pair '%s' and %s"), path, HUB_PUB);
    if (ops_keys_check(conf.state, key_id, sizeof(key_id), err, sizeof(err)) != 0) {
        report_line(&r, what, "%s", err);
        key_id[0] = 0;
    } else
        report_line(&r, what, "%s", "");

    ops_path(path, sizeof(path), conf.state, HUB_REPLICA);
    snprintf(what, sizeof(what), _("replica '%s'"), path);
    if (ops_db_check(path, site, sizeof(site), err, sizeof(err)) != 0)
        report_line(&r, what, "%s", err);
    else if (key_id[0] != 0 && strcmp(site, key_id) != 0)
        report_line(&r, what, _("it belongs to another key than '%s/%s'"), conf.state, HUB_KEY);
    else
        report_line(&r, what, "%s", "");

    if (conf.inbox[0] != 0) {
        snprintf(what, sizeof(what), _("inbox '%s'"), conf.inbox);
        if (stat(conf.inbox, &st) != 0)
            report_line(&r, what, "%s", strerror(errno));
        else if (!S_ISDIR(st.st_mode))
            report_line(&r, what, "%s", _("not a directory"));
        else if (access(conf.inbox, R_OK | W_OK | X_OK) != 0)
            report_line(&r, what, "%s", strerror(errno));
        else
            report_line(&r, what, "%s", "");
    }

    if (conf.holidays[0] != 0) {
        struct cs_date_holidays *hol = NULL;
        snprintf(what, sizeof(what), _("holidays '%s'"), conf.holidays);
        int rc = cs_date_holidays_new(&hol);
        if (rc != 0)
            report_line(&r, what, "%s", cs_strerror(rc));
        else if (cs_date_holidays_load(hol, conf.holidays, err, sizeof(err)) != 0)
            report_line(&r, what, "%s", err);
        else
            report_line(&r, what, "%s", "");
        cs_date_holidays_free(hol);
    }

    check_listen(&r, &conf);

    if (r.failed == 0) {
        printf(_("all %d checks ok\n"), r.checks);
        return CS_EXIT_OK;
    }
    printf(_("%d of %d checks FAILED\n"), r.failed, r.checks);
    return CS_EXIT_FAILURE;
}
