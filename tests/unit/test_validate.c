/* SPDX-License-Identifier: MIT */
/*
 * The checks every write path makes (cellsync/validate.h) and what they
 * stand on: folding text as people type it (cs_text_fold), choices typed as
 * codes or labels (cs_code_parse), the formats of citizen ids, phone and
 * party card numbers and dates of birth, and the search for a person
 * recorded twice, over the domain tables in memory. The labels in
 * Vietnamese last, with the build tree's catalog.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cellsync/codes.h"
#include "cellsync/date.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/schema.h"
#include "cellsync/validate.h"

static const char *
fold(const char *s, enum cs_fold how)
{
    static char buf[256];
    cs_text_fold(s, strlen(s), how, buf, sizeof(buf));
    return buf;
}

static void
test_fold(void **state)
{
    (void)state;
    assert_string_equal(fold("  Nguyễn   Văn\tSỹ ", CS_FOLD_CASE), "nguyễn văn sỹ");
    assert_string_equal(fold("  Nguyễn   Văn\tSỹ ", CS_FOLD_MARKS), "nguyen van sy");
    assert_string_equal(fold("ĐINH THỊ ƯỚC", CS_FOLD_CASE), "đinh thị ước");
    assert_string_equal(fold("ĐINH THỊ ƯỚC", CS_FOLD_MARKS), "dinh thi uoc");
    assert_string_equal(fold("Chính Thức", CS_FOLD_CASE), "chính thức");
    /* Decomposed (NFD: o + U+0300, u + U+031B + U+0301) comes out precomposed. */
    assert_string_equal(fold("L\x6f\xcc\x80 V\x75\xcc\x9b\xcc\x81", CS_FOLD_CASE), "lò vứ");
    assert_string_equal(fold("L\x6f\xcc\x80", CS_FOLD_MARKS), "lo");
    /* Digits and punctuation as they are; empty stays empty. */
    assert_string_equal(fold("Tổ 3, Bản Khe-Ván", CS_FOLD_MARKS), "to 3, ban khe-van");
    assert_string_equal(fold(" \t ", CS_FOLD_CASE), "");
    /* Words: punctuation and symbols part them, as they do where names and headings are read. */
    assert_string_equal(fold("Tổ 3, Bản Khe-Ván", CS_FOLD_WORDS), "to 3 ban khe van");
    assert_string_equal(fold(" ĐINH văn Thắng. ", CS_FOLD_WORDS), "dinh van thang");
    assert_string_equal(fold("Địa chỉ – birth_date #2 «x»", CS_FOLD_WORDS),
                        "dia chi birth date 2 x");
    assert_string_equal(fold("Nguye\xcc\x82\xcc\x83n Va\xcc\x86n Sy\xcc\x83", CS_FOLD_WORDS),
                        "nguyen van sy");
    assert_string_equal(fold("Hoàng Thị Thuỷ", CS_FOLD_WORDS), "hoang thi thuy");
    assert_string_equal(fold("HOÀNG THỊ THỦY", CS_FOLD_WORDS), "hoang thi thuy");
    assert_string_equal(fold("H'Hen Niê", CS_FOLD_WORDS), "h hen nie");
    assert_string_equal(fold("Ho\xcc\xa3", CS_FOLD_WORDS), "ho");
    assert_string_equal(fold("Müller 二", CS_FOLD_WORDS), "müller 二");
    assert_string_equal(fold("#.;", CS_FOLD_WORDS), "");

    /* Cut before a piece that does not fit; the whole length comes back. */
    char small[6];
    assert_int_equal(
        cs_text_fold("Đinh Văn", strlen("Đinh Văn"), CS_FOLD_CASE, small, sizeof(small)),
        strlen("đinh văn"));
    assert_string_equal(small, "đinh");
    assert_int_equal(cs_text_fold("abc", 3, CS_FOLD_CASE, small, 0), 3);
}

/* cs_code_parse() in the language in force; "" where it refuses. */
static const char *
parse(const char *list, const char *text, char *err, size_t errlen)
{
    const char *code = NULL;
    err[0] = 0;
    int ret = cs_code_parse(list, text, &code, err, errlen);
    if (ret != 0) {
        assert_int_equal(ret, CS_EINVAL);
        assert_null(code);
        return "";
    }
    assert_string_equal(err, "");
    return code;
}

