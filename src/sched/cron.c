/*
 * cron — see cron.h for the accepted syntax.
 *
 * Parsing turns each field into a bitmask. A field is a comma list of items; an item is a base ("*", "?", "n",
 * "a-b") with an optional "/step". An error is written once, where it is found, and starts with the field's name.
 * Error text is plain ASCII: user bytes quoted back are sanitised, so the sentence can go straight into JSON.
 *
 * next_wall walks civil time (year, month, day, hour, minute) and skips whole months, days and hours that cannot
 * match, so its cost is bounded by the days in the horizon (~1830), never by minutes. In UTC civil time is the
 * instant. In a zone the search goes "segment" by segment (a stretch of constant UTC offset between two
 * transitions): inside one, wall = instant + offset, so next_wall finds the matches; at each transition the DST
 * policy of cron.h decides what happens to the wall times it skips (gap) or repeats.
 */
#include "sched/cron.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sched/civil.h"
#include "util/errbuf.h"

#define CRON_HORIZON_DAYS (5 * 366)    /* "none within the next 5 years" */
#define CRON_MIN_TIME (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define CRON_MAX_TIME 253402300799LL   /* 9999-12-31T23:59:59Z */
#define CRON_MAX_DIGITS 9              /* significant digits read; more saturate (out of range) */
#define CRON_QUOTE_MAX 32              /* longest piece of user text echoed in an error */
#define DST_SMALL_FORWARD (5 * 60)     /* cronie: a forward jump under 5 wall minutes is a late wake-up */
#define DST_MAX_FORWARD (180 * 60)     /* cronie: from 3 h on, a forward jump is a clock change */
#define DST_MAX_BACKWARD (181 * 60)    /* cronie: beyond 3 h 1 min, a backward jump is a clock change */

static const char *const month_abbr[13] = {
    NULL, "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
};
static const char *const wday_abbr[8] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL};

/* How one field reads: the values its text may name, and the span "*" and "a/n" cover. */
struct field_spec {
    const char *name;
    int min, max;
    int star_max;             /* day-of-week: 6, because 7 only repeats Sunday */
    bool allow_question;      /* '?' as a synonym of '*' (Quartz/robfig habit) */
    bool seven_is_sunday;     /* day-of-week: 7 sets the same bit as 0 */
    const char *const *names; /* 3-letter names indexed by value, or NULL */
};

static const struct field_spec fields[5] = {
    {"minute", 0, 59, 59, false, false, NULL},       {"hour", 0, 23, 23, false, false, NULL},
    {"day-of-month", 1, 31, 31, true, false, NULL},  {"month", 1, 12, 12, false, false, month_abbr},
    {"day-of-week", 0, 7, 6, true, true, wday_abbr},
};

static const struct {
    const char *name;
    const char *expansion;
} macros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},  {"@midnight", "0 0 * * *"}, {"@hourly", "0 * * * *"},
};

/* A piece of the expression: not NUL-terminated. */
struct token {
    const char *s;
    size_t len;
};

/* Copies user text for an error message: printable ASCII only, at most CRON_QUOTE_MAX characters. */
static const char *quote(struct token t, char out[CRON_QUOTE_MAX + 4])
{
    size_t n = t.len < CRON_QUOTE_MAX ? t.len : CRON_QUOTE_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t.s[i];
        out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    strcpy(out + n, t.len > n ? "..." : "");
    return out;
}

static bool token_is(struct token t, const char *lit)
{
    return t.len == strlen(lit) && memcmp(t.s, lit, t.len) == 0;
}

/* Splits `t` at the first `sep`; returns false (and leaves `t` whole in `*left`) when there is none. */
static bool token_split(struct token t, char sep, struct token *left, struct token *right)
{
    const char *at = memchr(t.s, sep, t.len);
    *left = t;
    if (!at)
        return false;
    left->len = (size_t)(at - t.s);
    right->s = at + 1;
    right->len = t.len - left->len - 1;
    return true;
}

static bool all_of(struct token t, int (*class)(int))
{
    for (size_t i = 0; i < t.len; i++)
        if (!class((unsigned char)t.s[i]))
            return false;
    return t.len > 0;
}

