/*
 * Unit tests for util/log_json.c: the JSON form of a logfmt line. Every output is parsed back with jansson, so a
 * test fails both on a wrong field and on a line that is not valid JSON.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "util/log_json.h"

static char out[LOG_JSON_MAX(4096)];

/* Formats `body` and parses the line back (asserting it is one JSON object ending with a newline). */
static json_t *fmt(const char *body, size_t len)
{
    size_t n = log_json_format("2026-12-01T10:00:00.123Z", "info", body, false, out, len);
    cr_assert_eq(n, strlen(out), "returned length is the string length");
    cr_assert_eq(out[n - 1], '\n', "one line: %s", out);
    cr_assert_null(memchr(out, '\n', n - 1), "no newline inside: %s", out);
    json_error_t e;
    json_t *j = json_loadb(out, n - 1, 0, &e);
    cr_assert_not_null(j, "not JSON (%s): %s", e.text, out);
    cr_assert(json_is_object(j));
    return j;
}

static const char *str(json_t *j, const char *k)
{
    json_t *v = json_object_get(j, k);
    cr_assert(json_is_string(v), "field %s is not a string in %s", k, out);
    return json_string_value(v);
}

Test(log_json, fields_in_order_with_ts_and_level)
{
    json_t *j = fmt("msg=\"serving\" url=http://127.0.0.1:8080/ workers=4 instance=h:1:ab", sizeof out);
    cr_assert_str_eq(out, "{\"ts\":\"2026-12-01T10:00:00.123Z\",\"level\":\"info\",\"msg\":\"serving\","
                          "\"url\":\"http://127.0.0.1:8080/\",\"workers\":4,\"instance\":\"h:1:ab\"}\n");
    cr_assert_str_eq(str(j, "level"), "info");
    json_decref(j);
}

Test(log_json, escaped_quotes_do_not_end_a_value_so_nothing_is_forged)
{
    /* log_body.c escapes every quote inside a value, so an unescaped one always closes it: a value cannot make
     * ` level=debug msg=x` into fields. */
    json_t *j = fmt("msg=\"got \\\"a\\\" level=debug msg=all-good\" code=5", sizeof out);
    cr_assert_str_eq(str(j, "msg"), "got \"a\" level=debug msg=all-good");
    cr_assert_str_eq(str(j, "level"), "info");
    cr_assert_eq(json_integer_value(json_object_get(j, "code")), 5);
    cr_assert_eq(json_object_size(j), 4, "%s", out);
    json_decref(j);
}

Test(log_json, escapes_written_by_log_body_are_decoded)
{
    json_t *j = fmt("error=\"a\\nb\\rc\\td\\u0001e\\u007f\\q\\u00ff\" x=1", sizeof out);
    cr_assert_str_eq(str(j, "error"),
                     "a\nb\rc\td\x01"
                     "e\x7f\\q\\u00ff",
                     "unknown escapes stay as written");
    json_decref(j);
}

Test(log_json, a_body_cut_by_the_logger_says_truncated)
{
    char line[LOG_JSON_MAX(64)];
    log_json_format("t", "info", "msg=\"x\"", true, line, sizeof line);
    cr_assert_str_eq(line, "{\"ts\":\"t\",\"level\":\"info\",\"msg\":\"x\",\"truncated\":true}\n");
}

Test(log_json, escaped_quotes_and_backslashes_are_unescaped)
{
    json_t *j = fmt("msg=\"a \\\"b\\\" c\" path=\"C:\\\\x\"", sizeof out);
    cr_assert_str_eq(str(j, "msg"), "a \"b\" c");
    cr_assert_str_eq(str(j, "path"), "C:\\x");
    json_decref(j);
}

Test(log_json, control_characters_are_escaped)
{
    json_t *j = fmt("msg=\"line1\nline2\ttab\x01\" x=1", sizeof out);
    cr_assert_str_eq(str(j, "msg"), "line1\nline2\ttab\x01");
    cr_assert_not_null(strstr(out, "\\u000a"), "newline escaped: %s", out);
    json_decref(j);
}

Test(log_json, invalid_utf8_becomes_replacement_valid_utf8_passes)
{
    json_t *j = fmt("msg=\"caf\xc3\xa9 \xff\xfe \xe2\x80\" other=\xc0\xaf", sizeof out);
    cr_assert_str_eq(str(j, "msg"), "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd");
    cr_assert_str_eq(str(j, "other"), "\xef\xbf\xbd\xef\xbf\xbd", "an overlong encoding is not valid UTF-8");
    json_decref(j);
}

Test(log_json, only_json_numbers_become_numbers)
{
    json_t *j = fmt("a=42 b=-1.5e3 c=007 d=1. e=12abc f=0 g=\"42\" h=true", sizeof out);
    cr_assert(json_is_integer(json_object_get(j, "a")));
    cr_assert(json_is_real(json_object_get(j, "b")));
    cr_assert_float_eq(json_real_value(json_object_get(j, "b")), -1500.0, 1e-9);
    cr_assert_str_eq(str(j, "c"), "007");
    cr_assert_str_eq(str(j, "d"), "1.");
    cr_assert_str_eq(str(j, "e"), "12abc");
    cr_assert(json_is_integer(json_object_get(j, "f")));
    cr_assert_str_eq(str(j, "g"), "42", "a quoted value stays a string");
    cr_assert_str_eq(str(j, "h"), "true");
    json_decref(j);
}

Test(log_json, words_without_a_key_go_to_text)
{
    json_t *j = fmt("hello world msg=\"x\" 123", sizeof out);
    cr_assert_str_eq(str(j, "text"), "hello world 123", "text is always a string");
    cr_assert_str_eq(str(j, "msg"), "x");
    json_decref(j);
}

Test(log_json, unterminated_quote_takes_the_rest)
{
    json_t *j = fmt("job=x msg=\"abc def", sizeof out);
    cr_assert_str_eq(str(j, "msg"), "abc def");
    cr_assert_str_eq(str(j, "job"), "x");
    json_decref(j);
}

Test(log_json, empty_body_and_dotted_keys)
{
    json_t *j = fmt("", sizeof out);
    cr_assert_eq(json_object_size(j), 2, "ts and level only: %s", out);
    json_decref(j);
    j = fmt("job.key=sessions.cleanup x-y=1", sizeof out);
    cr_assert_str_eq(str(j, "job.key"), "sessions.cleanup");
    json_decref(j);
}

Test(log_json, a_small_buffer_cuts_whole_fields_and_says_so)
{
    char body[600] = "msg=\"start\"";
    for (int i = 0; i < 40; i++)
        snprintf(body + strlen(body), sizeof body - strlen(body), " k%d=%d", i, i);
    json_t *j = fmt(body, 160);
    cr_assert(json_is_true(json_object_get(j, "truncated")), "%s", out);
    cr_assert_str_eq(str(j, "msg"), "start");
    cr_assert_leq(strlen(out), 159);
    size_t fields = json_object_size(j);
    cr_assert_gt(fields, 4, "as many fields as fit: %s", out);
    cr_assert_lt(fields, 43);
    /* The last field that made it has its complete value. */
    char key[8];
    snprintf(key, sizeof key, "k%zu", fields - 5);
    cr_assert_eq(json_integer_value(json_object_get(j, key)), (json_int_t)(fields - 5), "%s", out);
    json_decref(j);
}

Test(log_json, nothing_is_cut_when_it_fits)
{
    json_t *j = fmt("msg=\"x\"", sizeof out);
    cr_assert_null(json_object_get(j, "truncated"));
    json_decref(j);
}
