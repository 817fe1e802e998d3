/* SPDX-License-Identifier: MIT */
/*
 * `cellsync ui`: the local web front end (issue 15). server.c serves it
 * (libmicrohttpd, 127.0.0.1 only, a secret per launch); page.c writes the
 * pages into a growable buffer (html.c), through the one escape function,
 * from the same client and library functions the command line uses.
 */
#ifndef CELLSYNC_CLIENT_UI_H
#define CELLSYNC_CLIENT_UI_H

#include <limits.h>
#include <stddef.h>

struct client;
struct cs_id;
struct entity;
struct field;

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
/*
 * A table cell of text, with its column's label as data-label: on a phone
 * the lists are cards, each cell on its line after its label (layout.c).
 */
void ui_cell(struct ui_buf *b, const char *label, const char *text);
/* Appends a number. */
void ui_num(struct ui_buf *b, long long v);
void ui_buf_free(struct ui_buf *b);

/* What a page needs from the server. */
struct ui_ctx {
    struct client *c;    /* the open replica; NULL while the device has none (setup.c) */
    const char *csrf;    /* the form token of this launch, hex */
    const char *home;    /* the data directory */
    struct client *room; /* where the setup page opens the replica it made */
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

/*
 * One request, as a page sees it (server.c). A page that took a POST and
 * wants the browser elsewhere (to the record it wrote, so that a reload does
 * not post again) sets location and returns 303; otherwise it writes a
 * whole document and returns its HTTP status.
 */
struct ui_req {
    const char *method; /* "GET" (HEAD is served as GET) or "POST" */
    const char *url;    /* the path, without the query */
    const char *body;   /* a POST's x-www-form-urlencoded body (csrf checked); NULL on GET */
    void *conn;         /* the MHD connection, for ui_arg() */
    char location[512]; /* set with a 303: where the browser goes next */
    const char *type;   /* the answer's Content-Type, when not an HTML page (NULL) */
};

/* The query argument name of the address (?name=...), decoded; NULL if absent. */
const char *ui_arg(struct ui_req *r, const char *name);
/*
 * The nth (from 0) value of field name in a POST's body, decoded, malloc'd
 * (NULL: absent or no memory). The nth is for a list of checkboxes of one
 * name (attendance).
 */
char *ui_field_nth(const struct ui_req *r, const char *name, size_t nth);
/* The same from an x-www-form-urlencoded body (form_body.c). */
char *ui_form_field(const char *body, const char *name, size_t nth);
/*
 * Decodes s's %HH escapes in place, as a browser's form sends them (a '%'
 * not followed by two hex digits stays as it is); the decoded length, which
 * counts a decoded %00 and is never more than strlen(s).
 */
size_t ui_form_unescape(char *s);
/*
 * What is wrong with a whole x-www-form-urlencoded body of len bytes,
 * before any page reads it: UI_FORM_OK (0); UI_FORM_ENCODING, a pair
 * without '=', a '%' not followed by two hex digits or a raw NUL byte (a
 * browser sends none of them);
 * UI_FORM_NUL, a value or name with a %00, which a page would read cut
 * short; UI_FORM_UTF8, text that is not UTF-8; UI_FORM_TWICE, a name given
 * twice that is not one of lists (NULL-ended: the names a page reads as a
 * list with ui_field_nth, such as attendance's checkboxes), where a page
 * would take one and drop the other. bad gets the field's name (its text
 * part, at most badlen - 1 bytes). -1: no memory.
 */
enum { UI_FORM_OK, UI_FORM_ENCODING, UI_FORM_NUL, UI_FORM_UTF8, UI_FORM_TWICE };
int ui_form_check(const char *body, size_t len, const char *const *lists, char *bad, size_t badlen);
/* The first, copied into out; 0, or -1 when absent or longer than outlen - 1. */
int ui_field(const struct ui_req *r, const char *name, char *out, size_t outlen);
/* Sets location (printf-like) and returns 303. */
int ui_redirect(struct ui_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * An address and what answers it: get for GET and HEAD, post for POST
 * (NULL: the method is not allowed there). Each file of pages has one
 * table, ended by {NULL}, listed in server.c.
 */
typedef int (*ui_handler)(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b);
struct ui_route {
    const char *path;
    ui_handler get, post;
};
extern const struct ui_route ui_routes_home[], ui_routes_candidate[], ui_routes_member[],
    ui_routes_meeting[], ui_routes_conflict[], ui_routes_sync[], ui_routes_setup[],
    ui_routes_report[], ui_routes_unlock[];
/* Whether the device key is sealed and its passphrase not yet typed on the unlock page (unlock.c).
 */
int ui_locked(struct ui_ctx *x);

/* ---- forms (form.c): every control labelled, 44 px high, Enter submits ---- */

/* <form method="post" action="..."> with this launch's token in it. */
void ui_form_begin(struct ui_ctx *x, struct ui_buf *b, const char *action);
/* The submit button (and a Cancel link back to cancel when not NULL), then </form>. */
void ui_form_end(struct ui_buf *b, const char *submit, const char *cancel);
/* What went wrong, at the top of a form (role="alert"), and what went right (role="status"). */
void ui_error(struct ui_buf *b, const char *text);
void ui_notice(struct ui_buf *b, const char *text);
/*
 * A labelled control named name. ui_input's kind is "text", "number",
 * "search" or "date" (a text box for DD/MM/YYYY: the browsers' own date
 * pickers show the order of the browser's language, not the Vietnamese one).
 */
void ui_input(struct ui_buf *b, const char *name, const char *label, const char *value,
              const char *kind);
void ui_textarea(struct ui_buf *b, const char *name, const char *label, const char *value);
/* A <select> of code list (cellsync/codes.h) by translated label; empty_ok adds a blank first. */
void ui_select_code(struct ui_buf *b, const char *name, const char *label, const char *list,
                    const char *value, int empty_ok);
/*
 * A <select> of people picked by name, never by id: sql's rows are (id,
 * name, birth date or NULL, a label or NULL), the last two shown after the
 * name so that two people of one name can be told apart; the option values
 * are the ids in hex, picked's selected. A blank first, showing blank.
 */
void ui_select_people(struct ui_ctx *x, struct ui_buf *b, const char *name, const char *label,
                      const char *sql, const char *blank, const char *picked);

/*
 * The fields of a record (client.h's entity tables: the same fields as
 * `add` and `edit` take) as form controls named by column. fv[i] is what
 * field i shows: typed back after a refusal, or the record's stored text
 * (dates shown DD/MM/YYYY), NULL for empty.
 */
void ui_entity_inputs(struct ui_ctx *x, struct ui_buf *b, const struct entity *e, char *const *fv);
/*
 * The entity's fields from a POST into fv (each malloc'd, NULL when not in
 * the form); fields_write() takes them as typed. 0 or -1 (no memory).
 */
int ui_entity_read(const struct ui_req *r, const struct entity *e, char **fv);
/* A record's stored fields into fv (malloc'd, dates as DD/MM/YYYY) for an edit form. 0 or -1. */
int ui_entity_load(struct ui_ctx *x, const struct entity *e, const struct cs_id *row, char **fv);
void ui_entity_free(const struct entity *e, char **fv);

/* ---- records in the pages (record.c) ---- */

/* A record's whole id, as the addresses carry it. */
void ui_hex(struct ui_buf *b, const struct cs_id *id);
/* The live record of table whose whole id is hex (an address's ?id=) into out; 0 or -1. */
int ui_record_live(struct ui_ctx *x, const char *table, const char *hex, struct cs_id *out);
/* The page of a record not found (deleted, or a stale address), with a link back; 404. */
int ui_record_gone(struct ui_buf *b, const char *title, const char *back, const char *back_label);
/* A record's fields as dl#fields: labels, codes as labels, dates DD/MM/YYYY. 0 or -1. */
int ui_record_fields(struct ui_ctx *x, struct ui_buf *b, const struct entity *e,
                     const struct cs_id *row);
/* A unit as people know it: its name with the code in brackets (org_unit), else the code. */
const char *ui_unit_text(struct ui_ctx *x, const char *code, char *buf, size_t len);
/* A list's mark of a record the hub refused (CS_REFUSED_SQL), as `list` marks it. */
void ui_refused_mark(struct ui_buf *b);
/* Why the hub refused the record, while it stands refused, as p#refused; nothing if not. */
void ui_record_refused(struct ui_ctx *x, struct ui_buf *b, const char *table,
                       const struct cs_id *id);
/*
 * Leaves in fv (ui_entity_read()'s) only the fields that differ from old
 * (ui_entity_load()'s; NULL for a new record, where an empty field is then
 * not given): what an edit writes, as `edit --field` writes what is given.
 */
void ui_entity_changed(struct ui_ctx *x, const struct entity *e, char **fv, char *const *old);

/* The pages: each writes a whole document into b and returns its HTTP status. */
int ui_page_home(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b);
int ui_page_candidates(struct ui_ctx *x, struct ui_req *r, struct ui_buf *b);
/*
 * This year's admissions target of the device's unit and how many were
 * admitted, as `report targets` counts them ("-" where there is none).
 * 0, or the report's error.
 */
int ui_report_target(struct ui_ctx *x, char target[32], char admitted[32]);
int ui_page_not_found(struct ui_ctx *x, struct ui_buf *b);
int ui_page_forbidden(struct ui_buf *b);
/*
 * A POST refused before a page read it (refused.c), nothing saved: a body
 * over kib KiB (413), one not x-www-form-urlencoded (415), one ui_form_check()
 * found a problem in (its UI_FORM_ code and the field's name; 400 or 422).
 */
int ui_page_too_large(struct ui_buf *b, unsigned kib);
int ui_page_bad_type(struct ui_buf *b);
int ui_page_bad_form(struct ui_buf *b, int problem, const char *field);
/* The page of a failure (500) that wrote nothing: the replica's error and what to do. */
int ui_page_failed(struct ui_ctx *x, struct ui_buf *b);

/*
 * How the last sync or stick of this `cellsync ui` went, one plain sentence
 * for the home page (sync.c); -1 when none ran since it started.
 */
int ui_sync_last(char *buf, size_t len);
/*
 * Whether a sync or stick job runs on the worker (sync.c). Once it reads 0
 * the worker uses nothing more, so the process can end.
 */
int ui_sync_running(void);

/* A mounted drive (a USB stick): its folder, its name, the bytes free. */
struct ui_drive {
    char path[PATH_MAX];
    char name[256];
    unsigned long long avail;
};
/*
 * The mounted drives by name, at most max: the folders under
 * $CELLSYNC_MEDIA when set (the tests' drives), else under /media/$USER and
 * /media, where Debian's desktops mount a USB stick.
 */
size_t ui_drives(struct ui_drive *v, size_t max);

/* The assets, in the binary. */
extern const char ui_style_css[];
extern const char ui_app_js[];

int cmd_ui(int argc, char **argv);

#endif
