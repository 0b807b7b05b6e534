/*
 * batch_schedule — the schedule endpoints (seed §6): GET the entries, PATCH one job's schedule (isenabled, cron,
 * timezone, the params scheduled runs use, retries, deadline: validated here, applied with its audit row by
 * runs/schedule.c) and GET one job's missed slots (the ledger, store/slotledger.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_env.h"
#include "config.h"
#include "contract/availability.h"
#include "jobs/registry.h"
#include "runs/params.h"
#include "runs/runs_env.h"
#include "runs/schedule.h"
#include "sched/cron.h"
#include "store/pg.h"
#include "store/schedstore.h"
#include "store/slotledger.h"
#include "util/duration.h"
#include "util/timefmt.h"

#define MISSED_DEFAULT_LIMIT 50
#define MISSED_MAX_LIMIT 200
#define RETRY_DELAY_MIN_MS 1000
#define RETRY_DELAY_MAX_MS (86400LL * 1000)
#define DEADLINE_MIN_MS 1000
#define DEADLINE_MAX_MS (366LL * 86400 * 1000)

static time_t now_s(void)
{
    return (time_t)(time_now_ms() / 1000);
}

/* Answers with the entries for `only` (one job) or all jobs. */
static void reply_schedule(struct http_req *r, PGconn *c, const struct job_def *only)
{
    json_t *out = schedule_entries(c, r->env->cfg, only, now_s());
    if (out)
        availability_annotate(r->env->run->availability, out);
    if (!out) {
        reply_internal(r);
    } else if (only) {
        reply_data(r, 200, json_incref(json_array_get(out, 0)));
        json_decref(out);
    } else {
        reply_data(r, 200, out);
    }
}

void api_schedule_list(struct http_req *r)
{
    PGconn *c = pgpool_acquire(r->env->pool, 5000);
    if (!c) {
        reply_db_unavailable(r);
        return;
    }
    reply_schedule(r, c, NULL);
    pgpool_release(r->env->pool, c);
}

static const struct job_def *job_or_reply(struct http_req *r)
{
    const struct job_def *job = registry_find(req_param(r, "jobKey"));
    if (!job)
        reply_error(r, 404, ERR_NOT_FOUND, json_pack("{s:s}", "jobkey", req_param(r, "jobKey")), "Unknown job key");
    return job;
}

/* A duration field (string) within [lo, hi] ms into `*ms`; null gives `null_ms`; `off_ms` >= -1 accepts "off". */
static int duration_or_reply(struct http_req *r, const char *name, json_t *v, int64_t lo, int64_t hi, int64_t null_ms,
                             int64_t off_ms, int64_t *ms)
{
    char err[128];
    if (json_is_null(v)) {
        *ms = null_ms;
        return 0;
    }
    if (json_is_string(v) && off_ms != SCHED_KEEP && !strcmp(json_string_value(v), "off")) {
        *ms = off_ms;
        return 0;
    }
    if (!json_is_string(v) || duration_parse(json_string_value(v), ms, err, sizeof err) || *ms < lo || *ms > hi) {
        char a[32], b[32];
        reply_invalid(r, name, "%s must be a duration from %s to %s%s, or null for the default", name,
                      duration_format(lo, a, sizeof a), duration_format(hi, b, sizeof b),
                      off_ms != SCHED_KEEP ? ", \"off\"" : "");
        return -1;
    }
    return 0;
}

static int maxattempts_or_reply(struct http_req *r, json_t *v, int *out)
{
    if (json_is_null(v)) {
        *out = 0;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 20) {
        reply_invalid(r, "maxattempts", "maxattempts must be an integer from 1 to 20, or null for the default");
        return -1;
    }
    *out = (int)json_integer_value(v);
    return 0;
}

