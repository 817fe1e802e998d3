/* SPDX-License-Identifier: MIT */
/*
 * `cellsync meeting add|list|show|assess|attend`: the cell's meetings, who
 * came to them, and what the meeting said about each candidate; `edit`,
 * `delete` and `undelete` of a meeting and of its rows correct them. Meetings
 * take the fields of ent_meeting; attendance and assessment rows are small
 * enough to be written here register by register.
 *
 * Long texts (agenda, minutes, resolutions, assessments) go through
 * fields_read_text(), so "-" reads standard input and "@FILE" a file. Minutes are
 * what a secretary types at length: when none are given on the command line
 * and a person sits at the terminal, their editor ($VISUAL, $EDITOR, then
 * Debian's sensible-editor...) opens on a temporary file with a hint in
 * comment lines, and that file is kept if the meeting cannot be stored, so
 * no typing is lost.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cellsync/attend.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/output.h"
#include "cellsync/record.h"
#include "client.h"
#include "queries.h"

enum { OPT_JSON, OPT__COUNT };
static const struct cs_cli_opt json_opts[OPT__COUNT] = {
    [OPT_JSON] = {"json", 0, N_("print JSON instead of a table")},
};
enum { LIST_JSON, LIST_DELETED, LIST__COUNT };
static const struct cs_cli_opt list_opts[LIST__COUNT] = {
    [LIST_JSON] = {"json", 0, N_("print JSON instead of a table")},
    [LIST_DELETED] = {"deleted", 0, N_("list the deleted meetings, with when and by which device")},
};
/* The texts of an assessment, in the order of their columns. */
enum { ASSESS_STRENGTHS, ASSESS_WEAKNESSES, ASSESS_NEXT_STEPS, ASSESS__COUNT };
static const struct cs_cli_opt assess_opts[ASSESS__COUNT] = {
    [ASSESS_STRENGTHS] =
        {"strengths", 1,
         N_("strengths of the candidate (\"-\" reads standard input, @FILE a file)")},
    [ASSESS_WEAKNESSES] = {"weaknesses", 1,
                           N_("weaknesses to work on (\"-\" reads standard input, @FILE a file)")},
    [ASSESS_NEXT_STEPS] = {"next-steps", 1,
                           N_("what the candidate does next (\"-\" reads standard input, @FILE a "
                              "file)")},
};
_Static_assert(ASSESS__COUNT == MEETINGS_ASSESS_TEXTS, "the options are the texts, in order");
static const char *const assess_labels[ASSESS__COUNT] = {
    [ASSESS_STRENGTHS] = N_("strengths"),
    [ASSESS_WEAKNESSES] = N_("weaknesses"),
    [ASSESS_NEXT_STEPS] = N_("next steps"),
};
/*
 * Each member named takes the --present or --absent typed before it (the
 * first one after it when none is before: `attend M X --absent`), and a
 * --reason goes with the --absent it follows.
 */
enum { ATT_PRESENT, ATT_ABSENT, ATT_REASON, ATT_ALL, ATT__COUNT };
static const struct cs_cli_opt attend_opts[ATT__COUNT] = {
    [ATT_PRESENT] = {"present", 0, N_("the members named after it came")},
    [ATT_ABSENT] = {"absent", 0, N_("the members named after it did not come")},
    [ATT_REASON] = {"reason", 1, N_("why the members of the '--absent' before it did not come")},
    [ATT_ALL] = {"all-present", 0,
                 N_("every member of the meeting's cell came, except those named after "
                    "'--absent'")},
};

/* Drops trailing blanks and newlines of text read from a file or terminal. */
static void
trim_end(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
}

/*
 * Reads the texts of options through fields_read_text(), labels[i] (N_())
 * saying what in[i] is at a terminal. Only one of them may read standard
 * input: a second "-" would silently get nothing.
 * OUT: owned[i] for each non-NULL in[i], caller frees.
 */
