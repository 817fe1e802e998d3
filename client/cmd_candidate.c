/* SPDX-License-Identifier: MIT */
/*
 * `cellsync candidate`: the outstanding masses a cell develops, from being
 * identified to official membership. add/edit/show/list work on the
 * identity fields (entities.c); advance moves a candidate one stage on,
 * with the date and what the stage needs (helper, sponsors), after checking
 * the rules of the procedure (rules.h). A rule that fails stops the advance
 * with the rule's own message, unless --force with a --reason records an
 * exception, which is kept and shown in reports. At the ceremony the
 * candidate becomes a probationary member; at official, an official one.
 */
#include <stdio.h>
#include <string.h>

#include "cellsync/candidate.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "cellsync/output.h"
#include "cellsync/refused.h"
#include "cellsync/schema.h"
#include "client.h"
#include "queries.h"

enum { SHOW_JSON, SHOW__COUNT };
static const struct cs_cli_opt show_opts[SHOW__COUNT] = {
    [SHOW_JSON] = {"json", 0, N_("print JSON")}};
enum { LIST_JSON, LIST_STAGE, LIST_ALL, LIST_DELETED, LIST__COUNT };
static const struct cs_cli_opt list_opts[LIST__COUNT] = {
    [LIST_JSON] = {"json", 0, N_("print JSON")},
    [LIST_STAGE] = {"stage", 1, N_("only candidates at this stage")},
    [LIST_ALL] = {"all", 0, N_("include withdrawn candidates and official members")},
    [LIST_DELETED] = {"deleted", 0,
                      N_("list the deleted candidates, with when and by which device")},
};
enum {
    ADV_TO,
    ADV_DATE,
    ADV_HELPER,
    ADV_SPONSOR,
    ADV_SPONSOR2,
    ADV_SPONSOR1_MONTHS,
    ADV_SPONSOR2_MONTHS,
    ADV_YOUTH,
    ADV_FORCE,
    ADV_REASON,
    ADV__COUNT
};
static const struct cs_cli_opt advance_opts[ADV__COUNT] = {
    [ADV_TO] = {"to", 1, N_("the stage to move to (only the next stage is allowed)")},
    [ADV_DATE] = {"date", 1, N_("the date the stage was reached (default today)")},
    [ADV_HELPER] = {"helper", 1, N_("the official member assigned to help (helper stage)")},
    [ADV_SPONSOR] = {"sponsor", 1, N_("the first sponsoring member")},
    [ADV_SPONSOR2] = {"sponsor2", 1, N_("the second sponsoring member")},
    [ADV_SPONSOR1_MONTHS] = {"sponsor1-months", 1,
                             N_("how many months the first sponsor has known the candidate (the "
                                "rule needs 12)")},
    [ADV_SPONSOR2_MONTHS] = {"sponsor2-months", 1,
                             N_("how many months the second sponsor has known the candidate (the "
                                "rule needs 12)")},
    [ADV_YOUTH] = {"youth-union-resolution", 1,
                   N_("date of the youth union's resolution introducing the candidate")},
    [ADV_FORCE] = {"force", 0, N_("record an exception instead of refusing when a rule fails")},
    [ADV_REASON] = {"reason", 1, N_("why the exception is made (needed with --force)")},
};
/*
 * The past steps of a candidate entered from paper: the date of each stage
 * (in CS_STAGE_MAP order, "identified" first), the stage reached, and what
 * the steps bring.
 */
