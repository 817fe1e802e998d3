/* SPDX-License-Identifier: MIT */
/*
 * The domain schema's descriptor (cellsync/schema.h) and what is made from
 * it agree: the DDL creates every column with the type the descriptor
 * gives, every stage's date is a column of candidate, every label and
 * reference resolves, and the roles may write what the hub has allowed
 * them since before the descriptor existed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <string.h>

#include "cellsync/candidate.h"
#include "cellsync/codes.h"
#include "cellsync/schema.h"

/* The SQL type that stores each descriptor type. */
static const char *
sql_type(enum cs_schema_type t)
{
    switch (t) {
    case CS_SCHEMA_REF:
        return "BLOB";
    case CS_SCHEMA_INT:
        return "INTEGER";
    default:
        return "TEXT";
    }
}

static void
test_ddl_makes_every_column(void **state)
{
    (void)state;
    sqlite3 *db;
    char err[256] = "";
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(cs_schema_apply(db, 1, err, sizeof(err)), 0);

    size_t n;
    const struct cs_schema_table *t = cs_schema_tables(&n);
    assert_int_equal(n, 13);
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st;
        assert_int_equal(
            sqlite3_prepare_v2(db, "SELECT name, type FROM pragma_table_info(?1)", -1, &st, NULL),
            SQLITE_OK);
        sqlite3_bind_text(st, 1, t[i].name, -1, SQLITE_STATIC);
        /* id and cl, kept by the replica, then the descriptor's columns in its order. */
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(st, 0), "id");
        assert_string_equal((const char *)sqlite3_column_text(st, 1), "BLOB");
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(st, 0), "cl");
        for (size_t j = 0; j < t[i].ncolumns; j++) {
            const struct cs_schema_column *c = &t[i].columns[j];
            assert_int_equal(sqlite3_step(st), SQLITE_ROW);
            assert_string_equal((const char *)sqlite3_column_text(st, 0), c->name);
            assert_string_equal((const char *)sqlite3_column_text(st, 1), sql_type(c->type));
        }
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

static void
test_descriptor_resolves(void **state)
{
    (void)state;
    size_t n;
    const struct cs_schema_table *t = cs_schema_tables(&n);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(cs_schema_table(t[i].name), &t[i]);
        assert_non_null(t[i].label);
        assert_true(t[i].label[0] != 0);
        int typed = 1;
        for (size_t j = 0; j < t[i].ncolumns; j++) {
            const struct cs_schema_column *c = &t[i].columns[j];
            assert_ptr_equal(cs_schema_column(t[i].name, c->name), c); /* no name twice */
            assert_non_null(c->label);
            assert_true(c->label[0] != 0);
            /* The columns a person types come first: the client's entity is their prefix. */
            if (c->option == NULL)
                typed = 0;
            else
                assert_true(typed && c->option[0] != 0);
            if (c->type == CS_SCHEMA_CODE)
                assert_non_null(cs_code_list(c->arg));
            else if (c->type == CS_SCHEMA_REF)
                assert_non_null(cs_schema_table(c->arg));
            else
                assert_null(c->arg);
        }
        /* The key places a row: a unit's code, an org_unit, or a reference. */
        const struct cs_schema_column *key = cs_schema_column(t[i].name, t[i].key);
        assert_non_null(key);
        if (t[i].place == CS_SCHEMA_PLACE_PARENT)
            assert_int_equal(key->type, CS_SCHEMA_REF);
        else
            assert_int_equal(key->type, CS_SCHEMA_TEXT);
    }
    assert_null(cs_schema_table("cs_reg"));
    assert_null(cs_schema_column("candidate", "nosuch"));
    assert_null(cs_schema_column("nosuch", "id"));
}

/* The placement the hub's own table had (daemon/hub.c before the descriptor). */
static void
test_placement(void **state)
{
    (void)state;
    static const struct {
        const char *table;
        enum cs_schema_place place;
        const char *key, *parent;
    } want[] = {
        {"org_unit", CS_SCHEMA_PLACE_UNIT, "code", NULL},
        {"candidate", CS_SCHEMA_PLACE_ORG, "org_unit", NULL},
        {"member", CS_SCHEMA_PLACE_ORG, "org_unit", NULL},
        {"meeting", CS_SCHEMA_PLACE_ORG, "org_unit", NULL},
        {"target", CS_SCHEMA_PLACE_ORG, "org_unit", NULL},
        {"attendance", CS_SCHEMA_PLACE_PARENT, "meeting", "meeting"},
        {"assessment", CS_SCHEMA_PLACE_PARENT, "meeting", "meeting"},
        {"exception", CS_SCHEMA_PLACE_PARENT, "candidate", "candidate"},
        {"step_undo", CS_SCHEMA_PLACE_PARENT, "candidate", "candidate"},
        {"rating", CS_SCHEMA_PLACE_PARENT, "member", "member"},
        {"transfer", CS_SCHEMA_PLACE_PARENT, "member", "member"},
        {"holiday", CS_SCHEMA_PLACE_TREE, "org_unit", NULL},
        {"device", CS_SCHEMA_PLACE_TREE, "org_unit", NULL},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const struct cs_schema_table *t = cs_schema_table(want[i].table);
        assert_non_null(t);
        assert_int_equal(t->place, want[i].place);
        assert_string_equal(t->key, want[i].key);
        if (want[i].parent != NULL)
            assert_string_equal(cs_schema_column(t->name, t->key)->arg, want[i].parent);
    }
}

