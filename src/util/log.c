/* log — see log.h. One formatted buffer, one write(2), so concurrent lines never interleave; the body (and its
 * escaping) comes from log_body.c, the JSON form from log_json.c. */
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "util/log_body.h"
#include "util/log_json.h"

#define LOG_LINE_MAX 4096

static atomic_int min_level = LOG_INFO;
static atomic_int line_format = LOG_FORMAT_LOGFMT;

static const char *level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    atomic_store(&min_level, level);
}

void log_set_format(enum log_format format)
{
    atomic_store(&line_format, format);
}

/* Writes the JSON form of a line whose logfmt body (after `ts=… level=… `) is `body`. */
static void write_json(const char *ts, enum log_level level, const char *body, bool truncated)
{
    char out[LOG_JSON_MAX(LOG_LINE_MAX)];
    size_t len = log_json_format(ts, level_names[level], body, truncated, out, sizeof out);
    ssize_t w = write(STDERR_FILENO, out, len);
    (void)w;
}

/*
 * Writes a logfmt line. Values are already escaped (log_body.h); a control character left in the code's own
 * literal text becomes \n, \r, \t or \u00XX here too, so one event stays one line for journald and shippers.
 */
static void write_logfmt(const char *ts, enum log_level level, const char *body, size_t len, bool truncated)
{
    char out[LOG_LINE_MAX * 6 + 64];
    size_t o = (size_t)snprintf(out, 64, "ts=%s level=%s ", ts, level_names[level]);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)body[i];
        if (c >= 0x20 && c != 0x7f) {
            out[o++] = (char)c;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            out[o++] = '\\';
            out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else {
            o += (size_t)snprintf(out + o, 7, "\\u%04x", c);
        }
    }
    const char *tail = truncated ? " truncated=true\n" : "\n";
    memcpy(out + o, tail, strlen(tail));
    ssize_t w = write(STDERR_FILENO, out, o + strlen(tail));
    (void)w;
}

void log_write(enum log_level level, const char *fmt, ...)
{
    if ((int)level < atomic_load(&min_level))
        return;
    int saved_errno = errno;
    bool json = atomic_load(&line_format) == LOG_FORMAT_JSON, truncated;
    char body[LOG_LINE_MAX - 64]; /* the rest of the 4 KiB: `ts=… level=… ` and ` truncated=true` */
    va_list ap;
    va_start(ap, fmt);
    size_t len = log_body_vformat(body, sizeof body, json ? LOG_BODY_QUOTE_STRINGS : LOG_BODY_QUOTE_AS_NEEDED,
                                  &truncated, fmt, ap);
    va_end(ap);
    struct timeval tv;
    struct tm tm;
    char ts[64];
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000));
    if (json)
        write_json(ts, level, body, truncated);
    else
        write_logfmt(ts, level, body, len, truncated);
    errno = saved_errno;
}
