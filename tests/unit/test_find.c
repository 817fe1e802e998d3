/* SPDX-License-Identifier: MIT */
/*
 * Finding a record from what a person typed (cellsync/find.h), on a real
 * replica: names compared by their words (cs_text_fold), each way an id may
 * be typed, names as ids, and the messages for no match and for several.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cellsync/codes.h"
#include "cellsync/error.h"
#include "cellsync/find.h"
#include "cellsync/replica.h"

static struct cs_replica *
open_mem(void)
{
    struct cs_replica *r;
    struct cs_id site;
    char err[256];
    memset(site.b, 1, sizeof(site.b));
    assert_int_equal(cs_replica_open(&r, ":memory:", CS_REPLICA_CREATE, &site, err, sizeof(err)),
                     0);
    return r;
}

/* A live row of table with the given id, name and birth date. */
static void
add(struct cs_replica *r, const char *table, const char *hex, const char *name, const char *birth)
{
    struct cs_id id;
    char err[256];
    assert_int_equal(cs_id_from_hex(&id, hex, strlen(hex)), 0);
    assert_int_equal(cs_replica_begin(r, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_set_text(r, table, &id, "full_name", name, err, sizeof(err)), 0);
    if (birth != NULL)
        assert_int_equal(cs_replica_set_text(r, table, &id, "birth_date", birth, err, sizeof(err)),
                         0);
    assert_int_equal(cs_replica_commit(r, err, sizeof(err)), 0);
}

/* Names are compared by their words, as cs_text_fold() CS_FOLD_WORDS folds them. */
static const char *
fold(const char *text)
{
    static char buf[64];
    cs_text_fold(text, strlen(text), CS_FOLD_WORDS, buf, sizeof(buf));
    return buf;
}

static void
test_fold(void **state)
{
    (void)state;
    char small[8];

    assert_string_equal(fold("Nguyễn  Văn Sỹ"), "nguyen van sy");
    /* Decomposed (NFD) marks, đ, old and new tone placement, punctuation. */
    assert_string_equal(fold("Nguye\xcc\x82\xcc\x83n Va\xcc\x86n Sy\xcc\x83"), "nguyen van sy");
    assert_string_equal(fold(" ĐINH văn Thắng. "), "dinh van thang");
    assert_string_equal(fold("Hoàng Thị Thuỷ"), "hoang thi thuy");
    assert_string_equal(fold("Hoàng Thị Thủy"), "hoang thi thuy");
    /* Too long for the buffer: the whole length is returned, as snprintf does. */
    assert_int_equal(
        cs_text_fold("Nguyễn Văn Sỹ", strlen("Nguyễn Văn Sỹ"), CS_FOLD_WORDS, small, sizeof(small)),
        strlen("nguyen van sy"));
}

static void
test_ids_and_names(void **state)
{
    (void)state;
    struct cs_replica *r = open_mem();
    sqlite3 *db = cs_replica_db(r);
    struct cs_find_match m[4];
    struct cs_id id;
    char err[512], shrt[CS_ID_SHORT_LEN + 1];
    size_t n;

    /* Made in the same minute: the ids share their first digits, as UUIDv7s do. */
    add(r, "member", "019c0000-0000-7000-8000-0000a8a566f3", "Nguyễn Văn Sỹ", "2000-03-15");
    add(r, "member", "019c0000-0001-7000-8000-00001234a8a5", "Trần Văn Bình", "1980-01-02");
    add(r, "member", "019c0000-0002-7000-8000-0000b1b2c3c4", "Trần văn Binh", "1981-02-03");
    add(r, "candidate", "019c0000-0003-7000-8000-0000a8a50000", "Lò Thị Mai", NULL);

    /* The start of the short id a list shows wins over the end of another id. */
    assert_int_equal(cs_find_matches(db, "member", "a8a5", m, 4, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 1);
    cs_id_short(&m[0].id, shrt);
    assert_string_equal(shrt, "a8a566f3");
    assert_string_equal(m[0].name, "Nguyễn Văn Sỹ");
    assert_string_equal(m[0].detail, "15/03/2000");
    /* The end, as before, where no short id starts so; upper case and dashes are fine. */
    assert_int_equal(cs_find_record(db, "member", "34-A8A5", &id, err, sizeof(err)), 0);
    cs_id_short(&id, shrt);
    assert_string_equal(shrt, "1234a8a5");
    /* The start of the whole id, as git takes one. */
    assert_int_equal(cs_find_record(db, "member", "019c0000-0002", &id, err, sizeof(err)), 0);
    cs_id_short(&id, shrt);
    assert_string_equal(shrt, "b1b2c3c4");
    /* Another table's records are not members. */
    assert_int_equal(cs_find_record(db, "candidate", "a8a5", &id, err, sizeof(err)), 0);
    cs_id_short(&id, shrt);
    assert_string_equal(shrt, "a8a50000");

    /* A unique name, without tone marks or case; NFD typed. */
    assert_int_equal(cs_find_record(db, "member", "nguyen van sy", &id, err, sizeof(err)), 0);
    cs_id_short(&id, shrt);
    assert_string_equal(shrt, "a8a566f3");
    assert_int_equal(cs_find_record(db, "member", "Nguye\xcc\x82\xcc\x83n Va\xcc\x86n Sy\xcc\x83",
                                    &id, err, sizeof(err)),
                     0);
    /* Two people fold to one name: both listed with their birth dates. */
    assert_int_equal(cs_find_record(db, "member", "Tran Van Binh", &id, err, sizeof(err)),
                     CS_EAMBIGUOUS);
    assert_non_null(strstr(err, "more than one member is named 'Tran Van Binh'"));
    assert_non_null(strstr(err, "\n  1234a8a5  Trần Văn Bình  02/01/1980"));
    assert_non_null(strstr(err, "\n  b1b2c3c4  Trần văn Binh  03/02/1981"));
    /* An exact spelling is still the same words: still two. */
    assert_int_equal(cs_find_matches(db, "member", "Trần Văn Bình", m, 4, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 2);
    /* An id prefix shared by all three lists them too, as many as fit. */
    assert_int_equal(cs_find_record(db, "member", "019c", &id, err, sizeof(err)), CS_EAMBIGUOUS);
    assert_non_null(strstr(err, "has an id matching '019c'"));
    assert_int_equal(cs_find_record(db, "member", "019c", &id, err, 200), CS_EAMBIGUOUS);
    assert_non_null(strstr(err, "\n  a8a566f3  Nguyễn Văn Sỹ  15/03/2000\n  ... and 2 more"));

    /* Nothing: an id, a name, a part of a name. */
    assert_int_equal(cs_find_record(db, "member", "ffff", &id, err, sizeof(err)), CS_ENOTFOUND);
    assert_string_equal(err, "no member with id 'ffff'");
    assert_int_equal(cs_find_record(db, "member", "Văn", &id, err, sizeof(err)), CS_ENOTFOUND);
    assert_non_null(strstr(err, "'Văn' is not a record id or the name of a member"));
    assert_int_equal(cs_find_record(db, "member", "zz", &id, err, sizeof(err)), CS_ENOTFOUND);
    assert_int_equal(cs_find_record(db, "no_such", "zz", &id, err, sizeof(err)), CS_EINVAL);
    cs_replica_close(r);
}

/* A deleted record is not found, by id or by name, except among the deleted. */
static void
test_deleted(void **state)
{
    (void)state;
    struct cs_replica *r = open_mem();
    struct cs_id id;
    char err[256];
    add(r, "member", "019c0000-0000-7000-8000-0000a8a566f3", "Nguyễn Văn Sỹ", NULL);
    assert_int_equal(cs_id_from_hex(&id, "019c00000000700080000000a8a566f3", 32), 0);
    assert_int_equal(cs_replica_begin(r, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_delete_row(r, "member", &id, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_commit(r, err, sizeof(err)), 0);
    assert_int_equal(cs_find_record(cs_replica_db(r), "member", "a8a566f3", &id, err, sizeof(err)),
                     CS_ENOTFOUND);
    assert_int_equal(
        cs_find_record(cs_replica_db(r), "member", "Nguyễn Văn Sỹ", &id, err, sizeof(err)),
        CS_ENOTFOUND);

    /* Among the deleted, found the same ways: a name without marks, the short id's start. */
    struct cs_id found;
    assert_int_equal(
        cs_find_deleted(cs_replica_db(r), "member", "nguyen van sy", &found, err, sizeof(err)), 0);
    assert_int_equal(cs_id_cmp(&found, &id), 0);
    assert_int_equal(cs_find_deleted(cs_replica_db(r), "member", "a8a5", &found, err, sizeof(err)),
                     0);
    assert_int_equal(cs_id_cmp(&found, &id), 0);
    /* A live record is not among them; two deleted of one name are listed. */
    add(r, "member", "019c0000-0001-7000-8000-00001234a8a5", "Lò Thị Mai", NULL);
    assert_int_equal(
        cs_find_deleted(cs_replica_db(r), "member", "Lò Thị Mai", &found, err, sizeof(err)),
        CS_ENOTFOUND);
    assert_string_equal(err, "no deleted member matches 'Lò Thị Mai'");
    add(r, "member", "019c0000-0002-7000-8000-0000b1b2c3c4", "Nguyễn văn Sỹ", NULL);
    assert_int_equal(cs_id_from_hex(&id, "019c00000002700080000000b1b2c3c4", 32), 0);
    assert_int_equal(cs_replica_begin(r, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_delete_row(r, "member", &id, err, sizeof(err)), 0);
    assert_int_equal(cs_replica_commit(r, err, sizeof(err)), 0);
    assert_int_equal(
        cs_find_deleted(cs_replica_db(r), "member", "Nguyen Van Sy", &found, err, sizeof(err)),
        CS_EAMBIGUOUS);
    assert_non_null(strstr(err, "more than one deleted member matches 'Nguyen Van Sy'"));
    assert_non_null(strstr(err, "\n  a8a566f3  Nguyễn Văn Sỹ"));
    assert_non_null(strstr(err, "\n  b1b2c3c4  Nguyễn văn Sỹ"));
    cs_replica_close(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_ids_and_names),
        cmocka_unit_test(test_deleted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
