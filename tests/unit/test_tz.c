/*
 * Unit tests for sched/tz.c and sched/tz_rule.c. The reference is glibc: localtime_r under setenv("TZ") reads the
 * same system files with an independent implementation (fine here: each Criterion test runs in its own
 * single-threaded process). Offsets, DST flags and abbreviations are compared across 1970..2100 for zones chosen
 * for their quirks, every transition is checked against glibc, wall times are resolved against a brute-force
 * search over glibc, and POSIX TZ strings (the TZif footer) are compared with glibc reading the same string.
 * A zone whose file is absent is skipped with a loud warning: install the Debian package tzdata.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sched/tz.h"

#define T1970 INT64_C(0)
#define T2100 INT64_C(4102444800)

/* Zones with a quirk each: EU and US rules, a 30-minute DST (Lord_Howe), DST dropped in 2019 (Sao_Paulo), no DST
 * since 1951 (Tokyo), negative DST in winter (Dublin), a 45-minute offset (Chatham), rule times of -1:00 (Nuuk),
 * a table-driven Ramadan pause (Casablanca), a skipped day in 2011 (Apia), 3-hour jumps (Casey), +2 h DST (Troll). */
static const char *const zones[] = {
    "Europe/Berlin",     "America/New_York", "Australia/Lord_Howe", "America/Sao_Paulo",
    "Asia/Tokyo",        "Europe/Dublin",    "Pacific/Chatham",     "America/Nuuk",
    "Africa/Casablanca", "Pacific/Apia",     "Antarctica/Casey",    "Antarctica/Troll",
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static int64_t random_between(int64_t lo, int64_t hi)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (int64_t)((rng >> 11) % (uint64_t)(hi - lo));
}

/* Loads `name`, or returns NULL after a loud warning when the tz database lacks it (any other error fails). */
static struct tz *load_or_skip(const char *name)
{
    char path[256], err[200];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", TZ_DIR, name);
    if (stat(path, &st) != 0) {
        fprintf(stderr, "WARNING: SKIPPING zone %s: %s is absent (install the tzdata package)\n", name, path);
        cr_log_warn("SKIPPING zone %s: %s is absent (install the tzdata package)", name, path);
        return NULL;
    }
    struct tz *z = tz_load(name, err, sizeof err);
    cr_assert_not_null(z, "%s: %s", name, err);
    return z;
}

static void glibc_zone(const char *tzvalue)
{
    setenv("TZ", tzvalue, 1);
    tzset();
}

static void assert_like_glibc(const struct tz *z, time_t t, const char *what)
{
    struct tm tm;
    cr_assert_not_null(localtime_r(&t, &tm));
    struct tz_offset o = tz_offset_at(z, t);
    cr_assert(o.utoff == tm.tm_gmtoff && o.isdst == (tm.tm_isdst > 0) && strcmp(o.abbr, tm.tm_zone) == 0,
              "%s at %lld: ours %d/%d/%s, glibc %ld/%d/%s", what, (long long)t, o.utoff, o.isdst, o.abbr, tm.tm_gmtoff,
              tm.tm_isdst, tm.tm_zone);
}

Test(tz_offset_at, agrees_with_glibc_1970_to_2100)
{
    int checked = 0;
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        struct tz *z = load_or_skip(zones[i]);
        if (!z)
            continue;
        glibc_zone(zones[i]);
        for (int k = 0; k < 20000; k++)
            assert_like_glibc(z, (time_t)random_between(T1970, T2100), zones[i]);
        tz_destroy(z);
        checked++;
    }
    cr_assert_geq(checked, 1, "no zone could be checked: is tzdata installed?");
}

