/*
 * events — the live view of runs the admin pages use: a Server-Sent Events stream of the active runs, written from
 * events (http/sse.h), not from a thread per client. One *feed* thread serves every open stream: it wakes on a run
 * status change (the comicbatch_run notification, subscribed by app.c), on a new stream, or every EVENTS_POLL_MS
 * (progress updates are plain UPDATEs without a NOTIFY), runs ONE query for all streams, and offers the result as
 * the hub's state: `event: runs` with the queued and running runs plus those finished in the last
 * EVENTS_RECENT_SECONDS, sent to each stream only when it differs from what that stream last got. Between
 * events a stream's connection is suspended (no thread, no poll). A comment line keeps an idle stream alive; a
 * stream ends after EVENTS_MAX_MS (the client reconnects and is authenticated again) or when the server stops. The feed queries only while
 * some stream is open, at most once per EVENTS_MIN_GAP_MS, and borrows a pool connection per query.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_env.h"
#include "http/sse.h"
#include "store/pg.h"
#include "store/runstore.h"
#include "util/bgthread.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define EVENTS_POLL_MS 500
#define EVENTS_MIN_GAP_MS 150     /* at most one query per this long, however many notifications arrive */
#define EVENTS_IDLE_WAIT_MS 60000 /* no stream open: sleep until one opens */
#define EVENTS_HEARTBEAT_MS 15000
/* A stream ends after this long and the client reconnects, which checks its token again: a revoked or expired
 * session, a user who lost the admin role or an admin token changed by a reload loses the feed within this bound
 * (the pages reconnect at once, seamlessly). */
#define EVENTS_MAX_MS (30 * 1000)
#define EVENTS_MAX_BACKLOG (2u << 20) /* unsent bytes per stream before it is ended (its client stopped reading) */
#define EVENTS_RECENT_SECONDS 10
#define EVENTS_MAX_RUNS 200

struct events_feed {
    struct api_env *env;
    struct sse_hub *hub;
    struct bgthread bg;
};

/* The active and recently finished runs as compact JSON (malloc'd), or NULL when the database is unavailable. */
static char *active_runs_json(struct api_env *env)
{
    PGconn *c = pgpool_acquire(env->pool, 1000);
    if (!c)
        return NULL;
    char *text = runstore_active_json(c, EVENTS_RECENT_SECONDS, EVENTS_MAX_RUNS);
    pgpool_release(env->pool, c);
    return text;
}

/* One query for every open stream; the hub sends it to those it is new to. */
static void publish(struct events_feed *f)
{
    char *runs = active_runs_json(f->env);
    if (!runs)
        return; /* database unavailable: the streams keep their last state (and heartbeats) */
    size_t n = strlen(runs) + 32;
    char *ev = xmalloc(n);
    snprintf(ev, n, "event: runs\ndata: %s\n\n", runs);
    sse_hub_offer(f->hub, ev, time_mono_ms());
    free(ev);
    free(runs);
}

static void *feed_main(void *arg)
{
    struct events_feed *f = arg;
    int64_t last_query = -EVENTS_MIN_GAP_MS;
    for (unsigned seen; bgthread_begin(&f->bg, &seen);) {
        if (sse_hub_subscribers(f->hub) == 0) {
            bgthread_wait(&f->bg, seen, EVENTS_IDLE_WAIT_MS);
            continue;
        }
        int64_t gap = time_mono_ms() - last_query;
        if (gap < EVENTS_MIN_GAP_MS && !bgthread_sleep(&f->bg, (int)(EVENTS_MIN_GAP_MS - gap)))
            break;
        last_query = time_mono_ms();
        publish(f);
        sse_hub_tick(f->hub, time_mono_ms());
        bgthread_wait(&f->bg, seen, EVENTS_POLL_MS);
    }
    return NULL;
}

static void wake_feed(void *arg)
{
    bgthread_wake(&((struct events_feed *)arg)->bg);
}

struct events_feed *events_feed_create(struct api_env *env)
{
    struct events_feed *f = xcalloc(1, sizeof *f);
    f->env = env;
    bgthread_init(&f->bg);
    struct sse_hub_opts o = {.heartbeat_ms = EVENTS_HEARTBEAT_MS,
                             .max_age_ms = EVENTS_MAX_MS,
                             .max_backlog = EVENTS_MAX_BACKLOG,
                             .on_subscribe = wake_feed,
                             .arg = f};
    f->hub = sse_hub_create(&o);
    if (bgthread_start(&f->bg, 1, feed_main, f)) {
        events_feed_destroy(f);
        return NULL;
    }
    return f;
}

struct sse_hub *events_feed_hub(struct events_feed *f)
{
    return f ? f->hub : NULL;
}

void events_feed_on_run(const char *channel, const char *payload, void *arg)
{
    wake_feed(arg);
}

void events_feed_destroy(struct events_feed *f)
{
    if (!f)
        return;
    bgthread_stop(&f->bg);
    bgthread_finish(&f->bg);
    sse_hub_destroy(f->hub);
    free(f);
}

void api_batch_events(struct http_req *r)
{
    struct sse_hub *hub = events_feed_hub(r->env->events);
    if (!hub) {
        reply_error(r, 503, ERR_UNAVAILABLE, NULL, "The event feed is not running");
        return;
    }
    /* The first bytes go out at once so the client sees the stream open before the first query. */
    reply_sse(r, hub, "retry: 2000\n: connected\n\n");
}
