/*
 * Unit tests for util/jsontext.c: every ASCII byte and multi-byte UTF-8 written as a JSON string reads back (jansson)
 * as exactly the bytes that went in; the escapes are the short ones where JSON has them; raw tokens and a long
 * text that makes the buffer grow many times come out whole; an untouched buffer hands over "".
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "util/jsontext.h"

/* s (n bytes) through jsontext_str and back through a JSON parser. */
static void round_trip(const char *s, size_t n)
{
    struct jsontext j = {0};
    jsontext_raw(&j, "[", 1);
    jsontext_str(&j, s, n);
    jsontext_raw(&j, "]", 1);
    char *text = jsontext_take(&j);
    json_error_t err;
    json_t *v = json_loads(text, JSON_ALLOW_NUL, &err);
    cr_assert(v, "%s does not parse: %s", text, err.text);
    const json_t *str = json_array_get(v, 0);
    cr_assert_eq(json_string_length(str), n, "%s", text);
    cr_assert(!memcmp(json_string_value(str), s, n), "%s", text);
    json_decref(v);
    free(text);
}

Test(jsontext, every_ascii_byte_reads_back_as_itself)
{
    for (int c = 1; c < 128; c++) {
        char s[3] = {'a', (char)c, 'z'};
        round_trip(s, sizeof s);
    }
}

Test(jsontext, utf8_passes_through_unescaped)
{
    const char *s = "ü 🚀 日本";
    round_trip(s, strlen(s));
    struct jsontext j = {0};
    jsontext_str(&j, s, strlen(s));
    char *text = jsontext_take(&j);
    cr_assert_str_eq(text, "\"ü 🚀 日本\"");
    free(text);
}

Test(jsontext, short_escapes_where_json_has_them)
{
    struct jsontext j = {0};
    jsontext_str(&j, "\"\\\b\f\n\r\t\x01\x1f", 9);
    char *text = jsontext_take(&j);
    cr_assert_str_eq(text, "\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\"");
    free(text);
}

Test(jsontext, raw_tokens_and_growth)
{
    struct jsontext j = {0};
    jsontext_lit(&j, "{\"n\":[");
    for (int i = 0; i < 10000; i++)
        jsontext_lit(&j, i ? ",12345" : "12345");
    jsontext_lit(&j, "]}");
    char *text = jsontext_take(&j);
    cr_assert_eq(strlen(text), strlen("{\"n\":[]}") + 10000 * 6 - 1);
    json_t *v = json_loads(text, 0, NULL);
    cr_assert(v);
    cr_assert_eq(json_array_size(json_object_get(v, "n")), 10000);
    json_decref(v);
    free(text);
    cr_assert_null(j.s, "take leaves the buffer empty");
}

Test(jsontext, nothing_appended_is_the_empty_text)
{
    struct jsontext j = {0};
    char *text = jsontext_take(&j);
    cr_assert_str_eq(text, "");
    free(text);
}
