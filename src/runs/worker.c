/* worker — see worker.h. */
#include "runs/worker.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "contract/availability.h"
#include "jobs/job_ctx.h"
#include "runs/alerts.h"
#include "runs/conn_loss.h"
#include "runs/retry.h"
#include "runs/runs.h"
#include "runs/runs_env.h"
#include "store/instances.h"
#include "store/pg.h"
#include "store/redis.h"
#include "store/runstore.h"
#include "util/backoff.h"
#include "util/bgthread.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/timefmt.h"
#include "util/xalloc.h"
#include "version.h"

#define MAX_ACTIVE 64
#define MONITOR_TICK_MS 100
#define PROGRESS_FLUSH_MS 500
#define CANCEL_RESEND_MS 300
#define IDLE_WAIT_MS 10000 /* fallback wake-up if a NOTIFY was lost with the listener's connection */

struct active_run {
    struct run_control *ctl; /* NULL = free slot */
    int64_t last_cancel_ms;
    bool ending; /* the job returned; its end is being recorded (heartbeated, never judged lost) */
};

struct worker_pool {
    struct runs_env *env;
    struct bgthread workers; /* the claiming threads; its mu guards active[] (and its stopping flag) */
    struct bgthread monitor; /* heartbeats, progress, timeouts, cancels; stopped after the workers */
    struct active_run active[MAX_ACTIVE];
};

static void register_run(struct worker_pool *p, struct run_control *ctl)
{
    pthread_mutex_lock(&p->workers.mu);
    for (int i = 0; i < MAX_ACTIVE; i++)
        if (!p->active[i].ctl) {
            p->active[i].ctl = ctl;
            p->active[i].last_cancel_ms = 0;
            p->active[i].ending = false;
            break;
        }
    if (p->workers.stopping)
        atomic_store(&ctl->cancel, CANCEL_SHUTDOWN);
    pthread_mutex_unlock(&p->workers.mu);
}

static void unregister_run(struct worker_pool *p, struct run_control *ctl)
{
    pthread_mutex_lock(&p->workers.mu);
    for (int i = 0; i < MAX_ACTIVE; i++)
        if (p->active[i].ctl == ctl)
            p->active[i].ctl = NULL;
    pthread_mutex_unlock(&p->workers.mu);
}

/* Caller holds mu. Sets the reason (first wins) and interrupts the statement in flight. */
static void cancel_locked(struct active_run *a, int reason, int64_t now)
{
    int expected = CANCEL_NONE;
    atomic_compare_exchange_strong(&a->ctl->cancel, &expected, reason);
    char errbuf[256];
    if (a->ctl->pgcancel)
        PQcancel(a->ctl->pgcancel, errbuf, sizeof errbuf);
    a->last_cancel_ms = now;
}

bool worker_pool_cancel(struct worker_pool *p, const char *id, int reason)
{
    bool ours = false;
    pthread_mutex_lock(&p->workers.mu);
    for (int i = 0; i < MAX_ACTIVE; i++)
        if (p->active[i].ctl && !strcmp(p->active[i].ctl->run_id, id)) {
            cancel_locked(&p->active[i], reason, time_mono_ms());
            ours = true;
        }
    pthread_mutex_unlock(&p->workers.mu);
    if (ours)
        log_info("msg=\"cancelling run\" run=%s reason=%d", id, reason);
    return ours;
}

void worker_pool_wake(struct worker_pool *p)
{
    bgthread_wake(&p->workers);
}

/*
 * Decides the final status and error text from the job's return and the cancel reason; `lost` (may be "") explains
 * a database connection lost during the run, which is why a job failed when nothing else says so.
 */
static const char *final_status(const char *instance, struct job_ctx *ctx, int rc, const char *lost, char *err,
                                size_t errlen)
{
    int cancel = atomic_load(&ctx->ctl->cancel);
    if (rc == 0) {
        err[0] = '\0';
        return "done";
    }
    switch (cancel) {
    case CANCEL_REQUESTED: snprintf(err, errlen, "cancelled by an admin"); return "cancelled";
    case CANCEL_SIGNAL:
        snprintf(err, errlen,
                 "cancelled: `comicbatch run` on instance %s was interrupted by a signal (SIGINT or SIGTERM)",
                 instance);
        return "cancelled";
    case CANCEL_TIMEOUT:
        snprintf(err, errlen, "timed out after %llds (job timeout); committed batches are kept",
                 (long long)(ctx->ctl->timeout_ms / 1000));
        return "failed";
    case CANCEL_SHUTDOWN:
        snprintf(err, errlen, "interrupted: instance %s shut down while the run was in progress", instance);
        return "failed";
    case CANCEL_LOST: /* the row was already failed by the leader's rescue; this text is not written */
        snprintf(err, errlen, "stopped: the run was failed by the leader while instance %s still ran it", instance);
        return "failed";
    default:
        snprintf(err, errlen, "%s",
                 lost[0]         ? lost
                 : ctx->error[0] ? ctx->error
                                 : "the job failed without giving a reason");
        return "failed";
    }
}

