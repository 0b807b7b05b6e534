/*
 * Unit tests for sched/cron.c: next-fire vectors (robfig/cron's spec tests, crontab(5) examples, calendar edges),
 * parse errors that name their field, name/number equivalences, steps, the 5-year horizon, cron_next_n, a
 * brute-force cross-check of cron_next, and the descriptions shown for the seed registry's schedules.
 * Every expected time below was also checked by an independent minute-by-minute scan.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sched/cron.h"

struct next_vector {
    const char *expr;
    const char *after; /* ISO UTC */
    const char *want;  /* ISO UTC, or NULL for "no fire within 5 years" */
};

static const struct next_vector next_vectors[] = {
    /* robfig/cron spec_test.go TestNext, seconds field dropped, wall clock read as UTC. Where robfig used the old
     * OR-for-"*\/5" rule, the expected day is the Vixie one (the first robfig release expected the same). */
    {"0/15 * * * *", "2012-07-09T14:45:00Z", "2012-07-09T15:00:00Z"},
    {"0/15 * * * *", "2012-07-09T14:59:00Z", "2012-07-09T15:00:00Z"},
    {"0/15 * * * *", "2012-07-09T14:59:59Z", "2012-07-09T15:00:00Z"},
    {"20-35/15 * * * *", "2012-07-09T15:45:00Z", "2012-07-09T16:20:00Z"},
    {"*/15 * * * *", "2012-07-09T23:46:00Z", "2012-07-10T00:00:00Z"},
    {"20-35/15 * * * *", "2012-07-09T23:45:00Z", "2012-07-10T00:20:00Z"},
    {"20-35/15 * * * *", "2012-07-09T23:35:51Z", "2012-07-10T00:20:00Z"},
    {"20-35/15 1/2 * * *", "2012-07-09T23:35:51Z", "2012-07-10T01:20:00Z"},
    {"20-35/15 10-12 * * *", "2012-07-09T23:35:51Z", "2012-07-10T10:20:00Z"},
    {"20-35/15 1/2 */2 * *", "2012-07-09T23:35:51Z", "2012-07-11T01:20:00Z"},
    {"20-35/15 * 9-20 * *", "2012-07-09T23:35:51Z", "2012-07-10T00:20:00Z"},
    {"20-35/15 * 9-20 Jul *", "2012-07-09T23:35:51Z", "2012-07-10T00:20:00Z"},
    {"0 0 9 Apr-Oct ?", "2012-07-09T23:35:00Z", "2012-08-09T00:00:00Z"},
    {"0 0 */5 Apr,Aug,Oct Mon", "2012-07-09T23:35:00Z", "2012-08-06T00:00:00Z"},
    {"0 0 */5 Oct Mon", "2012-07-09T23:35:00Z", "2012-10-01T00:00:00Z"},
    {"0 0 * Feb Mon", "2012-07-09T23:35:00Z", "2013-02-04T00:00:00Z"},
    {"0 0 * Feb Mon/2", "2012-07-09T23:35:00Z", "2013-02-01T00:00:00Z"},
    {"* * * * *", "2012-12-31T23:59:45Z", "2013-01-01T00:00:00Z"},
    {"0 0 29 Feb ?", "2012-07-09T23:35:00Z", "2016-02-29T00:00:00Z"},
    {"0 0 30 Feb ?", "2012-07-09T23:35:00Z", NULL},
    {"0 0 31 Apr ?", "2012-07-09T23:35:00Z", NULL},
    {"0 3 3 * ?", "2012-11-04T00:00:00Z", "2012-12-03T03:00:00Z"},
    {"14 14 * * *", "2016-01-03T13:09:03Z", "2016-01-03T14:14:00Z"},
    {"14 14 * * ?", "2016-01-03T04:09:03Z", "2016-01-03T14:14:00Z"},
    {"14 14 * * *", "2016-01-03T14:09:03Z", "2016-01-03T14:14:00Z"},
    /* robfig DST cases: in UTC there is no gap and no repeat */
    {"30 2 11 Mar ?", "2012-03-11T00:00:00Z", "2012-03-11T02:30:00Z"},
    {"0 2 * * ?", "2012-03-11T00:00:00Z", "2012-03-11T02:00:00Z"},
    {"0 1 * * ?", "2012-11-04T01:00:00Z", "2012-11-05T01:00:00Z"},
    {"30 1 04 Nov ?", "2012-11-04T01:45:00Z", "2013-11-04T01:30:00Z"},
    /* robfig TestActivation, as next(t - 1s) == t or != t */
    {"5/15 * * * *", "2012-07-09T15:04:59Z", "2012-07-09T15:05:00Z"},
    {"5/15 * * * *", "2012-07-09T15:05:00Z", "2012-07-09T15:20:00Z"},
    {"5/15 * * * *", "2012-07-09T15:35:00Z", "2012-07-09T15:50:00Z"},
    {"0/15 * * Jul *", "2012-07-15T14:59:59Z", "2012-07-15T15:00:00Z"},
    {"0/15 * * Jun *", "2012-07-15T14:59:59Z", "2013-06-01T00:00:00Z"},
    {"30 08 ? Jul Sun", "2012-07-15T08:29:59Z", "2012-07-15T08:30:00Z"},
    {"30 08 15 Jul ?", "2012-07-15T08:29:59Z", "2012-07-15T08:30:00Z"},
    {"30 08 ? Jul Sun", "2012-07-16T08:29:59Z", "2012-07-22T08:30:00Z"},
    {"30 08 15 Jul ?", "2012-07-16T08:29:59Z", "2013-07-15T08:30:00Z"},
    {"@hourly", "2012-07-09T14:59:59Z", "2012-07-09T15:00:00Z"},
    {"@hourly", "2012-07-09T15:03:59Z", "2012-07-09T16:00:00Z"},
    {"@daily", "2012-07-09T14:59:59Z", "2012-07-10T00:00:00Z"},
    {"@daily", "2012-07-08T23:59:59Z", "2012-07-09T00:00:00Z"},
    {"@weekly", "2012-07-07T23:59:59Z", "2012-07-08T00:00:00Z"},
    {"@weekly", "2012-07-08T00:00:00Z", "2012-07-15T00:00:00Z"},
    {"@monthly", "2012-07-07T23:59:59Z", "2012-08-01T00:00:00Z"},
    {"@monthly", "2012-06-30T23:59:59Z", "2012-07-01T00:00:00Z"},
    {"* * 1,15 * Sun", "2012-07-14T23:59:59Z", "2012-07-15T00:00:00Z"},
    {"* * 1,15 * Sun", "2012-06-14T23:59:59Z", "2012-06-15T00:00:00Z"},
    {"* * 1,15 * Sun", "2012-07-31T23:59:59Z", "2012-08-01T00:00:00Z"},
    {"* * * * Mon", "2012-07-14T23:59:59Z", "2012-07-16T00:00:00Z"},
    {"* * 1,15 * *", "2012-07-08T23:59:59Z", "2012-07-15T00:00:00Z"},
    {"* * */2 * Sun", "2012-07-14T23:59:59Z", "2012-07-15T00:00:00Z"},
    /* robfig v3 (#70) fires "* * *\/10 * Sun" on Sun 2012-07-15 (step > 1 = restricted, so OR); our contract is
     * Vixie (starts with a star = unrestricted, so AND): day 1/11/21/31 that is a Sunday. Verified by brute force. */
    {"* * */10 * Sun", "2012-07-14T23:59:59Z", "2012-10-21T00:00:00Z"},
    /* crontab(5) examples and brief cases, 2025-01-01 is a Wednesday */
    {"5 0 * * *", "2025-01-01T00:00:00Z", "2025-01-01T00:05:00Z"},
    {"15 14 1 * *", "2025-01-01T00:00:00Z", "2025-01-01T14:15:00Z"},
    {"15 14 1 * *", "2025-01-01T14:15:00Z", "2025-02-01T14:15:00Z"},
    {"0 22 * * 1-5", "2025-01-03T22:00:00Z", "2025-01-06T22:00:00Z"},
    {"23 0-23/2 * * *", "2025-01-01T00:23:00Z", "2025-01-01T02:23:00Z"},
    {"23 0-23/2 * * *", "2025-01-01T22:23:00Z", "2025-01-02T00:23:00Z"},
    {"5 4 * * sun", "2025-01-01T00:00:00Z", "2025-01-05T04:05:00Z"},
    {"0 */4 1 * mon", "2025-01-01T20:00:00Z", "2025-01-06T00:00:00Z"},
    {"30 4 1,15 * 5", "2025-01-01T05:00:00Z", "2025-01-03T04:30:00Z"},
    {"0 0 1,15 * 1", "2025-01-01T00:00:00Z", "2025-01-06T00:00:00Z"},
    {"0 0 1,15 * 1", "2025-01-13T00:00:00Z", "2025-01-15T00:00:00Z"},
    {"0 0 1 * MON", "2025-01-01T00:00:00Z", "2025-01-06T00:00:00Z"},
    {"0 0 1 * MON", "2025-01-27T00:00:00Z", "2025-02-01T00:00:00Z"},
    {"@weekly", "2025-01-01T00:00:00Z", "2025-01-05T00:00:00Z"},
    {"@yearly", "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"},
    {"@annually", "2025-06-15T12:00:00Z", "2026-01-01T00:00:00Z"},
    {"@midnight", "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"},
    {"0 0 * * *", "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"},
    {"0 0 29 2 *", "2025-01-01T00:00:00Z", "2028-02-29T00:00:00Z"},
    {"0 0 29 2 *", "2000-01-01T00:00:00Z", "2000-02-29T00:00:00Z"},
    {"0 0 29 2 *", "2097-01-01T00:00:00Z", NULL},
    {"59 23 31 12 *", "2024-12-31T23:59:00Z", "2025-12-31T23:59:00Z"},
    {"0 0 * * *", "1969-12-31T12:00:00Z", "1970-01-01T00:00:00Z"},
    {"0 12 * * 7", "2025-01-01T00:00:00Z", "2025-01-05T12:00:00Z"},
    {"0 0 31 * *", "2025-04-01T00:00:00Z", "2025-05-31T00:00:00Z"},
    {"0 9-17 * * MON-FRI", "2025-01-03T17:00:00Z", "2025-01-06T09:00:00Z"},
    {"*/15 * * * *", "2025-01-01T00:14:59Z", "2025-01-01T00:15:00Z"},
    {"0 2 * * *", "2025-01-01T02:00:00Z", "2025-01-02T02:00:00Z"},
    {"30 0 1 * *", "2025-01-31T23:00:00Z", "2025-02-01T00:30:00Z"},
    {"0 3 * * 0", "2025-01-05T03:00:00Z", "2025-01-12T03:00:00Z"},
};