/* Reads an all-digit token; leading zeros are skipped and anything past CRON_MAX_DIGITS saturates to 10^9. */
static int read_digits(struct token t)
{
    size_t i = 0;
    while (i + 1 < t.len && t.s[i] == '0')
        i++;
    if (t.len - i > CRON_MAX_DIGITS)
        return 1000000000;
    int v = 0;
    for (; i < t.len; i++)
        v = v * 10 + (t.s[i] - '0');
    return v;
}

static int parse_name(const struct field_spec *f, struct token t, int *out, struct errbuf *e)
{
    char q[CRON_QUOTE_MAX + 4];
    if (!f->names)
        return errbuf_fail(e, "%s: expected a number, got \"%s\"", f->name, quote(t, q));
    for (int v = f->min; v <= f->star_max; v++) {
        if (t.len == 3 && strncasecmp(t.s, f->names[v], 3) == 0) {
            *out = v;
            return 0;
        }
    }
    return errbuf_fail(e, "%s: unknown name \"%s\"", f->name, quote(t, q));
}

static int parse_value(const struct field_spec *f, struct token t, int *out, struct errbuf *e)
{
    char q[CRON_QUOTE_MAX + 4];
    if (t.len == 0)
        return errbuf_fail(e, "%s: missing value", f->name);
    if (all_of(t, isalpha))
        return parse_name(f, t, out, e);
    if (!all_of(t, isdigit))
        return errbuf_fail(e, "%s: invalid value \"%s\"", f->name, quote(t, q));
    int v = read_digits(t);
    if (v < f->min || v > f->max)
        return errbuf_fail(e, "%s: value %s out of range %d-%d", f->name, quote(t, q), f->min, f->max);
    *out = v;
    return 0;
}

static int parse_step(const struct field_spec *f, struct token t, int *out, struct errbuf *e)
{
    char q[CRON_QUOTE_MAX + 4];
    if (t.len == 0)
        return errbuf_fail(e, "%s: missing step after '/'", f->name);
    if (!all_of(t, isdigit))
        return errbuf_fail(e, "%s: step \"%s\" is not a number", f->name, quote(t, q));
    int v = read_digits(t);
    if (v < 1)
        return errbuf_fail(e, "%s: step must be at least 1", f->name);
    *out = v;
    return 0;
}

/* Resolves an item's base ("*", "n", "a-b") into an inclusive range. */
static int parse_base(const struct field_spec *f, struct token base, bool stepped, int *lo, int *hi, struct errbuf *e)
{
    struct token a, b;
    if (token_is(base, "*") || (f->allow_question && token_is(base, "?"))) {
        *lo = f->min;
        *hi = f->star_max;
        return 0;
    }
    if (token_split(base, '-', &a, &b)) {
        if (parse_value(f, a, lo, e) || parse_value(f, b, hi, e))
            return -1;
        if (*lo > *hi && f->seven_is_sunday && *hi == 0)
            *hi = 7; /* cronie: "SAT-SUN" is 6-7 */
        else if (*lo > *hi)
            return errbuf_fail(e, "%s: range %d-%d runs backwards%s", f->name, *lo, *hi,
                               f->seven_is_sunday ? " (only a range ending on Sunday wraps: SAT-SUN, 5-0)" : "");
        return 0;
    }
    if (parse_value(f, a, lo, e))
        return -1;
    /* "a/n" means a through the field's end, stepping n (robfig, cronie). */
    *hi = (stepped && *lo < f->star_max) ? f->star_max : *lo;
    return 0;
}

static int parse_item(const struct field_spec *f, struct token item, uint64_t *bits, struct errbuf *e)
{
    struct token base, step_text;
    int lo, hi, step = 1;
    bool stepped = token_split(item, '/', &base, &step_text);
    if (stepped && parse_step(f, step_text, &step, e))
        return -1;
    if (parse_base(f, base, stepped, &lo, &hi, e))
        return -1;
    for (int v = lo; v <= hi; v += step)
        *bits |= UINT64_C(1) << (f->seven_is_sunday && v == 7 ? 0 : v);
    return 0;
}

static int parse_field(const struct field_spec *f, struct token field, uint64_t *bits, struct errbuf *e)
{
    struct token item, rest = field;
    *bits = 0;
    for (;;) {
        bool more = token_split(rest, ',', &item, &rest);
        if (item.len == 0)
            return errbuf_fail(e, "%s: empty list item", f->name);
        if (parse_item(f, item, bits, e))
            return -1;
        if (!more)
            return 0;
    }
}