/* Waits `ms` unless the pool stops first. False when stopping. */
static bool pool_sleep(struct worker_pool *p, int ms)
{
    return bgthread_sleep(&p->workers, ms);
}

/*
 * Reconnects `db` in place (pg_reset: a multi-host URL finds the current primary), with backoff, until it is
 * usable; gives up only when the pool stops (shutdown: the leader's rescue then fails the run). 0 when usable.
 */
static int reconnect_in_place(struct worker_pool *p, PGconn *db, const char *run_id)
{
    struct backoff b;
    backoff_init(&b, 100, 2000, (uint32_t)time_now_ms() ^ (uint32_t)(uintptr_t)db);
    int64_t since = time_mono_ms();
    while (pg_reset(db)) {
        if (!pool_sleep(p, backoff_next(&b))) {
            log_warn("msg=\"stopping before the database came back; the run's end is left to the leader's rescue\" "
                     "run=%s",
                     run_id);
            return -1;
        }
    }
    log_info("msg=\"reconnected to record the run's end\" run=%s after_ms=%lld", run_id,
             (long long)(time_mono_ms() - since));
    return 0;
}

/*
 * The connection died under the run (issue 11): reconnect, then say what happened — a restart (the server started
 * after the run did), a failover (another host now), or a session closed on a server that kept running — in `out`.
 * Returns 0 when connected again, -1 when the pool stopped first (`out` then says only that it was lost).
 */
static int explain_loss(struct worker_pool *p, PGconn *db, const char *run_id, time_t run_started, char *out,
                        size_t len)
{
    char error[512], before[300], after[300];
    snprintf(error, sizeof error, "%s", PQerrorMessage(db));
    pg_server_name(db, before, sizeof before);
    log_warn("msg=\"database connection lost during the run; reconnecting to record its end\" run=%s server=%s", run_id,
             before);
    int rc = reconnect_in_place(p, db, run_id);
    struct conn_loss loss = {.error = error,
                             .server_before = before,
                             .server_after = rc ? before : pg_server_name(db, after, sizeof after),
                             .run_started = run_started,
                             .server_started = rc ? -1 : pg_server_started(db),
                             .instance = p->env->instance};
    conn_loss_describe(&loss, out, len);
    return rc;
}

/*
 * Records a failed run's end and, in the same transaction, its retry (runs/retry.h): the lock key passes straight
 * from the failed run to its retry, so nothing can slip in between. Returns runstore_finish's answer; `*retried` is
 * the retry's backoff in ms, or -1 when none was queued.
 */
static int finish_failed(struct worker_pool *p, PGconn *db, struct job_ctx *ctx, const struct claimed_run *run,
                         const char *err, int64_t *retried)
{
    *retried = -1;
    int64_t delay = 0;
    bool tx = !run->no_retry && !ctx->dryrun && !pg_cmd(db, "BEGIN");
    int w = runstore_finish(db, ctx->run_id, p->env->instance_no, "failed", ctx->rowsaffected, err, ctx->meta,
                            atomic_load(&ctx->ctl->progress_done), atomic_load(&ctx->ctl->progress_total));
    if (!tx)
        return w;
    int q = w == 1 ? retry_queue(db, p->env->cfg, ctx->job->key, ctx->run_id, run->attempt, &delay, NULL) : 0;
    if (q < 0 || pg_cmd(db, "COMMIT")) { /* record the failure at least; the retry is lost with the error */
        pg_cmd(db, "ROLLBACK");
        return runstore_finish(db, ctx->run_id, p->env->instance_no, "failed", ctx->rowsaffected, err, ctx->meta,
                               atomic_load(&ctx->ctl->progress_done), atomic_load(&ctx->ctl->progress_total));
    }
    if (q == 1) {
        *retried = delay;
        char l[160];
        snprintf(l, sizeof l, "job=\"%.120s\"", ctx->job->key);
        metrics_add(p->env->metrics, "comicbatch_retries_total", l, 1);
    }
    return w;
}

