/* SPDX-License-Identifier: MIT */
/*
 * A POST's x-www-form-urlencoded body, read field by field. Apart from the
 * server so that the fuzz target (tests/fuzz/fuzz_form.c) and the unit test
 * link it alone.
 */
#include <stdlib.h>
#include <string.h>

#include "cellsync/util.h"
#include "ui.h"

static int
hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t
ui_form_unescape(char *s)
{
    char *out = s;
    const char *in = s;

    while (*in) {
        int hi, lo;
        if (in[0] == '%' && (hi = hex_digit(in[1])) >= 0 && (lo = hex_digit(in[2])) >= 0) {
            *out++ = (char)(hi << 4 | lo);
            in += 3;
        } else {
            *out++ = *in++;
        }
    }
    *out = 0;
    return (size_t)(out - s);
}

/* The nth value of field name in an x-www-form-urlencoded body, decoded and malloc'd. */
char *
ui_form_field(const char *body, const char *name, size_t nth)
{
    size_t nl = strlen(name);
    const char *p = body;

    while (p != NULL && *p) {
        const char *amp = strchr(p, '&'), *stop = amp ? amp : p + strlen(p);
        if ((size_t)(stop - p) > nl && strncmp(p, name, nl) == 0 && p[nl] == '=' && nth-- == 0) {
            size_t n = (size_t)(stop - p) - nl - 1;
            char *out = malloc(n + 1);
            if (out == NULL)
                return NULL;
            memcpy(out, p + nl + 1, n);
            out[n] = 0;
            for (char *q = out; *q; q++)
                if (*q == '+')
                    *q = ' ';
            ui_form_unescape(out);
            return out;
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

/* Decodes one name or value in place; its length, or -1 when a '%' is not followed by 2 hex digits.
 */
static long
decode(char *s)
{
    for (const char *q = s; (q = strchr(q, '%')) != NULL; q++)
        if (hex_digit(q[1]) < 0 || hex_digit(q[2]) < 0)
            return -1;
    for (char *q = s; *q; q++)
        if (*q == '+')
            *q = ' ';
    return (long)ui_form_unescape(s);
}

/*
 * One "name=value" pair of a body (a copy, len bytes), decoded in place;
 * *name and its problem. A raw NUL byte in it (a browser sends %00) would
 * have a page read it cut short.
 */
static int
check_pair(char *pair, size_t len, char **name)
{
    char *eq = strchr(pair, '=');
    long nn, vn;

    *name = pair;
    if (eq != NULL)
        *eq = 0;
    if (eq == NULL || strlen(pair) + 1 + strlen(eq + 1) != len)
        return UI_FORM_ENCODING;
    if ((nn = decode(pair)) < 0 || (vn = decode(eq + 1)) < 0)
        return UI_FORM_ENCODING;
    if ((size_t)nn != strlen(pair) || (size_t)vn != strlen(eq + 1))
        return UI_FORM_NUL;
    if (!cs_utf8_valid(pair, (size_t)nn) || !cs_utf8_valid(eq + 1, (size_t)vn))
        return UI_FORM_UTF8;
    return UI_FORM_OK;
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
listed(const char *name, const char *const *lists)
{
    for (; lists != NULL && *lists != NULL; lists++)
        if (strcmp(name, *lists) == 0)
            return 1;
    return 0;
}

/* The first name of names (n, sorted) given twice and not one of lists; NULL if none. */
static const char *
twice(char **names, size_t n, const char *const *lists)
{
    qsort(names, n, sizeof(*names), by_name);
    for (size_t i = 1; i < n; i++)
        if (strcmp(names[i - 1], names[i]) == 0 && !listed(names[i], lists))
            return names[i];
    return NULL;
}

int
ui_form_check(const char *body, size_t len, const char *const *lists, char *bad, size_t badlen)
{
    size_t n = 0, cap = 1;
    char *copy = malloc(len + 1), **names = NULL;
    const char *which = NULL;
    int ret = -1;

    if (bad != NULL && badlen > 0)
        bad[0] = 0;
    for (size_t i = 0; i < len; i++)
        cap += body[i] == '&';
    if (copy == NULL || (names = malloc(cap * sizeof(*names))) == NULL)
        goto out;
    memcpy(copy, body, len);
    copy[len] = 0;
    ret = UI_FORM_OK;
    for (char *p = copy, *end = copy + len, *amp; p < end && ret == UI_FORM_OK; p = amp + 1) {
        if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
            amp = end;
        *amp = 0;
        if (p == amp)
            continue; /* "a=1&&b=2": an empty pair is nothing, as browsers read it */
        ret = check_pair(p, (size_t)(amp - p), &names[n]);
        which = names[n++];
    }
    if (ret == UI_FORM_OK && (which = twice(names, n, lists)) != NULL)
        ret = UI_FORM_TWICE;
    /* The name as far as it is text: up to a NUL it decoded to, cut at a character's start. */
    if (ret > 0 && bad != NULL && badlen > 0) {
        size_t k = strnlen(which, badlen - 1);
        while (k > 0 && !cs_utf8_valid(which, k))
            k--;
        memcpy(bad, which, k);
        bad[k] = 0;
    }
out:
    free(names);
    free(copy);
    return ret;
}
