/*
 * covers — the cover proxy's endpoints (DESIGN §5):
 *   GET  /api/v1/covers/by-url?url=…   public: an allowlisted https image, through the cache; a non-blocking route:
 *                                      a hit is answered on the event loop (sendfile), a miss continues on the
 *                                      handler pool (req_offload)
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
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "api/api_env.h"
#include "covers/covers.h"
#include "covers/keymemo.h"
#include "http/respcache.h"
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

static void reply_cover_error(struct http_req *r, const struct fetch_result *res)
{
    struct status_map m = status_of(res->err);
    covers_count(r->env->covers, COVER_REFUSED, 0);
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

#define COVER_CACHE_CONTROL "public, max-age=3600"
#define COVER_CSP "default-src 'none'; sandbox"

static void quote_etag(const char *hex, char out[COVER_KEY_LEN + 3])
{
    out[0] = '"';
    memcpy(out + 1, hex, COVER_KEY_LEN);
    memcpy(out + 1 + COVER_KEY_LEN, "\"", 2);
}

/* 304 Not Modified for a client that has the cover (its validators, no body). */
static void reply_not_modified(struct http_req *r, const char *etag)
{
    const char *h[] = {"Cache-Control", COVER_CACHE_CONTROL, "ETag", etag, "Content-Security-Policy", COVER_CSP, NULL};
    reply_fd(r, 304, -1, 0, 0, h);
}

/*
 * Answers with an open cover file (takes f->fd): 304 when the client has it, else its body with sendfile. A hit
 * (`key` given) also leaves the prepared reply in the listener's cache for the next requests of that cover.
 */
static void serve_file(struct http_req *r, struct cover_file *f, enum cover_source src, const char *key, uint64_t gen)
{
    char etag[COVER_KEY_LEN + 3];
    quote_etag(f->etag, etag);
    enum cover_outcome outcome = src == COVER_FROM_CACHE ? COVER_HIT : COVER_MISS;
    if (etag_matches(req_header(r, "If-None-Match"), etag)) {
        close(f->fd);
        covers_count(r->env->covers, outcome, 0);
        reply_not_modified(r, etag);
        return;
    }
    const char *h[] = {"Content-Type",
                       image_mime(f->type),
                       "Cache-Control",
                       COVER_CACHE_CONTROL,
                       "ETag",
                       etag,
                       "Content-Security-Policy",
                       COVER_CSP,
                       NULL};
    covers_count(r->env->covers, outcome, f->size);
    if (key)
        reply_fd_shared(r, 200, f->fd, COVER_HDR_BYTES, (uint64_t)f->size, h, key, etag, gen);
    else
        reply_fd(r, 200, f->fd, COVER_HDR_BYTES, (uint64_t)f->size, h);
}

/* A hit on a reply prepared by an earlier request: no file system access at all. False when there is none. */
static bool serve_prepared(struct http_req *r, const char *key, uint64_t gen)
{
    const struct http_shared *e = req_cached(r, key, gen);
    if (!e)
        return false;
    if (etag_matches(req_header(r, "If-None-Match"), e->tag)) {
        covers_count(r->env->covers, COVER_HIT, 0);
        reply_not_modified(r, e->tag);
        return true;
    }
    covers_count(r->env->covers, COVER_HIT, (int64_t)e->size);
    reply_cached(r);
    return true;
}

/* From the cache or the upstream (blocks: runs on the handler pool). */
static void serve(struct http_req *r, const struct url_parts *u)
{
    struct cover_file f;
    struct fetch_result res;
    enum cover_source src;
    if (covers_get(r->env->covers, u, &f, &res, &src) != COVER_OK) {
        reply_cover_error(r, &res);
        return;
    }
    serve_file(r, &f, src, NULL, 0);
}