/*
 * Writes the end of the run (a failure with its retry, finish_failed), retrying through lost connections until it
 * is written or no longer ours. `*retried` as for finish_failed.
 */
static int record_end(struct worker_pool *p, PGconn *db, struct job_ctx *ctx, const struct claimed_run *run,
                      const char *status, const char *err, int64_t *retried)
{
    *retried = -1;
    for (int sql_errors = 0;;) {
        if (PQtransactionStatus(db) != PQTRANS_IDLE)
            pg_cmd(db, "ROLLBACK");
        int w = !strcmp(status, "failed") && ctx->job
                    ? finish_failed(p, db, ctx, run, err, retried)
                    : runstore_finish(db, ctx->run_id, p->env->instance_no, status, ctx->rowsaffected,
                                      err[0] ? err : NULL, ctx->meta, atomic_load(&ctx->ctl->progress_done),
                                      atomic_load(&ctx->ctl->progress_total));
        if (w >= 0)
            return w;
        if (pg_usable(db)) { /* not the connection: a few more tries, then give up (rescue) */
            if (++sql_errors == 3 || !pool_sleep(p, 500))
                return -1;
        } else if (reconnect_in_place(p, db, ctx->run_id)) {
            return -1;
        }
    }
}

static void finish_run(struct worker_pool *p, PGconn *db, struct job_ctx *ctx, const struct claimed_run *run, int rc,
                       const char *lost)
{
    char err[1100];
    const char *status = final_status(p->env->instance, ctx, rc, lost, err, sizeof err);
    const char *key = ctx->job ? ctx->job->key : "?";
    int64_t retried;
    int w = record_end(p, db, ctx, run, status, err, &retried);
    if (w == 0)
        log_warn("msg=\"run was no longer ours when it ended (rescued meanwhile)\" run=%s job=%s", ctx->run_id, key);
    else if (w < 0)
        log_error("msg=\"could not record the run's end\" run=%s job=%s status=%s", ctx->run_id, key, status);
    if (!ctx->job)
        return;
    double secs = (double)(time_mono_ms() - ctx->ctl->started_mono_ms) / 1000.0;
    metrics_run_finished(p->env->metrics, key, status, secs);
    if (!strcmp(status, "failed")) {
        log_error("msg=\"run failed\" run=%s job=%s attempt=%d error=\"%s\"", ctx->run_id, key, run->attempt, err);
        if (retried >= 0)
            log_info("msg=\"retry queued\" run=%s job=%s attempt=%d delay_ms=%lld", ctx->run_id, key, run->attempt + 1,
                     (long long)retried);
        if (pg_usable(db))
            alerts_after_failure(p->env, db, key);
    } else {
        log_info("msg=\"run ended\" run=%s job=%s status=%s rows=%lld duration_ms=%.0f", ctx->run_id, key, status,
                 (long long)ctx->rowsaffected, secs * 1000);
    }
}

/* No PQcancel may hit the connection once the job returned (the next statements are the run's end, or another
 * run's): the run stays registered, so the monitor heartbeats it until its end is recorded, but uncancellable. */
static void detach_cancel(struct worker_pool *p, struct run_control *ctl)
{
    pthread_mutex_lock(&p->workers.mu);
    PQfreeCancel(ctl->pgcancel);
    ctl->pgcancel = NULL;
    for (int i = 0; i < MAX_ACTIVE; i++)
        if (p->active[i].ctl == ctl)
            p->active[i].ending = true;
    pthread_mutex_unlock(&p->workers.mu);
}

/*
 * A run that failed on the schema (a table, column, function or privilege its SQL needs is gone: the contract no
 * longer holds) re-checks the jobs' availability before its end is recorded, so by the time anyone sees it failed,
 * the next trigger answers 503 UNAVAILABLE naming what is missing and the scheduler skips the job: one failure, not
 * a minute of them. When the check confirms it, the run's error says so and no retry is queued (it would fail the
 * same way). The failure itself still counts toward the consecutive-failure alert: it is how an operator learns.
 */