static void
test_codes(void **state)
{
    char err[1024];
    (void)state;
    /* Codes, English labels, any case, '_' or a space. */
    assert_string_equal(parse("sex", "male", err, sizeof(err)), "male");
    assert_string_equal(parse("sex", " FEMALE ", err, sizeof(err)), "female");
    assert_string_equal(parse("source", "youth union member", err, sizeof(err)), "youth_union");
    assert_string_equal(parse("source", "Youth Union", err, sizeof(err)), "youth_union");
    assert_string_equal(parse("member_status", "transferred out", err, sizeof(err)),
                        "transferred_out");
    assert_string_equal(parse("meeting_kind", "regular monthly", err, sizeof(err)), "regular");

    /* A refusal lists the choices, labels with their codes where they differ. */
    assert_string_equal(parse("sex", "robot", err, sizeof(err)), "");
    assert_string_equal(err, "'robot' is not one of: male, female");
    assert_string_equal(parse("meeting_kind", "annual", err, sizeof(err)), "");
    assert_string_equal(err, "'annual' is not one of: regular monthly (regular), thematic");
    /* ... and the nearest when it looks like a slip. */
    assert_string_equal(parse("source", "youth_unoin", err, sizeof(err)), "");
    assert_non_null(strstr(err, "'youth_unoin' is not one of: youth union member (youth_union), "
                                "militia, "));
    assert_non_null(strstr(err, "; did you mean 'youth union member'?"));
    assert_string_equal(parse("member_status", "ofical", err, sizeof(err)), "");
    assert_non_null(strstr(err, "did you mean 'official'?"));
    assert_string_equal(parse("sex", "xyzzy", err, sizeof(err)), "");
    assert_null(strstr(err, "did you mean"));
    /* Unknown list. */
    assert_string_equal(parse("planets", "mars", err, sizeof(err)), "");
    assert_string_equal(err, "there is no list of choices 'planets'");
}

static void
test_choices_text(void **state)
{
    char buf[512];
    (void)state;
    assert_int_equal(cs_code_choices_text("sex", buf, sizeof(buf)), strlen("male, female"));
    assert_string_equal(buf, "male, female");
    /* The help once cut the list at 96 bytes in the middle of a code. */
    size_t whole = cs_code_choices_text("source", buf, sizeof(buf));
    assert_int_equal(whole, strlen(buf));
    assert_non_null(strstr(buf, "religious follower, farmer or business person (farmer_business), "
                                "other"));
    /* Too small: whole choices, then "...". */
    char small[40];
    assert_int_equal(cs_code_choices_text("source", small, sizeof(small)), whole);
    assert_string_equal(small, "youth union member (youth_union)...");
}

/* cs_validate_value() for column col of the candidate table; "" for a refusal. */
static const char *
check(const char *col, const char *text, char *err, size_t errlen)
{
    static char buf[CS_VALIDATE_BUFSZ];
    const struct cs_schema_column *c = cs_schema_column("candidate", col);
    const char *value = NULL;
    int32_t today;
    assert_non_null(c);
    assert_int_equal(cs_date_parse("2026-03-02", &today, NULL, 0), 0);
    err[0] = 0;
    int ret = cs_validate_value(c, text, today, buf, &value, err, errlen);
    if (ret != 0) {
        assert_int_equal(ret, CS_EINVAL);
        return "";
    }
    return value;
}

