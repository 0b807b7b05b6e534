/* crawler_events — see crawler_events.h. */
#include "runs/crawler_events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jobs/crawler_health.h"
#include "store/pg.h"
#include "util/bgthread.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define QUEUE_MAX 4096 /* ids waiting; past it the next pass processes every pending job instead */
#define CATCH_UP_EVERY_MS 60000
#define RETRY_AFTER_MS 2000

struct crawler_events {
    const struct config *cfg;
    struct metrics *metrics;
    struct bgthread thread; /* its mu guards the queue below */
    bool catch_up;          /* process every pending job (start, overflow, periodic) */
    long long ids[QUEUE_MAX];
    int n;
};

void crawler_events_on_notify(const char *channel, const char *payload, void *arg)
{
    struct crawler_events *ev = arg;
    char *end;
    long long id = payload ? strtoll(payload, &end, 10) : 0;
    pthread_mutex_lock(&ev->thread.mu);
    if (id > 0 && *end == '\0' && ev->n < QUEUE_MAX)
        ev->ids[ev->n++] = id;
    else
        ev->catch_up = true;
    bgthread_wake_locked(&ev->thread);
    pthread_mutex_unlock(&ev->thread.mu);
}

/* Moves the queued ids into `ids` (*n) and the catch-up flag into *all. */
static void take_work(struct crawler_events *ev, long long *ids, int *n, bool *all)
{
    pthread_mutex_lock(&ev->thread.mu);
    memcpy(ids, ev->ids, (size_t)ev->n * sizeof *ids);
    *n = ev->n;
    *all = ev->catch_up;
    ev->n = 0;
    ev->catch_up = false;
    pthread_mutex_unlock(&ev->thread.mu);
}

/* Puts work back after a failure (the pending marks are still there: the catch-up pass finds them). */
static void requeue(struct crawler_events *ev)
{
    pthread_mutex_lock(&ev->thread.mu);
    ev->catch_up = true;
    pthread_mutex_unlock(&ev->thread.mu);
    bgthread_sleep(&ev->thread, RETRY_AFTER_MS);
}

static void process(struct crawler_events *ev, PGconn **db, const long long *ids, int n, bool all)
{
    char err[512];
    if (!*db || PQstatus(*db) != CONNECTION_OK) {
        PQfinish(*db);
        if (!(*db = pg_connect(ev->cfg->database_url, "comicbatch-crawler-events", err, sizeof err))) {
            log_warn("msg=\"crawler events: cannot connect\" error=\"%s\"", err);
            requeue(ev);
            return;
        }
    }
    struct health_result res;
    if (crawler_health_apply_events(*db, all ? NULL : ids, all ? 0 : n, &res, err, sizeof err)) {
        log_warn("msg=\"crawler events: update failed; will retry\" error=\"%s\"", err);
        requeue(ev);
        return;
    }
    if (res.jobs) {
        metrics_add(ev->metrics, "comicbatch_event_recalcs_total", "kind=\"crawler\"", (double)res.jobs);
        log_info("msg=\"crawler health events\" jobs=%lld sources=%lld disabled=%lld", (long long)res.jobs,
                 (long long)res.sources, (long long)res.disabled);
    }
}

static void *events_main(void *arg)
{
    struct crawler_events *ev = arg;
    PGconn *db = NULL;
    long long *ids = xmalloc(QUEUE_MAX * sizeof *ids);
    int64_t last_catch_up = time_mono_ms();
    unsigned seen;
    while (bgthread_begin(&ev->thread, &seen)) {
        int n;
        bool all;
        take_work(ev, ids, &n, &all);
        if (time_mono_ms() - last_catch_up >= CATCH_UP_EVERY_MS)
            all = true;
        if (all)
            last_catch_up = time_mono_ms();
        if (n || all) {
            process(ev, &db, ids, n, all);
            continue; /* more may have arrived meanwhile */
        }
        int64_t left = CATCH_UP_EVERY_MS - (time_mono_ms() - last_catch_up);
        bgthread_wait(&ev->thread, seen, left > 0 ? (int)left : 0);
    }
    free(ids);
    PQfinish(db);
    return NULL;
}

struct crawler_events *crawler_events_create(const struct config *cfg, struct metrics *metrics)
{
    struct crawler_events *ev = xcalloc(1, sizeof *ev);
    ev->cfg = cfg;
    ev->metrics = metrics;
    ev->catch_up = true; /* events sent while no daemon listened */
    bgthread_init(&ev->thread);
    if (bgthread_start(&ev->thread, 1, events_main, ev)) {
        crawler_events_destroy(ev);
        return NULL;
    }
    return ev;
}

void crawler_events_destroy(struct crawler_events *ev)
{
    if (!ev)
        return;
    bgthread_stop(&ev->thread);
    bgthread_finish(&ev->thread);
    free(ev);
}
