/*
 * batch_jobs — runs: list with the seed's filters and paging, one job's history, trigger, cancel (seed §6).
 * Cancel answers `cancelled` only once the run row says so (waiting on the run-event channel, up to
 * CANCEL_WAIT_MS); a run still stopping after that is returned as it is, with cancelrequestedat set, and 202.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_env.h"
#include "config.h"
#include "contract/availability.h"
#include "jobs/registry.h"
#include "runs/listener.h"
#include "runs/params.h"
#include "runs/runs.h"
#include "runs/runs_env.h"
#include "store/pg.h"
#include "store/runstore.h"
#include "util/timefmt.h"

#define DEFAULT_LIMIT 50
#define MAX_LIMIT 200
#define CANCEL_WAIT_MS 10000

static bool one_of(const char *v, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (!strcmp(v, *allowed))
            return true;
    return false;
}

static int time_query_or_reply(struct http_req *r, const char *name, time_t dflt, time_t *out)
{
    const char *v = req_query(r, name);
    *out = dflt;
    if (v && time_parse_iso(v, out)) {
        reply_invalid(r, name, "%s must be an ISO 8601 date or date-time, e.g. 2026-02-22T00:00:00Z", name);
        return -1;
    }
    return 0;
}

/* Parses status/triggeredby/page/limit/from/to into f. Returns 0 or -1 after answering 400. */
static int filter_or_reply(struct http_req *r, struct run_filter *f, time_t dflt_from)
{
    static const char *const statuses[] = {"queued", "running", "done", "failed", "cancelled", NULL};
    static const char *const triggers[] = {"scheduler", "admin", NULL};
    f->status = req_query(r, "status");
    f->triggeredby = req_query(r, "triggeredby");
    if (f->status && !one_of(f->status, statuses)) {
        reply_invalid(r, "status", "status must be one of queued, running, done, failed, cancelled");
        return -1;
    }
    if (f->triggeredby && !one_of(f->triggeredby, triggers)) {
        reply_invalid(r, "triggeredby", "triggeredby must be scheduler or admin");
        return -1;
    }
    if (req_query_int_or_reply(r, "page", 1, 1, 1000000, &f->page) ||
        req_query_int_or_reply(r, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, &f->limit) ||
        time_query_or_reply(r, "from", dflt_from, &f->from) || time_query_or_reply(r, "to", -1, &f->to))
        return -1;
    /* Without `to` there is no upper bound: "now" truncated to the second would hide this second's runs. */
    if (f->to < 0 && req_query(r, "to"))
        f->to = 0; /* a `to` before 1970 matches nothing, it is not "no bound" */
    if (f->to >= 0 && f->from > f->to) {
        reply_invalid(r, "from", "from must not be after to");
        return -1;
    }
    return 0;
}

static void list_runs(struct http_req *r, struct run_filter *f)
{
    PGconn *c = pgpool_acquire(r->env->pool, 5000);
    if (!c) {
        reply_db_unavailable(r);
        return;
    }
    char *items;
    int64_t total;
    int rc = runstore_list(c, f, &items, &total);
    pgpool_release(r->env->pool, c);
    if (rc) {
        reply_internal(r);
        return;
    }
    json_t *meta = json_pack("{s:I,s:i,s:i,s:I}", "total", (json_int_t)total, "page", f->page, "limit", f->limit,
                             "pages", (json_int_t)((total + f->limit - 1) / f->limit));
    reply_list_text(r, items, meta);
    free(items);
}

void api_runs_list(struct http_req *r)
{
    struct run_filter f = {.jobkey = req_query(r, "jobkey")};
    time_t week_ago = (time_t)(time_now_ms() / 1000) - 7 * 86400;
    if (filter_or_reply(r, &f, week_ago))
        return;
    list_runs(r, &f);
}

static const struct job_def *job_or_reply(struct http_req *r)
{
    const struct job_def *job = registry_find(req_param(r, "jobKey"));
    if (!job)
        reply_error(r, 404, ERR_NOT_FOUND, json_pack("{s:s}", "jobkey", req_param(r, "jobKey")), "Unknown job key");
    return job;
}

void api_job_history(struct http_req *r)
{
    const struct job_def *job = job_or_reply(r);
    if (!job)
        return;
    struct run_filter f = {.jobkey = job->key};
    if (filter_or_reply(r, &f, 0))
        return;
    list_runs(r, &f);
}

void api_trigger(struct http_req *r, const char *jobkey, const json_t *params, bool dryrun)
{
    const struct job_def *job = registry_find(jobkey);
    if (!job) {
        reply_error(r, 404, ERR_NOT_FOUND, json_pack("{s:s}", "jobkey", jobkey), "Unknown job key");
        return;
    }
    if (dryrun && !job->dryrun) {
        reply_invalid(r, "dryrun", "job %s does not support dry runs (it changes nothing it could preview)", jobkey);
        return;
    }
    char field[128], err[600];
    if (!availability_job(r->env->run->availability, jobkey, true, err, sizeof err)) {
        json_t *details = availability_details(r->env->run->availability, jobkey);
        bool unset = json_is_false(json_object_get(details, "configured"));
        reply_error(r, 503, ERR_UNAVAILABLE, details, "Job %s %s: %s", jobkey,
                    unset ? "is not configured" : "cannot run on this database", err);
        return;
    }
    struct id_types ids;
    availability_ids(r->env->run->availability, &ids);
    json_t *valid = params_validate_checked(r->env->cfg, job, params, &ids, field, sizeof field, err, sizeof err);
    if (!valid) {
        reply_invalid(r, field, "%s", err);
        return;
    }
    PGconn *c = pgpool_acquire(r->env->pool, 5000);
    if (!c) {
        json_decref(valid);
        reply_db_unavailable(r);
        return;
    }
    bool session = r->principal.kind == PRINCIPAL_SESSION;
    struct run_request q = {.job = job,
                            .params = valid,
                            .dryrun = dryrun,
                            .triggeredby = "admin",
                            .userid = session ? r->principal.userid : NULL};
    json_t *run = NULL;
    enum enqueue_result res = runs_enqueue(c, r->env->cfg, &q, &run);
    char holder[700] = "";
    if (res == ENQUEUE_CONFLICT) /* who holds the job, and when a dead instance's run will be failed */
        runs_describe_holder(c, r->env->cfg, job, valid, holder, sizeof holder);
    pgpool_release(r->env->pool, c);
    json_decref(valid);
    if (res == ENQUEUE_OK)
        reply_data(r, 202, run);
    else if (res == ENQUEUE_CONFLICT)
        reply_error(r, 409, ERR_CONFLICT, json_pack("{s:s,s:s}", "jobkey", jobkey, "heldby", holder),
                    "This job is already running");
    else
        reply_internal(r);
}

