/* SPDX-License-Identifier: MIT */
/*
 * `cellsync import members|candidates FILE [--check] [--skip-bad]
 * [--duplicate-ok] [--force --reason TEXT]`: the records a cell kept on
 * paper or in spreadsheets, entered in one go. The library reads the file
 * (cellsync/sheet.h) and tells the columns from their headings
 * (cellsync/import.h); each row then goes through import_row(), which
 * checks every cell the way `add` does and writes the record with
 * fields_write(), and a candidate's past steps with cs_candidate_record()
 * as `candidate add` does, so an imported record meets the same checks as
 * a typed one.
 *
 * Every row is first tried alone in a transaction that is rolled back, so
 * that every row's problems are listed, by row number and column as the
 * spreadsheet shows them. --check stops there. Otherwise all the good rows
 * are written in one transaction: with a bad row nothing is written, unless
 * --skip-bad, which writes the good ones and lists the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/candidate.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/import.h"
#include "cellsync/meta.h"
#include "cellsync/schema.h"
#include "cellsync/sheet.h"
#include "client.h"

/* The members' options are the first OPT_MEMBERS; a candidate's steps take the rest too. */
enum {
    OPT_CHECK,
    OPT_SKIP_BAD,
    OPT_DUPLICATE_OK,
    OPT_MEMBERS,
    OPT_FORCE = OPT_MEMBERS,
    OPT_REASON,
    OPT__COUNT
};
static const struct cs_cli_opt opts[OPT__COUNT] = {
    [OPT_CHECK] = {"check", 0, N_("check every row and list the problems; write nothing")},
    [OPT_SKIP_BAD] = {"skip-bad", 0, N_("write the good rows and list the others")},
    [OPT_DUPLICATE_OK] = {"duplicate-ok", 0,
                          N_("write a person even if someone with the same name and date of birth "
                             "is in the cell")},
    [OPT_FORCE] = {"force", 0,
                   N_("record an exception for each rule a row's past steps break, instead of "
                      "refusing the row")},
    [OPT_REASON] = {"reason", 1, N_("why the exceptions are made (needed with --force)")},
};

/* What a column of the sheet holds. */
enum col_kind {
    COL_FIELD,   /* a field: fields[j] */
    COL_IGNORED, /* the row number ("STT") */
    COL_NONE,    /* no heading: it must stay empty */
};

struct import {
    const struct entity *e;
    enum col_kind kind[CS_SHEET_MAX_COLS];
    /* The field of column j; fix[j] >= 0 when it is e's field of that index. */
    struct field fields[CS_SHEET_MAX_COLS];
    int fix[CS_SHEET_MAX_COLS];
    size_t ncols;
    char role[16];
    const char *force_reason; /* --force --reason: rules a step breaks become exceptions */
    FILE *out;                /* where problems are listed */
    const char *prefix;
    int tell_exceptions; /* list the exceptions a row records (the pass that is shown) */
    unsigned row;        /* the row being written, for the exceptions listed */
};

/* One problem of a row: "row 5, column C: ...". */
static void
problem(const struct import *im, unsigned row, int col, const char *msg)
{
    char colname[8];
    fputs(im->prefix, im->out);
    if (col < 0) {
        fprintf(im->out, _("row %u: %s\n"), row, msg);
        return;
    }
    cs_sheet_column_name((size_t)col, colname);
    fprintf(im->out, _("row %u, column %s: %s\n"), row, colname, msg);
}

static enum field_type
field_type_of(enum cs_schema_type t)
{
    switch (t) {
    case CS_SCHEMA_DATE:
        return FT_DATE;
    case CS_SCHEMA_CODE:
        return FT_CODE;
    case CS_SCHEMA_REF:
        return FT_REF;
    case CS_SCHEMA_INT:
        return FT_INT;
    case CS_SCHEMA_TEXT:
        break;
    }
    return FT_TEXT;
}

