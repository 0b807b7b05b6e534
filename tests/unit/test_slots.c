/*
 * Unit tests for sched/slots.c: the missed-slot arithmetic and the default deadline, at pinned instants around
 * real DST transitions (Europe/Berlin, America/New_York, Australia/Lord_Howe's 30-minute shift, America/Sao_Paulo
 * before and after it dropped DST in 2019). A slot is a fire time under cron.h's policy, so a fixed-time job's time
 * in the spring-forward gap is one slot (at the end of the gap), a fixed-time job's repeated fall-back time is one
 * slot, and a wildcard job's repeated hour is two. Expected instants were worked out by hand from the zones' rules.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "sched/slots.h"
#include "sched_fixture.h"

static int span(const char *expr, const char *lo, const char *hi, struct slot_span *sp)
{
    struct sched x = open_expr(expr);
    int n = slots_span(&x.s, x.zone, iso(lo), iso(hi), sp);
    tz_destroy(x.zone);
    return n;
}

Test(slots, reason_names_are_the_ledger_vocabulary)
{
    cr_assert_str_eq(slots_reason_name(MISSED_OVERLAP), "overlap");
    cr_assert_str_eq(slots_reason_name(MISSED_MISFIRE), "misfire-skipped");
    cr_assert_str_eq(slots_reason_name(MISSED_DISABLED), "disabled");
    cr_assert_str_eq(slots_reason_name(MISSED_PAUSED), "paused");
    cr_assert_str_eq(slots_reason_name(MISSED_UNAVAILABLE), "unavailable");
    cr_assert_str_eq(slots_reason_name(MISSED_NO_LEADER), "no-leader");
    cr_assert_str_eq(slots_reason_name(MISSED_INVALID), "invalid-schedule");
    cr_assert_str_eq(slots_reason_name(MISSED_INVALID_PARAMS), "invalid-params");
    cr_assert_str_eq(slots_reason_name((enum missed_reason)99), "unknown");
}

Test(slots, span_is_after_lo_and_up_to_hi)
{
    struct slot_span sp;
    /* 10:00 is excluded (lo), 11:00 included (hi): 10:15, 10:30, 10:45, 11:00 */
    cr_assert_eq(span("*/15 * * * *", "2026-05-04T10:00:00Z", "2026-05-04T11:00:00Z", &sp), 4);
    cr_assert_eq(sp.first, iso("2026-05-04T10:15:00Z"));
    cr_assert_eq(sp.last, iso("2026-05-04T11:00:00Z"));
    cr_assert(!sp.capped);
    cr_assert_eq(span("0 * * * *", "2026-05-04T10:00:00Z", "2026-05-04T10:59:59Z", &sp), 0);
    cr_assert_eq(sp.first, 0);
    cr_assert_eq(sp.count, 0);
}

Test(slots, a_month_of_minutes_is_one_span)
{
    struct slot_span sp;
    cr_assert_eq(span("* * * * *", "2026-01-01T00:00:00Z", "2026-01-31T00:00:00Z", &sp), 30 * 1440);
    cr_assert_eq(sp.last, iso("2026-01-31T00:00:00Z"));
}

Test(slots, span_stops_at_its_cap)
{
    struct slot_span sp;
    cr_assert_eq(span("* * * * *", "2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z", &sp), SLOTS_SPAN_MAX);
    cr_assert(sp.capped);
}

Test(slots, berlin_spring_forward_fixed_job_gap_time_is_one_slot_at_the_end_of_the_gap)
{
    /* 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z); 02:30 does not exist and runs once, at 01:00Z. */
    struct slot_span sp;
    cr_assert_eq(span("CRON_TZ=Europe/Berlin 30 2 * * *", "2026-03-27T12:00:00Z", "2026-03-30T12:00:00Z", &sp), 3);
    cr_assert_eq(sp.first, iso("2026-03-28T01:30:00Z")); /* 02:30 CET */
    cr_assert_eq(sp.last, iso("2026-03-30T00:30:00Z"));  /* 02:30 CEST */
    struct sched x = open_expr("CRON_TZ=Europe/Berlin 30 2 * * *");
    cr_assert(slots_continues(&x.s, x.zone, iso("2026-03-28T01:30:00Z"), iso("2026-03-29T01:00:00Z")),
              "the gap slot follows Saturday's");
    cr_assert(!slots_continues(&x.s, x.zone, iso("2026-03-28T01:30:00Z"), iso("2026-03-30T00:30:00Z")),
              "Sunday's gap slot lies between");
    tz_destroy(x.zone);
}

