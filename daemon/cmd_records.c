/* SPDX-License-Identifier: MIT */
/*
 * The office's commands on the records the hub holds, as a cell's laptop
 * has them (client/conflicts.h, client/client.h, linked from the library
 * cellsync_records): `cellsyncd conflicts list|resolve`, `cellsyncd search`
 * and `cellsyncd member add`, with the client's options, output and --json.
 *
 * They work on the hub's replica through a struct client that holds it
 * (hub_client_open()): those functions need nothing else of a device.
 * A resolution or a member added here is the hub's own replicated write,
 * stamped by its clock, as `cellsyncd target` writes: the devices in
 * scope receive it with their next sync. `cellsyncd serve` may run
 * meanwhile: the replica is in WAL mode with a busy timeout, and the serve
 * worker sees another process's commit by PRAGMA data_version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/cli.h"
#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "client.h"
#include "commands.h"
#include "conflicts.h"
#include "hub.h"

/*
 * Opens the hub of the configuration as a struct client: its replica,
 * the SQL functions the client's queries use, today by the hub's clock.
 * 0, or CS_EXIT_FAILURE with the message printed.
 */
static int
hub_client_open(const char *const sopt[CMD_STATE__COUNT], struct hub **h, struct client *c)
{
    struct conf conf;
    char err[1024];
    int ret;

    memset(c, 0, sizeof(*c));
    *h = NULL;
    if (cmd_config(&conf, sopt) != 0)
        return CS_EXIT_FAILURE;
    if (hub_open(h, conf.state, err, sizeof(err)) != 0)
        return cmd_fail("%s", err);
    snprintf(c->home, sizeof(c->home), "%s", conf.state);
    c->prog = "cellsyncd";
    c->rep = hub_replica(*h);
    c->db = cs_replica_db(c->rep);
    if ((ret = cs_codes_sql_register(c->db)) != 0) {
        snprintf(err, sizeof(err), "%s", cs_strerror(ret));
        goto fail;
    }
    if (cs_replica_today(c->rep, &c->today, err, sizeof(err)) != 0)
        goto fail;
    return 0;
fail:
    hub_close(*h);
    *h = NULL;
    return cmd_fail("%s", err);
}

/* ---- conflicts ---- */

static void
conflicts_usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n",
            _("usage: cellsyncd conflicts list [--json]\n"
              "       cellsyncd conflicts resolve CONFLICT [RECORD] (--pick current|other | "
              "--value TEXT)\n"
              "  [--state DIR] [--config FILE]"),
            _("The fields that two devices edited without either seeing the other's edit,\n"
              "as the hub has them, with both values; resolve keeps one value (or sets a\n"
              "new one) as the hub's own write, which every device in scope receives with\n"
              "its next sync. CONFLICT is the number the list shows, the same on every\n"
              "device; RECORD, the start of the record's id, tells apart two fields with\n"
              "the same number."),
            _("options:\n"
              "  --json                print a JSON array instead of a table (list)\n"
              "  --pick current|other  current: keep the value shown now; other: take the\n"
              "                        other value (resolve)\n"
              "  --value TEXT          set this value instead of either (\"\" clears the\n"
              "                        field) (resolve)\n"
              "  --state DIR           the state directory (default /var/lib/cellsyncd)\n"
              "  --config FILE         the configuration file"));
}

