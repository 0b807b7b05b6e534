/*
 * hasnew_events — the seed's automatic hasnew triggers ("on new chapter", "on mark-read"). With the hasnew
 * accelerator, its triggers queue the affected entries and NOTIFY comicbatch_hasnew; the listener thread hands the
 * notification here (no SQL on the listener thread). This thread waits HASNEW_COALESCE_MS for the burst to settle,
 * then catches up on a session connection of its own (`direct_url` behind PgBouncer: the recent pass keeps a
 * temporary table across statements) — jobs/hasnew.h: drains the queue, set-based, until it is empty. Without the
 * accelerator nothing notifies, and the same pass, every HASNEW_IDLE_DRAIN_MS, recomputes the entries whose
 * chapters, reads or follows are stamped since the last pass (the trigger-less path: within a minute instead of
 * ~200 ms). The recalculations are counted in /metrics (comicbatch_event_recalcs_total{kind="hasnew"}), not written
 * as runs. Whatever happens here, the scheduled library.hasnew run covers the same ground.
 */
#include "runs/hasnew_events.h"

#include <stdio.h>

#include "config.h"
#include "jobs/hasnew.h"
#include "jobs/job_ctx.h"
#include "store/pg.h"
#include "util/bgthread.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/xalloc.h"

#define HASNEW_COALESCE_MS 200
#define HASNEW_IDLE_DRAIN_MS 60000
/*
 * After a failed pass (a lost connection; entries that stayed locked by platform transactions for longer than the
 * drain's own retries, jobs/job_ctx.h job_query_yielding): the next try.
 */
#define HASNEW_RETRY_MS 1000

struct hasnew_events {
    const struct config *cfg;
    struct metrics *metrics;
    struct bgthread thread; /* a notification is a wake-up */
    PGconn *db;
    struct run_control ctl; /* cancel = CANCEL_SHUTDOWN when stopping: the catch-up stops between statements */
};

static bool connected(struct hasnew_events *ev)
{
    if (ev->db && PQstatus(ev->db) == CONNECTION_OK)
        return true;
    PQfinish(ev->db);
    char err[512];
    ev->db = pg_connect(config_session_url(ev->cfg), "comicbatch-hasnew-events", err, sizeof err);
    if (!ev->db)
        log_warn("msg=\"hasnew events: cannot connect\" error=\"%s\"", err);
    return ev->db != NULL;
}

/* One catch-up pass. False when it failed (the caller retries after HASNEW_RETRY_MS). */
static bool drain(struct hasnew_events *ev)
{
    if (bgthread_stopping(&ev->thread) || !connected(ev))
        return bgthread_stopping(&ev->thread);
    struct hasnew_pass pass;
    char err[512];
    if (hasnew_catch_up(ev->db, ev->cfg, &ev->ctl, &pass, err, sizeof err)) {
        if (bgthread_stopping(&ev->thread))
            return true;
        log_warn("msg=\"hasnew events: catch-up failed; retrying\" retry_ms=%d error=\"%s\"", HASNEW_RETRY_MS, err);
        return false;
    }
    if (pass.checked)
        metrics_add(ev->metrics, "comicbatch_event_recalcs_total", "kind=\"hasnew\"", (double)pass.checked);
    if (pass.updated)
        log_debug("msg=\"hasnew events\" mode=%s checked=%lld updated=%lld", pass.mode, (long long)pass.checked,
                  (long long)pass.updated);
    return true;
}

/* Drains at start (whatever was queued while no instance listened), then after each notification once the burst
 * has settled for HASNEW_COALESCE_MS, and every HASNEW_IDLE_DRAIN_MS in any case (HASNEW_RETRY_MS after a failed
 * pass). */
static void *events_main(void *arg)
{
    struct hasnew_events *ev = arg;
    unsigned seen;
    for (bool go = bgthread_begin(&ev->thread, &seen); go; go = bgthread_begin(&ev->thread, &seen)) {
        int idle_ms = drain(ev) ? HASNEW_IDLE_DRAIN_MS : HASNEW_RETRY_MS;
        if (!bgthread_wait(&ev->thread, seen, idle_ms) || !bgthread_sleep(&ev->thread, HASNEW_COALESCE_MS))
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
    atomic_store(&ev->ctl.cancel, CANCEL_SHUTDOWN);
    bgthread_stop(&ev->thread);
    bgthread_finish(&ev->thread);
    free(ev);
}
