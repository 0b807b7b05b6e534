/* leader — see leader.h. */
#include "runs/leader.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "jobs/registry.h"
#include "runs/alerts.h"
#include "runs/params.h"
#include "runs/runstore.h"
#include "sched/scheduler.h"
#include "store/pg.h"
#include "util/bgthread.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define LEADER_LOCK_KEY "1128415807"
#define TICK_MS 1000
#define RESCUE_EVERY_MS 1000
#define RETENTION_EVERY_MS (10 * 60 * 1000)

struct leader {
    struct app *app;
    struct bgthread thread; /* a wake-up = the schedule changed */
};

int leader_seed_schedule(PGconn *db)
{
    size_t n;
    const struct job_def *const *jobs = registry_all(&n);
    for (size_t i = 0; i < n; i++) {
        const char *p[] = {jobs[i]->key, jobs[i]->enabled ? "t" : "f"};
        if (pg_exec(db, "leader.seed",
                    "INSERT INTO system.batchschedule (jobkey, isenabled) VALUES ($1, $2) ON CONFLICT DO NOTHING", 2,
                    p) < 0)
            return -1;
    }
    return 0;
}

int leader_rescue(struct app *app, PGconn *db)
{
    char lease[16], beat[16];
    snprintf(lease, sizeof lease, "%d", app->cfg.lease_seconds);
    snprintf(beat, sizeof beat, "%d", app->cfg.heartbeat_seconds * 2 + 1);
    const char *p[] = {lease, beat};
    PGresult *r = pg_query(
        db, "leader.rescue",
        /* pg_locks spans the whole cluster and advisory locks are per database: without the database filter,
         * instance N of another database on the same server made a dead instance N here look alive. */
        "WITH lost AS (SELECT r.id, NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory'"
        "   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        "   AND l.classid = 1128415809::oid AND l.objid = r.instanceno::oid AND l.objsubid = 2 AND l.granted) AS dead"
        "  FROM system.batchrun r WHERE r.status = 'running')"
        " UPDATE system.batchrun r SET status = 'failed', finishedat = now(),"
        "  durationms = GREATEST(0, round(extract(epoch FROM now() - r.startedat) * 1000))::bigint,"
        "  lasterror = CASE WHEN lost.dead THEN format('instance %s died while the run was running (its database "
        "session is gone; last heartbeat %s); committed batches are kept', r.instance,"
        "  to_char(r.heartbeatat AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))"
        "  ELSE format('instance %s stopped heartbeating (last heartbeat %s, lease %ss); committed batches are kept',"
        "  r.instance, to_char(r.heartbeatat AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), $1) END"
        " FROM lost WHERE r.id = lost.id AND r.status = 'running'"
        "  AND (r.heartbeatat < now() - make_interval(secs => $1::int)"
        "   OR (lost.dead AND r.heartbeatat < now() - make_interval(secs => $2::int)))"
        " RETURNING r.id, r.jobkey, r.lasterror",
        2, p, NULL);
    if (!r)
        return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        log_error("msg=\"run rescued\" run=%s job=%s error=\"%s\"", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                  PQgetvalue(r, i, 2));
        char l[160];
        snprintf(l, sizeof l, "job=\"%s\"", PQgetvalue(r, i, 1));
        metrics_add(&app->metrics, "comicbatch_runs_rescued_total", l, 1);
        alerts_after_failure(app, db, PQgetvalue(r, i, 1));
    }
    PQclear(r);
    return n;
}

static int retention(struct app *app, PGconn *db)
{
    char days[16];
    snprintf(days, sizeof days, "%d", app->cfg.retention_days);
    const char *p[] = {days};
    int64_t total = 0, n;
    do {
        n = pg_exec(db, "leader.retention",
                    "DELETE FROM system.batchrun WHERE id IN (SELECT id FROM system.batchrun WHERE finishedat <"
                    " now() - make_interval(days => $1::int) LIMIT 10000)",
                    1, p);
        total += n > 0 ? n : 0;
    } while (n == 10000);
    if (total)
        log_info("msg=\"old runs deleted\" count=%lld retention_days=%d", (long long)total, app->cfg.retention_days);
    return n < 0 ? -1 : 0;
}