/* Every offset change glibc shows between 2000 and 2040 (hourly samples) is a transition we report, exactly. */
Test(tz_transitions, are_glibcs_transitions)
{
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        struct tz *z = load_or_skip(zones[i]);
        if (!z)
            continue;
        glibc_zone(zones[i]);
        struct tz_transition tr, back;
        time_t t = 946684800, end = 2208988800; /* 2000..2040 */
        int n = 0;
        while (tz_next_transition(z, t, &tr) && tr.at < end) {
            cr_assert_gt(tr.at, t);
            assert_like_glibc(z, tr.at - 1, zones[i]);
            assert_like_glibc(z, tr.at, zones[i]);
            cr_assert_neq(tr.before.utoff, tr.after.utoff);
            cr_assert(tz_prev_transition(z, tr.at, &back) && back.at == tr.at, "%s: prev(%lld)", zones[i],
                      (long long)tr.at);
            cr_assert(!tz_prev_transition(z, tr.at - 1, &back) || back.at < tr.at);
            /* nothing changes strictly between t and tr.at: sample glibc hourly */
            struct tm a, b;
            time_t from = t;
            localtime_r(&from, &a);
            for (time_t s = t + 3600; s < tr.at; s += 3600) {
                localtime_r(&s, &b);
                cr_assert_eq(a.tm_gmtoff, b.tm_gmtoff, "%s: glibc changes offset by %lld, we saw no transition",
                             zones[i], (long long)s);
            }
            t = tr.at;
            n++;
        }
        cr_log_info("%s: %d transitions 2000-2040", zones[i], n);
        tz_destroy(z);
    }
}

struct pinned_transition {
    const char *zone;
    time_t at;
    int32_t before, after;
};

/* Real transitions, from the tzdata sources (and zdump): the instants the tests in test_cron.c are built on. */
static const struct pinned_transition pinned[] = {
    {"Europe/Berlin", 1774746000, 3600, 7200},         /* 2026-03-29T01:00Z: 02:00 CET -> 03:00 CEST */
    {"Europe/Berlin", 1792890000, 7200, 3600},         /* 2026-10-25T01:00Z: 03:00 CEST -> 02:00 CET */
    {"America/New_York", 1772953200, -18000, -14400},  /* 2026-03-08T07:00Z: 02:00 EST -> 03:00 EDT */
    {"America/New_York", 1793512800, -14400, -18000},  /* 2026-11-01T06:00Z: 02:00 EDT -> 01:00 EST */
    {"Australia/Lord_Howe", 1775314800, 39600, 37800}, /* 2026-04-04T15:00Z: 02:00 +11 -> 01:30 +1030 */
    {"Australia/Lord_Howe", 1791041400, 37800, 39600}, /* 2026-10-03T15:30Z: 02:00 +1030 -> 02:30 +11 */
    {"America/Sao_Paulo", 1550368800, -7200, -10800},  /* 2019-02-17T02:00Z: the last one (DST abolished) */
    {"Pacific/Apia", 1325239200, -36000, 50400},       /* 2011-12-30T10:00Z: Dec 29 24:00 -> Dec 31 00:00 */
};

Test(tz_transitions, pinned_real_transitions)
{
    for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++) {
        const struct pinned_transition *p = &pinned[i];
        struct tz *z = load_or_skip(p->zone);
        if (!z)
            continue;
        struct tz_transition tr;
        cr_assert(tz_next_transition(z, p->at - 86400 * 20, &tr), "%s", p->zone);
        cr_assert_eq(tr.at, p->at, "%s: next transition at %lld, want %lld", p->zone, (long long)tr.at,
                     (long long)p->at);
        cr_assert_eq(tr.before.utoff, p->before, "%s", p->zone);
        cr_assert_eq(tr.after.utoff, p->after, "%s", p->zone);
        tz_destroy(z);
    }
    struct tz *sp = load_or_skip("America/Sao_Paulo");
    if (sp) {
        struct tz_transition tr;
        cr_assert(!tz_next_transition(sp, 1550368800, &tr), "Sao_Paulo has no DST after 2019");
        cr_assert_eq(tz_offset_at(sp, 4102444800).utoff, -10800);
        tz_destroy(sp);
    }
}

/* ---- wall time -> instants ---------------------------------------------------------------------------------- */

static int64_t wall_of(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&tm);
}

/* The obvious slow answer: every instant within 26 h whose glibc wall time is `wall`, at 15-minute offsets. */
static int glibc_solutions(int64_t wall, time_t sol[4])
{
    int n = 0;
    for (int64_t off = -26 * 3600; off <= 26 * 3600 && n < 4; off += 900) {
        time_t t = (time_t)(wall - off);
        struct tm tm;
        localtime_r(&t, &tm);
        if (tm.tm_gmtoff == off)
            sol[n++] = t;
    }
    for (int i = 1; i < n; i++) /* ascending */
        for (int j = i; j > 0 && sol[j] < sol[j - 1]; j--) {
            time_t x = sol[j];
            sol[j] = sol[j - 1];
            sol[j - 1] = x;
        }
    return n;
}

