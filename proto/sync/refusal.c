/* SPDX-License-Identifier: MIT */
/*
 * Refusal codes and their messages (see cellsync/refusal.h). Each code has
 * one English message whose arguments are all "%s": the hub fills it in,
 * the device matches the same message against what came to read the
 * arguments back, then fills in the translation. Translations may reorder
 * arguments with "%1$s".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/i18n.h"
#include "cellsync/refusal.h"
#include "cellsync/wire.h"

#define ARGS_MAX 2

/* The English messages, by code; the msgids the catalog translates. */
static const char *const messages[CS_REFUSAL__LAST + 1] = {
    [CS_REFUSAL_CLOCK] = "clock is %s minute ahead of the hub", /* clock_en below */
    [CS_REFUSAL_SCOPE] = N_("record of unit '%s' is outside this device's unit '%s'"),
    [CS_REFUSAL_NO_UNIT] = N_("the record belongs to no unit"),
    [CS_REFUSAL_ORIGIN] = N_("change was written by another device"),
    [CS_REFUSAL_TABLE] = N_("a cell may not write '%s'"),
    [CS_REFUSAL_TABLE_UNKNOWN] =
        N_("this hub does not know the table '%s': only a hub may write it"),
    [CS_REFUSAL_ROLE] = N_("the role '%s' may not write anything"),
    [CS_REFUSAL_COLUMN] =
        N_("admission decisions are the committee's: a cell may not write '%s.%s'"),
    [CS_REFUSAL_STAGE] = N_("admission decisions are the committee's: a cell may not set a "
                            "candidate's stage to '%s'"),
    [CS_REFUSAL_UNIT_VALUE] =
        N_("'%s' of this record does not hold a valid unit code or record id"),
    [CS_REFUSAL_UNIT_CODE] = N_("'%s' of an org unit must be a short code"),
    [CS_REFUSAL_UNIT_RECODE] = N_("the code of org unit '%s' cannot change"),
    [CS_REFUSAL_UNIT_NO_CODE] = N_("a new org unit needs a code"),
    [CS_REFUSAL_UNIT_ID] = N_("the record id of org unit '%s' does not match its code"),
    [CS_REFUSAL_UNIT_NEW_PARENT] = N_("the new org unit '%s' needs a parent unit"),
    [CS_REFUSAL_UNIT_PARENT] = N_("org unit '%s' needs a parent unit"),
    [CS_REFUSAL_UNIT_SELF] = N_("org unit '%s' cannot be its own parent"),
    [CS_REFUSAL_UNIT_CYCLE] = N_("org unit '%s' cannot be placed under '%s', which lies below it"),
    [CS_REFUSAL_UNIT_OWN] = N_("org unit '%s' is this device's own unit: only the level above "
                               "may move or delete it"),
    [CS_REFUSAL_TARGET] =
        N_("the target of unit '%s' is set by the level above it, not by its own devices"),
    [CS_REFUSAL_STEP] =
        N_("the admission procedure does not allow a candidate to go from '%s' to '%s'"),
    [CS_REFUSAL_CODE] = N_("'%s' may not hold '%s': it is not one of its codes"),
    [CS_REFUSAL_COLUMN_UNKNOWN] =
        N_("this hub does not know the column '%s.%s': only a hub may write it"),
    [CS_REFUSAL_UNIT_HOLDS] = N_("org unit '%s' still holds units or records: move or delete "
                                 "them first"),
    [CS_REFUSAL_RELAY_UNKNOWN] =
        N_("the changes relayed for device '%s' are refused: it is not enrolled at this hub"),
    [CS_REFUSAL_RELAY_REVOKED] =
        N_("the changes relayed for device '%s' are refused: it was revoked"),
    [CS_REFUSAL_RELAY_SCOPE] = N_("the changes relayed for device '%s' are refused: its unit "
                                  "'%s' is outside the relaying device's subtree"),
    [CS_REFUSAL_RELAY_ROLE] =
        N_("the changes relayed for device '%s' are refused: only a hub may relay"),
    [CS_REFUSAL_DEVICE_KEY] =
        N_("the public key of device '%s' must be the key its id is made from"),
};
/*
 * The one message with a number in it: how far a clock runs ahead, in
 * minutes up to two hours (the hub allows minutes), then in hours; each as
 * the singular and the plural msgid.
 */
static const char *const clock_en[2][2] = {
    {"clock is %s minute ahead of the hub", "clock is %s minutes ahead of the hub"},
    {"clock is %s hour ahead of the hub", "clock is %s hours ahead of the hub"},
};

static const char *
clock_translated(int hours, unsigned long n)
{
    if (hours)
        return dngettext(CS_TEXT_DOMAIN, "clock is %s hour ahead of the hub",
                         "clock is %s hours ahead of the hub", n);
    return dngettext(CS_TEXT_DOMAIN, "clock is %s minute ahead of the hub",
                     "clock is %s minutes ahead of the hub", n);
}

