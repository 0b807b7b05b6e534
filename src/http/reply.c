/* reply — see request.h. The single place where responses and the error envelope are made. */
#include "http/request.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/respcache.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* The headers every reply carries. */
static void common_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (!MHD_get_response_header(resp, "Cache-Control"))
        MHD_add_response_header(resp, "Cache-Control", "no-store");
}

void reply_response(struct http_req *r, unsigned status, struct MHD_Response *resp)
{
    if (r->replied) {
        log_error("msg=\"handler replied twice\" route=%s", r->route);
        MHD_destroy_response(resp); /* closes the fd of an fd response */
        return;
    }
    common_headers(resp);
    r->response = resp;
    r->replied = true;
    r->status = status;
}

const struct http_shared *req_cached(struct http_req *r, const char *key, uint64_t gen)
{
    if (!r->cache)
        return NULL;
    http_shared_unref(r->shared);
    r->shared = http_respcache_get(r->cache, key, gen, time_mono_ms());
    return r->shared;
}

void reply_cached(struct http_req *r)
{
    if (r->replied || !r->shared) {
        log_error("msg=\"no cached reply to answer with\" route=%s", r->route);
        if (!r->replied)
            reply_internal(r);
        return;
    }
    r->response = r->shared->resp; /* shared: the server queues it and drops r->shared, never destroys it */
    r->replied = true;
    r->status = r->shared->status;
    r->cork = true;
}

void reply_bytes(struct http_req *r, unsigned status, const char *content_type, const void *buf, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)buf, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", content_type);
    reply_response(r, status, resp);
}

void reply_fd(struct http_req *r, unsigned status, int fd, uint64_t offset, uint64_t size, const char *const *headers)
{
    struct MHD_Response *resp = fd >= 0 ? MHD_create_response_from_fd_at_offset64(size, fd, offset)
                                        : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        if (fd >= 0)
            close(fd);
        reply_internal(r);
        return;
    }
    for (; headers && headers[0] && headers[1]; headers += 2)
        MHD_add_response_header(resp, headers[0], headers[1]);
    bool first = !r->replied;
    reply_response(r, status, resp);
    r->cork = first && fd >= 0;
}

void reply_fd_shared(struct http_req *r, unsigned status, int fd, uint64_t offset, uint64_t size,
                     const char *const *headers, const char *key, const char *tag, uint64_t gen)
{
    if (!r->cache || r->replied || fd < 0) {
        reply_fd(r, status, fd, offset, size, headers);
        return;
    }
    struct MHD_Response *resp = MHD_create_response_from_fd_at_offset64(size, fd, offset);
    if (!resp) {
        close(fd);
        reply_internal(r);
        return;
    }
    for (; headers && headers[0] && headers[1]; headers += 2)
        MHD_add_response_header(resp, headers[0], headers[1]);
    common_headers(resp); /* all of them before it is shared: a shared reply is never changed */
    http_shared_unref(r->shared);
    r->shared = http_respcache_put(r->cache, resp, status, size, key, tag, gen, time_mono_ms());
    reply_cached(r);
}

