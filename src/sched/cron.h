/*
 * cron — a pure parser and next-fire function for 5-field cron expressions.
 *
 * Vocabulary: an "expression" is the text an operator writes ("*\/15 * * * *"); a "schedule" is its parsed form;
 * a "fire time" is a minute at which the schedule matches. All times are UTC, whole seconds since the epoch.
 *
 * Fields: minute hour day-of-month month day-of-week. Each field accepts `*`, numbers, ranges `a-b`, lists `a,b`,
 * steps `*\/n` and `a-b/n` and `a/n` (a to the field's maximum); month names JAN..DEC and day names SUN..SAT
 * (case-insensitive); day-of-week 0 and 7 both mean Sunday. Macros: @yearly @annually @monthly @weekly @daily
 * @midnight @hourly. When both day-of-month and day-of-week are restricted (neither starts with `*`), a day matches
 * if EITHER matches (Vixie cron semantics); otherwise both must match. Note that `*\/2` counts as starting with `*`
 * (Vixie), unlike robfig/cron v3 which treats any step > 1 as restricted. `?` is accepted as a synonym of `*` in
 * day-of-month and day-of-week (a Quartz/robfig habit). Fields are separated by any whitespace.
 */
#ifndef COMICBATCH_CRON_H
#define COMICBATCH_CRON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/** Longest expression accepted; longer input is an error naming the length. */
#define CRON_MAX_EXPR 256

/** Most fire times cron_next_n() computes in one call. */
#define CRON_NEXT_N_MAX 1000

/** A parsed schedule: one bit per allowed value of each field. Plain value, no heap; copy freely. */
struct cron_schedule {
    uint64_t minutes; /* bits 0..59 */
    uint32_t hours;   /* bits 0..23 */
    uint32_t mdays;   /* bits 1..31 */
    uint16_t months;  /* bits 1..12 */
    uint8_t wdays;    /* bits 0..6, Sunday = 0 */
    bool mday_star;   /* day-of-month field started with '*' */
    bool wday_star;   /* day-of-week field started with '*' */
};

/**
 * Parses `expr` into `*out`. Returns 0 on success; on error returns -1 and writes a human sentence naming the bad
 * field (e.g. "hour: value 24 out of range 0-23") into `err` (always NUL-terminated, truncated to `errlen`).
 * `out` is untouched on error.
 */
int cron_parse(const char *expr, struct cron_schedule *out, char *err, size_t errlen);

/**
 * Returns the first fire time strictly after `after` (UTC seconds), or -1 if none within the next 5 years
 * (e.g. "0 0 30 2 *"). Seconds of `after` are ignored: the result is always on a whole minute. "5 years" is
 * 5 * 366 days, so "0 0 29 2 *" from 2097-01-01 is -1 (2100 is not a leap year). Both `after` and the result are
 * limited to years 0001..9999: -1 when `after` is outside or the next fire would be past 9999-12-31T23:59Z, and
 * when `s` is NULL. Cost is bounded by the days in the horizon, not by minutes.
 */
time_t cron_next(const struct cron_schedule *s, time_t after);

/**
 * Parses `expr` and writes up to `n` successive fire times after `after` into `out` (each strictly after the
 * previous). Returns how many were written, which is fewer than `n` (possibly 0) when the schedule has no further
 * fire within 5 years of the last one. Returns -1 with a sentence in `err` when `expr` does not parse or `n` is
 * outside 0..CRON_NEXT_N_MAX. The caller owns `out` (at least `n` elements).
 */
int cron_next_n(const char *expr, time_t after, time_t *out, int n, char *err, size_t errlen);

/**
 * Writes a short English description of `expr` ("every 15 minutes", "at 02:00 every day", ...) into `buf`.
 * Returns 0, or -1 if `expr` does not parse (then `buf` holds the parse error).
 */
int cron_describe(const char *expr, char *buf, size_t buflen);

#endif
