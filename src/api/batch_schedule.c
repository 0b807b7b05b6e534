/*
 * batch_schedule — the schedule (seed §6): one entry per registry job with its effective cron, enabled flag,
 * last run and next run; PATCH changes isenabled/cron, recomputes nextrunat, writes system.auditlog in the same
 * transaction, and the row's trigger NOTIFYs every instance (hot reload, no restart). Also a cron preview
 * (human description + next fire times) for the jobs page's editor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "jobs/registry.h"
#include "runs/runstore.h"
#include "sched/cron.h"
#include "store/pg.h"
#include "util/timefmt.h"

#define PREVIEW_MAX 20

static json_t *params_json(const struct job_def *job)
{
    static const char *const types[] = {"string", "int", "bool", "duration", "uuid", "id"};
    json_t *a = json_array();
    for (size_t i = 0; i < job->nparams; i++) {
        const struct param_def *p = &job->params[i];
        json_t *d = p->dflt ? json_loads(p->dflt, JSON_DECODE_ANY, NULL) : json_null();
        json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:s}", "name", p->name, "type", types[p->type], "default",
                                           d ? d : json_null(), "help", p->help ? p->help : ""));
    }
    return a;
}

/* Builds a ScheduleEntry from row i of the schedule query (columns: see schedule_sql). */
static json_t *entry_json(const struct config *cfg, const struct job_def *job, PGresult *res, int i)
{
    const char *dflt = registry_default_cron(cfg, job);
    const char *cron = pg_val(res, i, 1) ? pg_val(res, i, 1) : dflt;
    char desc[256];
    if (cron_describe(cron, desc, sizeof desc))
        snprintf(desc, sizeof desc, "invalid expression");
    bool enabled = pg_val(res, i, 2) ? pg_bool(res, i, 2) : job->enabled;
    const char *lastrun = pg_val(res, i, 4), *next = pg_val(res, i, 3);
    json_t *e = json_pack("{s:s,s:s,s:s,s:b,s:o,s:o}", "jobkey", job->key, "description", job->description, "cron",
                          cron, "isenabled", enabled, "lastrun", lastrun ? json_loads(lastrun, 0, NULL) : json_null(),
                          "nextrunat", enabled && next ? json_string(next) : json_null());
    json_object_set_new(e, "defaultcron", json_string(dflt));
    json_object_set_new(e, "crondescription", json_string(desc));
    json_object_set_new(e, "misfire", json_string(pg_val(res, i, 5) ? pg_val(res, i, 5)
                                                  : job->misfire == MISFIRE_ONCE ? "once" : "skip"));
    json_object_set_new(e, "supportsdryrun", json_boolean(job->dryrun));
    json_object_set_new(e, "params", params_json(job));
    return e;
}

/* Runs the schedule query for `keys` (a Postgres text[] literal built from the registry). */
static PGresult *schedule_query(PGconn *c, const char *keys_json)
{
    char sql[sizeof RUN_JSON_SQL + 1024];
    snprintf(sql, sizeof sql,
             "SELECT k.jobkey, s.cron, s.isenabled,"
             " to_char(s.nextrunat AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
             " (SELECT %s FROM system.batchrun r WHERE r.jobkey = k.jobkey ORDER BY r.createdat DESC LIMIT 1),"
             " s.misfire"
             " FROM json_array_elements_text($1::json) WITH ORDINALITY AS k(jobkey, ord)"
             " LEFT JOIN system.batchschedule s ON s.jobkey = k.jobkey ORDER BY k.ord",
             RUN_JSON_SQL);
    const char *p[] = {keys_json};
    return pg_query(c, "schedule.list", sql, 1, p, NULL);
}

/* Answers with the entries for `only` (one job) or all jobs. */
static void reply_schedule(struct http_req *r, PGconn *c, const struct job_def *only)
{
    size_t n;
    const struct job_def *const *jobs = registry_all(&n);
    json_t *keys = json_array();
    for (size_t i = 0; i < n; i++)
        if (!only || jobs[i] == only)
            json_array_append_new(keys, json_string(jobs[i]->key));
    char *kj = json_dumps(keys, JSON_COMPACT);
    json_decref(keys);
    PGresult *res = schedule_query(c, kj);
    free(kj);
    if (!res) {
        reply_internal(r);
        return;
    }
    json_t *out = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(out, entry_json(&r->app->cfg, registry_find(PQgetvalue(res, i, 0)), res, i));
    PQclear(res);
    if (only) {
        json_t *one = json_incref(json_array_get(out, 0));
        json_decref(out);
        reply_data(r, 200, one);
    } else {
        reply_data(r, 200, out);
    }
}