/* The column of a sheet holding a given field, or -1. */
static int
column_of(const struct import *im, const char *column)
{
    for (size_t j = 0; j < im->ncols; j++)
        if (im->kind[j] == COL_FIELD && strcmp(im->fields[j].column, column) == 0)
            return (int)j;
    return -1;
}

/* Sets up im from the header row. */
static int
import_init(struct import *im, struct client *c, const struct entity *e, const char *const *head,
            size_t n, char *err, size_t errlen)
{
    const struct cs_schema_column *map[CS_SHEET_MAX_COLS];
    int ret;

    im->e = e;
    im->ncols = n;
    if ((ret = cs_import_header(e->table, head, n, map, err, errlen)) != 0)
        return ret;
    for (size_t j = 0; j < n; j++) {
        im->fix[j] = -1;
        if (map[j] == NULL) {
            im->kind[j] = head[j][0] != 0 ? COL_IGNORED : COL_NONE;
            continue;
        }
        im->kind[j] = COL_FIELD;
        const struct field *f = entity_field(e, map[j]->name);
        if (f != NULL) {
            im->fields[j] = *f;
            im->fix[j] = (int)(f - e->fields);
        } else {
            im->fields[j] = (struct field){map[j]->option, map[j]->name,
                                           field_type_of(map[j]->type), map[j]->arg, map[j]->label};
        }
    }
    if (column_of(im, "full_name") < 0)
        return cs_errf(err, errlen, CS_EINVAL,
                       _("no column holds the full name: give one the heading \"%s\""),
                       _("full name"));
    if (cs_replica_meta_get(c->rep, CS_META_ROLE, im->role, sizeof(im->role)) != 0)
        im->role[0] = 0;
    return 0;
}

/* A checked value of a column that is not one of `add`'s fields. */
struct extra {
    struct field_buf buf;
    struct cs_value v;
    int32_t day; /* dates */
};

/* An exception a row's step records: listed under the row. */
static void
print_exception(void *ud, const char *message)
{
    const struct import *im = ud;
    char msg[1024];
    if (!im->tell_exceptions)
        return;
    snprintf(msg, sizeof(msg),
             im->tell_exceptions == 2 ? _("an exception would be recorded: %s")
                                      : _("exception recorded: %s"),
             message);
    problem(im, im->row, -1, msg);
}

/*
 * A candidate's past steps, from the columns of its step dates, helper,
 * sponsors and youth union resolution, recorded by cs_candidate_record()
 * as `candidate add` records them: the same rules, exceptions and
 * messages. Marks the columns it takes in used. 0, a refusal listed as
 * the row's problem (1), or a negative code for a failure not the row's.
 */
