/*
 * conns — the connection registry of one listener: every open connection, the per-client limit, and the deadlines
 * libmicrohttpd does not enforce.
 *
 * Words: a connection is *awaiting a head* from its accept until its first request head is complete, and again
 * from the end of each response until the next head is complete (keep-alive). While awaiting, it carries an
 * absolute *deadline*: accept + head_timeout for the first request, response end + keepalive_timeout for later
 * ones. libmicrohttpd's own connection timeout is an idle timeout that every received byte resets, so a client
 * trickling one byte a second (slowloris) would survive it forever; the deadline here is fixed when the wait
 * starts and no byte moves it. A *sweep* shuts down (shutdown(2), SHUT_RDWR) every socket whose deadline has
 * passed; libmicrohttpd then reads end-of-file and closes the connection itself. A sweep runs every tick on the
 * registry's own timer thread (http_conns_start); tests call http_conns_sweep with a pinned `now`.
 *
 * Safety of shutting down a socket libmicrohttpd owns: a connection leaves the registry (http_conns_close, from
 * libmicrohttpd's "closed" notification, which comes before it closes the descriptor) under the same lock a sweep
 * holds, so a sweep never touches a descriptor number that has been closed and reused. A head that completes
 * while a sweep looks at it is decided by one compare-and-swap on the deadline: whichever comes first wins.
 */
#ifndef COMICBATCH_HTTP_CONNS_H
#define COMICBATCH_HTTP_CONNS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct sockaddr;
struct http_conns;

/** One connection, from libmicrohttpd's "started" to its "closed" notification. Owned by the registry. */
struct http_conn {
    int fd;
    atomic_llong deadline_ms; /* monotonic ms; 0 = not awaiting a head (a request is in progress) */
    atomic_bool kept_alive;   /* a response has ended: the deadline is a keep-alive one */
    atomic_bool in_body;      /* a head is complete: the deadline is the body's (request not yet complete) */
    bool counted;             /* holds a per-client slot */
    bool refused;             /* over the per-client limit: shut down at once */
    unsigned char key[16];    /* client key (limits.h) when counted */
    struct http_conn *prev, *next;
};

/** What the registry enforces. Times in milliseconds. */
struct http_conns_opts {
    const char *name;             /* listener name for logs and metrics ("public", "private", "http") */
    int64_t head_timeout_ms;      /* first request head complete within this of accept */
    int64_t keepalive_timeout_ms; /* next request head complete within this of the previous response's end */
    int64_t body_timeout_ms;      /* a request's body complete within this of its head; 0 = no deadline */
    uint32_t per_client;          /* connections per client address; 0 = no limit */
    int max_connections;          /* the listener's connection limit (sizes the client table) */
    void (*on_tick)(void *arg);   /* optional: called by the timer thread after each sweep (metrics) */
    void *arg;
};

/** Counts of what the registry did, for metrics. */
struct http_conns_stats {
    int64_t open;               /* connections now */
    int64_t refused_per_client; /* refused: over the per-client limit (cumulative) */
    int64_t head_timeouts;      /* shut down: first head not complete in time (cumulative) */
    int64_t keepalive_timeouts; /* shut down: idle or next head not complete in time (cumulative) */
    int64_t body_timeouts;      /* shut down: a head arrived, its body not complete in time (cumulative) */
};

/** Creates an empty registry (no thread yet). Destroy with http_conns_destroy. */
struct http_conns *http_conns_create(const struct http_conns_opts *o);

/** Starts the timer thread that sweeps every `tick_ms`. Returns 0 or -1. */
int http_conns_start(struct http_conns *cs, int tick_ms);

/**
 * Registers an accepted connection at `now_ms` and returns it (never NULL). When its client is over the
 * per-client limit the connection comes back with `refused` set and its socket already shut down.
 */
struct http_conn *http_conns_open(struct http_conns *cs, int fd, const struct sockaddr *peer, int64_t now_ms);

/** Removes and frees `c` (libmicrohttpd's "closed" notification, before the descriptor is closed). */
void http_conns_close(struct http_conns *cs, struct http_conn *c);

/**
 * A request head is complete at `now_ms`: its body (if any) must be complete by now + body_timeout_ms, however
 * slowly it trickles in (a deadline, not an idle timeout).
 */
void http_conn_head_received(struct http_conns *cs, struct http_conn *c, int64_t now_ms);

/** A request is complete (head and body): no deadline while it is handled. */
void http_conn_request_received(struct http_conn *c);

/** A response ended at `now_ms`: the connection awaits its next head (keep-alive deadline). */
void http_conn_response_done(struct http_conns *cs, struct http_conn *c, int64_t now_ms);

/** Shuts down every connection whose deadline is at or before `now_ms`. Returns how many. */
int http_conns_sweep(struct http_conns *cs, int64_t now_ms);

/** A snapshot of the counters. */
struct http_conns_stats http_conns_stats(struct http_conns *cs);

/** Stops the timer thread and frees the registry (every connection must have been closed). */
void http_conns_destroy(struct http_conns *cs);

#endif