enum {
    ADD_IDENTIFIED_ON,
    ADD_HELPER_ON,
    ADD_CLASS_ON,
    ADD_APPLIED_ON,
    ADD_VERIFIED_ON,
    ADD_CELL_ON,
    ADD_GRASSROOTS_ON,
    ADD_DECISION_ON,
    ADD_CEREMONY_ON,
    ADD_OFFICIAL_ON,
    ADD_STAGE,
    ADD_HELPER,
    ADD_SPONSOR,
    ADD_SPONSOR2,
    ADD_SPONSOR1_MONTHS,
    ADD_SPONSOR2_MONTHS,
    ADD_YOUTH,
    ADD_FORCE,
    ADD_REASON,
    ADD__COUNT
};
static const struct cs_cli_opt add_opts[ADD__COUNT] = {
    [ADD_IDENTIFIED_ON] = {"identified-on", 1,
                           N_("the date the candidate was identified (default today)")},
    [ADD_HELPER_ON] = {"helper-on", 1,
                       N_("past step: the date a helper was assigned (with --helper)")},
    [ADD_CLASS_ON] = {"class-on", 1, N_("past step: the date of the awareness class certificate")},
    [ADD_APPLIED_ON] = {"applied-on", 1, N_("past step: the date of the application")},
    [ADD_VERIFIED_ON] = {"verified-on", 1, N_("past step: the date the biography was verified")},
    [ADD_CELL_ON] = {"cell-resolution-on", 1,
                     N_("past step: the date of the cell resolution (with --sponsor, --sponsor2)")},
    [ADD_GRASSROOTS_ON] = {"grassroots-resolution-on", 1,
                           N_("past step: the date of the grassroots resolution")},
    [ADD_DECISION_ON] = {"decision-on", 1, N_("past step: the date of the admission decision")},
    [ADD_CEREMONY_ON] = {"ceremony-on", 1, N_("past step: the date of the admission ceremony")},
    [ADD_OFFICIAL_ON] = {"official-on", 1, N_("past step: the date of official membership")},
    [ADD_STAGE] =
        {"stage", 1,
         N_("the stage reached, every step up to it dated (default: the last date given)")},
    [ADD_HELPER] = {"helper", 1, N_("the official member assigned to help")},
    [ADD_SPONSOR] = {"sponsor", 1, N_("the first sponsoring member")},
    [ADD_SPONSOR2] = {"sponsor2", 1, N_("the second sponsoring member")},
    [ADD_SPONSOR1_MONTHS] = {"sponsor1-months", 1,
                             N_("how many months the first sponsor has known the candidate (the "
                                "rule needs 12)")},
    [ADD_SPONSOR2_MONTHS] = {"sponsor2-months", 1,
                             N_("how many months the second sponsor has known the candidate (the "
                                "rule needs 12)")},
    [ADD_YOUTH] = {"youth-union-resolution", 1,
                   N_("date of the youth union's resolution introducing the candidate")},
    [ADD_FORCE] = {"force", 0, N_("record an exception instead of refusing when a rule fails")},
    [ADD_REASON] = {"reason", 1, N_("why the exception is made (needed with --force)")},
};
enum { UNDO_REASON, UNDO__COUNT };
static const struct cs_cli_opt undo_opts[UNDO__COUNT] = {
    [UNDO_REASON] = {"reason", 1, N_("why the step is undone (required)")},
};
enum { WD_DATE, WD_REASON, WD__COUNT };
static const struct cs_cli_opt withdraw_opts[WD__COUNT] = {
    [WD_DATE] = {"date", 1, N_("the date of withdrawal (default today)")},
    [WD_REASON] = {"reason", 1, N_("why the candidate withdraws")},
};

/* Errors of one step, printed once with the command's name. */
static int
fail_with(const char *err, int ret)
{
    return client_fail("%s", err[0] ? err : cs_strerror(ret));
}

/*
 * A candidate as messages name it, whatever was typed to find it: the full
 * name and the short id, "Nguyễn Văn Sỹ (a8a566f3)"; the id alone if the
 * record has no name.
 */
static const char *
who(struct client *c, const struct cs_id *id, char *buf, size_t len)
{
    char name[256] = "", shrt[CS_ID_SHORT_LEN + 1];
    cs_id_short(id, shrt);
    if (records_text(c, "candidate", id, "full_name", name, sizeof(name)) != 0 || name[0] == 0)
        snprintf(buf, len, "%s", shrt);
    else
        snprintf(buf, len, "%s (%s)", name, shrt);
    return buf;
}

