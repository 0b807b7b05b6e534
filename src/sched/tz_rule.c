/*
 * tz_rule — see tz_rule.h.
 *
 * Evaluation: for an instant in year Y (UTC), the events of years Y-2..Y+1 are enough to know the state: a rule
 * time may push an event up to 167 hours into the next year, never by a whole year. The state at `t` is the kind
 * of the latest event at or before `t`. When an end and a start fall on the same instant (DST all year,
 * "...,0/0,J365/25": the end of one year meets the start of the next) the start wins, so DST never lapses.
 */
#include "sched/tz_rule.h"

#include <string.h>

#include "sched/civil.h"

#define RULE_HOURS_MAX 167  /* RFC 8536: rule times may range over -167..167 hours */
#define OFFSET_HOURS_MAX 24 /* POSIX: offsets hh 0..24 */
#define NAME_MIN 3
#define TIME_CLAMP (INT64_C(1) << 55) /* ~1.1 billion years: beyond, the rule is evaluated at the clamp */
#define EVENTS_MAX 8                  /* years Y-2..Y+1, two events each */

struct event {
    int64_t at;
    bool start; /* true: std -> dst; false: dst -> std */
};

/* ---- parsing ----------------------------------------------------------------------------------------------- */

struct cursor {
    const char *p, *end;
};

static int peek(const struct cursor *c)
{
    return c->p < c->end ? (unsigned char)*c->p : -1;
}

