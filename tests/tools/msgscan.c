/* SPDX-License-Identifier: MIT */
/*
 * Finds user-facing text that bypasses gettext: a string literal passed to one
 * of the project's message functions (cs_errf, client_fail, cmd_fail, logf_,
 * fprintf(stderr, ...), snprintf into an err/msg/reason buffer: the table
 * FNS below) outside _(), N_() or C_(). A literal counts as text when it
 * holds a word once the printf conversions and escapes are taken out, so
 * "%s: %s\n" passes; in a log line (logf_, or a format that starts with
 * "event="), key=value pairs whose value is a token or a conversion are
 * machine keys, but a quoted value in words is text. A literal inside any
 * other call (_(), strerror(), a helper) is that call's business. The tokenizer is small on
 * purpose: it knows comments, string and character literals and parentheses, which is all it needs.
 *
 *   msgscan [--allow FILE] [--offsets] SOURCE...
 *
 * The allow file holds "PATH<TAB>TEXT" lines (TEXT as written between the
 * quotes): literals that are not user text. Prints each finding as
 * "PATH:LINE: FUNCTION: "TEXT"" (--offsets: "PATH START END", the byte range
 * of the literal) and exits 1 when there is any, 0 when there is none.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A message function: the index of its format argument, and whether it writes a
 * key=value log line. snprintf counts only into a buffer named like err, msg or
 * reason; fprintf and fputs only to stderr or stdout. */
struct msgfn {
    const char *name;
    int fmt;
    int log;
};

enum { FN_FPRINTF = 7 };
static const struct msgfn FNS[] = {
    {"cs_errf", 3, 0},
    {"client_fail", 0, 0},
    {"client_usage", 0, 0},
    {"cmd_fail", 0, 0},
    {"cmd_usage_error", 1, 0},
    {"cs_cli_usage_error", 2, 0},
    {"logf_", 2, 1},
    [FN_FPRINTF] = {"fprintf", 1, 0},
    {"snprintf", 2, 0},
    {"printf", 0, 0},
    {"puts", 0, 0},
    {"fputs", 0, 0},
    {"report_line", 2, 0}, /* cellsyncd check */
    {"refuse", 4, 0},      /* cellsyncd import */
    {"log_line", 3, 1},    /* the daemon's log (daemon/log.h) */
    {"log_fail", 0, 0},
};

/* Any named call: inside _(), N_() or C_() a literal is translated, inside
 * any other (strerror, a helper) it is not this message's text. */
static int
is_other_call(const char *name)
{
    return name[0] != '\0';
}

enum { T_ID, T_STR, T_PUNCT, T_OTHER };

struct tok {
    int kind;
    size_t start, end; /* byte range in the file */
    unsigned line;
    char text[64]; /* identifiers and punctuation */
};

struct file {
    const char *path;
    char *buf;
    size_t len;
    struct tok *t;
    size_t nt, cap;
};

struct allow {
    char *path, *text;
};

static struct allow *allows;
static size_t nallows;
static int offsets;
static int findings;

static void
push(struct file *f, int kind, size_t start, size_t end, unsigned line)
{
    if (f->nt == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 1024;
        f->t = realloc(f->t, f->cap * sizeof(*f->t));
        if (f->t == NULL) {
            perror("msgscan");
            exit(2);
        }
    }
    struct tok *k = &f->t[f->nt++];
    k->kind = kind;
    k->start = start;
    k->end = end;
    k->line = line;
    size_t n = end - start < sizeof(k->text) - 1 ? end - start : sizeof(k->text) - 1;
    memcpy(k->text, f->buf + start, n);
    k->text[n] = '\0';
}

static void
tokenize(struct file *f)
{
    const char *b = f->buf;
    size_t i = 0, n = f->len;
    unsigned line = 1;

    while (i < n) {
        char c = b[i];
        if (c == '\n') {
            line++;
            i++;
        } else if (isspace((unsigned char)c)) {
            i++;
        } else if (c == '/' && i + 1 < n && b[i + 1] == '/') {
            while (i < n && b[i] != '\n')
                i++;
        } else if (c == '/' && i + 1 < n && b[i + 1] == '*') {
            i += 2;
            while (i + 1 < n && !(b[i] == '*' && b[i + 1] == '/')) {
                if (b[i] == '\n')
                    line++;
                i++;
            }
            i += 2;
        } else if (c == '#' && (i == 0 || b[i - 1] == '\n')) {
            /* #include <x.h> and #include "x.h" name files, not text. */
            size_t s = i;
            while (i < n && b[i] != '\n')
                i++;
            if (strncmp(b + s, "#include", 8) != 0)
                i = s + 1;
        } else if (c == '"' || c == '\'') {
            size_t s = i++;
            while (i < n && b[i] != c) {
                if (b[i] == '\\')
                    i++;
                i++;
            }
            i++;
            push(f, c == '"' ? T_STR : T_OTHER, s, i, line);
        } else if (isalpha((unsigned char)c) || c == '_') {
            size_t s = i;
            while (i < n && (isalnum((unsigned char)b[i]) || b[i] == '_'))
                i++;
            push(f, T_ID, s, i, line);
        } else if (isdigit((unsigned char)c)) {
            size_t s = i;
            while (i < n && (isalnum((unsigned char)b[i]) || b[i] == '.'))
                i++;
            push(f, T_OTHER, s, i, line);
        } else {
            push(f, T_PUNCT, i, i + 1, line);
            i++;
        }
    }
}