/* Splits on blanks into at most `max` tokens; returns how many there are in all (may exceed `max`). */
static int split_fields(const char *p, struct token *out, int max)
{
    int n = 0;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            return n;
        const char *start = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (n < max)
            out[n] = (struct token){start, (size_t)(p - start)};
        n++;
    }
}

static int parse_fields(const char *expr, struct cron_schedule *out, struct errbuf *e)
{
    struct token tok[5];
    uint64_t bits[5];
    int n = split_fields(expr, tok, 5);
    if (n == 0)
        return errbuf_fail(e, "empty expression");
    if (n != 5)
        return errbuf_fail(e, "expected 5 fields, got %d", n);
    for (int i = 0; i < 5; i++)
        if (parse_field(&fields[i], tok[i], &bits[i], e))
            return -1;
    *out = (struct cron_schedule){
        .minutes = bits[0],
        .hours = (uint32_t)bits[1],
        .mdays = (uint32_t)bits[2],
        .months = (uint16_t)bits[3],
        .wdays = (uint8_t)bits[4],
        .mday_star = tok[2].s[0] == '*' || tok[2].s[0] == '?',
        .wday_star = tok[4].s[0] == '*' || tok[4].s[0] == '?',
        .minute_star = tok[0].s[0] == '*',
        .hour_star = tok[1].s[0] == '*',
    };
    return 0;
}

static bool macro_is(struct token t, const char *name)
{
    return t.len == strlen(name) && strncasecmp(t.s, name, t.len) == 0;
}

static int parse_macro(const char *p, struct cron_schedule *out, struct errbuf *e)
{
    struct token tok[1] = {{p, 0}}; /* split_fields fills it; initialised for -O3's flow analysis */
    char q[CRON_QUOTE_MAX + 4];
    int n = split_fields(p, tok, 1);
    if (macro_is(tok[0], "@reboot"))
        return errbuf_fail(e, "@reboot is not supported");
    for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++) {
        if (!macro_is(tok[0], macros[i].name))
            continue;
        if (n != 1)
            return errbuf_fail(e, "unexpected text after %s", macros[i].name);
        return parse_fields(macros[i].expansion, out, e);
    }
    return errbuf_fail(e, "unknown macro \"%s\"", quote(tok[0], q));
}

/* Reads an optional "CRON_TZ=Name " or "TZ=Name " prefix into `zone` ("" without one) and checks the zone loads. */
static int parse_zone_prefix(const char **p, char zone[TZ_NAME_MAX + 1], struct errbuf *e)
{
    const char *kw = strncmp(*p, "CRON_TZ=", 8) == 0 ? "CRON_TZ" : strncmp(*p, "TZ=", 3) == 0 ? "TZ" : NULL;
    zone[0] = '\0';
    if (!kw)
        return 0;
    const char *name = *p + strlen(kw) + 1, *end = name;
    while (*end && !isspace((unsigned char)*end))
        end++;
    size_t len = (size_t)(end - name);
    if (len == 0)
        return errbuf_fail(e, "%s: missing time zone name", kw);
    if (len > TZ_NAME_MAX)
        return errbuf_fail(e, "%s: time zone name is longer than %d characters", kw, TZ_NAME_MAX);
    memcpy(zone, name, len);
    zone[len] = '\0';
    char why[160];
    struct tz *z = tz_load(zone, why, sizeof why);
    if (!z)
        return errbuf_fail(e, "%s: %s", kw, why);
    tz_destroy(z);
    while (isspace((unsigned char)*end))
        end++;
    if (*end == '\0')
        return errbuf_fail(e, "%s: expected a cron expression after the time zone", kw);
    *p = end;
    return 0;
}

const char *cron_strip_zone(const char *expr)
{
    while (isspace((unsigned char)*expr))
        expr++;
    if (strncmp(expr, "CRON_TZ=", 8) != 0 && strncmp(expr, "TZ=", 3) != 0)
        return expr;
    while (*expr && !isspace((unsigned char)*expr))
        expr++;
    while (isspace((unsigned char)*expr))
        expr++;
    return expr;
}

