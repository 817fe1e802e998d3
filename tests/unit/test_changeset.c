/* SPDX-License-Identifier: MIT */
/*
 * Change set codec: round trips of every value type, empty and maximal sets,
 * deterministic bytes, and the strict decoder refusing each kind of bad
 * input with its own error. Hostile inputs are packed by hand with msgpack-c
 * so each one differs from a valid set in exactly one way.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/changeset.h"
#include "cellsync/error.h"

static struct cs_id
mkid(uint8_t fill)
{
    struct cs_id id;
    memset(id.b, fill, sizeof(id.b));
    return id;
}

static struct cs_changeset *
new_set(void)
{
    struct cs_changeset_header h = {0};
    struct cs_changeset *cs;
    h.origin = mkid(0xaa);
    h.seq_first = 10;
    h.seq_last = 20;
    h.schema = 3;
    h.hub_time = 0x123456789abcULL;
    assert_int_equal(cs_changeset_new(&cs, &h), 0);
    return cs;
}

static struct cs_change
base_change(void)
{
    struct cs_change c = {0};
    c.table = "candidate";
    c.column = "full_name";
    c.row = mkid(0x11);
    c.hlc = 1000;
    c.origin = mkid(0xaa);
    c.cl = 1;
    return c;
}

static struct cs_changeset *
round_trip(const struct cs_changeset *cs)
{
    uint8_t *buf;
    size_t len;
    struct cs_changeset *back;
    char err[128];
    assert_int_equal(cs_changeset_encode(cs, &buf, &len), 0);
    assert_int_equal(cs_changeset_decode(&back, buf, len, err, sizeof(err)), 0);
    free(buf);
    assert_int_equal(cs_changeset_count(back), cs_changeset_count(cs));
    for (size_t i = 0; i < cs_changeset_count(cs); i++) {
        struct cs_change a, b;
        cs_changeset_get(cs, i, &a);
        cs_changeset_get(back, i, &b);
        assert_true(cs_change_equal(&a, &b));
    }
    const struct cs_changeset_header *h1 = cs_changeset_header(cs), *h2 = cs_changeset_header(back);
    assert_int_equal(h2->version, CS_CHANGESET_FORMAT);
    assert_memory_equal(h1->origin.b, h2->origin.b, CS_ID_LEN);
    assert_int_equal(h1->seq_first, h2->seq_first);
    assert_int_equal(h1->seq_last, h2->seq_last);
    assert_int_equal(h1->schema, h2->schema);
    assert_int_equal(h1->hub_time, h2->hub_time);
    return back;
}

static void
test_value_types(void **state)
{
    (void)state;
    struct cs_changeset *cs = new_set();
    static const int64_t ints[] = {0,   1,     -1,    127,       128,       -32,
                                   -33, 65535, 65536, INT32_MIN, INT64_MAX, INT64_MIN};
    static const double floats[] = {0.0, -0.0, 1.5, -1e300, 5e-324, INFINITY, -INFINITY};
    const char *vi = "Nguyễn Văn Sỹ, Bản Khe Ván, xã Mường Lý";
    static const uint8_t blob[] = {0, 1, 2, 0xff, 0, 0xc1};
    struct cs_change c = base_change();
    uint64_t hlc = 1000;

    c.value.type = CS_VNIL;
    c.hlc = hlc++;
    assert_int_equal(cs_changeset_add(cs, &c), 0);
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        c.value.type = CS_VINT;
        c.value.i = ints[i];
        c.hlc = hlc++;
        assert_int_equal(cs_changeset_add(cs, &c), 0);
    }
    for (size_t i = 0; i < sizeof(floats) / sizeof(floats[0]); i++) {
        c.value.type = CS_VFLOAT;
        c.value.f = floats[i];
        c.hlc = hlc++;
        assert_int_equal(cs_changeset_add(cs, &c), 0);
    }
    c.value.type = CS_VFLOAT;
    c.value.f = NAN;
    c.hlc = hlc++;
    assert_int_equal(cs_changeset_add(cs, &c), 0);
    c.value.type = CS_VTEXT;
    c.value.p = vi;
    c.value.n = strlen(vi);
    c.hlc = hlc++;
    c.prev_hlc = 999;
    c.prev_origin = mkid(0xbb);
    assert_int_equal(cs_changeset_add(cs, &c), 0);
    c.value.n = 0;
    c.hlc = hlc++;
    assert_int_equal(cs_changeset_add(cs, &c), 0);
    c.value.type = CS_VBLOB;
    c.value.p = blob;
    c.value.n = sizeof(blob);
    c.table = "meeting";
    c.column = "minutes";
    c.cl = 3;
    c.hlc = hlc++;
    assert_int_equal(cs_changeset_add(cs, &c), 0);
    c.value.n = 0;
    c.hlc = hlc++;
    assert_int_equal(cs_changeset_add(cs, &c), 0);

    struct cs_changeset *back = round_trip(cs);
    struct cs_change g;
    cs_changeset_get(back, 1 + sizeof(ints) / sizeof(ints[0]) + 7, &g);
    assert_int_equal(g.value.type, CS_VFLOAT);
    assert_true(isnan(g.value.f));
    cs_changeset_get(back, cs_changeset_count(back) - 3, &g);
    assert_int_equal(g.value.n, 0);
    assert_int_equal(g.value.type, CS_VTEXT);
    assert_int_equal(g.prev_hlc, 999);
    assert_memory_equal(g.prev_origin.b, mkid(0xbb).b, CS_ID_LEN);
    assert_string_equal(g.table, "candidate");
    cs_changeset_free(back);
    cs_changeset_free(cs);
}

static void
test_empty_set(void **state)
{
    (void)state;
    struct cs_changeset *cs = new_set();
    struct cs_changeset *back = round_trip(cs);
    assert_int_equal(cs_changeset_count(back), 0);
    cs_changeset_free(back);
    cs_changeset_free(cs);
    cs_changeset_free(NULL);
}

static void
test_deterministic(void **state)
{
    (void)state;
    uint8_t *a, *b, *c;
    size_t alen, blen, clen;
    struct cs_changeset *s1 = new_set(), *s2 = new_set(), *back;
    for (int i = 0; i < 50; i++) {
        struct cs_change ch = base_change();
        char text[32];
        snprintf(text, sizeof(text), "giá trị %d", i);
        ch.column = (i % 3) ? "phone" : "hometown";
        ch.value.type = CS_VTEXT;
        ch.value.p = text;
        ch.value.n = strlen(text);
        ch.hlc = 5000 + (uint64_t)i;
        ch.origin = mkid((uint8_t)(i % 4));
        assert_int_equal(cs_changeset_add(s1, &ch), 0);
        assert_int_equal(cs_changeset_add(s2, &ch), 0);
    }
    assert_int_equal(cs_changeset_encode(s1, &a, &alen), 0);
    assert_int_equal(cs_changeset_encode(s2, &b, &blen), 0);
    assert_int_equal(alen, blen);
    assert_memory_equal(a, b, alen);
    /* Decoding and encoding again gives the same bytes. */
    assert_int_equal(cs_changeset_decode(&back, a, alen, NULL, 0), 0);
    assert_int_equal(cs_changeset_encode(back, &c, &clen), 0);
    assert_int_equal(alen, clen);
    assert_memory_equal(a, c, alen);
    free(a);
    free(b);
    free(c);
    cs_changeset_free(back);
    cs_changeset_free(s1);
    cs_changeset_free(s2);
}