/* The option that gives a step's input; date_option for the date of the step. */
static const char *
step_option(const char *field, const char *date_option)
{
    static const struct {
        const char *field, *option;
    } map[] = {{"helper", "--helper"},
               {"sponsor1", "--sponsor"},
               {"sponsor2", "--sponsor2"},
               {"sponsor1_months", "--sponsor1-months"},
               {"sponsor2_months", "--sponsor2-months"},
               {"youth_union_resolution_on", "--youth-union-resolution"},
               {"identified_on", "--identified-on"}};
    for (size_t i = 0; field != NULL && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].field, field) == 0)
            return map[i].option;
    return date_option;
}

static void
print_exception(void *ud, const char *message)
{
    (void)ud;
    fprintf(stderr, _("cellsync: exception recorded: %s\n"), message);
}

/*
 * The stage a person typed for an option (--to, --stage): its code or its
 * label, as every choice is read (cs_code_parse()). 0 with *stage set, or
 * the exit code with the refusal printed, naming the option.
 */
static int
stage_option(const char *opt, const char *text, int *stage)
{
    const char *code;
    char err[1024];

    if (cs_code_parse("stage", text, &code, err, sizeof(err)) != 0)
        return client_fail("--%s: %s", opt, err);
    *stage = cs_stage_from_code(code);
    return 0;
}

/* The members a step names, found from what was typed; NULL where not given. */
static int
find_members(struct client *c, const char *helper, const char *sp1, const char *sp2,
             struct step_members *m, struct cs_step *s)
{
    char err[512] = "";
    int ret = client_step_members(c, helper, sp1, sp2, m, s, err, sizeof(err));
    return ret != 0 ? fail_with(err, ret) : 0;
}

/*
 * --sponsor1-months and --sponsor2-months (typed[0], typed[1]) into
 * s->sponsor_months. 0, or CS_EINVAL with err naming the option.
 */
static int
months_options(const char *const *typed, struct cs_step *s, char *err, size_t errlen)
{
    static const char *const names[] = {"sponsor1-months", "sponsor2-months"};
    long v;

    for (int i = 0; i < CS_RULES_SPONSORS; i++) {
        if (typed[i] == NULL)
            continue;
        if (cs_cli_number(names[i], typed[i], CS_CLI_MONTHS, 0, CS_STEP_MONTHS_MAX, &v, err,
                          errlen) != 0)
            return CS_EINVAL;
        s->sponsor_months[i] = (int)v;
    }
    return 0;
}

/*
 * The steps `candidate add` records: "identified" and, for a record kept on
 * paper, each later step up to --stage (or the last one dated), as
 * cs_candidate_paper_steps() lays them out; cs_candidate_record() then
 * refuses a step without its date or an input given at the wrong step.
 * CS_EXIT_OK with *n set, or an exit code.
 */
static int
add_steps(struct client *c, const struct verb_args *a, struct cs_step *steps, size_t *n,
          struct step_members *m)
{
    const char *const *o = a->ov;
    int32_t on[CS_STAGE__COUNT];
    char err[512] = "";
    int last = CS_STAGE_IDENTIFIED, reached = -1, ret;

