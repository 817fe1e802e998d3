/* SPDX-License-Identifier: MIT */
/*
 * The msgpack structure walker: it must accept every form msgpack-c writes,
 * agree with msgpack-c on where an object ends, and hold its limits exactly
 * (a limit of N accepts N and refuses N + 1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <msgpack.h>
#include <string.h>

#include "cellsync/changeset.h"
#include "cellsync/error.h"
#include "internal.h"

static int
check(const msgpack_sbuffer *sb, unsigned depth, uint32_t count, uint32_t str)
{
    return cs__mp_check((const uint8_t *)sb->data, sb->size, depth, count, str);
}

/* One array holding every kind of msgpack object, in every size class. */
static void
pack_everything(msgpack_sbuffer *sb)
{
    static char big[70000];
    msgpack_packer pk;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 31);
    msgpack_pack_nil(&pk);
    msgpack_pack_true(&pk);
    msgpack_pack_false(&pk);
    msgpack_pack_int64(&pk, 5);
    msgpack_pack_int64(&pk, -5);
    msgpack_pack_uint8(&pk, 200);
    msgpack_pack_uint16(&pk, 60000);
    msgpack_pack_uint32(&pk, 4000000000u);
    msgpack_pack_uint64(&pk, UINT64_MAX);
    msgpack_pack_int8(&pk, -100);
    msgpack_pack_int16(&pk, -30000);
    msgpack_pack_int32(&pk, -2000000000);
    msgpack_pack_int64(&pk, INT64_MIN);
    msgpack_pack_float(&pk, 1.5f);
    msgpack_pack_double(&pk, 2.5);
    msgpack_pack_str(&pk, 3);
    msgpack_pack_str_body(&pk, "abc", 3);
    msgpack_pack_str(&pk, 200);
    msgpack_pack_str_body(&pk, big, 200);
    msgpack_pack_str(&pk, 1000);
    msgpack_pack_str_body(&pk, big, 1000);
    msgpack_pack_str(&pk, sizeof(big));
    msgpack_pack_str_body(&pk, big, sizeof(big));
    msgpack_pack_bin(&pk, 10);
    msgpack_pack_bin_body(&pk, big, 10);
    msgpack_pack_bin(&pk, 300);
    msgpack_pack_bin_body(&pk, big, 300);
    msgpack_pack_bin(&pk, sizeof(big));
    msgpack_pack_bin_body(&pk, big, sizeof(big));
    for (size_t n = 1; n <= 16; n *= 2) { /* fixext 1, 2, 4, 8, 16 */
        msgpack_pack_ext(&pk, n, 7);
        msgpack_pack_ext_body(&pk, big, n);
    }
    msgpack_pack_ext(&pk, 3, 7); /* ext8 */
    msgpack_pack_ext_body(&pk, big, 3);
    msgpack_pack_ext(&pk, 300, 7); /* ext16 */
    msgpack_pack_ext_body(&pk, big, 300);
    msgpack_pack_ext(&pk, sizeof(big), 7); /* ext32 */
    msgpack_pack_ext_body(&pk, big, sizeof(big));
    msgpack_pack_map(&pk, 1);
    msgpack_pack_int64(&pk, 1);
    msgpack_pack_array(&pk, 20); /* array16 */
    for (int i = 0; i < 20; i++)
        msgpack_pack_int64(&pk, i);
}

