/* SPDX-License-Identifier: MIT */
/*
 * The growable buffer the pages are written into, and the one function
 * that escapes what is not the page's own markup (ui.h). Kept apart from
 * the pages so that the unit test links it alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

void
ui_raw_n(struct ui_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

void
ui_raw(struct ui_buf *b, const char *s)
{
    ui_raw_n(b, s, strlen(s));
}

void
ui_text(struct ui_buf *b, const char *s)
{
    const char *run = s;

    if (s == NULL)
        return;
    for (; *s; s++) {
        const char *e;
        switch (*s) {
        case '&':
            e = "&amp;";
            break;
        case '<':
            e = "&lt;";
            break;
        case '>':
            e = "&gt;";
            break;
        case '"':
            e = "&quot;";
            break;
        case '\'':
            e = "&#39;";
            break;
        default:
            continue;
        }
        ui_raw_n(b, run, (size_t)(s - run));
        ui_raw(b, e);
        run = s + 1;
    }
    ui_raw_n(b, run, (size_t)(s - run));
}

void
ui_cell(struct ui_buf *b, const char *label, const char *text)
{
    ui_raw(b, "<td data-label=\"");
    ui_text(b, label);
    ui_raw(b, "\">");
    ui_text(b, text);
    ui_raw(b, "</td>");
}

void
ui_num(struct ui_buf *b, long long v)
{
    char t[32];
    int n = snprintf(t, sizeof(t), "%lld", v);
    ui_raw_n(b, t, (size_t)n);
}

void
ui_buf_free(struct ui_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}