static enum misfire_policy effective_misfire(struct app *app, const struct job_def *job, const char *stored)
{
    if (stored)
        return !strcmp(stored, "once") ? MISFIRE_ONCE : MISFIRE_SKIP;
    const struct job_settings *js = config_job(&app->cfg, job->key);
    if (js && js->misfire >= 0)
        return (enum misfire_policy)js->misfire;
    return job->misfire;
}

/* Moves nextrunat from `old` to `d->next` (compare-and-set) and enqueues the slot, in one transaction. */
static int apply_decision(struct app *app, PGconn *db, const struct job_def *job, time_t old,
                          const struct sched_decision *d)
{
    char oldt[32], nextt[32];
    snprintf(oldt, sizeof oldt, "%lld", (long long)old);
    snprintf(nextt, sizeof nextt, "%lld", (long long)d->next);
    const char *p[] = {job->key, d->next > 0 ? nextt : NULL, oldt};
    if (pg_cmd(db, "BEGIN"))
        return -1;
    int64_t moved = pg_exec(db, "leader.advance",
                            "UPDATE system.batchschedule SET nextrunat = to_timestamp($2::bigint) WHERE jobkey = $1"
                            " AND isenabled AND nextrunat = to_timestamp($3::bigint)",
                            3, p);
    if (moved != 1) {
        pg_cmd(db, "ROLLBACK");
        return moved < 0 ? -1 : 0;
    }
    int enqueued = 0;
    if (d->enqueue) {
        char field[64], err[256];
        json_t *params = params_validate(job, NULL, field, sizeof field, err, sizeof err);
        struct enqueue_req q = {.job = job, .params = params, .triggeredby = "scheduler", .scheduledfor = d->slot,
                                .timeout_ms = runstore_job_timeout(&app->cfg, job), .cfg = &app->cfg};
        enum enqueue_result res = params ? runstore_enqueue(db, &q, NULL) : ENQUEUE_ERROR;
        json_decref(params);
        if (res == ENQUEUE_ERROR) {
            pg_cmd(db, "ROLLBACK");
            return -1;
        }
        if (res == ENQUEUE_CONFLICT) {
            char l[160];
            snprintf(l, sizeof l, "job=\"%s\"", job->key);
            metrics_add(&app->metrics, "comicbatch_schedule_overlaps_total", l, 1);
            log_warn("msg=\"scheduled slot skipped: the job is still queued or running\" job=%s", job->key);
        }
        enqueued = res == ENQUEUE_OK;
    }
    return pg_cmd(db, "COMMIT") ? -1 : enqueued;
}

static void note_misfire(struct app *app, const struct job_def *job, time_t slot, enum misfire_policy pol)
{
    char l[160], t[32];
    snprintf(l, sizeof l, "job=\"%s\",policy=\"%s\"", job->key, pol == MISFIRE_ONCE ? "once" : "skip");
    metrics_add(&app->metrics, "comicbatch_schedule_misfires_total", l, 1);
    log_warn("msg=\"missed scheduled slot\" job=%s slot=%s policy=%s", job->key, time_format_iso(slot, t, sizeof t),
             pol == MISFIRE_ONCE ? "once (one catch-up run)" : "skip");
}

