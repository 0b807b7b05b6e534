/*
 * server — one HTTP listener: libmicrohttpd in event-driven mode (internal epoll, a few event-loop threads), a
 * bounded pool of threads for the handlers that block, and the limits a public server needs.
 *
 * Words: the *event loop* is `event_threads` single-threaded libmicrohttpd daemons on one address (SO_REUSEPORT:
 * the kernel spreads connections over them), each with its own epoll set; it reads requests, runs non-blocking
 * routes (ROUTE_NONBLOCKING: health, admin assets, cover cache hits sent with sendfile) and writes every response.
 * A *blocking* route (database, upstream fetch) runs on the *handler pool* while its connection is suspended (no
 * thread waits on the socket); when the pool is full the request is answered 503 + Retry-After at once. Limits: a
 * listener-wide connection cap, a per-client-address cap, a request-head deadline and a keep-alive deadline
 * (conns.h), a body cap, libmicrohttpd's per-connection memory (which bounds the head). A process may run two
 * listeners — private surfaces (admin API and pages, metrics, health) and the public cover routes — each with its
 * own limits, threads and pool, so a flood on one cannot starve the other. It knows nothing above http/: routes,
 * auth settings and the handler context come from its creator (app.c).
 */
#ifndef COMICBATCH_SERVER_H
#define COMICBATCH_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "http/auth.h"
#include "http/router.h"

struct api_env;
struct http_server;
struct metrics;
struct sse_hub;

/** Which routes a listener answers. */
enum http_surface {
    HTTP_SERVE_ALL = 0, /* the only listener: every route */
    HTTP_SERVE_PRIVATE, /* routes without ROUTE_PUBLIC_SURFACE, and the admin pages */
    HTTP_SERVE_PUBLIC,  /* only ROUTE_PUBLIC_SURFACE routes */
};

/** Everything the server needs, borrowed for its lifetime. Times in milliseconds. */
struct http_server_opts {
    const char *name; /* "http", "private" or "public": logs and metrics labels */
    enum http_surface surface;
    const char *setting;          /* the setting that named the address ("server.listen"), for error messages */
    const char *listen_host;      /* IPv4 address */
    int listen_port;              /* 0 = any free port */
    const char *listen_text;      /* as configured, for error messages */
    int64_t max_body;             /* request body cap in bytes */
    int event_threads;            /* event-loop threads (≥ 1) */
    int handler_threads;          /* handler pool threads (≥ 1) */
    int handler_queue;            /* requests that may wait for a handler thread (≥ 0); past it: 503 */
    int max_connections;          /* open connections on this listener; past it new ones wait in the backlog */
    int max_per_client;           /* open connections per client address; 0 = no limit */
    int64_t head_timeout_ms;      /* the first request head must be complete this long after accept */
    int64_t keepalive_timeout_ms; /* the next head must be complete this long after a response; also the idle
                                     timeout while a request is in progress */
    const struct route *routes;
    size_t nroutes;
    struct http_auth auth;
    struct metrics *metrics; /* HTTP requests by route and status, refusals, connections */
    struct sse_hub *sse;     /* event streams this listener serves (may be NULL): closed when it stops */
    struct api_env *env;     /* handed to handlers as r->env; opaque here */
};

/** Starts listening. Returns the server (stop with http_server_destroy) or NULL with `err`. */
struct http_server *http_server_create(const struct http_server_opts *o, char *err, size_t errlen);

/** How long the parts of a listener have been stuck (the watchdog's input); names for the log. */
struct http_stuck {
    int64_t loop_ms; /* the event-loop thread longest inside one callback; 0 = none is in one */
    char loop[80];   /* e.g. "listener=public part=event_loop thread=1" */
    int64_t pool_ms; /* the handler pool: every thread busy and no job started or finished for this long */
    char pool[80];   /* "listener=public part=handler_pool" */
};

/** Fills `out` for `s` at `now_ms` (monotonic). Cheap: a few atomic loads and one lock of the pool. */
void http_server_stuck(struct http_server *s, int64_t now_ms, struct http_stuck *out);

/** The port actually bound (useful when configured as 0). */
int http_server_port(const struct http_server *s);

/**
 * Stops accepting, ends its event streams, lets every request already on the handler pool finish, closes every
 * connection and frees. NULL is a no-op.
 */
void http_server_destroy(struct http_server *s);

/**
 * Raises this process's open-file soft limit to its hard limit (each connection is a descriptor). Returns the soft
 * limit now in force.
 */
long http_raise_fd_limit(void);

/**
 * The connection cap each of `listeners` listeners may use under an open-file limit of `fd_limit`: `wanted`, or
 * less so that the listeners together leave a tenth of the descriptors (at least 256, at most 4096) for everything
 * else (database, cache files being sent, logs). At least 16.
 */
int http_connection_budget(int wanted, long fd_limit, int listeners);

#endif
