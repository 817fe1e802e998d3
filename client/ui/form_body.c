/* SPDX-License-Identifier: MIT */
/*
 * A POST's x-www-form-urlencoded body, read field by field. Apart from the
 * server so that the fuzz target (tests/fuzz/fuzz_form.c) and the unit test
 * link it alone.
 */
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "ui.h"

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
            MHD_http_unescape(out);
            return out;
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}
