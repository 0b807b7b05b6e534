/* tick — see tick.h. */
#include "sched/tick.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "store/pg.h"
#include "store/schedstore.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/timefmt.h"

int sched_seed(PGconn *db, const struct sched_host *host)
{
    struct sched_job j;
    for (size_t i = 0; host->job_at(host->arg, i, &j); i++)
        if (schedstore_seed(db, j.key, j.enabled))
            return -1;
    return 0;
}

/* The stored override wins over the job's default (which already includes [job.KEY] misfire). */
static enum misfire_policy effective_misfire(const struct sched_job *job, const struct sched_row *row)
{
    if (row->misfire[0])
        return !strcmp(row->misfire, "once") ? MISFIRE_ONCE : MISFIRE_SKIP;
    return job->misfire;
}

static void count(const struct sched_env *env, const char *name, const char *jobkey, const char *policy)
{
    char l[200];
    if (policy)
        snprintf(l, sizeof l, "job=\"%.120s\",policy=\"%s\"", jobkey, policy);
    else
        snprintf(l, sizeof l, "job=\"%.120s\"", jobkey);
    metrics_add(env->metrics, name, l, 1);
}

/* Every write of a tick is a leader-only write: its transaction opens with the leader's epoch fence (issue 11). */
static int begin_write(PGconn *db, const struct sched_env *env)
{
    return env->begin ? env->begin(env->begin_arg, db) : pg_cmd(db, "BEGIN");
}

static int set_first(PGconn *db, const struct sched_env *env, const char *jobkey, time_t first)
{
    if (begin_write(db, env))
        return -1;
    if (schedstore_set_first(db, jobkey, first) || pg_cmd(db, "COMMIT")) {
        pg_cmd(db, "ROLLBACK");
        return -1;
    }
    return 0;
}

/* Moves nextrunat from `old` to `d->next` (compare-and-set) and enqueues the slot, in one transaction. */
static int apply_decision(PGconn *db, const struct sched_env *env, const char *jobkey, time_t old,
                          const struct sched_decision *d)
{
    if (begin_write(db, env))
        return -1;
    int moved = schedstore_advance(db, jobkey, old, d->next > 0 ? d->next : 0);
    if (moved != 1) {
        pg_cmd(db, "ROLLBACK");
        return moved < 0 ? -1 : 0;
    }
    enum enqueue_result res = d->enqueue ? env->host->enqueue(env->host->arg, db, jobkey, d->slot) : ENQUEUE_OK;
    if (res == ENQUEUE_ERROR) {
        pg_cmd(db, "ROLLBACK");
        return -1;
    }
    if (res == ENQUEUE_CONFLICT) {
        count(env, "comicbatch_schedule_overlaps_total", jobkey, NULL);
        log_warn("msg=\"scheduled slot skipped: the job is still queued or running\" job=%s", jobkey);
    }
    return pg_cmd(db, "COMMIT") ? -1 : d->enqueue && res == ENQUEUE_OK;
}

static void note_misfire(const struct sched_env *env, const char *jobkey, time_t slot, enum misfire_policy pol)
{
    char t[32];
    count(env, "comicbatch_schedule_misfires_total", jobkey, pol == MISFIRE_ONCE ? "once" : "skip");
    log_warn("msg=\"missed scheduled slot\" job=%s slot=%s policy=%s", jobkey, time_format_iso(slot, t, sizeof t),
             pol == MISFIRE_ONCE ? "once (one catch-up run)" : "skip");
}

static int tick_job(PGconn *db, const struct sched_env *env, const struct sched_job *job,
                    const struct sched_row *row, time_t now)
{
    struct cron_schedule s;
    char err[256];
    const char *expr = row->has_cron ? row->cron : job->cron;
    if (cron_parse(expr, &s, err, sizeof err)) {
        log_error("msg=\"stored cron does not parse\" job=%s error=\"%s\"", job->key, err);
        return 0;
    }
    if (!row->nextrunat) { /* first sight or just re-enabled without a slot: schedule from now */
        time_t first = cron_next(&s, now);
        /* never fires again: leave nextrunat NULL rather than store 1969 */
        return first < 0 ? 0 : set_first(db, env, job->key, first);
    }
    enum misfire_policy pol = effective_misfire(job, row);
    struct sched_decision d;
    sched_decide(&s, row->nextrunat, now, env->cfg->misfire_grace_seconds, pol, &d);
    if (!d.due)
        return 0;
    if (d.misfired)
        note_misfire(env, job->key, row->nextrunat, pol);
    return apply_decision(db, env, job->key, row->nextrunat, &d);
}

int sched_tick(PGconn *db, time_t now, const struct sched_env *env)
{
    struct sched_row *rows;
    int n = schedstore_list(db, true, &rows);
    if (n < 0)
        return -1;
    int enqueued = 0;
    for (int i = 0; i < n; i++) {
        struct sched_job job;
        if (!env->host->job(env->host->arg, rows[i].jobkey, &job))
            continue;
        int got = tick_job(db, env, &job, &rows[i], now);
        enqueued += got > 0 ? got : 0;
    }
    free(rows);
    return enqueued;
}
