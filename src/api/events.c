/*
 * events — the live view of runs the admin pages use: a Server-Sent Events stream of the active runs. The stream is one long response whose content callback blocks (the server runs a thread per
 * connection): it wakes on every run status change (the comicbatch_run notification) or every EVENTS_POLL_MS,
 * since progress updates are plain UPDATEs without a NOTIFY, and sends `event: runs` with the queued and running
 * runs plus those finished in the last EVENTS_RECENT_SECONDS, only when that list changed. A comment line keeps
 * an idle stream alive; the stream ends after EVENTS_MAX_MS (the client reconnects) or when the server stops.
 * A database connection is borrowed per poll, never held between polls, so open tabs do not drain the pool.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "runs/listener.h"
#include "store/runstore.h"
#include "store/pg.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define EVENTS_POLL_MS 500
#define EVENTS_MIN_GAP_MS 150 /* at most one query per this long, however many notifications arrive */
#define EVENTS_HEARTBEAT_MS 15000
#define EVENTS_MAX_MS (5 * 60 * 1000)
#define EVENTS_RECENT_SECONDS 10
#define EVENTS_MAX_RUNS 200

struct stream {
    struct app *app;
    int64_t started_ms, last_write_ms, last_query_ms;
    uint64_t seq;
    char *last_runs; /* the last `runs` payload sent, to skip unchanged ones */
    char *buf;       /* bytes not yet handed to the server */
    size_t len, off;
};

/* The active and recently finished runs as compact JSON (malloc'd), or NULL when the database is unavailable. */
static char *active_runs_json(struct app *app)
{
    PGconn *c = pgpool_acquire(app->pool, 1000);
    if (!c)
        return NULL;
    char *text = runstore_active_json(c, EVENTS_RECENT_SECONDS, EVENTS_MAX_RUNS);
    pgpool_release(app->pool, c);
    return text;
}

static void stream_set(struct stream *s, char *bytes)
{
    free(s->buf);
    s->buf = bytes;
    s->len = strlen(bytes);
    s->off = 0;
    s->last_write_ms = time_mono_ms();
}

/* Waits for a run event or the poll interval, then queues an event if the runs changed, or a heartbeat. */
static void stream_fill(struct stream *s)
{
    if (s->last_query_ms) {
        if (s->app->listener)
            s->seq = listener_wait_run_event(s->app->listener, s->seq, EVENTS_POLL_MS);
        else
            time_sleep_ms(EVENTS_POLL_MS);
        int64_t gap = time_mono_ms() - s->last_query_ms;
        if (gap < EVENTS_MIN_GAP_MS)
            time_sleep_ms(EVENTS_MIN_GAP_MS - gap);
    }
    s->last_query_ms = time_mono_ms();
    char *runs = active_runs_json(s->app);
    if (runs && (!s->last_runs || strcmp(runs, s->last_runs))) {
        size_t n = strlen(runs) + 32;
        char *ev = xmalloc(n);
        snprintf(ev, n, "event: runs\ndata: %s\n\n", runs);
        free(s->last_runs);
        s->last_runs = runs;
        stream_set(s, ev);
        return;
    }
    free(runs);
    if (time_mono_ms() - s->last_write_ms >= EVENTS_HEARTBEAT_MS) {
        char *hb = xstrdup(": keep-alive\n\n");
        stream_set(s, hb);
    }
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct stream *s = cls;
    while (s->off == s->len) {
        if (atomic_load(&s->app->stopping) || time_mono_ms() - s->started_ms >= EVENTS_MAX_MS)
            return MHD_CONTENT_READER_END_OF_STREAM;
        stream_fill(s);
    }
    size_t n = s->len - s->off < max ? s->len - s->off : max;
    memcpy(out, s->buf + s->off, n);
    s->off += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct stream *s = cls;
    free(s->last_runs);
    free(s->buf);
    free(s);
}

void api_batch_events(struct http_req *r)
{
    struct stream *s = xcalloc(1, sizeof *s);
    s->app = r->app;
    s->started_ms = s->last_write_ms = time_mono_ms();
    s->seq = r->app->listener ? listener_run_seq(r->app->listener) : 0;
    /* The first bytes go out at once so the client sees the stream open before the first query. */
    char *hello = xstrdup("retry: 2000\n: connected\n\n");
    stream_set(s, hello);
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, s,
                                                                  stream_free);
    if (!resp) {
        stream_free(s);
        reply_internal(r);
        return;
    }
    MHD_add_response_header(resp, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    r->replied = true;
    r->status = 200;
}