static void
test_stages(void **state)
{
    (void)state;
    for (int s = 0; s <= CS_STAGE_WITHDRAWN; s++) {
        const char *code = cs_stage_code((enum cs_stage)s);
        assert_non_null(code);
        assert_int_equal(cs_stage_from_code(code), s);
        /* Its date is a date column of candidate. */
        const char *col = cs_candidate_stage_column((enum cs_stage)s);
        assert_non_null(col);
        const struct cs_schema_column *c = cs_schema_column("candidate", col);
        assert_non_null(c);
        assert_int_equal(c->type, CS_SCHEMA_DATE);
        /* The "stage" code list is the stages, in order, each with a label. */
        const struct cs_code_label *l = &cs_code_list("stage")[s];
        assert_string_equal(l->code, code);
        assert_true(l->label[0] != 0);
    }
    assert_null(cs_code_list("stage")[CS_STAGE_WITHDRAWN + 1].code);
    assert_null(cs_stage_code((enum cs_stage)(CS_STAGE_WITHDRAWN + 1)));
    assert_null(cs_candidate_stage_column((enum cs_stage)(CS_STAGE_WITHDRAWN + 1)));
    assert_int_equal(cs_stage_from_code("nosuch"), -1);
    assert_int_equal(CS_STAGE__COUNT, CS_STAGE_WITHDRAWN);
    assert_string_equal(cs_stage_code(CS_STAGE_APPLIED), "applied");
    /* One wording, DESIGN.md's, for the list and the rules' messages. */
    assert_string_equal(cs_code_label("stage", "applied"), "application and biography");
    assert_string_equal(cs_code_label("stage", "ceremony"), "ceremony");
}

/* What each role may write: daemon/hub.c's role_allows() before the descriptor. */
static void
test_writers(void **state)
{
    (void)state;
    static const char *const cell_tables[] = {"candidate",  "member",    "meeting",   "attendance",
                                              "assessment", "exception", "step_undo", "rating"};
    static const char *const committee_tables[] = {"org_unit", "target", "transfer"};
    for (size_t i = 0; i < sizeof(cell_tables) / sizeof(cell_tables[0]); i++) {
        assert_true(cs_schema_table_writable(cell_tables[i], "cell"));
        assert_true(cs_schema_table_writable(cell_tables[i], "committee"));
        assert_true(cs_schema_table_writable(cell_tables[i], "hub"));
    }
    for (size_t i = 0; i < sizeof(committee_tables) / sizeof(committee_tables[0]); i++) {
        assert_false(cs_schema_table_writable(committee_tables[i], "cell"));
        assert_false(cs_schema_column_writable(committee_tables[i], "org_unit", "cell"));
        assert_true(cs_schema_table_writable(committee_tables[i], "committee"));
        assert_true(cs_schema_table_writable(committee_tables[i], "hub"));
    }
    /* A table this version does not know: only a hub forwards it. */
    assert_false(cs_schema_table_writable("nosuch", "cell"));
    assert_false(cs_schema_table_writable("nosuch", "committee"));
    assert_true(cs_schema_table_writable("nosuch", "hub"));
    assert_true(cs_schema_column_writable("nosuch", "x", "hub"));
    /* Any other role writes nothing. */
    assert_false(cs_schema_table_writable("candidate", ""));
    assert_false(cs_schema_table_writable("candidate", "admin"));
    assert_false(cs_schema_column_writable("candidate", "note", "admin"));
    assert_false(cs_stage_writable(CS_STAGE_HELPER, "admin"));

    /*
     * The admission decision is the committee's: its date on candidates. A
     * member record's copy of it is the cell's register (the ceremony
     * copies it there).
     */
    size_t n;
    const struct cs_schema_table *t = cs_schema_tables(&n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < t[i].ncolumns; j++) {
            const char *col = t[i].columns[j].name;
            int decision = strcmp(col, "decision_on") == 0 && strcmp(t[i].name, "candidate") == 0;
            assert_true(cs_schema_column_writable(t[i].name, col, "hub"));
            assert_int_equal(cs_schema_column_writable(t[i].name, col, "committee"),
                             t[i].writer <= CS_ROLE_COMMITTEE);
            assert_int_equal(cs_schema_column_writable(t[i].name, col, "cell"),
                             t[i].writer == CS_ROLE_CELL && !decision);
        }
    assert_false(cs_schema_column_writable("candidate", "decision_on", "cell"));
    assert_true(cs_schema_column_writable("member", "decision_on", "cell"));
    /* A column of a newer version follows its table. */
    assert_false(cs_schema_column_writable("candidate", "newer_column", "cell"));
    assert_false(cs_schema_column_writable("candidate", "newer_column", "committee"));
    assert_true(cs_schema_column_writable("candidate", "newer_column", "hub"));
    assert_true(cs_schema_column_writable("candidate", "_cl", "cell"));
    assert_false(cs_schema_column_writable("target", "_cl", "cell"));
    assert_false(cs_schema_column_writable("target", "newer_column", "cell"));
    assert_false(cs_schema_table_writable("holiday", "cell"));
    assert_true(cs_schema_table_writable("holiday", "committee"));
    /* Only the hub names devices: no laptop may forge another's name. */
    assert_false(cs_schema_table_writable("device", "committee"));
    assert_true(cs_schema_table_writable("device", "hub"));

    /* ... and so the stage that records it; a cell sets every other stage. */
    for (int s = 0; s <= CS_STAGE_WITHDRAWN; s++) {
        assert_int_equal(cs_stage_writable((enum cs_stage)s, "cell"), s != CS_STAGE_DECISION);
        assert_true(cs_stage_writable((enum cs_stage)s, "committee"));
        assert_true(cs_stage_writable((enum cs_stage)s, "hub"));
    }
    assert_false(cs_stage_writable((enum cs_stage)(CS_STAGE_WITHDRAWN + 1), "hub"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ddl_makes_every_column),
        cmocka_unit_test(test_descriptor_resolves),
        cmocka_unit_test(test_placement),
        cmocka_unit_test(test_stages),
        cmocka_unit_test(test_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