static void
test_maximal_set(void **state)
{
    (void)state;
    struct cs_changeset *cs = new_set();
    struct cs_change c = base_change();
    c.table = "t";
    c.column = "c";
    c.hlc = 1;
    c.origin = mkid(0);
    c.cl = 1;
    for (uint32_t i = 0; i < CS_CHANGESET_MAX_CHANGES; i++)
        assert_int_equal(cs_changeset_add(cs, &c), 0);
    assert_int_equal(cs_changeset_add(cs, &c), CS_ETOOBIG);
    assert_int_equal(cs_changeset_count(cs), CS_CHANGESET_MAX_CHANGES);
    struct cs_changeset *back = round_trip(cs);
    cs_changeset_free(back);
    cs_changeset_free(cs);

    /* The largest single value goes through; one byte more is refused on add. */
    cs = new_set();
    uint8_t *big = calloc(1, CS_VALUE_MAX + 1);
    assert_non_null(big);
    c.value.type = CS_VBLOB;
    c.value.p = big;
    c.value.n = CS_VALUE_MAX;
    assert_int_equal(cs_changeset_add(cs, &c), 0);
    c.value.n = CS_VALUE_MAX + 1;
    assert_int_equal(cs_changeset_add(cs, &c), CS_ETOOBIG);
    back = round_trip(cs);
    cs_changeset_free(back);
    cs_changeset_free(cs);

    /* Four values of 4 MiB are over the 16 MiB set limit: encode refuses. */
    cs = new_set();
    c.value.n = CS_VALUE_MAX;
    for (int i = 0; i < 4; i++)
        assert_int_equal(cs_changeset_add(cs, &c), 0);
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(cs_changeset_encode(cs, &buf, &len), CS_ETOOBIG);
    assert_null(buf);
    cs_changeset_free(cs);
    free(big);
}

