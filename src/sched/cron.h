/*
 * cron — a pure parser and next-fire function for 5-field cron expressions, in UTC or in an IANA time zone.
 *
 * Vocabulary: an "expression" is the text an operator writes ("*\/15 * * * *"); a "schedule" is its parsed form;
 * a "fire time" is a minute at which the schedule matches. Times are whole seconds since the epoch; a "wall time" is
 * what a clock in the schedule's zone shows (see tz.h). Without a zone everything is UTC, exactly as before zones.
 *
 * Fields: minute hour day-of-month month day-of-week. Each field accepts `*`, numbers, ranges `a-b`, lists `a,b`,
 * steps `*\/n` and `a-b/n` and `a/n` (a to the field's maximum); month names JAN..DEC and day names SUN..SAT
 * (case-insensitive); day-of-week 0 and 7 both mean Sunday. Macros: @yearly @annually @monthly @weekly @daily
 * @midnight @hourly. When both day-of-month and day-of-week are restricted (neither starts with `*`), a day matches
 * if EITHER matches (Vixie cron semantics); otherwise both must match. Note that `*\/2` counts as starting with `*`
 * (Vixie), unlike robfig/cron v3 which treats any step > 1 as restricted. `?` is accepted as a synonym of `*` in
 * day-of-month and day-of-week (a Quartz/robfig habit). Fields are separated by any whitespace.
 *
 * Wrapping day-of-week ranges, as cronie reads them: a range whose end is Sunday given as 0 (or SUN) runs to
 * Sunday as 7: `SAT-SUN` = `6-0` = Saturday and Sunday, `FRI-SUN` = `5-0` = Friday to Sunday. With a step the range
 * is stepped the same way: `5-0/2` = `5-7/2` = Friday and Sunday (cronie would silently match no day there). Any
 * other backwards range is refused with the field named, in every field: `FRI-MON`, `6-1` (cronie accepts them but
 * they match no day at all, so a job would silently never run), `NOV-FEB`, `22-2` in hours, `50-10` in minutes.
 *
 * Time zones: an expression may start with `CRON_TZ=Area/City ` or `TZ=Area/City ` (robfig/cron's syntax; the
 * keyword is case-sensitive, the name is an IANA zone from the system tz database, see tz.h). The fields are then
 * read as wall times in that zone and every result is still an instant (UTC). cron_parse loads the zone once to
 * check it exists; an unknown zone is an error naming it ("CRON_TZ: unknown time zone \"Mars/Olympus\"").
 *
 * DST policy — ISC cron 4.x / cronie's (cron.c: the main loop's wake-up kinds and find_jobs), applied in each
 * job's own zone. cronie applies it only to the daemon's zone (for its CRON_TZ= jobs its source warns that jobs
 * may be missed or run twice); here every zone gets it, and tests/unit/test_cron.c checks us against a simulation
 * of that loop at real and synthetic transitions.
 * A job is a "wildcard" job when its minute or its hour field starts with `*` (`*\/15 * * * *`, `30 * * * *`,
 * `* 2 * * *`, @hourly); every other job is a "fixed-time" job (`30 2 * * *`, `0 9-17 * * *`, @daily).
 *  - Spring forward (the offset grows by D, the wall times [T+old, T+new) of transition T never happen):
 *    . fixed-time job, 5 min <= D < 3 h: if any of its wall times fall in the gap, it runs once, at T itself (the
 *      first instant after the gap; cronie runs the missed minutes "immediately"). Several gap times collapse into
 *      that one run, and a fire time equal to the end of the gap is the same run (cronie would run the job once
 *      per matching missed minute, back to back). Flag CRON_FIRE_SHIFTED_BY_GAP, `gap_slots` = how many nominal
 *      times it stands for, `nominal` = the first of them.
 *    . wildcard job, 5 min <= D < 3 h: it follows real time; its wall times in the gap simply do not happen.
 *      The next fire carries CRON_FIRE_GAP_SKIPPED and `gap_slots` = how many were dropped.
 *    . D < 5 min (cronie's late-wake-up case): every job, wildcard too, is treated like a fixed-time job above.
 *    . D >= 3 h (cronie: "clock jumped", a zone correction, e.g. Antarctica/Casey +3 h, Samoa's skipped day in
 *      2011): no job makes up its gap times; the next fire is flagged CRON_FIRE_GAP_SKIPPED.
 *  - Fall back (the offset shrinks by D, the wall times [T+new, T+old) happen twice):
 *    . fixed-time job, D <= 3 h 1 min: runs at the first occurrence only; that fire carries
 *      CRON_FIRE_FIRST_OF_REPEATED and the second occurrence is not a fire time.
 *    . wildcard job, or any job when D > 3 h 1 min: follows real time and fires in both passes; both fires carry
 *      CRON_FIRE_REPEATED, the second also CRON_FIRE_SECOND_PASS.
 * The 3 h bounds are cronie's, in wall minutes: a forward jump of 181+ minutes between two consecutive wall
 * minutes, or a backward one of more than 180, is a clock change. Outside transitions nothing changes: a fire time
 * is the instant whose wall time matches. Two backward transitions less than their own size apart are each judged
 * against the transition just before them only. Fire times are whole minutes of wall time; in UTC they are whole
 * minutes too except in zones whose offset had seconds (local mean time, before ~1972), and a gap run is at T.
 */