/* The text of adjacent literals t[a..b) without quotes, escapes as written. */
static char *
literal(const struct file *f, size_t a, size_t b)
{
    size_t cap = 1;
    for (size_t k = a; k < b; k++)
        cap += f->t[k].end - f->t[k].start;
    char *s = malloc(cap), *p = s;
    if (s == NULL) {
        perror("msgscan");
        exit(2);
    }
    for (size_t k = a; k < b; k++) {
        size_t len = f->t[k].end - f->t[k].start - 2;
        memcpy(p, f->buf + f->t[k].start + 1, len);
        p += len;
    }
    *p = '\0';
    return s;
}

static void
cut(char *s, const char *pattern)
{
    regex_t re;
    regmatch_t m;

    if (regcomp(&re, pattern, REG_EXTENDED) != 0)
        exit(2);
    size_t off = 0;
    while (regexec(&re, s + off, 1, &m, off > 0 ? REG_NOTBOL : 0) == 0 && m.rm_eo > 0) {
        memmove(s + off + m.rm_so, s + off + m.rm_eo, strlen(s + off + m.rm_eo) + 1);
        off += m.rm_so;
    }
    regfree(&re);
}

/* Whether the literal holds words a person reads. */
static int
is_text(const char *lit, int log)
{
    char *s = strdup(lit);
    int ret = 0;

    if (s == NULL)
        exit(2);
    cut(s, "%%|%[-+ #0-9.*]*(hh|h|ll|l|j|z|t|L)?[a-zA-Z]");
    /* The program's name before a message is a name, not text. */
    cut(s, "^cellsyncd?: ");
    if (log || strncmp(s, "event=", 6) == 0 || strstr(s, " event=") != NULL) {
        /* key=\"conversion\" and key=token are machine-readable. */
        cut(s, "[a-z_]+=\\\\\"[^\"a-zA-Z]*\\\\\"");
        cut(s, "[a-z_]+=[^ \\\\]*");
        cut(s, "^(cellsyncd: )?(info|warn|error) ");
    }
    cut(s, "\\\\[nrt\"\\\\]");
    for (const char *p = s; *p != '\0'; p++) {
        if (isalpha((unsigned char)p[0]) && isalpha((unsigned char)p[1])) {
            ret = 1;
            break;
        }
    }
    free(s);
    return ret;
}

static int
allowed(const char *path, const char *text)
{
    for (size_t i = 0; i < nallows; i++)
        if (strcmp(allows[i].text, text) == 0 && strcmp(allows[i].path, path) == 0)
            return 1;
    return 0;
}

/* Whether the first argument of snprintf/fprintf/fputs marks a message. */
static int
is_message_target(const struct file *f, const struct msgfn *fn, size_t a, size_t b)
{
    if (strcmp(fn->name, "snprintf") == 0) {
        for (size_t k = a; k < b; k++)
            if (f->t[k].kind == T_ID &&
                (strstr(f->t[k].text, "err") || strstr(f->t[k].text, "msg") ||
                 strstr(f->t[k].text, "reason") || strstr(f->t[k].text, "message")))
                return 1;
        return 0;
    }
    if (strcmp(fn->name, "fprintf") == 0)
        return b == a + 1 && f->t[a].kind == T_ID &&
               (strcmp(f->t[a].text, "stderr") == 0 || strcmp(f->t[a].text, "stdout") == 0);
    return 1;
}

