/*
 * Unit tests for util/duration.c: a table of accepted inputs with their milliseconds (Go's ParseDuration cases
 * plus `d`), a table of rejected inputs with the sentence each must produce, and format/parse round trips.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "util/duration.h"

struct good_case {
    const char *text;
    int64_t ms;
};

static const struct good_case good_cases[] = {
    {"90d", INT64_C(7776000000)},
    {"24h", 86400000},
    {"1h30m", 5400000},
    {"1.5h", 5400000},
    {"300ms", 300},
    {".5s", 500},
    {"0", 0},
    {"+0", 0},
    {"0s", 0},
    {"+5s", 5000},
    {"5.s", 5000},
    {"1d12h", 129600000},
    {"1.5d", 129600000},
    {"2h45m30.5s", 9930500},
    {"1h1h", 7200000},
    {"1500us", 1},
    {"1500\xc2\xb5s", 1}, /* micro sign */
    {"1500\xce\xbcs", 1}, /* Greek mu */
    {"999999ns", 0},      /* sub-millisecond parts truncate */
    {"1000000ns", 1},
    {"0.1ms", 0},
    {"1.9999ms", 1},
    {"0.001s", 1},
    {"2.3h", 8280000},
    {"100.00100s", 100001},
    {"0.3333333333333333333h", 1200000}, /* fraction digits past 63 bits are dropped, as in Go */
    {"106751d", INT64_C(9223286400000)},
    {"2562047h", INT64_C(9223369200000)},
    {"9223372036854775807ns", INT64_C(9223372036854)}, /* the largest Go duration */
};

struct bad_case {
    const char *text;
    const char *message;
};

static const struct bad_case bad_cases[] = {
    {"", "empty duration"},
    {"-5m", "negative duration \"-5m\""},
    {"-0", "negative duration \"-0\""},
    {"5", "missing unit in \"5\""},
    {"00", "missing unit in \"00\""},
    {"5x", "unknown unit \"x\" in \"5x\""},
    {"h", "invalid duration \"h\""},
    {"+", "invalid duration \"+\""},
    {".", "invalid duration \".\""},
    {".s", "invalid duration \".s\""},
    {"1h 30m", "unknown unit \"h \" in \"1h 30m\""},
    {"5m-3s", "unknown unit \"m-\" in \"5m-3s\""},
    {"1e3s", "unknown unit \"e\" in \"1e3s\""},
    {"1D", "unknown unit \"D\" in \"1D\""},
    {"3w", "unknown unit \"w\" in \"3w\""},
    {"5s\n", "unknown unit \"s?\" in \"5s?\""},
    {"106752d", "duration \"106752d\" is too long (over ~292 years)"},
    {"2562048h", "duration \"2562048h\" is too long (over ~292 years)"},
    {"9223372036854775808ns", "duration \"9223372036854775808ns\" is too long (over ~292 years)"},
    {"99999999999999999999s", "duration \"99999999999999999999s\" is too long (over ~292 years)"},
    {"106751d106751d", "duration \"106751d106751d\" is too long (over ~292 years)"},
    {"0000000000000000000000000000000000000000000000000000000000000001s", "duration is longer than 64 characters"},
};

Test(duration_parse, accepts)
{
    for (size_t i = 0; i < sizeof good_cases / sizeof good_cases[0]; i++) {
        int64_t ms = -42;
        char err[128] = "";
        cr_expect_eq(duration_parse(good_cases[i].text, &ms, err, sizeof err), 0, "\"%s\": %s", good_cases[i].text,
                     err);
        cr_expect_eq(ms, good_cases[i].ms, "\"%s\": want %lld ms, got %lld", good_cases[i].text,
                     (long long)good_cases[i].ms, (long long)ms);
    }
}

Test(duration_parse, rejects)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        int64_t ms = -42;
        char err[128] = "untouched";
        cr_expect_eq(duration_parse(bad_cases[i].text, &ms, err, sizeof err), -1, "\"%s\" should fail",
                     bad_cases[i].text);
        cr_expect_str_eq(err, bad_cases[i].message, "\"%s\"", bad_cases[i].text);
        cr_expect_eq(ms, -42, "\"%s\": out_ms must be untouched on error", bad_cases[i].text);
    }
}

Test(duration_parse, null_and_small_error_buffers)
{
    int64_t ms;
    char err[6];
    cr_assert_eq(duration_parse(NULL, &ms, err, sizeof err), -1);
    cr_assert_str_eq(err, "empty");
    cr_assert_eq(duration_parse("5x", &ms, NULL, 0), -1);
    cr_assert_eq(duration_parse("5x", &ms, err, 1), -1);
    cr_assert_str_eq(err, "");
}

struct format_case {
    int64_t ms;
    const char *text;
};

static const struct format_case format_cases[] = {
    {0, "0s"},
    {1, "1ms"},
    {250, "250ms"},
    {999, "999ms"},
    {1000, "1s"},
    {1500, "1.5s"},
    {1001, "1.001s"},
    {1250, "1.25s"},
    {60000, "1m"},
    {90000, "1m30s"},
    {3600000, "1h"},
    {5400000, "1h30m"},
    {86400000, "1d"},
    {129600000, "1d12h"},
    {INT64_C(7776000000), "90d"},
    {90061001, "1d1h1m1.001s"},
    {3600500, "1h0.5s"},
    {-1500, "-1.5s"},
    {INT64_MIN, "-106751991167d7h12m55.808s"},
};

Test(duration_format, compact_forms)
{
    for (size_t i = 0; i < sizeof format_cases / sizeof format_cases[0]; i++) {
        char buf[64];
        cr_expect_str_eq(duration_format(format_cases[i].ms, buf, sizeof buf), format_cases[i].text, "%lld",
                         (long long)format_cases[i].ms);
    }
}

Test(duration_format, truncates_safely)
{
    char buf[4];
    cr_assert_eq(duration_format(5400000, buf, sizeof buf), buf);
    cr_assert_str_eq(buf, "1h3");
    cr_assert_eq(duration_format(5400000, NULL, 0), NULL);
}

static void assert_round_trip(int64_t ms)
{
    char buf[64], err[128];
    int64_t back = -1;
    duration_format(ms, buf, sizeof buf);
    cr_assert_eq(duration_parse(buf, &back, err, sizeof err), 0, "%lld -> \"%s\": %s", (long long)ms, buf, err);
    cr_assert_eq(back, ms, "%lld -> \"%s\" -> %lld", (long long)ms, buf, (long long)back);
}

Test(duration_format, round_trips_through_parse)
{
    const int64_t max_ms = INT64_C(9223372036854); /* the largest whole ms below Go's limit */
    for (size_t i = 0; i < sizeof format_cases / sizeof format_cases[0]; i++)
        if (format_cases[i].ms >= 0)
            assert_round_trip(format_cases[i].ms);
    assert_round_trip(max_ms);
    uint64_t x = 7;
    for (int i = 0; i < 100000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t ms = (int64_t)((x >> 11) % (uint64_t)max_ms);
        assert_round_trip(i % 2 ? ms : ms % 100000000); /* half of them small, so seconds and ms show */
    }
}

Test(duration_parse, parses_what_format_cannot_round_trip)
{
    char buf[64], err[128];
    int64_t back;
    duration_format(INT64_C(9223372036855), buf, sizeof buf); /* one ms past Go's limit */
    cr_assert_eq(duration_parse(buf, &back, err, sizeof err), -1);
    cr_assert(strstr(err, "too long") != NULL, "%s", err);
}
