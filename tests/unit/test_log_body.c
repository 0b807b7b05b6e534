/*
 * Unit tests for util/log_body.c: the body of a log line, formatted from the callers' printf format with every value
 * escaped where it lands. Values that must come out unchanged are compared with what snprintf prints for the same
 * format; forged fields and cut lines are checked by parsing the result back (log_json_format + jansson).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "util/log_body.h"
#include "util/log_json.h"

static char body[4096];
static bool cut;

#define LOGFMT(...) log_body_format(body, sizeof body, LOG_BODY_QUOTE_AS_NEEDED, &cut, __VA_ARGS__)
#define JSONB(...) log_body_format(body, sizeof body, LOG_BODY_QUOTE_STRINGS, &cut, __VA_ARGS__)

/* The JSON object log_json_format makes of the current body (asserting it is valid JSON on one line). */
static json_t *as_json(void)
{
    static char out[LOG_JSON_MAX(4096)];
    size_t n = log_json_format("2026-12-01T10:00:00.000Z", "error", body, cut, out, sizeof out);
    cr_assert_null(memchr(out, '\n', n - 1), "one line: %s", out);
    json_error_t e;
    json_t *j = json_loadb(out, n - 1, 0, &e);
    cr_assert_not_null(j, "not JSON (%s): %s", e.text, out);
    return j;
}

static const char *jstr(json_t *j, const char *k)
{
    json_t *v = json_object_get(j, k);
    cr_assert(json_is_string(v), "%s is not a string", k);
    return json_string_value(v);
}

Test(log_body, quotes_and_backslashes_in_a_quoted_value_are_escaped)
{
    const char *pg = "connection to server on socket \"/tmp/x/.s.PGSQL.5432\" failed: C:\\dir";
    LOGFMT("msg=\"cannot start\" error=\"%s\" n=%d", pg, 3);
    cr_assert_str_eq(body, "msg=\"cannot start\" error=\"connection to server on socket \\\"/tmp/x/.s.PGSQL.5432\\\" "
                           "failed: C:\\\\dir\" n=3");
    cr_assert_not(cut);
    json_t *j = as_json();
    cr_assert_str_eq(jstr(j, "error"), pg, "the JSON value is the original text");
    json_decref(j);
}

Test(log_body, newlines_and_control_characters_stay_on_one_line)
{
    const char *pg = "relation \"x\" does not exist\nLINE 1: INSERT INTO x\n               ^\r\tbell\x07 del\x7f ü";
    LOGFMT("error=\"%s\"", pg);
    cr_assert_null(strpbrk(body, "\n\r\t\x07\x7f"), "%s", body);
    cr_assert_str_eq(body, "error=\"relation \\\"x\\\" does not exist\\nLINE 1: INSERT INTO x\\n               ^\\r"
                           "\\tbell\\u0007 del\\u007f ü\"");
    json_t *j = as_json();
    cr_assert_str_eq(jstr(j, "error"), pg);
    json_decref(j);
}

/* The reload that failed on `workers = a" level=debug msg=all-good x=1`: the value cannot become fields. */
static void check_forgery(enum log_body_quoting q)
{
    const char *bad = "runs.workers: expected a number, got \"a\" level=debug msg=all-good x=1";
    log_body_format(body, sizeof body, q, &cut, "msg=\"reload failed\" error=\"%s\" job=%s", bad,
                    "x level=debug msg=\"b\"");
    json_t *j = as_json();
    cr_assert_str_eq(jstr(j, "level"), "error", "%s", body);
    cr_assert_str_eq(jstr(j, "msg"), "reload failed", "%s", body);
    cr_assert_str_eq(jstr(j, "error"), bad);
    cr_assert_str_eq(jstr(j, "job"), "x level=debug msg=\"b\"", "a bare value with spaces is quoted: %s", body);
    cr_assert_null(json_object_get(j, "x"), "%s", body);
    cr_assert_eq(json_object_size(j), 5, "ts level msg error job: %s", body);
    json_decref(j);
}

Test(log_body, a_forged_level_inside_a_value_stays_inside_it)
{
    check_forgery(LOG_BODY_QUOTE_AS_NEEDED);
    cr_assert_str_eq(body, "msg=\"reload failed\" error=\"runs.workers: expected a number, got \\\"a\\\" level=debug "
                           "msg=all-good x=1\" job=\"x level=debug msg=\\\"b\\\"\"");
    check_forgery(LOG_BODY_QUOTE_STRINGS);
}