static void
test_formats(void **state)
{
    char err[512];
    (void)state;
    /* Citizen id: the 12 digits of the card, typed in groups or not. */
    assert_string_equal(check("citizen_id", "001200012345", err, sizeof(err)), "001200012345");
    assert_string_equal(check("citizen_id", "001 200 012 345", err, sizeof(err)), "001200012345");
    assert_string_equal(check("citizen_id", "abc", err, sizeof(err)), "");
    assert_string_equal(err, "citizen id: 'abc' is not a citizen id; write the 12 digits of the "
                             "citizen identity card");
    assert_string_equal(check("citizen_id", "0012000123456", err, sizeof(err)), "");
    assert_string_equal(check("citizen_id", "00120001234", err, sizeof(err)), "");
    assert_string_equal(check("citizen_id", "123456789", err, sizeof(err)), "");
    assert_non_null(strstr(err, "has 9 digits, like the old identity card"));

    /* Phones: stored as the national number. */
    assert_string_equal(check("phone", "0912345678", err, sizeof(err)), "0912345678");
    assert_string_equal(check("phone", "0912 345 678", err, sizeof(err)), "0912345678");
    assert_string_equal(check("phone", "0912.345.678", err, sizeof(err)), "0912345678");
    assert_string_equal(check("phone", "0912-345-678", err, sizeof(err)), "0912345678");
    assert_string_equal(check("phone", "+84 912 345 678", err, sizeof(err)), "0912345678");
    assert_string_equal(check("phone", "+84 (0) 912 345 678", err, sizeof(err)), "0912345678");
    assert_string_equal(check("phone", "84912345678", err, sizeof(err)), "0912345678");
    assert_string_equal(check("phone", "0084 912 345 678", err, sizeof(err)), "0912345678");
    assert_string_equal(check("phone", "(0214) 3852 123", err, sizeof(err)), "02143852123");
    assert_string_equal(check("phone", "+84 214 3852 123", err, sizeof(err)), "02143852123");
    assert_string_equal(check("phone", "xyz", err, sizeof(err)), "");
    assert_non_null(strstr(err, "phone: 'xyz' is not a Vietnamese phone number; write 10 digits"));
    assert_string_equal(check("phone", "091234567", err, sizeof(err)), "");   /* 9 digits */
    assert_string_equal(check("phone", "09123456789", err, sizeof(err)), ""); /* 11, not 02 */
    assert_string_equal(check("phone", "0212345678", err, sizeof(err)), "");  /* 02 has 11 */
    assert_string_equal(check("phone", "912345678", err, sizeof(err)), "");   /* no 0 */
    assert_string_equal(check("phone", "+1 650 253 0000", err, sizeof(err)), "");
    assert_string_equal(check("phone", "0912x345678", err, sizeof(err)), "");

    /* Party card: 8 digits (a member column). */
    static char buf[CS_VALIDATE_BUFSZ];
    const char *value;
    const struct cs_schema_column *card = cs_schema_column("member", "card_no");
    assert_int_equal(
        cs_validate_value(card, "1234 5678", CS_DATE_NONE, buf, &value, err, sizeof(err)), 0);
    assert_string_equal(value, "12345678");
    assert_int_equal(cs_validate_value(card, "CS-001", CS_DATE_NONE, buf, &value, err, sizeof(err)),
                     CS_EINVAL);
    assert_string_equal(err, "party card number: 'CS-001' is not a party card number; write its "
                             "8 digits");

    /* Dates: normalised; a birth date not after today. */
    assert_string_equal(check("birth_date", "15/3/2000", err, sizeof(err)), "2000-03-15");
    assert_string_equal(check("birth_date", "2026-03-02", err, sizeof(err)), "2026-03-02");
    assert_string_equal(check("birth_date", "2026-03-03", err, sizeof(err)), "");
    assert_string_equal(err, "date of birth: '2026-03-03' is after today; check the year");
    assert_string_equal(check("birth_date", "1899-12-31", err, sizeof(err)), "");
    assert_string_equal(check("birth_date", "31/02/2001", err, sizeof(err)), "");
    assert_string_equal(err, "date of birth: '31/02/2001' is not a date (write DD/MM/YYYY, or "
                             "YYYY-MM-DD)");
    /* Other dates may be in the future (a ceremony planned). */
    assert_string_equal(check("ceremony_on", "2027-01-01", err, sizeof(err)), "2027-01-01");

    /* Choices name the field. */
    assert_string_equal(check("sex", "Female", err, sizeof(err)), "female");
    assert_string_equal(check("sex", "robot", err, sizeof(err)), "");
    assert_string_equal(err, "sex: 'robot' is not one of: male, female");

    /* Free text as typed; "" is not checked. */
    assert_string_equal(check("hometown", " Bản Khe Ván ", err, sizeof(err)), " Bản Khe Ván ");
    assert_string_equal(check("citizen_id", "", err, sizeof(err)), "");
    assert_string_equal(err, "");
}

static sqlite3 *
domain_db(void)
{
    sqlite3 *db;
    char err[256];
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(cs_schema_apply(db, 0, err, sizeof(err)), 0);
    return db;
}