Test(slots, berlin_spring_forward_wildcard_job_follows_real_time)
{
    /* 00:00 to 04:00 local on the short night is 3 real hours (23:00Z to 02:00Z): every half hour of them. */
    struct slot_span sp;
    cr_assert_eq(span("CRON_TZ=Europe/Berlin */30 * * * *", "2026-03-28T23:00:00Z", "2026-03-29T02:00:00Z", &sp), 6);
    cr_assert_eq(sp.first, iso("2026-03-28T23:30:00Z"));
}

Test(slots, berlin_fall_back_fixed_job_runs_once_wildcard_twice)
{
    /* 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z): 02:30 happens at 00:30Z and at 01:30Z. */
    struct slot_span sp;
    cr_assert_eq(span("CRON_TZ=Europe/Berlin 30 2 * * *", "2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z", &sp), 1);
    cr_assert_eq(sp.first, iso("2026-10-25T00:30:00Z"), "the first 02:30 only");
    cr_assert_eq(span("CRON_TZ=Europe/Berlin 30 * * * *", "2026-10-24T23:59:00Z", "2026-10-25T02:00:00Z", &sp), 2);
    cr_assert_eq(sp.first, iso("2026-10-25T00:30:00Z"));
    cr_assert_eq(sp.last, iso("2026-10-25T01:30:00Z"), "02:30 CEST, 02:30 CET");
}

Test(slots, new_york_a_paused_week_across_spring_forward)
{
    /* A daily 02:30 job paused from Friday to Tuesday around 2027-03-14: Sat, Sun (at 03:00 EDT), Mon, Tue. */
    struct slot_span sp;
    cr_assert_eq(span("CRON_TZ=America/New_York 30 2 * * *", "2027-03-12T12:00:00Z", "2027-03-16T12:00:00Z", &sp), 4);
    cr_assert_eq(sp.first, iso("2027-03-13T07:30:00Z"));
    cr_assert_eq(sp.last, iso("2027-03-16T06:30:00Z"));
}

Test(slots, lord_howe_thirty_minute_shift)
{
    /* 2026-10-04 02:00 LHST (+10:30) -> 02:30 LHDT (+11) at 2026-10-03T15:30Z; 02:15 is in the gap. */
    struct slot_span sp;
    cr_assert_eq(span("CRON_TZ=Australia/Lord_Howe 15 2 * * *", "2026-10-02T12:00:00Z", "2026-10-04T18:00:00Z", &sp),
                 3);
    struct sched x = open_expr("CRON_TZ=Australia/Lord_Howe 15 2 * * *");
    cr_assert(slots_continues(&x.s, x.zone, iso("2026-10-02T15:45:00Z"), iso("2026-10-03T15:30:00Z")));
    tz_destroy(x.zone);
    /* Fall back 2026-04-05 02:00 LHDT -> 01:30 LHST (14:30Z): a fixed 01:45 runs once, a wildcard :45 twice. */
    cr_assert_eq(span("CRON_TZ=Australia/Lord_Howe 45 1 * * *", "2026-04-04T12:00:00Z", "2026-04-05T12:00:00Z", &sp),
                 1);
    cr_assert_eq(span("CRON_TZ=Australia/Lord_Howe 45 * * * *", "2026-04-04T14:00:00Z", "2026-04-04T15:30:00Z", &sp),
                 2);
}

