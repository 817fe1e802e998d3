/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for what `cellsync ui` reads from a browser and writes
 * back (client/ui/form_body.c, html.c): the input is a POST's body.
 * ui_form_check takes any bytes and names a field only as text; a decoded
 * value is never longer than the body it came from, and one that passed the
 * check is UTF-8; ui_text's output holds no < > " ' and no & but an entity,
 * and reads back as the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../client/ui/ui.h"
#include "cellsync/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const lists[] = {"present", NULL};
static const char *const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
static const char entity_chars[] = "&<>\"'";

/* ui_text's output: no raw specials, each & an entity; decoded back it is s. */
static void
check_text(const char *s)
{
    struct ui_buf b = {0};
    size_t j = 0, n = strlen(s);

    ui_text(&b, s);
    if (b.oom)
        abort();
    for (size_t i = 0; i < b.n; j++) {
        char c = b.p[i];
        if (c == '<' || c == '>' || c == '"' || c == '\'')
            abort();
        if (c == '&') {
            size_t k = 0;
            while (k < 5 && strncmp(b.p + i, entities[k], strlen(entities[k])) != 0)
                k++;
            if (k == 5)
                abort();
            c = entity_chars[k];
            i += strlen(entities[k]);
        } else {
            i++;
        }
        if (j >= n || s[j] != c)
            abort();
    }
    if (j != n)
        abort();
    ui_buf_free(&b);
}

/* The fields of body by name, nth 0 to 2: never longer than the body; UTF-8 when checked. */
static void
check_fields(const char *body, size_t len, int checked)
{
    const char *names[] = {"csrf", "full_name", "present", "a", ""};
    char first[32] = "";
    size_t fl = strcspn(body, "=&");

    if (fl < sizeof(first)) {
        memcpy(first, body, fl);
        first[fl] = 0;
        names[4] = first;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        for (size_t nth = 0; nth < 3; nth++) {
            char *v = ui_form_field(body, names[i], nth);
            if (v == NULL)
                break;
            size_t vn = strlen(v);
            if (vn > len || (checked && !cs_utf8_valid(v, vn)))
                abort();
            check_text(v);
            free(v);
        }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char bad[64], *body;
    int ret;

    if (size > 64 * 1024)
        return 0;
    ret = ui_form_check((const char *)data, size, lists, bad, sizeof(bad));
    if (ret < -1 || ret > UI_FORM_TWICE || (ret > 0 && !cs_utf8_valid(bad, strlen(bad))))
        abort();
    if ((body = malloc(size + 1)) == NULL)
        return 0;
    memcpy(body, data, size);
    body[size] = 0;
    size_t len = strlen(body);
    check_fields(body, len, ret == UI_FORM_OK);
    check_text(body);
    size_t dn = ui_form_unescape(body);
    if (dn > len || strlen(body) > dn)
        abort();
    free(body);
    return 0;
}
