/* SPDX-License-Identifier: MIT */
/*
 * The org tree as `cellsyncd init` reads it: the CSV file (hub.h describes
 * its format) split into fields, each unit checked, then the whole tree
 * (duplicates, parents, one root, no cycles), before anything is created.
 * Also the row id every replica derives from an org unit's code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/util.h"
#include "hub_internal.h"

#define UNIT_NAME_MAX 256 /* an org unit's name with its NUL */
#define CSV_MAX_BYTES (64u << 20)
#define CSV_MAX_UNITS 1000000u
static int
code_ok(const char *s)
{
    return hub__text_ok(s, ORG_MAX, 0) && strpbrk(s, " \t") == NULL;
}

void
hub_org_row_id(const char *code, struct cs_id *out)
{
    char name[128];
    snprintf(name, sizeof(name), "org_unit:%s", code);
    cs_id_derive(out, name);
}

/* ---- the org-tree CSV ---- */

void
hub__tree_release(struct tree *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->u[i].buf);
    free(t->u);
    free(t->by_code);
    memset(t, 0, sizeof(*t));
}

/*
 * Splits one line (no newline) into exactly 5 fields. A field is either
 * plain (no quotes) or wholly in double quotes with "" for a quote; a
 * quoted field cannot run onto the next line. 0, or a message in msg.
 */
static int
csv_split(const char *line, struct unit *u, char *msg, size_t msglen)
{
    size_t len = strlen(line);
    char *o = u->buf = malloc(len + F__COUNT + 1);
    const char *p = line;
    int n = 0;

    if (o == NULL) {
        snprintf(msg, msglen, _("out of memory"));
        return -1;
    }
    for (;;) {
        if (n == F__COUNT) {
            snprintf(msg, msglen, _("more than %d fields (a name with a comma needs quotes)"),
                     F__COUNT);
            return -1;
        }
        u->f[n++] = o;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == 0) {
                    snprintf(msg, msglen, _("a quoted field is not closed on this line"));
                    return -1;
                }
                if (*p == '"') {
                    if (p[1] == '"') {
                        *o++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *o++ = *p++;
            }
            if (*p != ',' && *p != 0) {
                snprintf(msg, msglen, _("text after the closing quote of field %d"), n);
                return -1;
            }
        } else {
            for (; *p && *p != ','; p++) {
                if (*p == '"') {
                    snprintf(msg, msglen, _("a quote inside field %d, which is not quoted"), n);
                    return -1;
                }
                *o++ = *p;
            }
        }
        *o++ = 0;
        if (*p != ',')
            break;
        p++;
    }
    if (n != F__COUNT) {
        snprintf(msg, msglen,
                 dngettext(CS_TEXT_DOMAIN, "%d field, expected %d: id,parent,level,kind,name",
                           "%d fields, expected %d: id,parent,level,kind,name", (unsigned long)n),
                 n, F__COUNT);
        return -1;
    }
    return 0;
}

static int
unit_check(const struct unit *u, char *msg, size_t msglen)
{
    if (!code_ok(u->f[F_ID])) {
        snprintf(msg, msglen, _("unit id '%s' must be 1 to %d characters without spaces"),
                 u->f[F_ID], ORG_MAX - 1);
        return -1;
    }
    if (u->f[F_PARENT][0] != 0 && !code_ok(u->f[F_PARENT])) {
        snprintf(msg, msglen, _("parent '%s' must be 1 to %d characters without spaces"),
                 u->f[F_PARENT], ORG_MAX - 1);
        return -1;
    }
    /* The levels are the code list "level" (cellsync/codes.h), as the reports label them. */
    int level_ok = 0;
    for (const struct cs_code_label *l = cs_code_list("level"); l->code != NULL; l++)
        level_ok |= strcmp(u->f[F_LEVEL], l->code) == 0;
    if (!level_ok) {
        char known[128];
        cs_code_list_text("level", known, sizeof(known));
        snprintf(msg, msglen, _("level '%s' is not one of %s"), u->f[F_LEVEL], known);
        return -1;
    }
    if (!hub__text_ok(u->f[F_KIND], ORG_MAX, 1)) {
        snprintf(msg, msglen, _("kind '%s' is too long or holds control characters"), u->f[F_KIND]);
        return -1;
    }
    if (!hub__text_ok(u->f[F_NAME], UNIT_NAME_MAX, 0)) {
        snprintf(msg, msglen,
                 _("the name of unit '%s' is empty, too long or holds control "
                   "characters"),
                 u->f[F_ID]);
        return -1;
    }
    return 0;
}

static int
by_code_cmp(const void *a, const void *b)
{
    const struct unit *x = *(struct unit *const *)a, *y = *(struct unit *const *)b;
    int c = strcmp(x->f[F_ID], y->f[F_ID]);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static size_t
tree_find(const struct tree *t, const char *code)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->by_code[mid]->f[F_ID], code);
        if (c == 0)
            return (size_t)(t->by_code[mid] - t->u);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