Test(log_body, plain_bare_values_keep_their_logfmt_shape)
{
    LOGFMT("msg=\"serving\" url=http://%s:%d/ job=%s what=%s empty=%s", "127.0.0.1", 8080, "sessions.cleanup",
           "runstore.get", "");
    cr_assert_str_eq(body, "msg=\"serving\" url=http://127.0.0.1:8080/ job=sessions.cleanup what=runstore.get "
                           "empty=\"\"");
    LOGFMT("url=http://%s:%d/ x=1", "a b", 1);
    cr_assert_str_eq(body, "url=\"http://a b:1/\" x=1", "the whole bare value is quoted, not the piece");
    LOGFMT("k=%s", "a=b\\c");
    cr_assert_str_eq(body, "k=\"a=b\\\\c\"");
}

Test(log_body, json_types_follow_the_conversion_not_the_text)
{
    for (int i = 0; i < 2; i++) {
        const char *state = i ? "42501" : "42P01";
        JSONB("msg=\"query failed\" sqlstate=%s n=%d rows=%lld ms=%.1f hex=%x literal=7 slots=%d%s", state, 5, 12LL,
              2.5, 255u, 3, i ? "+" : "");
        json_t *j = as_json();
        cr_assert_str_eq(jstr(j, "sqlstate"), state, "%s", body);
        cr_assert(json_is_integer(json_object_get(j, "n")));
        cr_assert(json_is_integer(json_object_get(j, "rows")));
        cr_assert(json_is_real(json_object_get(j, "ms")));
        cr_assert_str_eq(jstr(j, "hex"), "ff");
        cr_assert(json_is_integer(json_object_get(j, "literal")), "the code's own number");
        cr_assert_str_eq(jstr(j, "slots"), i ? "3+" : "3", "a value with a %%s in it is always a string");
        json_decref(j);
    }
    LOGFMT("sqlstate=%s", "42501");
    cr_assert_str_eq(body, "sqlstate=42501", "logfmt writes what it must only");
}

Test(log_body, conversions_print_as_printf_does)
{
    char want[256];
    int64_t big = -9007199254740993LL;
    size_t z = (size_t)-1;
    /* Inside quotes, where padding spaces need no quoting; a bare padded number is quoted (see below). */
    LOGFMT("msg=\"a=%lld b=%" PRId64 " c=%zu d=%5.2f e=%-6d| f=%05d g=%+.3e h=%hhd i=%hu j=%#o k=%X l=%jd m=%td "
           "n=%Lg o=%'d p=%c%%\"",
           (long long)big, big, z, 3.14159, 42, -7, 12345.678, 300, 70000, 8u, 48879u, (intmax_t)-1, (ptrdiff_t)9,
           (long double)0.25, 1234567, 'q');
    snprintf(want, sizeof want,
             "msg=\"a=%lld b=%" PRId64 " c=%zu d=%5.2f e=%-6d| f=%05d g=%+.3e h=%hhd i=%hu j=%#o k=%X l=%jd m=%td "
             "n=%Lg o=%'d p=%c%%\"",
             (long long)big, big, z, 3.14159, 42, -7, 12345.678, (signed char)300, (unsigned short)70000, 8u, 48879u,
             (intmax_t)-1, (ptrdiff_t)9, (long double)0.25, 1234567, 'q');
    cr_assert_str_eq(body, want);
    LOGFMT("d=%5.2f e=%.2f", 3.14159, 3.14159);
    snprintf(want, sizeof want, "d=\"%5.2f\" e=%.2f", 3.14159, 3.14159);
    cr_assert_str_eq(body, want, "a padded bare number is quoted so it stays one field");
}

Test(log_body, star_width_and_precision)
{
    char want[128];
    LOGFMT("msg=\"%.*s|%*d|%-*d|%.*f|%*s\" x=%.*s", 3, "abcdef", 6, 42, -5, 7, 2, 1.23456, 4, "ab", 2, "xyz");
    snprintf(want, sizeof want, "msg=\"%.*s|%*d|%-*d|%.*f|%*s\" x=%.*s", 3, "abcdef", 6, 42, -5, 7, 2, 1.23456, 4, "ab",
             2, "xyz");
    cr_assert_str_eq(body, want);
    LOGFMT("msg=\"%.*s\"", 2, "\"abc");
    cr_assert_str_eq(body, "msg=\"\\\"a\"", "the precision counts the argument's bytes, escaping comes after");
}

