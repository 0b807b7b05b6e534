/* leader — see leader.h. */
#include "sched/leader.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "sched/tick.h"
#include "store/lockkeys.h"
#include "store/pg.h"
#include "store/pausestore.h"
#include "store/runstore.h"
#include "store/slotledger.h"
#include "util/bgthread.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define TICK_MS 1000
#define RESCUE_EVERY_MS 1000
#define RETENTION_EVERY_MS (10 * 60 * 1000)
#define RETRY_LOCK_MS 2000
#define DEADLINES_EVERY_MS 5000
#define RESCUE_MAX 64 /* rescued runs reported (alerts, logs) per sweep; the rest are failed all the same */

struct leader {
    struct leader_opts o;
    struct bgthread thread; /* a wake-up = the schedule changed */
    time_t since;           /* when this instance last became the leader (wall clock, seconds) */
};

/* Fails runs whose instance is gone (DESIGN §3 heartbeat and rescue); each goes through the host's alert path. */
static void rescue(struct leader *l, PGconn *db)
{
    struct rescued_run runs[RESCUE_MAX];
    const struct config *cfg = l->o.cfg;
    int n = runstore_rescue(db, cfg->lease_seconds, cfg->heartbeat_seconds * 2 + 1, runs, RESCUE_MAX);
    for (int i = 0; i < n && i < RESCUE_MAX; i++) {
        log_error("msg=\"run rescued\" run=%s job=%s error=\"%s\"", runs[i].id, runs[i].jobkey, runs[i].lasterror);
        char label[160];
        snprintf(label, sizeof label, "job=\"%.120s\"", runs[i].jobkey);
        metrics_add(l->o.metrics, "comicbatch_runs_rescued_total", label, 1);
        l->o.host->rescued(l->o.host->arg, db, &runs[i]);
    }
}

static void retention(struct leader *l, PGconn *db)
{
    int days = l->o.cfg->retention_days;
    int64_t n = runstore_retention(db, days);
    if (n > 0)
        log_info("msg=\"old runs deleted\" count=%lld retention_days=%d", (long long)n, days);
    n = slotledger_retention(db, days, SLOTLEDGER_KEEP_PER_JOB);
    if (n > 0)
        log_info("msg=\"old missed-slot rows deleted\" count=%lld retention_days=%d", (long long)n, days);
    pausestore_cleanup(db, (time_t)(time_now_ms() / 1000));
}

static bool try_lead(struct leader *l, PGconn *db)
{
    PGresult *r = pg_query(db, "leader.lock", "SELECT pg_try_advisory_lock(" LOCK_LEADER ")", 0, NULL, NULL);
    bool got = r && pg_bool(r, 0, 0);
    PQclear(r);
    if (got) {
        l->since = (time_t)(time_now_ms() / 1000);
        log_info("msg=\"this instance is now the leader\" instance=%s", l->o.instance);
        sched_seed(db, l->o.host);
    }
    return got;
}

/* When each periodic duty last ran (monotonic ms). */
struct duties {
    int64_t rescue, retention, deadlines;
};

static void lead_once(struct leader *l, PGconn *db, struct duties *last)
{
    int64_t now = time_mono_ms();
    time_t wall = (time_t)(time_now_ms() / 1000);
    struct sched_env env = {.host = l->o.host, .cfg = l->o.cfg, .metrics = l->o.metrics, .leader_since = l->since,
                            .instance = l->o.instance};
    sched_tick(db, wall, &env);
    if (now - last->rescue >= RESCUE_EVERY_MS) {
        rescue(l, db);
        last->rescue = now;
    }
    if (now - last->retention >= RETENTION_EVERY_MS) {
        retention(l, db);
        last->retention = now;
    }
    if (now - last->deadlines >= DEADLINES_EVERY_MS && l->o.host->check_deadlines) {
        l->o.host->check_deadlines(l->o.host->arg, db, wall);
        last->deadlines = now;
    }
}

static void set_leading(struct leader *l, bool *leading, bool now_leading)
{
    *leading = now_leading;
    atomic_store(&l->o.metrics->is_leader, now_leading);
}

static void *leader_main(void *arg)
{
    struct leader *l = arg;
    PGconn *db = NULL;
    bool leading = false;
    /* Retention and deadlines run on the first leading tick (then every RETENTION_EVERY_MS / DEADLINES_EVERY_MS),
     * whatever the monotonic clock's origin: starting from 0 made it depend on the machine's uptime. */
    struct duties last = {.rescue = 0, .retention = INT64_MIN / 2, .deadlines = INT64_MIN / 2};
    int64_t last_try = -100000;
    unsigned seen;
    while (bgthread_begin(&l->thread, &seen)) {
        if (!db || PQstatus(db) != CONNECTION_OK) {
            if (leading)
                log_warn("msg=\"leadership lost with the database connection\"");
            set_leading(l, &leading, false);
            PQfinish(db);
            char err[512];
            db = pg_connect(l->o.cfg->database_url, "comicbatch-leader", err, sizeof err);
        }
        if (db && !leading && time_mono_ms() - last_try >= RETRY_LOCK_MS) {
            last_try = time_mono_ms();
            set_leading(l, &leading, try_lead(l, db));
        }
        if (db && leading)
            lead_once(l, db, &last);
        bgthread_wait(&l->thread, seen, TICK_MS);
    }
    set_leading(l, &leading, false);
    PQfinish(db); /* releases the advisory lock: another instance takes over within its retry interval */
    return NULL;
}

struct leader *leader_create(const struct leader_opts *o, char *err, size_t errlen)
{
    struct leader *l = xcalloc(1, sizeof *l);
    l->o = *o;
    bgthread_init(&l->thread);
    if (bgthread_start(&l->thread, 1, leader_main, l)) {
        snprintf(err, errlen, "cannot start the leader thread");
        leader_destroy(l);
        return NULL;
    }
    return l;
}

void leader_wake(struct leader *l)
{
    bgthread_wake(&l->thread);
}

void leader_destroy(struct leader *l)
{
    if (!l)
        return;
    bgthread_stop(&l->thread);
    bgthread_finish(&l->thread);
    free(l);
}
