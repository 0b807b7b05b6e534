/* slots — see slots.h. */
#include "sched/slots.h"

#include <string.h>

const char *slots_reason_name(enum missed_reason r)
{
    static const char *const names[] = {"overlap",     "misfire-skipped", "disabled",         "paused",
                                        "unavailable", "no-leader",       "invalid-schedule", "invalid-params"};
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "unknown";
}

int slots_span(const struct cron_schedule *s, const struct tz *zone, time_t lo, time_t hi, struct slot_span *out)
{
    memset(out, 0, sizeof *out);
    for (time_t t = cron_next_tz(s, zone, lo); t > 0 && t <= hi; t = cron_next_tz(s, zone, t)) {
        if (out->count == SLOTS_SPAN_MAX) {
            out->capped = true;
            break;
        }
        if (!out->count)
            out->first = t;
        out->last = t;
        out->count++;
    }
    return out->count;
}

int slots_span_from(const struct cron_schedule *s, const struct tz *zone, time_t first, time_t hi,
                    struct slot_span *out)
{
    memset(out, 0, sizeof *out);
    if (first > hi)
        return 0;
    slots_span(s, zone, first, hi, out);
    if (out->count == SLOTS_SPAN_MAX) {
        out->count--;
        out->capped = true;
    }
    if (!out->count)
        out->last = first;
    out->first = first;
    return ++out->count;
}

bool slots_continues(const struct cron_schedule *s, const struct tz *zone, time_t prev_last, time_t first)
{
    return prev_last > 0 && cron_next_tz(s, zone, prev_last) == first;
}

/* Minutes of the day the schedule's hour and minute fields allow: the first, the last and the longest gap. */
static void day_times(const struct cron_schedule *s, int *first, int *last, int *gap)
{
    *first = *last = -1;
    *gap = 0;
    for (int h = 0; h < 24; h++)
        for (int m = 0; m < 60; m++) {
            if (!((s->hours >> h) & 1) || !((s->minutes >> m) & 1))
                continue;
            int t = h * 60 + m;
            if (*last >= 0 && t - *last > *gap)
                *gap = t - *last;
            if (*first < 0)
                *first = t;
            *last = t;
        }
}

#define DEADLINE_HORIZON_DAYS 400 /* a year and a bit: every month length and weekday pattern shows up */
#define DAY 86400

int64_t slots_default_deadline(const struct cron_schedule *s, time_t now)
{
    struct cron_schedule utc = *s; /* wall-clock gaps: the same fields read in UTC have no DST */
    utc.zone[0] = '\0';
    int first, last, gap;
    day_times(&utc, &first, &last, &gap);
    time_t t = cron_next_tz(&utc, NULL, now);
    if (t < 0 || first < 0)
        return -1;
    int64_t day = t / DAY, start = day, longest = gap, fires = 0;
    while (day - start <= DEADLINE_HORIZON_DAYS) {
        time_t next = cron_next_tz(&utc, NULL, (time_t)((day + 1) * DAY - 1)); /* first fire of a later day */
        if (next < 0)
            break;
        int64_t nday = next / DAY, across = (nday - day) * 1440 - (last - first);
        if (across > longest)
            longest = across;
        day = nday;
        fires++;
    }
    if (!fires && first == last)
        return -1; /* one fire in the horizon, nothing to measure */
    return 2 * longest * 60;
}