static void recheck_schema(struct worker_pool *p, struct job_ctx *ctx, struct claimed_run *run, int rc)
{
    struct availability *av = p->env->availability;
    if (rc == 0 || !av || !ctx->job || job_cancelled(ctx) || !availability_schema_state(ctx->error_sqlstate))
        return;
    char err[512], reason[600];
    if (availability_recheck(av, err, sizeof err)) {
        log_warn("msg=\"cannot re-check the job's schema contract after its failure\" job=%s error=\"%s\"",
                 ctx->job->key, err);
        return;
    }
    if (availability_job(av, ctx->job->key, false, reason, sizeof reason))
        return; /* the contract still holds: something it does not cover failed */
    run->no_retry = true;
    size_t len = strlen(ctx->error);
    snprintf(ctx->error + len, sizeof ctx->error - len,
             "\nthe job is now unavailable until this is fixed: %s (comicbatch doctor prints the fix)", reason);
}

json_t *worker_execute(struct worker_pool *p, PGconn *db, struct claimed_run *run)
{
    const struct job_def *job = registry_find(run->jobkey);
    struct run_control ctl = {.started_mono_ms = time_mono_ms()};
    time_t started = (time_t)(time_now_ms() / 1000);
    snprintf(ctl.run_id, sizeof ctl.run_id, "%s", run->id);
    ctl.timeout_ms = run->timeout_ms > 0 ? run->timeout_ms : (job ? runs_job_timeout(p->env->cfg, job) : 0);
    ctl.pgcancel = PQgetCancel(db);
    struct job_ctx ctx = {.cfg = p->env->cfg,
                          .metrics = p->env->metrics,
                          .job = job,
                          .run_id = run->id,
                          .params = run->params,
                          .dryrun = run->dryrun,
                          .db = db,
                          .meta = json_object(),
                          .ctl = &ctl};
    if (run->dryrun)
        json_object_set_new(ctx.meta, "dryrun", json_true());
    if (run->scheduled) {
        char l[160];
        snprintf(l, sizeof l, "job=\"%s\"", run->jobkey);
        metrics_set(p->env->metrics, "comicbatch_schedule_skew_seconds", l, run->skew_seconds);
    }
    register_run(p, &ctl);
    log_info("msg=\"run started\" run=%s job=%s", run->id, run->jobkey);
    int rc;
    if (!job)
        rc = job_fail(&ctx, "job %s is not known to this instance (version %s)", run->jobkey, COMICBATCH_VERSION);
    else
        rc = job->run(&ctx);
    detach_cancel(p, &ctl);
    recheck_schema(p, &ctx, run, rc);
    char lost[1024] = "";
    if (!pg_usable(db))
        explain_loss(p, db, run->id, started, lost, sizeof lost);
    finish_run(p, db, &ctx, run, rc, lost);
    unregister_run(p, &ctl);
    redis_close(ctx.redis);
    json_decref(ctx.meta);
    bool dberr;
    return pg_usable(db) ? runstore_get(db, run->id, &dberr) : NULL;
}

static PGconn *worker_connect(struct worker_pool *p)
{
    char err[512];
    /* A session of its own (direct_url behind PgBouncer): jobs use temporary tables across transactions, and cancel
     * must reach the backend that runs the statement. */
    PGconn *c = pg_connect(config_session_url(p->env->cfg), "comicbatch-worker", err, sizeof err);
    if (!c)
        log_error("msg=\"worker cannot connect\" error=\"%s\"", err);
    return c;
}

static void *worker_main(void *arg)
{
    struct worker_pool *p = arg;
    PGconn *db = NULL;
    struct backoff b;
    backoff_init(&b, 100, IDLE_WAIT_MS, (uint32_t)time_now_ms() ^ (uint32_t)(uintptr_t)&b);
    unsigned seen;
    while (bgthread_begin(&p->workers, &seen)) {
        if (!pg_usable(db)) {
            PQfinish(db);
            if (!(db = worker_connect(p))) {
                bgthread_wait(&p->workers, seen, backoff_next(&b));
                continue;
            }
            backoff_reset(&b);
        }
        struct claimed_run run;
        int got = runstore_claim(db, p->env->instance, p->env->instance_no, &run);
        if (got == 1) {
            json_decref(worker_execute(p, db, &run));
            json_decref(run.params);
            continue; /* more may be queued */
        }
        if (got < 0 && !pg_usable(db))
            continue; /* reconnect now: the wake-up that brought us here may be the only one for that run */
        int64_t delayed = got == 0 ? runstore_next_delayed_ms(db) : -1; /* a retry waiting for its backoff */
        bgthread_wait(&p->workers, seen, delayed >= 0 && delayed < IDLE_WAIT_MS ? (int)delayed + 5 : IDLE_WAIT_MS);
    }
    PQfinish(db);
    return NULL;
}

