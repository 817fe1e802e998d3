/* SPDX-License-Identifier: MIT */
/*
 * The one escape function of the web pages (client/ui/html.c): every
 * character that can end a text or a quoted attribute becomes an entity,
 * everything else (UTF-8 included) passes unchanged, and the buffer grows
 * past its first allocation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../client/ui/ui.h"

static char *
esc(const char *s)
{
    static struct ui_buf b;
    ui_buf_free(&b);
    ui_text(&b, s);
    assert_false(b.oom);
    return b.p != NULL ? b.p : (char *)"";
}

static void
test_specials(void **state)
{
    (void)state;
    assert_string_equal(esc("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
    assert_string_equal(esc("a & b"), "a &amp; b");
    assert_string_equal(esc("\"x\" 'y'"), "&quot;x&quot; &#39;y&#39;");
    assert_string_equal(esc("\"><img src=x onerror=alert(1)>"),
                        "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    assert_string_equal(esc("&amp;"), "&amp;amp;");
    assert_string_equal(esc("<>&\"'"), "&lt;&gt;&amp;&quot;&#39;");
}

static void
test_plain(void **state)
{
    (void)state;
    assert_string_equal(esc("Nguyễn Văn Sỹ"), "Nguyễn Văn Sỹ");
    assert_string_equal(esc(""), "");
    assert_string_equal(esc(NULL), "");
}

static void
test_grows(void **state)
{
    struct ui_buf b = {0};
    (void)state;
    for (int i = 0; i < 5000; i++)
        ui_text(&b, "<");
    ui_raw(&b, "|");
    ui_num(&b, -42);
    assert_false(b.oom);
    assert_int_equal(b.n, 5000 * 4 + 1 + 3);
    assert_int_equal(strncmp(b.p, "&lt;&lt;", 8), 0);
    assert_string_equal(b.p + 5000 * 4, "|-42");
    ui_buf_free(&b);
    assert_null(b.p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_specials),
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