static void
test_accepts_everything(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    pack_everything(&sb);
    assert_int_equal(check(&sb, 3, 100, 100000), 0);

    /* msgpack-c agrees that these bytes are one whole object. */
    msgpack_unpacked up;
    size_t off = 0;
    msgpack_unpacked_init(&up);
    assert_int_equal(msgpack_unpack_next(&up, sb.data, sb.size, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, sb.size);
    msgpack_unpacked_destroy(&up);

    /* Every prefix is truncated, and one more byte is trailing. */
    for (size_t n = 0; n < sb.size; n += (n < 400 ? 1 : 997))
        assert_int_equal(cs__mp_check((const uint8_t *)sb.data, n, 3, 100, 100000), CS_ETRUNCATED);
    msgpack_sbuffer_write(&sb, "\xc0", 1);
    assert_int_equal(check(&sb, 3, 100, 100000), CS_ETRAILING);
    msgpack_sbuffer_destroy(&sb);
}

static void
test_limits_exact(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    pack_everything(&sb);
    /* The largest string is 70000 bytes, the largest array 31 elements. */
    assert_int_equal(check(&sb, 3, 31, 70000), 0);
    assert_int_equal(check(&sb, 3, 31, 69999), CS_ETOOBIG);
    assert_int_equal(check(&sb, 3, 30, 70000), CS_ETOOBIG);
    /* Depth 3: the outer array, the map in it, the array that is the map's value; with
     * the count and size limits out of the way, so that only the depth decides. */
    assert_int_equal(check(&sb, 3, UINT32_MAX, UINT32_MAX), 0);
    assert_int_equal(check(&sb, 2, UINT32_MAX, UINT32_MAX), CS_ENESTING);
    msgpack_sbuffer_destroy(&sb);
}

static void
test_map_counts_pairs(void **state)
{
    (void)state;
    /* fixmap of 2 pairs needs 4 objects: 3 present is truncated. */
    static const uint8_t three[] = {0x82, 0x01, 0x02, 0x03};
    static const uint8_t four[] = {0x82, 0x01, 0x02, 0x03, 0x04};
    assert_int_equal(cs__mp_check(three, sizeof(three), 2, 10, 10), CS_ETRUNCATED);
    assert_int_equal(cs__mp_check(four, sizeof(four), 2, 10, 10), 0);
    /* map32 claiming 2^32 - 1 pairs in six bytes. */
    static const uint8_t huge[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(cs__mp_check(huge, sizeof(huge), 2, UINT32_MAX, 10), CS_ETRUNCATED);
    assert_int_equal(cs__mp_check(huge, sizeof(huge), 2, 1000, 10), CS_ETOOBIG);
    static const uint8_t never[] = {0xc1};
    assert_int_equal(cs__mp_check(never, 1, 2, 10, 10), CS_EMALFORMED);
}

/*
 * The review's bomb (F9) in small: arrays of nils, one byte an object. The
 * object bound refuses it at the first object over, and says so; the other
 * limits alone let it through. A real change set passes the bound
 * cs_changeset_decode sets for its length.
 */
static void
test_object_bound(void **state)
{
    (void)state;
    enum { PER = 30000 };
    static uint8_t bomb[3 + 4 * (3 + PER)];
    size_t p = 0;
    bomb[p++] = 0xdc, bomb[p++] = 0, bomb[p++] = 4;
    for (int i = 0; i < 4; i++) {
        bomb[p++] = 0xdc, bomb[p++] = PER >> 8, bomb[p++] = PER & 0xff;
        memset(bomb + p, 0xc0, PER);
        p += PER;
    }
    assert_int_equal(p, sizeof(bomb));
    int too_many = 0;
    assert_int_equal(cs__mp_check(bomb, p, 3, PER, 10), 0);
    assert_int_equal(cs__mp_check_objects(bomb, p, 3, PER, 10, 1 + 4 * (1 + PER), &too_many), 0);
    assert_int_equal(too_many, 0);
    assert_int_equal(cs__mp_check_objects(bomb, p, 3, PER, 10, 4 * (1 + PER), &too_many),
                     CS_ETOOBIG);
    assert_int_equal(too_many, 1);
    /* Another limit: too_many stays 0. */
    too_many = 0;
    assert_int_equal(cs__mp_check_objects(bomb, p, 3, PER - 1, 10, UINT64_MAX, &too_many),
                     CS_ETOOBIG);
    assert_int_equal(too_many, 0);

    /* As a change set: refused for its objects, with a sentence naming them. */
    struct cs_changeset *cs = NULL;
    char err[256] = "";
    assert_int_equal(cs_changeset_decode(&cs, bomb, p, err, sizeof(err)), CS_ETOOBIG);
    assert_null(cs);
    assert_non_null(strstr(err, "holds more objects than"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_everything),
        cmocka_unit_test(test_limits_exact),
        cmocka_unit_test(test_map_counts_pairs),
        cmocka_unit_test(test_object_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