static void
put(sqlite3 *db, const char *table, int id, const char *name, const char *birth, const char *org,
    int member)
{
    char *sql = sqlite3_mprintf(
        member ? "INSERT INTO %s (id, cl, full_name, birth_date, org_unit,"
                 " member) VALUES (CAST(zeroblob(15) || char(%d) AS BLOB), 1, %Q, %Q, %Q,"
                 " CAST(zeroblob(15) || char(%d) AS BLOB))"
               : "INSERT INTO %s (id, cl, full_name, birth_date, org_unit)"
                 " VALUES (CAST(zeroblob(15) || char(%d) AS BLOB), 1, %Q, %Q, %Q)",
        table, id, name, birth, org, member);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_free(sql);
}

static struct cs_id
id_of(int n)
{
    struct cs_id id;
    memset(id.b, 0, sizeof(id.b));
    id.b[CS_ID_LEN - 1] = (uint8_t)n;
    return id;
}

/* The same checks with and without the device's indexes by date of birth. */
static void
duplicates(int indexed)
{
    sqlite3 *db = domain_db();
    struct cs_person_match m;
    char err[512];

    if (indexed) {
        assert_int_equal(cs_person_index(db), SQLITE_OK);
        assert_int_equal(cs_person_index(db), SQLITE_OK); /* once made, nothing to do */
        /* The check's key term is read by the index, not by a scan of the table. */
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "EXPLAIN QUERY PLAN SELECT id FROM candidate"
                                            " WHERE cl % 2 = 1 AND birth_date = ?1",
                                            -1, &st, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_non_null(strstr((const char *)sqlite3_column_text(st, 3), "candidate_birth"));
        sqlite3_finalize(st);
    }
    put(db, "candidate", 1, "Nguyễn Văn Sỹ", "2000-03-15", "YB01", 0);
    put(db, "member", 2, "Lò Thị Mai", "1975-04-12", "YB01", 0);
    /* The new record: the same name written otherwise, the same birth date. */
    put(db, "candidate", 3, "nguyen  VAN sy", "2000-03-15", "YB01", 0);
    struct cs_id row = id_of(3);
    assert_int_equal(cs_person_duplicate(db, "candidate", &row, NULL, &m, err, sizeof(err)),
                     CS_EDUPLICATE);
    assert_string_equal(m.table, "candidate");
    struct cs_id one = id_of(1);
    assert_memory_equal(m.id.b, one.b, CS_ID_LEN);
    assert_string_equal(m.name, "Nguyễn Văn Sỹ");
    assert_string_equal(err, "there is already a candidate with the same name and date of birth: "
                             "00000001 Nguyễn Văn Sỹ");

    /* A member too: a candidate who is already a member. */
    put(db, "candidate", 4, "Lò Thị Mai", "1975-04-12", NULL, 0);
    row = id_of(4);
    assert_int_equal(cs_person_duplicate(db, "candidate", &row, "YB01", &m, err, sizeof(err)),
                     CS_EDUPLICATE);
    assert_string_equal(m.table, "member");
    assert_string_equal(err, "there is already a member with the same name and date of birth: "
                             "00000002 Lò Thị Mai");

    /* Another birth date, another unit, a deleted record: not the same person. */
    put(db, "candidate", 5, "Nguyễn Văn Sỹ", "2000-03-16", "YB01", 0);
    row = id_of(5);
    assert_int_equal(cs_person_duplicate(db, "candidate", &row, NULL, &m, err, sizeof(err)), 0);
    put(db, "candidate", 6, "Nguyễn Văn Sỹ", "2000-03-15", "YB02", 0);
    row = id_of(6);
    assert_int_equal(cs_person_duplicate(db, "candidate", &row, NULL, &m, err, sizeof(err)), 0);
    assert_int_equal(
        sqlite3_exec(
            db,
            "UPDATE candidate SET cl = 2 WHERE id IN"
            " (CAST(zeroblob(15) || char(1) AS BLOB), CAST(zeroblob(15) || char(3) AS BLOB))",
            NULL, NULL, NULL),
        SQLITE_OK);
    put(db, "candidate", 7, "Nguyễn Văn Sỹ", "2000-03-15", "YB01", 0);
    row = id_of(7);
    assert_int_equal(cs_person_duplicate(db, "candidate", &row, NULL, &m, err, sizeof(err)), 0);

    /* A candidate and the member record made of it at the ceremony are one person. */
    put(db, "member", 8, "Hoàng Văn Tú", "1999-01-01", "YB01", 0);
    put(db, "candidate", 9, "Hoàng Văn Tú", "1999-01-01", "YB01", 8);
    row = id_of(9);
    assert_int_equal(cs_person_duplicate(db, "candidate", &row, NULL, &m, err, sizeof(err)), 0);
    row = id_of(8);
    assert_int_equal(cs_person_duplicate(db, "member", &row, NULL, &m, err, sizeof(err)), 0);

    /* The same words, as a name typed to find a record is compared: punctuation aside. */
    put(db, "member", 11, "Đỗ Thị Hà", "1990-01-01", "YB01", 0);
    put(db, "candidate", 12, "Đỗ-Thị Hà.", "1990-01-01", "YB01", 0);
    row = id_of(12);
    assert_int_equal(cs_person_duplicate(db, "candidate", &row, NULL, &m, err, sizeof(err)),
                     CS_EDUPLICATE);
    assert_string_equal(m.name, "Đỗ Thị Hà");

    /* Nothing to compare without a birth date, or for another table. */
    put(db, "candidate", 10, "Lò Thị Mai", NULL, "YB01", 0);
    row = id_of(10);
    assert_int_equal(cs_person_duplicate(db, "candidate", &row, NULL, &m, err, sizeof(err)), 0);
    assert_int_equal(cs_person_duplicate(db, "meeting", &row, NULL, &m, err, sizeof(err)), 0);
    sqlite3_close(db);
}

