/* SPDX-License-Identifier: MIT */
/*
 * `cellsync ui`: the local web front end (issue 15). server.c serves it
 * (libmicrohttpd, 127.0.0.1 only, a secret per launch); page.c writes the
 * pages into a growable buffer (html.c), through the one escape function,
 * from the same client and library functions the command line uses.
 */
#ifndef CELLSYNC_CLIENT_UI_H
#define CELLSYNC_CLIENT_UI_H

#include <stddef.h>

struct client;

/* A page being written. oom is set once an allocation failed; the page is then not sent. */
struct ui_buf {
    char *p;
    size_t n, cap;
    int oom;
};

/* Appends n bytes as they are: only the page's own constant markup goes through here. */
void ui_raw_n(struct ui_buf *b, const char *s, size_t n);
void ui_raw(struct ui_buf *b, const char *s);
/*
 * Appends s (NULL: nothing) escaped for HTML text and quoted attribute
 * values alike: & < > " ' become entities. Everything not the page's own
 * markup is written through here.
 */
void ui_text(struct ui_buf *b, const char *s);
/* Appends a number. */
void ui_num(struct ui_buf *b, long long v);
void ui_buf_free(struct ui_buf *b);

/* What a page needs from the server. */
struct ui_ctx {
    struct client *c;
    const char *csrf; /* the form token of this launch, hex */
};

/* The layout every page shares (page.c). */
/* Opens the document: title, the navigation (here: the address of the current tab; NULL: none). */
void ui_begin(struct ui_buf *b, const char *title, const char *here);
void ui_end(struct ui_buf *b);
/* A paragraph of text. */
void ui_para(struct ui_buf *b, const char *text);
/* One "label: number" line of a <dl class="nums">, the number with an id for tests. */
void ui_number(struct ui_buf *b, const char *label, long long v, const char *id);
/* One integer from sql; a query of 2 or more parameters gets this device's id and the hub's ack. */
int ui_count(struct client *c, const char *sql, long long *v);
/* The replica's last error as a paragraph of class "error". */
void ui_failed(struct ui_buf *b, struct client *c);

/* The pages: each writes a whole document into b and returns its HTTP status. */
int ui_page_home(struct ui_ctx *x, struct ui_buf *b);
int ui_page_candidates(struct ui_ctx *x, const char *q, struct ui_buf *b);
int ui_page_not_found(struct ui_ctx *x, struct ui_buf *b);
int ui_page_forbidden(struct ui_buf *b);

/* The assets, in the binary. */
extern const char ui_style_css[];
extern const char ui_app_js[];

int cmd_ui(int argc, char **argv);

#endif