void reply_json(struct http_req *r, unsigned status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(body);
    if (!text) {
        reply_bytes(r, 500, "application/json", "{\"error\":\"Internal error\",\"code\":\"INTERNAL\"}", 44);
        return;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
    reply_response(r, status, resp);
}

void reply_data(struct http_req *r, unsigned status, json_t *data)
{
    reply_json(r, status, json_pack("{s:o}", "data", data ? data : json_null()));
}

void reply_list(struct http_req *r, json_t *items, json_t *meta)
{
    reply_json(r, 200, json_pack("{s:o,s:o}", "data", items, "meta", meta));
}

void reply_list_text(struct http_req *r, const char *items, json_t *meta)
{
    char *m = json_dumps(meta, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(meta);
    if (!m) {
        reply_internal(r);
        return;
    }
    size_t len = strlen(items) + strlen(m) + sizeof "{\"data\":,\"meta\":}";
    char *text = xmalloc(len);
    int n = snprintf(text, len, "{\"data\":%s,\"meta\":%s}", items, m);
    reply_bytes(r, 200, "application/json; charset=utf-8", text, (size_t)n);
    free(text);
    free(m);
}

static void reply_errorv(struct http_req *r, unsigned status, const char *code, json_t *details, const char *fmt,
                         va_list ap)
{
    char raw[512], msg[512];
    vsnprintf(raw, sizeof raw, fmt, ap);
    utf8_sanitize(raw, msg, sizeof msg); /* a cut character or an echoed invalid byte must not lose the envelope */
    json_t *body = json_pack("{s:s,s:s}", "error", msg, "code", code);
    if (details)
        json_object_set_new(body, "details", details);
    reply_json(r, status, body);
}

void reply_error(struct http_req *r, unsigned status, const char *code, json_t *details, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_errorv(r, status, code, details, fmt, ap);
    va_end(ap);
}

void reply_invalid(struct http_req *r, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_errorv(r, 400, ERR_VALIDATION, json_pack("{s:s}", "field", field), fmt, ap);
    va_end(ap);
}

void reply_busy(struct http_req *r, unsigned retry_after_seconds)
{
    bool first = !r->replied;
    reply_error(r, 503, ERR_UNAVAILABLE, NULL, "The server is busy; try again in %u s", retry_after_seconds);
    char v[16];
    snprintf(v, sizeof v, "%u", retry_after_seconds);
    if (first && r->response)
        MHD_add_response_header(r->response, "Retry-After", v);
}

void req_offload(struct http_req *r, route_handler fn)
{
    r->offload = fn;
}

void reply_internal(struct http_req *r)
{
    reply_error(r, 500, ERR_INTERNAL, NULL, "Internal error; the server log has the details");
}

void reply_db_unavailable(struct http_req *r)
{
    reply_error(r, 503, ERR_UNAVAILABLE, NULL, "The database is unavailable; try again shortly");
}

/* The arguments as libmicrohttpd split them, still percent-encoded (the server's unescape callback leaves them). */
struct args_collect {
    struct http_req *r;
    size_t cap;
    const char *bad; /* the first malformed argument's name, as sent */
    char badbuf[64];
};

static char *decode_or_null(const char *s, size_t len)
{
    char *out = xmalloc(len + 1);
    if (router_decode(s, len, out) < 0) {
        free(out);
        return NULL;
    }
    return out;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                   const char *value, size_t value_size)
{
    (void)kind;
    struct args_collect *a = cls;
    struct http_req *r = a->r;
    char *name = decode_or_null(key, key_size);
    char *val = value ? decode_or_null(value, value_size) : NULL;
    if (!name || (value && !val)) {
        utf8_sanitize(name ? name : "", a->badbuf, sizeof a->badbuf);
        a->bad = a->badbuf;
        free(name);
        free(val);
        return MHD_NO;
    }
    if (r->nargs == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 8;
        r->args = xrealloc(r->args, a->cap * sizeof *r->args);
    }
    r->args[r->nargs++] = (struct http_arg){name, val};
    return MHD_YES;
}

int req_args_or_reply(struct http_req *r)
{
    struct args_collect a = {.r = r};
    MHD_get_connection_values_n(r->conn, MHD_GET_ARGUMENT_KIND, collect_arg, &a);
    if (!a.bad)
        return 0;
    if (a.bad[0])
        reply_invalid(r, a.bad, "Query parameter %s must be percent-encoded UTF-8 text without NUL", a.bad);
    else
        reply_invalid(r, "query", "The query string must be percent-encoded UTF-8 text without NUL");
    return -1;
}

void req_args_free(struct http_req *r)
{
    for (size_t i = 0; i < r->nargs; i++) {
        free(r->args[i].name);
        free(r->args[i].value);
    }
    free(r->args);
    r->args = NULL;
    r->nargs = 0;
}

int req_query_int_or_reply(struct http_req *r, const char *name, int dflt, int lo, int hi, int *out)
{
    const char *v = req_query(r, name);
    *out = dflt;
    if (!v)
        return 0;
    const char *digits = v[0] == '-' && lo < 0 ? v + 1 : v;
    errno = 0;
    char *end;
    long n = strtol(v, &end, 10);
    /* only [-]digits: strtol would also take spaces and a '+' before, and saturate on overflow */
    if (!*digits || strspn(digits, "0123456789") != strlen(digits) || *end || errno || n < lo || n > hi) {
        reply_invalid(r, name, "%s must be an integer from %d to %d", name, lo, hi);
        return -1;
    }
    *out = (int)n;
    return 0;
}

const char *req_query(struct http_req *r, const char *name)
{
    for (size_t i = 0; i < r->nargs; i++)
        if (!strcmp(r->args[i].name, name))
            return r->args[i].value;
    return NULL;
}

const char *req_header(struct http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_param(struct http_req *r, const char *name)
{
    return router_param(&r->match, name);
}

const char *req_actor(const struct http_req *r, char *buf, size_t len)
{
    if (r->principal.kind == PRINCIPAL_SESSION)
        snprintf(buf, len, "user:%s", r->principal.userid);
    else
        snprintf(buf, len, "admin-token");
    return buf;
}

json_t *req_body_object_or_reply(struct http_req *r)
{
    if (r->body_len == 0)
        return json_object();
    json_error_t e;
    /* JSON_DECODE_ANY: `null` or `123` is JSON, just not an object; say so instead of "not valid JSON" */
    json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    if (!j) {
        reply_error(r, 400, ERR_VALIDATION, json_pack("{s:i,s:i}", "line", e.line, "column", e.column),
                    "Request body is not valid JSON: %s", e.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        reply_error(r, 400, ERR_VALIDATION, NULL, "Request body must be a JSON object");
        return NULL;
    }
    return j;
}

int req_body_empty_or_reply(struct http_req *r)
{
    json_t *body = req_body_object_or_reply(r);
    if (!body)
        return -1;
    const char *k = json_object_iter_key(json_object_iter(body));
    if (k)
        reply_invalid(r, k, "unknown field \"%s\" (this action takes no fields)", k);
    json_decref(body);
    return k ? -1 : 0;
}