static int
read_texts(const char *const *in, const char *const *labels, char **owned, size_t n,
           const char *what)
{
    char err[512];
    int stdin_used = 0, ret;

    for (size_t i = 0; i < n; i++) {
        owned[i] = NULL;
        if (in[i] != NULL && strcmp(in[i], "-") == 0 && stdin_used++)
            return client_usage(_("%s: only one option can read standard input"), what);
    }
    for (size_t i = 0; i < n; i++) {
        if (in[i] == NULL)
            continue;
        if ((ret = fields_read_text(in[i], labels[i], &owned[i], err, sizeof(err))) != 0)
            return client_fail("%s", ret == CS_ENOMEM ? cs_strerror(ret) : err);
        if (strcmp(in[i], "-") == 0 || in[i][0] == '@')
            trim_end(owned[i]);
    }
    return 0;
}

static void
free_texts(char **owned, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(owned[i]);
}

/* Whether an executable file name is in one of the directories of $PATH. */
static bool
in_path(const char *name)
{
    const char *path = getenv("PATH");
    char file[PATH_MAX];

    while (path != NULL && path[0] != 0) {
        const char *end = strchr(path, ':');
        size_t n = end != NULL ? (size_t)(end - path) : strlen(path);
        int w = snprintf(file, sizeof(file), "%.*s/%s", (int)n, n > 0 ? path : ".", name);
        if (w > 0 && (size_t)w < sizeof(file) && access(file, X_OK) == 0)
            return true;
        path = end != NULL ? end + 1 : NULL;
    }
    return false;
}

/*
 * The editor for the minutes, as Debian Policy 11.4 asks: $VISUAL, else
 * $EDITOR, else sensible-editor, else editor, else nano or vi, the first
 * of these found in $PATH. NULL when there is none.
 */
static const char *
pick_editor(void)
{
    static const char *const vars[] = {"VISUAL", "EDITOR"};
    static const char *const progs[] = {"sensible-editor", "editor", "nano", "vi"};

    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *v = getenv(vars[i]);
        if (v != NULL && v[0] != 0)
            return v;
    }
    for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
        if (in_path(progs[i]))
            return progs[i];
    return NULL;
}

/*
 * What the editor opens on: an empty first line to write on, then the
 * hint as comment lines, each translated line behind "# ".
 */
static int
write_template(const char *path)
{
    /* TRANSLATORS: shown in the editor, each line behind "# "; keep the lines short. */
    const char *hint = _("Write the minutes of the meeting above these lines: what was\n"
                         "reported, discussed and decided. Lines starting with '#' are\n"
                         "left out; if you write nothing, no minutes are stored.\n"
                         "In nano: Ctrl-O then Enter saves, Ctrl-X leaves.\n"
                         "In vi: press Esc, type :wq and press Enter.\n");
    FILE *f = fopen(path, "w");
    int ret = 0;

    if (f == NULL)
        return -errno;
    fputc('\n', f);
    for (const char *p = hint; *p != 0;) {
        size_t n = strcspn(p, "\n");
        fprintf(f, "# %.*s\n", (int)n, p);
        p += n + (p[n] == '\n');
    }
    if (ferror(f))
        ret = -EIO;
    if (fclose(f) != 0 && ret == 0)
        ret = -errno;
    return ret;
}

/* Drops the comment lines ('#' first) of what came back from the editor, in place. */
static void
drop_comments(char *s)
{
    char *w = s;
    for (char *r = s; *r != 0;) {
        size_t n = strcspn(r, "\n");
        n += r[n] == '\n';
        if (r[0] != '#') {
            memmove(w, r, n);
            w += n;
        }
        r += n;
    }
    *w = 0;
}

/*
 * Minutes from the person at the terminal: the editor opens on a template
 * in a new temporary file whose name goes into path (the caller removes
 * it once the minutes are stored); with no editor at all, they are typed
 * at the terminal. OUT: *out malloc'd (NULL when nothing was written),
 * caller frees.
 */