int cron_parse(const char *expr, struct cron_schedule *out, char *err, size_t errlen)
{
    struct errbuf e = errbuf_init(err, errlen);
    struct cron_schedule s;
    char zone[TZ_NAME_MAX + 1];
    if (!expr)
        return errbuf_fail(&e, "empty expression");
    if (strnlen(expr, CRON_MAX_EXPR + 1) > CRON_MAX_EXPR)
        return errbuf_fail(&e, "expression is longer than %d characters", CRON_MAX_EXPR);
    while (isspace((unsigned char)*expr))
        expr++;
    if (parse_zone_prefix(&expr, zone, &e))
        return -1;
    if (*expr == '@' ? parse_macro(expr, &s, &e) : parse_fields(expr, &s, &e))
        return -1;
    memcpy(s.zone, zone, sizeof s.zone);
    *out = s;
    return 0;
}

int cron_check(const char *expr, char *err, size_t errlen)
{
    struct cron_schedule s;
    return cron_parse(expr, &s, err, errlen);
}

/* ---- wall-time search -------------------------------------------------------------------------------------- */

/* A minute of civil time; `dnum` is days since 1970-01-01 and always agrees with year/month/day. */
struct civil {
    int64_t dnum;
    int64_t year;
    int month, day, hour, minute;
};

static void next_day(struct civil *c)
{
    c->dnum++;
    c->hour = c->minute = 0;
    if (++c->day <= civil_days_in_month(c->year, c->month))
        return;
    c->day = 1;
    if (++c->month > 12) {
        c->month = 1;
        c->year++;
    }
}

static void next_month(struct civil *c)
{
    c->dnum += civil_days_in_month(c->year, c->month) - c->day;
    c->day = civil_days_in_month(c->year, c->month);
    next_day(c);
}

/* Lowest set bit of `mask` at or above `from`, looking no higher than `max`; -1 if none. */
static int next_bit(uint64_t mask, int from, int max)
{
    if (from > max)
        return -1;
    mask &= max >= 63 ? ~UINT64_C(0) : (UINT64_C(1) << (max + 1)) - 1;
    mask >>= from;
    return mask ? from + __builtin_ctzll(mask) : -1;
}

static bool day_matches(const struct cron_schedule *s, const struct civil *c)
{
    bool dom = (s->mdays >> c->day) & 1;
    bool dow = (s->wdays >> civil_weekday(c->dnum)) & 1;
    if (s->mday_star || s->wday_star)
        return dom && dow;
    return dom || dow;
}

/* The first whole minute of civil time strictly after `after` that matches, on day `last_day` at the latest. */
static bool next_wall(const struct cron_schedule *s, int64_t after, int64_t last_day, int64_t *out)
{
    int64_t minute = civil_floor_div(after, 60) + 1;
    struct civil c;
    c.dnum = civil_floor_div(minute, 1440);
    civil_from_days(c.dnum, &c.year, &c.month, &c.day);
    c.hour = (int)((minute - c.dnum * 1440) / 60);
    c.minute = (int)((minute - c.dnum * 1440) % 60);
    while (c.dnum <= last_day) {
        if (!((s->months >> c.month) & 1)) {
            next_month(&c);
            continue;
        }
        int h = day_matches(s, &c) ? next_bit(s->hours, c.hour, 23) : -1;
        if (h < 0) {
            next_day(&c);
            continue;
        }
        if (h > c.hour) {
            c.hour = h;
            c.minute = 0;
        }
        int m = next_bit(s->minutes, c.minute, 59);
        if (m >= 0) {
            *out = c.dnum * 86400 + c.hour * 3600 + m * 60;
            return true;
        }
        c.hour++;
        c.minute = 0;
    }
    return false;
}

/* The horizon: the last civil day searched from wall time `wall`. */
static int64_t horizon_day(int64_t wall)
{
    return civil_floor_div(civil_floor_div(wall, 60) + 1, 1440) + CRON_HORIZON_DAYS;
}

static bool in_range(time_t t)
{
    return (int64_t)t >= CRON_MIN_TIME && (int64_t)t <= CRON_MAX_TIME;
}

static time_t next_utc(const struct cron_schedule *s, time_t after)
{
    int64_t w;
    if (!s || !in_range(after) || !next_wall(s, (int64_t)after, horizon_day((int64_t)after), &w))
        return -1;
    return w <= CRON_MAX_TIME ? (time_t)w : -1; /* every result must be a valid `after` again */
}