    for (int st = 0; st < CS_STAGE__COUNT; st++) {
        on[st] = CS_DATE_NONE;
        const char *d = o[ADD_IDENTIFIED_ON + st];
        if (d == NULL)
            continue;
        if (cs_date_parse(d, &on[st], err, sizeof(err)) != 0)
            return client_fail("--%s: %s", add_opts[ADD_IDENTIFIED_ON + st].name, err);
        last = st;
    }
    if (o[ADD_STAGE] != NULL) {
        if ((ret = stage_option("stage", o[ADD_STAGE], &reached)) != 0)
            return ret;
        if (reached >= CS_STAGE__COUNT) {
            char list[512];
            cs_code_choices_text("stage", list, sizeof(list));
            return client_fail(_("'%s' is not a stage a candidate can be added at; stages are: %s"),
                               o[ADD_STAGE], list);
        }
        if (last > reached)
            return client_usage(_("candidate add: --%s is the date of the step '%s', after the "
                                  "stage '%s' given with --stage"),
                                add_opts[ADD_IDENTIFIED_ON + last].name,
                                cs_code_label("stage", cs_stage_code((enum cs_stage)last)),
                                cs_code_label("stage", cs_stage_code((enum cs_stage)reached)));
    }
    struct cs_step brings;
    cs_step_init(&brings);
    if ((ret = find_members(c, o[ADD_HELPER], o[ADD_SPONSOR], o[ADD_SPONSOR2], m, &brings)) != 0)
        return ret;
    if (months_options(&o[ADD_SPONSOR1_MONTHS], &brings, err, sizeof(err)) != 0)
        return client_usage(_("candidate add: %s"), err);
    if (o[ADD_YOUTH] != NULL &&
        cs_date_parse(o[ADD_YOUTH], &brings.youth_union_resolution, err, sizeof(err)) != 0)
        return client_fail(_("--youth-union-resolution: %s"), err);
    *n = cs_candidate_paper_steps(on, reached, &brings, steps);
    return CS_EXIT_OK;
}

static int
cand_add(struct client *c, const struct verb_args *a)
{
    const char *const *o = a->ov;
    char err[1024] = "";
    struct cs_step steps[CS_STAGE__COUNT];
    struct step_members m;
    struct cs_id id;
    size_t n = 0;
    int ret, failed;

    const struct field *name = entity_field(&ent_candidate, "full_name");
    /* A name given empty is refused where every write of a person is (fields_write()). */
    if (a->fv[name - ent_candidate.fields] == NULL)
        return client_usage(_("candidate add: --name is required"));
    if (o[ADD_FORCE] != NULL && (o[ADD_REASON] == NULL || o[ADD_REASON][0] == 0))
        return client_usage(_("candidate add: --force needs a --reason"));
    if ((ret = add_steps(c, a, steps, &n, &m)) != CS_EXIT_OK)
        return ret;
    ret = client_cand_add(c, a->fv, steps, n, o[ADD_FORCE] != NULL ? o[ADD_REASON] : NULL,
                          print_exception, NULL, &id, &failed, err, sizeof(err));
    if (ret != 0 && failed >= 0) {
        const char *step = cs_code_label("stage", cs_stage_code((enum cs_stage)failed));
        char dopt[64];
        snprintf(dopt, sizeof(dopt), "--%s", add_opts[ADD_IDENTIFIED_ON + failed].name);
        if (ret == CS_EINVAL)
            return client_usage(_("candidate add: %s: %s"), step_option(steps[failed].field, dopt),
                                err);
        if (ret == CS_ERULE)
            return client_fail(_("cannot record the step '%s': %s (use --force with a --reason to "
                                 "record an exception)"),
                               step, err);
        return client_fail(_("cannot record the step '%s': %s"), step, err);
    }
    if (ret != 0)
        return fail_with(err, ret);
    char shrt[CS_ID_SHORT_LEN + 1], date[CS_DATE_BUFSZ], whom[300];
    cs_id_short(&id, shrt);
    printf(_("added candidate %s\n"), shrt);
    if (n > 1)
        printf(_("candidate %s is now at '%s' (%s)\n"), who(c, &id, whom, sizeof(whom)),
               cs_code_label("stage", cs_stage_code(steps[n - 1].reached)),
               cs_date_format_vi(steps[n - 1].on, date));
    return CS_EXIT_OK;
}

static int
cand_edit(struct client *c, const struct verb_args *a)
{
    char err[512] = "";
    struct cs_id id;
    int ret, any = 0;

    for (size_t i = 0; i < ent_candidate.nfields; i++)
        any |= a->fv[i] != NULL;
    if (!any)
        return client_usage(_("candidate edit: give at least one field to change"));
    if ((ret = records_find(c, "candidate", a->argv[0], &id, err, sizeof(err))) != 0)
        return fail_with(err, ret);
    if ((ret = records_write(c, &ent_candidate, &id, a->fv, err, sizeof(err))) != 0)
        return fail_with(err, ret);
    char name[300];
    printf(_("changed candidate %s\n"), who(c, &id, name, sizeof(name)));
    return CS_EXIT_OK;
}