static void
test_add_refuses(void **state)
{
    (void)state;
    struct cs_changeset *cs = new_set();
    struct cs_change c = base_change();
    static const char bad_utf8[] = {'a', (char)0xc3, 0};

    c.table = "";
    assert_int_equal(cs_changeset_add(cs, &c), CS_EINVAL);
    c.table = "a_name_that_is_far_too_long_for_a_table_name_in_this_format_really";
    assert_int_equal(cs_changeset_add(cs, &c), CS_EINVAL);
    c = base_change();
    c.hlc = 0;
    assert_int_equal(cs_changeset_add(cs, &c), CS_EINVAL);
    c = base_change();
    c.prev_hlc = c.hlc;
    assert_int_equal(cs_changeset_add(cs, &c), CS_EINVAL);
    c = base_change();
    c.value.type = CS_VTEXT;
    c.value.p = bad_utf8;
    c.value.n = 2;
    assert_int_equal(cs_changeset_add(cs, &c), CS_EINVAL);
    c.value.type = (enum cs_vtype)9;
    assert_int_equal(cs_changeset_add(cs, &c), CS_EINVAL);
    assert_int_equal(cs_changeset_count(cs), 0);
    cs_changeset_free(cs);
}

/* ---- hand-packed hostile inputs ---- */

/* What to break in a hand-packed set with one change. */
enum breakage {
    B_NONE,
    B_VERSION,
    B_TOP_COUNT,
    B_CHANGE_COUNT,
    B_ORIGIN_TYPE,
    B_SEQ_NEGATIVE,
    B_VALUE_BOOL,
    B_VALUE_ARRAY,
    B_VALUE_MAP,
    B_TABLE_INDEX,
    B_DUP_NAME,
    B_BAD_UTF8,
    B_SEQ_ORDER,
    B_PREV_NOT_OLDER,
    B_ID_SIZE,
    B_PREV_ORIGIN_RANGE,
};

static void
pack_id(msgpack_packer *pk, uint8_t fill)
{
    uint8_t b[16];
    memset(b, fill, sizeof(b));
    msgpack_pack_bin(pk, 16);
    msgpack_pack_bin_body(pk, b, 16);
}

