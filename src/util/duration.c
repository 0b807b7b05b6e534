/*
 * duration — see duration.h.
 *
 * The parser follows Go's time.ParseDuration step by step: a sequence of "number unit" pairs, each number an
 * integer with an optional fraction, summed in unsigned 64-bit nanoseconds with an overflow check at every step,
 * so "292 years" is the same limit Go has. Only then is the total truncated to milliseconds. Unlike Go, a minus
 * sign is an error (job params never want a negative duration) and `d` (24h) is a unit.
 */
#include "util/duration.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/errbuf.h"

#define NS_LIMIT (UINT64_C(1) << 63) /* Go's bound; the final total must stay below it */
#define NS_PER_MS UINT64_C(1000000)

static const struct {
    const char *name;
    uint64_t ns;
} units[] = {
    {"ns", 1},
    {"us", 1000},
    {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
    {"\xce\xbcs", 1000}, /* U+03BC Greek small letter mu */
    {"ms", 1000000},
    {"s", UINT64_C(1000000000)},
    {"m", UINT64_C(60000000000)},
    {"h", UINT64_C(3600000000000)},
    {"d", UINT64_C(86400000000000)},
};

/* Copies `len` bytes of user text for an error message, control characters replaced by '?'. */
static const char *quote(const char *s, size_t len, char out[DURATION_MAX_TEXT + 1])
{
    if (len > DURATION_MAX_TEXT)
        len = DURATION_MAX_TEXT;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    out[len] = '\0';
    return out;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Go's leadingInt: digits into *v; false on overflow past 2^63. */
static bool leading_int(const char **p, uint64_t *v)
{
    uint64_t x = 0;
    for (; is_digit(**p); (*p)++) {
        if (x > NS_LIMIT / 10)
            return false;
        x = x * 10 + (uint64_t)(**p - '0');
        if (x > NS_LIMIT)
            return false;
    }
    *v = x;
    return true;
}

/* Go's leadingFraction: digits into *f with *scale = 10^digits kept; digits past 63 bits are dropped. */
static void leading_fraction(const char **p, uint64_t *f, double *scale)
{
    uint64_t x = 0;
    double sc = 1;
    bool overflow = false;
    for (; is_digit(**p); (*p)++) {
        if (overflow)
            continue;
        if (x > (NS_LIMIT - 1) / 10) {
            overflow = true;
            continue;
        }
        uint64_t y = x * 10 + (uint64_t)(**p - '0');
        if (y > NS_LIMIT) {
            overflow = true;
            continue;
        }
        x = y;
        sc *= 10;
    }
    *f = x;
    *scale = sc;
}

/* Looks up the unit spelled by `len` bytes at `s`; 0 when unknown. */
static uint64_t unit_ns(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].name) == len && memcmp(units[i].name, s, len) == 0)
            return units[i].ns;
    return 0;
}

/* Parses one "number unit" pair at *p and adds it to *total_ns. */
static int parse_term(const char *text, const char **p, uint64_t *total_ns, struct errbuf *e)
{
    char q[DURATION_MAX_TEXT + 1], qu[DURATION_MAX_TEXT + 1];
    uint64_t v, f = 0;
    double scale = 1;
    const char *start = *p;
    if (!(**p == '.' || is_digit(**p)))
        return errbuf_fail(e, "invalid duration \"%s\"", quote(text, strlen(text), q));
    if (!leading_int(p, &v))
        return errbuf_fail(e, "duration \"%s\" is too long (over ~292 years)", quote(text, strlen(text), q));
    bool pre = *p != start, post = false;
    if (**p == '.') {
        const char *frac = ++*p;
        leading_fraction(p, &f, &scale);
        post = *p != frac;
    }
    if (!pre && !post)
        return errbuf_fail(e, "invalid duration \"%s\"", quote(text, strlen(text), q));
    size_t ulen = strcspn(*p, ".0123456789");
    if (ulen == 0)
        return errbuf_fail(e, "missing unit in \"%s\"", quote(text, strlen(text), q));
    uint64_t unit = unit_ns(*p, ulen);
    if (unit == 0)
        return errbuf_fail(e, "unknown unit \"%s\" in \"%s\"", quote(*p, ulen, qu), quote(text, strlen(text), q));
    *p += ulen;
    if (v > NS_LIMIT / unit)
        return errbuf_fail(e, "duration \"%s\" is too long (over ~292 years)", quote(text, strlen(text), q));
    v *= unit;
    if (f > 0) {
        v += (uint64_t)((double)f * ((double)unit / scale));
        if (v > NS_LIMIT)
            return errbuf_fail(e, "duration \"%s\" is too long (over ~292 years)", quote(text, strlen(text), q));
    }
    *total_ns += v;
    if (*total_ns > NS_LIMIT)
        return errbuf_fail(e, "duration \"%s\" is too long (over ~292 years)", quote(text, strlen(text), q));
    return 0;
}

