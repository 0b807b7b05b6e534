/*
 * timefmt — wall/monotonic clock readers and ISO 8601 UTC formatting/parsing. Only outer loops read the clock;
 * everything that decides by time takes `now` as a parameter (STYLE §6).
 */
#ifndef COMICBATCH_TIMEFMT_H
#define COMICBATCH_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/** Wall clock, Unix milliseconds. */
int64_t time_now_ms(void);

/** Monotonic clock, milliseconds (for intervals and timeouts). */
int64_t time_mono_ms(void);

/** Writes `t` as "YYYY-MM-DDTHH:MM:SSZ" into `buf` (>= 21 bytes). Returns `buf`. */
char *time_format_iso(time_t t, char *buf, size_t buflen);

/**
 * Parses an ISO 8601 date or date-time ("2026-02-22", "2026-02-22T00:26:32Z", "…+02:00", fractional seconds
 * allowed) into Unix seconds. Returns 0 or -1 when it is not one.
 */
int time_parse_iso(const char *text, time_t *out);

/** Sleeps `ms` milliseconds (restarts on EINTR). */
void time_sleep_ms(int64_t ms);

#endif