/* Monitor: timeouts and repeated PQcancel for runs being stopped. Caller holds nothing. */
static void monitor_cancels(struct worker_pool *p, int64_t now)
{
    pthread_mutex_lock(&p->workers.mu);
    for (int i = 0; i < MAX_ACTIVE; i++) {
        struct active_run *a = &p->active[i];
        if (!a->ctl || a->ending)
            continue;
        if (a->ctl->timeout_ms > 0 && now - a->ctl->started_mono_ms > a->ctl->timeout_ms &&
            atomic_load(&a->ctl->cancel) == CANCEL_NONE) {
            log_warn("msg=\"run timed out\" run=%s timeout_ms=%lld", a->ctl->run_id, (long long)a->ctl->timeout_ms);
            cancel_locked(a, CANCEL_TIMEOUT, now);
        } else if (atomic_load(&a->ctl->cancel) != CANCEL_NONE && now - a->last_cancel_ms >= CANCEL_RESEND_MS) {
            cancel_locked(a, CANCEL_NONE, now); /* the statement may have started after the last PQcancel */
        }
    }
    pthread_mutex_unlock(&p->workers.mu);
}

struct progress_row {
    char id[37];
    long long done, total;
};

static void monitor_progress(struct worker_pool *p, PGconn *db)
{
    struct progress_row rows[MAX_ACTIVE];
    int n = 0;
    pthread_mutex_lock(&p->workers.mu);
    for (int i = 0; i < MAX_ACTIVE; i++) {
        struct run_control *c = p->active[i].ctl;
        if (c && atomic_exchange(&c->progress_dirty, false)) {
            snprintf(rows[n].id, sizeof rows[n].id, "%s", c->run_id);
            rows[n].done = atomic_load(&c->progress_done);
            rows[n].total = atomic_load(&c->progress_total);
            n++;
        }
    }
    pthread_mutex_unlock(&p->workers.mu);
    for (int i = 0; i < n; i++)
        runstore_progress(db, rows[i].id, rows[i].done, rows[i].total);
}

/* The ids of the runs this instance executes, as a uuid[] literal "{a,b}" in buf; returns how many. */
static int active_ids(struct worker_pool *p, char *buf, size_t len)
{
    int n = 0;
    size_t o = (size_t)snprintf(buf, len, "{");
    pthread_mutex_lock(&p->workers.mu);
    for (int i = 0; i < MAX_ACTIVE; i++)
        if (p->active[i].ctl && o + sizeof p->active[i].ctl->run_id + 2 < len)
            o += (size_t)snprintf(buf + o, len - o, "%s%s", n++ ? "," : "", p->active[i].ctl->run_id);
    pthread_mutex_unlock(&p->workers.mu);
    snprintf(buf + o, len - o, "}");
    return n;
}

/*
 * A run this instance still executes whose row is no longer `running` for us was failed behind our back (the
 * leader's rescue after a stalled heartbeat): stop it, or it would go on while its lock key lets a second run
 * start. Only the runs the heartbeat asked about (`asked`) are judged; `r` holds those it found running for us.
 */
static void stop_lost_runs(struct worker_pool *p, PGresult *r, const char *asked)
{
    pthread_mutex_lock(&p->workers.mu);
    for (int i = 0; i < MAX_ACTIVE; i++) {
        struct active_run *a = &p->active[i];
        if (!a->ctl || a->ending || !strstr(asked, a->ctl->run_id) || atomic_load(&a->ctl->cancel) != CANCEL_NONE)
            continue;
        bool found = false;
        for (int k = 0; k < PQntuples(r) && !found; k++)
            found = !strcmp(PQgetvalue(r, k, 0), a->ctl->run_id);
        if (!found) {
            log_warn("msg=\"run is no longer running for this instance (rescued); stopping it\" run=%s",
                     a->ctl->run_id);
            cancel_locked(a, CANCEL_LOST, time_mono_ms());
        }
    }
    pthread_mutex_unlock(&p->workers.mu);
}

