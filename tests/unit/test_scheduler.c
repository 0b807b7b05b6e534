/*
 * Unit tests for sched/scheduler.c sched_decide: not due before the stored slot, due at it, the grace period's
 * boundary, misfire `skip` (nothing enqueued) versus `once` (one run for the LATEST missed slot), and the new
 * nextrunat always being the first fire strictly after `now` (so downtime never produces a burst of runs).
 * Times are pinned (UTC), never read from the clock; the zone cases pin moments around real DST transitions.
 */
#include <criterion/criterion.h>
#include <time.h>

#include "sched/scheduler.h"

/* UTC seconds for a date-time. */
static time_t at(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
    return timegm(&tm);
}

static struct cron_schedule sched(const char *expr)
{
    struct cron_schedule s;
    char err[256];
    cr_assert_eq(cron_parse(expr, &s, err, sizeof err), 0, "%s: %s", expr, err);
    return s;
}

#define GRACE 60

Test(scheduler, not_due_before_the_slot)
{
    struct cron_schedule s = sched("0 * * * *");
    struct sched_decision d;
    time_t slot = at(2026, 2, 22, 10, 0, 0);
    sched_decide(&s, NULL, slot, slot - 1, GRACE, MISFIRE_SKIP, &d);
    cr_assert(!d.due && !d.enqueue && !d.misfired);
    sched_decide(&s, NULL, slot, slot - 3600, GRACE, MISFIRE_ONCE, &d);
    cr_assert(!d.due && !d.enqueue);
}

Test(scheduler, due_exactly_at_the_slot)
{
    struct cron_schedule s = sched("*/15 * * * *");
    struct sched_decision d;
    time_t slot = at(2026, 2, 22, 10, 15, 0);
    sched_decide(&s, NULL, slot, slot, GRACE, MISFIRE_SKIP, &d);
    cr_assert(d.due);
    cr_assert(d.enqueue);
    cr_assert(!d.misfired);
    cr_assert_eq(d.slot, slot, "the run is for the stored slot");
    cr_assert_eq(d.next, at(2026, 2, 22, 10, 30, 0));
}

Test(scheduler, late_within_grace_enqueues_the_slot)
{
    struct cron_schedule s = sched("0 * * * *");
    struct sched_decision d;
    time_t slot = at(2026, 2, 22, 10, 0, 0);
    const int lates[] = {1, 30, GRACE - 1, GRACE};
    for (size_t i = 0; i < sizeof lates / sizeof lates[0]; i++) {
        int late = lates[i];
        sched_decide(&s, NULL, slot, slot + late, GRACE, MISFIRE_SKIP, &d);
        cr_assert(d.due && d.enqueue && !d.misfired, "late by %ds", late);
        cr_assert_eq(d.slot, slot);
        cr_assert_eq(d.next, at(2026, 2, 22, 11, 0, 0));
    }
}

Test(scheduler, past_grace_with_skip_enqueues_nothing)
{
    struct cron_schedule s = sched("0 * * * *");
    struct sched_decision d;
    time_t slot = at(2026, 2, 22, 10, 0, 0);
    sched_decide(&s, NULL, slot, slot + GRACE + 1, GRACE, MISFIRE_SKIP, &d);
    cr_assert(d.due);
    cr_assert(d.misfired);
    cr_assert(!d.enqueue);
    cr_assert_eq(d.next, at(2026, 2, 22, 11, 0, 0));

    time_t now = at(2026, 2, 25, 13, 30, 0); /* three days of downtime */
    sched_decide(&s, NULL, slot, now, GRACE, MISFIRE_SKIP, &d);
    cr_assert(d.due && d.misfired && !d.enqueue);
    cr_assert_eq(d.next, at(2026, 2, 25, 14, 0, 0), "next is the first slot after now, not the next missed one");
}

