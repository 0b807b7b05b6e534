/*
 * batch_pause — maintenance windows (runs/pause.h): GET the pauses in force, POST a pause of every job or of one
 * until a time (`until`, ISO) or for a while (`for`, a duration) with a reason, DELETE one to resume early
 * (`?jobkey=`; without it, the pause of every job). Every change is audit-logged; the scheduler records the slots
 * a pause covers as `paused`.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/api_env.h"
#include "jobs/registry.h"
#include "runs/pause.h"
#include "store/pg.h"
#include "util/duration.h"
#include "util/timefmt.h"
#include "util/utf8.h"

static void who_is(struct http_req *r, char *actor, size_t len, struct pause_actor *by)
{
    *by = (struct pause_actor){
        {req_actor(r, actor, len), r->principal.kind == PRINCIPAL_SESSION ? r->principal.userid : NULL}, NULL};
}

void api_pause_list(struct http_req *r)
{
    PGconn *c = pgpool_acquire(r->env->pool, 5000);
    if (!c) {
        reply_db_unavailable(r);
        return;
    }
    json_t *list = pause_list(c, (time_t)(time_now_ms() / 1000));
    pgpool_release(r->env->pool, c);
    if (list)
        reply_data(r, 200, list);
    else
        reply_internal(r);
}

/* `jobkey` of the body or query: NULL (every job) or a known job. 0, or -1 after answering. */
static int scope_or_reply(struct http_req *r, json_t *v, const char **jobkey)
{
    *jobkey = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || !registry_find(json_string_value(v))) {
        reply_invalid(r, "jobkey", "jobkey must be the key of a job (or null for every job)");
        return -1;
    }
    *jobkey = json_string_value(v);
    return 0;
}

/* `until` (ISO) or `for` (duration): exactly one, ending after now and within PAUSE_MAX_SECONDS. */
static int until_or_reply(struct http_req *r, json_t *body, time_t now, time_t *until)
{
    json_t *u = json_object_get(body, "until"), *f = json_object_get(body, "for");
    char err[128];
    int64_t ms;
    if (!u == !f) {
        reply_invalid(r, "until", "give until (an ISO 8601 time) or for (a duration such as 2h), not both");
        return -1;
    }
    if (f && (!json_is_string(f) || duration_parse(json_string_value(f), &ms, err, sizeof err) || ms < 1000)) {
        reply_invalid(r, "for", "for must be a duration such as 30m or 2h");
        return -1;
    }
    if (u && (!json_is_string(u) || time_parse_iso(json_string_value(u), until))) {
        reply_invalid(r, "until", "until must be an ISO 8601 date-time, e.g. 2026-03-01T06:00:00Z");
        return -1;
    }
    if (f)
        *until = now + (time_t)((ms + 999) / 1000);
    if (*until <= now || *until - now > PAUSE_MAX_SECONDS) {
        reply_invalid(r, f ? "for" : "until", "a pause must end in the future and within %d days",
                      PAUSE_MAX_SECONDS / 86400);
        return -1;
    }
    return 0;
}

static int body_or_reply(struct http_req *r, json_t *body, time_t now, const char **jobkey, time_t *until,
                         const char **reason)
{
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
    {
        if (strcmp(k, "jobkey") && strcmp(k, "until") && strcmp(k, "for") && strcmp(k, "reason")) {
            reply_invalid(r, k, "unknown field \"%s\" (expected jobkey, until, for, reason)", k);
            return -1;
        }
    }
    v = json_object_get(body, "reason");
    *reason = json_string_value(v);
    if (v && !json_is_null(v) && (!json_is_string(v) || utf8_count(*reason) > PAUSE_REASON_MAX)) {
        reply_invalid(r, "reason", "reason must be text of at most %d characters", PAUSE_REASON_MAX);
        return -1;
    }
    return scope_or_reply(r, json_object_get(body, "jobkey"), jobkey) || until_or_reply(r, body, now, until);
}

void api_pause_set(struct http_req *r)
{
    json_t *body = req_body_object_or_reply(r);
    time_t now = (time_t)(time_now_ms() / 1000), until = 0;
    const char *jobkey, *reason;
    if (!body || body_or_reply(r, body, now, &jobkey, &until, &reason)) {
        json_decref(body);
        return;
    }
    char actor[80];
    struct pause_actor who;
    who_is(r, actor, sizeof actor, &who);
    PGconn *c = pgpool_acquire(r->env->pool, 5000);
    json_t *p = c ? pause_set(c, jobkey, until, reason && *reason ? reason : NULL, &who, now) : NULL;
    if (!c)
        reply_db_unavailable(r);
    else if (!p)
        reply_internal(r);
    else
        reply_data(r, 200, p);
    pgpool_release(r->env->pool, c);
    json_decref(body);
}

void api_pause_end(struct http_req *r)
{
    const char *q = req_query(r, "jobkey");
    /* json_string is NULL for text that is not UTF-8: that must not read as "no jobkey" (the pause of every job) */
    json_t *arg = q ? json_string(q) : NULL;
    const char *jobkey;
    int bad = q && !arg ? (reply_invalid(r, "jobkey", "jobkey must be the key of a job"), -1)
                        : scope_or_reply(r, arg, &jobkey);
    if (bad) {
        json_decref(arg);
        return;
    }
    char actor[80];
    struct pause_actor who;
    who_is(r, actor, sizeof actor, &who);
    PGconn *c = pgpool_acquire(r->env->pool, 5000);
    int ended = c ? pause_resume(c, jobkey, &who, (time_t)(time_now_ms() / 1000)) : -1;
    const char *scope = jobkey ? jobkey : "*";
    if (!c)
        reply_db_unavailable(r);
    else if (ended < 0)
        reply_internal(r);
    else if (ended == 0)
        reply_error(r, 404, ERR_NOT_FOUND, json_pack("{s:s}", "scope", scope), "No pause of %s is in force",
                    jobkey ? jobkey : "every job");
    else
        reply_data(r, 200, json_pack("{s:s,s:s?,s:b}", "scope", scope, "jobkey", jobkey, "resumed", 1));
    pgpool_release(r->env->pool, c);
    json_decref(arg);
}
