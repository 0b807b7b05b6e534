/*
 * reqstats — one listener's count of answered requests by route and status, kept without a lock (one relaxed
 * atomic add per request, on the event loop) and handed to the metrics table as comicbatch_http_requests_total
 * by http_reqstats_publish, once a second from the listener's timer thread (and once more when it stops). A
 * status outside the common set, or a route without a slot, is counted in the metrics table directly.
 */
#ifndef COMICBATCH_HTTP_REQSTATS_H
#define COMICBATCH_HTTP_REQSTATS_H

#include <stddef.h>

struct metrics;
struct http_reqstats;

/** Counters for routes 0..nroutes-1 plus two named slots (HTTP_REQSTATS_UNMATCHED, HTTP_REQSTATS_PAGES). */
struct http_reqstats *http_reqstats_create(size_t nroutes);

/** The slot of requests that matched no route, and of the admin pages. */
#define HTTP_REQSTATS_UNMATCHED ((size_t)-1)
#define HTTP_REQSTATS_PAGES ((size_t)-2)

/** Counts one answer of route `slot` (its index, or a named slot) labelled `route`, with `status`. */
void http_reqstats_count(struct http_reqstats *s, struct metrics *m, size_t slot, const char *route, unsigned status);

/** Adds what was counted since the last call to the metrics table. `routes[i]` labels slot i. */
void http_reqstats_publish(struct http_reqstats *s, struct metrics *m, const char *const *routes);

/** Frees the counters. */
void http_reqstats_destroy(struct http_reqstats *s);

#endif
