/* SPDX-License-Identifier: MIT */
/*
 * The words a person types for a search, as the FTS5 MATCH expression of
 * the search tables (schema.c): `cellsync search`, the web pages' lists.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
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