static bool is_alpha(int ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static bool is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

static void copy_name(const char *s, size_t n, char out[TZ_ABBR_MAX + 1])
{
    if (n > TZ_ABBR_MAX)
        n = TZ_ABBR_MAX;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* A zone abbreviation: 3+ letters, or <...> with 3+ of [A-Za-z0-9+-]. */
static int parse_name(struct cursor *c, char out[TZ_ABBR_MAX + 1], const char *what, struct errbuf *e)
{
    const char *start = c->p;
    if (peek(c) == '<') {
        c->p++;
        start = c->p;
        while (is_alpha(peek(c)) || is_digit(peek(c)) || peek(c) == '+' || peek(c) == '-')
            c->p++;
        if (peek(c) != '>' || c->p - start < NAME_MIN)
            return errbuf_fail(e, "TZ string: bad quoted %s name", what);
        copy_name(start, (size_t)(c->p - start), out);
        c->p++;
        return 0;
    }
    while (is_alpha(peek(c)))
        c->p++;
    if (c->p - start < NAME_MIN)
        return errbuf_fail(e, "TZ string: %s name needs at least 3 letters", what);
    copy_name(start, (size_t)(c->p - start), out);
    return 0;
}

/* Up to `maxdigits` digits into *v; false when there is none. */
static bool parse_number(struct cursor *c, int maxdigits, int *v)
{
    int n = 0, x = 0;
    while (n < maxdigits && is_digit(peek(c))) {
        x = x * 10 + (*c->p++ - '0');
        n++;
    }
    *v = x;
    return n > 0;
}

/* [+-]hh[:mm[:ss]] with hh at most `hmax`; the result in seconds, signed. */
static int parse_hms(struct cursor *c, int hmax, int32_t *out, const char *what, struct errbuf *e)
{
    int sign = 1, h, m = 0, s = 0;
    if (peek(c) == '+' || peek(c) == '-')
        sign = *c->p++ == '-' ? -1 : 1;
    if (!parse_number(c, 3, &h) || h > hmax)
        return errbuf_fail(e, "TZ string: bad %s (hours 0-%d)", what, hmax);
    if (peek(c) == ':') {
        c->p++;
        if (!parse_number(c, 2, &m) || m > 59)
            return errbuf_fail(e, "TZ string: bad %s minutes", what);
        if (peek(c) == ':') {
            c->p++;
            if (!parse_number(c, 2, &s) || s > 59)
                return errbuf_fail(e, "TZ string: bad %s seconds", what);
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return 0;
}

static int parse_mwd(struct cursor *c, struct tz_rule_date *d, struct errbuf *e)
{
    c->p++;
    d->kind = TZ_DATE_MWD;
    if (!parse_number(c, 2, &d->m) || d->m < 1 || d->m > 12 || peek(c) != '.')
        return errbuf_fail(e, "TZ string: bad month in Mm.w.d");
    c->p++;
    if (!parse_number(c, 1, &d->w) || d->w < 1 || d->w > 5 || peek(c) != '.')
        return errbuf_fail(e, "TZ string: bad week in Mm.w.d");
    c->p++;
    if (!parse_number(c, 1, &d->d) || d->d > 6)
        return errbuf_fail(e, "TZ string: bad weekday in Mm.w.d");
    return 0;
}

/* ",date[/time]" */
static int parse_date(struct cursor *c, struct tz_rule_date *d, struct errbuf *e)
{
    if (peek(c) != ',')
        return errbuf_fail(e, "TZ string: expected ',' before a rule date");
    c->p++;
    if (peek(c) == 'M') {
        if (parse_mwd(c, d, e))
            return -1;
    } else {
        bool julian1 = peek(c) == 'J';
        c->p += julian1;
        d->kind = julian1 ? TZ_DATE_JULIAN1 : TZ_DATE_JULIAN0;
        if (!parse_number(c, 3, &d->n) || d->n > 365 || (julian1 && d->n < 1))
            return errbuf_fail(e, "TZ string: bad day-of-year rule date");
    }
    d->time = 2 * 3600;
    if (peek(c) == '/') {
        c->p++;
        return parse_hms(c, RULE_HOURS_MAX, &d->time, "rule time", e);
    }
    return 0;
}

static int parse_dst(struct cursor *c, struct tz_rule *r, struct errbuf *e)
{
    int32_t off;
    r->has_dst = true;
    r->dst.isdst = true;
    if (parse_name(c, r->dst.abbr, "DST", e))
        return -1;
    r->dst.utoff = r->std.utoff + 3600;
    if (peek(c) != ',' && peek(c) != -1) {
        if (parse_hms(c, OFFSET_HOURS_MAX, &off, "DST offset", e))
            return -1;
        r->dst.utoff = -off;
    }
    if (peek(c) == -1) { /* no dates: tzcode's and glibc's default, the US rules */
        r->start = (struct tz_rule_date){.kind = TZ_DATE_MWD, .m = 3, .w = 2, .d = 0, .time = 7200};
        r->end = (struct tz_rule_date){.kind = TZ_DATE_MWD, .m = 11, .w = 1, .d = 0, .time = 7200};
        return 0;
    }
    return parse_date(c, &r->start, e) || parse_date(c, &r->end, e) ? -1 : 0;
}

int tz_rule_parse(const char *s, size_t len, struct tz_rule *out, struct errbuf *e)
{
    struct cursor c = {s, s + len};
    struct tz_rule r;
    int32_t off;
    memset(&r, 0, sizeof r);
    if (parse_name(&c, r.std.abbr, "standard", e) || parse_hms(&c, OFFSET_HOURS_MAX, &off, "offset", e))
        return -1;
    r.std.utoff = -off;
    if (peek(&c) != -1 && parse_dst(&c, &r, e))
        return -1;
    if (peek(&c) != -1)
        return errbuf_fail(e, "TZ string: unexpected text at offset %d", (int)(c.p - s));
    *out = r;
    return 0;
}

/* ---- evaluation -------------------------------------------------------------------------------------------- */

/* The day number the date falls on in year `y` (may spill into the next year for "365" in a common year). */
static int64_t rule_day(const struct tz_rule_date *d, int64_t y)
{
    int64_t jan1 = civil_days_from(y, 1, 1);
    if (d->kind == TZ_DATE_JULIAN1)
        return jan1 + d->n - 1 + (civil_is_leap(y) && d->n >= 60);
    if (d->kind == TZ_DATE_JULIAN0)
        return jan1 + d->n;
    int64_t first = civil_days_from(y, d->m, 1);
    int64_t day = first + (d->d - civil_weekday(first) + 7) % 7 + (d->w - 1) * 7;
    while (day >= first + civil_days_in_month(y, d->m))
        day -= 7;
    return day;
}

static int64_t clamp_time(int64_t t)
{
    return t < -TIME_CLAMP ? -TIME_CLAMP : t > TIME_CLAMP ? TIME_CLAMP : t;
}

static int64_t year_of(int64_t t)
{
    int64_t y;
    int m, d;
    civil_from_days(civil_floor_div(t, 86400), &y, &m, &d);
    return y;
}

/* The events of years y-2..y+1, in no particular order. */
static int year_events(const struct tz_rule *r, int64_t y, struct event out[EVENTS_MAX])
{
    int n = 0;
    for (int64_t k = y - 2; k <= y + 1; k++) {
        out[n++] = (struct event){rule_day(&r->start, k) * 86400 + r->start.time - r->std.utoff, true};
        out[n++] = (struct event){rule_day(&r->end, k) * 86400 + r->end.time - r->dst.utoff, false};
    }
    return n;
}

/* Is `a` later than `b`? At the same instant a start counts as later than an end. */
static bool event_after(const struct event *a, const struct event *b)
{
    return a->at != b->at ? a->at > b->at : a->start && !b->start;
}

struct tz_offset tz_rule_offset_at(const struct tz_rule *r, time_t t)
{
    if (!r->has_dst)
        return r->std;
    int64_t ct = clamp_time((int64_t)t);
    struct event ev[EVENTS_MAX];
    int n = year_events(r, year_of(ct), ev);
    const struct event *last = NULL;
    for (int i = 0; i < n; i++)
        if (ev[i].at <= ct && (!last || event_after(&ev[i], last)))
            last = &ev[i];
    return last && last->start ? r->dst : r->std;
}

bool tz_rule_next_event(const struct tz_rule *r, time_t after, time_t *at)
{
    if (!r->has_dst || (int64_t)after >= TIME_CLAMP)
        return false;
    int64_t ca = clamp_time((int64_t)after);
    struct event ev[EVENTS_MAX];
    int n = year_events(r, year_of(ca) + 1, ev); /* years Y-1..Y+2 */
    bool found = false;
    for (int i = 0; i < n; i++) {
        if (ev[i].at > ca && (!found || ev[i].at < (int64_t)*at)) {
            *at = (time_t)ev[i].at;
            found = true;
        }
    }
    return found;
}

bool tz_rule_prev_event(const struct tz_rule *r, time_t at, time_t *ev_at)
{
    if (!r->has_dst || (int64_t)at <= -TIME_CLAMP)
        return false;
    int64_t ca = clamp_time((int64_t)at);
    struct event ev[EVENTS_MAX];
    int n = year_events(r, year_of(ca), ev);
    bool found = false;
    for (int i = 0; i < n; i++) {
        if (ev[i].at <= ca && (!found || ev[i].at > (int64_t)*ev_at)) {
            *ev_at = (time_t)ev[i].at;
            found = true;
        }
    }
    return found;
}