int
cmd_conflicts(int argc, char **argv)
{
    enum { OPT_JSON, OPT_PICK, OPT_VALUE, OPT__COUNT };
    static const struct cs_cli_opt opts[OPT__COUNT] = {
        [OPT_JSON] = {"json", 0, NULL},
        [OPT_PICK] = {"pick", 1, NULL},
        [OPT_VALUE] = {"value", 1, NULL},
    };
    const char *ov[OPT__COUNT], *sopt[CMD_STATE__COUNT];
    struct hub *h = NULL;
    struct client c;
    char err[4096] = "";
    long long num = 0;
    int first, ret;

    int done =
        cmd_args("conflicts", argc, argv, conflicts_usage, opts, OPT__COUNT, ov, sopt, &first);
    if (done != CS_CLI_GO_ON)
        return done;
    const char *verb = first < argc ? argv[first] : NULL;
    int nargs = argc - first - 1, list = verb != NULL && strcmp(verb, "list") == 0;
    if (verb == NULL)
        return cmd_usage_error("conflicts", "%s", _("list or resolve?"));
    if (!list && strcmp(verb, "resolve") != 0)
        return cmd_usage_error("conflicts", _("'%s' is not list or resolve"), verb);
    /* Each verb's options only, so a misplaced one is not silently ignored. */
    for (int i = 0; i < OPT__COUNT; i++)
        if (ov[i] != NULL && (i == OPT_JSON) != list)
            return cmd_usage_error("conflicts", _("conflicts %s does not take --%s"), verb,
                                   opts[i].name);
    if (list && nargs > 0)
        return cmd_usage_error("conflicts", _("unexpected argument '%s'"), argv[first + 1]);
    if (!list && nargs < 1)
        return cmd_usage_error("conflicts", "%s", _("conflicts resolve: missing CONFLICT"));
    if (!list && nargs > 2)
        return cmd_usage_error("conflicts", _("unexpected argument '%s'"), argv[first + 3]);
    struct resolution r = {.arg = list ? NULL : argv[first + 1]};
    if (!list && (ret = conflict_args("cellsyncd", r.arg, ov[OPT_PICK], ov[OPT_VALUE], &num, err,
                                      sizeof(err))) != CS_EXIT_OK) {
        if (ret == CS_EXIT_USAGE)
            return cmd_usage_error("conflicts", "%s", err);
        return cmd_fail("%s", err);
    }
    if ((ret = hub_client_open(sopt, &h, &c)) != 0)
        return ret;
    ret = CS_EXIT_OK;
    if (list && conflicts_print(&c, ov[OPT_JSON] != NULL, err, sizeof(err)) != 0)
        ret = cmd_fail("%s", err);
    if (!list && conflict_resolve(&c, num, nargs > 1 ? argv[first + 2] : NULL, &r, ov[OPT_PICK],
                                  ov[OPT_VALUE], err, sizeof(err)) != 0)
        ret = cmd_fail("%s", err);
    hub_close(h);
    return ret;
}

/* ---- search ---- */

static void
search_usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n",
            _("usage: cellsyncd search [--json] TEXT... [--state DIR] [--config FILE]"),
            _("Finds the candidates, members and meetings the hub holds by words of their\n"
              "names, home towns, citizen ids, phones, agendas, minutes and resolutions.\n"
              "Tone marks are optional and the start of a word is enough."),
            _("options:\n"
              "  --json         print JSON instead of a table\n"
              "  --state DIR    the state directory (default /var/lib/cellsyncd)\n"
              "  --config FILE  the configuration file"));
}

int
cmd_search(int argc, char **argv)
{
    enum { OPT_JSON, OPT__COUNT };
    static const struct cs_cli_opt opts[OPT__COUNT] = {[OPT_JSON] = {"json", 0, NULL}};
    const char *ov[OPT__COUNT], *sopt[CMD_STATE__COUNT];
    struct hub *h = NULL;
    struct client c;
    char *query = NULL, err[1024];
    int first, ret;

    int done = cmd_args("search", argc, argv, search_usage, opts, OPT__COUNT, ov, sopt, &first);
    if (done != CS_CLI_GO_ON)
        return done;
    if (first == argc)
        return cmd_usage_error("search", "%s", _("missing TEXT"));
    if ((ret = client_search_query(argc - first, argv + first, &query)) != 0)
        return cmd_fail("%s", cs_strerror(ret));
    if (query[0] == 0) {
        free(query);
        return cmd_usage_error("search", "%s", _("give at least one word of letters or digits"));
    }
    if ((ret = hub_client_open(sopt, &h, &c)) == 0) {
        if (search_print(&c, query, argc - first, argv + first, ov[OPT_JSON] != NULL, err,
                         sizeof(err)) != 0)
            ret = cmd_fail("%s", err);
        hub_close(h);
    }
    free(query);
    return ret;
}

/* ---- member add ---- */

static void
member_usage(FILE *f)
{
    fprintf(f, "%s\n\n%s\n\n%s\n",
            _("usage: cellsyncd member add --org CELL --name NAME [<options>]\n"
              "  [--state DIR] [--config FILE]"),
            _("Adds a member to a cell of the hub's tree (one who transfers in from another\n"
              "province, for example), as the cell's own device would: the cell's devices\n"
              "receive the record with their next sync. --org is the cell's code: a unit of\n"
              "level cell, or a grassroots organisation with no unit below it."),
            _("options:"));
    fields_help(f, &ent_member);
    fprintf(f, "  --%s\n      %s\n", fields_duplicate_opt.name, _(fields_duplicate_opt.help));
    fprintf(f, "%s\n",
            _("  --state DIR    the state directory (default /var/lib/cellsyncd)\n"
              "  --config FILE  the configuration file"));
}

