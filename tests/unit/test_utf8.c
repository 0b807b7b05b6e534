/* Unit tests for util/utf8.c: validity (overlong forms, surrogates, above U+10FFFF), counting characters, and
 * sanitising for error messages (invalid bytes become U+FFFD; a cut never falls inside a character). */
#include <criterion/criterion.h>
#include <string.h>

#include "util/utf8.h"

Test(utf8, valid_and_invalid)
{
    const char *ok = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
    cr_assert(utf8_valid(ok, strlen(ok)));
    const char *bad[] = {"\xff", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert(!utf8_valid(bad[i], strlen(bad[i])), "case %zu", i);
}

Test(utf8, counts_characters_not_bytes)
{
    cr_assert_eq(utf8_count("\xc3\xa9\xc3\xa9x"), 3);
    cr_assert_eq(utf8_count("a\xff"
                            "b"),
                 3, "an invalid byte counts as one");
}

Test(utf8, sanitize_replaces_and_cuts_on_a_boundary)
{
    char out[8];
    utf8_sanitize("a\xff"
                  "b",
                  out, sizeof out);
    cr_assert_str_eq(out, "a\xef\xbf\xbd"
                          "b");
    utf8_sanitize("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", out, sizeof out); /* 8 bytes do not fit in 7 + NUL */
    cr_assert_str_eq(out, "\xc3\xa9\xc3\xa9\xc3\xa9");
    utf8_sanitize("abcdef\xc3\xa9", out, sizeof out);
    cr_assert_str_eq(out, "abcdef", "the é that would be cut is left out whole");
    cr_assert(utf8_valid(out, strlen(out)));
}