static const char show_extra_sql[] =
    "SELECT %s FROM candidate k LEFT JOIN member h ON h.id = k.helper"
    " LEFT JOIN member s1 ON s1.id = k.sponsor1 LEFT JOIN member s2 ON s2.id = k.sponsor2"
    " WHERE k.id = ?1";

static int
cand_show(struct client *c, const struct verb_args *a)
{
    char err[512] = "", sql[8192];
    struct cs_id id;
    sqlite3_stmt *st = NULL;
    int ret, json = a->ov[SHOW_JSON] != NULL;

    ret = records_find(c, "candidate", a->argv[0], &id, err, sizeof(err));
    if (ret == CS_ENOTFOUND || ret == CS_EINVAL)
        return client_show_deleted(c, "candidate", &ent_candidate, a->argv[0], json, err);
    if (ret != 0)
        return fail_with(err, ret);
    if (json) {
        /* One object built by SQLite: the identity fields, then the procedure. */
        char rec[2048];
        if (records_json_expr(&ent_candidate, "k", rec, sizeof(rec)) != 0)
            return client_fail("%s", cs_strerror(CS_ETOOBIG));
        char what[4096];
        snprintf(
            what, sizeof(what),
            "json_object('record', %s, 'procedure', json_object('stage', k.stage,"
            " 'helper', uuid(k.helper), 'helper_name', h.full_name, 'sponsor1', uuid(k.sponsor1),"
            " 'sponsor2', uuid(k.sponsor2), 'sponsor1_months', k.sponsor1_months,"
            " 'sponsor2_months', k.sponsor2_months,"
            " 'youth_union_resolution_on', k.youth_union_resolution_on,"
            " 'identified_on', k.identified_on, 'helper_on', k.helper_on, 'class_on', k.class_on,"
            " 'applied_on', k.applied_on, 'verified_on', k.verified_on,"
            " 'cell_resolution_on', k.cell_resolution_on,"
            " 'grassroots_resolution_on', k.grassroots_resolution_on,"
            " 'decision_on', k.decision_on, 'ceremony_on', k.ceremony_on,"
            " 'official_on', k.official_on, 'withdrawn_on', k.withdrawn_on,"
            " 'withdrawn_reason', k.withdrawn_reason, 'member', uuid(k.member),"
            " 'exceptions', (SELECT json_group_array(json_object('rule', e.rule, 'stage', e.stage,"
            " 'reason', e.reason, 'recorded_on', e.recorded_on)) FROM exception e"
            " WHERE e.candidate = k.id AND e.cl %% 2 = 1),"
            " 'undone', (SELECT json_group_array(json_object('stage', u.stage,"
            " 'stage_on', u.stage_on, 'reason', u.reason, 'recorded_on', u.recorded_on))"
            " FROM step_undo u WHERE u.candidate = k.id AND u.cl %% 2 = 1)))",
            rec);
        snprintf(sql, sizeof(sql), show_extra_sql, what);
    } else {
        if ((ret = records_show(c, &ent_candidate, &id, 0)) != 0)
            return ret;
        snprintf(sql, sizeof(sql), show_extra_sql,
                 "label('stage', k.stage), h.full_name, s1.full_name, s2.full_name,"
                 " k.sponsor1_months, k.sponsor2_months, k.youth_union_resolution_on, "
                 "k.identified_on, k.helper_on, k.class_on,"
                 " k.applied_on, k.verified_on, k.cell_resolution_on, k.grassroots_resolution_on,"
                 " k.decision_on, k.ceremony_on, k.official_on, k.withdrawn_on,"
                 " k.withdrawn_reason");
    }
    static const char *const labels[] = {
        N_("stage"),
        N_("helper"),
        N_("sponsor"),
        N_("second sponsor"),
        N_("months the sponsor has known the candidate"),
        N_("months the second sponsor has known the candidate"),
        N_("youth union resolution"),
        N_("identified on"),
        N_("helper assigned on"),
        N_("awareness class certificate"),
        N_("applied on"),
        N_("biography verified on"),
        N_("cell resolution on"),
        N_("grassroots resolution on"),
        N_("admission decision on"),
        N_("ceremony on"),
        N_("official member on"),
        N_("withdrawn on"),
        N_("reason for withdrawal"),
    };
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return client_fail("%s", sqlite3_errmsg(c->db));
    sqlite3_bind_blob(st, 1, id.b, CS_ID_LEN, SQLITE_STATIC);
    char oerr[512];
    ret = json ? cs_out_json(stdout, st, oerr, sizeof(oerr))
               : cs_out_kv(stdout, st, labels, oerr, sizeof(oerr));
    sqlite3_finalize(st);
    if (ret != 0)
        return client_fail("%s", oerr);
    if (json)
        return CS_EXIT_OK;
    /* Exceptions recorded with --force stay visible on the record. */
    if (sqlite3_prepare_v2(c->db,
                           "SELECT e.recorded_on, label('stage', e.stage), e.rule, e.reason"
                           " FROM exception e WHERE e.candidate = ?1 AND e.cl % 2 = 1"
                           " ORDER BY e.recorded_on",
                           -1, &st, NULL) != SQLITE_OK)
        return client_fail("%s", sqlite3_errmsg(c->db));
    sqlite3_bind_blob(st, 1, id.b, CS_ID_LEN, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        static const char *const eh[] = {N_("date"), N_("stage"), N_("rule"), N_("reason")};
        sqlite3_reset(st);
        printf("\n%s\n", _("exceptions to the rules:"));
        ret = cs_out_table(stdout, st, eh, oerr, sizeof(oerr));
    } else {
        ret = 0;
    }
    sqlite3_finalize(st);
    if (ret != 0)
        return client_fail("%s", oerr);
    /* So are the steps taken back with `undo`, and why. */
    if (sqlite3_prepare_v2(c->db,
                           "SELECT u.recorded_on, label('stage', u.stage), u.stage_on, u.reason"
                           " FROM step_undo u WHERE u.candidate = ?1 AND u.cl % 2 = 1"
                           " ORDER BY u.recorded_on, u.id",
                           -1, &st, NULL) != SQLITE_OK)
        return client_fail("%s", sqlite3_errmsg(c->db));
    sqlite3_bind_blob(st, 1, id.b, CS_ID_LEN, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        static const char *const uh[] = {N_("date"), N_("stage"), N_("date of the step"),
                                         N_("reason")};
        sqlite3_reset(st);
        printf("\n%s\n", _("steps undone:"));
        ret = cs_out_table(stdout, st, uh, oerr, sizeof(oerr));
    }
    sqlite3_finalize(st);
    return ret == 0 ? CS_EXIT_OK : client_fail("%s", oerr);
}