/*
 * Whether org is a unit a member can belong to: a live unit of the hub's
 * tree (hub_scope_load()) of level cell, or a grassroots unit with no live
 * unit below it (a grassroots cell, chi bộ cơ sở). 0, or the message in err.
 */
static int
member_unit(struct hub *h, const char *org, char *err, size_t errlen)
{
    static const char sql[] =
        "SELECT level, label('level', level), (SELECT count(*) FROM org_unit c"
        " WHERE c.parent = o.code AND c.cl % 2 = 1) FROM org_unit o"
        " WHERE o.code = ?1 AND o.cl % 2 = 1";
    struct hub_scope *scope = NULL;
    sqlite3 *db = cs_replica_db(hub_replica(h));
    sqlite3_stmt *st = NULL;
    int ret;

    if (hub_scope_load(h, org, &scope) != 0)
        return cs_errf(err, errlen, CS_ENOTFOUND, _("there is no unit '%s' in the org tree"), org);
    hub_scope_free(scope);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return cs_errf(err, errlen, CS_ESQLITE, _("cannot read the org units: %s"),
                       sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        ret = cs_errf(err, errlen, CS_ENOTFOUND, _("there is no unit '%s' in the org tree"), org);
        goto out;
    }
    const char *level = (const char *)sqlite3_column_text(st, 0);
    const char *label = (const char *)sqlite3_column_text(st, 1);
    ret = 0;
    if (level == NULL || (strcmp(level, "cell") != 0 &&
                          (strcmp(level, "grassroots") != 0 || sqlite3_column_int(st, 2) > 0)))
        /* TRANSLATORS: the unit's code, then its level as the reports label it ("district"). */
        ret = cs_errf(err, errlen, CS_EINVAL,
                      _("unit '%s' (%s) is not a cell: a member belongs to a cell, or to a "
                        "grassroots organisation with no unit below it"),
                      org, label ? label : "?");
out:
    sqlite3_finalize(st);
    return ret;
}

int
cmd_member(int argc, char **argv)
{
    /* The member's fields as options, in ent_member's order, then --duplicate-ok. */
    const size_t nf = ent_member.nfields;
    struct cs_cli_opt opts[CS_CLI_OPT_MAX];
    const char *ov[CS_CLI_OPT_MAX], *sopt[CMD_STATE__COUNT];
    struct hub *h = NULL;
    struct client c;
    char err[1024] = "", hex[CS_ID_HEX_LEN + 1];
    int first, ret;

    if (nf + 1 + CMD_STATE__COUNT > CS_CLI_OPT_MAX)
        return cmd_fail("%s", cs_strerror(CS_ETOOBIG));
    for (size_t i = 0; i < nf; i++)
        opts[i] = (struct cs_cli_opt){ent_member.fields[i].opt, 1, NULL};
    opts[nf] = fields_duplicate_opt;
    int done = cmd_args("member", argc, argv, member_usage, opts, nf + 1, ov, sopt, &first);
    if (done != CS_CLI_GO_ON)
        return done;
    const char *verb = first < argc ? argv[first] : NULL;
    if (verb == NULL)
        return cmd_usage_error("member", "%s", _("missing verb 'add'"));
    if (strcmp(verb, "add") != 0)
        return cmd_usage_error("member", _("'%s' is not add"), verb);
    if (first + 1 < argc)
        return cmd_usage_error("member", _("unexpected argument '%s'"), argv[first + 1]);
    const char *org = ov[entity_field(&ent_member, "org_unit") - ent_member.fields];
    /* An empty name is refused where every write of a person is (fields_write()). */
    if (ov[entity_field(&ent_member, "full_name") - ent_member.fields] == NULL)
        return cmd_usage_error("member", "%s", _("member add: '--name' is required"));
    /* The hub is no cell's device: the member's cell is always named. */
    if (org == NULL)
        return cmd_usage_error("member", "%s",
                               _("member add: '--org' is required at the hub: the member's cell"));
    if ((ret = hub_client_open(sopt, &h, &c)) != 0)
        return ret;
    c.duplicate_ok = ov[nf] != NULL;
    struct cs_id id;
    cs_id_new(&id);
    if (member_unit(h, org, err, sizeof(err)) != 0 ||
        (ret = records_write(&c, &ent_member, &id, ov, err, sizeof(err))) != 0) {
        ret = cmd_fail("%s", err[0] ? err : cs_strerror(ret));
        goto out;
    }
    cs_id_short(&id, hex);
    printf(_("added member %s\n"), hex);
    ret = CS_EXIT_OK;
out:
    hub_close(h);
    return ret;
}