struct wall_case {
    const char *zone;
    int64_t wall;
    enum tz_local_kind kind;
    time_t first, second;
};

Test(tz_local_to_utc, gaps_and_repeats_at_real_transitions)
{
    const struct wall_case cases[] = {
        {"Europe/Berlin", wall_of(2026, 3, 29, 2, 30), TZ_LOCAL_GAP, 1774746000, 1774746000},
        {"Europe/Berlin", wall_of(2026, 3, 29, 3, 0), TZ_LOCAL_NORMAL, 1774746000, 1774746000},
        {"Europe/Berlin", wall_of(2026, 3, 29, 1, 59), TZ_LOCAL_NORMAL, 1774745940, 1774745940},
        {"Europe/Berlin", wall_of(2026, 10, 25, 2, 30), TZ_LOCAL_AMBIGUOUS, 1792888200, 1792891800},
        {"Europe/Berlin", wall_of(2026, 10, 25, 3, 0), TZ_LOCAL_NORMAL, 1792893600, 1792893600},
        {"America/New_York", wall_of(2026, 3, 8, 2, 15), TZ_LOCAL_GAP, 1772953200, 1772953200},
        {"America/New_York", wall_of(2026, 11, 1, 1, 30), TZ_LOCAL_AMBIGUOUS, 1793511000, 1793514600},
        {"Australia/Lord_Howe", wall_of(2026, 10, 4, 2, 15), TZ_LOCAL_GAP, 1791041400, 1791041400},
        {"Australia/Lord_Howe", wall_of(2026, 4, 5, 1, 45), TZ_LOCAL_AMBIGUOUS, 1775314800 - 900, 1775314800 + 900},
        {"Pacific/Apia", wall_of(2011, 12, 30, 12, 0), TZ_LOCAL_GAP, 1325239200, 1325239200},
        {"Asia/Tokyo", wall_of(2026, 1, 1, 0, 0), TZ_LOCAL_NORMAL, 1767193200, 1767193200},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct wall_case *c = &cases[i];
        struct tz *z = load_or_skip(c->zone);
        if (!z)
            continue;
        struct tz_local l;
        tz_local_to_utc(z, c->wall, &l);
        cr_expect_eq(l.kind, c->kind, "%s case %zu: kind %d", c->zone, i, l.kind);
        cr_expect_eq(l.first, c->first, "%s case %zu: first %lld", c->zone, i, (long long)l.first);
        cr_expect_eq(l.second, c->second, "%s case %zu: second %lld", c->zone, i, (long long)l.second);
        tz_destroy(z);
    }
}

Test(tz_local_to_utc, agrees_with_brute_force_over_glibc)
{
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        struct tz *z = load_or_skip(zones[i]);
        if (!z)
            continue;
        glibc_zone(zones[i]);
        struct tz_transition tr;
        time_t t = 1262304000; /* 2010: walls around every transition, plus random ones */
        for (int k = 0; k < 40 && tz_next_transition(z, t, &tr); k++, t = tr.at) {
            for (int64_t d = -5400; d <= 5400; d += 300) {
                int64_t wall = (int64_t)tr.at + tr.before.utoff + d;
                time_t sol[4];
                int n = glibc_solutions(wall, sol);
                struct tz_local l;
                tz_local_to_utc(z, wall, &l);
                cr_assert_eq(l.kind,
                             n == 0   ? TZ_LOCAL_GAP
                             : n == 1 ? TZ_LOCAL_NORMAL
                                      : TZ_LOCAL_AMBIGUOUS,
                             "%s wall %lld: %d glibc solutions, kind %d", zones[i], (long long)wall, n, l.kind);
                if (n > 0) {
                    cr_assert_eq(l.first, sol[0], "%s wall %lld", zones[i], (long long)wall);
                    cr_assert_eq(l.second, sol[n - 1], "%s wall %lld", zones[i], (long long)wall);
                } else {
                    cr_assert_eq(l.first, tr.at, "%s wall %lld: the gap's end", zones[i], (long long)wall);
                }
            }
        }
        tz_destroy(z);
    }
}

/* ---- POSIX TZ strings (TZif footers) ------------------------------------------------------------------------ */

