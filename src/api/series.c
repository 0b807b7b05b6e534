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
#include "app.h"
#include "jobs/registry.h"
#include "providers/provider.h"
#include "runs/params.h"
#include "runs/runstore.h"
#include "store/pg.h"

#define REFRESH_JOB "metadata.series_refresh"
#define ENQUEUE_ATTEMPTS 3

/* A body that must be empty or an object without fields. Returns 0, or -1 after answering 400. */
static int empty_body_or_reply(struct http_req *r)
{
    json_t *body = req_body_object_or_reply(r);
    if (!body)
        return -1;
    const char *k = json_object_iter_key(json_object_iter(body));
    if (k)
        reply_invalid(r, k, "unknown field \"%s\" (this action takes no fields)", k);
    json_decref(body);
    return k ? -1 : 0;
}

/*
 * One statement: clears metadata_hash on every provider-backed row that still has one, counts manual rows and
 * rows that were already clear (both CTEs see the same snapshot), and writes the audit row.
 */
static const char invalidate_sql[] =
    "WITH inv AS (UPDATE core.comic SET metadata_hash = NULL"
    " WHERE provider IS NOT NULL AND metadata_hash IS NOT NULL RETURNING 1),"
    " n AS (SELECT (SELECT count(*) FROM inv) AS invalidated,"
    " count(*) FILTER (WHERE provider IS NULL) AS manual,"
    " count(*) FILTER (WHERE provider IS NOT NULL AND metadata_hash IS NULL) AS already FROM core.comic),"
    " audit AS (INSERT INTO system.auditlog (actor, actoruserid, action, target, details)"
    " SELECT $1, $2::uuid, 'series.invalidate_metadata_hashes', 'core.comic',"
    " jsonb_build_object('invalidated', invalidated, 'skippedManual', manual, 'alreadyClear', already) FROM n)"
    " SELECT invalidated, manual, already FROM n";

void api_series_invalidate_hashes(struct http_req *r)
{
    if (empty_body_or_reply(r))
        return;
    PGconn *c = pgpool_acquire(r->app->pool, 5000);
    if (!c) {
        reply_db_unavailable(r);
        return;
    }
    char actor[80];
    const char *p[] = {req_actor(r, actor, sizeof actor),
                       r->principal.kind == PRINCIPAL_SESSION ? r->principal.userid : NULL};
    PGresult *res = pg_query(c, "series.invalidate_hashes", invalidate_sql, 2, p, NULL);
    pgpool_release(r->app->pool, c);
    if (!res) {
        reply_internal(r);
        return;
    }
    json_t *out = json_pack("{s:I,s:I,s:I}", "invalidated", (json_int_t)pg_int(res, 0, 0, 0), "skippedManual",
                            (json_int_t)pg_int(res, 0, 1, 0), "alreadyClear", (json_int_t)pg_int(res, 0, 2, 0));
    PQclear(res);
    reply_data(r, 200, out);
}

/* The queued or running run holding `lockkey`, as JSON (new reference), or NULL (none, or error). */
static json_t *inflight_run(PGconn *c, const char *lockkey)
{
    char sql[sizeof RUN_JSON_SQL + 256];
    snprintf(sql, sizeof sql,
             "SELECT %s FROM system.batchrun r WHERE r.lockkey = $1 AND r.status IN ('queued', 'running')",
             RUN_JSON_SQL);
    const char *p[] = {lockkey};
    PGresult *res = pg_query(c, "series.inflight", sql, 1, p, NULL);
    json_t *run = res && PQntuples(res) == 1 ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
    PQclear(res);
    return run;
}

/*
 * Enqueues the tick, or finds the run that holds the provider's lock. Retries when the holder finished between
 * the conflict and the look-up. Returns 1 triggered / 0 in flight (`*run` set either way), -1 error.
 */
static int enqueue_or_find(struct http_req *r, PGconn *c, const struct enqueue_req *q, json_t **run)
{
    char lockkey[256];
    json_t *resolved = json_deep_copy(q->params);
    q->job->resolve_params(&r->app->cfg, resolved);
    runstore_lockkey(q->job, resolved, lockkey, sizeof lockkey);
    json_decref(resolved);
    for (int i = 0; i < ENQUEUE_ATTEMPTS; i++) {
        enum enqueue_result res = runstore_enqueue(c, q, run);
        if (res == ENQUEUE_OK)
            return 1;
        if (res == ENQUEUE_ERROR)
            return -1;
        if ((*run = inflight_run(c, lockkey)))
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
    if (!job || empty_body_or_reply(r)) {
        if (!job)
            reply_internal(r);
        return;
    }
    const struct config *cfg = &r->app->cfg;
    const char *provider = provider_active_name(cfg);
    char field[64], err[256];
    json_t *in = json_pack("{s:s,s:i,s:i}", "provider", provider, "batchsize", cfg->series_refresh_batch_size,
                           "minagedays", cfg->series_refresh_min_age_days);
    json_t *params = params_validate(job, in, field, sizeof field, err, sizeof err);
    json_decref(in);
    PGconn *c = params ? pgpool_acquire(r->app->pool, 5000) : NULL;
    if (!c) {
        if (params)
            reply_db_unavailable(r);
        else
            reply_invalid(r, field, "%s", err);
        json_decref(params);
        return;
    }
    struct enqueue_req q = {.job = job, .params = params, .triggeredby = "admin",
                            .userid = r->principal.kind == PRINCIPAL_SESSION ? r->principal.userid : NULL,
                            .timeout_ms = runstore_job_timeout(cfg, job), .cfg = cfg};
    json_t *run = NULL;
    int got = enqueue_or_find(r, c, &q, &run);
    pgpool_release(r->app->pool, c);
    json_decref(params);
    if (got < 0) {
        json_decref(run);
        reply_internal(r);
        return;
    }
    reply_data(r, got ? 202 : 200, refresh_answer(cfg, provider, got, run));
}