/* ---- fire times in a zone ---------------------------------------------------------------------------------- */

/*
 * A segment: instants [start, end) at constant offset `offset`; `before` is the offset just before `start`
 * (no start: the zone has had this offset forever; no end: it keeps it forever, else `next` is what ends it).
 */
struct segment {
    bool has_start, has_end;
    int64_t start, end;
    int32_t before;
    struct tz_offset offset;
    struct tz_transition next;
};

/* One search: the schedule, the instant it starts after, its horizon and what a skipping gap left to report. */
struct search {
    const struct cron_schedule *s;
    int64_t after;
    int64_t last_day;
    bool wildcard;
    int skipped;
};

static void first_segment(const struct tz *z, time_t after, struct segment *g)
{
    struct tz_transition prev;
    g->offset = tz_offset_at(z, after);
    g->has_start = tz_prev_transition(z, after, &prev);
    g->start = g->has_start ? (int64_t)prev.at : 0;
    g->before = g->has_start ? prev.before.utoff : g->offset.utoff;
    g->has_end = tz_next_transition(z, after, &g->next);
    g->end = g->has_end ? (int64_t)g->next.at : 0;
}

static void next_segment(const struct tz *z, struct segment *g)
{
    g->has_start = true;
    g->start = (int64_t)g->next.at;
    g->before = g->offset.utoff;
    g->offset = g->next.after;
    g->has_end = tz_next_transition(z, g->next.at, &g->next);
    g->end = g->has_end ? (int64_t)g->next.at : 0;
}

/* Counts the matching wall minutes in [from, to), giving the first in *first. */
static int count_walls(const struct search *q, int64_t from, int64_t to, int64_t *first)
{
    int n = 0;
    int64_t w = from - 1, last = civil_floor_div(to - 1, 86400);
    while (next_wall(q->s, w, last < q->last_day ? last : q->last_day, &w) && w < to)
        if (n++ == 0)
            *first = w;
    return n;
}

/* The spring-forward rule at the segment's start: one run at the transition for the gap's fire times, or none. */
static bool gap_fire(struct search *q, const struct segment *g, struct cron_fire *f)
{
    int64_t jump = (int64_t)g->offset.utoff - g->before, first = 0;
    if (!g->has_start || g->start <= q->after || jump <= 0)
        return false;
    int n = count_walls(q, g->start + g->before, g->start + g->offset.utoff, &first);
    if (n == 0)
        return false;
    if (jump >= DST_MAX_FORWARD || (q->wildcard && jump >= DST_SMALL_FORWARD)) {
        q->skipped += n; /* real time only: these wall times never happen */
        return false;
    }
    *f = (struct cron_fire){(time_t)g->start, first, g->offset, CRON_FIRE_SHIFTED_BY_GAP, n};
    return true;
}

/* Whether the job fires in both passes of a backward jump from `from` to `to` (else only in the first). */
static bool repeats(const struct search *q, int32_t from, int32_t to)
{
    return q->wildcard || (int64_t)from - to > DST_MAX_BACKWARD;
}

static unsigned repeat_flags(const struct search *q, const struct segment *g, int64_t w)
{
    unsigned flags = 0;
    int32_t off = g->offset.utoff;
    if (g->has_start && g->before > off && w < g->start + g->before) /* only reached when it repeats */
        flags |= CRON_FIRE_REPEATED | CRON_FIRE_SECOND_PASS;
    if (g->has_end && g->next.after.utoff < off && w >= g->end + g->next.after.utoff)
        flags |= repeats(q, off, g->next.after.utoff) ? CRON_FIRE_REPEATED : CRON_FIRE_FIRST_OF_REPEATED;
    return flags;
}

