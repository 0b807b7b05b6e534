/*
 * series — the admin maintenance actions on series rows (spec: admin-maintenance; DESIGN §5):
 *   POST /api/v1/series/invalidate-metadata-hashes → {invalidated, skippedManual, alreadyClear}
 *   POST /api/v1/series/refresh-all                → {triggered, skipped, batchSize, minAgeDays, provider, run}
 * Manual rows (provider IS NULL) are never written by either.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_env.h"
#include "config.h"
#include "contract/availability.h"
#include "jobs/registry.h"
#include "providers/catalog.h"
#include "providers/provider.h"
#include "runs/params.h"
#include "runs/runs.h"
#include "runs/runs_env.h"
#include "store/pg.h"
#include "store/runstore.h"

#define REFRESH_JOB "metadata.series_refresh"
#define ENQUEUE_ATTEMPTS 3

void api_series_invalidate_hashes(struct http_req *r)
{
    if (req_body_empty_or_reply(r))
        return;
    PGconn *c = pgpool_acquire(r->env->pool, 5000);
    if (!c) {
        reply_db_unavailable(r);
        return;
    }
    char actor[80];
    struct audit_actor who = {req_actor(r, actor, sizeof actor),
                              r->principal.kind == PRINCIPAL_SESSION ? r->principal.userid : NULL};
    struct catalog_invalidated n;
    int rc = catalog_invalidate_hashes(c, &who, &n);
    pgpool_release(r->env->pool, c);
    if (rc) {
        reply_internal(r);
        return;
    }
    reply_data(r, 200,
               json_pack("{s:I,s:I,s:I}", "invalidated", (json_int_t)n.invalidated, "skippedManual",
                         (json_int_t)n.skipped_manual, "alreadyClear", (json_int_t)n.already_clear));
}

/*
 * Enqueues the tick, or finds the run that holds the provider's lock. Retries when the holder finished between
 * the conflict and the look-up. Returns 1 triggered / 0 in flight (`*run` set either way), -1 error.
 */
static int enqueue_or_find(struct http_req *r, PGconn *c, const struct run_request *q, json_t **run)
{
    char lockkey[256];
    json_t *stored = runs_stored_params(r->env->cfg, q->job, q->params);
    runs_lockkey(q->job, stored, lockkey, sizeof lockkey);
    json_decref(stored);
    for (int i = 0; i < ENQUEUE_ATTEMPTS; i++) {
        enum enqueue_result res = runs_enqueue(c, r->env->cfg, q, run);
        if (res == ENQUEUE_OK)
            return 1;
        if (res == ENQUEUE_ERROR)
            return -1;
        if ((*run = runstore_inflight(c, lockkey, NULL)))
            return 0;
    }
    return -1;
}

static json_t *refresh_answer(const struct config *cfg, const char *provider, int triggered, json_t *run)
{
    char skipped[200];
    const char *id = json_string_value(json_object_get(run, "id"));
    const char *status = json_string_value(json_object_get(run, "status"));
    snprintf(skipped, sizeof skipped, "already in flight: run %s is %s", id ? id : "?", status ? status : "?");
    return json_pack("{s:b,s:o,s:i,s:i,s:s,s:o}", "triggered", triggered, "skipped",
                     triggered ? json_null() : json_string(skipped), "batchSize", cfg->series_refresh_batch_size,
                     "minAgeDays", cfg->series_refresh_min_age_days, "provider", provider, "run",
                     run ? run : json_null());
}

void api_series_refresh_all(struct http_req *r)
{
    const struct job_def *job = registry_find(REFRESH_JOB);
    if (!job || req_body_empty_or_reply(r)) {
        if (!job)
            reply_internal(r);
        return;
    }
    const struct config *cfg = r->env->cfg;
    const char *provider = provider_active_name(cfg);
    char field[64], err[600];
    if (!availability_job(r->env->run->availability, REFRESH_JOB, true, err, sizeof err)) {
        json_t *details = availability_details(r->env->run->availability, REFRESH_JOB);
        bool unset = json_is_false(json_object_get(details, "configured"));
        reply_error(r, 503, ERR_UNAVAILABLE, details, "Job %s %s: %s", REFRESH_JOB,
                    unset ? "is not configured" : "cannot run on this database", err);
        return;
    }
    json_t *in = json_pack("{s:s,s:i,s:i}", "provider", provider, "batchsize", cfg->series_refresh_batch_size,
                           "minagedays", cfg->series_refresh_min_age_days);
    json_t *params = params_validate(job, in, field, sizeof field, err, sizeof err);
    json_decref(in);
    PGconn *c = params ? pgpool_acquire(r->env->pool, 5000) : NULL;
    if (!c) {
        if (params)
            reply_db_unavailable(r);
        else
            reply_invalid(r, field, "%s", err);
        json_decref(params);
        return;
    }
    struct run_request q = {.job = job,
                            .params = params,
                            .triggeredby = "admin",
                            .userid = r->principal.kind == PRINCIPAL_SESSION ? r->principal.userid : NULL};
    json_t *run = NULL;
    int got = enqueue_or_find(r, c, &q, &run);
    pgpool_release(r->env->pool, c);
    json_decref(params);
    if (got < 0) {
        json_decref(run);
        reply_internal(r);
        return;
    }
    reply_data(r, got ? 202 : 200, refresh_answer(cfg, provider, got, run));
}
