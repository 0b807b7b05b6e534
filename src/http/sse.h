/*
 * sse — Server-Sent Events streams written from events, not from a thread per client.
 *
 * Words: a *hub* is one feed that many clients follow; a *stream* is one client's open text/event-stream response.
 * The hub carries the latest *state* (one complete event, e.g. "event: runs\ndata: […]\n\n"): a producer thread
 * offers it whenever it may have changed, and the hub appends it to every stream that has not had that exact text
 * yet (so a new client gets the current state once, and an unchanged state is sent to nobody). Each stream has a
 * bounded buffer of bytes not yet written; the event loop writes from it, and when it is empty the stream *parks*:
 * the reader callback suspends the connection (no thread, no polling) until the hub appends and resumes it.
 * A comment line keeps an idle stream alive (heartbeat); a stream ends after a maximum age (the client
 * reconnects) or when its client stops reading (its backlog would pass the bound).
 *
 * Lock order: libmicrohttpd's response lock (held around the reader callback) → hub->mu → libmicrohttpd's
 * connection lock (inside suspend/resume). The producer takes only hub->mu (and, inside resume, the last one).
 * Shutdown: sse_hub_close ends every stream and resumes the parked ones, and no stream parks after it, so a
 * server may then stop (libmicrohttpd refuses to stop with suspended connections).
 */
#ifndef COMICBATCH_HTTP_SSE_H
#define COMICBATCH_HTTP_SSE_H

#include <stddef.h>
#include <stdint.h>

#include "http/request.h"

struct sse_hub;

struct sse_hub_opts {
    int64_t heartbeat_ms;            /* a comment line after this long without a write */
    int64_t max_age_ms;              /* a stream ends after this long (the client reconnects) */
    size_t max_backlog;              /* unsent bytes per stream past which the stream ends (its client does not read) */
    void (*on_subscribe)(void *arg); /* called (outside the hub lock) when a stream opens: wake the producer */
    void *arg;
};

/** Creates a hub. Destroy it after every server that served its streams is destroyed. */
struct sse_hub *sse_hub_create(const struct sse_hub_opts *o);

/**
 * Answers `r` with 200 text/event-stream subscribed to `hub`; `hello` (e.g. "retry: 2000\n\n") is its first
 * bytes. Answers 503 when the hub is closed.
 */
void reply_sse(struct http_req *r, struct sse_hub *hub, const char *hello);

/** Streams open now. */
int sse_hub_subscribers(struct sse_hub *hub);

/** Offers the current state (`event`, a complete event block): sent to every stream that has not had this text. */
void sse_hub_offer(struct sse_hub *hub, const char *event, int64_t now_ms);

/** Heartbeats streams idle for heartbeat_ms and ends those older than max_age_ms, as of `now_ms`. */
void sse_hub_tick(struct sse_hub *hub, int64_t now_ms);

/** Ends every stream (after what is buffered) and answers 503 to new ones. Idempotent. */
void sse_hub_close(struct sse_hub *hub);

/** Frees the hub (closing it first). No stream may remain: destroy the servers first. */
void sse_hub_destroy(struct sse_hub *hub);

#endif