static int
edit_text(char *path, size_t pathlen, char **out)
{
    const char *dir = getenv("TMPDIR"), *editor = pick_editor();
    char err[512];
    int fd, status, ret;
    pid_t pid;

    *out = NULL;
    if (editor == NULL) {
        client_fail(_("no text editor was found (set VISUAL or EDITOR, or install nano)"));
        if ((ret = fields_read_text("-", N_("minutes"), out, err, sizeof(err))) != 0)
            return client_fail("%s", ret == CS_ENOMEM ? cs_strerror(ret) : err);
        goto got;
    }
    if (dir == NULL || dir[0] == 0)
        dir = "/tmp";
    snprintf(path, pathlen, "%s/cellsync-minutes-XXXXXX", dir);
    if ((fd = mkstemp(path)) < 0)
        return client_fail(_("cannot create a temporary file in '%s': %s"), dir, strerror(errno));
    close(fd);
    if ((ret = write_template(path)) != 0) {
        unlink(path);
        return client_fail(_("cannot write '%s': %s"), path, strerror(-ret));
    }
    /* Through the shell, as git does, so the editor's variable may carry arguments. */
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "%s \"$@\"", editor);
    if ((pid = fork()) < 0) {
        unlink(path);
        return client_fail(_("cannot start the editor: %s"), strerror(errno));
    }
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, editor, path, (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            unlink(path);
            return client_fail(_("cannot start the editor: %s"), strerror(errno));
        }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        client_fail(_("the editor '%s' failed; nothing was stored (the text is in '%s')"), editor,
                    path);
        return CS_EXIT_FAILURE;
    }
    char arg[PATH_MAX + 2];
    snprintf(arg, sizeof(arg), "@%s", path);
    ret = fields_read_text(arg, NULL, out, err, sizeof(err));
    if (ret != 0)
        return client_fail("%s", ret == CS_ENOMEM ? cs_strerror(ret) : err);
    drop_comments(*out);
got:
    trim_end(*out);
    /* Blank lines before the text are the template's, not the minutes'. */
    size_t lead = strspn(*out, "\r\n");
    memmove(*out, *out + lead, strlen(*out + lead) + 1);
    if ((*out)[0] == 0) {
        free(*out);
        *out = NULL;
    }
    return 0;
}

/* Runs a prepared query through cs_out_json() or cs_out_table(), and finalizes it. */
static int
print_query(sqlite3_stmt *st, int json, const char *const *headers)
{
    char err[512];
    int ret = json ? cs_out_json(stdout, st, err, sizeof(err))
                   : cs_out_table(stdout, st, headers, err, sizeof(err));
    sqlite3_finalize(st);
    if (ret != 0)
        return client_fail("%s", err);
    return CS_EXIT_OK;
}

static int
prepare(struct client *c, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) != SQLITE_OK)
        return client_fail("%s", sqlite3_errmsg(c->db));
    return 0;
}

/* ---- add ---- */

static int
meeting_add(struct client *c, const struct verb_args *a)
{
    enum { F_DATE, F_KIND, F_AGENDA, F_MINUTES, F_RESOLUTIONS, NTEXT = 3 };
    static const char *const cols[] = {"held_on", "kind", "agenda", "minutes", "resolutions"};
    const char *fv[64], *texts[NTEXT], *labels[NTEXT];
    char *owned[NTEXT] = {NULL}, *edited = NULL, tmp[PATH_MAX] = "", err[512] = "";
    const char *missing;
    bool asked = false;
    size_t idx[5];
    struct cs_id id;
    int ret;

    for (size_t i = 0; i < 5; i++)
        idx[i] = (size_t)(entity_field(&ent_meeting, cols[i]) - ent_meeting.fields);
    memcpy(fv, a->fv, ent_meeting.nfields * sizeof(*fv));
    if ((ret = meetings_check(c, fv, 1, &missing, err, sizeof(err))) != 0)
        return missing != NULL ? client_usage(_("meeting add: '--date' is required"))
                               : client_fail("%s", err);
    for (size_t i = 0; i < NTEXT; i++) {
        texts[i] = fv[idx[F_AGENDA + i]];
        labels[i] = ent_meeting.fields[idx[F_AGENDA + i]].label;
    }
    if ((ret = read_texts(texts, labels, owned, NTEXT, "meeting add")) != 0)
        goto out;
    for (size_t i = 0; i < NTEXT; i++)
        if (owned[i] != NULL)
            fv[idx[F_AGENDA + i]] = owned[i];
    /* Never wait on a pipe or file: only a person at a terminal gets the editor. */
    if (fv[idx[F_MINUTES]] == NULL && isatty(STDIN_FILENO)) {
        if ((ret = edit_text(tmp, sizeof(tmp), &edited)) != 0)
            goto out;
        fv[idx[F_MINUTES]] = edited;
        asked = true;
    }

    cs_id_new(&id);
    if ((ret = meetings_write(c, &id, &(struct meeting_rec){.fv = fv}, NULL, err, sizeof(err))) !=
        0) {
        client_fail("%s", err);
        if (tmp[0] != 0)
            client_fail(_("the minutes you wrote are kept in '%s'"), tmp);
        ret = CS_EXIT_FAILURE;
        goto out;
    }
    if (tmp[0] != 0)
        unlink(tmp);
    char shrt[CS_ID_SHORT_LEN + 1];
    cs_id_short(&id, shrt);
    printf(_("added meeting %s\n"), shrt);
    if (asked && edited == NULL)
        printf(_("no minutes were written, so the meeting has none; to add them: cellsync "
                 "meeting edit %s --minutes -\n"),
               shrt);
    ret = CS_EXIT_OK;
out:
    free(edited);
    free_texts(owned, NTEXT);
    return ret;
}