static void
test_duplicates(void **state)
{
    (void)state;
    duplicates(0);
}

static void
test_duplicates_indexed(void **state)
{
    (void)state;
    duplicates(1);
}

/* The labels in Vietnamese, as a cell secretary types them. */
static void
test_codes_vi(void **state)
{
    char err[1024];
    const char *dir = getenv("CELLSYNC_LOCALEDIR");
    char mo[4096];
    (void)state;
    snprintf(mo, sizeof(mo), "%s/vi/LC_MESSAGES/cellsync.mo", dir ? dir : "");
    if (dir == NULL || access(mo, R_OK) != 0) {
        print_message("no Vietnamese catalog under CELLSYNC_LOCALEDIR: skipped\n");
        skip();
    }
    setenv("LANGUAGE", "vi", 1);
    setenv("LC_ALL", "C.UTF-8", 1);
    cs_i18n_init();
    assert_string_equal(parse("sex", "nam", err, sizeof(err)), "male");
    assert_string_equal(parse("sex", "Nữ", err, sizeof(err)), "female");
    assert_string_equal(parse("sex", "nu", err, sizeof(err)), "female"); /* without marks */
    assert_string_equal(parse("member_status", "chính thức", err, sizeof(err)), "official");
    assert_string_equal(parse("member_status", "CHINH THUC", err, sizeof(err)), "official");
    assert_string_equal(parse("source", "đoàn viên", err, sizeof(err)), "youth_union");
    /* One part of a label with a comma. */
    assert_string_equal(parse("source", "sinh viên", err, sizeof(err)), "student");
    /* English labels and codes still work. */
    assert_string_equal(parse("sex", "female", err, sizeof(err)), "female");
    assert_string_equal(parse("source", "youth_union", err, sizeof(err)), "youth_union");
    /* The refusal in Vietnamese, labels with codes, "; " where a label has a comma. */
    assert_string_equal(parse("sex", "robot", err, sizeof(err)), "");
    assert_string_equal(err, "'robot' không thuộc các lựa chọn: nam (male), nữ (female)");
    assert_string_equal(parse("source", "doan vin", err, sizeof(err)), "");
    assert_non_null(strstr(err, "đoàn viên (youth_union); dân quân (militia); "));
    assert_non_null(strstr(err, "học sinh, sinh viên (student); "));
    assert_non_null(strstr(err, "có phải ý bạn là 'đoàn viên'?"));
}

int
main(void)
{
    /* English first: no LANGUAGE from the caller's environment. */
    unsetenv("LANGUAGE");
    setenv("LC_ALL", "C.UTF-8", 1);
    cs_i18n_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),         cmocka_unit_test(test_codes),
        cmocka_unit_test(test_choices_text), cmocka_unit_test(test_formats),
        cmocka_unit_test(test_duplicates),   cmocka_unit_test(test_duplicates_indexed),
        cmocka_unit_test(test_codes_vi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