Test(tz_posix, agrees_with_glibc_on_the_same_string)
{
    const char *const strings[] = {
        "CET-1CEST,M3.5.0,M10.5.0/3",                        /* Europe/Berlin's footer */
        "EST5EDT,M3.2.0,M11.1.0",                            /* America/New_York's */
        "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",              /* Lord_Howe: 30-minute DST, southern hemisphere */
        "IST-1GMT0,M10.5.0,M3.5.0/1",                        /* Europe/Dublin: negative DST */
        "<-02>2<-01>,M3.5.0/-1,M10.5.0/0",                   /* America/Nuuk: a negative rule time */
        "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",      /* Pacific/Chatham */
        "AAA-1BBB,J60/2,300/2",                              /* Jn skips Feb 29, n counts it */
        "XXX3YYY,M3.5.0/-1,M10.5.0/100",                     /* RFC 8536 hours beyond 24 */
        "AAA+4:30BBB+3:15:20,M4.1.6/23:59:59,M9.5.6/-23:30", /* minutes and seconds everywhere */
        "EST5EDT",                                           /* no dates: the US rules (see below) */
        "JST-9",
        "<-03>3",
        "UTC0",
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        char err[160];
        struct tz *z = tz_from_posix(strings[i], err, sizeof err);
        cr_assert_not_null(z, "\"%s\": %s", strings[i], err);
        glibc_zone(strings[i]);
        /* without dates glibc borrows the rules of its "posixrules" file (New York's history); ours, like tzcode
         * without that file, are today's US rules, so they agree from 2007 on */
        int64_t from = strcmp(strings[i], "EST5EDT") == 0 ? INT64_C(1167609600) : T1970;
        for (int k = 0; k < 20000; k++)
            assert_like_glibc(z, (time_t)random_between(from, T2100), strings[i]);
        tz_destroy(z);
    }
}

Test(tz_posix, dst_all_year)
{
    /* RFC 8536 3.3.1: DST all year (start Jan 1 00:00, end Dec 31 24:00 + 1 h). Expected values from the RFC's
     * reading, not glibc: glibc 2.36 shows EST for the first hours of each year here. */
    char err[160];
    struct tz *z = tz_from_posix("EST5EDT4,0/0,J365/25", err, sizeof err);
    cr_assert_not_null(z, "%s", err);
    for (int k = 0; k < 5000; k++) {
        time_t t = (time_t)random_between(T1970, T2100);
        struct tz_offset o = tz_offset_at(z, t);
        cr_assert(o.utoff == -14400 && o.isdst && strcmp(o.abbr, "EDT") == 0, "at %lld: %d", (long long)t, o.utoff);
    }
    struct tz_transition tr;
    cr_assert(!tz_next_transition(z, 0, &tr), "no offset ever changes");
    tz_destroy(z);
}

Test(tz_posix, errors)
{
    const char *const bad[] = {"",
                               "CE-1",
                               "CET",
                               "CET-1CEST,M3.5.0",
                               "CET-1CEST,M13.5.0,M10.5.0",
                               "CET-1CEST,M3.6.0,M10.5.0",
                               "CET-1CEST,M3.5.7,M10.5.0",
                               "CET-1CEST,J0,J10",
                               "CET-1CEST,366,10",
                               "CET-25",
                               "CET-1CEST,M3.5.0/168,M10.5.0",
                               "<AB>1",
                               "CET-1 x",
                               "CET-1:60"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[160] = "";
        cr_expect_null(tz_from_posix(bad[i], err, sizeof err), "\"%s\" should be refused", bad[i]);
        cr_expect(strncmp(err, "TZ string", 9) == 0, "\"%s\": \"%s\"", bad[i], err);
    }
}

/* ---- files -------------------------------------------------------------------------------------------------- */

/* Europe/Berlin compiled with `zic -b slim` from tzdata 2025b: transitions end in 1996, the footer carries the
 * rest. 705 bytes, sha256 a7fd9932d785d4d690900b834c3563c1810c1cf2e01711bcc0926af6c0767cb7. */
