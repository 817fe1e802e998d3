/* SPDX-License-Identifier: MIT */
/*
 * Search (see client.h): the words a person types as the FTS5 MATCH
 * expression of the search tables (schema.c), for `cellsync search`, the
 * web pages' lists and `cellsyncd search`, and the one query over the
 * three tables that both commands print.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/output.h"
#include "cellsync/schema.h"
#include "client.h"

/*
 * Whether the UTF-8 sequence at s starts a character the tokenizer keeps:
 * ASCII letters and digits, and any other letter. Punctuation and symbols
 * of Latin-1 and of U+2000..U+2BFF and U+3000..U+303F are not.
 * *len gets the sequence's length.
 */
static int
is_word_char(const unsigned char *s, size_t *len)
{
    uint32_t cp;
    if (s[0] < 0x80) {
        *len = 1;
        return isalnum(s[0]);
    }
    if ((s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) {
        *len = 2;
        cp = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
    } else if ((s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
        *len = 3;
        cp = (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
    } else {
        /* Four-byte or broken sequences: let the tokenizer judge them. */
        *len = 1;
        return 1;
    }
    if ((cp >= 0x80 && cp <= 0xbf) || cp == 0xd7 || cp == 0xf7)
        return 0;
    if ((cp >= 0x2000 && cp <= 0x2bff) || (cp >= 0x3000 && cp <= 0x303f))
        return 0;
    return 1;
}

/*
 * Builds the MATCH expression: each blank-separated word with at least one
 * word character, đ/Đ folded to d/D, as "word"* (double quotes doubled),
 * the words joined by spaces, which FTS5 reads as AND. OUT: *out malloc'd,
 * caller frees; an empty string when no word was left.
 */
int
client_search_query(int argc, char **argv, char **out)
{
    size_t cap = 1;
    for (int i = 0; i < argc; i++)
        cap += 2 * strlen(argv[i]) + 4 * (strlen(argv[i]) + 1);
    char *q = malloc(cap), *word = malloc(cap);
    size_t n = 0;

    if (q == NULL || word == NULL) {
        free(q);
        free(word);
        return CS_ENOMEM;
    }
    for (int i = 0; i < argc; i++) {
        const unsigned char *p = (const unsigned char *)argv[i];
        while (*p) {
            while (*p && isspace(*p))
                p++;
            size_t w = 0, len;
            int useful = 0;
            while (*p && !isspace(*p)) {
                if (p[0] == 0xc4 && (p[1] == 0x91 || p[1] == 0x90)) {
                    word[w++] = p[1] == 0x91 ? 'd' : 'D';
                    p += 2;
                    useful = 1;
                    continue;
                }
                useful |= is_word_char(p, &len);
                for (size_t k = 0; k < len && p[k]; k++) {
                    if (p[k] == '"')
                        word[w++] = '"';
                    word[w++] = (char)p[k];
                }
                p += len;
            }
            if (!useful)
                continue;
            n += (size_t)snprintf(q + n, cap - n, "%s\"%.*s\"*", n ? " " : "", (int)w, word);
        }
    }
    q[n] = 0;
    free(word);
    *out = q;
    return 0;
}

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
search_print(struct client *c, const char *query, int nwords, char **words, int json, char *err,
             size_t errlen)
{
    static const char *const headers[] = {N_("kind"), N_("id"), N_("name"), N_("match")};
    sqlite3_stmt *st = NULL;
    char oerr[512];
    int ret = CS_ESQLITE, rc;

    /* A hub's replica is made without the index: its own then, for this search. */
    if ((ret = cs_schema_search_temp(c->db, err, errlen)) != 0)
        goto out;
    ret = CS_ESQLITE;
    if (sqlite3_create_function(c->db, "unfold", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                sql_unfold, NULL, NULL) != SQLITE_OK) {
        cs_errf(err, errlen, ret, "%s", sqlite3_errmsg(c->db));
        goto out;
    }
    /* A table of nothing would be its header alone: say that nothing was found. */
    if (!json) {
        if (sqlite3_prepare_v2(c->db, sql_count, -1, &st, NULL) != SQLITE_OK) {
            cs_errf(err, errlen, ret, "%s", sqlite3_errmsg(c->db));
            goto out;
        }
        sqlite3_bind_text(st, 1, query, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW) {
            cs_errf(err, errlen, ret, _("cannot search for '%s': %s"), query,
                    sqlite3_errmsg(c->db));
            goto out;
        }
        int found = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        st = NULL;
        if (found == 0) {
            /* The words as typed, not as folded for the index. */
            char typed[256];
            size_t n = 0;
            typed[0] = 0;
            for (int i = 0; i < nwords && n < sizeof(typed); i++)
                n += (size_t)snprintf(typed + n, sizeof(typed) - n, "%s%s", n ? " " : "", words[i]);
            printf(_("no candidate, member or meeting matches '%s'\n"), typed);
            ret = 0;
            goto out;
        }
    }
    if (sqlite3_prepare_v2(c->db, json ? sql_json : sql_plain, -1, &st, NULL) != SQLITE_OK) {
        cs_errf(err, errlen, ret, "%s", sqlite3_errmsg(c->db));
        goto out;
    }
    sqlite3_bind_text(st, 1, query, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, _("candidate"), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, _("member"), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, _("meeting"), -1, SQLITE_STATIC);
    rc = json ? cs_out_json(stdout, st, oerr, sizeof(oerr))
              : cs_out_table(stdout, st, headers, oerr, sizeof(oerr));
    if (rc != 0) {
        cs_errf(err, errlen, rc, _("cannot search for '%s': %s"), query, oerr);
        ret = rc;
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}