/* ---- list and show ---- */

static int
meeting_list(struct client *c, const struct verb_args *a)
{
    static const char *const headers[] = {N_("id"),      N_("date"),        N_("kind"),
                                          N_("present"), N_("assessments"), N_("agenda")};
    static const char sql_plain[] =
        "SELECT short_id(m.id), m.held_on, label('meeting_kind', m.kind), " MEETING_COUNTS ","
        " substr(replace(replace(coalesce(m.agenda, ''), char(13), ''), char(10), ' '), 1, "
        "40)" MEETING_LIST_FROM;
    static const char sql_json[] =
        "SELECT json_group_array(json_object('id', uuid(id), 'short_id', short_id(id),"
        " 'held_on', held_on, 'kind', kind, 'present', present, 'assessments', assessed,"
        " 'agenda', agenda))"
        "  FROM (SELECT m.id, m.held_on, m.kind, m.agenda, " MEETING_COUNTS MEETING_LIST_FROM ")";
    int json = a->ov[LIST_JSON] != NULL;
    sqlite3_stmt *st;

    if (a->ov[LIST_DELETED] != NULL)
        return client_list_deleted(c, "meeting", json);
    if (prepare(c, json ? sql_json : sql_plain, &st) != 0)
        return CS_EXIT_FAILURE;
    return print_query(st, json, headers);
}

static int
meeting_show_json(struct client *c, const struct cs_id *id)
{
    /* The keys of the meeting itself are records_show()'s: the column names. */
    static const char sql[] =
        "SELECT json_object('id', uuid(m.id), 'held_on', m.held_on, 'kind', m.kind,"
        " 'org_unit', m.org_unit, 'agenda', m.agenda, 'minutes', m.minutes,"
        " 'resolutions', m.resolutions,"
        " 'attendance', (SELECT json_group_array(json_object('member', uuid(x.member),"
        "     'full_name', x.full_name,"
        "     'present', CASE WHEN x.present THEN json('true') ELSE json('false') END,"
        "     'reason', x.reason))"
        "   FROM (SELECT a.member, p.full_name, a.present, a.reason FROM attendance a"
        "           LEFT JOIN member p ON p.id = a.member"
        "          WHERE a.meeting = m.id AND a.cl % 2 = 1"
        "          ORDER BY p.full_name COLLATE vi_name, a.id) "
        "x),"
        " 'assessments', (SELECT json_group_array(json_object('id', uuid(y.id),"
        "     'candidate', uuid(y.candidate), 'full_name', y.full_name,"
        "     'strengths', y.strengths, 'weaknesses', y.weaknesses,"
        "     'next_steps', y.next_steps))"
        "   FROM (SELECT s.id, s.candidate, k.full_name, s.strengths, s.weaknesses,"
        "                s.next_steps FROM assessment s LEFT JOIN candidate k ON k.id = s.candidate"
        "          WHERE s.meeting = m.id AND s.cl % 2 = 1"
        "          ORDER BY k.full_name COLLATE vi_name, s.id) "
        "y))"
        "  FROM meeting m WHERE m.id = ?1";
    sqlite3_stmt *st;

    if (prepare(c, sql, &st) != 0)
        return CS_EXIT_FAILURE;
    sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
    return print_query(st, 1, NULL);
}

