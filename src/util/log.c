/* log — see log.h. One formatted buffer, one write(2), so concurrent lines never interleave. */
#include "util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "util/log_json.h"

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
static void write_json(const struct tm *tm, long ms, enum log_level level, const char *body)
{
    char ts[64], out[LOG_JSON_MAX(4096)];
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday,
             tm->tm_hour, tm->tm_min, tm->tm_sec, ms);
    size_t len = log_json_format(ts, level_names[level], body, out, sizeof out);
    ssize_t w = write(STDERR_FILENO, out, len);
    (void)w;
}

/*
 * Writes a logfmt line: control characters in `line` (a multi-line PostgreSQL error inside error="…") become
 * \n, \r, \t or \xHH, so one event stays one line for journald and shippers.
 */
static void write_logfmt(const char *line, size_t len)
{
    char out[4096 * 2 + 2];
    size_t o = 0;
    for (size_t i = 0; i < len && o < sizeof out - 6; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c >= 0x20 && c != 0x7f) {
            out[o++] = (char)c;
            continue;
        }
        out[o++] = '\\';
        if (c == '\n' || c == '\r' || c == '\t')
            out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        else
            o += (size_t)snprintf(out + o, 4, "x%02x", c);
    }
    out[o++] = '\n';
    ssize_t w = write(STDERR_FILENO, out, o);
    (void)w;
}

void log_write(enum log_level level, const char *fmt, ...)
{
    if ((int)level < atomic_load(&min_level))
        return;
    char line[4096];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000),
                     level_names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    if (atomic_load(&line_format) == LOG_FORMAT_JSON) {
        line[len] = '\0';
        write_json(&tm, (long)(tv.tv_usec / 1000), level, line + n);
        return;
    }
    write_logfmt(line, len);
}
