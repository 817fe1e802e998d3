/* SPDX-License-Identifier: MIT */
/*
 * `cellsync search TEXT...`: finds candidates, members and meetings by the
 * words of their names, home towns, citizen ids, phones, agendas, minutes and
 * resolutions, in one query over the three full-text tables of schema.c.
 *
 * People type names with or without tone marks, so the tables are folded
 * by their tokenizer (remove_diacritics 2) and by the triggers that fill
 * them (đ/Đ to d/D, which the tokenizer leaves alone). The words typed here
 * are folded the same way, and each becomes a quoted FTS5 string with a
 * prefix star: `nguyen van sy` finds "Nguyễn Văn Sỹ", `ngu` finds it too,
 * and nothing a person types can be read as FTS5 syntax.
 */
#include <stdlib.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "client.h"

enum { OPT_JSON, OPT__COUNT };
static const struct cs_cli_opt search_opts[OPT__COUNT] = {
    [OPT_JSON] = {"json", 0, N_("print JSON instead of a table")},
};

int
cmd_search(int argc, char **argv)
{
    struct client c;
    const char *ov[OPT__COUNT];
    char *query = NULL, err[512];
    int rest, ret;

    ret = client_args("search", _("usage: cellsync search [--json] TEXT..."),
                      _("Finds candidates, members and meetings by words of their names, home "
                        "towns,\ncitizen ids, phones, agendas, minutes and resolutions. Tone "
                        "marks are\noptional and the start of a word is enough."),
                      argc, argv, search_opts, OPT__COUNT, ov, &rest);
    if (ret != CS_CLI_GO_ON)
        return ret;
    if (rest == argc)
        return client_usage(_("search: missing TEXT (see 'cellsync search --help')"));
    if ((ret = client_search_query(argc - rest, argv + rest, &query)) != 0)
        return client_fail("%s", cs_strerror(ret));
    if (query[0] == 0) {
        free(query);
        return client_usage(_("search: give at least one word of letters or digits"));
    }
    if ((ret = client_open(&c)) != 0) {
        free(query);
        return ret;
    }
    ret = CS_EXIT_OK;
    if (search_print(&c, query, argc - rest, argv + rest, ov[OPT_JSON] != NULL, err, sizeof(err)) !=
        0)
        ret = client_fail("%s", err);
    client_close(&c);
    free(query);
    return ret;
}