int duration_parse(const char *text, int64_t *out_ms, char *err, size_t errlen)
{
    struct errbuf e = errbuf_init(err, errlen);
    char q[DURATION_MAX_TEXT + 1];
    if (!text || *text == '\0')
        return errbuf_fail(&e, "empty duration");
    if (strnlen(text, DURATION_MAX_TEXT + 1) > DURATION_MAX_TEXT)
        return errbuf_fail(&e, "duration is longer than %d characters", DURATION_MAX_TEXT);
    if (*text == '-')
        return errbuf_fail(&e, "negative duration \"%s\"", quote(text, strlen(text), q));
    const char *p = text + (*text == '+');
    if (strcmp(p, "0") == 0) { /* Go's special case: a bare zero needs no unit */
        *out_ms = 0;
        return 0;
    }
    if (*p == '\0')
        return errbuf_fail(&e, "invalid duration \"%s\"", quote(text, strlen(text), q));
    uint64_t total_ns = 0;
    while (*p)
        if (parse_term(text, &p, &total_ns, &e))
            return -1;
    if (total_ns >= NS_LIMIT)
        return errbuf_fail(&e, "duration \"%s\" is too long (over ~292 years)", quote(text, strlen(text), q));
    *out_ms = (int64_t)(total_ns / NS_PER_MS);
    return 0;
}

/* Appends to buf at *len, never past buflen - 1. */
__attribute__((format(printf, 4, 5))) static void append(char *buf, size_t buflen, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= buflen)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, buflen - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len += (size_t)n < buflen - *len ? (size_t)n : buflen - *len - 1;
}

/* Seconds with the milliseconds as a trimmed fraction: "1.5s", "1.001s", "30s". */
static void append_seconds(char *buf, size_t buflen, size_t *len, unsigned s, unsigned ms)
{
    if (ms == 0) {
        append(buf, buflen, len, "%us", s);
        return;
    }
    char frac[4];
    snprintf(frac, sizeof frac, "%03u", ms % 1000);
    for (int i = 2; i > 0 && frac[i] == '0'; i--)
        frac[i] = '\0';
    append(buf, buflen, len, "%u.%ss", s, frac);
}

char *duration_format(int64_t ms, char *buf, size_t buflen)
{
    size_t len = 0;
    if (buflen == 0)
        return buf;
    buf[0] = '\0';
    uint64_t v = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    if (ms < 0)
        append(buf, buflen, &len, "-");
    if (v == 0) {
        append(buf, buflen, &len, "0s");
        return buf;
    }
    uint64_t days = v / 86400000;
    unsigned h = (unsigned)(v / 3600000 % 24), m = (unsigned)(v / 60000 % 60);
    unsigned s = (unsigned)(v / 1000 % 60), rest = (unsigned)(v % 1000);
    if (days)
        append(buf, buflen, &len, "%" PRIu64 "d", days);
    if (h)
        append(buf, buflen, &len, "%uh", h);
    if (m)
        append(buf, buflen, &len, "%um", m);
    if (v < 1000)
        append(buf, buflen, &len, "%ums", rest);
    else if (s || rest)
        append_seconds(buf, buflen, &len, s, rest);
    return buf;
}