void api_schedule_list(struct http_req *r)
{
    PGconn *c = pgpool_acquire(r->app->pool, 5000);
    if (!c) {
        reply_db_unavailable(r);
        return;
    }
    reply_schedule(r, c, NULL);
    pgpool_release(r->app->pool, c);
}

struct patch {
    int isenabled; /* -1 unchanged */
    const char *cron; /* NULL unchanged */
};

static int patch_or_reply(struct http_req *r, json_t *body, struct patch *pt)
{
    const char *k;
    json_t *v;
    pt->isenabled = -1;
    pt->cron = NULL;
    json_object_foreach(body, k, v)
    {
        if (!strcmp(k, "isenabled")) {
            if (!json_is_boolean(v)) {
                reply_invalid(r, "isenabled", "isenabled must be true or false");
                return -1;
            }
            pt->isenabled = json_is_true(v);
        } else if (!strcmp(k, "cron")) {
            if (!json_is_null(v) && !json_is_string(v)) {
                reply_invalid(r, "cron", "cron must be a 5-field cron expression or null");
                return -1;
            }
            pt->cron = json_string_value(v);
        } else {
            reply_invalid(r, k, "unknown field \"%s\" (expected isenabled, cron)", k);
            return -1;
        }
    }
    if (pt->isenabled < 0 && !pt->cron) {
        reply_invalid(r, "isenabled", "nothing to change: give isenabled and/or cron");
        return -1;
    }
    return 0;
}

static int cron_or_reply(struct http_req *r, const char *expr, struct cron_schedule *s)
{
    char err[256];
    if (cron_parse(expr, s, err, sizeof err) == 0)
        return 0;
    reply_error(r, 400, ERR_VALIDATION, json_pack("{s:s,s:s}", "field", "cron", "reason", err),
                "Invalid cron expression: %s", err);
    return -1;
}

static const char *actor_of(struct http_req *r, char *buf, size_t len)
{
    if (r->principal.kind == PRINCIPAL_SESSION)
        snprintf(buf, len, "user:%s", r->principal.userid);
    else
        snprintf(buf, len, "admin-token");
    return buf;
}

