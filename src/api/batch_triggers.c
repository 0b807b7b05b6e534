/*
 * batch_triggers — the seed's per-job trigger endpoints (POST /admin/batch/sessions/cleanup, …). Each is the
 * generic trigger with the job fixed by its route's data (struct trigger_route in routes.c): body fields become
 * params (except `dryrun`), and a path param may supply one (`/library/hasnew/:comicId` → params.comicid).
 * Adding an endpoint is adding one row to the route table.
 */
#include "api/api.h"
#include "api/routes.h"

void api_trigger_named(struct http_req *r)
{
    const struct trigger_route *t = r->route_data;
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
    /* json_string is NULL for text that is not UTF-8, and setting NULL silently drops the field: a run over
     * every comic instead of one. The router refuses such paths; this keeps the field from vanishing anyway. */
    json_t *v = t->path_param ? json_string(req_param(r, t->path_param)) : NULL;
    if (t->path_param && (!v || json_object_set_new(body, t->param_name, v))) {
        reply_invalid(r, t->param_name, "%s must be UTF-8 text", t->param_name);
        json_decref(body);
        return;
    }
    api_trigger(r, t->jobkey, body, dryrun);
    json_decref(body);
}
