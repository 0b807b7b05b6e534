/*
 * hasnew_events — the seed's automatic hasnew triggers ("on new chapter", "on mark-read"). Migration 003's
 * triggers queue the affected entries and NOTIFY comicbatch_hasnew; the listener thread hands the notification
 * here (no SQL on the listener thread). This thread waits HASNEW_COALESCE_MS for the burst to settle, then drains
 * the queue on its own connection with HASNEW_DRAIN_SQL (one set-based statement per batch) until it is empty.
 * The recalculations are counted in /metrics (comicbatch_event_recalcs_total{kind="hasnew"}), not written as runs.
 * A lost notification (listener reconnect) is covered by a drain every HASNEW_IDLE_DRAIN_MS and, whatever
 * happens here, by the scheduled library.hasnew sweep, which drains the same queue.
 */
#include "jobs/hasnew_events.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "app.h"
#include "jobs/hasnew.h"
#include "store/pg.h"
#include "util/log.h"

#define HASNEW_COALESCE_MS 200
#define HASNEW_IDLE_DRAIN_MS 60000
#define HASNEW_MAX_ROUNDS 1000 /* drain statements per wake-up, so a flood cannot starve shutdown checks */

struct hasnew_events {
    struct app *app;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool pending;
    bool stopping;
    PGconn *db;
};

static struct timespec deadline_in(int ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

/* Waits until a notification arrives (or the idle period passes), then lets the burst settle. False = stop. */
static bool wait_for_events(struct hasnew_events *ev)
{
    pthread_mutex_lock(&ev->mu);
    struct timespec idle = deadline_in(HASNEW_IDLE_DRAIN_MS);
    while (!ev->pending && !ev->stopping)
        if (pthread_cond_timedwait(&ev->cv, &ev->mu, &idle))
            break;
    struct timespec settle = deadline_in(HASNEW_COALESCE_MS);
    while (!ev->stopping)
        if (pthread_cond_timedwait(&ev->cv, &ev->mu, &settle))
            break;
    ev->pending = false;
    bool go = !ev->stopping;
    pthread_mutex_unlock(&ev->mu);
    return go;
}

static bool stopping(struct hasnew_events *ev)
{
    pthread_mutex_lock(&ev->mu);
    bool s = ev->stopping;
    pthread_mutex_unlock(&ev->mu);
    return s;
}

static bool connected(struct hasnew_events *ev)
{
    if (ev->db && PQstatus(ev->db) == CONNECTION_OK)
        return true;
    PQfinish(ev->db);
    char err[512];
    ev->db = pg_connect(ev->app->cfg.database_url, "comicbatch-hasnew-events", err, sizeof err);
    if (!ev->db)
        log_warn("msg=\"hasnew events: cannot connect\" error=\"%s\"", err);
    return ev->db != NULL;
}

/* One drain statement. Returns queue rows taken (0 = empty) or -1; adds the entries checked to *checked. */
static int64_t drain_once(struct hasnew_events *ev, int64_t *checked, int64_t *updated)
{
    char pairs[16], comics[16];
    snprintf(pairs, sizeof pairs, "%d", HASNEW_DRAIN_PAIRS);
    snprintf(comics, sizeof comics, "%d", HASNEW_DRAIN_COMICS);
    const char *p[] = {pairs, comics};
    PGresult *r = pg_query(ev->db, "hasnew.events.drain", HASNEW_DRAIN_SQL, 2, p, NULL);
    if (!r)
        return -1; /* logged; a deadlock or a lost connection is retried on the next wake-up */
    int64_t taken = pg_int(r, 0, 0, 0);
    *checked += pg_int(r, 0, 1, 0);
    *updated += pg_int(r, 0, 2, 0);
    PQclear(r);
    return taken;
}

static void drain(struct hasnew_events *ev)
{
    if (!connected(ev))
        return;
    int64_t checked = 0, updated = 0;
    for (int i = 0; i < HASNEW_MAX_ROUNDS && !stopping(ev); i++)
        if (drain_once(ev, &checked, &updated) <= 0)
            break;
    if (checked)
        metrics_add(&ev->app->metrics, "comicbatch_event_recalcs_total", "kind=\"hasnew\"", (double)checked);
    if (updated)
        log_debug("msg=\"hasnew events\" checked=%lld updated=%lld", (long long)checked, (long long)updated);
}

static void *events_main(void *arg)
{
    struct hasnew_events *ev = arg;
    drain(ev); /* whatever was queued while no instance was listening */
    while (wait_for_events(ev))
        drain(ev);
    PQfinish(ev->db);
    ev->db = NULL;
    return NULL;
}

struct hasnew_events *hasnew_events_create(struct app *app)
{
    struct hasnew_events *ev = calloc(1, sizeof *ev);
    if (!ev)
        abort();
    ev->app = app;
    pthread_mutex_init(&ev->mu, NULL);
    pthread_cond_init(&ev->cv, NULL);
    if (pthread_create(&ev->thread, NULL, events_main, ev)) {
        pthread_cond_destroy(&ev->cv);
        pthread_mutex_destroy(&ev->mu);
        free(ev);
        return NULL;
    }
    return ev;
}

void hasnew_events_on_notify(struct app *app, const char *channel, const char *payload, void *arg)
{
    struct hasnew_events *ev = arg;
    pthread_mutex_lock(&ev->mu);
    ev->pending = true;
    pthread_cond_signal(&ev->cv);
    pthread_mutex_unlock(&ev->mu);
}

void hasnew_events_destroy(struct hasnew_events *ev)
{
    if (!ev)
        return;
    pthread_mutex_lock(&ev->mu);
    ev->stopping = true;
    pthread_cond_signal(&ev->cv);
    pthread_mutex_unlock(&ev->mu);
    pthread_join(ev->thread, NULL);
    pthread_cond_destroy(&ev->cv);
    pthread_mutex_destroy(&ev->mu);
    free(ev);
}