static const unsigned char slim_berlin[] = {
    0x54, 0x5a, 0x69, 0x66, 0x32, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x54, 0x5a, 0x69, 0x66, 0x32, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x12,
    0xff, 0xff, 0xff, 0xff, 0x6f, 0xa2, 0x61, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x9b, 0x0c, 0x17, 0x60, 0xff, 0xff, 0xff,
    0xff, 0x9b, 0xd5, 0xda, 0xf0, 0xff, 0xff, 0xff, 0xff, 0x9c, 0xd9, 0xae, 0x90, 0xff, 0xff, 0xff, 0xff, 0x9d, 0xa4,
    0xb5, 0x90, 0xff, 0xff, 0xff, 0xff, 0x9e, 0xb9, 0x90, 0x90, 0xff, 0xff, 0xff, 0xff, 0x9f, 0x84, 0x97, 0x90, 0xff,
    0xff, 0xff, 0xff, 0xc8, 0x09, 0x71, 0x90, 0xff, 0xff, 0xff, 0xff, 0xcc, 0xe7, 0x4b, 0x10, 0xff, 0xff, 0xff, 0xff,
    0xcd, 0xa9, 0x17, 0x90, 0xff, 0xff, 0xff, 0xff, 0xce, 0xa2, 0x43, 0x10, 0xff, 0xff, 0xff, 0xff, 0xcf, 0x92, 0x34,
    0x10, 0xff, 0xff, 0xff, 0xff, 0xd0, 0x82, 0x25, 0x10, 0xff, 0xff, 0xff, 0xff, 0xd1, 0x72, 0x16, 0x10, 0xff, 0xff,
    0xff, 0xff, 0xd1, 0xb6, 0x96, 0x00, 0xff, 0xff, 0xff, 0xff, 0xd2, 0x58, 0xbe, 0x80, 0xff, 0xff, 0xff, 0xff, 0xd2,
    0xa1, 0x4f, 0x10, 0xff, 0xff, 0xff, 0xff, 0xd3, 0x63, 0x1b, 0x90, 0xff, 0xff, 0xff, 0xff, 0xd4, 0x4b, 0x23, 0x90,
    0xff, 0xff, 0xff, 0xff, 0xd5, 0x39, 0xd1, 0x20, 0xff, 0xff, 0xff, 0xff, 0xd5, 0x67, 0xe7, 0x90, 0xff, 0xff, 0xff,
    0xff, 0xd5, 0xa8, 0x73, 0x00, 0xff, 0xff, 0xff, 0xff, 0xd6, 0x29, 0xb4, 0x10, 0xff, 0xff, 0xff, 0xff, 0xd7, 0x2c,
    0x1a, 0x10, 0xff, 0xff, 0xff, 0xff, 0xd8, 0x09, 0x96, 0x10, 0xff, 0xff, 0xff, 0xff, 0xd9, 0x02, 0xc1, 0x90, 0xff,
    0xff, 0xff, 0xff, 0xd9, 0xe9, 0x78, 0x10, 0x00, 0x00, 0x00, 0x00, 0x13, 0x4d, 0x44, 0x10, 0x00, 0x00, 0x00, 0x00,
    0x14, 0x33, 0xfa, 0x90, 0x00, 0x00, 0x00, 0x00, 0x15, 0x23, 0xeb, 0x90, 0x00, 0x00, 0x00, 0x00, 0x16, 0x13, 0xdc,
    0x90, 0x00, 0x00, 0x00, 0x00, 0x17, 0x03, 0xcd, 0x90, 0x00, 0x00, 0x00, 0x00, 0x17, 0xf3, 0xbe, 0x90, 0x00, 0x00,
    0x00, 0x00, 0x18, 0xe3, 0xaf, 0x90, 0x00, 0x00, 0x00, 0x00, 0x19, 0xd3, 0xa0, 0x90, 0x00, 0x00, 0x00, 0x00, 0x1a,
    0xc3, 0x91, 0x90, 0x00, 0x00, 0x00, 0x00, 0x1b, 0xbc, 0xbd, 0x10, 0x00, 0x00, 0x00, 0x00, 0x1c, 0xac, 0xae, 0x10,
    0x00, 0x00, 0x00, 0x00, 0x1d, 0x9c, 0x9f, 0x10, 0x00, 0x00, 0x00, 0x00, 0x1e, 0x8c, 0x90, 0x10, 0x00, 0x00, 0x00,
    0x00, 0x1f, 0x7c, 0x81, 0x10, 0x00, 0x00, 0x00, 0x00, 0x20, 0x6c, 0x72, 0x10, 0x00, 0x00, 0x00, 0x00, 0x21, 0x5c,
    0x63, 0x10, 0x00, 0x00, 0x00, 0x00, 0x22, 0x4c, 0x54, 0x10, 0x00, 0x00, 0x00, 0x00, 0x23, 0x3c, 0x45, 0x10, 0x00,
    0x00, 0x00, 0x00, 0x24, 0x2c, 0x36, 0x10, 0x00, 0x00, 0x00, 0x00, 0x25, 0x1c, 0x27, 0x10, 0x00, 0x00, 0x00, 0x00,
    0x26, 0x0c, 0x18, 0x10, 0x00, 0x00, 0x00, 0x00, 0x27, 0x05, 0x43, 0x90, 0x00, 0x00, 0x00, 0x00, 0x27, 0xf5, 0x34,
    0x90, 0x00, 0x00, 0x00, 0x00, 0x28, 0xe5, 0x25, 0x90, 0x00, 0x00, 0x00, 0x00, 0x29, 0xd5, 0x16, 0x90, 0x00, 0x00,
    0x00, 0x00, 0x2a, 0xc5, 0x07, 0x90, 0x00, 0x00, 0x00, 0x00, 0x2b, 0xb4, 0xf8, 0x90, 0x00, 0x00, 0x00, 0x00, 0x2c,
    0xa4, 0xe9, 0x90, 0x00, 0x00, 0x00, 0x00, 0x2d, 0x94, 0xda, 0x90, 0x00, 0x00, 0x00, 0x00, 0x2e, 0x84, 0xcb, 0x90,
    0x00, 0x00, 0x00, 0x00, 0x2f, 0x74, 0xbc, 0x90, 0x00, 0x00, 0x00, 0x00, 0x30, 0x64, 0xad, 0x90, 0x00, 0x00, 0x00,
    0x00, 0x31, 0x5d, 0xd9, 0x10, 0x02, 0x01, 0x02, 0x01, 0x02, 0x01, 0x02, 0x01, 0x02, 0x01, 0x02, 0x01, 0x02, 0x01,
    0x03, 0x01, 0x02, 0x01, 0x02, 0x01, 0x03, 0x01, 0x02, 0x01, 0x02, 0x01, 0x02, 0x01, 0x02, 0x01, 0x02, 0x01, 0x02,
    0x01, 0x02, 0x01, 0x02, 0x01, 0x02, 0x01, 0x02, 0x01, 0x02, 0x01, 0x02, 0x01, 0x02, 0x01, 0x02, 0x01, 0x02, 0x01,
    0x02, 0x01, 0x02, 0x01, 0x02, 0x01, 0x02, 0x01, 0x00, 0x00, 0x0c, 0x88, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x20, 0x01,
    0x04, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x09, 0x00, 0x00, 0x2a, 0x30, 0x01, 0x0d, 0x4c, 0x4d, 0x54, 0x00, 0x43, 0x45,
    0x53, 0x54, 0x00, 0x43, 0x45, 0x54, 0x00, 0x43, 0x45, 0x4d, 0x54, 0x00, 0x0a, 0x43, 0x45, 0x54, 0x2d, 0x31, 0x43,
    0x45, 0x53, 0x54, 0x2c, 0x4d, 0x33, 0x2e, 0x35, 0x2e, 0x30, 0x2c, 0x4d, 0x31, 0x30, 0x2e, 0x35, 0x2e, 0x30, 0x2f,
    0x33, 0x0a,
};