/* Applies the patch and writes the audit row in one transaction. Returns 0 or -1 (logged). */
static int apply_patch(struct http_req *r, PGconn *c, const struct job_def *job, const struct patch *pt)
{
    char enabled[2] = {pt->isenabled < 0 ? 0 : (pt->isenabled ? 't' : 'f'), 0}, actor[80];
    char next[32] = "";
    const char *p1[] = {job->key, job->enabled ? "t" : "f"};
    if (pg_cmd(c, "BEGIN") ||
        pg_exec(c, "schedule.ensure",
                "INSERT INTO system.batchschedule (jobkey, isenabled) VALUES ($1, $2) ON CONFLICT DO NOTHING", 2,
                p1) < 0)
        return -1;
    const char *p2[] = {job->key};
    PGresult *cur = pg_query(c, "schedule.lock",
                             "SELECT cron, isenabled FROM system.batchschedule WHERE jobkey = $1 FOR UPDATE", 1, p2,
                             NULL);
    if (!cur)
        return -1;
    const char *dflt = registry_default_cron(&r->app->cfg, job);
    char stored[CRON_MAX_EXPR + 1]; /* a copy: `cur` is cleared before the cron is used */
    snprintf(stored, sizeof stored, "%s", pg_val(cur, 0, 0) ? pg_val(cur, 0, 0) : dflt);
    const char *cron = pt->cron ? pt->cron : stored;
    bool on = pt->isenabled < 0 ? pg_bool(cur, 0, 1) : pt->isenabled;
    json_t *before = json_pack("{s:s,s:b}", "cron", pg_val(cur, 0, 0) ? pg_val(cur, 0, 0) : dflt, "isenabled",
                               pg_bool(cur, 0, 1));
    PQclear(cur);
    struct cron_schedule s;
    char err[256];
    time_t first = on && cron_parse(cron, &s, err, sizeof err) == 0 ? cron_next(&s, (time_t)(time_now_ms() / 1000))
                                                                       : -1;
    if (first > 0)
        snprintf(next, sizeof next, "%lld", (long long)first);
    json_t *details = json_pack("{s:o,s:{s:s,s:b}}", "before", before, "after", "cron", cron, "isenabled", on);
    char *dj = json_dumps(details, JSON_COMPACT);
    json_decref(details);
    const char *p3[] = {job->key, pt->cron, enabled[0] ? enabled : NULL, next[0] ? next : NULL,
                        actor_of(r, actor, sizeof actor), r->principal.kind == PRINCIPAL_SESSION ? r->principal.userid
                                                                                                 : NULL, dj};
    int64_t n = pg_exec(c, "schedule.update",
                        "WITH u AS (UPDATE system.batchschedule SET cron = COALESCE($2, cron),"
                        " isenabled = COALESCE($3::boolean, isenabled), nextrunat = to_timestamp($4::bigint),"
                        " updatedat = now(), updatedby = $5 WHERE jobkey = $1 RETURNING jobkey)"
                        " INSERT INTO system.auditlog (actor, actoruserid, action, target, details)"
                        " SELECT $5, $6::uuid, 'batch.schedule.update', u.jobkey, $7::jsonb FROM u",
                        7, p3);
    free(dj);
    return n == 1 && pg_cmd(c, "COMMIT") == 0 ? 0 : -1;
}

void api_schedule_patch(struct http_req *r)
{
    const struct job_def *job = registry_find(req_param(r, "jobKey"));
    if (!job) {
        reply_error(r, 404, ERR_NOT_FOUND, json_pack("{s:s}", "jobkey", req_param(r, "jobKey")), "Unknown job key");
        return;
    }
    json_t *body = req_body_object_or_reply(r);
    struct patch pt;
    struct cron_schedule s;
    if (!body || patch_or_reply(r, body, &pt) || (pt.cron && cron_or_reply(r, pt.cron, &s))) {
        json_decref(body);
        return;
    }
    if (pt.cron && cron_next(&s, (time_t)(time_now_ms() / 1000)) < 0) {
        reply_error(r, 400, ERR_VALIDATION, json_pack("{s:s,s:s}", "field", "cron", "reason", "never fires"),
                    "Invalid cron expression: it never fires (e.g. February 30th)");
        json_decref(body);
        return;
    }
    PGconn *c = pgpool_acquire(r->app->pool, 5000);
    if (!c) {
        reply_db_unavailable(r);
    } else if (apply_patch(r, c, job, &pt)) {
        pg_cmd(c, "ROLLBACK");
        reply_internal(r);
    } else {
        reply_schedule(r, c, job);
    }
    pgpool_release(r->app->pool, c);
    json_decref(body);
}

void api_cron_preview(struct http_req *r)
{
    const char *expr = req_query(r, "cron");
    const char *nstr = req_query(r, "n");
    int n = nstr ? atoi(nstr) : 5;
    if (!expr) {
        reply_invalid(r, "cron", "cron is required");
        return;
    }
    if (n < 1 || n > PREVIEW_MAX) {
        reply_invalid(r, "n", "n must be from 1 to %d", PREVIEW_MAX);
        return;
    }
    struct cron_schedule s;
    if (cron_or_reply(r, expr, &s))
        return;
    char desc[256], iso[32];
    cron_describe(expr, desc, sizeof desc);
    json_t *times = json_array();
    time_t t = (time_t)(time_now_ms() / 1000);
    for (int i = 0; i < n && (t = cron_next(&s, t)) > 0; i++)
        json_array_append_new(times, json_string(time_format_iso(t, iso, sizeof iso)));
    reply_data(r, 200, json_pack("{s:s,s:s,s:o}", "cron", expr, "description", desc, "next", times));
}
