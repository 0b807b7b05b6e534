/*
 * preview — fire times as an operator reads them: in the job's zone and in UTC, with what DST did to each (cron.h's
 * policy in words), and the next fire a DST change moves. Shared by the cron preview endpoint and `comicbatch
 * cron-next`, so both say the same thing. Pure: the zone is loaded by the caller.
 */
#ifndef COMICBATCH_PREVIEW_H
#define COMICBATCH_PREVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sched/cron.h"

/** Writes the wall time of `f` with its offset, "2026-03-08T03:00:00-04:00" (seconds of offset when it has them). */
char *preview_local_iso(const struct cron_fire *f, char *buf, size_t len);

/** Writes an offset as "+09:00" / "-04:00" ("+05:53:28" for local mean time). */
char *preview_utcoffset(int utoff, char *buf, size_t len);

/**
 * The name of the DST flag of `f`: "shifted-by-gap", "gap-skipped", "first-of-repeated", "repeated",
 * "second-pass", or NULL for an ordinary fire time. Static string.
 */
const char *preview_dst_flag(const struct cron_fire *f);

/**
 * Writes a sentence on what DST did to `f` in `zone` ("02:30 does not exist on 2026-03-08 in America/New_York
 * (clocks jump from 02:00 EST to 03:00 EDT): runs once at 03:00"), or "" for an ordinary fire time. Returns buf.
 */
char *preview_note(const struct cron_fire *f, const struct tz *zone, char *buf, size_t len);

/**
 * Finds the first fire time after `after` and within `horizon_s` seconds that DST moves (a non-zero flag): looks
 * only around the zone's transitions, so it is cheap even for a per-minute job. False when there is none (no zone,
 * no transition, or the job's times stay clear of them).
 */
bool preview_next_dst_fire(const struct cron_schedule *s, const struct tz *zone, time_t after, time_t horizon_s,
                           struct cron_fire *out);

#endif
