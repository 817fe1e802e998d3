/* SPDX-License-Identifier: MIT */
/*
 * Vietnamese order for names (the SQL collation "vi"): the alphabet
 * a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y, with f j w z
 * where Latin puts them; then, between names that differ only there, the
 * tones in dictionary order (none, huyền, hỏi, ngã, sắc, nặng); then case
 * (lower first); then the bytes, so only equal strings compare equal.
 * Precomposed letters (NFC, what keyboards type) and letters followed by
 * combining marks (NFD) sort alike. Anything else sorts by code point
 * after the letters, except that spaces and punctuation come first and
 * digits next, so "Lò Văn" sorts before "Lòa". The same letter tables
 * fold text for comparing what people type (cs_text_fold): without case,
 * and if asked without marks, or as words alone.
 *
 * Lists of people use "vi_name" instead: Vietnamese rolls are in the order
 * of the given name (tên, the last word), then of the rest (họ and tên
 * đệm), each by "vi".
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "cellsync/codes.h"
#include "cellsync/util.h"
#include "internal.h"

/* Each base letter with its five toned forms, lower then upper case. */
static const char *const toned[][2] = {
    {"aàảãáạ", "AÀẢÃÁẠ"}, {"ăằẳẵắặ", "ĂẰẲẴẮẶ"}, {"âầẩẫấậ", "ÂẦẨẪẤẬ"}, {"eèẻẽéẹ", "EÈẺẼÉẸ"},
    {"êềểễếệ", "ÊỀỂỄẾỆ"}, {"iìỉĩíị", "IÌỈĨÍỊ"}, {"oòỏõóọ", "OÒỎÕÓỌ"}, {"ôồổỗốộ", "ÔỒỔỖỐỘ"},
    {"ơờởỡớợ", "ƠỜỞỠỚỢ"}, {"uùủũúụ", "UÙỦŨÚỤ"}, {"ưừửữứự", "ƯỪỬỮỨỰ"}, {"yỳỷỹýỵ", "YỲỶỸÝỴ"},
};

/* The alphabet's order: one entry per base letter, in lower case. */
static const char alphabet[] = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz";

/* Decodes one UTF-8 character (the input is checked UTF-8 or text from SQLite). */
static uint32_t
next_cp(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *s = *p;
    uint32_t c = s[0];
    int n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if (s + n > end)
        n = 1;
    if (n == 2)
        c = (c & 0x1f) << 6 | (s[1] & 0x3f);
    else if (n == 3)
        c = (c & 0x0f) << 12 | (s[1] & 0x3f) << 6 | (s[2] & 0x3f);
    else if (n == 4)
        c = (c & 0x07) << 18 | (s[1] & 0x3f) << 12 | (s[2] & 0x3f) << 6 | (s[3] & 0x3f);
    *p = s + n;
    return c;
}

/* One letter's place: primary (base letter), tone, and upper case. */
struct key {
    uint32_t primary;
    uint8_t tone, upper;
};

static int
alphabet_rank(uint32_t lower)
{
    const uint8_t *p = (const uint8_t *)alphabet, *end = p + sizeof(alphabet) - 1;
    for (int rank = 0; p < end; rank++)
        if (next_cp(&p, end) == lower)
            return rank;
    return -1;
}

static uint32_t
to_lower(uint32_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if (c == 0x0110) /* Đ */
        return 0x0111;
    if (c == 0x0102 || c == 0x01a0 || c == 0x01af) /* Ă Ơ Ư */
        return c + 1;
    if (c == 0x00c2 || c == 0x00ca || c == 0x00d4) /* Â Ê Ô */
        return c + 32;
    return c;
}

/* Every letter outside ASCII that has a place in the alphabet, sorted by code point. */
static struct letter {
    uint32_t cp;
    struct key k;
} letters[CS_ARRAY_SIZE(toned) * 2 * 6 + 2];
static size_t nletters;
static uint8_t ascii_rank[26]; /* a..z */
static pthread_once_t letters_once = PTHREAD_ONCE_INIT;

static int
letter_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct letter *)a)->cp, y = ((const struct letter *)b)->cp;
    return x < y ? -1 : x > y;
}