static int
meeting_show(struct client *c, const struct verb_args *a)
{
    static const char *const att_headers[] = {N_("member"), N_("attendance"), N_("reason")};
    static const char *const ass_headers[] = {N_("candidate"), N_("strengths"), N_("weaknesses"),
                                              N_("next steps"), N_("id")};
    /* One line per row in a table: newlines inside a text become spaces. */
#define LINE(x) "replace(replace(" x ", char(13), ''), char(10), ' ')"
    static const char att_sql[] = MEETING_ATTENDANCE_SQL(LINE);
    static const char ass_sql[] = MEETING_ASSESSMENTS_SQL(LINE);
#undef LINE
    struct cs_id id;
    char err[256];
    sqlite3_stmt *st;
    int ret;

    ret = records_find(c, "meeting", a->argv[0], &id, err, sizeof(err));
    if (ret == CS_ENOTFOUND || ret == CS_EINVAL)
        return client_show_deleted(c, "meeting", &ent_meeting, a->argv[0], a->ov[OPT_JSON] != NULL,
                                   err);
    if (ret != 0)
        return client_fail("%s", err);
    if (a->ov[OPT_JSON] != NULL)
        return meeting_show_json(c, &id);
    if ((ret = records_show(c, &ent_meeting, &id, 0)) != 0)
        return ret;
    printf("\n%s\n", _("attendance:"));
    if (prepare(c, att_sql, &st) != 0)
        return CS_EXIT_FAILURE;
    sqlite3_bind_blob(st, 1, id.b, CS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, _("present"), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, _("absent"), -1, SQLITE_STATIC);
    if ((ret = print_query(st, 0, att_headers)) != 0)
        return ret;
    printf("\n%s\n", _("assessments:"));
    if (prepare(c, ass_sql, &st) != 0)
        return CS_EXIT_FAILURE;
    sqlite3_bind_blob(st, 1, id.b, CS_ID_LEN, SQLITE_STATIC);
    return print_query(st, 0, ass_headers);
}

/* ---- assess and attend ---- */

static int
meeting_assess(struct client *c, const struct verb_args *a)
{
    char *texts[ASSESS__COUNT] = {NULL}, err[512] = "", name[256];
    struct cs_id meeting, candidate, id;
    int ret;

    if (a->ov[ASSESS_STRENGTHS] == NULL && a->ov[ASSESS_WEAKNESSES] == NULL &&
        a->ov[ASSESS_NEXT_STEPS] == NULL)
        return client_usage(_("meeting assess: give '--strengths', '--weaknesses' or "
                              "'--next-steps' (see 'cellsync meeting assess --help')"));
    if (records_find(c, "meeting", a->argv[0], &meeting, err, sizeof(err)) != 0 ||
        records_find(c, "candidate", a->argv[1], &candidate, err, sizeof(err)) != 0)
        return client_fail("%s", err);
    if ((ret = read_texts(a->ov, assess_labels, texts, ASSESS__COUNT, "meeting assess")) != 0)
        goto out;

    struct meeting_rec m = {.candidate = &candidate, .assess = (const char *const *)texts};
    if ((ret = meetings_write(c, &meeting, &m, &id, err, sizeof(err))) != 0) {
        ret = client_fail("%s", err);
        goto out;
    }
    records_text(c, "candidate", &candidate, "full_name", name, sizeof(name));
    char shrt[CS_ID_SHORT_LEN + 1];
    cs_id_short(&id, shrt);
    printf(_("added assessment %s of '%s'\n"), shrt, name);
    ret = CS_EXIT_OK;
out:
    free_texts(texts, ASSESS__COUNT);
    return ret;
}

/* What `meeting attend` was told, in the order it was typed. */
struct attend_args {
    const char *meeting;
    size_t n; /* members named */
    struct {  /* for each member named */
        const char *text;
        int group; /* index in groups; -1: named before any --present or --absent */
    } * names;
    size_t ngroups; /* --present and --absent, in order */
    struct {
        bool present;
        const char *reason;
    } * groups;
    bool all;
};