/* The URL of a by-url request, checked against the policy; false after answering the refusal. */
static bool by_url_or_reply(struct http_req *r, struct url_parts *u)
{
    const char *url = req_query(r, "url");
    if (!url || !*url) {
        reply_invalid(r, "url", "Query parameter url is required: the https URL of an image");
        return false;
    }
    struct fetch_result res = {0};
    if (covers_check_url(r->env->covers, url, u, &res) != COVER_OK) {
        reply_cover_error(r, &res);
        return false;
    }
    return true;
}

/* The by-url request again, on the handler pool: a cache miss (or a hit that raced an invalidation). */
static void cover_by_url_blocking(struct http_req *r)
{
    struct url_parts u;
    if (by_url_or_reply(r, &u))
        serve(r, &u);
}

/*
 * The cache key of the by-url request's URL: remembered from an earlier request on this thread (covers/keymemo.h),
 * else checked against the policy and hashed (then remembered). False after answering the refusal.
 */
static bool by_url_key_or_reply(struct http_req *r, char key[COVER_KEY_LEN + 1])
{
    const char *url = req_query(r, "url");
    if (url && keymemo_get(url, key))
        return true;
    struct url_parts u;
    if (!by_url_or_reply(r, &u))
        return false;
    covers_key(&u, key);
    keymemo_put(url, key);
    return true;
}

void api_cover_by_url(struct http_req *r)
{
    /* A hit never leaves the event loop: from a prepared reply, else from the cache file (then prepared). */
    char key[COVER_KEY_LEN + 1];
    if (!by_url_key_or_reply(r, key))
        return;
    uint64_t gen = covers_generation(r->env->covers); /* read before the file is opened (see covers.h) */
    if (serve_prepared(r, key, gen))
        return;
    struct cover_file f;
    if (covers_open_key(r->env->covers, key, &f) == 0) {
        serve_file(r, &f, COVER_FROM_CACHE, key, gen);
        return;
    }
    req_offload(r, cover_by_url_blocking);
}

/* Reads core.comic.coverurl into `out` (malloc'd, caller frees). Returns 0, 404 after replying, or -1 after 503. */
static int comic_cover_url_or_reply(struct http_req *r, const char *id, char **out)
{
    PGconn *c = pgpool_acquire(r->env->pool, 5000);
    if (!c) {
        reply_db_unavailable(r);
        return -1;
    }
    int found = covers_comic_url(c, id, out);
    pgpool_release(r->env->pool, c);
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
    errno = 0;
    long long v = strtoll(id, &end, 10);
    /* digits only, and no ERANGE: 9223372036854775808 saturated to LLONG_MAX and reached PostgreSQL (22003) */
    if (!*id || strspn(id, "0123456789") != strlen(id) || *end || errno || v <= 0) {
        reply_invalid(r, "comicId", "comicId must be a positive integer");
        return;
    }
    char *url = NULL;
    if (comic_cover_url_or_reply(r, id, &url))
        return;
    struct url_parts u;
    struct fetch_result res = {0};
    if (covers_check_url(r->env->covers, url, &u, &res) != COVER_OK)
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
    PGconn *c = pgpool_acquire(r->env->pool, 5000);
    int rc = c ? audit_write(c, &who, "covers.invalidate_cache", NULL, details) : -1;
    pgpool_release(r->env->pool, c);
    json_decref(details);
    return rc;
}

void api_cover_invalidate(struct http_req *r)
{
    int64_t files = 0, bytes = 0;
    if (req_body_empty_or_reply(r)) /* a bad body is a client mistake: nothing is wiped */
        return;
    if (covers_invalidate(r->env->covers, &files, &bytes)) {
        reply_internal(r);
        return;
    }
    log_info("msg=\"cover cache invalidated\" files=%lld bytes=%lld", (long long)files, (long long)bytes);
    if (audit(r, files, bytes))
        log_error("msg=\"cover cache invalidated but the audit row was not written\" files=%lld bytes=%lld",
                  (long long)files, (long long)bytes);
    reply_data(r, 200, json_pack("{s:I,s:I}", "filesDeleted", (json_int_t)files, "bytesFreed", (json_int_t)bytes));
}
