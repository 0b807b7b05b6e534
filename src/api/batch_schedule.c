/*
 * batch_schedule — the schedule endpoints (seed §6): GET the entries, PATCH one job's isenabled/cron (validated
 * here, applied with its audit row by runs/schedule.c), and a cron preview (human description + next fire times)
 * for the jobs page's editor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "jobs/registry.h"
#include "runs/schedule.h"
#include "sched/cron.h"
#include "store/pg.h"
#include "util/timefmt.h"

#define PREVIEW_MAX 20

/* Answers with the entries for `only` (one job) or all jobs. */
static void reply_schedule(struct http_req *r, PGconn *c, const struct job_def *only)
{
    json_t *out = schedule_entries(c, &r->app->cfg, only);
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
    PGconn *c = pgpool_acquire(r->app->pool, 5000);
    if (!c) {
        reply_db_unavailable(r);
        return;
    }
    reply_schedule(r, c, NULL);
    pgpool_release(r->app->pool, c);
}

static int patch_or_reply(struct http_req *r, json_t *body, struct schedule_patch *pt)
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

void api_schedule_patch(struct http_req *r)
{
    const struct job_def *job = registry_find(req_param(r, "jobKey"));
    if (!job) {
        reply_error(r, 404, ERR_NOT_FOUND, json_pack("{s:s}", "jobkey", req_param(r, "jobKey")), "Unknown job key");
        return;
    }
    json_t *body = req_body_object_or_reply(r);
    struct schedule_patch pt;
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
    char actor[80];
    struct audit_actor who = {req_actor(r, actor, sizeof actor),
                              r->principal.kind == PRINCIPAL_SESSION ? r->principal.userid : NULL};
    PGconn *c = pgpool_acquire(r->app->pool, 5000);
    if (!c) {
        reply_db_unavailable(r);
    } else if (schedule_patch(c, &r->app->cfg, job, &pt, &who, (time_t)(time_now_ms() / 1000))) {
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
