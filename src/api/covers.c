/*
 * covers — the cover proxy's endpoints (DESIGN §5):
 *   GET  /api/v1/covers/by-url?url=…   public: an allowlisted https image, through the cache
 *   GET  /api/v1/covers/:comicId       public: the image at core.comic.coverurl, same rules
 *   POST /api/v1/covers/invalidate-cache  admin: delete every cached file → {filesDeleted, bytesFreed}
 * Images answer with `Cache-Control: public, max-age=3600`, a strong ETag (the body's SHA-256), 304 on a matching
 * If-None-Match, nosniff, a Content-Type from the magic bytes and a CSP that forbids everything (an image needs
 * none of it). Refusals use the envelope with details {reason, …}; the status mapping:
 *   400 VALIDATION_ERROR  malformed URL, not https, userinfo, bad port            (reason: scheme, userinfo, …)
 *   403 FORBIDDEN         host/port not allowlisted (first URL or a redirect), or an address the proxy never
 *                         connects to (loopback, private, link-local/metadata, …) (host_not_allowed, blocked_address)
 *   404 NOT_FOUND         no such comic, comic without a cover, upstream 404/410
 *   422 VALIDATION_ERROR  upstream body too large, not an image, SVG, or slower than storage.cover_timeout
 *                         (too_large, not_image, svg, timeout): the image cannot be had within the proxy's limits
 *   502 UNAVAILABLE       upstream unreachable, TLS failure, error status, > 3 redirects
 *   503 UNAVAILABLE       too many distinct fetches in flight
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "app.h"
#include "covers/covers.h"
#include "store/audit.h"
#include "store/pg.h"
#include "util/log.h"
#include "util/xalloc.h"

struct status_map {
    unsigned status;
    const char *code;
};

static struct status_map status_of(enum cover_err e)
{
    switch (e) {
    case COVER_OK: return (struct status_map){200, ""};
    case COVER_EURL: return (struct status_map){400, ERR_VALIDATION};
    case COVER_EHOST:
    case COVER_EADDR: return (struct status_map){403, ERR_FORBIDDEN};
    case COVER_ENOTFOUND: return (struct status_map){404, ERR_NOT_FOUND};
    case COVER_ETOOLARGE:
    case COVER_ENOTIMAGE:
    case COVER_ESVG:
    case COVER_ETIMEOUT: return (struct status_map){422, ERR_VALIDATION};
    case COVER_EREDIRECTS:
    case COVER_EUPSTREAM:
    case COVER_ECONNECT: return (struct status_map){502, ERR_UNAVAILABLE};
    case COVER_EBUSY: return (struct status_map){503, ERR_UNAVAILABLE};
    case COVER_EIO: break;
    }
    return (struct status_map){500, ERR_INTERNAL};
}

static void count(struct http_req *r, const char *result, const char *source, int64_t bytes)
{
    char l[64];
    snprintf(l, sizeof l, "result=\"%s\"", result);
    metrics_add(&r->app->metrics, "comicbatch_cover_cache_total", l, 1);
    if (bytes > 0) {
        snprintf(l, sizeof l, "source=\"%s\"", source);
        metrics_add(&r->app->metrics, "comicbatch_cover_cache_bytes_total", l, (double)bytes);
    }
}

static void reply_cover_error(struct http_req *r, const struct fetch_result *res)
{
    struct status_map m = status_of(res->err);
    count(r, "error", NULL, 0);
    json_t *details = json_pack("{s:s,s:s}", "field", "url", "reason", res->reason ? res->reason : "invalid");
    if (res->hops)
        json_object_set_new(details, "redirects", json_integer(res->hops));
    if (res->upstream_status)
        json_object_set_new(details, "upstreamStatus", json_integer(res->upstream_status));
    reply_error(r, m.status, m.code, details, "Cover refused: %s", res->detail);
}

/* Whether an If-None-Match header value lists `etag` (quoted) or `*`; weak comparison, as RFC 9110 asks. */
static bool etag_matches(const char *inm, const char *quoted)
{
    if (!inm)
        return false;
    size_t qlen = strlen(quoted);
    const char *p = inm;
    while (*p) {
        p += strspn(p, " \t,");
        if (!*p)
            break;
        size_t n = strcspn(p, ",");
        size_t k = n;
        while (k && (p[k - 1] == ' ' || p[k - 1] == '\t'))
            k--;
        const char *t = p;
        if (k >= 2 && t[0] == 'W' && t[1] == '/')
            t += 2, k -= 2;
        if ((k == 1 && t[0] == '*') || (k == qlen && !memcmp(t, quoted, qlen)))
            return true;
        p += n;
    }
    return false;
}