Test(slots, sao_paulo_before_and_after_it_dropped_dst)
{
    struct slot_span sp;
    /* 2018-11-04 00:00 did not exist (clocks went to 01:00, 03:00Z): the midnight job ran once at 03:00Z. */
    cr_assert_eq(span("CRON_TZ=America/Sao_Paulo 0 0 * * *", "2018-11-03T00:00:00Z", "2018-11-05T00:00:00Z", &sp), 2);
    cr_assert_eq(sp.first, iso("2018-11-03T03:00:00Z"));
    cr_assert_eq(sp.last, iso("2018-11-04T03:00:00Z"));
    /* Since 2019 no DST: a year of midnights is 365 slots, each at 03:00Z. */
    cr_assert_eq(span("CRON_TZ=America/Sao_Paulo 0 0 * * *", "2025-01-01T00:00:00Z", "2025-12-31T23:59:00Z", &sp), 365);
    cr_assert_eq(sp.first, iso("2025-01-01T03:00:00Z"));
    cr_assert_eq(sp.last, iso("2025-12-31T03:00:00Z"));
}

static int64_t deadline_of(const char *expr, const char *now)
{
    struct sched x = open_expr(expr);
    int64_t d = slots_default_deadline(&x.s, iso(now));
    tz_destroy(x.zone);
    return d;
}

Test(slots, default_deadline_is_twice_the_longest_interval)
{
    cr_assert_eq(deadline_of("*/15 * * * *", "2026-05-04T10:07:00Z"), 2 * 900);
    cr_assert_eq(deadline_of("5 * * * *", "2026-05-04T10:07:00Z"), 2 * 3600);
    cr_assert_eq(deadline_of("0 2 * * *", "2026-05-04T10:07:00Z"), 2 * 86400);
    cr_assert_eq(deadline_of("0 */6 * * *", "2026-05-04T10:07:00Z"), 2 * 6 * 3600);
    cr_assert_eq(deadline_of("0 3 * * 0", "2026-05-04T10:07:00Z"), 2 * 7 * 86400);
    /* hourly on weekdays: the weekend (Fri 17:00 to Mon 09:00) is the longest gap, not an hour */
    cr_assert_eq(deadline_of("0 9-17 * * 1-5", "2026-05-04T10:07:00Z"), 2 * 64 * 3600);
    /* monthly: the longest month counts, whenever it is asked */
    cr_assert_eq(deadline_of("30 0 1 * *", "2026-02-10T00:00:00Z"), 2 * 31 * 86400);
    cr_assert_eq(deadline_of("30 0 1 * *", "2026-08-10T00:00:00Z"), 2 * 31 * 86400);
    cr_assert_eq(deadline_of("0 0 30 2 *", "2026-05-04T10:07:00Z"), -1, "never fires: no default");
}

Test(slots, default_deadline_is_measured_on_the_wall_clock)
{
    /* A daily job in a DST zone has 23 h and 25 h real gaps twice a year; its deadline stays 48 h all year. */
    const char *nows[] = {"2026-01-10T00:00:00Z", "2026-03-28T00:00:00Z", "2026-10-24T00:00:00Z"};
    for (size_t i = 0; i < sizeof nows / sizeof nows[0]; i++) {
        cr_assert_eq(deadline_of("CRON_TZ=Europe/Berlin 30 2 * * *", nows[i]), 2 * 86400, "%s", nows[i]);
        cr_assert_eq(deadline_of("CRON_TZ=Australia/Lord_Howe 15 2 * * *", nows[i]), 2 * 86400, "%s", nows[i]);
    }
}

Test(slots, span_from_counts_a_stored_slot_the_expression_no_longer_names)
{
    struct sched x = open_expr("0 * * * *");
    struct slot_span sp;
    /* nextrunat 10:17 (stored under an older expression), then the hourly fires through 12:30 */
    cr_assert_eq(slots_span_from(&x.s, x.zone, iso("2026-05-04T10:17:00Z"), iso("2026-05-04T12:30:00Z"), &sp), 3);
    cr_assert_eq(sp.first, iso("2026-05-04T10:17:00Z"));
    cr_assert_eq(sp.last, iso("2026-05-04T12:00:00Z"));
    cr_assert_eq(slots_span_from(&x.s, x.zone, iso("2026-05-04T11:00:00Z"), iso("2026-05-04T11:00:00Z"), &sp), 1);
    cr_assert_eq(sp.first, sp.last);
    cr_assert_eq(slots_span_from(&x.s, x.zone, iso("2026-05-04T11:00:00Z"), iso("2026-05-04T10:59:59Z"), &sp), 0);
}