void api_job_run(struct http_req *r)
{
    const struct job_def *job = job_or_reply(r);
    if (!job)
        return;
    json_t *body = req_body_object_or_reply(r);
    if (!body)
        return;
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
    {
        if (strcmp(k, "params") && strcmp(k, "dryrun")) {
            reply_invalid(r, k, "unknown field \"%s\" (expected params, dryrun)", k);
            json_decref(body);
            return;
        }
    }
    json_t *dry = json_object_get(body, "dryrun");
    if (dry && !json_is_boolean(dry)) {
        reply_invalid(r, "dryrun", "dryrun must be true or false");
    } else {
        json_t *params = json_object_get(body, "params");
        api_trigger(r, job->key, params, json_is_true(dry));
    }
    json_decref(body);
}

static bool terminal(const json_t *run)
{
    const char *s = json_string_value(json_object_get(run, "status"));
    return s && (!strcmp(s, "done") || !strcmp(s, "failed") || !strcmp(s, "cancelled"));
}

/* Waits until run `id` reaches a final status or the deadline. Returns the run JSON (new) or NULL. */
static json_t *await_final(struct http_req *r, PGconn *c, const char *id)
{
    int64_t deadline = time_mono_ms() + CANCEL_WAIT_MS;
    uint64_t seq = listener_run_seq(r->env->listener);
    bool dberr = false;
    json_t *run = runstore_get(c, id, &dberr);
    while (run && !terminal(run) && time_mono_ms() < deadline) {
        seq = listener_wait_run_event(r->env->listener, seq, 250);
        json_decref(run);
        run = runstore_get(c, id, &dberr);
    }
    return run;
}

/* Canonical 8-4-4-4-12 hex: anything else would reach Postgres' uuid cast and fail there (a 500). */
static bool is_uuid_text(const char *s, size_t len)
{
    if (len != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
            return false;
    }
    return true;
}

static int cancel_id_or_reply(struct http_req *r, json_t *body, const char **id)
{
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
    {
        if (strcmp(k, "id")) {
            reply_invalid(r, k, "unknown field \"%s\" (expected id)", k);
            return -1;
        }
    }
    v = json_object_get(body, "id");
    *id = NULL;
    if (v && !json_is_null(v)) {
        if (!json_is_string(v) || !is_uuid_text(json_string_value(v), json_string_length(v))) {
            reply_invalid(r, "id", "id must be a run id (UUID string)");
            return -1;
        }
        *id = json_string_value(v);
    }
    return 0;
}

void api_job_cancel(struct http_req *r)
{
    const struct job_def *job = job_or_reply(r);
    json_t *body = job ? req_body_object_or_reply(r) : NULL;
    const char *id;
    if (!body || cancel_id_or_reply(r, body, &id)) {
        json_decref(body);
        return;
    }
    PGconn *c = pgpool_acquire(r->env->pool, 5000);
    if (!c) {
        json_decref(body);
        reply_db_unavailable(r);
        return;
    }
    json_t *ids = NULL;
    int n = runstore_request_cancel(c, job->key, id, &ids);
    if (n == 0) {
        reply_error(r, 409, ERR_CONFLICT, json_pack("{s:s}", "jobkey", job->key),
                    "This job has no queued or running run");
    } else if (n < 0) {
        reply_internal(r);
    } else {
        const char *first = json_string_value(json_object_get(json_array_get(ids, 0), "id"));
        json_t *run = await_final(r, c, first);
        if (!run)
            reply_internal(r);
        else
            reply_data(r, terminal(run) ? 200 : 202, run);
    }
    pgpool_release(r->env->pool, c);
    json_decref(ids);
    json_decref(body);
}

/* GET /admin/batch/runs/:id — one run (the jobs page's run detail), or 404. */
void api_run_get(struct http_req *r)
{
    const char *id = req_param(r, "id");
    if (!is_uuid_text(id, strlen(id))) {
        reply_error(r, 404, ERR_NOT_FOUND, json_pack("{s:s}", "id", id), "No run with this id");
        return;
    }
    PGconn *c = pgpool_acquire(r->env->pool, 5000);
    if (!c) {
        reply_db_unavailable(r);
        return;
    }
    bool dberr = false;
    json_t *run = runstore_get(c, id, &dberr);
    pgpool_release(r->env->pool, c);
    if (run)
        reply_data(r, 200, run);
    else if (dberr)
        reply_internal(r);
    else
        reply_error(r, 404, ERR_NOT_FOUND, json_pack("{s:s}", "id", id), "No run with this id");
}
