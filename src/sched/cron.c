/*
 * cron — see cron.h for the accepted syntax.
 *
 * Parsing turns each field into a bitmask. A field is a comma list of items; an item is a base ("*", "?", "n",
 * "a-b") with an optional "/step". An error is written once, where it is found, and starts with the field's name.
 * Error text is plain ASCII: user bytes quoted back are sanitised, so the sentence can go straight into JSON.
 *
 * cron_next walks civil UTC time (year, month, day, hour, minute) and skips whole months, days and hours that
 * cannot match, so its cost is bounded by the days in the horizon (~1830), never by minutes.
 */
#include "sched/cron.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/errbuf.h"

#define CRON_HORIZON_DAYS (5 * 366)     /* "none within the next 5 years" */
#define CRON_MIN_TIME (-62135596800LL)  /* 0001-01-01T00:00:00Z */
#define CRON_MAX_TIME 253402300799LL    /* 9999-12-31T23:59:59Z */
#define CRON_MAX_DIGITS 9               /* significant digits read; more saturate (out of range) */
#define CRON_QUOTE_MAX 32               /* longest piece of user text echoed in an error */

#define ALL_MINUTES ((UINT64_C(1) << 60) - 1)
#define ALL_HOURS ((UINT32_C(1) << 24) - 1)
#define ALL_MDAYS (((UINT32_C(1) << 31) - 1) << 1)
#define ALL_MONTHS ((uint16_t)(((1u << 12) - 1) << 1))
#define ALL_WDAYS ((uint8_t)0x7f)

static const char *const month_abbr[13] = {
    NULL, "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
};
static const char *const wday_abbr[8] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL};
static const char *const month_long[13] = {
    NULL,   "January", "February",  "March",   "April",    "May",      "June",
    "July", "August",  "September", "October", "November", "December",
};
static const char *const wday_long[7] = {"Sunday", "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};

/* How one field reads: the values its text may name, and the span "*" and "a/n" cover. */
struct field_spec {
    const char *name;
    int min, max;
    int star_max;              /* day-of-week: 6, because 7 only repeats Sunday */
    bool allow_question;       /* '?' as a synonym of '*' (Quartz/robfig habit) */
    bool seven_is_sunday;      /* day-of-week: 7 sets the same bit as 0 */
    const char *const *names;  /* 3-letter names indexed by value, or NULL */
};

static const struct field_spec fields[5] = {
    {"minute", 0, 59, 59, false, false, NULL},
    {"hour", 0, 23, 23, false, false, NULL},
    {"day-of-month", 1, 31, 31, true, false, NULL},
    {"month", 1, 12, 12, false, false, month_abbr},
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
static int parse_base(const struct field_spec *f, struct token base, bool stepped, int *lo, int *hi,
                      struct errbuf *e)
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
        if (*lo > *hi)
            return errbuf_fail(e, "%s: range %d-%d runs backwards", f->name, *lo, *hi);
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
    };
    return 0;
}

static bool macro_is(struct token t, const char *name)
{
    return t.len == strlen(name) && strncasecmp(t.s, name, t.len) == 0;
}

static int parse_macro(const char *p, struct cron_schedule *out, struct errbuf *e)
{
    struct token tok[1];
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

int cron_parse(const char *expr, struct cron_schedule *out, char *err, size_t errlen)
{
    struct errbuf e = errbuf_init(err, errlen);
    if (!expr)
        return errbuf_fail(&e, "empty expression");
    if (strnlen(expr, CRON_MAX_EXPR + 1) > CRON_MAX_EXPR)
        return errbuf_fail(&e, "expression is longer than %d characters", CRON_MAX_EXPR);
    while (isspace((unsigned char)*expr))
        expr++;
    if (*expr == '@')
        return parse_macro(expr, out, &e);
    return parse_fields(expr, out, &e);
}

/* ---- next fire time ---------------------------------------------------------------------------------------- */

/* A minute in civil UTC time; `dnum` is days since 1970-01-01 and always agrees with year/month/day. */
struct civil {
    int64_t dnum;
    int64_t year;
    int month, day, hour, minute;
};

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int dim[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m];
}

/* Howard Hinnant's civil_from_days: proleptic Gregorian, exact for any year in range. */
static void civil_from_days(int64_t z, struct civil *c)
{
    c->dnum = z;
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    c->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    c->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    c->year = yoe + era * 400 + (c->month <= 2);
}

static void next_day(struct civil *c)
{
    c->dnum++;
    c->hour = c->minute = 0;
    if (++c->day <= days_in_month(c->year, c->month))
        return;
    c->day = 1;
    if (++c->month > 12) {
        c->month = 1;
        c->year++;
    }
}

static void next_month(struct civil *c)
{
    c->dnum += days_in_month(c->year, c->month) - c->day;
    c->day = days_in_month(c->year, c->month);
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
    int wday = (int)(((c->dnum % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
    bool dom = (s->mdays >> c->day) & 1;
    bool dow = (s->wdays >> wday) & 1;
    if (s->mday_star || s->wday_star)
        return dom && dow;
    return dom || dow;
}

time_t cron_next(const struct cron_schedule *s, time_t after)
{
    if (!s || (int64_t)after < CRON_MIN_TIME || (int64_t)after > CRON_MAX_TIME)
        return -1;
    int64_t minute = floor_div((int64_t)after, 60) + 1;
    int64_t day = floor_div(minute, 1440);
    int64_t last_day = day + CRON_HORIZON_DAYS;
    struct civil c;
    civil_from_days(day, &c);
    c.hour = (int)((minute - day * 1440) / 60);
    c.minute = (int)((minute - day * 1440) % 60);

    while (c.dnum <= last_day) {
        if (!((s->months >> c.month) & 1)) {
            next_month(&c);
            continue;
        }
        if (!day_matches(s, &c)) {
            next_day(&c);
            continue;
        }
        int h = next_bit(s->hours, c.hour, 23);
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
            int64_t t = c.dnum * 86400 + c.hour * 3600 + m * 60;
            return t <= CRON_MAX_TIME ? (time_t)t : -1; /* every result must be a valid `after` again */
        }
        c.hour++;
        c.minute = 0;
    }
    return -1;
}

int cron_next_n(const char *expr, time_t after, time_t *out, int n, char *err, size_t errlen)
{
    struct cron_schedule s;
    struct errbuf e = errbuf_init(err, errlen);
    if (cron_parse(expr, &s, err, errlen))
        return -1;
    if (n < 0 || n > CRON_NEXT_N_MAX)
        return errbuf_fail(&e, "count %d out of range 0-%d", n, CRON_NEXT_N_MAX);
    int written = 0;
    while (written < n) {
        time_t t = cron_next(&s, after);
        if (t < 0)
            break;
        out[written++] = after = t;
    }
    return written;
}

/* ---- description ------------------------------------------------------------------------------------------- */

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
    return 0;
}