static char tmpdir[64];

static void write_file(const char *rel, const void *data, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    mkdir(path, 0700);
    *slash = '/';
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_tz.XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

Test(tz_load, slim_file_uses_its_footer)
{
    make_tmpdir();
    write_file("Europe/Berlin", slim_berlin, sizeof slim_berlin);
    char err[160];
    struct tz *z = tz_load_from(tmpdir, "Europe/Berlin", err, sizeof err);
    cr_assert_not_null(z, "%s", err);
    cr_assert_str_eq(tz_name(z), "Europe/Berlin");
    glibc_zone("CET-1CEST,M3.5.0,M10.5.0/3"); /* 1996 on; before it, compare with the fat system file */
    for (int k = 0; k < 20000; k++)
        assert_like_glibc(z, (time_t)random_between(852076800 /* 1997 */, T2100), "slim Berlin vs its rule");
    struct tz *fat = load_or_skip("Europe/Berlin");
    if (fat) {
        glibc_zone("Europe/Berlin");
        for (int k = 0; k < 20000; k++)
            assert_like_glibc(z, (time_t)random_between(T1970, T2100), "slim Berlin vs system Berlin");
        tz_destroy(fat);
    }
    tz_destroy(z);
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A version 1 file: one transition in 1990 from +05:30 "IST" to +06:00 "XST". */
static size_t make_v1(unsigned char *buf)
{
    memset(buf, 0, 44);
    memcpy(buf, "TZif", 4);
    put32(buf + 32, 1); /* timecnt */
    put32(buf + 36, 2); /* typecnt */
    put32(buf + 40, 8); /* charcnt */
    unsigned char *p = buf + 44;
    put32(p, 631152000); /* 1990-01-01 */
    p[4] = 1;
    p += 5;
    put32(p, 19800);
    p[4] = 0;
    p[5] = 0;
    put32(p + 6, 21600);
    p[10] = 0;
    p[11] = 4;
    memcpy(p + 12, "IST\0XST\0", 8);
    return (size_t)(p + 20 - buf);
}

Test(tz_load, version_1_file)
{
    unsigned char buf[128];
    size_t len = make_v1(buf);
    make_tmpdir();
    write_file("Test/V1", buf, len);
    char err[160];
    struct tz *z = tz_load_from(tmpdir, "Test/V1", err, sizeof err);
    cr_assert_not_null(z, "%s", err);
    cr_assert_eq(tz_offset_at(z, 0).utoff, 19800);
    cr_assert_str_eq(tz_offset_at(z, 631151999).abbr, "IST");
    cr_assert_eq(tz_offset_at(z, 631152000).utoff, 21600);
    cr_assert_str_eq(tz_offset_at(z, 4102444800).abbr, "XST");
    struct tz_transition tr;
    cr_assert(tz_next_transition(z, 0, &tr) && tr.at == 631152000);
    cr_assert(!tz_next_transition(z, 631152000, &tr));
    tz_destroy(z);

    /* corrupt variants: each is refused with the zone named */
    const struct {
        size_t len;
        int byte;
        unsigned char value;
        const char *msg;
    } bad[] = {
        {len, 0, 'X', "time zone \"Test/Bad\": not a TZif file"},
        {len - 3, -1, 0, "time zone \"Test/Bad\": truncated TZif data"},
        {len, 43, 0, "time zone \"Test/Bad\": corrupt TZif header"},       /* charcnt 0 */
        {len, 48, 7, "time zone \"Test/Bad\": corrupt TZif transition 0"}, /* type index 7 */
        {len, 4, '1', "time zone \"Test/Bad\": unknown TZif version 0x31"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char copy[128];
        memcpy(copy, buf, len);
        if (bad[i].byte >= 0)
            copy[bad[i].byte] = bad[i].value;
        write_file("Test/Bad", copy, bad[i].len);
        cr_expect_null(tz_load_from(tmpdir, "Test/Bad", err, sizeof err), "case %zu", i);
        cr_expect_str_eq(err, bad[i].msg, "case %zu", i);
    }
}

Test(tz_load, names_are_checked)
{
    const struct {
        const char *name;
        const char *msg;
    } cases[] = {
        {"", "time zone name is empty"},
        {"/etc/localtime", "time zone \"/etc/localtime\" is a path; give a name like Europe/Berlin"},
        {"../../etc/passwd", "time zone name \"../../etc/passwd\" must not contain \"..\""},
        {"Europe/../Berlin", "time zone name \"Europe/../Berlin\" must not contain \"..\""},
        {"Europe/Ber lin", "time zone name \"Europe/Ber lin\" has a character outside A-Z a-z 0-9 / _ + - ."},
        {"Europe/Berlin\n", "time zone name \"Europe/Berlin?\" has a character outside A-Z a-z 0-9 / _ + - ."},
        {"Europe//Berlin", "time zone name \"Europe//Berlin\" has an empty or hidden path component"},
        {"Europe/Berlin/", "time zone name \"Europe/Berlin/\" has an empty or hidden path component"},
        {".hidden", "time zone name \".hidden\" has an empty or hidden path component"},
        {"Europe/.Berlin", "time zone name \"Europe/.Berlin\" has an empty or hidden path component"},
        {"Mars/Olympus_Mons", "unknown time zone \"Mars/Olympus_Mons\""},
        {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
         "time zone name is longer than 64 characters"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[160] = "untouched";
        cr_expect_null(tz_load(cases[i].name, err, sizeof err), "\"%s\"", cases[i].name);
        cr_expect_str_eq(err, cases[i].msg);
    }
    char err[160];
    cr_expect_null(tz_load(NULL, err, sizeof err));
    cr_expect_null(tz_load("Nope/Nope", NULL, 0), "a zero-length error buffer is fine");
    struct stat st;
    if (stat(TZ_DIR "/Europe", &st) == 0) {
        cr_expect_null(tz_load("Europe", err, sizeof err));
        cr_expect_str_eq(err, "unknown time zone \"Europe\"", "a directory is not a zone");
        cr_expect_null(tz_load("zone.tab", err, sizeof err));
        cr_expect_str_eq(err, "time zone \"zone.tab\": not a TZif file");
    }
    if (stat(TZ_DIR "/right/UTC", &st) == 0) {
        cr_expect_null(tz_load("right/UTC", err, sizeof err));
        cr_expect_str_eq(err, "time zone \"right/UTC\": leap-second zones (\"right/...\") are not supported");
    }
}

Test(tz_load, utc_works_without_the_database)
{
    const char *const names[] = {"UTC", "Etc/UTC"};
    for (size_t i = 0; i < 2; i++) {
        char err[160];
        struct tz *z = tz_load_from("/nonexistent-tzdir", names[i], err, sizeof err);
        cr_assert_not_null(z, "%s: %s", names[i], err);
        struct tz_offset o = tz_offset_at(z, 1767225600);
        cr_assert(o.utoff == 0 && !o.isdst && strcmp(o.abbr, "UTC") == 0);
        struct tz_transition tr;
        cr_assert(!tz_next_transition(z, 0, &tr) && !tz_prev_transition(z, 0, &tr));
        struct tz_local l;
        tz_local_to_utc(z, 1767225600, &l);
        cr_assert(l.kind == TZ_LOCAL_NORMAL && l.first == 1767225600);
        cr_assert_str_eq(tz_name(z), names[i]);
        tz_destroy(z);
    }
    tz_destroy(NULL);
}

Test(tz_offset_at, extreme_instants_do_not_overflow)
{
    struct tz *z = load_or_skip("Europe/Berlin");
    if (!z)
        return;
    const time_t extremes[] = {(time_t)INT64_MIN, (time_t)INT64_MIN + 1, (time_t)INT64_MAX, -62135596800, 253402300799};
    for (size_t i = 0; i < sizeof extremes / sizeof extremes[0]; i++) {
        struct tz_offset o = tz_offset_at(z, extremes[i]);
        cr_assert(o.utoff >= -93599 && o.utoff <= 93599);
        struct tz_transition tr;
        tz_next_transition(z, extremes[i], &tr);
        tz_prev_transition(z, extremes[i], &tr);
        struct tz_local l;
        tz_local_to_utc(z, (int64_t)extremes[i], &l);
    }
    tz_destroy(z);
}

/* ---- threads ------------------------------------------------------------------------------------------------ */

struct worker {
    const struct tz *z;
    int64_t sum;
};

static void *hammer(void *arg)
{
    struct worker *w = arg;
    for (int64_t t = 946684800; t < 2208988800; t += 86400 / 4) {
        struct tz_local l;
        tz_local_to_utc(w->z, t, &l);
        w->sum += tz_offset_at(w->z, (time_t)t).utoff + l.first % 7;
    }
    return NULL;
}

Test(tz, one_zone_many_threads)
{
    struct tz *z = load_or_skip("Europe/Berlin");
    if (!z)
        return;
    struct worker solo = {z, 0}, w[4];
    pthread_t th[4];
    hammer(&solo);
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){z, 0};
        cr_assert_eq(pthread_create(&th[i], NULL, hammer, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(w[i].sum, solo.sum, "thread %d saw different answers", i);
    }
    tz_destroy(z);
}
