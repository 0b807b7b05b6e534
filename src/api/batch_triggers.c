/*
 * batch_triggers — the seed's per-job trigger endpoints (POST /admin/batch/sessions/cleanup, …). Each is the
 * generic trigger with the job fixed: body fields become params (except `dryrun`), and a path param may supply
 * one (`/library/hasnew/:comicId` → params.comicid). Adding an endpoint is adding a row (and its route).
 */
#include <string.h>

#include "api/api.h"

struct named_trigger {
    const char *pattern;    /* the route pattern, as in routes.c */
    const char *jobkey;
    const char *path_param; /* route param copied into params, or NULL */
    const char *param_name;
};

static const struct named_trigger triggers[] = {
    {"/api/v1/admin/batch/sessions/cleanup", "sessions.cleanup", NULL, NULL},
    {"/api/v1/admin/batch/announcements/expire", "announcements.expire", NULL, NULL},
    {"/api/v1/admin/batch/library/hasnew", "library.hasnew", NULL, NULL},
    {"/api/v1/admin/batch/library/hasnew/:comicId", "library.hasnew", "comicId", "comicid"},
    {"/api/v1/admin/batch/history/cap", "library.viewhistory_cap", NULL, NULL},
    {"/api/v1/admin/batch/comics/ratings", "comics.ratings_recalc", NULL, NULL},
    {"/api/v1/admin/batch/comics/counts", "comics.counts_recalc", NULL, NULL},
    {"/api/v1/admin/batch/analytics/flush-counters", "analytics.flush_counters", NULL, NULL},
    {"/api/v1/admin/batch/analytics/anonymize", "analytics.anonymize", NULL, NULL},
    {"/api/v1/admin/batch/analytics/partition", "analytics.partition", NULL, NULL},
    {"/api/v1/admin/batch/crawler/partitions", "crawler.partition", NULL, NULL},
    {"/api/v1/admin/batch/storage/cleanup", "storage.orphan_cleanup", NULL, NULL},
};

void api_trigger_named(struct http_req *r)
{
    const struct named_trigger *t = NULL;
    for (size_t i = 0; i < sizeof triggers / sizeof triggers[0]; i++)
        if (!strcmp(triggers[i].pattern, r->route))
            t = &triggers[i];
    if (!t) {
        reply_internal(r);
        return;
    }
    json_t *body = req_body_object_or_reply(r);
    if (!body)
        return;
    json_t *dry = json_object_get(body, "dryrun");
    if (dry && !json_is_boolean(dry)) {
        reply_invalid(r, "dryrun", "dryrun must be true or false");
        json_decref(body);
        return;
    }
    bool dryrun = json_is_true(dry);
    json_object_del(body, "dryrun");
    if (t->path_param)
        json_object_set_new(body, t->param_name, json_string(req_param(r, t->path_param)));
    api_trigger(r, t->jobkey, body, dryrun);
    json_decref(body);
}
