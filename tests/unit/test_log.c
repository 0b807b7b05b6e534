/*
 * Unit tests for util/log.c: a logfmt line stays one line whatever the message holds (a PostgreSQL error with its
 * LINE/caret lines, tabs, other control bytes), so journald and shippers see one entry per event.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

/* Runs log_write with stderr pointed at a temporary file; returns what was written (caller frees). */
static char *capture(const char *msg)
{
    char path[] = "/tmp/test_log.XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    log_set_format(LOG_FORMAT_LOGFMT);
    log_write(LOG_ERROR, "msg=\"run failed\" error=\"%s\"", msg);
    dup2(saved, STDERR_FILENO);
    close(saved);
    static char buf[16384];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    unlink(path);
    cr_assert(n > 0);
    buf[n] = '\0';
    return strdup(buf);
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
    cr_assert(strstr(out, "does not exist\\nLINE 1: SELECT x FROM t\\n               ^\\n\"\n"), "%s", out);
    cr_assert(strstr(out, " level=error msg=\"run failed\" error=\""), "%s", out);
    free(out);
}

Test(log, tabs_returns_and_other_controls_are_escaped)
{
    char *out = capture("a\tb\rc\x01"
                        "d\x7f"
                        "e");
    cr_assert_eq(count_char(out, '\n'), 1, "%s", out);
    cr_assert(strstr(out, "a\\tb\\rc\\x01d\\x7fe"), "%s", out);
    free(out);
}

Test(log, plain_text_and_utf8_pass_unchanged)
{
    char *out = capture("naïve — 完了");
    cr_assert(strstr(out, "error=\"naïve — 完了\"\n"), "%s", out);
    free(out);
}
