/* SPDX-License-Identifier: MIT */
/*
 * The reader of a POST's form body (client/ui/form_body.c): %HH escapes
 * decoded as a browser sends them, a malformed escape left as it is, '+' a
 * space, and a field found by its whole name, the nth of a repeated one;
 * a whole body checked (malformed escapes, %00, not UTF-8, a name twice).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../client/ui/ui.h"

/* s decoded into a static buffer; *n its decoded length. */
static const char *
unescape(const char *s, size_t *n)
{
    static char buf[256];
    strcpy(buf, s);
    *n = ui_form_unescape(buf);
    return buf;
}

static void
test_unescape(void **state)
{
    size_t n;
    (void)state;
    assert_string_equal(unescape("a%20b", &n), "a b");
    assert_int_equal(n, 3);
    assert_string_equal(unescape("Nguy%E1%BB%85n", &n), "Nguyễn");
    assert_string_equal(unescape("%3cscript%3E", &n), "<script>");
    assert_string_equal(unescape("plain", &n), "plain");
    assert_int_equal(n, 5);
    assert_string_equal(unescape("", &n), "");
    assert_int_equal(n, 0);
}

static void
test_malformed(void **state)
{
    size_t n;
    (void)state;
    assert_string_equal(unescape("%zz", &n), "%zz");
    assert_int_equal(n, 3);
    assert_string_equal(unescape("%", &n), "%");
    assert_string_equal(unescape("a%0", &n), "a%0");
    assert_string_equal(unescape("100%", &n), "100%");
    assert_string_equal(unescape("%%41", &n), "%A");
    assert_string_equal(unescape("%4", &n), "%4");
    assert_string_equal(unescape("%g1", &n), "%g1");
}

static void
test_nul(void **state)
{
    size_t n;
    (void)state;
    const char *s = unescape("ab%00cd", &n);
    assert_int_equal(n, 5);
    assert_string_equal(s, "ab");
    assert_memory_equal(s, "ab\0cd", 5);
}

static void
test_field(void **state)
{
    const char *body = "csrf=t&full_name=L%C3%B2+V%C4%83n&full_name_x=no&present=a&present=b&e=";
    char *v;
    (void)state;
    assert_string_equal(v = ui_form_field(body, "full_name", 0), "Lò Văn");
    free(v);
    assert_string_equal(v = ui_form_field(body, "present", 1), "b");
    free(v);
    assert_null(ui_form_field(body, "present", 2));
    assert_null(ui_form_field(body, "full", 0));
    assert_null(ui_form_field(body, "absent", 0));
    assert_string_equal(v = ui_form_field(body, "e", 0), "");
    free(v);
    assert_string_equal(v = ui_form_field("a=1+%2B+1", "a", 0), "1 + 1");
    free(v);
}

static const char *const lists[] = {"present", NULL};

/* ui_form_check's answer for body, the field it names in *bad. */
static int
check(const char *body, const char *want_bad)
{
    char bad[32];
    int ret = ui_form_check(body, strlen(body), lists, bad, sizeof(bad));
    assert_string_equal(bad, want_bad);
    return ret;
}

static void
test_check(void **state)
{
    (void)state;
    assert_int_equal(check("csrf=t&full_name=L%C3%B2+V%C4%83n&present=a&present=b", ""),
                     UI_FORM_OK);
    assert_int_equal(check("", ""), UI_FORM_OK);
    assert_int_equal(check("a=1&&b=&c=100%25", ""), UI_FORM_OK);
    assert_int_equal(check("a=1&note=%zz", "note"), UI_FORM_ENCODING);
    assert_int_equal(check("note=50%", "note"), UI_FORM_ENCODING);
    assert_int_equal(check("note=%0", "note"), UI_FORM_ENCODING);
    assert_int_equal(check("a=1&justaname", "justaname"), UI_FORM_ENCODING);
    assert_int_equal(check("full_name=ab%00cd", "full_name"), UI_FORM_NUL);
    assert_int_equal(check("x%00y=1", "x"), UI_FORM_NUL);
    assert_int_equal(check("full_name=ab%FF%FEcd", "full_name"), UI_FORM_UTF8);
    assert_int_equal(check("full_name=%C0%AF", "full_name"), UI_FORM_UTF8); /* an overlong '/' */
    assert_int_equal(check("ok=1&full_name=a&full_name=b", "full_name"), UI_FORM_TWICE);
    assert_int_equal(check("full_name=a&full%5Fname=b", "full_name"), UI_FORM_TWICE);
    assert_int_equal(check("present=a&present=a", ""), UI_FORM_OK);
}

static void
test_check_long_name(void **state)
{
    char bad[7];
    (void)state;
    /* Cut to the buffer, and not inside a character: "ễ" is 3 bytes. */
    assert_int_equal(ui_form_check("Nguy%E1%BB%85n=%FF", 18, NULL, bad, sizeof(bad)), UI_FORM_UTF8);
    assert_string_equal(bad, "Nguy");
    assert_int_equal(ui_form_check("%FFabc=1", 8, NULL, bad, sizeof(bad)), UI_FORM_UTF8);
    assert_string_equal(bad, "");
}

static void
test_check_raw_nul(void **state)
{
    char bad[32];
    (void)state;
    /* A NUL byte as it is, not %00: the body is not read as a C string. */
    assert_int_equal(ui_form_check("a=1&note=ab\0cd&z=2", 18, NULL, bad, sizeof(bad)),
                     UI_FORM_ENCODING);
    assert_string_equal(bad, "note");
    assert_int_equal(ui_form_check("a=1&no\0te=x", 12, NULL, bad, sizeof(bad)), UI_FORM_ENCODING);
    assert_string_equal(bad, "no");
    assert_int_equal(ui_form_check("a=1\0", 4, NULL, bad, sizeof(bad)), UI_FORM_ENCODING);
    assert_string_equal(bad, "a");
}

static void
test_check_many(void **state)
{
    /* 100,000 fields: the names sorted, not compared pair by pair. */
    size_t n = 100000;
    char *body = malloc(n * 8 + 16), *p = body;
    (void)state;
    assert_non_null(body);
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%zx=", i ? "&" : "", i);
    assert_int_equal(ui_form_check(body, strlen(body), NULL, NULL, 0), UI_FORM_OK);
    strcpy(p, "&1f=x");
    assert_int_equal(ui_form_check(body, strlen(body), NULL, NULL, 0), UI_FORM_TWICE);
    free(body);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unescape),      cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_nul),           cmocka_unit_test(test_field),
        cmocka_unit_test(test_check),         cmocka_unit_test(test_check_long_name),
        cmocka_unit_test(test_check_raw_nul), cmocka_unit_test(test_check_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