/* Checks the call whose '(' is t[open]; returns the index of its ')'. */
static size_t
check_call(const struct file *f, const struct msgfn *fn, size_t open)
{
    size_t args[32][2], nargs = 0, k = open + 1;
    int depth = 1;
    size_t argstart = k;

    for (; k < f->nt && depth > 0; k++) {
        const struct tok *t = &f->t[k];
        if (t->kind != T_PUNCT)
            continue;
        if (t->text[0] == '(' || t->text[0] == '[' || t->text[0] == '{') {
            depth++;
        } else if (t->text[0] == ')' || t->text[0] == ']' || t->text[0] == '}') {
            depth--;
            if (depth == 0 && nargs < 32) {
                args[nargs][0] = argstart;
                args[nargs++][1] = k;
            }
        } else if (t->text[0] == ',' && depth == 1 && nargs < 32) {
            args[nargs][0] = argstart;
            args[nargs++][1] = k;
            argstart = k + 1;
        }
    }
    size_t close = k - 1;
    if ((size_t)fn->fmt >= nargs)
        return close;
    if (fn->fmt > 0 && !is_message_target(f, fn, args[0][0], args[0][1]))
        return close;
    /* fputs(TEXT, STREAM): the stream comes second. */
    if (strcmp(fn->name, "fputs") == 0 &&
        (nargs != 2 || !is_message_target(f, &FNS[FN_FPRINTF], args[1][0], args[1][1])))
        return close;

    /* The format and the values after it: a literal directly in the call, or in
     * grouping parentheses or a ?: there, is text that reaches the person. */
    for (size_t a = (size_t)fn->fmt; a < nargs; a++) {
        depth = 1;
        const char *inner[64];
        inner[0] = "";
        for (size_t i = args[a][0]; i < args[a][1]; i++) {
            const struct tok *t = &f->t[i];
            if (t->kind == T_PUNCT && t->text[0] == '(') {
                if (depth < 64)
                    inner[depth] = i > 0 && f->t[i - 1].kind == T_ID ? f->t[i - 1].text : "";
                depth++;
                continue;
            }
            if (t->kind == T_PUNCT && t->text[0] == ')') {
                depth--;
                continue;
            }
            if (t->kind != T_STR)
                continue;
            int translated = 0;
            for (int d = 1; d < depth && d < 64; d++)
                if (is_other_call(inner[d]))
                    translated = 1;
            size_t j = i;
            while (j < args[a][1] && f->t[j].kind == T_STR)
                j++;
            if (!translated) {
                char *lit = literal(f, i, j);
                if (is_text(lit, fn->log && a == (size_t)fn->fmt) && !allowed(f->path, lit)) {
                    findings++;
                    if (offsets)
                        printf("%s %zu %zu\n", f->path, t->start, f->t[j - 1].end);
                    else
                        printf("%s:%u: %s: \"%s\"\n", f->path, t->line, fn->name, lit);
                }
                free(lit);
            }
            i = j - 1;
        }
    }
    return close;
}

static void
scan(const char *path)
{
    struct file f = {.path = path};
    FILE *in = fopen(path, "rb");
    if (in == NULL) {
        perror(path);
        exit(2);
    }
    fseek(in, 0, SEEK_END);
    f.len = (size_t)ftell(in);
    rewind(in);
    f.buf = malloc(f.len + 1);
    if (f.buf == NULL || fread(f.buf, 1, f.len, in) != f.len) {
        perror(path);
        exit(2);
    }
    f.buf[f.len] = '\0';
    fclose(in);
    tokenize(&f);

    for (size_t i = 0; i + 1 < f.nt; i++) {
        if (f.t[i].kind != T_ID || f.t[i + 1].kind != T_PUNCT || f.t[i + 1].text[0] != '(')
            continue;
        /* A definition or declaration of the function itself is no call. */
        if (i > 0 && f.t[i - 1].kind == T_ID && strcmp(f.t[i - 1].text, "return") != 0 &&
            strcmp(f.t[i - 1].text, "else") != 0)
            continue;
        for (size_t k = 0; k < sizeof(FNS) / sizeof(FNS[0]); k++)
            if (strcmp(f.t[i].text, FNS[k].name) == 0) {
                check_call(&f, &FNS[k], i + 1);
                break;
            }
    }
    free(f.t);
    free(f.buf);
}

static void
load_allow(const char *path)
{
    FILE *in = fopen(path, "r");
    char line[1024];
    if (in == NULL) {
        perror(path);
        exit(2);
    }
    while (fgets(line, sizeof(line), in) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (line[0] == '#' || tab == NULL)
            continue;
        *tab = '\0';
        allows = realloc(allows, (nallows + 1) * sizeof(*allows));
        if (allows == NULL)
            exit(2);
        allows[nallows].path = strdup(line);
        allows[nallows++].text = strdup(tab + 1);
    }
    fclose(in);
}

int
main(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--allow") == 0 && i + 1 < argc)
            load_allow(argv[++i]);
        else if (strcmp(argv[i], "--offsets") == 0)
            offsets = 1;
        else {
            fprintf(stderr, "usage: msgscan [--allow FILE] [--offsets] SOURCE...\n");
            return 2;
        }
    }
    for (; i < argc; i++)
        scan(argv[i]);
    return findings > 0;
}
