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
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/output.h"
#include "client.h"

enum { OPT_JSON, OPT__COUNT };
static const struct cs_cli_opt search_opts[OPT__COUNT] = {
    [OPT_JSON] = {"json", 0, N_("print JSON instead of a table")},
};

/* Live rows whose search body matches ?1, with a rank that is better when lower. */
#define HITS                                                                                       \
    "WITH hits(kind, id, name, snip, rank) AS ("                                                   \
    " SELECT 'candidate', k.id, k.full_name, NULL, bm25(search_candidate)"                         \
    "   FROM search_candidate JOIN candidate k ON k.rowid = search_candidate.rowid"                \
    "  WHERE search_candidate MATCH ?1 AND k.cl % 2 = 1"                                           \
    " UNION ALL"                                                                                   \
    " SELECT 'member', p.id, p.full_name, NULL, bm25(search_member)"                               \
    "   FROM search_member JOIN member p ON p.rowid = search_member.rowid"                         \
    "  WHERE search_member MATCH ?1 AND p.cl % 2 = 1"                                              \
    " UNION ALL"                                                                                   \
    " SELECT 'meeting', m.id, m.held_on,"                                                          \
    "        unfold(snippet(search_meeting, 0, char(1), char(2), char(3), 10),"                    \
    "               coalesce(m.agenda, '') || ' ' || coalesce(m.minutes, '') || ' ' ||"            \
    "               coalesce(m.resolutions, '')),"                                                 \
    "        bm25(search_meeting)"                                                                 \
    "   FROM search_meeting JOIN meeting m ON m.rowid = search_meeting.rowid"                      \
    "  WHERE search_meeting MATCH ?1 AND m.cl % 2 = 1) "

static const char sql_plain[] =
    HITS "SELECT CASE kind WHEN 'candidate' THEN ?2 WHEN 'member' THEN ?3 ELSE ?4 END,"
         " short_id(id), name, snip FROM hits ORDER BY rank, name COLLATE vi_name, id";
static const char sql_count[] = HITS "SELECT count(*) FROM hits";
static const char sql_json[] = HITS
    "SELECT json_group_array(json_object('kind', kind, 'id', uuid(id), 'short_id', short_id(id),"
    " 'name', name, 'snippet', snip))"
    "  FROM (SELECT * FROM hits ORDER BY rank, name COLLATE vi_name, id)";

/*
 * unfold(snippet, text): the search body of a meeting is its texts with
 * đ/Đ folded to d/D (schema.c), so snippet() would quote "Dồng chí". That
 * folding maps one character to one, so the fragment is found again in the
 * folded text and copied from the original instead. The snippet is made
 * with marks \1 \2 and ellipsis \3, which become "[", "]" and "…" here;
 * newlines become spaces, as a snippet is one line.
 */
static int
is_mark(char ch)
{
    return ch == 1 || ch == 2 || ch == 3;
}

static void
sql_unfold(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *snip = (const char *)sqlite3_value_text(argv[0]);
    const char *text = (const char *)sqlite3_value_text(argv[1]);
    (void)argc;
    if (snip == NULL || text == NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    size_t sn = strlen(snip), tn = strlen(text), fn = 0, pn = 0, on = 0;
    /* folded[j] came from text[from[j] .. from[j + 1]). */
    char *folded = malloc(tn + 1), *plain = malloc(sn + 1), *out = malloc(3 * sn + tn + 1);
    size_t *from = malloc((tn + 1) * sizeof(*from));
    if (folded == NULL || plain == NULL || out == NULL || from == NULL) {
        sqlite3_result_error_nomem(ctx);
        goto out;
    }
    for (size_t i = 0; i < tn; i++) {
        from[fn] = i;
        if ((unsigned char)text[i] == 0xc4 && (text[i + 1] == '\x90' || text[i + 1] == '\x91')) {
            folded[fn++] = text[i + 1] == '\x91' ? 'd' : 'D';
            i++;
        } else {
            folded[fn++] = text[i];
        }
    }
    from[fn] = tn;
    folded[fn] = 0;
    for (size_t i = 0; i < sn; i++)
        if (!is_mark(snip[i]))
            plain[pn++] = snip[i];
    plain[pn] = 0;
    const char *at = strstr(folded, plain);
    size_t j = at != NULL ? (size_t)(at - folded) : 0;
    for (size_t i = 0; i < sn; i++) {
        const char *s;
        size_t n;
        if (is_mark(snip[i])) {
            s = snip[i] == 1 ? "[" : snip[i] == 2 ? "]" : "…";
            n = strlen(s);
        } else if (at != NULL) {
            s = text + from[j];
            n = from[j + 1] - from[j];
            j++;
        } else {
            s = snip + i; /* not found: show the folded text */
            n = 1;
        }
        for (size_t k = 0; k < n; k++)
            out[on++] = s[k] == '\n' || s[k] == '\r' ? ' ' : s[k];
    }
    /* An empty agenda leaves the body starting with a blank. */
    size_t start = 0;
    while (start < on && out[start] == ' ')
        start++;
    while (on > start && out[on - 1] == ' ')
        on--;
    sqlite3_result_text(ctx, out + start, (int)(on - start), SQLITE_TRANSIENT);
out:
    free(folded);
    free(plain);
    free(out);
    free(from);
}

int
cmd_search(int argc, char **argv)
{
    static const char *const headers[] = {N_("kind"), N_("id"), N_("name"), N_("match")};
    struct client c;
    const char *ov[OPT__COUNT];
    char *query = NULL;
    sqlite3_stmt *st = NULL;
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
    int json = ov[OPT_JSON] != NULL;
    ret = CS_EXIT_FAILURE;
    if (sqlite3_create_function(c.db, "unfold", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                sql_unfold, NULL, NULL) != SQLITE_OK) {
        client_fail("%s", sqlite3_errmsg(c.db));
        goto out;
    }
    /* A table of nothing would be its header alone: say that nothing was found. */
    if (!json) {
        if (sqlite3_prepare_v2(c.db, sql_count, -1, &st, NULL) != SQLITE_OK) {
            client_fail("%s", sqlite3_errmsg(c.db));
            goto out;
        }
        sqlite3_bind_text(st, 1, query, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            client_fail(_("cannot search for '%s': %s"), query, sqlite3_errmsg(c.db));
            goto out;
        }
        int found = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        st = NULL;
        if (found == 0) {
            /* The words as typed, not as folded for the index. */
            char words[256];
            size_t n = 0;
            words[0] = 0;
            for (int i = rest; i < argc && n < sizeof(words); i++)
                n += (size_t)snprintf(words + n, sizeof(words) - n, "%s%s", n ? " " : "", argv[i]);
            printf(_("no candidate, member or meeting matches '%s'\n"), words);
            ret = CS_EXIT_OK;
            goto out;
        }
    }
    if (sqlite3_prepare_v2(c.db, json ? sql_json : sql_plain, -1, &st, NULL) != SQLITE_OK) {
        client_fail("%s", sqlite3_errmsg(c.db));
        goto out;
    }
    sqlite3_bind_text(st, 1, query, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, _("candidate"), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, _("member"), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, _("meeting"), -1, SQLITE_STATIC);
    char oerr[512];
    int rc = json ? cs_out_json(stdout, st, oerr, sizeof(oerr))
                  : cs_out_table(stdout, st, headers, oerr, sizeof(oerr));
    if (rc != 0) {
        client_fail(_("cannot search for '%s': %s"), query, oerr);
        goto out;
    }
    ret = CS_EXIT_OK;
out:
    sqlite3_finalize(st);
    client_close(&c);
    free(query);
    return ret;
}