static int
record_steps(struct client *c, struct import *im, unsigned row, const struct cs_id *id,
             const struct extra *x, unsigned char *used)
{
    static const char *const brought[] = {"helper", "sponsor1", "sponsor2",
                                          "youth_union_resolution_on"};
    int32_t on[CS_STAGE__COUNT];
    int bcol[4];
    struct cs_step brings, steps[CS_STAGE__COUNT];
    size_t failed = 0;
    char err[1024] = "", msg[1280];
    int ret;

    for (int s = 0; s < CS_STAGE__COUNT; s++) {
        int j = column_of(im, cs_candidate_stage_column((enum cs_stage)s));
        on[s] = j >= 0 && x[j].v.type != CS_VNIL ? x[j].day : CS_DATE_NONE;
        if (j >= 0)
            used[j] = 1;
    }
    for (size_t b = 0; b < 4; b++)
        if ((bcol[b] = column_of(im, brought[b])) >= 0)
            used[bcol[b]] = 1;
#define GIVEN(b) (bcol[b] >= 0 && x[bcol[b]].v.type != CS_VNIL)
    cs_step_init(&brings);
    brings.helper = GIVEN(0) ? &x[bcol[0]].buf.ref : NULL;
    brings.sponsor[0] = GIVEN(1) ? &x[bcol[1]].buf.ref : NULL;
    brings.sponsor[1] = GIVEN(2) ? &x[bcol[2]].buf.ref : NULL;
    brings.youth_union_resolution = GIVEN(3) ? x[bcol[3]].day : CS_DATE_NONE;
#undef GIVEN
    size_t n = cs_candidate_paper_steps(on, -1, &brings, steps);
    struct cs_casework k = {.today = c->today,
                            .hol = c->hol,
                            .role = im->role,
                            .force_reason = im->force_reason,
                            .excepted = print_exception,
                            .ud = im};
    im->row = row;
    if ((ret = cs_candidate_record(c->rep, id, steps, n, &k, &failed, err, sizeof(err))) == 0)
        return 0;
    if (ret == CS_ENOMEM || ret == CS_ESQLITE || ret == CS_EFULL || ret == CS_EBUSY ||
        ret == CS_EREADONLY || ret == CS_ECORRUPT)
        return ret;
    /* The column of the input refused, else of the step's date; named by its label either way. */
    const char *field = steps[failed].field != NULL
                            ? steps[failed].field
                            : cs_candidate_stage_column((enum cs_stage)failed);
    const struct cs_schema_column *sc = cs_schema_column("candidate", field);
    if (ret == CS_ERULE && im->force_reason == NULL)
        snprintf(msg, sizeof(msg),
                 _("%s: %s (to enter it as it was, import again with --force and a --reason: "
                   "an exception is recorded)"),
                 sc != NULL ? _(sc->label) : field, err);
    else
        snprintf(msg, sizeof(msg), "%s: %s", sc != NULL ? _(sc->label) : field, err);
    problem(im, row, column_of(im, field), msg);
    return 1;
}

/*
 * One row as a record, checked as `member add` and `candidate add` check
 * what is typed: every cell is checked and every problem listed. A row
 * without problems is written in the open transaction (the caller commits
 * or rolls back): the fields through fields_write() (the unit by its rule,
 * the likely second record of a person refused), then a candidate's past
 * steps through cs_candidate_record(), as `candidate add` writes them.
 * Returns the number of problems, or a negative code for a failure that is
 * not the row's.
 */