/* Reads the options and operands in the order typed (a->typed). 0 or an exit code. */
static int
attend_parse(const struct verb_args *a, struct attend_args *x)
{
    struct option lo[ATT__COUNT + 1];
    const char *early_reason = NULL;
    int ch, cur = -1;

    memset(x, 0, sizeof(*x));
    x->names = calloc((size_t)a->ntyped, sizeof(*x->names));
    x->groups = calloc((size_t)a->ntyped, sizeof(*x->groups));
    if (x->names == NULL || x->groups == NULL)
        return client_fail("%s", cs_strerror(CS_ENOMEM));
    for (size_t i = 0; i < ATT__COUNT; i++)
        lo[i] = (struct option){attend_opts[i].name,
                                attend_opts[i].has_arg ? required_argument : no_argument, NULL,
                                0x100 + (int)i};
    lo[ATT__COUNT] = (struct option){NULL, 0, NULL, 0};
    /*
     * run_verb() has checked the options; this reads them again with "-",
     * which returns operands in place (as 1) instead of moving them to the
     * end. optind 0 makes glibc start over with that optstring.
     */
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(a->ntyped, a->typed, "-", lo, NULL)) != -1 || optind < a->ntyped) {
        const char *operand = ch == 1 ? optarg : ch == -1 ? a->typed[optind++] : NULL;
        if (operand != NULL && x->meeting == NULL) {
            x->meeting = operand;
        } else if (operand != NULL) {
            x->names[x->n].text = operand;
            x->names[x->n++].group = cur;
        } else if (ch == 0x100 + ATT_PRESENT || ch == 0x100 + ATT_ABSENT) {
            cur = (int)x->ngroups++;
            x->groups[cur].present = ch == 0x100 + ATT_PRESENT;
            x->groups[cur].reason = cur == 0 ? early_reason : NULL;
        } else if (ch == 0x100 + ATT_ALL) {
            x->all = true;
        } else if (ch == 0x100 + ATT_REASON) {
            const char **r = cur < 0 ? &early_reason : &x->groups[cur].reason;
            if (*r != NULL)
                return client_usage(_("meeting attend: one '--reason' for each '--absent'"));
            *r = optarg;
        }
    }
    /* Members named before the first --present or --absent take it. */
    for (size_t i = 0; i < x->n; i++) {
        if (x->names[i].group < 0 && x->ngroups == 0)
            return client_usage(_("meeting attend: give either '--present' or '--absent'"));
        if (x->names[i].group < 0)
            x->names[i].group = 0;
    }
    if (x->n == 0 && !x->all)
        return client_usage(_("meeting attend: missing MEMBER: name the members, or give "
                              "'--all-present' (see 'cellsync meeting attend --help')"));
    if (x->ngroups == 0 && !x->all)
        return client_usage(_("meeting attend: give either '--present' or '--absent'"));
    if (x->ngroups == 0 && early_reason != NULL)
        return client_usage(_("meeting attend: '--reason' goes with '--absent'"));
    for (size_t g = 0; g < x->ngroups; g++)
        if (x->groups[g].present && x->groups[g].reason != NULL)
            return client_usage(_("meeting attend: '--reason' goes with '--absent'"));
    return 0;
}

