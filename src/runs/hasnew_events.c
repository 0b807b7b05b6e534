/*
 * hasnew_events — the seed's automatic hasnew triggers ("on new chapter", "on mark-read"). Migration 003's
 * triggers queue the affected entries and NOTIFY comicbatch_hasnew; the listener thread hands the notification
 * here (no SQL on the listener thread). This thread waits HASNEW_COALESCE_MS for the burst to settle, then drains
 * the queue on its own connection with HASNEW_DRAIN_SQL (one set-based statement per batch) until it is empty.
 * The recalculations are counted in /metrics (comicbatch_event_recalcs_total{kind="hasnew"}), not written as runs.
 * A lost notification (listener reconnect) is covered by a drain every HASNEW_IDLE_DRAIN_MS and, whatever
 * happens here, by the scheduled library.hasnew sweep, which drains the same queue.
 */
#include "runs/hasnew_events.h"

#include <stdio.h>

#include "config.h"
#include "jobs/hasnew.h"
#include "store/pg.h"
#include "util/bgthread.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/xalloc.h"

#define HASNEW_COALESCE_MS 200
#define HASNEW_IDLE_DRAIN_MS 60000
#define HASNEW_MAX_ROUNDS 1000 /* drain statements per wake-up, so a flood cannot starve shutdown checks */

struct hasnew_events {
    const struct config *cfg;
    struct metrics *metrics;
    struct bgthread thread; /* a notification is a wake-up */
    PGconn *db;
};

static bool connected(struct hasnew_events *ev)
{
    if (ev->db && PQstatus(ev->db) == CONNECTION_OK)
        return true;
    PQfinish(ev->db);
    char err[512];
    ev->db = pg_connect(ev->cfg->database_url, "comicbatch-hasnew-events", err, sizeof err);
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
    for (int i = 0; i < HASNEW_MAX_ROUNDS && !bgthread_stopping(&ev->thread); i++)
        if (drain_once(ev, &checked, &updated) <= 0)
            break;
    if (checked)
        metrics_add(ev->metrics, "comicbatch_event_recalcs_total", "kind=\"hasnew\"", (double)checked);
    if (updated)
        log_debug("msg=\"hasnew events\" checked=%lld updated=%lld", (long long)checked, (long long)updated);
}

/* Drains at start (whatever was queued while no instance listened), then after each notification once the burst
 * has settled for HASNEW_COALESCE_MS, and every HASNEW_IDLE_DRAIN_MS in any case. */
static void *events_main(void *arg)
{
    struct hasnew_events *ev = arg;
    unsigned seen;
    for (bool go = bgthread_begin(&ev->thread, &seen); go; go = bgthread_begin(&ev->thread, &seen)) {
        drain(ev);
        if (!bgthread_wait(&ev->thread, seen, HASNEW_IDLE_DRAIN_MS) || !bgthread_sleep(&ev->thread, HASNEW_COALESCE_MS))
            break;
    }
    PQfinish(ev->db);
    ev->db = NULL;
    return NULL;
}

struct hasnew_events *hasnew_events_create(const struct config *cfg, struct metrics *metrics)
{
    struct hasnew_events *ev = xcalloc(1, sizeof *ev);
    ev->cfg = cfg;
    ev->metrics = metrics;
    bgthread_init(&ev->thread);
    if (bgthread_start(&ev->thread, 1, events_main, ev)) {
        hasnew_events_destroy(ev);
        return NULL;
    }
    return ev;
}

void hasnew_events_on_notify(const char *channel, const char *payload, void *arg)
{
    struct hasnew_events *ev = arg;
    bgthread_wake(&ev->thread);
}

void hasnew_events_destroy(struct hasnew_events *ev)
{
    if (!ev)
        return;
    bgthread_stop(&ev->thread);
    bgthread_finish(&ev->thread);
    free(ev);
}