static int
import_row(struct client *c, struct import *im, unsigned row, const char *const *cells, size_t n)
{
    const struct entity *e = im->e;
    const char *fv[CS_CLI_OPT_MAX] = {0};
    struct extra *x = calloc(im->ncols ? im->ncols : 1, sizeof(*x));
    unsigned char used[CS_SHEET_MAX_COLS] = {0};
    int problems = 0, ret = 0, cand = strcmp(e->table, "candidate") == 0;
    char err[1024];

    if (x == NULL)
        return CS_ENOMEM;
    for (size_t j = 0; j < n; j++) {
        if (cells[j][0] == 0)
            continue;
        if (j >= im->ncols || im->kind[j] == COL_NONE) {
            problem(im, row, (int)j,
                    _("this cell has no heading: give its column one, or empty "
                      "the cell")),
                problems++;
            continue;
        }
        if (im->kind[j] == COL_IGNORED)
            continue;
        const struct field *f = &im->fields[j];
        err[0] = 0;
        if ((ret = field_value(c, f, cells[j], &x[j].buf, &x[j].v, err, sizeof(err))) != 0) {
            if (ret == CS_ENOMEM || ret == CS_ESQLITE)
                goto out;
            problem(im, row, (int)j, err[0] ? err : cs_strerror(ret)), problems++;
            x[j].v.type = CS_VNIL;
            continue;
        }
        if (f->type == FT_DATE)
            cs_date_parse(x[j].buf.text, &x[j].day, NULL, 0);
        if (im->role[0] != 0 && !cs_schema_column_writable(e->table, f->column, im->role)) {
            snprintf(err, sizeof(err),
                     _("%s: the committee records this; it reaches this device with a sync "
                       "(leave the column out)"),
                     _(f->label));
            problem(im, row, (int)j, err), problems++;
        }
        if (im->fix[j] >= 0)
            fv[im->fix[j]] = cells[j];
    }
    int name = column_of(im, "full_name");
    if (name < 0 || (size_t)name >= n || cells[name][0] == 0) {
        snprintf(err, sizeof(err), _("%s: needed"), _("full name"));
        problem(im, row, name, err), problems++;
    }
    if (problems > 0) {
        ret = problems;
        goto out;
    }

    struct cs_id id;
    cs_id_new(&id);
    err[0] = 0;
    if ((ret = fields_write(c, e, &id, fv, err, sizeof(err))) != 0)
        goto refused;
    if (cand && (ret = record_steps(c, im, row, &id, x, used)) != 0)
        goto out;
    for (size_t j = 0; j < im->ncols; j++)
        if (im->kind[j] == COL_FIELD && im->fix[j] < 0 && !used[j] && x[j].v.type != CS_VNIL &&
            (ret = cs_replica_set(c->rep, e->table, &id, im->fields[j].column, &x[j].v, err,
                                  sizeof(err))) != 0)
            goto refused;
    if (!cand) {
        /* A member counts in the reports by status: one the sheet leaves out follows the dates. */
        int st = column_of(im, "status"), off = column_of(im, "official_on"),
            cer = column_of(im, "ceremony_on"), dec = column_of(im, "decision_on");
        const char *status =
            off >= 0 && x[off].v.type != CS_VNIL ? "official"
            : (cer >= 0 && x[cer].v.type != CS_VNIL) || (dec >= 0 && x[dec].v.type != CS_VNIL)
                ? "probationary"
                : NULL;
        if ((st < 0 || x[st].v.type == CS_VNIL) && status != NULL &&
            (ret = cs_replica_set_text(c->rep, "member", &id, "status", status, err,
                                       sizeof(err))) != 0)
            goto refused;
    }
    ret = 0;
    goto out;
refused:
    if (ret == CS_ENOMEM || ret == CS_ESQLITE || ret == CS_EFULL || ret == CS_EBUSY ||
        ret == CS_EREADONLY || ret == CS_ECORRUPT)
        goto out;
    problem(im, row, -1, err[0] ? err : cs_strerror(ret));
    ret = 1;
out:
    free(x);
    return ret;
}

/* Tries one row in a transaction of its own, rolled back: its number of problems. */
static int
try_row(struct client *c, struct import *im, unsigned row, const char *const *cells, size_t n,
        char *err, size_t errlen)
{
    int ret = cs_replica_begin(c->rep, err, errlen);
    if (ret != 0)
        return ret;
    ret = import_row(c, im, row, cells, n);
    cs_replica_rollback(c->rep);
    return ret;
}