static void
letters_init(void)
{
    for (size_t v = 0; v < CS_ARRAY_SIZE(toned); v++)
        for (int u = 0; u < 2; u++) {
            const uint8_t *p = (const uint8_t *)toned[v][u], *end = p + strlen(toned[v][u]);
            uint32_t base = 0;
            for (uint8_t tone = 0; p < end; tone++) {
                uint32_t t = next_cp(&p, end);
                if (tone == 0)
                    base = to_lower(t);
                if (t < 0x80)
                    continue; /* plain a e i o u y and their capitals: see key_of */
                letters[nletters].cp = t;
                letters[nletters].k.primary = 100 + (uint32_t)alphabet_rank(base);
                letters[nletters].k.tone = tone;
                letters[nletters].k.upper = (uint8_t)u;
                nletters++;
            }
        }
    letters[nletters++] = (struct letter){0x0111, {100 + (uint32_t)alphabet_rank(0x0111), 0, 0}};
    letters[nletters++] = (struct letter){0x0110, {100 + (uint32_t)alphabet_rank(0x0111), 0, 1}};
    qsort(letters, nletters, sizeof(*letters), letter_cmp);
    for (int c = 0; c < 26; c++)
        ascii_rank[c] = (uint8_t)alphabet_rank((uint32_t)('a' + c));
}

/*
 * The key of code point c; a letter's base and tone may still change with
 * the combining marks after it (apply_mark).
 */
static struct key
key_of(uint32_t c)
{
    struct key k = {0, 0, 0};
    if (c >= 0x80) {
        struct letter want = {.cp = c};
        const struct letter *l = bsearch(&want, letters, nletters, sizeof(*letters), letter_cmp);
        if (l != NULL)
            return l->k;
        k.primary = 1000 + c;
        return k;
    }
    if (c >= 'A' && c <= 'Z') {
        k.upper = 1;
        c += 32;
    }
    if (c >= 'a' && c <= 'z')
        k.primary = 100 + ascii_rank[c - 'a'];
    else if (c >= '0' && c <= '9')
        k.primary = 10 + (c - '0');
    else
        k.primary = 1; /* space and punctuation */
    return k;
}

/* A combining mark after a letter (NFD): a tone, or the breve, circumflex or horn. */
static int
apply_mark(struct key *k, uint32_t m)
{
    static const uint32_t tones[] = {0, 0x0300, 0x0309, 0x0303, 0x0301, 0x0323};
    for (uint8_t t = 1; t < CS_ARRAY_SIZE(tones); t++)
        if (m == tones[t]) {
            k->tone = t;
            return 1;
        }
    static const struct {
        uint32_t mark;
        char from, to[3];
    } bases[] = {{0x0306, 'a', "ă"}, {0x0302, 'a', "â"}, {0x0302, 'e', "ê"},
                 {0x0302, 'o', "ô"}, {0x031b, 'o', "ơ"}, {0x031b, 'u', "ư"}};
    for (size_t i = 0; i < CS_ARRAY_SIZE(bases); i++)
        if (m == bases[i].mark && k->primary == 100 + (uint32_t)alphabet_rank(bases[i].from)) {
            const uint8_t *p = (const uint8_t *)bases[i].to;
            k->primary = 100 + (uint32_t)alphabet_rank(next_cp(&p, p + 2));
            return 1;
        }
    return m >= 0x0300 && m <= 0x036f; /* another combining mark: ignored */
}

/* The next letter's key; 0 at the end. */
static int
next_key(const uint8_t **p, const uint8_t *end, struct key *k)
{
    if (*p >= end)
        return 0;
    *k = key_of(next_cp(p, end));
    while (*p < end) {
        const uint8_t *q = *p;
        if (!apply_mark(k, next_cp(&q, end)))
            break;
        *p = q;
    }
    return 1;
}

int
cs_collate_vi(void *ud, int na, const void *a, int nb, const void *b)
{
    (void)ud;
    pthread_once(&letters_once, letters_init);
    const uint8_t *ea = (const uint8_t *)a + na, *eb = (const uint8_t *)b + nb;
    /* Primary, then tones, then case: three passes, each to the first difference. */
    for (int level = 0; level < 3; level++) {
        const uint8_t *pa = a, *pb = b;
        struct key ka, kb;
        for (;;) {
            int ha = next_key(&pa, ea, &ka), hb = next_key(&pb, eb, &kb);
            if (!ha || !hb) {
                if (ha != hb)
                    return ha ? 1 : -1;
                break;
            }
            uint32_t x = level == 0 ? ka.primary : level == 1 ? ka.tone : ka.upper;
            uint32_t y = level == 0 ? kb.primary : level == 1 ? kb.tone : kb.upper;
            if (x != y)
                return x < y ? -1 : 1;
        }
    }
    int n = na < nb ? na : nb, c = memcmp(a, b, (size_t)n);
    return c != 0 ? c : na - nb;
}

/* ---- folding for comparing what people type (cs_text_fold) ---- */

/* The base Latin letter of each letter of the alphabet above, by rank. */
static const char alphabet_plain[] = "aaabcddeefghijklmnooopqrstuuvwxyz";