/* The first ordinary fire time inside the segment, after the search's start. */
static bool segment_fire(struct search *q, const struct segment *g, struct cron_fire *f)
{
    int32_t off = g->offset.utoff;
    int64_t from = (g->has_start && g->start - 1 > q->after ? g->start - 1 : q->after) + off;
    if (g->has_start && g->before > off && !repeats(q, g->before, off) && g->start + g->before - 1 > from)
        from = g->start + g->before - 1; /* fixed-time: the repeated wall times already ran */
    int64_t last = q->last_day, w;
    if (g->has_end && civil_floor_div(g->end - 1 + off, 86400) < last)
        last = civil_floor_div(g->end - 1 + off, 86400);
    if (!next_wall(q->s, from, last, &w) || (g->has_end && w - off >= g->end))
        return false;
    *f = (struct cron_fire){(time_t)(w - off), w, g->offset, repeat_flags(q, g, w), 0};
    if (q->skipped) {
        f->flags |= CRON_FIRE_GAP_SKIPPED;
        f->gap_slots = q->skipped;
    }
    return true;
}

static bool next_fire_in(const struct cron_schedule *s, const struct tz *z, time_t after, struct cron_fire *f)
{
    struct segment g;
    first_segment(z, after, &g);
    struct search q = {s, (int64_t)after, horizon_day((int64_t)after + g.offset.utoff), cron_is_wildcard(s), 0};
    for (;;) {
        if (gap_fire(&q, &g, f) || segment_fire(&q, &g, f))
            return (int64_t)f->at <= CRON_MAX_TIME;
        if (!g.has_end || civil_floor_div(g.end + g.next.after.utoff, 86400) > q.last_day)
            return false;
        next_segment(z, &g);
    }
}

bool cron_is_wildcard(const struct cron_schedule *s)
{
    return s->minute_star || s->hour_star;
}

bool cron_next_fire(const struct cron_schedule *s, const struct tz *zone, time_t after, struct cron_fire *out)
{
    struct cron_fire f;
    if (!s || !in_range(after))
        return false;
    if (!zone) {
        time_t t = next_utc(s, after);
        if (t < 0)
            return false;
        f = (struct cron_fire){t, (int64_t)t, {0, false, "UTC"}, 0, 0};
    } else if (!next_fire_in(s, zone, after, &f)) {
        return false;
    }
    *out = f;
    return true;
}

time_t cron_next_tz(const struct cron_schedule *s, const struct tz *zone, time_t after)
{
    struct cron_fire f;
    return cron_next_fire(s, zone, after, &f) ? f.at : -1;
}

time_t cron_next(const struct cron_schedule *s, time_t after)
{
    if (!s || !s->zone[0])
        return next_utc(s, after);
    struct tz *z = tz_load(s->zone, NULL, 0);
    time_t t = z ? cron_next_tz(s, z, after) : -1;
    tz_destroy(z);
    return t;
}

/* Parses `expr`, checks `n` and loads the expression's zone (*zone NULL for UTC; the caller destroys it). */
static int open_schedule(const char *expr, int n, struct cron_schedule *s, struct tz **zone, char *err, size_t errlen)
{
    *zone = NULL;
    if (cron_parse(expr, s, err, errlen))
        return -1;
    struct errbuf e = errbuf_init(err, errlen);
    if (n < 0 || n > CRON_NEXT_N_MAX)
        return errbuf_fail(&e, "count %d out of range 0-%d", n, CRON_NEXT_N_MAX);
    char why[160];
    if (s->zone[0] && !(*zone = tz_load(s->zone, why, sizeof why)))
        return errbuf_fail(&e, "CRON_TZ: %s", why);
    return 0;
}

int cron_next_n(const char *expr, time_t after, time_t *out, int n, char *err, size_t errlen)
{
    struct cron_schedule s;
    struct tz *zone;
    if (open_schedule(expr, n, &s, &zone, err, errlen))
        return -1;
    int written = 0;
    for (time_t t; written < n && (t = cron_next_tz(&s, zone, after)) >= 0; after = t)
        out[written++] = t;
    tz_destroy(zone);
    return written;
}

int cron_preview(const char *expr, time_t after, struct cron_fire *out, int n, char zone_out[TZ_NAME_MAX + 1],
                 char *err, size_t errlen)
{
    struct cron_schedule s;
    struct tz *zone;
    if (open_schedule(expr, n, &s, &zone, err, errlen))
        return -1;
    if (zone_out)
        memcpy(zone_out, s.zone, sizeof s.zone);
    int written = 0;
    for (; written < n && cron_next_fire(&s, zone, after, &out[written]); written++)
        after = out[written].at;
    tz_destroy(zone);
    return written;
}
