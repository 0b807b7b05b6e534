/*
 * router — matches a method and path against a table of routes with `:name` segments. Pure (no HTTP library):
 * unit-tested and fuzzed on its own. Paths are matched segment by segment; a trailing slash is ignored; segments
 * are percent-decoded before they are handed out as params.
 */
#ifndef COMICBATCH_ROUTER_H
#define COMICBATCH_ROUTER_H

#include <stddef.h>

#define ROUTER_MAX_PARAMS 4
#define ROUTER_MAX_PATH 2048
#define ROUTER_MAX_PARAM_LEN 256

struct route_match {
    int nparams;
    const char *names[ROUTER_MAX_PARAMS]; /* borrowed from the pattern table (points at the name after ':') */
    size_t namelens[ROUTER_MAX_PARAMS];
    char values[ROUTER_MAX_PARAMS][ROUTER_MAX_PARAM_LEN]; /* decoded, NUL-terminated */
};

struct http_req;

/** What answers a route: called once per request with the params matched (see http/request.h). */
typedef void (*route_handler)(struct http_req *r);

/** Who may call a route: anyone, or an admin (DESIGN §1 auth: the admin token or an admin's session). */
enum route_access { ROUTE_PUBLIC = 0, ROUTE_ADMIN = 1 };

/** How a route runs and where it is served: bits of struct route.flags (0 = a blocking private route). */
enum route_flags {
    /* The handler never blocks (no database, no upstream): it runs on the event loop. It may hand the request to
     * the handler pool with req_offload when it finds blocking work after all. Only ROUTE_PUBLIC routes. */
    ROUTE_NONBLOCKING = 1 << 0,
    /* Part of the public surface (cover images): served on [server] public_listen when one is configured; every
     * other route is then served only on [server] listen. */
    ROUTE_PUBLIC_SURFACE = 1 << 1,
};

/**
 * One route: `pattern` like "/api/v1/admin/batch/jobs/:jobKey/run". `data` is the handler's own argument (e.g. the
 * job key a trigger endpoint enqueues), handed to it as r->route_data; the matcher itself looks only at method and
 * pattern. `flags` are enum route_flags bits.
 */
struct route {
    const char *method;
    const char *pattern;
    const void *data;
    route_handler handler;
    enum route_access access;
    unsigned flags;
};

enum router_result { ROUTER_FOUND = 0, ROUTER_NOT_FOUND = -1, ROUTER_METHOD_NOT_ALLOWED = -2, ROUTER_BAD_PATH = -3 };

/**
 * Finds the route for `method` + `path` (no query string) among `routes[0..n)`. On ROUTER_FOUND sets `*index` and
 * fills `m`. ROUTER_METHOD_NOT_ALLOWED when the path matches only with other methods; ROUTER_BAD_PATH when the path
 * is too long, a param is too long, or percent-encoding is malformed, decodes to NUL (anywhere in the path) or to
 * text that is not UTF-8, or decodes to '/' inside a param. `path` is the path as the client sent it: it is
 * decoded here, once (the server tells libmicrohttpd not to decode it).
 */
enum router_result router_match(const struct route *routes, size_t n, const char *method, const char *path,
                                size_t *index, struct route_match *m);

/**
 * Percent-decodes in[0..len) into `out` (room for len + 1 bytes), NUL-terminated. Returns the decoded length, or
 * -1 when an escape is malformed, the text decodes to a NUL, or it is not valid UTF-8.
 */
long router_decode(const char *in, size_t len, char *out);

/**
 * Writes the methods that `path` matches among `routes[0..n)` into buf (cap `len`) as an Allow header value, e.g.
 * "GET, HEAD, POST" (HEAD wherever GET is). Returns how many were written.
 */
size_t router_allowed(const struct route *routes, size_t n, const char *path, char *buf, size_t len);

/** The value of param `name` in `m`, or NULL. Borrowed from `m`. */
const char *router_param(const struct route_match *m, const char *name);

#endif