static int
cand_list(struct client *c, const struct verb_args *a)
{
    const char *stage = a->ov[LIST_STAGE];
    int json = a->ov[LIST_JSON] != NULL, all = a->ov[LIST_ALL] != NULL;
    sqlite3_stmt *st = NULL;
    char sql[1024];
    int ret;

    if (a->ov[LIST_DELETED] != NULL)
        return client_list_deleted(c, "candidate", json);
    if (stage != NULL) {
        int ix = -1;
        if ((ret = stage_option("stage", stage, &ix)) != 0)
            return ret;
        stage = cs_stage_code((enum cs_stage)ix);
    }
    /* A record the hub refused is marked until it is corrected. */
#define REFUSED CS_REFUSED_SQL("candidate", "id")
    /* Stage order for sorting is the order of the code list. */
    static const char where[] = CANDIDATE_LIST_WHERE;
    if (json)
        snprintf(sql, sizeof(sql),
                 "SELECT json_group_array(json_object('id', uuid(id), 'full_name', full_name,"
                 " 'birth_date', birth_date, 'source', source, 'stage', stage, 'org_unit',"
                 " org_unit, 'refused', json(iif(" REFUSED ", 'true', 'false'))))"
                 " FROM (SELECT *%s ORDER BY full_name COLLATE vi_name, id)",
                 where);
    else
        snprintf(sql, sizeof(sql),
                 "SELECT short_id(id), full_name || iif(" REFUSED ", ' (' || ?3 || ')', ''),"
                 " birth_date, label('source', source), label('stage', stage)%s"
                 " ORDER BY full_name COLLATE vi_name, id",
                 where);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return client_fail("%s", sqlite3_errmsg(c->db));
    if (stage != NULL)
        sqlite3_bind_text(st, 1, stage, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, all);
    sqlite3_bind_text(st, 3, _("refused by the hub"), -1, SQLITE_TRANSIENT);
    static const char *const headers[] = {N_("id"), N_("name"), N_("born"), N_("source"),
                                          N_("stage")};
    char oerr[512];
    ret = json ? cs_out_json(stdout, st, oerr, sizeof(oerr))
               : cs_out_table(stdout, st, headers, oerr, sizeof(oerr));
    sqlite3_finalize(st);
    return ret == 0 ? CS_EXIT_OK : client_fail("%s", oerr);
}