Test(scheduler, once_enqueues_the_latest_missed_slot)
{
    struct cron_schedule s = sched("0 * * * *");
    struct sched_decision d;
    time_t slot = at(2026, 2, 22, 10, 0, 0);
    time_t now = at(2026, 2, 22, 13, 30, 0);
    sched_decide(&s, NULL, slot, now, GRACE, MISFIRE_ONCE, &d);
    cr_assert(d.due && d.misfired && d.enqueue);
    cr_assert_eq(d.slot, at(2026, 2, 22, 13, 0, 0), "one catch-up run, for the latest missed slot");
    cr_assert_eq(d.next, at(2026, 2, 22, 14, 0, 0));
}

Test(scheduler, once_with_a_single_missed_slot)
{
    struct cron_schedule s = sched("0 2 * * *");
    struct sched_decision d;
    time_t slot = at(2026, 2, 22, 2, 0, 0);
    time_t now = at(2026, 2, 22, 9, 0, 0);
    sched_decide(&s, NULL, slot, now, GRACE, MISFIRE_ONCE, &d);
    cr_assert(d.enqueue && d.misfired);
    cr_assert_eq(d.slot, slot);
    cr_assert_eq(d.next, at(2026, 2, 23, 2, 0, 0));
}

Test(scheduler, once_when_now_is_itself_a_fire_time)
{
    struct cron_schedule s = sched("0 * * * *");
    struct sched_decision d;
    time_t slot = at(2026, 2, 22, 10, 0, 0);
    time_t now = at(2026, 2, 22, 12, 0, 0);
    sched_decide(&s, NULL, slot, now, GRACE, MISFIRE_ONCE, &d);
    cr_assert(d.enqueue);
    cr_assert_eq(d.slot, now, "a slot equal to now counts as missed-or-due, and is the latest");
    cr_assert_gt(d.next, now, "the next slot is strictly after now");
    cr_assert_eq(d.next, at(2026, 2, 22, 13, 0, 0));
}

Test(scheduler, once_after_long_downtime_every_minute)
{
    struct cron_schedule s = sched("* * * * *");
    struct sched_decision d;
    time_t slot = at(2026, 1, 1, 0, 0, 0);
    time_t now = at(2026, 1, 31, 8, 7, 30); /* a month of minutes missed */
    sched_decide(&s, NULL, slot, now, GRACE, MISFIRE_ONCE, &d);
    cr_assert(d.enqueue && d.misfired);
    cr_assert_eq(d.slot, at(2026, 1, 31, 8, 7, 0));
    cr_assert_eq(d.next, at(2026, 1, 31, 8, 8, 0));
}

Test(scheduler, next_is_always_after_now)
{
    const char *exprs[] = {"* * * * *", "*/15 * * * *", "0 * * * *", "5 * * * *",
                           "0 2 * * *", "30 0 1 * *",   "0 3 * * 0"};
    time_t base = at(2026, 2, 22, 10, 0, 0);
    for (size_t e = 0; e < sizeof exprs / sizeof exprs[0]; e++) {
        struct cron_schedule s = sched(exprs[e]);
        for (int k = 0; k < 50; k++) {
            time_t stored = base + k * 7919;
            time_t now = stored + k * 3571;
            for (int pol = MISFIRE_SKIP; pol <= MISFIRE_ONCE; pol++) {
                struct sched_decision d;
                sched_decide(&s, NULL, stored, now, GRACE, (enum misfire_policy)pol, &d);
                cr_assert(d.due);
                cr_assert_gt(d.next, now, "%s: next %ld <= now %ld", exprs[e], (long)d.next, (long)now);
                if (d.enqueue) {
                    cr_assert_geq(d.slot, stored, "%s: the slot is never before the stored one", exprs[e]);
                    cr_assert_leq(d.slot, now, "%s: the slot is never in the future", exprs[e]);
                }
                if (!d.misfired)
                    cr_assert(d.enqueue && d.slot == stored, "%s: on time means the stored slot runs", exprs[e]);
            }
        }
    }
}

