/* sse — see sse.h. */
#include "http/sse.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/timefmt.h"
#include "util/xalloc.h"

#define SSE_BLOCK 16384 /* bytes libmicrohttpd asks for per reader call */
#define SSE_HEARTBEAT ": keep-alive\n\n"

struct sse_stream {
    struct sse_hub *hub;
    struct MHD_Connection *conn;
    char *buf; /* unsent bytes are buf[off..len) */
    size_t len, off, cap;
    uint64_t version; /* the hub state this stream has had (0 = none) */
    int64_t started_ms, last_write_ms;
    bool parked; /* its connection is suspended by the reader, waiting for bytes */
    bool ended;  /* no more bytes will be appended; the stream ends once buf is drained */
    struct sse_stream *prev, *next;
};

struct sse_hub {
    struct sse_hub_opts o;
    pthread_mutex_t mu; /* guards everything below and every stream's fields */
    struct sse_stream *head;
    int n;
    char *state;      /* the latest offered event, owned */
    uint64_t version; /* bumped when state changes */
    bool closed;
};

struct sse_hub *sse_hub_create(const struct sse_hub_opts *o)
{
    struct sse_hub *h = xcalloc(1, sizeof *h);
    h->o = *o;
    pthread_mutex_init(&h->mu, NULL);
    return h;
}

/* Caller holds mu. Resumes the stream's connection if the reader parked it. */
static void wake(struct sse_stream *s)
{
    if (s->parked) {
        s->parked = false;
        MHD_resume_connection(s->conn);
    }
}

/* Caller holds mu. Appends bytes, or ends the stream when its client has fallen too far behind. */
static void append(struct sse_stream *s, const char *bytes, size_t n, int64_t now_ms)
{
    if (s->ended)
        return;
    if (s->len - s->off + n > s->hub->o.max_backlog) {
        s->ended = true;
        wake(s);
        return;
    }
    if (s->off) {
        memmove(s->buf, s->buf + s->off, s->len - s->off);
        s->len -= s->off;
        s->off = 0;
    }
    if (s->len + n > s->cap) {
        s->cap = s->len + n > 2 * s->cap ? s->len + n : 2 * s->cap;
        s->buf = xrealloc(s->buf, s->cap);
    }
    memcpy(s->buf + s->len, bytes, n);
    s->len += n;
    s->last_write_ms = now_ms;
    wake(s);
}

/* libmicrohttpd's reader, on the event loop: buffered bytes, end of stream, or park until there are bytes. */
static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct sse_stream *s = cls;
    struct sse_hub *h = s->hub;
    pthread_mutex_lock(&h->mu);
    if (s->off < s->len) {
        size_t n = s->len - s->off < max ? s->len - s->off : max;
        memcpy(out, s->buf + s->off, n);
        s->off += n;
        pthread_mutex_unlock(&h->mu);
        return (ssize_t)n;
    }
    if (s->ended || h->closed) {
        pthread_mutex_unlock(&h->mu);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    s->parked = true;
    MHD_suspend_connection(s->conn); /* under mu: the hub cannot resume before this suspend */
    pthread_mutex_unlock(&h->mu);
    return 0;
}

/* libmicrohttpd's free callback: the response is gone (sent, or its connection closed). */
static void stream_free(void *cls)
{
    struct sse_stream *s = cls;
    struct sse_hub *h = s->hub;
    pthread_mutex_lock(&h->mu);
    if (s->prev)
        s->prev->next = s->next;
    else
        h->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    h->n--;
    pthread_mutex_unlock(&h->mu);
    free(s->buf);
    free(s);
}

/* Links a new stream into the hub, or returns NULL when the hub is closed. */
static struct sse_stream *subscribe(struct sse_hub *h, struct MHD_Connection *conn, const char *hello)
{
    struct sse_stream *s = xcalloc(1, sizeof *s);
    s->hub = h;
    s->conn = conn;
    s->started_ms = s->last_write_ms = time_mono_ms();
    pthread_mutex_lock(&h->mu);
    if (h->closed) {
        pthread_mutex_unlock(&h->mu);
        free(s);
        return NULL;
    }
    append(s, hello, strlen(hello), s->started_ms);
    s->next = h->head;
    if (h->head)
        h->head->prev = s;
    h->head = s;
    h->n++;
    pthread_mutex_unlock(&h->mu);
    return s;
}

void reply_sse(struct http_req *r, struct sse_hub *hub, const char *hello)
{
    struct sse_stream *s = subscribe(hub, r->conn, hello);
    if (!s) {
        reply_error(r, 503, ERR_UNAVAILABLE, NULL, "The server is stopping; reconnect shortly");
        return;
    }
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_BLOCK, stream_read, s,
                                                                  stream_free);
    if (!resp) {
        stream_free(s);
        reply_internal(r);
        return;
    }
    MHD_add_response_header(resp, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    reply_response(r, 200, resp);
    if (hub->o.on_subscribe)
        hub->o.on_subscribe(hub->o.arg);
}

int sse_hub_subscribers(struct sse_hub *h)
{
    pthread_mutex_lock(&h->mu);
    int n = h->n;
    pthread_mutex_unlock(&h->mu);
    return n;
}

void sse_hub_offer(struct sse_hub *h, const char *event, int64_t now_ms)
{
    pthread_mutex_lock(&h->mu);
    if (!h->state || strcmp(h->state, event)) {
        free(h->state);
        h->state = xstrdup(event);
        h->version++;
    }
    size_t n = strlen(h->state);
    for (struct sse_stream *s = h->head; s; s = s->next)
        if (s->version != h->version) {
            s->version = h->version;
            append(s, h->state, n, now_ms);
        }
    pthread_mutex_unlock(&h->mu);
}

void sse_hub_tick(struct sse_hub *h, int64_t now_ms)
{
    pthread_mutex_lock(&h->mu);
    for (struct sse_stream *s = h->head; s; s = s->next) {
        if (s->ended)
            continue;
        if (now_ms - s->started_ms >= h->o.max_age_ms) {
            s->ended = true;
            wake(s);
        } else if (now_ms - s->last_write_ms >= h->o.heartbeat_ms) {
            append(s, SSE_HEARTBEAT, sizeof SSE_HEARTBEAT - 1, now_ms);
        }
    }
    pthread_mutex_unlock(&h->mu);
}

void sse_hub_close(struct sse_hub *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->closed = true;
    for (struct sse_stream *s = h->head; s; s = s->next) {
        s->ended = true;
        wake(s);
    }
    pthread_mutex_unlock(&h->mu);
}

void sse_hub_destroy(struct sse_hub *h)
{
    if (!h)
        return;
    sse_hub_close(h);
    pthread_mutex_destroy(&h->mu);
    free(h->state);
    free(h);
}