static int timezone_or_reply(struct http_req *r, json_t *v, const char **out)
{
    char err[200];
    if (json_is_null(v)) {
        *out = "UTC";
        return 0;
    }
    struct tz *z = json_is_string(v) ? tz_load(json_string_value(v), err, sizeof err) : NULL;
    if (!json_is_string(v))
        snprintf(err, sizeof err, "timezone must be an IANA time zone name such as Asia/Tokyo, or null for UTC");
    if (!z) {
        reply_error(r, 400, ERR_VALIDATION, json_pack("{s:s,s:s}", "field", "timezone", "reason", err),
                    "Invalid time zone: %s", err);
        return -1;
    }
    tz_destroy(z);
    *out = json_string_value(v);
    return 0;
}

/* scheduledparams: an object validated like a trigger's (errors name "scheduledparams.<param>"), or null. */
static int params_or_reply(struct http_req *r, const struct job_def *job, json_t *v, struct schedule_patch *pt)
{
    pt->set_params = true;
    pt->params = NULL;
    if (json_is_null(v))
        return 0;
    char field[128], err[512];
    if (!json_is_object(v)) {
        reply_invalid(r, "scheduledparams", "scheduledparams must be an object of the job's params, or null");
        return -1;
    }
    struct id_types ids; /* the platform's id types, as the trigger path (batch_jobs.c) checks them */
    availability_ids(r->env->run->availability, &ids);
    json_t *valid = params_validate_checked(r->env->cfg, job, v, &ids, field, sizeof field, err, sizeof err);
    char *text = valid ? json_dumps(v, JSON_COMPACT) : NULL;
    bool too_long = text && strlen(text) > SCHED_PARAMS_MAX;
    free(text);
    json_decref(valid);
    if (!valid || too_long) {
        char name[160];
        snprintf(name, sizeof name, "scheduled%s", valid ? "params" : field);
        reply_invalid(r, name, "%s", valid ? "scheduledparams is too long" : err);
        return -1;
    }
    pt->params = v;
    return 0;
}

/* One body field into `pt`. Returns 0, or -1 after answering 400. */
static int field_or_reply(struct http_req *r, const struct job_def *job, const char *k, json_t *v,
                          struct schedule_patch *pt)
{
    if (!strcmp(k, "isenabled")) {
        if (json_is_boolean(v)) {
            pt->isenabled = json_is_true(v);
            return 0;
        }
        reply_invalid(r, "isenabled", "isenabled must be true or false");
        return -1;
    }
    if (!strcmp(k, "cron")) {
        if (json_is_null(v) || json_is_string(v)) {
            pt->cron = json_string_value(v);
            return 0;
        }
        reply_invalid(r, "cron", "cron must be a 5-field cron expression or null");
        return -1;
    }
    if (!strcmp(k, "timezone"))
        return timezone_or_reply(r, v, &pt->timezone);
    if (!strcmp(k, "scheduledparams"))
        return params_or_reply(r, job, v, pt);
    if (!strcmp(k, "maxattempts"))
        return maxattempts_or_reply(r, v, &pt->maxattempts);
    if (!strcmp(k, "retrydelay"))
        return duration_or_reply(r, k, v, RETRY_DELAY_MIN_MS, RETRY_DELAY_MAX_MS, 0, SCHED_KEEP, &pt->retrydelay_ms);
    if (!strcmp(k, "deadline"))
        return duration_or_reply(r, k, v, DEADLINE_MIN_MS, DEADLINE_MAX_MS, -1, 0, &pt->deadline_ms);
    reply_invalid(r, k,
                  "unknown field \"%s\" (expected isenabled, cron, timezone, scheduledparams, maxattempts, "
                  "retrydelay, deadline)",
                  k);
    return -1;
}

static int patch_or_reply(struct http_req *r, const struct job_def *job, json_t *body, struct schedule_patch *pt)
{
    const char *k;
    json_t *v;
    *pt = (struct schedule_patch){
        .isenabled = -1, .maxattempts = SCHED_KEEP, .retrydelay_ms = SCHED_KEEP, .deadline_ms = SCHED_KEEP};
    json_object_foreach(body, k, v)
    {
        if (field_or_reply(r, job, k, v, pt))
            return -1;
    }
    if (pt->isenabled < 0 && !pt->cron && !pt->timezone && !pt->set_params && pt->maxattempts == SCHED_KEEP &&
        pt->retrydelay_ms == SCHED_KEEP && pt->deadline_ms == SCHED_KEEP) {
        reply_invalid(r, "isenabled",
                      "nothing to change: give isenabled, cron, timezone, scheduledparams, "
                      "maxattempts, retrydelay or deadline");
        return -1;
    }
    return 0;
}

