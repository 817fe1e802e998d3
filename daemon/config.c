/* SPDX-License-Identifier: MIT */
/*
 * The configuration file reader (see config.h). Strict on purpose: a key
 * with a typo is an error with its line number, not a silently ignored
 * setting an IT officer believes is in force.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/hlc.h"
#include "cellsync/i18n.h"
#include "config.h"

void
conf_defaults(struct conf *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->state, sizeof(c->state), "%s", "/var/lib/cellsyncd");
    snprintf(c->listen, sizeof(c->listen), "%s", "0.0.0.0:7461");
    c->max_drift_minutes = CS_HLC_DRIFT_DEFAULT_MS / 60000;
    c->handshake_timeout = 10;
    c->idle_timeout = 120;
    /* A sync of a day's work takes seconds; of months on a satellite link, minutes. */
    c->session_lifetime = 1800;
    c->max_connections = 2048;
    /*
     * Per source address, for the many cells behind one carrier NAT: 256
     * syncs at once (an eighth of the hub) and 20 handshakes a second,
     * bursts of 200 (serve.h), where a province's cells make a few hundred
     * syncs an hour; a flood from one address meets these, not the hub's cap.
     */
    c->max_connections_per_address = 256;
    c->handshakes_per_address = 20;
    c->preauth_log_lines = 5;
    /* A commune's day reaches its province within minutes when the link is up. */
    c->upstream_interval = 300;
}

static char *
trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

static int
number(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno != 0 || end == v || *end != 0 || n < lo || n > hi)
        return -1;
    *out = (unsigned)n;
    return 0;
}

int
conf_load(struct conf *c, const char *path, int required, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int lineno = 0, ret = 0;

    if (f == NULL) {
        if (errno == ENOENT && !required)
            return 0;
        return cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), path, strerror(errno));
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            ret = cs_errf(err, errlen, CS_EINVAL, _("%s:%d: line is too long"), path, lineno);
            break;
        }
        char *p = trim(line);
        if (*p == 0 || *p == '#')
            continue;
        char *eq = strchr(p, '=');
        if (eq == NULL) {
            ret = cs_errf(err, errlen, CS_EINVAL, _("%s:%d: expected 'key = value'"), path, lineno);
            break;
        }
        *eq = 0;
        char *key = trim(p), *val = trim(eq + 1);
        int bad = 0;
        if (strcmp(key, "state") == 0)
            bad = *val == 0 ||
                  snprintf(c->state, sizeof(c->state), "%s", val) >= (int)sizeof(c->state);
        else if (strcmp(key, "listen") == 0)
            bad = strchr(val, ':') == NULL ||
                  snprintf(c->listen, sizeof(c->listen), "%s", val) >= (int)sizeof(c->listen);
        else if (strcmp(key, "max_drift_minutes") == 0)
            bad = number(val, 1, 60 * 24 * 365, &c->max_drift_minutes);
        else if (strcmp(key, "max_drift_hours") == 0 &&
                 (bad = number(val, 1, 24 * 365, &c->max_drift_minutes)) == 0)
            c->max_drift_minutes *= 60; /* the older key, in hours */
        else if (strcmp(key, "handshake_timeout") == 0)
            bad = number(val, 1, 3600, &c->handshake_timeout);
        else if (strcmp(key, "idle_timeout") == 0)
            bad = number(val, 5, 86400, &c->idle_timeout);
        else if (strcmp(key, "session_lifetime") == 0)
            bad = number(val, 1, 7 * 86400, &c->session_lifetime);
        else if (strcmp(key, "max_connections") == 0)
            bad = number(val, 1, 1000000, &c->max_connections);
        else if (strcmp(key, "max_connections_per_address") == 0)
            bad = number(val, 1, 1000000, &c->max_connections_per_address);
        else if (strcmp(key, "handshakes_per_address") == 0)
            bad = number(val, 1, 1000000, &c->handshakes_per_address);
        else if (strcmp(key, "preauth_log_lines") == 0)
            bad = number(val, 0, 1000000000, &c->preauth_log_lines);
        else if (strcmp(key, "inbox") == 0)
            bad = *val == 0 ||
                  snprintf(c->inbox, sizeof(c->inbox), "%s", val) >= (int)sizeof(c->inbox);
        else if (strcmp(key, "backup_recipient") == 0)
            bad = *val == 0 || snprintf(c->backup_recipient, sizeof(c->backup_recipient), "%s",
                                        val) >= (int)sizeof(c->backup_recipient);
        else if (strcmp(key, "upstream") == 0)
            bad = *val == 0 ||
                  snprintf(c->upstream, sizeof(c->upstream), "%s", val) >= (int)sizeof(c->upstream);
        else if (strcmp(key, "upstream_interval") == 0)
            bad = number(val, 10, 7 * 86400, &c->upstream_interval);
        else if (strcmp(key, "holidays") == 0)
            bad = *val == 0 ||
                  snprintf(c->holidays, sizeof(c->holidays), "%s", val) >= (int)sizeof(c->holidays);
        else {
            ret = cs_errf(err, errlen, CS_EINVAL, _("%s:%d: unknown key '%s'"), path, lineno, key);
            break;
        }
        if (bad) {
            ret = cs_errf(err, errlen, CS_EINVAL, _("%s:%d: bad value '%s' for '%s'"), path, lineno,
                          val, key);
            break;
        }
    }
    fclose(f);
    return ret;
}
