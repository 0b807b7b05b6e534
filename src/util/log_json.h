/*
 * log_json — the JSON rendering of a log line (`--log-format json`, `[log] format = json`): the same fields as the
 * logfmt line, one JSON object per line, for log shippers. Pure (no clock, no I/O): unit-tested on its own.
 *
 * The body is the logfmt text log_body.c writes (`msg="…" key=value …`). A quoted value ends at the first `"` no
 * backslash escapes, and its escapes (\" \\ \n \r \t \u00XX) are decoded, so no value can end early or forge a
 * field. Bare values that are JSON numbers become numbers, everything else a string; log_body.c quotes every value
 * that holds a text conversion in json mode, so a key's type follows its conversion, not its text (log.h). Words
 * that are not `key=value` are collected, space-separated, in a field "text". Bytes that are not valid UTF-8 become
 * U+FFFD, so the line is always valid JSON.
 */
#ifndef COMICBATCH_LOG_JSON_H
#define COMICBATCH_LOG_JSON_H

#include <stdbool.h>
#include <stddef.h>

/** Room a line of body length n can need: every byte escaped as \uXXXX, plus the fixed fields. */
#define LOG_JSON_MAX(n) ((n)*6 + 128)

/**
 * Writes `{"ts":ts,"level":level,…fields of body}` and a newline into `out` (NUL-terminated). When `len` is too
 * small the object is cut after the last field that fit; then, or when `truncated` says the body itself was cut,
 * it ends with `"truncated":true`. `len` must be at least 96. Returns the length written, newline included, NUL
 * excluded.
 */
size_t log_json_format(const char *ts, const char *level, const char *body, bool truncated, char *out, size_t len);

#endif
