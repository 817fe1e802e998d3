/* SPDX-License-Identifier: MIT */
/*
 * The reader of a POST's form body (client/ui/form_body.c): %HH escapes
 * decoded as a browser sends them, a malformed escape left as it is, '+' a
 * space, and a field found by its whole name, the nth of a repeated one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unescape),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_nul),
        cmocka_unit_test(test_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
