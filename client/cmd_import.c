/* SPDX-License-Identifier: MIT */
/*
 * `cellsync import members|candidates FILE [--check] [--skip-bad]`: the
 * records a cell kept on paper or in spreadsheets, entered in one go. The
 * library reads the file (cellsync/sheet.h) and tells the columns from
 * their headings (cellsync/import.h); each row then goes through
 * import_row(), which checks every cell the way `add` does and writes the
 * record with fields_write(), so an imported record meets the same checks
 * as a typed one.
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

enum { OPT_CHECK, OPT_SKIP_BAD, OPT__COUNT };
static const struct cs_cli_opt opts[OPT__COUNT] = {
    [OPT_CHECK] = {"check", 0, N_("check every row and list the problems; write nothing")},
    [OPT_SKIP_BAD] = {"skip-bad", 0, N_("write the good rows and list the others")},
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
    char role[16], org[64];
    FILE *out; /* where problems are listed */
    const char *prefix;
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
    if (cs_replica_meta_get(c->rep, CS_META_ORG, im->org, sizeof(im->org)) != 0)
        im->org[0] = 0;
    return 0;
}

/* A checked value of a column that is not one of `add`'s fields. */
struct extra {
    struct field_buf buf;
    struct cs_value v;
    int32_t day; /* dates */
};

/*
 * A candidate's steps: each step's date from its column, in the order of
 * the procedure and not after today; the stage reached is the last one
 * with a date. A candidate who had the ceremony is a member.
 * Reports problems; *stage gets the stage reached.
 */
static int
check_steps(struct client *c, const struct import *im, unsigned row, const char *const *cells,
            const struct extra *x, enum cs_stage *stage)
{
    int problems = 0, last_col = -1;
    char msg[512];

    *stage = CS_STAGE_IDENTIFIED;
    for (int s = CS_STAGE_IDENTIFIED; s <= CS_STAGE_OFFICIAL; s++) {
        int j = column_of(im, cs_candidate_stage_column((enum cs_stage)s));
        if (j < 0 || x[j].v.type == CS_VNIL)
            continue;
        const char *label = _(im->fields[j].label);
        if (x[j].day > c->today) {
            snprintf(msg, sizeof(msg), _("%s: '%s' is after today"), label, cells[j]);
            problem(im, row, j, msg), problems++;
        } else if (last_col >= 0 && x[j].day < x[last_col].day) {
            snprintf(msg, sizeof(msg),
                     _("%s: '%s' is before %s '%s' (the steps follow each other in time)"), label,
                     cells[j], _(im->fields[last_col].label), cells[last_col]);
            problem(im, row, j, msg), problems++;
        }
        if (s == CS_STAGE_CEREMONY || s == CS_STAGE_OFFICIAL) {
            snprintf(msg, sizeof(msg),
                     _("%s: a candidate who had the admission ceremony is a party member: "
                       "import this row with 'cellsync import members'"),
                     label);
            problem(im, row, j, msg), problems++;
        }
        last_col = j;
        *stage = (enum cs_stage)s;
    }
    int ident = column_of(im, "identified_on");
    if (*stage != CS_STAGE_IDENTIFIED && (ident < 0 || x[ident].v.type == CS_VNIL)) {
        snprintf(msg, sizeof(msg), _("%s: needed, since a later step has a date"),
                 _("identified on"));
        problem(im, row, ident, msg), problems++;
    }
    return problems;
}

/*
 * One row as a record, checked as `member add` and `candidate add` check
 * what is typed: every cell is checked and every problem listed. A row
 * without problems is written in the open transaction (the caller commits
 * or rolls back): the fields through fields_write(), then for a candidate
 * its steps and for both the device's unit unless the row names one.
 * Returns the number of problems, or a negative code for a failure that is
 * not the row's.
 *
 * The one place a row becomes a record: when the library records a
 * candidate with its past steps, this calls it instead.
 */
static int
import_row(struct client *c, const struct import *im, unsigned row, const char *const *cells,
           size_t n)
{
    const struct entity *e = im->e;
    const char *fv[CS_CLI_OPT_MAX] = {0};
    struct extra *x = calloc(im->ncols ? im->ncols : 1, sizeof(*x));
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
    enum cs_stage stage = CS_STAGE_IDENTIFIED;
    if (cand)
        problems += check_steps(c, im, row, cells, x, &stage);
    if (problems > 0) {
        ret = problems;
        goto out;
    }

    struct cs_id id;
    cs_id_new(&id);
    err[0] = 0;
    if ((ret = fields_write(c, e, &id, fv, err, sizeof(err))) != 0)
        goto refused;
    for (size_t j = 0; j < im->ncols; j++)
        if (im->kind[j] == COL_FIELD && im->fix[j] < 0 && x[j].v.type != CS_VNIL &&
            (ret = cs_replica_set(c->rep, e->table, &id, im->fields[j].column, &x[j].v, err,
                                  sizeof(err))) != 0)
            goto refused;
    if (cand) {
        char today[CS_DATE_BUFSZ];
        int ident = column_of(im, "identified_on");
        cs_date_format(c->today, today);
        if ((ret = cs_replica_set_text(c->rep, "candidate", &id, "stage", cs_stage_code(stage), err,
                                       sizeof(err))) != 0 ||
            ((ident < 0 || x[ident].v.type == CS_VNIL) &&
             (ret = cs_replica_set_text(c->rep, "candidate", &id, "identified_on", today, err,
                                        sizeof(err))) != 0))
            goto refused;
    } else {
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
    int org = column_of(im, "org_unit");
    if ((org < 0 || x[org].v.type == CS_VNIL) && im->org[0] != 0 &&
        (ret = cs_replica_set_text(c->rep, e->table, &id, "org_unit", im->org, err, sizeof(err))) !=
            0)
        goto refused;
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
try_row(struct client *c, const struct import *im, unsigned row, const char *const *cells, size_t n,
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
    {"members", import_members, NULL, opts, OPT__COUNT, "FILE", 1, 1,
     N_("add the members in a spreadsheet (CSV, UTF-16 text or .xlsx)")},
    {"candidates", import_candidates, NULL, opts, OPT__COUNT, "FILE", 1, 1,
     N_("add the candidates in a spreadsheet, with the dates of their past steps")},
};

int
cmd_import(int argc, char **argv)
{
    return run_verbs("import", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
