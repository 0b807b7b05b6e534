/*
 * sched_fixture — what the unit tests of sched/ share: a UTC instant from ISO text, and a cron expression parsed
 * with its zone loaded (the test fails at once when either does not parse). Header-only; each test binary is one
 * translation unit.
 */
#ifndef COMICBATCH_SCHED_FIXTURE_H
#define COMICBATCH_SCHED_FIXTURE_H

#include <criterion/criterion.h>
#include <time.h>

#include "sched/cron.h"
#include "sched/tz.h"

/** The instant of "YYYY-MM-DDTHH:MM:SSZ". */
static time_t iso(const char *s)
{
    struct tm tm = {0};
    cr_assert_not_null(strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm), "%s", s);
    return timegm(&tm);
}

/** A parsed expression and its zone (NULL: UTC); the zone is the test's to free (tz_destroy). */
struct sched {
    struct cron_schedule s;
    struct tz *zone;
};

/** Parses `expr` and loads its CRON_TZ zone, failing the test when either fails. */
static struct sched open_expr(const char *expr)
{
    struct sched x = {0};
    char err[256];
    cr_assert_eq(cron_parse(expr, &x.s, err, sizeof err), 0, "%s: %s", expr, err);
    if (x.s.zone[0])
        cr_assert_not_null(x.zone = tz_load(x.s.zone, err, sizeof err), "%s", err);
    return x;
}

#endif