/* Fills in fmt's "%s", "%N$s" and "%%" from args (missing ones empty), never past len. */
static void
fill(const char *fmt, const char *const *args, int nargs, char *buf, size_t len)
{
    size_t o = 0;
    int next = 0;

    if (len == 0)
        return;
    for (const char *p = fmt; *p != 0 && o + 1 < len; p++) {
        const char *add = NULL;
        char one[2] = {*p, 0};
        if (*p == '%' && p[1] == '%') {
            add = "%";
            p++;
        } else if (*p == '%' && p[1] == 's') {
            add = next < nargs ? args[next] : "";
            next++;
            p++;
        } else if (*p == '%' && p[1] >= '1' && p[1] <= '9' && p[2] == '$' && p[3] == 's') {
            int i = p[1] - '1';
            add = i < nargs ? args[i] : "";
            p += 3;
        } else {
            add = one;
        }
        size_t n = strlen(add);
        if (n > len - 1 - o)
            n = len - 1 - o;
        memcpy(buf + o, add, n);
        o += n;
    }
    buf[o] = 0;
}

int
cs_refusal_make(char *reason, size_t len, int code, ...)
{
    const char *args[ARGS_MAX] = {NULL, NULL};
    int nargs = 0;
    va_list ap;

    if (code < CS_REFUSAL_OTHER || code > CS_REFUSAL__LAST || messages[code] == NULL)
        code = CS_REFUSAL_OTHER;
    if (code == CS_REFUSAL_OTHER) {
        fill("", NULL, 0, reason, len);
        return code;
    }
    va_start(ap, code);
    for (const char *p = messages[code]; (p = strstr(p, "%s")) != NULL && nargs < ARGS_MAX; p += 2)
        args[nargs++] = va_arg(ap, const char *);
    va_end(ap);
    if (code == CS_REFUSAL_CLOCK) {
        unsigned long long m = args[0] != NULL ? strtoull(args[0], NULL, 10) : 0;
        int hours = m >= 120;
        unsigned long long n = hours ? (m + 59) / 60 : m;
        char num[24];
        snprintf(num, sizeof(num), "%llu", n);
        fill(clock_en[hours][n != 1], (const char *const[]){num}, 1, reason, len);
        return code;
    }
    fill(messages[code], args, nargs, reason, len);
    return code;
}

/*
 * Reads the arguments of tmpl back from text: each "%s" takes what lies
 * before the literal text that follows it. 0 when all of text matches.
 */
static int
parse(const char *tmpl, const char *text, char args[ARGS_MAX][128], int *nargs)
{
    const char *t = text;
    *nargs = 0;
    while (*tmpl != 0) {
        const char *pct = strstr(tmpl, "%s");
        size_t lit = pct != NULL ? (size_t)(pct - tmpl) : strlen(tmpl);
        if (strncmp(t, tmpl, lit) != 0)
            return -1;
        t += lit;
        tmpl += lit;
        if (pct == NULL)
            break;
        tmpl += 2;
        const char *next = strstr(tmpl, "%s");
        size_t nlit = next != NULL ? (size_t)(next - tmpl) : strlen(tmpl);
        const char *end;
        if (nlit == 0) {
            end = next != NULL ? NULL : t + strlen(t);
        } else {
            char want[160];
            if (nlit >= sizeof(want))
                return -1;
            memcpy(want, tmpl, nlit);
            want[nlit] = 0;
            end = strstr(t, want);
        }
        if (end == NULL || *nargs == ARGS_MAX || (size_t)(end - t) >= sizeof(args[0]))
            return -1;
        memcpy(args[*nargs], t, (size_t)(end - t));
        args[(*nargs)++][end - t] = 0;
        t = end;
    }
    return *t == 0 ? 0 : -1;
}

void
cs_refusal_render(int code, const char *reason, char *buf, size_t len)
{
    char args[ARGS_MAX][128];
    int nargs = 0;

    const char *const av[ARGS_MAX] = {args[0], args[1]};
    if (code == CS_REFUSAL_CLOCK) {
        for (int h = 0; h < 2; h++)
            for (int f = 0; f < 2; f++)
                if (parse(clock_en[h][f], reason, args, &nargs) == 0) {
                    fill(clock_translated(h, strtoul(args[0], NULL, 10)), av, nargs, buf, len);
                    return;
                }
    } else if (code > CS_REFUSAL_OTHER && code <= CS_REFUSAL__LAST && messages[code] != NULL &&
               parse(messages[code], reason, args, &nargs) == 0) {
        fill(_(messages[code]), av, nargs, buf, len);
        return;
    }
    fill("%s", (const char *const[]){reason}, 1, buf, len);
}
