/*
 * Unit tests for util/log.c: a logfmt line stays one line whatever the message holds (a PostgreSQL error with its
 * LINE/caret lines, tabs, other control bytes), so journald and shippers see one entry per event.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

/* Runs log_write in `format` with stderr pointed at a temporary file; returns what was written (caller frees). */
static char *capture_in(enum log_format format, const char *msg)
{
    char path[] = "/tmp/test_log.XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    log_set_format(format);
    log_write(LOG_ERROR, "msg=\"run failed\" error=\"%s\" job=%s n=%d", msg, msg, 7);
    log_set_format(LOG_FORMAT_LOGFMT);
    dup2(saved, STDERR_FILENO);
    close(saved);
    static char buf[65536];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    unlink(path);
    cr_assert(n > 0);
    buf[n] = '\0';
    return strdup(buf);
}

static char *capture(const char *msg)
{
    return capture_in(LOG_FORMAT_LOGFMT, msg);
}

static size_t count_char(const char *s, char c)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

Test(log, multi_line_error_stays_one_line)
{
    char *out = capture("column \"x\" does not exist\nLINE 1: SELECT x FROM t\n               ^\n");
    cr_assert_eq(count_char(out, '\n'), 1, "one event, one line: %s", out);
    cr_assert_eq(out[strlen(out) - 1], '\n');
    cr_assert(strstr(out, " level=error msg=\"run failed\" error=\"column \\\"x\\\" does not exist\\nLINE 1: SELECT x "
                          "FROM t\\n               ^\\n\" job=\"column \\\"x\\\""),
              "%s", out);
    free(out);
}

Test(log, tabs_returns_and_other_controls_are_escaped)
{
    char *out = capture("a\tb\rc\x01"
                        "d\x7f"
                        "e");
    cr_assert_eq(count_char(out, '\n'), 1, "%s", out);
    cr_assert(strstr(out, "a\\tb\\rc\\u0001d\\u007fe"), "%s", out);
    free(out);
}

Test(log, plain_text_and_utf8_pass_unchanged)
{
    char *out = capture("naïve — 完了");
    cr_assert(strstr(out, "error=\"naïve — 完了\" job=\"naïve — 完了\" n=7\n"), "%s", out);
    free(out);
}

Test(log, a_single_word_bare_value_is_not_quoted)
{
    char *out = capture("sessions.cleanup");
    cr_assert(strstr(out, " job=sessions.cleanup n=7\n"), "%s", out);
    free(out);
}

/* Parses a json-mode line back; asserts it is one JSON object on one line. */
static json_t *parse_line(const char *out)
{
    size_t n = strlen(out);
    cr_assert_eq(count_char(out, '\n'), 1, "%s", out);
    json_error_t e;
    json_t *j = json_loadb(out, n - 1, 0, &e);
    cr_assert_not_null(j, "not JSON (%s): %.300s", e.text, out);
    return j;
}

Test(log, json_line_keeps_a_forged_level_inside_the_value)
{
    const char *bad = "got \"a\" level=debug msg=all-good x=1\nLINE 1: \\";
    char *out = capture_in(LOG_FORMAT_JSON, bad);
    json_t *j = parse_line(out);
    cr_assert_str_eq(json_string_value(json_object_get(j, "level")), "error");
    cr_assert_str_eq(json_string_value(json_object_get(j, "msg")), "run failed");
    cr_assert_str_eq(json_string_value(json_object_get(j, "error")), bad);
    cr_assert_str_eq(json_string_value(json_object_get(j, "job")), bad);
    cr_assert(json_is_integer(json_object_get(j, "n")));
    cr_assert_null(json_object_get(j, "x"));
    json_decref(j);
    free(out);
}

/* A message past the 4 KiB cap, of quotes and backslashes (each escaped twice over in JSON), in both formats. */
Test(log, a_line_past_the_cap_is_cut_and_stays_valid)
{
    static char big[9000];
    for (size_t i = 0; i + 1 < sizeof big; i++)
        big[i] = "\"\\\nx"[i % 4];
    char *out = capture_in(LOG_FORMAT_JSON, big);
    json_t *j = parse_line(out);
    cr_assert(json_is_true(json_object_get(j, "truncated")), "%.200s", out);
    const char *e = json_string_value(json_object_get(j, "error"));
    cr_assert_not_null(e);
    cr_assert_gt(strlen(e), 500);
    cr_assert_eq(strncmp(e, big, strlen(e)), 0, "a prefix of the message");
    json_decref(j);
    free(out);
    out = capture(big);
    cr_assert_leq(strlen(out), 4096, "the 4 KiB cap");
    cr_assert_eq(count_char(out, '\n'), 1);
    const char *tail = " truncated=true\n";
    cr_assert_str_eq(out + strlen(out) - strlen(tail), tail, "%s", out + strlen(out) - 40);
    cr_assert_eq(out[strlen(out) - strlen(tail) - 1], '"', "the cut value is closed");
    free(out);
}