/* Parses `expr` (400 naming `cron` when it does not) and refuses one that never fires or whose CRON_TZ= prefix
 * contradicts an explicit `timezone`. */
static int cron_or_reply(struct http_req *r, const char *expr, const char *timezone)
{
    char err[256];
    struct cron_schedule s;
    if (cron_parse(expr, &s, err, sizeof err)) {
        reply_error(r, 400, ERR_VALIDATION, json_pack("{s:s,s:s}", "field", "cron", "reason", err),
                    "Invalid cron expression: %s", err);
        return -1;
    }
    if (cron_next(&s, now_s()) < 0) {
        reply_error(r, 400, ERR_VALIDATION, json_pack("{s:s,s:s}", "field", "cron", "reason", "never fires"),
                    "Invalid cron expression: it never fires (e.g. February 30th)");
        return -1;
    }
    const char *zone = s.zone[0] ? s.zone : "UTC";
    if (timezone && s.zone[0] && strcmp(zone, timezone)) {
        reply_invalid(r, "timezone", "timezone %s contradicts the expression's CRON_TZ=%s: give one of them", timezone,
                      s.zone);
        return -1;
    }
    return 0;
}

static void apply_patch(struct http_req *r, const struct job_def *job, const struct schedule_patch *pt)
{
    char actor[80], field[64] = "cron", err[256] = "";
    struct audit_actor who = {req_actor(r, actor, sizeof actor),
                              r->principal.kind == PRINCIPAL_SESSION ? r->principal.userid : NULL};
    PGconn *c = pgpool_acquire(r->env->pool, 5000);
    if (!c) {
        reply_db_unavailable(r);
        return;
    }
    enum schedule_patch_result rc = schedule_patch(c, r->env->cfg, job, pt, &who, now_s(), field, sizeof field, err,
                                                   sizeof err);
    if (rc == SCHEDULE_PATCH_INVALID)
        reply_error(r, 400, ERR_VALIDATION, json_pack("{s:s,s:s}", "field", field, "reason", err),
                    "Invalid schedule: %s", err);
    else if (rc != SCHEDULE_PATCH_OK)
        reply_internal(r);
    else
        reply_schedule(r, c, job);
    pgpool_release(r->env->pool, c);
}

void api_schedule_patch(struct http_req *r)
{
    const struct job_def *job = job_or_reply(r);
    json_t *body = job ? req_body_object_or_reply(r) : NULL;
    struct schedule_patch pt;
    if (body && !patch_or_reply(r, job, body, &pt) && !(pt.cron && cron_or_reply(r, pt.cron, pt.timezone)))
        apply_patch(r, job, &pt);
    json_decref(body);
}

void api_schedule_missed(struct http_req *r)
{
    const struct job_def *job = job_or_reply(r);
    int page, limit;
    if (!job || req_query_int_or_reply(r, "page", 1, 1, 1000000, &page) ||
        req_query_int_or_reply(r, "limit", MISSED_DEFAULT_LIMIT, 1, MISSED_MAX_LIMIT, &limit))
        return;
    PGconn *c = pgpool_acquire(r->env->pool, 5000);
    if (!c) {
        reply_db_unavailable(r);
        return;
    }
    json_t *items;
    int64_t total;
    int rc = slotledger_list(c, job->key, page, limit, &items, &total);
    pgpool_release(r->env->pool, c);
    if (rc) {
        reply_internal(r);
        return;
    }
    json_t *meta = json_pack("{s:I,s:i,s:i,s:I}", "total", (json_int_t)total, "page", page, "limit", limit, "pages",
                             (json_int_t)((total + limit - 1) / limit));
    reply_list(r, items, meta);
}
