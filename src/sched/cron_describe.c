/*
 * cron_describe — the English description of a cron expression shown beside it (CLI cron-next, the schedule API,
 * the admin cron editor). Reads only the parsed schedule; see cron.h for cron_describe's contract.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sched/cron.h"

#define ALL_MINUTES ((UINT64_C(1) << 60) - 1)
#define ALL_HOURS ((UINT32_C(1) << 24) - 1)
#define ALL_MDAYS (((UINT32_C(1) << 31) - 1) << 1)
#define ALL_MONTHS ((uint16_t)(((1u << 12) - 1) << 1))
#define ALL_WDAYS ((uint8_t)0x7f)

static const char *const month_long[13] = {
    NULL,   "January", "February",  "March",   "April",    "May",      "June",
    "July", "August",  "September", "October", "November", "December",
};
static const char *const wday_long[7] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

/* A bounded string builder over the caller's buffer; text past the end is dropped, the result stays terminated. */
struct sbuf {
    char *buf;
    size_t cap, len;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
    if (sb->len + 1 >= sb->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb->len += (size_t)n < sb->cap - sb->len ? (size_t)n : sb->cap - sb->len - 1;
}

static int bit_count(uint64_t mask)
{
    return __builtin_popcountll(mask);
}

/* The only value in `mask`, or -1 when it holds zero or several. */
static int single_value(uint64_t mask)
{
    return bit_count(mask) == 1 ? __builtin_ctzll(mask) : -1;
}

/* k when `mask` is exactly {0, k, 2k, ...} up to `max` with 1 < k dividing `period`, else 0. */
static int step_from_zero(uint64_t mask, int max, int period)
{
    if (!(mask & 1) || bit_count(mask) < 2)
        return 0;
    int k = __builtin_ctzll(mask & (mask - 1));
    if (period % k != 0)
        return 0;
    uint64_t want = 0;
    for (int v = 0; v <= max; v += k)
        want |= UINT64_C(1) << v;
    return mask == want ? k : 0;
}

static void sb_value(struct sbuf *sb, int v, const char *const *names)
{
    if (names)
        sb_printf(sb, "%s", names[v]);
    else
        sb_printf(sb, "%d", v);
}

/* Writes the values of `mask` within lo..hi as a list, runs of three or more as "a-b". */
static void sb_list(struct sbuf *sb, uint64_t mask, int lo, int hi, const char *const *names)
{
    const char *sep = "";
    for (int v = lo; v <= hi; v++) {
        if (!((mask >> v) & 1))
            continue;
        int end = v;
        while (end < hi && ((mask >> (end + 1)) & 1))
            end++;
        sb_printf(sb, "%s", sep);
        sb_value(sb, v, names);
        if (end - v >= 2) {
            sb_printf(sb, "-");
            sb_value(sb, end, names);
        } else if (end > v) {
            sb_printf(sb, "%s", names ? ", " : ",");
            sb_value(sb, end, names);
        }
        sep = names ? ", " : ",";
        v = end;
    }
}

static void describe_hourly(struct sbuf *sb, const struct cron_schedule *s)
{
    int m1 = single_value(s->minutes);
    int mstep = step_from_zero(s->minutes, 59, 60);
    if (s->minutes == ALL_MINUTES) {
        sb_printf(sb, "every minute");
    } else if (mstep) {
        sb_printf(sb, "every %d minutes", mstep);
    } else if (m1 == 0) {
        sb_printf(sb, "every hour");
    } else if (m1 > 0) {
        sb_printf(sb, "at minute %d of every hour", m1);
    } else {
        sb_printf(sb, "at minutes ");
        sb_list(sb, s->minutes, 0, 59, NULL);
        sb_printf(sb, " of every hour");
    }
}

/* "at 09:00, 12:00 and 17:00": a fixed minute at a few hours. */
static void describe_clock_times(struct sbuf *sb, int minute, uint32_t hours)
{
    int left = bit_count(hours);
    sb_printf(sb, "at ");
    for (int h = 0; h < 24; h++) {
        if (!((hours >> h) & 1))
            continue;
        sb_printf(sb, "%02d:%02d%s", h, minute, left > 2 ? ", " : left == 2 ? " and " : "");
        left--;
    }
}

static void describe_generic_time(struct sbuf *sb, const struct cron_schedule *s)
{
    int mstep = step_from_zero(s->minutes, 59, 60);
    bool at = s->minutes != ALL_MINUTES && !mstep;
    if (s->minutes == ALL_MINUTES)
        sb_printf(sb, "every minute");
    else if (mstep)
        sb_printf(sb, "every %d minutes", mstep);
    else
        sb_printf(sb, "at minute%s ", bit_count(s->minutes) > 1 ? "s" : "");
    if (at)
        sb_list(sb, s->minutes, 0, 59, NULL);
    sb_printf(sb, " %s hour%s ", at ? "past" : "during", bit_count(s->hours) > 1 ? "s" : "");
    sb_list(sb, s->hours, 0, 23, NULL);
}

/* Writes the time-of-day part; returns true when it names fixed clock times (so "every day" reads well after it). */
static bool describe_time(struct sbuf *sb, const struct cron_schedule *s)
{
    int m1 = single_value(s->minutes), h1 = single_value(s->hours);
    int hstep = step_from_zero(s->hours, 23, 24);
    if (s->hours == ALL_HOURS) {
        describe_hourly(sb, s);
        return false;
    }
    if (m1 >= 0 && h1 >= 0) {
        sb_printf(sb, "at %02d:%02d", h1, m1);
        return true;
    }
    if (m1 == 0 && hstep) {
        sb_printf(sb, "every %d hours", hstep);
        return false;
    }
    if (m1 > 0 && hstep) {
        sb_printf(sb, "at minute %d every %d hours", m1, hstep);
        return false;
    }
    if (m1 >= 0 && bit_count(s->hours) <= 4) {
        describe_clock_times(sb, m1, s->hours);
        return true;
    }
    describe_generic_time(sb, s);
    return false;
}

static void sb_mdays(struct sbuf *sb, uint32_t mdays)
{
    sb_printf(sb, " on day%s ", bit_count(mdays) > 1 ? "s" : "");
    sb_list(sb, mdays, 1, 31, NULL);
}

static void sb_months_suffix(struct sbuf *sb, uint16_t months)
{
    if (months == ALL_MONTHS)
        return;
    sb_printf(sb, " in ");
    sb_list(sb, months, 1, 12, month_long);
}

static void describe_days(struct sbuf *sb, const struct cron_schedule *s, bool fixed_time)
{
    bool dom = s->mdays != ALL_MDAYS, dow = s->wdays != ALL_WDAYS;
    bool either = !s->mday_star && !s->wday_star;
    if (either && (!dom || !dow))
        dom = dow = false; /* one side of the OR matches every day */
    if (!dom && !dow) {
        if (fixed_time)
            sb_printf(sb, " every day");
        sb_months_suffix(sb, s->months);
        return;
    }
    if (dom && !dow) {
        sb_mdays(sb, s->mdays);
        sb_printf(sb, " of ");
        if (s->months == ALL_MONTHS)
            sb_printf(sb, "every month");
        else
            sb_list(sb, s->months, 1, 12, month_long);
        return;
    }
    if (dom) {
        sb_mdays(sb, s->mdays);
        sb_printf(sb, either ? " of the month and on " : " of the month that fall%s on ",
                  bit_count(s->mdays) > 1 ? "" : "s");
    } else {
        sb_printf(sb, " on ");
    }
    sb_list(sb, s->wdays, 0, 6, wday_long);
    sb_months_suffix(sb, s->months);
}

int cron_describe(const char *expr, char *buf, size_t buflen)
{
    struct cron_schedule s;
    if (cron_parse(expr, &s, buf, buflen))
        return -1;
    struct sbuf sb = {buf, buflen, 0};
    if (buflen == 0)
        return 0;
    buf[0] = '\0';
    bool fixed_time = describe_time(&sb, &s);
    describe_days(&sb, &s, fixed_time);
    if (s.zone[0])
        sb_printf(&sb, " (%s time)", s.zone);
    return 0;
}
