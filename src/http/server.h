/*
 * server — the libmicrohttpd daemon: reads bodies up to the configured cap (413 past it), routes, authenticates,
 * calls the handler, counts requests by route and status. One thread per connection, so a handler may block on
 * Postgres or a stream without stalling others. It knows nothing above http/: the route table, the auth settings
 * and the context handed to handlers all come from its creator (app.c).
 */
#ifndef COMICBATCH_SERVER_H
#define COMICBATCH_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "http/auth.h"
#include "http/router.h"

struct app;
struct http_server;
struct metrics;

/** Everything the server needs, borrowed for its lifetime. */
struct http_server_opts {
    const char *listen_host; /* IPv4 address */
    int listen_port;         /* 0 = any free port */
    const char *listen_text; /* as configured, for error messages */
    int64_t max_body;        /* request body cap in bytes */
    const struct route *routes;
    size_t nroutes;
    struct http_auth auth;
    struct metrics *metrics; /* HTTP requests by route and status */
    struct app *app;         /* handed to handlers as r->app; opaque here */
};

/** Starts listening. Returns the server (stop with http_server_destroy) or NULL with `err`. */
struct http_server *http_server_create(const struct http_server_opts *o, char *err, size_t errlen);

/** The port actually bound (useful when configured as 0). */
int http_server_port(const struct http_server *s);

/** Stops accepting, waits for in-flight requests, frees. */
void http_server_destroy(struct http_server *s);

#endif