static int
meeting_attend(struct client *c, const struct verb_args *a)
{
    struct attend_args x;
    struct cs_attend *rows = NULL;
    struct cs_id meeting, *expected = NULL;
    bool *named = NULL;
    size_t nrows = 0, nexpected = 0;
    char err[512] = "", name[256], date[CS_DATE_BUFSZ];
    int ret;

    if ((ret = attend_parse(a, &x)) != 0)
        goto out;
    ret = CS_EXIT_FAILURE;
    if (records_find(c, "meeting", x.meeting, &meeting, err, sizeof(err)) != 0) {
        client_fail("%s", err);
        goto out;
    }
    if (x.all) {
        if (cs_attend_expected(c->db, &meeting, &expected, &nexpected, err, sizeof(err)) != 0) {
            client_fail("%s", err);
            goto out;
        }
        if (nexpected == 0) {
            client_fail(_("meeting attend: the meeting's cell has no members to mark present; "
                          "name them after '--present'"));
            goto out;
        }
    }
    /* Everyone the meeting expects in roll order, then the others named; nothing is written
     * until every name is found. */
    rows = calloc(nexpected + x.n, sizeof(*rows));
    named = calloc(nexpected + x.n, sizeof(*named));
    if (rows == NULL || named == NULL) {
        client_fail("%s", cs_strerror(CS_ENOMEM));
        goto out;
    }
    for (; nrows < nexpected; nrows++)
        rows[nrows] = (struct cs_attend){.member = expected[nrows], .present = true};
    for (size_t i = 0; i < x.n; i++) {
        struct cs_id id;
        size_t k = 0;
        if (records_find(c, "member", x.names[i].text, &id, err, sizeof(err)) != 0) {
            client_fail("%s", err);
            goto out;
        }
        while (k < nrows && cs_id_cmp(&rows[k].member, &id) != 0)
            k++;
        if (named[k]) {
            ret = client_usage(_("meeting attend: '%s' is named twice"), x.names[i].text);
            goto out;
        }
        named[k] = true;
        rows[k].member = id;
        rows[k].present = x.groups[x.names[i].group].present;
        rows[k].reason = x.groups[x.names[i].group].reason;
        nrows += k == nrows;
    }
    if (cs_attend_record(c->rep, &meeting, rows, nrows, err, sizeof(err)) != 0) {
        client_fail("%s", err);
        goto out;
    }
    records_text(c, "meeting", &meeting, "held_on", date, sizeof(date));
    cs_date_text_vi(date, date, sizeof(date));
    for (size_t k = 0; k < nrows; k++) {
        records_text(c, "member", &rows[k].member, "full_name", name, sizeof(name));
        if (rows[k].present)
            printf(_("recorded '%s' as present at the meeting of %s\n"), name, date);
        else
            printf(_("recorded '%s' as absent from the meeting of %s\n"), name, date);
    }
    ret = CS_EXIT_OK;
out:
    free(x.names);
    free(x.groups);
    free(expected);
    free(rows);
    free(named);
    return ret;
}

/* ---- corrections ---- */

static int
meeting_edit(struct client *c, const struct verb_args *a)
{
    enum { NTEXT = 3 };
    static const char *const text_cols[NTEXT] = {"agenda", "minutes", "resolutions"};
    const char *fv[64], *texts[NTEXT], *labels[NTEXT];
    char *owned[NTEXT] = {NULL}, err[512] = "", shrt[CS_ID_SHORT_LEN + 1];
    const char *missing;
    size_t idx[NTEXT], given = 0;
    struct cs_id id;
    int ret;

    for (size_t i = 0; i < ent_meeting.nfields; i++)
        given += a->fv[i] != NULL;
    if (given == 0)
        return client_usage(_("meeting edit: give at least one field to change (see 'cellsync "
                              "meeting edit --help')"));
    memcpy(fv, a->fv, ent_meeting.nfields * sizeof(*fv));
    if ((ret = meetings_check(c, fv, 0, &missing, err, sizeof(err))) != 0)
        return missing != NULL ? client_usage(_("meeting edit: '--date' cannot be empty"))
                               : client_fail("%s", err);
    if (records_find(c, "meeting", a->argv[0], &id, err, sizeof(err)) != 0)
        return client_fail("%s", err);
    for (size_t i = 0; i < NTEXT; i++) {
        idx[i] = (size_t)(entity_field(&ent_meeting, text_cols[i]) - ent_meeting.fields);
        texts[i] = fv[idx[i]];
        labels[i] = ent_meeting.fields[idx[i]].label;
    }
    if ((ret = read_texts(texts, labels, owned, NTEXT, "meeting edit")) != 0)
        goto out;
    for (size_t i = 0; i < NTEXT; i++)
        if (owned[i] != NULL)
            fv[idx[i]] = owned[i];
    if ((ret = meetings_write(c, &id, &(struct meeting_rec){.fv = fv}, NULL, err, sizeof(err))) !=
        0) {
        ret = client_fail("%s", err);
        goto out;
    }
    cs_id_short(&id, shrt);
    printf(_("changed meeting %s\n"), shrt);
    ret = CS_EXIT_OK;
out:
    free_texts(owned, NTEXT);
    return ret;
}

static int
meeting_delete(struct client *c, const struct verb_args *a)
{
    return client_delete(c, "meeting", "meeting", a->argv[0]);
}

static int
meeting_undelete(struct client *c, const struct verb_args *a)
{
    return client_undelete(c, "meeting", "meeting", a->argv[0]);
}

