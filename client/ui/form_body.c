/* SPDX-License-Identifier: MIT */
/*
 * A POST's x-www-form-urlencoded body, read field by field. Apart from the
 * server so that the fuzz target (tests/fuzz/fuzz_form.c) and the unit test
 * link it alone.
 */
#include <stdlib.h>
#include <string.h>

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
