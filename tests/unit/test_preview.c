/*
 * Unit tests for sched/preview.c: a fire time shown in its zone and in UTC (offset text, including half-hour and
 * local-mean-time offsets), the DST flag's name and the sentence that explains it, at real transitions
 * (America/New_York, Europe/Berlin, Australia/Lord_Howe), and the search for the next fire a DST change moves,
 * which must find nothing for a zone without DST (Asia/Tokyo), for a zone that dropped it (America/Sao_Paulo
 * after 2019), and for a job whose times stay clear of the switch hours.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "sched/preview.h"
#include "sched_fixture.h"

/* The first fire of `expr` after `after`, with its local ISO text and note. */
static struct cron_fire fire(const char *expr, const char *after, char *local, char *note)
{
    struct sched x = open_expr(expr);
    struct cron_fire f;
    cr_assert(cron_next_fire(&x.s, x.zone, iso(after), &f));
    preview_local_iso(&f, local, 64);
    preview_note(&f, x.zone, note, 400);
    tz_destroy(x.zone);
    return f;
}

Test(preview, offsets)
{
    char b[16];
    cr_assert_str_eq(preview_utcoffset(0, b, sizeof b), "+00:00");
    cr_assert_str_eq(preview_utcoffset(9 * 3600, b, sizeof b), "+09:00");
    cr_assert_str_eq(preview_utcoffset(-4 * 3600, b, sizeof b), "-04:00");
    cr_assert_str_eq(preview_utcoffset(10 * 3600 + 1800, b, sizeof b), "+10:30");
    cr_assert_str_eq(preview_utcoffset(-(4 * 3600 + 56 * 60 + 2), b, sizeof b), "-04:56:02");
}

Test(preview, an_ordinary_fire_has_no_flag_and_no_note)
{
    char local[64], note[400];
    struct cron_fire f = fire("CRON_TZ=Asia/Tokyo 0 0 * * *", "2026-05-04T00:00:00Z", local, note);
    cr_assert_eq(f.at, iso("2026-05-04T15:00:00Z"));
    cr_assert_str_eq(local, "2026-05-05T00:00:00+09:00");
    cr_assert_str_eq(f.offset.abbr, "JST");
    cr_assert_null(preview_dst_flag(&f));
    cr_assert_str_eq(note, "");
}

Test(preview, new_york_spring_forward_gap_time_runs_at_the_end_of_the_gap)
{
    char local[64], note[400];
    struct cron_fire f = fire("CRON_TZ=America/New_York 30 2 * * *", "2027-03-13T08:00:00Z", local, note);
    cr_assert_eq(f.at, iso("2027-03-14T07:00:00Z"));
    cr_assert_str_eq(local, "2027-03-14T03:00:00-04:00");
    cr_assert_str_eq(preview_dst_flag(&f), "shifted-by-gap");
    cr_assert_str_eq(note, "02:30 does not exist on 2027-03-14 in America/New_York (clocks jump from 02:00 EST to "
                           "03:00 EDT): runs once, at 03:00");
}

Test(preview, several_gap_times_collapse_into_one_run)
{
    char local[64], note[400];
    struct cron_fire f = fire("CRON_TZ=Europe/Berlin 0,20,40 2 * * *", "2026-03-28T02:00:00Z", local, note);
    cr_assert_eq(f.at, iso("2026-03-29T01:00:00Z"));
    cr_assert_eq(f.gap_slots, 3);
    cr_assert(strstr(note, "3 times from 02:00 do not exist on 2026-03-29 in Europe/Berlin"), "%s", note);
    cr_assert(strstr(note, "they run once, at 03:00"), "%s", note);
}

Test(preview, fall_back_fixed_job_runs_at_the_first_pass_only)
{
    char local[64], note[400];
    struct cron_fire f = fire("CRON_TZ=America/New_York 30 1 * * *", "2026-11-01T00:00:00Z", local, note);
    cr_assert_eq(f.at, iso("2026-11-01T05:30:00Z"));
    cr_assert_str_eq(local, "2026-11-01T01:30:00-04:00");
    cr_assert_str_eq(preview_dst_flag(&f), "first-of-repeated");
    cr_assert_str_eq(note, "01:30 happens twice on 2026-11-01 in America/New_York (clocks go back from 02:00 EDT to "
                           "01:00 EST): runs at the first only");
}

