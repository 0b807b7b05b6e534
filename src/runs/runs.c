/* runs — see runs.h. */
#include "runs/runs.h"

#include <stdio.h>

#include "config.h"

int64_t runs_job_timeout(const struct config *cfg, const struct job_def *job)
{
    const struct job_settings *js = config_job(cfg, job->key);
    if (js && js->timeout_ms > 0)
        return js->timeout_ms;
    return job->timeout_ms ? job->timeout_ms : cfg->default_timeout_ms;
}

void runs_lockkey(const struct job_def *job, const json_t *params, char *buf, size_t buflen)
{
    char scope[128];
    if (job->lock_scope && job->lock_scope(params, scope, sizeof scope))
        snprintf(buf, buflen, "%s:%s", job->key, scope);
    else
        snprintf(buf, buflen, "%s", job->key);
}

json_t *runs_stored_params(const struct config *cfg, const struct job_def *job, const json_t *params)
{
    if (!job->resolve_params)
        return params ? json_incref((json_t *)params) : json_object();
    json_t *p = params ? json_deep_copy(params) : json_object();
    job->resolve_params(cfg, p);
    return p;
}

/* Fills the row for `q` into `row`; `*stored` and `lockkey` keep what it points at alive. */
static void new_row(const struct config *cfg, const struct run_request *q, json_t **stored, char *lockkey,
                    size_t keylen, struct run_new *row)
{
    *stored = runs_stored_params(cfg, q->job, q->params);
    runs_lockkey(q->job, *stored, lockkey, keylen);
    *row = (struct run_new){.jobkey = q->job->key,
                            .lockkey = lockkey,
                            .params = *stored,
                            .dryrun = q->dryrun,
                            .triggeredby = q->triggeredby,
                            .userid = q->userid,
                            .scheduledfor = q->scheduledfor,
                            .timeout_ms = runs_job_timeout(cfg, q->job)};
}

enum enqueue_result runs_enqueue(PGconn *c, const struct config *cfg, const struct run_request *q, json_t **run)
{
    json_t *stored;
    char lockkey[256];
    struct run_new row;
    new_row(cfg, q, &stored, lockkey, sizeof lockkey, &row);
    enum enqueue_result res = runstore_enqueue(c, &row, run);
    json_decref(stored);
    return res;
}

int runs_start_inline(PGconn *c, const struct config *cfg, const struct run_request *q, const char *instance,
                      int instance_no, struct claimed_run *out)
{
    json_t *stored;
    char lockkey[256];
    struct run_new row;
    new_row(cfg, q, &stored, lockkey, sizeof lockkey, &row);
    int got = runstore_start_inline(c, &row, instance, instance_no, out);
    json_decref(stored);
    return got;
}

/* The holder sentence of `run` (which holds `lockkey`). */
static void holder_sentence(const struct config *cfg, const json_t *run, bool gone, const char *lockkey, char *buf,
                            size_t len)
{
    const char *id = json_string_value(json_object_get(run, "id"));
    const char *status = json_string_value(json_object_get(run, "status"));
    const char *started = json_string_value(json_object_get(run, "startedat"));
    const char *notbefore = json_string_value(json_object_get(run, "notbefore"));
    const char *instance = json_string_value(json_object_get(run, "instance"));
    const char *beat = json_string_value(json_object_get(run, "heartbeatat"));
    int attempt = (int)json_integer_value(json_object_get(run, "attempt"));
    if (notbefore && !started)
        snprintf(buf, len, "run %s (retry, attempt %d, waiting until %s) holds lock key %s", id, attempt, notbefore,
                 lockkey);
    else if (gone) /* the rescue's bound (sched/leader.c): the dead-session grace, or the lease if shorter */
        snprintf(buf, len,
                 "run %s (running since %s) holds lock key %s, but its instance %s is gone (no database session); the "
                 "leader fails it %ds after its last heartbeat (%s)",
                 id, started ? started : "?", lockkey, instance ? instance : "?",
                 cfg->heartbeat_seconds * 2 + 1 < cfg->lease_seconds ? cfg->heartbeat_seconds * 2 + 1
                                                                     : cfg->lease_seconds,
                 beat ? beat : "never");
    else
        snprintf(buf, len, "run %s (%s%s%s) holds lock key %s", id, status, started ? " since " : "",
                 started ? started : "", lockkey);
}

bool runs_describe_holder(PGconn *c, const struct config *cfg, const struct job_def *job, const json_t *params,
                          char *buf, size_t len)
{
    json_t *stored = runs_stored_params(cfg, job, params);
    char lockkey[256];
    runs_lockkey(job, stored, lockkey, sizeof lockkey);
    json_decref(stored);
    bool gone = false;
    json_t *run = runstore_inflight(c, lockkey, &gone);
    if (json_string_value(json_object_get(run, "id")))
        holder_sentence(cfg, run, gone, lockkey, buf, len);
    else
        snprintf(buf, len, "lock key %s is free", lockkey);
    bool held = run != NULL;
    json_decref(run);
    return held;
}
