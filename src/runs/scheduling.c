/* scheduling — see scheduling.h. */
#include "runs/scheduling.h"

#include "app.h"
#include "jobs/registry.h"
#include "runs/alerts.h"
#include "runs/params.h"
#include "runs/runs.h"
#include "util/log.h"

static void describe(const struct config *cfg, const struct job_def *job, struct sched_job *out)
{
    const struct job_settings *js = config_job(cfg, job->key);
    *out = (struct sched_job){.key = job->key, .cron = registry_default_cron(cfg, job),
                              .misfire = js && js->misfire >= 0 ? (enum misfire_policy)js->misfire : job->misfire,
                              .enabled = job->enabled};
}

static bool job_at(void *arg, size_t i, struct sched_job *out)
{
    struct app *app = arg;
    size_t n;
    const struct job_def *const *jobs = registry_all(&n);
    if (i >= n)
        return false;
    describe(&app->cfg, jobs[i], out);
    return true;
}

static bool job(void *arg, const char *jobkey, struct sched_job *out)
{
    struct app *app = arg;
    const struct job_def *j = registry_find(jobkey);
    if (j)
        describe(&app->cfg, j, out);
    return j != NULL;
}

static enum enqueue_result enqueue(void *arg, PGconn *db, const char *jobkey, time_t slot)
{
    struct app *app = arg;
    const struct job_def *j = registry_find(jobkey);
    char field[64], err[256];
    json_t *params = j ? params_validate(j, NULL, field, sizeof field, err, sizeof err) : NULL;
    if (!params) {
        log_error("msg=\"cannot schedule: the job's default params do not validate\" job=%s", jobkey);
        return ENQUEUE_ERROR;
    }
    struct run_request q = {.job = j, .params = params, .triggeredby = "scheduler", .scheduledfor = slot};
    enum enqueue_result res = runs_enqueue(db, &app->cfg, &q, NULL);
    json_decref(params);
    return res;
}

static void rescued(void *arg, PGconn *db, const struct rescued_run *run)
{
    alerts_after_failure(arg, db, run->jobkey);
}

void scheduling_host_init(struct sched_host *h, struct app *app)
{
    *h = (struct sched_host){.arg = app, .job_at = job_at, .job = job, .enqueue = enqueue, .rescued = rescued};
}