/* An attendance is named by its meeting and member; recording it again brings it back. */
static int
meeting_delete_attendance(struct client *c, const struct verb_args *a)
{
    struct cs_id meeting, member, id;
    char err[512] = "", name[256], date[CS_DATE_BUFSZ];
    bool found;
    int ret;

    if (records_find(c, "meeting", a->argv[0], &meeting, err, sizeof(err)) != 0 ||
        records_find(c, "member", a->argv[1], &member, err, sizeof(err)) != 0)
        return client_fail("%s", err);
    records_text(c, "member", &member, "full_name", name, sizeof(name));
    records_text(c, "meeting", &meeting, "held_on", date, sizeof(date));
    if ((ret = cs_attend_find(c->db, &meeting, &member, &id, &found)) != 0)
        return client_fail("%s", sqlite3_errmsg(c->db));
    if (!found)
        return client_fail(_("no attendance of '%s' is recorded at the meeting of %s"), name,
                           cs_date_text_vi(date, date, sizeof(date)));
    if ((ret = cs_record_delete(c->rep, "attendance", &id, err, sizeof(err))) != 0)
        return client_fail("%s", err[0] ? err : cs_strerror(ret));
    printf(_("deleted the attendance of '%s' at the meeting of %s\n"), name,
           cs_date_text_vi(date, date, sizeof(date)));
    printf(_("to record it again: cellsync meeting attend %s %s --present (or --absent)\n"),
           a->argv[0], a->argv[1]);
    return CS_EXIT_OK;
}

static int
meeting_delete_assessment(struct client *c, const struct verb_args *a)
{
    char err[512] = "", shrt[CS_ID_SHORT_LEN + 1];
    struct cs_id id;
    int ret;

    if ((ret = records_find(c, "assessment", a->argv[0], &id, err, sizeof(err))) != 0 ||
        (ret = cs_record_delete(c->rep, "assessment", &id, err, sizeof(err))) != 0)
        return client_fail("%s", err[0] ? err : cs_strerror(ret));
    cs_id_short(&id, shrt);
    printf(_("deleted assessment %s\n"), shrt);
    printf(_("to undo it: cellsync meeting undelete-assessment %s\n"), shrt);
    return CS_EXIT_OK;
}

static int
meeting_undelete_assessment(struct client *c, const struct verb_args *a)
{
    return client_undelete(c, "meeting", "assessment", a->argv[0]);
}

static const struct verb verbs[] = {
    {"add", meeting_add, &ent_meeting, NULL, 0, "", 0, 0,
     N_("record a meeting (--date is required; --agenda, --minutes and --resolutions take "
        "\"-\" for standard input or @FILE)")},
    {"list", meeting_list, NULL, list_opts, LIST__COUNT, "", 0, 0,
     N_("list the meetings, newest first")},
    {"show", meeting_show, NULL, json_opts, OPT__COUNT, "ID", 1, 1,
     N_("show a meeting with its attendance and assessments")},
    {"assess", meeting_assess, NULL, assess_opts, ASSESS__COUNT, "MEETING CANDIDATE", 2, 2,
     N_("record what a meeting said about a candidate")},
    {"attend", meeting_attend, NULL, attend_opts, ATT__COUNT, "MEETING MEMBER...", 1, INT_MAX,
     N_("record who came to a meeting and who did not: --present A B --absent C --reason TEXT, "
        "or --all-present --absent C")},
    {"edit", meeting_edit, &ent_meeting, NULL, 0, "ID", 1, 1,
     N_("change the given fields of a meeting (\"-\" reads standard input, @FILE a file)")},
    {"delete", meeting_delete, NULL, NULL, 0, "ID", 1, 1,
     N_("delete a meeting entered by mistake (kept for review, can be undeleted)")},
    {"undelete", meeting_undelete, NULL, NULL, 0, "ID", 1, 1, N_("restore a deleted meeting")},
    {"delete-attendance", meeting_delete_attendance, NULL, NULL, 0, "MEETING MEMBER", 2, 2,
     N_("remove an attendance recorded by mistake")},
    {"delete-assessment", meeting_delete_assessment, NULL, NULL, 0, "ASSESSMENT", 1, 1,
     N_("remove an assessment recorded by mistake (its id is in 'meeting show')")},
    {"undelete-assessment", meeting_undelete_assessment, NULL, NULL, 0, "ASSESSMENT", 1, 1,
     N_("restore a deleted assessment")},
};

int
cmd_meeting(int argc, char **argv)
{
    return run_verbs("meeting", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
