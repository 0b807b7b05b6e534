/* crawler_events — see crawler_events.h. */
#include "jobs/crawler_events.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "jobs/crawler_health.h"
#include "runs/listener.h"
#include "store/pg.h"
#include "util/log.h"
#include "util/timefmt.h"

#define QUEUE_MAX 4096        /* ids waiting; past it the next pass processes every pending job instead */
#define CATCH_UP_EVERY_MS 60000
#define RETRY_AFTER_MS 2000

struct crawler_events {
    struct app *app;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping;
    bool catch_up; /* process every pending job (start, overflow, periodic) */
    long long ids[QUEUE_MAX];
    int n;
};

/* Listener thread: queue the id and wake ours. No SQL here. */
static void on_notify(struct app *app, const char *channel, const char *payload, void *arg)
{
    struct crawler_events *ev = arg;
    char *end;
    long long id = payload ? strtoll(payload, &end, 10) : 0;
    pthread_mutex_lock(&ev->mu);
    if (id > 0 && *end == '\0' && ev->n < QUEUE_MAX)
        ev->ids[ev->n++] = id;
    else
        ev->catch_up = true;
    pthread_cond_signal(&ev->cv);
    pthread_mutex_unlock(&ev->mu);
}

/* Waits for work; returns false when stopping. Moves the queued ids into `ids` (*n) and the catch-up flag. */
static bool take_work(struct crawler_events *ev, long long *ids, int *n, bool *all, int64_t wait_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&ev->mu);
    while (!ev->stopping && !ev->n && !ev->catch_up)
        if (pthread_cond_timedwait(&ev->cv, &ev->mu, &until))
            break;
    bool go = !ev->stopping;
    memcpy(ids, ev->ids, (size_t)ev->n * sizeof *ids);
    *n = ev->n;
    *all = ev->catch_up;
    ev->n = 0;
    ev->catch_up = false;
    pthread_mutex_unlock(&ev->mu);
    return go;
}

/* Puts work back after a failure (the pending marks are still there: the catch-up pass finds them). */
static void requeue(struct crawler_events *ev)
{
    pthread_mutex_lock(&ev->mu);
    ev->catch_up = true;
    pthread_mutex_unlock(&ev->mu);
}

static void process(struct crawler_events *ev, PGconn **db, const long long *ids, int n, bool all)
{
    if (!*db || PQstatus(*db) != CONNECTION_OK) {
        PQfinish(*db);
        char err[512];
        if (!(*db = pg_connect(ev->app->cfg.database_url, "comicbatch-crawler-events", err, sizeof err))) {
            log_warn("msg=\"crawler events: cannot connect\" error=\"%s\"", err);
            requeue(ev);
            time_sleep_ms(RETRY_AFTER_MS);
            return;
        }
    }
    struct health_result res;
    char err[512];
    if (crawler_health_apply_events(*db, all ? NULL : ids, all ? 0 : n, &res, err, sizeof err)) {
        log_warn("msg=\"crawler events: update failed; will retry\" error=\"%s\"", err);
        requeue(ev);
        time_sleep_ms(RETRY_AFTER_MS);
        return;
    }
    if (res.jobs) {
        metrics_add(&ev->app->metrics, "comicbatch_event_recalcs_total", "kind=\"crawler\"", (double)res.jobs);
        log_info("msg=\"crawler health events\" jobs=%lld sources=%lld disabled=%lld", (long long)res.jobs,
                 (long long)res.sources, (long long)res.disabled);
    }
}

static void *events_main(void *arg)
{
    struct crawler_events *ev = arg;
    PGconn *db = NULL;
    long long *ids = malloc(QUEUE_MAX * sizeof *ids);
    if (!ids)
        abort();
    int64_t last_catch_up = time_mono_ms();
    for (;;) {
        int n;
        bool all;
        int64_t now = time_mono_ms(), left = CATCH_UP_EVERY_MS - (now - last_catch_up);
        if (!take_work(ev, ids, &n, &all, left > 0 ? left : 0))
            break;
        if (time_mono_ms() - last_catch_up >= CATCH_UP_EVERY_MS)
            all = true;
        if (all)
            last_catch_up = time_mono_ms();
        if (n || all)
            process(ev, &db, ids, n, all);
    }
    free(ids);
    PQfinish(db);
    return NULL;
}

struct crawler_events *crawler_events_create(struct app *app, struct listener *l, char *err, size_t errlen)
{
    struct crawler_events *ev = calloc(1, sizeof *ev);
    if (!ev)
        abort();
    ev->app = app;
    ev->catch_up = true; /* events sent while no daemon listened */
    pthread_mutex_init(&ev->mu, NULL);
    pthread_cond_init(&ev->cv, NULL);
    if (listener_subscribe(l, CRAWLER_EVENTS_CHANNEL, on_notify, ev)) {
        snprintf(err, errlen, "cannot subscribe to %s", CRAWLER_EVENTS_CHANNEL);
        crawler_events_destroy(ev);
        return NULL;
    }
    if (pthread_create(&ev->thread, NULL, events_main, ev)) {
        snprintf(err, errlen, "cannot start the crawler events thread");
        crawler_events_destroy(ev);
        return NULL;
    }
    ev->started = true;
    return ev;
}

void crawler_events_destroy(struct crawler_events *ev)
{
    if (!ev)
        return;
    pthread_mutex_lock(&ev->mu);
    ev->stopping = true;
    pthread_cond_signal(&ev->cv);
    pthread_mutex_unlock(&ev->mu);
    if (ev->started)
        pthread_join(ev->thread, NULL);
    pthread_cond_destroy(&ev->cv);
    pthread_mutex_destroy(&ev->mu);
    free(ev);
}
