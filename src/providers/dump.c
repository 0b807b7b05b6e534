/*
 * dump — the JSON-lines dump provider (see provider.h and record.h for the line format). The dump is a local path
 * (or file:// URL) read in 256 KiB chunks, or an https URL streamed with libcurl; either way the bytes go through a
 * line reader (gzip detected from the bytes, lines bounded by PROVIDER_MAX_LINE) and each line becomes a record or
 * a malformed-line report. Nothing is held in memory beyond one chunk and one line.
 *
 * Plain http is refused, except to a loopback host when `[provider.NAME] allow_insecure_loopback = true` (tests).
 * Redirects are followed (at most 5) to https only. A stalled download (< 1 byte/s for 60 s) fails; there is no
 * total time limit: the job's timeout bounds the whole import, and a cancel aborts the transfer at once.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "providers/lines.h"
#include "providers/provider.h"
#include "util/xalloc.h"
#include "version.h"

#define READ_CHUNK (256 * 1024)
#define CONNECT_TIMEOUT_S 30L
#define STALL_SECONDS 60L
#define MAX_REDIRECTS 5L

struct dump_run {
    const struct provider *p;
    const struct provider_sink *sink;
    struct provider_stats *stats;
    struct line_reader *lr;
    int64_t total;
    int feed_rc; /* first non-zero result of a feed: -1 corrupt gzip, 1 the sink asked to stop */
    bool cancelled;
};

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

static void malformed(struct dump_run *d, int64_t lineno, const char *reason)
{
    if (d->sink->malformed)
        d->sink->malformed(d->sink->user, lineno, reason);
}

static int on_line(void *user, int64_t lineno, const char *text, size_t len, bool too_long)
{
    struct dump_run *d = user;
    d->stats->lines = lineno;
    if (too_long) {
        char reason[80];
        snprintf(reason, sizeof reason, "line longer than %d bytes", PROVIDER_MAX_LINE);
        malformed(d, lineno, reason);
        return 0;
    }
    if (blank(text, len))
        return 0;
    struct record rec;
    char reason[300];
    if (record_parse(text, len, &rec, reason, sizeof reason)) {
        malformed(d, lineno, reason);
        return 0;
    }
    int rc = d->sink->record(d->sink->user, lineno, &rec);
    record_finish(&rec);
    return rc ? 1 : 0;
}

static bool cancelled(struct dump_run *d)
{
    if (!d->cancelled && d->sink->cancelled && d->sink->cancelled(d->sink->user))
        d->cancelled = true;
    return d->cancelled;
}

/* Feeds raw bytes; returns 0 to go on, non-zero once the stream must stop (reason in d). */
static int feed(struct dump_run *d, const void *buf, size_t n)
{
    d->stats->bytes += (int64_t)n;
    if (d->sink->progress)
        d->sink->progress(d->sink->user, d->stats->bytes, d->total);
    int rc = line_reader_feed(d->lr, buf, n);
    if (rc && !d->feed_rc)
        d->feed_rc = rc;
    return rc || cancelled(d);
}

/* The result once the source is exhausted (or stopped): flushes the last line and maps what stopped it. */
static enum provider_result finish(struct dump_run *d, char *err, size_t errlen)
{
    if (d->cancelled)
        return PROVIDER_CANCELLED;
    if (!d->feed_rc)
        d->feed_rc = line_reader_end(d->lr);
    d->stats->gzip = line_reader_gzip(d->lr);
    if (d->feed_rc == 1)
        return PROVIDER_STOPPED;
    if (d->feed_rc) {
        snprintf(err, errlen, "provider %s: %s", d->p->name, line_reader_error(d->lr));
        return PROVIDER_ERROR;
    }
    return PROVIDER_OK;
}

static enum provider_result stream_file(struct dump_run *d, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "provider %s: cannot read dump %s: %s", d->p->name, path,
                 fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return PROVIDER_ERROR;
    }
    d->total = (int64_t)st.st_size;
    char *buf = xmalloc(READ_CHUNK);
    ssize_t n = 0;
    while (!cancelled(d) && (n = read(fd, buf, READ_CHUNK)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || feed(d, buf, (size_t)n))
            break;
    }
    int read_errno = n < 0 ? errno : 0;
    free(buf);
    close(fd);
    if (read_errno) {
        snprintf(err, errlen, "provider %s: reading %s: %s", d->p->name, path, strerror(read_errno));
        return PROVIDER_ERROR;
    }
    return finish(d, err, errlen);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *user)
{
    struct dump_run *d = user;
    return feed(d, ptr, size * nmemb) ? 0 : size * nmemb; /* 0 aborts the transfer */
}

static int on_xfer(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    struct dump_run *d = user;
    if (dltotal > 0)
        d->total = (int64_t)dltotal;
    return cancelled(d) ? 1 : 0;
}

static bool loopback_host(const char *h)
{
    return !strcmp(h, "127.0.0.1") || !strcmp(h, "[::1]") || !strcmp(h, "::1") || !strcmp(h, "localhost");
}

/* Checks the URL's scheme against the policy. Returns the protocols curl may use, or NULL with `err`. */
static const char *allowed_protocols(struct dump_run *d, const char *url, const char *shown, char *err, size_t errlen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    const char *ok = NULL;
    if (u && !curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) &&
        !curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) && !curl_url_get(u, CURLUPART_HOST, &host, 0)) {
        if (!strcmp(scheme, "https"))
            ok = "https";
        else if (!strcmp(scheme, "http") && d->p->settings->allow_insecure_loopback && loopback_host(host))
            ok = "http";
    }
    if (!ok)
        snprintf(err, errlen, "provider.%s.dump: %s is not allowed (a local path or an https URL is)", d->p->name,
                 shown);
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

static void setup_curl(CURL *h, struct dump_run *d, const char *url, const char *protocols, char *errbuf)
{
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
    curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, STALL_SECONDS);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "comicbatch/" COMICBATCH_VERSION);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, d);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_xfer);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, d);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
}

static enum provider_result stream_url(struct dump_run *d, const char *url, char *err, size_t errlen)
{
    char shown[1024];
    provider_redact_location(url, shown, sizeof shown);
    const char *protocols = allowed_protocols(d, url, shown, err, errlen);
    if (!protocols)
        return PROVIDER_ERROR;
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err, errlen, "provider %s: cannot start a download", d->p->name);
        return PROVIDER_ERROR;
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    setup_curl(h, d, url, protocols, errbuf);
    CURLcode res = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    if (res != CURLE_OK && !d->cancelled && !d->feed_rc) {
        snprintf(err, errlen, "provider %s: downloading %s failed: %s%s%s (HTTP status %ld)", d->p->name, shown,
                 curl_easy_strerror(res), errbuf[0] ? ": " : "", errbuf, status);
        return PROVIDER_ERROR;
    }
    return finish(d, err, errlen);
}

enum provider_result dump_stream(const struct provider *p, const struct provider_sink *sink,
                                 struct provider_stats *stats, char *err, size_t errlen)
{
    memset(stats, 0, sizeof *stats);
    struct dump_run d = {.p = p, .sink = sink, .stats = stats};
    d.lr = line_reader_create(PROVIDER_MAX_LINE, on_line, &d);
    const char *loc = p->settings->dump;
    enum provider_result res;
    if (!strncmp(loc, "file://", 7))
        res = stream_file(&d, loc + 7, err, errlen);
    else if (strstr(loc, "://"))
        res = stream_url(&d, loc, err, errlen);
    else
        res = stream_file(&d, loc, err, errlen);
    stats->lines = line_reader_lines(d.lr);
    line_reader_destroy(d.lr);
    return res;
}