#ifndef COMICBATCH_CRON_H
#define COMICBATCH_CRON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "sched/tz.h"

/** Longest expression accepted; longer input is an error naming the length. */
#define CRON_MAX_EXPR 256

/** Most fire times cron_next_n() computes in one call. */
#define CRON_NEXT_N_MAX 1000

/** A parsed schedule: one bit per allowed value of each field, plus its zone. Plain value, no heap; copy freely. */
struct cron_schedule {
    uint64_t minutes;           /* bits 0..59 */
    uint32_t hours;             /* bits 0..23 */
    uint32_t mdays;             /* bits 1..31 */
    uint16_t months;            /* bits 1..12 */
    uint8_t wdays;              /* bits 0..6, Sunday = 0 */
    bool mday_star;             /* day-of-month field started with '*' */
    bool wday_star;             /* day-of-week field started with '*' */
    bool minute_star;           /* minute field started with '*' (ISC cron's MIN_STAR) */
    bool hour_star;             /* hour field started with '*' (ISC cron's HR_STAR; @hourly too) */
    char zone[TZ_NAME_MAX + 1]; /* IANA zone from a CRON_TZ=/TZ= prefix; "" = UTC */
};

/** How DST moved one fire time (see the policy above); bits of cron_fire.flags. */
enum cron_fire_flag {
    CRON_FIRE_SHIFTED_BY_GAP = 1 << 0,    /* fixed-time: nominal time(s) in a spring-forward gap, runs at its end */
    CRON_FIRE_GAP_SKIPPED = 1 << 1,       /* `gap_slots` nominal times in a gap before this fire did not happen */
    CRON_FIRE_FIRST_OF_REPEATED = 1 << 2, /* fixed-time: wall time occurs twice, runs at the first only */
    CRON_FIRE_REPEATED = 1 << 3,          /* wall time occurs twice and the job runs at both */
    CRON_FIRE_SECOND_PASS = 1 << 4,       /* with CRON_FIRE_REPEATED: this is the second occurrence */
};

/** One fire time with what a human needs to show it in the job's zone and in UTC. Plain value. */
struct cron_fire {
    time_t at;               /* the instant it runs (UTC seconds) */
    int64_t nominal;         /* the wall time the schedule named (timegm-style); with SHIFTED_BY_GAP, the first
                              * nominal time in the gap, which the zone's clocks never showed */
    struct tz_offset offset; /* the zone's offset at `at`: wall time shown = at + offset.utoff */
    unsigned flags;          /* enum cron_fire_flag bits; 0 for an ordinary fire time */
    int gap_slots;           /* with SHIFTED_BY_GAP or GAP_SKIPPED: how many nominal times were in the gap */
};

/**
 * Parses `expr` into `*out`. Returns 0 on success; on error returns -1 and writes a human sentence naming the bad
 * field (e.g. "hour: value 24 out of range 0-23", "CRON_TZ: unknown time zone \"Mars/Olympus\"") into `err`
 * (always NUL-terminated, truncated to `errlen`). `out` is untouched on error. With a zone prefix this reads the
 * zone's file once (to check it), so it is no longer free of I/O; without one it is pure.
 */
