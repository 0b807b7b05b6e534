/*
 * log — structured one-line logs on stderr: `ts=… level=… msg="…" key=value …`. Thread-safe (one write(2) per
 * line). Never log tokens or passwords.
 */
#ifndef COMICBATCH_LOG_H
#define COMICBATCH_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/** Sets the minimum level printed (default LOG_INFO; "debug" via COMICBATCH_LOG=debug). */
void log_set_level(enum log_level level);

/** Logs `fmt` (printf-style; by convention `msg="…" key=value …`) at `level`. Lines are capped at 4 KiB. */
void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)

#endif