static int
run_import(struct client *c, const struct verb_args *a, const struct entity *e)
{
    const char *path = a->argv[0];
    int check = a->ov[OPT_CHECK] != NULL, skip = a->ov[OPT_SKIP_BAD] != NULL;
    struct cs_sheet *s = NULL;
    struct import im = {.out = check ? stdout : stderr, .prefix = check ? "" : "cellsync: "};
    unsigned char *bad = NULL;
    char err[4096] = "";
    int ret;

    if (check && skip)
        return client_usage(_("import: --check and --skip-bad do not go together"));
    if (e == &ent_candidate && a->ov[OPT_FORCE] != NULL) {
        if (a->ov[OPT_REASON] == NULL || a->ov[OPT_REASON][0] == 0)
            return client_usage(_("import: --force needs a --reason"));
        im.force_reason = a->ov[OPT_REASON];
    }
    c->duplicate_ok = a->ov[OPT_DUPLICATE_OK] != NULL;
    /* The exceptions rows record are listed once: by --check, or as the rows are written. */
    im.tell_exceptions = check ? 2 : 0;
    if ((ret = cs_sheet_open(path, &s, err, sizeof(err))) != 0)
        return client_fail("%s", err[0] ? err : cs_strerror(ret));
    size_t nrows = cs_sheet_nrows(s);
    unsigned number;
    const char *const *cells;
    size_t n = cs_sheet_row(s, 0, &number, &cells);
    if ((ret = import_init(&im, c, e, cells, n, err, sizeof(err))) != 0) {
        ret = client_fail(_("'%s' row %u: %s"), path, number, err);
        goto out;
    }
    if (nrows < 2) {
        ret = client_fail(_("'%s' has no rows under its header row"), path);
        goto out;
    }
    if ((bad = calloc(nrows, 1)) == NULL) {
        ret = client_fail("%s", cs_strerror(CS_ENOMEM));
        goto out;
    }

    /* Every row alone first, so that every row's problems are listed. */
    unsigned total = (unsigned)(nrows - 1), nbad = 0;
    for (size_t i = 1; i < nrows; i++) {
        n = cs_sheet_row(s, i, &number, &cells);
        err[0] = 0;
        if ((ret = try_row(c, &im, number, cells, n, err, sizeof(err))) < 0) {
            ret = client_fail("%s", err[0] ? err : cs_strerror(ret));
            goto out;
        }
        if (ret > 0)
            bad[i] = 1, nbad++;
    }
    if (check) {
        printf(_("'%s': rows checked: %u, good: %u, with problems: %u; nothing was written\n"),
               path, total, total - nbad, nbad);
        ret = nbad > 0 ? CS_EXIT_FAILURE : CS_EXIT_OK;
        goto out;
    }

    /*
     * The good rows in one transaction. A row may still fail beside the
     * others (a check across records): then it is bad too, and the
     * transaction starts again without it.
     */
    for (;;) {
        if (nbad > 0 && !skip) {
            ret = client_fail(_("nothing was imported: %u of %u rows have problems (correct them "
                                "and import the file again, or use --skip-bad to import the "
                                "other rows)"),
                              nbad, total);
            goto out;
        }
        if ((ret = cs_replica_begin(c->rep, err, sizeof(err))) != 0) {
            ret = client_fail("%s", err[0] ? err : cs_strerror(ret));
            goto out;
        }
        int again = 0;
        im.tell_exceptions = 1;
        for (size_t i = 1; i < nrows && !again; i++) {
            if (bad[i])
                continue;
            n = cs_sheet_row(s, i, &number, &cells);
            if ((ret = import_row(c, &im, number, cells, n)) < 0) {
                cs_replica_rollback(c->rep);
                ret = client_fail(_("cannot import '%s': %s"), path, cs_strerror(ret));
                goto out;
            }
            if (ret > 0) {
                bad[i] = 1, nbad++;
                again = 1;
            }
        }
        if (again) {
            cs_replica_rollback(c->rep);
            continue;
        }
        if ((ret = cs_replica_commit(c->rep, err, sizeof(err))) != 0) {
            cs_replica_rollback(c->rep);
            ret = client_fail("%s", err[0] ? err : cs_strerror(ret));
            goto out;
        }
        break;
    }
    printf(_("'%s': rows added: %u, refused: %u\n"), path, total - nbad, nbad);
    ret = nbad > 0 ? CS_EXIT_FAILURE : CS_EXIT_OK;
out:
    free(bad);
    cs_sheet_free(s);
    return ret;
}

static int
import_members(struct client *c, const struct verb_args *a)
{
    return run_import(c, a, &ent_member);
}

static int
import_candidates(struct client *c, const struct verb_args *a)
{
    return run_import(c, a, &ent_candidate);
}

static const struct verb verbs[] = {
    {"members", import_members, NULL, opts, OPT_MEMBERS, "FILE", 1, 1,
     N_("add the members in a spreadsheet (CSV, UTF-16 text or .xlsx)")},
    {"candidates", import_candidates, NULL, opts, OPT__COUNT, "FILE", 1, 1,
     N_("add the candidates in a spreadsheet, with the dates of their past steps")},
};

int
cmd_import(int argc, char **argv)
{
    return run_verbs("import", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