static void
pack_str(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void
hand_pack(msgpack_sbuffer *sb, enum breakage b)
{
    msgpack_packer pk;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, b == B_TOP_COUNT ? 8 : 9);
    msgpack_pack_uint32(&pk, b == B_VERSION ? 2 : 1);
    if (b == B_ORIGIN_TYPE)
        pack_str(&pk, "origin", 6);
    else
        pack_id(&pk, 0xaa);
    if (b == B_SEQ_NEGATIVE)
        msgpack_pack_int64(&pk, -5);
    else
        msgpack_pack_uint64(&pk, b == B_SEQ_ORDER ? 30 : 1);
    msgpack_pack_uint64(&pk, 20);
    msgpack_pack_uint32(&pk, 1);
    if (b != B_TOP_COUNT)
        msgpack_pack_uint64(&pk, 0);
    msgpack_pack_array(&pk, b == B_DUP_NAME ? 3 : 2);
    pack_str(&pk, "member", 6);
    pack_str(&pk, "phone", 5);
    if (b == B_DUP_NAME)
        pack_str(&pk, "member", 6);
    msgpack_pack_array(&pk, 1);
    pack_id(&pk, 0xaa);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, b == B_CHANGE_COUNT ? 8 : 9);
    msgpack_pack_uint32(&pk, b == B_TABLE_INDEX ? 2 : 0);
    if (b == B_ID_SIZE) {
        msgpack_pack_bin(&pk, 15);
        msgpack_pack_bin_body(&pk, "0123456789abcde", 15);
    } else {
        pack_id(&pk, 0x11);
    }
    msgpack_pack_uint32(&pk, 1);
    switch (b) {
    case B_VALUE_BOOL:
        msgpack_pack_true(&pk);
        break;
    case B_VALUE_ARRAY:
        msgpack_pack_array(&pk, 1);
        msgpack_pack_nil(&pk);
        break;
    case B_VALUE_MAP:
        msgpack_pack_map(&pk, 0);
        break;
    case B_BAD_UTF8:
        pack_str(&pk, "\xc3\x28", 2);
        break;
    default:
        pack_str(&pk, "0912345678", 10);
    }
    msgpack_pack_uint64(&pk, 100);
    msgpack_pack_uint32(&pk, 0);
    msgpack_pack_uint64(&pk, b == B_PREV_NOT_OLDER ? 100 : 50);
    msgpack_pack_uint32(&pk, b == B_PREV_ORIGIN_RANGE ? 1 : 0);
    if (b != B_CHANGE_COUNT)
        msgpack_pack_uint64(&pk, 1);
}

static int
decode_bytes(const void *buf, size_t len)
{
    struct cs_changeset *cs = (struct cs_changeset *)1;
    char err[160] = "";
    int ret = cs_changeset_decode(&cs, buf, len, err, sizeof(err));
    if (ret == 0)
        cs_changeset_free(cs);
    else {
        assert_null(cs);
        assert_true(err[0] != 0); /* every refusal says why */
    }
    return ret;
}

