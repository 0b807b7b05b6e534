/*
 * log — structured one-line logs on stderr: `ts=… level=… msg="…" key=value …` (logfmt), or the same fields as one
 * JSON object per line (log_json.h) for shippers. Thread-safe (one write(2) per line; level and format are atomics,
 * so a reload may change them while other threads log). Never log tokens or passwords.
 *
 * Callers write the body as a logfmt format: `msg=\"…\" key=%s count=%d error=\"%s\"`. Values are escaped
 * centrally (log_body.h): a conversion inside quotes has `"`, `\` and control characters escaped (\" \\ \n \r \t
 * \u00XX), a bare value is quoted and escaped when its text needs it, so a value can neither forge a field
 * (` level=debug` inside an error stays inside it) nor break the one-line-per-event rule. Lines are capped at
 * 4 KiB; a cut line ends with a closed value and `truncated=true`.
 *
 * JSON types (`--log-format json`) are stable per key: a value is a JSON number only when it is a bare value written
 * by a decimal conversion (%d %i %u %f %e %g and their length modifiers) or a number in the format itself, e.g.
 * `workers=%d`, `duration_ms=%.0f`. Everything written with %s %c %p %x %X %o %a %m, and every quoted value, is a
 * string whatever its text: `sqlstate=%s` gives "42P01" and "42501" alike. (A float that prints as inf or nan, or
 * a padded `%5d` value, is a string; do not pad numbers.)
 */
#ifndef COMICBATCH_LOG_H
#define COMICBATCH_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/** Line formats; the values are the indexes of `[log] format`'s choices ("logfmt|json"). */
enum log_format { LOG_FORMAT_LOGFMT = 0, LOG_FORMAT_JSON = 1 };

/** Sets the minimum level printed (default LOG_INFO; `[log] level`, COMICBATCH_LOG). */
void log_set_level(enum log_level level);

/** Sets the line format (default logfmt; `[log] format`, COMICBATCH_LOG_FORMAT, --log-format). */
void log_set_format(enum log_format format);

/** Logs `fmt` (printf-style; by convention `msg="…" key=value …`) at `level`. Lines are capped at 4 KiB. */
void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)

#endif