int cron_parse(const char *expr, struct cron_schedule *out, char *err, size_t errlen);

/** cron_parse without keeping the result: 0 when `expr` parses, else -1 with the reason in `err`. */
int cron_check(const char *expr, char *err, size_t errlen);

/**
 * Returns the first fire time strictly after `after` (UTC seconds), or -1 if none within the next 5 years
 * (e.g. "0 0 30 2 *"). Seconds of `after` are ignored: the result is always on a whole minute. "5 years" is
 * 5 * 366 days, so "0 0 29 2 *" from 2097-01-01 is -1 (2100 is not a leap year). Both `after` and the result are
 * limited to years 0001..9999: -1 when `after` is outside or the next fire would be past 9999-12-31T23:59Z, and
 * when `s` is NULL. Cost is bounded by the days in the horizon, not by minutes. For a schedule with a zone this
 * loads the zone (one file read) and returns cron_next_tz(); -1 if it cannot be loaded. Loops should load the zone
 * once with tz_load(s->zone) and call cron_next_tz themselves.
 */
time_t cron_next(const struct cron_schedule *s, time_t after);

/**
 * Like cron_next, but reads the fields as wall times in `zone` and applies the DST policy above; `s->zone` is
 * ignored (the caller chose `zone`, normally tz_load(s->zone)). `zone` NULL means UTC, identical to cron_next.
 * The horizon is 5 * 366 days of wall time. Pure: no I/O, no clock, thread-safe.
 */
time_t cron_next_tz(const struct cron_schedule *s, const struct tz *zone, time_t after);

/**
 * Like cron_next_tz but fills `out` with the instant, nominal wall time, offset and DST flags of the fire time.
 * Returns true, or false (and leaves `out` alone) when cron_next_tz would return -1.
 */
bool cron_next_fire(const struct cron_schedule *s, const struct tz *zone, time_t after, struct cron_fire *out);

/**
 * Returns `expr` past its leading blanks and its CRON_TZ=/TZ= prefix (with the blanks after it), for rewriting the
 * zone of a stored expression: "CRON_TZ=Asia/Tokyo  0 0 * * *" gives "0 0 * * *". Borrowed pointer into `expr`;
 * checks nothing (cron_parse does).
 */
const char *cron_strip_zone(const char *expr);

/** True for an ISC "wildcard" job (minute or hour field starts with `*`): it follows real time across DST. */
bool cron_is_wildcard(const struct cron_schedule *s);

/**
 * Parses `expr` and writes up to `n` successive fire times after `after` into `out` (each strictly after the
 * previous), in the expression's zone when it has a CRON_TZ= prefix. Returns how many were written, which is fewer
 * than `n` (possibly 0) when the schedule has no further fire within 5 years of the last one. Returns -1 with a
 * sentence in `err` when `expr` does not parse or `n` is outside 0..CRON_NEXT_N_MAX. The caller owns `out` (at least
 * `n` elements).
 */
int cron_next_n(const char *expr, time_t after, time_t *out, int n, char *err, size_t errlen);

/**
 * Like cron_next_n but with the detail of each fire time (offset, nominal wall time, DST flags), for previews that
 * show times in the job's zone and in UTC and flag the ones DST moves. If `zone_out` is not NULL, the zone the
 * times are in ("" for UTC) is copied there (TZ_NAME_MAX + 1 bytes). Same return values as cron_next_n.
 */
int cron_preview(const char *expr, time_t after, struct cron_fire *out, int n, char zone_out[TZ_NAME_MAX + 1],
                 char *err, size_t errlen);

/**
 * Writes a short English description of `expr` ("every 15 minutes", "at 02:00 every day", ...) into `buf`; with a
 * zone prefix it ends with the zone ("at 00:00 every day (Asia/Tokyo time)"). Returns 0, or -1 if `expr` does not
 * parse (then `buf` holds the parse error).
 */
int cron_describe(const char *expr, char *buf, size_t buflen);

#endif