Test(log_body, null_string_prints_null_in_parentheses)
{
    const char *volatile none = NULL; /* volatile: so the compiler cannot see it is NULL */
    LOGFMT("msg=\"%s\" job=%s x=%.2s", none, none, none);
    cr_assert_str_eq(body, "msg=\"(null)\" job=(null) x=(null)", "whatever the precision");
}

Test(log_body, between_fields_text_is_inserted_as_written)
{
    LOGFMT("msg=\"stuck\" %s stuck_ms=%d", "listener=http part=event_loop thread=1", 5);
    cr_assert_str_eq(body, "msg=\"stuck\" listener=http part=event_loop thread=1 stuck_ms=5");
}

Test(log_body, percent_m_and_errno)
{
    errno = ENOENT;
    LOGFMT("err=\"%m\"");
    cr_assert_str_eq(body, "err=\"No such file or directory\"");
    cr_assert_eq(errno, ENOENT, "errno is left as it was");
}

/* A value far longer than the line, made of escapes and UTF-8 characters, cut at every offset of the pattern. */
Test(log_body, a_cut_line_ends_between_escapes_and_stays_valid)
{
    static char big[6000];
    const char *unit = "\"\\\n\x01ü€";
    for (size_t shift = 0; shift < 12; shift++) {
        size_t n = 0;
        for (; n < shift; n++)
            big[n] = 'a';
        while (n + 12 < sizeof big) {
            memcpy(big + n, unit, strlen(unit));
            n += strlen(unit);
        }
        big[n] = '\0';
        for (int q = 0; q < 2; q++) {
            size_t len = log_body_format(body, sizeof body, (enum log_body_quoting)q, &cut,
                                         "msg=\"big\" error=\"%s\" job=%s after=1", big, big);
            cr_assert(cut);
            cr_assert_eq(len, strlen(body));
            cr_assert_lt(len, sizeof body);
            cr_assert_eq(body[len - 1], '"', "the cut value is closed: ...%s", body + len - 20);
            json_t *j = as_json();
            const char *e = jstr(j, "error");
            cr_assert_gt(strlen(e), 1000);
            cr_assert_eq(strncmp(e, big, strlen(e)), 0, "what is left is a prefix of the value (shift %zu)", shift);
            cr_assert_null(json_object_get(j, "after"));
            cr_assert(json_is_true(json_object_get(j, "truncated")));
            json_decref(j);
        }
    }
}

Test(log_body, a_cut_bare_value_is_closed_and_a_half_key_dropped)
{
    static char big[5000];
    memset(big, 'x', sizeof big - 1);
    size_t len = log_body_format(body, 64, LOG_BODY_QUOTE_AS_NEEDED, &cut, "msg=\"m\" job=%s b=1", big);
    cr_assert(cut);
    cr_assert_leq(len, 63);
    cr_assert_eq(strncmp(body, "msg=\"m\" job=xxxx", 16), 0, "%s", body);
    len = log_body_format(body, 40, LOG_BODY_QUOTE_AS_NEEDED, &cut, "msg=\"m\" first=%d second_key_that_is_long=%d", 1,
                          2);
    cr_assert(cut);
    cr_assert_str_eq(body, "msg=\"m\" first=1", "the second key did not fit whole");
}

/* Every buffer size from the smallest up: the line always fits its buffer, parses, and is whole when not cut. */
Test(log_body, every_buffer_size_gives_a_valid_line)
{
    static char full[4096], small[400];
    const char *v = "a \"b\"\n\\c ü";
    for (int q = 0; q < 2; q++) {
        size_t n = log_body_format(full, sizeof full, (enum log_body_quoting)q, &cut,
                                   "msg=\"m %s\" job=%s n=%d url=http://%s/ %s tail=\"%s\"", v, v, 42, v, "k=v", v);
        cr_assert_not(cut);
        for (size_t len = 16; len <= n + LOG_BODY_RESERVE + 1 && len <= sizeof small; len++) {
            size_t m = log_body_format(small, len, (enum log_body_quoting)q, &cut,
                                       "msg=\"m %s\" job=%s n=%d url=http://%s/ %s tail=\"%s\"", v, v, 42, v, "k=v", v);
            cr_assert_lt(m, len, "fits its buffer (len %zu)", len);
            cr_assert_eq(m, strlen(small));
            if (!cut)
                cr_assert_str_eq(small, full, "whole when not cut (len %zu)", len);
            memcpy(body, small, m + 1);
            json_decref(as_json());
        }
    }
}
