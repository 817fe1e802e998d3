/* SPDX-License-Identifier: MIT */
/*
 * A candidate's steps written through a replica (cellsync/candidate.h) and
 * records deleted and restored (cellsync/record.h): past steps in date
 * order need no exception, a step not named is refused once the stage
 * changed today, an undo clears what its step brought and keeps why, and a
 * deleted record stays, found by its id or name, with who deleted it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cellsync/candidate.h"
#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/find.h"
#include "cellsync/record.h"

static struct cs_replica *
open_replica(void)
{
    struct cs_replica *r;
    struct cs_id site;
    char err[256] = "";
    cs_id_new(&site);
    assert_int_equal(cs_replica_open(&r, ":memory:", CS_REPLICA_CREATE, &site, err, sizeof(err)),
                     0);
    assert_int_equal(cs_codes_sql_register(cs_replica_db(r)), 0);
    return r;
}

static int32_t
D(const char *s)
{
    int32_t d;
    assert_int_equal(cs_date_parse(s, &d, NULL, 0), 0);
    return d;
}

/* A column of a row as text, "" for NULL. */
static const char *
text(struct cs_replica *r, const char *table, const struct cs_id *id, const char *column)
{
    static char buf[256];
    char sql[128];
    sqlite3_stmt *st;
    snprintf(sql, sizeof(sql), "SELECT coalesce(%s, '') FROM %s WHERE id = ?1", column, table);
    assert_int_equal(sqlite3_prepare_v2(cs_replica_db(r), sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_blob(st, 1, id->b, CS_ID_LEN, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(buf, sizeof(buf), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

static int
count(struct cs_replica *r, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(cs_replica_db(r), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void
add_person(struct cs_replica *r, const char *table, struct cs_id *id, const char *name,
           const char *birth, const char *status)
{
    char err[256] = "";
    cs_id_new(id);
    assert_int_equal(cs_replica_begin(r, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_set_text(r, table, id, "full_name", name, err, sizeof(err)), 0);
    if (birth != NULL)
        assert_int_equal(cs_replica_set_text(r, table, id, "birth_date", birth, err, sizeof(err)),
                         0);
    if (status != NULL)
        assert_int_equal(cs_replica_set_text(r, table, id, "status", status, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_commit(r, err, sizeof(err)), 0);
}

/* A candidate with its steps from paper, in one transaction; returns cs_candidate_record's code. */
static int
record(struct cs_replica *r, struct cs_id *id, const char *birth, struct cs_step *steps, size_t n,
       const struct cs_casework *k, size_t *failed, char *err, size_t errlen)
{
    cs_id_new(id);
    assert_int_equal(cs_replica_begin(r, err, errlen), 0);
    assert_int_equal(
        cs_replica_set_text(r, "candidate", id, "full_name", "Nguyễn Văn Sỹ", err, errlen), 0);
    assert_int_equal(cs_replica_set_text(r, "candidate", id, "birth_date", birth, err, errlen), 0);
    int ret = cs_candidate_record(r, id, steps, n, k, failed, err, errlen);
    if (ret == 0)
        assert_int_equal(cs_replica_commit(r, err, errlen), 0);
    else
        cs_replica_rollback(r);
    return ret;
}

static void
test_record_past_steps(void **state)
{
    (void)state;
    struct cs_replica *r = open_replica();
    struct cs_casework k = {.today = D("2026-03-02")};
    struct cs_step s[4];
    struct cs_id helper, id;
    char err[512] = "";
    size_t failed = 99;

    add_person(r, "member", &helper, "Đinh Văn Thắng", NULL, "official");
    for (int i = 0; i < 4; i++) {
        cs_step_init(&s[i]);
        s[i].stage = i;
    }
    s[0].on = D("2024-01-05");
    s[1].on = D("2024-02-01");
    s[1].helper = &helper;
    s[2].on = D("2024-03-01");
    s[3].on = D("2024-04-01");
    assert_int_equal(record(r, &id, "1990-01-01", s, 4, &k, &failed, err, sizeof(err)), 0);
    assert_string_equal(text(r, "candidate", &id, "stage"), "applied");
    assert_string_equal(text(r, "candidate", &id, "identified_on"), "2024-01-05");
    assert_string_equal(text(r, "candidate", &id, "class_on"), "2024-03-01");
    assert_int_equal(s[3].reached, CS_STAGE_APPLIED);
    /* In date order: no exception. */
    assert_int_equal(count(r, "SELECT count(*) FROM exception"), 0);

    /* Out of order: the step refused is named by its index, nothing stays. */
    s[2].on = D("2024-01-20");
    assert_int_equal(record(r, &id, "1990-01-01", s, 4, &k, &failed, err, sizeof(err)), CS_ERULE);
    assert_int_equal(failed, 2);
    assert_int_equal(count(r, "SELECT count(*) FROM candidate"), 1);
    /* ...unless forced, with the exception kept. */
    k.force_reason = "hồ sơ giấy";
    assert_int_equal(record(r, &id, "1990-01-01", s, 4, &k, &failed, err, sizeof(err)), 0);
    assert_int_equal(count(r, "SELECT count(*) FROM exception WHERE rule = 'order'"), 1);
    k.force_reason = NULL;

    /* The identification date is not in the future; the first step is identification. */
    s[0].on = D("2026-03-03");
    assert_int_equal(record(r, &id, "1990-01-01", s, 1, &k, &failed, err, sizeof(err)), CS_EINVAL);
    assert_string_equal(s[0].field, "identified_on");
    assert_int_equal(failed, 0);
    s[0].on = CS_DATE_NONE;
    assert_int_equal(record(r, &id, "1990-01-01", &s[1], 1, &k, &failed, err, sizeof(err)),
                     CS_ESTAGE);
    /* Every step's date: none after today, none left out before the last. */
    s[0].on = D("2024-01-05");
    s[2].on = D("2026-03-03");
    assert_int_equal(record(r, &id, "1990-01-01", s, 4, &k, &failed, err, sizeof(err)), CS_EINVAL);
    assert_int_equal(failed, 2);
    assert_string_equal(s[2].field, "class_on");
    assert_non_null(strstr(err, "after today"));
    s[2].on = CS_DATE_NONE;
    assert_int_equal(record(r, &id, "1990-01-01", s, 4, &k, &failed, err, sizeof(err)), CS_EINVAL);
    assert_int_equal(failed, 2);
    assert_string_equal(s[2].field, "class_on");
    assert_string_equal(err, "the step 'awareness class passed' needs its date, since a later step "
                             "has one");
    s[0].on = CS_DATE_NONE;
    s[2].on = D("2024-03-01");
    assert_int_equal(record(r, &id, "1990-01-01", s, 4, &k, &failed, err, sizeof(err)), CS_EINVAL);
    assert_int_equal(failed, 0);
    assert_string_equal(s[0].field, "identified_on");
    assert_int_equal(count(r, "SELECT count(*) FROM candidate"), 2);
    /* A helper at the class step is refused, naming it. */
    s[0].on = D("2024-01-05");
    s[2].on = D("2024-03-01");
    s[2].helper = &helper;
    assert_int_equal(record(r, &id, "1990-01-01", s, 3, &k, &failed, err, sizeof(err)), CS_EINVAL);
    assert_int_equal(failed, 2);
    assert_string_equal(s[2].field, "helper");
    cs_replica_close(r);
}

/* Paper steps from the dates given: up to the last one, what each brings on its own step. */
static void
test_paper_steps(void **state)
{
    (void)state;
    int32_t on[CS_STAGE__COUNT];
    struct cs_step brings, s[CS_STAGE__COUNT];
    struct cs_id helper, sponsor;

    for (int i = 0; i < CS_STAGE__COUNT; i++)
        on[i] = CS_DATE_NONE;
    cs_step_init(&brings);
    brings.helper = &helper;
    brings.sponsor[0] = &sponsor;
    on[CS_STAGE_IDENTIFIED] = D("2024-01-05");
    on[CS_STAGE_CLASS] = D("2024-03-01");
    assert_int_equal(cs_candidate_paper_steps(on, -1, &brings, s), CS_STAGE_CLASS + 1);
    assert_int_equal(s[CS_STAGE_CLASS].on, D("2024-03-01"));
    assert_int_equal(s[CS_STAGE_HELPER].on, CS_DATE_NONE);
    assert_int_equal(s[CS_STAGE_HELPER].stage, CS_STAGE_HELPER);
    assert_ptr_equal(s[CS_STAGE_HELPER].helper, &helper);
    /* The sponsor's step is not reached: it goes on the last, where the rules name it. */
    assert_ptr_equal(s[CS_STAGE_CLASS].sponsor[0], &sponsor);
    assert_null(s[CS_STAGE_HELPER].sponsor[0]);
    /* A stage named goes further than the dates. */
    assert_int_equal(cs_candidate_paper_steps(on, CS_STAGE_CELL, &brings, s), CS_STAGE_CELL + 1);
    assert_ptr_equal(s[CS_STAGE_CELL].sponsor[0], &sponsor);
    for (int i = 0; i < CS_STAGE__COUNT; i++)
        on[i] = CS_DATE_NONE;
    assert_int_equal(cs_candidate_paper_steps(on, -1, &brings, s), 1);
    assert_ptr_equal(s[0].helper, &helper);
}

static void
test_advance_once_a_day(void **state)
{
    (void)state;
    struct cs_replica *r = open_replica();
    struct cs_casework k = {.today = D("2026-03-02")};
    struct cs_step s;
    struct cs_id helper, id;
    char err[512] = "";

    add_person(r, "member", &helper, "Đinh Văn Thắng", NULL, "official");
    cs_step_init(&s);
    assert_int_equal(record(r, &id, "1990-01-01", &s, 1, &k, NULL, err, sizeof(err)), 0);
    /* Added today: the first step needs no name. */
    cs_step_init(&s);
    s.helper = &helper;
    assert_int_equal(cs_candidate_advance(r, &id, &s, &k, err, sizeof(err)), 0);
    assert_int_equal(s.reached, CS_STAGE_HELPER);
    /* The same again: refused, the stage stays. */
    assert_int_equal(cs_candidate_advance(r, &id, &s, &k, err, sizeof(err)), CS_ESTAGE);
    assert_non_null(strstr(err, "--to class_passed"));
    cs_step_init(&s);
    assert_int_equal(cs_candidate_advance(r, &id, &s, &k, err, sizeof(err)), CS_ESTAGE);
    assert_string_equal(text(r, "candidate", &id, "stage"), "helper_assigned");
    /* Named, it goes; a wrong name does not. */
    s.stage = CS_STAGE_APPLIED;
    assert_int_equal(cs_candidate_advance(r, &id, &s, &k, err, sizeof(err)), CS_ESTAGE);
    s.stage = CS_STAGE_CLASS;
    assert_int_equal(cs_candidate_advance(r, &id, &s, &k, err, sizeof(err)), 0);
    /* A cell may not record the committee's decision. */
    k.role = "cell";
    for (int st = CS_STAGE_APPLIED; st <= CS_STAGE_GRASSROOTS; st++) {
        cs_step_init(&s);
        s.stage = st;
        assert_int_equal(cs_candidate_advance(r, &id, &s, &k, err, sizeof(err)),
                         st == CS_STAGE_CELL ? CS_ERULE : 0);
        if (st == CS_STAGE_CELL) {
            k.force_reason = "thử";
            assert_int_equal(cs_candidate_advance(r, &id, &s, &k, err, sizeof(err)), 0);
            k.force_reason = NULL;
        }
    }
    cs_step_init(&s);
    s.stage = CS_STAGE_DECISION;
    assert_int_equal(cs_candidate_advance(r, &id, &s, &k, err, sizeof(err)), CS_ESTAGE);
    assert_non_null(strstr(err, "committee"));
    cs_replica_close(r);
}

static void
test_undo(void **state)
{
    (void)state;
    struct cs_replica *r = open_replica();
    struct cs_casework k = {.today = D("2026-03-02")};
    struct cs_step s[CS_STAGE__COUNT];
    struct cs_id helper, sp1, sp2, id, member;
    enum cs_stage from, to;
    char err[512] = "";

    add_person(r, "member", &helper, "Đinh Văn Thắng", NULL, "official");
    add_person(r, "member", &sp1, "Hoàng Thị Mai", NULL, "official");
    add_person(r, "member", &sp2, "Vàng A Páo", NULL, "official");
    static const char *const dates[] = {"2024-01-05", "2024-02-01", "2024-03-01",
                                        "2024-04-01", "2024-05-01", "2024-06-03",
                                        "2024-06-20", "2024-07-01", "2024-07-15"};
    for (int i = 0; i <= CS_STAGE_CEREMONY; i++) {
        cs_step_init(&s[i]);
        s[i].stage = i;
        s[i].on = D(dates[i]);
    }
    s[CS_STAGE_HELPER].helper = &helper;
    s[CS_STAGE_CELL].sponsor[0] = &sp1;
    s[CS_STAGE_CELL].sponsor[1] = &sp2;
    assert_int_equal(
        record(r, &id, "1990-01-01", s, CS_STAGE_CEREMONY + 1, &k, NULL, err, sizeof(err)), 0);
    assert_int_equal(count(r, "SELECT count(*) FROM member WHERE status = 'probationary'"), 1);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(cs_replica_db(r), "SELECT member FROM candidate", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    memcpy(member.b, sqlite3_column_blob(st, 0), CS_ID_LEN);
    sqlite3_finalize(st);

    assert_int_equal(cs_candidate_undo(r, &id, "", &k, &from, &to, err, sizeof(err)), CS_EINVAL);
    /* The ceremony undone by a cell: back to the committee's decision, the member deleted. */
    k.role = "cell";
    assert_int_equal(cs_candidate_undo(r, &id, "chưa tổ chức lễ", &k, &from, &to, err, sizeof(err)),
                     0);
    assert_int_equal(from, CS_STAGE_CEREMONY);
    assert_int_equal(to, CS_STAGE_DECISION);
    assert_string_equal(text(r, "candidate", &id, "ceremony_on"), "");
    assert_string_equal(text(r, "candidate", &id, "member"), "");
    assert_string_equal(text(r, "member", &member, "cl"), "2");
    assert_string_equal(text(r, "member", &member, "full_name"), "Nguyễn Văn Sỹ");
    /* The decision is the committee's to undo. */
    assert_int_equal(cs_candidate_undo(r, &id, "x", &k, &from, &to, err, sizeof(err)), CS_ESTAGE);
    k.role = NULL;
    assert_int_equal(cs_candidate_undo(r, &id, "x", &k, &from, &to, err, sizeof(err)), 0);
    assert_int_equal(cs_candidate_undo(r, &id, "x", &k, &from, &to, err, sizeof(err)), 0);
    /* The cell resolution's sponsors go with it. */
    assert_int_equal(cs_candidate_undo(r, &id, "x", &k, &from, &to, err, sizeof(err)), 0);
    assert_int_equal(from, CS_STAGE_CELL);
    assert_string_equal(text(r, "candidate", &id, "sponsor1"), "");
    assert_string_equal(text(r, "candidate", &id, "cell_resolution_on"), "");
    for (int i = 0; i < 3; i++)
        assert_int_equal(cs_candidate_undo(r, &id, "x", &k, &from, &to, err, sizeof(err)), 0);
    /* The helper step: its helper goes too; then nothing is left to undo. */
    assert_int_equal(cs_candidate_undo(r, &id, "không đúng", &k, &from, &to, err, sizeof(err)), 0);
    assert_int_equal(to, CS_STAGE_IDENTIFIED);
    assert_string_equal(text(r, "candidate", &id, "helper"), "");
    assert_string_equal(text(r, "candidate", &id, "identified_on"), "2024-01-05");
    assert_int_equal(cs_candidate_undo(r, &id, "x", &k, &from, &to, err, sizeof(err)), CS_ESTAGE);
    /* Each undo kept: which step, its date, why. */
    assert_int_equal(count(r, "SELECT count(*) FROM step_undo"), 8);
    assert_int_equal(count(r, "SELECT count(*) FROM step_undo WHERE stage = 'helper_assigned'"
                              " AND stage_on = '2024-02-01' AND reason = 'không đúng'"),
                     1);

    /* A withdrawal undone goes back to the last stage reached. */
    cs_step_init(&s[0]);
    assert_int_equal(cs_replica_begin(r, err, sizeof(err)), 0);
    assert_int_equal(
        cs_replica_set_text(r, "candidate", &id, "stage", "withdrawn", err, sizeof(err)), 0);
    assert_int_equal(
        cs_replica_set_text(r, "candidate", &id, "withdrawn_reason", "chuyển đi", err, sizeof(err)),
        0);
    assert_int_equal(cs_replica_commit(r, err, sizeof(err)), 0);
    assert_int_equal(cs_candidate_undo(r, &id, "x", &k, &from, &to, err, sizeof(err)), 0);
    assert_int_equal(to, CS_STAGE_IDENTIFIED);
    assert_string_equal(text(r, "candidate", &id, "withdrawn_reason"), "");
    cs_replica_close(r);
}

/*
 * The months each sponsor has known the candidate: judged by the
 * sponsor_months rule at the cell resolution, refused under 12 unless
 * excepted, written to the record and cleared by the undo.
 */
static void
test_sponsor_months(void **state)
{
    (void)state;
    struct cs_replica *r = open_replica();
    struct cs_casework k = {.today = D("2026-03-02")};
    struct cs_step s[CS_STAGE__COUNT];
    struct cs_id helper, sp1, sp2, id;
    char err[512] = "";
    size_t failed = 0;

    add_person(r, "member", &helper, "Đinh Văn Thắng", NULL, "official");
    add_person(r, "member", &sp1, "Hoàng Thị Mai", NULL, "official");
    add_person(r, "member", &sp2, "Vàng A Páo", NULL, "official");
    static const char *const dates[] = {"2024-01-05", "2024-02-01", "2024-03-01",
                                        "2024-04-01", "2024-05-01", "2024-06-03"};
    for (int i = 0; i <= CS_STAGE_VERIFIED; i++) {
        cs_step_init(&s[i]);
        s[i].stage = i;
        s[i].on = D(dates[i]);
        assert_int_equal(s[i].sponsor_months[0], -1);
    }
    s[CS_STAGE_HELPER].helper = &helper;
    assert_int_equal(
        record(r, &id, "1990-01-01", s, CS_STAGE_VERIFIED + 1, &k, NULL, err, sizeof(err)), 0);

    struct cs_step c;
    cs_step_init(&c);
    c.on = D(dates[CS_STAGE_CELL]);
    c.sponsor[0] = &sp1;
    c.sponsor[1] = &sp2;
    /* Months of a sponsor not chosen, or not a number of months: the input named. */
    c.sponsor[1] = NULL;
    c.sponsor_months[1] = 24;
    assert_int_equal(cs_candidate_advance(r, &id, &c, &k, err, sizeof(err)), CS_EINVAL);
    assert_string_equal(c.field, "sponsor2_months");
    c.sponsor[1] = &sp2;
    c.sponsor_months[0] = CS_STEP_MONTHS_MAX + 1;
    assert_int_equal(cs_candidate_advance(r, &id, &c, &k, err, sizeof(err)), CS_EINVAL);
    assert_string_equal(c.field, "sponsor1_months");
    /* Under 12 months: the rule refuses, saying so; nothing is written. */
    c.sponsor_months[0] = 5;
    assert_int_equal(cs_candidate_advance(r, &id, &c, &k, err, sizeof(err)), CS_ERULE);
    assert_non_null(strstr(err, "sponsor 1 has known the candidate for 5 months"));
    assert_string_equal(text(r, "candidate", &id, "stage"), "biography_verified");
    assert_string_equal(text(r, "candidate", &id, "sponsor1_months"), "");
    /* Not recorded is not a shortfall (the months are often not written down). */
    c.sponsor_months[0] = -1;
    c.sponsor_months[1] = -1;
    assert_int_equal(cs_candidate_advance(r, &id, &c, &k, err, sizeof(err)), 0);
    enum cs_stage from, to;
    assert_int_equal(cs_candidate_undo(r, &id, "x", &k, &from, &to, err, sizeof(err)), 0);
    /* 12 and more: the step goes and the months are kept on the record. */
    c.stage = CS_STAGE_CELL;
    c.sponsor_months[0] = 12;
    c.sponsor_months[1] = 30;
    assert_int_equal(cs_candidate_advance(r, &id, &c, &k, err, sizeof(err)), 0);
    assert_string_equal(text(r, "candidate", &id, "sponsor1_months"), "12");
    assert_string_equal(text(r, "candidate", &id, "sponsor2_months"), "30");
    struct cs_rules_facts f;
    assert_int_equal(cs_candidate_facts(cs_replica_db(r), &id, &f), 0);
    assert_int_equal(f.sponsor[0].months_known, 12);
    assert_int_equal(f.sponsor[1].months_known, 30);
    /* The undo clears them with the sponsors. */
    assert_int_equal(cs_candidate_undo(r, &id, "x", &k, &from, &to, err, sizeof(err)), 0);
    assert_string_equal(text(r, "candidate", &id, "sponsor1_months"), "");
    assert_string_equal(text(r, "candidate", &id, "sponsor2_months"), "");
    /* Forced with a reason: an exception to the sponsor_months rule, the months kept. */
    c.sponsor_months[0] = 5;
    k.force_reason = "hồ sơ giấy ghi vậy";
    assert_int_equal(cs_candidate_advance(r, &id, &c, &k, err, sizeof(err)), 0);
    k.force_reason = NULL;
    assert_string_equal(text(r, "candidate", &id, "sponsor1_months"), "5");
    assert_int_equal(count(r, "SELECT count(*) FROM exception WHERE rule = 'sponsor_months'"
                              " AND stage = 'cell_resolution' AND cl % 2 = 1"),
                     1);
    /* Months at a step that takes no sponsors: refused with the sponsor. */
    cs_step_init(&c);
    c.stage = CS_STAGE_GRASSROOTS;
    c.sponsor[0] = &sp1;
    c.sponsor_months[0] = 24;
    assert_int_equal(cs_candidate_advance(r, &id, &c, &k, err, sizeof(err)), CS_EINVAL);
    assert_string_equal(c.field, "sponsor1");

    /* From paper: the months go on the cell resolution's step with the sponsors. */
    int32_t on[CS_STAGE__COUNT];
    for (int i = 0; i < CS_STAGE__COUNT; i++)
        on[i] = i <= CS_STAGE_CELL ? D(dates[i]) : CS_DATE_NONE;
    struct cs_step brings;
    cs_step_init(&brings);
    brings.helper = &helper;
    brings.sponsor[0] = &sp1;
    brings.sponsor[1] = &sp2;
    brings.sponsor_months[0] = 24;
    brings.sponsor_months[1] = 3;
    size_t n = cs_candidate_paper_steps(on, -1, &brings, s);
    assert_int_equal(n, CS_STAGE_CELL + 1);
    assert_int_equal(s[CS_STAGE_CELL].sponsor_months[1], 3);
    assert_int_equal(record(r, &id, "1991-01-01", s, n, &k, &failed, err, sizeof(err)), CS_ERULE);
    assert_int_equal(failed, CS_STAGE_CELL);
    assert_non_null(strstr(err, "sponsor 2 has known the candidate for 3 months"));
    s[CS_STAGE_CELL].sponsor_months[1] = 14;
    assert_int_equal(record(r, &id, "1991-01-01", s, n, &k, &failed, err, sizeof(err)), 0);
    assert_string_equal(text(r, "candidate", &id, "sponsor2_months"), "14");
    cs_replica_close(r);
}

/* A withdrawal: a reason, a date not in the future nor before the stage reached, once. */
static void
test_withdraw(void **state)
{
    (void)state;
    struct cs_replica *r = open_replica();
    struct cs_casework k = {.today = D("2026-03-02")};
    struct cs_step s[2];
    struct cs_id helper, id;
    char err[512] = "";

    add_person(r, "member", &helper, "Đinh Văn Thắng", NULL, "official");
    for (int i = 0; i < 2; i++) {
        cs_step_init(&s[i]);
        s[i].stage = i;
    }
    s[0].on = D("2025-01-06");
    s[1].on = D("2025-03-03");
    s[1].helper = &helper;
    assert_int_equal(record(r, &id, "1990-01-01", s, 2, &k, NULL, err, sizeof(err)), 0);

    assert_int_equal(cs_candidate_withdraw(r, &id, CS_DATE_NONE, "", &k, err, sizeof(err)),
                     CS_EINVAL);
    assert_int_equal(
        cs_candidate_withdraw(r, &id, D("2026-03-03"), "chuyển đi", &k, err, sizeof(err)),
        CS_EINVAL);
    assert_int_equal(
        cs_candidate_withdraw(r, &id, D("2025-03-02"), "chuyển đi", &k, err, sizeof(err)),
        CS_ERULE);
    assert_non_null(strstr(err, "03/03/2025"));
    k.role = "committee";
    assert_int_equal(cs_candidate_withdraw(r, &id, CS_DATE_NONE, "chuyển đi", &k, err, sizeof(err)),
                     0);
    assert_string_equal(text(r, "candidate", &id, "stage"), "withdrawn");
    assert_string_equal(text(r, "candidate", &id, "withdrawn_on"), "2026-03-02");
    assert_string_equal(text(r, "candidate", &id, "withdrawn_reason"), "chuyển đi");
    assert_int_equal(cs_candidate_withdraw(r, &id, CS_DATE_NONE, "x", &k, err, sizeof(err)),
                     CS_ESTAGE);
    cs_replica_close(r);
}

static void
test_delete_undelete(void **state)
{
    (void)state;
    struct cs_replica *r = open_replica();
    struct cs_record_life life;
    struct cs_id a, b, found;
    char err[256] = "", hex[CS_ID_HEX_LEN + 1], buf[128];

    add_person(r, "member", &a, "Đinh Văn Thắng", NULL, NULL);
    add_person(r, "member", &b, "Lò Thị Hoa", NULL, NULL);
    assert_int_equal(cs_record_life(r, "member", &a, &life), 0);
    assert_true(life.live);
    assert_int_equal(life.hlc, 0);
    assert_int_equal(cs_record_undelete(r, "member", &a, err, sizeof(err)), CS_EINVAL);

    assert_int_equal(cs_record_delete(r, "member", &a, err, sizeof(err)), 0);
    assert_int_equal(cs_record_delete(r, "member", &a, err, sizeof(err)), CS_EINVAL);
    assert_non_null(strstr(err, "already deleted"));
    assert_int_equal(cs_record_life(r, "member", &a, &life), 0);
    assert_false(life.live);
    assert_true(life.hlc != 0);
    assert_true(life.ours);
    assert_int_equal(cs_id_cmp(&life.origin, cs_replica_site(r)), 0);
    assert_non_null(strstr(cs_record_life_text(&life, buf, sizeof(buf)), "by this device"));
    /* Kept: the values stay, the row is only no longer live. */
    assert_string_equal(text(r, "member", &a, "full_name"), "Đinh Văn Thắng");
    assert_int_equal(count(r, "SELECT count(*) FROM member WHERE cl % 2 = 1"), 1);

    /* Found among the deleted by its name, or by the start or the end of its id. */
    assert_int_equal(
        cs_find_deleted(cs_replica_db(r), "member", "Đinh Văn Thắng", &found, err, sizeof(err)), 0);
    assert_int_equal(cs_id_cmp(&found, &a), 0);
    cs_id_to_hex(&a, hex);
    hex[10] = 0;
    assert_int_equal(cs_find_deleted(cs_replica_db(r), "member", hex, &found, err, sizeof(err)), 0);
    cs_id_short(&a, buf);
    assert_int_equal(cs_find_deleted(cs_replica_db(r), "member", buf, &found, err, sizeof(err)), 0);
    /* A live one is not. */
    assert_int_equal(
        cs_find_deleted(cs_replica_db(r), "member", "Lò Thị Hoa", &found, err, sizeof(err)),
        CS_ENOTFOUND);

    sqlite3_stmt *st;
    assert_int_equal(cs_record_deleted_list(r, "member", 0, &st, err, sizeof(err)), 0);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 1), "Đinh Văn Thắng");
    assert_string_equal((const char *)sqlite3_column_text(st, 3), "this device");
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);

    assert_int_equal(cs_record_undelete(r, "member", &a, err, sizeof(err)), 0);
    assert_int_equal(count(r, "SELECT count(*) FROM member WHERE cl % 2 = 1"), 2);
    assert_int_equal(cs_record_life(r, "member", &a, &life), 0);
    assert_true(life.live);
    struct cs_id none;
    cs_id_new(&none);
    assert_int_equal(cs_record_delete(r, "member", &none, err, sizeof(err)), CS_ENOTFOUND);
    assert_int_equal(cs_record_delete(r, "nosuch", &a, err, sizeof(err)), CS_ENOTFOUND);
    cs_replica_close(r);
}

/* A device by its name where the hub sent one, else its short id; this one as "this device". */
static void
test_device_label(void **state)
{
    (void)state;
    struct cs_replica *r = open_replica();
    sqlite3 *db = cs_replica_db(r);
    const struct cs_id *self = cs_replica_site(r);
    struct cs_id other, unnamed;
    char buf[CS_DEVICE_LABEL_LEN], shrt[CS_ID_SHORT_LEN + 1], err[256] = "";
    sqlite3_stmt *st;

    cs_id_new(&other);
    cs_id_new(&unnamed);
    assert_int_equal(cs_replica_begin(r, err, sizeof(err)), 0);
    assert_int_equal(
        cs_replica_set_text(r, "device", &other, "name", "máy phó bí thư", err, sizeof(err)), 0);
    assert_int_equal(cs_replica_set_text(r, "device", &unnamed, "name", "", err, sizeof(err)), 0);
    assert_int_equal(cs_replica_commit(r, err, sizeof(err)), 0);
    assert_string_equal(cs_device_label(db, self, self, buf, sizeof(buf)), "this device");
    assert_string_equal(cs_device_label(db, self, &other, buf, sizeof(buf)), "máy phó bí thư");
    cs_id_short(&unnamed, shrt);
    assert_string_equal(cs_device_label(db, self, &unnamed, buf, sizeof(buf)), shrt);
    /* Without self, this device is named as any other. */
    assert_string_equal(cs_device_label(db, NULL, &other, buf, sizeof(buf)), "máy phó bí thư");

    assert_int_equal(cs_device_sql_register(db, self), 0);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT device_label(?1), device_label('x')", -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_blob(st, 1, other.b, CS_ID_LEN, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "máy phó bí thư");
    assert_int_equal(sqlite3_column_type(st, 1), SQLITE_NULL);
    sqlite3_finalize(st);
    cs_replica_close(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_past_steps),  cmocka_unit_test(test_paper_steps),
        cmocka_unit_test(test_advance_once_a_day), cmocka_unit_test(test_undo),
        cmocka_unit_test(test_withdraw),           cmocka_unit_test(test_delete_undelete),
        cmocka_unit_test(test_device_label),       cmocka_unit_test(test_sponsor_months),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
