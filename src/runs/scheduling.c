/* scheduling — see scheduling.h. */
#include "runs/scheduling.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "contract/availability.h"
#include "jobs/registry.h"
#include "runs/alerts.h"
#include "runs/deadlines.h"
#include "runs/params.h"
#include "runs/retry.h"
#include "runs/runs.h"
#include "runs/runs_env.h"
#include "store/pg.h"
#include "util/log.h"

static void describe(const struct config *cfg, const struct job_def *job, struct sched_job *out)
{
    *out = (struct sched_job){.key = job->key,
                              .cron = registry_default_cron(cfg, job),
                              .misfire = registry_default_misfire(cfg, job),
                              .enabled = job->enabled};
}

static bool job_at(void *arg, size_t i, struct sched_job *out)
{
    struct runs_env *env = arg;
    size_t n;
    const struct job_def *const *jobs = registry_all(&n);
    if (i >= n)
        return false;
    describe(env->cfg, jobs[i], out);
    return true;
}

static bool job(void *arg, const char *jobkey, struct sched_job *out)
{
    struct runs_env *env = arg;
    const struct job_def *j = registry_find(jobkey);
    if (!j)
        return false;
    describe(env->cfg, j, out);
    return true;
}

/* A job whose schema contract fails on this database is not scheduled: the tick records its due slots in the
 * missed-slot ledger as `unavailable` with the contract's reason (what is missing) and enqueues nothing; nextrunat
 * stays put, so once it can run again (availability re-checks within AVAILABILITY_TTL_S) its misfire policy decides
 * about the slots in between. */
static bool available(void *arg, const char *jobkey, char *reason, size_t reasonlen)
{
    struct runs_env *env = arg;
    if (reasonlen)
        reason[0] = '\0';
    if (!env->availability || availability_job(env->availability, jobkey, false, reason, reasonlen))
        return true;
    if (reasonlen && !reason[0])
        snprintf(reason, reasonlen, "its schema contract fails on this database (see comicbatch doctor)");
    return false;
}

/* The params a scheduled run uses: the schedule row's (`text`, validated when they were set and again now: the
 * job's declared params may have changed since), else the job's defaults. New reference, or NULL with `why`. */
static json_t *scheduled_params(const struct runs_env *env, const struct job_def *j, const char *text, char *why,
                                size_t whylen)
{
    /* The platform's id types, as the trigger path checks them: a user id 5 on a uuid platform is refused here
     * rather than failing in the job with "invalid input syntax for type uuid". NULL before anything is known. */
    struct id_types ids, *idsp = NULL;
    if (env->availability) {
        availability_ids(env->availability, &ids);
        idsp = &ids;
    }
    json_t *in = text && *text ? json_loads(text, 0, NULL) : NULL;
    char field[64], err[256];
    if (text && *text && !in) {
        snprintf(why, whylen, "the schedule's params are not valid JSON");
        return NULL;
    }
    json_t *params = params_validate_checked(env->cfg, j, in, idsp, field, sizeof field, err, sizeof err);
    json_decref(in);
    /* Named as the schedule API names them (`scheduledparams.olderthan`), where an operator fixes them. */
    bool nested = !strncmp(field, "params.", 7);
    if (!params)
        snprintf(why, whylen, "the schedule's params do not validate: %s%s: %s", nested ? "scheduled" : "", field, err);
    return params;
}

/* A slot whose params do not validate (or whose job this build does not know) is ENQUEUE_REFUSED before anything
 * reaches the database: the tick records it as missed and moves on, since the next try would be refused too. */
static enum enqueue_result enqueue(void *arg, PGconn *db, const char *jobkey, time_t slot, const char *params_text,
                                   char *why, size_t whylen)
{
    struct runs_env *env = arg;
    const struct job_def *j = registry_find(jobkey);
    if (!j)
        snprintf(why, whylen, "this build does not know job %s", jobkey);
    json_t *params = j ? scheduled_params(env, j, params_text, why, whylen) : NULL;
    if (!params)
        return ENQUEUE_REFUSED;
    struct run_request q = {.job = j, .params = params, .triggeredby = "scheduler", .scheduledfor = slot};
    enum enqueue_result res = runs_enqueue(db, env->cfg, &q, NULL);
    if (res == ENQUEUE_CONFLICT && !runs_describe_holder(db, env->cfg, j, params, why, whylen)) {
        char free_[300];
        snprintf(free_, sizeof free_, "%s", why);
        snprintf(why, whylen, "the slot was already enqueued (%s)", free_);
    } else if (res == ENQUEUE_ERROR) /* the statement's error, still on the connection (the step is rolled back) */
        pg_one_line(PQerrorMessage(db), why, whylen);
    json_decref(params);
    return res;
}

/* A rescued run failed like any other: it is retried when its job allows (in the rescue's transaction)… */
static int rescued_retry(void *arg, PGconn *db, const struct rescued_run *run)
{
    struct runs_env *env = arg;
    int64_t delay = 0;
    int rc = retry_queue(db, env->cfg, run->jobkey, run->id, run->attempt, &delay, NULL);
    if (rc == 1)
        log_info("msg=\"retry queued\" run=%s job=%s attempt=%d delay_ms=%lld", run->id, run->jobkey, run->attempt + 1,
                 (long long)delay);
    return rc < 0 ? -1 : 0;
}

/* …then, once the rescue committed, the alert path decides. */
static void rescued(void *arg, PGconn *db, const struct rescued_run *run)
{
    alerts_after_failure(arg, db, run->jobkey);
}

static void check_deadlines(void *arg, PGconn *db, time_t now)
{
    deadlines_check(arg, db, now);
}

void scheduling_host_init(struct sched_host *h, struct runs_env *env)
{
    *h = (struct sched_host){.arg = env,
                             .job_at = job_at,
                             .job = job,
                             .available = available,
                             .enqueue = enqueue,
                             .rescued_retry = rescued_retry,
                             .rescued = rescued,
                             .check_deadlines = check_deadlines};
}