static int
cand_advance(struct client *c, const struct verb_args *a)
{
    const char *const *o = a->ov;
    char err[1024] = "", datebuf[CS_DATE_BUFSZ], name[300];
    struct step_members m;
    struct cs_id id;
    struct cs_step s;
    int ret;

    cs_step_init(&s);
    if (o[ADV_FORCE] != NULL && (o[ADV_REASON] == NULL || o[ADV_REASON][0] == 0))
        return client_usage(_("candidate advance: --force needs a --reason"));
    if ((ret = records_find(c, "candidate", a->argv[0], &id, err, sizeof(err))) != 0)
        return fail_with(err, ret);
    if (o[ADV_TO] != NULL && (ret = stage_option("to", o[ADV_TO], &s.stage)) != 0)
        return ret;
    if (o[ADV_DATE] != NULL && cs_date_parse(o[ADV_DATE], &s.on, err, sizeof(err)) != 0)
        return client_fail(_("--date: %s"), err);
    if (o[ADV_YOUTH] != NULL &&
        cs_date_parse(o[ADV_YOUTH], &s.youth_union_resolution, err, sizeof(err)) != 0)
        return client_fail(_("--youth-union-resolution: %s"), err);
    if ((ret = find_members(c, o[ADV_HELPER], o[ADV_SPONSOR], o[ADV_SPONSOR2], &m, &s)) != 0)
        return ret;
    if (months_options(&o[ADV_SPONSOR1_MONTHS], &s, err, sizeof(err)) != 0)
        return client_usage(_("candidate advance: %s"), err);
    ret = client_cand_advance(c, &id, &s, o[ADV_FORCE] != NULL ? o[ADV_REASON] : NULL,
                              print_exception, NULL, err, sizeof(err));
    if (ret == CS_EINVAL)
        return client_usage(_("candidate advance: %s: %s"), step_option(s.field, "--date"), err);
    if (ret == CS_ERULE)
        return client_fail(_("cannot advance candidate %s: %s (use --force with a --reason to "
                             "record an exception)"),
                           who(c, &id, name, sizeof(name)), err);
    if (ret != 0)
        return client_fail(_("cannot advance candidate %s: %s"), who(c, &id, name, sizeof(name)),
                           err[0] ? err : cs_strerror(ret));
    cs_date_format_vi(s.on != CS_DATE_NONE ? s.on : c->today, datebuf);
    printf(_("candidate %s is now at '%s' (%s)\n"), who(c, &id, name, sizeof(name)),
           cs_code_label("stage", cs_stage_code(s.reached)), datebuf);
    return CS_EXIT_OK;
}