static int tick_job(struct app *app, PGconn *db, const struct job_def *job, PGresult *r, int i, time_t now)
{
    struct cron_schedule s;
    char err[256];
    const char *expr = pg_val(r, i, 1) ? pg_val(r, i, 1) : registry_default_cron(&app->cfg, job);
    if (cron_parse(expr, &s, err, sizeof err)) {
        log_error("msg=\"stored cron does not parse\" job=%s error=\"%s\"", job->key, err);
        return 0;
    }
    if (!pg_val(r, i, 3)) { /* first sight or just re-enabled without a slot: schedule from now */
        char next[32];
        time_t first = cron_next(&s, now);
        if (first < 0)
            return 0; /* never fires again: leave nextrunat NULL rather than store 1969 */
        snprintf(next, sizeof next, "%lld", (long long)first);
        const char *p[] = {job->key, next};
        return pg_exec(db, "leader.first_slot",
                       "UPDATE system.batchschedule SET nextrunat = to_timestamp($2::bigint) WHERE jobkey = $1"
                       " AND isenabled AND nextrunat IS NULL",
                       2, p) < 0 ? -1 : 0;
    }
    time_t nextrunat = (time_t)pg_int(r, i, 3, 0);
    enum misfire_policy pol = effective_misfire(app, job, pg_val(r, i, 4));
    struct sched_decision d;
    sched_decide(&s, nextrunat, now, app->cfg.misfire_grace_seconds, pol, &d);
    if (!d.due)
        return 0;
    if (d.misfired)
        note_misfire(app, job, nextrunat, pol);
    return apply_decision(app, db, job, nextrunat, &d);
}

int leader_schedule_tick(struct app *app, PGconn *db, time_t now)
{
    PGresult *r = pg_query(db, "leader.schedule",
                           "SELECT jobkey, cron, isenabled, extract(epoch FROM nextrunat)::bigint, misfire"
                           " FROM system.batchschedule WHERE isenabled",
                           0, NULL, NULL);
    if (!r)
        return -1;
    int enqueued = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        const struct job_def *job = registry_find(PQgetvalue(r, i, 0));
        if (!job)
            continue;
        int n = tick_job(app, db, job, r, i, now);
        enqueued += n > 0 ? n : 0;
    }
    PQclear(r);
    return enqueued;
}

static bool try_lead(struct leader *l, PGconn *db)
{
    PGresult *r = pg_query(db, "leader.lock", "SELECT pg_try_advisory_lock(" LEADER_LOCK_KEY ")", 0, NULL, NULL);
    bool got = r && pg_bool(r, 0, 0);
    PQclear(r);
    if (got) {
        log_info("msg=\"this instance is now the leader\" instance=%s", l->app->instance);
        leader_seed_schedule(db);
    }
    return got;
}

static void lead_once(struct leader *l, PGconn *db, int64_t *last_rescue, int64_t *last_retention)
{
    int64_t now = time_mono_ms();
    leader_schedule_tick(l->app, db, (time_t)(time_now_ms() / 1000));
    if (now - *last_rescue >= RESCUE_EVERY_MS) {
        leader_rescue(l->app, db);
        *last_rescue = now;
    }
    if (now - *last_retention >= RETENTION_EVERY_MS) {
        retention(l->app, db);
        *last_retention = now;
    }
}

static void *leader_main(void *arg)
{
    struct leader *l = arg;
    PGconn *db = NULL;
    bool leading = false;
    /* Retention runs on the first leading tick (then every RETENTION_EVERY_MS), whatever the monotonic clock's
     * origin: starting from 0 made it depend on the machine's uptime. */
    int64_t last_rescue = 0, last_retention = INT64_MIN / 2, last_try = -100000;
    unsigned seen;
    while (bgthread_begin(&l->thread, &seen)) {
        if (!db || PQstatus(db) != CONNECTION_OK) {
            if (leading)
                log_warn("msg=\"leadership lost with the database connection\"");
            leading = false;
            atomic_store(&l->app->metrics.is_leader, 0);
            PQfinish(db);
            char err[512];
            db = pg_connect(l->app->cfg.database_url, "comicbatch-leader", err, sizeof err);
        }
        if (db && !leading && time_mono_ms() - last_try >= 2000) {
            last_try = time_mono_ms();
            leading = try_lead(l, db);
            atomic_store(&l->app->metrics.is_leader, leading);
        }
        if (db && leading)
            lead_once(l, db, &last_rescue, &last_retention);
        bgthread_wait(&l->thread, seen, TICK_MS);
    }
    atomic_store(&l->app->metrics.is_leader, 0);
    PQfinish(db); /* releases the advisory lock: another instance takes over within its retry interval */
    return NULL;
}

struct leader *leader_create(struct app *app, char *err, size_t errlen)
{
    struct leader *l = xcalloc(1, sizeof *l);
    l->app = app;
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