/* Duplicates, parents, exactly one root, no cycles. */
static int
tree_check(struct tree *t, const char *path, char *err, size_t errlen)
{
    if (t->n == 0)
        return cs_errf(err, errlen, CS_EMALFORMED, _("'%s' has a header but no units"), path);
    if ((t->by_code = malloc(t->n * sizeof(*t->by_code))) == NULL)
        return cs_errf(err, errlen, CS_ENOMEM, _("cannot read '%s': out of memory"), path);
    for (size_t i = 0; i < t->n; i++)
        t->by_code[i] = &t->u[i];
    qsort(t->by_code, t->n, sizeof(*t->by_code), by_code_cmp);
    for (size_t i = 1; i < t->n; i++) {
        const struct unit *a = t->by_code[i - 1], *b = t->by_code[i];
        if (strcmp(a->f[F_ID], b->f[F_ID]) == 0)
            return cs_errf(err, errlen, CS_EMALFORMED,
                           _("'%s', line %u: unit id '%s' is already used on line %u"), path,
                           b->line, b->f[F_ID], a->line);
    }
    t->root = SIZE_MAX;
    for (size_t i = 0; i < t->n; i++) {
        struct unit *u = &t->u[i];
        u->parent = SIZE_MAX;
        if (u->f[F_PARENT][0] == 0) {
            if (t->root != SIZE_MAX)
                return cs_errf(err, errlen, CS_EMALFORMED,
                               _("'%s', line %u: unit '%s' has no parent, nor has '%s' on line "
                                 "%u: only the root unit may have an empty parent"),
                               path, u->line, u->f[F_ID], t->u[t->root].f[F_ID],
                               t->u[t->root].line);
            t->root = i;
            continue;
        }
        if ((u->parent = tree_find(t, u->f[F_PARENT])) == SIZE_MAX)
            return cs_errf(err, errlen, CS_EMALFORMED,
                           _("'%s', line %u: parent '%s' of unit '%s' is not in the file"), path,
                           u->line, u->f[F_PARENT], u->f[F_ID]);
    }
    if (t->root == SIZE_MAX)
        return cs_errf(err, errlen, CS_EMALFORMED,
                       _("'%s': no unit has an empty parent: the root (the hub's own unit) needs "
                         "one"),
                       path);
    /* Walk up from each unit; meeting the current path again is a cycle. */
    for (size_t i = 0; i < t->n; i++) {
        size_t j = i;
        while (j != SIZE_MAX && t->u[j].mark == 0) {
            t->u[j].mark = 1;
            j = t->u[j].parent;
        }
        if (j != SIZE_MAX && t->u[j].mark == 1)
            return cs_errf(err, errlen, CS_EMALFORMED,
                           _("'%s', line %u: unit '%s' is its own ancestor (a cycle of parents)"),
                           path, t->u[j].line, t->u[j].f[F_ID]);
        for (j = i; j != SIZE_MAX && t->u[j].mark == 1; j = t->u[j].parent)
            t->u[j].mark = 2;
    }
    return 0;
}

int
hub__csv_read(const char *path, struct tree *t, char *err, size_t errlen)
{
    static const char header[] = "id,parent,level,kind,name";
    char *line = NULL, msg[256];
    size_t cap = 0, total = 0;
    unsigned lineno = 0;
    ssize_t len;
    int ret = 0;

    memset(t, 0, sizeof(*t));
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return cs_errf(err, errlen, -errno, _("cannot open '%s': %s"), path, strerror(errno));
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        total += (size_t)len;
        if (total > CSV_MAX_BYTES) {
            ret = cs_errf(err, errlen, CS_ETOOBIG, _("'%s' is over %u bytes"), path, CSV_MAX_BYTES);
            goto out;
        }
        if (strlen(line) != (size_t)len) {
            ret =
                cs_errf(err, errlen, CS_EMALFORMED, _("'%s', line %u: binary data"), path, lineno);
            goto out;
        }
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = 0;
        if (len > 0 && line[len - 1] == '\r') /* saved on Windows */
            line[--len] = 0;
        char *p = line;
        if (lineno == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0) /* saved by a spreadsheet */
            p += 3;
        if (!cs_utf8_valid((const unsigned char *)p, strlen(p))) {
            ret = cs_errf(err, errlen, CS_EMALFORMED, _("'%s', line %u: not UTF-8 text"), path,
                          lineno);
            goto out;
        }
        if (lineno == 1) {
            if (strcmp(p, header) != 0) {
                ret =
                    cs_errf(err, errlen, CS_EMALFORMED,
                            _("'%s', line 1: the first line must be the header %s"), path, header);
                goto out;
            }
            continue;
        }
        if (*p == 0)
            continue;
        if (t->n == CSV_MAX_UNITS) {
            ret = cs_errf(err, errlen, CS_ETOOBIG, _("'%s', line %u: more than %u units"), path,
                          lineno, CSV_MAX_UNITS);
            goto out;
        }
        if (cs_grow((void **)&t->u, &t->cap, t->n + 1, sizeof(*t->u), 64) != 0) {
            ret = cs_errf(err, errlen, CS_ENOMEM, _("cannot read '%s': out of memory"), path);
            goto out;
        }
        struct unit *u = &t->u[t->n++];
        memset(u, 0, sizeof(*u));
        u->line = lineno;
        if (csv_split(p, u, msg, sizeof(msg)) != 0 || unit_check(u, msg, sizeof(msg)) != 0) {
            ret = cs_errf(err, errlen, CS_EMALFORMED, _("'%s', line %u: %s"), path, lineno, msg);
            goto out;
        }
    }
    if (ferror(f)) {
        ret = cs_errf(err, errlen, -EIO, _("cannot read '%s': %s"), path, strerror(errno));
        goto out;
    }
    if (lineno == 0) {
        ret = cs_errf(err, errlen, CS_EMALFORMED,
                      _("'%s', line 1: the file is empty; the first line must be the header %s"),
                      path, header);
        goto out;
    }
    ret = tree_check(t, path, err, errlen);
out:
    free(line);
    fclose(f);
    if (ret != 0)
        hub__tree_release(t);
    return ret;
}
