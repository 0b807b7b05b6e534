/*
 * tz_rule — the POSIX TZ string of a TZif footer ("CET-1CEST,M3.5.0,M10.5.0/3"), parsed and evaluated. Internal to
 * tz.c (and its tests); callers use tz.h.
 *
 * A rule has a standard offset and, optionally, a DST offset with a start and an end date each year. An "event"
 * is an instant where the rule switches between the two (whether or not the UTC offset actually changes: that is
 * for tz.c to filter). Syntax accepted (POSIX.1-2017 8.3 plus RFC 8536 3.3.1):
 *   std offset [dst [offset] [,start[/time],end[/time]]]
 *   names: 3+ letters, or <...> with 3+ of [A-Za-z0-9+-]; offsets: [+-]hh[:mm[:ss]], hh 0..24, positive = west;
 *   dates: Jn (1..365, Feb 29 never counted), n (0..365, counted), Mm.w.d (w 5 = last); times: [+-]hh[:mm[:ss]]
 *   with hh -167..167, default 02:00. A DST name without dates uses M3.2.0,M11.1.0 (tzcode's and glibc's default).
 */
#ifndef COMICBATCH_TZ_RULE_H
#define COMICBATCH_TZ_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sched/tz.h"
#include "util/errbuf.h"

/** A yearly rule date: Jn, n or Mm.w.d, plus the local time of day of the switch. */
struct tz_rule_date {
    enum { TZ_DATE_JULIAN1, TZ_DATE_JULIAN0, TZ_DATE_MWD } kind;
    int n;        /* Jn: 1..365; n: 0..365 */
    int m, w, d;  /* Mm.w.d: month 1..12, week 1..5, weekday 0..6 (Sunday 0) */
    int32_t time; /* seconds after local midnight, -167h..167h */
};

/** A parsed POSIX TZ string. Plain value. */
struct tz_rule {
    struct tz_offset std, dst;
    bool has_dst;
    struct tz_rule_date start, end; /* start: std -> dst, in standard time; end: dst -> std, in DST */
};

/** Parses the `len` bytes at `s` (need not be terminated). Returns 0, or -1 with a sentence in `e`. */
int tz_rule_parse(const char *s, size_t len, struct tz_rule *out, struct errbuf *e);

/** The offset the rule gives at instant `t`. */
struct tz_offset tz_rule_offset_at(const struct tz_rule *r, time_t t);

/** Finds the first event strictly after `after`. Returns false when the rule has no DST (no events). */
bool tz_rule_next_event(const struct tz_rule *r, time_t after, time_t *at);

/** Finds the last event at or before `at`. Returns false when the rule has no DST. */
bool tz_rule_prev_event(const struct tz_rule *r, time_t at, time_t *ev);

#endif