static void serve(struct http_req *r, const struct url_parts *u)
{
    struct cover_file f;
    struct fetch_result res;
    enum cover_source src;
    if (covers_get(r->app->covers, u, &f, &res, &src) != COVER_OK) {
        reply_cover_error(r, &res);
        return;
    }
    char etag[COVER_KEY_LEN + 3];
    snprintf(etag, sizeof etag, "\"%s\"", f.etag);
    const char *result = src == COVER_FROM_CACHE ? "hit" : "miss";
    const char *source = src == COVER_FROM_CACHE ? "cache" : "upstream";
    const char *h[] = {"Content-Type", image_mime(f.type), "Cache-Control", "public, max-age=3600", "ETag", etag,
                       "Content-Security-Policy", "default-src 'none'; sandbox", NULL};
    if (etag_matches(req_header(r, "If-None-Match"), etag)) {
        close(f.fd);
        count(r, result, source, 0);
        reply_fd(r, 304, -1, 0, 0, h + 2);
        return;
    }
    count(r, result, source, f.size);
    reply_fd(r, 200, f.fd, COVER_HDR_BYTES, (uint64_t)f.size, h);
}

void api_cover_by_url(struct http_req *r)
{
    const char *url = req_query(r, "url");
    if (!url || !*url) {
        reply_invalid(r, "url", "Query parameter url is required: the https URL of an image");
        return;
    }
    struct url_parts u;
    struct fetch_result res = {0};
    if (covers_check_url(r->app->covers, url, &u, &res) != COVER_OK) {
        reply_cover_error(r, &res);
        return;
    }
    serve(r, &u);
}

/* Reads core.comic.coverurl into `out` (malloc'd, caller frees). Returns 0, 404 after replying, or -1 after 503. */
static int comic_cover_url_or_reply(struct http_req *r, const char *id, char **out)
{
    PGconn *c = pgpool_acquire(r->app->pool, 5000);
    if (!c) {
        reply_db_unavailable(r);
        return -1;
    }
    int found = covers_comic_url(c, id, out);
    pgpool_release(r->app->pool, c);
    if (found < 0) {
        reply_internal(r);
        return -1;
    }
    if (!found || !*out || !**out) {
        reply_error(r, 404, ERR_NOT_FOUND, json_pack("{s:s}", "comicId", id),
                    found ? "This comic has no cover" : "No such comic");
        free(*out);
        *out = NULL;
        return 404;
    }
    return 0;
}

void api_cover_by_comic(struct http_req *r)
{
    const char *id = req_param(r, "comicId");
    char *end;
    long long v = strtoll(id, &end, 10);
    if (!*id || *end || v <= 0 || strlen(id) > 19) {
        reply_invalid(r, "comicId", "comicId must be a positive integer");
        return;
    }
    char *url = NULL;
    if (comic_cover_url_or_reply(r, id, &url))
        return;
    struct url_parts u;
    struct fetch_result res = {0};
    if (covers_check_url(r->app->covers, url, &u, &res) != COVER_OK)
        reply_cover_error(r, &res);
    else
        serve(r, &u);
    free(url);
}

static int audit(struct http_req *r, int64_t files, int64_t bytes)
{
    char actor[80];
    struct audit_actor who = {req_actor(r, actor, sizeof actor),
                              r->principal.kind == PRINCIPAL_SESSION ? r->principal.userid : NULL};
    json_t *details = json_pack("{s:I,s:I}", "filesDeleted", (json_int_t)files, "bytesFreed", (json_int_t)bytes);
    PGconn *c = pgpool_acquire(r->app->pool, 5000);
    int rc = c ? audit_write(c, &who, "covers.invalidate_cache", NULL, details) : -1;
    pgpool_release(r->app->pool, c);
    json_decref(details);
    return rc;
}

void api_cover_invalidate(struct http_req *r)
{
    int64_t files = 0, bytes = 0;
    if (covers_invalidate(r->app->covers, &files, &bytes)) {
        reply_internal(r);
        return;
    }
    log_info("msg=\"cover cache invalidated\" files=%lld bytes=%lld", (long long)files, (long long)bytes);
    if (audit(r, files, bytes))
        log_error("msg=\"cover cache invalidated but the audit row was not written\" files=%lld bytes=%lld",
                  (long long)files, (long long)bytes);
    reply_data(r, 200, json_pack("{s:I,s:I}", "filesDeleted", (json_int_t)files, "bytesFreed", (json_int_t)bytes));
}