static int
decode_broken(enum breakage b)
{
    msgpack_sbuffer sb;
    hand_pack(&sb, b);
    int ret = decode_bytes(sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return ret;
}

static void
test_hand_packed_valid(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    struct cs_changeset *cs;
    struct cs_change c;
    hand_pack(&sb, B_NONE);
    assert_int_equal(cs_changeset_decode(&cs, (uint8_t *)sb.data, sb.size, NULL, 0), 0);
    assert_int_equal(cs_changeset_count(cs), 1);
    cs_changeset_get(cs, 0, &c);
    assert_string_equal(c.table, "member");
    assert_string_equal(c.column, "phone");
    assert_int_equal(c.value.type, CS_VTEXT);
    assert_int_equal(c.value.n, 10);
    assert_int_equal(c.hlc, 100);
    assert_int_equal(c.prev_hlc, 50);
    cs_changeset_free(cs);
    msgpack_sbuffer_destroy(&sb);
}

static void
test_decode_errors(void **state)
{
    (void)state;
    assert_int_equal(decode_broken(B_VERSION), CS_EVERSION);
    assert_int_equal(decode_broken(B_TOP_COUNT), CS_ECOUNT);
    assert_int_equal(decode_broken(B_CHANGE_COUNT), CS_ECOUNT);
    assert_int_equal(decode_broken(B_ORIGIN_TYPE), CS_ETYPE);
    assert_int_equal(decode_broken(B_SEQ_NEGATIVE), CS_ETYPE);
    assert_int_equal(decode_broken(B_VALUE_BOOL), CS_ETYPE);
    assert_int_equal(decode_broken(B_VALUE_ARRAY), CS_ENESTING);
    assert_int_equal(decode_broken(B_VALUE_MAP), CS_ENESTING);
    assert_int_equal(decode_broken(B_TABLE_INDEX), CS_EMALFORMED);
    assert_int_equal(decode_broken(B_DUP_NAME), CS_EDUPLICATE);
    assert_int_equal(decode_broken(B_BAD_UTF8), CS_EMALFORMED);
    assert_int_equal(decode_broken(B_SEQ_ORDER), CS_EMALFORMED);
    assert_int_equal(decode_broken(B_PREV_NOT_OLDER), CS_EMALFORMED);
    assert_int_equal(decode_broken(B_ID_SIZE), CS_EMALFORMED);
    assert_int_equal(decode_broken(B_PREV_ORIGIN_RANGE), CS_EMALFORMED);
}

static void
test_trailing_and_truncated(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    hand_pack(&sb, B_NONE);
    uint8_t *buf = malloc(sb.size + 1);
    memcpy(buf, sb.data, sb.size);
    buf[sb.size] = 0xc0;
    assert_int_equal(decode_bytes(buf, sb.size + 1), CS_ETRAILING);
    for (size_t n = 0; n < sb.size; n++)
        assert_int_equal(decode_bytes(buf, n), CS_ETRUNCATED);
    free(buf);
    msgpack_sbuffer_destroy(&sb);
}

static void
test_decode_limits(void **state)
{
    (void)state;
    /* A set whose change list claims 2^31 entries, in a few bytes. */
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 9);
    msgpack_pack_uint32(&pk, 1);
    pack_id(&pk, 1);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_uint32(&pk, 1);
    msgpack_pack_uint64(&pk, 0);
    msgpack_pack_array(&pk, 0);
    msgpack_pack_array(&pk, 0);
    size_t head = sb.size;
    static const uint8_t arr31[] = {0xdd, 0x80, 0x00, 0x00, 0x00, 0x90, 0x90};
    msgpack_sbuffer_write(&sb, (const char *)arr31, sizeof(arr31));
    assert_int_equal(decode_bytes(sb.data, sb.size), CS_ETOOBIG);

    /* Within the count limit but more elements than bytes left. */
    sb.size = head;
    static const uint8_t arr1k[] = {0xdd, 0x00, 0x00, 0x04, 0x00, 0x90, 0x90};
    msgpack_sbuffer_write(&sb, (const char *)arr1k, sizeof(arr1k));
    assert_int_equal(decode_bytes(sb.data, sb.size), CS_ETRUNCATED);

    /* A 4 GiB string announced as a name. */
    sb.size = head - 2;
    static const uint8_t str4g[] = {0x91, 0xdb, 0xff, 0xff, 0xff, 0xff, 'a', 0x90, 0x90};
    msgpack_sbuffer_write(&sb, (const char *)str4g, sizeof(str4g));
    assert_int_equal(decode_bytes(sb.data, sb.size), CS_ETOOBIG);
    msgpack_sbuffer_destroy(&sb);

    /* Nesting 200 deep. */
    uint8_t deep[201];
    memset(deep, 0x91, 200);
    deep[200] = 0xc0;
    assert_int_equal(decode_bytes(deep, sizeof(deep)), CS_ENESTING);

    /* 0xc1 is never valid msgpack. */
    static const uint8_t never[] = {0x91, 0xc1};
    assert_int_equal(decode_bytes(never, sizeof(never)), CS_EMALFORMED);

    /* Not an array at all, and nothing. */
    static const uint8_t scalar[] = {0x05};
    assert_int_equal(decode_bytes(scalar, sizeof(scalar)), CS_ETYPE);
    assert_int_equal(decode_bytes(scalar, 0), CS_ETRUNCATED);

    /* Over the size limit before anything is read. */
    assert_int_equal(decode_bytes(scalar, (size_t)CS_CHANGESET_MAX_BYTES + 1), CS_ETOOBIG);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_types),   cmocka_unit_test(test_empty_set),
        cmocka_unit_test(test_deterministic), cmocka_unit_test(test_maximal_set),
        cmocka_unit_test(test_add_refuses),   cmocka_unit_test(test_hand_packed_valid),
        cmocka_unit_test(test_decode_errors), cmocka_unit_test(test_trailing_and_truncated),
        cmocka_unit_test(test_decode_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
