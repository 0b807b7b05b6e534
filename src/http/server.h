/*
 * server — the libmicrohttpd daemon: reads bodies up to server.max_body (413 past it), routes, authenticates,
 * calls the handler, counts requests by route and status. One thread per connection, so a handler may block on
 * Postgres or a stream without stalling others.
 */
#ifndef COMICBATCH_SERVER_H
#define COMICBATCH_SERVER_H

#include <stddef.h>

struct app;
struct http_server;

/** Starts listening on cfg.listen. Returns the server (stop with http_server_destroy) or NULL with `err`. */
struct http_server *http_server_create(struct app *app, char *err, size_t errlen);

/** The port actually bound (useful when configured as 0). */
int http_server_port(const struct http_server *s);

/** Stops accepting, waits for in-flight requests, frees. */
void http_server_destroy(struct http_server *s);

#endif