Test(scheduler, expression_that_never_fires_again)
{
    struct cron_schedule s = sched("0 0 30 2 *");
    struct sched_decision d;
    time_t slot = at(2026, 2, 22, 10, 0, 0);
    sched_decide(&s, NULL, slot, slot + 5, GRACE, MISFIRE_SKIP, &d);
    cr_assert(d.due && d.enqueue);
    cr_assert_eq(d.next, -1, "no further fire time");
}

/* ---- in a zone: the slot after a stored one follows cron.h's DST policy --------------------------------------- */

static struct tz *zone_of(const struct cron_schedule *s)
{
    char err[200];
    struct tz *z = tz_load(s->zone, err, sizeof err);
    cr_assert_not_null(z, "%s", err);
    return z;
}

Test(scheduler, new_york_the_slot_after_saturday_is_the_gap_run_then_monday)
{
    struct cron_schedule s = sched("CRON_TZ=America/New_York 30 2 * * *");
    struct tz *z = zone_of(&s);
    struct sched_decision d;
    time_t sat = at(2027, 3, 13, 7, 30, 0), gap = at(2027, 3, 14, 7, 0, 0);
    sched_decide(&s, z, sat, sat, GRACE, MISFIRE_SKIP, &d);
    cr_assert(d.enqueue && d.slot == sat);
    cr_assert_eq(d.next, gap, "02:30 does not exist on Sunday: 03:00 EDT");
    sched_decide(&s, z, gap, gap + 5, GRACE, MISFIRE_SKIP, &d);
    cr_assert(d.enqueue && d.slot == gap);
    cr_assert_eq(d.next, at(2027, 3, 15, 6, 30, 0), "02:30 EDT on Monday");
    tz_destroy(z);
}

Test(scheduler, new_york_fall_back_fixed_job_does_not_run_in_the_second_pass)
{
    struct cron_schedule s = sched("CRON_TZ=America/New_York 30 1 * * *");
    struct tz *z = zone_of(&s);
    struct sched_decision d;
    time_t first = at(2026, 11, 1, 5, 30, 0); /* 01:30 EDT; 01:30 EST is 06:30Z */
    sched_decide(&s, z, first, first, GRACE, MISFIRE_SKIP, &d);
    cr_assert_eq(d.next, at(2026, 11, 2, 6, 30, 0), "next day, not an hour later");
    tz_destroy(z);
}

Test(scheduler, berlin_once_after_downtime_across_spring_forward_runs_the_gap_slot)
{
    struct cron_schedule s = sched("CRON_TZ=Europe/Berlin 30 2 * * *");
    struct tz *z = zone_of(&s);
    struct sched_decision d;
    time_t friday = at(2026, 3, 27, 1, 30, 0), now = at(2026, 3, 29, 12, 0, 0);
    sched_decide(&s, z, friday, now, GRACE, MISFIRE_ONCE, &d);
    cr_assert(d.misfired && d.enqueue);
    cr_assert_eq(d.slot, at(2026, 3, 29, 1, 0, 0), "the latest missed slot is Sunday's, at 03:00 CEST");
    cr_assert_eq(d.next, at(2026, 3, 30, 0, 30, 0));
    tz_destroy(z);
}

Test(scheduler, lord_howe_gap_slot_is_due_at_the_transition)
{
    struct cron_schedule s = sched("CRON_TZ=Australia/Lord_Howe 15 2 * * *");
    struct tz *z = zone_of(&s);
    struct sched_decision d;
    time_t t = at(2026, 10, 3, 15, 30, 0); /* 02:00 LHST -> 02:30 LHDT */
    sched_decide(&s, z, at(2026, 10, 2, 15, 45, 0), at(2026, 10, 2, 15, 45, 0), GRACE, MISFIRE_SKIP, &d);
    cr_assert_eq(d.next, t);
    sched_decide(&s, z, t, t - 1, GRACE, MISFIRE_SKIP, &d);
    cr_assert(!d.due, "not a second early");
    tz_destroy(z);
}