/*
 * Heartbeat: refresh heartbeatat of the runs this process is executing — only those, so a row left `running` by
 * a run whose end could not be recorded (connection lost) stops being refreshed and the leader's rescue fails it
 * after the lease; pick up cancel requests whose NOTIFY we may have missed; stop runs that were taken from us.
 */
static void monitor_heartbeat(struct worker_pool *p, PGconn *db)
{
    char ids[MAX_ACTIVE * 40 + 8];
    instances_touch(db, p->env->instance_no);
    if (active_ids(p, ids, sizeof ids) == 0)
        return;
    PGresult *r = runstore_heartbeat(db, p->env->instance_no, ids);
    if (!r)
        return;
    for (int i = 0; i < PQntuples(r); i++)
        if (pg_bool(r, i, 1))
            worker_pool_cancel(p, PQgetvalue(r, i, 0), CANCEL_REQUESTED);
    stop_lost_runs(p, r, ids);
    PQclear(r);
}

/* The monitor's connection (statements only: it may go through the pooler). After a reconnect the heartbeat is
 * due at once: the runs' heartbeats are as old as the outage, and the leader's rescue is waiting. */
static bool monitor_connected(struct worker_pool *p, PGconn **db, struct backoff *b, int64_t now, int64_t *next_try,
                              int64_t *last_beat)
{
    if (pg_usable(*db))
        return true;
    PQfinish(*db);
    *db = NULL;
    if (now < *next_try)
        return false;
    char err[512];
    if (!(*db = pg_connect(p->env->cfg->database_url, "comicbatch-monitor", err, sizeof err))) {
        *next_try = now + backoff_next(b);
        return false;
    }
    backoff_reset(b);
    *last_beat = INT64_MIN / 2;
    return true;
}

static void *monitor_main(void *arg)
{
    struct worker_pool *p = arg;
    PGconn *db = NULL;
    struct backoff b;
    backoff_init(&b, 100, 2000, (uint32_t)time_now_ms());
    int64_t last_beat = 0, last_flush = 0, next_try = 0;
    unsigned seen;
    /* Stopped only once the workers are joined, so it serves their runs to the end (cancels, last heartbeats). */
    for (; bgthread_begin(&p->monitor, &seen); bgthread_sleep(&p->monitor, MONITOR_TICK_MS)) {
        int64_t now = time_mono_ms();
        monitor_cancels(p, now);
        if (!monitor_connected(p, &db, &b, now, &next_try, &last_beat))
            continue;
        if (now - last_flush >= PROGRESS_FLUSH_MS) {
            monitor_progress(p, db);
            last_flush = now;
        }
        if (now - last_beat >= p->env->cfg->heartbeat_seconds * 1000LL) {
            monitor_heartbeat(p, db);
            last_beat = now;
        }
    }
    PQfinish(db);
    return NULL;
}

struct worker_pool *worker_pool_create(struct runs_env *env, int nworkers, char *err, size_t errlen)
{
    struct worker_pool *p = xcalloc(1, sizeof *p);
    p->env = env;
    bgthread_init(&p->workers);
    bgthread_init(&p->monitor);
    if (bgthread_start(&p->monitor, 1, monitor_main, p) || bgthread_start(&p->workers, nworkers, worker_main, p)) {
        snprintf(err, errlen, "cannot start the run monitor or the %d worker threads", nworkers);
        worker_pool_destroy(p);
        return NULL;
    }
    return p;
}

void worker_pool_destroy(struct worker_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->workers.mu);
    p->workers.stopping = true; /* under the same lock as register_run's check: no run starts uncancelled */
    int64_t now = time_mono_ms();
    for (int i = 0; i < MAX_ACTIVE; i++)
        if (p->active[i].ctl)
            cancel_locked(&p->active[i], CANCEL_SHUTDOWN, now);
    pthread_mutex_unlock(&p->workers.mu);
    bgthread_stop(&p->workers);
    bgthread_stop(&p->monitor);
    bgthread_finish(&p->workers);
    bgthread_finish(&p->monitor);
    free(p);
}

int worker_pool_active_count(struct worker_pool *p)
{
    int n = 0;
    pthread_mutex_lock(&p->workers.mu);
    for (int i = 0; i < MAX_ACTIVE; i++)
        n += p->active[i].ctl != NULL;
    pthread_mutex_unlock(&p->workers.mu);
    return n;
}