/*
 * The precomposed lower-case letter of a rank and tone, 0 where there is
 * none (a tone mark on a consonant). Filled once, from the tables above.
 */
static uint32_t rendered[sizeof(alphabet_plain) - 1][6];
static pthread_once_t rendered_once = PTHREAD_ONCE_INIT;

static void
rendered_init(void)
{
    pthread_once(&letters_once, letters_init);
    for (size_t c = 0; c < 26; c++)
        rendered[ascii_rank[c]][0] = (uint32_t)('a' + c);
    for (size_t i = 0; i < nletters; i++)
        if (!letters[i].k.upper)
            rendered[letters[i].k.primary - 100][letters[i].k.tone] = letters[i].cp;
}

/* Where a fold is written: it stops at the first piece that does not fit. */
struct sink {
    char *out;
    size_t cap, len, written;
};

static void
sink_put(struct sink *s, const void *p, size_t n)
{
    if (s->written == s->len && s->len + n < s->cap) {
        memcpy(s->out + s->len, p, n);
        s->written += n;
    }
    s->len += n;
}

static void
sink_cp(struct sink *s, uint32_t c)
{
    uint8_t b[4];
    size_t n;
    if (c < 0x80) {
        b[0] = (uint8_t)c;
        n = 1;
    } else if (c < 0x800) {
        b[0] = (uint8_t)(0xc0 | c >> 6);
        b[1] = (uint8_t)(0x80 | (c & 0x3f));
        n = 2;
    } else {
        /* Every letter of the tables is in the Basic Multilingual Plane. */
        b[0] = (uint8_t)(0xe0 | c >> 12);
        b[1] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
        b[2] = (uint8_t)(0x80 | (c & 0x3f));
        n = 3;
    }
    sink_put(s, b, n);
}

/*
 * Whether a character with key k belongs in a word: a letter or digit of
 * any script (a combining mark after it is already in k), not punctuation,
 * a symbol or a space.
 */
static int
word_char(const struct key *k)
{
    if (k->primary < 1000)
        return k->primary >= 10; /* ASCII digits and letters, the alphabet's letters */
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)(k->primary - 1000));
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_NO;
}

size_t
cs_text_fold(const char *text, size_t n, enum cs_fold how, char *out, size_t outlen)
{
    pthread_once(&rendered_once, rendered_init);
    const uint8_t *p = (const uint8_t *)text, *end = p + n;
    struct sink s = {out, outlen, 0, 0};
    int space = 0; /* white space seen since the last thing written */
    struct key k;

    while (p < end) {
        /* One character with the combining marks after it. */
        const uint8_t *from = p;
        next_key(&p, end, &k);
        if (*from == ' ' || (*from >= '\t' && *from <= '\r') ||
            (how == CS_FOLD_WORDS && !word_char(&k))) {
            space = 1;
            continue;
        }
        if (space && s.len > 0)
            sink_put(&s, " ", 1);
        space = 0;
        size_t rank = k.primary - 100;
        if (k.primary < 100 || rank >= sizeof(alphabet_plain) - 1)
            sink_put(&s, from, (size_t)(p - from)); /* not a letter: as it is */
        else if (how != CS_FOLD_CASE || rendered[rank][k.tone] == 0)
            sink_put(&s, &alphabet_plain[rank], 1);
        else
            sink_cp(&s, rendered[rank][k.tone]);
    }
    if (outlen > 0)
        out[s.written] = 0;
    return s.len;
}

/* Where the last word of s[0..n) starts, and where the text before it ends (spaces trimmed). */
static void
split_given(const uint8_t *s, int n, int *given, int *rest_end)
{
    int e = n;
    while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t'))
        e--;
    int g = e;
    while (g > 0 && s[g - 1] != ' ' && s[g - 1] != '\t')
        g--;
    int r = g;
    while (r > 0 && (s[r - 1] == ' ' || s[r - 1] == '\t'))
        r--;
    *given = g;
    *rest_end = r;
}

int
cs_collate_vi_name(void *ud, int na, const void *a, int nb, const void *b)
{
    const uint8_t *pa = a, *pb = b;
    int ga, ra, gb, rb, c;

    split_given(pa, na, &ga, &ra);
    split_given(pb, nb, &gb, &rb);
    /* The given names with what trails them (only spaces), so the whole name stays compared. */
    if ((c = cs_collate_vi(ud, na - ga, pa + ga, nb - gb, pb + gb)) != 0)
        return c;
    if ((c = cs_collate_vi(ud, ra, pa, rb, pb)) != 0)
        return c;
    return cs_collate_vi(ud, na, a, nb, b);
}
