/*
 * duration — parses the durations operators type in job params: Go's time.ParseDuration units (ns us µs ms s m h)
 * plus `d` (24h days), with fractions and sequences ("1h30m", "1.5h", "90d", "24h"). A leading '+' is accepted;
 * negative durations and an empty string are errors. Results are whole milliseconds.
 */
#ifndef COMICBATCH_DURATION_H
#define COMICBATCH_DURATION_H

#include <stddef.h>
#include <stdint.h>

/** Longest duration text accepted. */
#define DURATION_MAX_TEXT 64

/**
 * Parses `text` into milliseconds in `*out_ms` (sub-millisecond parts truncate toward zero). Returns 0 on success,
 * -1 on error with a human sentence in `err` (e.g. "unknown unit \"x\" in \"5x\""); overflow past ~292 years is an
 * error. `*out_ms` is untouched on error.
 */
int duration_parse(const char *text, int64_t *out_ms, char *err, size_t errlen);

/** Formats `ms` compactly ("1h30m", "90d", "250ms", "0s") into `buf`; returns `buf`. */
char *duration_format(int64_t ms, char *buf, size_t buflen);

#endif