static int
cand_withdraw(struct client *c, const struct verb_args *a)
{
    char err[512] = "", datebuf[CS_DATE_BUFSZ], name[300];
    struct cs_id id;
    int32_t on = CS_DATE_NONE;
    int ret;

    const char *reason = a->ov[WD_REASON], *date = a->ov[WD_DATE];

    if (reason == NULL || reason[0] == 0)
        return client_usage(_("candidate withdraw: --reason is required"));
    if ((ret = records_find(c, "candidate", a->argv[0], &id, err, sizeof(err))) != 0)
        return fail_with(err, ret);
    if (date != NULL && cs_date_parse(date, &on, err, sizeof(err)) != 0)
        return client_fail(_("--date: %s"), err);
    if ((ret = client_cand_withdraw(c, &id, on, reason, err, sizeof(err))) != 0)
        return client_fail(_("cannot withdraw candidate %s: %s"), who(c, &id, name, sizeof(name)),
                           err[0] ? err : cs_strerror(ret));
    printf(_("candidate %s withdrawn (%s)\n"), who(c, &id, name, sizeof(name)),
           cs_date_format_vi(on != CS_DATE_NONE ? on : c->today, datebuf));
    return CS_EXIT_OK;
}

static int
cand_undo(struct client *c, const struct verb_args *a)
{
    char err[512] = "", name[300];
    enum cs_stage from, to;
    struct cs_id id;
    int ret;

    if (a->ov[UNDO_REASON] == NULL || a->ov[UNDO_REASON][0] == 0)
        return client_usage(_("candidate undo: --reason is required"));
    if ((ret = records_find(c, "candidate", a->argv[0], &id, err, sizeof(err))) != 0)
        return fail_with(err, ret);
    if ((ret = client_cand_undo(c, &id, a->ov[UNDO_REASON], &from, &to, err, sizeof(err))) != 0)
        return client_fail(_("cannot undo the last step of candidate %s: %s"),
                           who(c, &id, name, sizeof(name)), err[0] ? err : cs_strerror(ret));
    printf(_("candidate %s is back at '%s': the step '%s' was undone\n"),
           who(c, &id, name, sizeof(name)), cs_code_label("stage", cs_stage_code(to)),
           cs_code_label("stage", cs_stage_code(from)));
    return CS_EXIT_OK;
}

static int
cand_delete(struct client *c, const struct verb_args *a)
{
    return client_delete(c, "candidate", "candidate", a->argv[0]);
}

static int
cand_undelete(struct client *c, const struct verb_args *a)
{
    return client_undelete(c, "candidate", "candidate", a->argv[0]);
}

static const struct verb verbs[] = {
    {"add", cand_add, &ent_candidate, add_opts, ADD__COUNT, "", 0, 0,
     N_("record a new candidate, or one kept on paper with the dates of its past steps")},
    {"list", cand_list, NULL, list_opts, LIST__COUNT, "", 0, 0,
     N_("list candidates and their stage")},
    {"show", cand_show, NULL, show_opts, SHOW__COUNT, "ID", 1, 1, N_("show one candidate")},
    {"edit", cand_edit, &ent_candidate, NULL, 0, "ID", 1, 1,
     N_("change a candidate's identity fields")},
    {"advance", cand_advance, NULL, advance_opts, ADV__COUNT, "ID", 1, 1,
     N_("move a candidate to the next stage, checking the rules")},
    {"withdraw", cand_withdraw, NULL, withdraw_opts, WD__COUNT, "ID", 1, 1,
     N_("record that a candidate withdrew")},
    {"undo", cand_undo, NULL, undo_opts, UNDO__COUNT, "ID", 1, 1,
     N_("take back a candidate's last step, with a reason")},
    {"delete", cand_delete, NULL, NULL, 0, "ID", 1, 1,
     N_("delete a candidate entered by mistake (kept for review, can be undeleted)")},
    {"undelete", cand_undelete, NULL, NULL, 0, "ID", 1, 1, N_("restore a deleted candidate")},
};

int
cmd_candidate(int argc, char **argv)
{
    return run_verbs("candidate", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