static time_t iso(const char *s)
{
    struct tm tm = {0};
    int n = sscanf(s, "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
    cr_assert_eq(n, 6, "bad ISO time in test table: %s", s);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

static const char *fmt_time(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (t < 0 || !gmtime_r(&t, &tm))
        snprintf(buf, len, "%lld", (long long)t);
    else
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static struct cron_schedule parse_ok(const char *expr)
{
    struct cron_schedule s;
    char err[128];
    cr_assert_eq(cron_parse(expr, &s, err, sizeof err), 0, "\"%s\" should parse, got: %s", expr, err);
    return s;
}

static void assert_same_schedule(const char *a, const char *b)
{
    struct cron_schedule x = parse_ok(a), y = parse_ok(b);
    cr_assert(x.minutes == y.minutes && x.hours == y.hours && x.mdays == y.mdays && x.months == y.months &&
                  x.wdays == y.wdays && x.mday_star == y.mday_star && x.wday_star == y.wday_star,
              "\"%s\" and \"%s\" should parse to the same schedule", a, b);
}

Test(cron_next, vectors)
{
    size_t n = sizeof next_vectors / sizeof next_vectors[0];
    cr_assert_geq(n, 45);
    for (size_t i = 0; i < n; i++) {
        const struct next_vector *v = &next_vectors[i];
        struct cron_schedule s = parse_ok(v->expr);
        time_t want = v->want ? iso(v->want) : -1;
        time_t got = cron_next(&s, iso(v->after));
        char gbuf[32], wbuf[32];
        cr_expect_eq(got, want, "\"%s\" after %s: want %s, got %s", v->expr, v->after,
                     fmt_time(want, wbuf, sizeof wbuf), fmt_time(got, gbuf, sizeof gbuf));
    }
}

struct error_case {
    const char *expr;
    const char *field; /* must appear in the message; NULL when the error is about the whole expression */
    const char *message;
};

static const struct error_case error_cases[] = {
    {"0 24 * * *", "hour", "hour: value 24 out of range 0-23"},
    {"0 0 * * * *", NULL, "expected 5 fields, got 6"},
    {"0 0 * *", NULL, "expected 5 fields, got 4"},
    {"", NULL, "empty expression"},
    {"   \t ", NULL, "empty expression"},
    {"0 0 * * FUNDAY", "day-of-week", "day-of-week: unknown name \"FUNDAY\""},
    {"*/0 * * * *", "minute", "minute: step must be at least 1"},
    {"60 * * * *", "minute", "minute: value 60 out of range 0-59"},
    {"* * 0 * *", "day-of-month", "day-of-month: value 0 out of range 1-31"},
    {"* * 32 * *", "day-of-month", "day-of-month: value 32 out of range 1-31"},
    {"* * * 13 *", "month", "month: value 13 out of range 1-12"},
    {"* * * 0 *", "month", "month: value 0 out of range 1-12"},
    {"* * * 00 *", "month", "month: value 00 out of range 1-12"},
    {"* * * * 8", "day-of-week", "day-of-week: value 8 out of range 0-7"},
    {"* * * FOO *", "month", "month: unknown name \"FOO\""},
    {"* * * JANUARY *", "month", "month: unknown name \"JANUARY\""},
    {"MON * * * *", "minute", "minute: expected a number, got \"MON\""},
    {"30-10 * * * *", "minute", "minute: range 30-10 runs backwards"},
    /* SAT-SUN wraps now (cronie); a backwards range not ending on Sunday still matches no day in cronie: refused */
    {"* * * * FRI-MON", "day-of-week",
     "day-of-week: range 5-1 runs backwards (only a range ending on Sunday wraps: SAT-SUN, 5-0)"},
    {"*/x * * * *", "minute", "minute: step \"x\" is not a number"},
    {"5/ * * * *", "minute", "minute: missing step after '/'"},
    {"1,,2 * * * *", "minute", "minute: empty list item"},
    {"1, * * * *", "minute", "minute: empty list item"},
    {"1- * * * *", "minute", "minute: missing value"},
    {"* ? * * *", "hour", "hour: invalid value \"?\""},
    {"* 1.5 * * *", "hour", "hour: invalid value \"1.5\""},
    {"* * * * 1-2-3", "day-of-week", "day-of-week: invalid value \"2-3\""},
    {"0 99999999999 * * *", "hour", "hour: value 99999999999 out of range 0-23"},
    {"0 0 1/0 * *", "day-of-month", "day-of-month: step must be at least 1"},
    {"@reboot", NULL, "@reboot is not supported"},
    {"@every 5m", NULL, "unknown macro \"@every\""},
    {"@daily now", NULL, "unexpected text after @daily"},
    {"@fortnightly", NULL, "unknown macro \"@fortnightly\""},
};

Test(cron_parse, errors_name_their_field)
{
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        const struct error_case *c = &error_cases[i];
        struct cron_schedule s;
        memset(&s, 0xA5, sizeof s);
        struct cron_schedule before = s;
        char err[128] = "untouched";
        cr_expect_eq(cron_parse(c->expr, &s, err, sizeof err), -1, "\"%s\" should not parse", c->expr);
        cr_expect_str_eq(err, c->message, "\"%s\"", c->expr);
        if (c->field)
            cr_expect(strncmp(err, c->field, strlen(c->field)) == 0, "\"%s\": \"%s\" should start with %s", c->expr,
                      err, c->field);
        cr_expect(memcmp(&s, &before, sizeof s) == 0, "\"%s\": out must be untouched on error", c->expr);
    }
}

Test(cron_parse, too_long_and_truncated_errors)
{
    char expr[CRON_MAX_EXPR + 2];
    memset(expr, ' ', sizeof expr);
    expr[sizeof expr - 1] = '\0';
    memcpy(expr, "* * * * *", 9);
    struct cron_schedule s;
    char err[128];
    cr_assert_eq(cron_parse(expr, &s, err, sizeof err), -1);
    cr_assert_str_eq(err, "expression is longer than 256 characters");

    expr[CRON_MAX_EXPR] = '\0'; /* exactly the maximum is fine */
    cr_assert_eq(cron_parse(expr, &s, err, sizeof err), 0, "%s", err);

    char small[8];
    cr_assert_eq(cron_parse("0 24 * * *", &s, small, sizeof small), -1);
    cr_assert_str_eq(small, "hour: v");
    cr_assert_eq(cron_parse("0 24 * * *", &s, NULL, 0), -1);
    cr_assert_eq(cron_parse(NULL, &s, err, sizeof err), -1);
}

Test(cron_parse, error_text_is_printable_ascii)
{
    struct cron_schedule s;
    char err[128];
    cr_assert_eq(cron_parse("* * * * \x01\xff\x7f", &s, err, sizeof err), -1);
    for (const char *p = err; *p; p++)
        cr_assert(*p >= 0x20 && *p < 0x7f, "byte 0x%02x in \"%s\"", (unsigned char)*p, err);
}

Test(cron_parse, names_are_case_insensitive)
{
    assert_same_schedule("0 0 * jan mon", "0 0 * JAN MON");
    assert_same_schedule("0 0 * Jan Mon", "0 0 * 1 1");
    assert_same_schedule("0 0 * jan-mar mon-fri", "0 0 * 1-3 1-5");
    assert_same_schedule("0 0 * * Sat,sUn", "0 0 * * 6,0");
    assert_same_schedule("0 0 1 DEC *", "0 0 1 12 *");
    assert_same_schedule("@DAILY", "0 0 * * *");
}

Test(cron_parse, seven_zero_and_sun_are_sunday)
{
    assert_same_schedule("0 0 * * 7", "0 0 * * 0");
    assert_same_schedule("0 0 * * SUN", "0 0 * * 0");
    assert_same_schedule("0 0 * * 5-7", "0 0 * * 0,5,6");
    assert_same_schedule("0 0 * * 0-7", "0 0 * * 0-6");
    cr_assert_eq(parse_ok("0 0 * * 7").wdays, 0x01);
}

Test(cron_parse, steps)
{
    cr_assert_eq(parse_ok("5/15 * * * *").minutes, (1ULL << 5) | (1ULL << 20) | (1ULL << 35) | (1ULL << 50));
    cr_assert_eq(parse_ok("0-10/5 * * * *").minutes, (1ULL << 0) | (1ULL << 5) | (1ULL << 10));
    cr_assert_eq(parse_ok("10/25 * * * *").minutes, (1ULL << 10) | (1ULL << 35));
    cr_assert_eq(parse_ok("0 */6 * * *").hours, 0x041041u);
    cr_assert_eq(parse_ok("0 0 */10 * *").mdays, (1u << 1) | (1u << 11) | (1u << 21) | (1u << 31));
    cr_assert_eq(parse_ok("0 0 * */4 *").months, (1u << 1) | (1u << 5) | (1u << 9));
    cr_assert_eq(parse_ok("0 0 * * MON/2").wdays, (1u << 1) | (1u << 3) | (1u << 5));
    cr_assert_eq(parse_ok("0 0 * * */2").wdays, (1u << 0) | (1u << 2) | (1u << 4) | (1u << 6));
    cr_assert_eq(parse_ok("59/100 * * * *").minutes, 1ULL << 59);
    cr_assert_eq(parse_ok("*/0000000001 * * * *").minutes, (1ULL << 60) - 1);
    cr_assert_eq(parse_ok("000000000005 * * * *").minutes, 1ULL << 5);
    cr_assert_eq(parse_ok("0/99999999999999 * * * *").minutes, 1ULL);
    cr_assert_eq(parse_ok("1,5-7/2,3 * * * *").minutes, (1ULL << 1) | (1ULL << 5) | (1ULL << 7) | (1ULL << 3));
}

Test(cron_parse, star_flags_follow_the_first_character)
{
    struct cron_schedule s = parse_ok("0 0 */2 * SUN");
    cr_assert(s.mday_star && !s.wday_star);
    s = parse_ok("0 0 1 * ?");
    cr_assert(!s.mday_star && s.wday_star);
    s = parse_ok("0 0 1-31 * 0-6");
    cr_assert(!s.mday_star && !s.wday_star);
    s = parse_ok("  \t0 0 * * *\n");
    cr_assert(s.mday_star && s.wday_star);
}

Test(cron_next, impossible_schedules_return_minus_one)
{
    const char *never[] = {"0 0 30 2 *", "0 0 31 4 *", "0 0 31 2,4,6,9,11 *", "* * 30,31 FEB *"};
    time_t after = iso("2025-01-01T00:00:00Z");
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
        struct cron_schedule s = parse_ok(never[i]);
        cr_expect_eq(cron_next(&s, after), -1, "\"%s\"", never[i]);
    }
    /* ...but an OR with a day of week makes them possible again: any Monday in February */
    struct cron_schedule s = parse_ok("0 0 30 2 MON");
    cr_expect_eq(cron_next(&s, after), iso("2025-02-03T00:00:00Z"));
}

Test(cron_next, edges_of_the_supported_range)
{
    struct cron_schedule s = parse_ok("* * * * *");
    cr_assert_eq(cron_next(NULL, 0), -1);
    cr_assert_eq(cron_next(&s, iso("9999-12-31T23:58:00Z")), iso("9999-12-31T23:59:00Z"));
    cr_assert_eq(cron_next(&s, iso("9999-12-31T23:59:00Z")), -1, "no fire times in year 10000");
    cr_assert_eq(cron_next(&s, iso("9999-12-31T23:59:59Z") + 1), -1);
    struct cron_schedule rare = parse_ok("0 0 1,25 1 0"); /* Jan 1 or 25 that is a Sunday: years apart */
    cr_assert_eq(cron_next(&rare, iso("9999-05-02T23:09:42Z")), -1, "found by fuzz_cron: 10004-01-25 is too late");
    cr_assert_eq(cron_next(&s, iso("0001-01-01T00:00:00Z")), iso("0001-01-01T00:01:00Z"));
    cr_assert_eq(cron_next(&s, iso("0001-01-01T00:00:00Z") - 1), -1);
    cr_assert_eq(cron_next(&s, (time_t)INT64_MAX), -1);
    cr_assert_eq(cron_next(&s, (time_t)INT64_MIN), -1);
    cr_assert_eq(cron_next(&s, -1), 0);
    cr_assert_eq(cron_next(&s, -61), -60);
}

Test(cron_next, skips_instead_of_scanning_minutes)
{
    /* 2000 horizon-long searches: minute-by-minute scanning would be ~2.6M steps each and take minutes. */
    struct cron_schedule never = parse_ok("0 0 30 2 *"), leap = parse_ok("59 23 29 2 *");
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(cron_next(&never, 1735689600 + i * 86400), -1);
        cr_assert_gt(cron_next(&leap, 1735689600 + i * 86400), 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    cr_expect_lt(secs, 5.0, "2000 searches took %.2fs", secs);
}

/* The obvious slow answer: step minute by minute (a day at a time on non-matching days) and test every field. */
static bool naive_matches_day(const struct cron_schedule *s, const struct tm *tm)
{
    bool dom = (s->mdays >> tm->tm_mday) & 1, dow = (s->wdays >> tm->tm_wday) & 1;
    bool day = (s->mday_star || s->wday_star) ? dom && dow : dom || dow;
    return day && ((s->months >> (tm->tm_mon + 1)) & 1);
}

static time_t naive_next(const struct cron_schedule *s, time_t after, time_t limit)
{
    time_t t = after - (after % 60 + 60) % 60 + 60;
    while (t <= limit) {
        struct tm tm;
        gmtime_r(&t, &tm);
        if (!naive_matches_day(s, &tm))
            t += 86400 - (tm.tm_hour * 3600 + tm.tm_min * 60);
        else if (((s->hours >> tm.tm_hour) & 1) && ((s->minutes >> tm.tm_min) & 1))
            return t;
        else
            t += 60;
    }
    return -1;
}

Test(cron_next, agrees_with_brute_force)
{
    const char *exprs[] = {
        "*/7 3-5 * * *", "0 0 1,15 * 1",   "0 0 */5 * Mon", "15 10 * * 6,0",          "0 0 31 * *",
        "0 12 29 2 *",   "*/13 */5 * * *", "0 0 1-7 * 1",   "30 4 */3 JAN-MAR,OCT *", "0 0 1,15 * 5",
    };
    uint64_t seed = 42;
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        struct cron_schedule s = parse_ok(exprs[i]);
        for (int k = 0; k < 200; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            time_t after = 946684800 + (time_t)((seed >> 20) % (60ULL * 365 * 86400)); /* 2000..2060 */
            time_t want = naive_next(&s, after, after + 5 * 366 * 86400);
            time_t got = cron_next(&s, after);
            cr_assert_eq(got, want, "\"%s\" after %lld: want %lld, got %lld", exprs[i], (long long)after,
                         (long long)want, (long long)got);
        }
    }
}

Test(cron_next_n, gives_n_increasing_times)
{
    time_t out[10];
    char err[128];
    time_t after = iso("2025-01-01T00:00:00Z");
    cr_assert_eq(cron_next_n("*/15 * * * *", after, out, 10, err, sizeof err), 10, "%s", err);
    cr_assert_eq(out[0], after + 900);
    for (int i = 1; i < 10; i++)
        cr_assert_eq(out[i], out[i - 1] + 900);

    cr_assert_eq(cron_next_n("0 0 1,15 * 1", after, out, 4, err, sizeof err), 4);
    cr_assert_eq(out[0], iso("2025-01-06T00:00:00Z"));
    cr_assert_eq(out[1], iso("2025-01-13T00:00:00Z"));
    cr_assert_eq(out[2], iso("2025-01-15T00:00:00Z"));
    cr_assert_eq(out[3], iso("2025-01-20T00:00:00Z"));
}

Test(cron_next_n, short_counts_and_errors)
{
    time_t out[4];
    char err[128];
    time_t after = iso("2025-01-01T00:00:00Z");
    cr_assert_eq(cron_next_n("0 0 30 2 *", after, out, 4, err, sizeof err), 0);
    cr_assert_eq(cron_next_n("0 0 * * *", after, out, 0, err, sizeof err), 0);
    cr_assert_eq(cron_next_n("0 0 * * *", after, out, -1, err, sizeof err), -1);
    cr_assert_str_eq(err, "count -1 out of range 0-1000");
    cr_assert_eq(cron_next_n("0 0 * * *", after, out, CRON_NEXT_N_MAX + 1, err, sizeof err), -1);
    cr_assert_eq(cron_next_n("0 24 * * *", after, out, 4, err, sizeof err), -1);
    cr_assert_str_eq(err, "hour: value 24 out of range 0-23");
    /* 2096 and 2104 are leap years, 2100 is not: the second fire is beyond the horizon of the first */
    cr_assert_eq(cron_next_n("0 0 29 2 *", iso("2096-01-01T00:00:00Z"), out, 4, err, sizeof err), 1);
    cr_assert_eq(out[0], iso("2096-02-29T00:00:00Z"));
}

struct describe_case {
    const char *expr;
    const char *want;
};

static const struct describe_case describe_cases[] = {
    /* the seed registry's schedules */
    {"*/15 * * * *", "every 15 minutes"},
    {"0 2 * * *", "at 02:00 every day"},
    {"0 * * * *", "every hour"},
    {"0 1 * * *", "at 01:00 every day"},
    {"30 0 1 * *", "at 00:30 on day 1 of every month"},
    {"35 0 1 * *", "at 00:35 on day 1 of every month"},
    {"0 */6 * * *", "every 6 hours"},
    {"*/30 * * * *", "every 30 minutes"},
    {"5 * * * *", "at minute 5 of every hour"},
    {"0 3 * * 0", "at 03:00 on Sunday"},
    /* others */
    {"* * * * *", "every minute"},
    {"0,30 * * * *", "every 30 minutes"},
    {"0,20 * * * *", "at minutes 0,20 of every hour"},
    {"@weekly", "at 00:00 on Sunday"},
    {"@yearly", "at 00:00 on day 1 of January"},
    {"@hourly", "every hour"},
    {"0 22 * * 1-5", "at 22:00 on Monday-Friday"},
    {"0 22 * * 6,7", "at 22:00 on Sunday, Saturday"},
    {"0 0 1,15 * 1", "at 00:00 on days 1,15 of the month and on Monday"},
    {"0 0 */10 * SUN", "at 00:00 on days 1,11,21,31 of the month that fall on Sunday"},
    {"0 0 1-31 * 1", "at 00:00 every day"},
    {"23 0-23/2 * * *", "at minute 23 every 2 hours"},
    {"0 9,17 * * *", "at 09:00 and 17:00 every day"},
    {"0 9,12,17 * * 1-5", "at 09:00, 12:00 and 17:00 on Monday-Friday"},
    {"0,30 1-5 * * *", "every 30 minutes during hours 1-5"},
    {"0,20 1-5 * * *", "at minutes 0,20 past hours 1-5"},
    {"5 1,3 * * *", "at 01:05 and 03:05 every day"},
    {"5 1-4 * * *", "at 01:05, 02:05, 03:05 and 04:05 every day"},
    {"5 1-5 * * *", "at minute 5 past hours 1-5"},
    {"*/10 9-17 * * *", "every 10 minutes during hours 9-17"},
    {"* 3 * * *", "every minute during hour 3"},
    {"0 0 * JAN,JUL *", "at 00:00 every day in January, July"},
    {"0 0 1 1-3 *", "at 00:00 on day 1 of January-March"},
};

Test(cron_describe, phrases)
{
    for (size_t i = 0; i < sizeof describe_cases / sizeof describe_cases[0]; i++) {
        const struct describe_case *c = &describe_cases[i];
        char buf[160];
        cr_expect_eq(cron_describe(c->expr, buf, sizeof buf), 0, "\"%s\": %s", c->expr, buf);
        cr_expect_str_eq(buf, c->want, "\"%s\": got \"%s\"", c->expr, buf);
    }
}

Test(cron_describe, errors_and_small_buffers)
{
    char buf[64];
    cr_assert_eq(cron_describe("0 24 * * *", buf, sizeof buf), -1);
    cr_assert_str_eq(buf, "hour: value 24 out of range 0-23");
    char tiny[6];
    cr_assert_eq(cron_describe("0 2 * * *", tiny, sizeof tiny), 0);
    cr_assert_str_eq(tiny, "at 02");
    cr_assert_eq(cron_describe("0 2 * * *", NULL, 0), 0);
}

/* ---- wrapping day-of-week ranges ---------------------------------------------------------------------------- */

Test(cron_parse, wrapping_day_of_week_ranges_end_on_sunday)
{
    /* cronie (entry.c get_range): a range a-0 with a > 0 reads as a-7, Sunday being 7 */
    assert_same_schedule("0 0 * * SAT-SUN", "0 0 * * 6,0");
    assert_same_schedule("0 0 * * 6-0", "0 0 * * 6,0");
    assert_same_schedule("0 0 * * FRI-SUN", "0 0 * * 5,6,0");
    assert_same_schedule("0 0 * * 5-0", "0 0 * * 5-7");
    assert_same_schedule("0 0 * * 1-0", "0 0 * * 0-6");
    assert_same_schedule("0 0 * * 7-0", "0 0 * * 0");
    assert_same_schedule("0 0 * * MON,SAT-SUN", "0 0 * * 0,1,6");
    /* steps walk the same wrapped range: 5, 7 */
    assert_same_schedule("0 0 * * 5-0/2", "0 0 * * 5,0");
    assert_same_schedule("0 0 * * 1-0/3", "0 0 * * 1,4,0");
    assert_same_schedule("0 0 * * SUN-SAT", "0 0 * * 0-6");
    cr_assert(!parse_ok("0 0 * * SAT-SUN").wday_star, "a wrapping range is a restriction (Vixie OR with dom)");
    /* a Saturday-Sunday job fires on the weekend only: 2025-01-03 is a Friday */
    struct cron_schedule s = parse_ok("0 9 * * SAT-SUN");
    cr_assert_eq(cron_next(&s, iso("2025-01-03T12:00:00Z")), iso("2025-01-04T09:00:00Z"));
    cr_assert_eq(cron_next(&s, iso("2025-01-04T09:00:00Z")), iso("2025-01-05T09:00:00Z"));
    cr_assert_eq(cron_next(&s, iso("2025-01-05T09:00:00Z")), iso("2025-01-11T09:00:00Z"));
}

Test(cron_parse, other_backwards_ranges_are_refused_with_their_field)
{
    const struct error_case cases[] = {
        {"0 0 * * FRI-MON", "day-of-week",
         "day-of-week: range 5-1 runs backwards (only a range ending on Sunday wraps: SAT-SUN, 5-0)"},
        {"0 0 * * 6-1", "day-of-week",
         "day-of-week: range 6-1 runs backwards (only a range ending on Sunday wraps: SAT-SUN, 5-0)"},
        {"0 0 * * 7-1", "day-of-week",
         "day-of-week: range 7-1 runs backwards (only a range ending on Sunday wraps: SAT-SUN, 5-0)"},
        {"0 0 * * 6-1/2", "day-of-week",
         "day-of-week: range 6-1 runs backwards (only a range ending on Sunday wraps: SAT-SUN, 5-0)"},
        {"0 22-2 * * *", "hour", "hour: range 22-2 runs backwards"},
        {"0 5-0 * * *", "hour", "hour: range 5-0 runs backwards"},
        {"50-10 * * * *", "minute", "minute: range 50-10 runs backwards"},
        {"0 0 * NOV-FEB *", "month", "month: range 11-2 runs backwards"},
        {"0 0 31-1 * *", "day-of-month", "day-of-month: range 31-1 runs backwards"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cron_schedule s;
        char err[160];
        cr_expect_eq(cron_parse(cases[i].expr, &s, err, sizeof err), -1, "\"%s\"", cases[i].expr);
        cr_expect_str_eq(err, cases[i].message, "\"%s\"", cases[i].expr);
    }
}

/* ---- time zones: parsing ------------------------------------------------------------------------------------ */

Test(cron_tz, prefix_sets_the_zone)
{
    struct cron_schedule s = parse_ok("CRON_TZ=Asia/Tokyo 0 0 * * *");
    cr_assert_str_eq(s.zone, "Asia/Tokyo");
    assert_same_schedule("CRON_TZ=Asia/Tokyo 0 0 * * *", "0 0 * * *");
    cr_assert_str_eq(parse_ok("TZ=America/New_York @daily").zone, "America/New_York");
    cr_assert_str_eq(parse_ok("  CRON_TZ=UTC\t*/5 * * * *").zone, "UTC");
    cr_assert_str_eq(parse_ok("0 0 * * *").zone, "", "no prefix: UTC, as before");
    cr_assert(parse_ok("CRON_TZ=Etc/UTC @hourly").hour_star);
}

Test(cron_tz, strip_zone)
{
    cr_assert_str_eq(cron_strip_zone("CRON_TZ=Asia/Tokyo  0 0 * * *"), "0 0 * * *");
    cr_assert_str_eq(cron_strip_zone(" TZ=UTC\t@daily"), "@daily");
    cr_assert_str_eq(cron_strip_zone("  */5 * * * *"), "*/5 * * * *");
    cr_assert_str_eq(cron_strip_zone("CRON_TZ=UTC"), "");
    cr_assert_str_eq(cron_strip_zone("cron_tz=UTC * * * * *"), "cron_tz=UTC * * * * *");
}

Test(cron_tz, prefix_errors)
{
    const struct error_case cases[] = {
        {"CRON_TZ=Mars/Olympus 0 0 * * *", "CRON_TZ", "CRON_TZ: unknown time zone \"Mars/Olympus\""},
        {"TZ=Mars/Olympus 0 0 * * *", "TZ", "TZ: unknown time zone \"Mars/Olympus\""},
        {"CRON_TZ= 0 0 * * *", "CRON_TZ", "CRON_TZ: missing time zone name"},
        {"CRON_TZ=UTC", "CRON_TZ", "CRON_TZ: expected a cron expression after the time zone"},
        {"CRON_TZ=UTC   ", "CRON_TZ", "CRON_TZ: expected a cron expression after the time zone"},
        {"CRON_TZ=../../etc/passwd * * * * *", "CRON_TZ",
         "CRON_TZ: time zone name \"../../etc/passwd\" must not contain \"..\""},
        {"CRON_TZ=/etc/localtime * * * * *", "CRON_TZ",
         "CRON_TZ: time zone \"/etc/localtime\" is a path; give a name like Europe/Berlin"},
        {"CRON_TZ=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA * * * * *", "CRON_TZ",
         "CRON_TZ: time zone name is longer than 64 characters"},
        {"CRON_TZ=UTC 0 24 * * *", "hour", "hour: value 24 out of range 0-23"},
        {"CRON_TZ=UTC @reboot", NULL, "@reboot is not supported"},
        {"CRON_TZ=UTC CRON_TZ=UTC * * * *", "minute", "minute: invalid value \"CRON_TZ=UTC\""}, /* one prefix */
        {"cron_tz=UTC * * * * *", NULL, "expected 5 fields, got 6"}, /* the keyword is case-sensitive */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct error_case *c = &cases[i];
        struct cron_schedule s;
        memset(&s, 0x5A, sizeof s);
        struct cron_schedule before = s;
        char err[160];
        cr_expect_eq(cron_parse(c->expr, &s, err, sizeof err), -1, "\"%s\" should not parse", c->expr);
        cr_expect_str_eq(err, c->message, "\"%s\"", c->expr);
        if (c->field)
            cr_expect(strncmp(err, c->field, strlen(c->field)) == 0, "\"%s\": %s", c->expr, err);
        cr_expect(memcmp(&s, &before, sizeof s) == 0, "\"%s\": out must be untouched on error", c->expr);
    }
}

Test(cron_tz, utc_zone_is_the_same_as_no_zone)
{
    const char *const prefixes[] = {"CRON_TZ=UTC ", "CRON_TZ=Etc/UTC ", "TZ=UTC "};
    for (size_t p = 0; p < 3; p++) {
        for (size_t i = 0; i < sizeof next_vectors / sizeof next_vectors[0]; i++) {
            const struct next_vector *v = &next_vectors[i];
            char expr[CRON_MAX_EXPR + 1];
            snprintf(expr, sizeof expr, "%s%s", prefixes[p], v->expr);
            struct cron_schedule s = parse_ok(expr);
            time_t want = v->want ? iso(v->want) : -1;
            cr_expect_eq(cron_next(&s, iso(v->after)), want, "\"%s\" after %s", expr, v->after);
        }
    }
}

/* ---- time zones: fire times at real transitions ------------------------------------------------------------- */

struct zoned_vector {
    const char *expr;
    const char *after;
    const char *want; /* NULL: none within the horizon */
    unsigned flags;
    int gap_slots;
};

#define SHIFTED CRON_FIRE_SHIFTED_BY_GAP
#define SKIPPED CRON_FIRE_GAP_SKIPPED
#define FIRST CRON_FIRE_FIRST_OF_REPEATED
#define REPEATED CRON_FIRE_REPEATED
#define SECOND (CRON_FIRE_REPEATED | CRON_FIRE_SECOND_PASS)

/* Transition instants (zdump -v): Berlin 2026-03-29T01:00Z (02:00 CET -> 03:00 CEST) and 2026-10-25T01:00Z
 * (03:00 CEST -> 02:00 CET); New York 2026-03-08T07:00Z (02:00 EST -> 03:00 EDT) and 2026-11-01T06:00Z (02:00
 * EDT -> 01:00 EST); Lord Howe 2026-10-03T15:30Z (02:00 -> 02:30) and 2026-04-04T15:00Z (02:00 -> 01:30); Sao Paulo
 * 2018-11-04T03:00Z (00:00 -03 -> 01:00 -02, its last spring-forward); Apia 2011-12-30T10:00Z (Dec 29 24:00 -10 ->
 * Dec 31 00:00 +14); Casey 2009-10-17T18:00Z (02:00 +08 -> 05:00 +11) and 2010-03-04T15:00Z (Mar 5 02:00 +11 ->
 * Mar 4 23:00 +08). */
static const struct zoned_vector zoned_vectors[] = {
    /* Berlin, spring forward: a fixed-time job in the gap runs once at 03:00 CEST */
    {"CRON_TZ=Europe/Berlin 30 2 * * *", "2026-03-28T02:00:00Z", "2026-03-29T01:00:00Z", SHIFTED, 1},
    {"CRON_TZ=Europe/Berlin 30 2 * * *", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", 0, 0},
    {"CRON_TZ=Europe/Berlin 30 2 * * *", "2026-03-27T02:00:00Z", "2026-03-28T01:30:00Z", 0, 0},
    /* ...several gap times collapse into that one run, and so does a fire time at the end of the gap */
    {"CRON_TZ=Europe/Berlin 0,15,30,45 2 * * *", "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z", SHIFTED, 4},
    {"CRON_TZ=Europe/Berlin 0,15,30,45 2 * * *", "2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", 0, 0},
    {"CRON_TZ=Europe/Berlin 0 2,3 * * *", "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z", SHIFTED, 1},
    {"CRON_TZ=Europe/Berlin 0 2,3 * * *", "2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", 0, 0},
    /* ...wildcard jobs follow real time: their gap times do not happen */
    {"CRON_TZ=Europe/Berlin */15 * * * *", "2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z", SKIPPED, 4},
    {"CRON_TZ=Europe/Berlin 30 * * * *", "2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z", SKIPPED, 1},
    {"CRON_TZ=Europe/Berlin * 2 * * *", "2026-03-28T12:00:00Z", "2026-03-30T00:00:00Z", SKIPPED, 60},
    {"CRON_TZ=Europe/Berlin @hourly", "2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", SKIPPED, 1},
    /* Berlin, fall back: fixed-time runs at the first 02:30 only; wildcard in both passes */
    {"CRON_TZ=Europe/Berlin 30 2 * * *", "2026-10-24T12:00:00Z", "2026-10-25T00:30:00Z", FIRST, 0},
    {"CRON_TZ=Europe/Berlin 30 2 * * *", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", 0, 0},
    {"CRON_TZ=Europe/Berlin 0 2 * * *", "2026-10-24T12:00:00Z", "2026-10-25T00:00:00Z", FIRST, 0},
    {"CRON_TZ=Europe/Berlin 0 3 * * *", "2026-10-24T12:00:00Z", "2026-10-25T02:00:00Z", 0, 0},
    {"CRON_TZ=Europe/Berlin 45 2 * * *", "2026-10-25T01:10:00Z", "2026-10-26T01:45:00Z", 0, 0}, /* from pass 2 */
    {"CRON_TZ=Europe/Berlin 30 * * * *", "2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", REPEATED, 0},
    {"CRON_TZ=Europe/Berlin 30 * * * *", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", SECOND, 0},
    {"CRON_TZ=Europe/Berlin 30 * * * *", "2026-10-25T01:30:00Z", "2026-10-25T02:30:00Z", 0, 0},
    /* New York */
    {"CRON_TZ=America/New_York 30 2 * * *", "2026-03-07T12:00:00Z", "2026-03-08T07:00:00Z", SHIFTED, 1},
    {"CRON_TZ=America/New_York 30 2 * * *", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z", 0, 0},
    {"CRON_TZ=America/New_York 30 1 * * *", "2026-10-31T12:00:00Z", "2026-11-01T05:30:00Z", FIRST, 0},
    {"CRON_TZ=America/New_York 30 1 * * *", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z", 0, 0},
    {"TZ=America/New_York */30 1 * * *", "2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", REPEATED, 0},
    {"TZ=America/New_York */30 1 * * *", "2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z", SECOND, 0},
    {"TZ=America/New_York */30 1 * * *", "2026-11-01T06:00:00Z", "2026-11-01T06:30:00Z", SECOND, 0},
    {"TZ=America/New_York */30 1 * * *", "2026-11-01T06:30:00Z", "2026-11-02T06:00:00Z", 0, 0},
    {"CRON_TZ=America/New_York 0 20 31 12 *", "2026-12-01T00:00:00Z", "2027-01-01T01:00:00Z", 0, 0},
    /* Lord Howe: 30-minute shifts */
    {"CRON_TZ=Australia/Lord_Howe 15 2 * * *", "2026-10-03T00:00:00Z", "2026-10-03T15:30:00Z", SHIFTED, 1},
    {"CRON_TZ=Australia/Lord_Howe 15 2 * * *", "2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z", 0, 0},
    {"CRON_TZ=Australia/Lord_Howe 30 2 * * *", "2026-10-03T00:00:00Z", "2026-10-03T15:30:00Z", 0, 0}, /* = T */
    {"CRON_TZ=Australia/Lord_Howe 45 1 * * *", "2026-04-04T00:00:00Z", "2026-04-04T14:45:00Z", FIRST, 0},
    {"CRON_TZ=Australia/Lord_Howe 45 1 * * *", "2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z", 0, 0},
    {"CRON_TZ=Australia/Lord_Howe 45 * * * *", "2026-04-04T14:00:00Z", "2026-04-04T14:45:00Z", REPEATED, 0},
    {"CRON_TZ=Australia/Lord_Howe 45 * * * *", "2026-04-04T14:45:00Z", "2026-04-04T15:15:00Z", SECOND, 0},
    {"CRON_TZ=Australia/Lord_Howe 45 * * * *", "2026-04-04T15:15:00Z", "2026-04-04T16:15:00Z", 0, 0},
    {"CRON_TZ=Australia/Lord_Howe 15 * * * *", "2026-04-04T14:00:00Z", "2026-04-04T14:15:00Z", 0, 0},
    /* Tokyo: no DST; 00:00 JST is 15:00 UTC the day before, across the year boundary too */
    {"CRON_TZ=Asia/Tokyo 0 0 * * *", "2026-01-01T00:00:00Z", "2026-01-01T15:00:00Z", 0, 0},
    {"CRON_TZ=Asia/Tokyo @daily", "2026-01-01T15:00:00Z", "2026-01-02T15:00:00Z", 0, 0},
    {"CRON_TZ=Asia/Tokyo 0 0 1 1 *", "2026-06-01T00:00:00Z", "2026-12-31T15:00:00Z", 0, 0},
    {"CRON_TZ=Asia/Tokyo 0 0 * * MON", "2026-01-04T14:59:00Z", "2026-01-04T15:00:00Z", 0, 0}, /* Mon in JST */
    {"CRON_TZ=Asia/Tokyo 0 0 29 2 *", "2026-01-01T00:00:00Z", "2028-02-28T15:00:00Z", 0, 0},
    {"CRON_TZ=Asia/Tokyo 0 0 29 2 *", "2097-01-01T00:00:00Z", NULL, 0, 0}, /* 2100 is not a leap year */
    /* Sao Paulo: DST began at midnight until 2018 (00:00 did not exist), none since 2019 */
    {"CRON_TZ=America/Sao_Paulo 0 0 * * *", "2018-11-03T12:00:00Z", "2018-11-04T03:00:00Z", SHIFTED, 1},
    {"CRON_TZ=America/Sao_Paulo 0 0 * * *", "2018-11-04T03:00:00Z", "2018-11-05T02:00:00Z", 0, 0},
    {"CRON_TZ=America/Sao_Paulo 0 0 * * *", "2026-11-01T00:00:00Z", "2026-11-01T03:00:00Z", 0, 0},
    {"CRON_TZ=America/Sao_Paulo 0 0 * * *", "2026-11-01T03:00:00Z", "2026-11-02T03:00:00Z", 0, 0},
    /* Apia skipped 2011-12-30: a 24 h jump is a clock change for cronie, no job makes its time up */
    {"CRON_TZ=Pacific/Apia 0 12 * * *", "2011-12-29T23:00:00Z", "2011-12-30T22:00:00Z", SKIPPED, 1},
    /* Casey: +3 h is a clock change (gap times dropped); -3 h is still DST-like (fixed jobs run once) */
    {"CRON_TZ=Antarctica/Casey 30 3 * * *", "2009-10-17T12:00:00Z", "2009-10-18T16:30:00Z", SKIPPED, 1},
    {"CRON_TZ=Antarctica/Casey 30 23 * * *", "2010-03-04T12:00:00Z", "2010-03-04T12:30:00Z", FIRST, 0},
    {"CRON_TZ=Antarctica/Casey 30 23 * * *", "2010-03-04T12:30:00Z", "2010-03-05T15:30:00Z", 0, 0},
};

static struct tz *zone_of(const struct cron_schedule *s)
{
    char err[160];
    struct tz *z = tz_load(s->zone, err, sizeof err);
    cr_assert_not_null(z, "%s: %s", s->zone, err);
    return z;
}

Test(cron_tz, fire_times_at_real_transitions)
{
    for (size_t i = 0; i < sizeof zoned_vectors / sizeof zoned_vectors[0]; i++) {
        const struct zoned_vector *v = &zoned_vectors[i];
        struct cron_schedule s = parse_ok(v->expr);
        struct tz *z = zone_of(&s);
        struct cron_fire f;
        char gbuf[32], wbuf[32];
        bool found = cron_next_fire(&s, z, iso(v->after), &f);
        time_t want = v->want ? iso(v->want) : -1, got = found ? f.at : -1;
        cr_expect_eq(got, want, "\"%s\" after %s: want %s, got %s", v->expr, v->after,
                     fmt_time(want, wbuf, sizeof wbuf), fmt_time(got, gbuf, sizeof gbuf));
        if (found && got == want) {
            cr_expect_eq(f.flags, v->flags, "\"%s\" after %s: flags %#x, want %#x", v->expr, v->after, f.flags,
                         v->flags);
            cr_expect_eq(f.gap_slots, v->gap_slots, "\"%s\" after %s: gap_slots %d", v->expr, v->after, f.gap_slots);
            cr_expect_eq(f.offset.utoff, tz_offset_at(z, f.at).utoff, "\"%s\": offset", v->expr);
        }
        cr_expect_eq(cron_next_tz(&s, z, iso(v->after)), want, "cron_next_tz agrees");
        cr_expect_eq(cron_next(&s, iso(v->after)), want, "cron_next loads the zone itself");
        tz_destroy(z);
    }
}

Test(cron_tz, preview_shows_zone_and_nominal_times)
{
    struct cron_fire f[4];
    char zone[TZ_NAME_MAX + 1], err[160];
    int n = cron_preview("CRON_TZ=Europe/Berlin 0,30 2 * * *", iso("2026-03-28T00:00:00Z"), f, 4, zone, err,
                         sizeof err);
    cr_assert_eq(n, 4, "%s", err);
    cr_assert_str_eq(zone, "Europe/Berlin");
    cr_assert_eq(f[0].at, iso("2026-03-28T01:00:00Z"));
    cr_assert_str_eq(f[0].offset.abbr, "CET");
    cr_assert_eq(f[0].nominal, iso("2026-03-28T02:00:00Z"), "nominal wall time, timegm style");
    cr_assert_eq(f[2].at, iso("2026-03-29T01:00:00Z"));
    cr_assert_eq(f[2].flags, CRON_FIRE_SHIFTED_BY_GAP);
    cr_assert_eq(f[2].gap_slots, 2);
    cr_assert_eq(f[2].nominal, iso("2026-03-29T02:00:00Z"), "the first nominal time that did not exist");
    cr_assert_str_eq(f[2].offset.abbr, "CEST");
    cr_assert_eq(f[2].offset.utoff, 7200);
    cr_assert_eq(f[3].at, iso("2026-03-30T00:00:00Z"));

    cr_assert_eq(cron_preview("0 0 * * *", iso("2026-01-01T00:00:00Z"), f, 1, zone, err, sizeof err), 1);
    cr_assert_str_eq(zone, "");
    cr_assert(f[0].offset.utoff == 0 && strcmp(f[0].offset.abbr, "UTC") == 0 && f[0].flags == 0);
    cr_assert_eq(cron_preview("CRON_TZ=Nope/Nope * * * * *", 0, f, 1, zone, err, sizeof err), -1);
    cr_assert_str_eq(err, "CRON_TZ: unknown time zone \"Nope/Nope\"");
    cr_assert_eq(cron_preview("* * * * *", 0, f, -1, NULL, err, sizeof err), -1);
    cr_assert_str_eq(err, "count -1 out of range 0-1000");

    time_t t[3];
    cr_assert_eq(cron_next_n("CRON_TZ=Asia/Tokyo 0 0 * * *", iso("2026-01-01T00:00:00Z"), t, 3, err, sizeof err), 3);
    cr_assert_eq(t[0], iso("2026-01-01T15:00:00Z"));
    cr_assert_eq(t[2], iso("2026-01-03T15:00:00Z"));
}

Test(cron_tz, wildcard_or_fixed)
{
    const char *const wild[] = {"*/15 * * * *", "30 * * * *", "* 2 * * *", "@hourly", "*/5 1-3 * * *"};
    const char *const fixed[] = {"30 2 * * *", "0-59 0-23 * * *", "@daily", "0,30 1,2 * * *", "5 */2 * * *"};
    for (size_t i = 0; i < 5; i++) {
        struct cron_schedule w = parse_ok(wild[i]), f = parse_ok(fixed[i]);
        cr_expect(cron_is_wildcard(&w), "\"%s\" is a wildcard job", wild[i]);
        cr_expect(strcmp(fixed[i], "5 */2 * * *") == 0 ? cron_is_wildcard(&f) : !cron_is_wildcard(&f), "\"%s\"",
                  fixed[i]);
    }
}

Test(cron_describe, mentions_the_zone)
{
    char buf[160];
    cr_assert_eq(cron_describe("CRON_TZ=Asia/Tokyo 0 0 * * *", buf, sizeof buf), 0);
    cr_assert_str_eq(buf, "at 00:00 every day (Asia/Tokyo time)");
    cr_assert_eq(cron_describe("TZ=Europe/Berlin */15 * * * *", buf, sizeof buf), 0);
    cr_assert_str_eq(buf, "every 15 minutes (Europe/Berlin time)");
    cr_assert_eq(cron_describe("0 9 * * SAT-SUN", buf, sizeof buf), 0);
    cr_assert_str_eq(buf, "at 09:00 on Sunday, Saturday");
    cr_assert_eq(cron_describe("CRON_TZ=Mars/Olympus 0 0 * * *", buf, sizeof buf), -1);
    cr_assert_str_eq(buf, "CRON_TZ: unknown time zone \"Mars/Olympus\"");
}

/* ---- time zones: cronie's own loop as the reference --------------------------------------------------------- */

/*
 * An independent model of ISC cron / cronie: its main loop (cron.c: virtualTime, timeRunning, the four wake-up
 * kinds) and find_jobs (doWild/doNonWild by MIN_STAR|HR_STAR), woken at every real minute, with the wall clock
 * from glibc's localtime_r. Our fire times must be exactly the real minutes at which this loop runs the job, with
 * one difference on purpose: several runs of one job in the same real minute (cronie's catch-up of a gap) count as
 * one (our collapse rule).
 */
#define SIM_MINUTES (2 * 1440)

static bool vixie_matches(const struct cron_schedule *s, int64_t wall_minute)
{
    time_t t = (time_t)(wall_minute * 60);
    struct tm tm;
    gmtime_r(&t, &tm);
    bool dom = (s->mdays >> tm.tm_mday) & 1, dow = (s->wdays >> tm.tm_wday) & 1;
    bool day = (s->mday_star || s->wday_star) ? dom && dow : dom || dow;
    return day && ((s->months >> (tm.tm_mon + 1)) & 1) && ((s->hours >> tm.tm_hour) & 1) &&
           ((s->minutes >> tm.tm_min) & 1);
}

static bool cronie_minute(const struct cron_schedule *s, bool wild, int64_t running, int64_t *virt)
{
    int64_t diff = running - *virt;
    bool ran = false;
    if (diff == 1) {
        *virt = running;
        return vixie_matches(s, running);
    }
    if (diff > 180 || diff < -180) { /* "clock jumped": run everything for now */
        *virt = running;
        return vixie_matches(s, running);
    }
    if (diff > 5) { /* "DST begins": wildcard jobs for now, fixed-time jobs for each missed minute */
        ran = wild && vixie_matches(s, running);
        while (*virt < running) {
            ++*virt;
            ran |= !wild && vixie_matches(s, *virt);
        }
        return ran;
    }
    if (diff > 0) { /* woke up late: everything for each missed minute */
        while (*virt < running) {
            ++*virt;
            ran |= vixie_matches(s, *virt);
        }
        return ran;
    }
    return wild && vixie_matches(s, running); /* "DST ends": wildcard jobs only, virtual time waits */
}

/* Real minutes in (t0, t0 + SIM_MINUTES minutes] at which cronie runs the job. */
static int cronie_fires(const struct cron_schedule *s, const int64_t *clock, time_t t0, time_t *out)
{
    bool wild = s->minute_star || s->hour_star;
    int64_t virt = clock[0];
    int n = 0;
    for (int i = 1; i <= SIM_MINUTES; i++)
        if (cronie_minute(s, wild, clock[i], &virt))
            out[n++] = t0 + (time_t)i * 60;
    return n;
}

/* Compares our fire times in `z` (glibc's TZ set to the same zone) with cronie's over two days from `t0`. */
static void check_against_cronie(const struct tz *z, time_t t0, const char *const *exprs, size_t nexprs)
{
    static int64_t clock[SIM_MINUTES + 1];
    static time_t want[SIM_MINUTES], got[SIM_MINUTES];
    for (int i = 0; i <= SIM_MINUTES; i++) { /* cronie's clockTime: local wall minutes */
        time_t t = t0 + (time_t)i * 60;
        struct tm tm;
        localtime_r(&t, &tm);
        clock[i] = ((int64_t)t + tm.tm_gmtoff) / 60;
    }
    for (size_t e = 0; e < nexprs; e++) {
        char tb[32], wb[32], gb[32];
        struct cron_schedule s = parse_ok(exprs[e]);
        int nw = cronie_fires(&s, clock, t0, want), ng = 0;
        for (time_t t = t0; (t = cron_next_tz(&s, z, t)) > 0 && t <= t0 + SIM_MINUTES * 60;)
            got[ng++] = t;
        for (int i = 0; i < nw || i < ng; i++)
            cr_assert(i < nw && i < ng && want[i] == got[i],
                      "\"%s\" in %s from %s, fire %d: cronie %s, ours %s (%d vs %d fires)", exprs[e], tz_name(z),
                      fmt_time(t0, tb, sizeof tb), i, i < nw ? fmt_time(want[i], wb, sizeof wb) : "none",
                      i < ng ? fmt_time(got[i], gb, sizeof gb) : "none", nw, ng);
    }
}

/* Simulates one day either side of up to `max` transitions of `z` from 2005 to 2030; returns how many. */
static int simulate_transitions(const struct tz *z, const char *tzvalue, int max)
{
    static const char *const exprs[] = {
        /* fixed-time */
        "30 2 * * *",
        "0,15,30,45 2 * * *",
        "0 2,3 * * *",
        "30 1 * * *",
        "0 0 * * *",
        "59 1 * * *",
        "45 23 * * *",
        "0-59/20 0-4 * * *",
        "15 0,1,2,3 * * *",
        "0 3 * * SAT-SUN",
        "30 0-5 * * *",
        "2 2 * * *",
        /* wildcard */
        "*/15 * * * *",
        "30 * * * *",
        "* 2 * * *",
        "*/7 1-3 * * *",
        "@hourly",
        "45 * * * 0",
        "1-59/2 * * * *",
    };
    setenv("TZ", tzvalue, 1);
    tzset();
    struct tz_transition tr;
    time_t t = 1104537600;
    int n = 0;
    for (; n < max && tz_next_transition(z, t, &tr) && tr.at < 1893456000; n++) {
        check_against_cronie(z, tr.at - tr.at % 60 - 1440 * 60, exprs, sizeof exprs / sizeof exprs[0]);
        t = tr.at + 86400 * 30;
    }
    return n;
}

Test(cron_tz, agrees_with_a_simulation_of_cronie)
{
    const char *const sim_zones[] = {
        "Europe/Berlin",   "America/New_York", "Australia/Lord_Howe", "America/Sao_Paulo",
        "Pacific/Chatham", "America/Nuuk",     "Europe/Dublin",       "Antarctica/Casey",
        "Pacific/Apia",    "Antarctica/Troll", "Africa/Casablanca",
    };
    int windows = 0;
    for (size_t i = 0; i < sizeof sim_zones / sizeof sim_zones[0]; i++) {
        char err[160];
        struct tz *z = tz_load(sim_zones[i], err, sizeof err);
        if (!z) {
            fprintf(stderr, "WARNING: SKIPPING zone %s: %s (install the tzdata package)\n", sim_zones[i], err);
            continue;
        }
        windows += simulate_transitions(z, sim_zones[i], 14);
        tz_destroy(z);
    }
    cr_assert_geq(windows, 20, "only %d transition windows simulated", windows);
}

Test(cron_tz, cronie_thresholds_at_their_edges)
{
    /* Synthetic zones (POSIX TZ strings, read by glibc too) whose DST is just below or above cronie's limits:
     * forward 4 min (late wake-up: everyone catches up) and 5 min (DST), 2 h 59 and 3 h (clock jump); backward
     * 3 h 1 min (DST: fixed-time jobs run once) and 3 h 2 min (clock jump: everything repeats). */
    const char *const strings[] = {
        "AAA0BBB-0:04,M3.5.0/2,M10.5.0/3", "AAA0BBB-0:05,M3.5.0/2,M10.5.0/3", "AAA0BBB-2:59,M3.5.0/1,M10.5.0/4",
        "AAA0BBB-3,M3.5.0/1,M10.5.0/4",    "AAA0BBB-3:01,M3.5.0/1,M10.5.0/4", "AAA0BBB-3:02,M3.5.0/1,M10.5.0/4",
        "AAA+3BBB-1,M3.5.0/1,M10.5.0/4",
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        char err[160];
        struct tz *z = tz_from_posix(strings[i], err, sizeof err);
        cr_assert_not_null(z, "%s: %s", strings[i], err);
        cr_assert_eq(simulate_transitions(z, strings[i], 4), 4);
        tz_destroy(z);
    }
}