Test(preview, fall_back_wildcard_job_runs_at_both_passes)
{
    char local[64], note[400];
    struct cron_fire f = fire("CRON_TZ=America/New_York 30 * * * *", "2026-11-01T05:00:00Z", local, note);
    cr_assert_str_eq(preview_dst_flag(&f), "repeated");
    cr_assert(strstr(note, "runs at both, this is the first"), "%s", note);
    f = fire("CRON_TZ=America/New_York 30 * * * *", "2026-11-01T05:30:00Z", local, note);
    cr_assert_eq(f.at, iso("2026-11-01T06:30:00Z"));
    cr_assert_str_eq(local, "2026-11-01T01:30:00-05:00");
    cr_assert_str_eq(preview_dst_flag(&f), "second-pass");
    cr_assert(strstr(note, "01:30 happens twice on 2026-11-01") && strstr(note, "this is its second run"), "%s", note);
}

Test(preview, lord_howe_half_hour_offsets)
{
    char local[64], note[400];
    struct cron_fire f = fire("CRON_TZ=Australia/Lord_Howe 15 2 * * *", "2026-10-03T00:00:00Z", local, note);
    cr_assert_eq(f.at, iso("2026-10-03T15:30:00Z"));
    cr_assert_str_eq(local, "2026-10-04T02:30:00+11:00");
    cr_assert(strstr(note, "02:15 does not exist on 2026-10-04 in Australia/Lord_Howe"), "%s", note);
    cr_assert(strstr(note, "from 02:00 +1030 to 02:30 +11"), "%s", note);
}

static bool next_dst(const char *expr, const char *after, struct cron_fire *f)
{
    struct sched x = open_expr(expr);
    bool found = preview_next_dst_fire(&x.s, x.zone, iso(after), 366L * 86400, f);
    tz_destroy(x.zone);
    return found;
}

Test(preview, next_dst_fire_looks_around_the_transitions)
{
    struct cron_fire f;
    cr_assert(next_dst("CRON_TZ=America/New_York 30 2 * * *", "2026-12-01T00:00:00Z", &f));
    cr_assert_eq(f.at, iso("2027-03-14T07:00:00Z"));
    cr_assert(next_dst("CRON_TZ=America/New_York 30 1 * * *", "2026-12-01T00:00:00Z", &f));
    cr_assert_eq(f.at, iso("2027-11-07T05:30:00Z"), "the spring change does not touch 01:30; the autumn one does");
    cr_assert(next_dst("CRON_TZ=Europe/Berlin * * * * *", "2026-12-01T00:00:00Z", &f),
              "a per-minute job is found cheaply");
    cr_assert_str_eq(preview_dst_flag(&f), "gap-skipped");
    cr_assert_eq(f.at, iso("2027-03-28T01:00:00Z"));
}

Test(preview, no_dst_fire_where_nothing_moves)
{
    struct cron_fire f;
    cr_assert(!next_dst("CRON_TZ=Asia/Tokyo 0 0 * * *", "2026-01-01T00:00:00Z", &f), "Japan has no DST");
    cr_assert(!next_dst("CRON_TZ=America/Sao_Paulo 0 0 * * *", "2024-01-01T00:00:00Z", &f), "dropped in 2019");
    cr_assert(next_dst("CRON_TZ=America/Sao_Paulo 0 0 * * *", "2018-06-01T00:00:00Z", &f), "but not before");
    cr_assert(!next_dst("CRON_TZ=Europe/Berlin 0 9 * * *", "2026-01-01T00:00:00Z", &f), "09:00 is never moved");
    cr_assert(!next_dst("0 2 * * *", "2026-01-01T00:00:00Z", &f), "UTC");
}
