/*
 * libFuzzer target for sched/cron.c. The input bytes, NUL-terminated, are an expression (a CRON_TZ=/TZ= prefix
 * included: its name is checked by tz_load, so arbitrary names exercise the name checks and the file reading).
 * When it parses, every fire time cron_next returns must be later than `after`, on a whole minute, within the
 * horizon, and match the schedule field by field (checked independently with gmtime_r). Searching again from one
 * second before it must find that time again. cron_describe must agree with cron_parse and leave a terminated
 * string. The schedule is also run in its own zone, or in one of a few zones picked by the input's hash (so any
 * schedule meets DST), around their transitions: each fire's offset is the zone's, its wall time matches unless a
 * gap moved it (then it sits on a forward transition and its nominal time is inside the gap), and a fixed-time job
 * never runs the same wall time twice in a repeated hour.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched/cron.h"
#include "sched/tz.h"

#define FUZZ_MAX_INPUT 4096
#define HORIZON_SECS ((time_t)5 * 366 * 86400)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Zones with different transition shapes; loaded once per fuzzing process (a harness may keep state). */
static const char *const fuzz_zones[] = {"Europe/Berlin",    "America/New_York", "Australia/Lord_Howe", "Pacific/Apia",
                                         "Antarctica/Casey", "Asia/Tokyo",       "America/Sao_Paulo",   "UTC"};
#define NZONES (sizeof fuzz_zones / sizeof fuzz_zones[0])

static bool wall_matches(const struct cron_schedule *s, int64_t wall)
{
    time_t t = (time_t)wall;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return false;
    bool dom = (s->mdays >> tm.tm_mday) & 1, dow = (s->wdays >> tm.tm_wday) & 1;
    bool day = (s->mday_star || s->wday_star) ? dom && dow : dom || dow;
    return day && ((s->months >> (tm.tm_mon + 1)) & 1) && ((s->hours >> tm.tm_hour) & 1) &&
           ((s->minutes >> tm.tm_min) & 1) && tm.tm_sec == 0;
}

static void check_next(const struct cron_schedule *s, time_t after)
{
    struct cron_schedule utc = *s;
    utc.zone[0] = '\0';
    time_t next = cron_next(&utc, after);
    if (next == -1)
        return;
    if (next <= after || next % 60 != 0 || next - after > HORIZON_SECS + 86400 || !wall_matches(s, next))
        abort();
    if (cron_next(&utc, next - 1) != next)
        abort();
}

/* A gap-moved fire sits on a forward transition and names a wall time inside the gap. */
static void check_shifted(const struct cron_schedule *s, const struct tz *z, const struct cron_fire *f)
{
    int32_t before = tz_offset_at(z, f->at - 1).utoff, after = f->offset.utoff;
    if (before >= after || f->gap_slots < 1 || f->nominal < (int64_t)f->at + before ||
        f->nominal >= (int64_t)f->at + after || !wall_matches(s, f->nominal))
        abort();
}

static void check_zoned(const struct cron_schedule *s, const struct tz *z, time_t after)
{
    struct cron_fire f, again, next;
    if (!cron_next_fire(s, z, after, &f))
        return;
    if (f.at <= after || f.at - after > HORIZON_SECS + 3 * 86400 || f.offset.utoff != tz_offset_at(z, f.at).utoff)
        abort();
    if (f.flags & CRON_FIRE_SHIFTED_BY_GAP)
        check_shifted(s, z, &f);
    else if (f.nominal != (int64_t)f.at + f.offset.utoff || !wall_matches(s, f.nominal))
        abort();
    if (!cron_next_fire(s, z, f.at - 1, &again) || again.at != f.at || cron_next_tz(s, z, after) != f.at)
        abort();
    if ((f.flags & CRON_FIRE_FIRST_OF_REPEATED) && cron_next_fire(s, z, f.at, &next) && next.nominal == f.nominal)
        abort();
}

static uint64_t fnv1a(const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ULL;
    return h;
}

/* Runs the schedule in its own zone (if any) or a hashed one, from instants around a transition. */
static void check_zones(const struct cron_schedule *s, uint64_t h)
{
    static struct tz *zones[NZONES];
    char err[160];
    struct tz *own = s->zone[0] ? tz_load(s->zone, err, sizeof err) : NULL;
    size_t k = (size_t)(h % NZONES);
    if (!own && !zones[k] && !(zones[k] = tz_load(fuzz_zones[k], err, sizeof err)))
        return; /* tzdata absent */
    const struct tz *z = own ? own : zones[k];
    time_t start = (time_t)(h % 4102444800ULL), pins[] = {start, 1774745000, 1792888000, 1325230000};
    for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
        struct tz_transition tr;
        check_zoned(s, z, pins[i]);
        if (tz_next_transition(z, pins[i], &tr))
            for (time_t d = -7200; d <= 3600; d += 1800)
                check_zoned(s, z, tr.at + d - 1);
    }
    tz_destroy(own);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char expr[FUZZ_MAX_INPUT + 1];
    if (size > FUZZ_MAX_INPUT)
        return 0;
    memcpy(expr, data, size);
    expr[size] = '\0';

    struct cron_schedule s;
    char err[128], desc[256];
    int rc = cron_parse(expr, &s, err, sizeof err);
    if (memchr(err, '\0', sizeof err) == NULL)
        abort();
    if ((cron_describe(expr, desc, sizeof desc) == 0) != (rc == 0) || memchr(desc, '\0', sizeof desc) == NULL)
        abort();
    if (rc != 0)
        return 0;

    const time_t fixed[] = {0, -1, 951782400 /* 2000-02-29 */, 1735689599, 4102444800 /* 2100-01-01 */};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        check_next(&s, fixed[i]);
    uint64_t h = fnv1a(data, size);
    check_next(&s, (time_t)(h % 253402300800ULL)); /* somewhere in 1970..9999 */
    check_zones(&s, h);

    time_t out[3];
    int n = cron_next_n(expr, 1735689600, out, 3, err, sizeof err);
    if (n < 0 || n > 3)
        abort();
    for (int i = 1; i < n; i++)
        if (out[i] <= out[i - 1])
            abort();
    return 0;
}
