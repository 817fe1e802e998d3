/* SPDX-License-Identifier: MIT */
/*
 * The pages of a POST refused before any page reads it (server.c): a form
 * too large, sent in another encoding, or carrying what no browser sends
 * from these pages (a malformed escape, %00, text not UTF-8, a field
 * twice). Each says what is wrong in words and that nothing was saved.
 */
#include <stdio.h>
#include <string.h>

#include "cellsync/i18n.h"
#include "cellsync/schema.h"
#include "ui.h"

/* One refusal: the title, then what went wrong as the page's alert, then the way back. */
static void
refusal(struct ui_buf *b, const char *what)
{
    ui_begin(b, _("The form was not saved"), NULL);
    ui_error(b, what);
    ui_para(b, _("Nothing was saved. Use the browser's Back button to return to the form."));
    ui_end(b);
}

int
ui_page_too_large(struct ui_buf *b, unsigned kib)
{
    char what[512];
    snprintf(what, sizeof(what),
             _("The form is too large: one form can hold at most %u KiB of text. Shorten the "
               "longest text (the minutes, for example) or split it in two and save each part "
               "on its own."),
             kib);
    refusal(b, what);
    return 413;
}

int
ui_page_bad_type(struct ui_buf *b)
{
    refusal(b, _("The form did not arrive as the pages of cellsync ui send it. Save it again "
                 "from the page itself."));
    return 415;
}

/* A field as the form labels it (the column's label in the schema), else its name. */
static const char *
label(const char *name)
{
    size_t n;
    const struct cs_schema_table *t = cs_schema_tables(&n);

    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < t[i].ncolumns; j++)
            if (strcmp(t[i].columns[j].name, name) == 0)
                return _(t[i].columns[j].label);
    return name;
}

int
ui_page_bad_form(struct ui_buf *b, int problem, const char *field)
{
    char what[512];
    const char *f = label(field);
    int status = 422;

    switch (problem) {
    case UI_FORM_NUL:
        snprintf(what, sizeof(what),
                 _("The field '%s' holds a character that cannot be stored (a NUL). Type that "
                   "field again."),
                 f);
        break;
    case UI_FORM_UTF8:
        snprintf(what, sizeof(what),
                 _("The field '%s' holds text that is not UTF-8. Type that field again, or paste "
                   "it from a file saved as UTF-8."),
                 f);
        break;
    case UI_FORM_TWICE:
        snprintf(what, sizeof(what),
                 _("The form sent the field '%s' twice, so it is not known which one to save. "
                   "Save it again from the page itself."),
                 f);
        status = 400;
        break;
    default:
        snprintf(what, sizeof(what),
                 _("The form arrived damaged (the field '%s'). Save it again from the page "
                   "itself."),
                 f);
        status = 400;
        break;
    }
    refusal(b, what);
    return status;
}
